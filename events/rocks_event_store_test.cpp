// Proves the RocksDB store has the EventStore semantics (the shared conformance
// suite) plus what only a durable store has: reopen continues the chain, format
// version refusal, read-only and secondary opens, queue backpressure.
#include "events/rocks_event_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "events/event_store_conformance.h"
#include "events/keys.h"
#include "events/rocks_log.h"

namespace accrue::events::testing {
namespace {

std::unique_ptr<EventStore> MakeRocks(const std::string& dir) {
  RocksStoreOptions options;
  options.clock = StepClock();
  auto store = OpenRocksEventStore(dir, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store.value()) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(Rocks, EventStoreConformance, ::testing::Values(&MakeRocks));

class RocksStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/accrue-rocks-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = std::string(tmpl) + "/log";
  }
  void TearDown() override { std::filesystem::remove_all(std::filesystem::path(dir_).parent_path()); }
  std::string dir_;
};

TEST_F(RocksStoreTest, ReopenContinuesTheChainAndKeepsEverything) {
  std::string head_hash;
  {
    auto store = MakeRocks(dir_);
    ASSERT_EQ(store->Append(Simple("s", kNoStream, 3)).outcome, AppendOutcome::kAppended);
    AppendRequest r = Simple("t", kNoStream);
    r.idempotency = Record("k", "c", "res");
    r.claims.push_back(Claim{"x/payment/1", "t"});
    ASSERT_EQ(store->Append(r).outcome, AppendOutcome::kAppended);
    head_hash = store->ReadAll(4, 1).value()[0].hash;
  }
  auto store = MakeRocks(dir_);
  EXPECT_EQ(store->LastPosition(), 4u);
  EXPECT_EQ(store->StreamVersion("s").value(), 3u);
  EXPECT_EQ(*store->ClaimOwner("x/payment/1").value(), "t");
  AppendRequest r = Simple("t", 1);
  r.idempotency = Record("k", "c", "other");
  AppendResult replay = store->Append(r);
  EXPECT_EQ(replay.outcome, AppendOutcome::kReplayed);
  EXPECT_EQ(replay.stored_result, "res");
  ASSERT_EQ(store->Append(Simple("s", 3)).last_position, 5u);
  EXPECT_EQ(store->ReadAll(5, 1).value()[0].prev_hash, head_hash);
}

TEST_F(RocksStoreTest, RefusesANewerFormatVersion) {
  {
    auto log = OpenRocksLog(dir_, RocksStoreOptions{});
    ASSERT_TRUE(log.ok());
    std::string v;
    keys::PutFixed32(&v, keys::kFormatVersion + 1);
    ASSERT_TRUE(log.value()->db->Put(rocksdb::WriteOptions(), log.value()->meta,
                                     keys::kFormatVersionKey, v).ok());
  }
  auto store = OpenRocksEventStore(dir_, RocksStoreOptions{});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(RocksStoreTest, ReadOnlyOpenReadsButRefusesAppends) {
  { ASSERT_EQ(MakeRocks(dir_)->Append(Simple("s", kNoStream, 2)).outcome, AppendOutcome::kAppended); }
  RocksStoreOptions options;
  options.mode = OpenMode::kAutoReadOnly;  // nobody holds it: plain read-only
  auto store = OpenRocksEventStore(dir_, options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(store.value()->LastPosition(), 2u);
  AppendResult r = store.value()->Append(Simple("s", 2));
  EXPECT_EQ(r.outcome, AppendOutcome::kFailed);
  EXPECT_EQ(r.status.code(), StatusCode::kFailedPrecondition);
  RocksStoreOptions missing;
  missing.mode = OpenMode::kReadOnly;
  EXPECT_EQ(OpenRocksEventStore(dir_ + "-nope", missing).status().code(), StatusCode::kNotFound);
}

TEST_F(RocksStoreTest, SecondaryCatchesUpWithThePrimary) {
  auto primary = MakeRocks(dir_);
  ASSERT_EQ(primary->Append(Simple("s", kNoStream)).outcome, AppendOutcome::kAppended);
  RocksStoreOptions options;
  options.mode = OpenMode::kSecondary;
  options.secondary_poll_interval = std::chrono::milliseconds(10);
  auto secondary = OpenRocksEventStore(dir_, options);
  ASSERT_TRUE(secondary.ok()) << secondary.status().ToString();
  EXPECT_EQ(secondary.value()->LastPosition(), 1u);
  ASSERT_EQ(primary->Append(Simple("s", 1, 2)).outcome, AppendOutcome::kAppended);
  uint64_t seen = 0;
  for (int i = 0; i < 200 && seen < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    seen = secondary.value()->LastPosition();
  }
  EXPECT_EQ(seen, 3u);
  EXPECT_EQ(secondary.value()->ReadStream("s", 1, 10).value().size(), 3u);
}

TEST_F(RocksStoreTest, AFullQueueIsARetryableFailureNotUnboundedMemory) {
  RocksStoreOptions options;
  options.queue_capacity = 1;
  auto store = OpenRocksEventStore(dir_, options);
  ASSERT_TRUE(store.ok());
  std::vector<std::future<AppendResult>> futures;
  for (int i = 0; i < 200; ++i) {
    std::string stream = "s";
    stream += std::to_string(i);  // (GCC 12 -Wrestrict false positive on "s" + string)
    futures.push_back(store.value()->AppendAsync(Simple(stream, kNoStream, 50)));
  }
  int appended = 0;
  int refused = 0;
  for (auto& f : futures) {
    AppendResult r = f.get();
    if (r.outcome == AppendOutcome::kAppended) ++appended;
    if (r.outcome == AppendOutcome::kFailed) {
      EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_EQ(store.value()->LastPosition(), static_cast<uint64_t>(appended) * 50);
}

// Stats() (issue 7, /metrics): every completed append is counted with its
// latency; each written group commit is one fsync and one batch-size sample;
// a conflict writes nothing; the queue is empty once every future completed.
TEST_F(RocksStoreTest, StatsCountAppendsFsyncsAndBatchSizes) {
  auto store = MakeRocks(dir_);
  ASSERT_EQ(store->Append(Simple("s", kNoStream, 3)).outcome, AppendOutcome::kAppended);
  ASSERT_EQ(store->Append(Simple("t", kNoStream, 2)).outcome, AppendOutcome::kAppended);
  ASSERT_EQ(store->Append(Simple("s", kNoStream)).outcome, AppendOutcome::kConflict);
  std::vector<std::future<AppendResult>> futures;
  for (int i = 0; i < 20; ++i) futures.push_back(store->AppendAsync(Simple("u", kAnyVersion)));
  for (auto& f : futures) ASSERT_EQ(f.get().outcome, AppendOutcome::kAppended);
  StoreStats s = store->Stats();
  EXPECT_TRUE(s.available);
  EXPECT_EQ(s.appends_total, 23u);
  EXPECT_EQ(s.appends_failed_total, 0u);
  EXPECT_EQ(s.events_total, 25u);
  EXPECT_EQ(s.queue_depth, 0u);
  EXPECT_EQ(s.queue_depth_events, 0u);
  EXPECT_GE(s.batches_total, 3u);   // the two sync appends plus >= 1 group for the 20
  EXPECT_LE(s.batches_total, 22u);  // the conflict wrote nothing
  EXPECT_EQ(s.fsyncs_total, s.batches_total);
  EXPECT_EQ(s.batch_events.count, s.batches_total);
  EXPECT_EQ(s.batch_events.sum, 25u);
  EXPECT_EQ(s.batch_requests.count, s.batches_total);
  ASSERT_EQ(s.batch_events.counts.size(), kBatchSizeBounds.size() + 1);
  // The 3-event batch is in (2, 5]; groups of the 20 async appends may land there too
  // (how they group depends on fsync timing), so at least one.
  EXPECT_GE(s.batch_events.counts[2], 1u);
  EXPECT_EQ(s.append_latency_us.count, 23u);
  uint64_t in_buckets = 0;
  for (uint64_t c : s.append_latency_us.counts) in_buckets += c;
  EXPECT_EQ(in_buckets, 23u);
}

// A read-only store keeps no append stats.
TEST_F(RocksStoreTest, ReadOnlyStoreHasNoStats) {
  { ASSERT_EQ(MakeRocks(dir_)->Append(Simple("s", kNoStream)).outcome, AppendOutcome::kAppended); }
  RocksStoreOptions options;
  options.mode = OpenMode::kReadOnly;
  auto store = OpenRocksEventStore(dir_, options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_FALSE(store.value()->Stats().available);
}

}  // namespace
}  // namespace accrue::events::testing
