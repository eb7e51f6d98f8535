/*
 * What tests may change in a VwSession (private, never installed): the
 * clock that times the reconnect delays and the random source that draws
 * them, so that a test sees a fixed sequence in virtual time.
 */
#pragma once

#include "vw-backoff.h"

/* In-tree users (tests, the CLI) get the public header through this one
 * too, the way the umbrella virtwire.h includes it. */
#ifndef VIRTWIRE_COMPILATION
#define VIRTWIRE_INSIDE
#include "vw-session.h"
#undef VIRTWIRE_INSIDE
#else
#include "vw-session.h"
#endif

G_BEGIN_DECLS

/*
 * VwClock:
 * @timeout_source_new: a source that becomes ready once, @delay_ms from now
 *     (the default: g_timeout_source_new()); the session sets its callback
 *     and attaches it to its own thread's context
 * @random: the random source of the delays (the default: GLib's)
 *
 * Both are called on the session's thread.
 */
typedef struct {
    GSource *(*timeout_source_new)(gint64 delay_ms, gpointer user_data);
    VwRandomFunc random;
} VwClock;

/*
 * vw_session_set_clock:
 * @session: a stopped session
 * @clock: (nullable): the clock; NULL for the real one.  Either member may
 *     be NULL for its default.  Copied.
 * @user_data: passed to both functions
 *
 * Takes effect at the next vw_session_start().
 */
void vw_session_set_clock(VwSession *session, const VwClock *clock, gpointer user_data);

/*
 * vw_session_libvirt_events_ensure:
 * @error: (out) (optional): set on failure
 *
 * Register libvirt's default event implementation and start the thread
 * that runs it, once per process (libvirt needs an event loop for
 * keepalive, close callbacks and domain events).  The thread runs until the
 * process exits.  Later calls return the first call's result.
 *
 * Returns: TRUE when the event loop runs
 */
gboolean vw_session_libvirt_events_ensure(GError **error);

G_END_DECLS
