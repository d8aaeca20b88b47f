# ---- domain (issue 5): accrue post, accrue inspect ----
target_sources(accrue_app PRIVATE
  cmd_post.cpp
  cmd_inspect.cpp
)
target_link_libraries(accrue_app PUBLIC accrue_engine)
# ---- end domain ----

# ---- event log (issue 3): accrue log verify|stat|dump, accrue bench ----
target_sources(accrue_app PRIVATE
  cmd_log.cpp
  log_payload_check.cpp
  mapped_read_fault.cpp
  log_json.cpp
  cmd_bench.cpp
  bench_append.cpp
)
# ---- end event log ----

# ---- read models (issue 6): accrue project, accrue bench project ----
# Only in the accrue-pg executable (CMakeLists.txt): the accrue executable runs
# accrue-pg for these two commands (pg_forward.cpp), so it never loads libpq.
add_library(accrue_app_pg OBJECT
  cmd_project.cpp
  bench_project.cpp
)
target_link_libraries(accrue_app_pg PUBLIC accrue_app accrue_projections)
accrue_strict(accrue_app_pg)
# ---- end read models ----

# ---- workload benchmarks and demo summary (issue 5): accrue bench gen|post|load|summary ----
target_sources(accrue_app PRIVATE
  bench_gen.cpp
  bench_summary.cpp
  bench_post.cpp
  bench_load.cpp
  bench_billrun.cpp
)
target_link_libraries(accrue_app PUBLIC accrue_workload accrue_invariants)
# ---- end workload benchmarks ----

# ---- HTTP API (issue 7): server, handler, admission, tokens, metrics, logging ----
target_sources(accrue_app PRIVATE
  logging.cpp
  metrics.cpp
  tokens.cpp
  cmd_tokens.cpp
  cmd_serve.cpp
  http_admission.cpp
  http_errors.cpp
  http_handler.cpp
  http_json_peek.cpp
  http_router.cpp
  http_server.cpp
  http_service_backend.cpp
  store_metrics.cpp
)
target_link_libraries(accrue_app PUBLIC accrue_engine OpenSSL::Crypto Threads::Threads PRIVATE accrue_rapidjson)
# ---- end HTTP API ----
