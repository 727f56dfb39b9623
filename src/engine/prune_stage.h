#pragma once
// The `prune:` stage kind: `sluice registry prune` as a stage. It reads the policy file (or ECR
// lifecycle policy) from the workspace, plans every repository and, with `apply: true`, deletes;
// the plan goes to the stage's output. Credentials come from SLUICE_REGISTRY_USERNAME and
// SLUICE_REGISTRY_PASSWORD in the stage's environment. A bad policy, an unreachable registry,
// a failed deletion or a plan over max_deletions fails the stage.

#include <filesystem>

#include "engine/stage_executor.h"

namespace sluice::engine {

// Stateless beyond the database path (sluice's push records, the first age source, are read
// from it); thread-safe.
class PruneStageExecutor final : public StageExecutor {
 public:
  explicit PruneStageExecutor(std::filesystem::path state_db) : m_state_db(std::move(state_db)) {}
  [[nodiscard]] StageOutcome execute(StageContext& ctx) override;

 private:
  std::filesystem::path m_state_db;
};

}  // namespace sluice::engine
