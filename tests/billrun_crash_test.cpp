// A tenant-wide run_billing over many accounts, its `accrue post` process
// SIGKILLed at random moments (no fault-injection hook: a real kill from outside),
// then the same line retried with the same key: every account is billed exactly
// once per run (issue 5 acceptance; design.md "Exactly-once commands").
//
// How: N accounts each subscribe to a monthly plan from 2024-01-01. Round r posts
// one run_billing with key "run-r" and as_of the first of month r+1, in a child
// `accrue post`; the test kills it after a delay, then runs the same file again to
// completion. After each round it folds the whole log in-process
// (invariants/log_invariants.h: every invariant, INV-RECURRING-ONCE included) and
// requires exactly r invoices on every account, the retry's result to list each
// account's new invoice exactly once, `accrue log verify` to pass, and
// `accrue inspect` of a sample account to show its r invoices. The delay adapts:
// shorter after a kill that came too late (the run had finished), longer after one
// that came too early (nothing billed), so most rounds kill mid-run; at least one
// must, or the test proves nothing and fails.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>
#include <thread>

#include "engine/json.h"
#include "tests/process_util.h"
#include "events/rocks_event_store.h"
#include "invariants/log_invariants.h"

namespace accrue {
namespace {

constexpr int kAccounts = 1500;
constexpr int kRounds = 8;
const std::string kTenant = "default";

std::string AccountId(int i) { return "acct-" + std::to_string(10000 + i); }

using testing::ProcessRun;
ProcessRun Execute(const std::string& command) { return testing::RunCommand(command); }

// Starts `accrue --data DIR post FILE` with stdout to /dev/null, kills it with
// SIGKILL after `delay`; true when the kill landed (the child was still running).
bool PostAndKill(const std::string& data, const std::string& file, std::chrono::microseconds delay) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::execl(ACCRUE_BINARY, ACCRUE_BINARY, "--data", data.c_str(), "post", file.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::this_thread::sleep_for(delay);
  const bool landed = ::kill(pid, SIGKILL) == 0;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return landed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

struct LogView {
  invariants::Violations violations;
  std::map<std::string, std::size_t> invoices;  // account -> invoice count
};

LogView Fold(const std::string& data) {
  LogView view;
  events::RocksStoreOptions options;
  options.mode = events::OpenMode::kReadOnly;
  auto store = events::OpenRocksEventStore(data, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return view;
  invariants::LogChecker checker;
  for (uint64_t next = 1;;) {
    auto page = store.value()->ReadAll(next, invariants::kLogPageEvents);
    EXPECT_TRUE(page.ok());
    if (!page.ok()) return view;
    for (const auto& e : page.value()) {
      EXPECT_TRUE(checker.Feed(e).ok());
      next = e.position + 1;
    }
    if (page.value().size() < invariants::kLogPageEvents) break;
  }
  view.violations = checker.Finish();
  for (const auto& [key, state] : checker.account_states()) view.invoices[key.second] = state.invoices.size();
  return view;
}

// A plan and kAccounts accounts in `timezone`, each subscribed from 2024-01-01.
void WriteSetup(const std::string& path, const std::string& timezone) {
  std::ofstream setup(path);
  setup << R"({"command":"publish_plan","idempotency_key":"plan","plan_id":"basic","currency":"USD","interval":"month","amount":"10.00"})"
        << "\n";
  for (int i = 0; i < kAccounts; ++i) {
    setup << R"({"command":"open_account","idempotency_key":"open-)" << i << R"(","account_id":")" << AccountId(i)
          << R"(","currency":"USD","timezone":")" << timezone << R"("})" << "\n"
          << R"({"command":"subscribe","idempotency_key":"sub-)" << i << R"(","subscription_id":"sub-)" << i
          << R"(","account_id":")" << AccountId(i) << R"(","plan_id":"basic","start":"2024-01-01T00:00:00Z"})"
          << "\n";
  }
}

TEST(BillRunCrash, SigkillMidRunThenRetryBillsEveryAccountOnce) {
  char tmpl[] = "/tmp/accrue-billrun-crash-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string data = dir + "/data";
  const std::string accrue = std::string(ACCRUE_BINARY) + " --data " + data;
  WriteSetup(dir + "/setup.jsonl", "Europe/Berlin");
  ASSERT_EQ(Execute(accrue + " post " + dir + "/setup.jsonl > /dev/null").exit_code, 0);

  std::mt19937 rng(20240601);
  auto delay = std::chrono::microseconds(150'000);
  int mid_run_kills = 0;
  for (int round = 1; round <= kRounds; ++round) {
    const std::string file = dir + "/run-" + std::to_string(round) + ".jsonl";
    char as_of[32];
    std::snprintf(as_of, sizeof as_of, "2024-%02d-01T00:00:00Z", round + 1);
    std::ofstream(file) << R"({"command":"run_billing","idempotency_key":"run-)" << round << R"(","as_of":")" << as_of
                        << "\"}\n";

    // Kill at a random moment around the adaptive delay.
    auto jittered = std::chrono::microseconds(std::uniform_int_distribution<long>(delay.count() / 2, delay.count() * 3 / 2)(rng));
    const bool landed = PostAndKill(data, file, jittered);
    LogView killed = Fold(data);
    std::size_t billed = 0;
    for (int i = 0; i < kAccounts; ++i) billed += killed.invoices[AccountId(i)] == static_cast<std::size_t>(round);
    for (const auto& v : killed.violations) ADD_FAILURE() << "after the kill: " << v.ToString();
    const bool mid_run = landed && billed > 0 && billed < static_cast<std::size_t>(kAccounts);
    mid_run_kills += mid_run;
    std::printf("round %d: killed after %ld us, %zu of %d accounts billed before the kill%s\n", round,
                static_cast<long>(jittered.count()), billed, kAccounts, mid_run ? " (mid-run)" : "");
    if (!landed || billed == static_cast<std::size_t>(kAccounts)) delay /= 2;
    if (landed && billed == 0) delay = delay * 3 / 2;

    // The retry with the same key finishes the run: every account billed once.
    ProcessRun retried = Execute(accrue + " post " + file);
    ASSERT_EQ(retried.exit_code, 0) << retried.out;
    engine::JsonValue result;
    std::string error;
    ASSERT_TRUE(engine::ParseJsonObjectLine(retried.out.substr(0, retried.out.find('\n')), &result, &error))
        << retried.out;
    ASSERT_NE(result.Find("status"), nullptr);
    EXPECT_EQ(result.Find("status")->text, "accepted") << retried.out;
    const engine::JsonValue* listed = result.Find("invoices");
    ASSERT_NE(listed, nullptr) << retried.out;
    std::set<std::string> unique;
    for (const auto& id : listed->items) unique.insert(id.text);
    EXPECT_EQ(listed->items.size(), static_cast<std::size_t>(kAccounts)) << "round " << round;
    for (int i = 0; i < kAccounts; ++i) {
      EXPECT_TRUE(unique.count(AccountId(i) + "-" + std::to_string(round))) << AccountId(i) << " round " << round;
    }

    LogView done = Fold(data);
    for (const auto& v : done.violations) ADD_FAILURE() << "after the retry: " << v.ToString();
    for (int i = 0; i < kAccounts; ++i) {
      ASSERT_EQ(done.invoices[AccountId(i)], static_cast<std::size_t>(round)) << AccountId(i) << " round " << round;
    }
    EXPECT_EQ(Execute(accrue + " log verify > /dev/null").exit_code, 0);
  }
  // inspect agrees: a sample account has one invoice per run, numbered 1..kRounds.
  ProcessRun inspected = Execute(accrue + " inspect account " + AccountId(kAccounts / 2));
  ASSERT_EQ(inspected.exit_code, 0);
  for (int n = 1; n <= kRounds; ++n) {
    EXPECT_NE(inspected.out.find("\"invoice_id\":\"" + AccountId(kAccounts / 2) + "-" + std::to_string(n) + "\""),
              std::string::npos);
  }
  EXPECT_EQ(inspected.out.find("\"invoice_id\":\"" + AccountId(kAccounts / 2) + "-" + std::to_string(kRounds + 1) + "\""),
            std::string::npos);
  EXPECT_GE(mid_run_kills, 1) << "no kill landed in the middle of a run; the test proved nothing";
  std::filesystem::remove_all(dir);
}

// Commands after a tenant-wide run in the same file wait until the run's own
// record is durable (engine/service.cpp, runs_open_). Before, they were appended
// while the run was still billing; a SIGKILL then left them durable and the run
// not, and the retry of the file billed, in the retried run, an account that was
// opened after it (found by fault injection, 2026-12-06). Each attempt: a copy of
// the set-up log; a file of [tenant-wide run, open "late", subscribe it, a run
// for "late" only]; a kill mid-run; the file again. The retried tenant-wide run
// must not list late's invoice, and the run for "late" must.
TEST(BillRunCrash, CommandsAfterARunWaitForItSoTheRetryBillsAsACleanRunDoes) {
  char tmpl[] = "/tmp/accrue-billrun-order-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string setup_data = dir + "/setup-data";
  WriteSetup(dir + "/setup.jsonl", "UTC");
  ASSERT_EQ(Execute(std::string(ACCRUE_BINARY) + " --data " + setup_data + " post " + dir + "/setup.jsonl > /dev/null")
                .exit_code,
            0);
  const std::string file = dir + "/run.jsonl";
  std::ofstream(file)
      << R"({"command":"run_billing","idempotency_key":"run","as_of":"2024-02-01T00:00:00Z"})" << "\n"
      << R"({"command":"open_account","idempotency_key":"open-late","account_id":"late","currency":"USD","timezone":"UTC"})"
      << "\n"
      << R"({"command":"subscribe","idempotency_key":"sub-late","subscription_id":"sub-late","account_id":"late","plan_id":"basic","start":"2024-01-01T00:00:00Z"})"
      << "\n"
      << R"({"command":"run_billing","idempotency_key":"run-late","account_id":"late","as_of":"2024-02-01T00:00:00Z"})"
      << "\n";

  std::mt19937 rng(20241206);
  auto delay = std::chrono::microseconds(60'000);
  int mid_run_kills = 0;
  for (int attempt = 1; attempt <= 12 && mid_run_kills < 3; ++attempt) {
    const std::string data = dir + "/data-" + std::to_string(attempt);
    std::filesystem::copy(setup_data, data, std::filesystem::copy_options::recursive);
    auto jittered = std::chrono::microseconds(std::uniform_int_distribution<long>(delay.count() / 2, delay.count() * 3 / 2)(rng));
    const bool landed = PostAndKill(data, file, jittered);
    LogView killed = Fold(data);
    std::size_t billed = 0;
    for (int i = 0; i < kAccounts; ++i) billed += killed.invoices[AccountId(i)] == 1;
    const bool mid_run = landed && billed > 0 && billed < static_cast<std::size_t>(kAccounts);
    mid_run_kills += mid_run;
    std::printf("attempt %d: killed after %ld us, %zu of %d accounts billed, late %s%s\n", attempt,
                static_cast<long>(jittered.count()), billed, kAccounts,
                killed.invoices.count("late") ? "opened" : "not opened", mid_run ? " (mid-run)" : "");
    if (mid_run) {
      EXPECT_EQ(killed.invoices.count("late"), 0u) << "a command after the run was durable before it";
    }
    if (!landed || billed == static_cast<std::size_t>(kAccounts)) delay /= 2;
    if (landed && billed == 0) delay = delay * 3 / 2;

    ProcessRun retried = Execute(std::string(ACCRUE_BINARY) + " --data " + data + " post " + file);
    ASSERT_EQ(retried.exit_code, 0) << retried.out;
    std::vector<std::string> lines;
    for (std::size_t at = 0, end; (end = retried.out.find('\n', at)) != std::string::npos; at = end + 1) {
      lines.push_back(retried.out.substr(at, end - at));
    }
    ASSERT_EQ(lines.size(), 4u) << retried.out;
    EXPECT_EQ(lines[0].find("\"late-1\""), std::string::npos) << "the retried run billed late: " << lines[0];
    EXPECT_NE(lines[3].find(R"("invoices":["late-1"])"), std::string::npos) << lines[3];
    LogView done = Fold(data);
    for (const auto& v : done.violations) ADD_FAILURE() << "after the retry: " << v.ToString();
    EXPECT_EQ(done.invoices["late"], 1u);
    for (int i = 0; i < kAccounts; ++i) ASSERT_EQ(done.invoices[AccountId(i)], 1u) << AccountId(i);
    std::filesystem::remove_all(data);
  }
  EXPECT_GE(mid_run_kills, 1) << "no kill landed in the middle of the run; the test proved nothing";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace accrue
