// Tests of src/domif: each use case once, on a real engine in a scratch
// root (root, the kernel, dnsmasq) or without the kernel where none is
// needed.  The front ends' tests (tests/hook, tests/glib, tests/tools) only
// check their adapters.

#include <string>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>
#include <unistd.h>

extern "C" {
#include "vw-domif-libvirt.h"
#include "vw-domif.h"
#include "vw-names.h"
}

#include "vw-engine-testutil.h"

namespace {

const char *kUuid = "4d3c2b1a-0000-4000-8000-00000000d0f1";

std::string
Msg(const GError *e)
{
    return e ? e->message : "(no error)";
}

bool
IsLocalUnicast(const char *mac)
{
    guint8 b[6];
    return mac && vw_mac_parse(mac, b, nullptr) && (b[0] & 0x03) == 0x02;
}

TEST(DomifUnit, QueuesCheckNamesTheValueAndTheLimit)
{
    g_autoptr(GError) error = nullptr;
    EXPECT_TRUE(vw_domif_queues_check(0, nullptr));
    EXPECT_TRUE(vw_domif_queues_check(VW_DOMIF_QUEUES_MAX, nullptr));
    EXPECT_FALSE(vw_domif_queues_check(VW_DOMIF_QUEUES_MAX + 1, &error));
    EXPECT_TRUE(g_error_matches(error, VW_DOMIF_ERROR, VW_DOMIF_ERROR_INVALID));
    EXPECT_NE(Msg(error).find("'257'"), std::string::npos) << Msg(error);
    EXPECT_NE(Msg(error).find("256"), std::string::npos) << Msg(error);
}

TEST(DomifUnit, TapOwnerIsRootByDefaultAndRefusesAnUnknownUser)
{
    g_autoptr(GError) error = nullptr;
    uid_t uid = 7;
    gid_t gid = 7;

    g_unsetenv("VIRTWIRE_TAP_USER");
    ASSERT_TRUE(vw_domif_tap_owner(&uid, &gid, &error)) << Msg(error);
    EXPECT_EQ(uid, 0u);
    EXPECT_EQ(gid, 0u);
    g_setenv("VIRTWIRE_TAP_USER", "vw-no-such-user-x", TRUE);
    EXPECT_FALSE(vw_domif_tap_owner(&uid, &gid, &error));
    g_unsetenv("VIRTWIRE_TAP_USER");
    EXPECT_TRUE(g_error_matches(error, VW_DOMIF_ERROR, VW_DOMIF_ERROR_INVALID));
    EXPECT_NE(Msg(error).find("'vw-no-such-user-x'"), std::string::npos) << Msg(error);
    EXPECT_EQ(uid, (uid_t)-1);
}

class DomifRoot : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        VW_REQUIRE_ROOT();
        VW_REQUIRE_ENGINE_DNSMASQ();
        g_unsetenv("VIRTWIRE_TAP_USER");
        ASSERT_TRUE(vwtest::ScratchEngine("vw-domif", &root_, &engine_));
    }

    void TearDown() override
    {
        if (!engine_)
            return;
        for (const auto &n : nets_) {
            vw_engine_network_stop(engine_, n.c_str(), nullptr);
            vw_engine_network_undefine(engine_, n.c_str(), nullptr);
        }
        vw_engine_free(engine_);
        vwtest::Run({ "rm", "-rf", root_ });
    }

    std::string Network(bool start)
    {
        static int counter;
        int k = ++counter;
        std::string name = "vwd" + std::to_string(getpid()) + "x" + std::to_string(k);
        std::string sub = "10." + std::to_string(150 + getpid() % 50) + "." + std::to_string(k);
        std::string xml = "<network><name>" + name + "</name><forward mode='isolated'/>" +
                          "<ip family='ipv4' address='" + sub + ".1' prefix='24'><dhcp>" +
                          "<range start='" + sub + ".100' end='" + sub + ".199'/></dhcp></ip>" +
                          "</network>";
        g_autoptr(GError) error = nullptr;
        g_autofree char *got = vw_engine_network_define(engine_, xml.c_str(), &error);
        EXPECT_NE(got, nullptr) << Msg(error);
        nets_.push_back(name);
        if (start) {
            EXPECT_TRUE(vw_engine_network_start(engine_, name.c_str(), &error)) << Msg(error);
        }
        return name;
    }

    // A domain with one virtwire NIC per (mac, network).
    VwDomInfo *Domain(const std::vector<std::pair<std::string, std::string>> &nics)
    {
        std::string xml = std::string("<domain type='kvm'><name>domifdom</name><uuid>") + kUuid +
                          "</uuid><memory unit='KiB'>65536</memory><devices/></domain>";
        g_autoptr(GError) error = nullptr;
        g_autoptr(VwDomEditor) ed = vw_domeditor_new(xml.c_str(), -1, &error);
        EXPECT_NE(ed, nullptr) << Msg(error);
        for (const auto &n : nics) {
            VwPortNames names;
            EXPECT_TRUE(vw_port_names(kUuid, n.first.c_str(), &names, &error)) << Msg(error);
            EXPECT_TRUE(vw_domeditor_add_interface(ed, n.first.c_str(), names.tap, "virtio", 1,
                                                   n.second.c_str(), &error))
                << Msg(error);
        }
        g_autofree char *text = vw_domeditor_format(ed);
        VwDomInfo *info = vw_dominfo_parse(text, -1, &error);
        EXPECT_NE(info, nullptr) << Msg(error);
        return info;
    }

    guint Count(GPtrArray *(*list)(VwEngine *, const char *, GError **), const std::string &net)
    {
        g_autoptr(GPtrArray) a = list(engine_, net.c_str(), nullptr);
        return a ? a->len : 0;
    }
    guint Ports(const std::string &net) { return Count(vw_engine_port_list, net); }
    guint Leases(const std::string &net) { return Count(vw_engine_lease_list, net); }

    std::string root_;
    VwEngine *engine_ = nullptr;
    std::vector<std::string> nets_;
};

TEST_F(DomifRoot, GeneratedMacIsNeverOneTheNetworkLeases)
{
    std::string net = Network(true);
    g_autoptr(GError) error = nullptr;

    // the seeded source's first MAC, leased to a domain before the next draw
    g_autoptr(GRand) r1 = g_rand_new_with_seed(42);
    g_autofree char *first = vw_domif_mac_generate(engine_, net.c_str(), r1, &error);
    ASSERT_NE(first, nullptr) << Msg(error);
    EXPECT_TRUE(IsLocalUnicast(first)) << first;
    g_autoptr(VwDomInfo) info = Domain({ { first, net } });
    ASSERT_TRUE(vw_domif_plug(root_.c_str(), info, nullptr, nullptr, &error)) << Msg(error);
    ASSERT_EQ(Leases(net), 1u);

    // the same source again: its first draw is leased now and is skipped
    g_autoptr(GRand) r2 = g_rand_new_with_seed(42);
    g_autofree char *second = vw_domif_mac_generate(engine_, net.c_str(), r2, &error);
    ASSERT_NE(second, nullptr) << Msg(error);
    EXPECT_STRNE(second, first);
    EXPECT_TRUE(IsLocalUnicast(second)) << second;
    EXPECT_EQ(vw_domif_unplug(engine_, kUuid, "domifdom", nullptr, nullptr, nullptr), 1);
}

TEST_F(DomifRoot, PlugPlugsEveryPortAndUnplugKeepsTheLeases)
{
    std::string a = Network(true);
    std::string b = Network(true);
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwDomInfo) info =
        Domain({ { "52:54:00:d0:00:01", a }, { "52:54:00:d0:00:02", a }, { "52:54:00:d0:00:03", b } });

    ASSERT_TRUE(vw_domif_plug(root_.c_str(), info, nullptr, nullptr, &error)) << Msg(error);
    EXPECT_EQ(Ports(a), 2u);
    EXPECT_EQ(Ports(b), 1u);
    EXPECT_EQ(vw_domif_unplug(engine_, kUuid, "domifdom", nullptr, nullptr, nullptr), 3);
    EXPECT_EQ(Ports(a), 0u);
    EXPECT_EQ(Ports(b), 0u);
    EXPECT_EQ(Leases(a), 2u) << "an unplug keeps the leases";
    EXPECT_EQ(Leases(b), 1u);
    for (const char *mac : { "52:54:00:d0:00:01", "52:54:00:d0:00:02" })
        vw_engine_port_release(engine_, a.c_str(), kUuid, mac, nullptr);
    vw_engine_port_release(engine_, b.c_str(), kUuid, nullptr, nullptr);
}

TEST_F(DomifRoot, FailedPlugUndoesWhatItPluggedAndNamesThePort)
{
    std::string up = Network(true);
    std::string down = Network(false);
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwDomInfo) info =
        Domain({ { "52:54:00:d0:00:11", up }, { "52:54:00:d0:00:12", down } });

    EXPECT_FALSE(vw_domif_plug(root_.c_str(), info, nullptr, nullptr, &error));
    EXPECT_NE(Msg(error).find("interface 52:54:00:d0:00:12 of domain 'domifdom'"),
              std::string::npos)
        << Msg(error);
    EXPECT_NE(Msg(error).find("'" + down + "'"), std::string::npos) << Msg(error);
    EXPECT_EQ(Ports(up), 0u) << "the port this call plugged went again";
    EXPECT_EQ(Leases(up), 0u) << "and so did the lease it made";
}

TEST_F(DomifRoot, RepairPlugsWhatIsMissingAndReportsTheRest)
{
    std::string net = Network(true);
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwDomInfo) info = Domain({ { "52:54:00:d0:00:21", net }, { "52:54:00:d0:00:22", net } });

    ASSERT_TRUE(vw_domif_plug(root_.c_str(), info, nullptr, nullptr, &error)) << Msg(error);
    ASSERT_TRUE(vw_engine_port_unplug(engine_, net.c_str(), kUuid, "52:54:00:d0:00:22", &error));
    EXPECT_EQ(vw_domif_repair(engine_, info, TRUE, nullptr, nullptr), 1u);
    EXPECT_EQ(Ports(net), 2u);
    EXPECT_EQ(vw_domif_repair(engine_, info, TRUE, nullptr, nullptr), 0u) << "nothing missing";

    // a NIC the engine does not know whose tap name is taken: reported, not taken over
    std::vector<std::string> reported;
    ASSERT_EQ(vw_domif_unplug(engine_, kUuid, nullptr, nullptr, nullptr, nullptr), 2);
    g_autoptr(VwDomInfo) foreign = Domain({ { "52:54:00:d0:00:23", net } });
    VwDomIface *nic = (VwDomIface *)g_ptr_array_index(foreign->ifaces, 0);
    g_free(nic->target_dev);
    nic->target_dev = g_strdup("lo");
    EXPECT_EQ(vw_domif_repair(
                  engine_, foreign, FALSE,
                  [](const GError *e, gpointer data) {
                      static_cast<std::vector<std::string> *>(data)->push_back(e->message);
                  },
                  &reported),
              0u);
    ASSERT_EQ(reported.size(), 1u);
    EXPECT_NE(reported[0].find("'lo'"), std::string::npos) << reported[0];
    EXPECT_EQ(Ports(net), 0u);
    vw_engine_port_release(engine_, net.c_str(), kUuid, nullptr, nullptr);
}

// A live attach of a MAC the running domain has already is refused before
// anything is plugged: the port it has stays plugged (the rollback of a
// failed hot-plug used to unplug it).
TEST_F(DomifRoot, LiveAttachOfAMacTheDomainHasIsRefusedAndItsPortStays)
{
    std::string net = Network(true);
    const char *mac = "52:54:00:d0:00:31";
    g_autoptr(GError) error = nullptr;
    VwPortNames names;
    ASSERT_TRUE(vw_port_names(kUuid, mac, &names, &error)) << Msg(error);
    std::string name = "domif-live-" + std::to_string(getpid());
    std::string xml = std::string("<domain type='test'><name>") + name + "</name><uuid>" + kUuid +
                      "</uuid><memory>65536</memory><os><type>hvm</type></os><devices/></domain>";
    g_autoptr(VwDomEditor) ed = vw_domeditor_new(xml.c_str(), -1, &error);
    ASSERT_NE(ed, nullptr) << Msg(error);
    ASSERT_TRUE(vw_domeditor_add_interface(ed, mac, names.tap, "virtio", 1, net.c_str(), &error))
        << Msg(error);
    g_autofree char *text = vw_domeditor_format(ed);
    g_autoptr(VwDomInfo) info = vw_dominfo_parse(text, -1, &error);
    ASSERT_NE(info, nullptr) << Msg(error);
    ASSERT_TRUE(vw_domif_plug(root_.c_str(), info, nullptr, nullptr, &error)) << Msg(error);
    ASSERT_EQ(Ports(net), 1u);

    g_auto(virError) err = VW_ERROR_INIT;
    virConnectPtr conn = virConnectOpenWrapper("test:///default", &err);
    ASSERT_NE(conn, nullptr);
    virDomainPtr dom = virDomainCreateXMLWrapper(conn, text, 0, &err);
    ASSERT_NE(dom, nullptr);
    VwDomifAttach req = {};
    req.domain = name.c_str();
    req.network = net.c_str();
    req.mac = mac;
    req.affect = VW_DOMIF_AFFECT_LIVE;
    EXPECT_EQ(vw_domif_attach(engine_, conn, &req, &error), nullptr);
    EXPECT_NE(Msg(error).find(mac), std::string::npos) << Msg(error);
    EXPECT_EQ(Ports(net), 1u) << "the domain's port stays plugged";

    virDomainDestroyWrapper(dom, nullptr);
    virDomainFreeWrapper(dom, nullptr);
    virConnectCloseWrapper(conn, nullptr);
    vw_domif_unplug(engine_, kUuid, nullptr, nullptr, nullptr, nullptr);
    vw_engine_port_release(engine_, net.c_str(), kUuid, nullptr, nullptr);
}

// libvirt's test:///default and a scratch root with one isolated network
// (not started); torn down even when a test fails.
class DomifLibvirt : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        ASSERT_TRUE(vwtest::ScratchEngine("vw-domif-lv", &root_, &engine_));
        g_autoptr(GError) error = nullptr;
        net_ = "vwdl" + std::to_string(getpid());
        std::string xml = "<network><name>" + net_ + "</name><forward mode='isolated'/></network>";
        g_autofree char *defined = vw_engine_network_define(engine_, xml.c_str(), &error);
        ASSERT_NE(defined, nullptr) << Msg(error);
        g_auto(virError) err = VW_ERROR_INIT;
        conn_ = virConnectOpenWrapper("test:///default", &err);
        ASSERT_NE(conn_, nullptr);
    }

    void TearDown() override
    {
        if (conn_)
            virConnectCloseWrapper(conn_, nullptr);
        if (engine_) {
            vw_engine_network_undefine(engine_, net_.c_str(), nullptr);
            vw_engine_free(engine_);
        }
        if (!root_.empty())
            vwtest::Run({ "rm", "-rf", root_ });
    }

    std::string root_;
    std::string net_;
    VwEngine *engine_ = nullptr;
    virConnectPtr conn_ = nullptr;
};

// attach/detach on libvirt's test:///default: virsh's --current of a
// shut-off domain is its definition; --live of it is refused, naming it.
TEST_F(DomifLibvirt, CurrentOfAShutOffDomainChangesItsDefinitionAndLiveIsRefused)
{
    g_autoptr(GError) error = nullptr;
    g_auto(virError) err = VW_ERROR_INIT;
    VwEngine *engine = engine_;
    virConnectPtr conn = conn_;
    const std::string &net = net_;
    std::string name = "domif-off-" + std::to_string(getpid());
    std::string domxml = "<domain type='test'><name>" + name +
                         "</name><memory>65536</memory><os><type>hvm</type></os></domain>";
    virDomainPtr dom = virDomainDefineXMLWrapper(conn, domxml.c_str(), &err);
    ASSERT_NE(dom, nullptr);

    VwDomifAttach req = {};
    req.domain = name.c_str();
    req.network = net.c_str();
    req.affect = VW_DOMIF_AFFECT_LIVE;
    EXPECT_EQ(vw_domif_attach(engine, conn, &req, &error), nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_DOMIF_ERROR, VW_DOMIF_ERROR_INACTIVE)) << Msg(error);
    EXPECT_NE(Msg(error).find("'" + name + "'"), std::string::npos) << Msg(error);
    g_clear_error(&error);

    req.affect = VW_DOMIF_AFFECT_CURRENT;
    VwPortInfo *port = vw_domif_attach(engine, conn, &req, &error);
    ASSERT_NE(port, nullptr) << Msg(error);
    EXPECT_EQ(port->state, nullptr) << "in the definition only";
    EXPECT_TRUE(IsLocalUnicast(port->mac)) << port->mac;
    std::string mac = port->mac;
    vw_port_info_free(port);
    char *xml = virDomainGetXMLDescWrapper(dom, VIR_DOMAIN_XML_INACTIVE, &err);
    ASSERT_NE(xml, nullptr);
    EXPECT_NE(std::string(xml).find(mac), std::string::npos) << xml;
    free(xml);

    g_auto(VwDomifDetached) done = {};
    ASSERT_TRUE(vw_domif_detach(engine, conn, name.c_str(), mac.c_str(),
                                VW_DOMIF_AFFECT_CURRENT, &done, &error))
        << Msg(error);
    EXPECT_EQ(done.network, net);
    xml = virDomainGetXMLDescWrapper(dom, VIR_DOMAIN_XML_INACTIVE, &err);
    ASSERT_NE(xml, nullptr);
    EXPECT_EQ(std::string(xml).find(mac), std::string::npos) << xml;
    EXPECT_NE(std::string(xml).find("/machine"), std::string::npos) << xml;
    free(xml);

    virDomainUndefineWrapper(dom, nullptr);
    virDomainFreeWrapper(dom, nullptr);
}

// A transient domain has no definition to change: --config and
// --persistent are refused naming it, as libvirt does, and it stays
// transient (a redefinition would have made it persistent).
TEST_F(DomifLibvirt, ConfigOfATransientDomainIsRefusedAndItStaysTransient)
{
    g_autoptr(GError) error = nullptr;
    g_auto(virError) err = VW_ERROR_INIT;
    VwEngine *engine = engine_;
    virConnectPtr conn = conn_;
    const std::string &net = net_;
    std::string name = "domif-tr-" + std::to_string(getpid());
    std::string domxml = "<domain type='test'><name>" + name +
                         "</name><memory>65536</memory><os><type>hvm</type></os></domain>";
    virDomainPtr dom = virDomainCreateXMLWrapper(conn, domxml.c_str(), 0, &err);
    ASSERT_NE(dom, nullptr);

    for (VwDomifAffect affect : { VW_DOMIF_AFFECT_CONFIG, VW_DOMIF_AFFECT_PERSISTENT }) {
        VwDomifAttach req = {};
        req.domain = name.c_str();
        req.network = net.c_str();
        req.affect = affect;
        EXPECT_EQ(vw_domif_attach(engine, conn, &req, &error), nullptr);
        EXPECT_TRUE(g_error_matches(error, VW_DOMIF_ERROR, VW_DOMIF_ERROR_INVALID)) << Msg(error);
        EXPECT_NE(Msg(error).find("'" + name + "'"), std::string::npos) << Msg(error);
        g_clear_error(&error);
        EXPECT_EQ(virDomainIsPersistentWrapper(dom, &err), 0) << "still transient";
    }

    virDomainDestroyWrapper(dom, nullptr);
    virDomainFreeWrapper(dom, nullptr);
}

} // namespace
