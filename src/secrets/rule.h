#pragma once
// The rule model shared by sluice's own rule files and gitleaks configurations.
// Pure data: loaders fill it (rule_loader.h), Scanner compiles it (scanner.h).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::secrets {

// Which text an allowlist regex is tested against (gitleaks `regexTarget`).
enum class RegexTarget { secret, match, line };

// How an allowlist's checks combine (gitleaks `condition`).
enum class Condition { any, all };

// One allowlist: a finding is allowed when its checks pass (any or all of the non-empty ones).
struct Allowlist {
  std::string description;
  Condition condition = Condition::any;
  RegexTarget regex_target = RegexTarget::secret;
  std::vector<std::string> regexes;    // RE2 syntax (Go regexp compatible)
  std::vector<std::string> paths;      // RE2 on the file path, '/'-separated
  std::vector<std::string> stopwords;  // allowed when the lowercased secret contains one
  std::vector<std::string> commits;    // git history scans: allowed in these commits (hash or prefix)
};

// An example that a rule must (or must not) report, with its expected secret when known.
struct RuleExample {
  std::string text;
  std::optional<std::string> secret;  // from <<...>> markers in sluice rule files
};

struct Rule {
  std::string id;
  std::string description;
  std::string regex;            // empty for path-only rules
  int secret_group = 0;         // 0: first non-empty capture group, else the whole match
  std::optional<double> entropy;  // Shannon bits/char the secret must exceed
  std::vector<std::string> keywords;  // lowercase; rule applies only if one occurs in the input
  std::string path;             // optional RE2 the file path must match
  std::vector<Allowlist> allowlists;
  std::vector<RuleExample> examples;          // must be reported
  std::vector<RuleExample> counter_examples;  // must not be reported
  std::string example_path;     // file path the examples are scanned as (rules with a path filter)
  std::string origin;           // "file:line" of the definition, for messages
};

struct RuleSet {
  std::string title;
  std::vector<Rule> rules;
  std::vector<Allowlist> global_allowlists;
};

}  // namespace sluice::secrets
