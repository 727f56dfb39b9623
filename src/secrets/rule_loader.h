#pragma once
// Loading rule sets: sluice's own rule files, gitleaks TOML configurations, and the built-in
// default rules (embedded into the library at build time from src/secrets/rules/*.toml).

#include <string_view>

#include "base/error.h"
#include "secrets/rule.h"

namespace sluice::secrets {

// Parses a sluice rule file (schema in docs/secrets.md). `origin` names the file in messages.
// Collects every problem; the error message has one line per problem.
[[nodiscard]] Expected<RuleSet> load_sluice_rules(std::string_view toml_text, std::string_view origin);

// Parses a gitleaks configuration ([[rules]], [[rules.allowlists]], [rules.allowlist], global
// [allowlist] / [[allowlists]]). Unsupported constructs fail with the rule id and the construct.
[[nodiscard]] Expected<RuleSet> load_gitleaks_config(std::string_view toml_text, std::string_view origin);

// Either format: a file with [[rules]] is gitleaks, one with [[rule]] is sluice's.
[[nodiscard]] Expected<RuleSet> load_rules_auto(std::string_view toml_text, std::string_view origin);

// The built-in rule set (parsed once per call; callers keep the result).
[[nodiscard]] Expected<RuleSet> default_rules();

// Expands example templates: {{[A-Za-z0-9]:36}} becomes 36 characters drawn from the class by a
// PRNG seeded with `seed`, so examples are format-valid, deterministic and never real secrets.
// <<...>> markers are kept; split_secret_markers() removes them.
[[nodiscard]] std::string expand_example_template(std::string_view text, uint64_t seed);

// Removes <<...>> markers, returning the plain text and the marked secret if any.
[[nodiscard]] RuleExample split_secret_markers(std::string_view text);

}  // namespace sluice::secrets
