#include "store/pruner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <limits>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace sluice::store {

namespace fs = std::filesystem;

namespace {

bool is_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Every blob file in the CAS: <cas>/ab/<62 hex>. Temp files of an atomic write in flight and
// anything else that is not a blob name are left alone.
std::unordered_map<std::string, int64_t> walk_cas(const fs::path& cas, StoreSizes& sizes) {
  std::unordered_map<std::string, int64_t> out;
  std::error_code ec;
  for (fs::directory_iterator top(cas, ec), end; !ec && top != end; top.increment(ec)) {
    const std::string prefix = top->path().filename().string();
    if (prefix.size() != 2 || !is_hex(prefix)) continue;
    std::error_code ec2;
    for (fs::directory_iterator it(top->path(), ec2); !ec2 && it != end; it.increment(ec2)) {
      const std::string rest = it->path().filename().string();
      if (rest.size() != 62 || !is_hex(rest)) continue;
      struct stat st {};
      if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      out.emplace(prefix + rest, static_cast<int64_t>(st.st_size));
      sizes.blob_bytes += st.st_size;
    }
  }
  sizes.blobs = static_cast<int64_t>(out.size());
  return out;
}

int64_t tree_bytes(const fs::path& dir) {
  int64_t n = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    if (it->is_regular_file(ec2)) n += static_cast<int64_t>(it->file_size(ec2));
  }
  return n;
}

fs::path blob_path(const fs::path& cas, const std::string& blob) { return cas / blob.substr(0, 2) / blob.substr(2); }

// The index's entries; `own` receives the keys this workspace wrote (every key, with SQLite).
Expected<std::vector<PruneStepEntry>> read_step_entries(StateStore& store, std::unordered_set<std::string>& own) {
  auto rows = store.cache_index();
  if (!rows) return tl::unexpected(rows.error());
  std::vector<PruneStepEntry> out;
  out.reserve(rows->size());
  own.clear();
  for (auto& r : *rows) {
    if (r.own) own.insert(r.key);
    out.push_back({std::move(r.key), r.last_used_ms, blobs_of_outputs(r.outputs_json)});
  }
  return out;
}

Expected<std::vector<PruneLlmEntry>> read_llm_entries(Database& db) {
  auto q = db.prepare("SELECT key, last_used_ms, LENGTH(CAST(response AS BLOB)) FROM llm_response_cache");
  if (!q) return tl::unexpected(q.error());
  std::vector<PruneLlmEntry> out;
  for (;;) {
    auto row = q->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back({q->column_text(0), q->column_int(1), q->column_int(2)});
  }
  return out;
}

Expected<std::vector<PruneRun>> read_runs(StateStore& store, const StateLayout& layout) {
  auto runs = store.list_runs(std::numeric_limits<int>::max());
  if (!runs) return tl::unexpected(runs.error());
  std::vector<PruneRun> out;
  std::unordered_map<std::string, size_t> index;
  for (const auto& r : *runs) {
    // Shared state: only this workspace's runs (their logs are here; others' are not ours to drop).
    if (!store.recorded_here(r)) continue;
    index.emplace(r.id, out.size());
    // list_runs() shows a running run whose lease expired as interrupted.
    out.push_back({r.id, r.seq, r.started_ms, r.status == RunStatus::running, {}, 0});
  }
  auto keys = store.stage_cache_keys();
  if (!keys) return tl::unexpected(keys.error());
  for (auto& [run_id, key] : *keys) {
    auto it = index.find(run_id);
    if (it != index.end()) out[it->second].cache_keys.push_back(std::move(key));
  }
  for (auto& r : out) {
    if (!r.running) r.log_bytes = tree_bytes(layout.run_logs(r.id));
  }
  return out;
}

// Log directories of runs the database no longer knows (a prune that crashed after its commit).
// With shared state, runs still in the workspace's SQLite database (recorded before the switch)
// are known too: their logs are not strays.
std::vector<std::string> orphan_logs(StateStore& store, const StateLayout& layout, const std::vector<PruneRun>& runs) {
  std::unordered_set<std::string> known;
  for (const auto& r : runs) known.insert(r.id);
  if (store.shared()) {
    if (auto q = store.db().prepare("SELECT id FROM runs")) {
      while (true) {
        auto row = q->step();
        if (!row || !*row) break;
        known.insert(q->column_text(0));
      }
    }
  }
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(layout.runs(), ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    std::string name = it->path().filename().string();
    if (it->is_directory(ec2) && !known.count(name)) out.push_back(std::move(name));
  }
  return out;
}

Expected<void> delete_rows(StateStore& store, const PrunePlan& plan) {
  Database& db = store.db();
  auto del = [&](const char* sql, const std::vector<std::string>& keys) -> Expected<void> {
    if (keys.empty()) return {};
    auto st = db.prepare(sql);
    if (!st) return tl::unexpected(st.error());
    for (const auto& k : keys) {
      st->reset();
      SLUICE_TRY(st->bind(1, k).run());
    }
    return {};
  };
  SLUICE_TRY(store.delete_cache_entries(plan.step_keys));
  SLUICE_TRY(del("DELETE FROM llm_response_cache WHERE key = ?1", plan.llm_keys));
  SLUICE_TRY(store.delete_runs(plan.run_ids));
  SLUICE_TRY(del("DELETE FROM llm_calls WHERE run_id = ?1", plan.run_ids));
  return {};
}

// The blobs the step-cache index references now. With shared state, index entries of other
// workspaces that this prune evicted (`evicted_here`) stay in the index but no longer keep this
// workspace's copies of their blobs.
Expected<std::unordered_set<std::string>> referenced_blobs(StateStore& store,
                                                           const std::unordered_set<std::string>& evicted_here) {
  auto rows = store.cache_index();
  if (!rows) return tl::unexpected(rows.error());
  std::unordered_set<std::string> out;
  for (const auto& r : *rows) {
    if (evicted_here.count(r.key)) continue;
    for (auto& b : blobs_of_outputs(r.outputs_json)) out.insert(std::move(b));
  }
  return out;
}

}  // namespace

std::vector<std::string> blobs_of_outputs(const std::string& outputs_json) {
  // StepCache writes `"blob":"<64 hex>"`; whitespace around the colon is tolerated.
  std::vector<std::string> out;
  constexpr std::string_view k_field = "\"blob\"";
  size_t pos = 0;
  while ((pos = outputs_json.find(k_field, pos)) != std::string::npos) {
    pos += k_field.size();
    while (pos < outputs_json.size() && (outputs_json[pos] == ' ' || outputs_json[pos] == ':')) ++pos;
    if (pos >= outputs_json.size() || outputs_json[pos] != '"') continue;
    ++pos;
    if (pos + 64 <= outputs_json.size() && outputs_json[pos + 64] == '"' &&
        is_hex(std::string_view(outputs_json).substr(pos, 64))) {
      out.push_back(outputs_json.substr(pos, 64));
      pos += 64;
    }
  }
  return out;
}

Expected<PruneReport> Pruner::run(const PruneLimits& limits, PruneMode mode) {
  PruneReport rep;
  Database& db = m_store.db();
  std::unordered_set<std::string> own_keys;  // shared state: index entries this workspace wrote
  // Outside the write lock: the CAS walk is the slow part, and a blob's size never changes.
  PruneSnapshot snap;
  snap.blob_bytes = walk_cas(m_layout.cas(), rep.before);

  auto decide = [&]() -> Expected<void> {
    auto steps = read_step_entries(m_store, own_keys);
    if (!steps) return tl::unexpected(steps.error());
    snap.step_entries = std::move(*steps);
    auto llm = read_llm_entries(db);
    if (!llm) return tl::unexpected(llm.error());
    snap.llm_entries = std::move(*llm);
    auto runs = read_runs(m_store, m_layout);
    if (!runs) return tl::unexpected(runs.error());
    snap.runs = std::move(*runs);
    rep.before.step_entries = static_cast<int64_t>(snap.step_entries.size());
    rep.before.llm_entries = static_cast<int64_t>(snap.llm_entries.size());
    for (const auto& e : snap.llm_entries) rep.before.llm_bytes += e.bytes;
    rep.before.runs = static_cast<int64_t>(snap.runs.size());
    for (const auto& r : snap.runs) rep.before.log_bytes += r.log_bytes;
    rep.plan = plan_prune(snap, limits);
    if (m_store.shared()) {
      // Other workspaces' index entries stay in the shared index: only this workspace's copies
      // of their blobs go (a later lookup here fetches them from the remote cache, or misses).
      std::vector<std::string> own;
      rep.shared_evicted_here.clear();
      for (auto& k : rep.plan.step_keys) (own_keys.count(k) ? own : rep.shared_evicted_here).push_back(std::move(k));
      rep.plan.step_keys = std::move(own);
    }
    rep.orphan_log_dirs = orphan_logs(m_store, m_layout, snap.runs);
    for (const auto& d : rep.orphan_log_dirs) rep.plan.log_bytes += tree_bytes(m_layout.run_logs(d));
    return {};
  };
  if (mode == PruneMode::dry_run) {
    SLUICE_TRY(decide());
    return rep;
  }

  // 1. Decide and delete the rows in one transaction: what was read is what is deleted.
  auto rows = m_store.transaction([&]() -> Expected<void> {
    SLUICE_TRY(decide());
    return delete_rows(m_store, rep.plan);
  });
  if (!rows) return tl::unexpected(rows.error());
  rep.applied = true;
  // 2. Logs of runs that no longer exist.
  std::error_code ec;
  for (const auto& id : rep.plan.run_ids) fs::remove_all(m_layout.run_logs(id), ec);
  for (const auto& id : rep.orphan_log_dirs) fs::remove_all(m_layout.run_logs(id), ec);
  // 3. Blobs, under the write lock, re-checked against the rows as they are now. In slices, so a
  // concurrent run never waits long for the lock (unlinking 100,000 files takes seconds to
  // minutes on a busy disk; the busy timeout is 10 s).
  std::unordered_set<std::string> evicted_here(rep.shared_evicted_here.begin(), rep.shared_evicted_here.end());
  constexpr size_t k_slice = 2048;  // blobs per transaction: well under a second on a busy disk
  size_t next = 0;
  while (next < rep.plan.blobs.size()) {
    auto slice = m_store.transaction([&]() -> Expected<void> {
      auto refs = referenced_blobs(m_store, evicted_here);
      if (!refs) return tl::unexpected(refs.error());
      std::vector<std::string> todo;
      for (; next < rep.plan.blobs.size() && todo.size() < k_slice; ++next) {
        const std::string& b = rep.plan.blobs[next];
        if (!refs->count(b)) {
          todo.push_back(blob_path(m_layout.cas(), b).string());
          continue;
        }
        ++rep.blobs_kept_referenced;
        auto it = snap.blob_bytes.find(b);
        if (it != snap.blob_bytes.end()) rep.plan.blob_bytes -= it->second;
      }
      // Unlinking is the slow part (the file system's, not ours): a few threads overlap it.
      std::atomic<size_t> taken{0}, deleted{0};
      auto work = [&] {
        for (size_t i; (i = taken.fetch_add(1)) < todo.size();) {
          if (::unlink(todo[i].c_str()) == 0 || errno == ENOENT) ++deleted;
        }
      };
      std::vector<std::thread> threads;
      for (int t = 0; t < 3; ++t) threads.emplace_back(work);
      work();
      for (auto& t : threads) t.join();
      rep.blobs_deleted += static_cast<int64_t>(deleted.load());
      return {};
    });
    if (!slice) return tl::unexpected(slice.error());
  }
  return rep;
}

}  // namespace sluice::store
