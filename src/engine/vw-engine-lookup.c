/*
 * Finding a network as users name it: by name or by UUID (as virsh does),
 * and the definition it runs with (net-define may have changed the stored
 * one since it started, as in libvirt).
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <glib/gi18n-lib.h>

#include "vw-engine-private.h"
#include "vw-engine.h"

char *
vw_engine_network_resolve(VwEngine *engine, const char *name_or_uuid, GError **error)
{
    g_autoptr(VwNetDef) def = NULL;
    g_autoptr(GError) by_name = NULL;
    g_auto(GStrv) names = NULL;

    g_return_val_if_fail(engine != NULL && name_or_uuid != NULL, NULL);
    /* checked before it becomes a path: "../x" is no name */
    if (engine_name_check(name_or_uuid, &by_name)) {
        def = engine_load_def(engine, name_or_uuid, &by_name);
        if (def)
            return g_strdup(def->name);
    }
    /* A UUID is no defined name (too long for one, or not defined); any
     * other error is the answer. */
    if (!g_uuid_string_is_valid(name_or_uuid) ||
        !(g_error_matches(by_name, VW_ENGINE_ERROR, VW_ENGINE_ERROR_NOT_FOUND) ||
          g_error_matches(by_name, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INVALID))) {
        g_propagate_error(error, g_steal_pointer(&by_name));
        return NULL;
    }
    names = engine_defined_names(engine, error);
    if (!names)
        return NULL;
    for (char **n = names; *n; n++) {
        g_autoptr(VwNetDef) other = engine_load_def(engine, *n, NULL);

        if (other && g_ascii_strcasecmp(other->uuid, name_or_uuid) == 0)
            return g_strdup(other->name);
    }
    g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_NOT_FOUND,
                _("no network has the name or UUID '%s'"), name_or_uuid);
    return NULL;
}

VwNetDef *
vw_engine_network_get_live_def(VwEngine *engine, const char *name, GError **error)
{
    g_return_val_if_fail(engine != NULL, NULL);
    if (!engine_name_check(name, error))
        return NULL;
    if (engine_net_is_active(engine, name))
        return engine_load_running_def(engine, name, error);
    return engine_load_def(engine, name, error);
}
