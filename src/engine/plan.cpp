#include "engine/plan.h"

#include "engine/stage_keys.h"
#include "pipeline/graph.h"

namespace sluice::engine {

std::vector<PlannedStage> plan_run(const pipeline::Pipeline& p, const std::vector<int>& selected, StepCache& cache,
                                   bool no_cache, const RunFacts& facts) {
  using Action = PlannedStage::Action;
  std::vector<bool> is_selected(p.stages.size(), false);
  for (int i : selected) is_selected[static_cast<size_t>(i)] = true;
  const auto needs = pipeline::need_indices(p);
  std::vector<bool> runs(p.stages.size(), false);
  StageKeys keys(p, cache);
  std::vector<std::optional<pipeline::EnvList>> values(p.stages.size());
  std::vector<bool> skipped(p.stages.size(), false);
  auto values_of = [&](std::string_view name) -> const pipeline::EnvList* {
    int n = p.index_of(name);
    if (n < 0 || !values[static_cast<size_t>(n)]) return nullptr;
    return &*values[static_cast<size_t>(n)];
  };
  std::vector<PlannedStage> out;
  for (int i : pipeline::topological_order(p)) {
    if (!is_selected[static_cast<size_t>(i)]) continue;
    const auto& stage = p.stages[static_cast<size_t>(i)];
    PlannedStage ps;
    ps.stage = i;
    if (!stage.always) {
      for (int n : needs[static_cast<size_t>(i)]) {
        if (is_selected[static_cast<size_t>(n)] && skipped[static_cast<size_t>(n)]) {
          ps.action = Action::need_skipped;
          ps.upstream = p.stages[static_cast<size_t>(n)].name;
          break;
        }
      }
    }
    if (ps.action != Action::need_skipped && (stage.condition || !stage.changes.empty())) {
      Decision d = decide(p, stage, facts, values_of);
      ps.why = d.why;
      if (!d.run) ps.action = Action::condition_false;
    }
    if (!ps.runs()) {
      skipped[static_cast<size_t>(i)] = true;
      values[static_cast<size_t>(i)] = pipeline::EnvList{};
      out.push_back(std::move(ps));
      continue;
    }
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
      } else if (pipeline::EnvList v; auto digest = cache.peek(*key, &v)) {
        // As a hit's restore tells the run (Scheduler::outputs_known).
        std::string vd = outputs_values_digest(v);
        if (!digest->empty() || !vd.empty()) keys.outputs_are(i, vd.empty() ? *digest : *digest + ":" + vd);
        values[static_cast<size_t>(i)] = std::move(v);
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
