#pragma once
// The `validate:` stage kind: offline Kubernetes manifest validation through the k8s engine.
// Findings go to the stage's output (and log) as text; the stage fails on errors, or on
// warnings too with `fail_on: warning`.

#include <cstddef>
#include <filesystem>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/stage_executor.h"
#include "k8s/validator.h"

namespace sluice::engine {

// One per run, shared by the run's worker threads (thread-safe). A k8s::Validator compiles each
// kind's schema the first time it meets it and keeps it; validators are kept between stages
// (one stage uses one at a time), so the schemas a run needs are compiled once per run for each
// set of options, not once per stage.
class ValidateStageExecutor final : public StageExecutor {
 public:
  // `schema_cache_dir`: where downloaded (http/https) schemas are kept.
  explicit ValidateStageExecutor(std::filesystem::path schema_cache_dir) : m_cache_dir(std::move(schema_cache_dir)) {}
  [[nodiscard]] StageOutcome execute(StageContext& ctx) override;
  // How many validators this executor has built (for tests: stages with the same options share).
  [[nodiscard]] size_t validators_built() const;

 private:
  [[nodiscard]] Expected<k8s::Validator> take(const std::string& key, const k8s::ValidateOptions& opts);
  void give_back(const std::string& key, k8s::Validator v);

  std::filesystem::path m_cache_dir;
  mutable std::mutex m_mu;
  std::unordered_map<std::string, std::vector<k8s::Validator>> m_idle;  // by options key
  size_t m_built = 0;
};

}  // namespace sluice::engine
