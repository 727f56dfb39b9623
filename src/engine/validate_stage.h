#pragma once
// The `validate:` stage kind: offline Kubernetes manifest validation through the k8s engine.
// Findings go to the stage's output (and log) as text; the stage fails on errors, or on
// warnings too with `fail_on: warning`.

#include <filesystem>

#include "engine/stage_executor.h"

namespace sluice::engine {

class ValidateStageExecutor final : public StageExecutor {
 public:
  // `schema_cache_dir`: where downloaded (http/https) schemas are kept.
  explicit ValidateStageExecutor(std::filesystem::path schema_cache_dir) : m_cache_dir(std::move(schema_cache_dir)) {}
  [[nodiscard]] StageOutcome execute(StageContext& ctx) override;

 private:
  std::filesystem::path m_cache_dir;
};

}  // namespace sluice::engine
