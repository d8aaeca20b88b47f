// Rebuild (projections/projector.h): a fresh schema from position 1, then an
// atomic switch by renaming schemas in one transaction.
#include "projections/batch_writer.h"
#include "projections/pg_client.h"
#include "projections/projector.h"

namespace accrue::projections {

Status Rebuild(events::EventStore* store, ProjectorOptions options, ProjectorProgress* progress) {
  const std::string live = options.schema;
  const std::string fresh = live + "_rebuild";
  const std::string old = live + "_old";

  // An interrupted earlier rebuild leaves a partial schema: start it over.
  {
    auto admin = PgClient::Connect(options.pg_url, live);
    if (!admin.ok()) return admin.status();
    Status s = admin.value()->InTransaction([&](PgTxn& txn) -> Status {
      txn.Exec("DROP SCHEMA IF EXISTS " + QuoteIdentifier(fresh) + " CASCADE");
      return Status::Ok();
    });
    if (!s.ok()) return s;
  }

  ProjectorOptions build = options;
  build.schema = fresh;
  Projector projector(store, build);
  Status built = projector.Run(ProjectMode::kOnce);
  if (progress != nullptr) *progress = projector.progress();
  if (!built.ok()) return built;

  auto admin = PgClient::Connect(options.pg_url, live);
  if (!admin.ok()) return admin.status();
  return admin.value()->InTransaction([&](PgTxn& txn) -> Status {
    // Waits for any live batch in flight; later batches find the new schema, see
    // its checkpoint differ from theirs (kConflict) and carry on from there.
    txn.Exec("SELECT pg_advisory_xact_lock(" + std::to_string(kSwitchLockKey) + ")");
    txn.Exec("DROP SCHEMA IF EXISTS " + QuoteIdentifier(old) + " CASCADE");
    PgRows exists = txn.Query("SELECT 1 FROM pg_namespace WHERE nspname = " + txn.Literal(live));
    if (!exists.empty()) {
      txn.Exec("ALTER SCHEMA " + QuoteIdentifier(live) + " RENAME TO " + QuoteIdentifier(old));
    }
    txn.Exec("ALTER SCHEMA " + QuoteIdentifier(fresh) + " RENAME TO " + QuoteIdentifier(live));
    return Status::Ok();
  });
}

}  // namespace accrue::projections
