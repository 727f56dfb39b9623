#pragma once
// `sluice prune`'s I/O: reads a snapshot of the state (rows, the CAS directory, run logs), asks
// plan_prune() what goes, and on apply deletes it in the order that keeps a concurrent run safe:
//   1. one BEGIN IMMEDIATE transaction reads the rows, decides and deletes the rows;
//   2. the runs' log directories go;
//   3. BEGIN IMMEDIATE transactions of 2,048 blobs each re-read which blobs the step cache references
//      now and unlink only the planned blobs still unreferenced, holding the write lock meanwhile.
// A run that saves an entry inserts its row first and then checks that its blobs exist
// (StepCache::save), so whichever of the two takes the write lock first, no row is left
// pointing at a deleted blob. A crash between the steps leaves only unreferenced files, which
// the next prune deletes; never a row without its blobs.
//
// With shared state (PostgreSQL, store/pg_state_store.h) the transactions are PostgreSQL's and
// take no lock that a concurrent run's insert waits for, so an entry saved between the re-read
// and the unlink can name a blob just deleted: with shared state a missing blob is a miss (the
// stage runs again), never an error. Only this workspace's runs and index entries are deleted.
//
// Thread-safety: uses the store's connection; one thread.

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "store/prune_plan.h"
#include "store/state_layout.h"
#include "store/state_store.h"

namespace sluice::store {

// Sizes of what the state holds now.
struct StoreSizes {
  int64_t step_entries = 0;
  int64_t blobs = 0;
  int64_t blob_bytes = 0;  // every file in the CAS
  int64_t llm_entries = 0;
  int64_t llm_bytes = 0;
  int64_t runs = 0;
  int64_t log_bytes = 0;
};

struct PruneReport {
  StoreSizes before;
  PrunePlan plan;
  std::vector<std::string> orphan_log_dirs;  // run log directories without a run record
  // Shared state: other workspaces' index entries the limits evicted. They stay in the shared
  // index; only this workspace's copies of their blobs go (the plan's step_keys are this
  // workspace's own entries, the only ones deleted from the index).
  std::vector<std::string> shared_evicted_here;
  bool applied = false;
  int64_t blobs_deleted = 0;  // applied: blobs unlinked (a blob referenced again meanwhile stays)
  int64_t blobs_kept_referenced = 0;  // applied: planned blobs a concurrent run referenced meanwhile
};

enum class PruneMode { dry_run, apply };

class Pruner {
 public:
  Pruner(StateStore& store, StateLayout layout) : m_store(store), m_layout(std::move(layout)) {}

  // Plans (dry_run) or plans and deletes (apply). Whether a run is still running is judged by
  // its lease (src/store/run_lease.h) now.
  [[nodiscard]] Expected<PruneReport> run(const PruneLimits& limits, PruneMode mode);

 private:
  StateStore& m_store;
  StateLayout m_layout;
};

// The blob hashes an outputs JSON (StepCache's `[{"path","blob","mode"}]`) references.
[[nodiscard]] std::vector<std::string> blobs_of_outputs(const std::string& outputs_json);

}  // namespace sluice::store
