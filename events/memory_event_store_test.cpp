// Proves the EventStore semantics of the in-memory store (the same suite runs
// against the RocksDB store in rocks_event_store_test.cpp via the shared
// conformance cases in event_store_conformance.h).
#include <gtest/gtest.h>

#include "events/event_store_conformance.h"

namespace accrue::events::testing {
namespace {

std::unique_ptr<EventStore> MakeMemory(const std::string&) { return NewMemoryEventStore(StepClock()); }

INSTANTIATE_TEST_SUITE_P(Memory, EventStoreConformance, ::testing::Values(&MakeMemory));

// Stats(): appends and events counted, one batch per writing append, no fsyncs
// (nothing is durable), an empty queue (appends are synchronous).
TEST(MemoryStoreStats, CountsAppendsAndBatches) {
  auto store = NewMemoryEventStore(StepClock());
  ASSERT_EQ(store->Append(Simple("s", kNoStream, 4)).outcome, AppendOutcome::kAppended);
  ASSERT_EQ(store->Append(Simple("s", kNoStream)).outcome, AppendOutcome::kConflict);
  StoreStats s = store->Stats();
  EXPECT_TRUE(s.available);
  EXPECT_EQ(s.appends_total, 2u);
  EXPECT_EQ(s.events_total, 4u);
  EXPECT_EQ(s.batches_total, 1u);
  EXPECT_EQ(s.fsyncs_total, 0u);
  EXPECT_EQ(s.queue_depth, 0u);
  EXPECT_EQ(s.batch_events.sum, 4u);
  EXPECT_EQ(s.append_latency_us.count, 2u);
}

}  // namespace
}  // namespace accrue::events::testing
