/*
 * Errors of the kernel plumbing layer (src/net).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * VW_NET_ERROR:
 *
 * Error domain of src/net.  Kernel failures use the code
 * VW_NET_ERROR_KERNEL and put the errno into the message (strerror), while
 * the errno itself is reachable through vw_net_error_get_errno().
 */
#define VW_NET_ERROR (vw_net_error_quark())
GQuark vw_net_error_quark(void);

typedef enum {
    VW_NET_ERROR_INVALID,  /* a bad argument (name, MTU, address...) */
    VW_NET_ERROR_KERNEL,   /* the kernel refused: see vw_net_error_get_errno() */
    VW_NET_ERROR_NOT_FOUND, /* no such device / namespace / object */
    VW_NET_ERROR_EXISTS,   /* already exists */
} VwNetError;

/**
 * vw_net_error_set_errno:
 * @error: (out) (optional): the GError to set
 * @errnum: the errno the kernel returned (positive)
 * @format: printf-style description of the operation, naming the object
 *
 * Set @error to "DESCRIPTION: strerror(errnum)", with code EXISTS for
 * EEXIST, NOT_FOUND for ENODEV/ENOENT/ESRCH, KERNEL otherwise.
 *
 * Returns: FALSE
 */
gboolean vw_net_error_set_errno(GError **error, int errnum, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

/**
 * vw_net_error_get_errno:
 * @error: a GError
 *
 * Returns: the errno carried by a VW_NET_ERROR error, or 0.
 */
int vw_net_error_get_errno(const GError *error);

/**
 * vw_ifname_check:
 * @name: an interface name
 * @error: (out) (optional): set when @name is not acceptable
 *
 * Check @name before the kernel sees it: 1..15 bytes (IFNAMSIZ - 1), not
 * "." or "..", no leading "-", and only ASCII letters, digits and "-_.".
 *
 * Returns: TRUE when @name is acceptable
 */
gboolean vw_ifname_check(const char *name, GError **error);

G_END_DECLS
