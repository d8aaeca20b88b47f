// The workload's plans, instants and amounts (workload_internal.h).
#include "bench/workload_internal.h"

#include "engine/calendar.h"
#include "engine/money.h"

namespace accrue::bench::internal {

const std::vector<PlanInfo>& Plans() {
  static const std::vector<PlanInfo> plans = {
      {"basic", false, 19, {}},
      {"pro", false, 49,
       {{"api_calls", "0.0004", "0.04", false, 20000}, {"storage_gb", "0.25", "25", true, 50}}},
      {"team", false, 99,
       {{"api_calls", "0.0003", "0.03", false, 50000},
        {"storage_gb", "0.2", "20", true, 200},
        {"sms", "0.01", "1", false, 300}}},
      {"annual", true, 490, {{"api_calls", "0.00035", "0.035", false, 20000}}},
  };
  return plans;
}

std::string PlanId(PlanKind kind, const CurrencyInfo& c) {
  std::string id(Plans()[kind].name);
  id += '-';
  for (char ch : c.code) id += static_cast<char>(ch - 'A' + 'a');
  return id;
}

int64_t InstantMicros(int year, unsigned month, int month_offset, int day, int64_t second_of_day) {
  int64_t m0 = static_cast<int64_t>(year) * 12 + (month - 1) + month_offset;
  engine::LocalDate d = engine::MakeDate(static_cast<int>(m0 / 12), static_cast<unsigned>(m0 % 12) + 1,
                                         static_cast<unsigned>(day));
  return (int64_t{d.days} * 86400 + second_of_day) * 1'000'000;
}

std::string InstantText(int year, unsigned month, int month_offset, int day, int64_t second_of_day) {
  return InstantTextFromMicros(InstantMicros(year, month, month_offset, day, second_of_day));
}

std::string InstantTextFromMicros(int64_t micros) { return engine::FormatInstant(engine::Instant{micros}); }

std::string AmountText(int64_t minor, const CurrencyInfo& c) { return engine::FormatAmount(minor, c.exponent); }

}  // namespace accrue::bench::internal
