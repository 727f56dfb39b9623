#include "engine/recorder.h"

#include "base/process_identity.h"
#include "store/run_lease.h"

namespace sluice::engine {
namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Recorder::Recorder(store::StateStore& db, std::string run_id, size_t stage_count)
    : m_db(db),
      m_run_id(std::move(run_id)),
      m_records(stage_count),
      m_is_changed(stage_count, false),
      m_next_heartbeat(Clock::now() + store::k_heartbeat_every) {}

void Recorder::fail(const Error& e) {
  if (!m_error) m_error = e;
}

void Recorder::changed(int i) {
  if (m_is_changed[static_cast<size_t>(i)]) return;
  m_is_changed[static_cast<size_t>(i)] = true;
  m_changed.push_back(i);
}

Expected<void> Recorder::put_initial(const std::vector<int>& selected) {
  std::vector<store::StageRecord> rows;
  rows.reserve(selected.size());
  for (int i : selected) rows.push_back(stage(i));
  return m_db.put_stages(rows);
}

void Recorder::write_changed() {
  for (int i : m_changed) {
    m_is_changed[static_cast<size_t>(i)] = false;
    auto& r = stage(i);
    // Identify a still-running process group by its leader's start time, read only now: a
    // quick stage has ended (and cleared its pgid) by its first commit and costs no /proc read.
    if (r.pgid && !r.pgid_start) {
      if (auto t = base::process_start_ticks(static_cast<pid_t>(*r.pgid))) r.pgid_start = static_cast<int64_t>(*t);
    }
    if (auto w = m_db.put_stage(r); !w) fail(w.error());
  }
  m_changed.clear();
}

bool Recorder::open_group(Clock::time_point now) {
  if (m_group_since) return true;
  // If a group cannot begin (the database is locked by another process past the busy
  // timeout), the caller learns it and the error ends the run.
  if (auto b = m_db.begin_transaction(); !b) {
    fail(b.error());
    return false;
  }
  m_group_since = now;
  return true;
}

bool Recorder::commit_due(Clock::time_point now) const {
  return m_group_since && now - *m_group_since >= k_commit_interval;
}

void Recorder::commit() {
  write_changed();
  if (!m_group_since) return;
  m_group_since.reset();
  if (auto c = m_db.commit_transaction(); !c) fail(c.error());
}

Recorder::Clock::time_point Recorder::wake_at() const {
  if (m_group_since && *m_group_since + k_commit_interval < m_next_heartbeat)
    return *m_group_since + k_commit_interval;
  return m_next_heartbeat;
}

void Recorder::heartbeat_if_due(Clock::time_point now) {
  if (!m_group_since || now < m_next_heartbeat) return;
  if (auto r = m_db.heartbeat(m_run_id, wall_ms()); !r) fail(r.error());
  m_next_heartbeat = now + store::k_heartbeat_every;
}

void Recorder::write_final() {
  auto r = m_db.transaction([&]() -> Expected<void> {
    write_changed();
    return {};
  });
  if (!r) fail(r.error());
  write_changed();  // in case the transaction could not begin
}

}  // namespace sluice::engine
