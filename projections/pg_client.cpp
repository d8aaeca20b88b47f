#include "projections/pg_client.h"

#include <libpq-fe.h>
#include <pqxx/pqxx>
#include <pqxx/tablewriter>

#include <array>
#include <string_view>

namespace accrue::projections {

PgRows PgTxn::Query(const std::string& sql) {
  pqxx::result r = txn_.exec(sql);
  PgRows rows;
  rows.reserve(r.size());
  for (const auto& row : r) {
    PgRow out;
    out.reserve(row.size());
    for (const auto& field : row) {
      if (field.is_null()) {
        out.emplace_back(std::nullopt);
      } else {
        out.emplace_back(std::string(field.c_str(), field.size()));
      }
    }
    rows.push_back(std::move(out));
  }
  return rows;
}

uint64_t PgTxn::Exec(const std::string& sql) {
  return static_cast<uint64_t>(txn_.exec(sql).affected_rows());
}

void PgTxn::Copy(const std::string& table, const std::vector<std::string>& columns,
                 const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  // tablewriter is the 6.4 class that accepts pre-escaped lines (write_raw_line);
  // the rows are escaped by copy_text.h, which handles UTF-8 safely (only ASCII
  // control characters and backslash are escaped).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  pqxx::tablewriter writer(txn_, table, columns.begin(), columns.end());
#pragma GCC diagnostic pop
  // Lines are sent in chunks of whole lines joined by newlines (write_raw_line
  // ends each chunk with one), so libpq is called once per chunk, not per row.
  std::string chunk;
  chunk.reserve(kCopyChunkBytes + kCopyChunkBytes / 8);
  for (const auto& line : lines) {
    if (!chunk.empty()) chunk += '\n';
    chunk += line;
    if (chunk.size() >= kCopyChunkBytes) {
      writer.write_raw_line(chunk);
      chunk.clear();
    }
  }
  if (!chunk.empty()) writer.write_raw_line(chunk);
  writer.complete();
}

std::string PgTxn::Literal(std::string_view text) {
  // standard_conforming_strings is on (the default since PostgreSQL 9.1): inside
  // '...' only the quote itself needs doubling. (libpqxx's quote() trips a GCC 12
  // -Wrestrict false positive at -O3.)
  std::string out = "'";
  for (char c : text) {
    ACCRUE_ASSERT(c != '\0', "SQL literal with a NUL byte");
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

namespace {

// libpq's messages end in a newline; a log field should not.
std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Status TranslatePgException(std::exception_ptr e, bool* connection_lost) {
  *connection_lost = false;
  try {
    std::rethrow_exception(e);
  } catch (const pqxx::in_doubt_error& ex) {
    *connection_lost = true;
    return Status::Unavailable("postgres: commit outcome unknown: " + Trimmed(ex.what()));
  } catch (const pqxx::broken_connection& ex) {
    *connection_lost = true;
    return Status::Unavailable("postgres unreachable: " + Trimmed(ex.what()));
  } catch (const pqxx::sql_error& ex) {
    const std::string state = ex.sqlstate();
    const std::string what = "postgres [" + state + "]: " + ex.what();
    auto klass = [&](const char* prefix) { return state.rfind(prefix, 0) == 0; };
    if (klass("08") || klass("57P") || klass("53") || klass("58")) {
      *connection_lost = true;
      return Status::Unavailable(what);
    }
    if (state == "40001" || state == "40P01") return Status::Conflict(what);
    if (klass("23") || klass("22")) return Status::Corruption(what);
    if (state.empty()) {
      // libpqxx raises sql_error without a state when the server went away mid-query.
      *connection_lost = true;
      return Status::Unavailable(what);
    }
    return Status::Internal(what);
  } catch (const pqxx::failure& ex) {
    *connection_lost = true;
    return Status::Unavailable(std::string("postgres: ") + ex.what());
  } catch (const std::exception& ex) {
    return Status::Internal(std::string("postgres adapter: ") + ex.what());
  } catch (...) {
    return Status::Internal("postgres adapter: unknown exception");
  }
}

namespace {

// Connection failures no retry can cure: the URL names a role or database that
// does not exist, the server refuses the credentials, or libpq rejects an option
// value. Matched on libpq's and the server's message texts (English, as the
// server's lc_messages is by default); anything else counts as an outage and is
// retried (Projector::Run). Until 2026-12-06 a typo in --pg was retried for 600 s
// with --once and forever with --follow (read-model audit).
bool IsPermanentConnectFailure(std::string_view message) {
  static constexpr std::array<std::string_view, 8> kPermanent = {
      "does not exist",          // FATAL: role / database "x" does not exist
      "authentication failed",   // password / peer / ident
      "no pg_hba.conf entry",    // the server refuses this role or host
      "invalid sslmode value",   // libpq option values
      "invalid port number",
      "invalid integer value",
      "invalid connection option",
      "invalid target_session_attrs value",
  };
  for (std::string_view p : kPermanent) {
    if (message.find(p) != std::string_view::npos) return true;
  }
  return false;
}

// The URL's syntax, checked by libpq before any connection attempt; the error
// when it does not parse.
std::optional<std::string> ConnectionStringError(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options != nullptr) {
    PQconninfoFree(options);
    return std::nullopt;
  }
  std::string message = Trimmed(error != nullptr ? error : "out of memory");
  if (error != nullptr) PQfreemem(error);
  return message;
}

}  // namespace

struct PgClient::Connection {
  explicit Connection(const std::string& url) : conn(url) {}
  pqxx::connection conn;
};

PgClient::PgClient(std::unique_ptr<Connection> conn, std::string schema)
    : conn_(std::move(conn)), schema_(std::move(schema)) {}

PgClient::~PgClient() = default;

Result<std::unique_ptr<PgClient>> PgClient::Connect(const std::string& url,
                                                    const std::string& schema) {
  if (auto bad = ConnectionStringError(url)) {
    return Status::InvalidArgument("the postgres URL does not parse: " + *bad);
  }
  try {
    auto conn = std::make_unique<Connection>(url);
    {
      pqxx::nontransaction tx(conn->conn);
      tx.exec("SET search_path TO " + QuoteIdentifier(schema));
      // Read models are derived data with their checkpoint in the same transaction:
      // a server crash may lose the last commits, but only whole ones (checkpoint
      // included), and the projector re-projects them from the log. So the commit
      // need not wait for the WAL flush (docs/read-models.md "Failure modes").
      tx.exec("SET synchronous_commit TO off");
    }
    return std::unique_ptr<PgClient>(new PgClient(std::move(conn), schema));
  } catch (...) {
    bool lost = false;
    Status s = TranslatePgException(std::current_exception(), &lost);
    if (s.code() == StatusCode::kUnavailable && IsPermanentConnectFailure(s.message())) {
      return Status::FailedPrecondition("cannot connect to postgres, and retrying would not help: " + s.message());
    }
    return s;
  }
}

Status PgClient::Translate(std::exception_ptr e) {
  bool lost = false;
  Status s = TranslatePgException(e, &lost);
  if (lost) broken_ = true;
  return s;
}

Status PgClient::InTransaction(const std::function<Status(PgTxn&)>& body) {
  if (broken_) return Status::Unavailable("postgres connection was lost");
  try {
    pqxx::work tx(conn_->conn);
    PgTxn txn(tx);
    Status s = body(txn);
    if (!s.ok()) {
      tx.abort();
      return s;
    }
    tx.commit();
    return Status::Ok();
  } catch (...) {
    return Translate(std::current_exception());
  }
}

Status PgClient::ExecAutocommit(const std::string& sql) {
  if (broken_) return Status::Unavailable("postgres connection was lost");
  try {
    pqxx::nontransaction tx(conn_->conn);
    tx.exec(sql);
    return Status::Ok();
  } catch (...) {
    return Translate(std::current_exception());
  }
}

}  // namespace accrue::projections
