// D-1 steps 7 and 8 for each command: every present field checked in the order of
// the contract's example line, then the checks on values that need no stored state.
// Steps 4-6 (command name, unknown fields, required fields) are command.cpp's.
#include <charconv>
#include <string>

#include "engine/command_internal.h"

namespace accrue::engine {
namespace {

template <typename T>
DecodeResult Finish(const FieldReader& reader, T command) {
  if (reader.rejection()) return *reader.rejection();
  return Command(std::move(command));
}

}  // namespace

int64_t MonthsPerPeriod(Interval interval, const std::string& count_digits) {
  const int64_t months = interval == Interval::kYear ? 12 : 1;
  int64_t count = 0;
  const auto [end, error] =
      std::from_chars(count_digits.data(), count_digits.data() + count_digits.size(), count);
  if (error != std::errc() || end != count_digits.data() + count_digits.size() ||
      count > kMaxMonthsPerPeriod / months) {
    return kMaxMonthsPerPeriod;
  }
  return count * months;
}

DecodeResult DecodeOpenAccount(const JsonValue& object) {
  FieldReader r(object);
  OpenAccount c;
  c.timezone = "UTC";
  r.Id("account_id", &c.account_id);
  r.CurrencyCode("currency", &c.currency);
  r.TimeZoneName("timezone", &c.timezone);
  return Finish(r, std::move(c));
}

DecodeResult DecodePublishPlan(const JsonValue& object) {
  FieldReader r(object);
  PublishPlan c;
  c.interval = Interval::kMonth;
  c.interval_count = "1";
  c.amount = 0;
  std::string amount_text;
  r.Id("plan_id", &c.plan_id);
  r.CurrencyCode("currency", &c.currency);
  r.IntervalField("interval", &c.interval);
  r.IntervalCount("interval_count", &c.interval_count);
  r.DecimalText("amount", &amount_text);
  r.Meters("meters", &c.meters);
  // Step 8: a plan amount may be 0 (a free plan), never negative (D-10).
  r.Amount("amount", amount_text, c.currency, AmountSign::kNonNegative, &c.amount);
  c.months_per_period = MonthsPerPeriod(c.interval, c.interval_count);
  return Finish(r, std::move(c));
}

DecodeResult DecodeSubscribe(const JsonValue& object) {
  FieldReader r(object);
  Subscribe c;
  r.Id("subscription_id", &c.subscription_id);
  r.Id("account_id", &c.account_id);
  r.Id("plan_id", &c.plan_id);
  r.Quantity("quantity", &c.quantity);
  r.InstantField("start", &c.start);
  return Finish(r, std::move(c));
}

DecodeResult DecodeChangeSubscription(const JsonValue& object) {
  FieldReader r(object);
  // D-30: neither plan_id nor quantity is missing_field (plan_id), checked right
  // after the required fields and before any value.
  if (object.Find("plan_id") == nullptr && object.Find("quantity") == nullptr) {
    r.Fail(ErrorCode::kMissingField, "plan_id", "give \"plan_id\" and/or \"quantity\"");
  }
  ChangeSubscription c;
  r.Id("subscription_id", &c.subscription_id);
  r.OptionalId("plan_id", &c.plan_id);
  r.OptionalQuantity("quantity", &c.quantity);
  r.InstantField("effective", &c.effective);
  return Finish(r, std::move(c));
}

DecodeResult DecodeCancelSubscription(const JsonValue& object) {
  FieldReader r(object);
  CancelSubscription c;
  r.Id("subscription_id", &c.subscription_id);
  r.InstantField("effective", &c.effective);
  r.CancelModeField("mode", &c.mode);
  return Finish(r, std::move(c));
}

DecodeResult DecodeRecordUsage(const JsonValue& object) {
  FieldReader r(object);
  RecordUsage c;
  r.Id("usage_id", &c.usage_id);
  r.Id("subscription_id", &c.subscription_id);
  r.Id("meter", &c.meter);
  r.ExactDecimal("quantity", &c.quantity);
  r.InstantField("at", &c.at);
  r.PositiveDecimal("quantity", c.quantity);  // step 8, D-17
  return Finish(r, std::move(c));
}

DecodeResult DecodeRunBilling(const JsonValue& object) {
  FieldReader r(object);
  RunBilling c;
  r.InstantField("as_of", &c.as_of);
  r.OptionalId("account_id", &c.account_id);
  return Finish(r, std::move(c));
}

DecodeResult DecodeRecordPayment(const JsonValue& object) {
  FieldReader r(object);
  RecordPayment c;
  c.amount = 0;
  std::string amount_text;
  r.Id("payment_id", &c.payment_id);
  r.Id("account_id", &c.account_id);
  r.DecimalText("amount", &amount_text);
  r.CurrencyCode("currency", &c.currency);
  r.InstantField("received_at", &c.received_at);
  r.Text("external_ref", &c.external_ref);
  r.Amount("amount", amount_text, c.currency, AmountSign::kPositive, &c.amount);  // step 8
  return Finish(r, std::move(c));
}

// The amount's currency is the invoice's account's: precision, range and sign are
// decide()'s (D-1 step 11, D-40); only the syntax is checked here.
DecodeResult DecodeIssueCreditNote(const JsonValue& object) {
  FieldReader r(object);
  IssueCreditNote c;
  r.Id("credit_note_id", &c.credit_note_id);
  r.Id("invoice_id", &c.invoice_id, kMaxInvoiceIdLength);
  r.DecimalText("amount", &c.amount);
  r.Text("reason", &c.reason);
  return Finish(r, std::move(c));
}

// As for credit notes, the amount is checked in the payment's currency by decide()
// (D-1 step 11, D-41).
DecodeResult DecodeRefundPayment(const JsonValue& object) {
  FieldReader r(object);
  RefundPayment c;
  r.Id("refund_id", &c.refund_id);
  r.Id("payment_id", &c.payment_id);
  r.DecimalText("amount", &c.amount);
  return Finish(r, std::move(c));
}

DecodeResult DecodeReversePayment(const JsonValue& object) {
  FieldReader r(object);
  ReversePayment c;
  r.Id("payment_id", &c.payment_id);
  r.InstantField("reversed_at", &c.reversed_at);
  r.Text("reason", &c.reason);
  return Finish(r, std::move(c));
}

DecodeResult DecodeVoidInvoice(const JsonValue& object) {
  FieldReader r(object);
  VoidInvoice c;
  r.Id("invoice_id", &c.invoice_id, kMaxInvoiceIdLength);
  return Finish(r, std::move(c));
}

DecodeResult DecodeMarkUncollectible(const JsonValue& object) {
  FieldReader r(object);
  MarkUncollectible c;
  r.Id("invoice_id", &c.invoice_id, kMaxInvoiceIdLength);
  return Finish(r, std::move(c));
}

DecodeResult DecodeCloseAccount(const JsonValue& object) {
  FieldReader r(object);
  CloseAccount c;
  r.Id("account_id", &c.account_id);
  return Finish(r, std::move(c));
}

}  // namespace accrue::engine
