#pragma once
// Run-time side of the pipeline language (docs/pipeline.md): whether a stage's `if:` and
// `changes:` let it run, its `${{ env/git/stages... }}` substituted into `run` and `env` when it
// starts, and the `key=value` / `name<<EOF` lines a stage writes to $SLUICE_OUTPUT.
// Pure: the facts (environment, git, changed files) come from the CLI. Not thread-safe.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "pipeline/spec.h"

namespace sluice::engine {

// What `if:` reads besides the pipeline: given by the CLI, which alone reads the environment.
struct RunFacts {
  std::vector<std::string> env;  // "KEY=value": what env.NAME reads (the pipeline's env overlays it)
  std::string branch, tag, event;
  // Files that differ between the base and HEAD; nullopt when unknown (no git repository or no
  // base): changed() is then true.
  std::optional<std::vector<std::string>> changed_files;
  std::string changes_base;  // how the base was chosen, for `sluice plan` ("--since main", ...)
};

// The values stages wrote to $SLUICE_OUTPUT, by stage index; nullptr: none known (not run yet).
using OutputsOf = std::function<const pipeline::EnvList*(std::string_view stage)>;

struct Decision {
  bool run = true;
  bool deferred = false;  // plan: reads outputs not known before the run
  std::string why;        // "if: git.branch == 'main' is false", "no file matching docs/** changed"
};

// Evaluates the stage's `changes:` and `if:` (true when it has neither).
[[nodiscard]] Decision decide(const pipeline::Pipeline& p, const pipeline::Stage& s, const RunFacts& facts,
                              const OutputsOf& outputs);

// The stage with `${{ ... }}` in `run`, `env` values and `push`'s `from` and `to` replaced
// (Stage::has_runtime_placeholders).
[[nodiscard]] pipeline::Stage resolve_stage(const pipeline::Pipeline& p, const pipeline::Stage& s,
                                            const RunFacts& facts, const OutputsOf& outputs);

// Parses what a stage wrote to $SLUICE_OUTPUT: `key=value` lines and `key<<DELIM` ... `DELIM`
// blocks (as $GITHUB_OUTPUT); a later value of a key replaces the earlier one.
[[nodiscard]] Expected<pipeline::EnvList> parse_stage_outputs(std::string_view text);

// A digest of the values, folded into what the stage's dependents see (their cache keys).
[[nodiscard]] std::string outputs_values_digest(const pipeline::EnvList& values);

}  // namespace sluice::engine
