/*
 * Attach and detach a domain's virtwire NIC: the use cases of vw-domif.h
 * that need libvirt (through the generated wrappers).  The GObject API's
 * vw_provisioner_attach_interface() / _detach_interface() are adapters
 * over these, and `virtwire attach-interface` / `detach-interface` call
 * that API.
 */
#pragma once

#include "vw-domif.h"
#include "vw-libvirt.h"

G_BEGIN_DECLS

/* What an attach or a detach changes, with virsh's meaning. */
typedef enum {
    VW_DOMIF_AFFECT_CURRENT = 0,         /* running: live only; shut off: the definition */
    VW_DOMIF_AFFECT_LIVE = 1 << 0,       /* the running domain; an error when it is not */
    VW_DOMIF_AFFECT_CONFIG = 1 << 1,     /* the persistent definition (next boot) */
    VW_DOMIF_AFFECT_PERSISTENT = 1 << 2, /* running: live and definition; shut off: definition */
} VwDomifAffect;

/* What vw_domif_attach() adds. */
typedef struct {
    const char *domain;  /* a domain's name or UUID */
    const char *network; /* a defined guest network */
    const char *mac;     /* nullable: vw_domif_mac_generate() */
    const char *model;   /* nullable: "virtio" */
    guint queues;        /* 0 or 1: one; at most VW_DOMIF_QUEUES_MAX */
    VwDomifAffect affect;
} VwDomifAttach;

/**
 * vw_domif_attach:
 * @engine: an engine
 * @conn: a libvirt connection
 * @req: what to attach
 * @error: (out) (optional): set on failure; libvirt's errors in
 *     VW_LIBVIRT_ERROR
 *
 * Give the domain an <interface type='ethernet'> on the port's tap
 * (<target dev='vwt-...' managed='no'/>), recorded in its virtwire
 * metadata, with the domain in the network's <resource><partition>.  A
 * live attach plugs the port first (QEMU opens the tap by name), hot-plugs
 * the NIC and names the port in the live metadata (the hook unplugs it
 * when the domain stops).  Every requested change is made or none: a
 * failing step undoes the ones before it, and a lease this call made goes
 * with them.
 *
 * Returns: (transfer full): the port: plugged (state "plugged") when the
 *     running domain was changed, else one in the definition only (state
 *     NULL), or NULL
 */
VwPortInfo *vw_domif_attach(VwEngine *engine, virConnectPtr conn, const VwDomifAttach *req,
                            GError **error);

/* What vw_domif_detach() did. */
typedef struct {
    char *network;      /* the NIC's network */
    char *domain_uuid;  /* its domain */
    char *mac;          /* its MAC address, canonical */
    VwPortInfo *before; /* the engine's record of the port before the detach, or NULL */
    gboolean unplugged; /* the running domain no longer has the NIC: the port went */
} VwDomifDetached;

void vw_domif_detached_clear(VwDomifDetached *d);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VwDomifDetached, vw_domif_detached_clear)

/**
 * vw_domif_detach:
 * @engine: an engine
 * @conn: a libvirt connection
 * @domain: a domain's name or UUID
 * @mac: the MAC address of one of its virtwire NICs
 * @affect: what to change
 * @out: (out caller-allocates) (optional): what was done
 * @error: (out) (optional): set on failure (VW_DOMIF_ERROR_NOT_FOUND when
 *     the domain has no such virtwire NIC, naming both)
 *
 * Remove the NIC.  The port is unplugged once the running domain no
 * longer has it, its lease released once neither the running domain nor
 * the definition has it; the last virtwire NIC of a definition gives the
 * domain back to the default partition.
 *
 * Returns: TRUE on success
 */
gboolean vw_domif_detach(VwEngine *engine, virConnectPtr conn, const char *domain, const char *mac,
                         VwDomifAffect affect, VwDomifDetached *out, GError **error);

G_END_DECLS
