// Calendar: RFC 3339 instants (R-C1, D-12, D-13), IANA zones (R-C2, D-15, D-32)
// and billing periods from an anchor (R-C3, R-C4, D-31).
//
// Zone rules come from Howard Hinnant's date/tz reading the system tzdata. Every
// date:: name is qualified: with C++20 on GCC 12, `using namespace date` next to
// std::chrono makes sys_days ambiguous (toolchain-notes.md).
#include "engine/calendar.h"

#include <date/date.h>
#include <date/tz.h>

#include <boost/multiprecision/cpp_int.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include "engine/tz_rule_internal.h"
#include "events/assert.h"

namespace accrue::engine {
namespace {

using Micros = std::chrono::microseconds;
constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 86'400;
constexpr char kZoneinfoDir[] = "/usr/share/zoneinfo/";
constexpr char kTzdataZi[] = "/usr/share/zoneinfo/tzdata.zi";
// Margin between the last stored transition and the first date whose midnight the
// footer rule resolves: the rule's next change is months after the last stored one.
constexpr int64_t kFooterMarginSeconds = 2 * 86'400;
constexpr int kMaxYear = 9999;
// The last year of a period boundary AddMonths computes; boundaries after kMaxYear
// exist but are never due (D-31). Days of every date up to it, and the products
// the civil conversions below form with them, fit in int64.
constexpr int64_t kMaxPeriodYear = 1'000'000'000'000'000;

date::year_month_day ToCivil(LocalDate d) {
  return date::year_month_day(date::sys_days(date::days(static_cast<int>(d.days))));
}

LocalDate FromCivil(const date::year_month_day& ymd) {
  return LocalDate{int64_t{date::sys_days(ymd).time_since_epoch().count()}};
}

// Proleptic Gregorian civil dates of any year up to kMaxPeriodYear (date::year
// stops at 32767). Days are counted from 1970-01-01; a 400-year era has 146,097
// days and starts on March 1 so that the leap day ends the year.
struct Civil {
  int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

constexpr int64_t kDaysPerEra = 146'097;
constexpr int64_t kFirstFourDigitDay = -719'528;  // 0000-01-01
constexpr int64_t kLastFourDigitDay = 2'932'896;  // 9999-12-31
constexpr int64_t kDaysFrom0000_03_01To1970 = 719'468;

int64_t FloorDivBy(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

Civil CivilOf(LocalDate d) {
  const int64_t z = d.days + kDaysFrom0000_03_01To1970;
  const int64_t era = FloorDivBy(z, kDaysPerEra);
  const int64_t day_of_era = z - era * kDaysPerEra;                                   // [0, 146096]
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;  // [0, 399]
  const int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t march_month = (5 * day_of_year + 2) / 153;                            // 0 = March
  const unsigned day = static_cast<unsigned>(day_of_year - (153 * march_month + 2) / 5 + 1);
  const unsigned month = static_cast<unsigned>(march_month < 10 ? march_month + 3 : march_month - 9);
  return Civil{year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

LocalDate DateOf(int64_t year, unsigned month, unsigned day) {
  const int64_t y = year - (month <= 2 ? 1 : 0);
  const int64_t era = FloorDivBy(y, 400);
  const int64_t year_of_era = y - era * 400;
  const int64_t march_month = month > 2 ? month - 3 : month + 9;
  const int64_t day_of_year = (153 * march_month + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return LocalDate{era * kDaysPerEra + day_of_era - kDaysFrom0000_03_01To1970};
}

unsigned LastDayOfMonth(int64_t year, unsigned month) {
  static constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Reads `count` ASCII digits at text[pos]; false on anything else.
bool ReadDigits(std::string_view text, size_t pos, size_t count, int& out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

bool Expect(std::string_view text, size_t pos, char c) {
  return pos < text.size() && text[pos] == c;
}

// D-12 bounds: [0001-01-02T00:00:00Z, 9999-12-31T00:00:00Z).
int64_t MicrosAtMidnight(int year, unsigned month, unsigned day) {
  return int64_t{MakeDate(year, month, day).days} * kSecondsPerDay * kMicrosPerSecond;
}

// The Zone and Link names of the installed tzdata.zi (D-15), read once.
const std::set<std::string, std::less<>>& ValidZoneNames() {
  static const std::set<std::string, std::less<>> names = [] {
    std::set<std::string, std::less<>> result;
    std::ifstream in(kTzdataZi);
    std::string line;
    while (std::getline(in, line)) {
      // "Z NAME ..." declares a zone; "L TARGET LINKNAME" declares a link.
      if (line.size() < 2 || line[1] != ' ' || (line[0] != 'Z' && line[0] != 'L')) continue;
      std::istringstream fields(line);
      std::string kind, first, second;
      fields >> kind >> first >> second;
      result.insert(kind == "Z" ? first : second);
    }
    return result;
  }();
  return names;
}

// What TimeZone::impl_ points to. `zone` is null only for "Factory" (UTC+0, not
// loaded by date/tz). `footer` continues the zone after its last stored transition
// (`footer_from`, UTC seconds); see tz_rule_internal.h for why.
struct ZoneImpl {
  const date::time_zone* zone = nullptr;
  std::optional<internal::PosixTzRule> footer;
  int64_t footer_from = 0;
};

// The TZif footer of the zone file: its last non-empty line, e.g. "EST5EDT,M3.2.0,M11.1.0".
std::optional<internal::PosixTzRule> ReadFooterRule(const std::string& name) {
  std::ifstream in(std::string(kZoneinfoDir) + name, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!data.empty() && data.back() == '\n') data.pop_back();
  const size_t newline = data.rfind('\n');
  if (newline == std::string::npos) return std::nullopt;
  auto rule = internal::PosixTzRule::Parse(std::string_view(data).substr(newline + 1));
  if (!rule || !rule->has_dst) return std::nullopt;  // fixed offsets: date/tz is right
  return rule;
}

const ZoneImpl& Impl(const void* impl) { return *static_cast<const ZoneImpl*>(impl); }

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// D-32 through a footer rule: local second `local_seconds` read with either offset;
// the earliest reading that the rule confirms, or the change inside the gap.
int64_t FooterMidnight(const internal::PosixTzRule& rule, int64_t local_seconds) {
  const int64_t as_std = local_seconds - rule.std_offset_seconds;
  const int64_t as_dst = local_seconds - rule.dst_offset_seconds;
  const bool std_ok = rule.OffsetAt(as_std) == rule.std_offset_seconds;
  const bool dst_ok = rule.OffsetAt(as_dst) == rule.dst_offset_seconds;
  if (std_ok && dst_ok) return std::min(as_std, as_dst);  // ambiguous: the first
  if (std_ok) return as_std;
  if (dst_ok) return as_dst;
  // Nonexistent: the clocks jumped over it; the change lies between the readings.
  const auto change = rule.NextChangeAfter(std::min(as_std, as_dst));
  ACCRUE_ASSERT(change.has_value(), "a gap without an offset change");
  return *change;
}

}  // namespace

std::optional<Instant> ParseInstant(std::string_view text) {
  // YYYY-MM-DD(T|t)HH:MM:SS[.f{1,6}](Z|z|(+|-)HH:MM)
  int year, month, day, hour, minute, second;
  if (!ReadDigits(text, 0, 4, year) || !Expect(text, 4, '-') || !ReadDigits(text, 5, 2, month) ||
      !Expect(text, 7, '-') || !ReadDigits(text, 8, 2, day) ||
      !(Expect(text, 10, 'T') || Expect(text, 10, 't')) || !ReadDigits(text, 11, 2, hour) ||
      !Expect(text, 13, ':') || !ReadDigits(text, 14, 2, minute) || !Expect(text, 16, ':') ||
      !ReadDigits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;  // no leap second
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  size_t pos = 19;
  int64_t fraction_micros = 0;
  if (Expect(text, pos, '.')) {
    const size_t begin = ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    const size_t digits = pos - begin;
    if (digits < 1 || digits > 6) return std::nullopt;  // 7+ is rejected, never truncated
    for (size_t i = 0; i < 6; ++i) {
      fraction_micros = fraction_micros * 10 + (i < digits ? text[begin + i] - '0' : 0);
    }
  }
  int64_t offset_seconds = 0;
  if (Expect(text, pos, 'Z') || Expect(text, pos, 'z')) {
    ++pos;
  } else if (Expect(text, pos, '+') || Expect(text, pos, '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    int offset_hours, offset_minutes;
    if (!ReadDigits(text, pos + 1, 2, offset_hours) || !Expect(text, pos + 3, ':') ||
        !ReadDigits(text, pos + 4, 2, offset_minutes) || offset_hours > 23 ||
        offset_minutes > 59) {
      return std::nullopt;
    }
    offset_seconds = sign * (int64_t{offset_hours} * 3600 + offset_minutes * 60);
    pos += 6;
  } else {
    return std::nullopt;  // a missing offset
  }
  if (pos != text.size()) return std::nullopt;
  const int64_t day_number = date::sys_days(ymd).time_since_epoch().count();
  const int64_t seconds =
      day_number * kSecondsPerDay + hour * 3600 + minute * 60 + second - offset_seconds;
  const int64_t micros = seconds * kMicrosPerSecond + fraction_micros;
  static const int64_t kMinMicros = MicrosAtMidnight(1, 1, 2);
  static const int64_t kEndMicros = MicrosAtMidnight(kMaxYear, 12, 31);
  if (micros < kMinMicros || micros >= kEndMicros) return std::nullopt;
  return Instant{micros};
}

namespace {

// Writes v (< 10^width) as `width` decimal digits at p.
void PutDigits(char* p, unsigned v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

// "YYYY-MM-DD" at p (10 bytes) for a year of 0..9999.
void PutDate(char* p, const date::year_month_day& ymd) {
  PutDigits(p, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  p[4] = '-';
  PutDigits(p + 5, static_cast<unsigned>(ymd.month()), 2);
  p[7] = '-';
  PutDigits(p + 8, static_cast<unsigned>(ymd.day()), 2);
}

bool FourDigitYear(const date::year_month_day& ymd) {
  return static_cast<int>(ymd.year()) >= 0 && static_cast<int>(ymd.year()) <= kMaxYear;
}

}  // namespace

// Digits are written directly (no printf-family call) for years 0..9999, every
// year an Instant or LocalDate of the contract has; other years keep the printf
// form ("%04d" of a negative or five-digit year).
std::string FormatInstant(Instant t) {
  const Micros since_epoch{t.micros};
  const auto day = date::floor<date::days>(date::sys_time<Micros>(since_epoch));
  const date::year_month_day ymd(day);
  const int64_t micros_of_day = (date::sys_time<Micros>(since_epoch) - day).count();
  const int64_t seconds_of_day = micros_of_day / kMicrosPerSecond;
  const int64_t micros = micros_of_day % kMicrosPerSecond;
  char buffer[40];
  int n = 0;
  if (FourDigitYear(ymd)) {
    PutDate(buffer, ymd);
    buffer[10] = 'T';
    PutDigits(buffer + 11, static_cast<unsigned>(seconds_of_day / 3600), 2);
    buffer[13] = ':';
    PutDigits(buffer + 14, static_cast<unsigned>(seconds_of_day / 60 % 60), 2);
    buffer[16] = ':';
    PutDigits(buffer + 17, static_cast<unsigned>(seconds_of_day % 60), 2);
    n = 19;
    if (micros != 0) {
      buffer[19] = '.';
      PutDigits(buffer + 20, static_cast<unsigned>(micros), 6);
      n = 26;
    }
  } else {
    n = std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d",
                      static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                      static_cast<unsigned>(ymd.day()), static_cast<int>(seconds_of_day / 3600),
                      static_cast<int>(seconds_of_day / 60 % 60),
                      static_cast<int>(seconds_of_day % 60));
    if (micros != 0) {
      n += std::snprintf(buffer + n, sizeof buffer - static_cast<size_t>(n), ".%06d",
                         static_cast<int>(micros));
    }
  }
  buffer[n++] = 'Z';
  return std::string(buffer, static_cast<size_t>(n));
}

std::string FormatDate(LocalDate d) {
  char buffer[40];
  if (d.days >= kFirstFourDigitDay && d.days <= kLastFourDigitDay) {
    PutDate(buffer, ToCivil(d));
    return std::string(buffer, 10);
  }
  // Years after 9999 (D-31: period boundaries far in the future are
  // real dates, printed with every digit of their year).
  const Civil c = CivilOf(d);
  const int n = std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02u",
                              static_cast<long long>(c.year), c.month, c.day);
  return std::string(buffer, static_cast<size_t>(n));
}

LocalDate MakeDate(int year, unsigned month, unsigned day) {
  const date::year_month_day ymd{date::year{year}, date::month{month}, date::day{day}};
  ACCRUE_ASSERT(ymd.ok(), "MakeDate: not a calendar date");
  return FromCivil(ymd);
}

std::optional<LocalDate> ParseDate(std::string_view text) {
  int year, month, day;
  if (text.size() != 10 || !ReadDigits(text, 0, 4, year) || !Expect(text, 4, '-') ||
      !ReadDigits(text, 5, 2, month) || !Expect(text, 7, '-') || !ReadDigits(text, 8, 2, day)) {
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return FromCivil(ymd);
}

const std::vector<std::string>& TimeZoneNames() {
  static const std::vector<std::string> names(ValidZoneNames().begin(), ValidZoneNames().end());
  return names;
}

const TimeZone* TimeZone::Find(std::string_view name) {
  // "UTC" (the contract's default zone) has offset 0 at every instant: answered
  // without reading tzdata.zi or date/tz's zone directory (~10 ms at the first
  // lookup, paid by every short-lived `accrue inspect`). Same result as the file.
  if (name == "UTC") {
    static const ZoneImpl kUtcImpl;  // zone == nullptr: a fixed offset of 0
    static const TimeZone kUtc("UTC", &kUtcImpl);
    return &kUtc;
  }
  // Zones this thread has found before (a zone, once made, lives as long as the
  // process; at most one entry per valid name): no name set, lock or map walk for
  // the zone of every usage command.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  thread_local std::unordered_map<std::string, const TimeZone*, NameHash, std::equal_to<>> found;
  if (auto seen = found.find(name); seen != found.end()) return seen->second;
  const TimeZone* zone = FindOrMake(name);
  if (zone != nullptr) found.emplace(std::string(name), zone);
  return zone;
}

const TimeZone* TimeZone::FindOrMake(std::string_view name) {
  const auto& valid = ValidZoneNames();
  if (valid.find(name) == valid.end()) return nullptr;
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<TimeZone>, std::less<>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(name);
  if (it != cache.end()) return it->second.get();
  static std::vector<std::unique_ptr<ZoneImpl>> impls;  // live as long as the cache
  auto impl = std::make_unique<ZoneImpl>();
  try {
    impl->zone = date::locate_zone(name);
  } catch (const std::exception&) {
    // date/tz skips "Factory" (a Zone of tzdata.zi, offset 0 always): a null zone
    // means a fixed UTC offset of 0.
    impl->zone = nullptr;
  }
  if (impl->zone != nullptr) {
    impl->footer = ReadFooterRule(std::string(name));
    if (impl->footer) {
      // The last stored transition: date/tz's final sys_info starts there.
      const auto far = date::sys_days(date::year{3000} / 1 / 1);
      impl->footer_from = impl->zone->get_info(far).begin.time_since_epoch().count();
    }
  }
  auto zone = std::make_unique<TimeZone>(std::string(name), impl.get());
  impls.push_back(std::move(impl));
  const TimeZone* result = zone.get();
  cache.emplace(std::string(name), std::move(zone));
  return result;
}

LocalDate TimeZone::LocalDateOf(Instant t) const {
  const ZoneImpl& impl = Impl(impl_);
  const int64_t utc_seconds = FloorDiv(t.micros, kMicrosPerSecond);
  int64_t offset_seconds = 0;
  if (impl.footer && utc_seconds >= impl.footer_from) {
    offset_seconds = impl.footer->OffsetAt(utc_seconds);
  } else if (impl.zone != nullptr) {
    offset_seconds =
        impl.zone->get_info(date::sys_seconds(std::chrono::seconds(utc_seconds))).offset.count();
  }
  return LocalDate{FloorDiv(utc_seconds + offset_seconds, kSecondsPerDay)};
}

Instant TimeZone::LocalMidnight(LocalDate d) const {
  // D-31: a boundary after 9999-12-31 is never due; its midnight is after every
  // instant a command can carry (D-12), and d.days * 86,400 could overflow.
  if (d.IsFarFuture()) return Instant{std::numeric_limits<int64_t>::max()};
  const ZoneImpl& impl = Impl(impl_);
  const int64_t midnight_seconds = int64_t{d.days} * kSecondsPerDay;
  if (impl.zone == nullptr) return Instant{midnight_seconds * kMicrosPerSecond};
  if (impl.footer && midnight_seconds - kFooterMarginSeconds >= impl.footer_from) {
    return Instant{FooterMidnight(*impl.footer, midnight_seconds) * kMicrosPerSecond};
  }
  const date::local_seconds local{std::chrono::seconds{midnight_seconds}};
  const date::local_info info = impl.zone->get_info(local);
  int64_t utc_seconds = 0;
  switch (info.result) {
    case date::local_info::unique:
    case date::local_info::ambiguous:  // D-32: the first instant (earlier offset)
      utc_seconds = midnight_seconds - info.first.offset.count();
      break;
    case date::local_info::nonexistent:  // D-32: the first instant after the gap
      utc_seconds = info.second.begin.time_since_epoch().count();
      break;
  }
  return Instant{utc_seconds * kMicrosPerSecond};
}

LocalDate AddMonths(LocalDate anchor, int64_t months) {
  ACCRUE_ASSERT(months >= 0, "AddMonths: months must be >= 0");
  if (anchor >= LocalDate::FarFuture()) return LocalDate::FarFuture();
  const Civil a = CivilOf(anchor);
  const int64_t month_index = a.year * 12 + (a.month - 1);
  constexpr int64_t kLastMonthIndex = kMaxPeriodYear * 12 + 11;
  if (months > kLastMonthIndex - month_index) return LocalDate::FarFuture();  // D-31
  const int64_t target = month_index + months;
  const int64_t year = FloorDivBy(target, 12);
  const unsigned month = static_cast<unsigned>(target - year * 12 + 1);
  return DateOf(year, month, std::min(a.day, LastDayOfMonth(year, month)));  // R-C3 clamp
}

std::string FormatDateAfterMonths(LocalDate anchor, std::string_view months, int64_t multiple) {
  using BigInt = boost::multiprecision::cpp_int;
  ACCRUE_ASSERT(multiple >= 1 && !months.empty() &&
                    months.find_first_not_of("0123456789") == std::string_view::npos,
                "FormatDateAfterMonths: bad arguments");
  const Civil a = CivilOf(anchor);
  const BigInt target = BigInt(a.year) * 12 + (a.month - 1) + BigInt(std::string(months)) * multiple;
  const BigInt year = target / 12;  // target > 0: the anchor's year is >= 1
  const unsigned month = static_cast<unsigned>(static_cast<int>(target % 12)) + 1;
  const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  // R-C3 clamp: LastDayOfMonth asks only whether the year is a leap year.
  const unsigned last = LastDayOfMonth(leap ? 2000 : 2001, month);
  char tail[8];
  std::snprintf(tail, sizeof tail, "-%02u-%02u", month, std::min(a.day, last));
  std::string digits = year.str();
  if (digits.size() < 4) digits.insert(0, 4 - digits.size(), '0');
  return digits + tail;
}

std::string DaysAfterMonths(LocalDate anchor, std::string_view months) {
  using BigInt = boost::multiprecision::cpp_int;
  ACCRUE_ASSERT(!months.empty() && months.find_first_not_of("0123456789") == std::string_view::npos,
                "DaysAfterMonths: bad months");
  constexpr int64_t kCycleMonths = 4800;   // 400 years
  constexpr int64_t kCycleDays = 146097;   // in every 400 Gregorian years
  const BigInt n(std::string{months});
  const int64_t rest = static_cast<int64_t>(n % kCycleMonths);
  const BigInt days = (n / kCycleMonths) * kCycleDays + Days(anchor, AddMonths(anchor, rest));
  return days.str();
}

Period PeriodAt(LocalDate anchor, int64_t months_per_period, int64_t k) {
  ACCRUE_ASSERT(months_per_period >= 1 && k >= 0, "PeriodAt: bad arguments");
  int64_t start_months, end_months;
  const bool start_overflow = __builtin_mul_overflow(k, months_per_period, &start_months);
  const bool end_overflow = start_overflow ||
                            __builtin_add_overflow(start_months, months_per_period, &end_months);
  // Always from the anchor, never from the previous period (R-C3).
  return Period{start_overflow ? LocalDate::FarFuture() : AddMonths(anchor, start_months),
                end_overflow ? LocalDate::FarFuture() : AddMonths(anchor, end_months)};
}

int64_t PeriodIndexContaining(LocalDate anchor, int64_t months_per_period, LocalDate d) {
  ACCRUE_ASSERT(months_per_period >= 1, "PeriodIndexContaining: bad interval");
  ACCRUE_ASSERT(d >= anchor, "PeriodIndexContaining: date before the anchor");
  const Civil a = CivilOf(anchor);
  const Civil b = CivilOf(d);
  const int64_t months_between =
      (b.year - a.year) * 12 + (int64_t{b.month} - int64_t{a.month});
  // Period k starts in month anchor + k*n, so k is months/n or one less (when the
  // clamped start day of that month is still after d). Its end lies in a later
  // month than d, so it is always after d.
  int64_t k = months_between / months_per_period;
  if (k > 0 && PeriodAt(anchor, months_per_period, k).start > d) --k;
  return k;
}

}  // namespace accrue::engine
