#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <linux/magic.h>
#include <linux/nsfs.h>

#include "vw-fd.h"
#include "vw-net-error.h"
#include "vw-netns.h"
#include "vw-rtnl.h"

#define VW_NETNS_NAME_MAX 64
/* Mounts stacked on one name that delete unmounts at most (it never loops
 * forever against someone mounting as fast as it unmounts). */
#define VW_NETNS_UNMOUNT_MAX 64

gboolean
vw_netns_name_check(const char *name, GError **error)
{
    size_t len;

    g_return_val_if_fail(name != NULL, FALSE);
    len = strlen(name);
    if (len == 0 || len > VW_NETNS_NAME_MAX) {
        g_autofree char *shown = g_strescape(name, NULL);
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                    _("invalid network namespace name '%s': must be 1 to %d bytes"), shown,
                    VW_NETNS_NAME_MAX);
        return FALSE;
    }
    /* A leading '-' would be read as an option by `ip netns`. */
    if (g_str_equal(name, ".") || g_str_equal(name, "..") || name[0] == '-') {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                    _("invalid network namespace name '%s'"), name);
        return FALSE;
    }
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.') {
            g_autofree char *shown = g_strescape(name, NULL);
            g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                        _("invalid network namespace name '%s': only letters, digits and "
                          "'-_.' are allowed"),
                        shown);
            return FALSE;
        }
    }
    return TRUE;
}

/*
 * Take an exclusive flock on the /run/netns directory, as `ip netns add`
 * does: it serialises creators (here and in other processes), so that only
 * one of them ever turns the directory into a mount point; unlocked parallel
 * creators once stacked recursive mounts (Debian bug 949235).  flock locks
 * belong to the open file description, so threads of this process exclude
 * each other too.  With @create the directory is made first; without, its
 * absence means that @name does not exist.  Returns the locked fd or -1.
 */
static int
vw_netns_lock_dir(gboolean create, const char *name, GError **error)
{
    g_auto(VwFd) fd = -1;

    if (create && g_mkdir_with_parents(VW_NETNS_RUN_DIR, 0755) < 0) {
        vw_net_error_set_errno(error, errno, _("cannot create directory '%s'"), VW_NETNS_RUN_DIR);
        return -1;
    }
    fd = open(VW_NETNS_RUN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            vw_net_error_set_errno(error, errno, _("network namespace '%s' does not exist"), name);
        else
            vw_net_error_set_errno(error, errno, _("cannot open directory '%s'"), VW_NETNS_RUN_DIR);
        return -1;
    }
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            vw_net_error_set_errno(error, errno, _("cannot lock directory '%s'"), VW_NETNS_RUN_DIR);
            return -1;
        }
    }
    return g_steal_fd(&fd);
}

/*
 * Make /run/netns a shared mount so that unmounting a namespace there also
 * unmounts its copies in other mount namespaces (which lets the kernel free
 * it sooner).  A directory that is not a mount point gives EINVAL: bind it
 * onto itself once and retry.  Must be called with the directory locked.
 */
static gboolean
vw_netns_make_dir_shared(GError **error)
{
    gboolean bound = FALSE;

    while (mount("", VW_NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
        if (errno != EINVAL || bound)
            return vw_net_error_set_errno(error, errno, _("cannot make '%s' a shared mount"),
                                          VW_NETNS_RUN_DIR);
        if (mount(VW_NETNS_RUN_DIR, VW_NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
            return vw_net_error_set_errno(error, errno, _("cannot bind-mount '%s' onto itself"),
                                          VW_NETNS_RUN_DIR);
        bound = TRUE;
    }
    return TRUE;
}

/* The longest mark: an interface alias (IFALIASZ - 1 bytes). */
#define VW_NETNS_MARK_MAX 255

typedef struct {
    const char *name;
    const char *path;
    const char *mark;
    GError *error;
} VwNetnsCreateJob;

/*
 * Runs on its own thread, which exits right after: a new network namespace
 * only ever belongs to this thread, and the bind mount keeps it alive.  The
 * mark goes on the namespace's lo before the mount, so that a namespace
 * reachable by name always carries it.
 */
static gpointer
vw_netns_create_thread(gpointer user_data)
{
    VwNetnsCreateJob *job = user_data;

    if (unshare(CLONE_NEWNET) < 0) {
        vw_net_error_set_errno(&job->error, errno, _("cannot create network namespace '%s'"),
                               job->name);
        return NULL;
    }
    if (job->mark && *job->mark) {
        g_autoptr(VwRtnl) rtnl = vw_rtnl_open(-1, &job->error);

        if (!rtnl || !vw_rtnl_link_set_alias(rtnl, "lo", job->mark, &job->error)) {
            g_prefix_error(&job->error, _("cannot mark network namespace '%s': "), job->name);
            return NULL;
        }
    }
    if (mount("/proc/thread-self/ns/net", job->path, "none", MS_BIND, NULL) < 0)
        vw_net_error_set_errno(&job->error, errno, _("cannot bind network namespace '%s' to '%s'"),
                               job->name, job->path);
    return NULL;
}

static gboolean
vw_netns_mark_check(const char *mark, GError **error)
{
    if (mark && strlen(mark) > VW_NETNS_MARK_MAX) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                    _("network namespace mark is too long: %zu bytes, at most %d"), strlen(mark),
                    VW_NETNS_MARK_MAX);
        return FALSE;
    }
    return TRUE;
}

/* Write @mark into the placeholder @fd (the bind mount hides it later). */
static gboolean
vw_netns_write_placeholder(int fd, const char *name, const char *mark, GError **error)
{
    size_t len = strlen(mark), done = 0;

    while (done < len) {
        ssize_t n = write(fd, mark + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return vw_net_error_set_errno(error, n < 0 ? errno : EIO,
                                          _("cannot create network namespace '%s'"), name);
        done += (size_t)n;
    }
    return TRUE;
}

/*
 * What /run/netns/@name holds, looked at without following a symlink:
 * VW_NETNS_STATE_NONE, a bind-mounted network namespace, a plain file (the
 * placeholder of a creator that died before its mount: *mark gets its
 * contents), or anything else (a symlink, a folder, a device node, a FIFO:
 * never opened for reading).  For a namespace *mark is the alias of its lo
 * ("" when unset).
 */
typedef enum {
    VW_NETNS_STATE_NONE,
    VW_NETNS_STATE_NAMESPACE,
    VW_NETNS_STATE_PLACEHOLDER,
    VW_NETNS_STATE_OTHER,
} VwNetnsState;

static gboolean
vw_netns_inspect(const char *name, const char *path, VwNetnsState *state, char **mark,
                 GError **error)
{
    g_auto(VwFd) pfd = -1;
    g_auto(VwFd) fd = -1;
    g_autofree char *reopen = NULL;
    struct statfs sfs;
    struct stat st;

    *state = VW_NETNS_STATE_NONE;
    *mark = NULL;
    /*
     * Look before opening for reading: a device node, a FIFO or a socket
     * under that name is not ours and is never opened (opening a tty could
     * even make it our controlling terminal).  O_PATH opens nothing.
     */
    pfd = open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
    if (pfd < 0) {
        if (errno == ENOENT)
            return TRUE;
        return vw_net_error_set_errno(error, errno, _("cannot open network namespace '%s'"), name);
    }
    if (fstat(pfd, &st) < 0)
        return vw_net_error_set_errno(error, errno, _("cannot open network namespace '%s'"), name);
    if (!S_ISREG(st.st_mode) && !(fstatfs(pfd, &sfs) == 0 && sfs.f_type == NSFS_MAGIC)) {
        *state = VW_NETNS_STATE_OTHER;
        return TRUE;
    }
    /* The very inode looked at, not whatever the name holds by now. */
    reopen = g_strdup_printf("/proc/self/fd/%d", pfd);
    fd = open(reopen, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return vw_net_error_set_errno(error, errno, _("cannot open network namespace '%s'"), name);
    if (ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET) {
        g_autoptr(VwRtnl) rtnl = vw_rtnl_open(fd, error);
        g_autoptr(VwLink) lo = rtnl ? vw_rtnl_link_get(rtnl, "lo", error) : NULL;

        if (!lo)
            return FALSE;
        *state = VW_NETNS_STATE_NAMESPACE;
        *mark = g_strdup(lo->alias ? lo->alias : "");
        return TRUE;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= VW_NETNS_MARK_MAX) {
        char buf[VW_NETNS_MARK_MAX + 1];
        ssize_t n = read(fd, buf, sizeof(buf) - 1);

        if (n >= 0) {
            buf[n] = '\0';
            *state = VW_NETNS_STATE_PLACEHOLDER;
            *mark = g_strndup(buf, (gsize)n);
            return TRUE;
        }
    }
    *state = VW_NETNS_STATE_OTHER;
    return TRUE;
}

gboolean
vw_netns_create_marked(const char *name, const char *mark, GError **error)
{
    g_auto(VwFd) lock = -1;
    g_autofree char *path = NULL;
    g_autoptr(GError) thread_error = NULL;
    VwNetnsCreateJob job = { 0 };
    GThread *thread;
    int fd;

    g_return_val_if_fail(name != NULL, FALSE);
    if (!vw_netns_name_check(name, error) || !vw_netns_mark_check(mark, error))
        return FALSE;
    /* Held to the end: a concurrent delete never sees a half-made entry. */
    lock = vw_netns_lock_dir(TRUE, name, error);
    if (lock < 0)
        return FALSE;
    if (!vw_netns_make_dir_shared(error))
        return FALSE;

    path = g_build_filename(VW_NETNS_RUN_DIR, name, NULL);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0);
    if (fd < 0 && errno == EEXIST && mark && *mark) {
        g_autofree char *found = NULL;
        VwNetnsState state;

        if (!vw_netns_inspect(name, path, &state, &found, error))
            return FALSE;
        if (state == VW_NETNS_STATE_NAMESPACE && g_str_equal(found, mark))
            return TRUE; /* already made, by this owner */
        /* A creator with this mark died between claiming the name and
         * mounting: mount a new namespace over its placeholder. */
        if (state != VW_NETNS_STATE_PLACEHOLDER || !g_str_equal(found, mark)) {
            if (state == VW_NETNS_STATE_NAMESPACE && *found)
                g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS,
                            _("network namespace '%s' already exists and belongs to '%s'"), name,
                            found);
            else
                g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS,
                            _("network namespace '%s' already exists and is not ours"), name);
            return FALSE;
        }
    } else if (fd < 0) {
        if (errno == EEXIST) {
            g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS,
                        _("network namespace '%s' already exists"), name);
            return FALSE;
        }
        return vw_net_error_set_errno(error, errno, _("cannot create network namespace '%s'"),
                                      name);
    } else {
        gboolean written = !mark || vw_netns_write_placeholder(fd, name, mark, error);

        close(fd);
        if (!written) {
            unlink(path);
            return FALSE;
        }
    }

    job.name = name;
    job.path = path;
    job.mark = mark;
    thread = g_thread_try_new("vw-netns-add", vw_netns_create_thread, &job, &thread_error);
    if (thread)
        g_thread_join(thread);
    else
        g_set_error(&job.error, VW_NET_ERROR, VW_NET_ERROR_KERNEL,
                    _("cannot create network namespace '%s': %s"), name, thread_error->message);
    if (job.error) {
        /* Roll back; the first error is the one reported. */
        unlink(path);
        g_propagate_error(error, job.error);
        return FALSE;
    }
    return TRUE;
}

gboolean
vw_netns_create(const char *name, GError **error)
{
    return vw_netns_create_marked(name, NULL, error);
}

char *
vw_netns_get_mark(const char *name, gboolean *placeholder, GError **error)
{
    g_autofree char *path = NULL;
    g_autofree char *mark = NULL;
    VwNetnsState state;

    g_return_val_if_fail(name != NULL, NULL);
    if (placeholder)
        *placeholder = FALSE;
    if (!vw_netns_name_check(name, error))
        return NULL;
    path = g_build_filename(VW_NETNS_RUN_DIR, name, NULL);
    if (!vw_netns_inspect(name, path, &state, &mark, error))
        return NULL;
    switch (state) {
    case VW_NETNS_STATE_NONE:
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND,
                    _("network namespace '%s' does not exist"), name);
        return NULL;
    case VW_NETNS_STATE_PLACEHOLDER:
        if (placeholder)
            *placeholder = TRUE;
        break;
    case VW_NETNS_STATE_OTHER:
        return g_strdup("");
    case VW_NETNS_STATE_NAMESPACE:
        break;
    }
    return g_steal_pointer(&mark);
}

/*
 * Every mount stacked on @path (a bind mount of a bind mount) must go before
 * the file can: unmount until @path is no mount point (EINVAL), as `ip netns
 * del` does.  FALSE with errno set on another error.
 */
static gboolean
vw_netns_unmount_all(const char *path)
{
    for (guint n = 0; n < VW_NETNS_UNMOUNT_MAX; n++) {
        if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
            return errno == EINVAL;
    }
    return TRUE;
}

gboolean
vw_netns_delete_marked(const char *name, const char *mark, GError **error)
{
    g_auto(VwFd) lock = -1;
    g_autofree char *path = NULL;
    g_autofree char *found = NULL;
    VwNetnsState state;

    g_return_val_if_fail(name != NULL && mark != NULL && *mark, FALSE);
    if (!vw_netns_name_check(name, error))
        return FALSE;
    lock = vw_netns_lock_dir(FALSE, name, error);
    if (lock < 0)
        return FALSE;
    path = g_build_filename(VW_NETNS_RUN_DIR, name, NULL);
    if (!vw_netns_inspect(name, path, &state, &found, error))
        return FALSE;
    if (state == VW_NETNS_STATE_NONE) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND,
                    _("network namespace '%s' does not exist"), name);
        return FALSE;
    }
    if ((state != VW_NETNS_STATE_NAMESPACE && state != VW_NETNS_STATE_PLACEHOLDER) ||
        !g_str_equal(found, mark)) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_EXISTS,
                    _("cannot delete network namespace '%s': it is not ours"), name);
        return FALSE;
    }
    if (state == VW_NETNS_STATE_NAMESPACE && !vw_netns_unmount_all(path))
        return vw_net_error_set_errno(error, errno, _("cannot delete network namespace '%s'"),
                                      name);
    if (unlink(path) < 0)
        return vw_net_error_set_errno(error, errno, _("cannot delete network namespace '%s'"),
                                      name);
    return TRUE;
}

gboolean
vw_netns_delete(const char *name, GError **error)
{
    g_auto(VwFd) lock = -1;
    g_autofree char *path = NULL;

    g_return_val_if_fail(name != NULL, FALSE);
    if (!vw_netns_name_check(name, error))
        return FALSE;
    lock = vw_netns_lock_dir(FALSE, name, error);
    if (lock < 0)
        return FALSE;

    path = g_build_filename(VW_NETNS_RUN_DIR, name, NULL);
    /* Not a mount point (a creator died half-way): still remove it. */
    if (!vw_netns_unmount_all(path))
        return vw_net_error_set_errno(error, errno, _("cannot delete network namespace '%s'"),
                                      name);
    if (unlink(path) < 0)
        return vw_net_error_set_errno(error, errno, _("cannot delete network namespace '%s'"),
                                      name);
    return TRUE;
}

int
vw_netns_open(const char *name, GError **error)
{
    g_auto(VwFd) fd = -1;
    g_autofree char *path = NULL;

    g_return_val_if_fail(name != NULL, -1);
    if (!vw_netns_name_check(name, error))
        return -1;
    path = g_build_filename(VW_NETNS_RUN_DIR, name, NULL);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        vw_net_error_set_errno(error, errno, _("cannot open network namespace '%s'"), name);
        return -1;
    }
    /* A plain file (creation under way or abandoned) is not a namespace yet. */
    if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND,
                    _("cannot open network namespace '%s': '%s' is not a network namespace"), name,
                    path);
        return -1;
    }
    return g_steal_fd(&fd);
}

gboolean
vw_netns_exists(const char *name)
{
    g_auto(VwFd) fd = -1;

    g_return_val_if_fail(name != NULL, FALSE);
    fd = vw_netns_open(name, NULL);
    return fd >= 0;
}

static int
vw_netns_strcmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char **
vw_netns_list(GError **error)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    struct dirent *ent;
    DIR *dir;

    dir = opendir(VW_NETNS_RUN_DIR);
    if (!dir) {
        if (errno != ENOENT) {
            vw_net_error_set_errno(error, errno, _("cannot list network namespaces in '%s'"),
                                   VW_NETNS_RUN_DIR);
            return NULL;
        }
    } else {
        for (;;) {
            errno = 0;
            ent = readdir(dir);
            if (!ent)
                break;
            if (vw_netns_name_check(ent->d_name, NULL))
                g_ptr_array_add(names, g_strdup(ent->d_name));
        }
        if (errno != 0) {
            int saved = errno;

            closedir(dir);
            vw_net_error_set_errno(error, saved, _("cannot list network namespaces in '%s'"),
                                   VW_NETNS_RUN_DIR);
            return NULL;
        }
        closedir(dir);
    }
    g_ptr_array_sort(names, vw_netns_strcmp);
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

struct _VwNetnsJob {
    int netns_fd;
    VwNetnsFunc func;
    gpointer data;
    GThread *thread;
    gboolean ok;
    GError *error;
};

/* Runs on its own thread, which exits right after: no thread is left in the namespace. */
static gpointer
vw_netns_run_thread(gpointer user_data)
{
    VwNetnsJob *job = user_data;

    if (setns(job->netns_fd, CLONE_NEWNET) < 0) {
        vw_net_error_set_errno(&job->error, errno, _("cannot enter the network namespace of fd %d"),
                               job->netns_fd);
        return NULL;
    }
    job->ok = job->func(job->data, &job->error);
    return NULL;
}

VwNetnsJob *
vw_netns_run_begin(int netns_fd, VwNetnsFunc func, gpointer data, GError **error)
{
    g_autoptr(GError) thread_error = NULL;
    VwNetnsJob *job;

    g_return_val_if_fail(func != NULL, NULL);
    if (netns_fd < 0) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                    _("invalid network namespace file descriptor %d"), netns_fd);
        return NULL;
    }
    job = g_new0(VwNetnsJob, 1);
    job->netns_fd = netns_fd;
    job->func = func;
    job->data = data;
    job->thread = g_thread_try_new("vw-netns-run", vw_netns_run_thread, job, &thread_error);
    if (!job->thread) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_KERNEL,
                    _("cannot start a thread for the network namespace of fd %d: %s"), netns_fd,
                    thread_error->message);
        g_free(job);
        return NULL;
    }
    return job;
}

gboolean
vw_netns_run_finish(VwNetnsJob *job, GError **error)
{
    gboolean ok;

    g_return_val_if_fail(job != NULL, FALSE);
    g_thread_join(job->thread);
    ok = job->ok;
    if (ok)
        g_clear_error(&job->error);
    else if (job->error)
        g_propagate_error(error, job->error);
    g_free(job);
    return ok;
}

gboolean
vw_netns_run(int netns_fd, VwNetnsFunc func, gpointer data, GError **error)
{
    VwNetnsJob *job = vw_netns_run_begin(netns_fd, func, data, error);

    return job && vw_netns_run_finish(job, error);
}

/* Between fork and exec: only async-signal-safe calls. */
static void
vw_netns_child_setup(gpointer user_data)
{
    if (setns(GPOINTER_TO_INT(user_data), CLONE_NEWNET) < 0)
        _exit(127);
}

gboolean
vw_netns_spawn(const char *name, const char *const *argv, GPid *pid, GError **error)
{
    g_autoptr(GError) err = NULL;
    g_auto(VwFd) fd = -1;

    g_return_val_if_fail(name != NULL, FALSE);
    g_return_val_if_fail(argv != NULL && argv[0] != NULL, FALSE);
    g_return_val_if_fail(pid != NULL, FALSE);
    fd = vw_netns_open(name, error);
    if (fd < 0)
        return FALSE;
    if (!g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
                       vw_netns_child_setup, GINT_TO_POINTER(fd), pid, &err)) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_KERNEL,
                    _("cannot run '%s' in network namespace '%s': %s"), argv[0], name,
                    err->message);
        return FALSE;
    }
    return TRUE;
}
