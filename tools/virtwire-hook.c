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

#include "vw-domif.h"

enum {
    EXIT_OK = 0,
    EXIT_FAIL = 1,
    EXIT_USAGE = 2,
};

/* The errors of the hook's own steps (reading stdin, the XML's size). */
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

/*
 * The use cases are src/domif's (vw-domif.h), called directly over the
 * engine: the hook must not call libvirt, and its start-up is most of its
 * cost.  Here they are only run and their messages printed.
 */

static void
hook_report(const GError *error, gpointer user_data)
{
    (void)user_data;
    g_printerr("virtwire-hook: %s\n", error->message);
}

static VwEngine *
engine_open(const Hook *h)
{
    g_autoptr(GError) error = NULL;
    VwEngine *engine = vw_engine_open(NULL, &error);

    if (!engine)
        g_printerr(_("virtwire-hook: cannot open the virtwire state for domain '%s': %s\n"),
                   h->domain, error->message);
    return engine;
}

/* A failure aborts the start; what this run plugged is undone. */
static int
op_prepare(Hook *h)
{
    g_autoptr(GError) error = NULL;

    if (!vw_domif_plug(NULL, h->info, hook_report, NULL, &error)) {
        hook_report(error, NULL);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

/* Every port is tried; libvirt ignores the status, stderr says what failed. */
static int
op_unplug(Hook *h)
{
    g_autoptr(VwEngine) engine = engine_open(h);

    if (!engine)
        return EXIT_FAIL;
    return vw_domif_unplug(engine, h->info->uuid, h->domain, h->ports, hook_report, NULL) ==
                   (int)h->ports->len
               ? EXIT_OK
               : EXIT_FAIL;
}

/* Never fails: libvirt kills a guest whose reconnect hook fails. */
static int
op_repair(Hook *h)
{
    g_autoptr(VwEngine) engine = engine_open(h);

    if (engine)
        vw_domif_repair(engine, h->info, FALSE, hook_report, NULL);
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

    ports = vw_domif_ports(info);
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
