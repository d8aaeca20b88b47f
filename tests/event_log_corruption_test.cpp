// Corruption test (issue 3): write a log, copy its data dir, flip one byte of one
// stored payload in the copy through RocksDB, and prove `accrue log verify`
// exits 0 on the original and 1 on the copy, naming the first bad position.
// Also checks `log stat` and `log dump` on the original, and exit 2 for a
// missing log. The events are real billing events (AccountOpened), because
// verify decodes every payload as the message its event type names; further
// logs with a sound envelope and hash chain but a payload that does not decode,
// an unknown event type, or a payload of another type, make verify exit 1
// naming exactly that position. `log backup` makes a copy that verifies with
// the same head hash and can be restored (EventLogBackupTest).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "accrue/events/v1/billing.pb.h"
#include "events/keys.h"
#include "events/rocks_event_store.h"
#include "events/rocks_log.h"

namespace accrue::events {
namespace {

constexpr uint64_t kEvents = 60;
constexpr uint64_t kBadPosition = 37;

struct CliRun {
  int exit_code = -1;
  std::string out;
};

// A serialized BillingEvent holding AccountOpened{account_id}.
std::string AccountOpenedPayload(const std::string& account_id) {
  accrue::events::v1::BillingEvent e;
  e.mutable_account_opened()->set_account_id(account_id);
  e.mutable_account_opened()->set_currency("EUR");
  e.mutable_account_opened()->set_timezone("UTC");
  return e.SerializeAsString();
}

// Writes kEvents AccountOpened events into a new log at `dir`; position
// `odd_position` gets `odd` instead (appended through the store, so its envelope
// and hash chain are sound).
void WriteLog(const std::string& dir, uint64_t odd_position, const NewEvent& odd) {
  auto store = OpenRocksEventStore(dir, RocksStoreOptions{});
  ASSERT_TRUE(store.ok());
  for (uint64_t i = 1; i <= kEvents; ++i) {
    AppendRequest r;
    NewEvent e{"AccountOpened", 1, AccountOpenedPayload("payload-number-" + std::to_string(i))};
    r.streams.push_back(StreamAppend{"t/account/" + std::to_string(i % 3), kAnyVersion,
                                     {i == odd_position ? odd : e}});
    ASSERT_EQ(store.value()->Append(std::move(r)).outcome, AppendOutcome::kAppended);
  }
}

CliRun Accrue(const std::string& args) {
  CliRun r;
  std::string cmd = std::string(ACCRUE_BINARY) + " " + args + " 2>/dev/null";
  std::FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(EventLogCorruptionTest, VerifyNamesTheFirstBadPosition) {
  char tmpl[] = "/tmp/accrue-corrupt-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string good = std::string(tmpl) + "/good";
  const std::string bad = std::string(tmpl) + "/bad";
  WriteLog(good, 0, NewEvent{});
  std::filesystem::copy(good, bad, std::filesystem::copy_options::recursive);
  {
    auto log = OpenRocksLog(bad, RocksStoreOptions{});
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    std::string value;
    const std::string key = keys::PositionKey(kBadPosition);
    ASSERT_TRUE(log.value()->db->Get(rocksdb::ReadOptions(), log.value()->events, key, &value).ok());
    const std::size_t at = value.find("payload-number-" + std::to_string(kBadPosition));
    ASSERT_NE(at, std::string::npos);
    value[at + 3] ^= 0x01;  // one bit of one payload byte
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    ASSERT_TRUE(log.value()->db->Put(write_options, log.value()->events, key, value).ok());
  }
  CliRun ok = Accrue("log verify --data " + good);
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("ok: 60 events"), std::string::npos) << ok.out;
  CliRun broken = Accrue("log verify --data " + bad);
  EXPECT_EQ(broken.exit_code, 1) << broken.out;
  EXPECT_NE(broken.out.find("first bad position 37"), std::string::npos) << broken.out;
  CliRun broken_json = Accrue("log verify --json --data " + bad);
  EXPECT_EQ(broken_json.exit_code, 1);
  EXPECT_NE(broken_json.out.find("\"first_bad_position\":37"), std::string::npos) << broken_json.out;

  CliRun stat = Accrue("log stat --json --data " + good);
  EXPECT_EQ(stat.exit_code, 0);
  EXPECT_NE(stat.out.find("\"events\":60,\"last_position\":60"), std::string::npos) << stat.out;
  EXPECT_NE(stat.out.find("\"count_proven_by\":\"log verify\""), std::string::npos) << stat.out;
  EXPECT_NE(stat.out.find("\"format_version\":2}"), std::string::npos) << stat.out;
  CliRun stat_text = Accrue("log stat --data " + good);
  EXPECT_NE(stat_text.out.find("events:        60 (the last position"), std::string::npos)
      << stat_text.out;
  CliRun dump = Accrue("log dump --from 5 --limit 2 --data " + good);
  EXPECT_EQ(dump.exit_code, 0);
  EXPECT_EQ(dump.out.rfind("{\"position\":5,", 0), 0u) << dump.out;
  EXPECT_NE(dump.out.find("\n{\"position\":6,"), std::string::npos) << dump.out;
  EXPECT_EQ(std::count(dump.out.begin(), dump.out.end(), '\n'), 2);
  EXPECT_EQ(Accrue("log verify --data " + std::string(tmpl) + "/missing").exit_code, 2);
  std::filesystem::remove_all(tmpl);
}

constexpr uint64_t kOddPosition = 23;

// Verify of a log whose position kOddPosition holds `odd`: exit 1 naming it.
void ExpectVerifyNames(const NewEvent& odd, const std::string& reason) {
  char tmpl[] = "/tmp/accrue-payload-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = std::string(tmpl) + "/log";
  WriteLog(dir, kOddPosition, odd);
  CliRun r = Accrue("log verify --data " + dir);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("first bad position 23:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(reason), std::string::npos) << r.out;
  CliRun json = Accrue("log verify --json --data " + dir);
  EXPECT_EQ(json.exit_code, 1);
  EXPECT_NE(json.out.find("\"first_bad_position\":23,"), std::string::npos) << json.out;
  std::filesystem::remove_all(tmpl);
}

TEST(EventLogCorruptionTest, APayloadThatDoesNotDecodeIsNamed) {
  // Field 1 (plan_published), length 5, but only two bytes follow: truncated.
  ExpectVerifyNames(NewEvent{"PlanPublished", 1, std::string("\x0a\x05" "ab", 4)},
                    "payload is not a protobuf accrue.events.v1.BillingEvent");
}

TEST(EventLogCorruptionTest, AnUnknownEventTypeIsNamed) {
  ExpectVerifyNames(NewEvent{"AccountMerged", 1, AccountOpenedPayload("x")},
                    "unknown event type 'AccountMerged'");
}

TEST(EventLogCorruptionTest, APayloadOfAnotherTypeIsNamed) {
  ExpectVerifyNames(NewEvent{"InvoiceVoided", 1, AccountOpenedPayload("x")},
                    "payload holds AccountOpened, not InvoiceVoided");
}

TEST(EventLogCorruptionTest, AnUnknownSchemaVersionIsNamed) {
  ExpectVerifyNames(NewEvent{"AccountOpened", 2, AccountOpenedPayload("x")},
                    "schema_version 2 of AccountOpened is not one this build reads");
}

// The value of `"field":"..."` in a JSON line.
std::string JsonField(const std::string& json, const std::string& field) {
  const std::string key = "\"" + field + "\":\"";
  const std::size_t at = json.find(key);
  if (at == std::string::npos) return "";
  const std::size_t start = at + key.size();
  return json.substr(start, json.find('"', start) - start);
}

// `accrue log backup DIR` (docs/runbooks/restore-from-backup.md): the copy
// verifies and has the original's head hash; a writer started on the copy
// continues the chain; an existing DIR and a log held by another process are
// refused with exit 2.
TEST(EventLogBackupTest, ABackupVerifiesWithTheSameHeadAndCanBeRestored) {
  char tmpl[] = "/tmp/accrue-backup-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string log = std::string(tmpl) + "/log";
  const std::string backup = std::string(tmpl) + "/backup";
  WriteLog(log, 0, NewEvent{});
  CliRun made = Accrue("log backup --data " + log + " " + backup);
  ASSERT_EQ(made.exit_code, 0) << made.out;
  EXPECT_NE(made.out.find("last position 60"), std::string::npos) << made.out;
  CliRun verified = Accrue("log verify --data " + backup);
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_NE(verified.out.find("ok: 60 events"), std::string::npos) << verified.out;
  const std::string original_head = JsonField(Accrue("log stat --json --data " + log).out, "head_hash");
  const std::string backup_head = JsonField(Accrue("log stat --json --data " + backup).out, "head_hash");
  EXPECT_EQ(original_head.size(), 64u);
  EXPECT_EQ(backup_head, original_head);
  EXPECT_EQ(Accrue("log backup --data " + log + " " + backup).exit_code, 2);  // exists
  {
    auto restored = OpenRocksEventStore(backup, RocksStoreOptions{});  // restore = use the copy
    ASSERT_TRUE(restored.ok()) << restored.status().ToString();
    AppendRequest r;
    r.streams.push_back(StreamAppend{"t/account/9", kNoStream,
                                     {NewEvent{"AccountOpened", 1, AccountOpenedPayload("a9")}}});
    AppendResult appended = restored.value()->Append(std::move(r));
    EXPECT_EQ(appended.last_position, 61u);
    // While this process holds the copy, another process cannot back it up.
    CliRun held = Accrue("log backup --data " + backup + " " + std::string(tmpl) + "/second");
    EXPECT_EQ(held.exit_code, 2);
    EXPECT_FALSE(std::filesystem::exists(std::string(tmpl) + "/second"));
  }
  EXPECT_EQ(Accrue("log verify --data " + backup).exit_code, 0);
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace accrue::events
