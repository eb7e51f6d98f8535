/*
 * Safe parsing of untrusted XML, and small libxml2 tree helpers shared by
 * the guest-network parser (vw-netdef) and the domain XML reader (vw-domxml).
 */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

/**
 * VW_XML_ERROR:
 *
 * Error domain of xml/.  Every message names the offending value in quotes;
 * errors found while reading a document carry its line number.
 */
#define VW_XML_ERROR (vw_xml_error_quark())

/**
 * vw_xml_error_quark:
 *
 * Returns: the GQuark of the VW_XML_ERROR domain
 */
GQuark vw_xml_error_quark(void);

typedef enum {
    VW_XML_ERROR_PARSE,   /* not well-formed, or forbidden constructs (DOCTYPE subset, entities) */
    VW_XML_ERROR_INVALID, /* well-formed but semantically wrong */
    VW_XML_ERROR_TOO_LARGE, /* over VW_XML_MAX_BYTES or nested deeper than VW_XML_MAX_DEPTH */
} VwXmlError;

/* Limits applied to every document read from outside. */
#define VW_XML_MAX_BYTES (1024 * 1024)
#define VW_XML_MAX_DEPTH 64

/*
 * libxml2 does not define an autoptr cleanup for xmlDoc, nor does GLib.  The
 * guard lets another header that defines one first coexist with this one.
 */
#ifndef VW_XML_HAVE_XMLDOC_AUTOPTR
#define VW_XML_HAVE_XMLDOC_AUTOPTR 1
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
#endif

/**
 * vw_xml_parse:
 * @data: the document text (untrusted)
 * @len: length of @data in bytes, or -1 if @data is NUL-terminated
 * @what: what the document is, for messages (e.g. "guest network")
 * @error: (out) (optional): set on failure
 *
 * Parse untrusted XML safely: never touches the network, never loads a DTD
 * or external entity, never substitutes entities.  A document whose DOCTYPE
 * declares an entity or has any internal subset (or external identifier) is
 * rejected (VW_XML_ERROR_PARSE), as is one larger than VW_XML_MAX_BYTES or
 * nested deeper than VW_XML_MAX_DEPTH (VW_XML_ERROR_TOO_LARGE).  Parse
 * errors carry the line number ("line N: ...").  Nothing is printed.
 *
 * Returns: (transfer full): the document, or NULL with @error set
 */
xmlDocPtr vw_xml_parse(const char *data, gssize len, const char *what, GError **error);

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
xmlDocPtr vw_xml_parse_file(const char *path, const char *what, GError **error);

/**
 * vw_xml_node_is:
 * @node: a node, or NULL
 * @name: an element name
 *
 * Returns: TRUE if @node is an element called @name in no namespace
 */
gboolean vw_xml_node_is(xmlNodePtr node, const char *name);

/**
 * vw_xml_node_line:
 * @node: a node
 *
 * Returns: the source line of @node (xmlGetLineNo), or 0 if unknown
 */
int vw_xml_node_line(xmlNodePtr node);

/**
 * vw_xml_node_prop:
 * @node: an element
 * @name: attribute name (no namespace)
 *
 * Returns: (transfer full) (nullable): the attribute value, g_strdup'd, or
 * NULL when @node has no such attribute
 */
char *vw_xml_node_prop(xmlNodePtr node, const char *name);

/**
 * vw_xml_node_text:
 * @node: an element
 *
 * Returns: (transfer full): the text content of @node, g_strdup'd (an empty
 * string for an empty element, never NULL)
 */
char *vw_xml_node_text(xmlNodePtr node);

/**
 * vw_xml_child_first:
 * @parent: an element
 * @name: (nullable): element name to look for, or NULL for any element
 *
 * Returns: (transfer none) (nullable): the first element child of @parent
 * called @name (in no namespace), or the first element child if @name is NULL
 */
xmlNodePtr vw_xml_child_first(xmlNodePtr parent, const char *name);

/**
 * vw_xml_child_next:
 * @node: an element child returned by vw_xml_child_first() or this function
 * @name: (nullable): same as for vw_xml_child_first()
 *
 * Returns: (transfer none) (nullable): the next sibling element matching @name
 */
xmlNodePtr vw_xml_child_next(xmlNodePtr node, const char *name);

/**
 * VW_XML_FOREACH_CHILD:
 * @child: an xmlNodePtr variable
 * @parent: the element whose children to visit
 * @name: element name, or NULL for every element child
 *
 * Loop over the element children of @parent, skipping text and comments.
 */
#define VW_XML_FOREACH_CHILD(child, parent, name)                                                  \
    for ((child) = vw_xml_child_first((parent), (name)); (child) != NULL;                          \
         (child) = vw_xml_child_next((child), (name)))

/**
 * vw_xml_child_count:
 * @parent: an element
 * @name: element name (in no namespace)
 *
 * Returns: how many element children of @parent are called @name
 */
guint vw_xml_child_count(xmlNodePtr parent, const char *name);

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
gboolean vw_xml_check_children(xmlNodePtr node, const char *const *allowed, GError **error);

/**
 * vw_xml_check_attrs:
 * @node: an element
 * @allowed: NULL-terminated list of allowed attribute names (may be empty)
 * @error: (out) (optional): set on the first unknown attribute
 *
 * Reject attributes of @node not named in @allowed, or in a namespace:
 * "line N: unknown attribute 'foo' in <bridge>".
 *
 * Returns: TRUE if every attribute is allowed
 */
gboolean vw_xml_check_attrs(xmlNodePtr node, const char *const *allowed, GError **error);

/**
 * vw_xml_escape_append:
 * @buf: string to append to
 * @text: text to escape for use in element content or a quoted attribute
 *
 * Append @text with &, <, >, ' and " escaped.
 */
void vw_xml_escape_append(GString *buf, const char *text);

G_END_DECLS
