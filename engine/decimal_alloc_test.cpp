// Proves the hot path of R-M2 parsing and R-M5 rounding does no heap allocation
// for amounts that fit in 64 bits (issue 4 acceptance), and that the wide path
// (beyond 128 bits) does, so the counter is known to work.
//
// How: this test binary replaces the global operator new with a counting one;
// each check runs the call between two readings of the counter.
#include <gtest/gtest.h>

#include "engine/alloc_counter_test_util.h"
#include "engine/decimal.h"
#include "engine/money.h"

namespace accrue::engine {
namespace {

using ::accrue::testing::AllocationsDuring;

TEST(NoAllocationTest, ParseAmountAndRoundProductFitInRegisters) {
  Int128 sink = 0;
  const Decimal price = *ParseDecimal("0.000125");
  const Decimal quantity = *ParseDecimal("1234567.5");
  const Decimal amount = DecimalFromMinorUnits(4900, 2);
  const long count = AllocationsDuring([&] {
    for (int i = 0; i < 1000; ++i) {
      auto parsed = ParseAmount("92233720368547758.07", 2);  // INT64_MAX minor units
      sink += std::get<Int128>(parsed);
      sink += *RoundProduct(amount, DecimalFromInt(3), 17, 31, 2);
      sink += *RoundProduct(price, quantity, 1, 1, 2);
      sink += ParseDecimal("12.345")->mantissa;
    }
  });
  EXPECT_EQ(count, 0);
  EXPECT_NE(sink, 0);
}

TEST(NoAllocationTest, WidePathIsTheOnlyOneThatAllocates) {
  const Decimal max_price = *ParseDecimal("999999999999999999999999.999999999999");
  const long count = AllocationsDuring(
      [&] { (void)RoundProduct(max_price, max_price, 31, 30, 2); });
  EXPECT_GT(count, 0);
}

}  // namespace
}  // namespace accrue::engine
