# Shared settings for sluice's own targets (never applied to third-party code).
add_library(sluice_settings INTERFACE)
target_include_directories(sluice_settings INTERFACE ${PROJECT_SOURCE_DIR}/src)
target_compile_features(sluice_settings INTERFACE cxx_std_20)
target_compile_definitions(sluice_settings INTERFACE
  $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>
  SLUICE_VERSION="${PROJECT_VERSION}")

add_library(sluice_warnings INTERFACE)
target_compile_options(sluice_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual -Wnull-dereference
  $<$<BOOL:${SLUICE_WERROR}>:-Werror>)
# g++ 12 at -O2 (the release build; -O3 inlines differently) reports a "potential null pointer
# dereference" inside libstdc++'s string move as inlined from CLI11's detail::split: a false
# positive in code that is not ours, so it stays a warning there instead of failing the release.
if(SLUICE_RELEASE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(sluice_warnings INTERFACE -Wno-error=null-dereference)
endif()

# sluice_module(NAME SOURCES... [DEPS ...]) -> static library sluice_NAME.
function(sluice_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(sluice_${name} STATIC ${ARG_SOURCES})
  target_link_libraries(sluice_${name} PUBLIC sluice_settings PRIVATE sluice_warnings ${ARG_DEPS})
endfunction()

# sluice_module_test(NAME SOURCES... [DEPS ...] [ENV k=v...] [LABELS ...]) -> one GoogleTest
# binary per module, registered with CTest as unit/NAME.
function(sluice_module_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;ENV;LABELS" ${ARGN})
  add_executable(sluice_${name}_test ${ARG_SOURCES})
  target_link_libraries(sluice_${name}_test PRIVATE sluice_${name} sluice_settings sluice_warnings
    ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  add_test(NAME unit/${name} COMMAND sluice_${name}_test)
  set_tests_properties(unit/${name} PROPERTIES
    ENVIRONMENT "SLUICE_SOURCE_DIR=${PROJECT_SOURCE_DIR};SLUICE_SHARED_DIR=${PROJECT_SOURCE_DIR}/../shared;${ARG_ENV}"
    LABELS "unit;${ARG_LABELS}")
endfunction()

# sluice_fuzz_target(NAME SOURCE DEPS...) -> libFuzzer binary fuzz_NAME, only with SLUICE_FUZZ.
function(sluice_fuzz_target name source)
  if(SLUICE_FUZZ)
    add_executable(fuzz_${name} ${source})
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(fuzz_${name} PRIVATE sluice_settings ${ARGN})
  endif()
endfunction()

# sluice_benchmark(NAME SOURCE DEPS...) -> Google Benchmark binary bench_NAME, only with SLUICE_BENCH.
function(sluice_benchmark name source)
  if(SLUICE_BENCH)
    add_executable(bench_${name} ${source})
    target_link_libraries(bench_${name} PRIVATE sluice_settings sluice_warnings benchmark::benchmark ${ARGN})
  endif()
endfunction()
