// <bandwidth> and <bridge stp='...'> of a network, against the real kernel:
// the rate a port carries each way is measured (frames written to and read
// from the port's tap, as QEMU does, and sent and received by packet sockets
// on the port's end in the network's netns), and the qdiscs and the bridge
// are checked with tc and ip.  Every test removes what it made, also on
// failure.
#include <config.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>

#include "vw-engine.h"
#include "vw-engine-testutil.h"
#include "vw-net-testutil.h"

using namespace vwtest;

namespace
{

const char *kUuid = "5a1d3c2e-0000-4000-8000-0000000000b1";
const char *kMac = "52:54:00:bb:00:01";
const uint16_t kMarkPort = 30327;      // UDP destination port of the test's frames
const size_t kVnetHdr = 10;            // struct virtio_net_hdr ahead of each tap frame
const size_t kFrame = 1514;            // Ethernet header + 1500 bytes
const double kSeconds = 2.0;           // of traffic per direction
const uint64_t kMaxBytes = 1ull << 30; // sent per direction at most

int g_counter = 0;

bool
PathExists(const std::string &p)
{
    struct stat st;
    return lstat(p.c_str(), &st) == 0;
}

bool
ParseMac(const std::string &text, uint8_t mac[6])
{
    unsigned v[6];
    if (sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
        return false;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return true;
}

// An IPv4/UDP frame of kFrame bytes to kMarkPort.
std::vector<uint8_t>
UdpFrame(const uint8_t dst_mac[6], const uint8_t src_mac[6], const std::string &src_ip,
         const std::string &dst_ip)
{
    std::vector<uint8_t> f(kFrame, 0);
    memcpy(&f[0], dst_mac, 6);
    memcpy(&f[6], src_mac, 6);
    f[12] = 0x08;
    f[13] = 0x00;
    struct iphdr ip = {};
    ip.version = 4;
    ip.ihl = 5;
    ip.tot_len = htons((uint16_t)(kFrame - 14));
    ip.ttl = 64;
    ip.protocol = IPPROTO_UDP;
    inet_pton(AF_INET, src_ip.c_str(), &ip.saddr);
    inet_pton(AF_INET, dst_ip.c_str(), &ip.daddr);
    uint32_t sum = 0;
    const uint16_t *w = (const uint16_t *)&ip;
    for (size_t i = 0; i < sizeof(ip) / 2; i++)
        sum += w[i];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    ip.check = (uint16_t)~sum;
    memcpy(&f[14], &ip, sizeof(ip));
    struct udphdr udp = {};
    udp.source = htons(kMarkPort);
    udp.dest = htons(kMarkPort);
    udp.len = htons((uint16_t)(kFrame - 14 - sizeof(ip)));
    memcpy(&f[14 + sizeof(ip)], &udp, sizeof(udp));
    return f;
}

// Whether @f is one of the test's frames.
bool
IsMarked(const uint8_t *f, size_t len)
{
    return len >= 14 + 20 + 8 && f[12] == 0x08 && f[13] == 0x00 && f[14 + 9] == IPPROTO_UDP &&
           ((f[14 + 20 + 2] << 8) | f[14 + 20 + 3]) == kMarkPort;
}

// A packet socket bound to @dev inside @netns, made on a thread of its own
// (the socket keeps the netns it was made in; this thread never moves).
// @proto 0: a socket that only sends.
int
PacketSocketIn(const std::string &netns, const std::string &dev, uint16_t proto)
{
    int result = -1;
    std::thread t([&] {
        int nsfd = open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
        if (nsfd < 0)
            return;
        int rc = setns(nsfd, CLONE_NEWNET);
        close(nsfd);
        if (rc < 0)
            return;
        int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(proto));
        if (s < 0)
            return;
        struct sockaddr_ll sll = {};
        sll.sll_family = AF_PACKET;
        sll.sll_protocol = htons(proto);
        sll.sll_ifindex = (int)if_nametoindex(dev.c_str());
        int rcvbuf = 4 << 20;
        setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
        if (sll.sll_ifindex == 0 || bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
            close(s);
            return;
        }
        result = s;
    });
    t.join();
    return result;
}

struct Fd {
    explicit Fd(int f = -1) : fd(f)
    {
    }
    ~Fd()
    {
        if (fd >= 0)
            close(fd);
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    int fd;
};

// The port's tap opened as QEMU opens it (vnet_hdr), non-blocking.
int
OpenTap(const std::string &name)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    struct ifreq ifr = {};
    g_strlcpy(ifr.ifr_name, name.c_str(), IFNAMSIZ);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (fd >= 0 && ioctl(fd, TUNSETIFF, &ifr) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

struct Flow {
    uint64_t bytes = 0; // of the test's frames received while the sender ran
    uint64_t sent = 0;  // bytes the sender handed over
    double seconds = 0; // how long the sender ran
};

// Run @send_one as fast as it goes on a thread for kSeconds (or kMaxBytes)
// while this thread reads @rx_fd (each read one frame, @skip bytes of
// header ahead of it) and counts the test's frames received meanwhile.
Flow
Measure(const std::function<bool()> &send_one, int rx_fd, size_t skip)
{
    Flow flow;
    std::atomic<bool> done{ false };
    std::atomic<uint64_t> sent{ 0 };
    double seconds = 0;
    std::thread sender([&] {
        auto t0 = std::chrono::steady_clock::now();
        auto until = t0 + std::chrono::duration<double>(kSeconds);
        uint64_t n = 0;
        for (;;) {
            for (int i = 0; i < 64; i++)
                if (send_one())
                    n += kFrame;
            auto now = std::chrono::steady_clock::now();
            if (now >= until || n >= kMaxBytes) {
                seconds = std::chrono::duration<double>(now - t0).count();
                break;
            }
        }
        sent = n;
        done = true;
    });
    std::vector<uint8_t> buf(65536 + kVnetHdr);
    while (!done) {
        struct pollfd p = { rx_fd, POLLIN, 0 };
        if (poll(&p, 1, 20) <= 0)
            continue;
        for (;;) {
            struct sockaddr_ll from = {};
            socklen_t fromlen = sizeof(from);
            ssize_t n = recvfrom(rx_fd, buf.data(), buf.size(), MSG_DONTWAIT,
                                 (struct sockaddr *)&from, &fromlen);
            if (n < 0 && errno == ENOTSOCK)
                n = read(rx_fd, buf.data(), buf.size());
            if (n <= 0)
                break;
            if (from.sll_family == AF_PACKET && from.sll_pkttype == PACKET_OUTGOING)
                continue;
            if ((size_t)n > skip && IsMarked(buf.data() + skip, (size_t)n - skip) && !done)
                flow.bytes += (uint64_t)n - skip;
        }
    }
    sender.join();
    flow.sent = sent;
    flow.seconds = seconds;
    return flow;
}

class BandwidthTest : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        VW_REQUIRE_ROOT();
        VW_REQUIRE_ENGINE_DNSMASQ();
        ASSERT_TRUE(vwtest::ScratchEngine("vw-bandwidth", &root_, &engine_));
    }

    void TearDown() override
    {
        if (!engine_)
            return;
        for (const auto &n : nets_)
            vw_engine_port_unplug(engine_, n.c_str(), kUuid, kMac, nullptr);
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
        vw_engine_free(engine_);
        vwtest::Run({ "rm", "-rf", root_ });
    }

    // Define and start a network with @extra inside <network>.
    std::string Started(const std::string &extra)
    {
        int k = ++g_counter;
        std::string name = "vwb" + std::to_string(getpid()) + "x" + std::to_string(k);
        nets_.push_back(name);
        subnet_ = "10." + std::to_string(150 + getpid() % 50) + "." + std::to_string(k);
        std::string xml = "<network><name>" + name + "</name>" + extra +
                          "<ip family='ipv4' address='" + subnet_ +
                          ".1' prefix='24'><dhcp><range start='" + subnet_ + ".100' end='" +
                          subnet_ + ".199'/></dhcp></ip></network>";
        g_autoptr(GError) error = nullptr;
        g_autofree char *got = vw_engine_network_define(engine_, xml.c_str(), &error);
        EXPECT_NE(got, nullptr) << (error ? error->message : "");
        if (!got)
            return "";
        EXPECT_TRUE(vw_engine_network_start(engine_, name.c_str(), &error))
            << (error ? error->message : "");
        return name;
    }

    VwPortInfo *Plug(const std::string &net, GError **error)
    {
        VwPortRequest req = {};
        req.network = net.c_str();
        req.domain_uuid = kUuid;
        req.domain_name = "dom";
        req.mac = kMac;
        req.owner = (uid_t)-1;
        req.group = (gid_t)-1;
        return vw_engine_port_plug(engine_, &req, error);
    }

    std::string root_;
    VwEngine *engine_ = nullptr;
    std::vector<std::string> nets_;
    std::string subnet_;
};

// The root qdisc of @dev ("" for none), and its options.
JsonObject *
RootQdisc(const std::string &dev)
{
    g_autoptr(JsonNode) node = TcJson("", { "qdisc", "show", "dev", dev, "root" });
    if (!node || !JSON_NODE_HOLDS_ARRAY(node))
        return nullptr;
    JsonArray *a = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        if (json_object_has_member(o, "root"))
            return json_object_ref(o);
    }
    return nullptr;
}

std::string
Kind(JsonObject *q)
{
    return q && json_object_has_member(q, "kind") ? json_object_get_string_member(q, "kind") : "";
}

std::string
Dump(JsonObject *o)
{
    if (!o)
        return "(none)";
    g_autoptr(JsonNode) n = json_node_new(JSON_NODE_OBJECT);
    json_node_set_object(n, o);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, n);
    g_autofree char *text = json_generator_to_data(gen, nullptr);
    return text;
}

// An option of a tbf, as tc -j prints it (rates and sizes in bytes).
int64_t
TbfOption(JsonObject *q, const char *name)
{
    if (!q || !json_object_has_member(q, "options"))
        return -1;
    JsonObject *opts = json_object_get_object_member(q, "options");
    return json_object_has_member(opts, name) ? json_object_get_int_member(opts, name) : -1;
}

std::string
BridgeMac(const std::string &net)
{
    g_autoptr(JsonObject) br = IpLink("vw-" + net, "vwbr0");
    return br ? json_object_get_string_member(br, "address") : "";
}

// stp_state and forward_delay of the network's bridge (-1 when unknown).
void
BridgeStp(const std::string &net, int64_t *state, int64_t *delay)
{
    *state = *delay = -1;
    g_autoptr(JsonObject) br = IpLink("vw-" + net, "vwbr0");
    if (!br || !json_object_has_member(br, "linkinfo"))
        return;
    JsonObject *li = json_object_get_object_member(br, "linkinfo");
    if (!json_object_has_member(li, "info_data"))
        return;
    JsonObject *d = json_object_get_object_member(li, "info_data");
    if (json_object_has_member(d, "stp_state"))
        *state = json_object_get_int_member(d, "stp_state");
    if (json_object_has_member(d, "forward_delay"))
        *delay = json_object_get_int_member(d, "forward_delay");
}

// ------------------------------------------------------------ rates

// 200 kB/s each way with a 32 KiB burst: what a port carries, counted at
// its other end while frames are pushed in as fast as they go, is at most
// the rate (+10 %) once the burst is taken off, and not far below it.
TEST_F(BandwidthTest, PortCarriesNoMoreThanItsRateEachWay)
{
    const double rate = 200 * 1000.0; // libvirt's kilobytes per second: tc's "kbps"
    const double burst = 32 * 1024.0; // libvirt's kilobytes: tc's "kb"
    std::string net = Started("<bandwidth><inbound average='200' burst='32'/>"
                              "<outbound average='200' burst='32'/></bandwidth>");
    ASSERT_FALSE(net.empty());
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwPortInfo) p = Plug(net, &error);
    ASSERT_NE(p, nullptr) << error->message;
    ASSERT_NE(p->ipv4, nullptr);
    std::string guest_ip = p->ipv4;
    guest_ip = guest_ip.substr(0, guest_ip.find('/'));
    std::string gw_ip = subnet_ + ".1";
    uint8_t guest_mac[6], bridge_mac[6];
    ASSERT_TRUE(ParseMac(kMac, guest_mac));
    ASSERT_TRUE(ParseMac(BridgeMac(net), bridge_mac));

    Fd tap(OpenTap(p->tap));
    ASSERT_GE(tap.fd, 0) << g_strerror(errno);
    // ETH_P_ALL: a bridge port's frames reach no socket of one protocol.
    Fd rx(PacketSocketIn("vw-" + net, p->peer, ETH_P_ALL));
    ASSERT_GE(rx.fd, 0);
    Fd tx(PacketSocketIn("vw-" + net, p->peer, 0));
    ASSERT_GE(tx.fd, 0);

    // From the guest: written into the tap, received on the port's end on
    // the bridge.
    std::vector<uint8_t> out(kVnetHdr, 0);
    std::vector<uint8_t> f = UdpFrame(bridge_mac, guest_mac, guest_ip, gw_ip);
    out.insert(out.end(), f.begin(), f.end());
    Flow up = Measure([&] { return write(tap.fd, out.data(), out.size()) == (ssize_t)out.size(); },
                      rx.fd, 0);
    EXPECT_GT(up.sent, (uint64_t)(10 * rate * kSeconds)) << "the sender was too slow to tell";
    EXPECT_LE((up.bytes - burst) / up.seconds, rate * 1.10)
        << up.bytes << " bytes in " << up.seconds << " s";
    EXPECT_GE(up.bytes / up.seconds, rate * 0.5) << up.bytes << " bytes in " << up.seconds << " s";

    // To the guest: sent from the port's end on the bridge, read from the tap.
    std::vector<uint8_t> in = UdpFrame(guest_mac, bridge_mac, gw_ip, guest_ip);
    struct sockaddr_ll to = {};
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(ETH_P_IP);
    to.sll_halen = 6;
    memcpy(to.sll_addr, guest_mac, 6);
    {
        // sll_ifindex is the peer's index in the network's netns.
        g_autoptr(JsonObject) peer = IpLink("vw-" + net, p->peer);
        ASSERT_NE(peer, nullptr);
        to.sll_ifindex = (int)json_object_get_int_member(peer, "ifindex");
    }
    Flow down = Measure(
        [&] {
            return sendto(tx.fd, in.data(), in.size(), 0, (struct sockaddr *)&to, sizeof(to)) ==
                   (ssize_t)in.size();
        },
        tap.fd, kVnetHdr);
    EXPECT_GT(down.sent, (uint64_t)(10 * rate * kSeconds)) << "the sender was too slow to tell";
    EXPECT_LE((down.bytes - burst) / down.seconds, rate * 1.10)
        << down.bytes << " bytes in " << down.seconds << " s";
    EXPECT_GE(down.bytes / down.seconds, rate * 0.5)
        << down.bytes << " bytes in " << down.seconds << " s";
    g_print("[ rates    ] from the guest %.0f B/s, to the guest %.0f B/s (limit %.0f B/s + "
            "%.0f B burst; sent %.0f and %.0f B/s)\n",
            up.bytes / up.seconds, down.bytes / down.seconds, rate, burst, up.sent / up.seconds,
            down.sent / down.seconds);
}

// ------------------------------------------------------------ kernel state

// libvirt's units, its defaults and peak: a tbf where each direction leaves
// the host (the tap towards the guest, the host end from it); a port of a
// network without <bandwidth> gets none.
TEST_F(BandwidthTest, EachDirectionGetsItsBucketInLibvirtsUnits)
{
    std::string net = Started("<bandwidth><inbound average='1000' peak='3000' burst='64'/>"
                              "<outbound average='500'/></bandwidth>");
    ASSERT_FALSE(net.empty());
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwPortInfo) p = Plug(net, &error);
    ASSERT_NE(p, nullptr) << error->message;

    g_autoptr(JsonObject) in = RootQdisc(p->tap);
    EXPECT_EQ(Kind(in), "tbf") << Dump(in);
    EXPECT_EQ(TbfOption(in, "rate"), 1000 * 1000) << Dump(in);
    // tc -j leaves peakrate out (iproute2 6.1); its text has it in bits.
    std::string text = vwtest::Run({ "tc", "qdisc", "show", "dev", p->tap, "root" }).out;
    EXPECT_NE(text.find(" peakrate 24Mbit "), std::string::npos) << text;
    EXPECT_EQ(TbfOption(in, "burst"), 64 * 1024) << Dump(in);
    g_autoptr(JsonObject) out = RootQdisc(p->host);
    EXPECT_EQ(Kind(out), "tbf") << Dump(out);
    EXPECT_EQ(TbfOption(out, "rate"), 500 * 1000) << Dump(out);
    text = vwtest::Run({ "tc", "qdisc", "show", "dev", p->host, "root" }).out;
    EXPECT_EQ(text.find("peakrate"), std::string::npos) << text;
    // No burst given from the guest: one second at the average rate, as
    // libvirt's policer gets.
    EXPECT_EQ(TbfOption(out, "burst"), 500 * 1024) << Dump(out);

    // A multi-queue tap gets one bucket for all its queues.
    {
        VwPortRequest mq = {};
        mq.network = net.c_str();
        mq.domain_uuid = "5a1d3c2e-0000-4000-8000-0000000000b3";
        mq.mac = "52:54:00:bb:00:03";
        mq.queues = 4;
        mq.owner = (uid_t)-1;
        mq.group = (gid_t)-1;
        g_autoptr(VwPortInfo) m = vw_engine_port_plug(engine_, &mq, &error);
        ASSERT_NE(m, nullptr) << error->message;
        g_autoptr(JsonObject) min = RootQdisc(m->tap);
        EXPECT_EQ(TbfOption(min, "rate"), 1000 * 1000) << Dump(min);
        EXPECT_TRUE(vw_engine_port_unplug(engine_, net.c_str(), mq.domain_uuid, mq.mac, &error));
    }

    std::string plain = Started("");
    ASSERT_FALSE(plain.empty());
    const char *uuid2 = "5a1d3c2e-0000-4000-8000-0000000000b2";
    VwPortRequest req = {};
    req.network = plain.c_str();
    req.domain_uuid = uuid2;
    req.mac = "52:54:00:bb:00:02";
    req.owner = (uid_t)-1;
    req.group = (gid_t)-1;
    g_autoptr(VwPortInfo) q = vw_engine_port_plug(engine_, &req, &error);
    ASSERT_NE(q, nullptr) << error->message;
    g_autoptr(JsonObject) qin = RootQdisc(q->tap);
    g_autoptr(JsonObject) qout = RootQdisc(q->host);
    EXPECT_NE(Kind(qin), "tbf") << Dump(qin);
    EXPECT_NE(Kind(qout), "tbf") << Dump(qout);
    EXPECT_TRUE(vw_engine_port_unplug(engine_, plain.c_str(), uuid2, req.mac, &error));
}

// A repair around a tap the guest holds (reconnect, reconcile) puts both
// buckets back, whatever was taken away.
TEST_F(BandwidthTest, RepairRestoresTheShaping)
{
    std::string net = Started("<bandwidth><inbound average='300'/>"
                              "<outbound average='400'/></bandwidth>");
    ASSERT_FALSE(net.empty());
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwPortInfo) p = Plug(net, &error);
    ASSERT_NE(p, nullptr) << error->message;
    Fd guest(OpenTap(p->tap));
    ASSERT_GE(guest.fd, 0) << g_strerror(errno);
    const unsigned ifindex = if_nametoindex(p->tap);

    // Broken behind the engine's back, then plugged again as a reconnect
    // hook does.
    ASSERT_EQ(vwtest::Run({ "tc", "qdisc", "del", "dev", p->tap, "root" }).status, 0);
    ASSERT_EQ(vwtest::Run({ "ip", "link", "del", p->host }).status, 0);
    g_autoptr(VwPortInfo) again = Plug(net, &error);
    ASSERT_NE(again, nullptr) << error->message;
    EXPECT_EQ(if_nametoindex(p->tap), ifindex);
    {
        g_autoptr(JsonObject) in = RootQdisc(p->tap);
        g_autoptr(JsonObject) out = RootQdisc(p->host);
        EXPECT_EQ(TbfOption(in, "rate"), 300 * 1000) << Dump(in);
        EXPECT_EQ(TbfOption(out, "rate"), 400 * 1000) << Dump(out);
    }

    // The same through reconcile's repair.
    ASSERT_EQ(vwtest::Run({ "ip", "link", "del", p->host }).status, 0);
    VwReconcileReport report;
    ASSERT_TRUE(vw_engine_reconcile(engine_, nullptr, &report, &error)) << error->message;
    EXPECT_EQ(report.ports_repaired, 1u);
    EXPECT_EQ(if_nametoindex(p->tap), ifindex);
    {
        g_autoptr(JsonObject) in = RootQdisc(p->tap);
        g_autoptr(JsonObject) out = RootQdisc(p->host);
        EXPECT_EQ(TbfOption(in, "rate"), 300 * 1000) << Dump(in);
        EXPECT_EQ(TbfOption(out, "rate"), 400 * 1000) << Dump(out);
    }
}

// ------------------------------------------------------------ STP

TEST_F(BandwidthTest, BridgeRunsStpExactlyWhenAsked)
{
    std::string on = Started("<bridge stp='on'/>");
    std::string off = Started("<bridge stp='off'/>");
    ASSERT_FALSE(on.empty());
    ASSERT_FALSE(off.empty());
    int64_t state, delay;
    BridgeStp(on, &state, &delay);
    EXPECT_EQ(state, 1);
    // The least forward delay STP allows (2 s, in hundredths), as libvirt's
    // default delay='0' gets.
    EXPECT_EQ(delay, 200);
    BridgeStp(off, &state, &delay);
    EXPECT_EQ(state, 0);
    EXPECT_EQ(delay, 0);
}

} // namespace
