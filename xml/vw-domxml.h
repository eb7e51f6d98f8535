/*
 * libvirt domain XML: a reader of what virtwire needs (name, UUID, id, NICs,
 * cgroup partition, virtwire's own metadata) and an editor that adds and
 * removes virtwire ports while keeping the rest of the document as it was.
 *
 * The input is the XML that libvirt hands to a hook on stdin or returns from
 * virDomainGetXMLDesc(); it is parsed as untrusted with vw_xml_parse().
 * The reader (vw-dominfo.c) uses GLib only; the editor (vw-domxml.c) uses
 * libxml2, so a program that only reads does not link libxml2.
 */
#pragma once

#include <glib.h>

#include "vw-xml-util.h"

G_BEGIN_DECLS

/* The namespace of virtwire's element in a domain's <metadata>. */
#define VW_METADATA_NS "https://virtwire.dev/xmlns/virtwire/1.0"
/* The prefix the editor gives that namespace. */
#define VW_METADATA_PREFIX "virtwire"

/**
 * VW_DOMXML_ERROR:
 *
 * Error domain for edits that name something absent or already present.
 * Malformed input and bad arguments are reported in the VW_XML_ERROR domain
 * (VW_XML_ERROR_PARSE, VW_XML_ERROR_INVALID, VW_XML_ERROR_TOO_LARGE).
 */
#define VW_DOMXML_ERROR (vw_domxml_error_quark())
GQuark vw_domxml_error_quark(void);

typedef enum {
    VW_DOMXML_ERROR_NOT_FOUND, /* no interface with that MAC address */
    VW_DOMXML_ERROR_EXISTS,    /* an interface with that MAC address exists already */
} VwDomxmlError;

/**
 * VwDomIface:
 * @type: the <interface type=...> (ethernet, bridge, network, ...)
 * @mac: (nullable): the MAC address, lowercase, or NULL when the element has none
 * @target_dev: (nullable): <target dev=...>, or NULL
 * @managed_set: whether <target managed=...> is present
 * @managed: its value, when @managed_set
 * @model: (nullable): <model type=...>, or NULL
 * @queues: <driver queues=...>, or 0 when absent
 * @network: (nullable): the virtwire guest network of this NIC, from the
 *   virtwire metadata entry with the same MAC; NULL if it is not a virtwire port
 *
 * One <devices><interface> of a domain.
 */
typedef struct {
    char *type;
    char *mac;
    char *target_dev;
    gboolean managed_set;
    gboolean managed;
    char *model;
    guint queues;
    char *network;
} VwDomIface;

/**
 * VwDomInfo:
 * @name: the domain name
 * @uuid: (nullable): the UUID in canonical lowercase form, or NULL when absent
 * @id: the id of a running domain, -1 when the XML has none
 * @ifaces: (element-type VwDomIface): the interfaces, in document order
 * @partition: (nullable): <resource><partition>, or NULL
 *
 * What virtwire reads from a domain's XML.
 */
typedef struct {
    char *name;
    char *uuid;
    int id;
    GPtrArray *ifaces;
    char *partition;
} VwDomInfo;

/**
 * vw_dominfo_parse:
 * @xml: the domain XML (untrusted)
 * @len: length of @xml in bytes, or -1 if it is NUL-terminated
 * @error: (out) (optional): set on failure
 *
 * Parse @xml safely (see vw_xml_parse()) and read a #VwDomInfo out of it.
 * The root must be <domain> with a non-empty <name>; MAC addresses, the UUID,
 * the id, <target managed>, <driver queues> and the virtwire metadata must
 * be well-formed, else VW_XML_ERROR_INVALID names the bad value and its line.
 *
 * Returns: (transfer full): the information, or NULL with @error set
 */
VwDomInfo *vw_dominfo_parse(const char *xml, gssize len, GError **error);

/**
 * VwDomxmlScan:
 * @found: whether the text fed so far declares VW_METADATA_NS
 *
 * A streaming search of a domain XML document for a declaration of
 * virtwire's metadata namespace, without parsing it.  Zero-initialise it
 * (`VwDomxmlScan s = {0}`), feed the document with vw_domxml_scan_feed() in
 * pieces of any size, then read @found.
 *
 * libvirt writes a domain's metadata element back with a declaration that
 * binds its namespace URI verbatim (the URI needs no escaping):
 * `<virtwire:ports xmlns:virtwire="URI">`.  The scan looks for such a
 * declaration, `xmlns:PREFIX="URI"`, `xmlns:PREFIX='URI'` or a default
 * `xmlns="URI"` (optional whitespace around `=`), after whitespace; the bare
 * URI as text (in a <description>, another tool's metadata) does not count.
 * A document without a declaration has no virtwire port, whatever its size
 * or depth: the hook lets it pass without parsing it.
 */
typedef struct {
    gboolean found;
    /*< private >*/
    guint8 state;
    guint8 quote;
    guint8 after_space;
    guint16 pos;
} VwDomxmlScan;

/**
 * vw_domxml_scan_feed:
 * @scan: a #VwDomxmlScan
 * @data: the next piece of the document
 * @len: its length in bytes
 *
 * Search @data, continuing a declaration begun in the previous pieces, for
 * a declaration of VW_METADATA_NS.  One pass, O(@len), allocates nothing.
 */
void vw_domxml_scan_feed(VwDomxmlScan *scan, const char *data, gsize len);

/**
 * vw_domxml_has_metadata:
 * @xml: a domain XML document (untrusted, not parsed)
 * @len: its length in bytes, or -1 if it is NUL-terminated
 *
 * Whether @xml may carry virtwire's metadata (see #VwDomxmlScan): a domain
 * for which this is FALSE has no virtwire port.
 *
 * Returns: TRUE if @xml declares VW_METADATA_NS
 */
gboolean vw_domxml_has_metadata(const char *xml, gssize len);

/**
 * vw_dominfo_find_iface:
 * @info: a #VwDomInfo
 * @mac: a MAC address (any case)
 *
 * Returns: (transfer none) (nullable): the first interface of @info with
 * that MAC address, or NULL
 */
VwDomIface *vw_dominfo_find_iface(const VwDomInfo *info, const char *mac);

/**
 * vw_dominfo_free:
 * @info: (nullable): a #VwDomInfo
 *
 * Free @info and everything in it.
 */
void vw_dominfo_free(VwDomInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwDomInfo, vw_dominfo_free)

/**
 * vw_dom_iface_free:
 * @iface: (nullable): a #VwDomIface
 *
 * Free @iface (the element free function of VwDomInfo.ifaces).
 */
void vw_dom_iface_free(VwDomIface *iface);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwDomIface, vw_dom_iface_free)

/**
 * vw_domxml_mac_normalize:
 * @mac: a MAC address as text
 * @error: (out) (optional): set (VW_XML_ERROR_INVALID) when @mac is not
 *   six colon-separated two-digit hex octets
 *
 * Returns: (transfer full) (nullable): @mac in lowercase, or NULL
 */
char *vw_domxml_mac_normalize(const char *mac, GError **error);

/**
 * VwDomEditor:
 *
 * A domain XML document being edited.  Every edit either succeeds or leaves
 * the document exactly as it was.
 */
typedef struct _VwDomEditor VwDomEditor;

/**
 * vw_domeditor_new:
 * @xml: the domain XML (untrusted)
 * @len: length of @xml in bytes, or -1 if it is NUL-terminated
 * @error: (out) (optional): set on failure
 *
 * Parse @xml safely for editing.  The document must read cleanly with
 * vw_dominfo_parse() (so that a later edit never trips over bad input).
 *
 * Returns: (transfer full): the editor, or NULL with @error set
 */
VwDomEditor *vw_domeditor_new(const char *xml, gssize len, GError **error);

/**
 * vw_domeditor_free:
 * @ed: (nullable): a #VwDomEditor
 *
 * Free @ed and its document.
 */
void vw_domeditor_free(VwDomEditor *ed);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwDomEditor, vw_domeditor_free)

/**
 * vw_domeditor_add_interface:
 * @ed: a #VwDomEditor
 * @mac: unicast MAC address of the new NIC (stored lowercase)
 * @tap: name of the pre-created tap: 1..15 bytes of [A-Za-z0-9_.-], no leading '-'
 * @model: NIC model, [a-z0-9_-] (e.g. "virtio")
 * @queues: number of queues; a <driver queues> element is added when above 1
 * @network: virtwire guest network: 1..32 bytes of [A-Za-z0-9_-]
 * @error: (out) (optional): set on failure
 *
 * Add, under <devices> (created if absent),
 * <interface type='ethernet'><mac address=MAC/><target dev=TAP managed='no'/>
 * <model type=MODEL/>[<driver queues=N/>]</interface>, and record the port in
 * <metadata> (created if absent) as
 * <virtwire:ports xmlns:virtwire=VW_METADATA_NS><virtwire:port mac=MAC network=NET/>.
 * A stale metadata entry for @mac (one without an interface) is replaced.
 * New nodes are indented like their siblings.
 *
 * Fails with VW_DOMXML_ERROR_EXISTS if an interface with @mac exists, and
 * with VW_XML_ERROR_INVALID for a bad argument; the message names the value.
 *
 * Returns: TRUE on success; on failure the document is unchanged
 */
gboolean vw_domeditor_add_interface(VwDomEditor *ed, const char *mac, const char *tap,
                                    const char *model, guint queues, const char *network,
                                    GError **error);

/**
 * vw_domeditor_remove_interface:
 * @ed: a #VwDomEditor
 * @mac: MAC address of the NIC to remove (any case)
 * @error: (out) (optional): set on failure
 *
 * Remove every <interface> with @mac, and its virtwire metadata entry; the
 * <virtwire:ports> element goes when it has no port left, and <metadata> when
 * nothing is left in it.  Fails with VW_DOMXML_ERROR_NOT_FOUND when no
 * interface has @mac, VW_XML_ERROR_INVALID when @mac is not a MAC address.
 *
 * Returns: TRUE on success; on failure the document is unchanged
 */
gboolean vw_domeditor_remove_interface(VwDomEditor *ed, const char *mac, GError **error);

/**
 * vw_domeditor_set_partition:
 * @ed: a #VwDomEditor
 * @partition: an absolute cgroup partition path such as "/virtwire/net1":
 *   segments of [A-Za-z0-9_.-], none of them "." or ".."
 * @error: (out) (optional): set (VW_XML_ERROR_INVALID) when @partition is bad
 *
 * Set <resource><partition>@partition</partition></resource>, creating the
 * elements when absent and replacing an existing partition.
 *
 * Returns: TRUE on success; on failure the document is unchanged
 */
gboolean vw_domeditor_set_partition(VwDomEditor *ed, const char *partition, GError **error);

/**
 * vw_domeditor_format:
 * @ed: a #VwDomEditor
 *
 * Serialise the document without reformatting it: whitespace, comments and
 * element order are kept; libxml2 writes attributes with double quotes.  An
 * XML declaration is written only if the input had one.
 *
 * Returns: (transfer full): the document as text
 */
char *vw_domeditor_format(VwDomEditor *ed);

/**
 * vw_domxml_format_interface:
 * @mac: unicast MAC address
 * @tap: tap name, as for vw_domeditor_add_interface()
 * @model: NIC model, as for vw_domeditor_add_interface()
 * @queues: number of queues; a <driver queues> element is added when above 1
 * @error: (out) (optional): set (VW_XML_ERROR_INVALID) for a bad argument
 *
 * Format the <interface> element alone, the same one that
 * vw_domeditor_add_interface() inserts, for virDomainAttachDeviceFlags().
 *
 * Returns: (transfer full): the element as text, or NULL with @error set
 */
char *vw_domxml_format_interface(const char *mac, const char *tap, const char *model, guint queues,
                                 GError **error);

/**
 * vw_dom_iface_is_unmanaged_tap:
 * @iface: an interface of a domain
 *
 * Whether libvirt opens @iface as a pre-made tap, as a virtwire port must
 * be: <interface type='ethernet'> with <target dev=... managed='no'/>.  Any
 * other kind would make libvirt ignore (or trip over) the port.
 *
 * Returns: TRUE if it is
 */
gboolean vw_dom_iface_is_unmanaged_tap(const VwDomIface *iface);

/**
 * vw_domxml_tap_check:
 * @tap: a tap interface name
 * @error: (out) (optional): set (VW_XML_ERROR_INVALID) when @tap is bad
 *
 * Returns: TRUE if @tap is 1..15 bytes of [A-Za-z0-9_.-], not "." or ".."
 * and does not start with '-'
 */
gboolean vw_domxml_tap_check(const char *tap, GError **error);

/**
 * vw_domxml_network_check:
 * @network: a virtwire guest network name
 * @error: (out) (optional): set (VW_XML_ERROR_INVALID) when @network is bad
 *
 * Returns: TRUE if @network is 1..32 bytes of [A-Za-z0-9_-]
 */
gboolean vw_domxml_network_check(const char *network, GError **error);

/**
 * vw_domxml_partition_check:
 * @partition: a cgroup partition path
 * @error: (out) (optional): set (VW_XML_ERROR_INVALID) when @partition is bad
 *
 * Returns: TRUE if @partition matches ^(/[A-Za-z0-9_.-]+)+$ with no "." or
 * ".." segment, and each segment is short enough (at most 245 bytes) for
 * libvirt's "SEGMENT.partition" directory name to fit NAME_MAX
 */
gboolean vw_domxml_partition_check(const char *partition, GError **error);

G_END_DECLS
