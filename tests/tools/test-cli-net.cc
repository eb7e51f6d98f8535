// The network and domain commands of the virtwire command line, and every
// command's usage errors, without root: networks are only defined (in a
// temporary --root), domains are libvirt's test driver.  Each run opens a
// fresh test:///default, so what libvirt stored is checked in the same run
// (--print-domain), or loaded into a custom test driver node for the next.
#include <config.h>

#include <algorithm>
#include <future>
#include <string>
#include <vector>

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>
#include <json-glib/json-glib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vw-cli-testutil.h"

using vwtest::CliRun;
using vwtest::TempDir;
using vwtest::Virtwire;

namespace
{

const char kGoodNet[] = "<network>\n"
                        "  <name>demo</name>\n"
                        "  <ip address='10.77.0.1' prefix='24'>\n"
                        "    <dhcp><range start='10.77.0.10' end='10.77.0.100'/></dhcp>\n"
                        "  </ip>\n"
                        "</network>\n";

// A temporary root with network 'demo' defined in it.
class CliRoot : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        ASSERT_TRUE(dir_.ok());
        root_ = dir_.path() + "/root";
        std::string xml = dir_.Write("demo.xml", kGoodNet);
        CliRun r = Virtwire({ "-r", root_.c_str(), "net-define", xml.c_str() });
        ASSERT_EQ(r.code, 0) << r.err;
    }

    CliRun V(std::vector<const char *> args)
    {
        std::vector<const char *> all = { "-r", root_.c_str(), "-c", "test:///default" };
        all.insert(all.end(), args.begin(), args.end());
        return Virtwire(all);
    }

    TempDir dir_;
    std::string root_;
};

bool
Contains(const std::string &haystack, const std::string &needle)
{
    return haystack.find(needle) != std::string::npos;
}

} // namespace

// Every command: a missing argument, an extra one, an unknown option; each
// exits 2 before touching anything (the root does not even get created).
TEST(CliUsage, EveryCommandRejectsBadUsageWithExitTwo)
{
    TempDir dir;
    std::string root = dir.path() + "/never-made";
    struct Case {
        std::vector<const char *> args;
        const char *expect;
    } cases[] = {
        { { "net-define" }, "net-define: missing argument; usage: virtwire net-define FILE" },
        { { "net-define", "a.xml", "b.xml" }, "net-define: unexpected argument 'b.xml'" },
        { { "net-undefine" }, "net-undefine: missing argument" },
        { { "net-undefine", "a", "b" }, "unexpected argument 'b'" },
        { { "net-start" }, "net-start: missing argument; usage: virtwire net-start NETWORK" },
        { { "net-start", "a", "b" }, "net-start: unexpected argument 'b'" },
        { { "net-destroy" }, "net-destroy: missing argument" },
        { { "net-destroy", "a", "--frob" }, "--frob" },
        { { "net-destroy", "a", "b", "--force" }, "unexpected argument 'b'" },
        { { "net-list", "extra" }, "net-list: unexpected argument 'extra'" },
        { { "net-list", "--bogus" }, "--bogus" },
        { { "net-info" }, "net-info: missing argument" },
        { { "net-info", "a", "b" }, "unexpected argument 'b'" },
        { { "net-dumpxml" }, "net-dumpxml: missing argument" },
        { { "net-autostart" }, "net-autostart: missing argument" },
        { { "net-autostart", "a", "--enable" }, "--enable" },
        { { "net-leases" }, "net-leases: missing argument" },
        { { "attach-interface", "dom" }, "attach-interface: missing argument" },
        { { "attach-interface", "dom", "net", "x" }, "unexpected argument 'x'" },
        { { "attach-interface", "dom", "net", "--queues", "many" }, "many" },
        { { "attach-interface", "dom", "net", "--current", "--live" }, "--current" },
        { { "detach-interface", "dom", "--mac", "52:54:00:00:00:01", "--current", "--config" },
          "--current" },
        { { "attach-interface", "dom", "net", "--mac" }, "--mac" },
        { { "detach-interface", "dom" }, "detach-interface: --mac MAC is required" },
        { { "detach-interface" }, "detach-interface: missing argument" },
        { { "port-list", "a", "b" }, "port-list: unexpected argument 'b'" },
        { { "hook-install", "x" }, "hook-install: unexpected argument 'x'" },
        { { "hook-install", "--hooks-dir" }, "--hooks-dir" },
        { { "hook-uninstall", "--frob" }, "--frob" },
        { { "gc", "now" }, "gc: unexpected argument 'now'" },
        { { "version", "x" }, "version: unexpected argument 'x'" },
        { { "help", "a", "b" }, "help: unexpected argument 'b'" },
        { { "help", "nosuch" }, "unknown command 'nosuch'" },
    };
    // the runs are independent: start them all at once
    std::vector<std::future<CliRun>> runs;
    for (const Case &c : cases) {
        std::vector<const char *> args = { "-r", root.c_str(), "-c", "test:///default" };
        args.insert(args.end(), c.args.begin(), c.args.end());
        runs.push_back(std::async(std::launch::async, Virtwire, args, std::vector<std::string>()));
    }
    for (size_t i = 0; i < runs.size(); i++) {
        const Case &c = cases[i];
        CliRun r = runs[i].get();
        EXPECT_EQ(r.code, 2) << c.args[0] << ": " << r.err;
        EXPECT_TRUE(Contains(r.err, c.expect)) << c.args[0] << ": " << r.err;
        EXPECT_EQ(r.out, "") << c.args[0];
    }
    EXPECT_FALSE(g_file_test(root.c_str(), G_FILE_TEST_EXISTS));
}

// The autostart mark is virtwire's own link, "../NAME.xml"; a link with any
// other target is not one (and is not replaced), and a definition is never
// read through a link.
TEST_F(CliRoot, OnlyVirtwiresOwnLinksAreRead)
{
    std::string nets = root_ + "/etc/virtwire/networks";
    std::string mark = nets + "/autostart/demo.xml";
    CliRun r = V({ "net-autostart", "demo" });
    ASSERT_EQ(r.code, 0) << r.err;
    g_autofree char *target = g_file_read_link(mark.c_str(), nullptr);
    EXPECT_STREQ(target, "../demo.xml");
    ASSERT_EQ(g_unlink(mark.c_str()), 0);
    ASSERT_EQ(symlink("/etc/hostname", mark.c_str()), 0);
    r = V({ "net-info", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "\nAutostart:  no\n")) << r.out;
    r = V({ "net-autostart", "demo" });
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_TRUE(Contains(r.err, "'" + mark + "'")) << r.err;
    g_autofree char *kept = g_file_read_link(mark.c_str(), nullptr);
    EXPECT_STREQ(kept, "/etc/hostname");

    // The definition replaced by a link to a copy of itself: refused, named.
    std::string def = nets + "/demo.xml";
    std::string copy = dir_.path() + "/copy.xml";
    ASSERT_EQ(rename(def.c_str(), copy.c_str()), 0);
    ASSERT_EQ(symlink(copy.c_str(), def.c_str()), 0);
    r = V({ "net-info", "demo" });
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_TRUE(Contains(r.err, "'" + def + "'")) << r.err;
    EXPECT_TRUE(Contains(r.err, "symbolic link")) << r.err;
}

TEST_F(CliRoot, NetListShowsActiveNetworksUnlessAll)
{
    CliRun r = V({ "net-list" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, " Name ")) << r.out;
    EXPECT_FALSE(Contains(r.out, "demo")) << r.out;

    r = V({ "net-list", "--all" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, " Name   State      Autostart   Persistent   Bridge   Namespace   "
                                "IPv4           IPv6\n"))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "\n demo   inactive   no          yes          vwbr0    vw-demo"
                                "     10.77.0.1/24   -\n"))
        << r.out;

    r = V({ "net-list", "--inactive", "--name" });
    EXPECT_EQ(r.out, "demo\n");

    r = V({ "--json", "net-list", "--all" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "[{\"name\": \"demo\", \"state\": \"inactive\", \"autostart\": false, "
                     "\"persistent\": true, \"bridge\": \"vwbr0\", \"netns\": \"vw-demo\", "
                     "\"ipv4\": \"10.77.0.1/24\", \"ipv6\": null}]\n");

    r = V({ "--json", "net-list" });
    EXPECT_EQ(r.out, "[]\n");
}

TEST_F(CliRoot, NetInfoAutostartDumpxmlAndLeases)
{
    CliRun r = V({ "net-info", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(g_str_has_prefix(r.out.c_str(), "Name:       demo\nUUID:       ")) << r.out;
    EXPECT_TRUE(Contains(r.out, "\nActive:     no\n")) << r.out;
    EXPECT_TRUE(Contains(r.out, "\nAutostart:  no\n")) << r.out;
    EXPECT_TRUE(Contains(r.out, "\nPartition:  /virtwire/demo\n")) << r.out;

    r = V({ "net-autostart", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "Network demo marked as autostarted\n");
    r = V({ "--json", "net-info", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(g_str_has_prefix(r.out.c_str(), "{\"name\": \"demo\", \"uuid\": \"")) << r.out;
    EXPECT_TRUE(Contains(r.out,
                         "\"active\": false, \"persistent\": true, \"autostart\": true, "
                         "\"netns\": \"vw-demo\", \"bridge\": \"vwbr0\", \"forward\": "
                         "\"isolated\", \"ipv4\": \"10.77.0.1/24\", \"ipv6\": null, "
                         "\"partition\": \"/virtwire/demo\", \"ports\": 0, \"leases\": 0}\n"))
        << r.out;
    r = V({ "net-autostart", "demo", "--disable" });
    EXPECT_EQ(r.out, "Network demo unmarked as autostarted\n");
    r = V({ "net-info", "demo" });
    EXPECT_TRUE(Contains(r.out, "\nAutostart:  no\n")) << r.out;

    r = V({ "net-dumpxml", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(g_str_has_prefix(r.out.c_str(), "<network>\n  <name>demo</name>\n  <uuid>"))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "<range start='10.77.0.10' end='10.77.0.100'/>")) << r.out;
    // what net-dumpxml prints defines the same network again
    std::string again = dir_.Write("again.xml", r.out);
    r = Virtwire({ "-r", root_.c_str(), "net-define", again.c_str() });
    EXPECT_EQ(r.code, 0) << r.err;

    r = V({ "--json", "net-leases", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "[]\n");
    r = V({ "--json", "port-list" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "[]\n");
    r = V({ "port-list", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(g_str_has_prefix(r.out.c_str(), " Network   Domain   MAC address   Tap")) << r.out;
}

// net-leases marks a lease stale when its domain no longer exists on the
// connection (test:///default has domain "test"); unknown (null) when
// libvirt cannot be asked.
TEST_F(CliRoot, NetLeasesSaysWhichLeasesAreStale)
{
    std::string dir = root_ + "/var/lib/virtwire/leases";
    ASSERT_EQ(g_mkdir_with_parents(dir.c_str(), 0755), 0);
    std::string leases =
        "{\"version\": 1, \"leases\": ["
        "{\"domain-uuid\": \"6695eb01-f6a4-8304-79aa-97f2502e193f\", \"mac\": "
        "\"52:54:00:00:00:01\", \"domain-name\": \"test\", \"ipv4\": \"10.77.0.10\", "
        "\"ipv6\": null, \"hostname\": \"test\", \"static\": false, \"created\": 1, "
        "\"updated\": 1},"
        "{\"domain-uuid\": \"6695eb01-f6a4-8304-79aa-0000000000aa\", \"mac\": "
        "\"52:54:00:00:00:02\", \"domain-name\": \"gone\", \"ipv4\": \"10.77.0.11\", "
        "\"ipv6\": null, \"hostname\": \"gone\", \"static\": false, \"created\": 1, "
        "\"updated\": 1}]}\n";
    ASSERT_TRUE(g_file_set_contents((dir + "/demo.json").c_str(), leases.c_str(), -1, nullptr));

    CliRun r = V({ "--json", "net-leases", "demo" });
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "\"domain\": \"test\", \"domain_uuid\": "
                                "\"6695eb01-f6a4-8304-79aa-97f2502e193f\", \"static\": false, "
                                "\"stale\": false}"))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "\"domain\": \"gone\", \"domain_uuid\": "
                                "\"6695eb01-f6a4-8304-79aa-0000000000aa\", \"static\": false, "
                                "\"stale\": true}"))
        << r.out;
    r = V({ "net-leases", "demo" });
    EXPECT_TRUE(Contains(r.out, "Stale")) << r.out;

    r = Virtwire({ "-r", root_.c_str(), "-c", "vw-bogus:///", "--json", "net-leases", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "\"static\": false, \"stale\": null}")) << r.out;
    EXPECT_TRUE(Contains(r.err, "vw-bogus:///")) << r.err;
}

// --json output is written by vw-json's one string writer: a domain name
// with quotes, backslashes and control characters (libvirt allows them; the
// lease file keeps them escaped) comes out as JSON that a real parser
// (json-glib) reads back as the same name.
TEST_F(CliRoot, JsonOutputOfHostileStringsParsesBackTheSame)
{
    std::string dir = root_ + "/var/lib/virtwire/leases";
    ASSERT_EQ(g_mkdir_with_parents(dir.c_str(), 0755), 0);
    const std::string name = "q\"uote \\back\\slash\ttab\nline\x01\x1f\x7f end \xc3\xa9";
    std::string leases =
        "{\"version\": 1, \"leases\": ["
        "{\"domain-uuid\": \"6695eb01-f6a4-8304-79aa-97f2502e193f\", \"mac\": "
        "\"52:54:00:00:00:01\", \"domain-name\": "
        "\"q\\\"uote \\\\back\\\\slash\\ttab\\nline\\u0001\\u001f\\u007f end \xc3\xa9\", "
        "\"ipv4\": \"10.77.0.10\", \"ipv6\": null, \"hostname\": null, \"static\": false, "
        "\"created\": 1, \"updated\": 1}]}\n";
    ASSERT_TRUE(g_file_set_contents((dir + "/demo.json").c_str(), leases.c_str(), -1, nullptr));

    CliRun r = V({ "--json", "net-leases", "demo" });
    ASSERT_EQ(r.code, 0) << r.err;
    // Escaped as vw-json writes every string (the state files too).
    EXPECT_TRUE(Contains(r.out, "\"domain\": \"q\\\"uote \\\\back\\\\slash\\ttab\\nline"
                                "\\u0001\\u001f\\u007f end \xc3\xa9\""))
        << r.out;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(json_parser_load_from_data(parser, r.out.c_str(), -1, &error))
        << r.out << ": " << error->message;
    JsonArray *rows = json_node_get_array(json_parser_get_root(parser));
    ASSERT_EQ(json_array_get_length(rows), 1u) << r.out;
    EXPECT_EQ(json_object_get_string_member(json_array_get_object_element(rows, 0), "domain"),
              name)
        << r.out;
}

namespace
{

// Write dnsmasq's lease file of network @net under @root, as dnsmasq would.
void
WriteDnsmasqLeases(const std::string &root, const std::string &net, const std::string &text)
{
    std::string run = root + "/run/virtwire/networks/" + net;
    ASSERT_EQ(g_mkdir_with_parents(run.c_str(), 0755), 0);
    ASSERT_TRUE(g_file_set_contents((run + "/leases").c_str(), text.c_str(), -1, nullptr));
}

} // namespace

// net-dhcp-leases shows dnsmasq's own lease file, as virsh net-dhcp-leases
// does: expiry as local time (epoch seconds too in JSON), MAC, protocol,
// address/prefix, host name, client id; expired leases are not shown, a MAC
// (positional or --mac) filters; net-leases still shows the reservations.
TEST_F(CliRoot, NetDhcpLeasesShowsDnsmasqsLeases)
{
    CliRun r = V({ "net-dhcp-leases", "demo" });
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(g_str_has_prefix(r.out.c_str(), " Expiry Time   MAC address   Protocol   "
                                                "IP address   Hostname   Client ID or DUID\n"))
        << r.out;
    r = V({ "--json", "net-dhcp-leases", "demo" });
    EXPECT_EQ(r.out, "[]\n") << "no lease file: no leases";

    WriteDnsmasqLeases(root_, "demo",
                       "4102444800 52:54:00:aa:00:01 10.77.0.5 q\"b\\s 01:52:54:00:aa:00:01\n"
                       "1000000000 52:54:00:aa:00:02 10.77.0.6 expired *\n"
                       "this line is garbage\n"
                       "0 52:54:00:aa:00:03 10.77.0.7 * *\n");
    std::vector<std::string> utc = { "TZ=UTC" };
    r = Virtwire({ "-r", root_.c_str(), "--json", "net-dhcp-leases", "demo" }, utc);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "[{\"expiry_time\": \"2100-01-01 00:00:00\", \"expiry\": 4102444800, "
                     "\"mac\": \"52:54:00:aa:00:01\", \"protocol\": \"ipv4\", \"address\": "
                     "\"10.77.0.5/24\", \"hostname\": \"q\\\"b\\\\s\", \"client_id\": "
                     "\"01:52:54:00:aa:00:01\"}, "
                     "{\"expiry_time\": null, \"expiry\": 0, \"mac\": \"52:54:00:aa:00:03\", "
                     "\"protocol\": \"ipv4\", \"address\": \"10.77.0.7/24\", \"hostname\": null, "
                     "\"client_id\": null}]\n");
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = nullptr;
    ASSERT_TRUE(json_parser_load_from_data(parser, r.out.c_str(), -1, &error)) << error->message;
    JsonObject *first =
        json_array_get_object_element(json_node_get_array(json_parser_get_root(parser)), 0);
    EXPECT_STREQ(json_object_get_string_member(first, "hostname"), "q\"b\\s");

    r = Virtwire({ "-r", root_.c_str(), "net-dhcp-leases", "demo" }, utc);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "\n 2100-01-01 00:00:00   52:54:00:aa:00:01   ipv4       "
                                "10.77.0.5/24   q\"b\\s      01:52:54:00:aa:00:01\n"))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "\n never                 52:54:00:aa:00:03   ipv4")) << r.out;
    EXPECT_FALSE(Contains(r.out, "expired")) << r.out;

    for (std::vector<const char *> mac :
         { std::vector<const char *>{ "52:54:00:AA:00:03" },
           std::vector<const char *>{ "--mac", "52:54:00:aa:00:03" } }) {
        std::vector<const char *> args = { "--json", "net-dhcp-leases", "demo" };
        args.insert(args.end(), mac.begin(), mac.end());
        r = V(args);
        EXPECT_EQ(r.code, 0) << r.err;
        EXPECT_TRUE(g_str_has_prefix(r.out.c_str(), "[{\"expiry_time\": null, \"expiry\": 0, "
                                                    "\"mac\": \"52:54:00:aa:00:03\""))
            << r.out;
        EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '{'), 1) << r.out;
    }

    r = V({ "net-dhcp-leases", "demo", "52:54:00:zz:00:03" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'52:54:00:zz:00:03'")) << r.err;
    EXPECT_EQ(r.out, "");
    r = V({ "net-dhcp-leases", "nosuch" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'nosuch'")) << r.err;
    r = V({ "net-dhcp-leases" });
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(Contains(r.err, "usage: virtwire net-dhcp-leases NETWORK")) << r.err;
    r = V({ "net-dhcp-leases", "demo", "52:54:00:aa:00:03", "--mac", "52:54:00:aa:00:01" });
    EXPECT_EQ(r.code, 2);
    r = V({ "net-dhcp-leases", "demo", "a", "b" });
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(Contains(r.err, "unexpected argument 'b'")) << r.err;

    // virtwire's reservations are another list: none here.
    r = V({ "--json", "net-leases", "demo" });
    EXPECT_EQ(r.out, "[]\n");
}

TEST_F(CliRoot, CommandsOnAMissingNetworkFailNamingIt)
{
    for (const char *cmd : { "net-start", "net-destroy", "net-info", "net-dumpxml", "net-autostart",
                             "net-leases", "port-list", "net-undefine" }) {
        CliRun r = V({ cmd, "nosuch" });
        EXPECT_EQ(r.code, 1) << cmd;
        EXPECT_TRUE(Contains(r.err, "'nosuch'")) << cmd << ": " << r.err;
        EXPECT_EQ(r.out, "") << cmd;
    }
    CliRun r = V({ "net-info", "../../etc" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'../../etc'")) << r.err;
}

TEST_F(CliRoot, NetUndefineRemovesTheDefinition)
{
    CliRun r = V({ "net-destroy", "demo" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'demo'")) << r.err;

    r = V({ "net-undefine", "demo" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "Network demo has been undefined\n");
    EXPECT_FALSE(
        g_file_test((root_ + "/etc/virtwire/networks/demo.xml").c_str(), G_FILE_TEST_EXISTS));
    r = V({ "net-list", "--all", "--name" });
    EXPECT_EQ(r.out, "");
    r = V({ "net-undefine", "demo" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'demo'")) << r.err;
}

TEST_F(CliRoot, AttachInterfaceConfigAddsPortMetadataAndPartition)
{
    CliRun r = V({ "attach-interface", "test", "demo", "--mac", "52:54:00:AB:CD:EF", "--queues",
                   "4", "--config", "--print-domain" });
    ASSERT_EQ(r.code, 0) << r.err;
    // what libvirt stored, read back from it in the same run
    EXPECT_TRUE(Contains(r.out, "<interface type='ethernet'>\n"
                                "      <mac address='52:54:00:ab:cd:ef'/>\n"
                                "      <target dev='vwt-"))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "' managed='no'/>\n      <model type='virtio'/>\n"
                                "      <driver queues='4'/>\n"))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "<virtwire:port mac=\"52:54:00:ab:cd:ef\" network=\"demo\"/>"))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "<partition>/virtwire/demo</partition>")) << r.out;

    // without --mac: a generated locally administered unicast address; the
    // message names the tap
    r = V({ "attach-interface", "test", "demo", "--model", "e1000", "--config" });
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(g_regex_match_simple("^Interface [0-9a-f][26ae](:[0-9a-f]{2}){5} "
                                     "\\(tap vwt-[0-9a-f]{10}\\) attached to domain test on "
                                     "network demo\n$",
                                     r.out.c_str(), (GRegexCompileFlags)0, (GRegexMatchFlags)0))
        << r.out;
}

TEST_F(CliRoot, AttachInterfaceRefusesBadInputNamingIt)
{
    CliRun r = V({ "attach-interface", "test", "nosuch" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'nosuch'")) << r.err;

    r = V({ "attach-interface", "nodomain", "demo" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'nodomain'")) << r.err;

    r = V({ "attach-interface", "test", "demo", "--mac", "01:00:5e:00:00:01", "--config" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'01:00:5e:00:00:01'")) << r.err;

    r = V({ "attach-interface", "test", "demo", "--mac", "52:54:00:zz:00:01", "--config" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'52:54:00:zz:00:01'")) << r.err;

    r = V({ "attach-interface", "test", "demo", "--model", "vir tio", "--config" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'vir tio'")) << r.err;

    // the test driver's MAC is taken already
    r = V({ "attach-interface", "test", "demo", "--mac", "aa:bb:cc:dd:ee:ff", "--config" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "aa:bb:cc:dd:ee:ff")) << r.err;

    // --live provisions the port first: the network must be running; so do
    // --current (the default) and --persistent of the running test domain
    for (const char *flag : { "--live", "--current", "--persistent" }) {
        r = V({ "attach-interface", "test", "demo", flag });
        EXPECT_EQ(r.code, 1) << flag;
        EXPECT_TRUE(Contains(r.err, "'demo'")) << r.err;
        EXPECT_TRUE(Contains(r.err, "not active")) << r.err;
        EXPECT_EQ(r.out, "");
    }
    r = V({ "attach-interface", "test", "demo" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "not active")) << "no flag is --current: live\n" << r.err;

    // as virsh: --current with --live, --config or --persistent is a usage error
    for (const char *flag : { "--live", "--config", "--persistent" }) {
        r = V({ "attach-interface", "test", "demo", "--current", flag });
        EXPECT_EQ(r.code, 2) << flag;
        EXPECT_TRUE(Contains(r.err, "--current")) << r.err;
        r = V({ "detach-interface", "test", "--mac", "52:54:00:00:00:01", "--current", flag });
        EXPECT_EQ(r.code, 2) << flag;
    }
    r = V({ "attach-interface", "test", "demo", "--queues", "-1" });
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(Contains(r.err, "-1")) << r.err;
    r = V({ "attach-interface", "test", "demo", "--queues", "300", "--config" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'300'")) << r.err;
}

TEST_F(CliRoot, DetachInterfaceRemovesWhatAttachAdded)
{
    CliRun r = V({ "attach-interface", "test", "demo", "--mac", "52:54:00:00:00:42", "--config",
                   "--print-domain" });
    ASSERT_EQ(r.code, 0) << r.err;
    std::string node = dir_.Write("node.xml", "<node>\n" + r.out + "</node>\n");
    std::string uri = "test://" + node;

    r = Virtwire({ "-r", root_.c_str(), "-c", uri.c_str(), "detach-interface", "test", "--mac",
                   "52:54:00:00:00:43", "--config" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "no virtwire interface with MAC address '52:54:00:00:00:43'"))
        << r.err;
    r = Virtwire({ "-r", root_.c_str(), "-c", uri.c_str(), "detach-interface", "test", "--mac",
                   "aa:bb:cc:dd:ee:ff", "--config" });
    EXPECT_EQ(r.code, 1) << "not a virtwire port";

    r = Virtwire({ "-r", root_.c_str(), "-c", uri.c_str(), "detach-interface", "test", "--mac",
                   "52:54:00:00:00:42", "--config", "--print-domain" });
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(Contains(r.out, "52:54:00:00:00:42")) << r.out;
    EXPECT_FALSE(Contains(r.out, "virtwire")) << r.out;
    EXPECT_TRUE(Contains(r.out, "<partition>/machine</partition>")) << r.out;
    EXPECT_TRUE(Contains(r.out, "aa:bb:cc:dd:ee:ff")) << "the other NIC stays\n" << r.out;

    r = Virtwire({ "-r", root_.c_str(), "-c", uri.c_str(), "detach-interface", "test", "--mac",
                   "52:54:00:00:00:42", "--config" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "Interface 52:54:00:00:00:42 detached from domain test\n");
}

TEST_F(CliRoot, BashCompletionCompletesCommandsOptionsAndNetworks)
{
    const char *lib = "/usr/share/bash-completion/bash_completion";
    if (!g_file_test(lib, G_FILE_TEST_IS_REGULAR))
        GTEST_SKIP() << "machine lacks: " << lib << " (package bash-completion)";
    g_autofree char *bindir = g_path_get_dirname(g_getenv("VW_VIRTWIRE"));
    std::string script = std::string("source ") + lib +
                         "\nsource " VW_SOURCE_ROOT "/tools/completion/virtwire.bash\n"
                         "t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1));"
                         " COMP_LINE=\"$*\"; COMP_POINT=${#COMP_LINE}; COMPREPLY=();"
                         " _virtwire virtwire \"${COMP_WORDS[-1]}\" \"${COMP_WORDS[-2]}\";"
                         " echo \"[${COMPREPLY[*]}]\"; }\n"
                         "t virtwire net-d\n"
                         "t virtwire --js\n"
                         "t virtwire -r " +
                         root_ +
                         " net-start ''\n"
                         "t virtwire attach-interface test demo --m\n"
                         "t virtwire help net-l\n"
                         "t virtwire net-e\n"
                         "t virtwire net-list --tr\n"
                         "t virtwire net-dumpxml --ina\n"
                         "t virtwire net-edit -r " + root_ + " ''\n"
                         "t virtwire net-list --qu\n"
                         "t virtwire --vers\n"
                         "t virtwire domif\n";
    std::string path = std::string("PATH=") + bindir + ":/usr/bin:/bin";
    const char *argv[] = { "/bin/bash", "-c", script.c_str(), nullptr };
    const char *envp[] = { path.c_str(), "LC_ALL=C", nullptr };
    g_autofree char *out = nullptr;
    int status = -1;
    ASSERT_TRUE(g_spawn_sync(nullptr, (char **)argv, (char **)envp, G_SPAWN_STDERR_TO_DEV_NULL,
                             nullptr, nullptr, &out, nullptr, &status, nullptr));
    EXPECT_STREQ(out, "[net-define net-destroy net-dhcp-leases net-dumpxml]\n"
                      "[--json]\n"
                      "[demo]\n"
                      "[--mac --model]\n"
                      "[net-leases net-list]\n"
                      "[net-edit]\n"
                      "[--transient]\n"
                      "[--inactive]\n"
                      "[demo]\n"
                      "[--quiet]\n"
                      "[--version]\n"
                      "[domiflist]\n");
}

namespace
{

// Run `sh -c SCRIPT` with $VW = the virtwire binary, in a clean environment
// plus @env; for what needs a pipe on stdin (net-edit's questions).
CliRun
Shell(const std::string &script, std::vector<std::string> env = {})
{
    CliRun r;
    std::string vw = std::string("VW=") + g_getenv("VW_VIRTWIRE");
    std::vector<std::string> envs = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", vw };
    envs.insert(envs.end(), env.begin(), env.end());
    std::vector<const char *> envp;
    for (const std::string &e : envs)
        envp.push_back(e.c_str());
    envp.push_back(nullptr);
    const char *argv[] = { "/bin/sh", "-c", script.c_str(), nullptr };
    g_autofree char *out = nullptr;
    g_autofree char *err = nullptr;
    int status = -1;
    EXPECT_TRUE(g_spawn_sync(nullptr, (char **)argv, (char **)envp.data(), G_SPAWN_DEFAULT,
                             nullptr, nullptr, &out, &err, &status, nullptr));
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    r.out = out ? out : "";
    r.err = err ? err : "";
    return r;
}

std::string
Uuid(const std::string &info_json)
{
    size_t at = info_json.find("\"uuid\": \"");
    return at == std::string::npos ? "" : info_json.substr(at + 9, 36);
}

} // namespace

// virsh users type the options after the command: the global ones are
// taken there too, with the same meaning as before it.
TEST_F(CliRoot, GlobalOptionsWorkBeforeOrAfterTheCommand)
{
    CliRun before = Virtwire({ "-r", root_.c_str(), "--json", "net-list", "--all" });
    ASSERT_EQ(before.code, 0) << before.err;
    CliRun after = Virtwire({ "net-list", "--all", "--json", "-r", root_.c_str() });
    ASSERT_EQ(after.code, 0) << after.err;
    EXPECT_EQ(after.out, before.out);
    EXPECT_TRUE(g_str_has_prefix(after.out.c_str(), "[{\"name\": \"demo\"")) << after.out;

    CliRun r = Virtwire({ "net-autostart", "demo", "-q", "-r", root_.c_str() });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "") << "--quiet after the command";
    r = Virtwire({ "net-info", "demo", "--connect", "test:///default", "--root", root_.c_str() });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "\nAutostart:  yes\n")) << r.out;

    r = Virtwire({ "net-list", "--root=" });
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(Contains(r.err, "'--root' needs a directory")) << r.err;
}

// `help COMMAND` and `COMMAND --help` print the synopsis and every option
// with its description; --version prints the versions.
TEST(CliHelp, HelpAndDashDashHelpDescribeTheOptions)
{
    CliRun a = Virtwire({ "help", "net-destroy" });
    EXPECT_EQ(a.code, 0) << a.err;
    CliRun b = Virtwire({ "net-destroy", "--help" });
    EXPECT_EQ(b.code, 0) << b.err;
    EXPECT_EQ(a.out, b.out);
    EXPECT_TRUE(g_str_has_prefix(a.out.c_str(),
                                 "Usage: virtwire [OPTION...] net-destroy NETWORK [--force]\n"))
        << a.out;
    EXPECT_TRUE(Contains(a.out, "\nOptions:\n      --force             Stop it even when ports "
                                "are plugged (their guests lose the network)\n"))
        << a.out;
    EXPECT_TRUE(Contains(a.out, "\n  -c, --connect=URI       libvirt connection URI")) << a.out;

    CliRun h = Virtwire({ "help", "hook-install" });
    EXPECT_TRUE(Contains(h.out, "      --hooks-dir=DIR     Directory of libvirt's qemu hooks\n"))
        << h.out;
    CliRun help = Virtwire({ "help", "help" });
    EXPECT_EQ(help.code, 0);
    EXPECT_TRUE(g_str_has_prefix(help.out.c_str(), "Usage: virtwire [OPTION...] help [COMMAND]"))
        << help.out;

    CliRun v = Virtwire({ "--version" });
    EXPECT_EQ(v.code, 0) << v.err;
    EXPECT_TRUE(g_str_has_prefix(v.out.c_str(), "virtwire " PACKAGE_VERSION "\n")) << v.out;
}

// Every command that takes a network takes its UUID too (any case).
TEST_F(CliRoot, NetworksAreNamedByNameOrUuid)
{
    CliRun r = V({ "--json", "net-info", "demo" });
    ASSERT_EQ(r.code, 0) << r.err;
    std::string uuid = Uuid(r.out);
    ASSERT_EQ(uuid.size(), 36u) << r.out;
    g_autofree char *upper = g_ascii_strup(uuid.c_str(), -1);

    r = V({ "net-info", upper });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(g_str_has_prefix(r.out.c_str(), "Name:       demo\n")) << r.out;
    r = V({ "net-dumpxml", uuid.c_str() });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "<name>demo</name>")) << r.out;
    r = V({ "net-autostart", uuid.c_str() });
    EXPECT_EQ(r.out, "Network demo marked as autostarted\n") << r.err;
    r = V({ "port-list", uuid.c_str() });
    EXPECT_EQ(r.code, 0) << r.err;

    const char other[] = "6695eb01-f6a4-8304-79aa-97f2502e0000";
    for (const char *cmd : { "net-info", "net-start", "net-undefine", "net-edit" }) {
        r = V({ cmd, other });
        EXPECT_EQ(r.code, 1) << cmd;
        EXPECT_TRUE(Contains(r.err, std::string("'") + other + "'")) << cmd << ": " << r.err;
    }
    r = V({ "net-undefine", uuid.c_str() });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "Network demo has been undefined\n");
}

// net-list's filters as virsh's, with the true values in the columns:
// every virtwire network is persistent (no net-create, no undefine while
// active), so --transient lists none.
TEST_F(CliRoot, NetListFiltersAsVirsh)
{
    std::string xml = dir_.Write("other.xml", "<network><name>other</name>"
                                              "<ip address='10.78.0.1' prefix='24'/></network>");
    CliRun r = Virtwire({ "-r", root_.c_str(), "net-define", xml.c_str() });
    ASSERT_EQ(r.code, 0) << r.err;
    r = V({ "net-autostart", "other" });
    ASSERT_EQ(r.code, 0) << r.err;

    EXPECT_EQ(V({ "net-list", "--all", "--name" }).out, "demo\nother\n");
    EXPECT_EQ(V({ "net-list", "--all", "--autostart", "--name" }).out, "other\n");
    EXPECT_EQ(V({ "net-list", "--inactive", "--no-autostart", "--name" }).out, "demo\n");
    EXPECT_EQ(V({ "net-list", "--all", "--autostart", "--no-autostart", "--name" }).out,
              "demo\nother\n");
    EXPECT_EQ(V({ "net-list", "--all", "--persistent", "--name" }).out, "demo\nother\n");
    EXPECT_EQ(V({ "net-list", "--all", "--transient", "--name" }).out, "");
    EXPECT_EQ(V({ "net-list", "--persistent", "--name" }).out, "") << "the active ones only";
    EXPECT_EQ(V({ "--json", "net-list", "--all", "--transient" }).out, "[]\n");

    std::string uuid = Uuid(V({ "--json", "net-info", "other" }).out);
    ASSERT_EQ(uuid.size(), 36u);
    EXPECT_EQ(V({ "net-list", "--all", "--autostart", "--uuid" }).out, uuid + "\n");
    EXPECT_EQ(V({ "net-list", "--all", "--autostart", "--uuid", "--name" }).out,
              uuid + "  other\n");
    r = V({ "net-list", "--all", "--autostart" });
    EXPECT_TRUE(Contains(r.out, "\n other   inactive   yes         yes ")) << r.out;
}

// net-edit as virsh's: $VISUAL, else $EDITOR, on the stored definition;
// unchanged says so; a refused definition is shown and offered again (y),
// or given up (n, or no answer) with nothing changed.
// net-edit names what the parser dropped as net-define does: one warning.
TEST_F(CliRoot, NetEditWarnsOnceAboutWhatItDrops)
{
    std::string editor = dir_.Write("editor.sh", "#!/bin/sh\n"
                                                 "sed -i 's#<network>#<network connections=\"2\">#' "
                                                 "\"$1\"\n");
    ASSERT_EQ(chmod(editor.c_str(), 0755), 0);
    CliRun r = Shell("\"$VW\" -r '" + root_ + "' net-edit demo </dev/null", { "EDITOR=" + editor });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.err, "ignored what virtwire does not use: connections='2'\n")) << r.err;
    EXPECT_EQ(r.out, "Network demo XML configuration edited.\n");
}

TEST_F(CliRoot, NetEditRunsTheEditorValidatesAndOffersToEditAgain)
{
    std::string count = dir_.path() + "/count";
    // 1st run: breaks the XML; 2nd: mends it and widens the range.
    std::string editor = dir_.Write("editor.sh", "#!/bin/sh\n"
                                                 "n=$(cat '" + count + "' 2>/dev/null || echo 0)\n"
                                                 "n=$((n + 1)); echo $n > '" + count + "'\n"
                                                 "if [ $n = 1 ]; then\n"
                                                 "  sed -i 's#</name>#</nme>#' \"$1\"\n"
                                                 "else\n"
                                                 "  sed -i 's#</nme>#</name>#; "
                                                 "s#10.77.0.100#10.77.0.150#' \"$1\"\n"
                                                 "fi\n");
    ASSERT_EQ(chmod(editor.c_str(), 0755), 0);
    std::string stored = root_ + "/etc/virtwire/networks/demo.xml";
    g_autofree char *orig = nullptr;
    ASSERT_TRUE(g_file_get_contents(stored.c_str(), &orig, nullptr, nullptr));
    std::string vw = "\"$VW\" -r '" + root_ + "' net-edit demo";

    // an editor that changes nothing
    CliRun r = Shell(vw + " </dev/null", { "EDITOR=true" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "Network demo XML configuration not changed.\n");

    // refused, then abort: nothing changed, the error shown
    r = Shell("echo n | " + vw, { "EDITOR=" + editor });
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_TRUE(Contains(r.err, "error: ")) << r.err;
    EXPECT_TRUE(Contains(r.out, "Failed. Try again? [y,n,?]: ")) << r.out;
    g_autofree char *now = nullptr;
    ASSERT_TRUE(g_file_get_contents(stored.c_str(), &now, nullptr, nullptr));
    EXPECT_STREQ(now, orig);
    // no answer at all is no, too
    g_unlink(count.c_str());
    r = Shell(vw + " </dev/null", { "EDITOR=" + editor });
    EXPECT_EQ(r.code, 1) << r.out;
    g_clear_pointer(&now, g_free);
    ASSERT_TRUE(g_file_get_contents(stored.c_str(), &now, nullptr, nullptr));
    EXPECT_STREQ(now, orig);

    // refused, "?" (the answers), then "y": the editor runs again on the
    // same file, and the mended definition is stored; $VISUAL wins
    g_unlink(count.c_str());
    r = Shell("printf '?\\ny\\n' | " + vw, { "EDITOR=false", "VISUAL=" + editor });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "y - edit the definition again\n")) << r.out;
    EXPECT_TRUE(g_str_has_suffix(r.out.c_str(), "Network demo XML configuration edited.\n"))
        << r.out;
    r = V({ "net-dumpxml", "demo" });
    EXPECT_TRUE(Contains(r.out, "end='10.77.0.150'")) << r.out;

    // an editor that fails: nothing changed
    r = Shell(vw + " </dev/null", { "EDITOR=false" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "editor 'false' failed")) << r.err;
}

// domiflist: every virtwire NIC of every domain, running or not, in virsh's
// domiflist shape plus the network, address and whether it is plugged;
// libvirt's own NICs are not listed.
TEST_F(CliRoot, DomiflistShowsTheVirtwireNicsOfEveryDomain)
{
    CliRun r =
        V({ "attach-interface", "test", "demo", "--mac", "52:54:00:00:00:51", "--config",
               "--print-domain" });
    ASSERT_EQ(r.code, 0) << r.err;
    // the same domain stopped, under another name and UUID, beside it
    std::string stopped = r.out;
    size_t at = stopped.find("<name>test</name>");
    ASSERT_NE(at, std::string::npos);
    stopped.replace(at, 17, "<name>off</name>");
    at = stopped.find("<uuid>");
    ASSERT_NE(at, std::string::npos);
    stopped.replace(at + 6, 36, "6695eb01-f6a4-8304-79aa-97f2502e0051");
    std::string node = dir_.Write("node.xml", "<node>\n" + r.out + stopped + "</node>\n");
    std::string uri = "test://" + node;

    r = Virtwire({ "-r", root_.c_str(), "-c", uri.c_str(), "--json", "domiflist" });
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "{\"domain\": \"test\", \"interface\": \"vwt-")) << r.out;
    EXPECT_TRUE(Contains(r.out, "\"type\": \"ethernet\", \"network\": \"demo\", \"model\": "
                                "\"virtio\", \"mac\": \"52:54:00:00:00:51\", \"ipv4\": null, "
                                "\"ipv6\": null, \"plugged\": false}"))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "{\"domain\": \"off\", ")) << r.out;
    EXPECT_FALSE(Contains(r.out, "aa:bb:cc:dd:ee:ff")) << "libvirt's own NIC\n" << r.out;

    r = Virtwire({ "-r", root_.c_str(), "-c", uri.c_str(), "domiflist", "off" });
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(g_str_has_prefix(r.out.c_str(), " Domain   Interface ")) << r.out;
    EXPECT_TRUE(Contains(r.out, " off      vwt-")) << r.out;
    EXPECT_FALSE(Contains(r.out, " test ")) << r.out;

    r = Virtwire({ "-r", root_.c_str(), "-c", uri.c_str(), "domiflist", "nosuch" });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "'nosuch'")) << r.err;
    r = V({ "domiflist", "a", "b" });
    EXPECT_EQ(r.code, 2);
}

// net-define takes what `virsh net-dumpxml` prints: what virtwire does not
// use is named in one warning line on stderr, what it honours comes back
// from net-dumpxml in virtwire's form, which defines it again without a warning.
TEST_F(CliRoot, NetDefineOfVirshXmlWarnsOnceAboutWhatItDrops)
{
    std::string xml =
        dir_.Write("virsh.xml", "<network connections='1'>\n"
                                "  <name>fromvirsh</name>\n"
                                "  <forward mode='nat'>\n"
                                "    <nat><port start='1024' end='65535'/></nat>\n"
                                "  </forward>\n"
                                "  <bridge name='virbr0' stp='on' delay='0'/>\n"
                                "  <mac address='52:54:00:F8:50:5D'/>\n"
                                "  <ip address='10.251.173.1' netmask='255.255.255.0'>\n"
                                "    <dhcp>\n"
                                "      <range start='10.251.173.2' end='10.251.173.254'/>\n"
                                "    </dhcp>\n"
                                "  </ip>\n"
                                "</network>\n");
    CliRun r = Virtwire({ "-r", root_.c_str(), "net-define", xml.c_str() });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "Network fromvirsh defined from " + xml + "\n");
    EXPECT_EQ(r.err, "warning: " + xml +
                         ": ignored what virtwire does not use: connections='1', delay='0', "
                         "<nat><port start='1024' end='65535'/>\n");

    r = V({ "net-dumpxml", "fromvirsh" });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "  <bridge name='virbr0' stp='on' mtu='1500'/>\n"
                                "  <mac address='52:54:00:f8:50:5d'/>\n"
                                "  <forward mode='nat'/>\n"
                                "  <ip family='ipv4' address='10.251.173.1' prefix='24'>\n"))
        << r.out;
    std::string again = dir_.Write("again.xml", r.out);
    r = Virtwire({ "-r", root_.c_str(), "net-define", again.c_str() });
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");

    // An attribute libvirt has and virtwire does not know is still refused.
    std::string zone = dir_.Write("zone.xml", "<network><name>zoned</name>"
                                              "<bridge name='virbr9' zone='trusted'/></network>");
    r = Virtwire({ "-r", root_.c_str(), "net-define", zone.c_str() });
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(Contains(r.err, "unknown attribute 'zone' in <bridge>")) << r.err;
    r = V({ "net-info", "zoned" });
    EXPECT_NE(r.code, 0);
}
