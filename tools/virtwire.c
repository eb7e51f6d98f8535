/*
 * virtwire: the virsh-like command line tool.
 *
 * One table of verbs dispatches the commands; every listing goes through one
 * printing path (output_print) that writes either a text table or, with
 * --json, one JSON document.  Exit codes: 0 success, 1 failure, 2 usage
 * error.  Every message goes through gettext and names the offending value.
 *
 * The guest networks and their ports are the engine's (src/engine); the
 * domains are libvirt's, reached through the generated wrappers only.
 */
#include <config.h>

#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gi18n.h>
#include <glib/gprintf.h>
#include <glib/gstdio.h>

#include "virtwire.h"
#include "vw-cmd-agent.h"
#include "vw-domxml.h"
#include "vw-engine.h"
#include "vw-fs.h"
#include "vw-glib-private.h" /* vw_prov_connection(), for --print-domain */
#include "vw-json.h"
#include "vw-libvirt.h"
#include "vw-names.h"
#include "vw-netdef.h"

enum {
    EXIT_OK = 0,
    EXIT_FAIL = 1,
    EXIT_USAGE = 2,
};

/* libvirt runs the hooks of /etc/libvirt/hooks/qemu.d/ since 6.5.0. */
#define HOOKS_DIR_DEFAULT    "/etc/libvirt/hooks/qemu.d"
#define HOOK_NAME            "virtwire"
#define HOOK_EXE             "virtwire-hook"
#define HOOK_LIBVIRT_MIN     6005000UL

/* Errors the tool itself finds (the others come from the engine and libvirt). */
#define CLI_ERROR (cli_error_quark())

typedef enum {
    CLI_ERROR_NOT_FOUND,   /* a file the command needs is missing */
    CLI_ERROR_UNSUPPORTED, /* libvirt is too old */
    CLI_ERROR_CONFLICT,    /* the domain's configuration forbids the change */
    CLI_ERROR_UNSAFE,      /* a file or folder that others than root may change */
} CliError;

static GQuark
cli_error_quark(void)
{
    return g_quark_from_static_string("virtwire-cli-error");
}

typedef struct {
    const char *uri; /* NULL: libvirt's default (LIBVIRT_DEFAULT_URI, uri_default) */
    const char *root;
    gboolean json;
    gboolean quiet; /* no "Network NAME started" and the like */
} GlobalOptions;

typedef struct {
    const char *name;
    int (*run)(GlobalOptions *opts, int argc, char **argv);
    const char *args;
    const char *summary; /* N_() marked; translated when printed */
} Command;

static const Command *command_find(const char *name);
static void usage_print(FILE *out);

static void
error_print(const GError *error)
{
    /* TRANSLATORS: prefix of every error message of the command line tool */
    g_printerr(_("error: %s\n"), error->message);
}

/*
 * The options every command takes, before or after its name (virsh takes
 * them only before; `virtwire net-list --json` is what users type).  The
 * values land in *global_options, which main() owns.
 */
static GlobalOptions *global_options;
static char *global_uri;
static char *global_root;

static gboolean
global_value_set(const char *option, const char *value, char **slot, const char *what,
                 GError **error)
{
    if (!*value) {
        /* TRANSLATORS: %s is an option, the second one "a URI" or "a directory" */
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("option '%s' needs %s"),
                    option, what);
        return FALSE;
    }
    g_free(*slot);
    *slot = g_strdup(value);
    return TRUE;
}

static gboolean
global_connect_cb(const char *option, const char *value, gpointer data G_GNUC_UNUSED,
                  GError **error)
{
    if (!global_value_set(option, value, &global_uri, _("a URI"), error))
        return FALSE;
    global_options->uri = global_uri;
    return TRUE;
}

static gboolean
global_root_cb(const char *option, const char *value, gpointer data G_GNUC_UNUSED, GError **error)
{
    if (!global_value_set(option, value, &global_root, _("a directory"), error))
        return FALSE;
    global_options->root = global_root;
    return TRUE;
}

static gboolean
global_flag_cb(const char *option, const char *value G_GNUC_UNUSED, gpointer data G_GNUC_UNUSED,
               GError **error G_GNUC_UNUSED)
{
    if (g_str_equal(option, "--json"))
        global_options->json = TRUE;
    else
        global_options->quiet = TRUE;
    return TRUE;
}

static gboolean help_wanted;

static const GOptionEntry global_entries[] = {
    { "connect", 'c', 0, G_OPTION_ARG_CALLBACK, (gpointer)global_connect_cb,
      N_("libvirt connection URI (default: libvirt's, $LIBVIRT_DEFAULT_URI or uri_default)"),
      N_("URI") },
    { "root", 'r', 0, G_OPTION_ARG_CALLBACK, (gpointer)global_root_cb,
      N_("Root of virtwire's state (default: $VIRTWIRE_ROOT, else /)"), N_("DIR") },
    { "json", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, (gpointer)global_flag_cb,
      N_("Print listings as JSON"), NULL },
    { "quiet", 'q', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, (gpointer)global_flag_cb,
      N_("Do not print what a command did, only what was asked for"), NULL },
    { "help", 'h', 0, G_OPTION_ARG_NONE, &help_wanted, N_("Show this help"), NULL },
    { NULL },
};

/* "-a, --all", "    --hooks-dir=DIR": the left column of an option in the help. */
static char *
option_synopsis(const GOptionEntry *e)
{
    g_autoptr(GString) s = g_string_new(NULL);
    gboolean takes_value = e->arg != G_OPTION_ARG_NONE && !(e->flags & G_OPTION_FLAG_NO_ARG);

    if (e->short_name)
        g_string_append_printf(s, "-%c, ", e->short_name);
    else
        g_string_append(s, "    ");
    g_string_append_printf(s, "--%s", e->long_name);
    if (takes_value)
        g_string_append_printf(s, "=%s", e->arg_description ? _(e->arg_description) : "VALUE");
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static void
options_print(GString *out, const char *title, const GOptionEntry *entries)
{
    if (!entries || !entries[0].long_name)
        return;
    g_string_append_printf(out, "\n%s\n", title);
    for (const GOptionEntry *e = entries; e->long_name; e++) {
        g_autofree char *left = option_synopsis(e);

        if (g_utf8_strlen(left, -1) < 24)
            g_string_append_printf(out, "  %-24s%s\n", left,
                                   e->description ? _(e->description) : "");
        else
            g_string_append_printf(out, "  %s\n  %-24s%s\n", left, "",
                                   e->description ? _(e->description) : "");
    }
}

/* `virtwire help NAME` and `virtwire NAME --help`: synopsis, summary, options. */
static void
command_help_print(const char *name, const GOptionEntry *entries)
{
    const Command *cmd = command_find(name);
    g_autoptr(GString) out = g_string_new(NULL);

    g_string_append_printf(out, _("Usage: virtwire [OPTION...] %s %s\n"), name,
                           cmd ? cmd->args : "");
    if (cmd)
        g_string_append_printf(out, "\n  %s\n", _(cmd->summary));
    options_print(out, _("Options:"), entries);
    options_print(out, _("Global options (before or after the command):"), global_entries);
    fputs(out->str, stdout);
}

/*
 * Parse a command's own options and the global ones; on error prints it and
 * returns FALSE.  `--help` prints the command's help and exits 0.
 */
static gboolean
command_parse(const char *name, GOptionEntry *entries, int *argc, char ***argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(GError) error = NULL;
    GOptionGroup *globals;

    g_option_context_set_help_enabled(ctx, FALSE);
    g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
    if (entries)
        g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
    globals = g_option_group_new("global", "", "", NULL, NULL);
    g_option_group_add_entries(globals, global_entries);
    g_option_group_set_translation_domain(globals, GETTEXT_PACKAGE);
    g_option_context_add_group(ctx, globals);
    help_wanted = FALSE;
    if (!g_option_context_parse(ctx, argc, argv, &error)) {
        g_printerr(_("error: %s: %s\n"), name, error->message);
        return FALSE;
    }
    if (help_wanted) {
        command_help_print(name, entries);
        g_clear_pointer(&ctx, g_option_context_free); /* exit() runs no cleanup */
        exit(EXIT_OK);
    }
    return TRUE;
}

/*
 * Parse the options, then check that between @min and @max positional
 * arguments are left (argv[1..]).  Prints the usage error and returns FALSE
 * otherwise.
 */
static gboolean
command_args(const char *name, GOptionEntry *entries, int *argc, char ***argv, int min, int max)
{
    const Command *cmd = command_find(name);

    if (!command_parse(name, entries, argc, argv))
        return FALSE;
    if (*argc - 1 > max) {
        g_printerr(_("error: %s: unexpected argument '%s'\n"), name, (*argv)[max + 1]);
        return FALSE;
    }
    if (*argc - 1 < min) {
        g_printerr(_("error: %s: missing argument; usage: virtwire %s %s\n"), name, name,
                   cmd ? cmd->args : "");
        return FALSE;
    }
    return TRUE;
}

/* ------------------------------------------------------------ output */

/* One column of a listing: its JSON member and its (N_() marked) header;
 * a column without a header is in the JSON output only. */
typedef struct {
    const char *key;
    const char *header;
} Column;

/* One value: what the text table shows, and its JSON literal. */
typedef struct {
    char *text;
    char *json;
} Cell;

static void
cell_free(Cell *cell)
{
    if (!cell)
        return;
    g_free(cell->text);
    g_free(cell->json);
    g_free(cell);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Cell, cell_free)

/* A listing: rows of cells, row-major, n_columns per row. */
typedef struct {
    const Column *columns;
    guint n_columns;
    GPtrArray *cells;
} Table;

static Table *
table_new(const Column *columns, guint n_columns)
{
    Table *t = g_new0(Table, 1);

    t->columns = columns;
    t->n_columns = n_columns;
    t->cells = g_ptr_array_new_with_free_func((GDestroyNotify)cell_free);
    return t;
}

static void
table_free(Table *t)
{
    if (!t)
        return;
    g_ptr_array_unref(t->cells);
    g_free(t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Table, table_free)

static void
table_add_cell(Table *t, char *text, char *json)
{
    Cell *cell = g_new0(Cell, 1);

    cell->text = text;
    cell->json = json;
    g_ptr_array_add(t->cells, cell);
}

/* A string; NULL shows as "-" and is null in JSON. */
static void
table_add_string(Table *t, const char *s)
{
    GString *json;

    if (!s) {
        table_add_cell(t, g_strdup("-"), g_strdup("null"));
        return;
    }
    json = g_string_new(NULL);
    vw_json_append_string(json, s);
    table_add_cell(t, g_strdup(s), g_string_free(json, FALSE));
}

/* A word of a fixed set: @word in JSON, its translation in the table. */
static void
table_add_word(Table *t, const char *word)
{
    GString *json = g_string_new(NULL);

    vw_json_append_string(json, word);
    table_add_cell(t, g_strdup(_(word)), g_string_free(json, FALSE));
}

static void
table_add_uint(Table *t, guint64 n)
{
    table_add_cell(t, g_strdup_printf("%" G_GUINT64_FORMAT, n),
                   g_strdup_printf("%" G_GUINT64_FORMAT, n));
}

static void
table_add_bool(Table *t, gboolean b)
{
    table_add_cell(t, g_strdup(b ? _("yes") : _("no")), g_strdup(b ? "true" : "false"));
}

typedef enum {
    OUTPUT_LIST,   /* a table with a header, or a JSON array of objects */
    OUTPUT_RECORD, /* "Header: value" lines, or one JSON object (first row) */
} OutputShape;

static void
output_json_row(GString *out, const Table *t, guint row)
{
    g_string_append_c(out, '{');
    for (guint c = 0; c < t->n_columns; c++) {
        const Cell *cell = g_ptr_array_index(t->cells, row * t->n_columns + c);
        if (c)
            g_string_append(out, ", ");
        vw_json_append_string(out, t->columns[c].key);
        g_string_append_printf(out, ": %s", cell->json);
    }
    g_string_append_c(out, '}');
}

static void
output_pad(GString *out, const char *s, gsize width)
{
    gsize len = (gsize)g_utf8_strlen(s, -1);

    g_string_append(out, s);
    for (; len < width; len++)
        g_string_append_c(out, ' ');
}

/* The one printing path of every listing: text table or JSON. */
static void
output_print(const GlobalOptions *opts, const Table *t, OutputShape shape)
{
    g_autoptr(GString) out = g_string_new(NULL);
    guint n_rows = t->cells->len / t->n_columns;

    if (opts->json) {
        if (shape == OUTPUT_RECORD) {
            if (n_rows)
                output_json_row(out, t, 0);
        } else {
            g_string_append_c(out, '[');
            for (guint r = 0; r < n_rows; r++) {
                if (r)
                    g_string_append(out, ", ");
                output_json_row(out, t, r);
            }
            g_string_append_c(out, ']');
        }
        g_string_append_c(out, '\n');
    } else if (shape == OUTPUT_RECORD) {
        gsize width = 0;
        for (guint c = 0; c < t->n_columns; c++)
            if (t->columns[c].header)
                width = MAX(width, (gsize)g_utf8_strlen(_(t->columns[c].header), -1) + 1);
        for (guint c = 0; n_rows && c < t->n_columns; c++) {
            const Cell *cell = g_ptr_array_index(t->cells, c);
            g_autofree char *label = NULL;

            if (!t->columns[c].header)
                continue;
            label = g_strconcat(_(t->columns[c].header), ":", NULL);
            output_pad(out, label, width + 1);
            g_string_append_printf(out, "%s\n", cell->text);
        }
    } else {
        g_autofree gsize *widths = g_new0(gsize, t->n_columns);
        gsize total = 0;
        guint last = 0;

        for (guint c = 0; c < t->n_columns; c++) {
            if (t->columns[c].header) {
                widths[c] = (gsize)g_utf8_strlen(_(t->columns[c].header), -1);
                last = c;
            }
        }
        for (guint i = 0; i < t->cells->len; i++) {
            const Cell *cell = g_ptr_array_index(t->cells, i);
            widths[i % t->n_columns] =
                MAX(widths[i % t->n_columns], (gsize)g_utf8_strlen(cell->text, -1));
        }
        for (guint c = 0; c < t->n_columns; c++)
            if (t->columns[c].header)
                total += widths[c] + 3;
        /* virsh's layout: a leading space, three between columns */
        for (guint r = 0; r <= n_rows; r++) {
            g_string_append_c(out, ' ');
            for (guint c = 0; c < t->n_columns; c++) {
                const char *s;

                if (!t->columns[c].header)
                    continue;
                s = r == 0
                        ? _(t->columns[c].header)
                        : ((Cell *)g_ptr_array_index(t->cells, (r - 1) * t->n_columns + c))->text;
                if (c == last) {
                    g_string_append(out, s);
                } else {
                    output_pad(out, s, widths[c]);
                    g_string_append(out, "   ");
                }
            }
            g_string_append_c(out, '\n');
            if (r == 0) {
                for (gsize i = 0; i < total; i++)
                    g_string_append_c(out, '-');
                g_string_append_c(out, '\n');
            }
        }
    }
    fputs(out->str, stdout);
}

/* ------------------------------------------------------------ connections */

/*
 * The URI to name in messages: -c's, else the one libvirt picks by itself
 * ($LIBVIRT_DEFAULT_URI, else uri_default of libvirt.conf, else its probe).
 */
static const char *
uri_shown(const GlobalOptions *opts)
{
    const char *env = g_getenv("LIBVIRT_DEFAULT_URI");

    if (opts->uri)
        return opts->uri;
    if (env && *env)
        return env;
    return _("(libvirt's default URI)");
}

/*
 * Open -c's URI, or libvirt's default one (NULL: libvirt honours
 * LIBVIRT_DEFAULT_URI and uri_default itself).  Once connected, opts->uri
 * is the URI libvirt chose, so that later messages name it.
 */
static virConnectPtr
connection_open(const GlobalOptions *opts, GError **error)
{
    static char *uri_chosen;
    g_auto(virError) err = VW_ERROR_INIT;
    virConnectPtr conn = virConnectOpenWrapper(opts->uri, &err);

    if (!conn) {
        vw_libvirt_error_set(error, &err);
        g_prefix_error(error, _("cannot connect to '%s': "), uri_shown(opts));
        return NULL;
    }
    if (!opts->uri && opts == global_options && !uri_chosen) {
        uri_chosen = virConnectGetURIWrapper(conn, NULL);
        global_options->uri = uri_chosen;
    }
    return conn;
}

static VwEngine *
engine_open(const GlobalOptions *opts, GError **error)
{
    return vw_engine_open(opts->root, error);
}

/* The public API, as virsh uses libvirt's; libvirt is not contacted until needed. */
static VwProvisioner *
provisioner_open(const GlobalOptions *opts, GError **error)
{
    return vw_provisioner_new(opts->root, opts->uri, NULL, error);
}

/* Print @error and return EXIT_FAIL, for `return fail(error);`. */
static int
fail(const GError *error)
{
    error_print(error);
    return EXIT_FAIL;
}

static int
fail_libvirt(const virError *err)
{
    g_autoptr(GError) error = NULL;

    vw_libvirt_error_set(&error, err);
    return fail(error);
}

/* What a command did ("Network NAME started"), unless --quiet. */
static void G_GNUC_PRINTF(2, 3) note(const GlobalOptions *opts, const char *format, ...)
{
    va_list ap;

    if (opts->quiet)
        return;
    va_start(ap, format);
    g_vprintf(format, ap);
    va_end(ap);
}

/* ------------------------------------------------------------ version, list, help */

static int
cmd_version(GlobalOptions *opts, int argc, char **argv)
{
    g_auto(virError) err = VW_ERROR_INIT;
    unsigned long lib = 0;

    if (!command_args("version", NULL, &argc, &argv, 0, 0))
        return EXIT_USAGE;
    if (virGetVersionWrapper(&lib, NULL, NULL, &err) < 0)
        return fail_libvirt(&err);
    if (opts->json) {
        /* JSON only: the text form is virsh's two sentences below. */
        static const Column version_columns[] = { { "virtwire", NULL }, { "libvirt", NULL } };
        g_autoptr(Table) t = table_new(version_columns, G_N_ELEMENTS(version_columns));
        g_autofree char *libvirt =
            g_strdup_printf("%lu.%lu.%lu", lib / 1000000, lib / 1000 % 1000, lib % 1000);

        table_add_string(t, PACKAGE_VERSION);
        table_add_string(t, libvirt);
        output_print(opts, t, OUTPUT_RECORD);
    } else {
        g_print(_("virtwire %s\n"), PACKAGE_VERSION);
        g_print(_("Using library: libvirt %lu.%lu.%lu\n"), lib / 1000000, lib / 1000 % 1000,
                lib % 1000);
    }
    return EXIT_OK;
}

static const char *
domain_state_name(int state)
{
    switch (state) {
    case VIR_DOMAIN_NOSTATE:
        return N_("no state");
    case VIR_DOMAIN_RUNNING:
        return N_("running");
    case VIR_DOMAIN_BLOCKED:
        return N_("idle");
    case VIR_DOMAIN_PAUSED:
        return N_("paused");
    case VIR_DOMAIN_SHUTDOWN:
        return N_("in shutdown");
    case VIR_DOMAIN_SHUTOFF:
        return N_("shut off");
    case VIR_DOMAIN_CRASHED:
        return N_("crashed");
    case VIR_DOMAIN_PMSUSPENDED:
        return N_("pmsuspended");
    }
    return N_("unknown");
}

static const Column list_columns[] = {
    { "id", N_("Id") },
    { "name", N_("Name") },
    { "state", N_("State") },
};

static int
cmd_list(GlobalOptions *opts, int argc, char **argv)
{
    gboolean all = FALSE;
    GOptionEntry entries[] = {
        { "all", 'a', 0, G_OPTION_ARG_NONE, &all, N_("List inactive domains too"), NULL },
        { NULL },
    };
    g_auto(virError) err = VW_ERROR_INIT;
    g_autoptr(GError) error = NULL;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(Table) t = table_new(list_columns, G_N_ELEMENTS(list_columns));
    virDomainPtr *doms = NULL;
    unsigned int flags = VIR_CONNECT_LIST_DOMAINS_ACTIVE;
    int n;

    if (!command_args("list", entries, &argc, &argv, 0, 0))
        return EXIT_USAGE;
    if (all)
        flags |= VIR_CONNECT_LIST_DOMAINS_INACTIVE;

    conn = connection_open(opts, &error);
    if (!conn)
        return fail(error);
    n = virConnectListAllDomainsWrapper(conn, &doms, flags, &err);
    if (n < 0)
        return fail_libvirt(&err);

    for (int i = 0; i < n; i++) {
        g_autoptr(virDomain) dom = doms[i];
        const char *name = virDomainGetNameWrapper(dom, NULL);
        unsigned int id = virDomainGetIDWrapper(dom, NULL);
        int state = VIR_DOMAIN_NOSTATE;

        virDomainGetStateWrapper(dom, &state, NULL, 0, NULL);
        if (id == (unsigned int)-1)
            table_add_cell(t, g_strdup("-"), g_strdup("null"));
        else
            table_add_uint(t, id);
        table_add_string(t, name ? name : "");
        table_add_word(t, domain_state_name(state));
    }
    g_free(doms);
    output_print(opts, t, OUTPUT_LIST);
    return EXIT_OK;
}

static int
cmd_help(GlobalOptions *opts, int argc, char **argv)
{
    const Command *cmd;
    char *help_argv[] = { NULL, (char *)"--help", NULL };

    if (!command_args("help", NULL, &argc, &argv, 0, 1))
        return EXIT_USAGE;
    if (argc < 2) {
        usage_print(stdout);
        return EXIT_OK;
    }
    cmd = command_find(argv[1]);
    if (!cmd) {
        g_printerr(_("error: unknown command '%s'\n"), argv[1]);
        return EXIT_USAGE;
    }
    /* The command's own options are known to the command only: ask it. */
    help_argv[0] = (char *)cmd->name;
    return cmd->run(opts, 2, help_argv);
}

/* ------------------------------------------------------------ networks */

static int
cmd_net_define(GlobalOptions *opts, int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VwProvisioner) prov = NULL;
    g_autoptr(VwNetwork) net = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *warning = NULL;
    gsize len = 0;

    if (!command_args("net-define", NULL, &argc, &argv, 1, 1))
        return EXIT_USAGE;
    /* At most the XML limit plus one byte: "/dev/zero" fails at once. */
    xml = vw_fs_read(argv[1], VW_XML_MAX_BYTES, TRUE, &len, &error);
    if (!xml)
        return fail(error);
    if (strlen(xml) != len) {
        g_printerr(_("error: '%s' contains a NUL byte: not an XML document\n"), argv[1]);
        return EXIT_FAIL;
    }
    prov = provisioner_open(opts, &error);
    if (!prov)
        return fail(error);
    net = vw_provisioner_define_network_full(prov, xml, &warning, NULL, &error);
    if (!net) {
        g_prefix_error(&error, "%s: ", argv[1]);
        return fail(error);
    }
    if (warning)
        g_printerr(_("warning: %s: %s\n"), argv[1], warning);
    note(opts, _("Network %s defined from %s\n"), vw_network_get_name(net), argv[1]);
    return EXIT_OK;
}

/* The commands that take one network and call one engine function. */
typedef enum {
    NET_UNDEFINE,
    NET_START,
    NET_DESTROY,
} NetVerb;

static int
net_verb_run(GlobalOptions *opts, const char *cmd, NetVerb verb, int argc, char **argv)
{
    gboolean force = FALSE;
    GOptionEntry destroy_entries[] = {
        { "force", 0, 0, G_OPTION_ARG_NONE, &force,
          N_("Stop it even when ports are plugged (their guests lose the network)"), NULL },
        { NULL },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(VwProvisioner) prov = NULL;
    g_autoptr(VwNetwork) net = NULL;
    const char *name;
    gboolean ok = FALSE;

    if (!command_args(cmd, verb == NET_DESTROY ? destroy_entries : NULL, &argc, &argv, 1, 1))
        return EXIT_USAGE;
    prov = provisioner_open(opts, &error);
    /* by name or UUID: resolved once, here */
    net = prov ? vw_provisioner_lookup_network(prov, argv[1], NULL, &error) : NULL;
    if (!net)
        return fail(error);
    name = vw_network_get_name(net);
    switch (verb) {
    case NET_UNDEFINE:
        ok = vw_provisioner_undefine_network(prov, name, NULL, &error);
        if (ok)
            note(opts, _("Network %s has been undefined\n"), name);
        break;
    case NET_START:
        ok = vw_provisioner_start_network(prov, name, NULL, &error);
        if (ok)
            note(opts, _("Network %s started\n"), name);
        break;
    case NET_DESTROY:
        ok = vw_provisioner_stop_network_full(prov, name, force ? VW_STOP_FORCE : VW_STOP_DEFAULT,
                                              NULL, &error);
        if (ok)
            note(opts, _("Network %s destroyed\n"), name);
        break;
    }
    return ok ? EXIT_OK : fail(error);
}

static int
cmd_net_undefine(GlobalOptions *opts, int argc, char **argv)
{
    return net_verb_run(opts, "net-undefine", NET_UNDEFINE, argc, argv);
}

static int
cmd_net_start(GlobalOptions *opts, int argc, char **argv)
{
    return net_verb_run(opts, "net-start", NET_START, argc, argv);
}

static int
cmd_net_destroy(GlobalOptions *opts, int argc, char **argv)
{
    return net_verb_run(opts, "net-destroy", NET_DESTROY, argc, argv);
}

static const Column net_list_columns[] = {
    { "name", N_("Name") },           { "state", N_("State") },
    { "autostart", N_("Autostart") }, { "persistent", N_("Persistent") },
    { "bridge", N_("Bridge") },       { "netns", N_("Namespace") },
    { "ipv4", N_("IPv4") },           { "ipv6", N_("IPv6") },
};

/*
 * Whether @net outlives its stop.  virtwire has no transient network: a
 * network exists only once defined (there is no net-create), and
 * net-undefine refuses an active one, so every network it lists has a
 * stored definition.  One place says so, for net-list and net-info.
 */
static gboolean
network_is_persistent(VwNetwork *net G_GNUC_UNUSED)
{
    return TRUE;
}

static int
cmd_net_list(GlobalOptions *opts, int argc, char **argv)
{
    gboolean all = FALSE;
    gboolean inactive = FALSE;
    gboolean persistent = FALSE;
    gboolean transient = FALSE;
    gboolean autostart = FALSE;
    gboolean no_autostart = FALSE;
    gboolean uuids = FALSE;
    gboolean names = FALSE;
    GOptionEntry entries[] = {
        { "all", 'a', 0, G_OPTION_ARG_NONE, &all, N_("List inactive networks too"), NULL },
        { "inactive", 0, 0, G_OPTION_ARG_NONE, &inactive, N_("List inactive networks only"), NULL },
        { "persistent", 0, 0, G_OPTION_ARG_NONE, &persistent, N_("List persistent networks only"),
          NULL },
        { "transient", 0, 0, G_OPTION_ARG_NONE, &transient,
          N_("List transient networks only (virtwire has none)"), NULL },
        { "autostart", 0, 0, G_OPTION_ARG_NONE, &autostart,
          N_("List networks started automatically only"), NULL },
        { "no-autostart", 0, 0, G_OPTION_ARG_NONE, &no_autostart,
          N_("List networks not started automatically only"), NULL },
        { "uuid", 0, 0, G_OPTION_ARG_NONE, &uuids, N_("Print the UUIDs only"), NULL },
        { "name", 0, 0, G_OPTION_ARG_NONE, &names, N_("Print the names only"), NULL },
        { NULL },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(VwProvisioner) prov = NULL;
    GList *nets = NULL;
    g_autoptr(Table) t = table_new(net_list_columns, G_N_ELEMENTS(net_list_columns));

    if (!command_args("net-list", entries, &argc, &argv, 0, 0))
        return EXIT_USAGE;
    prov = provisioner_open(opts, &error);
    if (!prov)
        return fail(error);
    nets = vw_provisioner_list_networks(prov, NULL, &error);
    if (error)
        return fail(error);
    for (GList *l = nets; l; l = l->next) {
        VwNetwork *net = l->data;
        gboolean is_persistent = network_is_persistent(net);
        gboolean active = vw_network_get_active(net);
        gboolean net_autostart = vw_network_get_autostart(net);

        /* as virsh: the active ones unless --all or --inactive; the other
         * filters (either one of a pair, or both) narrow that down */
        if (inactive ? active : !(all || active))
            continue;
        if (persistent != transient && is_persistent != persistent)
            continue;
        if (autostart != no_autostart && net_autostart != autostart)
            continue;
        if ((names || uuids) && !opts->json) {
            if (uuids && names)
                g_print("%s  %s\n", vw_network_get_uuid(net), vw_network_get_name(net));
            else
                g_print("%s\n", uuids ? vw_network_get_uuid(net) : vw_network_get_name(net));
            continue;
        }
        table_add_string(t, vw_network_get_name(net));
        table_add_word(t, active ? N_("active") : N_("inactive"));
        table_add_bool(t, net_autostart);
        table_add_bool(t, is_persistent);
        table_add_string(t, vw_network_get_bridge(net));
        table_add_string(t, vw_network_get_netns(net));
        table_add_string(t, vw_network_get_ipv4(net));
        table_add_string(t, vw_network_get_ipv6(net));
    }
    g_list_free_full(nets, g_object_unref);
    if (!(names || uuids) || opts->json)
        output_print(opts, t, OUTPUT_LIST);
    return EXIT_OK;
}

static const Column net_info_columns[] = {
    { "name", N_("Name") },           { "uuid", N_("UUID") },
    { "active", N_("Active") },       { "persistent", N_("Persistent") },
    { "autostart", N_("Autostart") }, { "netns", N_("Namespace") },
    { "bridge", N_("Bridge") },       { "forward", N_("Forward") },
    { "ipv4", N_("IPv4") },           { "ipv6", N_("IPv6") },
    { "partition", N_("Partition") }, { "ports", N_("Ports") },
    { "leases", N_("Leases") },
};

static int
cmd_net_info(GlobalOptions *opts, int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VwProvisioner) prov = NULL;
    g_autoptr(VwNetwork) net = NULL;
    g_autoptr(Table) t = table_new(net_info_columns, G_N_ELEMENTS(net_info_columns));

    if (!command_args("net-info", NULL, &argc, &argv, 1, 1))
        return EXIT_USAGE;
    prov = provisioner_open(opts, &error);
    net = prov ? vw_provisioner_lookup_network(prov, argv[1], NULL, &error) : NULL;
    if (!net)
        return fail(error);
    table_add_string(t, vw_network_get_name(net));
    table_add_string(t, vw_network_get_uuid(net));
    table_add_bool(t, vw_network_get_active(net));
    table_add_bool(t, network_is_persistent(net));
    table_add_bool(t, vw_network_get_autostart(net));
    table_add_string(t, vw_network_get_netns(net));
    table_add_string(t, vw_network_get_bridge(net));
    table_add_string(t, vw_network_get_forward(net));
    table_add_string(t, vw_network_get_ipv4(net));
    table_add_string(t, vw_network_get_ipv6(net));
    table_add_string(t, vw_network_get_partition(net));
    table_add_uint(t, vw_network_get_n_ports(net));
    table_add_uint(t, vw_network_get_n_leases(net));
    output_print(opts, t, OUTPUT_RECORD);
    return EXIT_OK;
}

static int
cmd_net_dumpxml(GlobalOptions *opts, int argc, char **argv)
{
    gboolean inactive = FALSE;
    GOptionEntry entries[] = {
        { "inactive", 0, 0, G_OPTION_ARG_NONE, &inactive,
          N_("The stored definition, not the one an active network runs with"), NULL },
        { NULL },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(VwProvisioner) prov = NULL;
    g_autoptr(VwNetwork) net = NULL;
    g_autofree char *xml = NULL;

    if (!command_args("net-dumpxml", entries, &argc, &argv, 1, 1))
        return EXIT_USAGE;
    prov = provisioner_open(opts, &error);
    /* by name or UUID: resolved once, here */
    net = prov ? vw_provisioner_lookup_network(prov, argv[1], NULL, &error) : NULL;
    if (net)
        xml = vw_provisioner_get_network_xml(
            prov, vw_network_get_name(net),
            inactive ? VW_NETWORK_XML_INACTIVE : VW_NETWORK_XML_DEFAULT, NULL, &error);
    if (!xml)
        return fail(error);
    fputs(xml, stdout);
    return EXIT_OK;
}

/* $VISUAL, else $EDITOR, else vi: as virsh (and git) choose. */
static const char *
editor_choose(void)
{
    const char *editor = g_getenv("VISUAL");

    if (!editor || !*editor)
        editor = g_getenv("EDITOR");
    return editor && *editor ? editor : "vi";
}

/*
 * Run the editor on @path through the shell, as virsh does (the variable may
 * hold arguments: EDITOR="emacs -nw"), on this terminal.
 */
static gboolean
editor_run(const char *editor, const char *path, GError **error)
{
    g_autofree char *quoted = g_shell_quote(path);
    g_autofree char *line = g_strdup_printf("%s %s", editor, quoted);
    const char *argv[] = { "/bin/sh", "-c", line, NULL };
    g_autoptr(GError) local = NULL;
    int status = 0;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL,
                      NULL, &status, &local) ||
        !g_spawn_check_wait_status(status, &local)) {
        g_set_error(error, CLI_ERROR, CLI_ERROR_NOT_FOUND, _("editor '%s' failed: %s"), editor,
                    local->message);
        return FALSE;
    }
    return TRUE;
}

/*
 * After a definition the engine refused: edit it again?  y: yes; n or the end
 * of the input: no; ?: what the answers mean.
 */
static gboolean
edit_again_ask(void)
{
    for (;;) {
        char line[64];

        /* TRANSLATORS: the answers y and n stay as they are */
        g_print(_("Failed. Try again? [y,n,?]: "));
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin)) {
            g_print("\n");
            return FALSE;
        }
        switch (line[0]) {
        case 'y':
        case 'Y':
            return TRUE;
        case 'n':
        case 'N':
            return FALSE;
        default:
            g_print(_("y - edit the definition again\n"
                      "n - abort: the network stays as it was\n"
                      "? - print this help\n"));
        }
    }
}

static int
cmd_net_edit(GlobalOptions *opts, int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VwProvisioner) prov = NULL;
    g_autoptr(VwNetwork) net = NULL;
    g_autoptr(VwNetwork) defined = NULL;
    g_autofree char *before = NULL;
    g_autofree char *path = NULL;
    g_autofree char *warning = NULL;
    const char *editor = editor_choose();
    const char *name;
    int fd;
    int rc = EXIT_FAIL;

    if (!command_args("net-edit", NULL, &argc, &argv, 1, 1))
        return EXIT_USAGE;
    prov = provisioner_open(opts, &error);
    /* by name or UUID: resolved once, here */
    net = prov ? vw_provisioner_lookup_network(prov, argv[1], NULL, &error) : NULL;
    if (!net)
        return fail(error);
    name = vw_network_get_name(net);
    /* the stored definition: what net-define changes */
    before = vw_provisioner_get_network_xml(prov, name, VW_NETWORK_XML_INACTIVE, NULL, &error);
    if (!before)
        return fail(error);
    fd = g_file_open_tmp("virtwire-XXXXXX.xml", &path, &error);
    if (fd < 0)
        return fail(error);
    close(fd);
    if (!g_file_set_contents(path, before, -1, &error)) {
        error_print(error);
        goto out;
    }
    for (;;) {
        g_autofree char *after = NULL;
        gsize len = 0;

        g_clear_error(&error);
        if (!editor_run(editor, path, &error)) {
            error_print(error);
            goto out;
        }
        after = vw_fs_read(path, VW_XML_MAX_BYTES, TRUE, &len, &error);
        if (after && g_str_equal(after, before)) {
            note(opts, _("Network %s XML configuration not changed.\n"), name);
            rc = EXIT_OK;
            goto out;
        }
        if (after && strlen(after) != len)
            g_set_error(&error, CLI_ERROR, CLI_ERROR_CONFLICT,
                        _("'%s' contains a NUL byte: not an XML document"), path);
        else if (after)
            defined = vw_provisioner_define_network_full(prov, after, &warning, NULL, &error);
        if (defined)
            break;
        error_print(error);
        if (!edit_again_ask())
            goto out;
    }
    /* as net-define: what the parser dropped is named, once */
    if (warning)
        g_printerr(_("warning: %s: %s\n"), path, warning);
    note(opts, _("Network %s XML configuration edited.\n"), vw_network_get_name(defined));
    rc = EXIT_OK;
out:
    g_unlink(path);
    return rc;
}

static int
cmd_net_autostart(GlobalOptions *opts, int argc, char **argv)
{
    gboolean disable = FALSE;
    GOptionEntry entries[] = {
        { "disable", 0, 0, G_OPTION_ARG_NONE, &disable, N_("Do not start it automatically"), NULL },
        { NULL },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(VwProvisioner) prov = NULL;
    g_autoptr(VwNetwork) net = NULL;
    const char *name;

    if (!command_args("net-autostart", entries, &argc, &argv, 1, 1))
        return EXIT_USAGE;
    prov = provisioner_open(opts, &error);
    /* by name or UUID: resolved once, here */
    net = prov ? vw_provisioner_lookup_network(prov, argv[1], NULL, &error) : NULL;
    if (!net)
        return fail(error);
    name = vw_network_get_name(net);
    if (!vw_provisioner_set_network_autostart(prov, name, !disable, NULL, &error))
        return fail(error);
    if (disable)
        note(opts, _("Network %s unmarked as autostarted\n"), name);
    else
        note(opts, _("Network %s marked as autostarted\n"), name);
    return EXIT_OK;
}

static const Column lease_columns[] = {
    { "mac", N_("MAC address") }, { "ipv4", N_("IPv4") },
    { "ipv6", N_("IPv6") },       { "hostname", N_("Hostname") },
    { "domain", N_("Domain") },   { "domain_uuid", N_("Domain UUID") },
    { "static", N_("Static") },   { "stale", N_("Stale") },
};

/*
 * The UUIDs (lower case) of every domain of the connection, running or
 * not, or NULL: without all of them, a domain that exists could look gone.
 */
static GHashTable *
domain_uuids(virConnectPtr conn, const char *uri, GError **error)
{
    g_auto(virError) err = VW_ERROR_INIT;
    g_autoptr(GHashTable) uuids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    virDomainPtr *doms = NULL;
    gboolean ok = TRUE;
    int n;

    n = virConnectListAllDomainsWrapper(conn, &doms, 0, &err);
    if (n < 0) {
        vw_libvirt_error_set(error, &err);
        g_prefix_error(error, _("cannot list the domains of '%s': "), uri);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];

        if (ok && virDomainGetUUIDStringWrapper(doms[i], uuid, &err) < 0) {
            vw_libvirt_error_set(error, &err);
            g_prefix_error(error, _("cannot read the UUID of a domain of '%s': "), uri);
            ok = FALSE;
        }
        if (ok)
            g_hash_table_add(uuids, g_ascii_strdown(uuid, -1));
        virDomainFreeWrapper(doms[i], NULL);
    }
    g_free(doms);
    return ok ? g_steal_pointer(&uuids) : NULL;
}

static int
cmd_net_leases(GlobalOptions *opts, int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VwProvisioner) prov = NULL;
    g_autoptr(VwNetwork) net = NULL;
    g_autoptr(GHashTable) live = NULL;
    g_autoptr(Table) t = table_new(lease_columns, G_N_ELEMENTS(lease_columns));
    GList *leases;

    if (!command_args("net-leases", NULL, &argc, &argv, 1, 1))
        return EXIT_USAGE;
    prov = provisioner_open(opts, &error);
    /* by name or UUID: resolved once, here */
    net = prov ? vw_provisioner_lookup_network(prov, argv[1], NULL, &error) : NULL;
    if (!net)
        return fail(error);
    leases = vw_provisioner_list_leases(prov, vw_network_get_name(net), NULL, &error);
    if (error)
        return fail(error);
    /* Stale: the lease's domain no longer exists (gc releases it).  Unknown
     * ("-", null) when libvirt cannot say which domains exist. */
    if (leases) {
        g_autoptr(virConnect) conn = connection_open(opts, &error);

        if (conn)
            live = domain_uuids(conn, opts->uri, &error);
        if (!live)
            g_printerr(_("warning: %s; which leases are stale is unknown\n"), error->message);
    }
    for (GList *i = leases; i; i = i->next) {
        VwLease *l = i->data;
        const char *domain_uuid = vw_lease_get_domain_uuid(l);
        g_autofree char *uuid = g_ascii_strdown(domain_uuid ? domain_uuid : "", -1);

        table_add_string(t, vw_lease_get_mac(l));
        table_add_string(t, vw_lease_get_ipv4(l));
        table_add_string(t, vw_lease_get_ipv6(l));
        table_add_string(t, vw_lease_get_hostname(l));
        table_add_string(t, vw_lease_get_domain_name(l));
        table_add_string(t, domain_uuid);
        table_add_bool(t, vw_lease_get_static(l));
        if (live)
            table_add_bool(t, !g_hash_table_contains(live, uuid));
        else
            table_add_string(t, NULL);
    }
    g_list_free_full(leases, g_object_unref);
    output_print(opts, t, OUTPUT_LIST);
    return EXIT_OK;
}

/* ------------------------------------------------------------ DHCP leases */

/* As virsh net-dhcp-leases; "expiry" (seconds since the epoch) is JSON's only. */
static const Column dhcp_lease_columns[] = {
    { "expiry_time", N_("Expiry Time") },
    { "expiry", NULL },
    { "mac", N_("MAC address") },
    { "protocol", N_("Protocol") },
    { "address", N_("IP address") },
    { "hostname", N_("Hostname") },
    { "client_id", N_("Client ID or DUID") },
};

static int
cmd_net_dhcp_leases(GlobalOptions *opts, int argc, char **argv)
{
    g_autofree char *mac_option = NULL;
    GOptionEntry entries[] = {
        { "mac", 0, 0, G_OPTION_ARG_STRING, &mac_option,
          N_("Only the leases of this MAC address"), N_("MAC") },
        { NULL },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(VwProvisioner) prov = NULL;
    g_autoptr(VwNetwork) network = NULL;
    g_autoptr(Table) t = table_new(dhcp_lease_columns, G_N_ELEMENTS(dhcp_lease_columns));
    const char *mac;
    GList *leases;

    if (!command_args("net-dhcp-leases", entries, &argc, &argv, 1, 2))
        return EXIT_USAGE;
    if (argc > 2 && mac_option) {
        g_printerr(_("error: %s: unexpected argument '%s'\n"), "net-dhcp-leases", argv[2]);
        return EXIT_USAGE;
    }
    mac = argc > 2 ? argv[2] : mac_option;
    prov = provisioner_open(opts, &error);
    if (!prov)
        return fail(error);
    /* by name or UUID: resolved once, here */
    network = vw_provisioner_lookup_network(prov, argv[1], NULL, &error);
    if (!network)
        return fail(error);
    leases = vw_provisioner_list_dhcp_leases(prov, vw_network_get_name(network), mac, NULL,
                                             &error);
    if (error)
        return fail(error);
    for (GList *l = leases; l; l = l->next) {
        VwDhcpLease *lease = l->data;
        gint64 expiry = vw_dhcp_lease_get_expiry_time(lease);
        g_autoptr(GDateTime) when = expiry ? g_date_time_new_from_unix_local(expiry) : NULL;
        g_autofree char *text = when ? g_date_time_format(when, "%Y-%m-%d %H:%M:%S") : NULL;
        g_autofree char *address = g_strdup_printf("%s/%u", vw_dhcp_lease_get_address(lease),
                                                   vw_dhcp_lease_get_prefix(lease));

        /* 0: a lease that never expires (an infinite lease time). */
        if (text)
            table_add_string(t, text);
        else
            table_add_cell(t, g_strdup(_("never")), g_strdup("null"));
        table_add_uint(t, (guint64)expiry);
        table_add_string(t, vw_dhcp_lease_get_mac(lease));
        table_add_string(t, vw_dhcp_lease_get_protocol(lease));
        table_add_string(t, address);
        table_add_string(t, vw_dhcp_lease_get_hostname(lease));
        table_add_string(t, vw_dhcp_lease_get_client_id(lease));
    }
    g_list_free_full(leases, (GDestroyNotify)vw_dhcp_lease_unref);
    output_print(opts, t, OUTPUT_LIST);
    return EXIT_OK;
}

/* ------------------------------------------------------------ ports */

static const Column port_columns[] = {
    { "network", N_("Network") }, { "domain", N_("Domain") },
    { "mac", N_("MAC address") }, { "tap", N_("Tap") },
    { "ipv4", N_("IPv4") },       { "ipv6", N_("IPv6") },
    { "state", N_("State") },     { "domain_uuid", N_("Domain UUID") },
    { "host", N_("Host veth") },  { "peer", N_("Bridge veth") },
    { "queues", N_("Queues") },
};

static const char *
port_state_word(VwPortState state)
{
    switch (state) {
    case VW_PORT_STATE_PLUGGED:
        return N_("plugged");
    case VW_PORT_STATE_PLUGGING:
        return N_("plugging");
    case VW_PORT_STATE_UNPLUGGING:
        return N_("unplugging");
    case VW_PORT_STATE_UNPLUGGED:
    default:
        return N_("unplugged");
    }
}

static int
cmd_port_list(GlobalOptions *opts, int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VwProvisioner) prov = NULL;
    g_autoptr(VwNetwork) network = NULL;
    g_autoptr(Table) t = table_new(port_columns, G_N_ELEMENTS(port_columns));
    GList *ports;

    if (!command_args("port-list", NULL, &argc, &argv, 0, 1))
        return EXIT_USAGE;
    prov = provisioner_open(opts, &error);
    if (!prov)
        return fail(error);
    if (argc > 1) {
        /* by name or UUID; a network that does not exist is an error, not
         * an empty list */
        network = vw_provisioner_lookup_network(prov, argv[1], NULL, &error);
        if (!network)
            return fail(error);
    }
    ports = vw_provisioner_list_ports(prov, network ? vw_network_get_name(network) : NULL, NULL,
                                      &error);
    if (error)
        return fail(error);
    for (GList *l = ports; l; l = l->next) {
        VwPort *p = l->data;

        table_add_string(t, vw_port_get_network(p));
        table_add_string(t, vw_port_get_domain_name(p));
        table_add_string(t, vw_port_get_mac(p));
        table_add_string(t, vw_port_get_tap(p));
        table_add_string(t, vw_port_get_ipv4(p));
        table_add_string(t, vw_port_get_ipv6(p));
        table_add_word(t, port_state_word(vw_port_get_state(p)));
        table_add_string(t, vw_port_get_domain_uuid(p));
        table_add_string(t, vw_port_get_host(p));
        table_add_string(t, vw_port_get_peer(p));
        table_add_uint(t, MAX(vw_port_get_queues(p), 1));
    }
    g_list_free_full(ports, g_object_unref);
    output_print(opts, t, OUTPUT_LIST);
    return EXIT_OK;
}

/* ------------------------------------------------------------ domain interfaces */

/*
 * attach-interface and detach-interface are clients of the public API
 * (vw_provisioner_attach_interface / _detach_interface), as virsh is of
 * libvirt: the flow, its checks and its messages are src/domif's.  Here:
 * the options, virsh's --current/--live/--config/--persistent, and what is
 * printed.
 */

/*
 * virsh's flags: --current (the default) is the domain's current state and
 * cannot be mixed with --live, --config or --persistent; --persistent is
 * the running domain and its definition, or the definition when shut off.
 */
static gboolean
interface_flags(const char *verb, gboolean current, gboolean live, gboolean config,
                gboolean persistent, VwInterfaceFlags *flags)
{
    if (current && (live || config || persistent)) {
        g_printerr(_("error: %s: --current cannot be combined with --live, --config or "
                     "--persistent\n"),
                   verb);
        return FALSE;
    }
    *flags = (live ? VW_INTERFACE_LIVE : 0) | (config ? VW_INTERFACE_CONFIG : 0) |
             (persistent ? VW_INTERFACE_PERSISTENT : 0);
    return TRUE;
}

/* Print the domain's XML for --print-domain: the live one when @live and
 * the domain runs, else its persistent definition.  Read on the
 * provisioner's own connection: a test:///FILE driver is one per
 * connection, and a new one would not see the change. */
static int
domain_print(VwProvisioner *prov, const char *label, gboolean live)
{
    g_auto(virError) err = VW_ERROR_INIT;
    g_autoptr(GError) error = NULL;
    virConnectPtr conn = vw_prov_connection(prov, &error);
    g_autoptr(virDomain) dom = NULL;
    char *xml;

    if (!conn)
        return fail(error);
    dom = vw_uuid_check(label, NULL) ? virDomainLookupByUUIDStringWrapper(conn, label, &err)
                                     : virDomainLookupByNameWrapper(conn, label, &err);
    if (!dom)
        return fail_libvirt(&err);
    live = live && virDomainIsActiveWrapper(dom, NULL) == 1;
    xml = virDomainGetXMLDescWrapper(dom, live ? 0 : VIR_DOMAIN_XML_INACTIVE, &err);
    if (!xml)
        return fail_libvirt(&err);
    fputs(xml, stdout);
    if (!g_str_has_suffix(xml, "\n"))
        fputc('\n', stdout);
    free(xml); /* libvirt's allocation */
    return EXIT_OK;
}

#define INTERFACE_FLAG_ENTRIES(current, live, config, persistent)                                 \
    { "current", 0, 0, G_OPTION_ARG_NONE, current,                                              \
      N_("Affect the domain as it is now: running, live only; shut off, its definition "         \
         "(the default)"),                                                                       \
      NULL },                                                                                    \
        { "live", 0, 0, G_OPTION_ARG_NONE, live,                                                 \
          N_("Affect the running domain (an error when it is not running)"), NULL },             \
        { "config", 0, 0, G_OPTION_ARG_NONE, config,                                             \
          N_("Affect the persistent definition (a running domain: from its next boot)"), NULL }, \
        { "persistent", 0, 0, G_OPTION_ARG_NONE, persistent,                                     \
          N_("Affect the running domain and its definition (shut off: the definition)"), NULL }

static int
cmd_attach_interface(GlobalOptions *opts, int argc, char **argv)
{
    g_autofree char *mac = NULL;
    g_autofree char *model = NULL;
    g_autofree char *queues_arg = NULL;
    gboolean current = FALSE, live = FALSE, config = FALSE, persistent = FALSE;
    gboolean print_domain = FALSE;
    GOptionEntry entries[] = {
        { "mac", 0, 0, G_OPTION_ARG_STRING, &mac, N_("MAC address of the new NIC"), "MAC" },
        { "model", 0, 0, G_OPTION_ARG_STRING, &model, N_("NIC model (default virtio)"), "MODEL" },
        { "queues", 0, 0, G_OPTION_ARG_STRING, &queues_arg, N_("Number of queues"), "N" },
        INTERFACE_FLAG_ENTRIES(&current, &live, &config, &persistent),
        { "print-domain", 0, 0, G_OPTION_ARG_NONE, &print_domain,
          N_("Print the resulting domain XML"), NULL },
        { NULL },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(VwProvisioner) prov = NULL;
    g_autoptr(VwPort) port = NULL;
    VwInterfaceFlags flags;
    guint64 queues = 0;

    if (!command_args("attach-interface", entries, &argc, &argv, 2, 2) ||
        !interface_flags("attach-interface", current, live, config, persistent, &flags))
        return EXIT_USAGE;
    /* the limit is the API's; here only what is not a number at all */
    if (queues_arg && !g_ascii_string_to_unsigned(queues_arg, 10, 0, G_MAXUINT, &queues, &error)) {
        g_printerr(_("error: attach-interface: --queues: %s\n"), error->message);
        return EXIT_USAGE;
    }
    prov = provisioner_open(opts, &error);
    if (!prov)
        return fail(error);
    port = vw_provisioner_attach_interface(prov, argv[1], argv[2], mac, model, (guint)queues, flags,
                                           NULL, &error);
    if (!port)
        return fail(error);
    if (print_domain)
        return domain_print(prov, argv[1], vw_port_get_state(port) != VW_PORT_STATE_UNPLUGGED);
    g_print(_("Interface %s (tap %s) attached to domain %s on network %s\n"),
            vw_port_get_mac(port), vw_port_get_tap(port), argv[1], argv[2]);
    return EXIT_OK;
}

static int
cmd_detach_interface(GlobalOptions *opts, int argc, char **argv)
{
    g_autofree char *mac = NULL;
    gboolean current = FALSE, live = FALSE, config = FALSE, persistent = FALSE;
    gboolean print_domain = FALSE;
    GOptionEntry entries[] = {
        { "mac", 0, 0, G_OPTION_ARG_STRING, &mac, N_("MAC address of the NIC"), "MAC" },
        INTERFACE_FLAG_ENTRIES(&current, &live, &config, &persistent),
        { "print-domain", 0, 0, G_OPTION_ARG_NONE, &print_domain,
          N_("Print the resulting domain XML"), NULL },
        { NULL },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(VwProvisioner) prov = NULL;
    VwInterfaceFlags flags;

    if (!command_args("detach-interface", entries, &argc, &argv, 1, 1) ||
        !interface_flags("detach-interface", current, live, config, persistent, &flags))
        return EXIT_USAGE;
    if (!mac) {
        g_printerr(_("error: detach-interface: --mac MAC is required\n"));
        return EXIT_USAGE;
    }
    prov = provisioner_open(opts, &error);
    if (!prov)
        return fail(error);
    if (!vw_provisioner_detach_interface(prov, argv[1], mac, flags, NULL, &error))
        return fail(error);
    if (print_domain)
        return domain_print(prov, argv[1], flags != VW_INTERFACE_CONFIG);
    g_print(_("Interface %s detached from domain %s\n"), mac, argv[1]);
    return EXIT_OK;
}

/* ------------------------------------------------------------ hook */

/* Where the installed hook is: next to this program, else libexecdir. */
static char *
hook_exe_find(GError **error)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
    const char *candidates[] = {
        dir,
        VW_LIBEXECDIR,
        VW_BINDIR,
    };

    for (gsize i = 0; i < G_N_ELEMENTS(candidates); i++) {
        g_autofree char *path = NULL;
        if (!candidates[i])
            continue;
        path = g_build_filename(candidates[i], HOOK_EXE, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_EXECUTABLE) && !g_file_test(path, G_FILE_TEST_IS_DIR))
            return g_steal_pointer(&path);
    }
    g_set_error(error, CLI_ERROR, CLI_ERROR_NOT_FOUND,
                _("cannot find '%s' next to this program nor in '%s'; give its path with "
                  "--hook PATH"),
                HOOK_EXE, VW_LIBEXECDIR);
    return NULL;
}

/*
 * libvirt runs the executables of qemu.d/ since 6.5.0.  The daemon's
 * version counts when it can be reached, else the library's.
 */
static gboolean
hook_libvirt_check(const GlobalOptions *opts, GError **error)
{
    g_auto(virError) err = VW_ERROR_INIT;
    g_autoptr(virConnect) conn = virConnectOpenWrapper(opts->uri, NULL);
    unsigned long ver = 0;

    if (conn) {
        if (virConnectGetLibVersionWrapper(conn, &ver, &err) < 0)
            return vw_libvirt_error_set(error, &err);
    } else if (virGetVersionWrapper(&ver, NULL, NULL, &err) < 0) {
        return vw_libvirt_error_set(error, &err);
    }
    if (ver < HOOK_LIBVIRT_MIN) {
        g_set_error(error, CLI_ERROR, CLI_ERROR_UNSUPPORTED,
                    _("libvirt %lu.%lu.%lu does not run the hooks of '%s'; it needs libvirt "
                      "6.5.0 or newer"),
                    ver / 1000000, ver / 1000 % 1000, ver % 1000, HOOKS_DIR_DEFAULT);
        return FALSE;
    }
    return TRUE;
}

/* Whether @path is a link made by hook-install (it points at a virtwire-hook). */
static gboolean
hook_is_ours(const char *path)
{
    g_autofree char *target = g_file_read_link(path, NULL);
    g_autofree char *base = target ? g_path_get_basename(target) : NULL;

    return base && g_str_equal(base, HOOK_EXE);
}

/* Symbolic links followed in one path at most, as the kernel's MAXSYMLINKS. */
#define HOOK_PATH_LINKS_MAX 40

/* @st (of @path) is owned by root and writable by nobody else. */
static gboolean
hook_path_entry_check(const char *path, const struct stat *st, GError **error)
{
    if (st->st_uid != 0) {
        g_set_error(error, CLI_ERROR, CLI_ERROR_UNSAFE,
                    _("cannot install the hook: '%s' is owned by user %u, not by root, and "
                      "libvirtd runs the hook as root"),
                    path, (unsigned)st->st_uid);
        return FALSE;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        g_set_error(error, CLI_ERROR, CLI_ERROR_UNSAFE,
                    _("cannot install the hook: '%s' is writable by group or others (mode %04o), "
                      "and libvirtd runs the hook as root"),
                    path, (unsigned)(st->st_mode & 07777));
        return FALSE;
    }
    return TRUE;
}

/*
 * Walk @path from @cur (a folder already checked; it becomes the folder
 * reached) as the kernel resolves it, checking every folder and file on the
 * way with hook_path_entry_check(); a symbolic link's target is walked the
 * same way, and ".." goes up from the folder reached (after the links), as
 * in the kernel.  A part that does not exist ends the walk with *@missing set.
 */
static gboolean
hook_path_walk(GString *cur, const char *path, guint *links, gboolean *missing, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);

    if (path[0] == '/')
        g_string_assign(cur, "/");
    for (gsize i = 0; parts[i]; i++) {
        const char *part = parts[i];
        g_autofree char *next = NULL;
        struct stat st;

        if (!*part || g_str_equal(part, "."))
            continue;
        if (g_str_equal(part, "..")) {
            g_autofree char *up = g_path_get_dirname(cur->str);

            g_string_assign(cur, up);
            continue;
        }
        next = g_build_filename(cur->str, part, NULL);
        if (lstat(next, &st) < 0) {
            int errsv = errno;

            if (errsv == ENOENT) {
                *missing = TRUE;
                return TRUE;
            }
            g_set_error(error, CLI_ERROR, CLI_ERROR_NOT_FOUND, _("cannot read '%s': %s"), next,
                        g_strerror(errsv));
            return FALSE;
        }
        if (S_ISLNK(st.st_mode)) {
            g_autofree char *target = NULL;
            g_autoptr(GError) local = NULL;

            if (++*links > HOOK_PATH_LINKS_MAX) {
                g_set_error(error, CLI_ERROR, CLI_ERROR_NOT_FOUND, _("cannot read '%s': %s"), next,
                            g_strerror(ELOOP));
                return FALSE;
            }
            target = g_file_read_link(next, &local);
            if (!target) {
                g_set_error_literal(error, CLI_ERROR, CLI_ERROR_NOT_FOUND, local->message);
                return FALSE;
            }
            if (!hook_path_walk(cur, target, links, missing, error))
                return FALSE;
            if (*missing)
                return TRUE;
            continue;
        }
        if (!hook_path_entry_check(next, &st, error))
            return FALSE;
        g_string_assign(cur, next);
    }
    return TRUE;
}

/*
 * @path made absolute (relative to the working folder) without touching its
 * "." and ".." parts: "/a/link/../b" is "/a/link"'s target's parent's "b" to
 * the kernel, not "/a/b", so only a walk through the links may resolve them.
 */
static char *
hook_path_absolute(const char *path)
{
    g_autofree char *cwd = NULL;

    if (g_path_is_absolute(path))
        return g_strdup(path);
    cwd = g_get_current_dir();
    return g_build_filename(cwd, path, NULL);
}

/*
 * libvirtd runs the hook as root: whoever may change the hook, or any folder
 * on the way to it, may run anything as root.  Check that "/", every folder
 * on the way to @path (through symbolic links) and @path itself are owned by
 * root and writable by nobody else.  When @missing_ok, a tail of @path that
 * does not exist yet passes (hook-install makes it, as root, mode 0755).
 */
static gboolean
hook_path_trusted(const char *path, gboolean missing_ok, GError **error)
{
    g_autoptr(GString) cur = g_string_new("/");
    g_autofree char *abs = hook_path_absolute(path);
    gboolean missing = FALSE;
    guint links = 0;
    struct stat st;

    if (stat("/", &st) < 0) {
        int errsv = errno;

        g_set_error(error, CLI_ERROR, CLI_ERROR_NOT_FOUND, _("cannot read '%s': %s"), "/",
                    g_strerror(errsv));
        return FALSE;
    }
    if (!hook_path_entry_check("/", &st, error) ||
        !hook_path_walk(cur, abs, &links, &missing, error))
        return FALSE;
    if (missing && !missing_ok) {
        g_set_error(error, CLI_ERROR, CLI_ERROR_NOT_FOUND, _("cannot read '%s': %s"), path,
                    g_strerror(ENOENT));
        return FALSE;
    }
    return TRUE;
}

static int
cmd_hook_install(GlobalOptions *opts, int argc, char **argv)
{
    g_autofree char *hooks_dir = NULL;
    g_autofree char *hook = NULL;
    GOptionEntry entries[] = {
        { "hooks-dir", 0, 0, G_OPTION_ARG_FILENAME, &hooks_dir,
          N_("Directory of libvirt's qemu hooks"), "DIR" },
        { "hook", 0, 0, G_OPTION_ARG_FILENAME, &hook, N_("Path of virtwire-hook"), "PATH" },
        { NULL },
    };
    g_autoptr(GError) error = NULL;
    g_autofree char *link = NULL;
    g_autofree char *abs_hook = NULL;
    struct stat st;

    if (!command_args("hook-install", entries, &argc, &argv, 0, 0))
        return EXIT_USAGE;
    if (!hooks_dir)
        hooks_dir = g_strdup(HOOKS_DIR_DEFAULT);
    if (!hook_libvirt_check(opts, &error))
        return fail(error);
    if (!hook) {
        hook = hook_exe_find(&error);
        if (!hook)
            return fail(error);
    }
    abs_hook = hook_path_absolute(hook);
    if (!g_file_test(abs_hook, G_FILE_TEST_IS_EXECUTABLE) ||
        g_file_test(abs_hook, G_FILE_TEST_IS_DIR)) {
        g_printerr(_("error: hook '%s' is not an executable file\n"), abs_hook);
        return EXIT_FAIL;
    }
    /* Nothing is touched before the hook and the folders are known safe. */
    if (!hook_path_trusted(abs_hook, FALSE, &error) || !hook_path_trusted(hooks_dir, TRUE, &error))
        return fail(error);
    link = g_build_filename(hooks_dir, HOOK_NAME, NULL);
    if (lstat(link, &st) == 0) {
        if (!S_ISLNK(st.st_mode) || !hook_is_ours(link)) {
            g_printerr(_("error: '%s' exists and was not installed by virtwire; remove it "
                         "first\n"),
                       link);
            return EXIT_FAIL;
        }
        if (g_unlink(link) < 0) {
            int e = errno;
            g_printerr(_("error: cannot remove '%s': %s\n"), link, g_strerror(e));
            return EXIT_FAIL;
        }
    }
    if (g_mkdir_with_parents(hooks_dir, 0755) < 0) {
        int e = errno;
        g_printerr(_("error: cannot create directory '%s': %s\n"), hooks_dir, g_strerror(e));
        return EXIT_FAIL;
    }
    /* The folders just made are root's when we are root; else refused here. */
    if (!hook_path_trusted(hooks_dir, FALSE, &error))
        return fail(error);
    if (symlink(abs_hook, link) < 0) {
        int e = errno;
        g_printerr(_("error: cannot link '%s' to '%s': %s\n"), link, abs_hook, g_strerror(e));
        return EXIT_FAIL;
    }
    note(opts, _("Hook installed: %s -> %s\n"), link, abs_hook);
    note(opts, _("libvirtd runs a new hook only after it is restarted "
                 "(systemctl restart libvirtd).\n"));
    return EXIT_OK;
}

static int
cmd_hook_uninstall(GlobalOptions *opts, int argc, char **argv)
{
    g_autofree char *hooks_dir = NULL;
    GOptionEntry entries[] = {
        { "hooks-dir", 0, 0, G_OPTION_ARG_FILENAME, &hooks_dir,
          N_("Directory of libvirt's qemu hooks"), "DIR" },
        { NULL },
    };
    g_autofree char *link = NULL;
    struct stat st;

    if (!command_args("hook-uninstall", entries, &argc, &argv, 0, 0))
        return EXIT_USAGE;
    link = g_build_filename(hooks_dir ? hooks_dir : HOOKS_DIR_DEFAULT, HOOK_NAME, NULL);
    if (lstat(link, &st) < 0) {
        int e = errno;
        if (e != ENOENT) {
            g_printerr(_("error: cannot read '%s': %s\n"), link, g_strerror(e));
            return EXIT_FAIL;
        }
        g_print(_("Hook %s is not installed\n"), link);
        return EXIT_OK;
    }
    if (!S_ISLNK(st.st_mode) || !hook_is_ours(link)) {
        g_printerr(_("error: '%s' was not installed by virtwire; left alone\n"), link);
        return EXIT_FAIL;
    }
    if (g_unlink(link) < 0) {
        int e = errno;
        g_printerr(_("error: cannot remove '%s': %s\n"), link, g_strerror(e));
        return EXIT_FAIL;
    }
    note(opts, _("Hook removed: %s\n"), link);
    note(opts, _("libvirtd stops running it only after it is restarted "
                 "(systemctl restart libvirtd).\n"));
    return EXIT_OK;
}

/* ------------------------------------------------------------ domiflist */

static const Column domiflist_columns[] = {
    { "domain", N_("Domain") },   { "interface", N_("Interface") }, { "type", N_("Type") },
    { "network", N_("Network") }, { "model", N_("Model") },         { "mac", N_("MAC") },
    { "ipv4", N_("IPv4") },       { "ipv6", N_("IPv6") },           { "plugged", N_("Plugged") },
};

/* The lease of (@uuid, @mac) on @network, or NULL; @cache keeps each list. */
static VwLease *
domiflist_lease(VwProvisioner *prov, GHashTable *cache, const char *network, const char *uuid,
                const char *mac)
{
    GList *leases = g_hash_table_lookup(cache, network);

    if (!leases && !g_hash_table_contains(cache, network)) {
        /* a network that no longer exists has no lease */
        leases = vw_provisioner_list_leases(prov, network, NULL, NULL);
        g_hash_table_insert(cache, g_strdup(network), leases);
    }
    for (GList *l = leases; l; l = l->next) {
        const char *lease_uuid = vw_lease_get_domain_uuid(l->data);
        const char *lease_mac = vw_lease_get_mac(l->data);

        if (g_ascii_strcasecmp(lease_uuid ? lease_uuid : "", uuid) == 0 &&
            g_ascii_strcasecmp(lease_mac ? lease_mac : "", mac) == 0)
            return l->data;
    }
    return NULL;
}

/* GDestroyNotify of a GList of objects. */
static void
object_list_free(gpointer list)
{
    g_list_free_full(list, g_object_unref);
}

/* One row per virtwire NIC of @dom (its running definition, else its stored one). */
static gboolean
domiflist_domain(VwProvisioner *prov, virDomainPtr dom, GList *ports, GHashTable *leases, Table *t,
                 GError **error)
{
    g_auto(virError) err = VW_ERROR_INIT;
    g_autofree char *xml = virDomainGetXMLDescWrapper(dom, 0, &err);
    g_autoptr(VwDomInfo) info = NULL;

    if (!xml)
        return vw_libvirt_error_set(error, &err);
    info = vw_dominfo_parse(xml, -1, error);
    if (!info)
        return FALSE;
    for (guint i = 0; info->ifaces && i < info->ifaces->len; i++) {
        const VwDomIface *nic = g_ptr_array_index(info->ifaces, i);
        VwPort *port = NULL;
        VwLease *lease = NULL;
        const char *ipv4 = NULL;
        const char *ipv6 = NULL;

        if (!nic->network || !nic->mac)
            continue; /* not a virtwire NIC */
        for (GList *l = ports; l; l = l->next) {
            const char *port_uuid = vw_port_get_domain_uuid(l->data);
            const char *port_mac = vw_port_get_mac(l->data);

            if (g_ascii_strcasecmp(port_uuid ? port_uuid : "", info->uuid) == 0 &&
                g_ascii_strcasecmp(port_mac ? port_mac : "", nic->mac) == 0)
                port = l->data;
        }
        if (port) {
            ipv4 = vw_port_get_ipv4(port);
            ipv6 = vw_port_get_ipv6(port);
        } else if ((lease = domiflist_lease(prov, leases, nic->network, info->uuid, nic->mac))) {
            ipv4 = vw_lease_get_ipv4(lease);
            ipv6 = vw_lease_get_ipv6(lease);
        }
        table_add_string(t, info->name);
        table_add_string(t, nic->target_dev);
        table_add_string(t, nic->type);
        table_add_string(t, nic->network);
        table_add_string(t, nic->model);
        table_add_string(t, nic->mac);
        table_add_string(t, ipv4);
        table_add_string(t, ipv6);
        table_add_bool(t, port && vw_port_get_state(port) == VW_PORT_STATE_PLUGGED);
    }
    return TRUE;
}

/* A domain by name, UUID or id, as virsh takes it. */
static virDomainPtr
domiflist_lookup(virConnectPtr conn, const char *name, GError **error)
{
    g_auto(virError) err = VW_ERROR_INIT;
    virDomainPtr dom = virDomainLookupByNameWrapper(conn, name, &err);
    guint64 id = 0;

    if (!dom && g_uuid_string_is_valid(name))
        dom = virDomainLookupByUUIDStringWrapper(conn, name, &err);
    if (!dom && g_ascii_string_to_unsigned(name, 10, 0, G_MAXINT, &id, NULL))
        dom = virDomainLookupByIDWrapper(conn, (int)id, &err);
    if (dom)
        return dom;
    /* libvirt's own trouble (the connection, a permission) is its answer */
    if (err.code != VIR_ERR_NO_DOMAIN) {
        vw_libvirt_error_set(error, &err);
        g_prefix_error(error, _("cannot look up domain '%s': "), name);
        return NULL;
    }
    g_set_error(error, CLI_ERROR, CLI_ERROR_NOT_FOUND,
                _("no domain has the name, UUID or id '%s'"), name);
    return NULL;
}

static int
cmd_domiflist(GlobalOptions *opts, int argc, char **argv)
{
    g_auto(virError) err = VW_ERROR_INIT;
    g_autoptr(GError) error = NULL;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(VwProvisioner) prov = NULL;
    g_autoptr(GHashTable) leases =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, object_list_free);
    g_autoptr(Table) t = table_new(domiflist_columns, G_N_ELEMENTS(domiflist_columns));
    g_autolist(VwPort) ports = NULL;
    gboolean ok = TRUE;

    if (!command_args("domiflist", NULL, &argc, &argv, 0, 1))
        return EXIT_USAGE;
    prov = provisioner_open(opts, &error);
    if (!prov)
        return fail(error);
    ports = vw_provisioner_list_ports(prov, NULL, NULL, &error);
    if (error)
        return fail(error);
    conn = connection_open(opts, &error);
    if (!conn)
        return fail(error);
    if (argc > 1) {
        g_autoptr(virDomain) dom = domiflist_lookup(conn, argv[1], &error);

        ok = dom && domiflist_domain(prov, dom, ports, leases, t, &error);
    } else {
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomainsWrapper(conn, &doms, 0, &err);

        if (n < 0)
            return fail_libvirt(&err);
        for (int i = 0; i < n; i++) {
            g_autoptr(virDomain) dom = doms[i];

            ok = ok && domiflist_domain(prov, dom, ports, leases, t, &error);
        }
        g_free(doms);
    }
    if (!ok)
        return fail(error);
    output_print(opts, t, OUTPUT_LIST);
    return EXIT_OK;
}

/* ------------------------------------------------------------ gc */

static const Column gc_columns[] = {
    { "networks_repaired", N_("Networks repaired") },
    { "networks_finished", N_("Networks finished") },
    { "ports_repaired", N_("Ports repaired") },
    { "ports_rolled_back", N_("Ports rolled back") },
    { "ports_collected", N_("Ports collected") },
    { "links_collected", N_("Links collected") },
    { "netns_collected", N_("Namespaces collected") },
    { "dnsmasq_collected", N_("dnsmasq collected") },
    { "nft_collected", N_("nftables tables collected") },
    { "cgroups_collected", N_("Partitions collected") },
    { "leases_collected", N_("Leases collected") },
};

static int
cmd_gc(GlobalOptions *opts, int argc, char **argv)
{
    g_auto(virError) err = VW_ERROR_INIT;
    g_autoptr(GError) error = NULL;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(VwEngine) engine = NULL;
    g_autoptr(GPtrArray) uuids = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(Table) t = table_new(gc_columns, G_N_ELEMENTS(gc_columns));
    VwReconcileReport report = { 0 };
    virDomainPtr *doms = NULL;
    gboolean ok;
    int n;

    if (!command_args("gc", NULL, &argc, &argv, 0, 0))
        return EXIT_USAGE;
    /* without the list of domains, every port would look leaked */
    conn = connection_open(opts, &error);
    if (!conn) {
        g_printerr(_("error: %s; no port was collected\n"), error->message);
        return EXIT_FAIL;
    }
    n = virConnectListAllDomainsWrapper(conn, &doms, 0, &err);
    if (n < 0) {
        vw_libvirt_error_set(&error, &err);
        g_printerr(_("error: cannot list the domains of '%s': %s; no port was collected\n"),
                   opts->uri, error->message);
        return EXIT_FAIL;
    }
    for (int i = 0; i < n; i++) {
        g_autoptr(virDomain) dom = doms[i];
        char uuid[VIR_UUID_STRING_BUFLEN];
        if (virDomainGetUUIDStringWrapper(dom, uuid, &err) < 0) {
            for (int j = i + 1; j < n; j++)
                virDomainFreeWrapper(doms[j], NULL);
            g_free(doms);
            g_printerr(_("error: cannot read the UUID of a domain of '%s'; no port was "
                         "collected\n"),
                       opts->uri);
            return EXIT_FAIL;
        }
        g_ptr_array_add(uuids, g_ascii_strdown(uuid, -1));
    }
    g_free(doms);
    g_ptr_array_add(uuids, NULL);

    engine = engine_open(opts, &error);
    if (!engine)
        return fail(error);
    ok = vw_engine_reconcile(engine, (const char *const *)uuids->pdata, &report, &error);
    table_add_uint(t, report.networks_repaired);
    table_add_uint(t, report.networks_finished);
    table_add_uint(t, report.ports_repaired);
    table_add_uint(t, report.ports_rolled_back);
    table_add_uint(t, report.ports_collected);
    table_add_uint(t, report.links_collected);
    table_add_uint(t, report.netns_collected);
    table_add_uint(t, report.dnsmasq_collected);
    table_add_uint(t, report.nft_collected);
    table_add_uint(t, report.cgroups_collected);
    table_add_uint(t, report.leases_collected);
    output_print(opts, t, OUTPUT_RECORD);
    return ok ? EXIT_OK : fail(error);
}

/* ------------------------------------------------------------ dispatch */

/* `virtwire agent`: see vw-cmd-agent.c. */
static int
cmd_agent(GlobalOptions *opts, int argc, char **argv)
{
    /* -c and -r are the global options: NULL URI = libvirt's default. */
    if (!command_args("agent", NULL, &argc, &argv, 0, 0))
        return EXIT_USAGE;
    return vw_cmd_agent(opts->uri, opts->root, argc, argv);
}

static const Command commands[] = {
    { "agent", cmd_agent, "[--root DIR] [-c URI]",
      N_("Keep the ports in step with the domains until SIGINT or SIGTERM") },
    { "attach-interface", cmd_attach_interface,
      "DOMAIN NETWORK [--mac MAC] [--model MODEL] [--queues N] [--current] [--live] "
      "[--config] [--persistent] [--print-domain]",
      N_("Give a domain a NIC on a guest network") },
    { "detach-interface", cmd_detach_interface,
      "DOMAIN --mac MAC [--current] [--live] [--config] [--persistent] [--print-domain]",
      N_("Remove a domain's NIC from its guest network and free its lease") },
    { "domiflist", cmd_domiflist, "[DOMAIN]",
      N_("List the virtwire NICs of every domain, running or not, or of one") },
    { "gc", cmd_gc, "", N_("Repair networks and ports, collect what no domain uses") },
    { "help", cmd_help, "[COMMAND]", N_("Show the commands, or the usage of one") },
    { "hook-install", cmd_hook_install, "[--hooks-dir DIR] [--hook PATH]",
      N_("Install virtwire-hook as a libvirt qemu hook") },
    { "hook-uninstall", cmd_hook_uninstall, "[--hooks-dir DIR]",
      N_("Remove the libvirt qemu hook") },
    { "list", cmd_list, "[--all]", N_("List the domains of the hypervisor") },
    { "net-autostart", cmd_net_autostart, "NETWORK [--disable]",
      N_("Start a network automatically, or not") },
    { "net-define", cmd_net_define, "FILE", N_("Define a guest network from an XML file") },
    { "net-destroy", cmd_net_destroy, "NETWORK [--force]",
      N_("Stop a guest network (refused while ports are plugged, unless --force)") },
    { "net-dhcp-leases", cmd_net_dhcp_leases, "NETWORK [[--mac] MAC]",
      N_("List the addresses a guest network's DHCP server handed out") },
    { "net-dumpxml", cmd_net_dumpxml, "NETWORK [--inactive]",
      N_("Print a guest network's definition (the one it runs with, unless --inactive)") },
    { "net-edit", cmd_net_edit, "NETWORK",
      N_("Edit a guest network's definition with $VISUAL or $EDITOR") },
    { "net-info", cmd_net_info, "NETWORK", N_("Show a guest network") },
    { "net-leases", cmd_net_leases, "NETWORK", N_("List a guest network's leases") },
    { "net-list", cmd_net_list,
      "[--all | --inactive] [--persistent] [--transient] [--autostart] [--no-autostart] "
      "[--uuid] [--name]",
      N_("List the guest networks (the active ones unless --all)") },
    { "net-start", cmd_net_start, "NETWORK", N_("Start a defined guest network") },
    { "net-undefine", cmd_net_undefine, "NETWORK",
      N_("Remove an inactive guest network's definition and leases") },
    { "port-list", cmd_port_list, "[NETWORK]", N_("List the plugged ports") },
    { "version", cmd_version, "", N_("Show the versions of virtwire and libvirt") },
};

static const Command *
command_find(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (g_str_equal(commands[i].name, name))
            return &commands[i];
    }
    return NULL;
}

static void
usage_print(FILE *out)
{
    fprintf(out, "%s",
            _("Usage: virtwire [OPTION...] COMMAND [ARG...]\n\n"
              "Options:\n"
              "  -c, --connect=URI   libvirt connection URI (default: libvirt's own, "
              "$LIBVIRT_DEFAULT_URI or uri_default)\n"
              "  -r, --root=DIR      root of virtwire's state (default: $VIRTWIRE_ROOT, else /)\n"
              "  --json              print listings as JSON\n"
              "  -q, --quiet         do not print what a command did\n"
              "  -v, --version       show the versions of virtwire and libvirt\n"
              "Global options are accepted before or after the command; "
              "'virtwire help COMMAND' or 'virtwire COMMAND --help' shows a command's "
              "options.\n\n"
              "Commands:\n"));
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(out, "  %-17s %s\n", commands[i].name, _(commands[i].summary));
}

/* The value of option @a (argv[*i]) spelled "-x VALUE", "--long VALUE" or "--long=VALUE". */
static gboolean
option_value(const char *shortopt, const char *longopt, int argc, char **argv, int *i, char **value,
             gboolean *missing)
{
    const char *a = argv[*i];
    gsize n = strlen(longopt);

    *missing = FALSE;
    if (g_str_equal(a, shortopt) || g_str_equal(a, longopt)) {
        if (*i + 1 >= argc) {
            *missing = TRUE;
            return TRUE;
        }
        g_free(*value);
        *value = g_strdup(argv[++*i]);
        return TRUE;
    }
    if (strncmp(a, longopt, n) == 0 && a[n] == '=') {
        g_free(*value);
        *value = g_strdup(a + n + 1);
        return TRUE;
    }
    return FALSE;
}

int
main(int argc, char **argv)
{
    GlobalOptions opts = { 0 };
    const char *localedir = g_getenv("VIRTWIRE_LOCALEDIR");
    const Command *cmd;
    gboolean missing;
    int i;

    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    /* Before the command, global options stop at the first non-option word:
     * the command; after it, the command's parser takes them (command_parse). */
    global_options = &opts;
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (g_str_equal(a, "--json")) {
            opts.json = TRUE;
        } else if (g_str_equal(a, "-q") || g_str_equal(a, "--quiet")) {
            opts.quiet = TRUE;
        } else if (g_str_equal(a, "-h") || g_str_equal(a, "--help")) {
            usage_print(stdout);
            return EXIT_OK;
        } else if (g_str_equal(a, "-v") || g_str_equal(a, "--version")) {
            char *version_argv[] = { (char *)"version", NULL };

            return cmd_version(&opts, 1, version_argv);
        } else if (option_value("-c", "--connect", argc, argv, &i, &global_uri, &missing)) {
            if (missing || !*global_uri) {
                g_printerr(_("error: option '%s' needs a URI\n"), a);
                return EXIT_USAGE;
            }
        } else if (option_value("-r", "--root", argc, argv, &i, &global_root, &missing)) {
            if (missing || !*global_root) {
                g_printerr(_("error: option '%s' needs a directory\n"), a);
                return EXIT_USAGE;
            }
        } else {
            g_printerr(_("error: unknown option '%s'\n"), a);
            return EXIT_USAGE;
        }
    }
    /* -c unset: NULL, and libvirt picks (LIBVIRT_DEFAULT_URI, uri_default). */
    opts.uri = global_uri;
    if (!global_root) {
        const char *env = g_getenv("VIRTWIRE_ROOT");
        global_root = g_strdup(env && *env ? env : "/");
    }
    opts.root = global_root;

    if (i >= argc) {
        usage_print(stderr);
        return EXIT_USAGE;
    }
    cmd = command_find(argv[i]);
    if (!cmd) {
        g_printerr(_("error: unknown command '%s'; try 'virtwire help'\n"), argv[i]);
        return EXIT_USAGE;
    }
    return cmd->run(&opts, argc - i, argv + i);
}
