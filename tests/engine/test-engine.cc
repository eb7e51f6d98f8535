// The provisioning engine against the real kernel, dnsmasq, nftables and
// cgroups, in a temporary root.  Results are checked independently with
// ip/tc/nft and /proc; every test removes what it made, also on failure.
#include <config.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include "vw-engine.h"
#include "vw-engine-dhcp.h"
#include "vw-fault.h"
#include "vw-names.h"
#include "vw-netns.h"
#include "vw-engine-testutil.h"
#include "vw-net-testutil.h"

using namespace vwtest;

namespace
{

// Whether @name is in PATH.
bool
HaveProgram(const char *name)
{
    g_autofree char *path = g_find_program_in_path(name);
    return path != nullptr;
}

const char *kUuid1 = "5a1d3c2e-0000-4000-8000-000000000001";
const char *kMac1 = "52:54:00:aa:00:01";
const char *kUuid2 = "5a1d3c2e-0000-4000-8000-000000000002";
const char *kMac2 = "52:54:00:aa:00:02";

int g_counter = 0;

std::string
Slurp(const std::string &path)
{
    g_autofree char *text = nullptr;
    if (!g_file_get_contents(path.c_str(), &text, nullptr, nullptr))
        return "";
    return text;
}

bool
PathExists(const std::string &p)
{
    struct stat st;
    return lstat(p.c_str(), &st) == 0;
}

// The partition directory of a network in every cgroup hierarchy that
// exists here (the mapping libvirt uses without systemd).
std::vector<std::string>
PartitionDirs(const std::string &net)
{
    std::vector<std::string> out;
    g_autoptr(GDir) d = g_dir_open("/sys/fs/cgroup", 0, nullptr);
    const char *f;
    while (d && (f = g_dir_read_name(d))) {
        std::string base = std::string("/sys/fs/cgroup/") + f;
        out.push_back(base + "/virtwire.partition/" + net + ".partition");
    }
    out.push_back("/sys/fs/cgroup/virtwire.partition/" + net + ".partition");
    return out;
}

bool
AnyPartitionDir(const std::string &net)
{
    for (const auto &p : PartitionDirs(net))
        if (PathExists(p))
            return true;
    return false;
}

// Host links whose alias names this network.
std::vector<std::string>
HostLinksOf(const std::string &net)
{
    std::vector<std::string> out;
    g_autoptr(JsonNode) links = IpJson("", { "link", "show" });
    if (!links)
        return out;
    JsonArray *a = json_node_get_array(links);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        if (!json_object_has_member(o, "ifalias"))
            continue;
        std::string alias = json_object_get_string_member(o, "ifalias");
        if (alias.find(":" + net + ":") != std::string::npos)
            out.push_back(json_object_get_string_member(o, "ifname"));
    }
    return out;
}

bool
NetnsExists(const std::string &name)
{
    return PathExists("/run/netns/" + name);
}

bool
NftTableExists(const std::string &net)
{
    Cmd c = vwtest::Run({ "nft", "list", "table", "ip", "vw-" + net });
    return c.status == 0;
}

// Processes whose command line mentions @needle.
std::vector<pid_t>
ProcessesWith(const std::string &needle)
{
    std::vector<pid_t> out;
    g_autoptr(GDir) d = g_dir_open("/proc", 0, nullptr);
    const char *f;
    while (d && (f = g_dir_read_name(d))) {
        if (!g_ascii_isdigit(f[0]))
            continue;
        gsize len = 0;
        g_autofree char *cmd = nullptr;
        std::string path = std::string("/proc/") + f + "/cmdline";
        if (!g_file_get_contents(path.c_str(), &cmd, &len, nullptr) || len == 0)
            continue;
        for (gsize i = 0; i + 1 < len; i++)
            if (!cmd[i])
                cmd[i] = ' ';
        if (std::string(cmd, len).find(needle) != std::string::npos &&
            std::string(cmd, len).find("dnsmasq") != std::string::npos)
            out.push_back((pid_t)atoi(f));
    }
    return out;
}

int
CountRedirects(const std::string &dev, const std::string &to)
{
    g_autoptr(JsonNode) node = TcJson("", { "filter", "show", "dev", dev, "ingress" });
    if (!node)
        return -1;
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, node);
    g_autofree char *text = json_generator_to_data(gen, nullptr);
    std::string s(text);
    int n = 0;
    for (size_t pos = 0; (pos = s.find("\"to_dev\":\"" + to + "\"", pos)) != std::string::npos;
         pos++)
        n++;
    return n;
}

std::string
Driver()
{
    const char *d = g_getenv("VW_ENGINE_DRIVER");
    return d ? d : "";
}

class EngineTest : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        VW_REQUIRE_ROOT();
        VW_REQUIRE_ENGINE_DNSMASQ();
        ASSERT_TRUE(vwtest::ScratchEngine("vw-engine", &root_, &engine_));
    }

    void TearDown() override
    {
        if (!engine_)
            return;
        // Stop and undefine what the test left, collect leftovers, then
        // check that nothing of ours remains.
        for (const auto &n : nets_) {
            vw_engine_network_stop(engine_, n.c_str(), nullptr);
        }
        const char *none[] = { nullptr };
        g_autoptr(GError) error = nullptr;
        EXPECT_TRUE(vw_engine_reconcile(engine_, none, nullptr, &error))
            << (error ? error->message : "");
        for (const auto &n : nets_) {
            vw_engine_network_undefine(engine_, n.c_str(), nullptr);
            EXPECT_FALSE(NetnsExists("vw-" + n)) << n;
            EXPECT_TRUE(HostLinksOf(n).empty()) << n;
            EXPECT_FALSE(AnyPartitionDir(n)) << n;
            EXPECT_FALSE(NftTableExists(n)) << n;
        }
        EXPECT_TRUE(ProcessesWith(root_).empty());
        vw_engine_free(engine_);
        vwtest::Run({ "rm", "-rf", root_ });
    }

    // A fresh network name and its XML.
    std::string NewNet(const std::string &forward = "isolated", const std::string &extra = "")
    {
        int k = ++g_counter;
        std::string name = "vwe" + std::to_string(getpid()) + "x" + std::to_string(k);
        nets_.push_back(name);
        subnet_ = "10." + std::to_string(200 + getpid() % 50) + "." + std::to_string(k);
        xml_ = "<network><name>" + name + "</name>" + "<forward mode='" + forward + "'/>" +
               "<ip family='ipv4' address='" + subnet_ + ".1' prefix='24'><dhcp><range start='" +
               subnet_ + ".100' end='" + subnet_ + ".199'/>" + extra + "</dhcp></ip></network>";
        return name;
    }

    std::string Define(const std::string &forward = "isolated", const std::string &extra = "")
    {
        std::string name = NewNet(forward, extra);
        g_autoptr(GError) error = nullptr;
        g_autofree char *got = vw_engine_network_define(engine_, xml_.c_str(), &error);
        EXPECT_NE(got, nullptr) << (error ? error->message : "");
        return name;
    }

    std::string Started(const std::string &forward = "isolated", const std::string &extra = "")
    {
        std::string name = Define(forward, extra);
        g_autoptr(GError) error = nullptr;
        EXPECT_TRUE(vw_engine_network_start(engine_, name.c_str(), &error))
            << (error ? error->message : "");
        return name;
    }

    // A port of domain "dom" without a tap owner; @net must outlive it.
    static VwPortRequest Request(const std::string &net, const char *uuid, const char *mac)
    {
        VwPortRequest req = {};
        req.network = net.c_str();
        req.domain_uuid = uuid;
        req.domain_name = "dom";
        req.mac = mac;
        req.owner = (uid_t)-1;
        req.group = (gid_t)-1;
        return req;
    }

    VwPortInfo *Plug(const std::string &net, const char *uuid, const char *mac, GError **error)
    {
        VwPortRequest req = Request(net, uuid, mac);
        return vw_engine_port_plug(engine_, &req, error);
    }

    int RunDriver(const std::vector<std::string> &args, const std::string &fault = "",
                  std::string *out = nullptr)
    {
        std::vector<std::string> argv = { Driver(), root_ };
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<char *> cargv;
        for (auto &a : argv)
            cargv.push_back(const_cast<char *>(a.c_str()));
        cargv.push_back(nullptr);
        g_auto(GStrv) env = g_get_environ();
        if (!fault.empty())
            env = g_environ_setenv(env, VW_FAULT_ENV, fault.c_str(), TRUE);
        g_autofree char *sout = nullptr;
        g_autofree char *serr = nullptr;
        int status = -1;
        g_autoptr(GError) error = nullptr;
        if (!g_spawn_sync(nullptr, cargv.data(), env, G_SPAWN_DEFAULT, nullptr, nullptr, &sout,
                          &serr, &status, &error))
            return -1;
        if (out)
            *out = sout;
        if (!WIFEXITED(status))
            return -1;
        return WEXITSTATUS(status);
    }

    // Whether the network is whole, checked with ip, /proc and the files.
    void ExpectNetworkWhole(const std::string &net)
    {
        std::string ns = "vw-" + net;
        ASSERT_TRUE(NetnsExists(ns));
        g_autoptr(JsonObject) br = IpLink(ns, "vwbr0");
        ASSERT_NE(br, nullptr);
        g_autoptr(JsonNode) addrs = IpJson(ns, { "addr", "show", "dev", "vwbr0" });
        ASSERT_NE(addrs, nullptr);
        g_autoptr(JsonGenerator) gen = json_generator_new();
        json_generator_set_root(gen, addrs);
        g_autofree char *text = json_generator_to_data(gen, nullptr);
        EXPECT_NE(std::string(text).find(subnet_ + ".1"), std::string::npos) << text;
        std::vector<pid_t> dns = ProcessesWith(root_ + "/run/virtwire/networks/" + net + "/");
        ASSERT_EQ(dns.size(), 1u);
        // dnsmasq lives in the network's netns and in the partition's leaf.
        struct stat a, b;
        ASSERT_EQ(stat(("/proc/" + std::to_string(dns[0]) + "/ns/net").c_str(), &a), 0);
        ASSERT_EQ(stat(("/run/netns/" + ns).c_str(), &b), 0);
        EXPECT_EQ(a.st_ino, b.st_ino);
        std::string cg = Slurp("/proc/" + std::to_string(dns[0]) + "/cgroup");
        EXPECT_NE(cg.find("virtwire.partition/" + net + ".partition/dnsmasq"), std::string::npos)
            << cg;
        g_autoptr(GError) error = nullptr;
        g_autoptr(VwNetworkInfo) info = vw_engine_network_info(engine_, net.c_str(), &error);
        ASSERT_NE(info, nullptr);
        EXPECT_TRUE(info->active);
    }

    // Whether the port is whole: links up where they belong, redirects.
    void ExpectPortWhole(const std::string &net, const VwPortInfo *p)
    {
        g_autoptr(JsonObject) tap = IpLink("", p->tap);
        g_autoptr(JsonObject) host = IpLink("", p->host);
        g_autoptr(JsonObject) peer = IpLink("vw-" + net, p->peer);
        ASSERT_NE(tap, nullptr);
        ASSERT_NE(host, nullptr);
        ASSERT_NE(peer, nullptr);
        EXPECT_STREQ(json_object_get_string_member(peer, "master"), "vwbr0");
        EXPECT_EQ(CountRedirects(p->tap, p->host), 1);
        EXPECT_EQ(CountRedirects(p->host, p->tap), 1);
        std::string alias = json_object_get_string_member(tap, "ifalias");
        EXPECT_NE(alias.find(p->domain_uuid), std::string::npos);
        // No IPv6 of their own on the links that carry the guest's frames.
        EXPECT_EQ(vwtest::Sysctl("", "net/ipv6/conf/" + std::string(p->tap) + "/disable_ipv6"),
                  "1");
        EXPECT_EQ(vwtest::Sysctl("", "net/ipv6/conf/" + std::string(p->host) + "/disable_ipv6"),
                  "1");
        EXPECT_EQ(
            vwtest::Sysctl("vw-" + net, "net/ipv6/conf/" + std::string(p->peer) + "/disable_ipv6"),
            "1");
    }

    bool engine_net_active(const std::string &net)
    {
        g_autoptr(VwNetworkInfo) info = vw_engine_network_info(engine_, net.c_str(), nullptr);
        return info && info->active;
    }

    // The identity the engine gives network @net of this root.
    std::string Alias(const std::string &net)
    {
        g_autoptr(GError) error = nullptr;
        VwNetDef *def = vw_engine_network_get_def(engine_, net.c_str(), &error);
        if (!def)
            return "";
        g_autofree char *sum =
            g_compute_checksum_for_string(G_CHECKSUM_SHA256, vw_engine_get_root(engine_), -1);
        std::string alias = "virtwire:network:" + std::string(sum, 8) + ":" + net + ":" + def->uuid;
        vw_netdef_free(def);
        return alias;
    }

    std::string BridgeMac(const std::string &net)
    {
        g_autoptr(JsonObject) br = IpLink("vw-" + net, "vwbr0");
        return br ? json_object_get_string_member(br, "address") : "";
    }

    std::string root_;
    VwEngine *engine_ = nullptr;
    std::vector<std::string> nets_;
    std::string subnet_;
    std::string xml_;
};

// ------------------------------------------------------------ networks

TEST_F(EngineTest, NetworkStartMakesEverythingAndStopRemovesIt)
{
    std::string net = Started();
    ExpectNetworkWhole(net);
    g_autoptr(GError) error = nullptr;
    const std::string mac = BridgeMac(net);
    // An IPv4-only network: the bridge has no IPv6, nor do links made later
    // in the netns; lo keeps it.
    EXPECT_EQ(vwtest::Sysctl("vw-" + net, "net/ipv6/conf/vwbr0/disable_ipv6"), "1");
    EXPECT_EQ(vwtest::Sysctl("vw-" + net, "net/ipv6/conf/default/disable_ipv6"), "1");
    EXPECT_EQ(vwtest::Sysctl("vw-" + net, "net/ipv6/conf/lo/disable_ipv6"), "0");
    ASSERT_TRUE(vw_engine_network_stop(engine_, net.c_str(), &error)) << error->message;
    ASSERT_TRUE(vw_engine_network_start(engine_, net.c_str(), &error)) << error->message;
    EXPECT_EQ(BridgeMac(net), mac);
    ASSERT_TRUE(vw_engine_network_stop(engine_, net.c_str(), &error)) << error->message;
    EXPECT_FALSE(NetnsExists("vw-" + net));
    EXPECT_FALSE(AnyPartitionDir(net));
    EXPECT_TRUE(ProcessesWith(root_).empty());
    EXPECT_FALSE(PathExists(root_ + "/run/virtwire/networks/" + net));
    // The definition stays.
    g_autoptr(VwNetworkInfo) info = vw_engine_network_info(engine_, net.c_str(), &error);
    ASSERT_NE(info, nullptr) << error->message;
    EXPECT_FALSE(info->active);
}

// Links planted in a network's run folder (to a victim's folder and file)
// are removed by stop, never followed: the victim's files survive.
TEST_F(EngineTest, StopRemovesLinksInTheRunFolderNotWhatTheyPointTo)
{
    std::string net = Started();
    g_autoptr(GError) error = nullptr;
    g_autofree char *victim_c = g_dir_make_tmp("vw-engine-victim-XXXXXX", &error);
    ASSERT_NE(victim_c, nullptr) << error->message;
    std::string victim = victim_c;
    struct VictimGuard {
        std::string path;
        ~VictimGuard()
        {
            vwtest::Run({ "rm", "-rf", path });
        }
    } victim_guard{ victim };
    ASSERT_TRUE(g_file_set_contents((victim + "/precious").c_str(), "keep", -1, nullptr));
    std::string run = root_ + "/run/virtwire/networks/" + net;
    ASSERT_EQ(g_mkdir_with_parents((run + "/ports").c_str(), 0755), 0);
    ASSERT_EQ(symlink(victim.c_str(), (run + "/victim-dir").c_str()), 0);
    ASSERT_EQ(symlink(victim.c_str(), (run + "/ports/victim-dir").c_str()), 0);
    ASSERT_EQ(symlink((victim + "/precious").c_str(), (run + "/victim-file").c_str()), 0);

    EXPECT_TRUE(vw_engine_network_stop(engine_, net.c_str(), &error))
        << (error ? error->message : "");
    EXPECT_EQ(Slurp(victim + "/precious"), "keep");
    EXPECT_FALSE(PathExists(run));
}

// A dangling link in place of a port's record is not an absent port: unplug
// refuses it naming it (it used to pass for "already unplugged"), and
// nothing is made where it points.
TEST_F(EngineTest, LinkInPlaceOfAPortRecordIsRefusedNotFollowed)
{
    std::string net = Started();
    g_autoptr(GError) error = nullptr;
    g_autofree char *victim_c = g_dir_make_tmp("vw-engine-victim-XXXXXX", &error);
    ASSERT_NE(victim_c, nullptr) << error->message;
    std::string victim = victim_c;
    struct VictimGuard {
        std::string path;
        ~VictimGuard()
        {
            vwtest::Run({ "rm", "-rf", path });
        }
    } victim_guard{ victim };
    std::string ports = root_ + "/run/virtwire/networks/" + net + "/ports";
    ASSERT_EQ(g_mkdir_with_parents(ports.c_str(), 0755), 0);
    std::string mac = kMac1;
    for (char &c : mac)
        if (c == ':')
            c = '-';
    std::string record = ports + "/" + kUuid1 + "_" + mac + ".json";
    ASSERT_EQ(symlink((victim + "/made").c_str(), record.c_str()), 0);

    EXPECT_FALSE(vw_engine_port_unplug(engine_, net.c_str(), kUuid1, kMac1, &error))
        << "a dangling link passed for an absent port";
    if (error) {
        EXPECT_NE(strstr(error->message, record.c_str()), nullptr) << error->message;
        EXPECT_NE(strstr(error->message, "symbolic link"), nullptr) << error->message;
    }
    g_clear_error(&error);
    EXPECT_FALSE(PathExists(victim + "/made"));
    ASSERT_EQ(unlink(record.c_str()), 0);
    ASSERT_TRUE(vw_engine_network_stop(engine_, net.c_str(), &error)) << error->message;
}

TEST_F(EngineTest, DualStackNetworkKeepsIpv6OnItsBridgeOnly)
{
    std::string name = NewNet();
    g_autoptr(GError) error = nullptr;
    const std::string v6 = "fd00:76:77:" + std::to_string(g_counter) + "::";
    xml_.insert(xml_.find("</network>"), "<ip family='ipv6' address='" + v6 + "1' prefix='64'/>");
    g_autofree char *got = vw_engine_network_define(engine_, xml_.c_str(), &error);
    ASSERT_NE(got, nullptr) << error->message;
    ASSERT_TRUE(vw_engine_network_start(engine_, name.c_str(), &error)) << error->message;
    EXPECT_EQ(vwtest::Sysctl("vw-" + name, "net/ipv6/conf/vwbr0/disable_ipv6"), "0");
    vwtest::Cmd a = vwtest::Run({ "ip", "-n", "vw-" + name, "-6", "addr", "show", "dev", "vwbr0" });
    EXPECT_NE(a.out.find(v6 + "1/64"), std::string::npos) << a.out;
    g_autoptr(VwPortInfo) p = Plug(name, kUuid1, kMac1, &error);
    ASSERT_NE(p, nullptr) << error->message;
    ExpectPortWhole(name, p);
    ASSERT_TRUE(vw_engine_port_unplug(engine_, name.c_str(), kUuid1, kMac1, &error))
        << error->message;
    ASSERT_TRUE(vw_engine_network_stop(engine_, name.c_str(), &error)) << error->message;
}

// What virsh net-dumpxml prints defines a network: its <mac> becomes the
// bridge's MAC, its netmask the prefix, and what virtwire does not use is
// named in the one warning and dropped (the stored form drops nothing more).
TEST_F(EngineTest, LibvirtXmlIsDefinedWithItsMacOnTheBridgeAndAWarning)
{
    std::string name = NewNet();
    g_autoptr(GError) error = nullptr;
    const std::string xml = "<network connections='3'><name>" + name + "</name>" +
                            "<bridge name='vwbr0' stp='off' delay='0'/>" +
                            "<mac address='52:54:00:AB:CD:EF'/>" + "<ip address='" + subnet_ +
                            ".1' netmask='255.255.255.0'><dhcp><range start='" + subnet_ +
                            ".100' end='" + subnet_ + ".199'/></dhcp></ip></network>";
    g_autofree char *warning = nullptr;
    g_autofree char *got = vw_engine_network_define_full(engine_, xml.c_str(), &warning, &error);
    ASSERT_NE(got, nullptr) << error->message;
    EXPECT_STREQ(warning, "ignored what virtwire does not use: connections='3', delay='0'");
    ASSERT_TRUE(vw_engine_network_start(engine_, name.c_str(), &error)) << error->message;
    EXPECT_EQ(BridgeMac(name), "52:54:00:ab:cd:ef");
    vwtest::Cmd a = vwtest::Run({ "ip", "-n", "vw-" + name, "-4", "addr", "show", "dev", "vwbr0" });
    EXPECT_NE(a.out.find(subnet_ + ".1/24"), std::string::npos) << a.out;
    ASSERT_TRUE(vw_engine_network_stop(engine_, name.c_str(), &error)) << error->message;

    // Defined again from what virtwire stored: nothing to warn about.
    g_autoptr(VwNetDef) def = vw_engine_network_get_def(engine_, name.c_str(), &error);
    ASSERT_NE(def, nullptr) << error->message;
    g_autofree char *stored = vw_netdef_format(def);
    g_autofree char *again_warning = nullptr;
    g_autofree char *again = vw_engine_network_define_full(engine_, stored, &again_warning, &error);
    ASSERT_NE(again, nullptr) << error->message;
    EXPECT_EQ(again_warning, nullptr) << again_warning;
}

// A network is named by its name or its UUID (any case); what is neither
// (a path, an unknown UUID) is refused naming it, before it becomes a path.
TEST_F(EngineTest, NetworkIsResolvedByNameOrUuidAndAPathIsNoName)
{
    std::string name = Define();
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwNetDef) def = vw_engine_network_get_def(engine_, name.c_str(), &error);
    ASSERT_NE(def, nullptr) << error->message;
    g_autofree char *by_name = vw_engine_network_resolve(engine_, name.c_str(), &error);
    EXPECT_STREQ(by_name, name.c_str());
    g_autofree char *upper = g_ascii_strup(def->uuid, -1);
    g_autofree char *by_uuid = vw_engine_network_resolve(engine_, upper, &error);
    EXPECT_STREQ(by_uuid, name.c_str());

    for (const char *bad : { "../etc", "a/b", "..", "" }) {
        g_autofree char *got = vw_engine_network_resolve(engine_, bad, &error);
        EXPECT_EQ(got, nullptr) << bad;
        EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INVALID))
            << bad << ": " << (error ? error->message : "no error");
        g_clear_error(&error);
        g_autoptr(GPtrArray) leases = vw_engine_dhcp_lease_list(engine_, bad, nullptr, &error);
        EXPECT_EQ(leases, nullptr) << bad;
        EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INVALID))
            << bad << ": " << (error ? error->message : "no error");
        g_clear_error(&error);
    }
    const char *unknown = "6695eb01-f6a4-8304-79aa-97f2502e0000";
    g_autofree char *none = vw_engine_network_resolve(engine_, unknown, &error);
    EXPECT_EQ(none, nullptr);
    ASSERT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_NOT_FOUND));
    EXPECT_NE(strstr(error->message, unknown), nullptr) << error->message;
}

TEST_F(EngineTest, NetworkStateIsRefusedWhenItDoesNotFit)
{
    std::string net = Started();
    g_autoptr(GError) error = nullptr;
    EXPECT_FALSE(vw_engine_network_start(engine_, net.c_str(), &error));
    EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_ACTIVE));
    EXPECT_NE(strstr(error->message, net.c_str()), nullptr);
    g_clear_error(&error);
    EXPECT_FALSE(vw_engine_network_undefine(engine_, net.c_str(), &error));
    EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_ACTIVE));
    g_clear_error(&error);
    ASSERT_TRUE(vw_engine_network_stop(engine_, net.c_str(), &error)) << error->message;
    EXPECT_FALSE(vw_engine_network_stop(engine_, net.c_str(), &error));
    EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INACTIVE));
    g_clear_error(&error);
    EXPECT_FALSE(vw_engine_network_start(engine_, "nosuchnet", &error));
    EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_NOT_FOUND));
    EXPECT_NE(strstr(error->message, "nosuchnet"), nullptr);
    g_clear_error(&error);
    EXPECT_FALSE(vw_engine_network_start(engine_, "../etc", &error));
    EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INVALID));
    EXPECT_NE(strstr(error->message, "../etc"), nullptr);
}

TEST_F(EngineTest, DefineRefusesClashesAndChangesNothing)
{
    std::string net = Define();
    std::string first_xml = xml_;
    std::string defs = root_ + "/etc/virtwire/networks/";
    g_autoptr(GError) error = nullptr;

    // Same subnet under another name.
    std::string other = "vwe" + std::to_string(getpid()) + "clash";
    std::string clash = first_xml;
    clash.replace(clash.find(net), net.size(), other);
    EXPECT_EQ(vw_engine_network_define(engine_, clash.c_str(), &error), nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS));
    EXPECT_NE(strstr(error->message, net.c_str()), nullptr) << error->message;
    EXPECT_FALSE(PathExists(defs + other + ".xml"));
    g_clear_error(&error);

    // Same name, another UUID.
    g_autoptr(VwNetDef) def = vw_engine_network_get_def(engine_, net.c_str(), &error);
    ASSERT_NE(def, nullptr);
    std::string again = first_xml;
    again.insert(again.find("<forward"), "<uuid>0e4b1c8a-1111-4222-8333-944455556666</uuid>");
    EXPECT_EQ(vw_engine_network_define(engine_, again.c_str(), &error), nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS));
    g_clear_error(&error);

    // Invalid XML names the offending value.
    EXPECT_EQ(vw_engine_network_define(engine_, "<network><name>a/b</name></network>", &error),
              nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INVALID));
    EXPECT_NE(strstr(error->message, "a/b"), nullptr) << error->message;
    g_clear_error(&error);

    // The first definition is unchanged; redefining with its own UUID works.
    g_autoptr(VwNetDef) def2 = vw_engine_network_get_def(engine_, net.c_str(), &error);
    ASSERT_NE(def2, nullptr);
    EXPECT_TRUE(vw_netdef_equal(def, def2));
    g_autofree char *text = vw_netdef_format(def);
    g_autofree char *name = vw_engine_network_define(engine_, text, &error);
    EXPECT_NE(name, nullptr) << (error ? error->message : "");
}

TEST_F(EngineTest, AutostartStartsMarkedNetworks)
{
    std::string a = Define();
    std::string b = Define();
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_engine_network_set_autostart(engine_, a.c_str(), TRUE, &error));
    ASSERT_TRUE(vw_engine_autostart(engine_, &error)) << error->message;
    g_autoptr(VwNetworkInfo) ia = vw_engine_network_info(engine_, a.c_str(), &error);
    g_autoptr(VwNetworkInfo) ib = vw_engine_network_info(engine_, b.c_str(), &error);
    EXPECT_TRUE(ia->active && ia->autostart);
    EXPECT_FALSE(ib->active || ib->autostart);
    ASSERT_TRUE(vw_engine_network_set_autostart(engine_, a.c_str(), FALSE, &error));
    g_autoptr(GPtrArray) list = vw_engine_network_list(engine_, &error);
    ASSERT_NE(list, nullptr);
    EXPECT_EQ(list->len, 2u);
}

// ------------------------------------------------------------ ports

TEST_F(EngineTest, PlugMakesAWholePortAndTwiceIsOnePort)
{
    std::string net = Started();
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwPortInfo) p = Plug(net, kUuid1, kMac1, &error);
    ASSERT_NE(p, nullptr) << error->message;
    ExpectPortWhole(net, p);
    ASSERT_NE(p->ipv4, nullptr);
    EXPECT_EQ(std::string(p->ipv4), subnet_ + ".100");
    EXPECT_EQ(std::string(p->tap).substr(0, 4), "vwt-");
    // dnsmasq's host list has the lease.
    std::string hosts = Slurp(root_ + "/run/virtwire/networks/" + net + "/dhcp-hosts");
    EXPECT_NE(hosts.find(kMac1), std::string::npos) << hosts;

    // The bridge (the guests' gateway) keeps one MAC as ports come and go,
    // and the same one on every start of the network.
    const std::string mac = BridgeMac(net);
    EXPECT_EQ(mac.substr(0, 3), "02:");
    g_autoptr(VwPortInfo) other = Plug(net, kUuid2, kMac2, &error);
    ASSERT_NE(other, nullptr) << error->message;
    EXPECT_EQ(BridgeMac(net), mac);
    ASSERT_TRUE(vw_engine_port_unplug(engine_, net.c_str(), kUuid2, kMac2, &error))
        << error->message;
    EXPECT_EQ(BridgeMac(net), mac);

    g_autoptr(VwPortInfo) again = Plug(net, kUuid1, kMac1, &error);
    ASSERT_NE(again, nullptr) << error->message;
    EXPECT_STREQ(again->tap, p->tap);
    EXPECT_STREQ(again->ipv4, p->ipv4);
    EXPECT_EQ(CountRedirects(p->tap, p->host), 1);
    g_autoptr(GPtrArray) ports = vw_engine_port_list(engine_, net.c_str(), &error);
    ASSERT_NE(ports, nullptr);
    EXPECT_EQ(ports->len, 1u);
}

TEST_F(EngineTest, UnplugKeepsTheLeaseAndReleaseFreesIt)
{
    std::string net = Started();
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwPortInfo) p = Plug(net, kUuid1, kMac1, &error);
    ASSERT_NE(p, nullptr) << error->message;
    EXPECT_TRUE(p->lease_created); // the domain had no lease: this plug made it
    ASSERT_TRUE(vw_engine_port_unplug(engine_, net.c_str(), kUuid1, kMac1, &error));
    EXPECT_EQ(IpLink("", p->tap), nullptr);
    EXPECT_EQ(IpLink("", p->host), nullptr);
    EXPECT_EQ(IpLink("vw-" + net, p->peer), nullptr);
    // Absent: still success.
    EXPECT_TRUE(vw_engine_port_unplug(engine_, net.c_str(), kUuid1, kMac1, &error));
    // Another domain plugged meanwhile does not take the kept address.
    g_autoptr(VwPortInfo) other =
        Plug(net, "5a1d3c2e-0000-4000-8000-000000000002", "52:54:00:aa:00:02", &error);
    ASSERT_NE(other, nullptr) << error->message;
    EXPECT_STRNE(other->ipv4, p->ipv4);
    g_autoptr(VwPortInfo) back = Plug(net, kUuid1, kMac1, &error);
    ASSERT_NE(back, nullptr) << error->message;
    EXPECT_STREQ(back->ipv4, p->ipv4);
    EXPECT_FALSE(back->lease_created); // the kept lease, not a new one
    g_autoptr(VwPortInfo) twice = Plug(net, kUuid1, kMac1, &error);
    ASSERT_NE(twice, nullptr) << error->message;
    EXPECT_FALSE(twice->lease_created);
    // Release: port and lease gone; the address is free again.
    ASSERT_TRUE(vw_engine_port_release(engine_, net.c_str(), kUuid1, nullptr, &error));
    g_autoptr(GPtrArray) leases = vw_engine_lease_list(engine_, net.c_str(), &error);
    ASSERT_NE(leases, nullptr);
    EXPECT_EQ(leases->len, 1u);
    g_autoptr(VwPortInfo) third =
        Plug(net, "5a1d3c2e-0000-4000-8000-000000000003", "52:54:00:aa:00:03", &error);
    ASSERT_NE(third, nullptr);
    EXPECT_STREQ(third->ipv4, p->ipv4);
}

// Several ports of a domain plugged in one call: one lease save, one
// dnsmasq update; twice is the same ports; a failing port undoes the ports
// this call made and leaves the ports that were whole before.
TEST_F(EngineTest, PortsPluggedTogetherAreWholeAndAFailureUndoesOnlyThem)
{
    std::string net = Started();
    g_autoptr(GError) error = nullptr;
    const std::string hosts_path = root_ + "/run/virtwire/networks/" + net + "/dhcp-hosts";
    const char *kMac3 = "52:54:00:aa:00:03";
    const char *kMac4 = "52:54:00:aa:00:04";
    auto request = [&](const std::string &network, const char *mac) {
        return Request(network, kUuid1, mac);
    };
    guint failed = 0;
    auto lease_count = [&]() {
        g_autoptr(GError) e = nullptr;
        g_autoptr(GPtrArray) leases = vw_engine_lease_list(engine_, net.c_str(), &e);
        return leases ? (int)leases->len : -1;
    };

    VwPortRequest two[] = { request(net, kMac1), request(net, kMac2) };
    g_autoptr(GPtrArray) ports = vw_engine_ports_plug(engine_, two, 2, nullptr, &error);
    ASSERT_NE(ports, nullptr) << error->message;
    ASSERT_EQ(ports->len, 2u);
    const VwPortInfo *p1 = (const VwPortInfo *)ports->pdata[0];
    const VwPortInfo *p2 = (const VwPortInfo *)ports->pdata[1];
    EXPECT_STREQ(p1->mac, kMac1);
    EXPECT_STREQ(p2->mac, kMac2);
    EXPECT_TRUE(p1->lease_created);
    EXPECT_TRUE(p2->lease_created);
    EXPECT_EQ(std::string(p1->ipv4), subnet_ + ".100");
    EXPECT_EQ(std::string(p2->ipv4), subnet_ + ".101");
    ExpectPortWhole(net, p1);
    ExpectPortWhole(net, p2);
    EXPECT_EQ(lease_count(), 2);
    std::string hosts = Slurp(hosts_path);
    EXPECT_NE(hosts.find(kMac1), std::string::npos) << hosts;
    EXPECT_NE(hosts.find(kMac2), std::string::npos) << hosts;
    g_autoptr(JsonObject) tap_before = IpLink("", p1->tap);
    ASSERT_NE(tap_before, nullptr);

    // Twice: the same ports, nothing made.
    g_autoptr(GPtrArray) again = vw_engine_ports_plug(engine_, two, 2, nullptr, &error);
    ASSERT_NE(again, nullptr) << error->message;
    EXPECT_FALSE(((const VwPortInfo *)again->pdata[0])->lease_created);
    EXPECT_FALSE(((const VwPortInfo *)again->pdata[1])->lease_created);
    EXPECT_STREQ(((const VwPortInfo *)again->pdata[1])->ipv4, p2->ipv4);
    g_autoptr(JsonObject) tap_after = IpLink("", p1->tap);
    ASSERT_NE(tap_after, nullptr);
    EXPECT_EQ(json_object_get_int_member(tap_after, "ifindex"),
              json_object_get_int_member(tap_before, "ifindex"));
    EXPECT_EQ(Slurp(hosts_path), hosts);

    // Refusals name the value and change nothing.
    std::string other = Started();
    VwPortRequest bad_mac[] = { request(net, kMac3), request(net, "52:54:00:zz:00:04") };
    VwPortRequest two_nets[] = { request(net, kMac3), request(other, kMac4) };
    VwPortRequest twice[] = { request(net, kMac3), request(net, "52:54:00:AA:00:03") };
    EXPECT_EQ(vw_engine_ports_plug(engine_, bad_mac, 2, &failed, &error), nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find("52:54:00:zz:00:04"), std::string::npos)
        << error->message;
    EXPECT_EQ(failed, 1u);
    g_clear_error(&error);
    EXPECT_EQ(vw_engine_ports_plug(engine_, two_nets, 2, &failed, &error), nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INVALID));
    EXPECT_NE(std::string(error->message).find(other), std::string::npos) << error->message;
    EXPECT_EQ(failed, 1u);
    g_clear_error(&error);
    EXPECT_EQ(vw_engine_ports_plug(engine_, twice, 2, &failed, &error), nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find(kMac3), std::string::npos) << error->message;
    EXPECT_EQ(failed, 1u);
    g_clear_error(&error);
    std::string down = Define(); // defined, not started
    VwPortRequest inactive[] = { request(down, kMac3) };
    EXPECT_EQ(vw_engine_ports_plug(engine_, inactive, 1, &failed, &error), nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INACTIVE))
        << error->message;
    EXPECT_EQ(failed, 1u); // the network, no port in particular
    g_clear_error(&error);
    EXPECT_EQ(lease_count(), 2);
    EXPECT_EQ(Slurp(hosts_path), hosts);

    // kMac3's plug was interrupted after its lease was saved: the journal
    // says the lease is new.
    ASSERT_EQ(RunDriver({ "plug", net, kUuid1, kMac3 }, "port-plug:lease"), VW_FAULT_EXIT_CODE);
    ASSERT_EQ(lease_count(), 3);

    // The last port's tap name is a foreign link's: the ports of this call
    // go, with the leases this call or the interrupted plug made; the port
    // that was whole stays; the foreign link is untouched.
    std::string foreign = ScratchName("vwfor");
    LinkGuard guard(foreign);
    ASSERT_EQ(vwtest::Run({ "ip", "tuntap", "add", "dev", foreign, "mode", "tap" }).status, 0);
    VwPortRequest three[] = { request(net, kMac1), request(net, kMac3), request(net, kMac4) };
    three[2].tap = foreign.c_str();
    EXPECT_EQ(vw_engine_ports_plug(engine_, three, 3, &failed, &error), nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(strstr(error->message, foreign.c_str()), nullptr) << error->message;
    EXPECT_EQ(failed, 2u);
    g_clear_error(&error);
    ExpectPortWhole(net, p1);
    EXPECT_EQ(lease_count(), 2);
    EXPECT_EQ(Slurp(hosts_path), hosts);
    g_autoptr(GPtrArray) listed = vw_engine_port_list(engine_, net.c_str(), &error);
    ASSERT_NE(listed, nullptr) << error->message;
    EXPECT_EQ(listed->len, 2u);
    EXPECT_NE(IpLink("", foreign), nullptr);
    VwPortNames names;
    ASSERT_TRUE(vw_port_names(kUuid1, kMac3, &names, nullptr));
    EXPECT_EQ(IpLink("", names.tap), nullptr);
    EXPECT_EQ(IpLink("", names.host), nullptr);
}

TEST_F(EngineTest, PlugWhoseLeaseCannotBeWrittenLeavesNothing)
{
    std::string net = Started();
    g_autoptr(GError) error = nullptr;
    const std::string dir = root_ + "/var/lib/virtwire/leases";
    g_autoptr(VwPortInfo) first = Plug(net, kUuid1, kMac1, &error);
    ASSERT_NE(first, nullptr) << error->message;
    const std::string before = Slurp(dir + "/" + net + ".json");
    ASSERT_FALSE(before.empty());
    // An immutable directory: not even root can create the temporary file.
    if (vwtest::Run({ "chattr", "+i", dir }).status != 0)
        GTEST_SKIP() << "machine lacks: chattr +i on " << dir << " (e2fsprogs, ext4)";
    struct Unfreeze {
        std::string d;
        ~Unfreeze() { vwtest::Run({ "chattr", "-i", d }); }
    } unfreeze{ dir };

    g_autoptr(VwPortInfo) p = Plug(net, kUuid2, kMac2, &error);
    ASSERT_EQ(p, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find(dir), std::string::npos) << error->message;
    VwPortNames names;
    ASSERT_TRUE(vw_port_names(kUuid2, kMac2, &names, nullptr));
    EXPECT_EQ(IpLink("", names.tap), nullptr);
    EXPECT_EQ(IpLink("", names.host), nullptr);
    EXPECT_EQ(IpLink("vw-" + net, names.peer), nullptr);
    g_autoptr(GPtrArray) ports = vw_engine_port_list(engine_, net.c_str(), &error);
    ASSERT_NE(ports, nullptr);
    EXPECT_EQ(ports->len, 1u);
    EXPECT_EQ(Slurp(dir + "/" + net + ".json"), before);
}

TEST_F(EngineTest, PlugRefusesBadInputAndInactiveNetworks)
{
    std::string net = Define();
    g_autoptr(GError) error = nullptr;
    EXPECT_EQ(Plug(net, kUuid1, kMac1, &error), nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INACTIVE));
    g_clear_error(&error);
    ASSERT_TRUE(vw_engine_network_start(engine_, net.c_str(), &error)) << error->message;
    EXPECT_EQ(Plug(net, "not-a-uuid", kMac1, &error), nullptr);
    EXPECT_NE(strstr(error->message, "not-a-uuid"), nullptr) << error->message;
    g_clear_error(&error);
    EXPECT_EQ(Plug(net, kUuid1, "52:54:00:zz:00:01", &error), nullptr);
    EXPECT_NE(strstr(error->message, "52:54:00:zz:00:01"), nullptr) << error->message;
    g_clear_error(&error);
    EXPECT_EQ(Plug("no/such", kUuid1, kMac1, &error), nullptr);
    EXPECT_NE(strstr(error->message, "no/such"), nullptr) << error->message;
    g_clear_error(&error);
    VwPortRequest req = {};
    req.network = net.c_str();
    req.domain_uuid = kUuid1;
    req.mac = kMac1;
    req.tap = "a-very-long-tap-name";
    req.owner = (uid_t)-1;
    req.group = (gid_t)-1;
    EXPECT_EQ(vw_engine_port_plug(engine_, &req, &error), nullptr);
    EXPECT_NE(strstr(error->message, "a-very-long-tap-name"), nullptr) << error->message;
    g_clear_error(&error);
    g_autoptr(GPtrArray) ports = vw_engine_port_list(engine_, net.c_str(), &error);
    ASSERT_NE(ports, nullptr);
    EXPECT_EQ(ports->len, 0u);
    g_autoptr(GPtrArray) leases = vw_engine_lease_list(engine_, net.c_str(), &error);
    EXPECT_EQ(leases->len, 0u);
    EXPECT_TRUE(HostLinksOf(net).empty());
}

TEST_F(EngineTest, PlugNeverTouchesAForeignLinkOfTheSameName)
{
    std::string net = Started();
    std::string foreign = ScratchName("vwfor");
    LinkGuard guard(foreign);
    ASSERT_EQ(vwtest::Run({ "ip", "tuntap", "add", "dev", foreign, "mode", "tap" }).status, 0);
    g_autoptr(GError) error = nullptr;
    VwPortRequest req = {};
    req.network = net.c_str();
    req.domain_uuid = kUuid1;
    req.mac = kMac1;
    req.tap = foreign.c_str();
    req.owner = (uid_t)-1;
    req.group = (gid_t)-1;
    EXPECT_EQ(vw_engine_port_plug(engine_, &req, &error), nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(strstr(error->message, foreign.c_str()), nullptr) << error->message;
    // The user's tap is still there; nothing of the port is.
    EXPECT_NE(IpLink("", foreign), nullptr);
    EXPECT_TRUE(HostLinksOf(net).empty());
    g_autoptr(GPtrArray) leases = vw_engine_lease_list(engine_, net.c_str(), &error);
    ASSERT_NE(leases, nullptr);
    EXPECT_EQ(leases->len, 0u);
    // Unplugging it (nothing recorded) leaves the tap alone too.
    EXPECT_TRUE(vw_engine_port_unplug(engine_, net.c_str(), kUuid1, kMac1, &error));
    EXPECT_NE(IpLink("", foreign), nullptr);
}

TEST_F(EngineTest, MultiQueuePortGetsAMultiQueueTapWithItsOwner)
{
    std::string net = Started();
    g_autoptr(GError) error = nullptr;
    VwPortRequest req = {};
    req.network = net.c_str();
    req.domain_uuid = kUuid1;
    req.mac = kMac1;
    req.queues = 4;
    req.owner = 64055;
    req.group = (gid_t)-1;
    g_autoptr(VwPortInfo) p = vw_engine_port_plug(engine_, &req, &error);
    ASSERT_NE(p, nullptr) << error->message;
    g_autoptr(JsonObject) tap = IpLink("", p->tap);
    ASSERT_NE(tap, nullptr);
    JsonObject *li = json_object_get_object_member(tap, "linkinfo");
    JsonObject *data = json_object_get_object_member(li, "info_data");
    EXPECT_TRUE(json_object_get_boolean_member(data, "multi_queue"));
    EXPECT_TRUE(json_object_get_boolean_member(data, "vnet_hdr"));
    EXPECT_EQ(json_object_get_int_member(data, "user"), 64055);
}

// What a process running as QEMU's user (libvirt-qemu, with its groups;
// a scratch uid where that user does not exist) gets when it tries to
// attach to @tap with each set of flags QEMU could use: the errno of each
// TUNSETIFF, 0 for an attach that succeeded.
std::vector<int>
AttachAsQemuUser(const std::string &tap)
{
    const int tries[] = { IFF_TAP | IFF_NO_PI | IFF_VNET_HDR,
                          IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE, IFF_TAP | IFF_NO_PI,
                          IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE };
    uid_t uid = 4242;
    gid_t gid = 4242;
    std::vector<gid_t> groups;
    struct passwd *pw = getpwnam("libvirt-qemu");
    if (pw) {
        uid = pw->pw_uid;
        gid = pw->pw_gid;
        int n = 64;
        groups.resize(n);
        if (getgrouplist(pw->pw_name, gid, groups.data(), &n) < 0)
            n = 0;
        groups.resize(n);
    }
    // /dev/net/tun is opened before the child drops root, as if it were
    // mode 0666 as on most hosts: what is checked is TUNSETIFF itself.
    int fds[G_N_ELEMENTS(tries)];
    for (size_t i = 0; i < G_N_ELEMENTS(tries); i++)
        fds[i] = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return {};
    pid_t child = fork();
    if (child == 0) {
        // Only async-signal-safe calls: the test process has threads.
        int results[G_N_ELEMENTS(tries)];
        if (setgroups(groups.size(), groups.data()) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
            _exit(2);
        for (size_t i = 0; i < G_N_ELEMENTS(tries); i++) {
            struct ifreq ifr;
            memset(&ifr, 0, sizeof(ifr));
            strncpy(ifr.ifr_name, tap.c_str(), IFNAMSIZ - 1);
            ifr.ifr_flags = (short)tries[i];
            results[i] = fds[i] < 0 ? -1 : ioctl(fds[i], TUNSETIFF, &ifr) < 0 ? errno : 0;
        }
        if (write(pipefd[1], results, sizeof(results)) != (ssize_t)sizeof(results))
            _exit(3);
        _exit(0);
    }
    close(pipefd[1]);
    for (int fd : fds)
        if (fd >= 0)
            close(fd);
    std::vector<int> out(G_N_ELEMENTS(tries), -1);
    if (child > 0 && read(pipefd[0], out.data(), out.size() * sizeof(int)) !=
                         (ssize_t)(out.size() * sizeof(int)))
        out.clear();
    close(pipefd[0]);
    int status;
    if (child > 0)
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
    return out;
}

// No QEMU can attach to a port's tap, single- or multi-queue: by default a
// tap belongs to root, user and group (libvirt opens it as root and hands
// QEMU the descriptor), so attaching takes root or CAP_NET_ADMIN.  (A tap
// without owner and group would let anyone attach.)
TEST_F(EngineTest, NoQemuProcessCanAttachToAPortsTap)
{
    g_autofree char *saved = g_strdup(g_getenv("VIRTWIRE_TAP_USER"));
    g_unsetenv("VIRTWIRE_TAP_USER");
    uid_t owner = 0;
    gid_t group = 0;
    g_autoptr(GError) error = nullptr;
    bool resolved = vw_engine_tap_owner(&owner, &group, &error);
    if (saved)
        g_setenv("VIRTWIRE_TAP_USER", saved, TRUE);
    ASSERT_TRUE(resolved) << error->message;

    std::string net = Started();
    for (guint queues : { 0u, 4u }) {
        VwPortRequest req = Request(net, queues ? kUuid2 : kUuid1, queues ? kMac2 : kMac1);
        req.queues = queues;
        req.owner = owner;
        req.group = group;
        g_autoptr(VwPortInfo) p = vw_engine_port_plug(engine_, &req, &error);
        ASSERT_NE(p, nullptr) << error->message;
        SCOPED_TRACE(std::string("tap ") + p->tap + " queues " + std::to_string(queues));
        EXPECT_EQ(Slurp(std::string("/sys/class/net/") + p->tap + "/owner"), "0\n");
        EXPECT_EQ(Slurp(std::string("/sys/class/net/") + p->tap + "/group"), "0\n");
        std::vector<int> got = AttachAsQemuUser(p->tap);
        ASSERT_FALSE(got.empty()) << "the unprivileged child did not report";
        // Attempts 1 and 3 ask for multi-queue: with the tap's own kind the
        // kernel checks the right to attach (EPERM), with the other kind
        // it refuses the flags first (EINVAL); none may attach.
        for (size_t i = 0; i < got.size(); i++) {
            bool same_kind = (i % 2 == 1) == (queues > 0);
            EXPECT_EQ(got[i], same_kind ? EPERM : EINVAL)
                << "attempt " << i << ": " << g_strerror(got[i]);
        }
    }
}

TEST_F(EngineTest, StopRemovesEveryPortInOneBatchAndKeepsLeases)
{
    std::string net = Started();
    g_autoptr(GError) error = nullptr;
    std::vector<std::string> taps;
    for (int i = 0; i < 8; i++) {
        g_autofree char *uuid = g_strdup_printf("5a1d3c2e-0000-4000-8000-0000000001%02d", i);
        g_autofree char *mac = g_strdup_printf("52:54:00:bb:00:%02x", i);
        g_autoptr(VwPortInfo) p = Plug(net, uuid, mac, &error);
        ASSERT_NE(p, nullptr) << error->message;
        taps.push_back(p->tap);
    }
    ASSERT_TRUE(vw_engine_network_stop(engine_, net.c_str(), &error)) << error->message;
    for (const auto &t : taps)
        EXPECT_EQ(IpLink("", t), nullptr) << t;
    EXPECT_TRUE(HostLinksOf(net).empty());
    g_autoptr(GPtrArray) leases = vw_engine_lease_list(engine_, net.c_str(), &error);
    ASSERT_NE(leases, nullptr);
    EXPECT_EQ(leases->len, 8u);
}

// A range of two, two domains stopped (ports unplugged, leases kept): the
// range is exhausted.  Reconcile with the set of defined domains releases
// the lease of the one libvirt no longer defines and keeps the stopped
// one's; in an inactive network too.
TEST_F(EngineTest, ReconcileReleasesTheLeasesOfDomainsThatNoLongerExist)
{
    std::string net = Started("isolated");
    g_autoptr(GError) error = nullptr;
    // A second network with a range of two addresses.
    std::string small = net + "s";
    nets_.push_back(small);
    std::string sub = "10." + std::to_string(200 + getpid() % 50) + ".250";
    std::string xml = "<network><name>" + small + "</name><ip address='" + sub +
                      ".1' prefix='24'><dhcp><range start='" + sub + ".100' end='" + sub +
                      ".101'/></dhcp></ip></network>";
    g_autofree char *defined = vw_engine_network_define(engine_, xml.c_str(), &error);
    ASSERT_NE(defined, nullptr) << error->message;
    ASSERT_TRUE(vw_engine_network_start(engine_, small.c_str(), &error)) << error->message;
    const char *kUuid3 = "5a1d3c2e-0000-4000-8000-000000000003";
    const char *kMac3 = "52:54:00:aa:00:03";
    for (auto [uuid, mac] : { std::pair{ kUuid1, kMac1 }, std::pair{ kUuid2, kMac2 } }) {
        g_autoptr(VwPortInfo) p = Plug(small, uuid, mac, &error);
        ASSERT_NE(p, nullptr) << error->message;
        ASSERT_TRUE(vw_engine_port_unplug(engine_, small.c_str(), uuid, mac, &error))
            << error->message;
    }
    g_autoptr(VwPortInfo) none = Plug(small, kUuid3, kMac3, &error);
    ASSERT_EQ(none, nullptr) << "the range of two is not exhausted";
    g_clear_error(&error);

    // Domain 1 is stopped but defined; domain 2 is gone.
    const char *live[] = { kUuid1, nullptr };
    VwReconcileReport report = {};
    ASSERT_TRUE(vw_engine_reconcile(engine_, live, &report, &error)) << error->message;
    EXPECT_EQ(report.leases_collected, 1u);
    g_autoptr(GPtrArray) leases = vw_engine_lease_list(engine_, small.c_str(), &error);
    ASSERT_NE(leases, nullptr) << error->message;
    ASSERT_EQ(leases->len, 1u);
    EXPECT_STREQ(((VwLeaseInfo *)leases->pdata[0])->domain_uuid, kUuid1);
    std::string hosts = Slurp(root_ + "/run/virtwire/networks/" + small + "/dhcp-hosts");
    EXPECT_NE(hosts.find(kMac1), std::string::npos) << hosts;
    EXPECT_EQ(hosts.find(kMac2), std::string::npos) << hosts;
    g_autoptr(VwPortInfo) third = Plug(small, kUuid3, kMac3, &error);
    ASSERT_NE(third, nullptr) << error->message;

    // Running again, nothing more goes; a NULL live set leaves leases alone.
    const char *live13[] = { kUuid1, kUuid3, nullptr };
    ASSERT_TRUE(vw_engine_reconcile(engine_, live13, &report, &error)) << error->message;
    EXPECT_EQ(report.leases_collected, 0u);
    ASSERT_TRUE(vw_engine_reconcile(engine_, nullptr, &report, &error)) << error->message;
    EXPECT_EQ(report.leases_collected, 0u);

    // An inactive network's leases go too.
    ASSERT_TRUE(vw_engine_network_stop(engine_, small.c_str(), &error)) << error->message;
    ASSERT_TRUE(vw_engine_reconcile(engine_, live, &report, &error)) << error->message;
    EXPECT_EQ(report.leases_collected, 1u);
    g_autoptr(GPtrArray) left = vw_engine_lease_list(engine_, small.c_str(), &error);
    ASSERT_NE(left, nullptr) << error->message;
    ASSERT_EQ(left->len, 1u);
    EXPECT_STREQ(((VwLeaseInfo *)left->pdata[0])->domain_uuid, kUuid1);
}

// A stop that would cut running guests off is refused, naming their
// domains, and changes nothing; forced, it stops.
TEST_F(EngineTest, StopIsRefusedWhilePortsArePluggedUnlessForced)
{
    std::string net = Started();
    g_autoptr(GError) error = nullptr;
    VwPortRequest req = Request(net, kUuid1, kMac1);
    req.domain_name = "guest-one";
    g_autoptr(VwPortInfo) p1 = vw_engine_port_plug(engine_, &req, &error);
    ASSERT_NE(p1, nullptr) << error->message;
    g_autoptr(VwPortInfo) p2 = Plug(net, kUuid2, kMac2, &error);
    ASSERT_NE(p2, nullptr) << error->message;
    std::string status = Slurp(root_ + "/run/virtwire/networks/" + net + "/status.json");

    EXPECT_FALSE(
        vw_engine_network_stop_flags(engine_, net.c_str(), VW_ENGINE_STOP_DEFAULT, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_BUSY)) << error->message;
    EXPECT_NE(strstr(error->message, "'guest-one'"), nullptr) << error->message;
    EXPECT_NE(strstr(error->message, "dom"), nullptr) << error->message;
    EXPECT_NE(strstr(error->message, net.c_str()), nullptr) << error->message;
    g_clear_error(&error);
    ExpectNetworkWhole(net);
    ExpectPortWhole(net, p1);
    ExpectPortWhole(net, p2);
    EXPECT_EQ(Slurp(root_ + "/run/virtwire/networks/" + net + "/status.json"), status);

    // One port left: still refused; forced, the stop goes through.
    ASSERT_TRUE(vw_engine_port_unplug(engine_, net.c_str(), kUuid1, kMac1, &error))
        << error->message;
    EXPECT_FALSE(
        vw_engine_network_stop_flags(engine_, net.c_str(), VW_ENGINE_STOP_DEFAULT, &error));
    g_clear_error(&error);
    EXPECT_TRUE(vw_engine_network_stop_flags(engine_, net.c_str(), VW_ENGINE_STOP_FORCE, &error))
        << error->message;
    EXPECT_EQ(IpLink("", p2->tap), nullptr);
    EXPECT_FALSE(NetnsExists("vw-" + net));
}

// ------------------------------------------------------------ DHCP, NAT

// A client netns whose veth peer sits on the network's bridge.
class Client
{
  public:
    Client(const std::string &net, const std::string &mac)
        : netns_(ScratchName("vwcl")), peer_(ScratchName("vwcp"))
    {
        ok_ =
            vwtest::Run({ "ip", "netns", "add", netns_ }).status == 0 &&
            vwtest::Run({ "ip", "-n", "vw-" + net, "link", "add", peer_, "type", "veth", "peer",
                          "name", "eth0", "netns", netns_ })
                    .status == 0 &&
            vwtest::Run({ "ip", "-n", netns_, "link", "set", "eth0", "address", mac, "up" })
                    .status == 0 &&
            vwtest::Run({ "ip", "-n", netns_, "link", "set", "lo", "up" }).status == 0 &&
            vwtest::Run({ "ip", "-n", "vw-" + net, "link", "set", peer_, "master", "vwbr0", "up" })
                    .status == 0;
    }
    ~Client()
    {
        vwtest::Run({ "ip", "netns", "del", netns_ });
    }
    bool ok() const
    {
        return ok_;
    }
    const std::string &netns() const
    {
        return netns_;
    }

    // Run busybox udhcpc (sending @hostname when given); the address it was
    // offered, or "".
    std::string Dhcp(const std::string &hostname = "")
    {
        std::vector<std::string> argv = { "ip", "netns", "exec", netns_, "busybox", "udhcpc",
                                          "-i", "eth0", "-n",  "-q",   "-f",      "-t",
                                          "5",  "-T",   "1",   "-s",   "/bin/true" };
        if (!hostname.empty()) {
            argv.push_back("-x");
            argv.push_back("hostname:" + hostname);
        }
        Cmd c = vwtest::Run(argv);
        std::string all = c.out + c.err;
        size_t a = all.find("lease of ");
        if (a == std::string::npos)
            return "";
        a += 9;
        size_t b = all.find(' ', a);
        return all.substr(a, b - a);
    }

  private:
    std::string netns_;
    std::string peer_;
    bool ok_ = false;
};

TEST_F(EngineTest, DhcpClientGetsExactlyTheLeasedAddress)
{
    if (!HaveProgram("busybox"))
        GTEST_SKIP() << "machine lacks: busybox (scripts/setup installs it)";
    int k = g_counter + 1;
    std::string sub = "10." + std::to_string(200 + getpid() % 50) + "." + std::to_string(k);
    std::string net = Started("isolated", "<host mac='52:54:00:aa:00:09' ip='" + sub + ".50'/>");
    ASSERT_EQ(sub, subnet_);
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwPortInfo) a = Plug(net, kUuid1, kMac1, &error);
    ASSERT_NE(a, nullptr) << error->message;
    g_autoptr(VwPortInfo) b =
        Plug(net, "5a1d3c2e-0000-4000-8000-000000000002", "52:54:00:aa:00:02", &error);
    ASSERT_NE(b, nullptr) << error->message;
    g_autoptr(VwPortInfo) s =
        Plug(net, "5a1d3c2e-0000-4000-8000-000000000003", "52:54:00:aa:00:09", &error);
    ASSERT_NE(s, nullptr) << error->message;
    EXPECT_EQ(std::string(s->ipv4), sub + ".50");

    // The second port's MAC gets the second address, not dnsmasq's first free.
    Client cb(net, "52:54:00:aa:00:02");
    ASSERT_TRUE(cb.ok());
    EXPECT_EQ(cb.Dhcp(), std::string(b->ipv4));
    Client cs(net, "52:54:00:aa:00:09");
    ASSERT_TRUE(cs.ok());
    EXPECT_EQ(cs.Dhcp(), sub + ".50");
}

// vw_engine_dhcp_lease_list() shows what dnsmasq handed out in a real DHCP
// exchange (busybox udhcpc in a scratch netns on the bridge, with the MAC
// of a plugged port): dnsmasq's expiry and the host name the client sent,
// as dnsmasq's lease file has them; nothing before the client asked, and a
// MAC filter keeps only that MAC's leases.
TEST_F(EngineTest, DhcpLeaseListShowsWhatDnsmasqHandedOut)
{
    if (!HaveProgram("busybox"))
        GTEST_SKIP() << "machine lacks: busybox (scripts/setup installs it)";
    std::string net = Started();
    g_autoptr(GError) error = nullptr;
    // Without a domain name the lease has no host name of virtwire's, so
    // dnsmasq keeps the one the client sends.
    VwPortRequest req = Request(net, kUuid1, kMac1);
    req.domain_name = nullptr;
    g_autoptr(VwPortInfo) a = vw_engine_port_plug(engine_, &req, &error);
    ASSERT_NE(a, nullptr) << error->message;

    g_autoptr(GPtrArray) none = vw_engine_dhcp_lease_list(engine_, net.c_str(), nullptr, &error);
    ASSERT_NE(none, nullptr) << error->message;
    EXPECT_EQ(none->len, 0u) << "no client asked yet";

    gint64 before = g_get_real_time() / G_USEC_PER_SEC;
    Client c(net, kMac1);
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c.Dhcp("guest-one"), std::string(a->ipv4));

    g_autoptr(GPtrArray) leases =
        vw_engine_dhcp_lease_list(engine_, net.c_str(), nullptr, &error);
    ASSERT_NE(leases, nullptr) << error->message;
    ASSERT_EQ(leases->len, 1u);
    const VwDnsmasqLease *l = (const VwDnsmasqLease *)leases->pdata[0];
    EXPECT_FALSE(l->ipv6);
    EXPECT_STREQ(l->address, a->ipv4);
    EXPECT_EQ(l->prefix, 24u);
    EXPECT_STREQ(l->hostname, "guest-one");
    ASSERT_TRUE(l->has_mac);
    g_autofree char *mac = g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", l->mac[0], l->mac[1],
                                           l->mac[2], l->mac[3], l->mac[4], l->mac[5]);
    EXPECT_STREQ(mac, "52:54:00:aa:00:01");
    EXPECT_NE(l->client_id, nullptr) << "udhcpc sends a client id (01:MAC)";
    // dnsmasq's own record: the line of its lease file for that address.
    g_autofree char *text = nullptr;
    std::string file = root_ + "/run/virtwire/networks/" + net + "/leases";
    ASSERT_TRUE(g_file_get_contents(file.c_str(), &text, nullptr, nullptr)) << file;
    g_auto(GStrv) fields = g_strsplit(text, " ", 5);
    ASSERT_GE(g_strv_length(fields), 5u) << text;
    EXPECT_EQ(l->expiry, g_ascii_strtoll(fields[0], nullptr, 10)) << text;
    EXPECT_STREQ(fields[2], a->ipv4) << text;
    EXPECT_STREQ(fields[3], "guest-one") << text;
    EXPECT_GT(l->expiry, before) << "a lease that expires in the future";

    const guint8 other[6] = { 0x52, 0x54, 0x00, 0xaa, 0x00, 0x77 };
    g_autoptr(GPtrArray) filtered = vw_engine_dhcp_lease_list(engine_, net.c_str(), other, &error);
    ASSERT_NE(filtered, nullptr) << error->message;
    EXPECT_EQ(filtered->len, 0u);
    g_autoptr(GPtrArray) mine = vw_engine_dhcp_lease_list(engine_, net.c_str(), l->mac, &error);
    ASSERT_NE(mine, nullptr) << error->message;
    EXPECT_EQ(mine->len, 1u);

    g_autoptr(GPtrArray) missing = vw_engine_dhcp_lease_list(engine_, "nosuch", nullptr, &error);
    EXPECT_EQ(missing, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find("'nosuch'"), std::string::npos) << error->message;
}

// An "outside" netns behind a veth from the host, 198.18.K.0/24.
class Outside
{
  public:
    explicit Outside(int k) : netns_(ScratchName("vwout")), host_(ScratchName("vwo"))
    {
        std::string p = "198.18." + std::to_string(k) + ".";
        addr_ = p + "2";
        gw_ = p + "1";
        ok_ = vwtest::Run({ "ip", "netns", "add", netns_ }).status == 0 &&
              vwtest::Run({ "ip", "link", "add", host_, "type", "veth", "peer", "name", "eth0",
                            "netns", netns_ })
                      .status == 0 &&
              vwtest::Run({ "ip", "addr", "add", gw_ + "/24", "dev", host_ }).status == 0 &&
              vwtest::Run({ "ip", "link", "set", host_, "up" }).status == 0 &&
              vwtest::Run({ "ip", "-n", netns_, "addr", "add", addr_ + "/24", "dev", "eth0" })
                      .status == 0 &&
              vwtest::Run({ "ip", "-n", netns_, "link", "set", "eth0", "up" }).status == 0;
    }
    ~Outside()
    {
        vwtest::Run({ "ip", "link", "del", host_ });
        vwtest::Run({ "ip", "netns", "del", netns_ });
    }
    bool ok() const
    {
        return ok_;
    }
    std::string netns_, host_, addr_, gw_;
    bool ok_ = false;
};

TEST_F(EngineTest, NatReachesOutsideAndOutsideCannotReachIn)
{
    if (!HaveProgram("busybox"))
        GTEST_SKIP() << "machine lacks: busybox (scripts/setup installs it)";
    std::string net = Started("nat");
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwPortInfo) p = Plug(net, kUuid1, kMac1, &error);
    ASSERT_NE(p, nullptr) << error->message;
    EXPECT_TRUE(NftTableExists(net));
    Client c(net, kMac1);
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c.Dhcp(), std::string(p->ipv4));
    ASSERT_EQ(vwtest::Run({ "ip", "-n", c.netns(), "addr", "add", std::string(p->ipv4) + "/24",
                            "dev", "eth0" })
                  .status,
              0);
    ASSERT_EQ(
        vwtest::Run({ "ip", "-n", c.netns(), "route", "add", "default", "via", subnet_ + ".1" })
            .status,
        0);
    Outside out(100 + getpid() % 100);
    ASSERT_TRUE(out.ok());
    // Out: masqueraded, so the outside needs no route back.
    EXPECT_EQ(vwtest::Run({ "ip", "netns", "exec", c.netns(), "busybox", "ping", "-c", "1", "-W",
                            "2", out.addr_ })
                  .status,
              0);
    // In: even with a route to the guest network, a new connection is dropped.
    ASSERT_EQ(
        vwtest::Run({ "ip", "-n", out.netns_, "route", "add", subnet_ + ".0/24", "via", out.gw_ })
            .status,
        0);
    EXPECT_NE(vwtest::Run({ "ip", "netns", "exec", out.netns_, "busybox", "ping", "-c", "1", "-W",
                            "1", p->ipv4 })
                  .status,
              0);
}

// ------------------------------------------------------------ crash safety

TEST_F(EngineTest, EveryInterruptedStepConvergesWhenRunAgain)
{
    ASSERT_FALSE(Driver().empty());
    for (const char *const *step = vw_engine_fault_steps(); *step; step++) {
        SCOPED_TRACE(*step);
        std::string s = *step;
        g_autoptr(GError) error = nullptr;
        std::string net = Define();
        if (s.rfind("network-start:", 0) == 0) {
            EXPECT_EQ(RunDriver({ "start", net }, s), VW_FAULT_EXIT_CODE);
            gboolean ok = vw_engine_network_start(engine_, net.c_str(), &error);
            EXPECT_TRUE(ok || g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_ACTIVE))
                << error->message;
            ExpectNetworkWhole(net);
        } else if (s.rfind("network-stop:", 0) == 0) {
            ASSERT_TRUE(vw_engine_network_start(engine_, net.c_str(), &error)) << error->message;
            g_autoptr(VwPortInfo) p = Plug(net, kUuid1, kMac1, &error);
            ASSERT_NE(p, nullptr) << error->message;
            EXPECT_EQ(RunDriver({ "stop", net }, s), VW_FAULT_EXIT_CODE);
            ASSERT_TRUE(vw_engine_network_stop(engine_, net.c_str(), &error)) << error->message;
            EXPECT_FALSE(NetnsExists("vw-" + net));
            EXPECT_TRUE(HostLinksOf(net).empty());
            EXPECT_FALSE(AnyPartitionDir(net));
        } else if (s.rfind("port-plug:", 0) == 0) {
            ASSERT_TRUE(vw_engine_network_start(engine_, net.c_str(), &error)) << error->message;
            EXPECT_EQ(RunDriver({ "plug", net, kUuid1, kMac1 }, s), VW_FAULT_EXIT_CODE);
            g_autoptr(VwPortInfo) p = Plug(net, kUuid1, kMac1, &error);
            ASSERT_NE(p, nullptr) << error->message;
            ExpectPortWhole(net, p);
            EXPECT_EQ(std::string(p->ipv4), subnet_ + ".100");
            EXPECT_EQ(HostLinksOf(net).size(), 2u);
            // Two more ports plugged in one call, interrupted at the same
            // step (in the first of them): reconcile undoes both, leases
            // included; run again, the call makes both.
            const std::string two = std::string(kMac2) + ",52:54:00:aa:00:03";
            EXPECT_EQ(RunDriver({ "plug", net, kUuid2, two }, s), VW_FAULT_EXIT_CODE);
            ASSERT_TRUE(vw_engine_reconcile(engine_, nullptr, nullptr, &error))
                << error->message;
            EXPECT_EQ(HostLinksOf(net).size(), 2u);
            g_autoptr(GPtrArray) leases = vw_engine_lease_list(engine_, net.c_str(), &error);
            ASSERT_NE(leases, nullptr);
            EXPECT_EQ(leases->len, 1u);
            EXPECT_EQ(RunDriver({ "plug", net, kUuid2, two }, s), VW_FAULT_EXIT_CODE);
            std::string out;
            EXPECT_EQ(RunDriver({ "plug", net, kUuid2, two }, "", &out), 0);
            EXPECT_NE(out.find(" " + subnet_ + ".101\n"), std::string::npos) << out;
            EXPECT_NE(out.find(" " + subnet_ + ".102\n"), std::string::npos) << out;
            EXPECT_EQ(HostLinksOf(net).size(), 6u);
        } else if (s.rfind("port-unplug:", 0) == 0) {
            ASSERT_TRUE(vw_engine_network_start(engine_, net.c_str(), &error)) << error->message;
            g_autoptr(VwPortInfo) p = Plug(net, kUuid1, kMac1, &error);
            ASSERT_NE(p, nullptr) << error->message;
            EXPECT_EQ(RunDriver({ "unplug", net, kUuid1, kMac1 }, s), VW_FAULT_EXIT_CODE);
            ASSERT_TRUE(vw_engine_port_unplug(engine_, net.c_str(), kUuid1, kMac1, &error));
            EXPECT_TRUE(HostLinksOf(net).empty());
            g_autoptr(GPtrArray) leases = vw_engine_lease_list(engine_, net.c_str(), &error);
            ASSERT_NE(leases, nullptr);
            EXPECT_EQ(leases->len, 1u);
        } else {
            ADD_FAILURE() << "step without a test: " << s;
        }
        // Each step gets a fresh network: stop and forget this one.
        vw_engine_network_stop(engine_, net.c_str(), nullptr);
    }
}

TEST_F(EngineTest, ReconcileUndoesAnInterruptedPlugAndRepairsABrokenPort)
{
    std::string net = Started();
    g_autoptr(GError) error = nullptr;
    EXPECT_EQ(RunDriver({ "plug", net, kUuid1, kMac1 }, "port-plug:veth"), VW_FAULT_EXIT_CODE);
    g_autoptr(VwPortInfo) p =
        Plug(net, "5a1d3c2e-0000-4000-8000-000000000002", "52:54:00:aa:00:02", &error);
    ASSERT_NE(p, nullptr) << error->message;
    // Break the good port behind the engine's back.
    ASSERT_EQ(vwtest::Run({ "ip", "link", "del", p->tap }).status, 0);
    VwReconcileReport report;
    ASSERT_TRUE(vw_engine_reconcile(engine_, nullptr, &report, &error)) << error->message;
    EXPECT_EQ(report.ports_rolled_back, 1u);
    EXPECT_EQ(report.ports_repaired, 1u);
    ExpectPortWhole(net, p);
    EXPECT_EQ(HostLinksOf(net).size(), 2u);
    g_autoptr(GPtrArray) leases = vw_engine_lease_list(engine_, net.c_str(), &error);
    EXPECT_EQ(leases->len, 1u);
}

// A guest's tap held open, as QEMU holds it: the fd closes with the guard.
struct HeldTap {
    explicit HeldTap(const std::string &name)
    {
        fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        struct ifreq ifr = {};
        g_strlcpy(ifr.ifr_name, name.c_str(), IFNAMSIZ);
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
        if (fd >= 0 && ioctl(fd, TUNSETIFF, &ifr) < 0) {
            close(fd);
            fd = -1;
        }
    }
    ~HeldTap()
    {
        if (fd >= 0)
            close(fd);
    }
    int fd = -1;
};

TEST_F(EngineTest, RepairKeepsTheTapAGuestHoldsOpen)
{
    std::string net = Started();
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwPortInfo) p = Plug(net, kUuid1, kMac1, &error);
    ASSERT_NE(p, nullptr) << error->message;
    HeldTap guest(p->tap);
    ASSERT_GE(guest.fd, 0) << g_strerror(errno);
    const unsigned ifindex = if_nametoindex(p->tap);
    ASSERT_NE(ifindex, 0u);

    // Broken behind the engine's back (the host end is gone), then plugged
    // again, as a reconnect hook does: the guest keeps its tap.
    ASSERT_EQ(vwtest::Run({ "ip", "link", "del", p->host }).status, 0);
    g_autoptr(VwPortInfo) again = Plug(net, kUuid1, kMac1, &error);
    ASSERT_NE(again, nullptr) << error->message;
    ExpectPortWhole(net, again);
    EXPECT_EQ(if_nametoindex(p->tap), ifindex);

    // The same through reconcile's repair.
    ASSERT_EQ(vwtest::Run({ "ip", "link", "del", p->host }).status, 0);
    VwReconcileReport report;
    ASSERT_TRUE(vw_engine_reconcile(engine_, nullptr, &report, &error)) << error->message;
    EXPECT_EQ(report.ports_repaired, 1u);
    ExpectPortWhole(net, p);
    EXPECT_EQ(if_nametoindex(p->tap), ifindex);

    // Unplug removes it even while held (the guest is being stopped).
    ASSERT_TRUE(vw_engine_port_unplug(engine_, net.c_str(), kUuid1, kMac1, &error))
        << error->message;
    EXPECT_EQ(if_nametoindex(p->tap), 0u);
}

TEST_F(EngineTest, ReconcileRepairsANetworkAndCollectsDeadDomainsAndLeaks)
{
    std::string net = Started();
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwPortInfo) live = Plug(net, kUuid1, kMac1, &error);
    ASSERT_NE(live, nullptr) << error->message;
    g_autoptr(VwPortInfo) dead =
        Plug(net, "5a1d3c2e-0000-4000-8000-000000000002", "52:54:00:aa:00:02", &error);
    ASSERT_NE(dead, nullptr) << error->message;
    // dnsmasq killed behind our back; a leaked port record's files removed.
    std::vector<pid_t> dns = ProcessesWith(root_ + "/run/virtwire/networks/" + net + "/");
    ASSERT_EQ(dns.size(), 1u);
    kill(dns[0], SIGKILL);
    for (int i = 0; i < 100 && !ProcessesWith(root_ + "/run/virtwire/").empty(); i++)
        g_usleep(20000);
    const char *live_domains[] = { kUuid1, nullptr };
    VwReconcileReport report;
    ASSERT_TRUE(vw_engine_reconcile(engine_, live_domains, &report, &error)) << error->message;
    EXPECT_EQ(report.networks_repaired, 1u);
    EXPECT_EQ(report.ports_collected, 1u);
    ExpectNetworkWhole(net);
    ExpectPortWhole(net, live);
    EXPECT_EQ(IpLink("", dead->tap), nullptr);
    g_autoptr(GPtrArray) leases = vw_engine_lease_list(engine_, net.c_str(), &error);
    EXPECT_EQ(leases->len, 1u);
    // A second reconcile has nothing to do.
    ASSERT_TRUE(vw_engine_reconcile(engine_, live_domains, &report, &error)) << error->message;
    EXPECT_EQ(report.networks_repaired + report.ports_repaired + report.ports_collected +
                  report.links_collected + report.netns_collected,
              0u);
}

// ------------------------------------------------------------ only our own

// Removes /run/netns/NAME on scope exit, whatever it is (a namespace or a
// plain file: `ip netns del` unmounts what it can and unlinks).
struct NetnsPathGuard {
    explicit NetnsPathGuard(std::string n) : name(std::move(n))
    {
    }
    ~NetnsPathGuard()
    {
        if (PathExists("/run/netns/" + name))
            vwtest::Run({ "ip", "netns", "del", name });
    }
    std::string name;
};

// Writes @text into a new plain file /run/netns/@name, as a creator that
// died between claiming the name and mounting would have left it.
bool
WritePlaceholder(const std::string &name, const std::string &text)
{
    std::string path = "/run/netns/" + name;
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool ok = write(fd, text.data(), text.size()) == (ssize_t)text.size();
    close(fd);
    return ok;
}

bool
IsPlainFile(const std::string &path)
{
    struct stat st;
    return lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string
LoAlias(const std::string &netns)
{
    g_autoptr(JsonObject) lo = IpLink(netns, "lo");
    if (!lo || !json_object_has_member(lo, "ifalias"))
        return "";
    return json_object_get_string_member(lo, "ifalias");
}

TEST_F(EngineTest, LeftoverPlaceholderIsRepairedByStartAndRemovedByStopAndGc)
{
    std::string net = Define();
    std::string ns = "vw-" + net;
    NetnsPathGuard guard(ns);
    std::string alias = Alias(net);
    ASSERT_FALSE(alias.empty());
    g_autoptr(GError) error = nullptr;

    // A start that died after claiming the name: the next start mounts a
    // namespace over the placeholder, marked by its lo's alias.
    ASSERT_TRUE(WritePlaceholder(ns, alias));
    ASSERT_TRUE(vw_engine_network_start(engine_, net.c_str(), &error)) << error->message;
    ExpectNetworkWhole(net);
    EXPECT_EQ(LoAlias(ns), alias);
    ASSERT_TRUE(vw_engine_network_stop(engine_, net.c_str(), &error)) << error->message;
    EXPECT_FALSE(PathExists("/run/netns/" + ns));

    // The same crash, then a stop: the placeholder goes.
    EXPECT_EQ(RunDriver({ "start", net }, "network-start:begin"), VW_FAULT_EXIT_CODE);
    ASSERT_TRUE(WritePlaceholder(ns, alias));
    ASSERT_TRUE(vw_engine_network_stop(engine_, net.c_str(), &error)) << error->message;
    EXPECT_FALSE(PathExists("/run/netns/" + ns));

    // A placeholder of ours that nothing claims: gc removes it.
    ASSERT_TRUE(WritePlaceholder(ns, alias));
    VwReconcileReport report;
    ASSERT_TRUE(vw_engine_reconcile(engine_, nullptr, &report, &error)) << error->message;
    EXPECT_EQ(report.netns_collected, 1u);
    EXPECT_FALSE(PathExists("/run/netns/" + ns));
}

TEST_F(EngineTest, ForeignFileOrNetnsOfTheSameNameIsRefusedAndLeftAlone)
{
    g_autoptr(GError) error = nullptr;
    VwReconcileReport report;

    // An empty file: another creator's claim, or a placeholder of no one.
    std::string net = Define();
    std::string ns = "vw-" + net;
    NetnsPathGuard guard(ns);
    ASSERT_TRUE(WritePlaceholder(ns, ""));
    EXPECT_FALSE(vw_engine_network_start(engine_, net.c_str(), &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS)) << error->message;
    EXPECT_NE(std::string(error->message).find("'" + ns + "'"), std::string::npos)
        << error->message;
    g_clear_error(&error);
    ASSERT_TRUE(vw_engine_reconcile(engine_, nullptr, &report, &error)) << error->message;
    EXPECT_TRUE(IsPlainFile("/run/netns/" + ns));
    EXPECT_FALSE(engine_net_active(net));
    // Another root's placeholder (marked with another identity): the same.
    ASSERT_EQ(unlink(("/run/netns/" + ns).c_str()), 0);
    ASSERT_TRUE(WritePlaceholder(ns, "virtwire:network:00000000:" + net + ":x"));
    EXPECT_FALSE(vw_engine_network_start(engine_, net.c_str(), &error));
    g_clear_error(&error);
    ASSERT_TRUE(vw_engine_reconcile(engine_, nullptr, &report, &error)) << error->message;
    EXPECT_TRUE(IsPlainFile("/run/netns/" + ns));
    ASSERT_EQ(unlink(("/run/netns/" + ns).c_str()), 0);

    // A namespace made by `ip netns add`, named by <netns name=.../>.
    vwtest::ScratchNetns foreign;
    ASSERT_TRUE(foreign.ok());
    std::string other = NewNet();
    xml_.insert(xml_.find("</name>") + 7, "<netns name='" + foreign.name() + "'/>");
    g_autofree char *got = vw_engine_network_define(engine_, xml_.c_str(), &error);
    ASSERT_NE(got, nullptr) << error->message;
    EXPECT_FALSE(vw_engine_network_start(engine_, other.c_str(), &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS)) << error->message;
    EXPECT_NE(std::string(error->message).find("'" + foreign.name() + "'"), std::string::npos)
        << error->message;
    g_clear_error(&error);
    ASSERT_TRUE(vw_engine_reconcile(engine_, nullptr, &report, &error)) << error->message;
    EXPECT_TRUE(vw_netns_exists(foreign.name().c_str()));
    EXPECT_EQ(vwtest::IpLinkNames(foreign.name()), std::vector<std::string>{ "lo" });
    EXPECT_EQ(LoAlias(foreign.name()), "");
    EXPECT_FALSE(engine_net_active(other));

    // A start interrupted before it made its netns, whose name someone else
    // then takes: the resumed start refuses, and its rollback (the stop
    // steps) leaves that netns alone.
    std::string third = Define();
    std::string third_ns = "vw-" + third;
    NetnsPathGuard third_guard(third_ns);
    EXPECT_EQ(RunDriver({ "start", third }, "network-start:begin"), VW_FAULT_EXIT_CODE);
    ASSERT_EQ(vwtest::Run({ "ip", "netns", "add", third_ns }).status, 0);
    EXPECT_FALSE(vw_engine_network_start(engine_, third.c_str(), &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS)) << error->message;
    g_clear_error(&error);
    EXPECT_TRUE(vw_netns_exists(third_ns.c_str()));
    EXPECT_EQ(LoAlias(third_ns), "");
    EXPECT_FALSE(engine_net_active(third));
    EXPECT_FALSE(PathExists(root_ + "/run/virtwire/networks/" + third + "/status.json"));
    ASSERT_TRUE(vw_engine_reconcile(engine_, nullptr, &report, &error)) << error->message;
    EXPECT_TRUE(vw_netns_exists(third_ns.c_str()));
    ASSERT_EQ(vwtest::Run({ "ip", "netns", "del", third_ns }).status, 0);
}

TEST_F(EngineTest, SecondRootWithTheSameNetworkIsRefusedAndTheFirstStaysWhole)
{
    std::string net = Started("nat");
    ExpectNetworkWhole(net);
    ASSERT_TRUE(NftTableExists(net));
    const std::vector<std::string> links = HostLinksOf(net);
    ASSERT_EQ(links.size(), 1u); // the uplink
    // A second state root with a network of the same name and netns.
    struct Root {
        ~Root()
        {
            if (engine) {
                vw_engine_network_stop(engine, net.c_str(), nullptr);
                vw_engine_network_undefine(engine, net.c_str(), nullptr);
                vw_engine_free(engine);
            }
            if (!dir.empty())
                vwtest::Run({ "rm", "-rf", dir });
        }
        std::string net, dir;
        VwEngine *engine = nullptr;
    } two;
    g_autoptr(GError) error = nullptr;
    two.net = net;
    g_autofree char *dir = g_dir_make_tmp("vw-engine-XXXXXX", &error);
    ASSERT_NE(dir, nullptr) << error->message;
    two.dir = dir;
    ASSERT_EQ(chmod(dir, 0755), 0);
    two.engine = vw_engine_open(dir, &error);
    ASSERT_NE(two.engine, nullptr) << error->message;
    // The same name and netns on another subnet: an overlapping subnet is
    // refused already at define (tests/engine/test-engine-subnet.cc).
    std::string xml = xml_;
    for (size_t at; (at = xml.find(subnet_ + ".")) != std::string::npos;)
        xml.replace(at, subnet_.size(), "10.199." + std::to_string(getpid() % 250));
    g_autofree char *got = vw_engine_network_define(two.engine, xml.c_str(), &error);
    ASSERT_NE(got, nullptr) << error->message;

    EXPECT_FALSE(vw_engine_network_start(two.engine, net.c_str(), &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS)) << error->message;
    g_clear_error(&error);
    g_autoptr(VwNetworkInfo) info = vw_engine_network_info(two.engine, net.c_str(), &error);
    ASSERT_NE(info, nullptr) << error->message;
    EXPECT_FALSE(info->active);
    ExpectNetworkWhole(net);
    EXPECT_TRUE(NftTableExists(net));
    EXPECT_EQ(HostLinksOf(net), links);
    EXPECT_EQ(LoAlias("vw-" + net), Alias(net));

    // The second root's gc leaves the first root's network alone too.
    VwReconcileReport report;
    ASSERT_TRUE(vw_engine_reconcile(two.engine, nullptr, &report, &error)) << error->message;
    ExpectNetworkWhole(net);
    EXPECT_TRUE(NftTableExists(net));
    EXPECT_EQ(HostLinksOf(net), links);
}

TEST_F(EngineTest, ForeignUplinkRouteOrTableIsRefusedAndSurvives)
{
    std::string net = Define("nat");
    const std::string subnet = subnet_ + ".0/24";
    g_autoptr(GError) error = nullptr;
    VwNetDef *def = vw_engine_network_get_def(engine_, net.c_str(), &error);
    ASSERT_NE(def, nullptr) << error->message;
    g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, def->uuid, -1);
    vw_netdef_free(def);
    const std::string uplink = "vwu-" + std::string(sum, 10);
    auto refused = [&](const char *what) {
        g_autoptr(GError) err = nullptr;
        EXPECT_FALSE(vw_engine_network_start(engine_, net.c_str(), &err)) << what;
        if (!err)
            return;
        EXPECT_TRUE(g_error_matches(err, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS))
            << what << ": " << err->message;
        EXPECT_FALSE(engine_net_active(net)) << what;
        EXPECT_FALSE(NetnsExists("vw-" + net)) << what;
    };

    {
        // A link of someone else's with the uplink's name.
        vwtest::LinkGuard guard(uplink);
        ASSERT_EQ(vwtest::Run({ "ip", "link", "add", uplink, "type", "veth", "peer", "name",
                                 vwtest::ScratchName("vwtp") })
                      .status,
                  0);
        refused("uplink");
        g_autoptr(JsonObject) l = IpLink("", uplink);
        ASSERT_NE(l, nullptr);
        EXPECT_STREQ(json_object_get_string_member(l, "link_type"), "ether");
        EXPECT_FALSE(json_object_has_member(l, "ifalias"));
    }
    {
        // A host route to the network's subnet through another device.
        std::string dev = vwtest::ScratchName("vwtr");
        vwtest::LinkGuard guard(dev);
        ASSERT_EQ(vwtest::Run({ "ip", "link", "add", dev, "up", "type", "veth", "peer", "name",
                                 vwtest::ScratchName("vwtp") })
                      .status,
                  0);
        ASSERT_EQ(vwtest::Run({ "ip", "route", "add", subnet, "dev", dev }).status, 0);
        refused("route");
        vwtest::Cmd r = vwtest::Run({ "ip", "route", "show", subnet });
        EXPECT_NE(r.out.find("dev " + dev), std::string::npos) << r.out;
    }
    {
        // An nftables table of the network's table name, without our identity.
        struct TableGuard {
            std::string t;
            ~TableGuard()
            {
                vwtest::Run({ "nft", "delete", "table", "ip", t });
            }
        } guard{ "vw-" + net };
        ASSERT_EQ(vwtest::Run({ "nft", "add", "table", "ip", "vw-" + net }).status, 0);
        const std::string before = vwtest::Run({ "nft", "list", "table", "ip", "vw-" + net }).out;
        refused("nft table");
        EXPECT_EQ(vwtest::Run({ "nft", "list", "table", "ip", "vw-" + net }).out, before);
    }
    // With the way clear, the start works.
    ASSERT_TRUE(vw_engine_network_start(engine_, net.c_str(), &error)) << error->message;
    ExpectNetworkWhole(net);
}

// A bridge in the network's netns that carries another identity is not
// adopted by a repair (nor its alias overwritten).
TEST_F(EngineTest, RepairRefusesABridgeThatCarriesAnotherIdentity)
{
    std::string net = Started();
    const std::string ns = "vw-" + net;
    const std::string other = "virtwire:network:00000000:" + net + ":someone-else";
    ASSERT_EQ(vwtest::Run({ "ip", "-n", ns, "link", "set", "vwbr0", "alias", other }).status, 0);
    // Broken behind the engine's back: dnsmasq gone, so gc repairs.
    std::vector<pid_t> dns = ProcessesWith(root_ + "/run/virtwire/networks/" + net + "/");
    ASSERT_EQ(dns.size(), 1u);
    kill(dns[0], SIGKILL);
    for (int i = 0; i < 100 && !ProcessesWith(root_ + "/run/virtwire/").empty(); i++)
        g_usleep(20000);
    g_autoptr(GError) error = nullptr;
    EXPECT_FALSE(vw_engine_reconcile(engine_, nullptr, nullptr, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find(other), std::string::npos) << error->message;
    g_autoptr(JsonObject) br = IpLink(ns, "vwbr0");
    ASSERT_NE(br, nullptr);
    EXPECT_STREQ(json_object_get_string_member(br, "ifalias"), other.c_str());
}

// The check: gc looping against start and stop of the same network
// leaves the network exactly as start left it (same netns, same dnsmasq,
// its partition) every time.  Bounded in cycles and in time: 10 s by
// default, VW_GC_RACE_SECONDS (e.g. 60) for the full run.
TEST_F(EngineTest, GcLoopingAgainstStartAndStopLeavesTheNetworkAsStartLeftIt)
{
    const char *env = g_getenv("VW_GC_RACE_SECONDS");
    const gint64 seconds = env ? CLAMP(g_ascii_strtoll(env, nullptr, 10), 1, 600) : 10;
    std::string net = Define();
    const std::string ns_path = "/run/netns/vw-" + net;
    const std::string dns_dir = root_ + "/run/virtwire/networks/" + net + "/";
    g_autoptr(GError) error = nullptr;
    VwEngine *gc_engine = vw_engine_open(root_.c_str(), &error);
    ASSERT_NE(gc_engine, nullptr) << error->message;
    std::atomic<bool> done{ false };
    std::atomic<long> gc_runs{ 0 };
    std::atomic<long> gc_failures{ 0 };
    std::thread gc([&]() {
        while (!done && gc_runs < 100000) {
            if (!vw_engine_reconcile(gc_engine, nullptr, nullptr, nullptr))
                gc_failures++;
            gc_runs++;
        }
    });
    struct Joiner {
        std::atomic<bool> &done;
        std::thread &t;
        VwEngine *e;
        ~Joiner()
        {
            done = true;
            t.join();
            vw_engine_free(e);
        }
    } joiner{ done, gc, gc_engine };

    // What start left: the netns (its inode), dnsmasq (its pid), the partition.
    struct Snapshot {
        unsigned long netns = 0;
        std::vector<pid_t> dnsmasq;
        bool partition = false;
        bool operator==(const Snapshot &o) const
        {
            return netns == o.netns && dnsmasq == o.dnsmasq && partition == o.partition;
        }
    };
    auto snapshot = [&]() {
        Snapshot s;
        struct stat st;
        if (stat(ns_path.c_str(), &st) == 0)
            s.netns = st.st_ino;
        s.dnsmasq = ProcessesWith(dns_dir);
        s.partition = AnyPartitionDir(net);
        return s;
    };
    const gint64 deadline = g_get_monotonic_time() + seconds * G_USEC_PER_SEC;
    int cycles = 0, changed = 0;
    std::string first;
    while (cycles < 5000 && g_get_monotonic_time() < deadline) {
        cycles++;
        g_autoptr(GError) err = nullptr;
        if (!vw_engine_network_start(engine_, net.c_str(), &err)) {
            ADD_FAILURE() << "cycle " << cycles << ": start: " << err->message;
            break;
        }
        Snapshot made = snapshot();
        EXPECT_NE(made.netns, 0u);
        EXPECT_EQ(made.dnsmasq.size(), 1u);
        EXPECT_TRUE(made.partition);
        // Let gc run at least once whole while the network is active.
        const long seen = gc_runs;
        for (int i = 0; i < 2000 && gc_runs < seen + 2; i++)
            g_usleep(5000);
        Snapshot now = snapshot();
        if (!(now == made)) {
            if (changed++ == 0)
                first = "cycle " + std::to_string(cycles) + ": netns " +
                        std::to_string(made.netns) + " -> " + std::to_string(now.netns) +
                        ", dnsmasq " + std::to_string(made.dnsmasq.size()) + " -> " +
                        std::to_string(now.dnsmasq.size()) + ", partition " +
                        std::to_string(made.partition) + " -> " + std::to_string(now.partition);
        }
        if (!vw_engine_network_stop(engine_, net.c_str(), &err)) {
            ADD_FAILURE() << "cycle " << cycles << ": stop: " << err->message;
            break;
        }
        EXPECT_FALSE(PathExists(ns_path));
        // Inactive for a while, so that the next start lands anywhere in a
        // gc run (between what it saw and what it does, too).
        g_usleep(g_random_int_range(0, 50000));
    }
    done = true;
    EXPECT_EQ(changed, 0) << "of " << cycles << " cycles; first: " << first;
    EXPECT_EQ(gc_failures, 0) << "of " << gc_runs << " gc runs";
    EXPECT_GT(cycles, 1);
    // And a last start stays as it was through one more gc.
    ASSERT_TRUE(vw_engine_network_start(engine_, net.c_str(), &error)) << error->message;
    Snapshot made = snapshot();
    ASSERT_TRUE(vw_engine_reconcile(engine_, nullptr, nullptr, &error)) << error->message;
    EXPECT_TRUE(snapshot() == made);
    ExpectNetworkWhole(net);
}

// ------------------------------------------------------------ concurrency

TEST_F(EngineTest, ThirtyTwoConcurrentPlugsGetThirtyTwoDistinctAddresses)
{
    ASSERT_FALSE(Driver().empty());
    std::string net = Started();
    std::vector<GPid> pids;
    std::vector<int> outs;
    for (int i = 0; i < 32; i++) {
        g_autofree char *uuid = g_strdup_printf("5a1d3c2e-0000-4000-8000-0000000002%02d", i);
        g_autofree char *mac = g_strdup_printf("52:54:00:cc:00:%02x", i);
        std::vector<std::string> argv = { Driver(), root_, "plug", net, uuid, mac };
        std::vector<char *> cargv;
        for (auto &a : argv)
            cargv.push_back(const_cast<char *>(a.c_str()));
        cargv.push_back(nullptr);
        GPid pid;
        g_autoptr(GError) error = nullptr;
        ASSERT_TRUE(g_spawn_async(nullptr, cargv.data(), nullptr, G_SPAWN_DO_NOT_REAP_CHILD,
                                  nullptr, nullptr, &pid, &error))
            << error->message;
        pids.push_back(pid);
    }
    int failed = 0;
    for (GPid pid : pids) {
        int status;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed++;
    }
    EXPECT_EQ(failed, 0);
    g_autoptr(GError) error = nullptr;
    g_autoptr(GPtrArray) ports = vw_engine_port_list(engine_, net.c_str(), &error);
    ASSERT_NE(ports, nullptr) << error->message;
    EXPECT_EQ(ports->len, 32u);
    std::set<std::string> addrs, taps;
    for (guint i = 0; i < ports->len; i++) {
        VwPortInfo *p = (VwPortInfo *)ports->pdata[i];
        EXPECT_STREQ(p->state, "plugged");
        if (p->ipv4)
            addrs.insert(p->ipv4);
        taps.insert(p->tap);
    }
    EXPECT_EQ(addrs.size(), 32u);
    EXPECT_EQ(taps.size(), 32u);
    g_autoptr(GPtrArray) leases = vw_engine_lease_list(engine_, net.c_str(), &error);
    ASSERT_NE(leases, nullptr);
    EXPECT_EQ(leases->len, 32u);
    EXPECT_EQ(HostLinksOf(net).size(), 64u);
    g_autoptr(JsonNode) peers = IpJson("vw-" + net, { "link", "show", "master", "vwbr0" });
    ASSERT_NE(peers, nullptr);
    EXPECT_EQ(json_array_get_length(json_node_get_array(peers)), 32u);
}

} // namespace
