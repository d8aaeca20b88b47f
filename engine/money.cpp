// Money parsing, formatting and checked arithmetic (R-M2, R-M3, D-10).
#include "engine/money.h"

#include <cstdint>

#include "events/assert.h"

namespace accrue::engine {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Magnitude limits of D-10: 2^127 - 1 for positive amounts, 2^127 for negative.
constexpr UInt128 kMaxPositive = static_cast<UInt128>(kInt128Max);
constexpr UInt128 kMaxNegative = kMaxPositive + 1;

// Up to 18 decimal digits always fit in 64 bits: the common case skips 128-bit math.
constexpr size_t kMaxDigitsIn64Bits = 18;

// magnitude = magnitude * 10 + digit; false when it passes limit_div10 * 10 +
// limit_mod10. No 128-bit division per digit (that is a slow library call).
bool AppendDigit(UInt128& magnitude, int digit, UInt128 limit_div10, int limit_mod10) {
  if (magnitude > limit_div10 || (magnitude == limit_div10 && digit > limit_mod10)) return false;
  magnitude = magnitude * 10 + static_cast<UInt128>(digit);
  return true;
}

}  // namespace

std::variant<Int128, AmountError> ParseAmount(std::string_view text, int exponent) {
  ACCRUE_ASSERT(exponent >= 0 && exponent <= 4, "currency exponent out of range");
  // Syntax (D-10): -?[0-9]+(\.[0-9]+)?
  size_t pos = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) pos = 1;
  const size_t int_begin = pos;
  while (pos < text.size() && IsDigit(text[pos])) ++pos;
  const size_t int_end = pos;
  if (int_end == int_begin) return AmountError::kSyntax;
  size_t frac_begin = pos, frac_end = pos;
  if (pos < text.size()) {
    if (text[pos] != '.') return AmountError::kSyntax;
    frac_begin = ++pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    frac_end = pos;
    if (frac_end == frac_begin || pos != text.size()) return AmountError::kSyntax;
  }
  // Precision (R-M2): fraction digits as written, never rounded.
  const size_t frac_digits = frac_end - frac_begin;
  if (frac_digits > static_cast<size_t>(exponent)) return AmountError::kPrecision;
  // Range (R-M3): accumulate the magnitude in minor units.
  auto digit_at = [&](size_t k) {  // k-th digit of the minor-unit integer
    const size_t int_digits = int_end - int_begin;
    if (k < int_digits) return text[int_begin + k] - '0';
    const size_t at = frac_begin + (k - int_digits);
    return at < frac_end ? text[at] - '0' : 0;
  };
  const size_t total_digits = (int_end - int_begin) + static_cast<size_t>(exponent);
  if (total_digits <= kMaxDigitsIn64Bits) {
    uint64_t small = 0;
    for (size_t k = 0; k < total_digits; ++k) small = small * 10 + static_cast<uint64_t>(digit_at(k));
    return negative ? -static_cast<Int128>(small) : static_cast<Int128>(small);
  }
  const UInt128 limit = negative ? kMaxNegative : kMaxPositive;
  const UInt128 limit_div10 = limit / 10;
  const int limit_mod10 = static_cast<int>(limit % 10);
  UInt128 magnitude = 0;
  for (size_t k = 0; k < total_digits; ++k) {
    if (!AppendDigit(magnitude, digit_at(k), limit_div10, limit_mod10)) {
      return AmountError::kOverflow;  // checked at every digit, never wraps
    }
  }
  if (negative) return static_cast<Int128>(static_cast<UInt128>(0) - magnitude);
  return static_cast<Int128>(magnitude);
}

std::string FormatAmount(Int128 minor_units, int exponent) {
  ACCRUE_ASSERT(exponent >= 0 && exponent <= 4, "currency exponent out of range");
  std::string digits = Int128ToString(minor_units);
  const bool negative = minor_units < 0;
  if (negative) digits.erase(0, 1);
  if (exponent > 0) {
    // Left-pad to at least one integer digit, then insert the point.
    const size_t width = static_cast<size_t>(exponent) + 1;
    if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
    digits.insert(digits.size() - static_cast<size_t>(exponent), 1, '.');
  }
  if (negative) digits.insert(0, 1, '-');
  return digits;
}

std::variant<Money, AmountError> Money::Parse(std::string_view text, Currency currency) {
  auto parsed = ParseAmount(text, currency.exponent);
  if (const AmountError* error = std::get_if<AmountError>(&parsed)) return *error;
  return Money(currency, std::get<Int128>(parsed));
}

std::optional<Money> Money::Add(const Money& other) const {
  ACCRUE_ASSERT(currency_.code == other.currency_.code, "Money::Add across currencies");
  auto sum = CheckedAdd(minor_, other.minor_);
  if (!sum) return std::nullopt;
  return Money(currency_, *sum);
}

std::optional<Money> Money::Subtract(const Money& other) const {
  ACCRUE_ASSERT(currency_.code == other.currency_.code, "Money::Subtract across currencies");
  auto difference = CheckedSub(minor_, other.minor_);
  if (!difference) return std::nullopt;
  return Money(currency_, *difference);
}

int Money::Compare(const Money& other) const {
  ACCRUE_ASSERT(currency_.code == other.currency_.code, "Money::Compare across currencies");
  if (minor_ < other.minor_) return -1;
  return minor_ > other.minor_ ? 1 : 0;
}

bool Money::operator==(const Money& other) const {
  return currency_.code == other.currency_.code && minor_ == other.minor_;
}

}  // namespace accrue::engine
