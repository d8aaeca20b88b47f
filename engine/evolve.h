// evolve: folds one billing event into the aggregate state (design.md).
//
// Pure in the sense of design.md: no clock, no I/O, no randomness; the result
// depends only on the state and the event. For speed it updates the state in place
// (evolve(state, event) -> state without a copy). Events are trusted (decide()
// produced them, or they were read back from the verified log): an event that
// breaks a state invariant (negative credit, an unknown invoice) is a programmer
// error and trips ACCRUE_ASSERT.
//
// Thread-safety: the caller owns the state exclusively while folding.
#ifndef ACCRUE_ENGINE_EVOLVE_H_
#define ACCRUE_ENGINE_EVOLVE_H_

#include "engine/event_codec.h"
#include "engine/state.h"

namespace accrue::engine {

// Folds an account-stream event into `state`.
void Evolve(AccountState* state, const v1::BillingEvent& event);

// Folds a catalog-stream event (PlanPublished) into `catalog`.
void EvolveCatalog(CatalogState* catalog, const v1::BillingEvent& event);

// The plan of a PlanPublished event.
Plan PlanFromEvent(const v1::PlanPublished& e);

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_EVOLVE_H_
