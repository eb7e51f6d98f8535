// IPAM and the lease database (src/engine/vw-ipam.c).  Suite unit: lease
// files live in a temporary directory; the concurrency test forks 32
// processes that serialise on the network lock (src/util/vw-lock.c).
#include <config.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <climits>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "vw-atomic.h"
#include "vw-ipam.h"
#include "vw-lock.h"
#include "vw-netdef.h"
#include "vw-util-error.h"

namespace
{

class TempDir
{
  public:
    TempDir()
    {
        char *dir = g_dir_make_tmp("vw-ipam-XXXXXX", nullptr);
        if (!dir)
            ADD_FAILURE() << "cannot make a temporary directory";
        path_ = dir ? dir : "";
        g_free(dir);
    }
    ~TempDir()
    {
        if (path_.empty())
            return;
        g_autoptr(GDir) dir = g_dir_open(path_.c_str(), 0, nullptr);
        while (const char *name = dir ? g_dir_read_name(dir) : nullptr)
            unlink((path_ + "/" + name).c_str());
        rmdir(path_.c_str());
    }
    std::string operator/(const std::string &name) const
    {
        return path_ + "/" + name;
    }
    const std::string &path() const
    {
        return path_;
    }

  private:
    std::string path_;
};

VwNetDef *
Def(const std::string &xml)
{
    g_autoptr(GError) error = nullptr;
    VwNetDef *def = vw_netdef_parse(xml.c_str(), -1, &error);
    EXPECT_NE(def, nullptr) << (error ? error->message : "") << "\n" << xml;
    return def;
}

// A /24 IPv4 network: range .10-.20, static hosts .5 (named "web") and .12
// (inside the range, for a MAC with no name).
const char kNet4[] = R"(<network>
  <name>lan</name>
  <ip address='10.0.0.1' prefix='24'>
    <dhcp>
      <range start='10.0.0.10' end='10.0.0.20'/>
      <host mac='52:54:00:00:00:AA' ip='10.0.0.5' name='web'/>
      <host mac='52:54:00:00:00:bb' ip='10.0.0.12'/>
    </dhcp>
  </ip>
</network>)";

// kNet4 after a change: range .11-.30 (a lease on .10 must move) and a new
// <host> for MAC 9 on .13 (its holder must move).
const char kNet4Moved[] = R"(<network>
  <name>lan</name>
  <ip address='10.0.0.1' prefix='24'>
    <dhcp>
      <range start='10.0.0.11' end='10.0.0.30'/>
      <host mac='52:54:00:10:00:09' ip='10.0.0.13'/>
    </dhcp>
  </ip>
</network>)";

const char kMacA[] = "52:54:00:00:00:aa"; // static .5 "web"
const char kMacB[] = "52:54:00:00:00:bb"; // static .12

std::string
Uuid(int n)
{
    g_autofree char *text = g_strdup_printf("00000000-0000-4000-8000-%012x", n);
    return text;
}

std::string
Mac(int n)
{
    g_autofree char *text = g_strdup_printf("52:54:00:10:%02x:%02x", (n >> 8) & 0xff, n & 0xff);
    return text;
}

std::string
ReadFile(const std::string &path)
{
    g_autofree char *data = nullptr;
    gsize len = 0;
    if (!g_file_get_contents(path.c_str(), &data, &len, nullptr))
        return "<unreadable>";
    return std::string(data, len);
}

std::string
Ip4(const VwLeaseRecord *lease)
{
    return lease && lease->ipv4 ? lease->ipv4 : "<none>";
}

std::string
Ip6(const VwLeaseRecord *lease)
{
    return lease && lease->ipv6 ? lease->ipv6 : "<none>";
}

std::string
Acquire4(VwLeaseDb *db, int n, const char *name = nullptr)
{
    g_autoptr(GError) error = nullptr;
    const VwLeaseRecord *lease =
        vw_lease_db_acquire(db, Uuid(n).c_str(), name, Mac(n).c_str(), &error);
    EXPECT_NE(lease, nullptr) << (error ? error->message : "");
    return Ip4(lease);
}

// The database both definition-change tests start from, saved: on kNet4,
// MACs 1, 2 and 3 at .10, .11 and .13 (.12 is a <host>); MAC 2 named @name2.
void
SaveThreeLeases(const std::string &path, const VwNetDef *def, const char *name2 = nullptr)
{
    g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def, nullptr);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(Acquire4(db, 1), "10.0.0.10");
    EXPECT_EQ(Acquire4(db, 2, name2), "10.0.0.11");
    EXPECT_EQ(Acquire4(db, 3), "10.0.0.13");
    ASSERT_TRUE(vw_lease_db_save(db, nullptr));
}

// ---- allocation -------------------------------------------------------------

TEST(Ipam, MissingFileIsAnEmptyDatabase)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(kNet4);
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwLeaseDb) db = vw_lease_db_load((tmp / "lan.json").c_str(), def, &error);
    ASSERT_NE(db, nullptr) << error->message;
    g_autoptr(GPtrArray) list = vw_lease_db_list(db);
    EXPECT_EQ(list->len, 0u);
    EXPECT_EQ(vw_lease_db_lookup(db, Uuid(1).c_str(), Mac(1).c_str()), nullptr);
    EXPECT_EQ(vw_lease_db_get_path(db), tmp / "lan.json");
    ASSERT_TRUE(vw_lease_db_save(db, &error)) << error->message;
    EXPECT_TRUE(g_file_test((tmp / "lan.json").c_str(), G_FILE_TEST_IS_REGULAR))
        << "the first save creates the file";
}

// Issue 18 point 7: a symbolic link in place of the lease file is refused
// with an error naming it, and never followed: its target is neither read
// (the load would succeed on it) nor changed, also by the peek.
TEST(Ipam, SymlinkInPlaceOfTheLeaseFileIsRefusedAndNotFollowed)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(kNet4);
    const std::string victim = tmp / "victim.json";
    const std::string path = tmp / "lan.json";
    SaveThreeLeases(victim, def);
    const std::string before = ReadFile(victim);
    struct stat st_before;
    ASSERT_EQ(stat(victim.c_str(), &st_before), 0);
    ASSERT_EQ(symlink(victim.c_str(), path.c_str()), 0);

    g_autoptr(GError) error = nullptr;
    g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def, &error);
    EXPECT_EQ(db, nullptr) << "the lease file was read through the link";
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO)) << error->message;
    EXPECT_NE(std::string(error->message).find(path), std::string::npos) << error->message;
    EXPECT_NE(std::string(error->message).find("symbolic link"), std::string::npos)
        << error->message;

    std::string uuid = Uuid(1), mac = Mac(1);
    VwLeasePeek peek = { uuid.c_str(), nullptr, mac.c_str(), nullptr, nullptr };
    EXPECT_FALSE(vw_lease_db_peek(path.c_str(), def, &peek, 1))
        << "the peek read the lease file through the link";
    EXPECT_EQ(peek.ipv4, nullptr);
    g_free(peek.ipv4);
    g_free(peek.ipv6);

    struct stat st_after;
    ASSERT_EQ(stat(victim.c_str(), &st_after), 0);
    EXPECT_EQ(ReadFile(victim), before);
    EXPECT_EQ(st_after.st_mtim.tv_sec, st_before.st_mtim.tv_sec);
    EXPECT_EQ(st_after.st_mtim.tv_nsec, st_before.st_mtim.tv_nsec);
    char target[PATH_MAX] = "";
    ssize_t n = readlink(path.c_str(), target, sizeof(target) - 1);
    ASSERT_GT(n, 0) << "the link itself was replaced";
    EXPECT_EQ(std::string(target, (size_t)n), victim);
}

// A dangling link is not a missing file (which the first save would create):
// it is refused, and nothing is made where it points.
TEST(Ipam, DanglingSymlinkInPlaceOfTheLeaseFileIsRefused)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(kNet4);
    const std::string victim = tmp / "nowhere.json";
    const std::string path = tmp / "lan.json";
    ASSERT_EQ(symlink(victim.c_str(), path.c_str()), 0);

    g_autoptr(GError) error = nullptr;
    g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def, &error);
    EXPECT_EQ(db, nullptr) << "a dangling link passed for a missing lease file";
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find(path), std::string::npos) << error->message;
    EXPECT_FALSE(g_file_test(victim.c_str(), G_FILE_TEST_EXISTS));
}

// A lease file larger than VW_LEASE_DB_MAX_SIZE is an error naming it and
// the limit, found after reading no more than the limit + 1 bytes.
TEST(Ipam, LeaseFileLargerThanTheLimitIsAnError)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(kNet4);
    const std::string path = tmp / "lan.json";
    ASSERT_EQ(truncate(path.c_str(), 0), -1); // not there yet
    {
        FILE *fp = fopen(path.c_str(), "w");
        ASSERT_NE(fp, nullptr);
        fclose(fp);
    }
    ASSERT_EQ(truncate(path.c_str(), (off_t)VW_LEASE_DB_MAX_SIZE + 1), 0);

    g_autoptr(GError) error = nullptr;
    g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def, &error);
    EXPECT_EQ(db, nullptr);
    ASSERT_NE(error, nullptr);
    std::string msg = error->message;
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::to_string(VW_LEASE_DB_MAX_SIZE)), std::string::npos) << msg;
}

TEST(Ipam, AllocatesTheLowestFreeAddressSkippingStaticHosts)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(kNet4);
    g_autoptr(VwLeaseDb) db = vw_lease_db_load((tmp / "lan.json").c_str(), def, nullptr);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(Acquire4(db, 1), "10.0.0.10");
    EXPECT_EQ(Acquire4(db, 2), "10.0.0.11");
    EXPECT_EQ(Acquire4(db, 3), "10.0.0.13") << ".12 is the <host> of another MAC";
    EXPECT_EQ(Acquire4(db, 4), "10.0.0.14");
    const VwLeaseRecord *lease = vw_lease_db_lookup(db, Uuid(3).c_str(), Mac(3).c_str());
    ASSERT_NE(lease, nullptr);
    EXPECT_FALSE(lease->is_static);
    EXPECT_EQ(lease->ipv6, nullptr) << "the network has no IPv6";
    EXPECT_GT(lease->created, 0);
    EXPECT_EQ(lease->created, lease->updated);
}

TEST(Ipam, SameLeaseAgainAndAcrossSaveAndLoad)
{
    TempDir tmp;
    std::string path = tmp / "lan.json";
    g_autoptr(VwNetDef) def = Def(kNet4);
    {
        g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def, nullptr);
        ASSERT_NE(db, nullptr);
        EXPECT_EQ(Acquire4(db, 1, "vm-one"), "10.0.0.10");
        EXPECT_EQ(Acquire4(db, 2, "vm-two"), "10.0.0.11");
        EXPECT_EQ(Acquire4(db, 1, "vm-one"), "10.0.0.10") << "acquire twice = one lease";
        g_autoptr(GError) error = nullptr;
        ASSERT_TRUE(vw_lease_db_save(db, &error)) << error->message;
    }
    struct stat before;
    ASSERT_EQ(stat(path.c_str(), &before), 0);
    EXPECT_EQ(before.st_mode & 07777, 0644u);
    {
        g_autoptr(GError) error = nullptr;
        g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def, &error);
        ASSERT_NE(db, nullptr) << error->message;
        // Upper-case input finds the same lease.
        std::string upper_uuid = Uuid(2);
        std::transform(upper_uuid.begin(), upper_uuid.end(), upper_uuid.begin(), ::toupper);
        std::string upper_mac = Mac(2);
        std::transform(upper_mac.begin(), upper_mac.end(), upper_mac.begin(), ::toupper);
        const VwLeaseRecord *two = vw_lease_db_lookup(db, upper_uuid.c_str(), upper_mac.c_str());
        ASSERT_NE(two, nullptr);
        EXPECT_EQ(Ip4(two), "10.0.0.11");
        EXPECT_STREQ(two->domain_name, "vm-two");
        EXPECT_STREQ(two->hostname, "vm-two");
        EXPECT_STREQ(two->domain_uuid, Uuid(2).c_str());
        EXPECT_EQ(Acquire4(db, 2, "vm-two"), "10.0.0.11");
        EXPECT_EQ(Acquire4(db, 1), "10.0.0.10") << "a NULL name keeps the recorded one";
        EXPECT_STREQ(vw_lease_db_lookup(db, Uuid(1).c_str(), Mac(1).c_str())->domain_name,
                     "vm-one");
        EXPECT_EQ(Acquire4(db, 3), "10.0.0.13");
        ASSERT_TRUE(vw_lease_db_release(db, Uuid(3).c_str(), Mac(3).c_str()));
        // Nothing changed in the end?  The save still writes (a change happened).
        ASSERT_TRUE(vw_lease_db_save(db, &error)) << error->message;
    }
    {
        g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def, nullptr);
        ASSERT_NE(db, nullptr);
        struct stat mid, after;
        ASSERT_EQ(stat(path.c_str(), &mid), 0);
        EXPECT_EQ(Acquire4(db, 1, "vm-one"), "10.0.0.10");
        ASSERT_TRUE(vw_lease_db_save(db, nullptr));
        ASSERT_EQ(stat(path.c_str(), &after), 0);
        EXPECT_EQ(mid.st_ino, after.st_ino) << "an unchanged database is not rewritten";
    }
}

TEST(Ipam, DirtyTellsWhetherAnythingChanged)
{
    TempDir tmp;
    std::string path = tmp / "lan.json";
    g_autoptr(VwNetDef) def = Def(kNet4);
    g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def, nullptr);
    ASSERT_NE(db, nullptr);
    EXPECT_TRUE(vw_lease_db_is_dirty(db)) << "no file yet";
    ASSERT_TRUE(vw_lease_db_save(db, nullptr));
    EXPECT_FALSE(vw_lease_db_is_dirty(db));
    EXPECT_EQ(Acquire4(db, 1, "a"), "10.0.0.10");
    EXPECT_TRUE(vw_lease_db_is_dirty(db));
    ASSERT_TRUE(vw_lease_db_save(db, nullptr));
    EXPECT_EQ(Acquire4(db, 1, "a"), "10.0.0.10");
    EXPECT_FALSE(vw_lease_db_is_dirty(db)) << "re-acquiring an unchanged lease changes nothing";
    EXPECT_EQ(Acquire4(db, 1, "b"), "10.0.0.10");
    EXPECT_TRUE(vw_lease_db_is_dirty(db)) << "a new domain name (same second) is a change";
    ASSERT_TRUE(vw_lease_db_save(db, nullptr));
    EXPECT_FALSE(vw_lease_db_release(db, Uuid(2).c_str(), Mac(2).c_str()));
    EXPECT_FALSE(vw_lease_db_is_dirty(db));
    EXPECT_TRUE(vw_lease_db_release(db, Uuid(1).c_str(), Mac(1).c_str()));
    EXPECT_TRUE(vw_lease_db_is_dirty(db));
    g_autoptr(VwLeaseDb) reloaded = vw_lease_db_load(path.c_str(), def, nullptr);
    ASSERT_NE(reloaded, nullptr);
    EXPECT_FALSE(vw_lease_db_is_dirty(reloaded));
}

TEST(Ipam, FileFormatIsVersionedJsonWithOneLeasePerLine)
{
    TempDir tmp;
    std::string path = tmp / "lan.json";
    g_autoptr(VwNetDef) def = Def(kNet4);
    g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def, nullptr);
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(vw_lease_db_save(db, nullptr));
    EXPECT_EQ(ReadFile(path), "{\"version\": 1, \"network\": \"lan\", \"leases\": []}\n");
    ASSERT_NE(vw_lease_db_acquire(db, Uuid(1).c_str(), "Vm One", Mac(1).c_str(), nullptr), nullptr);
    ASSERT_NE(vw_lease_db_acquire(db, Uuid(2).c_str(), nullptr, kMacA, nullptr), nullptr);
    ASSERT_TRUE(vw_lease_db_save(db, nullptr));
    const VwLeaseRecord *one = vw_lease_db_lookup(db, Uuid(1).c_str(), Mac(1).c_str());
    const VwLeaseRecord *web = vw_lease_db_lookup(db, Uuid(2).c_str(), kMacA);
    g_autofree char *want = g_strdup_printf(
        "{\"version\": 1, \"network\": \"lan\", \"leases\": [\n"
        "{\"domain-uuid\": \"00000000-0000-4000-8000-000000000002\", \"domain-name\": null, "
        "\"mac\": \"52:54:00:00:00:aa\", \"ipv4\": \"10.0.0.5\", \"ipv6\": null, "
        "\"hostname\": \"web\", \"static\": true, \"created\": %" G_GINT64_FORMAT
        ", \"updated\": %" G_GINT64_FORMAT "},\n"
        "{\"domain-uuid\": \"00000000-0000-4000-8000-000000000001\", \"domain-name\": \"Vm One\", "
        "\"mac\": \"52:54:00:10:00:01\", \"ipv4\": \"10.0.0.10\", \"ipv6\": null, "
        "\"hostname\": \"vm-one\", \"static\": false, \"created\": %" G_GINT64_FORMAT
        ", \"updated\": %" G_GINT64_FORMAT "}\n"
        "]}\n",
        web->created, web->updated, one->created, one->updated);
    EXPECT_EQ(ReadFile(path), want);
}

// Domain names are anything libvirt accepts: quotes, backslashes, control
// characters, non-ASCII, even invalid UTF-8 must not make the file unreadable.
TEST(Ipam, HostileDomainNamesRoundTrip)
{
    TempDir tmp;
    std::string path = tmp / "lan.json";
    g_autoptr(VwNetDef) def = Def(kNet4);
    const char *names[] = { "a\"b",          "back\\slash",
                            "tab\there\nnl", "caf\xc3\xa9 \xe2\x98\x83",
                            "\x7f\x01",      "{\"leases\": []}" };
    {
        g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def, nullptr);
        ASSERT_NE(db, nullptr);
        for (int i = 0; i < (int)G_N_ELEMENTS(names); i++)
            ASSERT_NE(vw_lease_db_acquire(db, Uuid(i).c_str(), names[i], Mac(i).c_str(), nullptr),
                      nullptr);
        const VwLeaseRecord *bad =
            vw_lease_db_acquire(db, Uuid(99).c_str(), "bad\xff\xfeutf8", Mac(99).c_str(), nullptr);
        ASSERT_NE(bad, nullptr);
        EXPECT_TRUE(g_utf8_validate(bad->domain_name, -1, nullptr)) << "stored as valid UTF-8";
        g_autoptr(GError) error = nullptr;
        ASSERT_TRUE(vw_lease_db_save(db, &error)) << error->message;
    }
    // Written by vw-json's one string writer (the state files' escapes).
    std::string text = ReadFile(path);
    EXPECT_NE(text.find("\"domain-name\": \"tab\\there\\nnl\""), std::string::npos) << text;
    EXPECT_NE(text.find("\"domain-name\": \"\\u007f\\u0001\""), std::string::npos) << text;
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def, &error);
    ASSERT_NE(db, nullptr) << error->message << "\n" << ReadFile(path);
    for (int i = 0; i < (int)G_N_ELEMENTS(names); i++) {
        const VwLeaseRecord *lease = vw_lease_db_lookup(db, Uuid(i).c_str(), Mac(i).c_str());
        ASSERT_NE(lease, nullptr);
        EXPECT_STREQ(lease->domain_name, names[i]);
    }
    const VwLeaseRecord *bad = vw_lease_db_lookup(db, Uuid(99).c_str(), Mac(99).c_str());
    ASSERT_NE(bad, nullptr);
    EXPECT_TRUE(g_str_has_prefix(bad->domain_name, "bad")) << bad->domain_name;
    EXPECT_TRUE(g_str_has_suffix(bad->domain_name, "utf8")) << bad->domain_name;
    EXPECT_STREQ(bad->hostname, "bad-utf8");
}

TEST(Ipam, StaticHostIsHonoured)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(kNet4);
    g_autoptr(VwLeaseDb) db = vw_lease_db_load((tmp / "lan.json").c_str(), def, nullptr);
    ASSERT_NE(db, nullptr);
    g_autoptr(GError) error = nullptr;
    const VwLeaseRecord *a =
        vw_lease_db_acquire(db, Uuid(1).c_str(), "frontend", "52:54:00:00:00:AA", &error);
    ASSERT_NE(a, nullptr) << error->message;
    EXPECT_EQ(Ip4(a), "10.0.0.5");
    EXPECT_TRUE(a->is_static);
    EXPECT_STREQ(a->mac, kMacA);
    EXPECT_STREQ(a->hostname, "web") << "the <host> name wins over the domain name";
    const VwLeaseRecord *b = vw_lease_db_acquire(db, Uuid(2).c_str(), "Back End", kMacB, &error);
    ASSERT_NE(b, nullptr) << error->message;
    EXPECT_EQ(Ip4(b), "10.0.0.12");
    EXPECT_TRUE(b->is_static);
    EXPECT_STREQ(b->hostname, "back-end");
    EXPECT_EQ(Acquire4(db, 3), "10.0.0.10");
}

// A definition built by hand (not validated) with the gateway inside the
// range: the gateway is still never handed out.
TEST(Ipam, GatewayIsNeverHandedOut)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = g_new0(VwNetDef, 1);
    def->name = g_strdup("hand");
    def->ipv4 = vw_ip_def_new(AF_INET);
    def->ipv4->address = g_strdup("192.168.7.1");
    def->ipv4->prefix = 24;
    VwDhcpRange *range = g_new0(VwDhcpRange, 1);
    range->start = g_strdup("192.168.7.0");
    range->end = g_strdup("192.168.7.3");
    g_ptr_array_add(def->ipv4->ranges, range);
    g_autoptr(VwLeaseDb) db = vw_lease_db_load((tmp / "hand.json").c_str(), def, nullptr);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(Acquire4(db, 1), "192.168.7.2") << ".0 is the network address, .1 the gateway";
    EXPECT_EQ(Acquire4(db, 2), "192.168.7.3");
    g_autoptr(GError) error = nullptr;
    EXPECT_EQ(vw_lease_db_acquire(db, Uuid(3).c_str(), nullptr, Mac(3).c_str(), &error), nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_IPAM_ERROR, VW_IPAM_ERROR_EXHAUSTED));
}

TEST(Ipam, ExhaustionErrorNamesTheNetworkAndChangesNothing)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(R"(<network>
  <name>tiny</name>
  <ip address='10.9.0.1' prefix='29'>
    <dhcp><range start='10.9.0.2' end='10.9.0.3'/></dhcp>
  </ip>
</network>)");
    g_autoptr(VwLeaseDb) db = vw_lease_db_load((tmp / "tiny.json").c_str(), def, nullptr);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(Acquire4(db, 1), "10.9.0.2");
    EXPECT_EQ(Acquire4(db, 2), "10.9.0.3");
    ASSERT_TRUE(vw_lease_db_save(db, nullptr));
    std::string before = ReadFile(tmp / "tiny.json");

    g_autoptr(GError) error = nullptr;
    EXPECT_EQ(vw_lease_db_acquire(db, Uuid(3).c_str(), "third", Mac(3).c_str(), &error), nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_IPAM_ERROR, VW_IPAM_ERROR_EXHAUSTED));
    EXPECT_STREQ(error->message, "no free IPv4 address left in the DHCP ranges of network 'tiny'");
    EXPECT_EQ(vw_lease_db_lookup(db, Uuid(3).c_str(), Mac(3).c_str()), nullptr);
    g_autoptr(GPtrArray) list = vw_lease_db_list(db);
    EXPECT_EQ(list->len, 2u);
    ASSERT_TRUE(vw_lease_db_save(db, nullptr));
    EXPECT_EQ(ReadFile(tmp / "tiny.json"), before);
}

TEST(Ipam, ReleaseFreesTheAddressForReuse)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(kNet4);
    g_autoptr(VwLeaseDb) db = vw_lease_db_load((tmp / "lan.json").c_str(), def, nullptr);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(Acquire4(db, 1), "10.0.0.10");
    EXPECT_EQ(Acquire4(db, 2), "10.0.0.11");
    EXPECT_EQ(Acquire4(db, 3), "10.0.0.13");
    EXPECT_TRUE(vw_lease_db_release(db, Uuid(1).c_str(), Mac(1).c_str()));
    EXPECT_FALSE(vw_lease_db_release(db, Uuid(1).c_str(), Mac(1).c_str())) << "already gone";
    EXPECT_FALSE(vw_lease_db_release(db, Uuid(2).c_str(), Mac(3).c_str())) << "not a pair";
    EXPECT_FALSE(vw_lease_db_release(db, "bogus", Mac(2).c_str()));
    EXPECT_EQ(vw_lease_db_lookup(db, Uuid(1).c_str(), Mac(1).c_str()), nullptr);
    EXPECT_EQ(Acquire4(db, 4), "10.0.0.10") << "the freed address is the lowest free one";
    EXPECT_EQ(Acquire4(db, 1), "10.0.0.14") << "a released port gets a new lease";
    // The MAC of a released lease may go to another domain.
    EXPECT_TRUE(vw_lease_db_release(db, Uuid(2).c_str(), Mac(2).c_str()));
    g_autoptr(GError) error = nullptr;
    const VwLeaseRecord *lease =
        vw_lease_db_acquire(db, Uuid(9).c_str(), nullptr, Mac(2).c_str(), &error);
    ASSERT_NE(lease, nullptr) << error->message;
    EXPECT_EQ(Ip4(lease), "10.0.0.11");
}

TEST(Ipam, ReleaseDomainDropsEveryNicOfTheDomain)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(kNet4);
    g_autoptr(VwLeaseDb) db = vw_lease_db_load((tmp / "lan.json").c_str(), def, nullptr);
    ASSERT_NE(db, nullptr);
    std::string uuid = Uuid(7);
    for (int nic = 1; nic <= 3; nic++)
        ASSERT_NE(vw_lease_db_acquire(db, uuid.c_str(), "multi", Mac(nic).c_str(), nullptr),
                  nullptr);
    EXPECT_EQ(Acquire4(db, 8), "10.0.0.14");
    std::string upper = uuid;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    EXPECT_EQ(vw_lease_db_release_domain(db, upper.c_str()), 3u);
    EXPECT_EQ(vw_lease_db_release_domain(db, uuid.c_str()), 0u);
    EXPECT_EQ(vw_lease_db_release_domain(db, "not-a-uuid"), 0u);
    g_autoptr(GPtrArray) list = vw_lease_db_list(db);
    ASSERT_EQ(list->len, 1u);
    EXPECT_STREQ(((const VwLeaseRecord *)g_ptr_array_index(list, 0))->domain_uuid, Uuid(8).c_str());
    EXPECT_EQ(Acquire4(db, 9), "10.0.0.10");
}

TEST(Ipam, MacLeasedToAnotherDomainIsAConflict)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(kNet4);
    g_autoptr(VwLeaseDb) db = vw_lease_db_load((tmp / "lan.json").c_str(), def, nullptr);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(Acquire4(db, 1), "10.0.0.10");
    g_autoptr(GError) error = nullptr;
    EXPECT_EQ(vw_lease_db_acquire(db, Uuid(2).c_str(), nullptr, Mac(1).c_str(), &error), nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_IPAM_ERROR, VW_IPAM_ERROR_CONFLICT));
    EXPECT_NE(std::string(error->message).find(Mac(1)), std::string::npos) << error->message;
    EXPECT_NE(std::string(error->message).find(Uuid(1)), std::string::npos) << error->message;
    EXPECT_NE(std::string(error->message).find("'lan'"), std::string::npos) << error->message;
    g_autoptr(GPtrArray) list = vw_lease_db_list(db);
    EXPECT_EQ(list->len, 1u);
}

TEST(Ipam, BadUuidOrMacIsRefusedNamingTheValue)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(kNet4);
    g_autoptr(VwLeaseDb) db = vw_lease_db_load((tmp / "lan.json").c_str(), def, nullptr);
    ASSERT_NE(db, nullptr);
    struct {
        std::string uuid, mac, named;
    } cases[] = {
        { "1234", Mac(1), "1234" },
        { Uuid(1), "52:54:00:10:00", "52:54:00:10:00" },
        { Uuid(1), "ff:ff:ff:ff:ff:ff", "ff:ff:ff:ff:ff:ff" },
    };
    for (const auto &c : cases) {
        g_autoptr(GError) error = nullptr;
        EXPECT_EQ(vw_lease_db_acquire(db, c.uuid.c_str(), nullptr, c.mac.c_str(), &error), nullptr);
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(g_error_matches(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID));
        EXPECT_NE(std::string(error->message).find(c.named), std::string::npos) << error->message;
        EXPECT_EQ(vw_lease_db_lookup(db, c.uuid.c_str(), c.mac.c_str()), nullptr);
    }
    g_autoptr(GPtrArray) list = vw_lease_db_list(db);
    EXPECT_EQ(list->len, 0u);
}

// ---- corrupt files ---------------------------------------------------------------

TEST(Ipam, CorruptFileIsAnErrorNamingThePathAndIsLeftAlone)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(kNet4);
    std::string path = tmp / "lan.json";
    std::string u1 = Uuid(1), u2 = Uuid(2), m1 = Mac(1), m2 = Mac(2);
    auto lease = [](const std::string &uuid, const std::string &mac, const std::string &ip) {
        return "{\"domain-uuid\":\"" + uuid + "\",\"mac\":\"" + mac + "\",\"ipv4\":\"" + ip + "\"}";
    };
    auto file = [](const std::string &leases) {
        return "{\"version\":1,\"leases\":[" + leases + "]}";
    };
    const std::vector<std::string> corrupt = {
        "",
        "not json",
        "{\"version\":1,\"leases\":[",
        "[]",
        "{}",
        "{\"version\":2,\"leases\":[]}",
        "{\"version\":\"1\",\"leases\":[]}",
        "{\"version\":1}",
        "{\"version\":1,\"leases\":{}}",
        file("1"),
        file("{\"mac\":\"" + m1 + "\"}"),
        file("{\"domain-uuid\":\"" + u1 + "\"}"),
        file(lease("nope", m1, "10.0.0.10")),
        file(lease(u1, "01:00:00:00:00:01", "10.0.0.10")),
        file(lease(u1, m1, "10.0.0.300")),
        file(lease(u1, m1, "fd00::1")),
        file("{\"domain-uuid\":\"" + u1 + "\",\"mac\":\"" + m1 + "\",\"ipv6\":\"10.0.0.1\"}"),
        file("{\"domain-uuid\":\"" + u1 + "\",\"mac\":\"" + m1 + "\",\"hostname\":\"a b\"}"),
        file("{\"domain-uuid\":\"" + u1 + "\",\"mac\":\"" + m1 + "\",\"static\":1}"),
        file("{\"domain-uuid\":\"" + u1 + "\",\"mac\":\"" + m1 + "\",\"created\":\"x\"}"),
        file("{\"domain-uuid\":\"" + u1 + "\",\"mac\":\"" + m1 + "\",\"updated\":-5}"),
        file("{\"domain-uuid\":7,\"mac\":\"" + m1 + "\"}"),
        file(lease(u1, m1, "10.0.0.10") + "," + lease(u1, m1, "10.0.0.11")),
        file(lease(u1, m1, "10.0.0.10") + "," + lease(u2, m1, "10.0.0.11")),
        file(lease(u1, m1, "10.0.0.10") + "," + lease(u2, m2, "10.0.0.10")),
    };
    for (const std::string &text : corrupt) {
        ASSERT_TRUE(vw_file_write_atomic(path.c_str(), text.c_str(), -1, 0644, nullptr));
        g_autoptr(GError) error = nullptr;
        g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def, &error);
        EXPECT_EQ(db, nullptr) << text;
        ASSERT_NE(error, nullptr) << text;
        EXPECT_TRUE(g_error_matches(error, VW_UTIL_ERROR, VW_UTIL_ERROR_CORRUPT))
            << text << ": " << error->message;
        EXPECT_NE(std::string(error->message).find("'" + path + "'"), std::string::npos)
            << error->message;
        EXPECT_EQ(ReadFile(path), text) << "a corrupt file is never reset";
    }
    // The same leases, well formed, load fine (so the cases above fail for
    // the reason they show).
    std::string good = file(lease(u1, m1, "10.0.0.10") + "," + lease(u2, m2, "10.0.0.11"));
    ASSERT_TRUE(vw_file_write_atomic(path.c_str(), good.c_str(), -1, 0644, nullptr));
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def, &error);
    ASSERT_NE(db, nullptr) << error->message;
    EXPECT_EQ(Ip4(vw_lease_db_lookup(db, u2.c_str(), m2.c_str())), "10.0.0.11");
}

const char kDual[] = R"(<network>
  <name>dual</name>
  <ip family='ipv6' address='fd00:d::1' prefix='64'>
    <dhcp>
      <range start='fd00:d::100' end='fd00:d::1ff'/>
      <host mac='52:54:00:00:00:aa' ip='fd00:d::5'/>
    </dhcp>
  </ip>
  <ip address='192.168.50.1' prefix='24'>
    <dhcp>
      <range start='192.168.50.10' end='192.168.50.50'/>
      <host mac='52:54:00:00:00:aa' ip='192.168.50.5' name='web'/>
      <host mac='52:54:00:00:00:bb' ip='192.168.50.6'/>
    </dhcp>
  </ip>
</network>)";

// vw_lease_db_save()'s own layout is read by a fast scanner; any other
// layout of the same JSON goes through json-glib.  Both must give the same
// database, and a bad value is corrupt in either.
TEST(Ipam, SavedLayoutAndAnyOtherJsonLayoutLoadTheSame)
{
    TempDir tmp;
    std::string fast = tmp / "fast.json", slow = tmp / "slow.json";
    g_autoptr(VwNetDef) def = Def(kDual);
    {
        g_autoptr(VwLeaseDb) db = vw_lease_db_load(fast.c_str(), def, nullptr);
        ASSERT_NE(db, nullptr);
        const char *names[] = { "one", nullptr, "q\"uote\\\x01", "caf\xc3\xa9" };
        for (int i = 0; i < 4; i++)
            ASSERT_NE(vw_lease_db_acquire(db, Uuid(i).c_str(), names[i], Mac(i).c_str(), nullptr),
                      nullptr);
        ASSERT_NE(vw_lease_db_acquire(db, Uuid(9).c_str(), "web", kMacA, nullptr), nullptr);
        ASSERT_TRUE(vw_lease_db_save(db, nullptr));
    }
    // The same document, pretty-printed by json-glib.
    g_autoptr(JsonParser) parser = json_parser_new();
    ASSERT_TRUE(json_parser_load_from_file(parser, fast.c_str(), nullptr));
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_root(gen, json_parser_get_root(parser));
    ASSERT_TRUE(json_generator_to_file(gen, slow.c_str(), nullptr));
    ASSERT_NE(ReadFile(fast), ReadFile(slow));

    g_autoptr(GError) error = nullptr;
    g_autoptr(VwLeaseDb) a = vw_lease_db_load(fast.c_str(), def, &error);
    ASSERT_NE(a, nullptr) << error->message;
    g_autoptr(VwLeaseDb) b = vw_lease_db_load(slow.c_str(), def, &error);
    ASSERT_NE(b, nullptr) << error->message;
    g_autoptr(GPtrArray) la = vw_lease_db_list(a);
    g_autoptr(GPtrArray) lb = vw_lease_db_list(b);
    ASSERT_EQ(la->len, 5u);
    ASSERT_EQ(la->len, lb->len);
    for (guint i = 0; i < la->len; i++) {
        const VwLeaseRecord *x = (const VwLeaseRecord *)g_ptr_array_index(la, i);
        const VwLeaseRecord *y = (const VwLeaseRecord *)g_ptr_array_index(lb, i);
        EXPECT_STREQ(x->domain_uuid, y->domain_uuid);
        EXPECT_STREQ(x->domain_name, y->domain_name);
        EXPECT_STREQ(x->mac, y->mac);
        EXPECT_STREQ(x->ipv4, y->ipv4);
        EXPECT_STREQ(x->ipv6, y->ipv6);
        EXPECT_STREQ(x->hostname, y->hostname);
        EXPECT_EQ(x->is_static, y->is_static);
        EXPECT_EQ(x->created, y->created);
        EXPECT_EQ(x->updated, y->updated);
    }
    EXPECT_STREQ(vw_lease_db_lookup(a, Uuid(2).c_str(), Mac(2).c_str())->domain_name,
                 "q\"uote\\\x01");

    // Bad values in the saved layout are corruption too, not a reason to
    // fall back and accept them.
    std::string text = ReadFile(fast);
    const std::pair<std::string, std::string> edits[] = {
        { "\"52:54:00:10:00:01\"", "\"52:54:00:10:00:zz\"" },
        { "\"192.168.50.11\"", "\"192.168.50.10\"" },
        { "\"fd00:d::100\"", "\"192.168.50.99\"" },
        { "\"hostname\": \"one\"", "\"hostname\": \"o ne\"" },
        { "\"00000000-0000-4000-8000-000000000001\"", "\"00000000-0000-4000-8000-00000000000\"" },
        { "\"version\": 1", "\"version\": 2" },
        { "\"leases\": [\n", "\"leases\": [\n{\"domain-uuid\": 5},\n" },
        { "]}\n", "]}\nx" },
        { "\"caf\xc3\xa9\"", "\"caf\xc3\"" },
    };
    for (const auto &e : edits) {
        std::string bad = text;
        size_t at = bad.find(e.first);
        ASSERT_NE(at, std::string::npos) << e.first;
        bad.replace(at, e.first.size(), e.second);
        ASSERT_TRUE(
            vw_file_write_atomic(fast.c_str(), bad.c_str(), (gssize)bad.size(), 0644, nullptr));
        g_autoptr(GError) err = nullptr;
        g_autoptr(VwLeaseDb) db = vw_lease_db_load(fast.c_str(), def, &err);
        EXPECT_EQ(db, nullptr) << bad;
        EXPECT_TRUE(g_error_matches(err, VW_UTIL_ERROR, VW_UTIL_ERROR_CORRUPT))
            << e.second << ": " << (err ? err->message : "no error");
    }
}

TEST(Ipam, UnreadableFileIsAnIoError)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(kNet4);
    // A directory where the file should be.
    std::string path = tmp / "lan.json";
    ASSERT_EQ(mkdir(path.c_str(), 0755), 0);
    g_autoptr(GError) error = nullptr;
    EXPECT_EQ(vw_lease_db_load(path.c_str(), def, &error), nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO)) << error->message;
    EXPECT_NE(std::string(error->message).find(path), std::string::npos) << error->message;
    rmdir(path.c_str());
}

// ---- IPv6 ----------------------------------------------------------------------

TEST(Ipam, Ipv6AllocationCarriesAcross128BitBoundaries)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(R"(<network>
  <name>six</name>
  <ip family='ipv6' address='fd00:6::1' prefix='64'>
    <dhcp>
      <range start='fd00:6::ffff:fffe' end='fd00:6::1:0:1'/>
      <host mac='52:54:00:00:66:01' ip='fd00:6::ffff:ffff'/>
    </dhcp>
  </ip>
</network>)");
    g_autoptr(VwLeaseDb) db = vw_lease_db_load((tmp / "six.json").c_str(), def, nullptr);
    ASSERT_NE(db, nullptr);
    std::vector<std::string> got;
    for (int n = 1; n <= 3; n++) {
        g_autoptr(GError) error = nullptr;
        const VwLeaseRecord *lease =
            vw_lease_db_acquire(db, Uuid(n).c_str(), nullptr, Mac(n).c_str(), &error);
        ASSERT_NE(lease, nullptr) << error->message;
        EXPECT_EQ(lease->ipv4, nullptr);
        got.push_back(Ip6(lease));
    }
    EXPECT_EQ(got,
              (std::vector<std::string>{ "fd00:6::ffff:fffe", "fd00:6::1:0:0", "fd00:6::1:0:1" }));
    g_autoptr(GError) error = nullptr;
    EXPECT_EQ(vw_lease_db_acquire(db, Uuid(4).c_str(), nullptr, Mac(4).c_str(), &error), nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_STREQ(error->message, "no free IPv6 address left in the DHCP ranges of network 'six'");
    const VwLeaseRecord *stat_lease =
        vw_lease_db_acquire(db, Uuid(5).c_str(), nullptr, "52:54:00:00:66:01", nullptr);
    ASSERT_NE(stat_lease, nullptr);
    EXPECT_EQ(Ip6(stat_lease), "fd00:6::ffff:ffff");
}

// A range spanning a whole /64 minus a little: allocation takes the first
// free addresses without walking the range.
TEST(Ipam, Ipv6HugeRangeIsNotWalked)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(R"(<network>
  <name>huge</name>
  <ip family='ipv6' address='fd00:7::1' prefix='64'>
    <dhcp><range start='fd00:7::2' end='fd00:7::ffff:ffff:ffff:fffe'/></dhcp>
  </ip>
</network>)");
    g_autoptr(VwLeaseDb) db = vw_lease_db_load((tmp / "huge.json").c_str(), def, nullptr);
    ASSERT_NE(db, nullptr);
    for (int n = 1; n <= 200; n++) {
        const VwLeaseRecord *lease =
            vw_lease_db_acquire(db, Uuid(n).c_str(), nullptr, Mac(n).c_str(), nullptr);
        ASSERT_NE(lease, nullptr);
        g_autofree char *want = g_strdup_printf("fd00:7::%x", n + 1);
        EXPECT_EQ(Ip6(lease), want);
    }
}

TEST(Ipam, DualStackLeaseHasBothFamilies)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(kDual);
    g_autoptr(VwLeaseDb) db = vw_lease_db_load((tmp / "dual.json").c_str(), def, nullptr);
    ASSERT_NE(db, nullptr);
    const VwLeaseRecord *one =
        vw_lease_db_acquire(db, Uuid(1).c_str(), "one", Mac(1).c_str(), nullptr);
    ASSERT_NE(one, nullptr);
    EXPECT_EQ(Ip4(one), "192.168.50.10");
    EXPECT_EQ(Ip6(one), "fd00:d::100");
    const VwLeaseRecord *web = vw_lease_db_acquire(db, Uuid(2).c_str(), "two", kMacA, nullptr);
    ASSERT_NE(web, nullptr);
    EXPECT_EQ(Ip4(web), "192.168.50.5");
    EXPECT_EQ(Ip6(web), "fd00:d::5");
    EXPECT_TRUE(web->is_static);
    // Static in IPv4 only: a dynamic IPv6 address.
    const VwLeaseRecord *bb = vw_lease_db_acquire(db, Uuid(3).c_str(), "three", kMacB, nullptr);
    ASSERT_NE(bb, nullptr);
    EXPECT_EQ(Ip4(bb), "192.168.50.6");
    EXPECT_EQ(Ip6(bb), "fd00:d::101");
    EXPECT_TRUE(bb->is_static);
}

// ---- dnsmasq hosts file ---------------------------------------------------------

TEST(Ipam, DnsmasqHostsFileGivesEveryLeaseItsAddress)
{
    TempDir tmp;
    g_autoptr(VwNetDef) def = Def(kDual);
    g_autoptr(VwLeaseDb) db = vw_lease_db_load((tmp / "dual.json").c_str(), def, nullptr);
    ASSERT_NE(db, nullptr);
    g_autofree char *empty = vw_lease_db_format_dnsmasq_hosts(db);
    EXPECT_STREQ(empty, "");
    ASSERT_NE(vw_lease_db_acquire(db, Uuid(1).c_str(), "Guest One", Mac(1).c_str(), nullptr),
              nullptr);
    ASSERT_NE(vw_lease_db_acquire(db, Uuid(2).c_str(), "guest.one", Mac(2).c_str(), nullptr),
              nullptr);
    ASSERT_NE(vw_lease_db_acquire(db, Uuid(3).c_str(), "!!!", Mac(3).c_str(), nullptr), nullptr);
    ASSERT_NE(vw_lease_db_acquire(db, Uuid(4).c_str(), "webvm", kMacA, nullptr), nullptr);
    ASSERT_NE(vw_lease_db_acquire(db, Uuid(5).c_str(), "bee", kMacB, nullptr), nullptr);
    g_autofree char *text = vw_lease_db_format_dnsmasq_hosts(db);
    // <host> addresses (.5, .6, fd00:d::5) are in dnsmasq's configuration,
    // not here; "guest-one" is written once per family; "!!!" has no name.
    // Lines follow vw_lease_db_list(): by IPv4 address, then IPv6.
    EXPECT_STREQ(text, "52:54:00:10:00:01,192.168.50.10,guest-one\n"
                       "52:54:00:10:00:02,192.168.50.11\n"
                       "52:54:00:10:00:03,192.168.50.12\n"
                       "52:54:00:00:00:bb,[fd00:d::103],bee\n"
                       "52:54:00:10:00:01,[fd00:d::100],guest-one\n"
                       "52:54:00:10:00:02,[fd00:d::101]\n"
                       "52:54:00:10:00:03,[fd00:d::102]\n");
}

TEST(Ipam, HostnameIsTheDomainNameAsADnsLabel)
{
    struct {
        const char *in, *out;
    } cases[] = {
        { "vm1", "vm1" },      { "My VM_01", "my-vm-01" },
        { "--a--b--", "a-b" }, { "caf\xc3\xa9-bar", "caf-bar" },
        { "!!!", nullptr },    { "", nullptr },
        { nullptr, nullptr },
    };
    for (const auto &c : cases) {
        g_autofree char *got = vw_hostname_from_domain_name(c.in);
        EXPECT_STREQ(got, c.out) << (c.in ? c.in : "(null)");
    }
    std::string long_name(70, 'a');
    long_name[62] = ' ';
    g_autofree char *got = vw_hostname_from_domain_name(long_name.c_str());
    EXPECT_EQ(std::string(got), std::string(62, 'a')) << "63 bytes max, no trailing '-'";
    g_autofree char *full = vw_hostname_from_domain_name(std::string(80, 'b').c_str());
    EXPECT_EQ(strlen(full), 63u);
}

// ---- definition changes ----------------------------------------------------------

TEST(Ipam, DefinitionChangeReallocatesOnTheNextAcquire)
{
    TempDir tmp;
    std::string path = tmp / "lan.json";
    g_autoptr(VwNetDef) def1 = Def(kNet4);
    ASSERT_NO_FATAL_FAILURE(SaveThreeLeases(path, def1));
    // New range .11-.30; MAC 1 loses .10; a new <host> claims .13 for MAC 9;
    // MAC 2 keeps .11.
    g_autoptr(VwNetDef) def2 = Def(kNet4Moved);
    g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def2, nullptr);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(Ip4(vw_lease_db_lookup(db, Uuid(1).c_str(), Mac(1).c_str())), "10.0.0.10")
        << "load keeps leases as they are";
    EXPECT_EQ(Acquire4(db, 2), "10.0.0.11");
    EXPECT_EQ(Acquire4(db, 1), "10.0.0.12");
    // MAC 9 takes its <host> address from MAC 3, which moves to a free one.
    EXPECT_EQ(Acquire4(db, 9), "10.0.0.13");
    EXPECT_EQ(Ip4(vw_lease_db_lookup(db, Uuid(3).c_str(), Mac(3).c_str())), "10.0.0.14");
    EXPECT_EQ(Acquire4(db, 3), "10.0.0.14");
    std::set<std::string> addrs;
    g_autoptr(GPtrArray) list = vw_lease_db_list(db);
    for (guint i = 0; i < list->len; i++)
        addrs.insert(Ip4((const VwLeaseRecord *)g_ptr_array_index(list, i)));
    EXPECT_EQ(addrs.size(), list->len) << "no two leases share an address";
    ASSERT_TRUE(vw_lease_db_save(db, nullptr));

    // The network loses IPv4 and gains IPv6: addresses follow.
    g_autoptr(VwNetDef) def3 = Def(R"(<network>
  <name>lan</name>
  <ip family='ipv6' address='fd00:1::1' prefix='64'>
    <dhcp><range start='fd00:1::10' end='fd00:1::20'/></dhcp>
  </ip>
</network>)");
    g_autoptr(VwLeaseDb) db3 = vw_lease_db_load(path.c_str(), def3, nullptr);
    ASSERT_NE(db3, nullptr);
    const VwLeaseRecord *lease =
        vw_lease_db_acquire(db3, Uuid(2).c_str(), nullptr, Mac(2).c_str(), nullptr);
    ASSERT_NE(lease, nullptr);
    EXPECT_EQ(lease->ipv4, nullptr);
    EXPECT_EQ(Ip6(lease), "fd00:1::10");
    // A static lease whose <host> was removed becomes dynamic.
    g_autoptr(VwLeaseDb) db4 = vw_lease_db_load(path.c_str(), def1, nullptr);
    ASSERT_NE(db4, nullptr);
    const VwLeaseRecord *nine =
        vw_lease_db_acquire(db4, Uuid(9).c_str(), nullptr, Mac(9).c_str(), nullptr);
    ASSERT_NE(nine, nullptr);
    EXPECT_FALSE(nine->is_static);
    EXPECT_EQ(Ip4(nine), "10.0.0.13") << "still inside the range, so kept";
}

// ---- peek ------------------------------------------------------------------------

// What vw_lease_db_peek() says, as "ipv4|ipv6", or "load" when it says FALSE.
std::string
Peek(const std::string &path, const VwNetDef *def, const std::string &uuid, const char *name,
     const std::string &mac)
{
    VwLeasePeek lease = { uuid.c_str(), name, mac.c_str(), nullptr, nullptr };
    g_autofree char *v4 = nullptr;
    g_autofree char *v6 = nullptr;
    gboolean ok = vw_lease_db_peek(path.c_str(), def, &lease, 1);
    v4 = lease.ipv4;
    v6 = lease.ipv6;
    if (!ok) {
        EXPECT_EQ(v4, nullptr);
        EXPECT_EQ(v6, nullptr);
        return "load";
    }
    return std::string(v4 ? v4 : "-") + "|" + (v6 ? v6 : "-");
}

// The same question put to the whole database: the lease as it is, when
// acquiring it changes nothing.
std::string
Loaded(const std::string &path, const VwNetDef *def, const std::string &uuid, const char *name,
       const std::string &mac)
{
    g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def, nullptr);
    if (!db || !vw_lease_db_lookup(db, uuid.c_str(), mac.c_str()))
        return "load";
    const VwLeaseRecord *lease = vw_lease_db_acquire(db, uuid.c_str(), name, mac.c_str(), nullptr);
    if (!lease || vw_lease_db_is_dirty(db))
        return "load";
    return std::string(lease->ipv4 ? lease->ipv4 : "-") + "|" + (lease->ipv6 ? lease->ipv6 : "-");
}

// A restart's read-only shortcut answers as the whole database would, and
// says "load" whenever anything would change or the file is in doubt.
TEST(Ipam, PeekAgreesWithTheWholeDatabaseOrDefersToIt)
{
    TempDir tmp;
    std::string path = tmp / "lan.json";
    g_autoptr(VwNetDef) def1 = Def(kNet4);
    ASSERT_NO_FATAL_FAILURE(SaveThreeLeases(path, def1, "two"));
    {
        g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def1, nullptr);
        ASSERT_NE(db, nullptr);
        ASSERT_NE(vw_lease_db_acquire(db, Uuid(10).c_str(), "frontend", kMacA, nullptr), nullptr);
        ASSERT_TRUE(vw_lease_db_save(db, nullptr));
    }
    const std::string saved = ReadFile(path);
    EXPECT_EQ(Peek(path, def1, Uuid(1), nullptr, Mac(1)), "10.0.0.10|-");
    EXPECT_EQ(Peek(path, def1, Uuid(2), "two", Mac(2)), "10.0.0.11|-");
    EXPECT_EQ(Peek(path, def1, Uuid(2), nullptr, Mac(2)), "10.0.0.11|-");
    EXPECT_EQ(Peek(path, def1, Uuid(10), "frontend", "52:54:00:00:00:AA"), "10.0.0.5|-");
    EXPECT_EQ(Peek(path, def1, Uuid(2), "renamed", Mac(2)), "load"); // the name would change
    EXPECT_EQ(Peek(path, def1, Uuid(7), nullptr, Mac(7)), "load");   // no such lease
    EXPECT_EQ(Peek(path, def1, Uuid(9), nullptr, Mac(1)), "load");   // MAC of another domain
    EXPECT_EQ(Peek(path, def1, "not-a-uuid", nullptr, Mac(1)), "load");
    for (int n : { 1, 2, 3 })
        EXPECT_EQ(Peek(path, def1, Uuid(n), nullptr, Mac(n)),
                  Loaded(path, def1, Uuid(n), nullptr, Mac(n)))
            << n;
    // Several at once (one read of the file): all, or none.
    {
        const std::string u1 = Uuid(1), m1 = Mac(1), u2 = Uuid(2), m2 = Mac(2), u7 = Uuid(7),
                          m7 = Mac(7);
        VwLeasePeek both[] = { { u1.c_str(), nullptr, m1.c_str(), nullptr, nullptr },
                               { u2.c_str(), "two", m2.c_str(), nullptr, nullptr } };
        ASSERT_TRUE(vw_lease_db_peek(path.c_str(), def1, both, 2));
        EXPECT_STREQ(both[0].ipv4, "10.0.0.10");
        EXPECT_STREQ(both[1].ipv4, "10.0.0.11");
        EXPECT_EQ(both[1].ipv6, nullptr);
        for (VwLeasePeek &l : both) {
            g_free(l.ipv4);
            g_free(l.ipv6);
        }
        VwLeasePeek one_missing[] = { { u1.c_str(), nullptr, m1.c_str(), nullptr, nullptr },
                                      { u7.c_str(), nullptr, m7.c_str(), nullptr, nullptr } };
        EXPECT_FALSE(vw_lease_db_peek(path.c_str(), def1, one_missing, 2));
        EXPECT_EQ(one_missing[0].ipv4, nullptr);
        VwLeasePeek twice[] = { { u1.c_str(), nullptr, m1.c_str(), nullptr, nullptr },
                                { u1.c_str(), nullptr, m1.c_str(), nullptr, nullptr } };
        EXPECT_FALSE(vw_lease_db_peek(path.c_str(), def1, twice, 2));
    }

    // Another definition: MAC 1 loses .10 and a new <host> takes .13 from
    // MAC 3, so both would move; MAC 2 keeps .11.
    g_autoptr(VwNetDef) def2 = Def(kNet4Moved);
    EXPECT_EQ(Peek(path, def2, Uuid(1), nullptr, Mac(1)), "load");
    EXPECT_EQ(Peek(path, def2, Uuid(3), nullptr, Mac(3)), "load");
    EXPECT_EQ(Peek(path, def2, Uuid(2), "two", Mac(2)), "10.0.0.11|-");
    EXPECT_EQ(Peek(path, def2, Uuid(2), "two", Mac(2)),
              Loaded(path, def2, Uuid(2), "two", Mac(2)));
    EXPECT_EQ(ReadFile(path), saved) << "peeking writes nothing";

    // In the writer's layout but holding what a load refuses: the MAC of
    // lease 1 given to a second domain, or lease 2's address to lease 1.
    std::string dup = saved;
    size_t at = dup.find(Uuid(3));
    ASSERT_NE(at, std::string::npos);
    std::string twice = dup;
    twice.replace(twice.find(Mac(3)), Mac(3).size(), Mac(1));
    ASSERT_TRUE(g_file_set_contents(path.c_str(), twice.c_str(), -1, nullptr));
    EXPECT_EQ(Peek(path, def1, Uuid(1), nullptr, Mac(1)), "load");
    std::string shared = saved;
    shared.replace(shared.find("10.0.0.10"), 9, "10.0.0.11");
    ASSERT_TRUE(g_file_set_contents(path.c_str(), shared.c_str(), -1, nullptr));
    EXPECT_EQ(Peek(path, def1, Uuid(2), "two", Mac(2)), "load");
    EXPECT_EQ(Peek(path, def1, Uuid(1), nullptr, Mac(1)), "load");
    // Valid JSON in another layout: the one reader reads it for the load
    // and the shortcut alike.
    std::string spaced = saved;
    spaced.insert(spaced.find("\"version\""), " ");
    ASSERT_TRUE(g_file_set_contents(path.c_str(), spaced.c_str(), -1, nullptr));
    EXPECT_EQ(Loaded(path, def1, Uuid(1), nullptr, Mac(1)), "10.0.0.10|-");
    EXPECT_EQ(Peek(path, def1, Uuid(1), nullptr, Mac(1)), "10.0.0.10|-");
    // No file at all.
    EXPECT_EQ(Peek(tmp / "none.json", def1, Uuid(1), nullptr, Mac(1)), "load");
}

// ---- concurrency -------------------------------------------------------------------

// 32 processes start at once; each takes the network lock, loads, acquires a
// lease for its own domain, saves and unlocks.  Every lease survives and no
// two share an address.
TEST(Ipam, ConcurrentProcessesGetDistinctAddresses)
{
    const int kProcs = 32;
    TempDir tmp;
    std::string path = tmp / "lan.json";
    std::string lock_path = tmp / "lan.lock";
    g_autoptr(VwNetDef) def = Def(R"(<network>
  <name>lan</name>
  <ip address='10.0.0.1' prefix='24'>
    <dhcp><range start='10.0.0.10' end='10.0.0.200'/></dhcp>
  </ip>
</network>)");
    int gate[2];
    ASSERT_EQ(pipe(gate), 0);
    std::vector<pid_t> pids;
    fflush(nullptr);
    for (int n = 1; n <= kProcs; n++) {
        pid_t pid = fork();
        if (pid < 0) {
            ADD_FAILURE() << "fork: " << g_strerror(errno);
            break; // the forked ones still run once the gate opens
        }
        if (pid == 0) {
            char c;
            close(gate[1]);
            while (read(gate[0], &c, 1) < 0 && errno == EINTR)
                ; // EOF when the parent opens the gate
            VwLock *lock = vw_lock_acquire(lock_path.c_str(), TRUE, -1, nullptr);
            if (!lock)
                _exit(2);
            VwLeaseDb *db = vw_lease_db_load(path.c_str(), def, nullptr);
            if (!db)
                _exit(3);
            std::string uuid = Uuid(1000 + n), mac = Mac(n);
            if (!vw_lease_db_acquire(db, uuid.c_str(), nullptr, mac.c_str(), nullptr))
                _exit(4);
            if (!vw_lease_db_save(db, nullptr))
                _exit(5);
            vw_lease_db_free(db);
            vw_lock_release(lock);
            _exit(0);
        }
        pids.push_back(pid);
    }
    close(gate[0]);
    close(gate[1]);
    for (pid_t pid : pids) {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
            << "child " << pid << " status " << status;
    }

    g_autoptr(GError) error = nullptr;
    g_autoptr(VwLeaseDb) db = vw_lease_db_load(path.c_str(), def, &error);
    ASSERT_NE(db, nullptr) << error->message;
    g_autoptr(GPtrArray) list = vw_lease_db_list(db);
    EXPECT_EQ(list->len, (guint)kProcs);
    std::set<std::string> addrs;
    for (int n = 1; n <= kProcs; n++) {
        const VwLeaseRecord *lease = vw_lease_db_lookup(db, Uuid(1000 + n).c_str(), Mac(n).c_str());
        ASSERT_NE(lease, nullptr) << "lost the lease of process " << n;
        addrs.insert(Ip4(lease));
    }
    EXPECT_EQ(addrs.size(), (size_t)kProcs) << "two processes got the same address";
    // Allocation is lowest-first, so together they took exactly .10-.41.
    for (int i = 0; i < kProcs; i++) {
        g_autofree char *want = g_strdup_printf("10.0.0.%d", 10 + i);
        EXPECT_EQ(Ip4((const VwLeaseRecord *)g_ptr_array_index(list, i)), want);
    }
    unlink(lock_path.c_str());
}

} // namespace
