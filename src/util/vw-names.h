/*
 * Names of the kernel objects of a port, derived from its identity:
 * interface names short enough for IFNAMSIZ by construction, and an
 * interface alias that carries the whole identity so that leaked devices
 * can be recognised later.  Also the UUID and MAC address syntax checks.
 */
#pragma once

#include <glib.h>

#include "vw-mac.h"

G_BEGIN_DECLS

/* Bytes of a MAC's canonical text "xx:xx:xx:xx:xx:xx" with its NUL. */
#define VW_MAC_BUFSIZE (VW_MAC_TEXT_LEN + 1)

/* Prefix of every interface alias virtwire sets. */
#define VW_PORT_ALIAS_PREFIX "virtwire:port:"

/* Prefixes of the three interfaces of a port. */
#define VW_PORT_TAP_PREFIX  "vwt-"
#define VW_PORT_HOST_PREFIX "vwh-"
#define VW_PORT_PEER_PREFIX "vwn-"

/* Number of hex digits of the hash in a port interface name. */
#define VW_PORT_HASH_DIGITS 10

/*
 * The interface names of a port: tap (in the host netns, opened by QEMU),
 * host (the host end of the veth pair) and peer (its end on the bridge in
 * the network's netns).  Each is 14 bytes plus the NUL.
 */
typedef struct {
    char tap[16];
    char host[16];
    char peer[16];
} VwPortNames;

/**
 * vw_uuid_check:
 * @uuid: text to check
 * @error: (out) (optional): set to VW_UTIL_ERROR_INVALID naming @uuid when it is not a UUID
 *
 * Check that @uuid is a UUID in the canonical 8-4-4-4-12 hex form (either case).
 *
 * Returns: TRUE if it is
 */
gboolean vw_uuid_check(const char *uuid, GError **error);

/**
 * vw_mac_parse:
 * @text: a MAC address "xx:xx:xx:xx:xx:xx" (hex digits of either case)
 * @mac: (out caller-allocates): the six bytes, written only on success
 * @error: (out) (optional): set to VW_UTIL_ERROR_INVALID naming @text on failure
 *
 * Parse a NIC's MAC address: the syntax above, and a unicast (the group
 * bit of the first byte clear), not all-zero address.
 *
 * Returns: TRUE on success
 */
gboolean vw_mac_parse(const char *text, guint8 mac[6], GError **error);

/**
 * vw_mac_canonical:
 * @text: a MAC address, as accepted by vw_mac_parse()
 *
 * Returns: (transfer full) (nullable): @text in lowercase canonical form,
 *     or NULL if vw_mac_parse() rejects it
 */
char *vw_mac_canonical(const char *text);

/**
 * vw_mac_format:
 * @mac: a MAC address
 * @buf: (out caller-allocates): VW_MAC_BUFSIZE bytes
 *
 * Write @mac in canonical form (lowercase "xx:xx:xx:xx:xx:xx") into @buf.
 *
 * Returns: (transfer none): @buf
 */
const char *vw_mac_format(const VwMac *mac, char buf[VW_MAC_BUFSIZE]);

/**
 * vw_mac_equal:
 * @a: a MAC address
 * @b: another
 *
 * Returns: TRUE when they are the same address
 */
static inline gboolean
vw_mac_equal(const VwMac *a, const VwMac *b)
{
    return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

/**
 * vw_port_names:
 * @domain_uuid: the domain's UUID (either case)
 * @mac: the NIC's MAC address (either case)
 * @out: (out caller-allocates): the names, written only on success
 * @error: (out) (optional): set to VW_UTIL_ERROR_INVALID naming the bad value
 *
 * Compute the port's interface names: "vwt-", "vwh-" and "vwn-" followed by
 * the first 10 lowercase hex digits of SHA-256(lowercase UUID + "/" +
 * lowercase MAC).  The same (UUID, MAC) always gives the same names, on any
 * machine; 40 bits of hash make a collision between the ports of one host
 * negligible.
 *
 * Returns: TRUE on success
 */
gboolean vw_port_names(const char *domain_uuid, const char *mac, VwPortNames *out, GError **error);

/**
 * vw_port_names_mac:
 * @uuid: the domain's UUID, checked and lowercase
 * @mac: the NIC's MAC address
 * @out: (out caller-allocates): the names
 *
 * vw_port_names() for an identity checked where it entered (nothing is
 * parsed again).
 */
void vw_port_names_mac(const char *uuid, const VwMac *mac, VwPortNames *out);

/**
 * vw_port_alias_format:
 * @network: the network name (no ':')
 * @domain_uuid: the domain's UUID
 * @mac: the NIC's MAC address
 * @role: "tap", "host" or "peer"
 *
 * Build the interface alias "virtwire:port:NETWORK:UUID:MAC:ROLE", with
 * UUID and MAC in lowercase.  The arguments must be valid (programmer
 * error otherwise: a critical warning and NULL).
 *
 * Returns: (transfer full): the alias (at most 106 bytes for a 32-byte network name)
 */
char *vw_port_alias_format(const char *network, const char *domain_uuid, const char *mac,
                           const char *role);

/**
 * vw_port_alias_format_mac:
 * @network: the network name (no ':')
 * @uuid: the domain's UUID, checked and lowercase
 * @mac: the NIC's MAC address
 * @role: "tap", "host" or "peer"
 *
 * vw_port_alias_format() for an identity checked where it entered.
 *
 * Returns: (transfer full): the alias
 */
char *vw_port_alias_format_mac(const char *network, const char *uuid, const VwMac *mac,
                               const char *role);

/**
 * vw_port_alias_parse:
 * @alias: an interface alias (may be anything, including NULL)
 * @network: (out) (optional) (transfer full): the network name
 * @uuid: (out) (optional) (transfer full): the domain UUID, lowercase
 * @mac: (out) (optional) (transfer full): the MAC address, lowercase
 * @role: (out) (optional) (transfer full): "tap", "host" or "peer"
 *
 * Recognise an alias made by vw_port_alias_format().  The out parameters
 * are set only when TRUE is returned.
 *
 * Returns: TRUE if @alias is one of ours and well formed; FALSE otherwise
 */
gboolean vw_port_alias_parse(const char *alias, char **network, char **uuid, char **mac,
                             char **role);

G_END_DECLS
