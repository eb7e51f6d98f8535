/*
 * Internals of libvirtwire shared between its files; never installed.
 */
#pragma once

#include "virtwire.h"
#include "vw-engine.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------ errors */

/*
 * Move @src into @dest, turning the error domains of the layers below
 * (engine, XML, util, net, cgroup...) into VW_ERROR with the same message;
 * G_IO_ERROR and VW_LIBVIRT_ERROR are kept as they are.  Returns FALSE.
 */
gboolean vw_error_propagate(GError **dest, GError *src);

/* ------------------------------------------------------------ objects */

/* A read-only property of a record object, stored at @offset in it. */
typedef struct {
    const char *name;
    const char *blurb;
    GType type; /* G_TYPE_STRING, G_TYPE_BOOLEAN, G_TYPE_UINT or an enum type */
    gsize offset;
} VwPropDesc;

/* @descs[0] is unused, as property id 0 is. */
void vw_props_install(GObjectClass *klass, const VwPropDesc *descs, guint n, GParamSpec **pspecs);
void vw_props_get(GObject *object, const VwPropDesc *descs, guint n, guint prop_id, GValue *value,
                  GParamSpec *pspec);
/* Free the string fields. */
void vw_props_clear(GObject *object, const VwPropDesc *descs, guint n);

/* Replace *@field by @value and notify @pspec when they differ. */
void vw_object_set_string(GObject *object, char **field, const char *value, GParamSpec *pspec);
void vw_object_set_uint(GObject *object, guint *field, guint value, GParamSpec *pspec);
void vw_object_set_boolean(GObject *object, gboolean *field, gboolean value, GParamSpec *pspec);

/* New objects from the engine's records, and refreshes (notify per change). */
VwNetwork *vw_network_new_from_info(const VwNetworkInfo *info);
void vw_network_update(VwNetwork *network, const VwNetworkInfo *info);

VwPort *vw_port_new_from_info(const VwPortInfo *info);
void vw_port_update(VwPort *port, const VwPortInfo *info);

VwLease *vw_lease_new_from_info(const char *network, const VwLeaseInfo *info);
void vw_lease_update(VwLease *lease, const char *network, const VwLeaseInfo *info);

/* ------------------------------------------------------------ operations */

typedef struct _VwOp VwOp;

/*
 * One operation of the provisioner: run() does the blocking work on any
 * thread (the caller's for a synchronous call, a pool thread for an _async
 * one) and leaves its result in op->result and the objects to refresh and
 * the signals to emit in the op's change set.
 */
typedef gboolean (*VwOpFunc)(VwProvisioner *self, VwOp *op, GError **error);

struct _VwOp {
    VwOpFunc run;
    char *arg[5]; /* string arguments, by operation */
    guint number; /* queues, or a boolean */
    guint flags;  /* VwInterfaceFlags */
    char **text_out; /* synchronous calls only: a second result (define's warning) */
    gpointer result;
    GDestroyNotify result_free; /* NULL for operations that return a boolean */
    struct _VwChanges *changes;
};

VwOp *vw_op_new(VwOpFunc run, const char *a0, const char *a1, const char *a2, const char *a3,
                const char *a4);

/* Run @op (consumed) now, on this thread.  Returns the result or NULL. */
gpointer vw_op_run_sync(VwProvisioner *self, VwOp *op, GCancellable *cancellable, GError **error);
/* Same, for operations whose result is a boolean. */
gboolean vw_op_run_sync_boolean(VwProvisioner *self, VwOp *op, GCancellable *cancellable,
                                GError **error);
/* Run @op (consumed) in a thread; @source_tag is the public _async function. */
void vw_op_run_async(VwProvisioner *self, VwOp *op, gpointer source_tag, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data);
gpointer vw_op_finish(VwProvisioner *self, GAsyncResult *result, gpointer source_tag,
                      GError **error);
gboolean vw_op_finish_boolean(VwProvisioner *self, GAsyncResult *result, gpointer source_tag,
                              GError **error);

/* GDestroyNotify of a GList of objects (an operation's list result). */
void vw_object_list_free(gpointer list);

/* What operations use. */
VwEngine *vw_prov_engine(VwProvisioner *self);

/* The cached network @info (taken) describes, made or refreshed; (transfer full). */
VwNetwork *vw_op_network_seen(VwProvisioner *self, VwOp *op, VwNetworkInfo *info);
/* Refresh the cached network @name, if any, from the engine. */
void vw_op_network_refresh(VwProvisioner *self, VwOp *op, const char *name);
/* Forget the network @name (undefined) and its ports and leases. */
void vw_op_network_forget(VwProvisioner *self, VwOp *op, const char *name);

/* Forget the cached networks not in @keep (VwNetworkInfo). */
void vw_op_networks_prune(VwProvisioner *self, VwOp *op, GPtrArray *keep);

/* The cached port @info (taken) describes, made or refreshed; port-added if new. */
VwPort *vw_op_port_seen(VwProvisioner *self, VwOp *op, VwPortInfo *info);
/* Forget a port: port-removed with the cached object, else @fallback (taken). */
void vw_op_port_gone(VwProvisioner *self, VwOp *op, const char *network, const char *domain_uuid,
                     const char *mac, VwPortInfo *fallback);
/* Forget every cached port of @network (NULL: all) not in @keep (VwPortInfo). */
void vw_op_ports_prune(VwProvisioner *self, VwOp *op, const char *network, GPtrArray *keep);

VwLease *vw_op_lease_seen(VwProvisioner *self, VwOp *op, const char *network, VwLeaseInfo *info);
void vw_op_leases_prune(VwProvisioner *self, VwOp *op, const char *network, GPtrArray *keep);

/* The engine's record of a port (transfer full), or NULL. */
VwPortInfo *vw_prov_port_record(VwProvisioner *self, const char *network, const char *domain_uuid,
                                const char *mac);

/* The libvirt connection, opened on first use; (transfer none). */
struct _virConnect *vw_prov_connection(VwProvisioner *self, GError **error);

G_END_DECLS
