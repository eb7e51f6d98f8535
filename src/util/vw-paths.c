#include <config.h>

#include <string.h>

#include <glib/gi18n-lib.h>

#include "vw-atomic.h"
#include "vw-paths.h"
#include "vw-util-error.h"

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
    /* "/tmp/x//" -> "/tmp/x"; "///" -> "/". */
    clean = g_strdup(root);
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
    g_autofree char *run_networks = NULL;

    g_return_val_if_fail(paths != NULL, FALSE);

    run_networks = g_build_filename(paths->run_dir, "networks", NULL);
    return vw_mkdir_p(paths->config_dir, 0755, error) &&
           vw_mkdir_p(paths->networks_dir, 0755, error) &&
           vw_mkdir_p(paths->run_dir, 0755, error) && vw_mkdir_p(paths->lock_dir, 0700, error) &&
           vw_mkdir_p(paths->journal_dir, 0700, error) && vw_mkdir_p(run_networks, 0755, error) &&
           vw_mkdir_p(paths->state_dir, 0755, error) && vw_mkdir_p(paths->leases_dir, 0755, error);
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
