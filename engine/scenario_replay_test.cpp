// Runs every scenario of tests/scenarios/ through the CommandService on the
// in-memory store (no process, no disk) and compares results and states exactly
// like tests/scenario_test.cpp does through the `accrue` binary. Fast feedback
// for decide/evolve; also checks that a fresh fold of the log (a new service on
// the same store) renders byte-identical states (replay determinism).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/json.h"
#include "engine/service.h"
#include "engine/scenario_test_util.h"
#include "events/event_store.h"

namespace accrue::engine {
namespace {

using testutil::Field;
using testutil::Lines;

void RunScenario(const std::string& name) {
  const std::string dir = ACCRUE_SCENARIO_DIR;
  auto commands = Lines(dir + "/" + name + ".jsonl");
  auto expected = Lines(dir + "/" + name + ".results.jsonl");
  ASSERT_EQ(commands.size(), expected.size());
  auto store = events::NewMemoryEventStore([] { return int64_t{0}; });
  {
    CommandService service(store.get(), ServiceOptions{});
    std::vector<events::Future<CommandOutcome>> futures;
    for (const auto& c : commands) futures.push_back(service.Submit("default", c, std::nullopt));
    int mismatches = 0;
    for (std::size_t i = 0; i < commands.size(); ++i) {
      CommandOutcome o = futures[i].get();
      JsonValue got, want;
      std::string err;
      ASSERT_TRUE(ParseJsonObjectLine(o.result_json, &got, &err)) << o.result_json;
      ASSERT_TRUE(ParseJsonObjectLine(expected[i], &want, &err));
      for (auto [a, b] : {std::pair<const char*, const char*>{"idempotency_key", nullptr},
                          {"status", nullptr}, {"error", "code"}, {"replayed", nullptr}}) {
        if (Field(got, a, b) != Field(want, a, b) && mismatches++ < 5) {
          ADD_FAILURE() << name << " line " << i + 1 << ": " << commands[i].substr(0, 200)
                        << "\n got:  " << o.result_json << "\n want: " << expected[i];
          break;
        }
      }
    }
  }
  std::ifstream in(dir + "/" + name + ".expected.json");
  std::stringstream ss;
  ss << in.rdbuf();
  JsonValue states;
  std::string err;
  ASSERT_TRUE(ParseJsonObjectLine(ss.str(), &states, &err)) << err;
  CommandService fresh(store.get(), ServiceOptions{});  // folds from the log again
  int mismatches = 0;
  for (const auto& [account_id, want] : states.members) {
    auto got = fresh.AccountJson("default", account_id);
    ASSERT_TRUE(got.has_value()) << account_id;
    JsonValue parsed;
    ASSERT_TRUE(ParseJsonObjectLine(*got, &parsed, &err)) << *got;
    if (!JsonEqual(parsed, want) && mismatches++ < 3) {
      ADD_FAILURE() << name << " account " << account_id << "\n got:  " << *got
                    << "\n want: " << CanonicalJson(want);
    }
  }
}

class ScenarioReplay : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioReplay, ResultsAndStatesMatch) { RunScenario(GetParam()); }

std::vector<std::string> ScenarioNames() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(ACCRUE_SCENARIO_DIR)) {
    std::string f = e.path().filename().string();
    const std::string suffix = ".results.jsonl";
    if (f.size() > suffix.size() && f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(f.substr(0, f.size() - suffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(All, ScenarioReplay, ::testing::ValuesIn(ScenarioNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace accrue::engine
