#pragma once
// Load-time expansion of sluice.yml, before stages are read (docs/pipeline.md): `include:` merges
// other files' `templates`, `env` and `stages`; `extends:` deep-merges templates under a stage
// (the stage's own keys win, lists are replaced); `matrix:` turns a stage into one stage per
// combination, named `test[python=3.10,os=debian]`; `${{ matrix.X }}` and `${{ params.X }}` are
// substituted in every string of a stage (its `if:` keeps them as names). Stages that use none
// of this are not copied. Errors name the file, line and column where the problem is written.
// Not thread-safe (one per load).

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/diagnostic.h"
#include "base/yaml.h"
#include "pipeline/spec.h"

namespace sluice::pipeline {

struct ExpandedStage {
  const base::yaml::MapEntry* entry = nullptr;  // the stage as it will be read (owned elsewhere)
  std::string name;                             // its name after expansion
  std::string file;                             // the file it is written in; empty: the main file
  EnvList matrix;
  std::string matrix_of;  // name as written, when a matrix expanded it
  bool placeholders = false;  // some string of it (outside `if`) holds "${{"
};

struct Expansion {
  std::vector<ExpandedStage> stages;
  // Each file's `env:` in merge order (included files first, the main file last: later wins).
  std::vector<std::pair<std::string, const base::yaml::Node*>> envs;
  std::map<std::string, std::vector<std::string>> matrix_groups;  // name as written -> expanded names
  std::vector<std::string> included;  // files read, in order
  // Storage for what the entries above point to.
  std::deque<base::yaml::MapEntry> owned;
  std::deque<base::yaml::Document> docs;
};

// Expands `root` (the main file's mapping). `file` names the main file in messages and anchors
// relative `include:` paths. `params` are the run's parameter values. Problems are appended to
// `diags` (with their file); expansion goes on past them.
[[nodiscard]] std::unique_ptr<Expansion> expand_pipeline(const base::yaml::Node& root, const std::string& file,
                                                         const EnvList& params, base::Diagnostics& diags);

// Where byte `offset` of scalar `n` is in the file (best effort for multi-line scalars).
[[nodiscard]] base::yaml::Mark mark_in_scalar(const base::yaml::Node& n, size_t offset);

}  // namespace sluice::pipeline
