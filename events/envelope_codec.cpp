#include "events/envelope_codec.h"

#include "accrue/events/v1/envelope.pb.h"
#include "events/assert.h"
#include "events/sha256.h"

namespace accrue::events {
namespace {

// Field 12 (`hash`), wire type 2 (length-delimited): (12 << 3) | 2.
constexpr char kHashTag = static_cast<char>(0x62);
constexpr char kHashLength = static_cast<char>(kSha256Bytes);
constexpr std::size_t kHashRecordBytes = 2 + kSha256Bytes;

// Protobuf wire format (https://protobuf.dev/programming-guides/encoding/):
// a record is varint(field << 3 | wire type); wire type 0 = varint, 2 = length-
// delimited. Canonical proto3 output writes fields in number order and omits
// zero numbers and empty strings.
constexpr uint32_t kVarint = 0;
constexpr uint32_t kLengthDelimited = 2;

void PutVarint(uint64_t v, std::string* out) {
  char buf[10];
  std::size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

void PutUint(uint32_t field, uint64_t v, std::string* out) {
  if (v == 0) return;
  PutVarint((field << 3) | kVarint, out);
  PutVarint(v, out);
}

void PutBytes(uint32_t field, std::string_view v, std::string* out) {
  if (v.empty()) return;
  PutVarint((field << 3) | kLengthDelimited, out);
  PutVarint(v.size(), out);
  out->append(v.data(), v.size());
}

// Upper bound of the record overhead (tags and lengths) of one envelope.
constexpr std::size_t kMaxRecordOverhead = 12 * (1 + 10);

Status Bad(uint64_t position, const std::string& why) {
  return Status::Corruption("position " + std::to_string(position) + ": " + why);
}

}  // namespace

const std::string& ZeroHash() {
  static const std::string kZero(kSha256Bytes, '\0');
  return kZero;
}

EnvelopeFields FieldsOf(const RecordedEvent& e) {
  return EnvelopeFields{e.position,       e.stream,         e.version,
                        e.type,           e.schema_version, e.recorded_at_us,
                        e.idempotency_key, e.correlation_id, e.causation_id,
                        e.payload,        e.prev_hash};
}

void AppendUnhashed(const EnvelopeFields& f, std::string* out) {
  out->reserve(out->size() + kMaxRecordOverhead + f.stream.size() + f.type.size() +
               f.idempotency_key.size() + f.correlation_id.size() + f.causation_id.size() +
               f.payload.size() + f.prev_hash.size() + kHashRecordBytes);
  PutUint(1, f.position, out);
  PutBytes(2, f.stream, out);
  PutUint(3, f.version, out);
  PutBytes(4, f.type, out);
  PutUint(5, f.schema_version, out);
  PutUint(6, static_cast<uint64_t>(f.recorded_at_us), out);  // int64: two's complement varint
  PutBytes(7, f.idempotency_key, out);
  PutBytes(8, f.correlation_id, out);
  PutBytes(9, f.causation_id, out);
  PutBytes(10, f.payload, out);
  PutBytes(11, f.prev_hash, out);
}

std::string SealFields(const EnvelopeFields& fields, std::string* hash) {
  std::string bytes;
  AppendUnhashed(fields, &bytes);
  *hash = Sha256(fields.prev_hash, bytes);
  bytes.push_back(kHashTag);
  bytes.push_back(kHashLength);
  bytes.append(*hash);
  return bytes;
}

std::string ComputeEventHash(const RecordedEvent& event) {
  std::string bytes;
  AppendUnhashed(FieldsOf(event), &bytes);
  return Sha256(event.prev_hash, bytes);
}

std::string SealEnvelope(RecordedEvent& event) { return SealFields(FieldsOf(event), &event.hash); }

Result<RecordedEvent> DecodeStored(std::string_view bytes, uint64_t expected_position) {
  accrue::events::v1::Envelope env;
  if (!env.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Bad(expected_position, "envelope does not decode");
  }
  RecordedEvent e;
  e.position = env.position();
  e.stream = env.stream();
  e.version = env.stream_version();
  e.type = env.event_type();
  e.schema_version = env.schema_version();
  e.recorded_at_us = env.recorded_at_us();
  e.idempotency_key = env.idempotency_key();
  e.correlation_id = env.correlation_id();
  e.causation_id = env.causation_id();
  e.payload = env.payload();
  e.prev_hash = env.prev_hash();
  e.hash = env.hash();
  if (expected_position != 0 && e.position != expected_position) {
    return Bad(expected_position, "envelope says position " + std::to_string(e.position));
  }
  if (e.version == 0) return Bad(expected_position, "stream version 0");
  if (e.stream.empty()) return Bad(expected_position, "empty stream");
  if (e.prev_hash.size() != kSha256Bytes || e.hash.size() != kSha256Bytes) {
    return Bad(expected_position, "hash fields are not 32 bytes");
  }
  // Fast path: the hash record is last, as SealEnvelope writes it.
  std::string recomputed;
  if (bytes.size() >= kHashRecordBytes &&
      bytes[bytes.size() - kHashRecordBytes] == kHashTag &&
      bytes[bytes.size() - kHashRecordBytes + 1] == kHashLength) {
    recomputed = Sha256(e.prev_hash, bytes.substr(0, bytes.size() - kHashRecordBytes));
  }
  if (recomputed != e.hash) recomputed = ComputeEventHash(e);
  if (recomputed != e.hash) return Bad(expected_position, "hash does not match envelope");
  return e;
}

void CheckBeforeWrite(const RecordedEvent& event, uint64_t expected_position,
                      uint64_t expected_version, const std::string& expected_prev_hash) {
  ACCRUE_ASSERT(event.position == expected_position, "envelope position is not the next one");
  ACCRUE_ASSERT(event.version == expected_version && event.version >= 1,
                "envelope version is not the stream's next one");
  ACCRUE_ASSERT(event.prev_hash == expected_prev_hash, "envelope prev_hash is not the head hash");
  ACCRUE_ASSERT(event.hash.size() == kSha256Bytes, "envelope hash missing");
  ACCRUE_ASSERT(!event.stream.empty(), "envelope without a stream");
}

}  // namespace accrue::events
