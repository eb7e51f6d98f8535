/*
 * Where virtwire keeps its state.  One root directory moves all of it (the
 * tools' --root option, the VIRTWIRE_ROOT environment variable), so tests
 * run in a temporary root.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The environment variable read by vw_paths_new() when no root is given. */
#define VW_PATHS_ROOT_ENV "VIRTWIRE_ROOT"

/*
 * Every path is absolute and starts with root (no trailing '/', except the
 * root "/" itself).  Modes are those vw_paths_ensure() gives new directories.
 */
typedef struct {
    char *root;         /* "/" by default */
    char *config_dir;   /* ROOT/etc/virtwire (0755) */
    char *networks_dir; /* ROOT/etc/virtwire/networks: NAME.xml definitions (0755) */
    char *run_dir;      /* ROOT/run/virtwire (0755) */
    char *lock_dir;     /* ROOT/run/virtwire/locks: NAME.lock (0700) */
    char *journal_dir;  /* ROOT/run/virtwire/journal (0700) */
    char *state_dir;    /* ROOT/var/lib/virtwire (0755) */
    char *leases_dir;   /* ROOT/var/lib/virtwire/leases: NAME.json (0755) */
} VwPaths;

/**
 * vw_paths_new:
 * @root: (nullable): the root directory; NULL means the environment
 *     variable VIRTWIRE_ROOT if it is set and not empty, else "/"
 * @error: (out) (optional): set to VW_UTIL_ERROR_INVALID naming the root
 *     when it is not an absolute path
 *
 * Compute the state paths under @root.  Nothing is created; see
 * vw_paths_ensure().  The root is made canonical (the symbolic links in
 * it resolved, as realpath(3) does, for the part that exists), so that the
 * paths under it hold no link: the file functions of src/util refuse one
 * in any component.
 *
 * Returns: (transfer full): the paths, or NULL with @error set
 */
VwPaths *vw_paths_new(const char *root, GError **error);

/**
 * vw_paths_ensure:
 * @paths: the paths
 * @error: (out) (optional): set to a VW_UTIL_ERROR_IO error naming the
 *     directory on failure, VW_UTIL_ERROR_INVALID naming it when it is refused
 *
 * Create every directory of @paths that is missing (and run_dir/networks),
 * with the modes listed at #VwPaths.  Existing directories keep their mode.
 * The root and every folder from it down to those (ROOT/etc, ROOT/run,
 * ROOT/var, ROOT/var/lib included) must be folders, not symbolic links,
 * owned by root or the calling user and writable by neither group nor
 * others: anything else is refused, naming it (the root's parent, e.g.
 * /tmp, is not checked).
 *
 * Returns: TRUE on success
 */
gboolean vw_paths_ensure(const VwPaths *paths, GError **error);

/**
 * vw_paths_free:
 * @paths: (nullable): the paths
 *
 * Free @paths and its strings.
 */
void vw_paths_free(VwPaths *paths);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwPaths, vw_paths_free)

/*
 * The helpers below take a network name that has already been validated
 * (vw_netdef_validate(): no '/', not "." or ".."); for anything else they
 * emit a critical warning and return NULL.
 */

/**
 * vw_paths_network_file:
 * @paths: the paths
 * @name: a network name
 *
 * Returns: (transfer full): networks_dir/NAME.xml, the persistent definition
 */
char *vw_paths_network_file(const VwPaths *paths, const char *name);

/**
 * vw_paths_network_lock:
 * @paths: the paths
 * @name: a network name
 *
 * Returns: (transfer full): lock_dir/NAME.lock, the network's lock file
 */
char *vw_paths_network_lock(const VwPaths *paths, const char *name);

/**
 * vw_paths_leases_file:
 * @paths: the paths
 * @name: a network name
 *
 * Returns: (transfer full): leases_dir/NAME.json, the network's lease database
 */
char *vw_paths_leases_file(const VwPaths *paths, const char *name);

/**
 * vw_paths_run_network_dir:
 * @paths: the paths
 * @name: a network name
 *
 * Returns: (transfer full): run_dir/networks/NAME, where the runtime files of
 *     a started network live (dnsmasq configuration, pid, hosts file, status)
 */
char *vw_paths_run_network_dir(const VwPaths *paths, const char *name);

G_END_DECLS
