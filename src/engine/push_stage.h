#pragma once
// The `push:` stage kind: `sluice registry push` as a stage. It pushes an OCI image layout
// directory of the workspace to each REGISTRY/REPO:TAG and records each push (with the run's
// id) in the workspace state, where `sluice registry prune` finds it as the image's age.
// Credentials come from SLUICE_REGISTRY_USERNAME and SLUICE_REGISTRY_PASSWORD in the stage's
// environment. A bad layout or reference, an unreachable or refusing registry fails the stage.

#include <filesystem>

#include "engine/stage_executor.h"

namespace sluice::engine {

// Stateless beyond the database path; thread-safe (each attempt opens its own connection).
class PushStageExecutor final : public StageExecutor {
 public:
  explicit PushStageExecutor(std::filesystem::path state_db) : m_state_db(std::move(state_db)) {}
  [[nodiscard]] StageOutcome execute(StageContext& ctx) override;

 private:
  std::filesystem::path m_state_db;
};

}  // namespace sluice::engine
