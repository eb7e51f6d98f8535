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

/* fsync the directory holding @path, so that a rename into it is durable. */
static int
vw_fsync_parent(const char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int ret, saved;

    if (fd < 0)
        return -1;
    ret = fsync(fd);
    saved = errno;
    close(fd);
    /* Some file systems cannot sync a directory; that is not our failure. */
    if (ret < 0 && (saved == EINVAL || saved == ENOTSUP))
        ret = 0;
    errno = saved;
    return ret;
}

/*
 * Put @tmp in place of @path without a replacing rename, when that is
 * cheaper and just as atomic: swap the two names (RENAME_EXCHANGE; readers
 * see the old or the new file, never neither), then unlink @tmp, which now
 * holds the old content.  ext4 flushes a file renamed over another
 * (auto_da_alloc: ~0.1 ms here, per state file written); it does not for
 * an exchange.  Only for an existing regular file: an exchange would also
 * swap a directory into @tmp's name, where rename() fails.  FALSE (errno
 * untouched) when not done: the caller renames.  A process dying between
 * the two steps leaves a ".NAME.XXXXXX" file, as one dying before the
 * rename does.
 */
static gboolean
exchange_into_place(const char *tmp, const char *path)
{
    struct stat st;
    int saved = errno;

    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
        renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) < 0) {
        errno = saved;
        return FALSE;
    }
    unlink(tmp);
    errno = saved;
    return TRUE;
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
    g_autofree char *dir = NULL;
    g_autofree char *base = NULL;
    g_autofree char *tmp = NULL;
    gsize size;
    int fd;
    int saved;

    g_return_val_if_fail(path != NULL, FALSE);
    g_return_val_if_fail(data != NULL || len == 0, FALSE);

    size = len < 0 ? strlen(data) : (gsize)len;
    dir = g_path_get_dirname(path);
    base = g_path_get_basename(path);
    if (!*base || g_str_equal(base, "/") || g_str_equal(base, ".") || g_str_equal(base, "..") ||
        g_str_has_suffix(path, "/")) {
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID,
                    _("cannot write file '%s': not a file name"), path);
        return FALSE;
    }
    tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
    fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, mode & 07777);
    if (fd < 0) {
        saved = errno;
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO,
                    _("cannot create a temporary file for '%s': %s"), path, g_strerror(saved));
        return FALSE;
    }
    /* The umask applied at open(); the caller asked for exactly @mode. */
    if (fchmod(fd, (mode_t)(mode & 07777)) < 0 || vw_write_all(fd, data, size) < 0 ||
        (sync && fsync(fd) < 0)) {
        saved = errno;
        close(fd);
        unlink(tmp);
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot write file '%s': %s"), path,
                    g_strerror(saved));
        return FALSE;
    }
    if (close(fd) < 0) {
        saved = errno;
        unlink(tmp);
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot write file '%s': %s"), path,
                    g_strerror(saved));
        return FALSE;
    }
    vw_fault_point(VW_FAULT_ATOMIC_RENAME);
    /* A durable write keeps rename(): with the fsyncs around it, it is what
     * makes the new content survive a power loss on every file system. */
    if (!sync && exchange_into_place(tmp, path))
        return TRUE;
    if (rename(tmp, path) < 0) {
        saved = errno;
        unlink(tmp);
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot replace file '%s': %s"), path,
                    g_strerror(saved));
        return FALSE;
    }
    if (sync && vw_fsync_parent(path) < 0) {
        saved = errno;
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO,
                    _("cannot sync the directory of file '%s': %s"), path, g_strerror(saved));
        return FALSE;
    }
    return TRUE;
}

gboolean
vw_mkdir_p(const char *path, int mode, GError **error)
{
    g_autofree char *copy = NULL;
    struct stat st;
    char *p;

    g_return_val_if_fail(path != NULL, FALSE);

    if (!*path) {
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID,
                    _("cannot create directory '%s': empty path"), path);
        return FALSE;
    }
    /* Most calls find the directory there: one stat instead of a walk. */
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return TRUE;
    copy = g_strdup(path);
    /* Walk the components: "/a/b/c" tries "/a", "/a/b", then "/a/b/c". */
    p = copy;
    while (*p == '/')
        p++;
    for (;;) {
        char *slash = strchr(p, '/');
        gboolean last;

        if (slash)
            *slash = '\0';
        last = !slash || slash[1] == '\0';
        if (*p) {
            if (mkdir(copy, (mode_t)(mode & 07777)) == 0) {
                /* The umask applied at mkdir(); give exactly @mode. */
                if (chmod(copy, (mode_t)(mode & 07777)) < 0) {
                    int saved = errno;
                    g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO,
                                _("cannot create directory '%s': %s"), copy, g_strerror(saved));
                    return FALSE;
                }
            } else if (errno != EEXIST) {
                int saved = errno;
                g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO,
                            _("cannot create directory '%s': %s"), copy, g_strerror(saved));
                return FALSE;
            }
        }
        if (last)
            break;
        *slash = '/';
        p = slash + 1;
        while (*p == '/')
            p++;
    }
    if (stat(path, &st) < 0) {
        int saved = errno;
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot create directory '%s': %s"),
                    path, g_strerror(saved));
        return FALSE;
    }
    if (!S_ISDIR(st.st_mode)) {
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO,
                    _("cannot create directory '%s': a file of that name exists"), path);
        return FALSE;
    }
    return TRUE;
}

gboolean
vw_file_remove(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, FALSE);

    if (unlink(path) < 0 && errno != ENOENT) {
        int saved = errno;
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot remove file '%s': %s"), path,
                    g_strerror(saved));
        return FALSE;
    }
    return TRUE;
}
