// Proves the EventStore semantics of the in-memory store (the same suite runs
// against the RocksDB store in rocks_event_store_test.cpp via the shared
// conformance cases in event_store_conformance.h).
#include <gtest/gtest.h>

#include "events/event_store_conformance.h"

namespace accrue::events::testing {
namespace {

std::unique_ptr<EventStore> MakeMemory(const std::string&) { return NewMemoryEventStore(StepClock()); }

INSTANTIATE_TEST_SUITE_P(Memory, EventStoreConformance, ::testing::Values(&MakeMemory));

}  // namespace
}  // namespace accrue::events::testing
