#include "app/log_payload_check.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/unknown_field_set.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/event_codec.h"
#include "events/wire_format.h"

namespace accrue::app {
namespace payload_check_internal {
namespace {

namespace pb = ::google::protobuf;

// ---- The reference: protobuf's parser and a reflection walk ----

// True when `m` or any message inside it carries fields this build does not know.
bool HasUnknownFields(const pb::Message& m, int depth) {
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
// built once from the descriptor; keys view the pool's names (program lifetime).
const pb::FieldDescriptor* CaseOfType(std::string_view type) {
  static const std::unordered_map<std::string_view, const pb::FieldDescriptor*> kCases = [] {
    std::unordered_map<std::string_view, const pb::FieldDescriptor*> cases;
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

// ---- The fast path: a walk over the wire bytes ----
// Wire format: https://protobuf.dev/programming-guides/encoding/ (a record is
// varint(field << 3 | wire type), then a varint, 8 or 4 bytes, or a varint
// length and that many bytes).

enum class Kind : uint8_t {
  kUnknown,  // not declared, or nothing the walk vouches for: ask the reference
  kVarint,   // int32/64, uint32/64, sint32/64, bool, enum (proto3: open enums)
  kFixed64,  // fixed64, sfixed64, double
  kFixed32,  // fixed32, sfixed32, float
  kText,     // string: must be UTF-8; the walk vouches for ASCII only
  kBytes,
  kMessage,
};

struct MessageRule;

struct FieldRule {
  Kind kind = Kind::kUnknown;
  const MessageRule* message = nullptr;  // when kind == kMessage
};

// Field rules of one message type, indexed by field number.
struct MessageRule {
  std::vector<FieldRule> fields;
};

// Field numbers above this are left to the reference (ours are all small).
constexpr int kMaxTabledFieldNumber = 512;

class Rules {
 public:
  // The rule of `d`, built (with every message type it reaches) on first use.
  const MessageRule* For(const pb::Descriptor* d) {
    auto it = rules_.find(d);
    if (it != rules_.end()) return it->second.get();
    auto owned = std::make_unique<MessageRule>();
    MessageRule* rule = owned.get();
    rules_.emplace(d, std::move(owned));  // before the fields: types may recurse
    // Only proto3 rules are tabled: proto2's closed enums and groups put
    // bytes in unknown fields that a wire walk would have to mimic.
    if (d->file()->syntax() != pb::FileDescriptor::SYNTAX_PROTO3) return rule;
    for (int i = 0; i < d->field_count(); ++i) {
      const pb::FieldDescriptor* f = d->field(i);
      if (f->number() > kMaxTabledFieldNumber) continue;
      if (rule->fields.size() <= static_cast<std::size_t>(f->number())) {
        rule->fields.resize(static_cast<std::size_t>(f->number()) + 1);
      }
      FieldRule& fr = rule->fields[static_cast<std::size_t>(f->number())];
      fr.kind = KindOf(f);
      if (fr.kind == Kind::kMessage) fr.message = For(f->message_type());
    }
    return rule;
  }

 private:
  static Kind KindOf(const pb::FieldDescriptor* f) {
    switch (f->type()) {
      case pb::FieldDescriptor::TYPE_INT32:
      case pb::FieldDescriptor::TYPE_INT64:
      case pb::FieldDescriptor::TYPE_UINT32:
      case pb::FieldDescriptor::TYPE_UINT64:
      case pb::FieldDescriptor::TYPE_SINT32:
      case pb::FieldDescriptor::TYPE_SINT64:
      case pb::FieldDescriptor::TYPE_BOOL:
      case pb::FieldDescriptor::TYPE_ENUM:
        return Kind::kVarint;
      case pb::FieldDescriptor::TYPE_FIXED64:
      case pb::FieldDescriptor::TYPE_SFIXED64:
      case pb::FieldDescriptor::TYPE_DOUBLE:
        return Kind::kFixed64;
      case pb::FieldDescriptor::TYPE_FIXED32:
      case pb::FieldDescriptor::TYPE_SFIXED32:
      case pb::FieldDescriptor::TYPE_FLOAT:
        return Kind::kFixed32;
      case pb::FieldDescriptor::TYPE_STRING:
        return Kind::kText;
      case pb::FieldDescriptor::TYPE_BYTES:
        return Kind::kBytes;
      case pb::FieldDescriptor::TYPE_MESSAGE:
        return Kind::kMessage;
      default:  // groups
        return Kind::kUnknown;
    }
  }

  std::unordered_map<const pb::Descriptor*, std::unique_ptr<MessageRule>> rules_;
};

struct BillingTables {
  const MessageRule* billing_event = nullptr;
  Rules rules;
};

const BillingTables& Tables() {
  static const BillingTables* const kTables = [] {
    auto* t = new BillingTables;  // never freed: lives as long as the descriptors
    t->billing_event = t->rules.For(engine::v1::BillingEvent::descriptor());
    return t;
  }();
  return *kTables;
}

using events::wire::AllAscii;
using events::wire::ReadVarint;

// True when every record of `bytes` is a declared field of `rule` in its
// declared wire type, recursively (see the header). False: ask the reference.
bool Walk(std::string_view bytes, const MessageRule& rule, int depth) {
  if (depth > kMaxMessageDepth) return false;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    uint64_t tag = 0;
    if (!ReadVarint(bytes, &pos, &tag)) return false;
    const uint64_t number = tag >> 3;
    if (number == 0 || number >= rule.fields.size()) return false;
    const FieldRule& field = rule.fields[static_cast<std::size_t>(number)];
    switch (tag & 7) {
      case 0: {  // varint
        uint64_t ignored = 0;
        if (field.kind != Kind::kVarint || !ReadVarint(bytes, &pos, &ignored)) return false;
        break;
      }
      case 1:  // 8 bytes
        if (field.kind != Kind::kFixed64 || bytes.size() - pos < 8) return false;
        pos += 8;
        break;
      case 5:  // 4 bytes
        if (field.kind != Kind::kFixed32 || bytes.size() - pos < 4) return false;
        pos += 4;
        break;
      case 2: {  // length-delimited (packed lists are left to the reference)
        uint64_t length = 0;
        if (!ReadVarint(bytes, &pos, &length) || length > bytes.size() - pos) return false;
        const std::string_view value = bytes.substr(pos, static_cast<std::size_t>(length));
        pos += static_cast<std::size_t>(length);
        if (field.kind == Kind::kText) {
          if (!AllAscii(value)) return false;
        } else if (field.kind == Kind::kMessage) {
          if (!Walk(value, *field.message, depth + 1)) return false;
        } else if (field.kind != Kind::kBytes) {
          return false;
        }
        break;
      }
      default:  // groups (3, 4) and the invalid wire types 6, 7
        return false;
    }
  }
  return true;
}

}  // namespace

bool WireWalkVouches(std::string_view type, std::string_view payload) {
  const pb::FieldDescriptor* expected = CaseOfType(type);
  if (expected == nullptr) return false;
  const auto number = static_cast<uint64_t>(expected->number());
  // Exactly one record at the top: the case `type` names, a message.
  std::size_t pos = 0;
  uint64_t tag = 0;
  if (!ReadVarint(payload, &pos, &tag)) return false;
  if (tag != (number << 3 | 2)) return false;
  uint64_t length = 0;
  if (!ReadVarint(payload, &pos, &length) || length != payload.size() - pos) return false;
  const FieldRule& field = Tables().billing_event->fields[static_cast<std::size_t>(number)];
  if (field.kind != Kind::kMessage) return false;
  return Walk(payload.substr(pos), *field.message, 1);
}

Status ReferenceCheck(const events::EnvelopeFields& event) {
  const pb::FieldDescriptor* expected = CaseOfType(event.type);
  if (expected == nullptr) {
    return Status::Corruption("unknown event type '" + std::string(event.type) + "'");
  }
  engine::v1::BillingEvent decoded;
  if (!decoded.ParseFromArray(event.payload.data(), static_cast<int>(event.payload.size()))) {
    return Status::Corruption("payload is not a protobuf accrue.events.v1.BillingEvent");
  }
  if (static_cast<int>(decoded.event_case()) != expected->number()) {
    return Status::Corruption("payload holds " +
                              (decoded.event_case() == engine::v1::BillingEvent::EVENT_NOT_SET
                                   ? std::string("no event")
                                   : engine::EventTypeName(decoded)) +
                              ", not " + std::string(event.type));
  }
  if (HasUnknownFields(decoded, 0)) {
    return Status::Corruption("payload of " + std::string(event.type) +
                              " has fields this build does not know");
  }
  return Status::Ok();
}

}  // namespace payload_check_internal

Status CheckBillingPayload(const events::EnvelopeFields& event) {
  if (event.schema_version != kBillingSchemaVersion) {
    return Status::Corruption("schema_version " + std::to_string(event.schema_version) + " of " +
                              std::string(event.type) + " is not one this build reads");
  }
  if (payload_check_internal::WireWalkVouches(event.type, event.payload)) return Status::Ok();
  return payload_check_internal::ReferenceCheck(event);
}

}  // namespace accrue::app
