#pragma once
// What may start, as data (ninja's Plan): per-stage counters of unfinished needs, the ready
// set ordered by file position (the start order), the stage locks, why a stage can never run,
// and the fail-fast / keep-going decisions. No I/O of its own: cross-process locks go through
// the NamedLockBackend given at construction (null in tests: in-process locks only).
//
// Each event costs O(dependents of the stage), never a scan of every stage.
// Thread-safety: none; the scheduler thread owns it.

#include <memory>
#include <optional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/lock_manager.h"
#include "pipeline/spec.h"
#include "store/status.h"

namespace sluice::engine {

struct ReadinessOptions {
  int jobs = 1;                    // at most this many stages running at once
  bool keep_going = false;         // a failure stops only its dependents
  bool cancel_on_failure = false;  // fail-fast also cancels the stages running
};

class Readiness {
 public:
  // `p` must outlive this; `selected` are the stages of the run (needs outside it are ignored).
  Readiness(const pipeline::Pipeline& p, const std::vector<int>& selected, ReadinessOptions opts,
            std::unique_ptr<NamedLockBackend> other_locks);

  // The first ready stage at or after file position `from`, in file order.
  [[nodiscard]] std::optional<int> next_ready(int from) const;
  // A need of `i` that finished without succeeding: `i` can never run.
  [[nodiscard]] std::optional<int> blocker(int i) const { return m_blocker[idx(i)]; }
  // Why a stage blocked by `need` is skipped ("needs \"x\" which failed").
  [[nodiscard]] std::string blocked_reason(int need) const;
  // Whether one more stage may start now: not stopping, not interrupted, a free job slot.
  [[nodiscard]] bool may_start() const;
  // Takes the stage's `locks` (all or none); they are released when the stage finishes.
  [[nodiscard]] LockResult take_locks(int i);
  // The stage left the ready set and runs.
  void started(int i);
  // A review gate holds a ready stage (it leaves the ready set but takes no job slot), and
  // gives it back once approved. A held stage still counts as not started at the end.
  void hold(int i) { m_ready.erase(i); }
  void release(int i) {
    if (m_phase[idx(i)] == Phase::pending) m_ready.insert(i);
  }
  // Its matrix expansion already runs `max_parallel` stages (pipeline language).
  [[nodiscard]] bool group_full(int i) const;
  // The stage is about to be finished as skipped because its `if`/`changes` is false: its
  // dependents' reasons say so.
  void condition_false(int i) { m_condition_false[idx(i)] = true; }

  struct Skip {
    int stage = 0;
    std::string reason;
  };
  // The stage ended with `status`. Returns the pending stages that can now never run (they are
  // marked skipped here), in the order their records must be written: depth first, each
  // dependent before its own dependents.
  [[nodiscard]] std::vector<Skip> finished(int i, store::StageStatus status);

  // Fail-fast: stage `i` failed (and has no continue_on_error). Returns true when the stages
  // still running must be cancelled (--cancel-on-failure without --keep-going).
  [[nodiscard]] bool stage_failed(int i);
  // Stage `i` could not even be prepared (its inputs could not be hashed): stop starting
  // others unless --keep-going or the stage continues on error. Unlike stage_failed(), this
  // neither names the stage in the reasons of the stages never started nor cancels.
  void could_not_prepare(int i);
  // The user asked to stop: nothing starts any more.
  void interrupt();

  [[nodiscard]] bool stopping() const { return m_stopping; }
  [[nodiscard]] bool interrupted() const { return m_interrupted; }
  [[nodiscard]] int running() const { return m_running; }
  [[nodiscard]] store::StageStatus status(int i) const { return m_status[idx(i)]; }
  // Success, or a failure the stage was allowed (continue_on_error, advisory).
  [[nodiscard]] bool succeeded(int i) const;
  // Whether every selected stage succeeded.
  [[nodiscard]] bool all_succeeded() const;

  struct Unstarted {
    int stage = 0;
    store::StageStatus status = store::StageStatus::skipped;
    std::string reason;
  };
  // At the end of the run: the selected stages that never started (marked finished here),
  // skipped (cancelled when interrupted) with the reason, in file order, each followed by the
  // dependents that were waiting for it (skipped, naming it), as finished() orders them.
  [[nodiscard]] std::vector<Unstarted> finish_unstarted();

 private:
  enum class Phase { unselected, pending, running, done };
  [[nodiscard]] static size_t idx(int i) { return static_cast<size_t>(i); }
  void mark_done(int i, store::StageStatus status);

  const pipeline::Pipeline& m_pipeline;
  ReadinessOptions m_opts;
  LockManager m_locks;
  std::vector<int> m_selected;
  std::vector<Phase> m_phase;
  std::vector<store::StageStatus> m_status;
  std::vector<int> m_unmet;                  // selected needs not finished yet
  std::vector<std::vector<int>> m_dependents;
  std::vector<std::optional<int>> m_blocker;
  std::vector<bool> m_holds_locks;
  std::vector<bool> m_condition_false;
  std::map<std::string, int> m_group_running;  // matrix name as written -> its stages running
  std::set<int> m_ready;
  int m_running = 0;
  bool m_stopping = false;
  bool m_interrupted = false;
  std::string m_first_failure;
};

}  // namespace sluice::engine
