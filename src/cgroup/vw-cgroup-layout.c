#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <linux/magic.h>

#include "vw-cgroup-private.h"
#include "vw-cgroup.h"

/* The first argument becomes the quark's string: keep it unspaced. */
/* clang-format off */
G_DEFINE_QUARK(vw-cgroup-error-quark, vw_cgroup_error)
/* clang-format on */

/* Small kernel files (cgroup.procs of a busy cgroup can be large, though). */
#define VW_CGROUP_READ_MAX (16 * 1024 * 1024)

gboolean
vw_cgroup_set_errno(GError **error, int errnum, const char *format, ...)
{
    g_autofree char *what = NULL;
    int code;
    va_list ap;

    if (!error)
        return FALSE;
    va_start(ap, format);
    what = g_strdup_vprintf(format, ap);
    va_end(ap);
    switch (errnum) {
    case EBUSY:
        code = VW_CGROUP_ERROR_BUSY;
        break;
    case ENOENT:
    case ESRCH:
        code = VW_CGROUP_ERROR_NOT_FOUND;
        break;
    default:
        code = VW_CGROUP_ERROR_FAILED;
    }
    g_set_error(error, VW_CGROUP_ERROR, code, "%s: %s", what, g_strerror(errnum));
    return FALSE;
}

int
vw_cgroup_read_file(const char *path, char **out)
{
    g_autoptr(GString) buf = g_string_new(NULL);
    char chunk[4096];
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;

            close(fd);
            return saved;
        }
        if (n == 0)
            break;
        if (buf->len + (gsize)n > VW_CGROUP_READ_MAX) {
            close(fd);
            return EFBIG;
        }
        g_string_append_len(buf, chunk, n);
    }
    close(fd);
    *out = g_string_free(g_steal_pointer(&buf), FALSE);
    return 0;
}

int
vw_cgroup_write_file(const char *path, const char *value)
{
    size_t len = strlen(value);
    ssize_t n;
    int fd;

    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    do {
        n = write(fd, value, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        int saved = errno;

        close(fd);
        return saved;
    }
    if (close(fd) < 0 && errno != EINTR)
        return errno;
    return (size_t)n == len ? 0 : EIO;
}

/* ------------------------------------------------------------------------ */
/* Hierarchies and layouts.                                                 */

static void
vw_cgroup_hierarchy_free(VwCgroupHierarchy *hier)
{
    if (!hier)
        return;
    g_free(hier->name);
    g_free(hier->mountpoint);
    g_strfreev(hier->controllers);
    g_free(hier);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwCgroupHierarchy, vw_cgroup_hierarchy_free)

gboolean
vw_cgroup_hierarchy_matches(const VwCgroupHierarchy *hier, const char *name)
{
    if (g_str_equal(hier->name, name))
        return TRUE;
    return g_strv_contains((const char *const *)hier->controllers, name);
}

static VwCgroupLayout *
vw_cgroup_layout_new(gboolean systemd)
{
    VwCgroupLayout *layout = g_new0(VwCgroupLayout, 1);

    layout->systemd = systemd;
    layout->hierarchies = g_ptr_array_new_with_free_func((GDestroyNotify)vw_cgroup_hierarchy_free);
    return layout;
}

void
vw_cgroup_layout_free(VwCgroupLayout *layout)
{
    if (!layout)
        return;
    g_ptr_array_unref(layout->hierarchies);
    g_free(layout);
}

/* Set the kind from the hierarchies; fail when there are none. */
static gboolean
vw_cgroup_layout_finish(VwCgroupLayout *layout, GError **error)
{
    guint n_v1 = 0, n_v2 = 0;

    for (guint i = 0; i < layout->hierarchies->len; i++) {
        if (vw_cgroup_layout_hierarchy(layout, i)->v2)
            n_v2++;
        else
            n_v1++;
    }
    if (n_v1 == 0 && n_v2 == 0) {
        g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_UNSUPPORTED,
                    _("no cgroup hierarchy is mounted (no 'cgroup' or 'cgroup2' file system in "
                      "the mount table)"));
        return FALSE;
    }
    if (n_v2 == 0)
        layout->kind = VW_CGROUP_LAYOUT_V1;
    else if (n_v1 == 0)
        layout->kind = VW_CGROUP_LAYOUT_V2;
    else
        layout->kind = VW_CGROUP_LAYOUT_HYBRID;
    return TRUE;
}

/* Undo the octal escapes (\040 for ' ', \011, \012, \134) of mountinfo fields. */
static char *
vw_cgroup_mountinfo_unescape(const char *field)
{
    GString *out = g_string_sized_new(strlen(field));

    for (const char *p = field; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
            p[3] >= '0' && p[3] <= '7') {
            g_string_append_c(out, (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0')));
            p += 3;
        } else {
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}

/*
 * The controllers of /proc/cgroups: @v1_names gets every enabled one, and
 * @v2_names the v2 names of the enabled ones bound to no v1 hierarchy
 * (hierarchy 0), which is where the unified hierarchy gets its controllers.
 */
static void
vw_cgroup_parse_proc_cgroups(const char *text, GPtrArray *v1_names, GPtrArray *v2_names)
{
    /* v1 name -> v2 name; NULL when v2 has no controller of that name. */
    static const char *const v2_map[][2] = {
        { "cpuset", "cpuset" },   { "cpu", "cpu" },     { "cpuacct", "cpu" },
        { "blkio", "io" },        { "io", "io" },       { "memory", "memory" },
        { "hugetlb", "hugetlb" }, { "pids", "pids" },   { "rdma", "rdma" },
        { "misc", "misc" },       { "devices", NULL },  { "freezer", NULL },
        { "net_cls", NULL },      { "net_prio", NULL }, { "perf_event", NULL },
        { "debug", NULL },
    };
    g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);

    for (guint i = 0; lines[i]; i++) {
        g_auto(GStrv) fields = NULL;
        const char *v2 = NULL;
        guint n = 0;

        if (lines[i][0] == '#' || lines[i][0] == '\0')
            continue;
        fields = g_strsplit_set(lines[i], " \t", -1);
        /* Drop empty fields (runs of separators). */
        for (guint j = 0; fields[j]; j++) {
            if (fields[j][0] != '\0')
                fields[n++] = fields[j];
            else
                g_free(fields[j]);
        }
        fields[n] = NULL;
        if (n < 4 || !g_str_equal(fields[3], "1"))
            continue;
        if (!g_ptr_array_find_with_equal_func(v1_names, fields[0], g_str_equal, NULL))
            g_ptr_array_add(v1_names, g_strdup(fields[0]));
        if (!g_str_equal(fields[1], "0"))
            continue;
        for (guint j = 0; j < G_N_ELEMENTS(v2_map); j++) {
            if (g_str_equal(v2_map[j][0], fields[0])) {
                v2 = v2_map[j][1];
                break;
            }
        }
        if (v2 && !g_ptr_array_find_with_equal_func(v2_names, v2, g_str_equal, NULL))
            g_ptr_array_add(v2_names, g_strdup(v2));
    }
}

/* A NULL-terminated copy of an array of strings. */
static char **
vw_cgroup_strv_from_array(GPtrArray *array)
{
    char **strv = g_new0(char *, array->len + 1);

    for (guint i = 0; i < array->len; i++)
        strv[i] = g_strdup(g_ptr_array_index(array, i));
    return strv;
}

/* The words of a cgroup.controllers file. */
static char **
vw_cgroup_split_words(const char *text)
{
    g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) parts = g_strsplit_set(text ? text : "", " \t\n", -1);

    for (guint i = 0; parts[i]; i++) {
        if (parts[i][0] != '\0')
            g_ptr_array_add(words, g_strdup(parts[i]));
    }
    return vw_cgroup_strv_from_array(words);
}

/* One line of mountinfo; adds a hierarchy to @layout when it is a new cgroup mount. */
static void
vw_cgroup_parse_mount(VwCgroupLayout *layout, const char *line, GPtrArray *v1_names,
                      GPtrArray *v2_names, GHashTable *seen_devs)
{
    g_auto(GStrv) fields = g_strsplit(line, " ", -1);
    g_autoptr(VwCgroupHierarchy) hier = NULL;
    guint n = g_strv_length(fields);
    guint sep = 0;
    const char *fstype, *superopts;

    /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
    for (guint i = 6; i < n; i++) {
        if (g_str_equal(fields[i], "-")) {
            sep = i;
            break;
        }
    }
    if (sep == 0 || sep + 3 >= n || fields[4][0] != '/')
        return;
    fstype = fields[sep + 1];
    superopts = fields[sep + 3];
    if (!g_str_equal(fstype, "cgroup") && !g_str_equal(fstype, "cgroup2"))
        return;
    /* Several mounts of one hierarchy share a device number; the first wins. */
    if (g_hash_table_contains(seen_devs, fields[2]))
        return;

    hier = g_new0(VwCgroupHierarchy, 1);
    hier->mountpoint = vw_cgroup_mountinfo_unescape(fields[4]);
    if (g_str_equal(fstype, "cgroup2")) {
        for (guint i = 0; i < layout->hierarchies->len; i++) {
            if (vw_cgroup_layout_hierarchy(layout, i)->v2)
                return; /* only one unified hierarchy */
        }
        hier->v2 = TRUE;
        hier->name = g_strdup(VW_CGROUP_UNIFIED);
        hier->controllers = vw_cgroup_strv_from_array(v2_names);
    } else {
        g_autoptr(GPtrArray) ctrls = g_ptr_array_new_with_free_func(g_free);
        g_auto(GStrv) opts = g_strsplit(superopts, ",", -1);

        for (guint i = 0; opts[i]; i++) {
            if ((g_str_has_prefix(opts[i], "name=") && opts[i][5] != '\0') ||
                g_ptr_array_find_with_equal_func(v1_names, opts[i], g_str_equal, NULL))
                g_ptr_array_add(ctrls, g_strdup(opts[i]));
        }
        if (ctrls->len == 0)
            return;
        g_ptr_array_add(ctrls, NULL);
        hier->controllers = (char **)g_ptr_array_free(g_steal_pointer(&ctrls), FALSE);
        hier->name = g_strjoinv(",", hier->controllers);
    }
    g_hash_table_add(seen_devs, g_strdup(fields[2]));
    g_ptr_array_add(layout->hierarchies, g_steal_pointer(&hier));
}

VwCgroupLayout *
vw_cgroup_layout_parse(const char *mountinfo, const char *proc_cgroups, gboolean systemd,
                       GError **error)
{
    g_autoptr(VwCgroupLayout) layout = NULL;
    g_autoptr(GPtrArray) v1_names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) v2_names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) seen_devs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_auto(GStrv) lines = NULL;

    g_return_val_if_fail(mountinfo != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    layout = vw_cgroup_layout_new(systemd);
    vw_cgroup_parse_proc_cgroups(proc_cgroups, v1_names, v2_names);
    lines = g_strsplit(mountinfo, "\n", -1);
    for (guint i = 0; lines[i]; i++)
        vw_cgroup_parse_mount(layout, lines[i], v1_names, v2_names, seen_devs);
    if (!vw_cgroup_layout_finish(layout, error))
        return NULL;
    return g_steal_pointer(&layout);
}

/* systemd is init: sd_booted()'s test, or pid 1 called "systemd". */
static gboolean
vw_cgroup_detect_systemd(void)
{
    g_autofree char *comm = NULL;

    if (g_file_test("/run/systemd/system", G_FILE_TEST_IS_DIR))
        return TRUE;
    if (vw_cgroup_read_file("/proc/1/comm", &comm) != 0)
        return FALSE;
    return g_str_equal(g_strstrip(comm), "systemd");
}

VwCgroupLayout *
vw_cgroup_layout_detect(GError **error)
{
    g_autofree char *mountinfo = NULL;
    g_autofree char *proc_cgroups = NULL;
    g_autoptr(VwCgroupLayout) layout = NULL;
    int err;

    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    err = vw_cgroup_read_file("/proc/self/mountinfo", &mountinfo);
    if (err != 0) {
        vw_cgroup_set_errno(error, err, _("cannot read '%s'"), "/proc/self/mountinfo");
        return NULL;
    }
    /* Kernels without v1 support may lack it; v2 controllers are read below. */
    if (vw_cgroup_read_file("/proc/cgroups", &proc_cgroups) != 0)
        proc_cgroups = g_strdup("");
    layout = vw_cgroup_layout_parse(mountinfo, proc_cgroups, vw_cgroup_detect_systemd(), error);
    if (!layout)
        return NULL;
    for (guint i = 0; i < layout->hierarchies->len; i++) {
        VwCgroupHierarchy *hier = g_ptr_array_index(layout->hierarchies, i);
        g_autofree char *path = NULL;
        g_autofree char *text = NULL;

        if (!hier->v2)
            continue;
        path = g_build_filename(hier->mountpoint, "cgroup.controllers", NULL);
        if (vw_cgroup_read_file(path, &text) == 0) {
            g_strfreev(hier->controllers);
            hier->controllers = vw_cgroup_split_words(text);
        }
    }
    return g_steal_pointer(&layout);
}

VwCgroupLayout *
vw_cgroup_layout_new_v2(const char *mountpoint, GError **error)
{
    g_autoptr(VwCgroupLayout) layout = NULL;
    g_autofree char *path = NULL;
    g_autofree char *text = NULL;
    VwCgroupHierarchy *hier;
    struct statfs sfs;
    int err;

    g_return_val_if_fail(mountpoint != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    if (!g_path_is_absolute(mountpoint)) {
        g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID,
                    _("invalid cgroup2 mount point '%s': must be an absolute path"), mountpoint);
        return NULL;
    }
    if (statfs(mountpoint, &sfs) < 0) {
        vw_cgroup_set_errno(error, errno, _("cannot look at cgroup2 mount point '%s'"), mountpoint);
        return NULL;
    }
    if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
        g_set_error(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_UNSUPPORTED,
                    _("'%s' is not a cgroup2 mount"), mountpoint);
        return NULL;
    }
    path = g_build_filename(mountpoint, "cgroup.controllers", NULL);
    err = vw_cgroup_read_file(path, &text);
    if (err != 0) {
        vw_cgroup_set_errno(error, err, _("cannot read '%s'"), path);
        return NULL;
    }
    layout = vw_cgroup_layout_new(FALSE);
    hier = g_new0(VwCgroupHierarchy, 1);
    hier->v2 = TRUE;
    hier->name = g_strdup(VW_CGROUP_UNIFIED);
    hier->mountpoint = g_strdup(mountpoint);
    hier->controllers = vw_cgroup_split_words(text);
    g_ptr_array_add(layout->hierarchies, hier);
    layout->kind = VW_CGROUP_LAYOUT_V2;
    return g_steal_pointer(&layout);
}

VwCgroupLayoutKind
vw_cgroup_layout_get_kind(const VwCgroupLayout *layout)
{
    g_return_val_if_fail(layout != NULL, VW_CGROUP_LAYOUT_V1);
    return layout->kind;
}

gboolean
vw_cgroup_layout_is_systemd(const VwCgroupLayout *layout)
{
    g_return_val_if_fail(layout != NULL, FALSE);
    return layout->systemd;
}

guint
vw_cgroup_layout_get_n_hierarchies(const VwCgroupLayout *layout)
{
    g_return_val_if_fail(layout != NULL, 0);
    return layout->hierarchies->len;
}

const char *
vw_cgroup_layout_get_hierarchy_name(const VwCgroupLayout *layout, guint index)
{
    g_return_val_if_fail(layout != NULL && index < layout->hierarchies->len, NULL);
    return vw_cgroup_layout_hierarchy(layout, index)->name;
}

const char *
vw_cgroup_layout_get_mountpoint(const VwCgroupLayout *layout, guint index)
{
    g_return_val_if_fail(layout != NULL && index < layout->hierarchies->len, NULL);
    return vw_cgroup_layout_hierarchy(layout, index)->mountpoint;
}

gboolean
vw_cgroup_layout_hierarchy_is_v2(const VwCgroupLayout *layout, guint index)
{
    g_return_val_if_fail(layout != NULL && index < layout->hierarchies->len, FALSE);
    return vw_cgroup_layout_hierarchy(layout, index)->v2;
}

const char *const *
vw_cgroup_layout_get_controllers(const VwCgroupLayout *layout, guint index)
{
    g_return_val_if_fail(layout != NULL && index < layout->hierarchies->len, NULL);
    return (const char *const *)vw_cgroup_layout_hierarchy(layout, index)->controllers;
}

int
vw_cgroup_layout_find_controller(const VwCgroupLayout *layout, const char *controller)
{
    g_return_val_if_fail(layout != NULL && controller != NULL, -1);
    for (guint i = 0; i < layout->hierarchies->len; i++) {
        if (vw_cgroup_hierarchy_matches(vw_cgroup_layout_hierarchy(layout, i), controller))
            return (int)i;
    }
    return -1;
}
