#include "events/envelope_codec.h"

#include <cstring>

#include "accrue/events/v1/envelope.pb.h"
#include "events/assert.h"
#include "events/sha256.h"
#include "events/wire_format.h"

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

// Writers into a buffer sized beforehand (AppendUnhashed): one bounds
// computation per envelope instead of a capacity check per byte run.
char* PutVarint(uint64_t v, char* out) {
  while (v >= 0x80) {
    *out++ = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  *out++ = static_cast<char>(v);
  return out;
}

char* PutUint(uint32_t field, uint64_t v, char* out) {
  if (v == 0) return out;
  out = PutVarint((field << 3) | kVarint, out);
  return PutVarint(v, out);
}

char* PutBytes(uint32_t field, std::string_view v, char* out) {
  if (v.empty()) return out;
  out = PutVarint((field << 3) | kLengthDelimited, out);
  out = PutVarint(v.size(), out);
  std::memcpy(out, v.data(), v.size());
  return out + v.size();
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
  const std::size_t start = out->size();
  const std::size_t bound = kMaxRecordOverhead + f.stream.size() + f.type.size() +
                            f.idempotency_key.size() + f.correlation_id.size() +
                            f.causation_id.size() + f.payload.size() + f.prev_hash.size();
  out->reserve(start + bound + kHashRecordBytes);  // SealFields appends the hash record
  out->resize(start + bound);
  char* const begin = out->data() + start;
  char* p = begin;
  p = PutUint(1, f.position, p);
  p = PutBytes(2, f.stream, p);
  p = PutUint(3, f.version, p);
  p = PutBytes(4, f.type, p);
  p = PutUint(5, f.schema_version, p);
  p = PutUint(6, static_cast<uint64_t>(f.recorded_at_us), p);  // int64: two's complement varint
  p = PutBytes(7, f.idempotency_key, p);
  p = PutBytes(8, f.correlation_id, p);
  p = PutBytes(9, f.causation_id, p);
  p = PutBytes(10, f.payload, p);
  p = PutBytes(11, f.prev_hash, p);
  const auto written = static_cast<std::size_t>(p - begin);
  ACCRUE_ASSERT(written <= bound, "envelope encoding overran its bound");
  out->resize(start + written);
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

using wire::AllAscii;
using wire::ReadVarint;

namespace {

// The checks of a decoded envelope before its hash, shared by both decoders
// (DecodeStoredView, and DecodeStored for bytes protobuf decoded).
Status CheckDecoded(const EnvelopeFields& f, std::string_view hash, uint64_t expected_position) {
  if (expected_position != 0 && f.position != expected_position) {
    return Bad(expected_position, "envelope says position " + std::to_string(f.position));
  }
  if (f.version == 0) return Bad(expected_position, "stream version 0");
  if (f.stream.empty()) return Bad(expected_position, "empty stream");
  if (f.prev_hash.size() != kSha256Bytes || hash.size() != kSha256Bytes) {
    return Bad(expected_position, "hash fields are not 32 bytes");
  }
  return Status::Ok();
}

// True when `hash` is SHA-256(prev_hash || the envelope without its hash), where
// `unhashed` is that envelope as stored when known (the bytes before a trailing
// hash record), else empty: then, and when the stored bytes are not what the
// writer would encode, the envelope is encoded again from `f`.
bool HashMatches(const EnvelopeFields& f, std::string_view hash, std::string_view unhashed) {
  unsigned char recomputed[kSha256Bytes];
  if (!unhashed.empty()) {
    Sha256Into(f.prev_hash, unhashed, recomputed);
    if (std::memcmp(recomputed, hash.data(), kSha256Bytes) == 0) return true;
  }
  std::string encoded;
  AppendUnhashed(f, &encoded);
  Sha256Into(f.prev_hash, encoded, recomputed);
  return std::memcmp(recomputed, hash.data(), kSha256Bytes) == 0;
}

RecordedEvent ToRecordedEvent(const StoredEnvelopeView& view) {
  const EnvelopeFields& f = view.fields;
  RecordedEvent out;
  out.position = f.position;
  out.stream.assign(f.stream);
  out.version = f.version;
  out.type.assign(f.type);
  out.schema_version = f.schema_version;
  out.recorded_at_us = f.recorded_at_us;
  out.idempotency_key.assign(f.idempotency_key);
  out.correlation_id.assign(f.correlation_id);
  out.causation_id.assign(f.causation_id);
  out.payload.assign(f.payload);
  out.prev_hash.assign(f.prev_hash);
  out.hash.assign(view.hash);
  return out;
}

}  // namespace

namespace internal {

bool DecodeCanonicalView(std::string_view bytes, StoredEnvelopeView* view) {
  EnvelopeFields& f = view->fields;
  std::size_t pos = 0;
  uint32_t last_field = 0;
  while (pos < bytes.size()) {
    uint64_t tag = 0;
    if (!ReadVarint(bytes, &pos, &tag)) return false;
    const auto field = static_cast<uint32_t>(tag >> 3);
    const auto wire = static_cast<uint32_t>(tag & 7);
    if (field <= last_field || field > 12 || tag > (12u << 3 | 7u)) return false;
    last_field = field;
    const bool is_varint_field = field == 1 || field == 3 || field == 5 || field == 6;
    if (wire != (is_varint_field ? kVarint : kLengthDelimited)) return false;
    if (is_varint_field) {
      uint64_t v = 0;
      if (!ReadVarint(bytes, &pos, &v)) return false;
      switch (field) {
        case 1: f.position = v; break;
        case 3: f.version = v; break;
        case 5:
          if (v > UINT32_MAX) return false;  // protobuf would truncate: let it decide
          f.schema_version = static_cast<uint32_t>(v);
          break;
        default: f.recorded_at_us = static_cast<int64_t>(v); break;
      }
      continue;
    }
    uint64_t length = 0;
    if (!ReadVarint(bytes, &pos, &length) || length > bytes.size() - pos) return false;
    const std::string_view value = bytes.substr(pos, static_cast<std::size_t>(length));
    pos += static_cast<std::size_t>(length);
    // proto3 `string` fields must be UTF-8; non-ASCII text goes to protobuf's check.
    const bool is_text = field == 2 || field == 4 || (field >= 7 && field <= 9);
    if (is_text && !AllAscii(value)) return false;
    switch (field) {
      case 2: f.stream = value; break;
      case 4: f.type = value; break;
      case 7: f.idempotency_key = value; break;
      case 8: f.correlation_id = value; break;
      case 9: f.causation_id = value; break;
      case 10: f.payload = value; break;
      case 11: f.prev_hash = value; break;
      default: view->hash = value; break;
    }
  }
  return true;
}

bool DecodeCanonical(std::string_view bytes, RecordedEvent* e) {
  StoredEnvelopeView view;
  view.fields = FieldsOf(*e);  // fields absent from the bytes stay as they were
  view.hash = e->hash;
  if (!DecodeCanonicalView(bytes, &view)) return false;
  *e = ToRecordedEvent(view);
  return true;
}

bool DecodeWithProtobuf(std::string_view bytes, RecordedEvent* e) {
  accrue::events::v1::Envelope env;
  if (!env.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
  e->position = env.position();
  // Moved out of the parsed message (it is dropped here): no second copy.
  e->stream = std::move(*env.mutable_stream());
  e->version = env.stream_version();
  e->type = std::move(*env.mutable_event_type());
  e->schema_version = env.schema_version();
  e->recorded_at_us = env.recorded_at_us();
  e->idempotency_key = std::move(*env.mutable_idempotency_key());
  e->correlation_id = std::move(*env.mutable_correlation_id());
  e->causation_id = std::move(*env.mutable_causation_id());
  e->payload = std::move(*env.mutable_payload());
  e->prev_hash = std::move(*env.mutable_prev_hash());
  e->hash = std::move(*env.mutable_hash());
  return true;
}

}  // namespace internal

void AppendStored(const RecordedEvent& event, std::string* out) {
  AppendUnhashed(FieldsOf(event), out);
  if (event.hash.empty()) return;  // canonical: an empty field is omitted
  char record[1 + 10];
  char* p = PutVarint((12u << 3) | kLengthDelimited, record);
  p = PutVarint(event.hash.size(), p);
  out->append(record, static_cast<std::size_t>(p - record));
  out->append(event.hash);
}

bool DecodeStoredView(std::string_view bytes, uint64_t expected_position,
                      StoredEnvelopeView* view, Status* error) {
  *view = StoredEnvelopeView{};
  if (!internal::DecodeCanonicalView(bytes, view)) return false;
  *error = CheckDecoded(view->fields, view->hash, expected_position);
  // Canonical bytes end with the hash record (field 12 is the highest number).
  if (error->ok() && !HashMatches(view->fields, view->hash,
                                  bytes.substr(0, bytes.size() - kHashRecordBytes))) {
    *error = Bad(expected_position, "hash does not match envelope");
  }
  return true;
}

Result<RecordedEvent> DecodeStored(std::string_view bytes, uint64_t expected_position) {
  // The bytes this code writes (fields in order, ASCII names) take the hand-written
  // path; anything else is parsed by protobuf itself, so both accept and read the
  // same bytes the same way (envelope_codec_test proves it on mutated envelopes).
  StoredEnvelopeView view;
  Status error;
  if (DecodeStoredView(bytes, expected_position, &view, &error)) {
    if (!error.ok()) return error;
    return ToRecordedEvent(view);
  }
  RecordedEvent e;
  if (!internal::DecodeWithProtobuf(bytes, &e)) return Bad(expected_position, "envelope does not decode");
  const EnvelopeFields f = FieldsOf(e);
  if (Status s = CheckDecoded(f, e.hash, expected_position); !s.ok()) return s;
  // The hash record may still be last, as SealFields writes it.
  std::string_view unhashed;
  if (bytes.size() >= kHashRecordBytes && bytes[bytes.size() - kHashRecordBytes] == kHashTag &&
      bytes[bytes.size() - kHashRecordBytes + 1] == kHashLength) {
    unhashed = bytes.substr(0, bytes.size() - kHashRecordBytes);
  }
  if (!HashMatches(f, e.hash, unhashed)) return Bad(expected_position, "hash does not match envelope");
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
