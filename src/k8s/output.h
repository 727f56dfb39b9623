#pragma once
// Renders a validation Report as text, JSON, JUnit XML or SARIF 2.1.0. Returns strings; the
// caller decides where they go. Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>

#include "k8s/validator.h"

namespace sluice::k8s {

enum class OutputFormat { text, json, junit, sarif };

[[nodiscard]] std::optional<OutputFormat> parse_output_format(std::string_view name);

enum class Color { off, on };

// text: one line per finding, "file:line:col: error: path: message [rule] (resource)", then a
// summary line. json: {"valid", "summary", "findings": [...]}.
[[nodiscard]] std::string render_report(const Report& report, OutputFormat format, Severity fail_on,
                                        Color color = Color::off);

}  // namespace sluice::k8s
