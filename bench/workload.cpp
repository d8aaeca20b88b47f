// The workload generator (workload.h): per account, a small record of what it has
// (subscriptions, payments) so every command it emits is valid in order.
#include "bench/workload.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "bench/workload_internal.h"

namespace accrue::bench {

using internal::CurrencyInfo;
using internal::PlanKind;
using internal::Rng;

namespace {

constexpr int64_t kDayUs = 86'400'000'000;
constexpr int64_t kMarginUs = 2 * kDayUs;  // usage keeps this far from a change/cancel (D-26)
constexpr int kLastDay = 28;               // every month has it

struct SubGen {
  std::string id;
  PlanKind plan;
  int64_t quantity;
  int64_t start_us;
  int64_t last_change_us;  // start, then each change
  bool canceled = false;
};

struct PaymentGen {
  std::string id;
};

struct AccountGen {
  int index = 0;
  std::string id;
  const CurrencyInfo* currency = nullptr;
  std::string_view zone;
  int join_month = 0;
  Rng rng{0};
  std::vector<SubGen> subs;
  int payments = 0;
  int usage = 0;
  bool credit_noted = false;
};

// One command of an account-month before its key is assigned: sorted by time.
struct Pending {
  int64_t at_us;
  std::string name;
  std::string fields;  // ,"field":... after the key
};

std::string Field(std::string_view key, std::string_view text) {
  std::string s = ",\"";
  s += key;
  s += "\":\"";
  s += text;
  s += '"';
  return s;
}

std::string IntField(std::string_view key, int64_t v) {
  return ",\"" + std::string(key) + "\":" + std::to_string(v);
}

class Generator {
 public:
  Generator(const WorkloadOptions& o, const std::function<void(std::string_view)>& emit, WorkloadStats* stats)
      : o_(o), emit_(emit), stats_(stats) {}

  void Run();

 private:
  void Emit(std::string_view name, const std::string& fields);
  AccountGen MakeAccount(int index);
  void AccountMonth(AccountGen& a, int m);
  void OpenMonth(AccountGen& a, int m, std::vector<Pending>* out);
  void LaterMonth(AccountGen& a, int m, std::vector<Pending>* out);
  void SubscriptionMonth(AccountGen& a, SubGen& s, int m, int64_t from_us, std::vector<Pending>* out);
  void Usage(AccountGen& a, const SubGen& s, PlanKind plan, int64_t at_us, std::vector<Pending>* out);
  SubGen Subscribe(AccountGen& a, int64_t at_us, std::vector<Pending>* out);
  int64_t MonthlyEstimate(const AccountGen& a) const;
  int64_t Micros(int m, int day, int64_t second) const {
    return internal::InstantMicros(o_.start_year, o_.start_month, m, day, second);
  }

  const WorkloadOptions& o_;
  const std::function<void(std::string_view)>& emit_;
  WorkloadStats* stats_;
  uint64_t keys_ = 0;
  std::string line_;
};

void Generator::Emit(std::string_view name, const std::string& fields) {
  line_.assign("{\"command\":\"");
  line_ += name;
  line_ += "\",\"idempotency_key\":\"";
  line_ += o_.key_prefix;
  line_ += '-';
  line_ += std::to_string(++keys_);
  line_ += '"';
  line_ += fields;
  line_ += '}';
  emit_(line_);
  if (stats_ != nullptr) {
    ++stats_->by_command[std::string(name)];
    ++stats_->total;
  }
}

AccountGen Generator::MakeAccount(int index) {
  AccountGen a;
  a.index = index;
  // Each account's stream starts at a hashed state: nearby seeds or indexes must not
  // give shifted copies of one SplitMix sequence.
  a.rng = Rng(Rng(o_.seed ^ (static_cast<uint64_t>(index) * 0xD1B54A32D192ED03ull)).Next());
  char id[32];
  std::snprintf(id, sizeof id, "acct-%06d", index);
  a.id = id;
  int total = 0;
  for (const auto& c : internal::kCurrencies) total += c.weight;
  int pick = static_cast<int>(a.rng.Between(0, total - 1));
  for (const auto& c : internal::kCurrencies) {
    if (pick < c.weight) {
      a.currency = &c;
      break;
    }
    pick -= c.weight;
  }
  a.zone = internal::kTimeZones[static_cast<std::size_t>(a.rng.Between(0, internal::kTimeZones.size() - 1))];
  // Most accounts start in the first month; the rest join later.
  a.join_month = a.rng.Permille(800) ? 0 : static_cast<int>(a.rng.Between(0, o_.months - 1));
  return a;
}

int64_t Generator::MonthlyEstimate(const AccountGen& a) const {
  int64_t sum = 0;
  for (const SubGen& s : a.subs) {
    if (s.canceled) continue;
    const auto& plan = internal::Plans()[s.plan];
    int64_t price = plan.price_points * a.currency->price_unit * s.quantity;
    sum += plan.yearly ? price / 12 : price;
  }
  return std::max(sum, a.currency->price_unit);
}

void Generator::Usage(AccountGen& a, const SubGen& s, PlanKind plan, int64_t at_us, std::vector<Pending>* out) {
  const auto& meters = internal::Plans()[plan].meters;
  if (meters.empty()) return;
  const auto& m = meters[static_cast<std::size_t>(a.rng.Between(0, static_cast<int64_t>(meters.size()) - 1))];
  std::string quantity = std::to_string(a.rng.Between(1, m.max_quantity));
  if (m.fractional_quantity && a.rng.Permille(500)) quantity += "." + std::to_string(a.rng.Between(1, 99));
  std::string f = Field("usage_id", "u-" + a.id.substr(5) + "-" + std::to_string(++a.usage));
  f += Field("subscription_id", s.id) + Field("meter", m.meter) + Field("quantity", quantity);
  f += Field("at", internal::InstantTextFromMicros(at_us));
  out->push_back({at_us, "record_usage", std::move(f)});
}

SubGen Generator::Subscribe(AccountGen& a, int64_t at_us, std::vector<Pending>* out) {
  const WorkloadMix& mix = o_.mix;
  PlanKind plan = internal::kBasic;
  if (a.rng.Permille(mix.annual_plan_permille)) {
    plan = internal::kAnnual;
  } else if (a.rng.Permille(mix.metered_plan_permille)) {
    plan = a.rng.Permille(600) ? internal::kPro : internal::kTeam;
  }
  SubGen s{"sub-" + a.id.substr(5) + "-" + std::to_string(a.subs.size() + 1), plan,
           a.rng.Permille(700) ? 1 : a.rng.Between(2, 5), at_us, at_us};
  std::string f = Field("subscription_id", s.id) + Field("account_id", a.id) +
                  Field("plan_id", internal::PlanId(plan, *a.currency)) + IntField("quantity", s.quantity) +
                  Field("start", internal::InstantTextFromMicros(at_us));
  out->push_back({at_us, "subscribe", std::move(f)});
  return s;
}

void Generator::OpenMonth(AccountGen& a, int m, std::vector<Pending>* out) {
  const WorkloadMix& mix = o_.mix;
  int64_t t = Micros(m, static_cast<int>(a.rng.Between(1, 20)), a.rng.Between(3600, 80000));
  out->push_back({t, "open_account",
                  Field("account_id", a.id) + Field("currency", a.currency->code) + Field("timezone", a.zone)});
  a.subs.push_back(Subscribe(a, t + 60'000'000, out));
  if (a.rng.Permille(mix.second_subscription_permille)) a.subs.push_back(Subscribe(a, t + 120'000'000, out));
  if (a.rng.Permille(mix.prepay_refund_permille)) {  // credit = the prepayment: the refund fits (R-P3)
    int64_t amount = 2 * MonthlyEstimate(a);
    std::string pid = "pay-" + a.id.substr(5) + "-" + std::to_string(++a.payments);
    out->push_back({t + 180'000'000, "record_payment",
                    Field("payment_id", pid) + Field("account_id", a.id) +
                        Field("amount", internal::AmountText(amount, *a.currency)) +
                        Field("currency", a.currency->code) +
                        Field("received_at", internal::InstantTextFromMicros(t + 180'000'000)) +
                        Field("external_ref", "ext-" + pid.substr(4))});
    out->push_back({t + 240'000'000, "refund_payment",
                    Field("refund_id", "ref-" + pid.substr(4)) + Field("payment_id", pid) +
                        Field("amount", internal::AmountText(amount / 2, *a.currency))});
  }
  for (SubGen& s : a.subs) SubscriptionMonth(a, s, m, t + 3 * kDayUs, out);
}

// Changes, cancellations and usage of one subscription in month m (m > join:
// after the first bill run) or, with from_us set, usage only (the opening month).
void Generator::SubscriptionMonth(AccountGen& a, SubGen& s, int m, int64_t from_us, std::vector<Pending>* out) {
  if (s.canceled) return;
  const WorkloadMix& mix = o_.mix;
  const bool opening = m == a.join_month;
  const PlanKind before = s.plan;
  int64_t change_us = -1, cancel_us = -1;
  if (!opening && s.plan != internal::kAnnual && a.rng.Permille(mix.change_permille)) {
    change_us = Micros(m, static_cast<int>(a.rng.Between(5, 24)), a.rng.Between(0, 86399));
    int style = static_cast<int>(a.rng.Between(0, 3));  // plan and quantity, plan only, quantity only
    std::string f = Field("subscription_id", s.id);
    if (style != 3) {
      s.plan = static_cast<PlanKind>(a.rng.Between(internal::kBasic, internal::kTeam));
      f += Field("plan_id", internal::PlanId(s.plan, *a.currency));
    }
    if (style == 0 || style == 3) {
      s.quantity = a.rng.Between(1, 5);
      f += IntField("quantity", s.quantity);
    }
    f += Field("effective", internal::InstantTextFromMicros(change_us));
    out->push_back({change_us, "change_subscription", std::move(f)});
  } else if (!opening && a.rng.Permille(mix.cancel_permille)) {
    cancel_us = Micros(m, static_cast<int>(a.rng.Between(5, 24)), a.rng.Between(0, 86399));
    const char* mode = a.rng.Permille(mix.immediate_cancel_permille) ? "immediate" : "end_of_period";
    out->push_back({cancel_us, "cancel_subscription",
                    Field("subscription_id", s.id) + Field("effective", internal::InstantTextFromMicros(cancel_us)) +
                        Field("mode", mode)});
    s.canceled = true;
  }
  const int64_t month_start = Micros(m, 1, 3600);
  const int64_t month_end = Micros(m, kLastDay, 82800);
  const int64_t lo = std::max(month_start, from_us);
  const int64_t count = a.rng.Between(0, 2 * mix.usage_per_month);
  for (int64_t i = 0; i < count && lo < month_end; ++i) {
    int64_t at = a.rng.Between(lo, month_end);
    if (cancel_us >= 0 && at > cancel_us - kMarginUs) continue;
    PlanKind plan = before;
    if (change_us >= 0) {
      if (at > change_us - kMarginUs && at < change_us + kMarginUs) continue;
      if (at >= change_us) plan = s.plan;
    }
    if (!opening && a.rng.Permille(mix.late_usage_permille)) {
      // Late usage: dated about a month back, in a period possibly invoiced already
      // (R-S7), while the plan in force then is still unambiguous.
      int64_t late = at - a.rng.Between(25, 35) * kDayUs;
      if (late > s.last_change_us + kMarginUs && late < lo && (change_us < 0 || late < change_us - kMarginUs)) {
        Usage(a, s, before, late, out);
        continue;
      }
    }
    Usage(a, s, plan, at, out);
  }
  if (change_us >= 0) s.last_change_us = change_us;
}

void Generator::LaterMonth(AccountGen& a, int m, std::vector<Pending>* out) {
  const WorkloadMix& mix = o_.mix;
  if (a.rng.Permille(mix.payment_permille)) {
    int64_t amount = MonthlyEstimate(a) * a.rng.Between(80, 120) / 100;
    amount = std::max(amount, a.currency->price_unit);
    int64_t t = Micros(m, static_cast<int>(a.rng.Between(2, 10)), a.rng.Between(0, 86399));
    std::string pid = "pay-" + a.id.substr(5) + "-" + std::to_string(++a.payments);
    out->push_back({t, "record_payment",
                    Field("payment_id", pid) + Field("account_id", a.id) +
                        Field("amount", internal::AmountText(amount, *a.currency)) +
                        Field("currency", a.currency->code) +
                        Field("received_at", internal::InstantTextFromMicros(t)) +
                        Field("external_ref", "ext-" + pid.substr(4))});
    if (a.rng.Permille(mix.reversal_permille)) {  // R-P4: reversed_at >= received_at
      int64_t r = t + kDayUs;
      out->push_back({r, "reverse_payment",
                      Field("payment_id", pid) + Field("reversed_at", internal::InstantTextFromMicros(r)) +
                          Field("reason", "chargeback")});
    }
  }
  if (mix.bill_runs && !a.credit_noted && a.rng.Permille(mix.credit_note_permille)) {
    // Invoice 1 is the first run's whole-period charge of at least one price point.
    a.credit_noted = true;
    int64_t t = Micros(m, static_cast<int>(a.rng.Between(2, 27)), a.rng.Between(0, 86399));
    out->push_back({t, "issue_credit_note",
                    Field("credit_note_id", "cn-" + a.id.substr(5) + "-1") + Field("invoice_id", a.id + "-1") +
                        Field("amount", internal::AmountText(a.currency->price_unit, *a.currency)) +
                        Field("reason", "goodwill")});
  }
  for (SubGen& s : a.subs) SubscriptionMonth(a, s, m, 0, out);
}

void Generator::AccountMonth(AccountGen& a, int m) {
  if (m < a.join_month) return;
  std::vector<Pending> out;
  if (m == a.join_month) {
    OpenMonth(a, m, &out);
  } else {
    LaterMonth(a, m, &out);
  }
  std::stable_sort(out.begin(), out.end(), [](const Pending& x, const Pending& y) { return x.at_us < y.at_us; });
  for (const Pending& p : out) Emit(p.name, p.fields);
}

void Generator::Run() {
  for (const auto& c : internal::kCurrencies) {
    for (int k = 0; k < internal::kPlanKinds; ++k) {
      const auto& plan = internal::Plans()[static_cast<std::size_t>(k)];
      std::string f = Field("plan_id", internal::PlanId(static_cast<PlanKind>(k), c)) + Field("currency", c.code) +
                      Field("interval", plan.yearly ? "year" : "month") + IntField("interval_count", 1) +
                      Field("amount", internal::AmountText(plan.price_points * c.price_unit, c)) + ",\"meters\":[";
      for (std::size_t i = 0; i < plan.meters.size(); ++i) {
        if (i > 0) f += ',';
        f += "{\"meter\":\"" + std::string(plan.meters[i].meter) + "\",\"unit_price\":\"" +
             std::string(c.exponent == 0 ? plan.meters[i].unit_price_jpy : plan.meters[i].unit_price) + "\"}";
      }
      f += ']';
      Emit("publish_plan", f);
    }
  }
  std::vector<AccountGen> accounts;
  accounts.reserve(static_cast<std::size_t>(o_.accounts));
  for (int i = 1; i <= o_.accounts; ++i) accounts.push_back(MakeAccount(i));
  for (int m = 0; m < o_.months; ++m) {
    for (AccountGen& a : accounts) AccountMonth(a, m);
    if (o_.mix.bill_runs) {
      Emit("run_billing", Field("as_of", internal::InstantText(o_.start_year, o_.start_month, m + 1, 1, 0)));
    }
  }
}

}  // namespace

std::optional<Profile> ParseProfile(std::string_view name) {
  if (name == "usage-heavy") return Profile::kUsageHeavy;
  if (name == "mixed") return Profile::kMixed;
  if (name == "demo") return Profile::kDemo;
  return std::nullopt;
}

std::string_view ProfileName(Profile p) {
  switch (p) {
    case Profile::kUsageHeavy: return "usage-heavy";
    case Profile::kMixed: return "mixed";
    case Profile::kDemo: return "demo";
  }
  return "?";
}

WorkloadMix MixFor(Profile p) {
  WorkloadMix mix;  // the mixed defaults
  switch (p) {
    case Profile::kUsageHeavy:
      mix.usage_per_month = 40;
      mix.late_usage_permille = 20;
      mix.second_subscription_permille = 0;
      mix.annual_plan_permille = 0;
      mix.metered_plan_permille = 1000;
      mix.change_permille = 10;
      mix.cancel_permille = 0;
      mix.payment_permille = 300;
      mix.reversal_permille = 0;
      mix.prepay_refund_permille = 0;
      mix.credit_note_permille = 0;
      break;
    case Profile::kMixed: break;
    case Profile::kDemo: mix.bill_runs = true; break;
  }
  return mix;
}

bool GenerateWorkload(const WorkloadOptions& options, const std::function<void(std::string_view)>& emit,
                      WorkloadStats* stats) {
  if (options.accounts < 1 || options.accounts > kMaxWorkloadAccounts || options.months < 1 ||
      options.months > kMaxWorkloadMonths || options.start_month < 1 || options.start_month > 12 ||
      options.start_year < 1970 || options.start_year > 9000) {
    return false;
  }
  Generator(options, emit, stats).Run();
  return true;
}

}  // namespace accrue::bench
