// One account's share of run_billing (R-I1, R-S3, R-S4, R-S7, D-19..D-28, D-33).
#include <algorithm>
#include <tuple>

#include "engine/decide_internal.h"
#include "events/append_planner.h"
#include "events/assert.h"

namespace accrue::engine {
namespace internal {

std::string InvoiceId(const AccountState& s, int64_t number) {
  return s.account_id + "-" + std::to_string(number);
}

Rejection Overflow(std::string what) {
  return Reject(ErrorCode::kAmountOverflow, "", what + " does not fit 128-bit minor units");
}

std::optional<v1::BillingEvent> NetCredit(
    const AccountState& s, Int128 credit, const std::string& settled_invoice,
    const std::optional<std::pair<std::string, Int128>>& new_invoice) {
  v1::BillingEvent e;
  auto* applied = e.mutable_credit_applied();
  auto apply = [&](const std::string& id, Int128 due) {
    Int128 a = std::min(credit, due);
    if (a <= 0) return;
    auto* app = applied->add_applications();
    app->set_invoice_id(id);
    app->set_amount(MinorText(a));
    credit -= a;
  };
  for (int64_t number : s.open_invoices) {
    if (credit <= 0) break;
    const Invoice& inv = s.invoices[static_cast<std::size_t>(number - 1)];
    if (inv.invoice_id == settled_invoice) continue;
    apply(inv.invoice_id, inv.amount_due);
  }
  if (credit > 0 && new_invoice) apply(new_invoice->first, new_invoice->second);
  if (applied->applications().empty()) return std::nullopt;
  return e;
}

}  // namespace internal

namespace {

struct Item {
  InvoiceLine line;
  uint64_t seq = 0;
};

// D-33 order: subscription, displayed period start, kind, period end, then for
// usage lines meter and plan, then the order in which the items arose. Other
// lines never compare plans: a credit of the old terms and one of the new (a
// change, then an immediate cancel on the same day) keep the order they arose in.
bool LineBefore(const Item& a, const Item& b) {
  const InvoiceLine& x = a.line;
  const InvoiceLine& y = b.line;
  if (std::tie(x.subscription_id, x.period.start, x.kind, x.period.end) !=
      std::tie(y.subscription_id, y.period.start, y.kind, y.period.end)) {
    return std::tie(x.subscription_id, x.period.start, x.kind, x.period.end) <
           std::tie(y.subscription_id, y.period.start, y.kind, y.period.end);
  }
  if (x.kind == LineKind::kUsage && std::tie(x.meter, x.plan_id) != std::tie(y.meter, y.plan_id)) {
    return std::tie(x.meter, x.plan_id) < std::tie(y.meter, y.plan_id);
  }
  return a.seq < b.seq;
}

// R-S4, D-19, D-20, D-22: the recurring lines of period k of `sub`.
bool RecurringLines(const Subscription& sub, int64_t k, int exponent, uint64_t* seq,
                    std::vector<Item>* out) {
  Period p = sub.PeriodOf(k);
  LocalDate end = p.end;
  if (sub.end && *sub.end < end) end = *sub.end;  // immediate cancel: [S, M) only
  struct Segment {
    LocalDate a, b;
    const TermsChange* terms;
  };
  std::vector<Segment> segments;
  const TermsChange* cur = &sub.TermsAt(p.start);
  LocalDate a = p.start;
  for (const TermsChange& t : sub.timeline) {
    if (t.from <= p.start || t.from >= end) continue;
    if (t.terms.plan_id == cur->terms.plan_id && t.quantity == cur->quantity) continue;  // D-19
    segments.push_back(Segment{a, t.from, cur});
    a = t.from;
    cur = &t;
  }
  segments.push_back(Segment{a, end, cur});
  const bool whole = segments.size() == 1 && end == p.end;
  for (const Segment& s : segments) {
    Item item;
    item.line.kind = LineKind::kRecurring;
    item.line.subscription_id = sub.subscription_id;
    item.line.plan_id = s.terms->terms.plan_id;
    item.line.period = Period{s.a, s.b};
    item.line.period_index = k;
    item.line.quantity = Int128ToString(s.terms->quantity);
    auto amount = whole ? RoundProduct(DecimalFromMinorUnits(s.terms->terms.amount, exponent),
                                       DecimalFromInt(s.terms->quantity), 1, 1, exponent)
                        : sub.Prorated(k, *s.terms, s.a, s.b, exponent);
    if (!amount) return false;
    item.line.amount = *amount;
    item.seq = (*seq)++;
    out->push_back(std::move(item));
  }
  return true;
}

// R-S7, D-26: the usage line of one unbilled bucket, priced per R-M5; nullopt when
// its amount overflows.
std::optional<Item> UsageItem(const Subscription& sub, const UsageBucketKey& key, const UsageBucket& bucket,
                              const Period& p, int exponent) {
  Item item;
  item.line.kind = LineKind::kUsage;
  item.line.subscription_id = sub.subscription_id;
  item.line.meter = key.meter;
  item.line.plan_id = key.plan_id;
  item.line.period = p;
  item.line.period_index = key.period_index;
  item.line.quantity = FormatDecimal(bucket.quantity);
  auto amount = RoundProduct(bucket.quantity, bucket.unit_price, 1, 1, exponent);  // R-M5
  if (!amount) return std::nullopt;
  item.line.amount = *amount;
  item.seq = bucket.first_seq;
  return item;
}

// R-S3, D-28: the recurring lines of every started period of `sub` not invoiced
// yet (a late run catches up), with its new invoiced_periods recorded in `issued`;
// R-S7, D-26: its usage of every ended period, in arrears. False when a line
// amount overflows.
bool SubscriptionItems(const Subscription& sub, Instant as_of, const TimeZone& zone, int exponent,
                       uint64_t* seq, std::vector<Item>* items, v1::InvoiceIssued* issued) {
  int64_t k = sub.invoiced_periods;
  for (;; ++k) {
    Period p = sub.PeriodOf(k);
    if (p.start.IsFarFuture() || (sub.end && p.start >= *sub.end)) break;
    if (zone.LocalMidnight(p.start) > as_of) break;
    if (!RecurringLines(sub, k, exponent, seq, items)) return false;
  }
  if (k != sub.invoiced_periods) {
    auto* billed = issued->add_billed();
    billed->set_subscription_id(sub.subscription_id);
    billed->set_invoiced_periods(k);
  }
  for (const auto& [key, bucket] : sub.unbilled_usage) {
    Period p = sub.PeriodOf(key.period_index);
    if (p.end.IsFarFuture() || zone.LocalMidnight(p.end) > as_of) continue;
    std::optional<Item> item = UsageItem(sub, key, bucket, p, exponent);
    if (!item) return false;
    items->push_back(std::move(*item));
  }
  return true;
}

// D-24: a pending item (a proration of a change or cancel) as a line.
Item PendingLine(const PendingItem& pi) {
  Item item;
  item.line.kind = pi.kind;
  item.line.subscription_id = pi.subscription_id;
  item.line.plan_id = pi.plan_id;
  item.line.period = pi.period;
  item.line.quantity = Int128ToString(pi.quantity);
  item.line.amount = pi.amount;
  item.seq = pi.seq;
  return item;
}

// One invoice is one event (R-I1), and the log takes at most kMaxPayloadBytes per
// event: a larger catch-up is refused for this account (a tenant-wide run skips it
// and bills the others), with the way out in the message. A line encodes in well
// under 1 KiB (ids of <= 85 characters, decimal text), so only an invoice with more
// lines than kLinesThatAlwaysFit is measured.
std::optional<Rejection> TooLargeForOneEvent(const v1::BillingEvent& e, std::size_t lines) {
  constexpr std::size_t kLinesThatAlwaysFit = events::kMaxPayloadBytes / 1024;
  const std::size_t bytes = lines > kLinesThatAlwaysFit ? e.ByteSizeLong() : 0;
  if (bytes <= events::kMaxPayloadBytes) return std::nullopt;
  return Reject(ErrorCode::kInvalidState, "as_of",
                "the invoice would have " + std::to_string(lines) + " lines (" + std::to_string(bytes >> 20) +
                    " MiB, over the log's " + std::to_string(events::kMaxPayloadBytes >> 20) +
                    " MiB per event): bill this account with earlier as_of values first");
}

}  // namespace

DecideResult DecideBillRun(const AccountState& a, Instant as_of) {
  Decision d;
  d.target = Decision::Target::kAccount;
  d.account_id = a.account_id;
  if (!a.exists || a.status == AccountStatus::kClosed) return d;  // D-43
  if (a.last_run_as_of && as_of < *a.last_run_as_of) return d;    // D-25
  const TimeZone* zone = a.zone();
  ACCRUE_ASSERT(zone != nullptr, "stored time zone unknown");
  const int exponent = a.currency.exponent;
  std::vector<Item> items;
  uint64_t seq = 0;
  v1::InvoiceIssued issued;
  for (const Subscription& sub : a.subscriptions) {
    if (!SubscriptionItems(sub, as_of, *zone, exponent, &seq, &items, &issued)) {
      return internal::Overflow("a line amount");
    }
  }
  for (const PendingItem& pi : a.pending) items.push_back(PendingLine(pi));  // D-24: every one
  if (items.empty()) {  // R-I1: no items, no invoice; D-25 remembers the as_of
    if (!a.last_run_as_of || as_of > *a.last_run_as_of) {
      v1::BillingEvent e;
      e.mutable_bill_run_processed()->set_as_of_us(as_of.micros);
      d.events.push_back(std::move(e));
    }
    return d;
  }
  std::stable_sort(items.begin(), items.end(), LineBefore);
  // D-27: each line fits (checked when it was priced) and so must the total;
  // partial sums may not (Int128Sum), whatever the order of the lines.
  Int128Sum line_sum;
  for (const Item& item : items) {
    line_sum.Add(item.line.amount);
    *issued.add_lines() = LineToProto(item.line);
  }
  if (!line_sum.Value()) return internal::Overflow("the invoice total");
  const Int128 total = *line_sum.Value();
  // D-27: the account's amount_due with the invoice added, or its credit (R-I4).
  if (total > 0 && !CheckedAdd(a.amount_due_open, total)) return internal::Overflow("amount_due");
  if (total < 0 && !CheckedAdd(a.credit, -total)) return internal::Overflow("the credit balance");
  const int64_t number = static_cast<int64_t>(a.invoices.size()) + 1;
  const std::string id = internal::InvoiceId(a, number);
  issued.set_invoice_id(id);
  issued.set_number(number);
  issued.set_issued_at_us(as_of.micros);
  issued.set_total(MinorText(total));
  issued.set_as_of_us(as_of.micros);
  v1::BillingEvent e;
  *e.mutable_invoice_issued() = std::move(issued);
  if (std::optional<Rejection> r = TooLargeForOneEvent(e, items.size())) return *r;
  d.events.push_back(std::move(e));
  d.claims.emplace_back(std::string(kClaimInvoice), id);
  d.invoices.push_back(id);
  // D-36: netting after the new invoice (R-I4: a negative one adds credit).
  Int128 credit = total < 0 ? a.credit - total : a.credit;
  std::optional<std::pair<std::string, Int128>> fresh;
  if (total > 0) fresh = std::make_pair(id, total);
  if (auto net = internal::NetCredit(a, credit, "", fresh)) d.events.push_back(std::move(*net));
  return d;
}

}  // namespace accrue::engine
