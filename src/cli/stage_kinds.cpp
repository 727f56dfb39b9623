#include "cli/stage_kinds.h"

#include <fmt/format.h>

#include "cli/terminal.h"
#include "engine/llm_stage.h"
#include "engine/process_stage.h"
#include "engine/redaction.h"
#include "engine/token_counters.h"
#include "engine/validate_stage.h"
#include "llm/interfaces.h"

namespace sluice::cli {
namespace fs = std::filesystem;

void add_stage_kind_options(CLI::App* cmd, StageKindArgs& args) {
  cmd->add_option("--provider", args.provider,
                  "LLM provider for every LLM stage, overriding the pipeline (default: $SLUICE_PROVIDER)");
  cmd->add_flag("--record", args.record,
                "Record the LLM provider's exchanges as cassettes for the replay provider (secrets redacted)");
}

namespace {
class Kinds final : public StageKinds {
 public:
  Kinds(const pipeline::Pipeline& p, const StageKindArgs& args, const fs::path& state_dir,
        std::unique_ptr<engine::SecretRedaction> redaction)
      : m_validate(user_cache_dir() / "schemas"), m_counters(tiktoken_dir()), m_redaction(std::move(redaction)) {
    if (p.llm) {
      engine::LlmStageOptions o;
      o.state_db = state_dir / "state.db";
      o.counter_for = [this](std::string_view model) -> const llm::TokenCounter& {
        return m_counters.for_model(model);
      };
      o.redactor = m_redaction.get();
      o.provider_override = args.provider.empty() ? env_or("SLUICE_PROVIDER") : args.provider;
      o.record = args.record;
      m_llm = std::make_unique<engine::LlmStageExecutor>(p.llm, o);
      std::vector<std::string> models;
      for (const auto& pc : p.llm->providers) models.push_back(pc.model);
      m_counters.prefetch(std::move(models));
      m_redaction->prefetch();  // every prompt is redacted: load the rules while others run
    }
  }
  std::map<pipeline::StageKind, engine::StageExecutor*> executors() override {
    std::map<pipeline::StageKind, engine::StageExecutor*> m{{pipeline::StageKind::run, &m_run},
                                                            {pipeline::StageKind::validate, &m_validate}};
    if (m_llm) m[pipeline::StageKind::llm] = m_llm.get();
    return m;
  }
  const engine::StreamFilterFactory* filters() const override { return m_redaction.get(); }
  std::string redact(std::string_view text) const override { return m_redaction->redact(text); }

 private:
  engine::ProcessStageExecutor m_run;
  engine::ValidateStageExecutor m_validate;
  engine::ModelTokenCounters m_counters;
  std::unique_ptr<engine::SecretRedaction> m_redaction;
  std::unique_ptr<engine::LlmStageExecutor> m_llm;
};
}  // namespace

std::unique_ptr<StageKinds> make_stage_kinds(const pipeline::Pipeline& p, const StageKindArgs& args,
                                             const fs::path&, const fs::path& state_dir, std::FILE* err) {
  // Secret values come from the environment named in `secrets:`; they are never printed.
  std::vector<engine::SecretValue> values;
  for (const auto& name : p.secrets) {
    std::string v = env_or(name.c_str());
    if (!v.empty()) values.push_back({name, v});
  }
  auto built = engine::SecretRedaction::create(values, user_cache_dir() / "secrets");
  if (!built) {
    std::fprintf(err, "sluice: cannot build the secret redactor: %s\n", built.error().message.c_str());
    return nullptr;
  }
  for (const auto& name : built->ignored) {
    std::fprintf(err, "sluice: not masking secret %s: its value is too short to mask safely\n", name.c_str());
  }
  return std::make_unique<Kinds>(p, args, state_dir, std::move(built->redaction));
}

}  // namespace sluice::cli
