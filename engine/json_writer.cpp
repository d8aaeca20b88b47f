// Compact JSON output (D-45): no whitespace, keys in the order written, UTF-8 passed
// through unescaped, '"', '\\' and control characters (< 0x20) escaped.
#include <string>
#include <string_view>

#include "engine/json.h"
#include "events/assert.h"

namespace accrue::engine {

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : s) {
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
        if (u < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[u >> 4]);
          out->push_back(kHex[u & 0xF]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
  }
}

void JsonWriter::BeginObject() {
  Separate();
  out_.push_back('{');
  first_.push_back(true);
}

void JsonWriter::EndObject() {
  ACCRUE_ASSERT(!first_.empty() && !after_key_, "EndObject without open object");
  first_.pop_back();
  out_.push_back('}');
}

void JsonWriter::BeginArray() {
  Separate();
  out_.push_back('[');
  first_.push_back(true);
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
  out_.append(std::to_string(v));
}

void JsonWriter::UInt(unsigned long long v) {
  Separate();
  out_.append(std::to_string(v));
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
