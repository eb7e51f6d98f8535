/*
 * VwSession: the agent session.  It keeps a libvirt connection open
 * (keepalive, close callback, reconnect with capped exponential backoff and
 * jitter), watches the domains' lifecycle events and reconciles virtwire's
 * ports with them: it plugs what a running domain lacks and removes what
 * stopped or vanished domains left.
 */
#pragma once

#if !defined(VIRTWIRE_INSIDE) && !defined(VIRTWIRE_COMPILATION)
#error "Only <virtwire.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * VwSessionState:
 * @VW_SESSION_STATE_STOPPED: not started, or stopped
 * @VW_SESSION_STATE_CONNECTING: opening the connection and registering for events
 * @VW_SESSION_STATE_READY: connected, registered, and the first reconcile is done
 * @VW_SESSION_STATE_BACKOFF: the connection failed or was lost; waiting before the next attempt
 * @VW_SESSION_STATE_STOPPING: vw_session_stop() is shutting the session down
 *
 * The states of a #VwSession (registered as the GEnum
 * %VW_TYPE_SESSION_STATE by glib-mkenums, in vw-enum-types.h).
 */
typedef enum {
    VW_SESSION_STATE_STOPPED,
    VW_SESSION_STATE_CONNECTING,
    VW_SESSION_STATE_READY,
    VW_SESSION_STATE_BACKOFF,
    VW_SESSION_STATE_STOPPING,
} VwSessionState;

#define VW_TYPE_SESSION (vw_session_get_type())
G_DECLARE_FINAL_TYPE(VwSession, vw_session, VW, SESSION, GObject)

/**
 * vw_session_new:
 * @root: (nullable): the root of virtwire's state; %NULL means
 *     $VIRTWIRE_ROOT, else "/"
 * @uri: (nullable): the libvirt URI; %NULL means libvirt's default
 *     ($LIBVIRT_DEFAULT_URI, else its probe)
 *
 * Make a session; nothing is opened before vw_session_start().
 *
 * Returns: (transfer full): the session
 */
VwSession *vw_session_new(const char *root, const char *uri);

/**
 * vw_session_start:
 * @session: a stopped session
 * @error: (out) (optional): set on failure
 *
 * Open virtwire's state on the root and start the session's thread, which
 * connects, registers for events and reconciles, and keeps doing so until
 * vw_session_stop().  Failing to connect is not an error here: it is
 * reported by the #VwSession::error signal and retried with backoff.
 *
 * The signals and property notifications are emitted in the thread-default
 * main context of the thread that calls this function.
 *
 * Returns: %TRUE on success; %FALSE with %VW_ERROR_ACTIVE when the session
 *     is started already, or another error when the state cannot be opened
 */
gboolean vw_session_start(VwSession *session, GError **error);

/**
 * vw_session_stop:
 * @session: a session
 *
 * Stop the session: the state becomes %VW_SESSION_STATE_STOPPING, the
 * session's thread deregisters its callbacks, closes the connection and
 * exits, and this call returns only then, with the state
 * %VW_SESSION_STATE_STOPPED.  Signals the thread had not delivered yet are
 * dropped.  Stopping a session that is not started does nothing.  Call it
 * from the thread that started the session.
 */
void vw_session_stop(VwSession *session);

/**
 * vw_session_get_state:
 * @session: a session
 *
 * Returns: the state, as the last notification of #VwSession:state told it
 */
VwSessionState vw_session_get_state(VwSession *session);

/**
 * vw_session_get_uri:
 * @session: a session
 *
 * Returns: (transfer none) (nullable): the libvirt URI, %NULL for libvirt's default
 */
const char *vw_session_get_uri(VwSession *session);

/**
 * vw_session_get_root:
 * @session: a session
 *
 * Returns: (transfer none) (nullable): the root of virtwire's state, %NULL for the default
 */
const char *vw_session_get_root(VwSession *session);

G_END_DECLS
