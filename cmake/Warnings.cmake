# Strict warnings for our own targets only; generated protobuf code is exempt.
# GCC 12 reports false -Wrestrict positives on "literal" + std::string at -O2/-O3
# (GCC bug 105329); they stay visible as warnings but do not fail the build.
set(ACCRUE_WARNINGS -Wall -Wextra -Wpedantic -Werror -Wno-error=deprecated-declarations)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND ACCRUE_WARNINGS -Wno-error=restrict)
  # Under -fsanitize GCC 12 reports maybe-uninitialized inside Boost.Multiprecision's
  # cpp_int headers (false positives from the instrumentation), and decimal_alloc_test's
  # deliberate counting operator new (malloc/free) trips mismatched-new-delete; warnings.
  if(ACCRUE_SANITIZE)
    list(APPEND ACCRUE_WARNINGS -Wno-error=maybe-uninitialized -Wno-error=mismatched-new-delete)
  endif()
  # Under -fsanitize=thread GCC 12 warns (-Wtsan) that Boost.Asio's
  # atomic_thread_fence is not instrumented; TSan then does not see the fence's
  # ordering, which can only add reports, never hide one. A warning, not an error.
  if(ACCRUE_TSAN)
    list(APPEND ACCRUE_WARNINGS -Wno-error=tsan)
  endif()
endif()
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
