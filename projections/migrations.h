// Migrations: the versioned SQL that builds a read-model schema (docs/read-models.md).
//
// A schema (the live `accrue`, or `accrue_rebuild` during a rebuild) holds its own
// `schema_migrations(version, name, applied_at)` table. ApplyMigrations creates the
// schema when missing and runs, in version order and each in the same transaction
// as its row in schema_migrations, every migration not recorded there. Concurrent
// callers are serialised by a transaction-scoped advisory lock, so two projectors
// starting together apply each migration once.
//
// Invariants: versions are 1, 2, 3, ... with no gap; a released migration's SQL
// never changes (add a new one instead). A schema recording a version this build
// does not know is refused (kFailedPrecondition: a newer build wrote it).
//
// Thread-safety: AllMigrations() is immutable static data.
#ifndef ACCRUE_PROJECTIONS_MIGRATIONS_H_
#define ACCRUE_PROJECTIONS_MIGRATIONS_H_

#include <string>
#include <vector>

#include "events/status.h"

namespace accrue::projections {

class PgClient;

struct Migration {
  int version;
  const char* name;
  const char* sql;  // unqualified names; run with search_path = the target schema
};

// Every migration, ascending version.
const std::vector<Migration>& AllMigrations();

// Brings `schema` up to the newest version. Returns the number of migrations
// applied (0 when already current). Errors: kUnavailable (Postgres gone; retry),
// kFailedPrecondition (the schema is newer than this build), others from SQL.
Result<int> ApplyMigrations(PgClient& client, const std::string& schema);

}  // namespace accrue::projections

#endif  // ACCRUE_PROJECTIONS_MIGRATIONS_H_
