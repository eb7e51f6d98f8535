// The GObject API against the real kernel (root): networks started and
// stopped, ports plugged and unplugged sync and async, port-added and
// port-removed in the provisioner's main context, cancellation, and a live
// attach that libvirt refuses being rolled back.  Kernel state is checked
// independently with `ip -j`; every test stops and undefines its networks
// and checks that none of their links or namespaces remain.
#include <config.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "vw-glib-testutil.h"
#include "vw-net-testutil.h"

using namespace vwtest;

namespace {

const char *kUuid1 = "6b2e4d3f-0000-4000-8000-000000000001";
const char *kUuid2 = "6b2e4d3f-0000-4000-8000-000000000002";
const char *kMac1 = "52:54:00:bb:00:01";
const char *kMac2 = "52:54:00:bb:00:02";
const int kVirErrNoSupport = 3; // VIR_ERR_NO_SUPPORT

bool
LinkExists(const std::string &name)
{
    JsonObject *o = IpLink("", name);
    if (o)
        json_object_unref(o);
    return o != nullptr;
}

// Host links whose alias names network @net (virtwire's port and uplink links).
std::vector<std::string>
HostLinksOf(const std::string &net)
{
    std::vector<std::string> out;
    g_autoptr(JsonNode) links = IpJson("", { "link", "show" });
    JsonArray *a = links ? json_node_get_array(links) : nullptr;
    for (guint i = 0; a && i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        if (json_object_has_member(o, "ifalias") &&
            std::string(json_object_get_string_member(o, "ifalias")).find(":" + net + ":") !=
                std::string::npos)
            out.push_back(json_object_get_string_member(o, "ifname"));
    }
    return out;
}

// Records port-added / port-removed with the thread that emitted them.
struct Signals {
    std::vector<std::string> *events;
    std::vector<VwPort *> added, removed;
    std::vector<GThread *> threads;

    static void OnAdded(VwProvisioner *, VwPort *port, gpointer data)
    {
        Signals *s = static_cast<Signals *>(data);
        s->added.push_back(VW_PORT(g_object_ref(port)));
        s->threads.push_back(g_thread_self());
        s->events->push_back(std::string("added ") + vw_port_get_mac(port));
    }
    static void OnRemoved(VwProvisioner *, VwPort *port, gpointer data)
    {
        Signals *s = static_cast<Signals *>(data);
        s->removed.push_back(VW_PORT(g_object_ref(port)));
        s->threads.push_back(g_thread_self());
        s->events->push_back(std::string("removed ") + vw_port_get_mac(port));
    }
    ~Signals()
    {
        FreeObjects(added);
        FreeObjects(removed);
    }
};

class RootTest : public ::testing::Test {
  protected:
    void SetUp() override
    {
        VW_REQUIRE_ROOT();
        g_autofree char *dnsmasq = g_find_program_in_path("dnsmasq");
        if (!dnsmasq && !g_file_test("/usr/sbin/dnsmasq", G_FILE_TEST_IS_EXECUTABLE))
            GTEST_SKIP() << "machine lacks: dnsmasq (scripts/setup installs it)";
        ASSERT_FALSE(root_.path().empty());
        g_autoptr(GError) error = nullptr;
        prov_ = vw_provisioner_new(root_.c_str(), "test:///default", nullptr, &error);
        ASSERT_NE(prov_, nullptr) << Msg(error);
        sig_.events = &events_;
        g_signal_connect(prov_, "port-added", G_CALLBACK(Signals::OnAdded), &sig_);
        g_signal_connect(prov_, "port-removed", G_CALLBACK(Signals::OnRemoved), &sig_);
    }

    void TearDown() override
    {
        if (!prov_)
            return;
        g_signal_handlers_disconnect_by_data(prov_, &sig_);
        for (const auto &n : nets_) {
            vw_provisioner_stop_network_full(prov_, n.c_str(), VW_STOP_FORCE, nullptr, nullptr);
            vw_provisioner_undefine_network(prov_, n.c_str(), nullptr, nullptr);
            EXPECT_TRUE(HostLinksOf(n).empty()) << n;
            EXPECT_FALSE(g_file_test(("/run/netns/vw-" + n).c_str(), G_FILE_TEST_EXISTS)) << n;
        }
        g_clear_object(&prov_);
    }

    // A defined and started network (removed by TearDown).
    VwNetwork *Started(NetSpec &spec)
    {
        g_autoptr(GError) error = nullptr;
        nets_.push_back(spec.name);
        VwNetwork *net = vw_provisioner_define_network(prov_, spec.xml.c_str(), nullptr, &error);
        EXPECT_NE(net, nullptr) << Msg(error);
        EXPECT_TRUE(vw_provisioner_start_network(prov_, spec.name.c_str(), nullptr, &error))
            << Msg(error);
        return net;
    }

    TempRoot root_;
    VwProvisioner *prov_ = nullptr;
    std::vector<std::string> nets_;
    std::vector<std::string> events_;
    std::vector<std::string> notes_;
    Signals sig_;
};

TEST_F(RootTest, PlugListUnplugChangeTheKernelAndEmitSignals)
{
    NetSpec spec("p");
    g_autoptr(VwNetwork) net = Started(spec);
    ASSERT_NE(net, nullptr);
    EXPECT_TRUE(vw_network_get_active(net)) << "refreshed by the start";
    // notes_ outlives the handler: the provisioner keeps the network until TearDown
    g_signal_connect_swapped(net, "notify::n-ports",
                             G_CALLBACK(+[](std::vector<std::string> *v) { v->push_back("n"); }),
                             &notes_);

    g_autoptr(GError) error = nullptr;
    g_autoptr(VwPort) port = vw_provisioner_plug_port(prov_, spec.name.c_str(), kUuid1, "dom1",
                                                      kMac1, nullptr, 0, nullptr, &error);
    ASSERT_NE(port, nullptr) << Msg(error);
    EXPECT_EQ(vw_port_get_state(port), VW_PORT_STATE_PLUGGED);
    EXPECT_TRUE(LinkExists(vw_port_get_tap(port))) << vw_port_get_tap(port);
    EXPECT_TRUE(LinkExists(vw_port_get_host(port))) << vw_port_get_host(port);
    ASSERT_NE(vw_port_get_ipv4(port), nullptr);
    EXPECT_TRUE(g_str_has_prefix(vw_port_get_ipv4(port), (spec.subnet + ".").c_str()))
        << vw_port_get_ipv4(port);
    ASSERT_EQ(sig_.added.size(), 1u);
    EXPECT_EQ(sig_.added[0], port);
    EXPECT_EQ(notes_.size(), 1u);
    EXPECT_EQ(vw_network_get_n_ports(net), 1u);

    // plugging it again returns the same port, and signals nothing
    g_autoptr(VwPort) again = vw_provisioner_plug_port(prov_, spec.name.c_str(), kUuid1, "dom1",
                                                       kMac1, nullptr, 0, nullptr, &error);
    EXPECT_EQ(again, port) << Msg(error);
    EXPECT_EQ(sig_.added.size(), 1u);

    auto ports = TakeList<VwPort>(vw_provisioner_list_ports(prov_, nullptr, nullptr, &error));
    ASSERT_EQ(ports.size(), 1u) << Msg(error);
    EXPECT_EQ(ports[0], port);
    FreeObjects(ports);
    auto leases =
        TakeList<VwLease>(vw_provisioner_list_leases(prov_, spec.name.c_str(), nullptr, &error));
    ASSERT_EQ(leases.size(), 1u) << Msg(error);
    EXPECT_STREQ(vw_lease_get_mac(leases[0]), kMac1);
    EXPECT_STREQ(vw_lease_get_domain_uuid(leases[0]), kUuid1);
    EXPECT_STREQ(vw_lease_get_ipv4(leases[0]), vw_port_get_ipv4(port));
    EXPECT_EQ(vw_lease_get_network(leases[0]), spec.name);
    FreeObjects(leases);

    std::string tap = vw_port_get_tap(port);
    ASSERT_TRUE(vw_provisioner_unplug_port(prov_, spec.name.c_str(), kUuid1, kMac1, nullptr,
                                           &error))
        << Msg(error);
    EXPECT_FALSE(LinkExists(tap));
    ASSERT_EQ(sig_.removed.size(), 1u);
    EXPECT_EQ(sig_.removed[0], port);
    EXPECT_EQ(vw_network_get_n_ports(net), 0u);
    // the lease stays; unplugging an absent port is success and signals nothing
    leases =
        TakeList<VwLease>(vw_provisioner_list_leases(prov_, spec.name.c_str(), nullptr, &error));
    EXPECT_EQ(leases.size(), 1u);
    FreeObjects(leases);
    EXPECT_TRUE(vw_provisioner_unplug_port(prov_, spec.name.c_str(), kUuid1, kMac1, nullptr,
                                           &error));
    EXPECT_EQ(sig_.removed.size(), 1u);
    for (GThread *t : sig_.threads)
        EXPECT_EQ(t, g_thread_self());

    ASSERT_TRUE(vw_provisioner_stop_network(prov_, spec.name.c_str(), nullptr, &error))
        << Msg(error);
    EXPECT_FALSE(vw_network_get_active(net));
    ASSERT_TRUE(vw_provisioner_undefine_network(prov_, spec.name.c_str(), nullptr, &error))
        << Msg(error);
}

// An active network runs with the definition it started with: a new one
// stored meanwhile is what VW_NETWORK_XML_INACTIVE returns, the default
// still the running one; after a restart both are the new one.
TEST_F(RootTest, GetNetworkXmlOfAnActiveNetworkIsTheRunningDefinition)
{
    NetSpec spec("x");
    g_autoptr(VwNetwork) net = Started(spec);
    ASSERT_NE(net, nullptr);
    g_autoptr(GError) error = nullptr;
    g_autofree char *running = vw_provisioner_get_network_xml(
        prov_, spec.name.c_str(), VW_NETWORK_XML_DEFAULT, nullptr, &error);
    ASSERT_NE(running, nullptr) << Msg(error);
    std::string changed = running;
    size_t at = changed.find(spec.subnet + ".199");
    ASSERT_NE(at, std::string::npos) << changed;
    changed.replace(at, (spec.subnet + ".199").size(), spec.subnet + ".150");
    g_autoptr(VwNetwork) again =
        vw_provisioner_define_network(prov_, changed.c_str(), nullptr, &error);
    ASSERT_EQ(again, net) << Msg(error);

    g_autofree char *live = vw_provisioner_get_network_xml(prov_, spec.name.c_str(),
                                                           VW_NETWORK_XML_DEFAULT, nullptr, &error);
    EXPECT_STREQ(live, running) << Msg(error);
    g_autofree char *stored = vw_provisioner_get_network_xml(
        prov_, spec.name.c_str(), VW_NETWORK_XML_INACTIVE, nullptr, &error);
    ASSERT_NE(stored, nullptr) << Msg(error);
    EXPECT_NE(std::string(stored).find(spec.subnet + ".150"), std::string::npos) << stored;
    EXPECT_EQ(std::string(stored).find(spec.subnet + ".199"), std::string::npos) << stored;

    ASSERT_TRUE(vw_provisioner_stop_network(prov_, spec.name.c_str(), nullptr, &error))
        << Msg(error);
    ASSERT_TRUE(vw_provisioner_start_network(prov_, spec.name.c_str(), nullptr, &error))
        << Msg(error);
    g_autofree char *restarted = vw_provisioner_get_network_xml(
        prov_, spec.name.c_str(), VW_NETWORK_XML_DEFAULT, nullptr, &error);
    EXPECT_STREQ(restarted, stored) << Msg(error);
}

TEST_F(RootTest, AsyncCallsSignalInTheCreatorsContextBeforeTheirCallback)
{
    NetSpec spec("a");
    g_autoptr(GError) error = nullptr;
    nets_.push_back(spec.name);
    {
        AsyncWait w;
        vw_provisioner_define_network_async(prov_, spec.xml.c_str(), nullptr, AsyncWait::Callback,
                                            &w);
        g_autoptr(VwNetwork) net = vw_provisioner_define_network_finish(prov_, w.Wait(), &error);
        ASSERT_NE(net, nullptr) << Msg(error);
    }
    {
        AsyncWait w;
        vw_provisioner_start_network_async(prov_, spec.name.c_str(), nullptr, AsyncWait::Callback,
                                           &w);
        ASSERT_TRUE(vw_provisioner_start_network_finish(prov_, w.Wait(), &error)) << Msg(error);
    }
    g_autoptr(VwPort) port = nullptr;
    {
        AsyncWait w;
        sig_.events = &w.events_;
        vw_provisioner_plug_port_async(prov_, spec.name.c_str(), kUuid2, nullptr, kMac2, nullptr,
                                       2, nullptr, AsyncWait::Callback, &w);
        port = vw_provisioner_plug_port_finish(prov_, w.Wait(), &error);
        ASSERT_NE(port, nullptr) << Msg(error);
        EXPECT_EQ(w.events_,
                  (std::vector<std::string>{ std::string("added ") + kMac2, "callback" }));
        EXPECT_EQ(vw_port_get_queues(port), 2u);
        EXPECT_TRUE(LinkExists(vw_port_get_tap(port)));
    }
    std::string tap = vw_port_get_tap(port);
    {
        AsyncWait w;
        sig_.events = &w.events_;
        vw_provisioner_unplug_port_async(prov_, spec.name.c_str(), kUuid2, kMac2, nullptr,
                                         AsyncWait::Callback, &w);
        EXPECT_TRUE(vw_provisioner_unplug_port_finish(prov_, w.Wait(), &error)) << Msg(error);
        EXPECT_EQ(w.events_,
                  (std::vector<std::string>{ std::string("removed ") + kMac2, "callback" }));
        EXPECT_FALSE(LinkExists(tap));
    }
    sig_.events = &events_;
    for (GThread *t : sig_.threads)
        EXPECT_EQ(t, g_thread_self()) << "signals are emitted in the creator's context";
    {
        AsyncWait w;
        vw_provisioner_stop_network_async(prov_, spec.name.c_str(), nullptr, AsyncWait::Callback,
                                          &w);
        EXPECT_TRUE(vw_provisioner_stop_network_finish(prov_, w.Wait(), &error)) << Msg(error);
    }
}

TEST_F(RootTest, StopRemovesEveryPortAndEmitsPortRemoved)
{
    NetSpec spec("s");
    g_autoptr(VwNetwork) net = Started(spec);
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwPort) p1 = vw_provisioner_plug_port(prov_, spec.name.c_str(), kUuid1, nullptr,
                                                    kMac1, nullptr, 0, nullptr, &error);
    ASSERT_NE(p1, nullptr) << Msg(error);
    g_autoptr(VwPort) p2 = vw_provisioner_plug_port(prov_, spec.name.c_str(), kUuid2, nullptr,
                                                    kMac2, nullptr, 0, nullptr, &error);
    ASSERT_NE(p2, nullptr) << Msg(error);
    EXPECT_EQ(vw_network_get_n_ports(net), 2u);

    // Plugged ports: refused, naming the domains, and nothing changes.
    EXPECT_FALSE(vw_provisioner_stop_network(prov_, spec.name.c_str(), nullptr, &error));
    EXPECT_TRUE(g_error_matches(error, VW_ERROR, VW_ERROR_BUSY)) << Msg(error);
    EXPECT_NE(Msg(error).find(kUuid1), std::string::npos) << Msg(error);
    EXPECT_NE(Msg(error).find(kUuid2), std::string::npos) << Msg(error);
    g_clear_error(&error);
    EXPECT_TRUE(vw_network_get_active(net));
    EXPECT_TRUE(LinkExists(vw_port_get_tap(p1)));
    EXPECT_TRUE(sig_.removed.empty());

    ASSERT_TRUE(
        vw_provisioner_stop_network_full(prov_, spec.name.c_str(), VW_STOP_FORCE, nullptr, &error))
        << Msg(error);
    EXPECT_EQ(sig_.removed.size(), 2u);
    EXPECT_FALSE(LinkExists(vw_port_get_tap(p1)));
    EXPECT_FALSE(LinkExists(vw_port_get_tap(p2)));
    EXPECT_FALSE(vw_network_get_active(net));
    EXPECT_EQ(vw_network_get_n_ports(net), 0u);
    // stopped: stopping again is an error naming it
    EXPECT_FALSE(vw_provisioner_stop_network(prov_, spec.name.c_str(), nullptr, &error));
    EXPECT_TRUE(g_error_matches(error, VW_ERROR, VW_ERROR_INACTIVE)) << Msg(error);
    EXPECT_NE(Msg(error).find(spec.name), std::string::npos) << Msg(error);
}

TEST_F(RootTest, ListingFindsPortsPluggedBehindItsBack)
{
    NetSpec spec("l");
    g_autoptr(VwNetwork) net = Started(spec);
    g_autoptr(GError) error = nullptr;
    // another user of the same root (the hook, say)
    g_autoptr(VwProvisioner) other = vw_provisioner_new(root_.c_str(), nullptr, nullptr, &error);
    ASSERT_NE(other, nullptr) << Msg(error);
    g_autoptr(VwPort) theirs = vw_provisioner_plug_port(other, spec.name.c_str(), kUuid1, nullptr,
                                                        kMac1, nullptr, 0, nullptr, &error);
    ASSERT_NE(theirs, nullptr) << Msg(error);
    EXPECT_TRUE(sig_.added.empty());

    auto ports = TakeList<VwPort>(vw_provisioner_list_ports(prov_, spec.name.c_str(), nullptr,
                                                            &error));
    ASSERT_EQ(ports.size(), 1u) << Msg(error);
    ASSERT_EQ(sig_.added.size(), 1u);
    EXPECT_EQ(sig_.added[0], ports[0]);
    EXPECT_STREQ(vw_port_get_tap(ports[0]), vw_port_get_tap(theirs));
    FreeObjects(ports);

    ASSERT_TRUE(vw_provisioner_unplug_port(other, spec.name.c_str(), kUuid1, kMac1, nullptr,
                                           &error));
    ports = TakeList<VwPort>(vw_provisioner_list_ports(prov_, nullptr, nullptr, &error));
    EXPECT_TRUE(ports.empty());
    EXPECT_EQ(sig_.removed.size(), 1u);
}

TEST_F(RootTest, CancelledPlugMakesNoPort)
{
    NetSpec spec("c");
    g_autoptr(VwNetwork) net = Started(spec);
    g_autoptr(GCancellable) cancel = g_cancellable_new();
    g_cancellable_cancel(cancel);
    g_autoptr(GError) error = nullptr;
    {
        AsyncWait w;
        vw_provisioner_plug_port_async(prov_, spec.name.c_str(), kUuid1, nullptr, kMac1, nullptr,
                                       0, cancel, AsyncWait::Callback, &w);
        g_autoptr(VwPort) port = vw_provisioner_plug_port_finish(prov_, w.Wait(), &error);
        EXPECT_EQ(port, nullptr);
        EXPECT_TRUE(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) << Msg(error);
        g_clear_error(&error);
    }
    g_autoptr(VwPort) port = vw_provisioner_plug_port(prov_, spec.name.c_str(), kUuid1, nullptr,
                                                      kMac1, nullptr, 0, cancel, &error);
    EXPECT_EQ(port, nullptr);
    EXPECT_TRUE(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) << Msg(error);
    g_clear_error(&error);
    EXPECT_TRUE(HostLinksOf(spec.name).empty());
    EXPECT_EQ(vw_provisioner_list_ports(prov_, nullptr, nullptr, &error), nullptr);
    EXPECT_EQ(error, nullptr) << Msg(error);
    EXPECT_EQ(vw_provisioner_list_leases(prov_, spec.name.c_str(), nullptr, &error), nullptr);
    EXPECT_TRUE(events_.empty());
}

TEST_F(RootTest, LiveAttachThatLibvirtRefusesLeavesNoPort)
{
    // test:///default cannot hot-plug: the port made first must go again
    NetSpec spec("h");
    g_autoptr(VwNetwork) net = Started(spec);
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwPort) port = vw_provisioner_attach_interface(
        prov_, "test", spec.name.c_str(), "52:54:00:bb:00:09", nullptr, 0,
        (VwInterfaceFlags)(VW_INTERFACE_LIVE | VW_INTERFACE_CONFIG), nullptr, &error);
    EXPECT_EQ(port, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_LIBVIRT_ERROR, kVirErrNoSupport)) << Msg(error);
    EXPECT_NE(Msg(error).find("'52:54:00:bb:00:09'"), std::string::npos) << Msg(error);
    EXPECT_NE(Msg(error).find("'test'"), std::string::npos) << Msg(error);
    g_clear_error(&error);
    EXPECT_TRUE(HostLinksOf(spec.name).empty());
    EXPECT_EQ(vw_provisioner_list_ports(prov_, nullptr, nullptr, &error), nullptr);
    EXPECT_EQ(vw_provisioner_list_leases(prov_, spec.name.c_str(), nullptr, &error), nullptr)
        << "the lease this attach made goes with the port";
    EXPECT_TRUE(events_.empty());
    // nor is the definition changed
    EXPECT_FALSE(vw_provisioner_detach_interface(prov_, "test", "52:54:00:bb:00:09",
                                                 VW_INTERFACE_CONFIG, nullptr, &error));
    EXPECT_TRUE(g_error_matches(error, VW_ERROR, VW_ERROR_NOT_FOUND)) << Msg(error);
}

} // namespace
