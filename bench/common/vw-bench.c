#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vw-bench.h"

double
vw_bench_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

double
vw_bench_median(const double *v, gsize n)
{
    g_autofree double *s = NULL;

    if (n == 0)
        return 0;
    s = g_memdup2(v, sizeof(double) * n);
    qsort(s, n, sizeof(double), cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

const char *
vw_bench_verdict(gboolean pass)
{
    return pass ? "PASS" : "MISS";
}
