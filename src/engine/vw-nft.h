/*
 * Masquerade for guest networks in forward mode "nat", through libnftables
 * in-process (no `nft` command is run).
 *
 * Each network owns one table named "vw-NETWORK" in family ip, and one of
 * the same name in family ip6 when it has an IPv6 subnet, in the network
 * namespace of the calling thread (the host's, for the engine).  Each table
 * carries its owner's identity as its comment (the engine gives
 * "virtwire:network:ROOTTAG:NAME:UUID"); a table of that name with another
 * comment, or none, is never replaced nor deleted.  Each table
 * has one chain:
 *
 *   chain postrouting {
 *       type nat hook postrouting priority srcnat; policy accept;
 *       ip daddr 224.0.0.0/24 return            (IPv4: local multicast)
 *       ip daddr 255.255.255.255 return         (IPv4: broadcast)
 *       ip saddr SUBNET ip daddr != SUBNET [oifname "UPLINK"] masquerade
 *   }
 *
 * and the same with ip6 (without the two IPv4 exceptions) for IPv6.
 * Traffic from the guest subnet leaving towards any other address is
 * masqueraded, out of UPLINK only when one is given.
 * Enabling forwarding (net.ipv4.ip_forward) and the routes are the
 * caller's business.  Other tables are never touched.
 *
 * Errors that libnftables reports are captured (never printed) and put into
 * the GError's message.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * VW_NFT_ERROR:
 *
 * Error domain of the nftables NAT layer.
 */
#define VW_NFT_ERROR (vw_nft_error_quark())
GQuark vw_nft_error_quark(void);

typedef enum {
    VW_NFT_ERROR_INVALID, /* a bad argument: network name, CIDR, device */
    VW_NFT_ERROR_FAILED,  /* libnftables or the kernel refused */
    VW_NFT_ERROR_FOREIGN, /* a table of that name belongs to someone else */
} VwNftError;

/* Prefix of the table names: "vw-" + network name. */
#define VW_NFT_TABLE_PREFIX "vw-"

/**
 * vw_nft_nat_add:
 * @network: the network's name (1 to 32 ASCII letters, digits, '-', '_',
 *     not starting with '-')
 * @owner: the owner's identity, kept as the tables' comment (1 to 200
 *     bytes, no '"', '\\' or newline)
 * @subnet_cidr4: the IPv4 subnet as "ADDRESS/PREFIX" (prefix 1 to 32; host
 *     bits are cleared, so the gateway's "10.0.0.1/24" is fine)
 * @subnet_cidr6: (nullable): the IPv6 subnet, or NULL for none
 * @uplink_dev: (nullable): masquerade only traffic leaving through this
 *     device; NULL for any device
 * @error: (out) (optional): set on failure
 *
 * Create or replace the NAT tables of @network in one transaction: the ip
 * table is deleted and re-created (so calling this twice gives the same
 * single table), and the ip6 table too, or deleted when @subnet_cidr6 is
 * NULL.  A table of that name in either family whose comment is not @owner
 * is refused (VW_NFT_ERROR_FOREIGN) and left as it is.  On error nothing
 * changes.
 *
 * Returns: TRUE on success
 */
gboolean vw_nft_nat_add(const char *network, const char *owner, const char *subnet_cidr4,
                        const char *subnet_cidr6, const char *uplink_dev, GError **error);

/**
 * vw_nft_nat_delete:
 * @network: the network's name
 * @owner: the owner's identity, as given to vw_nft_nat_add()
 * @error: (out) (optional): set on failure
 *
 * Delete the ip and ip6 tables of @network that carry @owner, in one
 * transaction.  Tables that do not exist are not an error; tables of that
 * name with another comment (or none) are left as they are.
 *
 * Returns: TRUE when no table of @network carrying @owner is left
 */
gboolean vw_nft_nat_delete(const char *network, const char *owner, GError **error);

/**
 * vw_nft_nat_get_owner:
 * @network: the network's name
 * @owner: (out) (transfer full): the comment of the table of @network (of
 *     family ip, or else ip6), "" when it has none, NULL when there is no
 *     such table
 * @error: (out) (optional): set when nftables cannot be asked
 *
 * Returns: TRUE when nftables could be asked
 */
gboolean vw_nft_nat_get_owner(const char *network, char **owner, GError **error);

/**
 * vw_nft_nat_exists:
 * @network: the network's name
 *
 * Returns: TRUE when the ip table of @network exists (FALSE for an invalid
 *     name or when nftables cannot be asked)
 */
gboolean vw_nft_nat_exists(const char *network);

/**
 * vw_nft_list_tables:
 * @prefix: keep the tables whose name starts with this (e.g. "vw-"); "" for all
 * @error: (out) (optional): set when nftables cannot be asked
 *
 * List the names of the tables of family ip and ip6 (for reconciling:
 * "vw-NETWORK" names the table of NETWORK).  A name present in both
 * families is listed once.
 *
 * Returns: (transfer full): the names, sorted, NULL-terminated; NULL on
 *     error.  Free with g_strfreev().
 */
char **vw_nft_list_tables(const char *prefix, GError **error);

/**
 * vw_nft_run_commands:
 * @commands: nft commands (the `nft -f` language), run as one transaction
 * @what: the start of the error message, e.g. "cannot add table 'T'"
 * @error: (out) (optional): set on failure, with nft's own message
 *
 * Run @commands through libnftables in the network namespace of the calling
 * thread (other tables of the engine, e.g. vw-guard.c's, are written this
 * way).  Nothing is printed.
 *
 * Returns: TRUE on success
 */
gboolean vw_nft_run_commands(const char *commands, const char *what, GError **error);

G_END_DECLS
