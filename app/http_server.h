// HttpServer: the socket side of the HTTP API (Boost.Beast over Asio), feeding an
// HttpHandler. docs/decisions/0005-http-server.md explains the threading.
//
// A fixed pool of io threads (HttpLimits::io_threads) runs every connection; each
// connection is a strand-serialised session that reads one request at a time
// (HTTP/1.1 keep-alive), hands it to the handler and writes the answer when the
// handler responds (from any thread; the answer is posted back to the strand). No io
// thread ever waits for the disk. Limits: header and body sizes (413), connections
// (503 and close), read timeouts (close), write timeout (close), a per-request
// answer timeout (503 with Retry-After). Every request gets one log line and
// updates accrue_http_requests_total / accrue_http_request_duration_seconds; the
// X-Request-Id header (the client's when well formed, else a new one) is echoed.
//
// Lifecycle: Listen, Start, then Drain (on SIGTERM): stop accepting, /readyz false,
// answer every request already read, wait at most drain_timeout for in-flight
// requests and commands, stop the io threads.
//
// Thread-safety: Listen, Start and Drain are called from one controlling thread.
// The handler and the metrics registry must outlive the server, and the server
// must outlive the backend (its completions post to the server's io context).
#ifndef ACCRUE_APP_HTTP_SERVER_H_
#define ACCRUE_APP_HTTP_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "app/http_handler.h"
#include "app/http_limits.h"
#include "app/metrics.h"
#include "events/status.h"

namespace accrue::app {

class HttpServer {
 public:
  HttpServer(const HttpLimits& limits, HttpHandler* handler, MetricsRegistry* metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (an IP address or "localhost"; port 0 picks a free port) and
  // listens. Fails (kUnavailable) when the address cannot be bound.
  Status Listen(const std::string& host, uint16_t port);
  // The bound port (after Listen).
  uint16_t port() const;
  // Starts the io threads; requests are served from now on (the handler answers
  // 503 until it is set ready).
  void Start();
  // Graceful stop (see above). Returns true when every in-flight request and
  // command finished within drain_timeout.
  bool Drain();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// "HOST:PORT" -> host and port; false on garbage.
bool ParseListenAddress(const std::string& text, std::string* host, uint16_t* port);

}  // namespace accrue::app

#endif  // ACCRUE_APP_HTTP_SERVER_H_
