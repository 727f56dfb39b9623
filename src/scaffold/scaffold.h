#pragma once
// `sluice init`: looks at a project directory (reads, never writes) and returns the text of a
// starter sluice.yml: the project's real lint/test/build commands with inputs for the step
// cache, a secret scan, a Kubernetes validation stage when manifests exist, a commented-out LLM
// stage with a budget, and the jobs of .github/workflows/*.yml translated into stages.
// Printing and writing the file are the caller's (cli).

#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"

namespace sluice::scaffold {

struct Starter {
  std::string yaml;                   // the sluice.yml text
  std::vector<std::string> detected;  // what was found, e.g. "CMake (CMakeLists.txt)"
};

// Detects the project kinds in `dir` and writes the pipeline for them. Fails only when a file it
// must read cannot be read; a workflow it cannot parse becomes a comment in the output.
[[nodiscard]] Expected<Starter> starter_pipeline(const std::filesystem::path& dir);

// One stage of the generated pipeline, before it is written out.
struct StageDraft {
  std::string name;
  std::vector<std::string> comments;  // lines above the stage (without "# ")
  std::string run;
  std::vector<std::string> needs;
  std::vector<std::string> inputs;
  std::vector<std::pair<std::string, std::string>> env;
  std::string timeout;                // "10m", empty for none
  std::string working_directory;
};

// The jobs of one GitHub Actions workflow as stages named `<prefix><job>`; what cannot be
// translated (uses: actions, matrix, services, if:, expressions) goes into `untranslated`.
struct WorkflowStages {
  std::vector<StageDraft> stages;
  std::vector<std::string> untranslated;
};
[[nodiscard]] Expected<WorkflowStages> translate_workflow(std::string_view text, std::string_view filename,
                                                          std::string_view prefix);

// A YAML scalar for `s`: plain when safe, else double-quoted with escapes.
[[nodiscard]] std::string yaml_quote(std::string_view s);

}  // namespace sluice::scaffold
