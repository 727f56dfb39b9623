#include "store/pg_runs.h"

#include <chrono>

#include "store/pg_ledger.h"
#include "store/run_lease.h"

namespace sluice::store {

namespace {
// PostgreSQL's clock in ms: every runner's heartbeat and every judgement of it use the same clock.
constexpr const char* k_db_now = "(extract(epoch from clock_timestamp()) * 1000)::bigint";
}  // namespace

Expected<void> PgRuns::begin(const std::string& run_id, const std::string& pipeline, const std::string& host) {
  return m_c
      .query(std::string("INSERT INTO sluice_runs (run_id, pipeline, host, status, started_ms, heartbeat_ms) "
                         "VALUES ($1, $2, $3, 'running', ") +
                 k_db_now + ", " + k_db_now + ") ON CONFLICT (run_id) DO NOTHING",
             {run_id, pipeline, host})
      .map([](PgRows) {});
}

Expected<void> PgRuns::heartbeat(const std::string& run_id) {
  return m_c
      .query_prepared("sluice_heartbeat",
                      std::string("UPDATE sluice_runs SET heartbeat_ms = ") + k_db_now +
                          " WHERE run_id = $1 AND status = 'running'",
                      {run_id})
      .map([](PgRows) {});
}

Expected<void> PgRuns::finish(const std::string& run_id, const std::string& status) {
  return m_c
      // ended_ms stays as the StateStore recorded it (PgStateStore::finish_run), if it did.
      .query(std::string("UPDATE sluice_runs SET status = $2, ended_ms = COALESCE(ended_ms, ") + k_db_now +
                 ") WHERE run_id = $1",
             {run_id, status})
      .map([](PgRows) {});
}

Expected<std::vector<std::string>> PgRuns::mark_dead_interrupted(int64_t now_ms) {
  const auto timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(k_lease_timeout).count();
  auto dead = m_c.query(std::string("WITH dead AS (UPDATE sluice_runs SET status = 'interrupted', ended_ms = ") +
                            k_db_now + " WHERE status = 'running' AND heartbeat_ms < " + k_db_now +
                            " - $1::bigint RETURNING run_id), "
                            "ended AS (UPDATE llm_ledger SET lease_until_ms = 0 WHERE state = 'reserved' "
                            "AND run_id IN (SELECT run_id FROM dead) RETURNING 1) "
                            "SELECT run_id FROM dead",
                        {std::to_string(timeout_ms)});
  SLUICE_TRY(dead);
  std::vector<std::string> out;
  for (size_t i = 0; i < dead->rows.size(); ++i) out.push_back(dead->text(i, 0));
  if (!out.empty()) SLUICE_TRY(PgLedger(m_c).release_expired(now_ms));
  return out;
}

Expected<std::string> PgRuns::status_of(const std::string& run_id) {
  auto r = m_c.query("SELECT status FROM sluice_runs WHERE run_id = $1", {run_id});
  SLUICE_TRY(r);
  return r->empty() ? std::string() : r->text(0, 0);
}

}  // namespace sluice::store
