// Named network namespaces (src/net/vw-netns.c) against the real kernel.
// Results are checked independently: `ip -j netns list`, `ip -n NAME`,
// /proc/*/ns/net and /proc/self/mountinfo.  Every test removes what it made,
// even when it fails.
#include <config.h>

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "vw-net-error.h"
#include "vw-net-testutil.h"
#include "vw-netns.h"

namespace {

std::string
NetnsPath(const std::string &name)
{
    return std::string(VW_NETNS_RUN_DIR) + "/" + name;
}

bool
PathExists(const std::string &path)
{
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
}

unsigned long
PathInode(const std::string &path)
{
    struct stat st;
    if (stat(path.c_str(), &st) != 0)
        return 0;
    return st.st_ino;
}

// Removes a namespace with `ip netns del` (not the code under test) on scope
// exit if it is still there.
class NetnsGuard {
  public:
    explicit NetnsGuard(std::string name) : name_(std::move(name)) {}
    ~NetnsGuard()
    {
        if (PathExists(NetnsPath(name_)))
            vwtest::Run({ "ip", "netns", "del", name_ });
    }
    NetnsGuard(const NetnsGuard &) = delete;
    NetnsGuard &operator=(const NetnsGuard &) = delete;

  private:
    std::string name_;
};

// Kills and reaps a child on scope exit unless it was reaped already.
struct ChildGuard {
    GPid pid = 0;
    ~ChildGuard()
    {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
    }
    // Waits for the child; returns its wait status.
    int Wait()
    {
        int status = -1;
        if (pid > 0 && waitpid(pid, &status, 0) == pid)
            pid = 0;
        return status;
    }
};

// Unlinks a file on scope exit.
struct FileGuard {
    std::string path;
    ~FileGuard()
    {
        if (!path.empty())
            unlink(path.c_str());
    }
};

// Names in `ip -j netns list`.
std::vector<std::string>
IpNetnsNames()
{
    std::vector<std::string> names;
    g_autoptr(JsonNode) root = vwtest::IpJson("", { "netns", "list" });
    if (!root || !JSON_NODE_HOLDS_ARRAY(root))
        return names;
    JsonArray *arr = json_node_get_array(root);
    for (guint i = 0; i < json_array_get_length(arr); i++)
        names.push_back(
            json_object_get_string_member(json_array_get_object_element(arr, i), "name"));
    return names;
}

bool
IpListsNetns(const std::string &name)
{
    std::vector<std::string> names = IpNetnsNames();
    return std::find(names.begin(), names.end(), name) != names.end();
}

// Entries of /run/netns, leaving out the scratch namespaces of other test
// suites ("vwt" but not "vwtn") that may be running at the same time.
std::set<std::string>
RunDirEntries()
{
    std::set<std::string> entries;
    g_autoptr(GDir) dir = g_dir_open(VW_NETNS_RUN_DIR, 0, nullptr);
    if (!dir)
        return entries;
    while (const char *e = g_dir_read_name(dir)) {
        if (g_str_has_prefix(e, "vwt") && !g_str_has_prefix(e, "vwtn"))
            continue;
        entries.insert(e);
    }
    return entries;
}

// Mount points in /proc/self/mountinfo (fifth field).
std::vector<std::string>
MountPoints()
{
    std::vector<std::string> points;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string id, parent, devno, root, point;
        if (fields >> id >> parent >> devno >> root >> point)
            points.push_back(point);
    }
    return points;
}

size_t
CountMountsAt(const std::string &point)
{
    std::vector<std::string> points = MountPoints();
    return std::count(points.begin(), points.end(), point);
}

// Create then delete one namespace, so that /run/netns is already the shared
// mount it becomes on first use and mount counts can be compared.
void
WarmUp()
{
    std::string name = vwtest::ScratchName("vwtn");
    NetnsGuard guard(name);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_netns_create(name.c_str(), &error)) << error->message;
    ASSERT_TRUE(vw_netns_delete(name.c_str(), &error)) << error->message;
}

struct RunProbe {
    unsigned long thread_inode = 0;
    std::vector<std::string> ifnames;
};

gboolean
ProbeNamespace(gpointer data, GError **)
{
    RunProbe *probe = static_cast<RunProbe *>(data);
    probe->thread_inode = vwtest::ThreadNetnsInode();
    // if_nameindex() asks rtnetlink of the calling thread's namespace
    // (/sys/class/net would still show the host's, as sysfs is the host's).
    struct if_nameindex *ifs = if_nameindex();
    if (ifs) {
        for (struct if_nameindex *i = ifs; i->if_index != 0; i++)
            probe->ifnames.push_back(i->if_name);
        if_freenameindex(ifs);
    }
    return TRUE;
}

gboolean
FailInside(gpointer, GError **error)
{
    g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_KERNEL, "probe failed on purpose");
    return FALSE;
}

gboolean
CheckNotHost(gpointer data, GError **error)
{
    unsigned long host = *static_cast<unsigned long *>(data);
    if (vwtest::ThreadNetnsInode() == host) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_KERNEL, "still in the host namespace");
        return FALSE;
    }
    return TRUE;
}

} // namespace

TEST(Netns, CreateIsVisibleToIp)
{
    VW_REQUIRE_ROOT();
    std::string name = vwtest::ScratchName("vwtn");
    NetnsGuard guard(name);
    unsigned long host = vwtest::ThreadNetnsInode();
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_netns_create(name.c_str(), &error)) << error->message;
    EXPECT_TRUE(IpListsNetns(name));
    EXPECT_EQ(vwtest::IpLinkNames(name), std::vector<std::string>{ "lo" });
    unsigned long inode = PathInode(NetnsPath(name));
    EXPECT_NE(inode, 0u);
    EXPECT_NE(inode, host);
    EXPECT_TRUE(vw_netns_exists(name.c_str()));
    EXPECT_EQ(vwtest::ThreadNetnsInode(), host);
}

TEST(Netns, CreateTwiceFailsWithExists)
{
    VW_REQUIRE_ROOT();
    std::string name = vwtest::ScratchName("vwtn");
    NetnsGuard guard(name);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_netns_create(name.c_str(), &error)) << error->message;
    unsigned long inode = PathInode(NetnsPath(name));
    EXPECT_FALSE(vw_netns_create(name.c_str(), &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS)) << error->message;
    EXPECT_NE(strstr(error->message, name.c_str()), nullptr) << error->message;
    EXPECT_NE(strstr(error->message, "exists"), nullptr) << error->message;
    // The first namespace is untouched.
    EXPECT_EQ(PathInode(NetnsPath(name)), inode);
    EXPECT_EQ(CountMountsAt(NetnsPath(name)), 1u);
    EXPECT_EQ(vwtest::IpLinkNames(name), std::vector<std::string>{ "lo" });
}

TEST(Netns, DeleteRemovesIt)
{
    VW_REQUIRE_ROOT();
    std::string name = vwtest::ScratchName("vwtn");
    NetnsGuard guard(name);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_netns_create(name.c_str(), &error)) << error->message;
    ASSERT_TRUE(IpListsNetns(name));
    ASSERT_TRUE(vw_netns_delete(name.c_str(), &error)) << error->message;
    EXPECT_FALSE(IpListsNetns(name));
    EXPECT_FALSE(PathExists(NetnsPath(name)));
    EXPECT_EQ(CountMountsAt(NetnsPath(name)), 0u);
    EXPECT_FALSE(vw_netns_exists(name.c_str()));
}

// A plain file at /run/netns/@name holding @text, as a creator that died
// between claiming the name and mounting leaves it.
static bool
WritePlaceholderFile(const std::string &name, const std::string &text)
{
    int fd = open(NetnsPath(name).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool ok = write(fd, text.data(), text.size()) == (ssize_t)text.size();
    close(fd);
    return ok;
}

static std::string
LoAliasOf(const std::string &netns)
{
    vwtest::Cmd c = vwtest::Run({ "ip", "-n", netns, "-o", "link", "show", "lo" });
    size_t at = c.out.find("alias ");
    if (at == std::string::npos)
        return "";
    std::string rest = c.out.substr(at + 6);
    return rest.substr(0, rest.find_first_of(" \n\\"));
}

static const char *const kMark = "virtwire:network:0123abcd:net1:5a1d3c2e-0000-4000-8000-000000000001";

TEST(Netns, CreateMarkedMarksLoAndIsIdempotentForItsOwner)
{
    VW_REQUIRE_ROOT();
    std::string name = vwtest::ScratchName("vwtn");
    NetnsGuard guard(name);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_netns_create_marked(name.c_str(), kMark, &error)) << error->message;
    EXPECT_EQ(LoAliasOf(name), kMark);
    gboolean placeholder = TRUE;
    g_autofree char *mark = vw_netns_get_mark(name.c_str(), &placeholder, &error);
    ASSERT_NE(mark, nullptr) << error->message;
    EXPECT_STREQ(mark, kMark);
    EXPECT_FALSE(placeholder);
    // Again by its owner: the same namespace, not a second mount.
    unsigned long inode = PathInode(NetnsPath(name));
    ASSERT_TRUE(vw_netns_create_marked(name.c_str(), kMark, &error)) << error->message;
    EXPECT_EQ(PathInode(NetnsPath(name)), inode);
    EXPECT_EQ(CountMountsAt(NetnsPath(name)), 1u);
    // By another owner: refused, untouched; nor does it delete it.
    EXPECT_FALSE(vw_netns_create_marked(name.c_str(), "someone-else", &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS));
    EXPECT_NE(strstr(error->message, kMark), nullptr) << error->message;
    g_clear_error(&error);
    EXPECT_FALSE(vw_netns_delete_marked(name.c_str(), "someone-else", &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS));
    g_clear_error(&error);
    EXPECT_EQ(PathInode(NetnsPath(name)), inode);
    ASSERT_TRUE(vw_netns_delete_marked(name.c_str(), kMark, &error)) << error->message;
    EXPECT_FALSE(PathExists(NetnsPath(name)));
    EXPECT_EQ(CountMountsAt(NetnsPath(name)), 0u);
}

TEST(Netns, OwnPlaceholderIsRepairedOrDeletedAndAForeignOneIsLeftAlone)
{
    VW_REQUIRE_ROOT();
    WarmUp();
    std::string name = vwtest::ScratchName("vwtn");
    NetnsGuard guard(name);
    g_autoptr(GError) error = nullptr;

    // Ours: a new namespace is mounted over it.
    ASSERT_TRUE(WritePlaceholderFile(name, kMark));
    gboolean placeholder = FALSE;
    g_autofree char *mark = vw_netns_get_mark(name.c_str(), &placeholder, &error);
    ASSERT_NE(mark, nullptr) << error->message;
    EXPECT_STREQ(mark, kMark);
    EXPECT_TRUE(placeholder);
    EXPECT_FALSE(vw_netns_exists(name.c_str()));
    ASSERT_TRUE(vw_netns_create_marked(name.c_str(), kMark, &error)) << error->message;
    EXPECT_TRUE(vw_netns_exists(name.c_str()));
    EXPECT_EQ(LoAliasOf(name), kMark);
    EXPECT_EQ(CountMountsAt(NetnsPath(name)), 1u);
    ASSERT_TRUE(vw_netns_delete_marked(name.c_str(), kMark, &error)) << error->message;

    // Ours, deleted as it is.
    ASSERT_TRUE(WritePlaceholderFile(name, kMark));
    ASSERT_TRUE(vw_netns_delete_marked(name.c_str(), kMark, &error)) << error->message;
    EXPECT_FALSE(PathExists(NetnsPath(name)));

    // Empty (someone's claim in progress) or another's: refused and kept.
    for (const char *text : { "", "virtwire:network:ffffffff:net1:x" }) {
        SCOPED_TRACE(text);
        ASSERT_TRUE(WritePlaceholderFile(name, text));
        EXPECT_FALSE(vw_netns_create_marked(name.c_str(), kMark, &error));
        EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS));
        g_clear_error(&error);
        EXPECT_FALSE(vw_netns_delete_marked(name.c_str(), kMark, &error));
        EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS));
        g_clear_error(&error);
        struct stat st;
        ASSERT_EQ(lstat(NetnsPath(name).c_str(), &st), 0);
        EXPECT_TRUE(S_ISREG(st.st_mode));
        EXPECT_EQ((size_t)st.st_size, strlen(text));
        EXPECT_EQ(CountMountsAt(NetnsPath(name)), 0u);
        ASSERT_EQ(unlink(NetnsPath(name).c_str()), 0);
    }
}

TEST(Netns, NamespaceOfIpNetnsAddHasNoMarkAndIsNeverTaken)
{
    VW_REQUIRE_ROOT();
    vwtest::ScratchNetns foreign;
    ASSERT_TRUE(foreign.ok());
    const char *name = foreign.name().c_str();
    g_autoptr(GError) error = nullptr;

    g_autofree char *mark = vw_netns_get_mark(name, nullptr, &error);
    ASSERT_NE(mark, nullptr) << error->message;
    EXPECT_STREQ(mark, "");
    unsigned long inode = PathInode(NetnsPath(foreign.name()));
    EXPECT_FALSE(vw_netns_create_marked(name, kMark, &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS));
    g_clear_error(&error);
    EXPECT_FALSE(vw_netns_delete_marked(name, kMark, &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS));
    g_clear_error(&error);
    EXPECT_EQ(PathInode(NetnsPath(foreign.name())), inode);
    EXPECT_EQ(LoAliasOf(foreign.name()), "");
    // Absent: not found.
    std::string gone = vwtest::ScratchName("vwtn");
    g_autofree char *none = vw_netns_get_mark(gone.c_str(), nullptr, &error);
    EXPECT_EQ(none, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND));
}

TEST(Netns, DeleteMissingIsNotFound)
{
    VW_REQUIRE_ROOT();
    std::string name = vwtest::ScratchName("vwtn");
    g_autoptr(GError) error = nullptr;

    EXPECT_FALSE(vw_netns_delete(name.c_str(), &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND)) << error->message;
    EXPECT_NE(strstr(error->message, name.c_str()), nullptr) << error->message;
    EXPECT_FALSE(PathExists(NetnsPath(name)));
}

TEST(Netns, OpenOrSpawnInMissingIsNotFound)
{
    VW_REQUIRE_ROOT();
    std::string name = vwtest::ScratchName("vwtn");
    g_autoptr(GError) error = nullptr;

    EXPECT_EQ(vw_netns_open(name.c_str(), &error), -1);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND)) << error->message;
    EXPECT_NE(strstr(error->message, name.c_str()), nullptr) << error->message;
    g_clear_error(&error);

    const char *argv[] = { "true", nullptr };
    ChildGuard child;
    EXPECT_FALSE(vw_netns_spawn(name.c_str(), argv, &child.pid, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND)) << error->message;
    EXPECT_FALSE(vw_netns_exists(name.c_str()));
}

TEST(Netns, BadNamesAreRejectedAndChangeNothing)
{
    VW_REQUIRE_ROOT();
    const std::vector<std::string> bad = {
        "", ".", "..", "../x", "a/b", "/x", std::string(65, 'a'), "x y", "x\ny", "tab\there", "é",
    };
    ASSERT_TRUE(vw_netns_name_check(std::string(64, 'a').c_str(), nullptr));
    ASSERT_TRUE(vw_netns_name_check("A-z_0.9", nullptr));
    bool run_x = PathExists("/run/x");
    std::set<std::string> before = RunDirEntries();

    for (const std::string &name : bad) {
        SCOPED_TRACE("name '" + name + "'");
        g_autoptr(GError) error = nullptr;

        EXPECT_FALSE(vw_netns_name_check(name.c_str(), &error));
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
        if (g_str_is_ascii(name.c_str()) && !strchr(name.c_str(), '\n') &&
            !strchr(name.c_str(), '\t')) {
            EXPECT_NE(strstr(error->message, ("'" + name + "'").c_str()), nullptr)
                << error->message;
        }
        g_clear_error(&error);

        EXPECT_FALSE(vw_netns_create(name.c_str(), &error));
        EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
        g_clear_error(&error);
        EXPECT_FALSE(vw_netns_delete(name.c_str(), &error));
        EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
        g_clear_error(&error);
        EXPECT_EQ(vw_netns_open(name.c_str(), &error), -1);
        EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
        g_clear_error(&error);
        EXPECT_FALSE(vw_netns_exists(name.c_str()));
        const char *argv[] = { "true", nullptr };
        ChildGuard child;
        EXPECT_FALSE(vw_netns_spawn(name.c_str(), argv, &child.pid, &error));
        EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
        EXPECT_EQ(child.pid, 0);
    }
    EXPECT_EQ(RunDirEntries(), before);
    EXPECT_EQ(PathExists("/run/x"), run_x);
    EXPECT_FALSE(PathExists("/x"));
}

TEST(Netns, ListShowsCreated)
{
    VW_REQUIRE_ROOT();
    std::vector<std::string> names;
    std::vector<std::unique_ptr<NetnsGuard>> guards;
    g_autoptr(GError) error = nullptr;

    for (int i = 0; i < 3; i++) {
        names.push_back(vwtest::ScratchName("vwtn"));
        guards.push_back(std::make_unique<NetnsGuard>(names.back()));
    }
    // Made in reverse order, so that sorting is what puts them in order.
    for (auto it = names.rbegin(); it != names.rend(); ++it)
        ASSERT_TRUE(vw_netns_create(it->c_str(), &error)) << error->message;

    g_auto(GStrv) list = vw_netns_list(&error);
    ASSERT_NE(list, nullptr) << error->message;
    std::vector<std::string> listed(list, list + g_strv_length(list));
    EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));
    for (const std::string &name : names) {
        EXPECT_NE(std::find(listed.begin(), listed.end(), name), listed.end()) << name;
        EXPECT_TRUE(IpListsNetns(name)) << name;
    }

    ASSERT_TRUE(vw_netns_delete(names[1].c_str(), &error)) << error->message;
    g_auto(GStrv) after = vw_netns_list(&error);
    ASSERT_NE(after, nullptr) << error->message;
    EXPECT_FALSE(g_strv_contains(after, names[1].c_str()));
    EXPECT_TRUE(g_strv_contains(after, names[0].c_str()));
    EXPECT_TRUE(g_strv_contains(after, names[2].c_str()));
}

TEST(Netns, OpenGivesFdOfTheNamespace)
{
    VW_REQUIRE_ROOT();
    std::string name = vwtest::ScratchName("vwtn");
    NetnsGuard guard(name);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_netns_create(name.c_str(), &error)) << error->message;
    int fd = vw_netns_open(name.c_str(), &error);
    ASSERT_GE(fd, 0) << error->message;
    struct stat by_fd, by_path;
    ASSERT_EQ(fstat(fd, &by_fd), 0);
    ASSERT_EQ(stat(NetnsPath(name).c_str(), &by_path), 0);
    EXPECT_EQ(by_fd.st_ino, by_path.st_ino);
    EXPECT_EQ(by_fd.st_dev, by_path.st_dev);
    EXPECT_NE(by_fd.st_ino, vwtest::ThreadNetnsInode());
    EXPECT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
    EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
}

TEST(Netns, AbandonedPlainFileIsNotANamespaceAndCanBeDeleted)
{
    VW_REQUIRE_ROOT();
    WarmUp();
    std::string name = vwtest::ScratchName("vwtn");
    NetnsGuard guard(name);
    g_autoptr(GError) error = nullptr;

    // What a creator that died between O_EXCL and the bind mount leaves.
    int fd = open(NetnsPath(name).c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    ASSERT_GE(fd, 0) << g_strerror(errno);
    close(fd);

    EXPECT_FALSE(vw_netns_exists(name.c_str()));
    EXPECT_EQ(vw_netns_open(name.c_str(), &error), -1);
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND));
    g_clear_error(&error);
    EXPECT_FALSE(vw_netns_create(name.c_str(), &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS));
    g_clear_error(&error);
    EXPECT_TRUE(vw_netns_delete(name.c_str(), &error)) << error->message;
    EXPECT_FALSE(PathExists(NetnsPath(name)));
}

// A name mounted twice (a bind mount stacked on the namespace's own): every
// mount goes, then the file; one unmount would leave it busy (EBUSY).
TEST(Netns, DeleteMarkedRemovesANameMountedTwice)
{
    VW_REQUIRE_ROOT();
    WarmUp();
    std::string name = vwtest::ScratchName("vwtn");
    std::string path = NetnsPath(name);
    // Unmounts every stacked mount, then removes the file (not the code under test).
    struct StackGuard {
        std::string path;
        ~StackGuard()
        {
            for (int i = 0; i < 16 && umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0; i++)
                ;
            unlink(path.c_str());
        }
    } guard{ path };
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_netns_create_marked(name.c_str(), kMark, &error)) << error->message;
    ASSERT_EQ(mount(path.c_str(), path.c_str(), nullptr, MS_BIND, nullptr), 0)
        << g_strerror(errno);
    ASSERT_GE(CountMountsAt(path), 2u);
    g_autofree char *mark = vw_netns_get_mark(name.c_str(), nullptr, &error);
    ASSERT_NE(mark, nullptr) << error->message;
    EXPECT_STREQ(mark, kMark);

    ASSERT_TRUE(vw_netns_delete_marked(name.c_str(), kMark, &error)) << error->message;
    EXPECT_FALSE(PathExists(path));
    EXPECT_EQ(CountMountsAt(path), 0u);
    EXPECT_FALSE(IpListsNetns(name));

    // The same for vw_netns_delete().
    ASSERT_TRUE(vw_netns_create(name.c_str(), &error)) << error->message;
    ASSERT_EQ(mount(path.c_str(), path.c_str(), nullptr, MS_BIND, nullptr), 0)
        << g_strerror(errno);
    ASSERT_TRUE(vw_netns_delete(name.c_str(), &error)) << error->message;
    EXPECT_FALSE(PathExists(path));
    EXPECT_EQ(CountMountsAt(path), 0u);
}

// A device node or a FIFO under the name is "not ours" and is never opened
// for reading (an O_PATH look is no open to inotify): opening a tty could make
// it the caller's controlling terminal, a FIFO could block or wake a writer.
TEST(Netns, ADeviceNodeOrFifoUnderTheNameIsNeverOpened)
{
    VW_REQUIRE_ROOT();
    WarmUp();
    std::string name = vwtest::ScratchName("vwtn");
    std::string path = NetnsPath(name);
    FileGuard file{ path };

    for (int kind : { S_IFCHR, S_IFIFO }) {
        SCOPED_TRACE(kind == S_IFCHR ? "character device (1,3)" : "FIFO");
        g_autoptr(GError) error = nullptr;
        ASSERT_EQ(mknod(path.c_str(), kind | 0600, kind == S_IFCHR ? makedev(1, 3) : 0), 0)
            << g_strerror(errno);
        int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        ASSERT_GE(in, 0) << g_strerror(errno);
        std::unique_ptr<int, void (*)(int *)> in_guard(&in, [](int *fd) { close(*fd); });
        ASSERT_GE(inotify_add_watch(in, path.c_str(), IN_OPEN | IN_ACCESS), 0)
            << g_strerror(errno);

        g_autofree char *mark = vw_netns_get_mark(name.c_str(), nullptr, &error);
        ASSERT_NE(mark, nullptr) << error->message;
        EXPECT_STREQ(mark, ""); // someone else's
        EXPECT_FALSE(vw_netns_create_marked(name.c_str(), kMark, &error));
        EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS));
        g_clear_error(&error);
        EXPECT_FALSE(vw_netns_delete_marked(name.c_str(), kMark, &error));
        EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS));
        g_clear_error(&error);

        // No open, no read: the inotify queue is empty.
        char events[4096];
        ssize_t n = read(in, events, sizeof(events));
        EXPECT_EQ(n, -1) << "the node was opened or read";
        EXPECT_EQ(errno, EAGAIN);
        struct stat st;
        ASSERT_EQ(lstat(path.c_str(), &st), 0);
        EXPECT_EQ((int)(st.st_mode & S_IFMT), kind);
        ASSERT_EQ(unlink(path.c_str()), 0);
    }
}

// vw_netns_run() and its two halves on a scratch namespace, opened.
class NetnsRun : public ::testing::Test {
  protected:
    // The ways of running: vw_netns_run(), or begin then finish.
    using RunFn = std::function<gboolean(int, VwNetnsFunc, gpointer, GError **)>;

    void SetUp() override
    {
        VW_REQUIRE_ROOT();
        g_autoptr(GError) error = nullptr;
        ASSERT_TRUE(vw_netns_create(name_.c_str(), &error)) << error->message;
        fd_ = vw_netns_open(name_.c_str(), &error);
        ASSERT_GE(fd_, 0) << error->message;
    }
    void TearDown() override
    {
        if (fd_ >= 0)
            close(fd_);
    }

    // @run of a function that fails inside passes its error on; @run of a
    // descriptor that is not a namespace fails to enter and never calls the
    // function; no thread is left anywhere but home.
    void ExpectFailuresReported(const RunFn &run)
    {
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(run(fd_, FailInside, nullptr, &error));
        ASSERT_NE(error, nullptr);
        EXPECT_STREQ(error->message, "probe failed on purpose");
        g_clear_error(&error);

        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        ASSERT_GE(devnull, 0);
        RunProbe unused;
        EXPECT_FALSE(run(devnull, ProbeNamespace, &unused, &error));
        EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_KERNEL));
        EXPECT_EQ(unused.thread_inode, 0u);
        close(devnull);
        EXPECT_EQ(vwtest::ThreadNetnsInode(), host_);
        EXPECT_TRUE(vwtest::AllThreadsIn(host_));
    }

    std::string name_ = vwtest::ScratchName("vwtn");
    NetnsGuard guard_{ name_ };
    unsigned long host_ = vwtest::ThreadNetnsInode();
    int fd_ = -1;
};

TEST_F(NetnsRun, RunExecutesInsideTheNamespace)
{
    g_autoptr(GError) error = nullptr;
    RunProbe probe;
    EXPECT_TRUE(vw_netns_run(fd_, ProbeNamespace, &probe, &error)) << error->message;
    EXPECT_EQ(probe.thread_inode, PathInode(NetnsPath(name_)));
    EXPECT_EQ(probe.ifnames, std::vector<std::string>{ "lo" });
    EXPECT_EQ(vwtest::ThreadNetnsInode(), host_);

    ExpectFailuresReported(vw_netns_run);
}

// The two halves of vw_netns_run(): the work runs inside while the caller
// goes on, and finish gives its result or error.
TEST_F(NetnsRun, RunBeginLetsTheCallerGoOnAndFinishGivesTheResult)
{
    g_autoptr(GError) error = nullptr;

    // The work waits for the caller: begin must have returned first.
    struct Gate {
        std::atomic<bool> open{ false };
        RunProbe probe;
    } gate;
    VwNetnsFunc wait_then_probe = [](gpointer data, GError **err) -> gboolean {
        Gate *g = static_cast<Gate *>(data);
        for (int i = 0; i < 5000 && !g->open.load(); i++)
            g_usleep(1000);
        if (!g->open.load()) {
            g_set_error(err, VW_NET_ERROR, VW_NET_ERROR_KERNEL, "the caller never went on");
            return FALSE;
        }
        return ProbeNamespace(&g->probe, err);
    };
    VwNetnsJob *job = vw_netns_run_begin(fd_, wait_then_probe, &gate, &error);
    ASSERT_NE(job, nullptr) << error->message;
    EXPECT_EQ(vwtest::ThreadNetnsInode(), host_);
    gate.open.store(true);
    EXPECT_TRUE(vw_netns_run_finish(job, &error)) << error->message;
    EXPECT_EQ(gate.probe.thread_inode, PathInode(NetnsPath(name_)));
    EXPECT_EQ(gate.probe.ifnames, std::vector<std::string>{ "lo" });

    // No fd: nothing starts.  Otherwise the thread starts and finish says
    // how it ended.
    EXPECT_EQ(vw_netns_run_begin(-1, FailInside, nullptr, &error), nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
    EXPECT_NE(strstr(error->message, "-1"), nullptr) << error->message;
    g_clear_error(&error);
    ExpectFailuresReported([](int fd, VwNetnsFunc func, gpointer data, GError **err) {
        VwNetnsJob *j = vw_netns_run_begin(fd, func, data, err);
        EXPECT_NE(j, nullptr) << "begin starts the thread whatever the descriptor";
        return j ? vw_netns_run_finish(j, err) : FALSE;
    });
}

TEST(Netns, DeleteWhileAProcessStillUsesIt)
{
    VW_REQUIRE_ROOT();
    std::string name = vwtest::ScratchName("vwtn");
    NetnsGuard guard(name);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_netns_create(name.c_str(), &error)) << error->message;
    unsigned long inode = PathInode(NetnsPath(name));
    const char *argv[] = { "sleep", "30", nullptr };
    ChildGuard child;
    ASSERT_TRUE(vw_netns_spawn(name.c_str(), argv, &child.pid, &error)) << error->message;
    std::string proc_ns = "/proc/" + std::to_string(child.pid) + "/ns/net";
    ASSERT_EQ(PathInode(proc_ns), inode);

    ASSERT_TRUE(vw_netns_delete(name.c_str(), &error)) << error->message;
    EXPECT_FALSE(PathExists(NetnsPath(name)));
    EXPECT_FALSE(IpListsNetns(name));
    EXPECT_EQ(kill(child.pid, 0), 0);
    EXPECT_EQ(PathInode(proc_ns), inode);

    ASSERT_EQ(kill(child.pid, SIGKILL), 0);
    int status = child.Wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

TEST(Netns, SpawnRunsTheProcessInside)
{
    VW_REQUIRE_ROOT();
    std::string name = vwtest::ScratchName("vwtn");
    NetnsGuard guard(name);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_netns_create(name.c_str(), &error)) << error->message;
    FileGuard out;
    g_autofree char *tmp = nullptr;
    int tmpfd = g_file_open_tmp("vwtn-spawn-XXXXXX", &tmp, &error);
    ASSERT_GE(tmpfd, 0) << error->message;
    out.path = tmp;
    close(tmpfd);

    const char *argv[] = { "sh", "-c", "readlink /proc/self/ns/net > \"$1\"", "sh", tmp, nullptr };
    ChildGuard child;
    ASSERT_TRUE(vw_netns_spawn(name.c_str(), argv, &child.pid, &error)) << error->message;
    int status = child.Wait();
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

    g_autofree char *contents = nullptr;
    ASSERT_TRUE(g_file_get_contents(tmp, &contents, nullptr, &error)) << error->message;
    g_strstrip(contents);
    std::string want = "net:[" + std::to_string(PathInode(NetnsPath(name))) + "]";
    EXPECT_EQ(contents, want);
}

TEST(Netns, SpawnOfAMissingProgramFails)
{
    VW_REQUIRE_ROOT();
    std::string name = vwtest::ScratchName("vwtn");
    NetnsGuard guard(name);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_netns_create(name.c_str(), &error)) << error->message;
    const char *argv[] = { "vw-no-such-program", nullptr };
    ChildGuard child;
    EXPECT_FALSE(vw_netns_spawn(name.c_str(), argv, &child.pid, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_KERNEL)) << error->message;
    EXPECT_NE(strstr(error->message, "vw-no-such-program"), nullptr) << error->message;
    EXPECT_NE(strstr(error->message, name.c_str()), nullptr) << error->message;
}

namespace {

// Create, open, run inside, spawn inside and delete `rounds` namespaces,
// checking after each step that the calling thread stayed where it was.
void
ExerciseNamespaces(int rounds, unsigned long host)
{
    for (int i = 0; i < rounds; i++) {
        std::string name = vwtest::ScratchName("vwtn");
        NetnsGuard guard(name);
        g_autoptr(GError) error = nullptr;

        if (!vw_netns_create(name.c_str(), &error)) {
            ADD_FAILURE() << error->message;
            return;
        }
        EXPECT_EQ(vwtest::ThreadNetnsInode(), host);
        int fd = vw_netns_open(name.c_str(), &error);
        if (fd < 0) {
            ADD_FAILURE() << error->message;
            return;
        }
        EXPECT_TRUE(vw_netns_run(fd, CheckNotHost, &host, &error)) << (error ? error->message : "");
        g_clear_error(&error);
        close(fd);
        EXPECT_EQ(vwtest::ThreadNetnsInode(), host);

        const char *argv[] = { "true", nullptr };
        ChildGuard child;
        EXPECT_TRUE(vw_netns_spawn(name.c_str(), argv, &child.pid, &error))
            << (error ? error->message : "");
        g_clear_error(&error);
        int status = child.Wait();
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
        EXPECT_EQ(vwtest::ThreadNetnsInode(), host);

        EXPECT_TRUE(vw_netns_delete(name.c_str(), &error)) << (error ? error->message : "");
        EXPECT_EQ(vwtest::ThreadNetnsInode(), host);
    }
}

} // namespace

TEST(Netns, ThreadAffinityIsPreserved)
{
    VW_REQUIRE_ROOT();
    unsigned long host = vwtest::ThreadNetnsInode();
    ASSERT_NE(host, 0u);
    ASSERT_TRUE(vwtest::AllThreadsIn(host)) << "precondition: every thread starts in the host namespace";

    ExerciseNamespaces(3, host);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; t++)
        threads.emplace_back([host] {
            EXPECT_EQ(vwtest::ThreadNetnsInode(), host);
            ExerciseNamespaces(5, host);
        });
    ExerciseNamespaces(5, host);
    for (std::thread &t : threads)
        t.join();

    EXPECT_EQ(vwtest::ThreadNetnsInode(), host);
    EXPECT_TRUE(vwtest::AllThreadsIn(host));
}

TEST(Netns, ConcurrentCreateAndDelete)
{
    VW_REQUIRE_ROOT();
    WarmUp();
    // Stacked mounts would show up as more than one mount at /run/netns.
    size_t dir_mounts = CountMountsAt(VW_NETNS_RUN_DIR);
    EXPECT_EQ(dir_mounts, 1u);

    constexpr int kThreads = 8, kPerThread = 10;
    std::vector<std::string> names;
    for (int i = 0; i < kThreads * kPerThread; i++)
        names.push_back(vwtest::ScratchName("vwtn"));
    std::vector<std::unique_ptr<NetnsGuard>> guards;
    for (const std::string &name : names)
        guards.push_back(std::make_unique<NetnsGuard>(name));

    std::atomic<int> created{ 0 }, deleted{ 0 };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; i++) {
                const std::string &name = names[t * kPerThread + i];
                g_autoptr(GError) error = nullptr;
                if (vw_netns_create(name.c_str(), &error))
                    created++;
                else
                    ADD_FAILURE() << error->message;
            }
            for (int i = 0; i < kPerThread; i++) {
                const std::string &name = names[t * kPerThread + i];
                g_autoptr(GError) error = nullptr;
                if (vw_netns_delete(name.c_str(), &error))
                    deleted++;
                else
                    ADD_FAILURE() << error->message;
            }
        });
    for (std::thread &t : threads)
        t.join();

    EXPECT_EQ(created.load(), kThreads * kPerThread);
    EXPECT_EQ(deleted.load(), kThreads * kPerThread);
    std::vector<std::string> ip_names = IpNetnsNames();
    std::vector<std::string> points = MountPoints();
    for (const std::string &name : names) {
        EXPECT_FALSE(PathExists(NetnsPath(name))) << name;
        EXPECT_EQ(std::find(ip_names.begin(), ip_names.end(), name), ip_names.end()) << name;
        EXPECT_EQ(std::count(points.begin(), points.end(), NetnsPath(name)), 0) << name;
    }
    EXPECT_EQ(CountMountsAt(VW_NETNS_RUN_DIR), dir_mounts);
}

namespace {

// In a forked child with a private mount namespace and a fresh tmpfs on /run
// (so the host never sees any of it): let `threads` threads create their
// first namespace at once, so that they all find /run/netns missing and race
// to make it a shared mount.  Returns an error text, empty on success.
std::string
RaceFirstUse(int rounds, int threads)
{
    size_t covered = CountMountsAt(VW_NETNS_RUN_DIR);
    for (int r = 0; r < rounds; r++) {
        if (r > 0 && umount2("/run", MNT_DETACH) < 0)
            return std::string("umount /run: ") + g_strerror(errno);
        if (mount("vwtn", "/run", "tmpfs", 0, "mode=0755") < 0)
            return std::string("mount tmpfs on /run: ") + g_strerror(errno);
        std::atomic<int> ready{ 0 }, failed{ 0 };
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; t++)
            workers.emplace_back([&, t] {
                std::string name = "vwtn-race-" + std::to_string(t);
                ready++;
                while (ready.load() < threads)
                    ;
                if (!vw_netns_create(name.c_str(), nullptr) ||
                    !vw_netns_delete(name.c_str(), nullptr))
                    failed++;
            });
        for (std::thread &w : workers)
            w.join();
        if (failed.load() != 0)
            return "round " + std::to_string(r) + ": " + std::to_string(failed.load()) +
                   " creators failed";
        size_t now = CountMountsAt(VW_NETNS_RUN_DIR);
        if (now != covered + 1)
            return "round " + std::to_string(r) + ": " + std::to_string(now - covered) +
                   " mounts stacked at " VW_NETNS_RUN_DIR;
    }
    return "";
}

} // namespace

// Run `body` in a forked child with its own, private mount namespace, so
// that whatever it mounts goes away with it and the host never sees it.  The
// fork happens while the test process is single-threaded.  Returns the
// body's error text, empty on success.
std::string
InPrivateMountNamespace(const std::function<std::string()> &body)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return std::string("pipe: ") + g_strerror(errno);
    pid_t pid = fork();
    if (pid < 0)
        return std::string("fork: ") + g_strerror(errno);
    if (pid == 0) {
        std::string why;
        if (unshare(CLONE_NEWNS) < 0)
            why = std::string("unshare(CLONE_NEWNS): ") + g_strerror(errno);
        else if (mount("none", "/", "none", MS_REC | MS_PRIVATE, nullptr) < 0)
            why = std::string("make / private: ") + g_strerror(errno);
        else
            why = body();
        if (why.empty() || write(pipefd[1], why.data(), why.size()) < 0)
            _exit(why.empty() ? 0 : 1);
        _exit(1);
    }
    close(pipefd[1]);
    std::string why;
    char buf[256];
    ssize_t n;
    while ((n = read(pipefd[0], buf, sizeof(buf))) > 0)
        why.append(buf, n);
    close(pipefd[0]);
    int status = -1;
    if (waitpid(pid, &status, 0) != pid)
        return std::string("waitpid: ") + g_strerror(errno);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return why.empty() ? "child failed with status " + std::to_string(status) : why;
    return "";
}

TEST(Netns, FirstUseFromManyThreadsMakesOneMount)
{
    VW_REQUIRE_ROOT();
    EXPECT_EQ(InPrivateMountNamespace([] { return RaceFirstUse(20, 8); }), "");
}

TEST(Netns, FailedCreateLeavesNothingBehind)
{
    VW_REQUIRE_ROOT();
    std::string why = InPrivateMountNamespace([]() -> std::string {
        if (mount("vwtn", "/run", "tmpfs", 0, "mode=0755") < 0)
            return std::string("mount tmpfs on /run: ") + g_strerror(errno);
        // Without /proc/thread-self the bind mount fails after the name
        // was claimed: the claim must be rolled back.
        if (mount("vwtn", "/proc", "tmpfs", 0, "mode=0755") < 0)
            return std::string("mount tmpfs on /proc: ") + g_strerror(errno);
        g_autoptr(GError) error = nullptr;
        if (vw_netns_create("vwtn-fail", &error))
            return "create succeeded without /proc";
        if (!error || error->domain != VW_NET_ERROR || !strstr(error->message, "'vwtn-fail'"))
            return std::string("bad error: ") + (error ? error->message : "(none)");
        if (PathExists(NetnsPath("vwtn-fail")))
            return "the failed create left " + NetnsPath("vwtn-fail") + " behind";
        return "";
    });
    EXPECT_EQ(why, "");
}
