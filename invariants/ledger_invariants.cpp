// Ledger invariants (ledger_invariants.h).
#include "invariants/ledger_invariants.h"

#include "engine/evolve.h"
#include "invariants/account_invariants.h"
#include "invariants/invariants_internal.h"

namespace accrue::invariants {

using engine::Int128;

Violations CheckJournalEntryBalanced(const engine::JournalEntry& entry, const std::string& subject) {
  Violations out;
  internal::CheckedSum debits, credits;
  for (const auto& p : entry.postings) {
    if (p.debit < 0 || p.credit < 0 || (p.debit > 0) == (p.credit > 0)) {
      out.push_back({std::string(kJournalBalanced), subject,
                     "posting to " + p.ledger_account + " must have exactly one positive side"});
    }
    debits.Add(p.debit);
    credits.Add(p.credit);
  }
  if (!(debits == credits)) {  // exact: each side may pass 2^127 (an invoice's lines)
    auto text = [](const internal::CheckedSum& s) {
      return s.ok() ? engine::Int128ToString(s.value()) : std::string("(beyond 128 bits)");
    };
    out.push_back({std::string(kJournalBalanced), subject,
                   "debits " + text(debits) + " != credits " + text(credits) + " (minor units)"});
  }
  return out;
}

void LedgerTally::Add(const engine::v1::BillingEvent& event, const std::string& subject, Violations* out) {
  auto entry = engine::LedgerEntry(account_id_, event);
  if (!entry) return;
  Append(out, CheckJournalEntryBalanced(*entry, subject));
  const std::string receivable = "assets:receivable:" + account_id_;
  const std::string credit = "liabilities:credit:" + account_id_;
  auto add = [&](engine::Int128Sum* balance, Int128 plus, Int128 minus) {
    balance->Add(plus);  // exact: a partial balance may leave the 128-bit range
    balance->Add(-minus);  // minus >= 0 (a posting's side), so -minus fits
  };
  for (const auto& p : entry->postings) {
    if (p.ledger_account == receivable) add(&receivable_, p.debit, p.credit);  // assets: debit-positive
    if (p.ledger_account == credit) add(&credit_, p.credit, p.debit);          // liabilities: credit-positive
  }
}

Violations LedgerTally::CheckAgainst(const engine::AccountState& state) const {
  Violations out;
  const std::string subject = internal::AccountSubject(state);
  if (overflowed()) {
    out.push_back({std::string(kReceivableMatches), subject, "ledger balances overflow"});
    return out;
  }
  const Int128 ledger_receivable = receivable();
  const Int128 ledger_credit = credit();
  if (ledger_receivable != state.amount_due_open) {
    out.push_back({std::string(kReceivableMatches), subject,
                   "ledger receivable " + internal::Amount(state, ledger_receivable) + " != amount_due of open invoices " +
                       internal::Amount(state, state.amount_due_open)});
  }
  if (ledger_credit != state.credit) {
    out.push_back({std::string(kCreditMatchesLedger), subject,
                   "ledger credit " + internal::Amount(state, ledger_credit) + " != account credit " +
                       internal::Amount(state, state.credit)});
  }
  return out;
}

Violations CheckAccountEvents(const std::vector<engine::v1::BillingEvent>& events,
                              const engine::CatalogState* catalog, engine::AccountState* folded) {
  Violations out;
  engine::AccountState state;
  LedgerTally tally("");
  for (std::size_t i = 0; i < events.size(); ++i) {
    engine::Evolve(&state, events[i]);
    if (i == 0) tally = LedgerTally(state.account_id);
    tally.Add(events[i], "account " + state.account_id + " event " + std::to_string(i + 1), &out);
  }
  Append(&out, tally.CheckAgainst(state));
  Append(&out, CheckAccount(state, catalog));
  if (folded != nullptr) *folded = std::move(state);
  return out;
}

}  // namespace accrue::invariants
