// HttpBackend: what the HTTP server needs from the engine, behind a small interface
// so the server can be tested with a fake (tests/http_server_test.cpp) and served by
// the real CommandService (app/http_service_backend.h).
//
// Contract of every call: it returns without waiting for the disk; `done` is called
// exactly once, from any thread, after the outcome is durable (or refused). The
// server never blocks an io thread on a call's completion.
//
// Thread-safety: implementations accept calls from any thread concurrently.
#ifndef ACCRUE_APP_HTTP_BACKEND_H_
#define ACCRUE_APP_HTTP_BACKEND_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/service.h"

namespace accrue::app {

enum class ReadKind { kAccount, kAccountInvoices, kInvoice };

class HttpBackend {
 public:
  using CommandDone = std::function<void(engine::CommandOutcome)>;
  using BatchDone = std::function<void(std::vector<engine::CommandOutcome>)>;
  // json: the answer, nullopt = not found; error: non-empty when the log could
  // not be read (a corrupt block), which is not "not found" (503).
  using ReadDone = std::function<void(std::optional<std::string> json, std::string error)>;

  virtual ~HttpBackend() = default;

  // One command (a JSON object's text) for `tenant`; `key` replaces the body's
  // idempotency_key (the Idempotency-Key header).
  virtual void SubmitCommand(const std::string& tenant, std::string body, std::string key,
                             CommandDone done) = 0;
  // Independent commands (one JSON object each, in order, keys from the bodies);
  // done gets one outcome per line, in the same order.
  virtual void SubmitBatch(const std::string& tenant, std::vector<std::string> lines, BatchDone done) = 0;
  // A read (contract.md "Account state"); nullopt = not found for this tenant.
  virtual void Read(ReadKind kind, const std::string& tenant, const std::string& id, ReadDone done) = 0;
  // Ok while commands can be appended (now or after a passing failure); the error
  // once the log has stopped until accrue restarts (/healthz and /readyz say so).
  virtual Status WriteHealth() const { return Status::Ok(); }
};

}  // namespace accrue::app

#endif  // ACCRUE_APP_HTTP_BACKEND_H_
