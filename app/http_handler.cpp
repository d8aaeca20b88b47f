#include "app/http_handler.h"

#include <algorithm>

#include <memory>
#include <utility>
#include <vector>

#include "app/http_errors.h"
#include "app/http_json_peek.h"
#include "app/http_router.h"
#include "app/logging.h"

namespace accrue::app {
namespace {

using engine::CommandOutcome;
using engine::ErrorCode;
using engine::OutcomeStatus;

HttpResponse WithError(HttpResponse r, ErrorCode code, std::string body) {
  r.status = HttpStatusFor(code);
  r.retry_after = RetryHelps(code);
  r.www_authenticate = code == ErrorCode::kUnauthorized;
  r.body = std::move(body);
  return r;
}

// D-4: 1-255 printable ASCII (0x20-0x7E).
bool ValidIdempotencyKey(const std::string& key) {
  if (key.empty() || key.size() > 255) return false;
  for (unsigned char c : key) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// The token of "Bearer TOKEN" (scheme case-insensitive), or empty.
std::string_view BearerToken(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return {};
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

// D-7: blank (whitespace-only) lines are skipped; a line may end in CRLF.
std::vector<std::string> SplitLines(const std::string& body) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t nl = body.find('\n', start);
    if (nl == std::string::npos) nl = body.size();
    std::string_view line(body.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) lines.emplace_back(line);
    start = nl + 1;
  }
  return lines;
}

const char* OutcomeLabel(OutcomeStatus s) {
  switch (s) {
    case OutcomeStatus::kAccepted:
      return "accepted";
    case OutcomeStatus::kRejected:
      return "rejected";
    case OutcomeStatus::kFailed:
      return "failed";
  }
  return "failed";
}

}  // namespace

HttpResponse ResponseForOutcome(const CommandOutcome& outcome, HttpResponse base) {
  base.body = outcome.result_json;
  if (outcome.status == OutcomeStatus::kAccepted) {
    base.status = 200;
    return base;
  }
  // A failed outcome is passing (unavailable) by the service's contract; a rejected
  // one carries its code.
  const ErrorCode code = outcome.status == OutcomeStatus::kFailed ? ErrorCode::kUnavailable
                                                                  : outcome.error.value_or(ErrorCode::kUnavailable);
  base.status = HttpStatusFor(code);
  base.retry_after = RetryHelps(code);
  return base;
}

HttpHandler::HttpHandler(const HttpLimits& limits, TokenAuthenticator* tokens, MetricsRegistry* metrics)
    : limits_(limits),
      tokens_(tokens),
      metrics_(metrics),
      admission_(limits.max_tenant_inflight_commands, limits.max_inflight_commands),
      inflight_gauge_(metrics->GaugeFor("accrue_http_inflight_commands",
                                        "Commands handed to the engine and not yet answered")),
      ready_gauge_(metrics->GaugeFor("accrue_http_ready", "1 when /readyz answers 200")),
      replays_(metrics->CounterFor("accrue_commands_replayed_total",
                                   "Commands answered with a stored result (same key, same command)")) {}

void HttpHandler::SetState(ServeState state) {
  state_.store(state);
  ready_gauge_.Set(state == ServeState::kReady ? 1 : 0);
}

void HttpHandler::CountCommand(std::string_view command, const CommandOutcome& outcome) {
  metrics_->CounterFor("accrue_commands_total", "Commands by type and outcome",
                       {{"command", std::string(command)}, {"outcome", OutcomeLabel(outcome.status)}})
      .Inc();
  if (outcome.replayed) replays_.Inc();
}

HttpResponse HttpHandler::Public(RouteId id, HttpResponse base) {
  // A log that stopped after a failed write or fsync takes no command until accrue
  // restarts: /healthz and /readyz both answer 503 "failed", so an orchestrator
  // takes the instance out of rotation and restarts it (docs/api.md). The reason
  // is a fixed text: the store's message names files, not for an open endpoint.
  const HttpBackend* backend = backend_.load();
  const bool log_stopped = backend != nullptr && !backend->WriteHealth().ok();
  const ServeState s = state();
  const bool ready = s == ServeState::kReady && !log_stopped;
  ready_gauge_.Set(ready ? 1 : 0);
  constexpr const char* kFailed =
      "{\"status\":\"failed\",\"reason\":\"the event log stopped after a failed write or fsync; restart accrue\"}";
  if (id == RouteId::kHealthz) {
    base.status = log_stopped ? 503 : 200;
    base.body = log_stopped ? kFailed : "{\"status\":\"ok\"}";
  } else if (id == RouteId::kReadyz) {
    base.status = ready ? 200 : 503;
    base.retry_after = !ready && !log_stopped;  // starting or draining passes; a stopped log does not
    base.body = ready                        ? "{\"status\":\"ready\"}"
                : log_stopped                ? kFailed
                : s == ServeState::kStarting ? "{\"status\":\"starting\"}"
                                             : "{\"status\":\"draining\"}";
  } else {
    base.content_type = "text/plain; version=0.0.4; charset=utf-8";
    base.body = metrics_->Render();
  }
  return base;
}

HttpHandler::Auth HttpHandler::Authorize(const HttpRequest& request, uint8_t scope, bool command_route) {
  Auth auth;
  auto refuse = [&](ErrorCode code, std::string_view message) {
    HttpResponse r;
    auth.refusal = WithError(std::move(r), code,
                             command_route ? CommandErrorBody(request.idempotency_key, code, message)
                                           : PlainErrorBody(code, message));
  };
  std::string_view token = BearerToken(request.authorization);
  std::optional<Identity> who;
  if (!token.empty()) who = tokens_->Authenticate(token);
  if (!who) {
    refuse(ErrorCode::kUnauthorized, "a valid 'Authorization: Bearer TOKEN' header is required");
    return auth;
  }
  auth.identity = *who;
  if ((who->scopes & scope) == 0) {
    refuse(ErrorCode::kForbidden, scope == kScopeWrite ? "the token lacks the write scope"
                                                       : "the token lacks the read scope");
  }
  return auth;
}

std::optional<HttpResponse> HttpHandler::CheckHead(const HttpRequest& request, const Route& route,
                                                   HttpResponse& base, Identity* who) {
  if (route.id == RouteId::kNotFound) {
    return WithError(base, ErrorCode::kNotFound, PlainErrorBody(ErrorCode::kNotFound, "no such endpoint"));
  }
  if (!route.method_allowed) {
    // contract.md's statuses have no 405: the endpoint for this method does not
    // exist (404 not_found); Allow names the method the path takes.
    HttpResponse r = base;
    r.allow = route.allow;
    return WithError(std::move(r), ErrorCode::kNotFound,
                     PlainErrorBody(ErrorCode::kNotFound,
                                    "no such endpoint for " + request.method + "; this path takes " + route.allow));
  }
  if (route.id == RouteId::kHealthz || route.id == RouteId::kReadyz || route.id == RouteId::kMetrics) {
    return std::nullopt;
  }
  const bool command_route = route.id == RouteId::kCommand || route.id == RouteId::kBatch;
  if (state() != ServeState::kReady || backend_.load() == nullptr) {
    const char* why = state() == ServeState::kDraining ? "shutting down" : "starting";
    return WithError(base, ErrorCode::kUnavailable,
                     route.id == RouteId::kCommand
                         ? CommandErrorBody(request.idempotency_key, ErrorCode::kUnavailable, why)
                         : PlainErrorBody(ErrorCode::kUnavailable, why));
  }
  Auth auth = Authorize(request, command_route ? kScopeWrite : kScopeRead, route.id == RouteId::kCommand);
  base.tenant = auth.identity.tenant;
  base.token_id = auth.identity.token_id;
  if (auth.refusal) {
    auth.refusal->route = base.route;
    auth.refusal->tenant = base.tenant;
    auth.refusal->token_id = base.token_id;
    return std::move(auth.refusal);
  }
  *who = auth.identity;
  return std::nullopt;
}

std::optional<HttpResponse> HttpHandler::RefuseBeforeBody(const HttpRequest& head) {
  const Route route = MatchRoute(head.method, head.target);
  HttpResponse base;
  base.route = route.label;
  Identity who;
  return CheckHead(head, route, base, &who);
}

void HttpHandler::Handle(HttpRequest request, Respond respond) {
  const Route route = MatchRoute(request.method, request.target);
  HttpResponse base;
  base.route = route.label;
  Identity who;
  if (auto refusal = CheckHead(request, route, base, &who)) return respond(std::move(*refusal));
  switch (route.id) {
    case RouteId::kHealthz:
    case RouteId::kReadyz:
    case RouteId::kMetrics:
      return respond(Public(route.id, std::move(base)));
    case RouteId::kCommand:
      return HandleCommand(std::move(request), who, std::move(base), std::move(respond));
    case RouteId::kBatch:
      return HandleBatch(std::move(request), who, std::move(base), std::move(respond));
    case RouteId::kAccount:
      return HandleRead(ReadKind::kAccount, route.param, who, std::move(base), std::move(respond));
    case RouteId::kAccountInvoices:
      return HandleRead(ReadKind::kAccountInvoices, route.param, who, std::move(base), std::move(respond));
    case RouteId::kInvoice:
      return HandleRead(ReadKind::kInvoice, route.param, who, std::move(base), std::move(respond));
    default:
      ACCRUE_ASSERT(false, "unhandled route");
  }
}

void HttpHandler::HandleCommand(HttpRequest request, const Identity& who, HttpResponse base, Respond respond) {
  if (!request.idempotency_key) {
    return respond(WithError(std::move(base), ErrorCode::kMissingField,
                             CommandErrorBody(std::nullopt, ErrorCode::kMissingField,
                                              "the Idempotency-Key header is required", "idempotency_key")));
  }
  if (request.idempotency_key_ambiguous) {
    return respond(WithError(std::move(base), ErrorCode::kInvalidField,
                             CommandErrorBody(std::nullopt, ErrorCode::kInvalidField,
                                              "the Idempotency-Key header is given more than once, with "
                                              "different values",
                                              "idempotency_key")));
  }
  const std::string key = *request.idempotency_key;
  if (!ValidIdempotencyKey(key)) {
    return respond(WithError(std::move(base), ErrorCode::kInvalidField,
                             CommandErrorBody(key, ErrorCode::kInvalidField,
                                              "Idempotency-Key must be 1-255 printable ASCII characters",
                                              "idempotency_key")));
  }
  std::vector<std::string> keys = {key};
  const Admit admit = admission_.TryAcquire(who.tenant, keys);
  if (admit != Admit::kOk) {
    const ErrorCode code = admit == Admit::kKeyInProgress ? ErrorCode::kIdempotencyInProgress
                           : admit == Admit::kTenantLimit ? ErrorCode::kRateLimited
                                                          : ErrorCode::kUnavailable;
    const char* message = admit == Admit::kKeyInProgress ? "a request with this Idempotency-Key is in progress"
                          : admit == Admit::kTenantLimit ? "too many commands in flight for this tenant"
                                                         : "the command queue is full";
    return respond(WithError(std::move(base), code, CommandErrorBody(key, code, message)));
  }
  inflight_gauge_.Add(1);
  const std::string command(CommandLabel(PeekCommand(request.body).command));
  backend_.load()->SubmitCommand(
      who.tenant, std::move(request.body), key,
      [this, tenant = who.tenant, keys = std::move(keys), command, base = std::move(base),
       respond = std::move(respond)](CommandOutcome outcome) mutable {
        admission_.Release(tenant, keys);
        inflight_gauge_.Add(-1);
        CountCommand(command, outcome);
        respond(ResponseForOutcome(outcome, std::move(base)));
      });
}

Admit HttpHandler::AdmitBatch(const std::string& tenant, const std::vector<std::string>& keys,
                              std::vector<std::size_t>* submit_index, std::vector<std::string>* submit_keys,
                              std::vector<std::optional<std::string>>* answers) {
  submit_index->resize(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) (*submit_index)[i] = i;
  Admit admit = Admit::kKeyInProgress;
  for (int attempt = 0; attempt < kBatchAdmitAttempts && admit == Admit::kKeyInProgress; ++attempt) {
    submit_keys->clear();
    for (std::size_t i : *submit_index) submit_keys->push_back(keys[i]);
    std::vector<std::size_t> busy;
    admit = admission_.TryAcquire(tenant, *submit_keys, &busy);
    if (admit != Admit::kKeyInProgress) break;
    std::vector<bool> is_busy(submit_index->size(), false);
    for (std::size_t b : busy) is_busy[b] = true;
    std::vector<std::size_t> rest;
    for (std::size_t j = 0; j < submit_index->size(); ++j) {
      const std::size_t i = (*submit_index)[j];
      if (is_busy[j]) {
        (*answers)[i] = CommandErrorBody(keys[i], ErrorCode::kIdempotencyInProgress,
                                         "a command with this idempotency_key is in progress");
      } else {
        rest.push_back(i);
      }
    }
    *submit_index = std::move(rest);
  }
  return admit;
}

void HttpHandler::HandleBatch(HttpRequest request, const Identity& who, HttpResponse base, Respond respond) {
  std::vector<std::string> lines = SplitLines(request.body);
  // A batch the in-flight limits could never admit is too large, not rate limited
  // (429 would tell the client that retrying helps).
  const std::size_t max_lines = std::min(limits_.max_batch_commands, admission_.max_per_request());
  if (lines.size() > max_lines) {
    return respond(WithError(std::move(base), ErrorCode::kPayloadTooLarge,
                             PlainErrorBody(ErrorCode::kPayloadTooLarge,
                                            "a batch holds at most " + std::to_string(max_lines) + " commands")));
  }
  // Per line: its peeked key and command; lines whose key is in flight in another
  // request are answered idempotency_in_progress and not submitted. A key repeated
  // within the batch is submitted each time: the service takes the lines in order,
  // as `accrue post` takes a file's (a replay, or idempotency_key_reused).
  const std::size_t n = lines.size();
  std::vector<PeekedCommand> peeks(n);
  std::vector<std::string> keys(n);
  for (std::size_t i = 0; i < n; ++i) {
    peeks[i] = PeekCommand(lines[i]);
    keys[i] = peeks[i].idempotency_key.value_or("");
  }
  std::vector<std::optional<std::string>> answers(n);  // preset results (busy lines)
  std::vector<std::size_t> submit_index;
  std::vector<std::string> submit_keys;
  const Admit admit = AdmitBatch(who.tenant, keys, &submit_index, &submit_keys, &answers);
  if (admit == Admit::kTenantLimit || admit == Admit::kServerLimit || admit == Admit::kKeyInProgress) {
    const ErrorCode code = admit == Admit::kTenantLimit ? ErrorCode::kRateLimited : ErrorCode::kUnavailable;
    return respond(WithError(std::move(base), code,
                             PlainErrorBody(code, code == ErrorCode::kRateLimited
                                                      ? "too many commands in flight for this tenant"
                                                      : "the command queue is full")));
  }
  std::vector<std::string> to_submit;
  to_submit.reserve(submit_index.size());
  for (std::size_t i : submit_index) to_submit.push_back(std::move(lines[i]));
  inflight_gauge_.Add(static_cast<int64_t>(to_submit.size()));
  metrics_->HistogramFor("accrue_http_batch_commands", "Commands per batch request", {}, SizeBuckets(), 1)
      .Observe(n);
  auto finish = [this, tenant = who.tenant, submit_keys = std::move(submit_keys), submit_index,
                 answers = std::move(answers), peeks = std::move(peeks), base = std::move(base),
                 respond = std::move(respond)](std::vector<CommandOutcome> outcomes) mutable {
    ACCRUE_ASSERT(outcomes.size() == submit_index.size(), "one outcome per submitted line");
    admission_.Release(tenant, submit_keys);
    inflight_gauge_.Add(-static_cast<int64_t>(submit_keys.size()));
    for (std::size_t j = 0; j < outcomes.size(); ++j) {
      const std::size_t i = submit_index[j];
      CountCommand(CommandLabel(peeks[i].command), outcomes[j]);
      answers[i] = std::move(outcomes[j].result_json);
    }
    base.status = 200;
    for (auto& a : answers) {
      base.body += *a;
      base.body += '\n';
    }
    respond(std::move(base));
  };
  if (to_submit.empty()) return finish({});
  backend_.load()->SubmitBatch(who.tenant, std::move(to_submit), std::move(finish));
}

void HttpHandler::HandleRead(ReadKind kind, const std::string& id, const Identity& who, HttpResponse base,
                             Respond respond) {
  backend_.load()->Read(kind, who.tenant, id,
                        [base = std::move(base), respond = std::move(respond)](std::optional<std::string> json,
                                                                                std::string error) mutable {
                          if (!error.empty()) {  // a damaged log is not "not found"
                            LogEvent(LogLevel::kError, "read_failed",
                                     {Str("route", base.route), Str("error", error)});
                            return respond(WithError(std::move(base), ErrorCode::kUnavailable,
                                                     PlainErrorBody(ErrorCode::kUnavailable,
                                                                    "the event log could not be read: " + error)));
                          }
                          if (json) {
                            base.body = std::move(*json);
                            return respond(std::move(base));
                          }
                          respond(WithError(std::move(base), ErrorCode::kNotFound,
                                            PlainErrorBody(ErrorCode::kNotFound, "not found")));
                        });
}

}  // namespace accrue::app
