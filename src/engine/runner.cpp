#include "engine/runner.h"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>

#include "base/strings.h"
#include "engine/attempt_driver.h"
#include "engine/readiness.h"
#include "engine/recorder.h"
#include "engine/stage_env.h"
#include "engine/stage_keys.h"
#include "engine/step_cache.h"
#include "pipeline/graph.h"
#include "store/state_layout.h"

namespace sluice::engine {
namespace fs = std::filesystem;
using pipeline::Stage;

Expected<std::vector<int>> select_stages(const pipeline::Pipeline& p,
                                         const std::vector<std::string>& only) {
  if (only.empty()) {
    std::vector<int> all(p.stages.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
    return all;
  }
  std::vector<int> roots;
  std::vector<std::string> names;
  for (const auto& s : p.stages) names.push_back(s.name);
  for (const auto& name : only) {
    int i = p.index_of(name);
    if (i < 0) {
      auto hint = base::closest_match(name, std::span<const std::string>(names));
      return make_error(
          ErrorCode::invalid_input,
          fmt::format("--only: no stage named {}{}", base::quote(name),
                      hint ? fmt::format(" (did you mean {}?)", base::quote(*hint)) : ""));
    }
    roots.push_back(i);
  }
  return pipeline::with_dependencies(p, roots);
}

namespace {

using SteadyClock = std::chrono::steady_clock;
using store::StageStatus;
// How often a stage waiting for a lock held by another sluice process tries again.
constexpr auto k_lock_retry = std::chrono::milliseconds(50);

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StageStatus status_of(OutcomeStatus o) {
  switch (o) {
    case OutcomeStatus::success:
      return StageStatus::success;
    case OutcomeStatus::cancelled:
      return StageStatus::cancelled;
    case OutcomeStatus::unstable:
      return StageStatus::unstable;
    default:
      return StageStatus::failed;
  }
}

std::optional<SteadyClock::time_point> earliest(std::optional<SteadyClock::time_point> a, SteadyClock::time_point b) {
  return a && *a < b ? a : std::optional(b);
}

}  // namespace

// One run: the loop of "How a run flows" (ARCHITECTURE.md) over the parts that decide what is
// ready (Readiness), drive attempts (AttemptDriver), compute keys (StageKeys, StepCache),
// build environments (EnvBuilder) and record (Recorder).
class Scheduler final : public AttemptEvents {
 public:
  Scheduler(const Runner& r, std::vector<int> selected)
      : m_pipeline(r.m_pipeline),
        m_opts(r.m_opts),
        m_executors(r.m_executors),
        m_filters(r.m_filters),
        m_sink(r.m_sink),
        m_selected(std::move(selected)),
        m_started(r.m_pipeline.stages.size()) {}

  Expected<RunResult> run() {
    SLUICE_TRY(open());
    m_sink.run_started(m_run, m_selected);
    // The first pass (cache hits, first starts) opens the first group; a pass made only of
    // cache hits (each lookup also touches its entry) is one transaction. If even that cannot
    // begin, nothing starts: the run ends with the error rather than run unrecorded.
    if (m_recorder->open_group(SteadyClock::now())) {
      schedule();
      if (m_driver->worker_running()) m_recorder->commit();  // a worker stage may write now
    }
    // Also loops, with nothing running, while a ready stage waits for another sluice's lock.
    while (m_readiness->running() > 0 || (m_lock_retry_at && !m_readiness->stopping())) {
      if (!wait_once()) break;
    }
    m_recorder->commit();
    return finish_run();
  }

 private:
  enum class Tried { passed, changed, no_slot };

  Expected<void> open();
  bool wait_once();
  void schedule();
  Tried try_start(int i);
  bool restore_from_cache(int i);
  void start_stage(int i);
  void keep_outputs(int i, StageStatus& status, std::string& reason);
  void finish_stage(int i, StageStatus status, const std::string& reason);
  void record_end(int i, StageStatus status, const std::string& reason);
  void cancel_all() { m_driver->cancel_all(SteadyClock::now()); }
  Expected<RunResult> finish_run();
  [[nodiscard]] std::string redact(const std::string& s) const { return m_filters ? m_filters->redact(s) : s; }
  [[nodiscard]] const Stage& stage(int i) const { return m_pipeline.stages[static_cast<size_t>(i)]; }

  // AttemptEvents
  void process_group_changed(int i, std::optional<int> pgid) override {
    auto& r = m_recorder->stage(i);
    r.pgid = pgid;
    r.pgid_start.reset();
  }
  void attempt_retrying(int i, int next_attempt, const std::string& why) override {
    m_recorder->stage(i).attempts = next_attempt;
    m_recorder->changed(i);
    m_sink.stage_retrying(stage(i), next_attempt, redact(why));  // a reason may quote a secret
  }
  void stage_ended(int i, AttemptsEnded ended) override;

  const pipeline::Pipeline& m_pipeline;
  const RunOptions& m_opts;
  const std::map<pipeline::StageKind, StageExecutor*>& m_executors;
  const StreamFilterFactory* m_filters;
  EventSink& m_sink;
  std::vector<int> m_selected;
  std::vector<SteadyClock::time_point> m_started;
  SteadyClock::time_point m_run_start = SteadyClock::now();
  store::RunRecord m_run;
  fs::path m_log_dir;
  std::unique_ptr<store::StateStore> m_store;
  std::optional<StepCache> m_cache;
  std::optional<StageKeys> m_keys;
  std::optional<Recorder> m_recorder;
  std::optional<EnvBuilder> m_env;
  std::optional<Readiness> m_readiness;
  std::optional<AttemptDriver> m_driver;  // last: its workers are joined first
  // Set while a ready stage waits for a lock another sluice holds: when to try again.
  std::optional<SteadyClock::time_point> m_lock_retry_at;
  std::vector<pollfd> m_fds;
};

// Records the run and a pending row per selected stage, and assembles the parts.
Expected<void> Scheduler::open() {
  auto store = store::StateStore::open(m_opts.state_dir);
  SLUICE_TRY(store);
  m_store = std::move(*store);
  const store::StateLayout layout(m_opts.state_dir);
  m_cache.emplace(*m_store, m_opts.workspace, layout.cas());
  SLUICE_TRY(m_cache->load());
  auto run = m_store->begin_run(m_pipeline.file, m_opts.jobs, ::getpid(), wall_ms(), m_opts.options_text);
  SLUICE_TRY(run);
  m_run = std::move(*run);
  m_log_dir = layout.run_logs(m_run.id);
  std::error_code ec;
  fs::create_directories(m_log_dir, ec);
  if (ec) return make_error(ErrorCode::io, fmt::format("{}: cannot create: {}", m_log_dir.string(), ec.message()));

  m_recorder.emplace(*m_store, m_run.id, m_pipeline.stages.size());
  for (int i : m_selected) {
    auto& r = m_recorder->stage(i);
    r.run_id = m_run.id;
    r.name = stage(i).name;
    r.index = i;
    r.kind = std::string(pipeline::to_string(stage(i).kind));
    r.status = StageStatus::pending;
    r.needs = base::join(stage(i).needs, ",");
  }
  SLUICE_TRY(m_recorder->put_initial(m_selected));
  m_keys.emplace(m_pipeline, *m_cache);
  m_env.emplace(m_opts.base_env, m_pipeline, m_run.id, m_opts.workspace);
  m_readiness.emplace(m_pipeline, m_selected,
                      ReadinessOptions{m_opts.jobs, m_opts.keep_going, m_opts.cancel_on_failure},
                      std::make_unique<FileLocks>(layout.locks()));
  m_driver.emplace(DriverSetup{m_pipeline, m_opts.workspace, m_run.id, m_opts.jobs, m_filters, m_sink, *this});
  return {};
}

// One wake-up: wait in one poll() on the mailbox, the interrupt fd and every polled attempt,
// then record what happened and start what became ready. False when poll() itself failed.
bool Scheduler::wait_once() {
  m_fds.clear();
  m_fds.push_back({m_driver->mail_fd(), POLLIN, 0});
  // poll() ignores a negative fd; once interrupted the (unread) signal fd would stay readable
  // and turn the wait for cancelled stages into a busy loop.
  m_fds.push_back({m_readiness->interrupted() ? -1 : m_opts.interrupt_fd, POLLIN, 0});
  auto wake = earliest(m_driver->add_poll_fds(m_fds), m_recorder->wake_at());
  if (m_lock_retry_at) wake = earliest(wake, *m_lock_retry_at);
  int rc = ::poll(m_fds.data(), static_cast<nfds_t>(m_fds.size()), poll_timeout_ms(wake, SteadyClock::now()));
  if (rc < 0) return errno == EINTR;
  const auto now = SteadyClock::now();
  if (m_opts.interrupt_fd >= 0 && (m_fds[1].revents & POLLIN) && !m_readiness->interrupted()) {
    m_readiness->interrupt();
    cancel_all();
  }
  m_recorder->open_group(now);
  m_recorder->heartbeat_if_due(now);
  bool changed = m_driver->advance(m_fds, now);  // polled attempts first, in start order
  if (m_fds[0].revents & POLLIN) changed = m_driver->deliver() || changed;
  if (changed || (m_lock_retry_at && now >= *m_lock_retry_at)) schedule();
  // While a worker-kind stage runs (llm, validate: they write their own rows from another
  // connection) every wake-up commits, so they never wait on us.
  if (m_recorder->group_open() && (m_readiness->running() == 0 || m_driver->worker_running() ||
                                   m_readiness->interrupted() || m_recorder->commit_due(SteadyClock::now()))) {
    m_recorder->commit();
  }
  return true;
}

// Starts what can start, in file order among ready stages; skips stages whose needs failed.
// Restarts from the first ready stage after anything finishes, since that can make an earlier
// stage ready.
void Scheduler::schedule() {
  m_lock_retry_at.reset();
  int from = 0;
  while (auto i = m_readiness->next_ready(from)) {
    switch (try_start(*i)) {
      case Tried::changed:
        from = 0;
        break;
      case Tried::passed:
        from = *i + 1;
        break;
      case Tried::no_slot:
        return;
    }
  }
}

Scheduler::Tried Scheduler::try_start(int i) {
  if (auto b = m_readiness->blocker(i)) {
    finish_stage(i, StageStatus::skipped, m_readiness->blocked_reason(*b));
    return Tried::changed;
  }
  if (!m_readiness->may_start()) return Tried::no_slot;
  if (auto l = m_readiness->take_locks(i); l != LockResult::acquired) {
    if (l == LockResult::held_elsewhere) m_lock_retry_at = SteadyClock::now() + k_lock_retry;
    return Tried::passed;
  }
  // Its needs' keys are known by now.
  if (auto key = m_keys->compute(i); !key) {
    m_recorder->stage(i).attempts = 0;
    finish_stage(i, StageStatus::failed, fmt::format("cannot hash inputs: {}", key.error().message));
    m_readiness->could_not_prepare(i);
    return Tried::changed;
  }
  if (restore_from_cache(i)) return Tried::changed;
  start_stage(i);
  // One that could not even start has ended: what it unblocked is ready now.
  return store::is_finished(m_readiness->status(i)) ? Tried::changed : Tried::passed;
}

// On a hit, restores the stage's outputs and records it as a cached success.
bool Scheduler::restore_from_cache(int i) {
  if (!is_cacheable(stage(i)) || m_opts.no_cache) return false;
  auto hit = m_cache->restore(m_keys->key(i), wall_ms());
  if (hit.result == StepCache::Restored::Result::damaged) {
    m_sink.stage_warning(stage(i), redact(fmt::format("the cache entry of this stage is damaged ({}); "
                                                      "running the stage instead",
                                                      hit.problem)));
  }
  if (hit.result != StepCache::Restored::Result::hit) return false;
  m_keys->outputs_are(i, hit.outputs_digest);
  const int64_t now = wall_ms();
  auto& r = m_recorder->stage(i);
  r.cache_hit = true;
  r.cache_key = m_keys->key(i);
  r.exit_code = 0;
  r.attempts = 0;
  r.started_ms = now;
  r.ended_ms = now;
  r.duration_ms = 0;
  finish_stage(i, StageStatus::success, "");
  return true;
}

void Scheduler::start_stage(int i) {
  m_readiness->started(i);
  m_started[static_cast<size_t>(i)] = SteadyClock::now();
  fs::path log_path = m_log_dir / log_file_name(stage(i).name);
  auto& r = m_recorder->stage(i);
  r.status = StageStatus::running;
  r.attempts = 1;
  r.started_ms = wall_ms();
  r.log_path = log_path.string();
  r.cache_key = m_keys->key(i);
  m_recorder->changed(i);
  m_sink.stage_started(stage(i), 1);
  auto exec = m_executors.find(stage(i).kind);
  m_driver->start(i, exec == m_executors.end() ? nullptr : exec->second, m_env->for_stage(stage(i)),
                  std::move(log_path));
}

void Scheduler::stage_ended(int i, AttemptsEnded ended) {
  auto& r = m_recorder->stage(i);
  if (!ended.wrote_log) r.log_path.reset();  // printed nothing: no log file
  r.attempts = ended.attempts;
  r.exit_code = ended.outcome.exit_code;
  r.ended_ms = wall_ms();
  r.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - m_started[static_cast<size_t>(i)])
          .count();
  if (ended.outcome.details) r.details = redact(*ended.outcome.details);
  StageStatus status = status_of(ended.outcome.status);
  std::string reason = std::move(ended.outcome.reason);
  if (status == StageStatus::success) keep_outputs(i, status, reason);
  const bool allowed = stage(i).continue_on_error;
  if (status == StageStatus::failed && allowed) reason += " (continue_on_error: the run goes on)";
  finish_stage(i, status, reason);
  // Unstable stops the run as a failure does (continue_on_error does not make it green).
  if (((status == StageStatus::failed && !allowed) || status == StageStatus::unstable) && m_readiness->stage_failed(i))
    cancel_all();
}

// After a success: stores a cacheable stage's outputs (a failure to store fails the stage),
// or follows the outputs of one that is not cached, so its dependents' keys change with them.
void Scheduler::keep_outputs(int i, StageStatus& status, std::string& reason) {
  const Stage& s = stage(i);
  if (is_cacheable(s) && !m_opts.no_cache) {
    auto digest = m_cache->save(m_keys->key(i), s, *m_recorder->stage(i).duration_ms, wall_ms());
    if (!digest) {
      status = StageStatus::failed;
      reason = digest.error().message;
    } else {
      m_keys->outputs_are(i, *digest);
    }
  } else if (!s.outputs.empty()) {
    // Outputs it did not produce leave nothing to follow: its dependents then cannot hit.
    auto digest = m_cache->outputs_digest(s);
    m_keys->outputs_are(i, digest ? *digest : "unhashable:" + m_run.id);
  }
}

// Records the stage's end, then the stages that can never run because of it.
void Scheduler::finish_stage(int i, StageStatus status, const std::string& reason) {
  record_end(i, status, reason);
  for (const auto& skip : m_readiness->finished(i, status)) record_end(skip.stage, StageStatus::skipped, skip.reason);
}

void Scheduler::record_end(int i, StageStatus status, const std::string& reason) {
  auto& r = m_recorder->stage(i);
  r.status = status;
  if (!reason.empty()) r.reason = redact(reason);
  m_recorder->changed(i);
  m_sink.stage_finished(stage(i), r);
}

// Whatever never started is skipped with the reason; the run's own record is closed.
Expected<RunResult> Scheduler::finish_run() {
  for (const auto& u : m_readiness->finish_unstarted()) record_end(u.stage, u.status, u.reason);
  m_recorder->write_final();
  if (auto r = m_cache->flush(); !r) m_recorder->fail(r.error());

  RunResult result;
  result.run = m_run;
  result.interrupted = m_readiness->interrupted();
  // Unstable only when nothing failed outright: a failure is the stronger word.
  bool any_unstable = false;
  bool any_failed = false;
  for (int i : m_selected) {
    const StageStatus s = m_recorder->stage(i).status;
    any_unstable = any_unstable || s == StageStatus::unstable;
    any_failed = any_failed || (s == StageStatus::failed && !stage(i).continue_on_error) ||
                 s == StageStatus::cancelled || s == StageStatus::interrupted;
  }
  result.run.status = result.interrupted             ? store::RunStatus::interrupted
                      : m_readiness->all_succeeded() ? store::RunStatus::success
                      : any_unstable && !any_failed  ? store::RunStatus::unstable
                                                     : store::RunStatus::failed;
  const int64_t duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - m_run_start).count();
  result.run.ended_ms = wall_ms();
  result.run.duration_ms = duration;
  if (auto r = m_store->finish_run(result.run.id, result.run.status, *result.run.ended_ms, duration); !r)
    m_recorder->fail(r.error());
  for (int i : m_selected) result.stages.push_back(m_recorder->stage(i));
  if (m_recorder->error()) return tl::unexpected(*m_recorder->error());
  return result;
}

Runner::Runner(const pipeline::Pipeline& p, RunOptions opts, std::map<pipeline::StageKind, StageExecutor*> executors,
               const StreamFilterFactory* filters, EventSink& sink)
    : m_pipeline(p), m_opts(std::move(opts)), m_executors(std::move(executors)), m_filters(filters), m_sink(sink) {}

Expected<RunResult> Runner::run() {
  auto selected = select_stages(m_pipeline, m_opts.only);
  SLUICE_TRY(selected);
  Scheduler scheduler(*this, std::move(*selected));
  return scheduler.run();
}

}  // namespace sluice::engine
