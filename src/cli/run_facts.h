#pragma once
// What `if:` and `changes:` read from outside the pipeline (docs/pipeline.md): the environment,
// the branch, tag and event (from GitHub Actions or GitLab CI variables when present, else git),
// and the files changed between the base and HEAD. The base is `--since REF`, else the CI's
// (CI_MERGE_REQUEST_DIFF_BASE_SHA, GITHUB_BASE_REF), else the commit of the workspace's last
// successful run. Without a git repository or a base, changed files are unknown (changes true).

#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/conditions.h"
#include "pipeline/spec.h"

namespace sluice::cli {

// Runs git only when a stage has a condition, `changes:` or a run-time `${{ }}`. An unknown
// `--since` ref is an error (exit 2); a CI base git cannot resolve only makes changes unknown.
[[nodiscard]] Expected<engine::RunFacts> gather_run_facts(const pipeline::Pipeline& p, const std::filesystem::path& ws,
                                                          const std::vector<std::string>& env, const std::string& since,
                                                          const std::filesystem::path& state_dir);

// After a successful run: records HEAD as the base the next run's changes are compared with.
void record_success_commit(const std::filesystem::path& ws, const std::vector<std::string>& env,
                           const std::filesystem::path& state_dir);

// `-p NAME=VALUE` flags as pairs; a flag without '=' is an error.
[[nodiscard]] Expected<std::vector<std::pair<std::string, std::string>>> parse_param_flags(
    const std::vector<std::string>& flags);

}  // namespace sluice::cli
