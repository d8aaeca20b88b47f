// The property tests' model and renderer (property_domain_model.h).
#include "tests/property_domain_model.h"

#include <array>

#include "engine/calendar.h"

namespace accrue::tests {
namespace {

constexpr int64_t kBaseSeconds = 1'704'067'200;  // 2024-01-01T00:00:00Z

struct PlanSpec {
  const char* id;
  const char* currency;
};
// The catalogue: several currencies, intervals (month, 3 months, year), a free plan.
constexpr std::array<PlanSpec, 7> kPlans = {{{"m-usd", "USD"},
                                             {"m2-usd", "USD"},
                                             {"y-usd", "USD"},
                                             {"q-usd", "USD"},
                                             {"m-jpy", "JPY"},
                                             {"m-eur", "EUR"},
                                             {"free-usd", "USD"}}};
constexpr std::array<const char*, 4> kCurrencies = {"USD", "USD", "JPY", "EUR"};
constexpr std::array<const char*, 5> kZones = {"UTC", "America/New_York", "Asia/Tokyo", "America/Santiago",
                                               "Pacific/Apia"};
constexpr std::array<const char*, 3> kMeters = {"api", "gb", "sms"};

// Builds {"command":...,"idempotency_key":...,<fields>}.
class Line {
 public:
  Line(const char* command, const std::string& key) {
    s_ = "{\"command\":\"" + std::string(command) + "\",\"idempotency_key\":\"" + key + "\"";
  }
  Line& Str(const char* k, const std::string& v) {
    s_ += ",\"" + std::string(k) + "\":\"" + v + "\"";
    return *this;
  }
  Line& Raw(const char* k, const std::string& v) {
    s_ += ",\"" + std::string(k) + "\":" + v;
    return *this;
  }
  std::string Done() const { return s_ + "}"; }

 private:
  std::string s_;
};

}  // namespace

std::ostream& operator<<(std::ostream& os, const Op& op) {
  return os << "Op{kind=" << static_cast<int>(op.kind) << " a=" << op.a << " b=" << op.b << " c=" << op.c
            << " d=" << op.d << " +" << op.advance_hours << "h -" << op.back_days << "d}";
}

std::vector<std::string> DomainModel::CatalogLines() {
  return {
      R"({"command":"publish_plan","idempotency_key":"plan-1","plan_id":"m-usd","currency":"USD","interval":"month","amount":"10.00","meters":[{"meter":"api","unit_price":"0.01"},{"meter":"gb","unit_price":"0.5"}]})",
      R"({"command":"publish_plan","idempotency_key":"plan-2","plan_id":"m2-usd","currency":"USD","interval":"month","amount":"25.00","meters":[{"meter":"api","unit_price":"0.02"}]})",
      R"({"command":"publish_plan","idempotency_key":"plan-3","plan_id":"y-usd","currency":"USD","interval":"year","amount":"120.00"})",
      R"({"command":"publish_plan","idempotency_key":"plan-4","plan_id":"q-usd","currency":"USD","interval":"month","interval_count":3,"amount":"30.00","meters":[{"meter":"sms","unit_price":"0.333"}]})",
      R"({"command":"publish_plan","idempotency_key":"plan-5","plan_id":"m-jpy","currency":"JPY","interval":"month","amount":"1000","meters":[{"meter":"api","unit_price":"1"}]})",
      R"({"command":"publish_plan","idempotency_key":"plan-6","plan_id":"m-eur","currency":"EUR","interval":"month","amount":"9.99","meters":[{"meter":"api","unit_price":"0.001"}]})",
      R"({"command":"publish_plan","idempotency_key":"plan-7","plan_id":"free-usd","currency":"USD","interval":"month","amount":"0","meters":[{"meter":"api","unit_price":"0.5"}]})",
  };
}

std::string DomainModel::Instant(int back_days) const {
  int64_t seconds = kBaseSeconds + now_hours_ * 3600 - int64_t{back_days} * 86400;
  return engine::FormatInstant(engine::Instant{seconds * 1'000'000});
}

std::string DomainModel::PickAccount(int i) const {
  if (accounts_.empty() || i % 9 == 8) return "nobody";  // not_found
  return accounts_[static_cast<std::size_t>(i) % accounts_.size()];
}
std::string DomainModel::PickSubscription(int i) const {
  if (subscriptions_.empty() || i % 9 == 8) return "no-sub";
  return subscriptions_[static_cast<std::size_t>(i) % subscriptions_.size()];
}
std::string DomainModel::PickPayment(int i) const {
  if (payments_.empty() || i % 9 == 8) return "no-pay";
  return payments_[static_cast<std::size_t>(i) % payments_.size()];
}
std::string DomainModel::PickInvoice(int i, int number) const { return PickAccount(i) + "-" + std::to_string(number); }

// Amounts in major units: mostly whole (valid in every currency), some with cents
// (amount_precision in JPY), a few large.
std::string DomainModel::Amount(int i) const {
  switch (i % 6) {
    case 0: return std::to_string(1 + i % 40);
    case 1: return std::to_string(5 + i % 7) + ".50";
    case 2: return "0.01";
    case 3: return std::to_string(100 + i % 300);
    case 4: return std::to_string(10 + i % 20);
    default: return "2";
  }
}

std::optional<std::string> DomainModel::Render(const Op& op) {
  now_hours_ += op.advance_hours;
  pending_id_.clear();
  const std::string key = FreshKey();
  const int back = op.back_days;
  switch (op.kind) {
    case OpKind::kOpenAccount: {
      std::string id = (op.b % 5 == 4 && !accounts_.empty()) ? PickAccount(op.a) : "a" + std::to_string(++ids_);
      pending_id_ = id;
      currency_of_[id + "?"] = kCurrencies[static_cast<std::size_t>(op.a) % kCurrencies.size()];
      return Line("open_account", key).Str("account_id", id).Str("currency", currency_of_[id + "?"])
          .Str("timezone", kZones[static_cast<std::size_t>(op.c) % kZones.size()]).Done();
    }
    case OpKind::kSubscribe: {
      std::string id = (op.d % 7 == 6 && !subscriptions_.empty()) ? PickSubscription(op.d) : "s" + std::to_string(++ids_);
      pending_id_ = id;
      // Plans of the account's currency most of the time (else currency_mismatch).
      std::string account = PickAccount(op.a);
      std::size_t plan = static_cast<std::size_t>(op.b) % kPlans.size();
      const std::string& currency = currency_of_[account];
      if (op.b % 4 != 3) {
        for (std::size_t k = 0; k < kPlans.size(); ++k) {
          std::size_t p = (plan + k) % kPlans.size();
          if (currency == kPlans[p].currency) {
            plan = p;
            break;
          }
        }
      }
      return Line("subscribe", key).Str("subscription_id", id).Str("account_id", account)
          .Str("plan_id", kPlans[plan].id).Raw("quantity", std::to_string(op.c % 11 == 10 ? 0 : op.c % 3 + 1))
          .Str("start", Instant(back)).Done();
    }
    case OpKind::kChange: {
      Line l("change_subscription", key);
      l.Str("subscription_id", PickSubscription(op.a));
      if (op.b % 8 != 7) l.Str("plan_id", kPlans[static_cast<std::size_t>(op.b) % kPlans.size()].id);
      if (op.c % 4 != 0) l.Raw("quantity", std::to_string(op.c % 4));
      return l.Str("effective", Instant(back)).Done();
    }
    case OpKind::kCancel:
      return Line("cancel_subscription", key).Str("subscription_id", PickSubscription(op.a))
          .Str("effective", Instant(back)).Str("mode", op.b % 2 == 0 ? "end_of_period" : "immediate").Done();
    case OpKind::kUsage: {
      pending_id_ = "u" + std::to_string(++ids_);
      std::string quantity = std::to_string(op.c % 50 + 1) + (op.d % 2 == 1 ? ".25" : "");
      return Line("record_usage", key).Str("usage_id", pending_id_).Str("subscription_id", PickSubscription(op.a))
          .Str("meter", kMeters[static_cast<std::size_t>(op.b) % kMeters.size()]).Str("quantity", quantity)
          .Str("at", Instant(back)).Done();
    }
    case OpKind::kRunBilling: {
      Line l("run_billing", key);
      l.Str("as_of", Instant(back));
      if (op.a % 3 == 0) l.Str("account_id", PickAccount(op.a / 3));
      return l.Done();
    }
    case OpKind::kPayment: {
      std::string id = "p" + std::to_string(++ids_);
      pending_id_ = id;
      std::string account = PickAccount(op.a);
      std::string currency = currency_of_.count(account) ? currency_of_[account] : std::string("USD");
      if (op.c % 10 == 9) currency = currency == "USD" ? "EUR" : "USD";  // currency_mismatch
      std::string ref = op.d % 9 == 8 ? "x-dup" : "x" + std::to_string(ids_);
      return Line("record_payment", key).Str("payment_id", id).Str("account_id", account).Str("amount", Amount(op.b))
          .Str("currency", currency).Str("received_at", Instant(back)).Str("external_ref", ref).Done();
    }
    case OpKind::kCreditNote:
      return Line("issue_credit_note", key).Str("credit_note_id", "cn" + std::to_string(++ids_))
          .Str("invoice_id", PickInvoice(op.a, op.b % 4 + 1)).Str("amount", Amount(op.c)).Str("reason", "goodwill")
          .Done();
    case OpKind::kRefund:
      return Line("refund_payment", key).Str("refund_id", "r" + std::to_string(++ids_))
          .Str("payment_id", PickPayment(op.a)).Str("amount", Amount(op.b)).Done();
    case OpKind::kReverse:
      return Line("reverse_payment", key).Str("payment_id", PickPayment(op.a)).Str("reversed_at", Instant(back))
          .Str("reason", "chargeback").Done();
    case OpKind::kVoid:
      return Line("void_invoice", key).Str("invoice_id", PickInvoice(op.a, op.b % 4 + 1)).Done();
    case OpKind::kUncollectible:
      return Line("mark_uncollectible", key).Str("invoice_id", PickInvoice(op.a, op.b % 4 + 1)).Done();
    case OpKind::kClose:
      return Line("close_account", key).Str("account_id", PickAccount(op.a)).Done();
    case OpKind::kReplayKey:
      if (sent_.empty()) return std::nullopt;
      return sent_[static_cast<std::size_t>(op.a) % sent_.size()].line;
    case OpKind::kReuseKey: {
      if (sent_.empty()) return std::nullopt;
      const Sent& old = sent_[static_cast<std::size_t>(op.a) % sent_.size()];
      return Line("open_account", old.key).Str("account_id", "reuse" + std::to_string(++ids_)).Str("currency", "USD").Done();
    }
    case OpKind::kReuseUsageId: {
      if (usage_lines_.empty()) return std::nullopt;
      std::string line = usage_lines_[static_cast<std::size_t>(op.a) % usage_lines_.size()];
      // A new key; the same body (a replay, D-47) or another quantity (already_exists).
      auto at = line.find("\"idempotency_key\":\"");
      auto end = line.find('"', at + 19);
      line.replace(at + 19, end - at - 19, key);
      if (op.b % 2 == 1) {
        auto q = line.find("\"quantity\":\"");
        line.insert(q + 12, "9");
      }
      return line;
    }
    case OpKind::kMalformed:
      switch (op.a % 8) {
        case 0: return std::string("{\"command\":\"open_account\",\"idempotency_key\":\"" + key + "\"");  // invalid_json
        case 1: return Line("open_acount", key).Str("account_id", "zz").Done();                          // unknown_command
        case 2: return Line("open_account", key).Str("currency", "USD").Done();                          // missing_field
        case 3: return Line("open_account", key).Str("account_id", "zz").Str("currency", "USD").Str("colour", "x").Done();
        case 4: return Line("record_payment", key).Str("payment_id", "pq").Str("account_id", PickAccount(op.b))
                    .Str("amount", "1.001").Str("currency", "USD").Str("received_at", Instant(0)).Str("external_ref", "q").Done();
        case 5: return Line("open_account", key).Str("account_id", "zz").Str("currency", "usd").Done();  // unknown_currency
        case 6: return Line("run_billing", key).Raw("as_of", "null").Done();                             // invalid_field (D-2)
        default: return Line("record_usage", key).Str("usage_id", "uq").Str("subscription_id", PickSubscription(op.b))
                     .Str("meter", "api").Str("quantity", "0").Str("at", "2024-01-01").Done();
      }
    case OpKind::kKindCount: break;
  }
  return std::nullopt;
}

void DomainModel::Record(const Op& op, const std::string& line, const engine::CommandOutcome& outcome) {
  const bool fresh = op.kind != OpKind::kReplayKey && op.kind != OpKind::kReuseKey;
  const bool accepted = outcome.status == engine::OutcomeStatus::kAccepted && !outcome.replayed;
  if (accepted && fresh) {
    switch (op.kind) {
      case OpKind::kOpenAccount:
        accounts_.push_back(pending_id_);
        currency_of_[pending_id_] = currency_of_[pending_id_ + "?"];
        break;
      case OpKind::kSubscribe: subscriptions_.push_back(pending_id_); break;
      case OpKind::kPayment: payments_.push_back(pending_id_); break;
      case OpKind::kUsage: usage_lines_.push_back(line); break;
      default: break;
    }
  }
  // Remembered under its key: everything but D-4 key errors, invalid_json and
  // idempotency_key_reused (D-4); replays are already remembered.
  const bool remembered = fresh && !(outcome.error && (*outcome.error == engine::ErrorCode::kIdempotencyKeyReused ||
                                                        *outcome.error == engine::ErrorCode::kInvalidJson));
  if (remembered) {
    auto at = line.find("\"idempotency_key\":\"");
    auto end = line.find('"', at + 19);
    sent_.push_back(Sent{line, line.substr(at + 19, end - at - 19), outcome});
  }
}

}  // namespace accrue::tests
