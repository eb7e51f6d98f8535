/*
 * File-system access that never follows a symbolic link.
 *
 * Everything virtwire keeps under its state root (and in the host-wide
 * index folder) is opened with these: no component of the path may be a
 * symbolic link (openat2(2) with RESOLVE_NO_SYMLINKS, or, on a kernel
 * without openat2, a walk from "/" that opens each folder with
 * O_NOFOLLOW | O_DIRECTORY relative to the previous one), so that a link
 * planted in the tree cannot send a write, a creation or a removal
 * somewhere else.  vw_paths_new() makes the root canonical, so that the
 * paths virtwire builds contain no link of their own.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * vw_fs_open:
 * @path: a path; no component of it may be a symbolic link
 * @flags: open(2) flags (O_CLOEXEC is added)
 * @mode: the mode of a file that O_CREAT creates
 *
 * open(2) @path without following any symbolic link: one in any component
 * (the last one included, also with O_CREAT) fails with ELOOP.
 *
 * Returns: a file descriptor, or -1 with errno set
 */
int vw_fs_open(const char *path, int flags, int mode);

/**
 * vw_fs_open_parent:
 * @path: a path naming a file in a folder
 * @base: (out) (transfer full): the last component of @path
 *
 * Open the folder holding @path (read-only, O_DIRECTORY) as vw_fs_open()
 * does, for the *at() calls on @base.
 *
 * Returns: a file descriptor, or -1 with errno set (EINVAL when @path has
 *     no last component, e.g. "/" or "dir/")
 */
int vw_fs_open_parent(const char *path, char **base);

/**
 * vw_fs_strerror:
 * @path: the path an operation failed on
 * @errsv: the errno it failed with
 *
 * The reason to show for a failure on @path: for ELOOP, which component of
 * @path is the symbolic link; otherwise g_strerror(@errsv).
 *
 * Returns: (transfer full): a translated reason
 */
char *vw_fs_strerror(const char *path, int errsv);

/**
 * vw_fs_dir_check:
 * @fd: an open folder
 * @path: its path, for the message
 * @error: (out) (optional): set to VW_UTIL_ERROR_INVALID naming @path
 *
 * Refuse a folder that someone but root could change: one writable by its
 * group or by others, or owned by anyone but root and the calling user.
 *
 * Returns: TRUE when the folder is safe
 */
gboolean vw_fs_dir_check(int fd, const char *path, GError **error);

/**
 * vw_fs_read:
 * @path: the file to read
 * @max: the most bytes it may hold
 * @follow: TRUE to follow symbolic links (a file the user named), FALSE
 *     for state files (no symbolic link in any component)
 * @len: (out) (optional): the number of bytes read
 * @error: (out) (optional): set to a VW_UTIL_ERROR_IO error naming @path,
 *     or VW_UTIL_ERROR_INVALID naming @path and @max when it holds more
 *
 * Read @path whole, but never more than @max + 1 bytes of it: a larger
 * file, or a device that never ends (/dev/zero), fails after that much.
 * "-" is not special.
 *
 * Returns: (transfer full): the content, NUL-terminated, or NULL
 */
char *vw_fs_read(const char *path, gsize max, gboolean follow, gsize *len, GError **error);

/**
 * vw_fs_read_fd:
 * @fd: a file descriptor to read to its end
 * @what: what it is, for messages (a path, "standard input")
 * @max: the most bytes it may hold
 * @len: (out) (optional): the number of bytes read
 * @error: (out) (optional): as for vw_fs_read()
 *
 * vw_fs_read() on an open descriptor (which stays open).
 *
 * Returns: (transfer full): the content, NUL-terminated, or NULL
 */
char *vw_fs_read_fd(int fd, const char *what, gsize max, gsize *len, GError **error);

/**
 * vw_fs_tree_remove:
 * @path: a folder
 * @error: (out) (optional): set to a VW_UTIL_ERROR_IO error naming what
 *     could not be removed
 *
 * Remove @path and everything in it, like `rm -r`, without following any
 * symbolic link: a link in the tree is removed, never what it points to,
 * and @path itself must not be (or pass through) a link.  A missing @path
 * is success.
 *
 * Returns: TRUE on success
 */
gboolean vw_fs_tree_remove(const char *path, GError **error);

/**
 * vw_fs_dir_list:
 * @path: a folder (no symbolic link in any component)
 * @error: (out) (optional): set to a VW_UTIL_ERROR_IO error naming @path
 *
 * The names in @path ("." and ".." left out), in no particular order.  A
 * missing folder has no names.
 *
 * Returns: (transfer full): the names, or NULL with @error set
 */
char **vw_fs_dir_list(const char *path, GError **error);

/**
 * vw_fs_link_is:
 * @path: a path (no symbolic link in the folders above it)
 * @target: the exact content expected
 *
 * Returns: TRUE when @path is a symbolic link whose content is exactly
 *     @target (the link is read, never followed)
 */
gboolean vw_fs_link_is(const char *path, const char *target);

/**
 * vw_fs_link_create:
 * @path: where to make the link (no symbolic link in the folders above it)
 * @target: its content
 * @error: (out) (optional): set to a VW_UTIL_ERROR_IO error naming @path
 *
 * Make @path a symbolic link to @target.  A link that is there with that
 * exact content is success; anything else there is an error.
 *
 * Returns: TRUE on success
 */
gboolean vw_fs_link_create(const char *path, const char *target, GError **error);

/**
 * vw_fs_set_openat2:
 * @use: FALSE to resolve paths by the walk a kernel without openat2 needs
 *
 * For tests: both ways of resolving must refuse the same links.
 */
void vw_fs_set_openat2(gboolean use);

G_END_DECLS
