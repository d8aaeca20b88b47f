// Tests of exact decimals (R-M4, D-11, D-14), the one rounding rule (R-M5) and
// allocation.
//
// Rounding is checked against an independent exact computation with
// boost::multiprecision::cpp_rational: the result is within half a minor unit of
// the exact value, and on an exact tie it is the even neighbour.
#include "engine/decimal.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <boost/multiprecision/cpp_int.hpp>
#include <numeric>

#include "engine/money_test_gen.h"

namespace accrue::engine {
namespace {

using boost::multiprecision::cpp_int;
using boost::multiprecision::cpp_rational;
using testing::GenInt128;

cpp_int Big(Int128 v) {
  // Via the decimal string: independent of decimal.cpp's conversion.
  return cpp_int(Int128ToString(v));
}

Decimal D(const char* text) {
  auto d = ParseDecimal(text);
  EXPECT_TRUE(d.has_value()) << text;
  return d.value_or(Decimal{});
}

std::string Round(const char* a, const char* b, int64_t num, int64_t den, int exponent) {
  auto r = RoundProduct(D(a), D(b), num, den, exponent);
  return r ? Int128ToString(*r) : "overflow";
}

// A Decimal within R-M4's limits: up to 24 integer digits, 0..12 fraction digits.
rc::Gen<Decimal> GenDecimal() {
  return rc::gen::apply(
      [](Int128 raw, int scale, int digits) {
        Int128 limit = 1;
        for (int i = 0; i < digits + scale && i < 36; ++i) limit *= 10;
        return Decimal{raw % limit, scale};
      },
      GenInt128(), rc::gen::inRange(0, kMaxDecimalScale + 1),
      rc::gen::inRange(0, kMaxDecimalIntegerDigits + 1));
}

TEST(DecimalTest, ParseAndFormat) {
  EXPECT_EQ(FormatDecimal(D("1200")), "1200");
  EXPECT_EQ(FormatDecimal(D("0.750")), "0.75");
  EXPECT_EQ(FormatDecimal(D("2500000000.000")), "2500000000");
  EXPECT_EQ(FormatDecimal(D("-0.5")), "-0.5");
  EXPECT_EQ(FormatDecimal(D("-0.000")), "0");
  EXPECT_EQ(D("1.50").scale, 2);  // scale as written
  EXPECT_TRUE(D("1.50") == D("1.5"));
  EXPECT_TRUE(D("-1.5") < D("-1.4"));
  EXPECT_TRUE(D("-2") < D("-1.999999999999"));
  EXPECT_TRUE(D("0.000000000001") < D("1"));
  // D-11: 12 fraction digits and 24 integer digits (leading zeros not counted).
  EXPECT_TRUE(ParseDecimal("0.123456789012").has_value());
  EXPECT_FALSE(ParseDecimal("0.1234567890123").has_value());
  EXPECT_TRUE(ParseDecimal("999999999999999999999999").has_value());
  EXPECT_TRUE(ParseDecimal("000999999999999999999999999.5").has_value());
  EXPECT_FALSE(ParseDecimal("1000000000000000000000000").has_value());
  for (const char* bad : {"", "-", "+1", "1e2", ".5", "5.", " 1", "1 ", "1.2.3", "--1"}) {
    EXPECT_FALSE(ParseDecimal(bad).has_value()) << bad;
  }
  EXPECT_EQ(FormatDecimal(*AddDecimal(D("0.1"), D("0.25"))), "0.35");
  // D-26: a sum of usage may pass R-M4's 24 integer digits (R-M4 limits what a
  // command writes); only a mantissa that leaves Int128 is an overflow (R-M3).
  EXPECT_EQ(FormatDecimal(*AddDecimal(D("999999999999999999999999"), D("1"))),
            "1000000000000000000000000");
  EXPECT_EQ(FormatDecimal(*AddDecimal(D("600000000000000000000000"), D("600000000000000000000000.000000000001"))),
            "1200000000000000000000000.000000000001");
  const Decimal near_max = *ParseDecimalSum("170141183460469231731687303.715884105727");  // 2^127 - 1
  EXPECT_EQ(near_max.mantissa, kInt128Max);
  EXPECT_FALSE(AddDecimal(near_max, D("0.000000000001")).has_value());
  EXPECT_FALSE(ParseDecimalSum("170141183460469231731687303.715884105728").has_value());
  EXPECT_FALSE(ParseDecimal("1200000000000000000000000").has_value());  // D-11 still holds for input
  EXPECT_EQ(FormatDecimal(*ParseDecimalSum("1200000000000000000000000.5")), "1200000000000000000000000.5");
  EXPECT_FALSE(ParseDecimalSum("1.0000000000001").has_value());
  EXPECT_FALSE(ParseDecimalSum("1e30").has_value());
}

// R-M5: half-even ties "both ways" at x.xx5 and non-ties in USD, JPY and BHD.
TEST(DecimalTest, RoundHalfEvenTable) {
  EXPECT_EQ(Round("0.125", "1", 1, 1, 2), "12");   // tie, 2 is even: down
  EXPECT_EQ(Round("0.135", "1", 1, 1, 2), "14");   // tie, 3 is odd: up
  EXPECT_EQ(Round("2.675", "1", 1, 1, 2), "268");  // tie up (no binary float drift)
  EXPECT_EQ(Round("2.665", "1", 1, 1, 2), "266");  // tie down
  EXPECT_EQ(Round("-0.125", "1", 1, 1, 2), "-12");
  EXPECT_EQ(Round("-0.135", "1", 1, 1, 2), "-14");
  EXPECT_EQ(Round("0.1251", "1", 1, 1, 2), "13");  // above the tie
  EXPECT_EQ(Round("0.1249", "1", 1, 1, 2), "12");
  EXPECT_EQ(Round("2.5", "1", 1, 1, 0), "2");      // JPY tie
  EXPECT_EQ(Round("3.5", "1", 1, 1, 0), "4");
  EXPECT_EQ(Round("0.0005", "1", 1, 1, 3), "0");   // BHD tie to even 0
  EXPECT_EQ(Round("0.0015", "1", 1, 1, 3), "2");
  // R-S4 proration: 10.00 x 1 x 15 / 30 = 5.00; 10.00 x 1 x 1 / 3 = 3.33.
  EXPECT_EQ(Round("10.00", "1", 15, 30, 2), "500");
  EXPECT_EQ(Round("10.00", "1", 1, 3, 2), "333");
  EXPECT_EQ(Round("10.00", "1", 2, 3, 2), "667");
  EXPECT_EQ(Round("0.01", "1", 1, 2, 2), "0");     // 0.005 -> 0.00
  EXPECT_EQ(Round("0.03", "1", 1, 2, 2), "2");     // 0.015 -> 0.02
  EXPECT_EQ(Round("1500", "3", 10, 31, 0), "1452");  // JPY 1451.6
  EXPECT_EQ(Round("-10.00", "1", 1, 3, 2), "-333");
  EXPECT_EQ(Round("10.00", "1", -2, 3, 2), "-667");
}

// R-M4's limits need more than 128 bits in between, and the bound of R-M3 holds.
TEST(DecimalTest, WideIntermediatesAndOverflow) {
  const char* max_price = "999999999999999999999999.999999999999";
  EXPECT_EQ(Round(max_price, "0.000000000001", 1, 1, 2), "100000000000000");
  EXPECT_EQ(Round("999999999999999999999999", "999999999999999999999999", 1,
                  999999999999999999, 0),
            "1000000000000000000999998000000");
  EXPECT_EQ(Round(max_price, max_price, 31, 30, 2), "overflow");
  // The largest result that fits and the first that does not.
  const Decimal max_minor = DecimalFromMinorUnits(kInt128Max, 2);
  EXPECT_EQ(RoundProduct(max_minor, DecimalFromInt(1), 1, 1, 2), kInt128Max);
  EXPECT_FALSE(RoundProduct(max_minor, DecimalFromInt(2), 1, 1, 2).has_value());
  EXPECT_EQ(RoundProduct(DecimalFromMinorUnits(kInt128Min, 2), DecimalFromInt(1), 1, 1, 2),
            kInt128Min);
  EXPECT_FALSE(
      RoundProduct(DecimalFromMinorUnits(kInt128Min, 2), DecimalFromInt(-1), 1, 1, 2).has_value());
}

TEST(DecimalTest, AllocateTable) {
  EXPECT_EQ(Allocate(100, {1, 1, 1}), (std::vector<Int128>{34, 33, 33}));
  EXPECT_EQ(Allocate(-100, {1, 1, 1}), (std::vector<Int128>{-34, -33, -33}));
  EXPECT_EQ(Allocate(5, {0, 1, 0}), (std::vector<Int128>{0, 5, 0}));
  EXPECT_EQ(Allocate(10, {3, 3, 4}), (std::vector<Int128>{3, 3, 4}));
  EXPECT_EQ(Allocate(1, {1, 1}), (std::vector<Int128>{1, 0}));  // tie: earlier index
  EXPECT_EQ(Allocate(kInt128Max, {kInt128Max, kInt128Max}),
            (std::vector<Int128>{kInt128Max / 2 + 1, kInt128Max / 2}));
}

// R-M5 against an exact rational: |result - exact| <= 1/2, and == 1/2 only when
// the result is even.
RC_GTEST_PROP(DecimalProperty, RoundProductIsHalfEvenOfExactValue, ()) {
  const Decimal a = *GenDecimal();
  const Decimal b = *GenDecimal();
  const int64_t den = *rc::gen::oneOf(rc::gen::inRange<int64_t>(1, 367),
                                      rc::gen::inRange<int64_t>(1, INT64_MAX));
  const int64_t num = *rc::gen::oneOf(rc::gen::inRange<int64_t>(-367, 367),
                                      rc::gen::arbitrary<int64_t>());
  const int exponent = *rc::gen::element(0, 2, 3, 4);
  cpp_rational exact(Big(a.mantissa) * Big(b.mantissa) * num * pow(cpp_int(10), exponent),
                     cpp_int(den) * pow(cpp_int(10), a.scale + b.scale));
  const auto result = RoundProduct(a, b, num, den, exponent);
  if (!result) {
    // Refused exactly when the rounded value leaves [-2^127, 2^127 - 1]: 2^127 - 1/2
    // rounds up to the even 2^127, -2^127 - 1/2 rounds to the even -2^127.
    RC_ASSERT(exact >= cpp_rational(Big(kInt128Max)) + cpp_rational(1, 2) ||
              exact < cpp_rational(Big(kInt128Min)) - cpp_rational(1, 2));
    return;
  }
  const cpp_rational error = abs(cpp_rational(Big(*result)) - exact);
  RC_ASSERT(error <= cpp_rational(1, 2));
  if (error == cpp_rational(1, 2)) RC_ASSERT(*result % 2 == 0);
}

// Ties built on purpose: (2k + 1) / 2 minor units rounds to the even neighbour.
RC_GTEST_PROP(DecimalProperty, TiesGoToEven, (int64_t k)) {
  const Decimal a = DecimalFromMinorUnits(2 * static_cast<Int128>(k) + 1, 2);
  const auto result = RoundProduct(a, DecimalFromInt(1), 1, 2, 2);
  RC_ASSERT(result.has_value());
  RC_ASSERT(*result % 2 == 0);
  const Int128 twice = 2 * static_cast<Int128>(k) + 1;
  RC_ASSERT(*result * 2 - twice == 1 || twice - *result * 2 == 1);
}

// Allocation never loses or invents a minor unit, and each part is within one unit
// of its exact share.
RC_GTEST_PROP(DecimalProperty, AllocatePartsSumToTotal, ()) {
  const Int128 total = *GenInt128();
  const auto weights = *rc::gen::suchThat(
      rc::gen::container<std::vector<Int128>>(
          *rc::gen::inRange<size_t>(1, 12),
          rc::gen::oneOf(rc::gen::map(rc::gen::inRange<int64_t>(0, 1000),
                                      [](int64_t v) { return static_cast<Int128>(v); }),
                         rc::gen::map(GenInt128(), [](Int128 v) {
                           return v < 0 ? (v == kInt128Min ? kInt128Max : -v) : v;
                         }))),
      [](const std::vector<Int128>& w) {
        return std::any_of(w.begin(), w.end(), [](Int128 v) { return v > 0; });
      });
  const auto parts = Allocate(total, weights);
  RC_ASSERT(parts.size() == weights.size());
  cpp_int sum = 0, weight_sum = 0;
  for (Int128 w : weights) weight_sum += Big(w);
  for (size_t i = 0; i < parts.size(); ++i) {
    sum += Big(parts[i]);
    const cpp_rational share(Big(total) * Big(weights[i]), weight_sum);
    RC_ASSERT(abs(cpp_rational(Big(parts[i])) - share) < 1);
  }
  RC_ASSERT(sum == Big(total));
}

}  // namespace
}  // namespace accrue::engine
