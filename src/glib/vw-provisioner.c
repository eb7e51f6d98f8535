#include <config.h>

/*
 * VwProvisioner: the object, its GInitable, the caches of the objects it
 * hands out, and the machinery every operation runs through (VwOp):
 * synchronously on the caller's thread or in GIO's thread pool, with the
 * cancellable checked before and after the blocking work, and the objects
 * refreshed and signals emitted in the provisioner's main context.
 *
 * The operations themselves are in vw-provisioner-network.c (networks),
 * vw-provisioner-port.c (ports, leases) and vw-provisioner-domain.c
 * (libvirt domains' interfaces).
 */

#include <glib/gi18n-lib.h>

#include "vw-glib-private.h"
#include "vw-libvirt.h"


/* The objects an operation saw, to refresh, and the signals to emit. */
typedef struct _VwChanges {
    VwProvisioner *self;
    GPtrArray *updates; /* Update */
    GPtrArray *added;   /* VwPort */
    GPtrArray *removed; /* VwPort */
} VwChanges;

typedef struct {
    GObject *object;
    char *network; /* leases: their network */
    gpointer info; /* VwNetworkInfo, VwPortInfo or VwLeaseInfo */
    GDestroyNotify info_free;
} Update;

/**
 * VwProvisioner:
 *
 * The entry point of the virtwire API: guest networks, their ports and
 * leases (all state lives under #VwProvisioner:root), and virtwire
 * interfaces of libvirt domains (through a connection to
 * #VwProvisioner:uri, opened when first needed).
 *
 * The provisioner hands out one #VwNetwork per network, one #VwPort per
 * plugged port and one #VwLease per lease, and refreshes them (with
 * #GObject::notify) whenever an operation reads them again.  Objects are
 * refreshed, and #VwProvisioner::port-added and #VwProvisioner::port-removed
 * emitted, in the thread-default main context of the thread that created
 * the provisioner: before a call made in that context returns, and before
 * the callback of an _async call started in that context runs.
 *
 * Every operation may be called from any thread.  Each has an _async and
 * _finish pair that runs it in a thread pool.  A #GCancellable is checked
 * before the work starts (a cancelled call then fails with
 * %G_IO_ERROR_CANCELLED and changes nothing) and after it ends (the call
 * then fails with %G_IO_ERROR_CANCELLED although the change is made; the
 * objects and signals show it).
 */
struct _VwProvisioner {
    GObject parent_instance;
    char *root; /* as given; the engine's once initialised */
    char *uri;
    VwEngine *engine;
    GMainContext *context;
    GThread *thread; /* the creator's */

    GMutex lock;          /* guards the caches */
    GHashTable *networks; /* name -> VwNetwork */
    GHashTable *ports;    /* NETWORK/UUID/MAC -> VwPort */
    GHashTable *leases;   /* NETWORK/UUID/MAC -> VwLease */

    GMutex conn_lock;
    virConnectPtr conn;
};

static void vw_provisioner_initable_iface_init(GInitableIface *iface);

G_DEFINE_TYPE_WITH_CODE(VwProvisioner, vw_provisioner, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(G_TYPE_INITABLE, vw_provisioner_initable_iface_init))

enum {
    PROP_0,
    PROP_ROOT,
    PROP_URI,
    N_PROPS,
};

static GParamSpec *props[N_PROPS];

enum {
    SIGNAL_PORT_ADDED,
    SIGNAL_PORT_REMOVED,
    N_SIGNALS,
};

static guint signals[N_SIGNALS];

static void
vw_provisioner_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
    VwProvisioner *self = VW_PROVISIONER(object);

    switch (prop_id) {
    case PROP_ROOT:
        g_free(self->root);
        self->root = g_value_dup_string(value);
        break;
    case PROP_URI:
        g_free(self->uri);
        self->uri = g_value_dup_string(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void
vw_provisioner_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
    VwProvisioner *self = VW_PROVISIONER(object);

    switch (prop_id) {
    case PROP_ROOT:
        g_value_set_string(value, vw_provisioner_get_root(self));
        break;
    case PROP_URI:
        g_value_set_string(value, self->uri);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void
vw_provisioner_constructed(GObject *object)
{
    /* A NULL uri stays NULL: libvirt chooses (LIBVIRT_DEFAULT_URI, uri_default). */
    G_OBJECT_CLASS(vw_provisioner_parent_class)->constructed(object);
}

static void
vw_provisioner_finalize(GObject *object)
{
    VwProvisioner *self = VW_PROVISIONER(object);

    if (self->conn)
        virConnectCloseWrapper(self->conn, NULL);
    g_mutex_clear(&self->conn_lock);
    g_hash_table_unref(self->networks);
    g_hash_table_unref(self->ports);
    g_hash_table_unref(self->leases);
    g_mutex_clear(&self->lock);
    g_main_context_unref(self->context);
    g_thread_unref(self->thread);
    vw_engine_free(self->engine);
    g_free(self->root);
    g_free(self->uri);
    G_OBJECT_CLASS(vw_provisioner_parent_class)->finalize(object);
}

static void
vw_provisioner_class_init(VwProvisionerClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
    /* the catalogue the virtwire tool finds too (it shares the domain) */
    const char *localedir = g_getenv("VIRTWIRE_LOCALEDIR");

    bindtextdomain(GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");

    object_class->set_property = vw_provisioner_set_property;
    object_class->get_property = vw_provisioner_get_property;
    object_class->constructed = vw_provisioner_constructed;
    object_class->finalize = vw_provisioner_finalize;

    /**
     * VwProvisioner:root:
     *
     * The root of all state: definitions in ROOT/etc/virtwire, runtime
     * state in ROOT/run/virtwire, leases in ROOT/var/lib/virtwire.  %NULL
     * at construction means `$VIRTWIRE_ROOT`, else "/"; once initialised,
     * the property reads the root in use.
     */
    props[PROP_ROOT] = g_param_spec_string("root", NULL, "The root of all state", NULL, flags);
    /**
     * VwProvisioner:uri:
     *
     * The libvirt URI of the domains.  %NULL leaves the choice to libvirt,
     * as virsh does without -c: `$LIBVIRT_DEFAULT_URI`, else `uri_default`
     * of its libvirt.conf, else the hypervisor it finds.
     */
    props[PROP_URI] = g_param_spec_string("uri", NULL, "The libvirt URI", NULL, flags);
    g_object_class_install_properties(object_class, N_PROPS, props);

    /**
     * VwProvisioner::port-added:
     * @provisioner: the provisioner
     * @port: the port
     *
     * A port became known: plugged by vw_provisioner_plug_port() or
     * vw_provisioner_attach_interface(), or found (plugged by someone else,
     * such as the libvirt hook) by vw_provisioner_list_ports().
     */
    signals[SIGNAL_PORT_ADDED] =
        g_signal_new("port-added", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 1, VW_TYPE_PORT);
    /**
     * VwProvisioner::port-removed:
     * @provisioner: the provisioner
     * @port: the port, as last seen
     *
     * A port went: unplugged by vw_provisioner_unplug_port() or
     * vw_provisioner_detach_interface(), removed with its network by
     * vw_provisioner_stop_network(), or found gone by
     * vw_provisioner_list_ports().
     */
    signals[SIGNAL_PORT_REMOVED] =
        g_signal_new("port-removed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 1, VW_TYPE_PORT);
}

static void
vw_provisioner_init(VwProvisioner *self)
{
    self->context = g_main_context_ref_thread_default();
    self->thread = g_thread_ref(g_thread_self());
    g_mutex_init(&self->lock);
    g_mutex_init(&self->conn_lock);
    self->networks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
    self->ports = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
    self->leases = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
}

static gboolean
vw_provisioner_initable_init(GInitable *initable, GCancellable *cancellable, GError **error)
{
    VwProvisioner *self = VW_PROVISIONER(initable);
    GError *local = NULL;

    if (self->engine)
        return TRUE;
    if (g_cancellable_set_error_if_cancelled(cancellable, error))
        return FALSE;
    self->engine = vw_engine_open(self->root, &local);
    if (!self->engine)
        return vw_error_propagate(error, local);
    return TRUE;
}

static void
vw_provisioner_initable_iface_init(GInitableIface *iface)
{
    iface->init = vw_provisioner_initable_init;
}

/**
 * vw_provisioner_new:
 * @root: (nullable): the root directory of all state, or %NULL for
 *     `$VIRTWIRE_ROOT`, else "/"
 * @uri: (nullable): the libvirt URI for vw_provisioner_attach_interface()
 *     and vw_provisioner_detach_interface(), or %NULL for
 *     libvirt's default (`$LIBVIRT_DEFAULT_URI`, else `uri_default` of its
 *     libvirt.conf); the connection is opened when first needed
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Open the provisioner on @root, creating its directories if needed.  The
 * kernel is not touched and libvirt not contacted until an operation needs
 * them.  The provisioner refreshes its objects and emits its signals in the
 * thread-default main context of the calling thread.
 *
 * Returns: (transfer full): a new provisioner, or %NULL with @error set
 */
VwProvisioner *
vw_provisioner_new(const char *root, const char *uri, GCancellable *cancellable, GError **error)
{
    g_return_val_if_fail(cancellable == NULL || G_IS_CANCELLABLE(cancellable), NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    return g_initable_new(VW_TYPE_PROVISIONER, cancellable, error, "root", root, "uri", uri, NULL);
}

/**
 * vw_provisioner_get_root:
 * @self: a #VwProvisioner
 *
 * Returns: (transfer none) (nullable): the #VwProvisioner:root in use, or
 *     the one given when the provisioner is not initialised
 */
const char *
vw_provisioner_get_root(VwProvisioner *self)
{
    g_return_val_if_fail(VW_IS_PROVISIONER(self), NULL);
    return self->engine ? vw_engine_get_root(self->engine) : self->root;
}

/**
 * vw_provisioner_get_uri:
 * @self: a #VwProvisioner
 *
 * Returns: (transfer none) (nullable): the libvirt #VwProvisioner:uri, %NULL
 *     for libvirt's default
 */
const char *
vw_provisioner_get_uri(VwProvisioner *self)
{
    g_return_val_if_fail(VW_IS_PROVISIONER(self), NULL);
    return self->uri;
}

VwEngine *
vw_prov_engine(VwProvisioner *self)
{
    return self->engine;
}

virConnectPtr
vw_prov_connection(VwProvisioner *self, GError **error)
{
    g_auto(virError) err = VW_ERROR_INIT;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->conn_lock);

    /* a connection that died (libvirtd restarted) is replaced */
    if (self->conn && virConnectIsAliveWrapper(self->conn, NULL) != 1)
        g_clear_pointer(&self->conn, vw_autoptr_release_virConnect);
    if (!self->conn) {
        self->conn = virConnectOpenWrapper(self->uri, &err);
        if (!self->conn) {
            vw_libvirt_error_set(error, &err);
            g_prefix_error(error, _("cannot connect to '%s': "),
                           self->uri ? self->uri : _("(libvirt's default URI)"));
        }
    }
    return self->conn;
}

/* ------------------------------------------------------------ changes */

static void
update_free(Update *u)
{
    g_object_unref(u->object);
    g_free(u->network);
    u->info_free(u->info);
    g_free(u);
}

static void
changes_free(VwChanges *c)
{
    if (!c)
        return;
    g_object_unref(c->self);
    g_ptr_array_unref(c->updates);
    g_ptr_array_unref(c->added);
    g_ptr_array_unref(c->removed);
    g_free(c);
}

static VwChanges *
op_changes(VwProvisioner *self, VwOp *op)
{
    if (!op->changes) {
        op->changes = g_new0(VwChanges, 1);
        op->changes->self = g_object_ref(self);
        op->changes->updates = g_ptr_array_new_with_free_func((GDestroyNotify)update_free);
        op->changes->added = g_ptr_array_new_with_free_func(g_object_unref);
        op->changes->removed = g_ptr_array_new_with_free_func(g_object_unref);
    }
    return op->changes;
}

static void
changes_update(VwProvisioner *self, VwOp *op, gpointer object, const char *network, gpointer info,
               GDestroyNotify info_free)
{
    Update *u = g_new0(Update, 1);

    u->object = g_object_ref(object);
    u->network = g_strdup(network);
    u->info = info;
    u->info_free = info_free;
    g_ptr_array_add(op_changes(self, op)->updates, u);
}

/* In the provisioner's main context. */
static gboolean
changes_apply(gpointer data)
{
    VwChanges *c = data;

    for (guint i = 0; i < c->updates->len; i++) {
        Update *u = g_ptr_array_index(c->updates, i);

        if (VW_IS_NETWORK(u->object))
            vw_network_update(VW_NETWORK(u->object), u->info);
        else if (VW_IS_PORT(u->object))
            vw_port_update(VW_PORT(u->object), u->info);
        else
            vw_lease_update(VW_LEASE(u->object), u->network, u->info);
    }
    for (guint i = 0; i < c->removed->len; i++)
        g_signal_emit(c->self, signals[SIGNAL_PORT_REMOVED], 0, c->removed->pdata[i]);
    for (guint i = 0; i < c->added->len; i++)
        g_signal_emit(c->self, signals[SIGNAL_PORT_ADDED], 0, c->added->pdata[i]);
    return G_SOURCE_REMOVE;
}

/*
 * Apply @c in the provisioner's context: at once when this thread owns the
 * context, or is the creator's thread making a synchronous call while no
 * other thread iterates the context; else from an idle source there.  (Not
 * g_main_context_invoke(): a pool thread would acquire an idle global
 * default context and emit the signals itself.)
 */
static void
changes_dispatch(VwProvisioner *self, VwChanges *c, gboolean in_worker)
{
    g_autoptr(GSource) idle = NULL;

    if (!c)
        return;
    if (g_main_context_is_owner(self->context)) {
        changes_apply(c);
        changes_free(c);
        return;
    }
    if (!in_worker && g_thread_self() == self->thread && g_main_context_acquire(self->context)) {
        changes_apply(c);
        g_main_context_release(self->context);
        changes_free(c);
        return;
    }
    idle = g_idle_source_new();
    g_source_set_priority(idle, G_PRIORITY_DEFAULT);
    g_source_set_callback(idle, changes_apply, c, (GDestroyNotify)changes_free);
    g_source_set_name(idle, "[virtwire] provisioner changes");
    g_source_attach(idle, self->context);
}

/* ------------------------------------------------------------ caches */

static char *
record_key(const char *network, const char *domain_uuid, const char *mac)
{
    g_autofree char *key = g_strdup_printf("%s/%s/%s", network, domain_uuid, mac);

    return g_ascii_strdown(key, -1);
}

VwNetwork *
vw_op_network_seen(VwProvisioner *self, VwOp *op, VwNetworkInfo *info)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
    VwNetwork *net = g_hash_table_lookup(self->networks, info->name);

    if (!net) {
        net = vw_network_new_from_info(info);
        g_hash_table_insert(self->networks, g_strdup(info->name), net);
        vw_network_info_free(info);
    } else {
        changes_update(self, op, net, NULL, info, (GDestroyNotify)vw_network_info_free);
    }
    return g_object_ref(net);
}

void
vw_op_network_refresh(VwProvisioner *self, VwOp *op, const char *name)
{
    g_autoptr(GError) error = NULL;
    VwNetworkInfo *info;
    gboolean cached;

    g_mutex_lock(&self->lock);
    cached = g_hash_table_contains(self->networks, name);
    g_mutex_unlock(&self->lock);
    if (!cached)
        return;
    info = vw_engine_network_info(self->engine, name, &error);
    if (info)
        g_object_unref(vw_op_network_seen(self, op, info));
    else if (g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_NOT_FOUND))
        vw_op_network_forget(self, op, name);
}

/* Move the records of @network (NULL: all) whose key is not in @keep out of
 * @table into @gone (when not NULL). */
static void
records_prune(GHashTable *table, const char *network, GHashTable *keep, GPtrArray *gone)
{
    g_autofree char *prefix = network ? g_strconcat(network, "/", NULL) : NULL;
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init(&iter, table);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        if ((prefix && !g_str_has_prefix(key, prefix)) ||
            (keep && g_hash_table_contains(keep, key)))
            continue;
        if (gone)
            g_ptr_array_add(gone, g_object_ref(value));
        g_hash_table_iter_remove(&iter);
    }
}

void
vw_op_network_forget(VwProvisioner *self, VwOp *op, const char *name)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);

    g_hash_table_remove(self->networks, name);
    records_prune(self->ports, name, NULL, op_changes(self, op)->removed);
    records_prune(self->leases, name, NULL, NULL);
}

void
vw_op_networks_prune(VwProvisioner *self, VwOp *op, GPtrArray *keep)
{
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter iter;
    gpointer name;

    for (guint i = 0; i < keep->len; i++)
        g_hash_table_add(names, ((VwNetworkInfo *)g_ptr_array_index(keep, i))->name);
    g_mutex_lock(&self->lock);
    g_hash_table_iter_init(&iter, self->networks);
    while (g_hash_table_iter_next(&iter, &name, NULL)) {
        if (!g_hash_table_contains(names, name))
            g_ptr_array_add(gone, g_strdup(name));
    }
    g_mutex_unlock(&self->lock);
    for (guint i = 0; i < gone->len; i++)
        vw_op_network_forget(self, op, g_ptr_array_index(gone, i));
}

VwPort *
vw_op_port_seen(VwProvisioner *self, VwOp *op, VwPortInfo *info)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
    char *key = record_key(info->network, info->domain_uuid, info->mac);
    VwPort *port = g_hash_table_lookup(self->ports, key);

    if (!port) {
        port = vw_port_new_from_info(info);
        g_hash_table_insert(self->ports, key, port);
        g_ptr_array_add(op_changes(self, op)->added, g_object_ref(port));
        vw_port_info_free(info);
    } else {
        g_free(key);
        changes_update(self, op, port, NULL, info, (GDestroyNotify)vw_port_info_free);
    }
    return g_object_ref(port);
}

void
vw_op_port_gone(VwProvisioner *self, VwOp *op, const char *network, const char *domain_uuid,
                const char *mac, VwPortInfo *fallback)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
    g_autofree char *key = record_key(network, domain_uuid, mac);
    g_autofree char *stolen_key = NULL;
    VwPort *port = NULL;

    if (g_hash_table_steal_extended(self->ports, key, (gpointer *)&stolen_key, (gpointer *)&port))
        g_ptr_array_add(op_changes(self, op)->removed, port);
    else if (fallback)
        g_ptr_array_add(op_changes(self, op)->removed, vw_port_new_from_info(fallback));
    vw_port_info_free(fallback);
}

static GHashTable *
keys_of(GPtrArray *records, const char *network, gboolean ports)
{
    GHashTable *keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; records && i < records->len; i++) {
        if (ports) {
            const VwPortInfo *p = g_ptr_array_index(records, i);
            g_hash_table_add(keys, record_key(p->network, p->domain_uuid, p->mac));
        } else {
            const VwLeaseInfo *l = g_ptr_array_index(records, i);
            g_hash_table_add(keys, record_key(network, l->domain_uuid, l->mac));
        }
    }
    return keys;
}

void
vw_op_ports_prune(VwProvisioner *self, VwOp *op, const char *network, GPtrArray *keep)
{
    g_autoptr(GHashTable) keys = keys_of(keep, network, TRUE);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);

    records_prune(self->ports, network, keys, op_changes(self, op)->removed);
}

VwLease *
vw_op_lease_seen(VwProvisioner *self, VwOp *op, const char *network, VwLeaseInfo *info)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
    char *key = record_key(network, info->domain_uuid, info->mac);
    VwLease *lease = g_hash_table_lookup(self->leases, key);

    if (!lease) {
        lease = vw_lease_new_from_info(network, info);
        g_hash_table_insert(self->leases, key, lease);
        vw_lease_info_free(info);
    } else {
        g_free(key);
        changes_update(self, op, lease, network, info, (GDestroyNotify)vw_lease_info_free);
    }
    return g_object_ref(lease);
}

void
vw_op_leases_prune(VwProvisioner *self, VwOp *op G_GNUC_UNUSED, const char *network,
                   GPtrArray *keep)
{
    g_autoptr(GHashTable) keys = keys_of(keep, network, FALSE);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);

    records_prune(self->leases, network, keys, NULL);
}

/* ------------------------------------------------------------ operations */

VwOp *
vw_op_new(VwOpFunc run, const char *a0, const char *a1, const char *a2, const char *a3,
          const char *a4)
{
    VwOp *op = g_new0(VwOp, 1);

    op->run = run;
    op->arg[0] = g_strdup(a0);
    op->arg[1] = g_strdup(a1);
    op->arg[2] = g_strdup(a2);
    op->arg[3] = g_strdup(a3);
    op->arg[4] = g_strdup(a4);
    return op;
}

static void
op_free(VwOp *op)
{
    for (guint i = 0; i < G_N_ELEMENTS(op->arg); i++)
        g_free(op->arg[i]);
    if (op->result && op->result_free)
        op->result_free(op->result);
    changes_free(op->changes);
    g_free(op);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwOp, op_free)

void
vw_object_list_free(gpointer list)
{
    g_list_free_full(list, g_object_unref);
}

/* The one path of every operation, on whatever thread runs it. */
static gboolean
op_execute(VwProvisioner *self, VwOp *op, GCancellable *cancellable, gboolean in_worker,
           GError **error)
{
    GError *local = NULL;
    gboolean ok;

    if (g_cancellable_set_error_if_cancelled(cancellable, error))
        return FALSE;
    if (!self->engine) {
        g_set_error(error, VW_ERROR, VW_ERROR_FAILED,
                    _("the provisioner is not initialised: call g_initable_init() first"));
        return FALSE;
    }
    ok = op->run(self, op, &local);
    /* what happened is shown even when the operation failed half-way */
    changes_dispatch(self, g_steal_pointer(&op->changes), in_worker);
    if (!ok)
        return vw_error_propagate(error, local);
    return !g_cancellable_set_error_if_cancelled(cancellable, error);
}

gpointer
vw_op_run_sync(VwProvisioner *self, VwOp *op, GCancellable *cancellable, GError **error)
{
    g_autoptr(VwOp) owned = op;

    if (!op_execute(self, op, cancellable, FALSE, error))
        return NULL;
    return g_steal_pointer(&op->result);
}

gboolean
vw_op_run_sync_boolean(VwProvisioner *self, VwOp *op, GCancellable *cancellable, GError **error)
{
    g_autoptr(VwOp) owned = op;

    return op_execute(self, op, cancellable, FALSE, error);
}

static void
op_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    VwOp *op = data;
    GError *error = NULL;

    if (!op_execute(source, op, cancellable, TRUE, &error))
        g_task_return_error(task, error);
    else if (op->result_free)
        g_task_return_pointer(task, g_steal_pointer(&op->result), op->result_free);
    else
        g_task_return_boolean(task, TRUE);
}

void
vw_op_run_async(VwProvisioner *self, VwOp *op, gpointer source_tag, GCancellable *cancellable,
                GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);

    g_task_set_source_tag(task, source_tag);
    g_task_set_task_data(task, op, (GDestroyNotify)op_free);
    g_task_run_in_thread(task, op_thread);
}

gpointer
vw_op_finish(VwProvisioner *self, GAsyncResult *result, gpointer source_tag, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), NULL);
    g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) == source_tag, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

gboolean
vw_op_finish_boolean(VwProvisioner *self, GAsyncResult *result, gpointer source_tag, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
    g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) == source_tag, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}
