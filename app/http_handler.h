// HttpHandler: the HTTP API's request logic, independent of the socket layer
// (app/http_server.h feeds it parsed requests; tests can call it directly).
//
// For each request: route (404, also for another method), the public endpoints (/healthz, /readyz,
// /metrics), readiness (503 while starting or draining), authentication (401),
// scope (403), then the endpoint: a command is admitted (in-flight key 409,
// tenant limit 429, server limit 503; app/http_admission.h) and handed to the
// backend, whose outcome becomes the response (status per contract.md, body the
// result object). A token's tenant is the only tenant a request can touch: every
// backend call carries it, so ids of another tenant are simply not found (404).
//
// Thread-safety: Handle may be called from any thread concurrently; `respond` is
// called exactly once per request, possibly on a backend thread.
#ifndef ACCRUE_APP_HTTP_HANDLER_H_
#define ACCRUE_APP_HTTP_HANDLER_H_

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "app/http_admission.h"
#include "app/http_backend.h"
#include "app/http_limits.h"
#include "app/http_router.h"
#include "app/metrics.h"
#include "app/tokens.h"

namespace accrue::app {

// Admission attempts of one batch request: lines whose key another request holds
// are answered idempotency_in_progress and the rest tried again (HandleBatch).
inline constexpr int kBatchAdmitAttempts = 3;

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query
  std::string authorization;                   // the Authorization header, or empty
  std::optional<std::string> idempotency_key;  // the Idempotency-Key header (the first)
  bool idempotency_key_ambiguous = false;      // the header came again with another value
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  bool retry_after = false;       // send Retry-After
  bool www_authenticate = false;  // send WWW-Authenticate: Bearer (401)
  std::string allow;              // send Allow (a known path with another method)
  // For the request log and metrics; never the token itself.
  std::string route = "unmatched";
  std::string tenant;
  std::string token_id;
};

enum class ServeState { kStarting, kReady, kDraining };

class HttpHandler {
 public:
  using Respond = std::function<void(HttpResponse)>;

  HttpHandler(const HttpLimits& limits, TokenAuthenticator* tokens, MetricsRegistry* metrics);

  // The backend must be set before the state becomes kReady and outlive the handler's use.
  void SetBackend(HttpBackend* backend) { backend_.store(backend); }
  void SetState(ServeState state);
  ServeState state() const { return state_.load(); }

  void Handle(HttpRequest request, Respond respond);
  // The refusal `head` (a request without its body yet) gets whatever its body
  // holds: no such endpoint, not ready, no or bad token, missing scope; nullopt
  // when the body is worth reading. The server asks before it answers
  // `Expect: 100-continue`, so a refused client does not upload its body.
  std::optional<HttpResponse> RefuseBeforeBody(const HttpRequest& head);

  // Commands handed to the backend and not yet answered by it.
  std::size_t inflight_commands() const { return admission_.inflight(); }

 private:
  struct Auth {
    Identity identity;
    std::optional<HttpResponse> refusal;
  };
  Auth Authorize(const HttpRequest& request, uint8_t scope, bool command_route);
  // Handle's checks that need only the head: a refusal, or nullopt with `*who`
  // (and base's tenant and token id) set; public endpoints pass unauthenticated.
  std::optional<HttpResponse> CheckHead(const HttpRequest& request, const Route& route, HttpResponse& base,
                                        Identity* who);
  void HandleCommand(HttpRequest request, const Identity& who, HttpResponse base, Respond respond);
  void HandleBatch(HttpRequest request, const Identity& who, HttpResponse base, Respond respond);
  // Admits a batch's lines by their keys (`keys`, one per line): a line whose key is
  // in flight in another request is answered idempotency_in_progress in `answers`
  // and the rest tried again, up to kBatchAdmitAttempts times. Leaves the lines to
  // submit in `submit_index` and their keys in `submit_keys`; kOk, or why not.
  Admit AdmitBatch(const std::string& tenant, const std::vector<std::string>& keys,
                   std::vector<std::size_t>* submit_index, std::vector<std::string>* submit_keys,
                   std::vector<std::optional<std::string>>* answers);
  void HandleRead(ReadKind kind, const std::string& id, const Identity& who, HttpResponse base, Respond respond);
  HttpResponse Public(RouteId id, HttpResponse base);
  void CountCommand(std::string_view command, const engine::CommandOutcome& outcome);

  const HttpLimits limits_;
  TokenAuthenticator* const tokens_;
  MetricsRegistry* const metrics_;
  Admission admission_;
  std::atomic<HttpBackend*> backend_{nullptr};
  std::atomic<ServeState> state_{ServeState::kStarting};
  Gauge& inflight_gauge_;
  Gauge& ready_gauge_;
  Counter& replays_;
};

// The response for a backend outcome: 200 when accepted (replays included), else
// the error code's status (contract.md), Retry-After when retrying helps.
HttpResponse ResponseForOutcome(const engine::CommandOutcome& outcome, HttpResponse base);

}  // namespace accrue::app

#endif  // ACCRUE_APP_HTTP_HANDLER_H_
