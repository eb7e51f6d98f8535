// The guards of a network (src/engine/vw-guard.c) against the real kernel:
// frames written into a port's tap, as a guest would send them, and what
// reaches another port's tap; a guest-side connection to a listener of this
// test in the host netns.  Every network, namespace and link is the test's
// own (temporary root, scratch names) and removed also on failure.
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>

#include "vw-engine.h"
#include "vw-guard.h"
#include "vw-names.h"
#include "vw-engine-testutil.h"
#include "vw-net-testutil.h"
#include "vw-netns.h"

using namespace vwtest;

namespace
{

const char *kUuidA = "5a1d3c2e-0000-4000-8000-0000000000a1";
const char *kMacA = "52:54:00:aa:0a:01";
const char *kUuidB = "5a1d3c2e-0000-4000-8000-0000000000b1";
const char *kMacB = "52:54:00:aa:0b:01";
const char *kForeignMac = "52:54:00:de:ad:01";

int g_counter = 0;

using Bytes = std::vector<guint8>;

Bytes
Mac(const char *text)
{
    unsigned v[6];
    EXPECT_EQ(sscanf(text, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]), 6)
        << text;
    return Bytes(v, v + 6);
}

Bytes
Ip4(const std::string &text)
{
    Bytes a(4);
    EXPECT_EQ(inet_pton(AF_INET, text.c_str(), a.data()), 1) << text;
    return a;
}

Bytes
Ip6(const std::string &text)
{
    Bytes a(16);
    EXPECT_EQ(inet_pton(AF_INET6, text.c_str(), a.data()), 1) << text;
    return a;
}

void
Put(Bytes &out, const Bytes &b)
{
    out.insert(out.end(), b.begin(), b.end());
}

void
Put16(Bytes &out, guint16 v)
{
    out.push_back((guint8)(v >> 8));
    out.push_back((guint8)v);
}

Bytes
Ether(const Bytes &dst, const Bytes &src, guint16 type)
{
    Bytes f;
    Put(f, dst);
    Put(f, src);
    Put16(f, type);
    return f;
}

// Every frame carries "VWG:" TAG ";" so that the receiving side can tell
// which frames came through: inside the IP payload (a bridge with
// br_netfilter trims what follows the IP packet), after an ARP packet.
Bytes
TagBytes(const std::string &tag)
{
    std::string t = "VWG:" + tag + ";";
    return Bytes(t.begin(), t.end());
}

void
Pad(Bytes &f)
{
    while (f.size() < 60)
        f.push_back(0);
}

Bytes
Udp4(const Bytes &smac, const Bytes &dmac, const Bytes &sip, const Bytes &dip, guint16 sport,
     guint16 dport, size_t payload, const std::string &tag)
{
    Bytes f = Ether(dmac, smac, 0x0800);
    size_t ip_at = f.size();
    const Bytes t = TagBytes(tag);
    guint16 total = (guint16)(20 + 8 + payload + t.size());
    Bytes ip = { 0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0 };
    ip[2] = (guint8)(total >> 8);
    ip[3] = (guint8)total;
    Put(f, ip);
    Put(f, sip);
    Put(f, dip);
    guint32 sum = 0;
    for (size_t i = 0; i < 20; i += 2)
        sum += (guint32)(f[ip_at + i] << 8 | f[ip_at + i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    f[ip_at + 10] = (guint8)(~sum >> 8);
    f[ip_at + 11] = (guint8)~sum;
    Put16(f, sport);
    Put16(f, dport);
    Put16(f, (guint16)(8 + payload + t.size()));
    Put16(f, 0);
    f.insert(f.end(), payload, 0);
    Put(f, t);
    Pad(f);
    return f;
}

Bytes
Arp(const Bytes &eth_src, const Bytes &sha, const Bytes &spa, const Bytes &tpa,
    const std::string &tag)
{
    Bytes f = Ether(Mac("ff:ff:ff:ff:ff:ff"), eth_src, 0x0806);
    Put(f, { 0, 1, 0x08, 0, 6, 4, 0, 1 });
    Put(f, sha);
    Put(f, spa);
    Put(f, Bytes(6, 0));
    Put(f, tpa);
    Put(f, TagBytes(tag));
    Pad(f);
    return f;
}

// An IPv6 packet to ff02::1 (flooded by the bridge) with @next and @l4.
Bytes
Ip6Packet(const Bytes &smac, const Bytes &sip, guint8 next, Bytes l4, const std::string &tag)
{
    Bytes f = Ether(Mac("33:33:00:00:00:01"), smac, 0x86dd);
    Put(l4, TagBytes(tag));
    if (next == 17) { // the UDP length covers the tag
        l4[4] = (guint8)(l4.size() >> 8);
        l4[5] = (guint8)l4.size();
    }
    Put(f, { 0x60, 0, 0, 0 });
    Put16(f, (guint16)l4.size());
    f.push_back(next);
    f.push_back(255);
    Put(f, sip);
    Put(f, Ip6("ff02::1"));
    Put(f, l4);
    Pad(f);
    return f;
}

Bytes
Udp6Body(guint16 sport, guint16 dport)
{
    Bytes u;
    Put16(u, sport);
    Put16(u, dport);
    Put16(u, 8 + 4);
    Put16(u, 0);
    Put(u, Bytes(4, 0));
    return u;
}

// ICMPv6 neighbour advertisement (136) or solicitation (135) for @target.
Bytes
Nd(guint8 type, const Bytes &target)
{
    Bytes b = { type, 0, 0, 0, 0, 0, 0, 0 };
    if (type == 136)
        b[4] = 0x20; // override
    Put(b, target);
    return b;
}

// A guest's end of a tap: attached by name, as QEMU attaches.
class GuestTap
{
  public:
    explicit GuestTap(const std::string &name)
    {
        fd_ = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
        struct ifreq ifr = {};
        g_strlcpy(ifr.ifr_name, name.c_str(), IFNAMSIZ);
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
        if (fd_ >= 0 && ioctl(fd_, TUNSETIFF, &ifr) < 0) {
            close(fd_);
            fd_ = -1;
        }
    }
    ~GuestTap()
    {
        if (fd_ >= 0)
            close(fd_);
    }
    bool ok() const
    {
        return fd_ >= 0;
    }
    bool Send(const Bytes &f)
    {
        return write(fd_, f.data(), f.size()) == (ssize_t)f.size();
    }
    // Wait until frames from @from (sending @probe) reach this tap: a tap
    // that a guest just attached carries frames only once the kernel's
    // link watch has activated its queue.  FALSE after 10 s (a bound).
    bool WaitForPath(GuestTap &from, const Bytes &probe, const std::string &tag)
    {
        gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
        while (g_get_monotonic_time() < end) {
            if (!from.Send(probe))
                return false;
            gint64 round = g_get_monotonic_time() + 50000;
            while (g_get_monotonic_time() < round) {
                struct pollfd p = { fd_, POLLIN, 0 };
                guint8 buf[2048];
                if (poll(&p, 1, 10) <= 0)
                    continue;
                ssize_t n = read(fd_, buf, sizeof(buf));
                if (n > 0 && std::string((const char *)buf, (size_t)n).find("VWG:" + tag + ";") !=
                                 std::string::npos)
                    return true;
            }
        }
        return false;
    }
    // Read frames until one tagged @last arrives (at most 10 s, a bound
    // against a hang, not a measure); the tags of all frames seen.
    std::set<std::string> TagsUntil(const std::string &last)
    {
        std::set<std::string> seen;
        gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
        while (!seen.count(last) && g_get_monotonic_time() < end) {
            struct pollfd p = { fd_, POLLIN, 0 };
            if (poll(&p, 1, 100) <= 0)
                continue;
            guint8 buf[2048];
            ssize_t n = read(fd_, buf, sizeof(buf));
            if (n <= 0)
                continue;
            std::string s((const char *)buf, (size_t)n);
            size_t at = s.find("VWG:");
            if (at == std::string::npos)
                continue;
            size_t semi = s.find(';', at);
            if (semi != std::string::npos)
                seen.insert(s.substr(at + 4, semi - at - 4));
        }
        return seen;
    }

  private:
    int fd_ = -1;
};

// Keeps the calling thread on the CPU it runs on, so that the frames it
// writes are handled in the order written (one backlog queue).
class PinnedCpu
{
  public:
    PinnedCpu()
    {
        ok_ = sched_getaffinity(0, sizeof(old_), &old_) == 0;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(sched_getcpu(), &one);
        ok_ = ok_ && sched_setaffinity(0, sizeof(one), &one) == 0;
    }
    ~PinnedCpu()
    {
        if (ok_)
            sched_setaffinity(0, sizeof(old_), &old_);
    }

  private:
    cpu_set_t old_;
    bool ok_ = false;
};

// A netns whose veth peer sits on the network's bridge (not a port: the
// anti-spoofing guard ignores it), with a static address and a route.
class Client
{
  public:
    Client(const std::string &net, const std::string &addr, const std::string &gw)
        : netns_(ScratchName("vwgc")), peer_(ScratchName("vwgp"))
    {
        ok_ =
            vwtest::Run({ "ip", "netns", "add", netns_ }).status == 0 &&
            vwtest::Run({ "ip", "-n", "vw-" + net, "link", "add", peer_, "type", "veth", "peer",
                          "name", "eth0", "netns", netns_ })
                    .status == 0 &&
            vwtest::Run({ "ip", "-n", "vw-" + net, "link", "set", peer_, "master", "vwbr0", "up" })
                    .status == 0 &&
            vwtest::Run({ "ip", "-n", netns_, "link", "set", "eth0", "up" }).status == 0 &&
            vwtest::Run({ "ip", "-n", netns_, "addr", "add", addr + "/24", "dev", "eth0" })
                    .status == 0 &&
            vwtest::Run({ "ip", "-n", netns_, "route", "add", "default", "via", gw }).status == 0;
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

    // connect() from inside the netns to @addr:@port: 0 or its errno.
    int Connect(const std::string &addr, guint16 port)
    {
        struct Job {
            struct sockaddr_in sa;
            int err;
        } job = {};
        job.sa.sin_family = AF_INET;
        job.sa.sin_port = htons(port);
        inet_pton(AF_INET, addr.c_str(), &job.sa.sin_addr);
        int fd = open(("/run/netns/" + netns_).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return errno;
        auto run = [](gpointer data, GError **) -> gboolean {
            Job *j = (Job *)data;
            int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            struct timeval tv = { 10, 0 }; // a bound against a hang
            setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
            j->err = connect(s, (struct sockaddr *)&j->sa, sizeof(j->sa)) == 0 ? 0 : errno;
            close(s);
            return TRUE;
        };
        gboolean ok = vw_netns_run(fd, run, &job, nullptr);
        close(fd);
        return ok ? job.err : -1;
    }

  private:
    std::string netns_, peer_;
    bool ok_ = false;
};

// A TCP listener of this test on 0.0.0.0 and a free port, in the host netns
// or in the netns @netns.
class HostListener
{
  public:
    explicit HostListener(const std::string &netns = "")
    {
        if (netns.empty()) {
            Open(this, nullptr);
            return;
        }
        int fd = open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            vw_netns_run(fd, Open, this, nullptr);
            close(fd);
        }
    }
    static gboolean Open(gpointer data, GError **)
    {
        HostListener *self = (HostListener *)data;
        self->fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        struct sockaddr_in sa = {};
        sa.sin_family = AF_INET;
        socklen_t len = sizeof(sa);
        if (self->fd_ < 0 || bind(self->fd_, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            listen(self->fd_, 8) < 0 || getsockname(self->fd_, (struct sockaddr *)&sa, &len) < 0)
            return FALSE;
        self->port_ = ntohs(sa.sin_port);
        return TRUE;
    }
    ~HostListener()
    {
        if (fd_ >= 0)
            close(fd_);
    }
    guint16 port() const
    {
        return port_;
    }
    // Whether a connection is waiting to be accepted (taken if so).
    bool Accepted()
    {
        int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0)
            return false;
        close(c);
        return true;
    }

  private:
    int fd_ = -1;
    guint16 port_ = 0;
};

std::string
NftSetJson(const std::string &netns, const std::string &table, const std::string &set)
{
    return vwtest::Run(
               { "ip", "netns", "exec", netns, "nft", "-j", "list", "set", "bridge", table, set })
        .out;
}

class GuardTest : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        VW_REQUIRE_ROOT();
        VW_REQUIRE_ENGINE_DNSMASQ();
        if (vwtest::Run({ "nft", "--version" }).status != 0)
            GTEST_SKIP() << "machine lacks: nft (scripts/setup installs it)";
        ASSERT_TRUE(vwtest::ScratchEngine("vw-guard", &root_, &engine_));
    }

    void TearDown() override
    {
        if (!engine_)
            return;
        for (const auto &n : nets_)
            vw_engine_network_stop(engine_, n.c_str(), nullptr);
        const char *none[] = { nullptr };
        EXPECT_TRUE(vw_engine_reconcile(engine_, none, nullptr, nullptr));
        for (const auto &n : nets_) {
            vw_engine_network_undefine(engine_, n.c_str(), nullptr);
            EXPECT_NE(vwtest::Run({ "nft", "list", "table", "inet", "vwg-" + n }).status, 0) << n;
        }
        vw_engine_free(engine_);
        vwtest::Run({ "rm", "-rf", root_ });
    }

    // Define and start a network; @body goes inside <network>.
    std::string Start(const std::string &body)
    {
        int k = ++g_counter;
        std::string name = "vwg" + std::to_string(getpid()) + "x" + std::to_string(k);
        nets_.push_back(name);
        std::string xml = "<network><name>" + name + "</name>" + body + "</network>";
        g_autoptr(GError) error = nullptr;
        g_autofree char *got = vw_engine_network_define(engine_, xml.c_str(), &error);
        EXPECT_NE(got, nullptr) << (error ? error->message : "");
        EXPECT_TRUE(vw_engine_network_start(engine_, name.c_str(), &error))
            << (error ? error->message : "");
        return name;
    }

    // An IPv4 (and IPv6) subnet of this test: 10.S.K.0/24, fd00:S:K::/64.
    std::string Subnet4()
    {
        return "10." + std::to_string(150 + getpid() % 50) + "." + std::to_string(g_counter + 1);
    }
    std::string Subnet6()
    {
        return "fd00:" + std::to_string(150 + getpid() % 50) + ":" + std::to_string(g_counter + 1) +
               "::";
    }
    std::string IpXml(const std::string &s4, const std::string &s6)
    {
        std::string x = "<ip address='" + s4 + ".1' prefix='24'><dhcp><range start='" + s4 +
                        ".100' end='" + s4 + ".199'/></dhcp></ip>";
        if (!s6.empty())
            x += "<ip family='ipv6' address='" + s6 + "1' prefix='64'><dhcp><range start='" + s6 +
                 "100' end='" + s6 + "1ff'/></dhcp></ip>";
        return x;
    }

    VwPortInfo *Plug(const std::string &net, const char *uuid, const char *mac)
    {
        VwPortRequest req = {};
        req.network = net.c_str();
        req.domain_uuid = uuid;
        req.domain_name = "dom";
        req.mac = mac;
        req.owner = (uid_t)-1;
        req.group = (gid_t)-1;
        g_autoptr(GError) error = nullptr;
        VwPortInfo *p = vw_engine_port_plug(engine_, &req, &error);
        EXPECT_NE(p, nullptr) << (error ? error->message : "");
        return p;
    }

    // The host end's address of the network's uplink.
    std::string UplinkHostAddr(const std::string &net)
    {
        std::string dev;
        g_autoptr(JsonNode) links = IpJson("", { "link", "show" });
        JsonArray *a = links ? json_node_get_array(links) : nullptr;
        for (guint i = 0; a && i < json_array_get_length(a); i++) {
            JsonObject *o = json_array_get_object_element(a, i);
            std::string name = json_object_get_string_member(o, "ifname");
            if (name.rfind("vwu-", 0) == 0 && json_object_has_member(o, "ifalias") &&
                std::string(json_object_get_string_member(o, "ifalias")).find(":" + net + ":") !=
                    std::string::npos)
                dev = name;
        }
        if (dev.empty())
            return "";
        g_autoptr(JsonNode) addrs = IpJson("", { "-4", "addr", "show", "dev", dev });
        JsonArray *l = addrs ? json_node_get_array(addrs) : nullptr;
        if (!l || json_array_get_length(l) != 1)
            return "";
        JsonArray *ai =
            json_object_get_array_member(json_array_get_object_element(l, 0), "addr_info");
        if (json_array_get_length(ai) < 1)
            return "";
        return json_object_get_string_member(json_array_get_object_element(ai, 0), "local");
    }

    std::string root_;
    VwEngine *engine_ = nullptr;
    std::vector<std::string> nets_;
};

// ------------------------------------------------------------ anti-spoofing

TEST_F(GuardTest, PortSendsOnlyWithItsOwnMacAndAddresses)
{
    std::string s4 = Subnet4(), s6 = Subnet6();
    std::string net = Start(IpXml(s4, s6));
    g_autoptr(VwPortInfo) a = Plug(net, kUuidA, kMacA);
    g_autoptr(VwPortInfo) b = Plug(net, kUuidB, kMacB);
    ASSERT_TRUE(a && b);
    ASSERT_NE(a->ipv4, nullptr);
    ASSERT_NE(a->ipv6, nullptr);
    GuestTap ta(a->tap), tb(b->tap);
    ASSERT_TRUE(ta.ok() && tb.ok()) << g_strerror(errno);

    const Bytes bcast = Mac("ff:ff:ff:ff:ff:ff");
    const Bytes ma = Mac(kMacA), foreign_mac = Mac(kForeignMac);
    const Bytes ipa = Ip4(a->ipv4), foreign_ip = Ip4(s4 + ".250"), zero = Ip4("0.0.0.0");
    const Bytes all = Ip4("255.255.255.255"), gw = Ip4(s4 + ".1");
    const Bytes ip6a = Ip6(a->ipv6), foreign6 = Ip6(s6 + "250");
    const Bytes ll = Ip6("fe80::5054:ff:feaa:a01"), unspec = Ip6("::");
    struct Case {
        std::string tag;
        Bytes frame;
        bool passes;
    };
    const std::vector<Case> cases = {
        { "foreign-mac", Udp4(foreign_mac, bcast, ipa, all, 9, 9, 4, "foreign-mac"), false },
        { "foreign-ip", Udp4(ma, bcast, foreign_ip, all, 9, 9, 4, "foreign-ip"), false },
        { "arp-foreign-ip", Arp(ma, ma, foreign_ip, gw, "arp-foreign-ip"), false },
        { "arp-foreign-sha", Arp(ma, foreign_mac, ipa, gw, "arp-foreign-sha"), false },
        { "dhcp-server", Udp4(ma, bcast, ipa, all, 67, 68, 240, "dhcp-server"), false },
        { "ipv6-foreign", Ip6Packet(ma, foreign6, 17, Udp6Body(9, 9), "ipv6-foreign"), false },
        { "na-foreign-target", Ip6Packet(ma, ip6a, 58, Nd(136, foreign6), "na-foreign-target"),
          false },
        { "router-advert",
          Ip6Packet(ma, ll, 58, { 134, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
                    "router-advert"),
          false },
        { "own", Udp4(ma, bcast, ipa, all, 9, 9, 4, "own"), true },
        { "dhcp-client", Udp4(ma, bcast, zero, all, 68, 67, 240, "dhcp-client"), true },
        { "arp-own", Arp(ma, ma, ipa, gw, "arp-own"), true },
        { "arp-probe", Arp(ma, ma, zero, ipa, "arp-probe"), true },
        { "ipv6-own", Ip6Packet(ma, ip6a, 17, Udp6Body(9, 9), "ipv6-own"), true },
        { "na-own", Ip6Packet(ma, ip6a, 58, Nd(136, ip6a), "na-own"), true },
        { "dad", Ip6Packet(ma, unspec, 58, Nd(135, ip6a), "dad"), true },
        { "link-local-ns", Ip6Packet(ma, ll, 58, Nd(135, foreign6), "link-local-ns"), true },
    };
    ASSERT_TRUE(tb.WaitForPath(ta, Udp4(ma, bcast, ipa, all, 9, 9, 4, "ready"), "ready"));
    {
        PinnedCpu pin;
        for (const auto &c : cases)
            ASSERT_TRUE(ta.Send(c.frame)) << c.tag << ": " << g_strerror(errno);
        ASSERT_TRUE(ta.Send(Udp4(ma, bcast, ipa, all, 9, 9, 4, "end")));
    }
    std::set<std::string> seen = tb.TagsUntil("end");
    ASSERT_TRUE(seen.count("end")) << "the port's own last frame never reached the other port";
    for (const auto &c : cases)
        EXPECT_EQ(seen.count(c.tag) == 1, c.passes) << c.tag;
    // The bridge never learnt the foreign MAC: the frame did not reach it.
    Cmd fdb = vwtest::Run({ "bridge", "-n", "vw-" + net, "fdb", "show", "br", "vwbr0" });
    EXPECT_EQ(fdb.out.find(kForeignMac), std::string::npos) << fdb.out;
    EXPECT_NE(fdb.out.find(kMacA), std::string::npos) << fdb.out;
}

TEST_F(GuardTest, SpoofCheckNoLetsAPortSendAsAnyone)
{
    std::string s4 = Subnet4();
    std::string net = Start("<port spoofCheck='no'/>" + IpXml(s4, ""));
    g_autoptr(VwPortInfo) a = Plug(net, kUuidA, kMacA);
    g_autoptr(VwPortInfo) b = Plug(net, kUuidB, kMacB);
    ASSERT_TRUE(a && b);
    GuestTap ta(a->tap), tb(b->tap);
    ASSERT_TRUE(ta.ok() && tb.ok()) << g_strerror(errno);
    const Bytes bcast = Mac("ff:ff:ff:ff:ff:ff"), all = Ip4("255.255.255.255");
    ASSERT_TRUE(
        tb.WaitForPath(ta, Udp4(Mac(kMacA), bcast, Ip4(a->ipv4), all, 9, 9, 4, "ready"), "ready"));
    {
        PinnedCpu pin;
        ASSERT_TRUE(
            ta.Send(Udp4(Mac(kForeignMac), bcast, Ip4(s4 + ".250"), all, 9, 9, 4, "spoofed")));
        ASSERT_TRUE(ta.Send(Udp4(Mac(kMacA), bcast, Ip4(a->ipv4), all, 9, 9, 4, "end")));
    }
    std::set<std::string> seen = tb.TagsUntil("end");
    EXPECT_TRUE(seen.count("spoofed"));
    EXPECT_NE(vwtest::Run({ "ip", "netns", "exec", "vw-" + net, "nft", "list", "table", "bridge",
                            "vwg-" + net })
                  .status,
              0);
}

TEST_F(GuardTest, UnplugRemovesThePortsElementsAndOnlyThem)
{
    std::string s4 = Subnet4(), s6 = Subnet6();
    std::string net = Start(IpXml(s4, s6));
    g_autoptr(VwPortInfo) a = Plug(net, kUuidA, kMacA);
    g_autoptr(VwPortInfo) b = Plug(net, kUuidB, kMacB);
    ASSERT_TRUE(a && b);
    const std::string ns = "vw-" + net, table = "vwg-" + net;
    for (const char *set : { "port_mac", "port_ipv4", "port_ipv6", "port_nd_target" }) {
        std::string j = NftSetJson(ns, table, set);
        EXPECT_NE(j.find(a->peer), std::string::npos) << set << ": " << j;
        EXPECT_NE(j.find(b->peer), std::string::npos) << set << ": " << j;
    }
    EXPECT_NE(NftSetJson(ns, table, "port_ipv4").find(a->ipv4), std::string::npos);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_engine_port_unplug(engine_, net.c_str(), kUuidA, kMacA, &error))
        << error->message;
    for (const char *set : { "port_mac", "port_ipv4", "port_ipv6", "port_nd_target" }) {
        std::string j = NftSetJson(ns, table, set);
        EXPECT_NE(j.find("\"set\""), std::string::npos) << set << ": " << j;
        EXPECT_EQ(j.find(a->peer), std::string::npos) << set << ": " << j;
        EXPECT_NE(j.find(b->peer), std::string::npos) << set << ": " << j;
    }
    // Flushed behind our back: reconcile puts back exactly the plugged port.
    ASSERT_EQ(vwtest::Run(
                  { "ip", "netns", "exec", ns, "nft", "flush", "set", "bridge", table, "port_mac" })
                  .status,
              0);
    ASSERT_TRUE(vw_engine_reconcile(engine_, nullptr, nullptr, &error)) << error->message;
    std::string j = NftSetJson(ns, table, "port_mac");
    EXPECT_NE(j.find(b->peer), std::string::npos) << j;
    EXPECT_EQ(j.find(a->peer), std::string::npos) << j;
}

// Many ports' elements in one call: more than one netlink nest holds (its
// length is 16 bits: ~1,480 IPv6 keys), all of them land in the sets.
TEST_F(GuardTest, ManyPortsElementsAllLand)
{
    std::string net = Start(IpXml(Subnet4(), Subnet6()));
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwNetDef) def = engine_load_running_def(engine_, net.c_str(), &error);
    ASSERT_NE(def, nullptr) << error->message;
    const guint n = 1600;
    std::vector<std::string> peers, macs, v4s, v6s;
    for (guint i = 0; i < n; i++) {
        char b[64];
        g_snprintf(b, sizeof(b), "vwn-z%05u", i);
        peers.push_back(b);
        g_snprintf(b, sizeof(b), "52:54:00:9%x:%02x:%02x", i >> 16, (i >> 8) & 0xff, i & 0xff);
        macs.push_back(b);
        g_snprintf(b, sizeof(b), "10.253.%u.%u", i >> 8, i & 0xff);
        v4s.push_back(b);
        g_snprintf(b, sizeof(b), "fd00:ffff::%x", i + 1);
        v6s.push_back(b);
    }
    std::vector<VwMac> bytes(n);
    std::vector<VwGuardPort> ports;
    for (guint i = 0; i < n; i++) {
        ASSERT_TRUE(vw_mac_parse(macs[i].c_str(), bytes[i].b, nullptr)) << macs[i];
        ports.push_back({ peers[i].c_str(), &bytes[i], v4s[i].c_str(), v6s[i].c_str() });
    }
    ASSERT_TRUE(engine_guard_ports_add(engine_, def, ports.data(), n, &error))
        << error->message;
    const std::string ns = "vw-" + net, table = "vwg-" + net;
    for (const char *set : { "port_mac", "port_ipv4", "port_ipv6", "port_nd_target" }) {
        std::string j = NftSetJson(ns, table, set);
        guint count = 0;
        for (size_t at = j.find("\"vwn-z"); at != std::string::npos; at = j.find("\"vwn-z", at + 1))
            count++;
        EXPECT_EQ(count, n) << set;
        EXPECT_NE(j.find(peers[n - 1]), std::string::npos) << set;
    }
}

// A plug whose table went missing makes it and sends its elements again on
// the same socket: the second batch's answers are its own.
TEST_F(GuardTest, PlugMakesAMissingTableAndAddsItsElements)
{
    std::string net = Start(IpXml(Subnet4(), Subnet6()));
    g_autoptr(VwPortInfo) a = Plug(net, kUuidA, kMacA);
    ASSERT_TRUE(a);
    const std::string ns = "vw-" + net, table = "vwg-" + net;
    ASSERT_EQ(vwtest::Run({ "ip", "netns", "exec", ns, "nft", "delete", "table", "bridge", table })
                  .status,
              0);
    g_autoptr(VwPortInfo) b = Plug(net, kUuidB, kMacB);
    ASSERT_TRUE(b);
    for (const char *set : { "port_mac", "port_ipv4", "port_ipv6", "port_nd_target" }) {
        std::string j = NftSetJson(ns, table, set);
        EXPECT_NE(j.find(a->peer), std::string::npos) << set << ": " << j;
        EXPECT_NE(j.find(b->peer), std::string::npos) << set << ": " << j;
    }
}

// ------------------------------------------------------------ host access

TEST_F(GuardTest, NatGuestReachesAHostServiceOnlyWithHostAccess)
{
    HostListener listener;
    ASSERT_NE(listener.port(), 0) << g_strerror(errno);
    for (bool open : { false, true }) {
        SCOPED_TRACE(open ? "hostAccess='yes'" : "default");
        std::string s4 = Subnet4();
        std::string net = Start(std::string("<forward mode='nat'") +
                                (open ? " hostAccess='yes'" : "") + "/>" + IpXml(s4, ""));
        std::string host = UplinkHostAddr(net);
        ASSERT_FALSE(host.empty());
        Client c(net, s4 + ".50", s4 + ".1");
        ASSERT_TRUE(c.ok());
        int err = c.Connect(host, listener.port());
        if (open) {
            EXPECT_EQ(err, 0) << g_strerror(err);
            EXPECT_TRUE(listener.Accepted());
        } else {
            EXPECT_EQ(err, ECONNREFUSED) << g_strerror(err);
            EXPECT_FALSE(listener.Accepted());
            g_autoptr(GError) error = nullptr;
            ASSERT_TRUE(vw_engine_network_stop(engine_, net.c_str(), &error)) << error->message;
            EXPECT_NE(vwtest::Run({ "nft", "list", "table", "inet", "vwg-" + net }).status, 0);
        }
    }
}

TEST_F(GuardTest, NatGuestReachesAnotherNetworkOnlyWithHostAccess)
{
    // B: a routed network whose guest listens; the host routes to it.
    std::string sb = Subnet4();
    std::string b = Start("<forward mode='routed'/>" + IpXml(sb, ""));
    Client guest_b(b, sb + ".50", sb + ".1");
    ASSERT_TRUE(guest_b.ok());
    HostListener listener(guest_b.netns());
    ASSERT_NE(listener.port(), 0) << g_strerror(errno);
    for (bool open : { false, true }) {
        SCOPED_TRACE(open ? "hostAccess='yes'" : "default");
        std::string sa = Subnet4();
        std::string a = Start(std::string("<forward mode='nat'") +
                              (open ? " hostAccess='yes'" : "") + "/>" + IpXml(sa, ""));
        Client guest_a(a, sa + ".50", sa + ".1");
        ASSERT_TRUE(guest_a.ok());
        int err = guest_a.Connect(sb + ".50", listener.port());
        if (open) {
            EXPECT_EQ(err, 0) << g_strerror(err);
            EXPECT_TRUE(listener.Accepted());
        } else {
            EXPECT_EQ(err, ECONNREFUSED) << g_strerror(err);
            EXPECT_FALSE(listener.Accepted());
        }
        g_autoptr(GError) error = nullptr;
        ASSERT_TRUE(vw_engine_network_stop(engine_, a.c_str(), &error)) << error->message;
    }
}

// ------------------------------------------------------------ identity

// An inet table in the host made by this test, deleted on scope exit.
class ScratchTable
{
  public:
    ScratchTable(const std::string &name, const std::string &comment) : name_(name)
    {
        ok_ = vwtest::Run(
                  { "nft", "add", "table", "inet", name_, "{ comment \"" + comment + "\"; }" })
                  .status == 0;
    }
    ~ScratchTable()
    {
        vwtest::Run({ "nft", "delete", "table", "inet", name_ });
    }
    bool ok() const
    {
        return ok_;
    }
    bool Exists() const
    {
        return vwtest::Run({ "nft", "list", "table", "inet", name_ }).status == 0;
    }
    std::string Listing() const
    {
        return vwtest::Run({ "nft", "list", "table", "inet", name_ }).out;
    }

  private:
    std::string name_;
    bool ok_ = false;
};

TEST_F(GuardTest, StartRefusesAHostTableOfAnotherIdentityAndLeavesIt)
{
    int k = g_counter + 1;
    std::string name = "vwg" + std::to_string(getpid()) + "x" + std::to_string(k);
    std::string foreign = "virtwire:network:00000000:" + name + ":someone-else";
    ScratchTable theirs("vwg-" + name, foreign);
    ASSERT_TRUE(theirs.ok());
    nets_.push_back(name);
    std::string xml = "<network><name>" + name + "</name><forward mode='nat'/>" +
                      IpXml(Subnet4(), "") + "</network>";
    g_counter++;
    g_autoptr(GError) error = nullptr;
    g_autofree char *got = vw_engine_network_define(engine_, xml.c_str(), &error);
    ASSERT_NE(got, nullptr) << error->message;
    EXPECT_FALSE(vw_engine_network_start(engine_, name.c_str(), &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find(foreign), std::string::npos) << error->message;
    EXPECT_TRUE(theirs.Exists());
    EXPECT_NE(theirs.Listing().find(foreign), std::string::npos);
    // Nor does a stop, or gc, touch it.
    vw_engine_network_stop(engine_, name.c_str(), nullptr);
    EXPECT_TRUE(vw_engine_reconcile(engine_, nullptr, nullptr, nullptr));
    EXPECT_TRUE(theirs.Exists());
}

// A stop that cannot read the host table (here: EPERM, on a thread without
// CAP_NET_ADMIN) fails its step and names the table; the table stays for
// the next stop, which removes it.
TEST_F(GuardTest, StopThatCannotReadTheHostTableFails)
{
    std::string net = Start("<forward mode='nat'/>" + IpXml(Subnet4(), ""));
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwNetDef) def = engine_load_running_def(engine_, net.c_str(), &error);
    ASSERT_NE(def, nullptr) << error->message;
    gboolean stopped = TRUE;
    bool dropped = false;
    std::thread t([&] {
        // Capabilities are per thread: only this one loses CAP_NET_ADMIN.
        struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct data[2] = {};
        if (syscall(SYS_capget, &hdr, data) != 0)
            return;
        data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
        if (syscall(SYS_capset, &hdr, data) != 0)
            return;
        dropped = true;
        stopped = engine_guard_stop(engine_, def, &error);
    });
    t.join();
    ASSERT_TRUE(dropped) << g_strerror(errno);
    EXPECT_FALSE(stopped);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find("vwg-" + net), std::string::npos)
        << error->message;
    EXPECT_EQ(vwtest::Run({ "nft", "list", "table", "inet", "vwg-" + net }).status, 0);
    g_clear_error(&error);
    ASSERT_TRUE(vw_engine_network_stop(engine_, net.c_str(), &error)) << error->message;
    EXPECT_NE(vwtest::Run({ "nft", "list", "table", "inet", "vwg-" + net }).status, 0);
}

TEST_F(GuardTest, GcCollectsThisRootsLeakedHostTablesOnly)
{
    std::string net = Start("<forward mode='nat'/>" + IpXml(Subnet4(), ""));
    std::string listing = vwtest::Run({ "nft", "list", "table", "inet", "vwg-" + net }).out;
    size_t at = listing.find("virtwire:network:");
    ASSERT_NE(at, std::string::npos) << listing;
    std::string root_tag = listing.substr(at + 17, 8);
    std::string gone = "vwgleak" + std::to_string(getpid());
    std::string other = "vwgother" + std::to_string(getpid());
    // A table of this root whose network is not defined (leaked), and one of
    // another root.
    ScratchTable leaked("vwg-" + gone, "virtwire:network:" + root_tag + ":" + gone + ":x");
    ScratchTable foreign("vwg-" + other, "virtwire:network:00000000:" + other + ":x");
    ASSERT_TRUE(leaked.ok() && foreign.ok());
    VwReconcileReport report;
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_engine_reconcile(engine_, nullptr, &report, &error)) << error->message;
    EXPECT_FALSE(leaked.Exists());
    EXPECT_TRUE(foreign.Exists());
    EXPECT_GE(report.nft_collected, 1u);
    EXPECT_EQ(vwtest::Run({ "nft", "list", "table", "inet", "vwg-" + net }).status, 0);
}

} // namespace
