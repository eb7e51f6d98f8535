/*
 * Guest-network definitions: the <network> XML format (see
 * docs/guestnet-xml.md and xml/schemas/guestnet.rng), parsed into a VwNetDef,
 * validated, and formatted back canonically.
 */
#pragma once

#include <glib.h>
#include <sys/socket.h> /* AF_INET, AF_INET6 */

#include "vw-xml-util.h"

G_BEGIN_DECLS

/* Limits of the format. */
#define VW_NETDEF_NAME_MAX       32 /* bytes in <name> */
#define VW_NETDEF_NETNS_MAX      64 /* bytes in <netns name> */
#define VW_NETDEF_IFNAME_MAX     15 /* IFNAMSIZ - 1: <bridge name>, <forward dev> */
#define VW_NETDEF_MTU_MIN        68
#define VW_NETDEF_MTU_MAX        65535
#define VW_NETDEF_MTU_DEFAULT    1500
#define VW_NETDEF_BRIDGE_DEFAULT "vwbr0"
#define VW_NETDEF_NETNS_PREFIX   "vw-"
#define VW_NETDEF_CPU_WEIGHT_MIN 1
#define VW_NETDEF_CPU_WEIGHT_MAX 10000
#define VW_NETDEF_MEMORY_MAX_MIN 4096
#define VW_NETDEF_BANDWIDTH_MAX  G_MAXUINT32 /* kilobytes per second (or kilobytes for burst) */

/* Value of memory_max / pids_max: not set, or the literal 'max' (no limit). */
#define VW_NETDEF_LIMIT_UNSET ((gint64)-1)
#define VW_NETDEF_LIMIT_MAX   G_MAXINT64

/* One <range start end/> of <dhcp>. */
typedef struct {
    char *start;
    char *end;
} VwDhcpRange;

/* One <host mac ip name/> of <dhcp>; name may be NULL. */
typedef struct {
    char *mac;
    char *ip;
    char *name;
} VwDhcpHost;

/* One <ip>: the gateway address of the network and its prefix. */
typedef struct {
    int family;    /* AF_INET or AF_INET6 */
    char *address; /* canonical text (inet_ntop) */
    guint prefix;
    GPtrArray *ranges; /* VwDhcpRange*, owned */
    GPtrArray *hosts;  /* VwDhcpHost*, owned */
} VwIpDef;

typedef enum {
    VW_FORWARD_ISOLATED,
    VW_FORWARD_NAT,
    VW_FORWARD_ROUTED,
} VwForwardMode;

/* <inbound>/<outbound> of <bandwidth>; 0 means "not given" for peak and burst. */
typedef struct {
    guint64 average; /* kilobytes per second */
    guint64 peak;    /* kilobytes per second */
    guint64 burst;   /* kilobytes */
    gboolean set;    /* the element was present */
} VwBandwidthDir;

typedef struct {
    char *name;
    char *uuid;        /* lowercase canonical text; always set after parsing */
    char *description; /* NULL if absent */
    char *netns;       /* default "vw-" + name */
    char *bridge;      /* default "vwbr0" */
    gboolean stp;
    gboolean bridge_mac_set; /* <mac address>: the bridge's (the gateway's) MAC is given */
    guint8 bridge_mac[6];    /* that MAC; unset: the engine derives one from the UUID */
    guint mtu;
    VwForwardMode forward;
    char *forward_dev;         /* uplink, NULL if none; only with nat/routed */
    gboolean host_access;      /* <forward hostAccess='yes'>: guests reach the host and the
                                * other networks (nat/routed only); default: not */
    gboolean no_spoof_check;   /* <port spoofCheck='no'>: ports may send with any MAC or
                                * address; default: anti-spoofing on every port */
    VwIpDef *ipv4;             /* NULL if absent */
    VwIpDef *ipv6;             /* NULL if absent */
    char *dns_domain;          /* NULL if absent */
    GPtrArray *dns_forwarders; /* char*, canonical addresses; never NULL after parsing */
    VwBandwidthDir in, out;
    guint cpu_weight;  /* 0 = unset */
    gint64 memory_max; /* VW_NETDEF_LIMIT_UNSET, VW_NETDEF_LIMIT_MAX, or bytes */
    gint64 pids_max;   /* VW_NETDEF_LIMIT_UNSET, VW_NETDEF_LIMIT_MAX, or a count */
} VwNetDef;

/**
 * vw_dhcp_range_free:
 * @range: (nullable): a range
 *
 * Free @range and its strings.
 */
void vw_dhcp_range_free(VwDhcpRange *range);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwDhcpRange, vw_dhcp_range_free)

/**
 * vw_dhcp_host_free:
 * @host: (nullable): a static host
 *
 * Free @host and its strings.
 */
void vw_dhcp_host_free(VwDhcpHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwDhcpHost, vw_dhcp_host_free)

/**
 * vw_ip_def_new:
 * @family: AF_INET or AF_INET6
 *
 * Returns: (transfer full): an empty <ip> definition with empty range and
 * host arrays, to be filled by the caller
 */
VwIpDef *vw_ip_def_new(int family);

/**
 * vw_ip_def_free:
 * @ip: (nullable): an <ip> definition
 *
 * Free @ip, its ranges and its hosts.
 */
void vw_ip_def_free(VwIpDef *ip);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwIpDef, vw_ip_def_free)

/**
 * vw_netdef_parse:
 * @xml: guest-network XML (untrusted)
 * @len: length of @xml, or -1 if NUL-terminated
 * @error: (out) (optional): set on failure
 *
 * Parse @xml safely (see vw_xml_parse()), fill in defaults (uuid, netns,
 * bridge, stp, mtu, forward mode) and validate it with vw_netdef_validate().
 * Unknown elements and attributes are rejected.  Errors are in the
 * VW_XML_ERROR domain and name the offending element, attribute and value.
 *
 * Returns: (transfer full): the definition, or NULL with @error set
 */
VwNetDef *vw_netdef_parse(const char *xml, gssize len, GError **error);

/**
 * vw_netdef_parse_full:
 * @xml: guest-network XML (untrusted)
 * @len: length of @xml, or -1 if NUL-terminated
 * @ignored: (out) (optional) (transfer full) (nullable): the parts of the
 *   XML that virtwire accepts and drops because they mean nothing to it,
 *   each once, in the order of the format (`<network>`, `<bridge>`,
 *   `<forward>`, `<domain>`), as written (`delay='0'`, `<nat><port
 *   start='1024' end='65535'/>`); %NULL when nothing was dropped
 * @error: (out) (optional): set on failure
 *
 * Like vw_netdef_parse().  The output of `virsh net-dumpxml` is accepted:
 * what has a meaning in virtwire is honoured (`netmask` becomes the
 * prefix, `<mac>` the bridge's MAC, `<domain name>` the DNS domain,
 * `mode='route'` the routed mode), what has none (the read-only
 * `connections`, the bridge's `delay`, `<nat>`'s address and port ranges,
 * `localOnly='no'`) is dropped and named in @ignored.  Anything else
 * unknown is still an error.
 *
 * Returns: (transfer full): the definition, or NULL with @error set (and
 * @ignored %NULL)
 */
VwNetDef *vw_netdef_parse_full(const char *xml, gssize len, GStrv *ignored, GError **error);

/**
 * vw_netdef_parse_file:
 * @path: file holding guest-network XML
 * @error: (out) (optional): set on failure
 *
 * Like vw_netdef_parse() on the contents of @path.
 *
 * Returns: (transfer full): the definition, or NULL with @error set
 */
VwNetDef *vw_netdef_parse_file(const char *path, GError **error);

/**
 * vw_netdef_validate:
 * @def: a definition, parsed or built by hand
 * @error: (out) (optional): set to a VW_XML_ERROR_INVALID error on the first problem
 *
 * Check every rule of the format: names, UUID, MTU, forward mode and uplink,
 * addresses and prefixes, that gateway, DHCP ranges and static hosts fit the
 * subnet and do not collide, DNS, bandwidth and cgroup limits.
 *
 * Returns: TRUE if @def is valid
 */
gboolean vw_netdef_validate(const VwNetDef *def, GError **error);

/**
 * vw_netdef_format:
 * @def: a valid definition
 *
 * Format @def canonically: fixed element and attribute order, two-space
 * indentation, defaults written out explicitly, uuid always present.
 * Parsing the result gives a definition equal to @def.
 *
 * Returns: (transfer full): the XML text, ending in a newline
 */
char *vw_netdef_format(const VwNetDef *def);

/**
 * vw_netdef_equal:
 * @a: (nullable): a definition
 * @b: (nullable): a definition
 *
 * Returns: TRUE if @a and @b define the same network (field by field; the
 * order of ranges, hosts and forwarders counts)
 */
gboolean vw_netdef_equal(const VwNetDef *a, const VwNetDef *b);

/**
 * vw_netdef_free:
 * @def: (nullable): a definition
 *
 * Free @def and everything it owns.
 */
void vw_netdef_free(VwNetDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwNetDef, vw_netdef_free)

/**
 * vw_netdef_overlaps:
 * @a: a valid definition
 * @b: another valid definition
 * @error: (out) (optional): set when the networks overlap
 *
 * Check whether @a and @b have subnets of the same family that overlap (one
 * contains the other).  The error names both networks and both subnets.
 *
 * Returns: TRUE (with @error set) if they overlap, FALSE otherwise
 */
gboolean vw_netdef_overlaps(const VwNetDef *a, const VwNetDef *b, GError **error);

/**
 * vw_forward_mode_to_string:
 * @mode: a forward mode
 *
 * Returns: (transfer none): "isolated", "nat" or "routed", or NULL if @mode
 * is out of range
 */
const char *vw_forward_mode_to_string(VwForwardMode mode);

/**
 * vw_forward_mode_from_string:
 * @str: "isolated", "nat" or "routed"
 *
 * Returns: the mode, or -1 if @str is not a known mode
 */
int vw_forward_mode_from_string(const char *str);

G_END_DECLS
