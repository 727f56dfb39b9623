#pragma once
// Records of runs and stages, the step-cache index and the input stat cache. Every transition is
// committed as it happens (or in the scheduler's group commit), so a killed run stays visible.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
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
  // Which workspace recorded it ("host:/path/.sluice"); empty with SQLite (always this one).
  std::string origin;
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

// A step-cache index row as `sluice prune` reads it.
struct CacheIndexRow {
  std::string key;
  int64_t last_used_ms = 0;
  std::string outputs_json;
  bool own = true;  // written from this workspace (always, with SQLite)
};

// The state of runs, stages and the step-cache index, behind one interface with two backends
// (docs/scale-out.md): SqliteStateStore (the workspace's `.sluice/state.db`, the default) and
// PgStateStore (a PostgreSQL database shared by every runner, src/store/pg_state_store.h).
// Both keep the workspace's SQLite database open for what stays local to a workspace: the input
// stat cache, notifications, the llm_calls log (db()).
//
// Thread-safety: one StateStore per thread (it owns its connections).
class StateStore {
 public:
  // Opens the SQLite backend over `<dir>/state.db` (creating `dir`).
  [[nodiscard]] static Expected<std::unique_ptr<StateStore>> open(const std::filesystem::path& dir);
  // The backend `url` names: "" or "sqlite" the workspace's database in `dir`, a postgres:// URL
  // the shared PostgreSQL one (the workspace's SQLite database in `dir` is opened too).
  [[nodiscard]] static Expected<std::unique_ptr<StateStore>> open(const std::filesystem::path& dir,
                                                                  const std::string& url);
  explicit StateStore(std::unique_ptr<Database> db) : m_db(std::move(db)) {}
  virtual ~StateStore() = default;
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // Marks runs whose lease has expired as interrupted, then records a new run with the lease
  // of process `pid` (this process).
  [[nodiscard]] virtual Expected<RunRecord> begin_run(const std::string& pipeline, int jobs, int64_t pid,
                                                      int64_t now_ms, const std::string& options) = 0;
  [[nodiscard]] virtual Expected<void> finish_run(const std::string& run_id, RunStatus status, int64_t ended_ms,
                                                  int64_t duration_ms) = 0;
  // Inserts or replaces the stage's row.
  [[nodiscard]] virtual Expected<void> put_stage(const StageRecord& stage) = 0;
  // Writes many stage rows in one transaction (initial pending rows).
  [[nodiscard]] virtual Expected<void> put_stages(const std::vector<StageRecord>& stages) = 0;

  // Renews a running run's heartbeat (PostgreSQL: on the server's clock, `now_ms` unused).
  [[nodiscard]] virtual Expected<void> heartbeat(const std::string& run_id, int64_t now_ms) = 0;
  // Marks `running` runs whose lease has expired (src/store/run_lease.h) as interrupted, and
  // their running stages too. The LLM ledger's reservations of such runs stop counting against
  // any budget from then on (src/llm/budget.h). Returns how many runs it marked.
  [[nodiscard]] virtual Expected<int> mark_dead_runs_interrupted(int64_t now_ms) = 0;
  // Process groups recorded for stages of runs that are no longer running: what a SIGKILLed
  // sluice may have left behind. forget_group() drops one once it has been dealt with.
  // PostgreSQL: only groups recorded on this machine (boot id) and PID namespace.
  [[nodiscard]] virtual Expected<std::vector<LeftoverGroup>> leftover_groups() = 0;
  [[nodiscard]] virtual Expected<void> forget_group(const std::string& run_id, const std::string& stage) = 0;

  // Newest first. A `running` run whose lease has expired is reported as interrupted.
  [[nodiscard]] virtual Expected<std::vector<RunRecord>> list_runs(int limit) = 0;
  // `selector`: "last", a run number (seq), or a run id or unique id prefix.
  [[nodiscard]] virtual Expected<std::optional<RunRecord>> find_run(const std::string& selector) = 0;
  [[nodiscard]] virtual Expected<std::vector<StageRecord>> stages_of(const std::string& run_id) = 0;

  // Reads an entry and marks it used at `now_ms`; `now_ms` <= 0 only reads (`sluice plan`'s
  // peek must not make an entry look unused since 1970 to `sluice prune`).
  [[nodiscard]] virtual Expected<std::optional<CacheEntry>> cache_lookup(const std::string& key, int64_t now_ms) = 0;
  [[nodiscard]] virtual Expected<void> cache_put(const CacheEntry& entry) = 0;

  // For `sluice prune`: every index row, the (run id, cache key) pairs of stages, and deletes.
  [[nodiscard]] virtual Expected<std::vector<CacheIndexRow>> cache_index() = 0;
  [[nodiscard]] virtual Expected<std::vector<std::pair<std::string, std::string>>> stage_cache_keys() = 0;
  [[nodiscard]] virtual Expected<void> delete_cache_entries(const std::vector<std::string>& keys) = 0;
  // Deletes runs and their stages.
  [[nodiscard]] virtual Expected<void> delete_runs(const std::vector<std::string>& ids) = 0;

  // Transactions the caller holds open across many writes (the scheduler's group commit).
  // begin_transaction() takes the write lock (SQLite: BEGIN IMMEDIATE); commit_transaction()
  // rolls back when the commit fails. transaction() runs `body` inside one and rolls back on error.
  [[nodiscard]] virtual Expected<void> begin_transaction() = 0;
  [[nodiscard]] virtual Expected<void> commit_transaction() = 0;
  [[nodiscard]] virtual Expected<void> transaction(const std::function<Expected<void>()>& body) = 0;

  // Whether runs and the step-cache index are shared with other runners (PostgreSQL).
  [[nodiscard]] virtual bool shared() const { return false; }
  // Where the state is, for messages ("/ws/.sluice/state.db", or the URL with its password masked).
  [[nodiscard]] virtual std::string where() const;
  // Whether a run was recorded from this workspace (its logs are here). Always, with SQLite.
  [[nodiscard]] virtual bool recorded_here(const RunRecord& run) const;

  // The input stat cache: always the workspace's SQLite database.
  [[nodiscard]] Expected<std::unordered_map<std::string, FileStat>> load_file_stats();
  [[nodiscard]] Expected<void> save_file_stats(const std::unordered_map<std::string, FileStat>& changed);

  // The workspace's SQLite database, with either backend.
  [[nodiscard]] Database& db() { return *m_db; }

 protected:
  std::unique_ptr<Database> m_db;
};

// The SQLite backend: everything in the workspace's `.sluice/state.db`.
class SqliteStateStore final : public StateStore {
 public:
  explicit SqliteStateStore(std::unique_ptr<Database> db) : StateStore(std::move(db)) {}

  [[nodiscard]] Expected<RunRecord> begin_run(const std::string& pipeline, int jobs, int64_t pid, int64_t now_ms,
                                              const std::string& options) override;
  [[nodiscard]] Expected<void> finish_run(const std::string& run_id, RunStatus status, int64_t ended_ms,
                                          int64_t duration_ms) override;
  [[nodiscard]] Expected<void> put_stage(const StageRecord& stage) override;
  [[nodiscard]] Expected<void> put_stages(const std::vector<StageRecord>& stages) override;
  [[nodiscard]] Expected<void> heartbeat(const std::string& run_id, int64_t now_ms) override;
  [[nodiscard]] Expected<int> mark_dead_runs_interrupted(int64_t now_ms) override;
  [[nodiscard]] Expected<std::vector<LeftoverGroup>> leftover_groups() override;
  [[nodiscard]] Expected<void> forget_group(const std::string& run_id, const std::string& stage) override;
  [[nodiscard]] Expected<std::vector<RunRecord>> list_runs(int limit) override;
  [[nodiscard]] Expected<std::optional<RunRecord>> find_run(const std::string& selector) override;
  [[nodiscard]] Expected<std::vector<StageRecord>> stages_of(const std::string& run_id) override;
  [[nodiscard]] Expected<std::optional<CacheEntry>> cache_lookup(const std::string& key, int64_t now_ms) override;
  [[nodiscard]] Expected<void> cache_put(const CacheEntry& entry) override;
  [[nodiscard]] Expected<std::vector<CacheIndexRow>> cache_index() override;
  [[nodiscard]] Expected<std::vector<std::pair<std::string, std::string>>> stage_cache_keys() override;
  [[nodiscard]] Expected<void> delete_cache_entries(const std::vector<std::string>& keys) override;
  [[nodiscard]] Expected<void> delete_runs(const std::vector<std::string>& ids) override;
  [[nodiscard]] Expected<void> begin_transaction() override;
  [[nodiscard]] Expected<void> commit_transaction() override;
  [[nodiscard]] Expected<void> transaction(const std::function<Expected<void>()>& body) override;

 private:
  // Prepared once: a run uses them for every stage.
  std::optional<Statement> m_put_stage;
  std::optional<Statement> m_cache_get;
  std::optional<Statement> m_cache_touch;
  std::optional<Statement> m_cache_put;
  std::optional<Statement> m_heartbeat;
};

// A new run id: the UTC time, the run's seq and 16 random bits ("20261129-031500-7-a3f0").
[[nodiscard]] std::string new_run_id(int64_t now_ms, int64_t seq);
// The record of a run starting now as number `seq`, with the lease of process `pid` (both backends).
[[nodiscard]] RunRecord new_run_record(int64_t seq, const std::string& pipeline, int jobs, int64_t pid, int64_t now_ms,
                                       const std::string& options);
// True when a process with this pid exists on this machine.
[[nodiscard]] bool process_alive(int64_t pid);
// Whether a recorded run is alive by its lease, as seen from this process now.
[[nodiscard]] bool run_alive(const RunRecord& run, int64_t now_ms);

}  // namespace sluice::store
