// D-5 identical commands: a canonical byte form of a parsed JSON value.
//
// Canonical form (itself valid JSON, so CanonicalJson(Parse(CanonicalJson(v))) ==
// CanonicalJson(v)): no whitespace; object members sorted by key bytes (keys are
// unique, D-6); strings re-encoded by AppendJsonString; integers as written with
// "-0" as "0" (a JSON integer token has no leading zeros, so the token is its value);
// other numbers as <digits>e<exponent> with no leading or trailing zero digit, so
// 1.0, 1.00, 1e0 and 10e-1 all become "1e0" and never equal the integer "1".
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json.h"
#include "engine/json_internal.h"

namespace accrue::engine {
namespace {

// Exponent digits beyond this count are handled as a decimal string.
constexpr std::size_t kMaxSmallExponentDigits = 18;
// Room reserved for a command's canonical form (grows when longer).
constexpr std::size_t kCanonicalReserveBytes = 256;

// magnitude (decimal digits, no leading zeros, > |delta|) + delta.
std::string AddSmall(std::string magnitude, int64_t delta) {
  const bool add = delta >= 0;
  uint64_t rest = add ? static_cast<uint64_t>(delta) : static_cast<uint64_t>(-(delta + 1)) + 1;
  int carry = 0;  // carry (add) or borrow (subtract)
  for (std::size_t k = magnitude.size(); k-- > 0 && (rest > 0 || carry != 0);) {
    int d = magnitude[k] - '0';
    const int r = static_cast<int>(rest % 10);
    rest /= 10;
    if (add) {
      d += r + carry;
      carry = d / 10;
      d %= 10;
    } else {
      d -= r + carry;
      carry = d < 0 ? 1 : 0;
      if (d < 0) d += 10;
    }
    magnitude[k] = static_cast<char>('0' + d);
  }
  if (carry != 0) magnitude.insert(magnitude.begin(), '1');  // only when adding
  const std::size_t first = magnitude.find_first_not_of('0');
  return first == std::string::npos ? "0" : magnitude.substr(first);
}

// The decimal text of (exponent token value) + delta.
std::string AdjustExponent(bool negative, std::string_view digits, int64_t delta) {
  const std::size_t first = digits.find_first_not_of('0');
  digits = first == std::string_view::npos ? std::string_view("0") : digits.substr(first);
  if (digits.size() <= kMaxSmallExponentDigits) {
    int64_t value = 0;
    for (char c : digits) value = value * 10 + (c - '0');
    if (negative) value = -value;
    return std::to_string(value + delta);
  }
  // |value| >= 10^18 > |delta|: the sign is the token's; adjust the magnitude.
  const std::string magnitude = AddSmall(std::string(digits), negative ? -delta : delta);
  return negative ? "-" + magnitude : magnitude;
}

void AppendCanonicalObject(const JsonValue& v, const std::string_view* skipped, std::string* out);

void AppendCanonical(const JsonValue& v, std::string* out) {
  switch (v.kind) {
    case JsonValue::Kind::kNull:
      out->append("null");
      return;
    case JsonValue::Kind::kBool:
      out->append(v.boolean ? "true" : "false");
      return;
    case JsonValue::Kind::kNumber:
      out->append(CanonicalNumber(v.text));
      return;
    case JsonValue::Kind::kString:
      AppendJsonString(out, v.text);
      return;
    case JsonValue::Kind::kArray: {
      out->push_back('[');
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendCanonical(v.items[i], out);
      }
      out->push_back(']');
      return;
    }
    case JsonValue::Kind::kObject:
      AppendCanonicalObject(v, nullptr, out);
      return;
  }
}

// An object's members sorted by key, without the member named *skipped (when set).
void AppendCanonicalObject(const JsonValue& v, const std::string_view* skipped, std::string* out) {
  // Commands have a handful of members: sort pointers on the stack when they fit.
  constexpr std::size_t kInlineMembers = 16;
  using Member = std::pair<std::string, JsonValue>;
  const Member* inline_sorted[kInlineMembers];
  std::vector<const Member*> heap_sorted;
  const Member** sorted = inline_sorted;
  if (v.members.size() > kInlineMembers) {
    heap_sorted.resize(v.members.size());
    sorted = heap_sorted.data();
  }
  std::size_t n = 0;
  for (const auto& member : v.members) {
    if (skipped == nullptr || member.first != *skipped) sorted[n++] = &member;
  }
  std::sort(sorted, sorted + n, [](const Member* a, const Member* b) { return a->first < b->first; });
  out->push_back('{');
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(out, sorted[i]->first);
    out->push_back(':');
    AppendCanonical(sorted[i]->second, out);
  }
  out->push_back('}');
}

}  // namespace

std::string CanonicalNumber(std::string_view token) {
  const bool negative = !token.empty() && token[0] == '-';
  std::string_view rest = negative ? token.substr(1) : token;
  const std::size_t exp_at = rest.find_first_of("eE");
  const std::size_t dot_at = rest.find('.');
  if (exp_at == std::string_view::npos && dot_at == std::string_view::npos) {
    if (rest == "0") return "0";  // "-0" is 0 (D-5: integers compare by value)
    return std::string(token);
  }
  const std::string_view mantissa = rest.substr(0, exp_at);
  std::string_view exponent =
      exp_at == std::string_view::npos ? std::string_view("0") : rest.substr(exp_at + 1);
  bool exponent_negative = false;
  if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-')) {
    exponent_negative = exponent[0] == '-';
    exponent.remove_prefix(1);
  }
  std::string digits;
  int64_t fraction_digits = 0;
  for (std::size_t i = 0; i < mantissa.size(); ++i) {
    if (mantissa[i] == '.') {
      fraction_digits = static_cast<int64_t>(mantissa.size() - i - 1);
      continue;
    }
    digits.push_back(mantissa[i]);
  }
  const std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return "0e0";  // a non-integer zero, any sign
  digits.erase(0, first);
  const std::size_t last = digits.find_last_not_of('0');
  const auto trailing_zeros = static_cast<int64_t>(digits.size() - last - 1);
  digits.erase(last + 1);
  std::string out = negative ? "-" : "";
  out += digits;
  out += 'e';
  out += AdjustExponent(exponent_negative, exponent, trailing_zeros - fraction_digits);
  return out;
}

std::string CanonicalJson(const JsonValue& v) {
  std::string out;
  AppendCanonical(v, &out);
  return out;
}

std::string CanonicalJsonWithout(const JsonValue& object, std::string_view skipped_key) {
  std::string out;
  out.reserve(kCanonicalReserveBytes);
  AppendCanonicalObject(object, &skipped_key, &out);
  return out;
}

bool JsonEqual(const JsonValue& a, const JsonValue& b) {
  if (a.kind != b.kind) return false;
  return CanonicalJson(a) == CanonicalJson(b);
}

}  // namespace accrue::engine
