// `accrue project --pg URL (--once|--follow|--rebuild) [--batch N]` (contract.md,
// docs/read-models.md): feeds the Postgres read models from the log.
//
//   --once     catch up with the log and exit 0;
//   --follow   keep tailing until SIGINT/SIGTERM (exit 0 after the batch in flight);
//   --rebuild  build schema accrue_rebuild from position 1 and switch it in.
// The log is opened read-only (a RocksDB secondary while `serve` holds it). Lag is
// logged after batches (at most every kProgressLogInterval) and at the end.
// Exit 2 when the projector stops on an error (a bad event, a log read failure,
// Postgres unreachable for longer than the --once budget).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>

#include "app/cli.h"
#include "app/logging.h"
#include "events/rocks_event_store.h"
#include "projections/projector.h"

namespace accrue::app {
namespace {

constexpr std::chrono::seconds kProgressLogInterval{1};

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

std::vector<LogField> ProgressFields(const projections::ProjectorProgress& p) {
  return {Num("position", static_cast<int64_t>(p.position)),
          Num("head", static_cast<int64_t>(p.head_position)),
          Num("lag_events", static_cast<int64_t>(p.lag_events)),
          Num("lag_ms", p.lag_us / 1000),
          Num("events", static_cast<int64_t>(p.events_applied)),
          Num("rows", static_cast<int64_t>(p.rows_written)),
          Num("batches", static_cast<int64_t>(p.batches))};
}

// Logs progress after batches (at most every kProgressLogInterval) and each retry
// while Postgres is unreachable; SIGINT and SIGTERM stop the projector.
void AddCallbacks(projections::ProjectorOptions* options) {
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  options->should_stop = [] { return g_stop.load(); };
  options->on_progress = [last_log = std::chrono::steady_clock::now() - kProgressLogInterval](
                             const projections::ProjectorProgress& p) mutable {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_log < kProgressLogInterval) return;
    last_log = now;
    LogEvent(LogLevel::kInfo, "project_progress", ProgressFields(p));
  };
  options->on_retry = [](const std::string& why) {
    LogEvent(LogLevel::kWarn, "project_postgres_unavailable_retrying", {Str("error", why)});
  };
}

// Runs the projector (or a rebuild) and logs how it ended; returns the exit code.
int ProjectAndReport(events::EventStore* store, const projections::ProjectorOptions& options, bool rebuild,
                     bool follow) {
  const auto started = std::chrono::steady_clock::now();
  Status s;
  projections::ProjectorProgress progress;
  if (rebuild) {
    s = projections::Rebuild(store, options, &progress);
  } else {
    projections::Projector projector(store, options);
    s = projector.Run(follow ? projections::ProjectMode::kFollow : projections::ProjectMode::kOnce);
    progress = projector.progress();
  }
  const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
  auto fields = ProgressFields(progress);
  if (!s.ok()) {
    fields.push_back(Str("error", s.ToString()));
    LogEvent(LogLevel::kError, "project_stopped", fields);
    return kExitUsage;
  }
  fields.push_back(Num("elapsed_ms", elapsed_ms));
  fields.push_back(Str("mode", rebuild ? "rebuild" : follow ? "follow" : "once"));
  LogEvent(LogLevel::kInfo, "project_done", fields);
  return kExitOk;
}

}  // namespace

int RunProject(const GlobalOptions& g, const std::vector<std::string>& args) {
  FlagParser flags;
  std::string pg_url, batch_text;
  bool once = false, follow = false, rebuild = false;
  flags.Value("--pg", &pg_url);
  flags.Value("--batch", &batch_text);
  flags.Bool("--once", &once);
  flags.Bool("--follow", &follow);
  flags.Bool("--rebuild", &rebuild);
  std::vector<std::string> positional;
  std::string error;
  if (!flags.Parse(args, &positional, &error)) return UsageError(error);
  if (!positional.empty()) return UsageError("project takes no positional arguments");
  if (pg_url.empty()) return UsageError("project needs --pg URL");
  if (int(once) + int(follow) + int(rebuild) != 1) {
    return UsageError("project needs exactly one of --once, --follow, --rebuild");
  }
  projections::ProjectorOptions options;
  options.pg_url = pg_url;
  if (!batch_text.empty()) {
    unsigned long long batch = 0;
    if (!ParseUint64(batch_text, &batch) || batch == 0 || batch > projections::kMaxBatchEvents) {
      return UsageError("--batch must be 1.." + std::to_string(projections::kMaxBatchEvents));
    }
    options.batch_events = static_cast<std::size_t>(batch);
  }
  InitLogging(g.log_format);

  events::RocksStoreOptions store_options;
  // --follow tails a log that a writer may open later: only a secondary instance
  // sees appends made after it opened (a plain read-only open is a snapshot).
  store_options.mode = follow ? events::OpenMode::kSecondary : events::OpenMode::kAutoReadOnly;
  auto store = events::OpenRocksEventStore(g.data_dir, store_options);
  if (!store.ok()) {
    LogEvent(LogLevel::kError, "project_open_log_failed",
             {Str("data", g.data_dir), Str("error", store.status().ToString())});
    return kExitUsage;
  }

  AddCallbacks(&options);
  return ProjectAndReport(store.value().get(), options, rebuild, follow);
}

}  // namespace accrue::app
