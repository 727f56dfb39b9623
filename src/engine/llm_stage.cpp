#include "engine/llm_stage.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "llm/runner.h"

namespace sluice::engine {

LlmStageExecutor::LlmStageExecutor(std::shared_ptr<const LlmSections> sections, LlmStageOptions options)
    : m_sections(std::move(sections)),
      m_config(m_sections ? m_sections->config.get() : nullptr),
      m_options(std::move(options)),
      m_gate(m_config ? m_config->max_concurrency : 1) {}

StageOutcome LlmStageExecutor::execute(StageContext& ctx) {
  const llm::LlmStageSpec* parsed = m_config ? m_sections->stage(ctx.stage.index) : nullptr;
  if (parsed == nullptr) {
    return {OutcomeStatus::failed, std::nullopt, "the pipeline has no llm: section", std::nullopt};
  }
  const llm::LlmStageSpec& spec = *parsed;
  llm::LlmStageContext lc;
  lc.workspace = ctx.workspace;
  lc.run_id = ctx.run_id;
  lc.stage = ctx.stage.name;
  lc.state_db = m_options.state_db;
  lc.state_url = m_options.state_url;
  lc.remote_cache = m_options.remote_cache;
  // The provider is chosen once here (an override from --provider/SLUICE_PROVIDER wins) and
  // handed to the llm engine as chosen; an unknown name is the engine's error to word.
  const std::string& provider = m_options.provider_override.empty() ? spec.provider : m_options.provider_override;
  const llm::ProviderConfig* pc = m_config->find_provider(provider);
  lc.counter = &m_options.counter_for(pc ? pc->model : std::string());
  lc.redactor = m_options.redactor;
  lc.env = ctx.getenv;
  lc.cancel = &ctx.cancel.flag();
  lc.clock = &m_clock;
  lc.gate = &m_gate;
  lc.pacers = &m_pacers;
  lc.provider = provider;
  lc.references = m_options.references;
  if (m_options.record) {
    std::string dir;
    for (const auto& p : m_config->providers) {
      if (p.kind == llm::ProviderKind::replay && !p.cassettes.empty()) dir = p.cassettes;
    }
    if (pc && pc->kind == llm::ProviderKind::replay) {
      return {OutcomeStatus::failed, std::nullopt,
              "--record needs a real provider: choose one with --provider (the replay provider only plays back)",
              std::nullopt};
    }
    if (dir.empty()) {
      return {OutcomeStatus::failed, std::nullopt,
              "--record writes cassettes to the replay provider's cassettes directory, and no replay provider "
              "is configured",
              std::nullopt};
    }
    lc.record_dir = ctx.workspace / dir;
  }
  auto r = llm::run_llm_stage(spec, *m_config, lc);
  if (!r) {
    OutcomeStatus st = ctx.cancel.cancelled() ? OutcomeStatus::cancelled : OutcomeStatus::failed;
    return {st, std::nullopt, r.error().message, std::nullopt};
  }
  if (r->verdict) {
    // The findings go to the stage's log (and so the terminal) as path:line: severity: message.
    for (const auto& f : r->verdict->findings) {
      ctx.output.write(fmt::format("{}{}: {}: {}\n", f.path.empty() ? "(no path)" : f.path,
                                   f.line > 0 ? fmt::format(":{}", f.line) : "", f.severity, f.message));
    }
  }
  ctx.output.write(fmt::format(
      "{} {} via {}: {} tokens in{}{}, {} out, {}{}{}{}{}{}\n", r->model_served.empty() ? r->model : r->model_served,
      r->cache_hit ? "answered from the response cache" : "called",
      r->provider_used.empty() || r->provider_used == r->provider
          ? r->provider
          : fmt::format("{} (fallback after {} failed)", r->provider_used, r->provider),
      // The provider's own usage is its count, not our approximation.
      r->tokens_in, r->tokenizer_exact || r->usage_from_provider ? "" : " (approximate count)",
      r->tokens_cached_in > 0 ? fmt::format(" ({} cached)", r->tokens_cached_in) : "", r->tokens_out,
      // No known price: say so, never a $0 that reads like a free call.
      r->priced ? fmt::format("${:.6f}", r->cost_usd) : std::string("unpriced (no price known for the model; set price:)"),
      r->retries > 0 ? fmt::format(", {} retr{}", r->retries, r->retries == 1 ? "y" : "ies") : "",
      r->context_truncated ? ", context truncated" : "",
      r->truncated ? ", reply cut at max_output_tokens (on_truncation: warn)" : "",
      r->output_path ? fmt::format(", wrote {}", *r->output_path) : "",
      r->model_changed_from.empty() ? "" : fmt::format("; the provider served {} last run", r->model_changed_from)));
  // The limits travel with the stage record so that reports can show spend against them.
  std::string details = r->to_json(&m_config->budget);
  if (r->verdict && r->verdict->value != llm::VerdictValue::pass) {
    size_t errors = 0;
    for (const auto& f : r->verdict->findings) errors += f.severity == "error" ? 1 : 0;
    const std::string samples =
        r->sample_verdicts.size() > 1
            ? fmt::format(" (samples: {}; {} of {} had to agree)", base::join(r->sample_verdicts, ", "), r->agree,
                          r->sample_verdicts.size())
            : "";
    if (r->verdict->value == llm::VerdictValue::unstable)
      return {OutcomeStatus::unstable, std::nullopt, "AI verdict unstable: the samples did not agree" + samples,
              std::move(details)};
    return {OutcomeStatus::failed, std::nullopt,
            fmt::format("AI verdict: fail, {} finding{} ({} error{}){}", r->verdict->findings.size(),
                        r->verdict->findings.size() == 1 ? "" : "s", errors, errors == 1 ? "" : "s", samples),
            std::move(details)};
  }
  return {OutcomeStatus::success, 0, "", std::move(details)};
}

}  // namespace sluice::engine
