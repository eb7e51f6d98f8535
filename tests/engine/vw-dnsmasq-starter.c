/*
 * Test helper standing in for a short-lived starter (the CLI, the libvirt
 * hook): start the dnsmasq of a network, print its pid and exit at once.
 *
 *   vw-dnsmasq-starter NETWORK.xml RUN_DIR
 *
 * The test gives it pipes as stdout and stderr and checks that they reach
 * EOF while dnsmasq keeps running.
 */
#include <config.h>

#include <stdio.h>

#include <glib.h>

#include "vw-dnsmasq.h"
#include "vw-netdef.h"

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VwNetDef) def = NULL;
    GPid pid = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: %s NETWORK.xml RUN_DIR\n", argv[0]);
        return 2;
    }
    def = vw_netdef_parse_file(argv[1], &error);
    if (!def || !vw_dnsmasq_start(def, argv[2], &pid, &error)) {
        fprintf(stderr, "%s\n", error->message);
        return 1;
    }
    printf("%d\n", (int)pid);
    return 0;
}
