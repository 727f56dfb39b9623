#pragma once
// `sluice prune` and the automatic pruning a pipeline's `cache:` section asks for at the end of
// a run (docs/prune.md). The decisions and the deleting are in src/store/pruner.h.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "pipeline/spec.h"
#include "store/prune_plan.h"

namespace sluice::cli {

// Applies `limits` to the workspace's state dir after a run, keeping what that run used.
// Reports on `err` what it reclaimed or why it could not; never fails the run.
inline constexpr int k_keep_runs_unset = INT32_MIN;

// Reads --older-than, --max-size and --keep-runs (empty / k_keep_runs_unset: not given). A bad
// value is reported on `err` as "<who>: --flag: why" and gives nullopt (the caller exits 2).
// `said` gets the limits in words.
[[nodiscard]] std::optional<store::PruneLimits> parse_prune_limits(const std::string& older_than,
                                                                   const std::string& max_size, int keep_runs,
                                                                   const char* who, std::string& said,
                                                                   std::FILE* err);

// `state_url`: the state backend ("" SQLite; a postgres:// URL: see docs/scale-out.md).
void auto_prune(const std::filesystem::path& state_dir, const std::string& state_url,
                const pipeline::CacheLimits& limits, std::FILE* err);

}  // namespace sluice::cli
