// Helpers for the kernel-plumbing suites: run ip/tc, parse their JSON, make
// scratch namespaces that are removed even when a test fails.
#pragma once

#include <string>
#include <vector>

#include <glib.h>
#include <json-glib/json-glib.h>

namespace vwtest {

// Skip the current test unless running as root with /dev/net/tun and netns
// support; the message says what is missing.
#define VW_REQUIRE_ROOT()                                                                          \
    do {                                                                                           \
        std::string why_;                                                                          \
        if (!vwtest::CanPlumb(&why_))                                                              \
            GTEST_SKIP() << "machine lacks: " << why_;                                             \
    } while (0)

bool CanPlumb(std::string *why);

struct Cmd {
    int status = -1;
    std::string out;
    std::string err;
};

// Run argv (no shell).  status is the exit code.
Cmd Run(const std::vector<std::string> &argv);

// /proc/sys/KEY as seen in NETNS ("" for this process's), without the
// trailing newline; "error: ..." when it cannot be read.
std::string Sysctl(const std::string &netns, const std::string &key);

// `ip -j [-n NETNS] ARGS...` parsed; nullptr on failure.
JsonNode *IpJson(const std::string &netns, const std::vector<std::string> &args);
// `tc -j [-n NETNS] ARGS...` parsed; nullptr on failure.
JsonNode *TcJson(const std::string &netns, const std::vector<std::string> &args);

// The object of one link, from `ip -j -d link show dev NAME` (details on), or
// nullptr when the link does not exist.  Caller unrefs.
JsonObject *IpLink(const std::string &netns, const std::string &name);

// Names of all links in a netns.
std::vector<std::string> IpLinkNames(const std::string &netns);

// A unique scratch name with the given prefix, short enough for IFNAMSIZ.
std::string ScratchName(const char *prefix);

// A network namespace made with `ip netns add` and removed with
// `ip netns del` in the destructor.
class ScratchNetns {
  public:
    ScratchNetns();
    ~ScratchNetns();
    const std::string &name() const { return name_; }
    bool ok() const { return ok_; }

  private:
    std::string name_;
    bool ok_ = false;
};

// Deletes a link in the host namespace (or in netns) on scope exit.
class LinkGuard {
  public:
    LinkGuard(std::string name, std::string netns = "") : name_(std::move(name)), netns_(std::move(netns)) {}
    ~LinkGuard();

  private:
    std::string name_;
    std::string netns_;
};

// Inode of /proc/thread-self/ns/net for the calling thread.
unsigned long ThreadNetnsInode();
// Inodes of the netns of every thread of this process (/proc/self/task/*/ns/net).
std::vector<unsigned long> AllThreadsNetnsInodes();
// Every thread of this process is in the namespace with inode `host`.
// A joined thread may linger in /proc/self/task for a moment while the kernel
// finishes its exit (pthread_join returns at exit_mm, before the thread
// leaves its namespaces), so this polls for up to 2 s until those are gone.
bool AllThreadsIn(unsigned long host);

} // namespace vwtest
