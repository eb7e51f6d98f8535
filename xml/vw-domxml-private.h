/*
 * What the domain XML reader (vw-dominfo.c) and editor (vw-domxml.c) share.
 * Private to xml/.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * vw_domxml_chars_ok:
 * @s: a string
 * @upper_ok: whether ASCII uppercase letters are allowed
 * @extra: the other bytes allowed besides ASCII lowercase letters and digits
 *
 * Returns: TRUE if every byte of @s is allowed
 */
G_GNUC_INTERNAL gboolean vw_domxml_chars_ok(const char *s, gboolean upper_ok, const char *extra);

G_END_DECLS
