#pragma once
// Helpers shared by the k8s unit tests: where the shared data and the fixtures are.

#include "base/testing/shared_data.h"
#include <cstdlib>
#include <filesystem>
#include <string>

namespace sluice::k8s::testing {

// ../shared/data/k8s-schemas, or empty when SLUICE_SHARED_DIR is unset or lacks it.
inline std::filesystem::path shared_dir(const char* sub) {
  const char* dir = std::getenv("SLUICE_SHARED_DIR");
  if (dir == nullptr) return {};
  std::filesystem::path p = std::filesystem::path(dir) / "data" / sub;
  return std::filesystem::is_directory(p) ? p : std::filesystem::path();
}

inline std::filesystem::path fixtures_dir() {
  const char* dir = std::getenv("SLUICE_SOURCE_DIR");
  return std::filesystem::path(dir ? dir : ".") / "tests" / "fixtures" / "k8s";
}

}  // namespace sluice::k8s::testing

#define SLUICE_REQUIRE_SCHEMAS(var)                                                             \
  auto var = ::sluice::k8s::testing::shared_dir("k8s-schemas");                                 \
  SLUICE_REQUIRE_SHARED(!var.empty(), "SLUICE_SHARED_DIR/data/k8s-schemas")
