// Scenario test (issue 5): every tests/scenarios/NAME runs through the real
// `accrue` binary on a fresh temporary data dir:
//   accrue --data DIR post NAME.jsonl        -> each result line is compared with
//       NAME.results.jsonl on idempotency_key, status, error.code and replayed;
//   accrue --data DIR inspect account ID     -> for every account of
//       NAME.expected.json, compared as parsed JSON (D-5 equality, engine/json.h).
// The exit code of post must be 1 when a command was rejected, else 0.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/json.h"
#include "engine/scenario_test_util.h"
#include "tests/process_util.h"

namespace accrue {
namespace {

using engine::JsonValue;

using testing::ProcessRun;
ProcessRun Execute(const std::string& command) { return testing::RunCommand(command); }

using engine::testutil::SplitLines;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Field(const JsonValue& v, const char* a, const char* b = nullptr) {
  const JsonValue* x = v.Find(a);
  if (x != nullptr && b != nullptr) x = x->Find(b);
  if (x == nullptr) return "<absent>";
  if (x->kind == JsonValue::Kind::kBool) return x->boolean ? "true" : "false";
  if (x->is_null()) return "null";
  return x->text;
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

class Scenario : public ::testing::TestWithParam<std::string> {};

TEST_P(Scenario, ResultsAndStatesMatch) {
  const std::string name = GetParam();
  const std::string base = std::string(ACCRUE_SCENARIO_DIR) + "/" + name;
  char tmpl[] = "/tmp/accrue-scenario-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string data = std::string(tmpl) + "/data";
  const std::string accrue = std::string(ACCRUE_BINARY) + " --data " + Quote(data);

  ProcessRun post = Execute(accrue + " post " + Quote(base + ".jsonl"));
  auto got = SplitLines(post.out);
  auto want = SplitLines(ReadFile(base + ".results.jsonl"));
  ASSERT_EQ(got.size(), want.size()) << "post printed " << got.size() << " results";
  bool any_rejected = false;
  int mismatches = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    JsonValue g, w;
    std::string err;
    ASSERT_TRUE(engine::ParseJsonObjectLine(got[i], &g, &err)) << got[i];
    ASSERT_TRUE(engine::ParseJsonObjectLine(want[i], &w, &err)) << want[i];
    if (Field(w, "status") == "rejected") any_rejected = true;
    for (auto [a, b] : {std::pair<const char*, const char*>{"idempotency_key", nullptr},
                        {"status", nullptr}, {"error", "code"}, {"replayed", nullptr}}) {
      if (Field(g, a, b) != Field(w, a, b)) {
        if (mismatches++ < 5) {
          ADD_FAILURE() << name << " result " << i + 1 << " differs on " << a << "\n got:  " << got[i]
                        << "\n want: " << want[i];
        }
        break;
      }
    }
  }
  EXPECT_EQ(post.exit_code, any_rejected ? 1 : 0);

  JsonValue states;
  std::string err;
  ASSERT_TRUE(engine::ParseJsonObjectLine(ReadFile(base + ".expected.json"), &states, &err)) << err;
  int state_mismatches = 0;
  for (const auto& [account_id, expected] : states.members) {
    ProcessRun inspect = Execute(accrue + " inspect account " + Quote(account_id));
    EXPECT_EQ(inspect.exit_code, 0) << account_id;
    JsonValue state;
    ASSERT_TRUE(engine::ParseJsonObjectLine(SplitLines(inspect.out).at(0), &state, &err)) << inspect.out;
    if (!engine::JsonEqual(state, expected) && state_mismatches++ < 3) {
      ADD_FAILURE() << name << " account " << account_id << "\n got:  " << inspect.out
                    << " want: " << engine::CanonicalJson(expected);
    }
  }
  ProcessRun unknown = Execute(accrue + " inspect account no-such-account-xyz");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.out.find("\"not_found\""), std::string::npos);
  std::filesystem::remove_all(tmpl);
}

std::vector<std::string> ScenarioNames() {
  std::vector<std::string> names;
  const std::string suffix = ".results.jsonl";
  for (const auto& e : std::filesystem::directory_iterator(ACCRUE_SCENARIO_DIR)) {
    std::string f = e.path().filename().string();
    if (f.size() > suffix.size() && f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(f.substr(0, f.size() - suffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(All, Scenario, ::testing::ValuesIn(ScenarioNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace accrue
