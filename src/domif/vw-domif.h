/*
 * The domain-NIC use cases, once, below every front end (the CLI through
 * the GObject API, the hook, the agent session): plug every virtwire port
 * of a domain from its XML, unplug them, repair them, release what a
 * vanished domain held; and the pieces they share: the taps' owner, a new
 * NIC's MAC address, the checks.  Attach and detach, which need libvirt,
 * are in vw-domif-libvirt.h.  Nothing here calls libvirt or prints.
 */
#pragma once

#include <sys/types.h>

#include <glib.h>

#include "vw-domxml.h"
#include "vw-engine.h"

G_BEGIN_DECLS

#define VW_DOMIF_ERROR (vw_domif_error_quark())
GQuark vw_domif_error_quark(void);

typedef enum {
    VW_DOMIF_ERROR_INVALID,   /* bad input: the message names the value */
    VW_DOMIF_ERROR_NOT_FOUND, /* no such NIC */
    VW_DOMIF_ERROR_EXISTS,    /* a tap name taken by a link that is not the port's */
    VW_DOMIF_ERROR_CONFLICT,  /* the domain is in another network's partition */
    VW_DOMIF_ERROR_INACTIVE,  /* a live change of a domain that is not running */
    VW_DOMIF_ERROR_FAILED,    /* anything else; the message says what */
} VwDomifError;

/* The most queues a NIC may have (a multi-queue tap). */
#define VW_DOMIF_QUEUES_MAX 256

/* A failure that does not stop an operation (one port of several, a
 * rollback step), handed to the caller, which reports it. */
typedef void (*VwDomifReport)(const GError *error, gpointer user_data);

/**
 * vw_domif_tap_owner:
 * @uid: (out): the taps' owner, (uid_t)-1 for none
 * @gid: (out): their group, (gid_t)-1 for none
 * @error: (out) (optional): VW_DOMIF_ERROR_INVALID naming a bad VIRTWIRE_TAP_USER
 *
 * The owner of the taps every front end plugs: root by default,
 * VIRTWIRE_TAP_USER when set (see vw_engine_tap_owner()).
 *
 * Returns: TRUE, or FALSE with both set to none and @error set
 */
gboolean vw_domif_tap_owner(uid_t *uid, gid_t *gid, GError **error);

/**
 * vw_domif_queues_check:
 * @queues: a NIC's number of queues (0 means one)
 * @error: (out) (optional): VW_DOMIF_ERROR_INVALID naming @queues
 *
 * Returns: TRUE when 0 <= @queues <= VW_DOMIF_QUEUES_MAX
 */
gboolean vw_domif_queues_check(guint queues, GError **error);

/**
 * vw_domif_mac_generate:
 * @engine: an engine
 * @network: the network the NIC goes on
 * @rand: (nullable): the random source, NULL for GLib's default (tests
 *     pass a seeded one)
 * @error: (out) (optional): set when the network's leases cannot be read
 *
 * A random locally administered unicast MAC address that @network does
 * not already lease (to any domain, statically or not).
 *
 * Returns: (transfer full): "xx:xx:xx:xx:xx:xx", lowercase, or NULL
 */
char *vw_domif_mac_generate(VwEngine *engine, const char *network, GRand *rand, GError **error);

/**
 * vw_domif_ports:
 * @info: a domain's XML
 *
 * Returns: (transfer container) (element-type VwDomIface): its virtwire
 *     ports (the NICs that name a network), in the order of the XML
 */
GPtrArray *vw_domif_ports(const VwDomInfo *info);

/**
 * vw_domif_plug:
 * @root: (nullable): the engine's state root (see vw_engine_open()); it is
 *     opened only once every check passed, so a refused domain leaves no
 *     trace
 * @info: the domain's XML (it is not running yet)
 * @report: (nullable): told about rollback steps that fail
 * @user_data: for @report
 * @error: (out) (optional): the first failure, naming the interface,
 *     the domain and the network
 *
 * Plug every virtwire port of @info, one engine call per network.  All
 * ports are checked before anything is touched (a managed='no' ethernet
 * NIC; a tap name that is free or this port's own tap).  When one fails,
 * what this call plugged goes again (a lease it made is freed, an older
 * one kept), and so do leftover ports of the domain on the failing
 * network: the domain is not running.
 *
 * Returns: TRUE when every port is plugged
 */
gboolean vw_domif_plug(const char *root, const VwDomInfo *info, VwDomifReport report,
                       gpointer user_data, GError **error);

/**
 * vw_domif_repair:
 * @engine: an engine
 * @info: the XML of a running domain
 * @missing_only: plug only the ports the engine does not have (the
 *     engine's reconcile repairs the others); FALSE plugs every port,
 *     which remakes what a plugged one lacks
 * @report: (nullable): told about each port that cannot be plugged
 * @user_data: for @report
 *
 * Plug again what the running domain's virtwire ports lack; a port that
 * fails does not stop the others, and nothing is undone (the domain keeps
 * running).  A port the engine does not know is plugged only when its tap
 * name is free: a running QEMU holds the tap it was started with, and
 * virtwire does not take a tap over.  A bad VIRTWIRE_TAP_USER is reported and the taps get no owner.
 *
 * Returns: how many ports this call plugged
 */
guint vw_domif_repair(VwEngine *engine, const VwDomInfo *info, gboolean missing_only,
                      VwDomifReport report, gpointer user_data);

/**
 * vw_domif_unplug:
 * @engine: an engine
 * @domain_uuid: the stopped domain
 * @domain_name: (nullable): its name, for messages
 * @ports: (nullable) (element-type VwDomIface): the ports to unplug
 *     (from the domain's XML), or NULL for every port the engine has for
 *     @domain_uuid
 * @report: (nullable): told about each port that cannot be unplugged
 * @user_data: for @report
 *
 * Remove the plumbing of the domain's ports and keep their leases.  A
 * port that fails does not stop the others.
 *
 * Returns: how many ports were unplugged, or -1 when the engine's ports
 *     cannot be listed (reported)
 */
int vw_domif_unplug(VwEngine *engine, const char *domain_uuid, const char *domain_name,
                    GPtrArray *ports, VwDomifReport report, gpointer user_data);

/**
 * vw_domif_release:
 * @engine: an engine
 * @domain_uuid: a domain that no longer exists
 * @network: a network where it has ports or leases
 * @error: (out) (optional): set on failure, naming both
 *
 * Unplug every port of @domain_uuid on @network and free its leases.
 *
 * Returns: TRUE on success
 */
gboolean vw_domif_release(VwEngine *engine, const char *domain_uuid, const char *network,
                          GError **error);

G_END_DECLS
