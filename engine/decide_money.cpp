// decide (engine/decide.h) for money commands: payments (R-P1, D-39), credit
// notes (R-P2, D-40), refunds (R-P3, D-41), reversals (R-P4, D-42), void and
// uncollectible (R-I6, D-37, D-38), and closing an account (R-P5, D-44).
#include <algorithm>

#include "engine/decide_internal.h"
#include "engine/money.h"
#include "events/append_planner.h"
#include "events/assert.h"
#include "events/sha256.h"

namespace accrue::engine {
namespace {

std::string Quoted(std::string_view what, const std::string& id) {
  return std::string(what) + " \"" + id + "\"";
}

Decision AccountDecision(const AccountState& a) {
  Decision d;
  d.target = Decision::Target::kAccount;
  d.account_id = a.account_id;
  return d;
}

Rejection Closed(const char* field) {
  return Reject(ErrorCode::kInvalidState, field, "account is closed");
}

// D-1 step 11 with step 8's sub-order: precision, range, then sign (> 0).
std::variant<Int128, Rejection> ParsePositive(const std::string& text, const Currency& currency) {
  auto parsed = ParseAmount(text, currency.exponent);
  if (auto* err = std::get_if<AmountError>(&parsed)) {
    switch (*err) {
      case AmountError::kSyntax:
        return Reject(ErrorCode::kInvalidField, "amount", "\"amount\" must be a decimal string");
      case AmountError::kPrecision:
        return Reject(ErrorCode::kAmountPrecision, "amount",
                      "\"amount\" has more than " + std::to_string(currency.exponent) +
                          " fraction digits");
      case AmountError::kOverflow:
        return Reject(ErrorCode::kAmountOverflow, "amount", "\"amount\" does not fit 128-bit minor units");
    }
  }
  Int128 v = std::get<Int128>(parsed);
  if (v <= 0) return Reject(ErrorCode::kInvalidField, "amount", "\"amount\" must be > 0");
  return v;
}

// The invoice a command names, in the account that owns its claim.
const Invoice* FindInvoice(const DecideContext& ctx, const std::string& id) {
  return ctx.account != nullptr ? ctx.account->FindInvoice(id) : nullptr;
}

Rejection InvoiceNotFound(const std::string& id) {
  return Reject(ErrorCode::kNotFound, "invoice_id", Quoted("invoice", id) + " not found");
}

// The id an external_ref claims (R-P1's uniqueness). D-9 allows any non-empty
// string, but a log claim key may hold no NUL byte and at most
// events::kMaxNameBytes (tenant and kind included): a reference with a NUL, over
// kMaxRawExternalRefBytes (255 characters can take 1,020 bytes of UTF-8), or
// starting with the marker byte claims "\x01sha256:" + its SHA-256 in hex. Every
// other reference claims itself, as it always has, so existing logs keep their keys.
constexpr std::size_t kMaxRawExternalRefBytes = 900;
constexpr char kHashedClaimMarker = '\x01';
// "<tenant>/external_ref/<id>": a tenant is at most 64 characters (D-9 syntax).
static_assert(64 + 1 + 12 + 1 + kMaxRawExternalRefBytes <= events::kMaxNameBytes);

std::string ExternalRefClaimId(const std::string& ref) {
  if (ref.size() <= kMaxRawExternalRefBytes && ref.find('\0') == std::string::npos &&
      (ref.empty() || ref.front() != kHashedClaimMarker)) {
    return ref;
  }
  return std::string(1, kHashedClaimMarker) + "sha256:" + events::ToHex(events::Sha256(ref));
}

Rejection PaymentNotFound(const std::string& id) {
  return Reject(ErrorCode::kNotFound, "payment_id", Quoted("payment", id) + " not found");
}

}  // namespace

DecideResult DecidePayment(const RecordPayment& c, const DecideContext& ctx) {
  if (ctx.claim_taken(kClaimPayment, c.payment_id)) {
    return Reject(ErrorCode::kAlreadyExists, "payment_id", Quoted("payment", c.payment_id) + " exists");
  }
  const std::string ref_claim = ExternalRefClaimId(c.external_ref);
  if (ctx.claim_taken(kClaimExternalRef, ref_claim)) {
    return Reject(ErrorCode::kAlreadyExists, "external_ref", "external_ref already used");
  }
  const AccountState* a = ctx.account;
  if (a == nullptr || !a->exists) {
    return Reject(ErrorCode::kNotFound, "account_id", Quoted("account", c.account_id) + " not found");
  }
  if (a->status == AccountStatus::kClosed) return Closed("account_id");
  if (c.currency.code != a->currency.code) {
    return Reject(ErrorCode::kCurrencyMismatch, "currency", "account is " + std::string(a->currency.code));
  }
  v1::BillingEvent e;
  auto* p = e.mutable_payment_received();
  p->set_payment_id(c.payment_id);
  p->set_amount(MinorText(c.amount));
  p->set_currency(std::string(c.currency.code));
  p->set_received_at_us(c.received_at.micros);
  p->set_external_ref(c.external_ref);
  Int128 rest = c.amount;  // R-P1: open invoices oldest first, the rest is credit
  for (int64_t number : a->open_invoices) {
    if (rest == 0) break;
    const Invoice& inv = a->invoices[static_cast<std::size_t>(number - 1)];
    Int128 applied = std::min(rest, inv.amount_due);
    auto* app = p->add_applied();
    app->set_invoice_id(inv.invoice_id);
    app->set_amount(MinorText(applied));
    rest -= applied;
  }
  if (!CheckedAdd(a->credit, rest)) {  // D-27
    return Reject(ErrorCode::kAmountOverflow, "", "credit balance does not fit 128-bit minor units");
  }
  Decision d = AccountDecision(*a);
  d.events.push_back(std::move(e));
  d.claims.emplace_back(std::string(kClaimPayment), c.payment_id);
  d.claims.emplace_back(std::string(kClaimExternalRef), ref_claim);
  return d;
}

DecideResult DecideCreditNote(const IssueCreditNote& c, const DecideContext& ctx) {
  if (ctx.claim_taken(kClaimCreditNote, c.credit_note_id)) {
    return Reject(ErrorCode::kAlreadyExists, "credit_note_id",
                  Quoted("credit note", c.credit_note_id) + " exists");
  }
  const Invoice* inv = FindInvoice(ctx, c.invoice_id);
  if (inv == nullptr) return InvoiceNotFound(c.invoice_id);
  const AccountState& a = *ctx.account;
  auto parsed = ParsePositive(c.amount, a.currency);
  if (auto* r = std::get_if<Rejection>(&parsed)) return *r;
  const Int128 amount = std::get<Int128>(parsed);
  if (a.status == AccountStatus::kClosed) return Closed("invoice_id");
  if (inv->status == InvoiceStatus::kVoid || inv->status == InvoiceStatus::kUncollectible) {
    return Reject(ErrorCode::kInvalidState, "invoice_id", "invoice is void or uncollectible");
  }
  if (amount > inv->total - inv->credited) {  // R-P2, D-40
    return Reject(ErrorCode::kExceedsCreditable, "amount", "amount exceeds total less credit notes");
  }
  const Int128 applied = inv->status == InvoiceStatus::kOpen ? std::min(amount, inv->amount_due) : 0;
  const Int128 excess = amount - applied;
  auto credit = CheckedAdd(a.credit, excess);
  if (!credit) {  // D-27
    return Reject(ErrorCode::kAmountOverflow, "", "credit balance does not fit 128-bit minor units");
  }
  Decision d = AccountDecision(a);
  v1::BillingEvent e;
  auto* cn = e.mutable_credit_note_issued();
  cn->set_credit_note_id(c.credit_note_id);
  cn->set_invoice_id(c.invoice_id);
  cn->set_amount(MinorText(amount));
  cn->set_reason(c.reason);
  cn->set_applied(MinorText(applied));
  cn->set_to_credit(MinorText(excess));
  d.events.push_back(std::move(e));
  d.claims.emplace_back(std::string(kClaimCreditNote), c.credit_note_id);
  if (excess > 0) {  // D-36: only the excess is netted
    if (auto net = internal::NetCredit(a, *credit, c.invoice_id, std::nullopt)) {
      d.events.push_back(std::move(*net));
    }
  }
  return d;
}

DecideResult DecideRefund(const RefundPayment& c, const DecideContext& ctx) {
  if (ctx.claim_taken(kClaimRefund, c.refund_id)) {
    return Reject(ErrorCode::kAlreadyExists, "refund_id", Quoted("refund", c.refund_id) + " exists");
  }
  const Payment* p = ctx.account != nullptr ? ctx.account->FindPayment(c.payment_id) : nullptr;
  if (p == nullptr) return PaymentNotFound(c.payment_id);
  const AccountState& a = *ctx.account;
  auto parsed = ParsePositive(c.amount, a.currency);
  if (auto* r = std::get_if<Rejection>(&parsed)) return *r;
  const Int128 amount = std::get<Int128>(parsed);
  if (a.status == AccountStatus::kClosed) return Closed("payment_id");
  if (p->reversed) return Reject(ErrorCode::kInvalidState, "payment_id", "payment was reversed");
  if (amount > p->amount - p->refunded) {
    return Reject(ErrorCode::kExceedsRefundable, "amount", "amount exceeds the payment less refunds");
  }
  if (amount > a.credit) {
    return Reject(ErrorCode::kInsufficientCredit, "amount", "amount exceeds the account's credit");
  }
  Decision d = AccountDecision(a);
  v1::BillingEvent e;
  auto* r = e.mutable_payment_refunded();
  r->set_refund_id(c.refund_id);
  r->set_payment_id(c.payment_id);
  r->set_amount(MinorText(amount));
  d.events.push_back(std::move(e));
  d.claims.emplace_back(std::string(kClaimRefund), c.refund_id);
  return d;
}

DecideResult DecideReversal(const ReversePayment& c, const DecideContext& ctx) {
  const Payment* p = ctx.account != nullptr ? ctx.account->FindPayment(c.payment_id) : nullptr;
  if (p == nullptr) return PaymentNotFound(c.payment_id);
  const AccountState& a = *ctx.account;
  if (a.status == AccountStatus::kClosed) return Closed("payment_id");
  if (p->reversed) return Reject(ErrorCode::kInvalidState, "payment_id", "payment already reversed");
  const Int128 amount = p->amount - p->refunded;
  if (amount <= 0) {
    return Reject(ErrorCode::kInvalidState, "payment_id", "nothing left to reverse after refunds");
  }
  if (c.reversed_at < p->received_at) {
    return Reject(ErrorCode::kInvalidState, "reversed_at", "reversed_at before the payment was received");
  }
  if (!CheckedAdd(a.amount_due_open, amount)) {  // D-27
    return Reject(ErrorCode::kAmountOverflow, "", "amount_due does not fit 128-bit minor units");
  }
  const int64_t number = static_cast<int64_t>(a.invoices.size()) + 1;
  const std::string id = internal::InvoiceId(a, number);
  Decision d = AccountDecision(a);
  v1::BillingEvent e;
  auto* r = e.mutable_payment_reversed();
  r->set_payment_id(c.payment_id);
  r->set_reversed_at_us(c.reversed_at.micros);
  r->set_reason(c.reason);
  r->set_amount(MinorText(amount));
  r->set_invoice_id(id);
  r->set_number(number);
  d.events.push_back(std::move(e));
  d.claims.emplace_back(std::string(kClaimInvoice), id);
  if (auto net = internal::NetCredit(a, a.credit, "", std::make_pair(id, amount))) {  // D-42, D-36
    d.events.push_back(std::move(*net));
  }
  return d;
}

DecideResult DecideVoid(const VoidInvoice& c, const DecideContext& ctx) {
  const Invoice* inv = FindInvoice(ctx, c.invoice_id);
  if (inv == nullptr) return InvoiceNotFound(c.invoice_id);
  const AccountState& a = *ctx.account;
  if (a.status == AccountStatus::kClosed) return Closed("invoice_id");
  // D-37: open, nothing applied or credited (so amount_due = total > 0).
  if (inv->status != InvoiceStatus::kOpen || inv->applied != 0 || inv->credited != 0 ||
      inv->amount_due != inv->total || inv->total <= 0) {
    return Reject(ErrorCode::kInvalidState, "invoice_id",
                  "only an open invoice with nothing applied can be voided");
  }
  Int128 subscriptions = 0;
  Int128 usage = 0;
  for (const InvoiceLine& l : inv->lines) {
    if (l.kind == LineKind::kUsage) {
      usage += l.amount;
    } else if (l.kind != LineKind::kPaymentReversal) {
      subscriptions += l.amount;
    }
  }
  Decision d = AccountDecision(a);
  v1::BillingEvent e;
  auto* v = e.mutable_invoice_voided();
  v->set_invoice_id(c.invoice_id);
  v->set_total(MinorText(inv->total));
  v->set_income_subscriptions(MinorText(subscriptions));
  v->set_income_usage(MinorText(usage));
  v->set_reversal(inv->is_reversal);
  d.events.push_back(std::move(e));
  return d;
}

DecideResult DecideUncollectible(const MarkUncollectible& c, const DecideContext& ctx) {
  const Invoice* inv = FindInvoice(ctx, c.invoice_id);
  if (inv == nullptr) return InvoiceNotFound(c.invoice_id);
  const AccountState& a = *ctx.account;
  if (a.status == AccountStatus::kClosed) return Closed("invoice_id");
  if (inv->status != InvoiceStatus::kOpen) {  // D-38
    return Reject(ErrorCode::kInvalidState, "invoice_id", "only an open invoice can be written off");
  }
  Decision d = AccountDecision(a);
  v1::BillingEvent e;
  auto* w = e.mutable_invoice_written_off();
  w->set_invoice_id(c.invoice_id);
  w->set_amount(MinorText(inv->amount_due));
  d.events.push_back(std::move(e));
  return d;
}

namespace {

// D-44: anything left to invoice.
bool LeftToInvoice(const AccountState& a) {
  if (!a.pending.empty()) return true;
  for (const Subscription& s : a.subscriptions) {
    if (!s.unbilled_usage.empty()) return true;
    if (s.end && s.PeriodOf(s.invoiced_periods).start < *s.end) return true;
  }
  return false;
}

}  // namespace

DecideResult DecideClose(const CloseAccount& c, const DecideContext& ctx) {
  const AccountState* a = ctx.account;
  if (a == nullptr || !a->exists) {
    return Reject(ErrorCode::kNotFound, "account_id", Quoted("account", c.account_id) + " not found");
  }
  if (a->status == AccountStatus::kClosed) return Closed("account_id");
  for (const Subscription& s : a->subscriptions) {
    if (s.status == SubscriptionStatus::kActive) {
      return Reject(ErrorCode::kInvalidState, "account_id", "account has an active subscription");
    }
  }
  if (a->amount_due_open > 0) return Reject(ErrorCode::kInvalidState, "account_id", "account has amount due");
  if (a->credit > 0) return Reject(ErrorCode::kInvalidState, "account_id", "account has credit");
  if (LeftToInvoice(*a)) {
    return Reject(ErrorCode::kInvalidState, "account_id", "account has items not yet invoiced");
  }
  Decision d = AccountDecision(*a);
  v1::BillingEvent e;
  e.mutable_account_closed()->set_account_id(a->account_id);
  d.events.push_back(std::move(e));
  return d;
}

}  // namespace accrue::engine
