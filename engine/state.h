// The billing aggregate: the folded state of one account stream and of the
// tenant's catalog stream (design.md "The billing account is the aggregate").
//
// AccountState is what evolve() (engine/evolve.h) builds from the events of
// "<tenant>/account/<account_id>"; CatalogState from "<tenant>/catalog". decide()
// reads them; state_json renders them (contract.md "Account state").
//
// Invariants (docs/invariants.md; checked by invariants/ and ACCRUE_ASSERT in evolve):
//  - every amount is in minor units of `currency` (one currency per account);
//  - credit >= 0; never credit > 0 together with an open invoice (R-I5, D-36);
//  - amount_due_open == sum of amount_due over invoices with status kOpen (D-35);
//  - each invoice: total == sum(lines.amount); 0 <= amount_due <= max(total, 0);
//    credited <= total (credit notes never exceed the total, R-P2);
//  - each subscription's periods [0, invoiced_periods) have had their recurring
//    charge invoiced exactly once (no double billing, R-I1);
//  - each payment: refunded <= amount (R-P3).
//
// Thread-safety: plain values; no internal synchronisation.
#ifndef ACCRUE_ENGINE_STATE_H_
#define ACCRUE_ENGINE_STATE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/calendar.h"
#include "engine/command.h"
#include "engine/currency.h"
#include "engine/decimal.h"
#include "engine/int128.h"

namespace accrue::engine {

// ---- catalog ----

struct Plan {
  std::string plan_id;
  Currency currency{"", 0};
  Interval interval = Interval::kMonth;
  std::string interval_count;     // normalised digits ("1" when absent)
  int64_t months_per_period = 1;  // interval x interval_count in months (D-30, D-31)
  Int128 amount = 0;              // minor units per unit per period (R-S1)
  std::vector<PlanMeter> meters;  // as published

  // interval x interval_count in months, exactly, as decimal digits (D-31: no upper
  // bound; months_per_period saturates at kMaxMonthsPerPeriod).
  std::string ExactPeriodMonths() const;
};

struct CatalogState {
  std::map<std::string, Plan> plans;  // by plan_id
};

// ---- subscriptions ----

// The plan terms a subscription segment uses, copied into its events so replay
// needs no catalog lookup.
struct PlanTerms {
  std::string plan_id;
  Int128 amount = 0;  // minor units per unit per period
  std::vector<PlanMeter> meters;
  bool operator==(const PlanTerms& o) const { return plan_id == o.plan_id; }
};

// A point of the subscription's timeline: from local date `from` on, these terms
// are in force (the subscription start, then each change, R-S5, D-19).
struct TermsChange {
  LocalDate from;
  PlanTerms terms;
  Int128 quantity = 1;
};

enum class SubscriptionStatus { kActive, kCanceled };

// Unbilled usage of one (period, meter, plan) (R-S7, D-26): cleared when a line
// bills it; late usage opens a new bucket.
struct UsageBucketKey {
  int64_t period_index = 0;
  std::string meter;
  std::string plan_id;
  auto operator<=>(const UsageBucketKey&) const = default;
};
struct UsageBucket {
  Decimal quantity;    // exact sum not billed yet
  Decimal unit_price;  // of `plan_id`'s meter
  uint64_t first_seq = 0;  // order in which the usage arose (D-33 tie-break)
};

struct Subscription {
  std::string subscription_id;
  Instant start;
  LocalDate anchor;               // local date of start (R-C3)
  int64_t months_per_period = 1;  // fixed for life (interval_mismatch, D-30)
  // D-31: the exact months per period when months_per_period saturated at
  // kMaxMonthsPerPeriod (PeriodOf's ends are then early, but still after 9999, so
  // never due); else empty.
  std::string exact_period_months;
  std::vector<TermsChange> timeline;  // ascending `from`; [0] is the start
  SubscriptionStatus status = SubscriptionStatus::kActive;
  // Set when canceled: the first local date not served (immediate: M;
  // end_of_period: E of the period containing M) (R-S6, D-22).
  std::optional<LocalDate> end;
  int64_t invoiced_periods = 0;   // periods [0, invoiced_periods) have been charged
  std::map<UsageBucketKey, UsageBucket> unbilled_usage;
  // Every recorded usage quantity per (period_index, meter), billed or not; for
  // the usage-billed-once invariant (recorded == billed + unbilled). Bounded by
  // periods x meters, not by usage records (the D-47 fingerprints live in the
  // log's usage claims, ADR 0004).
  std::map<std::pair<int64_t, std::string>, Decimal> recorded_usage;

  // The latest change's terms and quantity (D-29: even a future-dated one).
  const TermsChange& Latest() const { return timeline.back(); }
  // The terms in force on local date d (d >= anchor).
  const TermsChange& TermsAt(LocalDate d) const;
  Period PeriodOf(int64_t k) const { return PeriodAt(anchor, months_per_period, k); }
  // The printed `end` of a line or period within period k: FormatDate(end), or the
  // exact far date when `end` is period k's end and months_per_period saturated (D-31).
  std::string PeriodEndText(int64_t k, LocalDate end) const;
  // R-S4, R-S5, R-S6: round(price x qty x days(from, to) / P) of `t` in period k,
  // with `to` a date of the period or its end. P = days(S, E) is the real length
  // also when months_per_period saturated (D-31): E is then the exact far date.
  std::optional<Int128> Prorated(int64_t k, const TermsChange& t, LocalDate from, LocalDate to,
                                 int exponent) const;
};

// A proration item created by a change or an immediate cancel after its period
// was invoiced (R-S5, R-S6); billed by the account's next bill run (D-24).
enum class LineKind { kRecurring, kProrationCredit, kProrationCharge, kUsage, kPaymentReversal };

struct PendingItem {
  std::string subscription_id;
  LineKind kind = LineKind::kProrationCredit;  // kProrationCredit or kProrationCharge
  Period period;        // [M, E)
  Int128 quantity = 1;  // of the (plan, quantity) credited or charged
  std::string plan_id;
  Int128 amount = 0;    // signed: credits < 0
  uint64_t seq = 0;     // order in which it arose
};

// ---- invoices ----

struct InvoiceLine {
  LineKind kind = LineKind::kRecurring;
  std::string subscription_id;  // empty for kPaymentReversal
  std::string payment_id;       // kPaymentReversal only
  std::string meter;            // kUsage only
  std::string plan_id;          // recurring/proration/usage: the plan charged
  Period period;                // D-20 (unused for kPaymentReversal)
  int64_t period_index = -1;    // recurring and usage: the billing period index
  std::string quantity;         // D-14 text
  Int128 amount = 0;            // minor units, signed
};

enum class InvoiceStatus { kOpen, kPaid, kVoid, kUncollectible };

struct Invoice {
  std::string invoice_id;  // "<account_id>-<number>" (R-I2)
  int64_t number = 0;
  Instant issued_at;
  InvoiceStatus status = InvoiceStatus::kOpen;
  Int128 total = 0;
  Int128 amount_due = 0;
  Int128 credited = 0;  // sum of credit notes on this invoice (R-P2)
  Int128 applied = 0;   // payments + account credit applied (R-I3)
  bool is_reversal = false;  // issued by reverse_payment (R-P4)
  std::vector<InvoiceLine> lines;
};

// ---- payments, credit notes, refunds ----

struct PaymentApplication {
  std::string invoice_id;
  Int128 amount = 0;
};

struct Payment {
  std::string payment_id;
  Int128 amount = 0;
  Int128 refunded = 0;
  std::string external_ref;
  Instant received_at;
  bool reversed = false;  // not shown in the state (D-42)
  std::vector<PaymentApplication> applied;  // only what record_payment applied (D-39)
};

struct CreditNote {
  std::string credit_note_id;
  std::string invoice_id;
  Int128 amount = 0;
  std::string reason;
};

struct Refund {
  std::string refund_id;
  std::string payment_id;
  Int128 amount = 0;
};

// The body of a recorded usage, for D-47's replay check. Not part of the
// aggregate: stored as the value of the usage claim (engine/event_codec.h).
struct UsageFingerprint {
  std::string subscription_id;
  std::string meter;
  Decimal quantity;
  Instant at;
};

// ---- the account ----

enum class AccountStatus { kOpen, kClosed };

struct AccountState {
  bool exists = false;  // false until AccountOpened
  std::string account_id;
  Currency currency{"", 0};
  std::string timezone;  // as given (D-15)
  AccountStatus status = AccountStatus::kOpen;

  Int128 credit = 0;           // liabilities:credit:<account> (R-I5)
  Int128 amount_due_open = 0;  // sum of amount_due of open invoices (D-35)
  std::optional<Instant> last_run_as_of;  // D-25

  std::vector<Subscription> subscriptions;  // creation order (D-45)
  std::unordered_map<std::string, std::size_t> subscription_index;
  std::vector<Invoice> invoices;  // by number (number n at index n-1)
  std::set<int64_t> open_invoices;  // numbers of the kOpen invoices, ascending
  std::vector<Payment> payments;  // creation order
  std::unordered_map<std::string, std::size_t> payment_index;
  std::vector<CreditNote> credit_notes;
  std::vector<Refund> refunds;
  std::vector<PendingItem> pending;  // not yet billed (D-24)
  uint64_t next_seq = 1;  // item order counter (D-33)

  const TimeZone* zone() const { return TimeZone::Find(timezone); }
  Subscription* FindSubscription(const std::string& id);
  const Subscription* FindSubscription(const std::string& id) const;
  Payment* FindPayment(const std::string& id);
  const Payment* FindPayment(const std::string& id) const;
  // The invoice with this id, or nullptr ("<account_id>-<n>" only).
  Invoice* FindInvoice(const std::string& id);
  const Invoice* FindInvoice(const std::string& id) const;
};

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_STATE_H_
