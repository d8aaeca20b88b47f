#include "app/http_server.h"

#include <openssl/rand.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>
#include <vector>

#include "app/http_errors.h"
#include "app/http_router.h"
#include "app/logging.h"
#include "events/thread_name.h"

namespace accrue::app {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxRequestIdLength = 128;
constexpr std::chrono::milliseconds kDrainPollInterval{10};

// State shared by the acceptor and every session.
struct ServerCore {
  ServerCore(const HttpLimits& l, HttpHandler* h, MetricsRegistry* m)
      : limits(l),
        handler(h),
        metrics(m),
        connections_gauge(m->GaugeFor("accrue_http_connections", "Open HTTP connections")),
        rejected_connections(m->CounterFor("accrue_http_connections_rejected_total",
                                           "Connections answered 503 because max_connections was reached")),
        read_timeouts(m->CounterFor("accrue_http_read_timeouts_total",
                                    "Connections closed because a request was not received in time")),
        malformed(m->CounterFor("accrue_http_malformed_requests_total",
                                "Requests that were not valid HTTP/1.1 or exceeded a size limit")) {
    unsigned char bytes[4] = {0, 0, 0, 0};
    (void)RAND_bytes(bytes, sizeof bytes);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x", bytes[0], bytes[1], bytes[2], bytes[3]);
    request_id_prefix = buf;
  }

  std::string NewRequestId() { return request_id_prefix + "-" + std::to_string(next_request_id.fetch_add(1) + 1); }

  const HttpLimits limits;
  HttpHandler* const handler;
  MetricsRegistry* const metrics;
  Gauge& connections_gauge;
  Counter& rejected_connections;
  Counter& read_timeouts;
  Counter& malformed;
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> active_requests{0};  // read and not yet answered
  std::atomic<bool> draining{false};
  std::atomic<uint64_t> next_request_id{0};
  std::string request_id_prefix;
};

bool ValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// What the handler needs of a request besides its body. HEAD is taken as GET
// (RFC 9110 9.3.2), an absolute-form target as its path (RFC 9112 3.2.2), and an
// Idempotency-Key repeated with another value is marked ambiguous.
template <class Fields>
HttpRequest HeadOf(const http::request_header<Fields>& req) {
  HttpRequest head;
  head.method = req.method() == http::verb::head ? "GET" : std::string(req.method_string());
  head.target = OriginForm(std::string_view(req.target().data(), req.target().size()));
  head.authorization = std::string(req[http::field::authorization]);
  for (auto [it, end] = req.equal_range("Idempotency-Key"); it != end; ++it) {
    const std::string value(it->value());
    if (!head.idempotency_key) {
      head.idempotency_key = value;
    } else if (*head.idempotency_key != value) {
      head.idempotency_key_ambiguous = true;
    }
  }
  return head;
}

// One connection: read a request, hand it to the handler, write the answer, repeat.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, ServerCore* core)
      : stream_(std::move(socket)), core_(core), answer_timer_(stream_.get_executor()) {
    core_->connections.fetch_add(1);
    core_->connections_gauge.Add(1);
  }
  ~Session() {
    core_->connections.fetch_sub(1);
    core_->connections_gauge.Add(-1);
  }

  void Start() { net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::ReadHeader, shared_from_this())); }

  // Over max_connections: answer 503 at once and close.
  void Refuse() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      HttpResponse r;
      r.route = "connection_limit";
      r.status = 503;
      r.retry_after = true;
      r.body = PlainErrorBody(engine::ErrorCode::kUnavailable, "too many connections");
      self->started_ = Clock::now();
      self->request_id_ = self->core_->NewRequestId();
      self->linger_ = true;  // a request may be on its way, unread
      self->Write(std::move(r), /*keep_alive=*/false, /*counted=*/false);
    });
  }

 private:
  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(core_->limits.max_header_bytes));
    parser_->body_limit(core_->limits.max_body_bytes);
    stream_.expires_after(core_->limits.read_header_timeout);
    http::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    started_ = Clock::now();
    if (ec) return OnReadError(ec);
    auto& req = parser_->get();
    const auto client_id = req["X-Request-Id"];
    const std::string_view client_request_id(client_id.data(), client_id.size());
    request_id_ = ValidRequestId(client_request_id) ? std::string(client_request_id) : core_->NewRequestId();
    // RFC 9112 3.2: an HTTP/1.1 request without a Host header, or with several, is
    // answered 400 (before the body is read or 100 Continue is sent).
    if (req.version() >= 11 && req.count(http::field::host) != 1) {
      return RefuseMalformed("an HTTP/1.1 request needs exactly one Host header");
    }
    if (auto length = parser_->content_length(); length && *length > core_->limits.max_body_bytes) {
      return OnReadError(http::error::body_limit);
    }
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      // RFC 9110 10.1.1: a request that will be refused gets its final answer now,
      // instead of 100 Continue, so the client does not upload the body for nothing.
      if (auto refusal = core_->handler->RefuseBeforeBody(HeadOf(req))) {
        linger_ = true;  // the client may send the body anyway: discard it, then close
        return Write(std::move(*refusal), /*keep_alive=*/false, /*counted=*/false);
      }
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      stream_.expires_after(core_->limits.write_timeout);
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code wec, std::size_t) {
        if (wec) return self->Close();
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    stream_.expires_after(core_->limits.read_body_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnReadError(beast::error_code ec) {
    if (ec == beast::error::timeout) {
      core_->read_timeouts.Inc();
      return Close();
    }
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::operation_aborted || ec == net::error::broken_pipe) {
      return Close();
    }
    if (ec != http::error::body_limit && ec != http::error::header_limit && ec != http::error::buffer_overflow) {
      return RefuseMalformed("malformed HTTP request: " + ec.message());
    }
    core_->malformed.Inc();
    if (request_id_.empty()) request_id_ = core_->NewRequestId();
    HttpResponse r;
    r.route = "malformed";
    r.status = 413;
    const std::string why = ec == http::error::body_limit
                                ? "the body is larger than " + std::to_string(core_->limits.max_body_bytes) + " bytes"
                                : "the request headers are too large";
    // On the command endpoint an error body is the result object (contract.md),
    // with the header's key. Beast refuses a Content-Length over the body limit
    // while it parses the header, so the fields read so far are all there is (a
    // key after the point where the headers grew too large is not known: null).
    std::optional<std::string> key;
    bool command_endpoint = false;
    if (parser_) {
      const auto& header = parser_->get();
      const auto method = header.method_string();
      const auto target = header.target();
      command_endpoint = MatchRoute(std::string_view(method.data(), method.size()),
                                    OriginForm(std::string_view(target.data(), target.size()))).id ==
                         RouteId::kCommand;
      if (auto it = header.find("Idempotency-Key"); it != header.end()) key = std::string(it->value());
    }
    r.body = command_endpoint ? CommandErrorBody(key, engine::ErrorCode::kPayloadTooLarge, why)
                              : PlainErrorBody(engine::ErrorCode::kPayloadTooLarge, why);
    linger_ = true;  // the rest of the request is unread
    Write(std::move(r), /*keep_alive=*/false, /*counted=*/false);
  }

  // 400 invalid_field, {"error":...} on every endpoint (the request is not one the
  // API reads), then the connection closes.
  void RefuseMalformed(const std::string& message) {
    core_->malformed.Inc();
    if (request_id_.empty()) request_id_ = core_->NewRequestId();
    HttpResponse r;
    r.route = "malformed";
    r.status = 400;
    r.body = PlainErrorBody(engine::ErrorCode::kInvalidField, message);
    linger_ = true;  // the rest of the request is unread
    Write(std::move(r), /*keep_alive=*/false, /*counted=*/false);
  }

  void OnBody(beast::error_code ec, std::size_t) {
    if (ec) return OnReadError(ec);
    auto req = parser_->release();
    HttpRequest hreq = HeadOf(req);
    // RFC 9110 9.3.2: HEAD is GET without the body (same status and headers).
    head_ = req.method() == http::verb::head;
    hreq.body = std::move(req.body());
    keep_alive_ = req.keep_alive();
    const uint64_t seq = ++seq_;
    awaiting_ = true;
    core_->active_requests.fetch_add(1);
    answer_timer_.expires_after(core_->limits.command_timeout);
    // Only the shape of a timeout's body depends on the endpoint: the path is
    // compared, not routed again (the handler routes the request itself).
    const std::string_view path = std::string_view(hreq.target).substr(0, hreq.target.find('?'));
    const RouteId route = path == "/v1/commands"         ? RouteId::kCommand
                          : path == "/v1/commands:batch" ? RouteId::kBatch
                                                         : RouteId::kNotFound;
    answer_timer_.async_wait([self = shared_from_this(), seq, key = hreq.idempotency_key,
                              route](beast::error_code tec) {
      if (tec) return;
      HttpResponse r;
      r.route = "timeout";
      r.status = 503;
      r.retry_after = true;
      // A single command's error body is its result object (contract.md); a batch's
      // and a read's are {"error":...} (docs/api.md "Error bodies").
      r.body = route == RouteId::kCommand
                   ? CommandErrorBody(key, engine::ErrorCode::kUnavailable,
                                      "the engine did not answer in time; retrying with the same key is safe")
               : route == RouteId::kBatch
                   ? PlainErrorBody(engine::ErrorCode::kUnavailable,
                                    "the engine did not answer in time; retrying the same batch is safe "
                                    "(each line keeps its idempotency key)")
                   : PlainErrorBody(engine::ErrorCode::kUnavailable, "the engine did not answer in time");
      self->OnAnswer(seq, std::move(r));
    });
    core_->handler->Handle(std::move(hreq), [self = shared_from_this(), seq](HttpResponse r) {
      net::post(self->stream_.get_executor(),
                [self, seq, r = std::move(r)]() mutable { self->OnAnswer(seq, std::move(r)); });
    });
  }

  // On the strand. Late answers (after the timeout answered) are dropped.
  void OnAnswer(uint64_t seq, HttpResponse r) {
    if (!awaiting_ || seq != seq_) return;
    awaiting_ = false;
    answer_timer_.cancel();
    Write(std::move(r), keep_alive_ && !core_->draining.load(), /*counted=*/true);
  }

  void Write(HttpResponse r, bool keep_alive, bool counted) {
    const auto latency_us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_).count();
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(r.status));
    res_.set(http::field::content_type, r.content_type);
    res_.set("X-Request-Id", request_id_);
    if (r.retry_after) res_.set(http::field::retry_after, std::to_string(core_->limits.retry_after_seconds));
    if (r.www_authenticate) res_.set(http::field::www_authenticate, "Bearer");
    if (!r.allow.empty()) res_.set(http::field::allow, r.allow);
    res_.keep_alive(keep_alive);
    res_.body() = std::move(r.body);
    res_.prepare_payload();
    if (head_) res_.body().clear();  // Content-Length stays that of the GET answer
    head_ = false;
    Record(r, latency_us);
    counted_ = counted;
    stream_.expires_after(core_->limits.write_timeout);
    http::async_write(stream_, res_, beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void Record(const HttpResponse& r, int64_t latency_us) {
    const std::string status = std::to_string(r.status);
    core_->metrics->CounterFor("accrue_http_requests_total", "HTTP requests by route and status",
                               {{"route", r.route}, {"status", status}})
        .Inc();
    core_->metrics
        ->HistogramFor("accrue_http_request_duration_seconds", "HTTP request latency, header read to answer",
                       {{"route", r.route}}, LatencyBucketsUs(), 1000000)
        .Observe(static_cast<uint64_t>(latency_us < 0 ? 0 : latency_us));
    LogEvent(LogLevel::kInfo, "http_request",
             {Str("request_id", request_id_), Str("route", r.route), Num("status", r.status),
              Str("tenant", r.tenant), Str("token_id", r.token_id), Num("latency_us", latency_us)});
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    if (counted_) core_->active_requests.fetch_sub(1);
    counted_ = false;
    request_id_.clear();
    if (!ec && linger_) return LingerThenClose();
    if (ec || !res_.keep_alive()) return Close();
    ReadHeader();
  }

  // The answer is written but the request was not read to its end: stop sending
  // and discard what still arrives (kLingerTimeout, kMaxLingerBytes), so the close
  // does not reset the connection under the client's unread answer.
  void LingerThenClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTimeout);
    linger_buffer_.resize(kLingerChunkBytes);
    DiscardSome();
  }

  void DiscardSome() {
    stream_.async_read_some(net::buffer(linger_buffer_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->lingered_bytes_ += n;
                              if (ec || self->lingered_bytes_ > kMaxLingerBytes) return self->Close();
                              self->DiscardSome();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  ServerCore* const core_;
  net::steady_timer answer_timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  Clock::time_point started_;
  std::string request_id_;
  uint64_t seq_ = 0;
  bool awaiting_ = false;
  bool keep_alive_ = false;
  bool head_ = false;  // the request being answered is a HEAD
  bool counted_ = false;
  bool linger_ = false;
  std::vector<char> linger_buffer_;
  std::size_t lingered_bytes_ = 0;
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const HttpLimits& limits, HttpHandler* handler, MetricsRegistry* metrics)
      : core_(limits, handler, metrics), acceptor_(net::make_strand(ioc_)) {}
  // Member order matters: ioc_ is destroyed before core_, so sessions still queued
  // in it (holding core_) die while core_ is alive.

  ~Impl() { StopThreads(); }

  Status Listen(const std::string& host, uint16_t port) {
    beast::error_code ec;
    const auto address = net::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
    if (ec) return Status::InvalidArgument("not an IP address: " + host);
    tcp::endpoint endpoint(address, port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return Status::Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    return Status::Ok();
  }

  uint16_t port() const { return port_; }

  void Start() {
    Accept();
    for (std::size_t i = 0; i < core_.limits.io_threads; ++i) threads_.emplace_back([this] {
      events::NameThisThread("http-io");
      ioc_.run();
    });
  }

  bool Drain() {
    core_.draining.store(true);
    core_.handler->SetState(ServeState::kDraining);
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    const auto deadline = Clock::now() + core_.limits.drain_timeout;
    bool drained = false;
    while (Clock::now() < deadline) {  // bounded by drain_timeout
      if (core_.active_requests.load() == 0 && core_.handler->inflight_commands() == 0) {
        drained = true;
        break;
      }
      std::this_thread::sleep_for(kDrainPollInterval);
    }
    StopThreads();
    return drained;
  }

 private:
  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) {
        auto session = std::make_shared<Session>(std::move(socket), &core_);
        if (core_.connections.load() > core_.limits.max_connections) {
          core_.rejected_connections.Inc();
          session->Refuse();
        } else {
          session->Start();
        }
      }
      Accept();
    });
  }

  void StopThreads() {
    ioc_.stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

  ServerCore core_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::vector<std::thread> threads_;
};

HttpServer::HttpServer(const HttpLimits& limits, HttpHandler* handler, MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(limits, handler, metrics)) {}
HttpServer::~HttpServer() = default;
Status HttpServer::Listen(const std::string& host, uint16_t port) { return impl_->Listen(host, port); }
uint16_t HttpServer::port() const { return impl_->port(); }
void HttpServer::Start() { impl_->Start(); }
bool HttpServer::Drain() { return impl_->Drain(); }

bool ParseListenAddress(const std::string& text, std::string* host, uint16_t* port) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= text.size()) return false;
  unsigned long long p = 0;
  if (!ParseUint64(text.substr(colon + 1), &p) || p > 65535) return false;
  *host = text.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  *port = static_cast<uint16_t>(p);
  return true;
}

}  // namespace accrue::app
