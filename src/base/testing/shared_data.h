#pragma once
// For tests that read the reference data in ../shared (SLUICE_SHARED_DIR): on a developer
// machine without it they skip; under CI=true a missing ../shared fails them, since a green CI
// that silently skipped them would claim what nothing checked. A line at exit says how many
// tests ran against the data. Header-only, for test binaries.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sluice::base::testing {

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && *ci != '\0' && std::strcmp(ci, "0") != 0 && std::strcmp(ci, "false") != 0;
}

// Counts a test that ran against ../shared; prints the total once, at exit.
inline void count_shared_use() {
  static std::atomic<int> uses{0};
  static const bool registered = [] {
    std::atexit([] { std::printf("%d test(s) ran against ../shared reference data\n", uses.load()); });
    return true;
  }();
  (void)registered;
  ++uses;
}

}  // namespace sluice::base::testing

// Use at the top of a test (or SetUp): `present` says whether the shared data was found.
#define SLUICE_REQUIRE_SHARED(present, what)                                           \
  do {                                                                                  \
    if (present) {                                                                      \
      ::sluice::base::testing::count_shared_use();                                      \
    } else if (::sluice::base::testing::in_ci()) {                                      \
      FAIL() << (what) << " not found, and CI=true: the reference data must be there";  \
    } else {                                                                            \
      GTEST_SKIP() << (what) << " not found; skipping (it would fail under CI=true)";   \
    }                                                                                   \
  } while (0)
