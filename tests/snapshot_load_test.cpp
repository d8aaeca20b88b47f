// The CI side of `accrue bench load` (issue 5 acceptance): an account with
// 100,000 usage events, then a restart (a new store and service over the same
// RocksDB log). Checks only that loading took the snapshot path, never timing:
// the read and the first command after the restart each load the account from a
// snapshot and fold fewer than snapshot_every_events events in all (the account is
// never folded from event 1; a command may fully fold the one-event catalog); and the state loaded through the snapshot equals the state folded from
// event 1 (INV-REPLAY-EQUAL, docs/invariants.md), byte for byte.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <deque>
#include <filesystem>
#include "events/future.h"

#include "engine/service.h"
#include "engine/state_json.h"
#include "events/rocks_event_store.h"
#include "invariants/replay_invariants.h"

namespace accrue {
namespace {

constexpr uint64_t kEvents = 100'000;
constexpr std::size_t kInFlight = 4096;
const std::string kTenant = "t";

std::string UsageLine(uint64_t i) {
  char at[32];
  std::snprintf(at, sizeof at, "2024-%02d-%02dT10:00:00Z", static_cast<int>(1 + i % 12), static_cast<int>(1 + i % 28));
  return "{\"command\":\"record_usage\",\"idempotency_key\":\"u" + std::to_string(i) + "\",\"usage_id\":\"u" +
         std::to_string(i) + "\",\"subscription_id\":\"s1\",\"meter\":\"api\",\"quantity\":\"" +
         std::to_string(1 + i % 7) + "\",\"at\":\"" + at + "\"}";
}

TEST(SnapshotLoad, RestartLoadsAHundredThousandEventAccountFromASnapshot) {
  char tmpl[] = "/tmp/accrue-snapshot-load-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  engine::ServiceOptions options;  // snapshots every 10,000 events (budgets.md)
  {
    auto store = events::OpenRocksEventStore(dir, events::RocksStoreOptions{});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    engine::CommandService service(store.value().get(), options);
    for (const char* line : {
             R"({"command":"publish_plan","idempotency_key":"plan","plan_id":"metered","currency":"USD","interval":"month","amount":"10.00","meters":[{"meter":"api","unit_price":"0.001"}]})",
             R"({"command":"open_account","idempotency_key":"open","account_id":"big","currency":"USD"})",
             R"({"command":"subscribe","idempotency_key":"sub","subscription_id":"s1","account_id":"big","plan_id":"metered","start":"2024-01-01T00:00:00Z"})",
             R"({"command":"run_billing","idempotency_key":"run","as_of":"2024-06-01T00:00:00Z"})"}) {
      ASSERT_EQ(service.Submit(kTenant, line, std::nullopt).get().status, engine::OutcomeStatus::kAccepted) << line;
    }
    std::deque<events::Future<engine::CommandOutcome>> in_flight;
    for (uint64_t i = 1; i <= kEvents; ++i) {
      in_flight.push_back(service.Submit(kTenant, UsageLine(i), std::nullopt));
      while (in_flight.size() >= kInFlight) {
        auto o = in_flight.front().get();
        in_flight.pop_front();
        ASSERT_EQ(o.status, engine::OutcomeStatus::kAccepted) << o.result_json;
      }
    }
    while (!in_flight.empty()) {
      ASSERT_EQ(in_flight.front().get().status, engine::OutcomeStatus::kAccepted);
      in_flight.pop_front();
    }
    service.FlushSnapshots();
    EXPECT_GT(service.Stats().snapshots_written, 0u);
  }

  std::string through_snapshot;
  {  // Restart, then read.
    auto store = events::OpenRocksEventStore(dir, events::RocksStoreOptions{});
    ASSERT_TRUE(store.ok());
    engine::CommandService service(store.value().get(), options);
    auto json = service.AccountJson(kTenant, "big");
    ASSERT_TRUE(json.has_value());
    through_snapshot = *json;
    engine::ServiceStats stats = service.Stats();
    EXPECT_GE(stats.snapshot_loads, 1u);
    EXPECT_EQ(stats.full_folds, 0u);
    EXPECT_LT(stats.events_folded, options.snapshot_every_events);

    auto folded = invariants::FoldAccountFromLog(store.value().get(), kTenant, "big");
    ASSERT_TRUE(folded.ok());
    for (const auto& v : invariants::CheckReplayEqual("big", through_snapshot, engine::AccountStateJson(folded.value()))) {
      ADD_FAILURE() << v.ToString();
    }
  }
  {  // Restart, then the first command.
    auto store = events::OpenRocksEventStore(dir, events::RocksStoreOptions{});
    ASSERT_TRUE(store.ok());
    engine::CommandService service(store.value().get(), options);
    auto outcome = service.Submit(kTenant, UsageLine(kEvents + 1), std::nullopt).get();
    EXPECT_EQ(outcome.status, engine::OutcomeStatus::kAccepted) << outcome.result_json;
    engine::ServiceStats stats = service.Stats();
    EXPECT_GE(stats.snapshot_loads, 1u);
    // A command also loads the tenant's catalog (one event, never snapshotted): at
    // most that one full fold; the account's 100,000 events are not refolded.
    EXPECT_LE(stats.full_folds, 1u);
    EXPECT_LT(stats.events_folded, options.snapshot_every_events);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace accrue
