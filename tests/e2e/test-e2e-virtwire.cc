// The whole chain on a real libvirtd: virtwire-hook installed in
// /etc/libvirt/hooks/qemu.d, two isolated guest networks started by the
// engine in a temporary state root, three tiny guests whose virtwire ports
// the hook plugs when libvirt starts them and unplugs when it stops them.
// Checked from the guests (DHCP, ping), from the engine (ports, leases) and
// from the kernel (links, netns, cgroups, processes).
#include <config.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include "vw-domxml.h"
#include "vw-e2e-util.h"
#include "vw-engine.h"
#include "vw-names.h"

namespace
{

using vwe2e::Domain;
using vwe2e::GuestConsole;

// Generous bounds for TCG guests on a loaded 2-core machine; reaching one is
// a failure (the guest never got there), not a speed measurement.
constexpr int kConnectMs = 30 * 1000;
constexpr int kBootMs = 240 * 1000;
constexpr int kCommandMs = 60 * 1000;

std::string
Message(const GError *error)
{
    return error ? error->message : "(no message)";
}

std::string
Slurp(const std::string &path)
{
    g_autofree char *text = nullptr;
    if (!g_file_get_contents(path.c_str(), &text, nullptr, nullptr))
        return "";
    return text;
}

bool
PathExists(const std::string &path)
{
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
}

// The build's virtwire-hook: $VW_VIRTWIRE_HOOK (set by meson), else where
// tools/meson.build puts it.
std::string
HookBinary()
{
    const char *p = g_getenv("VW_VIRTWIRE_HOOK");
    return p && *p ? p : std::string(VW_BUILD_ROOT) + "/tools/virtwire-hook";
}

std::string
ShellQuote(const std::string &s)
{
    g_autofree char *q = g_shell_quote(s.c_str());
    return q;
}

// ifname -> ifalias of the links in @netns ("" for the host's) that have one.
std::vector<std::pair<std::string, std::string>>
AliasedLinks(const std::string &netns)
{
    std::vector<std::pair<std::string, std::string>> out;
    g_autoptr(JsonNode) links = vwtest::IpJson(netns, { "link", "show" });
    if (!links || !JSON_NODE_HOLDS_ARRAY(links))
        return out;
    JsonArray *a = json_node_get_array(links);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        if (!json_object_has_member(o, "ifalias"))
            continue;
        out.emplace_back(json_object_get_string_member(o, "ifname"),
                         json_object_get_string_member(o, "ifalias"));
    }
    return out;
}

// Links of the host netns and of @netns (when it exists) whose alias
// contains @needle, as "NETNS/IFNAME (ALIAS)".
std::vector<std::string>
LinksWithAlias(const std::string &needle, const std::string &netns)
{
    std::vector<std::string> out;
    std::vector<std::string> where = { "" };
    if (PathExists("/run/netns/" + netns))
        where.push_back(netns);
    for (const std::string &ns : where) {
        for (const auto &[name, alias] : AliasedLinks(ns)) {
            if (alias.find(needle) != std::string::npos)
                out.push_back((ns.empty() ? "host" : ns) + "/" + name + " (" + alias + ")");
        }
    }
    return out;
}

// The partition directories of @net in every cgroup hierarchy under
// /sys/fs/cgroup that exist now.
std::vector<std::string>
PartitionDirsPresent(const std::string &net)
{
    std::vector<std::string> out;
    std::vector<std::string> bases = { "/sys/fs/cgroup" };
    g_autoptr(GDir) d = g_dir_open("/sys/fs/cgroup", 0, nullptr);
    const char *f;
    while (d && (f = g_dir_read_name(d)))
        bases.push_back(std::string("/sys/fs/cgroup/") + f);
    for (const std::string &b : bases) {
        std::string p = b + "/virtwire.partition/" + net + ".partition";
        if (PathExists(p))
            out.push_back(p);
    }
    return out;
}

// Pids of the dnsmasq processes whose command line mentions @needle.
std::vector<pid_t>
DnsmasqWith(const std::string &needle)
{
    std::vector<pid_t> out;
    g_autoptr(GDir) d = g_dir_open("/proc", 0, nullptr);
    const char *f;
    while (d && (f = g_dir_read_name(d))) {
        if (!g_ascii_isdigit(f[0]))
            continue;
        gsize len = 0;
        g_autofree char *cmd = nullptr;
        if (!g_file_get_contents((std::string("/proc/") + f + "/cmdline").c_str(), &cmd, &len,
                                 nullptr) ||
            len == 0)
            continue;
        std::replace(cmd, cmd + len, '\0', ' ');
        std::string line(cmd, len);
        if (line.find("dnsmasq") != std::string::npos && line.find(needle) != std::string::npos)
            out.push_back((pid_t)atoi(f));
    }
    return out;
}

// Regular files and symlinks under @dir, relative to it.
void
FilesUnder(const std::string &dir, const std::string &rel, std::vector<std::string> *out)
{
    g_autoptr(GDir) d = g_dir_open(dir.c_str(), 0, nullptr);
    const char *f;
    while (d && (f = g_dir_read_name(d))) {
        std::string p = dir + "/" + f;
        std::string r = rel.empty() ? f : rel + "/" + f;
        if (g_file_test(p.c_str(), G_FILE_TEST_IS_DIR) &&
            !g_file_test(p.c_str(), G_FILE_TEST_IS_SYMLINK))
            FilesUnder(p, r, out);
        else
            out->push_back(r);
    }
}

// "ID:CONTROLLERS" -> path, from /proc/PID/cgroup.
std::map<std::string, std::string>
CgroupsOf(pid_t pid)
{
    std::map<std::string, std::string> out;
    if (pid <= 0)
        return out;
    g_autofree char *text = nullptr;
    std::string file = "/proc/" + std::to_string(pid) + "/cgroup";
    if (!g_file_get_contents(file.c_str(), &text, nullptr, nullptr))
        return out;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        std::string line = *l;
        size_t second = line.find(':', line.find(':') + 1);
        if (line.empty() || second == std::string::npos)
            continue;
        out[line.substr(0, second)] = line.substr(second + 1);
    }
    return out;
}

// Whether libvirt must place a domain in hierarchy "ID:CONTROLLERS": the
// unified one, or a v1 one with a controller that libvirt always manages.
bool
Managed(const std::string &hierarchy)
{
    std::string controllers = hierarchy.substr(hierarchy.find(':') + 1);
    if (controllers.empty())
        return true;
    g_auto(GStrv) names = g_strsplit(controllers.c_str(), ",", -1);
    for (char **n = names; *n; n++) {
        for (const char *m : { "cpu", "cpuset", "memory", "blkio", "freezer" })
            if (g_str_equal(*n, m))
                return true;
    }
    return false;
}

pid_t
LibvirtdPid()
{
    std::string text = Slurp("/run/libvirtd.pid");
    return (pid_t)atoi(text.c_str());
}

// A temporary virtwire state root (mode 0755: dnsmasq drops privileges and
// must traverse it) with an engine open on it.  On scope exit, whatever the
// test left is stopped, collected and undefined, and the root removed.
class StateRoot
{
  public:
    StateRoot()
    {
        g_autoptr(GError) error = nullptr;
        g_autofree char *root = g_dir_make_tmp("vw-e2e-root-XXXXXX", &error);
        if (!root) {
            error_ = Message(error);
            return;
        }
        path_ = root;
        if (chmod(root, 0755) != 0) {
            error_ = "cannot chmod '" + path_ + "': " + g_strerror(errno);
            return;
        }
        engine_ = vw_engine_open(root, &error);
        if (!engine_)
            error_ = "cannot open the engine on '" + path_ + "': " + Message(error);
    }

    ~StateRoot()
    {
        if (engine_) {
            for (const std::string &n : nets_)
                vw_engine_network_stop(engine_, n.c_str(), nullptr);
            const char *none[] = { nullptr };
            vw_engine_reconcile(engine_, none, nullptr, nullptr);
            for (const std::string &n : nets_)
                vw_engine_network_undefine(engine_, n.c_str(), nullptr);
            vw_engine_free(engine_);
        }
        if (!path_.empty())
            vwtest::Run({ "rm", "-rf", "--one-file-system", path_ });
    }

    StateRoot(const StateRoot &) = delete;
    StateRoot &operator=(const StateRoot &) = delete;

    bool ok() const
    {
        return engine_ != nullptr;
    }
    const std::string &error() const
    {
        return error_;
    }
    const std::string &path() const
    {
        return path_;
    }
    VwEngine *engine() const
    {
        return engine_;
    }

    // Define and start an isolated network on SUBNET.0/24, gateway
    // SUBNET.1, DHCP SUBNET.100-199.
    ::testing::AssertionResult StartNetwork(const std::string &name, const std::string &subnet)
    {
        std::string xml = "<network>\n"
                          "  <name>" +
                          name +
                          "</name>\n"
                          "  <forward mode='isolated'/>\n"
                          "  <ip family='ipv4' address='" +
                          subnet + ".1' prefix='24'>\n    <dhcp><range start='" + subnet +
                          ".100' end='" + subnet +
                          ".199'/></dhcp>\n"
                          "  </ip>\n"
                          "</network>\n";
        nets_.push_back(name);
        g_autoptr(GError) error = nullptr;
        g_autofree char *got = vw_engine_network_define(engine_, xml.c_str(), &error);
        if (!got)
            return ::testing::AssertionFailure()
                   << "define '" << name << "': " << Message(error) << "\n"
                   << xml;
        if (!vw_engine_network_start(engine_, name.c_str(), &error))
            return ::testing::AssertionFailure() << "start '" << name << "': " << Message(error);
        return ::testing::AssertionSuccess();
    }

  private:
    std::string path_;
    std::string error_;
    VwEngine *engine_ = nullptr;
    std::vector<std::string> nets_;
};

// One tiny guest with one virtwire port.
struct Guest {
    std::string name;
    std::string uuid;
    std::string mac;
    std::string net;
    VwPortNames names = {};
    std::string socket;
    std::unique_ptr<Domain> dom;
    GuestConsole con;
    std::string ip; // what it got by DHCP
};

// Why a guest step failed: what its console said.
std::string
Transcript(const Guest &g)
{
    return "--- console of " + g.name + "\n" + g.con.Transcript() + "\n--- end of console";
}

// The tiny guest's domain XML with one virtwire port on @g.net: the
// interface, virtwire's metadata and the network's partition, as the CLI's
// attach-interface writes them.
::testing::AssertionResult
VirtwireDomainXml(const vwe2e::Env *env, const Guest &g, std::string *xml)
{
    vwe2e::DomainSpec spec;
    spec.name = g.name;
    spec.uuid = g.uuid;
    spec.kernel = env->kernel;
    spec.initrd = env->initrd;
    spec.console_socket = g.socket;
    std::string base = vwe2e::DomainXml(spec);
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwDomEditor) ed = vw_domeditor_new(base.c_str(), -1, &error);
    if (!ed)
        return ::testing::AssertionFailure() << Message(error) << "\n" << base;
    if (!vw_domeditor_add_interface(ed, g.mac.c_str(), g.names.tap, "virtio", 1, g.net.c_str(),
                                    &error) ||
        !vw_domeditor_set_partition(ed, ("/virtwire/" + g.net).c_str(), &error))
        return ::testing::AssertionFailure() << Message(error) << "\n" << base;
    g_autofree char *out = vw_domeditor_format(ed);
    *xml = out;
    return ::testing::AssertionSuccess();
}

// The build's virtwire CLI: $VW_VIRTWIRE (set by meson), else tools/.
std::string
CliBinary()
{
    const char *p = g_getenv("VW_VIRTWIRE");
    return p && *p ? p : std::string(VW_BUILD_ROOT) + "/tools/virtwire";
}

// The port of @g in the engine's list, or nullptr.
const VwPortInfo *
FindPort(GPtrArray *ports, const Guest &g)
{
    for (guint i = 0; ports && i < ports->len; i++) {
        auto *p = (const VwPortInfo *)g_ptr_array_index(ports, i);
        if (g_ascii_strcasecmp(p->domain_uuid, g.uuid.c_str()) == 0 &&
            g_ascii_strcasecmp(p->mac, g.mac.c_str()) == 0)
            return p;
    }
    return nullptr;
}

const VwLeaseInfo *
FindLease(GPtrArray *leases, const Guest &g)
{
    for (guint i = 0; leases && i < leases->len; i++) {
        auto *l = (const VwLeaseInfo *)g_ptr_array_index(leases, i);
        if (g_ascii_strcasecmp(l->mac, g.mac.c_str()) == 0)
            return l;
    }
    return nullptr;
}

// An address without its "/PREFIX", if any.
std::string
Bare(const char *address)
{
    std::string a = address ? address : "";
    return a.substr(0, a.find('/'));
}

// @cmd in @g's shell; its exit status, or -1 when the guest did not answer.
int
GuestRun(Guest &g, const std::string &cmd, std::string *out)
{
    int status = -1;
    if (!g.con.Run(cmd, kCommandMs, out, &status))
        return -1;
    return status;
}

// The hook script: logs each call, runs the build's virtwire-hook on the
// test's state root, and appends the hook's stderr to the log.
std::string
HookScript(const std::string &log, const std::string &root, const std::string &hook_bin)
{
    return "#!/bin/sh\n"
           "# Installed by the virtwire e2e test (pid " +
           std::to_string(getpid()) + "); removed when it ends.\n" + "echo \"hook $*\" >>" +
           ShellQuote(log) + "\n" + "VIRTWIRE_ROOT=" + ShellQuote(root) + " exec " +
           ShellQuote(hook_bin) + " \"$@\" 2>>" + ShellQuote(log) + "\n";
}

// Defines guest @g (name, UUID, MAC, network and socket set) with its
// virtwire port and starts it paused; the hook plugs the port.  With
// @via_cli the port is added by `virtwire attach-interface --config` to the
// defined domain, else written into its XML with the domain editor.
void
DefineAndStart(const vwe2e::Env *env, const StateRoot &root, const std::string &hook_log,
               bool via_cli, Guest *g)
{
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_port_names(g->uuid.c_str(), g->mac.c_str(), &g->names, &error))
        << Message(error);
    std::string xml;
    if (!via_cli) {
        ASSERT_TRUE(VirtwireDomainXml(env, *g, &xml));
        g->dom = std::make_unique<Domain>(g->name, xml);
    } else {
        vwe2e::DomainSpec spec;
        spec.name = g->name;
        spec.uuid = g->uuid;
        spec.kernel = env->kernel;
        spec.initrd = env->initrd;
        spec.console_socket = g->socket;
        g->dom = std::make_unique<Domain>(g->name, vwe2e::DomainXml(spec), false);
        ASSERT_TRUE(g->dom->ok()) << g->dom->error();
        vwtest::Cmd cli =
            vwtest::Run({ CliBinary(), "--root", root.path(), "-c", vwe2e::kUri, "attach-interface",
                          g->name, g->net, "--mac", g->mac, "--config" });
        ASSERT_EQ(cli.status, 0) << vwe2e::Describe(cli);
        xml = vwe2e::Virsh({ "dumpxml", "--inactive", g->name }).out;
        EXPECT_NE(xml.find("<partition>/virtwire/" + g->net + "</partition>"), std::string::npos)
            << xml;
        EXPECT_NE(xml.find(std::string("<target dev='") + g->names.tap + "' managed='no'/>"),
                  std::string::npos)
            << xml;
        g->dom->Start();
    }
    ASSERT_TRUE(g->dom->ok()) << g->dom->error() << "\n--- hook log\n"
                              << Slurp(hook_log) << "--- domain XML\n"
                              << xml;
}

// Every guest has its port, plugged, with the address it got by DHCP, and
// its lease; nothing else is on the networks.
void
ExpectPortsAndLeases(VwEngine *engine, const std::vector<std::unique_ptr<Guest>> &guests,
                     const std::vector<std::string> &nets)
{
    for (const std::string &net : nets) {
        g_autoptr(GError) error = nullptr;
        g_autoptr(GPtrArray) ports = vw_engine_port_list(engine, net.c_str(), &error);
        ASSERT_NE(ports, nullptr) << Message(error);
        g_autoptr(GPtrArray) leases = vw_engine_lease_list(engine, net.c_str(), &error);
        ASSERT_NE(leases, nullptr) << Message(error);
        guint on_net = 0;
        for (const auto &g : guests) {
            if (g->net != net)
                continue;
            on_net++;
            const VwPortInfo *p = FindPort(ports, *g);
            ASSERT_NE(p, nullptr) << "no port of " << g->name << " on " << net;
            EXPECT_STREQ(p->state, "plugged");
            EXPECT_STREQ(p->tap, g->names.tap);
            EXPECT_EQ(Bare(p->ipv4), g->ip) << g->name;
            const VwLeaseInfo *l = FindLease(leases, *g);
            ASSERT_NE(l, nullptr) << "no lease of " << g->name << " on " << net;
            EXPECT_EQ(Bare(l->ipv4), g->ip) << g->name;
            EXPECT_EQ(g_ascii_strcasecmp(l->domain_uuid, g->uuid.c_str()), 0) << l->domain_uuid;
        }
        EXPECT_EQ(ports->len, on_net) << net;
        EXPECT_EQ(leases->len, on_net) << net;
    }
}

// Each QEMU process sits in its network's partition in every hierarchy that
// libvirt manages; in the others (here v1 name=systemd, pids, devices and
// cpuacct: libvirt filters devices through BPF in the unified hierarchy and
// leaves the rest alone) it stays where libvirtd is.  The unified hierarchy
// and the v1 cpu, cpuset, memory, blkio and freezer ones must be in the
// partition wherever they are mounted.
void
ExpectInPartitions(const std::vector<std::unique_ptr<Guest>> &guests)
{
    std::map<std::string, std::string> daemon = CgroupsOf(LibvirtdPid());
    ASSERT_FALSE(daemon.empty()) << "cannot read libvirtd's cgroups";
    for (const auto &g : guests) {
        pid_t pid = vwe2e::QemuPid(g->name);
        ASSERT_GT(pid, 0) << "no QEMU pid for " << g->name;
        std::map<std::string, std::string> qemu = CgroupsOf(pid);
        ASSERT_FALSE(qemu.empty()) << "cannot read the cgroups of " << pid;
        const std::string want = "/virtwire.partition/" + g->net + ".partition/";
        const std::string all = Slurp("/proc/" + std::to_string(pid) + "/cgroup");
        unsigned inside = 0;
        for (const auto &[hierarchy, path] : qemu) {
            if (g_str_has_prefix(path.c_str(), want.c_str())) {
                inside++;
                continue;
            }
            EXPECT_FALSE(Managed(hierarchy)) << g->name << " (pid " << pid << ") is outside "
                                             << want << " in " << hierarchy << "\n"
                                             << all;
            EXPECT_EQ(path, daemon[hierarchy])
                << g->name << " (pid " << pid << ") is neither in " << want
                << " nor where libvirtd is in " << hierarchy << "\n"
                << all;
        }
        EXPECT_GE(inside, 1u) << all;
    }
}

// After the domains stopped: the hook's release ran and removed every link
// of their ports; the leases stay, with the same addresses.
void
ExpectPortsGoneLeasesKept(VwEngine *engine, const std::vector<std::unique_ptr<Guest>> &guests,
                          const std::vector<std::string> &nets, const std::string &hook_log)
{
    for (const auto &g : guests) {
        EXPECT_NE(Slurp(hook_log).find("hook " + g->name + " release end"), std::string::npos)
            << Slurp(hook_log);
        std::vector<std::string> left =
            LinksWithAlias(VW_PORT_ALIAS_PREFIX + g->net + ":" + g->uuid, "vw-" + g->net);
        EXPECT_TRUE(left.empty()) << g->name << ": " << testing::PrintToString(left)
                                  << "\n--- hook log\n"
                                  << Slurp(hook_log);
        for (const char *name : { g->names.tap, g->names.host }) {
            g_autoptr(JsonObject) link = vwtest::IpLink("", name);
            EXPECT_EQ(link, nullptr) << name << " of " << g->name << " is still there";
        }
    }
    for (const std::string &net : nets) {
        g_autoptr(GError) error = nullptr;
        g_autoptr(GPtrArray) ports = vw_engine_port_list(engine, net.c_str(), &error);
        ASSERT_NE(ports, nullptr) << Message(error);
        EXPECT_EQ(ports->len, 0u) << net;
        g_autoptr(GPtrArray) leases = vw_engine_lease_list(engine, net.c_str(), &error);
        ASSERT_NE(leases, nullptr) << Message(error);
        for (const auto &g : guests) {
            if (g->net != net)
                continue;
            const VwLeaseInfo *l = FindLease(leases, *g);
            ASSERT_NE(l, nullptr) << "the lease of " << g->name << " is gone";
            EXPECT_EQ(Bare(l->ipv4), g->ip);
        }
    }
}

// After the networks were stopped and undefined: no link, netns, cgroup
// directory, dnsmasq or file of theirs.  Of the files only the lock files
// stay: a lock file may not be removed while a process could wait on it.
void
ExpectNothingLeft(const StateRoot &root, const std::vector<std::string> &nets)
{
    std::vector<std::string> files;
    FilesUnder(root.path(), "", &files);
    for (const std::string &net : nets) {
        std::vector<std::string> links = LinksWithAlias(":" + net + ":", "vw-" + net);
        EXPECT_TRUE(links.empty()) << testing::PrintToString(links);
        EXPECT_FALSE(PathExists("/run/netns/vw-" + net)) << net;
        std::vector<std::string> dirs = PartitionDirsPresent(net);
        EXPECT_TRUE(dirs.empty()) << testing::PrintToString(dirs);
        for (const std::string &f : files) {
            EXPECT_TRUE(f.find(net) == std::string::npos ||
                        f == "run/virtwire/locks/" + net + ".lock")
                << "left in " << root.path() << ": " << f;
        }
    }
    std::vector<pid_t> dnsmasq = DnsmasqWith(root.path());
    EXPECT_TRUE(dnsmasq.empty()) << testing::PrintToString(dnsmasq);
}

TEST(E2eVirtwire, HookPlugsGuestsIntoIsolatedNetworksAndEverythingGoesAway)
{
    VW_REQUIRE_E2E(env);
    if (!vwe2e::StartedLibvirtd())
        GTEST_SKIP() << "a libvirtd that this test program did not start answers on " << vwe2e::kUri
                     << ": libvirtd reads its hooks only when it starts, and this test restarts "
                        "only a libvirtd it started; stop that libvirtd to run it";
    const std::string hook_bin = HookBinary();
    ASSERT_TRUE(g_file_test(hook_bin.c_str(), G_FILE_TEST_IS_EXECUTABLE))
        << "no virtwire-hook at '" << hook_bin << "' (tools/virtwire-hook not built)";

    // Guards, undone in reverse order: the scratch files, the state root
    // (networks), the hook, the domains.
    vwe2e::ScratchDir dir;
    ASSERT_FALSE(dir.path().empty());
    StateRoot root;
    ASSERT_TRUE(root.ok()) << root.error();
    VwEngine *engine = root.engine();
    const std::string hook_log = dir.File("hook.log");
    vwe2e::QemuHook hook("virtwire", HookScript(hook_log, root.path(), hook_bin));
    ASSERT_TRUE(hook.ok()) << hook.error();
    std::string why;
    ASSERT_TRUE(vwe2e::RestartLibvirtd(&why)) << why;

    // Two isolated networks.
    const std::string tag = std::to_string(getpid());
    const std::vector<std::string> nets = { "vwe2e" + tag + "a", "vwe2e" + tag + "b" };
    const std::string gw1 = "10.231.1.1";
    const std::string gw2 = "10.231.2.1";
    ASSERT_TRUE(root.StartNetwork(nets[0], "10.231.1"));
    ASSERT_TRUE(root.StartNetwork(nets[1], "10.231.2"));

    // A and B on net1 (their ports written by the domain editor), C on net2
    // (its port added by the CLI); consoles connected to the paused guests,
    // then all three run at once.
    std::vector<std::unique_ptr<Guest>> guests;
    const char *letters[] = { "a", "b", "c" };
    for (unsigned i = 0; i < 3; i++) {
        guests.push_back(std::make_unique<Guest>());
        Guest *g = guests.back().get();
        g->name = "vw-e2e-vw-" + tag + "-" + letters[i];
        g_autofree char *uuid = g_uuid_string_random();
        g->uuid = uuid;
        g->mac = vwe2e::ScratchMac(i + 1);
        g->net = nets[i < 2 ? 0 : 1];
        g->socket = dir.File(std::string("console-") + letters[i] + ".sock");
        ASSERT_NO_FATAL_FAILURE(DefineAndStart(env, root, hook_log, i == 2, g));
    }
    Guest &a = *guests[0];
    Guest &b = *guests[1];
    Guest &c = *guests[2];
    for (auto &g : guests) {
        ASSERT_TRUE(g->con.Connect(g->socket, kConnectMs, &why)) << why;
        ASSERT_TRUE(g->dom->Resume()) << g->dom->error();
    }
    EXPECT_NE(Slurp(hook_log).find("hook " + a.name + " prepare begin"), std::string::npos)
        << Slurp(hook_log);

    // Each guest got by DHCP exactly the address the engine leased to it.
    for (auto &g : guests) {
        std::vector<std::string> lease;
        ASSERT_TRUE(
            g->con.WaitFor("VW-GUEST-(NO)?LEASE eth0 ?([0-9.]*)/?([0-9]*)\n", kBootMs, &lease))
            << Transcript(*g);
        ASSERT_EQ(lease[1], "") << g->name << " got no lease on eth0\n"
                                << Transcript(*g) << "\n--- hook log\n"
                                << Slurp(hook_log) << "--- dnsmasq log\n"
                                << Slurp(root.path() + "/run/virtwire/networks/" + g->net +
                                         "/dnsmasq.log");
        g->ip = lease[2];
        EXPECT_EQ(lease[3], "24") << g->name;
        ASSERT_TRUE(g->con.WaitFor("VW-GUEST-READY\n", kBootMs)) << Transcript(*g);
    }
    ASSERT_NO_FATAL_FAILURE(ExpectPortsAndLeases(engine, guests, nets));
    EXPECT_NE(a.ip, b.ip);
    EXPECT_TRUE(g_str_has_prefix(a.ip.c_str(), "10.231.1.")) << a.ip;
    EXPECT_TRUE(g_str_has_prefix(c.ip.c_str(), "10.231.2.")) << c.ip;

    // A reaches B and net1's gateway; C reaches its own gateway (so that
    // its failures below mean isolation, not a dead guest) and nothing of
    // net1.
    std::string out;
    EXPECT_EQ(GuestRun(a, "ping -c 3 -W 10 " + b.ip, &out), 0) << out << Transcript(a);
    EXPECT_EQ(GuestRun(a, "ping -c 3 -W 10 " + gw1, &out), 0) << out << Transcript(a);
    EXPECT_EQ(GuestRun(c, "ping -c 3 -W 10 " + gw2, &out), 0) << out << Transcript(c);
    for (const std::string &target : { a.ip, b.ip, gw1 }) {
        int status = GuestRun(c, "ping -c 2 -W 3 " + target, &out);
        EXPECT_GT(status, 0) << "C reached " << target << "\n" << out << Transcript(c);
    }

    ASSERT_NO_FATAL_FAILURE(ExpectInPartitions(guests));

    // Destroying the domains: the hook's release removes the ports and keeps
    // the leases.
    for (auto &g : guests)
        ASSERT_TRUE(g->dom->Destroy()) << g->dom->error();
    ASSERT_NO_FATAL_FAILURE(ExpectPortsGoneLeasesKept(engine, guests, nets, hook_log));

    // Undefine the domains, stop and undefine the networks: nothing is left.
    for (auto &g : guests)
        ASSERT_TRUE(g->dom->Undefine()) << g->dom->error();
    for (const std::string &net : nets) {
        g_autoptr(GError) error = nullptr;
        EXPECT_TRUE(vw_engine_network_stop(engine, net.c_str(), &error)) << Message(error);
        g_clear_error(&error);
        EXPECT_TRUE(vw_engine_network_undefine(engine, net.c_str(), &error)) << Message(error);
    }
    ExpectNothingLeft(root, nets);

    // And the hook goes.
    EXPECT_TRUE(hook.Remove()) << hook.error();
    EXPECT_FALSE(PathExists(hook.path()));
}

} // namespace
