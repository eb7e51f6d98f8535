/*
 * virtwire: the public GObject API (libvirtwire-1.0, GI namespace
 * Virtwire-1.0).  Include only this header.
 */
#pragma once

#define VIRTWIRE_INSIDE
#include "vw-dhcp-lease.h"
#include "vw-enum-types.h"
#include "vw-error.h"
#include "vw-lease.h"
#include "vw-network.h"
#include "vw-port.h"
#include "vw-provisioner.h"
#include "vw-session.h"
#undef VIRTWIRE_INSIDE
