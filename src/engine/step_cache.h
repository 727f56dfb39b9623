#pragma once
// Content-addressed step caching. A stage's key is a SHA-256 over its resolved definition
// (kind, command, shell, working directory, environment), the paths and contents of its
// inputs, its output patterns, and the keys of the stages it needs. Outputs of a successful
// run are copied into .sluice/cas/<2 hex>/<62 hex> and restored from there on a hit.
//
// Input contents are hashed through a stat fast path (size, mtime, ctime, inode), as ninja and
// ccache do; a file modified less than a second before it was hashed is never trusted to the
// fast path, so a same-size edit within the timestamp granularity cannot give a stale hit.
// Not thread-safe: used by the scheduler thread only.

#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/error.h"
#include "pipeline/spec.h"
#include "store/state_store.h"

namespace sluice::engine {

class StepCache {
 public:
  StepCache(store::StateStore& store, std::filesystem::path workspace,
            std::filesystem::path cas_dir);

  [[nodiscard]] Expected<void> load();
  // Computes the key of `stage`; `need_keys` are the keys of its needs, in its `needs` order.
  [[nodiscard]] Expected<std::string> key_for(const pipeline::Pipeline& p,
                                              const pipeline::Stage& stage,
                                              const std::vector<std::string>& need_keys);
  // On a hit, restores the stage's outputs and returns true.
  [[nodiscard]] Expected<bool> restore(const std::string& key, int64_t now_ms);
  // Stores the stage's outputs under `key` after a successful run.
  [[nodiscard]] Expected<void> save(const std::string& key, const pipeline::Stage& stage,
                                    int64_t duration_ms, int64_t now_ms);
  // Persists the stat fast-path entries learned during the run.
  [[nodiscard]] Expected<void> flush();

  // Hash of one workspace file (relative path) through the stat fast path.
  [[nodiscard]] Expected<std::string> file_hash(const std::string& rel);

 private:
  [[nodiscard]] Expected<std::string> put_blob(const std::filesystem::path& file);
  store::StateStore& m_store;
  std::filesystem::path m_workspace;
  std::filesystem::path m_cas;
  std::unordered_map<std::string, store::FileStat> m_stats;
  std::unordered_map<std::string, store::FileStat> m_changed;
  // Blobs known to be in the store: many outputs share content (an empty file is one blob).
  // A blob removed by another process meanwhile only costs a cache miss: restore checks first.
  std::unordered_set<std::string> m_stored_blobs;
};

// Whether a stage takes part in step caching at all.
[[nodiscard]] bool is_cacheable(const pipeline::Stage& stage);

}  // namespace sluice::engine
