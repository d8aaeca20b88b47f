// CommandService: the one way commands enter accrue (`accrue post`, the HTTP API).
//
// For each command it runs D-1 in order: parse (invalid_json), idempotency key,
// idempotency lookup (replay / idempotency_key_reused), decode, then loads the
// account aggregate (cache, snapshot + tail), calls the pure decide(), and appends
// the events, claims and idempotency record in one atomic append with the expected
// stream version, retrying on a version conflict. It never holds a lock across the
// fsync. Rejections are remembered under their key (except D-4 key errors and
// idempotency_key_reused); passing failures (`unavailable`) are not.
//
// Thread-safety: Submit and the read functions may be called from any thread.
#ifndef ACCRUE_ENGINE_SERVICE_H_
#define ACCRUE_ENGINE_SERVICE_H_

#include <cstdint>
#include <functional>
#include "events/future.h"
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/rejection.h"
#include "events/event_store.h"

namespace accrue::engine {

enum class OutcomeStatus { kAccepted, kRejected, kFailed };

struct CommandOutcome {
  OutcomeStatus status = OutcomeStatus::kFailed;
  std::string result_json;  // one line, contract.md "Results" (no trailing newline)
  std::optional<ErrorCode> error;  // set when rejected or failed
  bool replayed = false;
};

struct ServiceOptions {
  std::size_t account_cache_capacity = 100000;  // aggregates kept in memory
  // budgets.md: snapshots every <= 10,000 events. After an append makes a stream
  // (account or catalog) pass a multiple of this, a background writer saves a
  // snapshot of the stream's durable state; loads use the latest snapshot + the
  // tail. 0 = write no snapshots (existing ones are still used when loading).
  uint64_t snapshot_every_events = 10000;
  // Where warnings go (an ignored snapshot, a failed snapshot save); one line
  // each. Unset: written to stderr prefixed "accrue: warning: ".
  std::function<void(std::string_view)> warn;
  // Fault injection for crash tests only (0 = off): the process exits abruptly
  // (std::_Exit) once this many per-account appends of tenant-wide bill runs
  // completed, as a SIGKILL mid-run would.
  uint64_t crash_after_run_parts = 0;
};

// Counters since the service was created (monotonic). A load is the fold of an
// aggregate from the log: into the cache, or for a read that must not show
// appends still in flight.
struct ServiceStats {
  // Loads that started from a snapshot and folded only the tail after it. A test
  // checks the snapshot path was taken with `snapshot_loads > 0` (and, for a
  // stream of N events with snapshots every S, events_folded < S).
  uint64_t snapshot_loads = 0;
  uint64_t snapshots_rejected = 0;  // snapshots ignored (unknown schema, corrupt): full fold instead
  uint64_t full_folds = 0;          // loads of an existing stream folded from version 1
  uint64_t events_folded = 0;       // events folded by loads (tails and full folds)
  uint64_t snapshots_written = 0;   // saved by the background writer
  uint64_t snapshot_write_failures = 0;
  uint64_t snapshots_dropped = 0;     // requests dropped because the writer's queue was full
  uint64_t durable_refolds = 0;       // reads folded from the log because appends were in flight
};

class CommandService {
 public:
  CommandService(events::EventStore* store, ServiceOptions options);
  ~CommandService();

  // Submits one command (the text of one JSON object) for `tenant`. key_override
  // replaces the body's idempotency_key (the HTTP Idempotency-Key header). The future
  // completes once the outcome is durable (or refused).
  events::Future<CommandOutcome> Submit(const std::string& tenant, std::string_view json,
                                     const std::optional<std::string>& key_override);

  // Reads, folded from the log (contract.md "Account state"); nullopt = not found,
  // or the log could not be read: then *error (if given) says why (a corrupt
  // block is not "not found"), else it is left alone.
  // They show DURABLE state only: a command whose append is still in flight (or
  // fails) is not visible; once its Submit future is ready, it is. An account
  // with appends in flight is folded from the log (snapshot + tail) for the read,
  // counted in ServiceStats::durable_refolds.
  std::optional<std::string> AccountJson(const std::string& tenant, const std::string& account_id,
                                         Status* error = nullptr);
  std::optional<std::string> PlanJson(const std::string& tenant, const std::string& plan_id,
                                      Status* error = nullptr);
  std::optional<std::string> InvoiceJson(const std::string& tenant, const std::string& invoice_id,
                                         Status* error = nullptr);
  std::optional<std::string> AccountInvoicesJson(const std::string& tenant, const std::string& account_id,
                                                 Status* error = nullptr);

  // The counters above; cheap, any thread.
  ServiceStats Stats() const;
  // The log's EventStore::WriteHealth(): an error once no command can be appended
  // again until accrue restarts. Cheap, any thread.
  Status WriteHealth() const;
  // Returns once every snapshot requested so far has been written (or failed);
  // for tests and tools. The destructor also finishes them.
  void FlushSnapshots();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_SERVICE_H_
