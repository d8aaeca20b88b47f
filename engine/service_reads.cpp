// CommandService: reads of durable state (engine/service.h, service_impl.h).
#include "engine/service_impl.h"

#include "engine/decide.h"
#include "engine/result_json.h"
#include "engine/state_json.h"

namespace accrue::engine {

using namespace service_detail;  // NOLINT: CommandService's own helpers

// ---- reads: durable state only ---------------------------------------------------
// A cached entry with no append in flight holds exactly its durable state, so it is
// rendered as it is. An entry with appends in flight holds speculative events that
// may yet fail; the read then folds the stream from the log (snapshot + tail)
// instead, outside mu_, and never shows a command before it is durable.

namespace {

// A read that fails is not "not found": *error says why.
std::optional<std::string> ReadFailed(const Status& status, Status* error) {
  if (error != nullptr) *error = status;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> CommandService::Impl::ReadAccount(
    const std::string& tenant, const std::string& account_id,
    const std::function<std::optional<std::string>(const AccountState&)>& render, Status* error) {
  std::string stream;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto entry = cache_.Account(tenant, account_id);
    if (!entry.ok()) return ReadFailed(entry.status(), error);
    if (entry.value() == nullptr) return std::nullopt;
    if (entry.value()->inflight == 0) {
      if (!entry.value()->state.exists) return std::nullopt;
      return render(entry.value()->state);
    }
    stream = entry.value()->stream;
  }
  counters_.durable_refolds++;
  AccountState state;
  internal::Loaded loaded;
  if (Status s = internal::LoadAccount(load_, stream, &state, &loaded); !s.ok()) return ReadFailed(s, error);
  if (!state.exists) return std::nullopt;
  return render(state);
}

std::optional<std::string> CommandService::Impl::ReadPlan(const std::string& tenant, const std::string& plan_id,
                                                          Status* error) {
  auto render = [&](const CatalogState& catalog) -> std::optional<std::string> {
    auto it = catalog.plans.find(plan_id);
    if (it == catalog.plans.end()) return std::nullopt;
    return PlanStateJson(it->second);
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto catalog = cache_.Catalog(tenant);
    if (!catalog.ok()) return ReadFailed(catalog.status(), error);
    if (catalog.value()->inflight == 0) return render(catalog.value()->state);
  }
  counters_.durable_refolds++;
  CatalogState catalog;
  internal::Loaded loaded;
  if (Status s = internal::LoadCatalog(load_, tenant + "/catalog", &catalog, &loaded); !s.ok()) {
    return ReadFailed(s, error);
  }
  return render(catalog);
}

std::optional<std::string> CommandService::Impl::ReadInvoice(const std::string& tenant,
                                                             const std::string& invoice_id, Status* error) {
  std::optional<std::string> stream;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto owner = cache_.DurableOwner(tenant, kClaimInvoice, invoice_id);  // never an in-flight claim
    if (!owner.ok()) return ReadFailed(owner.status(), error);
    if (!owner.value()) return std::nullopt;
    stream = *owner.value();
  }
  const std::string prefix = tenant + "/account/";
  if (stream->compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  return ReadAccount(tenant, stream->substr(prefix.size()),
                     [&](const AccountState& account) -> std::optional<std::string> {
                       const Invoice* inv = account.FindInvoice(invoice_id);
                       if (inv == nullptr) return std::nullopt;
                       return InvoiceStateJson(account, *inv);
                     },
                     error);
}

std::optional<std::string> CommandService::AccountJson(const std::string& tenant, const std::string& account_id,
                                                       Status* error) {
  return impl_->ReadAccount(
      tenant, account_id, [](const AccountState& a) -> std::optional<std::string> { return AccountStateJson(a); },
      error);
}

std::optional<std::string> CommandService::PlanJson(const std::string& tenant, const std::string& plan_id,
                                                    Status* error) {
  return impl_->ReadPlan(tenant, plan_id, error);
}

std::optional<std::string> CommandService::InvoiceJson(const std::string& tenant, const std::string& invoice_id,
                                                       Status* error) {
  return impl_->ReadInvoice(tenant, invoice_id, error);
}

std::optional<std::string> CommandService::AccountInvoicesJson(const std::string& tenant,
                                                               const std::string& account_id, Status* error) {
  return impl_->ReadAccount(
      tenant, account_id,
      [](const AccountState& a) -> std::optional<std::string> { return AccountInvoicesStateJson(a); }, error);
}

}  // namespace accrue::engine
