/*
 * libFuzzer target: the domain XML reader and editor.  A document the reader
 * accepts can take a virtwire port, and the edited document reads back with
 * that port on its network.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>

#include "vw-domxml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VwDomInfo) info = vw_dominfo_parse((const char *)data, (gssize)size, &error);
    g_autoptr(VwDomEditor) ed = NULL;
    g_autofree char *text = NULL;
    g_autoptr(VwDomInfo) edited = NULL;
    const char *mac = "52:54:00:fe:ed:01";

    if (!info)
        return 0;
    ed = vw_domeditor_new((const char *)data, (gssize)size, NULL);
    if (!ed)
        abort(); /* the reader accepted it */
    if (!vw_domeditor_add_interface(ed, mac, "vwt-fuzz0", "virtio", 2, "fuzznet", NULL))
        return 0; /* e.g. the MAC is already there */
    if (!vw_domeditor_set_partition(ed, "/virtwire/fuzznet", NULL))
        abort();
    text = vw_domeditor_format(ed);
    edited = vw_dominfo_parse(text, -1, NULL);
    if (!edited)
        abort();
    for (guint i = 0; i < edited->ifaces->len; i++) {
        VwDomIface *iface = g_ptr_array_index(edited->ifaces, i);
        if (g_strcmp0(iface->mac, mac) == 0) {
            if (g_strcmp0(iface->network, "fuzznet") != 0)
                abort();
            if (g_strcmp0(edited->partition, "/virtwire/fuzznet") != 0)
                abort();
            return 0;
        }
    }
    abort();
}
