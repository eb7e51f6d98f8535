#include <config.h>

/*
 * bench-plumbing: the cost of plumbing N VM ports through src/net (VwRtnl +
 * vw_tap_create_held) against the ways hook scripts do it with iproute2:
 *
 *   layer  VwRtnl handles + vw_tap_create_held, no exec
 *   (a)    one `ip`/`tc` exec per operation (g_spawn_sync, no shell)
 *   (b)    `ip -batch` (host), `ip -n NS -batch` (netns), `tc -batch` (host)
 *
 * A port i is, in the host netns: a persistent vnet_hdr tap bwt<run><i>; a
 * veth bwh<run><i> whose peer bwn<run><i> is created directly in the run's
 * netns and enslaved there to bridge br0 and up; tap and host veth up; an
 * ingress qdisc on both and a u32 match-all `mirred egress redirect` filter
 * tap -> veth and veth -> tap; IPv6 disabled on tap and host veth (the
 * layer writes the sysctl, (a) runs `sysctl -w` per port, (b) once for all
 * ports between its "create" and "up" batches).  <run> is "<pid><letter>".
 * The run's netns has net.ipv6.conf.default.disable_ipv6 = 1 and its bridge
 * an explicit MTU and MAC, as the engine makes a network.
 *
 * Each (N, method) run gets its own fresh netns vwbench<pid>x<k> with br0 up,
 * made before the clock starts; the clock (CLOCK_MONOTONIC) covers only the
 * N ports (for the layer including opening its two handles).  After each run
 * the plumbing is checked with ip/tc (outside the timing), everything is
 * removed and the machine is given a pause to finish tearing it down.  Every
 * (N, method) is measured --repeat times; rounds interleave the methods and
 * rotate which one goes first, and the median is reported; the layer's
 * operations are also timed one by one, to show where per-port cost grows
 * with N, and --layer-only leaves out (a) and (b) (for profiling src/net).
 * Goals are reported (PASS/MISS), never enforced: the exit status is
 * non-zero only when a method fails or leaves wrong plumbing (77 when not
 * root or iproute2 or sysctl is missing).
 *
 * --bandwidth gives every port of the layer a tbf root qdisc on tap and host
 * veth (what <bandwidth> makes the engine add), timed as its own operation.
 *
 *   bench-plumbing [--n 50,500] [--quick] [--repeat 3] [--layer-only] [--bandwidth]
 */

#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "vw-bench.h"
#include "vw-fd.h"
#include "vw-net-error.h"
#include "vw-netns.h"
#include "vw-rtnl.h"
#include "vw-tap.h"

#define MAX_NS 8
#define MAX_N 9999
#define MAX_REPEAT 20
/* Pause after each cleanup for the kernel to finish tearing the run down
 * (netns cleanup, RCU frees): SETTLE_MS + SETTLE_MS_PER_PORT * N. */
#define SETTLE_MS 500
#define SETTLE_MS_PER_PORT 4
#define BRIDGE "br0"

typedef enum {
    METHOD_LAYER,
    METHOD_EXEC,
    METHOD_BATCH,
    N_METHODS
} Method;

static const char *const method_names[N_METHODS] = {
    "layer (VwRtnl)",
    "(a) ip/tc per op",
    "(b) ip/tc -batch",
};

/* The run being measured or cleaned; at most one exists at a time. */
typedef struct {
    gboolean active;
    char tag[24];      /* "<pid><letter>" */
    char netns[64];    /* vwbench<pid>x<k> */
    gboolean netns_made;
    char *tmpdir;      /* batch files of method (b) */
} Run;

static Run current;
static volatile sig_atomic_t interrupted;
static char *ip_path;
static char *tc_path;
static char *sysctl_path;

/* ------------------------------------------------------------ helpers */

/* Errors of the benchmark itself: 0 wrong plumbing or other failure, 1 interrupted. */
#define BENCH_ERROR (bench_error_quark())

static GQuark
bench_error_quark(void)
{
    return g_quark_from_static_string("bench-plumbing-error");
}

static char *
port_name(const char *prefix, const char *tag, int i)
{
    return g_strdup_printf("%s%s%d", prefix, tag, i);
}

static gboolean
check_interrupted(GError **error)
{
    if (interrupted) {
        g_set_error(error, BENCH_ERROR, 1, "interrupted by signal %d",
                    (int)interrupted);
        return FALSE;
    }
    return TRUE;
}

/* Run argv (argv[0] an absolute path), no shell.  stdout goes to @out when
 * given, else to /dev/null; stderr is kept for the error message. */
static gboolean
run_cmd(const char *const *argv, char **out, GError **error)
{
    g_autofree char *err_text = NULL;
    g_autofree char *cmdline = NULL;
    int status;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, out ? 0 : G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                      out, &err_text, &status, error))
        return FALSE;
    if (g_spawn_check_wait_status(status, NULL))
        return TRUE;
    cmdline = g_strjoinv(" ", (char **)argv);
    g_set_error(error, G_SPAWN_EXIT_ERROR, status, "`%s` failed (status %d): %s", cmdline,
                status, g_strchomp(err_text ? err_text : (char *)""));
    if (out)
        g_clear_pointer(out, g_free);
    return FALSE;
}

/* Like run_cmd() with the arguments as a NULL-terminated list. */
static gboolean
run(GError **error, const char *prog, ...) G_GNUC_NULL_TERMINATED;

static gboolean
run(GError **error, const char *prog, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    va_list ap;
    const char *a;

    g_ptr_array_add(argv, (gpointer)prog);
    va_start(ap, prog);
    while ((a = va_arg(ap, const char *)))
        g_ptr_array_add(argv, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    return run_cmd((const char *const *)argv->pdata, NULL, error);
}

static gboolean
is_run_link(const char *name, const char *prefix, const char *tag)
{
    size_t lp = strlen(prefix), lt = strlen(tag);
    const char *p;

    if (strncmp(name, prefix, lp) != 0 || strncmp(name + lp, tag, lt) != 0)
        return FALSE;
    p = name + lp + lt;
    if (!*p)
        return FALSE;
    for (; *p; p++)
        if (!g_ascii_isdigit(*p))
            return FALSE;
    return TRUE;
}

/* Number of links of the run (bwt/bwh) still in the host netns, or -1. */
static int
count_run_links(VwRtnl *host, const char *tag, GPtrArray **found)
{
    g_autoptr(GPtrArray) links = vw_rtnl_link_list(host, NULL, NULL);
    int n = 0;

    if (!links)
        return -1;
    for (guint i = 0; i < links->len; i++) {
        VwLink *l = links->pdata[i];

        if (is_run_link(l->name, "bwt", tag) || is_run_link(l->name, "bwh", tag)) {
            n++;
            if (found)
                g_ptr_array_add(*found, g_strdup(l->name));
        }
    }
    return n;
}

/* ------------------------------------------------------------ cleanup */

/* Remove everything of the current run: the netns (and with it the veth
 * peers, hence the host ends), the taps, any host veth left, batch files.
 * Safe to call twice; returns FALSE when something could not be removed. */
static gboolean
run_cleanup(void)
{
    g_autoptr(VwRtnl) host = NULL;
    g_autoptr(GError) error = NULL;
    gboolean ok = TRUE;

    if (!current.active)
        return TRUE;
    if (current.netns_made) {
        if (!vw_netns_delete(current.netns, &error) &&
            !g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND)) {
            g_printerr("bench-plumbing: cleanup: %s\n", error->message);
            ok = FALSE;
        }
        g_clear_error(&error);
        current.netns_made = FALSE;
    }
    host = vw_rtnl_open(-1, &error);
    if (!host) {
        g_printerr("bench-plumbing: cleanup: %s\n", error->message);
        ok = FALSE;
    } else {
        double deadline;
        int left;

        /* The taps: deleted one by one (the layer's way, falling back to
         * RTM_DELLINK).  Meanwhile the kernel tears the netns down, and the
         * host veth ends go with their peers. */
        for (int pass = 0; pass < 2; pass++) {
            g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

            count_run_links(host, current.tag, &names);
            for (guint i = 0; i < names->len; i++) {
                const char *name = names->pdata[i];

                if (pass == 0 && !g_str_has_prefix(name, "bwt"))
                    continue; /* first pass: taps only; veths vanish with the netns */
                if (g_str_has_prefix(name, "bwt") && vw_tap_delete(name, NULL))
                    continue;
                if (!vw_rtnl_link_delete(host, name, &error) &&
                    !g_error_matches(error, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND)) {
                    g_printerr("bench-plumbing: cleanup: %s\n", error->message);
                    ok = FALSE;
                }
                g_clear_error(&error);
            }
            if (pass == 1)
                break;
            /* Wait (up to 30 s) for the host veth ends to go with the netns. */
            deadline = vw_bench_now_ms() + 30000.0;
            while ((left = count_run_links(host, current.tag, NULL)) > 0 && vw_bench_now_ms() < deadline)
                g_usleep(20000);
            if (left == 0)
                break;
        }
        if (count_run_links(host, current.tag, NULL) != 0) {
            g_printerr("bench-plumbing: cleanup: links of run %s remain\n", current.tag);
            ok = FALSE;
        }
    }
    if (current.tmpdir) {
        g_autoptr(GDir) dir = g_dir_open(current.tmpdir, 0, NULL);
        const char *f;

        while (dir && (f = g_dir_read_name(dir))) {
            g_autofree char *p = g_build_filename(current.tmpdir, f, NULL);
            g_unlink(p);
        }
        g_rmdir(current.tmpdir);
        g_clear_pointer(&current.tmpdir, g_free);
    }
    current.active = FALSE;
    return ok;
}

static void
cleanup_at_exit(void)
{
    run_cleanup();
}

static void
on_signal(int sig)
{
    interrupted = sig;
}

/* ------------------------------------------------------------ the methods */

typedef struct {
    const char *tag;
    const char *netns;
    int n;
} Job;

/* The layer's operations, timed one by one (ms summed over the run's ports):
 * where per-port cost grows with N. */
typedef enum {
    OP_TAP,      /* vw_tap_create_held */
    OP_VETH,     /* veth pair, peer made in the netns */
    OP_PEER,     /* peer: master br0, L2 only, up */
    OP_INGRESS,  /* ingress qdisc on tap and host veth */
    OP_SHAPE,    /* --bandwidth: tbf root qdisc on tap and host veth */
    OP_TAP_FD,   /* close of the tap's creation fd (an RCU grace period) */
    OP_REDIRECT, /* mirred redirect both ways */
    OP_UP,       /* tap and host veth: IPv6 off, L2 only, up */
    N_OPS
} LayerOp;

static const char *const op_names[N_OPS] = {
    "tap create", "veth create",  "peer master+up", "ingress x2",
    "tbf x2",     "tap fd close", "redirect x2",    "host up x2",
};

static double layer_ops[N_OPS];
static gboolean with_bandwidth;
/* What the engine makes of <inbound average='100000' burst='256'/>. */
static const VwShape bench_shape = { 100000000, 0, 262144, 1518, 5000000 };

/* Run one operation of a port and add its time to layer_ops[op] (t0, t1:
 * the caller's clock readings). */
#define LAYER_OP(op, call) \
    ((call) && (t1 = vw_bench_now_ms(), layer_ops[op] += t1 - t0, t0 = t1, TRUE))

static gboolean
plumb_layer(const Job *job, GError **error)
{
    g_autoptr(VwRtnl) host = NULL;
    g_autoptr(VwRtnl) ns = NULL;
    int nsfd;
    gboolean ok = FALSE;
    /* One request per link, like `ip link set X addrgenmode none [master br0] up`. */
    const VwLinkConfig port_peer = { .master = BRIDGE, .l2_only = TRUE, .up = TRUE };
    const VwLinkConfig port_host = { .l2_only = TRUE, .up = TRUE, .no_ipv6 = TRUE };

    /* Opening the handles is counted: a one-off cost per batch of ports. */
    nsfd = vw_netns_open(job->netns, error);
    if (nsfd < 0)
        return FALSE;
    host = vw_rtnl_open(-1, error);
    if (!host)
        goto out;
    ns = vw_rtnl_open(nsfd, error);
    if (!ns)
        goto out;
    for (int i = 0; i < job->n; i++) {
        g_autofree char *t = port_name("bwt", job->tag, i);
        g_autofree char *h = port_name("bwh", job->tag, i);
        g_autofree char *p = port_name("bwn", job->tag, i);
        double t0 = vw_bench_now_ms(), t1;
        g_auto(VwFd) tap_fd = -1;

        /* As the engine does it: the tap's creation fd is closed between
         * the qdiscs and the filters (vw_tap_create_held()). */
        if (!check_interrupted(error) ||
            !LAYER_OP(OP_TAP, (tap_fd = vw_tap_create_held(t, VW_TAP_VNET_HDR, (uid_t)-1,
                                                           (gid_t)-1, NULL, error)) >= 0) ||
            !LAYER_OP(OP_VETH, vw_rtnl_veth_add(host, h, p, nsfd, error)) ||
            !LAYER_OP(OP_PEER, vw_rtnl_link_configure(ns, p, &port_peer, error)) ||
            !LAYER_OP(OP_INGRESS, vw_rtnl_ingress_add(host, t, error)) ||
            !LAYER_OP(OP_INGRESS, vw_rtnl_ingress_add(host, h, error)) ||
            (with_bandwidth &&
             (!LAYER_OP(OP_SHAPE, vw_rtnl_shape_set(host, t, &bench_shape, error)) ||
              !LAYER_OP(OP_SHAPE, vw_rtnl_shape_set(host, h, &bench_shape, error)))) ||
            !LAYER_OP(OP_TAP_FD, (vw_fd_close(tap_fd), tap_fd = -1, TRUE)) ||
            !LAYER_OP(OP_REDIRECT, vw_rtnl_redirect_add(host, t, h, error)) ||
            !LAYER_OP(OP_REDIRECT, vw_rtnl_redirect_add(host, h, t, error)) ||
            !LAYER_OP(OP_UP, vw_rtnl_link_configure(host, t, &port_host, error)) ||
            !LAYER_OP(OP_UP, vw_rtnl_link_configure(host, h, &port_host, error)))
            goto out;
    }
    ok = TRUE;
out:
    close(nsfd);
    return ok;
}

static gboolean
plumb_exec(const Job *job, GError **error)
{
    const char *ip = ip_path, *tc = tc_path;

    for (int i = 0; i < job->n; i++) {
        g_autofree char *t = port_name("bwt", job->tag, i);
        g_autofree char *h = port_name("bwh", job->tag, i);
        g_autofree char *p = port_name("bwn", job->tag, i);
        g_autofree char *kt = g_strdup_printf("net.ipv6.conf.%s.disable_ipv6=1", t);
        g_autofree char *kh = g_strdup_printf("net.ipv6.conf.%s.disable_ipv6=1", h);

        if (!check_interrupted(error) ||
            !run(error, ip, "tuntap", "add", "dev", t, "mode", "tap", "vnet_hdr", NULL) ||
            !run(error, ip, "link", "add", h, "type", "veth", "peer", "name", p, "netns",
                 job->netns, NULL) ||
            !run(error, ip, "-n", job->netns, "link", "set", p, "addrgenmode", "none", "master",
                 BRIDGE, "up", NULL) ||
            !run(error, sysctl_path, "-q", "-w", kt, kh, NULL) ||
            !run(error, ip, "link", "set", t, "addrgenmode", "none", "up", NULL) ||
            !run(error, ip, "link", "set", h, "addrgenmode", "none", "up", NULL) ||
            !run(error, tc, "qdisc", "add", "dev", t, "ingress", NULL) ||
            !run(error, tc, "qdisc", "add", "dev", h, "ingress", NULL) ||
            !run(error, tc, "filter", "add", "dev", t, "parent", "ffff:", "protocol", "all", "u32",
                 "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", h,
                 NULL) ||
            !run(error, tc, "filter", "add", "dev", h, "parent", "ffff:", "protocol", "all", "u32",
                 "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", t,
                 NULL))
            return FALSE;
    }
    return TRUE;
}

static gboolean
write_file(const char *path, GString *s, GError **error)
{
    return g_file_set_contents(path, s->str, (gssize)s->len, error);
}

static gboolean
plumb_batch(const Job *job, GError **error)
{
    g_autoptr(GString) host = g_string_new(NULL);
    g_autoptr(GString) ns = g_string_new(NULL);
    g_autoptr(GString) tcs = g_string_new(NULL);
    g_autoptr(GString) up = g_string_new(NULL);
    g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *fhost = g_build_filename(current.tmpdir, "ip-host.batch", NULL);
    g_autofree char *fup = g_build_filename(current.tmpdir, "ip-host-up.batch", NULL);
    g_autofree char *fns = g_build_filename(current.tmpdir, "ip-netns.batch", NULL);
    g_autofree char *ftc = g_build_filename(current.tmpdir, "tc.batch", NULL);

    g_ptr_array_add(keys, g_strdup(sysctl_path));
    g_ptr_array_add(keys, g_strdup("-q"));
    g_ptr_array_add(keys, g_strdup("-w"));
    for (int i = 0; i < job->n; i++) {
        g_autofree char *t = port_name("bwt", job->tag, i);
        g_autofree char *h = port_name("bwh", job->tag, i);
        g_autofree char *p = port_name("bwn", job->tag, i);

        g_string_append_printf(host, "tuntap add dev %s mode tap vnet_hdr\n", t);
        g_string_append_printf(host, "link add %s type veth peer name %s netns %s\n", h, p,
                               job->netns);
        g_ptr_array_add(keys, g_strdup_printf("net.ipv6.conf.%s.disable_ipv6=1", t));
        g_ptr_array_add(keys, g_strdup_printf("net.ipv6.conf.%s.disable_ipv6=1", h));
        g_string_append_printf(up,
                               "link set %s addrgenmode none up\n"
                               "link set %s addrgenmode none up\n",
                               t, h);
        g_string_append_printf(ns, "link set %s addrgenmode none master " BRIDGE " up\n", p);
        g_string_append_printf(tcs, "qdisc add dev %s ingress\nqdisc add dev %s ingress\n", t, h);
        g_string_append_printf(tcs,
                               "filter add dev %s parent ffff: protocol all u32 match u32 0 0 "
                               "action mirred egress redirect dev %s\n",
                               t, h);
        g_string_append_printf(tcs,
                               "filter add dev %s parent ffff: protocol all u32 match u32 0 0 "
                               "action mirred egress redirect dev %s\n",
                               h, t);
    }
    g_ptr_array_add(keys, NULL);
    return write_file(fhost, host, error) && write_file(fup, up, error) &&
           write_file(fns, ns, error) && write_file(ftc, tcs, error) && check_interrupted(error) &&
           run(error, ip_path, "-batch", fhost, NULL) && check_interrupted(error) &&
           run_cmd((const char *const *)keys->pdata, NULL, error) && check_interrupted(error) &&
           run(error, ip_path, "-batch", fup, NULL) && check_interrupted(error) &&
           run(error, ip_path, "-n", job->netns, "-batch", fns, NULL) &&
           check_interrupted(error) && run(error, tc_path, "-batch", ftc, NULL);
}

/* ------------------------------------------------------------ verification */

/* From one `ip -o link show` line: the name (without @peer) and whether the
 * flags say UP.  FALSE when the line does not look like one. */
static gboolean
parse_link_line(const char *line, char **name, gboolean *up)
{
    const char *a = strstr(line, ": "), *b, *lt, *gt;
    g_auto(GStrv) flags = NULL;

    if (!a)
        return FALSE;
    a += 2;
    b = strstr(a, ": ");
    lt = strchr(a, '<');
    gt = lt ? strchr(lt, '>') : NULL;
    if (!b || !lt || !gt)
        return FALSE;
    *name = g_strndup(a, (gsize)(b - a));
    (*name)[strcspn(*name, "@")] = '\0';
    {
        g_autofree char *f = g_strndup(lt + 1, (gsize)(gt - lt - 1));
        flags = g_strsplit(f, ",", -1);
    }
    *up = g_strv_contains((const char *const *)flags, "UP");
    return TRUE;
}

/* Count the lines of `ip -o link show` output naming a link of the run with
 * @prefix that is UP; *total gets all lines. */
static int
count_up(const char *out, const char *prefix, const char *tag, int *total)
{
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    int n = 0;

    *total = 0;
    for (char **l = lines; *l; l++) {
        g_autofree char *name = NULL;
        gboolean up;

        if (!**l)
            continue;
        (*total)++;
        if (parse_link_line(*l, &name, &up) && up && is_run_link(name, prefix, tag))
            n++;
    }
    return n;
}

static int
count_substr(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static gboolean
verify_tc(const char *dev, const char *to, GError **error)
{
    g_autofree char *q = NULL, *f = NULL, *want = NULL;
    const char *qa[] = { tc_path, "qdisc", "show", "dev", dev, "ingress", NULL };
    const char *fa[] = { tc_path, "filter", "show", "dev", dev, "ingress", NULL };

    if (!run_cmd(qa, &q, error) || !run_cmd(fa, &f, error))
        return FALSE;
    want = g_strdup_printf("mirred (Egress Redirect to device %s)", to);
    if (count_substr(q, "qdisc ingress ffff:") != 1 || count_substr(f, want) != 1 ||
        count_substr(f, "match 00000000/00000000 at 0") != 1 ||
        count_substr(f, "protocol all") < 1) {
        g_set_error(error, BENCH_ERROR, 0,
                    "%s: expected one ingress qdisc and one match-all redirect to %s;\n"
                    "qdisc: %s\nfilter: %s",
                    dev, to, q, f);
        return FALSE;
    }
    return TRUE;
}

static gboolean
verify_no_ipv6(const char *dev, GError **error)
{
    g_autofree char *path = g_strdup_printf("/proc/sys/net/ipv6/conf/%s/disable_ipv6", dev);
    g_autofree char *v = NULL;

    if (!g_file_test("/proc/sys/net/ipv6", G_FILE_TEST_IS_DIR))
        return TRUE;
    if (!g_file_get_contents(path, &v, NULL, error))
        return FALSE;
    if (!g_str_equal(g_strstrip(v), "1")) {
        g_set_error(error, BENCH_ERROR, 0, "%s: IPv6 is not disabled (%s = %s)", dev, path, v);
        return FALSE;
    }
    return TRUE;
}

static gboolean
verify(const Job *job, GError **error)
{
    g_autofree char *nsout = NULL, *hostout = NULL;
    const char *nsa[] = { ip_path, "-n", job->netns, "-o", "link", "show", "master", BRIDGE, NULL };
    const char *ha[] = { ip_path, "-o", "link", "show", NULL };
    int total, ports, taps, veths, hosttotal;
    int samples[3] = { 0, job->n / 2, job->n - 1 };

    if (!run_cmd(nsa, &nsout, error) || !run_cmd(ha, &hostout, error))
        return FALSE;
    ports = count_up(nsout, "bwn", job->tag, &total);
    taps = count_up(hostout, "bwt", job->tag, &hosttotal);
    veths = count_up(hostout, "bwh", job->tag, &hosttotal);
    if (total != job->n || ports != job->n || taps != job->n || veths != job->n) {
        g_set_error(error, BENCH_ERROR, 0,
                    "expected %d ports: %d links on %s in %s (%d of the run and up), "
                    "%d taps up, %d host veths up",
                    job->n, total, BRIDGE, job->netns, ports, taps, veths);
        return FALSE;
    }
    for (int s = 0; s < 3; s++) {
        int i = samples[s];
        g_autofree char *t = port_name("bwt", job->tag, i);
        g_autofree char *h = port_name("bwh", job->tag, i);
        g_autofree char *d = NULL;
        const char *da[] = { ip_path, "-d", "-o", "link", "show", "dev", t, NULL };

        if (s > 0 && i == samples[s - 1])
            continue;
        if (!run_cmd(da, &d, error))
            return FALSE;
        if (!strstr(d, "tun type tap") || !strstr(d, "vnet_hdr on") || !strstr(d, "persist on")) {
            g_set_error(error, BENCH_ERROR, 0,
                        "%s is not a persistent vnet_hdr tap: %s", t, d);
            return FALSE;
        }
        if (!verify_tc(t, h, error) || !verify_tc(h, t, error) ||
            !verify_no_ipv6(t, error) || !verify_no_ipv6(h, error))
            return FALSE;
    }
    return TRUE;
}

/* ------------------------------------------------------------ one run */

static gboolean
run_setup(int k, GError **error)
{
    static const guint8 bridge_mac[6] = { 0x02, 0x76, 0x77, 0x00, 0x00, 0x01 };
    const VwLinkConfig bridge_cfg = { .mtu = 1500, .mac = bridge_mac };
    g_autoptr(VwRtnl) ns = NULL;

    memset(&current, 0, sizeof(current));
    current.active = TRUE;
    g_snprintf(current.tag, sizeof(current.tag), "%d%c", (int)getpid(), 'a' + k % 26);
    g_snprintf(current.netns, sizeof(current.netns), "vwbench%dx%d", (int)getpid(), k);
    current.tmpdir = g_dir_make_tmp("vwbench-plumbing-XXXXXX", error);
    if (!current.tmpdir)
        return FALSE;
    if (!vw_netns_create(current.netns, error))
        return FALSE;
    current.netns_made = TRUE;
    ns = vw_rtnl_open_netns(current.netns, error);
    /* As the engine starts a network: links made in the netns from now on
     * (the bridge ports) have no IPv6 of their own; the bridge has its MTU
     * and MAC set, so they do not follow its ports. */
    return ns && vw_rtnl_sysctl_set(ns, "net/ipv6/conf/default/disable_ipv6", "1", error) &&
           vw_rtnl_bridge_add(ns, BRIDGE, error) &&
           vw_rtnl_link_configure(ns, BRIDGE, &bridge_cfg, error) &&
           vw_rtnl_link_set_up(ns, BRIDGE, TRUE, error);
}

/* Set up, time, verify and clean one (N, method) run; *ms gets the time. */
/* CPU time (user + system) of this process and its reaped children, in ms:
 * netlink requests are served in the sender's context, so this counts the
 * kernel's work for the layer and for ip/tc alike, and is far less
 * sensitive than wall time to other jobs on the machine. */
static double
cpu_ms(void)
{
    struct rusage self, kids;

    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
                    kids.ru_stime.tv_sec) * 1e3 +
           (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
                    kids.ru_stime.tv_usec) / 1e3;
}

static gboolean
measure(int k, Method m, int n, double *ms, double *cpu, GError **error)
{
    Job job;
    double t0, c0;
    gboolean ok;

    if (!run_setup(k, error)) {
        g_prefix_error(error, "setting up run %d: ", k);
        run_cleanup();
        return FALSE;
    }
    job.tag = current.tag;
    job.netns = current.netns;
    job.n = n;
    memset(layer_ops, 0, sizeof(layer_ops));
    c0 = cpu_ms();
    t0 = vw_bench_now_ms();
    switch (m) {
    case METHOD_LAYER:
        ok = plumb_layer(&job, error);
        break;
    case METHOD_EXEC:
        ok = plumb_exec(&job, error);
        break;
    default:
        ok = plumb_batch(&job, error);
        break;
    }
    *ms = vw_bench_now_ms() - t0;
    *cpu = cpu_ms() - c0;
    if (ok) {
        ok = verify(&job, error);
        if (!ok)
            g_prefix_error(error, "plumbing of %s is wrong: ", method_names[m]);
    } else {
        g_prefix_error(error, "%s failed: ", method_names[m]);
    }
    if (!run_cleanup() && ok) {
        g_set_error(error, BENCH_ERROR, 0, "cleanup after %s failed",
                    method_names[m]);
        ok = FALSE;
    }
    g_usleep((gulong)(SETTLE_MS + SETTLE_MS_PER_PORT * n) * 1000);
    return ok;
}

/* ------------------------------------------------------------ main */

static double
fastest(const double *v, int n)
{
    double lo = v[0];

    for (int i = 1; i < n; i++)
        lo = MIN(lo, v[i]);
    return lo;
}

static gboolean
parse_ns(const char *text, int *ns, int *count)
{
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);

    *count = 0;
    for (char **p = parts; *p; p++) {
        char *end;
        long v;

        errno = 0;
        v = strtol(*p, &end, 10);
        if (errno || end == *p || *end || v < 1 || v > MAX_N || *count >= MAX_NS)
            return FALSE;
        ns[(*count)++] = (int)v;
    }
    return *count > 0;
}

int
main(int argc, char **argv)
{
    int ns[MAX_NS] = { 50, 500 };
    int n_ns = 2;
    double runs[MAX_NS][N_METHODS][MAX_REPEAT];
    double cpus[MAX_NS][N_METHODS][MAX_REPEAT];
    double cpu[MAX_NS][N_METHODS];
    double ms[MAX_NS][N_METHODS];
    double ops[MAX_NS][N_OPS][MAX_REPEAT];
    int repeat = 3;
    int n_methods = N_METHODS;
    int k = 0;
    struct sigaction sa;

    for (int i = 1; i < argc; i++) {
        if (g_str_equal(argv[i], "--quick")) {
            ns[0] = 10;
            n_ns = 1;
            repeat = 1;
        } else if (g_str_equal(argv[i], "--bandwidth")) {
            with_bandwidth = TRUE;
        } else if (g_str_equal(argv[i], "--layer-only")) {
            n_methods = 1; /* METHOD_LAYER: for profiling the layer alone */
        } else if (g_str_equal(argv[i], "--n") && i + 1 < argc) {
            if (!parse_ns(argv[++i], ns, &n_ns)) {
                g_printerr("bench-plumbing: --n wants up to %d comma-separated counts "
                           "in 1..%d\n", MAX_NS, MAX_N);
                return 2;
            }
        } else if (g_str_equal(argv[i], "--repeat") && i + 1 < argc) {
            char *end;

            repeat = (int)strtol(argv[++i], &end, 10);
            if (*end || repeat < 1 || repeat > MAX_REPEAT) {
                g_printerr("bench-plumbing: --repeat wants 1..%d\n", MAX_REPEAT);
                return 2;
            }
        } else if (g_str_has_prefix(argv[i], "--n=")) {
            if (!parse_ns(argv[i] + 4, ns, &n_ns)) {
                g_printerr("bench-plumbing: bad --n\n");
                return 2;
            }
        } else {
            g_printerr("usage: %s [--n N[,N...]] [--quick] [--repeat R] [--layer-only] "
                       "[--bandwidth]\n"
                       "  plumb N ports (tap + veth to a netns bridge + tc redirects) through\n"
                       "  src/net, ip/tc per operation and ip/tc -batch; default --n 50,500;\n"
                       "  --quick is --n 10 --repeat 1; R runs per (N, method), median\n"
                       "  reported (default 3); --layer-only measures src/net alone (to profile\n"
                       "  it); --bandwidth adds a tbf on each tap and host veth of the layer.\n"
                       "  Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN).\n",
                       argv[0]);
            return g_str_equal(argv[i], "--help") || g_str_equal(argv[i], "-h") ? 0 : 2;
        }
    }
    if (geteuid() != 0) {
        g_printerr("bench-plumbing: needs root; skipping\n");
        return 77;
    }
    ip_path = g_find_program_in_path("ip");
    tc_path = g_find_program_in_path("tc");
    sysctl_path = g_find_program_in_path("sysctl");
    if (!sysctl_path && g_file_test("/sbin/sysctl", G_FILE_TEST_IS_EXECUTABLE))
        sysctl_path = g_strdup("/sbin/sysctl");
    if (!ip_path || !tc_path || !sysctl_path) {
        g_printerr("bench-plumbing: ip and tc (iproute2) and sysctl (procps) are needed; "
                   "skipping\n");
        return 77;
    }

    atexit(cleanup_at_exit);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    printf("plumbing: N ports = persistent vnet_hdr tap + veth (peer on netns bridge %s)\n"
           "  + ingress qdiscs + u32 mirred redirects both ways, all up; CLOCK_MONOTONIC;\n"
           "  fresh netns per run, verified and removed after; median of %d run%s\n"
           "  (vs layer = method time / layer time)\n",
           BRIDGE, repeat, repeat > 1 ? "s" : "");
    fflush(stdout);
    for (int r = 0; r < repeat; r++) {
        for (int a = 0; a < n_ns; a++) {
            for (int j = 0; j < n_methods; j++) {
                int m = (j + r) % n_methods; /* rotate: no method always goes first */
                g_autoptr(GError) error = NULL;

                if (!measure(k++, (Method)m, ns[a], &runs[a][m][r], &cpus[a][m][r], &error)) {
                    g_printerr("bench-plumbing: N=%d: %s\n", ns[a], error->message);
                    return 1;
                }
                if (m == METHOD_LAYER)
                    for (int o = 0; o < N_OPS; o++)
                        ops[a][o][r] = layer_ops[o];
            }
        }
    }

    printf("\n%6s  %-18s %11s %9s %9s  %-20s %9s %9s\n", "N", "method", "total ms", "ms/port",
           "vs layer", "runs min..max ms", "cpu/port", "vs layer");
    for (int a = 0; a < n_ns; a++) {
        for (int m = 0; m < n_methods; m++) {
            ms[a][m] = vw_bench_median(runs[a][m], repeat);
            cpu[a][m] = vw_bench_median(cpus[a][m], repeat);
        }
        for (int m = 0; m < n_methods; m++) {
            double lo = fastest(runs[a][m], repeat), hi = runs[a][m][0];

            for (int r = 1; r < repeat; r++)
                hi = MAX(hi, runs[a][m][r]);
            g_autofree char *range = g_strdup_printf("%.1f..%.1f", lo, hi);

            printf("%6d  %-18s %11.1f %9.3f %8.2fx  %-20s %9.3f %8.2fx\n", ns[a],
                   method_names[m], ms[a][m], ms[a][m] / ns[a], ms[a][m] / ms[a][METHOD_LAYER],
                   range, cpu[a][m] / ns[a], cpu[a][m] / cpu[a][METHOD_LAYER]);
        }
    }
    printf("\nlayer by operation, us per port (median of runs)%s\n", n_ns > 1 ? "; growth = last N / first N" : "");
    printf("  %-16s", "operation");
    for (int a = 0; a < n_ns; a++)
        printf(" %7s%-4d", "N=", ns[a]);
    printf("%s\n", n_ns > 1 ? "   growth" : "");
    for (int o = 0; o < N_OPS; o++) {
        double first = 0, v = 0;

        if (o == OP_SHAPE && !with_bandwidth)
            continue;
        printf("  %-16s", op_names[o]);
        for (int a = 0; a < n_ns; a++) {
            v = vw_bench_median(ops[a][o], repeat) * 1e3 / ns[a];
            if (a == 0)
                first = v;
            printf(" %11.1f", v);
        }
        if (n_ns > 1)
            printf("  %7.2fx", v / first);
        printf("\n");
    }

    printf("\ngoals (reported, not enforced):\n");
    for (int a = 0; a < n_ns && n_methods == N_METHODS; a++) {
        double r = ms[a][METHOD_EXEC] / ms[a][METHOD_LAYER];
        printf("  N=%-4d layer >= 25x faster than (a) per-op exec: %8.1fx  %s\n", ns[a], r,
               vw_bench_verdict(r >= 25.0));
    }
    for (int a = 0; a < n_ns && n_methods == N_METHODS; a++) {
        double r = ms[a][METHOD_BATCH] / ms[a][METHOD_LAYER];
        printf("  N=%-4d layer no slower than (b) -batch:         %8.2fx  %s\n", ns[a], r,
               vw_bench_verdict(r >= 1.0));
    }
    for (int a = 0; a < n_ns && n_methods == N_METHODS; a++) {
        double r = cpu[a][METHOD_BATCH] / cpu[a][METHOD_LAYER];
        printf("  N=%-4d (CPU time) layer no slower than -batch: %8.2fx  %s\n", ns[a], r,
               vw_bench_verdict(r >= 1.0));
    }
    if (n_ns > 1) {
        int lo = 0, hi = 0;

        for (int a = 1; a < n_ns; a++) {
            if (ns[a] < ns[lo])
                lo = a;
            if (ns[a] > ns[hi])
                hi = a;
        }
        if (ns[lo] != ns[hi]) {
            double r = (ms[hi][METHOD_LAYER] / ns[hi]) / (ms[lo][METHOD_LAYER] / ns[lo]);
            double c = (cpu[hi][METHOD_LAYER] / ns[hi]) / (cpu[lo][METHOD_LAYER] / ns[lo]);

            printf("  layer ms/port at N=%d within 1.25x of N=%d:  %8.2fx  %s\n", ns[hi],
                   ns[lo], r, vw_bench_verdict(r <= 1.25));
            printf("  (CPU time) the same:                        %8.2fx  %s\n", c,
                   vw_bench_verdict(c <= 1.25));
            /* The fastest runs carry the least noise from the rest of the
             * machine: at N=50 a run lasts ~20 ms, and one hiccup moves it. */
            r = (fastest(runs[hi][METHOD_LAYER], repeat) / ns[hi]) /
                (fastest(runs[lo][METHOD_LAYER], repeat) / ns[lo]);
            printf("  (fastest runs) the same:                    %8.2fx  %s\n", r,
                   vw_bench_verdict(r <= 1.25));
        }
    } else {
        printf("  per-port scaling: n/a (needs two N, e.g. --n 50,500)\n");
    }
    return 0;
}
