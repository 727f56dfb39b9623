#pragma once
// The `run:` stage kind: the command runs under the stage's shell in its own process group.
// On timeout or cancellation the group gets SIGTERM, then SIGKILL after the grace period;
// when the command exits, anything it left running in its group is killed.
//
// The runner drives these attempts from its own thread (pollable(): no worker thread per
// stage); execute() runs the same attempt to the end with a poll loop of its own.

#include "engine/stage_executor.h"

namespace sluice::engine {

class ProcessStageExecutor final : public StageExecutor {
 public:
  [[nodiscard]] StageOutcome execute(StageContext& ctx) override;
  [[nodiscard]] bool pollable() const override { return true; }
  [[nodiscard]] Expected<std::unique_ptr<StageAttempt>> start(StageContext& ctx) override;
};

// argv for running `command` with `shell` ("bash" -> bash -eo pipefail -c, "sh" -> sh -ec,
// anything else -> SHELL -c).
[[nodiscard]] std::vector<std::string> shell_argv(const std::string& shell,
                                                  const std::string& command);

}  // namespace sluice::engine
