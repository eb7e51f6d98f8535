/*
 * A program that only reads XML (as the libvirt hook does): it must not link
 * libxml2.  test-xml-deps checks its ELF dependencies and runs it.
 * Usage: xml-reader-only NETWORK.xml DOMAIN.xml; exits 0 if both parse.
 */
#include <config.h>

#include <stdio.h>

#include "vw-domxml.h"
#include "vw-netdef.h"

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VwNetDef) def = NULL;
    g_autoptr(VwDomInfo) info = NULL;
    g_autofree char *xml = NULL;
    gsize len = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: %s NETWORK.xml DOMAIN.xml\n", argv[0]);
        return 2;
    }
    if (!(def = vw_netdef_parse_file(argv[1], &error)) ||
        !g_file_get_contents(argv[2], &xml, &len, &error) ||
        !(info = vw_dominfo_parse(xml, (gssize)len, &error))) {
        fprintf(stderr, "%s\n", error->message);
        return 1;
    }
    printf("%s %s\n", def->name, info->name);
    return 0;
}
