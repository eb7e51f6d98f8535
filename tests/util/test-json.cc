// src/util/vw-json: the strict JSON parser, the writer and the typed
// getters.  Suite unit.  json-glib (which wrote the state files before
// vw-json existed) is the reference for the output format and the getters.
#include <config.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <unistd.h>

#include "vw-json.h"
#include "vw-util-error.h"

namespace
{

std::string
Print(const VwJson *v)
{
    g_autofree char *s = vw_json_to_string(v);
    return s;
}

// Parse @text, which must be valid.
VwJson *
MustParse(const std::string &text)
{
    g_autoptr(GError) error = nullptr;
    VwJson *v = vw_json_parse(text.data(), (gssize)text.size(), "test", &error);
    EXPECT_NE(v, nullptr) << text << ": " << (error ? error->message : "");
    return v;
}

// Parse @text, which must be refused; returns the message.
std::string
MustFail(const std::string &text)
{
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwJson) v = vw_json_parse(text.data(), (gssize)text.size(), "in.json", &error);
    EXPECT_EQ(v, nullptr) << "accepted: " << text;
    if (!error) {
        ADD_FAILURE() << "no error for " << text;
        return "";
    }
    EXPECT_TRUE(g_error_matches(error, VW_UTIL_ERROR, VW_UTIL_ERROR_CORRUPT)) << error->message;
    EXPECT_NE(std::string(error->message).find("'in.json'"), std::string::npos) << error->message;
    return error->message;
}

#define EXPECT_REFUSED(text, fragment)                                                             \
    do {                                                                                           \
        std::string msg_ = MustFail(text);                                                         \
        EXPECT_NE(msg_.find(fragment), std::string::npos) << "message: " << msg_;                  \
    } while (0)

// json-glib's pretty output of the same text (the reference format).
std::string
JsonGlibPretty(const std::string &text)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = nullptr;
    if (!json_parser_load_from_data(parser, text.data(), (gssize)text.size(), &error)) {
        ADD_FAILURE() << "json-glib refuses " << text << ": " << error->message;
        return "";
    }
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_root(gen, json_parser_get_root(parser));
    g_autofree char *out = json_generator_to_data(gen, nullptr);
    return out;
}

std::string
TempFile(const std::string &content)
{
    g_autoptr(GError) error = nullptr;
    char *name = nullptr;
    int fd = g_file_open_tmp("vw-json-XXXXXX.json", &name, &error);
    EXPECT_GE(fd, 0) << (error ? error->message : "");
    if (fd >= 0)
        close(fd);
    std::string path = name ? name : "";
    g_free(name);
    EXPECT_TRUE(g_file_set_contents(path.c_str(), content.data(), (gssize)content.size(), nullptr));
    return path;
}

// A file removed at the end of the test, also when it fails.
struct FileGuard {
    std::string path;
    ~FileGuard()
    {
        if (!path.empty())
            g_unlink(path.c_str());
    }
};

} // namespace

// ------------------------------------------------------------ values

TEST(Json, ScalarsHaveTheirTypes)
{
    const struct {
        const char *text;
        VwJsonType type;
    } cases[] = {
        { "null", VW_JSON_NULL },       { "true", VW_JSON_BOOL },  { "false", VW_JSON_BOOL },
        { "0", VW_JSON_INT },           { "-0", VW_JSON_INT },     { "42", VW_JSON_INT },
        { "1.5", VW_JSON_DOUBLE },      { "1e3", VW_JSON_DOUBLE }, { "-2.5E-3", VW_JSON_DOUBLE },
        { "\"x\"", VW_JSON_STRING },    { "[]", VW_JSON_ARRAY },   { "{}", VW_JSON_OBJECT },
        { " \t\r\n7 \n", VW_JSON_INT },
    };
    for (const auto &c : cases) {
        g_autoptr(VwJson) v = MustParse(c.text);
        ASSERT_NE(v, nullptr);
        EXPECT_EQ(vw_json_get_type(v), c.type) << c.text;
    }
}

TEST(Json, IntegersAreExactOverTheWholeInt64Range)
{
    g_autoptr(VwJson) max = MustParse("9223372036854775807");
    g_autoptr(VwJson) min = MustParse("-9223372036854775808");
    ASSERT_NE(max, nullptr);
    ASSERT_NE(min, nullptr);
    EXPECT_EQ(vw_json_get_type(max), VW_JSON_INT);
    EXPECT_EQ(vw_json_get_int(max), G_MAXINT64);
    EXPECT_EQ(vw_json_get_type(min), VW_JSON_INT);
    EXPECT_EQ(vw_json_get_int(min), G_MININT64);
}

// Documented choice: an integer beyond gint64 is a double (RFC 8259 allows
// any magnitude); a number beyond the double range is refused.
TEST(Json, IntegerBeyondInt64IsADoubleAndBeyondDoubleIsRefused)
{
    g_autoptr(VwJson) big = MustParse("9223372036854775808");
    ASSERT_NE(big, nullptr);
    EXPECT_EQ(vw_json_get_type(big), VW_JSON_DOUBLE);
    EXPECT_DOUBLE_EQ(vw_json_get_double(big), 9223372036854775808.0);
    EXPECT_EQ(vw_json_get_int(big), G_MAXINT64); // clamped, not undefined behaviour
    g_autoptr(VwJson) neg = MustParse("-99999999999999999999");
    ASSERT_NE(neg, nullptr);
    EXPECT_EQ(vw_json_get_type(neg), VW_JSON_DOUBLE);
    EXPECT_EQ(vw_json_get_int(neg), G_MININT64);

    EXPECT_REFUSED("1e400", "number '1e400' is out of range");
    EXPECT_REFUSED("-1e400", "number '-1e400' is out of range");
    EXPECT_REFUSED(std::string(400, '9'), "is out of range");
}

TEST(Json, BadNumbersAreRefusedByName)
{
    EXPECT_REFUSED("01", "number '01' has a leading zero");
    EXPECT_REFUSED("-007", "number '-007' has a leading zero");
    EXPECT_REFUSED("[1, 00]", "number '00' has a leading zero");
    EXPECT_REFUSED("-", "invalid number '-'");
    EXPECT_REFUSED("1.", "invalid number '1.'");
    EXPECT_REFUSED("1.e5", "invalid number '1.e5'");
    EXPECT_REFUSED("1e", "invalid number '1e'");
    EXPECT_REFUSED("1e+", "invalid number '1e+'");
    EXPECT_REFUSED("-x", "invalid number '-x'");
    EXPECT_REFUSED(".5", "expected a value, found '.'");
    EXPECT_REFUSED("+1", "expected a value, found '+'");
    EXPECT_REFUSED("NaN", "expected a value, found 'N'");
    EXPECT_REFUSED("Infinity", "expected a value, found 'I'");
    EXPECT_REFUSED("0x10", "'x' after the value");
    EXPECT_REFUSED("1 2", "'2' after the value");
}

TEST(Json, EveryEscapeIsDecoded)
{
    g_autoptr(VwJson) v =
        MustParse(R"("\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u20AC \ud83d\ude00 \u0001")");
    ASSERT_NE(v, nullptr);
    EXPECT_STREQ(vw_json_get_string(v),
                 "\" \\ / \b \f \n \r \t A \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x01");
}

TEST(Json, RawUtf8IsKeptAndInvalidUtf8IsRefused)
{
    g_autoptr(VwJson) v = MustParse("\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
    ASSERT_NE(v, nullptr);
    EXPECT_STREQ(vw_json_get_string(v), "caf\xc3\xa9 \xf0\x9f\x98\x80");

    EXPECT_REFUSED("\"\xff\"", "invalid UTF-8 (byte 0xff)");
    EXPECT_REFUSED("\"\xc3\"", "invalid UTF-8 (byte 0xc3)");             // truncated
    EXPECT_REFUSED("\"\xc3(\"", "invalid UTF-8 (byte 0xc3)");            // bad continuation
    EXPECT_REFUSED("\"\xc0\xaf\"", "invalid UTF-8 (byte 0xc0)");         // overlong '/'
    EXPECT_REFUSED("\"\xe0\x80\xaf\"", "invalid UTF-8 (byte 0xe0)");     // overlong, 3 bytes
    EXPECT_REFUSED("\"\xed\xa0\x80\"", "invalid UTF-8 (byte 0xed)");     // encoded surrogate
    EXPECT_REFUSED("\"\xf4\x90\x80\x80\"", "invalid UTF-8 (byte 0xf4)"); // above U+10FFFF
    EXPECT_REFUSED("\"\x80\"", "invalid UTF-8 (byte 0x80)");
    EXPECT_REFUSED("{\"k\xfe\": 1}", "invalid UTF-8 (byte 0xfe)");         // in a member name too
    EXPECT_REFUSED("\xef\xbb\xbf{}", "expected a value, found byte 0xef"); // no BOM
}

TEST(Json, BadStringsAreRefusedByName)
{
    EXPECT_REFUSED("\"abc", "unterminated string");
    EXPECT_REFUSED("\"abc\\", "unterminated string");
    EXPECT_REFUSED("\"a\nb\"", "control character U+000A in a string");
    EXPECT_REFUSED(std::string("\"a\0b\"", 5), "control character U+0000 in a string");
    EXPECT_REFUSED(R"("\x")", "invalid escape: '\\' followed by 'x'");
    EXPECT_REFUSED(R"("\U0041")", "invalid escape: '\\' followed by 'U'");
    EXPECT_REFUSED(R"("\u12")", "invalid escape '\\u12\"': \\u needs four hexadecimal digits");
    EXPECT_REFUSED(R"("\u00g0")", "invalid escape '\\u00g0'");
    EXPECT_REFUSED(R"("\u0000")", "'\\u0000' (a NUL character) in a string");
    EXPECT_REFUSED(R"("\udc00")", "unpaired low surrogate '\\udc00'");
    EXPECT_REFUSED(R"("\ud800")", "unpaired high surrogate '\\ud800'");
    EXPECT_REFUSED(R"("\ud800x")", "unpaired high surrogate '\\ud800'");
    EXPECT_REFUSED(R"("\ud800\n")", "unpaired high surrogate '\\ud800'");
    EXPECT_REFUSED(R"("\ud800\u0041")", "high surrogate '\\ud800' followed by '\\u0041'");
    EXPECT_REFUSED(R"("\ud800\ud800")", "high surrogate '\\ud800' followed by '\\ud800'");
    EXPECT_REFUSED("'single'", "expected a value, found '''");
}

TEST(Json, StructureErrorsAreRefusedByName)
{
    EXPECT_REFUSED("", "no value (the input is empty)");
    EXPECT_REFUSED(" \n\t ", "no value (the input is empty)");
    EXPECT_REFUSED("{", "expected a member name (a string), found the end of the input");
    EXPECT_REFUSED("{\"a\"}", "expected ':' after a member name, found '}'");
    EXPECT_REFUSED("{\"a\": }", "expected a value, found '}'");
    EXPECT_REFUSED("{\"a\": 1,}", "expected a member name (a string), found '}'");
    EXPECT_REFUSED("{a: 1}", "expected a member name (a string), found 'a'");
    EXPECT_REFUSED("{\"a\": 1 \"b\": 2}", "expected ',' or '}' in an object, found '\"'");
    EXPECT_REFUSED("[1,]", "expected a value, found ']'");
    EXPECT_REFUSED("[1 2]", "expected ',' or ']' in an array, found '2'");
    EXPECT_REFUSED("[", "expected a value, found the end of the input");
    EXPECT_REFUSED("tru", "expected a value, found 't'");
    EXPECT_REFUSED("nul", "expected a value, found 'n'");
    EXPECT_REFUSED("{} x", "'x' after the value");
    EXPECT_REFUSED("{}{}", "'{' after the value");
    EXPECT_REFUSED(std::string("{}\0", 3), "byte 0x00 after the value");
    EXPECT_REFUSED("/* c */ {}", "expected a value, found '/'");
}

TEST(Json, DuplicateMemberNamesAreRefused)
{
    EXPECT_REFUSED("{\"a\": 1, \"a\": 2}", "duplicate member name 'a'");
    EXPECT_REFUSED(R"({"a": 1, "\u0061": 2})", "duplicate member name 'a'"); // after unescaping
    // Objects large enough to be indexed by a hash table.
    std::string big = "{";
    for (int i = 0; i < 100; i++)
        big += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ", ";
    EXPECT_REFUSED(big + "\"k57\": 0}", "duplicate member name 'k57'");
    g_autoptr(VwJson) ok = MustParse(big + "\"last\": 0}");
    ASSERT_NE(ok, nullptr);
    EXPECT_EQ(vw_json_object_get_size(ok), 101u);
    EXPECT_EQ(vw_json_get_int(vw_json_object_get(ok, "k99")), 99);
    EXPECT_EQ(vw_json_object_get(ok, "k100"), nullptr);
    // Same names in different objects are fine.
    g_autoptr(VwJson) nested = MustParse(R"({"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}]})");
    EXPECT_NE(nested, nullptr);
}

TEST(Json, ErrorsGiveLineColumnAndByte)
{
    std::string msg = MustFail("{\n  \"a\": 1,\n  \"b\": tru\n}");
    EXPECT_NE(msg.find("at line 3, column 8 (byte 19)"), std::string::npos) << msg;
    // Columns count characters: "é" is one column, two bytes.
    msg = MustFail("[\"\xc3\xa9\", x]");
    EXPECT_NE(msg.find("line 1, column 7 (byte 7)"), std::string::npos) << msg;
}

TEST(Json, DepthIsLimited)
{
    std::string ok = std::string(VW_JSON_MAX_DEPTH, '[') + std::string(VW_JSON_MAX_DEPTH, ']');
    g_autoptr(VwJson) v = MustParse(ok);
    EXPECT_NE(v, nullptr);
    std::string deep =
        std::string(VW_JSON_MAX_DEPTH + 1, '[') + std::string(VW_JSON_MAX_DEPTH + 1, ']');
    EXPECT_REFUSED(deep, "nested deeper than 64 levels");
    // Far deeper input is refused the same way (no stack exhaustion).
    EXPECT_REFUSED(std::string(1000000, '['), "nested deeper than 64 levels");
    std::string objs;
    for (int i = 0; i <= VW_JSON_MAX_DEPTH; i++)
        objs += "{\"a\": ";
    EXPECT_REFUSED(objs, "nested deeper than 64 levels");
}

TEST(Json, SizeIsLimited)
{
    // The limit is checked before anything is read: the text need not exist.
    g_autoptr(GError) error = nullptr;
    static const char one[] = "1";
    g_autoptr(VwJson) v = vw_json_parse(one, (gssize)VW_JSON_MAX_SIZE + 1, "big.json", &error);
    EXPECT_EQ(v, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find("more than the limit of 67108864"),
              std::string::npos)
        << error->message;

    // A file over the limit is refused without being read.
    FileGuard f{ TempFile("") };
    ASSERT_EQ(truncate(f.path.c_str(), (off_t)VW_JSON_MAX_SIZE + 1), 0);
    g_clear_error(&error);
    g_autoptr(VwJson) w = vw_json_parse_file(f.path.c_str(), &error);
    EXPECT_EQ(w, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_UTIL_ERROR, VW_UTIL_ERROR_CORRUPT));
    EXPECT_NE(std::string(error->message).find(f.path), std::string::npos) << error->message;
    EXPECT_NE(std::string(error->message).find("67108865 bytes"), std::string::npos)
        << error->message;
}

TEST(Json, ParseFileNamesTheFile)
{
    FileGuard f{ TempFile("{\"a\": [1, 2,]}") };
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwJson) v = vw_json_parse_file(f.path.c_str(), &error);
    EXPECT_EQ(v, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error->message).find("'" + f.path + "' at line 1, column 13"),
              std::string::npos)
        << error->message;

    g_clear_error(&error);
    std::string missing = f.path + ".missing";
    g_autoptr(VwJson) m = vw_json_parse_file(missing.c_str(), &error);
    EXPECT_EQ(m, nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_TRUE(g_error_matches(error, VW_UTIL_ERROR, VW_UTIL_ERROR_IO));
    EXPECT_NE(std::string(error->message).find(missing), std::string::npos) << error->message;
}

TEST(Json, TextNeedNotBeNulTerminated)
{
    const char text[] = "[1, 2]garbage";
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwJson) v = vw_json_parse(text, 6, nullptr, &error);
    ASSERT_NE(v, nullptr) << error->message;
    EXPECT_EQ(vw_json_array_get_length(v), 2u);
    // A number at the very end of a non-terminated buffer.
    g_autoptr(VwJson) n = vw_json_parse(text + 1, 1, nullptr, &error);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(vw_json_get_int(n), 1);
}

// ------------------------------------------------------------ writer

TEST(Json, WriterKeepsInsertionOrderAndReplacesInPlace)
{
    g_autoptr(VwJson) o = vw_json_new_object();
    vw_json_object_set_int(o, "z", 1);
    vw_json_object_set_string(o, "a", "x");
    vw_json_object_set_bool(o, "m", TRUE);
    vw_json_object_set_string(o, "z", nullptr); // replaced, stays first
    EXPECT_EQ(Print(o), "{\n  \"z\" : null,\n  \"a\" : \"x\",\n  \"m\" : true\n}");
}

TEST(Json, WriterOutputIsJsonGlibPrettyOutput)
{
    const char *docs[] = {
        R"({"state": "active", "index": 1, "group": 4097})",
        R"({"a": [], "b": {}, "c": [1, [2, {"d": null}], {"e": false}], "f": -9223372036854775808})",
        R"(["\" \\ \/ \b \f \n \r \t \u0001 \u001e \u007f \u00e9 \u2028 \ud83d\ude00"])",
        R"({"a": {}, "b": {"c": {}, "d": [{}, []]}})",
        R"({"nested": {"deeper": {"deepest": [true, false, null, "s"]}}})",
        R"([])",
        R"({})",
        R"("just a string")",
        R"(12)",
        R"({"d": 0.5, "e": -2.25, "f": 1e300, "g": 1.0})",
    };
    for (const char *doc : docs) {
        g_autoptr(VwJson) v = MustParse(doc);
        ASSERT_NE(v, nullptr);
        EXPECT_EQ(Print(v), JsonGlibPretty(doc)) << doc;
    }
}

TEST(Json, EveryByteOfAStringRoundTrips)
{
    // All of U+0001..U+007F, then some multi-byte characters.
    std::string s;
    for (int c = 1; c < 0x80; c++)
        s += (char)c;
    s += "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf";
    g_autoptr(VwJson) o = vw_json_new_object();
    vw_json_object_set_string(o, s.c_str(), s.c_str()); // as a name and as a value
    std::string text = Print(o);

    g_autoptr(VwJson) back = MustParse(text);
    ASSERT_NE(back, nullptr);
    EXPECT_STREQ(vw_json_object_get_string_member_with_default(back, s.c_str(), nullptr),
                 s.c_str());
    EXPECT_EQ(Print(back), text);

    // json-glib reads it the same and prints it the same, but for U+001F,
    // which it writes raw (invalid JSON, refused by vw_json_parse()).
    EXPECT_REFUSED("\"\x1f\"", "control character U+001F in a string");
    g_autoptr(JsonParser) parser = json_parser_new();
    ASSERT_TRUE(json_parser_load_from_data(parser, text.c_str(), -1, nullptr));
    JsonObject *jo = json_node_get_object(json_parser_get_root(parser));
    EXPECT_STREQ(json_object_get_string_member(jo, s.c_str()), s.c_str());
    std::string theirs = JsonGlibPretty(text);
    size_t at;
    while ((at = theirs.find('\x1f')) != std::string::npos)
        theirs.replace(at, 1, "\\u001f");
    EXPECT_EQ(theirs, text);
}

// vw_json_append_string() is the one JSON string writer (the state files,
// the lease file and the command line's --json all use it): whatever bytes
// it is given, what it writes is one valid JSON string, which both parsers
// read back as the same text; bytes that are not UTF-8 become U+FFFD.
TEST(Json, AppendStringTurnsHostileStringsIntoValidJson)
{
    const struct {
        const char *in;
        const char *written;
        const char *read_back; // nullptr: the same as @in
    } cases[] = {
        { "", "\"\"", nullptr },
        { "plain", "\"plain\"", nullptr },
        { "quote\" back\\slash", "\"quote\\\" back\\\\slash\"", nullptr },
        { "\"\\\"\\", "\"\\\"\\\\\\\"\\\\\"", nullptr },
        { "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"", nullptr },
        { "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"", nullptr },
        { "</script>\u2028", "\"</script>\u2028\"", nullptr },
        { "caf\xc3\xa9 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", nullptr },
        // Not UTF-8: a stray continuation byte, a cut sequence, an overlong
        // '/', a surrogate, a byte never in UTF-8.
        { "a\x80z", "\"a\\ufffdz\"", "a\xef\xbf\xbdz" },
        { "a\xc3", "\"a\\ufffd\"", "a\xef\xbf\xbd" },
        { "\xc0\xaf", "\"\\ufffd\\ufffd\"", "\xef\xbf\xbd\xef\xbf\xbd" },
        { "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"",
          "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
        { "\xff\"", "\"\\ufffd\\\"\"", "\xef\xbf\xbd\"" },
    };
    for (const auto &c : cases) {
        g_autoptr(GString) out = g_string_new(nullptr);
        vw_json_append_string(out, c.in);
        EXPECT_STREQ(out->str, c.written) << c.in;
        const char *want = c.read_back ? c.read_back : c.in;

        g_autoptr(VwJson) back = MustParse(out->str);
        ASSERT_NE(back, nullptr) << out->str;
        EXPECT_STREQ(vw_json_get_string(back), want) << out->str;
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = nullptr;
        ASSERT_TRUE(json_parser_load_from_data(parser, out->str, -1, &error))
            << out->str << ": " << error->message;
        EXPECT_STREQ(json_node_get_string(json_parser_get_root(parser)), want) << out->str;
    }
    g_autoptr(GString) null = g_string_new("x=");
    vw_json_append_string(null, nullptr);
    EXPECT_STREQ(null->str, "x=null");
}

TEST(Json, DoublesRoundTripAsDoubles)
{
    const double values[] = { 0.0, 1.0, -1.0, 0.1, 1e300, -2.5e-300, 123456789.125 };
    for (double d : values) {
        g_autoptr(VwJson) v = vw_json_new_double(d);
        std::string text = Print(v);
        g_autoptr(VwJson) back = MustParse(text);
        ASSERT_NE(back, nullptr);
        EXPECT_EQ(vw_json_get_type(back), VW_JSON_DOUBLE) << text;
        EXPECT_EQ(vw_json_get_double(back), d) << text;
    }
}

TEST(Json, ArraysAndObjectsCanBeWalked)
{
    g_autoptr(VwJson) v = MustParse(R"({"b": [1, "two", null], "a": {"x": true}})");
    ASSERT_NE(v, nullptr);
    ASSERT_EQ(vw_json_object_get_size(v), 2u);
    VwJson *value = nullptr;
    EXPECT_STREQ(vw_json_object_get_member_at(v, 0, &value), "b");
    ASSERT_EQ(vw_json_array_get_length(value), 3u);
    EXPECT_EQ(vw_json_get_int(vw_json_array_get(value, 0)), 1);
    EXPECT_STREQ(vw_json_get_string(vw_json_array_get(value, 1)), "two");
    EXPECT_EQ(vw_json_get_type(vw_json_array_get(value, 2)), VW_JSON_NULL);
    EXPECT_STREQ(vw_json_object_get_member_at(v, 1, nullptr), "a");
    EXPECT_EQ(vw_json_array_get_length(v), 0u);         // not an array
    EXPECT_EQ(vw_json_object_get_size(value), 0u);      // not an object
    EXPECT_EQ(vw_json_object_get(value, "b"), nullptr); // not an object
}

// ------------------------------------------------------------ getters

// The *_with_default getters give what json-glib's give, for every kind of
// member (the engine's readers rely on these rules).
TEST(Json, GettersWithDefaultMatchJsonGlib)
{
    const char *members[] = {
        "", // absent
        R"("m": null)",
        R"("m": true)",
        R"("m": false)",
        R"("m": 0)",
        R"("m": 7)",
        R"("m": -3)",
        R"("m": 1.9)",
        R"("m": -1.9)",
        R"("m": 0.0)",
        R"("m": 1e10)",
        R"("m": "")",
        R"("m": "5")",
        R"("m": "text")",
        R"("m": 9223372036854775807)",
    };
    for (const char *m : members) {
        std::string doc = std::string("{") + m + "}";
        g_autoptr(VwJson) v = MustParse(doc);
        ASSERT_NE(v, nullptr);
        g_autoptr(JsonParser) parser = json_parser_new();
        ASSERT_TRUE(json_parser_load_from_data(parser, doc.c_str(), -1, nullptr));
        JsonObject *jo = json_node_get_object(json_parser_get_root(parser));

        for (gint64 def : { (gint64)-1, (gint64)77 })
            EXPECT_EQ(vw_json_object_get_int_member_with_default(v, "m", def),
                      json_object_get_int_member_with_default(jo, "m", def))
                << doc;
        for (gboolean def : { (gboolean)FALSE, (gboolean)TRUE })
            EXPECT_EQ(vw_json_object_get_bool_member_with_default(v, "m", def),
                      json_object_get_boolean_member_with_default(jo, "m", def))
                << doc;
        for (const char *def : { (const char *)nullptr, "DEF" }) {
            const char *mine = vw_json_object_get_string_member_with_default(v, "m", def);
            const char *theirs = json_object_get_string_member_with_default(jo, "m", def);
            EXPECT_EQ(mine == nullptr, theirs == nullptr) << doc;
            if (mine && theirs) {
                EXPECT_STREQ(mine, theirs) << doc;
            }
        }
    }
}

// json-glib warns (g_critical) for a member holding an array or an object,
// so that case is checked against the documented rule: the default.
TEST(Json, GettersWithDefaultGiveTheDefaultForContainers)
{
    g_autoptr(VwJson) v = MustParse(R"({"a": [1], "o": {"x": 1}})");
    ASSERT_NE(v, nullptr);
    for (const char *m : { "a", "o" }) {
        EXPECT_EQ(vw_json_object_get_int_member_with_default(v, m, 5), 5);
        EXPECT_EQ(vw_json_object_get_bool_member_with_default(v, m, TRUE), TRUE);
        EXPECT_STREQ(vw_json_object_get_string_member_with_default(v, m, "d"), "d");
    }
}

// ------------------------------------------------------------ compatibility

// Files exactly as json-glib wrote them before vw-json (from a run of the
// engine test suite), read back identically and written back byte for byte.
TEST(Json, StatusFileWrittenByJsonGlibReadsBackIdentically)
{
    const std::string file =
        "{\n  \"state\" : \"active\",\n  \"index\" : 3,\n  \"group\" : 4099\n}";
    g_autoptr(VwJson) v = MustParse(file);
    ASSERT_NE(v, nullptr);
    EXPECT_STREQ(vw_json_object_get_string_member_with_default(v, "state", nullptr), "active");
    EXPECT_EQ(vw_json_object_get_int_member_with_default(v, "index", 0), 3);
    EXPECT_EQ(vw_json_object_get_int_member_with_default(v, "group", 0), 4099);

    g_autoptr(VwJson) w = vw_json_new_object();
    vw_json_object_set_string(w, "state", "active");
    vw_json_object_set_int(w, "index", 3);
    vw_json_object_set_int(w, "group", 4099);
    EXPECT_EQ(Print(w), file);
    EXPECT_EQ(Print(v), file);
}

TEST(Json, PortRecordWrittenByJsonGlibReadsBackIdentically)
{
    const std::string file = "{\n"
                             "  \"state\" : \"plugged\",\n"
                             "  \"network\" : \"lan\",\n"
                             "  \"domain_uuid\" : \"c7a5fdbd-cdaf-9455-926a-d65c16db1809\",\n"
                             "  \"domain_name\" : null,\n"
                             "  \"mac\" : \"52:54:00:12:34:56\",\n"
                             "  \"tap\" : \"vw1a2b3c4d5e6f7\",\n"
                             "  \"host\" : \"vh1a2b3c4d5e6f7\",\n"
                             "  \"peer\" : \"vp1a2b3c4d5e6f7\",\n"
                             "  \"queues\" : 1,\n"
                             "  \"owner\" : -1,\n"
                             "  \"group\" : 4097,\n"
                             "  \"new_lease\" : true\n"
                             "}";
    g_autoptr(VwJson) v = MustParse(file);
    ASSERT_NE(v, nullptr);
    EXPECT_STREQ(vw_json_object_get_string_member_with_default(v, "state", nullptr), "plugged");
    EXPECT_STREQ(vw_json_object_get_string_member_with_default(v, "domain_uuid", nullptr),
                 "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
    EXPECT_EQ(vw_json_object_get_string_member_with_default(v, "domain_name", nullptr), nullptr);
    EXPECT_STREQ(vw_json_object_get_string_member_with_default(v, "peer", nullptr),
                 "vp1a2b3c4d5e6f7");
    EXPECT_EQ(vw_json_object_get_int_member_with_default(v, "queues", 1), 1);
    EXPECT_EQ(vw_json_object_get_int_member_with_default(v, "owner", 0), -1);
    EXPECT_EQ(vw_json_object_get_int_member_with_default(v, "group", -1), 4097);
    EXPECT_TRUE(vw_json_object_get_bool_member_with_default(v, "new_lease", FALSE));
    EXPECT_EQ(Print(v), file);

    // The same record built as engine_write_port() builds it, with json-glib
    // as engine_write_port() did before: the same bytes.
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(VwJson) w = vw_json_new_object();
    json_builder_begin_object(b);
    const char *strs[][2] = {
        { "state", "plugged" },
        { "network", "lan" },
        { "domain_uuid", "c7a5fdbd-cdaf-9455-926a-d65c16db1809" },
        { "domain_name", nullptr },
        { "mac", "52:54:00:12:34:56" },
        { "tap", "vw1a2b3c4d5e6f7" },
        { "host", "vh1a2b3c4d5e6f7" },
        { "peer", "vp1a2b3c4d5e6f7" },
    };
    for (const auto &s : strs) {
        json_builder_set_member_name(b, s[0]);
        if (s[1])
            json_builder_add_string_value(b, s[1]);
        else
            json_builder_add_null_value(b);
        vw_json_object_set_string(w, s[0], s[1]);
    }
    const std::pair<const char *, gint64> ints[] = { { "queues", 1 },
                                                     { "owner", -1 },
                                                     { "group", 4097 } };
    for (const auto &i : ints) {
        json_builder_set_member_name(b, i.first);
        json_builder_add_int_value(b, i.second);
        vw_json_object_set_int(w, i.first, i.second);
    }
    json_builder_set_member_name(b, "new_lease");
    json_builder_add_boolean_value(b, TRUE);
    vw_json_object_set_bool(w, "new_lease", TRUE);
    json_builder_end_object(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_root(gen, root);
    g_autofree char *theirs = json_generator_to_data(gen, nullptr);
    EXPECT_EQ(Print(w), theirs);
    EXPECT_EQ(Print(w), file);
}

// Verbatim copies of the files the json-glib engine (before vw-json) wrote
// for a started network and a plugged port (vw-engine-driver in a
// temporary root).
TEST(Json, RealStateFilesOfTheJsonGlibEngineReadAndWriteBackTheSame)
{
    const std::string status = "{\n"
                               "  \"state\" : \"active\",\n"
                               "  \"index\" : 1,\n"
                               "  \"group\" : 1987510273\n"
                               "}";
    const std::string port = "{\n"
                             "  \"state\" : \"plugged\",\n"
                             "  \"network\" : \"vwjcompat\",\n"
                             "  \"domain_uuid\" : \"c7a5fdbd-cdaf-9455-926a-d65c16db1809\",\n"
                             "  \"domain_name\" : \"dom \\\"one\\\"\",\n"
                             "  \"mac\" : \"52:54:00:12:34:56\",\n"
                             "  \"tap\" : \"vwt-875a1a9cc2\",\n"
                             "  \"host\" : \"vwh-875a1a9cc2\",\n"
                             "  \"peer\" : \"vwn-875a1a9cc2\",\n"
                             "  \"queues\" : 1,\n"
                             "  \"owner\" : -1,\n"
                             "  \"group\" : -1,\n"
                             "  \"new_lease\" : false\n"
                             "}";
    FileGuard sf{ TempFile(status) };
    FileGuard pf{ TempFile(port) };
    g_autoptr(GError) error = nullptr;
    g_autoptr(VwJson) s = vw_json_parse_file(sf.path.c_str(), &error);
    ASSERT_NE(s, nullptr) << error->message;
    EXPECT_STREQ(vw_json_object_get_string_member_with_default(s, "state", nullptr), "active");
    EXPECT_EQ(vw_json_object_get_int_member_with_default(s, "index", 0), 1);
    EXPECT_EQ(vw_json_object_get_int_member_with_default(s, "group", 0), 1987510273);
    EXPECT_EQ(Print(s), status);

    g_autoptr(VwJson) p = vw_json_parse_file(pf.path.c_str(), &error);
    ASSERT_NE(p, nullptr) << error->message;
    EXPECT_STREQ(vw_json_object_get_string_member_with_default(p, "domain_name", nullptr),
                 "dom \"one\"");
    EXPECT_STREQ(vw_json_object_get_string_member_with_default(p, "tap", nullptr),
                 "vwt-875a1a9cc2");
    EXPECT_EQ(vw_json_object_get_int_member_with_default(p, "queues", 0), 1);
    EXPECT_EQ(vw_json_object_get_int_member_with_default(p, "owner", 0), -1);
    EXPECT_EQ(vw_json_object_get_int_member_with_default(p, "group", 0), -1);
    EXPECT_FALSE(vw_json_object_get_bool_member_with_default(p, "new_lease", TRUE));
    EXPECT_EQ(Print(p), port);
    // Each reads the same with json-glib as with vw-json (member for member).
    EXPECT_EQ(JsonGlibPretty(status), status);
    EXPECT_EQ(JsonGlibPretty(port), port);
}
