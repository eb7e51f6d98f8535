#include <config.h>

#include "vw-net-testutil.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

namespace vwtest {

bool
CanPlumb(std::string *why)
{
    if (geteuid() != 0) {
        *why = "root (CAP_NET_ADMIN, CAP_SYS_ADMIN)";
        return false;
    }
    if (access("/dev/net/tun", R_OK | W_OK) != 0) {
        *why = "/dev/net/tun";
        return false;
    }
    if (access("/proc/self/ns/net", R_OK) != 0) {
        *why = "network namespaces";
        return false;
    }
    if (Run({ "ip", "-V" }).status != 0) {
        *why = "iproute2 (ip)";
        return false;
    }
    return true;
}

Cmd
Run(const std::vector<std::string> &argv)
{
    Cmd c;
    std::vector<char *> args;
    for (const std::string &a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    g_autofree char *out = nullptr;
    g_autofree char *err = nullptr;
    int status = 0;
    if (!g_spawn_sync(nullptr, args.data(), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out,
                      &err, &status, nullptr))
        return c;
    c.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    c.out = out ? out : "";
    c.err = err ? err : "";
    return c;
}

static JsonNode *
ToolJson(const char *tool, const std::string &netns, const std::vector<std::string> &args)
{
    std::vector<std::string> argv = { tool, "-j" };
    if (!netns.empty()) {
        argv.push_back("-n");
        argv.push_back(netns);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    Cmd c = Run(argv);
    if (c.status != 0)
        return nullptr;
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, c.out.empty() ? "[]" : c.out.c_str(), -1, nullptr))
        return nullptr;
    return json_node_copy(json_parser_get_root(parser));
}

std::string
Sysctl(const std::string &netns, const std::string &key)
{
    std::vector<std::string> argv = { "cat", "/proc/sys/" + key };
    if (!netns.empty())
        argv.insert(argv.begin(), { "ip", "netns", "exec", netns });
    Cmd c = Run(argv);
    if (c.status != 0)
        return "error: " + c.err;
    while (!c.out.empty() && c.out.back() == '\n')
        c.out.pop_back();
    return c.out;
}

JsonNode *
IpJson(const std::string &netns, const std::vector<std::string> &args)
{
    return ToolJson("ip", netns, args);
}

JsonNode *
TcJson(const std::string &netns, const std::vector<std::string> &args)
{
    return ToolJson("tc", netns, args);
}

JsonObject *
IpLink(const std::string &netns, const std::string &name)
{
    g_autoptr(JsonNode) root = IpJson(netns, { "-d", "link", "show", "dev", name });
    if (!root || !JSON_NODE_HOLDS_ARRAY(root))
        return nullptr;
    JsonArray *arr = json_node_get_array(root);
    if (json_array_get_length(arr) != 1)
        return nullptr;
    return json_object_ref(json_array_get_object_element(arr, 0));
}

std::vector<std::string>
IpLinkNames(const std::string &netns)
{
    std::vector<std::string> names;
    g_autoptr(JsonNode) root = IpJson(netns, { "link", "show" });
    if (!root || !JSON_NODE_HOLDS_ARRAY(root))
        return names;
    JsonArray *arr = json_node_get_array(root);
    for (guint i = 0; i < json_array_get_length(arr); i++)
        names.push_back(json_object_get_string_member(json_array_get_object_element(arr, i),
                                                      "ifname"));
    return names;
}

std::string
ScratchName(const char *prefix)
{
    static std::atomic<unsigned> counter{ 0 };
    char buf[16];
    g_snprintf(buf, sizeof(buf), "%s%x%03x", prefix, (unsigned)getpid() & 0xfff,
               counter++ & 0xfff);
    return buf;
}

ScratchNetns::ScratchNetns() : name_(ScratchName("vwts"))
{
    ok_ = Run({ "ip", "netns", "add", name_ }).status == 0;
}

ScratchNetns::~ScratchNetns()
{
    if (ok_)
        Run({ "ip", "netns", "del", name_ });
}

LinkGuard::~LinkGuard()
{
    if (netns_.empty())
        Run({ "ip", "link", "del", "dev", name_ });
    else
        Run({ "ip", "-n", netns_, "link", "del", "dev", name_ });
}

unsigned long
ThreadNetnsInode()
{
    struct stat st;
    if (stat("/proc/thread-self/ns/net", &st) != 0)
        return 0;
    return st.st_ino;
}

std::vector<unsigned long>
AllThreadsNetnsInodes()
{
    std::vector<unsigned long> inodes;
    g_autoptr(GDir) dir = g_dir_open("/proc/self/task", 0, nullptr);
    if (!dir)
        return inodes;
    while (const char *tid = g_dir_read_name(dir)) {
        g_autofree char *path = g_strdup_printf("/proc/self/task/%s/ns/net", tid);
        struct stat st;
        if (stat(path, &st) == 0)
            inodes.push_back(st.st_ino);
    }
    return inodes;
}

bool
AllThreadsIn(unsigned long host)
{
    for (int i = 0; i < 200; i++) {
        std::vector<unsigned long> inodes = AllThreadsNetnsInodes();
        if (!inodes.empty() &&
            std::all_of(inodes.begin(), inodes.end(), [&](unsigned long n) { return n == host; }))
            return true;
        g_usleep(10 * 1000);
    }
    return false;
}

} // namespace vwtest
