// Private pieces of the workload generator (workload.h): the random source, the
// plan catalogue it publishes, and time/amount text.
#ifndef ACCRUE_BENCH_WORKLOAD_INTERNAL_H_
#define ACCRUE_BENCH_WORKLOAD_INTERNAL_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace accrue::bench::internal {

// SplitMix64: tiny, fast, and the same sequence on every platform (unlike the
// distributions of <random>, whose output the standard leaves open).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi] (hi >= lo); the modulo bias is irrelevant here.
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Permille(int p) { return static_cast<int>(Next() % 1000) < p; }

 private:
  uint64_t state_;
};

struct CurrencyInfo {
  std::string_view code;
  int exponent;
  int weight;          // share of accounts, out of the sum of weights
  int64_t price_unit;  // minor units per "price point" (1 major; 100 major for JPY)
};

// The currencies of the workload (D-3 exponents 0, 2 and 3 all appear).
inline constexpr std::array<CurrencyInfo, 6> kCurrencies = {{
    {"USD", 2, 50, 100},
    {"EUR", 2, 20, 100},
    {"GBP", 2, 10, 100},
    {"JPY", 0, 10, 100},
    {"CHF", 2, 5, 100},
    {"BHD", 3, 5, 1000},
}};

inline constexpr std::array<std::string_view, 10> kTimeZones = {
    "UTC",           "America/New_York", "America/Los_Angeles", "Europe/Berlin",   "Europe/London",
    "Asia/Tokyo",    "Australia/Sydney", "America/Santiago",    "Asia/Kolkata",    "Pacific/Auckland"};

struct MeterInfo {
  std::string_view meter;
  std::string_view unit_price;      // for exponent >= 2 currencies
  std::string_view unit_price_jpy;  // for exponent 0 currencies (100x)
  bool fractional_quantity;         // storage_gb: "12.5"
  int64_t max_quantity;
};

enum PlanKind { kBasic = 0, kPro = 1, kTeam = 2, kAnnual = 3, kPlanKinds = 4 };

struct PlanInfo {
  std::string_view name;
  bool yearly;
  int64_t price_points;  // amount = price_points x price_unit minor units
  std::vector<MeterInfo> meters;
};

const std::vector<PlanInfo>& Plans();  // indexed by PlanKind

// "pro-usd".
std::string PlanId(PlanKind kind, const CurrencyInfo& c);

// Instant text (D-13) of month `month_offset` after (year, month), day 1..28,
// `second_of_day` seconds after 00:00:00Z.
std::string InstantText(int year, unsigned month, int month_offset, int day, int64_t second_of_day);
// Microseconds of the same instant, for ordering.
int64_t InstantMicros(int year, unsigned month, int month_offset, int day, int64_t second_of_day);
std::string InstantTextFromMicros(int64_t micros);

// Minor units as contract amount text in the currency ("49.00", "4900", "49.000").
std::string AmountText(int64_t minor, const CurrencyInfo& c);

}  // namespace accrue::bench::internal

#endif  // ACCRUE_BENCH_WORKLOAD_INTERNAL_H_
