// Int128ToString: decimal digits of a signed 128-bit integer (engine/int128.h).
#include "engine/int128.h"

namespace accrue::engine {

std::string Int128ToString(Int128 v) {
  // The magnitude as unsigned, so kInt128Min (whose negation overflows) works.
  const bool negative = v < 0;
  UInt128 magnitude = negative ? static_cast<UInt128>(0) - static_cast<UInt128>(v)
                               : static_cast<UInt128>(v);
  constexpr int kMaxDigits = 40;  // 2^128 has 39 digits, plus the sign
  char buffer[kMaxDigits];
  int pos = kMaxDigits;
  do {
    buffer[--pos] = static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
  } while (magnitude != 0);
  if (negative) buffer[--pos] = '-';
  return std::string(buffer + pos, buffer + kMaxDigits);
}

}  // namespace accrue::engine
