#pragma once
// Assembles what a run needs beyond the scheduler: one executor per stage kind, and the
// redactor that every stage's output passes through. The only place that reads secret values
// and API keys from the environment.

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/llm_sections.h"
#include "engine/runner.h"
#include "engine/stage_executor.h"
#include "pipeline/spec.h"

namespace sluice::cli {

struct StageKindArgs {
  std::string provider;   // --provider: overrides every LLM stage's provider
  bool record = false;    // --record: store the provider's exchanges as cassettes
  store::RemoteCache* remote_cache = nullptr;  // the run's remote cache, for llm.cache: shared
  std::string state_url;  // resolved --state / SLUICE_STATE_URL / `state:` (postgres://); empty: SQLite
};

void add_stage_kind_options(CLI::App* cmd, StageKindArgs& args);

class StageKinds {
 public:
  virtual ~StageKinds() = default;
  [[nodiscard]] virtual std::map<pipeline::StageKind, engine::StageExecutor*> executors() = 0;
  [[nodiscard]] virtual const engine::StreamFilterFactory* filters() const = 0;
  [[nodiscard]] virtual std::string redact(std::string_view text) const = 0;
  // What the user must be told after the run: a fallback that changed results (the tokenizer's
  // rank files could not be loaded, so LLM token counts were approximations). Empty when none.
  [[nodiscard]] virtual std::vector<std::string> warnings() const = 0;
};

// Prints problems (e.g. an LLM configuration error) to `err` and returns null. A name in
// `secrets:` that is set nowhere is a warning on `err`, and under CI=true a problem (null).
// `llm`: the pipeline's parsed `llm:` sections (engine::parse_llm_sections).
[[nodiscard]] std::unique_ptr<StageKinds> make_stage_kinds(const pipeline::Pipeline& p,
                                                           std::shared_ptr<const engine::LlmSections> llm,
                                                           const StageKindArgs& args,
                                                           const std::filesystem::path& workspace,
                                                           const std::filesystem::path& state_dir, std::FILE* err);

}  // namespace sluice::cli
