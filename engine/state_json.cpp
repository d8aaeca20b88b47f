#include "engine/state_json.h"

#include "engine/event_codec.h"
#include "engine/money.h"

namespace accrue::engine {
namespace {

std::string_view InvoiceStatusName(InvoiceStatus s) {
  switch (s) {
    case InvoiceStatus::kOpen: return "open";
    case InvoiceStatus::kPaid: return "paid";
    case InvoiceStatus::kVoid: return "void";
    case InvoiceStatus::kUncollectible: return "uncollectible";
  }
  return "open";
}

// A line's period. Only an end after 9999 needs the line's subscription, whose
// PeriodEndText prints it exactly when its length saturated (D-31).
void WritePeriod(JsonWriter* w, const InvoiceLine& l, const AccountState& a) {
  const Period& p = l.period;
  w->Key("period");
  w->BeginObject();
  w->Key("start");
  w->String(FormatDate(p.start));
  w->Key("end");
  const Subscription* sub = p.end.IsFarFuture() ? a.FindSubscription(l.subscription_id) : nullptr;
  if (sub != nullptr) {
    // Recurring and usage lines name their period; a proration line runs to the
    // end of the period containing its start.
    const int64_t k = l.period_index >= 0
                          ? l.period_index
                          : PeriodIndexContaining(sub->anchor, sub->months_per_period, p.start);
    w->String(sub->PeriodEndText(k, p.end));
  } else {
    w->String(FormatDate(p.end));
  }
  w->EndObject();
}

// D-34 key orders per line kind.
void WriteLine(JsonWriter* w, const InvoiceLine& l, int exponent, const AccountState& a) {
  w->BeginObject();
  w->Key("kind");
  w->String(LineKindName(l.kind));
  if (l.kind == LineKind::kPaymentReversal) {
    w->Key("payment_id");
    w->String(l.payment_id);
  } else {
    w->Key("subscription_id");
    w->String(l.subscription_id);
    if (l.kind == LineKind::kUsage) {
      w->Key("meter");
      w->String(l.meter);
    }
    WritePeriod(w, l, a);
  }
  w->Key("quantity");
  w->String(l.quantity);
  w->Key("amount");
  w->String(FormatAmount(l.amount, exponent));
  w->EndObject();
}

void WriteInvoice(JsonWriter* w, const Invoice& inv, int exponent, const AccountState& a) {
  w->BeginObject();
  w->Key("invoice_id");
  w->String(inv.invoice_id);
  w->Key("number");
  w->Int(inv.number);
  w->Key("issued_at");
  w->String(FormatInstant(inv.issued_at));
  w->Key("status");
  w->String(InvoiceStatusName(inv.status));
  w->Key("total");
  w->String(FormatAmount(inv.total, exponent));
  w->Key("amount_due");
  w->String(FormatAmount(inv.amount_due, exponent));
  w->Key("lines");
  w->BeginArray();
  for (const InvoiceLine& l : inv.lines) WriteLine(w, l, exponent, a);
  w->EndArray();
  w->EndObject();
}

void WriteSubscription(JsonWriter* w, const Subscription& s) {
  w->BeginObject();
  w->Key("subscription_id");
  w->String(s.subscription_id);
  w->Key("plan_id");  // D-29: the latest change's, even a future-dated one
  w->String(s.Latest().terms.plan_id);
  w->Key("quantity");  // D-14: a JSON integer
  w->Raw(Int128ToString(s.Latest().quantity));
  w->Key("status");
  w->String(s.status == SubscriptionStatus::kActive ? "active" : "canceled");
  w->Key("current_period");  // D-29: the latest invoiced period, period 0 before
  const int64_t k = s.invoiced_periods > 0 ? s.invoiced_periods - 1 : 0;
  Period p = s.PeriodOf(k);
  w->BeginObject();
  w->Key("start");
  w->String(FormatDate(p.start));
  w->Key("end");
  w->String(s.PeriodEndText(k, p.end));
  w->EndObject();
  w->EndObject();
}

void WritePayment(JsonWriter* w, const Payment& p, int exponent) {
  w->BeginObject();
  w->Key("payment_id");
  w->String(p.payment_id);
  w->Key("amount");
  w->String(FormatAmount(p.amount, exponent));
  w->Key("refunded");
  w->String(FormatAmount(p.refunded, exponent));
  w->Key("external_ref");
  w->String(p.external_ref);
  w->Key("applied");
  w->BeginArray();
  for (const PaymentApplication& a : p.applied) {
    w->BeginObject();
    w->Key("invoice_id");
    w->String(a.invoice_id);
    w->Key("amount");
    w->String(FormatAmount(a.amount, exponent));
    w->EndObject();
  }
  w->EndArray();
  w->EndObject();
}

}  // namespace

std::string AccountStateJson(const AccountState& a) {
  const int exponent = a.currency.exponent;
  JsonWriter w;
  w.BeginObject();
  w.Key("account_id");
  w.String(a.account_id);
  w.Key("currency");
  w.String(a.currency.code);
  w.Key("timezone");
  w.String(a.timezone);
  w.Key("status");
  w.String(a.status == AccountStatus::kOpen ? "open" : "closed");
  w.Key("balance");
  w.BeginObject();
  w.Key("amount_due");  // D-35: open invoices only
  w.String(FormatAmount(a.amount_due_open, exponent));
  w.Key("credit");
  w.String(FormatAmount(a.credit, exponent));
  w.EndObject();
  w.Key("subscriptions");
  w.BeginArray();
  for (const Subscription& s : a.subscriptions) WriteSubscription(&w, s);
  w.EndArray();
  w.Key("invoices");
  w.BeginArray();
  for (const Invoice& inv : a.invoices) WriteInvoice(&w, inv, exponent, a);
  w.EndArray();
  w.Key("payments");
  w.BeginArray();
  for (const Payment& p : a.payments) WritePayment(&w, p, exponent);
  w.EndArray();
  w.Key("credit_notes");
  w.BeginArray();
  for (const CreditNote& c : a.credit_notes) {
    w.BeginObject();
    w.Key("credit_note_id");
    w.String(c.credit_note_id);
    w.Key("invoice_id");
    w.String(c.invoice_id);
    w.Key("amount");
    w.String(FormatAmount(c.amount, exponent));
    w.Key("reason");
    w.String(c.reason);
    w.EndObject();
  }
  w.EndArray();
  w.Key("refunds");
  w.BeginArray();
  for (const Refund& r : a.refunds) {
    w.BeginObject();
    w.Key("refund_id");
    w.String(r.refund_id);
    w.Key("payment_id");
    w.String(r.payment_id);
    w.Key("amount");
    w.String(FormatAmount(r.amount, exponent));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

std::string InvoiceStateJson(const AccountState& a, const Invoice& invoice) {
  JsonWriter w;
  WriteInvoice(&w, invoice, a.currency.exponent, a);
  return w.Take();
}

std::string AccountInvoicesStateJson(const AccountState& a) {
  JsonWriter w;
  w.BeginObject();
  w.Key("account_id");
  w.String(a.account_id);
  w.Key("invoices");
  w.BeginArray();
  for (const Invoice& inv : a.invoices) WriteInvoice(&w, inv, a.currency.exponent, a);
  w.EndArray();
  w.EndObject();
  return w.Take();
}

std::string PlanStateJson(const Plan& p) {
  JsonWriter w;
  w.BeginObject();
  w.Key("plan_id");
  w.String(p.plan_id);
  w.Key("currency");
  w.String(p.currency.code);
  w.Key("interval");
  w.String(p.interval == Interval::kYear ? "year" : "month");
  w.Key("interval_count");
  w.Raw(p.interval_count);
  w.Key("amount");
  w.String(FormatAmount(p.amount, p.currency.exponent));
  w.Key("meters");
  w.BeginArray();
  for (const PlanMeter& m : p.meters) {
    w.BeginObject();
    w.Key("meter");
    w.String(m.meter);
    w.Key("unit_price");
    w.String(FormatDecimal(m.unit_price));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

}  // namespace accrue::engine
