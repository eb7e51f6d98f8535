#include <config.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <nftables/libnftables.h>

#include "vw-net-error.h"
#include "vw-nft.h"

/* clang-format off */
G_DEFINE_QUARK(vw-nft-error-quark, vw_nft_error)
/* clang-format on */

#define VW_NFT_NETWORK_MAX 32
#define VW_NFT_OWNER_MAX   200 /* a table comment holds at most 256 bytes */

/*
 * libnftables is loaded on first use, not linked: it and what it pulls in
 * (libnftnl, libxtables, jansson, gmp) are a third of the dynamic loader's
 * work at every start of a program linking the engine, and the libvirt hook
 * never needs NAT.  Only the prototypes come from the header.
 */
typedef struct {
    struct nft_ctx *(*ctx_new)(uint32_t flags);
    void (*ctx_free)(struct nft_ctx *ctx);
    int (*buffer_output)(struct nft_ctx *ctx);
    int (*buffer_error)(struct nft_ctx *ctx);
    const char *(*get_output)(struct nft_ctx *ctx);
    const char *(*get_error)(struct nft_ctx *ctx);
    int (*run)(struct nft_ctx *ctx, const char *buf);
} VwNftApi;

static VwNftApi nft_api;

static gpointer
vw_nft_api_load(gpointer data G_GNUC_UNUSED)
{
    void *lib = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);

    if (!lib)
        return NULL;
#define SYM(field, name)                                                                           \
    do {                                                                                           \
        *(void **)&nft_api.field = dlsym(lib, name);                                               \
        if (!nft_api.field)                                                                        \
            return NULL;                                                                           \
    } while (0)
    SYM(ctx_new, "nft_ctx_new");
    SYM(ctx_free, "nft_ctx_free");
    SYM(buffer_output, "nft_ctx_buffer_output");
    SYM(buffer_error, "nft_ctx_buffer_error");
    SYM(get_output, "nft_ctx_get_output_buffer");
    SYM(get_error, "nft_ctx_get_error_buffer");
    SYM(run, "nft_run_cmd_from_buffer");
#undef SYM
    return &nft_api; /* the library stays loaded for the process's life */
}

static const VwNftApi *
vw_nft_api(GError **error)
{
    static GOnce once = G_ONCE_INIT;
    const VwNftApi *api = g_once(&once, vw_nft_api_load, NULL);

    if (!api)
        g_set_error(error, VW_NFT_ERROR, VW_NFT_ERROR_FAILED,
                    _("cannot load libnftables (libnftables.so.1): is the libnftables1 "
                      "package installed?"));
    return api;
}

typedef struct nft_ctx VwNftCtx;

static void
vw_nft_ctx_free(VwNftCtx *ctx)
{
    if (ctx)
        nft_api.ctx_free(ctx);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwNftCtx, vw_nft_ctx_free)

static gboolean
vw_nft_network_check(const char *network, GError **error)
{
    size_t len = strlen(network);

    if (len == 0 || len > VW_NFT_NETWORK_MAX || network[0] == '-') {
        g_autofree char *shown = g_strescape(network, NULL);
        g_set_error(error, VW_NFT_ERROR, VW_NFT_ERROR_INVALID,
                    _("invalid network name '%s': must be 1 to %d bytes, not starting with '-'"),
                    shown, VW_NFT_NETWORK_MAX);
        return FALSE;
    }
    for (const char *p = network; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_') {
            g_autofree char *shown = g_strescape(network, NULL);
            g_set_error(error, VW_NFT_ERROR, VW_NFT_ERROR_INVALID,
                        _("invalid network name '%s': only ASCII letters, digits, '-' and '_' "
                          "are allowed"),
                        shown);
            return FALSE;
        }
    }
    return TRUE;
}

/*
 * Parse "ADDRESS/PREFIX" of @family into canonical text with the host bits
 * cleared ("10.0.0.1/24" -> "10.0.0.0/24").
 */
static char *
vw_nft_cidr_canon(const char *cidr, int family, GError **error)
{
    const char *kind = family == AF_INET ? "IPv4" : "IPv6";
    guint max = family == AF_INET ? 32 : 128;
    g_autofree char *addr_text = NULL;
    const char *slash = strchr(cidr, '/');
    guint8 addr[16];
    guint64 prefix = 0;
    char buf[INET6_ADDRSTRLEN];

    if (slash)
        addr_text = g_strndup(cidr, slash - cidr);
    if (!slash || inet_pton(family, addr_text, addr) != 1 ||
        !g_ascii_string_to_unsigned(slash + 1, 10, 1, max, &prefix, NULL)) {
        g_autofree char *shown = g_strescape(cidr, NULL);
        g_set_error(error, VW_NFT_ERROR, VW_NFT_ERROR_INVALID,
                    _("invalid %s subnet '%s': expected ADDRESS/PREFIX with a prefix from 1 to "
                      "%u"),
                    kind, shown, max);
        return NULL;
    }
    for (guint i = 0; i < max / 8; i++) {
        guint bits = i * 8 >= prefix ? 0 : MIN(prefix - i * 8, 8);

        addr[i] &= (guint8)(0xff00 >> bits);
    }
    return g_strdup_printf("%s/%u", inet_ntop(family, addr, buf, sizeof(buf)), (guint)prefix);
}

/* A context whose output and errors go to buffers, never to stdout/stderr. */
static VwNftCtx *
vw_nft_ctx_new(GError **error)
{
    const VwNftApi *api = vw_nft_api(error);
    g_autoptr(VwNftCtx) ctx = NULL;

    if (!api)
        return NULL;
    ctx = api->ctx_new(NFT_CTX_DEFAULT);
    if (!ctx || api->buffer_output(ctx) != 0 || api->buffer_error(ctx) != 0) {
        g_set_error(error, VW_NFT_ERROR, VW_NFT_ERROR_FAILED, _("cannot initialise libnftables"));
        return NULL;
    }
    return g_steal_pointer(&ctx);
}

/*
 * libnftables 1.0.6 prints "Operation not permitted (you must be root)" on
 * stderr itself when the kernel answers EPERM (fixed upstream later): a
 * library must not print, so without CAP_NET_ADMIN in the calling thread's
 * effective set it is not called at all.
 */
static gboolean
vw_nft_have_net_admin(void)
{
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { { 0 } };

    if (syscall(SYS_capget, &hdr, data) != 0)
        return TRUE; /* cannot tell: let the kernel decide */
    return (data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN)) != 0;
}

/* Run @commands in one transaction; on failure @error gets nft's own message. */
static gboolean
vw_nft_run(VwNftCtx *ctx, const char *commands, const char *what, GError **error)
{
    const char *err;
    int saved;

    if (!vw_nft_have_net_admin()) {
        g_set_error(error, VW_NFT_ERROR, VW_NFT_ERROR_FAILED, _("%s: CAP_NET_ADMIN is required"),
                    what);
        return FALSE;
    }
    errno = 0;
    if (nft_api.run(ctx, commands) == 0)
        return TRUE;
    saved = errno;
    err = nft_api.get_error(ctx);
    if (err && *err) {
        g_autofree char *msg = g_strstrip(g_strdup(err));
        g_set_error(error, VW_NFT_ERROR, VW_NFT_ERROR_FAILED, _("%s: nftables: %s"), what, msg);
    } else if (saved != 0) {
        g_set_error(error, VW_NFT_ERROR, VW_NFT_ERROR_FAILED, _("%s: nftables: %s"), what,
                    g_strerror(saved));
    } else {
        g_set_error(error, VW_NFT_ERROR, VW_NFT_ERROR_FAILED, _("%s: nftables failed"), what);
    }
    return FALSE;
}

/*
 * Append the commands that make @family's table of @table exist and empty,
 * whatever its state: "add" is a no-op on an existing table, then "delete"
 * removes it with its chains and rules, all inside the one transaction.
 */
static void
vw_nft_append_reset(GString *cmds, const char *family, const char *table)
{
    g_string_append_printf(cmds, "add table %s %s\n", family, table);
    g_string_append_printf(cmds, "delete table %s %s\n", family, table);
}

static void
vw_nft_append_nat(GString *cmds, const char *family, const char *table, const char *owner,
                  const char *subnet, const char *uplink_dev)
{
    const char *match = g_str_equal(family, "ip") ? "ip" : "ip6";
    g_autofree char *oif =
        uplink_dev ? g_strdup_printf(" oifname \"%s\"", uplink_dev) : g_strdup("");

    g_string_append_printf(cmds, "add table %s %s { comment \"%s\"; }\n", family, table, owner);
    /* Priority 100 is "srcnat". */
    g_string_append_printf(cmds,
                           "add chain %s %s postrouting { type nat hook postrouting priority 100; "
                           "policy accept; }\n",
                           family, table);
    if (g_str_equal(family, "ip")) {
        /* Like libvirt: never rewrite local multicast or broadcast. */
        g_string_append_printf(cmds, "add rule %s %s postrouting ip daddr 224.0.0.0/24 return\n",
                               family, table);
        g_string_append_printf(cmds, "add rule %s %s postrouting ip daddr 255.255.255.255 return\n",
                               family, table);
    }
    g_string_append_printf(cmds,
                           "add rule %s %s postrouting %s saddr %s %s daddr != %s%s "
                           "masquerade\n",
                           family, table, match, subnet, match, subnet, oif);
    /* NAT means the guests are not reachable from outside: the host forwards
     * only replies towards the subnet, never a new connection. */
    g_string_append_printf(cmds,
                           "add chain %s %s forward { type filter hook forward priority 0; "
                           "policy accept; }\n",
                           family, table);
    g_string_append_printf(cmds,
                           "add rule %s %s forward %s daddr %s ct state established,related "
                           "accept\n",
                           family, table, match, subnet);
    g_string_append_printf(cmds, "add rule %s %s forward %s daddr %s drop\n", family, table,
                           match, subnet);
}

/*
 * Whether the table @family @table exists, and its comment (the identity of
 * its owner; "" when it has none) in *@owner.
 */
static gboolean
vw_nft_table_owner(VwNftCtx *ctx, const char *family, const char *table, char **owner,
                   GError **error)
{
    g_autofree char *cmd = g_strdup_printf("list tables %s\n", family);
    g_autofree char *what = NULL;
    g_auto(GStrv) lines = NULL;
    gboolean found = FALSE;
    const char *out;

    *owner = NULL;
    what = g_strdup_printf(_("cannot read the nftables table '%s'"), table);
    if (!vw_nft_run(ctx, cmd, what, error))
        return FALSE;
    out = nft_api.get_output(ctx);
    lines = g_strsplit(out ? out : "", "\n", -1);
    for (guint i = 0; lines[i] && !found; i++) {
        g_auto(GStrv) words = g_strsplit_set(g_strstrip(lines[i]), " \t", -1);

        found = g_strv_length(words) == 3 && g_str_equal(words[0], "table") &&
                g_str_equal(words[1], family) && g_str_equal(words[2], table);
    }
    g_clear_pointer(&lines, g_strfreev);
    if (!found)
        return TRUE;
    g_free(cmd);
    cmd = g_strdup_printf("list table %s %s\n", family, table);
    if (!vw_nft_run(ctx, cmd, what, error))
        return FALSE;
    out = nft_api.get_output(ctx);
    lines = g_strsplit(out ? out : "", "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        const char *line = g_strstrip(lines[i]);
        size_t len = strlen(line);

        /* The table's own comment comes before its chains. */
        if (g_str_has_prefix(line, "chain ") || g_str_has_prefix(line, "set ") ||
            g_str_has_prefix(line, "map "))
            break;
        if (g_str_has_prefix(line, "comment \"") && len >= 10 && line[len - 1] == '"') {
            *owner = g_strndup(line + 9, len - 10);
            return TRUE;
        }
    }
    *owner = g_strdup("");
    return TRUE;
}

static gboolean
vw_nft_owner_check(const char *network, const char *owner, GError **error)
{
    if (!owner || !*owner || strlen(owner) > VW_NFT_OWNER_MAX || strchr(owner, '"') ||
        strchr(owner, '\\') || strchr(owner, '\n')) {
        g_autofree char *shown = g_strescape(owner ? owner : "", NULL);
        g_set_error(error, VW_NFT_ERROR, VW_NFT_ERROR_INVALID,
                    _("invalid owner '%s' for the NAT table of network '%s'"), shown, network);
        return FALSE;
    }
    return TRUE;
}

/*
 * Refuse when a table of @table exists in @family that does not carry @owner;
 * *@exists tells whether one carrying it exists.
 */
static gboolean
vw_nft_table_is_ours(VwNftCtx *ctx, const char *family, const char *table, const char *owner,
                     gboolean *exists, GError **error)
{
    g_autofree char *found = NULL;

    *exists = FALSE;
    if (!vw_nft_table_owner(ctx, family, table, &found, error))
        return FALSE;
    if (found && !g_str_equal(found, owner)) {
        if (*found)
            g_set_error(error, VW_NFT_ERROR, VW_NFT_ERROR_FOREIGN,
                        _("nftables table %s '%s' already exists and belongs to '%s'"), family,
                        table, found);
        else
            g_set_error(error, VW_NFT_ERROR, VW_NFT_ERROR_FOREIGN,
                        _("nftables table %s '%s' already exists and is not virtwire's"), family,
                        table);
        return FALSE;
    }
    *exists = found != NULL;
    return TRUE;
}

gboolean
vw_nft_nat_add(const char *network, const char *owner, const char *subnet_cidr4,
               const char *subnet_cidr6, const char *uplink_dev, GError **error)
{
    g_autoptr(VwNftCtx) ctx = NULL;
    g_autoptr(GString) cmds = g_string_new(NULL);
    g_autofree char *table = NULL;
    g_autofree char *net4 = NULL;
    g_autofree char *net6 = NULL;
    g_autofree char *what = NULL;
    gboolean exists;

    g_return_val_if_fail(network != NULL, FALSE);
    g_return_val_if_fail(subnet_cidr4 != NULL, FALSE);
    if (!vw_nft_network_check(network, error) || !vw_nft_owner_check(network, owner, error))
        return FALSE;
    net4 = vw_nft_cidr_canon(subnet_cidr4, AF_INET, error);
    if (!net4)
        return FALSE;
    if (subnet_cidr6) {
        net6 = vw_nft_cidr_canon(subnet_cidr6, AF_INET6, error);
        if (!net6)
            return FALSE;
    }
    if (uplink_dev) {
        g_autoptr(GError) dev_error = NULL;

        if (!vw_ifname_check(uplink_dev, &dev_error)) {
            g_set_error(error, VW_NFT_ERROR, VW_NFT_ERROR_INVALID,
                        _("invalid uplink device for network '%s': %s"), network,
                        dev_error->message);
            return FALSE;
        }
    }
    ctx = vw_nft_ctx_new(error);
    if (!ctx)
        return FALSE;

    table = g_strconcat(VW_NFT_TABLE_PREFIX, network, NULL);
    what = g_strdup_printf(_("cannot add the NAT table '%s' of network '%s'"), table, network);
    /* A table of that name that another owner made is refused, never
     * replaced (nor is the ip6 one, when there is one of another owner). */
    if (!vw_nft_table_is_ours(ctx, "ip", table, owner, &exists, error) ||
        !vw_nft_table_is_ours(ctx, "ip6", table, owner, &exists, error)) {
        g_prefix_error(error, "%s: ", what);
        return FALSE;
    }
    vw_nft_append_reset(cmds, "ip", table);
    vw_nft_append_nat(cmds, "ip", table, owner, net4, uplink_dev);
    vw_nft_append_reset(cmds, "ip6", table);
    if (net6)
        vw_nft_append_nat(cmds, "ip6", table, owner, net6, uplink_dev);
    return vw_nft_run(ctx, cmds->str, what, error);
}

gboolean
vw_nft_nat_delete(const char *network, const char *owner, GError **error)
{
    g_autoptr(VwNftCtx) ctx = NULL;
    g_autoptr(GString) cmds = g_string_new(NULL);
    g_autofree char *table = NULL;
    g_autofree char *what = NULL;
    const char *families[] = { "ip", "ip6" };

    g_return_val_if_fail(network != NULL, FALSE);
    if (!vw_nft_network_check(network, error) || !vw_nft_owner_check(network, owner, error))
        return FALSE;
    ctx = vw_nft_ctx_new(error);
    if (!ctx)
        return FALSE;
    table = g_strconcat(VW_NFT_TABLE_PREFIX, network, NULL);
    what = g_strdup_printf(_("cannot delete the NAT table '%s' of network '%s'"), table, network);
    for (guint i = 0; i < G_N_ELEMENTS(families); i++) {
        g_autofree char *found = NULL;

        if (!vw_nft_table_owner(ctx, families[i], table, &found, error)) {
            g_prefix_error(error, "%s: ", what);
            return FALSE;
        }
        /* Only a table that carries @owner: another's stays as it is. */
        if (found && g_str_equal(found, owner))
            g_string_append_printf(cmds, "delete table %s %s\n", families[i], table);
    }
    return cmds->len == 0 || vw_nft_run(ctx, cmds->str, what, error);
}

gboolean
vw_nft_nat_get_owner(const char *network, char **owner, GError **error)
{
    g_autoptr(VwNftCtx) ctx = NULL;
    g_autofree char *table = NULL;
    g_autofree char *found = NULL;

    g_return_val_if_fail(network != NULL && owner != NULL, FALSE);
    *owner = NULL;
    if (!vw_nft_network_check(network, error))
        return FALSE;
    ctx = vw_nft_ctx_new(error);
    if (!ctx)
        return FALSE;
    table = g_strconcat(VW_NFT_TABLE_PREFIX, network, NULL);
    if (!vw_nft_table_owner(ctx, "ip", table, &found, error))
        return FALSE;
    if (!found && !vw_nft_table_owner(ctx, "ip6", table, &found, error))
        return FALSE;
    *owner = g_steal_pointer(&found);
    return TRUE;
}

gboolean
vw_nft_nat_exists(const char *network)
{
    g_autoptr(VwNftCtx) ctx = NULL;
    g_autofree char *cmd = NULL;

    g_return_val_if_fail(network != NULL, FALSE);
    if (!vw_nft_network_check(network, NULL))
        return FALSE;
    if (!vw_nft_have_net_admin())
        return FALSE;
    ctx = vw_nft_ctx_new(NULL);
    if (!ctx)
        return FALSE;
    cmd = g_strdup_printf("list table ip %s%s\n", VW_NFT_TABLE_PREFIX, network);
    return nft_api.run(ctx, cmd) == 0;
}

static int
vw_nft_strcmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char **
vw_nft_list_tables(const char *prefix, GError **error)
{
    g_autoptr(VwNftCtx) ctx = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) lines = NULL;
    const char *out;

    g_return_val_if_fail(prefix != NULL, NULL);
    ctx = vw_nft_ctx_new(error);
    if (!ctx)
        return NULL;
    if (!vw_nft_run(ctx, "list tables\n", _("cannot list the nftables tables"), error))
        return NULL;
    out = nft_api.get_output(ctx);
    lines = g_strsplit(out ? out : "", "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_auto(GStrv) words = g_strsplit_set(g_strstrip(lines[i]), " \t", -1);
        char *name;

        /* "table FAMILY NAME", NAME possibly quoted. */
        if (g_strv_length(words) != 3 || !g_str_equal(words[0], "table"))
            continue;
        if (!g_str_equal(words[1], "ip") && !g_str_equal(words[1], "ip6"))
            continue;
        name = words[2];
        if (name[0] == '"' && strlen(name) >= 2 && name[strlen(name) - 1] == '"') {
            name[strlen(name) - 1] = '\0';
            name++;
        }
        if (!g_str_has_prefix(name, prefix))
            continue;
        if (!g_ptr_array_find_with_equal_func(names, name, g_str_equal, NULL))
            g_ptr_array_add(names, g_strdup(name));
    }
    g_ptr_array_sort(names, vw_nft_strcmp);
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

gboolean
vw_nft_run_commands(const char *commands, const char *what, GError **error)
{
    g_autoptr(VwNftCtx) ctx = NULL;

    g_return_val_if_fail(commands != NULL && what != NULL, FALSE);
    ctx = vw_nft_ctx_new(error);
    return ctx && vw_nft_run(ctx, commands, what, error);
}
