// app/log_payload_check.h: the wire walk (fast path) of `accrue log verify`'s
// payload check agrees with the reference (protobuf parse + reflection walk for
// unknown fields) on payloads of every BillingEvent case and on random
// mutations of them: whenever the walk vouches, the reference says sound, and
// CheckBillingPayload always answers what the reference answers (issue 3).
#include "app/log_payload_check.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/event_codec.h"

namespace accrue::app {
namespace {

namespace pb = ::google::protobuf;
using payload_check_internal::ReferenceCheck;
using payload_check_internal::WireWalkVouches;

// Every case of the BillingEvent oneof.
std::vector<const pb::FieldDescriptor*> Cases() {
  std::vector<const pb::FieldDescriptor*> cases;
  const pb::OneofDescriptor* oneof = engine::v1::BillingEvent::descriptor()->FindOneofByName("event");
  for (int i = 0; i < oneof->field_count(); ++i) cases.push_back(oneof->field(i));
  return cases;
}

std::string RandomText(std::mt19937_64& rng, bool ascii) {
  std::string s(rng() % 12, 'a');
  for (char& c : s) c = static_cast<char>('a' + rng() % 26);
  if (!ascii && !s.empty()) s += "\xc3\xa9";  // U+00E9, valid UTF-8
  return s;
}

// Sets every field of `m` (nested messages to depth 3) to random values.
void Fill(pb::Message* m, std::mt19937_64& rng, int depth, bool ascii) {
  const pb::Descriptor* d = m->GetDescriptor();
  const pb::Reflection* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->containing_oneof() != nullptr && rng() % 2 == 0) continue;
    const int count = f->is_repeated() ? static_cast<int>(rng() % 3) : 1;
    for (int k = 0; k < count; ++k) {
      switch (f->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_MESSAGE:
          if (depth >= 3) break;
          Fill(f->is_repeated() ? r->AddMessage(m, f) : r->MutableMessage(m, f), rng, depth + 1, ascii);
          break;
        case pb::FieldDescriptor::CPPTYPE_STRING: {
          std::string v = f->type() == pb::FieldDescriptor::TYPE_BYTES
                              ? std::string(rng() % 8, static_cast<char>(rng()))
                              : RandomText(rng, ascii);
          f->is_repeated() ? r->AddString(m, f, v) : r->SetString(m, f, v);
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_INT64:
          f->is_repeated() ? r->AddInt64(m, f, static_cast<int64_t>(rng()))
                           : r->SetInt64(m, f, static_cast<int64_t>(rng()));
          break;
        case pb::FieldDescriptor::CPPTYPE_UINT64:
          f->is_repeated() ? r->AddUInt64(m, f, rng()) : r->SetUInt64(m, f, rng());
          break;
        case pb::FieldDescriptor::CPPTYPE_INT32:
          f->is_repeated() ? r->AddInt32(m, f, static_cast<int32_t>(rng()))
                           : r->SetInt32(m, f, static_cast<int32_t>(rng()));
          break;
        case pb::FieldDescriptor::CPPTYPE_UINT32:
          f->is_repeated() ? r->AddUInt32(m, f, static_cast<uint32_t>(rng()))
                           : r->SetUInt32(m, f, static_cast<uint32_t>(rng()));
          break;
        case pb::FieldDescriptor::CPPTYPE_BOOL:
          f->is_repeated() ? r->AddBool(m, f, rng() % 2 == 0) : r->SetBool(m, f, rng() % 2 == 0);
          break;
        case pb::FieldDescriptor::CPPTYPE_ENUM: {
          const int v = f->enum_type()->value(static_cast<int>(rng() % f->enum_type()->value_count()))->number();
          f->is_repeated() ? r->AddEnumValue(m, f, v) : r->SetEnumValue(m, f, v);
          break;
        }
        default:  // double/float: the billing schema has none
          break;
      }
    }
  }
}

// A serialized BillingEvent holding case `f`, filled from `seed`.
std::string Payload(const pb::FieldDescriptor* f, uint64_t seed, bool ascii = true) {
  std::mt19937_64 rng(seed);
  engine::v1::BillingEvent event;
  Fill(event.GetReflection()->MutableMessage(&event, f), rng, 1, ascii);
  return event.SerializeAsString();
}

events::EnvelopeFields Fields(std::string_view type, std::string_view payload) {
  events::EnvelopeFields f;
  f.type = type;
  f.schema_version = kBillingSchemaVersion;
  f.payload = payload;
  return f;
}

TEST(LogPayloadCheck, TheWalkVouchesForEveryCaseAsTheEngineWritesIt) {
  for (const pb::FieldDescriptor* f : Cases()) {
    for (uint64_t seed = 0; seed < 50; ++seed) {
      const std::string payload = Payload(f, seed);
      const std::string& type = f->message_type()->name();
      EXPECT_TRUE(WireWalkVouches(type, payload)) << type << " seed " << seed;
      EXPECT_TRUE(CheckBillingPayload(Fields(type, payload)).ok()) << type;
    }
  }
}

TEST(LogPayloadCheck, NonAsciiTextGoesToTheReferenceWhichAcceptsIt) {
  int non_ascii = 0;
  for (const pb::FieldDescriptor* f : Cases()) {
    const std::string payload = Payload(f, 7, /*ascii=*/false);
    const std::string& type = f->message_type()->name();
    if (payload.find("\xc3\xa9") != std::string::npos) {
      ++non_ascii;
      EXPECT_FALSE(WireWalkVouches(type, payload)) << type;
    }
    EXPECT_TRUE(CheckBillingPayload(Fields(type, payload)).ok()) << type;
  }
  EXPECT_GT(non_ascii, 0);
}

TEST(LogPayloadCheck, WrongCaseUnknownFieldsAndGarbageAreCorruption) {
  const std::vector<const pb::FieldDescriptor*> cases = Cases();
  ASSERT_GE(cases.size(), 2u);
  const std::string payload = Payload(cases[0], 1);
  const std::string& other = cases[1]->message_type()->name();
  Status s = CheckBillingPayload(Fields(other, payload));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not " + other), std::string::npos) << s.ToString();

  // Field 2000 (varint 1) appended inside the case's message: unknown.
  std::mt19937_64 rng(3);
  engine::v1::BillingEvent event;
  Fill(event.GetReflection()->MutableMessage(&event, cases[0]), rng, 1, true);
  pb::Message* inner = event.GetReflection()->MutableMessage(&event, cases[0]);
  inner->GetReflection()->MutableUnknownFields(inner)->AddVarint(2000, 1);
  const std::string& type = cases[0]->message_type()->name();
  s = CheckBillingPayload(Fields(type, event.SerializeAsString()));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("does not know"), std::string::npos) << s.ToString();

  EXPECT_FALSE(CheckBillingPayload(Fields(type, "\xff\xff\xff")).ok());
  EXPECT_FALSE(CheckBillingPayload(Fields(type, "")).ok());  // no event
  EXPECT_FALSE(CheckBillingPayload(Fields("NoSuchEvent", payload)).ok());
  events::EnvelopeFields v2 = Fields(type, payload);
  v2.schema_version = 2;
  EXPECT_FALSE(CheckBillingPayload(v2).ok());
}

// Random byte edits of a payload, as the property below makes them.
void Mutate(std::string* payload, std::mt19937_64& rng, uint32_t edits) {
  for (uint32_t e = 0; e < edits; ++e) {
    const std::size_t at = payload->empty() ? 0 : rng() % payload->size();
    switch (rng() % 5) {
      case 0:
        if (!payload->empty()) (*payload)[at] = static_cast<char>((*payload)[at] ^ (1 << (rng() % 8)));
        break;
      case 1:
        if (!payload->empty()) (*payload)[at] = static_cast<char>(rng());
        break;
      case 2: payload->resize(at); break;
      case 3: payload->insert(at, 1, static_cast<char>(rng())); break;
      default: payload->erase(at, 1 + rng() % 3); break;
    }
  }
}

// Not vacuous: over many single edits both answers occur, the walk vouches
// for many mutated payloads (an edit inside a text or a number keeps a sound
// payload sound), and never for one the reference rejects.
TEST(LogPayloadCheck, OnManyEditsTheWalkVouchesOftenAndNeverWrongly) {
  const pb::LogSilencer quiet;  // the parser logs each invalid UTF-8 string it meets
  const std::vector<const pb::FieldDescriptor*> cases = Cases();
  int vouched = 0, sound = 0, rejected = 0;
  for (uint64_t seed = 0; seed < 20000; ++seed) {
    const pb::FieldDescriptor* f = cases[seed % cases.size()];
    std::string payload = Payload(f, seed);
    std::mt19937_64 rng(seed * 7919);
    Mutate(&payload, rng, 1);
    const std::string& type = f->message_type()->name();
    const bool reference_ok = ReferenceCheck(Fields(type, payload)).ok();
    const bool vouches = WireWalkVouches(type, payload);
    if (vouches) {
      ++vouched;
      ASSERT_TRUE(reference_ok) << type << " seed " << seed;
    }
    reference_ok ? ++sound : ++rejected;
  }
  EXPECT_GT(vouched, 1000);
  EXPECT_GT(rejected, 1000);
  EXPECT_GE(sound, vouched);
}

// The property: on any mutation of a real payload, the walk vouches only for
// bytes the reference calls sound, so the check answers as the reference does.
RC_GTEST_PROP(LogPayloadCheck, TheWalkNeverVouchesForWhatTheReferenceRejects,
              (uint64_t seed, uint32_t which, uint32_t edits)) {
  const pb::LogSilencer quiet;
  const std::vector<const pb::FieldDescriptor*> cases = Cases();
  const pb::FieldDescriptor* f = cases[which % cases.size()];
  std::string payload = Payload(f, seed);
  std::mt19937_64 rng(seed ^ 0x9E3779B97F4A7C15ULL);
  Mutate(&payload, rng, 1 + edits % 3);
  // The type named is mostly the real one, sometimes another case's.
  const pb::FieldDescriptor* named = rng() % 4 == 0 ? cases[rng() % cases.size()] : f;
  const std::string& type = named->message_type()->name();
  const bool reference_ok = ReferenceCheck(Fields(type, payload)).ok();
  if (WireWalkVouches(type, payload)) RC_ASSERT(reference_ok);
  RC_ASSERT(CheckBillingPayload(Fields(type, payload)).ok() == reference_ok);
}

}  // namespace
}  // namespace accrue::app
