/*
 * libFuzzer target: the guest-network parser.  Whatever it accepts must
 * format and parse back to an equal definition.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>

#include "vw-netdef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VwNetDef) def = vw_netdef_parse((const char *)data, (gssize)size, &error);
    g_autofree char *text = NULL;
    g_autoptr(VwNetDef) again = NULL;

    if (!def) {
        if (!error || !error->message || !*error->message)
            abort(); /* a failure must say why */
        return 0;
    }
    text = vw_netdef_format(def);
    again = vw_netdef_parse(text, -1, NULL);
    if (!again || !vw_netdef_equal(def, again))
        abort();
    return 0;
}
