/*
 * Errors of the leaf helpers (src/util).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * VW_UTIL_ERROR:
 *
 * Error domain of src/util.  Messages are whole translated sentences that
 * name the offending value (a path, a UUID, a MAC address...).
 */
#define VW_UTIL_ERROR (vw_util_error_quark())

/**
 * vw_util_error_quark:
 *
 * Returns: the quark of the VW_UTIL_ERROR domain
 */
GQuark vw_util_error_quark(void);

typedef enum {
    VW_UTIL_ERROR_INVALID, /* a bad argument: relative root, malformed UUID or MAC... */
    VW_UTIL_ERROR_IO,      /* a system call on a file failed; the message carries strerror */
    VW_UTIL_ERROR_LOCKED,  /* a lock was not granted within the timeout */
    VW_UTIL_ERROR_CORRUPT, /* a state file exists but cannot be understood */
} VwUtilError;

G_END_DECLS
