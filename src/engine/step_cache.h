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
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/error.h"
#include "pipeline/spec.h"
#include "store/remote_cache.h"
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
  struct Restored {
    enum class Result { miss, hit, damaged } result = Result::miss;
    std::string outputs_digest;  // hit: see outputs_digest()
    std::string problem;         // damaged: what was wrong with the entry, for the user
    pipeline::EnvList values;    // hit: what the stage wrote to $SLUICE_OUTPUT
  };
  // On a hit, restores the stage's outputs. An entry whose blobs are missing or corrupted is
  // `damaged`: nothing is restored, a corrupted blob is deleted (so the next save stores it
  // anew) and the caller runs the stage. A blob missing because `sluice prune` deleted the
  // entry meanwhile (rows go before blobs) is a plain miss. With a shared index (PostgreSQL)
  // a blob missing locally is fetched from the remote cache; one that is nowhere is a miss.
  [[nodiscard]] Restored restore(const std::string& key, int64_t now_ms);
  // Stores the stage's outputs under `key` after a successful run; returns their digest.
  // `values` (what it wrote to $SLUICE_OUTPUT) are stored with the entry and restored on a hit.
  [[nodiscard]] Expected<std::string> save(const std::string& key, const pipeline::Stage& stage,
                                           int64_t duration_ms, int64_t now_ms, const pipeline::EnvList& values = {});
  // What a hit of `key` would give as its outputs digest, restoring nothing; nullopt on a miss
  // or a damaged entry. For `sluice plan`.
  // `values`, when given, receives the entry's $SLUICE_OUTPUT values.
  [[nodiscard]] std::optional<std::string> peek(const std::string& key, pipeline::EnvList* values = nullptr);
  // A digest of the files a stage's `outputs` match now (paths and contents), for a stage that
  // is not cached. save() and a hit of restore() return the same digest for the same files.
  [[nodiscard]] Expected<std::string> outputs_digest(const pipeline::Stage& stage);
  // The key that the stages needing a stage see: its own key and, when it declares outputs, the
  // digest of what it left there. A need that ran again and changed its outputs (one that is not
  // cached, say) thereby changes its dependents' keys, so they cannot hit a stale entry.
  [[nodiscard]] static std::string key_for_dependents(const std::string& key, const std::string& outputs_digest);
  // Consults and feeds a remote cache (Bazel HTTP protocol; not owned, may be null): restore()
  // asks it after a local miss, save() queues the outputs and the entry for upload when it is
  // writable. Remote keys are remote_key(key): the local key extended with the platform.
  void set_remote(store::RemoteCache* remote) { m_remote = remote; }
  [[nodiscard]] static std::string remote_key(const std::string& key);
  // Persists the stat fast-path entries learned during the run.
  [[nodiscard]] Expected<void> flush();

  // Hash of one workspace file (relative path) through the stat fast path.
  [[nodiscard]] Expected<std::string> file_hash(const std::string& rel);

 private:
  [[nodiscard]] Expected<std::string> put_blob(const std::filesystem::path& file);
  // After a local miss: downloads the remote entry and its blobs (each verified) into the local
  // CAS and index. A miss or failure leaves nothing behind; a corrupted blob is `damaged`.
  [[nodiscard]] Restored fetch_remote(const std::string& key, int64_t now_ms);
  // One blob from the remote cache (verified) into the local CAS: hit, miss, or damaged.
  [[nodiscard]] Restored fetch_blob(const std::string& blob);
  // True when the entry `key` is gone from the index (a prune deleted it after we read it).
  [[nodiscard]] bool pruned_meanwhile(const std::string& key);
  store::StateStore& m_store;
  std::filesystem::path m_workspace;
  std::filesystem::path m_cas;
  std::unordered_map<std::string, store::FileStat> m_stats;
  std::unordered_map<std::string, store::FileStat> m_changed;
  // Blobs known to be in the store: many outputs share content (an empty file is one blob).
  // A blob removed by another process meanwhile only costs a cache miss: restore checks first.
  std::unordered_set<std::string> m_stored_blobs;
  store::RemoteCache* m_remote = nullptr;
};

// Whether a stage takes part in step caching at all.
[[nodiscard]] bool is_cacheable(const pipeline::Stage& stage);

}  // namespace sluice::engine
