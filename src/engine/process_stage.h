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

// Milliseconds to wait in poll() for `deadline` (rounded up, so a wake-up is never early and
// never spins); -1 for none.
[[nodiscard]] int poll_timeout_ms(std::optional<StageAttempt::Clock::time_point> deadline,
                                  StageAttempt::Clock::time_point now);

}  // namespace sluice::engine
