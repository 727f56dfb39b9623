#pragma once
// The pipeline model: what sluice.yml says, validated and resolved (pure data, immutable once
// loaded). Source positions are kept so later errors can point at the file. The pipeline
// includes no engine: an `llm:` block is kept as the YAML it read, which the llm module parses
// and validates (engine/llm_sections.h).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/yaml.h"

namespace sluice::pipeline {

using EnvList = std::vector<std::pair<std::string, std::string>>;  // ordered, unique keys

enum class StageKind { run, llm, validate, prune };

[[nodiscard]] std::string_view to_string(StageKind k);

// When a failed attempt is retried: on a timeout, or on one of the listed exit codes.
// An empty list (no `retry_on`) retries any failure.
struct RetryOn {
  bool timeout = false;
  std::vector<int> exit_codes;
  [[nodiscard]] bool empty() const { return !timeout && exit_codes.empty(); }
};

// `validate:` stage: offline Kubernetes manifest validation.
struct ValidateSpec {
  std::vector<std::string> kubernetes;        // files or directories, relative to the workspace
  std::vector<std::string> schema_locations;  // directories, templates or URLs
  bool strict = false;
  bool ignore_missing_schemas = false;
  std::vector<std::string> skip_kinds;
  std::vector<std::string> disable_checks;
  std::string kubernetes_version;
  std::string fail_on;  // "" (errors only) or "warning"
  std::vector<std::string> apply_units;  // directories applied together, relative to the workspace
};

// `prune:` stage: retention on container registries with the policy `sluice registry prune`
// reads (docs/prune.md); the registry module parses the policy file when the stage runs.
struct PruneSpec {
  std::string policy;              // a policy file (YAML), relative to the workspace
  std::string ecr_policy;          // or an AWS ECR lifecycle policy (JSON); exactly one is set
  std::vector<std::string> repos;  // REGISTRY/REPO
  bool apply = false;              // false: the stage prints the plan and deletes nothing
};

struct Stage {
  std::string name;
  int index = 0;  // position in the file
  base::yaml::Mark mark;
  StageKind kind = StageKind::run;
  std::string run;    // the command (run stages)
  std::string shell;  // resolved: stage > defaults > "bash"
  std::vector<std::string> needs;
  std::vector<std::string> locks;
  std::vector<std::string> inputs;   // globs, relative to the workspace
  std::vector<std::string> outputs;  // files/globs restored on a cache hit
  std::chrono::milliseconds timeout{0};  // resolved: stage > defaults > 0 (none)
  int retries = 0;
  RetryOn retry_on;
  EnvList env;  // the stage's own env (pipeline env is separate)
  bool continue_on_error = false;
  std::optional<bool> cache;  // explicit `cache:`; unset: cached iff it has inputs
  std::string working_directory;
  std::shared_ptr<const base::yaml::Node> llm;  // the stage's `llm:` block (a mapping), as written
  std::optional<ValidateSpec> validate;
  std::optional<PruneSpec> prune;
};

struct Defaults {
  std::chrono::milliseconds timeout{0};
  std::string shell = "bash";
  std::chrono::milliseconds kill_grace{5000};  // SIGTERM -> SIGKILL delay on timeout/cancel
};

// A name under `secrets:` and where it is written, so a name set nowhere can be pointed at.
struct SecretName {
  std::string name;
  base::yaml::Mark mark;
};

// The pipeline-level `cache:` section: limits a run applies to the workspace's caches when it
// ends (`sluice prune --max-size ... --older-than ... --apply`, docs/prune.md).
struct CacheLimits {
  std::optional<int64_t> max_bytes;                 // `max_size: 5G`
  std::optional<std::chrono::milliseconds> max_age;  // `max_age: 30d`
  [[nodiscard]] bool any() const { return max_bytes || max_age; }
};

struct Pipeline {
  std::string file;  // as given on the command line, for messages
  int version = 1;
  EnvList env;
  std::vector<SecretName> secrets;  // environment variables (process or `env:`) whose values are masked
  Defaults defaults;
  std::vector<Stage> stages;  // file order
  std::shared_ptr<const base::yaml::Node> llm;  // the top-level `llm:` section as written, if any
  CacheLimits cache;  // the top-level `cache:` section; none set: no automatic pruning

  [[nodiscard]] const Stage* find(std::string_view name) const;
  [[nodiscard]] int index_of(std::string_view name) const;  // -1 when absent
};

}  // namespace sluice::pipeline
