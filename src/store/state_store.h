#pragma once
// Records of runs and stages, the step-cache index and the input stat cache, over the state
// database. Every transition is committed as it happens, so a killed run stays visible.
//
// Thread-safety: one StateStore per thread (it owns one connection).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "store/database.h"
#include "store/status.h"

namespace sluice::store {

struct RunRecord {
  std::string id;
  int64_t seq = 0;
  std::string pipeline;
  RunStatus status = RunStatus::running;
  int64_t pid = 0;
  int jobs = 0;
  int64_t started_ms = 0;
  std::optional<int64_t> ended_ms;
  std::optional<int64_t> duration_ms;
  std::string options;
  // The lease (src/store/run_lease.h); empty/unset for runs recorded before schema v3.
  std::string boot_id;
  std::optional<int64_t> pid_start;
  std::string pid_ns;
  std::optional<int64_t> heartbeat_ms;
};

struct StageRecord {
  std::string run_id;
  std::string name;
  int index = 0;
  std::string kind = "run";
  StageStatus status = StageStatus::pending;
  std::optional<int> exit_code;
  int attempts = 0;
  std::optional<int64_t> started_ms;
  std::optional<int64_t> ended_ms;
  std::optional<int64_t> duration_ms;
  bool cache_hit = false;
  std::optional<std::string> cache_key;
  std::optional<std::string> log_path;
  std::optional<std::string> reason;
  std::string needs;  // comma-separated
  std::optional<std::string> details;  // JSON owned by the stage kind
  // The process group of the attempt in flight and its leader's start time (ticks after boot);
  // unset when no process runs. What the next sluice stops if this one is killed.
  std::optional<int64_t> pgid;
  std::optional<int64_t> pgid_start;
};

// A process group of a stage whose run is dead, as recorded (see StateStore::leftover_groups).
struct LeftoverGroup {
  std::string run_id;
  std::string stage;
  int64_t pgid = 0;
  std::optional<int64_t> pgid_start;
  std::string boot_id;
};

struct CacheEntry {
  std::string key;
  std::string stage;
  std::string outputs_json;
  int64_t created_ms = 0;
  int64_t last_used_ms = 0;
  int64_t duration_ms = 0;
};

struct FileStat {
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  int64_t inode = 0;
  std::string sha256;
};

class StateStore {
 public:
  // Opens `<dir>/state.db` (creating `dir`).
  [[nodiscard]] static Expected<std::unique_ptr<StateStore>> open(const std::filesystem::path& dir);
  explicit StateStore(std::unique_ptr<Database> db) : m_db(std::move(db)) {}

  // Marks runs whose lease has expired as interrupted, then records a new run with the lease
  // of process `pid` (this process).
  [[nodiscard]] Expected<RunRecord> begin_run(const std::string& pipeline, int jobs, int64_t pid,
                                              int64_t now_ms, const std::string& options);
  [[nodiscard]] Expected<void> finish_run(const std::string& run_id, RunStatus status,
                                          int64_t ended_ms, int64_t duration_ms);
  // Inserts or replaces the stage's row.
  [[nodiscard]] Expected<void> put_stage(const StageRecord& stage);
  // Writes many stage rows in one transaction (initial pending rows).
  [[nodiscard]] Expected<void> put_stages(const std::vector<StageRecord>& stages);

  // Renews a running run's heartbeat.
  [[nodiscard]] Expected<void> heartbeat(const std::string& run_id, int64_t now_ms);
  // Marks `running` runs whose lease has expired (src/store/run_lease.h) as interrupted, and
  // their running stages too. The LLM ledger's reservations of such runs stop counting against
  // any budget from then on (src/llm/budget.h). Returns how many runs it marked.
  [[nodiscard]] Expected<int> mark_dead_runs_interrupted(int64_t now_ms);
  // Process groups recorded for stages of runs that are no longer running: what a SIGKILLed
  // sluice may have left behind. forget_group() drops one once it has been dealt with.
  [[nodiscard]] Expected<std::vector<LeftoverGroup>> leftover_groups();
  [[nodiscard]] Expected<void> forget_group(const std::string& run_id, const std::string& stage);

  // Newest first. A `running` run whose lease has expired is reported as interrupted.
  [[nodiscard]] Expected<std::vector<RunRecord>> list_runs(int limit);
  // `selector`: "last", a run number (seq), or a run id or unique id prefix.
  [[nodiscard]] Expected<std::optional<RunRecord>> find_run(const std::string& selector);
  [[nodiscard]] Expected<std::vector<StageRecord>> stages_of(const std::string& run_id);

  // Reads an entry and marks it used at `now_ms`; `now_ms` <= 0 only reads (`sluice plan`'s
  // peek must not make an entry look unused since 1970 to `sluice prune`).
  [[nodiscard]] Expected<std::optional<CacheEntry>> cache_lookup(const std::string& key, int64_t now_ms);
  [[nodiscard]] Expected<void> cache_put(const CacheEntry& entry);

  [[nodiscard]] Expected<std::unordered_map<std::string, FileStat>> load_file_stats();
  [[nodiscard]] Expected<void> save_file_stats(const std::unordered_map<std::string, FileStat>& changed);

  // Transactions the caller holds open across many writes (the scheduler's group commit).
  // begin_transaction() takes the write lock (BEGIN IMMEDIATE); commit_transaction() rolls
  // back when the commit fails. transaction() runs `body` inside one and rolls back on error.
  [[nodiscard]] Expected<void> begin_transaction();
  [[nodiscard]] Expected<void> commit_transaction();
  [[nodiscard]] Expected<void> transaction(const std::function<Expected<void>()>& body);

  [[nodiscard]] Database& db() { return *m_db; }

 private:
  std::unique_ptr<Database> m_db;
  // Prepared once: a run uses them for every stage.
  std::optional<Statement> m_put_stage;
  std::optional<Statement> m_cache_get;
  std::optional<Statement> m_cache_touch;
  std::optional<Statement> m_cache_put;
  std::optional<Statement> m_heartbeat;
};

// True when a process with this pid exists on this machine.
[[nodiscard]] bool process_alive(int64_t pid);
// Whether a recorded run is alive by its lease, as seen from this process now.
[[nodiscard]] bool run_alive(const RunRecord& run, int64_t now_ms);

}  // namespace sluice::store
