// Strict JSON reading (D-6) on RapidJSON's SAX reader; see
// docs/decisions/0003-json-parser.md for the choice and the flags.
//
// Grammar accepted: RFC 8259 JSON, exactly one value, UTF-8, no NaN/Infinity, no
// comments, no trailing commas, no raw NUL byte, nesting <= kMaxJsonDepth, no
// duplicate key in any object. Number tokens are kept byte for byte.
//
// One wrinkle: even with kParseNumbersAsStringsFlag, RapidJSON 1.1 computes a double
// alongside the raw token and refuses a number whose value exceeds the double range
// (kParseErrorNumberTooBig: more than ~308 integer digits, or an exponent above 308).
// D-31 wants integers without upper bound, and D-5 compares such values exactly, so
// when a parse fails with that error, we mask every long or exponent-bearing number
// token outside strings with "0" padded by spaces to the same length (offsets stay
// valid; the masked text is valid JSON exactly when the original is), parse that
// copy and put the original token back in RawNumber. The mask never changes whether a
// document is accepted: a masked token is a complete number token in both texts and
// is followed by the same byte. A document whose numbers all fit (every command in
// practice) is parsed once, as it is, with no scan for long numbers.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json.h"
#include "engine/json_internal.h"
#include "rapidjson/error/en.h"
#include "rapidjson/reader.h"

namespace accrue::engine {
namespace {

// Tokens at least this long, or with an exponent, are masked (see above). Well below
// the 309 digits where RapidJSON's double would overflow; short tokens keep the fast
// path with no copy.
constexpr std::size_t kMaskNumbersLongerThan = 16;
// Members reserved for the root object (a command has about this many): one
// allocation instead of a vector growing 1, 2, 4, 8.
constexpr std::size_t kReservedMembers = 8;
// Texts up to this size are parsed from a buffer each thread keeps (a command line
// is far shorter); a longer one gets its own.
constexpr std::size_t kReusedParseBufferBytes = 64 * 1024;
// NUL bytes after the text in the parse buffer: RapidJSON's SSE2 scans load aligned
// 16-byte blocks, which may extend up to 15 bytes past the terminating NUL.
constexpr std::size_t kSimdPaddingBytes = 16;

struct MaskedNumber {
  std::size_t offset;
  std::string_view token;  // into the original text
};

// Masks number tokens that RapidJSON might refuse for their double value. Returns
// the masked copy's numbers (empty when nothing was masked; `masked` untouched).
std::vector<MaskedNumber> MaskBigNumbers(std::string_view text, std::string* masked) {
  std::vector<MaskedNumber> found;
  bool in_string = false;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        i += 2;
        continue;
      }
      if (c == '"') in_string = false;
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = true;
      ++i;
      continue;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      const std::size_t length = JsonNumberTokenLength(text.substr(i));
      if (length == 0) {
        ++i;
        continue;
      }
      const std::string_view token = text.substr(i, length);
      if (length > kMaskNumbersLongerThan || token.find_first_of("eE") != std::string_view::npos) {
        found.push_back(MaskedNumber{i, token});
      }
      i += length;
      continue;
    }
    ++i;
  }
  if (!found.empty()) {
    masked->assign(text);
    for (const MaskedNumber& m : found) {
      (*masked)[m.offset] = '0';
      std::memset(masked->data() + m.offset + 1, ' ', m.token.size() - 1);
    }
  }
  return found;
}

static_assert(rapidjson::StreamTraits<rapidjson::StringStream>::copyOptimization,
              "TreeBuilder::Unmask reads the number's start from the stream");

// SAX handler that builds our JsonValue tree and enforces depth and unique keys.
class TreeBuilder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TreeBuilder> {
 public:
  TreeBuilder(const rapidjson::StringStream* stream, const std::vector<MaskedNumber>* masked)
      : stream_(stream), masked_(masked) {}

  bool Default() { return Fail("unexpected value"); }  // typed numbers never arrive
  bool Null() { return Add(JsonValue{}) != nullptr; }
  bool Bool(bool b) {
    JsonValue v;
    v.kind = JsonValue::Kind::kBool;
    v.boolean = b;
    return Add(std::move(v)) != nullptr;
  }
  bool RawNumber(const char* str, rapidjson::SizeType length, bool) {
    JsonValue v;
    v.kind = JsonValue::Kind::kNumber;
    v.text.assign(str, length);
    if (!masked_->empty()) v.text = std::string(Unmask(v.text));
    return Add(std::move(v)) != nullptr;
  }
  bool String(const char* str, rapidjson::SizeType length, bool) {
    if (!IsValidUtf8(std::string_view(str, length))) return Fail("invalid UTF-8 in a string");
    JsonValue v;
    v.kind = JsonValue::Kind::kString;
    v.text.assign(str, length);
    return Add(std::move(v)) != nullptr;
  }
  bool Key(const char* str, rapidjson::SizeType length, bool) {
    if (!IsValidUtf8(std::string_view(str, length))) return Fail("invalid UTF-8 in a key");
    pending_key_.assign(str, length);
    return true;
  }
  bool StartObject() { return Open(JsonValue::Kind::kObject); }
  bool StartArray() { return Open(JsonValue::Kind::kArray); }
  bool EndObject(rapidjson::SizeType) {
    const JsonValue* object = stack_.back();
    stack_.pop_back();
    return CheckUniqueKeys(*object);
  }
  bool EndArray(rapidjson::SizeType) {
    stack_.pop_back();
    return true;
  }

  JsonValue& root() { return root_; }
  const std::string& error() const { return error_; }

 private:
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  // The original token of a masked number (its start is where "0" stands). RapidJSON
  // reads a number through a local copy of a StringStream (copyOptimization, asserted
  // below) and moves the stream past it only after RawNumber returns, so during
  // RawNumber the stream still stands at the token's first byte.
  std::string_view Unmask(std::string_view token) const {
    if (token.size() != 1) return token;
    const std::size_t offset = stream_->Tell();
    auto it = std::lower_bound(masked_->begin(), masked_->end(), offset,
                               [](const MaskedNumber& m, std::size_t o) { return m.offset < o; });
    if (it != masked_->end() && it->offset == offset) return it->token;
    return token;
  }

  bool Open(JsonValue::Kind kind) {
    if (stack_.size() >= static_cast<std::size_t>(kMaxJsonDepth)) {
      return Fail("nesting deeper than " + std::to_string(kMaxJsonDepth));
    }
    JsonValue v;
    v.kind = kind;
    // Only the root (a command) reserves: an array of 100k small objects must not.
    if (kind == JsonValue::Kind::kObject && stack_.empty()) v.members.reserve(kReservedMembers);
    JsonValue* added = Add(std::move(v));
    stack_.push_back(added);
    return true;
  }

  // Appends v to the innermost open container (or makes it the root). Pointers to
  // open containers stay valid: only the innermost container's vector grows.
  JsonValue* Add(JsonValue v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    JsonValue* parent = stack_.back();
    if (parent->kind == JsonValue::Kind::kArray) {
      parent->items.push_back(std::move(v));
      return &parent->items.back();
    }
    parent->members.emplace_back(std::move(pending_key_), std::move(v));
    pending_key_.clear();
    return &parent->members.back().second;
  }

  bool CheckUniqueKeys(const JsonValue& object) {
    const auto& members = object.members;
    if (members.size() <= kReservedMembers) {  // a command: compare pairs, no allocation
      for (std::size_t i = 1; i < members.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (members[i].first == members[j].first) return Fail("duplicate key \"" + members[i].first + "\"");
        }
      }
      return true;
    }
    std::vector<std::string_view> keys;
    keys.reserve(object.members.size());
    for (const auto& [key, value] : object.members) keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    auto dup = std::adjacent_find(keys.begin(), keys.end());
    if (dup != keys.end()) return Fail("duplicate key \"" + std::string(*dup) + "\"");
    return true;
  }

  const rapidjson::StringStream* stream_;
  const std::vector<MaskedNumber>* masked_;
  JsonValue root_;
  std::vector<JsonValue*> stack_;
  std::string pending_key_;
  std::string error_;
};

// No kParseValidateEncodingFlag: TreeBuilder checks every decoded string and key
// as strict UTF-8 (IsValidUtf8), which refuses all that flag would, once per string
// instead of per byte in RapidJSON and again here. An invalid raw sequence stays
// invalid in the decoded text: an escape decodes to ASCII or to a whole UTF-8
// sequence starting with a lead byte, never to the continuation bytes it would need.
constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;

}  // namespace

std::size_t JsonNumberTokenLength(std::string_view s) {
  std::size_t i = 0;
  auto digit = [&](std::size_t k) { return k < s.size() && s[k] >= '0' && s[k] <= '9'; };
  if (i < s.size() && s[i] == '-') ++i;
  if (!digit(i)) return 0;
  if (s[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  if (i < s.size() && s[i] == '.' && digit(i + 1)) {
    i += 2;
    while (digit(i)) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    if (digit(j)) {
      i = j + 1;
      while (digit(i)) ++i;
    }
  }
  return i;
}

namespace {

// Length of the valid UTF-8 sequence starting at s[i] (1-4), or 0 when none does.
std::size_t Utf8SequenceAt(std::string_view s, std::size_t i) {
  const std::size_t n = s.size();
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  std::size_t extra;
  unsigned min_second = 0x80, max_second = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    extra = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    extra = 2;
    if (c == 0xE0) min_second = 0xA0;  // no overlong
    if (c == 0xED) max_second = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    extra = 3;
    if (c == 0xF0) min_second = 0x90;  // no overlong
    if (c == 0xF4) max_second = 0x8F;  // <= U+10FFFF
  } else {
    return 0;
  }
  if (i + extra >= n) return 0;  // truncated sequence
  const auto second = static_cast<unsigned char>(s[i + 1]);
  if (second < min_second || second > max_second) return 0;
  for (std::size_t k = 2; k <= extra; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (b < 0x80 || b > 0xBF) return 0;
  }
  return extra + 1;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    // ASCII (no high bit) eight bytes at a time.
    for (uint64_t w; i + sizeof w <= n; i += sizeof w) {
      std::memcpy(&w, s.data() + i, sizeof w);
      if ((w & kHighBits) != 0) break;
    }
    if (i >= n) break;
    const std::size_t length = Utf8SequenceAt(s, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string Utf8Lossy(std::string_view s) {
  if (IsValidUtf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = Utf8SequenceAt(s, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(s, i, length);
      i += length;
    }
  }
  return out;
}

JsonValue::JsonValue() = default;

bool JsonValue::is_integer_token() const {
  return kind == Kind::kNumber && text.find_first_of(".eE") == std::string::npos;
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (const auto& [name, value] : members) {
    if (name == key) return &value;
  }
  return nullptr;
}

namespace {

// One parse of `text` (masked or not, see the file comment) into `out`. RapidJSON's
// StringStream reads up to a NUL (the text has none, see ParseJsonValue), so the
// text is copied into a NUL-terminated buffer of this thread, reused from parse to
// parse: the reader then needs no bounds check per byte, and scans strings 16 bytes
// at a time (RAPIDJSON_SSE2, cmake/Dependencies.cmake).
rapidjson::ParseResult ParseOnce(std::string_view text, const std::vector<MaskedNumber>& masked,
                                 JsonValue* out, std::string* builder_error) {
  thread_local std::string reused;
  std::string large;  // a text too long to keep a buffer of its size per thread
  std::string& terminated = text.size() <= kReusedParseBufferBytes ? reused : large;
  // The NULs after the text end it, and cover the SIMD scans' aligned 16-byte loads
  // past the end with defined, allocated bytes.
  terminated.reserve(text.size() + kSimdPaddingBytes);
  terminated.assign(text);
  terminated.append(kSimdPaddingBytes, '\0');
  rapidjson::StringStream stream(terminated.data());
  TreeBuilder builder(&stream, &masked);
  rapidjson::Reader reader;
  const rapidjson::ParseResult result = reader.Parse<kParseFlags>(stream, builder);
  if (result.IsError()) {
    *builder_error = builder.error();
  } else {
    *out = std::move(builder.root());
  }
  return result;
}

}  // namespace

bool ParseJsonValue(std::string_view text, JsonValue* out, std::string* error) {
  if (text.find('\0') != std::string_view::npos) {
    *error = "invalid JSON: NUL byte";
    return false;
  }
  // The text as it is first: RapidJSON refuses a number only for its double value
  // (kParseErrorNumberTooBig), and when it accepts every number, each RawNumber is
  // the source token, exactly what the masked parse would put back. Only a refused
  // number costs the scan and a second parse (of the masked copy).
  static const std::vector<MaskedNumber> kNoneMasked;
  std::string builder_error;
  rapidjson::ParseResult result = ParseOnce(text, kNoneMasked, out, &builder_error);
  if (result.IsError() && result.Code() == rapidjson::kParseErrorNumberTooBig) {
    std::string masked_text;
    const std::vector<MaskedNumber> masked = MaskBigNumbers(text, &masked_text);
    builder_error.clear();
    result = ParseOnce(masked.empty() ? text : std::string_view(masked_text), masked, out, &builder_error);
  }
  if (result.IsError()) {
    if (result.Code() == rapidjson::kParseErrorTermination) {
      *error = "invalid JSON: " + builder_error;
    } else {
      *error = std::string("invalid JSON: ") + rapidjson::GetParseError_En(result.Code()) +
               " (byte " + std::to_string(result.Offset()) + ")";
    }
    return false;
  }
  return true;
}

bool ParseJsonObjectLine(std::string_view text, JsonValue* out, std::string* error) {
  JsonValue value;
  std::string parse_error;
  if (!ParseJsonValue(text, &value, &parse_error)) {
    *error = std::move(parse_error);
    return false;
  }
  if (!value.is_object()) {
    *error = "not a JSON object";
    return false;
  }
  *out = std::move(value);
  return true;
}

}  // namespace accrue::engine
