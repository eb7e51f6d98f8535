#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <net/if.h>

#include "vw-net-error.h"

typedef struct {
    int errnum;
} VwNetErrorPrivate;

static void
vw_net_error_private_init(VwNetErrorPrivate *priv)
{
    priv->errnum = 0;
}

static void
vw_net_error_private_copy(const VwNetErrorPrivate *src, VwNetErrorPrivate *dest)
{
    *dest = *src;
}

static void
vw_net_error_private_clear(VwNetErrorPrivate *priv G_GNUC_UNUSED)
{
}

G_DEFINE_EXTENDED_ERROR(VwNetError, vw_net_error)

gboolean
vw_net_error_set_errno(GError **error, int errnum, const char *format, ...)
{
    g_autofree char *what = NULL;
    GError *err;
    int code;
    va_list ap;

    if (!error)
        return FALSE;
    va_start(ap, format);
    what = g_strdup_vprintf(format, ap);
    va_end(ap);
    switch (errnum) {
    case EEXIST:
        code = VW_NET_ERROR_EXISTS;
        break;
    case ENODEV:
    case ENOENT:
    case ESRCH:
        code = VW_NET_ERROR_NOT_FOUND;
        break;
    default:
        code = VW_NET_ERROR_KERNEL;
    }
    err = g_error_new(VW_NET_ERROR, code, "%s: %s", what, g_strerror(errnum));
    vw_net_error_get_private(err)->errnum = errnum;
    g_propagate_error(error, err);
    return FALSE;
}

int
vw_net_error_get_errno(const GError *error)
{
    if (!error || error->domain != VW_NET_ERROR)
        return 0;
    return vw_net_error_get_private(error)->errnum;
}

gboolean
vw_ifname_check(const char *name, GError **error)
{
    size_t len;

    g_return_val_if_fail(name != NULL, FALSE);
    len = strlen(name);
    if (len == 0 || len >= IFNAMSIZ) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                    _("invalid interface name '%s': must be 1 to %d bytes"), name,
                    IFNAMSIZ - 1);
        return FALSE;
    }
    /* A leading '-' would be read as an option by `ip` and `tc`. */
    if (g_str_equal(name, ".") || g_str_equal(name, "..") || name[0] == '-') {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                    _("invalid interface name '%s'"), name);
        return FALSE;
    }
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.') {
            g_autofree char *shown = g_strescape(name, NULL);
            g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                        _("invalid interface name '%s': only letters, digits and '-_.' are "
                          "allowed"),
                        shown);
            return FALSE;
        }
    }
    return TRUE;
}
