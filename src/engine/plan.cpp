#include "engine/plan.h"

#include "engine/stage_keys.h"
#include "pipeline/graph.h"

namespace sluice::engine {

std::vector<PlannedStage> plan_run(const pipeline::Pipeline& p, const std::vector<int>& selected, StepCache& cache,
                                   bool no_cache) {
  using Action = PlannedStage::Action;
  std::vector<bool> is_selected(p.stages.size(), false);
  for (int i : selected) is_selected[static_cast<size_t>(i)] = true;
  const auto needs = pipeline::need_indices(p);
  std::vector<bool> runs(p.stages.size(), false);
  StageKeys keys(p, cache);
  std::vector<PlannedStage> out;
  for (int i : pipeline::topological_order(p)) {
    if (!is_selected[static_cast<size_t>(i)]) continue;
    const auto& stage = p.stages[static_cast<size_t>(i)];
    PlannedStage ps;
    ps.stage = i;
    for (int n : needs[static_cast<size_t>(i)]) {
      if (runs[static_cast<size_t>(n)]) {
        ps.upstream = p.stages[static_cast<size_t>(n)].name;
        break;
      }
    }
    if (auto key = keys.compute(i); !key) {
      ps.action = Action::cannot_hash;
      ps.problem = key.error().message;
    } else {
      ps.key = *key;
      if (!is_cacheable(stage)) {
        ps.action = Action::not_cached;
      } else if (no_cache) {
        ps.action = Action::no_cache;
      } else if (!ps.upstream.empty()) {
        ps.action = Action::after_upstream;
      } else if (auto digest = cache.peek(*key)) {
        keys.outputs_are(i, *digest);  // as a hit's restore tells the run
        ps.action = Action::cached;
      } else {
        ps.action = Action::miss;
      }
    }
    if (ps.action != Action::after_upstream) ps.upstream.clear();
    runs[static_cast<size_t>(i)] = ps.runs();
    out.push_back(std::move(ps));
  }
  return out;
}

}  // namespace sluice::engine
