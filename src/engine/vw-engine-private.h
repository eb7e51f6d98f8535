/*
 * The bottom layer of the engine (vw-engine-state.c), which every other
 * engine file builds on: the engine object, paths and locks, definitions,
 * the runtime state records (network status, port records) and their I/O,
 * the lease database and dnsmasq's host list.  It declares nothing of the
 * files above it (vw-engine-net.h, vw-engine-port.h, vw-engine-subnet.h;
 * the order is in README.md).
 *
 * Runtime state of an active network NAME lives in RUN/networks/NAME/:
 *   status.json     {"state": "starting"|"active"|"stopping", "index": N, ...}
 *   network.xml     the definition the network was started with
 *   ports/NAME.json  one record per port {"state": "plugging"|"plugged"|"unplugging", ...}
 *   dnsmasq.*       dnsmasq's configuration, pid file, host list
 * A record is written (atomically) before the kernel is touched, so a crash
 * leaves a trail that the next run or vw_engine_reconcile() follows.
 */
#pragma once

#include <glib.h>
#include <limits.h>

#include "vw-cgroup.h"
#include "vw-engine.h"
#include "vw-ipam.h"
#include "vw-json.h"
#include "vw-lock.h"
#include "vw-names.h"
#include "vw-paths.h"
#include "vw-rtnl.h"

G_BEGIN_DECLS

struct _VwEngine {
    VwPaths *paths;
    GMutex lock; /* guards the lazily made members below */
    VwCgroupLayout *cgroups;
    /* Tags the links a network owns with the root that made it, so that a
     * reconcile never collects another root's network (tests use many). */
    char root_tag[9];
};

/* Netdev groups of networks: VW_GROUP_BASE + the network's index. */
#define VW_GROUP_BASE  0x76770000u
/* The most bytes of a host-wide index claim: a root, a name, two newlines. */
#define VW_CLAIM_MAX (PATH_MAX + VW_NETDEF_NAME_MAX + 2)
#define VW_INDEX_MAX   16383u /* also bounds the uplink's 169.254.0.0/16 /30s */
#define VW_LOCK_TIMEOUT_MS 60000
/* Host-wide claims of network indexes (see allocate_index()). */
#define VW_INDEX_DIR "/run/virtwire-index"

/* Aliases of the links a network owns (ports use VW_PORT_ALIAS_PREFIX). */
#define VW_NETWORK_ALIAS_PREFIX "virtwire:network:"
#define VW_UPLINK_PEER "vw-uplink"

typedef enum {
    NET_INACTIVE,
    NET_STARTING,
    NET_ACTIVE,
    NET_STOPPING,
} NetState;

typedef struct {
    NetState state;
    guint index;
} NetStatus;

typedef enum {
    PORT_PLUGGING,
    PORT_PLUGGED,
    PORT_UNPLUGGING,
} PortState;

typedef struct {
    PortState state;
    char *network;
    char *domain_uuid; /* lowercase */
    char *domain_name;
    VwMac mac;
    char *tap;
    char *host;
    char *peer;
    guint queues;
    gint64 owner;
    gint64 group;
    gboolean new_lease; /* the plug made the lease (for rollback) */
} PortRecord;

void port_record_free(PortRecord *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PortRecord, port_record_free)

/* The alias of the links a network owns (bridge, uplink). */
char *engine_network_alias(VwEngine *engine, const VwNetDef *def);

/* Paths. */
char *engine_net_run_dir(VwEngine *engine, const char *name);
char *engine_port_file(VwEngine *engine, const char *network, const char *uuid, const VwMac *mac);

/* Locks: the network's, or the global one (definitions, indexes). */
VwLock *engine_lock_network(VwEngine *engine, const char *name, GError **error);
VwLock *engine_lock_global(VwEngine *engine, GError **error);

/*
 * Whether something is at @path, without following a symbolic link (in any
 * component): a link there counts as present, so that reading it fails
 * with an error naming it rather than the file passing for absent.
 */
gboolean engine_path_exists(const char *path);

/* Definitions and status.  A network name is checked once, where it enters
 * the engine (engine_name_check() at each public entry; a name read from
 * disk), and taken as it is below. */
gboolean engine_name_check(const char *name, GError **error);
VwNetDef *engine_load_def(VwEngine *engine, const char *name, GError **error);
VwNetDef *engine_load_running_def(VwEngine *engine, const char *name, GError **error);
gboolean engine_read_status(VwEngine *engine, const char *name, NetStatus *status,
                            GError **error);
gboolean engine_write_status(VwEngine *engine, const char *name, const NetStatus *status,
                             GError **error);
gboolean engine_net_is_active(VwEngine *engine, const char *name);
char **engine_defined_names(VwEngine *engine, GError **error);
const VwCgroupLayout *engine_cgroups(VwEngine *engine, GError **error);
guint32 engine_group(guint index);
/* The uplink of a nat/routed network: its host end "vwu-" + 10 hex digits
 * of SHA-256 of the UUID, and the transit /30 of its index (host end .1,
 * netns end .2; "/30" appended with @with_prefix). */
void engine_uplink_name(const VwNetDef *def, char name[16]);
void engine_uplink_addrs(guint index, char host[32], char ns[32], gboolean with_prefix);
/* strcmp() for g_ptr_array_sort() of strings. */
gint engine_cmp_names(gconstpointer a, gconstpointer b);
/* A state file that holds a JSON object (VW_ENGINE_ERROR_CORRUPT naming it otherwise). */
VwJson *engine_read_json_object(const char *path, GError **error);

/* Replace a runtime state file atomically (no fsync: see vw-engine-state.c). */
gboolean engine_write_runtime(const char *path, const char *text, GError **error);

/* Port records. */
PortRecord *engine_read_port(const char *path, GError **error);
gboolean engine_write_port(const char *path, const PortRecord *rec, GError **error);
GPtrArray *engine_read_ports(VwEngine *engine, const char *network, GError **error);
const char *port_state_name(PortState state);

/* The network's lease database. */
VwLeaseDb *engine_load_leases(VwEngine *engine, const VwNetDef *def, GError **error);
/* Write dnsmasq's host list of @def from @db (NULL: load it). */
gboolean engine_update_dhcp_hosts(VwEngine *engine, const VwNetDef *def, VwLeaseDb *db,
                                  GError **error);

/* The first error wins: set *error from @local unless it is already set. */
void engine_keep_first(GError **error, GError *local);

G_END_DECLS
