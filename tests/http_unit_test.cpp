// Unit tests of the HTTP API's pure parts: the contract's status table, tokens file
// format and authentication, the Prometheus registry, routes, admission and the
// JSON peek. Each test says what it proves.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <string>

#include "app/http_admission.h"
#include "app/http_errors.h"
#include "app/http_json_peek.h"
#include "app/http_router.h"
#include "app/metrics.h"
#include "app/store_metrics.h"
#include "app/tokens.h"

namespace accrue::app {
namespace {

using engine::ErrorCode;

// contract.md "HTTP API": every error code maps to exactly the listed status.
TEST(HttpErrors, StatusTableIsTheContracts) {
  const std::vector<std::pair<ErrorCode, int>> table = {
      {ErrorCode::kInvalidJson, 400},          {ErrorCode::kUnknownCommand, 400},
      {ErrorCode::kMissingField, 400},         {ErrorCode::kInvalidField, 400},
      {ErrorCode::kUnknownCurrency, 400},      {ErrorCode::kAmountPrecision, 400},
      {ErrorCode::kUnauthorized, 401},         {ErrorCode::kForbidden, 403},
      {ErrorCode::kNotFound, 404},             {ErrorCode::kInvalidState, 409},
      {ErrorCode::kAlreadyExists, 409},        {ErrorCode::kIdempotencyInProgress, 409},
      {ErrorCode::kPayloadTooLarge, 413},      {ErrorCode::kIdempotencyKeyReused, 422},
      {ErrorCode::kAmountOverflow, 422},       {ErrorCode::kCurrencyMismatch, 422},
      {ErrorCode::kIntervalMismatch, 422},     {ErrorCode::kInsufficientCredit, 422},
      {ErrorCode::kExceedsRefundable, 422},    {ErrorCode::kExceedsCreditable, 422},
      {ErrorCode::kRateLimited, 429},          {ErrorCode::kUnavailable, 503},
  };
  for (const auto& [code, status] : table) {
    EXPECT_EQ(HttpStatusFor(code), status) << engine::ErrorCodeName(code);
  }
  EXPECT_TRUE(RetryHelps(ErrorCode::kUnavailable));
  EXPECT_TRUE(RetryHelps(ErrorCode::kRateLimited));
  EXPECT_TRUE(RetryHelps(ErrorCode::kIdempotencyInProgress));
  EXPECT_FALSE(RetryHelps(ErrorCode::kInvalidState));
}

// The error body is the result object; a missing key is null.
TEST(HttpErrors, BodiesAreResultObjects) {
  EXPECT_EQ(CommandErrorBody(std::nullopt, ErrorCode::kMissingField, "m", "idempotency_key"),
            R"({"idempotency_key":null,"status":"rejected","error":{"code":"missing_field","message":"m","field":"idempotency_key"}})");
  EXPECT_EQ(CommandErrorBody(std::string("k\"1"), ErrorCode::kRateLimited, "slow"),
            R"({"idempotency_key":"k\"1","status":"failed","error":{"code":"rate_limited","message":"slow"}})");
  EXPECT_EQ(PlainErrorBody(ErrorCode::kNotFound, "x"), R"({"error":{"code":"not_found","message":"x"}})");
}

// D-4 echoes a bad key as it came, but an Idempotency-Key header may carry bytes
// that are not UTF-8 (obs-text): no JSON string holds them, so the key is null,
// as for a `post` line that is not UTF-8 (D-6). UTF-8 that is not ASCII is echoed.
TEST(HttpErrors, AKeyThatIsNotUtf8IsNull_D4_D6) {
  EXPECT_EQ(CommandErrorBody(std::string("cl\xe9"), ErrorCode::kInvalidField, "m", "idempotency_key"),
            R"({"idempotency_key":null,"status":"rejected","error":{"code":"invalid_field","message":"m","field":"idempotency_key"}})");
  EXPECT_EQ(CommandErrorBody(std::string("cl\xc3\xa9"), ErrorCode::kInvalidField, "m", "idempotency_key"),
            "{\"idempotency_key\":\"cl\xc3\xa9\",\"status\":\"rejected\",\"error\":{\"code\":\"invalid_field\","
            "\"message\":\"m\",\"field\":\"idempotency_key\"}}");
  EXPECT_EQ(CommandErrorBody(std::string("k\xed\xa0\x80"), ErrorCode::kUnavailable, "starting"),  // a surrogate
            R"({"idempotency_key":null,"status":"failed","error":{"code":"unavailable","message":"starting"}})");
}

// Tokens file: format round trip, strict parsing, scope syntax.
TEST(Tokens, FileRoundTripAndStrictParse) {
  std::vector<TokenEntry> entries = {{"tok_0123456789abcdef", "acme", kScopeRead | kScopeWrite, Sha256("a")},
                                     {"tok_00000000aaaaaaaa", "beta.co", kScopeRead, Sha256("b")}};
  auto parsed = ParseTokensFile(FormatTokensFile(entries));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed.value().size(), 2u);
  EXPECT_EQ(parsed.value()[1].tenant, "beta.co");
  EXPECT_EQ(parsed.value()[1].scopes, kScopeRead);
  EXPECT_EQ(parsed.value()[0].sha256, Sha256("a"));
  EXPECT_FALSE(ParseTokensFile("tok_0123456789abcdef acme read\n").ok());            // no hash
  EXPECT_FALSE(ParseTokensFile("tok_0123456789abcdef ac/me read " + std::string(64, 'a')).ok());
  EXPECT_FALSE(ParseTokensFile("tok_0123456789abcdef acme admin " + std::string(64, 'a')).ok());
  EXPECT_FALSE(ParseTokensFile("tok_0123456789abcdef acme read " + std::string(64, 'A')).ok());
  uint8_t s = 0;
  EXPECT_TRUE(ParseScopes("write,read", &s));
  EXPECT_EQ(s, kScopeRead | kScopeWrite);
  EXPECT_FALSE(ParseScopes("write,", &s));
  EXPECT_FALSE(ParseScopes("", &s));
}

std::string TempPath(const char* name) {
  return ::testing::TempDir() + "/" + name + "_" + std::to_string(::getpid());
}

// The file is created 0600; a group- or world-readable file is refused.
TEST(Tokens, ModeIsCheckedAndRevocationIsReloaded) {
  const std::string path = TempPath("tokens_mode");
  auto token = NewToken();
  auto id = NewTokenId();
  ASSERT_TRUE(token.ok() && id.ok());
  EXPECT_EQ(token.value().size(), 4u + 64u);
  ASSERT_TRUE(WriteTokensFile(path, {{id.value(), "acme", kScopeWrite, Sha256(token.value())}}).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto auth = TokenAuthenticator::Open(path, std::chrono::milliseconds(0));
  ASSERT_TRUE(auth.ok());
  auto who = auth.value()->Authenticate(token.value());
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->tenant, "acme");
  EXPECT_FALSE(auth.value()->Authenticate(token.value() + "x").has_value());
  EXPECT_FALSE(auth.value()->Authenticate("").has_value());
  // Revoke: rewrite without the entry; the next call (interval 0) sees it.
  ASSERT_TRUE(WriteTokensFile(path, {}).ok());
  EXPECT_FALSE(auth.value()->Authenticate(token.value()).has_value());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  EXPECT_FALSE(ReadTokensFile(path).ok());
  EXPECT_FALSE(TokenAuthenticator::Open(path, std::chrono::milliseconds(0)).ok());
  ::unlink(path.c_str());
  EXPECT_FALSE(TokenAuthenticator::Open(path, std::chrono::milliseconds(0)).ok());
}

// Prometheus text: HELP/TYPE lines, escaped labels, cumulative histogram buckets.
TEST(Metrics, RendersPrometheusText) {
  MetricsRegistry r;
  r.CounterFor("x_total", "X things", {{"route", "a\"b"}}).Inc(3);
  r.GaugeFor("y", "Y").Set(-2);
  auto& h = r.HistogramFor("z_seconds", "Z", {}, {1000, 2000}, 1000000);
  h.Observe(500);
  h.Observe(1500);
  h.Observe(99999);
  const std::string text = r.Render();
  EXPECT_NE(text.find("# TYPE x_total counter\nx_total{route=\"a\\\"b\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("y -2\n"), std::string::npos);
  EXPECT_NE(text.find("z_seconds_bucket{le=\"0.001000\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("z_seconds_bucket{le=\"0.002000\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("z_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("z_seconds_count 3\n"), std::string::npos);
}

// The event store's counters through a registry collector: queue depth gauge,
// totals, cumulative batch-size buckets and latency buckets in seconds; nothing
// once detached (the store is closing).
TEST(StoreMetrics, RendersTheStoresCountersAndStopsWhenDetached) {
  auto store = events::NewMemoryEventStore(events::SystemClock());
  events::AppendRequest request;
  request.streams.push_back(events::StreamAppend{"t/s", events::kNoStream, {}});
  for (int i = 0; i < 3; ++i) request.streams[0].events.push_back(events::NewEvent{"E", 1, "p"});
  ASSERT_EQ(store->Append(request).outcome, events::AppendOutcome::kAppended);
  MetricsRegistry r;
  auto source = AddStoreCollector(&r, store.get());
  const std::string text = r.Render();
  EXPECT_NE(text.find("# TYPE accrue_log_append_queue_depth gauge\naccrue_log_append_queue_depth 0\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("accrue_log_appends_total 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("accrue_log_events_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("accrue_log_fsyncs_total 0\n"), std::string::npos);  // memory store
  EXPECT_NE(text.find("accrue_log_batch_events_bucket{le=\"2\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("accrue_log_batch_events_bucket{le=\"5\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("accrue_log_batch_events_bucket{le=\"+Inf\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("accrue_log_batch_events_sum 3\n"), std::string::npos);
  EXPECT_NE(text.find("accrue_log_append_latency_seconds_bucket{le=\"0.0001\"} "), std::string::npos) << text;
  EXPECT_NE(text.find("accrue_log_append_latency_seconds_bucket{le=\"10\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("accrue_log_append_latency_seconds_count 1\n"), std::string::npos);
  source->Detach();
  EXPECT_EQ(r.Render().find("accrue_log_"), std::string::npos);
}

// RFC 9112 3.2.2: an absolute-form target is taken as its origin form.
TEST(Router, AbsoluteFormTargetsLoseSchemeAndAuthority) {
  EXPECT_EQ(OriginForm("/v1/commands"), "/v1/commands");
  EXPECT_EQ(OriginForm("http://127.0.0.1:8080/v1/accounts/a?x=1"), "/v1/accounts/a?x=1");
  EXPECT_EQ(OriginForm("HTTPS://h/healthz"), "/healthz");
  EXPECT_EQ(OriginForm("http://h"), "/");
  EXPECT_EQ(OriginForm("http://h?q=1"), "/?q=1");
  EXPECT_EQ(OriginForm("ftp://h/healthz"), "ftp://h/healthz");  // not ours: unmatched later
  EXPECT_EQ(OriginForm("http:/"), "http:/");
  EXPECT_EQ(MatchRoute("GET", OriginForm("http://h/v1/invoices/acme-1")).id, RouteId::kInvoice);
}

// Routes and id syntax (D-9): odd paths never reach the engine.
TEST(Router, MatchesTheContractsEndpoints) {
  EXPECT_EQ(MatchRoute("POST", "/v1/commands").id, RouteId::kCommand);
  EXPECT_EQ(MatchRoute("POST", "/v1/commands:batch").id, RouteId::kBatch);
  auto r = MatchRoute("GET", "/v1/accounts/acme/invoices?x=1");
  EXPECT_EQ(r.id, RouteId::kAccountInvoices);
  EXPECT_EQ(r.param, "acme");
  EXPECT_EQ(MatchRoute("GET", "/v1/accounts/invoices").param, "invoices");
  EXPECT_EQ(MatchRoute("GET", "/v1/invoices/acme-12").id, RouteId::kInvoice);
  EXPECT_EQ(MatchRoute("GET", "/v1/accounts/..%2f").id, RouteId::kNotFound);
  // Escapes are decoded before the id syntax is checked (RFC 3986 2.1).
  EXPECT_EQ(MatchRoute("GET", "/v1/accounts/x.y%3az-47").param, "x.y:z-47");
  EXPECT_EQ(MatchRoute("GET", "/v1/accounts/acct%2D00031/invoices").param, "acct-00031");
  EXPECT_EQ(MatchRoute("GET", "/v1/invoices/acme%2d12").param, "acme-12");
  for (const char* odd : {"/v1/accounts/a%2Fb", "/v1/accounts/a%", "/v1/accounts/a%4", "/v1/accounts/a%zz",
                          "/v1/accounts/a%00", "/v1/accounts/%E9", "/v1/accounts/a%2Finvoices"}) {
    EXPECT_EQ(MatchRoute("GET", odd).id, RouteId::kNotFound) << odd;
  }
  EXPECT_EQ(MatchRoute("GET", "/v1/accounts/" + std::string(64, 'a')).id, RouteId::kAccount);
  EXPECT_EQ(MatchRoute("GET", "/v1/accounts/" + std::string(63, 'a') + "%61").id, RouteId::kAccount);
  EXPECT_EQ(MatchRoute("GET", "/v1/accounts/" + std::string(64, 'a') + "%61").id, RouteId::kNotFound);
  EXPECT_EQ(MatchRoute("GET", "/v1/accounts/" + std::string(65, 'a')).id, RouteId::kNotFound);
  EXPECT_FALSE(MatchRoute("GET", "/v1/commands").method_allowed);
  // Metrics count a path taken with the wrong method as unmatched, not as a
  // failed request of the route (a DELETE is not a failed GET).
  EXPECT_EQ(MatchRoute("GET", "/v1/commands").label, "unmatched");
  EXPECT_EQ(MatchRoute("DELETE", "/v1/accounts/a").label, "unmatched");
  EXPECT_EQ(MatchRoute("GET", "/v1/accounts/a").label, "GET /v1/accounts/{id}");
  EXPECT_EQ(MatchRoute("GET", "/nope").id, RouteId::kNotFound);
}

// Admission: in-flight keys per tenant, tenant and server limits, all or nothing.
TEST(Admission, KeysAndLimits) {
  Admission a(/*max_tenant_inflight=*/3, /*max_inflight=*/4);
  EXPECT_EQ(a.TryAcquire("t1", {"k1"}), Admit::kOk);
  EXPECT_EQ(a.TryAcquire("t1", {"k1"}), Admit::kKeyInProgress);
  EXPECT_EQ(a.TryAcquire("t2", {"k1"}), Admit::kOk);  // keys are per tenant
  std::vector<std::size_t> busy;
  EXPECT_EQ(a.TryAcquire("t1", {"a", "k1", "a"}, &busy), Admit::kKeyInProgress);
  EXPECT_EQ(busy, (std::vector<std::size_t>{1}));  // "a" twice in one batch is not busy
  EXPECT_EQ(a.TryAcquire("t1", {"a", "b", "c"}), Admit::kTenantLimit);
  EXPECT_EQ(a.TryAcquire("t3", {"x", "y", "z"}), Admit::kServerLimit);
  EXPECT_EQ(a.inflight(), 2u);
  a.Release("t1", {"k1"});
  a.Release("t2", {"k1"});
  EXPECT_EQ(a.inflight(), 0u);
  EXPECT_EQ(a.TryAcquire("t1", {"k1", "", ""}), Admit::kOk);  // lines without a key still count
  EXPECT_EQ(a.inflight(), 3u);
  a.Release("t1", {"k1", "", ""});
  EXPECT_EQ(a.max_per_request(), 3u);
  EXPECT_EQ(a.TryAcquire("t1", {"r", "r", "s"}), Admit::kOk);  // a repeated key is held once,
  a.Release("t1", {"r", "r", "s"});                              // released whole
  EXPECT_EQ(a.inflight(), 0u);
  EXPECT_EQ(a.TryAcquire("t1", {"r"}), Admit::kOk);
}

// The peek reads top-level strings only and survives hostile input.
TEST(JsonPeek, ReadsTopLevelFieldsAndSurvivesDeepInput) {
  auto p = PeekCommand(R"({"meters":[{"command":"x"}],"command":"open_account","idempotency_key":"k1"})");
  EXPECT_EQ(p.command, "open_account");
  EXPECT_EQ(p.idempotency_key, "k1");
  EXPECT_EQ(CommandLabel(p.command), "open_account");
  EXPECT_EQ(CommandLabel(std::string("drop_tables")), "unknown");
  EXPECT_FALSE(PeekCommand(R"({"idempotency_key":7})").idempotency_key.has_value());
  EXPECT_FALSE(PeekCommand(std::string(500000, '[')).command.has_value());
  EXPECT_FALSE(PeekCommand("{\"command\":\"\xff\xfe\"}").command.has_value());
}

}  // namespace
}  // namespace accrue::app
