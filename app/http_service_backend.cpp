#include "app/http_service_backend.h"

#include <chrono>
#include <exception>
#include <optional>

#include "app/http_errors.h"
#include "app/http_json_peek.h"
#include "events/thread_name.h"

namespace accrue::app {
namespace {

using engine::CommandOutcome;

// The one place where exceptions of the service's futures are translated.
// `key_of` is called only on failure (peeking a batch line's key costs a parse).
template <typename KeyOf>
CommandOutcome Await(events::Future<CommandOutcome>& future, KeyOf key_of) {
  try {
    return future.get();
  } catch (const std::exception& e) {
    const std::optional<std::string> key = key_of();
    CommandOutcome failed;
    failed.status = engine::OutcomeStatus::kFailed;
    failed.error = engine::ErrorCode::kUnavailable;
    failed.result_json = CommandErrorBody(key, engine::ErrorCode::kUnavailable,
                                          std::string("the engine stopped before answering: ") + e.what());
    return failed;
  }
}

}  // namespace

JobPool::JobPool(std::size_t threads, const std::string& name) {
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this, name] {
      events::NameThisThread(name);
      Loop();
    });
  }
}

JobPool::~JobPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void JobPool::Post(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

std::size_t JobPool::queued() const {
  std::lock_guard lock(mu_);
  return jobs_.size();
}

void JobPool::Loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

ServiceBackend::ServiceBackend(engine::CommandService* service, MetricsRegistry* metrics)
    : service_(service),
      wait_latency_(metrics->HistogramFor("accrue_command_durable_seconds",
                                          "Time from submitting a command to its durable outcome", {},
                                          LatencyBucketsUs(), 1000000)),
      waiters_(kCommandWaiterThreads, "http-wait"),
      readers_(kReadThreads, "http-read") {
  metrics->AddCollector([this](std::string* out) {
    *out += "# HELP accrue_http_waiter_queue Command futures waiting for a waiter thread\n";
    *out += "# TYPE accrue_http_waiter_queue gauge\n";
    *out += "accrue_http_waiter_queue " + std::to_string(waiters_.queued()) + "\n";
  });
}

ServiceBackend::~ServiceBackend() = default;

void ServiceBackend::SubmitCommand(const std::string& tenant, std::string body, std::string key, CommandDone done) {
  const auto start = std::chrono::steady_clock::now();
  auto future = std::make_shared<events::Future<CommandOutcome>>(service_->Submit(tenant, body, key));
  waiters_.Post([this, future, key = std::move(key), done = std::move(done), start] {
    CommandOutcome outcome = Await(*future, [&] { return std::optional<std::string>(key); });
    wait_latency_.Observe(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count()));
    done(std::move(outcome));
  });
}

void ServiceBackend::SubmitBatch(const std::string& tenant, std::vector<std::string> lines, BatchDone done) {
  // Submitted in order, like `accrue post`, so the service sees the batch's lines in
  // the order the client wrote them; their appends group-commit together.
  // Each line is one observation of the durable-latency histogram, like a single
  // command: from its submission until the waiter collects its outcome (in order).
  const auto start = std::chrono::steady_clock::now();
  auto futures = std::make_shared<std::vector<events::Future<CommandOutcome>>>();
  futures->reserve(lines.size());
  for (const auto& line : lines) futures->push_back(service_->Submit(tenant, line, std::nullopt));
  waiters_.Post([this, futures, lines = std::move(lines), done = std::move(done), start] {
    std::vector<CommandOutcome> outcomes;
    outcomes.reserve(futures->size());
    for (std::size_t i = 0; i < futures->size(); ++i) {
      outcomes.push_back(Await((*futures)[i], [&] { return PeekCommand(lines[i]).idempotency_key; }));
      wait_latency_.Observe(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count()));
    }
    done(std::move(outcomes));
  });
}

void ServiceBackend::Read(ReadKind kind, const std::string& tenant, const std::string& id, ReadDone done) {
  readers_.Post([this, kind, tenant, id, done = std::move(done)] {
    std::optional<std::string> json;
    Status error;
    switch (kind) {
      case ReadKind::kAccount:
        json = service_->AccountJson(tenant, id, &error);
        break;
      case ReadKind::kAccountInvoices:
        json = service_->AccountInvoicesJson(tenant, id, &error);
        break;
      case ReadKind::kInvoice:
        json = service_->InvoiceJson(tenant, id, &error);
        break;
    }
    done(std::move(json), error.ok() ? std::string() : error.ToString());
  });
}

}  // namespace accrue::app
