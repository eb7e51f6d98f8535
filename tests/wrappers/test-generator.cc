// vw-wrapgen itself: a function without an error convention, a line without a
// reason, or a convention that cannot fit the return type fails the build
// with a message that names the function.
#include <config.h>

#include <cstring>
#include <string>

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

namespace {

struct GenResult {
    int status = -1;
    std::string err;
};

class Generator : public ::testing::Test {
  protected:
    void SetUp() override
    {
        g_autoptr(GError) error = nullptr;
        ASSERT_NE(g_getenv("VW_CONVENTIONS"), nullptr) << "meson sets VW_CONVENTIONS";
        ASSERT_NE(g_getenv("VW_WRAPGEN"), nullptr) << "meson sets VW_WRAPGEN";
        ASSERT_NE(g_getenv("VW_LIBVIRT_API_XML"), nullptr) << "meson sets VW_LIBVIRT_API_XML";
        dir_ = g_dir_make_tmp("vw-wrapgen-XXXXXX", &error);
        ASSERT_NE(dir_, nullptr) << error->message;
        ASSERT_TRUE(g_file_get_contents(g_getenv("VW_CONVENTIONS"), &conventions_, nullptr,
                                        &error))
            << error->message;
    }

    void TearDown() override
    {
        if (!dir_)
            return;
        const char *outs[] = { "conv.txt", "w.h", "w.c", "t.c" };
        for (const char *o : outs) {
            g_autofree char *p = g_build_filename(dir_, o, nullptr);
            g_unlink(p);
        }
        g_rmdir(dir_);
        g_free(dir_);
        g_free(conventions_);
    }

    GenResult Run(const std::string &conventions)
    {
        GenResult r;
        g_autofree char *conv = g_build_filename(dir_, "conv.txt", nullptr);
        g_autofree char *h = g_build_filename(dir_, "w.h", nullptr);
        g_autofree char *c = g_build_filename(dir_, "w.c", nullptr);
        g_autofree char *t = g_build_filename(dir_, "t.c", nullptr);
        g_autofree char *out = nullptr;
        g_autofree char *err = nullptr;
        g_autoptr(GError) error = nullptr;
        g_auto(GStrv) apis = g_strsplit(g_getenv("VW_LIBVIRT_API_XML"), ":", -1);
        g_autoptr(GPtrArray) argv = g_ptr_array_new();

        EXPECT_TRUE(g_file_set_contents(conv, conventions.c_str(), -1, nullptr));
        const char *fixed[] = { g_getenv("VW_WRAPGEN"), "--conventions", conv, "--header", h,
                                "--source", c, "--table", t };
        for (const char *a : fixed)
            g_ptr_array_add(argv, (gpointer)a);
        for (int i = 0; apis[i]; i++)
            g_ptr_array_add(argv, apis[i]);
        g_ptr_array_add(argv, nullptr);
        EXPECT_TRUE(g_spawn_sync(nullptr, (char **)argv->pdata, nullptr, G_SPAWN_DEFAULT,
                                 nullptr, nullptr, &out, &err, &r.status, &error))
            << error->message;
        r.err = err ? err : "";
        return r;
    }

    std::string Without(const char *func)
    {
        std::string kept;
        g_auto(GStrv) lines = g_strsplit(conventions_, "\n", -1);
        for (int i = 0; lines[i]; i++) {
            if (g_str_has_prefix(lines[i], func) && g_ascii_isspace(lines[i][strlen(func)]))
                continue;
            kept += lines[i];
            kept += "\n";
        }
        return kept;
    }

    char *dir_ = nullptr;
    char *conventions_ = nullptr;
};

} // namespace

TEST_F(Generator, CheckedInConventionsGenerate)
{
    GenResult r = Run(conventions_);
    EXPECT_TRUE(g_spawn_check_wait_status(r.status, nullptr)) << r.err;
    EXPECT_EQ(r.err, "");
}

TEST_F(Generator, UnclassifiedFunctionFailsTheBuild)
{
    GenResult r = Run(Without("virDomainGetID"));
    EXPECT_FALSE(g_spawn_check_wait_status(r.status, nullptr));
    EXPECT_NE(r.err.find("have no error convention"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("virDomainGetID (libvirt, returns 'unsigned int')"), std::string::npos)
        << r.err;
}

TEST_F(Generator, AmbiguousDocumentationNeedsADecision)
{
    // virStreamSend documents -2 as "would block": no automatic rule applies.
    GenResult r = Run(Without("virStreamSend"));
    EXPECT_FALSE(g_spawn_check_wait_status(r.status, nullptr));
    EXPECT_NE(r.err.find("virStreamSend (libvirt, returns 'int')"), std::string::npos) << r.err;
}

TEST_F(Generator, ReasonIsMandatory)
{
    GenResult r = Run(Without("virDomainGetID") + "virDomainGetID allones-maybe\n");
    EXPECT_FALSE(g_spawn_check_wait_status(r.status, nullptr));
    EXPECT_NE(r.err.find("expected 'FUNCTION CONVENTION REASON...', got 'virDomainGetID "
                         "allones-maybe'"),
              std::string::npos)
        << r.err;
}

TEST_F(Generator, ConventionMustFitTheReturnType)
{
    GenResult r = Run(std::string(conventions_) + "virDomainGetName zero names are pointers\n");
    EXPECT_FALSE(g_spawn_check_wait_status(r.status, nullptr));
    EXPECT_NE(r.err.find("'virDomainGetName' returns 'const char *', which cannot carry "
                         "convention 'zero'"),
              std::string::npos)
        << r.err;
}

TEST_F(Generator, UnknownConventionIsRejected)
{
    GenResult r = Run(std::string(conventions_) + "virDomainGetName maybe-null a typo\n");
    EXPECT_FALSE(g_spawn_check_wait_status(r.status, nullptr));
    EXPECT_NE(r.err.find("unknown convention 'maybe-null' for 'virDomainGetName'"),
              std::string::npos)
        << r.err;
}

TEST_F(Generator, DuplicateLineIsRejected)
{
    GenResult r = Run(std::string(conventions_) + "virDomainGetID allones-maybe again\n");
    EXPECT_FALSE(g_spawn_check_wait_status(r.status, nullptr));
    EXPECT_NE(r.err.find("'virDomainGetID' is listed twice"), std::string::npos) << r.err;
}
