#pragma once
// Loading sluice.yml: YAML syntax, the keys and their types, durations, needs (unknown names,
// cycles), and the stage kinds' blocks. Every problem found is reported, not only the first.

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/diagnostic.h"
#include "base/error.h"
#include "pipeline/spec.h"

namespace sluice::pipeline {

struct LoadResult {
  Pipeline pipeline;
  base::Diagnostics diagnostics;  // empty when the pipeline is valid
  [[nodiscard]] bool ok() const { return diagnostics.empty(); }
};

// What a run brings to loading: `-p NAME=VALUE` parameter values, in command-line order.
struct LoadOptions {
  std::vector<std::pair<std::string, std::string>> params;
};

// Parses and validates `text`; `filename` is used in messages and anchors relative `include:`s.
[[nodiscard]] LoadResult parse_pipeline(std::string_view text, std::string_view filename,
                                        const LoadOptions& opts = {});

// Reads `path` and parses it. An unreadable file is one diagnostic naming it.
[[nodiscard]] LoadResult load_pipeline(const std::filesystem::path& path, const LoadOptions& opts = {});

// Keys accepted at each level (for "did you mean" and docs).
[[nodiscard]] const std::vector<std::string_view>& top_level_keys();
[[nodiscard]] const std::vector<std::string_view>& stage_keys();

}  // namespace sluice::pipeline
