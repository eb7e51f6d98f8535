#pragma once

/* What the engine's integration test fixtures share: the programs they need
 * and a scratch state root with an engine on it. */

#include <string>

#include <glib.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "vw-engine.h"
#include "vw-net-testutil.h"

/* Skip the test where the machine lacks dnsmasq (every started network with
 * an address runs one). */
#define VW_REQUIRE_ENGINE_DNSMASQ()                                                                \
    do {                                                                                           \
        g_autofree char *vw_dnsmasq_ = g_find_program_in_path("dnsmasq");                         \
        if (!vw_dnsmasq_ && !g_file_test("/usr/sbin/dnsmasq", G_FILE_TEST_EXISTS))                 \
            GTEST_SKIP() << "machine lacks: dnsmasq (scripts/setup installs it)";                  \
    } while (0)

namespace vwtest {

/* A fresh state root PREFIX-XXXXXX in the temporary folder, mode 0755
 * (dnsmasq drops privileges and must reach its files under it), and an
 * engine opened on it, into @root and @engine. */
inline ::testing::AssertionResult
ScratchEngine(const char *prefix, std::string *root, VwEngine **engine)
{
    g_autoptr(GError) error = nullptr;
    g_autofree char *tmpl = g_strconcat(prefix, "-XXXXXX", nullptr);
    g_autofree char *dir = g_dir_make_tmp(tmpl, &error);

    if (!dir)
        return ::testing::AssertionFailure() << error->message;
    *root = dir;
    if (chmod(dir, 0755) != 0)
        return ::testing::AssertionFailure() << "cannot chmod " << dir;
    *engine = vw_engine_open(dir, &error);
    if (!*engine)
        return ::testing::AssertionFailure() << error->message;
    return ::testing::AssertionSuccess();
}

} // namespace vwtest
