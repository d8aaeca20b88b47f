// The hand-written envelope encoder (envelope_codec.h) against protobuf itself:
// for any envelope, AppendUnhashed produces exactly Envelope::SerializeToString's
// bytes (so hashes written by either agree and old logs keep verifying), and a
// sealed envelope decodes back to the same fields with a matching hash.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "accrue/events/v1/envelope.pb.h"
#include "events/envelope_codec.h"
#include "events/sha256.h"

namespace accrue::events {
namespace {

std::string ProtobufBytes(const RecordedEvent& e) {
  accrue::events::v1::Envelope env;
  env.set_position(e.position);
  env.set_stream(e.stream);
  env.set_stream_version(e.version);
  env.set_event_type(e.type);
  env.set_schema_version(e.schema_version);
  env.set_recorded_at_us(e.recorded_at_us);
  env.set_idempotency_key(e.idempotency_key);
  env.set_correlation_id(e.correlation_id);
  env.set_causation_id(e.causation_id);
  env.set_payload(e.payload);
  env.set_prev_hash(e.prev_hash);
  std::string out;
  EXPECT_TRUE(env.SerializeToString(&out));
  return out;
}

// Values that exercise every varint length and the omitted defaults.
rc::Gen<uint64_t> Number() {
  return rc::gen::oneOf(rc::gen::element<uint64_t>(0, 1, 127, 128, 16383, 16384, UINT64_MAX),
                        rc::gen::arbitrary<uint64_t>());
}

// Envelope strings are proto3 `string` fields, which protobuf requires to be
// UTF-8 (it refuses to parse anything else): ASCII plus a few multi-byte runs.
rc::Gen<std::string> Text() {
  auto piece = rc::gen::oneOf(rc::gen::map(rc::gen::inRange<char>(32, 127),
                                           [](char c) { return std::string(1, c); }),
                              rc::gen::element<std::string>("\xc3\xa9", "\xe2\x82\xac",
                                                            "\xf0\x9f\x92\xb6"));
  return rc::gen::map(rc::gen::container<std::vector<std::string>>(piece),
                      [](const std::vector<std::string>& pieces) {
                        std::string out;
                        for (const auto& p : pieces) out += p;
                        return out;
                      });
}

// Payloads and hashes are `bytes`: anything, including long runs.
rc::Gen<std::string> Bytes() {
  return rc::gen::oneOf(rc::gen::just(std::string()), rc::gen::arbitrary<std::string>(),
                        rc::gen::container<std::string>(300, rc::gen::arbitrary<char>()));
}

// Any envelope without its hash, its text fields drawn from `names`.
RecordedEvent AnyEnvelope(const rc::Gen<std::string>& names) {
  RecordedEvent e;
  e.position = *Number();
  e.stream = *names;
  e.version = *Number();
  e.type = *names;
  e.schema_version = static_cast<uint32_t>(*Number());
  e.recorded_at_us = static_cast<int64_t>(*Number());  // negative values included
  e.idempotency_key = *names;
  e.correlation_id = *names;
  e.causation_id = *names;
  e.payload = *Bytes();
  e.prev_hash = *rc::gen::container<std::string>(kSha256Bytes, rc::gen::arbitrary<char>());
  return e;
}

RC_GTEST_PROP(EnvelopeCodecTest, HandEncodingEqualsProtobufAndRoundTrips, ()) {
  const RecordedEvent e = AnyEnvelope(Text());

  std::string ours;
  AppendUnhashed(FieldsOf(e), &ours);
  RC_ASSERT(ours == ProtobufBytes(e));
  RC_ASSERT(ComputeEventHash(e) == Sha256(e.prev_hash, ours));

  if (e.version == 0 || e.stream.empty()) return;  // DecodeStored refuses those by design
  RecordedEvent sealed = e;
  const std::string stored = SealEnvelope(sealed);
  RC_ASSERT(sealed.hash == Sha256(e.prev_hash, ours));
  auto decoded = DecodeStored(stored, e.position);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(decoded.value().payload == e.payload);
  RC_ASSERT(decoded.value().stream == e.stream);
  RC_ASSERT(decoded.value().recorded_at_us == e.recorded_at_us);
  RC_ASSERT(decoded.value().hash == sealed.hash);
}

bool SameFields(const RecordedEvent& a, const RecordedEvent& b) {
  return a.position == b.position && a.stream == b.stream && a.version == b.version &&
         a.type == b.type && a.schema_version == b.schema_version &&
         a.recorded_at_us == b.recorded_at_us && a.idempotency_key == b.idempotency_key &&
         a.correlation_id == b.correlation_id && a.causation_id == b.causation_id &&
         a.payload == b.payload && a.prev_hash == b.prev_hash && a.hash == b.hash;
}

// ASCII text (what accrue writes), or any UTF-8 (which the fast path declines).
rc::Gen<std::string> Name() {
  return rc::gen::weightedOneOf<std::string>(
      {{4, rc::gen::container<std::string>(rc::gen::inRange<char>(32, 127))}, {1, Text()}});
}

// The hand-written decoder reads whatever SealEnvelope wrote, and on ANY bytes
// (sealed envelopes with a flipped, inserted or removed byte, or truncated) it
// either declines or reads exactly what protobuf reads: it never accepts bytes
// protobuf refuses, and never reads a field differently.
RC_GTEST_PROP(EnvelopeCodecTest, CanonicalDecoderAgreesWithProtobufOnAnyBytes, ()) {
  RecordedEvent e = AnyEnvelope(Name());
  const std::string sealed = SealEnvelope(e);

  RecordedEvent fast;
  fast.schema_version = 0;
  const std::string names =
      e.stream + e.type + e.idempotency_key + e.correlation_id + e.causation_id;
  const bool ascii = std::all_of(names.begin(), names.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  RC_ASSERT(internal::DecodeCanonical(sealed, &fast) == ascii);
  if (ascii) RC_ASSERT(SameFields(fast, e));

  int accepted = 0;
  for (int round = 0; round < 20; ++round) {
    std::string bytes = sealed;
    const int mutation = *rc::gen::inRange(0, 4);
    if (mutation == 0) {
      bytes[*rc::gen::inRange<std::size_t>(0, bytes.size())] ^=
          static_cast<char>(*rc::gen::inRange(1, 256));
    } else if (mutation == 1) {
      bytes.resize(*rc::gen::inRange<std::size_t>(0, bytes.size()));
    } else if (mutation == 2) {
      bytes.insert(*rc::gen::inRange<std::size_t>(0, bytes.size() + 1), 1,
                   *rc::gen::arbitrary<char>());
    } else {
      bytes.erase(*rc::gen::inRange<std::size_t>(0, bytes.size()), 1);
    }
    RecordedEvent canonical;
    canonical.schema_version = 0;
    RecordedEvent reference;
    const bool canonical_ok = internal::DecodeCanonical(bytes, &canonical);
    const bool reference_ok = internal::DecodeWithProtobuf(bytes, &reference);
    if (canonical_ok) {
      ++accepted;
      RC_ASSERT(reference_ok);
      RC_ASSERT(SameFields(canonical, reference));
    }
  }
  RC_TAG(accepted > 0 ? "some mutations decoded canonically" : "all mutations declined");
}

// A fixed envelope's hash, pinned: a change here changes the stored format
// (docs/event-log-format.md, upgrade rule) and must come with a format version.
TEST(EnvelopeCodecTest, PinnedHashOfAKnownEnvelope) {
  RecordedEvent e;
  e.position = 1;
  e.stream = "t1/account/A-1";
  e.version = 1;
  e.type = "AccountOpened";
  e.schema_version = 1;
  e.recorded_at_us = 1'700'000'000'000'000;
  e.idempotency_key = "t1/k1";
  e.payload = "payload";
  e.prev_hash = ZeroHash();
  const std::string stored = SealEnvelope(e);
  EXPECT_EQ(stored.substr(0, stored.size() - 34), ProtobufBytes(e));
  EXPECT_EQ(ToHex(e.hash), ToHex(Sha256(ZeroHash(), ProtobufBytes(e))));
}

}  // namespace
}  // namespace accrue::events
