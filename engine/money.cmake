# accrue_money sources and tests (currency, money, decimal, calendar).
target_sources(accrue_money PRIVATE
  rejection.cpp
)
