// A tenant-wide run_billing killed mid-run, then retried with the same key, bills
// every account exactly once (issue 5 acceptance; design.md "Exactly-once").
// The crash is injected with ACCRUE_TEST_CRASH_AFTER_RUN_PARTS (the process
// _Exits after that many per-account appends, as a SIGKILL would); the retry must
// finish the remaining accounts, and the log must hold exactly one invoice each.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "engine/json.h"
#include "tests/process_util.h"

namespace accrue {
namespace {

constexpr int kAccounts = 300;
constexpr int kCrashAfter = 120;

using testing::ProcessRun;
ProcessRun Execute(const std::string& command) { return testing::RunCommand(command); }

TEST(RunCrash, RetryAfterCrashBillsEveryAccountOnce) {
  char tmpl[] = "/tmp/accrue-runcrash-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    std::ofstream setup(dir + "/setup.jsonl");
    setup << R"({"command":"publish_plan","idempotency_key":"p","plan_id":"p","currency":"USD","interval":"month","amount":"10.00"})"
          << "\n";
    for (int i = 0; i < kAccounts; ++i) {
      std::string a = "a" + std::to_string(1000 + i);
      setup << R"({"command":"open_account","idempotency_key":"o)" << i << R"(","account_id":")" << a
            << R"(","currency":"USD"})" << "\n";
      setup << R"({"command":"subscribe","idempotency_key":"s)" << i << R"(","subscription_id":"s)" << i
            << R"(","account_id":")" << a << R"(","plan_id":"p","start":"2024-01-01T00:00:00Z"})" << "\n";
    }
    std::ofstream run(dir + "/run.jsonl");
    run << R"({"command":"run_billing","idempotency_key":"R","as_of":"2024-01-01T00:00:00Z"})" << "\n";
  }
  const std::string accrue = std::string(ACCRUE_BINARY) + " --data " + dir + "/data";
  ASSERT_EQ(Execute(accrue + " post " + dir + "/setup.jsonl").exit_code, 0);

  ProcessRun crashed = Execute("ACCRUE_TEST_CRASH_AFTER_RUN_PARTS=" + std::to_string(kCrashAfter) + " " +
                               accrue + " post " + dir + "/run.jsonl");
  EXPECT_EQ(crashed.exit_code, 137);
  EXPECT_TRUE(crashed.out.empty()) << "no result may be printed for the interrupted run";

  ProcessRun retried = Execute(accrue + " post " + dir + "/run.jsonl");
  ASSERT_EQ(retried.exit_code, 0) << retried.out;
  engine::JsonValue result;
  std::string err;
  ASSERT_TRUE(engine::ParseJsonObjectLine(retried.out.substr(0, retried.out.find('\n')), &result, &err));
  const engine::JsonValue* invoices = result.Find("invoices");
  ASSERT_NE(invoices, nullptr);
  std::set<std::string> unique;
  for (const auto& i : invoices->items) unique.insert(i.text);
  EXPECT_EQ(invoices->items.size(), static_cast<std::size_t>(kAccounts));
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kAccounts));

  // A replay returns the same list; nothing more is appended.
  ProcessRun replay = Execute(accrue + " post " + dir + "/run.jsonl");
  EXPECT_NE(replay.out.find("\"replayed\":true"), std::string::npos);
  // Exactly one invoice per account in the log: 1 plan + 2 per account + 1 invoice each.
  ProcessRun stat = Execute(accrue + " log stat");
  EXPECT_NE(stat.out.find(std::to_string(1 + 3 * kAccounts)), std::string::npos) << stat.out;
  for (int i : {0, kCrashAfter - 1, kAccounts - 1}) {
    ProcessRun inspect = Execute(accrue + " inspect account a" + std::to_string(1000 + i));
    engine::JsonValue state;
    ASSERT_TRUE(engine::ParseJsonObjectLine(inspect.out.substr(0, inspect.out.find('\n')), &state, &err));
    EXPECT_EQ(state.Find("invoices")->items.size(), 1u) << inspect.out;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace accrue
