/*
 * What every benchmark here needs: a monotonic clock in milliseconds, the
 * median of a set of runs, and the PASS/MISS word of a reported goal.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* CLOCK_MONOTONIC in milliseconds. */
double vw_bench_now_ms(void);

/* The median of the @n values at @v (0 when @n is 0); @v is not changed. */
double vw_bench_median(const double *v, gsize n);

/* "PASS" or "MISS": goals are reported, never enforced. */
const char *vw_bench_verdict(gboolean pass);

G_END_DECLS
