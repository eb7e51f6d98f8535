/*
 * The C shim between the Google Test suites (C++) and virtwire's C code:
 * helpers that are natural in C (fd plumbing, GLib, libxml2, threads over the
 * wrapper layer) exposed with plain C signatures.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Redirect fd 2 into a temporary file until vw_test_stderr_end(), which
 * restores it and returns what was written (g_free it). */
gboolean vw_test_stderr_begin(void);
char *vw_test_stderr_end(void);

/* Names of every <function> in the libvirt API descriptions listed in
 * @paths (separated by ':'); NULL with @error set on failure. */
GPtrArray *vw_test_api_functions(const char *paths, GError **error);

/* A copy of C/C++ source @text with comments, string and character literals
 * blanked (newlines kept, so line numbers still match). */
char *vw_test_blank_comments_and_strings(const char *text);

/* Identifiers in @text that are libvirt functions (members of @names) called
 * directly, i.e. followed by '(' ; each as "LINE:NAME". */
GPtrArray *vw_test_direct_calls(const char *text, GHashTable *names);

/* Calls that look like gettext markers: _("...") / N_("..."). */
gboolean vw_test_has_translatable_strings(const char *text);

typedef struct {
    guint calls;       /* failing calls made */
    guint mismatches;  /* captured error carried another thread's value */
    guint empties;     /* captured error was VIR_ERR_OK or had no message */
    guint wrong_code;  /* captured error had an unexpected code */
} VwThreadErrorStats;

/* Start @n_threads threads on one shared test:///default connection, each
 * making @iterations failing virDomainDefineXML calls whose bogus memory
 * unit names the thread and iteration; count errors that are not their own. */
gboolean vw_test_thread_errors(guint n_threads, guint iterations, VwThreadErrorStats *stats,
                               GError **error);

G_END_DECLS
