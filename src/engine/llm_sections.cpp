#include "engine/llm_sections.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace sluice::engine {

const llm::LlmStageSpec* LlmSections::stage(int index) const {
  if (index < 0 || static_cast<size_t>(index) >= stages.size()) return nullptr;
  return stages[static_cast<size_t>(index)].get();
}

LlmSections parse_llm_sections(const pipeline::Pipeline& p, base::Diagnostics& diags) {
  LlmSections out;
  auto append = [&](base::Diagnostics&& more) {
    for (auto& d : more) diags.push_back(std::move(d));
  };
  if (p.llm && p.llm->is_map()) {  // not a mapping: the loader has said so
    if (auto cfg = llm::parse_llm_config(*p.llm, p.file)) {
      out.config = std::make_shared<const llm::LlmConfig>(std::move(*cfg));
    } else {
      append(std::move(cfg.error()));
    }
  }
  out.stages.resize(p.stages.size());
  for (size_t i = 0; i < p.stages.size(); ++i) {
    const auto& st = p.stages[i];
    if (!st.llm) continue;
    auto spec = llm::parse_llm_stage(*st.llm, p.file);
    if (!spec) {
      append(std::move(spec.error()));
      continue;
    }
    if (!p.llm) {
      diags.push_back({p.file, st.mark.line, st.mark.column,
                       fmt::format("stage {} is an LLM stage but the pipeline has no top-level \"llm:\" section "
                                   "with providers",
                                   base::quote(st.name))});
      continue;
    }
    out.stages[i] = std::make_shared<const llm::LlmStageSpec>(std::move(*spec));
    // Without a valid section the loader has said so, or the section's own errors stand.
    if (out.config) append(llm::validate_llm_stage(*out.stages[i], *out.config, p.file));
  }
  return out;
}

}  // namespace sluice::engine
