// The command service around appends in flight and appends that fail.
//
// What it proves, with a store wrapper that holds appends until released and
// fails the ones a test picks (as a full disk would):
//  - reads (AccountJson, AccountInvoicesJson, InvoiceJson, PlanJson) never show a
//    command whose append is still in flight, and show it once its outcome is ready;
//  - a decision made on the speculative state of an append that then fails is
//    decided again (or failed as `unavailable`), never remembered: a rejection
//    `already_exists` for an id whose claim was never written (another account's
//    stream), an `invalid_state` on an account whose close was never written, and
//    a D-47 replay of a usage that was never written.
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "engine/service.h"
#include "events/event_store.h"

namespace accrue::engine {
namespace {

using events::AppendRequest;
using events::AppendResult;

class GatedStore final : public events::EventStore {
 public:
  GatedStore() : inner_(events::NewMemoryEventStore([] { return int64_t{0}; })) {}

  // While closed, appends wait (in order) until Open().
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  // While set, the appends for which `hold` is true wait (in order) until Open();
  // the others go through.
  void HoldWhen(std::function<bool(const AppendRequest&)> hold) {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = std::move(hold);
  }
  void Open() {
    std::deque<Held> held;
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = false;
      hold_ = nullptr;
      held.swap(held_);
    }
    for (Held& h : held) h.promise.set_value(Forward(std::move(h.request)));
  }
  // Appends for which `fail` is true fail with kUnavailable (nothing written).
  void FailWhen(std::function<bool(const AppendRequest&)> fail) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_ = std::move(fail);
  }
  int failed() const { return failed_; }
  std::size_t held() {
    std::lock_guard<std::mutex> lock(mu_);
    return held_.size();
  }

  AppendResult Append(AppendRequest request) override { return AppendAsync(std::move(request)).get(); }
  events::Future<AppendResult> AppendAsync(AppendRequest request) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || (hold_ && hold_(request))) {
      held_.push_back(Held{std::move(request), {}});
      return held_.back().promise.get_future();
    }
    return events::ReadyFuture(ForwardLocked(std::move(request)));
  }
  Result<std::vector<events::RecordedEvent>> ReadStream(const std::string& stream, uint64_t from,
                                                        std::size_t max) override {
    return inner_->ReadStream(stream, from, max);
  }
  Result<std::vector<events::RecordedEvent>> ReadAll(uint64_t from, std::size_t max) override {
    return inner_->ReadAll(from, max);
  }
  Result<uint64_t> StreamVersion(const std::string& stream) override { return inner_->StreamVersion(stream); }
  uint64_t LastPosition() override { return inner_->LastPosition(); }
  Result<std::optional<std::string>> ClaimOwner(const std::string& key) override { return inner_->ClaimOwner(key); }
  Result<std::optional<events::Claim>> LookupClaim(const std::string& key) override {
    return inner_->LookupClaim(key);
  }
  Result<std::vector<events::Claim>> ListClaims(const std::string& prefix) override {
    return inner_->ListClaims(prefix);
  }
  Result<std::optional<events::IdempotencyLookup>> LookupIdempotency(const std::string& key) override {
    return inner_->LookupIdempotency(key);
  }
  Status SaveSnapshot(const std::string& stream, const events::Snapshot& s) override {
    return inner_->SaveSnapshot(stream, s);
  }
  Result<std::optional<events::Snapshot>> LoadSnapshot(const std::string& stream) override {
    return inner_->LoadSnapshot(stream);
  }
  std::unique_ptr<Subscription> Subscribe(uint64_t after,
                                          std::function<void(const events::RecordedEvent&)> fn) override {
    return inner_->Subscribe(after, std::move(fn));
  }

 private:
  struct Held {
    AppendRequest request;
    events::Promise<AppendResult> promise;
  };
  AppendResult Forward(AppendRequest request) {
    std::lock_guard<std::mutex> lock(mu_);
    return ForwardLocked(std::move(request));
  }
  AppendResult ForwardLocked(AppendRequest request) {
    if (fail_ && fail_(request)) {
      ++failed_;
      AppendResult r;
      r.outcome = events::AppendOutcome::kFailed;
      r.status = Status::Unavailable("injected: disk full");
      return r;
    }
    return inner_->Append(std::move(request));
  }

  std::unique_ptr<events::EventStore> inner_;
  std::mutex mu_;
  bool closed_ = false;
  std::deque<Held> held_;
  std::function<bool(const AppendRequest&)> fail_;
  std::function<bool(const AppendRequest&)> hold_;
  int failed_ = 0;
};

bool HasClaim(const AppendRequest& r, const std::string& key) {
  for (const auto& c : r.claims) {
    if (c.key == key) return true;
  }
  return false;
}

bool HasEventType(const AppendRequest& r, const std::string& type) {
  for (const auto& s : r.streams) {
    for (const auto& e : s.events) {
      if (e.type == type) return true;
    }
  }
  return false;
}

class ServiceDurability : public ::testing::Test {
 protected:
  CommandOutcome Post(const std::string& line) { return service_.Submit("default", line, std::nullopt).get(); }
  events::Future<CommandOutcome> Start(const std::string& line) {
    return service_.Submit("default", line, std::nullopt);
  }
  void SetUp() override {
    for (const char* line : {
             R"({"command":"publish_plan","idempotency_key":"p1","plan_id":"pro","currency":"USD","interval":"month","amount":"49.00","meters":[{"meter":"api","unit_price":"0.01"}]})",
             R"({"command":"open_account","idempotency_key":"a1","account_id":"acme","currency":"USD"})",
             R"({"command":"open_account","idempotency_key":"b1","account_id":"beta","currency":"USD"})",
             R"({"command":"subscribe","idempotency_key":"s0","subscription_id":"s0","account_id":"acme","plan_id":"pro","start":"2024-01-01T00:00:00Z"})",
             R"({"command":"run_billing","idempotency_key":"r1","account_id":"acme","as_of":"2024-01-01T00:00:00Z"})"}) {
      ASSERT_EQ(Post(line).status, OutcomeStatus::kAccepted) << line;
    }
  }
  // The result remembered under `key`, or "" when nothing is.
  std::string Remembered(const std::string& key) {
    auto r = store_.LookupIdempotency("default/" + key);
    EXPECT_TRUE(r.ok());
    return r.value() ? r.value()->result : "";
  }

  GatedStore store_;
  CommandService service_{&store_, ServiceOptions{}};
};

TEST_F(ServiceDurability, ReadsShowOnlyDurableState) {
  const std::string account = *service_.AccountJson("default", "acme");
  const std::string invoices = *service_.AccountInvoicesJson("default", "acme");
  const std::string invoice = *service_.InvoiceJson("default", "acme-1");
  store_.Close();
  auto pay = Start(R"({"command":"record_payment","idempotency_key":"pay","payment_id":"pay1","account_id":"acme","amount":"49.00","currency":"USD","received_at":"2024-01-02T00:00:00Z","external_ref":"ch_1"})");
  auto plan = Start(R"({"command":"publish_plan","idempotency_key":"p2","plan_id":"team","currency":"USD","interval":"month","amount":"99.00"})");
  auto run = Start(R"({"command":"run_billing","idempotency_key":"r2","account_id":"acme","as_of":"2024-02-01T00:00:00Z"})");
  EXPECT_EQ(service_.AccountJson("default", "acme"), account);
  EXPECT_EQ(service_.AccountInvoicesJson("default", "acme"), invoices);
  EXPECT_EQ(service_.InvoiceJson("default", "acme-1"), invoice);
  EXPECT_FALSE(service_.InvoiceJson("default", "acme-2").has_value());  // issued, not durable
  EXPECT_FALSE(service_.PlanJson("default", "team").has_value());
  EXPECT_GE(service_.Stats().durable_refolds, 4u);
  store_.Open();
  ASSERT_EQ(pay.get().status, OutcomeStatus::kAccepted);
  ASSERT_EQ(plan.get().status, OutcomeStatus::kAccepted);
  ASSERT_EQ(run.get().status, OutcomeStatus::kAccepted);
  const std::string after = *service_.AccountJson("default", "acme");
  EXPECT_NE(after.find("\"payment_id\":\"pay1\""), std::string::npos) << after;
  EXPECT_TRUE(service_.InvoiceJson("default", "acme-2").has_value());
  EXPECT_TRUE(service_.PlanJson("default", "team").has_value());
}

TEST_F(ServiceDurability, ReadsNeverShowAFailedAppend) {
  const std::string account = *service_.AccountJson("default", "acme");
  store_.FailWhen([](const AppendRequest& r) { return HasEventType(r, "PaymentReceived"); });
  store_.Close();
  auto pay = Start(R"({"command":"record_payment","idempotency_key":"pay","payment_id":"pay1","account_id":"acme","amount":"49.00","currency":"USD","received_at":"2024-01-02T00:00:00Z","external_ref":"ch_1"})");
  EXPECT_EQ(service_.AccountJson("default", "acme"), account);
  store_.Open();
  CommandOutcome o = pay.get();
  EXPECT_EQ(o.status, OutcomeStatus::kFailed);
  EXPECT_EQ(o.error, ErrorCode::kUnavailable);
  EXPECT_EQ(service_.AccountJson("default", "acme"), account);
}

// Another account's stream: beta's subscribe saw s1 claimed by acme's append in
// flight; that append fails, so beta's already_exists must not be remembered.
TEST_F(ServiceDurability, RejectionOnAFailedClaimIsDecidedAgain) {
  store_.FailWhen([](const AppendRequest& r) {
    return HasClaim(r, "default/subscription/s1") && r.streams[0].stream == "default/account/acme";
  });
  store_.Close();
  auto first = Start(R"({"command":"subscribe","idempotency_key":"sa","subscription_id":"s1","account_id":"acme","plan_id":"pro","start":"2024-01-01T00:00:00Z"})");
  auto second = Start(R"({"command":"subscribe","idempotency_key":"sb","subscription_id":"s1","account_id":"beta","plan_id":"pro","start":"2024-01-01T00:00:00Z"})");
  store_.Open();
  CommandOutcome a = first.get();
  CommandOutcome b = second.get();
  EXPECT_EQ(a.error, ErrorCode::kUnavailable) << a.result_json;
  EXPECT_EQ(Remembered("sa"), "");
  ASSERT_EQ(b.status, OutcomeStatus::kAccepted) << b.result_json;  // decided again: s1 is free
  EXPECT_EQ(Remembered("sb").find("already_exists"), std::string::npos) << Remembered("sb");
  EXPECT_EQ(store_.ClaimOwner("default/subscription/s1").value(), std::optional<std::string>("default/account/beta"));
  // A retry of the failed command now meets beta's durable claim.
  EXPECT_EQ(Post(R"({"command":"subscribe","idempotency_key":"sa","subscription_id":"s1","account_id":"acme","plan_id":"pro","start":"2024-01-01T00:00:00Z"})").error,
            ErrorCode::kAlreadyExists);
}

// The same account: a payment rejected because a close in flight had closed the
// account speculatively; the close fails, so the payment is decided again.
TEST_F(ServiceDurability, RejectionOnAFailedStateChangeIsDecidedAgain) {
  store_.FailWhen([](const AppendRequest& r) { return HasEventType(r, "AccountClosed"); });
  store_.Close();
  auto close = Start(R"({"command":"close_account","idempotency_key":"c1","account_id":"beta"})");
  auto pay = Start(R"({"command":"record_payment","idempotency_key":"pb","payment_id":"pb","account_id":"beta","amount":"5.00","currency":"USD","received_at":"2024-01-02T00:00:00Z","external_ref":"ch_b"})");
  store_.Open();
  EXPECT_EQ(close.get().error, ErrorCode::kUnavailable);
  CommandOutcome p = pay.get();
  EXPECT_EQ(p.status, OutcomeStatus::kAccepted) << p.result_json;
  EXPECT_EQ(Remembered("pb").find("invalid_state"), std::string::npos) << Remembered("pb");
}

// D-47: a usage replayed against a usage record still in flight; the record fails,
// so the "replayed" answer (which appends nothing) must not be remembered.
TEST_F(ServiceDurability, ReplayOfAFailedUsageIsDecidedAgain) {
  store_.FailWhen([](const AppendRequest& r) {
    return HasEventType(r, "UsageRecorded") && r.idempotency && r.idempotency->key == "default/u-first";
  });
  store_.Close();
  const char* usage = R"(,"usage_id":"u1","subscription_id":"s0","meter":"api","quantity":"3","at":"2024-01-05T00:00:00Z"})";
  auto first = Start(std::string(R"({"command":"record_usage","idempotency_key":"u-first")") + usage);
  auto again = Start(std::string(R"({"command":"record_usage","idempotency_key":"u-again")") + usage);
  store_.Open();
  EXPECT_EQ(first.get().error, ErrorCode::kUnavailable);
  CommandOutcome o = again.get();
  ASSERT_EQ(o.status, OutcomeStatus::kAccepted) << o.result_json;
  EXPECT_EQ(o.result_json.find("\"replayed\":true"), std::string::npos) << o.result_json;  // recorded for real
  EXPECT_EQ(store_.ClaimOwner("default/usage/u1").value(), std::optional<std::string>("default/account/acme"));
}

// A tenant-wide run over more accounts than its append window: at most the
// window is handed to the store at once (the rest wait), and every account is
// billed exactly once.
TEST(ServiceRun, WindowedRunBillsEveryAccountOnce) {
  GatedStore store;
  CommandService service(&store, ServiceOptions{});
  constexpr int kAccounts = 2500;  // > kMaxRunAppendsInFlight (1024)
  std::vector<events::Future<CommandOutcome>> setup;
  setup.push_back(service.Submit("default", R"({"command":"publish_plan","idempotency_key":"p","plan_id":"pro","currency":"USD","interval":"month","amount":"10.00"})", std::nullopt));
  for (int i = 0; i < kAccounts; ++i) {
    const std::string a = "a" + std::to_string(i);
    setup.push_back(service.Submit("default", "{\"command\":\"open_account\",\"idempotency_key\":\"o" + a + "\",\"account_id\":\"" + a + "\",\"currency\":\"USD\"}", std::nullopt));
    setup.push_back(service.Submit("default", "{\"command\":\"subscribe\",\"idempotency_key\":\"s" + a + "\",\"subscription_id\":\"s" + a + "\",\"account_id\":\"" + a + "\",\"plan_id\":\"pro\",\"start\":\"2024-01-01T00:00:00Z\"}", std::nullopt));
  }
  for (auto& f : setup) ASSERT_EQ(f.get().status, OutcomeStatus::kAccepted);
  store.Close();
  auto run = service.Submit("default", R"({"command":"run_billing","idempotency_key":"run","as_of":"2024-01-01T00:00:00Z"})", std::nullopt);
  // The first window, handed over while the run is decided (on a run thread), and
  // no more while none of it is durable.
  for (int i = 0; i < 2000 && store.held() < 1024u; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(store.held(), 1024u);
  store.Open();
  CommandOutcome o = run.get();
  ASSERT_EQ(o.status, OutcomeStatus::kAccepted) << o.result_json.substr(0, 300);
  std::size_t invoices = 0;
  for (std::size_t p = o.result_json.find("-1\""); p != std::string::npos; p = o.result_json.find("-1\"", p + 1)) ++invoices;
  EXPECT_EQ(invoices, static_cast<std::size_t>(kAccounts));
  for (int i = 0; i < kAccounts; i += 499) {
    const std::string stream = "default/account/a" + std::to_string(i);
    EXPECT_EQ(store.ClaimOwner("default/invoice/a" + std::to_string(i) + "-1").value(), std::optional<std::string>(stream));
    EXPECT_FALSE(store.ClaimOwner("default/invoice/a" + std::to_string(i) + "-2").value().has_value());
  }
  // The same key again replays; nothing is billed twice.
  CommandOutcome again = service.Submit("default", R"({"command":"run_billing","idempotency_key":"run","as_of":"2024-01-01T00:00:00Z"})", std::nullopt).get();
  EXPECT_TRUE(again.replayed);
  EXPECT_FALSE(store.ClaimOwner("default/invoice/a0-2").value().has_value());
}

// A tenant-wide run waits for its accounts' appends on a run thread: another
// tenant's commands, and its own tenant-wide run, complete meanwhile (they waited
// behind the run on the one completion thread until 2026-12-06: ~2 s for a
// 60,000-account run; then a second tenant's run waited on the one run thread),
// while the run's own tenant's later commands still wait for the run's record.
TEST(ServiceRun, AnotherTenantsCommandsCompleteWhileARunWaits) {
  GatedStore store;
  CommandService service(&store, ServiceOptions{});
  auto post = [&](const std::string& tenant, const std::string& line) {
    return service.Submit(tenant, line, std::nullopt);
  };
  for (const char* line : {
           R"({"command":"publish_plan","idempotency_key":"p","plan_id":"pro","currency":"USD","interval":"month","amount":"10.00"})",
           R"({"command":"open_account","idempotency_key":"o1","account_id":"a1","currency":"USD"})",
           R"({"command":"subscribe","idempotency_key":"s1","subscription_id":"s1","account_id":"a1","plan_id":"pro","start":"2024-01-01T00:00:00Z"})"}) {
    ASSERT_EQ(post("ta", line).get().status, OutcomeStatus::kAccepted) << line;
    ASSERT_EQ(post("tc", line).get().status, OutcomeStatus::kAccepted) << line;
  }
  store.HoldWhen([](const AppendRequest& r) {
    return HasEventType(r, "InvoiceIssued") && r.streams.front().stream.rfind("ta/", 0) == 0;
  });
  auto run = post("ta", R"({"command":"run_billing","idempotency_key":"run","as_of":"2024-01-01T00:00:00Z"})");
  for (int i = 0; i < 1000 && store.held() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(store.held(), 1u);
  auto other = post("tb", R"({"command":"open_account","idempotency_key":"o1","account_id":"b1","currency":"EUR"})");
  ASSERT_EQ(other.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "tenant tb's command waited behind tenant ta's run";
  EXPECT_EQ(other.get().status, OutcomeStatus::kAccepted);
  auto other_run = post("tc", R"({"command":"run_billing","idempotency_key":"run","as_of":"2024-01-01T00:00:00Z"})");
  ASSERT_EQ(other_run.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "tenant tc's run waited behind tenant ta's run";
  CommandOutcome tc = other_run.get();
  EXPECT_NE(tc.result_json.find(R"("invoices":["a1-1"])"), std::string::npos) << tc.result_json;
  auto same = post("ta", R"({"command":"open_account","idempotency_key":"o2","account_id":"a2","currency":"USD"})");
  EXPECT_NE(same.wait_for(std::chrono::milliseconds(200)), std::future_status::ready);
  EXPECT_NE(run.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  store.Open();
  CommandOutcome r = run.get();
  ASSERT_EQ(r.status, OutcomeStatus::kAccepted) << r.result_json;
  EXPECT_NE(r.result_json.find(R"("invoices":["a1-1"])"), std::string::npos) << r.result_json;
  EXPECT_EQ(same.get().status, OutcomeStatus::kAccepted);
  EXPECT_EQ(store.ClaimOwner("ta/invoice/a1-1").value(), std::optional<std::string>("ta/account/a1"));
}

// contract.md: a tenant-wide run's result lists the invoices it issued and the
// accounts it skipped with their code (D-27: an invoice that would overflow skips
// its account, which stays unbilled); the same key replays the same lists.
TEST(ServiceRun, ResultListsIssuedInvoicesAndSkippedAccounts_D27) {
  auto store = events::NewMemoryEventStore([] { return int64_t{0}; });
  CommandService service(store.get(), ServiceOptions{});
  const char* setup[] = {
      R"({"command":"open_account","idempotency_key":"a1","account_id":"acme","currency":"USD","timezone":"UTC"})",
      R"({"command":"open_account","idempotency_key":"a2","account_id":"huge","currency":"USD","timezone":"UTC"})",
      R"({"command":"publish_plan","idempotency_key":"p1","plan_id":"pro","currency":"USD","interval":"month","interval_count":1,"amount":"49.00","meters":[{"meter":"api_calls","unit_price":"999999999999999999999999"}]})",
      R"({"command":"subscribe","idempotency_key":"s1","subscription_id":"s1","account_id":"acme","plan_id":"pro","quantity":1,"start":"2024-01-01T00:00:00Z"})",
      R"({"command":"subscribe","idempotency_key":"s2","subscription_id":"s2","account_id":"huge","plan_id":"pro","quantity":1,"start":"2024-01-01T00:00:00Z"})",
      // 10^24 x 10^24 units: the line overflows the 128-bit minor units (R-M3).
      R"({"command":"record_usage","idempotency_key":"u1","usage_id":"u1","subscription_id":"s2","meter":"api_calls","quantity":"999999999999999999999999","at":"2024-01-05T00:00:00Z"})",
  };
  for (const char* line : setup) {
    CommandOutcome o = service.Submit("default", line, std::nullopt).get();
    ASSERT_EQ(o.status, OutcomeStatus::kAccepted) << o.result_json;
  }
  const std::string run = R"({"command":"run_billing","idempotency_key":"r1","as_of":"2024-02-01T00:00:00Z"})";
  const std::string result =
      R"({"idempotency_key":"r1","status":"accepted","position":7,"events":["InvoiceIssued"],)"
      R"("invoices":["acme-1"],"skipped":[{"account_id":"huge","code":"amount_overflow"}])";
  CommandOutcome o = service.Submit("default", run, std::nullopt).get();
  ASSERT_EQ(o.status, OutcomeStatus::kAccepted);
  EXPECT_EQ(o.result_json, result + "}");
  EXPECT_FALSE(store->ClaimOwner("default/invoice/huge-1").value().has_value());
  CommandOutcome again = service.Submit("default", run, std::nullopt).get();
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.result_json, result + R"(,"replayed":true})");
}

}  // namespace
}  // namespace accrue::engine
