// EventStoreConformance: the semantics every EventStore must have (event_store.h),
// as parameterized gtest cases. A test binary instantiates it with a factory:
//   INSTANTIATE_TEST_SUITE_P(Memory, EventStoreConformance, Values(&MakeMemory));
// Each case proves one rule by appending and reading back real outcomes.
#ifndef ACCRUE_EVENTS_EVENT_STORE_CONFORMANCE_H_
#define ACCRUE_EVENTS_EVENT_STORE_CONFORMANCE_H_

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "events/append_planner.h"
#include "events/envelope_codec.h"
#include "events/event_store.h"
#include "events/event_store_test_util.h"

namespace accrue::events::testing {

using StoreFactory = std::unique_ptr<EventStore> (*)(const std::string& dir);

class EventStoreConformance : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/accrue-events-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = GetParam()(dir_ + "/log");
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::vector<RecordedEvent> All() {
    auto r = store_->ReadAll(1, 1'000'000);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : std::vector<RecordedEvent>{};
  }

  std::string dir_;
  std::unique_ptr<EventStore> store_;
};

TEST_P(EventStoreConformance, PositionsAndVersionsAreGaplessAndChained) {
  EXPECT_EQ(store_->Append(Simple("t/account/a", kNoStream, 2)).last_position, 2u);
  EXPECT_EQ(store_->Append(Simple("t/account/b", kNoStream, 1)).last_position, 3u);
  AppendResult r = store_->Append(Simple("t/account/a", 2, 3));
  ASSERT_EQ(r.outcome, AppendOutcome::kAppended) << r.status.ToString();
  EXPECT_EQ(r.last_position, 6u);
  EXPECT_EQ(store_->LastPosition(), 6u);
  std::vector<RecordedEvent> all = All();
  ASSERT_EQ(all.size(), 6u);
  std::string prev = ZeroHash();
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].position, i + 1);
    EXPECT_EQ(all[i].prev_hash, prev);
    EXPECT_EQ(all[i].hash, ComputeEventHash(all[i]));
    prev = all[i].hash;
  }
  auto a = store_->ReadStream("t/account/a", 1, 100);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a.value().size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(a.value()[i].version, i + 1);
  EXPECT_EQ(a.value()[2].position, 4u);
  EXPECT_EQ(store_->StreamVersion("t/account/a").value(), 5u);
  EXPECT_EQ(store_->StreamVersion("t/account/zz").value(), 0u);
  auto tail = store_->ReadStream("t/account/a", 4, 1);
  ASSERT_EQ(tail.value().size(), 1u);
  EXPECT_EQ(tail.value()[0].version, 4u);
  auto page = store_->ReadAll(3, 2);
  ASSERT_EQ(page.value().size(), 2u);
  EXPECT_EQ(page.value()[0].position, 3u);
}

TEST_P(EventStoreConformance, ExpectedVersionMismatchIsAConflictAndWritesNothing) {
  ASSERT_EQ(store_->Append(Simple("s", kNoStream)).outcome, AppendOutcome::kAppended);
  AppendResult r = store_->Append(Simple("s", kNoStream));
  EXPECT_EQ(r.outcome, AppendOutcome::kConflict);
  EXPECT_EQ(r.detail, "s");
  EXPECT_EQ(store_->Append(Simple("s", 5)).outcome, AppendOutcome::kConflict);
  // Two streams in one append: the second conflicts, so the first is not written.
  AppendRequest two = Simple("s", 1);
  two.streams.push_back(StreamAppend{"other", 7, {Event("E", "x")}});
  EXPECT_EQ(store_->Append(two).outcome, AppendOutcome::kConflict);
  EXPECT_EQ(store_->LastPosition(), 1u);
  EXPECT_EQ(store_->Append(Simple("s", kAnyVersion)).outcome, AppendOutcome::kAppended);
  EXPECT_EQ(store_->StreamVersion("s").value(), 2u);
}

TEST_P(EventStoreConformance, SeveralStreamsInOneAppendAreAtomicAndOrdered) {
  AppendRequest r = Simple("a", kNoStream, 2);
  r.streams.push_back(StreamAppend{"b", kNoStream, {Event("E", "b0")}});
  r.streams.push_back(StreamAppend{"a", 2, {Event("E", "a2")}});  // checked after part 1
  AppendResult out = store_->Append(r);
  ASSERT_EQ(out.outcome, AppendOutcome::kAppended) << out.status.ToString();
  EXPECT_EQ(out.last_position, 4u);
  EXPECT_EQ(store_->StreamVersion("a").value(), 3u);
  EXPECT_EQ(store_->StreamVersion("b").value(), 1u);
  EXPECT_EQ(All()[3].payload, "a2");
}

TEST_P(EventStoreConformance, IdempotencyReplaysStoredBytesOrRejectsReuse) {
  AppendRequest r = Simple("s", kNoStream);
  r.idempotency = Record("t/k1", "cmd-1", "{\"ok\":1}");
  ASSERT_EQ(store_->Append(r).outcome, AppendOutcome::kAppended);
  AppendResult again = store_->Append(r);
  EXPECT_EQ(again.outcome, AppendOutcome::kReplayed);
  EXPECT_EQ(again.stored_result, "{\"ok\":1}");
  EXPECT_EQ(again.last_position, 1u);
  AppendRequest other = Simple("s", 1);
  other.idempotency = Record("t/k1", "cmd-2", "{\"ok\":2}");
  AppendResult reused = store_->Append(other);
  EXPECT_EQ(reused.outcome, AppendOutcome::kKeyReused);
  EXPECT_EQ(reused.stored_result, "{\"ok\":1}");
  EXPECT_EQ(store_->LastPosition(), 1u);
  auto look = store_->LookupIdempotency("t/k1");
  ASSERT_TRUE(look.ok() && look.value());
  EXPECT_EQ(look.value()->command_hash, Sha256("cmd-1"));
  EXPECT_EQ(look.value()->last_position, 1u);
  EXPECT_FALSE(store_->LookupIdempotency("t/none").value().has_value());
  EXPECT_EQ(All()[0].idempotency_key, "t/k1");
}

TEST_P(EventStoreConformance, ARejectionIsRememberedWithNoEvents) {
  AppendRequest rejection;
  rejection.idempotency = Record("t/k2", "bad-cmd", "{\"error\":\"x\"}");
  AppendResult r = store_->Append(rejection);
  ASSERT_EQ(r.outcome, AppendOutcome::kAppended) << r.status.ToString();
  EXPECT_EQ(r.last_position, 0u);
  EXPECT_EQ(store_->LastPosition(), 0u);
  AppendResult again = store_->Append(rejection);
  EXPECT_EQ(again.outcome, AppendOutcome::kReplayed);
  EXPECT_EQ(again.stored_result, "{\"error\":\"x\"}");
}

TEST_P(EventStoreConformance, ClaimValuesAreStoredWithTheClaimAndKeepTheFirst) {
  AppendRequest a = Simple("t/account/a", kNoStream);
  a.claims.push_back(Claim{"t/usage/u1", "t/account/a", std::string("fp\0with zero", 12)});
  a.claims.push_back(Claim{"t/usage/u2", "t/account/a", ""});
  ASSERT_EQ(store_->Append(a).outcome, AppendOutcome::kAppended);
  auto u1 = store_->LookupClaim("t/usage/u1").value();
  ASSERT_TRUE(u1.has_value());
  EXPECT_EQ(u1->key, "t/usage/u1");
  EXPECT_EQ(u1->stream, "t/account/a");
  EXPECT_EQ(u1->value, std::string("fp\0with zero", 12));
  EXPECT_EQ(*store_->ClaimOwner("t/usage/u1").value(), "t/account/a");
  auto u2 = store_->LookupClaim("t/usage/u2").value();
  ASSERT_TRUE(u2.has_value());
  EXPECT_EQ(u2->value, "");
  EXPECT_FALSE(store_->LookupClaim("t/usage/u3").value().has_value());
  // A re-claim by the owner with another value keeps the first value.
  AppendRequest again = Simple("t/account/a", 1);
  again.claims.push_back(Claim{"t/usage/u1", "t/account/a", "other"});
  ASSERT_EQ(store_->Append(again).outcome, AppendOutcome::kAppended);
  EXPECT_EQ(store_->LookupClaim("t/usage/u1").value()->value, std::string("fp\0with zero", 12));
  auto listed = store_->ListClaims("t/usage/").value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].stream, "t/account/a");
  EXPECT_EQ(listed[0].value, std::string("fp\0with zero", 12));
  EXPECT_EQ(listed[1].value, "");
  // A value over kMaxClaimValueBytes is refused.
  AppendRequest big = Simple("t/account/a", 2);
  big.claims.push_back(Claim{"t/usage/u9", "t/account/a", std::string(kMaxClaimValueBytes + 1, 'x')});
  EXPECT_EQ(store_->Append(big).outcome, AppendOutcome::kFailed);
}

TEST_P(EventStoreConformance, ClaimsAreUniqueAcrossStreams) {
  AppendRequest a = Simple("t/account/a", kNoStream);
  a.claims.push_back(Claim{"t/payment/p1", "t/account/a"});
  a.idempotency = Record("t/ka", "a", "ra");
  ASSERT_EQ(store_->Append(a).outcome, AppendOutcome::kAppended);
  AppendRequest b = Simple("t/account/b", kNoStream);
  b.claims.push_back(Claim{"t/payment/p2", "t/account/b"});
  b.claims.push_back(Claim{"t/payment/p1", "t/account/b"});
  b.idempotency = Record("t/kb", "b", "rb");
  AppendResult r = store_->Append(b);
  EXPECT_EQ(r.outcome, AppendOutcome::kClaimTaken);
  EXPECT_EQ(r.detail, "t/payment/p1");
  // Nothing of b was written: no events, no claim p2, no idempotency record.
  EXPECT_EQ(store_->LastPosition(), 1u);
  EXPECT_FALSE(store_->ClaimOwner("t/payment/p2").value().has_value());
  EXPECT_FALSE(store_->LookupIdempotency("t/kb").value().has_value());
  // Re-claiming one's own id is fine.
  AppendRequest again = Simple("t/account/a", 1);
  again.claims.push_back(Claim{"t/payment/p1", "t/account/a"});
  EXPECT_EQ(store_->Append(again).outcome, AppendOutcome::kAppended);
  EXPECT_EQ(*store_->ClaimOwner("t/payment/p1").value(), "t/account/a");
  // One request claiming a key for two streams is refused.
  AppendRequest twice;
  twice.claims = {Claim{"t/x/1", "s1"}, Claim{"t/x/1", "s2"}};
  EXPECT_EQ(store_->Append(twice).outcome, AppendOutcome::kClaimTaken);
  AppendRequest c;
  c.claims = {Claim{"t/payment/p3", "t/account/c"}, Claim{"u/payment/p1", "u/account/a"}};
  ASSERT_EQ(store_->Append(c).outcome, AppendOutcome::kAppended);
  auto listed = store_->ListClaims("t/payment/");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed.value().size(), 2u);
  EXPECT_EQ(listed.value()[0].key, "t/payment/p1");
  EXPECT_EQ(listed.value()[1].stream, "t/account/c");
}

TEST_P(EventStoreConformance, BadInputFailsAndWritesNothing) {
  AppendResult r = store_->Append(Simple("", kNoStream));
  EXPECT_EQ(r.outcome, AppendOutcome::kFailed);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  AppendRequest nul = Simple(std::string("a\0b", 3), kNoStream);
  EXPECT_EQ(store_->Append(nul).outcome, AppendOutcome::kFailed);
  AppendRequest big = Simple("s", kNoStream);
  big.streams[0].events[0].payload.assign(kMaxPayloadBytes + 1, 'x');
  EXPECT_EQ(store_->Append(big).outcome, AppendOutcome::kFailed);
  AppendResult many = store_->Append(Simple("s", kNoStream, kMaxEventsPerAppend + 1));
  EXPECT_EQ(many.outcome, AppendOutcome::kFailed);
  EXPECT_EQ(many.status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->LastPosition(), 0u);
  EXPECT_EQ(store_->Append(Simple("s", kNoStream, kMaxEventsPerAppend)).outcome, AppendOutcome::kAppended);
}

TEST_P(EventStoreConformance, SnapshotsKeepTheLatest) {
  ASSERT_EQ(store_->Append(Simple("s", kNoStream, 5)).outcome, AppendOutcome::kAppended);
  EXPECT_FALSE(store_->LoadSnapshot("s").value().has_value());
  ASSERT_TRUE(store_->SaveSnapshot("s", Snapshot{3, "three"}).ok());
  ASSERT_TRUE(store_->SaveSnapshot("s", Snapshot{5, "five"}).ok());
  ASSERT_TRUE(store_->SaveSnapshot("s", Snapshot{4, "four"}).ok());  // older: kept latest
  auto snap = store_->LoadSnapshot("s");
  ASSERT_TRUE(snap.ok() && snap.value());
  EXPECT_EQ(snap.value()->version, 5u);
  EXPECT_EQ(snap.value()->bytes, "five");
  EXPECT_FALSE(store_->SaveSnapshot("s", Snapshot{6, "future"}).ok());
}

TEST_P(EventStoreConformance, AsyncAppendCompletes) {
  auto f1 = store_->AppendAsync(Simple("a", kNoStream));
  auto f2 = store_->AppendAsync(Simple("b", kNoStream));
  EXPECT_EQ(f1.get().outcome, AppendOutcome::kAppended);
  EXPECT_EQ(f2.get().outcome, AppendOutcome::kAppended);
  EXPECT_EQ(store_->LastPosition(), 2u);
}

TEST_P(EventStoreConformance, StreamIndexScanMatchesEvents) {
  ASSERT_EQ(store_->Append(Simple("b", kNoStream, 2)).outcome, AppendOutcome::kAppended);
  ASSERT_EQ(store_->Append(Simple("a", kNoStream, 1)).outcome, AppendOutcome::kAppended);
  std::vector<std::tuple<std::string, uint64_t, uint64_t>> seen;
  ASSERT_TRUE(store_->ScanStreamIndex([&](const std::string& s, uint64_t v, uint64_t p) {
    seen.emplace_back(s, v, p);
    return true;
  }).ok());
  std::vector<std::tuple<std::string, uint64_t, uint64_t>> want = {
      {"a", 1, 3}, {"b", 1, 1}, {"b", 2, 2}};
  EXPECT_EQ(seen, want);
}

TEST_P(EventStoreConformance, SubscribersSeeHistoryThenNewEventsInOrder) {
  ASSERT_EQ(store_->Append(Simple("s", kNoStream, 3)).outcome, AppendOutcome::kAppended);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<uint64_t> seen;
  auto sub = store_->Subscribe(1, [&](const RecordedEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(e.position);
    cv.notify_all();
  });
  ASSERT_EQ(store_->Append(Simple("s", 3, 2)).outcome, AppendOutcome::kAppended);
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return seen.size() >= 4; }));
  EXPECT_EQ(seen, (std::vector<uint64_t>{2, 3, 4, 5}));
  lock.unlock();
  sub.reset();
}

}  // namespace accrue::events::testing

#endif  // ACCRUE_EVENTS_EVENT_STORE_CONFORMANCE_H_
