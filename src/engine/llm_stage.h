#pragma once
// The `llm:` stage kind: renders, redacts and counts the prompt, reserves budget, answers from
// the response cache or the provider, guards and writes the output, all through the llm engine.
// One executor per run: it owns the run's concurrency gate (max_concurrency slots).

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "engine/stage_executor.h"
#include "llm/config.h"
#include "engine/llm_sections.h"
#include "llm/gate.h"
#include "llm/pacer.h"
#include "llm/interfaces.h"
#include "store/remote_cache.h"

namespace sluice::engine {

struct LlmStageOptions {
  std::filesystem::path state_db;         // the run's .sluice/state.db (already created)
  std::string state_url;                  // postgres:// URL of the shared ledger; empty: state_db's
  store::RemoteCache* remote_cache = nullptr;  // for `llm.cache: shared` (borrowed; may be null)
  // The token counter for a model (borrowed; must outlive the run and be thread-safe).
  std::function<const llm::TokenCounter&(std::string_view model)> counter_for;
  const llm::Redactor* redactor = nullptr;     // the secret redactor (borrowed)
  std::string provider_override;          // --provider / SLUICE_PROVIDER
  bool record = false;                    // --record: write cassettes
  // The reference check of stages with check_references (borrowed; thread-safe); null: such a
  // stage fails when it asks for the check explicitly and skips it when it has it by default.
  const llm::ReferenceChecker* references = nullptr;
};

class LlmStageExecutor final : public StageExecutor {
 public:
  // `sections`: the pipeline's parsed `llm:` sections (parse_llm_sections); shared, immutable.
  LlmStageExecutor(std::shared_ptr<const LlmSections> sections, LlmStageOptions options);
  [[nodiscard]] StageOutcome execute(StageContext& ctx) override;

 private:
  std::shared_ptr<const LlmSections> m_sections;
  const llm::LlmConfig* m_config;  // m_sections->config; null when the pipeline has none
  LlmStageOptions m_options;
  llm::ConcurrencyGate m_gate;
  base::SystemClock m_clock;
  llm::Pacers m_pacers{m_clock};  // one per provider: a 429 slows every stage calling it
};

}  // namespace sluice::engine
