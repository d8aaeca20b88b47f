// `accrue bench project --pg URL [--events N] [--log DIR] [--batch B] [--threads T] [--json]`
// (budgets.md "projector into Postgres": >= 0.35 x raw COPY, counted in rows).
//
// 1. The log: --log DIR as it is when DIR exists; else a fresh one with at least
//    --events (default 1,000,000) events of the demo workload (bench/workload.h,
//    `--profile demo`, bill runs included), posted through the CommandService
//    into DIR (kept, so later runs can reuse it) or into a temp dir (removed).
// 2. The projector (`accrue project --once`) into a fresh database on the server of
//    --pg: events/s and rows/s (rows = every row COPY'd, straight or staged; each
//    is one row inserted or updated in a read-model table, except the per-shard
//    partial sums of a shared ledger balance, a few per batch).
// 3. The baseline, in the same run and on the same server: one COPY of the same
//    number of rows, shaped like ledger_postings, into a plain table without
//    indexes or constraints. The figure that matters is the ratio of rows/s.
// The databases are dropped at the end. Doubles only for printing rates.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include "events/future.h"
#include <string>
#include <unistd.h>

#include "app/bench.h"
#include "bench/workload.h"
#include "engine/service.h"
#include "events/rocks_event_store.h"
#include "projections/pg_client.h"
#include "projections/projector.h"
#include "projections/row_batch.h"
#include "projections/sharded_mapper.h"

namespace accrue::app {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr uint64_t kDefaultBenchEvents = 1'000'000;
constexpr std::size_t kPostInFlight = 512;        // commands submitted before waiting
constexpr int kEventsPerAccountYear = 76;          // demo profile, 12 months (measured: 76-78)
constexpr std::size_t kBaselineCopyChunk = 50'000; // rows per COPY statement

// The URL of database `name` on the server of `url` (".../postgres" -> ".../name").
std::string DatabaseUrl(const std::string& url, const std::string& name) {
  const auto slash = url.rfind('/');
  const auto query = url.find('?', slash == std::string::npos ? 0 : slash);
  std::string base = slash == std::string::npos ? url + "/" : url.substr(0, slash + 1);
  return base + name + (query == std::string::npos ? "" : url.substr(query));
}

Status PostDemoWorkload(const std::string& dir, uint64_t min_events, uint64_t* events) {
  auto store = events::OpenRocksEventStore(dir, events::RocksStoreOptions{});
  if (!store.ok()) return store.status();
  engine::CommandService service(store.value().get(), engine::ServiceOptions{});
  bench::WorkloadOptions w;
  w.profile = bench::Profile::kDemo;
  w.mix = bench::MixFor(w.profile);
  w.accounts = static_cast<int>(min_events / kEventsPerAccountYear + 1);
  w.months = 12;
  w.seed = 2024;
  std::deque<events::Future<engine::CommandOutcome>> in_flight;
  auto settle_all = [&] {
    while (!in_flight.empty()) {
      (void)in_flight.front().get();
      in_flight.pop_front();
    }
  };
  bool ok = bench::GenerateWorkload(w, [&](std::string_view line) {
    // A bill run must see the whole month before it: wait for what is in flight.
    if (line.find("\"run_billing\"") != std::string_view::npos) settle_all();
    in_flight.push_back(service.Submit("bench", line, std::nullopt));
    if (in_flight.size() >= kPostInFlight) {
      (void)in_flight.front().get();
      in_flight.pop_front();
    }
  }, nullptr);
  settle_all();
  if (!ok) return Status::InvalidArgument("workload options out of range");
  *events = store.value()->LastPosition();
  return Status::Ok();
}

// One COPY of `rows` posting-shaped rows into a plain table; seconds, or < 0.
Result<double> BaselineCopy(const std::string& url, uint64_t rows) {
  auto client = projections::PgClient::Connect(url, "public");
  if (!client.ok()) return client.status();
  Status s = client.value()->InTransaction([](projections::PgTxn& txn) -> Status {
    txn.Exec("CREATE TABLE raw_copy (position bigint, entry_no integer, line_no integer, tenant text,"
             " ledger_account text, currency text, debit numeric, credit numeric)");
    return Status::Ok();
  });
  if (!s.ok()) return s;
  const std::vector<std::string> columns = {"position", "entry_no", "line_no", "tenant",
                                            "ledger_account", "currency", "debit", "credit"};
  const auto start = SteadyClock::now();
  s = client.value()->InTransaction([&](projections::PgTxn& txn) -> Status {
    std::vector<std::string> lines;
    lines.reserve(kBaselineCopyChunk);
    for (uint64_t i = 1; i <= rows; ++i) {
      lines.push_back(projections::CopyLine()
                          .Int(static_cast<long long>(i)).Int(1).Int(1).Text("bench")
                          .Text("assets:receivable:acct-" + std::to_string(i % 10000))
                          .Text("USD").Text("49.00").Text("0.00").Take());
      if (lines.size() == kBaselineCopyChunk || i == rows) {
        txn.Copy("raw_copy", columns, lines);
        lines.clear();
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

}  // namespace

int RunBenchProject(const GlobalOptions&, const std::vector<std::string>& args) {
  std::string pg_url, events_text, log_dir, batch_text, threads_text;
  bool json = false;
  FlagParser flags;
  flags.Value("--pg", &pg_url);
  flags.Value("--events", &events_text);
  flags.Value("--log", &log_dir);
  flags.Value("--batch", &batch_text);
  flags.Value("--threads", &threads_text);
  flags.Bool("--json", &json);
  std::vector<std::string> positional;
  std::string error;
  if (!flags.Parse(args, &positional, &error)) return UsageError(error);
  if (pg_url.empty()) return UsageError("bench project needs --pg URL (a server where it may create databases)");
  unsigned long long min_events = kDefaultBenchEvents, batch = projections::kDefaultBatchEvents;
  if (!events_text.empty() && (!ParseUint64(events_text, &min_events) || min_events == 0)) {
    return UsageError("--events must be a positive integer");
  }
  if (!batch_text.empty() && (!ParseUint64(batch_text, &batch) || batch == 0 ||
                              batch > projections::kMaxBatchEvents)) {
    return UsageError("--batch must be 1.." + std::to_string(projections::kMaxBatchEvents));
  }

  unsigned long long threads = projections::kDefaultMapThreads;
  if (!threads_text.empty() && (!ParseUint64(threads_text, &threads) || threads == 0 ||
                                threads > projections::kMaxMapShards)) {
    return UsageError("--threads must be 1.." + std::to_string(projections::kMaxMapShards));
  }

  std::string scratch;
  uint64_t events = 0;
  if (log_dir.empty() || access(log_dir.c_str(), F_OK) != 0) {
    if (log_dir.empty()) {
      char tmpl[] = "/tmp/accrue-bench-project.XXXXXX";
      if (mkdtemp(tmpl) == nullptr) return UsageError("cannot create a temp dir");
      scratch = tmpl;
      log_dir = scratch + "/log";
    }
    std::fprintf(stderr, "bench project: posting the demo workload (>= %llu events) into %s ...\n",
                 min_events, log_dir.c_str());
    Status s = PostDemoWorkload(log_dir, min_events, &events);
    if (!s.ok()) {
      std::fprintf(stderr, "accrue: bench project: %s\n", s.ToString().c_str());
      return kExitUsage;
    }
  }
  events::RocksStoreOptions ro;
  ro.mode = events::OpenMode::kAutoReadOnly;
  auto store = events::OpenRocksEventStore(log_dir, ro);
  if (!store.ok()) {
    std::fprintf(stderr, "accrue: bench project: %s\n", store.status().ToString().c_str());
    return kExitUsage;
  }
  events = store.value()->LastPosition();

  const std::string suffix = std::to_string(getpid());
  const std::string projected_db = "accrue_bench_project_" + suffix;
  const std::string raw_db = "accrue_bench_raw_" + suffix;
  auto admin = projections::PgClient::Connect(pg_url, "public");
  if (!admin.ok() || !admin.value()->ExecAutocommit("CREATE DATABASE " + projected_db).ok() ||
      !admin.value()->ExecAutocommit("CREATE DATABASE " + raw_db).ok()) {
    std::fprintf(stderr, "accrue: bench project: cannot create databases on %s\n", pg_url.c_str());
    return kExitUsage;
  }

  projections::ProjectorOptions options;
  options.pg_url = DatabaseUrl(pg_url, projected_db);
  options.batch_events = static_cast<std::size_t>(batch);
  options.map_threads = static_cast<std::size_t>(threads);
  projections::Projector projector(store.value().get(), options);
  const auto start = SteadyClock::now();
  Status projected = projector.Run(projections::ProjectMode::kOnce);
  const double project_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  const uint64_t rows = projector.progress().rows_written;
  auto baseline_s = projected.ok() ? BaselineCopy(DatabaseUrl(pg_url, raw_db), rows)
                                   : Result<double>(projected);
  (void)admin.value()->ExecAutocommit("DROP DATABASE IF EXISTS " + projected_db);
  (void)admin.value()->ExecAutocommit("DROP DATABASE IF EXISTS " + raw_db);
  if (!scratch.empty()) (void)std::system(("rm -rf '" + scratch + "'").c_str());
  if (!projected.ok() || !baseline_s.ok()) {
    std::fprintf(stderr, "accrue: bench project: %s\n",
                 (projected.ok() ? baseline_s.status() : projected).ToString().c_str());
    return kExitUsage;
  }
  const double events_per_s = static_cast<double>(events) / project_s;
  const double rows_per_s = static_cast<double>(rows) / project_s;
  const double raw_rows_per_s = static_cast<double>(rows) / baseline_s.value();
  const double ratio = rows_per_s / raw_rows_per_s;
  if (json) {
    std::printf("{\"bench\":\"project\",\"events\":%llu,\"rows\":%llu,\"seconds\":%.3f,"
                "\"events_per_s\":%.0f,\"rows_per_s\":%.0f,\"raw_copy_rows_per_s\":%.0f,"
                "\"ratio\":%.3f,\"budget\":0.35}\n",
                static_cast<unsigned long long>(events), static_cast<unsigned long long>(rows),
                project_s, events_per_s, rows_per_s, raw_rows_per_s, ratio);
  } else {
    std::printf("bench project: %llu events -> %llu rows in %.2f s (batch %llu, %llu map threads)\n",
                static_cast<unsigned long long>(events), static_cast<unsigned long long>(rows),
                project_s, batch, threads);
    std::printf("  projector      %10.0f events/s %10.0f rows/s\n", events_per_s, rows_per_s);
    std::printf("  raw COPY       %10s          %10.0f rows/s (same rows, same server, same run)\n",
                "", raw_rows_per_s);
    std::printf("  ratio (rows/s) %.3f x raw COPY (budget >= 0.35)\n", ratio);
    const auto& p = projector.progress();
    std::printf("  time: read log %.2f s, map %.2f s, waiting for Postgres %.2f s\n",
                static_cast<double>(p.read_us) / 1e6, static_cast<double>(p.map_us) / 1e6,
                static_cast<double>(p.wait_us) / 1e6);
  }
  return kExitOk;
}

}  // namespace accrue::app
