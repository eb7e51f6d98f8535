/*
 * Hand-written half of the wrapper layer: once-only init, error capture and
 * the virError -> GError bridge.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "vw-libvirt.h"
#include "vw-wrapper-private.h"

gsize vw_libvirt_initialized;

static void
vw_libvirt_silent_error_func(void *opaque G_GNUC_UNUSED, virErrorPtr err G_GNUC_UNUSED)
{
    /* Errors are captured by the wrappers and reported by the caller. */
}

void
vw_libvirt_init_slow(void)
{
    if (g_once_init_enter(&vw_libvirt_initialized)) {
        /* virInitialize first: before it, the thread-local error is not set up. */
        virInitialize();
        virSetErrorFunc(NULL, vw_libvirt_silent_error_func);
        virResetLastError();
        g_once_init_leave(&vw_libvirt_initialized, 1);
    }
}

void
vw_libvirt_init(void)
{
    vw_libvirt_init_slow();
}

void
vw_wrapper_capture_slow(virErrorPtr err, const char *func, gboolean maybe_valid)
{
    if (!err)
        return;
    /* virCopyLastError zeroes *err first and reads this thread's error only;
     * it returns the error's code, 0 when none is set. */
    if (virCopyLastError(err) > 0) {
        /* Leave the thread clean, so that a later call that neither clears nor
         * sets an error cannot hand this one out again. */
        virResetLastError();
        return;
    }
    virResetError(err);
    if (maybe_valid)
        return; /* NULL / -1 without an error is a legitimate result here. */
    err->code = VIR_ERR_INTERNAL_ERROR;
    err->domain = VIR_FROM_NONE;
    err->level = VIR_ERR_ERROR;
    err->message = g_strdup_printf("%s failed without setting an error", func);
}

typedef struct {
    int origin;
    int level;
} VwLibvirtErrorPrivate;

static void
vw_libvirt_error_private_init(VwLibvirtErrorPrivate *priv)
{
    priv->origin = VIR_FROM_NONE;
    priv->level = VIR_ERR_ERROR;
}

static void
vw_libvirt_error_private_copy(const VwLibvirtErrorPrivate *src, VwLibvirtErrorPrivate *dest)
{
    *dest = *src;
}

static void
vw_libvirt_error_private_clear(VwLibvirtErrorPrivate *priv G_GNUC_UNUSED)
{
}

G_DEFINE_EXTENDED_ERROR(VwLibvirtError, vw_libvirt_error)

gboolean
vw_libvirt_error_set(GError **error, const virError *err)
{
    GError *gerr;
    VwLibvirtErrorPrivate *priv;

    g_return_val_if_fail(err != NULL, FALSE);

    if (!error)
        return FALSE;
    gerr = g_error_new_literal(VW_LIBVIRT_ERROR, err->code,
                               err->message ? err->message : "unknown libvirt error");
    priv = vw_libvirt_error_get_private(gerr);
    priv->origin = err->domain;
    priv->level = err->level;
    g_propagate_error(error, gerr);
    return FALSE;
}

int
vw_libvirt_error_get_origin(const GError *error)
{
    VwLibvirtErrorPrivate *priv;

    if (!error || error->domain != VW_LIBVIRT_ERROR)
        return -1;
    priv = vw_libvirt_error_get_private(error);
    return priv ? priv->origin : -1;
}

int
vw_libvirt_error_get_level(const GError *error)
{
    VwLibvirtErrorPrivate *priv;

    if (!error || error->domain != VW_LIBVIRT_ERROR)
        return -1;
    priv = vw_libvirt_error_get_private(error);
    return priv ? priv->level : -1;
}
