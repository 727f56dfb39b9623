#include "engine/stage_keys.h"

#include "pipeline/graph.h"

namespace sluice::engine {

StageKeys::StageKeys(const pipeline::Pipeline& p, StepCache& cache)
    : m_pipeline(p),
      m_cache(cache),
      m_needs(pipeline::need_indices(p)),
      m_key(p.stages.size()),
      m_dep_key(p.stages.size()) {}

Expected<std::string> StageKeys::compute(int i) {
  std::vector<std::string> need_keys;
  need_keys.reserve(m_needs[static_cast<size_t>(i)].size());
  for (int n : m_needs[static_cast<size_t>(i)]) need_keys.push_back(for_dependents(n));
  auto key = m_cache.key_for(m_pipeline, m_pipeline.stages[static_cast<size_t>(i)], need_keys);
  if (key) m_key[static_cast<size_t>(i)] = *key;
  return key;
}

void StageKeys::outputs_are(int i, const std::string& digest) {
  m_dep_key[static_cast<size_t>(i)] = StepCache::key_for_dependents(m_key[static_cast<size_t>(i)], digest);
}

const std::string& StageKeys::for_dependents(int i) const {
  const auto& d = m_dep_key[static_cast<size_t>(i)];
  return d.empty() ? m_key[static_cast<size_t>(i)] : d;
}

}  // namespace sluice::engine
