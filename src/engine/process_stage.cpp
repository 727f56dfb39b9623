#include "engine/process_stage.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "base/beneath.h"
#include "base/duration.h"
#include "base/process.h"

namespace sluice::engine {

std::vector<std::string> shell_argv(const std::string& shell, const std::string& command) {
  if (shell == "bash") return {"bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command};
  if (shell == "sh") return {"sh", "-ec", command};
  return {shell, "-c", command};
}

using Clock = StageAttempt::Clock;

namespace {

constexpr auto k_drain = std::chrono::milliseconds(200);

// Without a pidfd (kernels before 5.3), how often a running child is checked for exit: soon at
// first (most stage commands are quick), backing off to k_max_check; the end of its output
// triggers a check too.
constexpr auto k_first_check = std::chrono::milliseconds(1);
constexpr auto k_max_check = std::chrono::milliseconds(50);

// One attempt of a command: a state machine over the child's pidfd and output pipe.
//   running  -> (deadline) SIGTERM, kill_at = now + grace -> (kill_at) SIGKILL
//   running  -> (cancel)   SIGTERM, kill_at = now + grace
//   any      -> (pidfd readable) exited: SIGKILL the rest of the group, drain output for at
//               most k_drain, reap, outcome.
class ProcessAttempt final : public StageAttempt {
 public:
  ProcessAttempt(base::Child child, OutputSink& out, std::chrono::milliseconds timeout,
                 std::chrono::milliseconds grace, Clock::time_point start)
      : m_child(std::move(child)), m_out(out), m_timeout(timeout), m_grace(grace) {
    if (timeout.count() > 0) m_deadline = start + timeout;
    if (m_child.pidfd() < 0) m_next_check = start + m_check_every;
  }

  int fds(int out[k_max_fds]) const override {
    int n = 0;
    if (!m_exited && m_child.pidfd() >= 0) out[n++] = m_child.pidfd();
    if (m_child.output_fd() >= 0) out[n++] = m_child.output_fd();
    return n;
  }

  std::optional<Clock::time_point> deadline() const override {
    if (m_exited) return m_drain_until;
    std::optional<Clock::time_point> d = m_kill_at ? m_kill_at : m_deadline;
    if (m_next_check && (!d || *m_next_check < *d)) d = m_next_check;
    return d;
  }

  std::optional<int> process_group() const override {
    if (m_exited || m_child.pid() <= 0) return std::nullopt;
    return static_cast<int>(m_child.pid());
  }

  void cancel(Clock::time_point now) override {
    if (m_exited || m_kill_at) return;
    m_cancelled = true;
    m_child.signal_group(SIGTERM);
    m_kill_at = now + m_grace;
  }

  std::optional<StageOutcome> advance(const short* revents, Clock::time_point now) override {
    int k = 0;
    bool pid_ready = false;
    if (!m_exited && m_child.pidfd() >= 0)
      pid_ready = (revents[k++] & (POLLIN | POLLHUP | POLLERR)) != 0;
    if (m_child.output_fd() >= 0 && (revents[k] & (POLLIN | POLLHUP | POLLERR))) pump();
    if (!m_exited && m_next_check && (now >= *m_next_check || m_child.output_fd() < 0)) {
      pid_ready = m_child.exited();
      m_check_every = std::min(m_check_every * 2,
                               std::chrono::duration_cast<std::chrono::milliseconds>(k_max_check));
      m_next_check = pid_ready ? std::nullopt : std::optional(now + m_check_every);
    }
    if (pid_ready && !m_exited) {
      m_exited = true;
      // The command has exited (a zombie until reaped, so its pgid cannot be reused yet): kill
      // whatever it left behind in its group, then collect the last output.
      m_child.signal_group(SIGKILL);
      if (m_child.output_fd() >= 0) {
        m_drain_until = now + k_drain;
        pump();
      }
    }
    if (m_exited) {
      if (m_child.output_fd() >= 0 && now < *m_drain_until) return std::nullopt;
      m_child.close_output();
      return finish(m_child.wait());
    }
    if (m_kill_at) {
      if (now >= *m_kill_at) {
        m_child.signal_group(SIGKILL);
        m_kill_at = now + std::chrono::hours(1);  // already killed; just wait for the exit
      }
    } else if (m_deadline && now >= *m_deadline) {
      m_timed_out = true;
      m_child.signal_group(SIGTERM);
      m_kill_at = now + m_grace;
    }
    return std::nullopt;
  }

 private:
  // Reads what is available, at most 1 MiB per call so that one chatty stage cannot keep the
  // scheduler from its other stages (poll reports the rest); closes the pipe at EOF or error.
  void pump() {
    char buf[65536];
    for (int reads = 0; reads < 16; ++reads) {
      ssize_t n = ::read(m_child.output_fd(), buf, sizeof buf);
      if (n > 0) {
        m_out.write(std::string_view(buf, static_cast<size_t>(n)));
        if (static_cast<size_t>(n) < sizeof buf)
          return;  // likely drained; poll says when there is more
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      m_child.close_output();
      return;
    }
  }

  StageOutcome finish(int code) const {
    if (m_cancelled) return {OutcomeStatus::cancelled, code, "cancelled", std::nullopt};
    if (m_timed_out) {
      return {OutcomeStatus::timeout, code,
              fmt::format("timed out after {}", base::format_duration(m_timeout)), std::nullopt};
    }
    if (code == 0) return {OutcomeStatus::success, 0, "", std::nullopt};
    std::string why = code > 128 && code < 160 ? fmt::format("killed by signal {}", code - 128)
                                               : fmt::format("exit code {}", code);
    return {OutcomeStatus::failed, code, why, std::nullopt};
  }

  base::Child m_child;
  OutputSink& m_out;
  std::chrono::milliseconds m_timeout;
  std::chrono::milliseconds m_grace;
  std::optional<Clock::time_point> m_deadline;     // the stage's timeout
  std::optional<Clock::time_point> m_kill_at;      // set once SIGTERM was sent
  std::optional<Clock::time_point> m_drain_until;  // set once the command exited
  // Without a pidfd: when to check for the exit next, and the current interval.
  std::optional<Clock::time_point> m_next_check;
  std::chrono::milliseconds m_check_every = k_first_check;
  bool m_exited = false;
  bool m_timed_out = false;
  bool m_cancelled = false;
};

}  // namespace

Expected<std::unique_ptr<StageAttempt>> ProcessStageExecutor::start(StageContext& ctx) {
  base::SpawnOptions opts;
  opts.argv = shell_argv(ctx.stage.shell, ctx.stage.run);
  opts.env_view = &ctx.env;
  opts.cwd = ctx.workspace;
  base::UniqueFd wd;
  if (!ctx.stage.working_directory.empty()) {
    // Resolved by the kernel beneath the workspace: a symlink cannot make the stage run outside.
    auto dir = base::open_dir_beneath(ctx.workspace, ctx.stage.working_directory, base::CreateDirs::no);
    if (!dir) return make_error(dir.error().code, fmt::format("working_directory: {}", dir.error().message));
    wd = std::move(*dir);
    opts.cwd_fd = wd.get();
  }
  auto spawned = base::spawn(opts);
  if (!spawned) return tl::unexpected(spawned.error());
  return std::make_unique<ProcessAttempt>(std::move(*spawned), ctx.output, ctx.timeout,
                                          ctx.kill_grace, Clock::now());
}

StageOutcome ProcessStageExecutor::execute(StageContext& ctx) {
  auto started = start(ctx);
  if (!started) return {OutcomeStatus::failed, std::nullopt, started.error().message, std::nullopt};
  StageAttempt& attempt = **started;
  bool cancel_seen = false;
  for (;;) {
    pollfd fds[StageAttempt::k_max_fds + 1];
    int own[StageAttempt::k_max_fds];
    const int n = attempt.fds(own);
    for (int k = 0; k < n; ++k) fds[k] = {own[k], POLLIN, 0};
    fds[n] = {ctx.cancel.fd(), POLLIN, 0};
    const int rc = ::poll(fds, static_cast<nfds_t>(cancel_seen ? n : n + 1),
                          poll_timeout_ms(attempt.deadline(), Clock::now()));
    if (rc < 0 && errno != EINTR) {
      attempt.cancel(Clock::now());  // cannot wait any more: stop the command rather than orphan it
    }
    const auto now = Clock::now();
    if (!cancel_seen && (ctx.cancel.cancelled() || (fds[n].revents & POLLIN))) {
      cancel_seen = true;
      attempt.cancel(now);
    }
    short revents[StageAttempt::k_max_fds];
    for (int k = 0; k < n; ++k) revents[k] = rc > 0 ? fds[k].revents : 0;
    if (auto outcome = attempt.advance(revents, now)) return std::move(*outcome);
  }
}

}  // namespace sluice::engine
