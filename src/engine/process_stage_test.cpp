#include "engine/process_stage.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "base/process.h"
#include "engine/test_util.h"

using namespace sluice;
using namespace sluice::engine;
using namespace sluice::engine::testing;
using namespace std::chrono_literals;

namespace {

struct StringSink final : OutputSink {
  std::mutex mu;
  std::string text;
  void write(std::string_view bytes) override {
    std::lock_guard lock(mu);
    text.append(bytes);
  }
};

// One stage and everything a StageContext borrows.
struct Fixture {
  base::TempDir dir{"sluice-process-test"};
  pipeline::Pipeline pipeline;
  pipeline::Stage stage;
  std::vector<std::string> env{"PATH=/usr/local/bin:/usr/bin:/bin"};
  StringSink out;
  CancelToken cancel;

  explicit Fixture(std::string command, std::string shell = "sh") {
    stage.name = "s";
    stage.run = std::move(command);
    stage.shell = std::move(shell);
  }
  StageContext context(std::chrono::milliseconds timeout = 0ms,
                       std::chrono::milliseconds grace = 300ms) {
    return StageContext{pipeline,
                        stage,
                        dir.path(),
                        env,
                        "run",
                        1,
                        timeout,
                        grace,
                        out,
                        cancel,
                        [](std::string_view) { return std::optional<std::string>(); }};
  }
};

}  // namespace

TEST(ProcessStage, ExecuteReturnsOutputAndExitCode) {
  Fixture f("echo hello; echo oops >&2; exit 3");
  auto ctx = f.context();
  auto o = ProcessStageExecutor().execute(ctx);
  EXPECT_EQ(o.status, OutcomeStatus::failed);
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_EQ(o.reason, "exit code 3");
  EXPECT_EQ(f.out.text, "hello\noops\n");
}

TEST(ProcessStage, ExecuteStopsPromptlyWhenCancelled) {
  Fixture f("sleep 23.71 & sleep 23.71");
  auto ctx = f.context();
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    f.cancel.cancel();
  });
  auto t0 = std::chrono::steady_clock::now();
  auto o = ProcessStageExecutor().execute(ctx);
  canceller.join();
  EXPECT_EQ(o.status, OutcomeStatus::cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(count_processes_with("sleep 23.71"), 0);
}

TEST(ProcessStage, TimeoutSendsTermThenKillAfterTheGrace) {
  Fixture f("trap '' TERM; echo armed; sleep 23.72; sleep 23.72");
  auto ctx = f.context(200ms, 300ms);
  auto t0 = std::chrono::steady_clock::now();
  auto o = ProcessStageExecutor().execute(ctx);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(o.status, OutcomeStatus::timeout);
  EXPECT_EQ(o.reason, "timed out after 200ms");
  EXPECT_GE(took, 450ms);  // the timeout, then the whole grace (TERM is ignored)
  EXPECT_LT(took, 3s);
  EXPECT_EQ(f.out.text, "armed\n");
  EXPECT_EQ(count_processes_with("sleep 23.72"), 0);
}

TEST(ProcessStage, AnEscapedGrandchildHoldingThePipeDoesNotHoldTheStage) {
  // setsid puts the grandchild in a session of its own, out of reach of the group kill; it
  // keeps the output pipe open, so the stage ends after the short drain, not when it exits.
  // The command waits until the grandchild has escaped, so the group kill cannot catch it first.
  Fixture f(
      "setsid sh -c 'echo $$ > pid; exec sleep 23.73' & while [ ! -s pid ]; do sleep 0.01; done; "
      "echo done");
  auto ctx = f.context();
  auto t0 = std::chrono::steady_clock::now();
  auto o = ProcessStageExecutor().execute(ctx);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(o.status, OutcomeStatus::success);
  EXPECT_GE(took, 150ms);  // it did wait for the pipe, for the drain period only
  EXPECT_LT(took, 2s);
  EXPECT_EQ(f.out.text, "done\n");
  auto pid = base::read_file(f.dir.path() / "pid");
  ASSERT_TRUE(pid.has_value());
  ::kill(std::stoi(*pid), SIGKILL);  // the test's own cleanup (sluice's subreaper does it in a run)
}

TEST(ProcessStage, APolledAttemptDeliversEveryByteOfALargeOutput) {
  Fixture f("head -c 1000000 /dev/zero | tr '\\0' a; echo; echo end");
  auto ctx = f.context();
  ProcessStageExecutor exec;
  ASSERT_TRUE(exec.pollable());
  auto started = exec.start(ctx);
  ASSERT_TRUE(started.has_value()) << started.error().message;
  auto& attempt = **started;
  std::optional<StageOutcome> outcome;
  int wakeups = 0;
  while (!outcome) {
    int own[StageAttempt::k_max_fds];
    const int n = attempt.fds(own);
    pollfd fds[StageAttempt::k_max_fds];
    for (int k = 0; k < n; ++k) fds[k] = {own[k], POLLIN, 0};
    ASSERT_GE(::poll(fds, static_cast<nfds_t>(n),
                     poll_timeout_ms(attempt.deadline(), StageAttempt::Clock::now())),
              0);
    short revents[StageAttempt::k_max_fds] = {};
    for (int k = 0; k < n; ++k) revents[k] = fds[k].revents;
    outcome = attempt.advance(revents, StageAttempt::Clock::now());
    ASSERT_LT(++wakeups, 100000);
  }
  EXPECT_EQ(outcome->status, OutcomeStatus::success);
  ASSERT_EQ(f.out.text.size(), 1000000u + 5u);
  EXPECT_EQ(f.out.text.substr(0, 3), "aaa");
  EXPECT_EQ(f.out.text.substr(1000000), "\nend\n");
}

TEST(ProcessStage, AMissingShellCannotStart) {
  Fixture f("true", "/nonexistent/shell");
  auto ctx = f.context();
  ProcessStageExecutor exec;
  auto started = exec.start(ctx);
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().message.find("/nonexistent/shell"), std::string::npos)
      << started.error().message;
  auto o = exec.execute(ctx);
  EXPECT_EQ(o.status, OutcomeStatus::failed);
  EXPECT_FALSE(o.exit_code.has_value());
}

TEST(ProcessStage, PollTimeoutRoundsUpAndNeverSpins) {
  const auto now = StageAttempt::Clock::now();
  EXPECT_EQ(poll_timeout_ms(std::nullopt, now), -1);
  EXPECT_EQ(poll_timeout_ms(now - 1ms, now), 0);
  EXPECT_EQ(poll_timeout_ms(now + 1us, now), 1);
  EXPECT_EQ(poll_timeout_ms(now + 1500us, now), 2);
}

namespace {
// Runs the rest of a test as on a kernel without pidfd_open (before 5.3).
struct WithoutPidfd {
  WithoutPidfd() { base::disable_pidfd_for_testing(true); }
  ~WithoutPidfd() { base::disable_pidfd_for_testing(false); }
};
}  // namespace

TEST(ProcessStage, WithoutPidfdExitsTimeoutsAndCancelsStillWork) {
  WithoutPidfd no_pidfd;
  {
    Fixture f("echo hello; exit 3");
    auto ctx = f.context();
    auto t0 = std::chrono::steady_clock::now();
    auto o = ProcessStageExecutor().execute(ctx);
    EXPECT_EQ(o.status, OutcomeStatus::failed);
    EXPECT_EQ(o.exit_code, 3);
    EXPECT_EQ(f.out.text, "hello\n");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  }
  {
    // Closes its output and keeps running: only the exit checks can see it end.
    Fixture f("exec >/dev/null 2>&1; sleep 0.3");
    auto ctx = f.context();
    auto t0 = std::chrono::steady_clock::now();
    auto o = ProcessStageExecutor().execute(ctx);
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(o.status, OutcomeStatus::success);
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 1s);  // noticed within the 50 ms check interval, not later
  }
  {
    Fixture f("trap '' TERM; sleep 23.74; sleep 23.74");
    auto ctx = f.context(200ms, 200ms);
    auto o = ProcessStageExecutor().execute(ctx);
    EXPECT_EQ(o.status, OutcomeStatus::timeout);
    EXPECT_EQ(count_processes_with("sleep 23.74"), 0);
  }
  {
    Fixture f("sleep 23.75");
    auto ctx = f.context();
    std::thread canceller([&] {
      std::this_thread::sleep_for(150ms);
      f.cancel.cancel();
    });
    auto o = ProcessStageExecutor().execute(ctx);
    canceller.join();
    EXPECT_EQ(o.status, OutcomeStatus::cancelled);
    EXPECT_EQ(count_processes_with("sleep 23.75"), 0);
  }
}

TEST(ProcessStage, WithoutPidfdARunOfQuickStagesIsNotSlowedByTheChecks) {
  WithoutPidfd no_pidfd;
  Workspace ws;
  std::string yaml = "version: 1\ndefaults: { shell: sh }\nstages:\n";
  for (int i = 0; i < 40; ++i) yaml += "  s" + std::to_string(i) + ": { run: \"true\" }\n";
  ASSERT_TRUE(ws.load(yaml));
  RunOptions o;
  o.jobs = 2;
  auto t0 = std::chrono::steady_clock::now();
  auto r = ws.run(o);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->run.status, store::RunStatus::success);
  // Each exit is seen when the output pipe closes (or within milliseconds): 40 stages would take
  // 2 s if every one waited for the 50 ms interval.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
}
