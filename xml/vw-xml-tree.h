/*
 * A small read-only XML element tree, built with GLib's GMarkup parser, for
 * the readers of xml/ (guest-network definitions, domain XML): they link
 * GLib only, not libxml2.  Untrusted input is parsed with the same safety
 * rules as the libxml2 parser of the domain editor (see vw-xml-util.h).
 */
#pragma once

#include <glib.h>

#include "vw-xml-util.h"

G_BEGIN_DECLS

/**
 * VwXmlDoc:
 *
 * A parsed document: its root element and everything below it.
 */
typedef struct _VwXmlDoc VwXmlDoc;

/**
 * VwXmlNode:
 *
 * An element or a run of text of a #VwXmlDoc; owned by the document.
 */
typedef struct _VwXmlNode VwXmlNode;

/**
 * vw_xml_parse:
 * @data: the document text (untrusted)
 * @len: length of @data in bytes, or -1 if @data is NUL-terminated
 * @what: what the document is, for messages (e.g. "guest network")
 * @error: (out) (optional): set on failure
 *
 * Parse untrusted XML safely: no DTD, no external or declared entity is
 * ever loaded or substituted.  A document with a DOCTYPE that declares an
 * entity, has an internal subset or an external identifier is rejected
 * (VW_XML_ERROR_PARSE), as is one that is not well-formed, not UTF-8 (or
 * declares another encoding), or uses an undeclared namespace prefix; one
 * larger than VW_XML_MAX_BYTES or nested deeper than VW_XML_MAX_DEPTH
 * fails with VW_XML_ERROR_TOO_LARGE.  Messages carry the line number
 * ("line N: ...").  Nothing is printed.
 *
 * Returns: (transfer full): the document, or NULL with @error set
 */
VwXmlDoc *vw_xml_parse(const char *data, gssize len, const char *what, GError **error);

/**
 * vw_xml_parse_file:
 * @path: file to read (at most VW_XML_MAX_BYTES are accepted)
 * @what: what the document is, for messages
 * @error: (out) (optional): set on failure
 *
 * Read @path and parse it like vw_xml_parse().  Messages name @path.
 *
 * Returns: (transfer full): the document, or NULL with @error set
 */
VwXmlDoc *vw_xml_parse_file(const char *path, const char *what, GError **error);

/**
 * vw_xml_doc_free:
 * @doc: (nullable): a #VwXmlDoc
 *
 * Free @doc and all its nodes.
 */
void vw_xml_doc_free(VwXmlDoc *doc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwXmlDoc, vw_xml_doc_free)

/**
 * vw_xml_doc_root:
 * @doc: a #VwXmlDoc
 *
 * Returns: (transfer none): the root element of @doc (never NULL)
 */
VwXmlNode *vw_xml_doc_root(const VwXmlDoc *doc);

/**
 * vw_xml_node_name:
 * @node: an element
 *
 * Returns: (transfer none): the local name of @node (without its prefix)
 */
const char *vw_xml_node_name(const VwXmlNode *node);

/**
 * vw_xml_node_ns:
 * @node: an element
 *
 * Returns: (transfer none) (nullable): the namespace URI of @node, or NULL
 * when it is in no namespace
 */
const char *vw_xml_node_ns(const VwXmlNode *node);

/**
 * vw_xml_node_is:
 * @node: (nullable): a node, or NULL
 * @name: an element name
 *
 * Returns: TRUE if @node is an element called @name in no namespace
 */
gboolean vw_xml_node_is(const VwXmlNode *node, const char *name);

/**
 * vw_xml_node_is_ns:
 * @node: (nullable): a node, or NULL
 * @ns: a namespace URI
 * @name: an element local name
 *
 * Returns: TRUE if @node is an element called @name in namespace @ns
 */
gboolean vw_xml_node_is_ns(const VwXmlNode *node, const char *ns, const char *name);

/**
 * vw_xml_node_line:
 * @node: (nullable): a node
 *
 * Returns: the source line of @node (where its start tag ends, or where a
 * run of text ends), or 0 if @node is NULL
 */
int vw_xml_node_line(const VwXmlNode *node);

/**
 * vw_xml_node_prop:
 * @node: an element
 * @name: attribute name (no namespace)
 *
 * Returns: (transfer full) (nullable): the value of the attribute @name in
 * no namespace (like libxml2's xmlGetNoNsProp), g_strdup'd, or NULL when
 * @node has no such attribute
 */
char *vw_xml_node_prop(const VwXmlNode *node, const char *name);

/**
 * vw_xml_node_text:
 * @node: an element
 *
 * Returns: (transfer full): all the text inside @node, its descendants'
 * included, g_strdup'd (an empty string for an empty element, never NULL)
 */
char *vw_xml_node_text(const VwXmlNode *node);

/**
 * vw_xml_child_first:
 * @parent: an element
 * @name: (nullable): element name to look for, or NULL for any element
 *
 * Returns: (transfer none) (nullable): the first element child of @parent
 * called @name (in no namespace), or the first element child if @name is NULL
 */
VwXmlNode *vw_xml_child_first(const VwXmlNode *parent, const char *name);

/**
 * vw_xml_child_next:
 * @node: an element child returned by vw_xml_child_first() or this function
 * @name: (nullable): same as for vw_xml_child_first()
 *
 * Returns: (transfer none) (nullable): the next sibling element matching @name
 */
VwXmlNode *vw_xml_child_next(const VwXmlNode *node, const char *name);

/**
 * VW_XML_FOREACH_CHILD:
 * @child: a VwXmlNode * variable
 * @parent: the element whose children to visit
 * @name: element name, or NULL for every element child
 *
 * Loop over the element children of @parent, skipping text.
 */
#define VW_XML_FOREACH_CHILD(child, parent, name)                                                  \
    for ((child) = vw_xml_child_first((parent), (name)); (child) != NULL;                          \
         (child) = vw_xml_child_next((child), (name)))

/**
 * vw_xml_child_count:
 * @parent: an element
 * @name: (nullable): element name (in no namespace), or NULL for every element
 *
 * Returns: how many element children of @parent match @name
 */
guint vw_xml_child_count(const VwXmlNode *parent, const char *name);

/**
 * vw_xml_check_children:
 * @node: an element
 * @allowed: NULL-terminated list of allowed child element names
 * @error: (out) (optional): set on the first unknown child
 *
 * Reject element children of @node not named in @allowed (or in a
 * namespace), and non-blank text directly inside @node:
 * "line N: unknown element <foo> in <network>".
 *
 * Returns: TRUE if every child is allowed
 */
gboolean vw_xml_check_children(const VwXmlNode *node, const char *const *allowed, GError **error);

/**
 * vw_xml_check_attrs:
 * @node: an element
 * @allowed: NULL-terminated list of allowed attribute names (may be empty)
 * @error: (out) (optional): set on the first unknown attribute
 *
 * Reject attributes of @node not named in @allowed, or in a namespace:
 * "line N: unknown attribute 'foo' in <bridge>".  Namespace declarations
 * (xmlns, xmlns:p) are not attributes.
 *
 * Returns: TRUE if every attribute is allowed
 */
gboolean vw_xml_check_attrs(const VwXmlNode *node, const char *const *allowed, GError **error);

G_END_DECLS
