// Ledger: the double-entry journal entry of each money-moving event (R-L1..R-L5,
// D-46), per tenant and currency.
//
// LedgerEntry is a pure function of one account event: it needs no state, since
// events carry their amounts (invoice lines, applications, voided income split).
// Every entry balances (sum of debits == sum of credits), checked by ACCRUE_ASSERT.
// The per-account balances (receivable, credit) are readable from the aggregate:
// AccountBalances(state).
//
// Ledger accounts: assets:receivable:<account_id>, assets:cash,
// liabilities:credit:<account_id>, income:subscriptions, income:usage,
// income:credit_notes, expenses:bad_debt.
// Thread-safety: pure functions.
#ifndef ACCRUE_ENGINE_LEDGER_H_
#define ACCRUE_ENGINE_LEDGER_H_

#include <optional>
#include <string>
#include <vector>

#include "engine/event_codec.h"
#include "engine/state.h"

namespace accrue::engine {

struct Posting {
  std::string ledger_account;
  Int128 debit = 0;   // >= 0
  Int128 credit = 0;  // >= 0; exactly one of debit / credit is > 0
};

struct JournalEntry {
  std::vector<Posting> postings;
};

// The entry of one event of `account_id`'s stream; nullopt for events that move
// no money (AccountOpened, SubscriptionChanged, UsageRecorded, ...).
std::optional<JournalEntry> LedgerEntry(const std::string& account_id, const v1::BillingEvent& event);

struct AccountBalances {
  Int128 receivable = 0;  // assets:receivable:<a> = sum of amount_due of open invoices
  Int128 credit = 0;      // liabilities:credit:<a> >= 0
};
AccountBalances BalancesOf(const AccountState& account);

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_LEDGER_H_
