#include "app/http_admission.h"

#include "events/assert.h"

namespace accrue::app {

std::string Admission::KeyOf(const std::string& tenant, const std::string& key) {
  std::string k = tenant;
  k += '\0';  // tenants never contain NUL (D-9), so the pair is unambiguous
  k += key;
  return k;
}

Admit Admission::TryAcquire(const std::string& tenant, const std::vector<std::string>& keys,
                            std::vector<std::size_t>* busy) {
  const std::size_t n = keys.size();
  std::lock_guard lock(mu_);
  std::unordered_set<std::string> seen;
  bool in_progress = false;
  for (std::size_t i = 0; i < n; ++i) {
    if (keys[i].empty()) continue;
    std::string k = KeyOf(tenant, keys[i]);
    // A key repeated within `keys` (one batch) is not busy: the service orders
    // the batch's lines as `accrue post` orders a file's, so the later line
    // replays the earlier one or is idempotency_key_reused (D-18).
    if (keys_.count(k) > 0) {
      in_progress = true;
      if (busy) busy->push_back(i);
    } else {
      seen.insert(std::move(k));
    }
  }
  if (in_progress) return Admit::kKeyInProgress;
  std::size_t& mine = per_tenant_[tenant];
  if (mine + n > max_tenant_) {
    if (mine == 0) per_tenant_.erase(tenant);
    return Admit::kTenantLimit;
  }
  if (total_ + n > max_total_) {
    if (mine == 0) per_tenant_.erase(tenant);
    return Admit::kServerLimit;
  }
  mine += n;
  total_ += n;
  for (auto& k : seen) keys_.insert(k);
  return Admit::kOk;
}

void Admission::Release(const std::string& tenant, const std::vector<std::string>& keys) {
  std::lock_guard lock(mu_);
  for (const auto& key : keys) {
    if (!key.empty()) keys_.erase(KeyOf(tenant, key));
  }
  auto it = per_tenant_.find(tenant);
  ACCRUE_ASSERT(it != per_tenant_.end() && it->second >= keys.size(), "release without acquire");
  ACCRUE_ASSERT(total_ >= keys.size(), "release without acquire");
  it->second -= keys.size();
  total_ -= keys.size();
  if (it->second == 0) per_tenant_.erase(it);
}

std::size_t Admission::inflight() const {
  std::lock_guard lock(mu_);
  return total_;
}

}  // namespace accrue::app
