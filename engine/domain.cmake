# accrue_domain sources and tests (state, decide, evolve, ledger, service).
target_sources(accrue_domain PRIVATE
  state.cpp
  event_codec.cpp
  evolve.cpp
  bill_run.cpp
  decide.cpp
  decide_money.cpp
  state_json.cpp
  ledger.cpp
  result_json.cpp
  aggregate_cache.cpp
  aggregate_loader.cpp
  snapshot_codec.cpp
  snapshot_decode.cpp
  snapshot_writer.cpp
  service.cpp
  service_runs.cpp
  service_reads.cpp
)
target_link_libraries(accrue_domain PUBLIC accrue_events_proto)

accrue_test(scenario_replay_test SOURCES scenario_replay_test.cpp LIBS accrue_domain LABELS domain)
target_compile_definitions(scenario_replay_test PRIVATE
  ACCRUE_SCENARIO_DIR="${PROJECT_SOURCE_DIR}/tests/scenarios")
accrue_test(decide_test SOURCES decide_test.cpp LIBS accrue_domain LABELS domain)
accrue_test(event_codec_test SOURCES event_codec_test.cpp LIBS accrue_domain LABELS domain)
accrue_test(result_json_test SOURCES result_json_test.cpp LIBS accrue_domain LABELS domain)
accrue_test(snapshot_test SOURCES snapshot_test.cpp LIBS accrue_domain LABELS domain)
target_compile_definitions(snapshot_test PRIVATE
  ACCRUE_SCENARIO_DIR="${PROJECT_SOURCE_DIR}/tests/scenarios")
accrue_test(service_durability_test SOURCES service_durability_test.cpp LIBS accrue_domain LABELS domain)
accrue_test(service_text_fields_test SOURCES service_text_fields_test.cpp LIBS accrue_domain LABELS domain)
