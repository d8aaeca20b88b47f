// events/future.h: the one-shot Promise/Future of the append path and the
// command service (what std::promise guarantees and the code relies on).
#include "events/future.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace accrue::events {
namespace {

using namespace std::chrono_literals;

TEST(FutureTest, ValueSetOnAnotherThreadReachesTheWaiter) {
  Promise<std::string> promise;
  Future<std::string> future = promise.get_future();
  EXPECT_TRUE(future.valid());
  EXPECT_EQ(future.wait_for(0s), std::future_status::timeout);
  std::thread setter([&promise] {
    std::this_thread::sleep_for(20ms);  // the main thread is blocked in get() by then, mostly
    promise.set_value("durable");
  });
  EXPECT_EQ(future.get(), "durable");
  EXPECT_FALSE(future.valid());  // get() empties the future, as std::future
  setter.join();
}

TEST(FutureTest, ValueSetBeforeTheFutureIsTakenIsKept) {
  Promise<int> promise;
  promise.set_value(7);
  Future<int> future = promise.get_future();
  EXPECT_EQ(future.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(future.get(), 7);
  EXPECT_EQ(ReadyFuture(std::string("x")).get(), "x");
}

TEST(FutureTest, AnAbandonedPromiseBreaksItsFutureInsteadOfHanging) {
  Future<int> future;
  {
    Promise<int> promise;
    future = promise.get_future();
  }
  EXPECT_EQ(future.wait_for(1h), std::future_status::ready);  // no wait: broken is ready
  try {
    (void)future.get();
    FAIL() << "get() of a broken promise returned";
  } catch (const std::future_error& e) {
    EXPECT_EQ(e.code(), std::future_errc::broken_promise);
  }

  // Assigning over a promise that holds no value breaks the old one too.
  Promise<int> first;
  Future<int> first_future = first.get_future();
  Promise<int> second;
  Future<int> second_future = second.get_future();
  first = std::move(second);
  EXPECT_THROW((void)first_future.get(), std::future_error);
  first.set_value(3);  // now the second's
  EXPECT_EQ(second_future.get(), 3);
}

TEST(FutureTest, WaitForTimesOutThenSeesTheValue) {
  Promise<int> promise;
  Future<int> future = promise.get_future();
  EXPECT_EQ(future.wait_for(5ms), std::future_status::timeout);
  std::thread setter([&promise] { promise.set_value(1); });
  future.wait();
  EXPECT_EQ(future.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(future.get(), 1);
  setter.join();
}

TEST(FutureTest, ManyHandOffsBetweenThreadsEachDeliverTheirOwnValue) {
  constexpr int kHandOffs = 20'000;
  std::vector<Promise<int>> promises(kHandOffs);
  std::vector<Future<int>> futures;
  futures.reserve(kHandOffs);
  for (auto& p : promises) futures.push_back(p.get_future());
  std::thread setter([&promises] {
    for (int i = 0; i < kHandOffs; ++i) promises[static_cast<std::size_t>(i)].set_value(i);
  });
  long long sum = 0;
  for (auto& f : futures) sum += f.get();
  setter.join();
  EXPECT_EQ(sum, static_cast<long long>(kHandOffs) * (kHandOffs - 1) / 2);
}

}  // namespace
}  // namespace accrue::events
