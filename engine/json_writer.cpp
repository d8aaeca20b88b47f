// Compact JSON output (D-45): no whitespace, keys in the order written, UTF-8 passed
// through unescaped, '"', '\\' and control characters (< 0x20) escaped.
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "engine/json.h"
#include "events/assert.h"

namespace accrue::engine {

namespace {

// True for the bytes AppendJsonString copies as they are (everything but '"',
// '\\' and control characters).
constexpr bool IsPlain(unsigned char u) { return u >= 0x20 && u != '"' && u != '\\'; }

// The end of the run of plain bytes starting at s[i]. Eight bytes at a time while
// none of them needs escaping: with k = 0x0101..01, (x - k * n) & ~x & 0x8080..80 is
// non-zero exactly when some byte of x is below n (n <= 0x80), and x ^ (k * c) has a
// zero byte exactly where x has byte c.
std::size_t PlainRunEnd(std::string_view s, std::size_t i) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  while (i + sizeof(uint64_t) <= s.size()) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, sizeof w);
    const uint64_t quote = w ^ (kOnes * '"');
    const uint64_t backslash = w ^ (kOnes * '\\');
    const uint64_t special =
        ((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash);
    if ((special & kHigh) != 0) break;
    i += sizeof(uint64_t);
  }
  while (i < s.size() && IsPlain(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + s.size() + 2);
  out->push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    // A run of plain bytes is appended in one go.
    const std::size_t run = PlainRunEnd(s, i);
    if (run > i) out->append(s.data() + i, run - i);
    if (run == s.size()) break;
    const char c = s[run];
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[u >> 4]);
        out->push_back(kHex[u & 0xF]);
    }
    i = run + 1;
  }
  out->push_back('"');
}

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (first_.back() == '0') out_.push_back(',');
    first_.back() = '0';
  }
}

void JsonWriter::BeginObject() {
  Separate();
  out_.push_back('{');
  first_.push_back('1');
}

void JsonWriter::EndObject() {
  ACCRUE_ASSERT(!first_.empty() && !after_key_, "EndObject without open object");
  first_.pop_back();
  out_.push_back('}');
}

void JsonWriter::BeginArray() {
  Separate();
  out_.push_back('[');
  first_.push_back('1');
}

void JsonWriter::EndArray() {
  ACCRUE_ASSERT(!first_.empty() && !after_key_, "EndArray without open array");
  first_.pop_back();
  out_.push_back(']');
}

void JsonWriter::Key(std::string_view key) {
  ACCRUE_ASSERT(!first_.empty() && !after_key_, "Key outside an object or after a key");
  Separate();
  AppendJsonString(&out_, key);
  out_.push_back(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view s) {
  Separate();
  AppendJsonString(&out_, s);
}

void JsonWriter::Int(long long v) {
  Separate();
  char buffer[24];  // the longest long long has 20 characters
  const auto r = std::to_chars(buffer, buffer + sizeof buffer, v);
  out_.append(buffer, r.ptr);
}

void JsonWriter::UInt(unsigned long long v) {
  Separate();
  char buffer[24];
  const auto r = std::to_chars(buffer, buffer + sizeof buffer, v);
  out_.append(buffer, r.ptr);
}

void JsonWriter::Bool(bool b) {
  Separate();
  out_.append(b ? "true" : "false");
}

void JsonWriter::Null() {
  Separate();
  out_.append("null");
}

void JsonWriter::Raw(std::string_view json) {
  Separate();
  out_.append(json);
}

}  // namespace accrue::engine
