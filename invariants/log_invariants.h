// Invariants over the whole log: a streaming checker that folds every account
// and catalog stream of every tenant in position order and, at the end, runs every
// account checker (account_invariants.h) on every folded account. This is the
// entry point the nightly reconcile uses ("invariants over the log", design.md).
//
// Event-level checks done while feeding:
//  - INV-ONE-CURRENCY: an account stream opens with exactly one AccountOpened, and
//    every PaymentReceived is in the account's currency (R-P1);
//  - INV-JOURNAL-BALANCED on every journal entry, and the ledger tallies that
//    Finish() compares with each state (ledger_invariants.h).
//
// Memory: one folded state per account plus one catalog per tenant (bounded by
// accounts and ids, never by events; budgets.md "reconcile").
// Thread-safety: a LogChecker is used by one thread.
#ifndef ACCRUE_INVARIANTS_LOG_INVARIANTS_H_
#define ACCRUE_INVARIANTS_LOG_INVARIANTS_H_

#include <cstdint>
#include <map>
#include <string>

#include "engine/state.h"
#include "events/event_store.h"
#include "events/status.h"
#include "invariants/ledger_invariants.h"
#include "invariants/violation.h"

namespace accrue::invariants {

// Events read per ReadAll call by CheckLog.
inline constexpr std::size_t kLogPageEvents = 8192;
// A checker stops collecting after this many violations (the count goes on).
inline constexpr std::size_t kMaxReportedViolations = 1000;

class LogChecker {
 public:
  // Feeds the next event in position order. kCorruption when the payload does
  // not decode or the stream name is not one of ours; the checker stays usable.
  Status Feed(const events::RecordedEvent& event);

  // Runs the account checkers over every folded account and returns every
  // violation found (at most kMaxReportedViolations; see violation_count()).
  Violations Finish();

  uint64_t events_seen() const { return events_seen_; }
  uint64_t violation_count() const { return violation_count_; }
  std::size_t accounts() const { return accounts_.size(); }

  // The folded states, e.g. for reports: (tenant, account_id) -> state.
  const std::map<std::pair<std::string, std::string>, engine::AccountState>& account_states() const {
    return accounts_;
  }

 private:
  void Report(Violation v);

  std::map<std::pair<std::string, std::string>, engine::AccountState> accounts_;
  std::map<std::pair<std::string, std::string>, LedgerTally> tallies_;
  std::map<std::string, engine::CatalogState> catalogs_;  // by tenant
  Violations violations_;
  uint64_t events_seen_ = 0;
  uint64_t violation_count_ = 0;
};

// Reads the whole log page by page into a LogChecker and returns Finish().
Result<Violations> CheckLog(events::EventStore* store);

// One account, from its stream alone: folds it with evolve(), checks every journal
// entry and the ledger tallies against the state (ledger_invariants.h), and runs
// every account checker (INV-ONE-CURRENCY against `catalog` when not null). The
// folded state is stored in *folded when not null (for INV-REPLAY-EQUAL).
Result<Violations> CheckAccountFromLog(events::EventStore* store, const std::string& tenant,
                                       const std::string& account_id, const engine::CatalogState* catalog,
                                       engine::AccountState* folded);

}  // namespace accrue::invariants

#endif  // ACCRUE_INVARIANTS_LOG_INVARIANTS_H_
