#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "vw-fs.h"
#include "vw-util-error.h"

/* How deep vw_fs_tree_remove() goes: virtwire's run folders are two levels. */
#define VW_FS_TREE_MAX_DEPTH 32

/* 1: use openat2; 0: the kernel has none (ENOSYS) or a test said so. */
static gint use_openat2 = 1;

void
vw_fs_set_openat2(gboolean use)
{
    g_atomic_int_set(&use_openat2, use ? 1 : 0);
}

/* Close @fd keeping errno. */
static void
fs_close(int fd)
{
    int saved = errno;

    if (fd >= 0)
        close(fd);
    errno = saved;
}

/* After an openat(..., O_NOFOLLOW) of @name in @dfd failed with ENOTDIR or
 * succeeded on an O_PATH descriptor: is @name a symbolic link? */
static gboolean
fs_is_link_at(int dfd, const char *name)
{
    struct stat st;

    return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

/*
 * The walk of a kernel without openat2: each folder opened with
 * O_PATH | O_DIRECTORY | O_NOFOLLOW relative to the one before, the last
 * component with O_NOFOLLOW.  A link anywhere gives ELOOP, as
 * RESOLVE_NO_SYMLINKS does.
 */
static int
fs_walk_open(const char *path, int flags, mode_t mode)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    const char *last = NULL;
    int dfd, fd;
    guint n = 0;

    dfd = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    /* The components that matter (empty ones and "." are no step). */
    for (guint i = 0; parts[i]; i++)
        if (*parts[i] && !g_str_equal(parts[i], "."))
            parts[n++] = parts[i];
        else
            g_free(parts[i]);
    parts[n] = NULL;
    if (n == 0)
        last = ".";
    else
        last = parts[n - 1];
    for (guint i = 0; n > 0 && i < n - 1; i++) {
        int next = openat(dfd, parts[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (next < 0) {
            if (errno == ENOTDIR && fs_is_link_at(dfd, parts[i]))
                errno = ELOOP;
            fs_close(dfd);
            return -1;
        }
        close(dfd);
        dfd = next;
    }
    fd = openat(dfd, last, flags | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0 && errno == ENOTDIR && (flags & O_DIRECTORY) && fs_is_link_at(dfd, last))
        errno = ELOOP;
    if (fd >= 0 && (flags & O_PATH)) {
        struct stat st;

        /* O_PATH | O_NOFOLLOW opens a link itself: that is a link in the path. */
        if (fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
            close(fd);
            fd = -1;
            errno = ELOOP;
        }
    }
    fs_close(dfd);
    return fd;
}

int
vw_fs_open(const char *path, int flags, int mode)
{
    g_return_val_if_fail(path != NULL, -1);

    if (g_atomic_int_get(&use_openat2)) {
        /* openat2 refuses a mode unless the call may create a file. */
        gboolean creates = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
        struct open_how how = {
            .flags = (guint64)(flags | O_CLOEXEC),
            .mode = creates ? (guint64)(mode & 07777) : 0,
            .resolve = RESOLVE_NO_SYMLINKS,
        };
        long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

        if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
            return (int)fd;
        if (errno == ENOSYS)
            g_atomic_int_set(&use_openat2, 0);
        /* EPERM: a seccomp filter that refuses openat2; walk instead. */
    }
    return fs_walk_open(path, flags, (mode_t)(mode & 07777));
}

int
vw_fs_open_parent(const char *path, char **base)
{
    g_autofree char *dir = NULL;
    g_autofree char *name = NULL;
    const char *slash;
    int fd;

    g_return_val_if_fail(path != NULL && base != NULL, -1);

    *base = NULL;
    slash = strrchr(path, '/');
    name = g_strdup(slash ? slash + 1 : path);
    if (!*name || g_str_equal(name, ".") || g_str_equal(name, "..")) {
        errno = EINVAL;
        return -1;
    }
    if (!slash)
        dir = g_strdup(".");
    else if (slash == path)
        dir = g_strdup("/");
    else
        dir = g_strndup(path, (gsize)(slash - path));
    fd = vw_fs_open(dir, O_RDONLY | O_DIRECTORY, 0);
    if (fd >= 0)
        *base = g_steal_pointer(&name);
    return fd;
}

/* The first component of @path that is a symbolic link, or NULL. */
static char *
fs_first_link(const char *path)
{
    g_autoptr(GString) prefix = g_string_new(path[0] == '/' ? "" : ".");
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);

    for (guint i = 0; parts[i]; i++) {
        struct stat st;

        if (!*parts[i])
            continue;
        g_string_append_c(prefix, '/');
        g_string_append(prefix, parts[i]);
        if (lstat(prefix->str, &st) < 0)
            return NULL;
        if (S_ISLNK(st.st_mode))
            return g_strdup(path[0] == '/' ? prefix->str : prefix->str + 2);
    }
    return NULL;
}

char *
vw_fs_strerror(const char *path, int errsv)
{
    if (errsv == ELOOP && path) {
        g_autofree char *link = fs_first_link(path);

        if (link && g_str_equal(link, path))
            return g_strdup(_("it is a symbolic link, which virtwire does not follow"));
        if (link)
            return g_strdup_printf(_("'%s' is a symbolic link, which virtwire does not follow"),
                                   link);
    }
    return g_strdup(g_strerror(errsv));
}

gboolean
vw_fs_dir_check(int fd, const char *path, GError **error)
{
    struct stat st;
    uid_t me = geteuid();

    if (fstat(fd, &st) < 0) {
        int saved = errno;
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot check directory '%s': %s"),
                    path, g_strerror(saved));
        return FALSE;
    }
    if (st.st_uid != 0 && st.st_uid != me) {
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID,
                    _("refusing directory '%s': it is owned by user %u, not by root or the "
                      "calling user"),
                    path, (unsigned)st.st_uid);
        return FALSE;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID,
                    _("refusing directory '%s': it is writable by its group or by others "
                      "(mode %04o)"),
                    path, (unsigned)(st.st_mode & 07777));
        return FALSE;
    }
    return TRUE;
}

char *
vw_fs_read_fd(int fd, const char *what, gsize max, gsize *len, GError **error)
{
    g_autoptr(GByteArray) buf = g_byte_array_new();
    gsize want = max + 1;

    g_return_val_if_fail(what != NULL, NULL);

    /* Never more than @max + 1 bytes: one byte past the limit tells a file
     * that is too large (or never ends) from one that fits. */
    while (buf->len < want) {
        gsize chunk = MIN(want - buf->len, (gsize)65536);
        guint old = buf->len;
        ssize_t n;

        g_byte_array_set_size(buf, old + (guint)chunk);
        n = read(fd, buf->data + old, chunk);
        if (n < 0) {
            int saved = errno;

            g_byte_array_set_size(buf, old);
            if (saved == EINTR)
                continue;
            g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot read '%s': %s"), what,
                        g_strerror(saved));
            return NULL;
        }
        g_byte_array_set_size(buf, old + (guint)n);
        if (n == 0)
            break;
    }
    if (buf->len > max) {
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID,
                    _("cannot read '%s': it is larger than the limit of %lu bytes"), what,
                    (unsigned long)max);
        return NULL;
    }
    if (len)
        *len = buf->len;
    g_byte_array_append(buf, (const guint8 *)"", 1);
    return (char *)g_byte_array_free(g_steal_pointer(&buf), FALSE);
}

char *
vw_fs_read(const char *path, gsize max, gboolean follow, gsize *len, GError **error)
{
    char *data;
    int fd;

    g_return_val_if_fail(path != NULL, NULL);

    fd = follow ? open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
                : vw_fs_open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
    if (fd < 0) {
        int saved = errno;
        g_autofree char *why = vw_fs_strerror(path, saved);

        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot read '%s': %s"), path, why);
        return NULL;
    }
    data = vw_fs_read_fd(fd, path, max, len, error);
    close(fd);
    return data;
}

/* Empty the folder @dfd (named @path) and remove it from @parent as @name. */
static gboolean
fs_tree_remove_at(int parent, const char *name, const char *path, int depth, GError **error)
{
    int dfd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *dir;
    struct dirent *e;
    gboolean ok = TRUE;

    if (dfd < 0) {
        int saved = errno;

        if (saved == ENOENT)
            return TRUE;
        if (saved == ENOTDIR || saved == ELOOP) {
            /* Not a folder (any more): a file or a link is removed as such. */
            if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
                return TRUE;
            saved = errno;
        }
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot remove '%s': %s"), path,
                    g_strerror(saved));
        return FALSE;
    }
    if (depth > VW_FS_TREE_MAX_DEPTH) {
        close(dfd);
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO,
                    _("cannot remove '%s': folders nested more than %d deep"), path,
                    VW_FS_TREE_MAX_DEPTH);
        return FALSE;
    }
    dir = fdopendir(dfd);
    if (!dir) {
        int saved = errno;
        close(dfd);
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot remove '%s': %s"), path,
                    g_strerror(saved));
        return FALSE;
    }
    while (ok && (e = readdir(dir))) {
        g_autofree char *sub = NULL;
        struct stat st;

        if (g_str_equal(e->d_name, ".") || g_str_equal(e->d_name, ".."))
            continue;
        sub = g_build_filename(path, e->d_name, NULL);
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT)
                continue;
            ok = FALSE;
        } else if (S_ISDIR(st.st_mode)) {
            ok = fs_tree_remove_at(dfd, e->d_name, sub, depth + 1, error);
            continue;
        } else if (unlinkat(dfd, e->d_name, 0) < 0 && errno != ENOENT) {
            ok = FALSE;
        }
        if (!ok) {
            int saved = errno;
            g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot remove '%s': %s"), sub,
                        g_strerror(saved));
        }
    }
    closedir(dir);
    if (ok && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
        int saved = errno;
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot remove directory '%s': %s"),
                    path, g_strerror(saved));
        return FALSE;
    }
    return ok;
}

gboolean
vw_fs_tree_remove(const char *path, GError **error)
{
    g_autofree char *base = NULL;
    struct stat st;
    gboolean ok;
    int parent;

    g_return_val_if_fail(path != NULL, FALSE);

    parent = vw_fs_open_parent(path, &base);
    if (parent < 0) {
        int saved = errno;
        g_autofree char *why = NULL;

        if (saved == ENOENT)
            return TRUE;
        why = vw_fs_strerror(path, saved);
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot remove directory '%s': %s"),
                    path, why);
        return FALSE;
    }
    /* @path itself must be a folder: a link there is refused, not removed. */
    if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        int saved = errno;

        close(parent);
        if (saved == ENOENT)
            return TRUE;
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot remove directory '%s': %s"),
                    path, g_strerror(saved));
        return FALSE;
    }
    if (!S_ISDIR(st.st_mode)) {
        g_autofree char *why = vw_fs_strerror(path, S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR);

        close(parent);
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot remove directory '%s': %s"),
                    path, why);
        return FALSE;
    }
    ok = fs_tree_remove_at(parent, base, path, 0, error);
    close(parent);
    return ok;
}

char **
vw_fs_dir_list(const char *path, GError **error)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    struct dirent *e;
    DIR *dir;
    int fd;

    g_return_val_if_fail(path != NULL, NULL);

    fd = vw_fs_open(path, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0 && errno != ENOENT) {
        int saved = errno;
        g_autofree char *why = vw_fs_strerror(path, saved);

        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot open directory '%s': %s"),
                    path, why);
        return NULL;
    }
    if (fd >= 0) {
        dir = fdopendir(fd);
        if (!dir) {
            int saved = errno;
            close(fd);
            g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot open directory '%s': %s"),
                        path, g_strerror(saved));
            return NULL;
        }
        while ((e = readdir(dir)))
            if (!g_str_equal(e->d_name, ".") && !g_str_equal(e->d_name, ".."))
                g_ptr_array_add(names, g_strdup(e->d_name));
        closedir(dir);
    }
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

gboolean
vw_fs_link_is(const char *path, const char *target)
{
    g_autofree char *base = NULL;
    gsize want = strlen(target);
    char buf[PATH_MAX];
    ssize_t n;
    int dfd;

    g_return_val_if_fail(path != NULL && target != NULL, FALSE);

    dfd = vw_fs_open_parent(path, &base);
    if (dfd < 0)
        return FALSE;
    n = readlinkat(dfd, base, buf, sizeof(buf));
    close(dfd);
    return n >= 0 && (gsize)n == want && memcmp(buf, target, want) == 0;
}

gboolean
vw_fs_link_create(const char *path, const char *target, GError **error)
{
    g_autofree char *base = NULL;
    int dfd, saved = 0;

    g_return_val_if_fail(path != NULL && target != NULL, FALSE);

    dfd = vw_fs_open_parent(path, &base);
    if (dfd < 0 || symlinkat(target, dfd, base) < 0)
        saved = errno;
    fs_close(dfd);
    if (saved == EEXIST && vw_fs_link_is(path, target))
        return TRUE;
    if (saved) {
        g_autofree char *why =
            saved == EEXIST ? g_strdup(_("something else is there")) : vw_fs_strerror(path, saved);

        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, _("cannot make symbolic link '%s': %s"),
                    path, why);
        return FALSE;
    }
    return TRUE;
}
