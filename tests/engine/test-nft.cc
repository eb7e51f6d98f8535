// NAT tables through libnftables (src/engine/vw-nft.c) against the real
// kernel.  Most tests work inside a scratch netns (the library acts on the
// netns of the calling thread, run there through vw_netns_run()), so they
// never touch the host's ruleset; one test uses the host netns.  Results are
// checked independently with `nft -j`.  Every test removes what it made,
// even when it fails.
#include <config.h>

#include <linux/capability.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "vw-net-testutil.h"
#include "vw-netns.h"
#include "vw-nft.h"
#include "vw-rtnl.h"

namespace
{

// The identity the engine would give (see engine_network_alias()).
const char *const kOwner = "virtwire:network:0123abcd:tn:5a1d3c2e-0000-4000-8000-000000000001";
const char *const kOther = "virtwire:network:fedc9876:tn:5a1d3c2e-0000-4000-8000-000000000001";

#define VW_REQUIRE_NFT()                                                                           \
    do {                                                                                           \
        VW_REQUIRE_ROOT();                                                                         \
        if (vwtest::Run({ "nft", "--version" }).status != 0)                                       \
            GTEST_SKIP() << "machine lacks: nft (Debian package nftables)";                        \
    } while (0)

// `nft ARGS...`, inside @netns unless it is empty.
vwtest::Cmd
Nft(const std::string &netns, const std::vector<std::string> &args)
{
    std::vector<std::string> argv;
    if (!netns.empty())
        argv = { "ip", "netns", "exec", netns };
    argv.push_back("nft");
    argv.insert(argv.end(), args.begin(), args.end());
    return vwtest::Run(argv);
}

// The "nftables" array of `nft -j ARGS...`, or nullptr.  Caller unrefs.
JsonArray *
NftJson(const std::string &netns, const std::vector<std::string> &args)
{
    std::vector<std::string> full = { "-j" };
    full.insert(full.end(), args.begin(), args.end());
    vwtest::Cmd c = Nft(netns, full);
    if (c.status != 0)
        return nullptr;
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, c.out.c_str(), -1, nullptr))
        return nullptr;
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return nullptr;
    JsonObject *obj = json_node_get_object(root);
    if (!json_object_has_member(obj, "nftables"))
        return nullptr;
    return json_array_ref(json_object_get_array_member(obj, "nftables"));
}

// "family name" of every table, from `nft -j list tables`.
std::vector<std::string>
Tables(const std::string &netns)
{
    std::vector<std::string> tables;
    JsonArray *arr = NftJson(netns, { "list", "tables" });
    if (!arr)
        return { "<nft failed>" };
    for (guint i = 0; i < json_array_get_length(arr); i++) {
        JsonObject *item = json_array_get_object_element(arr, i);
        if (!json_object_has_member(item, "table"))
            continue;
        JsonObject *t = json_object_get_object_member(item, "table");
        tables.push_back(std::string(json_object_get_string_member(t, "family")) + " " +
                         json_object_get_string_member(t, "name"));
    }
    json_array_unref(arr);
    return tables;
}

// What one table holds, as checked facts.
struct NatTable {
    bool found = false;
    int chains = 0;
    bool nat_postrouting = false; // a base chain: type nat, hook postrouting
    bool filter_forward = false;  // a base chain: type filter, hook forward
    int drops = 0;                // rules ending in drop (new connections into the subnet)
    int masquerades = 0;
    std::string saddr; // "ADDR/LEN" matched by the masquerade rule
    std::string daddr_not;
    std::string oifname;
};

std::string
PrefixText(JsonNode *right)
{
    if (!right || !JSON_NODE_HOLDS_OBJECT(right))
        return "";
    JsonObject *o = json_node_get_object(right);
    if (!json_object_has_member(o, "prefix"))
        return "";
    JsonObject *p = json_object_get_object_member(o, "prefix");
    return std::string(json_object_get_string_member(p, "addr")) + "/" +
           std::to_string(json_object_get_int_member(p, "len"));
}

NatTable
ReadNatTable(const std::string &netns, const std::string &family, const std::string &name)
{
    NatTable t;
    JsonArray *arr = NftJson(netns, { "list", "table", family, name });
    if (!arr)
        return t;
    t.found = true;
    for (guint i = 0; i < json_array_get_length(arr); i++) {
        JsonObject *item = json_array_get_object_element(arr, i);
        if (json_object_has_member(item, "chain")) {
            JsonObject *c = json_object_get_object_member(item, "chain");
            t.chains++;
            if (json_object_has_member(c, "type") &&
                g_str_equal(json_object_get_string_member(c, "type"), "nat") &&
                g_str_equal(json_object_get_string_member(c, "hook"), "postrouting"))
                t.nat_postrouting = true;
            if (json_object_has_member(c, "type") &&
                g_str_equal(json_object_get_string_member(c, "type"), "filter") &&
                g_str_equal(json_object_get_string_member(c, "hook"), "forward"))
                t.filter_forward = true;
        }
        if (!json_object_has_member(item, "rule"))
            continue;
        JsonArray *expr =
            json_object_get_array_member(json_object_get_object_member(item, "rule"), "expr");
        bool masq = false;
        std::string saddr, daddr_not, oif;
        for (guint j = 0; j < json_array_get_length(expr); j++) {
            JsonObject *e = json_array_get_object_element(expr, j);
            if (json_object_has_member(e, "masquerade"))
                masq = true;
            if (json_object_has_member(e, "drop"))
                t.drops++;
            if (!json_object_has_member(e, "match"))
                continue;
            JsonObject *m = json_object_get_object_member(e, "match");
            JsonObject *left = json_object_get_object_member(m, "left");
            const char *op = json_object_get_string_member(m, "op");
            JsonNode *right = json_object_get_member(m, "right");
            if (json_object_has_member(left, "payload")) {
                const char *field = json_object_get_string_member(
                    json_object_get_object_member(left, "payload"), "field");
                if (g_str_equal(field, "saddr") && g_str_equal(op, "=="))
                    saddr = PrefixText(right);
                if (g_str_equal(field, "daddr") && g_str_equal(op, "!="))
                    daddr_not = PrefixText(right);
            } else if (json_object_has_member(left, "meta")) {
                const char *key = json_object_get_string_member(
                    json_object_get_object_member(left, "meta"), "key");
                if (g_str_equal(key, "oifname") && JSON_NODE_HOLDS_VALUE(right))
                    oif = json_node_get_string(right);
            }
        }
        if (masq) {
            t.masquerades++;
            t.saddr = saddr;
            t.daddr_not = daddr_not;
            t.oifname = oif;
        }
    }
    json_array_unref(arr);
    return t;
}

// A scratch netns; the library's calls are run inside it.
class NftNetns
{
  public:
    NftNetns() : ns_()
    {
        fd_ = ns_.ok() ? vw_netns_open(ns_.name().c_str(), nullptr) : -1;
    }
    ~NftNetns()
    {
        if (fd_ >= 0)
            close(fd_);
    }
    bool ok() const
    {
        return fd_ >= 0;
    }
    const std::string &name() const
    {
        return ns_.name();
    }

    // Run @fn on a thread inside the netns.
    bool In(const std::function<bool(GError **)> &fn, GError **error)
    {
        struct Job {
            const std::function<bool(GError **)> *fn;
        } job = { &fn };
        return vw_netns_run(
            fd_,
            [](gpointer data, GError **err) -> gboolean {
                return (*static_cast<Job *>(data)->fn)(err);
            },
            &job, error);
    }

  private:
    vwtest::ScratchNetns ns_;
    int fd_ = -1;
};

// An unlinked temporary file to catch what would be printed on stderr.
class TempFile
{
  public:
    TempFile()
    {
        char tmpl[] = "/tmp/vw-test-nft-XXXXXX";
        fd_ = mkstemp(tmpl);
        if (fd_ >= 0)
            unlink(tmpl);
    }
    ~TempFile()
    {
        if (fd_ >= 0)
            close(fd_);
    }
    int fd() const
    {
        return fd_;
    }
    std::string Read() const
    {
        std::string out;
        char buf[256];
        ssize_t n;
        for (off_t off = 0; (n = pread(fd_, buf, sizeof(buf), off)) > 0; off += n)
            out.append(buf, n);
        return out;
    }

  private:
    int fd_ = -1;
};

#define SCRATCH(ns)                                                                                \
    NftNetns ns;                                                                                   \
    ASSERT_TRUE(ns.ok()) << "cannot make a scratch netns"

bool
Contains(const std::vector<std::string> &v, const std::string &s)
{
    for (const std::string &x : v)
        if (x == s)
            return true;
    return false;
}

} // namespace

TEST(Nft, AddCreatesMasqueradeForSubnet)
{
    VW_REQUIRE_NFT();
    SCRATCH(ns);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(ns.In(
        [](GError **err) {
            return (bool)vw_nft_nat_add("tn", kOwner, "10.88.0.1/24", nullptr, nullptr, err);
        },
        &error))
        << error->message;

    NatTable t = ReadNatTable(ns.name(), "ip", "vw-tn");
    ASSERT_TRUE(t.found);
    EXPECT_EQ(t.chains, 2);
    EXPECT_TRUE(t.nat_postrouting);
    EXPECT_TRUE(t.filter_forward);
    EXPECT_EQ(t.drops, 1);
    EXPECT_EQ(t.masquerades, 1);
    EXPECT_EQ(t.saddr, "10.88.0.0/24");
    EXPECT_EQ(t.daddr_not, "10.88.0.0/24");
    EXPECT_EQ(t.oifname, "");
    std::vector<std::string> tables = Tables(ns.name());
    EXPECT_EQ(tables, std::vector<std::string>{ "ip vw-tn" });
    bool exists = false;
    ASSERT_TRUE(ns.In(
        [&](GError **) {
            exists = vw_nft_nat_exists("tn");
            return true;
        },
        &error));
    EXPECT_TRUE(exists);
}

TEST(Nft, AddTwiceGivesOneTableWithTheSameRules)
{
    VW_REQUIRE_NFT();
    SCRATCH(ns);
    g_autoptr(GError) error = nullptr;
    auto add = [](GError **err) {
        return (bool)vw_nft_nat_add("tn", kOwner, "10.88.0.0/24", "fd00:88::1/64", "eth9", err);
    };
    ASSERT_TRUE(ns.In(add, &error)) << error->message;
    vwtest::Cmd first = Nft(ns.name(), { "list", "ruleset" });
    ASSERT_TRUE(ns.In(add, &error)) << error->message;
    vwtest::Cmd second = Nft(ns.name(), { "list", "ruleset" });
    ASSERT_EQ(first.status, 0) << first.err;
    EXPECT_EQ(first.out, second.out);
    std::vector<std::string> tables = Tables(ns.name());
    EXPECT_EQ(tables, (std::vector<std::string>{ "ip vw-tn", "ip6 vw-tn" }));

    NatTable t4 = ReadNatTable(ns.name(), "ip", "vw-tn");
    EXPECT_EQ(t4.masquerades, 1);
    EXPECT_EQ(t4.oifname, "eth9");
    NatTable t6 = ReadNatTable(ns.name(), "ip6", "vw-tn");
    ASSERT_TRUE(t6.found);
    EXPECT_TRUE(t6.nat_postrouting);
    EXPECT_EQ(t6.masquerades, 1);
    EXPECT_EQ(t6.saddr, "fd00:88::/64");
    EXPECT_EQ(t6.oifname, "eth9");

    // Re-adding without IPv6 and with another subnet replaces both.
    ASSERT_TRUE(ns.In(
        [](GError **err) {
            return (bool)vw_nft_nat_add("tn", kOwner, "10.89.0.0/16", nullptr, nullptr, err);
        },
        &error))
        << error->message;
    EXPECT_EQ(Tables(ns.name()), std::vector<std::string>{ "ip vw-tn" });
    t4 = ReadNatTable(ns.name(), "ip", "vw-tn");
    EXPECT_EQ(t4.masquerades, 1);
    EXPECT_EQ(t4.saddr, "10.89.0.0/16");
    EXPECT_EQ(t4.oifname, "");
}

TEST(Nft, DeleteRemovesTablesAndAbsentIsFine)
{
    VW_REQUIRE_NFT();
    SCRATCH(ns);
    ASSERT_EQ(Nft(ns.name(), { "add", "table", "ip", "other" }).status, 0);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(ns.In(
        [](GError **err) {
            return vw_nft_nat_add("tn", kOwner, "10.88.0.0/24", "fd00:88::/64", nullptr, err) &&
                   vw_nft_nat_delete("tn", kOwner, err);
        },
        &error))
        << error->message;
    EXPECT_EQ(Tables(ns.name()), std::vector<std::string>{ "ip other" });
    bool exists = true;
    ASSERT_TRUE(ns.In(
        [&](GError **err) {
            exists = vw_nft_nat_exists("tn");
            return vw_nft_nat_delete("tn", kOwner, err) &&
                   vw_nft_nat_delete("never-made", kOwner, err);
        },
        &error))
        << error->message;
    EXPECT_FALSE(exists);
    EXPECT_EQ(Tables(ns.name()), std::vector<std::string>{ "ip other" });
}

TEST(Nft, ListTablesFiltersByPrefix)
{
    VW_REQUIRE_NFT();
    SCRATCH(ns);
    ASSERT_EQ(Nft(ns.name(), { "add", "table", "ip", "other" }).status, 0);
    ASSERT_EQ(Nft(ns.name(), { "add", "table", "inet", "vw-inet" }).status, 0);
    g_autoptr(GError) error = nullptr;
    g_auto(GStrv) mine = nullptr;
    g_auto(GStrv) all = nullptr;
    ASSERT_TRUE(ns.In(
        [&](GError **err) {
            if (!vw_nft_nat_add("b", kOwner, "10.1.0.0/24", "fd00:1::/64", nullptr, err) ||
                !vw_nft_nat_add("a", kOwner, "10.2.0.0/24", nullptr, nullptr, err))
                return false;
            mine = vw_nft_list_tables("vw-", err);
            all = mine ? vw_nft_list_tables("", err) : nullptr;
            return all != nullptr;
        },
        &error))
        << error->message;
    ASSERT_EQ(g_strv_length(mine), 2u);
    EXPECT_STREQ(mine[0], "vw-a");
    EXPECT_STREQ(mine[1], "vw-b");
    EXPECT_TRUE(g_strv_contains(all, "other"));
    EXPECT_FALSE(g_strv_contains(all, "vw-inet")); // not family ip/ip6
}

TEST(Nft, BadInputNamesTheValueAndCreatesNothing)
{
    VW_REQUIRE_NFT();
    SCRATCH(ns);
    struct Case {
        const char *network, *cidr4, *cidr6, *dev, *shown;
    };
    std::string too_long(33, 'n');
    const Case cases[] = {
        { "", "10.0.0.0/24", nullptr, nullptr, "''" },
        { "-x", "10.0.0.0/24", nullptr, nullptr, "-x" },
        { "a b", "10.0.0.0/24", nullptr, nullptr, "a b" },
        { "a/b", "10.0.0.0/24", nullptr, nullptr, "a/b" },
        { "q\"x", "10.0.0.0/24", nullptr, nullptr, "q\\\"x" },
        { too_long.c_str(), "10.0.0.0/24", nullptr, nullptr, too_long.c_str() },
        { "tn", "10.0.0.0", nullptr, nullptr, "10.0.0.0" },
        { "tn", "10.0.0.0/33", nullptr, nullptr, "10.0.0.0/33" },
        { "tn", "10.0.0.0/0", nullptr, nullptr, "10.0.0.0/0" },
        { "tn", "10.0.0.300/24", nullptr, nullptr, "10.0.0.300/24" },
        { "tn", "fd00::/64", nullptr, nullptr, "fd00::/64" },
        { "tn", "10.0.0.0/24x", nullptr, nullptr, "10.0.0.0/24x" },
        { "tn", "10.0.0.0/24", "10.1.0.0/24", nullptr, "10.1.0.0/24" },
        { "tn", "10.0.0.0/24", "fd00::/129", nullptr, "fd00::/129" },
        { "tn", "10.0.0.0/24", nullptr, "eth0\";x", "eth0\\\";x" },
        { "tn", "10.0.0.0/24", nullptr, "abcdefghijklmnop", "abcdefghijklmnop" },
    };
    for (const Case &c : cases) {
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(ns.In(
            [&](GError **err) {
                return (bool)vw_nft_nat_add(c.network, kOwner, c.cidr4, c.cidr6, c.dev, err);
            },
            &error))
            << c.network << " " << c.cidr4;
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(g_error_matches(error, VW_NFT_ERROR, VW_NFT_ERROR_INVALID)) << error->message;
        if (c.shown[0] != '\'')
            EXPECT_NE(strstr(error->message, c.shown), nullptr) << error->message;
        else
            EXPECT_NE(strstr(error->message, "''"), nullptr) << error->message;
    }
    g_autoptr(GError) error = nullptr;
    EXPECT_FALSE(
        ns.In([](GError **err) { return (bool)vw_nft_nat_delete("a b", kOwner, err); }, &error));
    EXPECT_EQ(Tables(ns.name()), std::vector<std::string>{});
}

// Without privilege the error comes back in the GError and nothing is printed
// (libnftables 1.0.6 would print on EPERM).  CAP_NET_ADMIN is dropped from the
// effective set of the one thread that calls the library (capabilities are
// per thread).
TEST(Nft, WithoutNetAdminFailsQuietly)
{
    VW_REQUIRE_NFT();
    SCRATCH(ns);
    TempFile err_file;
    ASSERT_GE(err_file.fd(), 0);
    g_autoptr(GError) error = nullptr;
    bool added = true;
    ASSERT_TRUE(ns.In(
        [&](GError **) {
            struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
            struct __user_cap_data_struct data[2] = {};
            if (syscall(SYS_capget, &hdr, data) != 0)
                return false;
            data[0].effective &= ~(1u << CAP_NET_ADMIN);
            if (syscall(SYS_capset, &hdr, data) != 0)
                return false;
            int saved = dup(2);
            dup2(err_file.fd(), 2);
            added = vw_nft_nat_add("tn", kOwner, "10.88.0.0/24", nullptr, nullptr, &error);
            dup2(saved, 2);
            close(saved);
            return true;
        },
        nullptr));
    EXPECT_FALSE(added);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_NFT_ERROR, VW_NFT_ERROR_FAILED)) << error->message;
    EXPECT_NE(strstr(error->message, "vw-tn"), nullptr) << error->message;
    EXPECT_NE(strstr(error->message, "CAP_NET_ADMIN"), nullptr) << error->message;
    EXPECT_EQ(err_file.Read(), "");
    EXPECT_EQ(Tables(ns.name()), std::vector<std::string>{});
}

// A refusal by the kernel at commit time comes back in the GError with
// libnftables' own words, nothing is printed, and nothing changes: the table
// is held by another nft process (flag "owner"), so it cannot be replaced.
TEST(Nft, KernelErrorIsCapturedIntoTheError)
{
    VW_REQUIRE_NFT();
    SCRATCH(ns);
    const char *argv[] = { "ip", "netns", "exec", ns.name().c_str(), "nft", "-i", nullptr };
    g_autoptr(GError) error = nullptr;
    GPid owner = 0;
    int in_fd = -1;
    ASSERT_TRUE(g_spawn_async_with_pipes(
        nullptr, (char **)argv, nullptr,
        (GSpawnFlags)(G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL),
        nullptr, nullptr, &owner, &in_fd, nullptr, nullptr, &error))
        << error->message;
    struct OwnerGuard {
        GPid pid;
        int fd;
        ~OwnerGuard()
        {
            if (fd >= 0)
                close(fd);
            kill(pid, SIGTERM);
            waitpid(pid, nullptr, 0);
        }
    } guard{ owner, in_fd };
    // It carries the owner's identity: the kernel, not the owner check, refuses.
    const std::string cmd =
        std::string("add table ip vw-tn { flags owner; comment \"") + kOwner + "\"; }\n";
    ASSERT_EQ(write(in_fd, cmd.c_str(), cmd.size()), (ssize_t)cmd.size());
    // Bounded wait for the owner to have made its table.
    bool made = false;
    for (int i = 0; i < 1000 && !made; i++) {
        made = Contains(Tables(ns.name()), "ip vw-tn");
        if (!made)
            g_usleep(10 * 1000);
    }
    ASSERT_TRUE(made);
    std::string before = Nft(ns.name(), { "list", "ruleset" }).out;

    TempFile err_file;
    ASSERT_GE(err_file.fd(), 0);
    bool added = true;
    ASSERT_TRUE(ns.In(
        [&](GError **) {
            int saved = dup(2);
            dup2(err_file.fd(), 2);
            added = vw_nft_nat_add("tn", kOwner, "10.88.0.0/24", "fd00:88::/64", nullptr, &error);
            dup2(saved, 2);
            close(saved);
            return true;
        },
        nullptr));
    EXPECT_FALSE(added);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_NFT_ERROR, VW_NFT_ERROR_FAILED)) << error->message;
    EXPECT_NE(strstr(error->message, "vw-tn"), nullptr) << error->message;
    EXPECT_NE(strstr(error->message, "Operation not permitted"), nullptr) << error->message;
    EXPECT_EQ(err_file.Read(), "");
    EXPECT_EQ(Nft(ns.name(), { "list", "ruleset" }).out, before);
}

TEST(Nft, HostNetnsAddAndDelete)
{
    VW_REQUIRE_NFT();
    std::string network = "t" + std::to_string(getpid());
    std::string table = "vw-" + network;
    struct Cleanup {
        std::string table;
        ~Cleanup()
        {
            vwtest::Run({ "nft", "delete", "table", "ip", table });
            vwtest::Run({ "nft", "delete", "table", "ip6", table });
        }
    } cleanup{ table };

    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(
        vw_nft_nat_add(network.c_str(), kOwner, "10.87.0.1/24", "fd00:87::1/64", nullptr, &error))
        << error->message;
    EXPECT_TRUE(Contains(Tables(""), "ip " + table));
    EXPECT_TRUE(Contains(Tables(""), "ip6 " + table));
    NatTable t = ReadNatTable("", "ip", table);
    EXPECT_EQ(t.masquerades, 1);
    EXPECT_EQ(t.saddr, "10.87.0.0/24");
    EXPECT_TRUE(vw_nft_nat_exists(network.c_str()));
    g_auto(GStrv) names = vw_nft_list_tables("vw-", &error);
    ASSERT_NE(names, nullptr) << error->message;
    EXPECT_TRUE(g_strv_contains(names, table.c_str()));

    ASSERT_TRUE(vw_nft_nat_delete(network.c_str(), kOwner, &error)) << error->message;
    EXPECT_FALSE(Contains(Tables(""), "ip " + table));
    EXPECT_FALSE(Contains(Tables(""), "ip6 " + table));
    EXPECT_FALSE(vw_nft_nat_exists(network.c_str()));
}

// NAT for real, all inside scratch namespaces: guest (10.86.0.2) -- router
// (10.86.0.1 | 198.18.86.1) -- outside (198.18.86.2).  Outside has no route
// back to the guest subnet, so the guest reaches it only when the router
// masquerades.
TEST(Nft, MasqueradeLetsTheGuestReachOutside)
{
    VW_REQUIRE_NFT();
    if (vwtest::Run({ "busybox", "ping", "--help" }).status < 0)
        GTEST_SKIP() << "machine lacks: busybox (ping)";
    vwtest::ScratchNetns guest, outside;
    SCRATCH(router);
    ASSERT_TRUE(guest.ok() && outside.ok());
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwRtnl) r = vw_rtnl_open_netns(router.name().c_str(), &error);
    g_autoptr(VwRtnl) g = r ? vw_rtnl_open_netns(guest.name().c_str(), &error) : nullptr;
    g_autoptr(VwRtnl) o = g ? vw_rtnl_open_netns(outside.name().c_str(), &error) : nullptr;
    ASSERT_NE(o, nullptr) << error->message;
    int gfd = vw_netns_open(guest.name().c_str(), &error);
    int ofd = vw_netns_open(outside.name().c_str(), &error);
    ASSERT_TRUE(gfd >= 0 && ofd >= 0);
    bool ok =
        vw_rtnl_veth_add(r, "r0", "g0", gfd, &error) &&
        vw_rtnl_veth_add(r, "r1", "o0", ofd, &error) &&
        vw_rtnl_addr_add(r, "r0", "10.86.0.1/24", &error) &&
        vw_rtnl_addr_add(r, "r1", "198.18.86.1/24", &error) &&
        vw_rtnl_addr_add(g, "g0", "10.86.0.2/24", &error) &&
        vw_rtnl_addr_add(o, "o0", "198.18.86.2/24", &error) &&
        vw_rtnl_link_set_up(r, "r0", TRUE, &error) && vw_rtnl_link_set_up(r, "r1", TRUE, &error) &&
        vw_rtnl_link_set_up(g, "g0", TRUE, &error) && vw_rtnl_link_set_up(o, "o0", TRUE, &error) &&
        vw_rtnl_route_add(g, "0.0.0.0/0", "10.86.0.1", "g0", &error);
    close(gfd);
    close(ofd);
    ASSERT_TRUE(ok) << error->message;
    vwtest::Cmd fwd = vwtest::Run(
        { "ip", "netns", "exec", router.name(), "sysctl", "-qw", "net.ipv4.ip_forward=1" });
    ASSERT_EQ(fwd.status, 0) << fwd.err;
    auto ping = [&]() {
        return vwtest::Run({ "ip", "netns", "exec", guest.name(), "busybox", "ping", "-c", "1",
                             "-W", "2", "198.18.86.2" })
                   .status == 0;
    };

    EXPECT_FALSE(ping()) << "reachable without NAT: the test proves nothing";
    ASSERT_TRUE(router.In(
        [](GError **err) {
            return (bool)vw_nft_nat_add("tn", kOwner, "10.86.0.1/24", nullptr, "r1", err);
        },
        &error))
        << error->message;
    EXPECT_TRUE(ping());
    ASSERT_TRUE(
        router.In([](GError **err) { return (bool)vw_nft_nat_delete("tn", kOwner, err); }, &error))
        << error->message;
    EXPECT_FALSE(ping());
}

// Tables of another owner (another root's, or an admin's without a comment)
// are refused by add and left alone by delete; the owner's own table carries
// its identity as the comment.
TEST(Nft, TablesOfAnotherOwnerAreRefusedAndNeverDeleted)
{
    VW_REQUIRE_NFT();
    SCRATCH(ns);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(ns.In(
        [](GError **err) {
            return (bool)vw_nft_nat_add("tn", kOwner, "10.88.0.1/24", nullptr, nullptr, err);
        },
        &error))
        << error->message;
    EXPECT_NE(Nft(ns.name(), { "list", "table", "ip", "vw-tn" })
                  .out.find(std::string("comment \"") + kOwner + "\""),
              std::string::npos);
    char *owner = nullptr;
    ASSERT_TRUE(
        ns.In([&](GError **err) { return (bool)vw_nft_nat_get_owner("tn", &owner, err); }, &error));
    EXPECT_STREQ(owner, kOwner);
    g_free(owner);

    // Another owner's add is refused, and changes nothing.
    const std::string before = Nft(ns.name(), { "list", "ruleset" }).out;
    EXPECT_FALSE(ns.In(
        [](GError **err) {
            return (bool)vw_nft_nat_add("tn", kOther, "10.99.0.1/24", nullptr, nullptr, err);
        },
        &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_NFT_ERROR, VW_NFT_ERROR_FOREIGN)) << error->message;
    EXPECT_NE(strstr(error->message, "vw-tn"), nullptr) << error->message;
    g_clear_error(&error);
    EXPECT_EQ(Nft(ns.name(), { "list", "ruleset" }).out, before);
    // Another owner's delete leaves it.
    ASSERT_TRUE(
        ns.In([](GError **err) { return (bool)vw_nft_nat_delete("tn", kOther, err); }, &error))
        << error->message;
    EXPECT_EQ(Nft(ns.name(), { "list", "ruleset" }).out, before);
    ASSERT_TRUE(
        ns.In([](GError **err) { return (bool)vw_nft_nat_delete("tn", kOwner, err); }, &error))
        << error->message;
    EXPECT_EQ(Tables(ns.name()), std::vector<std::string>{});

    // An admin's table of that name, without a comment: refused, kept.
    ASSERT_EQ(Nft(ns.name(), { "add", "table", "ip", "vw-tn" }).status, 0);
    ASSERT_EQ(Nft(ns.name(), { "add", "table", "ip6", "vw-tn" }).status, 0);
    EXPECT_FALSE(ns.In(
        [](GError **err) {
            return (bool)vw_nft_nat_add("tn", kOwner, "10.88.0.1/24", nullptr, nullptr, err);
        },
        &error));
    EXPECT_TRUE(g_error_matches(error, VW_NFT_ERROR, VW_NFT_ERROR_FOREIGN));
    g_clear_error(&error);
    ASSERT_TRUE(
        ns.In([](GError **err) { return (bool)vw_nft_nat_delete("tn", kOwner, err); }, &error))
        << error->message;
    EXPECT_EQ(Tables(ns.name()), (std::vector<std::string>{ "ip vw-tn", "ip6 vw-tn" }));
}
