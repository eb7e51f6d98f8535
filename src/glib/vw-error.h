/*
 * VW_ERROR: the errors of the virtwire GObject API, and VW_LIBVIRT_ERROR,
 * the errors of libvirt itself.
 */
#pragma once

#if !defined(VIRTWIRE_INSIDE) && !defined(VIRTWIRE_COMPILATION)
#error "Only <virtwire.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * VW_ERROR:
 *
 * The error domain of the virtwire API; the codes are #VwError.  Errors of
 * libvirt itself are in the %VW_LIBVIRT_ERROR domain, cancellations are
 * %G_IO_ERROR_CANCELLED.
 */
#define VW_ERROR (vw_error_quark())

/**
 * VW_LIBVIRT_ERROR:
 *
 * The error domain of errors reported by libvirt.  The code is libvirt's own
 * `virErrorNumber` (for instance 42, VIR_ERR_NO_DOMAIN), captured on the
 * thread that made the failing call.
 */
#define VW_LIBVIRT_ERROR (vw_libvirt_error_quark())

/**
 * VwError:
 * @VW_ERROR_INVALID: bad input; the message names the offending value
 * @VW_ERROR_NOT_FOUND: no such network, domain or domain interface
 * @VW_ERROR_EXISTS: the name, UUID, subnet or MAC address is taken
 * @VW_ERROR_ACTIVE: the network is active
 * @VW_ERROR_INACTIVE: the network, or the domain, is not active
 * @VW_ERROR_BUSY: domains are still placed in the network's partition, ports
 *     are plugged (a stop without %VW_STOP_FORCE), or a lock was not granted
 *     in time
 * @VW_ERROR_CORRUPT: a state file cannot be read
 * @VW_ERROR_FAILED: anything else; the message says what
 * @VW_ERROR_CONFLICT: the domain's configuration forbids the change
 *
 * The error codes of the %VW_ERROR domain.
 */
typedef enum {
    VW_ERROR_INVALID,
    VW_ERROR_NOT_FOUND,
    VW_ERROR_EXISTS,
    VW_ERROR_ACTIVE,
    VW_ERROR_INACTIVE,
    VW_ERROR_BUSY,
    VW_ERROR_CORRUPT,
    VW_ERROR_FAILED,
    VW_ERROR_CONFLICT,
} VwError;

/**
 * vw_error_quark:
 *
 * Returns: the quark of the %VW_ERROR domain
 */
GQuark vw_error_quark(void);

/* Not introspected: its codes are libvirt's, with no enumeration here.
 * Through GObject introspection a libvirt error is a GLib.Error whose
 * domain is "vw-libvirt-error-quark" and whose code is libvirt's. */
#ifndef __GI_SCANNER__
GQuark vw_libvirt_error_quark(void);
#endif

G_END_DECLS
