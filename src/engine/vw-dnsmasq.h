/*
 * One dnsmasq per guest network, running inside the network's netns and
 * bound to its bridge: DHCP for the definition's ranges and static hosts,
 * per-port hosts from a hosts file the engine rewrites, and DNS.
 *
 * Everything of one instance lives in a run directory the caller gives:
 *
 *   dnsmasq.conf   the configuration (vw_dnsmasq_write_config())
 *   dhcp-hosts     per-port "MAC,IP[,name]" lines (vw_dnsmasq_set_hosts())
 *   dnsmasq.pid    written by dnsmasq
 *   leases         dnsmasq's lease file (read by vw_dnsmasq_leases_read())
 *   dnsmasq.log    dnsmasq's log (never syslog): start-up, reloads and
 *                  errors, no line per DHCP request; bounded (see below)
 *   dnsmasq.log.old  the log's previous content, once it was trimmed
 *
 * DHCP answers only the MACs that have a dhcp-host (the definition's
 * <host>s and the ports the engine writes into dhcp-hosts): every subnet
 * is a static-only dhcp-range and unknown clients are ignored without a
 * word (dhcp-ignore=tag:!known), so a stranger on the bridge gets no
 * address and does not grow the log.  The definition's <range>s are only
 * where IPAM picks the ports' addresses.
 *
 * The log is bounded: at every start and reload, a log larger than
 * VW_DNSMASQ_LOG_MAX has its last VW_DNSMASQ_LOG_MAX bytes moved to
 * dnsmasq.log.old and is emptied in place (dnsmasq appends to the file it
 * holds open, so its next line lands at the start).
 *
 * dnsmasq drops root after start-up (to the user "dnsmasq" when it exists,
 * else its compiled-in default) and re-reads dhcp-hosts as that user on
 * SIGHUP, so the run directory and every directory above it must be
 * searchable by others (e.g. 0755); vw_dnsmasq_write_config() checks it.
 *
 * DNS: dnsmasq never reads /etc/resolv.conf nor /etc/hosts (they describe
 * the host's namespace, whose addresses mean nothing inside the guest
 * network).  With <forwarder>s it forwards to them, in the order given
 * (strict-order), and never forwards plain names or private reverse
 * lookups.  Without forwarders it has no upstream at all: it answers the
 * names it knows (DHCP clients, the domain) and refuses the rest.  The
 * network's own domain is always answered locally (local=/DOMAIN/), and
 * DHCP client names get the domain appended (expand-hosts).
 *
 * dnsmasq daemonises itself (fork, setsid, fork, standard streams on
 * /dev/null) and reports start-up errors through its exit status, which
 * vw_dnsmasq_start() waits for.  It is started with standard input and
 * output on /dev/null, standard error on a private pipe, in a new session:
 * no stream of the starting process ever reaches the daemon, so a caller
 * whose own stdout/stderr are pipes (a libvirt hook) sees them reach EOF as
 * soon as it exits.
 *
 * Both files are replaced atomically (temporary file + rename) but not
 * fsynced: they are runtime state, derived from the definition and the
 * lease database (which are durable) and rewritten whenever the network
 * starts, so a power loss can only take them along with the dnsmasq that
 * read them.  A new port's plug saves two disk flushes this way.
 *
 * Callers serialise the operations on one run directory (the engine holds
 * the network's lock).
 */
#pragma once

#include <glib.h>

#include "vw-netdef.h"

G_BEGIN_DECLS

/**
 * VW_DNSMASQ_ERROR:
 *
 * Error domain of the dnsmasq manager.
 */
#define VW_DNSMASQ_ERROR (vw_dnsmasq_error_quark())
GQuark vw_dnsmasq_error_quark(void);

typedef enum {
    VW_DNSMASQ_ERROR_INVALID,     /* a bad argument: definition, run directory, hosts line */
    VW_DNSMASQ_ERROR_IO,          /* a file of the run directory cannot be read or written */
    VW_DNSMASQ_ERROR_NO_BINARY,   /* no dnsmasq executable found */
    VW_DNSMASQ_ERROR_FAILED,      /* dnsmasq could not be started or stopped */
    VW_DNSMASQ_ERROR_NOT_RUNNING, /* an operation needs a running dnsmasq */
} VwDnsmasqError;

/* File names inside the run directory. */
#define VW_DNSMASQ_CONF_FILE  "dnsmasq.conf"
#define VW_DNSMASQ_HOSTS_FILE "dhcp-hosts"
#define VW_DNSMASQ_PID_FILE   "dnsmasq.pid"
#define VW_DNSMASQ_LEASE_FILE "leases"
#define VW_DNSMASQ_LOG_FILE   "dnsmasq.log"
#define VW_DNSMASQ_LOG_OLD    "dnsmasq.log.old"

/* Size above which the log is emptied at the next start or reload. */
#define VW_DNSMASQ_LOG_MAX (256 * 1024)

/* Lease time handed out to DHCP clients. */
#define VW_DNSMASQ_LEASE_TIME "1h"

/**
 * vw_dnsmasq_config_text:
 * @def: a valid network definition
 * @run_dir: the instance's run directory (an absolute path)
 * @error: (out) (optional): set (VW_DNSMASQ_ERROR_INVALID) when @def is not
 *     valid or @run_dir is not an absolute path of plain characters
 *
 * Build the dnsmasq configuration of @def without touching any file:
 * interface = the bridge (not lo), bind-dynamic, one dhcp-range per
 * <range> (or a static-only range when there are hosts but no range), one
 * dhcp-host per <host>, dhcp-hostsfile, lease file, pid file, log file,
 * dhcp-authoritative, DNS as described at the top of this file; with IPv6,
 * router advertisements (enable-ra) and DHCPv6 for the IPv6 ranges.
 *
 * Returns: (transfer full): the configuration text, or NULL
 */
char *vw_dnsmasq_config_text(const VwNetDef *def, const char *run_dir, GError **error);

/**
 * vw_dnsmasq_write_config:
 * @def: a valid network definition
 * @run_dir: the instance's run directory; created (0755) when missing
 * @error: (out) (optional): set on failure
 *
 * Write @run_dir/dnsmasq.conf atomically (vw_dnsmasq_config_text()) and
 * create an empty @run_dir/dhcp-hosts when it does not exist (an existing
 * one is kept).  Fails, changing nothing, when @run_dir or a directory above
 * it is not searchable by others (dnsmasq re-reads files after dropping
 * root).
 *
 * Returns: TRUE on success
 */
gboolean vw_dnsmasq_write_config(const VwNetDef *def, const char *run_dir, GError **error);

/**
 * vw_dnsmasq_start:
 * @def: a valid network definition; its netns and bridge must exist
 * @run_dir: the instance's run directory
 * @pid: (out) (optional): the daemon's pid
 * @error: (out) (optional): set on failure, with dnsmasq's own message when
 *     it refused to start
 *
 * Write the configuration (vw_dnsmasq_write_config()) and make sure one
 * dnsmasq runs with it inside @def's netns.  Idempotent: a dnsmasq already
 * named by the pid file, started with this run directory's configuration
 * and living in @def's netns (same /proc/PID/ns/net inode as
 * /run/netns/NETNS) is kept when it was started with this very
 * configuration; otherwise it is stopped and a new one started.  The hash of
 * the configuration a dnsmasq was started with travels in its environment
 * (/proc/PID/environ), so a configuration written but never applied (a
 * crash in between) is still noticed.  dnsmasq gets a small fixed
 * environment, none of the caller's.  Returns once the daemon has bound its
 * sockets and written its pid file (bounded by 30 seconds).
 *
 * Returns: TRUE when dnsmasq runs
 */
gboolean vw_dnsmasq_start(const VwNetDef *def, const char *run_dir, GPid *pid, GError **error);

/**
 * vw_dnsmasq_reload:
 * @run_dir: the instance's run directory
 * @error: (out) (optional): set (VW_DNSMASQ_ERROR_NOT_RUNNING) when no
 *     dnsmasq of @run_dir runs
 *
 * Send SIGHUP: dnsmasq re-reads dhcp-hosts (and clears its DNS cache).
 * The signal is asynchronous: dnsmasq handles it the next time its main
 * loop runs, normally well before a guest's next DHCP request.
 *
 * Returns: TRUE when the signal was sent
 */
gboolean vw_dnsmasq_reload(const char *run_dir, GError **error);

/**
 * vw_dnsmasq_set_hosts:
 * @run_dir: the instance's run directory
 * @text: the whole new hosts file: lines "MAC,IP" or "MAC,IP,NAME" (an IPv6
 *     address may be given with or without brackets); empty lines are skipped
 * @error: (out) (optional): set on failure; an invalid line is named and
 *     nothing is changed
 *
 * Validate @text, write it canonically to @run_dir/dhcp-hosts atomically
 * (temporary file in the same directory, fsync, rename, fsync of the
 * directory) and, when a dnsmasq of @run_dir runs, reload it.  When none
 * runs the file is only written (the next start reads it).
 *
 * Returns: TRUE on success
 */
gboolean vw_dnsmasq_set_hosts(const char *run_dir, const char *text, GError **error);

/**
 * vw_dnsmasq_stop:
 * @run_dir: the instance's run directory
 * @error: (out) (optional): set on failure
 *
 * Stop the dnsmasq of @run_dir: SIGTERM, wait up to 5 seconds, then SIGKILL
 * and wait again; then remove the pid file.  No dnsmasq running (no pid
 * file, a stale one, or a pid now used by another program) is success and
 * only the pid file is removed.  The other files stay.
 *
 * Returns: TRUE when no dnsmasq of @run_dir runs any more
 */
gboolean vw_dnsmasq_stop(const char *run_dir, GError **error);

/**
 * vw_dnsmasq_running:
 * @run_dir: the instance's run directory
 *
 * Returns: the pid of the dnsmasq of @run_dir (named by its pid file, alive,
 *     a dnsmasq started with @run_dir's configuration), or 0
 */
GPid vw_dnsmasq_running(const char *run_dir);

/**
 * vw_dnsmasq_in_netns:
 * @pid: a process
 * @netns: a named network namespace
 *
 * Returns: TRUE when @pid lives in @netns (the inode of /proc/@pid/ns/net is
 *     the one bound at /run/netns/@netns)
 */
gboolean vw_dnsmasq_in_netns(GPid pid, const char *netns);

/* ---- what DHCP handed out ---- */

/* One line of dnsmasq's lease file (@run_dir/leases), as dnsmasq wrote it. */
typedef struct {
    gint64 expiry;    /* seconds since the epoch; 0: the lease never expires */
    gboolean ipv6;    /* a DHCPv6 lease (else DHCPv4) */
    guint8 mac[6];    /* valid when has_mac */
    gboolean has_mac; /* IPv4: an Ethernet client; IPv6: a DUID-LL(T) holds it */
    char *address;    /* canonical (inet_ntop) */
    guint prefix;     /* 0 in the file; vw_engine_dhcp_lease_list() gives the network's */
    char *hostname;   /* nullable: the name the client sent */
    char *client_id;  /* nullable: DHCPv4 client id or DHCPv6 DUID, "xx:xx:..." */
    char *iaid;       /* nullable: the DHCPv6 IAID ("T" first for a temporary address) */
} VwDnsmasqLease;

void vw_dnsmasq_lease_free(VwDnsmasqLease *lease);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwDnsmasqLease, vw_dnsmasq_lease_free)

/* The most bytes of a lease file read: dhcp-lease-max is at most 65536
 * leases, and a line (a 255-byte client id in hex) stays under 1 KiB. */
#define VW_DNSMASQ_LEASES_FILE_MAX (65536 * 1024 + 4096)

/**
 * vw_dnsmasq_leases_parse:
 * @text: the content of a dnsmasq lease file (NUL-terminated)
 *
 * Parse dnsmasq's lease file format: "EXPIRY MAC IP HOSTNAME CLIENTID" per
 * DHCPv4 lease, then a "duid SERVER-DUID" line and "EXPIRY IAID IP6
 * HOSTNAME DUID" per DHCPv6 lease ("*" for no host name or client id).  A
 * line that is none of these (garbage, a line cut short by a concurrent
 * rewrite) is skipped, and the others are still read.
 *
 * Returns: (transfer full) (element-type VwDnsmasqLease): the leases, in
 *   file order
 */
GPtrArray *vw_dnsmasq_leases_parse(const char *text);

/**
 * vw_dnsmasq_leases_read:
 * @run_dir: the instance's run directory
 * @error: (out) (optional): set (VW_DNSMASQ_ERROR_IO) naming the file when it
 *     cannot be read (a symbolic link in its path, a file larger than
 *     VW_DNSMASQ_LEASES_FILE_MAX...)
 *
 * Read @run_dir/leases, never following a symbolic link and never more than
 * VW_DNSMASQ_LEASES_FILE_MAX bytes, with vw_dnsmasq_leases_parse().  A
 * missing file (or run directory) means no leases.
 *
 * Returns: (transfer full) (element-type VwDnsmasqLease): the leases, or NULL
 */
GPtrArray *vw_dnsmasq_leases_read(const char *run_dir, GError **error);

G_END_DECLS
