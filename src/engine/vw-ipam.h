/*
 * IPAM and the lease database of one guest network.
 *
 * A lease ties a port's identity (domain UUID, MAC address) to its
 * addresses: stable across restarts of the domain, of the network and of
 * the host.  The database of network NAME is one JSON file
 * (leases_dir/NAME.json, see vw_paths_leases_file()), replaced atomically
 * by vw_lease_db_save().
 *
 * Locking: this module does no locking.  The caller holds the network's
 * exclusive lock (vw_paths_network_lock() + vw_lock_acquire()) from
 * vw_lease_db_load() to vw_lease_db_save(), or a shared one around a
 * read-only load; otherwise two processes can lose each other's updates.
 * A VwLeaseDb is not thread-safe either: one thread at a time.
 */
#pragma once

#include <glib.h>

#include "vw-names.h"
#include "vw-netdef.h"

G_BEGIN_DECLS

/**
 * VW_IPAM_ERROR:
 *
 * Error domain of IPAM.  A lease file that cannot be read or understood is
 * reported in the VW_UTIL_ERROR domain instead (IO, CORRUPT), as is an
 * invalid UUID or MAC address (INVALID).
 */
#define VW_IPAM_ERROR (vw_ipam_error_quark())

/**
 * vw_ipam_error_quark:
 *
 * Returns: the quark of the VW_IPAM_ERROR domain
 */
GQuark vw_ipam_error_quark(void);

typedef enum {
    VW_IPAM_ERROR_EXHAUSTED, /* no free address left in the DHCP ranges */
    VW_IPAM_ERROR_CONFLICT,  /* the MAC address is leased to another domain */
} VwIpamError;

/*
 * The most bytes a lease file may hold: the limit vw_json_parse() puts on
 * any JSON file (VW_JSON_MAX_SIZE, 64 MiB, tens of thousands of leases
 * beyond what the largest network needs).  A larger file is an error naming
 * it and the limit.  The file is read without following a symbolic link
 * (none in any component of its path): a link planted in its place is an
 * error naming it, and its target is neither read nor changed.
 */
#define VW_LEASE_DB_MAX_SIZE (64 * 1024 * 1024)

/* Version of the lease file format written by vw_lease_db_save(). */
#define VW_LEASE_DB_VERSION 1

/*
 * One lease.  Strings are canonical: UUID and MAC lowercase, addresses as
 * inet_ntop() writes them.  ipv4 / ipv6 are NULL when the network has no
 * address of that family for this port (no such <ip>, or neither DHCP
 * ranges nor a <host> entry for the MAC).  Times are seconds since the epoch.
 */
typedef struct {
    char *domain_uuid;
    char *domain_name; /* as last given to vw_lease_db_acquire(); may be NULL */
    char *mac;
    char *ipv4;
    char *ipv6;
    char *hostname;     /* a DNS label (<host name> or the sanitised domain name), or NULL */
    gboolean is_static; /* an address comes from a <dhcp><host> entry of the definition */
    gint64 created;
    gint64 updated; /* last change of addresses, names or is_static */
} VwLeaseRecord;

typedef struct _VwLeaseDb VwLeaseDb;

/**
 * vw_lease_db_load:
 * @path: the lease file (leases_dir/NAME.json)
 * @def: the network's current definition; copied, need not outlive the database
 * @error: (out) (optional): set on failure
 *
 * Read the lease database of the network @def.  A missing file is an empty
 * database.  A file that exists but cannot be read is VW_UTIL_ERROR_IO; one
 * that is not a valid lease database (bad JSON, unknown version, an invalid
 * or duplicated UUID, MAC or address...) is VW_UTIL_ERROR_CORRUPT naming
 * @path: it is never silently reset.  Leases that the current definition
 * no longer allows are kept as they are until vw_lease_db_acquire() sees
 * them again.
 *
 * Returns: (transfer full): the database, or NULL with @error set
 */
VwLeaseDb *vw_lease_db_load(const char *path, const VwNetDef *def, GError **error);

/* One lease asked of vw_lease_db_peek(). */
typedef struct {
    const char *domain_uuid;
    const char *domain_name; /* nullable, as vw_lease_db_acquire() takes it */
    const char *mac;
    char *ipv4; /* (out) (transfer full): its IPv4 address, or NULL */
    char *ipv6; /* (out) (transfer full): its IPv6 address, or NULL */
} VwLeasePeek;

/**
 * vw_lease_db_peek:
 * @path: the lease file
 * @def: the network's current definition
 * @leases: (array length=n) (inout): the leases asked for
 * @n: how many
 *
 * The read-only shortcut of restarting a domain: whether each lease of
 * @leases exists and vw_lease_db_acquire() would change nothing in it or in
 * any other lease, found without building the whole database (the file is
 * read once, by the reader vw_lease_db_load() uses; only those leases are
 * checked and indexed).  FALSE means "load it" — a lease missing, something
 * would change, or the file missing or unreadable — never an error.  The
 * other leases are not validated: a damaged one is found by the next
 * vw_lease_db_load().  The caller holds the network's lock, as for a load.
 *
 * Returns: TRUE with every ipv4/ipv6 set; FALSE with all of them NULL
 */
gboolean vw_lease_db_peek(const char *path, const VwNetDef *def, VwLeasePeek *leases, guint n);

/**
 * vw_lease_db_save:
 * @db: the database
 * @error: (out) (optional): set to a VW_UTIL_ERROR error naming the path on failure
 *
 * Write @db to its file with vw_file_write_atomic() (mode 0644; the
 * directory must exist, see vw_paths_ensure()): a JSON object
 * {"version": 1, "network": NAME, "leases": [...]} with one lease object
 * per line, in vw_lease_db_list() order.  vw_lease_db_load() reads exactly
 * this layout with a fast scanner and any other valid JSON with vw-json
 * (src/util/vw-json.h).  Nothing is written when the file existed at load
 * and nothing changed since (acquiring an
 * unchanged lease does not count as a change).
 *
 * Returns: TRUE on success
 */
gboolean vw_lease_db_save(VwLeaseDb *db, GError **error);

/**
 * vw_lease_db_is_dirty:
 * @db: the database
 *
 * Whether vw_lease_db_save() has something to write: a lease was made,
 * changed (addresses, names, is_static; also another port's lease moved
 * by a <host> entry) or released since the load or the last save, or the
 * file did not exist at load.  Use it, before saving, to know whether
 * dnsmasq's hosts file needs rewriting; VwLeaseRecord.updated has a granularity
 * of one second and cannot tell.
 *
 * Returns: TRUE if @db differs from its file
 */
gboolean vw_lease_db_is_dirty(VwLeaseDb *db);

/**
 * vw_lease_db_lookup:
 * @db: the database
 * @domain_uuid: the domain's UUID (either case)
 * @mac: the NIC's MAC address (either case)
 *
 * Returns: (transfer none) (nullable): the lease of (@domain_uuid, @mac), or
 *     NULL if there is none (or the arguments are not a UUID and a MAC);
 *     valid until @db changes
 */
const VwLeaseRecord *vw_lease_db_lookup(VwLeaseDb *db, const char *domain_uuid, const char *mac);

/*
 * vw_lease_db_lookup(), vw_lease_db_acquire(), vw_lease_db_release() for a
 * port's identity checked where it entered (the engine): @uuid lowercase,
 * @mac a NIC's (vw_mac_parse()).  Nothing is parsed again.
 */
const VwLeaseRecord *vw_lease_db_lookup_mac(VwLeaseDb *db, const char *uuid, const VwMac *mac);
const VwLeaseRecord *vw_lease_db_acquire_mac(VwLeaseDb *db, const char *uuid,
                                             const char *domain_name, const VwMac *mac,
                                             GError **error);
gboolean vw_lease_db_release_mac(VwLeaseDb *db, const char *uuid, const VwMac *mac);

/**
 * vw_lease_db_acquire:
 * @db: the database
 * @domain_uuid: the domain's UUID (either case)
 * @domain_name: (nullable): the domain's name; NULL keeps the recorded one
 * @mac: the NIC's MAC address (either case)
 * @error: (out) (optional): set on failure
 *
 * Give (@domain_uuid, @mac) its addresses, for each family the network has:
 *
 * - a <dhcp><host> entry of the definition for @mac wins (is_static);
 * - else the address the lease already has, if the definition still
 *   allows it (inside a DHCP range, not the gateway, not another MAC's
 *   <host> address);
 * - else the lowest free address of the DHCP ranges, skipping the gateway,
 *   the <host> addresses and the addresses leased to others.
 *
 * So the same port always gets the same address, and a lease made invalid
 * by a change of the definition is reallocated here.  When a <host> entry
 * claims an address that another lease holds (the definition changed),
 * that other lease is moved to a free address (or loses it if there is
 * none), so that no two leases ever share an address.  The hostname is
 * the <host> name if any, else the domain name sanitised to a DNS label.
 *
 * On failure @db is unchanged.  Errors: VW_UTIL_ERROR_INVALID naming a bad
 * UUID or MAC; VW_IPAM_ERROR_CONFLICT when @mac is leased to another
 * domain on this network; VW_IPAM_ERROR_EXHAUSTED naming the network when
 * a family's ranges have no free address left.
 *
 * Returns: (transfer none): the lease, valid until @db changes; NULL on error
 */
const VwLeaseRecord *vw_lease_db_acquire(VwLeaseDb *db, const char *domain_uuid,
                                         const char *domain_name, const char *mac, GError **error);

/**
 * vw_lease_db_release:
 * @db: the database
 * @domain_uuid: the domain's UUID
 * @mac: the NIC's MAC address
 *
 * Forget the lease of (@domain_uuid, @mac); its addresses become free.
 *
 * Returns: TRUE if there was one
 */
gboolean vw_lease_db_release(VwLeaseDb *db, const char *domain_uuid, const char *mac);

/**
 * vw_lease_db_release_domain:
 * @db: the database
 * @domain_uuid: the domain's UUID
 *
 * Forget every lease of @domain_uuid (all its NICs).
 *
 * Returns: the number of leases released
 */
guint vw_lease_db_release_domain(VwLeaseDb *db, const char *domain_uuid);

/**
 * vw_lease_db_list:
 * @db: the database
 *
 * Returns: (transfer container) (element-type VwLeaseRecord): every lease, sorted
 *     by IPv4 address, then IPv6 address (leases without an address last,
 *     by UUID and MAC); the leases stay owned by @db and are valid until it
 *     changes.  Free with g_ptr_array_unref().
 */
GPtrArray *vw_lease_db_list(VwLeaseDb *db);

/**
 * vw_lease_db_format_dnsmasq_hosts:
 * @db: the database
 *
 * Format the content of a dnsmasq --dhcp-hostsfile so that dnsmasq hands
 * every port exactly its leased addresses: "MAC,IPV4[,HOSTNAME]" for each
 * lease's IPv4 address, then "MAC,[IPV6][,HOSTNAME]" for each IPv6 address,
 * in vw_lease_db_list() order (dnsmasq uses, per family, the line whose
 * address lies in the subnet).  Addresses that are <dhcp><host> addresses of
 * the definition are left out: dnsmasq's configuration carries the <host>
 * entries, and dnsmasq drops an address given twice.  Within a family a
 * hostname is written only on its first line (names must be unique).
 *
 * Returns: (transfer full): the text (empty, or lines ending in '\n')
 */
char *vw_lease_db_format_dnsmasq_hosts(VwLeaseDb *db);

/**
 * vw_lease_db_get_path:
 * @db: the database
 *
 * Returns: (transfer none): the path given to vw_lease_db_load()
 */
const char *vw_lease_db_get_path(VwLeaseDb *db);

/**
 * vw_lease_db_free:
 * @db: (nullable): the database
 *
 * Free @db (unsaved changes are lost).
 */
void vw_lease_db_free(VwLeaseDb *db);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwLeaseDb, vw_lease_db_free)

/**
 * vw_hostname_from_domain_name:
 * @name: (nullable): a libvirt domain name (any UTF-8)
 *
 * Sanitise @name to a DNS label: ASCII letters lowercased, digits kept,
 * every run of other characters turned into one '-', no '-' at either
 * end, at most 63 bytes.
 *
 * Returns: (transfer full) (nullable): the label, or NULL when nothing is left
 */
char *vw_hostname_from_domain_name(const char *name);

G_END_DECLS
