/*
 * VwSession: the agent session.
 *
 * Threads:
 *  - the caller's ("owner") thread: vw_session_start()/stop(), and every
 *    signal and notification, delivered through an idle source in the
 *    thread-default main context of the start() call;
 *  - the session's thread ("worker"): its own GMainContext, the libvirt
 *    connection and every blocking call (libvirt RPCs, the engine);
 *  - libvirt's event thread, one per process, running
 *    virEventRunDefaultImpl(): keepalive, the close callback and domain
 *    events arrive there and are only handed over to the worker, through a
 *    refcounted Link that the worker cuts when it drops the connection.
 *
 * Reconcile (all of it on the worker):
 *  - at each (re)connect: the engine's ports and leases are read first,
 *    then libvirt's domains; the engine reconciles networks and ports
 *    (repairs, interrupted work, unclaimed links) with the ports left
 *    alone, the domains that no longer exist lose their ports and leases
 *    (vw_engine_port_release), and each running domain's virtwire NICs
 *    without a port are plugged.  Reading virtwire's state before libvirt's
 *    means that a port that a hook plugs meanwhile, for a domain being
 *    defined and started, is never taken for a leftover;
 *  - STARTED: the domain's NICs without a port are plugged;
 *  - STOPPED: a domain that is still defined and not running has its ports
 *    unplugged (leases kept, as the hook's release does); a transient one,
 *    gone with its stop, has them released;
 *  - UNDEFINED: a domain that no longer exists has its ports and leases
 *    released.
 * A NIC's port is plugged only when its tap name is free: a running QEMU
 * holds the tap it was started with, and the engine makes its taps itself
 * (a failed plug would even remove a tap that carries the port's alias),
 * so a tap that exists already is reported and left alone.
 */
#include <config.h>

#include <string.h>

#include <glib-unix.h>
#include <glib/gi18n-lib.h>

#include "vw-backoff.h"
#include "vw-domif.h"
#include "vw-domxml.h"
#include "vw-engine.h"
#include "vw-glib-private.h"
#include "vw-libvirt.h"
#include "vw-names.h"
#include "vw-session-private.h"

/* libvirt's keepalive: a probe every 5 s, the connection is closed after 3
 * unanswered ones. */
#define KEEPALIVE_INTERVAL_S 5
#define KEEPALIVE_COUNT      3

/* The QEMU user of Debian's and Ubuntu's libvirt (qemu.conf user/group). */

/* ------------------------------------------------------------ libvirt's event loop */

/*
 * libvirt needs an event loop for keepalive, close callbacks and domain
 * events.  Its default implementation (virEventRegisterDefaultImpl) is
 * GLib's *global default* main context since libvirt 6.x: a thread running
 * virEventRunDefaultImpl() would iterate the application's own default
 * context, dispatching the application's sources (and the session's
 * signals) on that thread, and it would stall whenever the application
 * iterates that context itself.  So the session registers an event
 * implementation of its own (virEventRegisterImpl) on a private
 * GMainContext, run by one thread per process, "vw-libvirt-ev".
 *
 * Handles and timers are GSources on that context, remade when libvirt
 * changes them (as libvirt's own implementation does); libvirt's free
 * callbacks run later on the event thread, never inside a remove call
 * (libvirt may hold its locks there).
 */

typedef struct {
    int id;
    int fd;
    int events; /* VIR_EVENT_HANDLE_*; 0: disabled */
    virEventHandleCallback cb;
    void *opaque;
    virFreeCallback ff;
    GSource *source; /* NULL while disabled */
} EvHandle;

typedef struct {
    int id;
    int interval; /* ms; -1 disabled, 0 every iteration */
    virEventTimeoutCallback cb;
    void *opaque;
    virFreeCallback ff;
    GSource *source; /* NULL while disabled */
} EvTimer;

static GMutex ev_lock;
static GMainContext *ev_ctx;
static GHashTable *ev_handles; /* id -> EvHandle */
static GHashTable *ev_timers;  /* id -> EvTimer */
static int ev_next_id = 1;

static GIOCondition
ev_condition(int events)
{
    GIOCondition cond = 0;

    if (events & VIR_EVENT_HANDLE_READABLE)
        cond |= G_IO_IN;
    if (events & VIR_EVENT_HANDLE_WRITABLE)
        cond |= G_IO_OUT;
    if (events & VIR_EVENT_HANDLE_ERROR)
        cond |= G_IO_ERR;
    if (events & VIR_EVENT_HANDLE_HANGUP)
        cond |= G_IO_HUP;
    return cond;
}

static int
ev_events(GIOCondition cond)
{
    int events = 0;

    if (cond & G_IO_IN)
        events |= VIR_EVENT_HANDLE_READABLE;
    if (cond & G_IO_OUT)
        events |= VIR_EVENT_HANDLE_WRITABLE;
    if (cond & G_IO_ERR)
        events |= VIR_EVENT_HANDLE_ERROR;
    if (cond & G_IO_HUP)
        events |= VIR_EVENT_HANDLE_HANGUP;
    return events;
}

static void
ev_source_drop(GSource **source)
{
    if (!*source)
        return;
    g_source_destroy(*source);
    g_clear_pointer(source, g_source_unref);
}

static gboolean
ev_handle_dispatch(int fd, GIOCondition cond, gpointer data)
{
    int id = GPOINTER_TO_INT(data);
    virEventHandleCallback cb = NULL;
    void *opaque = NULL;
    EvHandle *h;

    g_mutex_lock(&ev_lock);
    h = g_hash_table_lookup(ev_handles, GINT_TO_POINTER(id));
    /* a source that was replaced or removed meanwhile says nothing */
    if (h && h->source == g_main_current_source()) {
        cb = h->cb;
        opaque = h->opaque;
    }
    g_mutex_unlock(&ev_lock);
    if (!cb)
        return G_SOURCE_REMOVE;
    cb(id, fd, ev_events(cond), opaque);
    return G_SOURCE_CONTINUE;
}

/* With ev_lock held: (re)make the handle's source for its events. */
static void
ev_handle_arm(EvHandle *h)
{
    ev_source_drop(&h->source);
    if (!h->events)
        return;
    h->source = g_unix_fd_source_new(h->fd, ev_condition(h->events));
    g_source_set_name(h->source, "[virtwire] libvirt handle");
    g_source_set_callback(h->source, (GSourceFunc)(void (*)(void))ev_handle_dispatch,
                          GINT_TO_POINTER(h->id), NULL);
    g_source_attach(h->source, ev_ctx);
}

static gboolean
ev_timer_dispatch(gpointer data)
{
    int id = GPOINTER_TO_INT(data);
    virEventTimeoutCallback cb = NULL;
    void *opaque = NULL;
    EvTimer *t;

    g_mutex_lock(&ev_lock);
    t = g_hash_table_lookup(ev_timers, GINT_TO_POINTER(id));
    if (t && t->source == g_main_current_source()) {
        cb = t->cb;
        opaque = t->opaque;
    }
    g_mutex_unlock(&ev_lock);
    if (!cb)
        return G_SOURCE_REMOVE;
    cb(id, opaque);
    return G_SOURCE_CONTINUE;
}

/* With ev_lock held: (re)make the timer's source for its interval. */
static void
ev_timer_arm(EvTimer *t)
{
    ev_source_drop(&t->source);
    if (t->interval < 0)
        return;
    t->source = t->interval == 0 ? g_idle_source_new() : g_timeout_source_new(t->interval);
    g_source_set_name(t->source, "[virtwire] libvirt timer");
    g_source_set_callback(t->source, ev_timer_dispatch, GINT_TO_POINTER(t->id), NULL);
    g_source_attach(t->source, ev_ctx);
}

/* Runs libvirt's free callback on a clean stack, on the event thread. */
typedef struct {
    virFreeCallback ff;
    void *opaque;
} EvFree;

static gboolean
ev_free_dispatch(gpointer data)
{
    EvFree *f = data;

    f->ff(f->opaque);
    return G_SOURCE_REMOVE;
}

static void
ev_free_later(virFreeCallback ff, void *opaque)
{
    GSource *source;
    EvFree *f;

    if (!ff)
        return;
    f = g_new0(EvFree, 1);
    f->ff = ff;
    f->opaque = opaque;
    source = g_idle_source_new();
    g_source_set_name(source, "[virtwire] libvirt free");
    g_source_set_callback(source, ev_free_dispatch, f, g_free);
    g_source_attach(source, ev_ctx);
    g_source_unref(source);
}

static int
ev_add_handle(int fd, int events, virEventHandleCallback cb, void *opaque, virFreeCallback ff)
{
    EvHandle *h = g_new0(EvHandle, 1);

    h->fd = fd;
    h->events = events;
    h->cb = cb;
    h->opaque = opaque;
    h->ff = ff;
    g_mutex_lock(&ev_lock);
    h->id = ev_next_id++;
    g_hash_table_insert(ev_handles, GINT_TO_POINTER(h->id), h);
    ev_handle_arm(h);
    g_mutex_unlock(&ev_lock);
    return h->id;
}

static void
ev_update_handle(int watch, int events)
{
    EvHandle *h;

    g_mutex_lock(&ev_lock);
    h = g_hash_table_lookup(ev_handles, GINT_TO_POINTER(watch));
    if (h && h->events != events) {
        h->events = events;
        ev_handle_arm(h);
    }
    g_mutex_unlock(&ev_lock);
}

static int
ev_remove_handle(int watch)
{
    EvHandle *h;

    g_mutex_lock(&ev_lock);
    h = g_hash_table_lookup(ev_handles, GINT_TO_POINTER(watch));
    if (h) {
        g_hash_table_steal(ev_handles, GINT_TO_POINTER(watch));
        ev_source_drop(&h->source);
        ev_free_later(h->ff, h->opaque);
    }
    g_mutex_unlock(&ev_lock);
    g_free(h);
    return h ? 0 : -1;
}

static int
ev_add_timeout(int interval, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff)
{
    EvTimer *t = g_new0(EvTimer, 1);

    t->interval = interval;
    t->cb = cb;
    t->opaque = opaque;
    t->ff = ff;
    g_mutex_lock(&ev_lock);
    t->id = ev_next_id++;
    g_hash_table_insert(ev_timers, GINT_TO_POINTER(t->id), t);
    ev_timer_arm(t);
    g_mutex_unlock(&ev_lock);
    return t->id;
}

static void
ev_update_timeout(int timer, int interval)
{
    EvTimer *t;

    g_mutex_lock(&ev_lock);
    t = g_hash_table_lookup(ev_timers, GINT_TO_POINTER(timer));
    /* re-armed even when unchanged: libvirt expects the period to restart */
    if (t) {
        t->interval = interval;
        ev_timer_arm(t);
    }
    g_mutex_unlock(&ev_lock);
}

static int
ev_remove_timeout(int timer)
{
    EvTimer *t;

    g_mutex_lock(&ev_lock);
    t = g_hash_table_lookup(ev_timers, GINT_TO_POINTER(timer));
    if (t) {
        g_hash_table_steal(ev_timers, GINT_TO_POINTER(timer));
        ev_source_drop(&t->source);
        ev_free_later(t->ff, t->opaque);
    }
    g_mutex_unlock(&ev_lock);
    g_free(t);
    return t ? 0 : -1;
}

static gpointer
libvirt_events_run(gpointer data)
{
    GMainContext *ctx = data;

    g_main_context_push_thread_default(ctx);
    for (;;)
        g_main_context_iteration(ctx, TRUE);
    return NULL;
}

gboolean
vw_session_libvirt_events_ensure(GError **error)
{
    static gsize once = 0;
    static char *failure = NULL; /* the first call's error, for every later call */

    if (g_once_init_enter(&once)) {
        g_autoptr(GError) local = NULL;
        GThread *thread;

        vw_libvirt_init();
        ev_ctx = g_main_context_new();
        ev_handles = g_hash_table_new(NULL, NULL);
        ev_timers = g_hash_table_new(NULL, NULL);
        thread = g_thread_try_new("vw-libvirt-ev", libvirt_events_run, ev_ctx, &local);
        if (thread) {
            g_thread_unref(thread); /* runs until the process exits */
            virEventRegisterImplWrapper(ev_add_handle, ev_update_handle, ev_remove_handle,
                                        ev_add_timeout, ev_update_timeout, ev_remove_timeout, NULL);
        } else {
            failure = g_strdup_printf(_("cannot start libvirt's event thread: %s"), local->message);
        }
        g_once_init_leave(&once, 1);
    }
    if (failure) {
        g_set_error_literal(error, VW_ERROR, VW_ERROR_FAILED, failure);
        return FALSE;
    }
    return TRUE;
}

/* ------------------------------------------------------------ types */

typedef struct _Worker Worker;

/* What the owner thread is told, in order. */
typedef enum {
    EMIT_STATE,
    EMIT_READY,
    EMIT_ERROR,
    EMIT_RECONNECTING,
    EMIT_RECONCILED,
} EmitKind;

typedef struct {
    EmitKind kind;
    VwSessionState state;
    GError *error;
    guint attempt;
    gint64 delay_ms;
    char *domain;
    guint plugged;
    guint removed;
} Emission;

/*
 * The queue from the worker to the owner thread.  Refcounted: the idle
 * source that drains it may outlive the session.  @session is cleared when
 * the session is disposed; @generation changes at each stop, so that what
 * a stopped worker queued is dropped.
 */
typedef struct {
    gatomicrefcount refs;
    GMutex lock;
    VwSession *session;
    GMainContext *owner;
    GSource *source; /* the pending drain, or NULL */
    GQueue queue;    /* Emission */
    guint generation;
} Shared;

struct _VwSession {
    GObject parent_instance;

    char *root;
    char *uri;
    VwClock clock;
    gpointer clock_data;

    gint state; /* VwSessionState; written on the owner thread, read anywhere */
    Shared *shared;
    GThread *thread;
    Worker *worker;
};

/*
 * What libvirt's callbacks of one connection hold.  The worker cuts it
 * (ctx = NULL) before it lets the connection go; a callback that still
 * runs then posts nothing.
 */
typedef struct {
    gatomicrefcount refs;
    GMutex lock;
    GMainContext *ctx; /* the worker's, while the connection is current */
    Worker *worker;    /* used only on the worker thread */
} Link;

typedef enum {
    MSG_CLOSED,
    MSG_LIFECYCLE,
} MsgKind;

/* A callback's news, handed to the worker. */
typedef struct {
    MsgKind kind;
    Link *link;
    virDomainPtr dom; /* MSG_LIFECYCLE: a reference of its own */
    int event;
    int detail;
    int reason; /* MSG_CLOSED: virConnectCloseReason */
} Msg;

struct _Worker {
    Shared *shared;
    guint generation;
    GMainContext *ctx;
    GMainLoop *loop;
    char *uri;
    VwEngine *engine;
    VwClock clock;
    gpointer clock_data;
    VwBackoff backoff;
    GSource *retry;

    virConnectPtr conn;
    Link *link;
    int event_id; /* -1: none */
    gboolean close_registered;
};

enum {
    PROP_0,
    PROP_STATE,
    PROP_URI,
    PROP_ROOT,
    N_PROPS,
};

enum {
    SIGNAL_READY,
    SIGNAL_ERROR,
    SIGNAL_RECONNECTING,
    SIGNAL_RECONCILED,
    N_SIGNALS,
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE(VwSession, vw_session, G_TYPE_OBJECT)

/* ------------------------------------------------------------ emissions */

static void
emission_free(Emission *e)
{
    if (e->error)
        g_error_free(e->error);
    g_free(e->domain);
    g_free(e);
}

static Shared *
shared_new(VwSession *session)
{
    Shared *s = g_new0(Shared, 1);

    g_atomic_ref_count_init(&s->refs);
    g_mutex_init(&s->lock);
    s->session = session;
    g_queue_init(&s->queue);
    return s;
}

static Shared *
shared_ref(Shared *s)
{
    g_atomic_ref_count_inc(&s->refs);
    return s;
}

static void
shared_unref(gpointer data)
{
    Shared *s = data;

    if (!g_atomic_ref_count_dec(&s->refs))
        return;
    g_queue_clear_full(&s->queue, (GDestroyNotify)emission_free);
    if (s->owner)
        g_main_context_unref(s->owner);
    g_mutex_clear(&s->lock);
    g_free(s);
}

static void
session_set_state(VwSession *self, VwSessionState state)
{
    if ((VwSessionState)g_atomic_int_get(&self->state) == state)
        return;
    g_atomic_int_set(&self->state, (gint)state);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_STATE]);
}

static void
session_emit(VwSession *self, const Emission *e)
{
    switch (e->kind) {
    case EMIT_STATE:
        session_set_state(self, e->state);
        break;
    case EMIT_READY:
        g_signal_emit(self, signals[SIGNAL_READY], 0);
        break;
    case EMIT_ERROR:
        g_signal_emit(self, signals[SIGNAL_ERROR], 0, e->error);
        break;
    case EMIT_RECONNECTING:
        g_signal_emit(self, signals[SIGNAL_RECONNECTING], 0, e->attempt, e->delay_ms);
        break;
    case EMIT_RECONCILED:
        g_signal_emit(self, signals[SIGNAL_RECONCILED], 0, e->domain, e->plugged, e->removed);
        break;
    }
}

/* On the owner thread: deliver what the worker queued, in order. */
static gboolean
shared_drain(gpointer data)
{
    Shared *s = data;

    for (;;) {
        Emission *e;
        VwSession *session = NULL;

        g_mutex_lock(&s->lock);
        e = g_queue_pop_head(&s->queue);
        if (!e)
            s->source = NULL;
        else if (s->session)
            session = g_object_ref(s->session);
        g_mutex_unlock(&s->lock);
        if (!e)
            break;
        if (session) {
            session_emit(session, e);
            /* a handler may drop the last reference: dispose then clears
             * s->session and the rest is dropped */
            g_object_unref(session);
        }
        emission_free(e);
    }
    return G_SOURCE_REMOVE;
}

/* On the worker: queue @e (consumed) for the owner thread. */
static void
worker_emit(Worker *w, Emission *e)
{
    Shared *s = w->shared;

    g_mutex_lock(&s->lock);
    if (s->generation != w->generation || !s->session) {
        g_mutex_unlock(&s->lock);
        emission_free(e);
        return;
    }
    g_queue_push_tail(&s->queue, e);
    if (!s->source) {
        s->source = g_idle_source_new();
        g_source_set_name(s->source, "[virtwire] session signals");
        g_source_set_callback(s->source, shared_drain, shared_ref(s), shared_unref);
        g_source_attach(s->source, s->owner);
        g_source_unref(s->source); /* the context holds it until it runs */
    }
    g_mutex_unlock(&s->lock);
}

static void
worker_set_state(Worker *w, VwSessionState state)
{
    Emission *e = g_new0(Emission, 1);

    e->kind = EMIT_STATE;
    e->state = state;
    worker_emit(w, e);
}

/* @error (consumed) as a VW_ERROR (or VW_LIBVIRT_ERROR) on the error signal. */
static void
worker_emit_error(Worker *w, GError *error)
{
    Emission *e = g_new0(Emission, 1);

    e->kind = EMIT_ERROR;
    vw_error_propagate(&e->error, error);
    worker_emit(w, e);
}

static void
worker_emit_reconciled(Worker *w, const char *domain, guint plugged, guint removed)
{
    Emission *e = g_new0(Emission, 1);

    e->kind = EMIT_RECONCILED;
    e->domain = g_strdup(domain);
    e->plugged = plugged;
    e->removed = removed;
    worker_emit(w, e);
}

/* The URI as messages show it. */
static const char *
worker_uri(const Worker *w)
{
    /* TRANSLATORS: stands for a libvirt URI in messages when none was given */
    return w->uri ? w->uri : _("(libvirt's default URI)");
}

/* ------------------------------------------------------------ links and messages */

static Link *
link_new(Worker *w)
{
    Link *link = g_new0(Link, 1);

    g_atomic_ref_count_init(&link->refs);
    g_mutex_init(&link->lock);
    link->ctx = g_main_context_ref(w->ctx);
    link->worker = w;
    return link;
}

static Link *
link_ref(Link *link)
{
    g_atomic_ref_count_inc(&link->refs);
    return link;
}

/* Also libvirt's free callback of the registrations. */
static void
link_unref(void *data)
{
    Link *link = data;

    if (!link || !g_atomic_ref_count_dec(&link->refs))
        return;
    if (link->ctx)
        g_main_context_unref(link->ctx);
    g_mutex_clear(&link->lock);
    g_free(link);
}

/* Nothing posted from now on. */
static void
link_cut(Link *link)
{
    GMainContext *ctx;

    g_mutex_lock(&link->lock);
    ctx = g_steal_pointer(&link->ctx);
    g_mutex_unlock(&link->lock);
    if (ctx)
        g_main_context_unref(ctx);
}

static void
msg_free(gpointer data)
{
    Msg *m = data;

    if (m->dom)
        virDomainFreeWrapper(m->dom, NULL);
    link_unref(m->link);
    g_free(m);
}

static gboolean worker_dispatch(gpointer data);

/* From libvirt's event thread: hand @m (consumed) to the worker. */
static void
link_post(Link *link, Msg *m)
{
    g_mutex_lock(&link->lock);
    if (link->ctx) {
        GSource *source = g_idle_source_new();

        m->link = link_ref(link);
        g_source_set_name(source, "[virtwire] libvirt event");
        g_source_set_callback(source, worker_dispatch, m, msg_free);
        g_source_attach(source, link->ctx);
        g_source_unref(source);
        m = NULL;
    }
    g_mutex_unlock(&link->lock);
    if (m)
        msg_free(m);
}

static void
on_close(virConnectPtr conn, int reason, void *opaque)
{
    Msg *m = g_new0(Msg, 1);

    (void)conn;
    m->kind = MSG_CLOSED;
    m->reason = reason;
    link_post(opaque, m);
}

static int
on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
    Msg *m;

    (void)conn;
    /* Only what changes which ports a domain needs. */
    if (event != VIR_DOMAIN_EVENT_STARTED && event != VIR_DOMAIN_EVENT_STOPPED &&
        event != VIR_DOMAIN_EVENT_UNDEFINED)
        return 0;
    m = g_new0(Msg, 1);
    m->kind = MSG_LIFECYCLE;
    m->event = event;
    m->detail = detail;
    /* the domain object lives only as long as this call: take a reference */
    if (virDomainRefWrapper(dom, NULL) == 0)
        m->dom = dom;
    link_post(opaque, m);
    return 0;
}

/* ------------------------------------------------------------ domains and ports */

/*
 * What virtwire holds now: per domain UUID, the networks where it has
 * ports or leases, with how many.
 */
typedef struct {
    GHashTable *networks; /* uuid -> GHashTable of network name -> count of ports and leases */
} Holdings;

static void
holdings_free(Holdings *h)
{
    if (!h)
        return;
    g_clear_pointer(&h->networks, g_hash_table_unref);
    g_free(h);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Holdings, holdings_free)

/* One more port or lease of domain @uuid on @network. */
static void
holdings_add(Holdings *h, const char *uuid, const char *network)
{
    g_autofree char *u = g_ascii_strdown(uuid, -1);
    GHashTable *nets = g_hash_table_lookup(h->networks, u);
    guint count;

    if (!nets) {
        nets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_hash_table_insert(h->networks, g_steal_pointer(&u), nets);
    }
    count = GPOINTER_TO_UINT(g_hash_table_lookup(nets, network));
    g_hash_table_insert(nets, g_strdup(network), GUINT_TO_POINTER(count + 1));
}

static Holdings *
holdings_read(VwEngine *engine, GError **error)
{
    g_autoptr(Holdings) h = g_new0(Holdings, 1);
    g_autoptr(GPtrArray) ports = NULL;
    g_autoptr(GPtrArray) nets = NULL;

    h->networks =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_hash_table_unref);
    ports = vw_engine_port_list(engine, NULL, error);
    if (!ports)
        return NULL;
    for (guint i = 0; i < ports->len; i++) {
        const VwPortInfo *p = ports->pdata[i];

        holdings_add(h, p->domain_uuid, p->network);
    }
    nets = vw_engine_network_list(engine, error);
    if (!nets)
        return NULL;
    for (guint i = 0; i < nets->len; i++) {
        const VwNetworkInfo *n = nets->pdata[i];
        g_autoptr(GPtrArray) leases = vw_engine_lease_list(engine, n->name, error);

        if (!leases)
            return NULL;
        for (guint j = 0; j < leases->len; j++) {
            const VwLeaseInfo *l = leases->pdata[j];

            if (l->domain_uuid && *l->domain_uuid)
                holdings_add(h, l->domain_uuid, n->name);
        }
    }
    return g_steal_pointer(&h);
}

/* A failure of one port: reported on the error signal. */
static void
worker_report(const GError *error, gpointer data)
{
    GError *copy = NULL;

    vw_error_propagate(&copy, g_error_copy(error));
    worker_emit_error(data, copy);
}

/* Plug the virtwire NICs of the running domain @dom that have no port (see
 * vw_domif_repair()); returns how many were plugged. */
static guint
worker_plug_domain(Worker *w, virDomainPtr dom)
{
    g_auto(virError) err = VW_ERROR_INIT;
    g_autoptr(GError) local = NULL;
    g_autofree char *xml = NULL;
    g_autoptr(VwDomInfo) info = NULL;

    xml = virDomainGetXMLDescWrapper(dom, 0, &err);
    if (!xml)
        vw_libvirt_error_set(&local, &err);
    else
        info = vw_dominfo_parse(xml, -1, &local);
    if (!info) {
        const char *name = virDomainGetNameWrapper(dom, NULL);

        g_prefix_error(&local, _("cannot read the XML of domain '%s': "), name ? name : "?");
        worker_emit_error(w, g_steal_pointer(&local));
        return 0;
    }
    return vw_domif_repair(w->engine, info, TRUE, worker_report, w);
}

/* Release everything of domain @uuid in @holdings; returns how many ports
 * and leases went. */
static guint
worker_release_domain(Worker *w, const char *uuid, const Holdings *holdings)
{
    GHashTable *nets = g_hash_table_lookup(holdings->networks, uuid);
    GHashTableIter it;
    gpointer net, count;
    guint removed = 0;

    if (!nets)
        return 0;
    g_hash_table_iter_init(&it, nets);
    while (g_hash_table_iter_next(&it, &net, &count)) {
        g_autoptr(GError) local = NULL;

        if (!vw_domif_release(w->engine, uuid, net, &local)) {
            worker_report(local, w);
            continue;
        }
        removed += GPOINTER_TO_UINT(count);
    }
    return removed;
}

/* Unplug (leases kept) the ports of the stopped domain @uuid. */
static guint
worker_unplug_domain(Worker *w, const char *uuid, const char *name)
{
    int n = vw_domif_unplug(w->engine, uuid, name, NULL, worker_report, w);

    return n < 0 ? 0 : (guint)n;
}

/* The full pass at each (re)connect.  When libvirt's domains cannot all be
 * listed, nothing is collected. */
static void
worker_reconcile_all(Worker *w)
{
    g_auto(virError) err = VW_ERROR_INIT;
    g_autoptr(GError) local = NULL;
    g_autoptr(Holdings) holdings = NULL;
    g_autoptr(GHashTable) live = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    virDomainPtr *doms = NULL;
    VwReconcileReport report = { 0 };
    GHashTableIter it;
    gpointer uuid;
    guint plugged = 0, removed = 0;
    int n;

    /* virtwire's state first, libvirt's second: see the top of the file */
    holdings = holdings_read(w->engine, &local);
    if (!holdings) {
        g_prefix_error(&local, _("cannot read virtwire's ports and leases: "));
        worker_emit_error(w, g_steal_pointer(&local));
        return;
    }
    n = virConnectListAllDomainsWrapper(w->conn, &doms, 0, &err);
    if (n < 0) {
        vw_libvirt_error_set(&local, &err);
        g_prefix_error(&local, _("cannot list the domains of '%s'; nothing was collected: "),
                       worker_uri(w));
        worker_emit_error(w, g_steal_pointer(&local));
        return;
    }
    for (int i = 0; i < n; i++) {
        char buf[VIR_UUID_STRING_BUFLEN];

        if (virDomainGetUUIDStringWrapper(doms[i], buf, &err) < 0) {
            /* without every UUID, a live domain could look vanished */
            vw_libvirt_error_set(&local, &err);
            g_prefix_error(&local,
                           _("cannot read the UUID of a domain of '%s'; nothing was "
                             "collected: "),
                           worker_uri(w));
            worker_emit_error(w, g_steal_pointer(&local));
            for (int j = 0; j < n; j++)
                virDomainFreeWrapper(doms[j], NULL);
            g_free(doms);
            return;
        }
        g_hash_table_add(live, g_ascii_strdown(buf, -1));
    }

    /* Networks and existing ports: repairs, interrupted work, links. */
    if (!vw_engine_reconcile(w->engine, NULL, &report, &local)) {
        g_prefix_error(&local, _("cannot reconcile virtwire's networks and ports: "));
        worker_emit_error(w, g_steal_pointer(&local));
        g_clear_error(&local);
    }
    /* Domains that are gone: their ports and leases. */
    g_hash_table_iter_init(&it, holdings->networks);
    while (g_hash_table_iter_next(&it, &uuid, NULL)) {
        if (!g_hash_table_contains(live, uuid))
            removed += worker_release_domain(w, uuid, holdings);
    }
    /* Running domains: the ports they lack. */
    for (int i = 0; i < n; i++) {
        if (virDomainIsActiveWrapper(doms[i], NULL) == 1)
            plugged += worker_plug_domain(w, doms[i]);
        virDomainFreeWrapper(doms[i], NULL);
    }
    g_free(doms);
    worker_emit_reconciled(w, NULL, plugged, removed);
}

/* Whether the domain exists and runs: 1 runs, 0 defined and not running,
 * -1 gone, -2 unknown (reported). */
static int
worker_domain_presence(Worker *w, virDomainPtr dom)
{
    g_auto(virError) err = VW_ERROR_INIT;
    int active = virDomainIsActiveWrapper(dom, &err);

    if (active >= 0)
        return active ? 1 : 0;
    if (err.code == VIR_ERR_NO_DOMAIN)
        return -1;
    {
        g_autoptr(GError) local = NULL;

        vw_libvirt_error_set(&local, &err);
        worker_emit_error(w, g_steal_pointer(&local));
    }
    return -2;
}

static void
worker_lifecycle(Worker *w, virDomainPtr dom, int event)
{
    g_auto(virError) err = VW_ERROR_INIT;
    g_autoptr(GError) local = NULL;
    g_autoptr(Holdings) holdings = NULL;
    char uuid_buf[VIR_UUID_STRING_BUFLEN];
    g_autofree char *uuid = NULL;
    const char *name;
    guint plugged = 0, removed = 0;
    int presence;

    if (virDomainGetUUIDStringWrapper(dom, uuid_buf, &err) < 0)
        return; /* not a usable domain object */
    uuid = g_ascii_strdown(uuid_buf, -1);
    name = virDomainGetNameWrapper(dom, NULL);
    if (!name)
        name = uuid;
    holdings = holdings_read(w->engine, &local);
    if (!holdings) {
        g_prefix_error(&local, _("cannot read virtwire's ports and leases: "));
        worker_emit_error(w, g_steal_pointer(&local));
        return;
    }
    /* The event may be old news: act on what the domain is now. */
    presence = worker_domain_presence(w, dom);
    switch (event) {
    case VIR_DOMAIN_EVENT_STARTED:
        if (presence == 1)
            plugged = worker_plug_domain(w, dom);
        break;
    case VIR_DOMAIN_EVENT_STOPPED:
    case VIR_DOMAIN_EVENT_UNDEFINED:
        if (presence == -1)
            removed = worker_release_domain(w, uuid, holdings);
        else if (presence == 0 && event == VIR_DOMAIN_EVENT_STOPPED)
            removed = worker_unplug_domain(w, uuid, name);
        break;
    default:
        break;
    }
    worker_emit_reconciled(w, uuid, plugged, removed);
}

/* ------------------------------------------------------------ the connection */

static void worker_connect(Worker *w);

/* Deregister and close the current connection, if any. */
static void
worker_disconnect(Worker *w)
{
    if (!w->conn)
        return;
    link_cut(w->link);
    if (w->event_id >= 0)
        virConnectDomainEventDeregisterAnyWrapper(w->conn, w->event_id, NULL);
    if (w->close_registered)
        virConnectUnregisterCloseCallbackWrapper(w->conn, on_close, NULL);
    virConnectCloseWrapper(w->conn, NULL);
    w->conn = NULL;
    w->event_id = -1;
    w->close_registered = FALSE;
    g_clear_pointer(&w->link, link_unref);
}

static gboolean
worker_retry(gpointer data)
{
    Worker *w = data;

    g_clear_pointer(&w->retry, g_source_unref);
    worker_connect(w);
    return G_SOURCE_REMOVE;
}

static GSource *
timeout_source_default(gint64 delay_ms, gpointer user_data)
{
    (void)user_data;
    return g_timeout_source_new((guint)CLAMP(delay_ms, 0, G_MAXUINT));
}

/* Wait for the next attempt. */
static void
worker_backoff(Worker *w)
{
    Emission *e = g_new0(Emission, 1);
    guint attempt;
    gint64 delay = vw_backoff_next(&w->backoff, &attempt, NULL);

    worker_set_state(w, VW_SESSION_STATE_BACKOFF);
    e->kind = EMIT_RECONNECTING;
    e->attempt = attempt;
    e->delay_ms = delay;
    worker_emit(w, e);
    g_assert(!w->retry);
    w->retry = w->clock.timeout_source_new(delay, w->clock_data);
    g_source_set_name(w->retry, "[virtwire] session reconnect");
    g_source_set_callback(w->retry, worker_retry, w, NULL);
    g_source_attach(w->retry, w->ctx);
}

/* The connection failed after it was opened: report, drop, back off. */
static void
worker_fail(Worker *w, virConnectPtr conn, Link *link, GError *error)
{
    worker_emit_error(w, error);
    if (w->conn != conn) {
        /* not registered yet: undo by hand */
        w->conn = conn;
        w->link = link;
    }
    worker_disconnect(w);
    worker_backoff(w);
}

static void
worker_connect(Worker *w)
{
    g_auto(virError) err = VW_ERROR_INIT;
    GError *local = NULL;
    virConnectPtr conn;
    Link *link;
    Emission *e;
    int id;

    worker_set_state(w, VW_SESSION_STATE_CONNECTING);
    conn = virConnectOpenWrapper(w->uri, &err);
    if (!conn) {
        vw_libvirt_error_set(&local, &err);
        g_prefix_error(&local, _("cannot connect to '%s': "), worker_uri(w));
        worker_emit_error(w, local);
        worker_backoff(w);
        return;
    }
    link = link_new(w);
    w->event_id = -1;
    w->close_registered = FALSE;
    /* In-process drivers (test:///) have no keepalive: that is no failure. */
    if (virConnectSetKeepAliveWrapper(conn, KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT, &err) < 0 &&
        err.code != VIR_ERR_NO_SUPPORT) {
        vw_libvirt_error_set(&local, &err);
        g_prefix_error(&local, _("cannot turn on keepalive on '%s': "), worker_uri(w));
        worker_fail(w, conn, link, local);
        return;
    }
    /*
     * No free callback here: drivers without close callbacks (test:///)
     * accept the registration and drop it, and libvirt calls the free
     * callback of the others once the callback ran.  The link stays alive
     * through the worker's own reference instead, until the callback is
     * unregistered (which waits for a running callback: both take the
     * same lock in libvirt).
     */
    if (virConnectRegisterCloseCallbackWrapper(conn, on_close, link, NULL, &err) < 0) {
        if (err.code != VIR_ERR_NO_SUPPORT) {
            vw_libvirt_error_set(&local, &err);
            g_prefix_error(&local, _("cannot watch the connection to '%s': "), worker_uri(w));
            worker_fail(w, conn, link, local);
            return;
        }
    } else {
        w->close_registered = TRUE;
    }
    id = virConnectDomainEventRegisterAnyWrapper(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                 VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle),
                                                 link_ref(link), link_unref, &err);
    if (id < 0) {
        link_unref(link);
        vw_libvirt_error_set(&local, &err);
        g_prefix_error(&local, _("cannot watch the domain events of '%s': "), worker_uri(w));
        worker_fail(w, conn, link, local);
        return;
    }
    w->conn = conn;
    w->link = link;
    w->event_id = id;
    vw_backoff_reset(&w->backoff);

    worker_reconcile_all(w);
    worker_set_state(w, VW_SESSION_STATE_READY);
    e = g_new0(Emission, 1);
    e->kind = EMIT_READY;
    worker_emit(w, e);
}

static const char *
close_reason(int reason)
{
    switch (reason) {
    case VIR_CONNECT_CLOSE_REASON_ERROR:
        return _("an I/O error");
    case VIR_CONNECT_CLOSE_REASON_EOF:
        return _("the daemon closed it");
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
        return _("the keepalive timed out");
    case VIR_CONNECT_CLOSE_REASON_CLIENT:
        return _("it was closed on this side");
    default:
        return _("an unknown reason");
    }
}

/* On the worker: a message from libvirt's event thread. */
static gboolean
worker_dispatch(gpointer data)
{
    Msg *m = data;
    Worker *w = m->link->worker;

    if (m->link != w->link)
        return G_SOURCE_REMOVE; /* about a connection that is gone */
    switch (m->kind) {
    case MSG_CLOSED:
        worker_emit_error(w, g_error_new(VW_ERROR, VW_ERROR_FAILED,
                                         _("lost the connection to '%s': %s"), worker_uri(w),
                                         close_reason(m->reason)));
        worker_disconnect(w);
        worker_backoff(w);
        break;
    case MSG_LIFECYCLE:
        if (m->dom)
            worker_lifecycle(w, m->dom, m->event);
        break;
    }
    return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------ the worker thread */

static gboolean
worker_start_cb(gpointer data)
{
    worker_connect(data);
    return G_SOURCE_REMOVE;
}

static gboolean
worker_quit_cb(gpointer data)
{
    Worker *w = data;

    g_main_loop_quit(w->loop);
    return G_SOURCE_REMOVE;
}

static gpointer
worker_main(gpointer data)
{
    Worker *w = data;
    GSource *start = g_idle_source_new();

    g_main_context_push_thread_default(w->ctx);
    g_source_set_callback(start, worker_start_cb, w, NULL);
    g_source_attach(start, w->ctx);
    g_source_unref(start);
    g_main_loop_run(w->loop);

    if (w->retry) {
        g_source_destroy(w->retry);
        g_clear_pointer(&w->retry, g_source_unref);
    }
    worker_disconnect(w);
    g_main_context_pop_thread_default(w->ctx);
    return NULL;
}

static void
worker_free(Worker *w)
{
    if (!w)
        return;
    g_assert(!w->conn && !w->retry);
    g_main_loop_unref(w->loop);
    /* drops what libvirt's thread posted after the loop ended */
    g_main_context_unref(w->ctx);
    vw_engine_free(w->engine);
    shared_unref(w->shared);
    g_free(w->uri);
    g_free(w);
}

/* ------------------------------------------------------------ the object */

VwSession *
vw_session_new(const char *root, const char *uri)
{
    return g_object_new(VW_TYPE_SESSION, "root", root, "uri", uri, NULL);
}

void
vw_session_set_clock(VwSession *session, const VwClock *clock, gpointer user_data)
{
    g_return_if_fail(VW_IS_SESSION(session));
    g_return_if_fail(session->thread == NULL);

    session->clock.timeout_source_new = clock ? clock->timeout_source_new : NULL;
    session->clock.random = clock ? clock->random : NULL;
    session->clock_data = user_data;
}

gboolean
vw_session_start(VwSession *session, GError **error)
{
    g_autoptr(GError) local = NULL;
    Worker *w;

    g_return_val_if_fail(VW_IS_SESSION(session), FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (session->thread) {
        g_set_error(error, VW_ERROR, VW_ERROR_ACTIVE,
                    _("the agent session on '%s' is started already"),
                    session->uri ? session->uri : _("(libvirt's default URI)"));
        return FALSE;
    }
    if (!vw_session_libvirt_events_ensure(error))
        return FALSE;

    w = g_new0(Worker, 1);
    w->engine = vw_engine_open(session->root, &local);
    if (!w->engine) {
        g_free(w);
        return vw_error_propagate(error, g_steal_pointer(&local));
    }
    w->uri = g_strdup(session->uri);
    w->ctx = g_main_context_new();
    w->loop = g_main_loop_new(w->ctx, FALSE);
    w->clock.timeout_source_new = session->clock.timeout_source_new
                                      ? session->clock.timeout_source_new
                                      : timeout_source_default;
    w->clock.random = session->clock.random;
    w->clock_data = session->clock_data;
    vw_backoff_init(&w->backoff, w->clock.random, w->clock_data);
    w->event_id = -1;
    w->shared = shared_ref(session->shared);

    g_mutex_lock(&session->shared->lock);
    if (session->shared->owner)
        g_main_context_unref(session->shared->owner);
    session->shared->owner = g_main_context_ref_thread_default();
    w->generation = session->shared->generation;
    g_mutex_unlock(&session->shared->lock);

    session->thread = g_thread_try_new("vw-session", worker_main, w, &local);
    if (!session->thread) {
        worker_free(w);
        g_set_error(error, VW_ERROR, VW_ERROR_FAILED,
                    _("cannot start the agent session's thread: %s"), local->message);
        return FALSE;
    }
    session->worker = w;
    session_set_state(session, VW_SESSION_STATE_CONNECTING);
    return TRUE;
}

/* Stop the worker; @notify: whether the state changes are notified. */
static void
session_stop(VwSession *session, gboolean notify)
{
    Worker *w = session->worker;
    GSource *quit;

    if (!session->thread)
        return;
    if (notify)
        session_set_state(session, VW_SESSION_STATE_STOPPING);
    /* what the worker queued and did not deliver yet is dropped */
    g_mutex_lock(&session->shared->lock);
    session->shared->generation++;
    g_queue_clear_full(&session->shared->queue, (GDestroyNotify)emission_free);
    g_mutex_unlock(&session->shared->lock);

    quit = g_idle_source_new();
    g_source_set_priority(quit, G_PRIORITY_HIGH);
    g_source_set_callback(quit, worker_quit_cb, w, NULL);
    g_source_attach(quit, w->ctx);
    g_source_unref(quit);
    g_thread_join(g_steal_pointer(&session->thread));
    session->worker = NULL;
    worker_free(w);
    if (notify)
        session_set_state(session, VW_SESSION_STATE_STOPPED);
    else
        g_atomic_int_set(&session->state, VW_SESSION_STATE_STOPPED);
}

void
vw_session_stop(VwSession *session)
{
    g_return_if_fail(VW_IS_SESSION(session));

    session_stop(session, TRUE);
}

VwSessionState
vw_session_get_state(VwSession *session)
{
    g_return_val_if_fail(VW_IS_SESSION(session), VW_SESSION_STATE_STOPPED);

    return (VwSessionState)g_atomic_int_get(&session->state);
}

const char *
vw_session_get_uri(VwSession *session)
{
    g_return_val_if_fail(VW_IS_SESSION(session), NULL);

    return session->uri;
}

const char *
vw_session_get_root(VwSession *session)
{
    g_return_val_if_fail(VW_IS_SESSION(session), NULL);

    return session->root;
}

static void
vw_session_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
    VwSession *self = VW_SESSION(object);

    switch (prop_id) {
    case PROP_STATE:
        g_value_set_enum(value, vw_session_get_state(self));
        break;
    case PROP_URI:
        g_value_set_string(value, self->uri);
        break;
    case PROP_ROOT:
        g_value_set_string(value, self->root);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void
vw_session_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
    VwSession *self = VW_SESSION(object);

    switch (prop_id) {
    case PROP_URI:
        g_free(self->uri);
        self->uri = g_value_dup_string(value);
        break;
    case PROP_ROOT:
        g_free(self->root);
        self->root = g_value_dup_string(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void
vw_session_dispose(GObject *object)
{
    VwSession *self = VW_SESSION(object);

    session_stop(self, FALSE);
    g_mutex_lock(&self->shared->lock);
    self->shared->session = NULL;
    g_mutex_unlock(&self->shared->lock);
    G_OBJECT_CLASS(vw_session_parent_class)->dispose(object);
}

static void
vw_session_finalize(GObject *object)
{
    VwSession *self = VW_SESSION(object);

    shared_unref(self->shared);
    g_free(self->root);
    g_free(self->uri);
    G_OBJECT_CLASS(vw_session_parent_class)->finalize(object);
}

static void
vw_session_init(VwSession *self)
{
    self->state = VW_SESSION_STATE_STOPPED;
    self->shared = shared_new(self);
}

static void
vw_session_class_init(VwSessionClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->get_property = vw_session_get_property;
    object_class->set_property = vw_session_set_property;
    object_class->dispose = vw_session_dispose;
    object_class->finalize = vw_session_finalize;

    /**
     * VwSession:state:
     *
     * What the session is doing; notified in the main context of the
     * vw_session_start() call, one notification per change, in order.
     */
    props[PROP_STATE] =
        g_param_spec_enum("state", "State", "What the session is doing", VW_TYPE_SESSION_STATE,
                          VW_SESSION_STATE_STOPPED, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    /**
     * VwSession:uri:
     *
     * The libvirt URI, %NULL for libvirt's default.
     */
    props[PROP_URI] =
        g_param_spec_string("uri", "URI", "The libvirt URI", NULL,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    /**
     * VwSession:root:
     *
     * The root of virtwire's state, %NULL for $VIRTWIRE_ROOT, else "/".
     */
    props[PROP_ROOT] =
        g_param_spec_string("root", "Root", "The root of virtwire's state", NULL,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, props);

    /**
     * VwSession::ready:
     * @session: the session
     *
     * The connection is open, the callbacks are registered and the first
     * reconcile is done; after every successful (re)connect.
     */
    signals[SIGNAL_READY] = g_signal_new("ready", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 0);
    /**
     * VwSession::error:
     * @session: the session
     * @error: what failed: a connect, a lost connection, a port that could
     *     not be plugged or removed
     *
     * Something failed; the session goes on (it reconnects, or reconciles
     * again at the next event).
     */
    signals[SIGNAL_ERROR] =
        g_signal_new("error", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 1, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
    /**
     * VwSession::reconnecting:
     * @session: the session
     * @attempt: the number of this attempt since the last successful
     *     connect, from 1
     * @delay_ms: how long the session waits before it
     *
     * The session is waiting before it connects again.
     */
    signals[SIGNAL_RECONNECTING] =
        g_signal_new("reconnecting", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_INT64);
    /**
     * VwSession::reconciled:
     * @session: the session
     * @domain_uuid: (nullable): the domain whose lifecycle event was
     *     handled, or %NULL after the full pass of a (re)connect
     * @plugged: the ports plugged
     * @removed: the ports and leases removed
     *
     * A reconcile is done (its failures came on #VwSession::error).
     */
    signals[SIGNAL_RECONCILED] = g_signal_new(
        "reconciled", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
        3, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_UINT, G_TYPE_UINT);
}
