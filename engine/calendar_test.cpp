// Tests of the calendar: RFC 3339 instants (R-C1, D-12, D-13), zone names (D-15),
// local midnight through DST (R-C2, D-32) and billing periods (R-C3, R-C4, D-31).
//
// Local midnight is checked against its definition rather than a second
// implementation: LocalMidnight(d) is the first instant whose local date is >= d,
// i.e. LocalDateOf(t) >= d and LocalDateOf(t - 1us) < d; LocalDateOf(t) == d
// unless d is a skipped day, which then shares the next day's midnight.
#include "engine/calendar.h"
#include "engine/tz_rule_internal.h"

#include <date/date.h>
#include <date/tz.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace accrue::engine {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;

std::string Roundtrip(std::string_view text) {
  auto t = ParseInstant(text);
  return t ? FormatInstant(*t) : "invalid";
}

LocalDate Date(const char* text) {
  auto d = ParseDate(text);
  EXPECT_TRUE(d.has_value()) << text;
  return d.value_or(LocalDate{});
}

std::string Midnight(const char* zone, const char* date) {
  const TimeZone* tz = TimeZone::Find(zone);
  EXPECT_NE(tz, nullptr) << zone;
  return tz ? FormatInstant(tz->LocalMidnight(Date(date))) : "";
}

// The D-32 definition of local midnight, for one (zone, date).
void ExpectValidMidnight(const TimeZone& tz, LocalDate d) {
  const Instant t = tz.LocalMidnight(d);
  const LocalDate at = tz.LocalDateOf(t);
  const LocalDate before = tz.LocalDateOf(Instant{t.micros - 1});
  EXPECT_GE(at, d) << tz.name() << " " << FormatDate(d);
  EXPECT_LT(before, d) << tz.name() << " " << FormatDate(d);
  if (at != d) {  // a skipped day shares the next existing day's midnight
    EXPECT_EQ(tz.LocalMidnight(at), t) << tz.name() << " " << FormatDate(d);
  }
}

int DaysInMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

TEST(InstantTest, ParseTable) {
  EXPECT_EQ(Roundtrip("2024-01-31T15:00:00Z"), "2024-01-31T15:00:00Z");
  EXPECT_EQ(Roundtrip("2024-01-31t15:00:00z"), "2024-01-31T15:00:00Z");
  EXPECT_EQ(Roundtrip("2024-03-01T00:30:00+01:00"), "2024-02-29T23:30:00Z");
  EXPECT_EQ(Roundtrip("2024-02-29T23:30:00-00:00"), "2024-02-29T23:30:00Z");
  EXPECT_EQ(Roundtrip("2024-02-29T20:00:00-23:59"), "2024-03-01T19:59:00Z");
  EXPECT_EQ(Roundtrip("2024-02-29T23:59:59.999999Z"), "2024-02-29T23:59:59.999999Z");
  EXPECT_EQ(Roundtrip("2024-02-29T23:59:59.5Z"), "2024-02-29T23:59:59.500000Z");
  EXPECT_EQ(Roundtrip("2024-02-29T23:59:59.000000Z"), "2024-02-29T23:59:59Z");
  EXPECT_EQ(Roundtrip("0001-01-02T00:00:00Z"), "0001-01-02T00:00:00Z");
  EXPECT_EQ(Roundtrip("9999-12-30T23:59:59.999999Z"), "9999-12-30T23:59:59.999999Z");
  EXPECT_EQ(Roundtrip("9999-12-31T01:00:00+02:00"), "9999-12-30T23:00:00Z");
  for (const char* bad : {
           "0001-01-01T23:59:59Z",           // before the range
           "0001-01-02T00:30:00+01:00",      // before the range after the offset
           "9999-12-31T00:00:00Z",           // range end is exclusive
           "2024-01-31T15:00:00.1234567Z",   // 7 fraction digits
           "2024-01-31T15:00:00.Z",          // empty fraction
           "2023-02-29T00:00:00Z",           // not a real date
           "2024-04-31T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z",
           "2024-01-00T00:00:00Z",
           "2024-01-31T24:00:00Z", "2024-01-31T23:60:00Z",
           "2016-12-31T23:59:60Z",           // leap second
           "2024-01-31",                     // bare date
           "2024-01-31T15:00:00",            // no offset
           "2024-01-31 15:00:00Z",           // space separator
           "2024-01-31T15:00Z", "2024-1-31T15:00:00Z", "24-01-31T15:00:00Z",
           "2024-01-31T15:00:00+24:00", "2024-01-31T15:00:00+05:60",
           "2024-01-31T15:00:00+0500", "2024-01-31T15:00:00+05", "2024-01-31T15:00:00UTC",
           "2024-01-31T15:00:00Zx", " 2024-01-31T15:00:00Z", "", "+2024-01-31T15:00:00Z"}) {
    EXPECT_EQ(Roundtrip(bad), "invalid") << bad;
  }
}

TEST(InstantTest, FormatTable) {
  EXPECT_EQ(FormatInstant(Instant{0}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatInstant(Instant{-1}), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatInstant(Instant{1}), "1970-01-01T00:00:00.000001Z");
  EXPECT_EQ(FormatDate(MakeDate(2024, 1, 31)), "2024-01-31");
  EXPECT_FALSE(ParseDate("2023-02-29").has_value());
  EXPECT_FALSE(ParseDate("2024-02-29T").has_value());
}

// D-13 then D-12: every instant in range prints and parses back to itself.
RC_GTEST_PROP(InstantProperty, FormatThenParseIsIdentity, ()) {
  const int64_t lo = ParseInstant("0001-01-02T00:00:00Z")->micros;
  const int64_t hi = ParseInstant("9999-12-30T23:59:59.999999Z")->micros;
  const int64_t micros = *rc::gen::oneOf(
      rc::gen::inRange(lo, hi + 1),
      rc::gen::map(rc::gen::inRange(lo / kMicrosPerSecond, hi / kMicrosPerSecond),
                   [](int64_t s) { return s * kMicrosPerSecond; }));
  const auto back = ParseInstant(FormatInstant(Instant{micros}));
  RC_ASSERT(back.has_value());
  RC_ASSERT(back->micros == micros);
}

// FormatInstant and FormatDate write their digits directly; they are held to the
// printf form they replaced, over the whole range and past it (years 0 and 10000+).
std::string PrintfInstant(int64_t micros) {
  const auto day = date::floor<date::days>(date::sys_time<std::chrono::microseconds>(std::chrono::microseconds{micros}));
  const date::year_month_day ymd(day);
  const int64_t of_day = micros - std::chrono::duration_cast<std::chrono::microseconds>(day.time_since_epoch()).count();
  const int64_t seconds = of_day / kMicrosPerSecond;
  char buffer[64];
  int n = std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                        static_cast<int>(seconds / 3600), static_cast<int>(seconds / 60 % 60),
                        static_cast<int>(seconds % 60));
  if (of_day % kMicrosPerSecond != 0) {
    n += std::snprintf(buffer + n, sizeof buffer - static_cast<size_t>(n), ".%06d",
                       static_cast<int>(of_day % kMicrosPerSecond));
  }
  return std::string(buffer, static_cast<size_t>(n)) + "Z";
}

RC_GTEST_PROP(InstantProperty, FormatMatchesThePrintfForm, ()) {
  const int64_t lo = ParseInstant("0001-01-02T00:00:00Z")->micros - 400LL * 86400 * kMicrosPerSecond;
  const int64_t hi = ParseInstant("9999-12-30T23:59:59.999999Z")->micros + 400LL * 86400 * kMicrosPerSecond;
  const int64_t micros = *rc::gen::oneOf(
      rc::gen::inRange(lo, hi + 1),
      rc::gen::map(rc::gen::inRange(lo / kMicrosPerSecond, hi / kMicrosPerSecond),
                   [](int64_t s) { return s * kMicrosPerSecond; }));
  RC_ASSERT(FormatInstant(Instant{micros}) == PrintfInstant(micros));
  const LocalDate d{static_cast<int32_t>(date::floor<date::days>(
                                              date::sys_time<std::chrono::microseconds>(std::chrono::microseconds{micros}))
                                              .time_since_epoch()
                                              .count())};
  RC_ASSERT(FormatDate(d) == PrintfInstant(micros).substr(0, PrintfInstant(micros).find('T')));
}

// D-15: the tzdata.zi names, case-sensitive, and nothing else.
TEST(TimeZoneTest, NamesAreTzdataZoneAndLinkNames) {
  EXPECT_EQ(TimeZoneNames().size(), 598u);  // tzdata 2025b
  for (const char* name : {"UTC", "Etc/UTC", "America/New_York", "US/Eastern", "Etc/GMT+5",
                           "Pacific/Apia", "Australia/Sydney", "Europe/Kyiv", "Factory"}) {
    EXPECT_NE(TimeZone::Find(name), nullptr) << name;
  }
  for (const char* name : {"localtime", "posixrules", "posix/America/New_York", "right/UTC",
                           "+05:00", "utc", "america/new_york", "", "America", "EST5EDT ",
                           "../etc/passwd", "/usr/share/zoneinfo/UTC", "zone.tab",
                           "tzdata.zi", "leapseconds"}) {
    EXPECT_EQ(TimeZone::Find(name), nullptr) << name;
  }
  EXPECT_EQ(TimeZone::Find("US/Eastern"), TimeZone::Find("US/Eastern"));  // cached
  EXPECT_EQ(TimeZone::Find("US/Eastern")->name(), "US/Eastern");         // as given
}

// "UTC" is answered without the zone files (calendar.cpp fast path); it must agree
// with the zone file's own UTC ("Etc/UTC", read through date/tz) everywhere.
RC_GTEST_PROP(TimeZoneTest, UtcFastPathAgreesWithTheZoneFile, ()) {
  const TimeZone* fast = TimeZone::Find("UTC");
  const TimeZone* file = TimeZone::Find("Etc/UTC");
  RC_ASSERT(fast != nullptr && file != nullptr && fast != file);
  RC_ASSERT(fast->name() == "UTC");
  const int64_t micros = *rc::gen::inRange<int64_t>(ParseInstant("0001-01-02T00:00:00Z")->micros,
                                                     ParseInstant("9999-12-30T00:00:00Z")->micros);
  const LocalDate day = fast->LocalDateOf(Instant{micros});
  RC_ASSERT(day.days == file->LocalDateOf(Instant{micros}).days);
  RC_ASSERT(fast->LocalMidnight(day).micros == file->LocalMidnight(day).micros);
}

// R-C2 / D-32 table: DST in New York and Sydney does not move midnight's date;
// Santiago's midnight gap maps to the transition; Havana's midnight is ambiguous
// and takes the first instant; Apia skipped 2011-12-30 entirely.
TEST(TimeZoneTest, MidnightThroughDst) {
  EXPECT_EQ(Midnight("America/New_York", "2024-03-10"), "2024-03-10T05:00:00Z");
  EXPECT_EQ(Midnight("America/New_York", "2024-03-11"), "2024-03-11T04:00:00Z");
  EXPECT_EQ(Midnight("America/New_York", "2024-11-03"), "2024-11-03T04:00:00Z");
  EXPECT_EQ(Midnight("America/New_York", "2024-11-04"), "2024-11-04T05:00:00Z");
  EXPECT_EQ(Midnight("Australia/Sydney", "2024-04-07"), "2024-04-06T13:00:00Z");
  EXPECT_EQ(Midnight("Australia/Sydney", "2024-04-08"), "2024-04-07T14:00:00Z");
  EXPECT_EQ(Midnight("Australia/Sydney", "2024-10-06"), "2024-10-05T14:00:00Z");
  EXPECT_EQ(Midnight("Australia/Sydney", "2024-10-07"), "2024-10-06T13:00:00Z");
  EXPECT_EQ(Midnight("America/Santiago", "2024-09-08"), "2024-09-08T04:00:00Z");
  EXPECT_EQ(Midnight("America/Havana", "2024-11-03"), "2024-11-03T04:00:00Z");
  EXPECT_EQ(Midnight("Pacific/Apia", "2011-12-30"), "2011-12-30T10:00:00Z");
  EXPECT_EQ(Midnight("Pacific/Apia", "2011-12-31"), "2011-12-30T10:00:00Z");
  EXPECT_EQ(Midnight("Pacific/Apia", "2011-12-29"), "2011-12-29T10:00:00Z");
  EXPECT_EQ(Midnight("UTC", "2024-02-29"), "2024-02-29T00:00:00Z");
  // The local date of an instant, on both sides of New York's midnight.
  const TimeZone* ny = TimeZone::Find("America/New_York");
  EXPECT_EQ(FormatDate(ny->LocalDateOf(*ParseInstant("2024-03-10T04:59:59.999999Z"))),
            "2024-03-09");
  EXPECT_EQ(FormatDate(ny->LocalDateOf(*ParseInstant("2024-03-10T05:00:00Z"))), "2024-03-10");
  const TimeZone* apia = TimeZone::Find("Pacific/Apia");
  EXPECT_EQ(FormatDate(apia->LocalDateOf(*ParseInstant("2011-12-30T10:00:00Z"))), "2011-12-31");
  // R-C4 / D-32: days() counts calendar days, even across the skipped day.
  EXPECT_EQ(Days(Date("2011-12-29"), Date("2012-01-01")), 3);
}

// Local midnight over every zone, random dates in 2000-2040.
TEST(TimeZoneTest, MidnightValidInEveryZone) {
  const LocalDate first = MakeDate(2000, 1, 1);
  const LocalDate last = MakeDate(2040, 12, 31);
  uint64_t state = 0x9E3779B97F4A7C15ull;  // fixed seed: a reproducible sample
  for (const std::string& name : TimeZoneNames()) {
    const TimeZone* tz = TimeZone::Find(name);
    ASSERT_NE(tz, nullptr) << name;
    for (int i = 0; i < 20; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const int32_t span = last.days - first.days + 1;
      ExpectValidMidnight(*tz, LocalDate{first.days + static_cast<int32_t>((state >> 33) % span)});
    }
  }
}

// Same as above, 2000-2100, so the footer rule's midnights (after 2037) are covered.
RC_GTEST_PROP(TimeZoneProperty, MidnightValidForRandomZoneAndDate, ()) {
  const auto& names = TimeZoneNames();
  const std::string name = names[*rc::gen::inRange<size_t>(0, names.size())];
  const int32_t day = *rc::gen::inRange(MakeDate(2000, 1, 1).days, MakeDate(2101, 1, 1).days);
  const TimeZone* tz = TimeZone::Find(name);
  RC_ASSERT(tz != nullptr);
  const Instant t = tz->LocalMidnight(LocalDate{day});
  RC_ASSERT(tz->LocalDateOf(t) >= LocalDate{day});
  RC_ASSERT(tz->LocalDateOf(Instant{t.micros - 1}) < LocalDate{day});
}

// Every transition date (the local dates on both sides of each transition) of a
// dozen zones with DST, midnight gaps or skipped days, 2000-2040.
TEST(TimeZoneTest, MidnightValidOnEveryTransitionDate) {
  int checked = 0;
  for (const char* name :
       {"America/New_York", "Australia/Sydney", "America/Santiago", "Pacific/Apia",
        "America/Havana", "Europe/London", "Europe/Berlin", "Asia/Tehran", "America/Asuncion",
        "Australia/Lord_Howe", "Africa/Cairo", "America/Sao_Paulo", "Pacific/Chatham",
        "Asia/Beirut"}) {
    const TimeZone* tz = TimeZone::Find(name);
    ASSERT_NE(tz, nullptr) << name;
    const date::time_zone* raw = date::locate_zone(name);
    auto t = date::sys_seconds(date::sys_days(date::year{2000} / 1 / 1));
    const auto end = date::sys_seconds(date::sys_days(date::year{2041} / 1 / 1));
    while (t < end) {
      const date::sys_info info = raw->get_info(t);
      if (info.end >= end) break;
      const Instant at{info.end.time_since_epoch().count() * kMicrosPerSecond};
      for (Instant probe : {Instant{at.micros - 1}, at}) {
        const LocalDate d = tz->LocalDateOf(probe);
        for (int delta : {-1, 0, 1, 2}) ExpectValidMidnight(*tz, LocalDate{d.days + delta});
        checked += 4;
      }
      t = info.end;
    }
  }
  EXPECT_GT(checked, 1000);
}

// After 2037 the zone files store no transitions; the TZif footer rule carries
// DST on (tz_rule.cpp). Expected values from Python's zoneinfo, which applies it too.
TEST(TimeZoneTest, MidnightAfter2037FollowsTheFooterRule) {
  EXPECT_EQ(Midnight("America/New_York", "2038-07-01"), "2038-07-01T04:00:00Z");
  EXPECT_EQ(Midnight("America/New_York", "2038-03-14"), "2038-03-14T05:00:00Z");
  EXPECT_EQ(Midnight("America/New_York", "2038-11-07"), "2038-11-07T04:00:00Z");
  EXPECT_EQ(Midnight("America/Santiago", "2040-09-02"), "2040-09-02T04:00:00Z");  // gap
  EXPECT_EQ(Midnight("America/Havana", "2040-11-04"), "2040-11-04T04:00:00Z");    // ambiguous
  EXPECT_EQ(Midnight("Australia/Sydney", "2050-10-02"), "2050-10-01T14:00:00Z");
  EXPECT_EQ(Midnight("Europe/Dublin", "2045-01-15"), "2045-01-15T00:00:00Z");  // negative DST
  EXPECT_EQ(Midnight("Europe/Dublin", "2045-07-15"), "2045-07-14T23:00:00Z");
  EXPECT_EQ(Midnight("US/Eastern", "9999-07-01"), "9999-07-01T04:00:00Z");
}

// Every rule string with DST in the installed zone files parses (tz_rule.cpp), so
// no zone silently falls back to its last stored offset after 2037.
TEST(TimeZoneTest, EveryFooterRuleParses) {
  int with_dst = 0;
  for (const std::string& name : TimeZoneNames()) {
    std::ifstream in("/usr/share/zoneinfo/" + name, std::ios::binary);
    ASSERT_TRUE(in.good()) << name;
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!data.empty() && data.back() == '\n') data.pop_back();
    const std::string footer = data.substr(data.rfind('\n') + 1);
    const auto rule = internal::PosixTzRule::Parse(footer);
    ASSERT_TRUE(rule.has_value()) << name << ": " << footer;
    if (footer.find(',') != std::string::npos) {
      EXPECT_TRUE(rule->has_dst) << name;
      ++with_dst;
    }
  }
  EXPECT_GT(with_dst, 100);
}

// LocalDateOf against an independent implementation: glibc's localtime_r reads the
// same zone files including their footer. Every zone, instants 2000-2100.
TEST(TimeZoneTest, LocalDateMatchesGlibcInEveryZone) {
  const char* saved = std::getenv("TZ");
  const std::string saved_tz = saved ? saved : "";
  const int64_t from = ParseInstant("2000-01-01T00:00:00Z")->micros / kMicrosPerSecond;
  const int64_t to = ParseInstant("2100-01-01T00:00:00Z")->micros / kMicrosPerSecond;
  uint64_t state = 12345;
  int compared = 0;
  for (const std::string& name : TimeZoneNames()) {
    if (name == "Factory") continue;  // glibc names it "-00" but it is UTC+0 either way
    setenv("TZ", (":" + name).c_str(), 1);
    tzset();
    const TimeZone* tz = TimeZone::Find(name);
    for (int i = 0; i < 150; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const int64_t seconds = from + static_cast<int64_t>((state >> 20) % uint64_t(to - from));
      const time_t t = static_cast<time_t>(seconds);
      std::tm local{};
      ASSERT_NE(localtime_r(&t, &local), nullptr);
      const LocalDate expected = MakeDate(local.tm_year + 1900, static_cast<unsigned>(local.tm_mon + 1),
                                          static_cast<unsigned>(local.tm_mday));
      ASSERT_EQ(tz->LocalDateOf(Instant{seconds * kMicrosPerSecond}), expected)
          << name << " at " << FormatInstant(Instant{seconds * kMicrosPerSecond});
      ++compared;
    }
  }
  if (saved) setenv("TZ", saved_tz.c_str(), 1); else unsetenv("TZ");
  tzset();
  EXPECT_GT(compared, 80000);
}

// R-C3 table: Jan 31 and Feb 29 anchors clamp per period, always from the anchor.
TEST(PeriodTest, AnchorTable) {
  const LocalDate jan31 = Date("2024-01-31");
  const char* expected[] = {"2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30",
                            "2024-05-31", "2024-06-30"};
  for (int k = 0; k < 5; ++k) {
    const Period p = PeriodAt(jan31, 1, k);
    EXPECT_EQ(FormatDate(p.start), expected[k]);
    EXPECT_EQ(FormatDate(p.end), expected[k + 1]);
  }
  EXPECT_EQ(FormatDate(AddMonths(Date("2023-01-31"), 1)), "2023-02-28");
  const LocalDate feb29 = Date("2024-02-29");
  EXPECT_EQ(FormatDate(PeriodAt(feb29, 12, 1).start), "2025-02-28");
  EXPECT_EQ(FormatDate(PeriodAt(feb29, 12, 3).end), "2028-02-29");  // back on the 29th
  EXPECT_EQ(FormatDate(PeriodAt(feb29, 1, 1).end), "2024-04-29");
  EXPECT_EQ(PeriodIndexContaining(jan31, 1, Date("2024-02-28")), 0);
  EXPECT_EQ(PeriodIndexContaining(jan31, 1, Date("2024-02-29")), 1);
  EXPECT_EQ(PeriodIndexContaining(jan31, 1, Date("2024-03-30")), 1);
  EXPECT_EQ(PeriodIndexContaining(jan31, 1, Date("2024-03-31")), 2);
  EXPECT_EQ(PeriodIndexContaining(jan31, 3, Date("2024-04-30")), 1);
  EXPECT_EQ(Days(Date("2024-02-29"), Date("2024-03-31")), 31);
  // D-31: boundaries past 9999-12-31 exist (the real date, so R-S4/R-S6 divide by
  // the real period length) but are never due; past the year 10^15 they saturate.
  EXPECT_EQ(FormatDate(AddMonths(Date("9999-11-30"), 1)), "9999-12-30");
  EXPECT_TRUE(AddMonths(Date("9999-12-31"), 1).IsFarFuture());
  EXPECT_EQ(FormatDate(AddMonths(Date("9999-12-15"), 1)), "10000-01-15");
  EXPECT_EQ(FormatDate(AddMonths(Date("9999-12-31"), 2)), "10000-02-29");  // 10000 is a leap year
  EXPECT_EQ(Days(Date("9999-12-15"), AddMonths(Date("9999-12-15"), 1)), 31);
  EXPECT_EQ(FormatDate(AddMonths(Date("2024-04-01"), 8000 * 12)), "10024-04-01");
  EXPECT_EQ(Days(Date("2024-04-01"), AddMonths(Date("2024-04-01"), 8000 * 12)), 2921940);
  EXPECT_EQ(FormatDate(AddMonths(Date("2024-01-31"), (32767 - 2024) * 12 + 10)), "32767-11-30");
  EXPECT_EQ(FormatDate(AddMonths(Date("2024-01-31"), (32767 - 2024) * 12 + 13)), "32768-02-29");
  EXPECT_EQ(FormatDate(AddMonths(Date("2024-02-29"), 400000 * 12)), "402024-02-29");
  EXPECT_EQ(FormatDate(AddMonths(Date("2024-02-29"), int64_t{1} << 40)), "91625971005-06-29");
  EXPECT_EQ(FormatDate(AddMonths(Date("2024-03-31"), (int64_t{1000000000000000} - 2024) * 12 + 9)),
            "1000000000000000-12-31");
  EXPECT_EQ(AddMonths(Date("2024-01-31"), (int64_t{1000000000000000} - 2024) * 12 + 12),
            LocalDate::FarFuture());
  EXPECT_TRUE(AddMonths(Date("2024-01-31"), INT64_MAX).IsFarFuture());
  // Beyond what AddMonths computes, the exact date prints from the plan's digits.
  EXPECT_EQ(FormatDateAfterMonths(Date("2024-02-29"), "1200000000000000000000000000000000000000000", 1),
            "100000000000000000000000000000000000002024-02-29");
  EXPECT_EQ(FormatDateAfterMonths(Date("2024-02-29"), "110680464442257309684", 1),
            "9223372036854777831-02-28");  // (2^63 - 1) years: a common year
  EXPECT_EQ(FormatDateAfterMonths(Date("2024-01-31"), "1", 2), "2024-03-31");
  EXPECT_EQ(FormatDateAfterMonths(Date("2024-02-29"), "4800000", 1), FormatDate(AddMonths(Date("2024-02-29"), 4800000)));
  // A far boundary's midnight is after every instant: never due.
  EXPECT_EQ(TimeZone::Find("UTC")->LocalMidnight(AddMonths(Date("2024-01-31"), 1200000)).micros, INT64_MAX);
  EXPECT_TRUE(PeriodAt(jan31, INT64_MAX / 2, 3).start.IsFarFuture());
  EXPECT_LT(Date("9999-12-31"), LocalDate::FarFuture());
}

// The civil conversions past date::year's range agree with it where both exist:
// every day from 0001-01-01 to 32767-12-31 formats and parses back the same.
TEST(Calendar, DatesFormatAndParseAcrossTheWholeRange) {
  int checked = 0;
  for (int64_t day = MakeDate(1, 1, 1).days; day <= MakeDate(32767, 12, 31).days; day += 97) {
    const std::string text = FormatDate(LocalDate{day});
    if (day <= MakeDate(9999, 12, 31).days) {
      ASSERT_EQ(ParseDate(text), LocalDate{day}) << text;
    }
    ASSERT_EQ(AddMonths(LocalDate{day}, 0), LocalDate{day}) << text;
    ++checked;
  }
  EXPECT_GT(checked, 120000);
  EXPECT_EQ(FormatDate(LocalDate{2'145'042'905}), "5874897-12-31");  // PostgreSQL's last date
}

// R-C3: periods of any anchor and interval are contiguous and non-overlapping,
// 28..31 days a month (365..366 a year), and PeriodIndexContaining inverts PeriodAt.
RC_GTEST_PROP(PeriodProperty, PeriodsAreContiguousAndSized, ()) {
  const LocalDate anchor{*rc::gen::inRange(MakeDate(1900, 1, 1).days, MakeDate(2200, 1, 1).days)};
  const int64_t months = *rc::gen::element<int64_t>(1, 12, 1, 2, 3, 6, 24);
  const int64_t first = *rc::gen::inRange<int64_t>(0, 100);
  Period previous = PeriodAt(anchor, months, first);
  for (int64_t k = first; k < first + 40; ++k) {
    const Period p = PeriodAt(anchor, months, k);
    if (k > first) RC_ASSERT(p.start == previous.end);
    RC_ASSERT(p.start < p.end);
    const int64_t length = Days(p.start, p.end);
    if (months == 1) RC_ASSERT(length >= 28 && length <= 31);
    if (months == 12) RC_ASSERT(length >= 365 && length <= 366);
    RC_ASSERT(PeriodIndexContaining(anchor, months, p.start) == k);
    RC_ASSERT(PeriodIndexContaining(anchor, months, LocalDate{p.end.days - 1}) == k);
    previous = p;
  }
}

// R-C3: from a day-31 anchor, month m keeps day min(31, days in month), for every m
// up to 48: no drift to the 28th/30th after a short month.
RC_GTEST_PROP(PeriodProperty, AddMonthsNeverDriftsFromDay31, ()) {
  const int year = *rc::gen::inRange(1900, 2200);
  const int month = *rc::gen::element(1, 3, 5, 7, 8, 10, 12);
  const LocalDate anchor = MakeDate(year, static_cast<unsigned>(month), 31);
  for (int m = 0; m <= 48; ++m) {
    const int index = year * 12 + (month - 1) + m;
    const int y = index / 12, mo = index % 12 + 1;
    const LocalDate expected =
        MakeDate(y, static_cast<unsigned>(mo), static_cast<unsigned>(DaysInMonth(y, mo)));
    RC_ASSERT(AddMonths(anchor, m) == expected);
  }
}

// D-31: the exact day count of any number of months, by 400-year cycles; equal to
// AddMonths wherever that is exact (every anchor day 28-31 and the 1st, leap and
// common years, month counts across several cycles).
TEST(PeriodTest, DaysAfterMonthsMatchesAddMonthsAndRepeatsEvery400Years) {
  for (int year : {1999, 2000, 2023, 2024, 2100}) {
    for (unsigned month : {1u, 2u, 3u, 11u, 12u}) {
      for (unsigned day : {1u, 28u, 29u, 30u, 31u}) {
        char text[16];
        std::snprintf(text, sizeof text, "%04d-%02u-%02u", year, month, day);
        if (!ParseDate(text)) continue;  // Feb 30, Nov 31, ...
        const LocalDate anchor = *ParseDate(text);
        for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{13}, int64_t{4799}, int64_t{4800}, int64_t{4801},
                          int64_t{123457}}) {
          EXPECT_EQ(DaysAfterMonths(anchor, std::to_string(n)), std::to_string(Days(anchor, AddMonths(anchor, n))))
              << FormatDate(anchor) << " + " << n;
        }
      }
    }
  }
  // 10^41 months: (10^41 - 1600) / 4800 cycles of 146,097 days, then 1,600 months
  // (2024-01-10 -> 2157-05-10, 48,700 days); worked out independently in Python.
  const LocalDate jan10 = MakeDate(2024, 1, 10);
  EXPECT_EQ(DaysAfterMonths(jan10, "100000000000000000000000000000000000000000"),
            "3043687499999999999999999999999999999999999");
}

}  // namespace
}  // namespace accrue::engine
