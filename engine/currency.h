// Currency: ISO 4217 alphabetic codes and their minor-unit exponents (R-M1, D-3).
//
// The table is the full list of D-3, nothing more: withdrawn and special codes
// (HRK, XAU, XXX, ...) are unknown. Lookup is case-sensitive ("usd" is unknown).
// Thread-safety: immutable static data; safe from any thread.
#ifndef ACCRUE_ENGINE_CURRENCY_H_
#define ACCRUE_ENGINE_CURRENCY_H_

#include <optional>
#include <string_view>

namespace accrue::engine {

struct Currency {
  std::string_view code;  // "USD"; points into static storage
  int exponent;           // 0, 2, 3 or 4
};

// The currency for `code`, or nullopt for an unknown code (-> unknown_currency).
std::optional<Currency> FindCurrency(std::string_view code);

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_CURRENCY_H_
