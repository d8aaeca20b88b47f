# money_bench: parse, RoundProduct and period micro-benchmarks (issue 4). Not a ctest test.
add_executable(money_bench ${CMAKE_CURRENT_LIST_DIR}/money_bench.cpp)
target_link_libraries(money_bench PRIVATE accrue_money benchmark::benchmark)
accrue_strict(money_bench)
