// Decimal: exact decimals for unit prices and quantities (R-M4), and the one
// rounding rule of accrue (R-M5): round half to even, once per invoice line.
//
// A Decimal is mantissa x 10^-scale with 0 <= scale <= 12. What a command writes has
// at most 24 integer digits (D-11), so its mantissa is < 10^36; a sum of usage
// records (D-26) may have more, up to what an Int128 mantissa holds (R-M3). The product of R-S4/R-S5
// (price x quantity x days / P) can need more than 128 bits in between; it is
// computed exactly in a wider type and rounded once (RoundProduct). This is the
// ONLY place in accrue where rounding happens.
//
// Thread-safety: plain values and pure functions.
#ifndef ACCRUE_ENGINE_DECIMAL_H_
#define ACCRUE_ENGINE_DECIMAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/int128.h"

namespace accrue::engine {

inline constexpr int kMaxDecimalScale = 12;          // R-M4 fraction digits
inline constexpr int kMaxDecimalIntegerDigits = 24;  // R-M4 integer digits

struct Decimal {
  Int128 mantissa = 0;  // value = mantissa / 10^scale
  int scale = 0;        // 0..kMaxDecimalScale

  // Exact value comparison (1.50 == 1.5).
  friend bool operator==(const Decimal& a, const Decimal& b);
  friend bool operator<(const Decimal& a, const Decimal& b);
};

// Parses D-10 syntax (-?[0-9]+(\.[0-9]+)?) within D-11 limits (<= 12 fraction
// digits as written, <= 24 integer digits not counting leading zeros).
// nullopt -> invalid_field. Keeps the scale as written ("1.50" has scale 2).
std::optional<Decimal> ParseDecimal(std::string_view text);

// The same syntax and fraction limit without D-11's integer-digit limit: a stored
// sum of usage quantities (an invoice line's quantity, D-26). nullopt when the
// mantissa would leave Int128.
std::optional<Decimal> ParseDecimalSum(std::string_view text);

// An integer as a Decimal of scale 0 (subscription quantities, D-16).
Decimal DecimalFromInt(Int128 v);

// Minor units of a currency with `exponent` as a Decimal (scale = exponent).
Decimal DecimalFromMinorUnits(Int128 minor_units, int exponent);

// Exact sum; nullopt only when the mantissa leaves Int128 (R-M3). R-M4 limits each
// quantity a command writes (D-11), not the sums of usage records (D-26): a sum may
// have more than 24 integer digits.
std::optional<Decimal> AddDecimal(const Decimal& a, const Decimal& b);

// Shortest exact form, no trailing fractional zeros, no exponent (D-14):
// "1200", "0.75", "2500000000", "-0.5".
std::string FormatDecimal(const Decimal& d);

// R-M5: round_half_even(a x b x numerator / denominator) expressed in minor units
// of a currency with `exponent` fraction digits. denominator > 0. Exact in between
// (wider than 128 bits when needed); nullopt when the rounded result leaves
// [-2^127, 2^127-1] (-> amount_overflow). No heap allocation when the
// intermediate fits in 128 bits.
std::optional<Int128> RoundProduct(const Decimal& a, const Decimal& b, int64_t numerator,
                                   int64_t denominator, int exponent);

// RoundProduct for day counts past int64, in decimal digits (D-31: the period of a
// plan of more than kMaxMonthsPerPeriod months): the numerator is
// `numerator` - `numerator_less` (>= 0), the denominator `denominator` (> 0).
std::optional<Int128> RoundProductBig(const Decimal& a, const Decimal& b, std::string_view numerator,
                                      int64_t numerator_less, std::string_view denominator, int exponent);

// Splits `total` into parts proportional to `weights` (each >= 0, sum > 0) by the
// largest-remainder method: parts sum exactly to total; ties go to the earlier
// index. For reports (no cent lost).
std::vector<Int128> Allocate(Int128 total, const std::vector<Int128>& weights);

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_DECIMAL_H_
