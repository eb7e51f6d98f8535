/*
 * Files that survive a crash at any instant: atomic replacement (temporary
 * file, fsync, rename, fsync of the directory), directory creation and
 * removal that treat "already there" / "already gone" as success.
 *
 * None of them follows a symbolic link in any folder of the path (see
 * vw-fs.h): one there fails with an error naming it.  A link at the last
 * component is replaced by a write and removed by vw_file_remove(), never
 * written or removed through.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * VW_FAULT_ATOMIC_RENAME:
 *
 * Fault-injection step (see vw_fault_point()) of vw_file_write_atomic():
 * reached after the temporary file is written and synced, just before it
 * is renamed over the target.  A process stopped there leaves the old
 * content in place and a temporary file ".NAME.XXXXXX" next to it.
 */
#define VW_FAULT_ATOMIC_RENAME "util-atomic-rename"

/**
 * vw_file_write_atomic:
 * @path: the file to create or replace
 * @data: the new content
 * @len: length of @data in bytes, or -1 if it is NUL-terminated
 * @mode: permission bits of the new file (e.g. 0644); the umask does not apply
 * @error: (out) (optional): set to a VW_UTIL_ERROR_IO error naming the path on failure
 *
 * Replace @path with @data so that, whatever happens (crash, power loss,
 * a concurrent reader), @path holds either the old or the new content in
 * full.  The data goes to a temporary file ".NAME.XXXXXX" in the same
 * directory (opened with O_CREAT | O_EXCL | O_CLOEXEC), is written and
 * fsync'ed, renamed over @path, and the directory is fsync'ed.  On failure
 * the temporary file is removed and @path is untouched (except when only
 * the final directory fsync fails: the new content is then in place but
 * its durability is not guaranteed, and an error is still reported).
 *
 * Returns: TRUE on success
 */
gboolean vw_file_write_atomic(const char *path, const char *data, gssize len, int mode,
                              GError **error);

/* How vw_file_write_atomic_full() replaces a file. */
typedef enum {
    VW_ATOMIC_DEFAULT = 0,
    /* No fsync of the file or its directory: the replacement is still atomic
     * for readers and against the writer dying at any point, but not durable
     * across a power loss.  For runtime state that describes kernel objects,
     * which a reboot removes anyway.  An existing regular file is replaced
     * by swapping names (RENAME_EXCHANGE) and unlinking the old one, which
     * spares ext4's flush of a file renamed over another. */
    VW_ATOMIC_NO_SYNC = 1 << 0,
} VwAtomicFlags;

/**
 * vw_file_write_atomic_full:
 * @path: the file to create or replace
 * @data: the new content
 * @len: length of @data in bytes, or -1 if it is NUL-terminated
 * @mode: permission bits of the new file; the umask does not apply
 * @flags: VW_ATOMIC_NO_SYNC to skip the fsyncs
 * @error: (out) (optional): as for vw_file_write_atomic()
 *
 * vw_file_write_atomic() with @flags.
 *
 * Returns: TRUE on success
 */
gboolean vw_file_write_atomic_full(const char *path, const char *data, gssize len, int mode,
                                   VwAtomicFlags flags, GError **error);

/**
 * vw_mkdir_p:
 * @path: a directory path
 * @mode: permission bits of the directories created (e.g. 0755); the umask
 *     does not apply; existing directories are left as they are
 * @error: (out) (optional): set to a VW_UTIL_ERROR_IO error naming the path on failure
 *
 * Create @path and its missing parents, like `mkdir -p`, each with
 * mkdirat() in the folder opened before it, following no symbolic link (a
 * link anywhere in @path is an error naming it).  An existing directory is
 * success; an existing non-directory is an error.  The directory @path
 * (made or found) must be owned by root or the calling user and not be
 * writable by group or others: otherwise VW_UTIL_ERROR_INVALID names it.
 *
 * Returns: TRUE on success
 */
gboolean vw_mkdir_p(const char *path, int mode, GError **error);

/**
 * vw_file_remove:
 * @path: a file (not a directory)
 * @error: (out) (optional): set to a VW_UTIL_ERROR_IO error naming the path on failure
 *
 * Unlink @path.  A missing file is success.
 *
 * Returns: TRUE on success
 */
gboolean vw_file_remove(const char *path, GError **error);

G_END_DECLS
