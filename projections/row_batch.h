// RowBatch: the rows one projector batch writes, as COPY text lines per table.
//
// Each read-model table the projector feeds has a TableSpec: its columns (keys
// first) and how rows reach it:
//   kInsert     COPY straight into the table (append-only: postings, entries);
//   kUpsert     COPY into a session temp table, then INSERT .. ON CONFLICT (keys)
//               DO UPDATE: the row is the entity's whole current state; a key
//               appears at most once per batch (the mapper deduplicates);
//   kAccumulate like kUpsert, but staged rows are grouped by key and the trailing
//               `summed` columns are added to the stored ones (usage totals:
//               records; ledger balances: debit, credit); the other non-key
//               columns take the newest value.
// Besides Add (the key may or may not exist), the mapper can say what it knows
// about a key: AddNew (did not exist before the batch: COPY straight into the
// table) and AddExisting (exists: staged, then one UPDATE .. FROM the staging
// table, which costs about half an INSERT .. ON CONFLICT; the writer checks that
// every staged row updated one row). Only tables with `updates_existing` take
// AddExisting rows, and a key appears at most once among them per batch.
// Tables are written in TableId order; foreign keys are deferred to COMMIT.
//
// Text format (PostgreSQL COPY TEXT): fields separated by a tab, NULL is \N, and
// backslash, tab, newline and carriage return are backslash-escaped. Only those
// ASCII bytes are touched, so UTF-8 passes through unchanged.
//
// Thread-safety: plain values.
#ifndef ACCRUE_PROJECTIONS_ROW_BATCH_H_
#define ACCRUE_PROJECTIONS_ROW_BATCH_H_

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accrue::projections {

enum class WriteMode { kInsert, kUpsert, kAccumulate };

enum class TableId : std::size_t {
  kCurrencies = 0,
  kPlans,
  kPlanMeters,
  kAccounts,
  kSubscriptions,
  kInvoices,
  kInvoiceLines,
  kPayments,
  kPaymentApplications,
  kCreditApplications,
  kCreditNotes,
  kRefunds,
  kUsageTotals,
  kLedgerEntries,
  kLedgerPostings,
  kLedgerBalances,
};
inline constexpr std::size_t kTableCount = 16;

struct TableSpec {
  const char* table;
  std::vector<std::string> columns;  // keys first
  std::size_t key_columns;
  WriteMode mode;
  std::size_t summed_columns = 0;  // kAccumulate: the last n columns are added
  bool updates_existing = false;   // takes AddExisting rows
};

// The spec of every table, indexed by TableId.
const std::array<TableSpec, kTableCount>& TableSpecs();
inline const TableSpec& Spec(TableId id) { return TableSpecs()[static_cast<std::size_t>(id)]; }

// Builds one COPY line field by field.
class CopyLine {
 public:
  CopyLine& Text(std::string_view value);            // escaped
  CopyLine& Null();                                  // \N
  CopyLine& OptText(const std::optional<std::string>& value) {
    return value ? Text(*value) : Null();
  }
  CopyLine& Int(long long value);
  std::string Take() { return std::move(line_); }

 private:
  static constexpr std::size_t kLineReserve = 128;  // most rows fit: one allocation
  void Separator();
  std::string line_;
  bool first_ = true;
};

class RowBatch {
 public:
  void Add(TableId table, std::string line) {
    lines_[static_cast<std::size_t>(table)].push_back(std::move(line));
    ++rows_;
  }
  // A row of a kUpsert table whose key did not exist before this batch (an entity
  // created by one of its events): it is COPY'd straight into the table, skipping
  // the staging pass. The caller guarantees the key is new.
  void AddNew(TableId table, std::string line) {
    new_lines_[static_cast<std::size_t>(table)].push_back(std::move(line));
    ++rows_;
  }
  // A row of an `updates_existing` table whose key exists before this batch
  // (folded from earlier, committed events); at most one per key per batch.
  void AddExisting(TableId table, std::string line) {
    existing_lines_[static_cast<std::size_t>(table)].push_back(std::move(line));
    ++rows_;
  }
  const std::vector<std::string>& ExistingLines(TableId table) const {
    return existing_lines_[static_cast<std::size_t>(table)];
  }
  const std::vector<std::string>& NewLines(TableId table) const {
    return new_lines_[static_cast<std::size_t>(table)];
  }
  const std::vector<std::string>& Lines(TableId table) const {
    return lines_[static_cast<std::size_t>(table)];
  }
  std::size_t rows() const { return rows_; }
  bool empty() const { return rows_ == 0; }
  void Clear();
  // Moves every row of `other` into this batch (other is left empty). A
  // kCurrencies line already here is dropped: each mapper shard writes the
  // currencies it meets, and a kUpsert key may appear only once per batch.
  void Absorb(RowBatch&& other);

 private:
  std::array<std::vector<std::string>, kTableCount> lines_;
  std::array<std::vector<std::string>, kTableCount> new_lines_;
  std::array<std::vector<std::string>, kTableCount> existing_lines_;
  std::size_t rows_ = 0;
};

}  // namespace accrue::projections

#endif  // ACCRUE_PROJECTIONS_ROW_BATCH_H_
