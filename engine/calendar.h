// Calendar: UTC instants, local civil dates, time zones and billing periods.
//
// R-C1: instants are RFC 3339 (D-12), stored as UTC microseconds; printed per D-13.
// R-C2: each account has an IANA zone (D-15); billing periods are local dates; a
// period [S, E) runs from local midnight of S to local midnight of E; a midnight
// that does not exist is the first instant after the gap, an ambiguous one is its
// first instant (D-32).
// R-C3: period k of an anchor is [AddMonths(anchor, k*n), AddMonths(anchor, (k+1)*n)),
// always from the anchor, day-of-month clamped. R-C4: Days(a, b) counts calendar days.
//
// Dates beyond 9999-12-31 exist but are never due (D-31): a period boundary up to
// year 10^15 is the real date and prints with every digit of its year; past that,
// AddMonths saturates to LocalDate::FarFuture() instead of overflowing, and the
// exact far end and length come from FormatDateAfterMonths / DaysAfterMonths, so
// proration always divides by the real period length (R-S4, R-S6).
//
// Howard Hinnant's date/tz does the zone work inside calendar.cpp only, to keep this
// header light. Thread-safety: TimeZone objects are immutable and live for the
// process; every function is pure and thread-safe.
#ifndef ACCRUE_ENGINE_CALENDAR_H_
#define ACCRUE_ENGINE_CALENDAR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accrue::engine {

// A UTC instant, microseconds since 1970-01-01T00:00:00Z.
struct Instant {
  int64_t micros = 0;
  auto operator<=>(const Instant&) const = default;
};

// A civil date, days since 1970-01-01 (proleptic Gregorian).
struct LocalDate {
  int64_t days = 0;
  auto operator<=>(const LocalDate&) const = default;
  // Where AddMonths saturates: after every date it computes (year 10^15 ends near
  // day 3.65e17); never due.
  static constexpr LocalDate FarFuture() { return LocalDate{int64_t{1} << 62}; }
  // After 9999-12-31 (day 2932896): never due (D-31), also when it is a real date.
  bool IsFarFuture() const { return days > 2932896; }
};

// D-12: parses an RFC 3339 date-time; nullopt -> invalid_field. Rejects bare dates,
// missing offsets, space separators, leap seconds, 7+ fraction digits, and instants
// outside [0001-01-02T00:00:00Z, 9999-12-31T00:00:00Z).
std::optional<Instant> ParseInstant(std::string_view text);

// D-13: "2024-02-01T00:00:00Z", or "2024-02-29T23:59:59.999999Z" when micros != 0.
std::string FormatInstant(Instant t);

// "2024-01-31".
std::string FormatDate(LocalDate d);
LocalDate MakeDate(int year, unsigned month, unsigned day);  // asserts a valid date

// "YYYY-MM-DD" with a real calendar date (exactly 10 characters), else nullopt.
// Not a D-12 instant: for tests, tools and configuration, never for command fields.
std::optional<LocalDate> ParseDate(std::string_view text);

// Every name TimeZone::Find accepts (D-15), sorted; read once from tzdata.zi.
const std::vector<std::string>& TimeZoneNames();

class TimeZone {
 public:
  // D-15: a Zone or Link name of the installed tzdata (tzdata.zi), case-sensitive.
  // nullptr for anything else ("localtime", "posixrules", "+05:00", ...).
  // The returned object lives for the whole process.
  // Thread-safe; each thread remembers the zones it found (no lock after that).
  static const TimeZone* Find(std::string_view name);

  const std::string& name() const { return name_; }

  // The local calendar date of instant t in this zone.
  LocalDate LocalDateOf(Instant t) const;
  // The instant of local midnight starting date d (D-32 for gaps and overlaps);
  // after every instant for a date after 9999-12-31 (never due, D-31).
  Instant LocalMidnight(LocalDate d) const;

  explicit TimeZone(std::string name, const void* impl) : name_(std::move(name)), impl_(impl) {}

 private:
  // Find without the per-thread memo: validates the name, makes the zone once.
  static const TimeZone* FindOrMake(std::string_view name);

  std::string name_;
  const void* impl_;  // calendar.cpp's ZoneImpl (date/tz zone + TZif footer rule)
};

// R-C3: anchor + months, keeping the anchor's day-of-month, clamped to the month's
// last day (Jan 31 + 1 = Feb 29 in 2024). Saturates to LocalDate::FarFuture() past
// the year 10^15. months >= 0.
LocalDate AddMonths(LocalDate anchor, int64_t months);

// D-31: AddMonths(anchor, months x multiple) printed as FormatDate would, for any
// decimal `months` (no upper bound: a plan's interval x interval_count), with every
// digit of the year. For the ends that AddMonths saturates. multiple >= 1.
std::string FormatDateAfterMonths(LocalDate anchor, std::string_view months, int64_t multiple);

// D-31, R-C4: days(anchor, AddMonths(anchor, months)) in decimal digits, for any
// decimal `months` (a saturated plan's exact interval x interval_count). R-C3 dates
// repeat every 400 years: 4,800 months after any date are 146,097 days after it.
std::string DaysAfterMonths(LocalDate anchor, std::string_view months);

struct Period {
  LocalDate start;
  LocalDate end;  // exclusive
};

// Period k (k >= 0) of an anchor with `months_per_period` months (R-C3).
Period PeriodAt(LocalDate anchor, int64_t months_per_period, int64_t k);

// The index k of the period containing d (d >= anchor).
int64_t PeriodIndexContaining(LocalDate anchor, int64_t months_per_period, LocalDate d);

// R-C4: number of calendar days from a to b (b - a).
inline int64_t Days(LocalDate a, LocalDate b) { return int64_t{b.days} - a.days; }

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_CALENDAR_H_
