#include <config.h>

#include "vw-backoff.h"

gint64
vw_backoff_random_default(gint64 bound, gpointer user_data)
{
    (void)user_data;
    g_assert(bound >= 1 && bound <= G_MAXINT32);
    return g_random_int_range(0, (gint32)bound);
}

void
vw_backoff_init(VwBackoff *backoff, VwRandomFunc random, gpointer random_data)
{
    g_return_if_fail(backoff != NULL);

    backoff->attempt = 0;
    backoff->cap_ms = 0;
    backoff->random = random ? random : vw_backoff_random_default;
    backoff->random_data = random ? random_data : NULL;
}

gint64
vw_backoff_next(VwBackoff *backoff, guint *attempt, gint64 *cap_ms)
{
    gint64 delay;

    g_return_val_if_fail(backoff != NULL, 0);

    if (backoff->cap_ms == 0)
        backoff->cap_ms = VW_BACKOFF_FIRST_MS;
    else
        backoff->cap_ms = MIN(VW_BACKOFF_STEP_MS + 2 * backoff->cap_ms, VW_BACKOFF_MAX_MS);
    if (backoff->attempt < G_MAXUINT)
        backoff->attempt++;
    delay = backoff->random(backoff->cap_ms, backoff->random_data);
    /* A random source outside its contract must not stall or spin the agent. */
    delay = CLAMP(delay, 0, backoff->cap_ms - 1);
    if (attempt)
        *attempt = backoff->attempt;
    if (cap_ms)
        *cap_ms = backoff->cap_ms;
    return delay;
}

void
vw_backoff_reset(VwBackoff *backoff)
{
    g_return_if_fail(backoff != NULL);

    backoff->attempt = 0;
    backoff->cap_ms = 0;
}
