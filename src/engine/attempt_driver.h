#pragma once
// The attempts of running stages, for every executor kind, and the one retry policy.
//
// A stage's attempts are driven the same way whatever runs them: an attempt starts, ends with
// a StageOutcome, and the policy (retries, retry_on, cancellation) decides whether the next
// one starts; the retry banner goes into the stage's output, and the scheduler hears of the
// retry and of the stage's end through AttemptEvents. Only the way an attempt runs differs:
//   - polled (StageExecutor::pollable(), `run:`): start() returns a StageAttempt that the
//     scheduler thread waits on in its one poll() (add_poll_fds/advance), as ninja drives its
//     subprocesses; remote executors (a Slurm job) are meant to be polled attempts too;
//   - worker (llm, validate): execute() runs on a pool thread (at most `jobs`, started on
//     demand) and the outcome comes back through the mailbox (deliver()).
// Each attempt gets the stage's timeout and kill grace in its StageContext.
//
// Thread-safety: every member is called on the scheduler thread.

#include <poll.h>

#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cancel.h"
#include "engine/events.h"
#include "engine/stage_executor.h"
#include "engine/stage_output.h"
#include "engine/worker_pool.h"

namespace sluice::engine {

// Whether attempt `attempt` (1-based) of `stage`, which ended with `o`, is tried again: a
// failure or timeout matching `retry_on` (any when it is empty), attempts left, not cancelled.
[[nodiscard]] bool should_retry(const pipeline::Stage& stage, int attempt, const StageOutcome& o,
                                bool cancelled);
// The line written into the stage's output before the next attempt.
[[nodiscard]] std::string retry_banner(int attempt, std::string_view why, int retries);

// What the stage's attempts came to.
struct AttemptsEnded {
  int attempts = 0;
  StageOutcome outcome;   // of the last attempt
  bool wrote_log = false; // the stage printed something (its log file exists)
};

// The scheduler's side of the driver; called on the scheduler thread.
class AttemptEvents {
 public:
  virtual ~AttemptEvents() = default;
  // A polled attempt started in process group `pgid`, or ended (nullopt).
  virtual void process_group_changed(int stage, std::optional<int> pgid) = 0;
  // A failed attempt is tried again as `next_attempt`; `why` is not redacted.
  virtual void attempt_retrying(int stage, int next_attempt, const std::string& why) = 0;
  // The stage's last attempt ended.
  virtual void stage_ended(int stage, AttemptsEnded ended) = 0;
};

struct DriverSetup {
  const pipeline::Pipeline& pipeline;
  std::filesystem::path workspace;
  std::string run_id;
  int jobs = 1;                          // worker threads at most
  const StreamFilterFactory* filters;    // may be null
  EventSink& sink;                       // output of the stages
  AttemptEvents& events;
};

class AttemptDriver {
 public:
  using Clock = StageAttempt::Clock;
  explicit AttemptDriver(DriverSetup setup);
  ~AttemptDriver();
  AttemptDriver(const AttemptDriver&) = delete;
  AttemptDriver& operator=(const AttemptDriver&) = delete;

  // Starts attempt 1 of stage `i` with `exec` (null: this sluice has no executor for the kind;
  // the stage then fails, without retries). Output goes to `log_path` (created on first byte).
  // An attempt that cannot start ends at once (the policy may retry it). `resolved` (may be null)
  // replaces the pipeline's stage for the executor: its `${{ }}` filled in at start (kept alive
  // by the caller until the stage ends).
  void start(int i, StageExecutor* exec, std::vector<std::string> env, std::filesystem::path log_path,
             const pipeline::Stage* resolved = nullptr);

  // Appends the descriptors of every polled attempt to `fds`; returns the earliest deadline.
  [[nodiscard]] std::optional<Clock::time_point> add_poll_fds(std::vector<pollfd>& fds);
  // After poll() on those `fds`: advances the polled attempts that are due, in start order.
  // Returns whether a stage ended.
  bool advance(const std::vector<pollfd>& fds, Clock::time_point now);
  // The mailbox of the worker attempts: readable when deliver() has something to do.
  [[nodiscard]] int mail_fd() const { return m_mail.fd(); }
  // Hands worker output to the sink and ends worker attempts. Returns whether a stage ended.
  bool deliver();

  // Cancels everything running (attempts end with `cancelled`) and any retry.
  void cancel_all(Clock::time_point now);
  [[nodiscard]] bool cancelled() const { return m_cancel.cancelled(); }
  // Whether a worker-kind stage is running (it may write the database from its own connection).
  [[nodiscard]] bool worker_running() const { return m_workers > 0; }

 private:
  struct Active;
  [[nodiscard]] StageContext context_of(int i, Active& a);
  void launch(int i);
  void submit(int i);
  void attempt_ended(int i, StageOutcome outcome);

  const pipeline::Pipeline& m_pipeline;
  std::filesystem::path m_workspace;
  std::string m_run_id;
  const StreamFilterFactory* m_filters;
  EventSink& m_sink;
  AttemptEvents& m_events;
  CancelToken m_cancel;
  Mailbox m_mail;
  std::vector<std::unique_ptr<Active>> m_active;  // by stage index; null when not running
  std::vector<int> m_polled;                      // stages with a polled attempt, start order
  std::vector<std::pair<int, int>> m_owners;      // (stage, fd count) as add_poll_fds laid out
  size_t m_first_fd = 0;
  int m_workers = 0;
  WorkerPool m_pool;  // last: joined before what its jobs use is destroyed
};

}  // namespace sluice::engine
