// `accrue bench billrun`: a tenant-wide bill run (budgets.md: "bill run, 10,000
// accounts with one subscription each >= 20,000 invoices/s").
//
//   accrue bench billrun [--accounts N] [--runs R] [--dir SCRATCH] [--json]
// Each run: a fresh log in SCRATCH; one flat monthly plan; N accounts, each with
// one subscription starting 2024-01-01 (posted through the CommandService, not
// timed); then ONE `run_billing` without account_id, as_of 2024-01-01, timed
// from submit to its durable result. R-S3 makes each subscription's first period
// due, so the run must issue exactly N invoices (checked: the result's
// "invoices" list has N ids and "skipped" is empty, else exit 1). Each account's
// invoice is its own append (design.md), so the figure includes N group-commit
// appends and their fsyncs. Prints invoices/s per run, the median, and the budget.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "app/bench.h"
#include "app/bench_posting.h"
#include "engine/json.h"
#include "engine/service.h"
#include "events/rocks_event_store.h"

namespace accrue::app {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kSetupInFlight = 4096;  // commands kept in flight while building
constexpr double kBudgetInvoicesPerSecond = 20'000;
constexpr unsigned long long kDefaultAccounts = 10'000;
constexpr unsigned long long kMaxAccounts = 1'000'000;
const std::string kTenant = "bench";

struct RunFigures {
  uint64_t invoices = 0;
  double seconds = 0;
  std::string error;
};

std::string AccountId(uint64_t i) { return "a" + std::to_string(i); }

// Posts `lines` keeping kSetupInFlight in flight; false (and *error) when one
// was not accepted.
bool PostAll(engine::CommandService& service, const std::vector<std::string>& lines,
             std::string* error) {
  InFlightPoster poster(service, kTenant, kSetupInFlight);
  for (const std::string& line : lines) poster.Post(line);
  return poster.Finish(error);
}

RunFigures OneRun(const std::string& dir, uint64_t accounts) {
  RunFigures f;
  auto store = events::OpenRocksEventStore(dir, events::RocksStoreOptions{});
  if (!store.ok()) {
    f.error = store.status().ToString();
    return f;
  }
  engine::CommandService service(store.value().get(), engine::ServiceOptions{});
  std::vector<std::string> setup = {
      R"({"command":"publish_plan","idempotency_key":"plan","plan_id":"flat","currency":"USD","interval":"month","amount":"10.00"})"};
  if (!PostAll(service, setup, &f.error)) return f;
  setup.clear();
  for (uint64_t i = 1; i <= accounts; ++i) {
    const std::string id = AccountId(i);
    setup.push_back(R"({"command":"open_account","idempotency_key":"o-)" + id +
                    R"(","account_id":")" + id + R"(","currency":"USD"})");
  }
  if (!PostAll(service, setup, &f.error)) return f;
  setup.clear();
  for (uint64_t i = 1; i <= accounts; ++i) {
    const std::string id = AccountId(i);
    setup.push_back(R"({"command":"subscribe","idempotency_key":"s-)" + id +
                    R"(","subscription_id":"s-)" + id + R"(","account_id":")" + id +
                    R"(","plan_id":"flat","start":"2024-01-01T00:00:00Z"})");
  }
  if (!PostAll(service, setup, &f.error)) return f;

  const auto start = SteadyClock::now();
  engine::CommandOutcome run =
      service
          .Submit(kTenant, R"({"command":"run_billing","idempotency_key":"run-1","as_of":"2024-01-01T00:00:00Z"})",
                  std::nullopt)
          .get();
  f.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  engine::JsonValue result;
  std::string parse_error;
  if (run.status != engine::OutcomeStatus::kAccepted ||
      !engine::ParseJsonObjectLine(run.result_json, &result, &parse_error)) {
    f.error = "run_billing failed: " + run.result_json;
    return f;
  }
  const engine::JsonValue* invoices = result.Find("invoices");
  const engine::JsonValue* skipped = result.Find("skipped");
  f.invoices = invoices != nullptr && invoices->is_array() ? invoices->items.size() : 0;
  if (f.invoices != accounts || (skipped != nullptr && skipped->is_array() && !skipped->items.empty())) {
    f.error = "expected " + std::to_string(accounts) + " invoices and no skipped account, got " +
              std::to_string(f.invoices) + " invoices";
  }
  return f;
}

}  // namespace

int RunBenchBillrun(const GlobalOptions&, const std::vector<std::string>& args) {
  RepeatedBenchOptions options;
  int code = kExitOk;
  if (!ParseRepeatedBench(args, "billrun", "--accounts", kDefaultAccounts, kMaxAccounts, &options,
                          &code)) {
    return code;
  }
  const unsigned long long accounts = options.count;
  const unsigned long long runs = options.runs;
  const std::string& scratch = options.scratch;
  const bool json = options.json;
  std::vector<double> rates;
  for (unsigned long long r = 1; r <= runs; ++r) {
    const std::string dir = scratch + "/accrue-bench-billrun-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir);
    RunFigures f = OneRun(dir, accounts);
    std::filesystem::remove_all(dir);
    if (!f.error.empty()) {
      std::fprintf(stderr, "accrue: bench billrun run %llu: %s\n", r, f.error.c_str());
      code = kExitFound;
      continue;
    }
    const double rate = f.seconds > 0 ? static_cast<double>(f.invoices) / f.seconds : 0;
    rates.push_back(rate);
    if (json) {
      std::printf("{\"bench\":\"billrun\",\"run\":%llu,\"accounts\":%llu,\"invoices\":%llu,\"seconds\":%.3f,"
                  "\"invoices_per_s\":%.0f}\n",
                  r, accounts, static_cast<unsigned long long>(f.invoices), f.seconds, rate);
    } else {
      std::printf("run %llu: %llu invoices in %.3f s: %.0f invoices/s\n", r,
                  static_cast<unsigned long long>(f.invoices), f.seconds, rate);
    }
    std::fflush(stdout);
  }
  if (rates.empty()) return code;
  std::sort(rates.begin(), rates.end());
  const double median = rates[rates.size() / 2];
  const bool met = median >= kBudgetInvoicesPerSecond;
  if (json) {
    std::printf("{\"bench\":\"billrun\",\"median_invoices_per_s\":%.0f,\"budget\":%.0f,\"met\":%s}\n", median,
                kBudgetInvoicesPerSecond, met ? "true" : "false");
  } else {
    std::printf("median of %zu: %.0f invoices/s (%llu accounts, one subscription each); budget %.0f: %s\n",
                rates.size(), median, accounts, kBudgetInvoicesPerSecond, met ? "met" : "NOT met");
  }
  return code;
}

}  // namespace accrue::app
