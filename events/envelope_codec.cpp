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

// The envelope without its hash, canonically serialized.
std::string SerializeUnhashed(const RecordedEvent& e) {
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
  bool ok = env.SerializeToString(&out);
  ACCRUE_ASSERT(ok, "envelope serialization failed");
  return out;
}

Status Bad(uint64_t position, const std::string& why) {
  return Status::Corruption("position " + std::to_string(position) + ": " + why);
}

}  // namespace

const std::string& ZeroHash() {
  static const std::string kZero(kSha256Bytes, '\0');
  return kZero;
}

std::string ComputeEventHash(const RecordedEvent& event) {
  return Sha256(event.prev_hash, SerializeUnhashed(event));
}

std::string SealEnvelope(RecordedEvent& event) {
  std::string bytes = SerializeUnhashed(event);
  event.hash = Sha256(event.prev_hash, bytes);
  bytes.reserve(bytes.size() + kHashRecordBytes);
  bytes.push_back(kHashTag);
  bytes.push_back(kHashLength);
  bytes.append(event.hash);
  return bytes;
}

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
