// The agent session (src/glib/vw-session.h) and `virtwire agent`.
//
// One program, three suites (tests/glib/meson.build filters by name):
//   unit         Backoff.*, Session.*, AgentCli.*: the backoff sequence with an
//                injected random source, start/stop semantics, the state
//                machine and the event path against libvirt's in-process
//                test:///default (no root, no daemon)
//   integration  SessionRoot.*: event-driven reconcile with a real guest
//                network (root, real kernel) and test:///default domains
//   e2e          E2eAgent.*: a real libvirtd that is killed and restarted,
//                and real QEMU domains
// libvirt is reached through the generated wrappers only (tests/meta).
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include "virtwire.h"
#include "vw-backoff.h"
#include "vw-domxml.h"
#include "vw-e2e-util.h"
#include "vw-libvirt.h"
#include "vw-names.h"
#include "vw-net-testutil.h"
#include "vw-session-private.h"

namespace
{

// Generous bounds; reaching one is a failure (the event never came), not a
// speed measurement.
constexpr int kEventMs = 60 * 1000;
constexpr int kDaemonMs = 120 * 1000;

std::string
Message(const GError *error)
{
    return error ? error->message : "(no error)";
}

std::string
StateName(VwSessionState state)
{
    GEnumClass *klass = (GEnumClass *)g_type_class_ref(VW_TYPE_SESSION_STATE);
    GEnumValue *v = g_enum_get_value(klass, state);
    std::string name = v ? v->value_nick : "?";
    g_type_class_unref(klass);
    return name;
}

// Iterates the thread-default main context until @done() or @timeout_ms.
bool
SpinUntil(const std::function<bool()> &done, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    while (!done()) {
        if (g_get_monotonic_time() > deadline)
            return false;
        GSource *tick = g_timeout_source_new(20);
        g_source_set_callback(
            tick, [](gpointer) -> gboolean { return G_SOURCE_REMOVE; }, nullptr, nullptr);
        g_source_attach(tick, g_main_context_get_thread_default());
        g_main_context_iteration(g_main_context_get_thread_default(), TRUE);
        g_source_destroy(tick);
        g_source_unref(tick);
    }
    return true;
}

// Everything a session told, in order.
struct Record {
    std::vector<std::string> events; // "state:NICK", "ready", "error", "reconnecting", ...
    std::vector<VwSessionState> states;
    std::vector<std::string> errors;
    std::vector<std::pair<guint, gint64>> reconnecting;
    struct Reconciled {
        std::string domain; // "" for the full pass
        guint plugged;
        guint removed;
    };
    std::vector<Reconciled> reconciled;
    guint ready = 0;

    size_t ErrorsWith(const std::string &needle) const
    {
        size_t n = 0;
        for (const std::string &e : errors)
            n += e.find(needle) != std::string::npos;
        return n;
    }
    std::string Dump() const
    {
        std::string out;
        for (const std::string &e : events)
            out += "  " + e + "\n";
        return out;
    }
};

void
OnState(VwSession *session, GParamSpec *, Record *r)
{
    VwSessionState s = vw_session_get_state(session);
    r->states.push_back(s);
    r->events.push_back("state:" + StateName(s));
}

void
OnReady(VwSession *, Record *r)
{
    r->ready++;
    r->events.push_back("ready");
}

void
OnError(VwSession *, const GError *error, Record *r)
{
    r->errors.push_back(error->message);
    r->events.push_back(std::string("error: ") + error->message);
}

void
OnReconnecting(VwSession *, guint attempt, gint64 delay_ms, Record *r)
{
    r->reconnecting.emplace_back(attempt, delay_ms);
    r->events.push_back("reconnecting " + std::to_string(attempt) + " " + std::to_string(delay_ms));
}

void
OnReconciled(VwSession *, const char *domain, guint plugged, guint removed, Record *r)
{
    r->reconciled.push_back({ domain ? domain : "", plugged, removed });
    r->events.push_back(std::string("reconciled ") + (domain ? domain : "*") + " +" +
                        std::to_string(plugged) + " -" + std::to_string(removed));
}

// A session whose signals go to a Record; stopped and released on scope exit.
class Session
{
  public:
    Session(const std::string &root, const char *uri)
    {
        session_ = vw_session_new(root.empty() ? nullptr : root.c_str(), uri);
        g_signal_connect(session_, "notify::state", G_CALLBACK(OnState), &record);
        g_signal_connect(session_, "ready", G_CALLBACK(OnReady), &record);
        g_signal_connect(session_, "error", G_CALLBACK(OnError), &record);
        g_signal_connect(session_, "reconnecting", G_CALLBACK(OnReconnecting), &record);
        g_signal_connect(session_, "reconciled", G_CALLBACK(OnReconciled), &record);
    }
    ~Session()
    {
        vw_session_stop(session_);
        g_signal_handlers_disconnect_by_data(session_, &record);
        g_object_unref(session_);
    }
    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;

    VwSession *get() const
    {
        return session_;
    }
    bool WaitReady(guint count, int timeout_ms = kEventMs)
    {
        return SpinUntil([&] { return record.ready >= count; }, timeout_ms);
    }
    // Waits for a "reconciled" of @uuid after the first @after ones.
    const Record::Reconciled *WaitReconciled(const std::string &uuid, size_t after,
                                             int timeout_ms = kEventMs)
    {
        const Record::Reconciled *found = nullptr;
        SpinUntil(
            [&] {
                for (size_t i = after; i < record.reconciled.size(); i++) {
                    if (record.reconciled[i].domain == uuid) {
                        found = &record.reconciled[i];
                        return true;
                    }
                }
                return false;
            },
            timeout_ms);
        return found;
    }

    Record record;

  private:
    VwSession *session_ = nullptr;
};

// A temporary directory, removed with what is in it.
class TempDir
{
  public:
    TempDir()
    {
        g_autofree char *p = g_dir_make_tmp("vw-session-XXXXXX", nullptr);
        if (p)
            path_ = p;
    }
    ~TempDir()
    {
        if (!path_.empty())
            vwtest::Run({ "rm", "-rf", "--one-file-system", path_ });
    }
    const std::string &path() const
    {
        return path_;
    }

  private:
    std::string path_;
};

// A connection of the test's own, through the wrappers.
class Conn
{
  public:
    explicit Conn(const char *uri)
    {
        g_auto(virError) err = VW_ERROR_INIT;
        conn_ = virConnectOpenWrapper(uri, &err);
        if (!conn_)
            error_ = err.message ? err.message : "virConnectOpen failed";
    }
    ~Conn()
    {
        if (conn_)
            virConnectCloseWrapper(conn_, nullptr);
    }
    Conn(const Conn &) = delete;
    Conn &operator=(const Conn &) = delete;
    virConnectPtr get() const
    {
        return conn_;
    }
    const std::string &error() const
    {
        return error_;
    }

  private:
    virConnectPtr conn_ = nullptr;
    std::string error_;
};

// A domain of a connection (test driver or real), defined from @xml;
// destroyed and undefined on scope exit.
class Dom
{
  public:
    Dom(virConnectPtr conn, const std::string &xml)
    {
        g_auto(virError) err = VW_ERROR_INIT;
        dom_ = virDomainDefineXMLWrapper(conn, xml.c_str(), &err);
        if (!dom_)
            error_ = std::string("define: ") + (err.message ? err.message : "?");
    }
    ~Dom()
    {
        if (!dom_)
            return;
        if (virDomainIsActiveWrapper(dom_, nullptr) == 1)
            virDomainDestroyWrapper(dom_, nullptr);
        if (defined_)
            virDomainUndefineWrapper(dom_, nullptr);
        virDomainFreeWrapper(dom_, nullptr);
    }
    Dom(const Dom &) = delete;
    Dom &operator=(const Dom &) = delete;
    bool ok() const
    {
        return dom_ != nullptr;
    }
    const std::string &error() const
    {
        return error_;
    }
    ::testing::AssertionResult Start(unsigned flags = 0)
    {
        g_auto(virError) err = VW_ERROR_INIT;
        if (virDomainCreateWithFlagsWrapper(dom_, flags, &err) < 0)
            return ::testing::AssertionFailure() << "start: " << (err.message ? err.message : "?");
        return ::testing::AssertionSuccess();
    }
    ::testing::AssertionResult Destroy()
    {
        g_auto(virError) err = VW_ERROR_INIT;
        if (virDomainDestroyWrapper(dom_, &err) < 0)
            return ::testing::AssertionFailure()
                   << "destroy: " << (err.message ? err.message : "?");
        return ::testing::AssertionSuccess();
    }
    ::testing::AssertionResult Undefine()
    {
        g_auto(virError) err = VW_ERROR_INIT;
        if (virDomainUndefineWrapper(dom_, &err) < 0)
            return ::testing::AssertionFailure()
                   << "undefine: " << (err.message ? err.message : "?");
        defined_ = false;
        return ::testing::AssertionSuccess();
    }

  private:
    virDomainPtr dom_ = nullptr;
    bool defined_ = true;
    std::string error_;
};

// @base with one virtwire port (interface + metadata) for @mac on @net.
::testing::AssertionResult
WithPort(const std::string &base, const std::string &uuid, const std::string &mac,
         const std::string &net, std::string *out, std::string *tap = nullptr)
{
    g_autoptr(GError) error = nullptr;
    VwPortNames names;
    if (!vw_port_names(uuid.c_str(), mac.c_str(), &names, &error))
        return ::testing::AssertionFailure() << Message(error);
    g_autoptr(VwDomEditor) ed = vw_domeditor_new(base.c_str(), -1, &error);
    if (!ed ||
        !vw_domeditor_add_interface(ed, mac.c_str(), names.tap, "virtio", 1, net.c_str(), &error))
        return ::testing::AssertionFailure() << Message(error) << "\n" << base;
    g_autofree char *xml = vw_domeditor_format(ed);
    *out = xml;
    if (tap)
        *tap = names.tap;
    return ::testing::AssertionSuccess();
}

// A domain of libvirt's test driver.
std::string
TestDomainXml(const std::string &name, const std::string &uuid)
{
    return "<domain type='test'>\n"
           "  <name>" +
           name + "</name>\n  <uuid>" + uuid +
           "</uuid>\n"
           "  <memory>8192</memory>\n"
           "  <vcpu>1</vcpu>\n"
           "  <os><type>hvm</type></os>\n"
           "  <devices>\n  </devices>\n"
           "</domain>\n";
}

std::string
RandomUuid()
{
    g_autofree char *u = g_uuid_string_random();
    return u;
}

// A MAC unique for this process and @index (QEMU's OUI).
std::string
Mac(unsigned index)
{
    char buf[32];
    g_snprintf(buf, sizeof(buf), "52:54:00:%02x:%02x:%02x", (unsigned)(getpid() >> 8) & 0xff,
               (unsigned)getpid() & 0xff, index & 0xff);
    return buf;
}

// ----------------------------------------------------------------------------------- backoff

struct Draws {
    std::vector<gint64> bounds;
    bool fixed = false; // false: bound - 1; true: value
    gint64 value = 0;
};

gint64
RecordingRandom(gint64 bound, gpointer data)
{
    auto *d = static_cast<Draws *>(data);
    d->bounds.push_back(bound);
    return d->fixed ? d->value : bound - 1;
}

TEST(Backoff, CapsGrowAsOnePlusTwiceThePreviousUpToSixtySeconds)
{
    Draws draws;
    VwBackoff b;
    vw_backoff_init(&b, RecordingRandom, &draws);
    const gint64 want[] = { 1000, 3000, 7000, 15000, 31000, 60000, 60000, 60000 };
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        guint attempt = 0;
        gint64 cap = 0;
        gint64 delay = vw_backoff_next(&b, &attempt, &cap);
        EXPECT_EQ(attempt, i + 1);
        EXPECT_EQ(cap, want[i]) << "attempt " << i + 1;
        EXPECT_EQ(delay, want[i] - 1) << "the delay is the random draw below the cap";
        EXPECT_LT(delay, cap);
    }
    ASSERT_EQ(draws.bounds.size(), G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++)
        EXPECT_EQ(draws.bounds[i], want[i]) << "the random source is asked below the cap";
}

TEST(Backoff, ResetStartsAgainAtOneSecond)
{
    Draws draws;
    draws.fixed = true;
    VwBackoff b;
    vw_backoff_init(&b, RecordingRandom, &draws);
    for (int i = 0; i < 4; i++)
        vw_backoff_next(&b, nullptr, nullptr);
    vw_backoff_reset(&b);
    guint attempt = 0;
    gint64 cap = 0;
    EXPECT_EQ(vw_backoff_next(&b, &attempt, &cap), 0);
    EXPECT_EQ(attempt, 1u);
    EXPECT_EQ(cap, 1000);
    vw_backoff_next(&b, &attempt, &cap);
    EXPECT_EQ(attempt, 2u);
    EXPECT_EQ(cap, 3000);
}

TEST(Backoff, DefaultRandomDrawsBelowTheCapAndVaries)
{
    VwBackoff b;
    vw_backoff_init(&b, nullptr, nullptr);
    std::vector<gint64> seen;
    for (int round = 0; round < 200; round++) {
        vw_backoff_reset(&b);
        for (int i = 0; i < 7; i++) {
            gint64 cap = 0;
            gint64 delay = vw_backoff_next(&b, nullptr, &cap);
            ASSERT_GE(delay, 0);
            ASSERT_LT(delay, cap);
            if (i == 6)
                seen.push_back(delay);
        }
    }
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    // 200 draws below 60 s: all equal would mean no jitter at all
    EXPECT_GT(seen.size(), 100u);
}

TEST(Backoff, AnOutOfRangeRandomSourceIsClampedToTheCap)
{
    Draws draws;
    VwBackoff b;
    vw_backoff_init(&b, RecordingRandom, &draws);
    draws.fixed = true;
    draws.value = 5000000; // above the cap
    gint64 cap = 0;
    gint64 delay = vw_backoff_next(&b, nullptr, &cap);
    EXPECT_EQ(cap, 1000);
    EXPECT_EQ(delay, 999);
    draws.value = G_MININT64 + 1; // below zero
    delay = vw_backoff_next(&b, nullptr, &cap);
    EXPECT_EQ(cap, 3000);
    EXPECT_EQ(delay, 0);
}

// ----------------------------------------------------------------------------------- session

TEST(Session, StopOnANeverStartedSessionDoesNothing)
{
    TempDir root;
    ASSERT_FALSE(root.path().empty());
    Session s(root.path(), "test:///default");
    EXPECT_EQ(vw_session_get_state(s.get()), VW_SESSION_STATE_STOPPED);
    vw_session_stop(s.get());
    vw_session_stop(s.get());
    EXPECT_EQ(vw_session_get_state(s.get()), VW_SESSION_STATE_STOPPED);
    EXPECT_TRUE(s.record.events.empty()) << s.record.Dump();
    EXPECT_STREQ(vw_session_get_uri(s.get()), "test:///default");
    EXPECT_STREQ(vw_session_get_root(s.get()), root.path().c_str());
}

TEST(Session, StartingTwiceIsAnErrorAndChangesNothing)
{
    TempDir root;
    Session s(root.path(), "test:///default");
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_session_start(s.get(), &error)) << Message(error);
    ASSERT_TRUE(s.WaitReady(1)) << s.record.Dump();
    EXPECT_FALSE(vw_session_start(s.get(), &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ERROR, VW_ERROR_ACTIVE)) << Message(error);
    EXPECT_NE(strstr(error->message, "started already"), nullptr) << error->message;
    EXPECT_NE(strstr(error->message, "test:///default"), nullptr) << error->message;
    EXPECT_EQ(vw_session_get_state(s.get()), VW_SESSION_STATE_READY);
    vw_session_stop(s.get());
    EXPECT_EQ(vw_session_get_state(s.get()), VW_SESSION_STATE_STOPPED);
    // and it can be started again after a stop
    g_clear_error(&error);
    ASSERT_TRUE(vw_session_start(s.get(), &error)) << Message(error);
    ASSERT_TRUE(s.WaitReady(2)) << s.record.Dump();
}

TEST(Session, StatesOfAStartAndAStopAgainstTheTestDriver)
{
    TempDir root;
    Session s(root.path(), "test:///default");
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_session_start(s.get(), &error)) << Message(error);
    EXPECT_EQ(vw_session_get_state(s.get()), VW_SESSION_STATE_CONNECTING);
    ASSERT_TRUE(s.WaitReady(1)) << s.record.Dump();
    EXPECT_EQ(vw_session_get_state(s.get()), VW_SESSION_STATE_READY);
    vw_session_stop(s.get());
    const std::vector<VwSessionState> want = {
        VW_SESSION_STATE_CONNECTING,
        VW_SESSION_STATE_READY,
        VW_SESSION_STATE_STOPPING,
        VW_SESSION_STATE_STOPPED,
    };
    EXPECT_EQ(s.record.states, want) << s.record.Dump();
    EXPECT_TRUE(s.record.errors.empty()) << s.record.Dump();
    EXPECT_TRUE(s.record.reconnecting.empty()) << s.record.Dump();
    // the full pass came before ready, with nothing to do
    ASSERT_EQ(s.record.reconciled.size(), 1u) << s.record.Dump();
    EXPECT_EQ(s.record.reconciled[0].domain, "");
    EXPECT_EQ(s.record.reconciled[0].plugged, 0u);
    EXPECT_EQ(s.record.reconciled[0].removed, 0u);
    EXPECT_EQ(s.record.events.back(), "state:stopped");
    // nothing is delivered after the stop
    size_t n = s.record.events.size();
    SpinUntil([] { return false; }, 200);
    EXPECT_EQ(s.record.events.size(), n) << s.record.Dump();
}

TEST(Session, ABadRootIsRefusedAndNothingStarts)
{
    Session s("/dev/null/virtwire", "test:///default");
    g_autoptr(GError) error = nullptr;
    EXPECT_FALSE(vw_session_start(s.get(), &error));
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->domain, VW_ERROR) << Message(error);
    EXPECT_NE(strstr(error->message, "/dev/null/virtwire"), nullptr) << error->message;
    EXPECT_EQ(vw_session_get_state(s.get()), VW_SESSION_STATE_STOPPED);
    EXPECT_TRUE(s.record.events.empty()) << s.record.Dump();
    vw_session_stop(s.get());
}

TEST(Session, DisposingAStartedSessionStopsIt)
{
    TempDir root;
    VwSession *session = vw_session_new(root.path().c_str(), "test:///default");
    Record r;
    g_signal_connect(session, "ready", G_CALLBACK(OnReady), &r);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_session_start(session, &error)) << Message(error);
    ASSERT_TRUE(SpinUntil([&] { return r.ready == 1; }, kEventMs));
    // the last reference goes with the session running: dispose joins its thread
    g_object_unref(session);
    SpinUntil([] { return false; }, 100);
    EXPECT_EQ(r.ready, 1u);
}

// Virtual time: every delay "passes" at once; the random source gives the
// cap minus one and, at the 7th draw, makes the node file appear, so that
// the 8th attempt connects.
struct VirtualClock {
    std::vector<gint64> timeouts;
    std::vector<gint64> bounds;
    std::string node_file;
};

GSource *
VirtualTimeout(gint64 delay_ms, gpointer data)
{
    static_cast<VirtualClock *>(data)->timeouts.push_back(delay_ms);
    return g_timeout_source_new(0);
}

gint64
VirtualRandom(gint64 bound, gpointer data)
{
    auto *c = static_cast<VirtualClock *>(data);
    c->bounds.push_back(bound);
    if (c->bounds.size() == 7)
        g_file_set_contents(c->node_file.c_str(), "<node/>\n", -1, nullptr);
    return bound - 1;
}

TEST(Session, FailedConnectsBackOffWithCapsUpToSixtySecondsThenReady)
{
    TempDir root;
    TempDir dir;
    VirtualClock clock;
    clock.node_file = dir.path() + "/node.xml";
    std::string uri = "test://" + clock.node_file;
    Session s(root.path(), uri.c_str());
    const VwClock vtable = { VirtualTimeout, VirtualRandom };
    vw_session_set_clock(s.get(), &vtable, &clock);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_session_start(s.get(), &error)) << Message(error);
    ASSERT_TRUE(s.WaitReady(1)) << s.record.Dump();
    vw_session_stop(s.get());

    const gint64 caps[] = { 1000, 3000, 7000, 15000, 31000, 60000, 60000 };
    ASSERT_EQ(s.record.reconnecting.size(), G_N_ELEMENTS(caps)) << s.record.Dump();
    ASSERT_EQ(clock.bounds.size(), G_N_ELEMENTS(caps));
    ASSERT_EQ(clock.timeouts.size(), G_N_ELEMENTS(caps));
    for (guint i = 0; i < G_N_ELEMENTS(caps); i++) {
        EXPECT_EQ(clock.bounds[i], caps[i]) << "attempt " << i + 1;
        EXPECT_EQ(s.record.reconnecting[i].first, i + 1);
        EXPECT_EQ(s.record.reconnecting[i].second, caps[i] - 1);
        EXPECT_EQ(clock.timeouts[i], caps[i] - 1) << "the session waits the delay it announced";
    }
    // each failed attempt said why, naming the URI
    EXPECT_EQ(s.record.ErrorsWith("cannot connect to '" + uri + "'"), G_N_ELEMENTS(caps))
        << s.record.Dump();
    // CONNECTING, then BACKOFF/CONNECTING per failure, then READY
    std::vector<VwSessionState> want = { VW_SESSION_STATE_CONNECTING };
    for (guint i = 0; i < G_N_ELEMENTS(caps); i++) {
        want.push_back(VW_SESSION_STATE_BACKOFF);
        want.push_back(VW_SESSION_STATE_CONNECTING);
    }
    want.push_back(VW_SESSION_STATE_READY);
    want.push_back(VW_SESSION_STATE_STOPPING);
    want.push_back(VW_SESSION_STATE_STOPPED);
    EXPECT_EQ(s.record.states, want) << s.record.Dump();
}

TEST(Session, StopDuringBackoffReturnsAtOnce)
{
    TempDir root;
    // no such file: every attempt fails; the real clock waits up to 1 s, 3 s...
    Session s(root.path(), "test:///nonexistent/vw-session-node.xml");
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_session_start(s.get(), &error)) << Message(error);
    ASSERT_TRUE(SpinUntil([&] { return !s.record.reconnecting.empty(); }, kEventMs))
        << s.record.Dump();
    vw_session_stop(s.get());
    EXPECT_EQ(vw_session_get_state(s.get()), VW_SESSION_STATE_STOPPED);
    EXPECT_EQ(s.record.reconnecting[0].first, 1u);
    EXPECT_GE(s.record.reconnecting[0].second, 0);
    EXPECT_LT(s.record.reconnecting[0].second, 1000);
}

// The event path without root: a domain of the test driver with a virtwire
// NIC on a network that virtwire does not know starts; the session reads
// its XML and reports the port it cannot plug, naming domain and network.
TEST(Session, StartedDomainWithAPortOnAnUnknownNetworkIsReported)
{
    TempDir root;
    Session s(root.path(), "test:///default");
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_session_start(s.get(), &error)) << Message(error);
    ASSERT_TRUE(s.WaitReady(1)) << s.record.Dump();

    Conn conn("test:///default");
    ASSERT_NE(conn.get(), nullptr) << conn.error();
    std::string uuid = RandomUuid();
    std::string name = "vw-session-" + std::to_string(getpid()) + "-unknown";
    std::string xml;
    ASSERT_TRUE(WithPort(TestDomainXml(name, uuid), uuid, Mac(1), "vwnosuchnet", &xml));
    Dom dom(conn.get(), xml);
    ASSERT_TRUE(dom.ok()) << dom.error();
    size_t before = s.record.reconciled.size();
    ASSERT_TRUE(dom.Start());
    const Record::Reconciled *r = s.WaitReconciled(uuid, before);
    ASSERT_NE(r, nullptr) << s.record.Dump();
    EXPECT_EQ(r->plugged, 0u);
    EXPECT_EQ(s.record.ErrorsWith("domain '" + name + "' into virtwire network 'vwnosuchnet'"), 1u)
        << s.record.Dump();
    EXPECT_EQ(vw_session_get_state(s.get()), VW_SESSION_STATE_READY);
}

// ----------------------------------------------------------------------------------- CLI

std::string
VirtwireBinary()
{
    const char *p = g_getenv("VW_VIRTWIRE");
    return p && *p ? p : std::string(VW_BUILD_ROOT) + "/tools/virtwire";
}

// `virtwire agent` as a child with stderr to a file; killed on scope exit.
class AgentProcess
{
  public:
    AgentProcess(const std::vector<std::string> &args, const std::string &log) : log_(log)
    {
        std::vector<char *> argv;
        std::string bin = VirtwireBinary();
        argv.push_back((char *)bin.c_str());
        for (const std::string &a : args)
            argv.push_back((char *)a.c_str());
        argv.push_back(nullptr);
        pid_ = fork();
        if (pid_ == 0) {
            int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0 || dup2(fd, 2) < 0)
                _exit(127);
            execv(argv[0], argv.data());
            _exit(127);
        }
    }
    ~AgentProcess()
    {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    AgentProcess(const AgentProcess &) = delete;
    AgentProcess &operator=(const AgentProcess &) = delete;
    bool ok() const
    {
        return pid_ > 0;
    }
    std::string Log() const
    {
        g_autofree char *text = nullptr;
        g_file_get_contents(log_.c_str(), &text, nullptr, nullptr);
        return text ? text : "";
    }
    bool WaitLog(const std::string &needle, int timeout_ms)
    {
        return SpinUntil([&] { return Log().find(needle) != std::string::npos; }, timeout_ms);
    }
    // Sends @sig and waits for the exit; the exit status, or -1.
    int Signal(int sig)
    {
        if (pid_ <= 0)
            return -1;
        kill(pid_, sig);
        int status = 0;
        pid_t got = waitpid(pid_, &status, 0);
        pid_ = 0;
        if (got < 0 || !WIFEXITED(status))
            return -1;
        return WEXITSTATUS(status);
    }

  private:
    std::string log_;
    pid_t pid_ = -1;
};

TEST(AgentCli, RunsUntilSigtermAndLogsItsStates)
{
    TempDir root, dir;
    for (int sig : { SIGTERM, SIGINT }) {
        AgentProcess agent({ "agent", "--root", root.path(), "-c", "test:///default" },
                           dir.path() + "/agent-" + std::to_string(sig) + ".log");
        ASSERT_TRUE(agent.ok());
        ASSERT_TRUE(agent.WaitLog("connected to 'test:///default'", kEventMs)) << agent.Log();
        EXPECT_EQ(agent.Signal(sig), 0) << agent.Log();
        std::string log = agent.Log();
        EXPECT_NE(log.find("virtwire agent: connecting to 'test:///default'"), std::string::npos)
            << log;
        EXPECT_NE(log.find(sig == SIGTERM ? "received SIGTERM" : "received SIGINT"),
                  std::string::npos)
            << log;
        EXPECT_NE(log.find("virtwire agent: stopping\n"), std::string::npos) << log;
        EXPECT_NE(log.find("virtwire agent: stopped\n"), std::string::npos) << log;
    }
}

TEST(AgentCli, BadArgumentsAreUsageErrors)
{
    struct Case {
        std::vector<std::string> args;
        std::string needle;
    };
    const Case cases[] = {
        { { "agent", "extra" }, "unexpected argument 'extra'" },
        { { "agent", "--bogus" }, "--bogus" },
        { { "agent", "-c", "" }, "needs a URI" },
        { { "agent", "--root" }, "--root" },
    };
    for (const Case &c : cases) {
        std::vector<std::string> argv = { VirtwireBinary() };
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        vwtest::Cmd r = vwtest::Run(argv);
        EXPECT_EQ(r.status, 2) << r.err;
        EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
    }
}

TEST(AgentCli, ABadRootFailsWithStatusOne)
{
    vwtest::Cmd r = vwtest::Run(
        { VirtwireBinary(), "agent", "--root", "/dev/null/x", "-c", "test:///default" });
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find("/dev/null/x"), std::string::npos) << r.err;
}

// ----------------------------------------------------------------------------------- integration

// A temporary virtwire root (mode 0755: dnsmasq traverses it) with one
// isolated network, through the public API (VwProvisioner); the network is
// stopped (its ports go with it) and undefined (its leases too) and the
// root removed on scope exit.
class NetRoot
{
  public:
    NetRoot()
    {
        g_autoptr(GError) error = nullptr;
        g_autofree char *root = g_dir_make_tmp("vw-session-root-XXXXXX", &error);
        if (!root) {
            error_ = Message(error);
            return;
        }
        path_ = root;
        chmod(root, 0755);
        prov_ = vw_provisioner_new(root, "test:///default", nullptr, &error);
        if (!prov_)
            error_ = Message(error);
    }
    ~NetRoot()
    {
        if (prov_) {
            if (!net_.empty()) {
                vw_provisioner_stop_network_full(prov_, net_.c_str(), VW_STOP_FORCE, nullptr,
                                                 nullptr);
                vw_provisioner_undefine_network(prov_, net_.c_str(), nullptr, nullptr);
            }
            g_object_unref(prov_);
        }
        if (!path_.empty())
            vwtest::Run({ "rm", "-rf", "--one-file-system", path_ });
    }
    NetRoot(const NetRoot &) = delete;
    NetRoot &operator=(const NetRoot &) = delete;

    ::testing::AssertionResult Start(const std::string &name, const std::string &subnet)
    {
        if (!prov_)
            return ::testing::AssertionFailure() << error_;
        std::string xml = "<network><name>" + name +
                          "</name><forward mode='isolated'/><ip family='ipv4' address='" + subnet +
                          ".1' prefix='24'><dhcp><range start='" + subnet + ".100' end='" + subnet +
                          ".199'/></dhcp></ip></network>";
        net_ = name;
        g_autoptr(GError) error = nullptr;
        g_autoptr(VwNetwork) n = vw_provisioner_define_network(prov_, xml.c_str(), nullptr, &error);
        if (!n || !vw_provisioner_start_network(prov_, name.c_str(), nullptr, &error))
            return ::testing::AssertionFailure() << name << ": " << Message(error);
        return ::testing::AssertionSuccess();
    }
    const std::string &path() const
    {
        return path_;
    }
    // The tap of the plugged port of (uuid, mac), or "" when there is none.
    std::string PortTap(const std::string &uuid, const std::string &mac) const
    {
        std::string tap;
        GList *ports = vw_provisioner_list_ports(prov_, net_.c_str(), nullptr, nullptr);
        for (GList *l = ports; l; l = l->next) {
            auto *p = VW_PORT(l->data);
            if (g_ascii_strcasecmp(vw_port_get_domain_uuid(p), uuid.c_str()) == 0 &&
                g_ascii_strcasecmp(vw_port_get_mac(p), mac.c_str()) == 0 &&
                vw_port_get_state(p) == VW_PORT_STATE_PLUGGED)
                tap = vw_port_get_tap(p);
        }
        g_list_free_full(ports, g_object_unref);
        return tap;
    }
    bool HasLease(const std::string &uuid) const
    {
        bool found = false;
        GList *leases = vw_provisioner_list_leases(prov_, net_.c_str(), nullptr, nullptr);
        for (GList *l = leases; l; l = l->next) {
            const char *u = vw_lease_get_domain_uuid(VW_LEASE(l->data));
            found = found || (u && g_ascii_strcasecmp(u, uuid.c_str()) == 0);
        }
        g_list_free_full(leases, g_object_unref);
        return found;
    }
    // A port made as a hook would have made it.
    ::testing::AssertionResult Plug(const std::string &uuid, const std::string &mac)
    {
        g_autoptr(GError) error = nullptr;
        g_autoptr(VwPort) p = vw_provisioner_plug_port(prov_, net_.c_str(), uuid.c_str(), nullptr,
                                                       mac.c_str(), nullptr, 1, nullptr, &error);
        if (!p)
            return ::testing::AssertionFailure() << "plug: " << Message(error);
        return ::testing::AssertionSuccess();
    }

  private:
    std::string path_;
    std::string error_;
    std::string net_;
    VwProvisioner *prov_ = nullptr;
};

std::string
Subnet(unsigned salt)
{
    return "10.238." + std::to_string((getpid() + salt) % 250) + "";
}

bool
LinkExists(const std::string &name)
{
    return if_nametoindex(name.c_str()) != 0;
}

class SessionRoot : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        std::string why;
        if (!vwtest::CanPlumb(&why))
            GTEST_SKIP() << "machine lacks: " << why;
        net_ = "vws" + std::to_string(getpid() % 100000) +
               ::testing::UnitTest::GetInstance()->current_test_info()->name()[0];
        ASSERT_TRUE(root_.Start(net_, Subnet(0)));
    }
    NetRoot root_;
    std::string net_;
};

// A domain started with a virtwire NIC and no port (no hook ran: the test
// driver needs no tap) gets its port from the STARTED event; its stop
// unplugs it and keeps the lease; its undefine takes the lease too.
TEST_F(SessionRoot, StartedDomainGetsItsPortStoppedLosesItUndefinedLosesItsLease)
{
    Session s(root_.path(), "test:///default");
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_session_start(s.get(), &error)) << Message(error);
    ASSERT_TRUE(s.WaitReady(1)) << s.record.Dump();

    Conn conn("test:///default");
    ASSERT_NE(conn.get(), nullptr) << conn.error();
    std::string uuid = RandomUuid();
    std::string mac = Mac(2);
    std::string xml, tap;
    ASSERT_TRUE(WithPort(TestDomainXml("vw-session-" + std::to_string(getpid()) + "-a", uuid), uuid,
                         mac, net_, &xml, &tap));
    vwtest::LinkGuard tap_guard(tap);
    Dom dom(conn.get(), xml);
    ASSERT_TRUE(dom.ok()) << dom.error();

    size_t before = s.record.reconciled.size();
    ASSERT_TRUE(dom.Start());
    const Record::Reconciled *r = s.WaitReconciled(uuid, before);
    ASSERT_NE(r, nullptr) << s.record.Dump();
    EXPECT_EQ(r->plugged, 1u) << s.record.Dump();
    EXPECT_EQ(root_.PortTap(uuid, mac), tap) << s.record.Dump();
    EXPECT_TRUE(LinkExists(tap));
    EXPECT_TRUE(root_.HasLease(uuid));

    before = s.record.reconciled.size();
    ASSERT_TRUE(dom.Destroy());
    r = s.WaitReconciled(uuid, before);
    ASSERT_NE(r, nullptr) << s.record.Dump();
    EXPECT_EQ(r->removed, 1u) << s.record.Dump();
    EXPECT_EQ(root_.PortTap(uuid, mac), "");
    EXPECT_FALSE(LinkExists(tap));
    EXPECT_TRUE(root_.HasLease(uuid)) << "a stopped domain keeps its lease";

    before = s.record.reconciled.size();
    ASSERT_TRUE(dom.Undefine());
    r = s.WaitReconciled(uuid, before);
    ASSERT_NE(r, nullptr) << s.record.Dump();
    EXPECT_EQ(r->removed, 1u) << s.record.Dump();
    EXPECT_FALSE(root_.HasLease(uuid)) << "an undefined domain loses its lease";
    EXPECT_TRUE(s.record.errors.empty()) << s.record.Dump();
}

// What happened while no session watched: a port and lease of a domain
// that no longer exists, and a running domain without its port.  The
// connect's full pass collects the one and plugs the other.
TEST_F(SessionRoot, ConnectCollectsVanishedDomainsAndPlugsRunningOnes)
{
    std::string ghost = RandomUuid();
    std::string ghost_mac = Mac(3);
    ASSERT_TRUE(root_.Plug(ghost, ghost_mac));
    std::string ghost_tap = root_.PortTap(ghost, ghost_mac);
    ASSERT_NE(ghost_tap, "");
    vwtest::LinkGuard ghost_guard(ghost_tap);

    Conn conn("test:///default");
    ASSERT_NE(conn.get(), nullptr) << conn.error();
    std::string uuid = RandomUuid();
    std::string mac = Mac(4);
    std::string xml, tap;
    ASSERT_TRUE(WithPort(TestDomainXml("vw-session-" + std::to_string(getpid()) + "-b", uuid), uuid,
                         mac, net_, &xml, &tap));
    vwtest::LinkGuard tap_guard(tap);
    Dom dom(conn.get(), xml);
    ASSERT_TRUE(dom.ok()) << dom.error();
    ASSERT_TRUE(dom.Start());

    Session s(root_.path(), "test:///default");
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_session_start(s.get(), &error)) << Message(error);
    ASSERT_TRUE(s.WaitReady(1)) << s.record.Dump();
    ASSERT_FALSE(s.record.reconciled.empty());
    const Record::Reconciled &full = s.record.reconciled[0];
    EXPECT_EQ(full.domain, "");
    EXPECT_EQ(full.plugged, 1u) << s.record.Dump();
    EXPECT_EQ(full.removed, 2u) << "the ghost's port and lease\n" << s.record.Dump();
    EXPECT_EQ(root_.PortTap(ghost, ghost_mac), "");
    EXPECT_FALSE(root_.HasLease(ghost));
    EXPECT_FALSE(LinkExists(ghost_tap));
    EXPECT_EQ(root_.PortTap(uuid, mac), tap) << s.record.Dump();
    EXPECT_TRUE(LinkExists(tap));
    EXPECT_TRUE(s.record.errors.empty()) << s.record.Dump();
}

// A running domain whose tap name is taken by a link virtwire did not make
// (here: a plain tap; with QEMU, the tap it was started with): reported,
// and the link is left alone.
TEST_F(SessionRoot, RunningDomainOnAForeignTapIsReportedAndTheTapLeftAlone)
{
    Session s(root_.path(), "test:///default");
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_session_start(s.get(), &error)) << Message(error);
    ASSERT_TRUE(s.WaitReady(1)) << s.record.Dump();

    Conn conn("test:///default");
    ASSERT_NE(conn.get(), nullptr) << conn.error();
    std::string uuid = RandomUuid();
    std::string mac = Mac(5);
    std::string xml, tap;
    ASSERT_TRUE(WithPort(TestDomainXml("vw-session-" + std::to_string(getpid()) + "-c", uuid), uuid,
                         mac, net_, &xml, &tap));
    vwtest::LinkGuard tap_guard(tap);
    ASSERT_EQ(vwtest::Run({ "ip", "tuntap", "add", "dev", tap, "mode", "tap" }).status, 0);
    unsigned ifindex = if_nametoindex(tap.c_str());
    ASSERT_NE(ifindex, 0u);
    Dom dom(conn.get(), xml);
    ASSERT_TRUE(dom.ok()) << dom.error();
    size_t before = s.record.reconciled.size();
    ASSERT_TRUE(dom.Start());
    const Record::Reconciled *r = s.WaitReconciled(uuid, before);
    ASSERT_NE(r, nullptr) << s.record.Dump();
    EXPECT_EQ(r->plugged, 0u);
    EXPECT_EQ(s.record.ErrorsWith("its tap '" + tap + "' exists already"), 1u) << s.record.Dump();
    EXPECT_EQ(if_nametoindex(tap.c_str()), ifindex) << "the tap was touched";
    EXPECT_EQ(root_.PortTap(uuid, mac), "");
    EXPECT_FALSE(root_.HasLease(uuid));
}

// ----------------------------------------------------------------------------------- e2e

pid_t
LibvirtdPid()
{
    g_autofree char *text = nullptr;
    if (!g_file_get_contents("/run/libvirtd.pid", &text, nullptr, nullptr))
        return 0;
    pid_t pid = (pid_t)atoi(text);
    return pid > 0 && kill(pid, 0) == 0 ? pid : 0;
}

// Kills libvirtd with SIGKILL and waits until it is gone.
::testing::AssertionResult
KillLibvirtd()
{
    pid_t pid = LibvirtdPid();
    if (pid <= 0)
        return ::testing::AssertionFailure() << "no live pid in /run/libvirtd.pid";
    if (kill(pid, SIGKILL) != 0)
        return ::testing::AssertionFailure() << "kill -9 " << pid << ": " << g_strerror(errno);
    if (!SpinUntil([&] { return kill(pid, 0) != 0; }, kDaemonMs))
        return ::testing::AssertionFailure() << "libvirtd " << pid << " survived SIGKILL";
    return ::testing::AssertionSuccess();
}

#define VW_REQUIRE_OWN_LIBVIRTD()                                                                  \
    do {                                                                                           \
        if (!vwe2e::StartedLibvirtd())                                                             \
            GTEST_SKIP() << "a libvirtd that this test program did not start answers on "          \
                         << vwe2e::kUri                                                            \
                         << ": this test kills libvirtd, and only one it started itself; stop "    \
                            "that libvirtd to run it";                                             \
    } while (0)

// libvirtd killed with SIGKILL, twice: each time the session reports the
// lost connection, announces attempt 1 below 1 s (the backoff was reset by
// the successful reconnect in between), keeps trying while the daemon is
// down with delays below the caps, and is READY again once it is back.
TEST(E2eAgent, ReconnectsAfterLibvirtdIsKilledWithTheBackoffResetInBetween)
{
    VW_REQUIRE_E2E(env);
    (void)env;
    VW_REQUIRE_OWN_LIBVIRTD();
    TempDir root;
    Session s(root.path(), vwe2e::kUri);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_session_start(s.get(), &error)) << Message(error);
    ASSERT_TRUE(s.WaitReady(1, kDaemonMs)) << s.record.Dump();

    const gint64 caps[] = { 1000, 3000, 7000, 15000, 31000, 60000 };
    for (guint round = 1; round <= 2; round++) {
        size_t first = s.record.reconnecting.size();
        size_t lost = s.record.ErrorsWith("lost the connection to 'qemu:///system'");
        ASSERT_TRUE(KillLibvirtd());
        ASSERT_TRUE(SpinUntil([&] { return s.record.reconnecting.size() > first; }, kDaemonMs))
            << s.record.Dump();
        EXPECT_EQ(s.record.ErrorsWith("lost the connection to 'qemu:///system'"), lost + 1)
            << s.record.Dump();
        EXPECT_EQ(s.record.reconnecting[first].first, 1u) << "round " << round << "\n"
                                                          << s.record.Dump();
        EXPECT_LT(s.record.reconnecting[first].second, 1000) << s.record.Dump();
        // let it fail at least once more while libvirtd is down
        ASSERT_TRUE(SpinUntil([&] { return s.record.reconnecting.size() > first + 1; }, kDaemonMs))
            << s.record.Dump();
        std::string why;
        ASSERT_TRUE(vwe2e::RestartLibvirtd(&why)) << why;
        ASSERT_TRUE(s.WaitReady(round + 1, kDaemonMs)) << s.record.Dump();
        EXPECT_EQ(vw_session_get_state(s.get()), VW_SESSION_STATE_READY);
        for (size_t i = first; i < s.record.reconnecting.size(); i++) {
            guint attempt = s.record.reconnecting[i].first;
            EXPECT_EQ(attempt, i - first + 1) << s.record.Dump();
            ASSERT_GE(attempt, 1u);
            gint64 cap = caps[MIN(attempt, G_N_ELEMENTS(caps)) - 1];
            EXPECT_GE(s.record.reconnecting[i].second, 0);
            EXPECT_LT(s.record.reconnecting[i].second, cap) << s.record.Dump();
        }
    }
    vw_session_stop(s.get());
    EXPECT_EQ(vw_session_get_state(s.get()), VW_SESSION_STATE_STOPPED);
}

// A tiny QEMU guest, started paused (it never needs to boot here).
std::string
QemuDomainXml(const vwe2e::Env *env, const std::string &name, const std::string &uuid,
              const std::string &socket)
{
    vwe2e::DomainSpec spec;
    spec.name = name;
    spec.uuid = uuid;
    spec.kernel = env->kernel;
    spec.initrd = env->initrd;
    spec.console_socket = socket;
    return vwe2e::DomainXml(spec);
}

// Without the hook: the port is plugged by hand (as a hook would have done)
// and the QEMU domain started on its tap; destroyed behind virtwire's back,
// the session unplugs the port and keeps the lease; undefined, it takes
// the lease too.
TEST(E2eAgent, QemuDomainStoppedAndUndefinedBehindVirtwiresBackIsCollected)
{
    VW_REQUIRE_E2E(env);
    vwe2e::ScratchDir dir;
    NetRoot root;
    std::string net = "vwsa" + std::to_string(getpid() % 100000);
    ASSERT_TRUE(root.Start(net, Subnet(1)));
    Session s(root.path(), vwe2e::kUri);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_session_start(s.get(), &error)) << Message(error);
    ASSERT_TRUE(s.WaitReady(1, kDaemonMs)) << s.record.Dump();

    std::string uuid = RandomUuid();
    std::string mac = Mac(6);
    std::string name = "vw-e2e-agent-" + std::to_string(getpid()) + "-a";
    ASSERT_TRUE(root.Plug(uuid, mac));
    std::string xml, tap;
    ASSERT_TRUE(WithPort(QemuDomainXml(env, name, uuid, dir.File("console.sock")), uuid, mac, net,
                         &xml, &tap));
    vwtest::LinkGuard tap_guard(tap);
    vwe2e::Domain dom(name, xml, false);
    ASSERT_TRUE(dom.ok()) << dom.error();
    size_t before = s.record.reconciled.size();
    ASSERT_TRUE(dom.Start()) << dom.error();
    const Record::Reconciled *r = s.WaitReconciled(uuid, before);
    ASSERT_NE(r, nullptr) << s.record.Dump();
    EXPECT_EQ(r->plugged, 0u) << "the port was there";
    EXPECT_GT(vwe2e::QemuPid(name), 0);

    before = s.record.reconciled.size();
    ASSERT_TRUE(dom.Destroy()) << dom.error();
    r = s.WaitReconciled(uuid, before);
    ASSERT_NE(r, nullptr) << s.record.Dump();
    EXPECT_EQ(r->removed, 1u) << s.record.Dump();
    EXPECT_EQ(root.PortTap(uuid, mac), "");
    EXPECT_FALSE(LinkExists(tap));
    EXPECT_TRUE(root.HasLease(uuid));

    before = s.record.reconciled.size();
    ASSERT_TRUE(dom.Undefine()) << dom.error();
    r = s.WaitReconciled(uuid, before);
    ASSERT_NE(r, nullptr) << s.record.Dump();
    EXPECT_EQ(r->removed, 1u) << s.record.Dump();
    EXPECT_FALSE(root.HasLease(uuid));
    EXPECT_TRUE(s.record.errors.empty()) << s.record.Dump();
}

// Without the hook a QEMU domain with a virtwire NIC starts only when its
// tap exists already (libvirt refuses `managed='no'` on a missing device),
// and then QEMU holds that tap: the session reports the port it cannot
// plug and leaves the tap and the guest alone.
TEST(E2eAgent, QemuDomainStartedWithoutTheHookOnATapItMadeIsReportedAndLeftAlone)
{
    VW_REQUIRE_E2E(env);
    vwe2e::ScratchDir dir;
    NetRoot root;
    std::string net = "vwsb" + std::to_string(getpid() % 100000);
    ASSERT_TRUE(root.Start(net, Subnet(2)));
    Session s(root.path(), vwe2e::kUri);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_session_start(s.get(), &error)) << Message(error);
    ASSERT_TRUE(s.WaitReady(1, kDaemonMs)) << s.record.Dump();

    std::string uuid = RandomUuid();
    std::string mac = Mac(7);
    std::string name = "vw-e2e-agent-" + std::to_string(getpid()) + "-b";
    std::string xml, tap;
    ASSERT_TRUE(WithPort(QemuDomainXml(env, name, uuid, dir.File("console.sock")), uuid, mac, net,
                         &xml, &tap));
    // without its tap libvirt refuses to start such a domain: the premise
    // of this test (another domain, so that its events are not this one's)
    {
        std::string other = RandomUuid();
        std::string other_xml;
        ASSERT_TRUE(WithPort(QemuDomainXml(env, name + "-nodev", other, dir.File("nodev.sock")),
                             other, Mac(8), net, &other_xml));
        vwe2e::Domain nodev(name + "-nodev", other_xml, false);
        ASSERT_TRUE(nodev.ok()) << nodev.error();
        EXPECT_FALSE(nodev.Start());
        EXPECT_NE(nodev.error().find("doesn't exist"), std::string::npos) << nodev.error();
    }
    vwe2e::Tap own(tap);
    ASSERT_TRUE(own.ok()) << own.error();
    unsigned ifindex = if_nametoindex(tap.c_str());
    vwe2e::Domain dom(name, xml, false);
    ASSERT_TRUE(dom.ok()) << dom.error();
    size_t before = s.record.reconciled.size();
    ASSERT_TRUE(dom.Start()) << dom.error();
    const Record::Reconciled *r = s.WaitReconciled(uuid, before);
    ASSERT_NE(r, nullptr) << s.record.Dump();
    EXPECT_EQ(r->plugged, 0u);
    EXPECT_EQ(s.record.ErrorsWith("its tap '" + tap + "' exists already"), 1u) << s.record.Dump();
    EXPECT_EQ(if_nametoindex(tap.c_str()), ifindex);
    EXPECT_GT(vwe2e::QemuPid(name), 0) << "the guest still runs";
    EXPECT_EQ(root.PortTap(uuid, mac), "");
}

} // namespace
