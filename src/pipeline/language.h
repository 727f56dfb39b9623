#pragma once
// The loader's part of the pipeline language (docs/pipeline.md): `params:` and `-p` values,
// each stage's `if:`, `changes:` and `max_parallel`, `needs` naming a whole matrix, and the
// names `${{ ... }}` and `if:` may read. Internal to the pipeline module (loader.cpp calls it).

#include <map>
#include <string>
#include <vector>

#include "base/yaml.h"
#include "base/yaml_check.h"
#include "pipeline/expand.h"
#include "pipeline/spec.h"

namespace sluice::pipeline {

// Reads `params:` and resolves each one's value from `given` (-p NAME=VALUE) or its default.
// Unknown names and values outside `values` are errors.
void load_params(const base::yaml::Node* params, const std::vector<std::pair<std::string, std::string>>& given,
                 Pipeline& p, base::yaml::Checker& check);

// Reads the stage's `if`, `changes` and `max_parallel` keys into `st`.
void load_language_keys(const base::yaml::Node& stage, Stage& st, base::yaml::Checker& check);

// `needs: [test]` where `test` has a matrix: every expanded stage, in order.
void expand_matrix_needs(Pipeline& p, const Expansion& ex);

// Checks the names each stage's `if` and `${{ }}` read (in `run` and `env`; elsewhere only
// matrix and params may be used) and records which stages' outputs it reads. Runs after the
// needs are known; `entries` are the stages' YAML, parallel to p.stages.
void check_expressions(Pipeline& p, const Expansion& ex, base::yaml::Checker& check, const std::string& main_file);

}  // namespace sluice::pipeline
