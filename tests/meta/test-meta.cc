// Rules about the source tree itself: nothing outside wrappers/ calls libvirt
// directly, and po/POTFILES.in names every file with translatable strings.
#include <config.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>

#include "vw-test-shim.h"

namespace {

// Folders allowed to call libvirt directly: the wrapper layer, its tests, and
// the reference side of the wrapper benchmark.
const char *const kExempt[] = { "wrappers/", "tests/wrappers/", "bench/wrappers/" };
// Error-struct helpers that touch only caller-owned memory.
const char *const kAllowed[] = { "virResetError", "virFreeError" };
const char *const kTopFolders[] = { "wrappers", "xml", "src", "tools", "tests", "bench" };

void
CollectSources(const std::string &root, const std::string &rel, std::vector<std::string> *out)
{
    std::string path = root + "/" + rel;
    g_autoptr(GDir) dir = g_dir_open(path.c_str(), 0, nullptr);
    if (!dir)
        return;
    while (const char *name = g_dir_read_name(dir)) {
        std::string child = rel + "/" + name;
        std::string full = root + "/" + child;
        if (g_file_test(full.c_str(), G_FILE_TEST_IS_DIR)) {
            if (name[0] != '.')
                CollectSources(root, child, out);
        } else if (g_str_has_suffix(name, ".c") || g_str_has_suffix(name, ".h") ||
                   g_str_has_suffix(name, ".cc") || g_str_has_suffix(name, ".cpp")) {
            out->push_back(child);
        }
    }
}

std::vector<std::string>
AllSources()
{
    std::vector<std::string> files;
    for (const char *top : kTopFolders)
        CollectSources(VW_SOURCE_ROOT, top, &files);
    return files;
}

GHashTable *
LibvirtFunctionNames()
{
    g_autoptr(GError) error = nullptr;
    g_autoptr(GPtrArray) names = vw_test_api_functions(g_getenv("VW_LIBVIRT_API_XML"), &error);
    EXPECT_NE(names, nullptr) << (error ? error->message : "");
    GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, nullptr);
    for (guint i = 0; names && i < names->len; i++)
        g_hash_table_add(set, g_strdup((const char *)g_ptr_array_index(names, i)));
    for (const char *allowed : kAllowed)
        g_hash_table_remove(set, allowed);
    return set;
}

std::vector<std::string>
DirectCalls(const char *source, GHashTable *names)
{
    g_autofree char *code = vw_test_blank_comments_and_strings(source);
    g_autoptr(GPtrArray) hits = vw_test_direct_calls(code, names);
    std::vector<std::string> out;
    for (guint i = 0; i < hits->len; i++)
        out.push_back((const char *)g_ptr_array_index(hits, i));
    return out;
}

// Translatable strings (_("..." or N_("...") that go on after a literal with
// a macro (`_("... %" G_GSIZE_FORMAT " bytes")`): xgettext cannot expand it
// and cuts the msgid at the "%".  Only <inttypes.h>'s PRI* macros are known to
// xgettext.  Returns "LINE: MACRO" for each.
std::vector<std::string>
MacrosInMsgids(const std::string &src)
{
    std::vector<std::string> out;
    auto skip_space = [&](size_t i) {
        while (i < src.size() && g_ascii_isspace(src[i]))
            i++;
        return i;
    };
    auto is_ident = [](char c) { return g_ascii_isalnum(c) || c == '_'; };
    for (size_t at = src.find("_("); at != std::string::npos; at = src.find("_(", at + 2)) {
        size_t start = at;
        if (start > 0 && src[start - 1] == 'N')
            start--;
        if (start > 0 && is_ident(src[start - 1]))
            continue;
        size_t i = skip_space(at + 2);
        if (i >= src.size() || src[i] != '"')
            continue;
        for (;;) {
            if (i < src.size() && src[i] == '"') {
                for (i++; i < src.size() && src[i] != '"'; i++)
                    if (src[i] == '\\')
                        i++;
                i = skip_space(i + 1);
                continue;
            }
            size_t end = i;
            while (end < src.size() && is_ident(src[end]))
                end++;
            if (end == i)
                break; // ")" or ",": the msgid ends here
            std::string macro = src.substr(i, end - i);
            if (!g_str_has_prefix(macro.c_str(), "PRI"))
                out.push_back(std::to_string(std::count(src.begin(), src.begin() + i, '\n') + 1) +
                              ": " + macro);
            i = skip_space(end);
        }
    }
    return out;
}

} // namespace

TEST(Guard, DetectsDirectCallsAndIgnoresWrappersCommentsAndStrings)
{
    g_autoptr(GHashTable) names = LibvirtFunctionNames();
    ASSERT_GT(g_hash_table_size(names), 500u);

    auto hits = DirectCalls("int x;\nid = virDomainGetID (dom);\n", names);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0], "2:virDomainGetID");
    EXPECT_TRUE(DirectCalls("id = virDomainGetIDWrapper(dom, &err);", names).empty());
    EXPECT_TRUE(DirectCalls("/* virDomainGetID(dom) */ // virDomainFree(d)\n", names).empty());
    EXPECT_TRUE(DirectCalls("puts(\"virDomainGetID(dom)\");", names).empty());
    EXPECT_TRUE(DirectCalls("g_auto(virError) e; virResetError(&e);", names).empty());
    EXPECT_EQ(DirectCalls("p = &virConnectOpen ; q = virConnectOpen(uri);", names).size(), 1u);
}

TEST(Guard, NoDirectLibvirtCallsOutsideWrappers)
{
    g_autoptr(GHashTable) names = LibvirtFunctionNames();
    guint scanned = 0;

    for (const std::string &file : AllSources()) {
        bool exempt = false;
        for (const char *prefix : kExempt)
            exempt = exempt || g_str_has_prefix(file.c_str(), prefix);
        if (exempt)
            continue;
        std::string path = std::string(VW_SOURCE_ROOT) + "/" + file;
        g_autofree char *text = nullptr;
        ASSERT_TRUE(g_file_get_contents(path.c_str(), &text, nullptr, nullptr)) << path;
        for (const std::string &hit : DirectCalls(text, names))
            ADD_FAILURE() << file << ":" << hit
                          << ": calls libvirt directly; use the generated ...Wrapper()";
        scanned++;
    }
    EXPECT_GT(scanned, 0u);
    std::printf("scanned %u source files outside the wrapper layer\n", scanned);
}

TEST(Potfiles, ListsEveryFileWithTranslatableStringsAndNothingElse)
{
    std::string potfiles = std::string(VW_SOURCE_ROOT) + "/po/POTFILES.in";
    g_autofree char *text = nullptr;
    ASSERT_TRUE(g_file_get_contents(potfiles.c_str(), &text, nullptr, nullptr));

    std::set<std::string> listed;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        const char *line = g_strstrip(lines[i]);
        if (*line == '\0' || *line == '#')
            continue;
        std::string full = std::string(VW_SOURCE_ROOT) + "/" + line;
        EXPECT_TRUE(g_file_test(full.c_str(), G_FILE_TEST_IS_REGULAR))
            << "po/POTFILES.in names a missing file: " << line;
        listed.insert(line);
    }

    guint with_strings = 0;
    for (const std::string &file : AllSources()) {
        if (g_str_has_prefix(file.c_str(), "tests/") || g_str_has_prefix(file.c_str(), "bench/"))
            continue;
        std::string path = std::string(VW_SOURCE_ROOT) + "/" + file;
        g_autofree char *src = nullptr;
        ASSERT_TRUE(g_file_get_contents(path.c_str(), &src, nullptr, nullptr));
        if (vw_test_has_translatable_strings(src)) {
            with_strings++;
            EXPECT_TRUE(listed.count(file)) << file << " has translatable strings but is not in "
                                            << "po/POTFILES.in";
        } else {
            EXPECT_FALSE(listed.count(file)) << file << " is in po/POTFILES.in but has no "
                                             << "translatable strings";
        }
    }
    EXPECT_GT(with_strings, 0u);
}

// xgettext cannot expand GLib's format macros: a msgid with one is cut short
// and never translated.  Such numbers go in as %lu (cast) or as text.
TEST(Potfiles, NoMsgidIsCutByAFormatMacro)
{
    EXPECT_EQ(MacrosInMsgids("_(\"a %\" G_GSIZE_FORMAT \" b\")"),
              std::vector<std::string>{ "1: G_GSIZE_FORMAT" });
    EXPECT_EQ(MacrosInMsgids("N_(\"a\"\n  \"b %\" G_GUINT64_FORMAT)"),
              std::vector<std::string>{ "2: G_GUINT64_FORMAT" });
    EXPECT_TRUE(MacrosInMsgids("_(\"a %\" PRIu64 \" b\"), X, g_(\"c\" Y)").empty());
    EXPECT_TRUE(MacrosInMsgids("_(\"say \\\"%lu\\\"\"), G_GSIZE_FORMAT").empty());

    guint scanned = 0;
    for (const std::string &file : AllSources()) {
        if (g_str_has_prefix(file.c_str(), "tests/") || g_str_has_prefix(file.c_str(), "bench/"))
            continue;
        std::string path = std::string(VW_SOURCE_ROOT) + "/" + file;
        g_autofree char *src = nullptr;
        ASSERT_TRUE(g_file_get_contents(path.c_str(), &src, nullptr, nullptr));
        for (const std::string &hit : MacrosInMsgids(src))
            ADD_FAILURE() << file << ":" << hit << " inside a translatable string";
        scanned++;
    }
    EXPECT_GT(scanned, 0u);
}
