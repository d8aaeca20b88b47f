// POSIX TZ rule strings (RFC 8536 section 3.3); see tz_rule_internal.h.
#include <date/date.h>

#include <algorithm>
#include <array>

#include "engine/tz_rule_internal.h"

namespace accrue::engine::internal {
namespace {

constexpr int64_t kSecondsPerDay = 86'400;

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool AtEnd() const { return pos_ == text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  // std/dst designation: <...> or 3+ letters.
  bool Name() {
    if (Consume('<')) {
      while (!AtEnd() && Peek() != '>') ++pos_;
      return Consume('>');
    }
    const size_t begin = pos_;
    while (!AtEnd() && ((Peek() >= 'A' && Peek() <= 'Z') || (Peek() >= 'a' && Peek() <= 'z'))) {
      ++pos_;
    }
    return pos_ - begin >= 3;
  }
  bool Number(int max_digits, int64_t& out) {
    const size_t begin = pos_;
    out = 0;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9' &&
           pos_ - begin < static_cast<size_t>(max_digits)) {
      out = out * 10 + (text_[pos_++] - '0');
    }
    return pos_ > begin;
  }
  // [+-]h[hh][:mm[:ss]] in seconds, sign included.
  bool Time(int hour_digits, int64_t& seconds) {
    int64_t sign = 1;
    if (Consume('-')) sign = -1;
    else Consume('+');
    int64_t hours = 0, minutes = 0, secs = 0;
    if (!Number(hour_digits, hours)) return false;
    if (Consume(':')) {
      if (!Number(2, minutes)) return false;
      if (Consume(':') && !Number(2, secs)) return false;
    }
    seconds = sign * (hours * 3600 + minutes * 60 + secs);
    return true;
  }
  bool DateRule(TzDateRule& rule) {
    int64_t a = 0, b = 0, c = 0;
    if (Consume('M')) {
      if (!Number(2, a) || !Consume('.') || !Number(1, b) || !Consume('.') || !Number(1, c)) {
        return false;
      }
      if (a < 1 || a > 12 || b < 1 || b > 5 || c > 6) return false;
      rule = {TzDateRule::Kind::kMonthWeekDay, static_cast<int>(c), static_cast<int>(a),
              static_cast<int>(b), 7200};
    } else if (Consume('J')) {
      if (!Number(3, a) || a < 1 || a > 365) return false;
      rule = {TzDateRule::Kind::kJulianNoLeap, static_cast<int>(a), 0, 0, 7200};
    } else {
      if (!Number(3, a) || a > 365) return false;
      rule = {TzDateRule::Kind::kZeroBasedDay, static_cast<int>(a), 0, 0, 7200};
    }
    if (Consume('/')) return Time(3, rule.time_seconds);
    return true;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// The day (days since 1970-01-01) on which `rule` falls in `year`.
int64_t RuleDay(const TzDateRule& rule, int year) {
  const date::year y{year};
  switch (rule.kind) {
    case TzDateRule::Kind::kJulianNoLeap: {
      // Day n of 1..365, Feb 29 never counted.
      int64_t day = date::sys_days(y / 1 / 1).time_since_epoch().count() + rule.day - 1;
      if (y.is_leap() && rule.day >= 60) ++day;
      return day;
    }
    case TzDateRule::Kind::kZeroBasedDay:
      return date::sys_days(y / 1 / 1).time_since_epoch().count() + rule.day;
    case TzDateRule::Kind::kMonthWeekDay:
      break;
  }
  const date::weekday wd{static_cast<unsigned>(rule.day)};
  const date::month m{static_cast<unsigned>(rule.month)};
  if (rule.week == 5) return date::sys_days(y / m / wd[date::last]).time_since_epoch().count();
  return date::sys_days(y / m / wd[static_cast<unsigned>(rule.week)]).time_since_epoch().count();
}

struct Change {
  int64_t utc_seconds;
  bool to_dst;
};

// The two changes of `year` in UTC: DST starts at local standard time, ends at
// local daylight time.
std::array<Change, 2> ChangesIn(const PosixTzRule& r, int year) {
  const int64_t start =
      RuleDay(r.start, year) * kSecondsPerDay + r.start.time_seconds - r.std_offset_seconds;
  const int64_t end =
      RuleDay(r.end, year) * kSecondsPerDay + r.end.time_seconds - r.dst_offset_seconds;
  return {Change{start, true}, Change{end, false}};
}

int YearOf(int64_t utc_seconds) {
  const date::sys_days day{date::days{utc_seconds >= 0 ? utc_seconds / kSecondsPerDay
                                                       : -((-utc_seconds - 1) / kSecondsPerDay) - 1}};
  return static_cast<int>(date::year_month_day(day).year());
}

// Changes of the years around t, sorted by instant.
std::array<Change, 6> ChangesAround(const PosixTzRule& r, int64_t utc_seconds) {
  const int year = YearOf(utc_seconds);
  std::array<Change, 6> all{};
  for (int i = 0; i < 3; ++i) {
    const auto pair = ChangesIn(r, year - 1 + i);
    all[static_cast<size_t>(2 * i)] = pair[0];
    all[static_cast<size_t>(2 * i + 1)] = pair[1];
  }
  std::sort(all.begin(), all.end(),
            [](const Change& a, const Change& b) { return a.utc_seconds < b.utc_seconds; });
  return all;
}

}  // namespace

std::optional<PosixTzRule> PosixTzRule::Parse(std::string_view text) {
  Cursor in(text);
  PosixTzRule rule;
  int64_t posix_offset = 0;
  if (!in.Name() || !in.Time(2, posix_offset)) return std::nullopt;
  rule.std_offset_seconds = -posix_offset;  // POSIX counts west positive
  if (in.AtEnd()) return rule;
  if (!in.Name()) return std::nullopt;
  rule.has_dst = true;
  rule.dst_offset_seconds = rule.std_offset_seconds + 3600;
  if (in.Peek() != ',') {
    if (!in.Time(2, posix_offset)) return std::nullopt;
    rule.dst_offset_seconds = -posix_offset;
  }
  if (!in.Consume(',') || !in.DateRule(rule.start) || !in.Consume(',') ||
      !in.DateRule(rule.end) || !in.AtEnd()) {
    return std::nullopt;  // tzdata always writes explicit rules
  }
  return rule;
}

int64_t PosixTzRule::OffsetAt(int64_t utc_seconds) const {
  if (!has_dst) return std_offset_seconds;
  bool in_dst = false;
  for (const Change& change : ChangesAround(*this, utc_seconds)) {
    if (change.utc_seconds > utc_seconds) break;
    in_dst = change.to_dst;
  }
  return in_dst ? dst_offset_seconds : std_offset_seconds;
}

std::optional<int64_t> PosixTzRule::NextChangeAfter(int64_t utc_seconds) const {
  if (!has_dst) return std::nullopt;
  for (const Change& change : ChangesAround(*this, utc_seconds)) {
    if (change.utc_seconds > utc_seconds) return change.utc_seconds;
  }
  return std::nullopt;
}

}  // namespace accrue::engine::internal
