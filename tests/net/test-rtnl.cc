// rtnetlink over libmnl (src/net/vw-rtnl): every operation in scratch
// namespaces, checked independently through `ip -j` / `tc -j`.
#include <config.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "vw-net-testutil.h"

extern "C" {
#include "vw-netns.h"
#include "vw-rtnl.h"
#include "vw-tap.h"
}

using vwtest::IpJson;
using vwtest::IpLink;
using vwtest::IpLinkNames;
using vwtest::ScratchName;
using vwtest::ScratchNetns;

namespace
{

// A scratch netns with an rtnl handle inside it.
class RtnlTest : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        VW_REQUIRE_ROOT();
        ASSERT_TRUE(ns_.ok());
        g_autoptr(GError) error = nullptr;
        rtnl_ = vw_rtnl_open_netns(ns_.name().c_str(), &error);
        ASSERT_NE(rtnl_, nullptr) << error->message;
    }
    void TearDown() override
    {
        vw_rtnl_free(rtnl_);
    }

    const std::string &ns() const
    {
        return ns_.name();
    }

    ScratchNetns ns_;
    VwRtnl *rtnl_ = nullptr;
};

bool
HasName(const std::vector<std::string> &names, const std::string &n)
{
    for (const auto &x : names)
        if (x == n)
            return true;
    return false;
}

int
OpenNetnsFd(const std::string &name)
{
    return open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
}

std::string
Str(JsonObject *o, const char *member)
{
    return o && json_object_has_member(o, member) ? json_object_get_string_member(o, member) : "";
}

JsonObject *
InfoData(JsonObject *link)
{
    if (!link || !json_object_has_member(link, "linkinfo"))
        return nullptr;
    JsonObject *li = json_object_get_object_member(link, "linkinfo");
    return json_object_has_member(li, "info_data") ? json_object_get_object_member(li, "info_data")
                                                   : nullptr;
}

std::string
Kind(JsonObject *link)
{
    if (!link || !json_object_has_member(link, "linkinfo"))
        return "";
    return Str(json_object_get_object_member(link, "linkinfo"), "info_kind");
}

bool
IsUp(JsonObject *link)
{
    JsonArray *flags = json_object_get_array_member(link, "flags");
    for (guint i = 0; i < json_array_get_length(flags); i++)
        if (g_str_equal(json_array_get_string_element(flags, i), "UP"))
            return true;
    return false;
}

} // namespace

TEST_F(RtnlTest, VethPeerIsCreatedDirectlyInAnotherNetns)
{
    ScratchNetns other;
    ASSERT_TRUE(other.ok());
    int fd = OpenNetnsFd(other.name());
    ASSERT_GE(fd, 0);
    g_autoptr(GError) error = nullptr;

    EXPECT_TRUE(vw_rtnl_veth_add(rtnl_, "vwa0", "vwb0", fd, &error)) << error->message;
    close(fd);
    g_autoptr(JsonObject) a = IpLink(ns(), "vwa0");
    g_autoptr(JsonObject) b = IpLink(other.name(), "vwb0");
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(Kind(a), "veth");
    EXPECT_EQ(Kind(b), "veth");
    EXPECT_FALSE(HasName(IpLinkNames(ns()), "vwb0"));
    EXPECT_FALSE(HasName(IpLinkNames(""), "vwb0"));
    EXPECT_FALSE(HasName(IpLinkNames(""), "vwa0"));
}

// vw_rtnl_open_begin/finish: the handle is made inside the netns on its own
// thread while the caller goes on, and then works there from any thread.
TEST_F(RtnlTest, OpenInTwoHalvesGivesAHandleInsideTheNetns)
{
    g_autoptr(GError) error = nullptr;
    unsigned long host = vwtest::ThreadNetnsInode();
    int fd = OpenNetnsFd(ns());
    ASSERT_GE(fd, 0);

    // As the engine does: while the handle is being made, the caller makes
    // a veth whose peer goes into the netns (it needs only the fd)...
    std::string hend = ScratchName("vwth");
    std::string peer = ScratchName("vwtp");
    vwtest::LinkGuard guard(hend);
    g_autoptr(VwRtnl) here = vw_rtnl_open(-1, &error);
    ASSERT_NE(here, nullptr) << error->message;
    VwRtnlOpening *op = vw_rtnl_open_begin(fd, &error);
    ASSERT_NE(op, nullptr) << error->message;
    bool veth_ok = vw_rtnl_veth_add(here, hend.c_str(), peer.c_str(), fd, &error);
    g_autoptr(VwRtnl) rtnl = vw_rtnl_open_finish(op, &error);
    close(fd);
    ASSERT_TRUE(veth_ok);
    ASSERT_NE(rtnl, nullptr) << error->message;
    EXPECT_EQ(vwtest::ThreadNetnsInode(), host);

    // ...and then works on the peer through the new handle, from this thread.
    std::string bridge = ScratchName("vwtb");
    const VwLinkConfig cfg = { .master = bridge.c_str(), .up = TRUE };
    ASSERT_TRUE(vw_rtnl_bridge_add(rtnl, bridge.c_str(), &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_link_configure(rtnl, peer.c_str(), &cfg, &error)) << error->message;
    EXPECT_TRUE(HasName(IpLinkNames(ns()), bridge));
    EXPECT_FALSE(HasName(IpLinkNames(""), bridge));
    g_autoptr(JsonObject) link = IpLink(ns(), peer);
    ASSERT_NE(link, nullptr);
    EXPECT_EQ(Str(link, "master"), bridge);
    EXPECT_TRUE(IsUp(link));

    // Not a namespace: the opening starts, and finish reports the failure.
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(devnull, 0);
    op = vw_rtnl_open_begin(devnull, &error);
    ASSERT_NE(op, nullptr) << error->message;
    EXPECT_EQ(vw_rtnl_open_finish(op, &error), nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_KERNEL));
    close(devnull);
}

TEST_F(RtnlTest, BridgeHasStpOffAndNoForwardDelay)
{
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_rtnl_bridge_add(rtnl_, "vwbr0", &error)) << error->message;
    g_autoptr(JsonObject) br = IpLink(ns(), "vwbr0");
    ASSERT_NE(br, nullptr);
    EXPECT_EQ(Kind(br), "bridge");
    JsonObject *data = InfoData(br);
    ASSERT_NE(data, nullptr);
    EXPECT_EQ(json_object_get_int_member(data, "stp_state"), 0);
    EXPECT_EQ(json_object_get_int_member(data, "forward_delay"), 0);
    // No multicast snooping: a small private bridge without a querier
    // floods multicast, which is what guests expect.
    EXPECT_EQ(json_object_get_int_member(data, "mcast_snooping"), 0);
}

TEST_F(RtnlTest, VethHasOneQueueEachWayAtBothEnds)
{
    ScratchNetns other;
    ASSERT_TRUE(other.ok());
    int fd = OpenNetnsFd(other.name());
    ASSERT_GE(fd, 0);
    g_autoptr(GError) error = nullptr;

    // Asked for up front: the kernel's default is one per CPU, shrunk to one
    // afterwards at the cost of an RCU grace period per end.
    EXPECT_TRUE(vw_rtnl_veth_add(rtnl_, "vwa0", "vwb0", fd, &error)) << error->message;
    close(fd);
    g_autoptr(JsonObject) a = IpLink(ns(), "vwa0");
    g_autoptr(JsonObject) b = IpLink(other.name(), "vwb0");
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    for (JsonObject *o : { a, b }) {
        EXPECT_EQ(json_object_get_int_member(o, "num_tx_queues"), 1);
        EXPECT_EQ(json_object_get_int_member(o, "num_rx_queues"), 1);
    }
}

TEST_F(RtnlTest, SysctlIsWrittenInTheHandlesNetnsFromAnyThread)
{
    g_autoptr(GError) error = nullptr;
    const std::string key = "net/ipv6/conf/default/disable_ipv6";
    const std::string host_before = vwtest::Sysctl("", key);
    const unsigned long inode = vwtest::ThreadNetnsInode();

    // Links made before the default changes keep IPv6.
    ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, "vwa0", "vwb0", -1, &error)) << error->message;
    ASSERT_EQ(vwtest::Sysctl(ns(), key), "0");
    EXPECT_TRUE(vw_rtnl_sysctl_set(rtnl_, key.c_str(), "1", &error)) << error->message;
    EXPECT_EQ(vwtest::Sysctl(ns(), key), "1");
    EXPECT_EQ(vwtest::Sysctl("", key), host_before);
    EXPECT_EQ(vwtest::ThreadNetnsInode(), inode);

    // From a thread that is inside the handle's netns (the direct path, no
    // extra thread): only the named link changes.
    int fd = OpenNetnsFd(ns());
    ASSERT_GE(fd, 0);
    EXPECT_TRUE(vw_netns_run(
        fd,
        [](gpointer data, GError **err) -> gboolean {
            return vw_rtnl_sysctl_set(static_cast<VwRtnl *>(data),
                                      "net/ipv6/conf/vwa0/disable_ipv6", "1", err);
        },
        rtnl_, &error))
        << error->message;
    close(fd);
    EXPECT_EQ(vwtest::Sysctl(ns(), "net/ipv6/conf/vwa0/disable_ipv6"), "1");
    EXPECT_EQ(vwtest::Sysctl(ns(), "net/ipv6/conf/vwb0/disable_ipv6"), "0");
    EXPECT_EQ(vwtest::ThreadNetnsInode(), inode);
}

TEST_F(RtnlTest, SysctlRejectsBadNamesAndNamesWhatFailed)
{
    g_autoptr(GError) error = nullptr;

    for (const char *bad : { "/proc/sys/net/ipv4/ip_forward", "net/../../etc/passwd" }) {
        EXPECT_FALSE(vw_rtnl_sysctl_set(rtnl_, bad, "1", &error));
        EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
        EXPECT_NE(strstr(error->message, bad), nullptr) << error->message;
        g_clear_error(&error);
    }
    EXPECT_FALSE(vw_rtnl_sysctl_set(rtnl_, "net/ipv6/conf/vwnothere/disable_ipv6", "1", &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(strstr(error->message, "net/ipv6/conf/vwnothere/disable_ipv6"), nullptr)
        << error->message;
    g_clear_error(&error);
    EXPECT_FALSE(vw_rtnl_sysctl_set(rtnl_, "net/ipv6/conf/default/disable_ipv6", "seven", &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(strstr(error->message, "seven"), nullptr) << error->message;
    EXPECT_EQ(vwtest::Sysctl(ns(), "net/ipv6/conf/default/disable_ipv6"), "0");
}

TEST_F(RtnlTest, ConfigureDisablesIpv6AndSetsTheMac)
{
    g_autoptr(GError) error = nullptr;
    const guint8 mac[6] = { 0x02, 0x76, 0x77, 0x00, 0x00, 0x01 };
    const VwLinkConfig config = { .l2_only = TRUE, .up = TRUE, .no_ipv6 = TRUE, .mac = mac };

    ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, "vwa0", "vwb0", -1, &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_link_configure(rtnl_, "vwa0", &config, &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_link_set_up(rtnl_, "vwb0", TRUE, &error)) << error->message;
    g_autoptr(JsonObject) a = IpLink(ns(), "vwa0");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(Str(a, "address"), "02:76:77:00:00:01");
    EXPECT_TRUE(IsUp(a));
    EXPECT_EQ(vwtest::Sysctl(ns(), "net/ipv6/conf/vwa0/disable_ipv6"), "1");
    EXPECT_EQ(vwtest::Sysctl(ns(), "net/ipv6/conf/vwb0/disable_ipv6"), "0");

    // A multicast MAC is refused before anything changes, IPv6 included.
    const guint8 mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    const VwLinkConfig bad = { .no_ipv6 = TRUE, .mac = mcast };
    EXPECT_FALSE(vw_rtnl_link_configure(rtnl_, "vwb0", &bad, &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
    EXPECT_NE(strstr(error->message, "01:00:5e:00:00:01"), nullptr) << error->message;
    g_clear_error(&error);
    EXPECT_EQ(vwtest::Sysctl(ns(), "net/ipv6/conf/vwb0/disable_ipv6"), "0");

    // A missing master is found out before IPv6 is touched.
    const VwLinkConfig nomaster = { .master = "vwnobridge", .no_ipv6 = TRUE };
    EXPECT_FALSE(vw_rtnl_link_configure(rtnl_, "vwb0", &nomaster, &error));
    EXPECT_NE(strstr(error->message, "vwnobridge"), nullptr) << error->message;
    EXPECT_EQ(vwtest::Sysctl(ns(), "net/ipv6/conf/vwb0/disable_ipv6"), "0");
}

TEST_F(RtnlTest, LinkAttributesAreSetAsAsked)
{
    g_autoptr(GError) error = nullptr;
    const guint8 mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

    ASSERT_TRUE(vw_rtnl_bridge_add(rtnl_, "vwbr0", &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, "vwa0", "vwb0", -1, &error)) << error->message;
    EXPECT_TRUE(vw_rtnl_link_set_mac(rtnl_, "vwa0", mac, &error)) << error->message;
    EXPECT_TRUE(vw_rtnl_link_set_mtu(rtnl_, "vwa0", 1400, &error)) << error->message;
    EXPECT_TRUE(vw_rtnl_link_set_alias(rtnl_, "vwa0", "virtwire:uuid/52:54:00:12:34:56", &error))
        << error->message;
    EXPECT_TRUE(vw_rtnl_link_set_master(rtnl_, "vwa0", "vwbr0", &error)) << error->message;
    EXPECT_TRUE(vw_rtnl_link_set_up(rtnl_, "vwa0", TRUE, &error)) << error->message;
    EXPECT_TRUE(vw_rtnl_link_set_up(rtnl_, "vwbr0", TRUE, &error)) << error->message;

    g_autoptr(JsonObject) a = IpLink(ns(), "vwa0");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(Str(a, "address"), "52:54:00:12:34:56");
    EXPECT_EQ(json_object_get_int_member(a, "mtu"), 1400);
    EXPECT_EQ(Str(a, "ifalias"), "virtwire:uuid/52:54:00:12:34:56");
    EXPECT_EQ(Str(a, "master"), "vwbr0");
    EXPECT_TRUE(IsUp(a));

    // Our own view agrees.
    g_autoptr(VwLink) link = vw_rtnl_link_get(rtnl_, "vwa0", &error);
    ASSERT_NE(link, nullptr) << error->message;
    g_autoptr(VwLink) br = vw_rtnl_link_get(rtnl_, "vwbr0", &error);
    ASSERT_NE(br, nullptr) << error->message;
    EXPECT_EQ(link->mtu, 1400u);
    EXPECT_EQ(memcmp(link->mac, mac, 6), 0);
    EXPECT_STREQ(link->alias, "virtwire:uuid/52:54:00:12:34:56");
    EXPECT_EQ(link->master, br->ifindex);
    EXPECT_TRUE(link->up);
    EXPECT_STREQ(link->kind, "veth");

    // Down, release from the bridge, clear the alias.
    EXPECT_TRUE(vw_rtnl_link_set_up(rtnl_, "vwa0", FALSE, &error)) << error->message;
    EXPECT_TRUE(vw_rtnl_link_set_master(rtnl_, "vwa0", nullptr, &error)) << error->message;
    EXPECT_TRUE(vw_rtnl_link_set_alias(rtnl_, "vwa0", "", &error)) << error->message;
    g_autoptr(JsonObject) a2 = IpLink(ns(), "vwa0");
    EXPECT_FALSE(IsUp(a2));
    EXPECT_FALSE(json_object_has_member(a2, "master"));
    EXPECT_EQ(Str(a2, "ifalias"), "");
}

TEST_F(RtnlTest, L2OnlyLinkGetsNoIpv6AddressWhenUp)
{
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, "vwa0", "vwb0", -1, &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_link_set_l2_only(rtnl_, "vwa0", &error)) << error->message;
    for (const char *d : { "vwa0", "vwb0" })
        ASSERT_TRUE(vw_rtnl_link_set_up(rtnl_, d, TRUE, &error)) << error->message;
    g_autoptr(JsonObject) a = IpLink(ns(), "vwa0");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(Str(a, "inet6_addr_gen_mode"), "none");
    g_auto(GStrv) addrs = vw_rtnl_addr_list(rtnl_, "vwa0", &error);
    ASSERT_NE(addrs, nullptr) << error->message;
    EXPECT_EQ(g_strv_length(addrs), 0u);
    // The control: the other end did generate its link-local address.
    g_autoptr(JsonObject) b = IpLink(ns(), "vwb0");
    EXPECT_EQ(Str(b, "inet6_addr_gen_mode"), "eui64");
    EXPECT_FALSE(vw_rtnl_link_set_l2_only(rtnl_, "vwnothere", &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND));
}

TEST_F(RtnlTest, ConfigureAppliesEveryChangeInOneRequest)
{
    g_autoptr(GError) error = nullptr;
    const VwLinkConfig config = {
        .master = "vwbr0", .mtu = 1400, .alias = "virtwire:test", .l2_only = TRUE, .up = TRUE
    };

    ASSERT_TRUE(vw_rtnl_bridge_add(rtnl_, "vwbr0", &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, "vwa0", "vwb0", -1, &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_link_configure(rtnl_, "vwa0", &config, &error)) << error->message;
    g_autoptr(JsonObject) a = IpLink(ns(), "vwa0");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(Str(a, "master"), "vwbr0");
    EXPECT_EQ(json_object_get_int_member(a, "mtu"), 1400);
    EXPECT_EQ(Str(a, "ifalias"), "virtwire:test");
    EXPECT_EQ(Str(a, "inet6_addr_gen_mode"), "none");
    EXPECT_TRUE(IsUp(a));
    // Up and L2-only in the same request: no link-local address was made.
    g_auto(GStrv) addrs = vw_rtnl_addr_list(rtnl_, "vwa0", &error);
    ASSERT_NE(addrs, nullptr) << error->message;
    EXPECT_EQ(g_strv_length(addrs), 0u);

    // An empty config changes nothing and succeeds.
    const VwLinkConfig none = {};
    EXPECT_TRUE(vw_rtnl_link_configure(rtnl_, "vwb0", &none, &error)) << error->message;
    g_autoptr(JsonObject) b = IpLink(ns(), "vwb0");
    EXPECT_FALSE(IsUp(b));
}

TEST_F(RtnlTest, ConfigureRejectsBadInputAndChangesNothing)
{
    g_autoptr(GError) error = nullptr;
    VwLinkConfig config = { .mtu = 67, .up = TRUE };

    ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, "vwa0", "vwb0", -1, &error)) << error->message;
    EXPECT_FALSE(vw_rtnl_link_configure(rtnl_, "vwa0", &config, &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
    EXPECT_NE(strstr(error->message, "67"), nullptr) << error->message;
    g_clear_error(&error);

    config = { .master = "vwnobridge", .up = TRUE };
    EXPECT_FALSE(vw_rtnl_link_configure(rtnl_, "vwa0", &config, &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND));
    EXPECT_NE(strstr(error->message, "vwnobridge"), nullptr) << error->message;
    g_clear_error(&error);

    config = { .up = TRUE };
    EXPECT_FALSE(vw_rtnl_link_configure(rtnl_, "vwnothere", &config, &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND));
    EXPECT_NE(strstr(error->message, "vwnothere"), nullptr) << error->message;
    g_clear_error(&error);

    g_autoptr(JsonObject) a = IpLink(ns(), "vwa0");
    ASSERT_NE(a, nullptr);
    EXPECT_FALSE(IsUp(a));
    EXPECT_EQ(json_object_get_int_member(a, "mtu"), 1500);
}

TEST_F(RtnlTest, GroupDeleteRemovesExactlyTheGroupsLinks)
{
    g_autoptr(GError) error = nullptr;
    const VwLinkConfig in_group = { .group = 4242 };

    for (const char *n : { "vwg0", "vwg1", "vwg2" }) {
        std::string peer = std::string(n) + "p";
        ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, n, peer.c_str(), -1, &error)) << error->message;
    }
    ASSERT_TRUE(vw_rtnl_link_configure(rtnl_, "vwg0", &in_group, &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_link_configure(rtnl_, "vwg1", &in_group, &error)) << error->message;
    g_autoptr(JsonObject) g0 = IpLink(ns(), "vwg0");
    ASSERT_NE(g0, nullptr);
    EXPECT_EQ(Str(g0, "group"), "4242");

    ASSERT_TRUE(vw_rtnl_link_delete_group(rtnl_, 4242, &error)) << error->message;
    std::vector<std::string> names = IpLinkNames(ns());
    EXPECT_FALSE(HasName(names, "vwg0"));
    EXPECT_FALSE(HasName(names, "vwg1"));
    EXPECT_TRUE(HasName(names, "vwg2"));
    EXPECT_TRUE(HasName(names, "vwg2p"));
    // An empty group is success; group 0 (every link) is refused.
    EXPECT_TRUE(vw_rtnl_link_delete_group(rtnl_, 4242, &error)) << error->message;
    EXPECT_FALSE(vw_rtnl_link_delete_group(rtnl_, 0, &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
    EXPECT_TRUE(HasName(IpLinkNames(ns()), "vwg2"));
}

TEST_F(RtnlTest, LookupByNameAndByIndexAgree)
{
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_rtnl_bridge_add(rtnl_, "vwbr0", &error)) << error->message;
    g_autoptr(VwLink) by_name = vw_rtnl_link_get(rtnl_, "vwbr0", &error);
    ASSERT_NE(by_name, nullptr) << error->message;
    g_autoptr(VwLink) by_index = vw_rtnl_link_get_by_index(rtnl_, by_name->ifindex, &error);
    ASSERT_NE(by_index, nullptr) << error->message;
    EXPECT_STREQ(by_index->name, "vwbr0");
    g_autoptr(JsonObject) j = IpLink(ns(), "vwbr0");
    EXPECT_EQ(json_object_get_int_member(j, "ifindex"), by_name->ifindex);

    g_autoptr(VwLink) none = vw_rtnl_link_get_by_index(rtnl_, 999999, &error);
    EXPECT_EQ(none, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND));
}

TEST_F(RtnlTest, MoveLinkToAnotherNetns)
{
    ScratchNetns other;
    ASSERT_TRUE(other.ok());
    g_autoptr(GError) error = nullptr;
    int fd = OpenNetnsFd(other.name());
    ASSERT_GE(fd, 0);

    ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, "vwa0", "vwb0", -1, &error)) << error->message;
    EXPECT_TRUE(vw_rtnl_link_set_netns(rtnl_, "vwb0", fd, &error)) << error->message;
    close(fd);
    EXPECT_FALSE(HasName(IpLinkNames(ns()), "vwb0"));
    EXPECT_TRUE(HasName(IpLinkNames(other.name()), "vwb0"));
}

TEST_F(RtnlTest, DeleteRemovesTheLinkAndItsPeer)
{
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, "vwa0", "vwb0", -1, &error)) << error->message;
    EXPECT_TRUE(vw_rtnl_link_delete(rtnl_, "vwa0", &error)) << error->message;
    auto names = IpLinkNames(ns());
    EXPECT_FALSE(HasName(names, "vwa0"));
    EXPECT_FALSE(HasName(names, "vwb0"));
}

TEST_F(RtnlTest, ErrorsNameTheObjectAndChangeNothing)
{
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, "vwh-1a2b3c4d", "vwn-1a2b3c4d", -1, &error))
        << error->message;
    auto before = IpLinkNames(ns());

    EXPECT_FALSE(vw_rtnl_veth_add(rtnl_, "vwh-1a2b3c4d", "vwx0", -1, &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS));
    EXPECT_TRUE(g_str_has_prefix(error->message, "cannot add veth 'vwh-1a2b3c4d': File exists"))
        << error->message;
    EXPECT_EQ(vw_net_error_get_errno(error), EEXIST);
    g_clear_error(&error);

    EXPECT_FALSE(vw_rtnl_link_delete(rtnl_, "vwnothere", &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND));
    EXPECT_TRUE(g_str_has_prefix(error->message, "cannot delete link 'vwnothere': No such device"))
        << error->message;
    g_clear_error(&error);

    EXPECT_FALSE(vw_rtnl_link_set_up(rtnl_, "vwnothere", TRUE, &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND)) << error->message;
    g_clear_error(&error);

    EXPECT_FALSE(vw_rtnl_bridge_add(rtnl_, "abcdefghijklmnop", &error)); // 16 bytes
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
    EXPECT_NE(strstr(error->message, "'abcdefghijklmnop'"), nullptr) << error->message;
    g_clear_error(&error);

    EXPECT_FALSE(vw_rtnl_bridge_add(rtnl_, "-vwopt", &error)); // would be an option to ip
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
    g_clear_error(&error);

    EXPECT_FALSE(vw_rtnl_veth_add(rtnl_, "vwok", "bad/name", -1, &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
    EXPECT_NE(strstr(error->message, "'bad/name'"), nullptr) << error->message;
    g_clear_error(&error);

    EXPECT_FALSE(vw_rtnl_link_set_mtu(rtnl_, "vwh-1a2b3c4d", 10, &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
    EXPECT_NE(strstr(error->message, "invalid MTU 10 for link 'vwh-1a2b3c4d'"), nullptr)
        << error->message;
    g_clear_error(&error);

    // Valid on our side, refused by the kernel: a veth cannot be a master.
    before = IpLinkNames(ns());
    EXPECT_FALSE(vw_rtnl_link_set_master(rtnl_, "vwh-1a2b3c4d", "vwn-1a2b3c4d", &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_KERNEL)) << error->message;
    EXPECT_TRUE(
        g_str_has_prefix(error->message, "cannot attach link 'vwh-1a2b3c4d' to 'vwn-1a2b3c4d': "))
        << error->message;
    std::printf("kernel refusal reads: %s\n", error->message);
    g_clear_error(&error);

    EXPECT_EQ(IpLinkNames(ns()), before);
    g_autoptr(JsonObject) a = IpLink(ns(), "vwh-1a2b3c4d");
    EXPECT_EQ(json_object_get_int_member(a, "mtu"), 1500);
}

TEST_F(RtnlTest, ListFiltersByAliasPrefix)
{
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, "vwa0", "vwb0", -1, &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, "vwa1", "vwb1", -1, &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_link_set_alias(rtnl_, "vwa0", "virtwire:dom1", &error));
    ASSERT_TRUE(vw_rtnl_link_set_alias(rtnl_, "vwb1", "virtwire:dom2", &error));
    ASSERT_TRUE(vw_rtnl_link_set_alias(rtnl_, "vwa1", "other", &error));

    g_autoptr(GPtrArray) all = vw_rtnl_link_list(rtnl_, nullptr, &error);
    ASSERT_NE(all, nullptr) << error->message;
    EXPECT_EQ(all->len, 5u); // lo + 4
    g_autoptr(GPtrArray) ours = vw_rtnl_link_list(rtnl_, "virtwire:", &error);
    ASSERT_NE(ours, nullptr) << error->message;
    std::vector<std::string> names;
    for (guint i = 0; i < ours->len; i++)
        names.push_back(static_cast<VwLink *>(g_ptr_array_index(ours, i))->name);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{ "vwa0", "vwb1" }));
}

TEST_F(RtnlTest, Ipv4AndIpv6AddressesAddListDelete)
{
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_rtnl_bridge_add(rtnl_, "vwbr0", &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_link_set_up(rtnl_, "vwbr0", TRUE, &error)) << error->message;
    EXPECT_TRUE(vw_rtnl_addr_add(rtnl_, "vwbr0", "10.77.0.1/24", &error)) << error->message;
    EXPECT_TRUE(vw_rtnl_addr_add(rtnl_, "vwbr0", "fd77::1/64", &error)) << error->message;

    g_autoptr(JsonNode) root = IpJson(ns(), { "addr", "show", "dev", "vwbr0" });
    ASSERT_NE(root, nullptr);
    JsonArray *infos = json_object_get_array_member(
        json_array_get_object_element(json_node_get_array(root), 0), "addr_info");
    std::vector<std::string> seen;
    for (guint i = 0; i < json_array_get_length(infos); i++) {
        JsonObject *ai = json_array_get_object_element(infos, i);
        seen.push_back(Str(ai, "local") + "/" +
                       std::to_string(json_object_get_int_member(ai, "prefixlen")));
    }
    EXPECT_TRUE(HasName(seen, "10.77.0.1/24"));
    EXPECT_TRUE(HasName(seen, "fd77::1/64"));
    JsonObject *v4 = json_array_get_object_element(infos, 0);
    EXPECT_EQ(Str(v4, "broadcast"), "10.77.0.255");

    g_auto(GStrv) ours = vw_rtnl_addr_list(rtnl_, "vwbr0", &error);
    ASSERT_NE(ours, nullptr) << error->message;
    EXPECT_TRUE(g_strv_contains(ours, "10.77.0.1/24"));
    EXPECT_TRUE(g_strv_contains(ours, "fd77::1/64"));

    EXPECT_FALSE(vw_rtnl_addr_add(rtnl_, "vwbr0", "10.77.0.1/24", &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS)) << error->message;
    g_clear_error(&error);
    EXPECT_FALSE(vw_rtnl_addr_add(rtnl_, "vwbr0", "10.77.0.300/24", &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
    EXPECT_NE(strstr(error->message, "'10.77.0.300/24'"), nullptr) << error->message;
    g_clear_error(&error);
    EXPECT_FALSE(vw_rtnl_addr_add(rtnl_, "vwbr0", "10.77.0.9/33", &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
    g_clear_error(&error);

    EXPECT_TRUE(vw_rtnl_addr_delete(rtnl_, "vwbr0", "10.77.0.1/24", &error)) << error->message;
    EXPECT_TRUE(vw_rtnl_addr_delete(rtnl_, "vwbr0", "fd77::1/64", &error)) << error->message;
    g_auto(GStrv) after = vw_rtnl_addr_list(rtnl_, "vwbr0", &error);
    ASSERT_NE(after, nullptr);
    EXPECT_FALSE(g_strv_contains(after, "10.77.0.1/24"));
    EXPECT_FALSE(g_strv_contains(after, "fd77::1/64"));
}

TEST_F(RtnlTest, RoutesIncludingDefault)
{
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_rtnl_bridge_add(rtnl_, "vwbr0", &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_link_set_up(rtnl_, "vwbr0", TRUE, &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_addr_add(rtnl_, "vwbr0", "10.78.0.1/24", &error)) << error->message;
    // A bridge without ports has no carrier; routes via it need onlink-free
    // gateways in the connected subnet, which the kernel accepts regardless.
    EXPECT_TRUE(vw_rtnl_route_add(rtnl_, "10.79.0.0/16", "10.78.0.254", nullptr, &error))
        << error->message;
    EXPECT_TRUE(vw_rtnl_route_add(rtnl_, "default", "10.78.0.254", "vwbr0", &error))
        << error->message;
    EXPECT_TRUE(vw_rtnl_route_add(rtnl_, "10.80.0.0/24", nullptr, "vwbr0", &error))
        << error->message;

    g_autoptr(JsonNode) root = IpJson(ns(), { "route", "show" });
    ASSERT_NE(root, nullptr);
    std::vector<std::string> routes;
    JsonArray *arr = json_node_get_array(root);
    for (guint i = 0; i < json_array_get_length(arr); i++) {
        JsonObject *r = json_array_get_object_element(arr, i);
        routes.push_back(Str(r, "dst") + " " + Str(r, "gateway") + " " + Str(r, "dev"));
    }
    EXPECT_TRUE(HasName(routes, "10.79.0.0/16 10.78.0.254 vwbr0"));
    EXPECT_TRUE(HasName(routes, "default 10.78.0.254 vwbr0"));
    EXPECT_TRUE(HasName(routes, "10.80.0.0/24  vwbr0"));

    EXPECT_FALSE(vw_rtnl_route_add(rtnl_, "default", "10.78.0.254", "vwbr0", &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS)) << error->message;
    g_clear_error(&error);
    EXPECT_FALSE(vw_rtnl_route_add(rtnl_, "default", "fd00::1", nullptr, &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
    g_clear_error(&error);

    EXPECT_TRUE(vw_rtnl_route_delete(rtnl_, "default", "10.78.0.254", "vwbr0", &error))
        << error->message;
    EXPECT_TRUE(vw_rtnl_route_delete(rtnl_, "10.79.0.0/16", "10.78.0.254", nullptr, &error))
        << error->message;
    g_autoptr(JsonNode) after = IpJson(ns(), { "route", "show", "default" });
    EXPECT_EQ(json_array_get_length(json_node_get_array(after)), 0u);
}

TEST_F(RtnlTest, RouteLookupGivesTheDeviceOfTheExactDestination)
{
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_rtnl_bridge_add(rtnl_, "vwbr0", &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_link_set_up(rtnl_, "vwbr0", TRUE, &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_addr_add(rtnl_, "vwbr0", "10.78.0.1/24", &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_route_add(rtnl_, "10.80.0.0/24", nullptr, "vwbr0", &error))
        << error->message;
    g_autoptr(VwLink) br = vw_rtnl_link_get(rtnl_, "vwbr0", &error);
    ASSERT_NE(br, nullptr) << error->message;
    int oif = 0;
    // Host bits of the destination do not matter; only the exact prefix does.
    ASSERT_TRUE(vw_rtnl_route_get_oif(rtnl_, "10.80.0.1/24", &oif, &error)) << error->message;
    EXPECT_EQ(oif, br->ifindex);
    ASSERT_TRUE(vw_rtnl_route_get_oif(rtnl_, "10.80.0.0/25", &oif, &error)) << error->message;
    EXPECT_EQ(oif, 0);
    ASSERT_TRUE(vw_rtnl_route_get_oif(rtnl_, "10.81.0.0/24", &oif, &error)) << error->message;
    EXPECT_EQ(oif, 0);
    EXPECT_FALSE(vw_rtnl_route_get_oif(rtnl_, "10.81.0.0", &oif, &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID));
}

TEST_F(RtnlTest, IngressRedirectBothWays)
{
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, "vwa0", "vwb0", -1, &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, "vwc0", "vwd0", -1, &error)) << error->message;
    for (const char *dev : { "vwa0", "vwc0" })
        ASSERT_TRUE(vw_rtnl_ingress_add(rtnl_, dev, &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_redirect_add(rtnl_, "vwa0", "vwc0", &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_redirect_add(rtnl_, "vwc0", "vwa0", &error)) << error->message;

    for (auto [from, to] : { std::pair{ "vwa0", "vwc0" }, std::pair{ "vwc0", "vwa0" } }) {
        g_autoptr(JsonNode) q = vwtest::TcJson(ns(), { "qdisc", "show", "dev", from, "ingress" });
        ASSERT_NE(q, nullptr);
        ASSERT_EQ(json_array_get_length(json_node_get_array(q)), 1u);
        EXPECT_EQ(Str(json_array_get_object_element(json_node_get_array(q), 0), "kind"), "ingress");
        vwtest::Cmd c = vwtest::Run({ "tc", "-n", ns(), "filter", "show", "dev", from, "ingress" });
        EXPECT_NE(c.out.find("u32"), std::string::npos) << c.out;
        EXPECT_NE(c.out.find("match 00000000/00000000 at 0"), std::string::npos) << c.out;
        EXPECT_NE(c.out.find(std::string("mirred (Egress Redirect to device ") + to + ")"),
                  std::string::npos)
            << c.out;
    }

    EXPECT_FALSE(vw_rtnl_ingress_add(rtnl_, "vwa0", &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS)) << error->message;
    g_clear_error(&error);

    EXPECT_TRUE(vw_rtnl_redirect_delete(rtnl_, "vwa0", &error)) << error->message;
    vwtest::Cmd c = vwtest::Run({ "tc", "-n", ns(), "filter", "show", "dev", "vwa0", "ingress" });
    EXPECT_EQ(c.out.find("mirred"), std::string::npos) << c.out;
    EXPECT_TRUE(vw_rtnl_ingress_delete(rtnl_, "vwc0", &error)) << error->message;
    g_autoptr(JsonNode) q = vwtest::TcJson(ns(), { "qdisc", "show", "dev", "vwc0", "ingress" });
    EXPECT_EQ(json_array_get_length(json_node_get_array(q)), 0u);
}

TEST_F(RtnlTest, DumpInterleavedWithChangesOnTheSameHandle)
{
    g_autoptr(GError) error = nullptr;
    for (int i = 0; i < 100; i++) {
        std::string a = "vwa" + std::to_string(i), b = "vwb" + std::to_string(i);
        ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, a.c_str(), b.c_str(), -1, &error)) << error->message;
    }

    std::atomic<bool> stop{ false };
    std::atomic<int> churn_errors{ 0 }, churn_rounds{ 0 };
    std::thread churn([&] {
        for (int i = 0; !stop && i < 2000; i++) {
            GError *e = nullptr;
            std::string n = "vwx" + std::to_string(i % 50), p = "vwy" + std::to_string(i % 50);
            if (!vw_rtnl_veth_add(rtnl_, n.c_str(), p.c_str(), -1, &e))
                churn_errors++;
            VwLink *l = e ? nullptr : vw_rtnl_link_get(rtnl_, n.c_str(), &e);
            if (!l || g_strcmp0(l->name, n.c_str()) != 0)
                churn_errors++;
            vw_link_free(l);
            if (!e && !vw_rtnl_link_delete(rtnl_, n.c_str(), &e))
                churn_errors++;
            g_clear_error(&e);
            churn_rounds++;
        }
    });

    // Stop and join the churn whatever happens below.
    struct Joiner {
        std::atomic<bool> &stop;
        std::thread &t;
        ~Joiner()
        {
            stop = true;
            if (t.joinable())
                t.join();
        }
    } joiner{ stop, churn };

    int dumps = 0, incomplete = 0;
    while (churn_rounds < 100 || dumps < 20) {
        g_autoptr(GPtrArray) links = vw_rtnl_link_list(rtnl_, nullptr, &error);
        ASSERT_NE(links, nullptr) << error->message;
        int base = 0;
        for (guint i = 0; i < links->len; i++) {
            const char *n = static_cast<VwLink *>(g_ptr_array_index(links, i))->name;
            if (g_str_has_prefix(n, "vwa") || g_str_has_prefix(n, "vwb"))
                base++;
        }
        if (base != 200)
            incomplete++;
        dumps++;
        if (dumps > 5000)
            break;
    }
    stop = true;
    churn.join();
    std::printf("dumps: %d, churn rounds: %d\n", dumps, churn_rounds.load());
    EXPECT_EQ(incomplete, 0);
    EXPECT_EQ(churn_errors, 0);
    auto names = IpLinkNames(ns());
    EXPECT_EQ(names.size(), 201u); // lo + the 200 that stay
}

TEST(Rtnl, SixteenThreadsOverFourNamespacesDoNotCrossTalk)
{
    VW_REQUIRE_ROOT();
    ScratchNetns ns[4];
    VwRtnl *h[4] = {};
    for (int i = 0; i < 4; i++) {
        ASSERT_TRUE(ns[i].ok());
        g_autoptr(GError) error = nullptr;
        h[i] = vw_rtnl_open_netns(ns[i].name().c_str(), &error);
        ASSERT_NE(h[i], nullptr) << error->message;
    }
    std::atomic<int> failures{ 0 };
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; t++) {
        threads.emplace_back([&, t] {
            VwRtnl *r = h[t % 4];
            for (int i = 0; i < 20; i++) {
                GError *e = nullptr;
                std::string a = "vt" + std::to_string(t) + "a" + std::to_string(i);
                std::string b = "vt" + std::to_string(t) + "b" + std::to_string(i);
                if (!vw_rtnl_veth_add(r, a.c_str(), b.c_str(), -1, &e))
                    failures++;
                // Visible in this netns only.
                for (int o = 0; o < 4; o++) {
                    VwLink *l = vw_rtnl_link_get(h[o], a.c_str(), nullptr);
                    if ((l != nullptr) != (o == t % 4))
                        failures++;
                    vw_link_free(l);
                }
                if (i % 2 && !vw_rtnl_link_delete(r, a.c_str(), &e))
                    failures++;
                g_clear_error(&e);
            }
        });
    }
    for (auto &th : threads)
        th.join();
    EXPECT_EQ(failures, 0);
    for (int i = 0; i < 4; i++) {
        auto names = IpLinkNames(ns[i].name());
        // lo + 4 threads x 10 kept pairs x 2 ends
        EXPECT_EQ(names.size(), 1u + 4 * 10 * 2) << ns[i].name();
        for (const auto &n : names) {
            if (n == "lo")
                continue;
            int t = std::stoi(n.substr(2));
            EXPECT_EQ(t % 4, i) << n << " in " << ns[i].name();
        }
        vw_rtnl_free(h[i]);
    }
    EXPECT_FALSE(HasName(IpLinkNames(""), "vt0a0"));
}

TEST_F(RtnlTest, ThousandVethPairsIntoOneBridgeThenRemoval)
{
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_rtnl_bridge_add(rtnl_, "vwbr0", &error)) << error->message;
    for (int i = 0; i < 1000; i++) {
        std::string a = "vwh" + std::to_string(i), b = "vwn" + std::to_string(i);
        ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, a.c_str(), b.c_str(), -1, &error)) << error->message;
        ASSERT_TRUE(vw_rtnl_link_set_master(rtnl_, b.c_str(), "vwbr0", &error)) << error->message;
    }
    g_autoptr(JsonNode) ports = IpJson(ns(), { "link", "show", "master", "vwbr0" });
    ASSERT_NE(ports, nullptr);
    EXPECT_EQ(json_array_get_length(json_node_get_array(ports)), 1000u);

    for (int i = 0; i < 1000; i++) {
        std::string a = "vwh" + std::to_string(i);
        ASSERT_TRUE(vw_rtnl_link_delete(rtnl_, a.c_str(), &error)) << error->message;
    }
    ASSERT_TRUE(vw_rtnl_link_delete(rtnl_, "vwbr0", &error)) << error->message;
    EXPECT_EQ(IpLinkNames(ns()), (std::vector<std::string>{ "lo" }));
}

TEST_F(RtnlTest, HandlesNeverMoveAnyThreadsNetns)
{
    unsigned long self = vwtest::ThreadNetnsInode();
    g_autoptr(GError) error = nullptr;
    for (int i = 0; i < 5; i++) {
        g_autoptr(VwRtnl) r = vw_rtnl_open_netns(ns().c_str(), &error);
        ASSERT_NE(r, nullptr) << error->message;
        ASSERT_TRUE(vw_rtnl_bridge_add(r, ("vwbr" + std::to_string(i)).c_str(), &error));
    }
    EXPECT_EQ(vwtest::ThreadNetnsInode(), self);
    EXPECT_TRUE(vwtest::AllThreadsIn(self));
    EXPECT_FALSE(HasName(IpLinkNames(""), "vwbr0"));
}

// A port plumbed like virtwire plumbs one really forwards: a frame written
// into the tap (as the guest would send it) reaches the bridge inside the
// netns, and the netns's answer comes back out of the tap.
TEST_F(RtnlTest, PlumbedPortForwardsBothWays)
{
    g_autoptr(GError) error = nullptr;
    std::string tap = ScratchName("vwtp"), host = ScratchName("vwph");
    vwtest::LinkGuard tap_guard(tap), host_guard(host);
    int nsfd = OpenNetnsFd(ns());
    ASSERT_GE(nsfd, 0);
    g_autoptr(VwRtnl) hrtnl = vw_rtnl_open(-1, &error);
    ASSERT_NE(hrtnl, nullptr) << error->message;
    const guint8 guest_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

    // netns side: bridge with the gateway address, veth peer as its port.
    ASSERT_TRUE(vw_rtnl_bridge_add(rtnl_, "vwbr0", &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_addr_add(rtnl_, "vwbr0", "10.91.0.1/24", &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_veth_add(hrtnl, host.c_str(), "vwpn0", nsfd, &error)) << error->message;
    close(nsfd);
    ASSERT_TRUE(vw_rtnl_link_set_master(rtnl_, "vwpn0", "vwbr0", &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_link_set_up(rtnl_, "vwpn0", TRUE, &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_link_set_up(rtnl_, "vwbr0", TRUE, &error)) << error->message;
    // host side: tap <-> veth by tc redirect both ways.
    ASSERT_TRUE(vw_tap_create(tap.c_str(), VW_TAP_VNET_HDR, (uid_t)-1, (gid_t)-1, nullptr, &error))
        << error->message;
    for (const std::string &d : { tap, host }) {
        ASSERT_TRUE(vw_rtnl_ingress_add(hrtnl, d.c_str(), &error)) << error->message;
        ASSERT_TRUE(vw_rtnl_link_set_up(hrtnl, d.c_str(), TRUE, &error)) << error->message;
    }
    ASSERT_TRUE(vw_rtnl_redirect_add(hrtnl, tap.c_str(), host.c_str(), &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_redirect_add(hrtnl, host.c_str(), tap.c_str(), &error)) << error->message;
    // The "guest" at 10.91.0.2: the netns knows its MAC, so it answers at once.
    ASSERT_EQ(vwtest::Run({ "ip", "-n", ns(), "neigh", "replace", "10.91.0.2", "lladdr",
                            "52:54:00:aa:bb:cc", "dev", "vwbr0", "nud", "permanent" })
                  .status,
              0);

    // Be the guest: attach to the tap (no vnet header on this queue).
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    struct ifreq ifr = {};
    g_strlcpy(ifr.ifr_name, tap.c_str(), IFNAMSIZ);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    ASSERT_EQ(ioctl(fd, TUNSETIFF, &ifr), 0) << g_strerror(errno);
    int hdrsz = 10;
    ASSERT_EQ(ioctl(fd, TUNSETVNETHDRSZ, &hdrsz), 0);

    g_autoptr(JsonObject) br = IpLink(ns(), "vwbr0");
    std::string brmac = Str(br, "address");
    guint8 dmac[6];
    ASSERT_EQ(sscanf(brmac.c_str(), "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0], &dmac[1], &dmac[2],
                     &dmac[3], &dmac[4], &dmac[5]),
              6);

    // vnet header (10 zero bytes) + Ethernet + IPv4 + ICMP echo request.
    guint8 frame[10 + 14 + 20 + 8 + 16] = {};
    guint8 *eth = frame + 10, *ip = eth + 14, *icmp = ip + 20;
    memcpy(eth, dmac, 6);
    memcpy(eth + 6, guest_mac, 6);
    eth[12] = 0x08;
    ip[0] = 0x45;
    ip[2] = 0;
    ip[3] = 20 + 8 + 16;
    ip[8] = 64;
    ip[9] = 1;
    inet_pton(AF_INET, "10.91.0.2", ip + 12);
    inet_pton(AF_INET, "10.91.0.1", ip + 16);
    auto csum = [](const guint8 *p, size_t n) {
        guint32 s = 0;
        for (size_t i = 0; i + 1 < n; i += 2)
            s += (guint32)(p[i] << 8 | p[i + 1]);
        while (s >> 16)
            s = (s & 0xffff) + (s >> 16);
        return (guint16)~s;
    };
    guint16 c = csum(ip, 20);
    ip[10] = c >> 8;
    ip[11] = c & 0xff;
    icmp[0] = 8; // echo request
    icmp[4] = 0x76;
    icmp[5] = 0x77; // id
    icmp[7] = 1;    // seq
    memcpy(icmp + 8, "virtwire-plumbed", 16);
    c = csum(icmp, 8 + 16);
    icmp[2] = c >> 8;
    icmp[3] = c & 0xff;

    bool replied = false;
    for (int attempt = 0; attempt < 5 && !replied; attempt++) {
        ASSERT_EQ(write(fd, frame, sizeof(frame)), (ssize_t)sizeof(frame)) << g_strerror(errno);
        for (;;) {
            struct pollfd p = { fd, POLLIN, 0 };
            if (poll(&p, 1, 1000) <= 0)
                break;
            guint8 in[2048];
            ssize_t n = read(fd, in, sizeof(in));
            if (n < 10 + 14 + 20 + 8)
                continue;
            const guint8 *re = in + 10, *rip = re + 14, *ricmp = rip + 20;
            if (re[12] == 0x08 && re[13] == 0 && rip[9] == 1 && ricmp[0] == 0 && ricmp[4] == 0x76 &&
                ricmp[5] == 0x77 && memcmp(re, guest_mac, 6) == 0) {
                replied = true;
                break;
            }
        }
    }
    close(fd);
    EXPECT_TRUE(replied) << "no echo reply came back through tap <-> veth <-> bridge";

    ASSERT_TRUE(vw_tap_delete(tap.c_str(), &error)) << error->message;
}

// ------------------------------------------------------------ shaping, STP

namespace
{

// The root qdisc of @dev in @netns, or nullptr.
JsonObject *
RootQdisc(const std::string &netns, const std::string &dev)
{
    g_autoptr(JsonNode) node = vwtest::TcJson(netns, { "qdisc", "show", "dev", dev, "root" });
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

int64_t
Option(JsonObject *q, const char *name)
{
    if (!q || !json_object_has_member(q, "options"))
        return -1;
    JsonObject *o = json_object_get_object_member(q, "options");
    return json_object_has_member(o, name) ? json_object_get_int_member(o, name) : -1;
}

} // namespace

TEST_F(RtnlTest, ShapeIsATbfAtTheRootAndIsReplacedInPlace)
{
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_rtnl_veth_add(rtnl_, "vwa0", "vwb0", -1, &error)) << error->message;
    VwShape shape = { 200000, 0, 32768, 1518, 10000 };
    ASSERT_TRUE(vw_rtnl_shape_set(rtnl_, "vwa0", &shape, &error)) << error->message;
    {
        g_autoptr(JsonObject) q = RootQdisc(ns(), "vwa0");
        EXPECT_EQ(Str(q, "kind"), "tbf");
        EXPECT_EQ(Str(q, "handle"), "1:");
        EXPECT_EQ(Option(q, "rate"), 200000);
        EXPECT_EQ(Option(q, "burst"), 32768);
        EXPECT_EQ(Option(q, "limit"), 10000);
    }
    // Again, with a peak and a rate beyond 32 bits (4 GB/s and more).
    shape = { 5000000000ull, 6000000000ull, 1 << 20, 1518, 1 << 24 };
    ASSERT_TRUE(vw_rtnl_shape_set(rtnl_, "vwa0", &shape, &error)) << error->message;
    {
        g_autoptr(JsonObject) q = RootQdisc(ns(), "vwa0");
        EXPECT_EQ(Option(q, "rate"), 5000000000ll);
        vwtest::Cmd c = vwtest::Run({ "tc", "-n", ns(), "qdisc", "show", "dev", "vwa0", "root" });
        EXPECT_NE(c.out.find("peakrate 48Gbit"), std::string::npos) << c.out;
    }
    // A peak not above the rate is refused, naming the link; nothing changes.
    shape = { 100000, 100000, 32768, 1518, 10000 };
    EXPECT_FALSE(vw_rtnl_shape_set(rtnl_, "vwa0", &shape, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(strstr(error->message, "'vwa0'"), nullptr) << error->message;
    g_clear_error(&error);
    {
        g_autoptr(JsonObject) q = RootQdisc(ns(), "vwa0");
        EXPECT_EQ(Option(q, "rate"), 5000000000ll);
    }
    shape = { 100000, 0, 32768, 1518, 10000 };
    EXPECT_FALSE(vw_rtnl_shape_set(rtnl_, "nosuch0", &shape, &error));
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND)) << error->message;
}

TEST_F(RtnlTest, BridgeStpTurnsOnAndOff)
{
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_rtnl_bridge_add(rtnl_, "vwbr0", &error)) << error->message;
    ASSERT_TRUE(vw_rtnl_bridge_set_stp(rtnl_, "vwbr0", TRUE, &error)) << error->message;
    {
        g_autoptr(JsonObject) br = IpLink(ns(), "vwbr0");
        JsonObject *data = InfoData(br);
        ASSERT_NE(data, nullptr);
        EXPECT_EQ(json_object_get_int_member(data, "stp_state"), 1);
        // Raised from 0 to the least STP allows, 2 s (in hundredths).
        EXPECT_EQ(json_object_get_int_member(data, "forward_delay"), 200);
    }
    ASSERT_TRUE(vw_rtnl_bridge_set_stp(rtnl_, "vwbr0", FALSE, &error)) << error->message;
    {
        g_autoptr(JsonObject) br = IpLink(ns(), "vwbr0");
        JsonObject *data = InfoData(br);
        ASSERT_NE(data, nullptr);
        EXPECT_EQ(json_object_get_int_member(data, "stp_state"), 0);
    }
    EXPECT_FALSE(vw_rtnl_bridge_set_stp(rtnl_, "nosuch0", TRUE, &error));
    EXPECT_NE(strstr(error->message, "'nosuch0'"), nullptr) << error->message;
}
