// Admission: what the HTTP server lets in (docs/api.md "Limits", "Idempotency").
//
// Tracks (1) the idempotency keys in flight per tenant, so a second request with a
// key still being processed gets 409 idempotency_in_progress instead of racing the
// first; (2) commands in flight per tenant (429 over the tenant's limit) and in
// total (503 over the server's limit). A slot is held from admission until the
// backend's outcome arrives, even when the client was already answered (timeout),
// so the limits count real work.
//
// Invariant: every successful TryAcquire* is matched by exactly one Release*.
// Thread-safety: all methods may be called from any thread (one mutex; held only
// for a hash lookup).
#ifndef ACCRUE_APP_HTTP_ADMISSION_H_
#define ACCRUE_APP_HTTP_ADMISSION_H_

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace accrue::app {

enum class Admit { kOk, kKeyInProgress, kTenantLimit, kServerLimit };

class Admission {
 public:
  Admission(std::size_t max_tenant_inflight, std::size_t max_inflight)
      : max_tenant_(max_tenant_inflight), max_total_(max_inflight) {}

  // Admits `keys.size()` commands of `tenant` (an empty key string is not tracked,
  // e.g. a batch line without a readable key). All or nothing: on failure nothing
  // is held. On kKeyInProgress, *busy (if given) gets the index of each key that is
  // in flight in another request; a key repeated within `keys` is held once.
  Admit TryAcquire(const std::string& tenant, const std::vector<std::string>& keys,
                   std::vector<std::size_t>* busy = nullptr);
  void Release(const std::string& tenant, const std::vector<std::string>& keys);

  std::size_t inflight() const;
  // The most commands one request can ever be admitted with (a larger batch would
  // be refused on every retry).
  std::size_t max_per_request() const { return max_tenant_ < max_total_ ? max_tenant_ : max_total_; }

 private:
  static std::string KeyOf(const std::string& tenant, const std::string& key);

  const std::size_t max_tenant_;
  const std::size_t max_total_;
  mutable std::mutex mu_;
  std::unordered_set<std::string> keys_;
  std::unordered_map<std::string, std::size_t> per_tenant_;
  std::size_t total_ = 0;
};

}  // namespace accrue::app

#endif  // ACCRUE_APP_HTTP_ADMISSION_H_
