# accrue_money sources and tests (currency, money, decimal, calendar).
target_sources(accrue_money PRIVATE
  rejection.cpp
  int128.cpp
  currency.cpp
  money.cpp
  decimal.cpp
  calendar.cpp
)
