#pragma once
// Rendering findings (JSON, SARIF 2.1.0) and verifying rules against their examples. Pure
// functions returning strings and values; the cli prints them.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "secrets/scanner.h"

namespace sluice::secrets {

// The first few characters of a secret followed by "…" markers; never the whole secret.
[[nodiscard]] std::string secret_preview(std::string_view secret);

// {"findings":[{rule, path, line, column, secret_preview, fingerprint, entropy}], ...}; findings
// from git history add commit, author, email and date.
[[nodiscard]] std::string findings_json(std::span<const Finding> findings);

// A SARIF 2.1.0 log with one run, the rules that fired and one result per finding. Findings from
// git history add partialFingerprints commitSha and sluiceCommitFingerprint/v1 (one per commit)
// and author, e-mail and date as result properties.
[[nodiscard]] std::string findings_sarif(std::span<const Finding> findings, const RuleSet& rules);

struct RuleCheck {
  size_t rules = 0;
  size_t examples = 0;          // must-match examples checked
  size_t counter_examples = 0;  // must-not-match examples checked
  std::vector<std::string> failures;  // "rule-id: example #2 ..." lines
};

// Scans every rule's examples with `scanner` (built from the same rules): each example must
// yield a finding of that rule (with the marked secret, if any), no counter-example may.
[[nodiscard]] RuleCheck check_rule_examples(const Scanner& scanner);

}  // namespace sluice::secrets
