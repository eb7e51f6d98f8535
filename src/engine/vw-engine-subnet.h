/*
 * The subnet check of nat and routed networks (vw-engine-subnet.c), above
 * vw-engine-private.h and below the network file (vw-engine.c).
 */
#pragma once

#include "vw-engine-private.h"

G_BEGIN_DECLS

/* Refuse a subnet of a nat or routed network that overlaps a route or an
 * address of the host or another nat/routed network of any root on this
 * host; an isolated network passes.  At define, and at start with
 * engine_lock_indexes() held. */
gboolean engine_subnet_check(VwEngine *engine, const VwNetDef *def, GError **error);

G_END_DECLS
