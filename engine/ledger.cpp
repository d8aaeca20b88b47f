#include "engine/ledger.h"

#include "events/assert.h"

namespace accrue::engine {
namespace {

class EntryBuilder {
 public:
  // A signed amount: > 0 debits, < 0 credits the account.
  void Debit(std::string account, Int128 amount) {
    if (amount == 0) return;
    Posting p;
    p.ledger_account = std::move(account);
    if (amount > 0) {
      p.debit = amount;
    } else {
      p.credit = -amount;
    }
    entry_.postings.push_back(std::move(p));
  }
  void Credit(std::string account, Int128 amount) { Debit(std::move(account), -amount); }

  std::optional<JournalEntry> Done() {
    Int128Sum debits;  // an invoice's +1e38, +1e38, -1e38 lines post 2e38 on each side
    Int128Sum credits;
    for (const Posting& p : entry_.postings) {
      debits.Add(p.debit);
      credits.Add(p.credit);
    }
    ACCRUE_ASSERT(debits == credits, "every journal entry balances (R-L)");
    if (entry_.postings.empty()) return std::nullopt;
    return std::move(entry_);
  }

 private:
  JournalEntry entry_;
};

const char* IncomeOf(v1::LineKind kind) {
  return kind == v1::LINE_USAGE ? "income:usage" : "income:subscriptions";  // D-46
}

}  // namespace

std::optional<JournalEntry> LedgerEntry(const std::string& account_id, const v1::BillingEvent& e) {
  const std::string receivable = "assets:receivable:" + account_id;
  const std::string credit = "liabilities:credit:" + account_id;
  EntryBuilder b;
  using E = v1::BillingEvent;
  switch (e.event_case()) {
    case E::kInvoiceIssued: {  // R-L1, R-I4 (D-46)
      const auto& inv = e.invoice_issued();
      Int128 total = ParseMinor(inv.total());
      for (const auto& line : inv.lines()) b.Credit(IncomeOf(line.kind()), ParseMinor(line.amount()));
      if (total >= 0) {
        b.Debit(receivable, total);
      } else {
        b.Credit(credit, -total);
      }
      break;
    }
    case E::kCreditApplied:  // D-36
      for (const auto& a : e.credit_applied().applications()) {
        b.Debit(credit, ParseMinor(a.amount()));
        b.Credit(receivable, ParseMinor(a.amount()));
      }
      break;
    case E::kPaymentReceived: {  // R-L2
      const auto& p = e.payment_received();
      b.Debit("assets:cash", ParseMinor(p.amount()));
      b.Credit(credit, ParseMinor(p.amount()));
      for (const auto& a : p.applied()) {
        b.Debit(credit, ParseMinor(a.amount()));
        b.Credit(receivable, ParseMinor(a.amount()));
      }
      break;
    }
    case E::kCreditNoteIssued: {  // R-L3, D-40
      const auto& c = e.credit_note_issued();
      b.Debit("income:credit_notes", ParseMinor(c.amount()));
      b.Credit(receivable, ParseMinor(c.applied()));
      b.Credit(credit, ParseMinor(c.to_credit()));
      break;
    }
    case E::kPaymentRefunded:  // R-L4
      b.Debit(credit, ParseMinor(e.payment_refunded().amount()));
      b.Credit("assets:cash", ParseMinor(e.payment_refunded().amount()));
      break;
    case E::kPaymentReversed:  // R-L4, D-42
      b.Debit(receivable, ParseMinor(e.payment_reversed().amount()));
      b.Credit("assets:cash", ParseMinor(e.payment_reversed().amount()));
      break;
    case E::kInvoiceVoided: {  // R-L5, D-37: the exact reverse
      const auto& v = e.invoice_voided();
      if (v.reversal()) {
        b.Debit("assets:cash", ParseMinor(v.total()));
      } else {
        b.Debit("income:subscriptions", ParseMinor(v.income_subscriptions()));
        b.Debit("income:usage", ParseMinor(v.income_usage()));
      }
      b.Credit(receivable, ParseMinor(v.total()));
      break;
    }
    case E::kInvoiceWrittenOff:  // R-L5, D-38
      b.Debit("expenses:bad_debt", ParseMinor(e.invoice_written_off().amount()));
      b.Credit(receivable, ParseMinor(e.invoice_written_off().amount()));
      break;
    default:
      return std::nullopt;
  }
  return b.Done();
}

AccountBalances BalancesOf(const AccountState& account) {
  return AccountBalances{account.amount_due_open, account.credit};
}

}  // namespace accrue::engine
