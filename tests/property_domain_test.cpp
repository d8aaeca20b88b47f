// Model-based property tests of the billing domain through the real CommandService
// (issue 5, docs/invariants.md).
//
// What they prove: for random sequences of valid and invalid commands over several
// accounts (changes, cancels, late usage, late and out-of-order bill runs,
// payments, credit notes, refunds, reversals, voids, write-offs, closes, replays of
// idempotency keys, reused keys, reused usage ids, malformed lines):
//  - after EVERY step every invariant of docs/invariants.md holds on every account,
//    checked on the state folded from the log with the journal of every event
//    (invariants/log_invariants.h CheckAccountFromLog);
//  - the live service's state equals the state replayed from the log, byte for
//    byte in state JSON (INV-REPLAY-EQUAL), every step (memory store) or every
//    kRocksReplayEvery steps (RocksDB), and at the end a fresh service over the
//    same store (for RocksDB: a reopened store) shows the same states;
//  - a rejected command appends nothing and is rejected the same way when retried
//    (same key: the stored rejection, replayed; fresh key: the same error);
//  - a replayed key returns the first result, marked replayed (D-8), appending
//    nothing; a reused key is idempotency_key_reused (D-1 step 3);
//  - the whole-log checker (reconcile's entry point) finds nothing at the end;
//  - every snapshot the service wrote (every kSnapshotEveryEvents events, both
//    stores) decodes: the snapshot decoder refuses a state only if the domain
//    could not have reached it, so a legitimate account never silently falls
//    back to full folds (engine/snapshot_decode.cpp), and no load refused one.
// How: RapidCheck generates Op vectors (tests/property_domain_model.h); the model
// renders each against what exists so far, so shrinking keeps commands meaningful.
// Sizes: kMemorySequences against the in-memory store, kRocksSequences against
// RocksDB in a temp dir (RC_PARAMS="seed=..." reproduces a run).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "engine/service.h"
#include "engine/snapshot_codec.h"
#include "engine/state_json.h"
#include "events/event_store.h"
#include "events/rocks_event_store.h"
#include "invariants/log_invariants.h"
#include "invariants/replay_invariants.h"
#include "tests/property_domain_model.h"

namespace accrue::tests {
namespace {

constexpr int kMemorySequences = 1000;
constexpr int kRocksSequences = 100;
constexpr int kMaxOpsMemory = 80;
constexpr int kMaxOpsRocks = 30;
constexpr int kRocksReplayEvery = 4;
const std::string kTenant = "t1";
constexpr uint64_t kSnapshotEveryEvents = 5;  // many snapshots per sequence

events::Clock TestClock() {
  auto now = std::make_shared<std::atomic<int64_t>>(int64_t{1'750'000'000'000'000});
  return [now] { return now->fetch_add(1000); };
}

rc::Gen<Op> GenOp();

// A sequence: a few accounts and subscriptions first (so most later commands have
// something to act on), then any mix of operations.
rc::Gen<std::vector<Op>> GenSequence(int max_ops) {
  auto setup = [](OpKind kind) {
    return rc::gen::apply(
        [kind](int a, int b, int c, int d) {
          Op op;
          op.kind = kind;
          op.a = a;
          op.b = b % 4 == 3 ? b + 1 : b;  // valid setup: plans of the account's currency
          op.c = c % 11 == 10 ? c + 1 : c;
          op.d = d;
          op.advance_hours = 1;
          return op;
        },
        rc::gen::inRange(0, 1000), rc::gen::inRange(0, 1000), rc::gen::inRange(0, 1000), rc::gen::inRange(0, 1000));
  };
  return rc::gen::apply(
      [](std::vector<Op> opens, std::vector<Op> subs, std::vector<Op> body) {
        for (Op& op : opens) op.b = op.b % 5 == 4 ? op.b + 1 : op.b;  // new ids
        opens.insert(opens.end(), subs.begin(), subs.end());
        opens.insert(opens.end(), body.begin(), body.end());
        return opens;
      },
      rc::gen::container<std::vector<Op>>(2, setup(OpKind::kOpenAccount)),
      rc::gen::container<std::vector<Op>>(3, setup(OpKind::kSubscribe)),
      rc::gen::resize(max_ops, rc::gen::container<std::vector<Op>>(GenOp())));
}

rc::Gen<Op> GenOp() {
  using K = OpKind;
  auto kinds = rc::gen::weightedElement<OpKind>({{6, K::kOpenAccount},
                                                 {8, K::kSubscribe},
                                                 {5, K::kChange},
                                                 {3, K::kCancel},
                                                 {10, K::kUsage},
                                                 {8, K::kRunBilling},
                                                 {7, K::kPayment},
                                                 {4, K::kCreditNote},
                                                 {3, K::kRefund},
                                                 {2, K::kReverse},
                                                 {2, K::kVoid},
                                                 {1, K::kUncollectible},
                                                 {1, K::kClose},
                                                 {4, K::kReplayKey},
                                                 {2, K::kReuseKey},
                                                 {2, K::kReuseUsageId},
                                                 {3, K::kMalformed}});
  auto small = rc::gen::inRange(0, 1000);
  auto advance = rc::gen::weightedElement<int>({{3, 0}, {3, 12}, {3, 72}, {2, 240}, {2, 24 * 31}});
  auto back = rc::gen::weightedElement<int>({{8, 0}, {1, 1}, {1, 5}, {1, 20}, {1, 45}});
  return rc::gen::apply(
      [](OpKind k, int a, int b, int c, int d, int adv, int bk) {
        Op op;
        op.kind = k;
        op.a = a;
        op.b = b;
        op.c = c;
        op.d = d;
        op.advance_hours = adv;
        op.back_days = bk;
        return op;
      },
      kinds, small, small, small, small, advance, back);
}

// What the sequences exercised, printed after each test so a run shows its reach:
// outcomes by command name and status / error code.
std::map<std::string, uint64_t>& Coverage() {
  static std::map<std::string, uint64_t> counts;
  return counts;
}

void Count(const std::string& line, const engine::CommandOutcome& o) {
  auto at = line.find("\"command\":\"");
  std::string name = at == std::string::npos ? "?" : line.substr(at + 11, line.find('"', at + 11) - at - 11);
  std::string what = o.status == engine::OutcomeStatus::kAccepted ? "accepted" : "rejected";
  if (o.error) what = std::string(engine::ErrorCodeName(*o.error));
  if (o.replayed) what += "+replayed";
  ++Coverage()[name + " " + what];
}

void PrintCoverage() {
  std::cout << "outcomes exercised (command outcome: count):\n";
  for (const auto& [k, n] : Coverage()) std::cout << "  " << k << ": " << n << "\n";
  Coverage().clear();
}

std::string StripReplayed(std::string json) {
  const std::string flag = ",\"replayed\":true";
  for (auto at = json.find(flag); at != std::string::npos; at = json.find(flag)) json.erase(at, flag.size());
  return json;
}

std::string ErrorPart(const std::string& json) {
  auto at = json.find("\"error\":");
  return at == std::string::npos ? "" : StripReplayed(json.substr(at));
}

std::string WithKey(std::string line, const std::string& key) {
  auto at = line.find("\"idempotency_key\":\"");
  if (at == std::string::npos) return line;
  auto end = line.find('"', at + 19);
  return line.replace(at + 19, end - at - 19, key);
}

// One sequence against one store.
class Runner {
 public:
  explicit Runner(bool rocks) : rocks_(rocks) {
    if (rocks_) {
      char tmpl[] = "/tmp/accrue-property-XXXXXX";
      RC_ASSERT(mkdtemp(tmpl) != nullptr);
      dir_ = tmpl;
    }
    OpenStore();
    service_ = std::make_unique<engine::CommandService>(store_.get(), Options());
  }
  ~Runner() {
    service_.reset();
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void Run(const std::vector<Op>& ops) {
    for (const std::string& line : DomainModel::CatalogLines()) {
      RC_ASSERT(Submit(line).status == engine::OutcomeStatus::kAccepted);
    }
    for (std::size_t i = 0; i < ops.size(); ++i) {
      Step(ops[i]);
      CheckAccounts(!rocks_ || (i + 1) % kRocksReplayEvery == 0);
    }
    FreshServiceAgrees();
    SnapshotsDecode();
    auto whole = invariants::CheckLog(store_.get());
    RC_ASSERT(whole.ok());
    for (const auto& v : whole.value()) RC_FAIL("whole-log checker: " + v.ToString());
  }

 private:
  engine::ServiceOptions Options() const {
    engine::ServiceOptions o;
    o.snapshot_every_events = kSnapshotEveryEvents;
    if (rocks_) o.account_cache_capacity = 2;  // small cache: reloads from snapshot + tail
    return o;
  }

  // Every stored snapshot of the sequence's streams decodes, and no load so far
  // refused one.
  void SnapshotsDecode() {
    service_->FlushSnapshots();
    RC_ASSERT(service_->Stats().snapshots_rejected == 0u);
    auto check = [&](const std::string& stream, bool catalog) {
      auto snapshot = store_->LoadSnapshot(stream);
      RC_ASSERT(snapshot.ok());
      if (!snapshot.value()) return;
      const events::Snapshot& s = *snapshot.value();
      engine::AccountState account;
      engine::CatalogState plans;
      const Status decoded = catalog ? engine::DecodeCatalogSnapshot(s.bytes, stream, s.version, &plans)
                                     : engine::DecodeAccountSnapshot(s.bytes, stream, s.version, &account);
      if (!decoded.ok()) RC_FAIL("a snapshot the service wrote is refused: " + decoded.ToString());
    };
    check(invariants::CatalogStream(kTenant), true);
    for (const std::string& id : model_.account_ids()) check(invariants::AccountStream(kTenant, id), false);
  }

  void OpenStore() {
    if (!rocks_) {
      store_ = events::NewMemoryEventStore(TestClock());
      return;
    }
    events::RocksStoreOptions options;
    options.clock = TestClock();
    auto opened = events::OpenRocksEventStore(dir_, options);
    RC_ASSERT(opened.ok());
    store_ = std::move(opened.value());
  }

  engine::CommandOutcome Submit(const std::string& line) {
    return service_->Submit(kTenant, line, std::nullopt).get();
  }

  void Step(const Op& op) {
    const std::size_t sent_before = model_.sent().size();
    auto line = model_.Render(op);
    if (!line) return;
    const uint64_t position = store_->LastPosition();
    engine::CommandOutcome outcome = Submit(*line);
    Count(*line, outcome);
    RC_ASSERT(outcome.status != engine::OutcomeStatus::kFailed);
    if (op.kind == OpKind::kReplayKey) {  // D-8: the stored result, replayed, nothing appended
      const Sent& first = model_.sent()[static_cast<std::size_t>(op.a) % sent_before];
      RC_ASSERT(outcome.replayed);
      RC_ASSERT(outcome.status == first.outcome.status);
      RC_ASSERT(outcome.error == first.outcome.error);
      RC_ASSERT(StripReplayed(outcome.result_json) == StripReplayed(first.outcome.result_json));
      RC_ASSERT(store_->LastPosition() == position);
    }
    if (op.kind == OpKind::kReuseKey) {
      RC_ASSERT(outcome.error == std::optional(engine::ErrorCode::kIdempotencyKeyReused));
    }
    if (outcome.status == engine::OutcomeStatus::kRejected) {
      RC_ASSERT(store_->LastPosition() == position);  // a rejection appends nothing
      RetryRejected(op, *line, outcome);
    }
    model_.Record(op, *line, outcome);
  }

  // A rejection is the same on retry: under its key (the stored rejection, D-8)
  // and under a fresh key (same state, same decision).
  void RetryRejected(const Op& op, const std::string& line, const engine::CommandOutcome& first) {
    const auto code = *first.error;
    if (code == engine::ErrorCode::kIdempotencyKeyReused || code == engine::ErrorCode::kInvalidJson) return;
    // A replayed rejection was decided on an earlier state; only its stored form is checked (Step).
    if (op.kind == OpKind::kReplayKey) return;
    const uint64_t position = store_->LastPosition();
    engine::CommandOutcome again = Submit(line);
    RC_ASSERT(again.status == engine::OutcomeStatus::kRejected);
    RC_ASSERT(again.replayed);
    RC_ASSERT(StripReplayed(again.result_json) == StripReplayed(first.result_json));
    engine::CommandOutcome fresh = Submit(WithKey(line, model_.FreshKey()));
    RC_ASSERT(fresh.status == engine::OutcomeStatus::kRejected);
    RC_ASSERT(fresh.error == first.error);
    RC_ASSERT(ErrorPart(fresh.result_json) == ErrorPart(first.result_json));
    RC_ASSERT(store_->LastPosition() == position);
  }

  void CheckAccounts(bool replay) {
    auto catalog = invariants::FoldCatalogFromLog(store_.get(), kTenant);
    RC_ASSERT(catalog.ok());
    for (const std::string& id : model_.account_ids()) {
      engine::AccountState folded;
      auto found = invariants::CheckAccountFromLog(store_.get(), kTenant, id, &catalog.value(), &folded);
      RC_ASSERT(found.ok());
      for (const auto& v : found.value()) RC_FAIL(v.ToString());
      if (!replay) continue;
      auto live = service_->AccountJson(kTenant, id);
      RC_ASSERT(live.has_value());
      for (const auto& v : invariants::CheckReplayEqual(id, *live, engine::AccountStateJson(folded))) {
        RC_FAIL(v.ToString());
      }
    }
  }

  // A fresh service over the same store (RocksDB: reopened from disk) shows the
  // same states as the live one.
  void FreshServiceAgrees() {
    std::vector<std::string> live;
    for (const std::string& id : model_.account_ids()) live.push_back(*service_->AccountJson(kTenant, id));
    service_.reset();
    if (rocks_) {
      store_.reset();
      OpenStore();
    }
    service_ = std::make_unique<engine::CommandService>(store_.get(), Options());
    for (std::size_t i = 0; i < live.size(); ++i) {
      auto again = service_->AccountJson(kTenant, model_.account_ids()[i]);
      RC_ASSERT(again.has_value());
      for (const auto& v : invariants::CheckReplayEqual(model_.account_ids()[i], live[i], *again)) {
        RC_FAIL(v.ToString());
      }
    }
    RC_ASSERT(service_->Stats().snapshots_rejected == 0u);  // the fresh loads took every snapshot
  }

  bool rocks_;
  std::string dir_;
  std::unique_ptr<events::EventStore> store_;
  std::unique_ptr<engine::CommandService> service_;
  DomainModel model_;
};

// Runs `property` `count` times (RC_PARAMS may still set the seed).
template <typename Property>
void CheckProperty(const char* name, int count, Property property) {
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.maxSuccess = count;
  rc::detail::TestMetadata metadata;
  metadata.id = name;
  metadata.description = name;
  auto result = rc::detail::checkTestable(property, metadata, params);
  if (!result.template is<rc::detail::SuccessResult>()) {
    std::ostringstream ss;
    rc::detail::printResultMessage(result, ss);
    FAIL() << ss.str();
  }
}

TEST(PropertyDomain, InvariantsHoldAndReplayMatchesInMemoryStore) {
  CheckProperty("memory", kMemorySequences, [] {
    const auto ops = *GenSequence(kMaxOpsMemory);
    Runner(false).Run(ops);
  });
  PrintCoverage();
}

TEST(PropertyDomain, InvariantsHoldAndReplayMatchesRocksStore) {
  CheckProperty("rocks", kRocksSequences, [] {
    const auto ops = *GenSequence(kMaxOpsRocks);
    Runner(true).Run(ops);
  });
  PrintCoverage();
}

}  // namespace
}  // namespace accrue::tests
