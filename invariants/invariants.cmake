# accrue_invariants: one checker per documented invariant (docs/invariants.md),
# returning violations as values; used by tests/ and by reconcile.
add_library(accrue_invariants STATIC)
target_sources(accrue_invariants PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/account_invariants.cpp
  ${CMAKE_CURRENT_LIST_DIR}/billed_once_invariants.cpp
  ${CMAKE_CURRENT_LIST_DIR}/replay_invariants.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ledger_invariants.cpp
  ${CMAKE_CURRENT_LIST_DIR}/log_invariants.cpp
)
target_include_directories(accrue_invariants PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(accrue_invariants PUBLIC accrue_engine accrue_events)
accrue_strict(accrue_invariants)

accrue_test(invariants_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/invariants_test.cpp
  LIBS accrue_invariants accrue_engine accrue_events LABELS unit)
