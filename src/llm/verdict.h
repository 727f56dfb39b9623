#pragma once
// AI verdict stages (`verdict: true`): the reply must be JSON {"verdict": "pass"|"fail",
// "findings": [{"path", "line", "severity": "error"|"warning"|"note", "message"}]}. The output
// guard parses and checks it here; samples are combined by combine_samples.

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sluice::llm {

struct VerdictFinding {
  std::string path;
  int64_t line = 0;  // 1-based; 0: the whole file
  std::string severity;  // error | warning | note
  std::string message;
};

enum class VerdictValue { pass, fail, unstable };  // unstable: samples did not agree
[[nodiscard]] std::string_view to_string(VerdictValue v);

struct Verdict {
  VerdictValue value = VerdictValue::fail;
  std::vector<VerdictFinding> findings;
  std::string text;  // the verdict as JSON (fences stripped), newline-terminated
};

// Parses and checks a verdict reply (code fences around it are dropped). Errors name what is
// wrong ("output guard: verdict: findings[1].severity must be ...") so a repair can fix it.
[[nodiscard]] Expected<Verdict> parse_verdict(std::string_view reply);

// The stage's verdict from its samples: pass or fail when at least `agree` of them say so,
// else unstable (findings: those of the agreeing samples' first, or none when unstable).
[[nodiscard]] Verdict combine_samples(const std::vector<Verdict>& samples, int agree);

}  // namespace sluice::llm
