#include "projections/batch_writer.h"

#include <string>

namespace accrue::projections {
namespace {

std::string Join(const std::vector<std::string>& items, std::size_t from, std::size_t to,
                 const std::string& prefix = "") {
  std::string out;
  for (std::size_t i = from; i < to; ++i) {
    if (i > from) out += ", ";
    out += prefix + items[i];
  }
  return out;
}

std::string StageName(const TableSpec& spec) { return std::string("stage_") + spec.table; }
std::string ExistingStageName(const TableSpec& spec) {
  return std::string("stage_") + spec.table + "_existing";
}

// The statement that applies staged rows of keys known to exist (AddExisting):
// kUpsert columns are replaced, kAccumulate's summed columns added. The join
// must be a nested loop over the target's primary key (the transaction turns
// hash and merge joins off): the target table grows with the log, the batch not.
std::string UpdateExistingSql(const TableSpec& spec) {
  const auto& c = spec.columns;
  const std::size_t n = c.size();
  const std::size_t k = spec.key_columns;
  const std::size_t first_sum =
      spec.mode == WriteMode::kAccumulate ? n - spec.summed_columns : n;
  std::string sql = std::string("UPDATE ") + spec.table + " t SET ";
  for (std::size_t i = k; i < n; ++i) {
    if (i > k) sql += ", ";
    sql += c[i] + " = " + (i >= first_sum ? "t." + c[i] + " + " : std::string()) + "s." + c[i];
  }
  sql += " FROM " + ExistingStageName(spec) + " s WHERE ";
  for (std::size_t i = 0; i < k; ++i) {
    if (i > 0) sql += " AND ";
    sql += "t." + c[i] + " = s." + c[i];
  }
  return sql;
}

// The statement that moves a staged batch into its table (kUpsert / kAccumulate).
std::string MergeSql(const TableSpec& spec) {
  const auto& c = spec.columns;
  const std::size_t n = c.size();
  const std::size_t k = spec.key_columns;
  std::string sql = std::string("INSERT INTO ") + spec.table + " (" + Join(c, 0, n) + ") ";
  if (spec.mode == WriteMode::kUpsert) {
    sql += "SELECT " + Join(c, 0, n) + " FROM " + StageName(spec);
  } else {
    const std::size_t first_sum = n - spec.summed_columns;
    sql += "SELECT " + Join(c, 0, k);
    for (std::size_t i = k; i < first_sum; ++i) sql += ", max(" + c[i] + ")";
    for (std::size_t i = first_sum; i < n; ++i) sql += ", sum(" + c[i] + ")";
    sql += " FROM " + StageName(spec) + " GROUP BY " + Join(c, 0, k);
  }
  sql += " ON CONFLICT (" + Join(c, 0, k) + ") DO UPDATE SET ";
  const std::size_t first_sum =
      spec.mode == WriteMode::kAccumulate ? n - spec.summed_columns : n;
  for (std::size_t i = k; i < n; ++i) {
    if (i > k) sql += ", ";
    if (i >= first_sum) {
      sql += c[i] + " = " + spec.table + "." + c[i] + " + EXCLUDED." + c[i];
    } else {
      sql += c[i] + " = EXCLUDED." + c[i];
    }
  }
  return sql;
}

std::string InstantSql(int64_t micros) {
  return "(timestamptz '1970-01-01 00:00:00+00' + " + std::to_string(micros) +
         " * interval '1 microsecond')";
}

}  // namespace

Status BatchWriter::Prepare() {
  return client_->InTransaction([&](PgTxn& txn) -> Status {
    txn.Exec(std::string("INSERT INTO projector_checkpoint (projector, position, updated_at) "
                         "VALUES ('") +
             kProjectorName + "', 0, now()) ON CONFLICT (projector) DO NOTHING");
    for (const TableSpec& spec : TableSpecs()) {
      if (spec.mode == WriteMode::kInsert) continue;
      txn.Exec("CREATE TEMP TABLE IF NOT EXISTS " + StageName(spec) +
               " ON COMMIT DELETE ROWS AS SELECT " + Join(spec.columns, 0, spec.columns.size()) +
               " FROM " + spec.table + " WITH NO DATA");
      if (!spec.updates_existing) continue;
      txn.Exec("CREATE TEMP TABLE IF NOT EXISTS " + ExistingStageName(spec) +
               " ON COMMIT DELETE ROWS AS SELECT " + Join(spec.columns, 0, spec.columns.size()) +
               " FROM " + spec.table + " WITH NO DATA");
    }
    return Status::Ok();
  });
}

Result<Checkpoint> BatchWriter::ReadCheckpoint() {
  Checkpoint cp;
  Status s = client_->InTransaction([&](PgTxn& txn) -> Status {
    PgRows rows = txn.Query(std::string("SELECT position, head_position, event_hash FROM projector_checkpoint "
                                        "WHERE projector = '") +
                            kProjectorName + "'");
    if (rows.empty()) return Status::NotFound("no projector_checkpoint row");
    cp.position = std::stoull(rows[0][0].value_or("0"));
    cp.head_position = std::stoull(rows[0][1].value_or("0"));
    cp.event_hash_hex = rows[0][2].value_or("");
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return cp;
}

Status BatchWriter::Apply(const RowBatch& rows, const BatchMeta& meta) {
  ACCRUE_ASSERT(meta.to_position > meta.from_position, "a batch covers at least one event");
  return client_->InTransaction([&](PgTxn& txn) -> Status {
    // Shared: batches never wait for each other, only for a rebuild's switch.
    txn.Exec("SELECT pg_advisory_xact_lock_shared(" + std::to_string(kSwitchLockKey) + ")");
    PgRows cp = txn.Query(std::string("SELECT position FROM projector_checkpoint "
                                      "WHERE projector = '") +
                          kProjectorName + "' FOR UPDATE");
    if (cp.empty()) return Status::Conflict("projector_checkpoint row is missing");
    const uint64_t stored = std::stoull(cp[0][0].value_or("0"));
    if (stored != meta.from_position) {
      return Status::Conflict("checkpoint moved: stored " + std::to_string(stored) +
                              ", expected " + std::to_string(meta.from_position));
    }
    // Only the UPDATE .. FROM of existing keys joins, and it must probe the
    // target's primary key per staged row (see UpdateExistingSql).
    txn.Exec("SET LOCAL enable_hashjoin = off");
    txn.Exec("SET LOCAL enable_mergejoin = off");
    for (std::size_t t = 0; t < kTableCount; ++t) {
      const TableSpec& spec = TableSpecs()[t];
      const auto& lines = rows.Lines(static_cast<TableId>(t));
      const auto& existing = rows.ExistingLines(static_cast<TableId>(t));
      txn.Copy(spec.table, spec.columns, rows.NewLines(static_cast<TableId>(t)));
      // Each staging table is filled once per transaction and emptied by
      // ON COMMIT DELETE ROWS (or the rollback).
      if (!existing.empty()) {
        ACCRUE_ASSERT(spec.updates_existing, "existing-key rows for a table without them");
        txn.Copy(ExistingStageName(spec), spec.columns, existing);
        const uint64_t updated = txn.Exec(UpdateExistingSql(spec));
        if (updated != existing.size()) {
          // A key the log says exists is missing (or was staged twice): the read
          // models no longer match the log.
          return Status::Corruption(std::string(spec.table) + ": " + std::to_string(updated) +
                                    " rows updated for " + std::to_string(existing.size()) +
                                    " existing keys; rebuild the read models (--rebuild)");
        }
      }
      if (lines.empty()) continue;
      if (spec.mode == WriteMode::kInsert) {
        txn.Copy(spec.table, spec.columns, lines);
      } else {
        txn.Copy(StageName(spec), spec.columns, lines);
        txn.Exec(MergeSql(spec));
      }
    }
    txn.Exec("UPDATE projector_checkpoint SET position = " + std::to_string(meta.to_position) +
             ", updated_at = now(), event_at = " + InstantSql(meta.last_event_at_us) +
             ", head_position = " + std::to_string(meta.head_position) +
             ", event_hash = " + txn.Literal(meta.last_event_hash_hex) +
             ", events_applied = events_applied + " + std::to_string(meta.events) +
             ", rows_written = rows_written + " + std::to_string(rows.rows()) +
             " WHERE projector = '" + kProjectorName + "'");
    return Status::Ok();
  });
}

}  // namespace accrue::projections
