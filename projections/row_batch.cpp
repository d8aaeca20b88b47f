#include "projections/row_batch.h"

#include <algorithm>
#include <charconv>

#include "events/assert.h"

namespace accrue::projections {

const std::array<TableSpec, kTableCount>& TableSpecs() {
  static const std::array<TableSpec, kTableCount> specs = {{
      {"currencies", {"code", "exponent"}, 1, WriteMode::kUpsert},
      {"plans",
       {"tenant", "plan_id", "currency", "interval", "interval_count", "amount", "position"},
       2, WriteMode::kUpsert},
      {"plan_meters", {"tenant", "plan_id", "meter", "unit_price"}, 3, WriteMode::kUpsert},
      {"accounts",
       {"tenant", "account_id", "currency", "timezone", "status", "amount_due", "credit",
        "updated_position"},
       2, WriteMode::kUpsert, 0, true},
      {"subscriptions",
       {"tenant", "subscription_id", "account_id", "plan_id", "quantity", "status", "start_at",
        "end_date", "invoiced_periods"},
       2, WriteMode::kUpsert, 0, true},
      {"invoices",
       {"tenant", "invoice_id", "account_id", "number", "issued_at", "status", "total",
        "amount_due", "credited", "currency", "is_reversal"},
       2, WriteMode::kUpsert, 0, true},
      {"invoice_lines",
       {"tenant", "invoice_id", "line_no", "kind", "subscription_id", "meter", "payment_id",
        "plan_id", "period_start", "period_end", "quantity", "amount", "currency"},
       3, WriteMode::kInsert},
      {"payments",
       {"tenant", "payment_id", "account_id", "amount", "refunded", "currency", "received_at",
        "external_ref", "reversed"},
       2, WriteMode::kUpsert, 0, true},
      {"payment_applications",
       {"tenant", "payment_id", "application_no", "invoice_id", "amount"}, 3,
       WriteMode::kInsert},
      {"credit_applications",
       {"position", "application_no", "tenant", "account_id", "invoice_id", "amount"}, 2,
       WriteMode::kInsert},
      {"credit_notes",
       {"tenant", "credit_note_id", "invoice_id", "account_id", "amount", "applied", "to_credit",
        "reason", "position"},
       2, WriteMode::kInsert},
      {"refunds", {"tenant", "refund_id", "payment_id", "account_id", "amount", "position"}, 2,
       WriteMode::kInsert},
      {"usage_totals",
       {"tenant", "subscription_id", "meter", "period_start", "period_end", "quantity",
        "records"},
       4, WriteMode::kAccumulate, 1, true},
      {"ledger_entries", {"position", "entry_no", "tenant", "kind", "account_id", "currency"}, 2,
       WriteMode::kInsert},
      {"ledger_postings",
       {"position", "entry_no", "line_no", "tenant", "ledger_account", "currency", "debit",
        "credit"},
       3, WriteMode::kInsert},
      {"ledger_balances", {"tenant", "ledger_account", "currency", "debit", "credit"}, 3,
       WriteMode::kAccumulate, 2, true},
  }};
  return specs;
}

void CopyLine::Separator() {
  if (first_) {
    line_.reserve(kLineReserve);
    first_ = false;
  } else {
    line_ += '\t';
  }
}

CopyLine& CopyLine::Text(std::string_view value) {
  Separator();
  // Runs without a special byte are appended whole.
  std::size_t start = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    // PostgreSQL text holds no NUL (D-9 lets external_ref and reason carry one):
    // it is stored as U+FFFD, the replacement character (docs/read-models.md).
    const char* escaped = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n"
                        : c == '\r' ? "\\r" : c == '\0' ? "\xEF\xBF\xBD" : nullptr;
    if (escaped == nullptr) continue;
    line_.append(value.data() + start, i - start);
    line_ += escaped;
    start = i + 1;
  }
  line_.append(value.data() + start, value.size() - start);
  return *this;
}

CopyLine& CopyLine::Null() {
  Separator();
  line_ += "\\N";
  return *this;
}

CopyLine& CopyLine::Int(long long value) {
  Separator();
  char buffer[24];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  ACCRUE_ASSERT(ec == std::errc(), "integer does not fit its buffer");
  line_.append(buffer, end);
  return *this;
}

void RowBatch::Absorb(RowBatch&& other) {
  for (std::size_t t = 0; t < kTableCount; ++t) {
    using Lists = std::array<std::vector<std::string>, kTableCount>;
    for (auto [mine_lists, their_lists] : {std::pair<Lists*, Lists*>{&lines_, &other.lines_},
                                           {&new_lines_, &other.new_lines_},
                                           {&existing_lines_, &other.existing_lines_}}) {
      auto& mine = (*mine_lists)[t];
      auto& theirs = (*their_lists)[t];
      for (auto& line : theirs) {
        if (static_cast<TableId>(t) == TableId::kCurrencies &&
            std::find(mine.begin(), mine.end(), line) != mine.end()) {
          continue;
        }
        mine.push_back(std::move(line));
        ++rows_;
      }
      theirs.clear();
    }
  }
  other.rows_ = 0;
}

void RowBatch::Clear() {
  for (auto& l : lines_) l.clear();
  for (auto& l : new_lines_) l.clear();
  for (auto& l : existing_lines_) l.clear();
  rows_ = 0;
}

}  // namespace accrue::projections
