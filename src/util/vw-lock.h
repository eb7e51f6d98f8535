/*
 * Advisory file locks (flock) with a timeout, for the per-network lock of
 * the engine.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VwLock VwLock;

/**
 * vw_lock_acquire:
 * @path: the lock file; created (mode 0600) if missing, its directory must
 *     exist; no component of it may be a symbolic link (a dangling link
 *     there is refused, and nothing is created where it points), and it
 *     must be a regular file
 * @exclusive: TRUE for an exclusive (writer) lock, FALSE for a shared one
 * @timeout_ms: how long to wait for the lock: 0 = try once, -1 = forever
 * @error: (out) (optional): set on failure: VW_UTIL_ERROR_LOCKED naming
 *     @path when the timeout passed, VW_UTIL_ERROR_IO when @path cannot be
 *     opened
 *
 * Take a flock(2) lock on @path.  The lock belongs to a fresh open file
 * description, so it excludes other processes and also other threads (and
 * other callers) of this process.  A finite wait polls with short sleeps
 * (1 ms growing to 20 ms); an infinite wait blocks in flock(2) on the
 * calling thread.  No helper thread or process is ever left behind.
 *
 * The holder of an exclusive lock may unlink @path (e.g. when the network
 * is undefined): a waiter that then gets the lock on the unlinked file
 * notices it and retries on the path as it is now.
 *
 * Returns: (transfer full): the lock, or NULL with @error set
 */
VwLock *vw_lock_acquire(const char *path, gboolean exclusive, int timeout_ms, GError **error);

/**
 * vw_lock_get_path:
 * @lock: a lock
 *
 * Returns: (transfer none): the path given to vw_lock_acquire()
 */
const char *vw_lock_get_path(const VwLock *lock);

/**
 * vw_lock_release:
 * @lock: (nullable): a lock from vw_lock_acquire()
 *
 * Release the lock (closing its file descriptor) and free @lock.  The lock
 * file stays.  A process that dies releases its locks with it.
 */
void vw_lock_release(VwLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwLock, vw_lock_release)

G_END_DECLS
