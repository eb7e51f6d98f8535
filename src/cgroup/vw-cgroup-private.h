/*
 * Internals shared by the files of src/cgroup; never installed.
 */
#pragma once

#include <glib.h>

#include "vw-cgroup.h"

G_BEGIN_DECLS

typedef struct {
    char *name;         /* "cpu,cpuacct", "name=systemd", "unified" */
    char *mountpoint;   /* absolute, unescaped */
    char **controllers; /* NULL-terminated */
    gboolean v2;
} VwCgroupHierarchy;

struct _VwCgroupLayout {
    VwCgroupLayoutKind kind;
    gboolean systemd;
    GPtrArray *hierarchies; /* VwCgroupHierarchy*, owned */
};

/* The hierarchy @index of @layout. */
static inline const VwCgroupHierarchy *
vw_cgroup_layout_hierarchy(const VwCgroupLayout *layout, guint index)
{
    return g_ptr_array_index(layout->hierarchies, index);
}

/* TRUE when @hier has @name as a controller, as its name, or is v2 and @name is "unified". */
gboolean vw_cgroup_hierarchy_matches(const VwCgroupHierarchy *hier, const char *name);

/*
 * Set @error in VW_CGROUP_ERROR to "WHAT: strerror(errnum)", with code BUSY
 * for EBUSY, NOT_FOUND for ENOENT/ESRCH, FAILED otherwise.  Returns FALSE.
 */
gboolean vw_cgroup_set_errno(GError **error, int errnum, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

/*
 * Read a whole small kernel file.  Returns 0 and sets *out, or an errno.
 */
int vw_cgroup_read_file(const char *path, char **out);

/*
 * Write @value to an existing kernel file with one write(2).  Returns 0 or an errno.
 */
int vw_cgroup_write_file(const char *path, const char *value);

G_END_DECLS
