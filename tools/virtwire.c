/*
 * virtwire: the virsh-like command line tool.
 *
 * One table of verbs dispatches the commands; each command prints either a
 * text table or, with --json, one JSON document.  Exit codes: 0 success,
 * 1 failure, 2 usage error.
 */
#include <config.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gi18n.h>

#include "vw-libvirt.h"

enum {
    EXIT_OK = 0,
    EXIT_FAIL = 1,
    EXIT_USAGE = 2,
};

typedef struct {
    const char *uri;
    gboolean json;
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

/* Parse a command's own options; on error prints it and returns FALSE. */
static gboolean
command_parse(const char *name, GOptionEntry *entries, int *argc, char ***argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(GError) error = NULL;

    g_option_context_set_help_enabled(ctx, FALSE);
    g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
    if (entries)
        g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
    if (!g_option_context_parse(ctx, argc, argv, &error)) {
        g_printerr(_("error: %s: %s\n"), name, error->message);
        return FALSE;
    }
    return TRUE;
}

static int
cmd_version(GlobalOptions *opts, int argc, char **argv)
{
    g_auto(virError) err = VW_ERROR_INIT;
    unsigned long lib = 0;

    if (!command_parse("version", NULL, &argc, &argv))
        return EXIT_USAGE;
    if (argc > 1) {
        g_printerr(_("error: version: unexpected argument '%s'\n"), argv[1]);
        return EXIT_USAGE;
    }
    if (virGetVersionWrapper(&lib, NULL, NULL, &err) < 0) {
        g_autoptr(GError) error = NULL;
        vw_libvirt_error_set(&error, &err);
        error_print(error);
        return EXIT_FAIL;
    }
    if (opts->json) {
        g_print("{\"virtwire\": \"%s\", \"libvirt\": \"%lu.%lu.%lu\"}\n", PACKAGE_VERSION,
                lib / 1000000, lib / 1000 % 1000, lib % 1000);
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

static void
json_append_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_printf(out, "\\%c", *p);
        else if (*p < 0x20)
            g_string_append_printf(out, "\\u%04x", *p);
        else
            g_string_append_c(out, (char)*p);
    }
    g_string_append_c(out, '"');
}

static virConnectPtr
connection_open(const GlobalOptions *opts, GError **error)
{
    g_auto(virError) err = VW_ERROR_INIT;
    virConnectPtr conn = virConnectOpenWrapper(opts->uri, &err);

    if (!conn) {
        vw_libvirt_error_set(error, &err);
        g_prefix_error(error, _("cannot connect to '%s': "), opts->uri);
    }
    return conn;
}

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
    g_autoptr(GString) out = g_string_new(NULL);
    virDomainPtr *doms = NULL;
    unsigned int flags = VIR_CONNECT_LIST_DOMAINS_ACTIVE;
    int n;

    if (!command_parse("list", entries, &argc, &argv))
        return EXIT_USAGE;
    if (argc > 1) {
        g_printerr(_("error: list: unexpected argument '%s'\n"), argv[1]);
        return EXIT_USAGE;
    }
    if (all)
        flags |= VIR_CONNECT_LIST_DOMAINS_INACTIVE;

    conn = connection_open(opts, &error);
    if (!conn) {
        error_print(error);
        return EXIT_FAIL;
    }
    n = virConnectListAllDomainsWrapper(conn, &doms, flags, &err);
    if (n < 0) {
        vw_libvirt_error_set(&error, &err);
        error_print(error);
        return EXIT_FAIL;
    }

    if (opts->json)
        g_string_append_c(out, '[');
    else
        g_string_append_printf(out, " %-5s %-30s %s\n%s\n", _("Id"), _("Name"), _("State"),
                               "------------------------------------------------");
    for (int i = 0; i < n; i++) {
        g_autoptr(virDomain) dom = doms[i];
        const char *name = virDomainGetNameWrapper(dom, NULL);
        unsigned int id = virDomainGetIDWrapper(dom, NULL);
        int state = VIR_DOMAIN_NOSTATE;

        virDomainGetStateWrapper(dom, &state, NULL, 0, NULL);
        if (opts->json) {
            g_string_append_printf(out, "%s{\"id\": ", i ? ", " : "");
            if (id == (unsigned int)-1)
                g_string_append(out, "null");
            else
                g_string_append_printf(out, "%u", id);
            g_string_append(out, ", \"name\": ");
            json_append_string(out, name ? name : "");
            g_string_append(out, ", \"state\": ");
            json_append_string(out, domain_state_name(state));
            g_string_append_c(out, '}');
        } else if (id == (unsigned int)-1) {
            g_string_append_printf(out, " %-5s %-30s %s\n", "-", name ? name : "",
                                   _(domain_state_name(state)));
        } else {
            g_string_append_printf(out, " %-5u %-30s %s\n", id, name ? name : "",
                                   _(domain_state_name(state)));
        }
    }
    g_free(doms);
    if (opts->json)
        g_string_append(out, "]\n");
    fputs(out->str, stdout);
    return EXIT_OK;
}

static int
cmd_help(GlobalOptions *opts G_GNUC_UNUSED, int argc, char **argv)
{
    const Command *cmd;

    if (argc < 2) {
        usage_print(stdout);
        return EXIT_OK;
    }
    cmd = command_find(argv[1]);
    if (!cmd) {
        g_printerr(_("error: unknown command '%s'\n"), argv[1]);
        return EXIT_USAGE;
    }
    g_print(_("Usage: virtwire [OPTION...] %s %s\n\n  %s\n"), cmd->name, cmd->args,
            _(cmd->summary));
    return EXIT_OK;
}

static const Command commands[] = {
    { "help", cmd_help, "[COMMAND]", N_("Show the commands, or the usage of one") },
    { "list", cmd_list, "[--all]", N_("List the domains of the hypervisor") },
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
    fprintf(out, "%s", _("Usage: virtwire [OPTION...] COMMAND [ARG...]\n\n"
                         "Options:\n"
                         "  -c, --connect=URI   libvirt connection URI (default: "
                         "$LIBVIRT_DEFAULT_URI, else qemu:///system)\n"
                         "  --json              print listings as JSON\n\n"
                         "Commands:\n"));
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, _(commands[i].summary));
}

int
main(int argc, char **argv)
{
    GlobalOptions opts = { 0 };
    g_autofree char *uri = NULL;
    const Command *cmd;
    int i;

    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    /* Global options stop at the first non-option word: the command. */
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (g_str_equal(a, "--json")) {
            opts.json = TRUE;
        } else if (g_str_equal(a, "-h") || g_str_equal(a, "--help")) {
            usage_print(stdout);
            return EXIT_OK;
        } else if (g_str_equal(a, "-c") || g_str_equal(a, "--connect")) {
            if (i + 1 >= argc) {
                g_printerr(_("error: option '%s' needs a URI\n"), a);
                return EXIT_USAGE;
            }
            g_free(uri);
            uri = g_strdup(argv[++i]);
        } else if (g_str_has_prefix(a, "--connect=")) {
            g_free(uri);
            uri = g_strdup(a + strlen("--connect="));
        } else {
            g_printerr(_("error: unknown option '%s'\n"), a);
            return EXIT_USAGE;
        }
    }
    if (!uri) {
        const char *env = g_getenv("LIBVIRT_DEFAULT_URI");
        uri = g_strdup(env && *env ? env : "qemu:///system");
    }
    opts.uri = uri;

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
