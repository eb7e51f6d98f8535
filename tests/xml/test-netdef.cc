// Guest-network XML: data-driven parse/format/validate tests (libvirt style)
// plus the safety properties of the shared parser (xml/vw-xml-tree.c; the editor's libxml2 parser
// in xml/vw-xml-libxml.c).
//
//   tests/data/guestnet/valid/NAME.xml      parses; vw_netdef_format() of it
//                                           equals NAME.out.xml; both files
//                                           validate against guestnet.rng;
//                                           what the parser dropped (libvirt's
//                                           XML) is NAME.ignored, one per line
//                                           (no such file: nothing dropped)
//   tests/data/guestnet/invalid/NAME.xml    is rejected; the message contains
//                                           the text of NAME.err
#include <config.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "vw-netdef.h"
#include "vw-xml-tree.h"
#include "vw-xml-util.h"

namespace
{

const std::string kDataDir = VW_SOURCE_ROOT "/tests/data/guestnet";
const std::string kSchema = VW_SOURCE_ROOT "/xml/schemas/guestnet.rng";

// Generated UUIDs are random: a golden file of an input without <uuid>
// holds this one instead, and the test puts it in place of the generated one.
const char kGeneratedUuidStandIn[] = "00000000-0000-4000-8000-000000000000";

std::string
ReadFile(const std::string &path)
{
    g_autofree char *data = nullptr;
    gsize len = 0;
    g_autoptr(GError) error = nullptr;

    if (!g_file_get_contents(path.c_str(), &data, &len, &error))
        ADD_FAILURE() << "cannot read " << path << ": " << error->message;
    return data ? std::string(data, len) : std::string();
}

std::string
Trim(std::string s)
{
    while (!s.empty() && g_ascii_isspace(s.back()))
        s.pop_back();
    return s;
}

// NAME for every NAME.xml in @dir that is not a golden NAME.out.xml, sorted.
std::vector<std::string>
ListCases(const std::string &dir)
{
    std::vector<std::string> names;
    g_autoptr(GDir) d = g_dir_open(dir.c_str(), 0, nullptr);

    if (!d)
        return names;
    while (const char *entry = g_dir_read_name(d)) {
        std::string name(entry);
        if (g_str_has_suffix(entry, ".xml") && !g_str_has_suffix(entry, ".out.xml"))
            names.push_back(name.substr(0, name.size() - 4));
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::string
ParamName(const testing::TestParamInfo<std::string> &info)
{
    std::string name = info.param;
    for (char &c : name) {
        if (!g_ascii_isalnum(c))
            c = '_';
    }
    return name;
}

// The RelaxNG schema, loaded once; validation errors are collected, not printed.
class Schema
{
  public:
    static Schema &Get()
    {
        static Schema schema;
        return schema;
    }

    // Empty string if @doc_text is valid, else the validator's messages.
    std::string Check(const std::string &doc_text)
    {
        if (!schema_)
            return "schema " + kSchema + " did not load: " + errors_;
        errors_.clear();
        xmlDocPtr doc = xmlReadMemory(doc_text.data(), (int)doc_text.size(), nullptr, nullptr,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc)
            return "not well-formed";
        xmlRelaxNGValidCtxtPtr vctxt = xmlRelaxNGNewValidCtxt(schema_);
        xmlRelaxNGSetValidStructuredErrors(vctxt, Collect, this);
        int rc = xmlRelaxNGValidateDoc(vctxt, doc);
        xmlRelaxNGFreeValidCtxt(vctxt);
        xmlFreeDoc(doc);
        if (rc == 0)
            return "";
        return errors_.empty() ? "invalid" : errors_;
    }

  private:
    Schema()
    {
        xmlRelaxNGParserCtxtPtr pctxt = xmlRelaxNGNewParserCtxt(kSchema.c_str());
        xmlRelaxNGSetParserStructuredErrors(pctxt, Collect, this);
        schema_ = xmlRelaxNGParse(pctxt);
        xmlRelaxNGFreeParserCtxt(pctxt);
    }
    ~Schema()
    {
        if (schema_)
            xmlRelaxNGFree(schema_);
    }

    static void Collect(void *data, xmlErrorPtr err)
    {
        auto *self = static_cast<Schema *>(data);
        self->errors_ +=
            "line " + std::to_string(err->line) + ": " + (err->message ? err->message : "?");
    }

    xmlRelaxNGPtr schema_ = nullptr;
    std::string errors_;
};

std::string
Format(const VwNetDef *def)
{
    g_autofree char *text = vw_netdef_format(def);
    return text ? std::string(text) : std::string();
}

// Run @fn with stderr redirected to a temporary file; return what was written.
template <typename Fn>
std::string
CaptureStderr(Fn fn)
{
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved = dup(STDERR_FILENO);
    dup2(fileno(tmp), STDERR_FILENO);
    fn();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    std::string out;
    rewind(tmp);
    char buf[512];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), tmp)) > 0)
        out.append(buf, n);
    fclose(tmp);
    return out;
}

// ---------------------------------------------------------------------------
// Data-driven: valid files.

class GuestNetValid : public testing::TestWithParam<std::string>
{
};

TEST_P(GuestNetValid, ParsesFormatsToGoldenAndRoundTrips)
{
    const std::string in_path = kDataDir + "/valid/" + GetParam() + ".xml";
    const std::string out_path = kDataDir + "/valid/" + GetParam() + ".out.xml";
    const std::string input = ReadFile(in_path);
    const std::string golden = ReadFile(out_path);
    g_autoptr(GError) error = nullptr;

    g_autoptr(VwNetDef) def = vw_netdef_parse_file(in_path.c_str(), &error);
    ASSERT_NE(def, nullptr) << in_path << ": " << error->message;

    if (input.find("<uuid>") == std::string::npos) {
        ASSERT_TRUE(g_uuid_string_is_valid(def->uuid)) << def->uuid;
        g_free(def->uuid);
        def->uuid = g_strdup(kGeneratedUuidStandIn);
    }

    const std::string formatted = Format(def);
    EXPECT_EQ(formatted, golden) << "formatting " << in_path << " differs from " << out_path;

    g_autoptr(VwNetDef) again = vw_netdef_parse(formatted.c_str(), -1, &error);
    ASSERT_NE(again, nullptr) << "re-parsing the formatted output: " << error->message;
    EXPECT_TRUE(vw_netdef_equal(def, again)) << "parse(format(x)) != x for " << in_path;
    EXPECT_EQ(Format(again), formatted) << "formatting is not stable for " << in_path;

    EXPECT_EQ(Schema::Get().Check(input), "") << in_path << " fails the RelaxNG schema";
    EXPECT_EQ(Schema::Get().Check(golden), "") << out_path << " fails the RelaxNG schema";

    // What was dropped is named, and nothing else; the canonical form drops nothing.
    const std::string ignored_path = kDataDir + "/valid/" + GetParam() + ".ignored";
    std::string expected_ignored;
    if (g_file_test(ignored_path.c_str(), G_FILE_TEST_EXISTS))
        expected_ignored = Trim(ReadFile(ignored_path));
    g_auto(GStrv) ignored = nullptr;
    g_autoptr(VwNetDef) full = vw_netdef_parse_full(input.c_str(), -1, &ignored, &error);
    ASSERT_NE(full, nullptr) << error->message;
    g_autofree char *joined = ignored ? g_strjoinv("\n", ignored) : g_strdup("");
    EXPECT_EQ(std::string(joined), expected_ignored) << "dropped parts of " << in_path;
    if (ignored) {
        EXPECT_GT(g_strv_length(ignored), 0u) << "an empty list must be NULL";
    }
    g_auto(GStrv) ignored_again = nullptr;
    g_autoptr(VwNetDef) canonical =
        vw_netdef_parse_full(formatted.c_str(), -1, &ignored_again, &error);
    ASSERT_NE(canonical, nullptr) << error->message;
    EXPECT_EQ(ignored_again, nullptr)
        << "the canonical form of " << in_path << " drops " << ignored_again[0];
}

INSTANTIATE_TEST_SUITE_P(Data, GuestNetValid, testing::ValuesIn(ListCases(kDataDir + "/valid")),
                         ParamName);

// ---------------------------------------------------------------------------
// Data-driven: invalid files.

class GuestNetInvalid : public testing::TestWithParam<std::string>
{
};

TEST_P(GuestNetInvalid, IsRejectedNamingTheOffendingValue)
{
    const std::string path = kDataDir + "/invalid/" + GetParam() + ".xml";
    const std::string expected = Trim(ReadFile(kDataDir + "/invalid/" + GetParam() + ".err"));
    const std::string input = ReadFile(path);
    g_autoptr(GError) file_error = nullptr;
    g_autoptr(GError) mem_error = nullptr;

    ASSERT_FALSE(expected.empty()) << GetParam() << ".err is empty";

    g_autoptr(VwNetDef) def = vw_netdef_parse_file(path.c_str(), &file_error);
    EXPECT_EQ(def, nullptr) << path << " was accepted";
    ASSERT_NE(file_error, nullptr);
    EXPECT_EQ(file_error->domain, VW_XML_ERROR);
    EXPECT_NE(std::string(file_error->message).find(expected), std::string::npos)
        << "message: " << file_error->message << "\nexpected to contain: " << expected;
    EXPECT_NE(std::string(file_error->message).find(path), std::string::npos)
        << "the message should name the file: " << file_error->message;

    // The same text through the in-memory entry point.
    g_autoptr(VwNetDef) def2 = vw_netdef_parse(input.data(), (gssize)input.size(), &mem_error);
    EXPECT_EQ(def2, nullptr);
    ASSERT_NE(mem_error, nullptr);
    EXPECT_NE(std::string(mem_error->message).find(expected), std::string::npos)
        << "message: " << mem_error->message;
}

INSTANTIATE_TEST_SUITE_P(Data, GuestNetInvalid, testing::ValuesIn(ListCases(kDataDir + "/invalid")),
                         ParamName);

TEST(GuestNetData, HasEnoughCasesAndEveryOneHasItsCompanion)
{
    auto valid = ListCases(kDataDir + "/valid");
    auto invalid = ListCases(kDataDir + "/invalid");

    printf("guest-network data: %zu valid files (with golden output), %zu invalid files\n",
           valid.size(), invalid.size());
    EXPECT_GE(valid.size(), 16u);
    EXPECT_GE(invalid.size(), 32u);
    for (const auto &name : valid)
        EXPECT_TRUE(
            g_file_test((kDataDir + "/valid/" + name + ".out.xml").c_str(), G_FILE_TEST_IS_REGULAR))
            << name << ".out.xml is missing";
    for (const auto &name : invalid)
        EXPECT_TRUE(
            g_file_test((kDataDir + "/invalid/" + name + ".err").c_str(), G_FILE_TEST_IS_REGULAR))
            << name << ".err is missing";
}

// ---------------------------------------------------------------------------
// Hostile input.

TEST(XmlSafety, ExternalEntityIsRejectedAndFileContentNeverAppears)
{
    const std::string passwd = ReadFile("/etc/passwd");
    const std::string first_line = passwd.substr(0, passwd.find('\n'));
    const char *attempts[] = {
        "<!DOCTYPE n [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
        "<network><name>&x;</name></network>",
        "<!DOCTYPE network [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
        "<network><name>n</name><description>&x;</description></network>",
        "<!DOCTYPE network [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>"
        "<network><name>n</name></network>",
        "<!DOCTYPE network SYSTEM \"file:///etc/passwd\"><network><name>n</name></network>",
        "<!DOCTYPE network [<!ENTITY x SYSTEM \"http://127.0.0.1:1/x\">]>"
        "<network><name>&x;</name></network>",
    };

    ASSERT_FALSE(first_line.empty());
    for (const char *xml : attempts) {
        g_autoptr(GError) error = nullptr;
        g_autoptr(VwNetDef) def = vw_netdef_parse(xml, -1, &error);

        EXPECT_EQ(def, nullptr) << xml;
        ASSERT_NE(error, nullptr) << xml;
        EXPECT_TRUE(g_error_matches(error, VW_XML_ERROR, VW_XML_ERROR_PARSE)) << error->message;
        EXPECT_EQ(std::string(error->message).find(first_line), std::string::npos)
            << "file content leaked into: " << error->message;
        EXPECT_EQ(std::string(error->message).find("root:"), std::string::npos) << error->message;
    }
}

TEST(XmlSafety, BillionLaughsIsRejectedFast)
{
    std::string xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n";
    for (int i = 1; i <= 9; i++) {
        std::string prev = i == 1 ? "lol" : "lol" + std::to_string(i - 1);
        xml += " <!ENTITY lol" + std::to_string(i) + " \"";
        for (int j = 0; j < 10; j++)
            xml += "&" + prev + ";";
        xml += "\">\n";
    }
    xml += "]>\n<network><name>&lol9;</name></network>\n";

    // Refused at the first entity declaration, before anything is expanded
    // (the message names it); how long that takes is no test's business.
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwNetDef) def = vw_netdef_parse(xml.c_str(), -1, &error);

    EXPECT_EQ(def, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_XML_ERROR, VW_XML_ERROR_PARSE)) << error->message;
    EXPECT_NE(std::string(error->message).find("entity declaration 'lol'"), std::string::npos)
        << error->message;
    EXPECT_LT(strlen(error->message), 200u);
}

TEST(XmlSafety, OversizeDocumentIsRejectedNamingTheSize)
{
    std::string xml = "<network><name>big</name><description>";
    xml.append(VW_XML_MAX_BYTES, 'x');
    xml += "</description></network>";
    g_autoptr(GError) error = nullptr;

    g_autoptr(VwNetDef) def = vw_netdef_parse(xml.data(), (gssize)xml.size(), &error);
    EXPECT_EQ(def, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_XML_ERROR, VW_XML_ERROR_TOO_LARGE)) << error->message;
    EXPECT_NE(std::string(error->message).find(std::to_string(xml.size())), std::string::npos)
        << error->message;
}

TEST(XmlSafety, OversizeFileIsRejectedWithoutReadingItAll)
{
    g_autofree char *path = nullptr;
    g_autoptr(GError) error = nullptr;
    int fd = g_file_open_tmp("vw-netdef-XXXXXX.xml", &path, &error);
    ASSERT_GE(fd, 0) << error->message;
    close(fd);
    std::string xml = "<network><name>big</name><description>";
    xml.append(4 * VW_XML_MAX_BYTES, 'x');
    xml += "</description></network>";
    ASSERT_TRUE(g_file_set_contents(path, xml.data(), (gssize)xml.size(), &error));

    g_autoptr(VwNetDef) def = vw_netdef_parse_file(path, &error);
    g_unlink(path);
    EXPECT_EQ(def, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_XML_ERROR, VW_XML_ERROR_TOO_LARGE)) << error->message;
    EXPECT_NE(std::string(error->message).find(path), std::string::npos) << error->message;
}

TEST(XmlSafety, DocumentOfExactlyTheSizeLimitIsAccepted)
{
    const std::string head = "<network><name>big</name><description>";
    const std::string tail = "</description></network>";
    std::string xml = head;
    xml.append(VW_XML_MAX_BYTES - head.size() - tail.size(), 'x');
    xml += tail;
    ASSERT_EQ(xml.size(), (size_t)VW_XML_MAX_BYTES);
    g_autoptr(GError) error = nullptr;

    g_autoptr(VwNetDef) def = vw_netdef_parse(xml.data(), (gssize)xml.size(), &error);
    ASSERT_NE(def, nullptr) << error->message;
    EXPECT_EQ(strlen(def->description), VW_XML_MAX_BYTES - head.size() - tail.size());
}

std::string
Nested(int depth)
{
    std::string xml;
    for (int i = 0; i < depth; i++)
        xml += "<a>";
    for (int i = 0; i < depth; i++)
        xml += "</a>";
    return xml;
}

TEST(XmlSafety, NestingIsLimitedTo64Levels)
{
    g_autoptr(GError) error = nullptr;
    const std::string ok = Nested(VW_XML_MAX_DEPTH);
    const std::string deep = Nested(VW_XML_MAX_DEPTH + 1);
    const std::string very_deep = Nested(100000);

    g_autoptr(VwXmlDoc) doc = vw_xml_parse(ok.c_str(), -1, "test", &error);
    EXPECT_NE(doc, nullptr) << error->message;

    g_autoptr(VwXmlDoc) doc2 = vw_xml_parse(deep.c_str(), -1, "test", &error);
    EXPECT_EQ(doc2, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_XML_ERROR, VW_XML_ERROR_TOO_LARGE)) << error->message;
    EXPECT_NE(std::string(error->message).find("64"), std::string::npos) << error->message;
    g_clear_error(&error);

    g_autoptr(VwXmlDoc) doc3 = vw_xml_parse(very_deep.c_str(), -1, "test", &error);
    EXPECT_EQ(doc3, nullptr);
    ASSERT_NE(error, nullptr);
}

TEST(XmlSafety, ParseErrorsCarryTheLineAndPrintNothing)
{
    g_autoptr(GError) error = nullptr;
    std::string printed = CaptureStderr([&] {
        g_autoptr(VwNetDef) def =
            vw_netdef_parse("<network>\n<name>x</name>\n\n<bridge>\n</network>\n", -1, &error);
        EXPECT_EQ(def, nullptr);
        g_autoptr(GError) e2 = nullptr;
        g_autoptr(VwNetDef) def2 = vw_netdef_parse(
            "<!DOCTYPE n [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><network/>", -1, &e2);
        EXPECT_EQ(def2, nullptr);
    });

    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_XML_ERROR, VW_XML_ERROR_PARSE));
    EXPECT_NE(std::string(error->message).find("line 5:"), std::string::npos) << error->message;
    EXPECT_EQ(printed, "") << "the library printed something";
}

TEST(XmlSafety, MissingFileIsReportedByName)
{
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwNetDef) def = vw_netdef_parse_file("/nonexistent/vw-net.xml", &error);

    EXPECT_EQ(def, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find("'/nonexistent/vw-net.xml'"), std::string::npos)
        << error->message;
}

// ---------------------------------------------------------------------------
// Semantics through the API.

VwNetDef *
ParseOrFail(const char *xml)
{
    g_autoptr(GError) error = nullptr;
    VwNetDef *def = vw_netdef_parse(xml, -1, &error);
    EXPECT_NE(def, nullptr) << (error ? error->message : "") << "\n" << xml;
    return def;
}

TEST(NetDef, DefaultsAreFilledIn)
{
    g_autoptr(VwNetDef) def = ParseOrFail("<network><name>n1</name></network>");
    ASSERT_NE(def, nullptr);

    EXPECT_STREQ(def->netns, "vw-n1");
    EXPECT_STREQ(def->bridge, "vwbr0");
    EXPECT_FALSE(def->stp);
    EXPECT_EQ(def->mtu, 1500u);
    EXPECT_EQ(def->forward, VW_FORWARD_ISOLATED);
    EXPECT_EQ(def->forward_dev, nullptr);
    EXPECT_EQ(def->ipv4, nullptr);
    EXPECT_EQ(def->ipv6, nullptr);
    EXPECT_EQ(def->cpu_weight, 0u);
    EXPECT_EQ(def->memory_max, VW_NETDEF_LIMIT_UNSET);
    EXPECT_EQ(def->pids_max, VW_NETDEF_LIMIT_UNSET);
    EXPECT_FALSE(def->in.set);
    EXPECT_FALSE(def->out.set);
    ASSERT_NE(def->dns_forwarders, nullptr);
    EXPECT_EQ(def->dns_forwarders->len, 0u);
}

TEST(NetDef, MissingUuidIsGeneratedFreshEachTime)
{
    g_autoptr(VwNetDef) a = ParseOrFail("<network><name>n1</name></network>");
    g_autoptr(VwNetDef) b = ParseOrFail("<network><name>n1</name></network>");
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);

    EXPECT_TRUE(g_uuid_string_is_valid(a->uuid));
    EXPECT_STRNE(a->uuid, b->uuid);
    EXPECT_FALSE(vw_netdef_equal(a, b));
}

TEST(NetDef, CgroupMaxAndNumbersAreDistinguished)
{
    g_autoptr(VwNetDef) def = ParseOrFail(
        "<network><name>n</name><cgroup cpu_weight='5' memory_max='max' pids_max='7'/></network>");
    ASSERT_NE(def, nullptr);

    EXPECT_EQ(def->cpu_weight, 5u);
    EXPECT_EQ(def->memory_max, VW_NETDEF_LIMIT_MAX);
    EXPECT_EQ(def->pids_max, 7);
}

TEST(NetDef, AddressesAreStoredCanonically)
{
    g_autoptr(VwNetDef) def =
        ParseOrFail("<network><name>n</name><ip family='ipv6' address='FD00:0::0:1' prefix='64'>"
                    "<dhcp><host mac='52:54:00:AA:BB:CC' ip='FD00::00AB'/></dhcp></ip></network>");
    ASSERT_NE(def, nullptr);
    ASSERT_NE(def->ipv6, nullptr);

    EXPECT_EQ(def->ipv6->family, AF_INET6);
    EXPECT_STREQ(def->ipv6->address, "fd00::1");
    auto *host = static_cast<VwDhcpHost *>(g_ptr_array_index(def->ipv6->hosts, 0));
    EXPECT_STREQ(host->ip, "fd00::ab");
    EXPECT_STREQ(host->mac, "52:54:00:aa:bb:cc");
}

TEST(NetDef, ValidateCatchesHandBuiltMistakes)
{
    g_autoptr(VwNetDef) def =
        ParseOrFail("<network><name>n</name><ip address='10.0.0.1' prefix='24'/></network>");
    ASSERT_NE(def, nullptr);
    g_autoptr(GError) error = nullptr;

    EXPECT_TRUE(vw_netdef_validate(def, &error));
    def->ipv4->prefix = 33;
    EXPECT_FALSE(vw_netdef_validate(def, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_STREQ(error->message, "invalid prefix '33' in <ip address='10.0.0.1'>: must be 0 to 32");
    g_clear_error(&error);

    def->ipv4->prefix = 24;
    g_free(def->name);
    def->name = g_strdup("../etc");
    EXPECT_FALSE(vw_netdef_validate(def, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_XML_ERROR, VW_XML_ERROR_INVALID));
    EXPECT_NE(std::string(error->message).find("'../etc'"), std::string::npos) << error->message;
    g_clear_error(&error);

    g_free(def->name);
    def->name = g_strdup("n");
    def->forward = VW_FORWARD_ISOLATED;
    def->forward_dev = g_strdup("eth0");
    EXPECT_FALSE(vw_netdef_validate(def, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find("'eth0'"), std::string::npos) << error->message;
    g_clear_error(&error);

    // XML 1.0 cannot carry most control characters, even as references.
    g_clear_pointer(&def->forward_dev, g_free);
    def->description = g_strdup("bell\x07");
    EXPECT_FALSE(vw_netdef_validate(def, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find("<description>"), std::string::npos)
        << error->message;
}

TEST(NetDef, EqualSeesEveryField)
{
    const char *xml = "<network><name>n</name><uuid>6b0f3c36-8f5e-4a39-9a0c-2d4f8c6b1e01</uuid>"
                      "<ip address='10.0.0.1' prefix='24'><dhcp>"
                      "<host mac='52:54:00:00:00:01' ip='10.0.0.5' name='a'/></dhcp></ip>"
                      "<bandwidth><inbound average='10'/></bandwidth></network>";
    g_autoptr(VwNetDef) a = ParseOrFail(xml);
    g_autoptr(VwNetDef) b = ParseOrFail(xml);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);

    EXPECT_TRUE(vw_netdef_equal(a, b));
    auto *host = static_cast<VwDhcpHost *>(g_ptr_array_index(b->ipv4->hosts, 0));
    g_free(host->name);
    host->name = g_strdup("b");
    EXPECT_FALSE(vw_netdef_equal(a, b));
    g_free(host->name);
    host->name = g_strdup("a");
    EXPECT_TRUE(vw_netdef_equal(a, b));
    b->in.peak = 20;
    EXPECT_FALSE(vw_netdef_equal(a, b));
    b->in.peak = 0;
    b->bridge_mac_set = TRUE;
    EXPECT_FALSE(vw_netdef_equal(a, b));
    a->bridge_mac_set = TRUE;
    EXPECT_TRUE(vw_netdef_equal(a, b));
    b->bridge_mac[5] = 1;
    EXPECT_FALSE(vw_netdef_equal(a, b));
    b->bridge_mac[5] = 0;
    b->stp = TRUE;
    EXPECT_FALSE(vw_netdef_equal(a, b));
    EXPECT_TRUE(vw_netdef_equal(nullptr, nullptr));
    EXPECT_FALSE(vw_netdef_equal(a, nullptr));
}

TEST(NetDef, OverlappingSubnetsAreReportedNamingBothNetworks)
{
    g_autoptr(VwNetDef) wide =
        ParseOrFail("<network><name>wide</name><ip address='10.0.0.1' prefix='16'/></network>");
    g_autoptr(VwNetDef) narrow =
        ParseOrFail("<network><name>narrow</name><ip address='10.0.5.1' prefix='24'/></network>");
    g_autoptr(VwNetDef) other =
        ParseOrFail("<network><name>other</name><ip address='10.1.0.1' prefix='16'/>"
                    "<ip family='ipv6' address='fd00:1::1' prefix='64'/></network>");
    g_autoptr(VwNetDef) six =
        ParseOrFail("<network><name>six</name><ip address='10.2.0.1' prefix='24'/>"
                    "<ip family='ipv6' address='fd00::1' prefix='16'/></network>");
    ASSERT_TRUE(wide && narrow && other && six);
    g_autoptr(GError) error = nullptr;

    EXPECT_TRUE(vw_netdef_overlaps(wide, narrow, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_STREQ(error->message,
                 "subnet '10.0.0.0/16' of network 'wide' overlaps subnet '10.0.5.0/24' of "
                 "network 'narrow'");
    g_clear_error(&error);

    EXPECT_TRUE(vw_netdef_overlaps(narrow, wide, &error));
    g_clear_error(&error);

    EXPECT_FALSE(vw_netdef_overlaps(wide, other, &error));
    EXPECT_EQ(error, nullptr);

    // IPv4 apart, IPv6 nested (fd00:1::/64 inside fd00::/16): 128-bit compare.
    EXPECT_TRUE(vw_netdef_overlaps(other, six, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find("'fd00:1::/64'"), std::string::npos)
        << error->message;
    EXPECT_NE(std::string(error->message).find("'fd00::/16'"), std::string::npos) << error->message;
}

TEST(NetDef, FormatEscapesEveryXmlSpecialCharacter)
{
    g_autoptr(VwNetDef) def = ParseOrFail("<network><name>n</name></network>");
    ASSERT_NE(def, nullptr);
    def->description = g_strdup("a<b>&'\"\r\nz");

    const std::string out = Format(def);
    EXPECT_NE(out.find("<description>a&lt;b&gt;&amp;&apos;&quot;&#13;\nz</description>"),
              std::string::npos)
        << out;
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwNetDef) again = vw_netdef_parse(out.c_str(), -1, &error);
    ASSERT_NE(again, nullptr) << error->message;
    EXPECT_STREQ(again->description, def->description);
}

TEST(NetDef, ForwardModeStringsRoundTrip)
{
    for (int m = VW_FORWARD_ISOLATED; m <= VW_FORWARD_ROUTED; m++)
        EXPECT_EQ(vw_forward_mode_from_string(vw_forward_mode_to_string((VwForwardMode)m)), m);
    EXPECT_EQ(vw_forward_mode_from_string("bridge"), -1);
    EXPECT_EQ(vw_forward_mode_from_string(nullptr), -1);
}

TEST(NetDef, ManyStaticHostsParseAndADuplicateAmongThemIsFound)
{
    // ~16000 hosts (what the 1 MiB limit allows), and the same list with the
    // last host's MAC repeated: the duplicate is found and named.  How long
    // the check takes is a benchmark's business, not a test's.
    std::string hosts;
    char line[128];
    for (int i = 2; i < 16002; i++) {
        snprintf(line, sizeof(line), "<host mac='52:54:00:00:%02x:%02x' ip='10.0.%d.%d'/>", i >> 8,
                 i & 0xff, i >> 8, i & 0xff);
        hosts += line;
    }
    std::string head = "<network><name>big</name><ip address='10.0.0.1' prefix='16'><dhcp>";
    std::string tail = "</dhcp></ip></network>";
    std::string xml = head + hosts + tail;
    ASSERT_LT(xml.size(), (size_t)VW_XML_MAX_BYTES);
    g_autoptr(VwNetDef) def = ParseOrFail(xml.c_str());
    ASSERT_NE(def, nullptr);
    EXPECT_EQ(def->ipv4->hosts->len, 16000u);

    std::string dup = head + hosts + "<host mac='52:54:00:00:3e:81' ip='10.0.255.1'/>" + tail;
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwNetDef) none = vw_netdef_parse(dup.c_str(), -1, &error);
    EXPECT_EQ(none, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find("52:54:00:00:3e:81"), std::string::npos)
        << error->message;
}

// ---------------------------------------------------------------------------
// The shared helpers.

TEST(XmlUtil, ChildIterationSkipsTextCommentsAndOtherNames)
{
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwXmlDoc) doc =
        vw_xml_parse("<r> <a x='1'/><!-- c --><b/>text<a x='2'/></r>", -1, "test", &error);
    ASSERT_NE(doc, nullptr) << error->message;
    VwXmlNode *root = vw_xml_doc_root(doc);
    VwXmlNode *child;
    std::string seen;

    VW_XML_FOREACH_CHILD(child, root, "a")
    {
        g_autofree char *x = vw_xml_node_prop(child, "x");
        seen += x;
    }
    EXPECT_EQ(seen, "12");
    EXPECT_EQ(vw_xml_child_count(root, "a"), 2u);
    EXPECT_EQ(vw_xml_child_count(root, nullptr), 3u);
    g_autofree char *missing = vw_xml_node_prop(vw_xml_child_first(root, "b"), "x");
    EXPECT_EQ(missing, nullptr);
    EXPECT_EQ(vw_xml_node_line(root), 1);

    static const char *const allowed[] = { "a", nullptr };
    EXPECT_FALSE(vw_xml_check_children(root, allowed, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find("unknown element <b> in <r>"), std::string::npos)
        << error->message;
}

TEST(XmlUtil, TreeResolvesNamespacesAndReadsText)
{
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwXmlDoc) doc =
        vw_xml_parse("\xef\xbb\xbf<?xml version='1.0' encoding='utf-8'?>\n"
                     "<r xmlns:p='urn:p' a='1' p:a='2'>\n"
                     "  <p:x/><y xmlns='urn:d'><z/></y><t>a<![CDATA[<b>]]>&amp;"
                     "<u>c</u></t>\n</r>",
                     -1, "test", &error);
    ASSERT_NE(doc, nullptr) << error->message;
    VwXmlNode *root = vw_xml_doc_root(doc);

    EXPECT_STREQ(vw_xml_node_name(root), "r");
    EXPECT_EQ(vw_xml_node_ns(root), nullptr);
    EXPECT_EQ(vw_xml_node_line(root), 2);
    g_autofree char *a = vw_xml_node_prop(root, "a");
    EXPECT_STREQ(a, "1"); // not p:a, which is in a namespace
    static const char *const only_a[] = { "a", nullptr };
    EXPECT_FALSE(vw_xml_check_attrs(root, only_a, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find("unknown attribute 'a' in <r>"), std::string::npos)
        << error->message;
    g_clear_error(&error);

    VwXmlNode *x = vw_xml_child_first(root, nullptr);
    ASSERT_NE(x, nullptr);
    EXPECT_TRUE(vw_xml_node_is_ns(x, "urn:p", "x"));
    EXPECT_FALSE(vw_xml_node_is(x, "x"));
    EXPECT_EQ(vw_xml_child_first(root, "y"), nullptr); // in the default namespace urn:d
    VwXmlNode *y = vw_xml_child_next(x, nullptr);
    EXPECT_TRUE(vw_xml_node_is_ns(vw_xml_child_first(y, nullptr), "urn:d", "z"));
    g_autofree char *t = vw_xml_node_text(vw_xml_child_first(root, "t"));
    EXPECT_STREQ(t, "a<b>&c");
}

TEST(XmlUtil, TreeRejectsWhatIsNotWellFormed)
{
    struct {
        const char *xml;
        int code;
        const char *message;
    } cases[] = {
        { "<?xml version='1.0' encoding='ISO-8859-1'?><r/>", VW_XML_ERROR_PARSE,
          "unsupported encoding 'ISO-8859-1'" },
        { " <?xml version='1.0'?><r/>", VW_XML_ERROR_PARSE, "only at the start" },
        { "<r><?pi?x?></r>", VW_XML_ERROR_PARSE, "invalid processing instruction" },
        { "<r><p:x/></r>", VW_XML_ERROR_PARSE, "namespace prefix 'p' of <p:x> is not declared" },
        { "<r a='1' a='2'/>", VW_XML_ERROR_PARSE, "attribute 'a' is repeated in <r>" },
        { "<r/><s/>", VW_XML_ERROR_PARSE, "extra element <s>" },
        { "<r/>text", VW_XML_ERROR_PARSE, "Extra content at the end" },
        { "<r/>\n<![CDATA[ ]]>", VW_XML_ERROR_PARSE, "line 2: Extra content at the end" },
        { "&#32;<r/>", VW_XML_ERROR_PARSE, "Start tag expected, '<' not found" },
        { "<r a='<'/>", VW_XML_ERROR_PARSE, "Unescaped '<'" },
        { "<r a='1'b='2'/>", VW_XML_ERROR_PARSE, "attributes construct error" },
        { "<r>&#1;</r>", VW_XML_ERROR_PARSE, "invalid character reference '&#1;'" },
        { "<r>\x01</r>", VW_XML_ERROR_PARSE, "invalid character U+0001" },
        { "<r>\n\xc3</r>", VW_XML_ERROR_PARSE, "line 2: invalid UTF-8 byte 0xc3" },
        { "<r>]]></r>", VW_XML_ERROR_PARSE, "Sequence ']]>'" },
        { "<r><!-- a -- b --></r>", VW_XML_ERROR_PARSE, "double hyphen" },
        { "<r>\n<a>\n</b></r>", VW_XML_ERROR_PARSE,
          "line 3: Opening and ending tag mismatch: a line 2 and b" },
        { "<!DOCTYPE r SYSTEM 'file:///etc/passwd'><r/>", VW_XML_ERROR_PARSE,
          "DOCTYPE 'r' with an internal subset or external identifier" },
        { "<r/><!DOCTYPE r>", VW_XML_ERROR_PARSE, "DOCTYPE 'r' is not allowed here" },
    };
    for (const auto &c : cases) {
        g_autoptr(GError) error = nullptr;
        g_autoptr(VwXmlDoc) doc = vw_xml_parse(c.xml, -1, "test", &error);

        EXPECT_EQ(doc, nullptr) << c.xml;
        ASSERT_NE(error, nullptr) << c.xml;
        EXPECT_TRUE(g_error_matches(error, VW_XML_ERROR, c.code))
            << c.xml << ": " << error->message;
        EXPECT_NE(std::string(error->message).find(c.message), std::string::npos)
            << c.xml << ": " << error->message;
    }
}

TEST(XmlUtil, EscapeAppendHandlesAllSpecials)
{
    g_autoptr(GString) buf = g_string_new("");
    vw_xml_escape_append(buf, "<&>'\"x");
    EXPECT_STREQ(buf->str, "&lt;&amp;&gt;&apos;&quot;x");
}

} // namespace
