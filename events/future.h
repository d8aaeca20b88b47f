// Promise<T> / Future<T>: one result handed from one thread to another, once.
//
// The append path (EventStore::AppendAsync) and the command service
// (CommandService::Submit) complete one of these per append and per command.
// They replace std::promise/std::future there because libstdc++'s set_value runs
// std::call_once, and glibc's pthread_once ends every first call with a futex
// wake system call whether or not a thread waits: 1.3-1.4 µs per set_value + get
// on this machine (a loop of them, one thread), twice per command, where
// `accrue bench post` spends about 24 µs of CPU per command in all. Here
// set_value takes an uncontended mutex and wakes the condition variable only
// when a thread is waiting on it.
//
// The surface is the part of the std types the code uses: get() (once; the
// future is empty after), wait(), wait_for() (std::future_status), valid(). A
// Promise destroyed (or assigned over) without a value makes get() throw
// std::future_error(broken_promise), as std::promise does, so a waiter never
// hangs on a result nobody will set.
//
// Thread-safety: one thread may use the Promise while another uses the Future.
#ifndef ACCRUE_EVENTS_FUTURE_H_
#define ACCRUE_EVENTS_FUTURE_H_

#include <chrono>
#include <condition_variable>
#include <future>  // std::future_status, std::future_error (no std::promise used)
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "events/assert.h"

namespace accrue::events {

namespace future_internal {

template <typename T>
struct State {
  std::mutex mutex;
  std::condition_variable cv;
  std::optional<T> value;
  bool broken = false;  // the promise went away without a value
  int waiters = 0;      // threads blocked in cv (guarded by mutex)

  bool Ready() const { return value.has_value() || broken; }
};

}  // namespace future_internal

template <typename T>
class Promise;

template <typename T>
class Future {
 public:
  Future() = default;
  Future(Future&&) noexcept = default;
  Future& operator=(Future&&) noexcept = default;
  Future(const Future&) = delete;
  Future& operator=(const Future&) = delete;

  bool valid() const { return state_ != nullptr; }

  // Blocks until the value is set (or the promise is gone: throws
  // std::future_error(broken_promise)), then moves it out; the future is empty after.
  T get() {
    ACCRUE_ASSERT(valid(), "Future::get on an empty future");
    std::shared_ptr<future_internal::State<T>> state = std::move(state_);
    std::unique_lock<std::mutex> lock(state->mutex);
    WaitLocked(*state, lock);
    if (!state->value) throw std::future_error(std::future_errc::broken_promise);
    return std::move(*state->value);
  }

  void wait() const {
    ACCRUE_ASSERT(valid(), "Future::wait on an empty future");
    std::unique_lock<std::mutex> lock(state_->mutex);
    WaitLocked(*state_, lock);
  }

  template <typename Rep, typename Period>
  std::future_status wait_for(const std::chrono::duration<Rep, Period>& timeout) const {
    ACCRUE_ASSERT(valid(), "Future::wait_for on an empty future");
    std::unique_lock<std::mutex> lock(state_->mutex);
    if (state_->Ready()) return std::future_status::ready;
    if (timeout <= timeout.zero()) return std::future_status::timeout;
    ++state_->waiters;
    const bool ready = state_->cv.wait_for(lock, timeout, [this] { return state_->Ready(); });
    --state_->waiters;
    return ready ? std::future_status::ready : std::future_status::timeout;
  }

 private:
  friend class Promise<T>;
  explicit Future(std::shared_ptr<future_internal::State<T>> state) : state_(std::move(state)) {}

  static void WaitLocked(future_internal::State<T>& state, std::unique_lock<std::mutex>& lock) {
    if (state.Ready()) return;
    ++state.waiters;
    state.cv.wait(lock, [&state] { return state.Ready(); });
    --state.waiters;
  }

  std::shared_ptr<future_internal::State<T>> state_;
};

template <typename T>
class Promise {
 public:
  Promise() : state_(std::make_shared<future_internal::State<T>>()) {}
  Promise(Promise&& other) noexcept
      : state_(std::move(other.state_)), future_taken_(other.future_taken_), done_(other.done_) {}
  Promise& operator=(Promise&& other) noexcept {
    if (this != &other) {
      Abandon();
      state_ = std::move(other.state_);
      future_taken_ = other.future_taken_;
      done_ = other.done_;
    }
    return *this;
  }
  Promise(const Promise&) = delete;
  Promise& operator=(const Promise&) = delete;
  ~Promise() { Abandon(); }

  // Once per promise, before or after set_value.
  Future<T> get_future() {
    ACCRUE_ASSERT(state_ != nullptr && !future_taken_, "Promise::get_future called twice");
    future_taken_ = true;
    return Future<T>(state_);
  }

  // Once per promise; wakes the thread waiting on the future, if any.
  void set_value(T value) {
    ACCRUE_ASSERT(state_ != nullptr && !done_, "Promise::set_value called twice");
    Finish(std::optional<T>(std::move(value)));
  }

 private:
  // A promise going away without a value breaks it (get() throws).
  void Abandon() {
    if (state_ != nullptr && !done_) Finish(std::nullopt);
  }
  // Sets the value, or with nullopt marks the promise broken. This promise
  // holds the state, so it outlives the notify.
  void Finish(std::optional<T> value) {
    done_ = true;
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      if (value) {
        state_->value = std::move(value);
      } else {
        state_->broken = true;
      }
      wake = state_->waiters > 0;
    }
    if (wake) state_->cv.notify_all();
  }

  std::shared_ptr<future_internal::State<T>> state_;
  bool future_taken_ = false;
  bool done_ = false;  // set_value ran (or the promise was abandoned)
};

// A future that already holds `value`.
template <typename T>
Future<T> ReadyFuture(T value) {
  Promise<T> promise;
  Future<T> future = promise.get_future();
  promise.set_value(std::move(value));
  return future;
}

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_FUTURE_H_
