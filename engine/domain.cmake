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
)
target_link_libraries(accrue_domain PUBLIC accrue_events_proto)
