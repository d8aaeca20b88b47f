// Key and value encoding of the RocksDB event log (docs/event-log-format.md).
//
// Byte grammar (fixed64/fixed32 are big-endian, so byte order is numeric order;
// a name is 1..kMaxNameBytes bytes and never contains 0x00):
//
//   column family   key                                  value
//   -------------   ----------------------------------   -----------------------------------------
//   default         "format_version"                     fixed32 format version (kFormatVersion)
//   events          position:fixed64                     Envelope (accrue.events.v1, protobuf)
//   stream_index    stream:name 0x00 version:fixed64     position:fixed64 [count:fixed64]
//   stream_heads    stream:name                          version:fixed64 (last version)
//   claims          claim_key:name                       stream:name (the owner)
//   idempotency     key:name                             hash_len:fixed32 command_hash[hash_len]
//                                                        last_position:fixed64 result[rest]
//   snapshots       stream:name                          version:fixed64 bytes[rest]
//
// The 0x00 separator sorts a stream's index entries together and before any
// longer stream name that extends it ("a" 0x00 ... < "a/" ...).
//
// A stream index entry is a run: versions version .. version+count-1 of the
// stream are at positions position .. position+count-1. The value is 8 bytes
// for a run of one (count omitted; every entry of a format-1 log) or 16 bytes
// with 2 <= count <= kMaxEventsPerAppend (format 2: one entry per stream per
// append). Runs of one stream never overlap and are gapless from version 1.
//
// Thread-safety: stateless functions.
#ifndef ACCRUE_EVENTS_KEYS_H_
#define ACCRUE_EVENTS_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "events/event_store.h"

namespace accrue::events::keys {

// The on-disk format this code writes. A log with a higher number is refused;
// see docs/event-log-format.md "Format version" for the upgrade rule.
inline constexpr uint32_t kFormatVersion = 2;
// The first format whose stream index holds runs of more than one event; a
// writer on an older log writes runs of one (readable by that log's builds).
inline constexpr uint32_t kFirstFormatWithIndexRuns = 2;
inline constexpr char kFormatVersionKey[] = "format_version";

inline constexpr char kEventsFamily[] = "events";
inline constexpr char kStreamIndexFamily[] = "stream_index";
inline constexpr char kStreamHeadsFamily[] = "stream_heads";
inline constexpr char kClaimsFamily[] = "claims";
inline constexpr char kIdempotencyFamily[] = "idempotency";
inline constexpr char kSnapshotsFamily[] = "snapshots";

void PutFixed64(std::string* out, uint64_t v);
void PutFixed32(std::string* out, uint32_t v);
// Reads a fixed64 at the front of `in` and advances it; false if too short.
bool GetFixed64(std::string_view* in, uint64_t* v);
bool GetFixed32(std::string_view* in, uint32_t* v);

std::string PositionKey(uint64_t position);
std::string StreamIndexKey(std::string_view stream, uint64_t version);
// Splits a stream index key; false if malformed.
bool ParseStreamIndexKey(std::string_view key, std::string* stream, uint64_t* version);
// A stream index value: the run's first position and its event count (>= 1).
std::string EncodeIndexRun(uint64_t position, uint64_t count);
// False if malformed: not 8 or 16 bytes, position 0, or a 16-byte value whose
// count is < 2 or > kMaxEventsPerAppend (the writer never stores those).
bool DecodeIndexRun(std::string_view value, uint64_t* position, uint64_t* count);

// A claims-family value: the owning stream, then (only when the value is not
// empty) 0x00 and the value. Stream names never contain 0x00.
std::string EncodeClaimValue(const Claim& claim);
// Splits a stored value into claim->stream and claim->value; false if malformed.
bool DecodeClaimValue(std::string_view stored, Claim* claim);

std::string EncodeIdempotency(const IdempotencyLookup& record);
std::optional<IdempotencyLookup> DecodeIdempotency(std::string_view value);

std::string EncodeSnapshot(const Snapshot& snapshot);
std::optional<Snapshot> DecodeSnapshot(std::string_view value);

}  // namespace accrue::events::keys

#endif  // ACCRUE_EVENTS_KEYS_H_
