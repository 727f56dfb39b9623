#pragma once
// The PostgreSQL backend of StateStore (docs/scale-out.md): runs, stages and the step-cache index
// in one database shared by every runner (tables sluice_runs, sluice_stages, sluice_step_cache;
// the PostgreSQL dialect of the SQLite tables, migrated under the ledger's advisory lock,
// store/pg.cpp). What stays in the workspace's SQLite database (db()): the input stat cache,
// notifications, the llm_calls log and the other engines' tables.
//
// - Run numbers come from one PostgreSQL sequence, so runners never collide: `sluice runs` shows
//   #1, #2, ... across every runner that shares the database (numbers may have gaps).
// - Each run and each index entry records its origin ("host:/workspace/.sluice"). `sluice prune`
//   deletes only its own workspace's runs and index entries (delete_runs/delete_cache_entries
//   refuse others'), and a run's logs are files of the workspace that recorded it.
// - Heartbeats are on PostgreSQL's clock; a run's heartbeat is judged by its age on that clock,
//   so runners' clocks may disagree. A run on another machine is dead when its heartbeat is older
//   than k_lease_timeout; one on this machine and PID namespace by its process (run_lease.h).
//   Marking a run interrupted also releases its live LLM reservations (pg_ledger.h).
// - leftover_groups() returns only groups recorded on this machine (boot id) and PID namespace,
//   so one runner never signals another machine's processes.
// - Stage rows and heartbeats go through the group commit (begin/commit_transaction); index
//   lookups and puts go through a second connection in autocommit (see index_connection()).
//
// Thread-safety: one PgStateStore per thread (it owns a PostgreSQL and a SQLite connection).

#include <filesystem>
#include <memory>
#include <string>

#include "store/pg.h"
#include "store/state_store.h"

namespace sluice::store {

class PgStateStore final : public StateStore {
 public:
  // Connects to `url` (applying the migrations); `local` is the workspace's SQLite database in
  // `dir`, whose absolute path (with the host name) is this workspace's origin.
  [[nodiscard]] static Expected<std::unique_ptr<PgStateStore>> open(std::unique_ptr<Database> local,
                                                                    const std::string& url,
                                                                    const std::filesystem::path& dir);

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
  // Only entries this workspace wrote; others' stay.
  [[nodiscard]] Expected<void> delete_cache_entries(const std::vector<std::string>& keys) override;
  // Only runs this workspace recorded; others' stay.
  [[nodiscard]] Expected<void> delete_runs(const std::vector<std::string>& ids) override;
  [[nodiscard]] Expected<void> begin_transaction() override;
  [[nodiscard]] Expected<void> commit_transaction() override;
  [[nodiscard]] Expected<void> transaction(const std::function<Expected<void>()>& body) override;

  [[nodiscard]] bool shared() const override { return true; }
  [[nodiscard]] std::string where() const override { return m_c->display(); }
  [[nodiscard]] bool recorded_here(const RunRecord& run) const override { return run.origin == m_origin; }
  [[nodiscard]] const std::string& origin() const { return m_origin; }
  [[nodiscard]] PgConnection& connection() { return *m_c; }

 private:
  PgStateStore(std::unique_ptr<Database> local, std::unique_ptr<PgConnection> c, std::string url,
               std::string origin)
      : StateStore(std::move(local)), m_c(std::move(c)), m_url(std::move(url)), m_origin(std::move(origin)) {}
  [[nodiscard]] Expected<std::vector<RunRecord>> runs_where(const std::string& where,
                                                            const std::vector<PgParam>& params);
  // The connection for cache_lookup/cache_put: its own, in autocommit, so an index row another
  // runner also uses is never locked for the length of the scheduler's group commit (two runners
  // touching two keys in opposite orders would deadlock).
  [[nodiscard]] Expected<PgConnection*> index_connection();
  std::unique_ptr<PgConnection> m_c;
  std::unique_ptr<PgConnection> m_index;
  std::string m_url;
  std::string m_origin;
};

}  // namespace sluice::store
