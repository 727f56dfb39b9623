#pragma once
// For tests of the PostgreSQL backends: the server's URL comes from SLUICE_TEST_PG_URL, which the
// e2e tests that start a throwaway cluster set (tests/e2e/test_shared_*.sh); they also fail when
// a postgres case was skipped, so a run without it cannot pass as one with it. Tests that share
// one database keep apart with unique names. Header-only, for test binaries.

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <string>

namespace sluice::base::testing {

// The URL of the test PostgreSQL, or "" when none is set (the caller skips).
inline std::string test_pg_url() {
  const char* u = std::getenv("SLUICE_TEST_PG_URL");
  return u != nullptr ? u : "";
}

// `prefix` plus a value no other test (or earlier run against the same database) has used.
inline std::string unique_name(const std::string& prefix) {
  static std::atomic<int> n{0};
  return fmt::format("{}-{}-{}", prefix, std::random_device{}(), n++);
}

}  // namespace sluice::base::testing
