// dnsmasq inside a network's netns (src/engine/vw-dnsmasq.c) against the
// real kernel and real DHCP clients: a scratch "network" netns holds the
// bridge and dnsmasq, a scratch "guest" netns holds busybox udhcpc on a veth
// whose peer is on the bridge.  Every test removes its namespaces, processes
// and files even when it fails.
#include <config.h>

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "vw-dnsmasq.h"
#include "vw-net-testutil.h"
#include "vw-netdef.h"
#include "vw-netns.h"
#include "vw-rtnl.h"

namespace
{

#define VW_REQUIRE_DNSMASQ()                                                                       \
    do {                                                                                           \
        VW_REQUIRE_ROOT();                                                                         \
        std::string why_;                                                                          \
        if (!HaveTools(&why_))                                                                     \
            GTEST_SKIP() << "machine lacks: " << why_;                                             \
    } while (0)

bool
HaveTools(std::string *why)
{
    g_autofree char *dnsmasq = g_find_program_in_path("dnsmasq");
    if (!dnsmasq && access("/usr/sbin/dnsmasq", X_OK) != 0) {
        *why = "dnsmasq (Debian package dnsmasq-base)";
        return false;
    }
    if (vwtest::Run({ "busybox", "udhcpc", "--help" }).status < 0) {
        *why = "busybox (udhcpc)";
        return false;
    }
    return true;
}

std::string
ReadFile(const std::string &path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool
PathExists(const std::string &path)
{
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
}

// A process that is gone or a zombie waiting for its reaper.
bool
ProcessGone(GPid pid)
{
    std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    if (stat.empty())
        return true;
    size_t paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

// Live processes whose command line contains @needle as one argument.
int
CountProcessesWithArg(const std::string &needle)
{
    int count = 0;
    GDir *dir = g_dir_open("/proc", 0, nullptr);
    if (!dir)
        return -1;
    while (const char *ent = g_dir_read_name(dir)) {
        if (!g_ascii_isdigit(ent[0]))
            continue;
        std::string cmdline = ReadFile(std::string("/proc/") + ent + "/cmdline");
        for (size_t pos = 0; pos < cmdline.size();) {
            size_t end = cmdline.find('\0', pos);
            if (end == std::string::npos)
                end = cmdline.size();
            if (cmdline.compare(pos, end - pos, needle) == 0) {
                count++;
                break;
            }
            pos = end + 1;
        }
    }
    g_dir_close(dir);
    return count;
}

int
RemoveEntry(const char *path, const struct stat *, int, struct FTW *)
{
    remove(path);
    return 0;
}

struct FdGuard {
    int fd;
    explicit FdGuard(int f) : fd(f)
    {
    }
    ~FdGuard()
    {
        if (fd >= 0)
            close(fd);
    }
};

// A directory under /tmp (mode 0755 so that dnsmasq can reach it after
// dropping root), removed with its contents on scope exit.
class TempDir
{
  public:
    TempDir()
    {
        char tmpl[] = "/tmp/vw-test-dnsmasq-XXXXXX";
        if (mkdtemp(tmpl)) {
            path_ = tmpl;
            chmod(path_.c_str(), 0755);
        }
    }
    ~TempDir()
    {
        if (!path_.empty()) {
            chmod(path_.c_str(), 0755);
            nftw(path_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
        }
    }
    const std::string &path() const
    {
        return path_;
    }
    std::string operator/(const std::string &name) const
    {
        return path_ + "/" + name;
    }

  private:
    std::string path_;
};

// A namespace made with vw_netns_create() and removed on scope exit.
class Netns
{
  public:
    Netns() : name_(vwtest::ScratchName("vwtd"))
    {
        g_autoptr(GError) error = nullptr;
        ok_ = vw_netns_create(name_.c_str(), &error);
        if (!ok_)
            error_ = error->message;
    }
    ~Netns()
    {
        if (ok_)
            vw_netns_delete(name_.c_str(), nullptr);
    }
    const std::string &name() const
    {
        return name_;
    }
    bool ok() const
    {
        return ok_;
    }
    const std::string &error() const
    {
        return error_;
    }

  private:
    std::string name_;
    std::string error_;
    bool ok_ = false;
};

// Stops the dnsmasq of a run directory on scope exit, and kills every pid
// it was told about in case stopping failed.
class DnsmasqGuard
{
  public:
    explicit DnsmasqGuard(std::string run_dir) : run_dir_(std::move(run_dir))
    {
    }
    ~DnsmasqGuard()
    {
        vw_dnsmasq_stop(run_dir_.c_str(), nullptr);
        for (GPid pid : pids_) {
            std::string cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
            if (cmdline.find(run_dir_) != std::string::npos)
                kill(pid, SIGKILL);
        }
    }
    void Track(GPid pid)
    {
        pids_.push_back(pid);
    }

  private:
    std::string run_dir_;
    std::vector<GPid> pids_;
};

const char kSubnetGateway[] = "10.77.0.1";
const char kStaticMac[] = "52:54:00:aa:00:01";
const char kStaticIp[] = "10.77.0.10";
const char kDomain[] = "t.internal";

std::string
NetworkXml(const std::string &netns, const std::string &extra_dns = "")
{
    return "<network><name>tdns</name><netns name='" + netns +
           "'/><bridge name='vwbr0'/>"
           "<ip family='ipv4' address='10.77.0.1' prefix='24'><dhcp>"
           "<range start='10.77.0.100' end='10.77.0.199'/>"
           "<host mac='52:54:00:aa:00:01' ip='10.77.0.10' name='fixed'/>"
           "</dhcp></ip><dns domain='t.internal'>" +
           extra_dns + "</dns></network>";
}

VwNetDef *
ParseDef(const std::string &xml)
{
    g_autoptr(GError) error = nullptr;
    VwNetDef *def = vw_netdef_parse(xml.c_str(), -1, &error);
    EXPECT_NE(def, nullptr) << (error ? error->message : "");
    return def;
}

// The network side: a netns with the bridge up and the gateway address on
// it, plus a guest netns where DHCP clients run.
class DhcpLab
{
  public:
    DhcpLab()
    {
        if (!net_.ok() || !guest_.ok() || dir_.path().empty()) {
            error_ =
                "cannot make scratch namespaces or directory: " + net_.error() + guest_.error();
            return;
        }
        run_dir_ = dir_ / "run";
        g_autoptr(GError) error = nullptr;
        net_rtnl_ = vw_rtnl_open_netns(net_.name().c_str(), &error);
        if (net_rtnl_)
            guest_rtnl_ = vw_rtnl_open_netns(guest_.name().c_str(), &error);
        if (!guest_rtnl_ || !vw_rtnl_bridge_add(net_rtnl_, "vwbr0", &error) ||
            !vw_rtnl_addr_add(net_rtnl_, "vwbr0", "10.77.0.1/24", &error) ||
            !vw_rtnl_link_set_up(net_rtnl_, "vwbr0", TRUE, &error) ||
            !vw_rtnl_link_set_up(net_rtnl_, "lo", TRUE, &error) ||
            !vw_rtnl_link_set_up(guest_rtnl_, "lo", TRUE, &error)) {
            error_ = error ? error->message : "cannot open rtnetlink";
            return;
        }
        ok_ = true;
    }
    ~DhcpLab()
    {
        vw_rtnl_free(guest_rtnl_);
        vw_rtnl_free(net_rtnl_);
    }
    bool ok() const
    {
        return ok_;
    }
    const std::string &error() const
    {
        return error_;
    }
    const std::string &netns() const
    {
        return net_.name();
    }
    const std::string &guest() const
    {
        return guest_.name();
    }
    const std::string &run_dir() const
    {
        return run_dir_;
    }
    const TempDir &dir() const
    {
        return dir_;
    }

    // Plug a fresh veth with @mac into the bridge, run udhcpc on it in the
    // guest netns and return what the server offered (keys ip, router, dns,
    // domain), or an empty map on failure (details in *log).
    std::map<std::string, std::string> Lease(const std::string &mac, std::string *log,
                                             const std::string &tries = "10")
    {
        std::map<std::string, std::string> result;
        unsigned n = clients_++;
        std::string net_end = "vwtc" + std::to_string(n);
        std::string guest_end = "vwtg" + std::to_string(n);
        std::string out = dir_ / ("lease-" + std::to_string(n));
        std::string script = dir_ / ("udhcpc-" + std::to_string(n) + ".sh");
        guint8 mac_bytes[6];
        g_autoptr(GError) error = nullptr;

        if (sscanf(mac.c_str(), "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac_bytes[0], &mac_bytes[1],
                   &mac_bytes[2], &mac_bytes[3], &mac_bytes[4], &mac_bytes[5]) != 6) {
            *log = "bad MAC in test: " + mac;
            return result;
        }
        FdGuard guest_fd(vw_netns_open(guest_.name().c_str(), &error));
        if (guest_fd.fd < 0 ||
            !vw_rtnl_veth_add(net_rtnl_, net_end.c_str(), guest_end.c_str(), guest_fd.fd, &error) ||
            !vw_rtnl_link_set_master(net_rtnl_, net_end.c_str(), "vwbr0", &error) ||
            !vw_rtnl_link_set_up(net_rtnl_, net_end.c_str(), TRUE, &error) ||
            !vw_rtnl_link_set_mac(guest_rtnl_, guest_end.c_str(), mac_bytes, &error) ||
            !vw_rtnl_link_set_up(guest_rtnl_, guest_end.c_str(), TRUE, &error)) {
            *log = error ? error->message : "plumbing failed";
            vw_rtnl_link_delete(net_rtnl_, net_end.c_str(), nullptr);
            return result;
        }
        // The script only records the offer: the guest end stays unconfigured.
        std::ofstream(script) << "#!/bin/sh\n"
                                 "case \"$1\" in bound|renew)\n"
                                 "  printf 'ip=%s\\nrouter=%s\\ndns=%s\\ndomain=%s\\n' \"$ip\" "
                                 "\"$router\" \"$dns\" \"$domain\" > '"
                              << out << "';;\nesac\nexit 0\n";
        chmod(script.c_str(), 0755);
        vwtest::Cmd c =
            vwtest::Run({ "ip", "netns", "exec", guest_.name(), "busybox", "udhcpc", "-i",
                          guest_end, "-n", "-q", "-f", "-t", tries, "-T", "2", "-s", script });
        *log = "udhcpc status " + std::to_string(c.status) + ": " + c.out + c.err;
        vw_rtnl_link_delete(net_rtnl_, net_end.c_str(), nullptr);
        std::istringstream lines(ReadFile(out));
        for (std::string line; std::getline(lines, line);) {
            size_t eq = line.find('=');
            if (eq != std::string::npos)
                result[line.substr(0, eq)] = line.substr(eq + 1);
        }
        return result;
    }

  private:
    Netns net_;
    Netns guest_;
    TempDir dir_;
    std::string run_dir_;
    VwRtnl *net_rtnl_ = nullptr;
    VwRtnl *guest_rtnl_ = nullptr;
    bool ok_ = false;
    std::string error_;
    unsigned clients_ = 0;
};

// Number of times dnsmasq logged reading the hosts file.
int
HostsReads(const std::string &run_dir)
{
    std::string log = ReadFile(run_dir + "/" VW_DNSMASQ_LOG_FILE);
    std::string needle = "read " + run_dir + "/" VW_DNSMASQ_HOSTS_FILE;
    int count = 0;
    for (size_t pos = log.find(needle); pos != std::string::npos; pos = log.find(needle, pos + 1))
        count++;
    return count;
}

// Wait (bounded) until dnsmasq logged more than @before reads of the hosts
// file: SIGHUP is asynchronous, the test must not race it.
bool
WaitHostsReads(const std::string &run_dir, int before)
{
    for (int i = 0; i < 2000; i++) {
        if (HostsReads(run_dir) > before)
            return true;
        g_usleep(10 * 1000);
    }
    return false;
}

off_t
Size(const std::string &path)
{
    struct stat st;
    if (stat(path.c_str(), &st) != 0)
        return -1;
    return st.st_size;
}

unsigned long
Inode(const std::string &path)
{
    struct stat st;
    if (stat(path.c_str(), &st) != 0)
        return 0;
    return st.st_ino;
}

#define START_LAB(lab)                                                                             \
    DhcpLab lab;                                                                                   \
    ASSERT_TRUE(lab.ok()) << lab.error();                                                          \
    DnsmasqGuard lab##_guard(lab.run_dir())

} // namespace

// Only the MACs virtwire knows get an address: the definition's <host>s and
// the ports in the hosts file.  A stranger (a MAC with no dhcp-host) gets
// nothing, not even from the <range>s (they are IPAM's, not dnsmasq's), and
// its requests leave no line in the log.
TEST(Dnsmasq, ServesOnlyKnownMacs)
{
    VW_REQUIRE_DNSMASQ();
    START_LAB(lab);
    g_autoptr(VwNetDef) def = ParseDef(NetworkXml(lab.netns()));
    ASSERT_NE(def, nullptr);
    g_autoptr(GError) error = nullptr;
    GPid pid = 0;
    ASSERT_TRUE(vw_dnsmasq_start(def, lab.run_dir().c_str(), &pid, &error)) << error->message;
    lab_guard.Track(pid);
    ASSERT_TRUE(WaitHostsReads(lab.run_dir(), 0));
    int reads = HostsReads(lab.run_dir());
    ASSERT_TRUE(
        vw_dnsmasq_set_hosts(lab.run_dir().c_str(), "52:54:00:aa:10:01,10.77.0.150\n", &error))
        << error->message;
    ASSERT_TRUE(WaitHostsReads(lab.run_dir(), reads));

    std::string log;
    auto stranger = lab.Lease("52:54:00:aa:66:66", &log, "2");
    EXPECT_TRUE(stranger["ip"].empty()) << "a stranger got " << stranger["ip"];
    EXPECT_EQ(ReadFile(lab.run_dir() + "/" VW_DNSMASQ_LEASE_FILE).find("52:54:00:aa:66:66"),
              std::string::npos);

    auto port = lab.Lease("52:54:00:aa:10:01", &log);
    EXPECT_EQ(port["ip"], "10.77.0.150") << log;
    EXPECT_EQ(port["router"], kSubnetGateway);
    EXPECT_EQ(port["dns"], kSubnetGateway);
    EXPECT_EQ(port["domain"], kDomain);

    auto fixed = lab.Lease(kStaticMac, &log);
    EXPECT_EQ(fixed["ip"], kStaticIp) << log;

    // No line per request, neither the stranger's nor the known clients'.
    std::string text = ReadFile(lab.run_dir() + "/" VW_DNSMASQ_LOG_FILE);
    EXPECT_EQ(text.find("DHCPDISCOVER"), std::string::npos) << text;
    EXPECT_EQ(text.find("DHCPACK"), std::string::npos) << text;
    EXPECT_EQ(text.find("52:54:00:aa:66:66"), std::string::npos) << text;
}

// The log never grows past its bound: a start or a reload that finds it
// larger keeps its tail in dnsmasq.log.old and empties it, and dnsmasq goes
// on writing at its start (no hole, no lost descriptor).
TEST(Dnsmasq, LogIsBounded)
{
    VW_REQUIRE_DNSMASQ();
    START_LAB(lab);
    g_autoptr(VwNetDef) def = ParseDef(NetworkXml(lab.netns()));
    ASSERT_NE(def, nullptr);
    g_autoptr(GError) error = nullptr;
    GPid pid = 0;
    ASSERT_TRUE(vw_dnsmasq_start(def, lab.run_dir().c_str(), &pid, &error)) << error->message;
    lab_guard.Track(pid);
    ASSERT_TRUE(WaitHostsReads(lab.run_dir(), 0));

    // As if dnsmasq had logged for a long time.
    std::string log_path = lab.run_dir() + "/" VW_DNSMASQ_LOG_FILE;
    {
        std::ofstream out(log_path, std::ios::app);
        std::string line(99, 'x');
        for (int i = 0; i < 2 * VW_DNSMASQ_LOG_MAX / 100; i++)
            out << line << "\n";
        out << "last line before the trim\n";
    }
    ASSERT_GT(Size(log_path), (off_t)VW_DNSMASQ_LOG_MAX);
    ASSERT_TRUE(
        vw_dnsmasq_set_hosts(lab.run_dir().c_str(), "52:54:00:aa:10:01,10.77.0.150\n", &error))
        << error->message;
    ASSERT_TRUE(WaitHostsReads(lab.run_dir(), 0)) << "dnsmasq logged nothing after the trim";
    EXPECT_LT(Size(log_path), 4096) << "the log was not emptied, or dnsmasq wrote past a hole";
    std::string old = ReadFile(lab.run_dir() + "/" VW_DNSMASQ_LOG_OLD);
    EXPECT_LE(old.size(), (size_t)VW_DNSMASQ_LOG_MAX);
    EXPECT_NE(old.find("last line before the trim\n"), std::string::npos);
    EXPECT_EQ(vw_dnsmasq_running(lab.run_dir().c_str()), pid);

    // A start that finds it large trims it too.
    {
        std::ofstream out(log_path, std::ios::app);
        out << std::string(VW_DNSMASQ_LOG_MAX + 1, 'y') << "\n";
    }
    ASSERT_TRUE(vw_dnsmasq_start(def, lab.run_dir().c_str(), &pid, &error)) << error->message;
    EXPECT_LT(Size(log_path), 4096);
}

TEST(Dnsmasq, SetHostsReachesNextClientWithoutRestart)
{
    VW_REQUIRE_DNSMASQ();
    START_LAB(lab);
    g_autoptr(VwNetDef) def = ParseDef(NetworkXml(lab.netns()));
    ASSERT_NE(def, nullptr);
    g_autoptr(GError) error = nullptr;
    GPid pid = 0;
    ASSERT_TRUE(vw_dnsmasq_start(def, lab.run_dir().c_str(), &pid, &error)) << error->message;
    lab_guard.Track(pid);
    // Let the start-up read of the hosts file be logged before counting.
    ASSERT_TRUE(WaitHostsReads(lab.run_dir(), 0));
    int reads = HostsReads(lab.run_dir());

    ASSERT_TRUE(vw_dnsmasq_set_hosts(lab.run_dir().c_str(),
                                     "52:54:00:BB:00:02,10.77.0.42,port1\n"
                                     "\n52:54:00:bb:00:03 , 10.77.0.43\n",
                                     &error))
        << error->message;
    EXPECT_EQ(ReadFile(lab.run_dir() + "/" VW_DNSMASQ_HOSTS_FILE),
              "52:54:00:bb:00:02,10.77.0.42,port1\n52:54:00:bb:00:03,10.77.0.43\n");
    ASSERT_TRUE(WaitHostsReads(lab.run_dir(), reads)) << "dnsmasq never re-read the hosts file";

    std::string log;
    auto lease = lab.Lease("52:54:00:bb:00:02", &log);
    EXPECT_EQ(lease["ip"], "10.77.0.42") << log;
    EXPECT_EQ(vw_dnsmasq_running(lab.run_dir().c_str()), pid);
    EXPECT_FALSE(ProcessGone(pid));
}

TEST(Dnsmasq, StartTwiceKeepsOneProcess)
{
    VW_REQUIRE_DNSMASQ();
    START_LAB(lab);
    g_autoptr(VwNetDef) def = ParseDef(NetworkXml(lab.netns()));
    ASSERT_NE(def, nullptr);
    g_autoptr(GError) error = nullptr;
    GPid first = 0, second = 0;
    ASSERT_TRUE(vw_dnsmasq_start(def, lab.run_dir().c_str(), &first, &error)) << error->message;
    lab_guard.Track(first);
    ASSERT_TRUE(vw_dnsmasq_start(def, lab.run_dir().c_str(), &second, &error)) << error->message;
    lab_guard.Track(second);
    EXPECT_EQ(first, second);
    std::string conf_arg = "--conf-file=" + lab.run_dir() + "/" VW_DNSMASQ_CONF_FILE;
    EXPECT_EQ(CountProcessesWithArg(conf_arg), 1);
}

TEST(Dnsmasq, StopLeavesNoProcessNorPidFile)
{
    VW_REQUIRE_DNSMASQ();
    START_LAB(lab);
    g_autoptr(VwNetDef) def = ParseDef(NetworkXml(lab.netns()));
    ASSERT_NE(def, nullptr);
    g_autoptr(GError) error = nullptr;
    GPid pid = 0;
    ASSERT_TRUE(vw_dnsmasq_start(def, lab.run_dir().c_str(), &pid, &error)) << error->message;
    lab_guard.Track(pid);
    std::string pid_file = lab.run_dir() + "/" VW_DNSMASQ_PID_FILE;
    ASSERT_TRUE(PathExists(pid_file));
    EXPECT_EQ(vw_dnsmasq_running(lab.run_dir().c_str()), pid);

    ASSERT_TRUE(vw_dnsmasq_stop(lab.run_dir().c_str(), &error)) << error->message;
    EXPECT_TRUE(ProcessGone(pid));
    EXPECT_FALSE(PathExists(pid_file));
    EXPECT_EQ(vw_dnsmasq_running(lab.run_dir().c_str()), 0);
    std::string conf_arg = "--conf-file=" + lab.run_dir() + "/" VW_DNSMASQ_CONF_FILE;
    EXPECT_EQ(CountProcessesWithArg(conf_arg), 0);
    // Stopping what is not running succeeds; reloading it does not.
    EXPECT_TRUE(vw_dnsmasq_stop(lab.run_dir().c_str(), &error));
    EXPECT_FALSE(vw_dnsmasq_reload(lab.run_dir().c_str(), &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_NOT_RUNNING));
}

TEST(Dnsmasq, LivesInTheNetworkNetnsInItsOwnSession)
{
    VW_REQUIRE_DNSMASQ();
    START_LAB(lab);
    g_autoptr(VwNetDef) def = ParseDef(NetworkXml(lab.netns()));
    ASSERT_NE(def, nullptr);
    g_autoptr(GError) error = nullptr;
    GPid pid = 0;
    ASSERT_TRUE(vw_dnsmasq_start(def, lab.run_dir().c_str(), &pid, &error)) << error->message;
    lab_guard.Track(pid);

    std::string proc = "/proc/" + std::to_string(pid);
    unsigned long ns = Inode(proc + "/ns/net");
    EXPECT_NE(ns, 0u);
    EXPECT_EQ(ns, Inode(std::string(VW_NETNS_RUN_DIR) + "/" + lab.netns()));
    EXPECT_NE(ns, Inode("/proc/self/ns/net"));
    EXPECT_TRUE(vw_dnsmasq_in_netns(pid, lab.netns().c_str()));
    EXPECT_FALSE(vw_dnsmasq_in_netns(pid, lab.guest().c_str()));
    // Daemonised: not our child, its own session, no stream of ours.
    EXPECT_NE(getsid(pid), getsid(0));
    for (int fd = 0; fd <= 2; fd++) {
        g_autofree char *target =
            g_file_read_link((proc + "/fd/" + std::to_string(fd)).c_str(), nullptr);
        EXPECT_STREQ(target, "/dev/null") << "fd " << fd;
    }
}

// The starter (standing in for the CLI or the libvirt hook) has pipes as
// stdout and stderr; they must reach EOF as soon as it exits, while dnsmasq
// keeps running.  A daemon holding them would hang libvirtd.
TEST(Dnsmasq, StarterPipesReachEofWhileDaemonRuns)
{
    VW_REQUIRE_DNSMASQ();
    const char *starter = g_getenv("VW_DNSMASQ_STARTER");
    ASSERT_NE(starter, nullptr) << "VW_DNSMASQ_STARTER is not set (run through meson test)";
    START_LAB(lab);
    std::string xml_path = lab.dir() / "net.xml";
    std::ofstream(xml_path) << NetworkXml(lab.netns());

    const char *argv[] = { starter, xml_path.c_str(), lab.run_dir().c_str(), nullptr };
    g_autoptr(GError) error = nullptr;
    GPid child = 0;
    int out_fd = -1, err_fd = -1;
    ASSERT_TRUE(g_spawn_async_with_pipes(nullptr, (char **)argv, nullptr, G_SPAWN_DO_NOT_REAP_CHILD,
                                         nullptr, nullptr, &child, nullptr, &out_fd, &err_fd,
                                         &error))
        << error->message;

    // Read both pipes to EOF; a bound keeps a regression from hanging the suite.
    std::string out, err;
    bool out_open = true, err_open = true;
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    while ((out_open || err_open) && g_get_monotonic_time() < deadline) {
        struct pollfd pfds[2] = { { out_open ? out_fd : -1, POLLIN, 0 },
                                  { err_open ? err_fd : -1, POLLIN, 0 } };
        if (poll(pfds, 2, 1000) <= 0)
            continue;
        char buf[256];
        for (int i = 0; i < 2; i++) {
            if (!pfds[i].revents)
                continue;
            ssize_t n = read(pfds[i].fd, buf, sizeof(buf));
            if (n > 0)
                (i == 0 ? out : err).append(buf, n);
            else
                (i == 0 ? out_open : err_open) = false;
        }
    }
    close(out_fd);
    close(err_fd);
    int status = 0;
    if (out_open || err_open)
        kill(child, SIGKILL);
    waitpid(child, &status, 0);
    EXPECT_FALSE(out_open) << "the starter's stdout never reached EOF";
    EXPECT_FALSE(err_open) << "the starter's stderr never reached EOF";
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << err;

    GPid pid = atoi(out.c_str());
    lab_guard.Track(pid);
    ASSERT_GT(pid, 0) << out;
    EXPECT_NE(pid, child);
    EXPECT_EQ(vw_dnsmasq_running(lab.run_dir().c_str()), pid);
    EXPECT_FALSE(ProcessGone(pid));
    EXPECT_TRUE(vw_dnsmasq_in_netns(pid, lab.netns().c_str()));
}

TEST(Dnsmasq, ChangedConfigurationRestarts)
{
    VW_REQUIRE_DNSMASQ();
    START_LAB(lab);
    g_autoptr(VwNetDef) def = ParseDef(NetworkXml(lab.netns()));
    g_autoptr(VwNetDef) changed =
        ParseDef(NetworkXml(lab.netns(), "<forwarder addr='10.77.0.250'/>"));
    ASSERT_NE(def, nullptr);
    ASSERT_NE(changed, nullptr);
    g_autoptr(GError) error = nullptr;
    GPid first = 0, second = 0;
    ASSERT_TRUE(vw_dnsmasq_start(def, lab.run_dir().c_str(), &first, &error)) << error->message;
    lab_guard.Track(first);
    ASSERT_TRUE(vw_dnsmasq_start(changed, lab.run_dir().c_str(), &second, &error))
        << error->message;
    lab_guard.Track(second);
    EXPECT_NE(first, second);
    EXPECT_TRUE(ProcessGone(first));
    EXPECT_FALSE(ProcessGone(second));
    EXPECT_NE(ReadFile(lab.run_dir() + "/" VW_DNSMASQ_CONF_FILE).find("server=10.77.0.250\n"),
              std::string::npos);
}

// The netns was deleted and made again (e.g. after a crash): the old dnsmasq
// lives on in the orphaned namespace and must be replaced.
TEST(Dnsmasq, RestartsWhenItsNetnsWasReplaced)
{
    VW_REQUIRE_DNSMASQ();
    START_LAB(lab);
    g_autoptr(VwNetDef) def = ParseDef(NetworkXml(lab.netns()));
    ASSERT_NE(def, nullptr);
    g_autoptr(GError) error = nullptr;
    GPid first = 0, second = 0;
    ASSERT_TRUE(vw_dnsmasq_start(def, lab.run_dir().c_str(), &first, &error)) << error->message;
    lab_guard.Track(first);
    ASSERT_TRUE(vw_netns_delete(lab.netns().c_str(), &error)) << error->message;
    ASSERT_TRUE(vw_netns_create(lab.netns().c_str(), &error)) << error->message;
    EXPECT_FALSE(vw_dnsmasq_in_netns(first, lab.netns().c_str()));

    ASSERT_TRUE(vw_dnsmasq_start(def, lab.run_dir().c_str(), &second, &error)) << error->message;
    lab_guard.Track(second);
    EXPECT_NE(first, second);
    EXPECT_TRUE(ProcessGone(first));
    EXPECT_TRUE(vw_dnsmasq_in_netns(second, lab.netns().c_str()));
}

// A pid file naming some other live process (pid reuse) is not a dnsmasq of
// ours: it is neither reported, nor signalled.
TEST(Dnsmasq, ForeignPidFileIsIgnored)
{
    VW_REQUIRE_DNSMASQ();
    START_LAB(lab);
    g_autoptr(VwNetDef) def = ParseDef(NetworkXml(lab.netns()));
    ASSERT_NE(def, nullptr);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_dnsmasq_write_config(def, lab.run_dir().c_str(), &error)) << error->message;
    std::string pid_file = lab.run_dir() + "/" VW_DNSMASQ_PID_FILE;
    std::ofstream(pid_file) << getpid() << "\n";
    EXPECT_EQ(vw_dnsmasq_running(lab.run_dir().c_str()), 0);
    EXPECT_TRUE(vw_dnsmasq_stop(lab.run_dir().c_str(), &error));
    EXPECT_FALSE(PathExists(pid_file));

    std::ofstream(pid_file) << getpid() << "\n";
    GPid pid = 0;
    ASSERT_TRUE(vw_dnsmasq_start(def, lab.run_dir().c_str(), &pid, &error)) << error->message;
    lab_guard.Track(pid);
    EXPECT_NE(pid, getpid());
    EXPECT_EQ(vw_dnsmasq_running(lab.run_dir().c_str()), pid);
}

// A second dnsmasq cannot bind the same bridge: dnsmasq's own message comes
// back in the error, and nothing is left running for the second run dir.
TEST(Dnsmasq, StartFailureCarriesDnsmasqMessage)
{
    VW_REQUIRE_DNSMASQ();
    START_LAB(lab);
    g_autoptr(VwNetDef) def = ParseDef(NetworkXml(lab.netns()));
    ASSERT_NE(def, nullptr);
    g_autoptr(GError) error = nullptr;
    GPid pid = 0;
    ASSERT_TRUE(vw_dnsmasq_start(def, lab.run_dir().c_str(), &pid, &error)) << error->message;
    lab_guard.Track(pid);

    std::string other = lab.dir() / "other";
    DnsmasqGuard other_guard(other);
    EXPECT_FALSE(vw_dnsmasq_start(def, other.c_str(), nullptr, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_FAILED))
        << error->message;
    EXPECT_NE(strstr(error->message, "tdns"), nullptr) << error->message;
    EXPECT_NE(strstr(error->message, "in use"), nullptr) << error->message;
    EXPECT_EQ(vw_dnsmasq_running(other.c_str()), 0);
    std::string conf_arg = "--conf-file=" + other + "/" VW_DNSMASQ_CONF_FILE;
    EXPECT_EQ(CountProcessesWithArg(conf_arg), 0);
    g_clear_error(&error);

    // No such netns.
    g_autoptr(VwNetDef) lost = ParseDef(NetworkXml("vwtd-absent"));
    ASSERT_NE(lost, nullptr);
    EXPECT_FALSE(vw_dnsmasq_start(lost, (lab.dir() / "lost").c_str(), nullptr, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(strstr(error->message, "vwtd-absent"), nullptr) << error->message;
    EXPECT_FALSE(PathExists(lab.dir() / "lost"));
}

TEST(Dnsmasq, ConfigurationText)
{
    g_autoptr(VwNetDef) def =
        ParseDef("<network><name>cfg</name><bridge name='br7'/><forward mode='nat'/>"
                 "<ip family='ipv4' address='10.5.0.1' prefix='24'><dhcp>"
                 "<range start='10.5.0.100' end='10.5.0.109'/>"
                 "<host mac='52:54:00:00:00:01' ip='10.5.0.5' name='vm1'/></dhcp></ip>"
                 "<ip family='ipv6' address='fd00:5::1' prefix='64'><dhcp>"
                 "<host mac='52:54:00:00:00:01' ip='fd00:5::5'/></dhcp></ip>"
                 "<dns domain='cfg.internal'><forwarder addr='192.0.2.53'/>"
                 "<forwarder addr='2001:db8::53'/></dns></network>");
    ASSERT_NE(def, nullptr);
    g_autoptr(GError) error = nullptr;
    g_autofree char *text = vw_dnsmasq_config_text(def, "/run/vw/cfg", &error);
    ASSERT_NE(text, nullptr) << error->message;
    std::string conf = text;
    for (const char *line : { "interface=br7\n",
                              "except-interface=lo\n",
                              "bind-dynamic\n",
                              "no-resolv\n",
                              "no-hosts\n",
                              "pid-file=/run/vw/cfg/dnsmasq.pid\n",
                              "log-facility=/run/vw/cfg/dnsmasq.log\n",
                              "dhcp-leasefile=/run/vw/cfg/leases\n",
                              "dhcp-hostsfile=/run/vw/cfg/dhcp-hosts\n",
                              "domain=cfg.internal\n",
                              "local=/cfg.internal/\n",
                              "expand-hosts\n",
                              "strict-order\n",
                              "server=192.0.2.53\n",
                              "server=2001:db8::53\n",
                              "dhcp-authoritative\n",
                              "dhcp-ignore=tag:!known\n",
                              "quiet-dhcp\n",
                              "quiet-dhcp6\n",
                              "quiet-ra\n",
                              "dhcp-range=10.5.0.0,static,255.255.255.0,1h\n",
                              "dhcp-host=52:54:00:00:00:01,10.5.0.5,vm1\n",
                              "enable-ra\n",
                              "dhcp-range=fd00:5::,static,64,1h\n",
                              "dhcp-host=52:54:00:00:00:01,[fd00:5::5]\n" })
        EXPECT_NE(conf.find(line), std::string::npos) << "missing " << line << "in\n" << conf;
    EXPECT_EQ(conf.find("port="), std::string::npos);
    // The <range> is IPAM's: dnsmasq gets no dynamic range to hand out.
    EXPECT_EQ(conf.find("10.5.0.100"), std::string::npos) << conf;

    // Isolated, no forwarders: no upstream at all.
    g_autoptr(VwNetDef) iso = ParseDef("<network><name>iso</name>"
                                       "<ip address='10.6.0.1' prefix='24'/></network>");
    ASSERT_NE(iso, nullptr);
    g_autofree char *iso_text = vw_dnsmasq_config_text(iso, "/run/vw/iso", &error);
    ASSERT_NE(iso_text, nullptr) << error->message;
    conf = iso_text;
    EXPECT_NE(conf.find("no-resolv\n"), std::string::npos);
    EXPECT_EQ(conf.find("server="), std::string::npos);
    EXPECT_NE(conf.find("dhcp-range=10.6.0.0,static,255.255.255.0,1h\n"), std::string::npos)
        << conf;
    EXPECT_EQ(conf.find("enable-ra"), std::string::npos);

    // dnsmasq itself accepts what we write.
    g_autofree char *dnsmasq = g_find_program_in_path("dnsmasq");
    if (!dnsmasq && access("/usr/sbin/dnsmasq", X_OK) == 0)
        dnsmasq = g_strdup("/usr/sbin/dnsmasq");
    if (dnsmasq) {
        TempDir dir;
        std::string path = dir / "test.conf";
        std::ofstream(path) << text;
        vwtest::Cmd c = vwtest::Run({ dnsmasq, "--test", "--conf-file=" + path });
        EXPECT_EQ(c.status, 0) << c.out << c.err;
    }
}

// Issue 18 point 7: a symbolic link in place of a run file (the
// configuration, the hosts file, the pid file dnsmasq writes as root) or of
// a folder on the way to the run dir is refused with an error naming it, and
// never followed: its target is neither read, written nor replaced.
TEST(Dnsmasq, SymlinkedRunFilesAreRefusedAndNotFollowed)
{
    VW_REQUIRE_DNSMASQ();
    g_autoptr(VwNetDef) def = ParseDef(NetworkXml("vwtd-none"));
    ASSERT_NE(def, nullptr);
    TempDir dir;
    ASSERT_FALSE(dir.path().empty());
    std::string run_dir = dir / "run";
    std::string victim = dir / "victim";
    const std::string kVictim = "not virtwire's\n";
    std::ofstream(victim) << kVictim;
    {
        g_autoptr(GError) error = nullptr;
        ASSERT_TRUE(vw_dnsmasq_write_config(def, run_dir.c_str(), &error)) << error->message;
    }

    for (const char *name : { VW_DNSMASQ_CONF_FILE, VW_DNSMASQ_HOSTS_FILE, VW_DNSMASQ_PID_FILE }) {
        SCOPED_TRACE(name);
        std::string path = run_dir + "/" + name;
        std::string saved = path + ".saved";
        bool had = PathExists(path);
        if (had) {
            ASSERT_EQ(rename(path.c_str(), saved.c_str()), 0);
        }
        ASSERT_EQ(symlink(victim.c_str(), path.c_str()), 0);

        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_dnsmasq_write_config(def, run_dir.c_str(), &error))
            << "a link in place of " << path << " was accepted";
        if (error) {
            EXPECT_NE(strstr(error->message, path.c_str()), nullptr) << error->message;
            EXPECT_NE(strstr(error->message, "symbolic link"), nullptr) << error->message;
        }
        EXPECT_EQ(ReadFile(victim), kVictim);
        struct stat st;
        ASSERT_EQ(lstat(path.c_str(), &st), 0);
        EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the link was replaced";
        EXPECT_EQ(vw_dnsmasq_running(run_dir.c_str()), 0);

        ASSERT_EQ(unlink(path.c_str()), 0);
        if (had) {
            ASSERT_EQ(rename(saved.c_str(), path.c_str()), 0);
        }
    }

    // stop removes a linked pid file itself, never what it points to.
    std::string pid_file = run_dir + "/" VW_DNSMASQ_PID_FILE;
    std::ofstream(victim) << getpid() << "\n";
    ASSERT_EQ(symlink(victim.c_str(), pid_file.c_str()), 0);
    {
        g_autoptr(GError) error = nullptr;
        EXPECT_TRUE(vw_dnsmasq_stop(run_dir.c_str(), &error)) << error->message;
    }
    EXPECT_FALSE(PathExists(pid_file));
    EXPECT_EQ(ReadFile(victim), std::to_string(getpid()) + "\n");

    // A folder on the way to the run dir that is a link.
    std::string real = dir / "real";
    std::string linked = dir / "linked";
    ASSERT_EQ(mkdir(real.c_str(), 0755), 0);
    ASSERT_EQ(symlink(real.c_str(), linked.c_str()), 0);
    {
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_dnsmasq_write_config(def, (linked + "/run").c_str(), &error))
            << "a run dir through a link was accepted";
        if (error) {
            EXPECT_NE(strstr(error->message, linked.c_str()), nullptr) << error->message;
        }
        EXPECT_FALSE(PathExists(real + "/run"));
    }
}

TEST(Dnsmasq, BadInputNamesTheValueAndChangesNothing)
{
    VW_REQUIRE_DNSMASQ();
    g_autoptr(VwNetDef) def = ParseDef(NetworkXml("vwtd-none"));
    ASSERT_NE(def, nullptr);
    TempDir dir;
    ASSERT_FALSE(dir.path().empty());

    for (const char *bad : { "relative/dir", "/tmp/with space", "/tmp/new\nline", "/tmp/a,b" }) {
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_dnsmasq_write_config(def, bad, &error)) << bad;
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(g_error_matches(error, VW_DNSMASQ_ERROR, VW_DNSMASQ_ERROR_INVALID));
        g_autofree char *shown = g_strescape(bad, nullptr);
        EXPECT_NE(strstr(error->message, shown), nullptr) << error->message;
    }

    // A directory dnsmasq could not reach after dropping root.
    std::string closed = dir / "closed";
    ASSERT_EQ(mkdir(closed.c_str(), 0700), 0);
    chmod(closed.c_str(), 0700);
    std::string run = closed + "/run";
    {
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_dnsmasq_write_config(def, run.c_str(), &error));
        ASSERT_NE(error, nullptr);
        EXPECT_NE(strstr(error->message, closed.c_str()), nullptr) << error->message;
        EXPECT_FALSE(PathExists(run));
    }

    // An invalid definition.
    {
        g_autoptr(VwNetDef) broken = ParseDef(NetworkXml("vwtd-none"));
        ASSERT_NE(broken, nullptr);
        g_free(broken->bridge);
        broken->bridge = g_strdup("bad bridge");
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_dnsmasq_write_config(broken, (dir / "b").c_str(), &error));
        ASSERT_NE(error, nullptr);
        EXPECT_NE(strstr(error->message, "bad bridge"), nullptr) << error->message;
        EXPECT_FALSE(PathExists(dir / "b"));
    }

    // Bad hosts lines: named, and the file keeps its content.
    std::string run_dir = dir / "run";
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_dnsmasq_write_config(def, run_dir.c_str(), &error)) << error->message;
    ASSERT_TRUE(vw_dnsmasq_set_hosts(run_dir.c_str(), "52:54:00:00:00:09,10.77.0.9\n", &error))
        << error->message;
    std::string hosts_path = run_dir + "/" VW_DNSMASQ_HOSTS_FILE;
    std::string before = ReadFile(hosts_path);
    EXPECT_EQ(before, "52:54:00:00:00:09,10.77.0.9\n");
    for (const char *bad :
         { "52:54:00:00:00,10.77.0.9", "52:54:00:00:00:0g,10.77.0.9",
           "52:54:00:00:00:01,10.77.0.300", "52:54:00:00:00:01",
           "52:54:00:00:00:01,10.77.0.9,bad name", "52:54:00:00:00:01,10.77.0.9,-x", "a,b,c,d" }) {
        std::string text = std::string("52:54:00:00:00:02,10.77.0.2\n") + bad + "\n";
        g_autoptr(GError) line_error = nullptr;
        EXPECT_FALSE(vw_dnsmasq_set_hosts(run_dir.c_str(), text.c_str(), &line_error)) << bad;
        ASSERT_NE(line_error, nullptr);
        EXPECT_NE(strstr(line_error->message, bad), nullptr) << line_error->message;
        EXPECT_NE(strstr(line_error->message, "line 2"), nullptr) << line_error->message;
        EXPECT_EQ(ReadFile(hosts_path), before);
    }
    // IPv6 entries are written the way dnsmasq wants them.
    ASSERT_TRUE(vw_dnsmasq_set_hosts(run_dir.c_str(), "52:54:00:00:00:09,FD00::0:9\n", &error))
        << error->message;
    EXPECT_EQ(ReadFile(hosts_path), "52:54:00:00:00:09,[fd00::9]\n");
    // No temporary file is left behind.
    GDir *d = g_dir_open(run_dir.c_str(), 0, nullptr);
    ASSERT_NE(d, nullptr);
    while (const char *ent = g_dir_read_name(d))
        EXPECT_NE(ent[0], '.') << ent;
    g_dir_close(d);
}

// ---- dnsmasq's lease file --------------------------------------------------------

namespace
{

std::string
MacText(const VwDnsmasqLease *l)
{
    if (!l->has_mac)
        return "-";
    g_autofree char *s = g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", l->mac[0], l->mac[1],
                                         l->mac[2], l->mac[3], l->mac[4], l->mac[5]);
    return s;
}

// A lease as "EXPIRY v4|v6 MAC ADDRESS HOSTNAME CLIENTID IAID" ("-" for none).
std::string
LeaseText(const VwDnsmasqLease *l)
{
    auto or_dash = [](const char *s) { return std::string(s ? s : "-"); };
    return std::to_string(l->expiry) + (l->ipv6 ? " v6 " : " v4 ") + MacText(l) + " " +
           l->address + " " + or_dash(l->hostname) + " " + or_dash(l->client_id) + " " +
           or_dash(l->iaid);
}

std::vector<std::string>
ParseLeases(const std::string &text)
{
    g_autoptr(GPtrArray) leases = vw_dnsmasq_leases_parse(text.c_str());
    std::vector<std::string> out;
    for (guint i = 0; i < leases->len; i++)
        out.push_back(LeaseText((const VwDnsmasqLease *)leases->pdata[i]));
    return out;
}

} // namespace

// dnsmasq's format as its lease.c writes it: DHCPv4 lines, the server's
// "duid" line, DHCPv6 lines (IAID, "T" for a temporary address, the
// client's DUID, whose MAC is shown when it is a DUID-LL or DUID-LLT of
// Ethernet); "*" for no name or id; addresses made canonical.  A garbage
// line (or one cut short by dnsmasq rewriting the file) is skipped, the
// others still read.
TEST(Dnsmasq, LeaseFileIsParsedLineByLineSkippingGarbage)
{
    std::string text =
        "1765000000 52:54:00:aa:00:01 10.0.0.5 guest-one 01:52:54:00:aa:00:01\n"
        "0 52:54:00:AA:00:02 10.0.0.6 * *\n"
        "1765000001 06-00:11:22:33:44:55 10.0.0.7 tr *\n"
        "garbage\n"
        "1765000002 52:54:00:aa:00:03 10.0.0.300 bad *\n"
        "1765000003 52:54:00:aa:00:04 10.0.0.8 two words *\n"
        "-5 52:54:00:aa:00:05 10.0.0.9 neg *\n"
        "99999999999999999999 52:54:00:aa:00:06 10.0.0.10 huge *\n"
        "1765000004 52:54:00:aa:00 10.0.0.11 shortmac *\n"
        "1765000005 52:54:00:aa:00:07 10.0.0.12 badid 01:zz\n"
        "1765000006 52:54:00:aa:00:08 10.0.0.13 cut"
        "\n\n"
        "duid 00:01:00:01:2c:5a:11:22:52:54:00:00:00:01\n"
        "1765000100 1234567 fd00:0:0:0::10 six 00:01:00:01:2c:5a:11:22:52:54:00:aa:00:01\n"
        "1765000101 T42 fd00::11 * 00:03:00:01:52:54:00:aa:00:02\n"
        "1765000102 7 fd00::12 * 00:02:00:00:ab:11:01:02\n"
        "1765000103 x7 fd00::13 * *\n"
        "1765000104 4294967296 fd00::14 * *\n"
        "1765000105 52:54:00:aa:00:09 fd00::15 * *\n";
    std::vector<std::string> want = {
        "1765000000 v4 52:54:00:aa:00:01 10.0.0.5 guest-one 01:52:54:00:aa:00:01 -",
        "0 v4 52:54:00:aa:00:02 10.0.0.6 - - -",
        "1765000001 v4 - 10.0.0.7 tr - -",
        "1765000100 v6 52:54:00:aa:00:01 fd00::10 six 00:01:00:01:2c:5a:11:22:52:54:00:aa:00:01 "
        "1234567",
        "1765000101 v6 52:54:00:aa:00:02 fd00::11 - 00:03:00:01:52:54:00:aa:00:02 T42",
        "1765000102 v6 - fd00::12 - 00:02:00:00:ab:11:01:02 7",
    };
    EXPECT_EQ(ParseLeases(text), want);
    EXPECT_TRUE(ParseLeases("").empty());
    EXPECT_TRUE(ParseLeases(std::string("1765000000 52:54:00:aa:00:01 10.0.0.5 a\x01 *\n")).empty())
        << "a control character in a name";
}

// The file is read from the run directory without following a symbolic
// link and within a size bound; a missing file (or run directory) is no
// leases at all.
TEST(Dnsmasq, LeaseFileReadIsBoundedAndFollowsNoLink)
{
    g_autoptr(GError) error = nullptr;
    TempDir dir;
    ASSERT_FALSE(dir.path().empty());
    std::string run = dir.path();
    std::string file = run + "/" VW_DNSMASQ_LEASE_FILE;

    g_autoptr(GPtrArray) none = vw_dnsmasq_leases_read(run.c_str(), &error);
    ASSERT_NE(none, nullptr) << error->message;
    EXPECT_EQ(none->len, 0u);
    g_autoptr(GPtrArray) no_dir = vw_dnsmasq_leases_read((run + "/gone").c_str(), &error);
    ASSERT_NE(no_dir, nullptr) << error->message;
    EXPECT_EQ(no_dir->len, 0u);

    ASSERT_TRUE(g_file_set_contents(file.c_str(),
                                    "1765000000 52:54:00:aa:00:01 10.0.0.5 one *\njunk\n", -1,
                                    nullptr));
    g_autoptr(GPtrArray) one = vw_dnsmasq_leases_read(run.c_str(), &error);
    ASSERT_NE(one, nullptr) << error->message;
    EXPECT_EQ(one->len, 1u);

    // A link in place of the file is refused, naming it, not followed.
    std::string target = run + "/elsewhere";
    ASSERT_EQ(rename(file.c_str(), target.c_str()), 0);
    ASSERT_EQ(symlink(target.c_str(), file.c_str()), 0);
    g_autoptr(GPtrArray) linked = vw_dnsmasq_leases_read(run.c_str(), &error);
    EXPECT_EQ(linked, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find(file), std::string::npos) << error->message;
    g_clear_error(&error);
    ASSERT_EQ(unlink(file.c_str()), 0);

    // Larger than the bound: an error, not an endless read.
    int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, (off_t)VW_DNSMASQ_LEASES_FILE_MAX + 1), 0);
    close(fd);
    g_autoptr(GPtrArray) huge = vw_dnsmasq_leases_read(run.c_str(), &error);
    EXPECT_EQ(huge, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(std::string(error->message),
              "cannot read dnsmasq lease file '" + file + "': it is larger than the limit of " +
                  std::to_string(VW_DNSMASQ_LEASES_FILE_MAX) + " bytes");
}
