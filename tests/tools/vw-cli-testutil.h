// Helpers of the CLI suites: run the virtwire binary that meson names in
// $VW_VIRTWIRE, and temporary directories removed even when a test fails.
// Header-only, so that each suite is one source file.
#pragma once

#include <cerrno>
#include <string>
#include <vector>

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

namespace vwtest
{

struct CliRun {
    int code = -1;
    std::string out;
    std::string err;
};

// Run virtwire with @args in a clean environment (LC_ALL=C, PATH) plus
// @env ("NAME=VALUE" each).
inline CliRun
Virtwire(std::vector<const char *> args, std::vector<std::string> env = {})
{
    CliRun r;
    const char *exe = g_getenv("VW_VIRTWIRE");
    EXPECT_NE(exe, nullptr) << "meson sets VW_VIRTWIRE";
    if (!exe)
        return r;
    std::vector<const char *> argv = { exe };
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(nullptr);
    std::vector<std::string> envs = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin" };
    bool has_lc_all = false;
    for (const std::string &e : env)
        has_lc_all = has_lc_all || e.rfind("LC_ALL=", 0) == 0;
    if (!has_lc_all)
        envs.push_back("LC_ALL=C");
    envs.insert(envs.end(), env.begin(), env.end());
    std::vector<const char *> envp;
    for (const std::string &e : envs)
        envp.push_back(e.c_str());
    envp.push_back(nullptr);
    g_autofree char *out = nullptr;
    g_autofree char *err = nullptr;
    g_autoptr(GError) error = nullptr;
    int status = 0;

    EXPECT_TRUE(g_spawn_sync(nullptr, (char **)argv.data(), (char **)envp.data(), G_SPAWN_DEFAULT,
                             nullptr, nullptr, &out, &err, &status, &error))
        << (error ? error->message : "");
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    r.out = out ? out : "";
    r.err = err ? err : "";
    return r;
}

// Remove @path and everything under it (symlinks are removed, not followed).
inline void
RemoveTree(const std::string &path)
{
    if (g_file_test(path.c_str(), G_FILE_TEST_IS_DIR) &&
        !g_file_test(path.c_str(), G_FILE_TEST_IS_SYMLINK)) {
        g_autoptr(GDir) d = g_dir_open(path.c_str(), 0, nullptr);
        for (const char *n; d && (n = g_dir_read_name(d));)
            RemoveTree(path + "/" + n);
        g_rmdir(path.c_str());
    } else {
        g_unlink(path.c_str());
    }
}

// A temporary directory, removed with its contents by the destructor.
class TempDir
{
  public:
    TempDir()
    {
        g_autoptr(GError) error = nullptr;
        g_autofree char *p = g_dir_make_tmp("vw-cli-XXXXXX", &error);
        EXPECT_NE(p, nullptr) << (error ? error->message : "");
        if (p)
            path_ = p;
    }
    // A directory (mode 0700) in @base instead of the temporary folder.
    explicit TempDir(const std::string &base)
    {
        std::string tmpl = base + "/vw-cli-XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        EXPECT_NE(g_mkdtemp(buf.data()), nullptr) << tmpl << ": " << g_strerror(errno);
        if (buf[0] && g_file_test(buf.data(), G_FILE_TEST_IS_DIR))
            path_ = buf.data();
    }
    ~TempDir()
    {
        if (!path_.empty())
            RemoveTree(path_);
    }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;

    bool ok() const
    {
        return !path_.empty();
    }
    const std::string &path() const
    {
        return path_;
    }

    // Write @text to @name (relative to the directory); returns the path.
    std::string Write(const std::string &name, const std::string &text) const
    {
        std::string p = path_ + "/" + name;
        g_autoptr(GError) error = nullptr;
        EXPECT_TRUE(g_file_set_contents(p.c_str(), text.c_str(), (gssize)text.size(), &error))
            << (error ? error->message : "");
        return p;
    }

  private:
    std::string path_;
};

} // namespace vwtest
