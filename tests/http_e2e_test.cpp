// End-to-end tests of the HTTP API: a real `accrue serve` process on a free
// loopback port (port 0, read back from its stdout) with a real RocksDB log, driven
// by a real HTTP client (Beast) and raw sockets. Proves contract.md's HTTP section:
// every status code, idempotency (replay, reuse 422, in progress 409), tenant
// isolation, limits (413, 429, 503), malformed input, token lifecycle, and the
// SIGTERM drain (every accepted command is in the log, no unanswered one is).
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <mutex>
#include <sstream>
#include <thread>

#include "tests/http_test_client.h"

namespace accrue::testing {
namespace {

namespace fs = std::filesystem;

struct RunResult {
  int exit_code = -1;
  std::string out;
};

// Runs `accrue ARGS...` to completion, capturing stdout.
RunResult RunAccrue(const std::vector<std::string>& args) {
  std::string cmd = std::string(ACCRUE_BINARY);
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " 2>/dev/null";
  RunResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string LastWord(const std::string& text) {
  std::istringstream in(text);
  std::string w, last;
  while (in >> w) last = w;
  return last;
}

// A running `accrue serve`; killed (SIGKILL) if a test forgets to stop it.
class ServeProcess {
 public:
  // file_size_limit > 0: the server runs under RLIMIT_FSIZE of that many bytes
  // (SIGXFSZ ignored), so a write past it fails with EFBIG as on a full disk.
  ServeProcess(const std::string& data, const std::string& tokens, const std::vector<std::string>& extra = {},
               rlim_t file_size_limit = 0) {
    int out[2];
    if (::pipe(out) != 0) return;
    log_path_ = data + ".serve.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      if (file_size_limit > 0) {
        ::signal(SIGXFSZ, SIG_IGN);
        const rlimit limit{file_size_limit, file_size_limit};
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(126);
      }
      ::dup2(out[1], 1);
      int err = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (err >= 0) ::dup2(err, 2);
      ::close(out[0]);
      std::vector<std::string> args = {ACCRUE_BINARY, "serve", "--data", data, "--tokens", tokens,
                                       "--listen", "127.0.0.1:0", "--log-format", "json"};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    // Read "listening on 127.0.0.1:PORT\n" (bounded: the pipe closes if serve dies).
    std::string line;
    char c;
    while (line.size() < 200 && ::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    auto colon = line.rfind(':');
    if (line.rfind("listening on ", 0) == 0 && colon != std::string::npos) {
      port_ = static_cast<uint16_t>(std::stoi(line.substr(colon + 1)));
    }
    // Wait until ready (the log opens after listening); bounded.
    for (int i = 0; i < 500 && port_ != 0; ++i) {
      if (Request(port_, "GET", "/readyz").status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~ServeProcess() {
    if (pid_ > 0 && !stopped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  uint16_t port() const { return port_; }
  // SIGTERM, then the exit code (bounded wait; -1 if it had to be killed).
  int Terminate(std::chrono::milliseconds bound = std::chrono::seconds(20)) {
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + bound;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        stopped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  std::string Log() const {
    std::ifstream in(log_path_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  bool stopped_ = false;
  std::string log_path_;
};

class HttpE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("http_e2e_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    tokens_ = (dir_ / "tokens").string();
    data_ = (dir_ / "data").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string AddToken(const std::string& tenant, const std::string& scopes) {
    RunResult r = RunAccrue({"tokens", "add", "--tokens", tokens_, "--tenant", tenant, "--scopes", scopes});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return LastWord(r.out);
  }
  static Headers H(const std::string& token, const std::string& key = "") {
    Headers h = {{"Authorization", "Bearer " + token}};
    if (!key.empty()) h.push_back({"Idempotency-Key", key});
    return h;
  }

  fs::path dir_;
  std::string tokens_, data_;
};

constexpr const char* kOpenAcme =
    R"({"command":"open_account","idempotency_key":"ignored","account_id":"acme","currency":"USD"})";

TEST_F(HttpE2eTest, TokensCliStoresOnlyHashesWithMode0600) {
  const std::string token = AddToken("acme", "write,read");
  EXPECT_EQ(token.rfind("acr_", 0), 0u);
  EXPECT_EQ(token.size(), 68u);
  struct stat st;
  ASSERT_EQ(::stat(tokens_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(tokens_);
  std::string file((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(file.find(token), std::string::npos);
  EXPECT_EQ(file.find(token.substr(4)), std::string::npos);
  RunResult list = RunAccrue({"tokens", "list", "--tokens", tokens_});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find(" acme write,read"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find(token), std::string::npos);
  EXPECT_EQ(RunAccrue({"tokens", "revoke", "--tokens", tokens_, "tok_0000000000000000"}).exit_code, 2);
}

TEST_F(HttpE2eTest, ServeRefusesWithoutAPrivateTokensFile) {
  EXPECT_EQ(RunAccrue({"serve", "--data", data_, "--listen", "127.0.0.1:0"}).exit_code, 2);
  EXPECT_EQ(RunAccrue({"serve", "--data", data_, "--listen", "127.0.0.1:0", "--tokens", tokens_}).exit_code, 2);
  AddToken("acme", "read");
  ASSERT_EQ(::chmod(tokens_.c_str(), 0644), 0);
  EXPECT_EQ(RunAccrue({"serve", "--data", data_, "--listen", "127.0.0.1:0", "--tokens", tokens_}).exit_code, 2);
}

// contract.md: a tenant name follows the id syntax; anything else is a usage error
// (exit 2) for every command, not an account that is not found (exit 1).
TEST_F(HttpE2eTest, CliRefusesATenantOutsideTheIdSyntax) {
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"inspect", "account", "acme"}, {"inspect", "plan", "pro"}, {"post", "-"},
        {"tokens", "add", "--tokens", tokens_, "--scopes", "read"}}) {
    std::vector<std::string> args = {"--data", data_, "--tenant", "bad tenant"};
    args.insert(args.end(), command.begin(), command.end());
    EXPECT_EQ(RunAccrue(args).exit_code, 2) << command[0];
  }
  EXPECT_EQ(RunAccrue({"--data", data_, "--tenant", "a.b:c-d_e", "inspect", "account", "acme"}).exit_code, 1);
}

TEST_F(HttpE2eTest, ContractStatusCodesIdempotencyAndIsolation) {
  const std::string acme = AddToken("acme", "write,read");
  const std::string acme_ro = AddToken("acme", "read");
  const std::string beta = AddToken("beta", "write,read");
  ServeProcess serve(data_, tokens_);
  const uint16_t port = serve.port();
  ASSERT_NE(port, 0);
  EXPECT_EQ(Request(port, "GET", "/healthz").status, 200);

  // 200, then a replay under the header key (which overrides the body's).
  Reply open = Request(port, "POST", "/v1/commands", H(acme, "k1"), kOpenAcme);
  EXPECT_EQ(open.status, 200) << open.body;
  EXPECT_NE(open.body.find(R"("idempotency_key":"k1","status":"accepted")"), std::string::npos) << open.body;
  Reply replay = Request(port, "POST", "/v1/commands", H(acme, "k1"), kOpenAcme);
  EXPECT_EQ(replay.status, 200);
  EXPECT_NE(replay.body.find("\"replayed\":true"), std::string::npos) << replay.body;
  // 422: the same key with another command.
  Reply reused = Request(port, "POST", "/v1/commands", H(acme, "k1"),
                         R"({"command":"close_account","idempotency_key":"x","account_id":"acme"})");
  EXPECT_EQ(reused.status, 422);
  EXPECT_NE(reused.body.find("idempotency_key_reused"), std::string::npos);
  // 400s.
  Reply no_key = Request(port, "POST", "/v1/commands", H(acme), kOpenAcme);
  EXPECT_EQ(no_key.status, 400);
  EXPECT_NE(no_key.body.find("missing_field"), std::string::npos);
  // invalid_json carries the header's key (it overrides the body's) and is not
  // remembered: the same key then takes a well-formed command.
  Reply bad_json = Request(port, "POST", "/v1/commands", H(acme, "k2"), "{nope");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_NE(bad_json.body.find(R"("idempotency_key":"k2","status":"rejected","error":{"code":"invalid_json")"),
            std::string::npos)
      << bad_json.body;
  EXPECT_EQ(Request(port, "POST", "/v1/commands", H(acme, "k2"),
                    R"({"command":"publish_plan","idempotency_key":"x","plan_id":"after-bad-json","currency":"USD","interval":"month","amount":"1.00"})")
                .status,
            200);
  Reply unknown = Request(port, "POST", "/v1/commands", H(acme, "k3"), R"({"command":"drop","idempotency_key":"k"})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("unknown_command"), std::string::npos);
  Reply utf8 = Request(port, "POST", "/v1/commands", H(acme, "k4"), "{\"command\":\"\xc3\x28\"}");
  EXPECT_EQ(utf8.status, 400);
  EXPECT_NE(utf8.body.find("invalid_json"), std::string::npos) << utf8.body;
  Reply deep = Request(port, "POST", "/v1/commands", H(acme, "k5"), std::string(200000, '[') + std::string(200000, ']'));
  EXPECT_EQ(deep.status, 400);
  EXPECT_NE(deep.body.find("invalid_json"), std::string::npos);
  // Nothing of the bad input reached the log: still the two accepted commands (k1,
  // k2). `log stat` reads beside the running server.
  RunResult stat = RunAccrue({"--data", data_, "log", "stat"});
  EXPECT_EQ(stat.exit_code, 0) << stat.out;
  EXPECT_NE(stat.out.find("last position: 2\n"), std::string::npos) << stat.out;
  // 409 already_exists, 404 not_found, 422 currency_mismatch, 409 invalid_state.
  Reply again = Request(port, "POST", "/v1/commands", H(acme, "k6"), kOpenAcme);
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.body.find("already_exists"), std::string::npos);
  EXPECT_EQ(Request(port, "POST", "/v1/commands", H(acme, "k7"),
                    R"({"command":"publish_plan","idempotency_key":"x","plan_id":"eur","currency":"EUR","interval":"month","amount":"9.00"})")
                .status,
            200);
  Reply missing_plan = Request(port, "POST", "/v1/commands", H(acme, "k8"),
                               R"({"command":"subscribe","idempotency_key":"x","subscription_id":"s1","account_id":"acme","plan_id":"nope","start":"2024-01-31T15:00:00Z"})");
  EXPECT_EQ(missing_plan.status, 404);
  EXPECT_NE(missing_plan.body.find("not_found"), std::string::npos);
  Reply mismatch = Request(port, "POST", "/v1/commands", H(acme, "k9"),
                           R"({"command":"subscribe","idempotency_key":"x","subscription_id":"s1","account_id":"acme","plan_id":"eur","start":"2024-01-31T15:00:00Z"})");
  EXPECT_EQ(mismatch.status, 422);
  EXPECT_NE(mismatch.body.find("currency_mismatch"), std::string::npos) << mismatch.body;
  // A remembered rejection replays with its status.
  Reply mismatch_again = Request(port, "POST", "/v1/commands", H(acme, "k9"),
                                 R"({"command":"subscribe","idempotency_key":"x","subscription_id":"s1","account_id":"acme","plan_id":"eur","start":"2024-01-31T15:00:00Z"})");
  EXPECT_EQ(mismatch_again.status, 422);
  EXPECT_NE(mismatch_again.body.find("\"replayed\":true"), std::string::npos);
  EXPECT_EQ(Request(port, "POST", "/v1/commands", H(acme, "k10"),
                    R"({"command":"close_account","idempotency_key":"x","account_id":"acme"})")
                .status,
            200);
  Reply closed = Request(port, "POST", "/v1/commands", H(acme, "k11"),
                         R"({"command":"close_account","idempotency_key":"x","account_id":"acme"})");
  EXPECT_EQ(closed.status, 409);
  EXPECT_NE(closed.body.find("invalid_state"), std::string::npos) << closed.body;
  // 401, 403.
  EXPECT_EQ(Request(port, "POST", "/v1/commands", {{"Idempotency-Key", "z"}}, kOpenAcme).status, 401);
  EXPECT_EQ(Request(port, "POST", "/v1/commands", H("acr_bogus", "z"), kOpenAcme).status, 401);
  EXPECT_EQ(Request(port, "POST", "/v1/commands", H(acme_ro, "z"), kOpenAcme).status, 403);
  // Reads and isolation: beta sees nothing of acme (404), and its own acme is separate.
  Reply account = Request(port, "GET", "/v1/accounts/acme", H(acme_ro));
  EXPECT_EQ(account.status, 200);
  EXPECT_EQ(account.body.rfind(R"({"account_id":"acme","currency":"USD")", 0), 0u) << account.body;
  EXPECT_EQ(Request(port, "GET", "/v1/accounts/acme/invoices", H(acme_ro)).status, 200);
  EXPECT_EQ(Request(port, "GET", "/v1/accounts/acme", H(beta)).status, 404);
  EXPECT_EQ(Request(port, "GET", "/v1/accounts/acme/invoices", H(beta)).status, 404);
  EXPECT_EQ(Request(port, "GET", "/v1/invoices/acme-1", H(beta)).status, 404);
  Reply beta_writes = Request(port, "POST", "/v1/commands", H(beta, "b1"),
                              R"({"command":"close_account","idempotency_key":"x","account_id":"acme"})");
  EXPECT_EQ(beta_writes.status, 404);
  EXPECT_EQ(Request(port, "POST", "/v1/commands", H(beta, "k1"), kOpenAcme).status, 200);  // keys are per tenant
  // 413: body over 1 MiB; batch over 1000.
  EXPECT_EQ(Request(port, "POST", "/v1/commands", H(acme, "big"), std::string((1 << 20) + 1, ' ')).status, 413);
  std::string batch;
  for (int i = 0; i < 1001; ++i) batch += "{}\n";
  EXPECT_EQ(Request(port, "POST", "/v1/commands:batch", H(acme), batch).status, 413);
  // Batch: independent results in order. Each line is one observation of the
  // durable-latency histogram, as a single command is.
  auto metric_now = [&](const std::string& name) -> long long {
    const std::string body = Request(port, "GET", "/metrics").body;
    const std::size_t at = body.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stoll(body.substr(at + name.size() + 2));
  };
  const long long durable_before = metric_now("accrue_command_durable_seconds_count");
  ASSERT_GT(durable_before, 0);
  Reply b = Request(port, "POST", "/v1/commands:batch", H(acme),
                    std::string(R"({"command":"open_account","idempotency_key":"bk1","account_id":"a1","currency":"USD"})") + "\n" +
                        R"({"command":"open_account","idempotency_key":"bk2","account_id":"a1","currency":"USD"})" + "\n" +
                        R"({"command":"open_account","idempotency_key":"bk3","account_id":"a2","currency":"USD"})" + "\n");
  EXPECT_EQ(b.status, 200);
  std::istringstream lines(b.body);
  std::string l1, l2, l3;
  std::getline(lines, l1);
  std::getline(lines, l2);
  std::getline(lines, l3);
  EXPECT_NE(l1.find(R"("idempotency_key":"bk1","status":"accepted")"), std::string::npos) << b.body;
  EXPECT_NE(l2.find("already_exists"), std::string::npos) << b.body;
  EXPECT_NE(l3.find(R"("idempotency_key":"bk3","status":"accepted")"), std::string::npos) << b.body;
  EXPECT_EQ(metric_now("accrue_command_durable_seconds_count"), durable_before + 3);
  // The lines are taken in order, as `accrue post` takes a file's: a truncated line
  // does not hold the key it seems to carry (D-1 step 1, D-4), a repeated key
  // replays (D-18), the same key with another command is idempotency_key_reused.
  Reply ordered = Request(port, "POST", "/v1/commands:batch", H(acme),
                          std::string(R"({"command":"open_account","idempotency_key":"bo1","account_id":)") + "\n" +
                              R"({"command":"open_account","idempotency_key":"bo1","account_id":"o1","currency":"USD"})" + "\n" +
                              R"({"command":"open_account","idempotency_key":"bo1","account_id":"o1","currency":"USD"})" + "\n" +
                              R"({"command":"open_account","idempotency_key":"bo1","account_id":"o2","currency":"USD"})" + "\n");
  EXPECT_EQ(ordered.status, 200);
  std::istringstream ordered_lines(ordered.body);
  std::vector<std::string> o(4);
  for (auto& line : o) std::getline(ordered_lines, line);
  EXPECT_NE(o[0].find(R"("idempotency_key":null,"status":"rejected","error":{"code":"invalid_json")"), std::string::npos) << ordered.body;
  EXPECT_NE(o[1].find(R"("idempotency_key":"bo1","status":"accepted")"), std::string::npos) << ordered.body;
  EXPECT_NE(o[2].find(R"("idempotency_key":"bo1","status":"accepted")"), std::string::npos) << ordered.body;
  EXPECT_NE(o[2].find(R"("replayed":true)"), std::string::npos) << ordered.body;
  EXPECT_NE(o[3].find("idempotency_key_reused"), std::string::npos) << ordered.body;
  // Malformed HTTP does not take the server down; X-Request-Id is echoed.
  EXPECT_EQ(RawExchange(port, "\x16\x03\x01 garbage\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  Reply echoed = Request(port, "GET", "/healthz", {{"X-Request-Id", "req-42"}});
  EXPECT_EQ(echoed.Header("x-request-id"), "req-42");
  // Metrics.
  Reply m = Request(port, "GET", "/metrics");
  EXPECT_NE(m.body.find(R"(accrue_commands_total{command="open_account",outcome="accepted"})"), std::string::npos);
  EXPECT_NE(m.body.find("accrue_commands_replayed_total 3"), std::string::npos) << m.body;  // two single replays and the ordered batch's
  EXPECT_NE(m.body.find("accrue_http_request_duration_seconds_bucket"), std::string::npos);
  // The event log's append path (issue 7: queue depth, fsync batch sizes).
  auto metric = [&](const std::string& name) -> long long {
    std::size_t at = m.body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stoll(m.body.substr(at + name.size() + 2));
  };
  EXPECT_EQ(metric("accrue_log_append_queue_depth"), 0) << m.body;
  EXPECT_GT(metric("accrue_log_appends_total"), 0) << m.body;
  EXPECT_GT(metric("accrue_log_events_total"), 0);
  EXPECT_GT(metric("accrue_log_fsyncs_total"), 0);
  EXPECT_EQ(metric("accrue_log_batch_events_count"), metric("accrue_log_fsyncs_total"));
  EXPECT_EQ(metric("accrue_log_append_latency_seconds_count"), metric("accrue_log_appends_total"));
  EXPECT_NE(m.body.find("accrue_log_append_latency_seconds_bucket{le=\"+Inf\"}"), std::string::npos);
  // Revocation without restart.
  RunResult list = RunAccrue({"tokens", "list", "--tokens", tokens_});
  std::string acme_ro_id;  // the line "ID acme read"
  std::istringstream list_lines(list.out);
  for (std::string line; std::getline(list_lines, line);) {
    if (line.size() > 10 && line.substr(line.size() - 10) == " acme read") acme_ro_id = line.substr(0, line.find(' '));
  }
  ASSERT_FALSE(acme_ro_id.empty()) << list.out;
  ASSERT_EQ(RunAccrue({"tokens", "revoke", "--tokens", tokens_, acme_ro_id}).exit_code, 0);
  int status = 200;
  for (int i = 0; i < 60 && status != 401; ++i) {  // reload interval is 1 s
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    status = Request(port, "GET", "/v1/accounts/acme", H(acme_ro)).status;
  }
  EXPECT_EQ(status, 401);
  // Logs: one line per request, never a token.
  EXPECT_EQ(serve.Terminate(), 0);
  const std::string log = serve.Log();
  EXPECT_NE(log.find(R"("msg":"http_request","request_id":"req-42")"), std::string::npos);
  EXPECT_EQ(log.find(acme), std::string::npos);
  EXPECT_EQ(log.find(acme_ro), std::string::npos);
}

// 429 with commands held in flight is in http_server_test (InProgressRateLimitAndQueueFull).
TEST_F(HttpE2eTest, LimitsAnswer413And503) {
  const std::string acme = AddToken("acme", "write,read");
  ServeProcess serve(data_, tokens_, {"--max-tenant-inflight", "5", "--max-connections", "3"});
  ASSERT_NE(serve.port(), 0);
  std::string batch;
  for (int i = 0; i < 6; ++i) batch += "{}\n";
  // More lines than the tenant may ever have in flight: retrying cannot help, so
  // 413 without Retry-After (it was 429 with Retry-After, refused forever).
  Reply limited = Request(serve.port(), "POST", "/v1/commands:batch", H(acme), batch);
  EXPECT_EQ(limited.status, 413);
  EXPECT_EQ(limited.Header("retry-after"), "");
  EXPECT_NE(limited.body.find("payload_too_large"), std::string::npos);
  // Hold 3 connections open. Connections of earlier requests count until the server
  // has seen them close, so retry (bounded) until all three are admitted.
  std::vector<std::unique_ptr<HttpClient>> held;
  for (int attempt = 0; attempt < 50 && held.size() < 3; ++attempt) {
    held.clear();
    for (int i = 0; i < 3; ++i) {
      auto client = std::make_unique<HttpClient>(serve.port());
      if (client->Send("GET", "/healthz").status != 200) break;
      held.push_back(std::move(client));
    }
    if (held.size() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(held.size(), 3u);
  Reply refused = Request(serve.port(), "GET", "/healthz");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.Header("retry-after"), "1");
}

// A write the disk refuses (the log's WAL past a file size limit, EFBIG, as on a
// full disk): the command is 503 `unavailable` with Retry-After and its result
// object, nothing of it is stored, and after a restart with room the same key is
// applied once (api.md "Failure modes", disk full). Until 2026-12-06 only a fake
// backend failure showed this.
TEST_F(HttpE2eTest, AWriteTheDiskRefusesIs503AndTheSameKeyAppliesOnceLater) {
  const std::string acme = AddToken("acme", "write,read");
  constexpr int kMaxCommands = 3000;  // ~1.5 MB of WAL, well past the limit below
  auto open = [&](uint16_t port, int i) {
    const std::string id = "a" + std::to_string(i);
    return Request(port, "POST", "/v1/commands", H(acme, "k" + std::to_string(i)),
                   R"({"command":"open_account","idempotency_key":"x","account_id":")" + id +
                       R"(","currency":"USD"})");
  };
  int refused = -1;
  {
    ServeProcess serve(data_, tokens_, {}, /*file_size_limit=*/256 * 1024);
    ASSERT_NE(serve.port(), 0);
    for (int i = 0; i < kMaxCommands && refused < 0; ++i) {
      Reply r = open(serve.port(), i);
      if (r.status == 200) continue;
      refused = i;
      EXPECT_EQ(r.status, 503) << r.body;
      EXPECT_EQ(r.Header("retry-after"), "1");
      EXPECT_NE(r.body.find(R"("idempotency_key":"k)" + std::to_string(i) +
                            R"(","status":"failed","error":{"code":"unavailable")"),
                std::string::npos)
          << r.body;
    }
    ASSERT_GT(refused, 0) << "no write was refused under the file size limit";
    EXPECT_EQ(Request(serve.port(), "GET", "/v1/accounts/a" + std::to_string(refused), H(acme)).status, 404);
    // A failed WAL write stops RocksDB for good: the next command finds that out,
    // and from then on /healthz and /readyz answer 503 "failed" (no Retry-After:
    // waiting does not help, a restart does), so an orchestrator restarts it.
    Reply next = open(serve.port(), refused + 1);
    EXPECT_EQ(next.status, 503) << next.body;
    EXPECT_NE(next.body.find("restart accrue"), std::string::npos) << next.body;
    for (const char* probe : {"/healthz", "/readyz"}) {
      Reply r = Request(serve.port(), "GET", probe);
      EXPECT_EQ(r.status, 503) << probe << " " << r.body;
      EXPECT_NE(r.body.find(R"("status":"failed")"), std::string::npos) << probe << " " << r.body;
      EXPECT_EQ(r.Header("retry-after"), "") << probe;
    }
    EXPECT_NE(Request(serve.port(), "GET", "/metrics").body.find("\naccrue_http_ready 0\n"), std::string::npos);
    serve.Terminate();
  }
  ServeProcess again(data_, tokens_);
  ASSERT_NE(again.port(), 0);
  EXPECT_EQ(Request(again.port(), "GET", "/healthz").status, 200);
  EXPECT_EQ(Request(again.port(), "GET", "/readyz").status, 200);
  EXPECT_EQ(Request(again.port(), "GET", "/v1/accounts/a" + std::to_string(refused), H(acme)).status, 404);
  Reply retried = open(again.port(), refused);
  EXPECT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(retried.body.find("replayed"), std::string::npos) << retried.body;  // applied now, not before
  Reply replay = open(again.port(), refused);
  EXPECT_NE(replay.body.find("\"replayed\":true"), std::string::npos) << replay.body;
  EXPECT_EQ(again.Terminate(), 0);
  RunResult verify = RunAccrue({"--data", data_, "log", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  // One open_account event per acknowledged command: the refused one once, after.
  EXPECT_NE(verify.out.find("ok: " + std::to_string(refused + 1) + " events"), std::string::npos) << verify.out;
}

// While a batch holds a key (from its admission until its last line is durable),
// a single request with that key is 409 idempotency_in_progress; afterwards it is
// the stored result, replayed. The window is real time in a real process, so the
// single client fires only once /metrics shows the batch in flight (its key is
// the batch's FIRST line: held for the whole batch), and a round in which the
// batch still finished first is simply tried again (at most kRounds).
TEST_F(HttpE2eTest, SameKeyInFlightIs409AndHasOneEffect) {
  constexpr int kRounds = 20;
  const std::string acme = AddToken("acme", "write,read");
  ServeProcess serve(data_, tokens_);
  ASSERT_NE(serve.port(), 0);
  auto inflight = [&]() -> long long {
    Reply m = Request(serve.port(), "GET", "/metrics");
    const std::string name = "\naccrue_http_inflight_commands ";
    const std::size_t at = m.body.find(name);
    return at == std::string::npos ? -1 : std::stoll(m.body.substr(at + name.size()));
  };
  int conflicts = 0;
  for (int round = 0; round < kRounds && conflicts == 0; ++round) {
    const std::string dup = "dup" + std::to_string(round);
    const std::string dup_body = R"({"command":"open_account","idempotency_key":")" + dup + R"(","account_id":"d)" +
                                 std::to_string(round) + R"(","currency":"USD"})";
    std::string batch = dup_body + "\n";
    for (int i = 0; i < 999; ++i) {
      batch += R"({"command":"open_account","idempotency_key":"r)" + std::to_string(round) + "-" + std::to_string(i) +
               R"(","account_id":"b)" + std::to_string(round) + "-" + std::to_string(i) + R"(","currency":"USD"})" + "\n";
    }
    std::atomic<bool> done{false};
    std::thread t([&] {
      Reply r = Request(serve.port(), "POST", "/v1/commands:batch", H(acme), batch);
      EXPECT_EQ(r.status, 200);
      EXPECT_EQ(r.body.find("idempotency_in_progress"), std::string::npos) << "no other request held the keys";
      done = true;
    });
    while (!done && inflight() < 1000) std::this_thread::yield();
    HttpClient single(serve.port());
    while (!done) {
      Reply r = single.Send("POST", "/v1/commands", H(acme, dup), dup_body);
      if (r.status == 409) {
        EXPECT_NE(r.body.find("idempotency_in_progress"), std::string::npos);
        EXPECT_EQ(r.Header("retry-after"), "1");
        ++conflicts;
      } else {
        EXPECT_EQ(r.status, 200) << r.body;  // the batch's line was durable already: a replay
        EXPECT_NE(r.body.find("\"replayed\":true"), std::string::npos) << r.body;
      }
    }
    t.join();
    Reply after = Request(serve.port(), "POST", "/v1/commands", H(acme, dup), dup_body);
    EXPECT_EQ(after.status, 200);
    EXPECT_NE(after.body.find("\"replayed\":true"), std::string::npos) << after.body;  // one effect
  }
  EXPECT_GT(conflicts, 0) << "no round caught the batch in flight in " << kRounds << " rounds";
}

TEST_F(HttpE2eTest, SigtermDrainsInFlightCommandsAndLosesNone) {
  const std::string acme = AddToken("acme", "write,read");
  constexpr int kClients = 8;
  constexpr int kPerClient = 400;
  // answer[c][i]: 200 accepted, 503 refused while draining, 0 no answer.
  std::vector<std::vector<int>> answer(kClients, std::vector<int>(kPerClient, -1));
  {
    ServeProcess serve(data_, tokens_);
    ASSERT_NE(serve.port(), 0);
    std::atomic<int> sent{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        auto client = std::make_unique<HttpClient>(serve.port());
        for (int i = 0; i < kPerClient; ++i) {
          const std::string id = "c" + std::to_string(c) + "-" + std::to_string(i);
          if (!client->connected()) client = std::make_unique<HttpClient>(serve.port());
          Reply r = client->Send("POST", "/v1/commands", H(acme, id),
                                 R"({"command":"open_account","idempotency_key":"x","account_id":")" + id +
                                     R"(","currency":"USD"})");
          answer[c][i] = r.status;
          ++sent;
        }
      });
    }
    for (int i = 0; i < 500 && sent.load() < 200; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(serve.Terminate(), 0);
    for (auto& t : clients) t.join();
  }
  int accepted = 0, unanswered = 0;
  ServeProcess again(data_, tokens_);
  ASSERT_NE(again.port(), 0);
  HttpClient reader(again.port());
  for (int c = 0; c < kClients; ++c) {
    for (int i = 0; i < kPerClient; ++i) {
      const std::string id = "c" + std::to_string(c) + "-" + std::to_string(i);
      const int got = reader.Send("GET", "/v1/accounts/" + id, H(acme)).status;
      if (answer[c][i] == 200) {
        ++accepted;
        EXPECT_EQ(got, 200) << id << " was acknowledged but is not in the log";
      } else {
        ++unanswered;
        EXPECT_TRUE(answer[c][i] == 0 || answer[c][i] == 503) << id << " got " << answer[c][i];
        EXPECT_EQ(got, 404) << id << " was not acknowledged but is in the log";
      }
    }
  }
  EXPECT_GT(accepted, 0);
  EXPECT_GT(unanswered, 0);  // SIGTERM came before the clients finished
  EXPECT_EQ(again.Terminate(), 0);
}

}  // namespace
}  // namespace accrue::testing
