// Tests of currencies (R-M1, D-3) and money amounts (R-M2, R-M3, D-10).
//
// Table tests pin the traps (zero- and three-decimal currencies, the exact bound
// 2^127 - 1, precision before sign); property tests prove parse(format(x)) == x
// for every currency and a + b - b == a whenever a + b fits.
#include "engine/money.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <string>

#include "engine/money_test_gen.h"

namespace accrue::engine {
namespace {

using testing::GenInt128;

// D-3 written out again, independently of currency.cpp's table.
const std::map<std::string, int>& SpecCurrencies() {
  static const std::map<std::string, int> table = [] {
    std::map<std::string, int> t;
    auto add = [&](const char* codes, int exponent) {
      std::string all(codes);
      for (size_t i = 0; i + 3 <= all.size(); i += 4) t[all.substr(i, 3)] = exponent;
    };
    add("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF", 0);
    add("BHD IQD JOD KWD LYD OMR TND", 3);
    add("CLF UYW", 4);
    add("AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD "
        "BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP "
        "ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR "
        "JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU "
        "MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR "
        "RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS "
        "TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG",
        2);
    return t;
  }();
  return table;
}

Currency Cur(const char* code) {
  auto c = FindCurrency(code);
  EXPECT_TRUE(c.has_value()) << code;
  return c.value_or(Currency{"", 2});
}

std::string Parsed(std::string_view text, const char* code) {
  auto r = ParseAmount(text, Cur(code).exponent);
  if (auto* error = std::get_if<AmountError>(&r)) {
    switch (*error) {
      case AmountError::kSyntax: return "syntax";
      case AmountError::kPrecision: return "precision";
      case AmountError::kOverflow: return "overflow";
    }
  }
  return Int128ToString(std::get<Int128>(r));
}

// D-3: exactly the spec's 166 codes with their exponents, and no other 3-letter code.
TEST(CurrencyTest, TableIsExactlyD3) {
  EXPECT_EQ(SpecCurrencies().size(), 166u);
  for (const auto& [code, exponent] : SpecCurrencies()) {
    auto c = FindCurrency(code);
    ASSERT_TRUE(c.has_value()) << code;
    EXPECT_EQ(c->exponent, exponent) << code;
    EXPECT_EQ(c->code, code);
  }
  int known = 0;
  std::string code = "AAA";
  for (char a = 'A'; a <= 'Z'; ++a)
    for (char b = 'A'; b <= 'Z'; ++b)
      for (char c = 'A'; c <= 'Z'; ++c) {
        code = {a, b, c};
        if (FindCurrency(code)) ++known;
      }
  EXPECT_EQ(known, 166);
}

TEST(CurrencyTest, UnknownAndWithdrawnCodes) {
  for (const char* code : {"usd", "Usd", "HRK", "CUC", "SLL", "ZWL", "XAU", "XAG", "XPT", "XPD",
                           "XDR", "XBA", "XBD", "XSU", "XUA", "XTS", "XXX", "", "US", "USDX",
                           "US D"}) {
    EXPECT_FALSE(FindCurrency(code).has_value()) << code;
  }
}

// R-M2 / D-10 table: syntax, precision before range before sign, zero-decimal and
// three-decimal currencies.
TEST(MoneyTest, ParseTable) {
  EXPECT_EQ(Parsed("49.00", "USD"), "4900");
  EXPECT_EQ(Parsed("20", "USD"), "2000");  // D-10: "20" is 20.00
  EXPECT_EQ(Parsed("0.5", "USD"), "50");
  EXPECT_EQ(Parsed("007.10", "USD"), "710");  // leading zeros allowed
  EXPECT_EQ(Parsed("-0", "USD"), "0");
  EXPECT_EQ(Parsed("49.000", "USD"), "precision");
  EXPECT_EQ(Parsed("-1.001", "USD"), "precision");  // precision, not sign (D-10)
  EXPECT_EQ(Parsed("1500", "JPY"), "1500");
  EXPECT_EQ(Parsed("1500.0", "JPY"), "precision");
  EXPECT_EQ(Parsed("12.5", "CLP"), "precision");
  EXPECT_EQ(Parsed("1000000", "KRW"), "1000000");
  EXPECT_EQ(Parsed("0.500", "BHD"), "500");
  EXPECT_EQ(Parsed("1.5", "KWD"), "1500");
  EXPECT_EQ(Parsed("1.0005", "KWD"), "precision");
  EXPECT_EQ(Parsed("1.0005", "CLF"), "10005");
  for (const char* bad : {"", "-", "+1", "1e3", "1E3", ".5", "5.", " 5", "5 ", "1,00", "--1",
                          "0x10", "1.2.3", "-.5", "１"}) {
    EXPECT_EQ(Parsed(bad, "USD"), "syntax") << "'" << bad << "'";
  }
  // Precision is checked before range: a huge amount with 3 decimals in USD.
  EXPECT_EQ(Parsed("99999999999999999999999999999999999999999999.001", "USD"), "precision");
}

// R-M3 / D-10: the largest amount that fits (2^127 - 1 minor units) and the first
// that does not, on both signs, in 0-, 2- and 3-decimal currencies.
TEST(MoneyTest, BoundIsTwoToThe127) {
  EXPECT_EQ(Int128ToString(kInt128Max), "170141183460469231731687303715884105727");
  EXPECT_EQ(Int128ToString(kInt128Min), "-170141183460469231731687303715884105728");
  EXPECT_EQ(Parsed("170141183460469231731687303715884105727", "JPY"),
            "170141183460469231731687303715884105727");
  EXPECT_EQ(Parsed("170141183460469231731687303715884105728", "JPY"), "overflow");
  EXPECT_EQ(Parsed("-170141183460469231731687303715884105728", "JPY"),
            "-170141183460469231731687303715884105728");
  EXPECT_EQ(Parsed("-170141183460469231731687303715884105729", "JPY"), "overflow");
  EXPECT_EQ(Parsed("1701411834604692317316873037158841057.27", "USD"),
            "170141183460469231731687303715884105727");
  EXPECT_EQ(Parsed("1701411834604692317316873037158841057.28", "USD"), "overflow");
  EXPECT_EQ(Parsed("1701411834604692317316873037158841057.3", "USD"), "overflow");
  EXPECT_EQ(Parsed("-1701411834604692317316873037158841057.28", "USD"),
            "-170141183460469231731687303715884105728");
  EXPECT_EQ(Parsed("170141183460469231731687303715884105.727", "BHD"),
            "170141183460469231731687303715884105727");
  EXPECT_EQ(Parsed("170141183460469231731687303715884105.728", "BHD"), "overflow");
  EXPECT_EQ(Parsed("340282366920938463463374607431768211456", "JPY"), "overflow");  // 2^128
  EXPECT_EQ(Parsed("0000000000000000000000000000000000000000000001", "JPY"), "1");
  EXPECT_EQ(Parsed(std::string(200, '9'), "JPY"), "overflow");
  EXPECT_EQ(FormatAmount(kInt128Max, 2), "1701411834604692317316873037158841057.27");
  EXPECT_EQ(FormatAmount(kInt128Min, 2), "-1701411834604692317316873037158841057.28");
}

TEST(MoneyTest, FormatTable) {
  EXPECT_EQ(FormatAmount(4900, 2), "49.00");
  EXPECT_EQ(FormatAmount(500, 3), "0.500");
  EXPECT_EQ(FormatAmount(1500, 0), "1500");
  EXPECT_EQ(FormatAmount(-5, 2), "-0.05");
  EXPECT_EQ(FormatAmount(0, 2), "0.00");
  EXPECT_EQ(FormatAmount(0, 0), "0");
  EXPECT_EQ(FormatAmount(-1, 4), "-0.0001");
  EXPECT_EQ(Money(Cur("KWD"), 1).ToString(), "0.001");
}

TEST(MoneyTest, ArithmeticIsChecked) {
  const Money max(Cur("USD"), kInt128Max);
  const Money one(Cur("USD"), 1);
  const Money min(Cur("USD"), kInt128Min);
  EXPECT_FALSE(max.Add(one).has_value());
  EXPECT_FALSE(min.Subtract(one).has_value());
  EXPECT_EQ(max.Subtract(one)->minor_units(), kInt128Max - 1);
  EXPECT_EQ(one.Compare(max), -1);
  EXPECT_EQ(max.Compare(one), 1);
  EXPECT_EQ(one.Compare(one), 0);
  EXPECT_FALSE(Money(Cur("USD"), 1) == Money(Cur("EUR"), 1));
  auto parsed = Money::Parse("49.00", Cur("USD"));
  ASSERT_TRUE(std::holds_alternative<Money>(parsed));
  EXPECT_EQ(std::get<Money>(parsed), Money(Cur("USD"), 4900));
  EXPECT_EQ(std::get<AmountError>(Money::Parse("49.000", Cur("USD"))), AmountError::kPrecision);
}

TEST(MoneyDeathTest, MixingCurrenciesIsAProgrammerError) {
  const Money usd(Cur("USD"), 1);
  const Money eur(Cur("EUR"), 1);
  EXPECT_DEATH((void)usd.Add(eur), "across currencies");
  EXPECT_DEATH((void)usd.Compare(eur), "across currencies");
}

// R-M2 round trip, every currency of D-3: format then parse gives the amount back,
// and the text has exactly the currency's exponent as fraction digits.
RC_GTEST_PROP(MoneyProperty, ParseFormatRoundTripsInEveryCurrency, ()) {
  const auto& table = SpecCurrencies();
  const auto index = *rc::gen::inRange<size_t>(0, table.size());
  const auto& [code, exponent] = *std::next(table.begin(), static_cast<long>(index));
  const Int128 minor = *GenInt128();
  const Currency currency = *FindCurrency(code);
  const std::string text = Money(currency, minor).ToString();
  const size_t point = text.find('.');
  RC_ASSERT((exponent == 0) == (point == std::string::npos));
  if (exponent > 0) RC_ASSERT(text.size() - point - 1 == static_cast<size_t>(exponent));
  auto parsed = Money::Parse(text, currency);
  RC_ASSERT(std::holds_alternative<Money>(parsed));
  RC_ASSERT(std::get<Money>(parsed).minor_units() == minor);
}

// Checked arithmetic: a + b - b == a whenever a + b fits; otherwise Add refuses
// exactly when the true sum leaves [-2^127, 2^127 - 1].
RC_GTEST_PROP(MoneyProperty, AddThenSubtractIsIdentity, ()) {
  const Currency usd{"USD", 2};
  const Money a(usd, *GenInt128());
  const Money b(usd, *GenInt128());
  const auto sum = a.Add(b);
  // The true sum, in a wider form: compare halves to know if it overflows.
  const bool overflows = (b.minor_units() > 0 && a.minor_units() > kInt128Max - b.minor_units()) ||
                         (b.minor_units() < 0 && a.minor_units() < kInt128Min - b.minor_units());
  RC_ASSERT(sum.has_value() == !overflows);
  if (sum) {
    const auto back = sum->Subtract(b);
    RC_ASSERT(back.has_value());
    RC_ASSERT(*back == a);
  }
}

}  // namespace
}  // namespace accrue::engine
