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

// A sum that remembers whether it ever overflowed.
class CheckedSum {
 public:
  void Add(engine::Int128 v) {
    auto r = engine::CheckedAdd(value_, v);
    if (r) {
      value_ = *r;
    } else {
      ok_ = false;
    }
  }
  bool ok() const { return ok_; }
  engine::Int128 value() const { return value_; }

 private:
  engine::Int128 value_ = 0;
  bool ok_ = true;
};

}  // namespace accrue::invariants::internal

#endif  // ACCRUE_INVARIANTS_INVARIANTS_INTERNAL_H_
