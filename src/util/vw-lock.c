#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "vw-fs.h"
#include "vw-lock.h"
#include "vw-util-error.h"

#define VW_LOCK_SLEEP_MIN_US 1000
#define VW_LOCK_SLEEP_MAX_US 20000

struct _VwLock {
    int fd;
    char *path;
};

/* Is @fd still the file named @path?  FALSE once a holder unlinked or replaced it. */
static gboolean
vw_lock_fd_is_path(int fd, const char *path)
{
    struct stat a, b;

    if (fstat(fd, &a) < 0 || lstat(path, &b) < 0)
        return FALSE;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

VwLock *
vw_lock_acquire(const char *path, gboolean exclusive, int timeout_ms, GError **error)
{
    int op = exclusive ? LOCK_EX : LOCK_SH;
    gint64 deadline = 0;
    gulong sleep_us = VW_LOCK_SLEEP_MIN_US;

    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(timeout_ms >= -1, NULL);

    if (timeout_ms > 0)
        deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        /* Never through a symbolic link: O_CREAT on a dangling one would
         * make a file wherever it points. */
        int fd = vw_fs_open(path, O_RDWR | O_CREAT | O_NOCTTY | O_NONBLOCK, 0600);
        struct stat st;
        int ret;

        if (fd < 0) {
            int saved = errno;
            g_autofree char *why = vw_fs_strerror(path, saved);

            g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot open lock file '%s': %s"),
                        path, why);
            return NULL;
        }
        if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
            close(fd);
            g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO,
                        _("cannot open lock file '%s': not a regular file"), path);
            return NULL;
        }
        if (timeout_ms < 0) {
            do
                ret = flock(fd, op);
            while (ret < 0 && errno == EINTR);
        } else {
            for (;;) {
                ret = flock(fd, op | LOCK_NB);
                if (ret == 0 || (errno != EWOULDBLOCK && errno != EINTR))
                    break;
                if (errno == EWOULDBLOCK && g_get_monotonic_time() >= deadline)
                    break;
                if (errno == EINTR)
                    continue;
                g_usleep(sleep_us);
                sleep_us = MIN(sleep_us * 2, VW_LOCK_SLEEP_MAX_US);
            }
        }
        if (ret < 0) {
            int saved = errno;
            close(fd);
            if (saved == EWOULDBLOCK)
                g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_LOCKED,
                            _("timed out after %d ms waiting for lock '%s'"), timeout_ms, path);
            else
                g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot lock '%s': %s"), path,
                            g_strerror(saved));
            return NULL;
        }
        if (vw_lock_fd_is_path(fd, path)) {
            VwLock *lock = g_new0(VwLock, 1);

            lock->fd = fd;
            lock->path = g_strdup(path);
            return lock;
        }
        /* The previous holder removed the file while we waited: lock the new one. */
        close(fd);
    }
}

const char *
vw_lock_get_path(const VwLock *lock)
{
    g_return_val_if_fail(lock != NULL, NULL);
    return lock->path;
}

void
vw_lock_release(VwLock *lock)
{
    if (!lock)
        return;
    close(lock->fd); /* drops the flock with the last reference to the description */
    g_free(lock->path);
    g_free(lock);
}
