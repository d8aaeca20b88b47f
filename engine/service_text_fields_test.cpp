// external_ref and reason are "any non-empty strings" (D-9) of 1-255 characters
// (contract.md): a NUL, control characters and 255 four-byte characters are valid
// and must reach the log. The log's claim keys can hold neither a NUL nor more than
// events::kMaxNameBytes, so such an external_ref claims its SHA-256 (decide_money.cpp
// ExternalRefClaimId); R-P1's uniqueness still holds for it. Before, these payments
// failed as `unavailable` ("bad claim") and `accrue post` stopped with exit 2.
#include <gtest/gtest.h>

#include <string>

#include "engine/service.h"
#include "events/event_store.h"

namespace accrue::engine {
namespace {

class TextFieldsTest : public testing::Test {
 protected:
  TextFieldsTest()
      : store_(events::NewMemoryEventStore([] { return int64_t{0}; })),
        service_(store_.get(), ServiceOptions{}) {
    Post(R"({"command":"open_account","idempotency_key":"o","account_id":"acme","currency":"USD"})");
  }

  // The result line of one command.
  std::string Post(const std::string& line) {
    return service_.Submit("default", line, std::nullopt).get().result_json;
  }
  std::string Pay(const std::string& key, const std::string& id, const std::string& ref_json) {
    return Post(R"({"command":"record_payment","idempotency_key":")" + key + R"(","payment_id":")" + id +
                R"(","account_id":"acme","amount":"1.00","currency":"USD","received_at":"2024-01-01T00:00:00Z","external_ref":)" +
                ref_json + "}");
  }

  std::unique_ptr<events::EventStore> store_;
  CommandService service_;
};

bool Accepted(const std::string& result) { return result.find(R"("status":"accepted")") != std::string::npos; }
bool AlreadyExists(const std::string& result) {
  return result.find(R"("code":"already_exists")") != std::string::npos &&
         result.find(R"("field":"external_ref")") != std::string::npos;
}

TEST_F(TextFieldsTest, AnExternalRefWithANulIsAcceptedOnceAndKeptExactly_D9_RP1) {
  EXPECT_TRUE(Accepted(Pay("p1", "p1", R"("nul\u0000ref")"))) << Pay("p1", "p1", R"("nul\u0000ref")");
  EXPECT_TRUE(AlreadyExists(Pay("p2", "p2", R"("nul\u0000ref")")));
  EXPECT_TRUE(Accepted(Pay("p3", "p3", R"("nul\u0000ref2")")));
  EXPECT_TRUE(Accepted(Pay("p4", "p4", R"("\u0001starts with the marker")")));
  EXPECT_TRUE(AlreadyExists(Pay("p5", "p5", R"("\u0001starts with the marker")")));
  const auto json = service_.AccountJson("default", "acme");
  ASSERT_TRUE(json.has_value());
  EXPECT_NE(json->find(R"("external_ref":"nul\u0000ref")"), std::string::npos) << *json;
}

TEST_F(TextFieldsTest, TwoHundredFiftyFiveFourByteCharactersAreOneExternalRef) {
  std::string ref = "\"";
  for (int i = 0; i < 255; ++i) ref += "\xF0\x9F\x92\xB6";  // U+1F4B6, 4 bytes of UTF-8
  ref += "\"";
  EXPECT_TRUE(Accepted(Pay("q1", "q1", ref))) << Pay("q1", "q1", ref);
  EXPECT_TRUE(AlreadyExists(Pay("q2", "q2", ref)));
  std::string other = ref;
  other.replace(1, 4, "a");  // differs in its first character only
  EXPECT_TRUE(Accepted(Pay("q3", "q3", other)));
}

TEST_F(TextFieldsTest, AReasonWithANulIsAccepted) {
  ASSERT_TRUE(Accepted(Pay("r1", "r1", R"("ref-r1")")));
  EXPECT_TRUE(Accepted(Post(
      R"({"command":"reverse_payment","idempotency_key":"r2","payment_id":"r1","reversed_at":"2024-01-02T00:00:00Z","reason":"charge\u0000back"})")));
}

// D-1 step 5 names the first unknown field, also when its name is "" (D-45 leaves
// `field` out only when no single field is at fault).
TEST_F(TextFieldsTest, AnUnknownFieldNamedEmptyIsNamed_D1_D45) {
  EXPECT_EQ(Post(R"({"command":"close_account","idempotency_key":"e1","":1,"account_id":"acme"})"),
            R"({"idempotency_key":"e1","status":"rejected","error":{"code":"invalid_field","message":"unknown field \"\"","field":""}})");
}

}  // namespace
}  // namespace accrue::engine
