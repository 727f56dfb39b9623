#pragma once
// What `sluice run` would do, without running anything: the scheduler's own key walk
// (StageKeys over StepCache) in dependency order, each stage's key looked up without restoring.
// A change to how keys are made is therefore made once, for the run and for the plan.

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/conditions.h"
#include "engine/step_cache.h"
#include "pipeline/spec.h"

namespace sluice::engine {

struct PlannedStage {
  enum class Action {
    cached,          // a hit: restored, not run
    cannot_hash,     // runs: its inputs could not be hashed (`problem` says why)
    not_cached,      // runs: not cacheable
    no_cache,        // runs: --no-cache
    after_upstream,  // runs unless `upstream` reproduces its outputs (the key depends on them)
    miss,            // runs: no entry for the key
    condition_false,  // skipped: its `if`/`changes` is false (`why`)
    need_skipped,     // skipped: a need is skipped (`upstream`) and it does not say if: always()
  };
  int stage = 0;
  Action action = Action::miss;
  std::string key;       // empty when it could not be computed
  std::string upstream;  // after_upstream: the first need that runs
  std::string problem;   // cannot_hash
  std::string why;       // its `if`/`changes`, evaluated: "if: git.branch == 'main' is true"
  [[nodiscard]] bool runs() const {
    return action != Action::cached && action != Action::condition_false && action != Action::need_skipped;
  }
};

// The selected stages in dependency order (pipeline::topological_order) with what a run would do.
// `facts` decide `if:` and `changes:` as the run would; one reading outputs of a stage that runs
// first is decided at run time (`why` says so) and planned as if it runs.
[[nodiscard]] std::vector<PlannedStage> plan_run(const pipeline::Pipeline& p, const std::vector<int>& selected,
                                                 StepCache& cache, bool no_cache, const RunFacts& facts = {});

}  // namespace sluice::engine
