#include <config.h>

/*
 * vw-engine-driver: one engine operation per process, for the engine tests
 * that need separate processes (fault injection through VIRTWIRE_FAULT,
 * concurrent plugs).  Several MACs are plugged in one vw_engine_ports_plug()
 * call.  Exit 0 on success, 1 on failure (the error on
 * stderr), 2 on bad usage.
 *
 *   vw-engine-driver ROOT define FILE | start NET | stop NET
 *   vw-engine-driver ROOT plug NET UUID MAC[,MAC...] [DOMAIN-NAME] | unplug NET UUID MAC
 *   vw-engine-driver ROOT release NET UUID [MAC] | reconcile [LIVE-UUID...]
 */

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "vw-engine.h"

static int
usage(void)
{
    g_printerr("usage: vw-engine-driver ROOT define FILE|start NET|stop NET|"
               "plug NET UUID MAC[,MAC...] [NAME]|unplug NET UUID MAC|release NET UUID [MAC]|"
               "reconcile [UUID...]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    g_autoptr(VwEngine) engine = NULL;
    g_autoptr(GError) error = NULL;
    const char *op;
    gboolean ok = FALSE;

    if (argc < 3)
        return usage();
    op = argv[2];
    engine = vw_engine_open(argv[1], &error);
    if (!engine)
        goto out;
    if (g_str_equal(op, "define") && argc == 4) {
        g_autofree char *xml = NULL;
        g_autofree char *name = NULL;

        ok = g_file_get_contents(argv[3], &xml, NULL, &error) &&
             (name = vw_engine_network_define(engine, xml, &error)) != NULL;
    } else if (g_str_equal(op, "start") && argc == 4) {
        ok = vw_engine_network_start(engine, argv[3], &error);
    } else if (g_str_equal(op, "stop") && argc == 4) {
        ok = vw_engine_network_stop(engine, argv[3], &error);
    } else if (g_str_equal(op, "plug") && (argc == 6 || argc == 7)) {
        g_auto(GStrv) macs = g_strsplit(argv[5], ",", -1);
        guint n = g_strv_length(macs);
        g_autofree VwPortRequest *reqs = g_new0(VwPortRequest, n);
        g_autoptr(GPtrArray) ports = NULL;

        for (guint i = 0; i < n; i++) {
            reqs[i].network = argv[3];
            reqs[i].domain_uuid = argv[4];
            reqs[i].mac = macs[i];
            reqs[i].domain_name = argc == 7 ? argv[6] : NULL;
            reqs[i].owner = (uid_t)-1;
            reqs[i].group = (gid_t)-1;
        }
        ports = vw_engine_ports_plug(engine, reqs, n, NULL, &error);
        ok = ports != NULL;
        for (guint i = 0; ok && i < ports->len; i++) {
            const VwPortInfo *port = ports->pdata[i];

            printf("%s %s\n", port->tap, port->ipv4 ? port->ipv4 : "-");
        }
    } else if (g_str_equal(op, "unplug") && argc == 6) {
        ok = vw_engine_port_unplug(engine, argv[3], argv[4], argv[5], &error);
    } else if (g_str_equal(op, "release") && (argc == 5 || argc == 6)) {
        ok = vw_engine_port_release(engine, argv[3], argv[4], argc == 6 ? argv[5] : NULL, &error);
    } else if (g_str_equal(op, "reconcile")) {
        const char *const *live = (const char *const *)argv + 3;

        ok = vw_engine_reconcile(engine, live, NULL, &error);
    } else {
        return usage();
    }
out:
    if (!ok) {
        g_printerr("vw-engine-driver: %s\n", error ? error->message : "failed");
        return 1;
    }
    return 0;
}
