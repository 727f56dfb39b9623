#pragma once
// Graph questions about a valid (acyclic) pipeline.

#include <set>
#include <string>
#include <vector>

#include "pipeline/spec.h"

namespace sluice::pipeline {

// Stage indices in a deterministic topological order: repeatedly the first stage in file order
// whose needs are all placed. Precondition: no cycles.
[[nodiscard]] std::vector<int> topological_order(const Pipeline& p);

// The given stages plus everything they need, transitively (for --only), as indices in file order.
[[nodiscard]] std::vector<int> with_dependencies(const Pipeline& p, const std::vector<int>& roots);

// Indices of the stages each stage needs.
[[nodiscard]] std::vector<std::vector<int>> need_indices(const Pipeline& p);

}  // namespace sluice::pipeline
