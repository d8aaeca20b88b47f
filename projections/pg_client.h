// PgClient: the one libpqxx (6.4) adapter of projections/.
//
// Everything that talks to Postgres goes through PgClient::InTransaction: it opens
// one transaction, runs the caller's body with a PgTxn, commits, and translates
// every exception libpqxx (or the body) throws into a Status at ONE place
// (TranslatePgException):
//   broken_connection, SQLSTATE 08xxx, 57P0x (shutdown), 53xxx (disk full, out of
//   memory, too many connections)             -> kUnavailable  (reconnect, retry)
//   in_doubt_error (COMMIT outcome unknown)    -> kUnavailable  (the checkpoint row
//                                                 read by the next batch decides)
//   40001 / 40P01 (serialization, deadlock)    -> kConflict     (retry the batch)
//   23xxx / 22xxx (constraint, bad data)       -> kCorruption   (a bad event: stop)
//   anything else                              -> kInternal
// After a kUnavailable the client is unusable (broken() is true); make a new one.
//
// PgTxn's methods throw (they are thin wrappers over libpqxx) and may only be
// called inside an InTransaction body, where the adapter catches.
//
// Thread-safety: one PgClient per thread; it owns one connection.
#ifndef ACCRUE_PROJECTIONS_PG_CLIENT_H_
#define ACCRUE_PROJECTIONS_PG_CLIENT_H_

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/status.h"

namespace pqxx {
class transaction_base;
}  // namespace pqxx

namespace accrue::projections {

// Query results as text; nullopt is SQL NULL.
using PgRow = std::vector<std::optional<std::string>>;
using PgRows = std::vector<PgRow>;

class PgTxn {
 public:
  static constexpr std::size_t kCopyChunkBytes = 256 * 1024;

  explicit PgTxn(pqxx::transaction_base& txn) : txn_(txn) {}

  // Runs one or more statements; returns the last one's rows as text.
  PgRows Query(const std::string& sql);
  // Runs a statement; returns the number of rows it affected.
  uint64_t Exec(const std::string& sql);
  // COPY table (columns) FROM STDIN with pre-escaped text-format lines
  // (projections/copy_text.h), one row each, no trailing newline. Sent to
  // libpq in chunks of about kCopyChunkBytes.
  void Copy(const std::string& table, const std::vector<std::string>& columns,
            const std::vector<std::string>& lines);
  // A quoted SQL literal ('it''s').
  std::string Literal(std::string_view text);

 private:
  pqxx::transaction_base& txn_;
};

class PgClient {
 public:
  // Connects to `url` and sets search_path to `schema` for the session.
  // kUnavailable when Postgres cannot be reached.
  static Result<std::unique_ptr<PgClient>> Connect(const std::string& url,
                                                   const std::string& schema);
  ~PgClient();
  PgClient(const PgClient&) = delete;
  PgClient& operator=(const PgClient&) = delete;

  // Runs body in one transaction and commits it. Ok only when the COMMIT
  // succeeded; a non-ok Status from the body rolls back and is returned as is.
  Status InTransaction(const std::function<Status(PgTxn&)>& body);
  // Runs one statement outside any transaction block (CREATE DATABASE, ...).
  Status ExecAutocommit(const std::string& sql);

  const std::string& schema() const { return schema_; }
  // True after a connection-level failure; the client must be replaced.
  bool broken() const { return broken_; }

 private:
  struct Connection;  // wraps pqxx::connection (a typedef in libpqxx 6)
  PgClient(std::unique_ptr<Connection> conn, std::string schema);
  Status Translate(std::exception_ptr e);

  std::unique_ptr<Connection> conn_;
  std::string schema_;
  bool broken_ = false;
};

// The single mapping of libpqxx exceptions to Status (see the table above).
// `*connection_lost` is set when the connection can no longer be used.
Status TranslatePgException(std::exception_ptr e, bool* connection_lost);

// A SQL identifier in double quotes ("accrue_rebuild").
std::string QuoteIdentifier(std::string_view name);

}  // namespace accrue::projections

#endif  // ACCRUE_PROJECTIONS_PG_CLIENT_H_
