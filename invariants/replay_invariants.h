// INV-REPLAY-EQUAL (design.md "decide/evolve are pure"): folding an account's
// stream from the log, from its first event, with evolve() and nothing else (no
// cache, no snapshot) reproduces the state the live service holds, byte for byte
// in state JSON (contract.md "Account state", D-45).
//
// The fold trusts the log the way evolve() does: an event that breaks a state
// invariant trips ACCRUE_ASSERT inside evolve. Run `log verify` (the hash chain)
// first when the log itself is in doubt; a payload that does not decode is a
// kCorruption status here.
//
// Thread-safety: the functions may be called from any thread; they only read the store.
#ifndef ACCRUE_INVARIANTS_REPLAY_INVARIANTS_H_
#define ACCRUE_INVARIANTS_REPLAY_INVARIANTS_H_

#include <cstddef>
#include <optional>
#include <string>

#include "engine/state.h"
#include "events/event_store.h"
#include "events/status.h"
#include "invariants/violation.h"

namespace accrue::invariants {

// Events read per ReadStream call while folding (bounded memory per page).
inline constexpr std::size_t kReplayPageEvents = 4096;

// "<tenant>/account/<account_id>" and "<tenant>/catalog" (events/event_store.h).
std::string AccountStream(const std::string& tenant, const std::string& account_id);
std::string CatalogStream(const std::string& tenant);

// Folds every event of the account's stream. A stream that does not exist gives
// a state with exists == false. kCorruption when a payload does not decode.
Result<engine::AccountState> FoldAccountFromLog(events::EventStore* store, const std::string& tenant,
                                                const std::string& account_id);
Result<engine::CatalogState> FoldCatalogFromLog(events::EventStore* store, const std::string& tenant);

// Compares two renderings of one account's state; a violation quotes where they
// first differ.
Violations CheckReplayEqual(const std::string& account_id, const std::string& live_json,
                            const std::string& replayed_json);

// Folds the account from `store` and compares its state JSON with `live_json`
// (nullopt = the live side says the account does not exist). A fold that fails is
// reported as a violation too.
Violations CheckReplayFromLog(events::EventStore* store, const std::string& tenant,
                              const std::string& account_id, const std::optional<std::string>& live_json);

}  // namespace accrue::invariants

#endif  // ACCRUE_INVARIANTS_REPLAY_INVARIANTS_H_
