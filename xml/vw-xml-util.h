/*
 * What every XML reader and writer of xml/ shares: the VW_XML_ERROR domain,
 * the limits applied to untrusted documents, escaping.  GLib only (these are
 * implemented in vw-xml-tree.c): the readers parse with vw-xml-tree.h
 * (GMarkup); only the domain editor uses libxml2 (vw-xml-libxml.h, which
 * vw-xml-libxml.c implements).
 */
#pragma once

#include <glib.h>

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

/**
 * vw_xml_size_check:
 * @len: the document's size in bytes
 * @what: what the document is ("guest network", "domain"), for the message
 * @path: (nullable): the file it was read from
 * @error: (out) (optional): VW_XML_ERROR_TOO_LARGE naming the size and @path
 *
 * Returns: TRUE if @len is within VW_XML_MAX_BYTES
 */
gboolean vw_xml_size_check(gsize len, const char *what, const char *path, GError **error);

/**
 * vw_xml_escape_append:
 * @buf: string to append to
 * @text: text to escape for use in element content or a quoted attribute
 *
 * Append @text with &, <, >, ' and " escaped.
 */
void vw_xml_escape_append(GString *buf, const char *text);

G_END_DECLS
