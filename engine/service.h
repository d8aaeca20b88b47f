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
#include <future>
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
  uint64_t snapshot_every_events = 10000;       // budgets.md: snapshots every <= 10,000 events
  // Fault injection for crash tests only (0 = off): the process exits abruptly
  // (std::_Exit) once this many per-account appends of tenant-wide bill runs
  // completed, as a SIGKILL mid-run would.
  uint64_t crash_after_run_parts = 0;
};

class CommandService {
 public:
  CommandService(events::EventStore* store, ServiceOptions options);
  ~CommandService();

  // Submits one command (the text of one JSON object) for `tenant`. key_override
  // replaces the body's idempotency_key (the HTTP Idempotency-Key header). The future
  // completes once the outcome is durable (or refused).
  std::future<CommandOutcome> Submit(const std::string& tenant, std::string_view json,
                                     const std::optional<std::string>& key_override);

  // Reads, folded from the log (contract.md "Account state"); nullopt = not found.
  std::optional<std::string> AccountJson(const std::string& tenant, const std::string& account_id);
  std::optional<std::string> PlanJson(const std::string& tenant, const std::string& plan_id);
  std::optional<std::string> InvoiceJson(const std::string& tenant, const std::string& invoice_id);
  std::optional<std::string> AccountInvoicesJson(const std::string& tenant,
                                                 const std::string& account_id);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_SERVICE_H_
