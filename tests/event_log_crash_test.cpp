// Crash test of the RocksDB event log (issue 3, budgets.md "SIGKILL of the
// engine during appends"). A child (event_log_crash_helper) appends as fast as
// it can and prints each acknowledged append; we SIGKILL it at a random moment,
// kRounds times with different timings, and after each kill reopen the log and
// prove: every acknowledged append is present (its idempotency record with the
// acknowledged position, its events at that position), positions are gapless and
// the chain verifies (VerifyLog), and the next child continues from the head we
// saw (its "start" line equals our LastPosition()).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include "events/rocks_event_store.h"
#include "events/verify_log.h"

namespace accrue::events {
namespace {

constexpr int kRounds = 24;

struct Child {
  pid_t pid = -1;
  std::FILE* out = nullptr;
};

Child Spawn(const std::string& dir, int round) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::string r = std::to_string(round);
    execl(ACCRUE_CRASH_HELPER, ACCRUE_CRASH_HELPER, dir.c_str(), r.c_str(), nullptr);
    _exit(127);
  }
  close(fds[1]);
  return Child{pid, fdopen(fds[0], "r")};
}

TEST(EventLogCrashTest, EveryAcknowledgedAppendSurvivesSigkill) {
  char tmpl[] = "/tmp/accrue-crash-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = std::string(tmpl) + "/log";
  std::mt19937 rng(20261122);
  std::uniform_int_distribution<int> delay_ms(5, 200);
  std::vector<std::pair<uint64_t, std::string>> acked;  // all rounds
  uint64_t head = 0;
  for (int round = 0; round < kRounds; ++round) {
    Child child = Spawn(dir, round);
    ASSERT_NE(child.out, nullptr);
    char line[256];
    ASSERT_NE(std::fgets(line, sizeof line, child.out), nullptr) << "child did not start";
    unsigned long long start = 0;
    ASSERT_EQ(std::sscanf(line, "start %llu", &start), 1) << line;
    EXPECT_EQ(start, head) << "round " << round << " did not continue from the head";
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    ASSERT_EQ(kill(child.pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child.pid, &status, 0), child.pid);
    EXPECT_TRUE(WIFSIGNALED(status)) << "child exited on its own: " << status;
    int acked_this_round = 0;
    while (std::fgets(line, sizeof line, child.out) != nullptr) {
      unsigned long long position = 0;
      char key[200];
      if (std::sscanf(line, "ack %llu %199s", &position, key) == 2) {
        acked.emplace_back(position, key);
        ++acked_this_round;
      }  // a line cut by the kill is not an acknowledgement we rely on
    }
    std::fclose(child.out);

    auto store = OpenRocksEventStore(dir, RocksStoreOptions{});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (const auto& [position, key] : acked) {
      auto record = store.value()->LookupIdempotency(key);
      ASSERT_TRUE(record.ok() && record.value()) << "acknowledged " << key << " lost";
      ASSERT_EQ(record.value()->last_position, position) << key;
    }
    auto report = VerifyLog(*store.value(), VerifyOptions{});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_TRUE(report.value().ok) << "round " << round << ": position "
                                   << report.value().first_bad_position << ": "
                                   << report.value().reason;
    head = store.value()->LastPosition();
    EXPECT_EQ(report.value().events, head);
    // The last acknowledged events are where the store says.
    if (!acked.empty()) {
      auto last = store.value()->ReadAll(acked.back().first, 1);
      ASSERT_TRUE(last.ok() && !last.value().empty());
      EXPECT_EQ(last.value()[0].idempotency_key, acked.back().second);
    }
    RecordProperty("round" + std::to_string(round), acked_this_round);
  }
  EXPECT_GT(acked.size(), static_cast<std::size_t>(kRounds));
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace accrue::events
