#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "vw-atomic.h"
#include "vw-dnsmasq.h"
#include "vw-fs.h"
#include "vw-names.h"
#include "vw-netns.h"
#include "vw-util-error.h"

/* clang-format off */
G_DEFINE_QUARK(vw-dnsmasq-error-quark, vw_dnsmasq_error)
/* clang-format on */

/* The user dnsmasq drops root to, when it exists (Debian's dnsmasq-base
 * creates it); else dnsmasq's compiled-in default, "nobody". */
#define VW_DNSMASQ_USER          "dnsmasq"
#define VW_DNSMASQ_FALLBACK_USER "nobody"
/* Environment variable that carries the hash of the configuration a
 * dnsmasq was started with (read back from /proc/PID/environ). */
#define VW_DNSMASQ_HASH_ENV "VW_DNSMASQ_CONFIG"
/* Bounds on waiting for dnsmasq. */
#define VW_DNSMASQ_START_TIMEOUT_MS 30000
#define VW_DNSMASQ_STOP_TIMEOUT_MS  5000
#define VW_DNSMASQ_RUN_DIR_MAX      512
#define VW_DNSMASQ_LEASES_CAP       65536
#define VW_DNSMASQ_HOST_NAME_MAX    63
#define VW_DNSMASQ_PID_FILE_MAX     64

/* A file descriptor closed on scope exit: g_auto(VwDnsmasqFd) fd = -1; */
typedef int VwDnsmasqFd;

static void
vw_dnsmasq_fd_close(VwDnsmasqFd fd)
{
    int saved = errno;

    close(fd);
    errno = saved;
}

G_DEFINE_AUTO_CLEANUP_FREE_FUNC(VwDnsmasqFd, vw_dnsmasq_fd_close, -1)

static gboolean G_GNUC_PRINTF(3, 4)
    vw_dnsmasq_set_errno(GError **error, int errnum, const char *format, ...)
{
    g_autofree char *what = NULL;
    va_list ap;

    va_start(ap, format);
    what = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_IO, "%s: %s", what, g_strerror(errnum));
    return FALSE;
}

/* ---- run directory ---- */

/*
 * The run directory goes into the configuration file unquoted and into
 * dnsmasq's command line: an absolute path of plain characters only.
 */
static gboolean
vw_dnsmasq_run_dir_check(const char *run_dir, GError **error)
{
    size_t len = strlen(run_dir);

    if (run_dir[0] != '/' || len < 2 || len > VW_DNSMASQ_RUN_DIR_MAX) {
        g_autofree char *shown = g_strescape(run_dir, NULL);
        g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_INVALID,
                    _("invalid dnsmasq run directory '%s': must be an absolute path of at most "
                      "%d bytes"),
                    shown, VW_DNSMASQ_RUN_DIR_MAX);
        return FALSE;
    }
    for (const char *p = run_dir; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("/._-+@~", *p)) {
            g_autofree char *shown = g_strescape(run_dir, NULL);
            g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_INVALID,
                        _("invalid dnsmasq run directory '%s': only letters, digits and "
                          "'/._-+@~' are allowed"),
                        shown);
            return FALSE;
        }
    }
    return TRUE;
}

/* The user dnsmasq runs as after start-up: name, uid, gid. */
static const char *
vw_dnsmasq_user(uid_t *uid, gid_t *gid)
{
    static const char *const names[] = { VW_DNSMASQ_USER, VW_DNSMASQ_FALLBACK_USER };

    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        struct passwd pw, *res = NULL;
        char buf[1024];

        if (getpwnam_r(names[i], &pw, buf, sizeof(buf), &res) == 0 && res) {
            *uid = pw.pw_uid;
            *gid = pw.pw_gid;
            return names[i];
        }
    }
    *uid = 65534;
    *gid = 65534;
    return NULL;
}

static gboolean
vw_dnsmasq_searchable(const struct stat *st, uid_t uid, gid_t gid)
{
    if (st->st_uid == uid)
        return (st->st_mode & S_IXUSR) != 0;
    if (st->st_gid == gid)
        return (st->st_mode & S_IXGRP) != 0;
    return (st->st_mode & S_IXOTH) != 0;
}

/*
 * Check that dnsmasq, once it has dropped root, can reach the files of
 * @run_dir, then create the missing directories (0755).  Nothing is created
 * when an existing directory is in the way.
 */
static gboolean
vw_dnsmasq_run_dir_prepare(const char *run_dir, GError **error)
{
    g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *path = g_strdup(run_dir);
    const char *user;
    uid_t uid;
    gid_t gid;

    user = vw_dnsmasq_user(&uid, &gid);
    /* Walk up from @run_dir to "/": missing ones are created, top first. */
    for (;;) {
        struct stat st;
        char *slash;

        /* lstat: a symbolic link on the way is refused, never followed. */
        if (lstat(path, &st) < 0) {
            if (errno != ENOENT)
                return vw_dnsmasq_set_errno(error, errno, _("cannot check directory '%s'"), path);
            g_ptr_array_insert(missing, 0, g_strdup(path));
        } else if (S_ISLNK(st.st_mode)) {
            g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_INVALID,
                        _("invalid dnsmasq run directory '%s': '%s' is a symbolic link"), run_dir,
                        path);
            return FALSE;
        } else if (!S_ISDIR(st.st_mode)) {
            g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_INVALID,
                        _("invalid dnsmasq run directory '%s': '%s' is not a directory"), run_dir,
                        path);
            return FALSE;
        } else if (!vw_dnsmasq_searchable(&st, uid, gid)) {
            g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_INVALID,
                        _("invalid dnsmasq run directory '%s': directory '%s' is not searchable "
                          "by user '%s' (make it mode 0755)"),
                        run_dir, path, user ? user : VW_DNSMASQ_FALLBACK_USER);
            return FALSE;
        }
        slash = strrchr(path, '/');
        if (slash == path) {
            if (path[1] == '\0')
                break;
            path[1] = '\0';
        } else {
            *slash = '\0';
        }
    }
    for (guint i = 0; i < missing->len; i++) {
        const char *dir = g_ptr_array_index(missing, i);

        g_auto(VwDnsmasqFd) dfd = -1;

        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            return vw_dnsmasq_set_errno(error, errno, _("cannot create directory '%s'"), dir);
        /* The umask must not take away the others' search bit; opened
         * without following a link that took the new folder's place. */
        dfd = vw_fs_open(dir, O_RDONLY | O_DIRECTORY, 0);
        if (dfd < 0 || fchmod(dfd, 0755) < 0) {
            int saved = errno;
            g_autofree char *why = vw_fs_strerror(dir, saved);

            g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_IO,
                        _("cannot change the mode of '%s': %s"), dir, why);
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- configuration ---- */

static gboolean
vw_dnsmasq_parse_ip(const char *text, int family, guint8 *out)
{
    return inet_pton(family, text, out) == 1;
}

/* The network address of @ip's subnet, as text. */
static char *
vw_dnsmasq_network_address(const VwIpDef *ip)
{
    guint8 addr[16];
    guint len = ip->family == AF_INET ? 4 : 16;
    char buf[INET6_ADDRSTRLEN];

    if (!vw_dnsmasq_parse_ip(ip->address, ip->family, addr))
        return NULL;
    for (guint i = 0; i < len; i++) {
        guint bits = i * 8 >= ip->prefix ? 0 : MIN(ip->prefix - i * 8, 8);

        addr[i] &= (guint8)(0xff00 >> bits);
    }
    return g_strdup(inet_ntop(ip->family, addr, buf, sizeof(buf)));
}

static char *
vw_dnsmasq_netmask4(guint prefix)
{
    guint32 mask = prefix == 0 ? 0 : htonl(0xffffffffu << (32 - prefix));
    char buf[INET_ADDRSTRLEN];

    return g_strdup(inet_ntop(AF_INET, &mask, buf, sizeof(buf)));
}

/* One address as dnsmasq wants it in dhcp-host: IPv6 in brackets. */
static char *
vw_dnsmasq_host_ip(int family, const char *ip)
{
    return family == AF_INET6 ? g_strdup_printf("[%s]", ip) : g_strdup(ip);
}

/* dhcp-range, dhcp-host and lease count of one <ip>. */
static guint64
vw_dnsmasq_append_ip(GString *conf, const VwIpDef *ip)
{
    g_autofree char *net = vw_dnsmasq_network_address(ip);
    g_autofree char *mask = NULL;
    guint64 leases = ip->hosts->len;

    /* dnsmasq takes a netmask for IPv4, a prefix length for IPv6. */
    if (ip->family == AF_INET)
        mask = vw_dnsmasq_netmask4(ip->prefix);
    else
        mask = g_strdup_printf("%u", ip->prefix);

    /*
     * Static only: dnsmasq answers the MACs it has a dhcp-host for (the
     * definition's <host>s and the ports in the hosts file) and nobody
     * else.  The <range>s are where IPAM picks the ports' addresses; a
     * dynamic range would hand them to any client on the bridge, and the
     * next port's address could already be taken by a stranger.
     */
    g_string_append_printf(conf, "dhcp-range=%s,static,%s,%s\n", net, mask, VW_DNSMASQ_LEASE_TIME);
    leases += ip->family == AF_INET && ip->prefix >= 16 ? (1u << (32 - ip->prefix))
                                                        : VW_DNSMASQ_LEASES_CAP;
    for (guint i = 0; i < ip->hosts->len; i++) {
        const VwDhcpHost *h = g_ptr_array_index(ip->hosts, i);
        g_autofree char *addr = vw_dnsmasq_host_ip(ip->family, h->ip);

        if (h->name)
            g_string_append_printf(conf, "dhcp-host=%s,%s,%s\n", h->mac, addr, h->name);
        else
            g_string_append_printf(conf, "dhcp-host=%s,%s\n", h->mac, addr);
    }
    return MIN(leases, VW_DNSMASQ_LEASES_CAP);
}

char *
vw_dnsmasq_config_text(const VwNetDef *def, const char *run_dir, GError **error)
{
    g_autoptr(GString) conf = g_string_new(NULL);
    guint64 leases = 0;
    const char *user;
    uid_t uid;
    gid_t gid;

    g_return_val_if_fail(def != NULL, NULL);
    g_return_val_if_fail(run_dir != NULL, NULL);
    if (!vw_netdef_validate(def, error))
        return NULL;
    if (!vw_dnsmasq_run_dir_check(run_dir, error))
        return NULL;

    g_string_append_printf(
        conf, "# dnsmasq of guest network '%s', written by virtwire: do not edit.\n", def->name);
    /* Only the bridge; lo of the netns is not for guests. */
    g_string_append_printf(conf, "interface=%s\n", def->bridge);
    g_string_append(conf, "except-interface=lo\n");
    g_string_append(conf, "bind-dynamic\n");
    /* The host's resolv.conf and hosts mean nothing inside the netns. */
    g_string_append(conf, "no-resolv\n");
    g_string_append(conf, "no-hosts\n");
    user = vw_dnsmasq_user(&uid, &gid);
    if (user && g_str_equal(user, VW_DNSMASQ_USER))
        g_string_append_printf(conf, "user=%s\n", user);
    g_string_append_printf(conf, "pid-file=%s/%s\n", run_dir, VW_DNSMASQ_PID_FILE);
    g_string_append_printf(conf, "log-facility=%s/%s\n", run_dir, VW_DNSMASQ_LOG_FILE);
    g_string_append_printf(conf, "dhcp-leasefile=%s/%s\n", run_dir, VW_DNSMASQ_LEASE_FILE);
    g_string_append_printf(conf, "dhcp-hostsfile=%s/%s\n", run_dir, VW_DNSMASQ_HOSTS_FILE);

    if (def->dns_domain) {
        g_string_append_printf(conf, "domain=%s\n", def->dns_domain);
        g_string_append_printf(conf, "local=/%s/\n", def->dns_domain);
        g_string_append(conf, "expand-hosts\n");
    }
    if (def->dns_forwarders->len > 0) {
        g_string_append(conf, "strict-order\n");
        g_string_append(conf, "domain-needed\n");
        g_string_append(conf, "bogus-priv\n");
        for (guint i = 0; i < def->dns_forwarders->len; i++)
            g_string_append_printf(conf, "server=%s\n",
                                   (const char *)g_ptr_array_index(def->dns_forwarders, i));
    }

    if (def->ipv4 || def->ipv6) {
        /* The only DHCP server on the bridge: answer at once, NAK unknown leases. */
        g_string_append(conf, "dhcp-authoritative\n");
        /* A client without a dhcp-host is not answered at all (nor logged). */
        g_string_append(conf, "dhcp-ignore=tag:!known\n");
        /* No line per request: the log holds start-up, reloads and errors. */
        g_string_append(conf, "quiet-dhcp\nquiet-dhcp6\nquiet-ra\n");
    }
    if (def->ipv4)
        leases += vw_dnsmasq_append_ip(conf, def->ipv4);
    if (def->ipv6) {
        g_string_append(conf, "enable-ra\n");
        leases += vw_dnsmasq_append_ip(conf, def->ipv6);
    }
    if (leases > 0)
        g_string_append_printf(conf, "dhcp-lease-max=%" G_GUINT64_FORMAT "\n", leases);
    return g_string_free(g_steal_pointer(&conf), FALSE);
}

/*
 * Refuse a symbolic link in place of one of @run_dir's files: dnsmasq is
 * given their paths and would follow it (as root, for the pid file), and
 * virtwire never follows one.
 */
static gboolean
vw_dnsmasq_run_files_check(const char *run_dir, GError **error)
{
    static const char *const names[] = { VW_DNSMASQ_CONF_FILE, VW_DNSMASQ_HOSTS_FILE,
                                         VW_DNSMASQ_PID_FILE,  VW_DNSMASQ_LEASE_FILE,
                                         VW_DNSMASQ_LOG_FILE,  VW_DNSMASQ_LOG_OLD };
    g_auto(VwDnsmasqFd) dfd = vw_fs_open(run_dir, O_RDONLY | O_DIRECTORY, 0);

    if (dfd < 0) {
        int saved = errno;
        g_autofree char *why = vw_fs_strerror(run_dir, saved);

        g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_IO, _("cannot open '%s': %s"),
                    run_dir, why);
        return FALSE;
    }
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        struct stat st;

        if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
            g_autofree char *path = g_build_filename(run_dir, names[i], NULL);

            g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_INVALID,
                        _("cannot use '%s': it is a symbolic link"), path);
            return FALSE;
        }
    }
    return TRUE;
}

/* TRUE when @path is a regular file holding exactly @text (no symbolic link
 * in any component of @path is followed). */
static gboolean
vw_dnsmasq_file_is(const char *path, const char *text)
{
    g_auto(VwDnsmasqFd) fd = vw_fs_open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
    g_autofree char *old = NULL;
    struct stat st;
    gsize len = 0;

    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return FALSE;
    /* A longer file differs: never read more than @text's length + 1. */
    old = vw_fs_read_fd(fd, path, strlen(text), &len, NULL);
    return old && len == strlen(text) && memcmp(old, text, len) == 0;
}

/* Write @text to @run_dir/dnsmasq.conf and make sure dhcp-hosts exists. */
static gboolean
vw_dnsmasq_write_files(const char *run_dir, const char *text, GError **error)
{
    g_autofree char *conf_path = g_build_filename(run_dir, VW_DNSMASQ_CONF_FILE, NULL);
    g_autofree char *hosts_path = g_build_filename(run_dir, VW_DNSMASQ_HOSTS_FILE, NULL);
    g_auto(VwDnsmasqFd) fd = -1;

    if (!vw_dnsmasq_run_dir_prepare(run_dir, error) || !vw_dnsmasq_run_files_check(run_dir, error))
        return FALSE;
    /* Unchanged: leave the file (and its mtime) alone. */
    if (!vw_dnsmasq_file_is(conf_path, text)) {
        if (!vw_file_write_atomic_full(conf_path, text, -1, 0644, VW_ATOMIC_NO_SYNC, error))
            return FALSE;
    }
    fd = vw_fs_open(hosts_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0 && errno != EEXIST) {
        int saved = errno;
        g_autofree char *why = vw_fs_strerror(hosts_path, saved);

        g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_IO, _("cannot create '%s': %s"),
                    hosts_path, why);
        return FALSE;
    }
    if (fd >= 0 && fchmod(fd, 0644) < 0)
        return vw_dnsmasq_set_errno(error, errno, _("cannot change the mode of '%s'"), hosts_path);
    return TRUE;
}

gboolean
vw_dnsmasq_write_config(const VwNetDef *def, const char *run_dir, GError **error)
{
    g_autofree char *text = NULL;

    g_return_val_if_fail(def != NULL, FALSE);
    g_return_val_if_fail(run_dir != NULL, FALSE);
    text = vw_dnsmasq_config_text(def, run_dir, error);
    if (!text)
        return FALSE;
    return vw_dnsmasq_write_files(run_dir, text, error);
}

/* ---- log ---- */

/*
 * Bound dnsmasq's log (see vw-dnsmasq.h): past VW_DNSMASQ_LOG_MAX bytes,
 * its tail goes to dnsmasq.log.old and the log is emptied in place.  A log
 * that is not a regular file (or a symlink) is not ours to touch.
 */
static gboolean
vw_dnsmasq_log_trim(const char *run_dir, GError **error)
{
    g_autofree char *path = g_build_filename(run_dir, VW_DNSMASQ_LOG_FILE, NULL);
    g_autofree char *old_path = g_build_filename(run_dir, VW_DNSMASQ_LOG_OLD, NULL);
    g_autofree char *tail = NULL;
    g_auto(VwDnsmasqFd) fd = -1;
    const char *start;
    struct stat st;
    gsize len = 0;
    off_t from;

    fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 && (errno == ENOENT || errno == ELOOP))
        return TRUE;
    if (fd < 0 || fstat(fd, &st) < 0)
        return vw_dnsmasq_set_errno(error, errno, _("cannot open '%s'"), path);
    if (!S_ISREG(st.st_mode) || st.st_size <= VW_DNSMASQ_LOG_MAX)
        return TRUE;
    from = st.st_size - VW_DNSMASQ_LOG_MAX;
    tail = g_malloc(VW_DNSMASQ_LOG_MAX + 1);
    while (len < VW_DNSMASQ_LOG_MAX) {
        ssize_t n = pread(fd, tail + len, VW_DNSMASQ_LOG_MAX - len, from + (off_t)len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vw_dnsmasq_set_errno(error, errno, _("cannot read '%s'"), path);
        if (n == 0)
            break;
        len += (gsize)n;
    }
    tail[len] = '\0';
    /* From the first whole line on. */
    start = memchr(tail, '\n', len);
    start = start ? start + 1 : tail + len;
    if (!vw_file_write_atomic_full(old_path, start, (gssize)(tail + len - start), 0640,
                                   VW_ATOMIC_NO_SYNC, error))
        return FALSE;
    if (ftruncate(fd, 0) < 0)
        return vw_dnsmasq_set_errno(error, errno, _("cannot empty '%s'"), path);
    return TRUE;
}

/* ---- processes ---- */

static char *
vw_dnsmasq_conf_arg(const char *run_dir)
{
    return g_strdup_printf("--conf-file=%s/%s", run_dir, VW_DNSMASQ_CONF_FILE);
}

/* The pid in @run_dir's pid file, or 0. */
static GPid
vw_dnsmasq_read_pid(const char *run_dir)
{
    g_autofree char *path = g_build_filename(run_dir, VW_DNSMASQ_PID_FILE, NULL);
    g_autofree char *text = NULL;
    guint64 pid = 0;

    /* Never through a symbolic link; a pid needs far fewer bytes. */
    text = vw_fs_read(path, VW_DNSMASQ_PID_FILE_MAX, FALSE, NULL, NULL);
    if (!text)
        return 0;
    g_strstrip(text);
    if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT32, &pid, NULL))
        return 0;
    return (GPid)pid;
}

/* A NUL-separated /proc/@pid/@what file as a string vector, or NULL. */
static char **
vw_dnsmasq_proc_strv(GPid pid, const char *what)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/%s", (int)pid, what);
    g_autofree char *data = NULL;
    g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);
    gsize len = 0;

    if (!g_file_get_contents(path, &data, &len, NULL) || len == 0)
        return NULL;
    for (gsize pos = 0; pos < len;) {
        gsize n = strnlen(data + pos, len - pos);

        g_ptr_array_add(items, g_strndup(data + pos, n));
        pos += n + 1;
    }
    g_ptr_array_add(items, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&items), FALSE);
}

/* TRUE when @pid is a live dnsmasq started with @run_dir's configuration. */
static gboolean
vw_dnsmasq_is_ours(GPid pid, const char *run_dir)
{
    g_auto(GStrv) argv = vw_dnsmasq_proc_strv(pid, "cmdline");
    g_autofree char *conf_arg = vw_dnsmasq_conf_arg(run_dir);
    g_autofree char *base = NULL;

    /* A zombie has an empty command line. */
    if (!argv || !argv[0])
        return FALSE;
    base = g_path_get_basename(argv[0]);
    if (!g_str_equal(base, "dnsmasq"))
        return FALSE;
    return g_strv_contains((const char *const *)argv + 1, conf_arg);
}

GPid
vw_dnsmasq_running(const char *run_dir)
{
    GPid pid;

    g_return_val_if_fail(run_dir != NULL, 0);
    if (!vw_dnsmasq_run_dir_check(run_dir, NULL))
        return 0;
    pid = vw_dnsmasq_read_pid(run_dir);
    if (pid <= 0 || !vw_dnsmasq_is_ours(pid, run_dir))
        return 0;
    return pid;
}

gboolean
vw_dnsmasq_in_netns(GPid pid, const char *netns)
{
    g_autofree char *proc = NULL;
    g_autofree char *bound = NULL;
    struct stat a, b;

    g_return_val_if_fail(netns != NULL, FALSE);
    if (pid <= 0 || !vw_netns_name_check(netns, NULL))
        return FALSE;
    proc = g_strdup_printf("/proc/%d/ns/net", (int)pid);
    bound = g_build_filename(VW_NETNS_RUN_DIR, netns, NULL);
    if (stat(proc, &a) < 0 || stat(bound, &b) < 0)
        return FALSE;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The configuration hash @pid was started with, or NULL. */
static char *
vw_dnsmasq_started_hash(GPid pid)
{
    g_auto(GStrv) env = vw_dnsmasq_proc_strv(pid, "environ");
    const char *value;

    if (!env)
        return NULL;
    value = g_environ_getenv(env, VW_DNSMASQ_HASH_ENV);
    return g_strdup(value);
}

static int
vw_dnsmasq_pidfd_open(GPid pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Wait until the process of @pidfd exits; FALSE when @timeout_ms passed. */
static gboolean
vw_dnsmasq_pidfd_wait(int pidfd, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        int n;

        n = poll(&pfd, 1, (int)MAX(left, 0));
        if (n > 0)
            return TRUE;
        if (n == 0)
            return FALSE;
        if (errno != EINTR)
            return FALSE;
    }
}

static gboolean
vw_dnsmasq_remove_pid_file(const char *run_dir, GError **error)
{
    g_autofree char *path = g_build_filename(run_dir, VW_DNSMASQ_PID_FILE, NULL);

    if (unlink(path) < 0 && errno != ENOENT)
        return vw_dnsmasq_set_errno(error, errno, _("cannot remove '%s'"), path);
    return TRUE;
}

/*
 * Without pidfds (kernels before 5.3, valgrind): wait until @pid is no
 * longer a dnsmasq of @run_dir (gone, a zombie, or reused).
 */
static gboolean
vw_dnsmasq_poll_gone(GPid pid, const char *run_dir, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    while (vw_dnsmasq_is_ours(pid, run_dir)) {
        if (g_get_monotonic_time() >= deadline)
            return FALSE;
        g_usleep(10 * 1000);
    }
    return TRUE;
}

/* Send @sig to @pid through @pidfd, or by pid after checking it is still ours. */
static int
vw_dnsmasq_signal(int pidfd, GPid pid, const char *run_dir, int sig)
{
    if (pidfd >= 0)
        return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
    if (!vw_dnsmasq_is_ours(pid, run_dir))
        return 0;
    return kill(pid, sig);
}

static gboolean
vw_dnsmasq_wait_gone(int pidfd, GPid pid, const char *run_dir, int timeout_ms)
{
    if (pidfd >= 0)
        return vw_dnsmasq_pidfd_wait(pidfd, timeout_ms);
    return vw_dnsmasq_poll_gone(pid, run_dir, timeout_ms);
}

gboolean
vw_dnsmasq_stop(const char *run_dir, GError **error)
{
    g_auto(VwDnsmasqFd) pidfd = -1;
    GPid pid;

    g_return_val_if_fail(run_dir != NULL, FALSE);
    if (!vw_dnsmasq_run_dir_check(run_dir, error))
        return FALSE;
    pid = vw_dnsmasq_running(run_dir);
    if (pid > 0) {
        pidfd = vw_dnsmasq_pidfd_open(pid);
        if (pidfd < 0 && errno != ESRCH && errno != ENOSYS)
            return vw_dnsmasq_set_errno(error, errno, _("cannot stop dnsmasq (pid %d) of '%s'"),
                                        (int)pid, run_dir);
        if (pidfd < 0 && errno == ESRCH)
            pid = 0;
    }
    /* Checked again once the pidfd is held: the pid cannot be reused under us now. */
    if (pid > 0 && vw_dnsmasq_is_ours(pid, run_dir)) {
        if (vw_dnsmasq_signal(pidfd, pid, run_dir, SIGTERM) < 0 && errno != ESRCH)
            return vw_dnsmasq_set_errno(error, errno, _("cannot stop dnsmasq (pid %d) of '%s'"),
                                        (int)pid, run_dir);
        if (!vw_dnsmasq_wait_gone(pidfd, pid, run_dir, VW_DNSMASQ_STOP_TIMEOUT_MS)) {
            if (vw_dnsmasq_signal(pidfd, pid, run_dir, SIGKILL) < 0 && errno != ESRCH)
                return vw_dnsmasq_set_errno(error, errno, _("cannot kill dnsmasq (pid %d) of '%s'"),
                                            (int)pid, run_dir);
            if (!vw_dnsmasq_wait_gone(pidfd, pid, run_dir, VW_DNSMASQ_STOP_TIMEOUT_MS)) {
                g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_FAILED,
                            _("dnsmasq (pid %d) of '%s' does not exit"), (int)pid, run_dir);
                return FALSE;
            }
        }
    }
    return vw_dnsmasq_remove_pid_file(run_dir, error);
}

gboolean
vw_dnsmasq_reload(const char *run_dir, GError **error)
{
    GPid pid;

    g_return_val_if_fail(run_dir != NULL, FALSE);
    if (!vw_dnsmasq_run_dir_check(run_dir, error))
        return FALSE;
    pid = vw_dnsmasq_running(run_dir);
    if (pid <= 0) {
        g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_NOT_RUNNING,
                    _("cannot reload dnsmasq of '%s': it is not running"), run_dir);
        return FALSE;
    }
    if (kill(pid, SIGHUP) < 0)
        return vw_dnsmasq_set_errno(error, errno, _("cannot reload dnsmasq (pid %d) of '%s'"),
                                    (int)pid, run_dir);
    return TRUE;
}

static char *
vw_dnsmasq_find_binary(GError **error)
{
    static const char *const fallbacks[] = { "/usr/sbin/dnsmasq", "/sbin/dnsmasq" };
    char *path = g_find_program_in_path("dnsmasq");

    if (path)
        return path;
    for (guint i = 0; i < G_N_ELEMENTS(fallbacks); i++) {
        if (g_file_test(fallbacks[i], G_FILE_TEST_IS_EXECUTABLE))
            return g_strdup(fallbacks[i]);
    }
    g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_NO_BINARY,
                _("cannot find the dnsmasq program in PATH or /usr/sbin (install dnsmasq-base)"));
    return NULL;
}

/* Between fork and exec: only async-signal-safe calls. */
static void
vw_dnsmasq_child_setup(gpointer user_data)
{
    if (setns(GPOINTER_TO_INT(user_data), CLONE_NEWNET) < 0)
        _exit(127);
    /* Out of the caller's session and process group from the start. */
    setsid();
}

/* Whatever is in the non-blocking pipe @fd, at most 4 KiB. */
static char *
vw_dnsmasq_drain(int fd)
{
    g_autoptr(GString) out = g_string_new(NULL);
    char buf[1024];

    while (out->len < 4096) {
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        g_string_append_len(out, buf, n);
    }
    return g_strstrip(g_string_free(g_steal_pointer(&out), FALSE));
}

static gboolean
vw_dnsmasq_spawn(const VwNetDef *def, const char *run_dir, const char *hash, GPid *out_pid,
                 GError **error)
{
    g_autofree char *binary = NULL;
    g_autofree char *conf_arg = vw_dnsmasq_conf_arg(run_dir);
    g_autofree char *hash_env = g_strdup_printf("%s=%s", VW_DNSMASQ_HASH_ENV, hash);
    g_autofree char *messages = NULL;
    g_autoptr(GError) spawn_error = NULL;
    g_auto(VwDnsmasqFd) netns_fd = -1;
    g_auto(VwDnsmasqFd) err_fd = -1;
    g_auto(VwDnsmasqFd) pidfd = -1;
    GPid child = 0;
    GPid pid;
    int status = 0;
    int rc;

    binary = vw_dnsmasq_find_binary(error);
    if (!binary)
        return FALSE;
    netns_fd = vw_netns_open(def->netns, error);
    if (netns_fd < 0)
        return FALSE;
    {
        const char *argv[] = { binary, conf_arg, NULL };
        /* A small fixed environment: nothing of the caller's leaks into the daemon. */
        const char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", hash_env, NULL };

        /* stdin: /dev/null (no pipe asked for); stdout: /dev/null; stderr: ours. */
        if (!g_spawn_async_with_pipes(NULL, (char **)argv, (char **)envp,
                                      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                                      vw_dnsmasq_child_setup, GINT_TO_POINTER(netns_fd), &child,
                                      NULL, NULL, &err_fd, &spawn_error)) {
            g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_FAILED,
                        _("cannot start dnsmasq for network '%s' in netns '%s': %s"), def->name,
                        def->netns, spawn_error->message);
            return FALSE;
        }
    }

    /* dnsmasq's first process exits once the daemon is ready or has failed. */
    pidfd = vw_dnsmasq_pidfd_open(child);
    if (pidfd >= 0 && !vw_dnsmasq_pidfd_wait(pidfd, VW_DNSMASQ_START_TIMEOUT_MS)) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_FAILED,
                    _("cannot start dnsmasq for network '%s' in netns '%s': it did not finish "
                      "starting within %d seconds"),
                    def->name, def->netns, VW_DNSMASQ_START_TIMEOUT_MS / 1000);
        return FALSE;
    }
    do
        rc = waitpid(child, &status, 0);
    while (rc < 0 && errno == EINTR);
    /* The daemon let go of the pipe before its parent exited; never block on it. */
    if (fcntl(err_fd, F_SETFL, O_NONBLOCK) == 0)
        messages = vw_dnsmasq_drain(err_fd);
    /* rc < 0 (ECHILD: SIGCHLD ignored by the caller): judge by the pid file. */
    if (rc == child && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        if (messages && *messages)
            g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_FAILED,
                        _("cannot start dnsmasq for network '%s' in netns '%s': %s"), def->name,
                        def->netns, messages);
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_FAILED,
                        _("cannot start dnsmasq for network '%s': cannot enter netns '%s'"),
                        def->name, def->netns);
        else
            g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_FAILED,
                        _("cannot start dnsmasq for network '%s' in netns '%s': exit status %d"),
                        def->name, def->netns,
                        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        return FALSE;
    }
    pid = vw_dnsmasq_running(run_dir);
    if (pid <= 0) {
        g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_FAILED,
                    _("cannot start dnsmasq for network '%s' in netns '%s': no running dnsmasq "
                      "named in '%s/%s'"),
                    def->name, def->netns, run_dir, VW_DNSMASQ_PID_FILE);
        return FALSE;
    }
    if (out_pid)
        *out_pid = pid;
    return TRUE;
}

gboolean
vw_dnsmasq_start(const VwNetDef *def, const char *run_dir, GPid *out_pid, GError **error)
{
    g_autofree char *text = NULL;
    g_autofree char *hash = NULL;
    GPid pid;

    g_return_val_if_fail(def != NULL, FALSE);
    g_return_val_if_fail(run_dir != NULL, FALSE);
    text = vw_dnsmasq_config_text(def, run_dir, error);
    if (!text)
        return FALSE;
    if (!vw_netns_exists(def->netns)) {
        g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_FAILED,
                    _("cannot start dnsmasq for network '%s': netns '%s' does not exist"),
                    def->name, def->netns);
        return FALSE;
    }
    if (!vw_dnsmasq_write_files(run_dir, text, error) || !vw_dnsmasq_log_trim(run_dir, error))
        return FALSE;
    hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);

    pid = vw_dnsmasq_running(run_dir);
    if (pid > 0) {
        g_autofree char *started = vw_dnsmasq_started_hash(pid);

        if (started && g_str_equal(started, hash) && vw_dnsmasq_in_netns(pid, def->netns)) {
            if (out_pid)
                *out_pid = pid;
            return TRUE;
        }
    }
    /* Another configuration, another netns (re-created), or a stale pid file. */
    if (!vw_dnsmasq_stop(run_dir, error))
        return FALSE;
    return vw_dnsmasq_spawn(def, run_dir, hash, out_pid, error);
}

/* ---- per-port hosts ---- */

/* TRUE when @path is a folder (no symbolic link in any component). */
static gboolean
vw_dnsmasq_is_dir(const char *path)
{
    g_auto(VwDnsmasqFd) fd = vw_fs_open(path, O_RDONLY | O_DIRECTORY, 0);

    return fd >= 0;
}

static gboolean
vw_dnsmasq_mac_canon(const char *text, char out[18])
{
    if (strlen(text) != 17)
        return FALSE;
    for (int i = 0; i < 17; i++) {
        if (i % 3 == 2) {
            if (text[i] != ':')
                return FALSE;
        } else if (!g_ascii_isxdigit(text[i])) {
            return FALSE;
        }
        out[i] = g_ascii_tolower(text[i]);
    }
    out[17] = '\0';
    return TRUE;
}

static gboolean
vw_dnsmasq_host_name_check(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > VW_DNSMASQ_HOST_NAME_MAX || name[0] == '-' || name[len - 1] == '-')
        return FALSE;
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-')
            return FALSE;
    }
    return TRUE;
}

/* One line "MAC,IP[,NAME]" in canonical form, or NULL with @error set. */
static char *
vw_dnsmasq_host_line(guint lineno, const char *line, GError **error)
{
    g_auto(GStrv) fields = g_strsplit(line, ",", -1);
    guint n = g_strv_length(fields);
    char mac[18];
    guint8 addr[16];
    g_autofree char *ip = NULL;
    char buf[INET6_ADDRSTRLEN];
    int family;

    if (n < 2 || n > 3) {
        g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_INVALID,
                    _("invalid DHCP host line %u '%s': expected MAC,IP or MAC,IP,NAME"), lineno,
                    line);
        return NULL;
    }
    for (guint i = 0; i < n; i++)
        g_strstrip(fields[i]);
    if (!vw_dnsmasq_mac_canon(fields[0], mac)) {
        g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_INVALID,
                    _("invalid DHCP host line %u '%s': invalid MAC address '%s'"), lineno, line,
                    fields[0]);
        return NULL;
    }
    ip = g_strdup(fields[1]);
    if (ip[0] == '[' && strlen(ip) > 2 && ip[strlen(ip) - 1] == ']') {
        char *inner = g_strndup(ip + 1, strlen(ip) - 2);

        g_free(ip);
        ip = inner;
        family = AF_INET6;
    } else {
        family = strchr(ip, ':') ? AF_INET6 : AF_INET;
    }
    if (!vw_dnsmasq_parse_ip(ip, family, addr)) {
        g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_INVALID,
                    _("invalid DHCP host line %u '%s': invalid IP address '%s'"), lineno, line,
                    fields[1]);
        return NULL;
    }
    inet_ntop(family, addr, buf, sizeof(buf));
    if (n == 3 && !vw_dnsmasq_host_name_check(fields[2])) {
        g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_INVALID,
                    _("invalid DHCP host line %u '%s': invalid host name '%s' (1 to 63 letters, "
                      "digits and '-', not at either end)"),
                    lineno, line, fields[2]);
        return NULL;
    }
    return g_strdup_printf(family == AF_INET6 ? "%s,[%s]%s%s" : "%s,%s%s%s", mac, buf,
                           n == 3 ? "," : "", n == 3 ? fields[2] : "");
}

gboolean
vw_dnsmasq_set_hosts(const char *run_dir, const char *text, GError **error)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree char *path = NULL;
    g_auto(GStrv) lines = NULL;

    g_return_val_if_fail(run_dir != NULL, FALSE);
    g_return_val_if_fail(text != NULL, FALSE);
    if (!vw_dnsmasq_run_dir_check(run_dir, error))
        return FALSE;
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_autofree char *canon = NULL;
        char *line = g_strstrip(lines[i]);

        if (*line == '\0')
            continue;
        canon = vw_dnsmasq_host_line(i + 1, line, error);
        if (!canon)
            return FALSE;
        g_string_append_printf(out, "%s\n", canon);
    }
    path = g_build_filename(run_dir, VW_DNSMASQ_HOSTS_FILE, NULL);
    if (!vw_dnsmasq_is_dir(run_dir)) {
        g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_INVALID,
                    _("cannot write '%s': run directory '%s' does not exist"), path, run_dir);
        return FALSE;
    }
    if (!vw_file_write_atomic_full(path, out->str, (gssize)out->len, 0644, VW_ATOMIC_NO_SYNC,
                                   error))
        return FALSE;
    if (!vw_dnsmasq_log_trim(run_dir, error))
        return FALSE;
    if (vw_dnsmasq_running(run_dir) > 0)
        return vw_dnsmasq_reload(run_dir, error);
    return TRUE;
}

/* ---- what DHCP handed out ---- */

void
vw_dnsmasq_lease_free(VwDnsmasqLease *lease)
{
    if (!lease)
        return;
    g_free(lease->address);
    g_free(lease->hostname);
    g_free(lease->client_id);
    g_free(lease->iaid);
    g_free(lease);
}

/* An unsigned decimal number that fits a gint64. */
static gboolean
vw_dnsmasq_lease_number(const char *text, gint64 *out)
{
    guint64 v = 0;

    if (!*text)
        return FALSE;
    for (const char *p = text; *p; p++) {
        if (!g_ascii_isdigit(*p) || v > (guint64)G_MAXINT64 / 10)
            return FALSE;
        v = v * 10 + (guint64)(*p - '0');
    }
    if (v > (guint64)G_MAXINT64)
        return FALSE;
    *out = (gint64)v;
    return TRUE;
}

/* "xx:xx:..." (1 to 255 bytes, as dnsmasq prints a client id), into @bytes
 * when given; the length in bytes, or 0 when @text is not that. */
static gsize
vw_dnsmasq_lease_hex(const char *text, guint8 *bytes, gsize max)
{
    gsize n = 0;

    for (const char *p = text;; p += 3) {
        if (!g_ascii_isxdigit(p[0]) || !g_ascii_isxdigit(p[1]) || n == max)
            return 0;
        if (bytes)
            bytes[n] = (guint8)(g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]));
        n++;
        if (p[2] == '\0')
            return n;
        if (p[2] != ':')
            return 0;
    }
}

/* A host name or a client id as dnsmasq writes it: "*" for none; printable
 * ASCII only (dnsmasq's own check on names), else the line is refused. */
static gboolean
vw_dnsmasq_lease_word(const char *text, char **out)
{
    *out = NULL;
    if (g_str_equal(text, "*"))
        return TRUE;
    for (const char *p = text; *p; p++) {
        if (!g_ascii_isgraph(*p))
            return FALSE;
    }
    *out = g_strdup(text);
    return TRUE;
}

/* The MAC address in a DHCPv6 DUID: DUID-LLT (type 1) or DUID-LL (type 3)
 * of an Ethernet link (hardware type 1). */
static gboolean
vw_dnsmasq_lease_duid_mac(const char *duid, guint8 mac[6])
{
    guint8 b[255];
    gsize n = duid ? vw_dnsmasq_lease_hex(duid, b, sizeof(b)) : 0;

    if (n == 14 && b[0] == 0 && b[1] == 1 && b[2] == 0 && b[3] == 1) {
        memcpy(mac, b + 8, 6);
        return TRUE;
    }
    if (n == 10 && b[0] == 0 && b[1] == 3 && b[2] == 0 && b[3] == 1) {
        memcpy(mac, b + 4, 6);
        return TRUE;
    }
    return FALSE;
}

/* One lease line, or NULL when it is not one. */
static VwDnsmasqLease *
vw_dnsmasq_lease_parse_line(const char *line)
{
    g_autoptr(VwDnsmasqLease) lease = g_new0(VwDnsmasqLease, 1);
    g_auto(GStrv) f = g_strsplit(line, " ", -1);
    guint8 addr[16];
    char buf[INET6_ADDRSTRLEN];
    int family;

    if (g_strv_length(f) != 5 || !vw_dnsmasq_lease_number(f[0], &lease->expiry))
        return NULL;
    /* The address says the family: the second field is a MAC for DHCPv4,
     * an IAID for DHCPv6. */
    if (inet_pton(AF_INET, f[2], addr) == 1) {
        family = AF_INET;
        /* A non-Ethernet client is written "TYPE-xx:xx..."; it has no MAC. */
        if (!strchr(f[1], '-')) {
            if (!vw_mac_parse(f[1], lease->mac, NULL))
                return NULL;
            lease->has_mac = TRUE;
        }
    } else if (inet_pton(AF_INET6, f[2], addr) == 1) {
        gint64 iaid;

        family = AF_INET6;
        lease->ipv6 = TRUE;
        if (!vw_dnsmasq_lease_number(f[1][0] == 'T' ? f[1] + 1 : f[1], &iaid) || iaid > G_MAXUINT32)
            return NULL;
        lease->iaid = g_strdup(f[1]);
    } else {
        return NULL;
    }
    if (!inet_ntop(family, addr, buf, sizeof(buf)) ||
        !vw_dnsmasq_lease_word(f[3], &lease->hostname) ||
        !vw_dnsmasq_lease_word(f[4], &lease->client_id))
        return NULL;
    if (lease->client_id && !vw_dnsmasq_lease_hex(lease->client_id, NULL, 255))
        return NULL;
    if (lease->ipv6)
        lease->has_mac = vw_dnsmasq_lease_duid_mac(lease->client_id, lease->mac);
    lease->address = g_strdup(buf);
    return g_steal_pointer(&lease);
}

GPtrArray *
vw_dnsmasq_leases_parse(const char *text)
{
    GPtrArray *leases = g_ptr_array_new_with_free_func((GDestroyNotify)vw_dnsmasq_lease_free);
    g_auto(GStrv) lines = NULL;

    g_return_val_if_fail(text != NULL, leases);
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        VwDnsmasqLease *lease;

        /* The server's DUID, before the DHCPv6 leases: nothing to show. */
        if (g_str_has_prefix(*l, "duid "))
            continue;
        lease = vw_dnsmasq_lease_parse_line(*l);
        if (lease)
            g_ptr_array_add(leases, lease);
    }
    return leases;
}

GPtrArray *
vw_dnsmasq_leases_read(const char *run_dir, GError **error)
{
    g_autofree char *path = NULL;
    g_autofree char *text = NULL;
    g_autoptr(GError) local = NULL;
    g_auto(VwDnsmasqFd) fd = -1;

    g_return_val_if_fail(run_dir != NULL, NULL);
    path = g_build_filename(run_dir, VW_DNSMASQ_LEASE_FILE, NULL);
    fd = vw_fs_open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
    if (fd < 0) {
        int saved = errno;
        g_autofree char *why = NULL;

        if (saved == ENOENT)
            return vw_dnsmasq_leases_parse("");
        why = vw_fs_strerror(path, saved);
        g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_IO,
                    _("cannot read dnsmasq lease file '%s': %s"), path, why);
        return NULL;
    }
    text = vw_fs_read_fd(fd, path, VW_DNSMASQ_LEASES_FILE_MAX, NULL, &local);
    if (!text) {
        if (g_error_matches(local, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID))
            g_set_error(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_IO,
                        _("cannot read dnsmasq lease file '%s': it is larger than the limit of "
                          "%lu bytes"),
                        path, (unsigned long)VW_DNSMASQ_LEASES_FILE_MAX);
        else
            g_set_error_literal(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_IO, local->message);
        return NULL;
    }
    return vw_dnsmasq_leases_parse(text);
}
