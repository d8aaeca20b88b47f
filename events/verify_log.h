// VerifyLog: walks the whole event log and reports the first problem.
//
// Checks, in one pass over events by position (pages of kVerifyPageSize, so
// memory is bounded by the number of streams, never by events):
//  - positions are gapless from 1 up to LastPosition();
//  - every envelope decodes and its hash is SHA-256(prev_hash || envelope
//    without hash) and prev_hash is the previous envelope's hash (the chain);
//  - stream versions are gapless from 1 per stream;
//  - the payload decodes (pluggable: options.check_payload, e.g. the domain's
//    protobuf decoding; by default only the envelope is checked).
// And one pass over the stream index (ScanStreamIndex, on its own thread while
// pass 1 runs): for each stream the index holds versions 1..n, each pointing at
// the position where pass 1 saw that (stream, version), compared at the end
// through a per-stream digest of positions.
// With options.check_records, one more pass over the claims and the idempotency
// records (ScanClaims, ScanIdempotency, on a third thread meanwhile): every
// claim's owning stream has events, no record names a position past the log's
// end, and every block of both tables is read (so damage there is found,
// kCorruption). `accrue log verify` turns it on: it reads about two records per
// event and costs about a third more time (1.3 M instead of 1.8 M events/s on
// the 1 M-event demo log in page cache; budgets.md asks >= 1 M).
// Pages are read, decoded and hashed by kVerifyReaders threads and checked in
// order by the calling thread (docs/event-log-format.md, "Verification").
//
// Thread-safety: reads the store concurrently with writers; events appended
// after the walk starts are not verified.
#ifndef ACCRUE_EVENTS_VERIFY_LOG_H_
#define ACCRUE_EVENTS_VERIFY_LOG_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "events/envelope_codec.h"
#include "events/event_store.h"
#include "events/status.h"

namespace accrue::events {

inline constexpr std::size_t kVerifyPageSize = 4096;
// Threads that read pages (and decode and hash their envelopes) for the checks,
// each at most kVerifyPagesAhead pages ahead: with the checker and the index
// scan they keep both cores of the reference machine busy, and memory stays
// bounded by kVerifyReaders * (kVerifyPagesAhead + 1) pages.
inline constexpr std::size_t kVerifyReaders = 2;
inline constexpr std::size_t kVerifyPagesAhead = 2;

struct VerifyOptions {
  // Called for every event whose envelope is sound (views into the stored
  // bytes, valid during the call); non-ok marks it bad.
  std::function<Status(const EnvelopeFields&)> check_payload;
  // Called every progress_every events with (verified so far, total).
  std::function<void(uint64_t done, uint64_t total)> progress;
  uint64_t progress_every = 100'000;
  // Pass 3: the claims and idempotency records (`accrue log verify` sets it).
  bool check_records = false;
};

struct VerifyReport {
  bool ok = true;
  uint64_t events = 0;         // events verified
  uint64_t streams = 0;
  uint64_t claims = 0;               // claims read (pass 3; 0 when the store cannot scan them)
  uint64_t idempotency_records = 0;  // idempotency records read (pass 3)
  uint64_t last_position = 0;
  std::string head_hash;       // hash of the last event (raw bytes), empty if none
  uint64_t first_bad_position = 0;  // when !ok (0 if the problem has no position)
  std::string reason;               // when !ok
};

// Returns a report (ok or the first bad position and why), or a Status when
// the store could not be read at all (e.g. an I/O error).
Result<VerifyReport> VerifyLog(EventStore& store, const VerifyOptions& options);

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_VERIFY_LOG_H_
