#include <config.h>

/*
 * The bottom of the engine: the engine object, paths and locks, the
 * definitions and runtime state files (network status, port records) and
 * dnsmasq's host list derived from the leases.  Every other engine file
 * builds on this one; it calls none of them (see README.md).
 */

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vw-atomic.h"
#include "vw-dnsmasq.h"
#include "vw-engine-private.h"
#include "vw-fs.h"
#include "vw-ipam.h"
#include "vw-json.h"
#include "vw-names.h"
#include "vw-net-error.h"
#include "vw-util-error.h"

G_DEFINE_QUARK(vw-engine-error-quark, vw_engine_error)

static const char *const fault_steps[] = {
    "network-start:begin",   "network-start:netns",   "network-start:bridge",
    "network-start:addresses", "network-start:uplink", "network-start:nat",
    "network-start:guard",   "network-start:cgroup",  "network-start:dnsmasq",
    "network-start:active",  "network-stop:begin",    "network-stop:dnsmasq",
    "network-stop:nat",      "network-stop:guard",    "network-stop:links",
    "network-stop:netns",    "network-stop:cgroup",   "port-plug:journal",
    "port-plug:lease",       "port-plug:tap",         "port-plug:veth",
    "port-plug:redirect",    "port-plug:guard",       "port-plug:dhcp",
    "port-unplug:journal",   "port-unplug:guard",     "port-unplug:links",
    NULL,
};

const char *const *
vw_engine_fault_steps(void)
{
    return fault_steps;
}

void
engine_keep_first(GError **error, GError *local)
{
    if (!local)
        return;
    if (error && !*error)
        *error = local;
    else
        g_error_free(local);
}

gboolean
engine_path_exists(const char *path)
{
    g_autofree char *base = NULL;
    struct stat st;
    int dfd = vw_fs_open_parent(path, &base);
    int ret, saved;

    if (dfd < 0)
        return errno != ENOENT && errno != ENOTDIR;
    ret = fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW);
    saved = errno;
    close(dfd);
    return ret == 0 || (saved != ENOENT && saved != ENOTDIR);
}

/* ------------------------------------------------------------ object */

VwEngine *
vw_engine_open(const char *root, GError **error)
{
    g_autoptr(VwPaths) paths = vw_paths_new(root, error);
    VwEngine *engine;

    if (!paths || !vw_paths_ensure(paths, error))
        return NULL;
    engine = g_new0(VwEngine, 1);
    engine->paths = g_steal_pointer(&paths);
    g_mutex_init(&engine->lock);
    {
        g_autofree char *sum =
            g_compute_checksum_for_string(G_CHECKSUM_SHA256, engine->paths->root, -1);

        g_strlcpy(engine->root_tag, sum, sizeof(engine->root_tag));
    }
    return engine;
}

const char *
vw_engine_get_root(VwEngine *engine)
{
    g_return_val_if_fail(engine != NULL, NULL);
    return engine->paths->root;
}

void
vw_engine_free(VwEngine *engine)
{
    if (!engine)
        return;
    vw_paths_free(engine->paths);
    vw_cgroup_layout_free(engine->cgroups);
    g_mutex_clear(&engine->lock);
    g_free(engine);
}

const VwCgroupLayout *
engine_cgroups(VwEngine *engine, GError **error)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&engine->lock);

    if (!engine->cgroups)
        engine->cgroups = vw_cgroup_layout_detect(error);
    return engine->cgroups;
}

char *
engine_network_alias(VwEngine *engine, const VwNetDef *def)
{
    return g_strdup_printf(VW_NETWORK_ALIAS_PREFIX "%s:%s:%s", engine->root_tag, def->name,
                           def->uuid);
}

guint32
engine_group(guint index)
{
    return VW_GROUP_BASE + index;
}

/* Transit /30 of the uplink in 169.254.0.0/16: host end .1, netns end .2. */
void
engine_uplink_addrs(guint index, char host[32], char ns[32], gboolean with_prefix)
{
    guint hi = index >> 6, lo = (index & 63) << 2;

    g_snprintf(host, 32, "169.254.%u.%u%s", hi, lo + 1, with_prefix ? "/30" : "");
    g_snprintf(ns, 32, "169.254.%u.%u%s", hi, lo + 2, with_prefix ? "/30" : "");
}

void
engine_uplink_name(const VwNetDef *def, char name[16])
{
    g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, def->uuid, -1);

    g_snprintf(name, 16, "vwu-%.10s", sum);
}

/* ------------------------------------------------------------ paths, locks */

gboolean
engine_name_check(const char *name, GError **error)
{
    if (!name || !*name || strlen(name) > VW_NETDEF_NAME_MAX || name[0] == '.' ||
        name[0] == '-') {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INVALID,
                    _("invalid network name '%s'"), name ? name : "");
        return FALSE;
    }
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.') {
            g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INVALID,
                        _("invalid network name '%s': only letters, digits, '-', '_' and '.' "
                          "are allowed"),
                        name);
            return FALSE;
        }
    }
    return TRUE;
}

char *
engine_net_run_dir(VwEngine *engine, const char *name)
{
    return vw_paths_run_network_dir(engine->paths, name);
}

char *
engine_port_file(VwEngine *engine, const char *network, const char *uuid, const VwMac *mac)
{
    g_autofree char *dir = engine_net_run_dir(engine, network);
    g_autofree char *file = NULL;
    char m[VW_MAC_BUFSIZE];

    g_strdelimit((char *)vw_mac_format(mac, m), ":", '-');
    file = g_strdup_printf("%s_%s.json", uuid, m);
    return g_build_filename(dir, "ports", file, NULL);
}

VwLock *
engine_lock_network(VwEngine *engine, const char *name, GError **error)
{
    g_autofree char *path = vw_paths_network_lock(engine->paths, name);

    return vw_lock_acquire(path, TRUE, VW_LOCK_TIMEOUT_MS, error);
}

VwLock *
engine_lock_global(VwEngine *engine, GError **error)
{
    g_autofree char *path = g_build_filename(engine->paths->lock_dir, ".global.lock", NULL);

    return vw_lock_acquire(path, TRUE, VW_LOCK_TIMEOUT_MS, error);
}

/* ------------------------------------------------------------ definitions */

static VwNetDef *
load_def_file(const char *path, const char *name, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *xml = NULL;
    VwNetDef *def = NULL;
    gsize len = 0;
    /* Never through a symbolic link, never more than the XML limit. */
    int fd = vw_fs_open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);

    if (fd < 0 && errno == ENOENT) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_NOT_FOUND,
                    _("network '%s' is not defined"), name);
        return NULL;
    }
    if (fd < 0) {
        int e = errno;
        g_autofree char *why = vw_fs_strerror(path, e);

        g_set_error_literal(&local, VW_UTIL_ERROR, VW_UTIL_ERROR_IO, why);
    } else {
        xml = vw_fs_read_fd(fd, path, VW_XML_MAX_BYTES, &len, &local);
        close(fd);
    }
    if (xml)
        def = vw_netdef_parse(xml, (gssize)len, &local);
    if (!def) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_CORRUPT,
                    _("cannot read the definition of network '%s' from '%s': %s"), name, path,
                    local->message);
        return NULL;
    }
    if (!g_str_equal(def->name, name)) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_CORRUPT,
                    _("the definition in '%s' names network '%s', not '%s'"), path, def->name,
                    name);
        vw_netdef_free(def);
        return NULL;
    }
    return def;
}

/* @name was checked where it entered (engine_name_check()). */
VwNetDef *
engine_load_def(VwEngine *engine, const char *name, GError **error)
{
    g_autofree char *path = vw_paths_network_file(engine->paths, name);

    return load_def_file(path, name, error);
}

/* The definition an active network was started with. */
VwNetDef *
engine_load_running_def(VwEngine *engine, const char *name, GError **error)
{
    g_autofree char *dir = engine_net_run_dir(engine, name);
    g_autofree char *path = g_build_filename(dir, "network.xml", NULL);

    if (engine_path_exists(path))
        return load_def_file(path, name, error);
    return engine_load_def(engine, name, error);
}

gint
engine_cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
engine_defined_names(VwEngine *engine, GError **error)
{
    g_auto(GStrv) files = vw_fs_dir_list(engine->paths->networks_dir, error);
    g_autoptr(GPtrArray) names = g_ptr_array_new();

    if (!files)
        return NULL;
    for (char **fp = files; *fp; fp++) {
        const char *f = *fp;
        g_autofree char *name = NULL;

        if (!g_str_has_suffix(f, ".xml"))
            continue;
        name = g_strndup(f, strlen(f) - 4);
        if (engine_name_check(name, NULL))
            g_ptr_array_add(names, g_steal_pointer(&name));
    }
    g_ptr_array_sort(names, engine_cmp_names);
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

/* ------------------------------------------------------------ status */

static const char *const net_state_names[] = { "inactive", "starting", "active", "stopping" };

static char *
status_file(VwEngine *engine, const char *name)
{
    g_autofree char *dir = engine_net_run_dir(engine, name);

    return g_build_filename(dir, "status.json", NULL);
}

VwJson *
engine_read_json_object(const char *path, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(VwJson) root = vw_json_parse_file(path, &local);

    if (!root) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_CORRUPT,
                    _("cannot read state file '%s': %s"), path, local->message);
        return NULL;
    }
    if (vw_json_get_type(root) != VW_JSON_OBJECT) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_CORRUPT,
                    _("state file '%s' does not hold a JSON object"), path);
        return NULL;
    }
    return g_steal_pointer(&root);
}

/*
 * Runtime state (RUN/...) is replaced atomically (temporary file + rename),
 * which is what makes the journal safe against a process dying at any
 * point.  It is not fsynced: runtime state describes kernel objects, which
 * a power loss or reboot removes anyway (and /run is a tmpfs on a standard
 * system), while an fsync costs 5-8 ms on this machine kind's disk, several
 * times per plug.  Definitions and leases, which must survive a reboot, are
 * written with vw_file_write_atomic() (fsync of the file and directory).
 */
gboolean
engine_write_runtime(const char *path, const char *text, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);

    return vw_mkdir_p(dir, 0755, error) &&
           vw_file_write_atomic_full(path, text, -1, 0644, VW_ATOMIC_NO_SYNC, error);
}

static gboolean
write_json(const char *path, const VwJson *root, GError **error)
{
    g_autofree char *text = vw_json_to_string(root);

    return engine_write_runtime(path, text, error);
}

static int
lookup_name(const char *const *names, guint n, const char *value)
{
    for (guint i = 0; i < n; i++)
        if (value && g_str_equal(names[i], value))
            return (int)i;
    return -1;
}

gboolean
engine_read_status(VwEngine *engine, const char *name, NetStatus *status, GError **error)
{
    g_autofree char *path = status_file(engine, name);
    g_autoptr(VwJson) obj = NULL;
    int state;

    memset(status, 0, sizeof(*status));
    if (!engine_path_exists(path))
        return TRUE;
    obj = engine_read_json_object(path, error);
    if (!obj)
        return FALSE;
    state = lookup_name(net_state_names, G_N_ELEMENTS(net_state_names),
                        vw_json_object_get_string_member_with_default(obj, "state", NULL));
    status->index = (guint)vw_json_object_get_int_member_with_default(obj, "index", 0);
    if (state <= NET_INACTIVE || status->index < 1 || status->index > VW_INDEX_MAX) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_CORRUPT,
                    _("state file '%s' has no valid state and index"), path);
        return FALSE;
    }
    status->state = (NetState)state;
    return TRUE;
}

gboolean
engine_write_status(VwEngine *engine, const char *name, const NetStatus *status, GError **error)
{
    g_autofree char *path = status_file(engine, name);
    g_autoptr(VwJson) obj = NULL;

    if (status->state == NET_INACTIVE)
        return vw_file_remove(path, error);
    obj = vw_json_new_object();
    vw_json_object_set_string(obj, "state", net_state_names[status->state]);
    vw_json_object_set_int(obj, "index", status->index);
    vw_json_object_set_int(obj, "group", engine_group(status->index));
    return write_json(path, obj, error);
}

gboolean
engine_net_is_active(VwEngine *engine, const char *name)
{
    NetStatus st;

    return engine_read_status(engine, name, &st, NULL) && st.state == NET_ACTIVE;
}

/* ------------------------------------------------------------ port records */

static const char *const port_state_names[] = { "plugging", "plugged", "unplugging" };

const char *
port_state_name(PortState state)
{
    return port_state_names[state];
}

void
port_record_free(PortRecord *rec)
{
    if (!rec)
        return;
    g_free(rec->network);
    g_free(rec->domain_uuid);
    g_free(rec->domain_name);
    g_free(rec->tap);
    g_free(rec->host);
    g_free(rec->peer);
    g_free(rec);
}

PortRecord *
engine_read_port(const char *path, GError **error)
{
    g_autoptr(VwJson) obj = engine_read_json_object(path, error);
    g_autoptr(PortRecord) rec = NULL;
    const char *mac;
    int state;

    if (!obj)
        return NULL;
    rec = g_new0(PortRecord, 1);
#define STR(field)                                                                                 \
    rec->field = g_strdup(vw_json_object_get_string_member_with_default(obj, #field, NULL))
    STR(network);
    STR(domain_uuid);
    STR(domain_name);
    STR(tap);
    STR(host);
    STR(peer);
#undef STR
    mac = vw_json_object_get_string_member_with_default(obj, "mac", NULL);
    rec->queues = (guint)vw_json_object_get_int_member_with_default(obj, "queues", 1);
    rec->owner = vw_json_object_get_int_member_with_default(obj, "owner", -1);
    rec->group = vw_json_object_get_int_member_with_default(obj, "group", -1);
    rec->new_lease = vw_json_object_get_bool_member_with_default(obj, "new_lease", FALSE);
    state = lookup_name(port_state_names, G_N_ELEMENTS(port_state_names),
                        vw_json_object_get_string_member_with_default(obj, "state", NULL));
    /* The record is where a port's identity enters from disk: checked here, once. */
    if (state < 0 || !rec->network || !rec->domain_uuid || !vw_uuid_check(rec->domain_uuid, NULL) ||
        !mac || !vw_mac_parse(mac, rec->mac.b, NULL) || !rec->tap ||
        !rec->host || !rec->peer || !vw_ifname_check(rec->tap, NULL) ||
        !vw_ifname_check(rec->host, NULL) || !vw_ifname_check(rec->peer, NULL)) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_CORRUPT,
                    _("port record '%s' is incomplete"), path);
        return NULL;
    }
    for (char *c = rec->domain_uuid; *c; c++)
        *c = g_ascii_tolower(*c);
    rec->state = (PortState)state;
    return g_steal_pointer(&rec);
}

gboolean
engine_write_port(const char *path, const PortRecord *rec, GError **error)
{
    g_autoptr(VwJson) obj = vw_json_new_object();
    char mac[VW_MAC_BUFSIZE];

#define STR(field) vw_json_object_set_string(obj, #field, rec->field) /* NULL: null */
    vw_json_object_set_string(obj, "state", port_state_names[rec->state]);
    STR(network);
    STR(domain_uuid);
    STR(domain_name);
    vw_json_object_set_string(obj, "mac", vw_mac_format(&rec->mac, mac));
    STR(tap);
    STR(host);
    STR(peer);
#undef STR
    vw_json_object_set_int(obj, "queues", rec->queues);
    vw_json_object_set_int(obj, "owner", rec->owner);
    vw_json_object_set_int(obj, "group", rec->group);
    vw_json_object_set_bool(obj, "new_lease", rec->new_lease);
    return write_json(path, obj, error);
}

static gint
port_record_cmp(gconstpointer a, gconstpointer b)
{
    const PortRecord *x = *(PortRecord *const *)a, *y = *(PortRecord *const *)b;

    return strcmp(x->tap, y->tap);
}

GPtrArray *
engine_read_ports(VwEngine *engine, const char *network, GError **error)
{
    g_autofree char *run = engine_net_run_dir(engine, network);
    g_autofree char *dir_path = g_build_filename(run, "ports", NULL);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)port_record_free);
    g_auto(GStrv) files = vw_fs_dir_list(dir_path, error);

    if (!files)
        return NULL;
    for (char **fp = files; *fp; fp++) {
        const char *f = *fp;
        g_autofree char *path = NULL;
        PortRecord *rec;

        if (!g_str_has_suffix(f, ".json"))
            continue; /* temporary files of an atomic write */
        path = g_build_filename(dir_path, f, NULL);
        rec = engine_read_port(path, error);
        if (!rec)
            return NULL;
        g_ptr_array_add(out, rec);
    }
    g_ptr_array_sort(out, port_record_cmp);
    return g_steal_pointer(&out);
}

/* ------------------------------------------------------------ leases, dnsmasq's hosts */

VwLeaseDb *
engine_load_leases(VwEngine *engine, const VwNetDef *def, GError **error)
{
    g_autofree char *path = vw_paths_leases_file(engine->paths, def->name);

    return vw_lease_db_load(path, def, error);
}

gboolean
engine_update_dhcp_hosts(VwEngine *engine, const VwNetDef *def, VwLeaseDb *db, GError **error)
{
    g_autofree char *run_dir = engine_net_run_dir(engine, def->name);
    g_autoptr(VwLeaseDb) loaded = NULL;
    g_autofree char *text = NULL;

    if (!def->ipv4 && !def->ipv6)
        return TRUE;
    if (!db) {
        db = loaded = engine_load_leases(engine, def, error);
        if (!db)
            return FALSE;
    }
    text = vw_lease_db_format_dnsmasq_hosts(db);
    return vw_dnsmasq_set_hosts(run_dir, text, error);
}
