// Money: exact amounts as integer minor units in a checked 128-bit integer.
//
// R-M2: amounts travel as decimal strings in major units; parsing rejects more
// fraction digits than the currency's exponent (amount_precision), never rounds.
// R-M3: values live in Int128 minor units; leaving [-2^127, 2^127-1] is
// amount_overflow, never a wrap. Output always prints exactly the exponent's digits.
// Money pairs an amount with its currency; mixing currencies is a programmer error
// (ACCRUE_ASSERT), since input-level mismatches are rejected before arithmetic.
//
// Thread-safety: plain values.
#ifndef ACCRUE_ENGINE_MONEY_H_
#define ACCRUE_ENGINE_MONEY_H_

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "engine/currency.h"
#include "engine/int128.h"

namespace accrue::engine {

// Why an amount string was refused, in D-10's order of checks:
// syntax first, then precision, then range. The sign is the caller's check.
enum class AmountError {
  kSyntax,     // not -?[0-9]+(\.[0-9]+)?  -> invalid_field
  kPrecision,  // more fraction digits than the exponent -> amount_precision
  kOverflow,   // outside [-2^127, 2^127-1] minor units -> amount_overflow
};

// Parses a decimal string in major units into minor units of a currency with
// `exponent` fraction digits. "20" in USD is 2000; "49.000" in USD is kPrecision;
// "-1.001" in USD is kPrecision (D-10: sign is checked after precision and range).
// No allocation for values that fit in 64 bits.
std::variant<Int128, AmountError> ParseAmount(std::string_view text, int exponent);

// Formats minor units with exactly `exponent` fraction digits: (4900, 2) -> "49.00",
// (500, 3) -> "0.500", (1500, 0) -> "1500", (-5, 2) -> "-0.05".
std::string FormatAmount(Int128 minor_units, int exponent);

// An amount with its currency. Arithmetic returns nullopt on overflow.
class Money {
 public:
  Money(Currency currency, Int128 minor_units) : currency_(currency), minor_(minor_units) {}

  static std::variant<Money, AmountError> Parse(std::string_view text, Currency currency);

  Currency currency() const { return currency_; }
  Int128 minor_units() const { return minor_; }
  std::string ToString() const { return FormatAmount(minor_, currency_.exponent); }

  std::optional<Money> Add(const Money& other) const;       // asserts same currency
  std::optional<Money> Subtract(const Money& other) const;  // asserts same currency
  int Compare(const Money& other) const;                    // asserts same currency; -1/0/1
  bool operator==(const Money& other) const;                // same currency and amount

 private:
  Currency currency_;
  Int128 minor_;
};

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_MONEY_H_
