#include "events/tail_subscription.h"

#include "events/thread_name.h"

namespace accrue::events {

void PositionNotifier::Publish(uint64_t last_position) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (last_position > last_position_) last_position_ = last_position;
  }
  cv_.notify_all();
}

void PositionNotifier::WakeAll() {
  { std::lock_guard<std::mutex> lock(mutex_); }
  cv_.notify_all();
}

void PositionNotifier::WaitPast(uint64_t after, const std::atomic<bool>& stop,
                                std::optional<std::chrono::milliseconds> timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto ready = [&] { return stop.load() || last_position_ > after; };
  if (timeout) {
    cv_.wait_for(lock, *timeout, ready);
  } else {
    cv_.wait(lock, ready);
  }
}

TailSubscription::TailSubscription(std::shared_ptr<PositionNotifier> notifier,
                                   ReadPageFn read_page, uint64_t after_position,
                                   std::function<void(const RecordedEvent&)> on_event,
                                   std::optional<std::chrono::milliseconds> poll_interval,
                                   std::function<void()> refresh)
    : notifier_(std::move(notifier)),
      read_page_(std::move(read_page)),
      next_position_(after_position + 1),
      on_event_(std::move(on_event)),
      poll_interval_(poll_interval),
      refresh_(std::move(refresh)) {
  thread_ = std::thread([this] {
    NameThisThread("log-tail");
    Run();
  });
}

TailSubscription::~TailSubscription() {
  stop_.store(true);
  notifier_->WakeAll();
  thread_.join();
}

void TailSubscription::Run() {
  while (!stop_.load()) {
    if (refresh_) refresh_();
    auto page = read_page_(next_position_, kSubscriptionPageSize);
    if (!page.ok()) {
      notifier_->WaitPast(UINT64_MAX, stop_, kSubscriptionRetryInterval);
      continue;
    }
    if (page.value().empty()) {
      notifier_->WaitPast(next_position_ - 1, stop_, poll_interval_);
      continue;
    }
    for (const RecordedEvent& e : page.value()) {
      if (stop_.load()) return;
      on_event_(e);
      next_position_ = e.position + 1;
    }
  }
}

}  // namespace accrue::events
