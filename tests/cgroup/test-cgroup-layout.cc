// Cgroup layouts and partition names (src/cgroup), without root: canned
// mountinfo and /proc/cgroups texts of v1 (cpu,cpuacct co-mounted and
// separate), v2, hybrid and systemd hosts from tests/data/cgroup, the
// partition-to-directory mapping libvirt uses, bad names, and the
// create/remove/rollback logic on a scratch directory tree posing as
// hierarchies.
#include <config.h>

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include "vw-cgroup.h"

namespace {

std::string
DataPath(const std::string &name)
{
    return std::string(VW_SOURCE_ROOT) + "/tests/data/cgroup/" + name;
}

std::string
ReadData(const std::string &name)
{
    g_autofree char *text = nullptr;
    g_autoptr(GError) error = nullptr;

    if (!g_file_get_contents(DataPath(name).c_str(), &text, nullptr, &error)) {
        ADD_FAILURE() << "cannot read " << name << ": " << error->message;
        return "";
    }
    return text;
}

// Parse tests/data/cgroup/BASE.mountinfo + BASE.cgroups.
VwCgroupLayout *
Canned(const std::string &base, bool systemd)
{
    g_autoptr(GError) error = nullptr;
    std::string mountinfo = ReadData(base + ".mountinfo");
    std::string cgroups = ReadData(base + ".cgroups");
    VwCgroupLayout *layout =
        vw_cgroup_layout_parse(mountinfo.c_str(), cgroups.c_str(), systemd, &error);

    EXPECT_NE(layout, nullptr) << base << ": " << (error ? error->message : "");
    return layout;
}

std::vector<std::string>
Names(const VwCgroupLayout *layout)
{
    std::vector<std::string> names;

    for (guint i = 0; i < vw_cgroup_layout_get_n_hierarchies(layout); i++)
        names.push_back(vw_cgroup_layout_get_hierarchy_name(layout, i));
    return names;
}

std::vector<std::string>
Strv(const char *const *strv)
{
    std::vector<std::string> out;

    for (guint i = 0; strv && strv[i]; i++)
        out.push_back(strv[i]);
    return out;
}

std::vector<std::string>
Paths(const VwCgroupLayout *layout, const char *partition)
{
    g_autoptr(GError) error = nullptr;
    g_autoptr(GPtrArray) paths = vw_cgroup_partition_paths(layout, partition, &error);
    std::vector<std::string> out;

    EXPECT_NE(paths, nullptr) << partition << ": " << (error ? error->message : "");
    for (guint i = 0; paths && i < paths->len; i++)
        out.push_back((const char *)g_ptr_array_index(paths, i));
    return out;
}

bool
IsDir(const std::string &path)
{
    return g_file_test(path.c_str(), G_FILE_TEST_IS_DIR);
}

// ---------------------------------------------------------------------------
// Layout parsing.

TEST(Layout, V1WithCpuAndCpuacctCoMounted)
{
    g_autoptr(VwCgroupLayout) layout = Canned("v1-comounted", false);
    ASSERT_NE(layout, nullptr);

    EXPECT_EQ(vw_cgroup_layout_get_kind(layout), VW_CGROUP_LAYOUT_V1);
    EXPECT_FALSE(vw_cgroup_layout_is_systemd(layout));
    EXPECT_EQ(Names(layout), (std::vector<std::string>{ "cpuset", "cpu,cpuacct", "blkio", "memory",
                                                        "devices", "freezer", "net_cls,net_prio",
                                                        "perf_event", "pids", "hugetlb" }));
    int cpu = vw_cgroup_layout_find_controller(layout, "cpu");
    ASSERT_GE(cpu, 0);
    EXPECT_EQ(vw_cgroup_layout_find_controller(layout, "cpuacct"), cpu);
    EXPECT_EQ(vw_cgroup_layout_find_controller(layout, "cpu,cpuacct"), cpu);
    EXPECT_STREQ(vw_cgroup_layout_get_mountpoint(layout, cpu), "/sys/fs/cgroup/cpu,cpuacct");
    EXPECT_EQ(Strv(vw_cgroup_layout_get_controllers(layout, cpu)),
              (std::vector<std::string>{ "cpu", "cpuacct" }));
    EXPECT_FALSE(vw_cgroup_layout_hierarchy_is_v2(layout, cpu));
    EXPECT_EQ(vw_cgroup_layout_find_controller(layout, VW_CGROUP_UNIFIED), -1);
    /* rdma is in no v1 hierarchy, and there is no v2 one to hold it. */
    EXPECT_EQ(vw_cgroup_layout_find_controller(layout, "rdma"), -1);
}

TEST(Layout, V1WithCpuAndCpuacctSeparate)
{
    g_autoptr(VwCgroupLayout) layout = Canned("v1-separate", false);
    ASSERT_NE(layout, nullptr);

    EXPECT_EQ(vw_cgroup_layout_get_kind(layout), VW_CGROUP_LAYOUT_V1);
    EXPECT_EQ(Names(layout),
              (std::vector<std::string>{ "cpu", "cpuacct", "cpuset", "memory", "devices",
                                         "freezer", "blkio", "pids", "name=systemd" }));
    int cpu = vw_cgroup_layout_find_controller(layout, "cpu");
    int cpuacct = vw_cgroup_layout_find_controller(layout, "cpuacct");
    ASSERT_GE(cpu, 0);
    ASSERT_GE(cpuacct, 0);
    EXPECT_NE(cpu, cpuacct);
    EXPECT_STREQ(vw_cgroup_layout_get_mountpoint(layout, cpu), "/sys/fs/cgroup/cpu");
    EXPECT_STREQ(vw_cgroup_layout_get_mountpoint(layout, cpuacct), "/sys/fs/cgroup/cpuacct");
    /* Mount options that are not controllers (clone_children) are not controllers. */
    int cpuset = vw_cgroup_layout_find_controller(layout, "cpuset");
    ASSERT_GE(cpuset, 0);
    EXPECT_EQ(Strv(vw_cgroup_layout_get_controllers(layout, cpuset)),
              (std::vector<std::string>{ "cpuset" }));
    EXPECT_GE(vw_cgroup_layout_find_controller(layout, "name=systemd"), 0);
}

TEST(Layout, V2Only)
{
    g_autoptr(VwCgroupLayout) layout = Canned("v2", false);
    ASSERT_NE(layout, nullptr);

    EXPECT_EQ(vw_cgroup_layout_get_kind(layout), VW_CGROUP_LAYOUT_V2);
    ASSERT_EQ(vw_cgroup_layout_get_n_hierarchies(layout), 1u);
    EXPECT_STREQ(vw_cgroup_layout_get_hierarchy_name(layout, 0), VW_CGROUP_UNIFIED);
    EXPECT_STREQ(vw_cgroup_layout_get_mountpoint(layout, 0), "/sys/fs/cgroup");
    EXPECT_TRUE(vw_cgroup_layout_hierarchy_is_v2(layout, 0));
    /* v2 names: blkio is io, cpuacct folds into cpu, no devices/freezer/net_* files. */
    EXPECT_EQ(Strv(vw_cgroup_layout_get_controllers(layout, 0)),
              (std::vector<std::string>{ "cpuset", "cpu", "io", "memory", "hugetlb", "pids",
                                         "rdma", "misc" }));
    EXPECT_EQ(vw_cgroup_layout_find_controller(layout, "memory"), 0);
    EXPECT_EQ(vw_cgroup_layout_find_controller(layout, VW_CGROUP_UNIFIED), 0);
    EXPECT_EQ(vw_cgroup_layout_find_controller(layout, "blkio"), -1);
}

TEST(Layout, HybridOfThisMachineKind)
{
    g_autoptr(VwCgroupLayout) layout = Canned("hybrid", false);
    ASSERT_NE(layout, nullptr);

    EXPECT_EQ(vw_cgroup_layout_get_kind(layout), VW_CGROUP_LAYOUT_HYBRID);
    EXPECT_FALSE(vw_cgroup_layout_is_systemd(layout));
    EXPECT_EQ(vw_cgroup_layout_get_n_hierarchies(layout), 10u);
    int unified = vw_cgroup_layout_find_controller(layout, VW_CGROUP_UNIFIED);
    ASSERT_GE(unified, 0);
    EXPECT_STREQ(vw_cgroup_layout_get_mountpoint(layout, unified), "/sys/fs/cgroup/unified");
    /* The unified hierarchy gets the controllers bound to no v1 hierarchy. */
    EXPECT_EQ(Strv(vw_cgroup_layout_get_controllers(layout, unified)),
              (std::vector<std::string>{ "hugetlb" }));
    EXPECT_EQ(vw_cgroup_layout_find_controller(layout, "hugetlb"), unified);
    EXPECT_FALSE(vw_cgroup_layout_hierarchy_is_v2(
        layout, (guint)vw_cgroup_layout_find_controller(layout, "memory")));
}

TEST(Layout, SystemdHybridAndSystemdV2)
{
    g_autoptr(VwCgroupLayout) hybrid = Canned("systemd-hybrid", true);
    g_autoptr(VwCgroupLayout) v2 = Canned("systemd-v2", true);
    ASSERT_NE(hybrid, nullptr);
    ASSERT_NE(v2, nullptr);

    EXPECT_TRUE(vw_cgroup_layout_is_systemd(hybrid));
    EXPECT_EQ(vw_cgroup_layout_get_kind(hybrid), VW_CGROUP_LAYOUT_HYBRID);
    int unified = vw_cgroup_layout_find_controller(hybrid, VW_CGROUP_UNIFIED);
    ASSERT_GE(unified, 0);
    /* systemd's hybrid mode: every controller is on v1, the unified one has none. */
    EXPECT_EQ(Strv(vw_cgroup_layout_get_controllers(hybrid, unified)),
              std::vector<std::string>{});
    EXPECT_STREQ(vw_cgroup_layout_get_hierarchy_name(hybrid, 0), VW_CGROUP_UNIFIED);
    EXPECT_STREQ(vw_cgroup_layout_get_hierarchy_name(hybrid, 1), "name=systemd");

    EXPECT_TRUE(vw_cgroup_layout_is_systemd(v2));
    EXPECT_EQ(vw_cgroup_layout_get_kind(v2), VW_CGROUP_LAYOUT_V2);
}

TEST(Layout, FirstMountOfAHierarchyWinsAndOddLinesAreIgnored)
{
    g_autoptr(VwCgroupLayout) layout = Canned("odd", false);
    ASSERT_NE(layout, nullptr);

    /* cpu,cpuacct twice (same device): the first, with its \040 unescaped;
     * "debug" is disabled so not a controller; a mount with no controller
     * and a line cut short are skipped; the second cgroup2 mount too. */
    EXPECT_EQ(Names(layout), (std::vector<std::string>{ "cpu,cpuacct", "memory", "unified" }));
    EXPECT_STREQ(vw_cgroup_layout_get_mountpoint(layout, 0), "/sys/fs/cgroup/cpu and more");
    EXPECT_STREQ(vw_cgroup_layout_get_mountpoint(layout, 2), "/sys/fs/cgroup/unified");
    EXPECT_EQ(Strv(vw_cgroup_layout_get_controllers(layout, 2)),
              (std::vector<std::string>{ "pids", "io" }));
    EXPECT_EQ(vw_cgroup_layout_get_kind(layout), VW_CGROUP_LAYOUT_HYBRID);
}

TEST(Layout, NoCgroupMountIsUnsupported)
{
    g_autoptr(GError) error = nullptr;
    std::string mountinfo = ReadData("none.mountinfo");
    g_autoptr(VwCgroupLayout) layout =
        vw_cgroup_layout_parse(mountinfo.c_str(), "", FALSE, &error);

    EXPECT_EQ(layout, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_UNSUPPORTED));

    g_clear_error(&error);
    layout = vw_cgroup_layout_parse("", "", FALSE, &error);
    EXPECT_EQ(layout, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_UNSUPPORTED));
}

TEST(Layout, NewV2RejectsWhatIsNotACgroup2Mount)
{
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwCgroupLayout) layout = vw_cgroup_layout_new_v2("relative/dir", &error);

    EXPECT_EQ(layout, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(strstr(error->message, "relative/dir"), nullptr) << error->message;

    g_clear_error(&error);
    layout = vw_cgroup_layout_new_v2("/", &error);
    EXPECT_EQ(layout, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_UNSUPPORTED))
        << (error ? error->message : "");
}

TEST(Layout, DetectOnThisHostFindsHierarchies)
{
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwCgroupLayout) layout = vw_cgroup_layout_detect(&error);

    if (!layout && g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_UNSUPPORTED))
        GTEST_SKIP() << "machine has no cgroup file system mounted";
    ASSERT_NE(layout, nullptr) << error->message;
    EXPECT_GT(vw_cgroup_layout_get_n_hierarchies(layout), 0u);
    for (guint i = 0; i < vw_cgroup_layout_get_n_hierarchies(layout); i++)
        EXPECT_TRUE(IsDir(vw_cgroup_layout_get_mountpoint(layout, i)))
            << vw_cgroup_layout_get_mountpoint(layout, i);
}

// ---------------------------------------------------------------------------
// Partition names and paths.

TEST(Paths, PartitionMapsToDotPartitionInEveryHierarchy)
{
    g_autoptr(VwCgroupLayout) layout = Canned("v1-comounted", false);
    ASSERT_NE(layout, nullptr);

    std::vector<std::string> expected;
    for (const char *h : { "cpuset", "cpu,cpuacct", "blkio", "memory", "devices", "freezer",
                           "net_cls,net_prio", "perf_event", "pids", "hugetlb" })
        expected.push_back(std::string("/sys/fs/cgroup/") + h +
                           "/virtwire.partition/net1.partition");
    EXPECT_EQ(Paths(layout, "/virtwire/net1"), expected);
}

TEST(Paths, HybridIncludesTheUnifiedHierarchy)
{
    g_autoptr(VwCgroupLayout) layout = Canned("hybrid", false);
    ASSERT_NE(layout, nullptr);

    std::vector<std::string> paths = Paths(layout, "/virtwire/net1");
    ASSERT_EQ(paths.size(), 10u);
    EXPECT_EQ(paths[0], "/sys/fs/cgroup/cpu/virtwire.partition/net1.partition");
    EXPECT_EQ(paths[1], "/sys/fs/cgroup/cpuacct/virtwire.partition/net1.partition");
    EXPECT_EQ(paths[9], "/sys/fs/cgroup/unified/virtwire.partition/net1.partition");
}

TEST(Paths, V2Partition)
{
    g_autoptr(VwCgroupLayout) layout = Canned("v2", false);
    ASSERT_NE(layout, nullptr);

    EXPECT_EQ(Paths(layout, "/virtwire/net-2_b"),
              (std::vector<std::string>{ "/sys/fs/cgroup/virtwire.partition/net-2_b.partition" }));
}

TEST(Paths, EscapedLikeLibvirt)
{
    g_autoptr(VwCgroupLayout) layout = Canned("v2", false);
    ASSERT_NE(layout, nullptr);

    /* '_' first, or "cgroup." once suffixed: libvirt prefixes a '_'. */
    EXPECT_EQ(Paths(layout, "/virtwire/_x"),
              (std::vector<std::string>{ "/sys/fs/cgroup/virtwire.partition/__x.partition" }));
    EXPECT_EQ(Paths(layout, "/virtwire/cgroup"),
              (std::vector<std::string>{ "/sys/fs/cgroup/virtwire.partition/_cgroup.partition" }));
    /* Controller names are not escaped by libvirt (see vw_cgroup_partition_names). */
    EXPECT_EQ(Paths(layout, "/virtwire/cpu"),
              (std::vector<std::string>{ "/sys/fs/cgroup/virtwire.partition/cpu.partition" }));
    EXPECT_EQ(Paths(layout, "/virtwire/cgroups"),
              (std::vector<std::string>{ "/sys/fs/cgroup/virtwire.partition/cgroups.partition" }));
}

TEST(Paths, SystemdMapsPartitionsToSlices)
{
    g_autoptr(VwCgroupLayout) v2 = Canned("systemd-v2", true);
    g_autoptr(VwCgroupLayout) hybrid = Canned("systemd-hybrid", true);
    ASSERT_NE(v2, nullptr);
    ASSERT_NE(hybrid, nullptr);

    /* libvirt's docs: /machine/engineering/testing -> machine-engineering-testing.slice,
     * in the directory of its parent slices; '-' inside a name is "\x2d". */
    EXPECT_EQ(Paths(v2, "/virtwire/net1"),
              (std::vector<std::string>{ "/sys/fs/cgroup/virtwire.slice/virtwire-net1.slice" }));
    EXPECT_EQ(Paths(v2, "/virtwire/my-net_1"),
              (std::vector<std::string>{
                  "/sys/fs/cgroup/virtwire.slice/virtwire-my\\x2dnet_1.slice" }));
    EXPECT_EQ(Paths(v2, "/virtwire/_x"),
              (std::vector<std::string>{ "/sys/fs/cgroup/virtwire.slice/virtwire-_x.slice" }));

    std::vector<std::string> paths = Paths(hybrid, "/virtwire/net1");
    ASSERT_EQ(paths.size(), vw_cgroup_layout_get_n_hierarchies(hybrid));
    for (guint i = 0; i < paths.size(); i++)
        EXPECT_EQ(paths[i], std::string(vw_cgroup_layout_get_mountpoint(hybrid, i)) +
                                "/virtwire.slice/virtwire-net1.slice");
}

TEST(Names, PartitionForNetwork)
{
    g_autoptr(GError) error = nullptr;
    g_autofree char *partition = vw_cgroup_partition_for_network("net1", &error);

    EXPECT_STREQ(partition, "/virtwire/net1");
    std::string longest(VW_CGROUP_NAME_MAX, 'a');
    g_autofree char *longest_partition = vw_cgroup_partition_for_network(longest.c_str(), &error);
    EXPECT_EQ(std::string(longest_partition ? longest_partition : ""), "/virtwire/" + longest);

    const std::vector<std::string> bad_names = { "",   "../x", "a b", "a/b",
                                                 "-x", ".x",   "x.y", "x\n",
                                                 std::string(VW_CGROUP_NAME_MAX + 1, 'a'),
                                                 "caf\xc3\xa9" };
    for (const std::string &bad : bad_names) {
        g_autoptr(GError) err = nullptr;
        g_autofree char *p = vw_cgroup_partition_for_network(bad.c_str(), &err);
        g_autofree char *shown = g_strescape(bad.c_str(), nullptr);

        EXPECT_EQ(p, nullptr) << bad;
        ASSERT_NE(err, nullptr) << bad;
        EXPECT_TRUE(g_error_matches(err, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID));
        EXPECT_NE(strstr(err->message, (std::string("'") + shown + "'").c_str()), nullptr)
            << err->message;
    }
}

TEST(Names, BadPartitionsAreRejectedNamingThem)
{
    g_autoptr(VwCgroupLayout) layout = Canned("hybrid", false);
    ASSERT_NE(layout, nullptr);

    const std::vector<std::string> bad = {
        "",
        "../x",
        "/virtwire/",
        "/virtwire",
        "virtwire/x",
        "/virtwire/../x",
        "/virtwire/..",
        "/virtwire/a b",
        "/virtwire/a/b",
        "/virtwire/a/",
        "/virtwire//a",
        "/virtwire/-a",
        "/virtwire/a.b",
        "/virtwire/a\tb",
        "/machine/x",
        "/virtwire/" + std::string(VW_CGROUP_NAME_MAX + 1, 'n'),
    };
    for (const std::string &partition : bad) {
        g_autoptr(GError) error = nullptr;
        g_autoptr(GPtrArray) paths = vw_cgroup_partition_paths(layout, partition.c_str(), &error);
        g_autofree char *shown = g_strescape(partition.c_str(), nullptr);

        EXPECT_EQ(paths, nullptr) << partition;
        ASSERT_NE(error, nullptr) << partition;
        EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID));
        EXPECT_NE(strstr(error->message, (std::string("'") + shown + "'").c_str()), nullptr)
            << error->message;
        EXPECT_FALSE(vw_cgroup_partition_check(partition.c_str(), nullptr)) << partition;
        EXPECT_FALSE(vw_cgroup_partition_exists(layout, partition.c_str())) << partition;
    }
    EXPECT_TRUE(vw_cgroup_partition_check(
        ("/virtwire/" + std::string(VW_CGROUP_NAME_MAX, 'n')).c_str(), nullptr));
}

// ---------------------------------------------------------------------------
// Argument checks that fail before anything is touched.

TEST(Limits, BadValuesAreRejectedNamingThem)
{
    g_autoptr(VwCgroupLayout) layout = Canned("hybrid", false);
    ASSERT_NE(layout, nullptr);

    struct Case {
        VwCgroupLimits limits;
        const char *needle;
    } cases[] = {
        { { 10001, VW_CGROUP_LIMIT_UNSET, VW_CGROUP_LIMIT_UNSET }, "10001" },
        { { 0, 4095, VW_CGROUP_LIMIT_UNSET }, "4095" },
        { { 0, -2, VW_CGROUP_LIMIT_UNSET }, "-2" },
        { { 0, VW_CGROUP_LIMIT_UNSET, 0 }, "pids maximum 0" },
        { { 0, VW_CGROUP_LIMIT_UNSET, -7 }, "-7" },
    };
    for (const Case &c : cases) {
        g_autoptr(GError) error = nullptr;

        EXPECT_FALSE(vw_cgroup_partition_set_limits(layout, "/virtwire/net1", &c.limits, &error));
        ASSERT_NE(error, nullptr) << c.needle;
        EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID));
        EXPECT_NE(strstr(error->message, c.needle), nullptr) << error->message;
        EXPECT_NE(strstr(error->message, "'/virtwire/net1'"), nullptr) << error->message;
    }
}

TEST(Limits, MissingControllerIsUnsupported)
{
    /* One v1 hierarchy with only cpu (at a path that does not exist). */
    const char *mountinfo =
        "31 30 0:28 / /nonexistent/cpu rw - cgroup cgroup rw,cpu\n";
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwCgroupLayout) layout =
        vw_cgroup_layout_parse(mountinfo, "cpu\t1\t1\t1\n", FALSE, &error);
    ASSERT_NE(layout, nullptr) << error->message;

    VwCgroupLimits limits = { 0, 1 << 20, VW_CGROUP_LIMIT_UNSET };
    EXPECT_FALSE(vw_cgroup_partition_set_limits(layout, "/virtwire/net1", &limits, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_UNSUPPORTED));
    EXPECT_NE(strstr(error->message, "'memory'"), nullptr) << error->message;

    /* get_limits: the cpu directory is not there, so the partition is not found. */
    g_clear_error(&error);
    limits = { 5, 5, 5 };
    EXPECT_FALSE(vw_cgroup_partition_get_limits(layout, "/virtwire/net1", &limits, &error));
    EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_NOT_FOUND))
        << (error ? error->message : "");
}

TEST(Place, BadArgumentsAreRejected)
{
    g_autoptr(VwCgroupLayout) layout = Canned("hybrid", false);
    ASSERT_NE(layout, nullptr);
    const char *required[] = { "memory", "nonsense", nullptr };

    for (const char *leaf : { "", "../x", "a/b", "-x", "_x", "a.b", "tasks!" }) {
        g_autoptr(GError) error = nullptr;

        EXPECT_FALSE(vw_cgroup_partition_place(layout, "/virtwire/net1", leaf, getpid(), nullptr,
                                               nullptr, &error));
        ASSERT_NE(error, nullptr) << leaf;
        EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID));
        EXPECT_NE(strstr(error->message, (std::string("'") + leaf + "'").c_str()), nullptr)
            << error->message;
    }

    g_autoptr(GError) error = nullptr;
    EXPECT_FALSE(vw_cgroup_partition_place(layout, "/virtwire/net1", "dnsmasq", 0, nullptr,
                                           nullptr, &error));
    EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID));

    g_clear_error(&error);
    EXPECT_FALSE(vw_cgroup_partition_place(layout, "/virtwire/net1", "dnsmasq", getpid(),
                                           required, nullptr, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_UNSUPPORTED));
    EXPECT_NE(strstr(error->message, "'nonsense'"), nullptr) << error->message;

    g_clear_error(&error);
    EXPECT_FALSE(vw_cgroup_partition_place(layout, "/virtwire/a/b", "dnsmasq", getpid(), nullptr,
                                           nullptr, &error));
    EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID));
}

// ---------------------------------------------------------------------------
// Create and remove on a scratch tree: plain directories stand in for v1
// hierarchies without cpuset (no root needed; no cgroup files there, so
// cgroup.procs reads as empty).

class ScratchTree : public ::testing::Test {
  protected:
    void SetUp() override
    {
        g_autoptr(GError) error = nullptr;
        char *dir = g_dir_make_tmp("vw-cgroup-XXXXXX", &error);
        ASSERT_NE(dir, nullptr) << error->message;
        root_ = dir;
        g_free(dir);
    }
    void TearDown() override
    {
        if (!root_.empty()) {
            std::string cmd = "rm -rf '" + root_ + "'";
            ASSERT_EQ(system(cmd.c_str()), 0);
        }
    }
    // A v1 layout whose hierarchies are ROOT/NAME for each NAME (a controller name).
    VwCgroupLayout *Layout(const std::vector<std::string> &controllers)
    {
        std::string mountinfo, cgroups;
        int dev = 100;

        for (const std::string &c : controllers) {
            std::string dir = root_ + "/" + c;
            EXPECT_EQ(g_mkdir(dir.c_str(), 0755), 0);
            mountinfo += std::to_string(dev) + " 1 0:" + std::to_string(dev) + " / " + dir +
                         " rw - cgroup cgroup rw," + c + "\n";
            cgroups += c + "\t1\t1\t1\n";
            dev++;
        }
        g_autoptr(GError) error = nullptr;
        VwCgroupLayout *layout =
            vw_cgroup_layout_parse(mountinfo.c_str(), cgroups.c_str(), FALSE, &error);
        EXPECT_NE(layout, nullptr) << (error ? error->message : "");
        return layout;
    }
    std::string root_;
};

TEST_F(ScratchTree, CreateIsIdempotentAndRemoveKeepsOtherNetworks)
{
    g_autoptr(VwCgroupLayout) layout = Layout({ "memory", "pids" });
    ASSERT_NE(layout, nullptr);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_cgroup_partition_create(layout, "/virtwire/a", &error)) << error->message;
    ASSERT_TRUE(vw_cgroup_partition_create(layout, "/virtwire/a", &error)) << error->message;
    ASSERT_TRUE(vw_cgroup_partition_create(layout, "/virtwire/b", &error)) << error->message;
    EXPECT_TRUE(vw_cgroup_partition_exists(layout, "/virtwire/a"));
    EXPECT_TRUE(IsDir(root_ + "/memory/virtwire.partition/a.partition"));
    EXPECT_TRUE(IsDir(root_ + "/pids/virtwire.partition/b.partition"));
    /* A leftover below the partition (as a leaked domain cgroup) goes too. */
    ASSERT_EQ(g_mkdir((root_ + "/pids/virtwire.partition/a.partition/x").c_str(), 0755), 0);
    ASSERT_EQ(g_mkdir((root_ + "/pids/virtwire.partition/a.partition/x/y").c_str(), 0755), 0);

    ASSERT_TRUE(vw_cgroup_partition_remove(layout, "/virtwire/a", &error)) << error->message;
    EXPECT_FALSE(vw_cgroup_partition_exists(layout, "/virtwire/a"));
    EXPECT_FALSE(IsDir(root_ + "/memory/virtwire.partition/a.partition"));
    EXPECT_FALSE(IsDir(root_ + "/pids/virtwire.partition/a.partition"));
    EXPECT_TRUE(IsDir(root_ + "/memory/virtwire.partition/b.partition"));

    /* Removing again, or a partition never made, succeeds. */
    EXPECT_TRUE(vw_cgroup_partition_remove(layout, "/virtwire/a", &error));
    EXPECT_TRUE(vw_cgroup_partition_remove(layout, "/virtwire/never", &error));

    ASSERT_TRUE(vw_cgroup_partition_remove(layout, "/virtwire/b", &error)) << error->message;
    EXPECT_FALSE(IsDir(root_ + "/memory/virtwire.partition"));
    EXPECT_FALSE(IsDir(root_ + "/pids/virtwire.partition"));
}

TEST_F(ScratchTree, FailedCreateLeavesNothing)
{
    /* cpuset needs cpuset.cpus in each new directory: none here, so the
     * second hierarchy fails after the first one was made. */
    g_autoptr(VwCgroupLayout) layout = Layout({ "memory", "cpuset" });
    ASSERT_NE(layout, nullptr);
    g_autoptr(GError) error = nullptr;

    EXPECT_FALSE(vw_cgroup_partition_create(layout, "/virtwire/a", &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(strstr(error->message, "cpuset.cpus"), nullptr) << error->message;
    EXPECT_FALSE(IsDir(root_ + "/memory/virtwire.partition"));
    EXPECT_FALSE(IsDir(root_ + "/cpuset/virtwire.partition"));
}

TEST_F(ScratchTree, BadPartitionChangesNothing)
{
    g_autoptr(VwCgroupLayout) layout = Layout({ "memory" });
    ASSERT_NE(layout, nullptr);
    g_autoptr(GError) error = nullptr;

    EXPECT_FALSE(vw_cgroup_partition_create(layout, "/virtwire/../../x", &error));
    EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID));
    g_clear_error(&error);
    EXPECT_FALSE(vw_cgroup_partition_remove(layout, "/virtwire/..", &error));
    EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID));

    g_autoptr(GDir) dir = g_dir_open((root_ + "/memory").c_str(), 0, nullptr);
    ASSERT_NE(dir, nullptr);
    EXPECT_EQ(g_dir_read_name(dir), nullptr);
}

} // namespace
