// The whole-log checker (log_invariants.h).
#include "invariants/log_invariants.h"

#include "engine/event_codec.h"
#include "engine/evolve.h"
#include "invariants/account_invariants.h"
#include "invariants/replay_invariants.h"

namespace accrue::invariants {
namespace {

// Splits "<tenant>/account/<id>" or "<tenant>/catalog"; false for anything else.
bool SplitStream(const std::string& stream, std::string* tenant, std::string* account_id, bool* catalog) {
  auto slash = stream.find('/');
  if (slash == std::string::npos) return false;
  *tenant = stream.substr(0, slash);
  std::string rest = stream.substr(slash + 1);
  *catalog = rest == "catalog";
  if (*catalog) return true;
  static constexpr std::string_view kAccount = "account/";
  if (rest.compare(0, kAccount.size(), kAccount) != 0 || rest.size() == kAccount.size()) return false;
  *account_id = rest.substr(kAccount.size());
  return true;
}

}  // namespace

void LogChecker::Report(Violation v) {
  ++violation_count_;
  if (violations_.size() < kMaxReportedViolations) violations_.push_back(std::move(v));
}

Status LogChecker::Feed(const events::RecordedEvent& recorded) {
  ++events_seen_;
  std::string tenant, account_id;
  bool catalog = false;
  if (!SplitStream(recorded.stream, &tenant, &account_id, &catalog)) {
    return Status::Corruption("position " + std::to_string(recorded.position) + ": unknown stream '" +
                              recorded.stream + "'");
  }
  engine::v1::BillingEvent event;
  if (!event.ParseFromString(recorded.payload)) {
    return Status::Corruption("position " + std::to_string(recorded.position) + ": payload does not decode");
  }
  const std::string subject = "position " + std::to_string(recorded.position);
  if (catalog) {
    if (!event.has_plan_published()) {
      Report({std::string(kOneCurrency), subject, "a catalog stream holds a non-plan event"});
      return Status::Ok();
    }
    engine::EvolveCatalog(&catalogs_[tenant], event);
    return Status::Ok();
  }
  engine::AccountState& state = accounts_[{tenant, account_id}];
  if (event.has_plan_published()) {
    Report({std::string(kOneCurrency), subject, "an account stream holds a PlanPublished"});
    return Status::Ok();
  }
  if (event.has_account_opened() == state.exists) {  // R-M1, R-S2: one AccountOpened, first
    Report({std::string(kOneCurrency), subject,
            state.exists ? "a second AccountOpened" : "the stream does not open with AccountOpened"});
    return Status::Ok();
  }
  if (event.has_payment_received() && event.payment_received().currency() != state.currency.code) {
    Report({std::string(kOneCurrency), subject,
            "payment in " + event.payment_received().currency() + " on an account in " +
                std::string(state.currency.code)});
  }
  engine::Evolve(&state, event);
  auto tally = tallies_.try_emplace({tenant, account_id}, account_id).first;
  Violations found;
  tally->second.Add(event, subject, &found);
  for (auto& v : found) Report(std::move(v));
  return Status::Ok();
}

Violations LogChecker::Finish() {
  for (const auto& [key, state] : accounts_) {
    auto catalog = catalogs_.find(key.first);
    static const engine::CatalogState kEmpty;
    for (auto& v : CheckAccount(state, catalog == catalogs_.end() ? &kEmpty : &catalog->second)) {
      Report(std::move(v));
    }
    if (auto tally = tallies_.find(key); tally != tallies_.end()) {
      for (auto& v : tally->second.CheckAgainst(state)) Report(std::move(v));
    }
  }
  return violations_;
}

Result<Violations> CheckLog(events::EventStore* store) {
  LogChecker checker;
  uint64_t next = 1;
  for (;;) {
    auto page = store->ReadAll(next, kLogPageEvents);
    if (!page.ok()) return page.status();
    for (const auto& e : page.value()) {
      Status s = checker.Feed(e);
      if (!s.ok()) return s;
      next = e.position + 1;
    }
    if (page.value().size() < kLogPageEvents) break;
  }
  return checker.Finish();
}

Result<Violations> CheckAccountFromLog(events::EventStore* store, const std::string& tenant,
                                       const std::string& account_id, const engine::CatalogState* catalog,
                                       engine::AccountState* folded) {
  const std::string stream = AccountStream(tenant, account_id);
  std::vector<engine::v1::BillingEvent> events;
  uint64_t next = 1;
  for (;;) {
    auto page = store->ReadStream(stream, next, kReplayPageEvents);
    if (!page.ok()) return page.status();
    for (const auto& recorded : page.value()) {
      if (!events.emplace_back().ParseFromString(recorded.payload)) {
        return Status::Corruption("position " + std::to_string(recorded.position) + ": payload does not decode");
      }
      next = recorded.version + 1;
    }
    if (page.value().size() < kReplayPageEvents) break;
  }
  return CheckAccountEvents(events, catalog, folded);
}

}  // namespace accrue::invariants
