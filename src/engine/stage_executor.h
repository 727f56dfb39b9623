#pragma once
// The seam between the scheduler and what a stage does. Each stage kind (run, llm, validate)
// is one StageExecutor; the scheduler never branches on the kind.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "engine/cancel.h"
#include "pipeline/spec.h"

namespace sluice::engine {

// Where a stage's output goes: through the redactor, into its log file and to the terminal.
// Thread-safe for the one stage that owns it.
class OutputSink {
 public:
  virtual ~OutputSink() = default;
  virtual void write(std::string_view bytes) = 0;
};

struct StageContext {
  const pipeline::Pipeline& pipeline;
  const pipeline::Stage& stage;
  std::filesystem::path workspace;      // absolute; a stage writes only inside it
  const std::vector<std::string>& env;  // the resolved environment, "KEY=value" (borrowed)
  std::string run_id;
  int attempt = 1;                       // 1-based
  std::chrono::milliseconds timeout{0};  // 0: none
  std::chrono::milliseconds kill_grace{5000};
  OutputSink& output;
  const CancelToken& cancel;
  // Looks up a variable of the resolved environment (e.g. an API key named in the config).
  std::function<std::optional<std::string>(std::string_view)> getenv;
};

// unstable: an AI verdict whose samples did not agree; a failure that is not a `fail` verdict.
enum class OutcomeStatus { success, failed, timeout, cancelled, unstable };

struct StageOutcome {
  OutcomeStatus status = OutcomeStatus::failed;
  std::optional<int> exit_code;
  std::string reason;                  // in words, for failures
  std::optional<std::string> details;  // JSON stored with the stage (kind-specific)
};

// A stage kind that fails before or without a process: `why` goes to the stage's output (its log)
// and becomes the reason, with exit code 1.
[[nodiscard]] inline StageOutcome fail_with(StageContext& ctx, std::string why) {
  ctx.output.write(why + "\n");
  return StageOutcome{OutcomeStatus::failed, 1, std::move(why), std::nullopt};
}

// One attempt that needs no thread of its own: the scheduler thread waits on its descriptors
// together with everything else it waits on (as ninja polls its subprocesses) and calls
// advance() when one is ready or the deadline has come. This saves a thread hand-off (a futex
// wake, an eventfd and two context switches) per stage, which is most of a quick stage's cost.
class StageAttempt {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int k_max_fds = 2;
  virtual ~StageAttempt() = default;
  // The descriptors to wait on for POLLIN (at most k_max_fds); returns how many.
  [[nodiscard]] virtual int fds(int out[k_max_fds]) const = 0;
  // When advance() must be called even if no descriptor is ready.
  [[nodiscard]] virtual std::optional<Clock::time_point> deadline() const = 0;
  // Does what is due; `revents` holds the poll result of each descriptor fds() returned, in
  // order. Returns the outcome once the attempt has ended and left nothing running.
  [[nodiscard]] virtual std::optional<StageOutcome> advance(const short* revents,
                                                            Clock::time_point now) = 0;
  // Asks the attempt to stop; it ends (through advance) with a `cancelled` outcome.
  virtual void cancel(Clock::time_point now) = 0;
  // The process group the attempt runs in (recorded so that a later sluice can stop it if this
  // one is killed); nullopt when it runs no process.
  [[nodiscard]] virtual std::optional<int> process_group() const { return std::nullopt; }
};

// Milliseconds to wait in poll() for `deadline` (rounded up, so a wake-up is never early and
// never spins); -1 for none.
[[nodiscard]] inline int poll_timeout_ms(std::optional<StageAttempt::Clock::time_point> deadline,
                                         StageAttempt::Clock::time_point now) {
  if (!deadline) return -1;
  if (*deadline <= now) return 0;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(*deadline - now).count();
  return static_cast<int>(std::min<int64_t>((us + 999) / 1000, 1'000'000));
}

class StageExecutor {
 public:
  virtual ~StageExecutor() = default;
  // Runs one attempt of the stage. Called on a worker thread; must return promptly once
  // ctx.cancel is cancelled, leaving no process behind.
  [[nodiscard]] virtual StageOutcome execute(StageContext& ctx) = 0;
  // Whether this kind implements start(): its attempts are then driven by the scheduler thread
  // and execute() is not called by the runner.
  [[nodiscard]] virtual bool pollable() const { return false; }
  // Starts one attempt (only when pollable()). ctx is used during the call only; the attempt
  // writes its output to ctx.output, which the caller keeps alive until the attempt ends.
  // An error means the attempt could not start (its message is the failure reason).
  [[nodiscard]] virtual Expected<std::unique_ptr<StageAttempt>> start(StageContext& /*ctx*/) {
    return make_error(ErrorCode::internal, "this stage kind runs on a worker thread, not polled");
  }
};

}  // namespace sluice::engine
