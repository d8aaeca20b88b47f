// Snapshot codec: a versioned, deterministic encoding of the folded aggregates
// (AccountState, CatalogState) as stored by EventStore::SaveSnapshot.
//
// The bytes are a serialized accrue.events.v1.SnapshotEnvelope
// (events/proto/accrue/events/v1/snapshot.proto): schema version, the stream and
// version it was taken at, and the state. Encoding is deterministic: the same
// state at the same version always gives the same bytes (hash maps are written in
// sorted order; no protobuf maps).
//
// A snapshot is never trusted blindly. Decoding checks the schema version, the
// stream and version, every amount and decimal, the enum ranges, and the state's
// invariants that evolve() asserts (credit >= 0, total == sum of lines, invoice
// numbering, amount_due_open == sum of open amount_due, refunded <= amount); any
// failure is a non-ok Status and the caller folds the whole stream instead. Unlike
// the event codec, nothing here asserts on stored bytes.
//
// Thread-safety: pure functions.
#ifndef ACCRUE_ENGINE_SNAPSHOT_CODEC_H_
#define ACCRUE_ENGINE_SNAPSHOT_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/state.h"
#include "events/status.h"

namespace accrue::engine {

// The schema version written into every snapshot. Bump it when the meaning of a
// field changes; older or newer versions are then ignored (full fold), never
// misread.
// 2: the D-47 usage fingerprints left the account (usage claims' values) and
// subscriptions keep recorded usage totals; version 1 snapshots are ignored.
inline constexpr uint32_t kSnapshotSchemaVersion = 2;

// The bytes of a snapshot of account stream `stream` at stream `version`.
std::string EncodeAccountSnapshot(const std::string& stream, uint64_t version,
                                  const AccountState& state);

// The bytes of a snapshot of catalog stream `stream` at stream `version`.
std::string EncodeCatalogSnapshot(const std::string& stream, uint64_t version,
                                  const CatalogState& catalog);

// Decodes a snapshot stored under `stream` at `version` into *out (overwritten).
// FailedPrecondition: an unknown schema version. Corruption: bytes that do not
// decode, name another stream or version or another aggregate kind, or a state
// that breaks an invariant. On error *out is unspecified.
Status DecodeAccountSnapshot(std::string_view bytes, const std::string& stream, uint64_t version,
                             AccountState* out);
Status DecodeCatalogSnapshot(std::string_view bytes, const std::string& stream, uint64_t version,
                             CatalogState* out);

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_SNAPSHOT_CODEC_H_
