// AcceptedJson writes its bytes directly; these tests hold it to what JsonWriter
// gives for the same members (contract.md "Results" bytes must never drift).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/json.h"
#include "engine/result_json.h"

namespace accrue::engine {
namespace {

std::string Reference(const std::optional<std::string>& key, const AcceptedResult& r) {
  JsonWriter w;
  w.BeginObject();
  w.Key("idempotency_key");
  if (key) {
    w.String(*key);
  } else {
    w.Null();
  }
  w.Key("status");
  w.String("accepted");
  if (r.position) {
    w.Key("position");
    w.UInt(*r.position);
  }
  w.Key("events");
  w.BeginArray();
  for (const auto& e : r.events) w.String(e);
  w.EndArray();
  if (r.run) {
    w.Key("invoices");
    w.BeginArray();
    for (const auto& i : r.invoices) w.String(i);
    w.EndArray();
    w.Key("skipped");
    w.BeginArray();
    for (const auto& s : r.skipped) {
      w.BeginObject();
      w.Key("account_id");
      w.String(s.account_id);
      w.Key("code");
      w.String(ErrorCodeName(s.code));
      w.EndObject();
    }
    w.EndArray();
  }
  if (r.replayed) {
    w.Key("replayed");
    w.Bool(true);
  }
  w.EndObject();
  return w.Take();
}

TEST(AcceptedJson, MatchesTheWriterForEveryShape) {
  const std::vector<std::optional<std::string>> keys = {std::nullopt, "k-1", "a \"quoted\" \\ key",
                                                         std::string(300, 'k')};
  const std::vector<std::vector<std::string>> lists = {{}, {"UsageRecorded"}, {"InvoiceIssued", "CreditApplied"}};
  const std::vector<std::vector<SkippedAccount>> skips = {
      {}, {SkippedAccount{"acct-1", ErrorCode::kAmountOverflow}},
      {SkippedAccount{"a", ErrorCode::kInvalidState}, SkippedAccount{"b\"", ErrorCode::kAmountOverflow}}};
  const std::vector<std::optional<uint64_t>> positions = {std::nullopt, 0, 7, UINT64_MAX};
  int compared = 0;
  for (const auto& key : keys) {
    for (const auto& events : lists) {
      for (bool run : {false, true}) {
        for (const auto& skipped : skips) {
          for (const auto& position : positions) {
            for (bool replayed : {false, true}) {
              AcceptedResult r;
              r.events = events;
              r.run = run;
              r.invoices = events;  // any strings
              r.skipped = skipped;
              r.position = position;
              r.replayed = replayed;
              ASSERT_EQ(AcceptedJson(key, r), Reference(key, r));
              ++compared;
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(compared, 4 * 3 * 2 * 3 * 4 * 2);
}

TEST(AcceptedJson, TheCommonResultReadsAsTheContractShows) {
  AcceptedResult r;
  r.events = {"UsageRecorded"};
  EXPECT_EQ(AcceptedJson("w-27", r),
            "{\"idempotency_key\":\"w-27\",\"status\":\"accepted\",\"events\":[\"UsageRecorded\"]}");
  EXPECT_EQ(RenderStored(AcceptedJson("w-27", r), 42),
            "{\"idempotency_key\":\"w-27\",\"status\":\"accepted\",\"position\":42,\"events\":[\"UsageRecorded\"]}");
}

}  // namespace
}  // namespace accrue::engine
