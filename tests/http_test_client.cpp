#include "tests/http_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace accrue::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

int ConnectFd(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

struct HttpClient::Impl {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  std::chrono::milliseconds timeout;
  bool ok = false;
};

HttpClient::HttpClient(uint16_t port, std::chrono::milliseconds timeout) : impl_(std::make_unique<Impl>()) {
  impl_->timeout = timeout;
  beast::error_code ec;
  impl_->stream.expires_after(timeout);
  impl_->stream.socket().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  impl_->ok = !ec;
}

HttpClient::~HttpClient() {
  beast::error_code ec;
  impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

bool HttpClient::connected() const { return impl_->ok; }

Reply HttpClient::Send(const std::string& method, const std::string& target, const Headers& headers,
                       const std::string& body) {
  Reply reply;
  if (!impl_->ok) return reply;
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, "127.0.0.1");
  // Added, not set: a test may send a header twice (Host alone replaces the default).
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, "Host")) {
      req.set(k, v);
    } else {
      req.insert(k, v);
    }
  }
  req.body() = body;
  req.prepare_payload();
  beast::error_code ec;
  // Blocking calls with the stream's timeout: run async ops to completion.
  impl_->stream.expires_after(impl_->timeout);
  http::async_write(impl_->stream, req, [&](beast::error_code e, std::size_t) { ec = e; });
  impl_->ioc.restart();
  impl_->ioc.run();
  if (ec) {
    impl_->ok = false;
    return reply;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  impl_->stream.expires_after(impl_->timeout);
  http::async_read(impl_->stream, impl_->buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
  impl_->ioc.restart();
  impl_->ioc.run();
  if (ec) {
    impl_->ok = false;
    return reply;
  }
  auto res = parser.release();
  reply.status = static_cast<int>(res.result_int());
  reply.body = res.body();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    reply.headers[name] = std::string(f.value());
  }
  if (!res.keep_alive()) impl_->ok = false;
  return reply;
}

Reply Request(uint16_t port, const std::string& method, const std::string& target, const Headers& headers,
              const std::string& body) {
  HttpClient client(port);
  return client.Send(method, target, headers, body);
}

RawConnection::RawConnection(uint16_t port) : fd_(ConnectFd(port)) {}
RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::Write(const std::string& bytes) {
  if (fd_ < 0) return false;
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool RawConnection::ReadUntilClosed(std::chrono::milliseconds timeout, std::string* got) {
  if (fd_ < 0) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {  // bounded by timeout
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left.count())));
    if (r <= 0) continue;
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return true;
    got->append(buf, static_cast<std::size_t>(n));
  }
  return false;
}

std::string RawExchange(uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  RawConnection c(port);
  std::string got;
  if (!c.Write(bytes)) return got;
  c.ReadUntilClosed(timeout, &got);
  return got;
}

}  // namespace accrue::testing
