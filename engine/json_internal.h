// Private helpers of the JSON layer (json.cpp, json_canonical.cpp, command*.cpp).
// Not part of the engine's public surface; tests may use them.
#ifndef ACCRUE_ENGINE_JSON_INTERNAL_H_
#define ACCRUE_ENGINE_JSON_INTERNAL_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace accrue::engine {

// Length of the longest prefix of s that is a JSON number token
// (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?), 0 when there is none.
std::size_t JsonNumberTokenLength(std::string_view s);

// D-5 canonical text of a JSON number token (the token must be well formed):
// integers as written with "-0" -> "0"; other numbers as <digits>e<exponent> with no
// leading or trailing zero digits ("1.50" -> "15e-1", "1e0" -> "1e0", "0.0" -> "0e0"),
// exponents of any size.
std::string CanonicalNumber(std::string_view token);

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_JSON_INTERNAL_H_
