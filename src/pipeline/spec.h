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
#include "pipeline/expr.h"

namespace sluice::pipeline {

using EnvList = std::vector<std::pair<std::string, std::string>>;  // ordered, unique keys

enum class StageKind { run, llm, validate, prune, push };

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

// `push:` stage: pushes an OCI image layout directory to registries and records the push in the
// workspace state, the first age source of `sluice registry prune` (docs/prune.md).
// `from` and `to` may hold `${{ ... }}` (params and matrix at load time; env, git and stage
// outputs when the stage starts, as `run` and `env`).
struct PushSpec {
  std::string from;              // the layout directory, relative to the workspace
  std::string ref;               // index.json entry by org.opencontainers.image.ref.name; "": the only one
  std::vector<std::string> to;   // REGISTRY/REPO:TAG, one or more
  std::vector<base::yaml::Mark> to_marks;  // where each `to` is written (parallel to `to`)
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
  bool verdict = false;  // `llm: { verdict: true }`: an AI verdict stage (advisory by default, issue 12)
  std::optional<ValidateSpec> validate;
  bool protected_stage = false;  // `protected: true`: gated when downstream of an AI stage (docs/review.md)
  std::optional<bool> advisory;  // `advisory:` as written (true/false/unset), so a kind can default it
  // A failure is reported (failed_advisory) but neither fails the run nor skips dependents.
  // Unset: advisory exactly when it is an AI verdict stage (a model's verdict is advisory unless
  // the pipeline writes `advisory: false`).
  [[nodiscard]] bool is_advisory() const { return advisory.value_or(verdict); }

  // The pipeline language (docs/pipeline.md; pipeline/expand.cpp, pipeline/expr.h).
  std::string source_file;  // the `include:`d file that defines it; empty: the pipeline file
  EnvList matrix;           // this combination's values, in the matrix's key order
  std::string matrix_of;    // the stage's name as written when a matrix expanded it; else empty
  int max_parallel = 0;     // of a matrix expansion: at most this many at once; 0: no bound
  std::shared_ptr<const expr::Expr> condition;  // `if:`; null: none
  std::vector<std::string> changes;             // `changes:` globs (changed(...) ANDed with `if`)
  bool always = false;  // its `if` calls always(): it runs even when a need failed or was skipped
  // `${{ ... }}` left in `run` or `env` values for run time (env, git, stages' outputs).
  bool has_runtime_placeholders = false;
  std::vector<std::string> output_needs;  // stages whose outputs it reads, in first-use order
  std::optional<PruneSpec> prune;
  std::optional<PushSpec> push;
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

// The top-level `review:` section (docs/review.md). The patterns stay text here; the review
// module compiles and checks them (engine/gates.h).
enum class OnPending { fail, wait };
struct ReviewSpec {
  struct Pattern {
    std::string text;
    base::yaml::Mark mark;
  };
  bool present = false;  // the section is written
  std::vector<Pattern> critical_paths;
  std::string critical_paths_file;  // relative to the workspace; "" none
  base::yaml::Mark critical_paths_file_mark;
  int min_approvals = 1;
  bool prevent_self_approval = false;
  std::optional<OnPending> on_pending;  // unset: fail in CI or without a terminal, else wait
  std::chrono::milliseconds wait_timeout{std::chrono::minutes(30)};
  std::string allowed_signers;  // "" none; else signatures are mandatory and verified
};

// `params:` entry: a value a run may set with `sluice run -p NAME=VALUE`.
struct Param {
  std::string name;
  std::string default_value;
  std::vector<std::string> values;  // allowed values; empty: any
  base::yaml::Mark mark;
};

// `cache: { remote: URL, remote_write: true }`: the remote step cache (Bazel HTTP protocol,
// docs/scale-out.md). Empty url: none. Written only when remote_write (or SLUICE_CACHE_WRITE=1).
struct RemoteCacheSpec {
  std::string url;
  bool write = false;
  base::yaml::Mark mark;
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
  std::shared_ptr<const base::yaml::Node> notify;  // the top-level `notify:` section as written (notify module reads it)
  ReviewSpec review;  // the top-level `review:` section
  std::vector<Param> params;  // declared `params:`, file order
  EnvList param_values;       // each declared param's value for this run (default or -p)
  std::vector<std::string> included;  // files read through `include:`, as resolved
  RemoteCacheSpec remote_cache;  // `cache.remote` / `cache.remote_write`
  std::string state;  // `state:` "sqlite" (default, also when empty) or a postgres:// URL

  [[nodiscard]] const Stage* find(std::string_view name) const;
  [[nodiscard]] int index_of(std::string_view name) const;  // -1 when absent
};

}  // namespace sluice::pipeline
