#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "vw-libvirt.h"
#include "vw-test-shim.h"

static int saved_stderr = -1;
static FILE *capture_file;

gboolean
vw_test_stderr_begin(void)
{
    g_return_val_if_fail(saved_stderr < 0, FALSE);
    fflush(stderr);
    capture_file = tmpfile();
    if (!capture_file)
        return FALSE;
    saved_stderr = dup(STDERR_FILENO);
    if (saved_stderr < 0 || dup2(fileno(capture_file), STDERR_FILENO) < 0) {
        fclose(capture_file);
        capture_file = NULL;
        return FALSE;
    }
    return TRUE;
}

char *
vw_test_stderr_end(void)
{
    GString *out = g_string_new(NULL);
    char buf[4096];
    size_t n;

    g_return_val_if_fail(saved_stderr >= 0, NULL);
    fflush(stderr);
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    saved_stderr = -1;
    rewind(capture_file);
    while ((n = fread(buf, 1, sizeof(buf), capture_file)) > 0)
        g_string_append_len(out, buf, (gssize)n);
    fclose(capture_file);
    capture_file = NULL;
    return g_string_free(out, FALSE);
}

GPtrArray *
vw_test_api_functions(const char *paths, GError **error)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) files = g_strsplit(paths, ":", -1);

    for (int i = 0; files[i]; i++) {
        xmlDocPtr doc;

        if (!*files[i])
            continue;
        doc = xmlReadFile(files[i], NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
        if (!doc) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot parse '%s'", files[i]);
            return NULL;
        }
        for (xmlNodePtr sec = xmlDocGetRootElement(doc)->children; sec; sec = sec->next) {
            if (sec->type != XML_ELEMENT_NODE || !xmlStrEqual(sec->name, BAD_CAST "symbols"))
                continue;
            for (xmlNodePtr fn = sec->children; fn; fn = fn->next) {
                xmlChar *name;
                if (fn->type != XML_ELEMENT_NODE || !xmlStrEqual(fn->name, BAD_CAST "function"))
                    continue;
                name = xmlGetProp(fn, BAD_CAST "name");
                g_ptr_array_add(names, g_strdup((const char *)name));
                xmlFree(name);
            }
        }
        xmlFreeDoc(doc);
    }
    return g_steal_pointer(&names);
}

char *
vw_test_blank_comments_and_strings(const char *text)
{
    char *out = g_strdup(text);
    enum { CODE, LINE_COMMENT, BLOCK_COMMENT, STRING, CHAR } state = CODE;

    for (char *p = out; *p; p++) {
        switch (state) {
        case CODE:
            if (p[0] == '/' && p[1] == '/')
                state = LINE_COMMENT;
            else if (p[0] == '/' && p[1] == '*')
                state = BLOCK_COMMENT;
            else if (p[0] == '"')
                state = STRING;
            else if (p[0] == '\'')
                state = CHAR;
            else
                continue;
            *p = ' ';
            break;
        case LINE_COMMENT:
            if (*p == '\n')
                state = CODE;
            else
                *p = ' ';
            break;
        case BLOCK_COMMENT:
            if (p[0] == '*' && p[1] == '/') {
                p[0] = p[1] = ' ';
                p++;
                state = CODE;
            } else if (*p != '\n') {
                *p = ' ';
            }
            break;
        case STRING:
        case CHAR:
            if (p[0] == '\\' && p[1]) {
                p[0] = ' ';
                if (p[1] != '\n')
                    p[1] = ' ';
                p++;
            } else if (*p == (state == STRING ? '"' : '\'')) {
                *p = ' ';
                state = CODE;
            } else if (*p != '\n') {
                *p = ' ';
            }
            break;
        }
    }
    return out;
}

GPtrArray *
vw_test_direct_calls(const char *text, GHashTable *names)
{
    GPtrArray *hits = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GRegex) re =
        g_regex_new("(?<![A-Za-z0-9_])(vir[A-Z][A-Za-z0-9_]*)\\s*\\(", G_REGEX_MULTILINE, 0, NULL);
    g_autoptr(GMatchInfo) match = NULL;

    g_regex_match(re, text, 0, &match);
    while (g_match_info_matches(match)) {
        g_autofree char *name = g_match_info_fetch(match, 1);
        int start = 0;

        if (g_hash_table_contains(names, name)) {
            guint line = 1;
            g_match_info_fetch_pos(match, 1, &start, NULL);
            for (int i = 0; i < start; i++)
                line += text[i] == '\n';
            g_ptr_array_add(hits, g_strdup_printf("%u:%s", line, name));
        }
        g_match_info_next(match, NULL);
    }
    return hits;
}

gboolean
vw_test_has_translatable_strings(const char *text)
{
    return g_regex_match_simple("(?<![A-Za-z0-9_])N?_\\(\\s*\"", text, 0, 0);
}

typedef struct {
    virConnectPtr conn;
    guint index;
    guint iterations;
    VwThreadErrorStats stats;
} ThreadJob;

static gpointer
thread_errors_run(gpointer data)
{
    ThreadJob *job = data;

    for (guint i = 0; i < job->iterations; i++) {
        g_auto(virError) err = VW_ERROR_INIT;
        g_autofree char *unit = g_strdup_printf("vwt%02ux%05u", job->index, i);
        g_autofree char *xml = g_strdup_printf(
            "<domain type='test'><name>vw-thread-%u</name>"
            "<memory unit='%s'>1024</memory><os><type>hvm</type></os></domain>",
            job->index, unit);
        g_autofree char *expect = g_strdup_printf("'%s'", unit);
        virDomainPtr dom = virDomainDefineXMLWrapper(job->conn, xml, &err);

        job->stats.calls++;
        if (dom) {
            /* Cannot happen with a bogus unit; count it and clean up. */
            job->stats.wrong_code++;
            virDomainUndefineWrapper(dom, NULL);
            virDomainFreeWrapper(dom, NULL);
            continue;
        }
        if (err.code == VIR_ERR_OK || !err.message)
            job->stats.empties++;
        else if (!strstr(err.message, expect))
            job->stats.mismatches++;
        if (err.code != VIR_ERR_OK && err.code != VIR_ERR_INVALID_ARG)
            job->stats.wrong_code++;
    }
    return NULL;
}

gboolean
vw_test_thread_errors(guint n_threads, guint iterations, VwThreadErrorStats *stats, GError **error)
{
    g_auto(virError) err = VW_ERROR_INIT;
    g_autoptr(virConnect) conn = virConnectOpenWrapper("test:///default", &err);
    g_autofree ThreadJob *jobs = g_new0(ThreadJob, n_threads);
    g_autofree GThread **threads = g_new0(GThread *, n_threads);

    if (!conn)
        return vw_libvirt_error_set(error, &err);
    for (guint t = 0; t < n_threads; t++) {
        jobs[t].conn = conn;
        jobs[t].index = t;
        jobs[t].iterations = iterations;
        threads[t] = g_thread_new("vw-errors", thread_errors_run, &jobs[t]);
    }
    memset(stats, 0, sizeof(*stats));
    for (guint t = 0; t < n_threads; t++) {
        g_thread_join(threads[t]);
        stats->calls += jobs[t].stats.calls;
        stats->mismatches += jobs[t].stats.mismatches;
        stats->empties += jobs[t].stats.empties;
        stats->wrong_code += jobs[t].stats.wrong_code;
    }
    return TRUE;
}
