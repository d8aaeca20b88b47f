// Snapshot codec (engine/snapshot_codec.h): encoding. Decoding, which must not
// trust its input, is in snapshot_decode.cpp.
#include <algorithm>
#include <vector>

#include "accrue/events/v1/snapshot.pb.h"
#include "engine/event_codec.h"
#include "engine/snapshot_codec.h"
#include "engine/snapshot_internal.h"

namespace accrue::engine {
namespace {

void PutDecimal(const Decimal& d, v1::ExactDecimal* out) {
  out->set_mantissa(Int128ToString(d.mantissa));
  out->set_scale(d.scale);
}

void PutSubscription(const Subscription& s, v1::SubscriptionSnapshot* out) {
  out->set_subscription_id(s.subscription_id);
  out->set_start_us(s.start.micros);
  out->set_anchor(s.anchor.days);
  out->set_months_per_period(s.months_per_period);
  out->set_period_months(s.exact_period_months);
  for (const TermsChange& t : s.timeline) {
    auto* p = out->add_timeline();
    p->set_from(t.from.days);
    *p->mutable_terms() = TermsToProto(t.terms);
    p->set_quantity(MinorText(t.quantity));
  }
  out->set_canceled(s.status == SubscriptionStatus::kCanceled);
  out->set_has_end(s.end.has_value());
  if (s.end) out->set_end(s.end->days);
  out->set_invoiced_periods(s.invoiced_periods);
  for (const auto& [key, bucket] : s.unbilled_usage) {  // std::map: key order
    auto* b = out->add_unbilled_usage();
    b->set_period_index(key.period_index);
    b->set_meter(key.meter);
    b->set_plan_id(key.plan_id);
    PutDecimal(bucket.quantity, b->mutable_quantity());
    PutDecimal(bucket.unit_price, b->mutable_unit_price());
    b->set_first_seq(bucket.first_seq);
  }
  for (const auto& [key, quantity] : s.recorded_usage) {  // std::map: key order
    auto* r = out->add_recorded_usage();
    r->set_period_index(key.first);
    r->set_meter(key.second);
    PutDecimal(quantity, r->mutable_quantity());
  }
}

void PutInvoice(const Invoice& inv, v1::InvoiceSnapshot* out) {
  out->set_invoice_id(inv.invoice_id);
  out->set_number(inv.number);
  out->set_issued_at_us(inv.issued_at.micros);
  out->set_status(static_cast<int32_t>(inv.status));
  out->set_total(MinorText(inv.total));
  out->set_amount_due(MinorText(inv.amount_due));
  out->set_credited(MinorText(inv.credited));
  out->set_applied(MinorText(inv.applied));
  out->set_is_reversal(inv.is_reversal);
  for (const InvoiceLine& l : inv.lines) *out->add_lines() = LineToProto(l);
}

void PutPayment(const Payment& p, v1::PaymentSnapshot* out) {
  out->set_payment_id(p.payment_id);
  out->set_amount(MinorText(p.amount));
  out->set_refunded(MinorText(p.refunded));
  out->set_external_ref(p.external_ref);
  out->set_received_at_us(p.received_at.micros);
  out->set_reversed(p.reversed);
  for (const PaymentApplication& a : p.applied) {
    auto* app = out->add_applied();
    app->set_invoice_id(a.invoice_id);
    app->set_amount(MinorText(a.amount));
  }
}

std::string Seal(v1::SnapshotEnvelope* envelope, const std::string& stream, uint64_t version) {
  envelope->set_schema_version(kSnapshotSchemaVersion);
  envelope->set_stream(stream);
  envelope->set_version(version);
  return internal::SerializeDeterministic(*envelope);
}

}  // namespace

std::string EncodeAccountSnapshot(const std::string& stream, uint64_t version,
                                  const AccountState& s) {
  v1::SnapshotEnvelope envelope;
  v1::AccountSnapshot* a = envelope.mutable_account();
  a->set_account_id(s.account_id);
  a->set_currency(std::string(s.currency.code));
  a->set_timezone(s.timezone);
  a->set_closed(s.status == AccountStatus::kClosed);
  a->set_credit(MinorText(s.credit));
  a->set_amount_due_open(MinorText(s.amount_due_open));
  a->set_has_last_run_as_of(s.last_run_as_of.has_value());
  if (s.last_run_as_of) a->set_last_run_as_of_us(s.last_run_as_of->micros);
  for (const Subscription& sub : s.subscriptions) PutSubscription(sub, a->add_subscriptions());
  for (const Invoice& inv : s.invoices) PutInvoice(inv, a->add_invoices());
  for (const Payment& p : s.payments) PutPayment(p, a->add_payments());
  for (const CreditNote& cn : s.credit_notes) {
    auto* out = a->add_credit_notes();
    out->set_credit_note_id(cn.credit_note_id);
    out->set_invoice_id(cn.invoice_id);
    out->set_amount(MinorText(cn.amount));
    out->set_reason(cn.reason);
  }
  for (const Refund& r : s.refunds) {
    auto* out = a->add_refunds();
    out->set_refund_id(r.refund_id);
    out->set_payment_id(r.payment_id);
    out->set_amount(MinorText(r.amount));
  }
  for (const PendingItem& item : s.pending) {
    auto* out = a->add_pending();
    *out->mutable_item() = PendingToProto(item);
    out->set_seq(item.seq);
  }
  a->set_next_seq(s.next_seq);
  return Seal(&envelope, stream, version);
}

std::string EncodeCatalogSnapshot(const std::string& stream, uint64_t version,
                                  const CatalogState& catalog) {
  v1::SnapshotEnvelope envelope;
  v1::CatalogSnapshot* c = envelope.mutable_catalog();
  for (const auto& [id, plan] : catalog.plans) {  // std::map: plan_id order
    v1::PlanPublished* p = c->add_plans();
    p->set_plan_id(plan.plan_id);
    p->set_currency(std::string(plan.currency.code));
    p->set_interval(plan.interval == Interval::kYear ? "year" : "month");
    p->set_interval_count(plan.interval_count);
    p->set_months_per_period(plan.months_per_period);
    p->set_amount(MinorText(plan.amount));
    for (const PlanMeter& m : plan.meters) {
      auto* meter = p->add_meters();
      meter->set_meter(m.meter);
      meter->set_unit_price(FormatDecimal(m.unit_price));
    }
  }
  return Seal(&envelope, stream, version);
}

}  // namespace accrue::engine
