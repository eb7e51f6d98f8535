/*
 * What the port file (vw-engine-port.c) gives the one above it
 * (vw-engine-reconcile.c): a port's plumbing, with the network lock held.
 */
#pragma once

#include "vw-engine-private.h"

G_BEGIN_DECLS

/* With @keep_held_tap, a tap of the port that a process (QEMU) holds open is
 * kept (its redirect removed) and engine_port_plumb() builds around it. */
gboolean engine_port_remove_plumbing(VwRtnl *host, const PortRecord *rec, gboolean keep_held_tap,
                                     GError **error);
/* The network's netns as the plumbing uses it: opened by the first
 * engine_port_plumb() that needs it, shared by the ports plumbed after it,
 * closed by engine_ns_clear().  The handle's sockets are made on a thread of
 * their own while that first port's tap is made (@opening), and waited for
 * when the veth's peer needs them. */
typedef struct {
    int fd; /* -1 until opened */
    VwRtnlOpening *opening;
    VwRtnl *rtnl;
} EngineNs;
#define ENGINE_NS_INIT { -1, NULL, NULL }
void engine_ns_clear(EngineNs *ns);
/* Make the port's plumbing from scratch through @host (an rtnetlink handle
 * on the host netns) and @ns (the network's netns, opened if need be). */
gboolean engine_port_plumb(VwRtnl *host, EngineNs *ns, const VwNetDef *def,
                           const NetStatus *status, PortRecord *rec, GError **error);
gboolean engine_port_is_whole(VwRtnl *host, const PortRecord *rec);

G_END_DECLS
