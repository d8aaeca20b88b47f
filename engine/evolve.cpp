// evolve (engine/evolve.h): one function per event kind, each a short leaf.
#include "engine/evolve.h"

#include "events/assert.h"

namespace accrue::engine {
namespace {

void MarkPaidIfSettled(AccountState* s, Invoice* inv) {
  if (inv->status == InvoiceStatus::kOpen && inv->amount_due == 0) {
    inv->status = InvoiceStatus::kPaid;
    s->open_invoices.erase(inv->number);
  }
}

// Moves `amount` of the account's credit onto an open invoice (R-I5, D-36, R-P1).
void ApplyCredit(AccountState* s, const std::string& invoice_id, Int128 amount) {
  Invoice* inv = s->FindInvoice(invoice_id);
  ACCRUE_ASSERT(inv != nullptr, "application to an unknown invoice");
  ACCRUE_ASSERT(inv->status == InvoiceStatus::kOpen, "application to a non-open invoice");
  ACCRUE_ASSERT(amount > 0 && amount <= inv->amount_due, "application out of range");
  ACCRUE_ASSERT(amount <= s->credit, "application exceeds credit");
  inv->amount_due -= amount;
  inv->applied += amount;
  s->credit -= amount;
  s->amount_due_open -= amount;
  MarkPaidIfSettled(s, inv);
}

void OnSubscriptionCreated(AccountState* s, const v1::SubscriptionCreated& e) {
  Subscription sub;
  sub.subscription_id = e.subscription_id();
  sub.start = Instant{e.start_us()};
  sub.anchor = LocalDate{e.anchor()};
  sub.months_per_period = e.months_per_period();
  sub.exact_period_months = e.period_months();
  sub.timeline.push_back(TermsChange{sub.anchor, TermsFromProto(e.terms()), ParseMinor(e.quantity())});
  s->subscription_index[sub.subscription_id] = s->subscriptions.size();
  s->subscriptions.push_back(std::move(sub));
}

void AddPending(AccountState* s, const google::protobuf::RepeatedPtrField<v1::PendingItem>& items) {
  for (const auto& p : items) {
    PendingItem item = PendingFromProto(p);
    item.seq = s->next_seq++;
    s->pending.push_back(std::move(item));
  }
}

void OnSubscriptionChanged(AccountState* s, const v1::SubscriptionChanged& e) {
  Subscription* sub = s->FindSubscription(e.subscription_id());
  ACCRUE_ASSERT(sub != nullptr, "change of an unknown subscription");
  LocalDate m{e.effective_date()};
  ACCRUE_ASSERT(m >= sub->Latest().from, "change before the latest change (D-21)");
  TermsChange change{m, TermsFromProto(e.terms()), ParseMinor(e.quantity())};
  if (sub->Latest().from == m) {
    sub->timeline.back() = std::move(change);  // a later change at the same date wins
  } else {
    sub->timeline.push_back(std::move(change));
  }
  AddPending(s, e.pending());
}

void OnSubscriptionCanceled(AccountState* s, const v1::SubscriptionCanceled& e) {
  Subscription* sub = s->FindSubscription(e.subscription_id());
  ACCRUE_ASSERT(sub != nullptr, "cancel of an unknown subscription");
  sub->status = SubscriptionStatus::kCanceled;
  sub->end = LocalDate{e.end_date()};
  AddPending(s, e.pending());
}

void OnUsageRecorded(AccountState* s, const v1::UsageRecorded& e) {
  Subscription* sub = s->FindSubscription(e.subscription_id());
  ACCRUE_ASSERT(sub != nullptr, "usage of an unknown subscription");
  Decimal quantity = ParseExact(e.quantity());
  Decimal& recorded = sub->recorded_usage[{e.period_index(), e.meter()}];
  auto total = AddDecimal(recorded, quantity);
  ACCRUE_ASSERT(total.has_value(), "recorded usage sum out of range (decide checks it)");
  recorded = *total;
  UsageBucketKey key{e.period_index(), e.meter(), e.plan_id()};
  auto it = sub->unbilled_usage.find(key);
  if (it == sub->unbilled_usage.end()) {
    sub->unbilled_usage.emplace(key, UsageBucket{quantity, ParseExact(e.unit_price()), s->next_seq++});
  } else {
    auto sum = AddDecimal(it->second.quantity, quantity);
    ACCRUE_ASSERT(sum.has_value(), "usage sum out of range (decide checks it)");
    it->second.quantity = *sum;
  }
}

void AddInvoice(AccountState* s, Invoice inv) {
  ACCRUE_ASSERT(inv.number == static_cast<int64_t>(s->invoices.size()) + 1,
                "invoice numbers are 1, 2, 3, ... (R-I2)");
  if (inv.total < 0) {  // R-I4
    inv.status = InvoiceStatus::kPaid;
    inv.amount_due = 0;
    s->credit += -inv.total;
  } else if (inv.total == 0) {  // D-35
    inv.status = InvoiceStatus::kPaid;
    inv.amount_due = 0;
  } else {
    inv.status = InvoiceStatus::kOpen;
    inv.amount_due = inv.total;
    s->amount_due_open += inv.total;
    s->open_invoices.insert(inv.number);
  }
  s->invoices.push_back(std::move(inv));
}

void OnInvoiceIssued(AccountState* s, const v1::InvoiceIssued& e) {
  Invoice inv;
  inv.invoice_id = e.invoice_id();
  inv.number = e.number();
  inv.issued_at = Instant{e.issued_at_us()};
  inv.total = ParseMinor(e.total());
  Int128Sum sum;  // partial sums may leave the 128-bit range; the total does not
  for (const auto& pl : e.lines()) {
    InvoiceLine line = LineFromProto(pl);
    sum.Add(line.amount);
    if (line.kind == LineKind::kUsage) {
      Subscription* sub = s->FindSubscription(line.subscription_id);
      ACCRUE_ASSERT(sub != nullptr, "usage line of an unknown subscription");
      sub->unbilled_usage.erase(UsageBucketKey{line.period_index, line.meter, line.plan_id});
    }
    inv.lines.push_back(std::move(line));
  }
  ACCRUE_ASSERT(sum.Value() == inv.total, "invoice total = sum of lines (R-I3)");
  for (const auto& b : e.billed()) {
    Subscription* sub = s->FindSubscription(b.subscription_id());
    ACCRUE_ASSERT(sub != nullptr && b.invoiced_periods() >= sub->invoiced_periods,
                  "periods are invoiced once, in order");
    sub->invoiced_periods = b.invoiced_periods();
  }
  s->pending.clear();  // D-24: the run bills every pending item
  s->last_run_as_of = Instant{e.as_of_us()};
  AddInvoice(s, std::move(inv));
}

void OnPaymentReceived(AccountState* s, const v1::PaymentReceived& e) {
  Payment p;
  p.payment_id = e.payment_id();
  p.amount = ParseMinor(e.amount());
  p.external_ref = e.external_ref();
  p.received_at = Instant{e.received_at_us()};
  s->credit += p.amount;  // R-L2: Dr cash, Cr credit; then each application
  for (const auto& a : e.applied()) {
    Int128 amount = ParseMinor(a.amount());
    ApplyCredit(s, a.invoice_id(), amount);
    p.applied.push_back(PaymentApplication{a.invoice_id(), amount});
  }
  s->payment_index[p.payment_id] = s->payments.size();
  s->payments.push_back(std::move(p));
}

void OnCreditNoteIssued(AccountState* s, const v1::CreditNoteIssued& e) {
  Invoice* inv = s->FindInvoice(e.invoice_id());
  ACCRUE_ASSERT(inv != nullptr, "credit note on an unknown invoice");
  Int128 amount = ParseMinor(e.amount());
  Int128 applied = ParseMinor(e.applied());
  Int128 to_credit = ParseMinor(e.to_credit());
  ACCRUE_ASSERT(applied + to_credit == amount, "credit note split");
  inv->credited += amount;
  ACCRUE_ASSERT(inv->credited <= inv->total, "credit notes never exceed the total (R-P2)");
  if (applied > 0) {
    ACCRUE_ASSERT(inv->status == InvoiceStatus::kOpen && applied <= inv->amount_due,
                  "credit note applied beyond amount_due");
    inv->amount_due -= applied;
    s->amount_due_open -= applied;
    MarkPaidIfSettled(s, inv);
  }
  s->credit += to_credit;
  s->credit_notes.push_back(CreditNote{e.credit_note_id(), e.invoice_id(), amount, e.reason()});
}

void OnPaymentRefunded(AccountState* s, const v1::PaymentRefunded& e) {
  Payment* p = s->FindPayment(e.payment_id());
  ACCRUE_ASSERT(p != nullptr, "refund of an unknown payment");
  Int128 amount = ParseMinor(e.amount());
  p->refunded += amount;
  s->credit -= amount;
  ACCRUE_ASSERT(p->refunded <= p->amount && s->credit >= 0, "refund limits (R-P3)");
  s->refunds.push_back(Refund{e.refund_id(), e.payment_id(), amount});
}

void OnPaymentReversed(AccountState* s, const v1::PaymentReversed& e) {
  Payment* p = s->FindPayment(e.payment_id());
  ACCRUE_ASSERT(p != nullptr && !p->reversed, "reversal of an unknown or reversed payment");
  p->reversed = true;
  Invoice inv;
  inv.invoice_id = e.invoice_id();
  inv.number = e.number();
  inv.issued_at = Instant{e.reversed_at_us()};
  inv.is_reversal = true;
  InvoiceLine line;
  line.kind = LineKind::kPaymentReversal;
  line.payment_id = e.payment_id();
  line.quantity.assign(1, '1');  // D-14 (assign(): GCC 12 -Wrestrict false positive on = "1")
  line.amount = ParseMinor(e.amount());
  inv.total = line.amount;
  inv.lines.push_back(std::move(line));
  AddInvoice(s, std::move(inv));
}

void CloseInvoice(AccountState* s, const std::string& id, InvoiceStatus status) {
  Invoice* inv = s->FindInvoice(id);
  ACCRUE_ASSERT(inv != nullptr && inv->status == InvoiceStatus::kOpen, "only open invoices");
  inv->status = status;  // amount_due keeps its value (D-35)
  s->open_invoices.erase(inv->number);
  s->amount_due_open -= inv->amount_due;
}

}  // namespace

void Evolve(AccountState* s, const v1::BillingEvent& e) {
  using E = v1::BillingEvent;
  switch (e.event_case()) {
    case E::kAccountOpened: {
      const auto& o = e.account_opened();
      auto currency = FindCurrency(o.currency());
      ACCRUE_ASSERT(currency.has_value(), "stored currency unknown");
      s->exists = true;
      s->account_id = o.account_id();
      s->currency = *currency;
      s->timezone = o.timezone();
      break;
    }
    case E::kAccountClosed: s->status = AccountStatus::kClosed; break;
    case E::kSubscriptionCreated: OnSubscriptionCreated(s, e.subscription_created()); break;
    case E::kSubscriptionChanged: OnSubscriptionChanged(s, e.subscription_changed()); break;
    case E::kSubscriptionCanceled: OnSubscriptionCanceled(s, e.subscription_canceled()); break;
    case E::kUsageRecorded: OnUsageRecorded(s, e.usage_recorded()); break;
    case E::kInvoiceIssued: OnInvoiceIssued(s, e.invoice_issued()); break;
    case E::kBillRunProcessed: s->last_run_as_of = Instant{e.bill_run_processed().as_of_us()}; break;
    case E::kCreditApplied:
      for (const auto& a : e.credit_applied().applications()) {
        ApplyCredit(s, a.invoice_id(), ParseMinor(a.amount()));
      }
      break;
    case E::kPaymentReceived: OnPaymentReceived(s, e.payment_received()); break;
    case E::kCreditNoteIssued: OnCreditNoteIssued(s, e.credit_note_issued()); break;
    case E::kPaymentRefunded: OnPaymentRefunded(s, e.payment_refunded()); break;
    case E::kPaymentReversed: OnPaymentReversed(s, e.payment_reversed()); break;
    case E::kInvoiceVoided: CloseInvoice(s, e.invoice_voided().invoice_id(), InvoiceStatus::kVoid); break;
    case E::kInvoiceWrittenOff:
      CloseInvoice(s, e.invoice_written_off().invoice_id(), InvoiceStatus::kUncollectible);
      break;
    default: ACCRUE_ASSERT(false, "not an account event");
  }
  ACCRUE_ASSERT(s->credit >= 0, "credit >= 0 (R-L)");
  ACCRUE_ASSERT(s->amount_due_open >= 0, "amount_due >= 0");
}

Plan PlanFromEvent(const v1::PlanPublished& e) {
  Plan p;
  p.plan_id = e.plan_id();
  auto currency = FindCurrency(e.currency());
  ACCRUE_ASSERT(currency.has_value(), "stored currency unknown");
  p.currency = *currency;
  p.interval = e.interval() == "year" ? Interval::kYear : Interval::kMonth;
  p.interval_count = e.interval_count();
  p.months_per_period = e.months_per_period();
  p.amount = ParseMinor(e.amount());
  for (const auto& m : e.meters()) p.meters.push_back(PlanMeter{m.meter(), ParseExact(m.unit_price())});
  return p;
}

void EvolveCatalog(CatalogState* catalog, const v1::BillingEvent& e) {
  ACCRUE_ASSERT(e.has_plan_published(), "not a catalog event");
  Plan p = PlanFromEvent(e.plan_published());
  catalog->plans.insert_or_assign(p.plan_id, std::move(p));
}

}  // namespace accrue::engine
