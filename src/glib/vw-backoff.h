/*
 * Reconnect backoff of the agent session (private, never installed).
 *
 * Capped exponential backoff with full jitter: the first cap is 1 s, each
 * next cap is 1 s + 2 x the previous one, never above 60 s (1, 3, 7, 15, 31,
 * 60, 60, ... s), and the delay actually waited is drawn uniformly at random
 * in [0, cap).  A successful registration resets it.  The random source is
 * injectable, so that tests see a fixed sequence.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VW_BACKOFF_FIRST_MS 1000
#define VW_BACKOFF_STEP_MS  1000
#define VW_BACKOFF_MAX_MS   60000

/*
 * VwRandomFunc:
 * @bound: the exclusive upper bound, at least 1
 * @user_data: what was given with the function
 *
 * Returns: a number drawn uniformly at random in [0, @bound)
 */
typedef gint64 (*VwRandomFunc)(gint64 bound, gpointer user_data);

typedef struct {
    guint attempt; /* delays handed out since the last reset */
    gint64 cap_ms; /* the cap of the last delay, 0 after a reset */
    VwRandomFunc random;
    gpointer random_data;
} VwBackoff;

/*
 * vw_backoff_init:
 * @backoff: the backoff to set up
 * @random: (nullable): the random source; NULL for GLib's global one
 * @random_data: passed to @random
 */
void vw_backoff_init(VwBackoff *backoff, VwRandomFunc random, gpointer random_data);

/*
 * vw_backoff_next:
 * @backoff: a backoff
 * @attempt: (out) (optional): the number of this delay since the last reset, from 1
 * @cap_ms: (out) (optional): the cap the delay was drawn below
 *
 * Returns: the next delay in milliseconds, in [0, cap)
 */
gint64 vw_backoff_next(VwBackoff *backoff, guint *attempt, gint64 *cap_ms);

/*
 * vw_backoff_reset:
 * @backoff: a backoff
 *
 * Start again from the first cap (after a successful registration).
 */
void vw_backoff_reset(VwBackoff *backoff);

/*
 * vw_backoff_random_default:
 *
 * The default random source: GLib's global generator (thread-safe).
 */
gint64 vw_backoff_random_default(gint64 bound, gpointer user_data);

G_END_DECLS
