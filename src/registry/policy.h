#pragma once
// The retention policy (YAML) of `sluice registry prune` and the `prune:` stage kind:
//
//   keep:   [{tags: ["v*", "release-*"]}, {newest: 5}, {younger_than: 14d}]
//   delete: [{untagged: true}, {tags: ["pr-*"], older_than: 3d}]
//   protect_tags: [latest, stable]
//   max_deletions: 50
//
// Rules are not ordered: a tag is deleted when some delete rule matches it and no keep rule
// (nor protect_tags) does; keep always wins. Decisions are made per tag (docs/prune.md).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "base/error.h"
#include "base/yaml.h"

namespace sluice::registry {

struct KeepRule {
  std::vector<std::string> tags;  // globs; empty: any image
  std::optional<int64_t> newest;  // the N newest images (of those `tags` selects)
  std::optional<std::chrono::milliseconds> younger_than;
  std::string label;  // "keep rule 2 (policy.yml:3:5): {newest: 5}"
};

struct DeleteRule {
  std::vector<std::string> tags;  // globs; empty: any tag
  bool untagged = false;          // images without a tag
  std::optional<std::chrono::milliseconds> older_than;
  std::string label;
};

struct Policy {
  std::vector<KeepRule> keep;
  std::vector<DeleteRule> del;
  std::vector<std::string> protect_tags;  // globs, never deleted
  std::optional<int64_t> max_deletions;   // the apply aborts when the plan deletes more
};

// Parses and checks a policy: unknown keys, types, durations, contradictory rules. On error,
// every problem as "file:line:col: message" (code invalid_input).
[[nodiscard]] Expected<Policy> parse_policy(std::string_view text, std::string_view filename);
// The same for an already parsed node (the `prune:` stage kind's `policy:` block).
[[nodiscard]] Expected<Policy> policy_from_node(const base::yaml::Node& root, std::string_view filename);

}  // namespace sluice::registry
