#include "store/prune_plan.h"

#include <algorithm>
#include <tuple>
#include <unordered_set>

namespace sluice::store {

namespace {

// Blob hashes interned to indexes, with a reference count per blob from the kept entries.
class BlobRefs {
 public:
  explicit BlobRefs(const std::unordered_map<std::string, int64_t>& sizes) : m_sizes(sizes) {}
  void add(const std::string& blob) {
    if (m_refs[blob]++ == 0) m_bytes += size_of(blob);
  }
  void drop(const std::string& blob) {
    auto it = m_refs.find(blob);
    if (it == m_refs.end() || it->second == 0) return;
    if (--it->second == 0) m_bytes -= size_of(blob);
  }
  [[nodiscard]] bool referenced(const std::string& blob) const {
    auto it = m_refs.find(blob);
    return it != m_refs.end() && it->second > 0;
  }
  [[nodiscard]] int64_t bytes() const { return m_bytes; }

 private:
  [[nodiscard]] int64_t size_of(const std::string& blob) const {
    auto it = m_sizes.find(blob);
    return it == m_sizes.end() ? 0 : it->second;
  }
  const std::unordered_map<std::string, int64_t>& m_sizes;
  std::unordered_map<std::string, int64_t> m_refs;
  int64_t m_bytes = 0;
};

}  // namespace

PrunePlan plan_prune(const PruneSnapshot& s, const PruneLimits& limits) {
  PrunePlan plan;
  const auto old = [&](int64_t ms) { return limits.older_than_cutoff_ms && ms < *limits.older_than_cutoff_ms; };

  // Runs, newest first: the newest N are kept, and so is every running run.
  std::vector<const PruneRun*> runs;
  runs.reserve(s.runs.size());
  for (const auto& r : s.runs) runs.push_back(&r);
  std::sort(runs.begin(), runs.end(), [](const PruneRun* a, const PruneRun* b) { return a->seq > b->seq; });
  std::unordered_set<std::string> protected_keys;
  for (size_t rank = 0; rank < runs.size(); ++rank) {
    const PruneRun& r = *runs[rank];
    const bool in_newest = limits.keep_runs && rank < static_cast<size_t>(std::max(0, *limits.keep_runs));
    if (rank < static_cast<size_t>(std::max(0, limits.protect_newest))) {
      protected_keys.insert(r.cache_keys.begin(), r.cache_keys.end());
    }
    if (r.running || in_newest) {
      protected_keys.insert(r.cache_keys.begin(), r.cache_keys.end());
      continue;
    }
    if (limits.keep_runs || old(r.started_ms)) {
      plan.run_ids.push_back(r.id);
      plan.log_bytes += r.log_bytes;
    }
  }

  // Entries past the age limit.
  std::vector<bool> step_gone(s.step_entries.size(), false);
  std::vector<bool> llm_gone(s.llm_entries.size(), false);
  BlobRefs refs(s.blob_bytes);
  for (size_t i = 0; i < s.step_entries.size(); ++i) {
    const auto& e = s.step_entries[i];
    step_gone[i] = old(e.last_used_ms) && !protected_keys.count(e.key);
    if (!step_gone[i]) {
      for (const auto& b : e.blobs) refs.add(b);
    }
  }
  int64_t llm_kept = 0;
  for (size_t i = 0; i < s.llm_entries.size(); ++i) {
    llm_gone[i] = old(s.llm_entries[i].last_used_ms);
    if (!llm_gone[i]) llm_kept += s.llm_entries[i].bytes;
  }

  // Then the least recently used of both caches until the rest fits.
  if (limits.max_bytes && refs.bytes() + llm_kept > *limits.max_bytes) {
    // (last used, key, is llm, index)
    std::vector<std::tuple<int64_t, const std::string*, bool, size_t>> lru;
    for (size_t i = 0; i < s.step_entries.size(); ++i) {
      const auto& e = s.step_entries[i];
      if (!step_gone[i] && !protected_keys.count(e.key)) lru.emplace_back(e.last_used_ms, &e.key, false, i);
    }
    for (size_t i = 0; i < s.llm_entries.size(); ++i) {
      if (!llm_gone[i]) lru.emplace_back(s.llm_entries[i].last_used_ms, &s.llm_entries[i].key, true, i);
    }
    std::sort(lru.begin(), lru.end(), [](const auto& a, const auto& b) {
      if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) < std::get<0>(b);
      return *std::get<1>(a) < *std::get<1>(b);
    });
    for (const auto& [used, key, is_llm, i] : lru) {
      if (refs.bytes() + llm_kept <= *limits.max_bytes) break;
      if (is_llm) {
        llm_gone[i] = true;
        llm_kept -= s.llm_entries[i].bytes;
      } else {
        step_gone[i] = true;
        for (const auto& b : s.step_entries[i].blobs) refs.drop(b);
      }
    }
    plan.over_limit = refs.bytes() + llm_kept > *limits.max_bytes;
  }

  for (size_t i = 0; i < s.step_entries.size(); ++i) {
    if (step_gone[i]) plan.step_keys.push_back(s.step_entries[i].key);
  }
  for (size_t i = 0; i < s.llm_entries.size(); ++i) {
    if (llm_gone[i]) {
      plan.llm_keys.push_back(s.llm_entries[i].key);
      plan.llm_bytes += s.llm_entries[i].bytes;
    }
  }
  for (const auto& [blob, bytes] : s.blob_bytes) {
    if (!refs.referenced(blob)) {
      plan.blobs.push_back(blob);
      plan.blob_bytes += bytes;
    }
  }
  std::sort(plan.blobs.begin(), plan.blobs.end());
  plan.kept_bytes = refs.bytes() + llm_kept;
  return plan;
}

}  // namespace sluice::store
