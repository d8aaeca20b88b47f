// Proves VerifyLog finds each kind of damage and names the first bad position:
// a missing position; stream index damage (an entry pointing elsewhere, a run
// longer than the stream's events there, a missing entry in the middle or at
// the end, a stream missing from the index, a
// stream head behind its events), each attributed to a position, never 0; a
// payload the domain's decoder rejects; and passes a sound log, reporting its head.
#include "events/verify_log.h"

#include <gtest/gtest.h>

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
    for (int i = 0; i < 10; ++i) {
      std::string stream = "s";
      stream += std::to_string(i % 2);
      ASSERT_EQ(store.value()->Append(Simple(stream, kAnyVersion)).outcome, AppendOutcome::kAppended);
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

TEST_F(VerifyLogTest, APayloadTheDomainRejectsIsNamed) {
  VerifyOptions options;
  options.check_payload = [](const RecordedEvent& e) {
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

}  // namespace
}  // namespace accrue::events::testing
