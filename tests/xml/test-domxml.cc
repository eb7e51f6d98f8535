// The domain XML reader (xml/vw-dominfo.c) and editor (xml/vw-domxml.c),
// data-driven from tests/data/domain/: NAME.xml is a domain as libvirt shows
// it, and edited/NAME.xml the golden result of adding a virtwire port and
// partition.
// Set VW_TEST_REGENERATE=1 to rewrite the golden files (then review the diff).
#include <config.h>

#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "vw-domxml.h"

namespace
{

// qemu-live-ethernet-bridge-network.xml is real: the live XML libvirt 9.0.0
// gave for a running QEMU domain (tests/e2e checks that it still does).
const char *const kSamples[] = { "test-driver.xml", "qemu-ethernet-bridge-network.xml",
                                 "virtwire-port.xml", "qemu-live-ethernet-bridge-network.xml" };

// What the editor tests add to every sample.
const char kMac[] = "52:54:00:12:34:56";
const char kTap[] = "vwt-0123456789";
const char kNetwork[] = "net7";
const char kPartition[] = "/virtwire/net7";

std::string
DataPath(const std::string &name)
{
    return std::string(VW_SOURCE_ROOT) + "/tests/data/domain/" + name;
}

std::string
ReadData(const std::string &name)
{
    g_autofree char *text = nullptr;
    gsize len = 0;
    g_autoptr(GError) error = nullptr;
    if (!g_file_get_contents(DataPath(name).c_str(), &text, &len, &error)) {
        ADD_FAILURE() << error->message;
        return "";
    }
    return std::string(text, len);
}

std::string
Str(const char *s)
{
    return s ? s : "(null)";
}

// The editor's text as a std::string.
std::string
Format(VwDomEditor *ed)
{
    g_autofree char *text = vw_domeditor_format(ed);
    return Str(text);
}

VwDomInfo *
ParseOrFail(const std::string &xml)
{
    g_autoptr(GError) error = nullptr;
    VwDomInfo *info = vw_dominfo_parse(xml.data(), (gssize)xml.size(), &error);
    EXPECT_NE(info, nullptr) << (error ? error->message : "");
    return info;
}

VwDomEditor *
EditorOrFail(const std::string &xml)
{
    g_autoptr(GError) error = nullptr;
    VwDomEditor *ed = vw_domeditor_new(xml.data(), (gssize)xml.size(), &error);
    EXPECT_NE(ed, nullptr) << (error ? error->message : "");
    return ed;
}

VwDomIface *
Iface(VwDomInfo *info, guint i)
{
    return static_cast<VwDomIface *>(g_ptr_array_index(info->ifaces, i));
}

// Everything the reader says about an interface, on one line.
std::string
Describe(const VwDomIface *iface)
{
    return Str(iface->type) + " mac=" + Str(iface->mac) + " dev=" + Str(iface->target_dev) +
           " managed=" + (iface->managed_set ? (iface->managed ? "yes" : "no") : "(unset)") +
           " model=" + Str(iface->model) + " queues=" + std::to_string(iface->queues) +
           " network=" + Str(iface->network);
}

std::string
Describe(VwDomInfo *info)
{
    std::string out = "name=" + Str(info->name) + " uuid=" + Str(info->uuid) +
                      " id=" + std::to_string(info->id) + " partition=" + Str(info->partition);
    for (guint i = 0; i < info->ifaces->len; i++)
        out += "\n  " + Describe(Iface(info, i));
    return out;
}

// Each element of a document as "/path/of/names attr=value... [text]", for
// elements that must survive an edit.  Paths carry no indexes, so inserted
// siblings do not renumber them.
std::multiset<std::string>
ElementSignatures(const std::string &xml)
{
    std::multiset<std::string> out;
    xmlDocPtr doc = xmlReadMemory(xml.data(), (int)xml.size(), "sig.xml", nullptr,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    EXPECT_NE(doc, nullptr);
    if (!doc)
        return out;

    std::vector<std::pair<xmlNodePtr, std::string>> stack = { { xmlDocGetRootElement(doc), "" } };
    while (!stack.empty()) {
        auto [node, parent_path] = stack.back();
        stack.pop_back();
        std::string path =
            parent_path + "/" +
            (node->ns && node->ns->prefix ? std::string((const char *)node->ns->prefix) + ":"
                                          : "") +
            (const char *)node->name;
        std::string sig = path;
        std::vector<std::string> attrs;
        for (xmlAttrPtr a = node->properties; a; a = a->next) {
            xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
            attrs.push_back(std::string((const char *)a->name) + "=" + (const char *)v);
            xmlFree(v);
        }
        std::sort(attrs.begin(), attrs.end());
        for (const auto &a : attrs)
            sig += " " + a;
        bool has_elements = false;
        for (xmlNodePtr c = node->children; c; c = c->next) {
            if (c->type == XML_ELEMENT_NODE) {
                has_elements = true;
                stack.push_back({ c, path });
            }
        }
        if (!has_elements) {
            xmlChar *v = xmlNodeGetContent(node);
            sig += " [" + std::string((const char *)v) + "]";
            xmlFree(v);
        }
        out.insert(sig);
    }
    xmlFreeDoc(doc);
    return out;
}

// Every substring of @text that runs from @open to the nearest @close after it, in order.
std::vector<std::string>
Between(const std::string &text, const std::string &open, const std::string &close)
{
    std::vector<std::string> out;
    for (size_t start = text.find(open); start != std::string::npos;
         start = text.find(open, start + 1)) {
        size_t end = text.find(close, start + open.size());
        if (end == std::string::npos)
            break;
        out.push_back(text.substr(start, end + close.size() - start));
    }
    return out;
}

// How many times @needle occurs in @text.
size_t
Count(const std::string &text, const std::string &needle)
{
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        n++;
    return n;
}

// Parts of a document that an edit must leave byte-for-byte as they were.
const std::pair<const char *, const char *> kUntouchedParts[] = {
    { "<!--", "-->" },
    { "<disk ", "</disk>" },
    { "<controller ", "</controller>" },
    { "<interface ", "</interface>" },
    { "<serial ", "</serial>" },
    { "<console ", "</console>" },
    { "<libosinfo:libosinfo ", "</libosinfo:libosinfo>" },
    { "<seclabel ", "</seclabel>" },
    { "<os>", "</os>" },
    { "<features>", "</features>" },
    { "<cpu ", "</cpu>" },
};

// --------------------------------------------------------------------------------------------
// Reader

TEST(Reader, TestDriverDomain)
{
    g_autoptr(VwDomInfo) info = ParseOrFail(ReadData("test-driver.xml"));
    ASSERT_NE(info, nullptr);
    EXPECT_STREQ(info->name, "test");
    EXPECT_STREQ(info->uuid, "6695eb01-f6a4-8304-79aa-97f2502e193f");
    EXPECT_EQ(info->id, 1);
    EXPECT_EQ(info->partition, nullptr);
    ASSERT_EQ(info->ifaces->len, 1u);
    EXPECT_EQ(Describe(Iface(info, 0)), "network mac=aa:bb:cc:dd:ee:ff dev=testnet0 "
                                        "managed=(unset) model=(null) queues=0 network=(null)");
}

TEST(Reader, QemuDomainWithEthernetBridgeAndNetworkInterfaces)
{
    g_autoptr(VwDomInfo) info = ParseOrFail(ReadData("qemu-ethernet-bridge-network.xml"));
    ASSERT_NE(info, nullptr);
    EXPECT_STREQ(info->name, "web1");
    // Upper case in the input, canonical lower case out.
    EXPECT_STREQ(info->uuid, "4d3f2a8c-1b7e-4c55-9a0e-6f2b8d1c3e70");
    EXPECT_EQ(info->id, 7);
    EXPECT_STREQ(info->partition, "/machine");
    ASSERT_EQ(info->ifaces->len, 3u);
    EXPECT_EQ(Describe(Iface(info, 0)), "ethernet mac=52:54:00:ab:cd:01 dev=tap-web1 managed=no "
                                        "model=virtio queues=4 network=(null)");
    EXPECT_EQ(Describe(Iface(info, 1)), "bridge mac=52:54:00:ab:cd:02 dev=vnet3 managed=(unset) "
                                        "model=e1000e queues=0 network=(null)");
    EXPECT_EQ(Describe(Iface(info, 2)), "network mac=52:54:00:ab:cd:03 dev=vnet4 "
                                        "managed=(unset) model=virtio queues=0 network=(null)");
    EXPECT_EQ(vw_dominfo_find_iface(info, "52:54:00:AB:CD:02"), Iface(info, 1));
    EXPECT_EQ(vw_dominfo_find_iface(info, "52:54:00:ab:cd:04"), nullptr);
}

TEST(Reader, LiveXmlCapturedFromARealQemuDomain)
{
    g_autoptr(VwDomInfo) info = ParseOrFail(ReadData("qemu-live-ethernet-bridge-network.xml"));
    ASSERT_NE(info, nullptr);
    EXPECT_STREQ(info->name, "vw-e2e-nics-32660");
    EXPECT_STREQ(info->uuid, "a8a37590-baba-4ece-9bcf-06fc3c0ee0e6");
    EXPECT_EQ(info->id, 2);
    // libvirt fills in the default partition of a running domain.
    EXPECT_STREQ(info->partition, "/machine");
    ASSERT_EQ(info->ifaces->len, 3u);
    // A pre-created multiqueue tap; libvirt's own taps for the bridge and
    // the network NICs, which it names and manages (no managed attribute).
    EXPECT_EQ(Describe(Iface(info, 0)), "ethernet mac=52:54:00:7f:94:01 dev=vwetf94000 managed=no "
                                        "model=virtio queues=2 network=(null)");
    EXPECT_EQ(Describe(Iface(info, 1)), "bridge mac=52:54:00:7f:94:02 dev=vnet0 managed=(unset) "
                                        "model=virtio queues=0 network=(null)");
    EXPECT_EQ(Describe(Iface(info, 2)), "network mac=52:54:00:7f:94:03 dev=vnet1 "
                                        "managed=(unset) model=virtio queues=0 network=(null)");
    EXPECT_EQ(vw_dominfo_find_iface(info, "52:54:00:7F:94:03"), Iface(info, 2));
}

TEST(Editor, LiveXmlEditRoundTripsAndKeepsLibvirtsRuntimeElements)
{
    const std::string original = ReadData("qemu-live-ethernet-bridge-network.xml");
    g_autoptr(VwDomEditor) ed = EditorOrFail(original);
    ASSERT_NE(ed, nullptr);
    const std::string before = Format(ed);
    g_autoptr(GError) error = nullptr;

    // Add a port, set the partition, then drop the bridge NIC libvirt made.
    ASSERT_TRUE(vw_domeditor_add_interface(ed, kMac, kTap, "virtio", 4, kNetwork, &error))
        << error->message;
    ASSERT_TRUE(vw_domeditor_set_partition(ed, kPartition, &error)) << error->message;
    ASSERT_TRUE(vw_domeditor_remove_interface(ed, "52:54:00:7f:94:02", &error)) << error->message;
    const std::string edited = Format(ed);

    g_autoptr(VwDomInfo) info = ParseOrFail(edited);
    ASSERT_NE(info, nullptr);
    EXPECT_STREQ(info->name, "vw-e2e-nics-32660");
    EXPECT_EQ(info->id, 2);
    EXPECT_STREQ(info->partition, kPartition);
    ASSERT_EQ(info->ifaces->len, 3u);
    EXPECT_EQ(vw_dominfo_find_iface(info, "52:54:00:7f:94:02"), nullptr);
    EXPECT_EQ(Describe(Iface(info, 0)), "ethernet mac=52:54:00:7f:94:01 dev=vwetf94000 managed=no "
                                        "model=virtio queues=2 network=(null)");
    EXPECT_EQ(Describe(Iface(info, 1)), "network mac=52:54:00:7f:94:03 dev=vnet1 "
                                        "managed=(unset) model=virtio queues=0 network=(null)");
    EXPECT_EQ(Describe(Iface(info, 2)), "ethernet mac=52:54:00:12:34:56 dev=vwt-0123456789 "
                                        "managed=no model=virtio queues=4 network=net7");

    // What libvirt adds to a running domain stays byte for byte: aliases and
    // PCI addresses of the other NICs, the network port id, the console, the
    // CPU model, the DAC label.
    for (const char *part :
         { "<alias name=\"net0\"/>\n      <address type=\"pci\" domain=\"0x0000\" bus=\"0x00\" "
           "slot=\"0x02\" function=\"0x0\"/>",
           "<source network=\"vw-e2e-net-32660\" portid=\"ff215f81-8765-4844-bf26-0d72d68d7b74\" "
           "bridge=\"vwenf94002\"/>",
           "<alias name=\"net2\"/>", "<console type=\"unix\">",
           "<model fallback=\"forbid\">qemu64</model>",
           "<seclabel type=\"static\" model=\"dac\" relabel=\"no\">\n    <label>+0:+0</label>",
           "<emulator>/usr/bin/qemu-system-x86_64</emulator>" }) {
        EXPECT_NE(before.find(part), std::string::npos) << part;
        EXPECT_NE(edited.find(part), std::string::npos) << part;
    }
    EXPECT_EQ(edited.find("<alias name=\"net1\"/>"), std::string::npos) << edited;
    EXPECT_EQ(edited.find("vnet0"), std::string::npos) << edited;

    // Removing the port again leaves the rest as edited, and the reader
    // agrees with itself on both documents.
    ASSERT_TRUE(vw_domeditor_remove_interface(ed, kMac, &error)) << error->message;
    g_autoptr(VwDomInfo) again = ParseOrFail(Format(ed));
    ASSERT_NE(again, nullptr);
    ASSERT_EQ(again->ifaces->len, 2u);
    EXPECT_EQ(Count(Format(ed), "<interface "), 2u);
    EXPECT_EQ(Format(ed).find("virtwire:"), std::string::npos);
}

TEST(Reader, VirtwirePortTakesItsNetworkFromMetadata)
{
    g_autoptr(VwDomInfo) info = ParseOrFail(ReadData("virtwire-port.xml"));
    ASSERT_NE(info, nullptr);
    EXPECT_STREQ(info->name, "db1");
    EXPECT_STREQ(info->uuid, "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
    EXPECT_EQ(info->id, -1); // a defined, inactive domain has no id
    EXPECT_STREQ(info->partition, "/virtwire/net1");
    ASSERT_EQ(info->ifaces->len, 2u);
    EXPECT_EQ(Describe(Iface(info, 0)), "ethernet mac=52:54:00:00:00:0a dev=vwt-3f9a1c0b2d "
                                        "managed=no model=virtio queues=0 network=net1");
    EXPECT_EQ(Describe(Iface(info, 1)), "network mac=52:54:00:00:00:0b dev=(null) "
                                        "managed=(unset) model=virtio queues=0 network=(null)");
}

TEST(Reader, MetadataIsMatchedByNamespaceNotByPrefix)
{
    const std::string xml = R"(<domain type='kvm'>
  <name>ns</name>
  <metadata>
    <virtwire:ports xmlns:virtwire="urn:somebody-else">
      <virtwire:port mac="52:54:00:00:00:01" network="wrong"/>
    </virtwire:ports>
    <vw:ports xmlns:vw="https://virtwire.dev/xmlns/virtwire/1.0">
      <vw:port mac="52:54:00:00:00:01" network="right"/>
      <port mac="52:54:00:00:00:01" network="nonamespace"/>
    </vw:ports>
  </metadata>
  <devices>
    <interface type='ethernet'><mac address='52:54:00:00:00:01'/></interface>
  </devices>
</domain>)";
    g_autoptr(VwDomInfo) info = ParseOrFail(xml);
    ASSERT_NE(info, nullptr);
    ASSERT_EQ(info->ifaces->len, 1u);
    EXPECT_STREQ(Iface(info, 0)->network, "right");
    EXPECT_EQ(info->uuid, nullptr);
}

struct BadDomain {
    const char *xml;
    const char *named; // the value the message must name
    const char *line;  // "line N" expected in the message, or nullptr
};

TEST(Reader, RejectsBadValuesNamingThem)
{
    const BadDomain cases[] = {
        { "<network><name>n</name></network>", "<network>", nullptr },
        { "<domain type='kvm'>\n<uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid></domain>",
          "<name>", nullptr },
        { "<domain type='kvm'><name></name></domain>", "<name>", "line 1" },
        { "<domain type='kvm' id='seven'><name>d</name></domain>", "'seven'", "line 1" },
        { "<domain type='kvm'><name>d</name>\n<uuid>not-a-uuid</uuid></domain>", "'not-a-uuid'",
          "line 2" },
        { "<domain type='kvm'><name>d</name><devices>\n<interface type='ethernet'>\n"
          "<mac address='52:54:00:zz:00:01'/></interface></devices></domain>",
          "'52:54:00:zz:00:01'", "line 3" },
        { "<domain type='kvm'><name>d</name><devices>\n<interface>\n"
          "<mac address='52:54:00:00:00:01'/></interface></devices></domain>",
          "'type'", "line 2" },
        { "<domain type='kvm'><name>d</name><devices><interface type='ethernet'>\n"
          "<target dev='t' managed='maybe'/></interface></devices></domain>",
          "'maybe'", "line 2" },
        { "<domain type='kvm'><name>d</name><devices><interface type='ethernet'>\n"
          "<driver queues='-1'/></interface></devices></domain>",
          "'-1'", "line 2" },
        { "<domain type='kvm'><name>d</name><metadata>\n"
          "<v:ports xmlns:v='https://virtwire.dev/xmlns/virtwire/1.0'>\n"
          "<v:port mac='52:54:00:00:00:01' network='../etc'/></v:ports></metadata></domain>",
          "'../etc'", "line 3" },
        { "<domain type='kvm'><name>d</name><metadata>\n"
          "<v:ports xmlns:v='https://virtwire.dev/xmlns/virtwire/1.0'>\n"
          "<v:port mac='52:54:00:00:00:01' network='a'/>\n"
          "<v:port mac='52:54:00:00:00:01' network='b'/></v:ports></metadata></domain>",
          "'52:54:00:00:00:01'", "line 4" },
        { "<domain type='kvm'><name>d</name><metadata>\n"
          "<v:ports xmlns:v='https://virtwire.dev/xmlns/virtwire/1.0'>\n"
          "<v:port mac='01:00:5e' network='a'/></v:ports></metadata></domain>",
          "'01:00:5e'", "line 3" },
    };
    for (const BadDomain &c : cases) {
        SCOPED_TRACE(c.xml);
        g_autoptr(GError) error = nullptr;
        g_autoptr(VwDomInfo) info = vw_dominfo_parse(c.xml, -1, &error);
        EXPECT_EQ(info, nullptr);
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(g_error_matches(error, VW_XML_ERROR, VW_XML_ERROR_INVALID)) << error->message;
        EXPECT_NE(strstr(error->message, c.named), nullptr) << error->message;
        if (c.line) {
            EXPECT_NE(strstr(error->message, c.line), nullptr) << error->message;
        }

        // The editor refuses what the reader refuses.
        g_autoptr(GError) error2 = nullptr;
        g_autoptr(VwDomEditor) ed = vw_domeditor_new(c.xml, -1, &error2);
        EXPECT_EQ(ed, nullptr);
        EXPECT_TRUE(g_error_matches(error2, VW_XML_ERROR, VW_XML_ERROR_INVALID));
    }
}

// --------------------------------------------------------------------------------------------
// Untrusted input

// A file that an external entity would pull in; removed even when the test fails.
class SecretFile
{
  public:
    SecretFile()
    {
        g_autoptr(GError) error = nullptr;
        char *tmp = nullptr;
        int fd = g_file_open_tmp("vw-domxml-secret-XXXXXX", &tmp, &error);
        EXPECT_GE(fd, 0) << (error ? error->message : "");
        if (fd >= 0)
            close(fd);
        path_ = tmp ? tmp : "";
        g_free(tmp);
        g_file_set_contents(path_.c_str(), kContent, -1, nullptr);
    }
    ~SecretFile()
    {
        if (!path_.empty())
            g_unlink(path_.c_str());
    }
    const std::string &path() const
    {
        return path_;
    }
    static constexpr const char *kContent = "TOP-SECRET-7f3a";

  private:
    std::string path_;
};

TEST(Untrusted, ExternalEntityIsRejectedAndNeverRead)
{
    SecretFile secret;
    const std::string xml =
        "<?xml version='1.0'?>\n<!DOCTYPE domain [\n<!ENTITY xxe SYSTEM 'file://" + secret.path() +
        "'>\n]>\n<domain type='kvm'><name>&xxe;</name></domain>\n";
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwDomInfo) info = vw_dominfo_parse(xml.c_str(), -1, &error);
    EXPECT_EQ(info, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_XML_ERROR, VW_XML_ERROR_PARSE)) << error->message;
    EXPECT_EQ(strstr(error->message, SecretFile::kContent), nullptr) << error->message;

    g_autoptr(GError) error2 = nullptr;
    g_autoptr(VwDomEditor) ed = vw_domeditor_new(xml.c_str(), -1, &error2);
    EXPECT_EQ(ed, nullptr);
    EXPECT_TRUE(g_error_matches(error2, VW_XML_ERROR, VW_XML_ERROR_PARSE));
}

TEST(Untrusted, EntityExpansionBombIsRejected)
{
    std::string xml = "<!DOCTYPE domain [\n<!ENTITY a0 'xxxxxxxxxxxxxxxx'>\n";
    for (int i = 1; i < 12; i++) {
        std::string prev = "&a" + std::to_string(i - 1) + ";";
        std::string ten;
        for (int j = 0; j < 10; j++)
            ten += prev;
        xml += "<!ENTITY a" + std::to_string(i) + " '" + ten + "'>\n";
    }
    xml += "]>\n<domain><name>&a11;</name></domain>\n";
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwDomInfo) info = vw_dominfo_parse(xml.c_str(), -1, &error);
    EXPECT_EQ(info, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_XML_ERROR, VW_XML_ERROR_PARSE));
}

TEST(Untrusted, MalformedDocumentReportsTheLine)
{
    const char xml[] = "<domain type='kvm'>\n  <name>d</name>\n  <devices>\n"
                       "    <interface type='ethernet'>\n  </devices>\n</domain>\n";
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwDomInfo) info = vw_dominfo_parse(xml, -1, &error);
    EXPECT_EQ(info, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_XML_ERROR, VW_XML_ERROR_PARSE)) << error->message;
    EXPECT_NE(strstr(error->message, "line 5"), nullptr) << error->message;
    EXPECT_NE(strstr(error->message, "domain"), nullptr) << error->message;
}

// Documents the fuzzer (tests/fuzz/fuzz-domxml.c) once found the reader and
// the editor judging differently: both must accept, or both refuse.
TEST(Untrusted, ReaderAndEditorAcceptTheSameDocuments)
{
    const struct {
        const char *xml;
        bool accepted;
    } cases[] = {
        // A namespace name is a string: URI syntax is not a well-formedness rule.
        { "<domain><name>d</name><metadata><v:ports xmlns:v='//h:port/x'/></metadata></domain>",
          true },
        { "<domain xmlns:p='a b'><name>d</name></domain>", true },
        { "<domain xmlns:p=''><name>d</name></domain>", false },
        // A PI target is a name, and "xml" in any case is reserved.
        { "<?xmh?r?><domain><name>d</name></domain>", false },
        { "<?xmh r?><domain><name>d</name></domain>", true },
        { "<domain><?XmL x?><name>d</name></domain>", false },
        { "<domain><name>d</name><?pi?x?></domain>", false },
        { "<domain><name>d</name><?p:i?></domain>", false },
        // One declaration per prefix and element; the reserved names stay reserved.
        { "<domain xmlns:p='u' xmlns:p='v'><name>d</name></domain>", false },
        { "<domain xmlns='urn:u' xmlns='urn:v'><name>d</name></domain>", false },
        { "<domain xmlns:p='urn:u'><name xmlns:p='urn:v'>d</name></domain>", true },
        { "<domain xmlns:xml='urn:x'><name>d</name></domain>", false },
        { "<domain xmlns:xml='http://www.w3.org/XML/1998/namespace'><name>d</name></domain>",
          true },
        { "<domain xmlns:p='http://www.w3.org/XML/1998/namespace'><name>d</name></domain>",
          false },
        { "<d:domain xmlns:d='http://www.w3.org/XML/1998/namespace'/>", false },
        { "<domain xmlns:p='http://www.w3.org/2000/xmlns/'><name>d</name></domain>", false },
        { "<domain xmlns='http://www.w3.org/2000/xmlns/'><name>d</name></domain>", false },
        // Names follow XML 1.0 (fifth edition) beyond ASCII too.
        { "<!DOCTYPE domain\xef\x87\xbf><domain><name>d</name></domain>", false },
        { "<domain><n\xc3\xa4me>x</n\xc3\xa4me><name>d</name></domain>", true },
        { "<domain><\xc2\xb7x/><name>d</name></domain>", false },
        // GMarkup refuses U+00B7 even inside a name: stricter is safe.
        { "<domain><x\xc2\xb7/><name>d</name></domain>", false },
        { "<domain a\xef\x87\xbf='1'><name>d</name></domain>", false },
        // Blank character data outside the root is still character data there.
        { "<![CDATA[\r\r]]><domain><name>d</name></domain>", false },
        { "<domain><name>d</name></domain><![CDATA[]]>", false },
        { "&#32;<domain><name>d</name></domain>", false },
        { "<domain><name>d</name></domain>\n&#x20;", false },
        { "<domain><name><![CDATA[d]]>&#32;</name></domain>", true },
    };
    for (const auto &c : cases) {
        g_autoptr(GError) rerror = nullptr;
        g_autoptr(GError) eerror = nullptr;
        g_autoptr(VwDomInfo) info = vw_dominfo_parse(c.xml, -1, &rerror);
        g_autoptr(VwDomEditor) ed = vw_domeditor_new(c.xml, -1, &eerror);

        EXPECT_EQ(info != nullptr, c.accepted)
            << c.xml << ": " << (rerror ? rerror->message : "accepted");
        EXPECT_EQ(ed != nullptr, c.accepted)
            << c.xml << ": " << (eerror ? eerror->message : "accepted");
    }
}

TEST(Untrusted, OversizedDocumentIsRejected)
{
    std::string xml = "<domain><name>d</name><description>";
    xml.append(VW_XML_MAX_BYTES, 'x');
    xml += "</description></domain>";
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwDomEditor) ed = vw_domeditor_new(xml.data(), (gssize)xml.size(), &error);
    EXPECT_EQ(ed, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_XML_ERROR, VW_XML_ERROR_TOO_LARGE));
}

// --------------------------------------------------------------------------------------------
// Editor

class Sample : public ::testing::TestWithParam<const char *>
{
};

TEST_P(Sample, UneditedDocumentComesBackWithOnlyTheQuotesChanged)
{
    std::string original = ReadData(GetParam());
    g_autoptr(VwDomEditor) ed = EditorOrFail(original);
    ASSERT_NE(ed, nullptr);
    // libxml2 writes attributes with double quotes; the samples have no other
    // apostrophes, so this is the only difference.
    std::string expected = original;
    std::replace(expected.begin(), expected.end(), '\'', '"');
    EXPECT_EQ(Format(ed), expected);
}

TEST_P(Sample, AddingAPortKeepsEverythingElse)
{
    std::string original = ReadData(GetParam());
    g_autoptr(VwDomEditor) ed = EditorOrFail(original);
    ASSERT_NE(ed, nullptr);
    std::string before = Format(ed);
    g_autoptr(VwDomInfo) old_info = ParseOrFail(original);

    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_domeditor_add_interface(ed, kMac, kTap, "virtio", 2, kNetwork, &error))
        << error->message;
    ASSERT_TRUE(vw_domeditor_set_partition(ed, kPartition, &error)) << error->message;
    std::string edited = Format(ed);

    // The golden file shows exactly where the new nodes went and how they are indented.
    std::string golden = "edited/" + std::string(GetParam());
    if (g_getenv("VW_TEST_REGENERATE")) {
        ASSERT_TRUE(g_file_set_contents(DataPath(golden).c_str(), edited.c_str(), -1, nullptr));
    }
    EXPECT_EQ(edited, ReadData(golden));

    // The reader sees the new port, its network, and the partition.
    g_autoptr(VwDomInfo) info = ParseOrFail(edited);
    ASSERT_NE(info, nullptr);
    EXPECT_STREQ(info->partition, kPartition);
    ASSERT_EQ(info->ifaces->len, old_info->ifaces->len + 1);
    VwDomIface *added = vw_dominfo_find_iface(info, kMac);
    ASSERT_NE(added, nullptr);
    EXPECT_EQ(Describe(added), "ethernet mac=52:54:00:12:34:56 dev=vwt-0123456789 managed=no "
                               "model=virtio queues=2 network=net7");
    for (guint i = 0; i < old_info->ifaces->len; i++) {
        VwDomIface *old_iface = Iface(old_info, i);
        VwDomIface *now = vw_dominfo_find_iface(info, old_iface->mac);
        ASSERT_NE(now, nullptr) << Describe(old_iface);
        EXPECT_EQ(Describe(now), Describe(old_iface));
    }
    EXPECT_STREQ(info->name, old_info->name);
    EXPECT_STREQ(info->uuid, old_info->uuid);
    EXPECT_EQ(info->id, old_info->id);

    // Every element of the original is still there with the same attributes
    // and text, except the partition that was replaced on purpose.
    std::multiset<std::string> now_sigs = ElementSignatures(edited);
    for (const std::string &sig : ElementSignatures(before)) {
        if (g_str_has_prefix(sig.c_str(), "/domain/resource/partition "))
            continue;
        auto it = now_sigs.find(sig);
        EXPECT_NE(it, now_sigs.end()) << "lost: " << sig;
        if (it != now_sigs.end())
            now_sigs.erase(it);
    }

    // Comments, disks, other NICs, the other application's metadata... are
    // byte-for-byte what they were.
    size_t checked = 0;
    for (const auto &[open, close] : kUntouchedParts) {
        for (const std::string &part : Between(before, open, close)) {
            EXPECT_NE(edited.find(part), std::string::npos) << "changed: " << part;
            checked++;
        }
    }
    EXPECT_GE(checked, 3u);
}

TEST_P(Sample, AddThenRemoveRestoresTheDocument)
{
    std::string original = ReadData(GetParam());
    g_autoptr(VwDomEditor) ed = EditorOrFail(original);
    ASSERT_NE(ed, nullptr);
    std::string before = Format(ed);

    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_domeditor_add_interface(ed, kMac, kTap, "virtio", 1, kNetwork, &error))
        << error->message;
    EXPECT_NE(Format(ed), before);
    // Any case of the same address names the same NIC.
    ASSERT_TRUE(vw_domeditor_remove_interface(ed, "52:54:00:12:34:56", &error)) << error->message;
    std::string after = Format(ed);
    EXPECT_EQ(after, before);

    g_autoptr(VwDomInfo) info_before = ParseOrFail(before);
    g_autoptr(VwDomInfo) info_after = ParseOrFail(after);
    ASSERT_NE(info_before, nullptr);
    ASSERT_NE(info_after, nullptr);
    EXPECT_EQ(Describe(info_after), Describe(info_before));
    EXPECT_EQ(Between(after, "<devices>", "</devices>"),
              Between(before, "<devices>", "</devices>"));
}

TEST_P(Sample, FailedEditsLeaveTheDocumentUnchanged)
{
    std::string original = ReadData(GetParam());
    g_autoptr(VwDomEditor) ed = EditorOrFail(original);
    ASSERT_NE(ed, nullptr);
    g_autoptr(VwDomInfo) info = ParseOrFail(original);
    ASSERT_NE(info, nullptr);
    ASSERT_GT(info->ifaces->len, 0u);
    std::string before = Format(ed);

    struct Add {
        const char *mac, *tap, *model, *network;
        const char *named;
    };
    const Add bad_adds[] = {
        { "52:54:00:12:34", kTap, "virtio", kNetwork, "'52:54:00:12:34'" },
        { "52:54:00:12:34:567", kTap, "virtio", kNetwork, "'52:54:00:12:34:567'" },
        { "52-54-00-12-34-56", kTap, "virtio", kNetwork, "'52-54-00-12-34-56'" },
        { "52:54:00:12:34:5g", kTap, "virtio", kNetwork, "'52:54:00:12:34:5g'" },
        { "01:00:5e:00:00:01", kTap, "virtio", kNetwork, "'01:00:5e:00:00:01'" },
        { "ff:ff:ff:ff:ff:ff", kTap, "virtio", kNetwork, "'ff:ff:ff:ff:ff:ff'" },
        { "00:00:00:00:00:00", kTap, "virtio", kNetwork, "'00:00:00:00:00:00'" },
        { kMac, "", "virtio", kNetwork, "''" },
        { kMac, "-tap0", "virtio", kNetwork, "'-tap0'" },
        { kMac, "vwt-0123456789ab", "virtio", kNetwork, "'vwt-0123456789ab'" },
        { kMac, "tap/0", "virtio", kNetwork, "'tap/0'" },
        { kMac, "tap 0", "virtio", kNetwork, "'tap 0'" },
        { kMac, "..", "virtio", kNetwork, "'..'" },
        { kMac, kTap, "Virtio", kNetwork, "'Virtio'" },
        { kMac, kTap, "virtio'/><x", kNetwork, "'virtio'/><x'" },
        { kMac, kTap, "", kNetwork, "''" },
        { kMac, kTap, "virtio", "", "''" },
        { kMac, kTap, "virtio", "../x", "'../x'" },
        { kMac, kTap, "virtio", "net.1", "'net.1'" },
        { kMac, kTap, "virtio", "n123456789012345678901234567890123",
          "'n123456789012345678901234567890123'" },
    };
    for (const Add &a : bad_adds) {
        SCOPED_TRACE(a.named);
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_domeditor_add_interface(ed, a.mac, a.tap, a.model, 1, a.network, &error));
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(g_error_matches(error, VW_XML_ERROR, VW_XML_ERROR_INVALID)) << error->message;
        EXPECT_NE(strstr(error->message, a.named), nullptr) << error->message;
        EXPECT_EQ(Format(ed), before);
    }

    // A MAC the domain already has, in any case.
    g_autofree char *upper = g_ascii_strup(Iface(info, 0)->mac, -1);
    g_autoptr(GError) dup = nullptr;
    EXPECT_FALSE(vw_domeditor_add_interface(ed, upper, kTap, "virtio", 1, kNetwork, &dup));
    EXPECT_TRUE(g_error_matches(dup, VW_DOMXML_ERROR, VW_DOMXML_ERROR_EXISTS));
    std::string named = std::string("'") + Iface(info, 0)->mac + "'";
    EXPECT_NE(strstr(dup->message, named.c_str()), nullptr) << dup->message;
    std::string domain = std::string("'") + info->name + "'";
    EXPECT_NE(strstr(dup->message, domain.c_str()), nullptr) << dup->message;
    EXPECT_EQ(Format(ed), before);

    const char *const bad_partitions[] = { "../x", "x",    "/a/../b", "/a/./b",
                                           "/..",  "/",    "",        "//a",
                                           "/a/",  "/a b", "/a\n/b",  "/machine/..",
                                           "/a/.." };
    for (const char *p : bad_partitions) {
        SCOPED_TRACE(p);
        g_autoptr(GError) error = nullptr;
        EXPECT_FALSE(vw_domeditor_set_partition(ed, p, &error));
        ASSERT_NE(error, nullptr);
        EXPECT_TRUE(g_error_matches(error, VW_XML_ERROR, VW_XML_ERROR_INVALID)) << error->message;
        std::string quoted = std::string("'") + p + "'";
        EXPECT_NE(strstr(error->message, quoted.c_str()), nullptr) << error->message;
        EXPECT_EQ(Format(ed), before);
    }
    std::string long_segment = "/" + std::string(246, 'a');
    g_autoptr(GError) too_long = nullptr;
    EXPECT_FALSE(vw_domeditor_set_partition(ed, long_segment.c_str(), &too_long));
    EXPECT_TRUE(g_error_matches(too_long, VW_XML_ERROR, VW_XML_ERROR_INVALID));

    g_autoptr(GError) missing = nullptr;
    EXPECT_FALSE(vw_domeditor_remove_interface(ed, "52:54:00:fe:dc:ba", &missing));
    EXPECT_TRUE(g_error_matches(missing, VW_DOMXML_ERROR, VW_DOMXML_ERROR_NOT_FOUND));
    EXPECT_NE(strstr(missing->message, "'52:54:00:fe:dc:ba'"), nullptr) << missing->message;
    g_autoptr(GError) bad_remove = nullptr;
    EXPECT_FALSE(vw_domeditor_remove_interface(ed, "not-a-mac", &bad_remove));
    EXPECT_TRUE(g_error_matches(bad_remove, VW_XML_ERROR, VW_XML_ERROR_INVALID));
    EXPECT_NE(strstr(bad_remove->message, "'not-a-mac'"), nullptr) << bad_remove->message;
    EXPECT_EQ(Format(ed), before);
}

INSTANTIATE_TEST_SUITE_P(Domain, Sample, ::testing::ValuesIn(kSamples),
                         [](const ::testing::TestParamInfo<const char *> &param) {
                             std::string name = param.param;
                             name = name.substr(0, name.find('.'));
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

TEST(Editor, RemovingTheLastPortDropsTheVirtwireMetadata)
{
    g_autoptr(VwDomEditor) ed = EditorOrFail(ReadData("virtwire-port.xml"));
    ASSERT_NE(ed, nullptr);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_domeditor_remove_interface(ed, "52:54:00:00:00:0A", &error)) << error->message;
    std::string out = Format(ed);
    EXPECT_EQ(out.find("virtwire:"), std::string::npos) << out;
    EXPECT_EQ(out.find("<metadata"), std::string::npos) << out;
    EXPECT_NE(out.find("  <uuid>0a1b2c3d4e5f60718293a4b5c6d7e8f9</uuid>\n  <memory"),
              std::string::npos)
        << out;
    g_autoptr(VwDomInfo) info = ParseOrFail(out);
    ASSERT_NE(info, nullptr);
    ASSERT_EQ(info->ifaces->len, 1u);
    EXPECT_STREQ(Iface(info, 0)->mac, "52:54:00:00:00:0b");
}

TEST(Editor, OtherMetadataStaysWhenTheLastPortGoes)
{
    g_autoptr(VwDomEditor) ed = EditorOrFail(ReadData("qemu-ethernet-bridge-network.xml"));
    ASSERT_NE(ed, nullptr);
    std::string before = Format(ed);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_domeditor_add_interface(ed, kMac, kTap, "virtio", 1, kNetwork, &error));
    std::string added = Format(ed);
    // The port entry goes into the existing <metadata>, after the other application's element.
    EXPECT_NE(added.find("    </libosinfo:libosinfo>\n"
                         "    <virtwire:ports xmlns:virtwire=\"" VW_METADATA_NS "\">\n"
                         "      <virtwire:port mac=\"52:54:00:12:34:56\" network=\"net7\"/>\n"
                         "    </virtwire:ports>\n"
                         "  </metadata>\n"),
              std::string::npos)
        << added;
    ASSERT_TRUE(vw_domeditor_remove_interface(ed, kMac, &error));
    EXPECT_EQ(Format(ed), before);
}

TEST(Editor, StaleMetadataEntryIsReusedNotDuplicated)
{
    const char xml[] = "<domain type='kvm'>\n  <name>s</name>\n  <metadata>\n"
                       "    <virtwire:ports xmlns:virtwire='" VW_METADATA_NS "'>\n"
                       "      <virtwire:port mac='52:54:00:12:34:56' network='old'/>\n"
                       "    </virtwire:ports>\n  </metadata>\n  <devices>\n  </devices>\n"
                       "</domain>\n";
    g_autoptr(VwDomEditor) ed = EditorOrFail(xml);
    ASSERT_NE(ed, nullptr);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(
        vw_domeditor_add_interface(ed, "52:54:00:12:34:56", kTap, "virtio", 1, "new", &error));
    std::string out = Format(ed);
    EXPECT_EQ(Count(out, "<virtwire:port "), 1u) << out;
    EXPECT_EQ(out, "<domain type=\"kvm\">\n  <name>s</name>\n  <metadata>\n"
                   "    <virtwire:ports xmlns:virtwire=\"" VW_METADATA_NS "\">\n"
                   "      <virtwire:port mac=\"52:54:00:12:34:56\" network=\"new\"/>\n"
                   "    </virtwire:ports>\n  </metadata>\n  <devices>\n"
                   "    <interface type=\"ethernet\">\n"
                   "      <mac address=\"52:54:00:12:34:56\"/>\n"
                   "      <target dev=\"vwt-0123456789\" managed=\"no\"/>\n"
                   "      <model type=\"virtio\"/>\n"
                   "    </interface>\n  </devices>\n</domain>\n");
    g_autoptr(VwDomInfo) info = ParseOrFail(out);
    ASSERT_NE(info, nullptr);
    ASSERT_EQ(info->ifaces->len, 1u);
    EXPECT_STREQ(Iface(info, 0)->network, "new");
}

TEST(Editor, NewNodesFollowTheDocumentIndentation)
{
    // Tabs, and a domain with neither <devices> nor <metadata> nor <resource>.
    g_autoptr(VwDomEditor) tabs =
        EditorOrFail("<domain type='kvm'>\n\t<name>t</name>\n\t<vcpu>1</vcpu>\n</domain>\n");
    ASSERT_NE(tabs, nullptr);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_domeditor_add_interface(tabs, kMac, kTap, "e1000e", 0, kNetwork, &error));
    ASSERT_TRUE(vw_domeditor_set_partition(tabs, kPartition, &error));
    EXPECT_EQ(Format(tabs), "<domain type=\"kvm\">\n"
                            "\t<name>t</name>\n"
                            "\t<metadata>\n"
                            "\t\t<virtwire:ports xmlns:virtwire=\"" VW_METADATA_NS "\">\n"
                            "\t\t\t<virtwire:port mac=\"52:54:00:12:34:56\" network=\"net7\"/>\n"
                            "\t\t</virtwire:ports>\n"
                            "\t</metadata>\n"
                            "\t<vcpu>1</vcpu>\n"
                            "\t<resource>\n"
                            "\t\t<partition>/virtwire/net7</partition>\n"
                            "\t</resource>\n"
                            "\t<devices>\n"
                            "\t\t<interface type=\"ethernet\">\n"
                            "\t\t\t<mac address=\"52:54:00:12:34:56\"/>\n"
                            "\t\t\t<target dev=\"vwt-0123456789\" managed=\"no\"/>\n"
                            "\t\t\t<model type=\"e1000e\"/>\n"
                            "\t\t</interface>\n"
                            "\t</devices>\n"
                            "</domain>\n");

    // A document on one line stays on one line.
    g_autoptr(VwDomEditor) flat =
        EditorOrFail("<domain type='kvm'><name>f</name><devices/></domain>");
    ASSERT_NE(flat, nullptr);
    ASSERT_TRUE(vw_domeditor_add_interface(flat, kMac, kTap, "virtio", 0, kNetwork, &error));
    EXPECT_EQ(Format(flat), "<domain type=\"kvm\"><name>f</name><metadata><virtwire:ports "
                            "xmlns:virtwire=\"" VW_METADATA_NS "\"><virtwire:port "
                            "mac=\"52:54:00:12:34:56\" network=\"net7\"/></virtwire:ports>"
                            "</metadata><devices><interface type=\"ethernet\"><mac "
                            "address=\"52:54:00:12:34:56\"/><target dev=\"vwt-0123456789\" "
                            "managed=\"no\"/><model type=\"virtio\"/></interface></devices>"
                            "</domain>\n");
}

TEST(Editor, PartitionIsReplacedOrPutFirstInResource)
{
    g_autoptr(VwDomEditor) ed = EditorOrFail(ReadData("qemu-ethernet-bridge-network.xml"));
    ASSERT_NE(ed, nullptr);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(vw_domeditor_set_partition(ed, "/virtwire/net1", &error));
    ASSERT_TRUE(vw_domeditor_set_partition(ed, "/virtwire/net2", &error));
    std::string out = Format(ed);
    EXPECT_NE(out.find("  <resource>\n    <partition>/virtwire/net2</partition>\n  </resource>\n"),
              std::string::npos)
        << out;
    EXPECT_EQ(Count(out, "<partition>"), 1u);

    g_autoptr(VwDomEditor) fc =
        EditorOrFail("<domain type='kvm'>\n  <name>fc</name>\n  <resource>\n"
                     "    <fibrechannel appid='userid_a'/>\n  </resource>\n</domain>\n");
    ASSERT_NE(fc, nullptr);
    ASSERT_TRUE(vw_domeditor_set_partition(fc, "/virtwire/net1", &error));
    EXPECT_EQ(Format(fc), "<domain type=\"kvm\">\n  <name>fc</name>\n  <resource>\n"
                          "    <partition>/virtwire/net1</partition>\n"
                          "    <fibrechannel appid=\"userid_a\"/>\n  </resource>\n</domain>\n");
}

TEST(Editor, XmlDeclarationIsKeptOnlyWhenPresent)
{
    g_autoptr(VwDomEditor) with = EditorOrFail(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<domain><name>d</name></domain>\n");
    ASSERT_NE(with, nullptr);
    EXPECT_EQ(Format(with),
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<domain><name>d</name></domain>\n");

    // Non-ASCII text stays UTF-8 rather than turning into character references.
    g_autoptr(VwDomEditor) without =
        EditorOrFail("<domain><name>d</name><title>caf\xc3\xa9 &amp; b\xc3\xa4r</title></domain>");
    ASSERT_NE(without, nullptr);
    EXPECT_EQ(Format(without),
              "<domain><name>d</name><title>caf\xc3\xa9 &amp; b\xc3\xa4r</title></domain>\n");
}

TEST(Editor, MultipleQueuesAddADriverElement)
{
    g_autoptr(VwDomEditor) ed = EditorOrFail(ReadData("test-driver.xml"));
    ASSERT_NE(ed, nullptr);
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(
        vw_domeditor_add_interface(ed, "52:54:00:00:00:01", "vwt-a", "virtio", 1, "n1", &error));
    ASSERT_TRUE(
        vw_domeditor_add_interface(ed, "52:54:00:00:00:02", "vwt-b", "virtio", 8, "n2", &error));
    g_autofree char *text = vw_domeditor_format(ed);
    g_autoptr(VwDomInfo) info = ParseOrFail(text);
    ASSERT_NE(info, nullptr);
    ASSERT_EQ(info->ifaces->len, 3u);
    EXPECT_EQ(Describe(Iface(info, 1)), "ethernet mac=52:54:00:00:00:01 dev=vwt-a managed=no "
                                        "model=virtio queues=0 network=n1");
    EXPECT_EQ(Describe(Iface(info, 2)), "ethernet mac=52:54:00:00:00:02 dev=vwt-b managed=no "
                                        "model=virtio queues=8 network=n2");
    // One <virtwire:ports>, many ports.
    EXPECT_EQ(Count(text, "<virtwire:ports "), 1u) << text;
    EXPECT_EQ(Count(text, "<virtwire:port "), 2u) << text;
}

// --------------------------------------------------------------------------------------------
// The <interface> for a hot-plug

TEST(FormatInterface, MatchesWhatTheEditorAdds)
{
    g_autoptr(GError) error = nullptr;
    g_autofree char *one =
        vw_domxml_format_interface("52:54:00:AB:CD:EF", kTap, "virtio", 1, &error);
    ASSERT_NE(one, nullptr) << error->message;
    EXPECT_STREQ(one, "<interface type=\"ethernet\">\n"
                      "  <mac address=\"52:54:00:ab:cd:ef\"/>\n"
                      "  <target dev=\"vwt-0123456789\" managed=\"no\"/>\n"
                      "  <model type=\"virtio\"/>\n"
                      "</interface>\n");
    g_autofree char *four = vw_domxml_format_interface(kMac, kTap, "virtio", 4, &error);
    ASSERT_NE(four, nullptr);
    EXPECT_NE(strstr(four, "  <driver queues=\"4\"/>\n</interface>\n"), nullptr) << four;

    // It is a domain device as the reader understands it.
    std::string wrapped =
        std::string("<domain><name>d</name><devices>") + four + "</devices></domain>";
    g_autoptr(VwDomInfo) info = ParseOrFail(wrapped);
    ASSERT_NE(info, nullptr);
    ASSERT_EQ(info->ifaces->len, 1u);
    EXPECT_EQ(Describe(Iface(info, 0)), "ethernet mac=52:54:00:12:34:56 dev=vwt-0123456789 "
                                        "managed=no model=virtio queues=4 network=(null)");
}

TEST(FormatInterface, RejectsBadArgumentsNamingThem)
{
    struct {
        const char *mac, *tap, *model, *named;
    } cases[] = {
        { "03:00:00:00:00:01", kTap, "virtio", "'03:00:00:00:00:01'" },
        { kMac, "this-is-too-long", "virtio", "'this-is-too-long'" },
        { kMac, kTap, "vir tio", "'vir tio'" },
    };
    for (const auto &c : cases) {
        g_autoptr(GError) error = nullptr;
        g_autofree char *text = vw_domxml_format_interface(c.mac, c.tap, c.model, 1, &error);
        EXPECT_EQ(text, nullptr);
        ASSERT_TRUE(g_error_matches(error, VW_XML_ERROR, VW_XML_ERROR_INVALID)) << c.named;
        EXPECT_NE(strstr(error->message, c.named), nullptr) << error->message;
    }
}

TEST(Checks, AcceptGoodValues)
{
    EXPECT_TRUE(vw_domxml_partition_check("/machine", nullptr));
    EXPECT_TRUE(vw_domxml_partition_check("/virtwire/net-1_a.b", nullptr));
    EXPECT_TRUE(vw_domxml_partition_check("/a/..b/c..", nullptr)); // dots inside a name are fine
    EXPECT_TRUE(vw_domxml_tap_check("vwt-0123456789a", nullptr));  // 15 bytes
    EXPECT_TRUE(vw_domxml_tap_check("tap.0_x", nullptr));
    EXPECT_TRUE(vw_domxml_network_check("Net_1-a", nullptr));
    EXPECT_TRUE(vw_domxml_network_check(std::string(32, 'n').c_str(), nullptr));
    g_autofree char *mac = vw_domxml_mac_normalize("AA:bb:CC:00:11:22", nullptr);
    EXPECT_STREQ(mac, "aa:bb:cc:00:11:22");
}

} // namespace

namespace {

// Whether @text declares virtwire's namespace, fed whole, in two pieces split
// at every place and one byte at a time: the three must agree.
bool
ScanEverySplit(const std::string &text)
{
    bool whole = vw_domxml_has_metadata(text.data(), (gssize)text.size());
    for (size_t cut = 0; cut <= text.size(); cut++) {
        VwDomxmlScan scan = {};
        vw_domxml_scan_feed(&scan, text.data(), cut);
        vw_domxml_scan_feed(&scan, text.data() + cut, text.size() - cut);
        EXPECT_EQ((bool)scan.found, whole) << text << " cut at " << cut;
    }
    VwDomxmlScan bytes = {};
    for (char c : text)
        vw_domxml_scan_feed(&bytes, &c, 1);
    EXPECT_EQ((bool)bytes.found, whole) << text << " byte by byte";
    return whole;
}

} // namespace

// The hook decides from this scan alone whether a domain is virtwire's: a
// declaration of the namespace must be found wherever the pieces of stdin
// split it, and nothing else counts (the bare URI is only text).
TEST(Scan, FindsTheMetadataNamespaceAcrossEverySplit)
{
    const std::string port = ReadData("virtwire-port.xml");
    const std::string plain = ReadData("qemu-ethernet-bridge-network.xml");
    ASSERT_FALSE(port.empty());
    ASSERT_FALSE(plain.empty());

    EXPECT_TRUE(vw_domxml_has_metadata(port.c_str(), -1));
    EXPECT_TRUE(vw_domxml_has_metadata(port.data(), (gssize)port.size()));
    EXPECT_FALSE(vw_domxml_has_metadata(plain.c_str(), -1));
    EXPECT_FALSE(vw_domxml_has_metadata("", 0));
    std::string ns = VW_METADATA_NS;
    const std::string decl = " xmlns:virtwire=\"" + ns + "\"";
    EXPECT_TRUE(vw_domxml_has_metadata(decl.c_str(), -1));
    // One byte short of the declaration is not the declaration.
    EXPECT_FALSE(vw_domxml_has_metadata(decl.c_str(), (gssize)decl.size() - 1));
    EXPECT_FALSE(vw_domxml_has_metadata(decl.c_str() + 1, -1));

    // Every way libvirt, or a person, may write the declaration.
    for (const std::string &text : {
             decl,
             " xmlns:v='" + ns + "'",
             " xmlns=\"" + ns + "\"",
             " xmlns = '" + ns + "'",
             "\n\txmlns:vw.1-a_b\r\n=\n\"" + ns + "\"",
             "<virtwire:ports xmlns:virtwire='" + ns + "'/>",
             // A near miss just before the real one.
             " xmlns:a=\"https://virtwire.dev xmlns:v=\"" + ns + "\"",
             " xmlns:a xmlns:v='" + ns + "'",
             " xmlns = xmlns:v='" + ns + "'",
             " xxmlns xmlns:v='" + ns + "'",
             " xmlns:v='" + ns.substr(0, 10) + "' xmlns:v='" + ns + "'",
         })
        EXPECT_TRUE(ScanEverySplit(text)) << text;
    // The URI without a declaration binding it, or a declaration of another.
    for (const std::string &text : {
             ns,
             "<description>" + ns + "</description>",
             "<description>see xmlns " + ns + "</description>",
             "<other:a xmlns:other='urn:x' href='" + ns + "'/>",
             " xmlns:v=\"" + ns + "'",
             " xmlns:v='" + ns + "/'",
             " xmlns:v='" + ns + "X'",
             " xmlns:v=" + ns,
             " xmlns:v='X" + ns + "'",
             " xmlns:='" + ns + "'",
             " xmlnsv='" + ns + "'",
             " xmlns::v='" + ns + "'",
             " xmlns:v:w='" + ns + "'",
             "axmlns:v='" + ns + "'",
             "xmlns:v='" + ns + "'", // nothing before it: not inside a tag
             " XMLNS:v='" + ns + "'",
             " xmlns:v=='" + ns + "'",
         })
        EXPECT_FALSE(ScanEverySplit(text)) << text;

    // Whole documents: two pieces split at every place, and pieces of every
    // size up to the declaration's.
    EXPECT_TRUE(ScanEverySplit(port));
    EXPECT_FALSE(ScanEverySplit(plain));
    for (size_t step = 1; step <= decl.size() + 1; step++) {
        VwDomxmlScan found = {}, absent = {};
        for (size_t i = 0; i < port.size(); i += step)
            vw_domxml_scan_feed(&found, port.data() + i, std::min(step, port.size() - i));
        for (size_t i = 0; i < plain.size(); i += step)
            vw_domxml_scan_feed(&absent, plain.data() + i, std::min(step, plain.size() - i));
        EXPECT_TRUE(found.found) << step;
        EXPECT_FALSE(absent.found) << step;
    }
    // A domain that mentions the URI only in its description is not virtwire's.
    std::string mention = plain;
    size_t at = mention.find("<memory");
    ASSERT_NE(at, std::string::npos);
    mention.insert(at, "<description>virtwire: " + ns + " ('" + ns + "')</description>\n  ");
    EXPECT_FALSE(ScanEverySplit(mention));
}
