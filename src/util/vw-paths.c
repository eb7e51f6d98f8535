#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "vw-atomic.h"
#include "vw-paths.h"
#include "vw-util-error.h"

/*
 * @root with every symbolic link in it resolved (realpath(3) of the part
 * that exists, the rest appended), so that the paths built from it contain
 * no link: the file functions refuse one in any component.  A root that
 * cannot be resolved stays as given (its use then reports why).
 */
static char *
canonical_root(const char *root)
{
    g_autofree char *head = g_strdup(root);
    g_autofree char *tail = NULL;

    for (;;) {
        char *real = realpath(head, NULL);
        char *slash;

        if (real) {
            char *out = tail ? g_build_filename(real, tail, NULL) : g_strdup(real);

            free(real);
            return out;
        }
        if (errno != ENOENT)
            return g_strdup(root);
        slash = strrchr(head, '/');
        if (!slash || slash == head)
            return g_strdup(root);
        {
            g_autofree char *t = tail;

            tail = t ? g_build_filename(slash + 1, t, NULL) : g_strdup(slash + 1);
        }
        *slash = '\0';
    }
}

VwPaths *
vw_paths_new(const char *root, GError **error)
{
    g_autoptr(VwPaths) paths = NULL;
    g_autofree char *clean = NULL;
    gsize len;

    if (!root) {
        root = g_getenv(VW_PATHS_ROOT_ENV);
        if (!root || !*root)
            root = "/";
    }
    if (!g_path_is_absolute(root)) {
        g_autofree char *shown = g_strescape(root, NULL);
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID,
                    _("invalid root directory '%s': must be an absolute path"), shown);
        return NULL;
    }
    /* "/tmp/x//" -> "/tmp/x"; "///" -> "/"; links resolved. */
    clean = canonical_root(root);
    len = strlen(clean);
    while (len > 1 && clean[len - 1] == '/')
        clean[--len] = '\0';

    paths = g_new0(VwPaths, 1);
    paths->root = g_steal_pointer(&clean);
    paths->config_dir = g_build_filename(paths->root, "etc", "virtwire", NULL);
    paths->networks_dir = g_build_filename(paths->config_dir, "networks", NULL);
    paths->run_dir = g_build_filename(paths->root, "run", "virtwire", NULL);
    paths->lock_dir = g_build_filename(paths->run_dir, "locks", NULL);
    paths->journal_dir = g_build_filename(paths->run_dir, "journal", NULL);
    paths->state_dir = g_build_filename(paths->root, "var", "lib", "virtwire", NULL);
    paths->leases_dir = g_build_filename(paths->state_dir, "leases", NULL);
    return g_steal_pointer(&paths);
}

gboolean
vw_paths_ensure(const VwPaths *paths, GError **error)
{
    /* The root and every folder from it down to the ones in use: each is
     * made if missing and refused if anyone but root (or the calling user)
     * could change it (vw_mkdir_p() checks the folder it is given). */
    static const struct {
        const char *rel;
        int mode;
    } dirs[] = {
        { "", 0755 },
        { "etc", 0755 },
        { "etc/virtwire", 0755 },
        { "etc/virtwire/networks", 0755 },
        { "run", 0755 },
        { "run/virtwire", 0755 },
        { "run/virtwire/locks", 0700 },
        { "run/virtwire/journal", 0700 },
        { "run/virtwire/networks", 0755 },
        { "var", 0755 },
        { "var/lib", 0755 },
        { "var/lib/virtwire", 0755 },
        { "var/lib/virtwire/leases", 0755 },
    };

    g_return_val_if_fail(paths != NULL, FALSE);

    for (guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
        g_autofree char *dir =
            *dirs[i].rel ? g_build_filename(paths->root, dirs[i].rel, NULL) : g_strdup(paths->root);

        if (!vw_mkdir_p(dir, dirs[i].mode, error))
            return FALSE;
    }
    return TRUE;
}

void
vw_paths_free(VwPaths *paths)
{
    if (!paths)
        return;
    g_free(paths->root);
    g_free(paths->config_dir);
    g_free(paths->networks_dir);
    g_free(paths->run_dir);
    g_free(paths->lock_dir);
    g_free(paths->journal_dir);
    g_free(paths->state_dir);
    g_free(paths->leases_dir);
    g_free(paths);
}

static gboolean
vw_paths_name_is_safe(const char *name)
{
    return name && *name && !strchr(name, '/') && !g_str_equal(name, ".") &&
           !g_str_equal(name, "..");
}

char *
vw_paths_network_file(const VwPaths *paths, const char *name)
{
    g_autofree char *file = NULL;

    g_return_val_if_fail(paths != NULL, NULL);
    g_return_val_if_fail(vw_paths_name_is_safe(name), NULL);
    file = g_strconcat(name, ".xml", NULL);
    return g_build_filename(paths->networks_dir, file, NULL);
}

char *
vw_paths_network_lock(const VwPaths *paths, const char *name)
{
    g_autofree char *file = NULL;

    g_return_val_if_fail(paths != NULL, NULL);
    g_return_val_if_fail(vw_paths_name_is_safe(name), NULL);
    file = g_strconcat(name, ".lock", NULL);
    return g_build_filename(paths->lock_dir, file, NULL);
}

char *
vw_paths_leases_file(const VwPaths *paths, const char *name)
{
    g_autofree char *file = NULL;

    g_return_val_if_fail(paths != NULL, NULL);
    g_return_val_if_fail(vw_paths_name_is_safe(name), NULL);
    file = g_strconcat(name, ".json", NULL);
    return g_build_filename(paths->leases_dir, file, NULL);
}

char *
vw_paths_run_network_dir(const VwPaths *paths, const char *name)
{
    g_return_val_if_fail(paths != NULL, NULL);
    g_return_val_if_fail(vw_paths_name_is_safe(name), NULL);
    return g_build_filename(paths->run_dir, "networks", name, NULL);
}
