// Envelope codec: RecordedEvent <-> accrue.events.v1.Envelope bytes, and the hash
// chain (docs/event-log-format.md, "Hash chain").
//
//   hash = SHA-256(prev_hash || Envelope serialized with `hash` unset)
//
// The serialization is protobuf's canonical one (fields in number order, default
// values omitted). `hash` is field 12, the highest number, so the stored bytes are
// exactly the hashed bytes followed by the field-12 record (tag 0x62, length 0x20,
// 32 hash bytes). Encoding therefore serializes once; decoding hashes the prefix.
// Both stores (RocksDB and memory) use this file, so their chains are identical.
//
// Checks: CheckBeforeWrite is for programmer errors (ACCRUE_ASSERT, the bytes are
// ours); DecodeStored returns Status::Corruption for bad stored bytes, because a
// disk can lie and `accrue log verify` must report it rather than abort.
//
// Thread-safety: stateless functions.
#ifndef ACCRUE_EVENTS_ENVELOPE_CODEC_H_
#define ACCRUE_EVENTS_ENVELOPE_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "events/event_store.h"
#include "events/status.h"

namespace accrue::events {

// prev_hash of position 1: 32 zero bytes.
const std::string& ZeroHash();

// The fields of an envelope without its hash, as views (no copies): what the
// writer seals straight from an AppendRequest.
struct EnvelopeFields {
  uint64_t position = 0;
  std::string_view stream;
  uint64_t version = 0;
  std::string_view type;
  uint32_t schema_version = 0;
  int64_t recorded_at_us = 0;
  std::string_view idempotency_key;
  std::string_view correlation_id;
  std::string_view causation_id;
  std::string_view payload;
  std::string_view prev_hash;
};

// The fields of `event` (views into it; `event` must outlive the result).
EnvelopeFields FieldsOf(const RecordedEvent& event);

// Appends the canonical protobuf serialization of `fields` (hash unset) to *out.
// Hand-written because it is the writer's hot path; envelope_codec_test proves it
// byte-identical to Envelope::SerializeToString for any envelope.
void AppendUnhashed(const EnvelopeFields& fields, std::string* out);

// Seals `fields`: sets *hash = SHA-256(prev_hash || unhashed bytes) and returns the
// stored bytes (unhashed bytes followed by the field-12 hash record).
std::string SealFields(const EnvelopeFields& fields, std::string* hash);

// Fills event.hash from event.prev_hash and the other fields; returns the stored
// bytes (envelope with hash).
std::string SealEnvelope(RecordedEvent& event);

// Hash of `event` as it would be sealed (does not modify it).
std::string ComputeEventHash(const RecordedEvent& event);

// Appends the stored bytes of `event` as it is (its hash as given, not
// recomputed) to *out: what a store that keeps decoded events hands to verify.
void AppendStored(const RecordedEvent& event, std::string* out);

// A stored envelope decoded in place: views into the stored bytes.
struct StoredEnvelopeView {
  EnvelopeFields fields;
  std::string_view hash;
};

// DecodeStored without copies, for the canonical bytes SealFields writes (fields
// in order, ASCII text): returns true when `bytes` are canonical, and then
// *error is Ok and *view holds the fields, or *error is the Corruption that
// DecodeStored would return (same checks, hash recomputed). Returns false for
// bytes that are not canonical: the caller decodes them with DecodeStored.
bool DecodeStoredView(std::string_view bytes, uint64_t expected_position,
                      StoredEnvelopeView* view, Status* error);

// Decodes stored envelope bytes and checks them: parses, recomputes the hash,
// position == expected_position (when nonzero), version >= 1, 32-byte hashes.
// Returns Status::Corruption naming the position on any failure.
Result<RecordedEvent> DecodeStored(std::string_view bytes, uint64_t expected_position);

namespace internal {
// The two decoders behind DecodeStored, exposed for envelope_codec_test. Both
// fill every field of *e from `bytes` (fields absent from the bytes are left as
// they were) and return false when they cannot decode.
// DecodeCanonical accepts only the canonical layout SealEnvelope writes (known
// fields in ascending order, right wire types, ASCII text); anything else is
// false, even bytes protobuf would accept. DecodeWithProtobuf is the reference.
bool DecodeCanonical(std::string_view bytes, RecordedEvent* e);
bool DecodeCanonicalView(std::string_view bytes, StoredEnvelopeView* view);
bool DecodeWithProtobuf(std::string_view bytes, RecordedEvent* e);
}  // namespace internal

// Programmer-error checks before an envelope is written: its position, version,
// prev_hash and hash are what the writer computed.
void CheckBeforeWrite(const RecordedEvent& event, uint64_t expected_position,
                      uint64_t expected_version, const std::string& expected_prev_hash);

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_ENVELOPE_CODEC_H_
