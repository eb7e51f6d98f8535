/*
 * A small read-only XML element tree built with GMarkup (GLib only).
 */
#include <config.h>

#include "vw-xml-tree.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#define VW_XML_NS_XML   "http://www.w3.org/XML/1998/namespace"
#define VW_XML_NS_XMLNS "http://www.w3.org/2000/xmlns/"

typedef enum {
    VW_XML_NODE_ELEMENT,
    VW_XML_NODE_TEXT,
} VwXmlNodeType;

typedef struct {
    const char *name;  /* local name */
    const char *ns;    /* namespace URI, NULL for none */
    const char *value; /* whitespace-normalised like an XML CDATA attribute */
} VwXmlAttr;

struct _VwXmlNode {
    VwXmlNodeType type;
    const char *name; /* element: local name; text: NULL */
    const char *ns;   /* element: namespace URI or NULL */
    const char *text; /* text: its content */
    int line;
    guint n_attrs;
    VwXmlAttr *attrs;
    VwXmlNode *parent;
    VwXmlNode *children;
    VwXmlNode *last;
    VwXmlNode *next;
};

struct _VwXmlDoc {
    GStringChunk *strings; /* every string of the tree */
    GPtrArray *nodes;      /* every node, owned */
    VwXmlNode *root;
};

/* One in-scope namespace declaration. */
typedef struct {
    const char *prefix; /* NULL for the default namespace */
    const char *uri;    /* "" undeclares the default namespace */
    int depth;          /* of the element that declares it */
} VwXmlNsDecl;

/* What the GMarkup callbacks build and learn while one document is parsed. */
typedef struct {
    GMarkupParseContext *ctx;
    VwXmlDoc *doc;
    VwXmlNode *cur; /* innermost open element, NULL outside the root */
    int depth;
    GArray *ns; /* VwXmlNsDecl */
    gboolean seen_doctype;
    guint events; /* markup and text seen so far */
    gboolean starts_with_decl;
    int code;
    char *message;    /* first problem, translated, with its line; NULL if none */
    int message_line; /* its line, 0 if none */
} VwXmlParser;

/* clang-format off */
G_DEFINE_QUARK(vw-xml-error-quark, vw_xml_error)

gboolean
vw_xml_size_check(gsize len, const char *what, const char *path, GError **error)
{
    if (len <= VW_XML_MAX_BYTES)
        return TRUE;
    /* A file is read at most one byte over the limit: "or more". */
    if (path) {
        g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_TOO_LARGE,
                    _("%s XML '%s' is too large: %u bytes or more (limit %u bytes)"), what, path,
                    (guint)len, (guint)VW_XML_MAX_BYTES);
    } else {
        g_autofree char *size = g_strdup_printf("%" G_GSIZE_FORMAT, len);

        g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_TOO_LARGE,
                    _("%s XML is too large: %s bytes (limit %u bytes)"), what, size,
                    (guint)VW_XML_MAX_BYTES);
    }
    return FALSE;
}
/* clang-format on */

void
vw_xml_escape_append(GString *buf, const char *text)
{
    g_return_if_fail(buf != NULL);

    for (const char *p = text; p && *p; p++) {
        switch (*p) {
        case '&':
            g_string_append(buf, "&amp;");
            break;
        case '<':
            g_string_append(buf, "&lt;");
            break;
        case '>':
            g_string_append(buf, "&gt;");
            break;
        case '\'':
            g_string_append(buf, "&apos;");
            break;
        case '"':
            g_string_append(buf, "&quot;");
            break;
        case '\r':
            /* A literal CR would be normalised away by the next parse. */
            g_string_append(buf, "&#13;");
            break;
        default:
            g_string_append_c(buf, *p);
        }
    }
}

void
vw_xml_doc_free(VwXmlDoc *doc)
{
    if (!doc)
        return;
    g_clear_pointer(&doc->nodes, g_ptr_array_unref);
    g_clear_pointer(&doc->strings, g_string_chunk_free);
    g_free(doc);
}

static void
vw_xml_node_free(VwXmlNode *node)
{
    g_free(node->attrs);
    g_free(node);
}

/*
 * The line of the last character GMarkup read.  It reports where it stands,
 * one past the '>' of a tag: on a newline that it has counted already when
 * that character is at column 1.
 */
static int
vw_xml_parser_line(VwXmlParser *p)
{
    int line = 0;
    int column = 0;

    g_markup_parse_context_get_position(p->ctx, &line, &column);
    return column == 1 && line > 1 ? line - 1 : line;
}

static gboolean vw_xml_parser_fail(VwXmlParser *p, GError **error, int code, int line,
                                   const char *format, ...) G_GNUC_PRINTF(5, 6);

/* Record the first problem ("line N: ..." when @line > 0) and stop the parser. */
static gboolean
vw_xml_parser_fail(VwXmlParser *p, GError **error, int code, int line, const char *format, ...)
{
    g_autofree char *text = NULL;
    va_list ap;

    va_start(ap, format);
    text = g_strdup_vprintf(format, ap);
    va_end(ap);
    if (!p->message) {
        p->code = code;
        p->message_line = line;
        p->message =
            line > 0 ? g_strdup_printf(_("line %d: %s"), line, text) : g_steal_pointer(&text);
    }
    /* GMarkup wants an error to stop; the message recorded above is the one used. */
    g_set_error_literal(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT, "stop");
    return FALSE;
}

static gboolean
vw_xml_text_is_blank(const char *text, gsize len)
{
    for (gsize i = 0; i < len; i++) {
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
            return FALSE;
    }
    return TRUE;
}

static VwXmlNode *
vw_xml_node_append(VwXmlParser *p, VwXmlNodeType type, int line)
{
    VwXmlNode *node = g_new0(VwXmlNode, 1);

    node->type = type;
    node->line = line;
    node->parent = p->cur;
    g_ptr_array_add(p->doc->nodes, node);
    if (p->cur) {
        if (p->cur->last)
            p->cur->last->next = node;
        else
            p->cur->children = node;
        p->cur->last = node;
    }
    return node;
}

/* The URI bound to @prefix (NULL: the default namespace) where the parser is, or NULL. */
static const char *
vw_xml_ns_lookup(VwXmlParser *p, const char *prefix)
{
    if (prefix && g_str_equal(prefix, "xml"))
        return VW_XML_NS_XML;
    for (guint i = p->ns->len; i > 0; i--) {
        VwXmlNsDecl *decl = &g_array_index(p->ns, VwXmlNsDecl, i - 1);

        if (g_strcmp0(decl->prefix, prefix) == 0)
            return decl->uri;
    }
    return prefix ? NULL : "";
}

/* @c may start an XML Name (XML 1.0 fifth edition, production [4]). */
static gboolean
vw_xml_name_start_char(gunichar c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) || (c >= 0xF8 && c <= 0x2FF) ||
           (c >= 0x370 && c <= 0x37D) || (c >= 0x37F && c <= 0x1FFF) ||
           (c >= 0x200C && c <= 0x200D) || (c >= 0x2070 && c <= 0x218F) ||
           (c >= 0x2C00 && c <= 0x2FEF) || (c >= 0x3001 && c <= 0xD7FF) ||
           (c >= 0xF900 && c <= 0xFDCF) || (c >= 0xFDF0 && c <= 0xFFFD) ||
           (c >= 0x10000 && c <= 0xEFFFF);
}

/* @c may continue an XML Name (production [4a]). */
static gboolean
vw_xml_name_char(gunichar c)
{
    return vw_xml_name_start_char(c) || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == 0xB7 || (c >= 0x300 && c <= 0x36F) || (c >= 0x203F && c <= 0x2040);
}

/*
 * @name (valid UTF-8) is an XML Name by the fifth edition's rules, which
 * libxml2 applies too: GMarkup is more lenient with non-ASCII names.
 */
static gboolean
vw_xml_name_ok(const char *name)
{
    if (!*name || !vw_xml_name_start_char(g_utf8_get_char(name)))
        return FALSE;
    for (const char *c = g_utf8_next_char(name); *c; c = g_utf8_next_char(c)) {
        if (!vw_xml_name_char(g_utf8_get_char(c)))
            return FALSE;
    }
    return TRUE;
}

/* Split @qname into prefix and local name; FALSE if it is not a valid QName. */
static gboolean
vw_xml_split_qname(const char *qname, char **prefix, const char **local)
{
    const char *colon = strchr(qname, ':');

    *prefix = NULL;
    *local = qname;
    if (!colon)
        return vw_xml_name_ok(qname);
    if (colon == qname || colon[1] == '\0' || strchr(colon + 1, ':'))
        return FALSE;
    *prefix = g_strndup(qname, colon - qname);
    *local = colon + 1;
    return vw_xml_name_ok(*prefix) && vw_xml_name_ok(*local);
}

/* An attribute value as an XML parser reports it: literal tab and newline become spaces. */
static const char *
vw_xml_attr_value(VwXmlDoc *doc, const char *value)
{
    g_autofree char *copy = NULL;

    if (!strpbrk(value, "\t\n\r"))
        return g_string_chunk_insert(doc->strings, value);
    copy = g_strdup(value);
    for (char *c = copy; *c; c++) {
        if (*c == '\t' || *c == '\n' || *c == '\r')
            *c = ' ';
    }
    return g_string_chunk_insert(doc->strings, copy);
}

static gboolean
vw_xml_attrs_unique(VwXmlParser *p, VwXmlNode *node, const char *qname, GError **error)
{
    g_autoptr(GHashTable) seen = NULL;

    if (node->n_attrs > 8)
        seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < node->n_attrs; i++) {
        const VwXmlAttr *a = &node->attrs[i];
        gboolean dup = FALSE;

        if (seen) {
            char *key = g_strconcat(a->ns ? a->ns : "", " ", a->name, NULL);

            dup = !g_hash_table_add(seen, key);
        } else {
            for (guint j = 0; j < i && !dup; j++) {
                dup = g_str_equal(node->attrs[j].name, a->name) &&
                      g_strcmp0(node->attrs[j].ns, a->ns) == 0;
            }
        }
        if (dup)
            return vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, node->line,
                                      _("attribute '%s' is repeated in <%s>"), a->name, qname);
    }
    return TRUE;
}

static void
vw_xml_start_element(GMarkupParseContext *ctx G_GNUC_UNUSED, const char *qname,
                     const char **attr_names, const char **attr_values, gpointer user_data,
                     GError **error)
{
    VwXmlParser *p = user_data;
    VwXmlDoc *doc = p->doc;
    int line = vw_xml_parser_line(p);
    g_autofree char *prefix = NULL;
    const char *local;
    const char *uri;
    VwXmlNode *node;
    guint n = 0;

    p->events++;
    if (p->depth == 0 && doc->root) {
        vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, line,
                           _("extra element <%s> after the root element"), qname);
        return;
    }
    if (p->depth >= VW_XML_MAX_DEPTH) {
        vw_xml_split_qname(qname, &prefix, &local);
        vw_xml_parser_fail(p, error, VW_XML_ERROR_TOO_LARGE, line,
                           _("element <%s> is nested deeper than %d levels"), local,
                           VW_XML_MAX_DEPTH);
        return;
    }
    p->depth++;

    /* Namespace declarations first: they apply to the element's own name and attributes. */
    for (guint i = 0; attr_names[i]; i++) {
        VwXmlNsDecl decl = { .depth = p->depth };

        if (g_str_has_prefix(attr_names[i], "xmlns:") &&
            (!attr_names[i][6] || !vw_xml_name_ok(attr_names[i] + 6) ||
             strchr(attr_names[i] + 6, ':'))) {
            vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, line,
                               _("invalid attribute name '%s' in <%s>"), attr_names[i], qname);
            return;
        }
        if (g_str_equal(attr_names[i], "xmlns"))
            decl.prefix = NULL;
        else if (g_str_has_prefix(attr_names[i], "xmlns:") && attr_names[i][6])
            decl.prefix = g_string_chunk_insert_const(doc->strings, attr_names[i] + 6);
        else {
            n++;
            continue;
        }
        for (guint k = p->ns->len; k-- > 0;) {
            const VwXmlNsDecl *prev = &g_array_index(p->ns, VwXmlNsDecl, k);

            if (prev->depth != p->depth)
                break;
            if (g_strcmp0(prev->prefix, decl.prefix) == 0) {
                vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, line,
                                   _("attribute '%s' is repeated in <%s>"), attr_names[i], qname);
                return;
            }
        }
        /* The reserved names (Namespaces in XML 1.0, 3): "xml" is bound to
         * its URI only and that URI to "xml" only; the xmlns URI to none. */
        if ((decl.prefix && !*attr_values[i]) || g_strcmp0(decl.prefix, "xmlns") == 0 ||
            (g_strcmp0(decl.prefix, "xml") == 0) != g_str_equal(attr_values[i], VW_XML_NS_XML) ||
            g_str_equal(attr_values[i], VW_XML_NS_XMLNS)) {
            vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, line,
                               _("invalid namespace declaration '%s=\"%s\"' in <%s>"),
                               attr_names[i], attr_values[i], qname);
            return;
        }
        decl.uri = g_string_chunk_insert_const(doc->strings, attr_values[i]);
        g_array_append_val(p->ns, decl);
    }

    if (!vw_xml_split_qname(qname, &prefix, &local)) {
        vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, line, _("invalid element name <%s>"),
                           qname);
        return;
    }
    if (!(uri = vw_xml_ns_lookup(p, prefix))) {
        vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, line,
                           _("namespace prefix '%s' of <%s> is not declared"), prefix, qname);
        return;
    }

    node = vw_xml_node_append(p, VW_XML_NODE_ELEMENT, line);
    node->name = g_string_chunk_insert_const(doc->strings, local);
    node->ns = *uri ? g_string_chunk_insert_const(doc->strings, uri) : NULL;
    node->attrs = g_new0(VwXmlAttr, MAX(n, 1));
    for (guint i = 0; attr_names[i]; i++) {
        g_autofree char *aprefix = NULL;
        const char *alocal;
        VwXmlAttr *attr;

        if (g_str_equal(attr_names[i], "xmlns") || g_str_has_prefix(attr_names[i], "xmlns:"))
            continue;
        if (!vw_xml_split_qname(attr_names[i], &aprefix, &alocal)) {
            vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, line,
                               _("invalid attribute name '%s' in <%s>"), attr_names[i], qname);
            return;
        }
        attr = &node->attrs[node->n_attrs++];
        attr->name = g_string_chunk_insert_const(doc->strings, alocal);
        attr->value = vw_xml_attr_value(doc, attr_values[i]);
        if (aprefix) {
            /* An unprefixed attribute is in no namespace, whatever the default. */
            attr->ns = vw_xml_ns_lookup(p, aprefix);
            if (!attr->ns) {
                vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, line,
                                   _("namespace prefix '%s' of attribute '%s' in <%s> is not "
                                     "declared"),
                                   aprefix, attr_names[i], qname);
                return;
            }
            attr->ns = g_string_chunk_insert_const(doc->strings, attr->ns);
        }
    }
    if (!vw_xml_attrs_unique(p, node, qname, error))
        return;

    if (!doc->root)
        doc->root = node;
    p->cur = node;
}

static void
vw_xml_end_element(GMarkupParseContext *ctx G_GNUC_UNUSED, const char *qname G_GNUC_UNUSED,
                   gpointer user_data, GError **error G_GNUC_UNUSED)
{
    VwXmlParser *p = user_data;

    p->events++;
    while (p->ns->len > 0 && g_array_index(p->ns, VwXmlNsDecl, p->ns->len - 1).depth == p->depth)
        g_array_set_size(p->ns, p->ns->len - 1);
    p->depth--;
    p->cur = p->cur ? p->cur->parent : NULL;
}

static void
vw_xml_text(GMarkupParseContext *ctx G_GNUC_UNUSED, const char *text, gsize len, gpointer user_data,
            GError **error)
{
    VwXmlParser *p = user_data;
    VwXmlNode *node;

    p->events++;
    if (!p->cur) {
        if (!vw_xml_text_is_blank(text, len))
            vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, vw_xml_parser_line(p),
                               _("text outside the root element"));
        return;
    }
    if (len == 0)
        return;
    node = vw_xml_node_append(p, VW_XML_NODE_TEXT, vw_xml_parser_line(p));
    node->text = g_string_chunk_insert_len(p->doc->strings, text, (gssize)len);
}

/* One pseudo-attribute NAME = 'VALUE' of an XML declaration at *@p, after blanks. */
static gboolean
vw_xml_decl_pseudo_attr(const char **p, const char *name, char **value)
{
    const char *c = *p;
    const char *end;
    char quote;

    if (!g_ascii_isspace(*c))
        return FALSE;
    while (g_ascii_isspace(*c))
        c++;
    if (!g_str_has_prefix(c, name))
        return FALSE;
    c += strlen(name);
    while (g_ascii_isspace(*c))
        c++;
    if (*c++ != '=')
        return FALSE;
    while (g_ascii_isspace(*c))
        c++;
    quote = *c++;
    if ((quote != '"' && quote != '\'') || !(end = strchr(c, quote)))
        return FALSE;
    *value = g_strndup(c, end - c);
    *p = end + 1;
    return TRUE;
}

/*
 * Parse the XML declaration @decl: <?xml version='1.x' [encoding='...']
 * [standalone='yes|no']?>.  Returns FALSE if it is malformed; @encoding is
 * set to the declared encoding, or NULL.
 */
static gboolean
vw_xml_decl_parse(const char *decl, char **encoding)
{
    g_autofree char *version = NULL;
    g_autofree char *standalone = NULL;
    const char *p = decl + strlen("<?xml");

    *encoding = NULL;
    if (!vw_xml_decl_pseudo_attr(&p, "version", &version) || !g_str_has_prefix(version, "1.") ||
        !version[2] || strspn(version + 2, "0123456789") != strlen(version + 2))
        return FALSE;
    vw_xml_decl_pseudo_attr(&p, "encoding", encoding);
    if (vw_xml_decl_pseudo_attr(&p, "standalone", &standalone) && !g_str_equal(standalone, "yes") &&
        !g_str_equal(standalone, "no"))
        return FALSE;
    while (g_ascii_isspace(*p))
        p++;
    return g_str_equal(p, "?>");
}

/* The line of @upto, in passthrough text that ends where the parser is. */
static int
vw_xml_start_line(VwXmlParser *p, const char *upto)
{
    int line = vw_xml_parser_line(p);

    for (const char *c = upto; *c; c++) {
        if (*c == '\n')
            line--;
    }
    return line;
}

static void
vw_xml_doctype(VwXmlParser *p, const char *text, GError **error)
{
    g_autofree char *name = NULL;
    const char *c = text + strlen("<!DOCTYPE");
    const char *entity;
    const char *start;

    while (g_ascii_isspace(*c))
        c++;
    start = c;
    while (*c && !g_ascii_isspace(*c) && *c != '[' && *c != '>')
        c++;
    name = g_strndup(start, c - start);
    while (g_ascii_isspace(*c))
        c++;

    if ((entity = strstr(text, "<!ENTITY"))) {
        const char *n = entity + strlen("<!ENTITY");
        g_autofree char *ename = NULL;

        while (g_ascii_isspace(*n))
            n++;
        if (*n == '%') {
            n++;
            while (g_ascii_isspace(*n))
                n++;
        }
        start = n;
        while (*n && !g_ascii_isspace(*n) && *n != '>')
            n++;
        ename = g_strndup(start, n - start);
        vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, vw_xml_start_line(p, entity),
                           _("entity declaration '%s' is not allowed"), ename);
        return;
    }
    if (p->seen_doctype || p->doc->root) {
        vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, vw_xml_parser_line(p),
                           _("DOCTYPE '%s' is not allowed here"), name);
        return;
    }
    p->seen_doctype = TRUE;
    if (!vw_xml_name_ok(name)) {
        vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, vw_xml_parser_line(p),
                           _("invalid DOCTYPE name '%s'"), name);
        return;
    }
    if (g_str_equal(c, ">"))
        return;
    vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, 0,
                       _("DOCTYPE '%s' with an internal subset or external identifier is not "
                         "allowed"),
                       name);
}

static void
vw_xml_passthrough(GMarkupParseContext *ctx G_GNUC_UNUSED, const char *text, gsize len,
                   gpointer user_data, GError **error)
{
    VwXmlParser *p = user_data;
    g_autofree char *copy = g_strndup(text, len);
    guint events = p->events++;

    if (g_str_has_prefix(copy, "<!--")) {
        gsize body = len >= 7 ? len - 7 : 0;

        /* XML forbids "--" inside a comment, and so "--->" at its end; "<!-->" opens one. */
        if (len < 7 || g_strstr_len(copy + 4, (gssize)body, "--") ||
            (body > 0 && copy[4 + body - 1] == '-'))
            vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, vw_xml_parser_line(p),
                               _("double hyphen within comment '%.40s'"), copy);
        return;
    }
    if (g_str_has_prefix(copy, "<!DOCTYPE")) {
        vw_xml_doctype(p, copy, error);
        return;
    }
    if (g_str_has_prefix(copy, "<?")) {
        gsize n = strcspn(copy + 2, " \t\r\n?");

        if (n != 3 || g_ascii_strncasecmp(copy + 2, "xml", 3) != 0) {
            g_autofree char *target = g_strndup(copy + 2, n);

            /* A processing instruction is ignored, but its target must be a
             * name, followed by white space or the end ("<?a?b?>" is not one). */
            if (n == 0 || !vw_xml_name_ok(target) || strchr(target, ':') ||
                (!g_ascii_isspace(copy[2 + n]) && strcmp(copy + 2 + n, "?>") != 0) ||
                (n > 3 && g_ascii_strncasecmp(target, "xml", 3) == 0 && target[3] != '-'))
                vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, vw_xml_parser_line(p),
                                   _("invalid processing instruction '%.40s'"), copy);
            return;
        }
        if (events == 0 && p->starts_with_decl && strncmp(copy + 2, "xml", 3) == 0) {
            g_autofree char *encoding = NULL;

            if (!vw_xml_decl_parse(copy, &encoding)) {
                vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, vw_xml_parser_line(p),
                                   _("malformed XML declaration '%s'"), copy);
            } else if (encoding && g_ascii_strcasecmp(encoding, "UTF-8") != 0 &&
                       g_ascii_strcasecmp(encoding, "UTF8") != 0) {
                vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, vw_xml_parser_line(p),
                                   _("unsupported encoding '%s': only UTF-8 is accepted"),
                                   encoding);
            }
            return;
        }
        vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, vw_xml_parser_line(p),
                           _("XML declaration '%s' is allowed only at the start of the document"),
                           copy);
        return;
    }
    vw_xml_parser_fail(p, error, VW_XML_ERROR_PARSE, vw_xml_parser_line(p),
                       _("unsupported markup '%.20s'"), copy);
}

static const GMarkupParser vw_xml_markup_parser = {
    .start_element = vw_xml_start_element,
    .end_element = vw_xml_end_element,
    .text = vw_xml_text,
    .passthrough = vw_xml_passthrough,
};

/*
 * Characters XML does not allow anywhere: bad UTF-8, NUL and other C0
 * controls than tab, newline and carriage return, U+FFFE and U+FFFF.  Sets
 * @line and @what of the first one.
 */
static gboolean
vw_xml_chars_ok(const char *data, gsize len, int *line, char **what)
{
    const char *end = NULL;
    int lines = 1;

    if (!g_utf8_validate_len(data, len, &end)) {
        for (const char *c = data; c < end; c++)
            lines += *c == '\n';
        *line = lines;
        *what = *end ? g_strdup_printf(_("invalid UTF-8 byte 0x%02x"), (guint)(guchar)*end)
                     : g_strdup(_("invalid NUL character"));
        return FALSE;
    }
    for (gsize i = 0; i < len; i++) {
        guchar c = (guchar)data[i];

        if (c == '\n') {
            lines++;
        } else if (c < 0x20 && c != '\t' && c != '\r') {
            *line = lines;
            *what = g_strdup_printf(_("invalid character U+%04X"), (guint)c);
            return FALSE;
        } else if (c == 0xef && i + 2 < len && (guchar)data[i + 1] == 0xbf &&
                   ((guchar)data[i + 2] == 0xbe || (guchar)data[i + 2] == 0xbf)) {
            *line = lines;
            *what = g_strdup_printf(_("invalid character U+%04X"),
                                    (guchar)data[i + 2] == 0xbe ? 0xfffeu : 0xffffu);
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- well-formedness checks GMarkup does not make -------------------------------------- */

typedef struct {
    const char *name;
    gsize len;
    int line;
} VwXmlOpenTag;

/* The end of @needle in [@p, @end), counting newlines into @line; NULL if absent. */
static const char *
vw_xml_lex_skip(const char *p, const char *end, const char *needle, int *line)
{
    gsize n = strlen(needle);

    for (; p + n <= end; p++) {
        if (memcmp(p, needle, n) == 0)
            return p + n;
        if (*p == '\n')
            (*line)++;
    }
    return NULL;
}

/* An entity reference at @p ('&'): only the predefined ones and character references exist. */
static char *
vw_xml_lex_entity(const char *p, const char *end)
{
    static const char *const predefined[] = { "lt", "gt", "amp", "apos", "quot", NULL };
    const char *name = p + 1;
    const char *semi = name;

    if (name < end && *name == '#') {
        /* A character reference: XML's Char production, like libxml2. */
        gboolean hex = name + 1 < end && name[1] == 'x';
        const char *digits = name + (hex ? 2 : 1);
        guint64 value = 0;

        for (semi = digits; semi < end && (hex ? g_ascii_isxdigit(*semi) : g_ascii_isdigit(*semi));
             semi++) {
            value = value * (hex ? 16 : 10) +
                    (guint64)(hex ? g_ascii_xdigit_value(*semi) : g_ascii_digit_value(*semi));
            if (value > 0x10ffff)
                value = 0x110000;
        }
        if (semi == digits || semi >= end || *semi != ';')
            return g_strdup_printf(_("malformed character reference '%.*s'"),
                                   (int)MIN(semi - p, 12), p);
        if ((value < 0x20 && value != 0x9 && value != 0xa && value != 0xd) ||
            (value >= 0xd800 && value <= 0xdfff) || value == 0xfffe || value == 0xffff ||
            value > 0x10ffff)
            return g_strdup_printf(_("invalid character reference '%.*s'"), (int)(semi + 1 - p), p);
        return NULL;
    }
    while (semi < end && (g_ascii_isalnum(*semi) || strchr("_:.-", *semi) || (guchar)*semi >= 0x80))
        semi++;
    if (semi == name || semi >= end || *semi != ';')
        return NULL; /* GMarkup reports a malformed reference */
    for (gsize i = 0; predefined[i]; i++) {
        if ((gsize)(semi - name) == strlen(predefined[i]) &&
            memcmp(name, predefined[i], semi - name) == 0)
            return NULL;
    }
    return g_strdup_printf(_("Entity '%.*s' not defined"), (int)(semi - name), name);
}

/*
 * Scan @data for what libxml2 rejects and GMarkup lets through, or reports
 * in other words: a '<' in an attribute value, ']]>' in text, references to
 * undeclared entities, mismatched end tags.  Sets @line and @message of the
 * first one found and returns FALSE.  Anything else (unterminated markup, a
 * DOCTYPE with an internal subset) ends the scan: GMarkup and the callbacks
 * report those.
 */
/*
 * Character data outside the root element, in libxml2's words.  GMarkup
 * hands a CDATA section or a character reference there to the text callback
 * as text, which may be blank: only the scan sees what it was.
 */
static char *
vw_xml_lex_outside_root(gboolean seen_root)
{
    return g_strdup(seen_root ? _("Extra content at the end of the document")
                              : _("Start tag expected, '<' not found"));
}

static gboolean
vw_xml_lex_check(const char *data, gsize len, int *line_out, char **message)
{
    g_autoptr(GArray) open = g_array_new(FALSE, FALSE, sizeof(VwXmlOpenTag));
    const char *p = data;
    const char *end = data + len;
    gboolean seen_root = FALSE;
    int line = 1;

    while (p < end) {
        if (*p == '\n') {
            line++;
            p++;
            continue;
        }
        if (*p == '&') {
            /* A reference outside the root, even to a blank, is content there. */
            if (open->len == 0) {
                *message = vw_xml_lex_outside_root(seen_root);
                goto fail;
            }
            if ((*message = vw_xml_lex_entity(p, end)))
                goto fail;
            p++;
            continue;
        }
        if (*p == ']' && end - p >= 3 && memcmp(p, "]]>", 3) == 0) {
            *message = g_strdup(_("Sequence ']]>' not allowed in content"));
            goto fail;
        }
        if (*p != '<') {
            p++;
            continue;
        }
        if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
            if (!(p = vw_xml_lex_skip(p + 4, end, "-->", &line)))
                return TRUE;
        } else if (end - p >= 9 && memcmp(p, "<![CDATA[", 9) == 0) {
            if (open->len == 0) {
                *message = vw_xml_lex_outside_root(seen_root);
                goto fail;
            }
            if (!(p = vw_xml_lex_skip(p + 9, end, "]]>", &line)))
                return TRUE;
        } else if (end - p >= 2 && p[1] == '?') {
            if (!(p = vw_xml_lex_skip(p + 2, end, "?>", &line)))
                return TRUE;
        } else if (end - p >= 2 && p[1] == '!') {
            /* A DOCTYPE: a plain one ends at '>'; an internal subset is rejected anyway. */
            const char *gt = memchr(p, '>', end - p);
            const char *bracket = memchr(p, '[', end - p);

            if (!gt || (bracket && bracket < gt))
                return TRUE;
            for (; p < gt; p++)
                line += *p == '\n';
            p = gt + 1;
        } else if (end - p >= 2 && p[1] == '/') {
            const char *name = p + 2;
            const char *q = name;
            VwXmlOpenTag *top;

            while (q < end && !g_ascii_isspace(*q) && *q != '>')
                q++;
            if (open->len == 0)
                return TRUE;
            top = &g_array_index(open, VwXmlOpenTag, open->len - 1);
            if (top->len != (gsize)(q - name) || memcmp(top->name, name, top->len) != 0) {
                *message =
                    g_strdup_printf(_("Opening and ending tag mismatch: %.*s line %d and "
                                      "%.*s"),
                                    (int)top->len, top->name, top->line, (int)(q - name), name);
                goto fail;
            }
            g_array_set_size(open, open->len - 1);
            p = q;
        } else {
            VwXmlOpenTag tag = { .name = p + 1, .line = line };
            const char *q = tag.name;
            char quote = 0;

            while (q < end && !g_ascii_isspace(*q) && *q != '>' && *q != '/')
                q++;
            tag.len = (gsize)(q - tag.name);
            seen_root = TRUE;
            for (; q < end; q++) {
                if (*q == '\n')
                    line++;
                if (quote) {
                    if (*q == quote) {
                        quote = 0;
                        if (q + 1 < end && !g_ascii_isspace(q[1]) && q[1] != '>' && q[1] != '/') {
                            *message = g_strdup(_("attributes construct error"));
                            goto fail;
                        }
                    } else if (*q == '<') {
                        *message = g_strdup(_("Unescaped '<' not allowed in attributes values"));
                        goto fail;
                    } else if (*q == '&' && (*message = vw_xml_lex_entity(q, end)))
                        goto fail;
                } else if (*q == '"' || *q == '\'') {
                    quote = *q;
                } else if (*q == '>') {
                    break;
                }
            }
            if (q >= end)
                return TRUE;
            /* Past the depth limit the callbacks stop the parse. */
            if (q[-1] != '/' && open->len <= VW_XML_MAX_DEPTH)
                g_array_append_val(open, tag);
            else if (q[-1] != '/')
                return TRUE;
            p = q + 1;
        }
    }
    return TRUE;

fail:
    *line_out = line;
    return FALSE;
}

/* GMarkup's own message without its "Error on line N char M: " prefix. */
static char *
vw_xml_markup_message(const GError *err)
{
    /* GMarkup's own (translated) prefix, up to its first number. */
    const char *prefix = g_dgettext("glib20", "Error on line %d char %d: ");
    gsize n = strcspn(prefix, "%");
    const char *colon;

    if (n > 0 && strncmp(err->message, prefix, n) == 0 && (colon = strstr(err->message, ": ")))
        return g_strdup(colon + 2);
    return g_strdup(err->message);
}

static VwXmlDoc *
vw_xml_parse_internal(const char *data, gsize len, const char *what, const char *path,
                      GError **error)
{
    g_autoptr(VwXmlDoc) doc = NULL;
    g_autoptr(GError) err = NULL;
    VwXmlParser p = { 0 };
    g_autofree char *bad = NULL;
    g_autofree char *lex_message = NULL;
    int line = 0;
    int lex_line = 0;

    if (!vw_xml_size_check(len, what, path, error))
        return NULL;

    /* A UTF-8 byte order mark is allowed, and not part of the document. */
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
        data += 3;
        len -= 3;
    }

    doc = g_new0(VwXmlDoc, 1);
    doc->strings = g_string_chunk_new(MIN(MAX(len, 64), 64 * 1024));
    doc->nodes = g_ptr_array_new_with_free_func((GDestroyNotify)vw_xml_node_free);
    p.doc = doc;
    p.ns = g_array_new(FALSE, FALSE, sizeof(VwXmlNsDecl));
    p.starts_with_decl =
        len >= 6 && memcmp(data, "<?xml", 5) == 0 && (g_ascii_isspace(data[5]) || data[5] == '?');

    if (!vw_xml_chars_ok(data, len, &line, &bad)) {
        p.code = VW_XML_ERROR_PARSE;
        p.message = g_strdup_printf(_("line %d: %s"), line, bad);
    } else {
        p.ctx = g_markup_parse_context_new(&vw_xml_markup_parser, G_MARKUP_TREAT_CDATA_AS_TEXT, &p,
                                           NULL);
        if (!g_markup_parse_context_parse(p.ctx, data, (gssize)len, &err) ||
            !g_markup_parse_context_end_parse(p.ctx, &err)) {
            if (!p.message) {
                g_autofree char *text = NULL;

                if (g_error_matches(err, G_MARKUP_ERROR, G_MARKUP_ERROR_EMPTY))
                    text = g_strdup(_("Document is empty"));
                else if (doc->root && p.depth == 0)
                    text = g_strdup(_("Extra content at the end of the document"));
                else
                    text = vw_xml_markup_message(err);
                p.code = VW_XML_ERROR_PARSE;
                /* GMarkup may stand a line before the error: let the scan below win a tie. */
                p.message_line = vw_xml_parser_line(&p) + 1;
                p.message = g_strdup_printf(_("line %d: %s"), p.message_line - 1, text);
            }
        }
        g_markup_parse_context_free(p.ctx);
        /* What libxml2 would have found first, in its words. */
        if ((!p.message || p.message_line > 0) &&
            !vw_xml_lex_check(data, len, &lex_line, &lex_message) &&
            (!p.message || lex_line <= p.message_line)) {
            g_free(p.message);
            p.code = VW_XML_ERROR_PARSE;
            p.message = g_strdup_printf(_("line %d: %s"), lex_line, lex_message);
        }
    }
    g_array_unref(p.ns);

    if (!p.message && !doc->root) {
        p.code = VW_XML_ERROR_PARSE;
        p.message = g_strdup(_("document has no root element"));
    }
    if (p.message) {
        g_autofree char *message = g_steal_pointer(&p.message);

        if (path)
            g_set_error(error, VW_XML_ERROR, p.code, _("cannot parse %s XML '%s': %s"), what, path,
                        message);
        else
            g_set_error(error, VW_XML_ERROR, p.code, _("cannot parse %s XML: %s"), what, message);
        return NULL;
    }
    return g_steal_pointer(&doc);
}

VwXmlDoc *
vw_xml_parse(const char *data, gssize len, const char *what, GError **error)
{
    g_return_val_if_fail(data != NULL, NULL);
    g_return_val_if_fail(what != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    return vw_xml_parse_internal(data, len < 0 ? strlen(data) : (gsize)len, what, NULL, error);
}

VwXmlDoc *
vw_xml_parse_file(const char *path, const char *what, GError **error)
{
    g_autofree char *data = NULL;
    FILE *fp;
    gsize got;
    int saved_errno;

    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(what != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    fp = g_fopen(path, "rbe");
    if (!fp) {
        saved_errno = errno;
        g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_PARSE, _("cannot open %s XML '%s': %s"), what,
                    path, g_strerror(saved_errno));
        return NULL;
    }
    /* Read one byte more than the limit, so a larger file (or a device that
     * never ends) is detected without reading all of it. */
    data = g_malloc(VW_XML_MAX_BYTES + 1);
    got = fread(data, 1, VW_XML_MAX_BYTES + 1, fp);
    if (ferror(fp)) {
        saved_errno = errno;
        fclose(fp);
        g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_PARSE, _("cannot read %s XML '%s': %s"), what,
                    path, g_strerror(saved_errno));
        return NULL;
    }
    fclose(fp);
    return vw_xml_parse_internal(data, got, what, path, error);
}

VwXmlNode *
vw_xml_doc_root(const VwXmlDoc *doc)
{
    g_return_val_if_fail(doc != NULL, NULL);
    return doc->root;
}

const char *
vw_xml_node_name(const VwXmlNode *node)
{
    g_return_val_if_fail(node != NULL, NULL);
    return node->name;
}

const char *
vw_xml_node_ns(const VwXmlNode *node)
{
    g_return_val_if_fail(node != NULL, NULL);
    return node->ns;
}

gboolean
vw_xml_node_is(const VwXmlNode *node, const char *name)
{
    return node && node->type == VW_XML_NODE_ELEMENT && node->ns == NULL &&
           g_strcmp0(node->name, name) == 0;
}

gboolean
vw_xml_node_is_ns(const VwXmlNode *node, const char *ns, const char *name)
{
    return node && node->type == VW_XML_NODE_ELEMENT && g_strcmp0(node->ns, ns) == 0 &&
           g_strcmp0(node->name, name) == 0;
}

int
vw_xml_node_line(const VwXmlNode *node)
{
    return node ? node->line : 0;
}

char *
vw_xml_node_prop(const VwXmlNode *node, const char *name)
{
    g_return_val_if_fail(node != NULL, NULL);
    g_return_val_if_fail(name != NULL, NULL);

    for (guint i = 0; i < node->n_attrs; i++) {
        if (!node->attrs[i].ns && g_str_equal(node->attrs[i].name, name))
            return g_strdup(node->attrs[i].value);
    }
    return NULL;
}

static void
vw_xml_text_append(GString *buf, const VwXmlNode *node)
{
    /* Depth is bounded by VW_XML_MAX_DEPTH. */
    for (const VwXmlNode *cur = node->children; cur; cur = cur->next) {
        if (cur->type == VW_XML_NODE_TEXT)
            g_string_append(buf, cur->text);
        else
            vw_xml_text_append(buf, cur);
    }
}

char *
vw_xml_node_text(const VwXmlNode *node)
{
    GString *buf;

    g_return_val_if_fail(node != NULL, NULL);

    if (!node->children)
        return g_strdup("");
    if (node->children == node->last && node->children->type == VW_XML_NODE_TEXT)
        return g_strdup(node->children->text);
    buf = g_string_new("");
    vw_xml_text_append(buf, node);
    return g_string_free(buf, FALSE);
}

static gboolean
vw_xml_child_matches(const VwXmlNode *node, const char *name)
{
    if (node->type != VW_XML_NODE_ELEMENT)
        return FALSE;
    return name == NULL || vw_xml_node_is(node, name);
}

VwXmlNode *
vw_xml_child_first(const VwXmlNode *parent, const char *name)
{
    g_return_val_if_fail(parent != NULL, NULL);

    for (VwXmlNode *cur = parent->children; cur; cur = cur->next) {
        if (vw_xml_child_matches(cur, name))
            return cur;
    }
    return NULL;
}

VwXmlNode *
vw_xml_child_next(const VwXmlNode *node, const char *name)
{
    g_return_val_if_fail(node != NULL, NULL);

    for (VwXmlNode *cur = node->next; cur; cur = cur->next) {
        if (vw_xml_child_matches(cur, name))
            return cur;
    }
    return NULL;
}

guint
vw_xml_child_count(const VwXmlNode *parent, const char *name)
{
    VwXmlNode *child;
    guint n = 0;

    VW_XML_FOREACH_CHILD(child, parent, name)
    n++;
    return n;
}

static gboolean
vw_xml_name_allowed(const char *name, const char *const *allowed)
{
    for (gsize i = 0; allowed && allowed[i]; i++) {
        if (g_str_equal(name, allowed[i]))
            return TRUE;
    }
    return FALSE;
}

gboolean
vw_xml_check_children(const VwXmlNode *node, const char *const *allowed, GError **error)
{
    g_return_val_if_fail(node != NULL, FALSE);

    for (const VwXmlNode *cur = node->children; cur; cur = cur->next) {
        if (cur->type == VW_XML_NODE_ELEMENT) {
            if (cur->ns == NULL && vw_xml_name_allowed(cur->name, allowed))
                continue;
            g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                        _("line %d: unknown element <%s> in <%s>"), cur->line, cur->name,
                        node->name);
            return FALSE;
        }
        if (!vw_xml_text_is_blank(cur->text, strlen(cur->text))) {
            g_autofree char *text = g_strstrip(g_strdup(cur->text));

            g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                        _("line %d: unexpected text '%s' in <%s>"), cur->line, text, node->name);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
vw_xml_check_attrs(const VwXmlNode *node, const char *const *allowed, GError **error)
{
    g_return_val_if_fail(node != NULL, FALSE);

    for (guint i = 0; i < node->n_attrs; i++) {
        const VwXmlAttr *attr = &node->attrs[i];

        if (attr->ns == NULL && vw_xml_name_allowed(attr->name, allowed))
            continue;
        g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                    _("line %d: unknown attribute '%s' in <%s>"), node->line, attr->name,
                    node->name);
        return FALSE;
    }
    return TRUE;
}
