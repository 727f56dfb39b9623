#pragma once
// The cache-key walk, shared by the scheduler and `sluice plan`: a stage's key is computed
// from its definition, inputs and the keys its needs show their dependents. What a need shows
// is its own key, or, once its outputs are known (restored from the cache, saved after a run,
// or left by a run that is not cached), StepCache::key_for_dependents(key, outputs digest): a
// need that ran again and changed its outputs changes its dependents' keys.
//
// Thread-safety: none (the StepCache it uses is the scheduler thread's).

#include <string>
#include <vector>

#include "base/error.h"
#include "engine/step_cache.h"
#include "pipeline/spec.h"

namespace sluice::engine {

class StageKeys {
 public:
  // `p` and `cache` must outlive this.
  StageKeys(const pipeline::Pipeline& p, StepCache& cache);

  // Computes (and keeps) stage `i`'s key; its needs' keys must have been computed first.
  [[nodiscard]] Expected<std::string> compute(int i);
  [[nodiscard]] const std::string& key(int i) const { return m_key[static_cast<size_t>(i)]; }
  // Stage `i`'s outputs now have `digest` (see StepCache::outputs_digest).
  void outputs_are(int i, const std::string& digest);
  // What the stages needing `i` see of it.
  [[nodiscard]] const std::string& for_dependents(int i) const;

 private:
  const pipeline::Pipeline& m_pipeline;
  StepCache& m_cache;
  std::vector<std::vector<int>> m_needs;
  std::vector<std::string> m_key;
  std::vector<std::string> m_dep_key;  // empty: the key itself
};

}  // namespace sluice::engine
