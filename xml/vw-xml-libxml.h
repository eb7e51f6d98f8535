/*
 * Safe parsing of untrusted XML with libxml2, and small libxml2 tree helpers:
 * for the domain editor (vw-domxml.c), which must keep a document
 * byte-for-byte as it was.  The readers use vw-xml-tree.h instead, so that a
 * program that only reads XML does not link libxml2.  Implemented in
 * vw-xml-libxml.c.  Private to xml/.
 */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "vw-xml-util.h"

G_BEGIN_DECLS

/*
 * libxml2 does not define an autoptr cleanup for xmlDoc, nor does GLib.  The
 * guard lets another header that defines one first coexist with this one.
 */
#ifndef VW_XML_HAVE_XMLDOC_AUTOPTR
#define VW_XML_HAVE_XMLDOC_AUTOPTR 1
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
#endif

/**
 * vw_lxml_parse:
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
xmlDocPtr vw_lxml_parse(const char *data, gssize len, const char *what, GError **error);

/**
 * vw_lxml_node_is:
 * @node: a node, or NULL
 * @name: an element name
 *
 * Returns: TRUE if @node is an element called @name in no namespace
 */
gboolean vw_lxml_node_is(xmlNodePtr node, const char *name);

/**
 * vw_lxml_node_line:
 * @node: a node
 *
 * Returns: the source line of @node (xmlGetLineNo), or 0 if unknown
 */
int vw_lxml_node_line(xmlNodePtr node);

/**
 * vw_lxml_node_prop:
 * @node: an element
 * @name: attribute name (no namespace)
 *
 * Returns: (transfer full) (nullable): the attribute value, g_strdup'd, or
 * NULL when @node has no such attribute
 */
char *vw_lxml_node_prop(xmlNodePtr node, const char *name);

/**
 * vw_lxml_node_text:
 * @node: an element
 *
 * Returns: (transfer full): the text content of @node, g_strdup'd (an empty
 * string for an empty element, never NULL)
 */
char *vw_lxml_node_text(xmlNodePtr node);

/**
 * vw_lxml_child_first:
 * @parent: an element
 * @name: (nullable): element name to look for, or NULL for any element
 *
 * Returns: (transfer none) (nullable): the first element child of @parent
 * called @name (in no namespace), or the first element child if @name is NULL
 */
xmlNodePtr vw_lxml_child_first(xmlNodePtr parent, const char *name);

/**
 * vw_lxml_child_next:
 * @node: an element child returned by vw_lxml_child_first() or this function
 * @name: (nullable): same as for vw_lxml_child_first()
 *
 * Returns: (transfer none) (nullable): the next sibling element matching @name
 */
xmlNodePtr vw_lxml_child_next(xmlNodePtr node, const char *name);

/**
 * VW_LXML_FOREACH_CHILD:
 * @child: an xmlNodePtr variable
 * @parent: the element whose children to visit
 * @name: element name, or NULL for every element child
 *
 * Loop over the element children of @parent, skipping text and comments.
 */
#define VW_LXML_FOREACH_CHILD(child, parent, name)                                                 \
    for ((child) = vw_lxml_child_first((parent), (name)); (child) != NULL;                         \
         (child) = vw_lxml_child_next((child), (name)))

G_END_DECLS
