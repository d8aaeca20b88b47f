// decide (engine/decide.h): accounts, plans, subscriptions, usage and the
// dispatcher. Money commands are in decide_money.cpp, bill runs in bill_run.cpp.
#include "engine/decide.h"

#include <algorithm>

#include "engine/decide_internal.h"
#include "events/assert.h"

namespace accrue::engine {

// decide_money.cpp
DecideResult DecidePayment(const RecordPayment& c, const DecideContext& ctx);
DecideResult DecideCreditNote(const IssueCreditNote& c, const DecideContext& ctx);
DecideResult DecideRefund(const RefundPayment& c, const DecideContext& ctx);
DecideResult DecideReversal(const ReversePayment& c, const DecideContext& ctx);
DecideResult DecideVoid(const VoidInvoice& c, const DecideContext& ctx);
DecideResult DecideUncollectible(const MarkUncollectible& c, const DecideContext& ctx);
DecideResult DecideClose(const CloseAccount& c, const DecideContext& ctx);

namespace {

std::string Quoted(std::string_view what, const std::string& id) {
  return std::string(what) + " \"" + id + "\"";
}

Decision AccountDecision(const std::string& account_id) {
  Decision d;
  d.target = Decision::Target::kAccount;
  d.account_id = account_id;
  return d;
}

DecideResult DecideOpenAccount(const OpenAccount& c, const DecideContext& ctx) {
  // D-43: an existing id is already_exists, even with an identical body.
  if (ctx.claim_taken(kClaimAccount, c.account_id)) {
    return Reject(ErrorCode::kAlreadyExists, "account_id", Quoted("account", c.account_id) + " exists");
  }
  Decision d = AccountDecision(c.account_id);
  v1::BillingEvent e;
  auto* o = e.mutable_account_opened();
  o->set_account_id(c.account_id);
  o->set_currency(std::string(c.currency.code));
  o->set_timezone(c.timezone);
  d.events.push_back(std::move(e));
  d.claims.emplace_back(std::string(kClaimAccount), c.account_id);
  return d;
}

// D-18: the normalised body of a plan.
bool SamePlan(const Plan& p, const PublishPlan& c) {
  if (p.currency.code != c.currency.code || p.interval != c.interval ||
      p.interval_count != c.interval_count || p.amount != c.amount ||
      p.meters.size() != c.meters.size()) {
    return false;
  }
  for (const PlanMeter& m : c.meters) {
    auto it = std::find_if(p.meters.begin(), p.meters.end(),
                           [&](const PlanMeter& x) { return x.meter == m.meter; });
    if (it == p.meters.end() || !(it->unit_price == m.unit_price)) return false;
  }
  return true;
}

DecideResult DecidePublishPlan(const PublishPlan& c, const DecideContext& ctx) {
  Decision d;
  d.target = Decision::Target::kCatalog;
  if (auto it = ctx.catalog->plans.find(c.plan_id); it != ctx.catalog->plans.end()) {
    if (!SamePlan(it->second, c)) {
      return Reject(ErrorCode::kAlreadyExists, "plan_id",
                    Quoted("plan", c.plan_id) + " exists with another body");
    }
    d.replayed = true;  // R-S1, D-18: an idempotent re-publish
    return d;
  }
  v1::BillingEvent e;
  auto* p = e.mutable_plan_published();
  p->set_plan_id(c.plan_id);
  p->set_currency(std::string(c.currency.code));
  p->set_interval(c.interval == Interval::kYear ? "year" : "month");
  p->set_interval_count(c.interval_count);
  p->set_months_per_period(c.months_per_period);
  p->set_amount(MinorText(c.amount));
  for (const PlanMeter& m : c.meters) {
    auto* pm = p->add_meters();
    pm->set_meter(m.meter);
    pm->set_unit_price(FormatDecimal(m.unit_price));
  }
  d.events.push_back(std::move(e));
  return d;
}

PlanTerms TermsOf(const Plan& p) { return PlanTerms{p.plan_id, p.amount, p.meters}; }

DecideResult DecideSubscribe(const Subscribe& c, const DecideContext& ctx) {
  if (ctx.claim_taken(kClaimSubscription, c.subscription_id)) {
    return Reject(ErrorCode::kAlreadyExists, "subscription_id",
                  Quoted("subscription", c.subscription_id) + " exists");
  }
  const AccountState* a = ctx.account;
  if (a == nullptr || !a->exists) {
    return Reject(ErrorCode::kNotFound, "account_id", Quoted("account", c.account_id) + " not found");
  }
  auto plan = ctx.catalog->plans.find(c.plan_id);
  if (plan == ctx.catalog->plans.end()) {
    return Reject(ErrorCode::kNotFound, "plan_id", Quoted("plan", c.plan_id) + " not found");
  }
  if (a->status == AccountStatus::kClosed) {
    return Reject(ErrorCode::kInvalidState, "account_id", "account is closed");
  }
  if (plan->second.currency.code != a->currency.code) {  // R-S2
    return Reject(ErrorCode::kCurrencyMismatch, "plan_id",
                  "plan is " + std::string(plan->second.currency.code) + ", account is " +
                      std::string(a->currency.code));
  }
  Decision d = AccountDecision(a->account_id);
  v1::BillingEvent e;
  auto* s = e.mutable_subscription_created();
  s->set_subscription_id(c.subscription_id);
  *s->mutable_terms() = TermsToProto(TermsOf(plan->second));
  s->set_quantity(MinorText(c.quantity));
  s->set_start_us(c.start.micros);
  s->set_anchor(a->zone()->LocalDateOf(c.start).days);  // R-C3
  s->set_months_per_period(plan->second.months_per_period);
  if (plan->second.months_per_period == kMaxMonthsPerPeriod) {  // saturated (D-31)
    s->set_period_months(plan->second.ExactPeriodMonths());
  }
  d.events.push_back(std::move(e));
  d.claims.emplace_back(std::string(kClaimSubscription), c.subscription_id);
  return d;
}

// Finds the subscription a command names, with D-43's closed-account check.
std::variant<const Subscription*, Rejection> FindSubscription(const DecideContext& ctx,
                                                              const std::string& id) {
  const Subscription* sub =
      ctx.account != nullptr ? ctx.account->FindSubscription(id) : nullptr;
  if (sub == nullptr) {
    return Reject(ErrorCode::kNotFound, "subscription_id", Quoted("subscription", id) + " not found");
  }
  return sub;
}

// D-30: the period length in months of `plan` equals the subscription's. Past the
// cap the subscription's own exact months decide (D-31, kept from its
// SubscriptionCreated), not a catalog lookup of its plan: a state loaded from a
// snapshot may name a plan the catalog does not hold, and decide must not assert on
// stored data.
bool SamePeriodLength(const Plan& plan, const Subscription& sub) {
  if (plan.months_per_period != sub.months_per_period) return false;
  if (plan.months_per_period < kMaxMonthsPerPeriod) return true;  // exact below the cap
  return plan.ExactPeriodMonths() == sub.exact_period_months;
}

// D-21: where a change or cancellation may take effect. Returns the index of the
// period containing M.
std::variant<int64_t, Rejection> CheckEffective(const Subscription& sub, LocalDate m) {
  if (m < sub.anchor) {
    return Reject(ErrorCode::kInvalidState, "effective", "effective before the subscription starts");
  }
  if (m < sub.Latest().from) {
    return Reject(ErrorCode::kInvalidState, "effective", "effective before the latest change");
  }
  int64_t k = PeriodIndexContaining(sub.anchor, sub.months_per_period, m);
  if (k < sub.invoiced_periods - 1) {
    return Reject(ErrorCode::kInvalidState, "effective",
                  "effective in a period before the latest invoiced one");
  }
  return k;
}

// round(price x qty x days(M, E) / P) of R-S5/R-S6 in period k; nullopt on overflow.
std::optional<Int128> Prorate(const Subscription& sub, int64_t k, const TermsChange& t, LocalDate m,
                              int exponent) {
  return sub.Prorated(k, t, m, sub.PeriodOf(k).end, exponent);
}

PendingItem MakePending(const Subscription& sub, LineKind kind, const TermsChange& t, LocalDate m,
                        const Period& p, Int128 amount) {
  PendingItem i;
  i.subscription_id = sub.subscription_id;
  i.kind = kind;
  i.period = Period{m, p.end};
  i.quantity = t.quantity;
  i.plan_id = t.terms.plan_id;
  i.amount = amount;
  return i;
}

DecideResult DecideChange(const ChangeSubscription& c, const DecideContext& ctx) {
  auto found = FindSubscription(ctx, c.subscription_id);
  if (auto* r = std::get_if<Rejection>(&found)) return *r;
  const Subscription& sub = *std::get<const Subscription*>(found);
  const AccountState& a = *ctx.account;
  const Plan* plan = nullptr;
  if (c.plan_id) {
    auto it = ctx.catalog->plans.find(*c.plan_id);
    if (it == ctx.catalog->plans.end()) {
      return Reject(ErrorCode::kNotFound, "plan_id", Quoted("plan", *c.plan_id) + " not found");
    }
    plan = &it->second;
  }
  if (a.status == AccountStatus::kClosed) {
    return Reject(ErrorCode::kInvalidState, "subscription_id", "account is closed");
  }
  if (sub.status == SubscriptionStatus::kCanceled) {
    return Reject(ErrorCode::kInvalidState, "subscription_id", "subscription is canceled");
  }
  if (plan != nullptr && !SamePeriodLength(*plan, sub)) {  // D-30
    return Reject(ErrorCode::kIntervalMismatch, "plan_id", "plan has another billing interval");
  }
  if (plan != nullptr && plan->currency.code != a.currency.code) {
    return Reject(ErrorCode::kCurrencyMismatch, "plan_id", "plan has another currency");
  }
  const LocalDate m = a.zone()->LocalDateOf(c.effective);
  auto checked = CheckEffective(sub, m);
  if (auto* r = std::get_if<Rejection>(&checked)) return *r;
  const int64_t k = std::get<int64_t>(checked);
  const TermsChange& old = sub.TermsAt(m);
  TermsChange next{m, plan != nullptr ? TermsOf(*plan) : old.terms, c.quantity.value_or(old.quantity)};
  v1::BillingEvent e;
  auto* ch = e.mutable_subscription_changed();
  ch->set_subscription_id(sub.subscription_id);
  ch->set_effective_us(c.effective.micros);
  ch->set_effective_date(m.days);
  *ch->mutable_terms() = TermsToProto(next.terms);
  ch->set_quantity(MinorText(next.quantity));
  if (k < sub.invoiced_periods) {  // R-S5: M's period was invoiced; D-23
    const Period p = sub.PeriodOf(k);
    const int exponent = a.currency.exponent;
    auto credit = Prorate(sub, k, old, m, exponent);
    auto charge = Prorate(sub, k, next, m, exponent);
    if (!credit || !charge || !CheckedNeg(*credit)) return internal::Overflow("a proration");  // D-27
    *ch->add_pending() =
        PendingToProto(MakePending(sub, LineKind::kProrationCredit, old, m, p, -*credit));
    *ch->add_pending() = PendingToProto(MakePending(sub, LineKind::kProrationCharge, next, m, p, *charge));
  }
  Decision d = AccountDecision(a.account_id);
  d.events.push_back(std::move(e));
  return d;
}

DecideResult DecideCancel(const CancelSubscription& c, const DecideContext& ctx) {
  auto found = FindSubscription(ctx, c.subscription_id);
  if (auto* r = std::get_if<Rejection>(&found)) return *r;
  const Subscription& sub = *std::get<const Subscription*>(found);
  const AccountState& a = *ctx.account;
  if (a.status == AccountStatus::kClosed) {
    return Reject(ErrorCode::kInvalidState, "subscription_id", "account is closed");
  }
  if (sub.status == SubscriptionStatus::kCanceled) {  // D-22
    return Reject(ErrorCode::kInvalidState, "subscription_id", "subscription is already canceled");
  }
  const LocalDate m = a.zone()->LocalDateOf(c.effective);
  auto checked = CheckEffective(sub, m);
  if (auto* r = std::get_if<Rejection>(&checked)) return *r;
  const int64_t k = std::get<int64_t>(checked);
  const Period p = sub.PeriodOf(k);
  v1::BillingEvent e;
  auto* ca = e.mutable_subscription_canceled();
  ca->set_subscription_id(sub.subscription_id);
  ca->set_effective_us(c.effective.micros);
  ca->set_effective_date(m.days);
  if (c.mode == CancelMode::kEndOfPeriod) {
    ca->set_mode("end_of_period");
    ca->set_end_date(p.end.days);
  } else {
    ca->set_mode("immediate");
    ca->set_end_date(m.days);
    if (k < sub.invoiced_periods) {  // R-S6: credit the unused [M, E)
      const TermsChange& t = sub.TermsAt(m);
      auto credit = Prorate(sub, k, t, m, a.currency.exponent);
      if (!credit || !CheckedNeg(*credit)) return internal::Overflow("a proration");  // D-27
      *ca->add_pending() = PendingToProto(MakePending(sub, LineKind::kProrationCredit, t, m, p, -*credit));
    }
  }
  Decision d = AccountDecision(a.account_id);
  d.events.push_back(std::move(e));
  return d;
}

DecideResult DecideUsage(const RecordUsage& c, const DecideContext& ctx) {
  if (ctx.claim_taken(kClaimUsage, c.usage_id)) {  // D-47, before everything else
    const AccountState* owner = ctx.usage_owner;
    const std::optional<UsageFingerprint>& f = ctx.usage_fingerprint;
    if (owner != nullptr && f) {
      if (f->subscription_id == c.subscription_id && f->meter == c.meter && f->quantity == c.quantity &&
          f->at == c.at) {
        Decision d = AccountDecision(owner->account_id);
        d.replayed = true;
        return d;
      }
    }
    return Reject(ErrorCode::kAlreadyExists, "usage_id",
                  Quoted("usage", c.usage_id) + " exists with another body");
  }
  auto found = FindSubscription(ctx, c.subscription_id);
  if (auto* r = std::get_if<Rejection>(&found)) return *r;
  const Subscription& sub = *std::get<const Subscription*>(found);
  const AccountState& a = *ctx.account;
  if (a.status == AccountStatus::kClosed) {
    return Reject(ErrorCode::kInvalidState, "subscription_id", "account is closed");
  }
  const LocalDate day = a.zone()->LocalDateOf(c.at);
  if (day < sub.anchor) {
    return Reject(ErrorCode::kInvalidState, "at", "usage before the subscription starts");
  }
  if (sub.status == SubscriptionStatus::kCanceled && sub.end && day >= *sub.end) {
    return Reject(ErrorCode::kInvalidState, "at", "usage at or after the subscription's end");
  }
  const TermsChange& t = sub.TermsAt(day);  // D-26: the plan in force at `at`
  auto meter = std::find_if(t.terms.meters.begin(), t.terms.meters.end(),
                            [&](const PlanMeter& m) { return m.meter == c.meter; });
  if (meter == t.terms.meters.end()) {
    return Reject(ErrorCode::kNotFound, "meter",
                  Quoted("plan", t.terms.plan_id) + " has no meter \"" + c.meter + "\"");
  }
  const int64_t k = PeriodIndexContaining(sub.anchor, sub.months_per_period, day);
  // D-26 has no limit on the sums of usage: R-M4 bounds each quantity a command
  // writes (D-11), and a line whose amount overflows is D-27's at the bill run. The
  // only limit is the representation (R-M3): the uninvoiced sum of this line and
  // the recorded sum of (period, meter) that evolve keeps must stay in Int128
  // (about 170 quantities of 24 digits in one period).
  auto bucket = sub.unbilled_usage.find(UsageBucketKey{k, c.meter, t.terms.plan_id});
  auto recorded = sub.recorded_usage.find(std::make_pair(k, c.meter));
  if ((bucket != sub.unbilled_usage.end() && !AddDecimal(bucket->second.quantity, c.quantity)) ||
      (recorded != sub.recorded_usage.end() && !AddDecimal(recorded->second, c.quantity))) {
    return Reject(ErrorCode::kAmountOverflow, "quantity",
                  "the period's usage sum would leave 128-bit decimals (R-M3)");
  }
  Decision d = AccountDecision(a.account_id);
  v1::BillingEvent e;
  auto* u = e.mutable_usage_recorded();
  u->set_usage_id(c.usage_id);
  u->set_subscription_id(c.subscription_id);
  u->set_meter(c.meter);
  u->set_quantity(FormatDecimal(c.quantity));
  u->set_at_us(c.at.micros);
  u->set_period_index(k);
  u->set_plan_id(t.terms.plan_id);
  u->set_unit_price(FormatDecimal(meter->unit_price));
  d.events.push_back(std::move(e));
  d.claims.emplace_back(std::string(kClaimUsage), c.usage_id);
  return d;
}

DecideResult DecideRun(const RunBilling& c, const DecideContext& ctx) {
  ACCRUE_ASSERT(c.account_id.has_value(), "a tenant-wide run is the service's (DecideBillRun)");
  if (ctx.account == nullptr || !ctx.account->exists) {
    return Reject(ErrorCode::kNotFound, "account_id", Quoted("account", *c.account_id) + " not found");
  }
  return DecideBillRun(*ctx.account, c.as_of);
}

}  // namespace

DecideResult Decide(const Command& command, const DecideContext& ctx) {
  ACCRUE_ASSERT(ctx.catalog != nullptr && ctx.claim_taken, "decide needs a catalog and claims");
  return std::visit(
      [&](const auto& c) -> DecideResult {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, OpenAccount>) return DecideOpenAccount(c, ctx);
        if constexpr (std::is_same_v<T, PublishPlan>) return DecidePublishPlan(c, ctx);
        if constexpr (std::is_same_v<T, Subscribe>) return DecideSubscribe(c, ctx);
        if constexpr (std::is_same_v<T, ChangeSubscription>) return DecideChange(c, ctx);
        if constexpr (std::is_same_v<T, CancelSubscription>) return DecideCancel(c, ctx);
        if constexpr (std::is_same_v<T, RecordUsage>) return DecideUsage(c, ctx);
        if constexpr (std::is_same_v<T, RunBilling>) return DecideRun(c, ctx);
        if constexpr (std::is_same_v<T, RecordPayment>) return DecidePayment(c, ctx);
        if constexpr (std::is_same_v<T, IssueCreditNote>) return DecideCreditNote(c, ctx);
        if constexpr (std::is_same_v<T, RefundPayment>) return DecideRefund(c, ctx);
        if constexpr (std::is_same_v<T, ReversePayment>) return DecideReversal(c, ctx);
        if constexpr (std::is_same_v<T, VoidInvoice>) return DecideVoid(c, ctx);
        if constexpr (std::is_same_v<T, MarkUncollectible>) return DecideUncollectible(c, ctx);
        if constexpr (std::is_same_v<T, CloseAccount>) return DecideClose(c, ctx);
      },
      command);
}

std::string ClaimValue(const Decision& decision, std::string_view kind, const std::string& id) {
  if (kind != kClaimUsage) return {};
  for (const v1::BillingEvent& e : decision.events) {
    if (e.has_usage_recorded() && e.usage_recorded().usage_id() == id) {
      return EncodeUsageFingerprint(e.usage_recorded());
    }
  }
  ACCRUE_ASSERT(false, "a usage claim comes with its UsageRecorded event");
  return {};
}

}  // namespace accrue::engine
