// Child process of event_log_crash_test: opens the RocksDB event log in argv[1]
// and appends as fast as it can from kThreads threads (group commit), each
// append carrying an idempotency key and a claim. After each acknowledged append
// it prints "ack <last_position> <idempotency_key>" and flushes, so every line the
// parent reads is an append the store acknowledged as durable. Runs until killed.
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "events/rocks_event_store.h"

namespace {
constexpr int kThreads = 4;
}

int main(int argc, char** argv) {
  using namespace accrue::events;
  if (argc != 3) {
    std::fprintf(stderr, "usage: event_log_crash_helper DIR ROUND\n");
    return 2;
  }
  auto store = OpenRocksEventStore(argv[1], RocksStoreOptions{});
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 2;
  }
  std::printf("start %llu\n", static_cast<unsigned long long>(store.value()->LastPosition()));
  std::fflush(stdout);
  const std::string round = argv[2];
  std::mutex out_mutex;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0;; ++i) {
        const std::string id = round + "-" + std::to_string(t) + "-" + std::to_string(i);
        const std::string stream = "crash/account/" + std::to_string((i + t) % 5);
        AppendRequest r;
        r.streams.push_back(
            StreamAppend{stream, kAnyVersion, {NewEvent{"E", 1, "payload-" + id}, NewEvent{"F", 1, id}}});
        r.claims.push_back(Claim{"crash/usage/" + id, stream});
        r.idempotency = IdempotencyRecord{"crash/" + id, "hash-" + id, "result-" + id};
        AppendResult res = store.value()->Append(std::move(r));
        if (res.outcome != AppendOutcome::kAppended) {
          std::fprintf(stderr, "append failed: %s\n", res.status.ToString().c_str());
          std::_Exit(3);
        }
        std::lock_guard<std::mutex> lock(out_mutex);
        std::printf("ack %llu crash/%s\n", static_cast<unsigned long long>(res.last_position),
                    id.c_str());
        std::fflush(stdout);
      }
    });
  }
  for (auto& th : threads) th.join();
  return 0;
}
