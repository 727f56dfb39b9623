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
#include "engine/conditions.h"
#include "engine/events.h"
#include "engine/gates.h"
#include "engine/stage_executor.h"
#include "pipeline/spec.h"
#include "store/remote_cache.h"
#include "store/review_store.h"
#include "store/state_store.h"

namespace sluice::engine {

struct RunOptions {
  std::filesystem::path workspace;  // absolute; stages run here
  std::filesystem::path state_dir;  // absolute; usually <workspace>/.sluice
  // The state backend (store::StateStore::open): "" the SQLite database in state_dir, or a
  // postgres:// URL (runs, stages and the step-cache index shared with other runners).
  std::string state_url;
  int jobs = 1;
  bool keep_going = false;
  bool cancel_on_failure = false;
  bool no_cache = false;
  std::vector<std::string> only;  // stage names (plus their needs); empty: all
  std::vector<std::string> base_env;  // the environment stages inherit, "KEY=value"
  int interrupt_fd = -1;  // readable when the user asked to stop (Ctrl-C/SIGTERM)
  std::string options_text;  // how sluice was invoked, for the record
  // Review gates (docs/review.md): null or without gates, none. `actor` started the run.
  const ReviewPlan* review = nullptr;
  pipeline::OnPending on_pending = pipeline::OnPending::fail;
  std::string actor;
  RunFacts facts;  // what `if:` and `changes:` read (git, environment, changed files)
  // The remote step cache (not owned; null: none). Consulted after a local miss; fed after a
  // stage ran when it is writable. The caller flushes it after the run.
  store::RemoteCache* remote_cache = nullptr;
  // Where gates record requests and read decisions (not owned; used from the scheduler thread
  // only). Null: the workspace's SQLite state; the shared PostgreSQL one makes an approval given
  // on another machine release this run's gates.
  store::ReviewStore* review_store = nullptr;
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
  friend class Scheduler;  // one run's state and loop (runner.cpp)
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
