#include "engine/state.h"

#include "events/assert.h"

#include <charconv>

namespace accrue::engine {

const TermsChange& Subscription::TermsAt(LocalDate d) const {
  ACCRUE_ASSERT(!timeline.empty(), "a subscription has its start terms");
  // The timeline is short and ascending; the last entry with from <= d wins.
  for (std::size_t i = timeline.size(); i-- > 1;) {
    if (timeline[i].from <= d) return timeline[i];
  }
  return timeline.front();
}

std::string Subscription::PeriodEndText(int64_t k, LocalDate end) const {
  if (exact_period_months.empty() || end != PeriodOf(k).end) return FormatDate(end);
  return FormatDateAfterMonths(anchor, exact_period_months, k + 1);  // D-31
}

std::optional<Int128> Subscription::Prorated(int64_t k, const TermsChange& t, LocalDate from, LocalDate to,
                                             int exponent) const {
  const Period p = PeriodOf(k);
  const Decimal price = DecimalFromMinorUnits(t.terms.amount, exponent);
  const Decimal quantity = DecimalFromInt(t.quantity);
  // A saturated period k > 0 starts after the year 10^15: never reached (D-31).
  if (exact_period_months.empty() || k != 0) {
    return RoundProduct(price, quantity, Days(from, to), Days(p.start, p.end), exponent);
  }
  // Until 2026-12-06 P was the saturated period's 10^16 months (rules audit).
  const std::string period_days = DaysAfterMonths(anchor, exact_period_months);
  if (to == p.end) {  // days(from, E) = P - days(S, from)
    return RoundProductBig(price, quantity, period_days, Days(p.start, from), period_days, exponent);
  }
  return RoundProductBig(price, quantity, std::to_string(Days(from, to)), 0, period_days, exponent);
}

std::string Plan::ExactPeriodMonths() const {
  if (interval == Interval::kMonth) return interval_count;
  std::string out(interval_count.size() + 2, '0');  // digits x 12, right to left
  int carry = 0;
  for (std::size_t i = interval_count.size(); i-- > 0;) {
    const int v = (interval_count[i] - '0') * 12 + carry;
    out[i + 2] = static_cast<char>('0' + v % 10);
    carry = v / 10;
  }
  out[1] = static_cast<char>('0' + carry % 10);
  out[0] = static_cast<char>('0' + carry / 10);
  const std::size_t first = out.find_first_not_of('0');
  return first == std::string::npos ? "0" : out.substr(first);
}

Subscription* AccountState::FindSubscription(const std::string& id) {
  auto it = subscription_index.find(id);
  return it == subscription_index.end() ? nullptr : &subscriptions[it->second];
}
const Subscription* AccountState::FindSubscription(const std::string& id) const {
  auto it = subscription_index.find(id);
  return it == subscription_index.end() ? nullptr : &subscriptions[it->second];
}
Payment* AccountState::FindPayment(const std::string& id) {
  auto it = payment_index.find(id);
  return it == payment_index.end() ? nullptr : &payments[it->second];
}
const Payment* AccountState::FindPayment(const std::string& id) const {
  auto it = payment_index.find(id);
  return it == payment_index.end() ? nullptr : &payments[it->second];
}

Invoice* AccountState::FindInvoice(const std::string& id) {
  return const_cast<Invoice*>(static_cast<const AccountState*>(this)->FindInvoice(id));
}
const Invoice* AccountState::FindInvoice(const std::string& id) const {
  // R-I2: "<account_id>-<number>".
  if (id.size() <= account_id.size() + 1 || id.compare(0, account_id.size(), account_id) != 0 ||
      id[account_id.size()] != '-') {
    return nullptr;
  }
  const char* first = id.data() + account_id.size() + 1;
  const char* last = id.data() + id.size();
  if (*first == '0') return nullptr;
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(first, last, n);
  if (ec != std::errc() || ptr != last || n < 1 || n > static_cast<int64_t>(invoices.size())) {
    return nullptr;
  }
  return &invoices[static_cast<std::size_t>(n - 1)];
}

}  // namespace accrue::engine
