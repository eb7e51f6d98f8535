/*
 * virtwire-hook: libvirt's qemu hook.
 *
 * libvirtd runs /etc/libvirt/hooks/qemu and every executable in
 * /etc/libvirt/hooks/qemu.d/ as `HOOK DOMAIN OPERATION SUB-OPERATION EXTRA`
 * with the domain XML on stdin, and waits for it: the hook must never call
 * back into libvirt (that deadlocks libvirtd), so it reads everything it
 * needs from that XML and talks to the engine alone.
 *
 *   prepare begin     plug every virtwire port; on failure undo this run's
 *                     ports and exit 1 (libvirt then refuses to start)
 *   stopped end,      unplug the ports, keep the leases (libvirt ignores the
 *   release end       exit status; 1 still says that something failed)
 *   reconnect begin,  plug again what is missing; never exit non-zero (a
 *   attach begin      failing reconnect hook makes libvirt kill the guest)
 *   migrate begin,    filters: print the XML unchanged when it reads
 *   restore begin     cleanly; print nothing (keep it) when not, exit 0
 *   anything else     exit 0 at once (libvirt adds operations over time)
 *
 * A domain whose XML does not name virtwire's metadata namespace has no
 * virtwire port: it costs one read and one search of its XML, which is not
 * parsed, so that it passes whatever its size or depth (the parser's limits,
 * 1 MiB and 64 levels, apply only to domains with virtwire metadata), and
 * the engine is not even opened.  Nothing is printed on stdout except
 * the filters' XML; messages go to stderr, which libvirt puts into its
 * error and log.  The hook starts no process, so nothing it leaves behind
 * can hold libvirtd's pipes open.
 *
 * Environment: VIRTWIRE_ROOT (root of virtwire's state, default "/"),
 * VIRTWIRE_TAP_USER (owner of the taps: USER[:GROUP], names or numbers;
 * default root, so that only libvirt, as root, can open them; empty: none).
 *
 * Installed as LIBEXECDIR/virtwire-hook; `virtwire hook-install` puts it
 * into /etc/libvirt/hooks/qemu.d/ (libvirt >= 6.5).  Exit status: 0, 1
 * (failure, message on stderr), 2 (usage).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gi18n.h>

#include "vw-domxml.h"
#include "vw-engine.h"
#include "vw-names.h"

enum {
    EXIT_OK = 0,
    EXIT_FAIL = 1,
    EXIT_USAGE = 2,
};

/* The QEMU user of Debian's and Ubuntu's libvirt (qemu.conf user/group). */

#define HOOK_ERROR (hook_error_quark())

static GQuark
hook_error_quark(void)
{
    return g_quark_from_static_string("virtwire-hook-error");
}

typedef enum {
    OP_PREPARE, /* plug; a failure aborts the start */
    OP_UNPLUG,  /* unplug, keep the leases */
    OP_REPAIR,  /* plug what is missing; never fails */
    OP_FILTER,  /* print the accepted XML */
} OpKind;

static const struct {
    const char *op;
    const char *subop;
    OpKind kind;
} operations[] = {
    { "prepare", "begin", OP_PREPARE }, { "stopped", "end", OP_UNPLUG },
    { "release", "end", OP_UNPLUG },    { "reconnect", "begin", OP_REPAIR },
    { "attach", "begin", OP_REPAIR },   { "migrate", "begin", OP_FILTER },
    { "restore", "begin", OP_FILTER },
};

/* One run of the hook. */
typedef struct {
    const char *domain; /* libvirt's name of the domain (argv[1]) */
    VwDomInfo *info;
    GPtrArray *ports; /* (element-type VwDomIface) (transfer none): virtwire ports */
} Hook;

static void
usage_print(FILE *out, const char *prog)
{
    /* TRANSLATORS: the arguments are the ones libvirtd passes to a qemu hook */
    fprintf(out, _("usage: %s DOMAIN OPERATION SUB-OPERATION [EXTRA]\n"), prog);
    fprintf(out, _("libvirt's qemu hook for virtwire: it reads the domain XML on standard input.\n"
                   "Install it into /etc/libvirt/hooks/qemu.d/ with 'virtwire hook-install'.\n"));
}

/* ------------------------------------------------------------ input */

/*
 * The most of stdin kept in memory: libvirt's largest RPC message (a domain
 * XML cannot be larger).  Only a domain without virtwire metadata can be
 * larger than VW_XML_MAX_BYTES and still pass; a filter echoes it when it
 * was kept whole, and otherwise prints nothing (libvirt then keeps its XML).
 */
#define HOOK_INPUT_MAX (32 * 1024 * 1024)

/* What stdin held. */
typedef struct {
    char *xml;            /* NUL-terminated; NULL when longer than HOOK_INPUT_MAX */
    gsize len;            /* its length */
    gsize total;          /* bytes read in all */
    gboolean vw_metadata; /* it names virtwire's metadata namespace */
} Input;

static void
input_clear(Input *in)
{
    g_clear_pointer(&in->xml, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Input, input_clear)

/*
 * Read all of stdin (so that libvirtd's write never fails), searching it for
 * virtwire's metadata namespace as it comes and keeping at most
 * HOOK_INPUT_MAX bytes of it.  Nothing is parsed here: a domain without
 * virtwire metadata passes whatever its XML.
 */
static gboolean
stdin_read(Input *in, GError **error)
{
    g_autoptr(GByteArray) buf = g_byte_array_sized_new(16384);
    VwDomxmlScan scan = { 0 };
    guint8 chunk[16384];

    for (;;) {
        ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int errsv = errno;

            g_set_error(error, HOOK_ERROR, 0, _("cannot read standard input: %s"),
                        g_strerror(errsv));
            return FALSE;
        }
        if (n == 0)
            break;
        vw_domxml_scan_feed(&scan, (const char *)chunk, (gsize)n);
        in->total += (gsize)n;
        if (buf && in->total <= HOOK_INPUT_MAX)
            g_byte_array_append(buf, chunk, (guint)n);
        else
            g_clear_pointer(&buf, g_byte_array_unref);
    }
    in->vw_metadata = scan.found;
    if (buf) {
        in->len = buf->len;
        g_byte_array_append(buf, (const guint8 *)"", 1);
        in->xml = (char *)g_byte_array_free(g_steal_pointer(&buf), FALSE);
    }
    return TRUE;
}

/* ------------------------------------------------------------ operations */

static void
request_fill(VwPortRequest *req, const Hook *h, const VwDomIface *iface, uid_t uid, gid_t gid)
{
    memset(req, 0, sizeof(*req));
    req->network = iface->network;
    req->domain_uuid = h->info->uuid;
    req->domain_name = h->info->name;
    req->mac = iface->mac;
    req->tap = iface->target_dev;
    req->queues = iface->queues;
    req->owner = uid;
    req->group = gid;
}

/*
 * The NIC's tap name must be free or be this port's own tap (the alias the
 * engine gives it names network, domain and MAC).  A link of that name that
 * is somebody else's must never be touched: refused before the engine runs.
 */
static gboolean
target_dev_check(const Hook *h, const VwDomIface *iface, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *path = NULL;
    g_autofree char *alias = NULL;
    g_autofree char *want = NULL;

    if (!iface->target_dev)
        return TRUE; /* the engine derives the name from (UUID, MAC) */
    if (!vw_domxml_tap_check(iface->target_dev, &local)) {
        g_set_error(error, HOOK_ERROR, 0, "%s", local->message);
        return FALSE;
    }
    path = g_strdup_printf("/sys/class/net/%s/ifalias", iface->target_dev);
    if (!g_file_get_contents(path, &alias, NULL, NULL)) {
        g_autofree char *dir = g_path_get_dirname(path);

        if (!g_file_test(dir, G_FILE_TEST_EXISTS))
            return TRUE; /* no such link */
    }
    want = vw_port_alias_format(iface->network, h->info->uuid, iface->mac, "tap");
    if (alias && want && g_str_equal(g_strchomp(alias), want))
        return TRUE;
    g_set_error(error, HOOK_ERROR, 0,
                _("its tap name '%s' is taken by a link that is not this port's tap"),
                iface->target_dev);
    return FALSE;
}

/*
 * Undo a failed prepare: the ports plugged for earlier networks (@plugged[i]
 * is NULL where nothing was plugged; see prepare_network() for the network
 * that failed), last first.  The domain is not running (prepare comes
 * before QEMU), so a port that was plugged already is a leftover and goes
 * too; a lease that this run made is freed, an older one is kept.
 */
static void
prepare_undo(Hook *h, VwEngine *engine, VwPortInfo **plugged)
{
    for (guint j = h->ports->len; j-- > 0;) {
        const VwDomIface *iface = h->ports->pdata[j];
        g_autoptr(GError) error = NULL;
        gboolean ok;

        if (!plugged[j])
            continue;
        if (plugged[j]->lease_created)
            ok = vw_engine_port_release(engine, iface->network, h->info->uuid, iface->mac,
                                        &error);
        else
            ok = vw_engine_port_unplug(engine, iface->network, h->info->uuid, iface->mac,
                                       &error);
        if (!ok)
            g_printerr(_("virtwire-hook: cannot remove the port of interface %s of domain "
                         "'%s' from virtwire network '%s' after the failed start: %s\n"),
                       iface->mac, h->domain, iface->network, error->message);
    }
}

/*
 * Plug the ports of one network (those of h->ports from @first on that name
 * @network) in one engine call: one lock, one netns handle, one disk flush
 * for all new leases.  @plugged[i] gets each port.
 */
static gboolean
prepare_network(Hook *h, VwEngine *engine, guint first, uid_t uid, gid_t gid,
                VwPortInfo **plugged)
{
    const char *network = ((const VwDomIface *)h->ports->pdata[first])->network;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) reqs = g_array_new(FALSE, FALSE, sizeof(VwPortRequest));
    g_autoptr(GArray) index = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autoptr(GPtrArray) ports = NULL;
    guint failed;

    for (guint j = first; j < h->ports->len; j++) {
        const VwDomIface *iface = h->ports->pdata[j];
        VwPortRequest req;

        if (!g_str_equal(iface->network, network))
            continue;
        request_fill(&req, h, iface, uid, gid);
        g_array_append_val(reqs, req);
        g_array_append_val(index, j);
    }
    ports = vw_engine_ports_plug(engine, (const VwPortRequest *)(void *)reqs->data, reqs->len,
                                 &failed, &error);
    if (!ports) {
        if (reqs->len == 1)
            failed = 0; /* the message names the interface, as for one port */
        if (failed < reqs->len)
            g_printerr(_("virtwire-hook: cannot plug interface %s of domain '%s' into virtwire "
                         "network '%s': %s\n"),
                       g_array_index(reqs, VwPortRequest, failed).mac, h->domain, network,
                       error->message);
        else
            g_printerr(_("virtwire-hook: cannot plug the interfaces of domain '%s' into "
                         "virtwire network '%s': %s\n"),
                       h->domain, network, error->message);
        /* The engine undid what it made; ports of this network that were
         * plugged before (leftovers: the domain is not running) go too. */
        for (guint k = 0; k < reqs->len; k++)
            vw_engine_port_unplug(engine, network, h->info->uuid,
                                  g_array_index(reqs, VwPortRequest, k).mac, NULL);
        return FALSE;
    }
    for (guint k = 0; k < ports->len; k++)
        plugged[g_array_index(index, guint, k)] = g_steal_pointer(&ports->pdata[k]);
    return TRUE;
}

static int
op_prepare(Hook *h)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VwEngine) engine = NULL;
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    g_autofree VwPortInfo **plugged = NULL;
    int ret = EXIT_OK;
    uid_t uid;
    gid_t gid;

    /* Check everything before anything is touched. */
    for (guint i = 0; i < h->ports->len; i++) {
        const VwDomIface *iface = h->ports->pdata[i];

        if (!vw_dom_iface_is_unmanaged_tap(iface)) {
            g_printerr(_("virtwire-hook: interface %s of domain '%s' is a port of virtwire "
                         "network '%s' but is not <interface type='ethernet'> with "
                         "<target dev='...' managed='no'/>\n"),
                       iface->mac, h->domain, iface->network);
            return EXIT_FAIL;
        }
    }
    for (guint i = 0; i < h->ports->len; i++) {
        const VwDomIface *iface = h->ports->pdata[i];

        if (!target_dev_check(h, iface, &error)) {
            g_printerr(_("virtwire-hook: cannot plug interface %s of domain '%s' into virtwire "
                         "network '%s': %s\n"),
                       iface->mac, h->domain, iface->network, error->message);
            return EXIT_FAIL;
        }
    }
    if (!vw_engine_tap_owner(&uid, &gid, &error)) {
        g_printerr(_("virtwire-hook: cannot start domain '%s': %s\n"), h->domain, error->message);
        return EXIT_FAIL;
    }
    engine = vw_engine_open(NULL, &error);
    if (!engine) {
        g_printerr(_("virtwire-hook: cannot open the virtwire state for domain '%s': %s\n"),
                   h->domain, error->message);
        return EXIT_FAIL;
    }

    plugged = g_new0(VwPortInfo *, h->ports->len + 1);
    for (guint i = 0; i < h->ports->len; i++) {
        const VwDomIface *iface = h->ports->pdata[i];

        if (!g_hash_table_add(seen, iface->network))
            continue; /* plugged with the first port of its network */
        if (!prepare_network(h, engine, i, uid, gid, plugged)) {
            prepare_undo(h, engine, plugged);
            ret = EXIT_FAIL;
            break;
        }
    }
    for (guint i = 0; i < h->ports->len; i++)
        vw_port_info_free(plugged[i]);
    return ret;
}

static int
op_unplug(Hook *h)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VwEngine) engine = vw_engine_open(NULL, &error);
    int status = EXIT_OK;

    if (!engine) {
        g_printerr(_("virtwire-hook: cannot open the virtwire state for domain '%s': %s\n"),
                   h->domain, error->message);
        return EXIT_FAIL;
    }
    /* Every port is tried; libvirt ignores the status, stderr says what failed. */
    for (guint i = 0; i < h->ports->len; i++) {
        const VwDomIface *iface = h->ports->pdata[i];

        if (!vw_engine_port_unplug(engine, iface->network, h->info->uuid, iface->mac, &error)) {
            g_printerr(_("virtwire-hook: cannot unplug interface %s of domain '%s' from virtwire "
                         "network '%s': %s\n"),
                       iface->mac, h->domain, iface->network, error->message);
            g_clear_error(&error);
            status = EXIT_FAIL;
        }
    }
    return status;
}

/* Never fails: libvirt kills a guest whose reconnect hook fails. */
static int
op_repair(Hook *h)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VwEngine) engine = NULL;
    uid_t uid;
    gid_t gid;

    if (!vw_engine_tap_owner(&uid, &gid, &error)) {
        g_printerr(_("virtwire-hook: domain '%s': %s; the taps get no owner\n"), h->domain,
                   error->message);
        g_clear_error(&error);
        uid = (uid_t)-1;
        gid = (gid_t)-1;
    }
    engine = vw_engine_open(NULL, &error);
    if (!engine) {
        g_printerr(_("virtwire-hook: cannot open the virtwire state for domain '%s': %s\n"),
                   h->domain, error->message);
        return EXIT_OK;
    }
    for (guint i = 0; i < h->ports->len; i++) {
        const VwDomIface *iface = h->ports->pdata[i];
        g_autoptr(VwPortInfo) port = NULL;
        VwPortRequest req;

        request_fill(&req, h, iface, uid, gid);
        if (target_dev_check(h, iface, &error))
            port = vw_engine_port_plug(engine, &req, &error);
        if (!port) {
            g_printerr(_("virtwire-hook: cannot repair the port of interface %s of domain '%s' "
                         "in virtwire network '%s' (the domain keeps running): %s\n"),
                       iface->mac, h->domain, iface->network, error->message);
            g_clear_error(&error);
        }
    }
    return EXIT_OK;
}

/* Write all of @data to @fd. */
static gboolean
write_all(int fd, const char *data, gsize len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        data += n;
        len -= (gsize)n;
    }
    return TRUE;
}

/* Print the XML read on stdin to @out_fd (libvirt's stdout) as it came. */
static gboolean
filter_echo(const Hook *h, int out_fd, const Input *in)
{
    if (out_fd < 0 || !write_all(out_fd, in->xml, in->len)) {
        int errsv = out_fd < 0 ? EBADF : errno;

        g_printerr(_("virtwire-hook: cannot write the XML of domain '%s': %s\n"), h->domain,
                   g_strerror(errsv));
        return FALSE;
    }
    return TRUE;
}

/* ------------------------------------------------------------ main */

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_auto(Input) in = { 0 };
    g_autoptr(VwDomInfo) info = NULL;
    g_autoptr(GPtrArray) ports = NULL;
    const char *op, *subop;
    int out_fd;
    OpKind kind = OP_PREPARE;
    gboolean found = FALSE;
    Hook h = { 0 };

    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    if (argc == 2 && (g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h"))) {
        usage_print(stdout, argv[0]);
        return EXIT_OK;
    }
    if (argc == 2 && g_str_equal(argv[1], "--version")) {
        printf("virtwire-hook %s\n", PACKAGE_VERSION);
        return EXIT_OK;
    }
    /* Arguments after EXTRA are ignored: libvirt may pass more one day. */
    if (argc < 4 || !*argv[1] || !*argv[2]) {
        usage_print(stderr, argv[0]);
        return EXIT_USAGE;
    }
    h.domain = argv[1];
    op = argv[2];
    subop = argv[3];

    /*
     * Only a filter writes to stdout: keep the real stdout aside and point
     * fd 1 at stderr, so that nothing else (GLib's log, a library) can put
     * a stray line into the XML libvirt reads back.
     */
    out_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    dup2(STDERR_FILENO, STDOUT_FILENO);
    g_log_writer_default_set_use_stderr(TRUE);

    for (gsize i = 0; i < G_N_ELEMENTS(operations); i++) {
        if (g_str_equal(op, operations[i].op) && g_str_equal(subop, operations[i].subop)) {
            kind = operations[i].kind;
            found = TRUE;
            break;
        }
    }
    if (!found)
        return EXIT_OK; /* start, started, operations of later libvirt versions */

    if (!stdin_read(&in, &error)) {
        g_printerr(_("virtwire-hook: cannot read the XML of domain '%s': %s\n"), h.domain,
                   error->message);
        return kind == OP_PREPARE || kind == OP_UNPLUG ? EXIT_FAIL : EXIT_OK;
    }
    if (!in.vw_metadata) {
        /* Not a virtwire domain, whatever its size and depth: nothing is
         * parsed, opened or touched; a filter hands the XML back as it was. */
        if (kind == OP_FILTER && in.xml && !filter_echo(&h, out_fd, &in))
            return EXIT_FAIL;
        return EXIT_OK;
    }
    if (in.total > VW_XML_MAX_BYTES)
        g_set_error(&error, HOOK_ERROR, 0, _("the XML on standard input is larger than %d bytes"),
                    VW_XML_MAX_BYTES);
    else
        info = vw_dominfo_parse(in.xml, (gssize)in.len, &error);

    if (kind == OP_FILTER) {
        /* libvirt keeps its XML when a filter prints nothing. */
        if (!info) {
            g_printerr(_("virtwire-hook: cannot read the XML of domain '%s' (left unchanged): "
                         "%s\n"),
                       h.domain, error->message);
            return EXIT_OK;
        }
        return filter_echo(&h, out_fd, &in) ? EXIT_OK : EXIT_FAIL;
    }
    if (!info) {
        g_printerr(_("virtwire-hook: cannot read the XML of domain '%s': %s\n"), h.domain,
                   error->message);
        return kind == OP_REPAIR ? EXIT_OK : EXIT_FAIL;
    }

    ports = g_ptr_array_new();
    for (guint i = 0; i < info->ifaces->len; i++) {
        VwDomIface *iface = info->ifaces->pdata[i];

        if (iface->network)
            g_ptr_array_add(ports, iface);
    }
    if (ports->len == 0)
        return EXIT_OK; /* not a virtwire domain: nothing opened, nothing touched */
    if (!info->uuid) {
        g_printerr(_("virtwire-hook: the XML of domain '%s' has no <uuid>\n"), h.domain);
        return kind == OP_REPAIR ? EXIT_OK : EXIT_FAIL;
    }
    h.info = info;
    h.ports = ports;

    switch (kind) {
    case OP_PREPARE:
        return op_prepare(&h);
    case OP_UNPLUG:
        return op_unplug(&h);
    case OP_REPAIR:
        return op_repair(&h);
    case OP_FILTER:
        break;
    }
    g_assert_not_reached();
}
