#include <config.h>

#include "vw-util-error.h"

G_DEFINE_QUARK(vw-util-error-quark, vw_util_error)
