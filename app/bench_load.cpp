// `accrue bench load`: how long an account with 1,000,000 events takes to load
// after a restart, with snapshots (budgets.md: <= 50 ms with snapshots every
// <= 10,000 events).
//
//   accrue bench load [--events N] [--runs R] [--dir SCRATCH] [--json]
// 1. build: a fresh log in SCRATCH, one account with one metered subscription and
//    N record_usage commands (one UsageRecorded event each) posted through the
//    CommandService with snapshots every 10,000 events; the service is closed.
// 2. R times: `accrue --data DIR inspect account ID` as a child process (process
//    start, log open, load, print), timed; then in-process, a new store and
//    service over the log (a restart): time the state read, and the first command
//    (one more record_usage, decided and durable) on a fresh restart; the
//    service's counters show the snapshot path was taken and how many events
//    were folded after the snapshot.
// 3. for contrast, the same account folded from its first event without
//    snapshots (invariants/replay_invariants.h).
// Prints each figure, the medians of R runs and the budget. Exit 1 when the
// snapshot path was not taken.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "app/bench.h"
#include "app/bench_posting.h"
#include "engine/service.h"
#include "events/rocks_event_store.h"
#include "invariants/replay_invariants.h"

namespace accrue::app {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kLoadInFlight = 4096;
constexpr double kBudgetMs = 50;
constexpr unsigned long long kDefaultEvents = 1'000'000;
constexpr unsigned long long kMaxEvents = 100'000'000;
const std::string kTenant = "bench";
const std::string kAccount = "big";

double Ms(SteadyClock::time_point since) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - since).count();
}

double MedianOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string UsageLine(uint64_t i) {
  // Spread over a year of periods; quantities vary so sums are exact decimals.
  const uint64_t day = 1 + (i % 360);
  char at[40];
  std::snprintf(at, sizeof at, "2024-01-01T00:00:00Z");
  const long seconds = 1'704'067'200 + static_cast<long>(day) * 86400 + static_cast<long>(i % 86000);
  std::time_t t = seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return "{\"command\":\"record_usage\",\"idempotency_key\":\"u" + std::to_string(i) + "\",\"usage_id\":\"u" +
         std::to_string(i) + "\",\"subscription_id\":\"s1\",\"meter\":\"api\",\"quantity\":\"" +
         std::to_string(1 + i % 97) + "\",\"at\":\"" + at + "\"}";
}

bool Build(const std::string& dir, uint64_t events, std::string* error) {
  auto store = events::OpenRocksEventStore(dir, events::RocksStoreOptions{});
  if (!store.ok()) {
    *error = store.status().ToString();
    return false;
  }
  engine::CommandService service(store.value().get(), engine::ServiceOptions{});
  const char* setup[] = {
      R"({"command":"publish_plan","idempotency_key":"plan","plan_id":"metered","currency":"USD","interval":"month","amount":"10.00","meters":[{"meter":"api","unit_price":"0.001"}]})",
      R"({"command":"open_account","idempotency_key":"open","account_id":"big","currency":"USD"})",
      R"({"command":"subscribe","idempotency_key":"sub","subscription_id":"s1","account_id":"big","plan_id":"metered","start":"2024-01-01T00:00:00Z"})",
  };
  for (const char* line : setup) {
    auto o = service.Submit(kTenant, line, std::nullopt).get();
    if (o.status != engine::OutcomeStatus::kAccepted) {
      *error = o.result_json;
      return false;
    }
  }
  InFlightPoster poster(service, kTenant, kLoadInFlight);
  for (uint64_t i = 1; i <= events && poster.ok(); ++i) poster.Post(UsageLine(i));
  const bool ok = poster.Finish(error);
  service.FlushSnapshots();
  return ok;
}

// Runs `accrue --data DIR inspect account big` (this binary), output discarded.
// posix_spawn (vfork semantics) rather than fork: forking this process, which
// holds the whole workload in memory, copied its page tables and charged tens of
// milliseconds to the child's start that a user running `inspect` never pays.
double InspectProcessMs(const std::string& dir, bool* ok) {
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> argv_text = {"accrue", "--tenant", kTenant, "--data", dir,
                                        "inspect", "account", kAccount};
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  const auto start = SteadyClock::now();
  pid_t pid = 0;
  const int spawn_error =
      ::posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    *ok = false;
    return Ms(start);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  const double ms = Ms(start);
  *ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return ms;
}

struct Restart {
  double read_ms = 0;
  double first_command_ms = 0;
  engine::ServiceStats read_stats;
  engine::ServiceStats command_stats;
  bool ok = false;
};

Restart TimeRestart(const std::string& dir, uint64_t extra_usage) {
  Restart r;
  engine::ServiceOptions options;
  {
    auto store = events::OpenRocksEventStore(dir, events::RocksStoreOptions{});
    if (!store.ok()) return r;
    engine::CommandService service(store.value().get(), options);
    const auto start = SteadyClock::now();
    auto json = service.AccountJson(kTenant, kAccount);
    r.read_ms = Ms(start);
    r.read_stats = service.Stats();
    if (!json) return r;
  }
  auto store = events::OpenRocksEventStore(dir, events::RocksStoreOptions{});
  if (!store.ok()) return r;
  engine::CommandService service(store.value().get(), options);
  const auto start = SteadyClock::now();
  auto outcome = service.Submit(kTenant, UsageLine(extra_usage), std::nullopt).get();
  r.first_command_ms = Ms(start);
  r.command_stats = service.Stats();
  r.ok = outcome.status == engine::OutcomeStatus::kAccepted;
  return r;
}

}  // namespace

int RunBenchLoad(const GlobalOptions&, const std::vector<std::string>& args) {
  RepeatedBenchOptions options;
  int parse_code = kExitOk;
  if (!ParseRepeatedBench(args, "load", "--events", kDefaultEvents, kMaxEvents, &options,
                          &parse_code)) {
    return parse_code;
  }
  const unsigned long long events = options.count;
  const unsigned long long runs = options.runs;
  const std::string& scratch = options.scratch;
  const bool json = options.json;
  std::string error;
  const std::string dir = scratch + "/accrue-bench-load-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::error_code mkdir_error;
  std::filesystem::create_directories(scratch, mkdir_error);
  auto build_start = SteadyClock::now();
  if (!Build(dir, events, &error)) {
    std::fprintf(stderr, "accrue: bench load: building the account failed: %s\n", error.c_str());
    std::filesystem::remove_all(dir);
    return kExitUsage;
  }
  const double build_s = Ms(build_start) / 1000;
  if (!json) {
    std::printf("bench load: account '%s' with %llu usage events (+3 setup), built in %.1f s (%.0f commands/s)\n",
                kAccount.c_str(), events, build_s, static_cast<double>(events) / build_s);
  }
  std::vector<double> inspect_ms, read_ms, command_ms;
  int exit_code = kExitOk;
  for (unsigned long long r = 0; r < runs; ++r) {
    bool inspect_ok = false;
    inspect_ms.push_back(InspectProcessMs(dir, &inspect_ok));
    Restart restart = TimeRestart(dir, events + 1 + r);
    read_ms.push_back(restart.read_ms);
    command_ms.push_back(restart.first_command_ms);
    // The command also folds the tenant's one-event catalog in full; the account
    // itself must come from a snapshot plus a short tail.
    const bool snapshot_path = restart.read_stats.snapshot_loads > 0 && restart.command_stats.snapshot_loads > 0 &&
                               restart.read_stats.full_folds == 0 &&
                               restart.command_stats.events_folded < engine::ServiceOptions{}.snapshot_every_events;
    if (!inspect_ok || !restart.ok || !snapshot_path) exit_code = kExitFound;
    if (json) {
      std::printf("{\"run\":%llu,\"inspect_process_ms\":%.1f,\"restart_read_ms\":%.1f,\"first_command_ms\":%.1f,"
                  "\"snapshot_loads\":%llu,\"events_folded_after_snapshot\":%llu,\"full_folds\":%llu}\n",
                  r + 1, inspect_ms.back(), read_ms.back(), command_ms.back(),
                  static_cast<unsigned long long>(restart.read_stats.snapshot_loads),
                  static_cast<unsigned long long>(restart.read_stats.events_folded),
                  static_cast<unsigned long long>(restart.read_stats.full_folds));
    } else {
      std::printf("run %llu: inspect (process) %.1f ms%s; restart: read %.1f ms, first command %.1f ms%s; "
                  "snapshot loads %llu, events folded after the snapshot %llu, full folds %llu\n",
                  r + 1, inspect_ms.back(), inspect_ok ? "" : " (FAILED)", read_ms.back(), command_ms.back(),
                  restart.ok ? "" : " (FAILED)", static_cast<unsigned long long>(restart.read_stats.snapshot_loads),
                  static_cast<unsigned long long>(restart.read_stats.events_folded),
                  static_cast<unsigned long long>(restart.read_stats.full_folds));
    }
    std::fflush(stdout);
  }
  // Contrast: the same account folded from event 1, no snapshot.
  double full_fold_ms = 0;
  {
    events::RocksStoreOptions options;
    options.mode = events::OpenMode::kReadOnly;
    auto store = events::OpenRocksEventStore(dir, options);
    if (store.ok()) {
      const auto start = SteadyClock::now();
      auto folded = invariants::FoldAccountFromLog(store.value().get(), kTenant, kAccount);
      full_fold_ms = Ms(start);
      if (!folded.ok()) exit_code = kExitFound;
    }
  }
  const double inspect = MedianOf(inspect_ms), read = MedianOf(read_ms), command = MedianOf(command_ms);
  if (json) {
    std::printf("{\"events\":%llu,\"median_inspect_process_ms\":%.1f,\"median_restart_read_ms\":%.1f,"
                "\"median_first_command_ms\":%.1f,\"full_fold_without_snapshot_ms\":%.1f,\"budget_ms\":%.0f}\n",
                events, inspect, read, command, full_fold_ms, kBudgetMs);
  } else {
    std::printf("median of %llu: inspect (process, incl. start and log open) %.1f ms, restart read %.1f ms, first "
                "command after restart %.1f ms; budget %.0f ms: %s\n",
                runs, inspect, read, command, kBudgetMs,
                std::max({inspect, read, command}) <= kBudgetMs ? "met" : "NOT met");
    std::printf("without snapshots the same account folds from event 1 in %.1f ms\n", full_fold_ms);
  }
  std::filesystem::remove_all(dir);
  return exit_code;
}

}  // namespace accrue::app
