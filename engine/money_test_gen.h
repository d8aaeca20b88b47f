// RapidCheck generators shared by the money and decimal tests (test-only header).
//
// Int128 values come from three sources so both ends of the range get coverage:
// small values (cents and dollars), 64-bit values (the fast paths) and full
// 128-bit values (the bounds of D-10).
#ifndef ACCRUE_ENGINE_MONEY_TEST_GEN_H_
#define ACCRUE_ENGINE_MONEY_TEST_GEN_H_

#include <rapidcheck.h>

#include <cstdint>

#include "engine/int128.h"

namespace accrue::engine::testing {

inline rc::Gen<Int128> GenInt128() {
  return rc::gen::oneOf(
      rc::gen::map(rc::gen::inRange<int64_t>(-100000, 100001),
                   [](int64_t v) { return static_cast<Int128>(v); }),
      rc::gen::map(rc::gen::arbitrary<int64_t>(), [](int64_t v) { return static_cast<Int128>(v); }),
      rc::gen::map(rc::gen::pair(rc::gen::arbitrary<uint64_t>(), rc::gen::arbitrary<uint64_t>()),
                   [](std::pair<uint64_t, uint64_t> p) {
                     return static_cast<Int128>((static_cast<UInt128>(p.first) << 64) | p.second);
                   }),
      rc::gen::element(kInt128Max, kInt128Min, Int128{0}, Int128{-1}, Int128{1}));
}

}  // namespace accrue::engine::testing

#endif  // ACCRUE_ENGINE_MONEY_TEST_GEN_H_
