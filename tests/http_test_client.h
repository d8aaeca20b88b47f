// A small blocking HTTP/1.1 client for the HTTP API tests (Boost.Beast), plus raw
// socket helpers for malformed and slow requests. Loopback only; every call has a
// bounded timeout so a broken server fails a test instead of hanging it.
#ifndef ACCRUE_TESTS_HTTP_TEST_CLIENT_H_
#define ACCRUE_TESTS_HTTP_TEST_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace accrue::testing {

struct Reply {
  int status = 0;  // 0: no answer (connection refused, closed, timed out)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// One keep-alive connection to 127.0.0.1:port.
class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpClient();
  bool connected() const;
  Reply Send(const std::string& method, const std::string& target, const Headers& headers = {},
             const std::string& body = "");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A fresh connection per request.
Reply Request(uint16_t port, const std::string& method, const std::string& target, const Headers& headers = {},
              const std::string& body = "");

// Sends raw bytes, then reads until the server closes or `timeout`; returns what was read.
std::string RawExchange(uint16_t port, const std::string& bytes,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

// A raw connection kept open (for connection limits and slow clients).
class RawConnection {
 public:
  explicit RawConnection(uint16_t port);
  ~RawConnection();
  bool Write(const std::string& bytes);
  // Reads until close or timeout; true when the server closed the connection.
  bool ReadUntilClosed(std::chrono::milliseconds timeout, std::string* got);

 private:
  int fd_ = -1;
};

}  // namespace accrue::testing

#endif  // ACCRUE_TESTS_HTTP_TEST_CLIENT_H_
