/*
 * Named network namespaces, compatible with `ip netns`: a namespace NAME is
 * kept alive by a bind mount of its nsfs file on /run/netns/NAME.
 *
 * No function here ever moves the calling thread (or any other long-lived
 * thread) into another network namespace: work inside a namespace runs on a
 * short-lived thread or in a child process.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Where `ip netns` keeps its namespaces. */
#define VW_NETNS_RUN_DIR "/run/netns"

/**
 * vw_netns_name_check:
 * @name: a network namespace name
 * @error: (out) (optional): set (VW_NET_ERROR_INVALID) when @name is not acceptable
 *
 * Check @name before it becomes a path: 1..64 bytes, only ASCII letters,
 * digits and "-_.", and not "." or "..".
 *
 * Returns: TRUE when @name is acceptable
 */
gboolean vw_netns_name_check(const char *name, GError **error);

/**
 * vw_netns_create:
 * @name: name of the new network namespace
 * @error: (out) (optional): set on failure; VW_NET_ERROR_EXISTS when @name is taken
 *
 * Create a network namespace and bind it to /run/netns/@name, the way
 * `ip netns add` does: the directory is made a shared mount once (under an
 * flock on it, so that concurrent creators never stack mounts), the name is
 * claimed with O_EXCL, and a short-lived thread unshares its network
 * namespace and bind-mounts it there.  On failure nothing is left behind.
 *
 * Returns: TRUE on success
 */
gboolean vw_netns_create(const char *name, GError **error);

/**
 * vw_netns_create_marked:
 * @name: name of the network namespace
 * @mark: (nullable): the owner's identity (at most 255 bytes), or NULL for none
 * @error: (out) (optional): set on failure; VW_NET_ERROR_EXISTS when @name is
 *     taken by a namespace or file that does not carry @mark
 *
 * vw_netns_create() for an owner: @mark is written into the placeholder file
 * that claims /run/netns/@name (the bind mount hides it afterwards) and set
 * as the alias of the new namespace's lo before the namespace is mounted, so
 * a namespace reachable by @name always carries it, and a placeholder left
 * by a creator that died before its mount can be told apart from another
 * creator's.  A namespace @name carrying @mark is success (nothing is made);
 * a placeholder carrying @mark is repaired (a new namespace is mounted over
 * it); anything else under @name (a namespace with another mark or none, an
 * empty or foreign file) is refused and left as it is.
 *
 * Returns: TRUE when /run/netns/@name is a namespace carrying @mark
 */
gboolean vw_netns_create_marked(const char *name, const char *mark, GError **error);

/**
 * vw_netns_get_mark:
 * @name: name of a network namespace
 * @placeholder: (out) (optional): set to TRUE when /run/netns/@name is a
 *     plain file (a creator died before its mount), FALSE otherwise
 * @error: (out) (optional): set on failure; VW_NET_ERROR_NOT_FOUND when absent
 *
 * The owner's mark of /run/netns/@name, as vw_netns_create_marked() left
 * it: the alias of the namespace's lo, or the contents of a placeholder.
 * Symlinks are not followed; anything but a regular file or a namespace (a
 * device node, a FIFO, a folder) is looked at through O_PATH only, never
 * opened, and has no mark.
 *
 * Returns: (transfer full): the mark, "" for none (e.g. `ip netns add`),
 *     or NULL on error
 */
char *vw_netns_get_mark(const char *name, gboolean *placeholder, GError **error);

/**
 * vw_netns_delete_marked:
 * @name: name of a network namespace
 * @mark: the owner's identity
 * @error: (out) (optional): set on failure; VW_NET_ERROR_NOT_FOUND when
 *     absent, VW_NET_ERROR_EXISTS when /run/netns/@name does not carry @mark
 *
 * vw_netns_delete() of a namespace, or of a leftover placeholder, only when
 * it carries @mark (checked under the lock of /run/netns); anything else is
 * left as it is.
 *
 * Returns: TRUE when it was deleted
 */
gboolean vw_netns_delete_marked(const char *name, const char *mark, GError **error);

/**
 * vw_netns_delete:
 * @name: name of a network namespace
 * @error: (out) (optional): set on failure; VW_NET_ERROR_NOT_FOUND when absent
 *
 * Detach every mount on /run/netns/@name (bind mounts stacked on it too)
 * and remove the file, like `ip netns del`.  Processes and sockets still inside the namespace keep
 * it alive; the kernel frees it once the last one is gone.
 *
 * Returns: TRUE on success
 */
gboolean vw_netns_delete(const char *name, GError **error);

/**
 * vw_netns_open:
 * @name: name of a network namespace
 * @error: (out) (optional): set on failure; VW_NET_ERROR_NOT_FOUND when absent
 *
 * Open the namespace for setns() or IFLA_NET_NS_FD.  A file under
 * /run/netns that is not (yet) a network namespace counts as absent.
 *
 * Returns: a read-only, close-on-exec file descriptor owned by the caller,
 *     or -1 on error
 */
int vw_netns_open(const char *name, GError **error);

/**
 * vw_netns_exists:
 * @name: name of a network namespace
 *
 * Returns: TRUE when @name is a valid name and /run/netns/@name is a
 *     network namespace, i.e. when vw_netns_open() would succeed
 */
gboolean vw_netns_exists(const char *name);

/**
 * vw_netns_list:
 * @error: (out) (optional): set when /run/netns cannot be read
 *
 * List the entries of /run/netns whose names pass vw_netns_name_check()
 * (`ip netns list` shows them all).
 *
 * Returns: (transfer full): the names, sorted; empty when /run/netns does
 *     not exist; NULL on error.  Free with g_strfreev().
 */
char **vw_netns_list(GError **error);

/**
 * VwNetnsFunc:
 * @data: the data given to vw_netns_run()
 * @error: (out) (optional): to set on failure
 *
 * Work to do inside a network namespace.
 *
 * Returns: TRUE on success, FALSE with @error set on failure
 */
typedef gboolean (*VwNetnsFunc)(gpointer data, GError **error);

/**
 * vw_netns_run:
 * @netns_fd: a network namespace, as from vw_netns_open()
 * @func: the work to do inside it
 * @data: passed to @func
 * @error: (out) (optional): set when entering the namespace fails, or by @func
 *
 * Run @func on a new thread that has entered @netns_fd, wait for it, and
 * let the thread exit.  The calling thread never changes namespace.
 * Sockets @func opens stay in the namespace and may be used from any thread
 * afterwards.  @func must not start threads that outlive it: they would be
 * born inside the namespace.
 *
 * Returns: what @func returned, or FALSE when the namespace cannot be entered
 */
gboolean vw_netns_run(int netns_fd, VwNetnsFunc func, gpointer data, GError **error);

/**
 * VwNetnsJob:
 *
 * Work started inside a network namespace by vw_netns_run_begin(), running
 * on its own thread until vw_netns_run_finish() waits for it.
 */
typedef struct _VwNetnsJob VwNetnsJob;

/**
 * vw_netns_run_begin: (skip)
 * @netns_fd: a network namespace, as from vw_netns_open(); kept open by the
 *     caller until vw_netns_run_finish()
 * @func: the work to do inside it
 * @data: passed to @func; neither it nor anything @func touches may be used
 *     by the caller until vw_netns_run_finish()
 * @error: (out) (optional): set when @netns_fd is negative or the thread
 *     cannot be started
 *
 * vw_netns_run() in two halves: start @func on its own thread and return at
 * once, so that the caller does other work meanwhile.  Every job begun must
 * be finished.
 *
 * Returns: (transfer full): the running job, or NULL
 */
VwNetnsJob *vw_netns_run_begin(int netns_fd, VwNetnsFunc func, gpointer data, GError **error);

/**
 * vw_netns_run_finish: (skip)
 * @job: (transfer full): from vw_netns_run_begin()
 * @error: (out) (optional): set when entering the namespace failed, or by @func
 *
 * Wait for @job's thread to end and free @job.
 *
 * Returns: what @func returned, or FALSE when the namespace cannot be entered
 */
gboolean vw_netns_run_finish(VwNetnsJob *job, GError **error);

/**
 * vw_netns_spawn:
 * @name: name of a network namespace
 * @argv: (array zero-terminated=1): the program and its arguments; the
 *     program is looked up in PATH
 * @pid: (out): the child's pid
 * @error: (out) (optional): set on failure
 *
 * Start a process inside the namespace, like `ip netns exec` but without
 * its mount-namespace work (the child sees the host's /sys and /etc).  The
 * child inherits the environment and standard streams.  It enters the
 * namespace between fork and exec; should that fail it exits with
 * status 127.  The child is not reaped: the caller must waitpid() it or add
 * a child watch.
 *
 * Returns: TRUE when the child was started
 */
gboolean vw_netns_spawn(const char *name, const char *const *argv, GPid *pid, GError **error);

G_END_DECLS
