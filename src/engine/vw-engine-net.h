/*
 * What the network file (vw-engine.c) gives the one above it
 * (vw-engine-reconcile.c): the start and stop steps, with the network lock
 * held, and the host-wide index claims.
 */
#pragma once

#include "vw-engine-private.h"

G_BEGIN_DECLS

gboolean engine_net_start_steps(VwEngine *engine, const VwNetDef *def, NetStatus *status,
                                GError **error);
gboolean engine_net_stop_steps(VwEngine *engine, const VwNetDef *def, const NetStatus *status,
                               GError **error);
gboolean engine_net_is_whole(VwEngine *engine, const VwNetDef *def, const NetStatus *status);
/* Whether a task sits anywhere in @partition (in any hierarchy). */
gboolean engine_partition_has_tasks(const VwCgroupLayout *cg, const char *partition);

/* Host-wide claims of network indexes (VW_INDEX_DIR). */
VwLock *engine_lock_indexes(GError **error);
void engine_release_index(VwEngine *engine, const char *name, guint index);

G_END_DECLS
