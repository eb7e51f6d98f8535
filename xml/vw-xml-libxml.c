/*
 * Safe parsing of untrusted XML with libxml2, and small libxml2 tree helpers
 * (for the domain editor only).
 */
#include <config.h>

#include "vw-xml-libxml.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libxml/parser.h>
#include <libxml/SAX2.h>

/* What the SAX hooks and the error handler learn while one document is parsed. */
typedef struct {
    GQuark domain;
    int code;
    char *message; /* first problem seen, already translated; NULL if none */
} VwLxmlParseState;

static void
vw_lxml_parse_state_record(VwLxmlParseState *state, int code, char *message)
{
    if (state->message) {
        /* Keep the first error: later ones are usually consequences of it. */
        g_free(message);
        return;
    }
    state->code = code;
    state->message = message;
}

static VwLxmlParseState *
vw_lxml_ctxt_state(void *ctx)
{
    xmlParserCtxtPtr ctxt = ctx;

    return ctxt ? ctxt->_private : NULL;
}

/*
 * A namespace name is compared as a string (Namespaces in XML 1.0, 2.3):
 * libxml2's complaint that one does not parse as a URI (XML_WAR_NS_URI) is
 * not a well-formedness error, the document is built all the same, and the
 * tree reader (vw-xml-tree.c) does not judge URI syntax either.  Both readers
 * must accept the same documents.
 */
static void
vw_lxml_structured_error(void *ctx, xmlErrorPtr err)
{
    VwLxmlParseState *state = vw_lxml_ctxt_state(ctx);
    g_autofree char *text = NULL;

    if (!state || !err || err->level == XML_ERR_WARNING || err->code == XML_WAR_NS_URI)
        return;
    text = g_strdup(err->message ? err->message : _("unknown error"));
    g_strchomp(text);
    vw_lxml_parse_state_record(state, VW_XML_ERROR_PARSE,
                               g_strdup_printf(_("line %d: %s"), err->line, text));
}

/*
 * Any entity declaration stops the parser at once: this is what makes XXE
 * and "billion laughs" documents fail fast, before any expansion is tried.
 */
static void
vw_lxml_entity_decl(void *ctx, const xmlChar *name, int type G_GNUC_UNUSED,
                    const xmlChar *public_id G_GNUC_UNUSED, const xmlChar *system_id G_GNUC_UNUSED,
                    xmlChar *content G_GNUC_UNUSED)
{
    xmlParserCtxtPtr ctxt = ctx;
    VwLxmlParseState *state = vw_lxml_ctxt_state(ctx);

    if (state) {
        g_autofree char *text =
            g_strdup_printf(_("entity declaration '%s' is not allowed"), (const char *)name);
        vw_lxml_parse_state_record(
            state, VW_XML_ERROR_PARSE,
            g_strdup_printf(_("line %d: %s"), xmlSAX2GetLineNumber(ctxt), text));
    }
    xmlStopParser(ctxt);
}

/* The first element nested deeper than @limit below @root (root is depth 1), or NULL. */
static xmlNodePtr
vw_lxml_find_too_deep(xmlNodePtr root, int limit)
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
vw_lxml_parse_internal(const char *data, gsize len, const char *what, const char *path,
                       GError **error)
{
    static gsize initialized;
    g_autoptr(xmlDoc) doc = NULL;
    xmlParserCtxtPtr ctxt = NULL;
    VwLxmlParseState state = { 0 };
    xmlNodePtr root;
    xmlNodePtr deep;
    const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

    if (g_once_init_enter(&initialized)) {
        xmlInitParser();
        g_once_init_leave(&initialized, 1);
    }

    if (!vw_xml_size_check(len, what, path, error))
        return NULL;

    ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_PARSE,
                    _("cannot allocate an XML parser for %s XML"), what);
        return NULL;
    }
    ctxt->_private = &state;
    ctxt->sax->serror = vw_lxml_structured_error;
    ctxt->sax->entityDecl = vw_lxml_entity_decl;

    doc = xmlCtxtReadMemory(ctxt, data, (int)len, path, NULL, options);

    if (!state.message && !doc) {
        /* The parser failed without reporting through our handler. */
        xmlErrorPtr last = xmlCtxtGetLastError(ctxt);
        g_autofree char *text =
            g_strdup(last && last->message ? last->message : _("not well-formed"));
        g_strchomp(text);
        vw_lxml_parse_state_record(&state, VW_XML_ERROR_PARSE,
                                   g_strdup_printf(_("line %d: %s"), last ? last->line : 0, text));
    }
    xmlFreeParserCtxt(ctxt);

    if (!state.message && doc->intSubset &&
        (doc->intSubset->children || doc->intSubset->ExternalID || doc->intSubset->SystemID)) {
        vw_lxml_parse_state_record(
            &state, VW_XML_ERROR_PARSE,
            g_strdup_printf(_("DOCTYPE '%s' with an internal subset or external identifier is "
                              "not allowed"),
                            doc->intSubset->name ? (const char *)doc->intSubset->name : ""));
    }

    if (!state.message) {
        root = xmlDocGetRootElement(doc);
        if (!root) {
            vw_lxml_parse_state_record(&state, VW_XML_ERROR_PARSE,
                                       g_strdup(_("document has no root element")));
        } else if ((deep = vw_lxml_find_too_deep(root, VW_XML_MAX_DEPTH))) {
            vw_lxml_parse_state_record(
                &state, VW_XML_ERROR_TOO_LARGE,
                g_strdup_printf(_("line %d: element <%s> is nested deeper than %d levels"),
                                vw_lxml_node_line(deep), (const char *)deep->name,
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
vw_lxml_parse(const char *data, gssize len, const char *what, GError **error)
{
    g_return_val_if_fail(data != NULL, NULL);
    g_return_val_if_fail(what != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    return vw_lxml_parse_internal(data, len < 0 ? strlen(data) : (gsize)len, what, NULL, error);
}

gboolean
vw_lxml_node_is(xmlNodePtr node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE && node->ns == NULL &&
           g_strcmp0((const char *)node->name, name) == 0;
}

int
vw_lxml_node_line(xmlNodePtr node)
{
    long line;

    if (!node)
        return 0;
    line = xmlGetLineNo(node);
    return line > 0 && line <= G_MAXINT ? (int)line : 0;
}

char *
vw_lxml_node_prop(xmlNodePtr node, const char *name)
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
vw_lxml_node_text(xmlNodePtr node)
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
vw_lxml_child_matches(xmlNodePtr node, const char *name)
{
    if (node->type != XML_ELEMENT_NODE)
        return FALSE;
    return name == NULL || vw_lxml_node_is(node, name);
}

/* @cur or the first sibling after it that matches, or NULL. */
static xmlNodePtr
vw_lxml_child_from(xmlNodePtr cur, const char *name)
{
    while (cur && !vw_lxml_child_matches(cur, name))
        cur = cur->next;
    return cur;
}

xmlNodePtr
vw_lxml_child_first(xmlNodePtr parent, const char *name)
{
    g_return_val_if_fail(parent != NULL, NULL);
    return vw_lxml_child_from(parent->children, name);
}

xmlNodePtr
vw_lxml_child_next(xmlNodePtr node, const char *name)
{
    g_return_val_if_fail(node != NULL, NULL);
    return vw_lxml_child_from(node->next, name);
}
