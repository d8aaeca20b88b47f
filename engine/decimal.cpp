// Exact decimals (R-M4, D-11), the single rounding rule (R-M5) and allocation.
//
// RoundProduct computes round_half_even(a x b x numerator / denominator) in minor
// units. When the exact numerator and denominator fit in Int128 it runs on the
// stack (no heap); otherwise it falls back to boost::multiprecision::cpp_int, an
// arbitrary-precision integer, kept out of the header (toolchain-notes.md).
#include "engine/decimal.h"

#include <algorithm>
#include <boost/multiprecision/cpp_int.hpp>
#include <numeric>

#include "events/assert.h"

namespace accrue::engine {
namespace {

using BigInt = boost::multiprecision::cpp_int;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// 10^n as Int128 (n <= 38).
Int128 Pow10(int n) {
  ACCRUE_ASSERT(n >= 0 && n <= 38, "Pow10 out of Int128 range");
  Int128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

BigInt ToBig(Int128 v) {
  const bool negative = v < 0;
  const UInt128 magnitude = negative ? static_cast<UInt128>(0) - static_cast<UInt128>(v)
                                     : static_cast<UInt128>(v);
  BigInt r = static_cast<uint64_t>(magnitude >> 64);
  r <<= 64;
  r += static_cast<uint64_t>(magnitude);
  return negative ? BigInt(-r) : r;
}

// The BigInt as Int128, or nullopt outside [-2^127, 2^127 - 1] (R-M3).
std::optional<Int128> FromBig(const BigInt& v) {
  static const BigInt kMax = ToBig(kInt128Max);
  static const BigInt kMin = ToBig(kInt128Min);
  if (v > kMax || v < kMin) return std::nullopt;
  const BigInt magnitude = boost::multiprecision::abs(v);
  const uint64_t high = static_cast<uint64_t>(magnitude >> 64);
  const uint64_t low = static_cast<uint64_t>(magnitude & BigInt(~uint64_t{0}));
  const UInt128 m = (static_cast<UInt128>(high) << 64) | low;
  return v < 0 ? static_cast<Int128>(static_cast<UInt128>(0) - m) : static_cast<Int128>(m);
}

// Splits d into (integer part, fraction scaled to 12 digits), both truncated toward
// zero; lexicographic order of these pairs is the order of the values.
std::pair<Int128, Int128> Normalize(const Decimal& d) {
  const Int128 unit = Pow10(d.scale);
  return {d.mantissa / unit, (d.mantissa % unit) * Pow10(kMaxDecimalScale - d.scale)};
}

// Half-even rounding of n / d, d > 0, on the stack. The quotient never overflows.
Int128 DivideHalfEven(Int128 n, Int128 d) {
  Int128 q = n / d;
  const Int128 r = n % d;  // sign of n
  const UInt128 twice_r = 2 * (r < 0 ? static_cast<UInt128>(-r) : static_cast<UInt128>(r));
  const UInt128 ud = static_cast<UInt128>(d);
  if (twice_r > ud || (twice_r == ud && (q % 2) != 0)) q += n < 0 ? -1 : 1;
  return q;
}

std::optional<Int128> DivideHalfEvenBig(const BigInt& n, const BigInt& d) {
  BigInt q, r;
  boost::multiprecision::divide_qr(n, d, q, r);  // truncated, r has n's sign
  const BigInt twice_r = 2 * boost::multiprecision::abs(r);
  if (twice_r > d || (twice_r == d && boost::multiprecision::bit_test(q, 0))) {
    q += n < 0 ? -1 : 1;
  }
  return FromBig(q);
}

}  // namespace

bool operator==(const Decimal& a, const Decimal& b) { return Normalize(a) == Normalize(b); }
bool operator<(const Decimal& a, const Decimal& b) { return Normalize(a) < Normalize(b); }

namespace {

// D-10 syntax, at most kMaxDecimalScale fraction digits; `bounded`: at most
// kMaxDecimalIntegerDigits integer digits (D-11), else any number that keeps the
// mantissa in Int128 (a stored sum of usage, D-26).
std::optional<Decimal> Parse(std::string_view text, bool bounded) {
  size_t pos = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) pos = 1;
  while (pos < text.size() && text[pos] == '0') ++pos;  // leading zeros do not count
  const size_t significant_begin = pos;
  const size_t int_begin = negative ? 1 : 0;
  while (pos < text.size() && IsDigit(text[pos])) ++pos;
  if (pos == int_begin) return std::nullopt;
  if (bounded && pos - significant_begin > static_cast<size_t>(kMaxDecimalIntegerDigits)) {
    return std::nullopt;
  }
  Int128 mantissa = 0;
  // mantissa * 10 + digit. Within D-11 (<= 24 + 12 digits) it always fits, so
  // only a stored sum pays for the overflow check (evolve parses every usage).
  auto push = [&mantissa, bounded](char digit) {
    if (bounded) {
      mantissa = mantissa * 10 + (digit - '0');
      return true;
    }
    const auto shifted = CheckedMul(mantissa, Int128{10});
    const auto next = shifted ? CheckedAdd(*shifted, Int128{digit - '0'}) : std::nullopt;
    if (next) mantissa = *next;
    return next.has_value();
  };
  for (size_t i = significant_begin; i < pos; ++i) {
    if (!push(text[i])) return std::nullopt;
  }
  int scale = 0;
  if (pos < text.size()) {
    if (text[pos] != '.') return std::nullopt;
    const size_t frac_begin = ++pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    if (pos == frac_begin || pos != text.size()) return std::nullopt;
    if (pos - frac_begin > static_cast<size_t>(kMaxDecimalScale)) return std::nullopt;
    for (size_t i = frac_begin; i < pos; ++i) {
      if (!push(text[i])) return std::nullopt;
    }
    scale = static_cast<int>(pos - frac_begin);
  }
  return Decimal{negative ? -mantissa : mantissa, scale};
}

}  // namespace

std::optional<Decimal> ParseDecimal(std::string_view text) { return Parse(text, true); }

std::optional<Decimal> ParseDecimalSum(std::string_view text) { return Parse(text, false); }

Decimal DecimalFromInt(Int128 v) { return Decimal{v, 0}; }

Decimal DecimalFromMinorUnits(Int128 minor_units, int exponent) {
  ACCRUE_ASSERT(exponent >= 0 && exponent <= 4, "currency exponent out of range");
  return Decimal{minor_units, exponent};
}

std::optional<Decimal> AddDecimal(const Decimal& a, const Decimal& b) {
  const int scale = std::max(a.scale, b.scale);
  const auto left = CheckedMul(a.mantissa, Pow10(scale - a.scale));
  const auto right = CheckedMul(b.mantissa, Pow10(scale - b.scale));
  if (!left || !right) return std::nullopt;
  const auto sum = CheckedAdd(*left, *right);
  if (!sum) return std::nullopt;
  return Decimal{*sum, scale};
}

std::string FormatDecimal(const Decimal& d) {
  Int128 mantissa = d.mantissa;
  int scale = d.scale;
  while (scale > 0 && mantissa % 10 == 0) {
    mantissa /= 10;
    --scale;
  }
  std::string digits = Int128ToString(mantissa);
  const bool negative = mantissa < 0;
  if (negative) digits.erase(0, 1);
  if (scale > 0) {
    const size_t width = static_cast<size_t>(scale) + 1;
    if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
    digits.insert(digits.size() - static_cast<size_t>(scale), 1, '.');
  }
  if (negative) digits.insert(0, 1, '-');
  return digits;
}

namespace {

// round_half_even(a x b x numerator / denominator) in minor units, exactly.
std::optional<Int128> RoundProductExact(const Decimal& a, const Decimal& b, const BigInt& numerator,
                                        const BigInt& denominator, int exponent) {
  const int shift = a.scale + b.scale - exponent;
  const unsigned up = static_cast<unsigned>(shift < 0 ? -shift : 0);
  const unsigned down = static_cast<unsigned>(shift > 0 ? shift : 0);
  BigInt n = ToBig(a.mantissa) * ToBig(b.mantissa) * numerator;
  BigInt d = denominator;
  n *= boost::multiprecision::pow(BigInt(10), up);
  d *= boost::multiprecision::pow(BigInt(10), down);
  return DivideHalfEvenBig(n, d);
}

}  // namespace

std::optional<Int128> RoundProduct(const Decimal& a, const Decimal& b, int64_t numerator,
                                   int64_t denominator, int exponent) {
  ACCRUE_ASSERT(denominator > 0, "RoundProduct denominator must be positive");
  ACCRUE_ASSERT(exponent >= 0 && exponent <= 4, "currency exponent out of range");
  ACCRUE_ASSERT(a.scale >= 0 && a.scale <= 38 && b.scale >= 0 && b.scale <= 38,
                "Decimal scale out of range");
  // value in minor units = a.m * b.m * num * 10^exponent / (den * 10^(a.s + b.s)).
  // Cancel the powers of ten first so the fast path covers the common cases.
  const int shift = a.scale + b.scale - exponent;
  const int up = shift < 0 ? -shift : 0;  // extra power of ten on the numerator
  const int down = shift > 0 ? shift : 0;  // extra power of ten on the denominator
  if (up <= 38 && down <= 38) {
    std::optional<Int128> n = CheckedMul(a.mantissa, b.mantissa);
    if (n) n = CheckedMul(*n, numerator);
    if (n) n = CheckedMul(*n, Pow10(up));
    const std::optional<Int128> d = CheckedMul(denominator, Pow10(down));
    if (n && d) return DivideHalfEven(*n, *d);
  }
  // Slow path: exact arbitrary-precision intermediate (R-M4's limits need it).
  return RoundProductExact(a, b, numerator, denominator, exponent);
}

std::optional<Int128> RoundProductBig(const Decimal& a, const Decimal& b, std::string_view numerator,
                                      int64_t numerator_less, std::string_view denominator, int exponent) {
  ACCRUE_ASSERT(exponent >= 0 && exponent <= 4, "currency exponent out of range");
  const BigInt n = BigInt(std::string(numerator)) - numerator_less;
  const BigInt d(std::string{denominator});
  ACCRUE_ASSERT(n >= 0 && d > 0, "RoundProductBig: numerator < 0 or denominator <= 0");
  return RoundProductExact(a, b, n, d, exponent);
}

std::vector<Int128> Allocate(Int128 total, const std::vector<Int128>& weights) {
  ACCRUE_ASSERT(!weights.empty(), "Allocate needs at least one weight");
  BigInt weight_sum = 0;
  for (Int128 w : weights) {
    ACCRUE_ASSERT(w >= 0, "Allocate weights must be >= 0");
    weight_sum += ToBig(w);
  }
  ACCRUE_ASSERT(weight_sum > 0, "Allocate weights must not all be 0");
  // Allocate the magnitude, then restore the sign: parts round toward zero first.
  const BigInt magnitude = boost::multiprecision::abs(ToBig(total));
  std::vector<BigInt> parts(weights.size());
  std::vector<BigInt> remainders(weights.size());
  BigInt assigned = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    boost::multiprecision::divide_qr(magnitude * ToBig(weights[i]), weight_sum, parts[i],
                                     remainders[i]);
    assigned += parts[i];
  }
  // Largest remainder: the leftover units (fewer than weights.size()) go to the
  // largest remainders, ties to the earlier index (stable sort).
  std::vector<size_t> order(weights.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return remainders[x] > remainders[y]; });
  BigInt leftover = magnitude - assigned;
  for (size_t i = 0; leftover > 0; ++i, --leftover) parts[order[i]] += 1;
  std::vector<Int128> result;
  result.reserve(parts.size());
  for (const BigInt& part : parts) {
    const std::optional<Int128> value = FromBig(total < 0 ? BigInt(-part) : part);
    ACCRUE_ASSERT(value.has_value(), "an allocated part exceeds its total");
    result.push_back(*value);
  }
  return result;
}

}  // namespace accrue::engine
