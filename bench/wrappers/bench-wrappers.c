/*
 * Wrapper-layer benchmark: what a generated virXxxWrapper() costs on top of
 * the plain libvirt call, on libvirt's in-process test:///default driver.
 *
 * Meant to run under callgrind (see run-bench.sh): each measured loop lives
 * in its own non-inlined, non-cloned function named bench_<call>_<variant>,
 * so that callgrind's inclusive cost of that function divided by the number
 * of iterations is the instruction count per call.  Every variant is called
 * exactly once, with N iterations.
 *
 * NOTE: this file calls libvirt directly on purpose.  The *_direct functions
 * are the reference side of the comparison; bench/wrappers/ is exempt from
 * the "no direct libvirt calls outside wrappers/" rule (tests/meta).
 *
 * Fairness rules:
 *   - direct and wrapper loops have the same shape and do the same checks on
 *     the result; returned objects are freed the same way (virDomainFree).
 *   - the wrapper loops reuse one zeroed virError for all iterations and
 *     release it once after the loop, as the wrapper contract allows.  On the
 *     error path that means each wrapper call frees the error the previous
 *     one captured (in vw_wrapper_enter), which is part of its cost.
 *   - the direct error loop makes the plain call and nothing else, as a raw
 *     libvirt user would before reading virGetLastError(); it does not copy
 *     the error.  So the error-path overhead includes the wrapper's
 *     virCopyLastError + virResetLastError + freeing the copy, i.e. the cost
 *     of capturing the error, not only the call overhead.
 *   - every API is called once through each path before measuring (warm_up),
 *     so lazy symbol binding and first-use initialisation are not counted.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vw-libvirt.h"

#if defined(__clang__)
#define BENCH_NOINLINE __attribute__((noinline))
#else
/* noclone: keep the symbol name exact (no .constprop/.isra clones). */
#define BENCH_NOINLINE __attribute__((noinline, noclone))
#endif

#define BENCH_URI "test:///default"
#define BENCH_DOMAIN "test"
#define BENCH_MISSING "no-such-domain"
#define BENCH_DEFAULT_N 20000UL

/* Keeps the compiler from reasoning about a value or dropping a loop. */
#define BENCH_OPAQUE(x) __asm__ __volatile__("" : "+r"(x))

/* ---- loop-only baseline ------------------------------------------------ */

/* The loop skeleton with no call in it: what run-bench.sh subtracts. */
static BENCH_NOINLINE unsigned long
bench_loop_baseline(void *obj, unsigned long n)
{
    unsigned long bad = 0;

    for (unsigned long i = 0; i < n; i++) {
        void *ret = obj;

        BENCH_OPAQUE(ret);
        if (ret == NULL)
            bad++;
    }
    return bad;
}

/* ---- (a) virConnectNumOfDomains: a typical call ------------------------ */

static BENCH_NOINLINE unsigned long
bench_num_domains_direct(virConnectPtr conn, unsigned long n)
{
    unsigned long bad = 0;

    for (unsigned long i = 0; i < n; i++) {
        if (virConnectNumOfDomains(conn) < 0)
            bad++;
    }
    return bad;
}

static BENCH_NOINLINE unsigned long
bench_num_domains_wrapper(virConnectPtr conn, unsigned long n)
{
    virError err = VW_ERROR_INIT;
    unsigned long bad = 0;

    for (unsigned long i = 0; i < n; i++) {
        if (virConnectNumOfDomainsWrapper(conn, &err) < 0)
            bad++;
    }
    virResetError(&err);
    return bad;
}

/* ---- (b) virDomainGetName: about the cheapest call libvirt has --------- */

static BENCH_NOINLINE unsigned long
bench_get_name_direct(virDomainPtr dom, unsigned long n)
{
    unsigned long bad = 0;

    for (unsigned long i = 0; i < n; i++) {
        if (virDomainGetName(dom) == NULL)
            bad++;
    }
    return bad;
}

static BENCH_NOINLINE unsigned long
bench_get_name_wrapper(virDomainPtr dom, unsigned long n)
{
    virError err = VW_ERROR_INIT;
    unsigned long bad = 0;

    for (unsigned long i = 0; i < n; i++) {
        if (virDomainGetNameWrapper(dom, &err) == NULL)
            bad++;
    }
    virResetError(&err);
    return bad;
}

/* ---- (c) virDomainGetInfo ---------------------------------------------- */

static BENCH_NOINLINE unsigned long
bench_get_info_direct(virDomainPtr dom, unsigned long n)
{
    virDomainInfo info;
    unsigned long bad = 0;

    for (unsigned long i = 0; i < n; i++) {
        if (virDomainGetInfo(dom, &info) < 0)
            bad++;
    }
    return bad;
}

static BENCH_NOINLINE unsigned long
bench_get_info_wrapper(virDomainPtr dom, unsigned long n)
{
    virDomainInfo info;
    virError err = VW_ERROR_INIT;
    unsigned long bad = 0;

    for (unsigned long i = 0; i < n; i++) {
        if (virDomainGetInfoWrapper(dom, &info, &err) < 0)
            bad++;
    }
    virResetError(&err);
    return bad;
}

/* ---- error path: virDomainLookupByName of a missing domain -------------- */

/* Plain call; the error stays in libvirt's thread-local slot (the next
 * libvirt call clears it).  Counts the iterations that did NOT fail. */
static BENCH_NOINLINE unsigned long
bench_lookup_missing_direct(virConnectPtr conn, unsigned long n)
{
    unsigned long bad = 0;

    for (unsigned long i = 0; i < n; i++) {
        virDomainPtr dom = virDomainLookupByName(conn, BENCH_MISSING);

        if (dom != NULL) {
            virDomainFree(dom);
            bad++;
        }
    }
    return bad;
}

/* Wrapper call; the error is copied into err (and the previous copy freed). */
static BENCH_NOINLINE unsigned long
bench_lookup_missing_wrapper(virConnectPtr conn, unsigned long n, int *last_code)
{
    virError err = VW_ERROR_INIT;
    unsigned long bad = 0;

    for (unsigned long i = 0; i < n; i++) {
        virDomainPtr dom = virDomainLookupByNameWrapper(conn, BENCH_MISSING, &err);

        if (dom != NULL) {
            virDomainFree(dom);
            bad++;
        }
    }
    *last_code = err.code;
    virResetError(&err);
    return bad;
}

/* ---- driver ----------------------------------------------------------- */

static void
warm_up(virConnectPtr conn, virDomainPtr dom)
{
    virError err = VW_ERROR_INIT;
    virDomainInfo info;
    virDomainPtr missing;

    (void)virConnectNumOfDomains(conn);
    (void)virConnectNumOfDomainsWrapper(conn, &err);
    (void)virDomainGetName(dom);
    (void)virDomainGetNameWrapper(dom, &err);
    (void)virDomainGetInfo(dom, &info);
    (void)virDomainGetInfoWrapper(dom, &info, &err);
    if ((missing = virDomainLookupByName(conn, BENCH_MISSING)))
        virDomainFree(missing);
    if ((missing = virDomainLookupByNameWrapper(conn, BENCH_MISSING, &err)))
        virDomainFree(missing);
    virResetError(&err);
}

static int
check(const char *what, unsigned long bad)
{
    if (bad == 0)
        return 0;
    fprintf(stderr, "bench-wrappers: %s: %lu iterations gave an unexpected result\n", what, bad);
    return 1;
}

int
main(int argc, char **argv)
{
    virError err = VW_ERROR_INIT;
    virConnectPtr conn;
    virDomainPtr dom;
    const virError *last;
    unsigned long n = BENCH_DEFAULT_N;
    int wrapper_code = VIR_ERR_OK;
    int failed = 0;

    if (argc > 2) {
        fprintf(stderr, "usage: %s [ITERATIONS]\n", argv[0]);
        return 2;
    }
    if (argc == 2) {
        char *end = NULL;

        errno = 0;
        n = strtoul(argv[1], &end, 10);
        if (errno || end == argv[1] || *end != '\0' || n == 0 || argv[1][0] == '-') {
            fprintf(stderr, "bench-wrappers: invalid iteration count '%s'\n", argv[1]);
            return 2;
        }
    }

    conn = virConnectOpenWrapper(BENCH_URI, &err);
    if (!conn) {
        fprintf(stderr, "bench-wrappers: cannot open %s: %s\n", BENCH_URI,
                err.message ? err.message : "unknown error");
        virResetError(&err);
        return 1;
    }
    dom = virDomainLookupByNameWrapper(conn, BENCH_DOMAIN, &err);
    if (!dom) {
        fprintf(stderr, "bench-wrappers: cannot find domain '%s': %s\n", BENCH_DOMAIN,
                err.message ? err.message : "unknown error");
        virResetError(&err);
        virConnectCloseWrapper(conn, NULL);
        return 1;
    }

    warm_up(conn, dom);

    failed |= check("loop baseline", bench_loop_baseline(dom, n));
    failed |= check("virConnectNumOfDomains direct", bench_num_domains_direct(conn, n));
    failed |= check("virConnectNumOfDomains wrapper", bench_num_domains_wrapper(conn, n));
    failed |= check("virDomainGetName direct", bench_get_name_direct(dom, n));
    failed |= check("virDomainGetName wrapper", bench_get_name_wrapper(dom, n));
    failed |= check("virDomainGetInfo direct", bench_get_info_direct(dom, n));
    failed |= check("virDomainGetInfo wrapper", bench_get_info_wrapper(dom, n));

    failed |= check("virDomainLookupByName(missing) direct", bench_lookup_missing_direct(conn, n));
    /* What a raw libvirt user reads next; outside the measured loop. */
    last = virGetLastError();
    if (!last || last->code != VIR_ERR_NO_DOMAIN) {
        fprintf(stderr, "bench-wrappers: direct lookup left error code %d, expected %d\n",
                last ? last->code : VIR_ERR_OK, VIR_ERR_NO_DOMAIN);
        failed = 1;
    }
    failed |= check("virDomainLookupByName(missing) wrapper",
                    bench_lookup_missing_wrapper(conn, n, &wrapper_code));
    if (wrapper_code != VIR_ERR_NO_DOMAIN) {
        fprintf(stderr, "bench-wrappers: wrapper lookup captured error code %d, expected %d\n",
                wrapper_code, VIR_ERR_NO_DOMAIN);
        failed = 1;
    }

    virDomainFreeWrapper(dom, NULL);
    virConnectCloseWrapper(conn, NULL);
    virResetError(&err);

    printf("bench-wrappers: iterations=%lu result=%s\n", n, failed ? "BAD" : "ok");
    return failed ? 1 : 0;
}
