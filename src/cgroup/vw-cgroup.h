/*
 * Cgroup partitions for the domains of each guest network.
 *
 * A guest network NAME owns the libvirt resource partition /virtwire/NAME.
 * libvirt places the domains of the network there
 * (<resource><partition>/virtwire/NAME</partition>) but never creates a
 * custom partition: it refuses to start the domain unless the directories
 * exist.  This module detects the cgroup layout (v1, v2, hybrid; systemd as
 * init or not), creates the partition exactly where libvirt looks for it in
 * every hierarchy, applies the network's limits, places a process (the
 * network's dnsmasq) in a leaf below the partition, and removes the tree.
 *
 * Where the partition lives (libvirt's mapping, docs/cgroups.rst):
 *   - without systemd as init: MOUNT/virtwire.partition/NAME.partition in
 *     every hierarchy (a NAME starting with '_' or equal to "cgroup" gets a
 *     '_' prefix, as libvirt escapes it);
 *   - with systemd as init: MOUNT/virtwire.slice/virtwire-NAME.slice, where
 *     '-' inside NAME is escaped as "\x2d" (systemd unit-name escaping).
 *
 * Every function is reentrant; none keeps global state or prints.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/**
 * VW_CGROUP_ERROR:
 *
 * Error domain of src/cgroup; codes are #VwCgroupError.
 */
#define VW_CGROUP_ERROR (vw_cgroup_error_quark())

/**
 * vw_cgroup_error_quark:
 *
 * Returns: the quark of the #VW_CGROUP_ERROR domain
 */
GQuark vw_cgroup_error_quark(void);

typedef enum {
    VW_CGROUP_ERROR_INVALID,     /* a bad argument: partition or leaf name, limit value, pid */
    VW_CGROUP_ERROR_UNSUPPORTED, /* the layout lacks what is needed (controller, hierarchy) */
    VW_CGROUP_ERROR_BUSY,        /* tasks are still inside, or the kernel said EBUSY */
    VW_CGROUP_ERROR_NOT_FOUND,   /* no such partition, process or file */
    VW_CGROUP_ERROR_FAILED,      /* any other failure of the kernel or of a file */
} VwCgroupError;

typedef enum {
    VW_CGROUP_LAYOUT_V1,     /* only cgroup v1 hierarchies */
    VW_CGROUP_LAYOUT_V2,     /* only the unified (cgroup2) hierarchy */
    VW_CGROUP_LAYOUT_HYBRID, /* v1 hierarchies and a unified one */
} VwCgroupLayoutKind;

/* Longest network NAME accepted in a partition (as VW_NETDEF_NAME_MAX). */
#define VW_CGROUP_NAME_MAX 32
/* Longest leaf name accepted by vw_cgroup_partition_place(). */
#define VW_CGROUP_LEAF_MAX 64
/* The prefix of every partition this module handles. */
#define VW_CGROUP_PARTITION_PREFIX "/virtwire/"
/* Name of the unified (cgroup2) hierarchy in controller lists. */
#define VW_CGROUP_UNIFIED "unified"
/* A limit left alone (VwCgroupLimits.memory_max, pids_max), as VW_NETDEF_LIMIT_UNSET. */
#define VW_CGROUP_LIMIT_UNSET ((gint64)-1)
/* No limit, "max" in the files, as VW_NETDEF_LIMIT_MAX. */
#define VW_CGROUP_LIMIT_MAX G_MAXINT64
/* Smallest memory_max accepted, as VW_NETDEF_MEMORY_MAX_MIN. */
#define VW_CGROUP_MEMORY_MAX_MIN 4096
#define VW_CGROUP_CPU_WEIGHT_MIN 1
#define VW_CGROUP_CPU_WEIGHT_MAX 10000

/*
 * Limits of a partition, with the meaning of VwNetDef's fields
 * (xml/vw-netdef.h): cpu_weight 0 = leave alone, else 1..10000 (cgroup v2
 * cpu.weight; on v1 converted to cpu.shares as systemd does); memory_max and
 * pids_max VW_CGROUP_LIMIT_UNSET = leave alone, VW_CGROUP_LIMIT_MAX = no
 * limit, else bytes (>= 4096) or a count (>= 1).
 */
typedef struct {
    guint cpu_weight;
    gint64 memory_max;
    gint64 pids_max;
} VwCgroupLimits;

/*
 * The cgroup hierarchies of the host: for each, its mount point, its
 * controllers and whether it is v1 or v2; and whether systemd is init.
 * Opaque; immutable once made, so it may be shared between threads.
 */
typedef struct _VwCgroupLayout VwCgroupLayout;

/**
 * vw_cgroup_layout_detect:
 * @error: (out) (optional): set when no cgroup hierarchy is mounted or
 *   /proc/self/mountinfo cannot be read
 *
 * Detect the layout of this process: cgroup and cgroup2 mounts from
 * /proc/self/mountinfo (the first mount of each hierarchy wins), controller
 * names from /proc/cgroups, the controllers of a v2 hierarchy from its
 * cgroup.controllers, and systemd as init from /run/systemd/system (a
 * directory) or /proc/1/comm ("systemd").
 *
 * Returns: (transfer full) (nullable): the layout, or NULL on error
 */
VwCgroupLayout *vw_cgroup_layout_detect(GError **error);

/**
 * vw_cgroup_layout_parse:
 * @mountinfo: the text of a /proc/PID/mountinfo file
 * @proc_cgroups: the text of a /proc/cgroups file
 * @systemd: whether systemd is init on that host
 * @error: (out) (optional): set when @mountinfo holds no cgroup mount
 *   (VW_CGROUP_ERROR_UNSUPPORTED)
 *
 * Build a layout from canned texts, without looking at this host.  Lines
 * that do not parse are ignored.  v1 controllers are the super options of a
 * "cgroup" mount that /proc/cgroups lists as enabled, plus "name=..." ones;
 * the controllers of the "cgroup2" hierarchy are those /proc/cgroups lists
 * with hierarchy 0, in their v2 names (blkio is "io", cpuacct is part of
 * "cpu"; net_cls, net_prio, devices, freezer and perf_event have no v2
 * controller file and are left out).
 *
 * Returns: (transfer full) (nullable): the layout, or NULL on error
 */
VwCgroupLayout *vw_cgroup_layout_parse(const char *mountinfo, const char *proc_cgroups,
                                       gboolean systemd, GError **error);

/**
 * vw_cgroup_layout_new_v2:
 * @mountpoint: an absolute path where a cgroup2 file system is mounted
 * @error: (out) (optional): set when @mountpoint is not a cgroup2 mount
 *
 * A pure v2 layout of one hierarchy at @mountpoint (not systemd), with the
 * controllers of its cgroup.controllers: for tests on a private mount.
 *
 * Returns: (transfer full) (nullable): the layout, or NULL on error
 */
VwCgroupLayout *vw_cgroup_layout_new_v2(const char *mountpoint, GError **error);

/**
 * vw_cgroup_layout_get_kind:
 * @layout: a layout
 *
 * Returns: whether @layout is pure v1, pure v2 or hybrid
 */
VwCgroupLayoutKind vw_cgroup_layout_get_kind(const VwCgroupLayout *layout);

/**
 * vw_cgroup_layout_is_systemd:
 * @layout: a layout
 *
 * Returns: TRUE when systemd is init, so that partitions map to slices
 */
gboolean vw_cgroup_layout_is_systemd(const VwCgroupLayout *layout);

/**
 * vw_cgroup_layout_get_n_hierarchies:
 * @layout: a layout
 *
 * Returns: the number of hierarchies; they are indexed 0..n-1 in mount order
 */
guint vw_cgroup_layout_get_n_hierarchies(const VwCgroupLayout *layout);

/**
 * vw_cgroup_layout_get_hierarchy_name:
 * @layout: a layout
 * @index: a hierarchy index
 *
 * Returns: (transfer none): the name of hierarchy @index: its controllers
 * joined by ',' for v1 ("cpu,cpuacct", "name=systemd"), "unified" for v2
 */
const char *vw_cgroup_layout_get_hierarchy_name(const VwCgroupLayout *layout, guint index);

/**
 * vw_cgroup_layout_get_mountpoint:
 * @layout: a layout
 * @index: a hierarchy index
 *
 * Returns: (transfer none): the mount point of hierarchy @index
 */
const char *vw_cgroup_layout_get_mountpoint(const VwCgroupLayout *layout, guint index);

/**
 * vw_cgroup_layout_hierarchy_is_v2:
 * @layout: a layout
 * @index: a hierarchy index
 *
 * Returns: TRUE when hierarchy @index is the unified (cgroup2) one
 */
gboolean vw_cgroup_layout_hierarchy_is_v2(const VwCgroupLayout *layout, guint index);

/**
 * vw_cgroup_layout_get_controllers:
 * @layout: a layout
 * @index: a hierarchy index
 *
 * Returns: (transfer none) (array zero-terminated=1): the controllers of
 * hierarchy @index (possibly empty for v2)
 */
const char *const *vw_cgroup_layout_get_controllers(const VwCgroupLayout *layout, guint index);

/**
 * vw_cgroup_layout_find_controller:
 * @layout: a layout
 * @controller: a controller name ("memory", "name=systemd"), a v1 hierarchy
 *   name ("cpu,cpuacct") or "unified"
 *
 * Returns: the index of the hierarchy that has @controller, or -1
 */
int vw_cgroup_layout_find_controller(const VwCgroupLayout *layout, const char *controller);

/**
 * vw_cgroup_layout_free:
 * @layout: (nullable): a layout
 *
 * Free @layout.
 */
void vw_cgroup_layout_free(VwCgroupLayout *layout);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwCgroupLayout, vw_cgroup_layout_free)

/**
 * vw_cgroup_network_name_check:
 * @network: a guest-network name
 * @error: (out) (optional): set (VW_CGROUP_ERROR_INVALID, naming @network)
 *   when @network is not acceptable
 *
 * Check @network: 1..VW_CGROUP_NAME_MAX bytes of ASCII letters, digits, '-'
 * and '_', not starting with '-' (the rules of a guest-network <name>).
 *
 * Returns: TRUE when @network is acceptable
 */
gboolean vw_cgroup_network_name_check(const char *network, GError **error);

/**
 * vw_cgroup_partition_for_network:
 * @network: a guest-network name
 * @error: (out) (optional): set when @network is not acceptable
 *
 * Returns: (transfer full) (nullable): "/virtwire/@network", the value of
 * the domains' <resource><partition>, or NULL on error
 */
char *vw_cgroup_partition_for_network(const char *network, GError **error);

/**
 * vw_cgroup_partition_check:
 * @partition: a partition
 * @error: (out) (optional): set (VW_CGROUP_ERROR_INVALID, naming
 *   @partition) when @partition is not "/virtwire/NAME" with an acceptable NAME
 *
 * Returns: TRUE when @partition is acceptable to the functions below
 */
gboolean vw_cgroup_partition_check(const char *partition, GError **error);

/**
 * vw_cgroup_partition_paths:
 * @layout: a layout
 * @partition: a partition, "/virtwire/NAME"
 * @error: (out) (optional): set when @partition is not acceptable
 *
 * The directory of @partition in each hierarchy, in hierarchy order, e.g.
 * /sys/fs/cgroup/cpu,cpuacct/virtwire.partition/net1.partition, or
 * /sys/fs/cgroup/virtwire.slice/virtwire-net1.slice under systemd.  Only
 * computed; nothing is looked at.
 *
 * Returns: (transfer full) (element-type utf8) (nullable): the paths, or
 * NULL on error
 */
GPtrArray *vw_cgroup_partition_paths(const VwCgroupLayout *layout, const char *partition,
                                     GError **error);

/**
 * vw_cgroup_partition_create:
 * @layout: a layout
 * @partition: a partition, "/virtwire/NAME"
 * @error: (out) (optional): set on failure
 *
 * Create the directories of @partition (and of its parent, virtwire.partition
 * or virtwire.slice) in every hierarchy.  In a v1 cpuset hierarchy each new
 * directory gets cpuset.cpus and cpuset.mems copied from its parent; in the
 * v2 hierarchy every controller of each directory along the path (the root,
 * the parent and the partition itself) is enabled in its
 * cgroup.subtree_control, so libvirt's domain cgroups and the leaf of
 * vw_cgroup_partition_place() get them.  Idempotent: existing directories
 * are kept (and repaired: an empty cpuset gets its parent's).  On failure the
 * directories made by this call are removed again (controllers enabled in
 * subtree_control stay enabled).
 *
 * Returns: TRUE on success
 */
gboolean vw_cgroup_partition_create(const VwCgroupLayout *layout, const char *partition,
                                    GError **error);

/**
 * vw_cgroup_partition_exists:
 * @layout: a layout
 * @partition: a partition, "/virtwire/NAME"
 *
 * Returns: TRUE when the directory of @partition exists in every hierarchy
 * (FALSE also when @partition is not acceptable)
 */
gboolean vw_cgroup_partition_exists(const VwCgroupLayout *layout, const char *partition);

/**
 * vw_cgroup_partition_set_limits:
 * @layout: a layout
 * @partition: an existing partition, "/virtwire/NAME"
 * @limits: the limits; fields left at 0 / VW_CGROUP_LIMIT_UNSET are not touched
 * @error: (out) (optional): set on failure
 *
 * Write the limits of @partition: cpu.weight (v2) or cpu.shares (v1:
 * shares = weight * 1024 / 100, clamped to 2..262144, as systemd converts),
 * memory.max (v2) or memory.limit_in_bytes (v1; "max" is written as -1),
 * pids.max.  Every value and the presence of each needed controller is
 * checked before anything is written (VW_CGROUP_ERROR_INVALID,
 * VW_CGROUP_ERROR_UNSUPPORTED); when the kernel refuses a value, the values
 * already written are put back.  The kernel rounds memory down to whole pages.
 *
 * Returns: TRUE on success
 */
gboolean vw_cgroup_partition_set_limits(const VwCgroupLayout *layout, const char *partition,
                                        const VwCgroupLimits *limits, GError **error);

/**
 * vw_cgroup_partition_get_limits:
 * @layout: a layout
 * @partition: an existing partition, "/virtwire/NAME"
 * @limits: (out caller-allocates): the limits read back from the files
 * @error: (out) (optional): set on failure
 *
 * Read the current limits of @partition from the kernel.  A limit whose
 * controller is not mounted reads as 0 / VW_CGROUP_LIMIT_UNSET; one never set
 * reads as the kernel's default (weight 100, memory and pids
 * VW_CGROUP_LIMIT_MAX).  On v1 the weight is ceil(shares * 100 / 1024)
 * clamped to 1..10000, the exact inverse of the conversion of
 * vw_cgroup_partition_set_limits().
 *
 * Returns: TRUE on success
 */
gboolean vw_cgroup_partition_get_limits(const VwCgroupLayout *layout, const char *partition,
                                        VwCgroupLimits *limits, GError **error);

/**
 * vw_cgroup_partition_place:
 * @layout: a layout
 * @partition: an existing partition, "/virtwire/NAME"
 * @leaf: the name of the leaf cgroup below the partition (e.g. "dnsmasq"):
 *   1..VW_CGROUP_LEAF_MAX bytes of ASCII letters, digits, '-' and '_',
 *   starting with a letter or digit
 * @pid: the process to move (all its threads move with it)
 * @required: (array zero-terminated=1) (nullable): controllers whose
 *   hierarchy must take the process: controller names ("memory",
 *   "name=systemd"), v1 hierarchy names ("cpu,cpuacct") or "unified" for the
 *   v2 hierarchy; NULL for none
 * @optional: (array zero-terminated=1) (nullable): controllers whose
 *   hierarchy takes the process when it can (failures there are ignored);
 *   NULL means every hierarchy not in @required
 * @error: (out) (optional): set on failure
 *
 * Move @pid into PARTITION/@leaf in the selected hierarchies, creating the
 * leaf (with its v1 cpuset initialised) through cgroup.procs.  A leaf keeps
 * the partition itself free of processes, as cgroup v2 requires of a cgroup
 * whose controllers are enabled for its children (libvirt puts its domain
 * cgroups next to the leaf); v1 does the same for symmetry.  A write that
 * fails with EINVAL (a task still being born) is retried briefly.  A
 * required controller that no hierarchy has fails with
 * VW_CGROUP_ERROR_UNSUPPORTED before anything is moved; when a required
 * hierarchy refuses the process, it is moved back where it was in the
 * hierarchies already done, leaves made by this call are removed, and the
 * error names the hierarchy.
 *
 * Returns: TRUE on success
 */
gboolean vw_cgroup_partition_place(const VwCgroupLayout *layout, const char *partition,
                                   const char *leaf, pid_t pid, const char *const *required,
                                   const char *const *optional, GError **error);

/**
 * vw_cgroup_partition_remove:
 * @layout: a layout
 * @partition: a partition, "/virtwire/NAME"
 * @error: (out) (optional): set on failure
 *
 * Remove @partition from every hierarchy, bottom-up: every directory below
 * it (leaves, leftover domain cgroups), then the partition, then its parent
 * (virtwire.partition / virtwire.slice) when no other network has a
 * partition there.  First every hierarchy is searched for tasks in the
 * subtree: a live one makes the call fail with VW_CGROUP_ERROR_BUSY naming
 * its pid and directory, with nothing removed.  Tasks that are exiting
 * (zombie, PF_EXITING, or SIGKILL pending) are waited for, and a directory
 * the kernel still reports busy (EBUSY) is retried with a bounded backoff
 * (about 2 s in all).  A missing directory counts as removed, so removing a
 * partition that does not exist succeeds.  If a directory still cannot be
 * removed, the partition is created again in the hierarchies where it was
 * already gone, with its previous limits, so that no half tree is left.
 *
 * Returns: TRUE on success
 */
gboolean vw_cgroup_partition_remove(const VwCgroupLayout *layout, const char *partition,
                                    GError **error);

G_END_DECLS
