// Helpers for tests of EventStore implementations: request builders and a
// deterministic clock. Test-only.
#ifndef ACCRUE_EVENTS_EVENT_STORE_TEST_UTIL_H_
#define ACCRUE_EVENTS_EVENT_STORE_TEST_UTIL_H_

#include <atomic>
#include <memory>
#include <string>

#include "events/event_store.h"
#include "events/sha256.h"

namespace accrue::events::testing {

// A clock that advances one microsecond per call, from 1,700,000,000 s.
inline Clock StepClock() {
  auto now = std::make_shared<std::atomic<int64_t>>(int64_t{1'700'000'000'000'000});
  return [now] { return now->fetch_add(1); };
}

inline NewEvent Event(std::string type, std::string payload) {
  return NewEvent{std::move(type), 1, std::move(payload)};
}

// One stream, n events "E" with payloads "<stream>#i".
inline AppendRequest Simple(const std::string& stream, uint64_t expected, int n = 1) {
  AppendRequest r;
  StreamAppend part{stream, expected, {}};
  for (int i = 0; i < n; ++i) part.events.push_back(Event("E", stream + "#" + std::to_string(i)));
  r.streams.push_back(std::move(part));
  return r;
}

inline IdempotencyRecord Record(const std::string& key, const std::string& command,
                                const std::string& result) {
  return IdempotencyRecord{key, Sha256(command), result};
}

}  // namespace accrue::events::testing

#endif  // ACCRUE_EVENTS_EVENT_STORE_TEST_UTIL_H_
