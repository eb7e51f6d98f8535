// The virtwire command line: output, exit codes (0 ok, 1 failure, 2 usage),
// error messages that name the offending value, the hook's installation and
// translations.  No root.  The network and domain commands are in
// test-cli-net.cc.
#include <config.h>

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

bool
Contains(const std::string &haystack, const std::string &needle)
{
    return haystack.find(needle) != std::string::npos;
}

} // namespace

TEST(Cli, VersionNamesVirtwireAndLibvirt)
{
    CliRun r = Virtwire({ "version" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("virtwire " PACKAGE_VERSION "\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Using library: libvirt "), std::string::npos) << r.out;
    EXPECT_EQ(r.err, "");
}

TEST(Cli, ListShowsTheTestDriverDomain)
{
    CliRun r = Virtwire({ "-c", "test:///default", "list", "--all" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, " Id   Name   State\n"
                     "----------------------\n"
                     " 1    test   running\n");
}

TEST(Cli, ListAsJson)
{
    CliRun r = Virtwire({ "--json", "--connect=test:///default", "list" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "[{\"id\": 1, \"name\": \"test\", \"state\": \"running\"}]\n");
}

TEST(Cli, UnreachableHypervisorFailsNamingTheUri)
{
    CliRun r = Virtwire({ "-c", "vw-bogus:///nowhere", "list" });
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("cannot connect to 'vw-bogus:///nowhere': "), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
}

TEST(Cli, ConnectDefaultsToTheEnvironment)
{
    CliRun r = Virtwire({ "list" }, { "LIBVIRT_DEFAULT_URI=vw-bogus:///fromenv" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'vw-bogus:///fromenv'")) << r.err;
}

TEST(Cli, UsageErrorsExitTwoNamingTheValue)
{
    CliRun r = Virtwire({ "frobnicate" });
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;

    r = Virtwire({ "--bogus-option", "list" });
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("unknown option '--bogus-option'"), std::string::npos) << r.err;

    r = Virtwire({ "list", "extra" });
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("unexpected argument 'extra'"), std::string::npos) << r.err;

    r = Virtwire({ "-c", "test:///default", "list", "--nope" });
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--nope"), std::string::npos) << r.err;

    r = Virtwire({ "-c" });
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("'-c' needs a URI"), std::string::npos) << r.err;

    r = Virtwire({ "--root" });
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("'--root' needs a directory"), std::string::npos) << r.err;

    r = Virtwire({});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("Usage: virtwire"), std::string::npos) << r.err;
}

TEST(Cli, HelpListsCommandsAndDescribesOne)
{
    CliRun r = Virtwire({ "help" });
    EXPECT_EQ(r.code, 0);
    for (const char *cmd :
         { "attach-interface", "detach-interface", "gc", "help", "hook-install", "hook-uninstall",
           "list", "net-autostart", "net-define", "net-destroy", "net-dumpxml", "net-info",
           "net-leases", "net-list", "net-start", "net-undefine", "port-list", "version" })
        EXPECT_TRUE(Contains(r.out, std::string("\n  ") + cmd + " ")) << cmd << "\n" << r.out;

    r = Virtwire({ "help", "list" });
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("Usage: virtwire [OPTION...] list [--all]"), std::string::npos) << r.out;

    r = Virtwire({ "help", "attach-interface" });
    EXPECT_EQ(r.code, 0);
    EXPECT_TRUE(Contains(r.out, "attach-interface DOMAIN NETWORK [--mac MAC]")) << r.out;
}

TEST(Cli, NetDefineStoresAGoodDefinition)
{
    TempDir dir;
    std::string root = dir.path() + "/root";
    std::string xml = dir.Write("demo.xml", kGoodNet);

    CliRun r = Virtwire({ "-r", root.c_str(), "net-define", xml.c_str() });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "Network demo defined from " + xml + "\n");
    EXPECT_TRUE(
        g_file_test((root + "/etc/virtwire/networks/demo.xml").c_str(), G_FILE_TEST_IS_REGULAR));

    // VIRTWIRE_ROOT is the default root
    r = Virtwire({ "net-list", "--all", "--name" }, { "VIRTWIRE_ROOT=" + root });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "demo\n");
}

TEST(Cli, NetDefineRefusesBadInputNamingItAndWritesNothing)
{
    TempDir dir;
    std::string root = dir.path() + "/root";
    std::string netdir = root + "/etc/virtwire/networks";
    struct Case {
        const char *file;
        const char *xml;
        const char *expect;
    } cases[] = {
        { "prefix.xml", "<network><name>bad1</name><ip address='10.78.0.1' prefix='33'/></network>",
          "'33'" },
        { "name.xml", "<network><name>../etc</name></network>", "'../etc'" },
        { "notxml.xml", "<network><name>x</name>", "notxml.xml: " },
        { "element.xml", "<network><name>bad2</name><frobnicate/></network>", "frobnicate" },
        { "entity.xml",
          "<!DOCTYPE n [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><network><name>&e;</name>"
          "</network>",
          "entity.xml: " },
    };
    for (const Case &c : cases) {
        std::string path = dir.Write(c.file, c.xml);
        CliRun r = Virtwire({ "-r", root.c_str(), "net-define", path.c_str() });
        EXPECT_EQ(r.code, 1) << c.file << ": " << r.out;
        EXPECT_TRUE(g_str_has_prefix(r.err.c_str(), "error: ")) << r.err;
        EXPECT_TRUE(Contains(r.err, c.expect)) << c.file << ": " << r.err;
        EXPECT_EQ(r.out, "");
    }
    // nothing was stored
    g_autoptr(GDir) d = g_dir_open(netdir.c_str(), 0, nullptr);
    if (d) {
        for (const char *n; (n = g_dir_read_name(d));)
            EXPECT_FALSE(g_str_has_suffix(n, ".xml")) << n;
    }
    CliRun r = Virtwire({ "-r", root.c_str(), "--json", "net-list", "--all" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "[]\n");

    std::string missing = dir.path() + "/missing.xml";
    r = Virtwire({ "-r", root.c_str(), "net-define", missing.c_str() });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "cannot read '" + missing + "'")) << r.err;
}

// A file that never ends (/dev/zero) is read only up to the XML limit plus
// one byte.  virtwire runs with its address space capped at 400 MiB, far
// below what reading /dev/zero whole would take: a reader without a bound
// dies of it (no exit code 1), one with a bound fails at once naming the
// file and the limit.
TEST(Cli, NetDefineReadsAnEndlessFileOnlyUpToTheLimit)
{
    TempDir dir;
    std::string root = dir.path() + "/root";
    const char *exe = g_getenv("VW_VIRTWIRE");
    ASSERT_NE(exe, nullptr);
    std::string cmd = "ulimit -v 409600 && exec '" + std::string(exe) + "' -r '" + root +
                      "' net-define /dev/zero";
    const char *argv[] = { "/bin/sh", "-c", cmd.c_str(), nullptr };
    const char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", nullptr };
    g_autofree char *out = nullptr;
    g_autofree char *err = nullptr;
    int status = -1;
    ASSERT_TRUE(g_spawn_sync(nullptr, (char **)argv, (char **)envp, G_SPAWN_DEFAULT, nullptr,
                             nullptr, &out, &err, &status, nullptr));
    ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << ": " << err;
    EXPECT_EQ(WEXITSTATUS(status), 1) << err;
    EXPECT_TRUE(Contains(err, "'/dev/zero'")) << err;
    EXPECT_TRUE(Contains(err, "limit of 1048576 bytes")) << err;
    EXPECT_STREQ(out, "");
    EXPECT_FALSE(g_file_test((root + "/etc/virtwire/networks").c_str(), G_FILE_TEST_EXISTS))
        << "nothing is stored";
}

// attach in one run, then load what libvirt stored as a custom test driver
// node and detach from it in a second run.
TEST(Cli, HookInstallLinksTheHookAndUninstallRemovesIt)
{
    TempDir dir;
    std::string hooks = dir.path() + "/etc/libvirt/hooks/qemu.d";
    std::string fake = dir.Write("virtwire-hook", "#!/bin/sh\nexit 0\n");
    std::string link = hooks + "/virtwire";
    ASSERT_EQ(chmod(fake.c_str(), 0755), 0);

    CliRun r = Virtwire({ "-c", "test:///default", "hook-install", "--hooks-dir", hooks.c_str(),
                          "--hook", fake.c_str() });
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "Hook installed: " + link + " -> " + fake + "\n")) << r.out;
    EXPECT_TRUE(Contains(r.out, "after it is restarted")) << r.out;
    g_autofree char *target = g_file_read_link(link.c_str(), nullptr);
    ASSERT_NE(target, nullptr);
    EXPECT_EQ(std::string(target), fake);

    // again: replaces its own link
    r = Virtwire({ "-c", "test:///default", "hook-install", "--hooks-dir", hooks.c_str(), "--hook",
                   fake.c_str() });
    EXPECT_EQ(r.code, 0) << r.err;

    r = Virtwire({ "hook-uninstall", "--hooks-dir", hooks.c_str() });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "Hook removed: " + link)) << r.out;
    EXPECT_FALSE(g_file_test(link.c_str(), G_FILE_TEST_EXISTS));
    EXPECT_TRUE(g_file_test(fake.c_str(), G_FILE_TEST_IS_REGULAR)) << "the hook itself stays";

    r = Virtwire({ "hook-uninstall", "--hooks-dir", hooks.c_str() });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "is not installed")) << r.out;
}

TEST(Cli, HookInstallLeavesForeignFilesAlone)
{
    TempDir dir;
    std::string hooks = dir.path() + "/qemu.d";
    ASSERT_EQ(g_mkdir_with_parents(hooks.c_str(), 0755), 0);
    std::string foreign = dir.Write("qemu.d/virtwire", "#!/bin/sh\necho mine\n");
    std::string fake = dir.Write("virtwire-hook", "#!/bin/sh\n");
    ASSERT_EQ(chmod(fake.c_str(), 0755), 0);

    CliRun r = Virtwire({ "-c", "test:///default", "hook-install", "--hooks-dir", hooks.c_str(),
                          "--hook", fake.c_str() });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'" + foreign + "' exists and was not installed by virtwire"))
        << r.err;
    r = Virtwire({ "hook-uninstall", "--hooks-dir", hooks.c_str() });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'" + foreign + "'")) << r.err;
    g_autofree char *text = nullptr;
    ASSERT_TRUE(g_file_get_contents(foreign.c_str(), &text, nullptr, nullptr));
    EXPECT_STREQ(text, "#!/bin/sh\necho mine\n");

    // a hook that is not executable is refused, naming it
    std::string plain = dir.Write("plain-hook", "x");
    r = Virtwire({ "-c", "test:///default", "hook-install", "--hooks-dir",
                   (dir.path() + "/other").c_str(), "--hook", plain.c_str() });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'" + plain + "' is not an executable file")) << r.err;
}

// A root without networks: gc must not touch the ports of other roots'
// networks (the engine collects port links by network name).
TEST(Cli, GcWithoutAConnectionCollectsNothing)
{
    TempDir dir;
    std::string root = dir.path() + "/root";
    CliRun r = Virtwire({ "-r", root.c_str(), "-c", "test:///default", "gc" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "Ports collected:           0\n")) << r.out;

    r = Virtwire({ "-r", root.c_str(), "-c", "vw-bogus:///nowhere", "gc" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'vw-bogus:///nowhere'")) << r.err;
    EXPECT_TRUE(Contains(r.err, "no port was collected")) << r.err;
    EXPECT_EQ(r.out, "");

    r = Virtwire({ "-r", root.c_str(), "-c", "test:///default", "--json", "gc" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(g_str_has_prefix(r.out.c_str(), "{\"networks_repaired\": 0, ")) << r.out;
}

// po/de.po is built into the build tree; VIRTWIRE_LOCALEDIR points there.
TEST(Cli, SpeaksGerman)
{
    std::vector<std::string> env = { "LANGUAGE=de", "LC_ALL=C.UTF-8",
                                     "VIRTWIRE_LOCALEDIR=" VW_BUILD_ROOT "/po" };
    std::string mo = VW_BUILD_ROOT "/po/de/LC_MESSAGES/" GETTEXT_PACKAGE ".mo";
    ASSERT_TRUE(g_file_test(mo.c_str(), G_FILE_TEST_IS_REGULAR)) << mo << " is built with po/";
    TempDir dir;
    std::string root = dir.path() + "/root";

    CliRun r = Virtwire({ "frobnicate" }, env);
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "Fehler: unbekannter Befehl »frobnicate«; siehe »virtwire help«\n");

    // an engine message, translated too, naming the value
    r = Virtwire({ "-r", root.c_str(), "net-info", "nosuch" }, env);
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(g_str_has_prefix(r.err.c_str(), "Fehler: ")) << r.err;
    EXPECT_TRUE(Contains(r.err, "nosuch")) << r.err;
    EXPECT_FALSE(Contains(r.err, "not defined")) << r.err;

    r = Virtwire({ "help" }, env);
    EXPECT_TRUE(Contains(r.out, "Aufruf: virtwire")) << r.out;
}

// tools/completion/virtwire.bash, sourced after bash-completion: commands,
// options, and network names from `net-list --all --name` of the same root.