#include <config.h>

/*
 * bench-hook: `virtwire-hook prepare begin` as libvirtd runs it (a process,
 * the domain XML on stdin), from process start to exit, against a shell hook
 * doing the same plumbing with ip/tc, side by side in one run.
 *
 *   virtwire-hook  the real hook on a real network made through the engine
 *                  (netns, bridge, dnsmasq): per NIC a lease, a persistent
 *                  vnet_hdr tap, a veth pair with its peer on the bridge, tc
 *                  ingress redirects both ways, the dnsmasq host entry and
 *                  the state files.  Measured for a domain whose leases
 *                  exist (every start after the first: no disk flush) and
 *                  for a first start (new leases, written durably).
 *   shell hook     /bin/sh script with the port names already worked out
 *                  (it parses no XML and keeps no lease or state): per NIC
 *                  `ip tuntap add`, `ip link set address`, `ip link add veth
 *                  peer netns`, `ip -n link set master up`, two `ip link set
 *                  up`, two `tc qdisc add ingress`, two `tc filter add u32
 *                  mirred redirect`: 10 execs, into the same network.
 *   in-process     the engine's plug of the same ports (leases exist),
 *                  called in this process: the hook's work without a
 *                  process.  With /bin/true it gives the most any hook could
 *                  gain over the shell here, printed as the ceiling.
 *
 * Each case runs for 1 and 8 NICs, --repeat times (default 11) after one
 * warm-up; rounds interleave the cases and rotate which goes first.  Every
 * run is checked (its taps exist) and undone (`virtwire-hook release end`,
 * or ip link del for the shell) outside the timing.  The clock
 * (CLOCK_MONOTONIC) runs from posix_spawn to waitpid; stdin is a file
 * holding the XML.  Medians are reported with the goals (PASS/MISS, never
 * enforced); exit 77 when not root or dnsmasq, ip or tc is missing.
 *
 *   bench-hook [--hook PATH] [--repeat N] [--quick]
 */

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "vw-bench.h"
#include "vw-domxml.h"
#include "vw-engine.h"
#include "vw-names.h"

#define MAX_REPEAT 101
#define NET_PREFIX "vwbh"
#define BRIDGE     "vwbr0"

typedef enum {
    CASE_NONE,  /* virtwire-hook, domain without virtwire ports */
    CASE_KNOWN, /* virtwire-hook, leases exist */
    CASE_NEW,   /* virtwire-hook, first start: new leases */
    CASE_SHELL, /* the shell hook */
    CASE_TRUE,  /* /bin/true: the cost of a process here */
    CASE_INPROC, /* the engine's plug of the same ports, called in this process */
    N_CASES
} Case;

static const char *const case_names[N_CASES] = {
    "virtwire-hook, no virtwire NIC", "virtwire-hook, lease exists",
    "virtwire-hook, new lease",       "shell hook (ip/tc)",
    "/bin/true (a process)",          "engine in-process (no process)",
};

static char *root;
static char *net;
static char *netns;
static VwEngine *engine;
static char *hook_path;
static char *script_path;
static char *ip_path;
static char *tc_path;
static GPtrArray *shell_links; /* links the shell hook made, to delete */
static char **hook_env;        /* the environment every timed process gets */
static volatile sig_atomic_t interrupted;
static guint domain_counter;

#define BENCH_ERROR (bench_error_quark())

static GQuark
bench_error_quark(void)
{
    return g_quark_from_static_string("bench-hook-error");
}

/* ------------------------------------------------------------ domains */

typedef struct {
    char uuid[37];
    int n;
    char *name;  /* the domain's <name> */
    char **macs; /* n */
    char *xml;   /* the domain XML */
    char *file;  /* the XML in a file: the hook's stdin */
} Domain;

static void
domain_free(Domain *d)
{
    if (!d)
        return;
    if (d->file)
        g_unlink(d->file);
    g_strfreev(d->macs);
    g_free(d->name);
    g_free(d->xml);
    g_free(d->file);
    g_free(d);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Domain, domain_free)

/* A domain with @n virtwire NICs on the network (and one NIC that is not
 * virtwire's), with a UUID of its own. */
static Domain *
domain_new(int n, GError **error)
{
    g_autoptr(Domain) d = g_new0(Domain, 1);
    g_autoptr(VwDomEditor) ed = NULL;
    g_autofree char *base = NULL;
    guint id = ++domain_counter;

    d->n = n;
    g_snprintf(d->uuid, sizeof(d->uuid), "b4b4b4b4-0000-4000-8000-%012x", id);
    d->name = g_strdup_printf("bench%u", id);
    d->macs = g_new0(char *, n + 1);
    base = g_strdup_printf("<domain type='kvm'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n"
                           "  <memory unit='KiB'>65536</memory>\n  <devices>\n"
                           "    <interface type='network'>\n"
                           "      <mac address='52:54:00:ff:ff:ff'/>\n"
                           "      <source network='default'/>\n"
                           "    </interface>\n  </devices>\n</domain>\n",
                           d->name, d->uuid);
    ed = vw_domeditor_new(base, -1, error);
    if (!ed)
        return NULL;
    for (int i = 0; i < n; i++) {
        VwPortNames names;

        d->macs[i] = g_strdup_printf("52:54:00:%02x:%02x:%02x", (id >> 8) & 0xff, id & 0xff, i);
        if (!vw_port_names(d->uuid, d->macs[i], &names, error) ||
            !vw_domeditor_add_interface(ed, d->macs[i], names.tap, "virtio", 1, net, error))
            return NULL;
    }
    d->xml = vw_domeditor_format(ed);
    d->file = g_build_filename(root, "domain.XXXXXX", NULL);
    {
        int fd = g_mkstemp(d->file);

        if (fd < 0 || !g_file_set_contents(d->file, d->xml, -1, error)) {
            if (fd >= 0)
                close(fd);
            return NULL;
        }
        close(fd);
    }
    return g_steal_pointer(&d);
}

/* ------------------------------------------------------------ processes */

/* Run argv with stdin from @stdin_file and stderr into @err_file; the time
 * from spawn to exit in ms, or < 0 with @error set when it fails. */
static double
spawn_timed(char *const *argv, const char *stdin_file, const char *err_file, GError **error)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status, rc;
    double t0, t;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, stdin_file ? stdin_file : "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, err_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    t0 = vw_bench_now_ms();
    rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, hook_env);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        g_set_error(error, BENCH_ERROR, 0, "cannot run %s: %s", argv[0], g_strerror(rc));
        return -1;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    t = vw_bench_now_ms() - t0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_autofree char *text = NULL;

        g_file_get_contents(err_file, &text, NULL, NULL);
        g_set_error(error, BENCH_ERROR, 0, "%s %s failed (status %d): %s", argv[0],
                    argv[1] ? argv[1] : "", status, g_strchomp(text ? text : (char *)""));
        return -1;
    }
    return t;
}

/* Run argv (no shell), untimed; TRUE when it exits 0. */
static gboolean
run_quiet(const char *const *argv)
{
    int status;

    return g_spawn_sync(NULL, (char **)argv, NULL,
                        G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL,
                        NULL, &status, NULL) &&
           g_spawn_check_wait_status(status, NULL);
}

static double
hook_timed(const Domain *d, const char *op, const char *subop, GError **error)
{
    g_autofree char *err_file = g_build_filename(root, "hook.err", NULL);
    g_autofree char *name = g_strdup_printf("bench%s", d->uuid + 24);
    char *argv[] = { hook_path, name, (char *)op, (char *)subop, (char *)"-", NULL };

    return spawn_timed(argv, d->file, err_file, error);
}

/* ------------------------------------------------------------ shell hook */

static const char shell_script[] =
    "#!/bin/sh\n"
    "# A hook script doing virtwire's plumbing with iproute2, one port per\n"
    "# argument triple.  Usage: hook NETNS BRIDGE TAP HOST PEER MAC...\n"
    "set -e\n"
    "ns=$1 br=$2\n"
    "shift 2\n"
    "while [ $# -ge 4 ]; do\n"
    "    tap=$1 host=$2 peer=$3 mac=$4\n"
    "    shift 4\n"
    "    ip tuntap add dev \"$tap\" mode tap vnet_hdr\n"
    "    ip link set dev \"$tap\" address \"$mac\"\n"
    "    ip link add \"$host\" type veth peer name \"$peer\" netns \"$ns\"\n"
    "    ip -n \"$ns\" link set dev \"$peer\" master \"$br\" up\n"
    "    ip link set dev \"$tap\" up\n"
    "    ip link set dev \"$host\" up\n"
    "    tc qdisc add dev \"$tap\" ingress\n"
    "    tc qdisc add dev \"$host\" ingress\n"
    "    tc filter add dev \"$tap\" parent ffff: protocol all u32 match u32 0 0 \\\n"
    "        action mirred egress redirect dev \"$host\"\n"
    "    tc filter add dev \"$host\" parent ffff: protocol all u32 match u32 0 0 \\\n"
    "        action mirred egress redirect dev \"$tap\"\n"
    "done\n";

static void
shell_cleanup(void)
{
    if (!shell_links)
        return;
    for (guint i = 0; i < shell_links->len; i++) {
        const char *argv[] = { ip_path, "link", "del", shell_links->pdata[i], NULL };

        run_quiet(argv);
    }
    g_ptr_array_set_size(shell_links, 0);
}

static double
shell_timed(int n, guint run, GError **error)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *err_file = g_build_filename(root, "shell.err", NULL);
    double t;

    g_ptr_array_add(argv, g_strdup(script_path));
    g_ptr_array_add(argv, g_strdup(netns));
    g_ptr_array_add(argv, g_strdup(BRIDGE));
    for (int i = 0; i < n; i++) {
        char *tap = g_strdup_printf("bst%u-%d", run % 100000, i);
        char *host = g_strdup_printf("bsh%u-%d", run % 100000, i);

        g_ptr_array_add(argv, tap);
        g_ptr_array_add(argv, host);
        g_ptr_array_add(argv, g_strdup_printf("bsn%u-%d", run % 100000, i));
        g_ptr_array_add(argv, g_strdup_printf("fe:54:00:ee:%02x:%02x", run & 0xff, i));
        /* Deleted after the run even if the script stops half way. */
        g_ptr_array_add(shell_links, g_strdup(tap));
        g_ptr_array_add(shell_links, g_strdup(host));
    }
    g_ptr_array_add(argv, NULL);
    t = spawn_timed((char *const *)argv->pdata, NULL, err_file, error);
    if (t >= 0) {
        for (int i = 0; i < n; i++) {
            g_autofree char *tap = g_strdup_printf("bst%u-%d", run % 100000, i);

            if (if_nametoindex(tap) == 0) {
                g_set_error(error, BENCH_ERROR, 0, "the shell hook did not make %s", tap);
                t = -1;
                break;
            }
        }
    }
    shell_cleanup();
    return t;
}

/* ------------------------------------------------------------ one run */

static gboolean
taps_exist(const Domain *d, GError **error)
{
    for (int i = 0; i < d->n; i++) {
        VwPortNames names;

        if (!vw_port_names(d->uuid, d->macs[i], &names, error))
            return FALSE;
        if (if_nametoindex(names.tap) == 0) {
            g_set_error(error, BENCH_ERROR, 0, "virtwire-hook did not make %s", names.tap);
            return FALSE;
        }
    }
    return TRUE;
}

/* The work of `prepare` for @d (leases exist) without a process: the
 * engine's plug of its ports, as the hook asks for it, called here and
 * timed; unplugged afterwards (leases kept), as the hook's release does. */
static double
inproc_timed(const Domain *d, GError **error)
{
    g_autofree VwPortRequest *reqs = g_new0(VwPortRequest, d->n);
    g_autoptr(GPtrArray) ports = NULL;
    double t;

    for (int i = 0; i < d->n; i++) {
        reqs[i].network = net;
        reqs[i].domain_uuid = d->uuid;
        reqs[i].domain_name = d->name;
        reqs[i].mac = d->macs[i];
        reqs[i].owner = (uid_t)-1; /* VIRTWIRE_TAP_USER is empty for the hook too */
        reqs[i].group = (gid_t)-1;
    }
    t = vw_bench_now_ms();
    ports = vw_engine_ports_plug(engine, reqs, d->n, NULL, error);
    t = vw_bench_now_ms() - t;
    if (!ports || !taps_exist(d, error))
        return -1;
    for (int i = 0; i < d->n; i++)
        if (!vw_engine_port_unplug(engine, net, d->uuid, d->macs[i], error))
            return -1;
    return t;
}

/* One timed run of @c with @n NICs; @known is the domain whose leases exist. */
static double
run_case(Case c, int n, Domain *known, Domain *plain, GError **error)
{
    static guint shell_run;
    double t = -1;

    switch (c) {
    case CASE_NONE:
        return hook_timed(plain, "prepare", "begin", error);
    case CASE_TRUE: {
        g_autofree char *err_file = g_build_filename(root, "true.err", NULL);
        char *argv[] = { (char *)"/bin/true", NULL };

        return spawn_timed(argv, plain->file, err_file, error);
    }
    case CASE_SHELL:
        return shell_timed(n, ++shell_run, error);
    case CASE_INPROC:
        return inproc_timed(known, error);
    case CASE_KNOWN:
        t = hook_timed(known, "prepare", "begin", error);
        if (t < 0 || !taps_exist(known, error))
            return -1;
        if (hook_timed(known, "release", "end", error) < 0)
            return -1;
        return t;
    case CASE_NEW: {
        /* A domain never seen: its leases are new.  Released afterwards so
         * that the network's range is not used up. */
        g_autoptr(Domain) d = domain_new(n, error);

        if (!d)
            return -1;
        t = hook_timed(d, "prepare", "begin", error);
        if (t < 0 || !taps_exist(d, error))
            return -1;
        for (int i = 0; i < d->n; i++)
            if (!vw_engine_port_release(engine, net, d->uuid, d->macs[i], error))
                return -1;
        return t;
    }
    case N_CASES:
        break;
    }
    g_assert_not_reached();
}

/* ------------------------------------------------------------ set-up */

static void
cleanup_at_exit(void)
{
    shell_cleanup();
    if (engine) {
        const char *none[] = { NULL };

        vw_engine_network_stop(engine, net, NULL);
        vw_engine_reconcile(engine, none, NULL, NULL);
        vw_engine_network_undefine(engine, net, NULL);
        g_clear_pointer(&engine, vw_engine_free);
    }
    if (root) {
        const char *argv[] = { "/bin/rm", "-rf", root, NULL };

        run_quiet(argv);
        g_clear_pointer(&root, g_free);
    }
    g_clear_pointer(&hook_env, g_strfreev);
    g_clear_pointer(&ip_path, g_free);
    g_clear_pointer(&tc_path, g_free);
}

static gboolean
dnsmasq_found(void)
{
    g_autofree char *path = g_find_program_in_path("dnsmasq");

    return path || g_file_test("/usr/sbin/dnsmasq", G_FILE_TEST_IS_EXECUTABLE);
}

static void
on_signal(int sig)
{
    interrupted = sig;
}

static gboolean
setup(GError **error)
{
    g_autofree char *xml = NULL;
    g_autofree char *name = NULL;

    root = g_dir_make_tmp("vwbench-hook-XXXXXX", error);
    if (!root)
        return FALSE;
    /* dnsmasq drops privileges and must reach its files under the root. */
    if (g_chmod(root, 0755) < 0) {
        g_set_error(error, BENCH_ERROR, 0, "cannot chmod %s", root);
        return FALSE;
    }
    net = g_strdup_printf(NET_PREFIX "%d", (int)getpid() % 100000);
    netns = g_strdup_printf("vw-%s", net);
    engine = vw_engine_open(root, error);
    if (!engine)
        return FALSE;
    xml = g_strdup_printf("<network><name>%s</name><forward mode='isolated'/>"
                          "<ip family='ipv4' address='10.252.0.1' prefix='20'><dhcp>"
                          "<range start='10.252.0.10' end='10.252.15.250'/></dhcp></ip>"
                          "</network>",
                          net);
    name = vw_engine_network_define(engine, xml, error);
    if (!name || !vw_engine_network_start(engine, net, error))
        return FALSE;
    script_path = g_build_filename(root, "shell-hook", NULL);
    if (!g_file_set_contents(script_path, shell_script, -1, error))
        return FALSE;
    if (g_chmod(script_path, 0755) < 0) {
        g_set_error(error, BENCH_ERROR, 0, "cannot chmod %s", script_path);
        return FALSE;
    }
    /* The hook finds its state and gives the taps no owner, like the script. */
    g_setenv("VIRTWIRE_ROOT", root, TRUE);
    g_setenv("VIRTWIRE_TAP_USER", "", TRUE);
    g_setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", TRUE);
    /* What libvirtd gives a hook (virCommandAddEnvPassCommon): LC_ALL=C and
     * PATH, HOME, USER, LOGNAME, TMPDIR passed through, nothing else; plus
     * the two variables above.  Every timed process, the shell hook and
     * /bin/true included, gets the same. */
    {
        static const char *const pass[] = { "PATH", "HOME", "USER", "LOGNAME", "TMPDIR",
                                            "VIRTWIRE_ROOT", "VIRTWIRE_TAP_USER" };
        GPtrArray *env = g_ptr_array_new();

        g_ptr_array_add(env, g_strdup("LC_ALL=C"));
        for (gsize i = 0; i < G_N_ELEMENTS(pass); i++) {
            const char *v = g_getenv(pass[i]);

            if (v)
                g_ptr_array_add(env, g_strdup_printf("%s=%s", pass[i], v));
        }
        g_ptr_array_add(env, NULL);
        hook_env = (char **)g_ptr_array_free(env, FALSE);
    }
    return TRUE;
}

int
main(int argc, char **argv)
{
    static const int nics[] = { 1, 8 };
    double runs[G_N_ELEMENTS(nics)][N_CASES][MAX_REPEAT];
    double med[G_N_ELEMENTS(nics)][N_CASES];
    int repeat = 11;
    g_autoptr(GError) error = NULL;
    g_autoptr(Domain) plain = NULL;
    Domain *known[G_N_ELEMENTS(nics)] = { NULL };
    struct sigaction sa;

    hook_path = g_strdup(g_getenv("VW_HOOK"));
    for (int i = 1; i < argc; i++) {
        if (g_str_equal(argv[i], "--quick")) {
            repeat = 3;
        } else if (g_str_equal(argv[i], "--repeat") && i + 1 < argc) {
            int n = atoi(argv[++i]); /* CLAMP evaluates its argument more than once */

            repeat = CLAMP(n, 1, MAX_REPEAT);
        } else if (g_str_equal(argv[i], "--hook") && i + 1 < argc) {
            g_free(hook_path);
            hook_path = g_strdup(argv[++i]);
        } else {
            g_printerr("usage: %s [--hook PATH] [--repeat N] [--quick]\n", argv[0]);
            return g_str_equal(argv[i], "--help") ? 0 : 2;
        }
    }
    if (geteuid() != 0) {
        g_printerr("bench-hook: needs root; skipping\n");
        return 77;
    }
    ip_path = g_find_program_in_path("ip");
    tc_path = g_find_program_in_path("tc");
    if (!ip_path || !tc_path) {
        g_printerr("bench-hook: ip and tc (iproute2) are needed; skipping\n");
        return 77;
    }
    if (!dnsmasq_found()) {
        g_printerr("bench-hook: dnsmasq is needed for a virtwire network; skipping\n");
        return 77;
    }
    if (!hook_path || !g_file_test(hook_path, G_FILE_TEST_IS_EXECUTABLE)) {
        g_printerr("bench-hook: no virtwire-hook (set VW_HOOK or give --hook PATH)\n");
        return 2;
    }
    shell_links = g_ptr_array_new_with_free_func(g_free);
    atexit(cleanup_at_exit);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    if (!setup(&error)) {
        g_printerr("bench-hook: set-up: %s\n", error->message);
        return 1;
    }
    plain = domain_new(0, &error);
    for (gsize a = 0; plain && a < G_N_ELEMENTS(nics); a++)
        known[a] = domain_new(nics[a], &error);
    if (!plain || !known[G_N_ELEMENTS(nics) - 1]) {
        g_printerr("bench-hook: %s\n", error->message);
        return 1;
    }

    printf("hook: `virtwire-hook prepare begin` (a process, domain XML on stdin) vs a /bin/sh\n"
           "  hook doing the same plumbing with ip/tc (10 execs per NIC, names given);\n"
           "  spawn to exit, CLOCK_MONOTONIC; each run checked and undone (release) outside\n"
           "  the timing; median of %d run%s after one warm-up\n",
           repeat, repeat > 1 ? "s" : "");
    fflush(stdout);
    /* Round -1 is the warm-up (and makes the known domains' leases). */
    for (int r = -1; r < repeat; r++) {
        for (gsize a = 0; a < G_N_ELEMENTS(nics); a++) {
            for (int j = 0; j < N_CASES; j++) {
                int c = (j + MAX(r, 0)) % N_CASES; /* rotate: no case always goes first */
                double t;

                if (interrupted) {
                    g_printerr("bench-hook: interrupted by signal %d\n", (int)interrupted);
                    return 1;
                }
                t = run_case((Case)c, nics[a], known[a], plain, &error);
                if (t < 0) {
                    g_printerr("bench-hook: %d NIC%s, %s: %s\n", nics[a], nics[a] > 1 ? "s" : "",
                               case_names[c], error->message);
                    for (gsize b = 0; b < G_N_ELEMENTS(nics); b++)
                        domain_free(known[b]);
                    return 1;
                }
                if (r >= 0)
                    runs[a][c][r] = t;
            }
        }
    }
    for (gsize a = 0; a < G_N_ELEMENTS(nics); a++)
        domain_free(known[a]);

    printf("\n%5s  %-32s %10s %10s  %s\n", "NICs", "case", "median ms", "vs shell",
           "runs min..max ms");
    for (gsize a = 0; a < G_N_ELEMENTS(nics); a++) {
        for (int c = 0; c < N_CASES; c++)
            med[a][c] = vw_bench_median(runs[a][c], repeat);
        for (int c = 0; c < N_CASES; c++) {
            double lo = runs[a][c][0], hi = runs[a][c][0];

            if ((c == CASE_NONE || c == CASE_TRUE) && a > 0)
                continue; /* the same for every NIC count */
            for (int r = 1; r < repeat; r++) {
                lo = MIN(lo, runs[a][c][r]);
                hi = MAX(hi, runs[a][c][r]);
            }
            printf("%5d  %-32s %10.2f %9.1fx  %.2f..%.2f\n",
                   c == CASE_NONE || c == CASE_TRUE ? 0 : nics[a], case_names[c], med[a][c],
                   med[a][CASE_SHELL] / med[a][c], lo, hi);
        }
    }
    printf("  (lease exists: every start of a domain after its first, no disk flush; new lease:\n"
           "   the first start, the lease is written durably; vs shell = shell / case)\n");

    printf("\ngoals (reported, not enforced):\n");
    printf("  1 NIC,  lease exists: median <= 10 ms:            %7.2f ms  %s\n", med[0][CASE_KNOWN],
           vw_bench_verdict(med[0][CASE_KNOWN] <= 10.0));
    for (gsize a = 0; a < G_N_ELEMENTS(nics); a++) {
        double rk = med[a][CASE_SHELL] / med[a][CASE_KNOWN];
        double rn = med[a][CASE_SHELL] / med[a][CASE_NEW];
        g_autofree char *label = g_strdup_printf("%d NIC%s", nics[a], nics[a] > 1 ? "s," : ", ");

        printf("  %-7s lease exists: >= 10x faster than shell:  %7.1fx    %s\n", label, rk,
               vw_bench_verdict(rk >= 10.0));
        printf("  %-7s new lease:    >= 10x faster than shell:  %7.1fx    %s\n", label, rn,
               vw_bench_verdict(rn >= 10.0));
    }
    /* A hook costs at least a process and the engine's work: the shell's
     * time over their sum is the most any hook could gain over it here. */
    printf("\nceiling on this machine: shell / (a process + the engine's plug in-process)\n");
    for (gsize a = 0; a < G_N_ELEMENTS(nics); a++)
        printf("  %d NIC%s lease exists: %.2f / (%.2f + %.2f) ms = %.1fx\n", nics[a],
               nics[a] > 1 ? "s," : ", ", med[a][CASE_SHELL], med[0][CASE_TRUE],
               med[a][CASE_INPROC], med[a][CASE_SHELL] / (med[0][CASE_TRUE] + med[a][CASE_INPROC]));
    return 0;
}
