#include <config.h>

/*
 * bench-engine: the provisioning engine's port plug/unplug latency against
 * the CNI reference plugins doing comparable work, side by side in one run.
 *
 *   engine  vw_engine_port_plug / _unplug on one network (in-process):
 *           lease + anti-spoofing set elements + persistent tap + veth to
 *           the netns bridge + tc redirects both ways + dnsmasq host entry,
 *           state files written atomically
 *   CNI     /usr/lib/cni/bridge with host-local IPAM, CNI_COMMAND=ADD/DEL,
 *           one exec per port as a runtime does: veth from a per-port netns
 *           (made before the clock starts) to a host bridge, address from
 *           host-local's files
 *
 * For each N (default 10,100,1000): N plugs then N unplugs on a fresh
 * network, each timed alone (CLOCK_MONOTONIC); the median is reported.
 * Then a network with 100 ports is stopped, against unplugging its 100
 * ports one by one.  Goals are reported, never enforced; exit 77 when not
 * root or the CNI plugins are missing.
 *
 * --bandwidth gives the network a <bandwidth> both ways (a tbf on each
 * port's tap and host veth), to compare with a run without.
 *
 *   bench-engine [--n 10,100,1000] [--quick] [--bandwidth]
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "vw-bench.h"
#include "vw-engine.h"
#include "vw-netns.h"

#define MAX_NS 6
#define CNI_DIR "/usr/lib/cni"
#define NET "vwbench"

static char *root;
static gboolean with_bandwidth;

static void
uuid_mac(int i, char uuid[37], char mac[18])
{
    g_snprintf(uuid, 37, "b0b0b0b0-0000-4000-8000-%012x", i);
    g_snprintf(mac, 18, "52:54:00:%02x:%02x:%02x", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
}

/* ------------------------------------------------------------ engine */

static VwEngine *
engine_network(int n, GError **error)
{
    g_autoptr(VwEngine) engine = vw_engine_open(root, error);
    g_autofree char *xml = NULL;
    g_autofree char *name = NULL;

    if (!engine)
        return NULL;
    /* A /20 with room for every port; VW_BENCH_SPOOF_CHECK=no measures the
     * plug without the anti-spoofing guard (src/engine/vw-guard.c). */
    xml = g_strdup_printf("<network><name>" NET "</name><forward mode='isolated'/>%s"
                          "<ip family='ipv4' address='10.250.0.1' prefix='20'><dhcp>"
                          "<range start='10.250.0.10' end='10.250.15.250'/></dhcp></ip>"
                          "%s</network>",
                          g_strcmp0(g_getenv("VW_BENCH_SPOOF_CHECK"), "no") == 0
                              ? "<port spoofCheck='no'/>"
                              : "",
                          with_bandwidth ? "<bandwidth><inbound average='100000' burst='256'/>"
                                           "<outbound average='100000'/></bandwidth>"
                                         : "");
    (void)n;
    name = vw_engine_network_define(engine, xml, error);
    if (!name || !vw_engine_network_start(engine, NET, error))
        return NULL;
    return g_steal_pointer(&engine);
}

static gboolean
engine_plug(VwEngine *engine, int i, GError **error)
{
    VwPortRequest req = { 0 };
    char uuid[37], mac[18];
    g_autoptr(VwPortInfo) port = NULL;

    uuid_mac(i, uuid, mac);
    req.network = NET;
    req.domain_uuid = uuid;
    req.mac = mac;
    req.owner = (uid_t)-1;
    req.group = (gid_t)-1;
    port = vw_engine_port_plug(engine, &req, error);
    return port != NULL;
}

static gboolean
engine_unplug(VwEngine *engine, int i, GError **error)
{
    char uuid[37], mac[18];

    uuid_mac(i, uuid, mac);
    return vw_engine_port_unplug(engine, NET, uuid, mac, error);
}

static void
engine_cleanup(VwEngine *engine)
{
    vw_engine_network_stop(engine, NET, NULL);
    vw_engine_network_undefine(engine, NET, NULL);
}

/* Plug n ports (new leases), unplug them, plug them again (known leases,
 * as when the domains restart); medians in ms. */
static gboolean
run_engine(int n, double *plug, double *unplug, double *replug, GError **error)
{
    g_autoptr(VwEngine) engine = engine_network(n, error);
    g_autoptr(GArray) tp = g_array_new(FALSE, FALSE, sizeof(double));
    g_autoptr(GArray) tu = g_array_new(FALSE, FALSE, sizeof(double));
    g_autoptr(GArray) tr = g_array_new(FALSE, FALSE, sizeof(double));
    gboolean ok = FALSE;

    if (!engine)
        return FALSE;
    for (int i = 0; i < n; i++) {
        double t0 = vw_bench_now_ms(), d;

        if (!engine_plug(engine, i, error))
            goto out;
        d = vw_bench_now_ms() - t0;
        g_array_append_val(tp, d);
    }
    for (int i = 0; i < n; i++) {
        double t0 = vw_bench_now_ms(), d;

        if (!engine_unplug(engine, i, error))
            goto out;
        d = vw_bench_now_ms() - t0;
        g_array_append_val(tu, d);
    }
    for (int i = 0; i < n; i++) {
        double t0 = vw_bench_now_ms(), d;

        if (!engine_plug(engine, i, error))
            goto out;
        d = vw_bench_now_ms() - t0;
        g_array_append_val(tr, d);
    }
    *plug = vw_bench_median((const double *)tp->data, tp->len);
    *unplug = vw_bench_median((const double *)tu->data, tu->len);
    *replug = vw_bench_median((const double *)tr->data, tr->len);
    ok = TRUE;
out:
    engine_cleanup(engine);
    return ok;
}

/* Stop a network with n ports, against unplugging them one by one. */
static gboolean
run_stop(int n, double *stop_ms, double *unplug_all_ms, GError **error)
{
    g_autoptr(VwEngine) engine = engine_network(n, error);
    double t0;

    if (!engine)
        return FALSE;
    for (int i = 0; i < n; i++)
        if (!engine_plug(engine, i, error))
            goto fail;
    t0 = vw_bench_now_ms();
    for (int i = 0; i < n; i++)
        if (!engine_unplug(engine, i, error))
            goto fail;
    *unplug_all_ms = vw_bench_now_ms() - t0;
    for (int i = 0; i < n; i++)
        if (!engine_plug(engine, i, error))
            goto fail;
    t0 = vw_bench_now_ms();
    if (!vw_engine_network_stop(engine, NET, error))
        goto fail;
    *stop_ms = vw_bench_now_ms() - t0;
    vw_engine_network_undefine(engine, NET, NULL);
    return TRUE;
fail:
    engine_cleanup(engine);
    return FALSE;
}

/* ------------------------------------------------------------ CNI */

static gboolean
cni_exec(const char *cmd, int i, const char *conf, GError **error)
{
    g_autofree char *id = g_strdup_printf("vwbench%d", i);
    g_autofree char *ns = g_strdup_printf("/run/netns/vwcni%d-%d", (int)getpid(), i);
    const char *argv[] = { CNI_DIR "/bridge", NULL };
    int status;
    g_autoptr(GSubprocessLauncher) l = NULL;
    g_autoptr(GSubprocess) p = NULL;
    g_autoptr(GBytes) in = g_bytes_new_static(conf, strlen(conf));
    g_autoptr(GBytes) bout = NULL;
    g_autoptr(GBytes) berr = NULL;

    l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                  G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_subprocess_launcher_setenv(l, "CNI_COMMAND", cmd, TRUE);
    g_subprocess_launcher_setenv(l, "CNI_CONTAINERID", id, TRUE);
    g_subprocess_launcher_setenv(l, "CNI_NETNS", ns, TRUE);
    g_subprocess_launcher_setenv(l, "CNI_IFNAME", "eth0", TRUE);
    g_subprocess_launcher_setenv(l, "CNI_PATH", CNI_DIR, TRUE);
    p = g_subprocess_launcher_spawnv(l, argv, error);
    if (!p || !g_subprocess_communicate(p, in, NULL, &bout, &berr, error))
        return FALSE;
    status = g_subprocess_get_exit_status(p);
    if (status != 0) {
        g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "CNI %s of %s failed: %.*s", cmd,
                    id, (int)g_bytes_get_size(bout), (const char *)g_bytes_get_data(bout, NULL));
        return FALSE;
    }
    return TRUE;
}

static gboolean
run_cni(int n, double *add, double *del, GError **error)
{
    g_autofree char *data = g_build_filename(root, "cni-ipam", NULL);
    g_autofree char *conf = g_strdup_printf(
        "{\"cniVersion\":\"1.0.0\",\"name\":\"vwbench\",\"type\":\"bridge\","
        "\"bridge\":\"vwcnibr%d\",\"isGateway\":true,\"ipMasq\":false,"
        "\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.251.0.0/20\",\"dataDir\":\"%s\"}}",
        (int)getpid() % 100000, data);
    g_autoptr(GArray) ta = g_array_new(FALSE, FALSE, sizeof(double));
    g_autoptr(GArray) td = g_array_new(FALSE, FALSE, sizeof(double));
    g_autofree char *bridge = g_strdup_printf("vwcnibr%d", (int)getpid() % 100000);
    gboolean ok = FALSE;
    int made = 0;

    for (; made < n; made++) {
        g_autofree char *ns = g_strdup_printf("vwcni%d-%d", (int)getpid(), made);

        if (!vw_netns_create(ns, error))
            goto out;
    }
    for (int i = 0; i < n; i++) {
        double t0 = vw_bench_now_ms(), d;

        if (!cni_exec("ADD", i, conf, error))
            goto out;
        d = vw_bench_now_ms() - t0;
        g_array_append_val(ta, d);
    }
    for (int i = 0; i < n; i++) {
        double t0 = vw_bench_now_ms(), d;

        if (!cni_exec("DEL", i, conf, error))
            goto out;
        d = vw_bench_now_ms() - t0;
        g_array_append_val(td, d);
    }
    *add = vw_bench_median((const double *)ta->data, ta->len);
    *del = vw_bench_median((const double *)td->data, td->len);
    ok = TRUE;
out:
    for (int i = 0; i < made; i++) {
        g_autofree char *ns = g_strdup_printf("vwcni%d-%d", (int)getpid(), i);

        vw_netns_delete(ns, NULL);
    }
    {
        const char *argv[] = { "ip", "link", "del", bridge, NULL };

        g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, NULL, NULL);
    }
    return ok;
}

/* ------------------------------------------------------------ main */

static void
remove_root(void)
{
    if (root) {
        const char *argv[] = { "rm", "-rf", root, NULL };

        g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                     NULL);
        g_clear_pointer(&root, g_free);
    }
}

int
main(int argc, char **argv)
{
    int ns[MAX_NS] = { 10, 100, 1000 };
    int n_ns = 3, stop_n = 100;
    double plug[MAX_NS], unplug[MAX_NS], replug[MAX_NS], add[MAX_NS], del[MAX_NS];
    double stop_ms = 0, unplug_all_ms = 0;
    g_autoptr(GError) error = NULL;

    for (int i = 1; i < argc; i++) {
        if (g_str_equal(argv[i], "--quick")) {
            ns[0] = 5;
            ns[1] = 20;
            n_ns = 2;
            stop_n = 20;
        } else if (g_str_equal(argv[i], "--bandwidth")) {
            with_bandwidth = TRUE;
        } else if (g_str_equal(argv[i], "--n") && i + 1 < argc) {
            g_auto(GStrv) parts = g_strsplit(argv[++i], ",", MAX_NS);

            n_ns = 0;
            for (char **p = parts; *p && n_ns < MAX_NS; p++)
                ns[n_ns++] = CLAMP(atoi(*p), 1, 4000);
        } else {
            g_printerr("usage: %s [--n 10,100,1000] [--quick] [--bandwidth]\n", argv[0]);
            return 2;
        }
    }
    if (geteuid() != 0) {
        g_printerr("bench-engine: needs root; skipping\n");
        return 77;
    }
    if (!g_file_test(CNI_DIR "/bridge", G_FILE_TEST_IS_EXECUTABLE) ||
        !g_file_test(CNI_DIR "/host-local", G_FILE_TEST_IS_EXECUTABLE)) {
        g_printerr("bench-engine: the CNI plugins (containernetworking-plugins) are missing; "
                   "skipping\n");
        return 77;
    }
    root = g_dir_make_tmp("vwbench-engine-XXXXXX", &error);
    if (!root || g_chmod(root, 0755) < 0) {
        g_printerr("bench-engine: %s\n", error ? error->message : "cannot make the root");
        return 1;
    }
    atexit(remove_root);
    printf("engine: plug/unplug on one network (lease, tap, veth to the netns bridge, tc\n"
           "  redirects, dnsmasq host entry, state files) vs CNI bridge + host-local ADD/DEL\n"
           "  (one exec per port, per-port netns made before the clock); median per call\n");
    if (with_bandwidth)
        printf("  with <bandwidth> both ways: a tbf root qdisc on each tap and host veth\n");
    fflush(stdout);
    for (int a = 0; a < n_ns; a++) {
        if (!run_engine(ns[a], &plug[a], &unplug[a], &replug[a], &error) ||
            !run_cni(ns[a], &add[a], &del[a], &error)) {
            g_printerr("bench-engine: N=%d: %s\n", ns[a], error->message);
            return 1;
        }
    }
    if (!run_stop(stop_n, &stop_ms, &unplug_all_ms, &error)) {
        g_printerr("bench-engine: stop: %s\n", error->message);
        return 1;
    }
    printf("\n%6s  %10s %10s %10s %10s %10s  %s\n", "ports", "plug new", "plug again",
           "CNI ADD", "unplug", "CNI DEL", "ADD/plug new, again");
    for (int a = 0; a < n_ns; a++)
        printf("%6d  %10.3f %10.3f %10.3f %10.3f %10.3f  %6.1fx %6.1fx\n", ns[a], plug[a],
               replug[a], add[a], unplug[a], del[a], add[a] / plug[a], add[a] / replug[a]);
    printf("  (plug new: the lease is created and written durably, two fsyncs; plug again:\n"
           "   the domain's lease exists, as on every restart; times in ms)\n");
    printf("\n%d-port network: stop %.1f ms; unplugging its ports one by one %.1f ms (%.1fx)\n",
           stop_n, stop_ms, unplug_all_ms, unplug_all_ms / stop_ms);
    printf("\ngoals (reported, not enforced):\n");
    for (int a = 0; a < n_ns; a++) {
        printf("  N=%-5d plug new   >= 20x faster than CNI ADD:  %7.1fx  %s\n", ns[a],
               add[a] / plug[a], vw_bench_verdict(add[a] / plug[a] >= 20.0));
        printf("  N=%-5d plug again >= 20x faster than CNI ADD:  %7.1fx  %s\n", ns[a],
               add[a] / replug[a], vw_bench_verdict(add[a] / replug[a] >= 20.0));
    }
    if (n_ns > 1) {
        /* Both kinds: a new plug's disk flush varies enough to hide growth. */
        double r = plug[n_ns - 1] / plug[0];
        double r_again = replug[n_ns - 1] / replug[0];

        printf("  plug new   at N=%d within 1.25x of N=%d: %7.2fx  %s\n", ns[n_ns - 1], ns[0], r,
               vw_bench_verdict(r <= 1.25));
        printf("  plug again at N=%d within 1.25x of N=%d: %7.2fx  %s\n", ns[n_ns - 1], ns[0],
               r_again, vw_bench_verdict(r_again <= 1.25));
    }
    printf("  stop >= 5x faster than unplugging one by one: %.1fx  %s\n",
           unplug_all_ms / stop_ms, vw_bench_verdict(unplug_all_ms / stop_ms >= 5.0));
    return 0;
}
