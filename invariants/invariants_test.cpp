// Proves each checker of invariants/ both accepts a real state and catches the
// breach it is named for: a small billing story is posted through the real
// CommandService (in-memory log), folded back from the log, checked clean; then
// one field at a time is broken on a copy and the checker must report exactly
// that invariant's id.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>

#include "engine/service.h"
#include "engine/state_json.h"
#include "invariants/account_invariants.h"
#include "invariants/ledger_invariants.h"
#include "invariants/log_invariants.h"
#include "invariants/replay_invariants.h"

namespace accrue::invariants {
namespace {

using engine::AccountState;

bool Reports(const Violations& found, std::string_view id) {
  return std::any_of(found.begin(), found.end(), [&](const Violation& v) { return v.invariant == id; });
}

class InvariantsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto now = std::make_shared<std::atomic<int64_t>>(int64_t{1'700'000'000'000'000});
    store_ = events::NewMemoryEventStore([now] { return now->fetch_add(1); });
    service_ = std::make_unique<engine::CommandService>(store_.get(), engine::ServiceOptions{});
    const char* lines[] = {
        R"({"command":"publish_plan","idempotency_key":"k1","plan_id":"pro","currency":"USD","interval":"month","amount":"49.00","meters":[{"meter":"api","unit_price":"0.01"}]})",
        R"({"command":"open_account","idempotency_key":"k2","account_id":"acme","currency":"USD"})",
        R"({"command":"subscribe","idempotency_key":"k3","subscription_id":"s1","account_id":"acme","plan_id":"pro","start":"2024-01-10T00:00:00Z"})",
        R"({"command":"record_usage","idempotency_key":"k4","usage_id":"u1","subscription_id":"s1","meter":"api","quantity":"100","at":"2024-01-20T00:00:00Z"})",
        R"({"command":"run_billing","idempotency_key":"k5","as_of":"2024-02-01T00:00:00Z"})",
        R"({"command":"run_billing","idempotency_key":"k6","as_of":"2024-02-11T00:00:00Z"})",
        R"({"command":"record_usage","idempotency_key":"k7","usage_id":"u2","subscription_id":"s1","meter":"api","quantity":"5","at":"2024-01-25T00:00:00Z"})",
        R"({"command":"record_payment","idempotency_key":"k8","payment_id":"p1","account_id":"acme","amount":"60.00","currency":"USD","received_at":"2024-02-12T00:00:00Z","external_ref":"x1"})",
        R"({"command":"issue_credit_note","idempotency_key":"k9","credit_note_id":"cn1","invoice_id":"acme-2","amount":"5.00","reason":"goodwill"})",
    };
    for (const char* line : lines) {
      auto outcome = service_->Submit("t", line, std::nullopt).get();
      ASSERT_EQ(outcome.status, engine::OutcomeStatus::kAccepted) << line << " -> " << outcome.result_json;
    }
    auto catalog = FoldCatalogFromLog(store_.get(), "t");
    ASSERT_TRUE(catalog.ok());
    catalog_ = catalog.value();
    auto found = CheckAccountFromLog(store_.get(), "t", "acme", &catalog_, &state_);
    ASSERT_TRUE(found.ok());
    for (const auto& v : found.value()) ADD_FAILURE() << v.ToString();
    ASSERT_EQ(state_.invoices.size(), 2u);
  }

  std::unique_ptr<events::EventStore> store_;
  std::unique_ptr<engine::CommandService> service_;
  engine::CatalogState catalog_;
  AccountState state_;
};

TEST_F(InvariantsTest, RealStateIsClean) {
  EXPECT_TRUE(CheckAccount(state_, &catalog_).empty());
  auto live = service_->AccountJson("t", "acme");
  ASSERT_TRUE(live.has_value());
  EXPECT_TRUE(CheckReplayEqual("acme", *live, engine::AccountStateJson(state_)).empty());
  EXPECT_TRUE(CheckReplayFromLog(store_.get(), "t", "acme", live).empty());
  auto whole = CheckLog(store_.get());
  ASSERT_TRUE(whole.ok());
  EXPECT_TRUE(whole.value().empty());
}

TEST_F(InvariantsTest, EachAccountCheckerCatchesItsBreach) {
  AccountState s = state_;
  s.credit = -1;
  EXPECT_TRUE(Reports(CheckCreditNonNegative(s), kCreditNonNegative));

  s = state_;
  s.amount_due_open += 1;
  EXPECT_TRUE(Reports(CheckReceivableMatchesOpenInvoices(s), kReceivableMatches));
  s = state_;
  s.open_invoices.clear();
  EXPECT_TRUE(Reports(CheckReceivableMatchesOpenInvoices(s), kReceivableMatches));

  s = state_;
  s.invoices[0].total += 1;
  EXPECT_TRUE(Reports(CheckInvoiceTotals(s), kInvoiceTotal));

  s = state_;
  s.invoices[1].status = engine::InvoiceStatus::kPaid;  // amount_due is still > 0
  EXPECT_TRUE(Reports(CheckInvoiceStatus(s), kInvoiceStatus));

  s = state_;  // period 0's charge billed a second time on invoice 2
  s.invoices[1].lines.push_back(s.invoices[0].lines[0]);
  EXPECT_TRUE(Reports(CheckRecurringBilledOnce(s), kRecurringOnce));
  s = state_;  // a charge for a period the subscription does not count as invoiced
  s.subscriptions[0].invoiced_periods = 1;
  EXPECT_TRUE(Reports(CheckRecurringBilledOnce(s), kRecurringOnce));
  s = state_;  // a charge for a period after the cancellation's end
  s.subscriptions[0].end = s.subscriptions[0].PeriodOf(1).start;
  EXPECT_TRUE(Reports(CheckRecurringBilledOnce(s), kRecurringOnce));

  s = state_;
  for (auto& line : s.invoices[1].lines) {
    if (line.kind == engine::LineKind::kUsage) line.quantity = "106";  // 105 recorded
  }
  EXPECT_TRUE(Reports(CheckUsageBilledOnce(s), kUsageOnce));
  s = state_;
  ASSERT_FALSE(s.subscriptions[0].recorded_usage.empty());
  s.subscriptions[0].recorded_usage.erase(s.subscriptions[0].recorded_usage.begin());  // a record lost
  EXPECT_TRUE(Reports(CheckUsageBilledOnce(s), kUsageOnce));

  s = state_;
  s.invoices[1].applied = s.invoices[1].total + 100;
  EXPECT_TRUE(Reports(CheckSettlementWithinTotal(s), kSettlementWithinTotal));
  s = state_;
  s.payments[0].applied.push_back(s.payments[0].applied[0]);  // applications beyond the payment
  s.payments[0].applied.push_back(s.payments[0].applied[0]);
  EXPECT_TRUE(Reports(CheckSettlementWithinTotal(s), kSettlementWithinTotal));

  s = state_;
  s.invoices[1].credited = s.invoices[1].total + 1;
  s.credit_notes[0].amount = s.invoices[1].credited;
  EXPECT_TRUE(Reports(CheckCreditNotesWithinTotal(s), kCreditNotesWithinTotal));

  s = state_;
  s.credit = 1;  // invoice acme-2 is open
  EXPECT_TRUE(Reports(CheckNoCreditWithOpenInvoice(s), kNoCreditWithOpenInvoice));

  s = state_;
  s.payments[0].refunded = s.payments[0].amount + 1;
  EXPECT_TRUE(Reports(CheckRefundsWithinPayment(s), kRefundsWithinPayment));

  engine::CatalogState other = catalog_;
  other.plans.at("pro").currency = *engine::FindCurrency("EUR");
  EXPECT_TRUE(Reports(CheckOneCurrency(state_, other), kOneCurrency));
  EXPECT_TRUE(Reports(CheckAccount(state_, &other), kOneCurrency));
}

TEST_F(InvariantsTest, LedgerCheckersCatchTheirBreaches) {
  engine::JournalEntry unbalanced;
  unbalanced.postings.push_back({"assets:cash", 100, 0});
  unbalanced.postings.push_back({"liabilities:credit:acme", 0, 99});
  EXPECT_TRUE(Reports(CheckJournalEntryBalanced(unbalanced, "test"), kJournalBalanced));
  engine::JournalEntry both_sides;
  both_sides.postings.push_back({"assets:cash", 5, 5});
  EXPECT_TRUE(Reports(CheckJournalEntryBalanced(both_sides, "test"), kJournalBalanced));

  LedgerTally tally("acme");
  Violations during;
  auto events = store_->ReadStream("t/account/acme", 1, 1000);
  ASSERT_TRUE(events.ok());
  for (const auto& recorded : events.value()) {
    engine::v1::BillingEvent e;
    ASSERT_TRUE(e.ParseFromString(recorded.payload));
    tally.Add(e, "event", &during);
  }
  EXPECT_TRUE(during.empty());
  EXPECT_TRUE(tally.CheckAgainst(state_).empty());
  EXPECT_EQ(tally.receivable(), state_.amount_due_open);
  AccountState s = state_;
  s.amount_due_open += 1;
  EXPECT_TRUE(Reports(tally.CheckAgainst(s), kReceivableMatches));
  s = state_;
  s.credit += 1;
  EXPECT_TRUE(Reports(tally.CheckAgainst(s), kCreditMatchesLedger));
}

// Sums are exact: an invoice of +1e38, +1e38, -1e38 cents totals 1e38 (its
// partial sum 2e38 leaves 128 bits), and its journal entry posts 2e38 on each
// side; neither is a breach (D-27 checks the total, not partial sums). One cent
// off on such sides still is.
TEST_F(InvariantsTest, SumsPastThe128BitRangeAreExact) {
  const engine::Int128 e38 = engine::Int128{10000000000000000000ULL} * engine::Int128{10000000000000000000ULL};
  AccountState s = state_;
  engine::Invoice& inv = s.invoices[0];
  inv.lines.resize(3, inv.lines[0]);
  inv.lines[0].amount = e38;
  inv.lines[1].amount = e38;
  inv.lines[2].amount = -e38;
  inv.total = e38;
  EXPECT_TRUE(CheckInvoiceTotals(s).empty());
  inv.total = e38 - 1;
  EXPECT_TRUE(Reports(CheckInvoiceTotals(s), kInvoiceTotal));

  engine::JournalEntry wide;
  wide.postings.push_back({"income:recurring", 0, e38});
  wide.postings.push_back({"income:recurring", 0, e38});
  wide.postings.push_back({"income:recurring", e38, 0});
  wide.postings.push_back({"assets:receivable:acme", e38, 0});
  EXPECT_TRUE(CheckJournalEntryBalanced(wide, "test").empty());
  wide.postings.back().debit -= 1;
  Violations off = CheckJournalEntryBalanced(wide, "test");
  ASSERT_TRUE(Reports(off, kJournalBalanced));
  EXPECT_NE(off[0].detail.find("(beyond 128 bits)"), std::string::npos) << off[0].detail;
}

TEST_F(InvariantsTest, ReplayAndLogCheckersCatchTheirBreaches) {
  EXPECT_TRUE(Reports(CheckReplayEqual("acme", "{\"a\":1}", "{\"a\":2}"), kReplayEqual));
  EXPECT_TRUE(Reports(CheckReplayFromLog(store_.get(), "t", "acme", std::string("{}")), kReplayEqual));
  EXPECT_TRUE(Reports(CheckReplayFromLog(store_.get(), "t", "ghost", std::string("{}")), kReplayEqual));

  // A payment in another currency than the account's, fed to the whole-log checker.
  LogChecker checker;
  auto all = store_->ReadAll(1, 1000);
  ASSERT_TRUE(all.ok());
  for (const auto& e : all.value()) ASSERT_TRUE(checker.Feed(e).ok());
  engine::v1::BillingEvent payment;
  auto* p = payment.mutable_payment_received();
  p->set_payment_id("p9");
  p->set_amount("100");
  p->set_currency("EUR");
  p->set_received_at_us(0);
  p->set_external_ref("x9");
  events::RecordedEvent bad;
  bad.position = all.value().back().position + 1;
  bad.stream = "t/account/acme";
  bad.payload = payment.SerializeAsString();
  ASSERT_TRUE(checker.Feed(bad).ok());
  Violations found = checker.Finish();
  EXPECT_TRUE(Reports(found, kOneCurrency));
  // The forged event also leaves 1.00 of credit beside the open invoice acme-2 (it
  // applies nothing), which R-I5 forbids; the ledger and the state still agree.
  EXPECT_TRUE(Reports(found, kNoCreditWithOpenInvoice));
  EXPECT_EQ(found.size(), 2u);
}

}  // namespace
}  // namespace accrue::invariants
