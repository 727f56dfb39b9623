#pragma once
// Runs a pipeline: deterministic scheduling (ready stages start in file order, bounded by
// `jobs` and locks), fail-fast or keep-going, retries, timeouts, step caching, redacted logs,
// and a record of every transition in the state database.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "engine/stage_executor.h"
#include "pipeline/spec.h"
#include "store/state_store.h"

namespace sluice::engine {

// Filters a stage's output stream (the secret redactor); one per stage and attempt sequence.
class StreamFilter {
 public:
  virtual ~StreamFilter() = default;
  // Returns what can be emitted now; may hold back a tail that could be the start of a secret.
  [[nodiscard]] virtual std::string write(std::string_view chunk) = 0;
  [[nodiscard]] virtual std::string flush() = 0;
};

class StreamFilterFactory {
 public:
  virtual ~StreamFilterFactory() = default;
  [[nodiscard]] virtual std::unique_ptr<StreamFilter> make() const = 0;
  // Masks a complete message (reasons, errors) before it is stored or shown.
  [[nodiscard]] virtual std::string redact(std::string_view text) const = 0;
};

// Observer of a run, called on the scheduler thread only, in event order.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void run_started(const store::RunRecord& /*run*/, const std::vector<int>& /*selected*/) {}
  virtual void stage_started(const pipeline::Stage& /*stage*/, int /*attempt*/) {}
  // Redacted output bytes of a running stage.
  virtual void stage_output(const pipeline::Stage& /*stage*/, std::string_view /*chunk*/) {}
  virtual void stage_retrying(const pipeline::Stage& /*stage*/, int /*next_attempt*/, std::string_view /*why*/) {}
  virtual void stage_finished(const pipeline::Stage& /*stage*/, const store::StageRecord& /*record*/) {}
  // Something the user should know that does not change the stage's result (a damaged cache
  // entry that made it run again, say). `text` is redacted.
  virtual void stage_warning(const pipeline::Stage& /*stage*/, std::string_view /*text*/) {}
};

struct RunOptions {
  std::filesystem::path workspace;  // absolute; stages run here
  std::filesystem::path state_dir;  // absolute; usually <workspace>/.sluice
  int jobs = 1;
  bool keep_going = false;
  bool cancel_on_failure = false;
  bool no_cache = false;
  std::vector<std::string> only;  // stage names (plus their needs); empty: all
  std::vector<std::string> base_env;  // the environment stages inherit, "KEY=value"
  int interrupt_fd = -1;  // readable when the user asked to stop (Ctrl-C/SIGTERM)
  std::string options_text;  // how sluice was invoked, for the record
};

struct RunResult {
  store::RunRecord run;
  std::vector<store::StageRecord> stages;  // selected stages, file order
  bool interrupted = false;
};

class Runner {
 public:
  // `executors` maps each stage kind to its implementation; `filters` may be null (no redaction).
  Runner(const pipeline::Pipeline& p, RunOptions opts, std::map<pipeline::StageKind, StageExecutor*> executors,
         const StreamFilterFactory* filters, EventSink& sink);

  // Runs the pipeline to the end. Errors are about sluice itself (state database, log files);
  // stage failures are part of the result.
  [[nodiscard]] Expected<RunResult> run();

 private:
  const pipeline::Pipeline& m_pipeline;
  RunOptions m_opts;
  std::map<pipeline::StageKind, StageExecutor*> m_executors;
  const StreamFilterFactory* m_filters;
  EventSink& m_sink;
};

// Resolves --only names to stage indices plus their needs; unknown names are an error.
[[nodiscard]] Expected<std::vector<int>> select_stages(const pipeline::Pipeline& p,
                                                       const std::vector<std::string>& only);

}  // namespace sluice::engine
