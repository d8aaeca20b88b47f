// The HTTP server and handler over loopback with a fake backend: proves the socket
// layer, auth, status mapping, admission (409/429/503), limits (413, connections,
// slow clients, answer timeout), request ids and the drain, independent of the
// engine. tests/http_e2e_test.cpp repeats the contract's cases against a real
// `accrue serve` process.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <fstream>
#include <thread>

#include "app/http_handler.h"
#include "app/http_server.h"
#include "app/logging.h"
#include "app/tokens.h"
#include "tests/http_test_client.h"

namespace accrue::app {
namespace {

using accrue::testing::Headers;
using accrue::testing::HttpClient;
using accrue::testing::RawConnection;
using accrue::testing::RawExchange;
using accrue::testing::Reply;
using accrue::testing::Request;
using engine::CommandOutcome;
using engine::OutcomeStatus;

// Answers from its own thread. A body containing "hold" is kept until Release();
// "fail" -> failed (unavailable); "reject" -> invalid_state; the same key with
// another body -> idempotency_key_reused; the same key and body -> replay. Reads
// find account "acme" of tenant "t1" only.
class FakeBackend : public HttpBackend {
 public:
  ~FakeBackend() override {
    ReleaseAll();
    for (auto& t : threads_) t.join();
  }
  void SubmitCommand(const std::string& tenant, std::string body, std::string key, CommandDone done) override {
    std::unique_lock lock(mu_);
    if (body.find("hold") != std::string::npos && seen_.count(tenant + "/" + key) == 0) {
      held_.push_back([this, tenant, body, key, done] { done(Decide(tenant, body, key)); });
      cv_.notify_all();
      return;
    }
    CommandOutcome o = DecideLocked(tenant, body, key);
    threads_.emplace_back([done, o] { done(o); });
  }
  void SubmitBatch(const std::string& tenant, std::vector<std::string> lines, BatchDone done) override {
    if (!lines.empty() && lines.front().find("hold") != std::string::npos) {
      std::unique_lock lock(mu_);
      held_.push_back([this, tenant, lines, done] {
        std::vector<CommandOutcome> out;
        for (const auto& l : lines) out.push_back(Decide(tenant, l, "held" + std::to_string(lines.size())));
        done(out);
      });
      cv_.notify_all();
      return;
    }
    std::vector<CommandOutcome> out;
    {
      std::lock_guard lock(mu_);
      for (const auto& l : lines) out.push_back(DecideLocked(tenant, l, "line" + std::to_string(++batch_keys_)));
    }
    std::lock_guard lock(mu_);
    threads_.emplace_back([done, out] { done(out); });
  }
  void Read(ReadKind kind, const std::string& tenant, const std::string& id, ReadDone done) override {
    if (kind == ReadKind::kAccount && tenant == "t1" && id == "acme") return done(std::string(R"({"account_id":"acme"})"), "");
    if (kind == ReadKind::kAccount && tenant == "t1" && id == "broken") return done(std::nullopt, "corruption: injected");
    done(std::nullopt, "");
  }
  Status WriteHealth() const override {
    return log_stopped.load() ? Status::IoError("event log stopped at /secret/path; restart accrue") : Status::Ok();
  }
  std::atomic<bool> log_stopped{false};
  bool WaitHeld(std::size_t n, std::chrono::milliseconds bound = std::chrono::seconds(5)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, bound, [&] { return held_.size() >= n; });
  }
  void ReleaseAll() {
    std::vector<std::function<void()>> held;
    {
      std::lock_guard lock(mu_);
      held.swap(held_);
    }
    for (auto& h : held) h();
  }

 private:
  CommandOutcome Decide(const std::string& tenant, const std::string& body, const std::string& key) {
    std::lock_guard lock(mu_);
    return DecideLocked(tenant, body, key);
  }
  CommandOutcome DecideLocked(const std::string& tenant, const std::string& body, const std::string& key) {
    CommandOutcome o;
    const std::string k = tenant + "/" + key;
    if (auto it = seen_.find(k); it != seen_.end()) {
      if (it->second.first == body) {
        o = it->second.second;
        o.replayed = true;
        o.result_json.pop_back();
        o.result_json += ",\"replayed\":true}";
        return o;
      }
      o.status = OutcomeStatus::kRejected;
      o.error = engine::ErrorCode::kIdempotencyKeyReused;
      o.result_json = R"({"idempotency_key":")" + key + R"(","status":"rejected","error":{"code":"idempotency_key_reused","message":"m"}})";
      return o;
    }
    if (body.find("fail") != std::string::npos) {
      o.status = OutcomeStatus::kFailed;
      o.error = engine::ErrorCode::kUnavailable;
      o.result_json = R"({"idempotency_key":")" + key + R"(","status":"failed","error":{"code":"unavailable","message":"disk full"}})";
      return o;  // passing failures are not remembered
    }
    if (body.find("reject") != std::string::npos) {
      o.status = OutcomeStatus::kRejected;
      o.error = engine::ErrorCode::kInvalidState;
      o.result_json = R"({"idempotency_key":")" + key + R"(","status":"rejected","error":{"code":"invalid_state","message":"m"}})";
    } else {
      o.status = OutcomeStatus::kAccepted;
      o.result_json = R"({"idempotency_key":")" + key + R"(","status":"accepted","position":)" +
                      std::to_string(++position_) + "}";
    }
    seen_[k] = {body, o};
    return o;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> held_;
  std::vector<std::thread> threads_;
  std::map<std::string, std::pair<std::string, CommandOutcome>> seen_;
  uint64_t position_ = 0;
  uint64_t batch_keys_ = 0;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitLogging(LogFormat::kText);
    tokens_path_ = ::testing::TempDir() + "/http_server_test_tokens_" + std::to_string(::getpid());
    rw_t1_ = *Make("t1", kScopeRead | kScopeWrite);
    ro_t1_ = *Make("t1", kScopeRead);
    wo_t1_ = *Make("t1", kScopeWrite);
    rw_t2_ = *Make("t2", kScopeRead | kScopeWrite);
    ASSERT_TRUE(WriteTokensFile(tokens_path_, entries_).ok());
    limits_.max_tenant_inflight_commands = 3;
    limits_.max_inflight_commands = 5;
    limits_.read_header_timeout = std::chrono::milliseconds(300);
    limits_.command_timeout = std::chrono::milliseconds(2000);
    limits_.drain_timeout = std::chrono::milliseconds(3000);
    limits_.max_connections = 8;
  }
  void Start() {
    auto auth = TokenAuthenticator::Open(tokens_path_, std::chrono::milliseconds(50));
    ASSERT_TRUE(auth.ok());
    auth_ = std::move(auth).value();
    handler_ = std::make_unique<HttpHandler>(limits_, auth_.get(), &metrics_);
    server_ = std::make_unique<HttpServer>(limits_, handler_.get(), &metrics_);
    ASSERT_TRUE(server_->Listen("127.0.0.1", 0).ok());
    port_ = server_->port();
    server_->Start();
    handler_->SetBackend(&backend_);
    handler_->SetState(ServeState::kReady);
  }
  void TearDown() override {
    if (server_) {
      backend_.ReleaseAll();
      server_->Drain();
    }
    ::unlink(tokens_path_.c_str());
  }
  std::optional<std::string> Make(const std::string& tenant, uint8_t scopes) {
    std::string token = NewToken().value();
    entries_.push_back({NewTokenId().value(), tenant, scopes, Sha256(token)});
    return token;
  }
  static Headers Auth(const std::string& token, const std::string& key = "") {
    Headers h = {{"Authorization", "Bearer " + token}};
    if (!key.empty()) h.push_back({"Idempotency-Key", key});
    return h;
  }
  Reply Post(const std::string& token, const std::string& key, const std::string& body) {
    return Request(port_, "POST", "/v1/commands", Auth(token, key), body);
  }

  std::string tokens_path_;
  std::vector<TokenEntry> entries_;
  std::string rw_t1_, ro_t1_, wo_t1_, rw_t2_;
  HttpLimits limits_;
  MetricsRegistry metrics_;
  FakeBackend backend_;
  std::unique_ptr<TokenAuthenticator> auth_;
  std::unique_ptr<HttpHandler> handler_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(HttpServerTest, PublicEndpointsNeedNoToken) {
  Start();
  EXPECT_EQ(Request(port_, "GET", "/healthz").status, 200);
  EXPECT_EQ(Request(port_, "GET", "/readyz").status, 200);
  Reply m = Request(port_, "GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("accrue_http_requests_total{route=\"GET /readyz\",status=\"200\"} 1"), std::string::npos)
      << m.body;
  EXPECT_EQ(Request(port_, "GET", "/nope").status, 404);
  Reply wrong = Request(port_, "GET", "/v1/commands", Auth(rw_t1_));
  EXPECT_EQ(wrong.status, 404);  // contract.md has no 405
  EXPECT_EQ(wrong.Header("allow"), "POST");
  EXPECT_NE(wrong.body.find("\"code\":\"not_found\""), std::string::npos) << wrong.body;
}

TEST_F(HttpServerTest, ReadyzIsFalseWhileStarting) {
  Start();
  handler_->SetState(ServeState::kStarting);
  Reply r = Request(port_, "GET", "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, R"({"status":"starting"})");
  Reply c = Post(rw_t1_, "k", "{}");
  EXPECT_EQ(c.status, 503);
  EXPECT_EQ(c.Header("retry-after"), "1");
  EXPECT_NE(c.body.find("\"code\":\"unavailable\""), std::string::npos);
}

// A log stopped for good (a failed WAL write or fsync) makes /healthz and /readyz
// answer 503 "failed" without Retry-After and accrue_http_ready 0; the reason is a
// fixed text (no file names on an open endpoint).
TEST_F(HttpServerTest, AStoppedLogFailsHealthAndReadiness) {
  Start();
  EXPECT_EQ(Request(port_, "GET", "/healthz").status, 200);
  backend_.log_stopped = true;
  for (const char* probe : {"/healthz", "/readyz"}) {
    Reply r = Request(port_, "GET", probe);
    EXPECT_EQ(r.status, 503) << probe;
    EXPECT_EQ(r.body, R"({"status":"failed","reason":"the event log stopped after a failed write or fsync; restart accrue"})")
        << probe;
    EXPECT_EQ(r.Header("retry-after"), "") << probe;
  }
  EXPECT_NE(Request(port_, "GET", "/metrics").body.find("\naccrue_http_ready 0\n"), std::string::npos);
  backend_.log_stopped = false;
  EXPECT_EQ(Request(port_, "GET", "/readyz").status, 200);
  EXPECT_NE(Request(port_, "GET", "/metrics").body.find("\naccrue_http_ready 1\n"), std::string::npos);
}

TEST_F(HttpServerTest, AuthAndScopes) {
  Start();
  Reply none = Request(port_, "POST", "/v1/commands", {{"Idempotency-Key", "k1"}}, "{}");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.Header("www-authenticate"), "Bearer");
  EXPECT_NE(none.body.find("\"code\":\"unauthorized\""), std::string::npos);
  EXPECT_EQ(Post("acr_" + std::string(64, '0'), "k1", "{}").status, 401);
  EXPECT_EQ(Post(ro_t1_, "k1", "{}").status, 403);
  EXPECT_EQ(Request(port_, "GET", "/v1/accounts/acme", Auth(wo_t1_)).status, 403);
  Reply read = Request(port_, "GET", "/v1/accounts/acme", Auth(ro_t1_));
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.body, R"({"account_id":"acme"})");
  // Tenant isolation: t2 does not see t1's account (404, not 403).
  EXPECT_EQ(Request(port_, "GET", "/v1/accounts/acme", Auth(rw_t2_)).status, 404);
}

TEST_F(HttpServerTest, RevokedTokenStopsWorkingWithoutRestart) {
  Start();
  EXPECT_EQ(Request(port_, "GET", "/v1/accounts/acme", Auth(rw_t1_)).status, 200);
  entries_.erase(entries_.begin());  // rw_t1_
  ASSERT_TRUE(WriteTokensFile(tokens_path_, entries_).ok());
  int status = 0;
  for (int i = 0; i < 100 && status != 401; ++i) {  // reload interval is 50 ms
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    status = Request(port_, "GET", "/v1/accounts/acme", Auth(rw_t1_)).status;
  }
  EXPECT_EQ(status, 401);
  EXPECT_EQ(Request(port_, "GET", "/v1/accounts/acme", Auth(ro_t1_)).status, 200);
}

// A tokens file rewritten with something that does not parse is ignored: the last
// good set stays in force (a typo must not lock every client out) and the reload
// error is counted (api.md "Auth"). A good rewrite after it is picked up again.
TEST_F(HttpServerTest, ATokensFileThatNoLongerParsesKeepsTheLastGoodSet) {
  Start();
  EXPECT_EQ(Request(port_, "GET", "/v1/accounts/acme", Auth(rw_t1_)).status, 200);
  {
    std::ofstream broken(tokens_path_, std::ios::trunc);
    broken << "this is not a tokens file\n";
  }
  // Requests make the authenticator look at the file (at most every 50 ms); the
  // count is what `serve` exports as accrue_tokens_reload_errors_total.
  for (int i = 0; i < 100 && auth_->reload_errors() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(Request(port_, "GET", "/v1/accounts/acme", Auth(rw_t1_)).status, 200);
  }
  EXPECT_EQ(auth_->reload_errors(), 1u);
  // The same broken version is one error however often it is looked at.
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    EXPECT_EQ(Request(port_, "GET", "/v1/accounts/acme", Auth(rw_t1_)).status, 200);
  }
  EXPECT_EQ(auth_->reload_errors(), 1u);
  entries_.erase(entries_.begin());  // rw_t1_
  ASSERT_TRUE(WriteTokensFile(tokens_path_, entries_).ok());
  int status = 0;
  for (int i = 0; i < 100 && status != 401; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    status = Request(port_, "GET", "/v1/accounts/acme", Auth(rw_t1_)).status;
  }
  EXPECT_EQ(status, 401);
}

// A rewrite refused for its mode (group-readable) keeps the last good set; the
// `chmod 600` that fixes it is picked up (ctime is part of the file's version; a
// failed version is tried again at every interval, counted once).
TEST_F(HttpServerTest, AChmodThatFixesARefusedTokensFileIsPickedUp) {
  Start();
  EXPECT_EQ(Request(port_, "GET", "/v1/accounts/acme", Auth(rw_t1_)).status, 200);
  entries_.erase(entries_.begin());  // rw_t1_ revoked in the new version
  ASSERT_TRUE(WriteTokensFile(tokens_path_, entries_).ok());
  ASSERT_EQ(::chmod(tokens_path_.c_str(), 0644), 0);
  for (int i = 0; i < 100 && auth_->reload_errors() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(Request(port_, "GET", "/v1/accounts/acme", Auth(rw_t1_)).status, 200);  // the last good set
  }
  EXPECT_EQ(auth_->reload_errors(), 1u);
  ASSERT_EQ(::chmod(tokens_path_.c_str(), 0600), 0);
  int status = 0;
  for (int i = 0; i < 100 && status != 401; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    status = Request(port_, "GET", "/v1/accounts/acme", Auth(rw_t1_)).status;
  }
  EXPECT_EQ(status, 401);
  EXPECT_EQ(auth_->reload_errors(), 1u);
}

TEST_F(HttpServerTest, IdempotencyKeyHeaderRules) {
  Start();
  Reply missing = Request(port_, "POST", "/v1/commands", Auth(rw_t1_), "{}");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find(R"("idempotency_key":null)"), std::string::npos);
  EXPECT_NE(missing.body.find(R"("code":"missing_field")"), std::string::npos);
  EXPECT_EQ(Post(rw_t1_, std::string(256, 'k'), "{}").status, 400);
  Reply first = Post(rw_t1_, "k1", R"({"command":"open_account"})");
  EXPECT_EQ(first.status, 200);
  Reply again = Post(rw_t1_, "k1", R"({"command":"open_account"})");
  EXPECT_EQ(again.status, 200);
  EXPECT_NE(again.body.find("\"replayed\":true"), std::string::npos);
  Reply reused = Post(rw_t1_, "k1", R"({"command":"close_account"})");
  EXPECT_EQ(reused.status, 422);
  EXPECT_EQ(Post(rw_t1_, "k2", R"({"reject":1})").status, 409);
  Reply failed = Post(rw_t1_, "k3", R"({"fail":1})");
  EXPECT_EQ(failed.status, 503);
  EXPECT_EQ(failed.Header("retry-after"), "1");
}

TEST_F(HttpServerTest, InProgressRateLimitAndQueueFull) {
  Start();
  std::vector<std::thread> clients;
  std::vector<Reply> held(3);
  for (int i = 0; i < 3; ++i) {
    std::string key = "h";
    key += std::to_string(i);
    clients.emplace_back([&, i, key] { held[i] = Post(rw_t1_, key, R"({"hold":1})"); });
  }
  ASSERT_TRUE(backend_.WaitHeld(3));
  Reply busy = Post(rw_t1_, "h0", R"({"hold":1})");
  EXPECT_EQ(busy.status, 409);
  EXPECT_NE(busy.body.find("idempotency_in_progress"), std::string::npos);
  EXPECT_EQ(busy.Header("retry-after"), "1");
  Reply limited = Post(rw_t1_, "x", "{}");  // t1 has 3 in flight (its limit)
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.Header("retry-after"), "1");
  EXPECT_EQ(Post(rw_t2_, "y", "{}").status, 200);  // another tenant is not limited
  std::thread t2a([&] { (void)Post(rw_t2_, "h9", R"({"hold":1})"); });
  std::thread t2b([&] { (void)Post(rw_t2_, "h8", R"({"hold":1})"); });
  ASSERT_TRUE(backend_.WaitHeld(5));
  Reply full = Post(rw_t2_, "z", "{}");  // 5 in flight: the server's limit
  EXPECT_EQ(full.status, 503);
  EXPECT_EQ(full.Header("retry-after"), "1");
  EXPECT_NE(full.body.find(R"("idempotency_key":"z","status":"failed","error":{"code":"unavailable")"),
            std::string::npos)
      << full.body;
  backend_.ReleaseAll();
  for (auto& c : clients) c.join();
  t2a.join();
  t2b.join();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(held[i].status, 200);
  // Refused before the engine saw it: the retry is the first time, not a replay.
  Reply retried = Post(rw_t2_, "z", "{}");
  EXPECT_EQ(retried.status, 200);
  EXPECT_EQ(retried.body.find("replayed"), std::string::npos) << retried.body;
  EXPECT_EQ(handler_->inflight_commands(), 0u);
}

TEST_F(HttpServerTest, BatchIsIndependentAndBounded) {
  Start();
  Reply ok = Request(port_, "POST", "/v1/commands:batch", Auth(rw_t1_),
                     "{\"a\":1,\"idempotency_key\":\"b1\"}\n\n{\"reject\":1,\"idempotency_key\":\"b2\"}\r\n"
                     "{\"a\":2,\"idempotency_key\":\"b1\"}\n");
  EXPECT_EQ(ok.status, 200);
  ASSERT_EQ(std::count(ok.body.begin(), ok.body.end(), '\n'), 3) << ok.body;
  EXPECT_NE(ok.body.find("\"status\":\"accepted\""), std::string::npos);
  EXPECT_NE(ok.body.find("invalid_state"), std::string::npos);
  // b1 twice in one batch: both lines go to the backend, which takes them in order
  // (the real service replays the second or answers idempotency_key_reused).
  EXPECT_EQ(ok.body.find("idempotency_in_progress"), std::string::npos) << ok.body;
  std::string big;
  for (int i = 0; i < 1001; ++i) big += "{}\n";
  Reply too_many = Request(port_, "POST", "/v1/commands:batch", Auth(rw_t1_), big);
  EXPECT_EQ(too_many.status, 413);
  EXPECT_NE(too_many.body.find("payload_too_large"), std::string::npos);
  // 3 in flight per tenant: a batch of 4 could never be admitted, so it is too
  // large (413, no Retry-After), not rate limited.
  Reply limited = Request(port_, "POST", "/v1/commands:batch", Auth(rw_t1_), "{}\n{}\n{}\n{}\n");
  EXPECT_EQ(limited.status, 413);
  EXPECT_NE(limited.body.find("a batch holds at most 3 commands"), std::string::npos) << limited.body;
  EXPECT_EQ(limited.Header("retry-after"), "");
}

TEST_F(HttpServerTest, SizeLimitsAndMalformedRequests) {
  Start();
  Reply big = Post(rw_t1_, "big", std::string(kMaxBodyBytes + 1, ' '));
  EXPECT_EQ(big.status, 413);
  // On the command endpoint the error body is the result object with the header's key.
  EXPECT_EQ(big.body.rfind(R"({"idempotency_key":"big","status":"rejected","error":{"code":"payload_too_large")", 0), 0u)
      << big.body;
  Reply headers = Request(port_, "GET", "/healthz", {{"X-Filler", std::string(kMaxHeaderBytes, 'a')}});
  EXPECT_EQ(headers.status, 413);
  std::string garbage = RawExchange(port_, "GARBAGE\x01\x02 / HTTP/9.9\r\n\r\n");
  EXPECT_EQ(garbage.rfind("HTTP/1.1 400", 0), 0u) << garbage;
  std::string chunked = RawExchange(port_, "POST /v1/commands HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  EXPECT_EQ(chunked.rfind("HTTP/1.1 400", 0), 0u) << chunked;
  EXPECT_EQ(Request(port_, "GET", "/healthz").status, 200);  // still up
}

// RFC 9112 3.2: an HTTP/1.1 request needs exactly one Host header (else 400, the
// {"error":...} shape, connection closed); HTTP/1.0 needs none. An absolute-form
// target (RFC 9112 3.2.2) names the same endpoint as its origin form.
TEST_F(HttpServerTest, HostHeaderAndAbsoluteFormTargets) {
  Start();
  std::string none = RawExchange(port_, "GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_EQ(none.rfind("HTTP/1.1 400", 0), 0u) << none;
  EXPECT_NE(none.find(R"({"error":{"code":"invalid_field","message":"an HTTP/1.1 request needs exactly one Host header"})"),
            std::string::npos) << none;
  std::string two = RawExchange(port_, "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  EXPECT_EQ(two.rfind("HTTP/1.1 400", 0), 0u) << two;
  // A command without a Host is refused before it reaches the engine.
  std::string command = RawExchange(port_, "POST /v1/commands HTTP/1.1\r\nAuthorization: Bearer " + rw_t1_ +
                                               "\r\nIdempotency-Key: nohost\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(command.rfind("HTTP/1.1 400", 0), 0u) << command;
  std::string old = RawExchange(port_, "GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.rfind("HTTP/1.0 200", 0) == 0 || old.rfind("HTTP/1.1 200", 0) == 0, true) << old;
  EXPECT_EQ(Request(port_, "GET", "http://127.0.0.1/healthz").status, 200);
  EXPECT_EQ(Request(port_, "GET", "HTTP://127.0.0.1:1/v1/accounts/acme?x=1", Auth(rw_t1_)).status, 200);
  Reply posted = Request(port_, "POST", "https://h/v1/commands", Auth(rw_t1_, "abs"), R"({"command":"open_account"})");
  EXPECT_EQ(posted.status, 200) << posted.body;
  EXPECT_EQ(Request(port_, "GET", "http://127.0.0.1").status, 404);  // "/" is no endpoint
  EXPECT_EQ(Request(port_, "GET", "/healthz").status, 200);          // still up
}

// RFC 9110 10.1.1: with Expect: 100-continue a request that will be refused (no
// token, no scope, no such endpoint) gets its final status instead of 100
// Continue, before the body; one that will be read gets 100 Continue first.
TEST_F(HttpServerTest, ExpectContinueIsRefusedBeforeTheBodyWhenTheHeadIsRefused) {
  Start();
  const std::string head = "POST /v1/commands HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                           "Idempotency-Key: e1\r\nContent-Length: 26\r\n";
  const std::string body = R"({"command":"open_account"})";
  std::string no_token = RawExchange(port_, head + "\r\n");
  EXPECT_EQ(no_token.rfind("HTTP/1.1 401", 0), 0u) << no_token;
  EXPECT_NE(no_token.find(R"("idempotency_key":"e1","status":"rejected","error":{"code":"unauthorized")"),
            std::string::npos) << no_token;
  std::string read_only = RawExchange(port_, head + "Authorization: Bearer " + ro_t1_ + "\r\n\r\n");
  EXPECT_EQ(read_only.rfind("HTTP/1.1 403", 0), 0u) << read_only;
  std::string nowhere = RawExchange(port_, "POST /v1/nowhere HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                                           "Content-Length: 5\r\n\r\n");
  EXPECT_EQ(nowhere.rfind("HTTP/1.1 404", 0), 0u) << nowhere;
  std::string ok = RawExchange(port_, head + "Authorization: Bearer " + rw_t1_ + "\r\nConnection: close\r\n\r\n" + body);
  EXPECT_EQ(ok.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200", 0), 0u) << ok;
  EXPECT_EQ(Request(port_, "GET", "/healthz").status, 200);  // still up
}

// The Idempotency-Key header given twice with different values is ambiguous: 400
// invalid_field with a null key, nothing submitted. The same value twice is one key.
TEST_F(HttpServerTest, ARepeatedIdempotencyKeyMustAgree) {
  Start();
  Headers both = Auth(rw_t1_, "twoA");
  both.push_back({"Idempotency-Key", "twoB"});
  Reply r = Request(port_, "POST", "/v1/commands", both, R"({"command":"open_account"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.rfind(R"({"idempotency_key":null,"status":"rejected","error":{"code":"invalid_field")", 0), 0u)
      << r.body;
  EXPECT_NE(r.body.find(R"("field":"idempotency_key")"), std::string::npos) << r.body;
  // Neither key was taken: each is free for a first command.
  Reply a = Post(rw_t1_, "twoA", R"({"command":"open_account"})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body.find("replayed"), std::string::npos) << a.body;
  Headers same = Auth(rw_t1_, "twoC");
  same.push_back({"Idempotency-Key", "twoC"});
  Reply c = Request(port_, "POST", "/v1/commands", same, R"({"command":"open_account"})");
  EXPECT_EQ(c.status, 200) << c.body;
  EXPECT_NE(c.body.find(R"("idempotency_key":"twoC")"), std::string::npos) << c.body;
}

// A read the log cannot answer (a corrupt block) is 503 unavailable, never 404:
// "not found" would tell the client the account does not exist.
TEST_F(HttpServerTest, AReadTheLogCannotAnswerIs503NotNotFound) {
  Start();
  Reply broken = Request(port_, "GET", "/v1/accounts/broken", Auth(rw_t1_));
  EXPECT_EQ(broken.status, 503) << broken.body;
  EXPECT_NE(broken.body.find("the event log could not be read: corruption: injected"), std::string::npos)
      << broken.body;
  EXPECT_EQ(Request(port_, "GET", "/v1/accounts/nobody", Auth(rw_t1_)).status, 404);
}

// RFC 9110 9.3.2: HEAD answers as GET does, Content-Length included, without the
// body; the connection stays usable (a GET pipelined after it gets its body).
TEST_F(HttpServerTest, HeadIsGetWithoutTheBody) {
  Start();
  std::string both = RawExchange(port_,
                                 "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                 "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(both.rfind("HTTP/1.1 200", 0), 0u) << both;
  const std::size_t first_end = both.find("\r\n\r\n");
  ASSERT_NE(first_end, std::string::npos) << both;
  const std::string head_headers = both.substr(0, first_end);
  EXPECT_NE(head_headers.find("Content-Length: 15"), std::string::npos) << both;  // {"status":"ok"}
  const std::string rest = both.substr(first_end + 4);
  EXPECT_EQ(rest.rfind("HTTP/1.1 200", 0), 0u) << "HEAD sent a body: " << both;
  EXPECT_EQ(rest.substr(rest.size() - 15), R"({"status":"ok"})") << both;
  std::string account = RawExchange(port_, "HEAD /v1/accounts/acme HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                               rw_t1_ + "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(account.rfind("HTTP/1.1 200", 0), 0u) << account;
  EXPECT_NE(account.find("Content-Length: 21"), std::string::npos) << account;  // {"account_id":"acme"}
  EXPECT_EQ(account.substr(account.size() - 4), "\r\n\r\n") << account;
  std::string command = RawExchange(port_, "HEAD /v1/commands HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(command.rfind("HTTP/1.1 404", 0), 0u) << command;
  EXPECT_NE(command.find("Allow: POST"), std::string::npos) << command;
}

TEST_F(HttpServerTest, SlowClientsAreCutOff) {
  Start();
  RawConnection slow(port_);
  ASSERT_TRUE(slow.Write("POST /v1/commands HTTP/1.1\r\nHost: x\r\n"));  // never finishes the headers
  std::string got;
  EXPECT_TRUE(slow.ReadUntilClosed(std::chrono::seconds(3), &got));  // closed after 300 ms
  EXPECT_EQ(Request(port_, "GET", "/healthz").status, 200);
}

TEST_F(HttpServerTest, ConnectionLimitAnswers503) {
  limits_.max_connections = 2;
  Start();
  HttpClient a(port_), b(port_);  // the first connections of this server
  ASSERT_EQ(a.Send("GET", "/healthz").status, 200);
  ASSERT_EQ(b.Send("GET", "/healthz").status, 200);
  Reply third = Request(port_, "GET", "/healthz");
  EXPECT_EQ(third.status, 503);
  EXPECT_EQ(third.Header("retry-after"), "1");
}

TEST_F(HttpServerTest, AnswerTimeoutIs503AndRequestIdIsEchoed) {
  limits_.command_timeout = std::chrono::milliseconds(200);
  Start();
  Reply r = Request(port_, "POST", "/v1/commands",
                    {{"Authorization", "Bearer " + rw_t1_}, {"Idempotency-Key", "slow"}, {"X-Request-Id", "abc-123"}},
                    R"({"hold":1})");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("x-request-id"), "abc-123");
  EXPECT_EQ(r.Header("retry-after"), "1");
  // Still in flight at the engine: the key is busy until it answers.
  EXPECT_EQ(Post(rw_t1_, "slow", R"({"hold":1})").status, 409);
  backend_.ReleaseAll();
  Reply replay = Post(rw_t1_, "slow", R"({"hold":1})");
  EXPECT_EQ(replay.status, 200);
  EXPECT_NE(replay.body.find("\"replayed\":true"), std::string::npos);
  EXPECT_FALSE(Request(port_, "GET", "/healthz").Header("x-request-id").empty());
  // A batch that times out is refused as a batch: {"error":...}, not a result object.
  Reply batch = Request(port_, "POST", "/v1/commands:batch", Auth(rw_t1_), "{\"hold\":1}\n{\"x\":2}\n");
  EXPECT_EQ(batch.status, 503);
  EXPECT_EQ(batch.Header("retry-after"), "1");
  EXPECT_EQ(batch.body.rfind(R"({"error":{"code":"unavailable","message":"the engine did not answer in time)", 0), 0u)
      << batch.body;
  backend_.ReleaseAll();
}

TEST_F(HttpServerTest, DrainAnswersInFlightRequestsThenStops) {
  Start();
  HttpClient keep(port_);
  ASSERT_EQ(keep.Send("GET", "/readyz").status, 200);
  HttpClient keep2(port_);
  ASSERT_EQ(keep2.Send("GET", "/healthz").status, 200);
  Reply held;
  std::thread client([&] { held = Post(rw_t1_, "d1", R"({"hold":1})"); });
  ASSERT_TRUE(backend_.WaitHeld(1));
  bool drained = false;
  std::thread drainer([&] { drained = server_->Drain(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Reply ready = keep.Send("GET", "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.Header("connection"), "close");
  EXPECT_EQ(ready.body, R"({"status":"draining"})");
  // A new command on an open connection: 503 with Retry-After, and the connection
  // is closed after it (api.md "Lifecycle"); nothing reaches the engine.
  Headers with_key = Auth(rw_t1_);
  with_key.push_back({"Idempotency-Key", "d2"});
  Reply refused = keep2.Send("POST", "/v1/commands", with_key, R"({"hold":1})");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.Header("retry-after"), "1");
  EXPECT_EQ(refused.Header("connection"), "close");
  EXPECT_NE(refused.body.find(R"("idempotency_key":"d2","status":"failed","error":{"code":"unavailable")"),
            std::string::npos)
      << refused.body;
  EXPECT_FALSE(backend_.WaitHeld(2, std::chrono::milliseconds(100)));
  EXPECT_EQ(Request(port_, "GET", "/healthz").status, 0);  // no longer accepting
  backend_.ReleaseAll();
  client.join();
  drainer.join();
  EXPECT_EQ(held.status, 200);
  EXPECT_TRUE(drained);
  server_.reset();
}

}  // namespace
}  // namespace accrue::app
