# events/ sources and tests (issue 3). Included by events/CMakeLists.txt.
target_sources(accrue_events PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/sha256.cpp
  ${CMAKE_CURRENT_LIST_DIR}/clock.cpp
  ${CMAKE_CURRENT_LIST_DIR}/envelope_codec.cpp
  ${CMAKE_CURRENT_LIST_DIR}/event_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/append_planner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tail_subscription.cpp
  ${CMAKE_CURRENT_LIST_DIR}/memory_event_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/store_stats.cpp
)

accrue_test(events_memory_store_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/memory_event_store_test.cpp
  LIBS accrue_events
  LABELS events)

target_sources(accrue_events PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/keys.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rocks_log.cpp
  ${CMAKE_CURRENT_LIST_DIR}/info_log.cpp
  ${CMAKE_CURRENT_LIST_DIR}/stream_index.cpp
  ${CMAKE_CURRENT_LIST_DIR}/group_state.cpp
  ${CMAKE_CURRENT_LIST_DIR}/group_commit_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rocks_event_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/verify_log.cpp
  ${CMAKE_CURRENT_LIST_DIR}/log_backup.cpp
)

accrue_test(events_rocks_store_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/rocks_event_store_test.cpp
  LIBS accrue_events
  LABELS events)

accrue_test(events_info_log_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/info_log_test.cpp
  LIBS accrue_events
  LABELS events)

accrue_test(events_property_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/event_store_property_test.cpp
  LIBS accrue_events rapidcheck rapidcheck_gtest
  LABELS events)

accrue_test(events_verify_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/verify_log_test.cpp
  LIBS accrue_events
  LABELS events)

accrue_test(events_envelope_codec_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/envelope_codec_test.cpp
  LIBS accrue_events accrue_events_proto rapidcheck rapidcheck_gtest
  LABELS events)

accrue_test(events_future_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/future_test.cpp
  LIBS accrue_events
  LABELS events)
