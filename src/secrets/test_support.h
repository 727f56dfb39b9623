#pragma once
// Test helpers: scanners are expensive to compile (especially under ASan), so every test shares
// one per rule set for the whole test binary.

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "base/files.h"
#include "secrets/rule_loader.h"
#include "secrets/scanner.h"

namespace sluice::secrets::testing {

inline std::shared_ptr<const Scanner> default_scanner() {
  static const std::shared_ptr<const Scanner> s = [] {
    auto rules = default_rules();
    if (!rules) throw std::runtime_error(rules.error().message);
    auto sc = Scanner::create(std::move(*rules));
    if (!sc) throw std::runtime_error(sc.error().message);
    return *sc;
  }();
  return s;
}

inline std::filesystem::path gitleaks_config_path() {
  const char* shared = std::getenv("SLUICE_SHARED_DIR");
  return std::filesystem::path(shared ? shared : "../shared") / "data/gitleaks/gitleaks.toml";
}

// Null when the shared gitleaks config is absent (tests then skip).
inline std::shared_ptr<const Scanner> gitleaks_scanner() {
  static const std::shared_ptr<const Scanner> s = []() -> std::shared_ptr<const Scanner> {
    auto text = base::read_file(gitleaks_config_path());
    if (!text) return nullptr;
    auto rules = load_gitleaks_config(*text, "gitleaks.toml");
    if (!rules) throw std::runtime_error(rules.error().message);
    auto sc = Scanner::create(std::move(*rules));
    if (!sc) throw std::runtime_error(sc.error().message);
    return *sc;
  }();
  return s;
}

// A scanner from an inline sluice rule file; fails the test on error.
inline std::shared_ptr<const Scanner> scanner_from(std::string_view toml) {
  auto rules = load_rules_auto(toml, "test.toml");
  EXPECT_TRUE(rules.has_value()) << (rules ? "" : rules.error().message);
  if (!rules) return nullptr;
  auto sc = Scanner::create(std::move(*rules));
  EXPECT_TRUE(sc.has_value()) << (sc ? "" : sc.error().message);
  return sc ? *sc : nullptr;
}

}  // namespace sluice::secrets::testing
