#pragma once
// The default rule files, embedded at build time by embed_rules.cmake (generated source).

#include <span>
#include <string_view>

namespace sluice::secrets {

struct EmbeddedFile {
  std::string_view name;  // e.g. "rules/cloud.toml"
  std::string_view text;
};

// Static storage; valid for the program's lifetime.
[[nodiscard]] std::span<const EmbeddedFile> embedded_rule_files();

}  // namespace sluice::secrets
