#pragma once
// The seam between the scheduler and what a stage does. Each stage kind (run, llm, validate)
// is one StageExecutor; the scheduler never branches on the kind.

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  std::filesystem::path workspace;    // absolute; a stage writes only inside it
  std::vector<std::string> env;       // the resolved environment, "KEY=value"
  std::string run_id;
  int attempt = 1;                    // 1-based
  std::chrono::milliseconds timeout{0};     // 0: none
  std::chrono::milliseconds kill_grace{5000};
  OutputSink& output;
  const CancelToken& cancel;
  // Looks up a variable of the resolved environment (e.g. an API key named in the config).
  std::function<std::optional<std::string>(std::string_view)> getenv;
};

enum class OutcomeStatus { success, failed, timeout, cancelled };

struct StageOutcome {
  OutcomeStatus status = OutcomeStatus::failed;
  std::optional<int> exit_code;
  std::string reason;                  // in words, for failures
  std::optional<std::string> details;  // JSON stored with the stage (kind-specific)
};

class StageExecutor {
 public:
  virtual ~StageExecutor() = default;
  // Runs one attempt of the stage. Called on a worker thread; must return promptly once
  // ctx.cancel is cancelled, leaving no process behind.
  [[nodiscard]] virtual StageOutcome execute(StageContext& ctx) = 0;
};

}  // namespace sluice::engine
