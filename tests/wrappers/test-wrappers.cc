// The generated libvirt wrappers, against libvirt's in-process test:///default
// driver: coverage of the API descriptions, error values, capture rules,
// thread affinity of errors, silence on stderr, and the GError bridge.
#include <config.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "vw-libvirt.h"
#include "vw-test-shim.h"
#include "vw-wrapper-table.h"

namespace {

const char *kTestUri = "test:///default";
const char *kInactiveXml = "<domain type='test'><name>vw-inactive</name>"
                           "<memory unit='KiB'>1024</memory><os><type>hvm</type></os></domain>";

virConnectPtr
OpenTestConnection()
{
    g_auto(virError) err = VW_ERROR_INIT;
    virConnectPtr conn = virConnectOpenWrapper(kTestUri, &err);
    EXPECT_NE(conn, nullptr) << (err.message ? err.message : "");
    return conn;
}

// Undefines a domain on scope exit, whatever the test's outcome.
struct DefinedDomain {
    virDomainPtr dom = nullptr;
    ~DefinedDomain()
    {
        if (dom) {
            virDomainUndefineWrapper(dom, nullptr);
            virDomainFreeWrapper(dom, nullptr);
        }
    }
};

} // namespace

TEST(Coverage, EveryApiFunctionIsWrappedOrExcludedWithAReason)
{
    const char *paths = g_getenv("VW_LIBVIRT_API_XML");
    ASSERT_NE(paths, nullptr) << "meson sets VW_LIBVIRT_API_XML";
    g_autoptr(GError) error = nullptr;
    g_autoptr(GPtrArray) names = vw_test_api_functions(paths, &error);
    ASSERT_NE(names, nullptr) << error->message;

    std::set<std::string> table;
    guint wrapped = 0, excluded = 0;
    for (gsize i = 0; i < vw_wrapper_table_len; i++) {
        const VwWrapperInfo *info = &vw_wrapper_table[i];
        table.insert(info->name);
        ASSERT_NE(info->reason, nullptr) << info->name;
        ASSERT_STRNE(info->reason, "") << info->name;
        if (g_str_equal(info->convention, "exclude")) {
            EXPECT_EQ(info->wrapper, nullptr) << info->name;
            excluded++;
        } else {
            EXPECT_NE(info->wrapper, nullptr) << info->name;
            wrapped++;
        }
    }
    for (guint i = 0; i < names->len; i++) {
        const char *name = static_cast<const char *>(g_ptr_array_index(names, i));
        EXPECT_TRUE(table.count(name)) << name << " is neither wrapped nor excluded";
    }
    EXPECT_EQ(table.size(), names->len) << "the table names functions libvirt does not describe";
    EXPECT_EQ(wrapped, vw_wrapper_n_wrapped);
    EXPECT_EQ(excluded, vw_wrapper_n_excluded);
    EXPECT_GT(wrapped, 500u);
    std::printf("libvirt functions described: %u; wrapped: %u; excluded with a reason: %u\n",
                names->len, wrapped, excluded);
    for (gsize i = 0; i < vw_wrapper_table_len; i++) {
        if (g_str_equal(vw_wrapper_table[i].convention, "exclude"))
            std::printf("  excluded %-24s %s\n", vw_wrapper_table[i].name,
                        vw_wrapper_table[i].reason);
    }
}

TEST(Errors, MissingDomainIsNoDomainFromTestDriver)
{
    g_autoptr(virConnect) conn = OpenTestConnection();
    ASSERT_NE(conn, nullptr);
    g_auto(virError) err = VW_ERROR_INIT;

    virDomainPtr dom = virDomainLookupByNameWrapper(conn, "vw-no-such-domain", &err);
    EXPECT_EQ(dom, nullptr);
    EXPECT_EQ(err.code, VIR_ERR_NO_DOMAIN);
    EXPECT_EQ(err.domain, VIR_FROM_TEST);
    EXPECT_EQ(err.level, VIR_ERR_ERROR);
    ASSERT_NE(err.message, nullptr);
}

TEST(Errors, GetIDOfInactiveDomainIsNoError)
{
    g_autoptr(virConnect) conn = OpenTestConnection();
    ASSERT_NE(conn, nullptr);
    g_auto(virError) err = VW_ERROR_INIT;
    DefinedDomain d;

    d.dom = virDomainDefineXMLWrapper(conn, kInactiveXml, &err);
    ASSERT_NE(d.dom, nullptr) << err.message;
    EXPECT_EQ(virDomainGetIDWrapper(d.dom, &err), (unsigned int)-1);
    EXPECT_EQ(err.code, VIR_ERR_OK);
    EXPECT_EQ(err.message, nullptr);
}

TEST(Errors, GetIDOfBadDomainIsAnError)
{
    g_auto(virError) err = VW_ERROR_INIT;

    EXPECT_EQ(virDomainGetIDWrapper(nullptr, &err), (unsigned int)-1);
    EXPECT_EQ(err.code, VIR_ERR_INVALID_DOMAIN);
}

TEST(Errors, NullConnectionIsInvalidConn)
{
    g_auto(virError) err = VW_ERROR_INIT;

    EXPECT_EQ(virConnectNumOfDomainsWrapper(nullptr, &err), -1);
    EXPECT_EQ(err.code, VIR_ERR_INVALID_CONN);
}

TEST(Errors, UnsupportedCallIsNoSupport)
{
    g_autoptr(virConnect) conn = OpenTestConnection();
    ASSERT_NE(conn, nullptr);
    g_auto(virError) err = VW_ERROR_INIT;
    g_autoptr(virDomain) dom = virDomainLookupByNameWrapper(conn, "test", &err);
    ASSERT_NE(dom, nullptr) << err.message;
    char *reply = nullptr;

    EXPECT_EQ(virDomainQemuMonitorCommandWrapper(dom, "info status", &reply, 0, &err), -1);
    EXPECT_EQ(err.code, VIR_ERR_NO_SUPPORT);
    EXPECT_EQ(reply, nullptr);
}

TEST(Errors, FailureWithoutAnErrorIsSynthesised)
{
    // No event loop is registered in this process: the call fails with -1
    // and libvirt sets no error of its own.
    g_auto(virError) err = VW_ERROR_INIT;

    EXPECT_EQ(virEventAddTimeoutWrapper(1000, nullptr, nullptr, nullptr, &err), -1);
    EXPECT_EQ(err.code, VIR_ERR_INTERNAL_ERROR);
    EXPECT_EQ(err.domain, VIR_FROM_NONE);
    ASSERT_NE(err.message, nullptr);
    EXPECT_STREQ(err.message, "virEventAddTimeout failed without setting an error");
}

TEST(Errors, OlderErrorIsNotTakenForALaterCallsOne)
{
    g_autoptr(virConnect) conn = OpenTestConnection();
    ASSERT_NE(conn, nullptr);
    g_auto(virError) err = VW_ERROR_INIT;

    EXPECT_EQ(virDomainLookupByNameWrapper(conn, "vw-no-such-domain", &err), nullptr);
    ASSERT_EQ(err.code, VIR_ERR_NO_DOMAIN);
    // virEventAddHandle neither clears nor sets the thread's error.
    EXPECT_EQ(virEventAddHandleWrapper(0, 0, nullptr, nullptr, nullptr, &err), -1);
    EXPECT_EQ(err.code, VIR_ERR_INTERNAL_ERROR);
    EXPECT_STREQ(err.message, "virEventAddHandle failed without setting an error");
}

// virNodeDeviceGetParent may return NULL without an error (a device without a
// parent, on some drivers); when libvirt does set one, as the test driver does
// for its root device, the wrapper still reports it.
TEST(Errors, MaybeValidConventionStillReportsARealError)
{
    g_autoptr(virConnect) conn = OpenTestConnection();
    ASSERT_NE(conn, nullptr);
    g_auto(virError) err = VW_ERROR_INIT;
    g_autoptr(virNodeDevice) root = virNodeDeviceLookupByNameWrapper(conn, "computer", &err);
    ASSERT_NE(root, nullptr) << err.message;
    g_autoptr(virNodeDevice) child = virNodeDeviceLookupByNameWrapper(conn, "scsi_host1", &err);
    ASSERT_NE(child, nullptr) << err.message;

    EXPECT_EQ(virNodeDeviceGetParentWrapper(root, &err), nullptr);
    EXPECT_EQ(err.code, VIR_ERR_INTERNAL_ERROR);
    EXPECT_EQ(err.domain, VIR_FROM_TEST);
    EXPECT_STREQ(virNodeDeviceGetParentWrapper(child, &err), "computer");
    EXPECT_EQ(err.code, VIR_ERR_OK);
}

TEST(Errors, SuccessAfterFailureLeavesErrAtOk)
{
    g_autoptr(virConnect) conn = OpenTestConnection();
    ASSERT_NE(conn, nullptr);
    g_auto(virError) err = VW_ERROR_INIT;

    EXPECT_EQ(virDomainLookupByNameWrapper(conn, "vw-no-such-domain", &err), nullptr);
    ASSERT_EQ(err.code, VIR_ERR_NO_DOMAIN);
    EXPECT_GE(virConnectNumOfDomainsWrapper(conn, &err), 1);
    EXPECT_EQ(err.code, VIR_ERR_OK);
    EXPECT_EQ(err.domain, VIR_FROM_NONE);
    EXPECT_EQ(err.message, nullptr);
    EXPECT_EQ(err.str1, nullptr);
}

TEST(Errors, NullErrIsAccepted)
{
    g_autoptr(virConnect) conn = OpenTestConnection();
    ASSERT_NE(conn, nullptr);

    EXPECT_EQ(virDomainLookupByNameWrapper(conn, "vw-no-such-domain", nullptr), nullptr);
    EXPECT_GE(virConnectNumOfDomainsWrapper(conn, nullptr), 1);
}

TEST(Threads, EachThreadCapturesItsOwnError)
{
    VwThreadErrorStats stats;
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_test_thread_errors(16, 1000, &stats, &error)) << error->message;
    std::printf("failing calls: %u; mismatches: %u; empty errors: %u; wrong codes: %u\n",
                stats.calls, stats.mismatches, stats.empties, stats.wrong_code);
    EXPECT_EQ(stats.calls, 16u * 1000u);
    EXPECT_EQ(stats.mismatches, 0u);
    EXPECT_EQ(stats.empties, 0u);
    EXPECT_EQ(stats.wrong_code, 0u);
}

TEST(Stderr, NothingIsPrintedOnFailures)
{
    ASSERT_TRUE(vw_test_stderr_begin());
    {
        g_auto(virError) err = VW_ERROR_INIT;
        virConnectPtr conn = virConnectOpenWrapper(kTestUri, &err);
        if (conn) {
            virDomainLookupByNameWrapper(conn, "vw-no-such-domain", &err);
            virDomainDefineXMLWrapper(conn, "<domain", &err);
            virConnectCloseWrapper(conn, &err);
        }
        virConnectNumOfDomainsWrapper(nullptr, &err);
        virEventAddTimeoutWrapper(1, nullptr, nullptr, nullptr, &err);
        virConnectPtr bogus = virConnectOpenWrapper("vw-bogus:///nowhere", &err);
        if (bogus)
            virConnectCloseWrapper(bogus, nullptr);
    }
    g_autofree char *written = vw_test_stderr_end();
    EXPECT_STREQ(written, "");
}

TEST(GError, KeepsLibvirtCodeOriginAndMessage)
{
    g_autoptr(virConnect) conn = OpenTestConnection();
    ASSERT_NE(conn, nullptr);
    g_auto(virError) err = VW_ERROR_INIT;
    g_autoptr(GError) error = nullptr;

    ASSERT_EQ(virDomainLookupByNameWrapper(conn, "vw-no-such-domain", &err), nullptr);
    EXPECT_FALSE(vw_libvirt_error_set(&error, &err));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_LIBVIRT_ERROR, VIR_ERR_NO_DOMAIN));
    EXPECT_STREQ(error->message, err.message);
    EXPECT_EQ(vw_libvirt_error_get_origin(error), VIR_FROM_TEST);
    EXPECT_EQ(vw_libvirt_error_get_level(error), VIR_ERR_ERROR);

    // The origin survives a copy and a prefix.
    g_autoptr(GError) copy = g_error_copy(error);
    g_prefix_error(&copy, "while testing: ");
    EXPECT_EQ(vw_libvirt_error_get_origin(copy), VIR_FROM_TEST);

    g_autoptr(GError) other = g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_FAILED, "x");
    EXPECT_EQ(vw_libvirt_error_get_origin(other), -1);
}

TEST(Autoptr, ReleasesConnectionThroughTheWrappers)
{
    g_auto(virError) err = VW_ERROR_INIT;
    virConnectPtr conn = virConnectOpenWrapper(kTestUri, &err);
    ASSERT_NE(conn, nullptr);
    ASSERT_EQ(virConnectRefWrapper(conn, &err), 0);
    {
        g_autoptr(virConnect) scoped = conn;
    }
    // One reference was dropped by the cleanup; this close drops the last.
    EXPECT_EQ(virConnectCloseWrapper(conn, &err), 0);
}
