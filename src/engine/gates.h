#pragma once
// Review gates (docs/review.md): which edges of the DAG carry AI output a human must approve,
// and, during a run, whether the content behind a gate is approved, rejected or still pending.
//
// A gate sits on every stage that reads (needs, directly or transitively) an AI stage whose
// output paths are critical, and on every `protected: true` stage downstream of an AI stage.
// The plan is pure data, made once per run; GateKeeper does the I/O of one gate decision (reads
// the files, records the request and events through store::ReviewStore, verifies signatures).
//
// Thread-safety: none; the scheduler thread owns both.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/diagnostic.h"
#include "base/error.h"
#include "engine/llm_sections.h"
#include "pipeline/spec.h"
#include "store/review_store.h"

namespace sluice::engine {

struct GateSource {
  int ai_stage = 0;
  std::vector<std::string> files;  // what of the AI stage's output the gate covers, sorted
};

struct Gate {
  int stage = 0;
  std::string why;  // in words: the AI stage and the critical path, or `protected: true`
  std::vector<GateSource> sources;
};

struct ReviewPlan {
  std::vector<std::optional<Gate>> gates;  // by stage index
  std::string pipeline_hash;               // SHA-256 of the pipeline file's bytes
  [[nodiscard]] const Gate* gate(int stage) const {
    return stage >= 0 && static_cast<size_t>(stage) < gates.size() &&
                   gates[static_cast<size_t>(stage)]
               ? &*gates[static_cast<size_t>(stage)]
               : nullptr;
  }
  [[nodiscard]] bool any() const;
};

// Compiles `review:` (critical_paths, critical_paths_file relative to `workspace`) and finds the
// gates. Bad patterns and an unreadable critical_paths_file are appended to `diags`.
[[nodiscard]] ReviewPlan plan_review(const pipeline::Pipeline& p, const LlmSections& llm,
                                     const std::filesystem::path& workspace,
                                     base::Diagnostics& diags);

struct GateDecision {
  enum class Kind { approved, rejected, pending };
  Kind kind = Kind::pending;
  std::string hash;
  std::string text;  // approved: by whom; rejected: by whom and why; pending: what is awaited
};

struct GateSetup {
  std::filesystem::path workspace;
  std::string run_id;
  std::string actor;             // who started the run
  std::vector<std::string> env;  // for ssh-keygen ("KEY=value")
  const pipeline::ReviewSpec* spec = nullptr;
};

class GateKeeper {
 public:
  GateKeeper(const pipeline::Pipeline& p, const ReviewPlan& plan, GateSetup setup)
      : m_pipeline(p), m_plan(plan), m_setup(std::move(setup)) {}

  // `rs` is the review record the run uses: the workspace's SQLite, or the shared PostgreSQL one.
  // The gated stage's needs have all succeeded: hashes the content, records the request (and a
  // `requested` event when nothing is decided yet) and decides.
  [[nodiscard]] Expected<GateDecision> open(int stage, store::ReviewStore& rs, int64_t now_ms);
  // Decides again from the events (a gate that waits).
  [[nodiscard]] Expected<GateDecision> recheck(const std::string& hash, store::ReviewStore& rs);
  // `wait_timeout` passed: records it as a rejection.
  [[nodiscard]] Expected<void> time_out(int stage, const std::string& hash, store::ReviewStore& rs,
                                        int64_t now_ms);

 private:
  const pipeline::Pipeline& m_pipeline;
  const ReviewPlan& m_plan;
  GateSetup m_setup;
};

// The approve line a run prints for a gate that waits (exact; `--hash` takes a prefix).
[[nodiscard]] std::string approve_command(const std::string& run_id, const std::string& stage,
                                          const std::string& hash);

}  // namespace sluice::engine
