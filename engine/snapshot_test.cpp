// Snapshots (engine/snapshot_codec.h, snapshot_writer.h, aggregate_loader.h).
//
// What it proves:
//  - for every scenario, run with a snapshot every 7 events and a one-entry cache
//    (so decisions keep reloading accounts from snapshot + tail), the results
//    still match the scenario's expectations, and a fresh service (snapshot path)
//    renders every account and plan byte for byte like a full fold of the log;
//  - each stored snapshot decodes to exactly the state folded up to its version
//    (compared through the deterministic encoding, so hidden state such as D-47
//    fingerprints, pending items and bucket order is compared too);
//  - a corrupt snapshot, one of an unknown schema version, one that names another
//    version, and one whose state breaks an invariant are ignored with a warning
//    and the account is folded from version 1;
//  - a long stream is loaded through the snapshot path (ServiceStats).
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <fstream>
#include <sstream>

#include "accrue/events/v1/snapshot.pb.h"
#include "engine/command.h"
#include "engine/event_codec.h"
#include "engine/evolve.h"
#include "engine/json.h"
#include "engine/service.h"
#include "engine/snapshot_codec.h"
#include "engine/state_json.h"
#include "engine/scenario_test_util.h"
#include "events/event_store.h"

namespace accrue::engine {
namespace {

using testutil::Field;
using testutil::Lines;

// The state of `stream` folded from version 1 through `through` (0 = the end).
AccountState FoldAccount(events::EventStore* store, const std::string& stream, uint64_t through = 0) {
  AccountState s;
  auto events = store->ReadStream(stream, 1, through == 0 ? SIZE_MAX : through);
  EXPECT_TRUE(events.ok());
  for (const auto& r : events.value()) {
    v1::BillingEvent e;
    EXPECT_TRUE(e.ParseFromString(r.payload));
    Evolve(&s, e);
  }
  return s;
}

CatalogState FoldCatalog(events::EventStore* store, const std::string& stream, uint64_t through = 0) {
  CatalogState c;
  auto events = store->ReadStream(stream, 1, through == 0 ? SIZE_MAX : through);
  EXPECT_TRUE(events.ok());
  for (const auto& r : events.value()) {
    v1::BillingEvent e;
    EXPECT_TRUE(e.ParseFromString(r.payload));
    EvolveCatalog(&c, e);
  }
  return c;
}

ServiceOptions SmallSnapshots(std::vector<std::string>* warnings = nullptr) {
  ServiceOptions o;
  o.snapshot_every_events = 7;
  o.account_cache_capacity = 1;  // reload (snapshot + tail) for nearly every decision
  o.warn = [warnings](std::string_view w) {
    if (warnings != nullptr) warnings->emplace_back(w);
  };
  return o;
}

void RunScenario(const std::string& name) {
  const std::string dir = ACCRUE_SCENARIO_DIR;
  auto commands = Lines(dir + "/" + name + ".jsonl");
  auto expected = Lines(dir + "/" + name + ".results.jsonl");
  ASSERT_EQ(commands.size(), expected.size());
  auto store = events::NewMemoryEventStore([] { return int64_t{0}; });
  std::vector<std::string> warnings;
  {
    CommandService service(store.get(), SmallSnapshots(&warnings));
    for (std::size_t i = 0; i < commands.size(); ++i) {
      CommandOutcome o = service.Submit("default", commands[i], std::nullopt).get();
      JsonValue got, want;
      std::string err;
      ASSERT_TRUE(ParseJsonObjectLine(o.result_json, &got, &err)) << o.result_json;
      ASSERT_TRUE(ParseJsonObjectLine(expected[i], &want, &err));
      for (auto [a, b] : {std::pair<const char*, const char*>{"idempotency_key", nullptr},
                          {"status", nullptr}, {"error", "code"}, {"replayed", nullptr}}) {
        ASSERT_EQ(Field(got, a, b), Field(want, a, b))
            << name << " line " << i + 1 << "\n got:  " << o.result_json << "\n want: " << expected[i];
      }
    }
  }  // the destructor finishes the queued snapshots
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  CommandService fresh(store.get(), SmallSnapshots());
  std::size_t long_streams = 0;
  auto claims = store->ListClaims("default/account/");
  ASSERT_TRUE(claims.ok());
  for (const events::Claim& claim : claims.value()) {
    const std::string account_id = claim.key.substr(std::string("default/account/").size());
    const std::string stream = claim.stream;
    auto got = fresh.AccountJson("default", account_id);
    ASSERT_TRUE(got.has_value()) << account_id;
    EXPECT_EQ(*got, AccountStateJson(FoldAccount(store.get(), stream))) << name << " " << account_id;
    auto snapshot = store->LoadSnapshot(stream);
    ASSERT_TRUE(snapshot.ok());
    if (store->StreamVersion(stream).value() >= 7) {
      ++long_streams;
      ASSERT_TRUE(snapshot.value().has_value()) << stream;
    }
    if (!snapshot.value()) continue;
    const events::Snapshot& s = *snapshot.value();
    AccountState decoded;
    Status status = DecodeAccountSnapshot(s.bytes, stream, s.version, &decoded);
    ASSERT_TRUE(status.ok()) << status.ToString();
    EXPECT_EQ(EncodeAccountSnapshot(stream, s.version, decoded), s.bytes) << "deterministic re-encoding";
    EXPECT_EQ(s.bytes, EncodeAccountSnapshot(stream, s.version, FoldAccount(store.get(), stream, s.version)))
        << name << " " << stream << ": the snapshot is the fold up to its version";
  }
  CatalogState catalog = FoldCatalog(store.get(), "default/catalog");
  for (const auto& [plan_id, plan] : catalog.plans) {
    auto got = fresh.PlanJson("default", plan_id);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, PlanStateJson(plan));
  }
  if (auto s = store->LoadSnapshot("default/catalog"); s.ok() && s.value()) {
    EXPECT_EQ(s.value()->bytes, EncodeCatalogSnapshot("default/catalog", s.value()->version,
                                                      FoldCatalog(store.get(), "default/catalog", s.value()->version)));
  }
  if (long_streams > 0) {
    EXPECT_GT(fresh.Stats().snapshot_loads, 0u);
  }
  EXPECT_EQ(fresh.Stats().snapshots_rejected, 0u);
}

class SnapshotScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(SnapshotScenario, SnapshotPlusTailEqualsFullFold) { RunScenario(GetParam()); }

std::vector<std::string> ScenarioNames() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(ACCRUE_SCENARIO_DIR)) {
    std::string f = e.path().filename().string();
    const std::string suffix = ".results.jsonl";
    if (f.size() > suffix.size() && f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(f.substr(0, f.size() - suffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(All, SnapshotScenario, ::testing::ValuesIn(ScenarioNames()),
                         [](const auto& info) { return info.param; });

// ---- fallbacks and the snapshot path on a longer stream -------------------------

const char* kStream = "default/account/acme";

// acme with a metered subscription and `usages` usage records, posted with
// snapshots every `every` events; returns the store.
std::unique_ptr<events::EventStore> UsageAccount(int usages, uint64_t every) {
  auto store = events::NewMemoryEventStore([] { return int64_t{0}; });
  ServiceOptions o;
  o.snapshot_every_events = every;
  CommandService service(store.get(), o);
  std::vector<std::string> lines = {
      R"({"command":"open_account","idempotency_key":"k1","account_id":"acme","currency":"USD"})",
      R"({"command":"publish_plan","idempotency_key":"k2","plan_id":"pro","currency":"USD","interval":"month","amount":"49.00","meters":[{"meter":"api_calls","unit_price":"0.0004"}]})",
      R"({"command":"subscribe","idempotency_key":"k3","subscription_id":"s1","account_id":"acme","plan_id":"pro","start":"2024-01-31T15:00:00Z"})",
      R"({"command":"record_payment","idempotency_key":"k4","payment_id":"p1","account_id":"acme","amount":"10.00","currency":"USD","received_at":"2024-02-02T09:00:00Z","external_ref":"ch_1"})",
  };
  for (int i = 0; i < usages; ++i) {
    lines.push_back(R"({"command":"record_usage","idempotency_key":"u)" + std::to_string(i) +
                    R"(","usage_id":"u)" + std::to_string(i) +
                    R"(","subscription_id":"s1","meter":"api_calls","quantity":"1.50","at":"2024-02-03T10:00:00Z"})");
  }
  lines.push_back(R"({"command":"run_billing","idempotency_key":"r1","as_of":"2024-03-01T00:00:00Z"})");
  std::vector<events::Future<CommandOutcome>> futures;
  for (const auto& l : lines) futures.push_back(service.Submit("default", l, std::nullopt));
  for (auto& f : futures) EXPECT_NE(f.get().status, OutcomeStatus::kFailed);
  return store;
}

TEST(SnapshotLoad, LongStreamTakesTheSnapshotPath) {
  auto store = UsageAccount(2500, 1000);
  auto snapshot = store->LoadSnapshot(kStream);
  ASSERT_TRUE(snapshot.ok() && snapshot.value().has_value());
  EXPECT_GE(snapshot.value()->version, 2000u);
  CommandService fresh(store.get(), ServiceOptions{});
  auto json = fresh.AccountJson("default", "acme");
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(*json, AccountStateJson(FoldAccount(store.get(), kStream)));
  ServiceStats stats = fresh.Stats();
  EXPECT_EQ(stats.snapshot_loads, 1u);
  EXPECT_EQ(stats.full_folds, 0u);
  EXPECT_LT(stats.events_folded, 1000u);
  // The D-47 fingerprints came back from the snapshot: a repeated usage_id with
  // the same body replays, with another body is already_exists.
  auto same = fresh.Submit("default", R"({"command":"record_usage","idempotency_key":"again","usage_id":"u7","subscription_id":"s1","meter":"api_calls","quantity":"1.5","at":"2024-02-03T10:00:00Z"})", std::nullopt).get();
  EXPECT_EQ(same.status, OutcomeStatus::kAccepted) << same.result_json;
  EXPECT_NE(same.result_json.find("\"replayed\":true"), std::string::npos) << same.result_json;
  auto other = fresh.Submit("default", R"({"command":"record_usage","idempotency_key":"again2","usage_id":"u8","subscription_id":"s1","meter":"api_calls","quantity":"2","at":"2024-02-03T10:00:00Z"})", std::nullopt).get();
  EXPECT_EQ(other.error, ErrorCode::kAlreadyExists) << other.result_json;
}

// Replaces the stored snapshot with `bytes` (at `version`) and checks a fresh
// service ignores it with a warning and folds the whole stream.
void ExpectIgnored(events::EventStore* store, uint64_t version, const std::string& bytes, const char* what) {
  ASSERT_TRUE(store->SaveSnapshot(kStream, events::Snapshot{version, bytes}).ok()) << what;
  std::vector<std::string> warnings;
  ServiceOptions o;
  o.snapshot_every_events = 0;  // keep the bad snapshot in place
  o.warn = [&](std::string_view w) { warnings.emplace_back(w); };
  CommandService fresh(store, o);
  auto json = fresh.AccountJson("default", "acme");
  ASSERT_TRUE(json.has_value()) << what;
  EXPECT_EQ(*json, AccountStateJson(FoldAccount(store, kStream))) << what;
  ServiceStats stats = fresh.Stats();
  EXPECT_EQ(stats.snapshots_rejected, 1u) << what;
  EXPECT_EQ(stats.snapshot_loads, 0u) << what;
  EXPECT_EQ(stats.full_folds, 1u) << what;
  ASSERT_EQ(warnings.size(), 1u) << what;
  EXPECT_NE(warnings[0].find(kStream), std::string::npos) << warnings[0];
}

TEST(SnapshotLoad, UntrustworthySnapshotsFallBackToAFullFold) {
  auto store = UsageAccount(30, 0);  // no snapshots written
  const uint64_t version = store->StreamVersion(kStream).value();
  const std::string good = EncodeAccountSnapshot(kStream, version, FoldAccount(store.get(), kStream));
  AccountState decoded;
  ASSERT_TRUE(DecodeAccountSnapshot(good, kStream, version, &decoded).ok());

  std::string flipped = good;
  for (std::size_t i = 0; i < flipped.size(); i += 7) flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
  ExpectIgnored(store.get(), version, flipped, "corrupt bytes");
  ExpectIgnored(store.get(), version, "not a snapshot", "garbage");

  v1::SnapshotEnvelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(good));
  envelope.set_schema_version(kSnapshotSchemaVersion + 1);
  ExpectIgnored(store.get(), version, envelope.SerializeAsString(), "unknown schema version");

  ExpectIgnored(store.get(), version, EncodeAccountSnapshot(kStream, version - 1, decoded),
                "names another version");
  ExpectIgnored(store.get(), version, EncodeAccountSnapshot("default/account/other", version, decoded),
                "names another stream");

  ASSERT_TRUE(envelope.ParseFromString(good));
  envelope.mutable_account()->set_credit("-1");
  ExpectIgnored(store.get(), version, envelope.SerializeAsString(), "negative credit");

  ASSERT_TRUE(envelope.ParseFromString(good));
  envelope.mutable_account()->mutable_invoices(0)->set_total("1");
  ExpectIgnored(store.get(), version, envelope.SerializeAsString(), "total != sum of lines");

  ASSERT_TRUE(envelope.ParseFromString(good));
  ASSERT_GT(envelope.account().subscriptions_size(), 0);
  for (int i = 0; i < 2; ++i) {  // the same (period, meter) twice
    auto* r = envelope.mutable_account()->mutable_subscriptions(0)->add_recorded_usage();
    r->set_period_index(0);
    r->set_meter("duplicate");
    r->mutable_quantity()->set_mantissa("1");
  }
  ExpectIgnored(store.get(), version, envelope.SerializeAsString(), "duplicate recorded usage");
}

// Decodes `envelope` as acme's snapshot at `version`; expects a Corruption whose
// message names `what` (the check that refused it, not an earlier one).
void ExpectRefused(const v1::SnapshotEnvelope& envelope, uint64_t version, const std::string& what) {
  AccountState out;
  const Status s = DecodeAccountSnapshot(envelope.SerializeAsString(), kStream, version, &out);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << what;
  EXPECT_NE(s.message().find(what), std::string::npos) << s.ToString();
}

// Found by tests/fuzz/stored_bytes_fuzz.cpp and a review of it: each of these
// decoded before 2026-12-06 and then stopped the process on an assertion when the
// state was rendered (exact period months that are not digits, in
// FormatDateAfterMonths; a line starting before its subscription's anchor, in
// PeriodIndexContaining), when the next payment was applied (an open invoice with
// nothing due: evolve asserts every application lies in (0, amount_due]) or at the
// next bill run (a usage bucket of period -1, in PeriodAt); dates past the
// saturation point overflowed the civil arithmetic. A snapshot is checked for what
// the calendar, decide and evolve rely on, so each is refused instead.
TEST(SnapshotLoad, SnapshotsTheDomainWouldAssertOnAreRefused) {
  auto store = UsageAccount(3, 0);
  const uint64_t version = store->StreamVersion(kStream).value();
  const AccountState folded = FoldAccount(store.get(), kStream);
  ASSERT_FALSE(folded.invoices.empty());
  const std::string good = EncodeAccountSnapshot(kStream, version, folded);
  v1::SnapshotEnvelope envelope;

  ASSERT_TRUE(envelope.ParseFromString(good));
  envelope.mutable_account()->mutable_subscriptions(0)->set_period_months("1x");
  ExpectRefused(envelope, version, "exact period months");
  // Beside a saturated months_per_period: a leading zero, a non-digit, none at all
  // (SubscriptionCreated always carries them there; D-30 compares them).
  for (const char* months : {"0123", "1000000000000000x", ""}) {
    ASSERT_TRUE(envelope.ParseFromString(good));
    envelope.mutable_account()->mutable_subscriptions(0)->set_months_per_period(kMaxMonthsPerPeriod);
    envelope.mutable_account()->mutable_subscriptions(0)->set_period_months(months);
    ExpectRefused(envelope, version, "exact period months");
  }

  ASSERT_TRUE(envelope.ParseFromString(good));
  envelope.mutable_account()->mutable_subscriptions(0)->set_anchor(int64_t{1} << 40);
  ExpectRefused(envelope, version, "subscription anchor");
  ASSERT_TRUE(envelope.ParseFromString(good));
  envelope.mutable_account()->mutable_subscriptions(0)->mutable_timeline(0)->set_from(
      envelope.account().subscriptions(0).anchor() - 1);
  ExpectRefused(envelope, version, "subscription timeline order");
  ASSERT_TRUE(envelope.ParseFromString(good));
  envelope.mutable_account()->mutable_subscriptions(0)->set_has_end(true);
  envelope.mutable_account()->mutable_subscriptions(0)->set_end(envelope.account().subscriptions(0).anchor() - 1);
  ExpectRefused(envelope, version, "subscription end before its anchor");

  // An open invoice with nothing due, amount_due_open kept consistent with it.
  ASSERT_TRUE(envelope.ParseFromString(good));
  auto* account = envelope.mutable_account();
  int open = -1;
  for (int i = 0; i < account->invoices_size(); ++i) {
    if (account->invoices(i).status() == 0) open = i;
  }
  ASSERT_GE(open, 0) << "the fixture has an open invoice";
  const Int128 due = ParseMinor(account->invoices(open).amount_due());
  account->set_amount_due_open(MinorText(ParseMinor(account->amount_due_open()) - due));
  account->mutable_invoices(open)->set_amount_due("0");
  ExpectRefused(envelope, version, "open with nothing due");
  // Paid (so no longer in amount_due_open, which already left it out) yet due.
  account->mutable_invoices(open)->set_status(1);
  account->mutable_invoices(open)->set_amount_due("1");
  ExpectRefused(envelope, version, "paid with something due");
  // Void, with something applied (amount_due_open again without it).
  account->mutable_invoices(open)->set_status(2);
  account->mutable_invoices(open)->set_amount_due("0");
  account->mutable_invoices(open)->set_applied("1");
  ExpectRefused(envelope, version, "void invoice with something applied");
  account->mutable_invoices(open)->set_applied("-1");
  ExpectRefused(envelope, version, "applied range");

  // A zero invoice left open: its line and total set to 0, nothing due.
  ASSERT_TRUE(envelope.ParseFromString(good));
  account = envelope.mutable_account();
  account->set_amount_due_open(MinorText(ParseMinor(account->amount_due_open()) -
                                         ParseMinor(account->invoices(open).amount_due())));
  auto* zero = account->mutable_invoices(open);
  while (zero->lines_size() > 1) zero->mutable_lines()->RemoveLast();
  zero->mutable_lines(0)->set_amount("0");
  zero->set_total("0");
  zero->set_amount_due("0");
  zero->set_status(3);  // uncollectible
  ExpectRefused(envelope, version, "a zero or negative invoice is paid");

  // A usage bucket of period -1 (a bill run would ask PeriodOf(-1), which asserts).
  ASSERT_TRUE(envelope.ParseFromString(good));
  auto* bucket = envelope.mutable_account()->mutable_subscriptions(0)->add_unbilled_usage();
  bucket->set_period_index(-1);
  bucket->set_meter("api_calls");
  bucket->mutable_quantity()->set_mantissa("1");
  bucket->mutable_unit_price()->set_mantissa("1");
  ExpectRefused(envelope, version, "usage bucket period");

  // An invoice line of the subscription starting before its anchor (rendering
  // a far-ended line finds the period containing its start, which asserts), and
  // one whose end is past where dates saturate (the civil arithmetic overflows).
  ASSERT_TRUE(envelope.ParseFromString(good));
  auto* line = envelope.mutable_account()->mutable_invoices(0)->mutable_lines(0);
  ASSERT_EQ(line->subscription_id(), envelope.account().subscriptions(0).subscription_id());
  line->set_period_start(envelope.account().subscriptions(0).anchor() - 1);
  ExpectRefused(envelope, version, "invoice line period");
  ASSERT_TRUE(envelope.ParseFromString(good));
  envelope.mutable_account()->mutable_invoices(0)->mutable_lines(0)->set_period_end(
      std::numeric_limits<int64_t>::max() - 1);
  ExpectRefused(envelope, version, "invoice line period");
}

TEST(SnapshotLoad, CatalogSnapshotsWithAPeriodTheCommandCouldNotHaveMadeAreRefused) {
  auto store = UsageAccount(0, 0);
  const std::string stream = "default/catalog";
  const uint64_t version = store->StreamVersion(stream).value();
  const std::string good = EncodeCatalogSnapshot(stream, version, FoldCatalog(store.get(), stream));
  CatalogState out;
  ASSERT_TRUE(DecodeCatalogSnapshot(good, stream, version, &out).ok());
  for (const auto& [count, months] : std::vector<std::pair<std::string, int64_t>>{
           {"", 1}, {"01", 1}, {"1x", 1}, {"2", 1}, {"1", 2}, {"99999999999999999999", 1}}) {
    v1::SnapshotEnvelope envelope;
    ASSERT_TRUE(envelope.ParseFromString(good));
    auto* plan = envelope.mutable_catalog()->mutable_plans(0);
    ASSERT_EQ(plan->interval(), "month");
    plan->set_interval_count(count);
    plan->set_months_per_period(months);
    const Status s = DecodeCatalogSnapshot(envelope.SerializeAsString(), stream, version, &out);
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << "interval_count '" << count << "', months " << months;
  }
  v1::SnapshotEnvelope envelope;  // a saturated period is still fine (D-31)
  ASSERT_TRUE(envelope.ParseFromString(good));
  envelope.mutable_catalog()->mutable_plans(0)->set_interval_count("99999999999999999999");
  envelope.mutable_catalog()->mutable_plans(0)->set_months_per_period(kMaxMonthsPerPeriod);
  EXPECT_TRUE(DecodeCatalogSnapshot(envelope.SerializeAsString(), stream, version, &out).ok());
}

}  // namespace
}  // namespace accrue::engine
