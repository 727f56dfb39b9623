#include "engine/process_stage.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/duration.h"
#include "base/process.h"

namespace sluice::engine {

std::vector<std::string> shell_argv(const std::string& shell, const std::string& command) {
  if (shell == "bash") return {"bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command};
  if (shell == "sh") return {"sh", "-ec", command};
  return {shell, "-c", command};
}

namespace {
using Clock = std::chrono::steady_clock;

int ms_until(Clock::time_point t) {
  auto d = std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now()).count();
  return d < 0 ? 0 : static_cast<int>(std::min<int64_t>(d, 1'000'000));
}

// Reads what is available; returns false at EOF or error.
bool pump(base::Child& child, OutputSink& out) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(child.output_fd(), buf, sizeof buf);
    if (n > 0) {
      out.write(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN;
  }
}
}  // namespace

StageOutcome ProcessStageExecutor::execute(StageContext& ctx) {
  base::SpawnOptions opts;
  opts.argv = shell_argv(ctx.stage.shell, ctx.stage.run);
  opts.env = ctx.env;
  opts.cwd = ctx.stage.working_directory.empty() ? ctx.workspace : ctx.workspace / ctx.stage.working_directory;
  auto spawned = base::spawn(opts);
  if (!spawned) return {OutcomeStatus::failed, std::nullopt, spawned.error().message, std::nullopt};
  base::Child child = std::move(*spawned);

  const auto start = Clock::now();
  std::optional<Clock::time_point> deadline;
  if (ctx.timeout.count() > 0) deadline = start + ctx.timeout;
  std::optional<Clock::time_point> kill_at;  // set once SIGTERM was sent
  bool timed_out = false, cancelled = false, exited = false, output_open = true;

  while (!exited) {
    pollfd fds[3] = {{child.pidfd(), POLLIN, 0}, {ctx.cancel.fd(), POLLIN, 0}, {child.output_fd(), POLLIN, 0}};
    nfds_t n = output_open ? 3 : 2;
    int wait_ms = -1;
    if (kill_at) wait_ms = ms_until(*kill_at);
    else if (deadline) wait_ms = ms_until(*deadline);
    int rc = ::poll(fds, n, wait_ms);
    if (rc < 0 && errno != EINTR) break;
    if (output_open && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (!pump(child, ctx.output)) {
        output_open = false;
        child.close_output();
      }
    }
    if (fds[0].revents & POLLIN) exited = true;
    auto now = Clock::now();
    if (!exited && !kill_at) {
      if ((fds[1].revents & POLLIN) || ctx.cancel.cancelled()) {
        cancelled = true;
      } else if (deadline && now >= *deadline) {
        timed_out = true;
      }
      if (cancelled || timed_out) {
        child.signal_group(SIGTERM);
        kill_at = now + ctx.kill_grace;
      }
    } else if (!exited && kill_at && now >= *kill_at) {
      child.signal_group(SIGKILL);
      kill_at = now + std::chrono::hours(1);  // already killed; just wait for the exit
    }
  }
  // The command has exited (a zombie until reaped, so its pgid cannot be reused yet): kill
  // whatever it left behind in its group, then collect the last output.
  child.signal_group(SIGKILL);
  if (output_open) {
    const auto drain_until = Clock::now() + std::chrono::milliseconds(200);
    for (;;) {
      pollfd p{child.output_fd(), POLLIN, 0};
      if (::poll(&p, 1, ms_until(drain_until)) <= 0) break;
      if (!pump(child, ctx.output)) break;
    }
    child.close_output();
  }
  int code = child.wait();
  if (cancelled) return {OutcomeStatus::cancelled, code, "cancelled", std::nullopt};
  if (timed_out) {
    return {OutcomeStatus::timeout, code,
            fmt::format("timed out after {}", base::format_duration(ctx.timeout)), std::nullopt};
  }
  if (code == 0) return {OutcomeStatus::success, 0, "", std::nullopt};
  std::string why = code > 128 && code < 160 ? fmt::format("killed by signal {}", code - 128)
                                              : fmt::format("exit code {}", code);
  return {OutcomeStatus::failed, code, why, std::nullopt};
}

}  // namespace sluice::engine
