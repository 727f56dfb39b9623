#pragma once
// The run's record in the state store: one StageRecord per stage, written with group commit.
// One transaction stays open across scheduler wake-ups for at most k_commit_interval (a commit
// per stage costs a WAL append and a lock round trip, about a fifth of a quick stage's
// scheduling cost), and a record that changed several times in it (a quick stage's `running`
// then `success`) is written once. A SIGKILL loses at most that much of the record, never the
// database's integrity. The run's lease heartbeat is renewed inside the group.
//
// The first error is kept (error()) and later writes still go on, so the run ends with it
// rather than half-recorded. Thread-safety: none; the scheduler thread owns it.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "store/state_store.h"

namespace sluice::engine {

class Recorder {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto k_commit_interval = std::chrono::milliseconds(50);

  // `db` must outlive this. `stage_count`: stages of the pipeline (records are by file index).
  Recorder(store::StateStore& db, std::string run_id, size_t stage_count);

  [[nodiscard]] store::StageRecord& stage(int i) { return m_records[static_cast<size_t>(i)]; }
  [[nodiscard]] const store::StageRecord& stage(int i) const { return m_records[static_cast<size_t>(i)]; }
  // The record of stage `i` changed: write it with the next commit.
  void changed(int i);
  // Writes the pending rows of the selected stages, in one transaction.
  [[nodiscard]] Expected<void> put_initial(const std::vector<int>& selected);

  // Opens a group unless one is open; false when none could be opened (error() says why).
  bool open_group(Clock::time_point now);
  [[nodiscard]] bool group_open() const { return m_group_since.has_value(); }
  // Whether the open group has been open for k_commit_interval.
  [[nodiscard]] bool commit_due(Clock::time_point now) const;
  // Writes the changed records and commits the group (if one is open).
  void commit();
  // When the scheduler must wake up for the recorder: the group's deadline or the heartbeat.
  [[nodiscard]] Clock::time_point wake_at() const;
  // Renews the run's lease when due (only inside a group: it rides on its commit).
  void heartbeat_if_due(Clock::time_point now);
  // The last writes of a run: the changed records in one transaction of their own.
  void write_final();

  [[nodiscard]] const std::optional<Error>& error() const { return m_error; }
  void fail(const Error& e);

 private:
  void write_changed();
  store::StateStore& m_db;
  std::string m_run_id;
  std::vector<store::StageRecord> m_records;
  std::vector<int> m_changed;
  std::vector<bool> m_is_changed;
  std::optional<Clock::time_point> m_group_since;
  Clock::time_point m_next_heartbeat;
  std::optional<Error> m_error;
};

}  // namespace sluice::engine
