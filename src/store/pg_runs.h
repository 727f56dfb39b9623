#pragma once
// Runs that share the PostgreSQL ledger (table sluice_runs): each sluice run using it records
// itself and renews a heartbeat every k_heartbeat_every; a run whose heartbeat is older than
// k_lease_timeout (PostgreSQL's clock, so runners' clocks may disagree) is marked interrupted by
// the next sluice that touches the ledger, and its live reservations are released at once.
// Run history itself (stages, logs) stays in each workspace's SQLite database.
//
// Thread-safety: as PgConnection.

#include <string>
#include <vector>

#include "base/error.h"
#include "store/pg.h"

namespace sluice::store {

class PgRuns {
 public:
  explicit PgRuns(PgConnection& c) : m_c(c) {}
  [[nodiscard]] Expected<void> begin(const std::string& run_id, const std::string& pipeline, const std::string& host);
  [[nodiscard]] Expected<void> heartbeat(const std::string& run_id);
  // `status`: the run's final status ("success", "failed", "interrupted").
  [[nodiscard]] Expected<void> finish(const std::string& run_id, const std::string& status);
  // Marks running runs with a stale heartbeat interrupted and releases their live reservations
  // (at `now_ms` on the caller's clock, the reaper's). Returns the ids of the runs it marked.
  [[nodiscard]] Expected<std::vector<std::string>> mark_dead_interrupted(int64_t now_ms);
  // A run's status as recorded, or "" when it is not there.
  [[nodiscard]] Expected<std::string> status_of(const std::string& run_id);

 private:
  PgConnection& m_c;
};

}  // namespace sluice::store
