// AggregateCache (engine/service_internal.h).
#include <algorithm>
#include <set>

#include "engine/evolve.h"
#include "engine/service_internal.h"
#include "events/assert.h"

namespace accrue::engine::internal {
namespace {

std::string CatalogStream(const std::string& tenant) { return tenant + "/catalog"; }
std::string ClaimKey(const std::string& tenant, std::string_view kind, const std::string& id) {
  std::string key;
  key.reserve(tenant.size() + kind.size() + id.size() + 2);
  key.append(tenant).append(1, '/').append(kind).append(1, '/').append(id);
  return key;
}
// Writes "<tenant>/<kind>/<id>" into *buffer; returns a view of it.
std::string_view BuildKey(std::string* buffer, std::string_view tenant, std::string_view kind,
                          std::string_view id) {
  buffer->assign(tenant).append(1, '/').append(kind).append(1, '/').append(id);
  return *buffer;
}
constexpr std::string_view kAccountKind = "account";  // the middle of "<tenant>/account/<id>"

}  // namespace

AggregateCache::AggregateCache(LoadContext load, ServiceOptions options, SnapshotWriter* writer)
    : load_(std::move(load)), store_(load_.store), options_(std::move(options)), writer_(writer) {}

void AggregateCache::MaybeRequestSnapshot(StreamKind kind, const std::string& stream, uint64_t before,
                                          uint64_t after) {
  const uint64_t every = options_.snapshot_every_events;
  if (writer_ == nullptr || every == 0 || after / every == before / every) return;
  writer_->Request(kind, stream);
}

Result<std::shared_ptr<AccountEntry>> AggregateCache::Account(const std::string& tenant,
                                                              const std::string& account_id) {
  return AccountAt(BuildKey(&stream_buffer_, tenant, kAccountKind, account_id));
}

Result<std::shared_ptr<AccountEntry>> AggregateCache::AccountAt(std::string_view stream_name) {
  if (auto it = accounts_.find(stream_name); it != accounts_.end()) return it->second;
  auto entry = std::make_shared<AccountEntry>();
  entry->stream = std::string(stream_name);
  const std::string& stream = entry->stream;
  Loaded loaded;
  Status s = LoadAccount(load_, stream, &entry->state, &loaded);
  if (!s.ok()) return s;
  entry->version = loaded.version;
  // A long tail (no snapshot yet, or one written before the interval shrank):
  // take one now so the next load is short.
  if (options_.snapshot_every_events != 0 && loaded.tail_events >= options_.snapshot_every_events) {
    MaybeRequestSnapshot(StreamKind::kAccount, stream, 0, loaded.version);
  }
  EvictIfFull();
  accounts_[stream] = entry;
  return entry;
}

Result<std::shared_ptr<CatalogEntry>> AggregateCache::Catalog(const std::string& tenant) {
  if (auto it = catalogs_.find(tenant); it != catalogs_.end()) return it->second;
  auto entry = std::make_shared<CatalogEntry>();
  const std::string stream = CatalogStream(tenant);
  Loaded loaded;
  Status s = LoadCatalog(load_, stream, &entry->state, &loaded);
  if (!s.ok()) return s;
  entry->version = loaded.version;
  if (options_.snapshot_every_events != 0 && loaded.tail_events >= options_.snapshot_every_events) {
    MaybeRequestSnapshot(StreamKind::kCatalog, stream, 0, loaded.version);
  }
  catalogs_[tenant] = entry;
  return entry;
}

Result<bool> AggregateCache::ClaimTaken(const std::string& tenant, std::string_view kind,
                                        const std::string& id) {
  return ClaimTakenKey(BuildKey(&claim_key_buffer_, tenant, kind, id));
}

Result<bool> AggregateCache::ClaimTakenKey(std::string_view key_view) {
  if (pending_claims_.find(key_view) != pending_claims_.end() ||
      known_claims_.find(key_view) != known_claims_.end()) {
    return true;
  }
  const std::string key(key_view);
  auto claim = store_->LookupClaim(key);
  if (!claim.ok()) return claim.status();
  if (!claim.value()) return false;
  Remember(key, std::move(claim.value()->stream), std::move(claim.value()->value));
  return true;
}

void AggregateCache::Remember(const std::string& key, std::string stream, std::string value) {
  if (known_claims_.size() >= kMaxKnownClaims) known_claims_.clear();
  known_claims_[key] = KnownClaim{std::move(stream), std::move(value)};
}

Result<std::optional<KnownClaim>> AggregateCache::FindClaim(const std::string& tenant, std::string_view kind,
                                                            const std::string& id) {
  return FindClaimKey(ClaimKey(tenant, kind, id));
}

Result<std::optional<KnownClaim>> AggregateCache::FindClaimKey(const std::string& key) {
  if (auto it = pending_claims_.find(key); it != pending_claims_.end()) {
    return std::optional(KnownClaim{it->second.stream, it->second.value});
  }
  if (auto known = known_claims_.find(key); known != known_claims_.end()) return std::optional(known->second);
  auto claim = store_->LookupClaim(key);
  if (!claim.ok()) return claim.status();
  if (!claim.value()) return std::optional<KnownClaim>();
  Remember(key, claim.value()->stream, claim.value()->value);
  return std::optional(KnownClaim{std::move(claim.value()->stream), std::move(claim.value()->value)});
}

Result<std::optional<std::string>> AggregateCache::DurableOwner(const std::string& tenant,
                                                                std::string_view kind,
                                                                const std::string& id) {
  const std::string_view key = BuildKey(&claim_key_buffer_, tenant, kind, id);
  if (auto known = known_claims_.find(key); known != known_claims_.end()) {
    return std::optional<std::string>(known->second.stream);
  }
  return store_->ClaimOwner(std::string(key));
}

Result<std::shared_ptr<AccountEntry>> AggregateCache::Owner(const std::string& tenant,
                                                            std::string_view kind,
                                                            const std::string& id) {
  const std::string_view key = BuildKey(&claim_key_buffer_, tenant, kind, id);
  // The owner's stream name lives in the claim maps' entries (which the account
  // lookup leaves alone), else in `looked_up`.
  if (auto it = pending_claims_.find(key); it != pending_claims_.end()) {
    return AccountOfStream(tenant, it->second.stream);
  }
  if (auto known = known_claims_.find(key); known != known_claims_.end()) {
    return AccountOfStream(tenant, known->second.stream);
  }
  const std::string owned_key(key);
  auto claim = store_->LookupClaim(owned_key);
  if (!claim.ok()) return claim.status();
  if (!claim.value()) return std::shared_ptr<AccountEntry>();
  const std::string looked_up = claim.value()->stream;
  Remember(owned_key, std::move(claim.value()->stream), std::move(claim.value()->value));
  return AccountOfStream(tenant, looked_up);
}

Result<std::shared_ptr<AccountEntry>> AggregateCache::AccountOfStream(const std::string& tenant,
                                                                      std::string_view stream) {
  ACCRUE_ASSERT(stream.size() > tenant.size() + kAccountKind.size() + 2 &&
                    stream.substr(0, tenant.size()) == tenant && stream[tenant.size()] == '/' &&
                    stream.substr(tenant.size() + 1, kAccountKind.size()) == kAccountKind &&
                    stream[tenant.size() + 1 + kAccountKind.size()] == '/',
                "claims point at account streams");
  return AccountAt(stream);
}

Result<std::vector<std::string>> AggregateCache::TenantAccounts(const std::string& tenant) {
  const std::string prefix = tenant + "/" + std::string(kClaimAccount) + "/";
  auto claims = store_->ListClaims(prefix);
  if (!claims.ok()) return claims.status();
  std::set<std::string> ids;
  for (const events::Claim& c : claims.value()) ids.insert(c.key.substr(prefix.size()));
  for (const auto& [key, claim] : pending_claims_) {
    if (key.compare(0, prefix.size(), prefix) == 0) ids.insert(key.substr(prefix.size()));
  }
  return std::vector<std::string>(ids.begin(), ids.end());
}

Result<Prepared> AggregateCache::Prepare(const std::string& tenant, const Command& command) {
  Prepared p;
  auto catalog = Catalog(tenant);
  if (!catalog.ok()) return catalog.status();
  p.catalog = catalog.value();
  Result<std::shared_ptr<AccountEntry>> account = std::shared_ptr<AccountEntry>();
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, OpenAccount> || std::is_same_v<T, Subscribe> ||
                      std::is_same_v<T, RecordPayment> || std::is_same_v<T, CloseAccount>) {
          account = Account(tenant, c.account_id);
        } else if constexpr (std::is_same_v<T, RunBilling>) {
          if (c.account_id) account = Account(tenant, *c.account_id);
        } else if constexpr (std::is_same_v<T, ChangeSubscription> ||
                             std::is_same_v<T, CancelSubscription> || std::is_same_v<T, RecordUsage>) {
          account = Owner(tenant, kClaimSubscription, c.subscription_id);
        } else if constexpr (std::is_same_v<T, IssueCreditNote> || std::is_same_v<T, VoidInvoice> ||
                             std::is_same_v<T, MarkUncollectible>) {
          account = Owner(tenant, kClaimInvoice, c.invoice_id);
        } else if constexpr (std::is_same_v<T, RefundPayment> || std::is_same_v<T, ReversePayment>) {
          account = Owner(tenant, kClaimPayment, c.payment_id);
        }
      },
      command);
  if (!account.ok()) return account.status();
  p.account = account.value();
  if (const auto* usage = std::get_if<RecordUsage>(&command)) {
    // D-47: the owner and the recorded body (the claim's value) in one lookup.
    std::string usage_key = ClaimKey(tenant, kClaimUsage, usage->usage_id);
    auto claim = FindClaimKey(usage_key);
    if (!claim.ok()) return claim.status();
    if (claim.value()) {
      auto owner = AccountOfStream(tenant, claim.value()->stream);
      if (!owner.ok()) return owner.status();
      p.usage_owner = owner.value();
      p.context.usage_fingerprint = DecodeUsageFingerprint(claim.value()->value);
    } else {
      p.scratch->absent_claim_key = std::move(usage_key);
    }
  }
  p.context.catalog = &p.catalog->state;
  p.context.account = p.account ? &p.account->state : nullptr;
  p.context.usage_owner = p.usage_owner ? &p.usage_owner->state : nullptr;
  prepare_error_ = Status::Ok();
  p.scratch->tenant = tenant;
  p.context.claim_taken = [this, scratch = p.scratch.get()](std::string_view kind, const std::string& id) {
    const std::string_view key = BuildKey(&claim_key_buffer_, scratch->tenant, kind, id);
    // Looked up by Prepare under the same lock (neither in flight nor durable then,
    // and nothing has changed since).
    if (key == scratch->absent_claim_key) return false;
    if (auto it = pending_claims_.find(key); it != pending_claims_.end()) {
      // Taken only if that append lands (AddDependencyChecks).
      scratch->pending_claims_seen.push_back(it->second);
      return true;
    }
    auto taken = ClaimTakenKey(key);
    if (!taken.ok()) {
      prepare_error_ = taken.status();
      return true;  // fail safe: never hand out an id we could not check
    }
    return taken.value();
  };
  return p;
}

void AggregateCache::AddDependencyChecks(const std::string& tenant, const Prepared& p,
                                         events::AppendRequest* request) const {
  auto check = [request](const std::string& stream, uint64_t version) {
    for (const events::StreamAppend& part : request->streams) {
      if (part.stream == stream) return;  // its own expected version covers it
    }
    events::StreamAppend part;
    part.stream = stream;
    part.expected_version = version;  // no events: a pure version check
    request->streams.push_back(std::move(part));
  };
  auto check_account = [&](const std::shared_ptr<AccountEntry>& entry) {
    if (entry != nullptr && entry->inflight > 0) check(entry->stream, entry->version);
  };
  if (p.catalog != nullptr && p.catalog->inflight > 0) check(CatalogStream(tenant), p.catalog->version);
  check_account(p.account);
  check_account(p.usage_owner);
  for (const PendingClaim& claim : p.scratch->pending_claims_seen) check(claim.stream, claim.entry->version);
}

void AggregateCache::ApplySpeculatively(const std::string& tenant, const Decision& d,
                                        events::AppendRequest* request, Touched* touched) {
  if (d.events.empty()) return;
  events::StreamAppend append;
  if (d.target == Decision::Target::kCatalog) {
    auto catalog = Catalog(tenant);
    ACCRUE_ASSERT(catalog.ok(), "the catalog was loaded by Prepare");
    std::shared_ptr<CatalogEntry> entry = catalog.value();
    append.stream = CatalogStream(tenant);
    append.expected_version = entry->version;
    for (const auto& e : d.events) EvolveCatalog(&entry->state, e);
    entry->version += d.events.size();
    entry->inflight++;
    touched->catalog = entry;
    touched->catalog_tenant = tenant;
    touched->catalog_before = append.expected_version;
    touched->catalog_after = entry->version;
  } else {
    auto account = Account(tenant, d.account_id);
    ACCRUE_ASSERT(account.ok(), "the account was loaded by Prepare");
    std::shared_ptr<AccountEntry> entry = account.value();
    append.stream = entry->stream;
    append.expected_version = entry->version;
    for (const auto& e : d.events) Evolve(&entry->state, e);
    entry->version += d.events.size();
    entry->inflight++;
    touched->accounts.push_back(TouchedAccount{append.stream, entry, append.expected_version, entry->version});
  }
  for (const auto& e : d.events) {
    events::NewEvent ne;
    ne.type = EventTypeName(e);
    ne.payload = e.SerializeAsString();
    append.events.push_back(std::move(ne));
  }
  ACCRUE_ASSERT(d.claims.empty() || d.target == Decision::Target::kAccount, "only accounts claim ids");
  for (const auto& [kind, id] : d.claims) {
    std::string key = ClaimKey(tenant, kind, id);
    std::string value = ClaimValue(d, kind, id);
    request->claims.push_back(events::Claim{key, append.stream, value});
    const bool routed = kind == kClaimSubscription || kind == kClaimInvoice || kind == kClaimPayment;
    pending_claims_[key] = PendingClaim{append.stream, touched->accounts.back().entry, std::move(value), routed};
    touched->claim_keys.push_back(std::move(key));
  }
  request->streams.push_back(std::move(append));
}

void AggregateCache::Settle(const Touched& touched, bool written) {
  if (!written) {
    auto it = failures_.find(touched.tenant);
    if (it == failures_.end()) it = failures_.emplace(touched.tenant, 0).first;
    it->second++;
  }
  for (const TouchedAccount& t : touched.accounts) {
    t.entry->inflight--;
    if (written) {
      MaybeRequestSnapshot(StreamKind::kAccount, t.stream, t.version_before, t.version_after);
    } else {
      auto it = accounts_.find(t.stream);
      if (it != accounts_.end() && it->second == t.entry) accounts_.erase(it);
    }
  }
  if (touched.catalog) {
    touched.catalog->inflight--;
    auto it = catalogs_.find(touched.catalog_tenant);
    if (written) {
      MaybeRequestSnapshot(StreamKind::kCatalog, CatalogStream(touched.catalog_tenant), touched.catalog_before,
                           touched.catalog_after);
    } else if (it != catalogs_.end() && it->second == touched.catalog) {
      catalogs_.erase(it);
    }
  }
  for (const std::string& key : touched.claim_keys) {
    auto it = pending_claims_.find(key);
    if (it == pending_claims_.end()) continue;
    if (written && it->second.remember) Remember(key, std::move(it->second.stream), std::move(it->second.value));
    pending_claims_.erase(it);
  }
}

void AggregateCache::EvictIfFull() {
  if (accounts_.size() < options_.account_cache_capacity) return;
  // Drop about a tenth of the idle entries (no append in flight).
  std::size_t target = options_.account_cache_capacity - options_.account_cache_capacity / 10;
  for (auto it = accounts_.begin(); it != accounts_.end() && accounts_.size() > target;) {
    if (it->second->inflight == 0) {
      it = accounts_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace accrue::engine::internal
