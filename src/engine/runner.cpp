#include "engine/runner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "base/process_identity.h"
#include "base/strings.h"
#include "engine/lock_manager.h"
#include "engine/process_stage.h"
#include "engine/step_cache.h"
#include "pipeline/graph.h"
#include "store/run_lease.h"

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
// How often a stage waiting for a lock held by another sluice process tries again.
constexpr auto k_lock_retry = std::chrono::milliseconds(50);

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

enum class Phase { unselected, pending, running, done };

// Messages from worker threads to the scheduler.
struct Message {
  enum class Type { output, retry, done } type;
  int stage = 0;
  std::string text;  // output bytes or retry reason
  int attempt = 0;
  StageOutcome outcome;
};

class Mailbox {
 public:
  Mailbox() : m_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~Mailbox() { ::close(m_fd); }
  void post(Message m) {
    {
      std::lock_guard lock(m_mu);
      m_queue.push_back(std::move(m));
    }
    uint64_t one = 1;
    (void)!::write(m_fd, &one, sizeof one);
  }
  std::deque<Message> take() {
    uint64_t v;
    (void)!::read(m_fd, &v, sizeof v);
    std::lock_guard lock(m_mu);
    return std::exchange(m_queue, {});
  }
  [[nodiscard]] int fd() const { return m_fd; }

 private:
  std::mutex m_mu;
  std::deque<Message> m_queue;
  int m_fd;
};

// Writes a stage's output through the redactor into its log file, and on to the event sink:
// directly for a stage driven by the scheduler thread, through the mailbox for one on a worker.
// The log file is created on the first byte: a stage that prints nothing costs no file (a
// 2000-stage pipeline of quiet commands would otherwise spend much of its time creating inodes).
// The redacting filter is made on the first byte too (the rule scanner behind it takes tens of
// milliseconds to load once per run, which a run of quiet stages never needs).
class StageOutput final : public OutputSink {
 public:
  StageOutput(int index, std::filesystem::path log_path, const StreamFilterFactory* filters,
              Mailbox& mail, EventSink* direct, const Stage& stage)
      : m_index(index),
        m_path(std::move(log_path)),
        m_filters(filters),
        m_mail(mail),
        m_direct(direct),
        m_stage(stage) {}
  ~StageOutput() override {
    if (m_fd >= 0) ::close(m_fd);
  }
  void write(std::string_view bytes) override {
    std::lock_guard lock(m_mu);
    if (!m_filter && m_filters && !bytes.empty()) m_filter = m_filters->make();
    emit(m_filter ? m_filter->write(bytes) : std::string(bytes));
  }
  void finish() {
    std::lock_guard lock(m_mu);
    if (m_filter) emit(m_filter->flush());
  }
  [[nodiscard]] bool wrote() const {
    std::lock_guard lock(m_mu);
    return m_opened;
  }

 private:
  void emit(std::string s) {
    if (s.empty()) return;
    if (!m_opened) {
      m_opened = true;
      m_fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_APPEND, 0644);
    }
    if (m_fd >= 0) {
      size_t off = 0;
      while (off < s.size()) {
        ssize_t n = ::write(m_fd, s.data() + off, s.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
    }
    if (m_direct) {
      m_direct->stage_output(m_stage, s);
    } else {
      m_mail.post({Message::Type::output, m_index, std::move(s), 0, {}});
    }
  }
  int m_index;
  std::filesystem::path m_path;
  int m_fd = -1;
  bool m_opened = false;
  const StreamFilterFactory* m_filters;
  std::unique_ptr<StreamFilter> m_filter;
  Mailbox& m_mail;
  EventSink* m_direct;  // non-null: the writer is the scheduler thread
  const Stage& m_stage;
  mutable std::mutex m_mu;
};

bool should_retry(const Stage& s, const StageOutcome& o) {
  if (o.status == OutcomeStatus::success || o.status == OutcomeStatus::cancelled) return false;
  if (s.retry_on.empty()) return true;
  if (o.status == OutcomeStatus::timeout) return s.retry_on.timeout;
  return o.exit_code && std::find(s.retry_on.exit_codes.begin(), s.retry_on.exit_codes.end(),
                                  *o.exit_code) != s.retry_on.exit_codes.end();
}

// Runs a worker-kind attempt. An exception (an allocation that failed on hostile input, say) must
// not escape the worker thread: that would terminate sluice without stopping the stages that
// run beside it. It fails this stage instead, and the run cleans up as after any failure.
StageOutcome execute_guarded(StageExecutor& exec, StageContext& ctx) {
  try {
    return exec.execute(ctx);
  } catch (const std::bad_alloc&) {
    return {OutcomeStatus::failed, std::nullopt, "internal error: out of memory", std::nullopt};
  } catch (const std::exception& e) {
    return {OutcomeStatus::failed, std::nullopt, fmt::format("internal error: {}", e.what()), std::nullopt};
  }
}

std::string safe_file_name(const std::string& stage) {
  std::string out = stage;
  for (char& c : out) {
    if (c == '/') c = '_';
  }
  return out;
}

struct StageState {
  Phase phase = Phase::unselected;
  store::StageRecord record;
  std::string key;
  std::string dep_key;  // what its dependents see (StepCache::key_for_dependents); empty: `key`
  SteadyClock::time_point started;
  std::unique_ptr<StageOutput> output;
  // A polled stage (driven by the scheduler thread): its environment, attempt number and the
  // attempt in progress.
  std::vector<std::string> env;
  bool dirty = false;  // record changed since it was last written
  int attempt_no = 0;
  std::unique_ptr<StageAttempt> attempt;
};

// At most `size` threads, started on demand and reused: a thread per stage costs a clone and
// fresh stack pages each time, which a 2000-stage pipeline of quick commands notices.
class WorkerPool {
 public:
  explicit WorkerPool(int size) : m_size(size) {}
  ~WorkerPool() {
    {
      std::lock_guard lock(m_mu);
      m_stop = true;
    }
    m_cv.notify_all();
    for (auto& t : m_threads) t.join();
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void submit(std::function<void()> job) {
    std::lock_guard lock(m_mu);
    m_jobs.push_back(std::move(job));
    if (m_idle == 0 && static_cast<int>(m_threads.size()) < m_size) {
      m_threads.emplace_back([this] { loop(); });
    } else {
      m_cv.notify_one();
    }
  }

 private:
  void loop() {
    std::unique_lock lock(m_mu);
    for (;;) {
      ++m_idle;
      m_cv.wait(lock, [this] { return m_stop || !m_jobs.empty(); });
      --m_idle;
      if (m_jobs.empty()) return;  // stopping
      auto job = std::move(m_jobs.front());
      m_jobs.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }
  int m_size;
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::deque<std::function<void()>> m_jobs;
  std::vector<std::thread> m_threads;
  int m_idle = 0;
  bool m_stop = false;
};

}  // namespace

Runner::Runner(const pipeline::Pipeline& p, RunOptions opts,
               std::map<pipeline::StageKind, StageExecutor*> executors,
               const StreamFilterFactory* filters, EventSink& sink)
    : m_pipeline(p),
      m_opts(std::move(opts)),
      m_executors(std::move(executors)),
      m_filters(filters),
      m_sink(sink) {}

Expected<RunResult> Runner::run() {
  const auto& stages = m_pipeline.stages;
  auto selected = select_stages(m_pipeline, m_opts.only);
  if (!selected) return tl::unexpected(selected.error());

  auto store = store::StateStore::open(m_opts.state_dir);
  if (!store) return tl::unexpected(store.error());
  auto& db = **store;
  StepCache cache(db, m_opts.workspace, m_opts.state_dir / "cas");
  if (auto r = cache.load(); !r) return tl::unexpected(r.error());

  auto run_rec =
      db.begin_run(m_pipeline.file, m_opts.jobs, ::getpid(), wall_ms(), m_opts.options_text);
  if (!run_rec) return tl::unexpected(run_rec.error());
  RunResult result;
  result.run = *run_rec;
  const fs::path log_dir = m_opts.state_dir / "runs" / result.run.id;
  std::error_code ec;
  fs::create_directories(log_dir, ec);
  if (ec)
    return make_error(ErrorCode::io,
                      fmt::format("{}: cannot create: {}", log_dir.string(), ec.message()));

  const auto needs = pipeline::need_indices(m_pipeline);
  std::vector<StageState> st(stages.size());
  std::vector<store::StageRecord> initial;
  for (int i : *selected) {
    auto& s = st[static_cast<size_t>(i)];
    s.phase = Phase::pending;
    s.record.run_id = result.run.id;
    s.record.name = stages[static_cast<size_t>(i)].name;
    s.record.index = i;
    s.record.kind = std::string(pipeline::to_string(stages[static_cast<size_t>(i)].kind));
    s.record.status = "pending";
    s.record.needs = base::join(stages[static_cast<size_t>(i)].needs, ",");
    initial.push_back(s.record);
  }
  if (auto r = db.put_stages(initial); !r) return tl::unexpected(r.error());
  m_sink.run_started(result.run, *selected);

  const auto run_start = SteadyClock::now();
  Mailbox mail;
  CancelToken cancel;
  LockManager locks(std::make_unique<FileLocks>(m_opts.state_dir / "locks"));
  // Set while a ready stage waits for a lock another sluice holds: when to try again.
  std::optional<SteadyClock::time_point> lock_retry_at;
  int running = 0;
  bool stopping = false;  // fail-fast: start nothing new
  bool interrupted = false;
  std::string first_failure;
  std::optional<Error> fatal;
  WorkerPool pool(std::max(1, m_opts.jobs));  // destroyed (joined) before what its jobs use

  auto redact = [&](const std::string& s) { return m_filters ? m_filters->redact(s) : s; };
  // A changed record is written once per transaction, however often it changed: a quick
  // stage's `running` and `success` land in the same group commit as one row write.
  std::vector<int> dirty;
  auto persist = [&](StageState& s) {
    if (s.dirty) return;
    s.dirty = true;
    dirty.push_back(s.record.index);
  };
  auto write_records = [&]() {
    for (int i : dirty) {
      auto& s = st[static_cast<size_t>(i)];
      s.dirty = false;
      // Identify a still-running process group by its leader's start time, read only now: a
      // quick stage has ended (and cleared its pgid) by its first commit and costs no /proc read.
      if (s.record.pgid && !s.record.pgid_start) {
        if (auto t = base::process_start_ticks(static_cast<pid_t>(*s.record.pgid)))
          s.record.pgid_start = static_cast<int64_t>(*t);
      }
      if (auto r = db.put_stage(s.record); !r && !fatal) fatal = r.error();
    }
    dirty.clear();
  };
  auto succeeded = [&](int i) {
    const auto& r = st[static_cast<size_t>(i)].record;
    return r.status == "success" ||
           (r.status == "failed" && stages[static_cast<size_t>(i)].continue_on_error);
  };
  // Readiness bookkeeping: how many selected needs of each stage are not done yet, who depends on
  // whom, the first need that did not succeed, and the stages whose needs are all done (ordered
  // by file position, which is the start order).
  std::vector<int> unmet(stages.size(), 0);
  std::vector<std::vector<int>> dependents(stages.size());
  std::vector<std::optional<int>> blocker(stages.size());
  std::set<int> ready;
  for (int i : *selected) {
    for (int n : needs[static_cast<size_t>(i)]) {
      if (st[static_cast<size_t>(n)].phase == Phase::unselected) continue;
      ++unmet[static_cast<size_t>(i)];
      dependents[static_cast<size_t>(n)].push_back(i);
    }
    if (unmet[static_cast<size_t>(i)] == 0) ready.insert(i);
  }
  std::function<void(int, const std::string&, const std::string&)> finish_stage;
  auto skip_reason = [&](int b) {
    const auto& br = st[static_cast<size_t>(b)].record;
    std::string what = br.status == "failed"    ? "failed"
                       : br.status == "skipped" ? "was skipped"
                                                : "was " + br.status;
    return fmt::format("needs \"{}\" which {}", br.name, what);
  };
  finish_stage = [&](int i, const std::string& status, const std::string& reason) {
    auto& s = st[static_cast<size_t>(i)];
    s.phase = Phase::done;
    s.record.status = status;
    if (!reason.empty()) s.record.reason = redact(reason);
    persist(s);
    m_sink.stage_finished(stages[static_cast<size_t>(i)], s.record);
    ready.erase(i);
    const bool ok = succeeded(i);
    for (int d : dependents[static_cast<size_t>(i)]) {
      if (!ok && !blocker[static_cast<size_t>(d)]) blocker[static_cast<size_t>(d)] = i;
      if (--unmet[static_cast<size_t>(d)] == 0) ready.insert(d);
    }
    // A stage whose need did not succeed can never run: say so now, not when its other needs end.
    if (!ok) {
      for (int d : dependents[static_cast<size_t>(i)]) {
        if (st[static_cast<size_t>(d)].phase == Phase::pending)
          finish_stage(d, "skipped", skip_reason(i));
      }
    }
  };

  // The environment every stage starts from: sluice's own, the pipeline's `env`, the run id
  // and workspace (built once; each stage adds its own `env` and name).
  std::vector<std::string> run_env = m_opts.base_env;
  auto set_env = [](std::vector<std::string>& env, const std::string& k, const std::string& v) {
    auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) {
      return e.size() > k.size() && e[k.size()] == '=' && e.compare(0, k.size(), k) == 0;
    });
    std::string entry = k + "=" + v;
    if (it != env.end())
      *it = std::move(entry);
    else
      env.push_back(std::move(entry));
  };
  for (const auto& [k, v] : m_pipeline.env) set_env(run_env, k, v);
  set_env(run_env, "SLUICE_RUN_ID", result.run.id);
  set_env(run_env, "SLUICE_WORKSPACE", m_opts.workspace.string());

  std::vector<int> polled;  // stages whose attempt the scheduler thread drives, start order
  std::function<void(int, StageOutcome)> end_attempt;
  auto getenv_of = [](const std::vector<std::string>& env) {
    return [&env](std::string_view name) -> std::optional<std::string> {
      for (const auto& e : env) {
        if (e.size() > name.size() && e[name.size()] == '=' &&
            e.compare(0, name.size(), name) == 0) {
          return e.substr(name.size() + 1);
        }
      }
      return std::nullopt;
    };
  };
  // Starts attempt s.attempt_no of a polled stage; a failure to start ends the attempt.
  auto begin_attempt = [&](int i, StageExecutor& exec) {
    const Stage& stage = stages[static_cast<size_t>(i)];
    auto& s = st[static_cast<size_t>(i)];
    StageContext ctx{m_pipeline,    stage,        m_opts.workspace, s.env,
                     result.run.id, s.attempt_no, stage.timeout,    m_pipeline.defaults.kill_grace,
                     *s.output,     cancel,       getenv_of(s.env)};
    auto started = exec.start(ctx);
    if (!started) {
      end_attempt(i, {OutcomeStatus::failed, std::nullopt, started.error().message, std::nullopt});
      return;
    }
    s.attempt = std::move(*started);
    s.record.pgid = s.attempt->process_group();
    s.record.pgid_start.reset();
    polled.push_back(i);
  };

  auto start_stage = [&](int i) {
    const Stage& stage = stages[static_cast<size_t>(i)];
    auto& s = st[static_cast<size_t>(i)];
    StageExecutor* exec = m_executors.count(stage.kind) ? m_executors.at(stage.kind) : nullptr;
    const bool is_polled = exec != nullptr && exec->pollable();
    fs::path log_path = log_dir / (safe_file_name(stage.name) + ".log");
    s.output = std::make_unique<StageOutput>(i, log_path, m_filters, mail,
                                             is_polled ? &m_sink : nullptr, stage);
    s.phase = Phase::running;
    s.started = SteadyClock::now();
    s.record.status = "running";
    s.record.attempts = 1;
    s.record.started_ms = wall_ms();
    s.record.log_path = log_path.string();
    s.record.cache_key = s.key;
    persist(s);
    ++running;
    m_sink.stage_started(stage, 1);

    std::vector<std::string> env = run_env;
    for (const auto& [k, v] : stage.env) {
      if (k != "SLUICE_RUN_ID" && k != "SLUICE_WORKSPACE") set_env(env, k, v);  // sluice's own win
    }
    set_env(env, "SLUICE_STAGE", stage.name);

    if (is_polled) {
      s.env = std::move(env);
      s.attempt_no = 1;
      begin_attempt(i, *exec);
      return;
    }
    pool.submit([this, i, &stage, &mail, &cancel, &s, env = std::move(env), exec,
                 run_id = result.run.id, getenv_of] {
      auto getenv = getenv_of(env);
      StageOutcome outcome;
      int attempt = 1;
      if (exec == nullptr) {
        outcome = {
            OutcomeStatus::failed, std::nullopt,
            fmt::format("this sluice cannot run \"{}\" stages", pipeline::to_string(stage.kind)),
            std::nullopt};
      } else {
        for (;; ++attempt) {
          StageContext ctx{m_pipeline,
                           stage,
                           m_opts.workspace,
                           env,
                           run_id,
                           attempt,
                           stage.timeout,
                           m_pipeline.defaults.kill_grace,
                           *s.output,
                           cancel,
                           getenv};
          outcome = execute_guarded(*exec, ctx);
          if (attempt > stage.retries || !should_retry(stage, outcome) || cancel.cancelled()) break;
          std::string why = outcome.reason.empty() ? "failed" : outcome.reason;
          s.output->write(
              fmt::format("\n--- sluice: attempt {} failed ({}); retrying, attempt {} of {} ---\n",
                          attempt, why, attempt + 1, stage.retries + 1));
          mail.post({Message::Type::retry, i, why, attempt + 1, {}});
        }
      }
      s.output->finish();
      mail.post({Message::Type::done, i, {}, attempt, std::move(outcome)});
    });
  };

  // Starts what can start; marks stages whose needs failed as skipped. Loops to a fixpoint since
  // a cache hit or a skip can make later stages ready.
  // Starts what can start, in file order among ready stages; skips stages whose needs failed.
  // Restarts from the first ready stage after anything finishes, since that can make an earlier
  // stage ready.
  auto schedule = [&]() {
    lock_retry_at.reset();
    bool restart = true;
    while (restart) {
      restart = false;
      for (auto it = ready.begin(); it != ready.end();) {
        const int i = *it;
        auto& s = st[static_cast<size_t>(i)];
        const Stage& stage = stages[static_cast<size_t>(i)];
        if (const auto& b = blocker[static_cast<size_t>(i)]) {
          finish_stage(i, "skipped", skip_reason(*b));
          restart = true;
          break;
        }
        // Nothing more can start (finish_stage skips the dependents of a failure at once, so no
        // ready stage is left waiting to be skipped): stop scanning the ready set.
        if (stopping || interrupted || running >= m_opts.jobs) break;
        if (auto l = locks.try_acquire(stage.locks); l != LockResult::acquired) {
          if (l == LockResult::held_elsewhere) lock_retry_at = SteadyClock::now() + k_lock_retry;
          ++it;
          continue;
        }
        std::vector<std::string> need_keys;
        for (int n : needs[static_cast<size_t>(i)]) {
          const auto& ns = st[static_cast<size_t>(n)];
          need_keys.push_back(ns.dep_key.empty() ? ns.key : ns.dep_key);
        }
        auto key = cache.key_for(m_pipeline, stage, need_keys);
        if (!key) {
          locks.release(stage.locks);
          s.record.attempts = 0;
          finish_stage(i, "failed", fmt::format("cannot hash inputs: {}", key.error().message));
          if (!stage.continue_on_error && !m_opts.keep_going) stopping = true;
          restart = true;
          break;
        }
        s.key = *key;
        if (is_cacheable(stage) && !m_opts.no_cache) {
          auto hit = cache.restore(s.key, wall_ms());
          if (hit.result == StepCache::Restored::Result::damaged) {
            m_sink.stage_warning(stage, redact(fmt::format("the cache entry of this stage is damaged ({}); "
                                                           "running the stage instead",
                                                           hit.problem)));
          }
          if (hit.result == StepCache::Restored::Result::hit) {
            s.dep_key = StepCache::key_for_dependents(s.key, hit.outputs_digest);
            int64_t now = wall_ms();
            s.record.cache_hit = true;
            s.record.cache_key = s.key;
            s.record.exit_code = 0;
            s.record.attempts = 0;
            s.record.started_ms = now;
            s.record.ended_ms = now;
            s.record.duration_ms = 0;
            locks.release(stage.locks);
            finish_stage(i, "success", "");
            restart = true;
            break;
          }
        }
        it = ready.erase(it);
        start_stage(i);
        if (s.phase == Phase::done) {  // could not even start: what it unblocked is ready now
          restart = true;
          break;
        }
      }
    }
  };

  auto cancel_all = [&]() {
    cancel.cancel();
    const auto now = SteadyClock::now();
    for (int i : polled) st[static_cast<size_t>(i)].attempt->cancel(now);
  };

  auto on_done = [&](Message& m) {
    int i = m.stage;
    auto& s = st[static_cast<size_t>(i)];
    const Stage& stage = stages[static_cast<size_t>(i)];
    if (!s.output->wrote()) s.record.log_path.reset();  // printed nothing: no log file
    s.output.reset();
    --running;
    locks.release(stage.locks);
    const StageOutcome& o = m.outcome;
    s.record.attempts = m.attempt;
    s.record.exit_code = o.exit_code;
    s.record.ended_ms = wall_ms();
    s.record.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - s.started)
            .count();
    if (o.details) s.record.details = redact(*o.details);
    std::string status;
    switch (o.status) {
      case OutcomeStatus::success:
        status = "success";
        break;
      case OutcomeStatus::cancelled:
        status = "cancelled";
        break;
      default:
        status = "failed";
        break;
    }
    if (status == "success" && is_cacheable(stage) && !m_opts.no_cache) {
      if (auto r = cache.save(s.key, stage, *s.record.duration_ms, wall_ms()); !r) {
        status = "failed";
        m.outcome.reason = r.error().message;
      } else {
        s.dep_key = StepCache::key_for_dependents(s.key, *r);
      }
    } else if (status == "success" && !stage.outputs.empty()) {
      // Not cached, so it ran and may have changed its outputs: its dependents' keys follow them.
      // Outputs it did not produce leave nothing to follow: its dependents then cannot hit.
      auto digest = cache.outputs_digest(stage);
      s.dep_key = StepCache::key_for_dependents(s.key, digest ? *digest : "unhashable:" + result.run.id);
    }
    std::string reason = m.outcome.reason;
    if (status == "failed" && stage.continue_on_error)
      reason += " (continue_on_error: the run goes on)";
    finish_stage(i, status, reason);
    if (status == "failed" && !stage.continue_on_error) {
      if (first_failure.empty()) first_failure = stage.name;
      if (!m_opts.keep_going) {
        stopping = true;
        if (m_opts.cancel_on_failure) cancel_all();
      }
    }
  };

  end_attempt = [&](int i, StageOutcome outcome) {
    const Stage& stage = stages[static_cast<size_t>(i)];
    auto& s = st[static_cast<size_t>(i)];
    s.attempt.reset();
    s.record.pgid.reset();  // the attempt left nothing running
    s.record.pgid_start.reset();
    if (s.attempt_no <= stage.retries && should_retry(stage, outcome) && !cancel.cancelled()) {
      std::string why = outcome.reason.empty() ? "failed" : outcome.reason;
      s.output->write(
          fmt::format("\n--- sluice: attempt {} failed ({}); retrying, attempt {} of {} ---\n",
                      s.attempt_no, why, s.attempt_no + 1, stage.retries + 1));
      ++s.attempt_no;
      s.record.attempts = s.attempt_no;
      persist(s);
      m_sink.stage_retrying(stage, s.attempt_no, redact(why));
      begin_attempt(i, *m_executors.at(stage.kind));
      return;
    }
    s.output->finish();
    s.env = {};
    Message m{Message::Type::done, i, {}, s.attempt_no, std::move(outcome)};
    on_done(m);
  };

  // Transitions are committed in groups: one transaction stays open across wake-ups for at most
  // k_commit_interval (a commit per stage costs a WAL append and a lock round trip, about a fifth
  // of a quick stage's scheduling cost). A SIGKILL loses at most that much of the record; the run
  // still shows as interrupted. While a worker-thread stage runs (llm, validate: they write
  // their own rows from another connection) every wake-up commits, so they never wait on us.
  constexpr auto k_commit_interval = std::chrono::milliseconds(50);
  std::optional<SteadyClock::time_point> txn_since;
  auto commit = [&]() {
    write_records();
    if (!txn_since) return;
    txn_since.reset();
    if (auto c = db.db().exec("COMMIT"); !c) {
      (void)db.db().exec("ROLLBACK");
      if (!fatal) fatal = c.error();
    }
  };
  // The first pass (cache hits, first starts) opens the first group; a pass made only of cache
  // hits (each lookup also touches its entry) is one transaction.
  // If even that cannot begin (the database is locked by another process past the busy
  // timeout), nothing starts: the run ends with the error rather than run unrecorded.
  if (auto b = db.db().exec("BEGIN IMMEDIATE"); !b) {
    fatal = b.error();
  } else {
    txn_since = SteadyClock::now();
    schedule();
    if (running > static_cast<int>(polled.size())) commit();  // a worker stage may write now
  }
  // The run's lease (store/run_lease.h): renewed inside the group commit, waking up for it if
  // nothing else happens.
  auto next_heartbeat = SteadyClock::now() + store::k_heartbeat_every;
  std::vector<pollfd> fds;
  std::vector<std::pair<int, int>> owners;  // (stage, how many of fds) for each polled stage
  // Also loops, with nothing running, while a ready stage waits for another sluice's lock.
  while (running > 0 || (lock_retry_at && !stopping && !interrupted)) {
    fds.clear();
    owners.clear();
    fds.push_back({mail.fd(), POLLIN, 0});
    // poll() ignores a negative fd; once interrupted the (unread) signal fd would stay readable
    // and turn the wait for cancelled stages into a busy loop.
    fds.push_back({interrupted ? -1 : m_opts.interrupt_fd, POLLIN, 0});
    std::optional<SteadyClock::time_point> wake;
    for (int i : polled) {
      const auto& a = *st[static_cast<size_t>(i)].attempt;
      int own[StageAttempt::k_max_fds];
      const int n = a.fds(own);
      for (int k = 0; k < n; ++k) fds.push_back({own[k], POLLIN, 0});
      owners.emplace_back(i, n);
      if (auto d = a.deadline(); d && (!wake || *d < *wake)) wake = d;
    }
    if (txn_since && (!wake || *txn_since + k_commit_interval < *wake))
      wake = *txn_since + k_commit_interval;
    if (!wake || next_heartbeat < *wake) wake = next_heartbeat;
    if (lock_retry_at && (!wake || *lock_retry_at < *wake)) wake = lock_retry_at;
    int rc = ::poll(fds.data(), static_cast<nfds_t>(fds.size()),
                    poll_timeout_ms(wake, SteadyClock::now()));
    if (rc < 0 && errno != EINTR) break;
    if (rc < 0) continue;
    const auto now = SteadyClock::now();
    if (m_opts.interrupt_fd >= 0 && (fds[1].revents & POLLIN) && !interrupted) {
      interrupted = true;
      stopping = true;
      cancel_all();
    }
    bool changed = false;
    if (!txn_since) {
      if (auto b = db.db().exec("BEGIN IMMEDIATE"); !b) {
        if (!fatal) fatal = b.error();
      } else {
        txn_since = now;
      }
    }
    if (txn_since && now >= next_heartbeat) {
      if (auto r = db.heartbeat(result.run.id, wall_ms()); !r && !fatal) fatal = r.error();
      next_heartbeat = now + store::k_heartbeat_every;
    }
    // Polled attempts first, in start order; an attempt that ends may start its next attempt
    // (appended to `polled`), so this walks the owners captured before the wait.
    size_t at = 2;
    for (const auto& [i, n] : owners) {
      short revents[StageAttempt::k_max_fds] = {};
      bool ready_now = false;
      for (int k = 0; k < n; ++k) {
        revents[k] = fds[at + static_cast<size_t>(k)].revents;
        ready_now = ready_now || revents[k] != 0;
      }
      at += static_cast<size_t>(n);
      auto& s = st[static_cast<size_t>(i)];
      if (!s.attempt) continue;
      auto d = s.attempt->deadline();
      if (!ready_now && !(d && *d <= now)) continue;
      if (auto outcome = s.attempt->advance(revents, now)) {
        polled.erase(std::find(polled.begin(), polled.end(), i));
        end_attempt(i, std::move(*outcome));
        changed = true;
      }
    }
    if (fds[0].revents & POLLIN) {
      for (auto& m : mail.take()) {
        const Stage& stage = stages[static_cast<size_t>(m.stage)];
        switch (m.type) {
          case Message::Type::output:
            m_sink.stage_output(stage, m.text);
            break;
          case Message::Type::retry: {
            auto& s = st[static_cast<size_t>(m.stage)];
            s.record.attempts = m.attempt;
            persist(s);
            m_sink.stage_retrying(stage, m.attempt, redact(m.text));  // a reason may quote a secret
            break;
          }
          case Message::Type::done:
            on_done(m);
            changed = true;
            break;
        }
      }
    }
    if (changed || (lock_retry_at && now >= *lock_retry_at)) schedule();
    if (txn_since && (running == 0 || running > static_cast<int>(polled.size()) || interrupted ||
                      SteadyClock::now() - *txn_since >= k_commit_interval)) {
      commit();
    }
  }
  commit();
  // Whatever never started: skipped with the reason.
  {
    for (int i : *selected) {
      auto& s = st[static_cast<size_t>(i)];
      if (s.phase != Phase::pending) continue;
      std::string reason = interrupted ? "not started: the run was interrupted"
                           : !first_failure.empty()
                               ? fmt::format(
                                     "not started: the run stopped after \"{}\" failed (fail-fast; "
                                     "--keep-going runs "
                                     "independent stages)",
                                     first_failure)
                               : "not started";
      finish_stage(i, interrupted ? "cancelled" : "skipped", reason);
    }
    auto r = db.db().transaction([&]() -> Expected<void> {
      write_records();
      return {};
    });
    if (!r && !fatal) fatal = r.error();
  }
  write_records();  // in case the transaction could not begin
  if (auto r = cache.flush(); !r && !fatal) fatal = r.error();

  bool ok = true;
  for (int i : *selected) ok = ok && succeeded(i);
  result.interrupted = interrupted;
  result.run.status = interrupted ? "interrupted" : ok ? "success" : "failed";
  int64_t duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - run_start).count();
  result.run.ended_ms = wall_ms();
  result.run.duration_ms = duration;
  if (auto r = db.finish_run(result.run.id, result.run.status, *result.run.ended_ms, duration);
      !r && !fatal) {
    fatal = r.error();
  }
  for (int i : *selected) result.stages.push_back(st[static_cast<size_t>(i)].record);
  if (fatal) return tl::unexpected(*fatal);
  return result;
}

}  // namespace sluice::engine
