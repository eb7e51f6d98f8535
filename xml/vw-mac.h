/*
 * A MAC address as a value, and the one reader of its text in the tree.
 *
 * Header-only and GLib-only, at the bottom of the layers (xml/): xml/ reads
 * the MACs of guest-network XML with it, src/util/vw-names.h builds the
 * checked parse (unicast, not all zeros, errors naming the text) and the
 * canonical form on it, and the engine carries a VwMac from its entry on,
 * so that no layer parses a MAC's text again.
 */
#pragma once

#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

/* Six bytes, in the order they are written. */
typedef struct {
    guint8 b[6];
} VwMac;

/* The length of "xx:xx:xx:xx:xx:xx". */
#define VW_MAC_TEXT_LEN 17

/*
 * vw_mac_scan:
 * @text: "52:54:00:ab:cd:ef": six pairs of hex digits (either case) separated by ':'
 * @mac: (out caller-allocates): the six bytes, written whole only on success
 *
 * Syntax only: any six bytes pass (vw_mac_parse() in src/util refuses
 * multicast and all-zero addresses for a NIC).
 *
 * Returns: TRUE when @text is a MAC address
 */
static inline gboolean
vw_mac_scan(const char *text, guint8 mac[6])
{
    guint8 bytes[6];

    if (!text || strlen(text) != VW_MAC_TEXT_LEN)
        return FALSE;
    for (int i = 0; i < 6; i++) {
        const char *p = text + i * 3;

        if (!g_ascii_isxdigit(p[0]) || !g_ascii_isxdigit(p[1]))
            return FALSE;
        if (i < 5 && p[2] != ':')
            return FALSE;
        bytes[i] = (guint8)(g_ascii_xdigit_value(p[0]) * 16 + g_ascii_xdigit_value(p[1]));
    }
    memcpy(mac, bytes, sizeof(bytes));
    return TRUE;
}

G_END_DECLS
