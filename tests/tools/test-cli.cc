// The virtwire command line: output, exit codes (0 ok, 1 failure, 2 usage),
// error messages that name the offending value, the hook's installation and
// translations.  No root (the hook-install tests need it and skip without).  The network and domain
// commands are in test-cli-net.cc.
#include <config.h>

#include <csignal>
#include <cerrno>
#include <string>
#include <vector>

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

// libvirtd runs the hook as root, so hook-install accepts only a hook and
// folders that root alone may change: its tests need a scratch folder in a
// folder that is root's (not the temporary folder, which anyone may write),
// and root to make root's files.  "" when there is none.
std::string
TrustedBase()
{
    struct stat st;
    if (geteuid() != 0)
        return "";
    for (const char *dir : { "/", "/run" }) {
        if (stat(dir, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022))
            return "";
    }
    return "/run";
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

// -c unset: libvirt chooses (LIBVIRT_DEFAULT_URI, else uri_default of its
// libvirt.conf), not a URI virtwire would hard-code.  uri_default is read
// from $XDG_CONFIG_HOME/libvirt/libvirt.conf by a user other than root.
TEST(Cli, ConnectUnsetLeavesTheUriToLibvirtsDefault)
{
    if (geteuid() != 0 || !g_file_test("/usr/bin/setpriv", G_FILE_TEST_IS_EXECUTABLE))
        GTEST_SKIP() << "needs root and setpriv to run as another user";
    TempDir dir;
    ASSERT_TRUE(dir.ok());
    ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
    ASSERT_EQ(g_mkdir((dir.path() + "/libvirt").c_str(), 0755), 0);
    dir.Write("libvirt/libvirt.conf", "uri_default = \"test:///default\"\n");
    std::string xdg = "XDG_CONFIG_HOME=" + dir.path();
    std::string home = "HOME=" + dir.path();
    std::string vw = g_getenv("VW_VIRTWIRE");
    const char *argv[] = { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           vw.c_str(), "list", nullptr };
    const char *envp[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", xdg.c_str(), home.c_str(), nullptr };
    g_autofree char *out = nullptr;
    g_autofree char *err = nullptr;
    int status = -1;
    ASSERT_TRUE(g_spawn_sync(nullptr, (char **)argv, (char **)envp, G_SPAWN_DEFAULT, nullptr,
                             nullptr, &out, &err, &status, nullptr));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << err;
    EXPECT_TRUE(Contains(out, " 1    test   running\n")) << out << err;
}

// -c after the command is the URI used, and the one a failure names.
TEST(Cli, ConnectAfterTheCommandIsTheUriUsed)
{
    CliRun r = Virtwire({ "list", "-c", "vw-bogus:///after" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'vw-bogus:///after'")) << r.err;
    EXPECT_FALSE(Contains(r.err, "qemu:///system")) << r.err;
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
         { "attach-interface", "detach-interface", "domiflist", "gc", "help", "hook-install",
           "hook-uninstall", "list", "net-autostart", "net-define", "net-destroy", "net-dumpxml", "net-info",
           "net-edit", "net-leases", "net-list", "net-start", "net-undefine", "port-list",
           "version" })
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

// A file that never ends is read only up to the XML limit plus one byte:
// virtwire reads /dev/stdin, a pipe this test keeps full of zeros until
// virtwire closes it.  A reader without a bound would take everything the
// test offers (64 MiB, then end of file); one with a bound takes about the
// limit (plus what the pipe holds), fails naming the file and the limit,
// and stores nothing.  (No address-space cap: ASan cannot start under one.)
TEST(Cli, NetDefineReadsAnEndlessFileOnlyUpToTheLimit)
{
    TempDir dir;
    std::string root = dir.path() + "/root";
    const char *exe = g_getenv("VW_VIRTWIRE");
    ASSERT_NE(exe, nullptr);
    const char *argv[] = { exe, "-r", root.c_str(), "net-define", "/dev/stdin", nullptr };
    const char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", nullptr };
    GPid pid = 0;
    int in = -1, out = -1, err = -1;
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(g_spawn_async_with_pipes(nullptr, (char **)argv, (char **)envp,
                                         G_SPAWN_DO_NOT_REAP_CHILD, nullptr, nullptr, &pid, &in,
                                         &out, &err, &error))
        << error->message;

    const size_t offered_max = 64u << 20;
    std::vector<char> zeros(64 << 10, 0);
    size_t offered = 0;
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    while (offered < offered_max) {
        ssize_t n = write(in, zeros.data(), zeros.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* EPIPE: virtwire closed its end */
        offered += (size_t)n;
    }
    close(in);
    signal(SIGPIPE, old);
    int status = -1;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    g_spawn_close_pid(pid);
    std::string text_out, text_err;
    for (auto [fd, text] : { std::pair<int, std::string *>{ out, &text_out }, { err, &text_err } }) {
        char buf[4096];
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
            text->append(buf, (size_t)n);
        close(fd);
    }

    EXPECT_LT(offered, (size_t)(4u << 20)) << "virtwire read " << offered << " bytes";
    ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << ": " << text_err;
    EXPECT_EQ(WEXITSTATUS(status), 1) << text_err;
    EXPECT_TRUE(Contains(text_err, "'/dev/stdin'")) << text_err;
    EXPECT_TRUE(Contains(text_err, "limit of 1048576 bytes")) << text_err;
    EXPECT_EQ(text_out, "");
    EXPECT_FALSE(g_file_test((root + "/etc/virtwire/networks").c_str(), G_FILE_TEST_EXISTS))
        << "nothing is stored";
}

// attach in one run, then load what libvirt stored as a custom test driver
// node and detach from it in a second run.
TEST(Cli, HookInstallLinksTheHookAndUninstallRemovesIt)
{
    if (TrustedBase().empty())
        GTEST_SKIP() << "needs root and a folder of root's (/run)";
    TempDir dir(TrustedBase());
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
    if (TrustedBase().empty())
        GTEST_SKIP() << "needs root and a folder of root's (/run)";
    TempDir dir(TrustedBase());
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

// libvirtd runs the hook as root: a hook, or a folder on the way to it or to
// the hooks folder, that anyone but root may change is refused, naming it,
// and nothing is installed.
TEST(Cli, HookInstallRefusesAHookOrFolderOthersMayChange)
{
    if (TrustedBase().empty())
        GTEST_SKIP() << "needs root and a folder of root's (/run)";
    TempDir dir(TrustedBase());
    ASSERT_TRUE(dir.ok());
    const std::string d = dir.path();
    auto mkdir_mode = [](const std::string &path, mode_t mode) {
        ASSERT_EQ(g_mkdir_with_parents(path.c_str(), 0755), 0) << path;
        ASSERT_EQ(chmod(path.c_str(), mode), 0) << path;
    };
    auto hook_at = [&](const std::string &name, mode_t mode) {
        std::string p = dir.Write(name, "#!/bin/sh\nexit 0\n");
        EXPECT_EQ(chmod(p.c_str(), mode), 0) << p;
        return p;
    };
    const char *kWritable = "is writable by group or others";

    struct Case {
        std::string what, hook, hooks_dir, offender, message;
    };
    std::vector<Case> cases;

    // the hook itself
    cases.push_back({ "world-writable hook", hook_at("ww-hook", 0777), d + "/h1/qemu.d",
                      d + "/ww-hook", kWritable });
    cases.push_back({ "group-writable hook", hook_at("gw-hook", 0775), d + "/h2/qemu.d",
                      d + "/gw-hook", kWritable });
    std::string foreign = hook_at("foreign-hook", 0755);
    ASSERT_EQ(chown(foreign.c_str(), 65534, 65534), 0);
    cases.push_back({ "hook of another user", foreign, d + "/h3/qemu.d", foreign,
                      "is owned by user 65534, not by root" });
    // a folder above the hook: world-writable, sticky too, another user's
    mkdir_mode(d + "/ww", 0777);
    cases.push_back({ "hook in a world-writable folder", hook_at("ww/virtwire-hook", 0755),
                      d + "/h4/qemu.d", d + "/ww", kWritable });
    mkdir_mode(d + "/sticky", 01777);
    cases.push_back({ "hook in a sticky world-writable folder",
                      hook_at("sticky/virtwire-hook", 0755), d + "/h5/qemu.d", d + "/sticky",
                      kWritable });
    mkdir_mode(d + "/users/bin", 0755);
    ASSERT_EQ(chown((d + "/users").c_str(), 65534, 65534), 0);
    cases.push_back({ "hook under a folder of another user",
                      hook_at("users/bin/virtwire-hook", 0755), d + "/h6/qemu.d", d + "/users",
                      "is owned by user 65534" });
    // a safe link to a hook in a world-writable folder
    std::string via = d + "/via-link";
    ASSERT_EQ(symlink((d + "/ww/virtwire-hook").c_str(), via.c_str()), 0);
    cases.push_back({ "link to a hook in a world-writable folder", via, d + "/h7/qemu.d", d + "/ww",
                      kWritable });
    // the hooks folder: one that exists and anyone may write, one to be made in such a folder
    std::string good = hook_at("good-hook", 0755);
    mkdir_mode(d + "/h8/qemu.d", 0777);
    cases.push_back(
        { "world-writable hooks folder", good, d + "/h8/qemu.d", d + "/h8/qemu.d", kWritable });
    mkdir_mode(d + "/h9", 0777);
    cases.push_back({ "hooks folder to be made in a world-writable folder", good,
                      d + "/h9/etc/qemu.d", d + "/h9", kWritable });

    // ".." after a link goes up from the link's target, as the kernel resolves
    // it, not from the folder that holds the link ("link/.." is not ".")
    mkdir_mode(d + "/ww/sub", 0755);
    ASSERT_EQ(symlink((d + "/ww/sub").c_str(), (d + "/to-ww-sub").c_str()), 0);
    cases.push_back({ "hooks folder past '..' after a link into a world-writable folder", good,
                      d + "/to-ww-sub/../h10/qemu.d", d + "/ww", kWritable });
    cases.push_back({ "hook past '..' after a link into a world-writable folder",
                      d + "/to-ww-sub/../virtwire-hook", d + "/h11/qemu.d", d + "/ww",
                      kWritable });

    for (const Case &c : cases) {
        CliRun r = Virtwire({ "-c", "test:///default", "hook-install", "--hooks-dir",
                              c.hooks_dir.c_str(), "--hook", c.hook.c_str() });
        EXPECT_EQ(r.code, 1) << c.what << ": " << r.out;
        EXPECT_TRUE(
            Contains(r.err, "error: cannot install the hook: '" + c.offender + "' " + c.message))
            << c.what << ": " << r.err;
        EXPECT_TRUE(Contains(r.err, "libvirtd runs the hook as root")) << r.err;
        EXPECT_EQ(r.out, "") << c.what;
        // nothing installed, no folder made
        struct stat st;
        EXPECT_NE(lstat((c.hooks_dir + "/virtwire").c_str(), &st), 0) << c.what;
        if (c.what == "hooks folder to be made in a world-writable folder") {
            EXPECT_FALSE(g_file_test((d + "/h9/etc").c_str(), G_FILE_TEST_EXISTS));
        }
    }

    // the same hook and folders once only root may change them: installed
    ASSERT_EQ(chmod((d + "/h8/qemu.d").c_str(), 0755), 0);
    CliRun r = Virtwire({ "-c", "test:///default", "hook-install", "--hooks-dir",
                          (d + "/h8/qemu.d").c_str(), "--hook", good.c_str() });
    EXPECT_EQ(r.code, 0) << r.err;
    g_autofree char *target = g_file_read_link((d + "/h8/qemu.d/virtwire").c_str(), nullptr);
    EXPECT_STREQ(target, good.c_str());

    // ".." after a link into a safe folder: the hook lands where the kernel
    // resolves the path (beside the link's target), not beside the link
    mkdir_mode(d + "/safe/sub", 0755);
    ASSERT_EQ(symlink((d + "/safe/sub").c_str(), (d + "/to-safe-sub").c_str()), 0);
    r = Virtwire({ "-c", "test:///default", "hook-install", "--hooks-dir",
                   (d + "/to-safe-sub/../h12/qemu.d").c_str(), "--hook", good.c_str() });
    EXPECT_EQ(r.code, 0) << r.err;
    struct stat st;
    EXPECT_EQ(lstat((d + "/safe/h12/qemu.d/virtwire").c_str(), &st), 0);
    EXPECT_FALSE(g_file_test((d + "/h12").c_str(), G_FILE_TEST_EXISTS));
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