// Cgroup partitions (src/cgroup) on this machine's real layout, as root:
// create, limits, placement of a real process, removal; and a pure v2 layout
// on a private cgroup2 mount.  Results are checked independently through the
// files under the mount points and /proc/PID/cgroup.  Partition names hold
// the test's pid, so parallel runs do not collide; guards kill what the test
// spawned and remove what it made even when it fails.
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>

#include "vw-cgroup.h"

namespace {

bool
IsDir(const std::string &path)
{
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string
ReadFile(const std::string &path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string
Trim(const std::string &s)
{
    size_t b = s.find_first_not_of(" \n\t");
    size_t e = s.find_last_not_of(" \n\t");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::set<std::string>
Words(const std::string &s)
{
    std::set<std::string> out;
    std::istringstream in(s);
    std::string w;
    while (in >> w)
        out.insert(w);
    return out;
}

std::vector<std::string>
Lines(const std::string &s)
{
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty())
            out.push_back(line);
    return out;
}

// A network name unique to this run.
std::string
UniqueNetwork(const char *tag)
{
    static int counter;
    return std::string("vwt") + std::to_string(getpid()) + tag + std::to_string(++counter);
}

// The directory names libvirt uses for /virtwire/NET (computed here, not by the code under test).
std::string
TopDir(bool systemd)
{
    return systemd ? "virtwire.slice" : "virtwire.partition";
}

std::string
PartDir(const std::string &net, bool systemd)
{
    return systemd ? "virtwire-" + net + ".slice" : net + ".partition";
}

// /proc/PID/cgroup as lines "ID:CONTROLLERS:PATH".
std::vector<std::string>
ProcCgroup(pid_t pid)
{
    return Lines(ReadFile("/proc/" + std::to_string(pid) + "/cgroup"));
}

// The PATH of the /proc/PID/cgroup line of a hierarchy: "unified" matches
// "0::PATH", a v1 hierarchy the line whose controller list shares a controller.
std::string
ProcCgroupPath(pid_t pid, const VwCgroupLayout *layout, guint index)
{
    for (const std::string &line : ProcCgroup(pid)) {
        size_t a = line.find(':');
        size_t b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos)
            continue;
        std::string id = line.substr(0, a);
        std::string ctrls = line.substr(a + 1, b - a - 1);
        std::string path = line.substr(b + 1);
        if (vw_cgroup_layout_hierarchy_is_v2(layout, index)) {
            if (id == "0" && ctrls.empty())
                return path;
            continue;
        }
        std::istringstream in(ctrls);
        std::string c;
        while (std::getline(in, c, ','))
            for (const char *const *h = vw_cgroup_layout_get_controllers(layout, index); *h; h++)
                if (c == *h)
                    return path;
    }
    return "<none>";
}

// `sleep 1000`, killed and reaped on scope exit.
class Child {
  public:
    Child()
    {
        pid_ = fork();
        if (pid_ == 0) {
            execlp("sleep", "sleep", "1000", (char *)nullptr);
            _exit(127);
        }
    }
    ~Child()
    {
        Kill();
        Reap();
    }
    pid_t pid() const { return pid_; }
    void Kill()
    {
        if (pid_ > 0)
            kill(pid_, SIGKILL);
    }
    void Reap()
    {
        if (pid_ > 0) {
            while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
            }
            pid_ = -1;
        }
    }

  private:
    pid_t pid_ = -1;
};

// Removes a partition's directories in every hierarchy on scope exit
// (plain rmdir, bottom-up, with retries while exiting tasks linger), and
// the shared parent when empty.  Tasks still inside are killed first.
class PartitionGuard {
  public:
    PartitionGuard(std::vector<std::string> mounts, std::string net, bool systemd)
        : mounts_(std::move(mounts)), net_(std::move(net)), systemd_(systemd)
    {
    }
    ~PartitionGuard()
    {
        for (const std::string &m : mounts_) {
            std::string top = m + "/" + TopDir(systemd_);
            RemoveTree(top + "/" + PartDir(net_, systemd_));
            rmdir(top.c_str()); /* fails while other networks are there: fine */
        }
    }

  private:
    static void RemoveTree(const std::string &dir)
    {
        if (!IsDir(dir))
            return;
        GDir *d = g_dir_open(dir.c_str(), 0, nullptr);
        if (d) {
            const char *name;
            while ((name = g_dir_read_name(d)))
                if (IsDir(dir + "/" + name))
                    RemoveTree(dir + "/" + name);
            g_dir_close(d);
        }
        for (const std::string &pid : Lines(ReadFile(dir + "/cgroup.procs")))
            kill(std::stoi(pid), SIGKILL);
        for (int i = 0; i < 500 && rmdir(dir.c_str()) < 0 && errno == EBUSY; i++)
            g_usleep(10000);
    }
    std::vector<std::string> mounts_;
    std::string net_;
    bool systemd_;
};

std::vector<std::string>
Mounts(const VwCgroupLayout *layout)
{
    std::vector<std::string> out;
    for (guint i = 0; i < vw_cgroup_layout_get_n_hierarchies(layout); i++)
        out.push_back(vw_cgroup_layout_get_mountpoint(layout, i));
    return out;
}

class CgroupHost : public ::testing::Test {
  protected:
    void SetUp() override
    {
        if (geteuid() != 0)
            GTEST_SKIP() << "machine lacks: root (cgroup directories need it)";
        g_autoptr(GError) error = nullptr;
        layout_ = vw_cgroup_layout_detect(&error);
        if (!layout_ && g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_UNSUPPORTED))
            GTEST_SKIP() << "machine lacks: a mounted cgroup file system (" << error->message
                         << ")";
        ASSERT_NE(layout_, nullptr) << error->message;
        for (guint i = 0; i < vw_cgroup_layout_get_n_hierarchies(layout_); i++) {
            const char *m = vw_cgroup_layout_get_mountpoint(layout_, i);
            if (access(m, W_OK) != 0)
                GTEST_SKIP() << "machine lacks: a writable cgroup hierarchy (" << m << ": "
                             << strerror(errno) << ")";
        }
        systemd_ = vw_cgroup_layout_is_systemd(layout_);
    }
    void TearDown() override { vw_cgroup_layout_free(layout_); }

    std::string Dir(guint index, const std::string &net, const std::string &leaf = "")
    {
        std::string d = std::string(vw_cgroup_layout_get_mountpoint(layout_, index)) + "/" +
                        TopDir(systemd_) + "/" + PartDir(net, systemd_);
        return leaf.empty() ? d : d + "/" + leaf;
    }
    // Nothing of NET left in any hierarchy.
    void ExpectGone(const std::string &net)
    {
        for (guint i = 0; i < vw_cgroup_layout_get_n_hierarchies(layout_); i++)
            EXPECT_FALSE(IsDir(Dir(i, net))) << Dir(i, net);
    }

    VwCgroupLayout *layout_ = nullptr;
    bool systemd_ = false;
};

TEST_F(CgroupHost, CreateMakesThePartitionInEveryHierarchy)
{
    std::string net = UniqueNetwork("c");
    std::string partition = "/virtwire/" + net;
    PartitionGuard guard(Mounts(layout_), net, systemd_);
    g_autoptr(GError) error = nullptr;

    EXPECT_FALSE(vw_cgroup_partition_exists(layout_, partition.c_str()));
    ASSERT_TRUE(vw_cgroup_partition_create(layout_, partition.c_str(), &error))
        << error->message;
    for (guint i = 0; i < vw_cgroup_layout_get_n_hierarchies(layout_); i++) {
        std::string mount = vw_cgroup_layout_get_mountpoint(layout_, i);
        std::string top = mount + "/" + TopDir(systemd_);
        std::string dir = Dir(i, net);
        const char *name = vw_cgroup_layout_get_hierarchy_name(layout_, i);

        EXPECT_TRUE(IsDir(dir)) << dir;
        if (!vw_cgroup_layout_hierarchy_is_v2(layout_, i) &&
            access((mount + "/cpuset.cpus").c_str(), F_OK) == 0) {
            /* v1 cpuset: cpus and mems copied from the parent, else no task could join. */
            for (const char *f : { "cpuset.cpus", "cpuset.mems" }) {
                std::string want = Trim(ReadFile(mount + "/" + f));
                EXPECT_FALSE(want.empty()) << mount << "/" << f;
                EXPECT_EQ(Trim(ReadFile(top + "/" + f)), want) << top << "/" << f;
                EXPECT_EQ(Trim(ReadFile(dir + "/" + f)), want) << dir << "/" << f;
            }
        }
        if (vw_cgroup_layout_hierarchy_is_v2(layout_, i)) {
            /* Every controller of each directory along the path is enabled for its children. */
            std::set<std::string> root_ctrls = Words(ReadFile(mount + "/cgroup.controllers"));
            for (const std::string &d : { mount, top, dir }) {
                std::set<std::string> avail = Words(ReadFile(d + "/cgroup.controllers"));
                std::set<std::string> enabled = Words(ReadFile(d + "/cgroup.subtree_control"));
                EXPECT_EQ(avail, root_ctrls) << d << " (" << name << ")";
                for (const std::string &c : avail)
                    EXPECT_TRUE(enabled.count(c)) << c << " not enabled in " << d;
            }
        }
    }
    EXPECT_TRUE(vw_cgroup_partition_exists(layout_, partition.c_str()));
    /* Idempotent. */
    EXPECT_TRUE(vw_cgroup_partition_create(layout_, partition.c_str(), &error))
        << error->message;

    ASSERT_TRUE(vw_cgroup_partition_remove(layout_, partition.c_str(), &error))
        << error->message;
    ExpectGone(net);
    EXPECT_FALSE(vw_cgroup_partition_exists(layout_, partition.c_str()));
}

TEST_F(CgroupHost, LimitsAreWrittenAndReadBack)
{
    std::string net = UniqueNetwork("l");
    std::string partition = "/virtwire/" + net;
    PartitionGuard guard(Mounts(layout_), net, systemd_);
    g_autoptr(GError) error = nullptr;
    int cpu = vw_cgroup_layout_find_controller(layout_, "cpu");
    int mem = vw_cgroup_layout_find_controller(layout_, "memory");
    int pids = vw_cgroup_layout_find_controller(layout_, "pids");

    if (cpu < 0 || mem < 0 || pids < 0)
        GTEST_SKIP() << "machine lacks: one of the cpu, memory and pids controllers";
    ASSERT_TRUE(vw_cgroup_partition_create(layout_, partition.c_str(), &error))
        << error->message;

    bool cpu_v2 = vw_cgroup_layout_hierarchy_is_v2(layout_, cpu);
    bool mem_v2 = vw_cgroup_layout_hierarchy_is_v2(layout_, mem);
    std::string cpu_file = Dir(cpu, net) + (cpu_v2 ? "/cpu.weight" : "/cpu.shares");
    std::string mem_file = Dir(mem, net) + (mem_v2 ? "/memory.max" : "/memory.limit_in_bytes");
    std::string pids_file = Dir(pids, net) + "/pids.max";

    VwCgroupLimits set = { 300, 64 << 20, 42 };
    ASSERT_TRUE(vw_cgroup_partition_set_limits(layout_, partition.c_str(), &set, &error))
        << error->message;
    EXPECT_EQ(Trim(ReadFile(cpu_file)), cpu_v2 ? "300" : "3072");
    EXPECT_EQ(Trim(ReadFile(mem_file)), "67108864");
    EXPECT_EQ(Trim(ReadFile(pids_file)), "42");
    VwCgroupLimits got = {};
    ASSERT_TRUE(vw_cgroup_partition_get_limits(layout_, partition.c_str(), &got, &error))
        << error->message;
    EXPECT_EQ(got.cpu_weight, 300u);
    EXPECT_EQ(got.memory_max, 64 << 20);
    EXPECT_EQ(got.pids_max, 42);

    /* The v1 weight <-> shares conversion reads back exactly. */
    for (guint w : { 1u, 3u, 7u, 99u, 100u, 101u, 5000u, 10000u }) {
        VwCgroupLimits only_cpu = { w, VW_CGROUP_LIMIT_UNSET, VW_CGROUP_LIMIT_UNSET };
        ASSERT_TRUE(vw_cgroup_partition_set_limits(layout_, partition.c_str(), &only_cpu, &error))
            << error->message;
        ASSERT_TRUE(vw_cgroup_partition_get_limits(layout_, partition.c_str(), &got, &error))
            << error->message;
        EXPECT_EQ(got.cpu_weight, w);
        if (!cpu_v2) {
            EXPECT_EQ(Trim(ReadFile(cpu_file)),
                      std::to_string(std::max<guint>(2, w * 1024 / 100)));
        }
        /* Untouched fields stay. */
        EXPECT_EQ(got.memory_max, 64 << 20);
        EXPECT_EQ(got.pids_max, 42);
    }

    /* "max" everywhere. */
    VwCgroupLimits unlimited = { 0, VW_CGROUP_LIMIT_MAX, VW_CGROUP_LIMIT_MAX };
    ASSERT_TRUE(vw_cgroup_partition_set_limits(layout_, partition.c_str(), &unlimited, &error))
        << error->message;
    EXPECT_EQ(Trim(ReadFile(pids_file)), "max");
    if (mem_v2)
        EXPECT_EQ(Trim(ReadFile(mem_file)), "max");
    else
        EXPECT_GT(std::stoull(Trim(ReadFile(mem_file))), 1ull << 62);
    ASSERT_TRUE(vw_cgroup_partition_get_limits(layout_, partition.c_str(), &got, &error))
        << error->message;
    EXPECT_EQ(got.memory_max, VW_CGROUP_LIMIT_MAX);
    EXPECT_EQ(got.pids_max, VW_CGROUP_LIMIT_MAX);

    /* Bad values change nothing. */
    std::string cpu_before = ReadFile(cpu_file);
    VwCgroupLimits bad = { 20000, 1 << 20, 5 };
    EXPECT_FALSE(vw_cgroup_partition_set_limits(layout_, partition.c_str(), &bad, &error));
    EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(strstr(error->message, "20000"), nullptr) << error->message;
    g_clear_error(&error);
    EXPECT_EQ(ReadFile(cpu_file), cpu_before);
    EXPECT_EQ(Trim(ReadFile(pids_file)), "max");

    /* A partition that does not exist. */
    std::string missing = "/virtwire/" + UniqueNetwork("m");
    EXPECT_FALSE(vw_cgroup_partition_set_limits(layout_, missing.c_str(), &set, &error));
    EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_NOT_FOUND))
        << (error ? error->message : "");
    g_clear_error(&error);

    ASSERT_TRUE(vw_cgroup_partition_remove(layout_, partition.c_str(), &error))
        << error->message;
    ExpectGone(net);
}

TEST_F(CgroupHost, PlaceMovesAProcessIntoTheLeafOfEveryHierarchyAndRemoveWaitsForIt)
{
    std::string net = UniqueNetwork("p");
    std::string partition = "/virtwire/" + net;
    PartitionGuard guard(Mounts(layout_), net, systemd_);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_cgroup_partition_create(layout_, partition.c_str(), &error))
        << error->message;
    Child child;
    ASSERT_GT(child.pid(), 0);
    const char *required[] = { "memory", "pids", nullptr };
    if (vw_cgroup_layout_find_controller(layout_, "memory") < 0 ||
        vw_cgroup_layout_find_controller(layout_, "pids") < 0)
        required[0] = nullptr;
    ASSERT_TRUE(vw_cgroup_partition_place(layout_, partition.c_str(), "dnsmasq", child.pid(),
                                          required, nullptr, &error))
        << error->message;

    std::string want = "/" + TopDir(systemd_) + "/" + PartDir(net, systemd_) + "/dnsmasq";
    EXPECT_EQ(ProcCgroup(child.pid()).size(), vw_cgroup_layout_get_n_hierarchies(layout_));
    for (guint i = 0; i < vw_cgroup_layout_get_n_hierarchies(layout_); i++) {
        EXPECT_EQ(ProcCgroupPath(child.pid(), layout_, i), want)
            << vw_cgroup_layout_get_hierarchy_name(layout_, i);
        EXPECT_EQ(Trim(ReadFile(Dir(i, net, "dnsmasq") + "/cgroup.procs")),
                  std::to_string(child.pid()));
        /* The partition itself holds no process. */
        EXPECT_EQ(Trim(ReadFile(Dir(i, net) + "/cgroup.procs")), "");
    }
    int cpuset = vw_cgroup_layout_find_controller(layout_, "cpuset");
    if (cpuset >= 0 && !vw_cgroup_layout_hierarchy_is_v2(layout_, cpuset)) {
        EXPECT_EQ(Trim(ReadFile(Dir(cpuset, net, "dnsmasq") + "/cpuset.cpus")),
                  Trim(ReadFile(std::string(vw_cgroup_layout_get_mountpoint(layout_, cpuset)) +
                                "/cpuset.cpus")));
    }

    /* Placing again (same leaf) is fine. */
    EXPECT_TRUE(vw_cgroup_partition_place(layout_, partition.c_str(), "dnsmasq", child.pid(),
                                          required, nullptr, &error))
        << error->message;

    /* Remove refuses while the process is inside, naming it, and changes nothing. */
    EXPECT_FALSE(vw_cgroup_partition_remove(layout_, partition.c_str(), &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_BUSY)) << error->message;
    EXPECT_NE(strstr(error->message, std::to_string(child.pid()).c_str()), nullptr)
        << error->message;
    EXPECT_NE(strstr(error->message, "dnsmasq"), nullptr) << error->message;
    g_clear_error(&error);
    for (guint i = 0; i < vw_cgroup_layout_get_n_hierarchies(layout_); i++)
        EXPECT_TRUE(IsDir(Dir(i, net, "dnsmasq"))) << Dir(i, net, "dnsmasq");
    EXPECT_TRUE(vw_cgroup_partition_exists(layout_, partition.c_str()));

    /* Killed but not yet reaped: remove waits for the exiting task. */
    child.Kill();
    ASSERT_TRUE(vw_cgroup_partition_remove(layout_, partition.c_str(), &error))
        << error->message;
    child.Reap();
    ExpectGone(net);
}

TEST_F(CgroupHost, PlaceRollsBackWhenARequiredHierarchyRefuses)
{
    int unified = vw_cgroup_layout_find_controller(layout_, VW_CGROUP_UNIFIED);
    if (unified < 0)
        GTEST_SKIP() << "machine lacks: a unified (cgroup2) hierarchy, used to make a leaf "
                        "refuse processes";
    std::set<std::string> ctrls =
        Words(ReadFile(std::string(vw_cgroup_layout_get_mountpoint(layout_, unified)) +
                       "/cgroup.controllers"));
    if (ctrls.empty())
        GTEST_SKIP() << "machine lacks: a controller in the unified hierarchy, needed to make a "
                        "leaf refuse processes (no internal processes rule)";

    std::string net = UniqueNetwork("r");
    std::string partition = "/virtwire/" + net;
    PartitionGuard guard(Mounts(layout_), net, systemd_);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_cgroup_partition_create(layout_, partition.c_str(), &error))
        << error->message;

    /* A v2 cgroup with a controller enabled for its children takes no process (EBUSY). */
    std::string blocked = Dir(unified, net, "dnsmasq");
    ASSERT_EQ(mkdir(blocked.c_str(), 0755), 0) << strerror(errno);
    {
        std::ofstream out(blocked + "/cgroup.subtree_control");
        out << "+" << *ctrls.begin();
    }
    ASSERT_FALSE(Trim(ReadFile(blocked + "/cgroup.subtree_control")).empty());

    Child child;
    ASSERT_GT(child.pid(), 0);
    /* Its cgroups are ours, inherited at fork. */
    std::vector<std::string> before = ProcCgroup(child.pid());

    std::vector<const char *> required;
    for (const char *c : { "cpu", "memory" })
        if (vw_cgroup_layout_find_controller(layout_, c) >= 0 &&
            vw_cgroup_layout_find_controller(layout_, c) != unified)
            required.push_back(c);
    required.push_back(VW_CGROUP_UNIFIED);
    required.push_back(nullptr);
    EXPECT_FALSE(vw_cgroup_partition_place(layout_, partition.c_str(), "dnsmasq", child.pid(),
                                           required.data(), nullptr, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_BUSY)) << error->message;
    EXPECT_NE(strstr(error->message, blocked.c_str()), nullptr) << error->message;
    g_clear_error(&error);
    /* Moved back everywhere; the leaves this call made are gone; ours stays. */
    EXPECT_EQ(ProcCgroup(child.pid()), before);
    for (guint i = 0; i < vw_cgroup_layout_get_n_hierarchies(layout_); i++) {
        if ((int)i != unified) {
            EXPECT_FALSE(IsDir(Dir(i, net, "dnsmasq"))) << Dir(i, net, "dnsmasq");
        }
    }
    EXPECT_TRUE(IsDir(blocked));

    /* The same hierarchy as optional: ignored, the required ones take the process. */
    const char *required_mem[] = { "memory", nullptr };
    const char *optional[] = { VW_CGROUP_UNIFIED, nullptr };
    int mem = vw_cgroup_layout_find_controller(layout_, "memory");
    if (mem >= 0 && mem != unified) {
        ASSERT_TRUE(vw_cgroup_partition_place(layout_, partition.c_str(), "dnsmasq", child.pid(),
                                              required_mem, optional, &error))
            << error->message;
        std::string want = "/" + TopDir(systemd_) + "/" + PartDir(net, systemd_) + "/dnsmasq";
        EXPECT_EQ(ProcCgroupPath(child.pid(), layout_, mem), want);
        std::string unified_before;
        for (const std::string &line : before)
            if (line.rfind("0::", 0) == 0)
                unified_before = line.substr(3);
        EXPECT_EQ(ProcCgroupPath(child.pid(), layout_, unified), unified_before);
    }

    child.Kill();
    child.Reap();
    ASSERT_TRUE(vw_cgroup_partition_remove(layout_, partition.c_str(), &error))
        << error->message;
    ExpectGone(net);
}

TEST_F(CgroupHost, RemoveKeepsTheSharedParentWhileOtherNetworksUseIt)
{
    std::string a = UniqueNetwork("a");
    std::string b = UniqueNetwork("b");
    PartitionGuard guard_a(Mounts(layout_), a, systemd_);
    PartitionGuard guard_b(Mounts(layout_), b, systemd_);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_cgroup_partition_create(layout_, ("/virtwire/" + a).c_str(), &error))
        << error->message;
    ASSERT_TRUE(vw_cgroup_partition_create(layout_, ("/virtwire/" + b).c_str(), &error))
        << error->message;
    ASSERT_TRUE(vw_cgroup_partition_remove(layout_, ("/virtwire/" + a).c_str(), &error))
        << error->message;
    ExpectGone(a);
    for (guint i = 0; i < vw_cgroup_layout_get_n_hierarchies(layout_); i++)
        EXPECT_TRUE(IsDir(Dir(i, b))) << Dir(i, b);
    ASSERT_TRUE(vw_cgroup_partition_remove(layout_, ("/virtwire/" + b).c_str(), &error))
        << error->message;
    ExpectGone(b);
    /* Removing what is not there succeeds. */
    EXPECT_TRUE(vw_cgroup_partition_remove(layout_, ("/virtwire/" + b).c_str(), &error))
        << error->message;
}

TEST_F(CgroupHost, BadPartitionChangesNothing)
{
    std::vector<std::set<std::string>> before;
    auto list = [&](guint i) {
        std::set<std::string> names;
        GDir *d = g_dir_open(vw_cgroup_layout_get_mountpoint(layout_, i), 0, nullptr);
        const char *n;
        while (d && (n = g_dir_read_name(d)))
            names.insert(n);
        if (d)
            g_dir_close(d);
        return names;
    };
    for (guint i = 0; i < vw_cgroup_layout_get_n_hierarchies(layout_); i++)
        before.push_back(list(i));
    for (const char *bad : { "/virtwire/../../evil", "../evil", "/virtwire/a b", "" }) {
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_cgroup_partition_create(layout_, bad, &error));
        EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_INVALID)) << bad;
    }
    /* Only compare our own names: other tests may create theirs meanwhile. */
    for (guint i = 0; i < vw_cgroup_layout_get_n_hierarchies(layout_); i++) {
        for (const std::string &n : list(i)) {
            if (!before[i].count(n)) {
                EXPECT_TRUE(n == TopDir(systemd_)) << "new entry " << n;
            }
        }
    }
    for (guint i = 0; i < vw_cgroup_layout_get_n_hierarchies(layout_); i++)
        EXPECT_FALSE(IsDir(std::string(vw_cgroup_layout_get_mountpoint(layout_, i)) + "/../evil"));
}

TEST_F(CgroupHost, SystemdSlices)
{
    if (!systemd_)
        GTEST_SKIP() << "machine does not run systemd as init (no /run/systemd/system, pid 1 is '"
                     << Trim(ReadFile("/proc/1/comm"))
                     << "'): the slice mapping is covered by the unit suite on canned layouts";
    std::string net = UniqueNetwork("s");
    std::string partition = "/virtwire/" + net;
    PartitionGuard guard(Mounts(layout_), net, systemd_);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_cgroup_partition_create(layout_, partition.c_str(), &error))
        << error->message;
    for (guint i = 0; i < vw_cgroup_layout_get_n_hierarchies(layout_); i++)
        EXPECT_TRUE(IsDir(std::string(vw_cgroup_layout_get_mountpoint(layout_, i)) +
                          "/virtwire.slice/virtwire-" + net + ".slice"));
    ASSERT_TRUE(vw_cgroup_partition_remove(layout_, partition.c_str(), &error))
        << error->message;
    ExpectGone(net);
}

// ---------------------------------------------------------------------------
// A pure v2 layout on a private cgroup2 mount (on a hybrid host this is the
// same unified hierarchy as /sys/fs/cgroup/unified, seen through another mount).

class PrivateMount {
  public:
    PrivateMount()
    {
        char tmpl[] = "/tmp/vw-cgroup2-XXXXXX";
        if (!mkdtemp(tmpl)) {
            why_ = std::string("mkdtemp: ") + strerror(errno);
            return;
        }
        dir_ = tmpl;
        if (mount("none", dir_.c_str(), "cgroup2", 0, nullptr) < 0)
            why_ = std::string("the kernel refused `mount -t cgroup2 none ") + dir_ +
                   "`: " + strerror(errno);
        else
            mounted_ = true;
    }
    ~PrivateMount()
    {
        if (mounted_)
            umount2(dir_.c_str(), MNT_DETACH);
        if (!dir_.empty())
            rmdir(dir_.c_str());
    }
    bool ok() const { return mounted_; }
    const std::string &why() const { return why_; }
    const std::string &dir() const { return dir_; }

  private:
    std::string dir_;
    std::string why_;
    bool mounted_ = false;
};

TEST(CgroupV2, PrivateMountCreateLimitPlaceRemove)
{
    if (geteuid() != 0)
        GTEST_SKIP() << "machine lacks: root (mounting cgroup2 needs it)";
    PrivateMount mnt;
    if (!mnt.ok())
        GTEST_SKIP() << mnt.why();
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwCgroupLayout) layout = vw_cgroup_layout_new_v2(mnt.dir().c_str(), &error);
    ASSERT_NE(layout, nullptr) << error->message;
    EXPECT_EQ(vw_cgroup_layout_get_kind(layout), VW_CGROUP_LAYOUT_V2);
    EXPECT_FALSE(vw_cgroup_layout_is_systemd(layout));

    std::string net = UniqueNetwork("v");
    std::string partition = "/virtwire/" + net;
    PartitionGuard guard({ mnt.dir() }, net, false);
    std::string top = mnt.dir() + "/virtwire.partition";
    std::string dir = top + "/" + net + ".partition";

    ASSERT_TRUE(vw_cgroup_partition_create(layout, partition.c_str(), &error)) << error->message;
    EXPECT_TRUE(IsDir(dir));
    std::set<std::string> root_ctrls = Words(ReadFile(mnt.dir() + "/cgroup.controllers"));
    for (const std::string &d : { mnt.dir(), top, dir }) {
        std::set<std::string> enabled = Words(ReadFile(d + "/cgroup.subtree_control"));
        for (const std::string &c : root_ctrls)
            EXPECT_TRUE(enabled.count(c)) << c << " not enabled in " << d;
    }
    EXPECT_EQ(Words(ReadFile(dir + "/cgroup.controllers")), root_ctrls);

    /* Limits where the controllers are here; a clear refusal where not. */
    struct {
        const char *controller;
        VwCgroupLimits limits;
        const char *file;
        const char *value;
    } cases[] = {
        { "cpu", { 250, VW_CGROUP_LIMIT_UNSET, VW_CGROUP_LIMIT_UNSET }, "cpu.weight", "250" },
        { "memory", { 0, 32 << 20, VW_CGROUP_LIMIT_UNSET }, "memory.max", "33554432" },
        { "pids", { 0, VW_CGROUP_LIMIT_UNSET, 17 }, "pids.max", "17" },
    };
    for (const auto &c : cases) {
        bool have = root_ctrls.count(c.controller) > 0;
        bool ok = vw_cgroup_partition_set_limits(layout, partition.c_str(), &c.limits, &error);
        if (have) {
            EXPECT_TRUE(ok) << (error ? error->message : "");
            EXPECT_EQ(Trim(ReadFile(dir + "/" + c.file)), c.value);
        } else {
            EXPECT_FALSE(ok);
            EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_UNSUPPORTED));
            ASSERT_NE(error, nullptr);
            EXPECT_NE(strstr(error->message, (std::string("'") + c.controller + "'").c_str()),
                      nullptr)
                << error->message;
        }
        g_clear_error(&error);
    }

    Child child;
    ASSERT_GT(child.pid(), 0);
    const char *required[] = { VW_CGROUP_UNIFIED, nullptr };
    ASSERT_TRUE(vw_cgroup_partition_place(layout, partition.c_str(), "dnsmasq", child.pid(),
                                          required, nullptr, &error))
        << error->message;
    bool found = false;
    for (const std::string &line : ProcCgroup(child.pid()))
        if (line.rfind("0::", 0) == 0) {
            EXPECT_EQ(line, "0::/virtwire.partition/" + net + ".partition/dnsmasq");
            found = true;
        }
    EXPECT_TRUE(found);
    EXPECT_EQ(Trim(ReadFile(dir + "/cgroup.procs")), "");

    EXPECT_FALSE(vw_cgroup_partition_remove(layout, partition.c_str(), &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_CGROUP_ERROR, VW_CGROUP_ERROR_BUSY));
    EXPECT_NE(strstr(error->message, std::to_string(child.pid()).c_str()), nullptr)
        << error->message;
    g_clear_error(&error);
    EXPECT_TRUE(IsDir(dir + "/dnsmasq"));

    child.Kill();
    ASSERT_TRUE(vw_cgroup_partition_remove(layout, partition.c_str(), &error)) << error->message;
    child.Reap();
    EXPECT_FALSE(IsDir(dir));
}

} // namespace
