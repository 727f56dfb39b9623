#pragma once
// What `sluice run` needs of review gates (docs/review.md), shared with the review commands
// (cmd_review.cpp): who the actor is, how a pending gate behaves, the plan, and the lines a
// run prints for the gates that await approval.

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "engine/gates.h"
#include "engine/llm_sections.h"
#include "pipeline/spec.h"
#include "store/review_store.h"

namespace sluice::cli {

// $SLUICE_ACTOR, else git's user.email in `workspace`, else the OS user.
[[nodiscard]] std::string resolve_actor(const std::filesystem::path& workspace);
// `on_pending` as written; unset: fail when CI=true or stdin/stdout is not a terminal, else wait.
[[nodiscard]] pipeline::OnPending resolve_on_pending(const pipeline::ReviewSpec& spec);
// The gates of the pipeline, or nullopt after printing each bad pattern as file:line:col.
[[nodiscard]] std::optional<engine::ReviewPlan> plan_review_or_report(
    const pipeline::Pipeline& p, const engine::LlmSections& llm,
    const std::filesystem::path& workspace);
// The review record a run or a review command uses: the shared PostgreSQL one when `state_url`
// (resolve_shared_state()) names one, else the workspace's SQLite database `local` (borrowed; required then).
// Null after printing why on `err`.
[[nodiscard]] std::unique_ptr<store::ReviewStore> open_review_store(const std::string& state_url,
                                                                    store::Database* local, std::FILE* err);
// After a run: one block per gate of `run_id` that awaits approval (its hash, the review and
// the exact approve command), on `out`.
void print_awaiting(store::ReviewStore& rs, const std::string& run_id, std::FILE* out);

}  // namespace sluice::cli
