#include <config.h>

#include "vw-hook-testutil.h"

#include <unistd.h>

#include <algorithm>
#include <functional>

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>

namespace vwhooktest {

std::string
HookPath()
{
    const char *p = g_getenv("VW_HOOK");
    return p ? p : "";
}

HookResult
RunHook(const std::vector<std::string> &args, const std::string &stdin_data,
        const std::map<std::string, std::optional<std::string>> &env)
{
    HookResult r;
    std::vector<const char *> argv = { nullptr };
    std::string hook = HookPath();
    argv[0] = hook.c_str();
    for (const auto &a : args)
        argv.push_back(a.c_str());
    argv.push_back(nullptr);

    // stdin comes from a file: the hook may exit without reading it (as
    // libvirtd allows), which must not race with a write into a pipe.
    g_autoptr(GError) error = nullptr;
    g_autofree char *in_path = nullptr;
    int fd = g_file_open_tmp("vw-hook-stdin-XXXXXX", &in_path, &error);
    if (fd < 0) {
        r.err = error->message;
        return r;
    }
    close(fd);
    if (!g_file_set_contents(in_path, stdin_data.data(), (gssize)stdin_data.size(), &error)) {
        g_unlink(in_path);
        r.err = error->message;
        return r;
    }
    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(
        (GSubprocessFlags)(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE));
    g_subprocess_launcher_set_stdin_file_path(l, in_path);
    for (const auto &kv : env) {
        if (!kv.second)
            g_subprocess_launcher_unsetenv(l, kv.first.c_str());
        else
            g_subprocess_launcher_setenv(l, kv.first.c_str(), kv.second->c_str(), TRUE);
    }
    g_autoptr(GSubprocess) p = g_subprocess_launcher_spawnv(l, argv.data(), &error);
    if (!p) {
        g_unlink(in_path);
        r.err = error->message;
        return r;
    }
    g_autoptr(GBytes) out = nullptr;
    g_autoptr(GBytes) err = nullptr;
    gboolean ok = g_subprocess_communicate(p, nullptr, nullptr, &out, &err, &error);
    g_unlink(in_path);
    if (!ok) {
        r.err = error->message;
        return r;
    }
    gsize n = 0;
    const char *d = out ? (const char *)g_bytes_get_data(out, &n) : nullptr;
    r.out.assign(d ? d : "", n);
    n = 0;
    d = err ? (const char *)g_bytes_get_data(err, &n) : nullptr;
    r.err.assign(d ? d : "", n);
    if (g_subprocess_get_if_exited(p))
        r.status = g_subprocess_get_exit_status(p);
    return r;
}

std::string
Slurp(const std::string &path)
{
    g_autofree char *text = nullptr;
    gsize len = 0;
    if (!g_file_get_contents(path.c_str(), &text, &len, nullptr))
        return "";
    return std::string(text, len);
}

std::vector<std::string>
TreeOf(const std::string &dir)
{
    std::vector<std::string> out;
    std::function<void(const std::string &)> walk = [&](const std::string &rel) {
        std::string full = rel.empty() ? dir : dir + "/" + rel;
        g_autoptr(GDir) d = g_dir_open(full.c_str(), 0, nullptr);
        const char *f;
        while (d && (f = g_dir_read_name(d))) {
            std::string r = rel.empty() ? f : rel + "/" + f;
            out.push_back(r);
            if (g_file_test((dir + "/" + r).c_str(), G_FILE_TEST_IS_DIR) &&
                !g_file_test((dir + "/" + r).c_str(), G_FILE_TEST_IS_SYMLINK))
                walk(r);
        }
    };
    walk("");
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace vwhooktest
