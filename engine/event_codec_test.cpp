// EncodeUsageFingerprint writes the protobuf wire format by hand; these tests hold
// it to what the generated code serializes for the same four fields (the bytes are
// stored as usage claim values in the log, so they must never drift).
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/decimal.h"
#include "engine/event_codec.h"

namespace accrue::engine {
namespace {

// The reference: a message holding only the fingerprint's fields, serialized.
std::string Reference(const v1::UsageRecorded& e) {
  v1::UsageRecorded body;
  body.set_subscription_id(e.subscription_id());
  body.set_meter(e.meter());
  body.set_quantity(e.quantity());
  body.set_at_us(e.at_us());
  return body.SerializeAsString();
}

TEST(UsageFingerprint, MatchesTheGeneratedSerializationByteForByte) {
  const std::vector<int64_t> instants = {0,   1,   127, 128, 16383, 16384, 1'704'067'200'000'000, -1, -128,
                                         std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  const std::vector<std::string> texts = {"", "s", "sub-000001-1", std::string(127, 'x'), std::string(128, 'y'),
                                          std::string(20000, 'z'), "\xc3\xa9t\xc3\xa9", std::string("a\0b", 3)};
  int compared = 0;
  for (int64_t at : instants) {
    for (const std::string& sub : texts) {
      for (const std::string& other : {std::string(), std::string("api_calls"), std::string(300, 'q')}) {
        v1::UsageRecorded e;
        e.set_usage_id("u-1");  // fields outside the fingerprint are left out
        e.set_plan_id("pro-usd");
        e.set_unit_price("0.0004");
        e.set_period_index(3);
        e.set_subscription_id(sub.empty() ? "sub" : sub);
        e.set_meter(other);
        e.set_quantity(sub);
        e.set_at_us(at);
        ASSERT_EQ(EncodeUsageFingerprint(e), Reference(e)) << "at " << at << ", sub size " << sub.size();
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 11 * 8 * 3);
}

TEST(UsageFingerprint, DecodesBackToTheRecordedBody) {
  v1::UsageRecorded e;
  e.set_usage_id("u-000001-37");
  e.set_subscription_id("sub-000001-1");
  e.set_meter("storage_gb");
  e.set_quantity("156.22");
  e.set_at_us(1'704'998'674'460'451);
  auto f = DecodeUsageFingerprint(EncodeUsageFingerprint(e));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->subscription_id, "sub-000001-1");
  EXPECT_EQ(f->meter, "storage_gb");
  EXPECT_EQ(f->at.micros, 1'704'998'674'460'451);
  EXPECT_EQ(FormatDecimal(f->quantity), "156.22");
}

}  // namespace
}  // namespace accrue::engine
