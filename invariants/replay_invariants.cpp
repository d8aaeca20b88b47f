// INV-REPLAY-EQUAL (replay_invariants.h).
#include "invariants/replay_invariants.h"

#include <algorithm>

#include "engine/event_codec.h"
#include "engine/evolve.h"
#include "engine/state_json.h"

namespace accrue::invariants {
namespace {

// Calls fn(event) for every event of `stream`, page by page.
template <typename Fn>
Status ForEachEvent(events::EventStore* store, const std::string& stream, Fn fn) {
  uint64_t next = 1;
  for (;;) {
    auto page = store->ReadStream(stream, next, kReplayPageEvents);
    if (!page.ok()) return page.status();
    for (const auto& recorded : page.value()) {
      engine::v1::BillingEvent event;
      if (!event.ParseFromString(recorded.payload)) {
        return Status::Corruption("payload at position " + std::to_string(recorded.position) +
                                  " does not decode as a BillingEvent");
      }
      fn(event);
      next = recorded.version + 1;
    }
    if (page.value().size() < kReplayPageEvents) return Status::Ok();
  }
}

}  // namespace

std::string AccountStream(const std::string& tenant, const std::string& account_id) {
  return tenant + "/account/" + account_id;
}
std::string CatalogStream(const std::string& tenant) { return tenant + "/catalog"; }

Result<engine::AccountState> FoldAccountFromLog(events::EventStore* store, const std::string& tenant,
                                                const std::string& account_id) {
  engine::AccountState state;
  Status s = ForEachEvent(store, AccountStream(tenant, account_id),
                          [&](const engine::v1::BillingEvent& e) { engine::Evolve(&state, e); });
  if (!s.ok()) return s;
  return state;
}

Result<engine::CatalogState> FoldCatalogFromLog(events::EventStore* store, const std::string& tenant) {
  engine::CatalogState catalog;
  Status s = ForEachEvent(store, CatalogStream(tenant),
                          [&](const engine::v1::BillingEvent& e) { engine::EvolveCatalog(&catalog, e); });
  if (!s.ok()) return s;
  return catalog;
}

Violations CheckReplayEqual(const std::string& account_id, const std::string& live_json,
                            const std::string& replayed_json) {
  Violations out;
  if (live_json == replayed_json) return out;
  auto mismatch = std::mismatch(live_json.begin(), live_json.end(), replayed_json.begin(), replayed_json.end());
  std::size_t at = static_cast<std::size_t>(mismatch.first - live_json.begin());
  std::size_t from = at > 40 ? at - 40 : 0;
  out.push_back({std::string(kReplayEqual), "account " + account_id,
                 "state JSON differs at byte " + std::to_string(at) + ": live ..." + live_json.substr(from, 120) +
                     " vs replayed ..." + replayed_json.substr(from, 120)});
  return out;
}

Violations CheckReplayFromLog(events::EventStore* store, const std::string& tenant,
                              const std::string& account_id, const std::optional<std::string>& live_json) {
  auto folded = FoldAccountFromLog(store, tenant, account_id);
  if (!folded.ok()) {
    return {{std::string(kReplayEqual), "account " + account_id, "fold failed: " + folded.status().ToString()}};
  }
  if (!folded.value().exists || !live_json) {
    if (folded.value().exists == live_json.has_value()) return {};
    return {{std::string(kReplayEqual), "account " + account_id,
             live_json ? "live state exists but the log has no AccountOpened"
                       : "the log has the account but the live side does not"}};
  }
  return CheckReplayEqual(account_id, *live_json, engine::AccountStateJson(folded.value()));
}

}  // namespace accrue::invariants
