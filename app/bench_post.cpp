// `accrue bench post`: commands per second end to end (decode, decide, append,
// durable) through the CommandService on a fresh RocksDB log, for the
// usage-heavy and the mixed workload (bench/workload.h) over --accounts accounts,
// against the raw RocksDB append baseline measured in the same run (budgets.md:
// usage-heavy >= 100,000 commands/s and >= 0.15 x raw batch-1000; mixed >= 50,000).
//
//   accrue bench post [--accounts N] [--runs R] [--months M] [--seed S] [--quick]
//                     [--dir SCRATCH] [--json]
// Each run posts the whole stream with up to kBenchInFlight commands in flight (as
// `accrue post` does, so group commit batches fsyncs) and times first submit to
// last durable result; lines are generated before the clock starts. Prints every
// run, the median of R runs, the raw baseline (median of R), the ratio, the
// process CPU microseconds per command (all threads: steadier than the rate on a
// shared machine), the mean append requests per group commit ("group") and the
// peak resident memory. Exit 1 if any command was rejected or failed (a broken
// workload would measure the wrong thing).
#include <rocksdb/db.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include "events/future.h"
#include <system_error>

#include <unistd.h>

#include "app/bench.h"
#include "bench/workload.h"
#include "engine/service.h"
#include "events/keys.h"
#include "events/rocks_event_store.h"
#include "events/rocks_log.h"

namespace accrue::app {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kBenchInFlight = 4096;   // commands submitted, not yet durable
constexpr std::size_t kRawBatch = 1000;        // budgets.md: the batch-1000 raw baseline
constexpr std::size_t kRawPayloadBytes = 200;  // as bench append
constexpr std::size_t kRawBatches = 300;       // 300,000 raw events per measurement

struct PostRun {
  double seconds = 0;
  double cpu_seconds = 0;  // process CPU (user + system, all threads) over the run
  uint64_t appends = 0;    // append requests the store completed
  uint64_t batches = 0;    // group commits (one WriteBatch + fsync each)
  uint64_t commands = 0;
  uint64_t rejected = 0;
  uint64_t failed = 0;
  double Rate() const { return seconds > 0 ? static_cast<double>(commands) / seconds : 0; }
  // CPU microseconds per command: on a shared, noisy machine a steadier figure
  // than the rate, and what bounds the rate on 2 cores.
  double AppendsPerBatch() const { return batches > 0 ? static_cast<double>(appends) / static_cast<double>(batches) : 0; }
  double CpuMicrosPerCommand() const { return commands > 0 ? cpu_seconds * 1e6 / static_cast<double>(commands) : 0; }
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// The raw baseline: one writer, WriteBatch of kRawBatch puts of kRawPayloadBytes,
// sync = true, on a fresh RocksDB with the events family's options (the same
// workload and options as `bench append`'s raw batch-1000, one appender). Events/s, or 0.
double RawBatchRate(const std::string& dir) {
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(events::EventsFamilyOptions(events::BaseRocksOptions()), dir, &raw).ok()) return 0;
  std::unique_ptr<rocksdb::DB> db(raw);
  // As the log's writer threads (and bench append's raw side): RocksDB's perf
  // counters off. Restored after, since this thread also runs the service.
  const rocksdb::PerfLevel level = rocksdb::GetPerfLevel();
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  const std::string payload(kRawPayloadBytes, 'p');
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  const auto start = SteadyClock::now();
  uint64_t key = 1;
  for (std::size_t b = 0; b < kRawBatches; ++b) {
    rocksdb::WriteBatch wb;
    for (std::size_t i = 0; i < kRawBatch; ++i) (void)wb.Put(events::keys::PositionKey(key++), payload);
    if (!db->Write(write_options, &wb).ok()) return 0;
  }
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  rocksdb::SetPerfLevel(level);
  (void)db->Close();
  return static_cast<double>(kRawBatch * kRawBatches) / seconds;
}

PostRun PostAll(const std::string& dir, const std::vector<std::string>& lines, std::string* error) {
  PostRun run;
  const double cpu_start = ProcessCpuSeconds();
  auto store = events::OpenRocksEventStore(dir, events::RocksStoreOptions{});
  if (!store.ok()) {
    *error = store.status().ToString();
    return run;
  }
  auto service = std::make_unique<engine::CommandService>(store.value().get(), engine::ServiceOptions{});
  std::deque<events::Future<engine::CommandOutcome>> in_flight;
  auto settle = [&] {
    engine::CommandOutcome o = in_flight.front().get();
    in_flight.pop_front();
    ++run.commands;
    if (o.status == engine::OutcomeStatus::kRejected) {
      if (++run.rejected == 1) *error = "first rejection: " + o.result_json;
    }
    if (o.status == engine::OutcomeStatus::kFailed) {
      if (++run.failed == 1) *error = "first failure: " + o.result_json;
    }
  };
  const auto start = SteadyClock::now();
  for (const std::string& line : lines) {
    in_flight.push_back(service->Submit("bench", line, std::nullopt));
    while (in_flight.size() >= kBenchInFlight ||
           (!in_flight.empty() && in_flight.front().wait_for(std::chrono::seconds(0)) == std::future_status::ready)) {
      settle();
    }
  }
  while (!in_flight.empty()) settle();
  run.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  const events::StoreStats stats = store.value()->Stats();
  run.appends = stats.appends_total;
  run.batches = stats.batches_total;
  service.reset();  // its snapshot writer and the store's flush count as the run's CPU
  store.value().reset();
  run.cpu_seconds = ProcessCpuSeconds() - cpu_start;
  return run;
}

// Peak resident set (VmHWM) of this process in MiB, or -1.
long PeakRssMiB() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      long kib = 0;
      status >> kib;
      return kib / 1024;
    }
    status.ignore(1 << 12, '\n');
  }
  return -1;
}

}  // namespace

int RunBenchPost(const GlobalOptions&, const std::vector<std::string>& args) {
  std::string accounts_text = "10000", runs_text = "3", months_text = "1", seed_text = "1", scratch = "/tmp";
  bool quick = false, json = false;
  FlagParser flags;
  flags.Value("--accounts", &accounts_text);
  flags.Value("--runs", &runs_text);
  flags.Value("--months", &months_text);
  flags.Value("--seed", &seed_text);
  flags.Value("--dir", &scratch);
  flags.Bool("--quick", &quick);
  flags.Bool("--json", &json);
  std::vector<std::string> positional;
  std::string error;
  if (!flags.Parse(args, &positional, &error)) return UsageError(error);
  unsigned long long accounts = 0, runs = 0, months = 0, seed = 0;
  if (!ParseUint64(accounts_text, &accounts) || accounts < 1 || accounts > 1'000'000 ||
      !ParseUint64(runs_text, &runs) || runs < 1 || runs > 99 || !ParseUint64(months_text, &months) ||
      months < 1 || months > 120 || !ParseUint64(seed_text, &seed) || !positional.empty()) {
    return UsageError("usage: bench post [--accounts N<=1000000] [--runs R<=99] [--months M<=120] [--seed S] [--quick] [--dir D] [--json]");
  }
  if (quick) {
    accounts = std::min<unsigned long long>(accounts, 1000);
    runs = 1;
  }
  const std::string root = scratch + "/accrue-bench-post-" + std::to_string(::getpid());
  std::error_code mkdir_error;
  std::filesystem::create_directories(root, mkdir_error);
  if (mkdir_error) return UsageError("cannot create " + root + ": " + mkdir_error.message());
  if (!json) {
    std::printf("bench post: %llu accounts, %llu month(s), %llu run(s) per profile, %zu in flight; raw = RocksDB "
                "WriteBatch of %zu x %zu B, sync = true, 1 writer\n",
                accounts, months, runs, kBenchInFlight, kRawBatch, kRawPayloadBytes);
    std::printf("%-12s %4s %10s %9s %12s %12s %10s %8s\n", "profile", "run", "commands", "seconds", "commands/s",
                "raw ev/s", "cpu us/cmd", "group");
  }
  int exit_code = kExitOk;
  for (bench::Profile profile : {bench::Profile::kUsageHeavy, bench::Profile::kMixed}) {
    bench::WorkloadOptions o;
    o.profile = profile;
    o.mix = bench::MixFor(profile);
    o.accounts = static_cast<int>(accounts);
    o.months = static_cast<int>(months);
    o.seed = seed;
    std::vector<std::string> lines;
    (void)bench::GenerateWorkload(o, [&](std::string_view l) { lines.emplace_back(l); }, nullptr);
    std::vector<double> rates, raw_rates, cpu;  // raw measured beside each run of this profile
    const std::string name(bench::ProfileName(profile));
    for (unsigned long long r = 0; r < runs; ++r) {
      const std::string dir = root + "/" + name + "-" + std::to_string(r);
      std::filesystem::remove_all(dir);
      std::string why;
      PostRun run = PostAll(dir, lines, &why);
      std::filesystem::remove_all(dir);
      double raw = RawBatchRate(dir + "-raw");
      std::filesystem::remove_all(dir + "-raw");
      if (run.rejected > 0 || run.failed > 0 || run.commands != lines.size()) {
        std::fprintf(stderr, "accrue: bench post %s: %llu rejected, %llu failed: %s\n", name.c_str(),
                     static_cast<unsigned long long>(run.rejected), static_cast<unsigned long long>(run.failed),
                     why.c_str());
        exit_code = kExitFound;
      }
      rates.push_back(run.Rate());
      raw_rates.push_back(raw);
      cpu.push_back(run.CpuMicrosPerCommand());
      if (json) {
        std::printf("{\"profile\":\"%s\",\"run\":%llu,\"commands\":%llu,\"seconds\":%.3f,\"commands_per_s\":%.0f,"
                    "\"raw_events_per_s\":%.0f,\"cpu_us_per_command\":%.1f,\"appends_per_group_commit\":%.1f}\n",
                    name.c_str(), r + 1, static_cast<unsigned long long>(run.commands), run.seconds, run.Rate(), raw,
                    run.CpuMicrosPerCommand(), run.AppendsPerBatch());
      } else {
        std::printf("%-12s %4llu %10llu %9.3f %12.0f %12.0f %10.1f %8.1f\n", name.c_str(), r + 1,
                    static_cast<unsigned long long>(run.commands), run.seconds, run.Rate(), raw,
                    run.CpuMicrosPerCommand(), run.AppendsPerBatch());
      }
      std::fflush(stdout);
    }
    const double median = Median(rates);
    const double raw_median = Median(raw_rates);
    const double cpu_median = Median(cpu);
    const double budget = profile == bench::Profile::kUsageHeavy ? 100000 : 50000;
    if (json) {
      std::printf("{\"profile\":\"%s\",\"median_commands_per_s\":%.0f,\"raw_median_events_per_s\":%.0f,"
                  "\"ratio\":%.4f,\"budget_commands_per_s\":%.0f,\"median_cpu_us_per_command\":%.1f}\n",
                  name.c_str(), median, raw_median, raw_median > 0 ? median / raw_median : 0, budget, cpu_median);
    } else {
      std::printf("%-12s %4s %10zu %9s %12.0f %12.0f %10.1f  ratio %.4f (budget %s), budget %.0f commands/s: %s\n",
                  name.c_str(), "med", lines.size(), "", median, raw_median, cpu_median,
                  raw_median > 0 ? median / raw_median : 0,
                  profile == bench::Profile::kUsageHeavy ? ">= 0.15" : "none", budget,
                  median >= budget ? "met" : "NOT met");
    }
  }
  std::filesystem::remove_all(root);
  if (json) {
    std::printf("{\"peak_rss_mib\":%ld,\"budget_peak_rss_mib\":1024}\n", PeakRssMiB());
  } else {
    std::printf("peak resident memory: %ld MiB (budget 1024 MiB)\n", PeakRssMiB());
  }
  return exit_code;
}

}  // namespace accrue::app
