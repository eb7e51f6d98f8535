/*
 * Safe parsing of untrusted XML, and small libxml2 tree helpers.
 */
#include <config.h>

#include "vw-xml-util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <libxml/SAX2.h>

/* clang-format off */
G_DEFINE_QUARK(vw-xml-error-quark, vw_xml_error)
/* clang-format on */

/* What the SAX hooks and the error handler learn while one document is parsed. */
typedef struct {
    GQuark domain;
    int code;
    char *message; /* first problem seen, already translated; NULL if none */
} VwXmlParseState;

static void
vw_xml_parse_state_record(VwXmlParseState *state, int code, char *message)
{
    if (state->message) {
        /* Keep the first error: later ones are usually consequences of it. */
        g_free(message);
        return;
    }
    state->code = code;
    state->message = message;
}

static VwXmlParseState *
vw_xml_ctxt_state(void *ctx)
{
    xmlParserCtxtPtr ctxt = ctx;

    return ctxt ? ctxt->_private : NULL;
}

static void
vw_xml_structured_error(void *ctx, xmlErrorPtr err)
{
    VwXmlParseState *state = vw_xml_ctxt_state(ctx);
    g_autofree char *text = NULL;

    if (!state || !err || err->level == XML_ERR_WARNING)
        return;
    text = g_strdup(err->message ? err->message : _("unknown error"));
    g_strchomp(text);
    vw_xml_parse_state_record(state, VW_XML_ERROR_PARSE,
                              g_strdup_printf(_("line %d: %s"), err->line, text));
}

/*
 * Any entity declaration stops the parser at once: this is what makes XXE
 * and "billion laughs" documents fail fast, before any expansion is tried.
 */
static void
vw_xml_entity_decl(void *ctx, const xmlChar *name, int type G_GNUC_UNUSED,
                   const xmlChar *public_id G_GNUC_UNUSED, const xmlChar *system_id G_GNUC_UNUSED,
                   xmlChar *content G_GNUC_UNUSED)
{
    xmlParserCtxtPtr ctxt = ctx;
    VwXmlParseState *state = vw_xml_ctxt_state(ctx);

    if (state) {
        g_autofree char *text =
            g_strdup_printf(_("entity declaration '%s' is not allowed"), (const char *)name);
        vw_xml_parse_state_record(
            state, VW_XML_ERROR_PARSE,
            g_strdup_printf(_("line %d: %s"), xmlSAX2GetLineNumber(ctxt), text));
    }
    xmlStopParser(ctxt);
}

/* The first element nested deeper than @limit below @root (root is depth 1), or NULL. */
static xmlNodePtr
vw_xml_find_too_deep(xmlNodePtr root, int limit)
{
    xmlNodePtr node = root;
    int depth = 1;

    /* Iterative pre-order walk: recursion on hostile input is what we avoid. */
    while (node) {
        if (node->type == XML_ELEMENT_NODE && depth > limit)
            return node;
        if (node->type == XML_ELEMENT_NODE && node->children) {
            node = node->children;
            depth++;
            continue;
        }
        while (node && node != root && !node->next) {
            node = node->parent;
            depth--;
        }
        if (!node || node == root)
            break;
        node = node->next;
    }
    return NULL;
}

static xmlDocPtr
vw_xml_parse_internal(const char *data, gsize len, const char *what, const char *path,
                      GError **error)
{
    static gsize initialized;
    g_autoptr(xmlDoc) doc = NULL;
    xmlParserCtxtPtr ctxt = NULL;
    VwXmlParseState state = { 0 };
    xmlNodePtr root;
    xmlNodePtr deep;
    const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

    if (g_once_init_enter(&initialized)) {
        xmlInitParser();
        g_once_init_leave(&initialized, 1);
    }

    if (len > VW_XML_MAX_BYTES) {
        /* parse_file reads at most one byte over the limit: "or more". */
        if (path) {
            g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_TOO_LARGE,
                        _("%s XML '%s' is too large: %u bytes or more (limit %u bytes)"), what,
                        path, (guint)len, (guint)VW_XML_MAX_BYTES);
        } else {
            g_autofree char *size = g_strdup_printf("%" G_GSIZE_FORMAT, len);

            g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_TOO_LARGE,
                        _("%s XML is too large: %s bytes (limit %u bytes)"), what, size,
                        (guint)VW_XML_MAX_BYTES);
        }
        return NULL;
    }

    ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_PARSE,
                    _("cannot allocate an XML parser for %s XML"), what);
        return NULL;
    }
    ctxt->_private = &state;
    ctxt->sax->serror = vw_xml_structured_error;
    ctxt->sax->entityDecl = vw_xml_entity_decl;

    doc = xmlCtxtReadMemory(ctxt, data, (int)len, path, NULL, options);

    if (!state.message && !doc) {
        /* The parser failed without reporting through our handler. */
        xmlErrorPtr last = xmlCtxtGetLastError(ctxt);
        g_autofree char *text =
            g_strdup(last && last->message ? last->message : _("not well-formed"));
        g_strchomp(text);
        vw_xml_parse_state_record(&state, VW_XML_ERROR_PARSE,
                                  g_strdup_printf(_("line %d: %s"), last ? last->line : 0, text));
    }
    xmlFreeParserCtxt(ctxt);

    if (!state.message && doc->intSubset &&
        (doc->intSubset->children || doc->intSubset->ExternalID || doc->intSubset->SystemID)) {
        vw_xml_parse_state_record(
            &state, VW_XML_ERROR_PARSE,
            g_strdup_printf(_("DOCTYPE '%s' with an internal subset or external identifier is "
                              "not allowed"),
                            doc->intSubset->name ? (const char *)doc->intSubset->name : ""));
    }

    if (!state.message) {
        root = xmlDocGetRootElement(doc);
        if (!root) {
            vw_xml_parse_state_record(&state, VW_XML_ERROR_PARSE,
                                      g_strdup(_("document has no root element")));
        } else if ((deep = vw_xml_find_too_deep(root, VW_XML_MAX_DEPTH))) {
            vw_xml_parse_state_record(
                &state, VW_XML_ERROR_TOO_LARGE,
                g_strdup_printf(_("line %d: element <%s> is nested deeper than %d levels"),
                                vw_xml_node_line(deep), (const char *)deep->name,
                                VW_XML_MAX_DEPTH));
        }
    }

    if (state.message) {
        g_autofree char *message = g_steal_pointer(&state.message);

        if (path)
            g_set_error(error, VW_XML_ERROR, state.code, _("cannot parse %s XML '%s': %s"), what,
                        path, message);
        else
            g_set_error(error, VW_XML_ERROR, state.code, _("cannot parse %s XML: %s"), what,
                        message);
        return NULL;
    }
    return g_steal_pointer(&doc);
}

xmlDocPtr
vw_xml_parse(const char *data, gssize len, const char *what, GError **error)
{
    g_return_val_if_fail(data != NULL, NULL);
    g_return_val_if_fail(what != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    return vw_xml_parse_internal(data, len < 0 ? strlen(data) : (gsize)len, what, NULL, error);
}

xmlDocPtr
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

gboolean
vw_xml_node_is(xmlNodePtr node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE && node->ns == NULL &&
           g_strcmp0((const char *)node->name, name) == 0;
}

int
vw_xml_node_line(xmlNodePtr node)
{
    long line;

    if (!node)
        return 0;
    line = xmlGetLineNo(node);
    return line > 0 && line <= G_MAXINT ? (int)line : 0;
}

char *
vw_xml_node_prop(xmlNodePtr node, const char *name)
{
    xmlChar *value;
    char *ret;

    g_return_val_if_fail(node != NULL, NULL);
    g_return_val_if_fail(name != NULL, NULL);

    value = xmlGetNoNsProp(node, (const xmlChar *)name);
    if (!value)
        return NULL;
    ret = g_strdup((const char *)value);
    xmlFree(value);
    return ret;
}

char *
vw_xml_node_text(xmlNodePtr node)
{
    xmlChar *value;
    char *ret;

    g_return_val_if_fail(node != NULL, NULL);

    value = xmlNodeGetContent(node);
    ret = g_strdup(value ? (const char *)value : "");
    xmlFree(value);
    return ret;
}

static gboolean
vw_xml_child_matches(xmlNodePtr node, const char *name)
{
    if (node->type != XML_ELEMENT_NODE)
        return FALSE;
    return name == NULL || vw_xml_node_is(node, name);
}

xmlNodePtr
vw_xml_child_first(xmlNodePtr parent, const char *name)
{
    xmlNodePtr cur;

    g_return_val_if_fail(parent != NULL, NULL);

    for (cur = parent->children; cur; cur = cur->next) {
        if (vw_xml_child_matches(cur, name))
            return cur;
    }
    return NULL;
}

xmlNodePtr
vw_xml_child_next(xmlNodePtr node, const char *name)
{
    xmlNodePtr cur;

    g_return_val_if_fail(node != NULL, NULL);

    for (cur = node->next; cur; cur = cur->next) {
        if (vw_xml_child_matches(cur, name))
            return cur;
    }
    return NULL;
}

guint
vw_xml_child_count(xmlNodePtr parent, const char *name)
{
    xmlNodePtr child;
    guint n = 0;

    VW_XML_FOREACH_CHILD(child, parent, name)
    n++;
    return n;
}

static gboolean
vw_xml_name_allowed(const xmlChar *name, const char *const *allowed)
{
    for (gsize i = 0; allowed && allowed[i]; i++) {
        if (g_strcmp0((const char *)name, allowed[i]) == 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean
vw_xml_text_is_blank(const xmlChar *text)
{
    for (const xmlChar *p = text; p && *p; p++) {
        if (!g_ascii_isspace(*p))
            return FALSE;
    }
    return TRUE;
}

gboolean
vw_xml_check_children(xmlNodePtr node, const char *const *allowed, GError **error)
{
    g_return_val_if_fail(node != NULL, FALSE);

    for (xmlNodePtr cur = node->children; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE) {
            if (cur->ns == NULL && vw_xml_name_allowed(cur->name, allowed))
                continue;
            g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                        _("line %d: unknown element <%s> in <%s>"), vw_xml_node_line(cur),
                        (const char *)cur->name, (const char *)node->name);
            return FALSE;
        }
        if ((cur->type == XML_TEXT_NODE || cur->type == XML_CDATA_SECTION_NODE) &&
            !vw_xml_text_is_blank(cur->content)) {
            g_autofree char *text = g_strstrip(g_strdup((const char *)cur->content));

            g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                        _("line %d: unexpected text '%s' in <%s>"), vw_xml_node_line(cur), text,
                        (const char *)node->name);
            return FALSE;
        }
        if (cur->type == XML_ENTITY_REF_NODE) {
            g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                        _("line %d: unexpected entity reference '&%s;' in <%s>"),
                        vw_xml_node_line(cur), (const char *)cur->name, (const char *)node->name);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
vw_xml_check_attrs(xmlNodePtr node, const char *const *allowed, GError **error)
{
    g_return_val_if_fail(node != NULL, FALSE);

    for (xmlAttrPtr attr = node->properties; attr; attr = attr->next) {
        if (attr->ns == NULL && vw_xml_name_allowed(attr->name, allowed))
            continue;
        g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                    _("line %d: unknown attribute '%s' in <%s>"), vw_xml_node_line(node),
                    (const char *)attr->name, (const char *)node->name);
        return FALSE;
    }
    return TRUE;
}

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
