// The virtwire command line: output, exit codes (0 ok, 1 failure, 2 usage)
// and error messages that name the offending value.
#include <config.h>

#include <string>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>

namespace {

struct CliRun {
    int code = -1;
    std::string out;
    std::string err;
};

CliRun
Virtwire(std::vector<const char *> args)
{
    CliRun r;
    const char *exe = g_getenv("VW_VIRTWIRE");
    EXPECT_NE(exe, nullptr) << "meson sets VW_VIRTWIRE";
    std::vector<const char *> argv = { exe };
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(nullptr);
    g_autofree char *out = nullptr;
    g_autofree char *err = nullptr;
    g_autoptr(GError) error = nullptr;
    int status = 0;
    const char *envp[] = { "LC_ALL=C", "PATH=/usr/bin:/bin", nullptr };

    if (!exe)
        return r;
    EXPECT_TRUE(g_spawn_sync(nullptr, (char **)argv.data(), (char **)envp, G_SPAWN_DEFAULT,
                             nullptr, nullptr, &out, &err, &status, &error))
        << error->message;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    r.out = out ? out : "";
    r.err = err ? err : "";
    return r;
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
    EXPECT_NE(r.out.find(" 1     test                           running\n"), std::string::npos)
        << r.out;
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

    r = Virtwire({});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("Usage: virtwire"), std::string::npos) << r.err;
}

TEST(Cli, HelpListsCommandsAndDescribesOne)
{
    CliRun r = Virtwire({ "help" });
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("  list "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("  version "), std::string::npos) << r.out;

    r = Virtwire({ "help", "list" });
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("Usage: virtwire [OPTION...] list [--all]"), std::string::npos) << r.out;

    r = Virtwire({ "help", "nosuch" });
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("unknown command 'nosuch'"), std::string::npos) << r.err;
}
