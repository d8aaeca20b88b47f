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
// Thread-safety: a pure function.
#ifndef ACCRUE_APP_LOG_PAYLOAD_CHECK_H_
#define ACCRUE_APP_LOG_PAYLOAD_CHECK_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/unknown_field_set.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/event_codec.h"
#include "events/event_store.h"
#include "events/status.h"

namespace accrue::app {

// The payload schema version the domain writes (events::NewEvent's default).
inline constexpr uint32_t kBillingSchemaVersion = 1;

namespace payload_check_internal {

namespace pb = ::google::protobuf;

// Nesting limit of the unknown-field walk (billing messages nest 3 deep).
inline constexpr int kMaxMessageDepth = 16;

// True when `m` or any message inside it carries fields this build does not know.
inline bool HasUnknownFields(const pb::Message& m, int depth) {
  if (depth > kMaxMessageDepth) return true;
  const pb::Reflection* reflection = m.GetReflection();
  if (!reflection->GetUnknownFields(m).empty()) return true;
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(m, &fields);
  for (const pb::FieldDescriptor* f : fields) {
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(m, f); ++i) {
        if (HasUnknownFields(reflection->GetRepeatedMessage(m, f, i), depth + 1)) return true;
      }
    } else if (HasUnknownFields(reflection->GetMessage(m, f), depth + 1)) {
      return true;
    }
  }
  return false;
}

// The BillingEvent case whose message is named `type`, or nullptr. The table is
// built once from the descriptor (verify asks this for every event).
inline const pb::FieldDescriptor* CaseOfType(const std::string& type) {
  static const std::unordered_map<std::string, const pb::FieldDescriptor*> kCases = [] {
    std::unordered_map<std::string, const pb::FieldDescriptor*> cases;
    const pb::OneofDescriptor* oneof =
        engine::v1::BillingEvent::descriptor()->FindOneofByName("event");
    for (int i = 0; oneof != nullptr && i < oneof->field_count(); ++i) {
      const pb::FieldDescriptor* f = oneof->field(i);
      if (f->message_type() != nullptr) cases.emplace(f->message_type()->name(), f);
    }
    return cases;
  }();
  auto it = kCases.find(type);
  return it == kCases.end() ? nullptr : it->second;
}

}  // namespace payload_check_internal

// Ok, or kCorruption saying what is wrong with `event`'s payload. Header-only,
// so app/app.cmake lists no source for it.
inline Status CheckBillingPayload(const events::RecordedEvent& event) {
  if (event.schema_version != kBillingSchemaVersion) {
    return Status::Corruption("schema_version " + std::to_string(event.schema_version) +
                              " of " + event.type + " is not one this build reads");
  }
  const auto* expected = payload_check_internal::CaseOfType(event.type);
  if (expected == nullptr) return Status::Corruption("unknown event type '" + event.type + "'");
  engine::v1::BillingEvent decoded;
  if (!decoded.ParseFromString(event.payload)) {
    return Status::Corruption("payload is not a protobuf accrue.events.v1.BillingEvent");
  }
  if (static_cast<int>(decoded.event_case()) != expected->number()) {
    return Status::Corruption("payload holds " +
                              (decoded.event_case() == engine::v1::BillingEvent::EVENT_NOT_SET
                                   ? std::string("no event")
                                   : engine::EventTypeName(decoded)) +
                              ", not " + event.type);
  }
  if (payload_check_internal::HasUnknownFields(decoded, 0)) {
    return Status::Corruption("payload of " + event.type + " has fields this build does not know");
  }
  return Status::Ok();
}

}  // namespace accrue::app

#endif  // ACCRUE_APP_LOG_PAYLOAD_CHECK_H_
