// Persistent taps (src/net/vw-tap.c), checked against the kernel with
// `ip -j -d link show`.
#include <config.h>

#include <fcntl.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <net/if.h>

#include <algorithm>
#include <cstring>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "vw-net-error.h"
#include "vw-net-testutil.h"
#include "vw-tap.h"

namespace
{

using vwtest::IpLink;
using vwtest::LinkGuard;
using vwtest::ScratchName;

constexpr uid_t kNoUser = (uid_t)-1;
constexpr gid_t kNoGroup = (gid_t)-1;

// linkinfo.info_data of a link object, or nullptr.
JsonObject *
InfoData(JsonObject *link)
{
    if (!link || !json_object_has_member(link, "linkinfo"))
        return nullptr;
    JsonObject *info = json_object_get_object_member(link, "linkinfo");
    if (!info || !json_object_has_member(info, "info_data"))
        return nullptr;
    return json_object_get_object_member(info, "info_data");
}

std::string
InfoKind(JsonObject *link)
{
    if (!link || !json_object_has_member(link, "linkinfo"))
        return "";
    JsonObject *info = json_object_get_object_member(link, "linkinfo");
    if (!info || !json_object_has_member(info, "info_kind"))
        return "";
    return json_object_get_string_member(info, "info_kind");
}

bool
HasFlag(JsonObject *link, const char *flag)
{
    JsonArray *flags = link && json_object_has_member(link, "flags")
                           ? json_object_get_array_member(link, "flags")
                           : nullptr;
    for (guint i = 0; flags && i < json_array_get_length(flags); i++)
        if (g_str_equal(json_array_get_string_element(flags, i), flag))
            return true;
    return false;
}

bool
Bool(JsonObject *obj, const char *member)
{
    return obj && json_object_has_member(obj, member) &&
           json_object_get_boolean_member(obj, member);
}

// iproute2 prints "user"/"group" as a name when the id has one, else as a number.
std::string
Owner(JsonObject *data, const char *member)
{
    if (!data || !json_object_has_member(data, member))
        return "(none)";
    JsonNode *node = json_object_get_member(data, member);
    if (json_node_get_value_type(node) == G_TYPE_STRING)
        return json_node_get_string(node);
    return std::to_string(json_node_get_int(node));
}

std::string
Address(JsonObject *link)
{
    if (!link || !json_object_has_member(link, "address"))
        return "";
    return json_object_get_string_member(link, "address");
}

// The whole `ip -d link show` object as text, to prove a link was not touched.
std::string
LinkText(const std::string &netns, const std::string &name)
{
    g_autoptr(JsonObject) link = IpLink(netns, name);
    if (!link)
        return "";
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), link);
    g_autofree char *text = json_to_string(node, FALSE);
    return text;
}

bool
LinkExists(const std::string &name)
{
    g_autoptr(JsonObject) link = IpLink("", name);
    return link != nullptr;
}

// Add a link of a kind other than tun: a dummy, or a bridge on kernels
// built without the dummy driver.
bool
AddOtherKindLink(const std::string &name)
{
    return vwtest::Run({ "ip", "link", "add", name, "type", "dummy" }).status == 0 ||
           vwtest::Run({ "ip", "link", "add", name, "type", "bridge" }).status == 0;
}

int
OpenFdCount()
{
    int n = 0;
    g_autoptr(GDir) dir = g_dir_open("/proc/self/fd", 0, nullptr);
    while (dir && g_dir_read_name(dir))
        n++;
    return n;
}

TEST(Tap, CreatePersistentWithOwnerAndVnetHdr)
{
    VW_REQUIRE_ROOT();
    std::string name = ScratchName("vwtt");
    LinkGuard guard(name);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_tap_create(name.c_str(), VW_TAP_VNET_HDR, 64055, 64056, nullptr, &error))
        << error->message;

    // The fd is closed: the tap is only there because it is persistent.
    g_autoptr(JsonObject) link = IpLink("", name);
    ASSERT_NE(link, nullptr) << name << " does not exist after vw_tap_create";
    EXPECT_EQ(InfoKind(link), "tun");
    JsonObject *data = InfoData(link);
    ASSERT_NE(data, nullptr);
    EXPECT_STREQ(json_object_get_string_member(data, "type"), "tap");
    EXPECT_FALSE(Bool(data, "pi"));
    EXPECT_TRUE(Bool(data, "vnet_hdr"));
    EXPECT_FALSE(Bool(data, "multi_queue"));
    EXPECT_TRUE(Bool(data, "persist"));
    EXPECT_EQ(Owner(data, "user"), "64055");
    EXPECT_EQ(Owner(data, "group"), "64056");
}

// vw_tap_create_held(): the tap is attached to the returned fd as its queue
// until the caller closes it, and stays (persistent) afterwards.
TEST(Tap, CreateHeldReturnsTheAttachedFdAndTheTapOutlivesIt)
{
    VW_REQUIRE_ROOT();
    std::string name = ScratchName("vwtt");
    LinkGuard guard(name);
    g_autoptr(GError) error = nullptr;
    const guint8 mac[6] = { 0xfe, 0x54, 0x00, 0x12, 0x34, 0x56 };

    int fd = vw_tap_create_held(name.c_str(), VW_TAP_VNET_HDR, 64055, 64056, mac, &error);
    ASSERT_GE(fd, 0) << error->message;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ASSERT_EQ(ioctl(fd, TUNGETIFF, &ifr), 0) << "the fd is not attached: " << strerror(errno);
    EXPECT_EQ(std::string(ifr.ifr_name), name);
    EXPECT_TRUE(ifr.ifr_flags & IFF_VNET_HDR);
    EXPECT_NE(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);

    // Up, the tap has carrier while a queue is attached, and loses it when
    // the fd closes.
    ASSERT_EQ(vwtest::Run({ "ip", "link", "set", "dev", name, "up" }).status, 0);
    g_autoptr(JsonObject) held = IpLink("", name);
    ASSERT_NE(held, nullptr);
    EXPECT_TRUE(HasFlag(held, "LOWER_UP"));
    close(fd);
    g_autoptr(JsonObject) closed = IpLink("", name);
    ASSERT_NE(closed, nullptr);
    EXPECT_TRUE(HasFlag(closed, "NO-CARRIER"));
    EXPECT_FALSE(HasFlag(closed, "LOWER_UP"));

    g_autoptr(JsonObject) link = IpLink("", name);
    ASSERT_NE(link, nullptr) << name << " is gone once its creation fd is closed";
    JsonObject *data = InfoData(link);
    ASSERT_NE(data, nullptr);
    EXPECT_TRUE(Bool(data, "persist"));
    EXPECT_TRUE(Bool(data, "vnet_hdr"));
    EXPECT_EQ(Owner(data, "user"), "64055");
    EXPECT_STREQ(json_object_get_string_member(link, "address"), "fe:54:00:12:34:56");

    // A failure returns -1 and leaves the existing tap as it was.
    EXPECT_EQ(vw_tap_create_held(name.c_str(), (VwTapFlags)0, kNoUser, kNoGroup, nullptr, &error),
              -1);
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS));
    g_autoptr(JsonObject) again = IpLink("", name);
    ASSERT_NE(again, nullptr);
    EXPECT_TRUE(Bool(InfoData(again), "vnet_hdr"));
}

TEST(Tap, WithoutOwnerLeavesUserAndGroupUnset)
{
    VW_REQUIRE_ROOT();
    std::string name = ScratchName("vwtt");
    LinkGuard guard(name);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_tap_create(name.c_str(), (VwTapFlags)0, kNoUser, kNoGroup, nullptr, &error))
        << error->message;
    g_autoptr(JsonObject) link = IpLink("", name);
    JsonObject *data = InfoData(link);
    ASSERT_NE(data, nullptr);
    EXPECT_FALSE(Bool(data, "vnet_hdr"));
    EXPECT_TRUE(Bool(data, "persist"));
    EXPECT_FALSE(json_object_has_member(data, "user"));
    EXPECT_FALSE(json_object_has_member(data, "group"));
}

TEST(Tap, MultiQueue)
{
    VW_REQUIRE_ROOT();
    std::string name = ScratchName("vwtt");
    LinkGuard guard(name);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_tap_create(name.c_str(), VW_TAP_MULTI_QUEUE, kNoUser, kNoGroup, nullptr, &error))
        << error->message;
    {
        g_autoptr(JsonObject) link = IpLink("", name);
        JsonObject *data = InfoData(link);
        ASSERT_NE(data, nullptr);
        EXPECT_TRUE(Bool(data, "multi_queue"));
        EXPECT_FALSE(Bool(data, "vnet_hdr"));
        EXPECT_TRUE(Bool(data, "persist"));
    }
    // Deleting must attach with IFF_MULTI_QUEUE, or the kernel refuses.
    ASSERT_TRUE(vw_tap_delete(name.c_str(), &error)) << error->message;
    EXPECT_FALSE(LinkExists(name));
}

TEST(Tap, MacIsSetAtCreation)
{
    VW_REQUIRE_ROOT();
    std::string name = ScratchName("vwtt");
    LinkGuard guard(name);
    g_autoptr(GError) error = nullptr;
    const guint8 mac[6] = { 0x52, 0x54, 0x00, 0x12, 0xab, 0xcd };

    ASSERT_TRUE(vw_tap_create(name.c_str(), (VwTapFlags)(VW_TAP_VNET_HDR | VW_TAP_MULTI_QUEUE),
                              kNoUser, kNoGroup, mac, &error))
        << error->message;
    g_autoptr(JsonObject) link = IpLink("", name);
    ASSERT_NE(link, nullptr);
    EXPECT_EQ(Address(link), "52:54:00:12:ab:cd");
}

TEST(Tap, NonUnicastMacIsRejectedAndNothingCreated)
{
    VW_REQUIRE_ROOT();
    const guint8 multicast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    const guint8 zero[6] = { 0 };

    for (const guint8 *mac : { multicast, zero }) {
        std::string name = ScratchName("vwtt");
        LinkGuard guard(name);
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_tap_create(name.c_str(), (VwTapFlags)0, kNoUser, kNoGroup, mac, &error));
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID)) << error->message;
        EXPECT_NE(strstr(error->message, name.c_str()), nullptr) << error->message;
        EXPECT_FALSE(LinkExists(name));
    }
}

TEST(Tap, CreateExistingNameFailsWithExists)
{
    VW_REQUIRE_ROOT();
    std::string name = ScratchName("vwtt");
    LinkGuard guard(name);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_tap_create(name.c_str(), VW_TAP_VNET_HDR, 64055, 64055, nullptr, &error))
        << error->message;
    std::string before = LinkText("", name);
    ASSERT_FALSE(before.empty());

    // Same flags (where a bare TUNSETIFF would attach), and different ones.
    for (int flags : { (int)VW_TAP_VNET_HDR, 0, (int)VW_TAP_MULTI_QUEUE }) {
        const guint8 mac[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x01 };
        EXPECT_FALSE(vw_tap_create(name.c_str(), (VwTapFlags)flags, 0, 0, mac, &error));
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS)) << error->message;
        EXPECT_EQ(std::string(error->message), "cannot create tap '" + name + "': File exists");
        g_clear_error(&error);
    }
    EXPECT_EQ(LinkText("", name), before) << "the existing tap was changed";
}

TEST(Tap, CreateOverDeviceOfAnotherKindFailsWithExists)
{
    VW_REQUIRE_ROOT();
    std::string name = ScratchName("vwtt");
    LinkGuard guard(name);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(AddOtherKindLink(name));
    std::string before = LinkText("", name);
    ASSERT_FALSE(before.empty());

    EXPECT_FALSE(vw_tap_create(name.c_str(), VW_TAP_VNET_HDR, 64055, 64055, nullptr, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS)) << error->message;
    EXPECT_EQ(std::string(error->message), "cannot create tap '" + name + "': File exists");
    EXPECT_EQ(LinkText("", name), before) << "the existing link was changed";
}

TEST(Tap, DeleteRemovesIt)
{
    VW_REQUIRE_ROOT();
    std::string name = ScratchName("vwtt");
    LinkGuard guard(name);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_tap_create(name.c_str(), VW_TAP_VNET_HDR, 64055, 64055, nullptr, &error))
        << error->message;
    ASSERT_TRUE(LinkExists(name));
    ASSERT_TRUE(vw_tap_delete(name.c_str(), &error)) << error->message;
    EXPECT_FALSE(LinkExists(name));
    // The name is free again.
    ASSERT_TRUE(vw_tap_create(name.c_str(), (VwTapFlags)0, kNoUser, kNoGroup, nullptr, &error))
        << error->message;
    ASSERT_TRUE(vw_tap_delete(name.c_str(), &error)) << error->message;
    EXPECT_FALSE(LinkExists(name));
}

TEST(Tap, DeleteMissingIsNotFound)
{
    VW_REQUIRE_ROOT();
    std::string name = ScratchName("vwtt");
    LinkGuard guard(name);
    g_autoptr(GError) error = nullptr;

    EXPECT_FALSE(vw_tap_delete(name.c_str(), &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND)) << error->message;
    EXPECT_NE(strstr(error->message, ("'" + name + "'").c_str()), nullptr) << error->message;
    EXPECT_FALSE(LinkExists(name)) << "deleting a missing tap created one";
}

TEST(Tap, DeleteRefusesDevicesThatAreNotTaps)
{
    VW_REQUIRE_ROOT();
    std::string other = ScratchName("vwtt");
    std::string tun = ScratchName("vwtt");
    LinkGuard other_guard(other);
    LinkGuard tun_guard(tun);

    ASSERT_TRUE(AddOtherKindLink(other));
    ASSERT_EQ(vwtest::Run({ "ip", "tuntap", "add", "dev", tun, "mode", "tun" }).status, 0);
    for (const std::string &name : { other, tun }) {
        g_autoptr(GError) error = nullptr;
        std::string before = LinkText("", name);
        ASSERT_FALSE(before.empty());
        EXPECT_FALSE(vw_tap_delete(name.c_str(), &error));
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID)) << error->message;
        EXPECT_EQ(LinkText("", name), before) << name << " was changed";
    }
}

TEST(Tap, BadNamesAreRejected)
{
    VW_REQUIRE_ROOT();
    const char *bad[] = { "", "abcdefghijklmnop", "a/b", "x y", "vwtt%d" };

    for (const char *name : bad) {
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_tap_create(name, VW_TAP_VNET_HDR, kNoUser, kNoGroup, nullptr, &error))
            << "'" << name << "'";
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID)) << error->message;
        g_clear_error(&error);
        EXPECT_FALSE(vw_tap_delete(name, &error)) << "'" << name << "'";
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_INVALID)) << error->message;
    }
    // Nothing made under the name, its truncation, or its parts.
    for (const char *name :
         { "abcdefghijklmnop", "abcdefghijklmno", "a/b", "a", "b", "x y", "x", "vwtt0", "vwtt%d" })
        EXPECT_FALSE(LinkExists(name)) << name;
}

TEST(Tap, CreatedInCallingThreadsNetns)
{
    VW_REQUIRE_ROOT();
    std::string plain = ScratchName("vwtt");
    std::string multi = ScratchName("vwtt");
    LinkGuard plain_guard(plain);
    LinkGuard multi_guard(multi);
    std::promise<void> created;
    std::promise<void> checked;
    std::string failure;
    bool in_thread_netns = false;
    bool deleted = false;

    // The thread's netns dies with it, and any tap left inside with it.
    std::thread worker([&]() {
        g_autoptr(GError) error = nullptr;
        if (unshare(CLONE_NEWNET) != 0) {
            failure = "unshare(CLONE_NEWNET) failed";
        } else if (!vw_tap_create(plain.c_str(), VW_TAP_VNET_HDR, kNoUser, kNoGroup, nullptr,
                                  &error) ||
                   !vw_tap_create(multi.c_str(), VW_TAP_MULTI_QUEUE, kNoUser, kNoGroup, nullptr,
                                  &error)) {
            failure = error->message;
        } else {
            // ip runs in a child forked from this thread, so in its netns.
            g_autoptr(JsonObject) link = IpLink("", multi);
            in_thread_netns =
                if_nametoindex(plain.c_str()) != 0 && link && Bool(InfoData(link), "multi_queue");
        }
        created.set_value();
        checked.get_future().wait();
        if (failure.empty()) {
            // /sys/class/net shows the host netns here: delete must cope.
            if (!vw_tap_delete(plain.c_str(), &error) || !vw_tap_delete(multi.c_str(), &error))
                failure = error->message;
            else
                deleted = if_nametoindex(plain.c_str()) == 0 && if_nametoindex(multi.c_str()) == 0;
        }
    });
    created.get_future().wait();
    bool host_has_plain = LinkExists(plain);
    bool host_has_multi = LinkExists(multi);
    checked.set_value();
    worker.join();

    ASSERT_EQ(failure, "");
    EXPECT_TRUE(in_thread_netns);
    EXPECT_FALSE(host_has_plain);
    EXPECT_FALSE(host_has_multi);
    EXPECT_TRUE(deleted);
}

TEST(Tap, ManyTapsCreateAndDelete)
{
    VW_REQUIRE_ROOT();
    constexpr int kTaps = 100;
    std::vector<std::string> names;
    std::vector<std::unique_ptr<LinkGuard>> guards;
    int fds_before = OpenFdCount();

    for (int i = 0; i < kTaps; i++) {
        names.push_back(ScratchName("vwtt"));
        guards.push_back(std::make_unique<LinkGuard>(names.back()));
    }
    for (int i = 0; i < kTaps; i++) {
        g_autoptr(GError) error = nullptr;
        ASSERT_TRUE(vw_tap_create(names[i].c_str(), (i % 2) ? VW_TAP_VNET_HDR : VW_TAP_MULTI_QUEUE,
                                  64055, 64055, nullptr, &error))
            << error->message;
    }
    std::vector<std::string> links = vwtest::IpLinkNames("");
    for (const std::string &name : names)
        EXPECT_NE(std::find(links.begin(), links.end(), name), links.end()) << name << " missing";
    for (const std::string &name : names) {
        g_autoptr(GError) error = nullptr;
        ASSERT_TRUE(vw_tap_delete(name.c_str(), &error)) << error->message;
    }
    EXPECT_EQ(OpenFdCount(), fds_before) << "descriptors leaked";

    // ScratchName is PREFIX + pid + 3-digit counter: nothing of this process
    // is left, not just the names above.
    std::string ours = names[0].substr(0, names[0].size() - 3);
    for (const std::string &link : vwtest::IpLinkNames(""))
        EXPECT_NE(link.rfind(ours, 0), 0u) << link << " is left";
}

} // namespace
