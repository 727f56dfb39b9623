#pragma once
// Test helpers: the real rank files, loaded once per test binary from $SLUICE_TIKTOKEN_DIR (set by
// CTest; scripts/fetch-ranks.sh installs the files).

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

#include "tokenize/encoder.h"

namespace sluice::tokenize::testing {

inline std::filesystem::path rank_dir() {
  const char* dir = std::getenv("SLUICE_TIKTOKEN_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : "/") / ".cache/sluice/tiktoken";
}

// Throws (failing the test) when the rank file is missing: run scripts/fetch-ranks.sh.
inline const Encoder& encoder(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, Encoder> cache;
  const std::lock_guard lock(mutex);
  auto it = cache.find(name);
  if (it == cache.end()) {
    auto loaded = load_encoding(name, rank_dir());
    if (!loaded) throw std::runtime_error(loaded.error().message);
    it = cache.emplace(name, std::move(*loaded)).first;
  }
  return it->second;
}

// $SLUICE_TOKENIZE_GOLDEN_DIR overrides (bench/tokenize/differential.sh points it at a big corpus).
inline std::filesystem::path golden_dir() {
  if (const char* dir = std::getenv("SLUICE_TOKENIZE_GOLDEN_DIR"); dir != nullptr && *dir != '\0') return dir;
  const char* src = std::getenv("SLUICE_SOURCE_DIR");
  return std::filesystem::path(src ? src : ".") / "tests/golden/tokenize";
}

}  // namespace sluice::tokenize::testing
