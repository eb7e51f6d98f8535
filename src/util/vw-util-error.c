#include <config.h>

#include "vw-util-error.h"

/* clang-format would put spaces into the quark's name. */
/* clang-format off */
G_DEFINE_QUARK(vw-util-error-quark, vw_util_error)
/* clang-format on */
