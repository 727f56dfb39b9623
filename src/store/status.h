#pragma once
// The states of a stage and of a run, and their one spelling: the strings stored in the state
// database and written to JSON (`pending`, `success`, ...). Every module compares these enums,
// never the strings.

#include <optional>
#include <string_view>

namespace sluice::store {

// `interrupted`: the stage was running when its sluice was killed (marked by a later run).
// `awaiting_approval`: a review gate (docs/review.md) holds the stage until its content is
// approved. `failed_advisory`: an `advisory: true` stage failed; reported, but it neither fails
// the run nor stops its dependents. `unstable`: an AI verdict stage whose samples did not agree
// (neither pass nor fail); never a success.
enum class StageStatus { pending, running, success, failed, skipped, cancelled, interrupted, awaiting_approval, failed_advisory, unstable };
// `awaiting_approval`: nothing failed, but a gated stage waits for an approval (exit 3).
// `unstable`: such a verdict stage is what kept the run from succeeding (exit 4).
enum class RunStatus { running, success, failed, interrupted, awaiting_approval, unstable };

[[nodiscard]] std::string_view to_string(StageStatus s);
[[nodiscard]] std::string_view to_string(RunStatus s);
// nullopt for a string this version does not know (a newer sluice wrote it).
[[nodiscard]] std::optional<StageStatus> stage_status_from(std::string_view text);
[[nodiscard]] std::optional<RunStatus> run_status_from(std::string_view text);

// Whether a stage ended (anything but pending and running).
[[nodiscard]] constexpr bool is_finished(StageStatus s) {
  return s != StageStatus::pending && s != StageStatus::running;
}

}  // namespace sluice::store
