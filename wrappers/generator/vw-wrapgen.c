/*
 * vw-wrapgen: generate the libvirt wrapper layer from libvirt's API descriptions.
 *
 * Reads the API XML files that libvirt installs (libvirt-api.xml and the qemu,
 * lxc and admin ones) and the checked-in conventions table, and writes:
 *   - a header with one `RET fooWrapper(ARGS..., virErrorPtr err)` per function,
 *   - the C source of those wrappers,
 *   - a table (C source) naming every function with its convention, so tests
 *     can prove that every function was either wrapped or excluded for a reason.
 *
 * The API XML does not say what "failure" means for each function.  A return
 * type whose convention is uniform across libvirt (int: -1, pointers: NULL) is
 * classified automatically, but only when the function's own documentation
 * states that value and nothing that contradicts it; everything else must be
 * decided in the conventions table.  An unclassified function fails the build,
 * so a new libvirt forces a decision instead of silently guessing.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

typedef enum {
    CONV_NONE,     /* no error semantics: call and pass through */
    CONV_MINUS1,   /* signed integer, any negative value is a failure */
    CONV_STREAM,   /* signed integer, exactly -1 is a failure; -2/-3 are results */
    CONV_NULL,     /* pointer, NULL is a failure */
    CONV_ZERO,     /* unsigned integer, 0 is a failure */
    CONV_ALLONES,  /* unsigned integer, (TYPE)-1 is a failure */
    CONV_EXCLUDE,  /* not wrapped; the reason is mandatory */
} Conv;

static const struct {
    const char *name;
    Conv conv;
    gboolean maybe;
} conv_names[] = {
    { "none", CONV_NONE, FALSE },
    { "minus1", CONV_MINUS1, FALSE },
    { "minus1-maybe", CONV_MINUS1, TRUE },
    { "stream", CONV_STREAM, FALSE },
    { "null", CONV_NULL, FALSE },
    { "null-maybe", CONV_NULL, TRUE },
    { "zero", CONV_ZERO, FALSE },
    { "allones", CONV_ALLONES, FALSE },
    { "allones-maybe", CONV_ALLONES, TRUE },
    { "exclude", CONV_EXCLUDE, FALSE },
};

/* Phrases in a return description that make the automatic rule unsafe:
 * they hint at a value that is both a result and the error marker. */
static const char *const ambiguity_markers[] = {
    "-2", "-3", "or when", "if none", "without setting", "no hole",
};

typedef struct {
    char *conv_name;
    Conv conv;
    gboolean maybe;
    gboolean reset; /* the function does not clear libvirt's error on entry */
    char *reason;
    int line;
} Override;

typedef struct {
    char *type;
    char *name;
} Arg;

typedef struct {
    char *name;
    char *api;
    char *ret_type;
    const char *conv_name;
    Conv conv;
    gboolean maybe;
    gboolean reset;
    char *reason;
    GPtrArray *args; /* Arg* */
} Func;

static void
arg_free(gpointer p)
{
    Arg *a = p;
    g_free(a->type);
    g_free(a->name);
    g_free(a);
}

static void
func_free(gpointer p)
{
    Func *f = p;
    g_free(f->name);
    g_free(f->api);
    g_free(f->ret_type);
    g_free(f->reason);
    g_ptr_array_unref(f->args);
    g_free(f);
}

static void
override_free(gpointer p)
{
    Override *o = p;
    g_free(o->conv_name);
    g_free(o->reason);
    g_free(o);
}

static gboolean
conv_lookup(const char *name, Conv *conv, gboolean *maybe)
{
    for (gsize i = 0; i < G_N_ELEMENTS(conv_names); i++) {
        if (g_str_equal(conv_names[i].name, name)) {
            *conv = conv_names[i].conv;
            *maybe = conv_names[i].maybe;
            return TRUE;
        }
    }
    return FALSE;
}

static GHashTable *
overrides_load(const char *path)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) table =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, override_free);
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents(path, &text, NULL, &error)) {
        fprintf(stderr, "vw-wrapgen: %s\n", error->message);
        return NULL;
    }
    lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        g_auto(GStrv) fields = NULL;
        char *line = g_strstrip(lines[i]);
        Override *o;

        if (*line == '\0' || *line == '#')
            continue;
        fields = g_regex_split_simple("\\s+", line, 0, 0);
        if (g_strv_length(fields) < 3) {
            fprintf(stderr,
                    "vw-wrapgen: %s:%d: expected 'FUNCTION CONVENTION REASON...', got '%s'\n",
                    path, i + 1, line);
            return NULL;
        }
        o = g_new0(Override, 1);
        o->line = i + 1;
        /* CONVENTION[,reset]: "reset" marks a function that leaves an older
         * error of the thread in place, so the wrapper must clear it first. */
        {
            char *comma = strchr(fields[1], ',');
            o->conv_name = g_strndup(fields[1], comma ? (gsize)(comma - fields[1]) : strlen(fields[1]));
            if (comma && !g_str_equal(comma, ",reset")) {
                fprintf(stderr, "vw-wrapgen: %s:%d: unknown modifier '%s' for '%s'\n", path, i + 1,
                        comma + 1, fields[0]);
                override_free(o);
                return NULL;
            }
            o->reset = comma != NULL;
        }
        if (!conv_lookup(o->conv_name, &o->conv, &o->maybe)) {
            fprintf(stderr, "vw-wrapgen: %s:%d: unknown convention '%s' for '%s'\n", path, i + 1,
                    o->conv_name, fields[0]);
            override_free(o);
            return NULL;
        }
        /* The reason is the rest of the line after the second field. */
        {
            const char *p = line + strlen(fields[0]);
            p += strspn(p, " \t");
            p += strlen(fields[1]);
            p += strspn(p, " \t");
            o->reason = g_strdup(p);
        }
        if (g_hash_table_contains(table, fields[0])) {
            fprintf(stderr, "vw-wrapgen: %s:%d: '%s' is listed twice\n", path, i + 1, fields[0]);
            override_free(o);
            return NULL;
        }
        g_hash_table_insert(table, g_strdup(fields[0]), o);
    }
    return g_steal_pointer(&table);
}

static char *
prop(xmlNodePtr node, const char *name)
{
    xmlChar *v = xmlGetProp(node, (const xmlChar *)name);
    char *ret = v ? g_strdup((const char *)v) : NULL;
    xmlFree(v);
    return ret;
}

static gboolean
type_is_pointer(const char *type)
{
    return g_str_has_suffix(type, "*") || g_str_has_suffix(type, "Ptr");
}

static gboolean
type_is_signed_int(const char *type)
{
    return g_str_equal(type, "int") || g_str_equal(type, "long") ||
           g_str_equal(type, "long long");
}

static gboolean
type_is_unsigned_int(const char *type)
{
    return g_str_equal(type, "unsigned int") || g_str_equal(type, "unsigned long") ||
           g_str_equal(type, "unsigned long long");
}

static gboolean
conv_fits_type(Conv conv, const char *type)
{
    switch (conv) {
    case CONV_NONE:
    case CONV_EXCLUDE:
        return TRUE;
    case CONV_MINUS1:
    case CONV_STREAM:
        return type_is_signed_int(type);
    case CONV_NULL:
        return type_is_pointer(type);
    case CONV_ZERO:
    case CONV_ALLONES:
        return type_is_unsigned_int(type);
    }
    return FALSE;
}

static gboolean
info_is_ambiguous(const char *info)
{
    for (gsize i = 0; i < G_N_ELEMENTS(ambiguity_markers); i++) {
        if (strstr(info, ambiguity_markers[i]))
            return TRUE;
    }
    return FALSE;
}

/* Automatic classification; returns NULL when a human must decide. */
static const char *
classify_default(const char *type, const char *info)
{
    if (g_str_equal(type, "void"))
        return "none";
    if (info_is_ambiguous(info))
        return NULL;
    if (g_str_equal(type, "int") && strstr(info, "-1"))
        return "minus1";
    if (type_is_pointer(type) && strstr(info, "NULL"))
        return "null";
    return NULL;
}

static gboolean
load_api(const char *path, GHashTable *overrides, GPtrArray *funcs, GHashTable *seen,
         GString *unclassified)
{
    /* Local, trusted file, but parse it the safe way anyway: no network,
     * no entity expansion, no DTD loading. */
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    xmlNodePtr root;
    g_autofree char *api = NULL;
    gboolean ok = TRUE;

    if (!doc) {
        fprintf(stderr, "vw-wrapgen: cannot parse libvirt API description '%s'\n", path);
        return FALSE;
    }
    root = xmlDocGetRootElement(doc);
    if (!root || !xmlStrEqual(root->name, (const xmlChar *)"api")) {
        fprintf(stderr, "vw-wrapgen: '%s' is not a libvirt API description\n", path);
        xmlFreeDoc(doc);
        return FALSE;
    }
    api = prop(root, "name");

    for (xmlNodePtr sec = root->children; sec; sec = sec->next) {
        if (sec->type != XML_ELEMENT_NODE || !xmlStrEqual(sec->name, (const xmlChar *)"symbols"))
            continue;
        for (xmlNodePtr fn = sec->children; fn; fn = fn->next) {
            Func *f;
            Override *o;
            g_autofree char *info = NULL;

            if (fn->type != XML_ELEMENT_NODE ||
                !xmlStrEqual(fn->name, (const xmlChar *)"function"))
                continue;
            f = g_new0(Func, 1);
            f->name = prop(fn, "name");
            f->api = g_strdup(api);
            f->args = g_ptr_array_new_with_free_func(arg_free);
            for (xmlNodePtr c = fn->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                    continue;
                if (xmlStrEqual(c->name, (const xmlChar *)"return")) {
                    f->ret_type = prop(c, "type");
                    info = prop(c, "info");
                } else if (xmlStrEqual(c->name, (const xmlChar *)"arg")) {
                    Arg *a = g_new0(Arg, 1);
                    a->type = prop(c, "type");
                    a->name = prop(c, "name");
                    g_ptr_array_add(f->args, a);
                }
            }
            if (!f->name || !f->ret_type) {
                fprintf(stderr, "vw-wrapgen: %s: a <function> lacks a name or a <return>\n", path);
                func_free(f);
                ok = FALSE;
                continue;
            }
            if (!info)
                info = g_strdup("");
            if (!g_hash_table_add(seen, g_strdup(f->name))) {
                fprintf(stderr, "vw-wrapgen: %s: function '%s' is described twice\n", path,
                        f->name);
                func_free(f);
                ok = FALSE;
                continue;
            }

            o = g_hash_table_lookup(overrides, f->name);
            if (o) {
                f->conv_name = o->conv_name;
                f->conv = o->conv;
                f->maybe = o->maybe;
                f->reset = o->reset;
                f->reason = g_strdup(o->reason);
                if (!conv_fits_type(f->conv, f->ret_type)) {
                    fprintf(stderr,
                            "vw-wrapgen: conventions line %d: '%s' returns '%s', which cannot "
                            "carry convention '%s'\n",
                            o->line, f->name, f->ret_type, f->conv_name);
                    ok = FALSE;
                }
            } else {
                f->conv_name = classify_default(f->ret_type, info);
                if (!f->conv_name) {
                    g_string_append_printf(unclassified,
                                           "  %s (%s, returns '%s'): \"%.160s\"\n", f->name,
                                           f->api, f->ret_type, info);
                    func_free(f);
                    continue;
                }
                conv_lookup(f->conv_name, &f->conv, &f->maybe);
                f->reason = g_strdup_printf("automatic: return type '%s'", f->ret_type);
            }
            if (f->conv != CONV_EXCLUDE) {
                for (guint i = 0; i < f->args->len; i++) {
                    Arg *a = g_ptr_array_index(f->args, i);
                    if (!a->type || !a->name || g_str_equal(a->name, "err") ||
                        g_str_equal(a->type, "...")) {
                        fprintf(stderr,
                                "vw-wrapgen: '%s' has an argument the generator cannot wrap "
                                "('%s %s'); exclude it in the conventions table\n",
                                f->name, a->type ? a->type : "?", a->name ? a->name : "?");
                        ok = FALSE;
                    }
                }
            }
            g_ptr_array_add(funcs, f);
        }
    }
    xmlFreeDoc(doc);
    return ok;
}

/* "TYPE NAME" with libvirt's spacing: no blank between '*' and the name. */
static const char *
type_sep(const char *type)
{
    return g_str_has_suffix(type, "*") ? "" : " ";
}

static void
emit_decl(GString *out, const Func *f, gboolean definition)
{
    /* Definitions put the return type on its own line, libvirt style. */
    g_string_append_printf(out, "%s%s%sWrapper(", f->ret_type,
                           definition ? "\n" : type_sep(f->ret_type), f->name);
    for (guint i = 0; i < f->args->len; i++) {
        const Arg *a = g_ptr_array_index(f->args, i);
        g_string_append_printf(out, "%s%s%s, ", a->type, type_sep(a->type), a->name);
    }
    g_string_append(out, "virErrorPtr err)");
}

static void
emit_call(GString *out, const Func *f)
{
    g_string_append_printf(out, "%s(", f->name);
    for (guint i = 0; i < f->args->len; i++) {
        const Arg *a = g_ptr_array_index(f->args, i);
        g_string_append_printf(out, "%s%s", i ? ", " : "", a->name);
    }
    g_string_append(out, ")");
}

static const char *
failure_test(const Func *f)
{
    switch (f->conv) {
    case CONV_MINUS1:
        return "vw_ret < 0";
    case CONV_STREAM:
        return "vw_ret == -1";
    case CONV_NULL:
        return "vw_ret == NULL";
    case CONV_ZERO:
        return "vw_ret == 0";
    case CONV_ALLONES:
        return NULL; /* needs the type; see emit_body */
    case CONV_NONE:
    case CONV_EXCLUDE:
        break;
    }
    return NULL;
}

static void
emit_body(GString *out, const Func *f)
{
    gboolean is_void = g_str_equal(f->ret_type, "void");

    emit_decl(out, f, TRUE);
    g_string_append(out, "\n{\n");
    if (!is_void)
        g_string_append_printf(out, "    %s%svw_ret;\n\n", f->ret_type, type_sep(f->ret_type));
    g_string_append(out, "    vw_wrapper_enter(err);\n");
    if (f->reset)
        g_string_append(out, "    virResetLastError();\n");
    g_string_append(out, "    ");
    if (!is_void)
        g_string_append(out, "vw_ret = ");
    emit_call(out, f);
    g_string_append(out, ";\n");
    if (f->conv == CONV_ALLONES) {
        g_string_append_printf(out, "    if (G_UNLIKELY(vw_ret == (%s)-1))\n", f->ret_type);
    } else if (f->conv != CONV_NONE) {
        g_string_append_printf(out, "    if (G_UNLIKELY(%s))\n", failure_test(f));
    }
    if (f->conv != CONV_NONE)
        g_string_append_printf(out, "        vw_wrapper_capture(err, \"%s\", %s);\n", f->name,
                               f->maybe ? "TRUE" : "FALSE");
    if (!is_void)
        g_string_append(out, "    return vw_ret;\n");
    g_string_append(out, "}\n\n");
}

static char *
c_string(const char *s)
{
    GString *out = g_string_new("\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
    return g_string_free(out, FALSE);
}

static gboolean
write_file(const char *path, const GString *content)
{
    g_autoptr(GError) error = NULL;

    if (!g_file_set_contents(path, content->str, (gssize)content->len, &error)) {
        fprintf(stderr, "vw-wrapgen: %s\n", error->message);
        return FALSE;
    }
    return TRUE;
}

static int
by_name(gconstpointer a, gconstpointer b)
{
    const Func *fa = *(Func *const *)a;
    const Func *fb = *(Func *const *)b;
    return strcmp(fa->name, fb->name);
}

static const char *const api_headers[][2] = {
    { "libvirt", "libvirt/libvirt.h" },
    { "libvirt-qemu", "libvirt/libvirt-qemu.h" },
    { "libvirt-lxc", "libvirt/libvirt-lxc.h" },
    { "libvirt-admin", "libvirt/libvirt-admin.h" },
};

int
main(int argc, char **argv)
{
    g_autofree char *conventions = NULL;
    g_autofree char *header = NULL;
    g_autofree char *source = NULL;
    g_autofree char *table = NULL;
    g_auto(GStrv) apis = NULL;
    GOptionEntry entries[] = {
        { "conventions", 0, 0, G_OPTION_ARG_FILENAME, &conventions, "Conventions table", "FILE" },
        { "header", 0, 0, G_OPTION_ARG_FILENAME, &header, "Header to write", "FILE" },
        { "source", 0, 0, G_OPTION_ARG_FILENAME, &source, "Wrapper source to write", "FILE" },
        { "table", 0, 0, G_OPTION_ARG_FILENAME, &table, "Coverage table to write", "FILE" },
        { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &apis, NULL, "API.xml..." },
        { NULL }
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("API.xml...");
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) overrides = NULL;
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) funcs = g_ptr_array_new_with_free_func(func_free);
    g_autoptr(GString) unclassified = g_string_new(NULL);
    g_autoptr(GString) h = g_string_new(NULL);
    g_autoptr(GString) c = g_string_new(NULL);
    g_autoptr(GString) t = g_string_new(NULL);
    gboolean ok = TRUE;
    guint n_wrapped = 0, n_excluded = 0;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "vw-wrapgen: %s\n", error->message);
        return 2;
    }
    if (!conventions || !header || !source || !table || !apis || !apis[0]) {
        fprintf(stderr, "vw-wrapgen: need --conventions, --header, --source, --table and at "
                        "least one API description\n");
        return 2;
    }
    overrides = overrides_load(conventions);
    if (!overrides)
        return 1;

    xmlInitParser();
    for (int i = 0; apis[i]; i++)
        ok = load_api(apis[i], overrides, funcs, seen, unclassified) && ok;
    xmlCleanupParser();

    if (unclassified->len) {
        fprintf(stderr,
                "vw-wrapgen: these libvirt functions have no error convention yet.\n"
                "Decide one for each in %s (FUNCTION CONVENTION REASON), with a convention\n"
                "among none, minus1, minus1-maybe, stream, null, null-maybe, zero, allones,\n"
                "allones-maybe, exclude:\n%s",
                conventions, unclassified->str);
        ok = FALSE;
    }
    if (!ok)
        return 1;

    g_ptr_array_sort(funcs, by_name);

    g_string_append(h, "/* Generated by vw-wrapgen from libvirt's API descriptions. Do not edit. */\n"
                       "#pragma once\n\n"
                       "#include <glib.h>\n");
    for (gsize i = 0; i < G_N_ELEMENTS(api_headers); i++)
        g_string_append_printf(h, "#include <%s>\n", api_headers[i][1]);
    g_string_append(h, "#include <libvirt/virterror.h>\n\nG_BEGIN_DECLS\n\n");

    g_string_append(c, "/* Generated by vw-wrapgen from libvirt's API descriptions. Do not edit. */\n"
                       "#include <config.h>\n\n"
                       "#include \"vw-libvirt-wrappers.h\"\n"
                       "#include \"vw-wrapper-private.h\"\n\n");

    g_string_append(t, "/* Generated by vw-wrapgen from libvirt's API descriptions. Do not edit. */\n"
                       "#include <config.h>\n\n"
                       "#include \"vw-libvirt-wrappers.h\"\n"
                       "#include \"vw-wrapper-table.h\"\n\n"
                       "const VwWrapperInfo vw_wrapper_table[] = {\n");

    for (guint i = 0; i < funcs->len; i++) {
        const Func *f = g_ptr_array_index(funcs, i);
        g_autofree char *reason = c_string(f->reason);

        if (f->conv == CONV_EXCLUDE) {
            n_excluded++;
            g_string_append_printf(t, "    { \"%s\", \"%s\", \"%s\", %s, NULL },\n", f->name,
                                   f->api, f->conv_name, reason);
            continue;
        }
        n_wrapped++;
        g_string_append_printf(h, "/* %s: %s */\n", f->conv_name, f->reason);
        emit_decl(h, f, FALSE);
        g_string_append(h, ";\n\n");
        emit_body(c, f);
        g_string_append_printf(t, "    { \"%s\", \"%s\", \"%s\", %s, (VwWrapperFunc)%sWrapper },\n",
                               f->name, f->api, f->conv_name, reason, f->name);
    }
    g_string_append(h, "G_END_DECLS\n");
    g_string_append_printf(t, "};\n\nconst gsize vw_wrapper_table_len = %u;\n"
                              "const guint vw_wrapper_n_wrapped = %u;\n"
                              "const guint vw_wrapper_n_excluded = %u;\n",
                           funcs->len, n_wrapped, n_excluded);

    if (!write_file(header, h) || !write_file(source, c) || !write_file(table, t))
        return 1;
    return 0;
}
