# accrue_domain sources and tests (state, decide, evolve, ledger, service).
target_sources(accrue_domain PRIVATE
  state.cpp
)
target_link_libraries(accrue_domain PUBLIC accrue_events_proto)
