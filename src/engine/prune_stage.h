#pragma once
// The `prune:` stage kind: `sluice registry prune` as a stage. It reads the policy file (or ECR
// lifecycle policy) from the workspace, plans every repository and, with `apply: true`, deletes;
// the plan goes to the stage's output. Credentials come from SLUICE_REGISTRY_USERNAME and
// SLUICE_REGISTRY_PASSWORD in the stage's environment. A bad policy, an unreachable registry,
// a failed deletion or a plan over max_deletions fails the stage.

#include "engine/stage_executor.h"

namespace sluice::engine {

// Stateless; thread-safe.
class PruneStageExecutor final : public StageExecutor {
 public:
  [[nodiscard]] StageOutcome execute(StageContext& ctx) override;
};

}  // namespace sluice::engine
