// tools/virtwire-hook without root: argument handling, domains without
// virtwire ports, the migrate/restore filters, unknown operations and bad
// input.  Every run gets a fresh VIRTWIRE_ROOT, and the tests check that the
// hook left it as it was (nothing created) where it must not touch anything.
#include <config.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include "vw-hook-testutil.h"

using namespace vwhooktest;

// VW_XML_MAX_BYTES of xml/vw-xml-util.h (this test does not link the XML library).
#define VW_TEST_XML_MAX_BYTES (1024 * 1024)

namespace {

std::string
DataFile(const std::string &name)
{
    return Slurp(std::string(VW_SOURCE_ROOT) + "/tests/data/domain/" + name);
}

// Replace the first occurrence of @from in @s by @to (the test fails if absent).
std::string
Replace(std::string s, const std::string &from, const std::string &to)
{
    size_t pos = s.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    if (pos != std::string::npos)
        s.replace(pos, from.size(), to);
    return s;
}

class HookUnit : public ::testing::Test {
  protected:
    void SetUp() override
    {
        ASSERT_FALSE(HookPath().empty()) << "VW_HOOK is not set (run through meson test)";
        g_autoptr(GError) error = nullptr;
        g_autofree char *root = g_dir_make_tmp("vw-hook-unit-XXXXXX", &error);
        ASSERT_NE(root, nullptr) << error->message;
        root_ = root;
        // A plain domain (ethernet, bridge and network NICs, no virtwire port)
        // and one with a virtwire port on network net1.
        plain_ = DataFile("qemu-ethernet-bridge-network.xml");
        port_ = DataFile("virtwire-port.xml");
        ASSERT_FALSE(plain_.empty());
        ASSERT_NE(port_.find("virtwire:port"), std::string::npos);
        // Malformed, and yet a virtwire domain (it names virtwire's metadata).
        truncated_ = port_.substr(0, port_.find("</virtwire:ports>"));
    }

    void TearDown() override
    {
        if (!root_.empty()) {
            g_autofree char *argv0 = g_find_program_in_path("rm");
            const char *argv[] = { argv0, "-rf", root_.c_str(), nullptr };
            g_spawn_sync(nullptr, (char **)argv, nullptr, G_SPAWN_DEFAULT, nullptr, nullptr,
                         nullptr, nullptr, nullptr, nullptr);
        }
    }

    HookResult Hook(const std::string &domain, const std::string &op, const std::string &subop,
                    const std::string &xml,
                    std::map<std::string, std::optional<std::string>> env = {})
    {
        env.emplace("VIRTWIRE_ROOT", root_);
        env.emplace("VIRTWIRE_TAP_USER", std::nullopt);
        return RunHook({ domain, op, subop, "-" }, xml, env);
    }

    // The root is exactly as SetUp made it: an empty directory.
    void ExpectRootUntouched()
    {
        EXPECT_EQ(TreeOf(root_), std::vector<std::string>{});
    }

    std::string root_;
    std::string plain_;
    std::string port_;
    std::string truncated_;
};

TEST_F(HookUnit, UsageWithoutArgumentsExitsTwo)
{
    HookResult r = RunHook({}, "");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("usage:"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
}

TEST_F(HookUnit, UsageWithTooFewArgumentsExitsTwo)
{
    for (const auto &args : std::vector<std::vector<std::string>>{
             { "dom" }, { "dom", "prepare" }, { "", "prepare", "begin", "-" },
             { "dom", "", "begin", "-" } }) {
        HookResult r = RunHook(args, port_, { { "VIRTWIRE_ROOT", root_ } });
        EXPECT_EQ(r.status, 2) << args.size();
        EXPECT_NE(r.err.find("DOMAIN OPERATION SUB-OPERATION"), std::string::npos) << r.err;
        EXPECT_EQ(r.out, "");
    }
    ExpectRootUntouched();
}

TEST_F(HookUnit, HelpPrintsUsageOnStdout)
{
    HookResult r = RunHook({ "--help" }, "");
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("usage:"), std::string::npos) << r.out;
}

TEST_F(HookUnit, DomainWithoutVirtwirePortsExitsZeroAndCreatesNothing)
{
    for (const char *op : { "prepare", "release", "stopped", "reconnect", "attach" }) {
        const char *subop =
            g_str_equal(op, "release") || g_str_equal(op, "stopped") ? "end" : "begin";
        HookResult r = Hook("web1", op, subop, plain_);
        EXPECT_EQ(r.status, 0) << op << ": " << r.err;
        EXPECT_EQ(r.out, "") << op;
        EXPECT_EQ(r.err, "") << op;
    }
    ExpectRootUntouched();
}

TEST_F(HookUnit, ExtraArgumentsAfterExtraAreIgnored)
{
    HookResult r = RunHook({ "web1", "prepare", "begin", "-", "future" }, plain_,
                           { { "VIRTWIRE_ROOT", root_ } });
    EXPECT_EQ(r.status, 0) << r.err;
    ExpectRootUntouched();
}

TEST_F(HookUnit, MigrateAndRestoreEchoTheXmlUnchanged)
{
    for (const char *op : { "migrate", "restore" }) {
        for (const std::string *xml : { &port_, &plain_ }) {
            HookResult r = Hook("db1", op, "begin", *xml);
            EXPECT_EQ(r.status, 0) << op << ": " << r.err;
            EXPECT_EQ(r.out, *xml) << op;
            EXPECT_EQ(r.err, "") << op;
        }
    }
    ExpectRootUntouched();
}

TEST_F(HookUnit, FilterOfUnreadableXmlPrintsNothingAndExitsZero)
{
    // Empty output tells libvirt to keep its XML; the reason goes to stderr.
    std::string bad_meta = Replace(port_, "network=\"net1\"", "network=\"../etc\"");
    for (const char *op : { "migrate", "restore" }) {
        for (const std::string &xml : { truncated_, bad_meta }) {
            HookResult r = Hook("db1", op, "begin", xml);
            EXPECT_EQ(r.status, 0) << op;
            EXPECT_EQ(r.out, "") << op;
            EXPECT_NE(r.err.find("domain 'db1'"), std::string::npos) << r.err;
            EXPECT_NE(r.err.find("left unchanged"), std::string::npos) << r.err;
        }
    }
    ExpectRootUntouched();
}

TEST_F(HookUnit, UnknownOperationsExitZeroWithoutReadingAnything)
{
    for (const auto &op : std::vector<std::pair<std::string, std::string>>{
             { "frobnicate", "begin" }, { "start", "begin" }, { "started", "begin" },
             { "prepare", "end" }, { "release", "begin" }, { "migrate", "end" } }) {
        HookResult r = Hook("db1", op.first, op.second, "not XML at all");
        EXPECT_EQ(r.status, 0) << op.first << " " << op.second << ": " << r.err;
        EXPECT_EQ(r.out, "") << op.first;
        EXPECT_EQ(r.err, "") << op.first;
    }
    ExpectRootUntouched();
}

// libvirtd runs the hook for every operation of every domain, so its
// start-up is most of its cost: the dynamic loader maps and relocates each
// shared library it needs (libxml2 alone brings ICU and libstdc++; json-glib
// brings gio, gobject, libmount, libselinux, libblkid).  The hook reads XML
// with GMarkup and state with vw-json, and links GLib statically where the
// static library is installed: these are the only libraries it may need.
TEST_F(HookUnit, NeedsOnlyLibcLibmnlAndGlibAtStartUp)
{
    g_autofree char *readelf = g_find_program_in_path("readelf");
    if (!readelf)
        GTEST_SKIP() << "machine lacks: readelf (binutils)";
    const std::string hook = HookPath();
    const char *argv[] = { readelf, "-d", hook.c_str(), nullptr };
    g_autofree char *out = nullptr;
    g_autoptr(GError) error = nullptr;
    int status = 0;
    ASSERT_TRUE(g_spawn_sync(nullptr, (char **)argv, nullptr, G_SPAWN_STDERR_TO_DEV_NULL, nullptr,
                             nullptr, &out, nullptr, &status, &error))
        << error->message;
    ASSERT_EQ(status, 0) << out;
    const std::vector<std::string> allowed = {
        "libc.so.6",       "libm.so.6",       "libmnl.so.0",  "libglib-2.0.so.0",
        "libpcre2-8.so.0", "libpthread.so.0", "libdl.so.2",   "ld-linux-x86-64.so.2",
        "libasan.so.8",    "libubsan.so.1",   "libgcc_s.so.1"
    };
    std::vector<std::string> needed;
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l; l++) {
        const char *open = strstr(*l, "(NEEDED)") ? strchr(*l, '[') : nullptr;
        const char *close = open ? strchr(open, ']') : nullptr;
        if (close)
            needed.emplace_back(open + 1, close);
    }
    ASSERT_FALSE(needed.empty()) << out;
    for (const auto &lib : needed)
        EXPECT_NE(std::find(allowed.begin(), allowed.end(), lib), allowed.end())
            << hook << " needs " << lib << ", which the hook's start-up cannot afford";
}

TEST_F(HookUnit, PrepareWithMalformedXmlFailsWithMessage)
{
    for (const std::string &xml :
         { truncated_, std::string("<network xmlns:v='https://virtwire.dev/xmlns/virtwire/1.0'/>"),
           Replace(port_, "mac=\"52:54:00:00:00:0a\" network", "mac=\"zz\" network") }) {
        HookResult r = Hook("db1", "prepare", "begin", xml);
        EXPECT_EQ(r.status, 1) << xml;
        EXPECT_EQ(r.out, "");
        EXPECT_NE(r.err.find("cannot read the XML of domain 'db1'"), std::string::npos) << r.err;
    }
    ExpectRootUntouched();
}

TEST_F(HookUnit, PrepareWithOversizedXmlFailsWithMessage)
{
    std::string big = Replace(port_, "<memory", std::string(2 * 1024 * 1024, ' ') + "<memory");
    HookResult r = Hook("db1", "prepare", "begin", big);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("larger than"), std::string::npos) << r.err;
    ExpectRootUntouched();
}

// Domains that virtwire has nothing to do with pass whatever their XML: the
// parser's limits (size, depth) apply only to domains with virtwire metadata.
TEST_F(HookUnit, DomainWithoutVirtwireMetadataPassesBeyondTheParsersLimits)
{
    // 1.2 MB, and 70 levels of somebody else's metadata.
    std::string big =
        Replace(plain_, "<memory",
                "<description>" + std::string(1200 * 1000, 'x') + "</description>\n  <memory");
    std::string deep_meta = "<other:a xmlns:other=\"urn:example:other\">";
    for (int i = 1; i < 70; i++)
        deep_meta += "<other:a>";
    for (int i = 1; i < 70; i++)
        deep_meta += "</other:a>";
    deep_meta += "</other:a>";
    std::string deep =
        Replace(plain_, "<memory", "<metadata>" + deep_meta + "</metadata>\n  <memory");
    // Both really are beyond the parser (see the next test for a virtwire domain).
    ASSERT_GT(big.size(), (size_t)VW_TEST_XML_MAX_BYTES);

    // Not even well-formed: libvirt's business, not virtwire's.
    std::string empty, truncated = "<domain><name>x";

    for (const std::string *xml : { &big, &deep, &empty, &truncated }) {
        for (const char *op : { "prepare", "release", "stopped", "reconnect", "attach" }) {
            const char *subop =
                g_str_equal(op, "release") || g_str_equal(op, "stopped") ? "end" : "begin";
            HookResult r = Hook("web1", op, subop, *xml);
            EXPECT_EQ(r.status, 0) << op << " " << xml->size() << ": " << r.err;
            EXPECT_EQ(r.out, "") << op;
            EXPECT_EQ(r.err, "") << op;
        }
        for (const char *op : { "migrate", "restore" }) {
            HookResult r = Hook("web1", op, "begin", *xml);
            EXPECT_EQ(r.status, 0) << op << ": " << r.err;
            EXPECT_TRUE(r.out == *xml) << op << ": the XML did not come back unchanged";
            EXPECT_EQ(r.err, "") << op;
        }
    }
    ExpectRootUntouched();
}

// A domain is virtwire's only if it declares virtwire's namespace: one that
// merely mentions the URI (in its description, in another tool's metadata) is
// not, and passes whatever its size or depth.
TEST_F(HookUnit, DomainMentioningTheNamespaceWithoutDeclaringItPasses)
{
    const std::string ns = "https://virtwire.dev/xmlns/virtwire/1.0";
    std::string big = Replace(plain_, "<memory",
                              "<description>" + ns + " " + std::string(1200 * 1000, 'x') + " '" +
                                  ns + "'</description>\n  <memory");
    std::string deep_meta = "<other:a xmlns:other=\"urn:example:other\" see=\"" + ns + "\">";
    for (int i = 1; i < 70; i++)
        deep_meta += "<other:a>";
    for (int i = 1; i < 70; i++)
        deep_meta += "</other:a>";
    deep_meta += "</other:a>";
    std::string deep =
        Replace(plain_, "<memory", "<metadata>" + deep_meta + "</metadata>\n  <memory");
    ASSERT_GT(big.size(), (size_t)1200 * 1000);

    for (const std::string *xml : { &big, &deep }) {
        for (const char *op : { "prepare", "release", "stopped", "reconnect", "attach" }) {
            const char *subop =
                g_str_equal(op, "release") || g_str_equal(op, "stopped") ? "end" : "begin";
            HookResult r = Hook("web1", op, subop, *xml);
            EXPECT_EQ(r.status, 0) << op << " " << xml->size() << ": " << r.err;
            EXPECT_EQ(r.out, "") << op;
            EXPECT_EQ(r.err, "") << op;
        }
        HookResult r = Hook("web1", "migrate", "begin", *xml);
        EXPECT_EQ(r.status, 0) << r.err;
        EXPECT_TRUE(r.out == *xml) << "the XML did not come back unchanged";
    }
    ExpectRootUntouched();
}

// Beyond what the hook keeps in memory (32 MiB): still read to the end and
// searched, never parsed.  A filter prints nothing (libvirt keeps its XML).
TEST_F(HookUnit, InputBeyondWhatTheHookKeepsIsSearchedToItsEnd)
{
    std::string pad(33 * 1024 * 1024, ' ');
    std::string plain = Replace(plain_, "<memory", pad + "<memory");
    // virtwire's metadata only after the first 33 MiB
    std::string port = Replace(port_, "<metadata>", pad + "<metadata>");

    HookResult r = Hook("web1", "prepare", "begin", plain);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    r = Hook("web1", "migrate", "begin", plain);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out.size(), 0u);
    EXPECT_EQ(r.err, "");

    r = Hook("db1", "prepare", "begin", port);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("larger than"), std::string::npos) << r.err;
    ExpectRootUntouched();
}

TEST_F(HookUnit, VirtwireDomainBeyondTheParsersLimitsStillFailsPrepare)
{
    std::string deep_meta = "<other:a xmlns:other=\"urn:example:other\">";
    for (int i = 1; i < 70; i++)
        deep_meta += "<other:a>";
    for (int i = 1; i < 70; i++)
        deep_meta += "</other:a>";
    deep_meta += "</other:a>";
    std::string deep = Replace(port_, "<metadata>", "<metadata>" + deep_meta);
    HookResult r = Hook("db1", "prepare", "begin", deep);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("cannot read the XML of domain 'db1'"), std::string::npos) << r.err;
    r = Hook("db1", "migrate", "begin", deep);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("left unchanged"), std::string::npos) << r.err;
    ExpectRootUntouched();
}

TEST_F(HookUnit, ReconnectWithMalformedXmlNeverFails)
{
    for (const char *op : { "reconnect", "attach" }) {
        HookResult r = Hook("db1", op, "begin", truncated_);
        EXPECT_EQ(r.status, 0) << op;
        EXPECT_EQ(r.out, "");
        EXPECT_NE(r.err.find("domain 'db1'"), std::string::npos) << r.err;
    }
    ExpectRootUntouched();
}

TEST_F(HookUnit, PrepareRefusesAVirtwirePortThatLibvirtWouldNotOpenAsATap)
{
    // managed='no' missing: libvirt would try to create the tap itself.
    std::string managed = Replace(port_, " managed='no'", "");
    // Not an ethernet interface at all.
    std::string bridge = Replace(Replace(port_, "<interface type='ethernet'>",
                                         "<interface type='bridge'><source bridge='br0'/>"),
                                 " managed='no'", "");
    for (const std::string &xml : { managed, bridge }) {
        HookResult r = Hook("db1", "prepare", "begin", xml);
        EXPECT_EQ(r.status, 1);
        EXPECT_EQ(r.out, "");
        EXPECT_NE(r.err.find("interface 52:54:00:00:00:0a of domain 'db1'"), std::string::npos)
            << r.err;
        EXPECT_NE(r.err.find("network 'net1'"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("managed='no'"), std::string::npos) << r.err;
    }
    ExpectRootUntouched();
}

TEST_F(HookUnit, PrepareRefusesAHostileTapName)
{
    std::string xml = Replace(port_, "dev='vwt-3f9a1c0b2d'", "dev='../../etc'");
    HookResult r = Hook("db1", "prepare", "begin", xml);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("../../etc"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("interface 52:54:00:00:00:0a of domain 'db1'"), std::string::npos)
        << r.err;
    ExpectRootUntouched();
}

TEST_F(HookUnit, PrepareWithoutUuidFails)
{
    std::string xml = Replace(port_, "<uuid>0a1b2c3d4e5f60718293a4b5c6d7e8f9</uuid>", "");
    HookResult r = Hook("db1", "prepare", "begin", xml);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("no <uuid>"), std::string::npos) << r.err;
    ExpectRootUntouched();
}

TEST_F(HookUnit, PrepareRefusesABadTapUser)
{
    for (const char *user : { "no-such-user-vw", "root:no-such-group-vw", "root:", "a:b:c" }) {
        HookResult r = Hook("db1", "prepare", "begin", port_, { { "VIRTWIRE_TAP_USER", user } });
        EXPECT_EQ(r.status, 1) << user;
        EXPECT_NE(r.err.find(std::string("VIRTWIRE_TAP_USER '") + user + "'"), std::string::npos)
            << r.err;
    }
    ExpectRootUntouched();
}

TEST_F(HookUnit, PrepareOnAnUndefinedNetworkFailsNamingDomainMacAndNetwork)
{
    HookResult r = Hook("db1", "prepare", "begin", port_);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("cannot plug interface 52:54:00:00:00:0a of domain 'db1' into virtwire "
                         "network 'net1'"),
              std::string::npos)
        << r.err;
    // No port record and no lease were written.
    for (const std::string &p : TreeOf(root_)) {
        EXPECT_EQ(p.find("ports/"), std::string::npos) << p;
        EXPECT_FALSE(g_str_has_suffix(p.c_str(), ".json")) << p;
    }
}

TEST_F(HookUnit, ReleaseOfAbsentPortsSucceeds)
{
    for (const char *op : { "stopped", "release" }) {
        HookResult r = Hook("db1", op, "end", port_);
        EXPECT_EQ(r.status, 0) << op << ": " << r.err;
        EXPECT_EQ(r.out, "");
    }
}

TEST_F(HookUnit, ReconnectOnAnUndefinedNetworkExitsZeroWithMessage)
{
    HookResult r = Hook("db1", "reconnect", "begin", port_);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("interface 52:54:00:00:00:0a of domain 'db1'"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("'net1'"), std::string::npos) << r.err;
}

} // namespace
