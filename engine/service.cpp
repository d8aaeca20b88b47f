// CommandService (engine/service.h): D-1 in order, the aggregate cache, the
// pipelined append and the completion thread.
//
// How a command flows:
//  1. Submit parses, checks the key and the idempotency record (in-flight keys
//     first, then the store), decodes, loads the aggregate from the cache (or the
//     log), calls decide(), folds the events into the cached aggregate at once
//     (speculatively), and hands the append to the store with AppendAsync. All of
//     that runs under mu_, which is never held while waiting for an fsync.
//  2. The completion thread takes the appends in submission order, waits for each
//     to be durable, and fulfils the caller's promise; the appends already durable
//     when it takes mu_ are settled under that one hold (CompleteAppends), the
//     callers woken after it is released. On a version conflict or a
//     taken claim it drops the cached aggregate and decides again (at most
//     kMaxDecideAttempts times); on a failed append (`unavailable`) it drops the
//     cached aggregates the append touched, so later decisions start from the log.
// Because the store's writer takes appends in order, later commands decided on the
// speculative state append behind the ones they depend on.
#include "engine/service.h"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "engine/command.h"
#include "engine/decide.h"
#include "engine/evolve.h"
#include "engine/json.h"
#include "engine/result_json.h"
#include "engine/service_internal.h"
#include "engine/state_json.h"
#include "events/sha256.h"

namespace accrue::engine {

using internal::AccountEntry;
using internal::AggregateCache;

namespace {

// Bounded retries when the log moved under a decision (design.md).
constexpr int kMaxDecideAttempts = 8;
// A tenant-wide run keeps at most this many per-account appends in the store's
// queue at once: enough for the group commit to batch hundreds per fsync, well
// under the store's queue capacity (events/rocks_event_store.h
// kAppendQueueCapacity = 4096) so other commands still get in.
constexpr std::size_t kMaxRunAppendsInFlight = 1024;

CommandOutcome Outcome(OutcomeStatus status, std::string json, std::optional<ErrorCode> error,
                       bool replayed) {
  CommandOutcome o;
  o.status = status;
  o.result_json = std::move(json);
  o.error = error;
  o.replayed = replayed;
  return o;
}


// An append that failed before reaching the store.
events::Future<events::AppendResult> FailedAppend(Status status) {
  events::AppendResult r;
  r.outcome = events::AppendOutcome::kFailed;
  r.status = std::move(status);
  return events::ReadyFuture(std::move(r));
}

CommandOutcome RejectedOutcome(const std::optional<std::string>& key, const Rejection& r) {
  return Outcome(OutcomeStatus::kRejected, RejectedJson(key, r), r.code, false);
}

CommandOutcome FailedOutcome(const std::optional<std::string>& key, const std::string& why) {
  return Outcome(OutcomeStatus::kFailed, FailedJson(key, why), ErrorCode::kUnavailable, false);
}

// An outcome from a stored result (a replay, D-8): status and code read back.
CommandOutcome StoredOutcome(const std::string& json, bool replayed) {
  JsonValue v;
  std::string error;
  OutcomeStatus status = OutcomeStatus::kAccepted;
  std::optional<ErrorCode> code;
  if (ParseJsonObjectLine(json, &v, &error)) {
    const JsonValue* s = v.Find("status");
    if (s != nullptr && s->is_string() && s->text == "rejected") {
      status = OutcomeStatus::kRejected;
      const JsonValue* e = v.Find("error");
      const JsonValue* c = e != nullptr ? e->Find("code") : nullptr;
      for (int i = 0; c != nullptr && i <= static_cast<int>(ErrorCode::kUnavailable); ++i) {
        if (ErrorCodeName(static_cast<ErrorCode>(i)) == c->text) code = static_cast<ErrorCode>(i);
      }
    }
  }
  return Outcome(status, replayed ? AddReplayed(json) : json, code, replayed);
}

// D-1 step 3: another command under a key already used.
Rejection KeyReused() {
  return Reject(ErrorCode::kIdempotencyKeyReused, "idempotency_key", "this key was used with a different command");
}

// The command's hash for idempotency: SHA-256 of the canonical command without
// its idempotency_key member (so an HTTP header key hashes the same).
std::string CommandHash(const JsonValue& object) {
  return events::Sha256(CanonicalJsonWithout(object, "idempotency_key"));
}

void DefaultWarn(std::string_view line) {
  std::fprintf(stderr, "accrue: warning: %.*s\n", static_cast<int>(line.size()), line.data());
}

std::vector<std::string> EventNames(const std::vector<v1::BillingEvent>& events) {
  std::vector<std::string> names;
  for (const auto& e : events) {
    if (e.has_bill_run_processed()) continue;  // a marker, not news (D-25)
    names.push_back(EventTypeName(e));
  }
  return names;
}

}  // namespace

// One queued completion (FIFO on the completion thread).
struct Completion {
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
  uint64_t failures_at_start = 0;  // AggregateCache::failures() when the run was decided
};

class CommandService::Impl {
 public:
  Impl(events::EventStore* store, ServiceOptions options)
      : store_(store),
        load_{store, &counters_, options.warn ? options.warn : DefaultWarn},
        writer_(load_),
        cache_(load_, options, &writer_),
        crash_after_run_parts_(options.crash_after_run_parts) {
    completer_ = std::thread([this] { CompletionLoop(); });
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    completer_.join();
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
  void StartRun(Completion* c, const RunBilling& run);
  void SubmitWith(events::Promise<CommandOutcome> promise, const std::string& tenant, std::string_view json,
                  const std::optional<std::string>& key_override, bool draining);
  // A tenant-wide run of `tenant` settled (its record durable, or failed): the
  // tenant's deferred commands go ahead, in order.
  void RunSettled(const std::string& tenant);
  void DrainDeferred(const std::string& tenant);
  void CompletionLoop();
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
  AggregateCache cache_;
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

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::unique_ptr<Completion>> queue_;
  bool stopping_ = false;
  uint64_t crash_after_run_parts_ = 0;
  uint64_t run_parts_done_ = 0;
  std::thread completer_;
};

events::Future<CommandOutcome> CommandService::Impl::Submit(
    const std::string& tenant, std::string_view json, const std::optional<std::string>& key_override) {
  events::Promise<CommandOutcome> promise;
  events::Future<CommandOutcome> future = promise.get_future();
  SubmitWith(std::move(promise), tenant, json, key_override, /*draining=*/false);
  return future;
}

void CommandService::Impl::SubmitWith(events::Promise<CommandOutcome> promise, const std::string& tenant,
                                      std::string_view json, const std::optional<std::string>& key_override,
                                      bool draining) {
  // D-1 step 1. Not remembered. Over HTTP the header's key (which overrides the
  // body's, contract "HTTP API") is known even when the body is not JSON, and the
  // error body is the result object with that key; `post` has no key to show (D-4).
  JsonValue object;
  std::string parse_error;
  if (json.size() > kMaxJsonLineBytes) {
    return promise.set_value(
        RejectedOutcome(key_override, Reject(ErrorCode::kInvalidJson, "", "the command exceeds 1 MiB")));
  }
  if (!ParseJsonObjectLine(json, &object, &parse_error)) {
    return promise.set_value(RejectedOutcome(key_override, Reject(ErrorCode::kInvalidJson, "", "not a JSON object")));
  }
  // D-1 step 2, D-4: key errors are not remembered.
  std::string key;
  if (key_override) {
    key = *key_override;
  } else {
    auto extracted = ExtractIdempotencyKey(object);
    if (auto* r = std::get_if<Rejection>(&extracted)) {
      const JsonValue* raw = object.Find("idempotency_key");
      std::optional<std::string> shown;
      if (raw != nullptr && raw->is_string()) shown = raw->text;
      return promise.set_value(RejectedOutcome(shown, *r));
    }
    key = std::get<std::string>(extracted);
  }
  auto c = std::make_unique<Completion>();
  c->tenant = tenant;
  c->key = key;
  c->scoped_key.reserve(tenant.size() + 1 + key.size());
  c->scoped_key.append(tenant).append(1, '/').append(key);
  c->hash = CommandHash(object);

  std::lock_guard<std::mutex> lock(mu_);
  if (!draining && (runs_open_.count(tenant) != 0 || deferred_.count(tenant) != 0)) {
    deferred_[tenant].push_back(DeferredSubmit{std::move(promise), std::string(json), key_override});
    return;
  }
  c->promise = std::move(promise);
  // D-1 step 3: the same key replays; another command under it is reused.
  if (auto it = in_flight_.find(c->scoped_key); it != in_flight_.end()) {
    if (it->second != c->hash) return c->promise.set_value(RejectedOutcome(key, KeyReused()));
    c->kind = Completion::Kind::kReplayInFlight;
    Enqueue(std::move(c));
    return;
  }
  auto lookup = store_->LookupIdempotency(c->scoped_key);
  if (!lookup.ok()) return c->promise.set_value(FailedOutcome(key, lookup.status().ToString()));
  if (lookup.value()) {
    if (lookup.value()->command_hash != c->hash) return c->promise.set_value(RejectedOutcome(key, KeyReused()));
    return c->promise.set_value(
        StoredOutcome(RenderStored(lookup.value()->result, lookup.value()->last_position), true));
  }
  // D-1 steps 4-8.
  auto decoded = DecodeCommand(object);
  if (auto* r = std::get_if<Rejection>(&decoded)) {
    c->command = nullptr;
    c->stored = RejectedJson(key, *r);
    c->status = OutcomeStatus::kRejected;
    c->error = r->code;
  } else {
    c->command = std::make_shared<const Command>(std::move(std::get<Command>(decoded)));
  }
  in_flight_.emplace(c->scoped_key, c->hash);
  if (c->command != nullptr) {
    if (const auto* run = std::get_if<RunBilling>(c->command.get()); run && !run->account_id) {
      ++runs_open_[tenant];  // settled in CompleteRun (RunSettled)
      StartRun(c.get(), *run);
      Enqueue(std::move(c));
      return;
    }
    DecideAndAppend(c.get());
  } else {
    events::AppendRequest request;  // a remembered rejection: the record only
    request.idempotency = events::IdempotencyRecord{c->scoped_key, c->hash, c->stored};
    c->append = store_->AppendAsync(std::move(request));
  }
  Enqueue(std::move(c));
}

void CommandService::Impl::DecideAndAppend(Completion* c) {
  auto prepared = cache_.Prepare(c->tenant, *c->command);
  if (!prepared.ok()) {
    c->append = FailedAppend(prepared.status());
    return;
  }
  internal::Prepared& p = prepared.value();
  DecideResult result = Decide(*c->command, p.context);
  if (Status s = cache_.TakePrepareError(); !s.ok()) {
    c->append = FailedAppend(s);
    return;
  }
  events::AppendRequest request;
  c->touched = internal::Touched{};
  if (auto* r = std::get_if<Rejection>(&result)) {
    c->stored = RejectedJson(c->key, *r);
    c->status = OutcomeStatus::kRejected;
    c->error = r->code;
  } else {
    Decision& d = std::get<Decision>(result);
    AcceptedResult accepted;
    accepted.events = EventNames(d.events);
    accepted.replayed = d.replayed;
    if (std::holds_alternative<RunBilling>(*c->command)) {
      accepted.run = true;
      accepted.invoices = d.invoices;
    }
    c->stored = AcceptedJson(c->key, accepted);
    c->status = OutcomeStatus::kAccepted;
    c->error.reset();
    c->replayed = d.replayed;
    cache_.ApplySpeculatively(c->tenant, d, &request, &c->touched);
  }
  cache_.AddDependencyChecks(c->tenant, p, &request);
  request.idempotency = events::IdempotencyRecord{c->scoped_key, c->hash, c->stored};
  c->append = store_->AppendAsync(std::move(request));
}

void CommandService::Impl::StartRun(Completion* c, const RunBilling& run) {
  c->kind = Completion::Kind::kRun;
  c->failures_at_start = cache_.failures();
  auto accounts = cache_.TenantAccounts(c->tenant);
  if (!accounts.ok()) {
    c->parts.clear();
    c->skipped.clear();
    c->status = OutcomeStatus::kFailed;
    return;
  }
  std::size_t submitted = 0;  // parts handed to the store (CompleteRun hands the rest)
  for (const std::string& account_id : accounts.value()) {
    internal::RunPart part;
    part.account_id = account_id;
    // Per-account record: the unit separator (0x1F) is not printable ASCII, so no
    // client key (D-4) can collide with it.
    part.scoped_key = c->scoped_key + "\x1frun/" + account_id;
    auto done = store_->LookupIdempotency(part.scoped_key);
    if (done.ok() && done.value() && done.value()->command_hash == c->hash) {  // billed by an earlier, interrupted attempt
      part.previous = done.value()->result;
      part.previous_position = done.value()->last_position;
      c->parts.push_back(std::move(part));
      continue;
    }
    auto entry = cache_.Account(c->tenant, account_id);
    if (!entry.ok() || entry.value() == nullptr) {  // not billed: the run must not be remembered
      c->status = OutcomeStatus::kFailed;
      continue;
    }
    DecideResult result = DecideBillRun(entry.value()->state, run.as_of);
    if (auto* r = std::get_if<Rejection>(&result)) {  // D-27: skip, stays unprocessed
      c->skipped.push_back(SkippedAccount{account_id, r->code});
      continue;
    }
    Decision& d = std::get<Decision>(result);
    if (d.events.empty()) continue;
    AcceptedResult accepted;
    accepted.events = EventNames(d.events);
    accepted.run = true;
    accepted.invoices = d.invoices;
    part.invoices = d.invoices;
    part.events = accepted.events;
    cache_.ApplySpeculatively(c->tenant, d, &part.request, &part.touched);
    part.request.idempotency = events::IdempotencyRecord{part.scoped_key, c->hash, AcceptedJson(c->key, accepted)};
    part.started = true;
    if (submitted < kMaxRunAppendsInFlight) {  // the first window starts while the rest is decided
      part.append = store_->AppendAsync(std::move(part.request));
      part.submitted = true;
      ++submitted;
    }
    c->parts.push_back(std::move(part));
  }
}

void CommandService::Impl::CompletionLoop() {
  std::deque<std::unique_ptr<Completion>> taken;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      taken.swap(queue_);          // everything queued, still in submission order
    }
    std::vector<Completion*> appends;  // consecutive plain appends, settled together
    for (std::unique_ptr<Completion>& c : taken) {
      if (c->kind == Completion::Kind::kAppend) {
        appends.push_back(c.get());
        continue;
      }
      CompleteAppends(appends);
      appends.clear();
      if (c->kind == Completion::Kind::kRun) {
        CompleteRun(c.get());
      } else {
        CompleteReplay(c.get());
      }
    }
    CompleteAppends(appends);
    taken.clear();
  }
}

void CommandService::Impl::CompleteAppends(const std::vector<Completion*>& appends) {
  // The appends of one group commit become durable together: settle every one
  // that is ready under one hold of mu_ (the submitting thread holds it while it
  // decides, so a lock per command was a futex hand-off per command), then
  // render the results and wake the callers without it. Order is kept: a
  // completion is settled only after all before it, and one decided again is
  // waited for (its new append) before those after it.
  std::vector<std::pair<Completion*, events::AppendResult>> settled;
  std::size_t next = 0;
  while (next < appends.size()) {
    appends[next]->append.wait();  // not under mu_: it is never held across an fsync
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (; next < appends.size(); ++next) {
        Completion* c = appends[next];
        if (c->append.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
          break;  // not durable yet: wait for it without mu_
        }
        events::AppendResult r = c->append.get();
        if (!SettleLocked(c, r)) break;  // decided again: wait for its new append
        settled.emplace_back(c, std::move(r));
      }
    }
    for (auto& [c, r] : settled) c->promise.set_value(OutcomeOf(*c, std::move(r)));
    settled.clear();
  }
}

void CommandService::Impl::CompleteReplay(Completion* c) {
  // The original completed before us (FIFO): the record is durable, or it failed.
  auto lookup = store_->LookupIdempotency(c->scoped_key);
  if (lookup.ok() && lookup.value() && lookup.value()->command_hash == c->hash) {
    c->promise.set_value(
        StoredOutcome(RenderStored(lookup.value()->result, lookup.value()->last_position), true));
  } else {
    c->promise.set_value(FailedOutcome(c->key, "the first attempt under this key failed; retry"));
  }
}

bool CommandService::Impl::SettleLocked(Completion* c, const events::AppendResult& r) {
  const bool written = r.outcome == events::AppendOutcome::kAppended;
  cache_.Settle(c->touched, written);  // not written: the speculative events are dropped
  const bool retry = (r.outcome == events::AppendOutcome::kConflict ||
                      r.outcome == events::AppendOutcome::kClaimTaken) &&
                     c->command != nullptr && c->attempt < kMaxDecideAttempts;
  if (retry) {
    ++c->attempt;
    DecideAndAppend(c);  // the log moved: decide again on the reloaded aggregate
    return false;
  }
  in_flight_.erase(c->scoped_key);
  return true;
}

CommandOutcome CommandService::Impl::OutcomeOf(const Completion& c, events::AppendResult r) {
  if (r.outcome == events::AppendOutcome::kAppended) {
    return Outcome(c.status, RenderStored(c.stored, r.last_position), c.error, c.replayed);
  }
  if (r.outcome == events::AppendOutcome::kReplayed) {
    return StoredOutcome(RenderStored(r.stored_result, r.last_position), true);
  }
  if (r.outcome == events::AppendOutcome::kKeyReused) return RejectedOutcome(c.key, KeyReused());
  return FailedOutcome(c.key, r.status.ok() ? "the log refused the append" : r.status.ToString());
}

void CommandService::Impl::CompleteRun(Completion* c) {
  AcceptedResult result;
  result.run = true;
  uint64_t position = 0;
  bool failed = c->status == OutcomeStatus::kFailed;
  std::string failure = "listing or loading the tenant's accounts failed";
  // The parts' appends, in decision order, through a window of
  // kMaxRunAppendsInFlight: each is handed to the store before the oldest is
  // awaited, so the group commit batches them.
  std::size_t next = 0;
  std::size_t in_window = 0;
  for (const internal::RunPart& part : c->parts) in_window += part.submitted ? 1 : 0;  // by StartRun
  auto fill_window = [&] {
    for (; next < c->parts.size() && in_window < kMaxRunAppendsInFlight; ++next) {
      internal::RunPart& part = c->parts[next];
      if (!part.started || part.submitted) continue;
      part.append = store_->AppendAsync(std::move(part.request));
      part.submitted = true;
      ++in_window;
    }
  };
  for (internal::RunPart& part : c->parts) {
    fill_window();
    if (!part.started) {  // done by an earlier attempt under the same key
      JsonValue v;
      std::string error;
      if (ParseJsonObjectLine(part.previous, &v, &error)) {
        if (const JsonValue* inv = v.Find("invoices"); inv != nullptr) {
          for (const auto& i : inv->items) result.invoices.push_back(i.text);
        }
        if (const JsonValue* ev = v.Find("events"); ev != nullptr) {
          for (const auto& e : ev->items) result.events.push_back(e.text);
        }
      }
      if (!part.invoices.empty() || part.previous.find("\"invoices\":[\"") != std::string::npos) {
        position = std::max(position, part.previous_position);
      }
      continue;
    }
    events::AppendResult r = part.append.get();
    --in_window;
    std::lock_guard<std::mutex> lock(mu_);
    if (r.outcome == events::AppendOutcome::kAppended) {
      if (crash_after_run_parts_ != 0 && ++run_parts_done_ >= crash_after_run_parts_) {
        std::_Exit(137);  // ServiceOptions::crash_after_run_parts (crash tests)
      }
      cache_.Settle(part.touched, true);
      for (auto& e : part.events) result.events.push_back(e);
      for (auto& i : part.invoices) result.invoices.push_back(i);
      if (!part.invoices.empty()) position = std::max(position, r.last_position);
    } else {
      cache_.Settle(part.touched, false);
      failed = true;  // a retry under the same key finishes the remaining accounts
      failure = r.status.ok() ? "an account's append was refused" : r.status.ToString();
    }
  }
  {
    // Skips and accounts with nothing to bill were decided on speculative state;
    // if any append failed since, they may rest on it: the run is not remembered
    // (a retry under the same key re-decides the rest, exactly once per account).
    std::lock_guard<std::mutex> lock(mu_);
    if (!failed && cache_.failures() != c->failures_at_start) {
      failed = true;
      failure = "an append the run was decided on failed; retry";
    }
  }
  if (failed) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_flight_.erase(c->scoped_key);
    }
    c->promise.set_value(FailedOutcome(c->key, failure));
    return RunSettled(c->tenant);
  }
  result.skipped = c->skipped;
  if (position > 0) result.position = position;
  std::string json = AcceptedJson(c->key, result);
  events::AppendRequest request;  // the run's own record, after every account's
  request.idempotency = events::IdempotencyRecord{c->scoped_key, c->hash, json};
  events::AppendResult r = store_->Append(std::move(request));
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_.erase(c->scoped_key);
  }
  if (r.outcome == events::AppendOutcome::kAppended) {
    c->promise.set_value(Outcome(OutcomeStatus::kAccepted, json, std::nullopt, false));
  } else if (r.outcome == events::AppendOutcome::kReplayed) {
    c->promise.set_value(StoredOutcome(RenderStored(r.stored_result, r.last_position), true));
  } else {
    c->promise.set_value(FailedOutcome(c->key, r.status.ToString()));
  }
  RunSettled(c->tenant);
}

void CommandService::Impl::RunSettled(const std::string& tenant) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = runs_open_.find(tenant);
    ACCRUE_ASSERT(it != runs_open_.end() && it->second > 0, "a run settled that was not open");
    if (--it->second > 0) return;
    runs_open_.erase(it);
  }
  DrainDeferred(tenant);
}

// On the completion thread. The front line stays queued while it is submitted, so
// a command arriving meanwhile queues behind it; a drained tenant-wide run stops
// the drain (its own RunSettled resumes it).
void CommandService::Impl::DrainDeferred(const std::string& tenant) {
  for (;;) {
    DeferredSubmit* front = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (runs_open_.count(tenant) != 0) return;
      auto it = deferred_.find(tenant);
      if (it == deferred_.end()) return;
      if (it->second.empty()) {
        deferred_.erase(it);
        return;
      }
      front = &it->second.front();  // deque: stable while only this thread pops
    }
    SubmitWith(std::move(front->promise), tenant, front->json, front->key_override, /*draining=*/true);
    std::lock_guard<std::mutex> lock(mu_);
    auto it = deferred_.find(tenant);
    it->second.pop_front();
    if (it->second.empty() && runs_open_.count(tenant) == 0) {
      deferred_.erase(it);
      return;
    }
  }
}

CommandService::CommandService(events::EventStore* store, ServiceOptions options)
    : impl_(std::make_unique<Impl>(store, options)) {}

CommandService::~CommandService() = default;

events::Future<CommandOutcome> CommandService::Submit(const std::string& tenant, std::string_view json,
                                                   const std::optional<std::string>& key_override) {
  return impl_->Submit(tenant, json, key_override);
}

// ---- reads: durable state only ---------------------------------------------------
// A cached entry with no append in flight holds exactly its durable state, so it is
// rendered as it is. An entry with appends in flight holds speculative events that
// may yet fail; the read then folds the stream from the log (snapshot + tail)
// instead, outside mu_, and never shows a command before it is durable.

namespace {

// A read that fails is not "not found": *error says why.
std::optional<std::string> ReadFailed(const Status& status, Status* error) {
  if (error != nullptr) *error = status;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> CommandService::Impl::ReadAccount(
    const std::string& tenant, const std::string& account_id,
    const std::function<std::optional<std::string>(const AccountState&)>& render, Status* error) {
  std::string stream;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto entry = cache_.Account(tenant, account_id);
    if (!entry.ok()) return ReadFailed(entry.status(), error);
    if (entry.value() == nullptr) return std::nullopt;
    if (entry.value()->inflight == 0) {
      if (!entry.value()->state.exists) return std::nullopt;
      return render(entry.value()->state);
    }
    stream = entry.value()->stream;
  }
  counters_.durable_refolds++;
  AccountState state;
  internal::Loaded loaded;
  if (Status s = internal::LoadAccount(load_, stream, &state, &loaded); !s.ok()) return ReadFailed(s, error);
  if (!state.exists) return std::nullopt;
  return render(state);
}

std::optional<std::string> CommandService::Impl::ReadPlan(const std::string& tenant, const std::string& plan_id,
                                                          Status* error) {
  auto render = [&](const CatalogState& catalog) -> std::optional<std::string> {
    auto it = catalog.plans.find(plan_id);
    if (it == catalog.plans.end()) return std::nullopt;
    return PlanStateJson(it->second);
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto catalog = cache_.Catalog(tenant);
    if (!catalog.ok()) return ReadFailed(catalog.status(), error);
    if (catalog.value()->inflight == 0) return render(catalog.value()->state);
  }
  counters_.durable_refolds++;
  CatalogState catalog;
  internal::Loaded loaded;
  if (Status s = internal::LoadCatalog(load_, tenant + "/catalog", &catalog, &loaded); !s.ok()) {
    return ReadFailed(s, error);
  }
  return render(catalog);
}

std::optional<std::string> CommandService::Impl::ReadInvoice(const std::string& tenant,
                                                             const std::string& invoice_id, Status* error) {
  std::optional<std::string> stream;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto owner = cache_.DurableOwner(tenant, kClaimInvoice, invoice_id);  // never an in-flight claim
    if (!owner.ok()) return ReadFailed(owner.status(), error);
    if (!owner.value()) return std::nullopt;
    stream = *owner.value();
  }
  const std::string prefix = tenant + "/account/";
  if (stream->compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  return ReadAccount(tenant, stream->substr(prefix.size()),
                     [&](const AccountState& account) -> std::optional<std::string> {
                       const Invoice* inv = account.FindInvoice(invoice_id);
                       if (inv == nullptr) return std::nullopt;
                       return InvoiceStateJson(account, *inv);
                     },
                     error);
}

std::optional<std::string> CommandService::AccountJson(const std::string& tenant, const std::string& account_id,
                                                       Status* error) {
  return impl_->ReadAccount(
      tenant, account_id, [](const AccountState& a) -> std::optional<std::string> { return AccountStateJson(a); },
      error);
}

std::optional<std::string> CommandService::PlanJson(const std::string& tenant, const std::string& plan_id,
                                                    Status* error) {
  return impl_->ReadPlan(tenant, plan_id, error);
}

std::optional<std::string> CommandService::InvoiceJson(const std::string& tenant, const std::string& invoice_id,
                                                       Status* error) {
  return impl_->ReadInvoice(tenant, invoice_id, error);
}

std::optional<std::string> CommandService::AccountInvoicesJson(const std::string& tenant,
                                                               const std::string& account_id, Status* error) {
  return impl_->ReadAccount(
      tenant, account_id,
      [](const AccountState& a) -> std::optional<std::string> { return AccountInvoicesStateJson(a); }, error);
}

ServiceStats CommandService::Stats() const { return impl_->counters().Read(); }

void CommandService::FlushSnapshots() { impl_->writer().Flush(); }

}  // namespace accrue::engine
