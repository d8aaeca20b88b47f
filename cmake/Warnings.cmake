# Strict warnings for our own targets only; generated protobuf code is exempt.
set(ACCRUE_WARNINGS -Wall -Wextra -Wpedantic -Werror -Wno-error=deprecated-declarations)
function(accrue_strict target)
  target_compile_options(${target} PRIVATE ${ACCRUE_WARNINGS})
endfunction()

# accrue_test(NAME SOURCES... LIBS ...): a GoogleTest executable registered with ctest.
function(accrue_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  accrue_strict(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${T_LABELS}")
endfunction()
