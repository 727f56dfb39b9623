#include "cli/stage_kinds.h"

#include <fmt/format.h>

#include "cli/terminal.h"
#include "engine/llm_stage.h"
#include "engine/process_stage.h"
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

fs::path user_cache_dir() {
  std::string dir = env_or("SLUICE_CACHE_DIR");
  if (!dir.empty()) return dir;
  std::string xdg = env_or("XDG_CACHE_HOME");
  if (!xdg.empty()) return fs::path(xdg) / "sluice";
  return fs::path(env_or("HOME", "/tmp")) / ".cache" / "sluice";
}

fs::path ranks_dir() {
  std::string dir = env_or("SLUICE_TIKTOKEN_DIR");
  return dir.empty() ? user_cache_dir() / "tiktoken" : fs::path(dir);
}

namespace {
class Kinds final : public StageKinds {
 public:
  Kinds(const pipeline::Pipeline& p, const StageKindArgs& args, const fs::path& state_dir)
      : m_validate(user_cache_dir() / "schemas"), m_counters(ranks_dir()) {
    if (p.llm) {
      engine::LlmStageOptions o;
      o.state_db = state_dir / "state.db";
      o.counter_for = [this](std::string_view model) -> const llm::TokenCounter& {
        return m_counters.for_model(model);
      };
      o.redactor = &m_redactor;
      o.provider_override = args.provider.empty() ? env_or("SLUICE_PROVIDER") : args.provider;
      o.record = args.record;
      m_llm = std::make_unique<engine::LlmStageExecutor>(p.llm, o);
    }
  }
  std::map<pipeline::StageKind, engine::StageExecutor*> executors() override {
    std::map<pipeline::StageKind, engine::StageExecutor*> m{{pipeline::StageKind::run, &m_run},
                                                            {pipeline::StageKind::validate, &m_validate}};
    if (m_llm) m[pipeline::StageKind::llm] = m_llm.get();
    return m;
  }
  const engine::StreamFilterFactory* filters() const override { return nullptr; }
  std::string redact(std::string_view text) const override { return std::string(text); }

 private:
  struct NoRedactor final : llm::Redactor {
    std::string redact(std::string_view text) const override { return std::string(text); }
  };
  engine::ProcessStageExecutor m_run;
  engine::ValidateStageExecutor m_validate;
  engine::ModelTokenCounters m_counters;
  NoRedactor m_redactor;
  std::unique_ptr<engine::LlmStageExecutor> m_llm;
};
}  // namespace

std::unique_ptr<StageKinds> make_stage_kinds(const pipeline::Pipeline& p, const StageKindArgs& args,
                                             const fs::path&, const fs::path& state_dir, std::FILE*) {
  return std::make_unique<Kinds>(p, args, state_dir);
}

}  // namespace sluice::cli
