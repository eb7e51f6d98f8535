#include <config.h>

/*
 * vw-engine-driver: one engine operation per process, for the engine tests
 * that need separate processes (fault injection through VIRTWIRE_FAULT,
 * concurrent plugs).  Exit 0 on success, 1 on failure (the error on
 * stderr), 2 on bad usage.
 *
 *   vw-engine-driver ROOT define FILE | start NET | stop NET
 *   vw-engine-driver ROOT plug NET UUID MAC [DOMAIN-NAME] | unplug NET UUID MAC
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
               "plug NET UUID MAC [NAME]|unplug NET UUID MAC|release NET UUID [MAC]|"
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
        VwPortRequest req = { 0 };
        g_autoptr(VwPortInfo) port = NULL;

        req.network = argv[3];
        req.domain_uuid = argv[4];
        req.mac = argv[5];
        req.domain_name = argc == 7 ? argv[6] : NULL;
        req.owner = (uid_t)-1;
        req.group = (gid_t)-1;
        port = vw_engine_port_plug(engine, &req, &error);
        ok = port != NULL;
        if (ok)
            printf("%s %s\n", port->tap, port->ipv4 ? port->ipv4 : "-");
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
