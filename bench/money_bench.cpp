// Micro-benchmarks of the money and calendar hot paths (issue 4): amount parsing
// (R-M2), the one rounding rule (R-M5) on its 128-bit and wide paths, and billing
// period computation (R-C3, R-C2). Each reports `allocs_per_op`, counted by a
// replaced global operator new, to show the 64-bit path never touches the heap.
#include <benchmark/benchmark.h>

#include "engine/alloc_counter_test_util.h"
#include "engine/calendar.h"
#include "engine/decimal.h"
#include "engine/money.h"

namespace accrue::engine {
namespace {

// Runs `body` state.max_iterations times and reports heap allocations per call.
template <typename Body>
void RunCounted(benchmark::State& state, Body&& body) {
  const long allocations = ::accrue::testing::AllocationsDuring([&] {
    for (auto _ : state) body();
  });
  state.counters["allocs_per_op"] =
      benchmark::Counter(static_cast<double>(allocations) / static_cast<double>(state.iterations()));
}

void BM_ParseAmount(benchmark::State& state) {
  RunCounted(state, [] {
    auto r = ParseAmount("1234567.89", 2);
    benchmark::DoNotOptimize(r);
  });
}
BENCHMARK(BM_ParseAmount);

void BM_ParseAmountMax(benchmark::State& state) {
  RunCounted(state, [] {
    auto r = ParseAmount("1701411834604692317316873037158841057.27", 2);
    benchmark::DoNotOptimize(r);
  });
}
BENCHMARK(BM_ParseAmountMax);

void BM_RoundProductProration(benchmark::State& state) {
  // R-S4: price 49.00 x quantity 3 x 17 days / 31 days, in USD.
  const Decimal price = DecimalFromMinorUnits(4900, 2);
  const Decimal quantity = DecimalFromInt(3);
  RunCounted(state, [&] {
    auto r = RoundProduct(price, quantity, 17, 31, 2);
    benchmark::DoNotOptimize(r);
  });
}
BENCHMARK(BM_RoundProductProration);

void BM_RoundProductUsage(benchmark::State& state) {
  // R-S7: usage sum x unit price with 12 fraction digits.
  const Decimal quantity = *ParseDecimal("1234567.25");
  const Decimal unit_price = *ParseDecimal("0.000123456789");
  RunCounted(state, [&] {
    auto r = RoundProduct(quantity, unit_price, 1, 1, 2);
    benchmark::DoNotOptimize(r);
  });
}
BENCHMARK(BM_RoundProductUsage);

void BM_RoundProductWide(benchmark::State& state) {
  // Near R-M4's limits: the intermediate needs ~160 bits (the cpp_int path).
  const Decimal big = *ParseDecimal("123456789012345678901234.123456789012");
  const Decimal quantity = *ParseDecimal("1234567890123.5");
  RunCounted(state, [&] {
    auto r = RoundProduct(big, quantity, 17, 31, 2);
    benchmark::DoNotOptimize(r);
  });
}
BENCHMARK(BM_RoundProductWide);

void BM_ParseInstant(benchmark::State& state) {
  RunCounted(state, [] {
    auto r = ParseInstant("2024-02-29T23:59:59.999999+05:30");
    benchmark::DoNotOptimize(r);
  });
}
BENCHMARK(BM_ParseInstant);

void BM_PeriodAt(benchmark::State& state) {
  const LocalDate anchor = MakeDate(2024, 1, 31);
  int64_t k = 0;
  RunCounted(state, [&] {
    auto p = PeriodAt(anchor, 1, k++ % 240);
    benchmark::DoNotOptimize(p);
  });
}
BENCHMARK(BM_PeriodAt);

void BM_PeriodIndexContaining(benchmark::State& state) {
  const LocalDate anchor = MakeDate(2024, 1, 31);
  int32_t offset = 0;
  RunCounted(state, [&] {
    auto k = PeriodIndexContaining(anchor, 1, LocalDate{anchor.days + offset++ % 7300});
    benchmark::DoNotOptimize(k);
  });
}
BENCHMARK(BM_PeriodIndexContaining);

void BM_PeriodBoundsInZone(benchmark::State& state) {
  // A period's instants: local midnight of S and E in a DST zone.
  const TimeZone* zone = TimeZone::Find("America/New_York");
  const LocalDate anchor = MakeDate(2024, 1, 31);
  int64_t k = 0;
  RunCounted(state, [&] {
    const Period p = PeriodAt(anchor, 1, k++ % 120);
    auto s = zone->LocalMidnight(p.start);
    auto e = zone->LocalMidnight(p.end);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(e);
  });
}
BENCHMARK(BM_PeriodBoundsInZone);

void BM_LocalDateOf(benchmark::State& state) {
  const TimeZone* zone = TimeZone::Find("Australia/Sydney");
  const int64_t base = ParseInstant("2024-01-01T00:00:00Z")->micros;
  int64_t hour = 0;
  RunCounted(state, [&] {
    // Hourly instants over ~10 years, so DST transitions are crossed.
    auto d = zone->LocalDateOf(Instant{base + (hour++ % 87600) * 3'600'000'000});
    benchmark::DoNotOptimize(d);
  });
}
BENCHMARK(BM_LocalDateOf);

}  // namespace
}  // namespace accrue::engine

BENCHMARK_MAIN();
