// Rebuild (projections/projector.h): a fresh schema from position 1, then an
// atomic switch by renaming schemas in one transaction.
//
// Readers outside the read models keep reading the live data across the switch
// (read-model audit, 2026-12-06: a finance team's own view over accrue.invoices
// followed the renamed schema to accrue_old and froze, the next rebuild's DROP
// SCHEMA .. CASCADE deleted it, and the fresh schema had none of the grants):
//  - views in other schemas that read the live schema are re-pointed at the new
//    one (CREATE OR REPLACE VIEW with their definition, keeping their options);
//  - grants on the live schema, its tables, views and functions are copied;
//  - what cannot be re-pointed (a materialized view, a foreign key from another
//    schema) or still reads the previous copy stops the switch with
//    kFailedPrecondition naming it, before anything changed.
#include <algorithm>
#include <string>
#include <vector>

#include "projections/batch_writer.h"
#include "projections/pg_client.h"
#include "projections/projector.h"

namespace accrue::projections {
namespace {

// `names` as an SQL list of literals: ('a', 'b').
std::string LiteralList(PgTxn& txn, const std::vector<std::string>& names) {
  std::string out = "(";
  for (const auto& n : names) out += (out.size() > 1 ? ", " : "") + txn.Literal(n);
  return out + ")";
}

// Relations of other schemas whose rewrite rules (views, materialized views) read
// a relation or function of `schema`: oid, schema, name, relkind.
std::string DependentsSql(PgTxn& txn, const std::string& schema, const std::vector<std::string>& ours) {
  const std::string own = LiteralList(txn, ours);
  return "SELECT DISTINCT v.oid::text, vn.nspname, v.relname, v.relkind::text "
         "FROM pg_depend d "
         "JOIN pg_rewrite rw ON d.classid = 'pg_rewrite'::regclass AND rw.oid = d.objid "
         "JOIN pg_class v ON v.oid = rw.ev_class "
         "JOIN pg_namespace vn ON vn.oid = v.relnamespace "
         "WHERE vn.nspname NOT IN " + own +
         " AND ((d.refclassid = 'pg_class'::regclass AND d.refobjid IN (SELECT c.oid FROM pg_class c "
         "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = " + txn.Literal(schema) + ")) "
         "OR (d.refclassid = 'pg_proc'::regclass AND d.refobjid IN (SELECT p.oid FROM pg_proc p "
         "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = " + txn.Literal(schema) + "))) "
         "ORDER BY 1";
}

// Foreign keys of other schemas' tables that reference a table of `schema`.
std::string ForeignKeysSql(PgTxn& txn, const std::string& schema, const std::vector<std::string>& ours) {
  const std::string own = LiteralList(txn, ours);
  return "SELECT cn.nspname, c.relname, con.conname FROM pg_constraint con "
         "JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace "
         "WHERE con.contype = 'f' AND cn.nspname NOT IN " + own +
         " AND con.confrelid IN (SELECT c2.oid FROM pg_class c2 JOIN pg_namespace n ON n.oid = c2.relnamespace "
         "WHERE n.nspname = " + txn.Literal(schema) + ")";
}

std::string Qualified(const std::string& schema, const std::string& name) {
  return QuoteIdentifier(schema) + "." + QuoteIdentifier(name);
}

// `grantee` of aclexplode as SQL: PUBLIC or the quoted role name.
constexpr const char* kGranteeSql =
    "CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END";

// GRANT statements that give `to`'s schema, relations and functions the grants
// `from`'s have (the owner's own are implicit).
std::vector<std::string> CopyGrants(PgTxn& txn, const std::string& from, const std::string& to) {
  std::vector<std::string> out;
  auto with_option = [](const PgRow& r, std::size_t i) {
    return r[i].value_or("f") == "t" ? std::string(" WITH GRANT OPTION") : std::string();
  };
  for (const PgRow& r : txn.Query(std::string("SELECT a.privilege_type, a.is_grantable::text, ") + kGranteeSql +
                                  " FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a "
                                  "WHERE n.nspname = " + txn.Literal(from) + " AND a.grantee <> n.nspowner")) {
    out.push_back("GRANT " + r[0].value_or("") + " ON SCHEMA " + QuoteIdentifier(to) + " TO " + r[2].value_or("") +
                  with_option(r, 1));
  }
  for (const PgRow& r : txn.Query(std::string("SELECT c.relname, a.privilege_type, a.is_grantable::text, ") +
                                  kGranteeSql +
                                  " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                  "CROSS JOIN LATERAL aclexplode(c.relacl) a WHERE n.nspname = " + txn.Literal(from) +
                                  " AND c.relkind IN ('r', 'v', 'm', 'p', 'S') AND a.grantee <> c.relowner "
                                  "AND EXISTS (SELECT 1 FROM pg_class c2 JOIN pg_namespace n2 ON n2.oid = "
                                  "c2.relnamespace WHERE n2.nspname = " + txn.Literal(to) +
                                  " AND c2.relname = c.relname)")) {
    out.push_back("GRANT " + r[1].value_or("") + " ON " + Qualified(to, r[0].value_or("")) + " TO " +
                  r[3].value_or("") + with_option(r, 2));
  }
  // Functions: EXECUTE is PUBLIC's by default (a NULL ACL); one whose ACL was
  // changed gets exactly that ACL.
  for (const PgRow& r : txn.Query(std::string("SELECT quote_ident(p.proname) || '(' || "
                                              "pg_get_function_identity_arguments(p.oid) || ')', "
                                              "a.privilege_type, a.is_grantable::text, ") + kGranteeSql +
                                  " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                                  "CROSS JOIN LATERAL aclexplode(p.proacl) a WHERE n.nspname = " + txn.Literal(from) +
                                  " AND EXISTS (SELECT 1 FROM pg_proc p2 JOIN pg_namespace n2 ON n2.oid = "
                                  "p2.pronamespace WHERE n2.nspname = " + txn.Literal(to) +
                                  " AND p2.proname = p.proname AND pg_get_function_identity_arguments(p2.oid) = "
                                  "pg_get_function_identity_arguments(p.oid))")) {
    const std::string fn = QuoteIdentifier(to) + "." + r[0].value_or("");
    const std::string revoke = "REVOKE ALL ON FUNCTION " + fn + " FROM PUBLIC";
    if (std::find(out.begin(), out.end(), revoke) == out.end()) out.push_back(revoke);
    out.push_back("GRANT " + r[1].value_or("") + " ON FUNCTION " + fn + " TO " + r[3].value_or("") +
                  with_option(r, 2));
  }
  return out;
}

// The switch, in the caller's transaction (holding the switch lock).
Status Switch(PgTxn& txn, const std::string& live, const std::string& fresh, const std::string& old) {
  const std::vector<std::string> ours = {live, fresh, old};
  // Definitions print every name schema-qualified ("accrue.invoices"), so each
  // view's text reads the live schema's name, whichever schema holds it.
  txn.Exec("SET LOCAL search_path TO pg_catalog");
  auto listed = [](const PgRows& rows, std::size_t a, std::size_t b) {
    std::string s;
    for (const PgRow& r : rows) s += (s.empty() ? "" : ", ") + r[a].value_or("") + "." + r[b].value_or("");
    return s;
  };
  PgRows old_exists = txn.Query("SELECT 1 FROM pg_namespace WHERE nspname = " + txn.Literal(old));
  if (!old_exists.empty()) {
    PgRows on_old = txn.Query(DependentsSql(txn, old, ours));
    PgRows fk_old = txn.Query(ForeignKeysSql(txn, old, ours));
    if (!on_old.empty() || !fk_old.empty()) {
      return Status::FailedPrecondition(
          "objects outside the read models use the previous copy " + old + " (" + listed(on_old, 1, 2) +
          (fk_old.empty() ? "" : " foreign keys: " + listed(fk_old, 0, 2)) + "): drop them or point them at " +
          live + ", then rebuild again; dropping " + old + " would drop them");
    }
  }
  PgRows dependents = txn.Query(DependentsSql(txn, live, ours));
  PgRows fks = txn.Query(ForeignKeysSql(txn, live, ours));
  PgRows fixed;  // what CREATE OR REPLACE VIEW cannot re-point
  for (const PgRow& r : dependents) {
    if (r[3].value_or("") != "v") fixed.push_back(r);
  }
  if (!fixed.empty() || !fks.empty()) {
    return Status::FailedPrecondition(
        "objects outside the read models cannot follow the switch (" + listed(fixed, 1, 2) +
        (fks.empty() ? "" : " foreign keys: " + listed(fks, 0, 2)) +
        "): drop them, rebuild, and create them again");
  }
  struct View {
    std::string schema, name, options, definition;
  };
  std::vector<View> views;
  for (const PgRow& r : dependents) {
    PgRows def = txn.Query("SELECT pg_get_viewdef(" + r[0].value_or("0") +
                           "::oid), coalesce(array_to_string(reloptions, ', '), '') FROM pg_class WHERE oid = " +
                           r[0].value_or("0"));
    views.push_back(View{r[1].value_or(""), r[2].value_or(""), def[0][1].value_or(""), def[0][0].value_or("")});
  }
  const std::vector<std::string> grants = CopyGrants(txn, live, fresh);
  for (const std::string& g : grants) txn.Exec(g);
  txn.Exec("DROP SCHEMA IF EXISTS " + QuoteIdentifier(old) + " CASCADE");
  PgRows exists = txn.Query("SELECT 1 FROM pg_namespace WHERE nspname = " + txn.Literal(live));
  if (!exists.empty()) {
    txn.Exec("ALTER SCHEMA " + QuoteIdentifier(live) + " RENAME TO " + QuoteIdentifier(old));
  }
  txn.Exec("ALTER SCHEMA " + QuoteIdentifier(fresh) + " RENAME TO " + QuoteIdentifier(live));
  for (const View& v : views) {
    txn.Exec("CREATE OR REPLACE VIEW " + Qualified(v.schema, v.name) +
             (v.options.empty() ? "" : " WITH (" + v.options + ")") + " AS " + v.definition);
  }
  return Status::Ok();
}

}  // namespace

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
    return Switch(txn, live, fresh, old);
  });
}

}  // namespace accrue::projections
