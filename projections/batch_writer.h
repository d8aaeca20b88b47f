// BatchWriter: writes one RowBatch and the projector checkpoint in ONE transaction.
//
// This is the exactly-once point of the projector: the rows of log positions
// (from, to] and `projector_checkpoint.position = to` commit together or not at
// all. The transaction first locks the checkpoint row (SELECT .. FOR UPDATE) and
// checks it still says `from`; if another process moved it (a second projector,
// a rebuild switching schemas) nothing is written and kConflict is returned, so
// the caller re-reads the checkpoint and starts again from there.
//
// Rows reach the tables by COPY (projections/row_batch.h): straight into
// append-only tables and for new keys; through per-session temp tables plus one
// UPDATE .. FROM for keys known to exist (checked: one row updated per staged row,
// else kCorruption) and one INSERT .. ON CONFLICT for the others. That keeps a
// batch to a few round trips whatever its size. The transaction turns hash and
// merge joins off (SET LOCAL) so that UPDATE .. FROM probes the primary key per
// staged row instead of scanning the whole table.
//
// Thread-safety: none; one BatchWriter per PgClient.
#ifndef ACCRUE_PROJECTIONS_BATCH_WRITER_H_
#define ACCRUE_PROJECTIONS_BATCH_WRITER_H_

#include <cstdint>
#include <string>

#include "events/status.h"
#include "projections/pg_client.h"
#include "projections/row_batch.h"

namespace accrue::projections {

// The name of the read models' projector in projector_checkpoint.
inline constexpr const char* kProjectorName = "read_models";
// Advisory lock key: batches hold it shared, a rebuild's schema switch exclusive,
// so no batch is half-way through when the schemas are renamed ('acsw').
inline constexpr int64_t kSwitchLockKey = 0x61637377;

struct BatchMeta {
  uint64_t from_position = 0;  // the checkpoint the batch starts after
  uint64_t to_position = 0;    // the last position the batch covers (> from)
  int64_t last_event_at_us = 0;  // recorded_at of the event at to_position
  uint64_t head_position = 0;  // the log's last position when the batch was read
  uint64_t events = 0;         // events in (from, to]
  std::string last_event_hash_hex;  // the hash of the event at to_position (log identity)
};

struct Checkpoint {
  uint64_t position = 0;
  uint64_t head_position = 0;
  std::string event_hash_hex;  // of the event at `position`; empty when not stored
};

class BatchWriter {
 public:
  explicit BatchWriter(PgClient* client) : client_(client) {}

  // Creates the checkpoint row (position 0) when missing and the session's temp
  // staging tables. Call once per connection, after ApplyMigrations.
  Status Prepare();
  // The checkpoint as stored.
  Result<Checkpoint> ReadCheckpoint();
  // Writes `rows` and moves the checkpoint from meta.from to meta.to atomically.
  // kConflict when the stored checkpoint is not meta.from_position.
  Status Apply(const RowBatch& rows, const BatchMeta& meta);

 private:
  PgClient* client_;
};

}  // namespace accrue::projections

#endif  // ACCRUE_PROJECTIONS_BATCH_WRITER_H_
