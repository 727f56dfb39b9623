#pragma once
// `sluice prune` and the automatic pruning a pipeline's `cache:` section asks for at the end of
// a run (docs/prune.md). The decisions and the deleting are in src/store/pruner.h.

#include <cstdio>
#include <filesystem>

#include "pipeline/spec.h"

namespace sluice::cli {

// Applies `limits` to the workspace's state dir after a run, keeping what that run used.
// Reports on `err` what it reclaimed or why it could not; never fails the run.
void auto_prune(const std::filesystem::path& state_dir, const pipeline::CacheLimits& limits, std::FILE* err);

}  // namespace sluice::cli
