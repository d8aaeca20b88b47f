// Snapshot codec (engine/snapshot_codec.h): decoding. Stored snapshot bytes are
// not trusted: every check that evolve() would assert is a Corruption status here,
// so a bad snapshot falls back to a full fold instead of stopping the process.
#include <unordered_set>
#include <variant>
#include <vector>

#include "accrue/events/v1/snapshot.pb.h"
#include "engine/command.h"
#include "engine/event_codec.h"
#include "engine/money.h"
#include "engine/snapshot_codec.h"

namespace accrue::engine {
namespace {

// The local dates an anchor can be: the local date of an instant D-12 accepts, in
// any zone (0001-01-01 and 9999-12-31, as days since 1970-01-01).
constexpr LocalDate kFirstAnchor{-719162};
constexpr LocalDate kLastAnchor{2932896};

// Any stored local date: from the first anchor to where AddMonths saturates (far
// period ends, D-31). Outside it the civil-date arithmetic would overflow.
bool DateInRange(LocalDate d) { return d >= kFirstAnchor && d <= LocalDate::FarFuture(); }

// A stored period: both ends in range, in order.
bool PeriodInRange(const Period& p) { return DateInRange(p.start) && DateInRange(p.end) && p.start <= p.end; }

// A positive integer as the command decoder stores one: digits without a leading zero.
bool PositiveDigits(const std::string& s) {
  return !s.empty() && s[0] != '0' && s.find_first_not_of("0123456789") == std::string::npos;
}

// Sets *ok = false on the first failed check and keeps the first message.
class Checker {
 public:
  bool Check(bool condition, const char* what) {
    if (!condition && ok_) {
      ok_ = false;
      what_ = what;
    }
    return condition;
  }
  Int128 Minor(const std::string& text, const char* what) {
    auto r = ParseAmount(text, 0);
    if (const Int128* v = std::get_if<Int128>(&r)) return *v;
    Check(false, what);
    return 0;
  }
  Decimal Exact(const v1::ExactDecimal& d, const char* what) {
    Decimal out;
    out.mantissa = Minor(d.mantissa(), what);
    out.scale = d.scale();
    Check(d.scale() >= 0 && d.scale() <= kMaxDecimalScale, what);
    return out;
  }
  Decimal ExactText(const std::string& text, const char* what) {
    auto d = ParseDecimal(text);
    Check(d.has_value(), what);
    return d.value_or(Decimal{});
  }
  LineKind Kind(int kind, const char* what) {
    Check(v1::LineKind_IsValid(kind), what);
    return LineKindFromProto(static_cast<v1::LineKind>(kind));
  }
  Status status(const std::string& stream) const {
    if (ok_) return Status::Ok();
    return Status::Corruption("snapshot of '" + stream + "': " + what_);
  }
  bool ok() const { return ok_; }

 private:
  bool ok_ = true;
  std::string what_;
};

PlanTerms Terms(const v1::PlanTerms& p, Checker* c) {
  PlanTerms t;
  t.plan_id = p.plan_id();
  t.amount = c->Minor(p.amount(), "plan terms amount");
  for (const auto& m : p.meters()) t.meters.push_back(PlanMeter{m.meter(), c->ExactText(m.unit_price(), "unit price")});
  return t;
}

void TakeSubscriptions(const v1::AccountSnapshot& a, AccountState* s, Checker* c, uint64_t* max_seq) {
  for (const auto& p : a.subscriptions()) {
    Subscription sub;
    sub.subscription_id = p.subscription_id();
    sub.start = Instant{p.start_us()};
    sub.anchor = LocalDate{p.anchor()};
    sub.months_per_period = p.months_per_period();
    sub.exact_period_months = p.period_months();
    c->Check(sub.months_per_period >= 1 && sub.months_per_period <= kMaxMonthsPerPeriod &&
                 !p.timeline().empty(),
             "subscription terms");
    // D-31: exact months beside a saturated months_per_period and only there, as
    // digits (the calendar asserts on anything else; D-30 compares them, decide.cpp
    // SamePeriodLength). SubscriptionCreated always carries them when saturated.
    const bool saturated = sub.months_per_period == kMaxMonthsPerPeriod;
    c->Check(saturated ? PositiveDigits(sub.exact_period_months) : sub.exact_period_months.empty(),
             "exact period months");
    // The anchor is the local date of an instant (D-12's range); the start terms
    // begin on it, later changes in order, and an end is never before it (the
    // period arithmetic asserts dates at or after the anchor).
    c->Check(sub.anchor >= kFirstAnchor && sub.anchor <= kLastAnchor, "subscription anchor");
    for (const auto& t : p.timeline()) {
      const LocalDate from{t.from()};
      c->Check(sub.timeline.empty() ? from == sub.anchor : from >= sub.timeline.back().from,
               "subscription timeline order");
      sub.timeline.push_back(TermsChange{from, Terms(t.terms(), c), c->Minor(t.quantity(), "quantity")});
    }
    sub.status = p.canceled() ? SubscriptionStatus::kCanceled : SubscriptionStatus::kActive;
    if (p.has_end()) {
      sub.end = LocalDate{p.end()};
      c->Check(*sub.end >= sub.anchor && DateInRange(*sub.end), "subscription end before its anchor");
    }
    c->Check(sub.timeline.empty() || DateInRange(sub.timeline.back().from), "subscription timeline order");
    sub.invoiced_periods = p.invoiced_periods();
    c->Check(sub.invoiced_periods >= 0, "invoiced periods");
    for (const auto& b : p.unbilled_usage()) {
      c->Check(b.period_index() >= 0, "usage bucket period");  // PeriodOf(k) asserts k >= 0
      UsageBucketKey key{b.period_index(), b.meter(), b.plan_id()};
      UsageBucket bucket{c->Exact(b.quantity(), "usage bucket"), c->Exact(b.unit_price(), "unit price"),
                         b.first_seq()};
      *max_seq = std::max(*max_seq, bucket.first_seq);
      c->Check(sub.unbilled_usage.emplace(std::move(key), bucket).second, "duplicate usage bucket");
    }
    for (const auto& r : p.recorded_usage()) {
      c->Check(r.period_index() >= 0, "recorded usage period");
      c->Check(sub.recorded_usage.emplace(std::make_pair(r.period_index(), r.meter()),
                                          c->Exact(r.quantity(), "recorded usage"))
                   .second,
               "duplicate recorded usage");
    }
    c->Check(s->subscription_index.emplace(sub.subscription_id, s->subscriptions.size()).second,
             "duplicate subscription");
    s->subscriptions.push_back(std::move(sub));
  }
}

void TakeInvoices(const v1::AccountSnapshot& a, AccountState* s, Checker* c) {
  Int128 open_due = 0;
  for (const auto& p : a.invoices()) {
    Invoice inv;
    inv.invoice_id = p.invoice_id();
    inv.number = p.number();
    c->Check(inv.number == static_cast<int64_t>(s->invoices.size()) + 1 &&
                 inv.invoice_id == s->account_id + "-" + std::to_string(inv.number),
             "invoice numbering (R-I2)");
    inv.issued_at = Instant{p.issued_at_us()};
    c->Check(p.status() >= 0 && p.status() <= static_cast<int>(InvoiceStatus::kUncollectible), "invoice status");
    inv.status = static_cast<InvoiceStatus>(p.status());
    inv.total = c->Minor(p.total(), "invoice total");
    inv.amount_due = c->Minor(p.amount_due(), "amount_due");
    inv.credited = c->Minor(p.credited(), "credited");
    inv.applied = c->Minor(p.applied(), "applied");
    inv.is_reversal = p.is_reversal();
    Int128Sum sum;  // partial sums may leave the 128-bit range; the total does not
    for (const auto& l : p.lines()) {
      c->Kind(l.kind(), "line kind");
      c->Minor(l.amount(), "line amount");
      if (!c->ok()) return;  // LineFromProto asserts on a bad amount
      InvoiceLine line = LineFromProto(l);
      // Rendering a line of a subscription finds the period containing its start
      // (PeriodIndexContaining asserts a start at or after the anchor).
      const Subscription* sub = s->FindSubscription(line.subscription_id);
      c->Check(PeriodInRange(line.period) && line.period_index >= -1 &&
                   (sub == nullptr || line.period.start >= sub->anchor),
               "invoice line period");
      sum.Add(line.amount);
      inv.lines.push_back(std::move(line));
    }
    c->Check(sum.Value() == inv.total, "invoice total = sum of lines (R-I3)");
    c->Check(inv.amount_due >= 0 && inv.amount_due <= std::max<Int128>(inv.total, 0), "amount_due range");
    c->Check(inv.credited >= 0 && (inv.credited == 0 || inv.credited <= inv.total),
             "credit notes exceed the total (R-P2)");
    // INV-INVOICE-STATUS: decide settles open invoices by their amount_due and
    // evolve asserts each application lies in (0, amount_due].
    c->Check(inv.applied >= 0, "applied range");
    if (inv.total <= 0) {  // R-I4, D-35
      c->Check(inv.status == InvoiceStatus::kPaid && inv.amount_due == 0 && inv.applied == 0,
               "a zero or negative invoice is paid with nothing due or applied (R-I4)");
    }
    c->Check(inv.status != InvoiceStatus::kOpen || inv.amount_due > 0, "open with nothing due");
    c->Check(inv.status != InvoiceStatus::kPaid || inv.amount_due == 0, "paid with something due");
    c->Check(inv.status != InvoiceStatus::kVoid || (inv.applied == 0 && inv.credited == 0),
             "void invoice with something applied or credited (R-I6)");
    if (inv.status == InvoiceStatus::kOpen) {
      s->open_invoices.insert(inv.number);
      auto next = CheckedAdd(open_due, inv.amount_due);
      if (!c->Check(next.has_value(), "amount_due overflow")) return;
      open_due = *next;
    }
    s->invoices.push_back(std::move(inv));
  }
  c->Check(open_due == s->amount_due_open, "amount_due_open = sum of open amount_due (D-35)");
}

void TakePayments(const v1::AccountSnapshot& a, AccountState* s, Checker* c) {
  for (const auto& p : a.payments()) {
    Payment pay;
    pay.payment_id = p.payment_id();
    pay.amount = c->Minor(p.amount(), "payment amount");
    pay.refunded = c->Minor(p.refunded(), "refunded");
    c->Check(pay.refunded >= 0 && pay.refunded <= pay.amount, "refunds <= payment (R-P3)");
    pay.external_ref = p.external_ref();
    pay.received_at = Instant{p.received_at_us()};
    pay.reversed = p.reversed();
    for (const auto& app : p.applied()) {
      pay.applied.push_back(PaymentApplication{app.invoice_id(), c->Minor(app.amount(), "application")});
    }
    c->Check(s->payment_index.emplace(pay.payment_id, s->payments.size()).second, "duplicate payment");
    s->payments.push_back(std::move(pay));
  }
  for (const auto& p : a.credit_notes()) {
    s->credit_notes.push_back(CreditNote{p.credit_note_id(), p.invoice_id(), c->Minor(p.amount(), "credit note"),
                                         p.reason()});
  }
  for (const auto& p : a.refunds()) {
    s->refunds.push_back(Refund{p.refund_id(), p.payment_id(), c->Minor(p.amount(), "refund")});
  }
}

void TakePending(const v1::AccountSnapshot& a, AccountState* s, Checker* c, uint64_t* max_seq) {
  for (const auto& p : a.pending()) {
    const v1::PendingItem& i = p.item();
    PendingItem item;
    item.subscription_id = i.subscription_id();
    item.kind = c->Kind(i.kind(), "pending kind");
    item.period = Period{LocalDate{i.period_start()}, LocalDate{i.period_end()}};
    const Subscription* sub = s->FindSubscription(item.subscription_id);
    c->Check(PeriodInRange(item.period) && (sub == nullptr || item.period.start >= sub->anchor),
             "pending item period");
    item.quantity = c->Minor(i.quantity(), "pending quantity");
    item.plan_id = i.plan_id();
    item.amount = c->Minor(i.amount(), "pending amount");
    item.seq = p.seq();
    *max_seq = std::max(*max_seq, item.seq);
    s->pending.push_back(std::move(item));
  }
}

// UsageColumns back into the D-47 map; ids must be strictly ascending.
Status Open(std::string_view bytes, const std::string& stream, uint64_t version,
            v1::SnapshotEnvelope* envelope) {
  if (!envelope->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corruption("snapshot of '" + stream + "' does not decode");
  }
  if (envelope->schema_version() != kSnapshotSchemaVersion) {
    return Status::FailedPrecondition("snapshot of '" + stream + "' has unknown schema version " +
                                      std::to_string(envelope->schema_version()));
  }
  if (envelope->stream() != stream || envelope->version() != version) {
    return Status::Corruption("snapshot stored under '" + stream + "' names another stream or version");
  }
  return Status::Ok();
}

}  // namespace

Status DecodeAccountSnapshot(std::string_view bytes, const std::string& stream, uint64_t version,
                             AccountState* out) {
  v1::SnapshotEnvelope envelope;
  if (Status s = Open(bytes, stream, version, &envelope); !s.ok()) return s;
  if (!envelope.has_account()) return Status::Corruption("snapshot of '" + stream + "' is not an account");
  const v1::AccountSnapshot& a = envelope.account();
  Checker c;
  AccountState s;
  auto currency = FindCurrency(a.currency());
  c.Check(currency.has_value() && TimeZone::Find(a.timezone()) != nullptr && !a.account_id().empty(),
          "account currency, time zone or id");
  s.exists = true;  // a snapshot is taken of a stream, which opens with AccountOpened
  s.account_id = a.account_id();
  if (currency) s.currency = *currency;
  s.timezone = a.timezone();
  s.status = a.closed() ? AccountStatus::kClosed : AccountStatus::kOpen;
  s.credit = c.Minor(a.credit(), "credit");
  s.amount_due_open = c.Minor(a.amount_due_open(), "amount_due_open");
  c.Check(s.credit >= 0 && s.amount_due_open >= 0, "credit >= 0, amount_due >= 0");
  if (a.has_last_run_as_of()) s.last_run_as_of = Instant{a.last_run_as_of_us()};
  uint64_t max_seq = 0;
  TakeSubscriptions(a, &s, &c, &max_seq);
  if (c.ok()) TakeInvoices(a, &s, &c);
  if (c.ok()) TakePayments(a, &s, &c);
  if (c.ok()) TakePending(a, &s, &c, &max_seq);
  s.next_seq = a.next_seq();
  c.Check(s.next_seq > max_seq, "next_seq after every item");
  if (!c.ok()) return c.status(stream);
  *out = std::move(s);
  return Status::Ok();
}

Status DecodeCatalogSnapshot(std::string_view bytes, const std::string& stream, uint64_t version,
                             CatalogState* out) {
  v1::SnapshotEnvelope envelope;
  if (Status s = Open(bytes, stream, version, &envelope); !s.ok()) return s;
  if (!envelope.has_catalog()) return Status::Corruption("snapshot of '" + stream + "' is not a catalog");
  Checker c;
  CatalogState catalog;
  for (const v1::PlanPublished& p : envelope.catalog().plans()) {
    Plan plan;
    plan.plan_id = p.plan_id();
    auto currency = FindCurrency(p.currency());
    c.Check(currency.has_value() && (p.interval() == "month" || p.interval() == "year") &&
                p.months_per_period() >= 1,
            "plan currency or interval");
    if (currency) plan.currency = *currency;
    plan.interval = p.interval() == "year" ? Interval::kYear : Interval::kMonth;
    plan.interval_count = p.interval_count();
    plan.months_per_period = p.months_per_period();
    // What the command decoder stores: positive digits without a leading zero,
    // and months_per_period computed from them (D-30, D-31); subscriptions take
    // their period length and exact months from these.
    c.Check(PositiveDigits(plan.interval_count) &&
                plan.months_per_period == MonthsPerPeriod(plan.interval, plan.interval_count),
            "plan interval_count or months_per_period");
    plan.amount = c.Minor(p.amount(), "plan amount");
    for (const auto& m : p.meters()) plan.meters.push_back(PlanMeter{m.meter(), c.ExactText(m.unit_price(), "unit price")});
    c.Check(catalog.plans.emplace(plan.plan_id, std::move(plan)).second, "duplicate plan");
  }
  if (!c.ok()) return c.status(stream);
  *out = std::move(catalog);
  return Status::Ok();
}

}  // namespace accrue::engine
