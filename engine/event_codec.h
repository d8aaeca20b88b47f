// Event codec: conversions between the domain types of engine/state.h and the
// protobuf events of billing.proto, and the envelope type names.
//
// Amounts travel as decimal strings of minor units, exact decimals as
// FormatDecimal text. Parsing stored text that does not parse is corruption of
// trusted data (it was written by us), so it is an ACCRUE_ASSERT, not a Status.
//
// Thread-safety: pure functions.
#ifndef ACCRUE_ENGINE_EVENT_CODEC_H_
#define ACCRUE_ENGINE_EVENT_CODEC_H_

#include <optional>
#include <string>
#include <string_view>

#include "accrue/events/v1/billing.pb.h"
#include "engine/state.h"

namespace accrue::engine {

namespace v1 = ::accrue::events::v1;

std::string MinorText(Int128 v);
Int128 ParseMinor(const std::string& text);  // asserts well-formed
Decimal ParseExact(const std::string& text);  // asserts well-formed

v1::PlanTerms TermsToProto(const PlanTerms& t);
PlanTerms TermsFromProto(const v1::PlanTerms& p);

v1::LineKind LineKindToProto(LineKind k);
LineKind LineKindFromProto(v1::LineKind k);
std::string_view LineKindName(LineKind k);  // "recurring", ... (contract)

v1::InvoiceLine LineToProto(const InvoiceLine& l);
InvoiceLine LineFromProto(const v1::InvoiceLine& p);

v1::PendingItem PendingToProto(const PendingItem& p);
PendingItem PendingFromProto(const v1::PendingItem& p);

// The envelope's event_type: the set case's message name ("InvoiceIssued"). The
// names are read from the descriptor once; the reference stays valid for ever.
const std::string& EventTypeName(const v1::BillingEvent& e);

// D-47: the body of a recorded usage, stored as the value of its usage claim
// "<tenant>/usage/<id>" (docs/event-log-format.md): a serialized
// v1::UsageRecorded holding only subscription_id, meter, quantity and at_us.
UsageFingerprint FingerprintOf(const v1::UsageRecorded& e);
std::string EncodeUsageFingerprint(const v1::UsageRecorded& e);
// nullopt when `value` is not such an encoding (e.g. a claim written without one).
std::optional<UsageFingerprint> DecodeUsageFingerprint(const std::string& value);

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_EVENT_CODEC_H_
