# accrue_money sources and tests (currency, money, decimal, calendar).
target_sources(accrue_money PRIVATE
  rejection.cpp
  int128.cpp
  currency.cpp
  money.cpp
  decimal.cpp
  calendar.cpp
  tz_rule.cpp
)

accrue_test(money_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/money_test.cpp
  LIBS accrue_money rapidcheck rapidcheck_gtest
  LABELS money)
accrue_test(decimal_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/decimal_test.cpp
  LIBS accrue_money rapidcheck rapidcheck_gtest
  LABELS money)
accrue_test(decimal_alloc_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/decimal_alloc_test.cpp
  LIBS accrue_money
  LABELS money)
accrue_test(calendar_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/calendar_test.cpp
  LIBS accrue_money rapidcheck rapidcheck_gtest
  LABELS money)
