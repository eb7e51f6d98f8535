#include <config.h>

/*
 * VW_ERROR, and how the errors of the layers below become VW_ERROR: the
 * public API exposes one domain of its own (plus libvirt's and GIO's), so a
 * caller never has to know the engine's private quarks.
 */

#include "vw-glib-private.h"

#include "vw-cgroup.h"
#include "vw-dnsmasq.h"
#include "vw-domif.h"
#include "vw-domxml.h"
#include "vw-ipam.h"
#include "vw-net-error.h"
#include "vw-nft.h"
#include "vw-util-error.h"
#include "vw-xml-util.h"

G_DEFINE_QUARK(virtwire-error-quark, vw_error)

static VwError
engine_code(int code)
{
    switch ((VwEngineError)code) {
    case VW_ENGINE_ERROR_INVALID:
        return VW_ERROR_INVALID;
    case VW_ENGINE_ERROR_NOT_FOUND:
        return VW_ERROR_NOT_FOUND;
    case VW_ENGINE_ERROR_EXISTS:
        return VW_ERROR_EXISTS;
    case VW_ENGINE_ERROR_ACTIVE:
        return VW_ERROR_ACTIVE;
    case VW_ENGINE_ERROR_INACTIVE:
        return VW_ERROR_INACTIVE;
    case VW_ENGINE_ERROR_BUSY:
        return VW_ERROR_BUSY;
    case VW_ENGINE_ERROR_CORRUPT:
        return VW_ERROR_CORRUPT;
    case VW_ENGINE_ERROR_FAILED:
        break;
    }
    return VW_ERROR_FAILED;
}

/* The VwError of an error from a layer below; FAILED when nothing fits. */
static VwError
error_code(const GError *e)
{
    if (e->domain == VW_ENGINE_ERROR)
        return engine_code(e->code);
    if (e->domain == VW_XML_ERROR)
        return VW_ERROR_INVALID;
    if (e->domain == VW_DOMIF_ERROR) {
        switch ((VwDomifError)e->code) {
        case VW_DOMIF_ERROR_INVALID:
            return VW_ERROR_INVALID;
        case VW_DOMIF_ERROR_NOT_FOUND:
            return VW_ERROR_NOT_FOUND;
        case VW_DOMIF_ERROR_EXISTS:
            return VW_ERROR_EXISTS;
        case VW_DOMIF_ERROR_CONFLICT:
            return VW_ERROR_CONFLICT;
        case VW_DOMIF_ERROR_INACTIVE:
            return VW_ERROR_INACTIVE;
        case VW_DOMIF_ERROR_FAILED:
            break;
        }
        return VW_ERROR_FAILED;
    }
    if (e->domain == VW_DOMXML_ERROR)
        return e->code == VW_DOMXML_ERROR_EXISTS ? VW_ERROR_EXISTS : VW_ERROR_NOT_FOUND;
    if (e->domain == VW_UTIL_ERROR) {
        switch (e->code) {
        case VW_UTIL_ERROR_INVALID:
            return VW_ERROR_INVALID;
        case VW_UTIL_ERROR_LOCKED:
            return VW_ERROR_BUSY;
        case VW_UTIL_ERROR_CORRUPT:
            return VW_ERROR_CORRUPT;
        default:
            return VW_ERROR_FAILED;
        }
    }
    if (e->domain == VW_NET_ERROR) {
        switch (e->code) {
        case VW_NET_ERROR_INVALID:
            return VW_ERROR_INVALID;
        case VW_NET_ERROR_NOT_FOUND:
            return VW_ERROR_NOT_FOUND;
        case VW_NET_ERROR_EXISTS:
            return VW_ERROR_EXISTS;
        default:
            return VW_ERROR_FAILED;
        }
    }
    if (e->domain == VW_CGROUP_ERROR) {
        switch (e->code) {
        case VW_CGROUP_ERROR_INVALID:
            return VW_ERROR_INVALID;
        case VW_CGROUP_ERROR_BUSY:
            return VW_ERROR_BUSY;
        case VW_CGROUP_ERROR_NOT_FOUND:
            return VW_ERROR_NOT_FOUND;
        default:
            return VW_ERROR_FAILED;
        }
    }
    if (e->domain == VW_IPAM_ERROR)
        return e->code == VW_IPAM_ERROR_CONFLICT ? VW_ERROR_EXISTS : VW_ERROR_FAILED;
    if ((e->domain == VW_NFT_ERROR && e->code == VW_NFT_ERROR_INVALID) ||
        (e->domain == VW_DNSMASQ_ERROR && e->code == VW_DNSMASQ_ERROR_INVALID))
        return VW_ERROR_INVALID;
    return VW_ERROR_FAILED;
}

gboolean
vw_error_propagate(GError **dest, GError *src)
{
    g_assert(src != NULL);
    if (src->domain != VW_ERROR && src->domain != G_IO_ERROR && src->domain != VW_LIBVIRT_ERROR) {
        /* a new error, not a rewritten one: some domains below are extended
         * errors whose private data is found through the domain */
        GError *mapped = g_error_new_literal(VW_ERROR, error_code(src), src->message);
        g_error_free(src);
        src = mapped;
    }
    g_propagate_error(dest, src);
    return FALSE;
}
