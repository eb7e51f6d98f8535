#include <config.h>

#include "vw-e2e-util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gtest/gtest.h>

namespace vwe2e
{

const char kUri[] = "qemu:///system";

namespace
{

std::string
EnvOr(const char *name, const std::string &fallback)
{
    const char *v = g_getenv(name);
    return v && *v ? v : fallback;
}

std::string
Script(const Env &env)
{
    return env.source_root + "/scripts/e2e-env";
}

// True when this process's `e2e-env start` started the daemons, so that the
// end of the test program stops them again.
bool g_started_here = false;
std::string g_script;

class StopWhatWasStarted : public ::testing::Environment
{
  public:
    void TearDown() override
    {
        if (!g_started_here)
            return;
        vwtest::Cmd c = vwtest::Run({ "bash", g_script, "stop" });
        if (c.status != 0)
            ADD_FAILURE() << "e2e-env stop: " << Describe(c);
        g_started_here = false;
    }
};

::testing::Environment *const g_stopper =
    ::testing::AddGlobalTestEnvironment(new StopWhatWasStarted);

bool
WriteTemp(const std::string &content, std::string *path, std::string *error)
{
    g_autoptr(GError) gerr = nullptr;
    g_autofree char *tmp = nullptr;
    int fd = g_file_open_tmp("vw-e2e-XXXXXX.xml", &tmp, &gerr);
    if (fd < 0) {
        *error = gerr->message;
        return false;
    }
    close(fd);
    *path = tmp;
    if (!g_file_set_contents(tmp, content.c_str(), (gssize)content.size(), &gerr)) {
        *error = gerr->message;
        g_unlink(tmp);
        return false;
    }
    return true;
}

std::string
Escape(const std::string &s)
{
    g_autofree char *e = g_markup_escape_text(s.c_str(), -1);
    return e;
}

} // namespace

std::string
Describe(const vwtest::Cmd &c)
{
    return "exit " + std::to_string(c.status) + "\n--- stdout\n" + c.out + "--- stderr\n" + c.err;
}

vwtest::Cmd
Virsh(const std::vector<std::string> &args)
{
    std::vector<std::string> argv = { "virsh", "-q", "-c", kUri };
    argv.insert(argv.end(), args.begin(), args.end());
    return vwtest::Run(argv);
}

bool
StartedLibvirtd()
{
    return g_started_here;
}

bool
RestartLibvirtd(std::string *error)
{
    if (!g_started_here) {
        *error = "libvirtd was not started by this test program; not restarting it";
        return false;
    }
    vwtest::Cmd c = vwtest::Run({ "bash", g_script, "restart" });
    if (c.status != 0) {
        *error = "scripts/e2e-env restart failed: " + Describe(c);
        return false;
    }
    return true;
}

pid_t
QemuPid(const std::string &name)
{
    g_autofree char *text = nullptr;
    std::string path = "/run/libvirt/qemu/" + name + ".pid";
    if (!g_file_get_contents(path.c_str(), &text, nullptr, nullptr))
        return 0;
    gint64 pid = g_ascii_strtoll(g_strstrip(text), nullptr, 10);
    if (pid <= 0 || pid > G_MAXINT || kill((pid_t)pid, 0) != 0)
        return 0;
    return (pid_t)pid;
}

EnvState
PrepareEnv(const Env **env_out, std::string *why)
{
    static bool done = false;
    static EnvState state = EnvState::Fail;
    static std::string reason;
    static Env env;

    if (!done) {
        done = true;
        std::string lacks;
        if (!vwtest::CanPlumb(&lacks)) {
            state = EnvState::Skip;
            reason = lacks;
        } else {
            env.source_root = EnvOr("VW_SOURCE_ROOT", VW_SOURCE_ROOT);
            env.guest_dir =
                EnvOr("VW_E2E_GUEST_DIR", std::string(VW_BUILD_ROOT) + "/tests/e2e/guest");
            env.kernel = env.guest_dir + "/vmlinuz";
            env.initrd = env.guest_dir + "/initrd.gz";
            g_script = Script(env);
            state = EnvState::Ready;
            if (!g_file_test(g_script.c_str(), G_FILE_TEST_EXISTS)) {
                state = EnvState::Fail;
                reason = "no " + g_script + " (set VW_SOURCE_ROOT to the source tree)";
            }
            const std::vector<std::vector<std::string>> steps = {
                { "bash", g_script, "install" },
                { "bash", g_script, "start" },
                { "bash", g_script, "guest", env.guest_dir },
            };
            for (size_t i = 0; state == EnvState::Ready && i < steps.size(); i++) {
                vwtest::Cmd c = vwtest::Run(steps[i]);
                /* `start` says whether it started the daemons (a record left
                 * by a killed run must not make this program think it did
                 * not, or it would leave them running) */
                if (i == 1 && c.status == 0 &&
                    c.out.find("e2e-env: started ") != std::string::npos)
                    g_started_here = true;
                if (c.status != 0) {
                    state = EnvState::Fail;
                    reason = "scripts/e2e-env " + steps[i][2] + " failed: " + Describe(c);
                }
            }
        }
    }
    *env_out = state == EnvState::Ready ? &env : nullptr;
    *why = reason;
    return state;
}

// --------------------------------------------------------------------------------------------
// Domain XML

std::string
ScratchMac(unsigned index)
{
    unsigned pid = (unsigned)getpid();
    char buf[18];
    g_snprintf(buf, sizeof(buf), "52:54:00:%02x:%02x:%02x", (pid >> 8) & 0xff, pid & 0xff,
               index & 0xff);
    return buf;
}

std::string
DomainXml(const DomainSpec &spec)
{
    std::string x;
    x += "<domain type='qemu'>\n";
    x += "  <name>" + Escape(spec.name) + "</name>\n";
    if (!spec.uuid.empty())
        x += "  <uuid>" + Escape(spec.uuid) + "</uuid>\n";
    x += "  <memory unit='MiB'>" + std::to_string(spec.memory_mib) + "</memory>\n";
    x += "  <vcpu>1</vcpu>\n";
    x += "  <os>\n";
    x += "    <type arch='x86_64' machine='pc'>hvm</type>\n";
    x += "    <kernel>" + Escape(spec.kernel) + "</kernel>\n";
    x += "    <initrd>" + Escape(spec.initrd) + "</initrd>\n";
    x += "    <cmdline>console=ttyS0 quiet panic=-1</cmdline>\n";
    x += "  </os>\n";
    x += "  <on_poweroff>destroy</on_poweroff>\n";
    x += "  <on_reboot>destroy</on_reboot>\n";
    x += "  <on_crash>destroy</on_crash>\n";
    x += "  <devices>\n";
    x += "    <controller type='usb' model='none'/>\n";
    for (const Nic &nic : spec.nics) {
        switch (nic.kind) {
        case NicKind::Ethernet:
            x += "    <interface type='ethernet'>\n";
            break;
        case NicKind::Bridge:
            x += "    <interface type='bridge'>\n";
            x += "      <source bridge='" + Escape(nic.source) + "'/>\n";
            break;
        case NicKind::Network:
            x += "    <interface type='network'>\n";
            x += "      <source network='" + Escape(nic.source) + "'/>\n";
            break;
        }
        if (!nic.mac.empty())
            x += "      <mac address='" + Escape(nic.mac) + "'/>\n";
        if (nic.kind == NicKind::Ethernet)
            x += "      <target dev='" + Escape(nic.source) + "' managed='no'/>\n";
        x += "      <model type='" + Escape(nic.model) + "'/>\n";
        if (nic.queues > 0)
            x += "      <driver queues='" + std::to_string(nic.queues) + "'/>\n";
        x += "    </interface>\n";
    }
    x += "    <serial type='unix'>\n";
    x += "      <source mode='bind' path='" + Escape(spec.console_socket) + "'/>\n";
    if (!spec.console_log.empty())
        x += "      <log file='" + Escape(spec.console_log) + "' append='off'/>\n";
    x += "      <target port='0'/>\n";
    x += "    </serial>\n";
    x += "    <memballoon model='none'/>\n";
    x += "  </devices>\n";
    x += "  <seclabel type='static' model='dac' relabel='no'>\n";
    x += "    <label>+0:+0</label>\n";
    x += "  </seclabel>\n";
    x += "</domain>\n";
    return x;
}

// --------------------------------------------------------------------------------------------
// Guards

ScratchDir::ScratchDir()
{
    g_autofree char *p = g_dir_make_tmp("vw-e2e-XXXXXX", nullptr);
    path_ = p ? p : "";
}

ScratchDir::~ScratchDir()
{
    if (!path_.empty())
        vwtest::Run({ "rm", "-rf", "--one-file-system", path_ });
}

Tap::Tap(std::string name, bool multi_queue) : name_(std::move(name))
{
    std::vector<std::string> add = { "ip", "tuntap", "add", "dev", name_, "mode", "tap" };
    if (multi_queue)
        add.push_back("multi_queue");
    vwtest::Cmd c = vwtest::Run(add);
    if (c.status != 0) {
        error_ = "cannot create tap '" + name_ + "': " + Describe(c);
        return;
    }
    made_ = true;
    c = vwtest::Run({ "ip", "link", "set", "dev", name_, "up" });
    if (c.status != 0) {
        error_ = "cannot set tap '" + name_ + "' up: " + Describe(c);
        return;
    }
    ok_ = true;
}

Tap::~Tap()
{
    /* Not `ip tuntap del`: that must repeat the multi_queue flag. */
    if (made_)
        vwtest::Run({ "ip", "link", "del", "dev", name_ });
}

Bridge::Bridge(std::string name) : name_(std::move(name))
{
    vwtest::Cmd c = vwtest::Run(
        { "ip", "link", "add", name_, "type", "bridge", "stp_state", "0", "forward_delay", "0" });
    if (c.status != 0) {
        error_ = "cannot create bridge '" + name_ + "': " + Describe(c);
        return;
    }
    made_ = true;
    c = vwtest::Run({ "ip", "link", "set", "dev", name_, "up" });
    if (c.status != 0) {
        error_ = "cannot set bridge '" + name_ + "' up: " + Describe(c);
        return;
    }
    ok_ = true;
}

Bridge::~Bridge()
{
    if (made_)
        vwtest::Run({ "ip", "link", "del", "dev", name_ });
}

LibvirtNetwork::LibvirtNetwork(std::string name, const std::string &xml) : name_(std::move(name))
{
    std::string path;
    if (!WriteTemp(xml, &path, &error_))
        return;
    vwtest::Cmd c = Virsh({ "net-define", path });
    g_unlink(path.c_str());
    if (c.status != 0) {
        error_ = "virsh net-define '" + name_ + "': " + Describe(c);
        return;
    }
    defined_ = true;
    c = Virsh({ "net-start", name_ });
    if (c.status != 0) {
        error_ = "virsh net-start '" + name_ + "': " + Describe(c);
        return;
    }
    ok_ = true;
}

LibvirtNetwork::~LibvirtNetwork()
{
    if (ok_)
        Virsh({ "net-destroy", name_ });
    if (defined_)
        Virsh({ "net-undefine", name_ });
}

Domain::Domain(std::string name, const std::string &xml, bool start) : name_(std::move(name))
{
    std::string path;
    if (!WriteTemp(xml, &path, &error_))
        return;
    vwtest::Cmd c = Virsh({ "define", path });
    g_unlink(path.c_str());
    if (c.status != 0) {
        error_ = "virsh define '" + name_ + "': " + Describe(c);
        return;
    }
    defined_ = true;
    ok_ = start ? Start() : true;
}

bool
Domain::Start()
{
    vwtest::Cmd c = Virsh({ "start", "--paused", name_ });
    if (c.status != 0) {
        error_ = "virsh start '" + name_ + "': " + Describe(c);
        ok_ = false;
        return false;
    }
    started_ = true;
    ok_ = true;
    return true;
}

Domain::~Domain()
{
    if (started_)
        Virsh({ "destroy", name_ });
    if (defined_) {
        Virsh({ "undefine", name_ });
        /* libvirt keeps each domain's QEMU log; this domain's name was ours. */
        g_unlink(("/var/log/libvirt/qemu/" + name_ + ".log").c_str());
    }
}

bool
Domain::Resume()
{
    vwtest::Cmd c = Virsh({ "resume", name_ });
    if (c.status != 0) {
        error_ = "virsh resume '" + name_ + "': " + Describe(c);
        return false;
    }
    return true;
}

bool
Domain::Destroy()
{
    if (!started_)
        return true;
    vwtest::Cmd c = Virsh({ "destroy", name_ });
    if (c.status != 0) {
        error_ = "virsh destroy '" + name_ + "': " + Describe(c);
        return false;
    }
    started_ = false;
    return true;
}

bool
Domain::Undefine()
{
    if (!defined_)
        return true;
    vwtest::Cmd c = Virsh({ "undefine", name_ });
    if (c.status != 0) {
        error_ = "virsh undefine '" + name_ + "': " + Describe(c);
        return false;
    }
    defined_ = false;
    g_unlink(("/var/log/libvirt/qemu/" + name_ + ".log").c_str());
    return true;
}

std::string
Domain::LiveXml()
{
    vwtest::Cmd c = Virsh({ "dumpxml", name_ });
    if (c.status != 0) {
        error_ = "virsh dumpxml '" + name_ + "': " + Describe(c);
        return "";
    }
    return c.out;
}

Dnsmasq::Dnsmasq(const std::string &netns, const std::string &iface, const std::string &range_start,
                 const std::string &range_end, const std::string &dir)
    : log_(dir + "/dnsmasq.log"), leases_(dir + "/dnsmasq.leases")
{
    std::vector<std::string> argv = {
        "ip",
        "netns",
        "exec",
        netns,
        "dnsmasq",
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--port=0",
        "--user=root",
        "--group=root",
        "--pid-file=",
        "--bind-interfaces",
        "--interface=" + iface,
        "--except-interface=lo",
        "--dhcp-authoritative",
        "--dhcp-range=" + range_start + "," + range_end + ",1h",
        "--dhcp-leasefile=" + leases_,
        "--log-facility=" + log_,
        "--log-dhcp",
    };
    std::vector<char *> args;
    for (const std::string &a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    g_autoptr(GError) gerr = nullptr;
    /* Its stdio goes nowhere: a test runner must not wait on a pipe that a
     * child outliving the test holds. */
    if (!g_spawn_async(nullptr, args.data(), nullptr,
                       (GSpawnFlags)(G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                     G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL),
                       nullptr, nullptr, &pid_, &gerr)) {
        error_ = std::string("cannot run dnsmasq: ") + gerr->message;
        pid_ = 0;
    }
}

Dnsmasq::~Dnsmasq()
{
    if (pid_ <= 0)
        return;
    kill(pid_, SIGTERM);
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
}

bool
Dnsmasq::Alive()
{
    if (pid_ <= 0)
        return false;
    int status;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        pid_ = 0;
        return false;
    }
    return r == 0;
}

std::string
Dnsmasq::Log() const
{
    g_autofree char *text = nullptr;
    if (!g_file_get_contents(log_.c_str(), &text, nullptr, nullptr))
        return "(no dnsmasq log at " + log_ + ")";
    return text;
}

std::string
Dnsmasq::Leases() const
{
    g_autofree char *text = nullptr;
    if (!g_file_get_contents(leases_.c_str(), &text, nullptr, nullptr))
        return "";
    return text;
}

SysctlGuard::SysctlGuard(std::string path) : path_(std::move(path))
{
    g_autofree char *text = nullptr;
    if (g_file_get_contents(path_.c_str(), &text, nullptr, nullptr))
        value_ = text;
}

SysctlGuard::~SysctlGuard()
{
    g_autofree char *now = nullptr;
    if (value_.empty() || !g_file_get_contents(path_.c_str(), &now, nullptr, nullptr) ||
        value_ == now)
        return;
    /* Not g_file_set_contents: /proc files cannot be replaced by a rename. */
    FILE *f = fopen(path_.c_str(), "w");
    if (!f)
        return;
    fputs(value_.c_str(), f);
    fclose(f);
}

namespace
{

const char kHooksDir[] = "/etc/libvirt/hooks";

bool
PathExists(const std::string &path)
{
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
}

} // namespace

QemuHook::QemuHook(std::string name, const std::string &script)
    : path_(std::string(kHooksDir) + "/qemu.d/" + name)
{
    for (const std::string &dir : { std::string("/etc/libvirt"), std::string(kHooksDir),
                                    std::string(kHooksDir) + "/qemu.d" }) {
        if (PathExists(dir))
            continue;
        if (g_mkdir(dir.c_str(), 0755) != 0) {
            error_ = "cannot create '" + dir + "': " + g_strerror(errno);
            return;
        }
        made_dirs_.push_back(dir);
    }
    if (PathExists(path_)) {
        /* Outside qemu.d: libvirtd runs every executable file in there. */
        saved_ = std::string(kHooksDir) + "/.vw-e2e-saved-" + name + "-" + std::to_string(getpid());
        if (g_rename(path_.c_str(), saved_.c_str()) != 0) {
            error_ = "cannot move '" + path_ + "' aside: " + g_strerror(errno);
            saved_.clear();
            return;
        }
    }
    installed_ = true;
    g_autoptr(GError) gerr = nullptr;
    if (!g_file_set_contents(path_.c_str(), script.c_str(), (gssize)script.size(), &gerr)) {
        error_ = "cannot write '" + path_ + "': " + gerr->message;
        return;
    }
    if (chmod(path_.c_str(), 0755) != 0) {
        error_ = "cannot chmod '" + path_ + "': " + g_strerror(errno);
        return;
    }
    ok_ = true;
}

QemuHook::~QemuHook()
{
    Remove();
}

bool
QemuHook::Remove()
{
    bool good = true;
    if (installed_) {
        if (g_unlink(path_.c_str()) != 0 && errno != ENOENT) {
            error_ = "cannot remove '" + path_ + "': " + g_strerror(errno);
            good = false;
        }
        installed_ = false;
        ok_ = false;
    }
    if (!saved_.empty()) {
        if (g_rename(saved_.c_str(), path_.c_str()) != 0) {
            error_ = "cannot put '" + saved_ + "' back as '" + path_ + "': " + g_strerror(errno);
            good = false;
        }
        saved_.clear();
    }
    while (!made_dirs_.empty()) {
        /* Only when empty: libvirt or someone else may have put files there. */
        g_rmdir(made_dirs_.back().c_str());
        made_dirs_.pop_back();
    }
    return good;
}

// --------------------------------------------------------------------------------------------
// Console

namespace
{

gint64
DeadlineAfter(int timeout_ms)
{
    return g_get_monotonic_time() + (gint64)timeout_ms * 1000;
}

int
MsLeft(gint64 deadline)
{
    gint64 left = deadline - g_get_monotonic_time();
    return left <= 0 ? 0 : (int)((left + 999) / 1000);
}

} // namespace

GuestConsole::~GuestConsole()
{
    if (fd_ >= 0)
        close(fd_);
}

bool
GuestConsole::Connect(const std::string &path, int timeout_ms, std::string *error)
{
    struct sockaddr_un sun = {};
    sun.sun_family = AF_UNIX;
    if (path.size() >= sizeof(sun.sun_path)) {
        *error = "console socket path '" + path + "' is too long";
        return false;
    }
    memcpy(sun.sun_path, path.c_str(), path.size() + 1);
    gint64 deadline = DeadlineAfter(timeout_ms);
    int last_errno = 0;
    do {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            *error = std::string("socket: ") + g_strerror(errno);
            return false;
        }
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
            fd_ = fd;
            return true;
        }
        last_errno = errno;
        close(fd);
        if (last_errno != ENOENT && last_errno != ECONNREFUSED)
            break;
        g_usleep(50 * 1000);
    } while (MsLeft(deadline) > 0);
    *error = "cannot connect to console socket '" + path + "': " + g_strerror(last_errno);
    return false;
}

bool
GuestConsole::ReadSome(int timeout_ms)
{
    if (fd_ < 0)
        return false;
    struct pollfd pfd = { fd_, POLLIN, 0 };
    int r = poll(&pfd, 1, timeout_ms);
    if (r < 0 && errno == EINTR)
        return true;
    if (r <= 0)
        return false;
    char buf[4096];
    ssize_t n = read(fd_, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0) {
        /* QEMU went away. */
        close(fd_);
        fd_ = -1;
        return false;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] != '\r')
            all_ += buf[i];
    }
    return true;
}

bool
GuestConsole::Send(const std::string &text)
{
    size_t off = 0;
    while (fd_ >= 0 && off < text.size()) {
        ssize_t n = write(fd_, text.data() + off, text.size() - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        off += (size_t)n;
    }
    return off == text.size();
}

bool
GuestConsole::WaitFor(const std::string &regex, int timeout_ms, std::vector<std::string> *groups,
                      size_t *match_start)
{
    g_autoptr(GError) gerr = nullptr;
    g_autoptr(GRegex) re =
        g_regex_new(regex.c_str(), (GRegexCompileFlags)(G_REGEX_RAW | G_REGEX_OPTIMIZE),
                    (GRegexMatchFlags)0, &gerr);
    if (!re) {
        ADD_FAILURE() << "bad regex '" << regex << "': " << gerr->message;
        return false;
    }
    gint64 deadline = DeadlineAfter(timeout_ms);
    for (;;) {
        g_autoptr(GMatchInfo) m = nullptr;
        /* Offsets are bytes; the transcript may hold any bytes, so match raw. */
        if (g_regex_match_full(re, all_.c_str(), (gssize)all_.size(), (gint)consumed_,
                               (GRegexMatchFlags)0, &m, nullptr)) {
            if (groups) {
                groups->clear();
                for (gint i = 0; i < g_match_info_get_match_count(m); i++) {
                    g_autofree char *g = g_match_info_fetch(m, i);
                    groups->push_back(g ? g : "");
                }
            }
            gint start = 0, end = 0;
            g_match_info_fetch_pos(m, 0, &start, &end);
            if (match_start)
                *match_start = (size_t)start;
            consumed_ = (size_t)end;
            return true;
        }
        int left = MsLeft(deadline);
        if (left == 0 || fd_ < 0)
            return false;
        /* Whatever it read (or not: timeout, EOF), look again. */
        ReadSome(left);
    }
}

bool
GuestConsole::Run(const std::string &cmd, int timeout_ms, std::string *output, int *status)
{
    unsigned n = ++counter_;
    std::string id = std::to_string(n);
    /* The quotes keep the markers in the command text (if the tty ever
     * echoes it) from matching the markers the shell prints. */
    std::string line =
        "echo VW-BEGIN-\"" + id + "\"; " + cmd + "; echo VW-END-\"" + id + "\"-RC-$?\n";
    if (!Send(line))
        return false;
    gint64 deadline = DeadlineAfter(timeout_ms);
    if (!WaitFor("VW-BEGIN-" + id + "\n", MsLeft(deadline)))
        return false;
    size_t begin = consumed_;
    std::vector<std::string> groups;
    size_t end = 0;
    if (!WaitFor("VW-END-" + id + "-RC-([0-9]+)\n", MsLeft(deadline), &groups, &end))
        return false;
    if (output)
        *output = all_.substr(begin, end - begin);
    if (status)
        *status = atoi(groups[1].c_str());
    return true;
}

} // namespace vwe2e
