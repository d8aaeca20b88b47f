// Ledger invariants (R-L1..R-L5, D-46): the double-entry journal derived from the
// events (engine/ledger.h) against itself and against the folded state.
//
//  - INV-JOURNAL-BALANCED: every journal entry balances (debits == credits; all
//    postings of an account stream are in the account's one currency, so the
//    balance is per currency), and each posting has exactly one side > 0.
//  - INV-RECEIVABLE-MATCHES (ledger side): assets:receivable:<a>, summed over the
//    account's entries, equals the sum of amount_due of its open invoices.
//  - INV-CREDIT-MATCHES-LEDGER: liabilities:credit:<a> equals the state's credit.
//
// LedgerTally accumulates one account's two balances from its events; it is a
// value (one per account), so reconcile keeps memory bounded by accounts.
// Thread-safety: values and pure functions.
#ifndef ACCRUE_INVARIANTS_LEDGER_INVARIANTS_H_
#define ACCRUE_INVARIANTS_LEDGER_INVARIANTS_H_

#include <string>
#include <vector>

#include "engine/ledger.h"
#include "engine/state.h"
#include "invariants/violation.h"

namespace accrue::invariants {

// INV-JOURNAL-BALANCED for one entry; `subject` names where it came from.
Violations CheckJournalEntryBalanced(const engine::JournalEntry& entry, const std::string& subject);

class LedgerTally {
 public:
  explicit LedgerTally(std::string account_id) : account_id_(std::move(account_id)) {}

  // Derives the event's journal entry (if any), checks that it balances and adds
  // its receivable / credit postings to the tallies. Violations go to `out`.
  void Add(const engine::v1::BillingEvent& event, const std::string& subject, Violations* out);

  // INV-RECEIVABLE-MATCHES (ledger side) and INV-CREDIT-MATCHES-LEDGER.
  Violations CheckAgainst(const engine::AccountState& state) const;

  engine::Int128 receivable() const { return receivable_.Value().value_or(0); }  // debit-positive
  engine::Int128 credit() const { return credit_.Value().value_or(0); }          // credit-positive
  // A balance does not fit 128 bits (its partial sums may have; they are exact).
  bool overflowed() const { return !receivable_.Value() || !credit_.Value(); }

 private:
  std::string account_id_;
  engine::Int128Sum receivable_;
  engine::Int128Sum credit_;
};

// Folds `events` (one account stream, in order) with evolve(), tallying the
// ledger and checking every entry; then runs every account checker on the final
// state (account_invariants.h CheckAccount) and the ledger-vs-state checks.
// The final state is stored in *folded when not null.
Violations CheckAccountEvents(const std::vector<engine::v1::BillingEvent>& events,
                              const engine::CatalogState* catalog, engine::AccountState* folded = nullptr);

}  // namespace accrue::invariants

#endif  // ACCRUE_INVARIANTS_LEDGER_INVARIANTS_H_
