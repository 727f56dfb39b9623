#include "cli/stage_kinds.h"

#include <algorithm>

#include <fmt/format.h>

#include "cli/refs_toolchain.h"
#include "cli/terminal.h"
#include "engine/llm_references.h"
#include "engine/llm_stage.h"
#include "engine/process_stage.h"
#include "engine/prune_stage.h"
#include "engine/push_stage.h"
#include "engine/redaction.h"
#include "engine/token_counters.h"
#include "engine/validate_stage.h"
#include "llm/interfaces.h"
#include "store/state_layout.h"

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
  Kinds(std::shared_ptr<const engine::LlmSections> sections, const StageKindArgs& args, const fs::path& state_dir,
        std::unique_ptr<engine::SecretRedaction> redaction)
      : m_validate(user_cache_dir() / "schemas"),
        m_prune(store::StateLayout(state_dir).database()),
        m_push(store::StateLayout(state_dir).database()), m_counters(tiktoken_dir(), rank_marker_dir(tiktoken_dir())), m_redaction(std::move(redaction)) {
    if (sections && sections->config) {
      const llm::LlmConfig& config = *sections->config;
      engine::LlmStageOptions o;
      o.state_db = store::StateLayout(state_dir).database();
      o.state_url = args.state_url;
      o.remote_cache = args.remote_cache;
      o.counter_for = [this](std::string_view model) -> const llm::TokenCounter& {
        return m_counters.for_model(model);
      };
      o.redactor = m_redaction.get();
      o.provider_override = args.provider.empty() ? env_or("SLUICE_PROVIDER") : args.provider;
      o.record = args.record;
      o.references = &m_references;
      m_llm = std::make_unique<engine::LlmStageExecutor>(sections, o);
      std::vector<std::string> models;
      for (const auto& pc : config.providers) models.push_back(pc.model);
      m_counters.prefetch(std::move(models));
      m_redaction->prefetch();  // every prompt is redacted: load the rules while others run
    }
  }
  std::map<pipeline::StageKind, engine::StageExecutor*> executors() override {
    std::map<pipeline::StageKind, engine::StageExecutor*> m{{pipeline::StageKind::run, &m_run},
                                                            {pipeline::StageKind::validate, &m_validate},
                                                            {pipeline::StageKind::prune, &m_prune},
                                                            {pipeline::StageKind::push, &m_push}};
    if (m_llm) m[pipeline::StageKind::llm] = m_llm.get();
    return m;
  }
  const engine::StreamFilterFactory* filters() const override { return m_redaction.get(); }
  std::string redact(std::string_view text) const override { return m_redaction->redact(text); }
  std::vector<std::string> warnings() const override {
    std::vector<std::string> out;
    if (auto e = m_counters.load_error()) {
      out.push_back("the tokenizer's rank files could not be loaded (" + *e +
                    "): every LLM token count and budget reservation in this run was an approximation "
                    "(one token per 4 bytes), not tiktoken's exact count; run `sluice tokens count` to see why");
    }
    return out;
  }

 private:
  engine::ProcessStageExecutor m_run;
  engine::ValidateStageExecutor m_validate;
  engine::PruneStageExecutor m_prune;
  engine::PushStageExecutor m_push;
  engine::ModelTokenCounters m_counters;
  std::unique_ptr<engine::SecretRedaction> m_redaction;
  // Probes this machine's toolchains (python3, node, cc, dpkg) on the first checked output only.
  engine::RefsReferenceChecker m_references{[] { return probe_refs_toolchain(); }};
  std::unique_ptr<engine::LlmStageExecutor> m_llm;
};

// Every value a stage may see for `name`: the process environment, the pipeline's `env:` and
// each stage's `env:` (the runner layers them in that order, so any of them can reach a stage).
std::vector<std::string> values_of(const pipeline::Pipeline& p, const std::string& name) {
  std::vector<std::string> out;
  auto add = [&](const std::string& v) {
    if (!v.empty() && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  };
  add(env_or(name.c_str()));
  auto add_from = [&](const pipeline::EnvList& env) {
    for (const auto& [k, v] : env) {
      if (k == name) add(v);
    }
  };
  add_from(p.env);
  for (const auto& s : p.stages) add_from(s.env);
  return out;
}
}  // namespace

std::unique_ptr<StageKinds> make_stage_kinds(const pipeline::Pipeline& p,
                                             std::shared_ptr<const engine::LlmSections> llm, const StageKindArgs& args,
                                             const fs::path&, const fs::path& state_dir, std::FILE* err) {
  // The known values: every value of each name in `secrets:` and of each provider's api_key_env
  // (a provider may echo its key in an error body). They are never printed.
  std::vector<engine::SecretValue> values;
  const bool ci = detect_terminal().ci;
  bool unset_in_ci = false;
  for (const auto& s : p.secrets) {
    auto vs = values_of(p, s.name);
    if (vs.empty()) {
      // A typo here would leave the real secret unmasked, so it is never silent.
      std::fprintf(err, "%s%s:%d:%d: secret \"%s\" is set nowhere (not in the environment, not in an env: of the "
                   "pipeline), so nothing is masked for it%s\n",
                   ci ? "" : "sluice: warning: ", p.file.c_str(), s.mark.line, s.mark.column, s.name.c_str(),
                   ci ? "; an error under CI=true" : "");
      unset_in_ci = unset_in_ci || ci;
    }
    for (auto& v : vs) values.push_back({s.name, std::move(v)});
  }
  if (unset_in_ci) return nullptr;
  // A provider chosen for the whole run that the pipeline does not define is a usage error
  // (exit 2) before anything runs, not a failure of every LLM stage after the others ran.
  if (llm && llm->config) {
    const std::string chosen = args.provider.empty() ? env_or("SLUICE_PROVIDER") : args.provider;
    const auto& ps = llm->config->providers;
    if (!chosen.empty() &&
        std::none_of(ps.begin(), ps.end(), [&](const auto& pc) { return pc.name == chosen; })) {
      std::string known;
      for (const auto& pc : ps) known += (known.empty() ? "" : ", ") + pc.name;
      std::fprintf(err, "sluice: %s \"%s\": no such LLM provider in %s (known: %s)\n",
                   args.provider.empty() ? "SLUICE_PROVIDER" : "--provider", chosen.c_str(), p.file.c_str(),
                   known.c_str());
      return nullptr;
    }
  }
  if (llm && llm->config) {
    for (const auto& pc : llm->config->providers) {
      if (pc.api_key_env.empty()) continue;
      for (auto& v : values_of(p, pc.api_key_env)) values.push_back({pc.api_key_env, std::move(v)});
    }
  }
  auto built = engine::SecretRedaction::create(values, user_cache_dir() / "secrets");
  if (!built) {
    std::fprintf(err, "sluice: cannot build the secret redactor: %s\n", built.error().message.c_str());
    return nullptr;
  }
  std::sort(built->ignored.begin(), built->ignored.end());
  built->ignored.erase(std::unique(built->ignored.begin(), built->ignored.end()), built->ignored.end());
  for (const auto& name : built->ignored) {
    std::fprintf(err, "sluice: not masking secret %s: its value is too short to mask safely\n", name.c_str());
  }
  return std::make_unique<Kinds>(std::move(llm), args, state_dir, std::move(built->redaction));
}

}  // namespace sluice::cli
