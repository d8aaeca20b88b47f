// Internals of CommandService (engine/service.h), shared by its three files:
// service.cpp (submit, decide, append, the completion thread), service_runs.cpp
// (tenant-wide run_billing and the commands that wait for one) and
// service_reads.cpp (reads of durable state). Not part of the engine's surface.
#ifndef ACCRUE_ENGINE_SERVICE_IMPL_H_
#define ACCRUE_ENGINE_SERVICE_IMPL_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/command.h"
#include "engine/json.h"
#include "engine/result_json.h"
#include "engine/service.h"
#include "engine/service_internal.h"

namespace accrue::engine {
namespace service_detail {

// Bounded retries when the log moved under a decision (design.md).
inline constexpr int kMaxDecideAttempts = 8;
// A tenant-wide run keeps at most this many per-account appends in the store's
// queue at once: enough for the group commit to batch hundreds per fsync, well
// under the store's queue capacity (events/rocks_event_store.h
// kAppendQueueCapacity = 4096) so other commands still get in.
inline constexpr std::size_t kMaxRunAppendsInFlight = 1024;
// Run threads: tenant-wide runs of different tenants complete side by side (one
// tenant has at most one run open; its later commands wait for it). With one
// thread a small tenant's run waited for a 15,000-account run of another tenant
// (concurrency hunt, 2026-12-06).
inline constexpr std::size_t kRunThreads = 4;
// Accounts of a tenant-wide run decided per hold of the service mutex (DecideRun).
inline constexpr std::size_t kRunDecideChunk = 64;

CommandOutcome Outcome(OutcomeStatus status, std::string json, std::optional<ErrorCode> error, bool replayed);
// An append that failed before reaching the store.
events::Future<events::AppendResult> FailedAppend(Status status);
CommandOutcome RejectedOutcome(const std::optional<std::string>& key, const Rejection& r);
CommandOutcome FailedOutcome(const std::optional<std::string>& key, const std::string& why);
// An outcome from a stored result (a replay, D-8): status and code read back.
CommandOutcome StoredOutcome(const std::string& json, bool replayed);
// D-1 step 3: another command under a key already used.
Rejection KeyReused();
// The command's hash for idempotency: SHA-256 of the canonical command without
// its idempotency_key member (so an HTTP header key hashes the same).
std::string CommandHash(const JsonValue& object);
void DefaultWarn(std::string_view line);
// Event type names for a result, without markers (D-25).
std::vector<std::string> EventNames(const std::vector<v1::BillingEvent>& events);

}  // namespace service_detail

// One queued completion (FIFO on the completion thread).
struct Completion {
  // Takes the caller's promise (Submit made it): a default-made one would be a
  // second shared state per command, allocated only to be dropped.
  explicit Completion(events::Promise<CommandOutcome> p) : promise(std::move(p)) {}
  enum class Kind { kAppend, kReplayInFlight, kRun };
  Kind kind = Kind::kAppend;
  events::Promise<CommandOutcome> promise;
  std::string tenant;
  std::optional<std::string> key;
  std::string scoped_key;
  std::string hash;
  std::shared_ptr<const Command> command;  // for a re-decide (kAppend of a decision)
  // kAppend
  events::Future<events::AppendResult> append;
  int attempt = 1;  // decisions so far (kMaxDecideAttempts)
  std::string stored;  // the stored result (without position)
  OutcomeStatus status = OutcomeStatus::kAccepted;
  std::optional<ErrorCode> error;
  bool replayed = false;
  internal::Touched touched;
  // kRun
  std::vector<internal::RunPart> parts;
  std::vector<SkippedAccount> skipped;
  uint64_t failures_at_start = 0;  // AggregateCache::failures(tenant) when the run was decided
};

class CommandService::Impl {
 public:
  Impl(events::EventStore* store, ServiceOptions options)
      : store_(store),
        load_{store, &counters_, options.warn ? options.warn : service_detail::DefaultWarn},
        writer_(load_),
        cache_(load_, options, &writer_),
        crash_after_run_parts_(options.crash_after_run_parts) {
    completer_ = std::thread([this] { CompletionLoop(); });
    for (std::size_t i = 0; i < service_detail::kRunThreads; ++i) runners_.emplace_back([this] { RunLoop(); });
  }

  // The completion thread stops once its queue is empty and no run is queued or
  // being completed (a run's end submits the tenant's deferred commands, which
  // queue completions); the run threads after it, as nothing hands them runs then.
  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    completer_.join();
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      runner_stopping_ = true;
    }
    runs_cv_.notify_all();
    for (std::thread& t : runners_) t.join();
  }

  events::Future<CommandOutcome> Submit(const std::string& tenant, std::string_view json,
                                     const std::optional<std::string>& key_override);
  // Submit's body: settles `promise`. `draining`: the line comes from deferred_
  // (DrainDeferred), so it is not deferred again behind itself.
  // Reads of durable state (see "reads" below).
  std::optional<std::string> ReadAccount(const std::string& tenant, const std::string& account_id,
                                         const std::function<std::optional<std::string>(const AccountState&)>& render,
                                         Status* error);
  std::optional<std::string> ReadPlan(const std::string& tenant, const std::string& plan_id, Status* error);
  std::optional<std::string> ReadInvoice(const std::string& tenant, const std::string& invoice_id, Status* error);
  internal::Counters& counters() { return counters_; }
  const events::EventStore* store() const { return store_; }
  internal::SnapshotWriter& writer() { return writer_; }

 private:
  void Enqueue(std::unique_ptr<Completion> c) {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      queue_.push_back(std::move(c));
    }
    queue_cv_.notify_one();
  }

  // Under mu_: decides `command` and starts its append; fills `c`. Returns false
  // (with c->stored etc. unset) when the outcome is immediate.
  void DecideAndAppend(Completion* c);
  void DecideRun(Completion* c);
  void SubmitWith(events::Promise<CommandOutcome> promise, const std::string& tenant, std::string_view json,
                  const std::optional<std::string>& key_override, bool draining);
  // A tenant-wide run of `tenant` settled (its record durable, or failed): the
  // tenant's deferred commands go ahead, in order.
  void RunSettled(const std::string& tenant);
  void DrainDeferred(const std::string& tenant);
  void CompletionLoop();
  // A run thread: completes tenant-wide runs handed over by the completion
  // thread, so other tenants' completions never wait behind one.
  void RunLoop();
  bool RunsIdleLocked() const { return runs_.empty() && runs_active_ == 0; }  // under queue_mu_
  // Plain appends in submission order, each durable one settled with the others
  // ready at that moment under one hold of mu_.
  void CompleteAppends(const std::vector<Completion*>& appends);
  // A replay of a key that was in flight when it came in.
  void CompleteReplay(Completion* c);
  // Under mu_: settles c's append result; false when c was decided again (its new
  // append is in flight), true when done (its key left the in-flight set).
  bool SettleLocked(Completion* c, const events::AppendResult& r);
  static CommandOutcome OutcomeOf(const Completion& c, events::AppendResult r);
  void CompleteRun(Completion* c);
  CommandOutcome DecideSynchronously(Completion* c);

  events::EventStore* store_;
  internal::Counters counters_;
  internal::LoadContext load_;
  internal::SnapshotWriter writer_;  // outlives cache_ and the completion thread
  std::mutex mu_;  // the cache, in-flight keys; never held across an fsync wait
  internal::AggregateCache cache_;
  std::unordered_map<std::string, std::string> in_flight_;  // scoped key -> hash
  // Tenant-wide runs not yet settled, per tenant, and the tenant's commands that
  // came in meanwhile (in order). A run's own record is written after every
  // account's invoice; were later commands appended before it, a crash between
  // them would leave them durable and the run not, and the retry would bill
  // accounts that were opened after the run in the file (issue 5, fault hunt
  // 2026-12-06). Deferring them keeps the log in command order across a run.
  struct DeferredSubmit {
    events::Promise<CommandOutcome> promise;
    std::string json;
    std::optional<std::string> key_override;
  };
  std::unordered_map<std::string, int> runs_open_;
  std::unordered_map<std::string, std::deque<DeferredSubmit>> deferred_;
  std::unordered_set<std::string> drainers_;  // tenants a thread is draining (DrainDeferred)
  std::unordered_set<std::string> redrain_;   // ... and asked to look again

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::unique_ptr<Completion>> queue_;
  bool stopping_ = false;
  // Tenant-wide runs handed from the completion thread to the run thread, once
  // every completion queued before the run has settled (under queue_mu_).
  std::condition_variable runs_cv_;
  std::deque<std::unique_ptr<Completion>> runs_;
  std::size_t runs_active_ = 0;  // runs being completed by run threads
  bool runner_stopping_ = false;
  uint64_t crash_after_run_parts_ = 0;
  uint64_t run_parts_done_ = 0;
  std::thread completer_;
  std::vector<std::thread> runners_;
};

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_SERVICE_IMPL_H_
