// Tests of the command decoder: D-1 steps 2 and 4-8 with D-2, D-4, D-9..D-18, D-30,
// D-31. Each table row is one command line and the rejection the contract expects
// (code and field), or acceptance; the rows of scenarios 23_invalid_inputs and
// 22_idempotency that need no stored state are reproduced here verbatim.
#include "engine/command.h"

// GCC 12 reports -Wrestrict falsely for "literal" + std::string (GCC bug 105329); the
// tables below build lines that way.
#pragma GCC diagnostic ignored "-Wrestrict"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace accrue::engine {
namespace {

JsonValue Parse(const std::string& line) {
  JsonValue v;
  std::string error;
  EXPECT_TRUE(ParseJsonObjectLine(line, &v, &error)) << line << ": " << error;
  return v;
}

std::variant<Command, Rejection> Decode(const std::string& line) { return DecodeCommand(Parse(line)); }

template <typename T>
T DecodeAs(const std::string& line) {
  auto result = Decode(line);
  if (const Rejection* r = std::get_if<Rejection>(&result)) {
    ADD_FAILURE() << line << " rejected: " << ErrorCodeName(r->code) << " " << r->field << ": "
                  << r->message;
    return T{};
  }
  const Command& command = std::get<Command>(result);
  EXPECT_TRUE(std::holds_alternative<T>(command)) << line;
  return std::holds_alternative<T>(command) ? std::get<T>(command) : T{};
}

struct Case {
  std::string line;
  std::string code;  // "" = accepted
  std::string field;
};

void RunCases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    const auto result = Decode(c.line);
    if (c.code.empty()) {
      const Rejection* r = std::get_if<Rejection>(&result);
      EXPECT_EQ(r, nullptr) << c.line << " -> " << (r ? ErrorCodeName(r->code) : "") << " "
                            << (r ? r->field : "") << " " << (r ? r->message : "");
      continue;
    }
    const Rejection* r = std::get_if<Rejection>(&result);
    if (r == nullptr) {
      ADD_FAILURE() << c.line << " accepted, want " << c.code << " " << c.field;
      continue;
    }
    EXPECT_EQ(ErrorCodeName(r->code), c.code) << c.line << " (" << r->message << ")";
    EXPECT_EQ(r->field, c.field) << c.line << " (" << r->message << ")";
    EXPECT_FALSE(r->message.empty()) << c.line;
  }
}

// Builds `{"command":NAME,"idempotency_key":"k",REST}`.
std::string Cmd(const std::string& name, const std::string& rest) {
  return "{\"command\":\"" + name + "\",\"idempotency_key\":\"k\"" + (rest.empty() ? "" : ",") +
         rest + "}";
}

// A record_payment with one field replaced.
std::string Payment(const std::string& amount, const std::string& currency = "\"USD\"",
                    const std::string& received_at = "\"2024-02-11T00:00:00Z\"") {
  return Cmd("record_payment", "\"payment_id\":\"p1\",\"account_id\":\"acme\",\"amount\":" + amount +
                                   ",\"currency\":" + currency + ",\"received_at\":" + received_at +
                                   ",\"external_ref\":\"x1\"");
}

std::string Plan(const std::string& amount, const std::string& extra = "") {
  return Cmd("publish_plan", "\"plan_id\":\"pro\",\"currency\":\"USD\",\"interval\":\"month\",\"amount\":" +
                                 amount + (extra.empty() ? "" : "," + extra));
}

std::string Usage(const std::string& quantity, const std::string& at = "\"2024-02-11T00:00:00Z\"") {
  return Cmd("record_usage", "\"usage_id\":\"u1\",\"subscription_id\":\"s1\",\"meter\":\"m\",\"quantity\":" +
                                 quantity + ",\"at\":" + at);
}

std::string Sub(const std::string& quantity_field, const std::string& start = "\"2024-02-10T00:00:00Z\"") {
  return Cmd("subscribe", "\"subscription_id\":\"s1\",\"account_id\":\"acme\",\"plan_id\":\"pro\"" +
                              quantity_field + ",\"start\":" + start);
}

std::string Meters(const std::string& list) { return Plan("\"49.00\"", "\"meters\":" + list); }

// Scenario 23_invalid_inputs: every row decidable without state, byte for byte.
TEST(DecodeCommand, Scenario23StatelessRows) {
  RunCases({
      {R"({"command":"open_account","idempotency_key":"k1","account_id":"acme","currency":"XYZ","timezone":"UTC"})", "unknown_currency", "currency"},
      {R"({"command":"open_account","idempotency_key":"k2","account_id":"acme","currency":"usd","timezone":"UTC"})", "unknown_currency", "currency"},
      {R"({"command":"open_account","idempotency_key":"k3","account_id":"acme","currency":840,"timezone":"UTC"})", "invalid_field", "currency"},
      {R"({"command":"open_account","idempotency_key":"k4","account_id":"acme","timezone":"UTC"})", "missing_field", "currency"},
      {R"({"command":"open_account","idempotency_key":"k5","account_id":"acme","currency":"USD","timezone":"America/New_Yrok"})", "invalid_field", "timezone"},
      {R"({"command":"open_account","idempotency_key":"k6","account_id":"acme","currency":"USD","timezone":"localtime"})", "invalid_field", "timezone"},
      {R"({"command":"open_account","idempotency_key":"k7","account_id":"acme","currency":"USD","tz":"UTC"})", "invalid_field", "tz"},
      {R"({"command":"open_account","idempotency_key":"k8","account_id":"bad id!","currency":"USD"})", "invalid_field", "account_id"},
      {R"({"command":"open_account","idempotency_key":"k9","account_id":"acme","currency":"USD","timezone":null})", "invalid_field", "timezone"},
      {R"({"command":"open_account","idempotency_key":"k10","account_id":"acme","currency":"USD"})", "", ""},
      {R"({"command":"publish_plan","idempotency_key":"k12","plan_id":"pro","currency":"USD","interval":"month","amount":"49.001"})", "amount_precision", "amount"},
      {R"({"command":"publish_plan","idempotency_key":"k13","plan_id":"pro","currency":"USD","interval":"month","amount":"-1.00"})", "invalid_field", "amount"},
      {R"({"command":"publish_plan","idempotency_key":"k14","plan_id":"pro","currency":"USD","interval":"month","amount":"1e3"})", "invalid_field", "amount"},
      {R"({"command":"publish_plan","idempotency_key":"k15","plan_id":"pro","currency":"USD","interval":"month","amount":49.00})", "invalid_field", "amount"},
      {R"({"command":"publish_plan","idempotency_key":"k16","plan_id":"pro","currency":"USD","interval":"week","amount":"49.00"})", "invalid_field", "interval"},
      {R"({"command":"publish_plan","idempotency_key":"k17","plan_id":"pro","currency":"USD","interval":"month","interval_count":0,"amount":"49.00"})", "invalid_field", "interval_count"},
      {R"({"command":"publish_plan","idempotency_key":"k18","plan_id":"pro","currency":"USD","interval":"month","amount":"1701411834604692317316873037158841057.28"})", "amount_overflow", "amount"},
      {R"({"command":"publish_plan","idempotency_key":"k19","plan_id":"pro","currency":"USD","interval":"month","amount":" 49.00"})", "invalid_field", "amount"},
      {R"({"command":"publish_plan","idempotency_key":"k20","plan_id":"pro","currency":"USD","interval":"month","amount":"+49.00"})", "invalid_field", "amount"},
      {R"({"command":"publish_plan","idempotency_key":"k21","plan_id":"pro","currency":"USD","interval":"month","amount":"49.00","meters":[{"meter":"m","unit_price":"-0.01"}]})", "invalid_field", "meters"},
      {R"({"command":"publish_plan","idempotency_key":"k22","plan_id":"pro","currency":"USD","interval":"month","amount":"49.00","meters":[{"meter":"m"}]})", "missing_field", "meters"},
      {R"({"command":"publish_plan","idempotency_key":"k23","plan_id":"pro","currency":"USD","interval":"month","amount":"49.00","meters":[{"meter":"m","unit_price":"0.01"}]})", "", ""},
      {R"({"command":"subscribe","idempotency_key":"k28","subscription_id":"s1","account_id":"acme","plan_id":"pro","quantity":"1","start":"2024-02-10T00:00:00Z"})", "invalid_field", "quantity"},
      {R"({"command":"subscribe","idempotency_key":"k29","subscription_id":"s1","account_id":"acme","plan_id":"pro","quantity":1,"start":"2024-02-30T00:00:00Z"})", "invalid_field", "start"},
      {R"({"command":"subscribe","idempotency_key":"k30","subscription_id":"s1","account_id":"acme","plan_id":"pro","quantity":1,"start":"2024-02-10"})", "invalid_field", "start"},
      {R"({"command":"subscribe","idempotency_key":"k31","subscription_id":"s1","account_id":"acme","plan_id":"pro","quantity":1,"start":"2024-02-10T00:00:00"})", "invalid_field", "start"},
      {R"({"command":"subscribe","idempotency_key":"k32","subscription_id":"s1","account_id":"acme","plan_id":"pro","quantity":1,"start":"2024-02-10T25:00:00Z"})", "invalid_field", "start"},
      {R"({"command":"subscribe","idempotency_key":"k33","subscription_id":"s1","account_id":"acme","plan_id":"pro","quantity":1.0,"start":"2024-02-10T00:00:00Z"})", "invalid_field", "quantity"},
      {R"({"command":"subscribe","idempotency_key":"k34","subscription_id":"s1","account_id":"acme","plan_id":"pro","quantity":1,"start":"2024-02-10T00:00:00Z"})", "", ""},
      {R"({"command":"record_usage","idempotency_key":"k36","usage_id":"u1","subscription_id":"s1","meter":"m","quantity":"-5","at":"2024-02-11T00:00:00Z"})", "invalid_field", "quantity"},
      {R"({"command":"record_usage","idempotency_key":"k37","usage_id":"u1","subscription_id":"s1","meter":"m","quantity":5,"at":"2024-02-11T00:00:00Z"})", "invalid_field", "quantity"},
      {R"({"command":"record_usage","idempotency_key":"k38","usage_id":"u1","subscription_id":"s1","meter":"m","quantity":"5","at":"2024-02-11T00:00:00Z","note":"typo"})", "invalid_field", "note"},
      {R"({"command":"record_payment","idempotency_key":"k39","payment_id":"p1","account_id":"acme","amount":"-5.00","currency":"USD","received_at":"2024-02-11T00:00:00Z","external_ref":"x1"})", "invalid_field", "amount"},
      {R"({"command":"record_payment","idempotency_key":"k40","payment_id":"p1","account_id":"acme","amount":"0.00","currency":"USD","received_at":"2024-02-11T00:00:00Z","external_ref":"x1"})", "invalid_field", "amount"},
      {R"({"command":"record_payment","idempotency_key":"k41","payment_id":"p1","account_id":"acme","amount":"10.001","currency":"USD","received_at":"2024-02-11T00:00:00Z","external_ref":"x1"})", "amount_precision", "amount"},
      {R"({"command":"record_payment","idempotency_key":"k42","payment_id":"p1","account_id":"acme","amount":"10.00","currency":"ABC","received_at":"2024-02-11T00:00:00Z","external_ref":"x1"})", "unknown_currency", "currency"},
      {R"({"command":"record_payment","idempotency_key":"k43","payment_id":"p1","account_id":"acme","amount":"10.00","currency":"USD","received_at":"2024-02-11T00:00:00Z"})", "missing_field", "external_ref"},
      {R"({"command":"record_payment","idempotency_key":"k45","payment_id":"p1","account_id":"acme","amount":"10.00","currency":"USD","received_at":"2024-02-11T00:00:00Z","external_ref":""})", "invalid_field", "external_ref"},
      {R"({"command":"run_billing","idempotency_key":"k46","as_of":"yesterday"})", "invalid_field", "as_of"},
      {R"({"command":"run_billing","idempotency_key":"k48","as_of":"2024-03-01T00:00:00.1234567Z"})", "invalid_field", "as_of"},
      {R"({"command":"cancel_subscription","idempotency_key":"k49","subscription_id":"s1","effective":"2024-03-01T00:00:00Z","mode":"later"})", "invalid_field", "mode"},
      {R"({"command":"change_subscription","idempotency_key":"k50","subscription_id":"s1","effective":"2024-03-01T00:00:00Z"})", "missing_field", "plan_id"},
      {R"({"command":"open_acount","idempotency_key":"k51","account_id":"acme2","currency":"USD"})", "unknown_command", "command"},
      {R"({"idempotency_key":"k52","account_id":"acme2","currency":"USD"})", "missing_field", "command"},
      {R"({"command":"record_payment","idempotency_key":"k57","payment_id":"big1","account_id":"whale","amount":"1701411834604692317316873037158841057.27","currency":"USD","received_at":"2024-02-11T00:00:00Z","external_ref":"big-1"})", "", ""},
      // 05_usage_half_even: D-11 limits.
      {R"({"command":"publish_plan","idempotency_key":"k2","plan_id":"bad_price","currency":"USD","interval":"month","amount":"5.00","meters":[{"meter":"a","unit_price":"0.0000000000001"}]})", "invalid_field", "meters"},
      {R"({"command":"record_usage","idempotency_key":"k16","usage_id":"u-h2","subscription_id":"s1","meter":"h","quantity":"1.0000000000001","at":"2024-07-12T10:00:00Z"})", "invalid_field", "quantity"},
      {R"({"command":"record_usage","idempotency_key":"k15","usage_id":"u-h1","subscription_id":"s1","meter":"h","quantity":"12345.5","at":"2024-07-31T23:59:59Z"})", "", ""},
  });
}

// D-4 and scenario 22's key rows.
TEST(ExtractIdempotencyKey, D4) {
  struct KeyCase {
    std::string line;
    std::string code;  // "" = accepted
  };
  const std::string k255(255, 'K');
  const std::string k256(256, 'K');
  const std::vector<KeyCase> cases = {
      {R"({"command":"run_billing","as_of":"2024-07-01T00:00:00Z"})", "missing_field"},
      {R"({"command":"run_billing","idempotency_key":"","as_of":"2024-07-01T00:00:00Z"})", "invalid_field"},
      {"{\"idempotency_key\":\"" + k256 + "\"}", "invalid_field"},
      {R"({"idempotency_key":"k\u00e9"})", "invalid_field"},
      {R"({"idempotency_key":42})", "invalid_field"},
      {R"({"idempotency_key":null})", "invalid_field"},
      {R"({"idempotency_key":["k"]})", "invalid_field"},
      {R"({"idempotency_key":"tab\there"})", "invalid_field"},
      {R"({"idempotency_key":"del\u007f"})", "invalid_field"},
      {"{\"idempotency_key\":\"" + k255 + "\"}", ""},
      {R"({"idempotency_key":"k14 with spaces"})", ""},
      {R"({"idempotency_key":" ~!"})", ""},
  };
  for (const KeyCase& c : cases) {
    const auto result = ExtractIdempotencyKey(Parse(c.line));
    if (c.code.empty()) {
      ASSERT_TRUE(std::holds_alternative<std::string>(result)) << c.line;
      EXPECT_EQ(std::get<std::string>(result), Parse(c.line).Find("idempotency_key")->text);
    } else {
      ASSERT_TRUE(std::holds_alternative<Rejection>(result)) << c.line;
      EXPECT_EQ(ErrorCodeName(std::get<Rejection>(result).code), c.code) << c.line;
      EXPECT_EQ(std::get<Rejection>(result).field, "idempotency_key");
    }
  }
}

// D-1 steps 4-6: command name, then unknown fields (first in object order), then
// missing fields (first in the contract's order); null counts as present (D-2).
TEST(DecodeCommand, OrderOfStepsFourToSix) {
  RunCases({
      {R"({"command":null,"idempotency_key":"k"})", "unknown_command", "command"},
      {R"({"command":7,"foo":1})", "unknown_command", "command"},
      {R"({"command":"Open_Account"})", "unknown_command", "command"},
      {R"({"account_id":"a","command":"bogus","zzz":1})", "unknown_command", "command"},
      {Cmd("open_account", R"("zeta":1,"alpha":2)"), "invalid_field", "zeta"},
      {Cmd("open_account", R"("account_id":"a","bad":1)"), "invalid_field", "bad"},
      // Valid JSON however deep (up to kMaxJsonDepth): the unknown field is the fault.
      {Cmd("open_account", R"("account_id":"a","deep":)" + std::string(100, '[') + std::string(100, ']')),
       "invalid_field", "deep"},
      {Cmd("run_billing", R"("as_of":"x","quantity":1)"), "invalid_field", "quantity"},
      {Cmd("publish_plan", R"("amount":"1.00")"), "missing_field", "plan_id"},
      {Cmd("publish_plan", R"("plan_id":"p","amount":"1.00")"), "missing_field", "currency"},
      {Cmd("publish_plan", R"("plan_id":"p","currency":"USD","amount":"1.00")"), "missing_field", "interval"},
      {Cmd("publish_plan", R"("plan_id":"p","currency":"USD","interval":"year")"), "missing_field", "amount"},
      {Cmd("record_payment", R"("payment_id":"p","external_ref":"e")"), "missing_field", "account_id"},
      {Cmd("record_usage", R"("usage_id":"u","subscription_id":"s","meter":"m","quantity":"1")"), "missing_field", "at"},
      {Cmd("issue_credit_note", R"("credit_note_id":"c","invoice_id":"i","amount":"1")"), "missing_field", "reason"},
      {Cmd("refund_payment", R"("refund_id":"r","payment_id":"p")"), "missing_field", "amount"},
      {Cmd("reverse_payment", R"("payment_id":"p","reason":"x")"), "missing_field", "reversed_at"},
      {Cmd("cancel_subscription", R"("subscription_id":"s")"), "missing_field", "effective"},
      {Cmd("void_invoice", ""), "missing_field", "invoice_id"},
      {Cmd("mark_uncollectible", ""), "missing_field", "invoice_id"},
      {Cmd("close_account", ""), "missing_field", "account_id"},
      {Cmd("run_billing", ""), "missing_field", "as_of"},
      {Cmd("subscribe", R"("subscription_id":"s","account_id":"a","start":"2024-01-01T00:00:00Z")"), "missing_field", "plan_id"},
      // D-2: a present null is never missing.
      {Cmd("open_account", R"("account_id":null,"currency":"USD")"), "invalid_field", "account_id"},
      {Cmd("close_account", R"("account_id":null)"), "invalid_field", "account_id"},
      {Cmd("run_billing", R"("as_of":"2024-01-01T00:00:00Z","account_id":null)"), "invalid_field", "account_id"},
      {Sub(",\"quantity\":null"), "invalid_field", "quantity"},
      {Meters("null"), "invalid_field", "meters"},
      {Plan("\"1.00\"", "\"interval_count\":null"), "invalid_field", "interval_count"},
      {Cmd("cancel_subscription", R"("subscription_id":"s","effective":"2024-01-01T00:00:00Z","mode":null)"), "invalid_field", "mode"},
      {Cmd("change_subscription", R"("subscription_id":"s","plan_id":null,"effective":"2024-01-01T00:00:00Z")"), "invalid_field", "plan_id"},
      {Cmd("reverse_payment", R"("payment_id":"p","reversed_at":"2024-01-01T00:00:00Z","reason":null)"), "invalid_field", "reason"},
      // The key itself is not the decoder's business (a body may lack it over HTTP).
      {R"({"command":"close_account","account_id":"a"})", "", ""},
  });
}

// D-1 step 7 goes field by field in the contract's order; step 8 comes after all of it.
TEST(DecodeCommand, OrderOfStepsSevenAndEight) {
  RunCases({
      {Payment("\"abc\"", "\"XYZ\""), "invalid_field", "amount"},        // amount before currency
      {Payment("\"10.001\"", "\"XYZ\""), "unknown_currency", "currency"},  // step 7 before 8
      {Payment("\"10.001\"", "\"USD\"", "\"bad\""), "invalid_field", "received_at"},
      {Payment("\"-1.001\""), "amount_precision", "amount"},             // D-10: sign last
      {Payment("\"-1701411834604692317316873037158841057.29\""), "amount_overflow", "amount"},
      {Payment("\"-1701411834604692317316873037158841057.28\""), "invalid_field", "amount"},
      {Payment("\"10.00\"", "\"usd\""), "unknown_currency", "currency"},
      {Payment("\"10.00\"", "null"), "invalid_field", "currency"},
      {Payment("\"10\""), "", ""},
      {Payment("\"0.01\""), "", ""},
      {Payment("\"1500.0\"", "\"JPY\""), "amount_precision", "amount"},
      {Payment("\"1500\"", "\"JPY\""), "", ""},
      {Payment("\"1.0001\"", "\"CLF\""), "", ""},
      {Payment("\"1.00001\"", "\"CLF\""), "amount_precision", "amount"},
      {Payment("\"10.00\"", "\"HRK\""), "unknown_currency", "currency"},
      {Payment("\"10.00\"", "\"XAU\""), "unknown_currency", "currency"},
      {Plan("\"49.001\"", R"("meters":[{"meter":"m","unit_price":"-1"}])"), "invalid_field", "meters"},
      {Plan("\"49.001\"", R"("interval_count":2)"), "amount_precision", "amount"},
      {Cmd("publish_plan", R"("plan_id":"bad id","currency":"XYZ","interval":"week","amount":"x")"), "invalid_field", "plan_id"},
      {Cmd("publish_plan", R"("plan_id":"p","currency":"XYZ","interval":"week","amount":"x")"), "unknown_currency", "currency"},
      {Cmd("publish_plan", R"("plan_id":"p","currency":"USD","interval":"week","amount":"x")"), "invalid_field", "interval"},
      {Cmd("publish_plan", R"("amount":"x","interval":"year","currency":"USD","plan_id":"p")"), "invalid_field", "amount"},
      {Usage("\"-5\"", "\"bad\""), "invalid_field", "at"},  // usage sign is step 8
      {Sub(",\"quantity\":0", "\"bad\""), "invalid_field", "quantity"},
      // D-30: checked right after the required fields, before any value.
      {Cmd("change_subscription", R"("subscription_id":"bad id","effective":"x")"), "missing_field", "plan_id"},
      {Cmd("change_subscription", R"("subscription_id":"s")"), "missing_field", "effective"},
      {Cmd("change_subscription", R"("subscription_id":"s","quantity":2,"effective":"2024-01-01T00:00:00Z")"), "", ""},
      {Cmd("change_subscription", R"("subscription_id":"s","plan_id":"p","effective":"2024-01-01T00:00:00Z")"), "", ""},
      {Cmd("change_subscription", R"("subscription_id":"s","plan_id":"p","quantity":0,"effective":"2024-01-01T00:00:00Z")"), "invalid_field", "quantity"},
  });
}

// D-9: ids and invoice ids.
TEST(DecodeCommand, IdSyntaxD9) {
  const std::string id64 = "a" + std::string(63, 'b');
  const std::string id65 = id64 + "c";
  const std::string inv85 = "a" + std::string(84, '1');
  RunCases({
      {Cmd("close_account", "\"account_id\":\"" + id64 + "\""), "", ""},
      {Cmd("close_account", "\"account_id\":\"" + id65 + "\""), "invalid_field", "account_id"},
      {Cmd("close_account", R"("account_id":"A9_.:-z")"), "", ""},
      {Cmd("close_account", R"("account_id":"_a")"), "invalid_field", "account_id"},
      {Cmd("close_account", R"("account_id":"-a")"), "invalid_field", "account_id"},
      {Cmd("close_account", R"("account_id":"")"), "invalid_field", "account_id"},
      {Cmd("close_account", R"("account_id":"a b")"), "invalid_field", "account_id"},
      {Cmd("close_account", R"("account_id":"caf\u00e9")"), "invalid_field", "account_id"},
      {Cmd("close_account", R"("account_id":42)"), "invalid_field", "account_id"},
      {Cmd("void_invoice", "\"invoice_id\":\"" + inv85 + "\""), "", ""},
      {Cmd("void_invoice", "\"invoice_id\":\"" + inv85 + "1\""), "invalid_field", "invoice_id"},
      {Cmd("mark_uncollectible", "\"invoice_id\":\"" + inv85 + "\""), "", ""},
      {Cmd("issue_credit_note", "\"credit_note_id\":\"c\",\"invoice_id\":\"" + inv85 + "\",\"amount\":\"1\",\"reason\":\"r\""), "", ""},
      {Cmd("issue_credit_note", "\"credit_note_id\":\"" + id65 + "\",\"invoice_id\":\"i\",\"amount\":\"1\",\"reason\":\"r\""), "invalid_field", "credit_note_id"},
      {Usage("\"1\"").replace(Usage("\"1\"").find("\"m\""), 3, "\"m m\""), "invalid_field", "meter"},
  });
  EXPECT_TRUE(IsValidId("a"));
  EXPECT_FALSE(IsValidId(id65));
  EXPECT_TRUE(IsValidId(id65, 85));
}

// D-10: decimal string syntax for every amount; precision/range/sign per command.
TEST(DecodeCommand, DecimalStringsD10) {
  RunCases({
      {Plan("\"49\""), "", ""},
      {Plan("\"049.00\""), "", ""},
      {Plan("\"0\""), "", ""},   // a free plan
      {Plan("\"-0.00\""), "", ""},
      {Plan("\"49.000\""), "amount_precision", "amount"},
      {Plan("\".5\""), "invalid_field", "amount"},
      {Plan("\"5.\""), "invalid_field", "amount"},
      {Plan("\"\""), "invalid_field", "amount"},
      {Plan("\"1 \""), "invalid_field", "amount"},
      {Plan("\"1,00\""), "invalid_field", "amount"},
      {Plan("\"--1\""), "invalid_field", "amount"},
      {Plan("\"\u0661\""), "invalid_field", "amount"},
      {Plan("true"), "invalid_field", "amount"},
      {Plan("\"1" + std::string(60, '0') + "\""), "amount_overflow", "amount"},
      // Credit notes and refunds: syntax only here (D-1 step 11 is decide()'s).
      {Cmd("issue_credit_note", R"("credit_note_id":"c","invoice_id":"i","amount":"10.001","reason":"r")"), "", ""},
      {Cmd("issue_credit_note", R"("credit_note_id":"c","invoice_id":"i","amount":"0.00","reason":"r")"), "", ""},
      {Cmd("issue_credit_note", R"("credit_note_id":"c","invoice_id":"i","amount":"1e1","reason":"r")"), "invalid_field", "amount"},
      {Cmd("issue_credit_note", R"("credit_note_id":"c","invoice_id":"i","amount":10,"reason":"r")"), "invalid_field", "amount"},
      {Cmd("refund_payment", R"("refund_id":"r","payment_id":"p","amount":"-5")"), "", ""},
      {Cmd("refund_payment", R"("refund_id":"r","payment_id":"p","amount":"+5")"), "invalid_field", "amount"},
      {Cmd("refund_payment", R"("refund_id":"r","payment_id":"p","amount":null)"), "invalid_field", "amount"},
  });
  const auto note = DecodeAs<IssueCreditNote>(
      Cmd("issue_credit_note", R"("credit_note_id":"c","invoice_id":"i","amount":"10.001","reason":"r")"));
  EXPECT_EQ(note.amount, "10.001");
}

// D-11 and D-17: usage quantities.
TEST(DecodeCommand, UsageQuantityD11D17) {
  RunCases({
      {Usage("\"" + std::string(24, '9') + "\""), "", ""},
      {Usage("\"1" + std::string(24, '0') + "\""), "invalid_field", "quantity"},
      {Usage("\"" + std::string(30, '0') + "1\""), "", ""},  // leading zeros not counted
      {Usage("\"0." + std::string(11, '0') + "1\""), "", ""},
      {Usage("\"0." + std::string(12, '0') + "1\""), "invalid_field", "quantity"},
      {Usage("\"0\""), "invalid_field", "quantity"},
      {Usage("\"0.000\""), "invalid_field", "quantity"},
      {Usage("\"-0.5\""), "invalid_field", "quantity"},
      {Usage("5"), "invalid_field", "quantity"},
      {Usage("\"5e2\""), "invalid_field", "quantity"},
      {Usage("\"0.5\""), "", ""},
  });
  const auto usage = DecodeAs<RecordUsage>(Usage("\"1.50\""));
  EXPECT_EQ(usage.quantity.mantissa, 150);
  EXPECT_EQ(usage.quantity.scale, 2);
}

// D-12: instants.
TEST(DecodeCommand, InstantsD12) {
  auto billing = [](const std::string& as_of) {
    return Cmd("run_billing", "\"as_of\":\"" + as_of + "\"");
  };
  RunCases({
      {billing("2024-02-10t00:00:00z"), "", ""},
      {billing("2024-02-10T00:00:00.123456+05:30"), "", ""},
      {billing("2024-02-10T00:00:00-00:00"), "", ""},
      {billing("2024-02-10T00:00:00.1234567Z"), "invalid_field", "as_of"},
      {billing("2024-02-10T23:59:60Z"), "invalid_field", "as_of"},
      {billing("2024-02-10 00:00:00Z"), "invalid_field", "as_of"},
      {billing("2023-02-29T00:00:00Z"), "invalid_field", "as_of"},
      {billing("0001-01-01T00:00:00Z"), "invalid_field", "as_of"},
      {billing("9999-12-31T00:00:00Z"), "invalid_field", "as_of"},
      {billing("9999-12-30T23:59:59Z"), "", ""},
      {Cmd("run_billing", R"("as_of":1706745600)"), "invalid_field", "as_of"},
      {Cmd("reverse_payment", R"("payment_id":"p","reversed_at":"2024-02-10","reason":"x")"), "invalid_field", "reversed_at"},
      {Cmd("cancel_subscription", R"("subscription_id":"s","effective":"2024-02-10T00:00:00")"), "invalid_field", "effective"},
  });
  EXPECT_EQ(DecodeAs<RunBilling>(billing("1970-01-01T00:00:01.5Z")).as_of.micros, 1'500'000);
}

// Enums, D-16 quantities and D-31 interval counts.
TEST(DecodeCommand, EnumsAndIntegersD16D31) {
  const std::string max_q(24, '9');
  RunCases({
      {Plan("\"1.00\"").replace(Plan("\"1.00\"").find("month"), 5, "year"), "", ""},
      {Plan("\"1.00\"").replace(Plan("\"1.00\"").find("month"), 5, "Month"), "invalid_field", "interval"},
      {Cmd("cancel_subscription", R"("subscription_id":"s","effective":"2024-01-01T00:00:00Z","mode":"immediate")"), "", ""},
      {Cmd("cancel_subscription", R"("subscription_id":"s","effective":"2024-01-01T00:00:00Z","mode":"IMMEDIATE")"), "invalid_field", "mode"},
      {Sub(""), "", ""},
      {Sub(",\"quantity\":" + max_q), "", ""},
      {Sub(",\"quantity\":1" + std::string(24, '0')), "invalid_field", "quantity"},
      {Sub(",\"quantity\":0"), "invalid_field", "quantity"},
      {Sub(",\"quantity\":-0"), "invalid_field", "quantity"},
      {Sub(",\"quantity\":-1"), "invalid_field", "quantity"},
      {Sub(",\"quantity\":1e0"), "invalid_field", "quantity"},
      {Sub(",\"quantity\":true"), "invalid_field", "quantity"},
      {Plan("\"1.00\"", "\"interval_count\":-1"), "invalid_field", "interval_count"},
      {Plan("\"1.00\"", "\"interval_count\":1.0"), "invalid_field", "interval_count"},
      {Plan("\"1.00\"", "\"interval_count\":\"2\""), "invalid_field", "interval_count"},
      {Plan("\"1.00\"", "\"interval_count\":" + std::string(400, '9')), "", ""},
  });
  EXPECT_EQ(DecodeAs<Subscribe>(Sub("")).quantity, 1);
  const Int128 q = DecodeAs<Subscribe>(Sub(",\"quantity\":" + max_q)).quantity;
  EXPECT_EQ(Int128ToString(q), max_q);
  EXPECT_EQ(*DecodeAs<ChangeSubscription>(Cmd("change_subscription", R"("subscription_id":"s","quantity":3,"effective":"2024-01-01T00:00:00Z")")).quantity, 3);
  EXPECT_EQ(DecodeAs<CancelSubscription>(Cmd("cancel_subscription", R"("subscription_id":"s","effective":"2024-01-01T00:00:00Z")")).mode, CancelMode::kEndOfPeriod);

  const auto plain = DecodeAs<PublishPlan>(Plan("\"1.00\""));
  EXPECT_EQ(plain.interval_count, "1");
  EXPECT_EQ(plain.months_per_period, 1);
  const std::string yearly = Plan("\"1.00\"", "\"interval_count\":3");
  const auto three_years = DecodeAs<PublishPlan>(yearly.substr(0, yearly.find("month")) + "year" +
                                                 yearly.substr(yearly.find("month") + 5));
  EXPECT_EQ(three_years.interval, Interval::kYear);
  EXPECT_EQ(three_years.interval_count, "3");
  EXPECT_EQ(three_years.months_per_period, 36);
  const auto huge = DecodeAs<PublishPlan>(Plan("\"1.00\"", "\"interval_count\":" + std::string(400, '9')));
  EXPECT_EQ(huge.interval_count, std::string(400, '9'));
  EXPECT_EQ(huge.months_per_period, kMaxMonthsPerPeriod);
}

// D-18: meters.
TEST(DecodeCommand, MetersD18) {
  RunCases({
      {Meters("[]"), "", ""},
      {Meters("{}"), "invalid_field", "meters"},
      {Meters("[1]"), "invalid_field", "meters"},
      {Meters(R"([{"x":1}])"), "invalid_field", "meters"},  // unknown key before missing
      {Meters(R"([{"unit_price":"1"}])"), "missing_field", "meters"},
      {Meters(R"([{"meter":"m","unit_price":"1","extra":null}])"), "invalid_field", "meters"},
      {Meters(R"([{"meter":"bad id","unit_price":"1"}])"), "invalid_field", "meters"},
      {Meters(R"([{"meter":null,"unit_price":"1"}])"), "invalid_field", "meters"},
      {Meters(R"([{"meter":"m","unit_price":0.5}])"), "invalid_field", "meters"},
      {Meters(R"([{"meter":"m","unit_price":"0"}])"), "", ""},
      {Meters(R"([{"meter":"m","unit_price":"-0.01"}])"), "invalid_field", "meters"},
      {Meters(R"([{"meter":"m","unit_price":"1"},{"meter":"m","unit_price":"2"}])"), "invalid_field", "meters"},
      {Meters(R"([{"meter":"m","unit_price":"1"},{"meter":"n"}])"), "missing_field", "meters"},
      {Meters(R"([{"unit_price":"0.5","meter":"m"},{"meter":"n","unit_price":"0.000000000001"}])"), "", ""},
  });
  const auto plan = DecodeAs<PublishPlan>(
      Meters(R"([{"meter":"b","unit_price":"0.0004"},{"unit_price":"2","meter":"a"}])"));
  ASSERT_EQ(plan.meters.size(), 2u);
  EXPECT_EQ(plan.meters[0].meter, "b");  // source order kept
  EXPECT_EQ(plan.meters[0].unit_price.mantissa, 4);
  EXPECT_EQ(plan.meters[0].unit_price.scale, 4);
  EXPECT_EQ(plan.meters[1].meter, "a");
}

// D-3, D-15, and the 1-255 character texts.
TEST(DecodeCommand, CurrencyTimeZoneAndTexts) {
  auto open = [](const std::string& tz) {
    return Cmd("open_account", "\"account_id\":\"a\",\"currency\":\"USD\",\"timezone\":" + tz);
  };
  auto reverse = [](const std::string& reason) {
    return Cmd("reverse_payment", "\"payment_id\":\"p\",\"reversed_at\":\"2024-01-01T00:00:00Z\",\"reason\":" + reason);
  };
  std::string e255;
  for (int i = 0; i < 255; ++i) e255 += "\xc3\xa9";
  RunCases({
      {open("\"US/Eastern\""), "", ""},
      {open("\"Etc/GMT+5\""), "", ""},
      {open("\"+05:00\""), "invalid_field", "timezone"},
      {open("\"posixrules\""), "invalid_field", "timezone"},
      {open("\"america/new_york\""), "invalid_field", "timezone"},
      {open("5"), "invalid_field", "timezone"},
      {reverse("\"" + std::string(255, 'r') + "\""), "", ""},
      {reverse("\"" + std::string(256, 'r') + "\""), "invalid_field", "reason"},
      {reverse("\"" + e255 + "\""), "", ""},  // characters, not bytes
      {reverse("\"" + e255 + "x\""), "invalid_field", "reason"},
      {reverse("\"\""), "invalid_field", "reason"},
      {reverse("[\"x\"]"), "invalid_field", "reason"},
      {Payment("\"1.00\"").replace(Payment("\"1.00\"").find("\"x1\""), 4, "7"), "invalid_field", "external_ref"},
  });
  const auto account = DecodeAs<OpenAccount>(Cmd("open_account", R"("account_id":"a","currency":"JPY")"));
  EXPECT_EQ(account.timezone, "UTC");
  EXPECT_EQ(account.currency.code, "JPY");
  EXPECT_EQ(account.currency.exponent, 0);
  EXPECT_EQ(DecodeAs<OpenAccount>(open("\"US/Eastern\"")).timezone, "US/Eastern");
}

// Every example line of contract.md decodes, to the right type and values.
TEST(DecodeCommand, ContractExampleLines) {
  const std::vector<std::pair<std::string, std::string>> lines = {
      {R"({"command":"open_account","idempotency_key":"k1","account_id":"acme","currency":"USD","timezone":"America/New_York"})", "open_account"},
      {R"({"command":"publish_plan","idempotency_key":"k2","plan_id":"pro","currency":"USD","interval":"month","interval_count":1,"amount":"49.00","meters":[{"meter":"api_calls","unit_price":"0.0004"}]})", "publish_plan"},
      {R"({"command":"subscribe","idempotency_key":"k3","subscription_id":"s1","account_id":"acme","plan_id":"pro","quantity":1,"start":"2024-01-31T15:00:00Z"})", "subscribe"},
      {R"({"command":"change_subscription","idempotency_key":"k4","subscription_id":"s1","plan_id":"team","quantity":3,"effective":"2024-02-10T00:00:00Z"})", "change_subscription"},
      {R"({"command":"cancel_subscription","idempotency_key":"k5","subscription_id":"s1","effective":"2024-06-01T00:00:00Z","mode":"end_of_period"})", "cancel_subscription"},
      {R"({"command":"record_usage","idempotency_key":"k6","usage_id":"u1","subscription_id":"s1","meter":"api_calls","quantity":"1200","at":"2024-02-03T10:00:00Z"})", "record_usage"},
      {R"({"command":"run_billing","idempotency_key":"k7","as_of":"2024-03-01T00:00:00Z"})", "run_billing"},
      {R"({"command":"record_payment","idempotency_key":"k8","payment_id":"p1","account_id":"acme","amount":"49.00","currency":"USD","received_at":"2024-02-02T09:00:00Z","external_ref":"ch_123"})", "record_payment"},
      {R"({"command":"issue_credit_note","idempotency_key":"k9","credit_note_id":"cn1","invoice_id":"acme-1","amount":"10.00","reason":"goodwill"})", "issue_credit_note"},
      {R"({"command":"refund_payment","idempotency_key":"k10","refund_id":"r1","payment_id":"p1","amount":"5.00"})", "refund_payment"},
      {R"({"command":"reverse_payment","idempotency_key":"k11","payment_id":"p1","reversed_at":"2024-02-20T12:00:00Z","reason":"chargeback"})", "reverse_payment"},
      {R"({"command":"void_invoice","idempotency_key":"k12","invoice_id":"acme-2"})", "void_invoice"},
      {R"({"command":"mark_uncollectible","idempotency_key":"k13","invoice_id":"acme-3"})", "mark_uncollectible"},
      {R"({"command":"close_account","idempotency_key":"k14","account_id":"acme"})", "close_account"},
      {R"({"command":"run_billing","idempotency_key":"k15","as_of":"2024-03-01T00:00:00Z","account_id":"acme"})", "run_billing"},
  };
  for (const auto& [line, name] : lines) {
    const auto result = Decode(line);
    ASSERT_TRUE(std::holds_alternative<Command>(result)) << line;
    EXPECT_EQ(CommandName(std::get<Command>(result)), name);
  }
  const auto plan = DecodeAs<PublishPlan>(lines[1].first);
  EXPECT_EQ(plan.amount, 4900);
  EXPECT_EQ(plan.currency.code, "USD");
  const auto payment = DecodeAs<RecordPayment>(lines[7].first);
  EXPECT_EQ(payment.amount, 4900);
  EXPECT_EQ(payment.external_ref, "ch_123");
  const auto change = DecodeAs<ChangeSubscription>(lines[3].first);
  EXPECT_EQ(*change.plan_id, "team");
  EXPECT_EQ(DecodeAs<RunBilling>(lines[14].first).account_id, std::optional<std::string>("acme"));
  EXPECT_FALSE(DecodeAs<RunBilling>(lines[6].first).account_id.has_value());
  const auto big = DecodeAs<RecordPayment>(Payment("\"1701411834604692317316873037158841057.27\""));
  EXPECT_EQ(big.amount, kInt128Max);
}

}  // namespace
}  // namespace accrue::engine
