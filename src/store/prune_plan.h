#pragma once
// What `sluice prune` deletes, decided from a snapshot of the state: a pure function, no I/O.
// The store reads the snapshot (src/store/pruner.h), this decides, the store applies the result.
//
// Rules (docs/prune.md):
//  - a run that is still running is never deleted, and neither is anything it used;
//  - keep_runs N: the newest N runs and every step-cache entry their stages used are kept; older
//    runs are deleted;
//  - older_than: step-cache and LLM response-cache entries not used since the cutoff, and runs
//    that started before it, are deleted (unless kept above);
//  - max_bytes: then the least recently used entries of both caches go until what remains (the
//    blobs the kept step-cache entries reference plus the kept LLM responses) fits;
//  - a blob is deleted only when no kept entry references it (blobs no entry references at all,
//    a crashed prune's leftovers, go too).

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace sluice::store {

struct PruneLimits {
  std::optional<int64_t> older_than_cutoff_ms;  // last used (runs: started) before this goes
  std::optional<int64_t> max_bytes;
  std::optional<int> keep_runs;
  // Entries the newest N runs used are kept, but no run is deleted for it (automatic pruning
  // keeps what the run that just ended used).
  int protect_newest = 0;
  [[nodiscard]] bool any() const { return older_than_cutoff_ms || max_bytes || keep_runs; }
};

struct PruneStepEntry {
  std::string key;
  int64_t last_used_ms = 0;
  std::vector<std::string> blobs;  // SHA-256 hex of each output's blob
};

struct PruneLlmEntry {
  std::string key;
  int64_t last_used_ms = 0;
  int64_t bytes = 0;
};

struct PruneRun {
  std::string id;
  int64_t seq = 0;
  int64_t started_ms = 0;
  bool running = false;  // alive by its lease: never pruned
  std::vector<std::string> cache_keys;  // stages.cache_key of its stages
  int64_t log_bytes = 0;
};

struct PruneSnapshot {
  std::vector<PruneStepEntry> step_entries;
  std::vector<PruneLlmEntry> llm_entries;
  std::vector<PruneRun> runs;
  std::unordered_map<std::string, int64_t> blob_bytes;  // every blob in the CAS, by hash
};

struct PrunePlan {
  std::vector<std::string> step_keys;   // step-cache entries to delete
  std::vector<std::string> llm_keys;    // LLM response-cache entries to delete
  std::vector<std::string> run_ids;     // runs (records, stages, logs) to delete
  std::vector<std::string> blobs;       // blobs no kept entry references
  int64_t blob_bytes = 0;               // reclaimed by `blobs`
  int64_t llm_bytes = 0;                // reclaimed by `llm_keys`
  int64_t log_bytes = 0;                // reclaimed by the runs' logs
  int64_t kept_bytes = 0;               // what the caches hold afterwards
  // max_bytes could not be met because the rest is kept (running runs, keep_runs).
  bool over_limit = false;
  [[nodiscard]] int64_t bytes() const { return blob_bytes + llm_bytes + log_bytes; }
  [[nodiscard]] bool empty() const {
    return step_keys.empty() && llm_keys.empty() && run_ids.empty() && blobs.empty();
  }
};

// Decides what goes. Deterministic: ties in last use break by key.
[[nodiscard]] PrunePlan plan_prune(const PruneSnapshot& snapshot, const PruneLimits& limits);

}  // namespace sluice::store
