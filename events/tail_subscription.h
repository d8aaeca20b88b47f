// Tail subscriptions shared by the stores.
//
// PositionNotifier: the writer publishes the last durable position after each
// commit; subscriber threads sleep on its condition variable until the position
// passes theirs (no busy polling). A secondary (another process's log) has no
// writer to wake it, so its subscriptions also wake every `poll_interval` and
// call `refresh` (TryCatchUpWithPrimary) first.
//
// TailSubscription: one thread per subscription that reads pages of events
// (kSubscriptionPageSize) with position > after_position and hands them to the
// callback in order. Destroying it stops and joins the thread; never destroy a
// subscription from inside its own callback. It must be destroyed before the
// store it reads from.
//
// Thread-safety: PositionNotifier is thread-safe. A TailSubscription is owned by
// one thread.
#ifndef ACCRUE_EVENTS_TAIL_SUBSCRIPTION_H_
#define ACCRUE_EVENTS_TAIL_SUBSCRIPTION_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "events/event_store.h"

namespace accrue::events {

inline constexpr std::size_t kSubscriptionPageSize = 1024;
// Retry interval after a read error in a subscription.
inline constexpr std::chrono::milliseconds kSubscriptionRetryInterval{100};

class PositionNotifier {
 public:
  // Called by the writer after an fsync made positions up to `last_position` durable.
  void Publish(uint64_t last_position);
  // Wakes every waiter (used on stop).
  void WakeAll();
  // Sleeps until the published position exceeds `after`, `stop` is set, or the
  // timeout (if any) passes.
  void WaitPast(uint64_t after, const std::atomic<bool>& stop,
                std::optional<std::chrono::milliseconds> timeout);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  uint64_t last_position_ = 0;
};

using ReadPageFn =
    std::function<Result<std::vector<RecordedEvent>>(uint64_t from_position, std::size_t max_count)>;

class TailSubscription : public EventStore::Subscription {
 public:
  // poll_interval: nullopt = woken by the notifier only; refresh: run before each read.
  TailSubscription(std::shared_ptr<PositionNotifier> notifier, ReadPageFn read_page,
                   uint64_t after_position, std::function<void(const RecordedEvent&)> on_event,
                   std::optional<std::chrono::milliseconds> poll_interval,
                   std::function<void()> refresh);
  ~TailSubscription() override;

  TailSubscription(const TailSubscription&) = delete;
  TailSubscription& operator=(const TailSubscription&) = delete;

 private:
  void Run();

  std::shared_ptr<PositionNotifier> notifier_;
  ReadPageFn read_page_;
  uint64_t next_position_;
  std::function<void(const RecordedEvent&)> on_event_;
  std::optional<std::chrono::milliseconds> poll_interval_;
  std::function<void()> refresh_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_TAIL_SUBSCRIPTION_H_
