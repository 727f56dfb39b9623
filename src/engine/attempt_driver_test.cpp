#include "engine/attempt_driver.h"

#include <gtest/gtest.h>

#include <atomic>

#include "engine/test_util.h"

using namespace sluice;
using namespace sluice::engine;
using namespace sluice::engine::testing;

namespace {

pipeline::Stage stage_with(int retries, pipeline::RetryOn on = {}) {
  pipeline::Stage s;
  s.name = "s";
  s.retries = retries;
  s.retry_on = std::move(on);
  return s;
}

StageOutcome failed_with(int code) { return {OutcomeStatus::failed, code, "exit " + std::to_string(code), {}}; }

// Records what the driver reports and runs its loop the way the scheduler does.
struct Events final : AttemptEvents {
  std::vector<std::string> log;
  std::vector<AttemptsEnded> ended;
  void process_group_changed(int, std::optional<int> pgid) override { log.push_back(pgid ? "pgid" : "no pgid"); }
  void attempt_retrying(int, int next, const std::string& why) override {
    log.push_back("retry " + std::to_string(next) + ": " + why);
  }
  void stage_ended(int, AttemptsEnded e) override {
    log.push_back("ended after " + std::to_string(e.attempts));
    ended.push_back(std::move(e));
  }
};

void drive(AttemptDriver& d, Events& ev, size_t until_ended) {
  while (ev.ended.size() < until_ended) {
    std::vector<pollfd> fds{{d.mail_fd(), POLLIN, 0}};
    auto wake = d.add_poll_fds(fds);
    ASSERT_GE(::poll(fds.data(), fds.size(), poll_timeout_ms(wake, StageAttempt::Clock::now())), 0);
    d.advance(fds, StageAttempt::Clock::now());
    if (fds[0].revents & POLLIN) d.deliver();
  }
}

// A worker-kind executor that fails until its third attempt.
struct Flaky final : StageExecutor {
  std::atomic<int> calls{0};
  StageOutcome execute(StageContext& ctx) override {
    ++calls;
    ctx.output.write("attempt " + std::to_string(ctx.attempt) + "\n");
    if (ctx.attempt < 3) return failed_with(7);
    return {OutcomeStatus::success, 0, "", "{\"ok\":true}"};
  }
};

}  // namespace

TEST(RetryPolicy, RetriesFailuresWhileAttemptsAreLeft) {
  auto s = stage_with(2);
  EXPECT_TRUE(should_retry(s, 1, failed_with(1), false));
  EXPECT_TRUE(should_retry(s, 2, failed_with(1), false));
  EXPECT_FALSE(should_retry(s, 3, failed_with(1), false));
  EXPECT_FALSE(should_retry(s, 1, failed_with(1), true));  // cancelled
  EXPECT_FALSE(should_retry(s, 1, {OutcomeStatus::success, 0, "", {}}, false));
  EXPECT_FALSE(should_retry(s, 1, {OutcomeStatus::cancelled, {}, "", {}}, false));
  EXPECT_TRUE(should_retry(s, 1, {OutcomeStatus::timeout, {}, "timed out", {}}, false));
}

TEST(RetryPolicy, RetryOnNamesTheFailuresWorthRetrying) {
  pipeline::RetryOn on;
  on.exit_codes = {75};
  auto s = stage_with(1, on);
  EXPECT_TRUE(should_retry(s, 1, failed_with(75), false));
  EXPECT_FALSE(should_retry(s, 1, failed_with(1), false));
  EXPECT_FALSE(should_retry(s, 1, {OutcomeStatus::timeout, {}, "", {}}, false));
  EXPECT_FALSE(should_retry(s, 1, {OutcomeStatus::failed, {}, "no exit code", {}}, false));
  on.timeout = true;
  auto t = stage_with(1, on);
  EXPECT_TRUE(should_retry(t, 1, {OutcomeStatus::timeout, {}, "", {}}, false));
}

TEST(RetryPolicy, BannerTextIsStable) {
  EXPECT_EQ(retry_banner(1, "exit 3", 2), "\n--- sluice: attempt 1 failed (exit 3); retrying, attempt 2 of 3 ---\n");
}

TEST(AttemptDriver, WorkerStagesRetryThroughTheSamePolicy) {
  Workspace ws;
  ASSERT_TRUE(ws.load("version: 1\nstages:\n  s: { run: x, retries: 2 }\n"));
  Events ev;
  RecordingSink sink;
  Flaky flaky;
  AttemptDriver d(DriverSetup{ws.pipeline, ws.dir.path(), "run-1", 2, nullptr, sink, ev});
  d.start(0, &flaky, {}, ws.dir.path() / "s.log");
  EXPECT_TRUE(d.worker_running());
  drive(d, ev, 1);
  EXPECT_EQ(ev.log, (std::vector<std::string>{"retry 2: exit 7", "retry 3: exit 7", "ended after 3"}));
  EXPECT_EQ(ev.ended[0].outcome.status, OutcomeStatus::success);
  EXPECT_TRUE(ev.ended[0].wrote_log);
  EXPECT_FALSE(d.worker_running());
  EXPECT_EQ(sink.output,
            "attempt 1\n" + retry_banner(1, "exit 7", 2) + "attempt 2\n" + retry_banner(2, "exit 7", 2) + "attempt 3\n");
}

TEST(AttemptDriver, PolledStagesRetryAndRecordTheirProcessGroup) {
  Workspace ws;
  ASSERT_TRUE(ws.load("version: 1\ndefaults: { shell: sh }\nstages:\n  s: { run: \"echo hi; exit 4\", retries: 1 }\n"));
  Events ev;
  RecordingSink sink;
  ProcessStageExecutor exec;
  AttemptDriver d(DriverSetup{ws.pipeline, ws.dir.path(), "run-1", 1, nullptr, sink, ev});
  d.start(0, &exec, {"PATH=/usr/bin:/bin"}, ws.dir.path() / "s.log");
  EXPECT_FALSE(d.worker_running());
  drive(d, ev, 1);
  ASSERT_EQ(ev.ended.size(), 1u);
  EXPECT_EQ(ev.ended[0].attempts, 2);
  EXPECT_EQ(ev.ended[0].outcome.exit_code, 4);
  EXPECT_EQ(ev.log.front(), "pgid");
  EXPECT_EQ(ev.log[1], "no pgid");
  EXPECT_EQ(ev.log.back(), "ended after 2");
  EXPECT_NE(sink.output.find("hi\n\n--- sluice: attempt 1 failed"), std::string::npos) << sink.output;
  EXPECT_EQ(ws.read("s.log"), sink.output);
}

TEST(AttemptDriver, AKindWithoutExecutorFailsOnceWithoutRetries) {
  Workspace ws;
  ASSERT_TRUE(ws.load("version: 1\nstages:\n  s: { run: x, retries: 3 }\n"));
  Events ev;
  RecordingSink sink;
  AttemptDriver d(DriverSetup{ws.pipeline, ws.dir.path(), "run-1", 1, nullptr, sink, ev});
  d.start(0, nullptr, {}, ws.dir.path() / "s.log");
  drive(d, ev, 1);
  EXPECT_EQ(ev.log, (std::vector<std::string>{"ended after 1"}));
  EXPECT_EQ(ev.ended[0].outcome.reason, "this sluice cannot run \"run\" stages");
  EXPECT_FALSE(ev.ended[0].wrote_log);
}

TEST(AttemptDriver, CancelEndsAttemptsWithoutRetrying) {
  Workspace ws;
  ASSERT_TRUE(ws.load("version: 1\ndefaults: { shell: sh }\nstages:\n  s: { run: \"sleep 30\", retries: 3 }\n"));
  Events ev;
  RecordingSink sink;
  ProcessStageExecutor exec;
  AttemptDriver d(DriverSetup{ws.pipeline, ws.dir.path(), "run-1", 1, nullptr, sink, ev});
  d.start(0, &exec, {"PATH=/usr/bin:/bin"}, ws.dir.path() / "s.log");
  d.cancel_all(StageAttempt::Clock::now());
  drive(d, ev, 1);
  EXPECT_EQ(ev.ended[0].attempts, 1);
  EXPECT_EQ(ev.ended[0].outcome.status, OutcomeStatus::cancelled);
}
