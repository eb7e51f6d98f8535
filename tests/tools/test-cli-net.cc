// The network and domain commands of the virtwire command line, and every
// command's usage errors, without root: networks are only defined (in a
// temporary --root), domains are libvirt's test driver.  Each run opens a
// fresh test:///default, so what libvirt stored is checked in the same run
// (--print-domain), or loaded into a custom test driver node for the next.
#include <config.h>

#include <future>
#include <string>
#include <vector>

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vw-cli-testutil.h"

using vwtest::CliRun;
using vwtest::TempDir;
using vwtest::Virtwire;

namespace
{

const char kGoodNet[] = "<network>\n"
                        "  <name>demo</name>\n"
                        "  <ip address='10.77.0.1' prefix='24'>\n"
                        "    <dhcp><range start='10.77.0.10' end='10.77.0.100'/></dhcp>\n"
                        "  </ip>\n"
                        "</network>\n";

// A temporary root with network 'demo' defined in it.
class CliRoot : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        ASSERT_TRUE(dir_.ok());
        root_ = dir_.path() + "/root";
        std::string xml = dir_.Write("demo.xml", kGoodNet);
        CliRun r = Virtwire({ "-r", root_.c_str(), "net-define", xml.c_str() });
        ASSERT_EQ(r.code, 0) << r.err;
    }

    CliRun V(std::vector<const char *> args)
    {
        std::vector<const char *> all = { "-r", root_.c_str(), "-c", "test:///default" };
        all.insert(all.end(), args.begin(), args.end());
        return Virtwire(all);
    }

    TempDir dir_;
    std::string root_;
};

bool
Contains(const std::string &haystack, const std::string &needle)
{
    return haystack.find(needle) != std::string::npos;
}

} // namespace

// Every command: a missing argument, an extra one, an unknown option; each
// exits 2 before touching anything (the root does not even get created).
TEST(CliUsage, EveryCommandRejectsBadUsageWithExitTwo)
{
    TempDir dir;
    std::string root = dir.path() + "/never-made";
    struct Case {
        std::vector<const char *> args;
        const char *expect;
    } cases[] = {
        { { "net-define" }, "net-define: missing argument; usage: virtwire net-define FILE" },
        { { "net-define", "a.xml", "b.xml" }, "net-define: unexpected argument 'b.xml'" },
        { { "net-undefine" }, "net-undefine: missing argument" },
        { { "net-undefine", "a", "b" }, "unexpected argument 'b'" },
        { { "net-start" }, "net-start: missing argument; usage: virtwire net-start NETWORK" },
        { { "net-start", "a", "b" }, "net-start: unexpected argument 'b'" },
        { { "net-destroy" }, "net-destroy: missing argument" },
        { { "net-destroy", "a", "--frob" }, "--frob" },
        { { "net-destroy", "a", "b", "--force" }, "unexpected argument 'b'" },
        { { "net-list", "extra" }, "net-list: unexpected argument 'extra'" },
        { { "net-list", "--bogus" }, "--bogus" },
        { { "net-info" }, "net-info: missing argument" },
        { { "net-info", "a", "b" }, "unexpected argument 'b'" },
        { { "net-dumpxml" }, "net-dumpxml: missing argument" },
        { { "net-autostart" }, "net-autostart: missing argument" },
        { { "net-autostart", "a", "--enable" }, "--enable" },
        { { "net-leases" }, "net-leases: missing argument" },
        { { "attach-interface", "dom" }, "attach-interface: missing argument" },
        { { "attach-interface", "dom", "net", "x" }, "unexpected argument 'x'" },
        { { "attach-interface", "dom", "net", "--queues", "many" }, "many" },
        { { "attach-interface", "dom", "net", "--current", "--live" }, "--current" },
        { { "detach-interface", "dom", "--mac", "52:54:00:00:00:01", "--current", "--config" },
          "--current" },
        { { "attach-interface", "dom", "net", "--mac" }, "--mac" },
        { { "detach-interface", "dom" }, "detach-interface: --mac MAC is required" },
        { { "detach-interface" }, "detach-interface: missing argument" },
        { { "port-list", "a", "b" }, "port-list: unexpected argument 'b'" },
        { { "hook-install", "x" }, "hook-install: unexpected argument 'x'" },
        { { "hook-install", "--hooks-dir" }, "--hooks-dir" },
        { { "hook-uninstall", "--frob" }, "--frob" },
        { { "gc", "now" }, "gc: unexpected argument 'now'" },
        { { "version", "x" }, "version: unexpected argument 'x'" },
        { { "help", "a", "b" }, "help: unexpected argument 'b'" },
        { { "help", "nosuch" }, "unknown command 'nosuch'" },
    };
    // the runs are independent: start them all at once
    std::vector<std::future<CliRun>> runs;
    for (const Case &c : cases) {
        std::vector<const char *> args = { "-r", root.c_str(), "-c", "test:///default" };
        args.insert(args.end(), c.args.begin(), c.args.end());
        runs.push_back(std::async(std::launch::async, Virtwire, args, std::vector<std::string>()));
    }
    for (size_t i = 0; i < runs.size(); i++) {
        const Case &c = cases[i];
        CliRun r = runs[i].get();
        EXPECT_EQ(r.code, 2) << c.args[0] << ": " << r.err;
        EXPECT_TRUE(Contains(r.err, c.expect)) << c.args[0] << ": " << r.err;
        EXPECT_EQ(r.out, "") << c.args[0];
    }
    EXPECT_FALSE(g_file_test(root.c_str(), G_FILE_TEST_EXISTS));
}

// The autostart mark is virtwire's own link, "../NAME.xml"; a link with any
// other target is not one (and is not replaced), and a definition is never
// read through a link.
TEST_F(CliRoot, OnlyVirtwiresOwnLinksAreRead)
{
    std::string nets = root_ + "/etc/virtwire/networks";
    std::string mark = nets + "/autostart/demo.xml";
    CliRun r = V({ "net-autostart", "demo" });
    ASSERT_EQ(r.code, 0) << r.err;
    g_autofree char *target = g_file_read_link(mark.c_str(), nullptr);
    EXPECT_STREQ(target, "../demo.xml");
    ASSERT_EQ(g_unlink(mark.c_str()), 0);
    ASSERT_EQ(symlink("/etc/hostname", mark.c_str()), 0);
    r = V({ "net-info", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "\nAutostart:  no\n")) << r.out;
    r = V({ "net-autostart", "demo" });
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_TRUE(Contains(r.err, "'" + mark + "'")) << r.err;
    g_autofree char *kept = g_file_read_link(mark.c_str(), nullptr);
    EXPECT_STREQ(kept, "/etc/hostname");

    // The definition replaced by a link to a copy of itself: refused, named.
    std::string def = nets + "/demo.xml";
    std::string copy = dir_.path() + "/copy.xml";
    ASSERT_EQ(rename(def.c_str(), copy.c_str()), 0);
    ASSERT_EQ(symlink(copy.c_str(), def.c_str()), 0);
    r = V({ "net-info", "demo" });
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_TRUE(Contains(r.err, "'" + def + "'")) << r.err;
    EXPECT_TRUE(Contains(r.err, "symbolic link")) << r.err;
}

TEST_F(CliRoot, NetListShowsActiveNetworksUnlessAll)
{
    CliRun r = V({ "net-list" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, " Name ")) << r.out;
    EXPECT_FALSE(Contains(r.out, "demo")) << r.out;

    r = V({ "net-list", "--all" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, " Name   State      Autostart   Persistent   Bridge   Namespace   "
                                "IPv4           IPv6\n"))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "\n demo   inactive   no          yes          vwbr0    vw-demo"
                                "     10.77.0.1/24   -\n"))
        << r.out;

    r = V({ "net-list", "--inactive", "--name" });
    EXPECT_EQ(r.out, "demo\n");

    r = V({ "--json", "net-list", "--all" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "[{\"name\": \"demo\", \"state\": \"inactive\", \"autostart\": false, "
                     "\"persistent\": true, \"bridge\": \"vwbr0\", \"netns\": \"vw-demo\", "
                     "\"ipv4\": \"10.77.0.1/24\", \"ipv6\": null}]\n");

    r = V({ "--json", "net-list" });
    EXPECT_EQ(r.out, "[]\n");
}

TEST_F(CliRoot, NetInfoAutostartDumpxmlAndLeases)
{
    CliRun r = V({ "net-info", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(g_str_has_prefix(r.out.c_str(), "Name:       demo\nUUID:       ")) << r.out;
    EXPECT_TRUE(Contains(r.out, "\nActive:     no\n")) << r.out;
    EXPECT_TRUE(Contains(r.out, "\nAutostart:  no\n")) << r.out;
    EXPECT_TRUE(Contains(r.out, "\nPartition:  /virtwire/demo\n")) << r.out;

    r = V({ "net-autostart", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "Network demo marked as autostarted\n");
    r = V({ "--json", "net-info", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(g_str_has_prefix(r.out.c_str(), "{\"name\": \"demo\", \"uuid\": \"")) << r.out;
    EXPECT_TRUE(Contains(r.out,
                         "\"active\": false, \"persistent\": true, \"autostart\": true, "
                         "\"netns\": \"vw-demo\", \"bridge\": \"vwbr0\", \"forward\": "
                         "\"isolated\", \"ipv4\": \"10.77.0.1/24\", \"ipv6\": null, "
                         "\"partition\": \"/virtwire/demo\", \"ports\": 0, \"leases\": 0}\n"))
        << r.out;
    r = V({ "net-autostart", "demo", "--disable" });
    EXPECT_EQ(r.out, "Network demo unmarked as autostarted\n");
    r = V({ "net-info", "demo" });
    EXPECT_TRUE(Contains(r.out, "\nAutostart:  no\n")) << r.out;

    r = V({ "net-dumpxml", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(g_str_has_prefix(r.out.c_str(), "<network>\n  <name>demo</name>\n  <uuid>"))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "<range start='10.77.0.10' end='10.77.0.100'/>")) << r.out;
    // what net-dumpxml prints defines the same network again
    std::string again = dir_.Write("again.xml", r.out);
    r = Virtwire({ "-r", root_.c_str(), "net-define", again.c_str() });
    EXPECT_EQ(r.code, 0) << r.err;

    r = V({ "--json", "net-leases", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "[]\n");
    r = V({ "--json", "port-list" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "[]\n");
    r = V({ "port-list", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(g_str_has_prefix(r.out.c_str(), " Network   Domain   MAC address   Tap")) << r.out;
}

// net-leases marks a lease stale when its domain no longer exists on the
// connection (test:///default has domain "test"); unknown (null) when
// libvirt cannot be asked.
TEST_F(CliRoot, NetLeasesSaysWhichLeasesAreStale)
{
    std::string dir = root_ + "/var/lib/virtwire/leases";
    ASSERT_EQ(g_mkdir_with_parents(dir.c_str(), 0755), 0);
    std::string leases =
        "{\"version\": 1, \"leases\": ["
        "{\"domain-uuid\": \"6695eb01-f6a4-8304-79aa-97f2502e193f\", \"mac\": "
        "\"52:54:00:00:00:01\", \"domain-name\": \"test\", \"ipv4\": \"10.77.0.10\", "
        "\"ipv6\": null, \"hostname\": \"test\", \"static\": false, \"created\": 1, "
        "\"updated\": 1},"
        "{\"domain-uuid\": \"6695eb01-f6a4-8304-79aa-0000000000aa\", \"mac\": "
        "\"52:54:00:00:00:02\", \"domain-name\": \"gone\", \"ipv4\": \"10.77.0.11\", "
        "\"ipv6\": null, \"hostname\": \"gone\", \"static\": false, \"created\": 1, "
        "\"updated\": 1}]}\n";
    ASSERT_TRUE(g_file_set_contents((dir + "/demo.json").c_str(), leases.c_str(), -1, nullptr));

    CliRun r = V({ "--json", "net-leases", "demo" });
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "\"domain\": \"test\", \"domain_uuid\": "
                                "\"6695eb01-f6a4-8304-79aa-97f2502e193f\", \"static\": false, "
                                "\"stale\": false}"))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "\"domain\": \"gone\", \"domain_uuid\": "
                                "\"6695eb01-f6a4-8304-79aa-0000000000aa\", \"static\": false, "
                                "\"stale\": true}"))
        << r.out;
    r = V({ "net-leases", "demo" });
    EXPECT_TRUE(Contains(r.out, "Stale")) << r.out;

    r = Virtwire({ "-r", root_.c_str(), "-c", "vw-bogus:///", "--json", "net-leases", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "\"static\": false, \"stale\": null}")) << r.out;
    EXPECT_TRUE(Contains(r.err, "vw-bogus:///")) << r.err;
}

TEST_F(CliRoot, CommandsOnAMissingNetworkFailNamingIt)
{
    for (const char *cmd : { "net-start", "net-destroy", "net-info", "net-dumpxml", "net-autostart",
                             "net-leases", "port-list", "net-undefine" }) {
        CliRun r = V({ cmd, "nosuch" });
        EXPECT_EQ(r.code, 1) << cmd;
        EXPECT_TRUE(Contains(r.err, "'nosuch'")) << cmd << ": " << r.err;
        EXPECT_EQ(r.out, "") << cmd;
    }
    CliRun r = V({ "net-info", "../../etc" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'../../etc'")) << r.err;
}

TEST_F(CliRoot, NetUndefineRemovesTheDefinition)
{
    CliRun r = V({ "net-destroy", "demo" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'demo'")) << r.err;

    r = V({ "net-undefine", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "Network demo has been undefined\n");
    EXPECT_FALSE(
        g_file_test((root_ + "/etc/virtwire/networks/demo.xml").c_str(), G_FILE_TEST_EXISTS));
    r = V({ "net-list", "--all", "--name" });
    EXPECT_EQ(r.out, "");
    r = V({ "net-undefine", "demo" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'demo'")) << r.err;
}

TEST_F(CliRoot, AttachInterfaceConfigAddsPortMetadataAndPartition)
{
    CliRun r = V({ "attach-interface", "test", "demo", "--mac", "52:54:00:AB:CD:EF", "--queues",
                   "4", "--config", "--print-domain" });
    ASSERT_EQ(r.code, 0) << r.err;
    // what libvirt stored, read back from it in the same run
    EXPECT_TRUE(Contains(r.out, "<interface type='ethernet'>\n"
                                "      <mac address='52:54:00:ab:cd:ef'/>\n"
                                "      <target dev='vwt-"))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "' managed='no'/>\n      <model type='virtio'/>\n"
                                "      <driver queues='4'/>\n"))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "<virtwire:port mac=\"52:54:00:ab:cd:ef\" network=\"demo\"/>"))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "<partition>/virtwire/demo</partition>")) << r.out;

    // without --mac: a generated locally administered unicast address; the
    // message names the tap
    r = V({ "attach-interface", "test", "demo", "--model", "e1000", "--config" });
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(g_regex_match_simple("^Interface [0-9a-f][26ae](:[0-9a-f]{2}){5} "
                                     "\\(tap vwt-[0-9a-f]{10}\\) attached to domain test on "
                                     "network demo\n$",
                                     r.out.c_str(), (GRegexCompileFlags)0, (GRegexMatchFlags)0))
        << r.out;
}

TEST_F(CliRoot, AttachInterfaceRefusesBadInputNamingIt)
{
    CliRun r = V({ "attach-interface", "test", "nosuch" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'nosuch'")) << r.err;

    r = V({ "attach-interface", "nodomain", "demo" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'nodomain'")) << r.err;

    r = V({ "attach-interface", "test", "demo", "--mac", "01:00:5e:00:00:01", "--config" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'01:00:5e:00:00:01'")) << r.err;

    r = V({ "attach-interface", "test", "demo", "--mac", "52:54:00:zz:00:01", "--config" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'52:54:00:zz:00:01'")) << r.err;

    r = V({ "attach-interface", "test", "demo", "--model", "vir tio", "--config" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'vir tio'")) << r.err;

    // the test driver's MAC is taken already
    r = V({ "attach-interface", "test", "demo", "--mac", "aa:bb:cc:dd:ee:ff", "--config" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "aa:bb:cc:dd:ee:ff")) << r.err;

    // --live provisions the port first: the network must be running; so do
    // --current (the default) and --persistent of the running test domain
    for (const char *flag : { "--live", "--current", "--persistent" }) {
        r = V({ "attach-interface", "test", "demo", flag });
        EXPECT_EQ(r.code, 1) << flag;
        EXPECT_TRUE(Contains(r.err, "'demo'")) << r.err;
        EXPECT_TRUE(Contains(r.err, "not active")) << r.err;
        EXPECT_EQ(r.out, "");
    }
    r = V({ "attach-interface", "test", "demo" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "not active")) << "no flag is --current: live\n" << r.err;

    // as virsh: --current with --live, --config or --persistent is a usage error
    for (const char *flag : { "--live", "--config", "--persistent" }) {
        r = V({ "attach-interface", "test", "demo", "--current", flag });
        EXPECT_EQ(r.code, 2) << flag;
        EXPECT_TRUE(Contains(r.err, "--current")) << r.err;
        r = V({ "detach-interface", "test", "--mac", "52:54:00:00:00:01", "--current", flag });
        EXPECT_EQ(r.code, 2) << flag;
    }
    r = V({ "attach-interface", "test", "demo", "--queues", "-1" });
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(Contains(r.err, "-1")) << r.err;
    r = V({ "attach-interface", "test", "demo", "--queues", "300", "--config" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'300'")) << r.err;
}

TEST_F(CliRoot, DetachInterfaceRemovesWhatAttachAdded)
{
    CliRun r = V({ "attach-interface", "test", "demo", "--mac", "52:54:00:00:00:42", "--config",
                   "--print-domain" });
    ASSERT_EQ(r.code, 0) << r.err;
    std::string node = dir_.Write("node.xml", "<node>\n" + r.out + "</node>\n");
    std::string uri = "test://" + node;

    r = Virtwire({ "-r", root_.c_str(), "-c", uri.c_str(), "detach-interface", "test", "--mac",
                   "52:54:00:00:00:43", "--config" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "no virtwire interface with MAC address '52:54:00:00:00:43'"))
        << r.err;
    r = Virtwire({ "-r", root_.c_str(), "-c", uri.c_str(), "detach-interface", "test", "--mac",
                   "aa:bb:cc:dd:ee:ff", "--config" });
    EXPECT_EQ(r.code, 1) << "not a virtwire port";

    r = Virtwire({ "-r", root_.c_str(), "-c", uri.c_str(), "detach-interface", "test", "--mac",
                   "52:54:00:00:00:42", "--config", "--print-domain" });
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(Contains(r.out, "52:54:00:00:00:42")) << r.out;
    EXPECT_FALSE(Contains(r.out, "virtwire")) << r.out;
    EXPECT_TRUE(Contains(r.out, "<partition>/machine</partition>")) << r.out;
    EXPECT_TRUE(Contains(r.out, "aa:bb:cc:dd:ee:ff")) << "the other NIC stays\n" << r.out;

    r = Virtwire({ "-r", root_.c_str(), "-c", uri.c_str(), "detach-interface", "test", "--mac",
                   "52:54:00:00:00:42", "--config" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "Interface 52:54:00:00:00:42 detached from domain test\n");
}

TEST_F(CliRoot, BashCompletionCompletesCommandsOptionsAndNetworks)
{
    const char *lib = "/usr/share/bash-completion/bash_completion";
    if (!g_file_test(lib, G_FILE_TEST_IS_REGULAR))
        GTEST_SKIP() << "machine lacks: " << lib << " (package bash-completion)";
    g_autofree char *bindir = g_path_get_dirname(g_getenv("VW_VIRTWIRE"));
    std::string script = std::string("source ") + lib +
                         "\nsource " VW_SOURCE_ROOT "/tools/completion/virtwire.bash\n"
                         "t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1));"
                         " COMP_LINE=\"$*\"; COMP_POINT=${#COMP_LINE}; COMPREPLY=();"
                         " _virtwire virtwire \"${COMP_WORDS[-1]}\" \"${COMP_WORDS[-2]}\";"
                         " echo \"[${COMPREPLY[*]}]\"; }\n"
                         "t virtwire net-d\n"
                         "t virtwire --js\n"
                         "t virtwire -r " +
                         root_ +
                         " net-start ''\n"
                         "t virtwire attach-interface test demo --m\n"
                         "t virtwire help net-l\n";
    std::string path = std::string("PATH=") + bindir + ":/usr/bin:/bin";
    const char *argv[] = { "/bin/bash", "-c", script.c_str(), nullptr };
    const char *envp[] = { path.c_str(), "LC_ALL=C", nullptr };
    g_autofree char *out = nullptr;
    int status = -1;
    ASSERT_TRUE(g_spawn_sync(nullptr, (char **)argv, (char **)envp, G_SPAWN_STDERR_TO_DEV_NULL,
                             nullptr, nullptr, &out, nullptr, &status, nullptr));
    EXPECT_STREQ(out, "[net-define net-destroy net-dumpxml]\n"
                      "[--json]\n"
                      "[demo]\n"
                      "[--mac --model]\n"
                      "[net-leases net-list]\n");
}
