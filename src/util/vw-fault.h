/*
 * Fault injection for crash-safety tests: VIRTWIRE_FAULT=STEP[,STEP...]
 * makes the process _exit(VW_FAULT_EXIT_CODE) when it reaches a named step,
 * the way a kill -9 there would stop it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit status of a process stopped by vw_fault_point(). */
#define VW_FAULT_EXIT_CODE 86

/* The environment variable read (once) by vw_fault_point(). */
#define VW_FAULT_ENV "VIRTWIRE_FAULT"

/**
 * vw_fault_point:
 * @step: name of the step about to run (e.g. "port-veth-created")
 *
 * If the environment variable VIRTWIRE_FAULT equals @step, or is a comma
 * separated list with @step in it (blanks around items are ignored), end
 * the process at once with _exit(VW_FAULT_EXIT_CODE): no atexit handlers,
 * no stdio flush, nothing printed.  The variable is read once per process
 * (thread-safely), at the first call: set it before the process starts or
 * before its first fault point.  When it is unset a call costs one load
 * and a branch.
 */
void vw_fault_point(const char *step);

/**
 * vw_fault_armed:
 *
 * Returns: whether VIRTWIRE_FAULT names any step in this process.  Code
 * that overlaps a file write with other steps does it in order instead when
 * armed, so that an injected exit never lands in the middle of a write (a
 * real crash there leaves the old file: writes are atomic).
 */
gboolean vw_fault_armed(void);

G_END_DECLS
