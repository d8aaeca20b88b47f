// Property tests (RapidCheck) of both EventStores under concurrency (issue 3).
//
// Each case generates, for kThreads threads, a list of appends over a few
// streams, idempotency keys (two possible commands per key) and claim keys, runs
// the threads at once, then proves on the whole log:
//  - positions are gapless and the hash chain verifies, stream versions are
//    gapless (VerifyLog, which also checks the stream index);
//  - exactly one stored outcome per idempotency key: one kAppended, every other
//    use kReplayed (same command: the SAME result bytes) or kKeyReused;
//  - no claim key is owned by two streams: each owner is the stream of the one
//    appended request that first claimed it, and kClaimTaken happened only when
//    another stream owned the key;
//  - every appended request's events are in the log at its last_position;
//  - ReadStream from any version with any limit is the stream's slice of the log.
// One store is shared by all cases of a test; names are scoped per case.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <filesystem>
#include <algorithm>
#include <map>
#include <thread>

#include "events/event_store_test_util.h"
#include "events/rocks_event_store.h"
#include "events/verify_log.h"

namespace accrue::events::testing {
namespace {

constexpr int kThreads = 3;

struct Op {
  int stream = 0;   // 0..2
  int events = 1;   // 0..3
  int key = -1;     // -1 none, else 0..3
  int command = 0;  // 0..1: which command the key is used for
  int claim = -1;   // -1 none, else 0..3
  bool expect_exact = false;  // use the version this thread last saw (may conflict)
};

struct Done {
  AppendRequest request;
  AppendResult result;
};

void CheckStore(EventStore& store) {
  static int case_number = 0;
  const std::string scope = "c" + std::to_string(++case_number) + "/";
  const auto ops = *rc::gen::container<std::vector<std::vector<Op>>>(
      kThreads, rc::gen::container<std::vector<Op>>(rc::gen::build<Op>(
                    rc::gen::set(&Op::stream, rc::gen::inRange(0, 3)),
                    rc::gen::set(&Op::events, rc::gen::inRange(0, 4)),
                    rc::gen::set(&Op::key, rc::gen::inRange(-1, 4)),
                    rc::gen::set(&Op::command, rc::gen::inRange(0, 2)),
                    rc::gen::set(&Op::claim, rc::gen::inRange(-1, 4)),
                    rc::gen::set(&Op::expect_exact, rc::gen::arbitrary<bool>()))));
  const uint64_t before = store.LastPosition();
  std::vector<std::vector<Done>> done(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (const Op& op : ops[t]) {
        const std::string stream = scope + "s" + std::to_string(op.stream);
        uint64_t expected = kAnyVersion;
        if (op.expect_exact) expected = store.StreamVersion(stream).value();
        AppendRequest r = Simple(stream, expected, op.events);
        if (op.claim >= 0) r.claims.push_back(Claim{scope + "claim/" + std::to_string(op.claim), stream});
        if (op.key >= 0) {
          const std::string cmd = "k" + std::to_string(op.key) + "c" + std::to_string(op.command);
          r.idempotency = Record(scope + "key/" + std::to_string(op.key), scope + cmd, "result " + cmd + " t" + std::to_string(t));
        }
        Done d{r, store.Append(r)};
        done[t].push_back(std::move(d));
      }
    });
  }
  for (auto& th : threads) th.join();

  auto report = VerifyLog(store, VerifyOptions{});
  RC_ASSERT(report.ok());
  RC_ASSERT(report.value().ok);

  // Reading a stream from any version with any limit gives its slice of the
  // log (the RocksDB store reads through stream index runs, keys.h).
  std::map<std::string, std::vector<RecordedEvent>> by_stream;
  auto all = store.ReadAll(before + 1, store.LastPosition() - before);
  RC_ASSERT(all.ok());
  for (RecordedEvent& e : all.value()) by_stream[e.stream].push_back(std::move(e));
  for (const auto& [name, events] : by_stream) {
    const auto from = *rc::gen::inRange<uint64_t>(0, events.size() + 2);
    const auto limit = *rc::gen::inRange<std::size_t>(0, events.size() + 2);
    auto read = store.ReadStream(name, from, limit);
    RC_ASSERT(read.ok());
    const std::size_t first = from == 0 ? 0 : from - 1;
    const std::size_t want = first >= events.size() ? 0 : std::min(limit, events.size() - first);
    RC_ASSERT(read.value().size() == want);
    for (std::size_t i = 0; i < want; ++i) {
      RC_ASSERT(read.value()[i].position == events[first + i].position);
      RC_ASSERT(read.value()[i].hash == events[first + i].hash);
    }
  }

  std::map<std::string, std::vector<const Done*>> by_key;
  std::map<std::string, std::string> claim_owner;  // from appended requests, position order
  std::map<uint64_t, const Done*> appended_by_position;
  uint64_t appended_events = 0;
  for (const auto& list : done) {
    for (const Done& d : list) {
      RC_ASSERT(d.result.outcome != AppendOutcome::kFailed);
      if (d.request.idempotency) by_key[d.request.idempotency->key].push_back(&d);
      if (d.result.outcome == AppendOutcome::kAppended) {
        uint64_t n = d.request.streams[0].events.size();
        appended_events += n;
        if (n > 0) {
          auto at = store.ReadAll(d.result.last_position, 1).value();
          RC_ASSERT(at.size() == 1u);
          RC_ASSERT(at[0].stream == d.request.streams[0].stream);
          RC_ASSERT(at[0].payload == d.request.streams[0].events.back().payload);
        }
        for (const Claim& c : d.request.claims) {
          auto owner = store.ClaimOwner(c.key).value();
          RC_ASSERT(owner.has_value());
          RC_ASSERT(*owner == c.stream);  // nobody else ever got it
        }
      }
      if (d.result.outcome == AppendOutcome::kClaimTaken) {
        auto owner = store.ClaimOwner(d.result.detail).value();
        RC_ASSERT(owner.has_value());
        RC_ASSERT(*owner != d.request.streams[0].stream);
      }
    }
  }
  RC_ASSERT(store.LastPosition() - before == appended_events);
  for (const auto& [key, uses] : by_key) {
    auto stored = store.LookupIdempotency(key).value();
    int appended = 0;
    for (const Done* d : uses) appended += d->result.outcome == AppendOutcome::kAppended;
    RC_ASSERT(appended == (stored ? 1 : 0));
    if (!stored) continue;
    for (const Done* d : uses) {
      const bool same = d->request.idempotency->command_hash == stored->command_hash;
      if (d->result.outcome == AppendOutcome::kAppended) {
        RC_ASSERT(same);
        RC_ASSERT(d->request.idempotency->result == stored->result);
      } else if (d->result.outcome == AppendOutcome::kReplayed) {
        RC_ASSERT(same);
        RC_ASSERT(d->result.stored_result == stored->result);  // the same bytes
      } else if (d->result.outcome == AppendOutcome::kKeyReused) {
        RC_ASSERT(!same);
        RC_ASSERT(d->result.stored_result == stored->result);
      }
    }
  }
}

TEST(EventStoreProperty, MemoryStoreUnderConcurrentAppends) {
  auto store = NewMemoryEventStore(StepClock());
  EXPECT_TRUE(rc::check("memory store", [&] { CheckStore(*store); }));
}

TEST(EventStoreProperty, RocksStoreUnderConcurrentAppends) {
  char tmpl[] = "/tmp/accrue-prop-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  {
    RocksStoreOptions options;
    options.clock = StepClock();
    auto store = OpenRocksEventStore(std::string(tmpl) + "/log", options);
    ASSERT_TRUE(store.ok());
    EXPECT_TRUE(rc::check("rocks store", [&] { CheckStore(*store.value()); }));
  }
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace accrue::events::testing
