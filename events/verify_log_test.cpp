// Proves VerifyLog finds each kind of damage and names the first bad position:
// a missing position; stream index damage (an entry pointing elsewhere, a run
// longer than the stream's events there, a missing entry in the middle or at
// the end, a stream missing from the index, a
// stream head behind its events), each attributed to a position, never 0; a
// payload the domain's decoder rejects; and passes a sound log, reporting its head.
// Logs of several pages (read by several reader threads): a gap or a corrupt
// envelope in a later page, the earlier of two problems in different pages, a
// gap across a page boundary; and the memory store's re-sealed pages.
#include "events/verify_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "events/envelope_codec.h"
#include "events/event_store_test_util.h"
#include "events/keys.h"
#include "events/rocks_event_store.h"
#include "events/rocks_log.h"

namespace accrue::events::testing {
namespace {

class VerifyLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/accrue-verify-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/log";
    auto store = OpenRocksEventStore(dir_, RocksStoreOptions{});
    ASSERT_TRUE(store.ok());
    Populate(*store.value());
  }
  // The log every test starts from: s0 and s1 alternating, 10 events.
  virtual void Populate(EventStore& store) {
    for (int i = 0; i < 10; ++i) {
      std::string stream = "s";
      stream += std::to_string(i % 2);
      ASSERT_EQ(store.Append(Simple(stream, kAnyVersion)).outcome, AppendOutcome::kAppended);
    }
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  VerifyReport Verify(const VerifyOptions& options = {}) {
    RocksStoreOptions ro;
    ro.mode = OpenMode::kReadOnly;
    auto store = OpenRocksEventStore(dir_, ro);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    auto report = VerifyLog(*store.value(), options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.value();
  }

  void Edit(const std::function<void(RocksLog&)>& edit) {
    auto log = OpenRocksLog(dir_, RocksStoreOptions{});
    ASSERT_TRUE(log.ok());
    edit(*log.value());
  }

  std::string root_;
  std::string dir_;
};

TEST_F(VerifyLogTest, ASoundLogPasses) {
  VerifyReport r = Verify();
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.events, 10u);
  EXPECT_EQ(r.streams, 2u);
  EXPECT_EQ(r.head_hash.size(), 32u);
}

TEST_F(VerifyLogTest, AMissingPositionIsNamed) {
  Edit([](RocksLog& log) {
    ASSERT_TRUE(log.db->Delete(rocksdb::WriteOptions(), log.events, keys::PositionKey(4)).ok());
  });
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, 4u) << r.reason;
}

// Index damage is attributed to a position, never 0. The log: s0 at positions
// 1,3,5,7,9 (versions 1..5), s1 at 2,4,6,8,10.
TEST_F(VerifyLogTest, AStreamIndexPointingElsewhereNamesThePositionItPointsAt) {
  Edit([](RocksLog& log) {
    std::string pos;
    keys::PutFixed64(&pos, 5);  // s1 version 1 is really position 2
    ASSERT_TRUE(log.db->Put(rocksdb::WriteOptions(), log.stream_index, keys::StreamIndexKey("s1", 1), pos).ok());
  });
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, 5u) << r.reason;
  EXPECT_NE(r.reason.find("stream index of 's1' version 1 points at position 5, which holds 's0' "
                          "version 3; the event is at position 2"),
            std::string::npos)
      << r.reason;
}

TEST_F(VerifyLogTest, AnIndexRunTooLongNamesThePositionOfAnotherStreamItCovers) {
  Edit([](RocksLog& log) {  // s1 versions 1..2 claimed at positions 2..3; 3 is s0's
    ASSERT_TRUE(log.db->Put(rocksdb::WriteOptions(), log.stream_index, keys::StreamIndexKey("s1", 1),
                            keys::EncodeIndexRun(2, 2)).ok());
  });
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, 3u) << r.reason;
  EXPECT_NE(r.reason.find("stream index of 's1' version 2 points at position 3, which holds 's0' "
                          "version 2; the event is at position 4"),
            std::string::npos)
      << r.reason;
}

TEST_F(VerifyLogTest, AMissingIndexEntryNamesTheEventItShouldPointAt) {
  Edit([](RocksLog& log) {
    ASSERT_TRUE(log.db->Delete(rocksdb::WriteOptions(), log.stream_index, keys::StreamIndexKey("s1", 3)).ok());
  });
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, 6u) << r.reason;  // s1 version 3
  EXPECT_NE(r.reason.find("lacks version 3"), std::string::npos) << r.reason;
}

TEST_F(VerifyLogTest, AMissingLastIndexEntryNamesTheLastEvent) {
  Edit([](RocksLog& log) {
    ASSERT_TRUE(log.db->Delete(rocksdb::WriteOptions(), log.stream_index, keys::StreamIndexKey("s0", 5)).ok());
  });
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, 9u) << r.reason;  // s0 version 5
}

TEST_F(VerifyLogTest, AStreamMissingFromTheIndexNamesItsFirstEvent) {
  Edit([](RocksLog& log) {
    for (uint64_t v = 1; v <= 5; ++v) {
      ASSERT_TRUE(log.db->Delete(rocksdb::WriteOptions(), log.stream_index, keys::StreamIndexKey("s1", v)).ok());
    }
  });
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, 2u) << r.reason;
  EXPECT_NE(r.reason.find("lacks stream 's1'"), std::string::npos) << r.reason;
}

TEST_F(VerifyLogTest, AStreamHeadBehindItsEventsNamesTheFirstEventPastIt) {
  Edit([](RocksLog& log) {
    std::string version;
    keys::PutFixed64(&version, 2);
    ASSERT_TRUE(log.db->Put(rocksdb::WriteOptions(), log.stream_heads, "s0", version).ok());
  });
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, 5u) << r.reason;  // s0 version 3
  EXPECT_NE(r.reason.find("stream head of 's0' is at version 2"), std::string::npos) << r.reason;
}

// Pass 3 (check_records): claims and idempotency records. The fixture's log has
// none; these put them in directly.
VerifyOptions WithRecords() {
  VerifyOptions options;
  options.check_records = true;
  return options;
}

TEST_F(VerifyLogTest, ClaimsAndRecordsOfStreamsWithEventsPassAndAreCounted) {
  Edit([](RocksLog& log) {
    ASSERT_TRUE(log.db->Put(rocksdb::WriteOptions(), log.claims, "t/invoice/1",
                            keys::EncodeClaimValue(Claim{"t/invoice/1", "s0"})).ok());
    ASSERT_TRUE(log.db->Put(rocksdb::WriteOptions(), log.idempotency, "t/k1",
                            keys::EncodeIdempotency(IdempotencyLookup{"h", "{}", 10})).ok());
  });
  VerifyReport r = Verify(WithRecords());
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.claims, 1u);
  EXPECT_EQ(r.idempotency_records, 1u);
  EXPECT_EQ(Verify().claims, 0u);  // not read unless asked
}

TEST_F(VerifyLogTest, AClaimOwnedByAStreamWithoutEventsIsNamed) {
  Edit([](RocksLog& log) {
    ASSERT_TRUE(log.db->Put(rocksdb::WriteOptions(), log.claims, "t/invoice/9",
                            keys::EncodeClaimValue(Claim{"t/invoice/9", "ghost"})).ok());
  });
  VerifyReport r = Verify(WithRecords());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("claim 't/invoice/9' is owned by stream 'ghost', which has no events"), std::string::npos)
      << r.reason;
  EXPECT_TRUE(Verify().ok);  // passes 1 and 2 cannot see it
}

TEST_F(VerifyLogTest, AnIdempotencyRecordPastTheEndIsNamed) {
  Edit([](RocksLog& log) {
    ASSERT_TRUE(log.db->Put(rocksdb::WriteOptions(), log.idempotency, "t/late",
                            keys::EncodeIdempotency(IdempotencyLookup{"h", "{}", 11})).ok());
  });
  VerifyReport r = Verify(WithRecords());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("idempotency record 't/late' names position 11, past the log's last position 10"),
            std::string::npos)
      << r.reason;
}

TEST_F(VerifyLogTest, AMalformedIdempotencyRecordIsCorruption) {
  Edit([](RocksLog& log) {
    ASSERT_TRUE(log.db->Put(rocksdb::WriteOptions(), log.idempotency, "t/bad", "xy").ok());
  });
  RocksStoreOptions ro;
  ro.mode = OpenMode::kReadOnly;
  auto store = OpenRocksEventStore(dir_, ro);
  ASSERT_TRUE(store.ok());
  auto report = VerifyLog(*store.value(), WithRecords());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kCorruption);
  EXPECT_NE(report.status().message().find("idempotency record of 't/bad' is malformed"), std::string::npos)
      << report.status().ToString();
}

TEST_F(VerifyLogTest, APayloadTheDomainRejectsIsNamed) {
  VerifyOptions options;
  options.check_payload = [](const EnvelopeFields& e) {
    return e.position == 7 ? Status::Corruption("bad protobuf") : Status::Ok();
  };
  uint64_t progress_calls = 0;
  options.progress = [&](uint64_t, uint64_t) { ++progress_calls; };
  options.progress_every = 2;
  VerifyReport r = Verify(options);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, 7u);
  EXPECT_EQ(progress_calls, 3u);  // after events 2, 4, 6
}

// Logs of several pages: the pages are read by kVerifyReaders threads, each
// starting its pages at 1 + k * kVerifyPageSize; damage in a later page must
// not hide damage in an earlier one, and a gap (which shifts every later page)
// is named at its first missing position.
class VerifyManyPagesTest : public VerifyLogTest {
 protected:
  static constexpr uint64_t kEvents = 3 * kVerifyPageSize + 100;
  static constexpr int kPerAppend = 500;

  void Populate(EventStore& store) override {
    for (uint64_t done = 0; done < kEvents;) {
      const int n = static_cast<int>(std::min<uint64_t>(kPerAppend, kEvents - done));
      const std::string stream = "p" + std::to_string(done / kPerAppend % 3);
      ASSERT_EQ(store.Append(Simple(stream, kAnyVersion, n)).outcome, AppendOutcome::kAppended);
      done += static_cast<uint64_t>(n);
    }
  }

  void DeletePosition(uint64_t position) {
    Edit([&](RocksLog& log) {
      ASSERT_TRUE(log.db->Delete(rocksdb::WriteOptions(), log.events, keys::PositionKey(position)).ok());
    });
  }
  void FlipAByteOf(uint64_t position) {
    Edit([&](RocksLog& log) {
      std::string value;
      const std::string key = keys::PositionKey(position);
      ASSERT_TRUE(log.db->Get(rocksdb::ReadOptions(), log.events, key, &value).ok());
      value[value.size() / 2] ^= 0x20;
      ASSERT_TRUE(log.db->Put(rocksdb::WriteOptions(), log.events, key, value).ok());
    });
  }
};

TEST_F(VerifyManyPagesTest, ASoundLogOfSeveralPagesPasses) {
  VerifyReport r = Verify();
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.events, kEvents);
  EXPECT_EQ(r.last_position, kEvents);
  EXPECT_EQ(r.streams, 3u);
}

TEST_F(VerifyManyPagesTest, AGapInTheSecondPageIsNamed) {
  const uint64_t missing = kVerifyPageSize + 50;
  DeletePosition(missing);
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, missing) << r.reason;
  EXPECT_NE(r.reason.find("is missing"), std::string::npos) << r.reason;
}

TEST_F(VerifyManyPagesTest, ACorruptEnvelopeInTheThirdPageIsNamed) {
  const uint64_t bad = 2 * kVerifyPageSize + 7;
  FlipAByteOf(bad);
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, bad) << r.reason;
}

TEST_F(VerifyManyPagesTest, TheEarlierOfTwoProblemsInDifferentPagesIsNamed) {
  FlipAByteOf(2 * kVerifyPageSize + 7);  // read by another reader, maybe first
  DeletePosition(kVerifyPageSize + 3000);
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, kVerifyPageSize + 3000) << r.reason;
}

TEST_F(VerifyManyPagesTest, AGapAcrossAPageBoundaryIsNamedAtItsStart) {
  const uint64_t first = 2 * kVerifyPageSize - 5;
  for (uint64_t p = first; p <= 2 * kVerifyPageSize + 5; ++p) DeletePosition(p);
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, first) << r.reason;
}

// The memory store hands verify re-sealed bytes (EventStore's default
// ReadStoredPage): the same checks pass on the same events.
TEST(VerifyMemoryStoreTest, SeveralPagesFromTheMemoryStorePass) {
  auto store = NewMemoryEventStore([] { return int64_t{1'700'000'000'000'000}; });
  const uint64_t events = 2 * kVerifyPageSize + 8;  // a multiple of 10
  static_assert((2 * kVerifyPageSize + 8) % 10 == 0);
  for (uint64_t done = 0; done < events; done += 10) {
    ASSERT_EQ(store->Append(Simple("m" + std::to_string(done % 7), kAnyVersion, 10)).outcome,
              AppendOutcome::kAppended);
  }
  auto report = VerifyLog(*store, VerifyOptions{});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report.value().ok) << report.value().reason;
  EXPECT_EQ(report.value().events, events);
}

}  // namespace
}  // namespace accrue::events::testing
