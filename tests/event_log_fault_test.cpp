// Disk-full and fsync-error tests of the event log (budgets.md, reliability:
// "disk full: appends fail with a clear, retryable error; nothing half-written;
// recovers when space returns"; docs/event-log-format.md, "Failure modes").
//
// How: the log is opened with a fault-injecting rocksdb::Env
// (events/fault_injection_fs.h) through RocksStoreOptions::env. While a fault is
// on, one append carrying three events, a claim and an idempotency key must fail
// with kFailed and the documented status, and none of it may be visible: not the
// events, not the stream head, not the claim, not the key (so a retry with the
// same key appends exactly once). Then either the fault clears and the same
// process carries on, or the process "crashes" (the store is dropped with the
// torn/failed WAL bytes still on disk) and a clean reopen must show the failed
// batch whole or not at all. Every scenario ends with VerifyLog passing and the
// next append chained to the right head.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <filesystem>
#include <thread>

#include "events/event_store_test_util.h"
#include "events/fault_injection_fs.h"
#include "events/rocks_event_store.h"
#include "events/verify_log.h"

namespace accrue::events::testing {
namespace {

constexpr uint64_t kBaseEvents = 5;
// A client retrying a retryable failure gives up after this long. RocksDB's own
// no-space recovery polls free space every 5 s, so a few rounds of that.
constexpr std::chrono::seconds kRetryDeadline{30};
const char kKey[] = "t/retry-me";
const char kClaim[] = "t/payment/p-1";

// The append that fails under the fault: three events on an existing stream,
// one claim, one idempotency record.
AppendRequest FaultedRequest() {
  AppendRequest r = Simple("t/account/a", kBaseEvents, 3);
  for (NewEvent& e : r.streams[0].events) e.payload = "faulted-" + e.payload;
  r.claims.push_back(Claim{kClaim, "t/account/a"});
  r.idempotency = Record(kKey, "command-bytes", "result-bytes");
  return r;
}

class EventLogFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/accrue-fault-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/log";
    faults_ = NewFaultInjectionEnv();
    Open(faults_.env.get());
    ASSERT_EQ(store_->Append(Simple("t/account/a", kNoStream, kBaseEvents)).outcome,
              AppendOutcome::kAppended);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(root_);
  }

  void Open(rocksdb::Env* env) {
    store_.reset();
    RocksStoreOptions options;
    options.clock = StepClock();
    options.env = env;
    auto store = OpenRocksEventStore(dir_, options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store.value());
  }

  // Nothing of FaultedRequest() is visible in the store.
  void ExpectNothingOfTheFailedAppend() {
    EXPECT_EQ(store_->LastPosition(), kBaseEvents);
    auto tail = store_->ReadAll(kBaseEvents + 1, 100);
    ASSERT_TRUE(tail.ok()) << tail.status().ToString();
    EXPECT_TRUE(tail.value().empty());
    EXPECT_EQ(store_->StreamVersion("t/account/a").value(), kBaseEvents);
    EXPECT_FALSE(store_->ClaimOwner(kClaim).value().has_value());
    EXPECT_FALSE(store_->LookupIdempotency(kKey).value().has_value());
  }

  // Retries FaultedRequest() like a client would after a retryable failure.
  AppendResult RetryUntilDone() {
    const auto deadline = std::chrono::steady_clock::now() + kRetryDeadline;
    AppendResult r = store_->Append(FaultedRequest());
    while (r.outcome == AppendOutcome::kFailed && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      r = store_->Append(FaultedRequest());
    }
    return r;
  }

  // The log holds the base events and FaultedRequest() exactly once, verifies,
  // and the next append chains onto the head.
  void ExpectAppendedOnceVerifiedAndContinuing() {
    ASSERT_EQ(store_->LastPosition(), kBaseEvents + 3);
    auto all = store_->ReadAll(1, 100).value();
    ASSERT_EQ(all.size(), kBaseEvents + 3);
    int faulted_copies = 0;
    for (const RecordedEvent& e : all) faulted_copies += e.payload.rfind("faulted-", 0) == 0;
    EXPECT_EQ(faulted_copies, 3);
    EXPECT_EQ(*store_->ClaimOwner(kClaim).value(), "t/account/a");
    AppendResult replay = store_->Append(FaultedRequest());
    EXPECT_EQ(replay.outcome, AppendOutcome::kReplayed);
    EXPECT_EQ(replay.stored_result, "result-bytes");
    auto report = VerifyLog(*store_, VerifyOptions{});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report.value().ok) << report.value().reason;
    EXPECT_EQ(report.value().events, kBaseEvents + 3);
    AppendResult next = store_->Append(Simple("t/account/b", kNoStream));
    ASSERT_EQ(next.outcome, AppendOutcome::kAppended) << next.status.ToString();
    EXPECT_EQ(next.last_position, kBaseEvents + 4);
    EXPECT_EQ(store_->ReadAll(kBaseEvents + 4, 1).value()[0].prev_hash, all.back().hash);
  }

  std::string root_;
  std::string dir_;
  FaultInjectionEnv faults_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(EventLogFaultTest, DiskFullFailsRetryablyWritesNothingAndRecoversWhenSpaceReturns) {
  faults_.fs->FillDisk();
  AppendResult failed = store_->Append(FaultedRequest());
  ASSERT_EQ(failed.outcome, AppendOutcome::kFailed);
  EXPECT_EQ(failed.status.code(), StatusCode::kUnavailable) << failed.status.ToString();
  EXPECT_NE(failed.status.message().find("disk full"), std::string::npos) << failed.status.ToString();
  EXPECT_GT(faults_.fs->injected(), 0u);
  ExpectNothingOfTheFailedAppend();
  // Later appends keep failing the same retryable way while the disk is full.
  AppendResult again = store_->Append(Simple("t/account/c", kNoStream));
  EXPECT_EQ(again.outcome, AppendOutcome::kFailed);
  EXPECT_EQ(again.status.code(), StatusCode::kUnavailable) << again.status.ToString();
  ExpectNothingOfTheFailedAppend();
  // A full disk is passing: the store still reports itself able to take appends
  // (/healthz stays 200, docs/api.md).
  EXPECT_TRUE(store_->WriteHealth().ok()) << store_->WriteHealth().ToString();

  faults_.fs->Clear();  // space returns
  AppendResult retried = RetryUntilDone();
  ASSERT_EQ(retried.outcome, AppendOutcome::kAppended) << retried.status.ToString();
  EXPECT_EQ(retried.last_position, kBaseEvents + 3);
  ExpectAppendedOnceVerifiedAndContinuing();
  Open(nullptr);  // and after a restart on a healthy disk
  EXPECT_EQ(store_->LastPosition(), kBaseEvents + 4);
  auto report = VerifyLog(*store_, VerifyOptions{});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report.value().ok) << report.value().reason;
}

TEST_F(EventLogFaultTest, DiskFullThenCrashLeavesNoTornBatchAfterReopen) {
  faults_.fs->FillDisk();
  AppendResult failed = store_->Append(FaultedRequest());
  ASSERT_EQ(failed.outcome, AppendOutcome::kFailed);
  EXPECT_EQ(failed.status.code(), StatusCode::kUnavailable) << failed.status.ToString();
  Open(nullptr);  // the process dies with the torn WAL record on disk; restart
  ExpectNothingOfTheFailedAppend();
  AppendResult retried = store_->Append(FaultedRequest());
  ASSERT_EQ(retried.outcome, AppendOutcome::kAppended) << retried.status.ToString();
  ExpectAppendedOnceVerifiedAndContinuing();
}

// An fsync error (EIO) is not a full disk: RocksDB 7.8 marks the DB fatally
// failed and its Resume() refuses, so the store answers kIoError ("restart
// accrue") to every append until the log is reopened. The reopen replays the
// WAL: the bytes of the failed group reached the file before the fsync failed,
// so the group may come back, but only whole (events, claim and key together),
// in which case the retry is a replay; or not at all, and the retry appends.
void ExpectWholeOrNothingAfterReopen(EventStore& store) {
  const bool present = store.LastPosition() == kBaseEvents + 3;
  EXPECT_EQ(store.ClaimOwner(kClaim).value().has_value(), present);
  EXPECT_EQ(store.LookupIdempotency(kKey).value().has_value(), present);
  EXPECT_EQ(store.StreamVersion("t/account/a").value(), kBaseEvents + (present ? 3 : 0));
  if (!present) {
    EXPECT_EQ(store.LastPosition(), kBaseEvents);
  }
  AppendResult retried = store.Append(FaultedRequest());
  EXPECT_EQ(retried.outcome, present ? AppendOutcome::kReplayed : AppendOutcome::kAppended)
      << retried.status.ToString();
  EXPECT_EQ(retried.last_position, kBaseEvents + 3);
}

TEST_F(EventLogFaultTest, FsyncErrorFailsWithIoErrorUntilReopenThenWholeOrNothing) {
  faults_.fs->FailWalSyncs(FaultKind::kIoError);
  AppendResult failed = store_->Append(FaultedRequest());
  ASSERT_EQ(failed.outcome, AppendOutcome::kFailed);
  EXPECT_EQ(failed.status.code(), StatusCode::kIoError) << failed.status.ToString();
  EXPECT_GT(faults_.fs->injected(), 0u);
  ExpectNothingOfTheFailedAppend();
  faults_.fs->Clear();
  // The disk is healthy again, but this process's RocksDB is stopped for good.
  AppendResult after = store_->Append(Simple("t/account/c", kNoStream));
  EXPECT_EQ(after.outcome, AppendOutcome::kFailed);
  EXPECT_EQ(after.status.code(), StatusCode::kIoError);
  EXPECT_NE(after.status.message().find("restart accrue"), std::string::npos)
      << after.status.ToString();
  ExpectNothingOfTheFailedAppend();
  // ... and says so to anyone who asks (/healthz and /readyz answer 503).
  EXPECT_EQ(store_->WriteHealth().code(), StatusCode::kIoError) << store_->WriteHealth().ToString();
  Open(faults_.env.get());  // restart
  EXPECT_TRUE(store_->WriteHealth().ok()) << store_->WriteHealth().ToString();
  ExpectWholeOrNothingAfterReopen(*store_);
  ExpectAppendedOnceVerifiedAndContinuing();
}

TEST_F(EventLogFaultTest, WalWriteErrorLeavesATornRecordThatReopenDrops) {
  faults_.fs->FailWalAppends(FaultKind::kIoError, /*torn=*/true);
  AppendResult failed = store_->Append(FaultedRequest());
  ASSERT_EQ(failed.outcome, AppendOutcome::kFailed);
  EXPECT_EQ(failed.status.code(), StatusCode::kIoError) << failed.status.ToString();
  EXPECT_GT(faults_.fs->injected(), 0u);
  ExpectNothingOfTheFailedAppend();
  faults_.fs->Clear();
  Open(faults_.env.get());  // restart: half a record in the WAL is not a batch
  ExpectNothingOfTheFailedAppend();
  AppendResult retried = store_->Append(FaultedRequest());
  ASSERT_EQ(retried.outcome, AppendOutcome::kAppended) << retried.status.ToString();
  ExpectAppendedOnceVerifiedAndContinuing();
}

// WAL replay at open (events/rocks_log.cpp, wal_recovery_mode): damage in the
// middle of the WAL fails the open with Corruption instead of silently dropping
// every record after it (RocksDB's default dropped ~18,000 acknowledged commands
// on one flipped byte, 2026-12-06); a torn tail, which a crash mid-write leaves,
// is still dropped. The "crashed" log is a copy of the live directory, whose WAL
// holds every synced append (nothing flushed yet).
TEST_F(EventLogFaultTest, AFlippedByteInTheWalFailsTheOpenATornTailDoesNot) {
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(store_->Append(Simple("t/account/w" + std::to_string(i), kNoStream, 3)).outcome,
              AppendOutcome::kAppended);
  }
  auto crashed_copy = [&](const std::string& name) {
    const std::string copy = root_ + "/" + name;
    std::filesystem::copy(dir_, copy, std::filesystem::copy_options::recursive);
    std::filesystem::remove(copy + "/LOCK");
    std::string wal;
    for (const auto& f : std::filesystem::directory_iterator(copy)) {
      if (f.path().extension() == ".log" &&
          (wal.empty() || std::filesystem::file_size(f.path()) > std::filesystem::file_size(wal))) {
        wal = f.path().string();
      }
    }
    EXPECT_GT(std::filesystem::file_size(wal), 50'000u) << "the appends should still be in the WAL";
    return std::make_pair(copy, wal);
  };
  {
    auto [copy, wal] = crashed_copy("flipped");
    std::FILE* f = std::fopen(wal.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    const long middle = static_cast<long>(std::filesystem::file_size(wal) / 2);
    std::fseek(f, middle, SEEK_SET);
    const int c = std::fgetc(f);
    std::fseek(f, middle, SEEK_SET);
    std::fputc(c ^ 0xff, f);
    std::fclose(f);
    auto reopened = OpenRocksEventStore(copy, RocksStoreOptions{});
    ASSERT_FALSE(reopened.ok()) << "a flipped byte mid-WAL must not open as a shorter log";
    EXPECT_EQ(reopened.status().code(), StatusCode::kCorruption) << reopened.status().ToString();
  }
  {
    auto [copy, wal] = crashed_copy("torn");
    std::filesystem::resize_file(wal, std::filesystem::file_size(wal) - 7);  // half a last record
    auto reopened = OpenRocksEventStore(copy, RocksStoreOptions{});
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    EXPECT_EQ(reopened.value()->LastPosition(), kBaseEvents + 199 * 3);  // the torn last append is gone
    auto report = VerifyLog(*reopened.value(), VerifyOptions{});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report.value().ok) << report.value().reason;
  }
}

// The writer seals group N+1 while group N is being written (pipeline). When
// N's write fails, every group sealed on top of it must fail too, and later
// groups must chain onto the last durable head. Several threads append while
// the disk fills and empties again; afterwards every acknowledged append is in
// the log at its position, no failed append left anything, and the log verifies.
TEST_F(EventLogFaultTest, DiskFullUnderConcurrentAppendsFailsEveryGroupSealedOnAFailedOne) {
  constexpr int kAppenders = 4;
  constexpr int kAppendsEach = 150;
  struct Outcome {
    std::string tag;
    AppendResult result;
  };
  std::vector<std::vector<Outcome>> outcomes(kAppenders);
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kAppenders; ++t) {
    threads.emplace_back([&, t] {
      int acknowledged = 0;
      const auto give_up = std::chrono::steady_clock::now() + kRetryDeadline;
      for (int i = 0; acknowledged < kAppendsEach && std::chrono::steady_clock::now() < give_up;
           ++i) {
        const std::string tag = "p" + std::to_string(t) + "-" + std::to_string(i);
        AppendRequest r = Simple("t/account/w" + std::to_string(t), kAnyVersion, 2);
        for (NewEvent& e : r.streams[0].events) e.payload = tag + "/" + e.payload;
        r.idempotency = Record("t/" + tag, tag, "result-" + tag);
        AppendResult result = store_->Append(std::move(r));
        if (result.outcome == AppendOutcome::kAppended) {
          ++acknowledged;
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));  // a client's backoff
        }
        outcomes[static_cast<std::size_t>(t)].push_back(Outcome{tag, std::move(result)});
      }
      done.fetch_add(1);
    });
  }
  // Faults come and go while the appenders run (each round: a few failed groups).
  for (int round = 0; round < 3 && done.load() < kAppenders; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    faults_.fs->FillDisk();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    faults_.fs->Clear();
  }
  for (auto& th : threads) th.join();
  faults_.fs->Clear();

  auto all = store_->ReadAll(1, 100'000);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::map<std::string, std::vector<uint64_t>> positions_of;  // tag -> positions
  for (const RecordedEvent& e : all.value()) {
    positions_of[e.payload.substr(0, e.payload.find('/'))].push_back(e.position);
  }
  int appended = 0;
  int failed = 0;
  for (const auto& per_thread : outcomes) {
    for (const Outcome& o : per_thread) {
      auto it = positions_of.find(o.tag);
      if (o.result.outcome == AppendOutcome::kAppended) {
        ++appended;
        ASSERT_NE(it, positions_of.end()) << o.tag << " was acknowledged but is not in the log";
        ASSERT_EQ(it->second.size(), 2u) << o.tag;
        EXPECT_EQ(it->second.back(), o.result.last_position) << o.tag;
      } else {
        ++failed;
        ASSERT_EQ(o.result.outcome, AppendOutcome::kFailed) << o.tag;
        EXPECT_EQ(it, positions_of.end()) << o.tag << " failed but left events in the log";
        EXPECT_FALSE(store_->LookupIdempotency("t/" + o.tag).value().has_value()) << o.tag;
      }
    }
  }
  EXPECT_EQ(appended, kAppenders * kAppendsEach);  // the disk recovered: every thread finished
  EXPECT_GT(failed, 0);
  EXPECT_EQ(all.value().size(), kBaseEvents + 2 * static_cast<std::size_t>(appended));
  auto report = VerifyLog(*store_, VerifyOptions{});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report.value().ok) << report.value().reason;
  // RocksDB may still be recovering from the last no-space error: retry like a client.
  const auto deadline = std::chrono::steady_clock::now() + kRetryDeadline;
  AppendResult next = store_->Append(Simple("t/account/after", kNoStream));
  while (next.outcome == AppendOutcome::kFailed && std::chrono::steady_clock::now() < deadline) {
    EXPECT_EQ(next.status.code(), StatusCode::kUnavailable) << next.status.ToString();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    next = store_->Append(Simple("t/account/after", kNoStream));
  }
  ASSERT_EQ(next.outcome, AppendOutcome::kAppended) << next.status.ToString();
  EXPECT_EQ(next.last_position, all.value().size() + 1);
  std::printf("appended %d, failed %d (fault injections: %llu)\n", appended, failed,
              static_cast<unsigned long long>(faults_.fs->injected()));
}

}  // namespace
}  // namespace accrue::events::testing
