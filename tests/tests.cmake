# tests/: cross-module tests. Each area keeps its own clearly marked block below.

# ---- foundation: throwaway PostgreSQL fixture (scripts/pgtmp.sh) ----------------
# One cluster per ctest run (FIXTURES_SETUP/CLEANUP), one database per test
# (tests/pg_test_util.h). A reaper process removes the cluster even when ctest is
# killed. Tests that need Postgres use accrue_pg_test(...) and fail loudly when the
# cluster is not there; none skips.
set(ACCRUE_PG_STATE_DIR ${CMAKE_BINARY_DIR}/pgtmp)
add_test(NAME pg_cluster_start
  COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/pgtmp.sh start ${ACCRUE_PG_STATE_DIR})
set_tests_properties(pg_cluster_start PROPERTIES FIXTURES_SETUP postgres TIMEOUT 120)
add_test(NAME pg_cluster_stop
  COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/pgtmp.sh stop ${ACCRUE_PG_STATE_DIR})
set_tests_properties(pg_cluster_stop PROPERTIES FIXTURES_CLEANUP postgres TIMEOUT 120)

add_library(accrue_test_process STATIC process_util.cpp)
target_include_directories(accrue_test_process PUBLIC ${PROJECT_SOURCE_DIR})
accrue_strict(accrue_test_process)

add_library(accrue_pg_test_util STATIC pg_test_util.cpp)
target_include_directories(accrue_pg_test_util PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(accrue_pg_test_util PUBLIC PkgConfig::PQXX GTest::gtest)
target_compile_definitions(accrue_pg_test_util PRIVATE ACCRUE_PG_STATE_DIR="${ACCRUE_PG_STATE_DIR}")
accrue_strict(accrue_pg_test_util)

# accrue_pg_test(NAME SOURCES ... LIBS ...): a gtest executable whose tests need the
# throwaway cluster.
function(accrue_pg_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  accrue_strict(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} accrue_pg_test_util GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES FIXTURES_REQUIRED postgres LABELS postgres)
endfunction()

accrue_pg_test(pg_harness_test SOURCES pg_harness_test.cpp)
# ---- end foundation ----------------------------------------------------------------

# ---- HTTP API (issue 7) ----------------------------------------------------------
# http_unit_test: tokens, metrics, router, status mapping, JSON peek.
# http_server_test: the real HttpServer + HttpHandler on loopback with a fake backend.
add_library(accrue_http_test_client STATIC http_test_client.cpp)
target_include_directories(accrue_http_test_client PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(accrue_http_test_client PUBLIC Boost::headers Threads::Threads)
accrue_strict(accrue_http_test_client)
foreach(t http_unit_test http_server_test)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${t}.cpp)
    accrue_test(${t} SOURCES ${t}.cpp LIBS accrue_app accrue_http_test_client LABELS http)
  endif()
endforeach()
# http_e2e_test: a real `accrue serve` process over loopback (contract.md HTTP API).
accrue_test(http_e2e_test SOURCES http_e2e_test.cpp LIBS accrue_http_test_client LABELS http)
target_compile_definitions(http_e2e_test PRIVATE ACCRUE_BINARY="$<TARGET_FILE:accrue>")
add_dependencies(http_e2e_test accrue)
# ---- end HTTP API ------------------------------------------------------------------

# log_payload_check_test: verify's wire walk agrees with protobuf's parser (issue 3).
accrue_test(log_payload_check_test SOURCES log_payload_check_test.cpp
  LIBS accrue_app rapidcheck rapidcheck_gtest LABELS events)
# mapped_read_fault_test: a failed read of a mapped log file is a clear exit 2.
accrue_test(mapped_read_fault_test SOURCES mapped_read_fault_test.cpp LIBS accrue_app LABELS events)

# ---- codec: libFuzzer targets (the command decoder; the decoders of stored bytes) ----
# Only with -DACCRUE_FUZZ=ON and clang (scripts/fuzz.sh configures build/fuzz with
# clang-14 and -fsanitize=fuzzer-no-link,address,undefined for every library).
if(ACCRUE_FUZZ)
  add_executable(command_decoder_fuzz fuzz/command_decoder_fuzz.cpp)
  accrue_strict(command_decoder_fuzz)
  target_link_libraries(command_decoder_fuzz PRIVATE accrue_codec)
  target_compile_options(command_decoder_fuzz PRIVATE -fsanitize=fuzzer)
  target_link_options(command_decoder_fuzz PRIVATE -fsanitize=fuzzer)
  # stored_bytes_fuzz: the decoders of stored bytes (envelopes, payloads, snapshots,
  # record values), starting from what the scenarios store.
  add_executable(stored_bytes_fuzz fuzz/stored_bytes_fuzz.cpp ${PROJECT_SOURCE_DIR}/app/log_payload_check.cpp)
  accrue_strict(stored_bytes_fuzz)
  target_link_libraries(stored_bytes_fuzz PRIVATE accrue_invariants accrue_engine accrue_events)
  target_compile_definitions(stored_bytes_fuzz PRIVATE ACCRUE_SCENARIO_DIR="${PROJECT_SOURCE_DIR}/tests/scenarios")
  target_compile_options(stored_bytes_fuzz PRIVATE -fsanitize=fuzzer)
  target_link_options(stored_bytes_fuzz PRIVATE -fsanitize=fuzzer)
endif()
# ---- end codec ----------------------------------------------------------------------

# ---- event log (issue 3) ---------------------------------------------------------
# event_log_crash_test: SIGKILLs event_log_crash_helper mid-append, >= 20 rounds.
# event_log_corruption_test: flips a payload byte in a copy; `accrue log verify` exits 1.
add_executable(event_log_crash_helper event_log_crash_helper.cpp)
target_link_libraries(event_log_crash_helper PRIVATE accrue_events)
accrue_strict(event_log_crash_helper)
accrue_test(event_log_crash_test SOURCES event_log_crash_test.cpp LIBS accrue_events LABELS events)
target_compile_definitions(event_log_crash_test PRIVATE
  ACCRUE_CRASH_HELPER="$<TARGET_FILE:event_log_crash_helper>")
add_dependencies(event_log_crash_test event_log_crash_helper)
accrue_test(event_log_corruption_test SOURCES event_log_corruption_test.cpp LIBS accrue_events LABELS events)
target_compile_definitions(event_log_corruption_test PRIVATE ACCRUE_BINARY="$<TARGET_FILE:accrue>")
add_dependencies(event_log_corruption_test accrue)
# event_log_fault_test: disk full / fsync errors through a fault-injecting rocksdb::Env.
accrue_test(event_log_fault_test
  SOURCES event_log_fault_test.cpp ${PROJECT_SOURCE_DIR}/events/fault_injection_fs.cpp
  LIBS accrue_events LABELS events)
# ---- end event log -------------------------------------------------------------

# ---- domain (issue 5): scenarios through the real binary ---------------------------
# scenario_test runs every tests/scenarios/NAME with `accrue post` on a fresh data dir
# and compares results and `accrue inspect account` states with the expectations.
accrue_test(scenario_test SOURCES scenario_test.cpp LIBS accrue_codec accrue_test_process LABELS domain)
target_compile_definitions(scenario_test PRIVATE
  ACCRUE_BINARY="$<TARGET_FILE:accrue>"
  ACCRUE_SCENARIO_DIR="${CMAKE_CURRENT_SOURCE_DIR}/scenarios")
add_dependencies(scenario_test accrue)
# run_crash_test: a tenant-wide run killed mid-run, retried, bills each account once.
accrue_test(run_crash_test SOURCES run_crash_test.cpp LIBS accrue_codec accrue_test_process LABELS domain)
target_compile_definitions(run_crash_test PRIVATE ACCRUE_BINARY="$<TARGET_FILE:accrue>")
add_dependencies(run_crash_test accrue)
# bench_smoke_test: the benchmark commands complete on tiny workloads (no rates checked).
accrue_test(bench_smoke_test SOURCES bench_smoke_test.cpp LIBS accrue_test_process LABELS unit)
target_compile_definitions(bench_smoke_test PRIVATE ACCRUE_BINARY="$<TARGET_FILE:accrue>")
add_dependencies(bench_smoke_test accrue)
# cli_help_test: `accrue COMMAND --help` for every subcommand.
accrue_test(cli_help_test SOURCES cli_help_test.cpp LIBS accrue_test_process LABELS unit)
target_compile_definitions(cli_help_test PRIVATE ACCRUE_BINARY="$<TARGET_FILE:accrue>")
add_dependencies(cli_help_test accrue)
# ---- end domain --------------------------------------------------------------------

# pg_forward_test: `accrue project` runs in accrue-pg (decision 0010); no PostgreSQL needed.
accrue_test(pg_forward_test SOURCES pg_forward_test.cpp LIBS accrue_test_process LABELS unit)
target_compile_definitions(pg_forward_test PRIVATE ACCRUE_BINARY="$<TARGET_FILE:accrue>")
add_dependencies(pg_forward_test accrue)

# ---- read models (issue 6): projections against the throwaway PostgreSQL ----------
accrue_pg_test(projections_scenario_test SOURCES projections_scenario_test.cpp
  LIBS accrue_projections accrue_engine accrue_rapidjson)
target_compile_definitions(projections_scenario_test PRIVATE
  ACCRUE_SCENARIO_DIR="${CMAKE_CURRENT_SOURCE_DIR}/scenarios"
  ACCRUE_STREAM_DIR="${CMAKE_CURRENT_SOURCE_DIR}/streams")
accrue_pg_test(projections_unit_test SOURCES projections_unit_test.cpp
  LIBS accrue_projections accrue_engine)
# Fault tests through the real binary, each with its own throwaway cluster (minutes).
# diskfull preloads pg_disk_full_shim into the server (a full disk for PostgreSQL):
# built without sanitizers, since it runs inside the uninstrumented server.
add_library(pg_disk_full_shim SHARED pg_disk_full_shim.c)
target_compile_options(pg_disk_full_shim PRIVATE -fno-sanitize=all)
target_link_options(pg_disk_full_shim PRIVATE -fno-sanitize=all)
target_link_libraries(pg_disk_full_shim PRIVATE ${CMAKE_DL_LIBS})
foreach(mode crash pgdown pgcrash sigterm diskfull)
  add_test(NAME projector_${mode}_test
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/projector_fault_test.sh ${mode} $<TARGET_FILE:accrue>
            $<TARGET_FILE:pg_disk_full_shim>)
  set_tests_properties(projector_${mode}_test PROPERTIES TIMEOUT 1200 LABELS "postgres;slow")
endforeach()
# ---- end read models ----

# ---- domain invariants (issue 5): property tests, bill-run crash test ----
# differential_model_test: 12 generated streams of 3,000 commands through the real
# binary against the independent Python reference model (tests/reference/).
add_test(NAME differential_model_test
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/differential_test.sh $<TARGET_FILE:accrue> 3000
          1 2 3 4 5 6 7 8 9 10 11 12)
set_tests_properties(differential_model_test PROPERTIES TIMEOUT 900 LABELS property)
accrue_test(property_domain_test
  SOURCES property_domain_test.cpp property_domain_model.cpp
  LIBS accrue_invariants accrue_engine accrue_events rapidcheck rapidcheck_gtest
  LABELS property)
# billrun_crash_test: `accrue post` SIGKILLed during tenant-wide bill runs, then retried.
accrue_test(billrun_crash_test SOURCES billrun_crash_test.cpp LIBS accrue_invariants accrue_engine accrue_events accrue_test_process LABELS crash)
target_compile_definitions(billrun_crash_test PRIVATE ACCRUE_BINARY="$<TARGET_FILE:accrue>")
add_dependencies(billrun_crash_test accrue)
# snapshot_load_test: the CI side of `accrue bench load` (100,000 events; the snapshot path, not timing).
accrue_test(snapshot_load_test SOURCES snapshot_load_test.cpp LIBS accrue_invariants accrue_engine accrue_events LABELS domain)
# ---- end domain invariants ----
