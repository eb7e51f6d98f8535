#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "vw-atomic.h"
#include "vw-fault.h"
#include "vw-fs.h"
#include "vw-util-error.h"

/* Write all of @data, retrying on EINTR and short writes. */
static int
vw_write_all(int fd, const char *data, gsize len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (gsize)n;
    }
    return 0;
}

/* Close a descriptor held in a g_auto variable. */
static void
fd_close(int *fd)
{
    if (*fd >= 0)
        close(*fd);
}

/* fsync the folder @dfd, so that a rename in it is durable. */
static int
vw_fsync_dir(int dfd)
{
    int ret = fsync(dfd);

    /* Some file systems cannot sync a directory; that is not our failure. */
    if (ret < 0 && (errno == EINVAL || errno == ENOTSUP))
        ret = 0;
    return ret;
}

/*
 * Put @tmp in place of @base (both in @dfd) without a replacing rename,
 * when that is cheaper and just as atomic: swap the two names
 * (RENAME_EXCHANGE; readers see the old or the new file, never neither),
 * then unlink @tmp, which now holds the old content.  ext4 flushes a file
 * renamed over another (auto_da_alloc: ~0.1 ms here, per state file
 * written); it does not for an exchange.  Only for an existing regular
 * file: an exchange would also swap a directory into @tmp's name, where
 * rename() fails.  FALSE (errno untouched) when not done: the caller
 * renames.  A process dying between the two steps leaves a ".NAME.XXXXXX"
 * file, as one dying before the rename does.
 */
static gboolean
exchange_into_place(int dfd, const char *tmp, const char *base)
{
    struct stat st;
    int saved = errno;

    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
        renameat2(dfd, tmp, dfd, base, RENAME_EXCHANGE) < 0) {
        errno = saved;
        return FALSE;
    }
    unlinkat(dfd, tmp, 0);
    errno = saved;
    return TRUE;
}

/* Create a new file ".BASE.XXXXXX" in @dfd (O_EXCL, never through a link). */
static int
create_temporary(int dfd, const char *base, int mode, char **tmp)
{
    static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    for (int attempt = 0; attempt < 100; attempt++) {
        char suffix[7];
        int fd;

        for (guint i = 0; i < 6; i++)
            suffix[i] = chars[g_random_int_range(0, (gint32)sizeof(chars) - 1)];
        suffix[6] = '\0';
        g_free(*tmp);
        *tmp = g_strdup_printf(".%s.%s", base, suffix);
        fd = openat(dfd, *tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    (mode_t)(mode & 07777));
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

gboolean
vw_file_write_atomic(const char *path, const char *data, gssize len, int mode, GError **error)
{
    return vw_file_write_atomic_full(path, data, len, mode, VW_ATOMIC_DEFAULT, error);
}

gboolean
vw_file_write_atomic_full(const char *path, const char *data, gssize len, int mode,
                          VwAtomicFlags flags, GError **error)
{
    gboolean sync = !(flags & VW_ATOMIC_NO_SYNC);
    __attribute__((cleanup(fd_close))) int dfd = -1;
    g_autofree char *base = NULL;
    g_autofree char *tmp = NULL;
    gsize size;
    int fd;
    int saved;

    g_return_val_if_fail(path != NULL, FALSE);
    g_return_val_if_fail(data != NULL || len == 0, FALSE);

    size = len < 0 ? strlen(data) : (gsize)len;
    if (g_str_has_suffix(path, "/")) {
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID,
                    _("cannot write file '%s': not a file name"), path);
        return FALSE;
    }
    dfd = vw_fs_open_parent(path, &base);
    if (dfd < 0 && errno == EINVAL) {
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID,
                    _("cannot write file '%s': not a file name"), path);
        return FALSE;
    }
    fd = dfd < 0 ? -1 : create_temporary(dfd, base, mode, &tmp);
    if (fd < 0) {
        g_autofree char *why = NULL;

        saved = errno;
        why = vw_fs_strerror(path, saved);
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO,
                    _("cannot create a temporary file for '%s': %s"), path, why);
        return FALSE;
    }
    /* The umask applied at open(); the caller asked for exactly @mode. */
    if (fchmod(fd, (mode_t)(mode & 07777)) < 0 || vw_write_all(fd, data, size) < 0 ||
        (sync && fsync(fd) < 0)) {
        saved = errno;
        close(fd);
        unlinkat(dfd, tmp, 0);
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot write file '%s': %s"), path,
                    g_strerror(saved));
        return FALSE;
    }
    if (close(fd) < 0) {
        saved = errno;
        unlinkat(dfd, tmp, 0);
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot write file '%s': %s"), path,
                    g_strerror(saved));
        return FALSE;
    }
    vw_fault_point(VW_FAULT_ATOMIC_RENAME);
    /* A durable write keeps rename(): with the fsyncs around it, it is what
     * makes the new content survive a power loss on every file system.
     * rename() replaces a link at @path; it never writes through one. */
    if (!sync && exchange_into_place(dfd, tmp, base))
        return TRUE;
    if (renameat(dfd, tmp, dfd, base) < 0) {
        saved = errno;
        unlinkat(dfd, tmp, 0);
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot replace file '%s': %s"), path,
                    g_strerror(saved));
        return FALSE;
    }
    if (sync && vw_fsync_dir(dfd) < 0) {
        saved = errno;
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO,
                    _("cannot sync the directory of file '%s': %s"), path, g_strerror(saved));
        return FALSE;
    }
    return TRUE;
}

/* The error of vw_mkdir_p() for @path (or a prefix of it) and @errsv. */
static void
mkdir_error(GError **error, const char *path, int errsv)
{
    g_autofree char *why = NULL;

    if (errsv == ENOTDIR) {
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO,
                    _("cannot create directory '%s': a file of that name exists"), path);
        return;
    }
    why = vw_fs_strerror(path, errsv);
    g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot create directory '%s': %s"), path,
                why);
}

gboolean
vw_mkdir_p(const char *path, int mode, GError **error)
{
    __attribute__((cleanup(fd_close))) int dfd = -1;
    g_autoptr(GString) done = NULL;
    g_auto(GStrv) parts = NULL;

    g_return_val_if_fail(path != NULL, FALSE);

    if (!*path) {
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID,
                    _("cannot create directory '%s': empty path"), path);
        return FALSE;
    }
    /* Most calls find the directory there: one open instead of a walk. */
    dfd = vw_fs_open(path, O_PATH | O_DIRECTORY, 0);
    if (dfd >= 0)
        return vw_fs_dir_check(dfd, path, error);
    if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP) {
        mkdir_error(error, path, errno);
        return FALSE;
    }
    /* Walk the components: "/a/b/c" opens (or makes) "a" in "/", "b" in
     * that, then "c", each with O_NOFOLLOW, so that no link is followed. */
    dfd = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        mkdir_error(error, path, errno);
        return FALSE;
    }
    done = g_string_new(path[0] == '/' ? "" : ".");
    parts = g_strsplit(path, "/", -1);
    for (guint i = 0; parts[i]; i++) {
        const char *p = parts[i];
        int next;

        if (!*p || g_str_equal(p, "."))
            continue;
        g_string_append_c(done, '/');
        g_string_append(done, p);
        next = openat(dfd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT) {
            if (mkdirat(dfd, p, (mode_t)(mode & 07777)) == 0) {
                /* The umask applied at mkdir(); give exactly @mode. */
                next = openat(dfd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next >= 0 && fchmod(next, (mode_t)(mode & 07777)) < 0) {
                    int saved = errno;
                    close(next);
                    mkdir_error(error, done->str, saved);
                    return FALSE;
                }
            } else if (errno == EEXIST) {
                next = openat(dfd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            }
        }
        if (next < 0) {
            int saved = errno;

            if (saved == ENOTDIR) {
                struct stat st;

                if (fstatat(dfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                    saved = ELOOP;
            }
            if (saved == ENOTDIR && parts[i + 1]) {
                /* A file where a folder above @path belongs: name both. */
                g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO,
                            _("cannot create directory '%s': '%s' is not a directory"), path,
                            done->str);
                return FALSE;
            }
            mkdir_error(error, saved == ENOTDIR ? path : done->str, saved);
            return FALSE;
        }
        close(dfd);
        dfd = next;
    }
    return vw_fs_dir_check(dfd, path, error);
}

gboolean
vw_file_remove(const char *path, GError **error)
{
    g_autofree char *base = NULL;
    int dfd, saved = 0;

    g_return_val_if_fail(path != NULL, FALSE);

    /* A link at @path is removed itself; one above it is refused. */
    dfd = vw_fs_open_parent(path, &base);
    if (dfd < 0 || unlinkat(dfd, base, 0) < 0)
        saved = errno;
    if (dfd >= 0)
        close(dfd);
    if (saved && saved != ENOENT) {
        g_autofree char *why = vw_fs_strerror(path, saved);

        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot remove file '%s': %s"), path,
                    why);
        return FALSE;
    }
    return TRUE;
}
