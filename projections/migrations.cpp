#include "projections/migrations.h"

#include <string>

#include "projections/pg_client.h"

namespace accrue::projections {
namespace {

// pg_advisory_xact_lock key serialising migrations of every schema ('acrm').
constexpr int64_t kMigrationLockKey = 0x6163726d;

}  // namespace

Result<int> ApplyMigrations(PgClient& client, const std::string& schema) {
  int applied = 0;
  const std::string q_schema = QuoteIdentifier(schema);
  Status s = client.InTransaction([&](PgTxn& txn) -> Status {
    txn.Exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockKey) + ")");
    txn.Exec("CREATE SCHEMA IF NOT EXISTS " + q_schema);
    txn.Exec("SET LOCAL search_path TO " + q_schema);
    txn.Exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY CHECK (version > 0),"
        " name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    PgRows rows = txn.Query("SELECT coalesce(max(version), 0)::text FROM schema_migrations");
    const int current = std::stoi(rows.at(0).at(0).value_or("0"));
    const auto& all = AllMigrations();
    if (current > static_cast<int>(all.size())) {
      return Status::FailedPrecondition("schema " + schema + " is at migration " +
                                        std::to_string(current) + ", newer than this build (" +
                                        std::to_string(all.size()) + ")");
    }
    for (const Migration& m : all) {
      ACCRUE_ASSERT(m.version == &m - all.data() + 1, "migration versions must be 1..n");
      if (m.version <= current) continue;
      txn.Exec(m.sql);
      txn.Exec("INSERT INTO schema_migrations (version, name) VALUES (" +
               std::to_string(m.version) + ", " + txn.Literal(m.name) + ")");
      ++applied;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return applied;
}

}  // namespace accrue::projections
