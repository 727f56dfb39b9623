#pragma once
// The plan and its outcome as text (for the terminal and a `prune:` stage's log) and as JSON
// (`--json FILE`). Returns strings; printing is the caller's.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "registry/apply.h"
#include "registry/plan.h"

namespace sluice::registry {

struct RepoOutcome {
  Plan plan;
  std::optional<ApplyResult> applied;  // set when --apply ran for this repository
};

// One block per repository: each image (action, digest, tags, age and its source, size, the
// rule that decided), then totals. `now_ms` turns ages into days.
[[nodiscard]] std::string plan_text(const RepoOutcome& r, int64_t now_ms);
[[nodiscard]] nlohmann::json plan_json(const RepoOutcome& r, int64_t now_ms);

}  // namespace sluice::registry
