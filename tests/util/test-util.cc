// src/util: atomic files, locks, port names and aliases, state paths, fault
// injection.  Suite unit: no root needed (everything happens in a temporary
// directory), processes are forked where a property is about processes.
#include <config.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <memory>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "vw-atomic.h"
#include "vw-fault.h"
#include "vw-fs.h"
#include "vw-lock.h"
#include "vw-names.h"
#include "vw-paths.h"
#include "vw-util-error.h"

namespace
{

// A temporary directory removed with everything in it, also when a test fails.
class TempDir
{
  public:
    TempDir()
    {
        g_autoptr(GError) error = nullptr;
        char *dir = g_dir_make_tmp("vw-util-XXXXXX", &error);
        if (!dir)
            ADD_FAILURE() << "cannot make a temporary directory: " << error->message;
        path_ = dir ? dir : "";
        g_free(dir);
    }
    ~TempDir()
    {
        if (!path_.empty())
            RemoveTree(path_);
    }
    const std::string &path() const
    {
        return path_;
    }
    std::string operator/(const std::string &name) const
    {
        return path_ + "/" + name;
    }

    static void RemoveTree(const std::string &path)
    {
        struct stat st;
        if (lstat(path.c_str(), &st) < 0)
            return;
        if (S_ISDIR(st.st_mode)) {
            g_autoptr(GDir) dir = g_dir_open(path.c_str(), 0, nullptr);
            while (const char *name = dir ? g_dir_read_name(dir) : nullptr)
                RemoveTree(path + "/" + name);
            rmdir(path.c_str());
        } else {
            unlink(path.c_str());
        }
    }

  private:
    std::string path_;
};

// Sets (or unsets, with nullptr) an environment variable for a scope.
class EnvGuard
{
  public:
    EnvGuard(const char *name, const char *value) : name_(name)
    {
        const char *old = g_getenv(name);
        had_ = old != nullptr;
        if (old)
            old_ = old;
        if (value)
            g_setenv(name, value, TRUE);
        else
            g_unsetenv(name);
    }
    ~EnvGuard()
    {
        if (had_)
            g_setenv(name_.c_str(), old_.c_str(), TRUE);
        else
            g_unsetenv(name_.c_str());
    }

  private:
    std::string name_, old_;
    bool had_ = false;
};

std::string
ReadFile(const std::string &path)
{
    g_autofree char *data = nullptr;
    gsize len = 0;
    if (!g_file_get_contents(path.c_str(), &data, &len, nullptr))
        return "<unreadable>";
    return std::string(data, len);
}

std::vector<std::string>
ListDir(const std::string &path)
{
    std::vector<std::string> names;
    g_autoptr(GDir) dir = g_dir_open(path.c_str(), 0, nullptr);
    while (const char *name = dir ? g_dir_read_name(dir) : nullptr)
        names.push_back(name);
    std::sort(names.begin(), names.end());
    return names;
}

int
FileMode(const std::string &path)
{
    struct stat st;
    if (stat(path.c_str(), &st) < 0)
        return -1;
    return (int)(st.st_mode & 07777);
}

// Run @fn in a forked child and return its exit status (-1 if it did not exit).
template <typename Fn>
int
InChild(Fn fn)
{
    fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(fn());
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ---- atomic files -----------------------------------------------------------

TEST(Atomic, WritesContentWithExactModeDespiteUmask)
{
    TempDir tmp;
    std::string file = tmp / "state.json";
    mode_t old_umask = umask(077);
    g_autoptr(GError) error = nullptr;
    bool ok = vw_file_write_atomic(file.c_str(), "hello\n", -1, 0644, &error);
    umask(old_umask);
    ASSERT_TRUE(ok) << error->message;
    EXPECT_EQ(ReadFile(file), "hello\n");
    EXPECT_EQ(FileMode(file), 0644);
}

TEST(Atomic, ExplicitLengthKeepsEmbeddedNul)
{
    TempDir tmp;
    std::string file = tmp / "bin";
    const char data[] = { 'a', '\0', 'b' };
    ASSERT_TRUE(vw_file_write_atomic(file.c_str(), data, sizeof(data), 0600, nullptr));
    EXPECT_EQ(ReadFile(file), std::string(data, sizeof(data)));
    EXPECT_EQ(FileMode(file), 0600);
}

TEST(Atomic, ReplacesOldContentAndLeavesNoTemporaryFiles)
{
    TempDir tmp;
    std::string file = tmp / "f";
    ASSERT_TRUE(vw_file_write_atomic(file.c_str(), "old", -1, 0644, nullptr));
    ASSERT_TRUE(vw_file_write_atomic(file.c_str(), "new content", -1, 0640, nullptr));
    EXPECT_EQ(ReadFile(file), "new content");
    EXPECT_EQ(FileMode(file), 0640);
    EXPECT_EQ(ListDir(tmp.path()), std::vector<std::string>{ "f" });
}

TEST(Atomic, MissingDirectoryErrorNamesThePath)
{
    TempDir tmp;
    std::string file = tmp / "no-such-dir/f";
    g_autoptr(GError) error = nullptr;
    EXPECT_FALSE(vw_file_write_atomic(file.c_str(), "x", -1, 0644, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO));
    EXPECT_NE(std::string(error->message).find("'" + file + "'"), std::string::npos)
        << error->message;
    EXPECT_TRUE(ListDir(tmp.path()).empty());
}

TEST(Atomic, FailedRenameKeepsTargetAndRemovesTemporaryFile)
{
    TempDir tmp;
    std::string target = tmp / "a-directory";
    ASSERT_EQ(mkdir(target.c_str(), 0755), 0);
    g_autoptr(GError) error = nullptr;
    EXPECT_FALSE(vw_file_write_atomic(target.c_str(), "x", -1, 0644, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find(target), std::string::npos) << error->message;
    EXPECT_EQ(ListDir(tmp.path()), std::vector<std::string>{ "a-directory" });
}

// Runtime state (VW_ATOMIC_NO_SYNC) replaces an existing file by swapping
// names: the result is the same as a rename's — a new file (a reader that
// opened the old one keeps reading the old content), the asked-for mode, no
// temporary file left.
TEST(Atomic, NoSyncReplacesWithANewFileAndLeavesNoTemporaryFiles)
{
    TempDir tmp;
    std::string file = tmp / "status.json";
    ASSERT_TRUE(vw_file_write_atomic_full(file.c_str(), "old", -1, 0644, VW_ATOMIC_NO_SYNC,
                                          nullptr));
    int old_fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(old_fd, 0);
    for (const char *content : { "new content", "newer" }) {
        g_autoptr(GError) error = nullptr;
        ASSERT_TRUE(vw_file_write_atomic_full(file.c_str(), content, -1, 0600, VW_ATOMIC_NO_SYNC,
                                              &error))
            << error->message;
        EXPECT_EQ(ReadFile(file), content);
        EXPECT_EQ(FileMode(file), 0600);
        EXPECT_EQ(ListDir(tmp.path()), std::vector<std::string>{ "status.json" });
    }
    char buf[8] = { 0 };
    EXPECT_EQ(pread(old_fd, buf, sizeof(buf) - 1, 0), 3);
    EXPECT_STREQ(buf, "old");
    close(old_fd);
}

// What is at the name and is not a regular file is treated as rename()
// treats it: a directory is refused and left alone, a symbolic link is
// replaced (its target is not written through).
TEST(Atomic, NoSyncTreatsADirectoryOrALinkAsRenameDoes)
{
    TempDir tmp;
    std::string dir = tmp / "a-directory";
    std::string target = tmp / "target";
    std::string link = tmp / "link";
    ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
    g_autoptr(GError) error = nullptr;
    EXPECT_FALSE(vw_file_write_atomic_full(dir.c_str(), "x", -1, 0644, VW_ATOMIC_NO_SYNC, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find(dir), std::string::npos) << error->message;
    EXPECT_EQ(ListDir(tmp.path()), std::vector<std::string>{ "a-directory" });
    EXPECT_EQ(ListDir(dir), std::vector<std::string>{});

    ASSERT_TRUE(vw_file_write_atomic(target.c_str(), "kept", -1, 0644, nullptr));
    ASSERT_EQ(symlink("target", link.c_str()), 0);
    ASSERT_TRUE(vw_file_write_atomic_full(link.c_str(), "own", -1, 0644, VW_ATOMIC_NO_SYNC,
                                          nullptr));
    struct stat st;
    ASSERT_EQ(lstat(link.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(ReadFile(link), "own");
    EXPECT_EQ(ReadFile(target), "kept");
    EXPECT_EQ(ListDir(tmp.path()), (std::vector<std::string>{ "a-directory", "link", "target" }));
}

// A write that fails half-way (the file size limit, EFBIG) leaves the old
// content and no temporary file.  In a child: the limit is per process.
TEST(Atomic, FailedWriteKeepsOldContent)
{
    TempDir tmp;
    std::string file = tmp / "db";
    ASSERT_TRUE(vw_file_write_atomic(file.c_str(), "old content", -1, 0644, nullptr));
    int status = InChild([&]() {
        struct rlimit lim = { 4096, 4096 };
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &lim) < 0)
            return 10;
        std::string big(1 << 20, 'x');
        GError *error = nullptr;
        if (vw_file_write_atomic(file.c_str(), big.c_str(), (gssize)big.size(), 0644, &error))
            return 11;
        bool named = strstr(error->message, file.c_str()) != nullptr;
        g_error_free(error);
        return named ? 0 : 12;
    });
    EXPECT_EQ(status, 0) << "10: setrlimit failed, 11: write succeeded, 12: path not named";
    EXPECT_EQ(ReadFile(file), "old content");
    EXPECT_EQ(ListDir(tmp.path()), std::vector<std::string>{ "db" });
}

// A crash between the write and the rename (the fault point
// util-atomic-rename) leaves the old content intact.  The death test
// re-executes this test in a child (so that it reads VIRTWIRE_FAULT afresh);
// the child finds the parent's directory in VW_TEST_CRASH_DIR.
TEST(Atomic, CrashBeforeRenameKeepsOldContent)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    const char *inherited = g_getenv("VW_TEST_CRASH_DIR");
    std::unique_ptr<TempDir> tmp;
    std::string dir;
    if (inherited) {
        dir = inherited;
    } else {
        tmp = std::make_unique<TempDir>();
        dir = tmp->path();
    }
    std::string file = dir + "/db";
    if (!inherited) {
        ASSERT_TRUE(vw_file_write_atomic(file.c_str(), "old content", -1, 0644, nullptr));
    }
    EnvGuard guard("VW_TEST_CRASH_DIR", dir.c_str());
    EXPECT_EXIT(
        {
            g_setenv(VW_FAULT_ENV, VW_FAULT_ATOMIC_RENAME, TRUE);
            vw_file_write_atomic(file.c_str(), "new content", -1, 0644, nullptr);
            _exit(0);
        },
        ::testing::ExitedWithCode(VW_FAULT_EXIT_CODE), "^$");
    EXPECT_EQ(ReadFile(file), "old content");
    // The crash left the synced temporary file behind, and nothing else.
    std::vector<std::string> names = ListDir(dir);
    ASSERT_EQ(names.size(), 2u);
    EXPECT_EQ(names[0].rfind(".db.", 0), 0u) << names[0];
    EXPECT_EQ(ReadFile(dir + "/" + names[0]), "new content");
}

TEST(Atomic, MkdirCreatesParentsWithExactModeAndAcceptsExisting)
{
    TempDir tmp;
    std::string deep = tmp / "a/b/c";
    mode_t old_umask = umask(077);
    g_autoptr(GError) error = nullptr;
    bool ok = vw_mkdir_p(deep.c_str(), 0755, &error);
    umask(old_umask);
    ASSERT_TRUE(ok) << error->message;
    EXPECT_EQ(FileMode(tmp / "a"), 0755);
    EXPECT_EQ(FileMode(deep), 0755);
    ASSERT_EQ(chmod(deep.c_str(), 0700), 0);
    EXPECT_TRUE(vw_mkdir_p(deep.c_str(), 0755, nullptr));
    EXPECT_EQ(FileMode(deep), 0700) << "an existing directory keeps its mode";
    EXPECT_TRUE(vw_mkdir_p((deep + "//").c_str(), 0755, nullptr));
}

TEST(Atomic, MkdirRefusesAFileInTheWay)
{
    TempDir tmp;
    std::string file = tmp / "file";
    ASSERT_TRUE(vw_file_write_atomic(file.c_str(), "", 0, 0644, nullptr));
    g_autoptr(GError) error = nullptr;
    EXPECT_FALSE(vw_mkdir_p(file.c_str(), 0755, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find(file), std::string::npos) << error->message;
    g_clear_error(&error);
    EXPECT_FALSE(vw_mkdir_p((file + "/sub").c_str(), 0755, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find(file), std::string::npos) << error->message;
}

TEST(Atomic, RemoveTreatsMissingAsSuccess)
{
    TempDir tmp;
    std::string file = tmp / "f";
    ASSERT_TRUE(vw_file_write_atomic(file.c_str(), "x", -1, 0644, nullptr));
    EXPECT_TRUE(vw_file_remove(file.c_str(), nullptr));
    EXPECT_FALSE(g_file_test(file.c_str(), G_FILE_TEST_EXISTS));
    EXPECT_TRUE(vw_file_remove(file.c_str(), nullptr));
    g_autoptr(GError) error = nullptr;
    EXPECT_FALSE(vw_file_remove(tmp.path().c_str(), &error)) << "a directory is not a file";
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find(tmp.path()), std::string::npos);
}

// ---- locks ---------------------------------------------------------------------

TEST(Lock, ExclusiveExcludesAnotherProcess)
{
    TempDir tmp;
    std::string path = tmp / "net.lock";
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwLock) lock = vw_lock_acquire(path.c_str(), TRUE, 0, &error);
    ASSERT_NE(lock, nullptr) << error->message;
    EXPECT_EQ(FileMode(path), 0600);

    int status = InChild([&]() {
        GError *err = nullptr;
        VwLock *other = vw_lock_acquire(path.c_str(), TRUE, 20, &err);
        if (other)
            return 1;
        bool locked = g_error_matches(err, VW_UTIL_ERROR, VW_UTIL_ERROR_LOCKED);
        g_clear_error(&err);
        other = vw_lock_acquire(path.c_str(), FALSE, 0, &err);
        if (other)
            return 2;
        g_clear_error(&err);
        return locked ? 0 : 3;
    });
    EXPECT_EQ(status, 0) << "1: exclusive granted, 2: shared granted, 3: wrong error";

    g_clear_pointer(&lock, vw_lock_release);
    status = InChild([&]() {
        VwLock *other = vw_lock_acquire(path.c_str(), TRUE, 0, nullptr);
        int ret = other ? 0 : 1;
        vw_lock_release(other);
        return ret;
    });
    EXPECT_EQ(status, 0) << "the lock is free once released";
}

TEST(Lock, ExclusiveExcludesAnotherThreadOfTheSameProcess)
{
    TempDir tmp;
    std::string path = tmp / "net.lock";
    g_autoptr(VwLock) lock = vw_lock_acquire(path.c_str(), TRUE, -1, nullptr);
    ASSERT_NE(lock, nullptr);

    GError *thread_error = nullptr;
    VwLock *thread_lock = nullptr;
    std::thread t([&]() { thread_lock = vw_lock_acquire(path.c_str(), TRUE, 30, &thread_error); });
    t.join();
    EXPECT_EQ(thread_lock, nullptr);
    ASSERT_NE(thread_error, nullptr);
    EXPECT_TRUE(g_error_matches(thread_error, VW_UTIL_ERROR, VW_UTIL_ERROR_LOCKED));
    g_clear_error(&thread_error);
    vw_lock_release(thread_lock);

    // Same thread, second acquisition: a separate open file description.
    g_autoptr(GError) error = nullptr;
    EXPECT_EQ(vw_lock_acquire(path.c_str(), FALSE, 0, &error), nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_UTIL_ERROR, VW_UTIL_ERROR_LOCKED));
}

TEST(Lock, SharedLocksCoexistAndExcludeAWriter)
{
    TempDir tmp;
    std::string path = tmp / "net.lock";
    g_autoptr(VwLock) a = vw_lock_acquire(path.c_str(), FALSE, 0, nullptr);
    g_autoptr(VwLock) b = vw_lock_acquire(path.c_str(), FALSE, 0, nullptr);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    int status = InChild([&]() {
        VwLock *c = vw_lock_acquire(path.c_str(), FALSE, 0, nullptr);
        VwLock *w = vw_lock_acquire(path.c_str(), TRUE, 0, nullptr);
        int ret = (c ? 0 : 1) | (w ? 2 : 0);
        vw_lock_release(c);
        vw_lock_release(w);
        return ret;
    });
    EXPECT_EQ(status, 0) << "1: a third reader was refused, 2: a writer got in";
    EXPECT_EQ(vw_lock_get_path(a), path);
}

TEST(Lock, TimeoutErrorNamesThePath)
{
    TempDir tmp;
    std::string path = tmp / "busy.lock";
    g_autoptr(VwLock) lock = vw_lock_acquire(path.c_str(), TRUE, 0, nullptr);
    ASSERT_NE(lock, nullptr);
    g_autoptr(GError) error = nullptr;
    EXPECT_EQ(vw_lock_acquire(path.c_str(), TRUE, 50, &error), nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_UTIL_ERROR, VW_UTIL_ERROR_LOCKED));
    EXPECT_NE(std::string(error->message).find("'" + path + "'"), std::string::npos)
        << error->message;
}

TEST(Lock, MissingDirectoryIsAnIoErrorNamingThePath)
{
    TempDir tmp;
    std::string path = tmp / "no-dir/x.lock";
    g_autoptr(GError) error = nullptr;
    EXPECT_EQ(vw_lock_acquire(path.c_str(), TRUE, -1, &error), nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO));
    EXPECT_NE(std::string(error->message).find(path), std::string::npos) << error->message;
}

TEST(Lock, WaiterGetsTheLockWhenReleased)
{
    TempDir tmp;
    std::string path = tmp / "net.lock";
    for (int timeout : { -1, 60000 }) {
        VwLock *holder = vw_lock_acquire(path.c_str(), TRUE, 0, nullptr);
        ASSERT_NE(holder, nullptr);
        std::atomic<bool> got{ false };
        VwLock *waiter_lock = nullptr;
        std::thread waiter([&]() {
            waiter_lock = vw_lock_acquire(path.c_str(), TRUE, timeout, nullptr);
            got = waiter_lock != nullptr;
        });
        vw_lock_release(holder);
        waiter.join();
        EXPECT_TRUE(got) << "timeout " << timeout;
        vw_lock_release(waiter_lock);
    }
}

// The holder may unlink the lock file; a waiter must end up holding the lock
// of the file now at the path, not of the unlinked one.
TEST(Lock, HolderMayUnlinkTheFile)
{
    TempDir tmp;
    std::string path = tmp / "net.lock";
    VwLock *holder = vw_lock_acquire(path.c_str(), TRUE, 0, nullptr);
    ASSERT_NE(holder, nullptr);
    VwLock *waiter_lock = nullptr;
    std::thread waiter([&]() { waiter_lock = vw_lock_acquire(path.c_str(), TRUE, -1, nullptr); });
    ASSERT_EQ(unlink(path.c_str()), 0);
    vw_lock_release(holder);
    waiter.join();
    ASSERT_NE(waiter_lock, nullptr);
    g_autoptr(GError) error = nullptr;
    EXPECT_EQ(vw_lock_acquire(path.c_str(), TRUE, 0, &error), nullptr)
        << "the waiter's lock does not cover the file at the path";
    EXPECT_TRUE(g_error_matches(error, VW_UTIL_ERROR, VW_UTIL_ERROR_LOCKED));
    vw_lock_release(waiter_lock);
    vw_lock_release(nullptr);
}

// ---- names ---------------------------------------------------------------------

const char kUuid[] = "8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2b";
const char kMac[] = "52:54:00:12:34:56";

TEST(Names, KnownVector)
{
    // printf '%s' "8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2b/52:54:00:12:34:56" | sha256sum
    //   7d68d97c3f9d087cfda9f9c7d2848426aa047eb254386548be88a8accc13da0e
    VwPortNames names;
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_port_names(kUuid, kMac, &names, &error)) << error->message;
    EXPECT_STREQ(names.tap, "vwt-7d68d97c3f");
    EXPECT_STREQ(names.host, "vwh-7d68d97c3f");
    EXPECT_STREQ(names.peer, "vwn-7d68d97c3f");
}

// A MAC parsed once is a value: the names and alias made from it are the
// ones its text gives, and its canonical text reads back to the same bytes.
TEST(Names, ParsedMacGivesTheSameNamesAsItsText)
{
    VwMac mac;
    char text[VW_MAC_BUFSIZE];
    VwPortNames from_text, from_value;
    ASSERT_TRUE(vw_mac_parse("52:54:00:AB:cD:eF", mac.b, nullptr));
    EXPECT_STREQ(vw_mac_format(&mac, text), "52:54:00:ab:cd:ef");
    VwMac again;
    ASSERT_TRUE(vw_mac_scan(text, again.b));
    EXPECT_TRUE(vw_mac_equal(&mac, &again));
    ASSERT_TRUE(vw_port_names(kUuid, "52:54:00:ab:cd:ef", &from_text, nullptr));
    vw_port_names_mac(kUuid, &mac, &from_value);
    EXPECT_STREQ(from_text.tap, from_value.tap);
    EXPECT_STREQ(from_text.host, from_value.host);
    EXPECT_STREQ(from_text.peer, from_value.peer);
    g_autofree char *a = vw_port_alias_format("net1", kUuid, "52:54:00:AB:CD:EF", "tap");
    g_autofree char *b = vw_port_alias_format_mac("net1", kUuid, &mac, "tap");
    EXPECT_STREQ(a, b);
    // The text reader is syntax only; vw_mac_parse() adds a NIC's rules.
    EXPECT_TRUE(vw_mac_scan("01:00:5e:00:00:01", again.b));
    EXPECT_FALSE(vw_mac_parse("01:00:5e:00:00:01", again.b, nullptr));
    EXPECT_FALSE(vw_mac_scan("52:54:00:ab:cd:e", again.b));
    EXPECT_FALSE(vw_mac_scan("52-54-00-ab-cd-ef", again.b));
}

TEST(Names, CaseDoesNotMatter)
{
    VwPortNames lower, upper;
    ASSERT_TRUE(vw_port_names(kUuid, kMac, &lower, nullptr));
    ASSERT_TRUE(vw_port_names("8F4E3B2A-1C0D-4E5F-9A8B-7C6D5E4F3A2B", "52:54:00:12:34:56", &upper,
                              nullptr));
    EXPECT_STREQ(lower.tap, upper.tap);
    ASSERT_TRUE(vw_port_names(kUuid, "52:54:00:12:34:56", &upper, nullptr));
    EXPECT_STREQ(lower.peer, upper.peer);
}

TEST(Names, DifferentInputsDifferAndFitIfnamsiz)
{
    std::vector<std::string> taps;
    const char *uuids[] = { kUuid, "8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2c" };
    const char *macs[] = { kMac, "52:54:00:12:34:57", "02:00:00:00:00:01" };
    for (const char *u : uuids) {
        for (const char *m : macs) {
            VwPortNames n;
            ASSERT_TRUE(vw_port_names(u, m, &n, nullptr));
            EXPECT_LE(strlen(n.tap), 15u);
            EXPECT_LE(strlen(n.host), 15u);
            EXPECT_LE(strlen(n.peer), 15u);
            EXPECT_EQ(strlen(n.tap), 14u);
            for (const char *p = n.tap + 4; *p; p++)
                EXPECT_TRUE(g_ascii_isxdigit(*p) && !g_ascii_isupper(*p)) << n.tap;
            taps.push_back(n.tap);
        }
    }
    std::sort(taps.begin(), taps.end());
    EXPECT_EQ(std::unique(taps.begin(), taps.end()), taps.end()) << "two ports share a name";
}

TEST(Names, BadUuidOrMacErrorNamesTheValue)
{
    struct {
        const char *uuid, *mac, *named;
    } cases[] = {
        { "not-a-uuid", kMac, "not-a-uuid" },
        { "8f4e3b2a1c0d4e5f9a8b7c6d5e4f3a2b", kMac, "8f4e3b2a1c0d4e5f9a8b7c6d5e4f3a2b" },
        { "8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2g", kMac, "8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2g" },
        { "", kMac, "''" },
        { kUuid, "52:54:00:12:34", "52:54:00:12:34" },
        { kUuid, "52-54-00-12-34-56", "52-54-00-12-34-56" },
        { kUuid, "52:54:00:12:34:5z", "52:54:00:12:34:5z" },
        { kUuid, "01:00:5e:00:00:01", "01:00:5e:00:00:01" }, // multicast
        { kUuid, "00:00:00:00:00:00", "00:00:00:00:00:00" },
    };
    for (const auto &c : cases) {
        VwPortNames n;
        memset(&n, 0x55, sizeof(n));
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_port_names(c.uuid, c.mac, &n, &error)) << c.uuid << " " << c.mac;
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(g_error_matches(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID));
        EXPECT_NE(std::string(error->message).find(c.named), std::string::npos) << error->message;
        EXPECT_EQ(n.tap[0], 0x55) << "output written on failure";
    }
}

TEST(Names, MacParseAndCanonical)
{
    guint8 mac[6] = { 0 };
    ASSERT_TRUE(vw_mac_parse("52:54:00:AB:cd:Ef", mac, nullptr));
    const guint8 want[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
    EXPECT_EQ(memcmp(mac, want, 6), 0);
    g_autofree char *canon = vw_mac_canonical("52:54:00:AB:cd:Ef");
    EXPECT_STREQ(canon, "52:54:00:ab:cd:ef");
    EXPECT_EQ(vw_mac_canonical("52:54:00:ab:cd:ef:"), nullptr);
    EXPECT_EQ(vw_mac_canonical("ff:ff:ff:ff:ff:ff"), nullptr);
    EXPECT_EQ(vw_mac_canonical(nullptr), nullptr);
    EXPECT_TRUE(vw_uuid_check("8F4E3B2A-1c0d-4e5f-9a8b-7c6d5e4f3a2b", nullptr));
    EXPECT_FALSE(vw_uuid_check("8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2b0", nullptr));
    EXPECT_FALSE(vw_uuid_check("8f4e3b2a-1c0d-4e5f-9a8b+7c6d5e4f3a2b", nullptr));
}

// ---- aliases -------------------------------------------------------------------

TEST(Alias, FormatParseRoundTrip)
{
    const char *roles[] = { "tap", "host", "peer" };
    for (const char *role : roles) {
        g_autofree char *alias = vw_port_alias_format(
            "net-1_a", "8F4E3B2A-1C0D-4E5F-9A8B-7C6D5E4F3A2B", "52:54:00:AB:CD:EF", role);
        ASSERT_NE(alias, nullptr);
        std::string want = "virtwire:port:net-1_a:8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2b:"
                           "52:54:00:ab:cd:ef:";
        EXPECT_EQ(std::string(alias), want + role);
        EXPECT_TRUE(g_str_has_prefix(alias, VW_PORT_ALIAS_PREFIX));
        g_autofree char *network = nullptr, *uuid = nullptr, *mac = nullptr, *r = nullptr;
        ASSERT_TRUE(vw_port_alias_parse(alias, &network, &uuid, &mac, &r)) << alias;
        EXPECT_STREQ(network, "net-1_a");
        EXPECT_STREQ(uuid, "8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2b");
        EXPECT_STREQ(mac, "52:54:00:ab:cd:ef");
        EXPECT_STREQ(r, role);
        EXPECT_TRUE(vw_port_alias_parse(alias, nullptr, nullptr, nullptr, nullptr));
    }
}

TEST(Alias, RejectsForeignAndMalformedAliases)
{
    const char *bad[] = {
        "",
        "some other alias",
        "virtwire:port:",
        "virtwire:port:net:8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2b:52:54:00:ab:cd:ef",
        "virtwire:port:net:8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2b:52:54:00:ab:cd:ef:bridge",
        "virtwire:port::8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2b:52:54:00:ab:cd:ef:tap",
        "virtwire:port:net:8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2z:52:54:00:ab:cd:ef:tap",
        "virtwire:port:net:8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2b:52:54:00:ab:cd:eg:tap",
        "virtwire:port:net:8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2b:01:54:00:ab:cd:ef:tap",
        "virtwire:port:net:8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2b-52:54:00:ab:cd:ef:tap",
        "virtwire:port:net:x:8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2b:52:54:00:ab:cd:ef:tap",
        "virtwire:port:net 1:8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2b:52:54:00:ab:cd:ef:tap",
        "libvirt:port:net:8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2b:52:54:00:ab:cd:ef:tap",
        "xvirtwire:port:net:8f4e3b2a-1c0d-4e5f-9a8b-7c6d5e4f3a2b:52:54:00:ab:cd:ef:tap",
    };
    for (const char *alias : bad) {
        char *network = nullptr;
        EXPECT_FALSE(vw_port_alias_parse(alias, &network, nullptr, nullptr, nullptr)) << alias;
        EXPECT_EQ(network, nullptr) << "output set on failure for " << alias;
    }
    EXPECT_FALSE(vw_port_alias_parse(nullptr, nullptr, nullptr, nullptr, nullptr));
}

// ---- paths ---------------------------------------------------------------------

TEST(Paths, EverythingLivesUnderTheGivenRoot)
{
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwPaths) p = vw_paths_new("/tmp/vwroot//", &error);
    ASSERT_NE(p, nullptr) << error->message;
    EXPECT_STREQ(p->root, "/tmp/vwroot");
    EXPECT_STREQ(p->config_dir, "/tmp/vwroot/etc/virtwire");
    EXPECT_STREQ(p->networks_dir, "/tmp/vwroot/etc/virtwire/networks");
    EXPECT_STREQ(p->run_dir, "/tmp/vwroot/run/virtwire");
    EXPECT_STREQ(p->lock_dir, "/tmp/vwroot/run/virtwire/locks");
    EXPECT_STREQ(p->journal_dir, "/tmp/vwroot/run/virtwire/journal");
    EXPECT_STREQ(p->state_dir, "/tmp/vwroot/var/lib/virtwire");
    EXPECT_STREQ(p->leases_dir, "/tmp/vwroot/var/lib/virtwire/leases");

    g_autofree char *def = vw_paths_network_file(p, "net1");
    g_autofree char *lock = vw_paths_network_lock(p, "net1");
    g_autofree char *leases = vw_paths_leases_file(p, "net1");
    g_autofree char *run = vw_paths_run_network_dir(p, "net1");
    EXPECT_STREQ(def, "/tmp/vwroot/etc/virtwire/networks/net1.xml");
    EXPECT_STREQ(lock, "/tmp/vwroot/run/virtwire/locks/net1.lock");
    EXPECT_STREQ(leases, "/tmp/vwroot/var/lib/virtwire/leases/net1.json");
    EXPECT_STREQ(run, "/tmp/vwroot/run/virtwire/networks/net1");
}

TEST(Paths, RootComesFromTheEnvironmentThenDefaultsToSlash)
{
    {
        EnvGuard env(VW_PATHS_ROOT_ENV, "/srv/test-root");
        g_autoptr(VwPaths) p = vw_paths_new(nullptr, nullptr);
        ASSERT_NE(p, nullptr);
        EXPECT_STREQ(p->root, "/srv/test-root");
        EXPECT_STREQ(p->leases_dir, "/srv/test-root/var/lib/virtwire/leases");
        g_autoptr(VwPaths) given = vw_paths_new("/given", nullptr);
        ASSERT_NE(given, nullptr);
        EXPECT_STREQ(given->root, "/given") << "an explicit root beats the environment";
    }
    {
        EnvGuard env(VW_PATHS_ROOT_ENV, nullptr);
        g_autoptr(VwPaths) p = vw_paths_new(nullptr, nullptr);
        ASSERT_NE(p, nullptr);
        EXPECT_STREQ(p->root, "/");
        EXPECT_STREQ(p->config_dir, "/etc/virtwire");
        EXPECT_STREQ(p->run_dir, "/run/virtwire");
        EXPECT_STREQ(p->state_dir, "/var/lib/virtwire");
    }
    {
        EnvGuard env(VW_PATHS_ROOT_ENV, "");
        g_autoptr(VwPaths) p = vw_paths_new(nullptr, nullptr);
        ASSERT_NE(p, nullptr);
        EXPECT_STREQ(p->root, "/") << "an empty variable counts as unset";
    }
}

TEST(Paths, RelativeRootIsRejectedNamingIt)
{
    for (const char *root : { "relative/dir", "./x", "x" }) {
        g_autoptr(GError) error = nullptr;
        EXPECT_EQ(vw_paths_new(root, &error), nullptr);
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(g_error_matches(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID));
        EXPECT_NE(std::string(error->message).find(std::string("'") + root + "'"),
                  std::string::npos)
            << error->message;
    }
    EnvGuard env(VW_PATHS_ROOT_ENV, "not/absolute");
    g_autoptr(GError) error = nullptr;
    EXPECT_EQ(vw_paths_new(nullptr, &error), nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find("not/absolute"), std::string::npos);
}

TEST(Paths, EnsureCreatesTheTreeWithModes)
{
    TempDir tmp;
    g_autoptr(VwPaths) p = vw_paths_new(tmp.path().c_str(), nullptr);
    ASSERT_NE(p, nullptr);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_paths_ensure(p, &error)) << error->message;
    EXPECT_EQ(FileMode(p->networks_dir), 0755);
    EXPECT_EQ(FileMode(p->lock_dir), 0700);
    EXPECT_EQ(FileMode(p->journal_dir), 0700);
    EXPECT_EQ(FileMode(p->leases_dir), 0755);
    EXPECT_EQ(FileMode(p->run_dir + std::string("/networks")), 0755);
    EXPECT_TRUE(vw_paths_ensure(p, nullptr)) << "idempotent";

    // A file where a directory should be: the error names it.
    TempDir tmp2;
    std::string etc = tmp2 / "etc";
    ASSERT_TRUE(vw_file_write_atomic(etc.c_str(), "", 0, 0644, nullptr));
    g_autoptr(VwPaths) q = vw_paths_new(tmp2.path().c_str(), nullptr);
    g_clear_error(&error);
    EXPECT_FALSE(vw_paths_ensure(q, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find(etc), std::string::npos) << error->message;
}

// ---- symbolic links and folders under the root ------------------------------------
// Nothing virtwire opens under its root goes through a symbolic link: not
// the lock files, not mkdir -p, not atomic writes or removals.  Each case
// runs twice: resolving with openat2(RESOLVE_NO_SYMLINKS) and by the
// O_NOFOLLOW walk of a kernel without openat2.

template <typename Fn>
void
BothResolvers(Fn fn)
{
    for (bool use : { true, false }) {
        SCOPED_TRACE(use ? "openat2" : "O_NOFOLLOW walk");
        vw_fs_set_openat2(use);
        fn();
    }
    vw_fs_set_openat2(TRUE);
}

bool
Exists(const std::string &path)
{
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
}

bool
Contains(const char *haystack, const std::string &needle)
{
    return haystack && std::string(haystack).find(needle) != std::string::npos;
}

// A dangling link where the lock file belongs: O_CREAT would have made a
// root-owned file wherever it points.
TEST(Lock, DanglingLinkInTheLockFolderCreatesNothingAndIsNamed)
{
    TempDir tmp;
    std::string locks = tmp / "locks";
    std::string victim = tmp / "victim-file";
    std::string lock = locks + "/net.lock";
    ASSERT_EQ(mkdir(locks.c_str(), 0700), 0);
    ASSERT_EQ(symlink(victim.c_str(), lock.c_str()), 0);
    BothResolvers([&]() {
        g_autoptr(GError) error = nullptr;
        g_autoptr(VwLock) l = vw_lock_acquire(lock.c_str(), TRUE, 0, &error);
        EXPECT_EQ(l, nullptr);
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(Contains(error->message, "'" + lock + "'")) << error->message;
        EXPECT_TRUE(Contains(error->message, "symbolic link")) << error->message;
        EXPECT_FALSE(Exists(victim)) << "the link's target was created";
    });
}

// The lock folder itself is a link: refused, nothing made where it points.
TEST(Lock, LinkedLockFolderIsRefused)
{
    TempDir tmp;
    std::string elsewhere = tmp / "elsewhere";
    std::string locks = tmp / "locks";
    ASSERT_EQ(mkdir(elsewhere.c_str(), 0700), 0);
    ASSERT_EQ(symlink(elsewhere.c_str(), locks.c_str()), 0);
    BothResolvers([&]() {
        g_autoptr(GError) error = nullptr;
        std::string lock = locks + "/net.lock";
        EXPECT_EQ(vw_lock_acquire(lock.c_str(), TRUE, 0, &error), nullptr);
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(Contains(error->message, "'" + locks + "' is a symbolic link"))
            << error->message;
        EXPECT_TRUE(ListDir(elsewhere).empty());
    });
}

TEST(Atomic, MkdirRefusesALinkInThePath)
{
    TempDir tmp;
    std::string victim = tmp / "victim";
    std::string link = tmp / "link";
    ASSERT_EQ(mkdir(victim.c_str(), 0755), 0);
    ASSERT_EQ(symlink(victim.c_str(), link.c_str()), 0);
    BothResolvers([&]() {
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_mkdir_p((link + "/a/b").c_str(), 0755, &error));
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(Contains(error->message, "'" + link + "'")) << error->message;
        EXPECT_TRUE(Contains(error->message, "symbolic link")) << error->message;
        g_clear_error(&error);
        // A link to a folder is not that folder either.
        EXPECT_FALSE(vw_mkdir_p(link.c_str(), 0755, &error));
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(Contains(error->message, "'" + link + "'")) << error->message;
        EXPECT_TRUE(ListDir(victim).empty()) << "made a folder through the link";
    });
}

TEST(Atomic, WriteAndRemoveRefuseALinkedFolder)
{
    TempDir tmp;
    std::string victim = tmp / "victim";
    std::string link = tmp / "link";
    ASSERT_EQ(mkdir(victim.c_str(), 0755), 0);
    ASSERT_TRUE(g_file_set_contents((victim + "/status.json").c_str(), "precious", -1, nullptr));
    ASSERT_EQ(symlink(victim.c_str(), link.c_str()), 0);
    BothResolvers([&]() {
        std::string through = link + "/status.json";
        for (VwAtomicFlags flags : { VW_ATOMIC_DEFAULT, VW_ATOMIC_NO_SYNC }) {
            g_autoptr(GError) error = nullptr;
            EXPECT_FALSE(
                vw_file_write_atomic_full(through.c_str(), "evil", -1, 0644, flags, &error));
            ASSERT_NE(error, nullptr);
            EXPECT_TRUE(Contains(error->message, "'" + link + "' is a symbolic link"))
                << error->message;
        }
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_file_remove(through.c_str(), &error));
        ASSERT_NE(error, nullptr);
        EXPECT_EQ(ReadFile(victim + "/status.json"), "precious");
        EXPECT_EQ(ListDir(victim), std::vector<std::string>{ "status.json" });
    });
}

// A run folder holding links to a victim's folder and file: removing it
// removes the links, never what they point to.
TEST(Fs, TreeRemoveRemovesLinksNeverWhatTheyPointTo)
{
    BothResolvers([&]() {
        TempDir tmp;
        std::string victim = tmp / "victim";
        std::string run = tmp / "run";
        ASSERT_EQ(mkdir(victim.c_str(), 0755), 0);
        ASSERT_TRUE(g_file_set_contents((victim + "/precious").c_str(), "keep", -1, nullptr));
        ASSERT_EQ(mkdir(run.c_str(), 0755), 0);
        ASSERT_EQ(mkdir((run + "/ports").c_str(), 0755), 0);
        ASSERT_TRUE(g_file_set_contents((run + "/ports/p.json").c_str(), "{}", -1, nullptr));
        ASSERT_EQ(symlink(victim.c_str(), (run + "/dnsmasq.d").c_str()), 0);
        ASSERT_EQ(symlink(victim.c_str(), (run + "/ports/inner").c_str()), 0);
        ASSERT_EQ(symlink((victim + "/precious").c_str(), (run + "/status.json").c_str()), 0);

        // The folder given must itself be a folder, not a link to one.
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_fs_tree_remove((run + "/dnsmasq.d").c_str(), &error));
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(Contains(error->message, "symbolic link")) << error->message;
        g_clear_error(&error);

        EXPECT_TRUE(vw_fs_tree_remove(run.c_str(), &error)) << error->message;
        EXPECT_FALSE(Exists(run));
        EXPECT_EQ(ListDir(victim), std::vector<std::string>{ "precious" });
        EXPECT_EQ(ReadFile(victim + "/precious"), "keep");
        EXPECT_TRUE(vw_fs_tree_remove(run.c_str(), nullptr)) << "missing is success";
    });
}

TEST(Fs, ReadStopsOneBytePastTheLimit)
{
    TempDir tmp;
    std::string fits = tmp / "fits";
    std::string big = tmp / "big";
    ASSERT_TRUE(g_file_set_contents(fits.c_str(), std::string(4096, 'x').c_str(), -1, nullptr));
    ASSERT_TRUE(g_file_set_contents(big.c_str(), std::string(4097, 'x').c_str(), -1, nullptr));
    gsize len = 0;
    g_autofree char *data = vw_fs_read(fits.c_str(), 4096, FALSE, &len, nullptr);
    ASSERT_NE(data, nullptr);
    EXPECT_EQ(len, 4096u);
    for (const std::string &path : { big, std::string("/dev/zero") }) {
        g_autoptr(GError) error = nullptr;
        EXPECT_EQ(vw_fs_read(path.c_str(), 4096, TRUE, nullptr, &error), nullptr);
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(g_error_matches(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID));
        EXPECT_TRUE(Contains(error->message, "'" + path + "'")) << error->message;
        EXPECT_TRUE(Contains(error->message, "limit of 4096 bytes")) << error->message;
    }
    // A state file is not read through a link; a file the user names is.
    std::string link = tmp / "link";
    ASSERT_EQ(symlink(fits.c_str(), link.c_str()), 0);
    g_autoptr(GError) error = nullptr;
    EXPECT_EQ(vw_fs_read(link.c_str(), 4096, FALSE, nullptr, &error), nullptr);
    ASSERT_NE(error, nullptr);
    g_autofree char *followed = vw_fs_read(link.c_str(), 4096, TRUE, nullptr, nullptr);
    EXPECT_NE(followed, nullptr);
}

// The autostart mark is virtwire's own link: recognised only with the
// exact target it makes.
TEST(Fs, LinkIsMatchesOnlyTheExactTarget)
{
    TempDir tmp;
    std::string link = tmp / "net.xml";
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_fs_link_create(link.c_str(), "../net.xml", &error)) << error->message;
    EXPECT_TRUE(vw_fs_link_create(link.c_str(), "../net.xml", nullptr)) << "idempotent";
    EXPECT_TRUE(vw_fs_link_is(link.c_str(), "../net.xml"));
    EXPECT_FALSE(vw_fs_link_is(link.c_str(), "../net.xm"));
    EXPECT_FALSE(vw_fs_link_is(link.c_str(), "../other.xml"));
    EXPECT_FALSE(vw_fs_link_create(link.c_str(), "/etc/shadow", &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(Contains(error->message, "'" + link + "'")) << error->message;
    std::string file = tmp / "file.xml";
    ASSERT_TRUE(g_file_set_contents(file.c_str(), "", -1, nullptr));
    EXPECT_FALSE(vw_fs_link_is(file.c_str(), "../file.xml"));
}

// A root, or a folder in it, that anyone but root (or the calling user)
// could change is refused, naming it.  Its parent (/tmp, sticky and
// world-writable) is not in the root and is not checked.
TEST(Paths, EnsureRefusesAFolderOthersCouldChangeNamingIt)
{
    for (mode_t bad : { 0777, 0770, 0757, 01777 }) {
        TempDir tmp;
        std::string root = tmp / "root";
        ASSERT_EQ(mkdir(root.c_str(), 0755), 0);
        ASSERT_EQ(chmod(root.c_str(), bad), 0);
        g_autoptr(VwPaths) p = vw_paths_new(root.c_str(), nullptr);
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_paths_ensure(p, &error)) << std::oct << bad;
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(Contains(error->message, "'" + root + "'")) << error->message;
        EXPECT_FALSE(Exists(root + "/etc")) << "nothing is made in a refused root";
    }
    for (const char *sub : { "run", "run/virtwire/locks", "var/lib/virtwire/leases" }) {
        TempDir tmp;
        g_autoptr(VwPaths) p = vw_paths_new(tmp.path().c_str(), nullptr);
        ASSERT_TRUE(vw_paths_ensure(p, nullptr));
        std::string dir = tmp / sub;
        ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_paths_ensure(p, &error)) << sub;
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(Contains(error->message, "'" + dir + "'")) << error->message;
        EXPECT_TRUE(Contains(error->message, "writable")) << error->message;
    }
    if (geteuid() == 0) {
        TempDir tmp;
        g_autoptr(VwPaths) p = vw_paths_new(tmp.path().c_str(), nullptr);
        ASSERT_TRUE(vw_paths_ensure(p, nullptr));
        ASSERT_EQ(chown(p->networks_dir, 4242, 4242), 0);
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_paths_ensure(p, &error));
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(Contains(error->message, std::string("'") + p->networks_dir + "'"))
            << error->message;
        EXPECT_TRUE(Contains(error->message, "4242")) << error->message;
    }
    {
        // A folder of the tree replaced by a link.
        TempDir tmp;
        g_autoptr(VwPaths) p = vw_paths_new(tmp.path().c_str(), nullptr);
        ASSERT_TRUE(vw_paths_ensure(p, nullptr));
        TempDir victim;
        TempDir::RemoveTree(p->lock_dir);
        ASSERT_EQ(symlink(victim.path().c_str(), p->lock_dir), 0);
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_paths_ensure(p, &error));
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(Contains(error->message, std::string("'") + p->lock_dir + "'"))
            << error->message;
    }
}

// The root is made canonical, so that the paths under it hold no link.
TEST(Paths, RootGivenThroughALinkIsMadeCanonical)
{
    TempDir tmp;
    g_autofree char *real_tmp = realpath(tmp.path().c_str(), nullptr);
    ASSERT_NE(real_tmp, nullptr);
    std::string real = tmp / "real";
    std::string alias = tmp / "alias";
    ASSERT_EQ(mkdir(real.c_str(), 0700), 0);
    ASSERT_EQ(symlink("real", alias.c_str()), 0);
    g_autoptr(VwPaths) p = vw_paths_new(alias.c_str(), nullptr);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(std::string(p->root), std::string(real_tmp) + "/real");
    g_autoptr(GError) error = nullptr;
    EXPECT_TRUE(vw_paths_ensure(p, &error)) << error->message;
    g_autoptr(VwPaths) q = vw_paths_new((alias + "/not/yet").c_str(), nullptr);
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(std::string(q->root), std::string(real_tmp) + "/real/not/yet");
}

// ---- fault injection --------------------------------------------------------------
// Death tests in the "threadsafe" style re-execute the test binary, so the
// child reads VIRTWIRE_FAULT afresh (it is read once per process).

TEST(Fault, NamedStepExitsWith86AndPrintsNothing)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            g_setenv(VW_FAULT_ENV, "x", TRUE);
            vw_fault_point("x");
            _exit(0);
        },
        ::testing::ExitedWithCode(VW_FAULT_EXIT_CODE), "^$");
    EXPECT_EXIT(
        {
            g_setenv(VW_FAULT_ENV, "a, x ,b", TRUE);
            vw_fault_point("a-not");
            vw_fault_point("x");
            _exit(0);
        },
        ::testing::ExitedWithCode(VW_FAULT_EXIT_CODE), "^$");
}

TEST(Fault, OtherStepsDoNotExit)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            g_setenv(VW_FAULT_ENV, "x,y", TRUE);
            vw_fault_point("xx");
            vw_fault_point("");
            vw_fault_point("X");
            vw_fault_point(nullptr);
            _exit(3);
        },
        ::testing::ExitedWithCode(3), "^$");
    EXPECT_EXIT(
        {
            g_unsetenv(VW_FAULT_ENV);
            vw_fault_point("x");
            _exit(3);
        },
        ::testing::ExitedWithCode(3), "^$");
}

} // namespace
