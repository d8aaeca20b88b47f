// Proves the RocksDB store has the EventStore semantics (the shared conformance
// suite) plus what only a durable store has: reopen continues the chain, format
// version refusal, read-only and secondary opens, queue backpressure, stream
// index runs and the format-1 upgrade rule.
#include "events/rocks_event_store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <mutex>
#include <thread>

#include "events/event_store_conformance.h"
#include "events/keys.h"
#include "events/append_planner.h"
#include "events/group_commit_writer.h"
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

// A writer does not turn someone else's directory into a log: a RocksDB database
// without the `events` family, or a directory with other files, is refused with
// nothing added (until 2026-12-06 `post` added accrue's families and files to
// both); an empty directory, or one where only RocksDB's files are, is fine.
TEST_F(RocksStoreTest, AWriterRefusesADirectoryThatIsNotALog) {
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_, &raw).ok());
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), "theirs", "1").ok());
    delete raw;
  }
  auto foreign = OpenRocksEventStore(dir_, RocksStoreOptions{});
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(foreign.status().message().find("is a RocksDB database but not an accrue event log"), std::string::npos)
      << foreign.status().ToString();
  std::vector<std::string> families;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir_, &families).ok());
  EXPECT_EQ(families, std::vector<std::string>{"default"});

  const std::string other = dir_ + "-other";
  std::filesystem::create_directories(other);
  { std::ofstream(other + "/notes.txt") << "hi\n"; }
  auto files = OpenRocksEventStore(other, RocksStoreOptions{});
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.status().message().find("holds other files ('notes.txt')"), std::string::npos)
      << files.status().ToString();
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(other), std::filesystem::directory_iterator()), 1);

  const std::string empty = dir_ + "-empty";
  std::filesystem::create_directories(empty);
  EXPECT_TRUE(OpenRocksEventStore(empty, RocksStoreOptions{}).ok());

  // The root of a fresh volume (lost+found, a dotfile) is a place for a new log.
  const std::string volume = dir_ + "-volume";
  std::filesystem::create_directories(volume + "/lost+found");
  { std::ofstream(volume + "/.keep") << ""; }
  EXPECT_TRUE(OpenRocksEventStore(volume, RocksStoreOptions{}).ok());

  // What a first open killed after RocksDB wrote CURRENT (only the default
  // family, empty) becomes a log on the next open; it is not "someone else's".
  const std::string crashed = dir_ + "-crashed";
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, crashed, &raw).ok());
    delete raw;
  }
  auto recovered = OpenRocksEventStore(crashed, RocksStoreOptions{});
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered.value()->Append(Simple("s", kNoStream)).outcome, AppendOutcome::kAppended);

  // A family accrue does not know is someone else's.
  const std::string unknown = dir_ + "-unknown";
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, unknown, &raw).ok());
    rocksdb::ColumnFamilyHandle* handle = nullptr;
    ASSERT_TRUE(raw->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "theirs", &handle).ok());
    ASSERT_TRUE(raw->DestroyColumnFamilyHandle(handle).ok());
    delete raw;
  }
  auto theirs = OpenRocksEventStore(unknown, RocksStoreOptions{});
  ASSERT_FALSE(theirs.ok());
  EXPECT_NE(theirs.status().message().find("it has a 'theirs' column family"), std::string::npos)
      << theirs.status().ToString();
}

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

// A stored result up to kMaxResultBytes (a tenant-wide run's lists every invoice)
// is kept and replayed whole; a larger one is refused before anything is written.
TEST_F(RocksStoreTest, LargeStoredResultsReplayWholeUpToTheLimit) {
  auto store = MakeRocks(dir_);
  AppendRequest big = Simple("run", kNoStream);
  const std::string result(4u << 20, 'r');  // over the old 1 MiB limit
  big.idempotency = Record("k-big", "c", result);
  ASSERT_EQ(store->Append(big).outcome, AppendOutcome::kAppended);
  AppendRequest again = Simple("run", 1);
  again.idempotency = Record("k-big", "c", "ignored");
  AppendResult replay = store->Append(again);
  EXPECT_EQ(replay.outcome, AppendOutcome::kReplayed);
  EXPECT_EQ(replay.stored_result, result);
  AppendRequest too_big = Simple("other", kNoStream);
  too_big.idempotency = Record("k-too-big", "c", std::string(kMaxResultBytes + 1, 'r'));
  AppendResult refused = store->Append(too_big);
  EXPECT_EQ(refused.outcome, AppendOutcome::kFailed);
  EXPECT_EQ(store->StreamVersion("other").value(), 0u);
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
  std::vector<Future<AppendResult>> futures;
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

// Caller runs: a synchronous Append that finds the writer idle seals (and so reads
// the clock) on the calling thread; AppendAsync always goes through the sealer
// thread. The clock is called once per sealed group, on the thread sealing it.
TEST_F(RocksStoreTest, AnIdleWriterLetsASynchronousCallerSealItsOwnAppend) {
  std::mutex mu;
  std::vector<std::thread::id> sealed_on;
  RocksStoreOptions options;
  options.clock = [&] {
    std::lock_guard<std::mutex> lock(mu);
    sealed_on.push_back(std::this_thread::get_id());
    return static_cast<int64_t>(1'700'000'000'000'000 + sealed_on.size());
  };
  auto store = OpenRocksEventStore(dir_, options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_EQ(store.value()->Append(Simple("s", kNoStream, 2)).outcome, AppendOutcome::kAppended);
  ASSERT_EQ(store.value()->Append(Simple("s", 2)).outcome, AppendOutcome::kAppended);
  ASSERT_EQ(store.value()->AppendAsync(Simple("s", 3)).get().outcome, AppendOutcome::kAppended);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(sealed_on.size(), 3u);
  EXPECT_EQ(sealed_on[0], std::this_thread::get_id());
  EXPECT_EQ(sealed_on[1], std::this_thread::get_id());
  EXPECT_NE(sealed_on[2], std::this_thread::get_id());
  EXPECT_EQ(store.value()->LastPosition(), 4u);
}

// The sealer's choice (group_commit_writer.h, "Gathering"), case by case.
TEST(ChooseTakeTest, SealsBigGroupsAheadAndGathersSmallOnes) {
  struct Case {
    const char* what;
    QueueView view;  // queued requests, events; unwritten groups, requests, events; returning, arrivals, window open
    TakeChoice want;
  };
  constexpr std::size_t kBig = kSealAheadMinEvents;  // events enough to seal ahead
  const Case cases[] = {
      {"nothing queued", {0, 0, 0, 0, 0, 0, 0, false}, TakeChoice::kWait},
      {"a lone appender: its own request is the one awaited", {1, 1, 0, 0, 0, 1, 1, true}, TakeChoice::kTake},
      {"small requests while a group is written wait behind that sync", {8, 8, 1, 8, 8, 8, 8, true}, TakeChoice::kWait},
      {"big in events: sealing costs as much as a sync", {8, kBig, 1, 8, 8, 8, 8, true}, TakeChoice::kTake},
      {"big, and as big as the group being written", {2, 200, 1, 2, 200, 2, 2, true}, TakeChoice::kTake},
      {"big, but smaller than the group being written: wait, then take it whole",
       {1, 100, 1, 2, 200, 2, 1, true}, TakeChoice::kWait},
      {"big, committer free", {1, 100, 0, 0, 0, 2, 1, true}, TakeChoice::kTake},
      {"heavy in requests: the sealer's CPU is the bottleneck", {kGatherMaxRequests, 8, 1, 8, 8, 8, 8, true}, TakeChoice::kTake},
      {"heavy in requests, even behind a bigger group", {kGatherMaxRequests, kBig, 1, 8, 10 * kBig, 8, 8, true}, TakeChoice::kTake},
      {"committer free, 3 of 16 callers back, window open", {3, 3, 0, 0, 0, 16, 3, true}, TakeChoice::kGather},
      {"committer free, 3 of 16 callers back, window closed", {3, 3, 0, 0, 0, 16, 3, false}, TakeChoice::kTake},
      {"committer free, all 16 callers back", {16, 16, 0, 0, 0, 16, 16, true}, TakeChoice::kTake},
  };
  for (const Case& c : cases) EXPECT_EQ(ChooseTake(c.view), c.want) << c.what;
}

// Stats() (issue 7, /metrics): every completed append is counted with its
// latency; each written group commit is one fsync and one batch-size sample;
// a conflict writes nothing; the queue is empty once every future completed.
TEST_F(RocksStoreTest, StatsCountAppendsFsyncsAndBatchSizes) {
  auto store = MakeRocks(dir_);
  ASSERT_EQ(store->Append(Simple("s", kNoStream, 3)).outcome, AppendOutcome::kAppended);
  ASSERT_EQ(store->Append(Simple("t", kNoStream, 2)).outcome, AppendOutcome::kAppended);
  ASSERT_EQ(store->Append(Simple("s", kNoStream)).outcome, AppendOutcome::kConflict);
  std::vector<Future<AppendResult>> futures;
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


// The stream index entries of a log, as (key stream, first version, position,
// count), straight from the column family (keys.h).
struct IndexEntry {
  std::string stream;
  uint64_t version;
  uint64_t position;
  uint64_t count;
  std::size_t value_bytes;
  bool operator==(const IndexEntry&) const = default;
};

std::vector<IndexEntry> RawIndex(const std::string& dir) {
  RocksStoreOptions read_only;
  read_only.mode = OpenMode::kReadOnly;
  auto log = OpenRocksLog(dir, read_only);
  EXPECT_TRUE(log.ok());
  std::vector<IndexEntry> out;
  std::unique_ptr<rocksdb::Iterator> it(
      log.value()->db->NewIterator(rocksdb::ReadOptions(), log.value()->stream_index));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    IndexEntry e{};
    std::string_view value(it->value().data(), it->value().size());
    EXPECT_TRUE(keys::ParseStreamIndexKey(std::string_view(it->key().data(), it->key().size()),
                                          &e.stream, &e.version));
    EXPECT_TRUE(keys::DecodeIndexRun(value, &e.position, &e.count));
    e.value_bytes = value.size();
    out.push_back(e);
  }
  return out;
}

uint32_t StoredFormat(const std::string& dir) {
  RocksStoreOptions read_only;
  read_only.mode = OpenMode::kReadOnly;
  auto log = OpenRocksLog(dir, read_only);
  EXPECT_TRUE(log.ok());
  return log.ok() ? log.value()->format_version : 0;
}

// Appends: a x3; then one request of a x2, b x1, a x1.
void AppendRuns(EventStore& store) {
  ASSERT_EQ(store.Append(Simple("a", kNoStream, 3)).outcome, AppendOutcome::kAppended);
  AppendRequest r = Simple("a", 3, 2);
  r.streams.push_back(Simple("b", kNoStream).streams[0]);
  r.streams.push_back(Simple("a", kAnyVersion).streams[0]);
  ASSERT_EQ(store.Append(r).outcome, AppendOutcome::kAppended);
}

void ExpectStreamReads(EventStore& store) {
  // a is at positions 1,2,3,4,5,7 (versions 1..6); b at 6.
  const std::vector<uint64_t> a_positions = {1, 2, 3, 4, 5, 7};
  for (uint64_t from = 0; from <= 8; ++from) {
    for (std::size_t limit = 0; limit <= 7; ++limit) {
      auto read = store.ReadStream("a", from, limit);
      ASSERT_TRUE(read.ok()) << read.status().ToString();
      std::vector<uint64_t> got;
      for (const RecordedEvent& e : read.value()) got.push_back(e.position);
      const std::size_t first = from == 0 ? 0 : std::min<std::size_t>(from - 1, 6);
      const std::size_t n = std::min(limit, 6 - first);
      std::vector<uint64_t> want(a_positions.begin() + first, a_positions.begin() + first + n);
      EXPECT_EQ(got, want) << "from " << from << " limit " << limit;
    }
  }
  EXPECT_EQ(store.ReadStream("b", 1, 10).value().size(), 1u);
  EXPECT_TRUE(store.ReadStream("c", 1, 10).value().empty());
}

TEST_F(RocksStoreTest, TheStreamIndexHoldsOneRunPerStreamPerAppend) {
  {
    auto store = MakeRocks(dir_);
    AppendRuns(*store);
    ExpectStreamReads(*store);
  }
  EXPECT_EQ(StoredFormat(dir_), keys::kFormatVersion);
  const std::vector<IndexEntry> want = {
      {"a", 1, 1, 3, 16}, {"a", 4, 4, 2, 16}, {"a", 6, 7, 1, 8}, {"b", 1, 6, 1, 8}};
  EXPECT_EQ(RawIndex(dir_), want);
}

// Upgrade rule (docs/event-log-format.md): a format-1 log is read and appended
// to by this build without changing its format: one index entry per event, as
// a format-1 build expects.
TEST_F(RocksStoreTest, AFormatOneLogKeepsOneIndexEntryPerEvent) {
  {
    auto log = OpenRocksLog(dir_, RocksStoreOptions{});
    ASSERT_TRUE(log.ok());
    std::string v;
    keys::PutFixed32(&v, 1);
    ASSERT_TRUE(log.value()->db->Put(rocksdb::WriteOptions(), log.value()->meta,
                                     keys::kFormatVersionKey, v).ok());
  }
  {
    auto store = MakeRocks(dir_);
    AppendRuns(*store);
    ExpectStreamReads(*store);
  }
  EXPECT_EQ(StoredFormat(dir_), 1u);
  std::vector<IndexEntry> index = RawIndex(dir_);
  ASSERT_EQ(index.size(), 7u);
  for (const IndexEntry& e : index) EXPECT_EQ(e.value_bytes, 8u) << e.stream << " " << e.version;
}

TEST(IndexRunTest, EncodesAndRefusesMalformedValues) {
  uint64_t position = 0;
  uint64_t count = 0;
  ASSERT_TRUE(keys::DecodeIndexRun(keys::EncodeIndexRun(7, 1), &position, &count));
  EXPECT_EQ(keys::EncodeIndexRun(7, 1).size(), 8u);
  EXPECT_EQ(position, 7u);
  EXPECT_EQ(count, 1u);
  ASSERT_TRUE(keys::DecodeIndexRun(keys::EncodeIndexRun(9, kMaxEventsPerAppend), &position, &count));
  EXPECT_EQ(count, kMaxEventsPerAppend);
  std::string explicit_one;
  keys::PutFixed64(&explicit_one, 7);
  keys::PutFixed64(&explicit_one, 1);
  EXPECT_FALSE(keys::DecodeIndexRun(explicit_one, &position, &count));  // not canonical
  EXPECT_FALSE(keys::DecodeIndexRun(keys::EncodeIndexRun(9, kMaxEventsPerAppend + 1), &position, &count));
  EXPECT_FALSE(keys::DecodeIndexRun(keys::EncodeIndexRun(0, 2), &position, &count));
  EXPECT_FALSE(keys::DecodeIndexRun(std::string(12, '\1'), &position, &count));
  EXPECT_FALSE(keys::DecodeIndexRun("", &position, &count));
}

}  // namespace
}  // namespace accrue::events::testing
