#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "vw-cgroup-private.h"
#include "vw-cgroup.h"

/* How long vw_cgroup_partition_remove() waits for exiting tasks, in all. */
#define VW_CGROUP_REMOVE_WAIT_US (2 * G_USEC_PER_SEC)
/* First and longest pause between two attempts. */
#define VW_CGROUP_BACKOFF_MIN_US 1000
#define VW_CGROUP_BACKOFF_MAX_US (100 * 1000)
/* Attempts of a cgroup.procs write failing with EINVAL (a task still being born). */
#define VW_CGROUP_PROCS_TRIES 10
/* Attempts of a create racing with the removal of the shared parent directory. */
#define VW_CGROUP_CREATE_TRIES 5

/* Conversion of cpu.weight (v2) to cpu.shares (v1), as systemd does. */
#define VW_CGROUP_SHARES_DEFAULT 1024
#define VW_CGROUP_WEIGHT_DEFAULT 100
#define VW_CGROUP_SHARES_MIN     2
#define VW_CGROUP_SHARES_MAX     262144

#define VW_CGROUP_PF_EXITING 0x00000004 /* task_struct flags: getting shut down */

/* ------------------------------------------------------------------------ */
/* Names.                                                                   */

static gboolean
vw_cgroup_name_chars_ok(const char *name, gsize max, gboolean alnum_first)
{
    gsize len = strlen(name);

    if (len == 0 || len > max)
        return FALSE;
    if (name[0] == '-' || (alnum_first && !g_ascii_isalnum(name[0])))
        return FALSE;
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
            return FALSE;
    }
    return TRUE;
}

gboolean
vw_cgroup_network_name_check(const char *network, GError **error)
{
    g_return_val_if_fail(network != NULL, FALSE);
    if (!vw_cgroup_name_chars_ok(network, VW_CGROUP_NAME_MAX, FALSE)) {
        g_autofree char *shown = g_strescape(network, NULL);

        g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID,
                    _("invalid network name '%s' for a cgroup partition: must be 1 to %d ASCII "
                      "letters, digits, '-' or '_', not starting with '-'"),
                    shown, VW_CGROUP_NAME_MAX);
        return FALSE;
    }
    return TRUE;
}

gboolean
vw_cgroup_partition_check(const char *partition, GError **error)
{
    const char *name;

    g_return_val_if_fail(partition != NULL, FALSE);
    if (!g_str_has_prefix(partition, VW_CGROUP_PARTITION_PREFIX)) {
        g_autofree char *shown = g_strescape(partition, NULL);

        g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID,
                    _("invalid cgroup partition '%s': must be %sNAME"), shown,
                    VW_CGROUP_PARTITION_PREFIX);
        return FALSE;
    }
    name = partition + strlen(VW_CGROUP_PARTITION_PREFIX);
    if (!vw_cgroup_name_chars_ok(name, VW_CGROUP_NAME_MAX, FALSE)) {
        g_autofree char *shown = g_strescape(partition, NULL);

        g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID,
                    _("invalid cgroup partition '%s': NAME must be 1 to %d ASCII letters, "
                      "digits, '-' or '_', not starting with '-'"),
                    shown, VW_CGROUP_NAME_MAX);
        return FALSE;
    }
    return TRUE;
}

static gboolean
vw_cgroup_leaf_check(const char *leaf, GError **error)
{
    if (!vw_cgroup_name_chars_ok(leaf, VW_CGROUP_LEAF_MAX, TRUE)) {
        g_autofree char *shown = g_strescape(leaf, NULL);

        g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID,
                    _("invalid cgroup leaf name '%s': must be 1 to %d ASCII letters, digits, '-' "
                      "or '_', starting with a letter or digit"),
                    shown, VW_CGROUP_LEAF_MAX);
        return FALSE;
    }
    return TRUE;
}

char *
vw_cgroup_partition_for_network(const char *network, GError **error)
{
    g_return_val_if_fail(network != NULL, NULL);
    if (!vw_cgroup_network_name_check(network, error))
        return NULL;
    return g_strconcat(VW_CGROUP_PARTITION_PREFIX, network, NULL);
}

/*
 * The directory names of @partition below a hierarchy's root: @top for
 * "/virtwire", @part for NAME.  Without systemd, libvirt's
 * virCgroupSetPartitionSuffix(): ".partition" appended, then a '_' prefixed
 * to a name starting with '_' or "cgroup." (libvirt also means to escape
 * names starting with a controller name followed by '.', but its parser of
 * /proc/cgroups splits on ' ' while the file is tab-separated, so that never
 * happens; we do what it does).  With systemd, virSystemdMakeSliceName():
 * "virtwire-NAME.slice" with '-' inside NAME escaped as "\x2d", in the
 * directory of its parent slice "virtwire.slice".
 */
static gboolean
vw_cgroup_partition_names(const VwCgroupLayout *layout, const char *partition, char **top,
                          char **part, GError **error)
{
    const char *name;

    if (!vw_cgroup_partition_check(partition, error))
        return FALSE;
    name = partition + strlen(VW_CGROUP_PARTITION_PREFIX);
    if (layout->systemd) {
        GString *slice = g_string_new("virtwire-");

        for (const char *p = name; *p; p++) {
            if (*p == '-')
                g_string_append(slice, "\\x2d");
            else
                g_string_append_c(slice, *p);
        }
        g_string_append(slice, ".slice");
        *top = g_strdup("virtwire.slice");
        *part = g_string_free(slice, FALSE);
    } else {
        g_autofree char *suffixed = g_strconcat(name, ".partition", NULL);

        *top = g_strdup("virtwire.partition");
        if (name[0] == '_' || g_str_has_prefix(suffixed, "cgroup."))
            *part = g_strconcat("_", suffixed, NULL);
        else
            *part = g_steal_pointer(&suffixed);
    }
    return TRUE;
}

static char *
vw_cgroup_dir(const VwCgroupHierarchy *hier, const char *top, const char *part, const char *leaf)
{
    return g_build_filename(hier->mountpoint, top, part, leaf, NULL);
}

GPtrArray *
vw_cgroup_partition_paths(const VwCgroupLayout *layout, const char *partition, GError **error)
{
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *top = NULL;
    g_autofree char *part = NULL;

    g_return_val_if_fail(layout != NULL && partition != NULL, NULL);
    if (!vw_cgroup_partition_names(layout, partition, &top, &part, error))
        return NULL;
    for (guint i = 0; i < layout->hierarchies->len; i++)
        g_ptr_array_add(paths,
                        vw_cgroup_dir(vw_cgroup_layout_hierarchy(layout, i), top, part, NULL));
    return g_steal_pointer(&paths);
}

/* ------------------------------------------------------------------------ */
/* Small file helpers.                                                      */

static gboolean
vw_cgroup_read(const char *path, char **out, GError **error)
{
    int err = vw_cgroup_read_file(path, out);

    if (err != 0)
        return vw_cgroup_set_errno(error, err, _("cannot read '%s'"), path);
    return TRUE;
}

static gboolean
vw_cgroup_write(const char *path, const char *value, GError **error)
{
    int err = vw_cgroup_write_file(path, value);

    if (err != 0)
        return vw_cgroup_set_errno(error, err, _("cannot write '%s' to '%s'"), value, path);
    return TRUE;
}

static gboolean
vw_cgroup_is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The pids listed in DIR/cgroup.procs; ENOENT (the directory is gone) gives none. */
static gboolean
vw_cgroup_read_procs(const char *dir, GArray *pids, GError **error)
{
    g_autofree char *path = g_build_filename(dir, "cgroup.procs", NULL);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    int err;

    err = vw_cgroup_read_file(path, &text);
    if (err == ENOENT || err == ENODEV)
        return TRUE;
    if (err != 0)
        return vw_cgroup_set_errno(error, err, _("cannot read '%s'"), path);
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        gint64 pid;

        if (lines[i][0] == '\0')
            continue;
        if (!g_ascii_string_to_signed(lines[i], 10, 0, G_MAXINT32, &pid, NULL))
            continue;
        {
            pid_t value = (pid_t)pid;

            g_array_append_val(pids, value);
        }
    }
    return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Creation.                                                                */

/* mkdir @path; an existing directory is fine.  *made tells whether this call made it. */
static int
vw_cgroup_mkdir(const char *path, gboolean *made)
{
    *made = FALSE;
    if (mkdir(path, 0755) == 0) {
        *made = TRUE;
        return 0;
    }
    if (errno != EEXIST)
        return errno;
    return vw_cgroup_is_dir(path) ? 0 : ENOTDIR;
}

/* A new v1 cpuset group has empty cpus and mems: copy them from the parent. */
static gboolean
vw_cgroup_cpuset_init(const char *parent, const char *dir, GError **error)
{
    static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

    for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *path = g_build_filename(dir, files[i], NULL);
        g_autofree char *parent_path = g_build_filename(parent, files[i], NULL);
        g_autofree char *value = NULL;
        g_autofree char *parent_value = NULL;

        if (!vw_cgroup_read(path, &value, error))
            return FALSE;
        if (g_strstrip(value)[0] != '\0')
            continue;
        if (!vw_cgroup_read(parent_path, &parent_value, error))
            return FALSE;
        if (g_strstrip(parent_value)[0] == '\0') {
            g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_FAILED,
                        _("cannot initialise '%s': '%s' is empty"), path, parent_path);
            return FALSE;
        }
        if (!vw_cgroup_write(path, parent_value, error))
            return FALSE;
    }
    return TRUE;
}

/* v2: enable in DIR/cgroup.subtree_control every controller of DIR/cgroup.controllers. */
static gboolean
vw_cgroup_v2_enable(const char *dir, GError **error)
{
    g_autofree char *avail_path = g_build_filename(dir, "cgroup.controllers", NULL);
    g_autofree char *subtree_path = g_build_filename(dir, "cgroup.subtree_control", NULL);
    g_autofree char *avail_text = NULL;
    g_autofree char *subtree_text = NULL;
    g_auto(GStrv) avail = NULL;
    g_auto(GStrv) enabled = NULL;

    if (!vw_cgroup_read(avail_path, &avail_text, error) ||
        !vw_cgroup_read(subtree_path, &subtree_text, error))
        return FALSE;
    avail = g_strsplit_set(g_strstrip(avail_text), " \n", -1);
    enabled = g_strsplit_set(g_strstrip(subtree_text), " \n", -1);
    for (guint i = 0; avail[i]; i++) {
        g_autofree char *plus = NULL;
        int err;

        if (avail[i][0] == '\0' || g_strv_contains((const char *const *)enabled, avail[i]))
            continue;
        plus = g_strconcat("+", avail[i], NULL);
        err = vw_cgroup_write_file(subtree_path, plus);
        if (err != 0)
            return vw_cgroup_set_errno(error, err,
                                       _("cannot enable cgroup controller '%s' in '%s'"), avail[i],
                                       subtree_path);
    }
    return TRUE;
}

/*
 * Make MOUNT/@names[0]/@names[1]/... in @hier: cpuset initialised on v1,
 * controllers enabled along the path on v2 (in the last directory too when
 * @enable_last).  Directories made are appended to @made.  Retries when a
 * parent vanishes under us (a concurrent removal of the shared parent).
 */
static gboolean
vw_cgroup_create_path(const VwCgroupHierarchy *hier, const char *const *names, gboolean enable_last,
                      GPtrArray *made, GError **error)
{
    gboolean cpuset =
        !hier->v2 && g_strv_contains((const char *const *)hier->controllers, "cpuset");

    for (guint attempt = 1;; attempt++) {
        g_autofree char *dir = g_strdup(hier->mountpoint);
        gboolean raced = FALSE;

        for (guint i = 0; names[i]; i++) {
            g_autofree char *parent = g_steal_pointer(&dir);
            gboolean new_dir;
            int err;

            dir = g_build_filename(parent, names[i], NULL);
            if (hier->v2 && !vw_cgroup_v2_enable(parent, error))
                return FALSE;
            err = vw_cgroup_mkdir(dir, &new_dir);
            if (err == ENOENT && i > 0 && attempt < VW_CGROUP_CREATE_TRIES) {
                raced = TRUE;
                break;
            }
            if (err != 0)
                return vw_cgroup_set_errno(error, err, _("cannot create cgroup directory '%s'"),
                                           dir);
            if (new_dir)
                g_ptr_array_add(made, g_strdup(dir));
            if (cpuset && !vw_cgroup_cpuset_init(parent, dir, error))
                return FALSE;
            if (hier->v2 && !names[i + 1] && enable_last && !vw_cgroup_v2_enable(dir, error))
                return FALSE;
        }
        if (!raced)
            return TRUE;
    }
}

/* rmdir the directories of @made, last first, ignoring errors (rollback). */
static void
vw_cgroup_unmake(GPtrArray *made)
{
    for (guint i = made->len; i > 0; i--)
        rmdir(g_ptr_array_index(made, i - 1));
    g_ptr_array_set_size(made, 0);
}

gboolean
vw_cgroup_partition_create(const VwCgroupLayout *layout, const char *partition, GError **error)
{
    g_autoptr(GPtrArray) made = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *top = NULL;
    g_autofree char *part = NULL;

    g_return_val_if_fail(layout != NULL && partition != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (!vw_cgroup_partition_names(layout, partition, &top, &part, error))
        return FALSE;
    for (guint i = 0; i < layout->hierarchies->len; i++) {
        const char *names[] = { top, part, NULL };

        if (!vw_cgroup_create_path(vw_cgroup_layout_hierarchy(layout, i), names, TRUE, made,
                                   error)) {
            vw_cgroup_unmake(made);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
vw_cgroup_partition_exists(const VwCgroupLayout *layout, const char *partition)
{
    g_autoptr(GPtrArray) paths = NULL;

    g_return_val_if_fail(layout != NULL && partition != NULL, FALSE);
    paths = vw_cgroup_partition_paths(layout, partition, NULL);
    if (!paths)
        return FALSE;
    for (guint i = 0; i < paths->len; i++) {
        if (!vw_cgroup_is_dir(g_ptr_array_index(paths, i)))
            return FALSE;
    }
    return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Limits.                                                                  */

/* The hierarchy with @controller and the partition directory in it; NULL if none. */
static char *
vw_cgroup_controller_dir(const VwCgroupLayout *layout, const char *top, const char *part,
                         const char *controller, gboolean *v2)
{
    int idx = vw_cgroup_layout_find_controller(layout, controller);
    const VwCgroupHierarchy *hier;

    if (idx < 0)
        return NULL;
    hier = vw_cgroup_layout_hierarchy(layout, (guint)idx);
    *v2 = hier->v2;
    return vw_cgroup_dir(hier, top, part, NULL);
}

static gboolean
vw_cgroup_limits_validate(const VwCgroupLimits *limits, const char *partition, GError **error)
{
    if (limits->cpu_weight != 0 && (limits->cpu_weight < VW_CGROUP_CPU_WEIGHT_MIN ||
                                    limits->cpu_weight > VW_CGROUP_CPU_WEIGHT_MAX)) {
        g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID,
                    _("invalid cpu weight %u for cgroup partition '%s': must be %d to %d"),
                    limits->cpu_weight, partition, VW_CGROUP_CPU_WEIGHT_MIN,
                    VW_CGROUP_CPU_WEIGHT_MAX);
        return FALSE;
    }
    if (limits->memory_max != VW_CGROUP_LIMIT_UNSET && limits->memory_max != VW_CGROUP_LIMIT_MAX &&
        limits->memory_max < VW_CGROUP_MEMORY_MAX_MIN) {
        g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID,
                    _("invalid memory maximum %lld for cgroup partition '%s': must be at "
                      "least %d bytes, or unlimited"),
                    (long long)limits->memory_max, partition, VW_CGROUP_MEMORY_MAX_MIN);
        return FALSE;
    }
    if (limits->pids_max != VW_CGROUP_LIMIT_UNSET && limits->pids_max != VW_CGROUP_LIMIT_MAX &&
        limits->pids_max < 1) {
        g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID,
                    _("invalid pids maximum %lld for cgroup partition '%s': must be at least 1, "
                      "or unlimited"),
                    (long long)limits->pids_max, partition);
        return FALSE;
    }
    return TRUE;
}

typedef struct {
    char *path;
    char *value;
    char *old; /* what to write back on rollback */
} VwCgroupWrite;

static void
vw_cgroup_write_free(VwCgroupWrite *w)
{
    g_free(w->path);
    g_free(w->value);
    g_free(w->old);
    g_free(w);
}

/* Queue one write of a limit; fails when the controller is missing or the partition is not there.
 */
static gboolean
vw_cgroup_plan_write(GPtrArray *plan, const char *dir, const char *file, char *value,
                     const char *partition, GError **error)
{
    VwCgroupWrite *w;

    if (!vw_cgroup_is_dir(dir)) {
        g_free(value);
        g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_NOT_FOUND,
                    _("cgroup partition '%s' does not exist: no directory '%s'"), partition, dir);
        return FALSE;
    }
    w = g_new0(VwCgroupWrite, 1);
    w->path = g_build_filename(dir, file, NULL);
    w->value = value;
    g_ptr_array_add(plan, w);
    return TRUE;
}

static gboolean
vw_cgroup_missing_controller(const char *controller, const char *what, const char *partition,
                             GError **error)
{
    g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_UNSUPPORTED,
                _("cannot set the %s of cgroup partition '%s': no cgroup hierarchy has the '%s' "
                  "controller"),
                what, partition, controller);
    return FALSE;
}

gboolean
vw_cgroup_partition_set_limits(const VwCgroupLayout *layout, const char *partition,
                               const VwCgroupLimits *limits, GError **error)
{
    g_autoptr(GPtrArray) plan =
        g_ptr_array_new_with_free_func((GDestroyNotify)vw_cgroup_write_free);
    g_autofree char *top = NULL;
    g_autofree char *part = NULL;
    guint done;

    g_return_val_if_fail(layout != NULL && partition != NULL && limits != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (!vw_cgroup_partition_names(layout, partition, &top, &part, error) ||
        !vw_cgroup_limits_validate(limits, partition, error))
        return FALSE;

    if (limits->cpu_weight != 0) {
        gboolean v2 = FALSE;
        g_autofree char *dir = vw_cgroup_controller_dir(layout, top, part, "cpu", &v2);
        guint64 shares;

        if (!dir)
            return vw_cgroup_missing_controller("cpu", "cpu weight", partition, error);
        shares = (guint64)limits->cpu_weight * VW_CGROUP_SHARES_DEFAULT / VW_CGROUP_WEIGHT_DEFAULT;
        shares = CLAMP(shares, VW_CGROUP_SHARES_MIN, VW_CGROUP_SHARES_MAX);
        if (!vw_cgroup_plan_write(plan, dir, v2 ? "cpu.weight" : "cpu.shares",
                                  v2 ? g_strdup_printf("%u", limits->cpu_weight)
                                     : g_strdup_printf("%" G_GUINT64_FORMAT, shares),
                                  partition, error))
            return FALSE;
    }
    if (limits->memory_max != VW_CGROUP_LIMIT_UNSET) {
        gboolean v2 = FALSE;
        g_autofree char *dir = vw_cgroup_controller_dir(layout, top, part, "memory", &v2);
        char *value;

        if (!dir)
            return vw_cgroup_missing_controller("memory", "memory maximum", partition, error);
        if (limits->memory_max == VW_CGROUP_LIMIT_MAX)
            value = g_strdup(v2 ? "max" : "-1");
        else
            value = g_strdup_printf("%" G_GINT64_FORMAT, limits->memory_max);
        if (!vw_cgroup_plan_write(plan, dir, v2 ? "memory.max" : "memory.limit_in_bytes", value,
                                  partition, error))
            return FALSE;
    }
    if (limits->pids_max != VW_CGROUP_LIMIT_UNSET) {
        gboolean v2 = FALSE;
        g_autofree char *dir = vw_cgroup_controller_dir(layout, top, part, "pids", &v2);
        char *value;

        if (!dir)
            return vw_cgroup_missing_controller("pids", "pids maximum", partition, error);
        if (limits->pids_max == VW_CGROUP_LIMIT_MAX)
            value = g_strdup("max");
        else
            value = g_strdup_printf("%" G_GINT64_FORMAT, limits->pids_max);
        if (!vw_cgroup_plan_write(plan, dir, "pids.max", value, partition, error))
            return FALSE;
    }

    /* The old values, to put back if the kernel refuses one of the new ones. */
    for (guint i = 0; i < plan->len; i++) {
        VwCgroupWrite *w = g_ptr_array_index(plan, i);

        if (!vw_cgroup_read(w->path, &w->old, error))
            return FALSE;
        g_strstrip(w->old);
        /* v1 memory.limit_in_bytes reads back its "unlimited" as a huge number. */
        if (g_str_has_suffix(w->path, "/memory.limit_in_bytes")) {
            guint64 old = g_ascii_strtoull(w->old, NULL, 10);

            if (old >= (guint64)G_MAXINT64 - (guint64)sysconf(_SC_PAGESIZE) * 2) {
                g_free(w->old);
                w->old = g_strdup("-1");
            }
        }
    }
    for (done = 0; done < plan->len; done++) {
        VwCgroupWrite *w = g_ptr_array_index(plan, done);

        if (!vw_cgroup_write(w->path, w->value, error))
            break;
    }
    if (done == plan->len)
        return TRUE;
    for (guint i = done; i > 0; i--) {
        VwCgroupWrite *w = g_ptr_array_index(plan, i - 1);

        vw_cgroup_write_file(w->path, w->old);
    }
    return FALSE;
}

/* Read DIR/FILE as "max" (VW_CGROUP_LIMIT_MAX) or a non-negative integer. */
static gboolean
vw_cgroup_read_limit(const char *dir, const char *file, gint64 *out, GError **error)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autofree char *text = NULL;
    guint64 value;

    if (!vw_cgroup_read(path, &text, error))
        return FALSE;
    g_strstrip(text);
    if (g_str_equal(text, "max")) {
        *out = VW_CGROUP_LIMIT_MAX;
        return TRUE;
    }
    if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, &value, NULL)) {
        g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_FAILED,
                    _("cannot parse '%s' in '%s' as a number"), text, path);
        return FALSE;
    }
    *out = value >= (guint64)G_MAXINT64 ? VW_CGROUP_LIMIT_MAX : (gint64)value;
    return TRUE;
}

gboolean
vw_cgroup_partition_get_limits(const VwCgroupLayout *layout, const char *partition,
                               VwCgroupLimits *limits, GError **error)
{
    g_autofree char *top = NULL;
    g_autofree char *part = NULL;
    g_autofree char *cpu_dir = NULL;
    g_autofree char *mem_dir = NULL;
    g_autofree char *pids_dir = NULL;
    gboolean cpu_v2 = FALSE, mem_v2 = FALSE, pids_v2 = FALSE;
    VwCgroupLimits out = { 0, VW_CGROUP_LIMIT_UNSET, VW_CGROUP_LIMIT_UNSET };
    const char *dirs[3];

    g_return_val_if_fail(layout != NULL && partition != NULL && limits != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (!vw_cgroup_partition_names(layout, partition, &top, &part, error))
        return FALSE;
    cpu_dir = vw_cgroup_controller_dir(layout, top, part, "cpu", &cpu_v2);
    mem_dir = vw_cgroup_controller_dir(layout, top, part, "memory", &mem_v2);
    pids_dir = vw_cgroup_controller_dir(layout, top, part, "pids", &pids_v2);
    dirs[0] = cpu_dir;
    dirs[1] = mem_dir;
    dirs[2] = pids_dir;
    for (guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
        if (dirs[i] && !vw_cgroup_is_dir(dirs[i])) {
            g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_NOT_FOUND,
                        _("cgroup partition '%s' does not exist: no directory '%s'"), partition,
                        dirs[i]);
            return FALSE;
        }
    }

    if (cpu_dir) {
        gint64 value;

        if (!vw_cgroup_read_limit(cpu_dir, cpu_v2 ? "cpu.weight" : "cpu.shares", &value, error))
            return FALSE;
        if (!cpu_v2) /* the inverse of the conversion in set_limits: ceil(shares * 100 / 1024) */
            value = (value * VW_CGROUP_WEIGHT_DEFAULT + VW_CGROUP_SHARES_DEFAULT - 1) /
                    VW_CGROUP_SHARES_DEFAULT;
        out.cpu_weight = (guint)CLAMP(value, VW_CGROUP_CPU_WEIGHT_MIN, VW_CGROUP_CPU_WEIGHT_MAX);
    }
    if (mem_dir) {
        if (!vw_cgroup_read_limit(mem_dir, mem_v2 ? "memory.max" : "memory.limit_in_bytes",
                                  &out.memory_max, error))
            return FALSE;
        /* v1 shows "unlimited" as PAGE_COUNTER_MAX pages: LONG_MAX rounded down to a page. */
        if (!mem_v2 && out.memory_max >= G_MAXINT64 - (gint64)sysconf(_SC_PAGESIZE) * 2)
            out.memory_max = VW_CGROUP_LIMIT_MAX;
    }
    if (pids_dir && !vw_cgroup_read_limit(pids_dir, "pids.max", &out.pids_max, error))
        return FALSE;
    *limits = out;
    return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Placement.                                                               */

/* Write @pid to DIR/cgroup.procs, retrying a little while it fails with EINVAL. */
static int
vw_cgroup_write_pid(const char *dir, pid_t pid)
{
    g_autofree char *path = g_build_filename(dir, "cgroup.procs", NULL);
    g_autofree char *value = g_strdup_printf("%d", (int)pid);
    gulong pause = VW_CGROUP_BACKOFF_MIN_US;
    int err = 0;

    for (guint attempt = 1; attempt <= VW_CGROUP_PROCS_TRIES; attempt++) {
        err = vw_cgroup_write_file(path, value);
        if (err != EINVAL)
            break;
        g_usleep(pause);
        pause = MIN(pause * 2, VW_CGROUP_BACKOFF_MAX_US);
    }
    return err;
}

/*
 * Where @pid is now, from /proc/PID/cgroup: for each hierarchy of @layout,
 * the directory (MOUNT + path), or NULL when the file does not say.
 */
static gboolean
vw_cgroup_origins(const VwCgroupLayout *layout, pid_t pid, GPtrArray *origins, GError **error)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/cgroup", (int)pid);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    int err;

    err = vw_cgroup_read_file(path, &text);
    if (err == ENOENT || err == ESRCH) {
        g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_NOT_FOUND,
                    _("cannot place process %d in a cgroup: no such process"), (int)pid);
        return FALSE;
    }
    if (err != 0)
        return vw_cgroup_set_errno(error, err, _("cannot read '%s'"), path);
    g_ptr_array_set_size(origins, layout->hierarchies->len);
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        /* ID:CONTROLLERS:PATH; PATH may itself contain ':' */
        g_auto(GStrv) fields = g_strsplit(lines[i], ":", 3);
        g_auto(GStrv) ctrls = NULL;

        if (g_strv_length(fields) != 3 || fields[2][0] != '/')
            continue;
        ctrls = g_strsplit(fields[1], ",", -1);
        for (guint h = 0; h < layout->hierarchies->len; h++) {
            const VwCgroupHierarchy *hier = vw_cgroup_layout_hierarchy(layout, h);
            gboolean match = FALSE;

            if (hier->v2) {
                match = g_str_equal(fields[0], "0") && fields[1][0] == '\0';
            } else {
                for (guint c = 0; ctrls[c] && !match; c++)
                    match = ctrls[c][0] != '\0' &&
                            g_strv_contains((const char *const *)hier->controllers, ctrls[c]);
            }
            if (match && !g_ptr_array_index(origins, h))
                g_ptr_array_index(origins, h) = g_build_filename(hier->mountpoint, fields[2], NULL);
        }
    }
    return TRUE;
}

static gboolean
vw_cgroup_names_match(const VwCgroupHierarchy *hier, const char *const *names)
{
    for (guint i = 0; names && names[i]; i++) {
        if (vw_cgroup_hierarchy_matches(hier, names[i]))
            return TRUE;
    }
    return FALSE;
}

gboolean
vw_cgroup_partition_place(const VwCgroupLayout *layout, const char *partition, const char *leaf,
                          pid_t pid, const char *const *required, const char *const *optional,
                          GError **error)
{
    g_autoptr(GPtrArray) origins = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GArray) order = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autoptr(GArray) done = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autoptr(GPtrArray) made = g_ptr_array_new_with_free_func(g_free);
    g_autofree gboolean *is_required = NULL;
    g_autofree char *top = NULL;
    g_autofree char *part = NULL;

    g_return_val_if_fail(layout != NULL && partition != NULL && leaf != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (!vw_cgroup_partition_names(layout, partition, &top, &part, error) ||
        !vw_cgroup_leaf_check(leaf, error))
        return FALSE;
    if (pid <= 0) {
        g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID,
                    _("invalid process id %d to place in cgroup partition '%s'"), (int)pid,
                    partition);
        return FALSE;
    }
    for (guint i = 0; required && required[i]; i++) {
        if (vw_cgroup_layout_find_controller(layout, required[i]) < 0) {
            g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_UNSUPPORTED,
                        _("cannot place process %d in cgroup partition '%s': no cgroup "
                          "hierarchy has the required controller '%s'"),
                        (int)pid, partition, required[i]);
            return FALSE;
        }
    }

    /* Required hierarchies first, so that a failure there has moved nothing optional. */
    is_required = g_new0(gboolean, layout->hierarchies->len + 1);
    for (guint h = 0; h < layout->hierarchies->len; h++) {
        const VwCgroupHierarchy *hier = vw_cgroup_layout_hierarchy(layout, h);
        g_autofree char *dir = vw_cgroup_dir(hier, top, part, NULL);

        if (!vw_cgroup_names_match(hier, required))
            continue;
        if (!vw_cgroup_is_dir(dir)) {
            g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_NOT_FOUND,
                        _("cannot place process %d in cgroup partition '%s': no directory '%s'"),
                        (int)pid, partition, dir);
            return FALSE;
        }
        is_required[h] = TRUE;
        g_array_append_val(order, h);
    }
    for (guint h = 0; h < layout->hierarchies->len; h++) {
        const VwCgroupHierarchy *hier = vw_cgroup_layout_hierarchy(layout, h);

        if (!is_required[h] && (!optional || vw_cgroup_names_match(hier, optional)))
            g_array_append_val(order, h);
    }

    if (!vw_cgroup_origins(layout, pid, origins, error))
        return FALSE;

    for (guint k = 0; k < order->len; k++) {
        guint h = g_array_index(order, guint, k);
        const VwCgroupHierarchy *hier = vw_cgroup_layout_hierarchy(layout, h);
        g_autofree char *dir = vw_cgroup_dir(hier, top, part, NULL);
        g_autofree char *leaf_dir = vw_cgroup_dir(hier, top, part, leaf);
        g_autoptr(GPtrArray) made_here = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) local = NULL;
        const char *names[] = { leaf, NULL };
        gboolean ok;
        int err;

        if (!is_required[h] && !vw_cgroup_is_dir(dir))
            continue; /* optional, and the partition is not in this hierarchy */
        /* The leaf below the partition: create_path from the partition directory. */
        {
            VwCgroupHierarchy sub = *hier;

            sub.mountpoint = dir;
            ok = vw_cgroup_create_path(&sub, names, FALSE, made_here, &local);
        }
        if (ok) {
            err = vw_cgroup_write_pid(leaf_dir, pid);
            if (err == 0) {
                g_array_append_val(done, h);
                for (guint i = 0; i < made_here->len; i++)
                    g_ptr_array_add(made, g_strdup(g_ptr_array_index(made_here, i)));
                continue;
            }
            if (err == ESRCH)
                g_set_error(&local, VW_CGROUP_ERROR, VW_CGROUP_ERROR_NOT_FOUND,
                            _("cannot place process %d in '%s': no such process"), (int)pid,
                            leaf_dir);
            else
                vw_cgroup_set_errno(&local, err, _("cannot place process %d in '%s'"), (int)pid,
                                    leaf_dir);
        }
        vw_cgroup_unmake(made_here);
        if (!is_required[h])
            continue; /* optional: leave the process where it is in this hierarchy */

        /* Roll back: the process goes back where it was, our leaves go away. */
        for (guint d = done->len; d > 0; d--) {
            guint dh = g_array_index(done, guint, d - 1);
            const char *origin = g_ptr_array_index(origins, dh);

            if (origin)
                vw_cgroup_write_pid(origin, pid);
        }
        vw_cgroup_unmake(made);
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Removal.                                                                 */

/*
 * Whether @pid is on its way out: gone, a zombie, PF_EXITING, or with a
 * SIGKILL pending.  pid 0 (a task outside our pid namespace) counts as live.
 */
static gboolean
vw_cgroup_task_is_exiting(pid_t pid)
{
    g_autofree char *stat_path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *status_path = g_strdup_printf("/proc/%d/status", (int)pid);
    g_autofree char *stat = NULL;
    g_autofree char *status = NULL;
    g_auto(GStrv) fields = NULL;
    g_auto(GStrv) lines = NULL;
    const char *rest;
    guint64 flags;

    if (pid <= 0)
        return FALSE;
    if (vw_cgroup_read_file(stat_path, &stat) != 0)
        return TRUE; /* reaped already */
    /* PID (COMM) STATE PPID PGRP SESSION TTY TPGID FLAGS ...; COMM may hold spaces and ')' */
    rest = strrchr(stat, ')');
    if (!rest)
        return FALSE;
    fields = g_strsplit(rest + 1, " ", 9);
    if (g_strv_length(fields) < 8)
        return FALSE;
    /* fields[0] is the empty string before the first space. */
    if (g_str_equal(fields[1], "Z") || g_str_equal(fields[1], "X") || g_str_equal(fields[1], "x"))
        return TRUE;
    flags = g_ascii_strtoull(fields[7], NULL, 10);
    if (flags & VW_CGROUP_PF_EXITING)
        return TRUE;
    if (vw_cgroup_read_file(status_path, &status) != 0)
        return TRUE;
    lines = g_strsplit(status, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        if (g_str_has_prefix(lines[i], "ShdPnd:") || g_str_has_prefix(lines[i], "SigPnd:")) {
            guint64 mask = g_ascii_strtoull(strchr(lines[i], ':') + 1, NULL, 16);

            if (mask & (G_GUINT64_CONSTANT(1) << (SIGKILL - 1)))
                return TRUE;
        }
    }
    return FALSE;
}

/* Every directory below @dir, deepest first (not @dir itself). */
static void
vw_cgroup_list_subdirs(const char *dir, GPtrArray *out)
{
    DIR *d = opendir(dir);
    struct dirent *ent;

    if (!d)
        return;
    while ((ent = readdir(d))) {
        g_autofree char *child = NULL;

        if (g_str_equal(ent->d_name, ".") || g_str_equal(ent->d_name, ".."))
            continue;
        child = g_build_filename(dir, ent->d_name, NULL);
        if (ent->d_type == DT_DIR || (ent->d_type == DT_UNKNOWN && vw_cgroup_is_dir(child))) {
            vw_cgroup_list_subdirs(child, out);
            g_ptr_array_add(out, g_steal_pointer(&child));
        }
    }
    closedir(d);
}

/*
 * Fail with VW_CGROUP_ERROR_BUSY when a live task is in @dir; *exiting is
 * set when only exiting ones are.
 */
static gboolean
vw_cgroup_check_tasks(const char *dir, const char *partition, gboolean *exiting, GError **error)
{
    g_autoptr(GArray) pids = g_array_new(FALSE, FALSE, sizeof(pid_t));

    if (!vw_cgroup_read_procs(dir, pids, error))
        return FALSE;
    for (guint i = 0; i < pids->len; i++) {
        pid_t pid = g_array_index(pids, pid_t, i);

        if (vw_cgroup_task_is_exiting(pid)) {
            *exiting = TRUE;
            continue;
        }
        g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_BUSY,
                    _("cannot remove cgroup partition '%s': process %d is still in '%s'"),
                    partition, (int)pid, dir);
        return FALSE;
    }
    return TRUE;
}

/*
 * rmdir @dir; ENOENT counts as done.  While the kernel says EBUSY and only
 * exiting tasks (or none) are inside, retry with backoff until @deadline.
 */
static gboolean
vw_cgroup_rmdir(const char *dir, const char *partition, gint64 deadline, GError **error)
{
    gulong pause = VW_CGROUP_BACKOFF_MIN_US;

    for (;;) {
        gboolean exiting = FALSE;
        int err;

        if (rmdir(dir) == 0 || errno == ENOENT)
            return TRUE;
        err = errno;
        if (err != EBUSY)
            return vw_cgroup_set_errno(error, err, _("cannot remove cgroup directory '%s'"), dir);
        if (!vw_cgroup_check_tasks(dir, partition, &exiting, error))
            return FALSE;
        if (g_get_monotonic_time() >= deadline) {
            g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_BUSY,
                        _("cannot remove cgroup directory '%s': still busy after %d ms"), dir,
                        (int)(VW_CGROUP_REMOVE_WAIT_US / 1000));
            return FALSE;
        }
        g_usleep(pause);
        pause = MIN(pause * 2, VW_CGROUP_BACKOFF_MAX_US);
    }
}

/* Whether @dir holds a subdirectory (another network's partition). */
static gboolean
vw_cgroup_has_subdirs(const char *dir)
{
    g_autoptr(GPtrArray) subdirs = g_ptr_array_new_with_free_func(g_free);

    vw_cgroup_list_subdirs(dir, subdirs);
    return subdirs->len > 0;
}

gboolean
vw_cgroup_partition_remove(const VwCgroupLayout *layout, const char *partition, GError **error)
{
    g_autofree char *top = NULL;
    g_autofree char *part = NULL;
    g_autoptr(GPtrArray) part_dirs = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) below = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) local = NULL;
    VwCgroupLimits saved;
    gboolean have_saved;
    gboolean removed_some = FALSE;
    gint64 deadline;

    g_return_val_if_fail(layout != NULL && partition != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (!vw_cgroup_partition_names(layout, partition, &top, &part, error))
        return FALSE;
    deadline = g_get_monotonic_time() + VW_CGROUP_REMOVE_WAIT_US;

    /* Look everywhere first: refuse before touching anything while a live task is inside. */
    for (guint h = 0; h < layout->hierarchies->len; h++) {
        char *dir = vw_cgroup_dir(vw_cgroup_layout_hierarchy(layout, h), top, part, NULL);
        g_autoptr(GPtrArray) subtree = g_ptr_array_new_with_free_func(g_free);
        gboolean exiting = FALSE;

        g_ptr_array_add(part_dirs, dir);
        if (!vw_cgroup_is_dir(dir))
            continue;
        vw_cgroup_list_subdirs(dir, subtree);
        for (guint i = 0; i < subtree->len; i++) {
            if (!vw_cgroup_check_tasks(g_ptr_array_index(subtree, i), partition, &exiting, error))
                return FALSE;
            g_ptr_array_add(below, g_strdup(g_ptr_array_index(subtree, i)));
        }
        if (!vw_cgroup_check_tasks(dir, partition, &exiting, error))
            return FALSE;
    }
    have_saved = vw_cgroup_partition_get_limits(layout, partition, &saved, NULL);

    /* Leaves and anything else below the partitions, deepest first in each hierarchy. */
    for (guint i = 0; i < below->len; i++) {
        if (!vw_cgroup_rmdir(g_ptr_array_index(below, i), partition, deadline, &local))
            break;
    }
    /* The partitions. */
    for (guint h = 0; !local && h < part_dirs->len; h++) {
        const char *dir = g_ptr_array_index(part_dirs, h);

        if (!vw_cgroup_is_dir(dir))
            continue;
        if (!vw_cgroup_rmdir(dir, partition, deadline, &local))
            break;
        removed_some = TRUE;
    }
    if (local) {
        /* Never leave a half tree: put back what went, with its limits. */
        if (removed_some && vw_cgroup_partition_create(layout, partition, NULL) && have_saved)
            vw_cgroup_partition_set_limits(layout, partition, &saved, NULL);
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    /* The shared parent, when no other network has its partition there. */
    for (guint h = 0; h < layout->hierarchies->len; h++) {
        g_autofree char *dir =
            vw_cgroup_dir(vw_cgroup_layout_hierarchy(layout, h), top, NULL, NULL);

        if (!vw_cgroup_is_dir(dir) || vw_cgroup_has_subdirs(dir))
            continue;
        /* A concurrent creator may have just made its partition: EBUSY leaves it alone. */
        rmdir(dir);
    }
    return TRUE;
}
