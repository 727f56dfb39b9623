#include "engine/readiness.h"

#include <fmt/format.h>

#include "pipeline/graph.h"

namespace sluice::engine {

using store::StageStatus;

Readiness::Readiness(const pipeline::Pipeline& p, const std::vector<int>& selected, ReadinessOptions opts,
                     std::unique_ptr<NamedLockBackend> other_locks)
    : m_pipeline(p),
      m_opts(opts),
      m_locks(std::move(other_locks)),
      m_selected(selected),
      m_phase(p.stages.size(), Phase::unselected),
      m_status(p.stages.size(), StageStatus::pending),
      m_unmet(p.stages.size(), 0),
      m_dependents(p.stages.size()),
      m_blocker(p.stages.size()),
      m_holds_locks(p.stages.size(), false),
      m_condition_false(p.stages.size(), false) {
  for (int i : selected) m_phase[idx(i)] = Phase::pending;
  const auto needs = pipeline::need_indices(p);
  for (int i : selected) {
    for (int n : needs[idx(i)]) {
      if (m_phase[idx(n)] == Phase::unselected) continue;
      ++m_unmet[idx(i)];
      m_dependents[idx(n)].push_back(i);
    }
    if (m_unmet[idx(i)] == 0) m_ready.insert(i);
  }
}

std::optional<int> Readiness::next_ready(int from) const {
  auto it = m_ready.lower_bound(from);
  if (it == m_ready.end()) return std::nullopt;
  return *it;
}

std::string Readiness::blocked_reason(int need) const {
  const StageStatus s = m_status[idx(need)];
  std::string what = s == StageStatus::failed              ? "failed"
                     : s == StageStatus::skipped           ? "was skipped"
                     : s == StageStatus::awaiting_approval ? "awaits approval"
                                                           : "was " + std::string(store::to_string(s));
  if (m_condition_false[idx(need)]) what += " (condition false)";
  return fmt::format("needs \"{}\" which {}", m_pipeline.stages[idx(need)].name, what);
}

bool Readiness::may_start() const {
  // Once stopping, nothing more can start (finished() skips the dependents of a failure at
  // once, so no ready stage is left waiting to be skipped).
  return !m_stopping && !m_interrupted && m_running < m_opts.jobs;
}

LockResult Readiness::take_locks(int i) {
  auto r = m_locks.try_acquire(m_pipeline.stages[idx(i)].locks);
  if (r == LockResult::acquired) m_holds_locks[idx(i)] = true;
  return r;
}

void Readiness::started(int i) {
  m_ready.erase(i);
  m_phase[idx(i)] = Phase::running;
  ++m_running;
  const auto& s = m_pipeline.stages[idx(i)];
  if (s.max_parallel > 0) ++m_group_running[s.matrix_of];
}

bool Readiness::group_full(int i) const {
  const auto& s = m_pipeline.stages[idx(i)];
  if (s.max_parallel <= 0) return false;
  auto it = m_group_running.find(s.matrix_of);
  return it != m_group_running.end() && it->second >= s.max_parallel;
}

bool Readiness::succeeded(int i) const {
  const StageStatus s = m_status[idx(i)];
  return s == StageStatus::success || s == StageStatus::failed_advisory ||
         (s == StageStatus::failed && m_pipeline.stages[idx(i)].continue_on_error);
}

bool Readiness::all_succeeded() const {
  for (int i : m_selected) {
    // A stage skipped because a condition was false (its own or a need's) is no failure.
    if (!succeeded(i) && !m_condition_false[idx(i)]) return false;
  }
  return true;
}

void Readiness::mark_done(int i, StageStatus status) {
  if (m_phase[idx(i)] == Phase::running) {
    --m_running;
    const auto& s = m_pipeline.stages[idx(i)];
    if (s.max_parallel > 0) --m_group_running[s.matrix_of];
  }
  m_phase[idx(i)] = Phase::done;
  m_status[idx(i)] = status;
  m_ready.erase(i);
  if (m_holds_locks[idx(i)]) {
    m_locks.release(m_pipeline.stages[idx(i)].locks);
    m_holds_locks[idx(i)] = false;
  }
  const bool ok = succeeded(i);
  for (int d : m_dependents[idx(i)]) {
    // `if: always()` runs whatever its needs ended with.
    if (!ok && !m_blocker[idx(d)] && !m_pipeline.stages[idx(d)].always) m_blocker[idx(d)] = i;
    // A dependent already skipped (its other need failed first) must not become ready again
    // when this last need ends: it would be skipped, and printed, a second time.
    if (--m_unmet[idx(d)] == 0 && m_phase[idx(d)] == Phase::pending) m_ready.insert(d);
  }
}

std::vector<Readiness::Skip> Readiness::finished(int i, StageStatus status) {
  if (status == StageStatus::skipped && m_blocker[idx(i)] && m_condition_false[idx(*m_blocker[idx(i)])]) {
    m_condition_false[idx(i)] = true;
  }
  mark_done(i, status);
  std::vector<Skip> skips;
  // A stage whose need did not succeed can never run: say so now, not when its other needs
  // end. Depth first with an explicit stack: each skipped stage's own dependents follow it.
  std::vector<std::pair<int, int>> todo;  // (stage, the need that blocks it)
  auto push_dependents = [&](int of) {
    if (succeeded(of)) return;
    const auto& deps = m_dependents[idx(of)];
    for (auto it = deps.rbegin(); it != deps.rend(); ++it) todo.emplace_back(*it, of);
  };
  push_dependents(i);
  while (!todo.empty()) {
    auto [d, need] = todo.back();
    todo.pop_back();
    if (m_phase[idx(d)] != Phase::pending || m_pipeline.stages[idx(d)].always) continue;
    skips.push_back({d, blocked_reason(need)});
    if (m_condition_false[idx(need)]) m_condition_false[idx(d)] = true;
    mark_done(d, StageStatus::skipped);
    push_dependents(d);
  }
  return skips;
}

bool Readiness::stage_failed(int i) {
  if (m_first_failure.empty()) m_first_failure = m_pipeline.stages[idx(i)].name;
  if (m_opts.keep_going) return false;
  m_stopping = true;
  return m_opts.cancel_on_failure;
}

void Readiness::could_not_prepare(int i) {
  if (!m_pipeline.stages[idx(i)].continue_on_error && !m_opts.keep_going) m_stopping = true;
}

void Readiness::interrupt() {
  m_interrupted = true;
  m_stopping = true;
}

std::vector<Readiness::Unstarted> Readiness::finish_unstarted() {
  std::vector<Unstarted> out;
  const StageStatus status = m_interrupted ? StageStatus::cancelled : StageStatus::skipped;
  for (int i : m_selected) {
    if (m_phase[idx(i)] != Phase::pending) continue;
    std::string reason = m_interrupted ? "not started: the run was interrupted"
                         : !m_first_failure.empty()
                             ? fmt::format("not started: the run stopped after \"{}\" failed (fail-fast; "
                                           "--keep-going runs independent stages)",
                                           m_first_failure)
                             : "not started";
    out.push_back({i, status, std::move(reason)});
    // Its pending dependents then say which need they were waiting for.
    for (auto& skip : finished(i, status)) out.push_back({skip.stage, StageStatus::skipped, std::move(skip.reason)});
  }
  return out;
}

}  // namespace sluice::engine
