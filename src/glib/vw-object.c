#include <config.h>

/*
 * Read-only properties described by a table (VwPropDesc): the three record
 * objects (VwNetwork, VwPort, VwLease) install, read and free their fields
 * through it, and refresh them with a notify per changed value.
 */

#include "vw-glib-private.h"

void
vw_props_install(GObjectClass *klass, const VwPropDesc *descs, guint n, GParamSpec **pspecs)
{
    const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

    pspecs[0] = NULL;
    for (guint i = 1; i < n; i++) {
        const VwPropDesc *d = &descs[i];

        if (d->type == G_TYPE_STRING)
            pspecs[i] = g_param_spec_string(d->name, NULL, d->blurb, NULL, flags);
        else if (d->type == G_TYPE_BOOLEAN)
            pspecs[i] = g_param_spec_boolean(d->name, NULL, d->blurb, FALSE, flags);
        else if (d->type == G_TYPE_UINT)
            pspecs[i] = g_param_spec_uint(d->name, NULL, d->blurb, 0, G_MAXUINT, 0, flags);
        else
            pspecs[i] = g_param_spec_enum(d->name, NULL, d->blurb, d->type, 0, flags);
    }
    g_object_class_install_properties(klass, n, pspecs);
}

void
vw_props_get(GObject *object, const VwPropDesc *descs, guint n, guint prop_id, GValue *value,
             GParamSpec *pspec)
{
    const VwPropDesc *d;
    gpointer field;

    if (prop_id == 0 || prop_id >= n) {
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
        return;
    }
    d = &descs[prop_id];
    field = G_STRUCT_MEMBER_P(object, d->offset);
    if (d->type == G_TYPE_STRING)
        g_value_set_string(value, *(char **)field);
    else if (d->type == G_TYPE_BOOLEAN)
        g_value_set_boolean(value, *(gboolean *)field);
    else if (d->type == G_TYPE_UINT)
        g_value_set_uint(value, *(guint *)field);
    else
        g_value_set_enum(value, *(int *)field);
}

void
vw_props_clear(GObject *object, const VwPropDesc *descs, guint n)
{
    for (guint i = 1; i < n; i++) {
        if (descs[i].type == G_TYPE_STRING)
            g_clear_pointer((char **)G_STRUCT_MEMBER_P(object, descs[i].offset), g_free);
    }
}

void
vw_object_set_string(GObject *object, char **field, const char *value, GParamSpec *pspec)
{
    if (g_strcmp0(*field, value) == 0)
        return;
    g_free(*field);
    *field = g_strdup(value);
    g_object_notify_by_pspec(object, pspec);
}

void
vw_object_set_uint(GObject *object, guint *field, guint value, GParamSpec *pspec)
{
    if (*field == value)
        return;
    *field = value;
    g_object_notify_by_pspec(object, pspec);
}

void
vw_object_set_boolean(GObject *object, gboolean *field, gboolean value, GParamSpec *pspec)
{
    value = !!value;
    if (*field == value)
        return;
    *field = value;
    g_object_notify_by_pspec(object, pspec);
}
