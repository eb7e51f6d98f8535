/*
 * libvirt domain XML: the reader (GLib only: it parses with vw-xml-tree.h, so
 * that a program that only reads domain XML does not link libxml2).  The
 * editor is in vw-domxml.c.
 */
#include <config.h>

#include "vw-domxml.h"
#include "vw-domxml-private.h"

#include <stdarg.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "vw-mac.h"
#include "vw-xml-tree.h"

/* clang-format off */
G_DEFINE_QUARK(vw-domxml-error-quark, vw_domxml_error)
/* clang-format on */

#define VW_DOMXML_TAP_MAX     15 /* IFNAMSIZ - 1 */
#define VW_DOMXML_NETWORK_MAX 32
#define VW_DOMXML_SEGMENT_MAX 245 /* NAME_MAX minus strlen(".partition") */

static gboolean vw_domxml_error(GError **error, int code, VwXmlNode *node, const char *format, ...)
    G_GNUC_PRINTF(4, 5);

/* Report @format in the VW_XML_ERROR domain, prefixed with the line of @node when known. */
static gboolean
vw_domxml_error(GError **error, int code, VwXmlNode *node, const char *format, ...)
{
    g_autofree char *message = NULL;
    int line = node ? vw_xml_node_line(node) : 0;
    va_list ap;

    va_start(ap, format);
    message = g_strdup_vprintf(format, ap);
    va_end(ap);
    if (line > 0)
        g_set_error(error, VW_XML_ERROR, code, _("line %d: %s"), line, message);
    else
        g_set_error_literal(error, VW_XML_ERROR, code, message);
    return FALSE;
}

/* ---- value checks ---------------------------------------------------------------------- */

char *
vw_domxml_mac_normalize(const char *mac, GError **error)
{
    guint8 bytes[6];

    g_return_val_if_fail(mac != NULL, NULL);

    /* Exactly what libvirt formats: six two-digit hex octets separated by ':'. */
    if (!vw_mac_scan(mac, bytes)) {
        g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                    _("invalid MAC address '%s': expected six hex octets like "
                      "'52:54:00:12:34:56'"),
                    mac);
        return NULL;
    }
    return g_ascii_strdown(mac, -1);
}

/* Every byte of @s is an ASCII letter or digit, or one of @extra. */
gboolean
vw_domxml_chars_ok(const char *s, gboolean upper_ok, const char *extra)
{
    for (const char *p = s; *p; p++) {
        if (g_ascii_isdigit(*p) || g_ascii_islower(*p) || (upper_ok && g_ascii_isupper(*p)))
            continue;
        if (strchr(extra, *p))
            continue;
        return FALSE;
    }
    return TRUE;
}

gboolean
vw_dom_iface_is_unmanaged_tap(const VwDomIface *iface)
{
    g_return_val_if_fail(iface != NULL, FALSE);
    return g_strcmp0(iface->type, "ethernet") == 0 && iface->target_dev && iface->managed_set &&
           !iface->managed;
}

gboolean
vw_domxml_tap_check(const char *tap, GError **error)
{
    gsize len;

    g_return_val_if_fail(tap != NULL, FALSE);

    len = strlen(tap);
    if (len == 0 || len > VW_DOMXML_TAP_MAX) {
        g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                    _("invalid tap name '%s': it must be 1 to %d bytes long"), tap,
                    VW_DOMXML_TAP_MAX);
        return FALSE;
    }
    if (!vw_domxml_chars_ok(tap, TRUE, "_.-") || tap[0] == '-' || g_str_equal(tap, ".") ||
        g_str_equal(tap, "..")) {
        g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                    _("invalid tap name '%s': use letters, digits, '_', '.' and '-', "
                      "not starting with '-'"),
                    tap);
        return FALSE;
    }
    return TRUE;
}

gboolean
vw_domxml_network_check(const char *network, GError **error)
{
    gsize len;

    g_return_val_if_fail(network != NULL, FALSE);

    len = strlen(network);
    if (len == 0 || len > VW_DOMXML_NETWORK_MAX || !vw_domxml_chars_ok(network, TRUE, "_-")) {
        g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                    _("invalid network name '%s': use 1 to %d letters, digits, '_' and '-'"),
                    network, VW_DOMXML_NETWORK_MAX);
        return FALSE;
    }
    return TRUE;
}

gboolean
vw_domxml_partition_check(const char *partition, GError **error)
{
    g_auto(GStrv) segments = NULL;

    g_return_val_if_fail(partition != NULL, FALSE);

    if (partition[0] != '/' || partition[1] == '\0')
        goto bad;
    segments = g_strsplit(partition + 1, "/", -1);
    for (gsize i = 0; segments[i]; i++) {
        const char *seg = segments[i];

        if (seg[0] == '\0' || g_str_equal(seg, ".") || g_str_equal(seg, "..") ||
            !vw_domxml_chars_ok(seg, TRUE, "_.-"))
            goto bad;
        if (strlen(seg) > VW_DOMXML_SEGMENT_MAX) {
            g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                        _("invalid partition '%s': segment '%s' is longer than %d bytes"),
                        partition, seg, VW_DOMXML_SEGMENT_MAX);
            return FALSE;
        }
    }
    return TRUE;

bad:
    g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                _("invalid partition '%s': expected an absolute path like '/virtwire/net1' "
                  "of letters, digits, '_', '.' and '-', without '.' or '..' segments"),
                partition);
    return FALSE;
}

/* The UUID in canonical 8-4-4-4-12 lowercase form; libvirt accepts dashes anywhere. */
static char *
vw_domxml_uuid_normalize(const char *text)
{
    char hex[33];
    gsize n = 0;

    while (g_ascii_isspace(*text))
        text++;
    for (; *text && !g_ascii_isspace(*text); text++) {
        if (*text == '-')
            continue;
        if (!g_ascii_isxdigit(*text) || n == 32)
            return NULL;
        hex[n++] = g_ascii_tolower(*text);
    }
    while (g_ascii_isspace(*text))
        text++;
    if (n != 32 || *text)
        return NULL;
    hex[32] = '\0';
    return g_strdup_printf("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

/* ---- reader ---------------------------------------------------------------------------- */

void
vw_dom_iface_free(VwDomIface *iface)
{
    if (!iface)
        return;
    g_free(iface->type);
    g_free(iface->mac);
    g_free(iface->target_dev);
    g_free(iface->model);
    g_free(iface->network);
    g_free(iface);
}

void
vw_dominfo_free(VwDomInfo *info)
{
    if (!info)
        return;
    g_free(info->name);
    g_free(info->uuid);
    g_clear_pointer(&info->ifaces, g_ptr_array_unref);
    g_free(info->partition);
    g_free(info);
}

VwDomIface *
vw_dominfo_find_iface(const VwDomInfo *info, const char *mac)
{
    g_return_val_if_fail(info != NULL, NULL);
    g_return_val_if_fail(mac != NULL, NULL);

    for (guint i = 0; i < info->ifaces->len; i++) {
        VwDomIface *iface = g_ptr_array_index(info->ifaces, i);

        if (iface->mac && g_ascii_strcasecmp(iface->mac, mac) == 0)
            return iface;
    }
    return NULL;
}

/* An element of virtwire's metadata namespace called @name. */
static gboolean
vw_domxml_node_is_vw(const VwXmlNode *node, const char *name)
{
    return vw_xml_node_is_ns(node, VW_METADATA_NS, name);
}

/* The MAC attribute of @node (an <interface>'s <mac> or a virtwire <port>), normalised. */
static gboolean
vw_domxml_read_mac(VwXmlNode *node, const char *attr, char **mac, GError **error)
{
    g_autofree char *value = vw_xml_node_prop(node, attr);
    g_autoptr(GError) err = NULL;

    *mac = NULL;
    if (!value)
        return TRUE;
    *mac = vw_domxml_mac_normalize(value, &err);
    if (!*mac)
        return vw_domxml_error(error, VW_XML_ERROR_INVALID, node, "%s", err->message);
    return TRUE;
}

/*
 * The virtwire ports recorded in <metadata>: MAC -> network.  The same MAC
 * with two networks is ambiguous and rejected.
 */
static GHashTable *
vw_domxml_read_ports(VwXmlNode *root, GError **error)
{
    g_autoptr(GHashTable) ports = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    VwXmlNode *metadata = vw_xml_child_first(root, "metadata");

    for (VwXmlNode *list = metadata ? vw_xml_child_first(metadata, NULL) : NULL; list;
         list = vw_xml_child_next(list, NULL)) {
        if (!vw_domxml_node_is_vw(list, "ports"))
            continue;
        for (VwXmlNode *port = vw_xml_child_first(list, NULL); port;
             port = vw_xml_child_next(port, NULL)) {
            g_autofree char *mac = NULL;
            g_autofree char *network = NULL;
            const char *known;

            if (!vw_domxml_node_is_vw(port, "port"))
                continue;
            if (!vw_domxml_read_mac(port, "mac", &mac, error))
                return NULL;
            network = vw_xml_node_prop(port, "network");
            if (!mac || !network) {
                vw_domxml_error(error, VW_XML_ERROR_INVALID, port,
                                _("virtwire port in <metadata> needs both 'mac' and 'network'"));
                return NULL;
            }
            if (!vw_domxml_network_check(network, NULL)) {
                vw_domxml_error(error, VW_XML_ERROR_INVALID, port,
                                _("invalid network name '%s' for port '%s' in <metadata>"), network,
                                mac);
                return NULL;
            }
            known = g_hash_table_lookup(ports, mac);
            if (known && !g_str_equal(known, network)) {
                vw_domxml_error(
                    error, VW_XML_ERROR_INVALID, port,
                    _("port '%s' is in both network '%s' and network '%s' in <metadata>"), mac,
                    known, network);
                return NULL;
            }
            g_hash_table_replace(ports, g_steal_pointer(&mac), g_steal_pointer(&network));
        }
    }
    return g_steal_pointer(&ports);
}

static VwDomIface *
vw_domxml_read_iface(VwXmlNode *node, GHashTable *ports, GError **error)
{
    g_autoptr(VwDomIface) iface = g_new0(VwDomIface, 1);
    VwXmlNode *child;

    iface->type = vw_xml_node_prop(node, "type");
    if (!iface->type || !*iface->type) {
        vw_domxml_error(error, VW_XML_ERROR_INVALID, node,
                        _("<interface> has no 'type' attribute"));
        return NULL;
    }

    if ((child = vw_xml_child_first(node, "mac"))) {
        if (!vw_domxml_read_mac(child, "address", &iface->mac, error))
            return NULL;
    }
    if ((child = vw_xml_child_first(node, "target"))) {
        g_autofree char *managed = vw_xml_node_prop(child, "managed");

        iface->target_dev = vw_xml_node_prop(child, "dev");
        if (managed) {
            iface->managed_set = TRUE;
            if (g_str_equal(managed, "yes")) {
                iface->managed = TRUE;
            } else if (!g_str_equal(managed, "no")) {
                vw_domxml_error(error, VW_XML_ERROR_INVALID, child,
                                _("invalid value '%s' of <target managed>: expected 'yes' or 'no'"),
                                managed);
                return NULL;
            }
        }
    }
    if ((child = vw_xml_child_first(node, "model")))
        iface->model = vw_xml_node_prop(child, "type");
    if ((child = vw_xml_child_first(node, "driver"))) {
        g_autofree char *queues = vw_xml_node_prop(child, "queues");
        guint64 n;

        if (queues && !g_ascii_string_to_unsigned(queues, 10, 0, G_MAXUINT, &n, NULL)) {
            vw_domxml_error(error, VW_XML_ERROR_INVALID, child,
                            _("invalid value '%s' of <driver queues>"), queues);
            return NULL;
        }
        iface->queues = queues ? (guint)n : 0;
    }
    if (iface->mac)
        iface->network = g_strdup(g_hash_table_lookup(ports, iface->mac));
    return g_steal_pointer(&iface);
}

static VwDomInfo *
vw_dominfo_from_doc(const VwXmlDoc *doc, GError **error)
{
    g_autoptr(VwDomInfo) info = g_new0(VwDomInfo, 1);
    g_autoptr(GHashTable) ports = NULL;
    g_autofree char *id = NULL;
    VwXmlNode *root = vw_xml_doc_root(doc);
    VwXmlNode *node;

    info->id = -1;
    info->ifaces = g_ptr_array_new_with_free_func((GDestroyNotify)vw_dom_iface_free);

    if (!vw_xml_node_is(root, "domain")) {
        vw_domxml_error(error, VW_XML_ERROR_INVALID, root,
                        _("the root element is <%s>, expected <domain>"), vw_xml_node_name(root));
        return NULL;
    }

    if ((id = vw_xml_node_prop(root, "id"))) {
        gint64 n;

        if (!g_ascii_string_to_signed(id, 10, 0, G_MAXINT, &n, NULL)) {
            vw_domxml_error(error, VW_XML_ERROR_INVALID, root, _("invalid domain id '%s'"), id);
            return NULL;
        }
        info->id = (int)n;
    }

    node = vw_xml_child_first(root, "name");
    if (node)
        info->name = vw_xml_node_text(node);
    if (!info->name || !*info->name) {
        vw_domxml_error(error, VW_XML_ERROR_INVALID, node ? node : root,
                        _("the domain has no <name>"));
        return NULL;
    }

    if ((node = vw_xml_child_first(root, "uuid"))) {
        g_autofree char *text = vw_xml_node_text(node);

        info->uuid = vw_domxml_uuid_normalize(text);
        if (!info->uuid) {
            vw_domxml_error(error, VW_XML_ERROR_INVALID, node,
                            _("invalid UUID '%s' of domain '%s'"), text, info->name);
            return NULL;
        }
    }

    if ((node = vw_xml_child_first(root, "resource")) &&
        (node = vw_xml_child_first(node, "partition")))
        info->partition = vw_xml_node_text(node);

    if (!(ports = vw_domxml_read_ports(root, error)))
        return NULL;

    if ((node = vw_xml_child_first(root, "devices"))) {
        VwXmlNode *child;

        VW_XML_FOREACH_CHILD(child, node, "interface")
        {
            VwDomIface *iface = vw_domxml_read_iface(child, ports, error);

            if (!iface)
                return NULL;
            g_ptr_array_add(info->ifaces, iface);
        }
    }
    return g_steal_pointer(&info);
}

VwDomInfo *
vw_dominfo_parse(const char *xml, gssize len, GError **error)
{
    g_autoptr(VwXmlDoc) doc = NULL;

    g_return_val_if_fail(xml != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    if (!(doc = vw_xml_parse(xml, len, "domain", error)))
        return NULL;
    return vw_dominfo_from_doc(doc, error);
}

/* ---- scan ------------------------------------------------------------------------------ */

#define VW_DOMXML_NS_LEN (sizeof(VW_METADATA_NS) - 1)
#define VW_DOMXML_XMLNS "xmlns"
#define VW_DOMXML_XMLNS_LEN (sizeof(VW_DOMXML_XMLNS) - 1)

G_STATIC_ASSERT(VW_DOMXML_NS_LEN < G_MAXUINT16);

/* Where the scan is in `xmlns[:PREFIX] = "URI"`. */
enum {
    VW_DOMXML_SCAN_TEXT = 0,     /* outside a declaration */
    VW_DOMXML_SCAN_XMLNS,        /* in "xmlns", @pos bytes of it read */
    VW_DOMXML_SCAN_AFTER_XMLNS,  /* ":", whitespace or "=" comes next */
    VW_DOMXML_SCAN_PREFIX_START, /* the first byte of the prefix */
    VW_DOMXML_SCAN_PREFIX,       /* in the prefix */
    VW_DOMXML_SCAN_BEFORE_EQ,    /* whitespace before "=" */
    VW_DOMXML_SCAN_AFTER_EQ,     /* whitespace after "=", then the quote */
    VW_DOMXML_SCAN_URI,          /* in the URI, @pos bytes of it read */
    VW_DOMXML_SCAN_CLOSE,        /* the closing @quote */
};

static inline gboolean
vw_domxml_scan_is_space(guchar c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A byte of an XML name (NCName): ASCII letters, digits, "_-." and UTF-8. */
static inline gboolean
vw_domxml_scan_is_name(guchar c)
{
    return g_ascii_isalnum(c) || c == '_' || c == '-' || c == '.' || c >= 0x80;
}

/* Advance @scan over byte @c of a declaration; FALSE if @c ends it unmatched. */
static inline gboolean
vw_domxml_scan_step(VwDomxmlScan *scan, guchar c)
{
    switch (scan->state) {
    case VW_DOMXML_SCAN_XMLNS:
        if (c != (guchar)VW_DOMXML_XMLNS[scan->pos])
            return FALSE;
        if (++scan->pos == VW_DOMXML_XMLNS_LEN)
            scan->state = VW_DOMXML_SCAN_AFTER_XMLNS;
        return TRUE;
    case VW_DOMXML_SCAN_AFTER_XMLNS:
    case VW_DOMXML_SCAN_PREFIX:
        if (c == ':' && scan->state == VW_DOMXML_SCAN_AFTER_XMLNS)
            scan->state = VW_DOMXML_SCAN_PREFIX_START;
        else if (vw_domxml_scan_is_name(c) && scan->state == VW_DOMXML_SCAN_PREFIX)
            ;
        else if (vw_domxml_scan_is_space(c))
            scan->state = VW_DOMXML_SCAN_BEFORE_EQ;
        else if (c == '=')
            scan->state = VW_DOMXML_SCAN_AFTER_EQ;
        else
            return FALSE;
        return TRUE;
    case VW_DOMXML_SCAN_PREFIX_START:
        if (!vw_domxml_scan_is_name(c))
            return FALSE;
        scan->state = VW_DOMXML_SCAN_PREFIX;
        return TRUE;
    case VW_DOMXML_SCAN_BEFORE_EQ:
        if (c == '=')
            scan->state = VW_DOMXML_SCAN_AFTER_EQ;
        return c == '=' || vw_domxml_scan_is_space(c);
    case VW_DOMXML_SCAN_AFTER_EQ:
        if (c == '"' || c == '\'') {
            scan->quote = c;
            scan->pos = 0;
            scan->state = VW_DOMXML_SCAN_URI;
        }
        return c == '"' || c == '\'' || vw_domxml_scan_is_space(c);
    case VW_DOMXML_SCAN_URI:
        if (c != (guchar)VW_METADATA_NS[scan->pos])
            return FALSE;
        if (++scan->pos == VW_DOMXML_NS_LEN)
            scan->state = VW_DOMXML_SCAN_CLOSE;
        return TRUE;
    case VW_DOMXML_SCAN_CLOSE:
        if (c != scan->quote)
            return FALSE;
        scan->found = TRUE;
        return TRUE;
    default:
        g_assert_not_reached();
    }
}

void
vw_domxml_scan_feed(VwDomxmlScan *scan, const char *data, gsize len)
{
    const guchar *p = (const guchar *)data;
    const guchar *end = p + len;

    g_return_if_fail(scan != NULL);
    g_return_if_fail(data != NULL || len == 0);

    while (p < end && !scan->found) {
        guchar c;

        if (scan->state == VW_DOMXML_SCAN_TEXT) {
            /* Outside a declaration only an "x" after whitespace matters:
             * skip to the next "x" (memchr is the whole cost on big input). */
            const guchar *x = memchr(p, 'x', end - p);

            if (!x) {
                scan->after_space = vw_domxml_scan_is_space(end[-1]);
                return;
            }
            if (x > p)
                scan->after_space = vw_domxml_scan_is_space(x[-1]);
            if (scan->after_space) {
                scan->state = VW_DOMXML_SCAN_XMLNS;
                scan->pos = 1;
            }
            scan->after_space = FALSE;
            p = x + 1;
            continue;
        }
        c = *p;
        if (!vw_domxml_scan_step(scan, c)) {
            /* @c ends a near miss; it may begin a declaration itself only
             * as an "x" after whitespace, and nothing before it can. */
            scan->state = VW_DOMXML_SCAN_TEXT;
            if (c == 'x' && scan->after_space) {
                scan->state = VW_DOMXML_SCAN_XMLNS;
                scan->pos = 1;
            }
        }
        scan->after_space = vw_domxml_scan_is_space(c);
        p++;
    }
}

gboolean
vw_domxml_has_metadata(const char *xml, gssize len)
{
    VwDomxmlScan scan = { 0 };

    g_return_val_if_fail(xml != NULL, FALSE);

    vw_domxml_scan_feed(&scan, xml, len < 0 ? strlen(xml) : (gsize)len);
    return scan.found;
}
