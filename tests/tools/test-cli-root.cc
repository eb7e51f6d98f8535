// The virtwire command line against the real kernel (root): a network is
// started in a temporary root, a port plugged by virtwire-hook from the
// domain XML that attach-interface printed, listed, collected by gc, and
// everything is gone at the end.  Results are checked with `ip -j`.
#include <config.h>

#include <string>
#include <unistd.h>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>
#include <json-glib/json-glib.h>
#include <sys/stat.h>

#include "vw-cli-testutil.h"
#include "vw-net-testutil.h"

using vwtest::CliRun;
using vwtest::TempDir;
using vwtest::Virtwire;

namespace
{

bool
Contains(const std::string &haystack, const std::string &needle)
{
    return haystack.find(needle) != std::string::npos;
}

bool
NetnsExists(const std::string &name)
{
    return g_file_test(("/run/netns/" + name).c_str(), G_FILE_TEST_EXISTS);
}

// Host links whose alias names network @net.
std::vector<std::string>
HostLinksOf(const std::string &net)
{
    std::vector<std::string> out;
    g_autoptr(JsonNode) links = vwtest::IpJson("", { "link", "show" });
    if (!links)
        return out;
    JsonArray *a = json_node_get_array(links);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        if (!json_object_has_member(o, "ifalias"))
            continue;
        std::string alias = json_object_get_string_member(o, "ifalias");
        if (Contains(alias, ":" + net + ":"))
            out.push_back(json_object_get_string_member(o, "ifname"));
    }
    return out;
}

bool
LinkExists(const std::string &name)
{
    g_autoptr(JsonObject) o = vwtest::IpLink("", name);
    return o != nullptr;
}

// Runs the hook with the domain XML on stdin.
int
Hook(const std::string &root, const std::vector<std::string> &args, const std::string &xml,
     std::string *err)
{
    const char *exe = g_getenv("VW_VIRTWIRE_HOOK");
    EXPECT_NE(exe, nullptr) << "meson sets VW_VIRTWIRE_HOOK";
    if (!exe)
        return -1;
    std::string input = root + "/hook-input.xml";
    g_file_set_contents(input.c_str(), xml.c_str(), -1, nullptr);
    std::string cmd = std::string("exec ") + exe;
    for (const std::string &a : args)
        cmd += " " + a;
    cmd += " < " + input;
    std::string env_root = "VIRTWIRE_ROOT=" + root;
    const char *argv[] = { "/bin/sh", "-c", cmd.c_str(), nullptr };
    const char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", env_root.c_str(),
                           "VIRTWIRE_TAP_USER=", nullptr };
    g_autofree char *e = nullptr;
    int status = -1;
    g_spawn_sync(nullptr, (char **)argv, (char **)envp, G_SPAWN_STDOUT_TO_DEV_NULL, nullptr,
                 nullptr, nullptr, &e, &status, nullptr);
    if (err)
        *err = e ? e : "";
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// Whatever a test leaves, even when it fails: the port, the network, its
// netns and links.
class NetworkGuard
{
  public:
    NetworkGuard(std::string root, std::string net) : root_(root), net_(net)
    {
    }
    ~NetworkGuard()
    {
        if (!domain_xml.empty())
            Hook(root_, { "test", "release", "end", "-" }, domain_xml, nullptr);
        Virtwire({ "-r", root_.c_str(), "net-destroy", net_.c_str() });
        Virtwire({ "-r", root_.c_str(), "net-undefine", net_.c_str() });
        if (NetnsExists("vw-" + net_))
            vwtest::Run({ "ip", "netns", "del", "vw-" + net_ });
        for (const std::string &link : HostLinksOf(net_))
            vwtest::Run({ "ip", "link", "del", link });
    }
    std::string domain_xml;

  private:
    std::string root_;
    std::string net_;
};

} // namespace

TEST(CliKernel, NetworkPortAndGcRoundTripLeavesNothing)
{
    VW_REQUIRE_ROOT();
    if (!g_file_test("/usr/sbin/dnsmasq", G_FILE_TEST_IS_EXECUTABLE))
        GTEST_SKIP() << "machine lacks: /usr/sbin/dnsmasq (package dnsmasq-base)";
    TempDir dir;
    ASSERT_TRUE(dir.ok());
    // dnsmasq runs as nobody and must reach its files under the root
    ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
    std::string root = dir.path() + "/root";
    g_autofree char *net_c = g_strdup_printf("vwc%x", (unsigned)getpid() & 0xffffff);
    std::string net = net_c;
    const char *r = root.c_str();
    const char *n = net.c_str();
    const char mac[] = "52:54:00:c1:10:01";
    std::string xml = dir.Write("net.xml", "<network><name>" + net +
                                               "</name><ip address='10.214.9.1' prefix='24'>"
                                               "<dhcp><range start='10.214.9.50' "
                                               "end='10.214.9.60'/></dhcp></ip></network>");
    NetworkGuard guard(root, net);

    CliRun c = Virtwire({ "-r", r, "net-define", xml.c_str() });
    ASSERT_EQ(c.code, 0) << c.err;
    c = Virtwire({ "-r", r, "net-start", n });
    ASSERT_EQ(c.code, 0) << c.err;
    EXPECT_EQ(c.out, "Network " + net + " started\n");
    EXPECT_TRUE(NetnsExists("vw-" + net));
    c = Virtwire({ "-r", r, "net-list", "--name" });
    EXPECT_EQ(c.out, net + "\n");
    c = Virtwire({ "-r", r, "net-start", n });
    EXPECT_EQ(c.code, 1);
    EXPECT_TRUE(Contains(c.err, "'" + net + "'")) << c.err;
    c = Virtwire({ "-r", r, "net-undefine", n });
    EXPECT_EQ(c.code, 1) << "an active network is not undefined";
    EXPECT_TRUE(Contains(c.err, "'" + net + "'")) << c.err;

    // the domain XML that libvirt would hand the hook
    c = Virtwire({ "-r", r, "-c", "test:///default", "attach-interface", "test", n, "--mac", mac,
                   "--config", "--print-domain" });
    ASSERT_EQ(c.code, 0) << c.err;
    guard.domain_xml = c.out;
    std::string err;
    ASSERT_EQ(Hook(root, { "test", "prepare", "begin", "-" }, c.out, &err), 0) << err;

    c = Virtwire({ "-r", r, "--json", "port-list", n });
    ASSERT_EQ(c.code, 0) << c.err;
    g_autoptr(JsonNode) ports = json_from_string(c.out.c_str(), nullptr);
    ASSERT_NE(ports, nullptr) << c.out;
    JsonArray *pa = json_node_get_array(ports);
    ASSERT_EQ(json_array_get_length(pa), 1u) << c.out;
    JsonObject *port = json_array_get_object_element(pa, 0);
    std::string tap = json_object_get_string_member(port, "tap");
    EXPECT_EQ(std::string(json_object_get_string_member(port, "mac")), mac);
    EXPECT_EQ(std::string(json_object_get_string_member(port, "state")), "plugged");
    EXPECT_EQ(std::string(json_object_get_string_member(port, "domain")), "test");
    EXPECT_TRUE(LinkExists(tap)) << tap;

    c = Virtwire({ "-r", r, "net-leases", n });
    EXPECT_EQ(c.code, 0) << c.err;
    EXPECT_TRUE(Contains(c.out, std::string(mac) + "   10.214.9.5")) << c.out;
    c = Virtwire({ "-r", r, "port-list" });
    EXPECT_TRUE(Contains(c.out, tap)) << c.out;

    // net-destroy while a port is plugged: refused, naming the domain, and
    // nothing changes (its guest would lose the network without a word)
    c = Virtwire({ "-r", r, "net-destroy", n });
    EXPECT_EQ(c.code, 1) << c.out;
    EXPECT_TRUE(Contains(c.err, "'test'")) << c.err;
    EXPECT_TRUE(Contains(c.err, "'" + net + "'")) << c.err;
    EXPECT_EQ(c.out, "");
    EXPECT_TRUE(LinkExists(tap)) << tap;
    EXPECT_TRUE(NetnsExists("vw-" + net));

    // gc keeps the ports of domains that exist ...
    c = Virtwire({ "-r", r, "-c", "test:///default", "gc" });
    EXPECT_EQ(c.code, 0) << c.err;
    EXPECT_TRUE(Contains(c.out, "Ports collected:           0\n")) << c.out;
    EXPECT_TRUE(LinkExists(tap));
    // ... and nothing when it cannot ask libvirt which domains exist
    c = Virtwire({ "-r", r, "-c", "vw-bogus:///", "gc" });
    EXPECT_EQ(c.code, 1);
    EXPECT_TRUE(LinkExists(tap));

    // a hypervisor without domain `test`: its port and lease are collected
    std::string empty = dir.Write("empty-node.xml", "<node/>\n");
    std::string uri = "test://" + empty;
    c = Virtwire({ "-r", r, "-c", uri.c_str(), "--json", "gc" });
    EXPECT_EQ(c.code, 0) << c.err;
    EXPECT_TRUE(Contains(c.out, "\"ports_collected\": 1,")) << c.out;
    EXPECT_FALSE(LinkExists(tap)) << tap;
    c = Virtwire({ "-r", r, "--json", "port-list" });
    EXPECT_EQ(c.out, "[]\n");
    c = Virtwire({ "-r", r, "--json", "net-leases", n });
    EXPECT_EQ(c.out, "[]\n");

    c = Virtwire({ "-r", r, "net-destroy", n });
    EXPECT_EQ(c.code, 0) << c.err;
    EXPECT_EQ(c.out, "Network " + net + " destroyed\n");
    c = Virtwire({ "-r", r, "net-undefine", n });
    EXPECT_EQ(c.code, 0) << c.err;
    guard.domain_xml.clear();

    EXPECT_FALSE(NetnsExists("vw-" + net));
    EXPECT_TRUE(HostLinksOf(net).empty());
    c = Virtwire({ "-r", r, "net-list", "--all", "--name" });
    EXPECT_EQ(c.out, "");
}

// net-leases says which leases are stale (their domain no longer exists),
// and gc releases exactly those: a stopped domain keeps its lease.
TEST(CliKernel, NetLeasesMarksStaleLeasesAndGcReleasesThem)
{
    VW_REQUIRE_ROOT();
    if (!g_file_test("/usr/sbin/dnsmasq", G_FILE_TEST_IS_EXECUTABLE))
        GTEST_SKIP() << "machine lacks: /usr/sbin/dnsmasq (package dnsmasq-base)";
    TempDir dir;
    ASSERT_TRUE(dir.ok());
    ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
    std::string root = dir.path() + "/root";
    g_autofree char *net_c = g_strdup_printf("vwl%x", (unsigned)getpid() & 0xffffff);
    std::string net = net_c;
    const char *r = root.c_str();
    const char *n = net.c_str();
    const char mac[] = "52:54:00:c1:20:01";
    const char gone_mac[] = "52:54:00:c1:20:02";
    const char test_uuid[] = "6695eb01-f6a4-8304-79aa-97f2502e193f"; // test:///default's "test"
    const char gone_uuid[] = "6695eb01-f6a4-8304-79aa-0000000000aa";
    std::string xml = dir.Write("net.xml", "<network><name>" + net +
                                               "</name><ip address='10.214.19.1' prefix='24'>"
                                               "<dhcp><range start='10.214.19.50' "
                                               "end='10.214.19.51'/></dhcp></ip></network>");
    NetworkGuard guard(root, net);
    CliRun c = Virtwire({ "-r", r, "net-define", xml.c_str() });
    ASSERT_EQ(c.code, 0) << c.err;
    c = Virtwire({ "-r", r, "net-start", n });
    ASSERT_EQ(c.code, 0) << c.err;

    // Two domains that ran and stopped: "test" (defined) and one that is gone.
    c = Virtwire({ "-r", r, "-c", "test:///default", "attach-interface", "test", n, "--mac", mac,
                   "--config", "--print-domain" });
    ASSERT_EQ(c.code, 0) << c.err;
    std::string gone_xml = c.out;
    for (auto [from, to] : { std::pair<std::string, std::string>{ test_uuid, gone_uuid },
                             { mac, gone_mac },
                             { "<name>test</name>", "<name>gone</name>" } }) {
        size_t at = gone_xml.find(from);
        ASSERT_NE(at, std::string::npos) << from << " in\n" << gone_xml;
        for (; at != std::string::npos; at = gone_xml.find(from, at + to.size()))
            gone_xml.replace(at, from.size(), to);
    }
    for (const std::string &domain : { c.out, gone_xml }) {
        std::string err;
        ASSERT_EQ(Hook(root, { "x", "prepare", "begin", "-" }, domain, &err), 0) << err;
        ASSERT_EQ(Hook(root, { "x", "release", "end", "-" }, domain, &err), 0) << err;
    }

    c = Virtwire({ "-r", r, "-c", "test:///default", "--json", "net-leases", n });
    ASSERT_EQ(c.code, 0) << c.err;
    g_autoptr(JsonNode) leases = json_from_string(c.out.c_str(), nullptr);
    ASSERT_NE(leases, nullptr) << c.out;
    JsonArray *la = json_node_get_array(leases);
    ASSERT_EQ(json_array_get_length(la), 2u) << c.out;
    for (guint i = 0; i < 2; i++) {
        JsonObject *l = json_array_get_object_element(la, i);
        std::string m = json_object_get_string_member(l, "mac");
        EXPECT_EQ(json_object_get_boolean_member(l, "stale"), m == gone_mac) << c.out;
    }
    c = Virtwire({ "-r", r, "-c", "test:///default", "net-leases", n });
    EXPECT_TRUE(Contains(c.out, "Stale")) << c.out;
    // libvirt cannot say: unknown, with a warning, and still the leases
    c = Virtwire({ "-r", r, "-c", "vw-bogus:///", "--json", "net-leases", n });
    EXPECT_EQ(c.code, 0) << c.err;
    EXPECT_TRUE(Contains(c.out, "\"stale\": null")) << c.out;
    EXPECT_TRUE(Contains(c.err, "vw-bogus:///")) << c.err;

    // The range (two addresses) is full until gc releases the stale lease.
    c = Virtwire({ "-r", r, "-c", "test:///default", "--json", "gc" });
    EXPECT_EQ(c.code, 0) << c.err;
    EXPECT_TRUE(Contains(c.out, "\"leases_collected\": 1")) << c.out;
    c = Virtwire({ "-r", r, "-c", "test:///default", "--json", "net-leases", n });
    EXPECT_TRUE(Contains(c.out, mac)) << c.out;
    EXPECT_FALSE(Contains(c.out, gone_mac)) << c.out;
}

// net-dhcp-leases against a real DHCP exchange: busybox udhcpc in a scratch
// netns on the network's bridge, with the MAC of a <host> of the
// definition (dnsmasq answers only known MACs) and a host name of its own.
// The CLI shows dnsmasq's expiry (local time; epoch seconds in JSON) and
// the host name udhcpc sent, as dnsmasq's lease file has them.
TEST(CliKernel, NetDhcpLeasesShowsARealDhcpExchange)
{
    VW_REQUIRE_ROOT();
    if (!g_file_test("/usr/sbin/dnsmasq", G_FILE_TEST_IS_EXECUTABLE))
        GTEST_SKIP() << "machine lacks: /usr/sbin/dnsmasq (package dnsmasq-base)";
    if (vwtest::Run({ "busybox", "udhcpc", "--help" }).status < 0)
        GTEST_SKIP() << "machine lacks: busybox (udhcpc)";
    TempDir dir;
    ASSERT_TRUE(dir.ok());
    ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
    std::string root = dir.path() + "/root";
    g_autofree char *net_c = g_strdup_printf("vwd%x", (unsigned)getpid() & 0xffffff);
    std::string net = net_c;
    const char *r = root.c_str();
    const char *n = net.c_str();
    const char mac[] = "52:54:00:c1:30:01";
    std::string xml = dir.Write("net.xml", "<network><name>" + net +
                                               "</name><ip address='10.214.21.1' prefix='24'>"
                                               "<dhcp><host mac='" + mac +
                                               "' ip='10.214.21.7'/></dhcp></ip></network>");
    NetworkGuard guard(root, net);
    CliRun c = Virtwire({ "-r", r, "net-define", xml.c_str() });
    ASSERT_EQ(c.code, 0) << c.err;
    c = Virtwire({ "-r", r, "net-start", n });
    ASSERT_EQ(c.code, 0) << c.err;

    // The client: a scratch netns whose veth peer is on the bridge; deleted
    // even when the test fails (its veth pair goes with it).
    struct Client {
        std::string netns = vwtest::ScratchName("vwdc");
        std::string peer = vwtest::ScratchName("vwdp");
        ~Client() { vwtest::Run({ "ip", "netns", "del", netns }); }
    } client;
    std::string ns = "vw-" + net;
    ASSERT_EQ(vwtest::Run({ "ip", "netns", "add", client.netns }).status, 0);
    ASSERT_EQ(vwtest::Run({ "ip", "-n", ns, "link", "add", client.peer, "type", "veth", "peer",
                            "name", "eth0", "netns", client.netns })
                  .status,
              0);
    ASSERT_EQ(vwtest::Run({ "ip", "-n", client.netns, "link", "set", "eth0", "address", mac, "up" })
                  .status,
              0);
    ASSERT_EQ(
        vwtest::Run({ "ip", "-n", ns, "link", "set", client.peer, "master", "vwbr0", "up" }).status,
        0);
    vwtest::Cmd dhcp = vwtest::Run({ "ip", "netns", "exec", client.netns, "busybox", "udhcpc",
                                     "-i", "eth0", "-n", "-q", "-f", "-t", "5", "-T", "1", "-s",
                                     "/bin/true", "-x", "hostname:cli-guest" });
    ASSERT_TRUE(Contains(dhcp.out + dhcp.err, "lease of 10.214.21.7 obtained"))
        << dhcp.out << dhcp.err;

    // dnsmasq's own record of it.
    g_autofree char *text = nullptr;
    std::string file = root + "/run/virtwire/networks/" + net + "/leases";
    ASSERT_TRUE(g_file_get_contents(file.c_str(), &text, nullptr, nullptr)) << file;
    g_auto(GStrv) fields = g_strsplit(text, " ", 5);
    ASSERT_GE(g_strv_length(fields), 5u) << text;
    ASSERT_STREQ(fields[3], "cli-guest") << text;
    gint64 expiry = g_ascii_strtoll(fields[0], nullptr, 10);
    ASSERT_GT(expiry, 0) << text;

    c = Virtwire({ "-r", r, "--json", "net-dhcp-leases", n }, { "TZ=UTC" });
    ASSERT_EQ(c.code, 0) << c.err;
    g_autoptr(JsonNode) leases = json_from_string(c.out.c_str(), nullptr);
    ASSERT_NE(leases, nullptr) << c.out;
    JsonArray *la = json_node_get_array(leases);
    ASSERT_EQ(json_array_get_length(la), 1u) << c.out;
    JsonObject *l = json_array_get_object_element(la, 0);
    EXPECT_EQ(json_object_get_int_member(l, "expiry"), expiry) << c.out;
    g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc(expiry);
    g_autofree char *shown = g_date_time_format(when, "%Y-%m-%d %H:%M:%S");
    EXPECT_STREQ(json_object_get_string_member(l, "expiry_time"), shown) << c.out;
    EXPECT_STREQ(json_object_get_string_member(l, "hostname"), "cli-guest") << c.out;
    EXPECT_STREQ(json_object_get_string_member(l, "mac"), mac) << c.out;
    EXPECT_STREQ(json_object_get_string_member(l, "protocol"), "ipv4") << c.out;
    EXPECT_STREQ(json_object_get_string_member(l, "address"), "10.214.21.7/24") << c.out;

    c = Virtwire({ "-r", r, "net-dhcp-leases", n, mac }, { "TZ=UTC" });
    ASSERT_EQ(c.code, 0) << c.err;
    EXPECT_TRUE(Contains(c.out, std::string(" ") + shown + "   " + mac + "   ipv4       " +
                                    "10.214.21.7/24   cli-guest   "))
        << c.out;
    // virtwire's reservations are not DHCP's: no domain ever plugged here.
    c = Virtwire({ "-r", r, "--json", "net-leases", n });
    EXPECT_EQ(c.out, "[]\n");
}

// A running network redefined: net-dumpxml prints what it runs with, as
// libvirt does, --inactive the stored definition (the next start's).
TEST(CliKernel, NetDumpxmlInactiveShowsTheStoredDefinitionOfARunningNetwork)
{
    VW_REQUIRE_ROOT();
    if (!g_file_test("/usr/sbin/dnsmasq", G_FILE_TEST_IS_EXECUTABLE))
        GTEST_SKIP() << "machine lacks: /usr/sbin/dnsmasq (package dnsmasq-base)";
    TempDir dir;
    ASSERT_TRUE(dir.ok());
    ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
    std::string root = dir.path() + "/root";
    g_autofree char *net_c = g_strdup_printf("vwd%x", (unsigned)getpid() & 0xffffff);
    std::string net = net_c;
    const char *r = root.c_str();
    const char *n = net.c_str();
    std::string xml = dir.Write("net.xml", "<network><name>" + net +
                                               "</name><ip address='10.214.19.1' prefix='24'>"
                                               "<dhcp><range start='10.214.19.50' "
                                               "end='10.214.19.60'/></dhcp></ip></network>");
    NetworkGuard guard(root, net);

    CliRun c = Virtwire({ "-r", r, "net-define", xml.c_str() });
    ASSERT_EQ(c.code, 0) << c.err;
    c = Virtwire({ "-r", r, "net-start", n });
    ASSERT_EQ(c.code, 0) << c.err;
    c = Virtwire({ "-r", r, "net-dumpxml", "--inactive", n });
    ASSERT_EQ(c.code, 0) << c.err;
    std::string changed = c.out;
    size_t at = changed.find("10.214.19.60");
    ASSERT_NE(at, std::string::npos) << changed;
    changed.replace(at, 12, "10.214.19.90");
    c = Virtwire({ "-r", r, "net-define", dir.Write("changed.xml", changed).c_str() });
    ASSERT_EQ(c.code, 0) << c.err;

    c = Virtwire({ "-r", r, "net-dumpxml", n });
    EXPECT_TRUE(Contains(c.out, "end='10.214.19.60'")) << c.out;
    c = Virtwire({ "-r", r, "net-dumpxml", n, "--inactive" });
    EXPECT_TRUE(Contains(c.out, "end='10.214.19.90'")) << c.out;

    c = Virtwire({ "-r", r, "net-destroy", n });
    ASSERT_EQ(c.code, 0) << c.err;
    c = Virtwire({ "-r", r, "net-dumpxml", n });
    EXPECT_TRUE(Contains(c.out, "end='10.214.19.90'")) << "stopped: the stored one\n" << c.out;
}
