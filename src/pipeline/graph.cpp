#include "pipeline/graph.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace sluice::pipeline {

std::vector<std::vector<int>> need_indices(const Pipeline& p) {
  std::vector<std::vector<int>> out(p.stages.size());
  std::unordered_map<std::string_view, int> index;  // first stage of each name, as index_of
  for (size_t i = 0; i < p.stages.size(); ++i) index.emplace(p.stages[i].name, static_cast<int>(i));
  for (size_t i = 0; i < p.stages.size(); ++i) {
    for (const auto& n : p.stages[i].needs) {
      auto it = index.find(n);
      if (it != index.end()) out[i].push_back(it->second);
    }
  }
  return out;
}

std::vector<int> topological_order(const Pipeline& p) {
  auto needs = need_indices(p);
  std::vector<bool> placed(p.stages.size(), false);
  std::vector<int> order;
  order.reserve(p.stages.size());
  // Kahn's algorithm with a "lowest index first" rule keeps it deterministic; O(V^2) worst case
  // is avoided by counting unmet needs.
  std::vector<int> unmet(p.stages.size(), 0);
  std::vector<std::vector<int>> dependents(p.stages.size());
  for (size_t i = 0; i < needs.size(); ++i) {
    unmet[i] = static_cast<int>(needs[i].size());
    for (int j : needs[i]) dependents[static_cast<size_t>(j)].push_back(static_cast<int>(i));
  }
  std::set<int> ready;
  for (size_t i = 0; i < unmet.size(); ++i) {
    if (unmet[i] == 0) ready.insert(static_cast<int>(i));
  }
  while (!ready.empty()) {
    int v = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(v);
    for (int d : dependents[static_cast<size_t>(v)]) {
      if (--unmet[static_cast<size_t>(d)] == 0) ready.insert(d);
    }
  }
  return order;
}

std::vector<int> with_dependencies(const Pipeline& p, const std::vector<int>& roots) {
  auto needs = need_indices(p);
  std::vector<bool> keep(p.stages.size(), false);
  std::vector<int> stack(roots.begin(), roots.end());
  while (!stack.empty()) {
    int v = stack.back();
    stack.pop_back();
    if (keep[static_cast<size_t>(v)]) continue;
    keep[static_cast<size_t>(v)] = true;
    for (int n : needs[static_cast<size_t>(v)]) stack.push_back(n);
  }
  std::vector<int> out;
  for (size_t i = 0; i < keep.size(); ++i) {
    if (keep[i]) out.push_back(static_cast<int>(i));
  }
  return out;
}

}  // namespace sluice::pipeline
