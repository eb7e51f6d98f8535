// tools/virtwire-hook against the real kernel and dnsmasq, in a temporary
// root: networks are made through the engine API, the hook binary runs as
// libvirtd runs it (arguments, domain XML on stdin, VIRTWIRE_ROOT), and the
// results are checked independently with ip/tc and the engine's lists.
// Every test removes what it made, also when it fails.
#include <config.h>

#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>

#include "vw-domxml.h"
#include "vw-engine.h"
#include "vw-hook-testutil.h"
#include "vw-names.h"
#include "vw-net-testutil.h"

using namespace vwtest;
using vwhooktest::HookResult;

namespace {

// Whether @name is in PATH.
bool
HaveProgram(const char *name)
{
    g_autofree char *path = g_find_program_in_path(name);
    return path != nullptr;
}

const char *kUuid = "6b2e4f10-0000-4000-8000-00000000c0de";
const char *kMac1 = "52:54:00:c0:00:01";
const char *kMac2 = "52:54:00:c0:00:02";

int g_counter = 0;

bool
PathExists(const std::string &p)
{
    struct stat st;
    return lstat(p.c_str(), &st) == 0;
}

std::string
TapOf(const char *mac, const char *uuid = kUuid)
{
    VwPortNames names;
    EXPECT_TRUE(vw_port_names(uuid, mac, &names, nullptr));
    return names.tap;
}

std::string
HostOf(const char *mac, const char *uuid = kUuid)
{
    VwPortNames names;
    EXPECT_TRUE(vw_port_names(uuid, mac, &names, nullptr));
    return names.host;
}

std::string
PeerOf(const char *mac, const char *uuid = kUuid)
{
    VwPortNames names;
    EXPECT_TRUE(vw_port_names(uuid, mac, &names, nullptr));
    return names.peer;
}

int
IfIndex(const std::string &netns, const std::string &name)
{
    g_autoptr(JsonObject) o = IpLink(netns, name);
    return o ? (int)json_object_get_int_member(o, "ifindex") : -1;
}

std::string
SysNet(const std::string &name, const char *attr)
{
    std::string s = vwhooktest::Slurp("/sys/class/net/" + name + "/" + attr);
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

bool
LinkIsUp(JsonObject *o)
{
    JsonArray *flags = json_object_get_array_member(o, "flags");
    for (guint i = 0; flags && i < json_array_get_length(flags); i++)
        if (g_str_equal(json_array_get_string_element(flags, i), "UP"))
            return true;
    return false;
}

class HookTest : public ::testing::Test {
  protected:
    void SetUp() override
    {
        VW_REQUIRE_ROOT();
        if (!HaveProgram("dnsmasq") && !PathExists("/usr/sbin/dnsmasq"))
            GTEST_SKIP() << "machine lacks: dnsmasq (scripts/setup installs it)";
        ASSERT_FALSE(vwhooktest::HookPath().empty()) << "VW_HOOK is not set";
        g_autoptr(GError) error = nullptr;
        g_autofree char *root = g_dir_make_tmp("vw-hook-XXXXXX", &error);
        ASSERT_NE(root, nullptr) << error->message;
        root_ = root;
        // dnsmasq drops privileges and must reach its files under the root.
        ASSERT_EQ(chmod(root, 0755), 0);
        engine_ = vw_engine_open(root_.c_str(), &error);
        ASSERT_NE(engine_, nullptr) << error->message;
    }

    void TearDown() override
    {
        for (const auto &l : links_)
            vwtest::Run({ "ip", "link", "del", l });
        if (!engine_) {
            if (!root_.empty())
                vwtest::Run({ "rm", "-rf", root_ });
            return;
        }
        for (const auto &n : nets_)
            vw_engine_network_stop(engine_, n.c_str(), nullptr);
        const char *none[] = { nullptr };
        g_autoptr(GError) error = nullptr;
        EXPECT_TRUE(vw_engine_reconcile(engine_, none, nullptr, &error))
            << (error ? error->message : "");
        for (const auto &n : nets_) {
            vw_engine_network_undefine(engine_, n.c_str(), nullptr);
            EXPECT_FALSE(PathExists("/run/netns/vw-" + n)) << n;
        }
        for (const char *mac : { kMac1, kMac2 }) {
            EXPECT_FALSE(PathExists("/sys/class/net/" + TapOf(mac))) << mac;
            EXPECT_FALSE(PathExists("/sys/class/net/" + HostOf(mac))) << mac;
        }
        vw_engine_free(engine_);
        vwtest::Run({ "rm", "-rf", root_ });
    }

    // Define a network (and start it when @start) through the engine API.
    std::string Network(bool start = true)
    {
        int k = ++g_counter;
        std::string name = "vwk" + std::to_string(getpid() % 100000) + "x" + std::to_string(k);
        std::string subnet = "10." + std::to_string(150 + getpid() % 50) + "." + std::to_string(k);
        std::string xml = "<network><name>" + name + "</name><forward mode='isolated'/>" +
                          "<ip family='ipv4' address='" + subnet + ".1' prefix='24'><dhcp>" +
                          "<range start='" + subnet + ".100' end='" + subnet + ".199'/>" +
                          "</dhcp></ip></network>";
        g_autoptr(GError) error = nullptr;
        g_autofree char *got = vw_engine_network_define(engine_, xml.c_str(), &error);
        EXPECT_NE(got, nullptr) << (error ? error->message : "");
        nets_.push_back(name);
        if (start) {
            EXPECT_TRUE(vw_engine_network_start(engine_, name.c_str(), &error))
                << (error ? error->message : "");
        }
        return name;
    }

    struct Nic {
        const char *mac;
        std::string network;
        std::string tap; // "" = the name derived from (UUID, MAC)
        guint queues = 1;
    };

    // A domain XML like libvirt's, with virtwire ports added by the editor
    // that `virtwire attach-interface` uses, plus a NIC that is not virtwire's.
    std::string DomainXml(const std::vector<Nic> &nics, const char *uuid = kUuid)
    {
        std::string base = std::string("<domain type='kvm'>\n  <name>hookdom</name>\n  <uuid>") +
                           uuid +
                           "</uuid>\n  <memory unit='KiB'>65536</memory>\n  <devices>\n"
                           "    <interface type='network'>\n"
                           "      <mac address='52:54:00:99:99:99'/>\n"
                           "      <source network='default'/>\n"
                           "    </interface>\n  </devices>\n</domain>\n";
        g_autoptr(GError) error = nullptr;
        g_autoptr(VwDomEditor) ed = vw_domeditor_new(base.c_str(), -1, &error);
        EXPECT_NE(ed, nullptr) << (error ? error->message : "");
        if (!ed)
            return "";
        for (const Nic &n : nics) {
            std::string tap = n.tap.empty() ? TapOf(n.mac, uuid) : n.tap;
            EXPECT_TRUE(vw_domeditor_add_interface(ed, n.mac, tap.c_str(), "virtio", n.queues,
                                                   n.network.c_str(), &error))
                << (error ? error->message : "");
            g_clear_error(&error);
        }
        g_autofree char *text = vw_domeditor_format(ed);
        return text;
    }

    HookResult Hook(const std::string &op, const std::string &xml,
                    std::map<std::string, std::optional<std::string>> env = {})
    {
        const char *subop = op == "release" || op == "stopped" ? "end" : "begin";
        env.emplace("VIRTWIRE_ROOT", root_);
        env.emplace("VIRTWIRE_TAP_USER", std::nullopt);
        return vwhooktest::RunHook({ "hookdom", op, subop, "-" }, xml, env);
    }

    GPtrArray *Ports(const std::string &net)
    {
        g_autoptr(GError) error = nullptr;
        GPtrArray *p = vw_engine_port_list(engine_, net.c_str(), &error);
        EXPECT_NE(p, nullptr) << (error ? error->message : "");
        return p;
    }

    // net/MAC -> IPv4 of this domain's leases on @net.
    std::map<std::string, std::string> Leases(const std::string &net)
    {
        std::map<std::string, std::string> out;
        g_autoptr(GError) error = nullptr;
        g_autoptr(GPtrArray) l = vw_engine_lease_list(engine_, net.c_str(), &error);
        EXPECT_NE(l, nullptr) << (error ? error->message : "");
        for (guint i = 0; l && i < l->len; i++) {
            const VwLeaseInfo *li = (const VwLeaseInfo *)l->pdata[i];
            if (g_ascii_strcasecmp(li->domain_uuid, kUuid) == 0)
                out[li->mac] = li->ipv4 ? li->ipv4 : "";
        }
        return out;
    }

    // The port of @mac is whole: tap and host veth up in the host netns with
    // their aliases, the peer on the bridge in the network's netns, tc
    // redirects both ways.
    void ExpectPort(const std::string &net, const char *mac)
    {
        std::string tap = TapOf(mac), host = HostOf(mac), peer = PeerOf(mac);
        g_autoptr(JsonObject) t = IpLink("", tap);
        g_autoptr(JsonObject) h = IpLink("", host);
        g_autoptr(JsonObject) p = IpLink("vw-" + net, peer);
        ASSERT_NE(t, nullptr) << tap;
        ASSERT_NE(h, nullptr) << host;
        ASSERT_NE(p, nullptr) << peer;
        EXPECT_TRUE(LinkIsUp(t)) << tap;
        EXPECT_TRUE(LinkIsUp(h)) << host;
        EXPECT_STREQ(json_object_get_string_member(p, "master"), "vwbr0");
        g_autofree char *alias = vw_port_alias_format(net.c_str(), kUuid, mac, "tap");
        EXPECT_STREQ(json_object_get_string_member(t, "ifalias"), alias);
        // The tap's MAC is the guest's with the first byte 0xfe, as libvirt does.
        std::string want = std::string("fe") + (mac + 2);
        EXPECT_EQ(json_object_get_string_member(t, "address"), want);
        g_autoptr(JsonNode) f = TcJson("", { "filter", "show", "dev", tap, "ingress" });
        ASSERT_NE(f, nullptr);
        g_autoptr(JsonGenerator) gen = json_generator_new();
        json_generator_set_root(gen, f);
        g_autofree char *text = json_generator_to_data(gen, nullptr);
        EXPECT_NE(std::string(text).find("\"to_dev\":\"" + host + "\""), std::string::npos)
            << text;
    }

    void ExpectNoPort(const std::string &net, const char *mac)
    {
        EXPECT_FALSE(PathExists("/sys/class/net/" + TapOf(mac))) << TapOf(mac);
        EXPECT_FALSE(PathExists("/sys/class/net/" + HostOf(mac))) << HostOf(mac);
        g_autoptr(JsonObject) p = IpLink("vw-" + net, PeerOf(mac));
        EXPECT_EQ(p, nullptr) << PeerOf(mac);
    }

    std::string root_;
    VwEngine *engine_ = nullptr;
    std::vector<std::string> nets_;
    std::vector<std::string> links_;
};

TEST_F(HookTest, PreparePlugsEveryVirtwirePort)
{
    std::string net = Network();
    std::string xml = DomainXml({ { kMac1, net }, { kMac2, net, "", 2 } });
    HookResult r = Hook("prepare", xml, { { "VIRTWIRE_TAP_USER", "4242:4343" } });
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
    ExpectPort(net, kMac1);
    ExpectPort(net, kMac2);
    // Owner, group and queues come from the environment and the XML.
    for (const char *mac : { kMac1, kMac2 }) {
        EXPECT_EQ(SysNet(TapOf(mac), "owner"), "4242");
        EXPECT_EQ(SysNet(TapOf(mac), "group"), "4343");
    }
    guint64 f1 = g_ascii_strtoull(SysNet(TapOf(kMac1), "tun_flags").c_str(), nullptr, 16);
    guint64 f2 = g_ascii_strtoull(SysNet(TapOf(kMac2), "tun_flags").c_str(), nullptr, 16);
    EXPECT_EQ(f1 & 0x0100, 0u); // IFF_MULTI_QUEUE
    EXPECT_NE(f2 & 0x0100, 0u);
    g_autoptr(GPtrArray) ports = Ports(net);
    ASSERT_NE(ports, nullptr);
    EXPECT_EQ(ports->len, 2u);
    auto leases = Leases(net);
    EXPECT_EQ(leases.size(), 2u);
    EXPECT_FALSE(leases[kMac1].empty());
    EXPECT_NE(leases[kMac1], leases[kMac2]);
    // The NIC that is not virtwire's was left alone.
    EXPECT_EQ(r.err.find("52:54:00:99:99:99"), std::string::npos);
}

// By default a tap belongs to root: libvirt opens it, no QEMU can attach.
TEST_F(HookTest, PrepareGivesTheTapsToRootByDefault)
{
    std::string net = Network();
    HookResult r = Hook("prepare", DomainXml({ { kMac1, net } }));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(SysNet(TapOf(kMac1), "owner"), "0");
    EXPECT_EQ(SysNet(TapOf(kMac1), "group"), "0");
}

TEST_F(HookTest, PrepareTwiceGivesTheSamePorts)
{
    std::string net = Network();
    std::string xml = DomainXml({ { kMac1, net }, { kMac2, net } });
    HookResult r = Hook("prepare", xml);
    ASSERT_EQ(r.status, 0) << r.err;
    int tap1 = IfIndex("", TapOf(kMac1)), tap2 = IfIndex("", TapOf(kMac2));
    auto leases = Leases(net);
    r = Hook("prepare", xml);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(IfIndex("", TapOf(kMac1)), tap1);
    EXPECT_EQ(IfIndex("", TapOf(kMac2)), tap2);
    EXPECT_EQ(Leases(net), leases);
    g_autoptr(GPtrArray) ports = Ports(net);
    ASSERT_NE(ports, nullptr);
    EXPECT_EQ(ports->len, 2u);
}

TEST_F(HookTest, ReleaseRemovesTheLinksAndKeepsTheLeases)
{
    std::string net = Network();
    std::string xml = DomainXml({ { kMac1, net }, { kMac2, net } });
    ASSERT_EQ(Hook("prepare", xml).status, 0);
    auto leases = Leases(net);
    ASSERT_EQ(leases.size(), 2u);
    // libvirt runs `stopped end` then `release end`: both unplug.
    HookResult r = Hook("stopped", xml);
    EXPECT_EQ(r.status, 0) << r.err;
    ExpectNoPort(net, kMac1);
    ExpectNoPort(net, kMac2);
    r = Hook("release", xml);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "");
    g_autoptr(GPtrArray) ports = Ports(net);
    ASSERT_NE(ports, nullptr);
    EXPECT_EQ(ports->len, 0u);
    EXPECT_EQ(Leases(net), leases);
    // The next start gets the same addresses.
    ASSERT_EQ(Hook("prepare", xml).status, 0);
    EXPECT_EQ(Leases(net), leases);
}

TEST_F(HookTest, FailedPrepareOnAnInactiveNetworkLeavesNothing)
{
    std::string net = Network();
    std::string down = Network(false);
    std::string xml = DomainXml({ { kMac1, net }, { kMac2, down } });
    HookResult r = Hook("prepare", xml);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("interface " + std::string(kMac2) + " of domain 'hookdom'"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("'" + down + "'"), std::string::npos) << r.err;
    ExpectNoPort(net, kMac1);
    g_autoptr(GPtrArray) ports = Ports(net);
    ASSERT_NE(ports, nullptr);
    EXPECT_EQ(ports->len, 0u);
    // The lease this run made is freed again.
    EXPECT_TRUE(Leases(net).empty());
}

TEST_F(HookTest, FailedPrepareKeepsALeaseItDidNotMake)
{
    std::string net = Network();
    std::string down = Network(false);
    // The domain ran before with only its first NIC: that lease exists.
    ASSERT_EQ(Hook("prepare", DomainXml({ { kMac1, net } })).status, 0);
    ASSERT_EQ(Hook("release", DomainXml({ { kMac1, net } })).status, 0);
    auto before = Leases(net);
    ASSERT_EQ(before.size(), 1u);
    HookResult r = Hook("prepare", DomainXml({ { kMac1, net }, { kMac2, down } }));
    EXPECT_EQ(r.status, 1);
    ExpectNoPort(net, kMac1);
    EXPECT_EQ(Leases(net), before);
}

// Ports sharing a network are plugged in one engine call (one lease save
// for all); when one of them fails, the ports and the leases this run made
// go again, an older lease stays, and the message names the interface.
TEST_F(HookTest, FailedPrepareOfPortsPluggedTogetherFreesTheLeasesItMade)
{
    std::string net = Network();
    const char *mac3 = "52:54:00:c0:00:03";
    ASSERT_EQ(Hook("prepare", DomainXml({ { kMac1, net } })).status, 0);
    ASSERT_EQ(Hook("release", DomainXml({ { kMac1, net } })).status, 0);
    auto before = Leases(net);
    ASSERT_EQ(before.size(), 1u);
    // The third port's host veth name is taken by a link that is not
    // virtwire's (its alias says whose it is; a link of a port's name
    // without one counts as an interrupted plug's): that port's plug fails.
    std::string taken = HostOf(mac3);
    ASSERT_EQ(vwtest::Run({ "ip", "link", "add", taken, "type", "bridge" }).status, 0);
    links_.push_back(taken);
    ASSERT_EQ(vwtest::Run({ "ip", "link", "set", taken, "alias", "not-virtwire" }).status, 0);
    int ifindex = IfIndex("", taken);
    HookResult r = Hook("prepare", DomainXml({ { kMac1, net }, { kMac2, net }, { mac3, net } }));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("interface " + std::string(mac3) + " of domain 'hookdom'"),
              std::string::npos)
        << r.err;
    for (const char *mac : { kMac1, kMac2, mac3 })
        EXPECT_FALSE(PathExists("/sys/class/net/" + TapOf(mac))) << mac;
    g_autoptr(GPtrArray) ports = Ports(net);
    ASSERT_NE(ports, nullptr);
    EXPECT_EQ(ports->len, 0u);
    EXPECT_EQ(Leases(net), before);
    EXPECT_EQ(IfIndex("", taken), ifindex);
}

// A port left plugged from an earlier run (no `release` came) is a
// leftover when prepare fails on its network: it goes too, its lease stays.
TEST_F(HookTest, FailedPrepareRemovesALeftoverPortOfTheFailingNetwork)
{
    std::string net = Network();
    const char *mac3 = "52:54:00:c0:00:03";
    ASSERT_EQ(Hook("prepare", DomainXml({ { kMac1, net } })).status, 0);
    ExpectPort(net, kMac1);
    auto before = Leases(net);
    std::string taken = HostOf(mac3);
    ASSERT_EQ(vwtest::Run({ "ip", "link", "add", taken, "type", "bridge" }).status, 0);
    links_.push_back(taken);
    ASSERT_EQ(vwtest::Run({ "ip", "link", "set", taken, "alias", "not-virtwire" }).status, 0);
    HookResult r = Hook("prepare", DomainXml({ { kMac1, net }, { mac3, net } }));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("interface " + std::string(mac3) + " of domain 'hookdom'"),
              std::string::npos)
        << r.err;
    ExpectNoPort(net, kMac1);
    EXPECT_FALSE(PathExists("/sys/class/net/" + TapOf(mac3)));
    g_autoptr(GPtrArray) ports = Ports(net);
    ASSERT_NE(ports, nullptr);
    EXPECT_EQ(ports->len, 0u);
    EXPECT_EQ(Leases(net), before);
}

TEST_F(HookTest, FailedPrepareOnAForeignLinkNameLeavesNothingAndSparesTheLink)
{
    std::string net = Network();
    // The second NIC's target dev is taken by a link that is not virtwire's
    // (a bridge: the dummy driver is not in every kernel).
    std::string foreign = ScratchName("vwf");
    ASSERT_EQ(vwtest::Run({ "ip", "link", "add", foreign, "type", "bridge" }).status, 0);
    links_.push_back(foreign);
    int ifindex = IfIndex("", foreign);
    HookResult r = Hook("prepare", DomainXml({ { kMac1, net }, { kMac2, net, foreign } }));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("interface " + std::string(kMac2) + " of domain 'hookdom'"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(foreign), std::string::npos) << r.err;
    ExpectNoPort(net, kMac1);
    EXPECT_FALSE(PathExists("/sys/class/net/" + HostOf(kMac2)));
    g_autoptr(GPtrArray) ports = Ports(net);
    ASSERT_NE(ports, nullptr);
    EXPECT_EQ(ports->len, 0u);
    EXPECT_TRUE(Leases(net).empty());
    // Somebody else's link is never touched (the hook refuses before the
    // engine runs), neither by prepare nor by reconnect, which plugs the rest.
    EXPECT_EQ(IfIndex("", foreign), ifindex);
    r = Hook("reconnect", DomainXml({ { kMac1, net }, { kMac2, net, foreign } }));
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.err.find(foreign), std::string::npos) << r.err;
    EXPECT_EQ(IfIndex("", foreign), ifindex);
    ExpectPort(net, kMac1);
}

TEST_F(HookTest, ReconnectRepairsAPortDeletedBehindItsBack)
{
    std::string net = Network();
    std::string xml = DomainXml({ { kMac1, net }, { kMac2, net } });
    ASSERT_EQ(Hook("prepare", xml).status, 0);
    int tap2 = IfIndex("", TapOf(kMac2));
    ASSERT_EQ(vwtest::Run({ "ip", "link", "del", TapOf(kMac1) }).status, 0);
    HookResult r = Hook("reconnect", xml);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "");
    ExpectPort(net, kMac1);
    ExpectPort(net, kMac2);
    // The port that was whole was left as it was.
    EXPECT_EQ(IfIndex("", TapOf(kMac2)), tap2);
    // attach behaves the same: idempotent.
    r = Hook("attach", xml);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(IfIndex("", TapOf(kMac2)), tap2);
}

TEST_F(HookTest, ReconnectWithAnUndefinedNetworkStillExitsZero)
{
    std::string net = Network();
    std::string xml = DomainXml({ { kMac1, "vwnosuchnet" }, { kMac2, net } });
    HookResult r = Hook("reconnect", xml);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("vwnosuchnet"), std::string::npos) << r.err;
    // The other port was still plugged.
    ExpectPort(net, kMac2);
}

TEST_F(HookTest, MigrateAndRestoreFilterWithoutTouchingPorts)
{
    std::string net = Network();
    std::string xml = DomainXml({ { kMac1, net } });
    for (const char *op : { "migrate", "restore" }) {
        HookResult r = Hook(op, xml);
        EXPECT_EQ(r.status, 0) << r.err;
        EXPECT_EQ(r.out, xml);
    }
    ExpectNoPort(net, kMac1);
    EXPECT_TRUE(Leases(net).empty());
}

} // namespace
