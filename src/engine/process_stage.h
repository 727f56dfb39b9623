#pragma once
// The `run:` stage kind: the command runs under the stage's shell in its own process group.
// On timeout or cancellation the group gets SIGTERM, then SIGKILL after the grace period;
// when the command exits, anything it left running in its group is killed.

#include "engine/stage_executor.h"

namespace sluice::engine {

class ProcessStageExecutor final : public StageExecutor {
 public:
  [[nodiscard]] StageOutcome execute(StageContext& ctx) override;
};

// argv for running `command` with `shell` ("bash" -> bash -eo pipefail -c, "sh" -> sh -ec,
// anything else -> SHELL -c).
[[nodiscard]] std::vector<std::string> shell_argv(const std::string& shell, const std::string& command);

}  // namespace sluice::engine
