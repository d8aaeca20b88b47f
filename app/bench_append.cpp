// `accrue bench append`: the event log's append throughput and latency against
// raw RocksDB in the same run (budgets.md, issue 3).
//
// For each batch size (1, 100, 1000 events of kPayloadBytes) and each number of
// concurrent appenders (1, 4, 16), for --seconds each:
//  - accrue: a fresh RocksDB event log; each appender owns one stream and
//    appends `batch` events per Append with its expected version (envelope,
//    hash chain, stream index, group commit, sync = true);
//  - raw: a fresh RocksDB with the events family's options; each appender writes one
//    WriteBatch of `batch` 8-byte-key / kPayloadBytes-value puts with sync = true.
// Prints events/s, p50/p99 latency of one append (one Write for raw), the
// ratio accrue/raw, and the process CPU microseconds per event of each side
// (all threads, RocksDB's flushes included; steadier than the rates on a shared
// machine, and the cost the ratio hides when a disk wait dominates), and accrue's
// appends per group commit (how well concurrent appends share an fsync). Data goes
// to a scratch dir (--dir, default /tmp), removed after.
// --batch N / --appenders N run only that row (for profiling one configuration).
#include <rocksdb/db.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "app/bench.h"
#include "events/keys.h"
#include "events/rocks_event_store.h"
#include "events/rocks_log.h"

namespace accrue::app {
namespace {

using Clock = std::chrono::steady_clock;

inline constexpr std::size_t kPayloadBytes = 200;
inline constexpr std::size_t kBatchSizes[] = {1, 100, 1000};
inline constexpr int kAppenderCounts[] = {1, 4, 16};

struct Figures {
  uint64_t events = 0;
  double seconds = 0;
  std::vector<uint32_t> latencies_us;
  std::string error;
  double cpu_seconds = 0;  // the whole process (flush threads included) over the run
  double appends_per_sync = 0;  // accrue: appends per group commit (StoreStats)
  double Rate() const { return seconds > 0 ? static_cast<double>(events) / seconds : 0; }
  double CpuUsPerEvent() const {
    return events > 0 ? cpu_seconds * 1e6 / static_cast<double>(events) : 0;
  }
};

// Runs `appenders` threads calling `one(thread, &events)` until the deadline;
// `one` returns false on an error (recorded, thread stops).
template <typename OneAppend>
Figures Drive(int appenders, std::chrono::milliseconds duration, OneAppend one) {
  Figures f;
  std::vector<std::vector<uint32_t>> latencies(static_cast<std::size_t>(appenders));
  std::atomic<uint64_t> events{0};
  std::atomic<bool> failed{false};
  const double cpu_start = ProcessCpuSeconds();
  const auto start = Clock::now();
  const auto deadline = start + duration;
  std::vector<std::thread> threads;
  for (int t = 0; t < appenders; ++t) {
    threads.emplace_back([&, t] {
      while (Clock::now() < deadline && !failed.load()) {
        auto begin = Clock::now();
        uint64_t n = 0;
        if (!one(t, &n)) {
          failed.store(true);
          return;
        }
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - begin);
        latencies[static_cast<std::size_t>(t)].push_back(static_cast<uint32_t>(us.count()));
        events.fetch_add(n);
      }
    });
  }
  for (auto& th : threads) th.join();
  f.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  f.cpu_seconds = ProcessCpuSeconds() - cpu_start;
  f.events = events.load();
  for (auto& l : latencies) f.latencies_us.insert(f.latencies_us.end(), l.begin(), l.end());
  if (failed.load()) f.error = "an append failed";
  return f;
}

Figures RunAccrue(const std::string& dir, std::size_t batch, int appenders,
                  std::chrono::milliseconds duration) {
  auto store = events::OpenRocksEventStore(dir, events::RocksStoreOptions{});
  if (!store.ok()) return Figures{0, 0, {}, store.status().ToString()};
  std::vector<uint64_t> versions(static_cast<std::size_t>(appenders), events::kNoStream);
  const std::string payload(kPayloadBytes, 'p');
  Figures f = Drive(appenders, duration, [&](int t, uint64_t* n) {
    events::AppendRequest request;
    events::StreamAppend part;
    part.stream = "bench/account/" + std::to_string(t);
    part.expected_version = versions[static_cast<std::size_t>(t)];
    part.events.assign(batch, events::NewEvent{"BenchEvent", 1, payload});
    request.streams.push_back(std::move(part));
    events::AppendResult r = store.value()->Append(std::move(request));
    if (r.outcome != events::AppendOutcome::kAppended) {
      std::fprintf(stderr, "accrue: bench append failed: %s %s\n", r.status.ToString().c_str(),
                   r.detail.c_str());
      return false;
    }
    versions[static_cast<std::size_t>(t)] += batch;
    *n = batch;
    return true;
  });
  const events::StoreStats stats = store.value()->Stats();
  if (stats.fsyncs_total > 0) {
    f.appends_per_sync = static_cast<double>(stats.appends_total) / static_cast<double>(stats.fsyncs_total);
  }
  return f;
}

Figures RunRaw(const std::string& dir, std::size_t batch, int appenders,
               std::chrono::milliseconds duration) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(events::EventsFamilyOptions(events::BaseRocksOptions()), dir, &raw);
  if (!s.ok()) return Figures{0, 0, {}, s.ToString()};
  std::unique_ptr<rocksdb::DB> db(raw);
  std::atomic<uint64_t> next_key{1};
  const std::string payload(kPayloadBytes, 'p');
  Figures f = Drive(appenders, duration, [&](int, uint64_t* n) {
    // As accrue's writer threads: RocksDB's perf counters off (a thread-local store).
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    rocksdb::WriteBatch wb;
    uint64_t key = next_key.fetch_add(batch);
    for (std::size_t i = 0; i < batch; ++i) {
      (void)wb.Put(events::keys::PositionKey(key + i), payload);
    }
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    if (!db->Write(write_options, &wb).ok()) return false;
    *n = batch;
    return true;
  });
  (void)db->Close();
  return f;
}

}  // namespace

int RunBenchAppend(const GlobalOptions&, const std::vector<std::string>& args) {
  std::string seconds_text = "1";
  std::string dir_text = "/tmp";
  bool quick = false;
  bool json = false;
  std::string only_batch;
  std::string only_appenders;
  FlagParser flags;
  flags.Value("--batch", &only_batch);
  flags.Value("--appenders", &only_appenders);
  flags.Value("--seconds", &seconds_text);
  flags.Value("--dir", &dir_text);
  flags.Bool("--quick", &quick);
  flags.Bool("--json", &json);
  std::vector<std::string> positional;
  std::string error;
  if (!flags.Parse(args, &positional, &error)) return UsageError(error);
  double seconds = 0;
  try {
    seconds = std::stod(seconds_text);
  } catch (...) {
    return UsageError("--seconds must be a number");
  }
  if (quick) seconds = 0.3;
  if (!(seconds > 0 && seconds <= 600)) return UsageError("--seconds must be in (0, 600]");
  const auto duration = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  std::string scratch = dir_text + "/accrue-bench-XXXXXX";
  if (mkdtemp(scratch.data()) == nullptr) {
    std::fprintf(stderr, "accrue: cannot create a scratch dir under %s\n", dir_text.c_str());
    return kExitUsage;
  }
  if (!json) {
    std::printf("%5s %9s %14s %8s %8s %14s %8s %8s %7s %10s %10s %9s\n", "batch", "appenders",
                "accrue_ev/s", "p50_us", "p99_us", "raw_ev/s", "p50_us", "p99_us", "ratio",
                "cpu_us/ev", "raw_cpu_us", "appends/sync");
  }
  int code = kExitOk;
  for (std::size_t batch : kBatchSizes) {
    if (!only_batch.empty() && only_batch != std::to_string(batch)) continue;
    for (int appenders : kAppenderCounts) {
      if (!only_appenders.empty() && only_appenders != std::to_string(appenders)) continue;
      const std::string tag = std::to_string(batch) + "-" + std::to_string(appenders);
      Figures raw = RunRaw(scratch + "/raw-" + tag, batch, appenders, duration);
      Figures ours = RunAccrue(scratch + "/accrue-" + tag, batch, appenders, duration);
      std::filesystem::remove_all(scratch + "/raw-" + tag);
      std::filesystem::remove_all(scratch + "/accrue-" + tag);
      if (!raw.error.empty() || !ours.error.empty()) {
        std::fprintf(stderr, "accrue: bench %s failed: %s %s\n", tag.c_str(), raw.error.c_str(),
                     ours.error.c_str());
        code = kExitUsage;
        continue;
      }
      const double ratio = raw.Rate() > 0 ? ours.Rate() / raw.Rate() : 0;
      const auto p50 = PercentileUs(ours.latencies_us, 50);
      const auto p99 = PercentileUs(ours.latencies_us, 99);
      const auto raw_p50 = PercentileUs(raw.latencies_us, 50);
      const auto raw_p99 = PercentileUs(raw.latencies_us, 99);
      if (json) {
        std::printf("{\"bench\":\"append\",\"batch\":%zu,\"appenders\":%d,\"events_per_s\":%.0f,"
                    "\"p50_us\":%llu,\"p99_us\":%llu,\"raw_events_per_s\":%.0f,\"raw_p50_us\":%llu,"
                    "\"raw_p99_us\":%llu,\"ratio\":%.3f,\"cpu_us_per_event\":%.2f,"
                    "\"raw_cpu_us_per_event\":%.2f,\"appends_per_sync\":%.2f}\n",
                    batch, appenders, ours.Rate(), static_cast<unsigned long long>(p50),
                    static_cast<unsigned long long>(p99), raw.Rate(),
                    static_cast<unsigned long long>(raw_p50), static_cast<unsigned long long>(raw_p99),
                    ratio, ours.CpuUsPerEvent(), raw.CpuUsPerEvent(), ours.appends_per_sync);
      } else {
        std::printf("%5zu %9d %14.0f %8llu %8llu %14.0f %8llu %8llu %7.2f %10.2f %10.2f %12.2f\n", batch,
                    appenders, ours.Rate(), static_cast<unsigned long long>(p50),
                    static_cast<unsigned long long>(p99), raw.Rate(),
                    static_cast<unsigned long long>(raw_p50), static_cast<unsigned long long>(raw_p99),
                    ratio, ours.CpuUsPerEvent(), raw.CpuUsPerEvent(), ours.appends_per_sync);
      }
      std::fflush(stdout);
    }
  }
  std::filesystem::remove_all(scratch);
  return code;
}

}  // namespace accrue::app
