// Unit tests of decide/evolve (engine/decide.h, engine/evolve.h) and the ledger.
// A tiny in-test "world" (catalog, accounts, claims) stands in for the service:
// each command is decoded, decided against the world, and its events folded with
// Evolve; every event's journal entry is built (LedgerEntry asserts balance).
// Each test names the rule it proves.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "engine/decide.h"
#include "engine/evolve.h"
#include "engine/json.h"
#include "engine/ledger.h"
#include "engine/money.h"
#include "engine/state_json.h"

namespace accrue::engine {
namespace {

class World {
 public:
  // Decides one command line; applies accepted events. Returns the rejection code,
  // or nullopt when accepted.
  std::optional<ErrorCode> Do(const std::string& json) {
    JsonValue v;
    std::string err;
    EXPECT_TRUE(ParseJsonObjectLine(json, &v, &err)) << json;
    auto decoded = DecodeCommand(v);
    if (auto* r = std::get_if<Rejection>(&decoded)) return r->code;
    Command c = std::get<Command>(decoded);
    DecideContext ctx;
    ctx.catalog = &catalog_;
    ctx.account = Target(c);
    if (auto* u = std::get_if<RecordUsage>(&c)) {
      ctx.usage_owner = Owner("usage", u->usage_id);
      auto value = claim_values_.find("usage/" + u->usage_id);  // the store's claim value (D-47)
      if (value != claim_values_.end()) ctx.usage_fingerprint = DecodeUsageFingerprint(value->second);
    }
    ctx.claim_taken = [this](std::string_view kind, const std::string& id) {
      return claims_.count(std::string(kind) + "/" + id) != 0;
    };
    auto result = Decide(c, ctx);
    if (auto* r = std::get_if<Rejection>(&result)) {
      last_rejection_ = *r;
      return r->code;
    }
    Apply(std::get<Decision>(result));
    return std::nullopt;
  }

  std::optional<ErrorCode> Run(const std::string& as_of) {
    last_invoices_.clear();
    for (auto& [id, a] : accounts_) {
      auto r = DecideBillRun(a, *ParseInstant(as_of));
      if (auto* rej = std::get_if<Rejection>(&r)) {
        last_rejection_ = *rej;
        return rej->code;
      }
      Apply(std::get<Decision>(r));
    }
    return std::nullopt;
  }

  const AccountState& Account(const std::string& id) { return accounts_.at(id); }
  const CatalogState& catalog() const { return catalog_; }
  const std::vector<std::string>& last_invoices() const { return last_invoices_; }
  const std::vector<std::string>& last_events() const { return last_events_; }
  const Rejection& last_rejection() const { return last_rejection_; }

 private:
  const AccountState* Owner(const std::string& kind, const std::string& id) {
    auto it = claims_.find(kind + "/" + id);
    return it == claims_.end() ? nullptr : &accounts_.at(it->second);
  }
  const AccountState* Target(const Command& c) {
    return std::visit(
        [&](const auto& x) -> const AccountState* {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, OpenAccount> || std::is_same_v<T, Subscribe> ||
                        std::is_same_v<T, RecordPayment> || std::is_same_v<T, CloseAccount>) {
            auto it = accounts_.find(x.account_id);
            return it == accounts_.end() ? nullptr : &it->second;
          } else if constexpr (std::is_same_v<T, ChangeSubscription> ||
                               std::is_same_v<T, CancelSubscription> || std::is_same_v<T, RecordUsage>) {
            return Owner("subscription", x.subscription_id);
          } else if constexpr (std::is_same_v<T, IssueCreditNote> || std::is_same_v<T, VoidInvoice> ||
                               std::is_same_v<T, MarkUncollectible>) {
            return Owner("invoice", x.invoice_id);
          } else if constexpr (std::is_same_v<T, RefundPayment> || std::is_same_v<T, ReversePayment>) {
            return Owner("payment", x.payment_id);
          } else if constexpr (std::is_same_v<T, RunBilling>) {
            if (!x.account_id) return nullptr;
            auto it = accounts_.find(*x.account_id);
            return it == accounts_.end() ? nullptr : &it->second;
          }
          return nullptr;
        },
        c);
  }
  void Apply(const Decision& d) {
    last_events_.clear();
    for (const auto& e : d.events) {
      last_events_.push_back(EventTypeName(e));
      if (d.target == Decision::Target::kCatalog) {
        EvolveCatalog(&catalog_, e);
      } else {
        Evolve(&accounts_[d.account_id], e);
        (void)LedgerEntry(d.account_id, e);  // asserts that every entry balances (R-L)
      }
    }
    for (const auto& [kind, id] : d.claims) {
      claims_[kind + "/" + id] = d.account_id;
      claim_values_[kind + "/" + id] = ClaimValue(d, kind, id);
    }
    for (const auto& i : d.invoices) last_invoices_.push_back(i);
  }

  CatalogState catalog_;
  std::map<std::string, AccountState> accounts_;
  std::map<std::string, std::string> claims_;
  std::map<std::string, std::string> claim_values_;
  std::vector<std::string> last_invoices_;
  std::vector<std::string> last_events_;
  Rejection last_rejection_{ErrorCode::kInvalidJson, "", ""};
};

std::string Amount(const AccountState& a, Int128 v) { return FormatAmount(v, a.currency.exponent); }

// A USD account "a" on UTC with a monthly 30.00 plan (and a 60.00 one), subscribed
// from 2024-01-01.
World Basic() {
  World w;
  EXPECT_FALSE(w.Do(R"({"command":"open_account","idempotency_key":"k","account_id":"a","currency":"USD"})"));
  EXPECT_FALSE(w.Do(R"({"command":"publish_plan","idempotency_key":"k","plan_id":"p30","currency":"USD","interval":"month","amount":"30.00","meters":[{"meter":"m","unit_price":"0.5"}]})"));
  EXPECT_FALSE(w.Do(R"({"command":"publish_plan","idempotency_key":"k","plan_id":"p60","currency":"USD","interval":"month","amount":"60.00"})"));
  EXPECT_FALSE(w.Do(R"({"command":"subscribe","idempotency_key":"k","subscription_id":"s","account_id":"a","plan_id":"p30","start":"2024-01-01T10:00:00Z"})"));
  return w;
}

TEST(Decide, WholePeriodChargedExactlyOnce_RS3_RS4_RI1) {
  World w = Basic();
  EXPECT_FALSE(w.Run("2024-03-01T00:00:00Z"));  // catches up Jan, Feb, Mar (R-S3)
  const auto& a = w.Account("a");
  ASSERT_EQ(a.invoices.size(), 1u);
  EXPECT_EQ(a.invoices[0].lines.size(), 3u);
  EXPECT_EQ(Amount(a, a.invoices[0].total), "90.00");
  EXPECT_FALSE(w.Run("2024-03-01T00:00:00Z"));  // nothing new: no invoice (R-I1)
  EXPECT_EQ(w.Account("a").invoices.size(), 1u);
}

TEST(Decide, ChangeBeforeInvoicingSplitsThePeriod_RS4_D19) {
  World w = Basic();
  EXPECT_FALSE(w.Do(R"({"command":"change_subscription","idempotency_key":"k","subscription_id":"s","plan_id":"p60","effective":"2024-01-11T00:00:00Z"})"));
  EXPECT_FALSE(w.Run("2024-01-01T00:00:00Z"));
  const auto& inv = w.Account("a").invoices.at(0);
  ASSERT_EQ(inv.lines.size(), 2u);
  EXPECT_EQ(Amount(w.Account("a"), inv.lines[0].amount), "9.68");   // 30 x 10/31
  EXPECT_EQ(Amount(w.Account("a"), inv.lines[1].amount), "40.65");  // 60 x 21/31
}

TEST(Decide, ChangeToTheSameTermsMergesAway_D19_D23) {
  World w = Basic();
  EXPECT_FALSE(w.Do(R"({"command":"change_subscription","idempotency_key":"k","subscription_id":"s","quantity":1,"effective":"2024-01-11T00:00:00Z"})"));
  EXPECT_FALSE(w.Run("2024-01-01T00:00:00Z"));
  const auto& inv = w.Account("a").invoices.at(0);
  ASSERT_EQ(inv.lines.size(), 1u);
  EXPECT_EQ(Amount(w.Account("a"), inv.total), "30.00");
}

TEST(Decide, ChangeAfterInvoicingCreatesPendingPair_RS5_D23_D24) {
  World w = Basic();
  EXPECT_FALSE(w.Run("2024-01-01T00:00:00Z"));
  EXPECT_FALSE(w.Do(R"({"command":"change_subscription","idempotency_key":"k","subscription_id":"s","quantity":1,"effective":"2024-01-11T00:00:00Z"})"));
  ASSERT_EQ(w.Account("a").pending.size(), 2u);  // equal and opposite (D-23)
  EXPECT_FALSE(w.Run("2024-01-02T00:00:00Z"));   // billed by the next run (D-24)
  const auto& inv = w.Account("a").invoices.at(1);
  EXPECT_EQ(inv.lines.size(), 2u);
  EXPECT_EQ(inv.total, 0);
  EXPECT_EQ(inv.status, InvoiceStatus::kPaid);  // D-35: total 0 is paid
}

TEST(Decide, EffectiveDateTimeline_D21) {
  World w = Basic();
  EXPECT_FALSE(w.Run("2024-03-01T00:00:00Z"));
  // Before the anchor, in a period before the latest invoiced one: invalid_state.
  EXPECT_EQ(w.Do(R"({"command":"change_subscription","idempotency_key":"k","subscription_id":"s","quantity":2,"effective":"2023-12-01T00:00:00Z"})"),
            ErrorCode::kInvalidState);
  EXPECT_EQ(w.Do(R"({"command":"change_subscription","idempotency_key":"k","subscription_id":"s","quantity":2,"effective":"2024-02-10T00:00:00Z"})"),
            ErrorCode::kInvalidState);
  EXPECT_FALSE(w.Do(R"({"command":"change_subscription","idempotency_key":"k","subscription_id":"s","quantity":2,"effective":"2024-03-10T00:00:00Z"})"));
  EXPECT_EQ(w.Do(R"({"command":"cancel_subscription","idempotency_key":"k","subscription_id":"s","effective":"2024-03-09T00:00:00Z"})"),
            ErrorCode::kInvalidState);  // before the latest change
  EXPECT_EQ(w.Do(R"({"command":"change_subscription","idempotency_key":"k","subscription_id":"s","plan_id":"nope","effective":"2024-03-10T00:00:00Z"})"),
            ErrorCode::kNotFound);
}

TEST(Decide, ImmediateCancelBeforeInvoicingChargesUpToM_D22) {
  World w = Basic();
  EXPECT_FALSE(w.Do(R"({"command":"cancel_subscription","idempotency_key":"k","subscription_id":"s","effective":"2024-01-11T05:00:00Z","mode":"immediate"})"));
  EXPECT_EQ(w.Do(R"({"command":"cancel_subscription","idempotency_key":"k","subscription_id":"s","effective":"2024-01-12T05:00:00Z"})"),
            ErrorCode::kInvalidState);  // cancelling again (D-22)
  EXPECT_FALSE(w.Run("2024-06-01T00:00:00Z"));
  const auto& a = w.Account("a");
  ASSERT_EQ(a.invoices.size(), 1u);
  ASSERT_EQ(a.invoices[0].lines.size(), 1u);
  EXPECT_EQ(FormatDate(a.invoices[0].lines[0].period.end), "2024-01-11");
  EXPECT_EQ(Amount(a, a.invoices[0].total), "9.68");  // 30 x 10/31
  // Usage at or after the end is invalid_state (D-26).
  EXPECT_EQ(w.Do(R"({"command":"record_usage","idempotency_key":"k","usage_id":"u","subscription_id":"s","meter":"m","quantity":"1","at":"2024-01-11T00:00:00Z"})"),
            ErrorCode::kInvalidState);
}

TEST(Decide, NegativeInvoiceBecomesCreditAndNets_RI4_D36) {
  World w = Basic();
  EXPECT_FALSE(w.Run("2024-01-01T00:00:00Z"));
  EXPECT_FALSE(w.Do(R"({"command":"subscribe","idempotency_key":"k","subscription_id":"s2","account_id":"a","plan_id":"p60","start":"2024-01-20T00:00:00Z"})"));
  EXPECT_FALSE(w.Do(R"({"command":"cancel_subscription","idempotency_key":"k","subscription_id":"s","effective":"2024-01-02T00:00:00Z","mode":"immediate"})"));
  EXPECT_FALSE(w.Run("2024-01-05T00:00:00Z"));  // only the pending credit (s2 not due)
  const auto& a = w.Account("a");
  ASSERT_EQ(a.invoices.size(), 2u);
  EXPECT_EQ(Amount(a, a.invoices[1].total), "-29.03");  // -30 x 30/31
  // Credit 29.03 netted against the open invoice 1 at once (R-I5).
  EXPECT_EQ(a.credit, 0);
  EXPECT_EQ(Amount(a, a.invoices[0].amount_due), "0.97");
}

TEST(Decide, RepeatedRunsRememberAsOf_D25) {
  World w = Basic();
  EXPECT_FALSE(w.Run("2024-03-05T00:00:00Z"));
  EXPECT_FALSE(w.Do(R"({"command":"record_usage","idempotency_key":"k","usage_id":"u","subscription_id":"s","meter":"m","quantity":"3","at":"2024-01-05T00:00:00Z"})"));
  EXPECT_FALSE(w.Run("2024-03-01T00:00:00Z"));  // earlier than the last run: nothing
  EXPECT_EQ(w.Account("a").invoices.size(), 1u);
  EXPECT_FALSE(w.Run("2024-03-05T00:00:00Z"));  // same as_of: the late usage only
  ASSERT_EQ(w.Account("a").invoices.size(), 2u);
  EXPECT_EQ(w.Account("a").invoices[1].lines.size(), 1u);
  EXPECT_EQ(Amount(w.Account("a"), w.Account("a").invoices[1].total), "1.50");
}

TEST(Decide, UsageReplayAndConflict_D47_RS7) {
  World w = Basic();
  const char* u = R"({"command":"record_usage","idempotency_key":"k","usage_id":"u1","subscription_id":"s","meter":"m","quantity":"1.50","at":"2024-01-05T00:00:00Z"})";
  EXPECT_FALSE(w.Do(u));
  EXPECT_FALSE(w.Do(R"({"command":"record_usage","idempotency_key":"k2","usage_id":"u1","subscription_id":"s","meter":"m","quantity":"1.5","at":"2024-01-05T00:00:00+00:00"})"));
  EXPECT_TRUE(w.last_events().empty());  // a replay records nothing
  EXPECT_EQ(w.Do(R"({"command":"record_usage","idempotency_key":"k3","usage_id":"u1","subscription_id":"s","meter":"m","quantity":"2","at":"2024-01-05T00:00:00Z"})"),
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(w.Do(R"({"command":"record_usage","idempotency_key":"k","usage_id":"u2","subscription_id":"s","meter":"x","quantity":"2","at":"2024-01-05T00:00:00Z"})"),
            ErrorCode::kNotFound);
  EXPECT_EQ(w.last_rejection().field, "meter");
}

TEST(Decide, PaymentsApplyOldestFirstAndRestIsCredit_RP1_D39) {
  World w = Basic();
  EXPECT_FALSE(w.Run("2024-01-01T00:00:00Z"));
  EXPECT_FALSE(w.Run("2024-02-01T00:00:00Z"));
  EXPECT_FALSE(w.Do(R"({"command":"record_payment","idempotency_key":"k","payment_id":"p","account_id":"a","amount":"70.00","currency":"USD","received_at":"2024-02-02T00:00:00Z","external_ref":"x"})"));
  const auto& a = w.Account("a");
  EXPECT_EQ(a.payments[0].applied.size(), 2u);
  EXPECT_EQ(Amount(a, a.credit), "10.00");
  EXPECT_EQ(a.amount_due_open, 0);
  // payment_id first, then external_ref (D-39).
  EXPECT_EQ(w.Do(R"({"command":"record_payment","idempotency_key":"k","payment_id":"p2","account_id":"a","amount":"1.00","currency":"USD","received_at":"2024-02-02T00:00:00Z","external_ref":"x"})"),
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(w.last_rejection().field, "external_ref");
  EXPECT_EQ(w.Do(R"({"command":"record_payment","idempotency_key":"k","payment_id":"p3","account_id":"a","amount":"1.00","currency":"EUR","received_at":"2024-02-02T00:00:00Z","external_ref":"y"})"),
            ErrorCode::kCurrencyMismatch);
}

TEST(Decide, CreditNotesAndRefunds_RP2_RP3_D40_D41) {
  World w = Basic();
  EXPECT_FALSE(w.Run("2024-01-01T00:00:00Z"));
  EXPECT_EQ(w.Do(R"({"command":"issue_credit_note","idempotency_key":"k","credit_note_id":"c","invoice_id":"a-1","amount":"30.01","reason":"r"})"),
            ErrorCode::kExceedsCreditable);
  EXPECT_EQ(w.Do(R"({"command":"issue_credit_note","idempotency_key":"k","credit_note_id":"c","invoice_id":"a-1","amount":"1.001","reason":"r"})"),
            ErrorCode::kAmountPrecision);  // step 11, in the invoice's currency
  EXPECT_FALSE(w.Do(R"({"command":"issue_credit_note","idempotency_key":"k","credit_note_id":"c","invoice_id":"a-1","amount":"10.00","reason":"r"})"));
  EXPECT_EQ(Amount(w.Account("a"), w.Account("a").invoices[0].amount_due), "20.00");
  EXPECT_EQ(w.Do(R"({"command":"void_invoice","idempotency_key":"k","invoice_id":"a-1"})"),
            ErrorCode::kInvalidState);  // something credited (D-37)
  EXPECT_FALSE(w.Do(R"({"command":"record_payment","idempotency_key":"k","payment_id":"p","account_id":"a","amount":"25.00","currency":"USD","received_at":"2024-01-02T00:00:00Z","external_ref":"x"})"));
  EXPECT_EQ(w.Do(R"({"command":"refund_payment","idempotency_key":"k","refund_id":"r","payment_id":"p","amount":"26.00"})"),
            ErrorCode::kExceedsRefundable);
  EXPECT_EQ(w.Do(R"({"command":"refund_payment","idempotency_key":"k","refund_id":"r","payment_id":"p","amount":"5.01"})"),
            ErrorCode::kInsufficientCredit);
  EXPECT_FALSE(w.Do(R"({"command":"refund_payment","idempotency_key":"k","refund_id":"r","payment_id":"p","amount":"5.00"})"));
  EXPECT_EQ(w.Account("a").credit, 0);
}

TEST(Decide, ReversalIssuesInvoiceAndTakesCredit_RP4_D42) {
  World w = Basic();
  EXPECT_FALSE(w.Do(R"({"command":"record_payment","idempotency_key":"k","payment_id":"p","account_id":"a","amount":"50.00","currency":"USD","received_at":"2024-01-02T00:00:00Z","external_ref":"x"})"));
  EXPECT_EQ(w.Do(R"({"command":"reverse_payment","idempotency_key":"k","payment_id":"p","reversed_at":"2024-01-01T00:00:00Z","reason":"r"})"),
            ErrorCode::kInvalidState);  // before received_at
  EXPECT_FALSE(w.Do(R"({"command":"refund_payment","idempotency_key":"k","refund_id":"r","payment_id":"p","amount":"10.00"})"));
  EXPECT_FALSE(w.Do(R"({"command":"reverse_payment","idempotency_key":"k","payment_id":"p","reversed_at":"2024-01-03T00:00:00Z","reason":"r"})"));
  const auto& a = w.Account("a");
  ASSERT_EQ(a.invoices.size(), 1u);
  EXPECT_EQ(Amount(a, a.invoices[0].total), "40.00");  // less refunds
  EXPECT_EQ(a.invoices[0].status, InvoiceStatus::kPaid);  // the 40.00 credit applied at once
  EXPECT_EQ(a.credit, 0);
  EXPECT_EQ(w.Do(R"({"command":"reverse_payment","idempotency_key":"k","payment_id":"p","reversed_at":"2024-01-03T00:00:00Z","reason":"r"})"),
            ErrorCode::kInvalidState);
}

TEST(Decide, VoidAndUncollectible_RI6_D37_D38) {
  World w = Basic();
  EXPECT_FALSE(w.Run("2024-01-01T00:00:00Z"));
  EXPECT_FALSE(w.Run("2024-02-01T00:00:00Z"));
  EXPECT_FALSE(w.Do(R"({"command":"void_invoice","idempotency_key":"k","invoice_id":"a-1"})"));
  EXPECT_FALSE(w.Do(R"({"command":"mark_uncollectible","idempotency_key":"k","invoice_id":"a-2"})"));
  EXPECT_EQ(w.Do(R"({"command":"mark_uncollectible","idempotency_key":"k","invoice_id":"a-2"})"),
            ErrorCode::kInvalidState);
  const auto& a = w.Account("a");
  EXPECT_EQ(a.amount_due_open, 0);
  EXPECT_EQ(Amount(a, a.invoices[0].amount_due), "30.00");  // keeps its amount_due (D-35)
  EXPECT_FALSE(w.Run("2024-02-01T00:00:00Z"));  // voided items stay invoiced (D-37)
  EXPECT_EQ(w.Account("a").invoices.size(), 2u);
  EXPECT_EQ(w.Do(R"({"command":"void_invoice","idempotency_key":"k","invoice_id":"a-9"})"), ErrorCode::kNotFound);
}

TEST(Decide, CloseAccountChecks_D44_D43) {
  World w = Basic();
  EXPECT_EQ(w.Do(R"({"command":"close_account","idempotency_key":"k","account_id":"a"})"), ErrorCode::kInvalidState);
  EXPECT_FALSE(w.Do(R"({"command":"cancel_subscription","idempotency_key":"k","subscription_id":"s","effective":"2024-01-01T00:00:00Z"})"));
  // A canceled subscription with a period still to charge (D-44).
  EXPECT_EQ(w.Do(R"({"command":"close_account","idempotency_key":"k","account_id":"a"})"), ErrorCode::kInvalidState);
  EXPECT_FALSE(w.Run("2024-01-01T00:00:00Z"));
  EXPECT_FALSE(w.Do(R"({"command":"record_payment","idempotency_key":"k","payment_id":"p","account_id":"a","amount":"30.00","currency":"USD","received_at":"2024-01-02T00:00:00Z","external_ref":"x"})"));
  EXPECT_FALSE(w.Do(R"({"command":"close_account","idempotency_key":"k","account_id":"a"})"));
  EXPECT_EQ(w.Do(R"({"command":"close_account","idempotency_key":"k","account_id":"a"})"), ErrorCode::kInvalidState);
  EXPECT_EQ(w.Do(R"({"command":"subscribe","idempotency_key":"k","subscription_id":"s9","account_id":"a","plan_id":"p30","start":"2024-01-01T10:00:00Z"})"),
            ErrorCode::kInvalidState);
  EXPECT_FALSE(w.Run("2025-01-01T00:00:00Z"));  // a run skips a closed account
  EXPECT_EQ(w.Account("a").invoices.size(), 1u);
}

TEST(Decide, RepublishPlan_D18) {
  World w = Basic();
  EXPECT_FALSE(w.Do(R"({"command":"publish_plan","idempotency_key":"k","plan_id":"p30","currency":"USD","interval":"month","interval_count":1,"amount":"30.0","meters":[{"meter":"m","unit_price":"0.50"}]})"));
  EXPECT_TRUE(w.last_events().empty());
  EXPECT_EQ(w.Do(R"({"command":"publish_plan","idempotency_key":"k","plan_id":"p30","currency":"USD","interval":"month","amount":"30.00"})"),
            ErrorCode::kAlreadyExists);
}

TEST(Decide, OverflowingInvoiceIsRejected_D27) {
  World w;
  EXPECT_FALSE(w.Do(R"({"command":"open_account","idempotency_key":"k","account_id":"a","currency":"USD"})"));
  EXPECT_FALSE(w.Do(R"({"command":"publish_plan","idempotency_key":"k","plan_id":"big","currency":"USD","interval":"month","amount":"1000000000000000000000000000.00"})"));
  EXPECT_FALSE(w.Do(R"({"command":"subscribe","idempotency_key":"k","subscription_id":"s","account_id":"a","plan_id":"big","quantity":999999999999,"start":"2024-01-01T10:00:00Z"})"));
  EXPECT_EQ(w.Run("2024-01-01T00:00:00Z"), ErrorCode::kAmountOverflow);
  EXPECT_TRUE(w.Account("a").invoices.empty());
}

// D-27 checks every line and the invoice total, not the partial sums: lines of
// +1e38, +1e38 and -1e38 cents total 1e38, which fits 128 bits, so the invoice
// is issued whatever the order of its lines (D-33: by subscription id). Until
// 2026-12-06 the running sum 2e38 made subscriptions named a, b, c
// amount_overflow while 0c, a, b billed (rules audit).
TEST(Decide, InvoiceTotalFitsWhateverThePartialSums_D27_RI3) {
  for (const std::string canceled : {"c", "0c"}) {
    World w;
    const std::string huge = "1000000000000000000000000000000000000.00";  // 1e36 USD = 1e38 cents
    EXPECT_FALSE(w.Do(R"({"command":"open_account","idempotency_key":"k","account_id":"a","currency":"USD"})"));
    EXPECT_FALSE(w.Do(R"({"command":"publish_plan","idempotency_key":"k","plan_id":"huge","currency":"USD","interval":"month","amount":")" + huge + R"("})"));
    EXPECT_FALSE(w.Do(R"({"command":"subscribe","idempotency_key":"k","subscription_id":")" + canceled + R"(","account_id":"a","plan_id":"huge","start":"2024-01-01T00:00:00Z"})"));
    for (const char* id : {"a", "b"}) {
      EXPECT_FALSE(w.Do(R"({"command":"subscribe","idempotency_key":"k","subscription_id":")" + std::string(id) + R"(","account_id":"a","plan_id":"huge","start":"2024-02-01T00:00:00Z"})"));
    }
    EXPECT_FALSE(w.Run("2024-01-01T00:00:00Z"));
    EXPECT_FALSE(w.Do(R"({"command":"record_payment","idempotency_key":"k","payment_id":"p)" + canceled + R"(","account_id":"a","amount":")" + huge + R"(","currency":"USD","received_at":"2024-01-02T00:00:00Z","external_ref":"x)" + canceled + R"("})"));
    // A whole-period pending credit of -1e38 (R-S6), billed with a and b's first periods.
    EXPECT_FALSE(w.Do(R"({"command":"cancel_subscription","idempotency_key":"k","subscription_id":")" + canceled + R"(","effective":"2024-01-01T00:00:00Z","mode":"immediate"})"));
    EXPECT_EQ(w.Run("2024-02-01T00:00:00Z"), std::nullopt) << canceled << ": " << w.last_rejection().message;
    const AccountState& a = w.Account("a");
    ASSERT_EQ(a.invoices.size(), 2u) << canceled;
    const Invoice& inv = a.invoices[1];
    ASSERT_EQ(inv.lines.size(), 3u);
    EXPECT_EQ(Amount(a, inv.total), huge) << canceled;
    EXPECT_EQ(Amount(a, inv.amount_due), huge) << canceled;
    EXPECT_EQ(Amount(a, inv.lines[0].amount), canceled == "c" ? huge : "-" + huge);
  }
}

// D-31, R-S4, R-S5: a plan of 10^15 years (more months than kMaxMonthsPerPeriod)
// prorates by its real period length P = 365,242,500,000,000,000 days: a change
// 10 days in credits round(10^18 x (P - 10) / P) cents = 9999999999999999.73 (the
// capped 10^16-month length gave .67; rules audit, 2026-12-06); a change before
// invoicing splits the period the same way.
TEST(Decide, APeriodPastTheMonthCapProratesByItsRealLength_D31_RS4_RS5) {
  for (bool after_invoicing : {true, false}) {
    World w;
    EXPECT_FALSE(w.Do(R"({"command":"open_account","idempotency_key":"k","account_id":"a","currency":"USD"})"));
    EXPECT_FALSE(w.Do(R"({"command":"publish_plan","idempotency_key":"k","plan_id":"y15","currency":"USD","interval":"year","interval_count":1000000000000000,"amount":"10000000000000000.00"})"));
    EXPECT_FALSE(w.Do(R"({"command":"subscribe","idempotency_key":"k","subscription_id":"s","account_id":"a","plan_id":"y15","start":"2024-01-10T00:00:00Z"})"));
    if (after_invoicing) {
      EXPECT_FALSE(w.Run("2024-01-10T00:00:00Z"));
    }
    EXPECT_FALSE(w.Do(R"({"command":"change_subscription","idempotency_key":"k","subscription_id":"s","quantity":2,"effective":"2024-01-20T00:00:00Z"})"));
    EXPECT_FALSE(w.Run("2024-01-21T00:00:00Z"));
    const AccountState& a = w.Account("a");
    const Invoice& inv = a.invoices.back();
    ASSERT_EQ(inv.lines.size(), 2u);
    if (after_invoicing) {  // R-S5: -round(10^18 x (P-10)/P), +round(2 x 10^18 x (P-10)/P)
      EXPECT_EQ(Amount(a, inv.lines[0].amount), "-9999999999999999.73");
      EXPECT_EQ(Amount(a, inv.lines[1].amount), "19999999999999999.45");
    } else {  // R-S4 segments: round(10^18 x 10/P), round(2 x 10^18 x (P-10)/P)
      EXPECT_EQ(Amount(a, inv.lines[0].amount), "0.27");
      EXPECT_EQ(Amount(a, inv.lines[1].amount), "19999999999999999.45");
    }
  }
}

// D-26 has no limit on usage sums (R-M4 bounds each quantity, D-11): two 24-digit
// records of one period are one line of 1.2 x 10^24, and a record after that
// period was invoiced (a late line) is accepted too; evolve's per-(period, meter)
// total then passes 24 digits. Only a sum that leaves 128-bit decimals is
// amount_overflow (R-M3), checked before anything is recorded.
TEST(Decide, UsageSumsMayPassTwentyFourDigits_D26_RM3) {
  World w;
  EXPECT_FALSE(w.Do(R"({"command":"open_account","idempotency_key":"k","account_id":"a","currency":"USD"})"));
  EXPECT_FALSE(w.Do(R"({"command":"publish_plan","idempotency_key":"k","plan_id":"p","currency":"USD","interval":"month","amount":"1.00","meters":[{"meter":"n","unit_price":"0.000000000001"}]})"));
  EXPECT_FALSE(w.Do(R"({"command":"subscribe","idempotency_key":"k","subscription_id":"s","account_id":"a","plan_id":"p","start":"2024-01-01T00:00:00Z"})"));
  const std::string six = "600000000000000000000000";  // 6 x 10^23, 24 digits
  auto usage = [&](const std::string& id, const std::string& quantity, const std::string& day) {
    return w.Do(R"({"command":"record_usage","idempotency_key":"k","usage_id":")" + id +
                R"(","subscription_id":"s","meter":"n","quantity":")" + quantity + R"(","at":"2024-01-)" + day +
                R"(T00:00:00Z"})");
  };
  EXPECT_FALSE(usage("u1", six, "02"));
  EXPECT_FALSE(usage("u2", six, "03"));
  EXPECT_FALSE(w.Run("2024-02-01T00:00:00Z"));
  const Invoice& first = w.Account("a").invoices.at(0);
  ASSERT_EQ(first.lines.size(), 3u);  // January, January's usage, February (R-S3, R-S7)
  EXPECT_EQ(first.lines[1].quantity, "1200000000000000000000000");
  EXPECT_EQ(Amount(w.Account("a"), first.lines[1].amount), "1200000000000.00");  // 1.2e24 x 1e-12
  EXPECT_FALSE(usage("u3", six, "04"));  // late: recorded total of January is now 1.8 x 10^24
  EXPECT_FALSE(w.Run("2024-02-01T00:00:00Z"));
  ASSERT_EQ(w.Account("a").invoices.size(), 2u);
  EXPECT_EQ(w.Account("a").invoices[1].lines.at(0).quantity, six);
  // With 12 fraction digits the sums are kept at scale 12, where an Int128 mantissa
  // holds ~1.7014 x 10^26: after January's 1.8 x 10^24, 280 more records of
  // 6 x 10^23 fit (1.698 x 10^26) and the 281st would not.
  const std::string six_fine = six + ".000000000001";
  int accepted = 0;
  std::optional<ErrorCode> last;
  for (int i = 0; i < 400 && !last; ++i) {
    std::string id = std::to_string(i);
    id.insert(id.begin(), 'v');  // not "v" + ...: GCC 12's -Wrestrict false positive
    last = usage(id, six_fine, "05");
    if (!last) ++accepted;
  }
  EXPECT_EQ(last, ErrorCode::kAmountOverflow);
  EXPECT_EQ(w.last_rejection().field, "quantity");
  EXPECT_EQ(accepted, 280);
}

// Account "a" (USD) and three plans past the month cap (D-31): "y" of 10^41 years,
// "m12" of 12 x 10^41 months (the same length) and "y10" of 10^42 years.
void OpenAccountWithFarPlans(World* w) {
  EXPECT_FALSE(w->Do(R"({"command":"open_account","idempotency_key":"k","account_id":"a","currency":"USD"})"));
  const std::string huge = "100000000000000000000000000000000000000000";  // 10^41
  EXPECT_FALSE(w->Do(R"({"command":"publish_plan","idempotency_key":"k","plan_id":"y","currency":"USD","interval":"year","interval_count":)" + huge + R"(,"amount":"100.00"})"));
  EXPECT_FALSE(w->Do(R"({"command":"publish_plan","idempotency_key":"k","plan_id":"m12","currency":"USD","interval":"month","interval_count":12)" + huge.substr(1) + R"(,"amount":"50.00"})"));
  EXPECT_FALSE(w->Do(R"({"command":"publish_plan","idempotency_key":"k","plan_id":"y10","currency":"USD","interval":"year","interval_count":1)" + huge + R"(,"amount":"100.00"})"));
}

// D-31: interval_count has no upper bound. A period's end is the real date however
// far it lies (printed with every digit of its year, also past what int64 months
// hold), it is never due, and D-30 compares period lengths exactly.
TEST(Decide, PeriodsOfAnyLengthEndOnTheirRealDate_D31_D30) {
  World w;
  OpenAccountWithFarPlans(&w);
  EXPECT_FALSE(w.Do(R"({"command":"publish_plan","idempotency_key":"k","plan_id":"k4","currency":"USD","interval":"year","interval_count":400000,"amount":"100.00"})"));
  EXPECT_FALSE(w.Do(R"({"command":"subscribe","idempotency_key":"k","subscription_id":"s","account_id":"a","plan_id":"y","start":"2024-02-29T00:00:00Z"})"));
  EXPECT_FALSE(w.Do(R"({"command":"subscribe","idempotency_key":"k","subscription_id":"t","account_id":"a","plan_id":"k4","start":"2024-02-29T00:00:00Z"})"));
  EXPECT_FALSE(w.Run("2024-02-29T00:00:00Z"));
  const AccountState& a = w.Account("a");
  ASSERT_EQ(a.invoices.size(), 1u);
  ASSERT_EQ(a.invoices[0].lines.size(), 2u);
  const std::string json = AccountStateJson(a);
  EXPECT_NE(json.find(R"("current_period":{"start":"2024-02-29","end":"100000000000000000000000000000000000002024-02-29"})"),
            std::string::npos) << json;
  EXPECT_NE(json.find(R"("period":{"start":"2024-02-29","end":"100000000000000000000000000000000000002024-02-29"})"),
            std::string::npos) << json;
  EXPECT_NE(json.find(R"("current_period":{"start":"2024-02-29","end":"402024-02-29"})"), std::string::npos) << json;
  // D-30: 12 x 10^41 months is 10^41 years' length; 10^42 years is not.
  EXPECT_EQ(w.Do(R"({"command":"change_subscription","idempotency_key":"k","subscription_id":"s","plan_id":"y10","effective":"2024-03-01T00:00:00Z"})"),
            ErrorCode::kIntervalMismatch);
  EXPECT_FALSE(w.Do(R"({"command":"change_subscription","idempotency_key":"k","subscription_id":"s","plan_id":"m12","effective":"2024-03-01T00:00:00Z"})"));
  // The R-S5 pair after the invoiced period runs to that far end.
  EXPECT_FALSE(w.Run("2024-03-01T00:00:00Z"));
  const std::string after = AccountStateJson(w.Account("a"));
  EXPECT_NE(after.find(R"("kind":"proration_credit","subscription_id":"s","period":{"start":"2024-03-01","end":"100000000000000000000000000000000000002024-02-29"},"quantity":"1","amount":"-100.00")"),
            std::string::npos) << after;
  EXPECT_NE(after.find(R"("kind":"proration_charge","subscription_id":"s","period":{"start":"2024-03-01","end":"100000000000000000000000000000000000002024-02-29"},"quantity":"1","amount":"50.00")"),
            std::string::npos) << after;
  EXPECT_FALSE(w.Run("9999-12-30T00:00:00Z"));  // nothing more is ever due
  EXPECT_EQ(w.Account("a").invoices.size(), 2u);
}

// D-30, D-31: past the month cap the subscription's own exact months (kept from its
// SubscriptionCreated) decide interval_mismatch, not a catalog lookup of its current
// plan. Found by tests/fuzz/stored_bytes_fuzz.cpp: a loaded snapshot naming a plan the
// catalog did not hold stopped the process on an assertion at the next change.
TEST(Decide, IntervalMismatchPastTheCapNeedsNoCatalogLookupOfTheCurrentPlan_D30_D31) {
  World w;
  OpenAccountWithFarPlans(&w);
  EXPECT_FALSE(w.Do(R"({"command":"subscribe","idempotency_key":"k","subscription_id":"s","account_id":"a","plan_id":"y","start":"2024-02-29T00:00:00Z"})"));
  CatalogState without_y = w.catalog();
  ASSERT_EQ(without_y.plans.erase("y"), 1u);
  auto change = [&](const std::string& plan) {
    JsonValue v;
    std::string err;
    EXPECT_TRUE(ParseJsonObjectLine(R"({"command":"change_subscription","idempotency_key":"k","subscription_id":"s","plan_id":")" +
                                        plan + R"(","effective":"2024-03-01T00:00:00Z"})",
                                    &v, &err));
    DecideContext ctx;
    ctx.catalog = &without_y;
    ctx.account = &w.Account("a");
    ctx.claim_taken = [](std::string_view, const std::string&) { return false; };
    return Decide(std::get<Command>(DecodeCommand(v)), ctx);
  };
  auto other = change("y10");
  ASSERT_TRUE(std::holds_alternative<Rejection>(other));
  EXPECT_EQ(std::get<Rejection>(other).code, ErrorCode::kIntervalMismatch);
  EXPECT_TRUE(std::holds_alternative<Decision>(change("m12")));
}

// R-I1, D-25: a late run bills every started period in one invoice, which is one
// event; past the log's kMaxPayloadBytes the account's run is refused as
// invalid_state (a tenant-wide run skips it), and earlier as_of values bill it in steps.
TEST(Decide, AnInvoiceTooLargeForOneEventIsRefusedAndBillsInSteps_RI1_D25) {
  World w;
  const std::string id(64, 'x');
  const std::string plan = "p" + std::string(63, 'y');
  EXPECT_FALSE(w.Do(R"({"command":"open_account","idempotency_key":"k","account_id":"a","currency":"USD"})"));
  EXPECT_FALSE(w.Do(R"({"command":"publish_plan","idempotency_key":"k","plan_id":")" + plan + R"(","currency":"USD","interval":"month","amount":"31.00"})"));
  for (char c : std::string("12")) {
    EXPECT_FALSE(w.Do(R"({"command":"subscribe","idempotency_key":"k","subscription_id":")" + id.substr(1) + c +
                      R"(","account_id":"a","plan_id":")" + plan + R"(","start":"0001-01-02T00:00:00Z"})"));
  }
  EXPECT_EQ(w.Run("9999-12-30T00:00:00Z"), ErrorCode::kInvalidState);  // ~240,000 lines
  EXPECT_EQ(w.last_rejection().field, "as_of");
  EXPECT_NE(w.last_rejection().message.find("earlier as_of"), std::string::npos);
  EXPECT_TRUE(w.Account("a").invoices.empty());
  EXPECT_FALSE(w.Run("5000-01-01T00:00:00Z"));
  EXPECT_FALSE(w.Run("9999-12-30T00:00:00Z"));
  ASSERT_EQ(w.Account("a").invoices.size(), 2u);
  EXPECT_EQ(w.Account("a").invoices[0].lines.size() + w.Account("a").invoices[1].lines.size(), 2u * 119988);  // Jan 0001 .. Dec 9999, both subscriptions
}

// D-33: lines of one subscription, start, kind and end are ordered as they arose;
// only usage lines compare meter and plan. A change (its credit of the old plan
// arises first) then an immediate cancel on the same day (a credit of the new plan).
TEST(Decide, EqualProrationLinesKeepTheOrderTheyAroseIn_D33) {
  World w;
  EXPECT_FALSE(w.Do(R"({"command":"open_account","idempotency_key":"k","account_id":"a","currency":"USD"})"));
  EXPECT_FALSE(w.Do(R"({"command":"publish_plan","idempotency_key":"k","plan_id":"zeta","currency":"USD","interval":"month","amount":"31.00"})"));
  EXPECT_FALSE(w.Do(R"({"command":"publish_plan","idempotency_key":"k","plan_id":"alpha","currency":"USD","interval":"month","amount":"62.00"})"));
  EXPECT_FALSE(w.Do(R"({"command":"subscribe","idempotency_key":"k","subscription_id":"s","account_id":"a","plan_id":"zeta","start":"2024-01-01T10:00:00Z"})"));
  EXPECT_FALSE(w.Run("2024-01-01T00:00:00Z"));
  EXPECT_FALSE(w.Do(R"({"command":"change_subscription","idempotency_key":"k","subscription_id":"s","plan_id":"alpha","effective":"2024-01-10T03:00:00Z"})"));
  EXPECT_FALSE(w.Do(R"({"command":"cancel_subscription","idempotency_key":"k","subscription_id":"s","effective":"2024-01-10T20:00:00Z","mode":"immediate"})"));
  EXPECT_FALSE(w.Run("2024-01-11T00:00:00Z"));
  const AccountState& a = w.Account("a");
  ASSERT_EQ(a.invoices.size(), 2u);
  const auto& lines = a.invoices[1].lines;
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].kind, LineKind::kProrationCredit);
  EXPECT_EQ(lines[0].plan_id, "zeta");   // arose with the change
  EXPECT_EQ(Amount(a, lines[0].amount), "-22.00");
  EXPECT_EQ(lines[1].kind, LineKind::kProrationCredit);
  EXPECT_EQ(lines[1].plan_id, "alpha");  // arose with the cancel
  EXPECT_EQ(Amount(a, lines[1].amount), "-44.00");
  EXPECT_EQ(lines[2].kind, LineKind::kProrationCharge);
  EXPECT_EQ(Amount(a, lines[2].amount), "44.00");
}

TEST(Decide, StateJsonKeyOrder_D45) {
  World w = Basic();
  EXPECT_FALSE(w.Run("2024-01-01T00:00:00Z"));
  std::string json = AccountStateJson(w.Account("a"));
  EXPECT_EQ(json.rfind(R"({"account_id":"a","currency":"USD","timezone":"UTC","status":"open","balance":{"amount_due":"30.00","credit":"0.00"},"subscriptions":[{"subscription_id":"s","plan_id":"p30","quantity":1,"status":"active","current_period":{"start":"2024-01-01","end":"2024-02-01"}}],"invoices":[{"invoice_id":"a-1","number":1,"issued_at":"2024-01-01T00:00:00Z","status":"open","total":"30.00","amount_due":"30.00","lines":[{"kind":"recurring","subscription_id":"s","period":{"start":"2024-01-01","end":"2024-02-01"},"quantity":"1","amount":"30.00"}]}],"payments":[],"credit_notes":[],"refunds":[]})", 0), 0u) << json;
}

// An event that decodes but breaks an invariant is a bug, not data (the log is
// hash-chained and verified): evolve stops the process rather than fold it, in
// release builds too (docs/read-models.md "Failure modes", R-I3).
TEST(EvolveDeathTest, AnInvoiceWhoseLinesDoNotSumToItsTotalAborts_RI3) {
  World w = Basic();
  EXPECT_FALSE(w.Run("2024-01-01T00:00:00Z"));
  AccountState state = w.Account("a");
  v1::BillingEvent e;
  auto* inv = e.mutable_invoice_issued();
  inv->set_invoice_id("a-2");
  inv->set_number(2);
  inv->set_total("500");
  auto* line = inv->add_lines();
  line->set_kind(v1::LINE_RECURRING);
  line->set_subscription_id("s");
  line->set_amount("1000");
  EXPECT_DEATH(Evolve(&state, e), "invoice total = sum of lines");
}

TEST(Ledger, EntriesBalanceAndPostToTheRightAccounts_RL1_D46) {
  v1::BillingEvent e;
  auto* inv = e.mutable_invoice_issued();
  inv->set_total("500");
  auto* l1 = inv->add_lines();
  l1->set_kind(v1::LINE_RECURRING);
  l1->set_amount("1000");
  auto* l2 = inv->add_lines();
  l2->set_kind(v1::LINE_PRORATION_CREDIT);
  l2->set_amount("-700");
  auto* l3 = inv->add_lines();
  l3->set_kind(v1::LINE_USAGE);
  l3->set_amount("200");
  auto entry = LedgerEntry("a", e);
  ASSERT_TRUE(entry);
  Int128 receivable = 0;
  for (const auto& p : entry->postings) {
    if (p.ledger_account == "assets:receivable:a") receivable += p.debit - p.credit;
  }
  EXPECT_EQ(receivable, 500);
}

}  // namespace
}  // namespace accrue::engine
