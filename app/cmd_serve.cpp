// `accrue serve --listen HOST:PORT --tokens FILE`: the HTTP API (contract.md; docs/api.md).
//
// Start-up order: tokens file (refuse to start without one, or with one readable by
// group or others), listen (prints `listening on HOST:PORT` on stdout, so a test can
// use port 0), open the log and the command service, then ready (/readyz 200).
// SIGTERM or SIGINT: drain (stop accepting, /readyz 503, answer in-flight requests
// within the drain timeout), close the service and the log, exit 0.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/cli.h"
#include "app/http_handler.h"
#include "app/http_server.h"
#include "app/http_service_backend.h"
#include "app/logging.h"
#include "app/metrics.h"
#include "app/store_metrics.h"
#include "app/tokens.h"
#include "engine/service.h"
#include "events/rocks_event_store.h"

namespace accrue::app {
namespace {

struct ServeFlags {
  std::string listen, tokens;
  std::string max_connections, max_tenant_inflight, max_inflight, command_timeout_ms, read_timeout_ms,
      drain_timeout_ms;
};

// Applies the optional limit flags; false (with *error) on a bad number.
bool ApplyLimits(const ServeFlags& f, HttpLimits* limits, std::string* error) {
  auto number = [&](const std::string& text, const char* flag, unsigned long long* out) {
    if (text.empty()) return true;
    if (!ParseUint64(text, out) || *out == 0) {
      *error = std::string(flag) + " must be a positive integer";
      return false;
    }
    return true;
  };
  unsigned long long v = 0;
  if (!number(f.max_connections, "--max-connections", &v)) return false;
  if (v) limits->max_connections = v;
  v = 0;
  if (!number(f.max_tenant_inflight, "--max-tenant-inflight", &v)) return false;
  if (v) limits->max_tenant_inflight_commands = v;
  v = 0;
  if (!number(f.max_inflight, "--max-inflight", &v)) return false;
  if (v) limits->max_inflight_commands = v;
  v = 0;
  if (!number(f.command_timeout_ms, "--command-timeout-ms", &v)) return false;
  if (v) limits->command_timeout = std::chrono::milliseconds(v);
  v = 0;
  if (!number(f.read_timeout_ms, "--read-timeout-ms", &v)) return false;
  if (v) limits->read_header_timeout = limits->read_body_timeout = std::chrono::milliseconds(v);
  v = 0;
  if (!number(f.drain_timeout_ms, "--drain-timeout-ms", &v)) return false;
  if (v) limits->drain_timeout = std::chrono::milliseconds(v);
  return true;
}

int Refuse(const std::string& message) {
  LogEvent(LogLevel::kError, "serve_refused", {Str("reason", message)});
  std::fprintf(stderr, "accrue: %s\n", message.c_str());
  return kExitUsage;
}

// The tokens file's reload counters on /metrics.
void AddTokenMetrics(MetricsRegistry* metrics, TokenAuthenticator* auth) {
  metrics->AddCollector([auth](std::string* out) {
    *out += "# HELP accrue_tokens_reloads_total Tokens file reloads after a change\n# TYPE accrue_tokens_reloads_total counter\n";
    *out += "accrue_tokens_reloads_total " + std::to_string(auth->reloads()) + "\n";
    *out += "# HELP accrue_tokens_reload_errors_total Tokens file reloads that failed (the last good set stays)\n"
            "# TYPE accrue_tokens_reload_errors_total counter\n";
    *out += "accrue_tokens_reload_errors_total " + std::to_string(auth->reload_errors()) + "\n";
  });
}

// Ready: commands reach a CommandService on `store` until SIGTERM or SIGINT, then
// the server drains. Returns whether it drained within the timeout. On return every
// outstanding future has been waited for (~ServiceBackend) and the appends already
// queued are finished (~CommandService).
bool ServeUntilSignal(events::EventStore* store, const sigset_t& signals, HttpHandler* handler, HttpServer* server,
                      MetricsRegistry* metrics) {
  engine::CommandService service(store, engine::ServiceOptions{});
  ServiceBackend backend(&service, metrics);
  handler->SetBackend(&backend);
  handler->SetState(ServeState::kReady);
  LogEvent(LogLevel::kInfo, "serve_ready", {});
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  LogEvent(LogLevel::kInfo, "serve_draining", {Num("signal", signal_number),
                                               Num("inflight_commands", static_cast<int64_t>(handler->inflight_commands()))});
  return server->Drain();
}

}  // namespace

int RunServe(const GlobalOptions& g, const std::vector<std::string>& args) {
  ServeFlags f;
  FlagParser flags;
  flags.Value("--listen", &f.listen);
  flags.Value("--tokens", &f.tokens);
  flags.Value("--max-connections", &f.max_connections);
  flags.Value("--max-tenant-inflight", &f.max_tenant_inflight);
  flags.Value("--max-inflight", &f.max_inflight);
  flags.Value("--command-timeout-ms", &f.command_timeout_ms);
  flags.Value("--read-timeout-ms", &f.read_timeout_ms);
  flags.Value("--drain-timeout-ms", &f.drain_timeout_ms);
  std::vector<std::string> positional;
  std::string error;
  if (!flags.Parse(args, &positional, &error)) return UsageError(error);
  if (!positional.empty()) return UsageError("serve takes no arguments");
  if (f.listen.empty()) return UsageError("serve needs --listen HOST:PORT");
  if (f.tokens.empty()) return UsageError("serve needs --tokens FILE (create one with 'accrue tokens add')");
  std::string host;
  uint16_t port = 0;
  if (!ParseListenAddress(f.listen, &host, &port)) return UsageError("--listen must be HOST:PORT");
  HttpLimits limits;
  if (!ApplyLimits(f, &limits, &error)) return UsageError(error);
  InitLogging(g.log_format);

  // Signals are taken by sigwait below; block them before any thread starts so
  // every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto tokens = TokenAuthenticator::Open(f.tokens, kTokensReloadInterval);
  if (!tokens.ok()) return Refuse(tokens.status().message());
  MetricsRegistry metrics;
  TokenAuthenticator* auth = tokens.value().get();
  AddTokenMetrics(&metrics, auth);
  HttpHandler handler(limits, auth, &metrics);
  HttpServer server(limits, &handler, &metrics);
  if (Status s = server.Listen(host, port); !s.ok()) return Refuse(s.message());
  std::printf("listening on %s:%u\n", host.c_str(), static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  server.Start();  // /readyz answers 503 "starting" until the log is open
  LogEvent(LogLevel::kInfo, "serve_starting", {Str("listen", host + ":" + std::to_string(server.port())),
                                               Str("data", g.data_dir)});

  events::RocksStoreOptions options;
  options.mode = events::OpenMode::kReadWrite;
  auto store = events::OpenRocksEventStore(g.data_dir, options);
  if (!store.ok()) {
    (void)server.Drain();
    return Refuse("cannot open the log at " + g.data_dir + ": " + store.status().ToString());
  }
  // Append queue depth, fsyncs, batch sizes, append latency on /metrics.
  auto store_stats = AddStoreCollector(&metrics, store.value().get());
  const bool drained = ServeUntilSignal(store.value().get(), signals, &handler, &server, &metrics);
  store_stats->Detach();
  store.value().reset();
  LogEvent(LogLevel::kInfo, "serve_stopped", {Str("drained", drained ? "true" : "false")});
  return kExitOk;
}

}  // namespace accrue::app
