# money_bench: parse, RoundProduct and period micro-benchmarks (issue 4). Not a ctest test.
add_executable(money_bench ${CMAKE_CURRENT_LIST_DIR}/money_bench.cpp)
target_link_libraries(money_bench PRIVATE accrue_money benchmark::benchmark)
accrue_strict(money_bench)

# ---- workload (issue 5): deterministic command streams for bench post, make demo ----
add_library(accrue_workload STATIC
  ${CMAKE_CURRENT_LIST_DIR}/workload.cpp
  ${CMAKE_CURRENT_LIST_DIR}/workload_catalog.cpp
)
target_include_directories(accrue_workload PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(accrue_workload PUBLIC accrue_money)
accrue_strict(accrue_workload)
# ---- end workload ----
