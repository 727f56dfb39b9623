#pragma once
// A data file embedded in the binary at build time (cmake/embed_files.cmake).

#include <span>
#include <string_view>

namespace sluice::base {

struct EmbeddedFile {
  std::string_view name;  // relative to the embedded folder, e.g. "rules/cloud.toml"
  std::string_view text;  // static storage: valid for the program's lifetime
};

// The file named `name` in `files`, or an empty view.
[[nodiscard]] inline std::string_view find_embedded(std::span<const EmbeddedFile> files, std::string_view name) {
  for (const EmbeddedFile& f : files) {
    if (f.name == name) return f.text;
  }
  return {};
}

}  // namespace sluice::base
