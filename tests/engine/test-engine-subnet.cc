// Subnets of nat and routed networks must not capture the host's traffic
// (src/engine/vw-engine-subnet.c): a subnet that overlaps a route or an
// address of the host, or another nat/routed network of any state root on
// this host, is refused at define and again at start; an isolated network
// may overlap anything.  Root, the real kernel: each test makes its own
// scratch link in the host netns (removed with its addresses and
// routes when the test ends) and its own state roots, and never relies on
// the host's own routes.
#include <config.h>

#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>

#include "vw-engine.h"
#include "vw-netdef.h"
#include "vw-net-testutil.h"

using namespace vwtest;

namespace
{

int g_counter = 0;

bool
Contains(const std::string &haystack, const std::string &needle)
{
    return haystack.find(needle) != std::string::npos;
}

// A state root of its own, with an engine on it; stops and undefines its
// networks and removes the root when it goes.
class Root
{
  public:
    Root()
    {
        g_autoptr(GError) error = nullptr;
        g_autofree char *dir = g_dir_make_tmp("vw-subnet-XXXXXX", &error);
        EXPECT_NE(dir, nullptr) << (error ? error->message : "");
        if (!dir)
            return;
        path_ = dir;
        // dnsmasq drops privileges and must reach its files under the root.
        EXPECT_EQ(chmod(dir, 0755), 0);
        engine_ = vw_engine_open(dir, &error);
        EXPECT_NE(engine_, nullptr) << (error ? error->message : "");
    }
    ~Root()
    {
        if (engine_) {
            for (const auto &n : nets_) {
                vw_engine_network_stop(engine_, n.c_str(), nullptr);
                vw_engine_network_undefine(engine_, n.c_str(), nullptr);
                EXPECT_FALSE(g_file_test(("/run/netns/vw-" + n).c_str(), G_FILE_TEST_EXISTS)) << n;
            }
            vw_engine_free(engine_);
        }
        if (!path_.empty())
            Run({ "rm", "-rf", path_ });
    }
    Root(const Root &) = delete;
    Root &operator=(const Root &) = delete;

    VwEngine *engine() const
    {
        return engine_;
    }
    const std::string &path() const
    {
        return path_;
    }

    // Define a network; "" and *message set when refused.
    std::string Define(const std::string &forward, const std::string &address, unsigned prefix,
                       std::string *message = nullptr)
    {
        std::string name = "vws" + std::to_string(getpid()) + "x" + std::to_string(++g_counter);
        std::string xml = "<network><name>" + name + "</name><forward mode='" + forward +
                          "'/><ip family='ipv4' address='" + address + "' prefix='" +
                          std::to_string(prefix) + "'/></network>";
        g_autoptr(GError) error = nullptr;
        g_autofree char *got = vw_engine_network_define(engine_, xml.c_str(), &error);
        nets_.push_back(name);
        if (message)
            *message = error ? error->message : "";
        if (!got) {
            EXPECT_TRUE(g_error_matches(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS))
                << (error ? error->message : "");
            return "";
        }
        return name;
    }

    bool Start(const std::string &name, std::string *message = nullptr)
    {
        g_autoptr(GError) error = nullptr;
        bool ok = vw_engine_network_start(engine_, name.c_str(), &error);
        if (message)
            *message = error ? error->message : "";
        return ok;
    }

    bool Defined(const std::string &name) const
    {
        return g_file_test((path_ + "/etc/virtwire/networks/" + name + ".xml").c_str(),
                           G_FILE_TEST_EXISTS);
    }

    bool Active(const std::string &name) const
    {
        g_autoptr(VwNetworkInfo) info = vw_engine_network_info(engine_, name.c_str(), nullptr);
        return info && info->active;
    }

  private:
    std::string path_;
    VwEngine *engine_ = nullptr;
    std::vector<std::string> nets_;
};

// A scratch link in the host netns, up (a veth pair, both ends here: the
// kernel may lack the dummy driver); deleted (with its peer, addresses and
// routes) when it goes.
class ScratchDummy
{
  public:
    ScratchDummy() : name_(ScratchName("vwsd"))
    {
        std::string peer = name_ + "p";
        ok_ = Run({ "ip", "link", "add", name_, "type", "veth", "peer", "name", peer }).status == 0;
        if (ok_)
            guard_ = std::make_unique<LinkGuard>(name_);
        ok_ = ok_ && Run({ "ip", "link", "set", peer, "up" }).status == 0 &&
              Run({ "ip", "link", "set", name_, "up" }).status == 0;
    }
    const std::string &name() const
    {
        return name_;
    }
    bool ok() const
    {
        return ok_;
    }
    bool Add(const std::vector<std::string> &args) const
    {
        std::vector<std::string> argv = { "ip" };
        argv.insert(argv.end(), args.begin(), args.end());
        Cmd c = Run(argv);
        EXPECT_EQ(c.status, 0) << c.err;
        return c.status == 0;
    }

  private:
    std::string name_;
    bool ok_ = false;
    std::unique_ptr<LinkGuard> guard_;
};

class SubnetTest : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        VW_REQUIRE_ROOT();
        g_autofree char *dnsmasq = g_find_program_in_path("dnsmasq");
        if (!dnsmasq && !g_file_test("/usr/sbin/dnsmasq", G_FILE_TEST_EXISTS))
            GTEST_SKIP() << "machine lacks: dnsmasq (scripts/setup installs it)";
        ASSERT_TRUE(dummy_.ok()) << "cannot make a dummy link";
        ASSERT_NE(a_.engine(), nullptr);
    }

    // A fresh /24 for this process and test: "10.X.Y".
    static std::string NewSubnet()
    {
        return "10." + std::to_string(150 + getpid() % 50) + "." +
               std::to_string(100 + (++g_counter % 150));
    }

    // No host route left that leads into a network of ours.
    static void ExpectNoRouteTo(const std::string &cidr)
    {
        Cmd c = vwtest::Run({ "ip", "-4", "route", "show", "exact", cidr });
        EXPECT_EQ(c.out, "") << cidr;
    }

    ScratchDummy dummy_;
    Root a_;
};

TEST_F(SubnetTest, SubnetOnAHostRouteOrAddressIsRefusedAtDefineUnlessIsolated)
{
    std::string s = NewSubnet();
    ASSERT_TRUE(dummy_.Add({ "addr", "add", s + ".5/24", "dev", dummy_.name() }));

    for (const char *forward : { "routed", "nat" }) {
        // the same LAN, a part of it, a subnet containing it
        struct {
            std::string address;
            unsigned prefix;
        } cases[] = { { s + ".1", 24 }, { s + ".17", 28 }, { s + ".1", 16 } };
        for (const auto &c : cases) {
            std::string message;
            std::string name = a_.Define(forward, c.address, c.prefix, &message);
            EXPECT_EQ(name, "") << forward << " " << c.address << "/" << c.prefix;
            EXPECT_TRUE(Contains(message, std::string(forward) + " network")) << message;
            EXPECT_TRUE(Contains(message, "overlaps the host's")) << message;
            EXPECT_TRUE(Contains(message, dummy_.name()) || Contains(message, s + ".5")) << message;
        }
    }
    // nothing was stored
    g_autofree char *list = nullptr;
    g_autoptr(GPtrArray) nets = vw_engine_network_list(a_.engine(), nullptr);
    ASSERT_NE(nets, nullptr);
    EXPECT_EQ(nets->len, 0u);

    // an isolated network is alone in its netns: allowed, and it starts
    std::string iso = a_.Define("isolated", s + ".1", 24);
    ASSERT_NE(iso, "");
    std::string message;
    EXPECT_TRUE(a_.Start(iso, &message)) << message;
    EXPECT_TRUE(a_.Active(iso));
}

TEST_F(SubnetTest, RoutedNetworkIsRefusedAtStartWhenTheHostGotARouteIntoItsSubnet)
{
    std::string s = NewSubnet();
    std::string name = a_.Define("routed", s + ".1", 24);
    ASSERT_NE(name, "");
    // The host changes after the definition: a route into a part of the subnet.
    ASSERT_TRUE(dummy_.Add({ "route", "add", s + ".128/25", "dev", dummy_.name() }));

    std::string message;
    EXPECT_FALSE(a_.Start(name, &message));
    EXPECT_TRUE(Contains(message, "subnet '" + s + ".0/24' of routed network '" + name + "'"))
        << message;
    EXPECT_TRUE(
        Contains(message, "the host's route to '" + s + ".128/25' on link '" + dummy_.name() + "'"))
        << message;
    // nothing was started
    EXPECT_FALSE(a_.Active(name));
    EXPECT_FALSE(g_file_test(("/run/netns/vw-" + name).c_str(), G_FILE_TEST_EXISTS));
    EXPECT_FALSE(
        g_file_test((a_.path() + "/run/virtwire/networks/" + name + "/status.json").c_str(),
                    G_FILE_TEST_EXISTS));
    ExpectNoRouteTo(s + ".0/24");

    // once the route is gone it starts
    ASSERT_TRUE(dummy_.Add({ "route", "del", s + ".128/25", "dev", dummy_.name() }));
    EXPECT_TRUE(a_.Start(name, &message)) << message;
    // and its own route through its own uplink does not count: redefining it
    // while it is active is no clash with itself
    Cmd own = vwtest::Run({ "ip", "-4", "route", "show", "exact", s + ".0/24" });
    EXPECT_TRUE(Contains(own.out, "dev vwu-")) << own.out;
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwNetDef) def = vw_engine_network_get_def(a_.engine(), name.c_str(), &error);
    ASSERT_NE(def, nullptr) << error->message;
    g_autofree char *xml = vw_netdef_format(def);
    g_autofree char *again = vw_engine_network_define(a_.engine(), xml, &error);
    EXPECT_NE(again, nullptr) << error->message;
    EXPECT_TRUE(vw_engine_network_stop(a_.engine(), name.c_str(), &error))
        << (error ? error->message : "");
}

TEST_F(SubnetTest, PrefixOneRoutedIsRefused)
{
    // 0.0.0.0/1: half the Internet (it holds 127.0.0.0/8 of every host's lo).
    std::string s = NewSubnet();
    for (const char *forward : { "routed", "nat" }) {
        std::string message;
        EXPECT_EQ(a_.Define(forward, s + ".1", 1, &message), "") << forward;
        EXPECT_TRUE(Contains(message, "subnet '0.0.0.0/1' of " + std::string(forward))) << message;
        EXPECT_TRUE(Contains(message, "must not take traffic of the host")) << message;
    }
    ExpectNoRouteTo("0.0.0.0/1");
}

TEST_F(SubnetTest, AnotherRootsActiveRoutedNetworkWithTheSameSubnetIsRefused)
{
    std::string s = NewSubnet();
    // This root defines first, while nothing overlaps.
    std::string mine = a_.Define("routed", s + ".1", 24);
    ASSERT_NE(mine, "");

    Root b;
    ASSERT_NE(b.engine(), nullptr);
    std::string theirs = b.Define("routed", s + ".1", 24);
    ASSERT_NE(theirs, "");
    std::string message;
    ASSERT_TRUE(b.Start(theirs, &message)) << message;

    // at start
    EXPECT_FALSE(a_.Start(mine, &message));
    EXPECT_TRUE(Contains(message, "overlaps active routed network '" + theirs +
                                      "' of state root '" + b.path() + "'"))
        << message;
    EXPECT_FALSE(a_.Active(mine));
    EXPECT_FALSE(g_file_test(("/run/netns/vw-" + mine).c_str(), G_FILE_TEST_EXISTS));
    // at define (in a third root, without definitions of its own), nat too,
    // and a subnet inside it
    Root c;
    ASSERT_NE(c.engine(), nullptr);
    EXPECT_EQ(c.Define("nat", s + ".65", 26, &message), "");
    EXPECT_TRUE(Contains(message, "subnet '" + s + ".64/26' of nat network")) << message;
    EXPECT_TRUE(Contains(message, "overlaps active routed network '" + theirs +
                                      "' of state root '" + b.path() + "'"))
        << message;
    // isolated: allowed
    std::string iso = c.Define("isolated", s + ".1", 24, &message);
    ASSERT_NE(iso, "") << message;
    EXPECT_TRUE(c.Start(iso, &message)) << message;

    // Their network stopped: ours starts.
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_engine_network_stop(b.engine(), theirs.c_str(), &error)) << error->message;
    EXPECT_TRUE(a_.Start(mine, &message)) << message;
    EXPECT_TRUE(a_.Active(mine));
}

} // namespace
