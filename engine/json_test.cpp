// Tests of the strict JSON layer: D-6 (what is invalid_json), D-5 (when two commands
// are identical), D-45 (compact output). Table driven: each row is an input and the
// expected outcome.
#include "engine/json.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/json_internal.h"

namespace accrue::engine {
namespace {

using namespace std::string_literals;

bool Parses(std::string_view text) {
  JsonValue v;
  std::string error;
  return ParseJsonObjectLine(text, &v, &error);
}

JsonValue MustParse(std::string_view text) {
  JsonValue v;
  std::string error;
  EXPECT_TRUE(ParseJsonValue(text, &v, &error)) << text << ": " << error;
  return v;
}

std::string Nested(int depth) {
  std::string s;
  for (int i = 0; i < depth - 1; ++i) s += "{\"a\":";
  s += "{}";
  for (int i = 0; i < depth - 1; ++i) s += "}";
  return s;
}

// D-6: every malformed kind is refused; the error names the fault.
TEST(JsonParse, RejectsMalformedLinesD6) {
  const std::vector<std::string> bad = {
      "",
      "   ",
      "[1,2,3]",                             // an array
      "null",                                // null
      "\"text\"",                            // a string
      "42",                                  // a number
      "{\"a\":1",                            // truncated
      "{\"command\":\"open_account\",",      // truncated after a comma (23/k53)
      "{\"a\":1,}",                          // trailing comma
      "{\"a\":[1,2,]}",                      // trailing comma in an array
      "{\"a\":1} x",                         // trailing data
      "{\"a\":1}{\"b\":2}",                  // two objects
      "{\"a\":1,\"a\":2}",                   // duplicate key
      "{\"a\":1,\"b\":{\"c\":1,\"c\":1}}",   // nested duplicate key
      "{\"x\":[{\"k\":1,\"k\":2}]}",         // duplicate inside an array element
      "{\"a\":NaN}",                         // NaN
      "{\"a\":Infinity}",                    // Infinity
      "{\"a\":-Infinity}",
      "{\"a\":01}",                          // leading zero
      "{\"a\":1.}",                          // missing fraction
      "{\"a\":.5}",
      "{\"a\":1e}",                          // missing exponent
      "{\"a\":+1}",
      "{\"a\":'x'}",                         // single quotes
      "{a:1}",                               // unquoted key
      "{\"a\":1 /* c */}",                   // comment
      "{\"a\":\"\x01\"}",                    // raw control character
      "{\"a\":\"\\x\"}",                     // bad escape
      "{\"a\":\"\xff\"}",                    // invalid UTF-8
      "{\"a\":\"\xc0\xaf\"}",                // overlong UTF-8
      "{\"a\":\"\xed\xa0\x80\"}",            // UTF-8-encoded surrogate
      "{\"a\":\"\\ud800\"}",                 // lone high surrogate escape
      "{\"a\":\"\\udc00\"}",                 // lone low surrogate escape
      "{\"\xff\":1}",                        // invalid UTF-8 in a key
      "{\"a\":\"\xc3\\u00a9\"}",              // truncated sequence, then an escape
      "{\"a\":\"\xe2\x82\\u0041\"}",          // truncated 3-byte sequence, then an escape
      "{\"a\":\"\\u00e9\xa9\"}",              // an escape, then a stray continuation byte
      "{\"a\":\"\xf4\x90\x80\x80\"}",         // beyond U+10FFFF
      "{\"\xc3\\u0041\":1}",                   // the same in a key
      std::string("{\"a\":1}\0", 8),         // raw NUL after the object
      std::string("{\"a\":\"x\0y\"}", 11),   // raw NUL in a string
      "{\"a\":tru}",
      "{\"a\":1}\n}",
  };
  for (const std::string& text : bad) {
    JsonValue v;
    std::string error;
    EXPECT_FALSE(ParseJsonObjectLine(text, &v, &error)) << "accepted: " << text;
    EXPECT_FALSE(error.empty()) << text;
  }
}

TEST(JsonParse, ErrorMessagesAreSpecific) {
  JsonValue v;
  std::string error;
  ASSERT_FALSE(ParseJsonObjectLine("{\"a\":1,\"a\":2}", &v, &error));
  EXPECT_NE(error.find("duplicate key \"a\""), std::string::npos) << error;
  ASSERT_FALSE(ParseJsonObjectLine("[1]", &v, &error));
  EXPECT_EQ(error, "not a JSON object");
}

// kMaxJsonDepth nested containers parse; one more is refused (no recursion either
// way: the parser is iterative).
TEST(JsonParse, DepthLimit) {
  EXPECT_TRUE(Parses(Nested(kMaxJsonDepth)));
  EXPECT_FALSE(Parses(Nested(kMaxJsonDepth + 1)));
  std::string deep_arrays = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_FALSE(Parses(deep_arrays));
}

TEST(JsonParse, AcceptsAndKeepsExactTokens) {
  JsonValue v = MustParse(
      " {\"s\":\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00 \\\"q\\\" \\u0000\", \"i\":-12,"
      "\"f\":1.50,\"e\":1E+3,\"big\":123456789012345678901234567890,"
      "\"t\":true,\"n\":null,\"arr\":[1,[2],{}]}\r\n");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.members.size(), 8u);
  EXPECT_EQ(v.members[0].first, "s");  // source order kept
  EXPECT_EQ(v.Find("s")->text, "caf\xc3\xa9 \xc3\xa9 \xf0\x9f\x98\x80 \"q\" \0"s);
  EXPECT_EQ(v.Find("i")->text, "-12");
  EXPECT_TRUE(v.Find("i")->is_integer_token());
  EXPECT_EQ(v.Find("f")->text, "1.50");
  EXPECT_FALSE(v.Find("f")->is_integer_token());
  EXPECT_EQ(v.Find("e")->text, "1E+3");
  EXPECT_FALSE(v.Find("e")->is_integer_token());
  EXPECT_EQ(v.Find("big")->text, "123456789012345678901234567890");
  EXPECT_TRUE(v.Find("t")->boolean);
  EXPECT_TRUE(v.Find("n")->is_null());
  EXPECT_EQ(v.Find("arr")->items.size(), 3u);
  EXPECT_EQ(v.Find("missing"), nullptr);
}

// Numbers beyond the double range are still JSON (D-31: interval_count has no upper
// bound); RapidJSON alone would refuse them, json.cpp masks them.
TEST(JsonParse, HugeNumbersKeepTheirTokens) {
  const std::string digits400(400, '7');
  JsonValue v = MustParse("{\"a\":" + digits400 + ",\"b\":1e400,\"c\":-0.5e-99999,\"d\":0e999}");
  EXPECT_EQ(v.Find("a")->text, digits400);
  EXPECT_EQ(v.Find("b")->text, "1e400");
  EXPECT_EQ(v.Find("c")->text, "-0.5e-99999");
  EXPECT_EQ(v.Find("d")->text, "0e999");
  // Masking must not make bad JSON good or hide a following error.
  EXPECT_FALSE(Parses("{\"a\":" + digits400 + ".}"));
  EXPECT_FALSE(Parses("{\"a\":" + digits400 + "x}"));
  EXPECT_FALSE(Parses("{\"a\":1e400e}"));
  // Number-like text inside strings is left alone.
  JsonValue s = MustParse("{\"a\":\"1e400 \\\" 12345678901234567890\"}");
  EXPECT_EQ(s.Find("a")->text, "1e400 \" 12345678901234567890");
}

TEST(JsonParse, WhitespaceOnlyAroundValue) {
  EXPECT_TRUE(Parses(" \t{ \"a\" : [ 1 , 2 ] }\r\n "));
}

// D-5: equality of parsed values.
struct EqualityCase {
  const char* a;
  const char* b;
  bool equal;
};

TEST(JsonEquality, D5Cases) {
  const std::vector<EqualityCase> cases = {
      {"{\"a\":1,\"b\":2}", "{ \"b\" : 2 , \"a\" : 1 }", true},  // key order, whitespace
      {"{\"a\":1}", "{\"a\":1.0}", false},                     // integer vs non-integer
      {"{\"a\":1}", "{\"a\":1e0}", false},
      {"{\"a\":1.0}", "{\"a\":1.00}", true},
      {"{\"a\":1.0}", "{\"a\":1e0}", true},
      {"{\"a\":1e0}", "{\"a\":10e-1}", true},
      {"{\"a\":1.5}", "{\"a\":15E-1}", true},
      {"{\"a\":100.0}", "{\"a\":1e2}", true},
      {"{\"a\":1e2}", "{\"a\":100}", false},
      {"{\"a\":0.0}", "{\"a\":-0.0}", true},
      {"{\"a\":0.0}", "{\"a\":0e5}", true},
      {"{\"a\":0}", "{\"a\":-0}", true},                        // integers by value
      {"{\"a\":0}", "{\"a\":0.0}", false},
      {"{\"a\":-1.5}", "{\"a\":1.5}", false},
      {"{\"a\":123456789012345678901234567890}", "{\"a\":123456789012345678901234567890}", true},
      {"{\"a\":123456789012345678901234567890}", "{\"a\":123456789012345678901234567891}", false},
      {"{\"a\":1e99999999999999999999}", "{\"a\":10e99999999999999999998}", true},
      {"{\"a\":1e-99999999999999999999}", "{\"a\":0.1e-99999999999999999998}", true},
      {"{\"a\":1e99999999999999999999}", "{\"a\":1e99999999999999999998}", false},
      {"{\"a\":\"x\"}", "{\"a\":\"X\"}", false},               // strings exact
      {"{\"a\":\"\\u00e9\"}", "{\"a\":\"\xc3\xa9\"}", true},   // same decoded string
      {"{\"a\":\"1\"}", "{\"a\":1}", false},
      {"{\"a\":[1,2]}", "{\"a\":[2,1]}", false},               // arrays ordered
      {"{\"a\":{\"x\":1,\"y\":[true,null]}}", "{\"a\":{\"y\":[true,null],\"x\":1}}", true},
      {"{\"a\":null}", "{}", false},
      {"{\"a\":true}", "{\"a\":false}", false},
      {"{\"a\":1}", "{\"a\":1,\"b\":1}", false},
  };
  for (const EqualityCase& c : cases) {
    const JsonValue a = MustParse(c.a);
    const JsonValue b = MustParse(c.b);
    EXPECT_EQ(JsonEqual(a, b), c.equal) << c.a << " vs " << c.b;
    EXPECT_EQ(JsonEqual(b, a), c.equal) << c.b << " vs " << c.a;
    EXPECT_EQ(CanonicalJson(a) == CanonicalJson(b), c.equal) << c.a << " vs " << c.b;
  }
}

TEST(JsonEquality, CanonicalNumbers) {
  EXPECT_EQ(CanonicalNumber("0"), "0");
  EXPECT_EQ(CanonicalNumber("-0"), "0");
  EXPECT_EQ(CanonicalNumber("-12"), "-12");
  EXPECT_EQ(CanonicalNumber("1.50"), "15e-1");
  EXPECT_EQ(CanonicalNumber("1.0"), "1e0");
  EXPECT_EQ(CanonicalNumber("1E+3"), "1e3");
  EXPECT_EQ(CanonicalNumber("0.00"), "0e0");
  EXPECT_EQ(CanonicalNumber("-0.000120"), "-12e-5");
  EXPECT_EQ(CanonicalNumber("100e-2"), "1e0");
  EXPECT_EQ(CanonicalNumber("5e9999999999999999999"), "5e9999999999999999999");
  EXPECT_EQ(CanonicalNumber("50e9999999999999999999"), "5e10000000000000000000");
  EXPECT_EQ(CanonicalNumber("0.5e-10000000000000000000"), "5e-10000000000000000001");
  EXPECT_EQ(CanonicalNumber("0.05e10000000000000000000"), "5e9999999999999999998");
}

// The canonical form is valid JSON and a fixed point: parse(canonical(v)) has the same
// canonical form, and is JsonEqual to v.
TEST(JsonEquality, CanonicalIsIdempotent) {
  const JsonValue v = MustParse(
      "{\"z\":[1.50,-0,{\"b\":\"\\n\\u0001\xc3\xa9\",\"a\":null}],\"a\":1e400,\"m\":false}");
  const std::string canonical = CanonicalJson(v);
  EXPECT_EQ(canonical,
            "{\"a\":1e400,\"m\":false,\"z\":[15e-1,0,{\"a\":null,\"b\":\"\\n\\u0001\xc3\xa9\"}]}");
  const JsonValue again = MustParse(canonical);
  EXPECT_EQ(CanonicalJson(again), canonical);
  EXPECT_TRUE(JsonEqual(v, again));
}

// CanonicalJsonWithout(o, k) is CanonicalJson of a copy of o without member k
// (the command hash), including objects with more members than its inline buffer.
TEST(JsonEquality, CanonicalWithoutOneMember) {
  std::string many = "{";
  for (int i = 40; i > 0; --i) many += "\"m" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  many += "\"idempotency_key\":\"k\"}";
  for (const std::string& text : {std::string("{\"b\":1.0,\"idempotency_key\":\"k\",\"a\":[{\"y\":1,\"x\":2}]}"),
                                 std::string("{\"a\":1}"), std::string("{}"), many}) {
    const JsonValue v = MustParse(text);
    JsonValue copy;
    copy.kind = JsonValue::Kind::kObject;
    for (const auto& m : v.members) {
      if (m.first != "idempotency_key") copy.members.push_back(m);
    }
    EXPECT_EQ(CanonicalJsonWithout(v, "idempotency_key"), CanonicalJson(copy)) << text;
  }
  EXPECT_EQ(CanonicalJsonWithout(MustParse("{\"b\":1.0,\"idempotency_key\":\"k\",\"a\":2}"), "idempotency_key"),
            "{\"a\":2,\"b\":1e0}");
}

// D-45: compact output, non-ASCII unescaped, control characters escaped.
TEST(JsonWriter, CompactOutput) {
  JsonWriter w;
  w.BeginObject();
  w.Key("idempotency_key");
  w.String("k1");
  w.Key("status");
  w.String("accepted");
  w.Key("position");
  w.Int(17);
  w.Key("events");
  w.BeginArray();
  w.String("AccountOpened");
  w.String("x");
  w.EndArray();
  w.Key("n");
  w.Null();
  w.Key("b");
  w.Bool(true);
  w.Key("u");
  w.UInt(18446744073709551615ull);
  w.Key("neg");
  w.Int(-5);
  w.Key("raw");
  w.Raw("{\"a\":[]}");
  w.Key("empty");
  w.BeginObject();
  w.EndObject();
  w.EndObject();
  EXPECT_EQ(w.str(),
            "{\"idempotency_key\":\"k1\",\"status\":\"accepted\",\"position\":17,"
            "\"events\":[\"AccountOpened\",\"x\"],\"n\":null,\"b\":true,"
            "\"u\":18446744073709551615,\"neg\":-5,\"raw\":{\"a\":[]},\"empty\":{}}");
  const std::string taken = w.Take();
  EXPECT_EQ(taken.size(), 167u);
}

TEST(JsonWriter, StringEscapes) {
  std::string out;
  const std::string raw = "a\"b\\c\n\r\t\b\f\x01\x1f\x7f caf\xc3\xa9 \0"s;
  AppendJsonString(&out, raw);
  EXPECT_EQ(out, std::string("\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\x7f caf\xc3\xa9 \\u0000\""));
  JsonValue v = MustParse("{\"s\":" + out + "}");
  EXPECT_EQ(v.Find("s")->text, raw);
}

TEST(JsonInternal, NumberTokenLength) {
  EXPECT_EQ(JsonNumberTokenLength("123,"), 3u);
  EXPECT_EQ(JsonNumberTokenLength("-0.5e+7]"), 7u);
  EXPECT_EQ(JsonNumberTokenLength("01"), 1u);
  EXPECT_EQ(JsonNumberTokenLength("1."), 1u);
  EXPECT_EQ(JsonNumberTokenLength("1e"), 1u);
  EXPECT_EQ(JsonNumberTokenLength("-"), 0u);
  EXPECT_EQ(JsonNumberTokenLength("x"), 0u);
}

TEST(JsonInternal, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));
  EXPECT_FALSE(IsValidUtf8("\xc1\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xe0\x9f\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xed\xbf\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\x80"));
}

// Text from outside (a command-line id) quoted in a message stays valid JSON.
TEST(JsonInternal, Utf8LossyReplacesEachBadByte) {
  EXPECT_EQ(Utf8Lossy("plain \xc3\xa9"), "plain \xc3\xa9");
  EXPECT_EQ(Utf8Lossy("a\xe9" "b"), "a\xef\xbf\xbd" "b");
  EXPECT_EQ(Utf8Lossy("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");        // truncated: each byte
  EXPECT_EQ(Utf8Lossy("\xed\xa0\x80!"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!");  // a surrogate
  EXPECT_TRUE(IsValidUtf8(Utf8Lossy("\xff\xfe\xc0\x80\xf4\x90\x80\x80")));
}

}  // namespace
}  // namespace accrue::engine
