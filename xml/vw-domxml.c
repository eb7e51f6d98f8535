/*
 * libvirt domain XML: the editor, on libxml2, which keeps the rest of a
 * document byte-for-byte as it was.  The reader is in vw-dominfo.c.
 */
#include <config.h>

#include "vw-domxml.h"
#include "vw-domxml-private.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libxml/xmlsave.h>

#include "vw-xml-libxml.h"

#define VW_DOMXML_WHAT         "domain"
#define VW_DOMXML_MODEL_MAX    64
#define VW_DOMXML_DEFAULT_UNIT "  "

struct _VwDomEditor {
    xmlDocPtr doc;
    gboolean has_decl; /* the input began with an XML declaration */
};

/* ---- value checks of the editor ---------------------------------------------------------- */

/* vw_domxml_mac_normalize(), and the address must be usable by one NIC. */
static char *
vw_domxml_mac_normalize_unicast(const char *mac, GError **error)
{
    g_autofree char *norm = vw_domxml_mac_normalize(mac, error);
    guint first;

    if (!norm)
        return NULL;
    first = (guint)g_ascii_xdigit_value(norm[0]) << 4 | (guint)g_ascii_xdigit_value(norm[1]);
    if (first & 1) {
        g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                    _("invalid MAC address '%s': it is a multicast address"), mac);
        return NULL;
    }
    if (g_str_equal(norm, "00:00:00:00:00:00")) {
        g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                    _("invalid MAC address '%s': it is all zeros"), mac);
        return NULL;
    }
    return g_steal_pointer(&norm);
}

static gboolean
vw_domxml_model_check(const char *model, GError **error)
{
    gsize len = strlen(model);

    if (len == 0 || len > VW_DOMXML_MODEL_MAX || !vw_domxml_chars_ok(model, FALSE, "_-")) {
        g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                    _("invalid NIC model '%s': use 1 to %d lowercase letters, digits, '_' "
                      "and '-'"),
                    model, VW_DOMXML_MODEL_MAX);
        return FALSE;
    }
    return TRUE;
}

/* An element of virtwire's metadata namespace called @name. */
static gboolean
vw_domxml_node_is_vw(xmlNodePtr node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE && node->ns && node->ns->href &&
           g_str_equal((const char *)node->ns->href, VW_METADATA_NS) &&
           g_str_equal((const char *)node->name, name);
}

/* ---- tree editing that keeps the document's layout --------------------------------------- */

static gboolean
vw_domxml_is_blank_text(xmlNodePtr node)
{
    return node && node->type == XML_TEXT_NODE && xmlIsBlankNode(node);
}

/* The indentation of @node: what follows the last newline of the blank text before it. */
static char *
vw_domxml_node_indent(xmlNodePtr node)
{
    const char *nl;

    if (node->parent && node->parent->type == XML_DOCUMENT_NODE)
        return g_strdup("");
    if (!vw_domxml_is_blank_text(node->prev) || !node->prev->content)
        return NULL;
    nl = strrchr((const char *)node->prev->content, '\n');
    return nl ? g_strdup(nl + 1) : NULL;
}

/*
 * The indentation of the children of @parent: that of an existing child, else
 * one @unit more than @parent.  NULL when the document is not indented there
 * (say, all on one line): new nodes then get no whitespace either.
 */
static char *
vw_domxml_child_indent(xmlNodePtr parent, const char *unit)
{
    g_autofree char *indent = NULL;
    gboolean has_children = FALSE;

    for (xmlNodePtr cur = parent->children; cur; cur = cur->next) {
        if (cur->type != XML_ELEMENT_NODE && cur->type != XML_COMMENT_NODE)
            continue;
        has_children = TRUE;
        if ((indent = vw_domxml_node_indent(cur)))
            return g_steal_pointer(&indent);
    }
    if (has_children)
        return NULL;
    if (!(indent = vw_domxml_node_indent(parent)))
        return NULL;
    return g_strconcat(indent, unit, NULL);
}

/* The indentation step of the document: that of the root's children, else two spaces. */
static char *
vw_domxml_indent_unit(xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    g_autofree char *indent = NULL;

    for (xmlNodePtr cur = root->children; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE && (indent = vw_domxml_node_indent(cur)) && *indent)
            return g_steal_pointer(&indent);
        g_clear_pointer(&indent, g_free);
    }
    return g_strdup(VW_DOMXML_DEFAULT_UNIT);
}

static xmlNodePtr
vw_domxml_new_blank(xmlDocPtr doc, const char *indent)
{
    g_autofree char *text = g_strconcat("\n", indent, NULL);

    return xmlNewDocText(doc, (const xmlChar *)text);
}

/*
 * Indent the element children of @node, a subtree built here (elements and at
 * most one text child each), as if @node itself sat at @indent.  Blank text is
 * only ever put between element nodes, so libxml2 never merges text nodes.
 */
static void
vw_domxml_indent_subtree(xmlNodePtr node, const char *indent, const char *unit)
{
    g_autofree char *inner = g_strconcat(indent, unit, NULL);
    gboolean any = FALSE;

    for (xmlNodePtr cur = node->children; cur; cur = cur->next) {
        if (cur->type != XML_ELEMENT_NODE)
            continue;
        xmlAddPrevSibling(cur, vw_domxml_new_blank(node->doc, inner));
        vw_domxml_indent_subtree(cur, inner, unit);
        any = TRUE;
    }
    if (any)
        xmlAddChild(node, vw_domxml_new_blank(node->doc, indent));
}

/* The last child of @parent that is not blank text, or NULL. */
static xmlNodePtr
vw_domxml_last_content(xmlNodePtr parent)
{
    for (xmlNodePtr cur = parent->last; cur; cur = cur->prev) {
        if (!vw_domxml_is_blank_text(cur))
            return cur;
    }
    return NULL;
}

/* The last element child of @parent whose name is in @names, or NULL. */
static xmlNodePtr
vw_domxml_last_of(xmlNodePtr parent, const char *const *names)
{
    for (xmlNodePtr cur = parent->last; cur; cur = cur->prev) {
        for (gsize i = 0; names[i]; i++) {
            if (vw_lxml_node_is(cur, names[i]))
                return cur;
        }
    }
    return NULL;
}

/*
 * Insert @child (a subtree built here) into @parent right after @after, or
 * first when @after is NULL, indented like its new siblings; each inserted
 * blank goes right before @child, so vw_domxml_remove() undoes this exactly.
 */
static void
vw_domxml_insert(xmlNodePtr parent, xmlNodePtr after, xmlNodePtr child, const char *unit)
{
    g_autofree char *indent = vw_domxml_child_indent(parent, unit);
    xmlNodePtr first = NULL;

    if (indent)
        vw_domxml_indent_subtree(child, indent, unit);

    if (!after) {
        for (xmlNodePtr cur = parent->children; cur && !first; cur = cur->next) {
            if (!vw_domxml_is_blank_text(cur))
                first = cur;
        }
    }

    if (after) {
        xmlAddNextSibling(after, child);
        if (indent)
            xmlAddPrevSibling(child, vw_domxml_new_blank(parent->doc, indent));
    } else if (first) {
        xmlAddPrevSibling(first, child);
        if (indent)
            xmlAddNextSibling(child, vw_domxml_new_blank(parent->doc, indent));
    } else {
        g_autofree char *outer = indent ? vw_domxml_node_indent(parent) : NULL;

        /* Only blank text (or nothing) inside: lay it out afresh. */
        while (indent && outer && parent->children) {
            xmlNodePtr blank = parent->children;

            xmlUnlinkNode(blank);
            xmlFreeNode(blank);
        }
        xmlAddChild(parent, child);
        if (indent && outer) {
            xmlAddPrevSibling(child, vw_domxml_new_blank(parent->doc, indent));
            xmlAddNextSibling(child, vw_domxml_new_blank(parent->doc, outer));
        }
    }
}

/* Append @child as the last content of @parent. */
static void
vw_domxml_append(xmlNodePtr parent, xmlNodePtr child, const char *unit)
{
    xmlNodePtr last = vw_domxml_last_content(parent);

    vw_domxml_insert(parent, last, child, unit);
}

/* Unlink and free @node with the blank text that indents it. */
static void
vw_domxml_remove(xmlNodePtr node)
{
    xmlNodePtr blank = vw_domxml_is_blank_text(node->prev) ? node->prev : NULL;

    if (blank) {
        xmlUnlinkNode(blank);
        xmlFreeNode(blank);
    }
    xmlUnlinkNode(node);
    xmlFreeNode(node);
}

/* @node holds nothing but blank text. */
static gboolean
vw_domxml_is_empty(xmlNodePtr node)
{
    return vw_domxml_last_content(node) == NULL;
}

/* ---- editor ----------------------------------------------------------------------------- */

void
vw_domeditor_free(VwDomEditor *ed)
{
    if (!ed)
        return;
    g_clear_pointer(&ed->doc, xmlFreeDoc);
    g_free(ed);
}

/* The input starts with an XML declaration (after a UTF-8 byte order mark, if any). */
static gboolean
vw_domxml_has_decl(const char *xml, gsize len)
{
    if (len >= 3 && memcmp(xml, "\xef\xbb\xbf", 3) == 0) {
        xml += 3;
        len -= 3;
    }
    return len >= 6 && memcmp(xml, "<?xml", 5) == 0 && g_ascii_isspace(xml[5]);
}

VwDomEditor *
vw_domeditor_new(const char *xml, gssize len, GError **error)
{
    g_autoptr(VwDomEditor) ed = NULL;
    g_autoptr(VwDomInfo) info = NULL;
    gsize size;

    g_return_val_if_fail(xml != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    size = len < 0 ? strlen(xml) : (gsize)len;
    ed = g_new0(VwDomEditor, 1);
    if (!(ed->doc = vw_lxml_parse(xml, (gssize)size, VW_DOMXML_WHAT, error)))
        return NULL;
    /* The reader's checks, on the same text: an edit never trips over bad input. */
    if (!(info = vw_dominfo_parse(xml, (gssize)size, error)))
        return NULL;
    ed->has_decl = vw_domxml_has_decl(xml, size);
    return g_steal_pointer(&ed);
}

/* <interface type='ethernet'> for a pre-created tap, without layout. */
static xmlNodePtr
vw_domxml_new_interface(xmlDocPtr doc, const char *mac, const char *tap, const char *model,
                        guint queues)
{
    xmlNodePtr iface = xmlNewDocNode(doc, NULL, (const xmlChar *)"interface", NULL);
    xmlNodePtr child;

    xmlNewProp(iface, (const xmlChar *)"type", (const xmlChar *)"ethernet");
    child = xmlNewChild(iface, NULL, (const xmlChar *)"mac", NULL);
    xmlNewProp(child, (const xmlChar *)"address", (const xmlChar *)mac);
    child = xmlNewChild(iface, NULL, (const xmlChar *)"target", NULL);
    xmlNewProp(child, (const xmlChar *)"dev", (const xmlChar *)tap);
    xmlNewProp(child, (const xmlChar *)"managed", (const xmlChar *)"no");
    child = xmlNewChild(iface, NULL, (const xmlChar *)"model", NULL);
    xmlNewProp(child, (const xmlChar *)"type", (const xmlChar *)model);
    if (queues > 1) {
        g_autofree char *n = g_strdup_printf("%u", queues);

        child = xmlNewChild(iface, NULL, (const xmlChar *)"driver", NULL);
        xmlNewProp(child, (const xmlChar *)"queues", (const xmlChar *)n);
    }
    return iface;
}

static xmlNodePtr
vw_domxml_new_port(xmlDocPtr doc, xmlNsPtr ns, const char *mac, const char *network)
{
    xmlNodePtr port = xmlNewDocNode(doc, ns, (const xmlChar *)"port", NULL);

    xmlNewProp(port, (const xmlChar *)"mac", (const xmlChar *)mac);
    xmlNewProp(port, (const xmlChar *)"network", (const xmlChar *)network);
    return port;
}

/* The <name> of the domain, for messages (the editor checked that it has one). */
static char *
vw_domxml_name(xmlNodePtr root)
{
    xmlNodePtr node = vw_lxml_child_first(root, "name");

    return node ? vw_lxml_node_text(node) : g_strdup("");
}

/* Check the arguments of an interface to add; the MAC comes back normalised. */
static char *
vw_domxml_check_interface(const char *mac, const char *tap, const char *model, GError **error)
{
    g_autofree char *norm = vw_domxml_mac_normalize_unicast(mac, error);

    if (!norm || !vw_domxml_tap_check(tap, error) || !vw_domxml_model_check(model, error))
        return NULL;
    return g_steal_pointer(&norm);
}

/* The <interface> children of <devices> whose MAC is @mac. */
static GPtrArray *
vw_domxml_find_interfaces(xmlNodePtr root, const char *mac)
{
    GPtrArray *found = g_ptr_array_new();
    xmlNodePtr devices = vw_lxml_child_first(root, "devices");
    xmlNodePtr iface;

    if (!devices)
        return found;
    VW_LXML_FOREACH_CHILD(iface, devices, "interface")
    {
        xmlNodePtr node = vw_lxml_child_first(iface, "mac");
        g_autofree char *value = node ? vw_lxml_node_prop(node, "address") : NULL;

        if (value && g_ascii_strcasecmp(value, mac) == 0)
            g_ptr_array_add(found, iface);
    }
    return found;
}

/* The virtwire <port> entries for @mac in <metadata>. */
static GPtrArray *
vw_domxml_find_ports(xmlNodePtr root, const char *mac)
{
    GPtrArray *found = g_ptr_array_new();
    xmlNodePtr metadata = vw_lxml_child_first(root, "metadata");

    for (xmlNodePtr list = metadata ? metadata->children : NULL; list; list = list->next) {
        if (!vw_domxml_node_is_vw(list, "ports"))
            continue;
        for (xmlNodePtr port = list->children; port; port = port->next) {
            g_autofree char *value = NULL;

            if (!vw_domxml_node_is_vw(port, "port"))
                continue;
            value = vw_lxml_node_prop(port, "mac");
            if (value && g_ascii_strcasecmp(value, mac) == 0)
                g_ptr_array_add(found, port);
        }
    }
    return found;
}

/* Where libvirt puts <metadata>, and what precedes <resource> and <interface>. */
static const char *const vw_domxml_before_metadata[] = {
    "name", "uuid", "genid", "title", "description", NULL,
};
static const char *const vw_domxml_before_resource[] = {
    "name",      "uuid",   "genid",         "title",       "description",     "metadata",
    "maxMemory", "memory", "currentMemory", "blkiotune",   "memtune",         "memoryBacking",
    "vcpu",      "vcpus",  "iothreads",     "iothreadids", "defaultiothread", "cputune",
    "numatune",  NULL,
};
static const char *const vw_domxml_before_interface[] = {
    "emulator", "disk", "controller", "lease", "filesystem", NULL,
};

gboolean
vw_domeditor_add_interface(VwDomEditor *ed, const char *mac, const char *tap, const char *model,
                           guint queues, const char *network, GError **error)
{
    g_autofree char *norm = NULL;
    g_autofree char *unit = NULL;
    g_autoptr(GPtrArray) existing = NULL;
    g_autoptr(GPtrArray) stale = NULL;
    xmlNodePtr root;
    xmlNodePtr devices;
    xmlNodePtr metadata;
    xmlNodePtr ports = NULL;
    xmlNodePtr after;

    g_return_val_if_fail(ed != NULL, FALSE);
    g_return_val_if_fail(mac != NULL && tap != NULL && model != NULL && network != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    /* Everything that can fail is checked before the document is touched. */
    if (!(norm = vw_domxml_check_interface(mac, tap, model, error)))
        return FALSE;
    if (!vw_domxml_network_check(network, error))
        return FALSE;
    root = xmlDocGetRootElement(ed->doc);
    existing = vw_domxml_find_interfaces(root, norm);
    if (existing->len > 0) {
        g_autofree char *name = vw_domxml_name(root);

        g_set_error(error, VW_DOMXML_ERROR, VW_DOMXML_ERROR_EXISTS,
                    _("domain '%s' already has an interface with MAC address '%s'"), name, norm);
        return FALSE;
    }

    unit = vw_domxml_indent_unit(ed->doc);

    if (!(devices = vw_lxml_child_first(root, "devices"))) {
        devices = xmlNewDocNode(ed->doc, NULL, (const xmlChar *)"devices", NULL);
        vw_domxml_append(root, devices, unit);
    }
    after = vw_domxml_last_of(devices, (const char *const[]){ "interface", NULL });
    if (!after)
        after = vw_domxml_last_of(devices, vw_domxml_before_interface);
    if (after)
        vw_domxml_insert(devices, after, vw_domxml_new_interface(ed->doc, norm, tap, model, queues),
                         unit);
    else
        vw_domxml_append(devices, vw_domxml_new_interface(ed->doc, norm, tap, model, queues), unit);

    /* A leftover entry for this MAC (its interface is gone) is reused. */
    stale = vw_domxml_find_ports(root, norm);
    if (stale->len > 0) {
        for (guint i = 0; i < stale->len; i++) {
            xmlNodePtr port = g_ptr_array_index(stale, i);

            xmlSetProp(port, (const xmlChar *)"mac", (const xmlChar *)norm);
            xmlSetProp(port, (const xmlChar *)"network", (const xmlChar *)network);
        }
        return TRUE;
    }

    if (!(metadata = vw_lxml_child_first(root, "metadata"))) {
        metadata = xmlNewDocNode(ed->doc, NULL, (const xmlChar *)"metadata", NULL);
        vw_domxml_insert(root, vw_domxml_last_of(root, vw_domxml_before_metadata), metadata, unit);
    }
    for (xmlNodePtr cur = metadata->children; cur && !ports; cur = cur->next) {
        if (vw_domxml_node_is_vw(cur, "ports"))
            ports = cur;
    }
    if (ports) {
        vw_domxml_append(ports, vw_domxml_new_port(ed->doc, ports->ns, norm, network), unit);
    } else {
        xmlNsPtr ns;

        ports = xmlNewDocNode(ed->doc, NULL, (const xmlChar *)"ports", NULL);
        ns = xmlNewNs(ports, (const xmlChar *)VW_METADATA_NS, (const xmlChar *)VW_METADATA_PREFIX);
        xmlSetNs(ports, ns);
        xmlAddChild(ports, vw_domxml_new_port(ed->doc, ns, norm, network));
        vw_domxml_append(metadata, ports, unit);
    }
    return TRUE;
}

gboolean
vw_domeditor_remove_interface(VwDomEditor *ed, const char *mac, GError **error)
{
    g_autofree char *norm = NULL;
    g_autoptr(GPtrArray) ifaces = NULL;
    g_autoptr(GPtrArray) ports = NULL;
    xmlNodePtr root;
    xmlNodePtr metadata;

    g_return_val_if_fail(ed != NULL, FALSE);
    g_return_val_if_fail(mac != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (!(norm = vw_domxml_mac_normalize(mac, error)))
        return FALSE;
    root = xmlDocGetRootElement(ed->doc);
    ifaces = vw_domxml_find_interfaces(root, norm);
    if (ifaces->len == 0) {
        g_autofree char *name = vw_domxml_name(root);

        g_set_error(error, VW_DOMXML_ERROR, VW_DOMXML_ERROR_NOT_FOUND,
                    _("domain '%s' has no interface with MAC address '%s'"), name, norm);
        return FALSE;
    }
    for (guint i = 0; i < ifaces->len; i++)
        vw_domxml_remove(g_ptr_array_index(ifaces, i));

    ports = vw_domxml_find_ports(root, norm);
    for (guint i = 0; i < ports->len; i++) {
        xmlNodePtr port = g_ptr_array_index(ports, i);
        xmlNodePtr list = port->parent;

        vw_domxml_remove(port);
        if (vw_domxml_is_empty(list))
            vw_domxml_remove(list);
    }
    metadata = vw_lxml_child_first(root, "metadata");
    if (ports->len > 0 && metadata && vw_domxml_is_empty(metadata))
        vw_domxml_remove(metadata);
    return TRUE;
}

gboolean
vw_domeditor_set_partition(VwDomEditor *ed, const char *partition, GError **error)
{
    g_autofree char *unit = NULL;
    xmlNodePtr root;
    xmlNodePtr resource;
    xmlNodePtr node;

    g_return_val_if_fail(ed != NULL, FALSE);
    g_return_val_if_fail(partition != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (!vw_domxml_partition_check(partition, error))
        return FALSE;

    root = xmlDocGetRootElement(ed->doc);
    unit = vw_domxml_indent_unit(ed->doc);
    if ((resource = vw_lxml_child_first(root, "resource")) &&
        (node = vw_lxml_child_first(resource, "partition"))) {
        while (node->children) {
            xmlNodePtr old = node->children;

            xmlUnlinkNode(old);
            xmlFreeNode(old);
        }
        /* A text node, not xmlNodeSetContent(): no entity parsing of the value. */
        xmlAddChild(node, xmlNewDocText(ed->doc, (const xmlChar *)partition));
        return TRUE;
    }

    node = xmlNewDocNode(ed->doc, NULL, (const xmlChar *)"partition", NULL);
    xmlAddChild(node, xmlNewDocText(ed->doc, (const xmlChar *)partition));
    if (resource) {
        /* libvirt's schema has <partition> first in <resource>. */
        vw_domxml_insert(resource, NULL, node, unit);
        return TRUE;
    }
    resource = xmlNewDocNode(ed->doc, NULL, (const xmlChar *)"resource", NULL);
    xmlAddChild(resource, node);
    vw_domxml_insert(root, vw_domxml_last_of(root, vw_domxml_before_resource), resource, unit);
    return TRUE;
}

/* Serialise @node (or the whole of @doc when @node is NULL) as it is, in UTF-8. */
static char *
vw_domxml_save(xmlDocPtr doc, xmlNodePtr node, gboolean with_decl)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlSaveCtxtPtr save;
    char *text;
    int options = with_decl ? 0 : XML_SAVE_NO_DECL;

    g_assert(buf);
    save = xmlSaveToBuffer(buf, "UTF-8", options);
    g_assert(save);
    if (node)
        xmlSaveTree(save, node);
    else
        xmlSaveDoc(save, doc);
    xmlSaveClose(save);
    text = g_strndup((const char *)xmlBufferContent(buf), (gsize)xmlBufferLength(buf));
    xmlBufferFree(buf);
    return text;
}

char *
vw_domeditor_format(VwDomEditor *ed)
{
    g_return_val_if_fail(ed != NULL, NULL);

    return vw_domxml_save(ed->doc, NULL, ed->has_decl);
}

char *
vw_domxml_format_interface(const char *mac, const char *tap, const char *model, guint queues,
                           GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autofree char *norm = NULL;
    g_autofree char *text = NULL;
    xmlNodePtr iface;

    g_return_val_if_fail(mac != NULL && tap != NULL && model != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    if (!(norm = vw_domxml_check_interface(mac, tap, model, error)))
        return NULL;
    doc = xmlNewDoc((const xmlChar *)"1.0");
    iface = vw_domxml_new_interface(doc, norm, tap, model, queues);
    xmlDocSetRootElement(doc, iface);
    vw_domxml_indent_subtree(iface, "", VW_DOMXML_DEFAULT_UNIT);
    text = vw_domxml_save(doc, iface, FALSE);
    return g_strconcat(text, "\n", NULL);
}
