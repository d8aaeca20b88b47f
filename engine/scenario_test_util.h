// Helpers shared by the scenario tests (engine/scenario_replay_test,
// engine/snapshot_test, tests/scenario_test): reading a scenario file's lines and one result field.
#ifndef ACCRUE_ENGINE_SCENARIO_TEST_UTIL_H_
#define ACCRUE_ENGINE_SCENARIO_TEST_UTIL_H_

#include <fstream>
#include <istream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/json.h"

namespace accrue::engine::testutil {

// The non-blank lines of JSON-lines text, CR stripped (D-7).
inline std::vector<std::string> LinesOf(std::istream& in) {
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;  // D-7
    out.push_back(line);
  }
  return out;
}

inline std::vector<std::string> SplitLines(const std::string& text) {
  std::istringstream in(text);
  return LinesOf(in);
}

// The non-blank lines of a JSON-lines file.
inline std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  return LinesOf(in);
}

// Field a (or a.b) of a result object as comparable text: "<absent>", "true",
// "false", "null", or the string / number token.
inline std::string Field(const JsonValue& v, const char* a, const char* b = nullptr) {
  const JsonValue* x = v.Find(a);
  if (x != nullptr && b != nullptr) x = x->Find(b);
  if (x == nullptr) return "<absent>";
  if (x->is_string()) return x->text;
  if (x->kind == JsonValue::Kind::kBool) return x->boolean ? "true" : "false";
  if (x->is_null()) return "null";
  return x->text;
}

}  // namespace accrue::engine::testutil

#endif  // ACCRUE_ENGINE_SCENARIO_TEST_UTIL_H_
