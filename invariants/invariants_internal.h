// Private helpers of invariants/: subjects, amount text, checked sums.
#ifndef ACCRUE_INVARIANTS_INVARIANTS_INTERNAL_H_
#define ACCRUE_INVARIANTS_INVARIANTS_INTERNAL_H_

#include <string>

#include "engine/int128.h"
#include "engine/money.h"
#include "engine/state.h"

namespace accrue::invariants::internal {

inline std::string AccountSubject(const engine::AccountState& a) { return "account " + a.account_id; }

// An amount of the account's currency as text ("49.00"); raw minor units when the
// state has no currency (a hand-built state).
inline std::string Amount(const engine::AccountState& a, engine::Int128 minor) {
  if (a.currency.code.empty()) return engine::Int128ToString(minor) + " minor";
  return engine::FormatAmount(minor, a.currency.exponent) + " " + std::string(a.currency.code);
}

// An exact sum: ok() when the final value fits Int128, whatever its partial sums
// did (an invoice's lines +1e38, +1e38, -1e38 total 1e38; engine::Int128Sum).
class CheckedSum {
 public:
  void Add(engine::Int128 v) { sum_.Add(v); }
  bool ok() const { return sum_.Value().has_value(); }
  engine::Int128 value() const { return sum_.Value().value_or(0); }
  // Exact, also past the Int128 range.
  bool operator==(const CheckedSum& o) const { return sum_ == o.sum_; }

 private:
  engine::Int128Sum sum_;
};

}  // namespace accrue::invariants::internal

#endif  // ACCRUE_INVARIANTS_INVARIANTS_INTERNAL_H_
