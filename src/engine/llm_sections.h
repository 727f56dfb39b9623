#pragma once
// The `llm:` sections of a pipeline, parsed and validated by the llm module. The pipeline keeps
// them as the YAML it read (it knows nothing of providers or budgets); this turns them into
// the llm module's types once, after loading, with every problem as a diagnostic beside the
// loader's own (the CLI reports them together, sorted by position).

#include <memory>
#include <vector>

#include "base/diagnostic.h"
#include "llm/config.h"
#include "pipeline/spec.h"

namespace sluice::engine {

struct LlmSections {
  std::shared_ptr<const llm::LlmConfig> config;  // null: no (valid) top-level `llm:` section
  std::vector<std::shared_ptr<const llm::LlmStageSpec>> stages;  // by stage index; null: none/invalid
  // The parsed `llm:` block of stage `index`; null when it has none or it was invalid.
  [[nodiscard]] const llm::LlmStageSpec* stage(int index) const;
};

// Parses the top-level section and each stage's block, and checks each stage against the
// section (its provider exists). Appends problems to `diags` (unsorted).
[[nodiscard]] LlmSections parse_llm_sections(const pipeline::Pipeline& p, base::Diagnostics& diags);

}  // namespace sluice::engine
