// Field validators of the command decoder: D-1 steps 7 and 8 for one field each.
// Rules: D-2 (null is invalid_field: every check below wants a specific JSON kind, so
// null always fails it), D-3, D-9 .. D-12, D-15 .. D-18, D-31.
#include <string>
#include <string_view>

#include "engine/calendar.h"
#include "engine/command_internal.h"
#include "engine/money.h"

namespace accrue::engine {
namespace {

std::string Quoted(std::string_view field) { return Concat({"\"", field, "\""}); }

// D-16 bound: at most 24 digits (10^24 - 1).
constexpr std::size_t kMaxQuantityDigits = 24;

}  // namespace

std::string Concat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out.append(part);
  return out;
}

std::string QuoteForMessage(std::string_view s) {
  if (s.size() > kMaxQuotedValueBytes) {
    std::size_t cut = kMaxQuotedValueBytes;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return Concat({"\"", s.substr(0, cut), "...\""});
  }
  return Concat({"\"", s, "\""});
}

bool IsDecimalSyntax(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  const std::size_t int_start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == int_start) return false;
  if (i == s.size()) return true;
  if (s[i] != '.') return false;
  const std::size_t frac_start = ++i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  return i > frac_start && i == s.size();
}

std::size_t Utf8Length(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

void FieldReader::Fail(ErrorCode code, std::string_view field, std::string message) {
  if (rejection_) return;
  rejection_ = Reject(code, std::string(field), std::move(message));
}

const JsonValue* FieldReader::Get(std::string_view field) const {
  if (rejection_) return nullptr;
  return object_.Find(field);
}

void FieldReader::Id(std::string_view field, std::string* out, std::size_t max_length) {
  const JsonValue* v = Get(field);
  if (v == nullptr) return;
  if (!v->is_string() || !IsValidId(v->text, max_length)) {
    Fail(ErrorCode::kInvalidField, field, Quoted(field) + " is not a valid id");
    return;
  }
  *out = v->text;
}

void FieldReader::OptionalId(std::string_view field, std::optional<std::string>* out) {
  if (Get(field) == nullptr) return;
  std::string id;
  Id(field, &id);
  if (ok()) *out = std::move(id);
}

void FieldReader::CurrencyCode(std::string_view field, Currency* out) {
  const JsonValue* v = Get(field);
  if (v == nullptr) return;
  if (!v->is_string()) {
    Fail(ErrorCode::kInvalidField, field, Quoted(field) + " must be a currency code");
    return;
  }
  const std::optional<Currency> currency = FindCurrency(v->text);
  if (!currency) {
    Fail(ErrorCode::kUnknownCurrency, field, Concat({"unknown currency ", QuoteForMessage(v->text)}));
    return;
  }
  *out = *currency;
}

void FieldReader::TimeZoneName(std::string_view field, std::string* out) {
  const JsonValue* v = Get(field);
  if (v == nullptr) return;
  if (!v->is_string() || TimeZone::Find(v->text) == nullptr) {
    Fail(ErrorCode::kInvalidField, field, Quoted(field) + " is not an IANA time zone");
    return;
  }
  *out = v->text;  // D-15: echoed as given
}

void FieldReader::DecimalText(std::string_view field, std::string* out) {
  const JsonValue* v = Get(field);
  if (v == nullptr) return;
  if (!v->is_string() || !IsDecimalSyntax(v->text)) {
    Fail(ErrorCode::kInvalidField, field, Quoted(field) + " must be a decimal string");
    return;
  }
  *out = v->text;
}

void FieldReader::ExactDecimal(std::string_view field, Decimal* out) {
  std::string text;
  DecimalText(field, &text);
  if (!ok() || text.empty()) return;
  const std::optional<Decimal> value = ParseDecimal(text);
  if (!value) {
    Fail(ErrorCode::kInvalidField, field,
         Quoted(field) + " exceeds 24 integer or 12 fraction digits");
    return;
  }
  *out = *value;
}

void FieldReader::InstantField(std::string_view field, Instant* out) {
  const JsonValue* v = Get(field);
  if (v == nullptr) return;
  std::optional<Instant> instant;
  if (v->is_string()) instant = ParseInstant(v->text);
  if (!instant) {
    Fail(ErrorCode::kInvalidField, field, Quoted(field) + " is not an RFC 3339 instant");
    return;
  }
  *out = *instant;
}

void FieldReader::IntervalField(std::string_view field, Interval* out) {
  const JsonValue* v = Get(field);
  if (v == nullptr) return;
  if (v->is_string() && v->text == "month") {
    *out = Interval::kMonth;
  } else if (v->is_string() && v->text == "year") {
    *out = Interval::kYear;
  } else {
    Fail(ErrorCode::kInvalidField, field, Quoted(field) + " must be one of month, year");
  }
}

void FieldReader::CancelModeField(std::string_view field, CancelMode* out) {
  const JsonValue* v = Get(field);
  if (v == nullptr) return;
  if (v->is_string() && v->text == "end_of_period") {
    *out = CancelMode::kEndOfPeriod;
  } else if (v->is_string() && v->text == "immediate") {
    *out = CancelMode::kImmediate;
  } else {
    Fail(ErrorCode::kInvalidField, field,
         Quoted(field) + " must be one of end_of_period, immediate");
  }
}

void FieldReader::IntervalCount(std::string_view field, std::string* digits) {
  const JsonValue* v = Get(field);
  if (v == nullptr) return;
  // A JSON integer token has no '+' and no leading zeros, so ">= 1" is: no '-', not
  // "0"; the token is already the normalised digits (D-31, no upper bound).
  if (!v->is_integer_token() || v->text[0] == '-' || v->text == "0") {
    Fail(ErrorCode::kInvalidField, field, Quoted(field) + " must be an integer >= 1");
    return;
  }
  *digits = v->text;
}

void FieldReader::Quantity(std::string_view field, Int128* out) {
  const JsonValue* v = Get(field);
  if (v == nullptr) return;
  if (!v->is_integer_token() || v->text[0] == '-' || v->text == "0") {
    Fail(ErrorCode::kInvalidField, field, Quoted(field) + " must be an integer >= 1");
    return;
  }
  if (v->text.size() > kMaxQuantityDigits) {
    Fail(ErrorCode::kInvalidField, field, Quoted(field) + " must be at most 10^24 - 1");
    return;
  }
  Int128 value = 0;
  for (char c : v->text) value = value * 10 + (c - '0');
  *out = value;
}

void FieldReader::OptionalQuantity(std::string_view field, std::optional<Int128>* out) {
  if (Get(field) == nullptr) return;
  Int128 value = 0;
  Quantity(field, &value);
  if (ok()) *out = value;
}

void FieldReader::Text(std::string_view field, std::string* out) {
  const JsonValue* v = Get(field);
  if (v == nullptr) return;
  if (!v->is_string() || v->text.empty()) {
    Fail(ErrorCode::kInvalidField, field, Quoted(field) + " must be a non-empty string");
    return;
  }
  if (Utf8Length(v->text) > kMaxTextFieldLength) {
    Fail(ErrorCode::kInvalidField, field, Quoted(field) + " must be at most 255 characters");
    return;
  }
  *out = v->text;
}

void FieldReader::Amount(std::string_view field, std::string_view text, const Currency& currency,
                         AmountSign sign, Int128* out) {
  if (!ok()) return;
  const std::variant<Int128, AmountError> parsed = ParseAmount(text, currency.exponent);
  if (const AmountError* error = std::get_if<AmountError>(&parsed)) {
    switch (*error) {
      case AmountError::kSyntax:
        Fail(ErrorCode::kInvalidField, field, Quoted(field) + " must be a decimal string");
        return;
      case AmountError::kPrecision:
        Fail(ErrorCode::kAmountPrecision, field,
             Quoted(field) + " has more than " + std::to_string(currency.exponent) +
                 " fraction digits");
        return;
      case AmountError::kOverflow:
        Fail(ErrorCode::kAmountOverflow, field, Quoted(field) + " does not fit 128-bit minor units");
        return;
    }
  }
  const Int128 minor = std::get<Int128>(parsed);
  if (sign == AmountSign::kNonNegative && minor < 0) {
    Fail(ErrorCode::kInvalidField, field, Quoted(field) + " must be >= 0");
    return;
  }
  if (sign == AmountSign::kPositive && minor <= 0) {
    Fail(ErrorCode::kInvalidField, field, Quoted(field) + " must be > 0");
    return;
  }
  *out = minor;
}

void FieldReader::PositiveDecimal(std::string_view field, const Decimal& value) {
  if (!ok()) return;
  if (!(Decimal{} < value)) Fail(ErrorCode::kInvalidField, field, Quoted(field) + " must be > 0");
}

}  // namespace accrue::engine
