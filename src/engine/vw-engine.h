/*
 * The provisioning engine: guest networks (a bridge in its own netns, DHCP
 * and DNS by a dnsmasq inside it, optional NAT uplink, a cgroup partition)
 * and their ports (tap <-> veth <-> bridge with tc redirects), with
 * persistent definitions, leases and crash-safe runtime state under one
 * root directory.  The CLI, the libvirt hook and the GObject API all call
 * it; it never calls libvirt.
 *
 * Every call takes the locks it needs (one lock file per network; a global
 * one while definitions are compared), so any number of processes and
 * threads may use the engine at once.  Every multi-step change writes its
 * intent to a state file before it touches the kernel, and every step is
 * idempotent: an operation interrupted at any point converges when it is run
 * again or at the next vw_engine_reconcile().
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "vw-netdef.h"

G_BEGIN_DECLS

#define VW_ENGINE_ERROR (vw_engine_error_quark())
GQuark vw_engine_error_quark(void);

typedef enum {
    VW_ENGINE_ERROR_INVALID,   /* bad input: the message names the value */
    VW_ENGINE_ERROR_NOT_FOUND, /* no such network */
    VW_ENGINE_ERROR_EXISTS,    /* name, UUID or subnet clash with another network */
    VW_ENGINE_ERROR_ACTIVE,    /* the network is active */
    VW_ENGINE_ERROR_INACTIVE,  /* the network is not active */
    VW_ENGINE_ERROR_BUSY,      /* domains are still placed in the network's partition, or
                                * (without VW_ENGINE_STOP_FORCE) ports are plugged */
    VW_ENGINE_ERROR_CORRUPT,   /* a state file cannot be read */
    VW_ENGINE_ERROR_FAILED,    /* anything else; the message says what */
} VwEngineError;

typedef struct _VwEngine VwEngine;

/**
 * vw_engine_open:
 * @root: (nullable): the root of all state: definitions in ROOT/etc/virtwire,
 *     runtime state and locks in ROOT/run/virtwire, leases in
 *     ROOT/var/lib/virtwire.  NULL means $VIRTWIRE_ROOT, else "/".
 * @error: (out) (optional): set on failure
 *
 * Open the engine on @root, creating its directories if needed.  Cheap: the
 * kernel is not touched until an operation needs it.
 *
 * Returns: (transfer full): the engine, or NULL
 */
VwEngine *vw_engine_open(const char *root, GError **error);

/**
 * vw_engine_get_root:
 * @engine: an engine
 *
 * Returns: (transfer none): the root directory
 */
const char *vw_engine_get_root(VwEngine *engine);

/**
 * vw_engine_free:
 * @engine: (nullable): an engine
 */
void vw_engine_free(VwEngine *engine);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwEngine, vw_engine_free)

/* ------------------------------------------------------------ networks */

typedef struct {
    char *name;
    char *uuid;
    char *netns;
    char *bridge;
    char *partition; /* libvirt partition of its domains, "/virtwire/NAME" */
    char *forward;   /* "isolated", "nat", "routed" */
    char *ipv4;      /* gateway "ADDRESS/PREFIX", or NULL */
    char *ipv6;      /* gateway "ADDRESS/PREFIX", or NULL */
    gboolean active;
    gboolean autostart;
    guint n_ports; /* ports plugged (0 when inactive) */
    guint n_leases;
} VwNetworkInfo;

void vw_network_info_free(VwNetworkInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwNetworkInfo, vw_network_info_free)

/**
 * vw_engine_network_define:
 * @engine: an engine
 * @xml: guest-network XML (untrusted)
 * @error: (out) (optional): set on failure
 *
 * Validate @xml and store it as a persistent definition.  A network of the
 * same name is redefined only when the UUID matches (an active network
 * keeps running with its old definition until it is restarted).  A network
 * whose name, UUID, netns or subnets clash with another's is refused.
 *
 * Returns: (transfer full): the network's name, or NULL
 */
char *vw_engine_network_define(VwEngine *engine, const char *xml, GError **error);

/**
 * vw_engine_network_define_full:
 * @engine: an engine
 * @xml: guest-network XML (untrusted), virtwire's or `virsh net-dumpxml`'s
 * @warning: (out) (optional) (transfer full) (nullable): set, once the
 *   network is defined, to one translated sentence naming what of @xml
 *   virtwire dropped as meaningless to it (libvirt's `delay`, `<nat><port>`,
 *   ...; see vw_netdef_parse_full()), or to %NULL when nothing was dropped
 * @error: (out) (optional): set on failure
 *
 * Like vw_engine_network_define().
 *
 * Returns: (transfer full): the network's name, or NULL
 */
char *vw_engine_network_define_full(VwEngine *engine, const char *xml, char **warning,
                                    GError **error);

/**
 * vw_engine_network_undefine:
 * @engine: an engine
 * @name: a network
 * @error: (out) (optional): set on failure
 *
 * Remove the definition, its autostart flag and its leases.  An active
 * network is refused (VW_ENGINE_ERROR_ACTIVE): stop it first.
 *
 * Returns: TRUE on success
 */
gboolean vw_engine_network_undefine(VwEngine *engine, const char *name, GError **error);

/**
 * vw_engine_network_start:
 * @engine: an engine
 * @name: a defined network
 * @error: (out) (optional): set on failure
 *
 * Make the network: netns, bridge (STP and MTU per the definition), gateway
 * addresses, `lo` up, the uplink veth pair, routes and nftables masquerade
 * for forward mode nat (routes only for routed), the cgroup partition with
 * its limits, and dnsmasq inside the netns.  Starting an active network is
 * an error (VW_ENGINE_ERROR_ACTIVE); a start that was interrupted is
 * resumed.  When a step fails, everything the start made is removed again
 * and the first error is reported.
 *
 * Returns: TRUE on success
 */
gboolean vw_engine_network_start(VwEngine *engine, const char *name, GError **error);

/* How vw_engine_network_stop_flags() stops a network. */
typedef enum {
    VW_ENGINE_STOP_DEFAULT = 0,
    VW_ENGINE_STOP_FORCE = 1 << 0, /* stop even when ports are plugged: their guests lose
                                    * the network */
} VwEngineStopFlags;

/**
 * vw_engine_network_stop_flags:
 * @engine: an engine
 * @name: a network
 * @flags: VW_ENGINE_STOP_FORCE to stop a network whose ports are plugged
 * @error: (out) (optional): set on failure
 *
 * Remove everything the start made, and every port (leases are kept): taps
 * and host-side veths go in one batch (a netdev group), the rest with the
 * netns.  Refused with VW_ENGINE_ERROR_BUSY, before anything is changed,
 * while processes (domains) are placed in the network's partition, and,
 * without VW_ENGINE_STOP_FORCE, while ports are plugged (the message names
 * their domains): running guests would lose their network without a word.
 * Stopping an inactive network is an error (VW_ENGINE_ERROR_INACTIVE); an
 * interrupted stop is finished.
 *
 * Returns: TRUE on success
 */
gboolean vw_engine_network_stop_flags(VwEngine *engine, const char *name, VwEngineStopFlags flags,
                                      GError **error);

/**
 * vw_engine_network_stop:
 * @engine: an engine
 * @name: a network
 * @error: (out) (optional): set on failure
 *
 * vw_engine_network_stop_flags() with VW_ENGINE_STOP_FORCE: plugged ports
 * do not prevent the stop.  Front ends that act for a user (the CLI's
 * net-destroy, the GObject API) call vw_engine_network_stop_flags() and
 * force only when asked.
 *
 * Returns: TRUE on success
 */
gboolean vw_engine_network_stop(VwEngine *engine, const char *name, GError **error);

/**
 * vw_engine_network_set_autostart:
 * @engine: an engine
 * @name: a defined network
 * @autostart: whether vw_engine_autostart() starts it
 * @error: (out) (optional): set on failure
 *
 * Returns: TRUE on success
 */
gboolean vw_engine_network_set_autostart(VwEngine *engine, const char *name, gboolean autostart,
                                         GError **error);

/**
 * vw_engine_autostart:
 * @engine: an engine
 * @error: (out) (optional): set to the first failure; the other networks
 *     are still started
 *
 * Start every inactive network marked autostart.
 *
 * Returns: TRUE when all of them run
 */
gboolean vw_engine_autostart(VwEngine *engine, GError **error);

/**
 * vw_engine_network_list:
 * @engine: an engine
 * @error: (out) (optional): set on failure
 *
 * Returns: (transfer full) (element-type VwNetworkInfo): every defined
 *   network, sorted by name, or NULL
 */
GPtrArray *vw_engine_network_list(VwEngine *engine, GError **error);

/**
 * vw_engine_network_info:
 * @engine: an engine
 * @name: a network
 * @error: (out) (optional): set on failure (NOT_FOUND when undefined)
 *
 * Returns: (transfer full): the network's information, or NULL
 */
VwNetworkInfo *vw_engine_network_info(VwEngine *engine, const char *name, GError **error);

/**
 * vw_engine_network_get_def:
 * @engine: an engine
 * @name: a network
 * @error: (out) (optional): set on failure
 *
 * Returns: (transfer full): the persistent definition, or NULL
 */
VwNetDef *vw_engine_network_get_def(VwEngine *engine, const char *name, GError **error);

/**
 * vw_engine_network_resolve:
 * @engine: an engine
 * @name_or_uuid: a network's name, or its UUID (any case), as virsh takes both
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the name of the network @name_or_uuid names, or
 *     %NULL with @error set (%VW_ENGINE_ERROR_NOT_FOUND naming the value)
 */
char *vw_engine_network_resolve(VwEngine *engine, const char *name_or_uuid, GError **error);

/**
 * vw_engine_network_get_live_def:
 * @engine: an engine
 * @name: a network's name
 * @error: return location for a #GError
 *
 * The definition an active network runs with (net-define may have changed
 * the stored one since it started; vw_engine_network_get_def() returns that
 * one), else the stored one.
 *
 * Returns: (transfer full): the definition, or %NULL with @error set
 */
VwNetDef *vw_engine_network_get_live_def(VwEngine *engine, const char *name, GError **error);

/* ------------------------------------------------------------ ports */

/* What vw_engine_port_plug() needs to know about one domain NIC. */
typedef struct {
    const char *network;
    const char *domain_uuid;
    const char *domain_name; /* nullable: for the lease's host name */
    const char *mac;
    const char *tap; /* nullable: the name derived from (UUID, MAC), vwt-... */
    guint queues;    /* 0 or 1: one queue; more: a multi-queue tap */
    uid_t owner;     /* the tap's owner, (uid_t)-1 for none */
    gid_t group;     /* the tap's group, (gid_t)-1 for none */
} VwPortRequest;

typedef struct {
    char *network;
    char *domain_uuid;
    char *domain_name;
    char *mac;
    char *tap;  /* in the host netns: QEMU opens it */
    char *host; /* host end of the veth pair */
    char *peer; /* its end on the bridge, in the network's netns */
    guint queues;
    char *ipv4; /* the lease, or NULL */
    char *ipv6;
    char *state; /* "plugged", or "plugging"/"unplugging" when interrupted */
    gboolean lease_created; /* vw_engine_port_plug() made the lease (the domain had none) */
} VwPortInfo;

void vw_port_info_free(VwPortInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwPortInfo, vw_port_info_free)

/**
 * vw_engine_tap_owner:
 * @uid: (out): the taps' owner, (uid_t)-1 for none
 * @gid: (out): their group, (gid_t)-1 for none
 * @error: (out) (optional): VW_ENGINE_ERROR_INVALID naming a bad VIRTWIRE_TAP_USER
 *
 * The owner and group of the taps.  By default root (user and group 0):
 * only root or a process with CAP_NET_ADMIN may attach to a tap, and
 * libvirt (running as root) opens a managed='no' tap itself and hands the
 * descriptor to QEMU, so no QEMU can attach to another domain's tap.
 * VIRTWIRE_TAP_USER opts in to another owner, for a libvirt that runs as a
 * user (qemu:///session): USER[:GROUP] (names or numbers; a USER name
 * alone takes the user's primary group).  Empty means no owner and no
 * group, which the kernel reads as "anyone who can open /dev/net/tun".
 * Thread safe (reentrant lookups).
 *
 * Returns: TRUE, or FALSE with both set to none and @error set
 */
gboolean vw_engine_tap_owner(uid_t *uid, gid_t *gid, GError **error);

/**
 * vw_engine_port_plug:
 * @engine: an engine
 * @request: the port
 * @error: (out) (optional): set on failure
 *
 * Plug a domain NIC into an active network: a lease (stable for the
 * domain UUID and MAC; static hosts honoured), a persistent tap (owner,
 * vnet_hdr, multi-queue when queues > 1), a veth pair with its peer on the
 * bridge, tc redirects tap <-> veth both ways, all up, and the lease in
 * dnsmasq's host list.  Interface names come from a stable hash of (domain
 * UUID, MAC) and the aliases carry the full identity.  Plugging a plugged
 * port returns it unchanged; an interrupted plug is redone.  When a step
 * fails, what this call made is removed and the first error is reported.
 * The result's @lease_created says whether this call made the lease (a
 * caller undoing its plugs releases exactly those leases).
 *
 * Returns: (transfer full): the port, or NULL
 */
VwPortInfo *vw_engine_port_plug(VwEngine *engine, const VwPortRequest *request, GError **error);

/**
 * vw_engine_ports_plug:
 * @engine: an engine
 * @requests: (array length=n): ports of one network
 * @n: how many
 * @failed: (out) (optional): on failure, the index of the request whose
 *     port failed, or @n when the failure concerns none in particular (the
 *     network, the lease database, dnsmasq)
 * @error: (out) (optional): set on failure
 *
 * Plug @n ports into one active network as vw_engine_port_plug() plugs
 * one, with the network lock taken once, one handle on its netns, one
 * durable save of the lease database for all the new leases (overlapping
 * the kernel work) and one update of dnsmasq's hosts: what a domain with
 * several NICs on a network needs at its start.  Requests on different
 * networks, or naming one port twice, are refused.  When a step fails,
 * what this call made for any of the ports is removed (ports that were
 * plugged and whole before stay) and the first error is reported.
 *
 * Returns: (transfer full) (element-type VwPortInfo): the ports in the
 *     order of @requests, or NULL
 */
GPtrArray *vw_engine_ports_plug(VwEngine *engine, const VwPortRequest *requests, guint n,
                                guint *failed, GError **error);

/**
 * vw_engine_port_unplug:
 * @engine: an engine
 * @network: a network
 * @domain_uuid: the domain
 * @mac: the NIC
 * @error: (out) (optional): set on failure
 *
 * Remove the port's plumbing and keep its lease.  An absent port is
 * success.
 *
 * Returns: TRUE on success
 */
gboolean vw_engine_port_unplug(VwEngine *engine, const char *network, const char *domain_uuid,
                               const char *mac, GError **error);

/**
 * vw_engine_port_release:
 * @engine: an engine
 * @network: a network
 * @domain_uuid: the domain
 * @mac: (nullable): the NIC; NULL for every NIC of the domain
 * @error: (out) (optional): set on failure
 *
 * Unplug and free the lease(s), for a detached NIC or an undefined domain.
 *
 * Returns: TRUE on success
 */
gboolean vw_engine_port_release(VwEngine *engine, const char *network, const char *domain_uuid,
                                const char *mac, GError **error);

/**
 * vw_engine_port_list:
 * @engine: an engine
 * @network: (nullable): one network, or NULL for all
 * @error: (out) (optional): set on failure
 *
 * Returns: (transfer full) (element-type VwPortInfo): the ports, sorted by
 *   network and tap name, or NULL
 */
GPtrArray *vw_engine_port_list(VwEngine *engine, const char *network, GError **error);

/* A lease, as vw_engine_lease_list() reports it. */
typedef struct {
    char *domain_uuid;
    char *domain_name;
    char *mac;
    char *ipv4;
    char *ipv6;
    char *hostname;
    gboolean is_static;
} VwLeaseInfo;

void vw_lease_info_free(VwLeaseInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwLeaseInfo, vw_lease_info_free)

/**
 * vw_engine_lease_list:
 * @engine: an engine
 * @network: a defined network
 * @error: (out) (optional): set on failure
 *
 * Returns: (transfer full) (element-type VwLeaseInfo): the network's
 *   leases, sorted by address, or NULL
 */
GPtrArray *vw_engine_lease_list(VwEngine *engine, const char *network, GError **error);

/* ------------------------------------------------------------ reconcile */

typedef struct {
    guint networks_repaired;  /* active networks whose pieces were remade */
    guint networks_finished;  /* interrupted starts or stops completed */
    guint ports_repaired;     /* plugged ports whose plumbing was remade */
    guint ports_rolled_back;  /* interrupted plugs undone, unplugs finished */
    guint ports_collected;    /* ports of domains that no longer exist */
    guint links_collected;    /* virtwire links that no port claims */
    guint netns_collected;    /* virtwire netns that no active network claims */
    guint dnsmasq_collected;  /* dnsmasq of networks that are not active */
    guint nft_collected;      /* nftables tables of networks without NAT */
    guint cgroups_collected;  /* partitions of networks that are not active */
    guint leases_collected;   /* leases of domains that no longer exist (without a port) */
} VwReconcileReport;

/**
 * vw_engine_reconcile:
 * @engine: an engine
 * @live_domains: (nullable) (array zero-terminated=1): UUIDs of the domains
 *     that exist (libvirt defines them, running or not); the ports and the
 *     leases of any other domain are removed, in every defined network,
 *     active or not (a stopped domain keeps its lease).  NULL leaves ports
 *     and leases alone.
 * @report: (out) (optional): what was done
 * @error: (out) (optional): set to the first failure; reconcile goes on
 *     with the rest
 *
 * Compare state files, leases and the kernel (links recognised by alias,
 * netns, dnsmasq processes, nftables tables, cgroup partitions), finish or
 * undo interrupted operations, remake what an active network or a plugged
 * port lacks, and collect what nothing claims.
 *
 * Returns: TRUE when everything converged
 */
gboolean vw_engine_reconcile(VwEngine *engine, const char *const *live_domains,
                             VwReconcileReport *report, GError **error);

/**
 * vw_engine_fault_steps:
 *
 * The names of the points where VIRTWIRE_FAULT=NAME makes the process
 * exit (status 86), one after each step of each operation; for tests.
 *
 * Returns: (transfer none) (array zero-terminated=1): the step names
 */
const char *const *vw_engine_fault_steps(void);

G_END_DECLS
