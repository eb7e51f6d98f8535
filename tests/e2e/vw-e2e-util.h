// The e2e harness: a real libvirtd (started by scripts/e2e-env when none
// answers), a tiny guest (Debian cloud kernel + busybox initramfs), a domain
// XML builder for it, its serial console, and RAII guards for everything a
// test makes.  libvirt is reached through virsh only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <sys/types.h>

#include <glib.h>

#include "vw-net-testutil.h"

namespace vwe2e
{

// What the environment gives the tests.
struct Env {
    std::string source_root; // where scripts/e2e-env lives
    std::string guest_dir;   // the cached guest: vmlinuz, initrd.gz
    std::string kernel;      // guest_dir/vmlinuz
    std::string initrd;      // guest_dir/initrd.gz
};

enum class EnvState { Ready, Skip, Fail };

// Installs what is missing, starts libvirtd if none answers, builds the guest
// (`scripts/e2e-env install`, `start`, `guest DIR`), once per process.  Skip
// only when the machine lacks something (root, /dev/net/tun, netns); Fail
// with the script's output when a step fails.  What `start` started in this
// process is stopped at exit.
EnvState PrepareEnv(const Env **env, std::string *why);

// Use at the top of each e2e test: skips or fails the test when the
// environment cannot be had, else sets @env_var (const Env *).
#define VW_REQUIRE_E2E(env_var)                                                                    \
    const vwe2e::Env *env_var = nullptr;                                                           \
    do {                                                                                           \
        std::string why_;                                                                          \
        switch (vwe2e::PrepareEnv(&env_var, &why_)) {                                              \
        case vwe2e::EnvState::Skip:                                                                \
            GTEST_SKIP() << "machine lacks: " << why_;                                             \
        case vwe2e::EnvState::Fail:                                                                \
            FAIL() << why_;                                                                        \
        case vwe2e::EnvState::Ready:                                                               \
            break;                                                                                 \
        }                                                                                          \
    } while (0)

// The libvirt URI the harness uses.
extern const char kUri[];

// Whether PrepareEnv started libvirtd in this process (it then stops it when
// the program ends).  A libvirtd that ran before is someone else's.
bool StartedLibvirtd();

// Restarts the libvirtd that this process started (`scripts/e2e-env
// restart`): libvirtd reads its hook scripts only when it starts.  Refuses
// (false, @error says why) when this process did not start it.
bool RestartLibvirtd(std::string *error);

// The pid of running domain @name's QEMU process, from libvirt's pid file
// (/run/libvirt/qemu/NAME.pid); 0 when there is none or it is not alive.
pid_t QemuPid(const std::string &name);

// `virsh -c qemu:///system ARGS...`.
vwtest::Cmd Virsh(const std::vector<std::string> &args);

// A command's status and output on one string, for failure messages.
std::string Describe(const vwtest::Cmd &c);

// --------------------------------------------------------------------------------------------
// Domain XML for the tiny guest

enum class NicKind { Ethernet, Bridge, Network };

struct Nic {
    NicKind kind = NicKind::Ethernet;
    // Ethernet: the pre-created tap (managed='no'); Bridge: the host bridge;
    // Network: the libvirt network's name.
    std::string source;
    std::string mac; // empty: libvirt picks one
    std::string model = "virtio";
    unsigned queues = 0; // >0: <driver queues='N'/> (an Ethernet tap must then be multi_queue)
};

struct DomainSpec {
    std::string name;
    std::string uuid; // empty: libvirt picks one
    std::string kernel;
    std::string initrd;
    std::string console_socket; // unix socket QEMU binds for ttyS0
    std::string console_log;    // copy of ttyS0 written by virtlogd; empty: none
    unsigned memory_mib = 256;
    std::vector<Nic> nics;
};

// A libvirt domain XML for @spec: type='qemu' (TCG), direct kernel boot,
// ttyS0 on a unix socket chardev, no disk, no display.  QEMU runs as root
// with DAC relabelling off, so that the guest files and sockets may live in
// any directory (the build dir) and libvirt chowns nothing there.
std::string DomainXml(const DomainSpec &spec);

// A MAC in 52:54:00 (QEMU's OUI) that is unique for this process and @index.
std::string ScratchMac(unsigned index);

// --------------------------------------------------------------------------------------------
// RAII guards.  Each destructor undoes what its constructor made, whatever
// happened in between; ok() says whether the making worked, error() why not.

// A scratch directory (mkdtemp under /tmp, short enough for unix socket
// paths), removed with its contents.
class ScratchDir
{
  public:
    ScratchDir();
    ~ScratchDir();
    const std::string &path() const
    {
        return path_;
    }
    std::string File(const std::string &name) const
    {
        return path_ + "/" + name;
    }

  private:
    std::string path_;
};

// A tap made with `ip tuntap add` (persistent, no owner), set up; deleted on
// scope exit.  @multi_queue: for an interface with <driver queues='N'/>.
class Tap
{
  public:
    explicit Tap(std::string name, bool multi_queue = false);
    ~Tap();
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
    bool made_ = false;
    bool ok_ = false;
    std::string error_;
};

// A Linux bridge in the host netns, STP off, forward delay 0, set up;
// deleted on scope exit.
class Bridge
{
  public:
    explicit Bridge(std::string name);
    ~Bridge();
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
    bool made_ = false;
    bool ok_ = false;
    std::string error_;
};

// A persistent libvirt network defined from @xml and started; destroyed and
// undefined on scope exit.
class LibvirtNetwork
{
  public:
    LibvirtNetwork(std::string name, const std::string &xml);
    ~LibvirtNetwork();
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
    bool defined_ = false;
    bool ok_ = false;
    std::string error_;
};

// A domain defined from @xml and started paused (`virsh define`, `virsh
// start --paused`), so that a console client can connect before the guest
// prints anything; Resume() lets it run.  With @start false it is only
// defined, and Start() starts it paused later.  Destroyed and undefined on
// scope exit, and its QEMU log (/var/log/libvirt/qemu/NAME.log) removed.
class Domain
{
  public:
    Domain(std::string name, const std::string &xml, bool start = true);
    ~Domain();
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
    // `virsh start --paused` of a domain defined with @start false; false
    // on failure (see error()).
    bool Start();
    // `virsh resume`; false on failure (see error()).
    bool Resume();
    // `virsh destroy` (libvirt runs the hook's `release`); true when the
    // domain is not running afterwards.  The destructor then only undefines.
    bool Destroy();
    // `virsh undefine` of a domain that is not running, and its QEMU log
    // removed; true when it is no longer defined.
    bool Undefine();
    // `virsh dumpxml` of the running domain; empty on failure (see error()).
    std::string LiveXml();

  private:
    std::string name_;
    bool defined_ = false;
    bool started_ = false;
    bool ok_ = false;
    std::string error_;
};

// dnsmasq serving DHCP in @netns on @iface, in the foreground under this
// process; killed on scope exit.  Its log and lease file go to @dir.
class Dnsmasq
{
  public:
    Dnsmasq(const std::string &netns, const std::string &iface, const std::string &range_start,
            const std::string &range_end, const std::string &dir);
    ~Dnsmasq();
    bool ok() const
    {
        return pid_ > 0;
    }
    const std::string &error() const
    {
        return error_;
    }
    // Whether it still runs (reaps it if it exited).
    bool Alive();
    // Its log so far.
    std::string Log() const;
    // Its lease file ("EXPIRY MAC IP HOSTNAME CLIENTID" lines); empty if none.
    std::string Leases() const;

  private:
    GPid pid_ = 0;
    std::string log_;
    std::string leases_;
    std::string error_;
};

// Puts back on scope exit the value a /proc/sys file had at construction
// (libvirt turns on ip_forward for a forwarding network and never turns it
// off again).
class SysctlGuard
{
  public:
    explicit SysctlGuard(std::string path);
    ~SysctlGuard();

  private:
    std::string path_;
    std::string value_;
};

// A script installed as /etc/libvirt/hooks/qemu.d/NAME (mode 0755), which
// libvirtd runs at each domain lifecycle step once it has been (re)started.
// Remove() (and the destructor) deletes it, puts back a file that was there
// (it is kept meanwhile outside qemu.d, so that libvirtd does not run it),
// and removes the directories it created.
class QemuHook
{
  public:
    QemuHook(std::string name, const std::string &script);
    ~QemuHook();
    QemuHook(const QemuHook &) = delete;
    QemuHook &operator=(const QemuHook &) = delete;
    const std::string &path() const
    {
        return path_;
    }
    bool ok() const
    {
        return ok_;
    }
    const std::string &error() const
    {
        return error_;
    }
    // Undo the installation now; false (see error()) when something could
    // not be put back.
    bool Remove();

  private:
    std::string path_;
    std::string saved_;                  // where the previous file waits, or empty
    std::vector<std::string> made_dirs_; // made here, innermost last
    bool installed_ = false;
    bool ok_ = false;
    std::string error_;
};

// --------------------------------------------------------------------------------------------
// The guest's serial console

// A client of the unix socket QEMU binds for ttyS0.  Everything read is kept
// (Transcript()); WaitFor consumes output up to the end of its match, so
// successive waits see successive output.
class GuestConsole
{
  public:
    GuestConsole() = default;
    ~GuestConsole();
    GuestConsole(const GuestConsole &) = delete;
    GuestConsole &operator=(const GuestConsole &) = delete;

    // Connects to @path, retrying while the socket does not accept yet, for
    // at most @timeout_ms.
    bool Connect(const std::string &path, int timeout_ms, std::string *error);

    // Reads until the unconsumed output matches @regex (PCRE, bytes) or
    // @timeout_ms passes.  On a match, @groups (if given) gets the whole
    // match and each sub-match.
    // @match_start (if given) gets the match's offset in Transcript().
    bool WaitFor(const std::string &regex, int timeout_ms,
                 std::vector<std::string> *groups = nullptr, size_t *match_start = nullptr);

    // Runs @cmd (one line) in the guest's shell and waits for it: @output
    // gets what it printed, @status its exit status.  Output is framed by
    // markers unique per call, so stray console lines before it are skipped.
    bool Run(const std::string &cmd, int timeout_ms, std::string *output, int *status = nullptr);

    // Everything read so far, with \r removed.
    const std::string &Transcript() const
    {
        return all_;
    }

  private:
    bool ReadSome(int timeout_ms);
    bool Send(const std::string &text);

    int fd_ = -1;
    std::string all_;
    size_t consumed_ = 0;
    unsigned counter_ = 0;
};

} // namespace vwe2e
