/*
 * Inline helpers shared by the generated wrappers.  Private to wrappers/.
 */
#pragma once

#include <glib.h>
#include <libvirt/virterror.h>

G_BEGIN_DECLS

void vw_libvirt_init_slow(void);
void vw_wrapper_capture_slow(virErrorPtr err, const char *func, gboolean maybe_valid);

extern gsize vw_libvirt_initialized;

/*
 * Run before every wrapped call: make sure the once-only init ran, then zero
 * *err so that a success leaves it at VIR_ERR_OK.  By contract *err is either
 * all zero (VW_ERROR_INIT, or left so by a wrapper) or holds an error a
 * wrapper captured, whose strings virResetError releases before zeroing.
 * Kept inline and branch-light: it sits on every success path.
 */
static inline void
vw_wrapper_enter(virErrorPtr err)
{
    if (G_UNLIKELY(!g_atomic_pointer_get(&vw_libvirt_initialized)))
        vw_libvirt_init_slow();
    if (err && G_UNLIKELY(err->code != VIR_ERR_OK))
        virResetError(err);
}

/*
 * Run right after a call whose return value signals failure, before any
 * other libvirt call can touch this thread's last error.
 */
static inline void
vw_wrapper_capture(virErrorPtr err, const char *func, gboolean maybe_valid)
{
    vw_wrapper_capture_slow(err, func, maybe_valid);
}

G_END_DECLS
