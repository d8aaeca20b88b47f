// CommandService: a tenant-wide run_billing (engine/service_impl.h). Every
// account is billed in its own append (a record derived from the run's key), the
// run's own record last; the tenant's commands that arrive meanwhile wait in
// deferred_ and go in arrival order once that record is durable (architecture.md,
// "The path of a command"). The completion thread hands a run to a run thread
// (RunLoop) once everything queued before it has settled, and goes on with other
// tenants' completions while the run's appends finish.
#include "engine/service_impl.h"

#include "engine/decide.h"
#include "engine/result_json.h"
#include "engine/state_json.h"

namespace accrue::engine {

using namespace service_detail;  // NOLINT: CommandService's own helpers

// On a run thread, first thing in CompleteRun: everything queued before the run
// has settled and the tenant's later commands wait (deferred_), so the tenant's
// accounts are as the run must see them. Each chunk of kRunDecideChunk accounts
// is decided under mu_, which is let go between chunks: other tenants' commands
// are decided meanwhile instead of waiting for the whole run's decisions (they
// were made at Submit under mu_ until 2026-12-06: ~100-200 ms for 15,000
// accounts, concurrency hunt). The first window of appends starts while the rest
// is decided.
void CommandService::Impl::DecideRun(Completion* c) {
  const RunBilling& run = std::get<RunBilling>(*c->command);
  std::vector<std::string> accounts;
  {
    std::lock_guard<std::mutex> lock(mu_);
    c->failures_at_start = cache_.failures(c->tenant);
    auto listed = cache_.TenantAccounts(c->tenant);
    if (!listed.ok()) {
      c->status = OutcomeStatus::kFailed;
      return;
    }
    accounts = std::move(listed).value();
  }
  std::size_t submitted = 0;  // parts handed to the store (CompleteRun hands the rest)
  std::unique_lock<std::mutex> lock(mu_, std::defer_lock);
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    if (i % kRunDecideChunk == 0) {
      if (lock.owns_lock()) lock.unlock();  // let other tenants' commands in
      lock.lock();
    }
    const std::string& account_id = accounts[i];
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
    part.touched.tenant = c->tenant;
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

void CommandService::Impl::CompleteRun(Completion* c) {
  if (c->status != OutcomeStatus::kFailed) DecideRun(c);
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
  for (const internal::RunPart& part : c->parts) in_window += part.submitted ? 1 : 0;  // by DecideRun
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
    if (!failed && cache_.failures(c->tenant) != c->failures_at_start) {
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

// On a run thread (RunSettled). One thread at a time drains a tenant, so its lines
// are submitted in order: a drained tenant-wide run stops the drain, and its own
// RunSettled (maybe on another run thread, maybe before this one has let go)
// resumes it; a call while another thread drains asks that thread to look again
// (redrain_) instead of draining beside it. (Two run threads drained one tenant
// at once and submitted one line twice: "Promise::set_value called twice".) The
// tenant's entry in deferred_ stays, even empty, until the drain ends, so a
// command arriving while a line is submitted queues behind it.
void CommandService::Impl::DrainDeferred(const std::string& tenant) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!drainers_.insert(tenant).second) {
      redrain_.insert(tenant);
      return;
    }
  }
  for (;;) {
    DeferredSubmit next;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = deferred_.find(tenant);
      const bool blocked = runs_open_.count(tenant) != 0;
      if (blocked || it == deferred_.end() || it->second.empty()) {
        if (redrain_.erase(tenant) != 0) continue;  // asked to look again meanwhile
        if (!blocked && it != deferred_.end()) deferred_.erase(it);
        drainers_.erase(tenant);
        return;
      }
      next = std::move(it->second.front());
      it->second.pop_front();
    }
    SubmitWith(std::move(next.promise), tenant, next.json, next.key_override, /*draining=*/true);
  }
}

}  // namespace accrue::engine
