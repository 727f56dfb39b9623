#pragma once
// Small string helpers shared by every module.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::base {

[[nodiscard]] std::string_view trim(std::string_view s);
[[nodiscard]] std::vector<std::string_view> split(std::string_view s, char sep);
[[nodiscard]] std::string join(std::span<const std::string> parts, std::string_view sep);

// Edit distance counting insert, delete, substitute and adjacent swap as 1 each.
[[nodiscard]] size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a plausible typo
// (distance <= max(1, len/3)), for "did you mean" hints.
[[nodiscard]] std::optional<std::string> closest_match(std::string_view word,
                                                       std::span<const std::string_view> candidates);
[[nodiscard]] std::optional<std::string> closest_match(std::string_view word,
                                                       std::span<const std::string> candidates);

// Escapes text for XML attributes and element content (JUnit, SARIF-adjacent reports). XML 1.0
// forbids most control characters even when escaped; they become '?'.
[[nodiscard]] std::string xml_escape(std::string_view s);

// Quotes a string for messages: "value" with control characters escaped.
[[nodiscard]] std::string quote(std::string_view s);

}  // namespace sluice::base
