/*
 * The libvirt wrapper layer: the generated wrappers, the bridge from
 * virError to GError, and g_autoptr cleanups for libvirt objects.
 *
 * Every libvirt call outside wrappers/ goes through a generated
 * `RET virXxxWrapper(ARGS..., virErrorPtr err)`.  On failure the wrapper
 * copies libvirt's error into *err on the thread that made the call; on
 * success it leaves err->code at VIR_ERR_OK.  err may be NULL.  An err that
 * is reused across calls must start zeroed (VW_ERROR_INIT) and be released
 * with virResetError() (g_auto(virError) does that).
 */
#pragma once

#include <glib.h>

#include "vw-libvirt-wrappers.h"

G_BEGIN_DECLS

#define VW_ERROR_INIT { 0 }

/**
 * VW_LIBVIRT_ERROR:
 *
 * GError domain of errors reported by libvirt.  The code is libvirt's own
 * `virErrorNumber`; the origin (`virErrorDomain`, VIR_FROM_*) is kept with
 * the error and read back by vw_libvirt_error_get_origin().
 */
#define VW_LIBVIRT_ERROR (vw_libvirt_error_quark())
GQuark vw_libvirt_error_quark(void);

/**
 * vw_libvirt_error_set:
 * @error: (out) (optional): the GError to set
 * @err: a libvirt error captured by a wrapper
 *
 * Turn a captured libvirt error into a GError in VW_LIBVIRT_ERROR that keeps
 * libvirt's code, origin and level.  @err is left untouched.
 *
 * Returns: FALSE, so that `return vw_libvirt_error_set(error, &err);` reads
 * naturally in a function that returns gboolean.
 */
gboolean vw_libvirt_error_set(GError **error, const virError *err);

/**
 * vw_libvirt_error_get_origin:
 * @error: a GError
 *
 * Returns: the VIR_FROM_* origin of a VW_LIBVIRT_ERROR error, or -1 when
 * @error is not one.
 */
int vw_libvirt_error_get_origin(const GError *error);

/**
 * vw_libvirt_error_get_level:
 * @error: a GError
 *
 * Returns: the virErrorLevel of a VW_LIBVIRT_ERROR error, or -1 when @error
 * is not one.
 */
int vw_libvirt_error_get_level(const GError *error);

/**
 * vw_libvirt_init:
 *
 * Run the once-only initialisation (virInitialize and a silent error handler
 * so libvirt never prints to stderr).  Every wrapper does this on its own;
 * calling it early is only needed before creating threads.
 */
void vw_libvirt_init(void);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(virError, virResetError)

/* g_autoptr() for libvirt objects, released through the wrappers. */
#define VW_DEFINE_LIBVIRT_AUTOPTR(Type, Release)                                                  \
    static inline void vw_autoptr_release_##Type(Type *obj)                                        \
    {                                                                                              \
        Release##Wrapper(obj, NULL);                                                               \
    }                                                                                              \
    G_DEFINE_AUTOPTR_CLEANUP_FUNC(Type, vw_autoptr_release_##Type)

VW_DEFINE_LIBVIRT_AUTOPTR(virConnect, virConnectClose)
VW_DEFINE_LIBVIRT_AUTOPTR(virDomain, virDomainFree)
VW_DEFINE_LIBVIRT_AUTOPTR(virDomainSnapshot, virDomainSnapshotFree)
VW_DEFINE_LIBVIRT_AUTOPTR(virDomainCheckpoint, virDomainCheckpointFree)
VW_DEFINE_LIBVIRT_AUTOPTR(virNetwork, virNetworkFree)
VW_DEFINE_LIBVIRT_AUTOPTR(virNetworkPort, virNetworkPortFree)
VW_DEFINE_LIBVIRT_AUTOPTR(virInterface, virInterfaceFree)
VW_DEFINE_LIBVIRT_AUTOPTR(virStoragePool, virStoragePoolFree)
VW_DEFINE_LIBVIRT_AUTOPTR(virStorageVol, virStorageVolFree)
VW_DEFINE_LIBVIRT_AUTOPTR(virNodeDevice, virNodeDeviceFree)
VW_DEFINE_LIBVIRT_AUTOPTR(virSecret, virSecretFree)
VW_DEFINE_LIBVIRT_AUTOPTR(virNWFilter, virNWFilterFree)
VW_DEFINE_LIBVIRT_AUTOPTR(virNWFilterBinding, virNWFilterBindingFree)
VW_DEFINE_LIBVIRT_AUTOPTR(virStream, virStreamFree)
VW_DEFINE_LIBVIRT_AUTOPTR(virAdmConnect, virAdmConnectClose)
VW_DEFINE_LIBVIRT_AUTOPTR(virAdmServer, virAdmServerFree)
VW_DEFINE_LIBVIRT_AUTOPTR(virAdmClient, virAdmClientFree)

G_END_DECLS
