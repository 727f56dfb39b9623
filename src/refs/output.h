#pragma once
// Renders findings as text (file:line:col: reason), JSON ({"findings": [...], "count": N}) or
// SARIF 2.1.0.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "refs/reference.h"

namespace sluice::refs {

enum class OutputFormat { text, json, sarif };

[[nodiscard]] std::optional<OutputFormat> parse_output_format(std::string_view s);
[[nodiscard]] std::string render(const std::vector<Finding>& findings, OutputFormat format);
// One finding as a text line (no newline): "path:line:col: reason; possible typo of \"x\"".
[[nodiscard]] std::string to_text(const Finding& f);

}  // namespace sluice::refs
