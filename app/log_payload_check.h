// The billing payload check of `accrue log verify` (issue 3: "verify checks ...
// that each payload decodes").
//
// events/ knows nothing of billing, so VerifyLog takes the payload check as a
// callback; this is the one the CLI plugs in. An event is sound when:
//  - its schema_version is one this build reads (kBillingSchemaVersion);
//  - its event_type names a case of accrue.events.v1.BillingEvent (the message
//    name, e.g. "InvoiceIssued", as engine::EventTypeName writes it); any other
//    type is unknown and fails;
//  - its payload parses as a BillingEvent whose set case is exactly that type,
//    with no unknown fields anywhere (bytes this build cannot account for are
//    not a payload it wrote).
//
// Two ways to the same answer (as envelope_codec.h's two envelope decoders):
//  - the reference: protobuf parses the payload into a BillingEvent, and a
//    reflection walk looks for unknown fields in every message inside it;
//  - the fast path, a walk over the wire bytes with tables built once from the
//    descriptors: every record is a field the schema declares with the wire
//    type of its declared type, varints and lengths are well formed, text is
//    ASCII, nested messages likewise, and the top level holds exactly the one
//    case the event type names. Bytes it cannot vouch for (non-ASCII text, a
//    packed list, anything odd) go to the reference, which decides. So the fast
//    path only ever says "sound" for bytes the reference also calls sound;
//    log_payload_check_test proves that on mutated payloads of every type.
// verify calls this for every event (a million per second), hence the walk:
// the parse and reflection walk cost ~1.5 us per event, the wire walk ~0.1 us.
//
// Thread-safety: pure functions (the tables are built once, thread-safely).
#ifndef ACCRUE_APP_LOG_PAYLOAD_CHECK_H_
#define ACCRUE_APP_LOG_PAYLOAD_CHECK_H_

#include <cstdint>
#include <string_view>

#include "events/envelope_codec.h"
#include "events/status.h"

namespace accrue::app {

// The payload schema version the domain writes (events::NewEvent's default).
inline constexpr uint32_t kBillingSchemaVersion = 1;

// Ok, or kCorruption saying what is wrong with `event`'s payload.
Status CheckBillingPayload(const events::EnvelopeFields& event);

namespace payload_check_internal {

// Nesting limit of both walks (billing messages nest 3 deep).
inline constexpr int kMaxMessageDepth = 16;

// The fast path alone: true when the wire walk vouches that `payload` is a
// BillingEvent holding exactly the case named `type`, with no unknown fields;
// false means "ask the reference" (not "unsound").
bool WireWalkVouches(std::string_view type, std::string_view payload);

// The reference alone (what CheckBillingPayload answers when the walk does not vouch).
Status ReferenceCheck(const events::EnvelopeFields& event);

}  // namespace payload_check_internal
}  // namespace accrue::app

#endif  // ACCRUE_APP_LOG_PAYLOAD_CHECK_H_
