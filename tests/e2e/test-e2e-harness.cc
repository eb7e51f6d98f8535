// The e2e harness itself, proven on a real libvirtd: the tiny guest boots,
// gets a DHCP lease on a pre-created tap and answers on its console; and a
// domain with an ethernet, a bridge and a network interface shows the live
// XML committed as tests/data/domain/qemu-live-ethernet-bridge-network.xml.
//
// VW_E2E_CAPTURE=FILE makes the second test write the live XML to FILE (to
// refresh the committed sample; review the diff, then restore its paths).
#include <config.h>

#include <unistd.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "vw-e2e-util.h"

namespace
{

using vwe2e::Domain;
using vwe2e::GuestConsole;
using vwe2e::Nic;
using vwe2e::NicKind;

// Generous bounds for a TCG guest on a loaded 2-core machine; reaching one is
// a failure (the guest never got there), not a speed measurement.
constexpr int kConnectMs = 30 * 1000;
constexpr int kBootMs = 240 * 1000;
constexpr int kCommandMs = 60 * 1000;

// Whether all of @s matches @pattern (PCRE).
bool
FullMatch(const std::string &pattern, const std::string &s)
{
    return g_regex_match_simple(("^(?:" + pattern + ")$").c_str(), s.c_str(), (GRegexCompileFlags)0,
                                (GRegexMatchFlags)0);
}

// Why a guest step failed: what its console said.
std::string
Transcript(const GuestConsole &con)
{
    return "--- guest console\n" + con.Transcript() + "\n--- end of console";
}

// The domain, running with a console connected from its first byte on.
::testing::AssertionResult
BootAndConnect(Domain &dom, GuestConsole &con, const std::string &socket)
{
    if (!dom.ok())
        return ::testing::AssertionFailure() << dom.error();
    std::string error;
    if (!con.Connect(socket, kConnectMs, &error))
        return ::testing::AssertionFailure() << error;
    if (!dom.Resume())
        return ::testing::AssertionFailure() << dom.error();
    return ::testing::AssertionSuccess();
}

TEST(E2eHarness, GuestBootsAndGetsDhcpOnTap)
{
    VW_REQUIRE_E2E(env);

    // Host: tap -- bridge -- veth ==> scratch netns: veth with the server
    // address and dnsmasq on it.  Guards are declared so that the domain goes
    // first and the netns last.
    vwtest::ScratchNetns ns;
    ASSERT_TRUE(ns.ok()) << "cannot create a scratch netns";
    vwe2e::ScratchDir dir;
    ASSERT_FALSE(dir.path().empty());
    vwe2e::Bridge br(vwtest::ScratchName("vweb"));
    ASSERT_TRUE(br.ok()) << br.error();
    vwe2e::Tap tap(vwtest::ScratchName("vwet"));
    ASSERT_TRUE(tap.ok()) << tap.error();
    const std::string veth = vwtest::ScratchName("vweh");
    const std::string peer = "vwen0";
    vwtest::Cmd c = vwtest::Run(
        { "ip", "link", "add", veth, "type", "veth", "peer", "name", peer, "netns", ns.name() });
    ASSERT_EQ(c.status, 0) << vwe2e::Describe(c);
    vwtest::LinkGuard veth_guard(veth);
    for (const std::vector<std::string> &cmd : std::vector<std::vector<std::string>>{
             { "ip", "link", "set", "dev", tap.name(), "master", br.name() },
             { "ip", "link", "set", "dev", veth, "master", br.name(), "up" },
             { "ip", "-n", ns.name(), "link", "set", "dev", "lo", "up" },
             { "ip", "-n", ns.name(), "addr", "add", "10.213.77.1/24", "dev", peer },
             { "ip", "-n", ns.name(), "link", "set", "dev", peer, "up" },
         }) {
        c = vwtest::Run(cmd);
        ASSERT_EQ(c.status, 0) << testing::PrintToString(cmd) << vwe2e::Describe(c);
    }
    vwe2e::Dnsmasq dnsmasq(ns.name(), peer, "10.213.77.50", "10.213.77.99", dir.path());
    ASSERT_TRUE(dnsmasq.ok()) << dnsmasq.error();

    const std::string mac = vwe2e::ScratchMac(1);
    vwe2e::DomainSpec spec;
    spec.name = "vw-e2e-dhcp-" + std::to_string(getpid());
    spec.kernel = env->kernel;
    spec.initrd = env->initrd;
    spec.console_socket = dir.File("console.sock");
    spec.console_log = dir.File("console.log");
    spec.nics.push_back({ NicKind::Ethernet, tap.name(), mac });
    Domain dom(spec.name, vwe2e::DomainXml(spec));
    GuestConsole con;
    ASSERT_TRUE(BootAndConnect(dom, con, spec.console_socket));

    std::vector<std::string> lease;
    ASSERT_TRUE(con.WaitFor("VW-GUEST-(NO)?LEASE eth0 ?([0-9.]*)/?([0-9]*)\n", kBootMs, &lease))
        << Transcript(con);
    ASSERT_EQ(lease[1], "") << "the guest got no lease on eth0\n"
                            << Transcript(con) << "\n--- dnsmasq\n"
                            << dnsmasq.Log();
    const std::string ip = lease[2];
    EXPECT_TRUE(FullMatch("10\\.213\\.77\\.[5-9][0-9]", ip)) << ip;
    EXPECT_EQ(lease[3], "24");
    ASSERT_TRUE(con.WaitFor("VW-GUEST-READY\n", kBootMs)) << Transcript(con);

    // dnsmasq, on its side, handed that address to that MAC.
    EXPECT_TRUE(dnsmasq.Alive()) << dnsmasq.Log();
    EXPECT_NE(dnsmasq.Leases().find(" " + mac + " " + ip + " "), std::string::npos)
        << "leases:\n"
        << dnsmasq.Leases() << "\n--- dnsmasq\n"
        << dnsmasq.Log();

    // The guest's shell answers, has the address, and reaches the server.
    std::string out;
    int status = -1;
    ASSERT_TRUE(con.Run("ip -o -4 addr show dev eth0", kCommandMs, &out, &status))
        << Transcript(con);
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("inet " + ip + "/24"), std::string::npos) << out;
    ASSERT_TRUE(con.Run("ping -c 3 -W 10 10.213.77.1", kCommandMs, &out, &status))
        << Transcript(con);
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("bytes from 10.213.77.1"), std::string::npos) << out;
    // And a failing command reports its status.
    ASSERT_TRUE(con.Run("ping -c 1 -W 2 10.213.77.2", kCommandMs, &out, &status))
        << Transcript(con);
    EXPECT_NE(status, 0) << out;
}

// --------------------------------------------------------------------------------------------
// The captured live XML

std::string
SamplePath(const vwe2e::Env *env)
{
    return env->source_root + "/tests/data/domain/qemu-live-ethernet-bridge-network.xml";
}

// Attribute values that differ from run to run or host to host; each is
// checked against its pattern and then compared as "*".
const std::map<std::string, std::string> &
VariableAttributes()
{
    static const std::map<std::string, std::string> m = {
        { "mac@address", "52:54:00(:[0-9a-f]{2}){3}" },
        { "target@dev", "[A-Za-z0-9_.-]{1,15}" },
        { "source@bridge", "[A-Za-z0-9_.-]{1,15}" },
        { "source@network", "[A-Za-z0-9_.-]+" },
        { "source@portid", "[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}" },
    };
    return m;
}

// An element as "name(attr=value ...){children}", variable values as "*".
std::string
Signature(xmlNodePtr node, std::vector<std::string> *bad)
{
    std::string name = (const char *)node->name;
    std::vector<std::string> attrs;
    for (xmlAttrPtr a = node->properties; a; a = a->next) {
        xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
        std::string key = name + "@" + (const char *)a->name;
        std::string value = (const char *)v;
        xmlFree(v);
        auto it = VariableAttributes().find(key);
        if (it != VariableAttributes().end()) {
            if (!FullMatch(it->second, value))
                bad->push_back(key + "='" + value + "'");
            value = "*";
        }
        attrs.push_back(std::string((const char *)a->name) + "=" + value);
    }
    std::sort(attrs.begin(), attrs.end());
    std::string sig = name + "(";
    for (const std::string &a : attrs)
        sig += a + " ";
    sig += "){";
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            sig += Signature(c, bad);
    }
    return sig + "}";
}

struct Shape {
    std::vector<std::string> top;        // names of <domain>'s children, in order
    std::vector<std::string> interfaces; // signature of each <interface>, in order
    std::vector<std::string> bad;        // variable values that break their pattern
    std::vector<std::string> macs;
    std::vector<std::string> targets;
    bool parsed = false;
};

Shape
ShapeOf(const std::string &xml)
{
    Shape s;
    xmlDocPtr doc = xmlReadMemory(xml.data(), (int)xml.size(), "domain.xml", nullptr,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return s;
    s.parsed = true;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        s.top.push_back((const char *)c->name);
        if (!xmlStrEqual(c->name, BAD_CAST "devices"))
            continue;
        for (xmlNodePtr d = c->children; d; d = d->next) {
            if (d->type != XML_ELEMENT_NODE || !xmlStrEqual(d->name, BAD_CAST "interface"))
                continue;
            s.interfaces.push_back(Signature(d, &s.bad));
            for (xmlNodePtr e = d->children; e; e = e->next) {
                if (e->type != XML_ELEMENT_NODE)
                    continue;
                const char *attr = xmlStrEqual(e->name, BAD_CAST "mac")      ? "address"
                                   : xmlStrEqual(e->name, BAD_CAST "target") ? "dev"
                                                                             : nullptr;
                if (!attr)
                    continue;
                xmlChar *v = xmlGetProp(e, BAD_CAST attr);
                (attr[0] == 'a' ? s.macs : s.targets).push_back(v ? (const char *)v : "");
                xmlFree(v);
            }
        }
    }
    xmlFreeDoc(doc);
    return s;
}

TEST(E2eHarness, LiveXmlOfEthernetBridgeAndNetworkInterfacesMatchesTheCapture)
{
    VW_REQUIRE_E2E(env);

    // type='ethernet': a pre-created multiqueue tap (managed='no');
    // type='bridge': a host bridge; type='network': a libvirt network.  That
    // network forwards in mode 'open' with DNS off and no DHCP: libvirt
    // creates its bridge but no dnsmasq and no firewall rules (9.0 installs
    // iptables rules for every other kind of network it makes a bridge for,
    // isolated ones too).  It does turn ip_forward on, which is put back.
    vwe2e::ScratchDir dir;
    ASSERT_FALSE(dir.path().empty());
    vwe2e::Tap tap(vwtest::ScratchName("vwet"), true);
    ASSERT_TRUE(tap.ok()) << tap.error();
    vwe2e::Bridge br(vwtest::ScratchName("vweb"));
    ASSERT_TRUE(br.ok()) << br.error();
    const std::string netname = "vw-e2e-net-" + std::to_string(getpid());
    const std::string netbr = vwtest::ScratchName("vwen");
    vwtest::LinkGuard netbr_guard(netbr); // in case libvirt leaves it behind
    vwe2e::SysctlGuard ip_forward("/proc/sys/net/ipv4/ip_forward");
    vwe2e::LibvirtNetwork net(netname, "<network>\n"
                                       "  <name>" +
                                           netname +
                                           "</name>\n"
                                           "  <forward mode='open'/>\n"
                                           "  <bridge name='" +
                                           netbr +
                                           "' stp='off' delay='0'/>\n"
                                           "  <dns enable='no'/>\n"
                                           "  <ip address='10.213.78.1' prefix='24'/>\n"
                                           "</network>\n");
    ASSERT_TRUE(net.ok()) << net.error();

    vwe2e::DomainSpec spec;
    spec.name = "vw-e2e-nics-" + std::to_string(getpid());
    spec.kernel = env->kernel;
    spec.initrd = env->initrd;
    spec.console_socket = dir.File("console.sock");
    spec.nics.push_back({ NicKind::Ethernet, tap.name(), vwe2e::ScratchMac(1), "virtio", 2 });
    spec.nics.push_back({ NicKind::Bridge, br.name(), vwe2e::ScratchMac(2) });
    spec.nics.push_back({ NicKind::Network, netname, vwe2e::ScratchMac(3) });
    Domain dom(spec.name, vwe2e::DomainXml(spec));
    GuestConsole con;
    ASSERT_TRUE(BootAndConnect(dom, con, spec.console_socket));

    // The guest sees three NICs (nobody serves DHCP here).
    std::vector<std::string> nics;
    ASSERT_TRUE(con.WaitFor("VW-GUEST-NICS ([a-z0-9 ]*)\n", kBootMs, &nics)) << Transcript(con);
    EXPECT_EQ(nics[1], "eth0 eth1 eth2") << Transcript(con);
    ASSERT_TRUE(con.WaitFor("VW-GUEST-READY\n", kBootMs)) << Transcript(con);

    std::string live = dom.LiveXml();
    ASSERT_FALSE(live.empty()) << dom.error();
    if (const char *capture = g_getenv("VW_E2E_CAPTURE")) {
        ASSERT_TRUE(g_file_set_contents(capture, live.c_str(), -1, nullptr)) << capture;
    }
    g_autofree char *sample = nullptr;
    ASSERT_TRUE(g_file_get_contents(SamplePath(env).c_str(), &sample, nullptr, nullptr))
        << SamplePath(env);

    Shape got = ShapeOf(live);
    Shape want = ShapeOf(sample);
    ASSERT_TRUE(got.parsed) << live;
    ASSERT_TRUE(want.parsed) << SamplePath(env);
    EXPECT_TRUE(got.bad.empty()) << testing::PrintToString(got.bad);
    EXPECT_TRUE(want.bad.empty()) << testing::PrintToString(want.bad);
    EXPECT_EQ(got.top, want.top) << live;
    ASSERT_EQ(got.interfaces.size(), 3u) << live;
    EXPECT_EQ(got.interfaces, want.interfaces) << live;

    // The values that the shape leaves out: our MACs in our order, our tap,
    // and libvirt's own tap names for the bridge and network NICs.
    EXPECT_EQ(got.macs, (std::vector<std::string>{ vwe2e::ScratchMac(1), vwe2e::ScratchMac(2),
                                                   vwe2e::ScratchMac(3) }));
    ASSERT_EQ(got.targets.size(), 3u) << live;
    EXPECT_EQ(got.targets[0], tap.name());
    EXPECT_TRUE(FullMatch("vnet[0-9]+", got.targets[1])) << got.targets[1];
    EXPECT_TRUE(FullMatch("vnet[0-9]+", got.targets[2])) << got.targets[2];
    EXPECT_NE(live.find("<source network='" + netname + "' portid='"), std::string::npos) << live;
    EXPECT_NE(live.find("bridge='" + netbr + "'/>"), std::string::npos) << live;
    EXPECT_NE(live.find("<source bridge='" + br.name() + "'/>"), std::string::npos) << live;

    // libvirt's taps for the bridge and network NICs are on the right bridges.
    for (const auto &[tapname, bridge] :
         { std::pair{ got.targets[1], br.name() }, std::pair{ got.targets[2], netbr } }) {
        g_autoptr(JsonObject) link = vwtest::IpLink("", tapname);
        ASSERT_NE(link, nullptr) << tapname;
        ASSERT_TRUE(json_object_has_member(link, "master")) << tapname;
        EXPECT_EQ(std::string(json_object_get_string_member(link, "master")), bridge) << tapname;
    }
}

} // namespace
