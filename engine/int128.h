// Int128: GCC's signed 128-bit integer, the type of every amount in minor units.
//
// Its range [-2^127, 2^127 - 1] is exactly the contract's amount range (D-10), so
// overflow checks are GCC's __builtin_*_overflow, which never wrap silently
// (R-M3). Boost's checked_int128_t is NOT used for amounts: it is sign-magnitude
// and does not fail at 2^127 (../shared/toolchain-notes.md).
#ifndef ACCRUE_ENGINE_INT128_H_
#define ACCRUE_ENGINE_INT128_H_

#include <optional>
#include <string>

namespace accrue::engine {

__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

inline constexpr Int128 kInt128Max = static_cast<Int128>(~static_cast<UInt128>(0) >> 1);
inline constexpr Int128 kInt128Min = -kInt128Max - 1;

// Checked arithmetic: nullopt on overflow, never a wrap.
inline std::optional<Int128> CheckedAdd(Int128 a, Int128 b) {
  Int128 r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}
inline std::optional<Int128> CheckedSub(Int128 a, Int128 b) {
  Int128 r;
  if (__builtin_sub_overflow(a, b, &r)) return std::nullopt;
  return r;
}
inline std::optional<Int128> CheckedMul(Int128 a, Int128 b) {
  Int128 r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}
inline std::optional<Int128> CheckedNeg(Int128 a) {
  if (a == kInt128Min) return std::nullopt;
  return -a;
}

// An exact sum of Int128 terms whose running value may leave the Int128 range
// while the final value fits: an invoice's lines (R-I3) in any order. D-27 checks
// every line and the total, not partial sums, so the answer must not depend on
// the order of the lines (a +1e38, +1e38, -1e38 invoice was amount_overflow
// while -1e38, +1e38, +1e38 was not; rules audit, 2026-12-06). Keeps the wrapped
// sum and how many times it wrapped; exact for fewer than 2^63 terms.
class Int128Sum {
 public:
  void Add(Int128 v) {
    Int128 r;
    // On overflow GCC stores the sum wrapped modulo 2^128 (its documented
    // semantics), so value = acc_ + wraps_ * 2^128 throughout.
    if (__builtin_add_overflow(acc_, v, &r)) wraps_ += v > 0 ? 1 : -1;
    acc_ = r;
  }
  // The sum, or nullopt when it does not fit Int128.
  std::optional<Int128> Value() const {
    if (wraps_ != 0) return std::nullopt;
    return acc_;
  }
  // Exact comparison, also of sums past the Int128 range.
  bool operator==(const Int128Sum& o) const { return acc_ == o.acc_ && wraps_ == o.wraps_; }

 private:
  Int128 acc_ = 0;
  long long wraps_ = 0;
};

// Decimal digits of v, with a leading '-' when negative ("-170141...").
std::string Int128ToString(Int128 v);

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_INT128_H_
