#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "vw-atomic.h"
#include "vw-fs.h"
#include "vw-ipam.h"
#include "vw-json.h"
#include "vw-names.h"
#include "vw-util-error.h"

/* clang-format would put spaces into the quark's name. */
/* clang-format off */
G_DEFINE_QUARK(vw-ipam-error-quark, vw_ipam_error)
/* clang-format on */

G_STATIC_ASSERT(VW_LEASE_DB_MAX_SIZE == VW_JSON_MAX_SIZE);

#define VW_LEASE_FILE_MODE 0644
#define VW_DNS_LABEL_MAX   63

/* An address of either family in network byte order; IPv4 uses the first 4 bytes. */
typedef struct {
    guint8 b[16];
} VwIpamAddr;

typedef struct {
    VwIpamAddr start;
    VwIpamAddr end;
} VwIpamRange;

/* A <dhcp><host> entry. */
typedef struct {
    char *mac; /* canonical */
    char *ip;  /* canonical */
    char *name;
    VwIpamAddr addr;
} VwIpamHost;

/* What one address family of the definition allows, and who holds what. */
typedef struct {
    int family;           /* AF_INET or AF_INET6 */
    gsize len;            /* 4 or 16 */
    const char *kind;     /* "IPv4" or "IPv6" */
    gboolean present;     /* the definition has an <ip> of this family */
    VwIpamAddr gateway;   /* when present */
    VwIpamAddr network;   /* when present */
    VwIpamAddr broadcast; /* when present and has_broadcast */
    gboolean has_network, has_broadcast;
    GArray *ranges;           /* VwIpamRange, sorted by start */
    GPtrArray *hosts;         /* VwIpamHost*, owned */
    GHashTable *host_by_mac;  /* mac -> VwIpamHost* */
    GHashTable *host_by_addr; /* VwIpamAddr* -> VwIpamHost* */
    GHashTable *leased;       /* VwIpamAddr* (in the entry) -> VwLeaseEntry*: addresses held */
} VwIpamPool;

struct _VwLeaseDb {
    char *path;
    char *network;
    VwIpamPool v4;
    VwIpamPool v6;
    GHashTable *leases; /* "uuid/mac" (owned) -> VwLeaseEntry* (owned) */
    GHashTable *by_mac; /* lease->mac -> VwLeaseEntry* */
    gboolean dirty;     /* differs from the file (or the file is missing) */
};

/* ---- addresses ---------------------------------------------------------- */

static gboolean
vw_ipam_addr_parse(const VwIpamPool *pool, const char *text, VwIpamAddr *out)
{
    VwIpamAddr addr = { { 0 } };

    if (!text || inet_pton(pool->family, text, addr.b) != 1)
        return FALSE;
    *out = addr;
    return TRUE;
}

static char *
vw_ipam_addr_to_string(const VwIpamPool *pool, const VwIpamAddr *addr)
{
    char buf[INET6_ADDRSTRLEN];

    if (!inet_ntop(pool->family, addr->b, buf, sizeof(buf)))
        g_assert_not_reached();
    return g_strdup(buf);
}

/* @text in canonical form, and in binary in @addr. */
static char *
vw_ipam_canonical(const VwIpamPool *pool, const char *text, VwIpamAddr *addr)
{
    if (!vw_ipam_addr_parse(pool, text, addr))
        return NULL;
    /* inet_pton() takes dotted decimal only, with four parts and no leading
     * zeros: what it accepts is what inet_ntop() writes (which formats with
     * printf: the lease database canonicalises every address it loads). */
    if (pool->family == AF_INET)
        return g_strdup(text);
    return vw_ipam_addr_to_string(pool, addr);
}

static int
vw_ipam_addr_cmp(const VwIpamPool *pool, const VwIpamAddr *a, const VwIpamAddr *b)
{
    return memcmp(a->b, b->b, pool->len);
}

/* @addr + 1, as a big-endian number of pool->len bytes (128-bit safe). */
static void
vw_ipam_addr_next(const VwIpamPool *pool, VwIpamAddr *addr)
{
    for (gsize i = pool->len; i > 0; i--) {
        if (++addr->b[i - 1] != 0)
            return;
    }
}

static guint
vw_ipam_addr_hash(gconstpointer key)
{
    const VwIpamAddr *addr = key;
    guint h = 5381;

    for (gsize i = 0; i < sizeof(addr->b); i++)
        h = h * 33 + addr->b[i];
    return h;
}

static gboolean
vw_ipam_addr_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(VwIpamAddr)) == 0;
}

/* ---- pools (what the definition allows) --------------------------------- */

static void
vw_ipam_host_free(VwIpamHost *host)
{
    if (!host)
        return;
    g_free(host->mac);
    g_free(host->ip);
    g_free(host->name);
    g_free(host);
}

static void
vw_ipam_pool_init(VwIpamPool *pool, int family)
{
    memset(pool, 0, sizeof(*pool));
    pool->family = family;
    pool->len = family == AF_INET ? 4 : 16;
    pool->kind = family == AF_INET ? "IPv4" : "IPv6";
    pool->ranges = g_array_new(FALSE, FALSE, sizeof(VwIpamRange));
    pool->hosts = g_ptr_array_new_with_free_func((GDestroyNotify)vw_ipam_host_free);
    pool->host_by_mac = g_hash_table_new(g_str_hash, g_str_equal);
    pool->host_by_addr = g_hash_table_new(vw_ipam_addr_hash, vw_ipam_addr_equal);
    pool->leased = g_hash_table_new(vw_ipam_addr_hash, vw_ipam_addr_equal);
}

static void
vw_ipam_pool_clear(VwIpamPool *pool)
{
    g_clear_pointer(&pool->ranges, g_array_unref);
    g_clear_pointer(&pool->host_by_mac, g_hash_table_unref);
    g_clear_pointer(&pool->host_by_addr, g_hash_table_unref);
    g_clear_pointer(&pool->hosts, g_ptr_array_unref);
    g_clear_pointer(&pool->leased, g_hash_table_unref);
}

static int
vw_ipam_range_cmp(gconstpointer pa, gconstpointer pb)
{
    /* Both ranges are of one family; comparing all 16 bytes is right for
     * IPv4 too, the unused bytes being zero. */
    return memcmp(((const VwIpamRange *)pa)->start.b, ((const VwIpamRange *)pb)->start.b, 16);
}

static gboolean
vw_ipam_def_invalid(GError **error, const char *network, const char *kind, const char *value)
{
    g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID,
                _("invalid definition of network '%s': bad %s address '%s'"), network, kind,
                value ? value : "");
    return FALSE;
}

/* Fill @pool from the <ip> @ip of network @network (NULL: the family is absent). */
static gboolean
vw_ipam_pool_load_def(VwIpamPool *pool, const VwIpDef *ip, const char *network, GError **error)
{
    if (!ip)
        return TRUE;
    if (!vw_ipam_addr_parse(pool, ip->address, &pool->gateway))
        return vw_ipam_def_invalid(error, network, pool->kind, ip->address);
    pool->present = TRUE;

    /* The subnet's network address (and IPv4 broadcast) are never handed out,
     * except for /31, /32, /127, /128 which have none (RFC 3021, RFC 6164). */
    if (ip->prefix + 2 <= pool->len * 8) {
        pool->has_network = TRUE;
        pool->has_broadcast = pool->family == AF_INET;
        for (gsize i = 0; i < pool->len; i++) {
            guint first_bit = (guint)i * 8;
            guint8 mask;

            if (ip->prefix >= first_bit + 8)
                mask = 0xff;
            else if (ip->prefix <= first_bit)
                mask = 0;
            else
                mask = (guint8)(0xff << (8 - (ip->prefix - first_bit)));
            pool->network.b[i] = pool->gateway.b[i] & mask;
            pool->broadcast.b[i] = (guint8)(pool->gateway.b[i] | (guint8)~mask);
        }
    }

    for (guint i = 0; ip->ranges && i < ip->ranges->len; i++) {
        const VwDhcpRange *r = g_ptr_array_index(ip->ranges, i);
        VwIpamRange range;

        if (!vw_ipam_addr_parse(pool, r->start, &range.start))
            return vw_ipam_def_invalid(error, network, pool->kind, r->start);
        if (!vw_ipam_addr_parse(pool, r->end, &range.end))
            return vw_ipam_def_invalid(error, network, pool->kind, r->end);
        if (vw_ipam_addr_cmp(pool, &range.start, &range.end) > 0) {
            g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID,
                        _("invalid definition of network '%s': DHCP range '%s'-'%s' starts after "
                          "it ends"),
                        network, r->start, r->end);
            return FALSE;
        }
        g_array_append_val(pool->ranges, range);
    }
    g_array_sort(pool->ranges, vw_ipam_range_cmp);

    for (guint i = 0; ip->hosts && i < ip->hosts->len; i++) {
        const VwDhcpHost *h = g_ptr_array_index(ip->hosts, i);
        VwIpamHost *host = g_new0(VwIpamHost, 1);

        g_ptr_array_add(pool->hosts, host);
        host->mac = h->mac ? vw_mac_canonical(h->mac) : NULL;
        if (!host->mac) {
            g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID,
                        _("invalid definition of network '%s': bad MAC address '%s' in <host>"),
                        network, h->mac ? h->mac : "");
            return FALSE;
        }
        if (!vw_ipam_addr_parse(pool, h->ip, &host->addr))
            return vw_ipam_def_invalid(error, network, pool->kind, h->ip);
        host->ip = vw_ipam_addr_to_string(pool, &host->addr);
        host->name = g_strdup(h->name);
        /* The definition was validated: MACs and addresses are unique. */
        g_hash_table_insert(pool->host_by_mac, host->mac, host);
        g_hash_table_insert(pool->host_by_addr, &host->addr, host);
    }
    return TRUE;
}

/* May @addr be handed out dynamically (to anybody but its holder)? */
static gboolean
vw_ipam_addr_is_pool_address(const VwIpamPool *pool, const VwIpamAddr *addr)
{
    gboolean in_range = FALSE;

    for (guint i = 0; i < pool->ranges->len && !in_range; i++) {
        const VwIpamRange *r = &g_array_index(pool->ranges, VwIpamRange, i);

        in_range = vw_ipam_addr_cmp(pool, addr, &r->start) >= 0 &&
                   vw_ipam_addr_cmp(pool, addr, &r->end) <= 0;
    }
    if (!in_range)
        return FALSE;
    if (vw_ipam_addr_cmp(pool, addr, &pool->gateway) == 0)
        return FALSE;
    if (pool->has_network && vw_ipam_addr_cmp(pool, addr, &pool->network) == 0)
        return FALSE;
    if (pool->has_broadcast && vw_ipam_addr_cmp(pool, addr, &pool->broadcast) == 0)
        return FALSE;
    return !g_hash_table_contains(pool->host_by_addr, addr);
}

/*
 * The lowest address of the ranges that may be handed out and that no lease
 * holds.  Every address tried and refused is the gateway, a reserved
 * address, a <host> address or a leased one, so the loop runs at most
 * (those + number of ranges) times, whatever the size of the ranges.
 */
static gboolean
vw_ipam_pool_allocate(const VwIpamPool *pool, VwIpamAddr *out)
{
    for (guint i = 0; i < pool->ranges->len; i++) {
        const VwIpamRange *r = &g_array_index(pool->ranges, VwIpamRange, i);
        VwIpamAddr addr = r->start;

        for (;;) {
            if (vw_ipam_addr_is_pool_address(pool, &addr) &&
                !g_hash_table_contains(pool->leased, &addr)) {
                *out = addr;
                return TRUE;
            }
            if (vw_ipam_addr_cmp(pool, &addr, &r->end) == 0)
                break;
            vw_ipam_addr_next(pool, &addr);
        }
    }
    return FALSE;
}

/* ---- leases --------------------------------------------------------------- */

/* A lease with its addresses in binary (for the indexes and for sorting).
 * pub comes first: a VwLeaseEntry* is handed out as a const VwLeaseRecord*. */
typedef struct {
    VwLeaseRecord pub;
    VwIpamAddr addr4; /* valid when pub.ipv4 is set */
    VwIpamAddr addr6; /* valid when pub.ipv6 is set */
} VwLeaseEntry;

static void
vw_lease_free(VwLeaseRecord *lease)
{
    if (!lease)
        return;
    g_free(lease->domain_uuid);
    g_free(lease->domain_name);
    g_free(lease->mac);
    g_free(lease->ipv4);
    g_free(lease->ipv6);
    g_free(lease->hostname);
    g_free(lease);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwLeaseRecord, vw_lease_free)

static char *
vw_lease_key(const char *uuid, const char *mac)
{
    return g_strconcat(uuid, "/", mac, NULL);
}

static VwLeaseRecord *
vw_lease_new(void)
{
    VwLeaseEntry *entry = g_new0(VwLeaseEntry, 1);

    return &entry->pub;
}

static char **
vw_lease_addr_slot(VwLeaseRecord *lease, const VwIpamPool *pool)
{
    return pool->family == AF_INET ? &lease->ipv4 : &lease->ipv6;
}

static VwIpamAddr *
vw_lease_addr_bin(VwLeaseRecord *lease, const VwIpamPool *pool)
{
    VwLeaseEntry *entry = (VwLeaseEntry *)lease;

    return pool->family == AF_INET ? &entry->addr4 : &entry->addr6;
}

/* Set the @pool family address of @lease to @text (a canonical address, or
 * NULL for none), keeping the index of leased addresses right. */
static void
vw_lease_set_addr(VwIpamPool *pool, VwLeaseRecord *lease, const char *text)
{
    char **slot = vw_lease_addr_slot(lease, pool);
    VwIpamAddr *bin = vw_lease_addr_bin(lease, pool);

    if (*slot && g_hash_table_lookup(pool->leased, bin) == lease)
        g_hash_table_remove(pool->leased, bin);
    g_free(*slot);
    *slot = NULL;
    memset(bin, 0, sizeof(*bin));
    if (text && vw_ipam_addr_parse(pool, text, bin)) {
        *slot = g_strdup(text);
        g_hash_table_insert(pool->leased, bin, lease);
    }
}

static void
vw_lease_db_index_remove(VwLeaseDb *db, VwLeaseRecord *lease)
{
    vw_lease_set_addr(&db->v4, lease, NULL);
    vw_lease_set_addr(&db->v6, lease, NULL);
    if (g_hash_table_lookup(db->by_mac, lease->mac) == lease)
        g_hash_table_remove(db->by_mac, lease->mac);
}

char *
vw_hostname_from_domain_name(const char *name)
{
    GString *label;
    gboolean dash = FALSE;

    if (!name)
        return NULL;
    label = g_string_new(NULL);
    for (const char *p = name; *p && label->len < VW_DNS_LABEL_MAX; p++) {
        if (g_ascii_isalnum(*p)) {
            if (dash && label->len > 0)
                g_string_append_c(label, '-');
            dash = FALSE;
            if (label->len < VW_DNS_LABEL_MAX)
                g_string_append_c(label, g_ascii_tolower(*p));
        } else {
            dash = TRUE;
        }
    }
    while (label->len > 0 && label->str[label->len - 1] == '-')
        g_string_truncate(label, label->len - 1);
    if (label->len == 0) {
        g_string_free(label, TRUE);
        return NULL;
    }
    return g_string_free(label, FALSE);
}

static gboolean
vw_hostname_is_label(const char *name)
{
    gsize len = strlen(name);

    if (len == 0 || len > VW_DNS_LABEL_MAX || name[0] == '-' || name[len - 1] == '-')
        return FALSE;
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-')
            return FALSE;
    }
    return TRUE;
}

/* ---- the database -------------------------------------------------------- */

static VwLeaseDb *
vw_lease_db_new(const char *path, const char *network)
{
    VwLeaseDb *db = g_new0(VwLeaseDb, 1);

    db->path = g_strdup(path);
    db->network = g_strdup(network);
    vw_ipam_pool_init(&db->v4, AF_INET);
    vw_ipam_pool_init(&db->v6, AF_INET6);
    db->leases =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)vw_lease_free);
    db->by_mac = g_hash_table_new(g_str_hash, g_str_equal);
    return db;
}

void
vw_lease_db_free(VwLeaseDb *db)
{
    if (!db)
        return;
    /* The indexes point into the leases: drop them first. */
    vw_ipam_pool_clear(&db->v4);
    vw_ipam_pool_clear(&db->v6);
    g_clear_pointer(&db->by_mac, g_hash_table_unref);
    g_clear_pointer(&db->leases, g_hash_table_unref);
    g_free(db->path);
    g_free(db->network);
    g_free(db);
}

const char *
vw_lease_db_get_path(VwLeaseDb *db)
{
    g_return_val_if_fail(db != NULL, NULL);
    return db->path;
}

G_GNUC_PRINTF(3, 4)
static gboolean
vw_lease_db_corrupt(GError **error, const char *path, const char *format, ...)
{
    g_autofree char *detail = NULL;
    va_list ap;

    va_start(ap, format);
    detail = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_CORRUPT,
                _("lease database '%s' is corrupt: %s"), path, detail);
    return FALSE;
}

/* Member @name of @obj as a string: TRUE with *out = NULL when absent or
 * null, FALSE when it holds anything but a string. */
static gboolean
vw_lease_member_string(const VwJson *obj, const char *name, const char **out)
{
    const VwJson *node = vw_json_object_get(obj, name);

    *out = NULL;
    if (!node || vw_json_get_type(node) == VW_JSON_NULL)
        return TRUE;
    if (vw_json_get_type(node) != VW_JSON_STRING)
        return FALSE;
    *out = vw_json_get_string(node);
    return TRUE;
}

/* The same for an integer (a number with a fraction or exponent is not one). */
static gboolean
vw_lease_member_int(const VwJson *obj, const char *name, gint64 *out)
{
    const VwJson *node = vw_json_object_get(obj, name);

    *out = 0;
    if (!node || vw_json_get_type(node) == VW_JSON_NULL)
        return TRUE;
    if (vw_json_get_type(node) != VW_JSON_INT)
        return FALSE;
    *out = vw_json_get_int(node);
    return TRUE;
}

/* The same for a boolean. */
static gboolean
vw_lease_member_bool(const VwJson *obj, const char *name, gboolean *out)
{
    const VwJson *node = vw_json_object_get(obj, name);

    *out = FALSE;
    if (!node || vw_json_get_type(node) == VW_JSON_NULL)
        return TRUE;
    if (vw_json_get_type(node) != VW_JSON_BOOL)
        return FALSE;
    *out = vw_json_get_bool(node);
    return TRUE;
}

/* The members of one lease as read from the file, before any check. */
typedef struct {
    const char *uuid, *name, *mac, *ipv4, *ipv6, *hostname;
    gboolean is_static;
    gint64 created, updated;
} VwLeaseFields;

/* Check lease number @i, read from the file, and add it to @db. */
static gboolean
vw_lease_db_add_fields(VwLeaseDb *db, const VwLeaseFields *in, guint i, GError **error)
{
    g_autoptr(VwLeaseRecord) lease = vw_lease_new();
    g_autofree char *key = NULL;
    VwLeaseRecord *owner;

    if (!in->uuid || !vw_uuid_check(in->uuid, NULL))
        return vw_lease_db_corrupt(error, db->path, _("lease %u has no valid '%s'"), i,
                                   "domain-uuid");
    if (!in->mac || !(lease->mac = vw_mac_canonical(in->mac)))
        return vw_lease_db_corrupt(error, db->path, _("lease %u has no valid '%s'"), i, "mac");
    lease->domain_uuid = g_ascii_strdown(in->uuid, -1);
    lease->domain_name = g_strdup(in->name);
    if (in->ipv4 && !(lease->ipv4 = vw_ipam_canonical(&db->v4, in->ipv4,
                                                       vw_lease_addr_bin(lease, &db->v4))))
        return vw_lease_db_corrupt(error, db->path, _("lease %u has an invalid '%s'"), i, "ipv4");
    if (in->ipv6 && !(lease->ipv6 = vw_ipam_canonical(&db->v6, in->ipv6,
                                                       vw_lease_addr_bin(lease, &db->v6))))
        return vw_lease_db_corrupt(error, db->path, _("lease %u has an invalid '%s'"), i, "ipv6");
    if (in->hostname && !vw_hostname_is_label(in->hostname))
        return vw_lease_db_corrupt(error, db->path, _("lease %u has an invalid '%s'"), i,
                                   "hostname");
    lease->hostname = g_strdup(in->hostname);
    lease->is_static = in->is_static;
    if (in->created < 0)
        return vw_lease_db_corrupt(error, db->path, _("lease %u has an invalid '%s'"), i,
                                   "created");
    if (in->updated < 0)
        return vw_lease_db_corrupt(error, db->path, _("lease %u has an invalid '%s'"), i,
                                   "updated");
    lease->created = in->created;
    lease->updated = in->updated;

    /* The invariants vw_lease_db_acquire() keeps: one lease per (UUID, MAC),
     * one domain per MAC, one lease per address. */
    key = vw_lease_key(lease->domain_uuid, lease->mac);
    if (g_hash_table_contains(db->leases, key))
        return vw_lease_db_corrupt(error, db->path,
                                   _("lease %u repeats domain '%s' and MAC address '%s'"), i,
                                   lease->domain_uuid, lease->mac);
    owner = g_hash_table_lookup(db->by_mac, lease->mac);
    if (owner)
        return vw_lease_db_corrupt(error, db->path,
                                   _("lease %u gives MAC address '%s' to domains '%s' and '%s'"), i,
                                   lease->mac, owner->domain_uuid, lease->domain_uuid);
    for (int f = 0; f < 2; f++) {
        VwIpamPool *pool = f == 0 ? &db->v4 : &db->v6;
        const char *text = *vw_lease_addr_slot(lease, pool);
        VwIpamAddr *bin = vw_lease_addr_bin(lease, pool);

        if (!text)
            continue;
        owner = g_hash_table_lookup(pool->leased, bin);
        if (owner)
            return vw_lease_db_corrupt(error, db->path,
                                       _("lease %u gives address '%s' to MAC addresses '%s' and "
                                         "'%s'"),
                                       i, text, owner->mac, lease->mac);
    }
    for (int f = 0; f < 2; f++) {
        VwIpamPool *pool = f == 0 ? &db->v4 : &db->v6;

        if (*vw_lease_addr_slot(lease, pool))
            g_hash_table_insert(pool->leased, vw_lease_addr_bin(lease, pool), lease);
    }
    g_hash_table_insert(db->by_mac, lease->mac, lease);
    g_hash_table_insert(db->leases, g_steal_pointer(&key), g_steal_pointer(&lease));
    return TRUE;
}

/* The members of lease number @i of a file parsed by vw_json_parse(); the
 * strings stay owned by @obj. */
static gboolean
vw_lease_fields_from_json(const char *path, const VwJson *obj, guint i, VwLeaseFields *out,
                          GError **error)
{
    if (vw_json_get_type(obj) != VW_JSON_OBJECT)
        return vw_lease_db_corrupt(error, path, _("lease %u is not an object"), i);
    if (!vw_lease_member_string(obj, "domain-uuid", &out->uuid))
        return vw_lease_db_corrupt(error, path, _("lease %u has no valid '%s'"), i, "domain-uuid");
    if (!vw_lease_member_string(obj, "mac", &out->mac))
        return vw_lease_db_corrupt(error, path, _("lease %u has no valid '%s'"), i, "mac");
    if (!vw_lease_member_string(obj, "domain-name", &out->name))
        return vw_lease_db_corrupt(error, path, _("lease %u has an invalid '%s'"), i,
                                   "domain-name");
    if (!vw_lease_member_string(obj, "ipv4", &out->ipv4))
        return vw_lease_db_corrupt(error, path, _("lease %u has an invalid '%s'"), i, "ipv4");
    if (!vw_lease_member_string(obj, "ipv6", &out->ipv6))
        return vw_lease_db_corrupt(error, path, _("lease %u has an invalid '%s'"), i, "ipv6");
    if (!vw_lease_member_string(obj, "hostname", &out->hostname))
        return vw_lease_db_corrupt(error, path, _("lease %u has an invalid '%s'"), i, "hostname");
    if (!vw_lease_member_bool(obj, "static", &out->is_static))
        return vw_lease_db_corrupt(error, path, _("lease %u has an invalid '%s'"), i, "static");
    if (!vw_lease_member_int(obj, "created", &out->created))
        return vw_lease_db_corrupt(error, path, _("lease %u has an invalid '%s'"), i, "created");
    if (!vw_lease_member_int(obj, "updated", &out->updated))
        return vw_lease_db_corrupt(error, path, _("lease %u has an invalid '%s'"), i, "updated");
    return TRUE;
}

/*
 * The fast reader.  The lease file is read on every plug, so the exact
 * layout vw_lease_db_save() writes is read here by a strict scanner that
 * fills VwLeaseFields in place, without building a tree.  Anything else (a
 * file edited by hand, another layout, the least doubt) makes it give up,
 * and the file goes to the general JSON parser (vw_json_parse()), which
 * stays the judge of what is valid.
 */
typedef struct {
    char *p;   /* read position */
    char *end; /* end of the text */
} VwScan;

static gboolean
vw_scan_literal(VwScan *s, const char *lit)
{
    gsize n = strlen(lit);

    if ((gsize)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return FALSE;
    s->p += n;
    return TRUE;
}

/* A string as vw_json_append_string() writes it, unescaped in place (the
 * text only shrinks), or null when @nullable. */
static gboolean
vw_scan_string(VwScan *s, gboolean nullable, const char **out)
{
    char *start, *w;

    if (nullable && vw_scan_literal(s, "null")) {
        *out = NULL;
        return TRUE;
    }
    if (!vw_scan_literal(s, "\""))
        return FALSE;
    start = w = s->p;
    for (;;) {
        guchar c;

        if (s->p >= s->end)
            return FALSE;
        c = (guchar)*s->p++;
        if (c == '"')
            break;
        if (c < 0x20)
            return FALSE;
        if (c == '\\') {
            if (s->p >= s->end)
                return FALSE;
            c = (guchar)*s->p++;
            if (c == 'u') {
                int v = 0;

                if (s->end - s->p < 4)
                    return FALSE;
                for (int k = 0; k < 4; k++) {
                    if (!g_ascii_isxdigit(s->p[k]))
                        return FALSE;
                    v = v * 16 + g_ascii_xdigit_value(s->p[k]);
                }
                /* Only what the writer escapes; anything else goes to vw_json_parse(). */
                if (v == 0 || (v >= 0x20 && v != 0x7f))
                    return FALSE;
                s->p += 4;
                c = (guchar)v;
            } else {
                /* The short escapes vw_json_append_string() writes. */
                static const char from[] = "\"\\bfnrt", to[] = "\"\\\b\f\n\r\t";
                const char *at = c ? strchr(from, (char)c) : NULL;

                if (!at)
                    return FALSE;
                c = (guchar)to[at - from];
            }
        }
        *w++ = (char)c;
    }
    *w = '\0'; /* w < s->p: the closing quote is already read */
    if (!g_utf8_validate(start, w - start, NULL))
        return FALSE;
    *out = start;
    return TRUE;
}

static gboolean
vw_scan_int(VwScan *s, gint64 *out)
{
    guint64 v = 0;
    gboolean neg = vw_scan_literal(s, "-");
    char *digits = s->p;

    while (s->p < s->end && g_ascii_isdigit(*s->p)) {
        if (v > (guint64)G_MAXINT64 / 10)
            return FALSE;
        v = v * 10 + (guint64)(*s->p++ - '0');
    }
    if (s->p == digits || v > (guint64)G_MAXINT64 || (s->p - digits > 1 && *digits == '0'))
        return FALSE;
    *out = neg ? -(gint64)v : (gint64)v;
    return TRUE;
}

static gboolean
vw_scan_lease(VwScan *s, VwLeaseFields *out)
{
    return vw_scan_literal(s, "{\"domain-uuid\": ") && vw_scan_string(s, FALSE, &out->uuid) &&
           vw_scan_literal(s, ", \"domain-name\": ") && vw_scan_string(s, TRUE, &out->name) &&
           vw_scan_literal(s, ", \"mac\": ") && vw_scan_string(s, FALSE, &out->mac) &&
           vw_scan_literal(s, ", \"ipv4\": ") && vw_scan_string(s, TRUE, &out->ipv4) &&
           vw_scan_literal(s, ", \"ipv6\": ") && vw_scan_string(s, TRUE, &out->ipv6) &&
           vw_scan_literal(s, ", \"hostname\": ") && vw_scan_string(s, TRUE, &out->hostname) &&
           vw_scan_literal(s, ", \"static\": ") &&
           ((out->is_static = vw_scan_literal(s, "true")) || vw_scan_literal(s, "false")) &&
           vw_scan_literal(s, ", \"created\": ") && vw_scan_int(s, &out->created) &&
           vw_scan_literal(s, ", \"updated\": ") && vw_scan_int(s, &out->updated) &&
           vw_scan_literal(s, "}");
}

/* Read @text (@len bytes, modified in place) laid out as vw_lease_db_save()
 * writes it into @fields (VwLeaseFields pointing into @text).  FALSE when
 * the text is laid out in any other way. */
static gboolean
vw_lease_db_scan(char *text, gsize len, GArray *fields)
{
    VwScan s = { text, text + len };
    const char *network;

    if (!vw_scan_literal(&s, "{\"version\": " G_STRINGIFY(VW_LEASE_DB_VERSION) ", \"network\": ") ||
        !vw_scan_string(&s, TRUE, &network) || !vw_scan_literal(&s, ", \"leases\": ["))
        return FALSE;
    if (vw_scan_literal(&s, "\n")) {
        do {
            VwLeaseFields f = { 0 };

            if (!vw_scan_lease(&s, &f))
                return FALSE;
            g_array_append_val(fields, f);
        } while (vw_scan_literal(&s, ",\n"));
        if (!vw_scan_literal(&s, "\n"))
            return FALSE;
    }
    return vw_scan_literal(&s, "]}\n") && s.p == s.end;
}

/* An empty database for @def's pools (its ranges and <host> entries). */
static VwLeaseDb *
vw_lease_db_for_def(const char *path, const VwNetDef *def, GError **error)
{
    g_autoptr(VwLeaseDb) db = vw_lease_db_new(path, def->name);

    if (!vw_ipam_pool_load_def(&db->v4, def->ipv4, def->name, error) ||
        !vw_ipam_pool_load_def(&db->v6, def->ipv6, def->name, error))
        return NULL;
    return g_steal_pointer(&db);
}

/* Read the lease file @path whole, following no symbolic link (in any
 * component of @path) and never more than VW_LEASE_DB_MAX_SIZE bytes of it.
 * A missing file sets *@missing (when given) and returns NULL without an
 * error; with @missing NULL it is an error like any other. */
static char *
vw_lease_db_read(const char *path, gsize *len, gboolean *missing, GError **error)
{
    g_autoptr(GError) local = NULL;
    char *data;
    int fd;

    if (missing)
        *missing = FALSE;
    fd = vw_fs_open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
    if (fd < 0) {
        int saved = errno;
        g_autofree char *why = NULL;

        if (saved == ENOENT && missing) {
            *missing = TRUE;
            return NULL;
        }
        why = vw_fs_strerror(path, saved);
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO,
                    _("cannot read lease database '%s': %s"), path, why);
        return NULL;
    }
    data = vw_fs_read_fd(fd, path, VW_LEASE_DB_MAX_SIZE, len, &local);
    close(fd);
    if (!data) {
        if (g_error_matches(local, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID))
            g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO,
                        _("cannot read lease database '%s': it is larger than the limit of %lu "
                          "bytes"),
                        path, (unsigned long)VW_LEASE_DB_MAX_SIZE);
        else
            g_propagate_error(error, g_steal_pointer(&local));
    }
    return data;
}

/* The leases of a lease file as read, before any check: @fields point into
 * @data (the scan's text) or @root (the parser's tree). */
typedef struct {
    char *data;
    VwJson *root;
    GArray *fields; /* VwLeaseFields */
} VwLeaseText;

static void
vw_lease_text_clear(VwLeaseText *text)
{
    g_clear_pointer(&text->data, g_free);
    g_clear_pointer(&text->root, vw_json_free);
    g_clear_pointer(&text->fields, g_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VwLeaseText, vw_lease_text_clear)

/*
 * The one reader of the lease file: read @path (vw_lease_db_read()) into
 * @out.  The layout vw_lease_db_save() writes needs no tree: the scan works
 * in place.  When it gives up, the file is read again for vw_json_parse(),
 * which stays the judge of what is valid (the caller holds the network's
 * lock: the file has not changed).  A missing file sets *@missing as
 * vw_lease_db_read() does.
 */
static gboolean
vw_lease_file_read(const char *path, gboolean *missing, VwLeaseText *out, GError **error)
{
    g_autoptr(GError) local = NULL;
    const VwJson *leases;
    gint64 version = 0;
    gsize len = 0;

    out->fields = g_array_new(FALSE, FALSE, sizeof(VwLeaseFields));
    out->data = vw_lease_db_read(path, &len, missing, error);
    if (!out->data)
        return FALSE;
    if (vw_lease_db_scan(out->data, len, out->fields))
        return TRUE;

    g_array_set_size(out->fields, 0);
    g_clear_pointer(&out->data, g_free);
    out->data = vw_lease_db_read(path, &len, NULL, error);
    if (!out->data)
        return FALSE;
    out->root = vw_json_parse(out->data, (gssize)len, path, &local);
    g_clear_pointer(&out->data, g_free);
    if (!out->root)
        return vw_lease_db_corrupt(error, path, "%s", local->message);
    if (vw_json_get_type(out->root) != VW_JSON_OBJECT)
        return vw_lease_db_corrupt(error, path, _("the top level is not an object"));
    if (!vw_lease_member_int(out->root, "version", &version) || version != VW_LEASE_DB_VERSION)
        return vw_lease_db_corrupt(error, path, _("unsupported format version (expected %d)"),
                                   VW_LEASE_DB_VERSION);
    leases = vw_json_object_get(out->root, "leases");
    if (!leases || vw_json_get_type(leases) != VW_JSON_ARRAY)
        return vw_lease_db_corrupt(error, path, _("'%s' is missing or not an array"), "leases");
    for (guint i = 0; i < vw_json_array_get_length(leases); i++) {
        VwLeaseFields f = { 0 };

        if (!vw_lease_fields_from_json(path, vw_json_array_get(leases, i), i, &f, error))
            return FALSE;
        g_array_append_val(out->fields, f);
    }
    return TRUE;
}

VwLeaseDb *
vw_lease_db_load(const char *path, const VwNetDef *def, GError **error)
{
    g_autoptr(VwLeaseDb) db = NULL;
    g_auto(VwLeaseText) text = { 0 };
    gboolean missing = FALSE;

    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(def != NULL && def->name != NULL, NULL);

    db = vw_lease_db_for_def(path, def, error);
    if (!db)
        return NULL;
    if (!vw_lease_file_read(path, &missing, &text, error)) {
        if (missing) {
            db->dirty = TRUE; /* the first save creates the file */
            return g_steal_pointer(&db);
        }
        return NULL;
    }
    for (guint i = 0; i < text.fields->len; i++) {
        if (!vw_lease_db_add_fields(db, &g_array_index(text.fields, VwLeaseFields, i), i, error))
            return NULL;
    }
    return g_steal_pointer(&db);
}

/* Whether @text (an address of @pool's family, or NULL) is @addr. */
static gboolean
vw_ipam_text_is(const VwIpamPool *pool, const char *text, const VwIpamAddr *addr)
{
    VwIpamAddr other;

    return text && vw_ipam_addr_parse(pool, text, &other) &&
           vw_ipam_addr_cmp(pool, &other, addr) == 0;
}

/* Whether a lease of @fields other than @mine holds @mac or one of @addrs. */
static gboolean
vw_lease_fields_clash(VwLeaseDb *db, const GArray *fields, guint mine, const char *mac)
{
    const VwLeaseFields *m = &g_array_index(fields, VwLeaseFields, mine);
    VwIpamAddr addrs[2][2];
    guint n_addrs[2] = { 0, 0 };

    for (int f = 0; f < 2; f++) {
        VwIpamPool *pool = f == 0 ? &db->v4 : &db->v6;
        const VwIpamHost *host = g_hash_table_lookup(pool->host_by_mac, mac);

        if (vw_ipam_addr_parse(pool, f == 0 ? m->ipv4 : m->ipv6, &addrs[f][n_addrs[f]]))
            n_addrs[f]++;
        if (host)
            addrs[f][n_addrs[f]++] = host->addr;
    }
    for (guint j = 0; j < fields->len; j++) {
        const VwLeaseFields *o = &g_array_index(fields, VwLeaseFields, j);

        if (j == mine)
            continue;
        if (!o->mac || g_ascii_strcasecmp(o->mac, mac) == 0)
            return TRUE;
        for (int f = 0; f < 2; f++) {
            const VwIpamPool *pool = f == 0 ? &db->v4 : &db->v6;

            for (guint k = 0; k < n_addrs[f]; k++)
                if (vw_ipam_text_is(pool, f == 0 ? o->ipv4 : o->ipv6, &addrs[f][k]))
                    return TRUE;
        }
    }
    return FALSE;
}

/* The index in @fields of the one lease of (@uuid, @mac), or G_MAXUINT. */
static guint
vw_lease_fields_find(const GArray *fields, const char *uuid, const char *mac)
{
    guint found = G_MAXUINT;

    for (guint i = 0; i < fields->len; i++) {
        const VwLeaseFields *f = &g_array_index(fields, VwLeaseFields, i);

        if (f->uuid && f->mac && g_ascii_strcasecmp(f->uuid, uuid) == 0 &&
            g_ascii_strcasecmp(f->mac, mac) == 0) {
            if (found != G_MAXUINT)
                return G_MAXUINT;
            found = i;
        }
    }
    return found;
}

static gboolean
vw_lease_db_peek_all(const char *path, const VwNetDef *def, VwLeasePeek *leases, guint n)
{
    g_autoptr(VwLeaseDb) db = NULL;
    g_auto(VwLeaseText) text = { 0 };
    GArray *fields;

    db = vw_lease_db_for_def(path, def, NULL);
    if (!db || !vw_lease_file_read(path, NULL, &text, NULL))
        return FALSE; /* the full load says why */
    fields = text.fields;
    /* With no other lease holding a wanted lease's MAC, addresses or
     * <host> addresses, acquiring the wanted leases in a database of them
     * alone decides as the whole database would. */
    /* Each asked identity parsed once, here. */
    g_autofree VwMac *macs = g_new0(VwMac, n);
    g_auto(GStrv) uuids = g_new0(char *, n + 1);

    for (guint k = 0; k < n; k++) {
        char mac[VW_MAC_BUFSIZE];
        guint mine;

        if (!vw_mac_parse(leases[k].mac, macs[k].b, NULL) ||
            !vw_uuid_check(leases[k].domain_uuid, NULL))
            return FALSE;
        uuids[k] = g_ascii_strdown(leases[k].domain_uuid, -1);
        vw_mac_format(&macs[k], mac);
        mine = vw_lease_fields_find(fields, leases[k].domain_uuid, mac);
        if (mine == G_MAXUINT || vw_lease_fields_clash(db, fields, mine, mac) ||
            !vw_lease_db_add_fields(db, &g_array_index(fields, VwLeaseFields, mine), k, NULL))
            return FALSE;
    }
    for (guint k = 0; k < n; k++)
        if (!vw_lease_db_acquire_mac(db, uuids[k], leases[k].domain_name, &macs[k], NULL))
            return FALSE;
    if (db->dirty)
        return FALSE;
    for (guint k = 0; k < n; k++) {
        const VwLeaseRecord *lease = vw_lease_db_lookup_mac(db, uuids[k], &macs[k]);

        leases[k].ipv4 = g_strdup(lease->ipv4);
        leases[k].ipv6 = g_strdup(lease->ipv6);
    }
    return TRUE;
}

gboolean
vw_lease_db_peek(const char *path, const VwNetDef *def, VwLeasePeek *leases, guint n)
{
    g_return_val_if_fail(path != NULL && def != NULL && def->name != NULL, FALSE);
    g_return_val_if_fail(leases != NULL || n == 0, FALSE);
    for (guint k = 0; k < n; k++) {
        g_return_val_if_fail(leases[k].domain_uuid != NULL && leases[k].mac != NULL, FALSE);
        leases[k].ipv4 = leases[k].ipv6 = NULL;
    }
    return vw_lease_db_peek_all(path, def, leases, n);
}

static int
vw_lease_cmp(gconstpointer pa, gconstpointer pb)
{
    const VwLeaseEntry *a = *(const VwLeaseEntry *const *)pa;
    const VwLeaseEntry *b = *(const VwLeaseEntry *const *)pb;
    const struct {
        gboolean x_set, y_set;
        const VwIpamAddr *x, *y;
    } keys[] = {
        { a->pub.ipv4 != NULL, b->pub.ipv4 != NULL, &a->addr4, &b->addr4 },
        { a->pub.ipv6 != NULL, b->pub.ipv6 != NULL, &a->addr6, &b->addr6 },
    };
    int c;

    for (gsize k = 0; k < G_N_ELEMENTS(keys); k++) {
        if (keys[k].x_set != keys[k].y_set)
            return keys[k].x_set ? -1 : 1; /* with an address first */
        if (!keys[k].x_set)
            continue;
        c = memcmp(keys[k].x->b, keys[k].y->b, sizeof(keys[k].x->b));
        if (c != 0)
            return c;
    }
    c = strcmp(a->pub.domain_uuid, b->pub.domain_uuid);
    return c != 0 ? c : strcmp(a->pub.mac, b->pub.mac);
}

GPtrArray *
vw_lease_db_list(VwLeaseDb *db)
{
    GPtrArray *list;
    GHashTableIter iter;
    gpointer value;

    g_return_val_if_fail(db != NULL, NULL);

    list = g_ptr_array_sized_new(g_hash_table_size(db->leases));
    g_hash_table_iter_init(&iter, db->leases);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        g_ptr_array_add(list, value);
    g_ptr_array_sort(list, vw_lease_cmp);
    return list;
}

/*
 * The file is laid out by hand, not with vw_json_to_string(): one lease per
 * line, which is quick to write and to read back (the file is read and
 * written on every plug), and still easy to read and to grep.  Its strings
 * are written by vw_json_append_string(), the one JSON string writer.
 */
gboolean
vw_lease_db_save(VwLeaseDb *db, GError **error)
{
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GString) out = NULL;

    g_return_val_if_fail(db != NULL, FALSE);

    if (!db->dirty)
        return TRUE;
    list = vw_lease_db_list(db);
    out = g_string_sized_new(256 + 256 * list->len);
    g_string_append_printf(out, "{\"version\": %d, \"network\": ", VW_LEASE_DB_VERSION);
    vw_json_append_string(out, db->network);
    g_string_append(out, ", \"leases\": [");
    for (guint i = 0; i < list->len; i++) {
        const VwLeaseRecord *lease = g_ptr_array_index(list, i);

        g_string_append(out, i == 0 ? "\n" : ",\n");
        g_string_append(out, "{\"domain-uuid\": ");
        vw_json_append_string(out, lease->domain_uuid);
        g_string_append(out, ", \"domain-name\": ");
        vw_json_append_string(out, lease->domain_name);
        g_string_append(out, ", \"mac\": ");
        vw_json_append_string(out, lease->mac);
        g_string_append(out, ", \"ipv4\": ");
        vw_json_append_string(out, lease->ipv4);
        g_string_append(out, ", \"ipv6\": ");
        vw_json_append_string(out, lease->ipv6);
        g_string_append(out, ", \"hostname\": ");
        vw_json_append_string(out, lease->hostname);
        g_string_append_printf(out,
                               ", \"static\": %s, \"created\": %" G_GINT64_FORMAT
                               ", \"updated\": %" G_GINT64_FORMAT "}",
                               lease->is_static ? "true" : "false", lease->created, lease->updated);
    }
    g_string_append(out, list->len > 0 ? "\n]}\n" : "]}\n");

    if (!vw_file_write_atomic(db->path, out->str, (gssize)out->len, VW_LEASE_FILE_MODE, error))
        return FALSE;
    db->dirty = FALSE;
    return TRUE;
}

gboolean
vw_lease_db_is_dirty(VwLeaseDb *db)
{
    g_return_val_if_fail(db != NULL, FALSE);
    return db->dirty;
}

const VwLeaseRecord *
vw_lease_db_lookup_mac(VwLeaseDb *db, const char *uuid, const VwMac *mac)
{
    char text[VW_MAC_BUFSIZE];
    g_autofree char *key = vw_lease_key(uuid, vw_mac_format(mac, text));

    g_return_val_if_fail(db != NULL, NULL);
    return g_hash_table_lookup(db->leases, key);
}

const VwLeaseRecord *
vw_lease_db_lookup(VwLeaseDb *db, const char *domain_uuid, const char *mac)
{
    g_autofree char *uuid_lower = NULL;
    VwMac bytes;

    g_return_val_if_fail(db != NULL, NULL);

    if (!domain_uuid || !vw_uuid_check(domain_uuid, NULL) || !mac ||
        !vw_mac_parse(mac, bytes.b, NULL))
        return NULL;
    uuid_lower = g_ascii_strdown(domain_uuid, -1);
    return vw_lease_db_lookup_mac(db, uuid_lower, &bytes);
}

/* What one family of a lease becomes: computed first, applied only when
 * every family succeeded, so that a failure changes nothing. */
typedef struct {
    char *addr;             /* the lease's new address, or NULL */
    const VwIpamHost *host; /* the <host> entry it comes from, or NULL */
    VwLeaseRecord *victim;  /* another lease holding the <host> address, or NULL */
    char *victim_addr;      /* the victim's new address, or NULL */
} VwIpamPlan;

static void
vw_ipam_plan_clear(VwIpamPlan *plan)
{
    g_clear_pointer(&plan->addr, g_free);
    g_clear_pointer(&plan->victim_addr, g_free);
}

static gboolean
vw_ipam_plan_family(VwLeaseDb *db, VwIpamPool *pool, VwLeaseRecord *lease, const char *mac,
                    VwIpamPlan *plan, GError **error)
{
    const char *current = lease ? *vw_lease_addr_slot(lease, pool) : NULL;
    VwIpamAddr addr;

    if (!pool->present)
        return TRUE;
    plan->host = g_hash_table_lookup(pool->host_by_mac, mac);
    if (plan->host) {
        VwLeaseRecord *holder = g_hash_table_lookup(pool->leased, &plan->host->addr);

        plan->addr = g_strdup(plan->host->ip);
        if (holder && holder != lease) {
            VwIpamAddr other;

            /* The <host> entry is newer than the holder's lease: move the holder. */
            plan->victim = holder;
            if (vw_ipam_pool_allocate(pool, &other))
                plan->victim_addr = vw_ipam_addr_to_string(pool, &other);
        }
        return TRUE;
    }
    if (current && vw_ipam_addr_parse(pool, current, &addr) &&
        vw_ipam_addr_is_pool_address(pool, &addr) &&
        g_hash_table_lookup(pool->leased, &addr) == lease) {
        plan->addr = g_strdup(current);
        return TRUE;
    }
    if (pool->ranges->len == 0)
        return TRUE;
    if (!vw_ipam_pool_allocate(pool, &addr)) {
        g_set_error(error, VW_IPAM_ERROR, VW_IPAM_ERROR_EXHAUSTED,
                    _("no free %s address left in the DHCP ranges of network '%s'"), pool->kind,
                    db->network);
        return FALSE;
    }
    plan->addr = vw_ipam_addr_to_string(pool, &addr);
    return TRUE;
}

static gint64
vw_ipam_now(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

const VwLeaseRecord *
vw_lease_db_acquire(VwLeaseDb *db, const char *domain_uuid, const char *domain_name,
                    const char *mac, GError **error)
{
    g_autofree char *uuid_lower = NULL;
    VwMac bytes;

    g_return_val_if_fail(db != NULL, NULL);
    g_return_val_if_fail(domain_uuid != NULL, NULL);
    g_return_val_if_fail(mac != NULL, NULL);

    if (!vw_uuid_check(domain_uuid, error) || !vw_mac_parse(mac, bytes.b, error))
        return NULL;
    uuid_lower = g_ascii_strdown(domain_uuid, -1);
    return vw_lease_db_acquire_mac(db, uuid_lower, domain_name, &bytes, error);
}

const VwLeaseRecord *
vw_lease_db_acquire_mac(VwLeaseDb *db, const char *uuid_lower, const char *domain_name,
                        const VwMac *mac, GError **error)
{
    char mac_lower[VW_MAC_BUFSIZE];
    g_autofree char *key = NULL;
    g_autofree char *hostname = NULL;
    VwIpamPlan plans[2] = { { 0 } };
    VwIpamPool *pools[2];
    VwLeaseRecord *lease, *owner;
    gboolean is_static = FALSE;
    gboolean changed = FALSE;
    const char *host_name = NULL;
    gint64 now = vw_ipam_now();

    g_return_val_if_fail(db != NULL && uuid_lower != NULL && mac != NULL, NULL);

    vw_mac_format(mac, mac_lower);
    key = vw_lease_key(uuid_lower, mac_lower);
    lease = g_hash_table_lookup(db->leases, key);

    owner = g_hash_table_lookup(db->by_mac, mac_lower);
    if (owner && owner != lease) {
        g_set_error(error, VW_IPAM_ERROR, VW_IPAM_ERROR_CONFLICT,
                    _("MAC address '%s' is already leased to domain '%s' on network '%s'"),
                    mac_lower, owner->domain_uuid, db->network);
        return NULL;
    }

    pools[0] = &db->v4;
    pools[1] = &db->v6;
    for (int f = 0; f < 2; f++) {
        if (!vw_ipam_plan_family(db, pools[f], lease, mac_lower, &plans[f], error)) {
            vw_ipam_plan_clear(&plans[0]);
            vw_ipam_plan_clear(&plans[1]);
            return NULL;
        }
        if (plans[f].host) {
            is_static = TRUE;
            if (!host_name)
                host_name = plans[f].host->name;
        }
    }

    /* Commit. */
    if (!lease) {
        lease = vw_lease_new();
        lease->domain_uuid = g_strdup(uuid_lower);
        lease->mac = g_strdup(mac_lower);
        lease->created = now;
        g_hash_table_insert(db->leases, g_steal_pointer(&key), lease);
        g_hash_table_insert(db->by_mac, lease->mac, lease);
        changed = TRUE;
    }
    for (int f = 0; f < 2; f++) {
        VwIpamPlan *plan = &plans[f];

        if (plan->victim) {
            vw_lease_set_addr(pools[f], plan->victim, plan->victim_addr);
            plan->victim->is_static =
                g_hash_table_contains(db->v4.host_by_mac, plan->victim->mac) ||
                g_hash_table_contains(db->v6.host_by_mac, plan->victim->mac);
            plan->victim->updated = now;
            db->dirty = TRUE;
        }
        if (g_strcmp0(*vw_lease_addr_slot(lease, pools[f]), plan->addr) != 0) {
            vw_lease_set_addr(pools[f], lease, plan->addr);
            changed = TRUE;
        }
        vw_ipam_plan_clear(plan);
    }
    if (domain_name) {
        /* The lease file is JSON, which holds UTF-8 only. */
        g_autofree char *valid = g_utf8_make_valid(domain_name, -1);

        if (g_strcmp0(lease->domain_name, valid) != 0) {
            g_free(lease->domain_name);
            lease->domain_name = g_steal_pointer(&valid);
            changed = TRUE;
        }
    }
    hostname = host_name ? g_strdup(host_name) : vw_hostname_from_domain_name(lease->domain_name);
    if (g_strcmp0(lease->hostname, hostname) != 0) {
        g_free(lease->hostname);
        lease->hostname = g_steal_pointer(&hostname);
        changed = TRUE;
    }
    if (lease->is_static != is_static) {
        lease->is_static = is_static;
        changed = TRUE;
    }
    if (changed) {
        lease->updated = now;
        db->dirty = TRUE;
    }
    return lease;
}

gboolean
vw_lease_db_release(VwLeaseDb *db, const char *domain_uuid, const char *mac)
{
    g_autofree char *uuid_lower = NULL;
    VwMac bytes;

    g_return_val_if_fail(db != NULL, FALSE);

    if (!domain_uuid || !vw_uuid_check(domain_uuid, NULL) || !mac ||
        !vw_mac_parse(mac, bytes.b, NULL))
        return FALSE;
    uuid_lower = g_ascii_strdown(domain_uuid, -1);
    return vw_lease_db_release_mac(db, uuid_lower, &bytes);
}

gboolean
vw_lease_db_release_mac(VwLeaseDb *db, const char *uuid, const VwMac *mac)
{
    char text[VW_MAC_BUFSIZE];
    g_autofree char *key = NULL;
    VwLeaseRecord *lease;

    g_return_val_if_fail(db != NULL && uuid != NULL && mac != NULL, FALSE);

    key = vw_lease_key(uuid, vw_mac_format(mac, text));
    lease = g_hash_table_lookup(db->leases, key);
    if (!lease)
        return FALSE;
    vw_lease_db_index_remove(db, lease);
    g_hash_table_remove(db->leases, key);
    db->dirty = TRUE;
    return TRUE;
}

guint
vw_lease_db_release_domain(VwLeaseDb *db, const char *domain_uuid)
{
    g_autofree char *uuid_lower = NULL;
    GHashTableIter iter;
    gpointer value;
    guint count = 0;

    g_return_val_if_fail(db != NULL, 0);

    if (!domain_uuid || !vw_uuid_check(domain_uuid, NULL))
        return 0;
    uuid_lower = g_ascii_strdown(domain_uuid, -1);
    g_hash_table_iter_init(&iter, db->leases);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        VwLeaseRecord *lease = value;

        if (!g_str_equal(lease->domain_uuid, uuid_lower))
            continue;
        vw_lease_db_index_remove(db, lease);
        g_hash_table_iter_remove(&iter);
        count++;
    }
    if (count > 0)
        db->dirty = TRUE;
    return count;
}

char *
vw_lease_db_format_dnsmasq_hosts(VwLeaseDb *db)
{
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GHashTable) names4 = NULL;
    g_autoptr(GHashTable) names6 = NULL;
    GString *out;

    g_return_val_if_fail(db != NULL, NULL);

    list = vw_lease_db_list(db);
    names4 = g_hash_table_new(g_str_hash, g_str_equal);
    names6 = g_hash_table_new(g_str_hash, g_str_equal);
    out = g_string_new(NULL);
    for (int f = 0; f < 2; f++) {
        VwIpamPool *pool = f == 0 ? &db->v4 : &db->v6;
        GHashTable *names = f == 0 ? names4 : names6;

        for (guint i = 0; i < list->len; i++) {
            VwLeaseRecord *lease = g_ptr_array_index(list, i);
            const char *text = *vw_lease_addr_slot(lease, pool);

            if (!text || g_hash_table_contains(pool->host_by_addr, vw_lease_addr_bin(lease, pool)))
                continue;
            g_string_append_printf(out, f == 0 ? "%s,%s" : "%s,[%s]", lease->mac, text);
            if (lease->hostname && g_hash_table_add(names, lease->hostname))
                g_string_append_printf(out, ",%s", lease->hostname);
            g_string_append_c(out, '\n');
        }
    }
    return g_string_free(out, FALSE);
}
