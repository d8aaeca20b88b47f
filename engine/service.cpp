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
#include "engine/service_impl.h"
#include "engine/service_internal.h"
#include "engine/state_json.h"
#include "events/sha256.h"

namespace accrue::engine {

using internal::AccountEntry;
using internal::AggregateCache;
using namespace service_detail;  // NOLINT: this file defines them

namespace service_detail {


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

}  // namespace service_detail

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
  auto c = std::make_unique<Completion>(std::move(promise));
  c->tenant = tenant;
  c->key = key;
  c->scoped_key.reserve(tenant.size() + 1 + key.size());
  c->scoped_key.append(tenant).append(1, '/').append(key);
  c->hash = CommandHash(object);

  std::lock_guard<std::mutex> lock(mu_);
  const bool any_run = !runs_open_.empty() || !deferred_.empty();  // the common case hashes nothing
  if (!draining && any_run && (runs_open_.count(tenant) != 0 || deferred_.count(tenant) != 0)) {
    deferred_[tenant].push_back(DeferredSubmit{std::move(c->promise), std::string(json), key_override});
    return;
  }
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
      c->kind = Completion::Kind::kRun;  // decided by DecideRun on a run thread
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
  c->touched.tenant = c->tenant;
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

void CommandService::Impl::CompletionLoop() {
  std::deque<std::unique_ptr<Completion>> taken;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return !queue_.empty() || (stopping_ && RunsIdleLocked()); });
      if (queue_.empty()) return;  // stopping, drained, no run left to finish
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
        // Everything queued before the run has settled; the run's parts are its
        // tenant's only appends until it settles (later commands wait in
        // deferred_), so a run thread finishes it while this one goes on with
        // other tenants' completions (a 60,000-account run held them ~2 s).
        {
          std::lock_guard<std::mutex> lock(queue_mu_);
          runs_.push_back(std::move(c));
        }
        runs_cv_.notify_one();
      } else {
        CompleteReplay(c.get());
      }
    }
    CompleteAppends(appends);
    taken.clear();
  }
}

void CommandService::Impl::RunLoop() {
  for (;;) {
    std::unique_ptr<Completion> run;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      runs_cv_.wait(lock, [this] { return runner_stopping_ || !runs_.empty(); });
      if (runs_.empty()) return;  // the completion thread has stopped: no more runs
      run = std::move(runs_.front());
      runs_.pop_front();
      ++runs_active_;
    }
    CompleteRun(run.get());
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      --runs_active_;
    }
    queue_cv_.notify_all();  // a stopping completion thread waits for runs to finish
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

CommandService::CommandService(events::EventStore* store, ServiceOptions options)
    : impl_(std::make_unique<Impl>(store, options)) {}

CommandService::~CommandService() = default;

events::Future<CommandOutcome> CommandService::Submit(const std::string& tenant, std::string_view json,
                                                   const std::optional<std::string>& key_override) {
  return impl_->Submit(tenant, json, key_override);
}

ServiceStats CommandService::Stats() const { return impl_->counters().Read(); }

Status CommandService::WriteHealth() const { return impl_->store()->WriteHealth(); }

void CommandService::FlushSnapshots() { impl_->writer().Flush(); }

}  // namespace accrue::engine
