#include "engine/event_codec.h"

#include <cstring>
#include <variant>
#include <vector>

#include "engine/money.h"
#include "events/assert.h"

namespace accrue::engine {

std::string MinorText(Int128 v) { return Int128ToString(v); }

Int128 ParseMinor(const std::string& text) {
  auto r = ParseAmount(text, 0);
  ACCRUE_ASSERT(std::holds_alternative<Int128>(r), "stored amount does not parse");
  return std::get<Int128>(r);
}

Decimal ParseExact(const std::string& text) {
  auto d = ParseDecimal(text);
  ACCRUE_ASSERT(d.has_value(), "stored decimal does not parse");
  return *d;
}

v1::PlanTerms TermsToProto(const PlanTerms& t) {
  v1::PlanTerms p;
  p.set_plan_id(t.plan_id);
  p.set_amount(MinorText(t.amount));
  for (const auto& m : t.meters) {
    auto* pm = p.add_meters();
    pm->set_meter(m.meter);
    pm->set_unit_price(FormatDecimal(m.unit_price));
  }
  return p;
}

PlanTerms TermsFromProto(const v1::PlanTerms& p) {
  PlanTerms t;
  t.plan_id = p.plan_id();
  t.amount = ParseMinor(p.amount());
  for (const auto& m : p.meters()) t.meters.push_back(PlanMeter{m.meter(), ParseExact(m.unit_price())});
  return t;
}

v1::LineKind LineKindToProto(LineKind k) {
  switch (k) {
    case LineKind::kRecurring: return v1::LINE_RECURRING;
    case LineKind::kProrationCredit: return v1::LINE_PRORATION_CREDIT;
    case LineKind::kProrationCharge: return v1::LINE_PRORATION_CHARGE;
    case LineKind::kUsage: return v1::LINE_USAGE;
    case LineKind::kPaymentReversal: return v1::LINE_PAYMENT_REVERSAL;
  }
  return v1::LINE_RECURRING;
}

LineKind LineKindFromProto(v1::LineKind k) {
  switch (k) {
    case v1::LINE_PRORATION_CREDIT: return LineKind::kProrationCredit;
    case v1::LINE_PRORATION_CHARGE: return LineKind::kProrationCharge;
    case v1::LINE_USAGE: return LineKind::kUsage;
    case v1::LINE_PAYMENT_REVERSAL: return LineKind::kPaymentReversal;
    default: return LineKind::kRecurring;
  }
}

std::string_view LineKindName(LineKind k) {
  switch (k) {
    case LineKind::kRecurring: return "recurring";
    case LineKind::kProrationCredit: return "proration_credit";
    case LineKind::kProrationCharge: return "proration_charge";
    case LineKind::kUsage: return "usage";
    case LineKind::kPaymentReversal: return "payment_reversal";
  }
  return "recurring";
}

v1::InvoiceLine LineToProto(const InvoiceLine& l) {
  v1::InvoiceLine p;
  p.set_kind(LineKindToProto(l.kind));
  p.set_subscription_id(l.subscription_id);
  p.set_payment_id(l.payment_id);
  p.set_meter(l.meter);
  p.set_plan_id(l.plan_id);
  p.set_period_start(l.period.start.days);
  p.set_period_end(l.period.end.days);
  p.set_period_index(l.period_index);
  p.set_quantity(l.quantity);
  p.set_amount(MinorText(l.amount));
  return p;
}

InvoiceLine LineFromProto(const v1::InvoiceLine& p) {
  InvoiceLine l;
  l.kind = LineKindFromProto(p.kind());
  l.subscription_id = p.subscription_id();
  l.payment_id = p.payment_id();
  l.meter = p.meter();
  l.plan_id = p.plan_id();
  l.period = Period{LocalDate{p.period_start()}, LocalDate{p.period_end()}};
  l.period_index = p.period_index();
  l.quantity = p.quantity();
  l.amount = ParseMinor(p.amount());
  return l;
}

v1::PendingItem PendingToProto(const PendingItem& i) {
  v1::PendingItem p;
  p.set_subscription_id(i.subscription_id);
  p.set_kind(LineKindToProto(i.kind));
  p.set_period_start(i.period.start.days);
  p.set_period_end(i.period.end.days);
  p.set_quantity(MinorText(i.quantity));
  p.set_plan_id(i.plan_id);
  p.set_amount(MinorText(i.amount));
  return p;
}

PendingItem PendingFromProto(const v1::PendingItem& p) {
  PendingItem i;
  i.subscription_id = p.subscription_id();
  i.kind = LineKindFromProto(p.kind());
  i.period = Period{LocalDate{p.period_start()}, LocalDate{p.period_end()}};
  i.quantity = ParseMinor(p.quantity());
  i.plan_id = p.plan_id();
  i.amount = ParseMinor(p.amount());
  return i;
}

const std::string& EventTypeName(const v1::BillingEvent& e) {
  // Per case number, the message name; read from the descriptor once.
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    const auto* event = v1::BillingEvent::descriptor()->FindOneofByName("event");
    ACCRUE_ASSERT(event != nullptr, "BillingEvent has the oneof event");
    for (int i = 0; i < event->field_count(); ++i) {
      const auto* field = event->field(i);
      ACCRUE_ASSERT(field->message_type() != nullptr, "every event case is a message");
      const auto number = static_cast<std::size_t>(field->number());
      if (names.size() <= number) names.resize(number + 1);
      names[number] = std::string(field->message_type()->name());
    }
    return names;
  }();
  const auto number = static_cast<std::size_t>(e.event_case());
  ACCRUE_ASSERT(number < kNames.size() && !kNames[number].empty(), "event without a case");
  return kNames[number];
}

UsageFingerprint FingerprintOf(const v1::UsageRecorded& e) {
  return UsageFingerprint{e.subscription_id(), e.meter(), ParseExact(e.quantity()), Instant{e.at_us()}};
}

namespace {

// Protobuf wire format (https://protobuf.dev/programming-guides/encoding/): a
// field's tag is (number << 3) | wire type; 0 = varint, 2 = length-delimited.
constexpr int kWireVarint = 0;
constexpr int kWireBytes = 2;
constexpr std::size_t kMaxVarintBytes = 10;  // a 64-bit value

// Writes v as a varint at p; returns the end.
char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// A proto3 string field: omitted when empty, as the generated code does. `p` has
// room for the value and two varints.
char* PutStringField(char* p, int number, std::string_view value) {
  if (value.empty()) return p;
  p = PutVarint(p, (static_cast<uint64_t>(number) << 3) | kWireBytes);
  p = PutVarint(p, value.size());
  std::memcpy(p, value.data(), value.size());
  return p + value.size();
}

// A proto3 int64 field: omitted when 0; a negative value is its two's complement
// as a 10-byte varint, as the generated code does.
char* PutInt64Field(char* p, int number, int64_t value) {
  if (value == 0) return p;
  p = PutVarint(p, (static_cast<uint64_t>(number) << 3) | kWireVarint);
  return PutVarint(p, static_cast<uint64_t>(value));
}

}  // namespace

std::string EncodeUsageFingerprint(const v1::UsageRecorded& e) {
  // What SerializeAsString gives for a v1::UsageRecorded holding only these four
  // fields (fields in number order, defaults omitted; event_codec_test compares
  // the two), written directly: no message to build and copy the strings into.
  // Room for the three strings and, per field, a tag and a length (or value) varint.
  const std::size_t bound =
      e.subscription_id().size() + e.meter().size() + e.quantity().size() + 8 * kMaxVarintBytes;
  std::string out(bound, '\0');
  char* p = out.data();
  p = PutStringField(p, v1::UsageRecorded::kSubscriptionIdFieldNumber, e.subscription_id());
  p = PutStringField(p, v1::UsageRecorded::kMeterFieldNumber, e.meter());
  p = PutStringField(p, v1::UsageRecorded::kQuantityFieldNumber, e.quantity());
  p = PutInt64Field(p, v1::UsageRecorded::kAtUsFieldNumber, e.at_us());
  out.resize(static_cast<std::size_t>(p - out.data()));
  ACCRUE_ASSERT(!out.empty(), "a usage fingerprint names its subscription");
  return out;
}

std::optional<UsageFingerprint> DecodeUsageFingerprint(const std::string& value) {
  v1::UsageRecorded body;
  if (value.empty() || !body.ParseFromString(value)) return std::nullopt;
  auto quantity = ParseDecimal(body.quantity());
  if (!quantity || body.subscription_id().empty()) return std::nullopt;
  return UsageFingerprint{body.subscription_id(), body.meter(), *quantity, Instant{body.at_us()}};
}

}  // namespace accrue::engine
