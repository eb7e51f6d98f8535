/*
 * `virtwire agent [--root DIR] [-c URI]`: the agent session in the
 * foreground.  It keeps a libvirt connection, reconnects with backoff when
 * it is lost, and reconciles virtwire's ports with the domains' lifecycle
 * events, logging what happens to stderr, until SIGINT or SIGTERM (exit 0).
 */
#include <config.h>

#include <signal.h>
#include <stdio.h>

#include <glib.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "virtwire.h"
#include "vw-cmd-agent.h"
#include "vw-session-private.h"

enum {
    EXIT_OK = 0,
    EXIT_FAIL = 1,
    EXIT_USAGE = 2,
};

typedef struct {
    GMainLoop *loop;
    const char *uri;
    int signal_number; /* what ended the loop */
} Agent;

/* One line on stderr: "virtwire agent: MESSAGE". */
static void G_GNUC_PRINTF(1, 2) agent_log(const char *format, ...)
{
    g_autofree char *message = NULL;
    va_list ap;

    va_start(ap, format);
    message = g_strdup_vprintf(format, ap);
    va_end(ap);
    /* TRANSLATORS: prefix of every line the agent logs */
    g_printerr(_("virtwire agent: %s\n"), message);
}

static void
on_state(VwSession *session, GParamSpec *pspec, Agent *agent)
{
    (void)pspec;
    switch (vw_session_get_state(session)) {
    case VW_SESSION_STATE_CONNECTING:
        agent_log(_("connecting to '%s'"), agent->uri);
        break;
    case VW_SESSION_STATE_READY:
        agent_log(_("connected to '%s'; watching its domains"), agent->uri);
        break;
    case VW_SESSION_STATE_BACKOFF:
        agent_log(_("disconnected from '%s'"), agent->uri);
        break;
    case VW_SESSION_STATE_STOPPING:
        agent_log(_("stopping"));
        break;
    case VW_SESSION_STATE_STOPPED:
        agent_log(_("stopped"));
        break;
    }
}

static void
on_error(VwSession *session, const GError *error, Agent *agent)
{
    (void)session;
    (void)agent;
    agent_log(_("error: %s"), error->message);
}

static void
on_reconnecting(VwSession *session, guint attempt, gint64 delay_ms, Agent *agent)
{
    (void)session;
    agent_log(_("reconnecting to '%s' in %.1f s (attempt %u)"), agent->uri,
              (double)delay_ms / 1000.0, attempt);
}

static void
on_reconciled(VwSession *session, const char *domain, guint plugged, guint removed, Agent *agent)
{
    (void)session;
    (void)agent;
    if (!domain)
        agent_log(_("reconciled every domain: %u port(s) plugged, %u port(s) or lease(s) "
                    "removed"),
                  plugged, removed);
    else if (plugged || removed)
        agent_log(_("reconciled domain %s: %u port(s) plugged, %u port(s) or lease(s) removed"),
                  domain, plugged, removed);
}

static gboolean
on_unix_signal(gpointer data)
{
    Agent *agent = data;

    g_main_loop_quit(agent->loop);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_sigint(gpointer data)
{
    ((Agent *)data)->signal_number = SIGINT;
    return on_unix_signal(data);
}

static gboolean
on_sigterm(gpointer data)
{
    ((Agent *)data)->signal_number = SIGTERM;
    return on_unix_signal(data);
}

int
vw_cmd_agent(const char *uri, const char *root, int argc, char **argv)
{
    g_autofree char *opt_uri = NULL;
    g_autofree char *opt_root = NULL;
    GOptionEntry entries[] = {
        { "root", 'r', 0, G_OPTION_ARG_FILENAME, &opt_root, N_("Root of virtwire's state"),
          N_("DIR") },
        { "connect", 'c', 0, G_OPTION_ARG_STRING, &opt_uri, N_("libvirt connection URI"),
          N_("URI") },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(VwSession) session = NULL;
    g_autoptr(GMainLoop) loop = NULL;
    Agent agent = { 0 };
    guint sigint_id, sigterm_id;

    g_option_context_set_help_enabled(ctx, FALSE);
    g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
    g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr(_("error: %s: %s\n"), "agent", error->message);
        return EXIT_USAGE;
    }
    if (argc > 1) {
        g_printerr(_("error: %s: unexpected argument '%s'\n"), "agent", argv[1]);
        return EXIT_USAGE;
    }
    if (opt_uri && !*opt_uri) {
        g_printerr(_("error: %s: option '%s' needs a URI\n"), "agent", "--connect");
        return EXIT_USAGE;
    }
    if (opt_root && !*opt_root) {
        g_printerr(_("error: %s: option '%s' needs a directory\n"), "agent", "--root");
        return EXIT_USAGE;
    }
    if (opt_uri)
        uri = opt_uri;
    if (opt_root)
        root = opt_root;

    loop = g_main_loop_new(NULL, FALSE);
    agent.loop = loop;
    /* NULL: libvirt's default URI (LIBVIRT_DEFAULT_URI, uri_default) */
    agent.uri = uri ? uri : _("(libvirt's default URI)");
    session = vw_session_new(root, uri);
    g_signal_connect(session, "notify::state", G_CALLBACK(on_state), &agent);
    g_signal_connect(session, "error", G_CALLBACK(on_error), &agent);
    g_signal_connect(session, "reconnecting", G_CALLBACK(on_reconnecting), &agent);
    g_signal_connect(session, "reconciled", G_CALLBACK(on_reconciled), &agent);
    sigint_id = g_unix_signal_add(SIGINT, on_sigint, &agent);
    sigterm_id = g_unix_signal_add(SIGTERM, on_sigterm, &agent);

    if (!vw_session_start(session, &error)) {
        g_printerr(_("error: %s\n"), error->message);
        g_source_remove(sigint_id);
        g_source_remove(sigterm_id);
        return EXIT_FAIL;
    }
    g_main_loop_run(loop);
    agent_log(_("received %s"), agent.signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    vw_session_stop(session);
    g_signal_handlers_disconnect_by_data(session, &agent);
    g_source_remove(sigint_id);
    g_source_remove(sigterm_id);
    return EXIT_OK;
}
