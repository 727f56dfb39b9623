#include "cli/stage_kinds.h"

#include "engine/process_stage.h"

namespace sluice::cli {

void add_stage_kind_options(CLI::App* cmd, StageKindArgs& args) {
  cmd->add_option("--provider", args.provider, "LLM provider for every LLM stage (overrides the pipeline; env SLUICE_PROVIDER)");
  cmd->add_flag("--record", args.record, "Record the LLM provider's exchanges as cassettes (redacted)");
}

namespace {
class Kinds final : public StageKinds {
 public:
  std::map<pipeline::StageKind, engine::StageExecutor*> executors() override {
    return {{pipeline::StageKind::run, &m_run}};
  }
  const engine::StreamFilterFactory* filters() const override { return nullptr; }
  std::string redact(std::string_view text) const override { return std::string(text); }

 private:
  engine::ProcessStageExecutor m_run;
};
}  // namespace

std::unique_ptr<StageKinds> make_stage_kinds(const pipeline::Pipeline&, const StageKindArgs&,
                                             const std::filesystem::path&, const std::filesystem::path&, std::FILE*) {
  return std::make_unique<Kinds>();
}

}  // namespace sluice::cli
