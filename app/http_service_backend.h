// ServiceBackend: the HttpBackend of `accrue serve`, over engine::CommandService.
//
// CommandService::Submit returns a future that completes after the fsync. The io
// threads must not wait on it, so completions are collected by a small fixed pool
// of waiter threads (docs/decisions/0005-http-server.md): Submit is called on the
// io thread (it only queues the append), the future goes into a FIFO, and a waiter
// takes the oldest future, waits for it and calls `done`. Group commit completes
// appends in (near) submission order, so the oldest future is the one to wait for
// and the few waiters are rarely all parked on slow ones. Reads fold from the log
// and may take time, so they run on their own small pool.
//
// Exceptions from the future (a broken promise when the service stops) are caught
// here, once, and become a failed outcome (`unavailable`, retry is safe).
//
// Thread-safety: every method may be called from any thread. The destructor waits
// for every queued job (so every `done` is called) and must run before the service
// is destroyed.
#ifndef ACCRUE_APP_HTTP_SERVICE_BACKEND_H_
#define ACCRUE_APP_HTTP_SERVICE_BACKEND_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "app/http_backend.h"
#include "app/metrics.h"
#include "engine/service.h"

namespace accrue::app {

// Waiter threads for command futures, and threads for reads.
inline constexpr std::size_t kCommandWaiterThreads = 4;
inline constexpr std::size_t kReadThreads = 2;

// A FIFO of jobs run by a fixed set of threads; drains on destruction.
class JobPool {
 public:
  // `name` names the threads (events/thread_name.h).
  JobPool(std::size_t threads, const std::string& name);
  ~JobPool();
  void Post(std::function<void()> job);
  std::size_t queued() const;

 private:
  void Loop();
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

class ServiceBackend : public HttpBackend {
 public:
  ServiceBackend(engine::CommandService* service, MetricsRegistry* metrics);
  ~ServiceBackend() override;

  void SubmitCommand(const std::string& tenant, std::string body, std::string key, CommandDone done) override;
  void SubmitBatch(const std::string& tenant, std::vector<std::string> lines, BatchDone done) override;
  void Read(ReadKind kind, const std::string& tenant, const std::string& id, ReadDone done) override;
  Status WriteHealth() const override { return service_->WriteHealth(); }

 private:
  engine::CommandService* const service_;
  Histogram& wait_latency_;
  JobPool waiters_;
  JobPool readers_;
};

}  // namespace accrue::app

#endif  // ACCRUE_APP_HTTP_SERVICE_BACKEND_H_
