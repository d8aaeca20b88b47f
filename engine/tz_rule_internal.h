// PosixTzRule: the POSIX TZ rule string at the end of a TZif file (RFC 8536 section
// 3.3), e.g. "EST5EDT,M3.2.0,M11.1.0". Internal to calendar.cpp.
//
// Why: date/tz built with USE_OS_TZDB reads only the stored transitions, which
// Debian's zone files list up to 2037; after the last one it would keep a single
// offset forever (New York on EST all year from 2038). The rule string says how
// the zone continues; calendar.cpp applies it after the last stored transition so
// that R-C2 local dates and midnights stay right until 9999 (D-31).
//
// Supports what tzdata uses: names alphabetic or <quoted>, offsets [+-]h[h][:mm[:ss]],
// rules Mm.w.d, Jn and n with times [+-]h[hh][:mm[:ss]] (RFC 8536 extensions:
// negative and beyond 24 h). Thread-safety: immutable after Parse.
#ifndef ACCRUE_ENGINE_TZ_RULE_INTERNAL_H_
#define ACCRUE_ENGINE_TZ_RULE_INTERNAL_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace accrue::engine::internal {

struct TzDateRule {
  enum class Kind { kJulianNoLeap, kZeroBasedDay, kMonthWeekDay } kind = Kind::kMonthWeekDay;
  int day = 0;                 // Jn: 1..365; n: 0..365; M: weekday 0 (Sunday)..6
  int month = 0;               // M only: 1..12
  int week = 0;                // M only: 1..5 (5 = last)
  int64_t time_seconds = 7200; // local time of day of the change (default 02:00)
};

struct PosixTzRule {
  int64_t std_offset_seconds = 0;  // UTC offset, east positive (EST5 -> -18000)
  bool has_dst = false;
  int64_t dst_offset_seconds = 0;
  TzDateRule start;  // switch to DST, at local standard time
  TzDateRule end;    // back to standard, at local daylight time

  // nullopt for a string this parser does not understand.
  static std::optional<PosixTzRule> Parse(std::string_view text);

  // The UTC offset in force at UTC second `utc_seconds` (since 1970).
  int64_t OffsetAt(int64_t utc_seconds) const;

  // The UTC second of the first offset change strictly after `utc_seconds`, or
  // nullopt for a rule without DST.
  std::optional<int64_t> NextChangeAfter(int64_t utc_seconds) const;
};

}  // namespace accrue::engine::internal

#endif  // ACCRUE_ENGINE_TZ_RULE_INTERNAL_H_
