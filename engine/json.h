// JSON: a strict reader that keeps number tokens exact, and a compact writer.
//
// Reading (D-6): exactly one JSON value (ParseJsonObjectLine additionally requires
// an object); duplicate keys in any object, NaN/Infinity, invalid UTF-8, trailing
// data, nesting deeper than kMaxJsonDepth are errors. Numbers are kept as their
// source token (never converted to binary floating point, R-M6), so "1" and "1.0"
// stay distinguishable (D-5, D-16). Parsing is RapidJSON's SAX reader
// (docs/decisions/0003-json-parser.md); the tree here is ours.
//
// Writing (D-45): compact UTF-8, non-ASCII unescaped, keys in the order written.
//
// Thread-safety: values and pure functions.
#ifndef ACCRUE_ENGINE_JSON_H_
#define ACCRUE_ENGINE_JSON_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accrue::engine {

// Deep enough for any well-formed JSON a person or program sends (commands nest 3
// levels); shallow enough that recursive walks of the tree stay small.
inline constexpr int kMaxJsonDepth = 512;
inline constexpr std::size_t kMaxJsonLineBytes = 1 << 20;  // contract: 1 MiB a line/body

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  // Declared and defaulted in json.cpp: with an implicit one, clang + libstdc++ 12
  // refuse the recursive std::pair<std::string, JsonValue> member (incomplete type).
  JsonValue();
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // kString: the decoded string; kNumber: the exact source token
  std::vector<JsonValue> items;                              // kArray
  std::vector<std::pair<std::string, JsonValue>> members;   // kObject, source order

  bool is_null() const { return kind == Kind::kNull; }
  bool is_string() const { return kind == Kind::kString; }
  bool is_number() const { return kind == Kind::kNumber; }
  bool is_object() const { return kind == Kind::kObject; }
  bool is_array() const { return kind == Kind::kArray; }
  // A number token without fraction or exponent ("12", "-3").
  bool is_integer_token() const;
  // The member named `key`, or nullptr.
  const JsonValue* Find(std::string_view key) const;
};

// Parses one JSON object (D-6); false with `error` set on any fault.
// The 1 MiB limit (kMaxJsonLineBytes) is the caller's check: an over-long line or
// body is payload_too_large before it is ever parsed.
bool ParseJsonObjectLine(std::string_view text, JsonValue* out, std::string* error);

// Parses exactly one JSON value of any kind with the rules of D-6; false with `error`
// set on any fault. ParseJsonObjectLine is this plus "the value is an object".
bool ParseJsonValue(std::string_view text, JsonValue* out, std::string* error);

// D-5 equality: key order and whitespace ignored; strings exact; integers by value;
// a non-integer number equals another non-integer of the same value (1.0 == 1e0),
// never an integer (1 != 1.0).
bool JsonEqual(const JsonValue& a, const JsonValue& b);

// A canonical byte form such that CanonicalJson(a) == CanonicalJson(b) exactly when
// JsonEqual(a, b). Used to hash commands for idempotency.
std::string CanonicalJson(const JsonValue& v);
// CanonicalJson of `object` (an object) without its member `skipped_key`, byte for
// byte what CanonicalJson gives for a copy without that member; no copy is made.
std::string CanonicalJsonWithout(const JsonValue& object, std::string_view skipped_key);

// Compact writer. Usage: w.BeginObject(); w.Key("a"); w.String("x"); w.EndObject();
class JsonWriter {
 public:
  JsonWriter() { out_.reserve(kJsonWriterReserveBytes); }
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view key);
  void String(std::string_view s);
  void Int(long long v);
  void UInt(unsigned long long v);
  void Bool(bool b);
  void Null();
  void Raw(std::string_view json);  // an already-encoded JSON value
  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separate();
  // Room reserved up front: a command's result fits, so it is written without
  // growing the buffer.
  static constexpr std::size_t kJsonWriterReserveBytes = 128;
  std::string out_;
  // Per open container, '1' while no element is written yet, else '0'. A string:
  // nesting up to its inline capacity (15) needs no allocation.
  std::string first_;
  bool after_key_ = false;
};

// Strict UTF-8: no overlong forms, no surrogates (U+D800..U+DFFF), <= U+10FFFF.
// Text that fails it cannot be written as a JSON string (D-6, D-45).
bool IsValidUtf8(std::string_view s);

// s with each byte that starts no valid UTF-8 sequence replaced by U+FFFD: for
// messages that quote text from outside (a command-line argument), which must
// still be valid JSON.
std::string Utf8Lossy(std::string_view s);

// Appends s as a JSON string literal (quotes included) to out: escapes '"', '\\'
// and control characters; leaves non-ASCII UTF-8 as is (D-45).
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_JSON_H_
