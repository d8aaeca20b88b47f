// HttpLimits: every limit of the HTTP API as a named, configurable value
// (docs/api.md "Limits"). Over a limit the client gets an answer (413, 429 or 503
// with Retry-After) or, for a client that stops sending, a closed connection after a
// bounded time; nothing waits forever.
//
// Thread-safety: a plain value; copied into the server at start-up.
#ifndef ACCRUE_APP_HTTP_LIMITS_H_
#define ACCRUE_APP_HTTP_LIMITS_H_

#include <chrono>
#include <cstddef>

namespace accrue::app {

// contract.md: an HTTP body is at most 1 MiB; a batch holds at most 1000 commands.
inline constexpr std::size_t kMaxBodyBytes = 1 << 20;
inline constexpr std::size_t kMaxBatchCommands = 1000;
// Request line plus headers.
inline constexpr std::size_t kMaxHeaderBytes = 16 << 10;
// Open connections; one over gets 503 and is closed.
inline constexpr std::size_t kMaxConnections = 1024;
// Commands submitted and not yet answered, per tenant (429 over it) and in total
// (503 over it: the queue is full). A batch counts as its number of commands.
inline constexpr std::size_t kMaxTenantInflightCommands = 4096;
inline constexpr std::size_t kMaxInflightCommands = 16384;
// A client must send a request's headers within this time of the connection (or of
// its previous response) being ready, else the connection is closed: bounds idle
// keep-alive connections and slow-header clients alike.
inline constexpr std::chrono::milliseconds kReadHeaderTimeout{30000};
// ... and its body within this time of the headers.
inline constexpr std::chrono::milliseconds kReadBodyTimeout{15000};
// A response must be taken by the client within this time.
inline constexpr std::chrono::milliseconds kWriteTimeout{15000};
// A command not answered by the service within this time gets 503 (retry is safe:
// the key replays the outcome once it is known).
inline constexpr std::chrono::milliseconds kCommandTimeout{10000};
// SIGTERM: in-flight requests get this long to finish before the process exits.
inline constexpr std::chrono::milliseconds kDrainTimeout{10000};
// After answering a request it did not read to the end (413, malformed), the
// server stops sending and discards what the client still sends, for at most this
// long and this many bytes, before it closes: closing a socket with unread bytes
// makes the kernel send a reset, which can destroy the answer before the client
// reads it (a lingering close).
inline constexpr std::chrono::milliseconds kLingerTimeout{2000};
inline constexpr std::size_t kMaxLingerBytes = 4 << 20;
inline constexpr std::size_t kLingerChunkBytes = 16 << 10;
// Seconds sent in Retry-After.
inline constexpr int kRetryAfterSeconds = 1;
// io threads (the machine has 2 cores).
inline constexpr std::size_t kIoThreads = 2;

struct HttpLimits {
  std::size_t max_body_bytes = kMaxBodyBytes;
  std::size_t max_batch_commands = kMaxBatchCommands;
  std::size_t max_header_bytes = kMaxHeaderBytes;
  std::size_t max_connections = kMaxConnections;
  std::size_t max_tenant_inflight_commands = kMaxTenantInflightCommands;
  std::size_t max_inflight_commands = kMaxInflightCommands;
  std::chrono::milliseconds read_header_timeout = kReadHeaderTimeout;
  std::chrono::milliseconds read_body_timeout = kReadBodyTimeout;
  std::chrono::milliseconds write_timeout = kWriteTimeout;
  std::chrono::milliseconds command_timeout = kCommandTimeout;
  std::chrono::milliseconds drain_timeout = kDrainTimeout;
  int retry_after_seconds = kRetryAfterSeconds;
  std::size_t io_threads = kIoThreads;
};

}  // namespace accrue::app

#endif  // ACCRUE_APP_HTTP_LIMITS_H_
