// SystemClock: wall-clock microseconds since the Unix epoch, for recorded_at.
#include <chrono>

#include "events/event_store.h"

namespace accrue::events {

Clock SystemClock() {
  return [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

}  // namespace accrue::events
