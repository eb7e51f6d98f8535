// The GObject API without root: networks defined, looked up, listed and
// undefined in a temporary root (the kernel is not touched), sync and async,
// cancellation, errors, properties and notify, and domain interfaces on
// libvirt's in-process test:///default driver (persistent definition only;
// its domain "test" runs, its NIC aa:bb:cc:dd:ee:ff is not virtwire's).
#include <config.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "vw-glib-testutil.h"

using namespace vwtest;

namespace {

const char *kUri = "test:///default";
const int kVirErrNoDomain = 42; // VIR_ERR_NO_DOMAIN

std::vector<std::string>
DefinitionFiles(const TempRoot &root)
{
    std::vector<std::string> out;
    std::string dir = root.path() + "/etc/virtwire/networks";
    g_autoptr(GDir) d = g_dir_open(dir.c_str(), 0, nullptr);
    const char *f;
    while (d && (f = g_dir_read_name(d)))
        if (g_str_has_suffix(f, ".xml"))
            out.push_back(f);
    return out;
}

class ProvisionerTest : public ::testing::Test {
  protected:
    void SetUp() override
    {
        ASSERT_FALSE(root_.path().empty());
        g_autoptr(GError) error = nullptr;
        prov_ = vw_provisioner_new(root_.c_str(), kUri, nullptr, &error);
        ASSERT_NE(prov_, nullptr) << Msg(error);
    }
    void TearDown() override { g_clear_object(&prov_); }

    VwNetwork *Define(const NetSpec &spec)
    {
        g_autoptr(GError) error = nullptr;
        VwNetwork *net = vw_provisioner_define_network(prov_, spec.xml.c_str(), nullptr, &error);
        EXPECT_NE(net, nullptr) << Msg(error);
        return net;
    }

    TempRoot root_;
    VwProvisioner *prov_ = nullptr;
};

TEST_F(ProvisionerTest, NewUsesTheRootAndUriGivenOrTheEnvironment)
{
    EXPECT_STREQ(vw_provisioner_get_root(prov_), root_.c_str());
    EXPECT_STREQ(vw_provisioner_get_uri(prov_), kUri);
    g_autofree char *root = nullptr;
    g_object_get(prov_, "root", &root, nullptr);
    EXPECT_STREQ(root, root_.c_str());

    // NULL: $VIRTWIRE_ROOT (a second temporary root here, never "/"), and
    // libvirt's default URI (libvirt reads $LIBVIRT_DEFAULT_URI, uri_default)
    TempRoot other;
    g_setenv("VIRTWIRE_ROOT", other.c_str(), TRUE);
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwProvisioner) p = vw_provisioner_new(nullptr, nullptr, nullptr, &error);
    g_unsetenv("VIRTWIRE_ROOT");
    ASSERT_NE(p, nullptr) << Msg(error);
    EXPECT_STREQ(vw_provisioner_get_root(p), other.c_str());
    EXPECT_EQ(vw_provisioner_get_uri(p), nullptr);
    EXPECT_TRUE(g_file_test((other.path() + "/etc/virtwire").c_str(), G_FILE_TEST_IS_DIR));
}

TEST_F(ProvisionerTest, RelativeRootIsRefusedNamingIt)
{
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwProvisioner) p = vw_provisioner_new("relative/root", kUri, nullptr, &error);
    EXPECT_EQ(p, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ERROR, VW_ERROR_INVALID)) << Msg(error);
    EXPECT_NE(Msg(error).find("relative/root"), std::string::npos) << Msg(error);
    EXPECT_FALSE(g_file_test("relative", G_FILE_TEST_EXISTS));
}

TEST_F(ProvisionerTest, DefineLookupListUndefineHandOutOneObjectPerNetwork)
{
    NetSpec spec;
    g_autoptr(VwNetwork) net = Define(spec);
    ASSERT_NE(net, nullptr);
    EXPECT_EQ(vw_network_get_name(net), spec.name);
    EXPECT_EQ(vw_network_get_ipv4(net), spec.subnet + ".1/24");
    EXPECT_EQ(vw_network_get_ipv6(net), nullptr);
    EXPECT_STREQ(vw_network_get_forward(net), "isolated");
    EXPECT_EQ(vw_network_get_partition(net), "/virtwire/" + spec.name);
    EXPECT_TRUE(vw_network_get_uuid(net) && strlen(vw_network_get_uuid(net)) == 36);
    EXPECT_FALSE(vw_network_get_active(net));
    EXPECT_FALSE(vw_network_get_autostart(net));
    EXPECT_EQ(vw_network_get_n_ports(net), 0u);
    EXPECT_EQ(DefinitionFiles(root_), std::vector<std::string>{ spec.name + ".xml" });

    g_autoptr(GError) error = nullptr;
    g_autoptr(VwNetwork) again = vw_provisioner_lookup_network(prov_, spec.name.c_str(), nullptr,
                                                               &error);
    EXPECT_EQ(again, net) << Msg(error);
    // by UUID too, in any case, as virsh takes a network
    g_autofree char *upper = g_ascii_strup(vw_network_get_uuid(net), -1);
    g_autoptr(VwNetwork) by_uuid = vw_provisioner_lookup_network(prov_, upper, nullptr, &error);
    EXPECT_EQ(by_uuid, net) << Msg(error);

    NetSpec spec2;
    g_autoptr(VwNetwork) net2 = Define(spec2);
    auto list = TakeList<VwNetwork>(vw_provisioner_list_networks(prov_, nullptr, &error));
    ASSERT_EQ(error, nullptr) << Msg(error);
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0], net); // sorted by name: ...n1 < ...n2
    EXPECT_EQ(list[1], net2);
    FreeObjects(list);

    ASSERT_TRUE(vw_provisioner_undefine_network(prov_, spec.name.c_str(), nullptr, &error))
        << Msg(error);
    EXPECT_EQ(DefinitionFiles(root_), std::vector<std::string>{ spec2.name + ".xml" });
    // the undefined network's object is forgotten: a new definition of the
    // name is a new object
    {
        g_autoptr(VwNetwork) reborn = Define(spec);
        EXPECT_NE(reborn, net);
        EXPECT_STRNE(vw_network_get_uuid(reborn), vw_network_get_uuid(net));
        ASSERT_TRUE(vw_provisioner_undefine_network(prov_, spec.name.c_str(), nullptr, &error))
            << Msg(error);
    }
    g_autoptr(VwNetwork) gone =
        vw_provisioner_lookup_network(prov_, spec.name.c_str(), nullptr, &error);
    EXPECT_EQ(gone, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ERROR, VW_ERROR_NOT_FOUND)) << Msg(error);
}

TEST_F(ProvisionerTest, BadXmlIsRefusedNamingTheValueAndChangesNothing)
{
    struct {
        const char *xml;
        const char *named;
    } cases[] = {
        { "<network><name>../../etc</name></network>", "../../etc" },
        { "<network><name>ok1</name><ip address='10.1.1.1' prefix='33'/></network>", "33" },
        { "<network><name>ok2</name><forward mode='bogus'/></network>", "bogus" },
        { "<network><name>ok3</name>", "" }, // not well-formed
    };
    for (const auto &c : cases) {
        g_autoptr(GError) error = nullptr;
        g_autoptr(VwNetwork) net = vw_provisioner_define_network(prov_, c.xml, nullptr, &error);
        EXPECT_EQ(net, nullptr) << c.xml;
        EXPECT_TRUE(g_error_matches(error, VW_ERROR, VW_ERROR_INVALID)) << c.xml << ": "
                                                                          << Msg(error);
        EXPECT_NE(Msg(error).find(c.named), std::string::npos) << Msg(error);
    }
    EXPECT_TRUE(DefinitionFiles(root_).empty());
    g_autoptr(GError) error = nullptr;
    EXPECT_EQ(vw_provisioner_list_networks(prov_, nullptr, &error), nullptr);
    EXPECT_EQ(error, nullptr) << Msg(error);
}

// What virsh net-dumpxml prints defines a network; what virtwire drops of
// it is named in the one warning, which is NULL when nothing was dropped.
TEST_F(ProvisionerTest, DefineFullNamesWhatTheXmlHadThatVirtwireDrops)
{
    NetSpec spec;
    std::string xml = spec.xml;
    xml.replace(xml.find("<network>"), strlen("<network>"), "<network connections='3'>");
    xml.replace(xml.find("<forward"), 0, "<bridge name='vwbr0' stp='off' delay='0'/>");
    g_autoptr(GError) error = nullptr;
    g_autofree char *warning = nullptr;
    g_autoptr(VwNetwork) net =
        vw_provisioner_define_network_full(prov_, xml.c_str(), &warning, nullptr, &error);
    ASSERT_NE(net, nullptr) << Msg(error);
    EXPECT_EQ(vw_network_get_name(net), spec.name);
    EXPECT_STREQ(warning, "ignored what virtwire does not use: connections='3', delay='0'");
    EXPECT_EQ(DefinitionFiles(root_), std::vector<std::string>{ spec.name + ".xml" });
    // the same object as a lookup's
    g_autoptr(VwNetwork) again =
        vw_provisioner_lookup_network(prov_, spec.name.c_str(), nullptr, &error);
    EXPECT_EQ(again, net) << Msg(error);

    // nothing dropped: no warning; a warning not asked for is fine
    NetSpec spec2, spec3;
    // (a sentinel the call must overwrite; never freed: it is no allocation)
    char *unset = const_cast<char *>("not set");
    g_autoptr(VwNetwork) plain =
        vw_provisioner_define_network_full(prov_, spec2.xml.c_str(), &unset, nullptr, &error);
    ASSERT_NE(plain, nullptr) << Msg(error);
    EXPECT_EQ(unset, nullptr);
    g_autoptr(VwNetwork) quiet =
        vw_provisioner_define_network_full(prov_, spec3.xml.c_str(), nullptr, nullptr, &error);
    ASSERT_NE(quiet, nullptr) << Msg(error);

    // refused: NULL with the error naming the value, no warning, nothing written
    NetSpec bad;
    std::string bad_xml = bad.xml;
    bad_xml.replace(bad_xml.find("isolated"), strlen("isolated"), "bogus");
    unset = const_cast<char *>("not set");
    g_autoptr(GError) refused = nullptr;
    g_autoptr(VwNetwork) none =
        vw_provisioner_define_network_full(prov_, bad_xml.c_str(), &unset, nullptr, &refused);
    EXPECT_EQ(none, nullptr);
    EXPECT_EQ(unset, nullptr);
    EXPECT_TRUE(g_error_matches(refused, VW_ERROR, VW_ERROR_INVALID)) << Msg(refused);
    EXPECT_NE(Msg(refused).find("bogus"), std::string::npos) << Msg(refused);
    EXPECT_EQ(DefinitionFiles(root_).size(), 3u);
    EXPECT_FALSE(g_file_test((root_.path() + "/etc/virtwire/networks/" + bad.name + ".xml").c_str(),
                             G_FILE_TEST_EXISTS));
}

// A network's XML, stored or running (the same for an inactive network), is
// what define takes back: the same network, unchanged.
TEST_F(ProvisionerTest, GetNetworkXmlIsTheDefinitionDefineTakesBack)
{
    NetSpec spec;
    g_autoptr(VwNetwork) net = Define(spec);
    ASSERT_NE(net, nullptr);
    g_autoptr(GError) error = nullptr;
    g_autofree char *xml = vw_provisioner_get_network_xml(prov_, spec.name.c_str(),
                                                          VW_NETWORK_XML_DEFAULT, nullptr, &error);
    ASSERT_NE(xml, nullptr) << Msg(error);
    std::string text = xml;
    EXPECT_NE(text.find("<name>" + spec.name + "</name>"), std::string::npos) << text;
    EXPECT_NE(text.find(vw_network_get_uuid(net)), std::string::npos) << text;
    EXPECT_NE(text.find(spec.subnet + ".199"), std::string::npos) << text;
    g_autofree char *stored = vw_provisioner_get_network_xml(
        prov_, spec.name.c_str(), VW_NETWORK_XML_INACTIVE, nullptr, &error);
    EXPECT_STREQ(stored, xml) << Msg(error);

    g_autoptr(VwNetwork) again = vw_provisioner_define_network(prov_, xml, nullptr, &error);
    EXPECT_EQ(again, net) << Msg(error);
    g_autofree char *after = vw_provisioner_get_network_xml(
        prov_, spec.name.c_str(), VW_NETWORK_XML_INACTIVE, nullptr, &error);
    EXPECT_STREQ(after, xml) << Msg(error);

    {
        AsyncWait w;
        vw_provisioner_get_network_xml_async(prov_, spec.name.c_str(), VW_NETWORK_XML_INACTIVE,
                                             nullptr, AsyncWait::Callback, &w);
        g_autofree char *async_xml = vw_provisioner_get_network_xml_finish(prov_, w.Wait(), &error);
        EXPECT_STREQ(async_xml, xml) << Msg(error);
    }

    g_autoptr(GError) missing = nullptr;
    g_autofree char *none =
        vw_provisioner_get_network_xml(prov_, "nosuch", VW_NETWORK_XML_DEFAULT, nullptr, &missing);
    EXPECT_EQ(none, nullptr);
    EXPECT_TRUE(g_error_matches(missing, VW_ERROR, VW_ERROR_NOT_FOUND)) << Msg(missing);
    EXPECT_NE(Msg(missing).find("'nosuch'"), std::string::npos) << Msg(missing);
}

TEST_F(ProvisionerTest, UnknownNetworkFailsWithNotFoundNamingIt)
{
    g_autoptr(GError) e1 = nullptr, e2 = nullptr, e3 = nullptr, e4 = nullptr, e5 = nullptr,
                      e6 = nullptr;
    g_autoptr(VwNetwork) net = vw_provisioner_lookup_network(prov_, "nosuch", nullptr, &e1);
    EXPECT_FALSE(vw_provisioner_start_network(prov_, "nosuch", nullptr, &e2));
    EXPECT_FALSE(vw_provisioner_stop_network(prov_, "nosuch", nullptr, &e3));
    EXPECT_FALSE(vw_provisioner_undefine_network(prov_, "nosuch", nullptr, &e4));
    EXPECT_FALSE(vw_provisioner_set_network_autostart(prov_, "nosuch", TRUE, nullptr, &e5));
    EXPECT_EQ(vw_provisioner_list_leases(prov_, "nosuch", nullptr, &e6), nullptr);
    for (GError *e : { e1, e2, e3, e4, e5, e6 }) {
        EXPECT_TRUE(g_error_matches(e, VW_ERROR, VW_ERROR_NOT_FOUND)) << Msg(e);
        EXPECT_NE(Msg(e).find("'nosuch'"), std::string::npos) << Msg(e);
    }
    EXPECT_TRUE(DefinitionFiles(root_).empty());
}

TEST_F(ProvisionerTest, AsyncCallsCompleteInTheCallersMainContext)
{
    NetSpec spec;
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwNetwork) net = nullptr;
    {
        AsyncWait w;
        vw_provisioner_define_network_async(prov_, spec.xml.c_str(), nullptr, AsyncWait::Callback,
                                            &w);
        net = vw_provisioner_define_network_finish(prov_, w.Wait(), &error);
        ASSERT_NE(net, nullptr) << Msg(error);
        EXPECT_EQ(w.callback_thread_, g_thread_self());
        EXPECT_EQ(g_task_get_source_tag(G_TASK(w.Wait())),
                  (gpointer)vw_provisioner_define_network_async);
    }
    EXPECT_EQ(vw_network_get_name(net), spec.name);
    {
        AsyncWait w;
        vw_provisioner_lookup_network_async(prov_, spec.name.c_str(), nullptr,
                                            AsyncWait::Callback, &w);
        g_autoptr(VwNetwork) same = vw_provisioner_lookup_network_finish(prov_, w.Wait(), &error);
        EXPECT_EQ(same, net) << Msg(error);
    }
    {
        AsyncWait w;
        vw_provisioner_list_networks_async(prov_, nullptr, AsyncWait::Callback, &w);
        auto list = TakeList<VwNetwork>(vw_provisioner_list_networks_finish(prov_, w.Wait(),
                                                                            &error));
        EXPECT_EQ(list.size(), 1u) << Msg(error);
        FreeObjects(list);
    }
    {
        AsyncWait w;
        vw_provisioner_list_leases_async(prov_, spec.name.c_str(), nullptr, AsyncWait::Callback,
                                         &w);
        EXPECT_EQ(vw_provisioner_list_leases_finish(prov_, w.Wait(), &error), nullptr);
        EXPECT_EQ(error, nullptr) << Msg(error);
    }
    {
        AsyncWait w;
        vw_provisioner_undefine_network_async(prov_, spec.name.c_str(), nullptr,
                                              AsyncWait::Callback, &w);
        EXPECT_TRUE(vw_provisioner_undefine_network_finish(prov_, w.Wait(), &error))
            << Msg(error);
    }
    {
        // errors come back through _finish
        AsyncWait w;
        vw_provisioner_start_network_async(prov_, spec.name.c_str(), nullptr,
                                           AsyncWait::Callback, &w);
        EXPECT_FALSE(vw_provisioner_start_network_finish(prov_, w.Wait(), &error));
        EXPECT_TRUE(g_error_matches(error, VW_ERROR, VW_ERROR_NOT_FOUND)) << Msg(error);
        EXPECT_NE(Msg(error).find(spec.name), std::string::npos) << Msg(error);
    }
    EXPECT_TRUE(DefinitionFiles(root_).empty());
}

TEST_F(ProvisionerTest, CancelledBeforeTheCallFailsAndChangesNothing)
{
    NetSpec spec;
    g_autoptr(GCancellable) cancel = g_cancellable_new();
    g_cancellable_cancel(cancel);
    g_autoptr(GError) error = nullptr;

    g_autoptr(VwNetwork) net =
        vw_provisioner_define_network(prov_, spec.xml.c_str(), cancel, &error);
    EXPECT_EQ(net, nullptr);
    EXPECT_TRUE(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) << Msg(error);
    g_clear_error(&error);
    {
        AsyncWait w;
        vw_provisioner_define_network_async(prov_, spec.xml.c_str(), cancel, AsyncWait::Callback,
                                            &w);
        g_autoptr(VwNetwork) n2 = vw_provisioner_define_network_finish(prov_, w.Wait(), &error);
        EXPECT_EQ(n2, nullptr);
        EXPECT_TRUE(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) << Msg(error);
        g_clear_error(&error);
    }
    EXPECT_TRUE(DefinitionFiles(root_).empty());

    // a defined network is not undefined by a cancelled call either
    g_autoptr(VwNetwork) defined = Define(spec);
    EXPECT_FALSE(vw_provisioner_undefine_network(prov_, spec.name.c_str(), cancel, &error));
    EXPECT_TRUE(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) << Msg(error);
    g_clear_error(&error);
    EXPECT_FALSE(vw_provisioner_set_network_autostart(prov_, spec.name.c_str(), TRUE, cancel,
                                                      &error));
    g_clear_error(&error);
    EXPECT_EQ(DefinitionFiles(root_), std::vector<std::string>{ spec.name + ".xml" });
    std::string link = root_.path() + "/etc/virtwire/networks/autostart/" + spec.name + ".xml";
    EXPECT_FALSE(g_file_test(link.c_str(), G_FILE_TEST_EXISTS)) << link;
}

GThread *test_thread = nullptr;

// Records "notify::NAME", marked when it is not emitted on the test's thread.
void
OnNotify(GObject *, GParamSpec *pspec, gpointer data)
{
    std::string what = std::string("notify::") + pspec->name;
    if (g_thread_self() != test_thread)
        what += " (on another thread)";
    static_cast<std::vector<std::string> *>(data)->push_back(what);
}

TEST_F(ProvisionerTest, PropertiesAreReadOnlyAndNotifyWhenRefreshed)
{
    for (GType t : { VW_TYPE_NETWORK, VW_TYPE_PORT, VW_TYPE_LEASE }) {
        g_autoptr(GTypeClass) klass = (GTypeClass *)g_type_class_ref(t);
        guint n = 0;
        g_autofree GParamSpec **props = g_object_class_list_properties(G_OBJECT_CLASS(klass), &n);
        EXPECT_GT(n, 5u);
        for (guint i = 0; i < n; i++) {
            EXPECT_TRUE(props[i]->flags & G_PARAM_READABLE) << props[i]->name;
            EXPECT_FALSE(props[i]->flags & G_PARAM_WRITABLE) << props[i]->name;
        }
    }

    test_thread = g_thread_self();
    NetSpec spec;
    g_autoptr(VwNetwork) net = Define(spec);
    ASSERT_NE(net, nullptr);
    std::vector<std::string> events;
    g_signal_connect(net, "notify", G_CALLBACK(OnNotify), &events);
    g_autoptr(GError) error = nullptr;

    ASSERT_TRUE(vw_provisioner_set_network_autostart(prov_, spec.name.c_str(), TRUE, nullptr,
                                                     &error))
        << Msg(error);
    // a synchronous call made in the provisioner's context: refreshed before it returns
    EXPECT_EQ(events, std::vector<std::string>{ "notify::autostart" });
    gboolean autostart = FALSE;
    g_object_get(net, "autostart", &autostart, nullptr);
    EXPECT_TRUE(autostart);

    // nothing changed: no notification
    g_autoptr(VwNetwork) same = vw_provisioner_lookup_network(prov_, spec.name.c_str(), nullptr,
                                                              &error);
    EXPECT_EQ(events.size(), 1u);

    // async: refreshed in this context before the callback runs
    AsyncWait w;
    g_signal_handlers_disconnect_by_func(net, (gpointer)OnNotify, &events);
    g_signal_connect(net, "notify", G_CALLBACK(OnNotify), &w.events_);
    vw_provisioner_set_network_autostart_async(prov_, spec.name.c_str(), FALSE, nullptr,
                                               AsyncWait::Callback, &w);
    // the worker is done once something waits in this context; nothing is
    // emitted until the loop runs (not in the worker, nor here)
    while (!g_main_context_pending(nullptr))
        g_usleep(1000);
    EXPECT_TRUE(w.events_.empty()) << w.events_[0];
    EXPECT_TRUE(vw_provisioner_set_network_autostart_finish(prov_, w.Wait(), &error))
        << Msg(error);
    EXPECT_EQ(w.events_, (std::vector<std::string>{ "notify::autostart", "callback" }));
    EXPECT_FALSE(vw_network_get_autostart(net));
    g_signal_handlers_disconnect_by_func(net, (gpointer)OnNotify, &w.events_);
}

TEST_F(ProvisionerTest, CancelledDuringTheCallReportsCancelledButShowsTheChange)
{
    // the cancellable is checked again after the work: a handler that runs
    // while the objects are refreshed cancels it
    NetSpec spec;
    g_autoptr(VwNetwork) net = Define(spec);
    ASSERT_NE(net, nullptr);
    g_autoptr(GCancellable) cancel = g_cancellable_new();
    gulong id = g_signal_connect_swapped(net, "notify::autostart",
                                         G_CALLBACK(g_cancellable_cancel), cancel);
    g_autoptr(GError) error = nullptr;
    EXPECT_FALSE(vw_provisioner_set_network_autostart(prov_, spec.name.c_str(), TRUE, cancel,
                                                      &error));
    EXPECT_TRUE(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) << Msg(error);
    g_signal_handler_disconnect(net, id);
    EXPECT_TRUE(vw_network_get_autostart(net));
    std::string link = root_.path() + "/etc/virtwire/networks/autostart/" + spec.name + ".xml";
    EXPECT_TRUE(g_file_test(link.c_str(), G_FILE_TEST_EXISTS)) << link;
}

// ------------------------------------------------------------ domain interfaces

TEST_F(ProvisionerTest, AttachConfigRecordsTheNicAndDetachRemovesIt)
{
    NetSpec a, b;
    g_autoptr(VwNetwork) na = Define(a);
    g_autoptr(VwNetwork) nb = Define(b);
    g_autoptr(GError) error = nullptr;

    g_autoptr(VwPort) port = vw_provisioner_attach_interface(
        prov_, "test", a.name.c_str(), "52:54:00:AB:CD:EF", nullptr, 4, VW_INTERFACE_CONFIG,
        nullptr, &error);
    ASSERT_NE(port, nullptr) << Msg(error);
    EXPECT_STREQ(vw_port_get_mac(port), "52:54:00:ab:cd:ef");
    EXPECT_EQ(vw_port_get_network(port), a.name);
    EXPECT_STREQ(vw_port_get_domain_name(port), "test");
    EXPECT_EQ(strlen(vw_port_get_domain_uuid(port)), 36u);
    EXPECT_TRUE(g_str_has_prefix(vw_port_get_tap(port), "vwt-")) << vw_port_get_tap(port);
    EXPECT_EQ(strlen(vw_port_get_tap(port)), 14u);
    EXPECT_EQ(vw_port_get_queues(port), 4u);
    EXPECT_EQ(vw_port_get_state(port), VW_PORT_STATE_UNPLUGGED);
    EXPECT_EQ(vw_port_get_ipv4(port), nullptr);

    // what libvirt stored is visible through what it refuses next:
    // the same MAC again...
    g_autoptr(VwPort) dup = vw_provisioner_attach_interface(
        prov_, "test", a.name.c_str(), "52:54:00:ab:cd:ef", nullptr, 0, VW_INTERFACE_CONFIG,
        nullptr, &error);
    EXPECT_EQ(dup, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ERROR, VW_ERROR_EXISTS)) << Msg(error);
    EXPECT_NE(Msg(error).find("52:54:00:ab:cd:ef"), std::string::npos) << Msg(error);
    g_clear_error(&error);
    // ...and another network's NIC while the domain is in a's partition
    g_autoptr(VwPort) other = vw_provisioner_attach_interface(
        prov_, "test", b.name.c_str(), nullptr, nullptr, 0, VW_INTERFACE_CONFIG, nullptr, &error);
    EXPECT_EQ(other, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ERROR, VW_ERROR_CONFLICT)) << Msg(error);
    EXPECT_NE(Msg(error).find("/virtwire/" + a.name), std::string::npos) << Msg(error);
    g_clear_error(&error);

    // a NIC that is not virtwire's, and one that does not exist
    EXPECT_FALSE(vw_provisioner_detach_interface(prov_, "test", "aa:bb:cc:dd:ee:ff",
                                                 VW_INTERFACE_CONFIG, nullptr, &error));
    EXPECT_TRUE(g_error_matches(error, VW_ERROR, VW_ERROR_NOT_FOUND)) << Msg(error);
    g_clear_error(&error);
    EXPECT_FALSE(vw_provisioner_detach_interface(prov_, "test", "52:54:00:00:00:43",
                                                 VW_INTERFACE_CONFIG, nullptr, &error));
    EXPECT_TRUE(g_error_matches(error, VW_ERROR, VW_ERROR_NOT_FOUND)) << Msg(error);
    EXPECT_NE(Msg(error).find("'test'"), std::string::npos) << Msg(error);
    EXPECT_NE(Msg(error).find("'52:54:00:00:00:43'"), std::string::npos) << Msg(error);
    g_clear_error(&error);

    // by UUID this time; the last virtwire NIC gives the partition back, so
    // that b's NIC is then accepted
    ASSERT_TRUE(vw_provisioner_detach_interface(prov_, vw_port_get_domain_uuid(port),
                                                "52:54:00:AB:CD:EF", VW_INTERFACE_CONFIG,
                                                nullptr, &error))
        << Msg(error);
    EXPECT_FALSE(vw_provisioner_detach_interface(prov_, "test", "52:54:00:ab:cd:ef",
                                                 VW_INTERFACE_CONFIG, nullptr, &error));
    g_clear_error(&error);
    g_autoptr(VwPort) onb = vw_provisioner_attach_interface(
        prov_, "test", b.name.c_str(), nullptr, "e1000", 0, VW_INTERFACE_CONFIG, nullptr, &error);
    ASSERT_NE(onb, nullptr) << Msg(error);
    EXPECT_TRUE(g_regex_match_simple("^[0-9a-f][26ae](:[0-9a-f]{2}){5}$",
                                     vw_port_get_mac(onb), (GRegexCompileFlags)0,
                                     (GRegexMatchFlags)0))
        << vw_port_get_mac(onb);
}

TEST_F(ProvisionerTest, AttachRefusesBadInputNamingItAndChangesNothing)
{
    NetSpec a;
    g_autoptr(VwNetwork) na = Define(a);
    struct {
        const char *domain, *network, *mac, *model;
        guint queues;
        VwInterfaceFlags flags;
        GQuark domain_q;
        int code;
        std::string named;
    } cases[] = {
        { "test", "nosuch", nullptr, nullptr, 0, VW_INTERFACE_CONFIG, VW_ERROR,
          VW_ERROR_NOT_FOUND, "'nosuch'" },
        { "test", "../x", nullptr, nullptr, 0, VW_INTERFACE_CONFIG, VW_ERROR, VW_ERROR_INVALID,
          "../x" },
        { "nodomain", a.name.c_str(), nullptr, nullptr, 0, VW_INTERFACE_CONFIG, VW_LIBVIRT_ERROR,
          kVirErrNoDomain, "'nodomain'" },
        { "test", a.name.c_str(), "01:00:5e:00:00:01", nullptr, 0, VW_INTERFACE_CONFIG,
          VW_ERROR, VW_ERROR_INVALID, "'01:00:5e:00:00:01'" },
        { "test", a.name.c_str(), "52:54:00:zz:00:01", nullptr, 0, VW_INTERFACE_CONFIG,
          VW_ERROR, VW_ERROR_INVALID, "'52:54:00:zz:00:01'" },
        { "test", a.name.c_str(), nullptr, "vir tio", 0, VW_INTERFACE_CONFIG, VW_ERROR,
          VW_ERROR_INVALID, "'vir tio'" },
        { "test", a.name.c_str(), nullptr, nullptr, 999, VW_INTERFACE_CONFIG, VW_ERROR,
          VW_ERROR_INVALID, "'999'" },
        // the test driver's own NIC has this MAC
        { "test", a.name.c_str(), "aa:bb:cc:dd:ee:ff", nullptr, 0, VW_INTERFACE_CONFIG,
          VW_ERROR, VW_ERROR_EXISTS, "aa:bb:cc:dd:ee:ff" },
        // --live plugs the port first: the network must run
        { "test", a.name.c_str(), nullptr, nullptr, 0, VW_INTERFACE_LIVE, VW_ERROR,
          VW_ERROR_INACTIVE, "'" + a.name + "'" },
        // CURRENT (0) of the running test domain is live, as virsh's --current;
        // PERSISTENT of a running domain is live and definition
        { "test", a.name.c_str(), nullptr, nullptr, 0, VW_INTERFACE_CURRENT, VW_ERROR,
          VW_ERROR_INACTIVE, "'" + a.name + "'" },
        { "test", a.name.c_str(), nullptr, nullptr, 0, VW_INTERFACE_PERSISTENT, VW_ERROR,
          VW_ERROR_INACTIVE, "'" + a.name + "'" },
    };
    for (const auto &c : cases) {
        g_autoptr(GError) error = nullptr;
        g_autoptr(VwPort) port = vw_provisioner_attach_interface(
            prov_, c.domain, c.network, c.mac, c.model, c.queues, c.flags, nullptr, &error);
        EXPECT_EQ(port, nullptr) << c.named;
        EXPECT_TRUE(g_error_matches(error, c.domain_q, c.code))
            << c.named << ": " << (error ? g_quark_to_string(error->domain) : "") << " "
            << (error ? error->code : -1) << " " << Msg(error);
        EXPECT_NE(Msg(error).find(c.named), std::string::npos) << Msg(error);
    }
    // nothing was attached: a first NIC on another network is still accepted
    NetSpec b;
    g_autoptr(VwNetwork) nb = Define(b);
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwPort) port = vw_provisioner_attach_interface(
        prov_, "test", b.name.c_str(), nullptr, nullptr, 0, VW_INTERFACE_CONFIG, nullptr, &error);
    EXPECT_NE(port, nullptr) << Msg(error);
}

TEST_F(ProvisionerTest, AttachAndDetachAsyncAndCancelled)
{
    NetSpec a;
    g_autoptr(VwNetwork) na = Define(a);
    g_autoptr(GError) error = nullptr;
    g_autoptr(GCancellable) cancel = g_cancellable_new();
    g_cancellable_cancel(cancel);
    {
        AsyncWait w;
        vw_provisioner_attach_interface_async(prov_, "test", a.name.c_str(), "52:54:00:00:00:07",
                                              nullptr, 0, VW_INTERFACE_CONFIG, cancel,
                                              AsyncWait::Callback, &w);
        g_autoptr(VwPort) port = vw_provisioner_attach_interface_finish(prov_, w.Wait(), &error);
        EXPECT_EQ(port, nullptr);
        EXPECT_TRUE(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) << Msg(error);
        g_clear_error(&error);
    }
    // not attached: detaching it fails
    EXPECT_FALSE(vw_provisioner_detach_interface(prov_, "test", "52:54:00:00:00:07",
                                                 VW_INTERFACE_CONFIG, nullptr, &error));
    EXPECT_TRUE(g_error_matches(error, VW_ERROR, VW_ERROR_NOT_FOUND)) << Msg(error);
    g_clear_error(&error);
    {
        AsyncWait w;
        vw_provisioner_attach_interface_async(prov_, "test", a.name.c_str(), "52:54:00:00:00:07",
                                              nullptr, 0, VW_INTERFACE_CONFIG, nullptr,
                                              AsyncWait::Callback, &w);
        g_autoptr(VwPort) port = vw_provisioner_attach_interface_finish(prov_, w.Wait(), &error);
        ASSERT_NE(port, nullptr) << Msg(error);
        EXPECT_EQ(w.callback_thread_, g_thread_self());
    }
    {
        AsyncWait w;
        vw_provisioner_detach_interface_async(prov_, "test", "52:54:00:00:00:07",
                                              VW_INTERFACE_CONFIG, cancel, AsyncWait::Callback,
                                              &w);
        EXPECT_FALSE(vw_provisioner_detach_interface_finish(prov_, w.Wait(), &error));
        EXPECT_TRUE(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) << Msg(error);
        g_clear_error(&error);
    }
    {
        AsyncWait w;
        vw_provisioner_detach_interface_async(prov_, "test", "52:54:00:00:00:07",
                                              VW_INTERFACE_CONFIG, nullptr, AsyncWait::Callback,
                                              &w);
        EXPECT_TRUE(vw_provisioner_detach_interface_finish(prov_, w.Wait(), &error))
            << Msg(error);
    }
    EXPECT_FALSE(vw_provisioner_detach_interface(prov_, "test", "52:54:00:00:00:07",
                                                 VW_INTERFACE_CONFIG, nullptr, &error));
}

TEST_F(ProvisionerTest, DetachRefusesBadInputNamingIt)
{
    g_autoptr(GError) error = nullptr;
    EXPECT_FALSE(vw_provisioner_detach_interface(prov_, "nodomain", "52:54:00:00:00:01",
                                                 VW_INTERFACE_LIVE, nullptr, &error));
    EXPECT_TRUE(g_error_matches(error, VW_LIBVIRT_ERROR, kVirErrNoDomain)) << Msg(error);
    EXPECT_NE(Msg(error).find("'nodomain'"), std::string::npos) << Msg(error);
    g_clear_error(&error);
    EXPECT_FALSE(vw_provisioner_detach_interface(prov_, "test", "not-a-mac", VW_INTERFACE_LIVE,
                                                 nullptr, &error));
    EXPECT_TRUE(g_error_matches(error, VW_ERROR, VW_ERROR_INVALID)) << Msg(error);
    EXPECT_NE(Msg(error).find("not-a-mac"), std::string::npos) << Msg(error);
}

} // namespace

// vw_provisioner_list_dhcp_leases() hands out dnsmasq's leases of a network
// (read from its lease file in the run directory; a real DHCP exchange is
// in tests/tools' cli-root) as VwDhcpLease boxes, sync and async, one MAC
// only when asked; a bad MAC or network is an error naming it.
TEST_F(ProvisionerTest, ListDhcpLeasesHandsOutDnsmasqsLeases)
{
    NetSpec spec;
    g_autoptr(VwNetwork) net = Define(spec);
    ASSERT_NE(net, nullptr);
    g_autoptr(GError) error = nullptr;
    EXPECT_EQ(vw_provisioner_list_dhcp_leases(prov_, spec.name.c_str(), nullptr, nullptr, &error),
              nullptr);
    EXPECT_EQ(error, nullptr) << Msg(error) << ": no lease file, no leases";

    std::string run = root_.path() + "/run/virtwire/networks/" + spec.name;
    ASSERT_EQ(g_mkdir_with_parents(run.c_str(), 0755), 0);
    std::string text = "4102444800 52:54:00:aa:00:01 " + spec.subnet +
                       ".5 guest 01:52:54:00:aa:00:01\n"
                       "0 52:54:00:aa:00:02 " +
                       spec.subnet + ".6 * *\n";
    ASSERT_TRUE(g_file_set_contents((run + "/leases").c_str(), text.c_str(), -1, nullptr));

    GList *all = vw_provisioner_list_dhcp_leases(prov_, spec.name.c_str(), nullptr, nullptr,
                                                 &error);
    ASSERT_EQ(g_list_length(all), 2u) << Msg(error);
    VwDhcpLease *first = (VwDhcpLease *)all->data;
    EXPECT_TRUE(G_TYPE_IS_BOXED(VW_TYPE_DHCP_LEASE));
    EXPECT_STREQ(vw_dhcp_lease_get_network(first), spec.name.c_str());
    EXPECT_EQ(vw_dhcp_lease_get_expiry_time(first), 4102444800);
    EXPECT_STREQ(vw_dhcp_lease_get_mac(first), "52:54:00:aa:00:01");
    EXPECT_STREQ(vw_dhcp_lease_get_protocol(first), "ipv4");
    EXPECT_EQ(vw_dhcp_lease_get_address(first), spec.subnet + ".5");
    EXPECT_EQ(vw_dhcp_lease_get_prefix(first), 24u);
    EXPECT_STREQ(vw_dhcp_lease_get_hostname(first), "guest");
    EXPECT_STREQ(vw_dhcp_lease_get_client_id(first), "01:52:54:00:aa:00:01");
    EXPECT_EQ(vw_dhcp_lease_get_iaid(first), nullptr);
    // A boxed copy is the same lease (a reference).
    VwDhcpLease *copy = (VwDhcpLease *)g_boxed_copy(VW_TYPE_DHCP_LEASE, first);
    EXPECT_EQ(copy, first);
    g_boxed_free(VW_TYPE_DHCP_LEASE, copy);
    VwDhcpLease *second = (VwDhcpLease *)all->next->data;
    EXPECT_EQ(vw_dhcp_lease_get_expiry_time(second), 0);
    EXPECT_EQ(vw_dhcp_lease_get_hostname(second), nullptr);
    g_list_free_full(all, (GDestroyNotify)vw_dhcp_lease_unref);

    {
        AsyncWait w;
        vw_provisioner_list_dhcp_leases_async(prov_, spec.name.c_str(), "52:54:00:AA:00:02",
                                              nullptr, AsyncWait::Callback, &w);
        GList *one = vw_provisioner_list_dhcp_leases_finish(prov_, w.Wait(), &error);
        EXPECT_EQ(w.callback_thread_, g_thread_self());
        ASSERT_EQ(g_list_length(one), 1u) << Msg(error);
        EXPECT_STREQ(vw_dhcp_lease_get_mac((VwDhcpLease *)one->data), "52:54:00:aa:00:02");
        g_list_free_full(one, (GDestroyNotify)vw_dhcp_lease_unref);
    }

    EXPECT_EQ(vw_provisioner_list_dhcp_leases(prov_, spec.name.c_str(), "52:54:zz", nullptr,
                                              &error),
              nullptr);
    EXPECT_NE(Msg(error).find("'52:54:zz'"), std::string::npos) << Msg(error);
    g_clear_error(&error);
    EXPECT_EQ(vw_provisioner_list_dhcp_leases(prov_, "nosuch", nullptr, nullptr, &error), nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_ERROR, VW_ERROR_NOT_FOUND)) << Msg(error);
    EXPECT_NE(Msg(error).find("'nosuch'"), std::string::npos) << Msg(error);
}
