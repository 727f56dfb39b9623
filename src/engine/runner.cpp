#include "engine/runner.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>

#include "base/duration.h"
#include "base/files.h"
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
      // A matrix's name as written: every combination.
      const size_t before = roots.size();
      for (size_t k = 0; k < p.stages.size(); ++k) {
        if (p.stages[k].matrix_of == name) roots.push_back(static_cast<int>(k));
      }
      if (roots.size() > before) continue;
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
        m_started(r.m_pipeline.stages.size()),
        m_values(r.m_pipeline.stages.size()),
        m_resolved(r.m_pipeline.stages.size()) {}

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
    // Also loops, with nothing running, while a ready stage waits for another sluice's lock or
    // a review gate waits for a decision.
    while (m_readiness->running() > 0 ||
           ((m_lock_retry_at || !m_waiting.empty()) && !m_readiness->stopping())) {
      if (!wait_once()) break;
    }
    m_recorder->commit();
    return finish_run();
  }

 private:
  enum class Tried { passed, changed, no_slot };
  enum class GateOutcome { open, held, closed };
  // A gate that waits for a decision (on_pending: wait).
  struct Waiting {
    int stage = 0;
    std::string hash;
    SteadyClock::time_point deadline;
  };

  Expected<void> open();
  bool wait_once();
  void schedule();
  Tried try_start(int i);
  GateOutcome pass_gate(int i);
  bool recheck_gates(SteadyClock::time_point now);
  bool restore_from_cache(int i);
  void start_stage(int i);
  void keep_outputs(int i, StageStatus& status, std::string& reason);
  bool skip_on_condition(int i);
  void read_stage_outputs(int i, StageStatus& status, std::string& reason);
  void outputs_known(int i, const std::string& files_digest);
  [[nodiscard]] const pipeline::EnvList* values_of(std::string_view name) const;
  [[nodiscard]] fs::path output_file(int i) const;
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
  std::vector<std::optional<pipeline::EnvList>> m_values;  // $SLUICE_OUTPUT of stages that succeeded
  std::vector<std::unique_ptr<Stage>> m_resolved;  // stages with `${{ }}` filled in when they started
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
  std::optional<GateKeeper> m_gates;
  std::unique_ptr<store::ReviewStore> m_local_reviews;  // when RunOptions::review_store is null
  store::ReviewStore* m_reviews = nullptr;
  std::vector<bool> m_gate_open;  // by stage: its gate has passed in this run
  std::vector<Waiting> m_waiting;
  SteadyClock::time_point m_next_gate_check;
};

// Records the run and a pending row per selected stage, and assembles the parts.
Expected<void> Scheduler::open() {
  auto store = store::StateStore::open(m_opts.state_dir, m_opts.state_url);
  SLUICE_TRY(store);
  m_store = std::move(*store);
  const store::StateLayout layout(m_opts.state_dir);
  m_cache.emplace(*m_store, m_opts.workspace, layout.cas());
  SLUICE_TRY(m_cache->load());
  m_cache->set_remote(m_opts.remote_cache);
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
  m_gate_open.assign(m_pipeline.stages.size(), false);
  if (m_opts.review && m_opts.review->any()) {
    if (m_opts.review_store == nullptr) m_local_reviews = std::make_unique<store::SqliteReviewStore>(m_store->db());
    m_reviews = m_opts.review_store != nullptr ? m_opts.review_store : m_local_reviews.get();
    m_gates.emplace(m_pipeline, *m_opts.review,
                    GateSetup{m_opts.workspace, m_run.id, m_opts.actor, m_opts.base_env, &m_pipeline.review});
  }
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
  if (!m_waiting.empty()) wake = earliest(wake, m_next_gate_check);
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
  if (!m_waiting.empty() && !m_readiness->interrupted() && now >= m_next_gate_check) {
    changed = recheck_gates(now) || changed;
  }
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
  if (skip_on_condition(i)) return Tried::changed;
  // A gate needs no job slot: it is decided (and may hold the stage) before one is taken.
  if (m_gates && !m_gate_open[static_cast<size_t>(i)] && m_opts.review->gate(i) && !m_readiness->stopping()) {
    switch (pass_gate(i)) {
      case GateOutcome::open:
        break;
      case GateOutcome::held:
        return Tried::passed;
      case GateOutcome::closed:
        return Tried::changed;
    }
  }
  if (!m_readiness->may_start()) return Tried::no_slot;
  if (m_readiness->group_full(i)) return Tried::passed;  // its matrix's max_parallel
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

// Decides the review gate of stage `i`: open (approved), closed (rejected, or awaiting approval
// with on_pending: fail; the stage has ended), or held (the run waits for a decision).
Scheduler::GateOutcome Scheduler::pass_gate(int i) {
  auto d = m_gates->open(i, *m_reviews, wall_ms());
  if (!d) {
    finish_stage(i, StageStatus::failed, fmt::format("review gate: {}", d.error().message));
    if (!stage(i).is_advisory() && m_readiness->stage_failed(i)) cancel_all();
    return GateOutcome::closed;
  }
  const std::string command = approve_command(m_run.id, stage(i).name, d->hash);
  switch (d->kind) {
    case GateDecision::Kind::approved:
      m_gate_open[static_cast<size_t>(i)] = true;
      m_sink.stage_gate_passed(stage(i), d->text);
      return GateOutcome::open;
    case GateDecision::Kind::rejected:
      finish_stage(i, StageStatus::failed, fmt::format("review gate: {}", d->text));
      if (m_readiness->stage_failed(i)) cancel_all();
      return GateOutcome::closed;
    case GateDecision::Kind::pending:
      break;
  }
  const Gate* gate = m_opts.review->gate(i);
  const std::string why = gate ? gate->why : std::string();
  if (m_opts.on_pending == pipeline::OnPending::fail) {
    auto& r = m_recorder->stage(i);
    r.attempts = 0;
    finish_stage(i, StageStatus::awaiting_approval,
                 fmt::format("awaiting approval of content {} ({}; {}): {}", d->hash.substr(0, 16), why, d->text, command));
    return GateOutcome::closed;
  }
  m_readiness->hold(i);
  const auto wait = m_pipeline.review.wait_timeout;
  m_waiting.push_back({i, d->hash, SteadyClock::now() + wait});
  m_next_gate_check = SteadyClock::now();
  auto& r = m_recorder->stage(i);
  r.status = StageStatus::awaiting_approval;
  r.reason = fmt::format("waiting up to {} for approval of content {} ({})", base::format_duration(wait),
                         d->hash.substr(0, 16), why);
  m_recorder->changed(i);
  m_sink.stage_waiting(stage(i), fmt::format("awaiting approval ({}; waiting up to {}): {}", d->text,
                                             base::format_duration(wait), command));
  return GateOutcome::held;
}

// Looks again at the gates that wait: an approval releases the stage, a rejection or the
// wait_timeout fails it. True when something changed.
bool Scheduler::recheck_gates(SteadyClock::time_point now) {
  constexpr auto k_gate_poll = std::chrono::milliseconds(250);
  m_next_gate_check = now + k_gate_poll;
  bool changed = false;
  for (size_t w = 0; w < m_waiting.size();) {
    const Waiting g = m_waiting[w];
    auto d = m_gates->recheck(g.hash, *m_reviews);
    std::optional<std::string> failure;
    if (!d) {
      failure = fmt::format("review gate: {}", d.error().message);
    } else if (d->kind == GateDecision::Kind::approved) {
      m_gate_open[static_cast<size_t>(g.stage)] = true;
      m_recorder->stage(g.stage).reason.reset();
      m_sink.stage_gate_passed(stage(g.stage), d->text);
      m_readiness->release(g.stage);
    } else if (d->kind == GateDecision::Kind::rejected) {
      failure = fmt::format("review gate: {}", d->text);
    } else if (now >= g.deadline) {
      if (auto t = m_gates->time_out(g.stage, g.hash, *m_reviews, wall_ms()); !t) {
        failure = fmt::format("review gate: {}", t.error().message);
      } else {
        failure = fmt::format("review gate: no approval of content {} within wait_timeout {}; a timeout is a "
                              "rejection",
                              g.hash.substr(0, 16), base::format_duration(m_pipeline.review.wait_timeout));
      }
    } else {
      ++w;
      continue;
    }
    m_waiting.erase(m_waiting.begin() + static_cast<std::ptrdiff_t>(w));
    changed = true;
    if (failure) {
      finish_stage(g.stage, StageStatus::failed, *failure);
      if (m_readiness->stage_failed(g.stage)) cancel_all();
    }
  }
  return changed;
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
  m_values[static_cast<size_t>(i)] = std::move(hit.values);
  outputs_known(i, hit.outputs_digest);
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
  const Stage* resolved = nullptr;
  if (stage(i).has_runtime_placeholders) {
    m_resolved[static_cast<size_t>(i)] = std::make_unique<Stage>(resolve_stage(
        m_pipeline, stage(i), m_opts.facts, [this](std::string_view n) { return values_of(n); }));
    resolved = m_resolved[static_cast<size_t>(i)].get();
  }
  auto env = m_env->for_stage(resolved != nullptr ? *resolved : stage(i));
  // Created by the stage's first write (each run has its own directory): a stage that writes
  // nothing leaves no file. Retries append to the same file; a key's last value wins.
  set_env(env, "SLUICE_OUTPUT", output_file(i).string());
  m_driver->start(i, exec == m_executors.end() ? nullptr : exec->second, std::move(env), std::move(log_path),
                  resolved);
}

fs::path Scheduler::output_file(int i) const {
  std::string name = log_file_name(stage(i).name);
  name.resize(name.size() - 4);  // ".log"
  return m_log_dir / (name + ".outputs");
}

const pipeline::EnvList* Scheduler::values_of(std::string_view name) const {
  int n = m_pipeline.index_of(name);
  if (n < 0) return nullptr;
  const auto& v = m_values[static_cast<size_t>(n)];
  if (v) return &*v;
  // A need that ended without running (skipped) has no outputs: they read as empty.
  static const pipeline::EnvList k_none;
  return store::is_finished(m_readiness->status(n)) ? &k_none : nullptr;
}

// A stage whose `changes:`/`if:` is false is skipped (not a failure); its dependents skip too
// unless they say `if: always()`.
bool Scheduler::skip_on_condition(int i) {
  const Stage& s = stage(i);
  if (!s.condition && s.changes.empty()) return false;
  Decision d = decide(m_pipeline, s, m_opts.facts, [this](std::string_view n) { return values_of(n); });
  if (d.run) return false;
  m_readiness->condition_false(i);
  m_recorder->stage(i).attempts = 0;
  finish_stage(i, StageStatus::skipped, fmt::format("condition false ({})", d.why));
  return true;
}

// After a success: reads the key=value lines the stage wrote to $SLUICE_OUTPUT (a malformed
// file fails the stage) and shows them, redacted, in --json.
void Scheduler::read_stage_outputs(int i, StageStatus& status, std::string& reason) {
  auto text = base::read_file(output_file(i));
  auto values = parse_stage_outputs(text ? *text : std::string());
  if (!values) {
    status = StageStatus::failed;
    reason = values.error().message;
    return;
  }
  m_values[static_cast<size_t>(i)] = std::move(*values);
}

// What dependents see of stage `i`: its key with the digest of its files and of its values.
void Scheduler::outputs_known(int i, const std::string& files_digest) {
  const auto& values = m_values[static_cast<size_t>(i)];
  std::string vd = values ? outputs_values_digest(*values) : std::string();
  if (!vd.empty()) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& [k, v] : *values) o[k] = redact(v);
    auto& r = m_recorder->stage(i);
    if (!r.details) r.details = nlohmann::json{{"outputs", o}}.dump();
  }
  if (files_digest.empty() && vd.empty()) return;
  m_keys->outputs_are(i, vd.empty() ? files_digest : files_digest + ":" + vd);
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
  if (status == StageStatus::success) read_stage_outputs(i, status, reason);
  if (status == StageStatus::success) keep_outputs(i, status, reason);
  const bool allowed = stage(i).continue_on_error || stage(i).is_advisory();
  if (status == StageStatus::failed && stage(i).is_advisory()) {
    status = StageStatus::failed_advisory;
    reason += " (advisory: reported; the run and its dependents go on)";
  } else if (status == StageStatus::failed && allowed) {
    reason += " (continue_on_error: the run goes on)";
  }
  finish_stage(i, status, reason);
  // Unstable stops the run as a failure does (continue_on_error does not make it green).
  if (((status == StageStatus::failed && !allowed) || status == StageStatus::unstable) && m_readiness->stage_failed(i))
    cancel_all();
}

// After a success: stores a cacheable stage's outputs (a failure to store fails the stage),
// or follows the outputs of one that is not cached, so its dependents' keys change with them.
void Scheduler::keep_outputs(int i, StageStatus& status, std::string& reason) {
  const Stage& s = stage(i);
  const auto& values = m_values[static_cast<size_t>(i)];
  if (is_cacheable(s) && !m_opts.no_cache) {
    auto digest = m_cache->save(m_keys->key(i), s, *m_recorder->stage(i).duration_ms, wall_ms(),
                                values ? *values : pipeline::EnvList{});
    if (!digest) {
      status = StageStatus::failed;
      reason = digest.error().message;
    } else {
      outputs_known(i, *digest);
    }
  } else if (!s.outputs.empty()) {
    // Outputs it did not produce leave nothing to follow: its dependents then cannot hit.
    auto digest = m_cache->outputs_digest(s);
    outputs_known(i, digest ? *digest : "unhashable:" + m_run.id);
  } else {
    outputs_known(i, "");
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
  // Awaiting approval (exit 3) or unstable (exit 4) only when nothing failed outright: a
  // failure is the stronger word, and an unstable verdict outranks a gate still waiting.
  bool awaiting = false, any_unstable = false, failed = false;
  for (int i : m_selected) {
    const StageStatus s = m_readiness->status(i);
    if (s == StageStatus::awaiting_approval) awaiting = true;
    else if (s == StageStatus::unstable) any_unstable = true;
    else if (s != StageStatus::skipped && !m_readiness->succeeded(i)) failed = true;
  }
  result.run.status = result.interrupted             ? store::RunStatus::interrupted
                      : m_readiness->all_succeeded() ? store::RunStatus::success
                      : failed                       ? store::RunStatus::failed
                      : any_unstable                 ? store::RunStatus::unstable
                      : awaiting                     ? store::RunStatus::awaiting_approval
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
