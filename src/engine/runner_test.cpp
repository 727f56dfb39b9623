#include "engine/runner.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "engine/test_util.h"

using namespace sluice;
using namespace sluice::engine;
using namespace sluice::engine::testing;
using namespace std::chrono_literals;

TEST(Runner, StartsReadyStagesInFileOrder) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
defaults: { shell: sh }
stages:
  c: { run: "echo c >> order.txt", needs: [b] }
  a: { run: "echo a >> order.txt" }
  b: { run: "echo b >> order.txt", needs: [a] }
  d: { run: "echo d >> order.txt" }
)"));
  for (int round = 0; round < 3; ++round) {
    ws.write("order.txt", "");
    RunOptions o;
    o.jobs = 1;
    RecordingSink sink;
    auto r = ws.run(o, sink);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->run.status, store::RunStatus::success);
    EXPECT_EQ(ws.read("order.txt"), "a\nb\nc\nd\n");
    EXPECT_EQ(sink.started, (std::vector<std::string>{"a", "b", "c", "d"}));
  }
}

TEST(Runner, RunsInParallelUpToJobs) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
defaults: { shell: sh }
stages:
  a: { run: "sleep 0.4" }
  b: { run: "sleep 0.4" }
  c: { run: "sleep 0.4" }
)"));
  RunOptions o;
  o.jobs = 2;
  auto r = ws.run(o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->run.status, store::RunStatus::success);
  // a and b overlap (two slots); c starts only after one of them ended.
  const auto& a = record_of(*r, "a");
  const auto& b = record_of(*r, "b");
  const auto& c = record_of(*r, "c");
  EXPECT_LT(*b.started_ms, *a.ended_ms);
  EXPECT_GE(*c.started_ms, std::min(*a.ended_ms, *b.ended_ms));
}

TEST(Runner, StagesSharingALockNeverOverlap) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
defaults: { shell: sh }
stages:
  lint: { run: "mkdir held && sleep 0.2 && rmdir held", locks: [workspace] }
  security: { run: "mkdir held && sleep 0.2 && rmdir held", locks: [workspace] }
  other: { run: "sleep 0.1" }
)"));
  RunOptions o;
  o.jobs = 3;
  auto r = ws.run(o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->run.status, store::RunStatus::success) << status_of(*r, "lint") << status_of(*r, "security");
  const auto* a = &record_of(*r, "lint");
  const auto* b = &record_of(*r, "security");
  EXPECT_GE(*b->started_ms, *a->ended_ms);
}

TEST(Runner, FailFastSkipsDependentsAndStopsStarting) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
defaults: { shell: sh }
stages:
  security: { run: "exit 3" }
  deploy: { run: "touch deployed", needs: [security] }
  docs: { run: "touch docs" }
)"));
  RunOptions o;
  o.jobs = 1;
  auto r = ws.run(o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->run.status, store::RunStatus::failed);
  EXPECT_EQ(status_of(*r, "security"), "failed");
  EXPECT_EQ(record_of(*r, "security").exit_code, 3);
  EXPECT_EQ(status_of(*r, "deploy"), "skipped");
  EXPECT_EQ(*record_of(*r, "deploy").reason, "needs \"security\" which failed");
  EXPECT_EQ(status_of(*r, "docs"), "skipped");
  EXPECT_NE(record_of(*r, "docs").reason->find("fail-fast"), std::string::npos);
  EXPECT_EQ(ws.read("docs"), "<missing>");
}

TEST(Runner, KeepGoingRunsIndependentStages) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
defaults: { shell: sh }
stages:
  security: { run: "exit 3" }
  deploy: { run: "touch deployed", needs: [security] }
  after: { run: "true", needs: [deploy] }
  docs: { run: "touch docs" }
)"));
  RunOptions o;
  o.jobs = 1;
  o.keep_going = true;
  auto r = ws.run(o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->run.status, store::RunStatus::failed);
  EXPECT_EQ(status_of(*r, "docs"), "success");
  EXPECT_EQ(status_of(*r, "after"), "skipped");
  EXPECT_EQ(*record_of(*r, "after").reason, "needs \"deploy\" which was skipped");
}

TEST(Runner, CancelOnFailureStopsRunningStages) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
defaults: { shell: sh }
stages:
  slow: { run: "sleep 20" }
  bad: { run: "sleep 0.1; exit 1" }
)"));
  RunOptions o;
  o.jobs = 2;
  o.cancel_on_failure = true;
  auto t0 = std::chrono::steady_clock::now();
  auto r = ws.run(o);
  ASSERT_TRUE(r.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(status_of(*r, "slow"), "cancelled");
}

TEST(Runner, TimeoutKillsTheWholeProcessGroup) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
defaults: { shell: sh, kill_grace: 300ms }
stages:
  hang:
    run: "sleep 31.4159 & sleep 31.4159; echo never"
    timeout: 300ms
)"));
  auto t0 = std::chrono::steady_clock::now();
  auto r = ws.run();
  ASSERT_TRUE(r.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(status_of(*r, "hang"), "failed");
  EXPECT_NE(record_of(*r, "hang").reason->find("timed out after 300ms"), std::string::npos);
  EXPECT_EQ(count_processes_with("sleep 31.4159"), 0);
}

TEST(Runner, TermIgnoringCommandIsKilledAfterGrace) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
defaults: { kill_grace: 200ms }
stages:
  stubborn:
    run: "trap '' TERM; sleep 27.1828; sleep 27.1828"
    shell: sh
    timeout: 200ms
)"));
  auto t0 = std::chrono::steady_clock::now();
  auto r = ws.run();
  ASSERT_TRUE(r.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(status_of(*r, "stubborn"), "failed");
  EXPECT_EQ(count_processes_with("sleep 27.1828"), 0);
}

TEST(Runner, BackgroundChildrenDieWithTheirStage) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
stages:
  leaky: { run: "sleep 29.9792 & echo started", shell: sh }
)"));
  auto r = ws.run();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(status_of(*r, "leaky"), "success");
  EXPECT_EQ(count_processes_with("sleep 29.9792"), 0);
}

TEST(Runner, RetriesUntilSuccess) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
stages:
  flaky:
    shell: sh
    run: "n=$(cat n 2>/dev/null || echo 0); n=$((n+1)); echo $n > n; [ $n -ge 3 ]"
    retries: 2
)"));
  auto r = ws.run();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(status_of(*r, "flaky"), "success");
  EXPECT_EQ(record_of(*r, "flaky").attempts, 3);
}

TEST(Runner, RetryOnNarrowsWhichFailuresRetry) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
stages:
  other_code:
    shell: sh
    run: "echo x >> tries; exit 1"
    retries: 3
    retry_on: ["exit:75"]
  tempfail:
    shell: sh
    run: "echo x >> tries2; exit 75"
    retries: 2
    retry_on: ["exit:75"]
)"));
  RunOptions o;
  o.keep_going = true;
  auto r = ws.run(o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(record_of(*r, "other_code").attempts, 1);
  EXPECT_EQ(ws.read("tries"), "x\n");
  EXPECT_EQ(record_of(*r, "tempfail").attempts, 3);
  EXPECT_EQ(ws.read("tries2"), "x\nx\nx\n");
}

TEST(Runner, ContinueOnErrorLetsDependentsRun) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
stages:
  lint: { run: "exit 1", shell: sh, continue_on_error: true }
  build: { run: "touch built", shell: sh, needs: [lint] }
)"));
  auto r = ws.run();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(status_of(*r, "lint"), "failed");
  EXPECT_EQ(status_of(*r, "build"), "success");
  EXPECT_EQ(r->run.status, store::RunStatus::success);
}

TEST(Runner, InterruptCancelsEverythingAndLeavesNoProcess) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
defaults: { kill_grace: 300ms }
stages:
  a: { run: "sleep 23.1406 & sleep 23.1406", shell: sh }
  b: { run: "sleep 23.1406", shell: sh }
  c: { run: "true", shell: sh, needs: [a] }
)"));
  int efd = ::eventfd(0, EFD_CLOEXEC);
  std::thread trigger([efd] {
    std::this_thread::sleep_for(300ms);
    uint64_t one = 1;
    (void)!::write(efd, &one, sizeof one);
  });
  RunOptions o;
  o.jobs = 2;
  o.interrupt_fd = efd;
  auto t0 = std::chrono::steady_clock::now();
  auto r = ws.run(o);
  trigger.join();
  ::close(efd);
  ASSERT_TRUE(r.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_TRUE(r->interrupted);
  EXPECT_EQ(r->run.status, store::RunStatus::interrupted);
  EXPECT_EQ(status_of(*r, "a"), "cancelled");
  EXPECT_EQ(status_of(*r, "c"), "skipped");
  EXPECT_EQ(count_processes_with("sleep 23.1406"), 0);
}

TEST(Runner, OnlySelectsStagesAndTheirNeeds) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
stages:
  a: { run: "true", shell: sh }
  b: { run: "true", shell: sh, needs: [a] }
  c: { run: "true", shell: sh }
)"));
  RunOptions o;
  o.only = {"b"};
  auto r = ws.run(o);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->stages.size(), 2u);
  EXPECT_EQ(status_of(*r, "c"), "<absent>");
  o.only = {"bb"};
  auto bad = ws.run(o);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("did you mean \"b\""), std::string::npos);
}

namespace {
struct UpperFilter final : StreamFilterFactory {
  struct F final : StreamFilter {
    std::string held;
    std::string write(std::string_view c) override {
      held += c;
      std::string out;
      // hold back up to 5 bytes that could begin "hunter2"
      size_t keep = std::min<size_t>(held.size(), 6);
      out = held.substr(0, held.size() - keep);
      held = held.substr(held.size() - keep);
      return mask(out);
    }
    std::string flush() override { return mask(std::exchange(held, "")); }
    static std::string mask(std::string s) {
      for (size_t p; (p = s.find("hunter2")) != std::string::npos;) s.replace(p, 7, "***");
      return s;
    }
  };
  std::unique_ptr<StreamFilter> make() const override { return std::make_unique<F>(); }
  std::string redact(std::string_view t) const override { return F::mask(std::string(t)); }
};
}  // namespace

TEST(Runner, OutputPassesThroughTheFilterIntoLogAndSink) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
stages:
  leak: { run: "printf 'pw=hun'; sleep 0.1; printf 'ter2 done\n'", shell: sh }
)"));
  UpperFilter f;
  RecordingSink sink;
  auto r = ws.run({}, sink, &f);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(sink.output, "pw=*** done\n");
  auto log = base::read_file(record_of(*r, "leak").log_path.value_or(""));
  ASSERT_TRUE(log.has_value());
  EXPECT_EQ(*log, "pw=*** done\n");
}

TEST(Runner, EveryRunAndStageIsRecorded) {
  Workspace ws;
  ASSERT_TRUE(ws.load("version: 1\nstages:\n  a: { run: \"exit 0\", shell: sh }\n"));
  auto r1 = ws.run();
  auto r2 = ws.run();
  ASSERT_TRUE(r1 && r2);
  auto st = store::StateStore::open(ws.dir.path() / ".sluice");
  ASSERT_TRUE(st.has_value());
  auto runs = (*st)->list_runs(10);
  ASSERT_TRUE(runs.has_value());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].seq, 2);
  auto stages = (*st)->stages_of(r1->run.id);
  ASSERT_TRUE(stages.has_value());
  ASSERT_EQ(stages->size(), 1u);
  EXPECT_EQ((*stages)[0].status, store::StageStatus::success);
  EXPECT_EQ((*stages)[0].attempts, 1);
}

TEST(Runner, DependentOfAFailureIsSkippedAtOnceWithTheRightReason) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
defaults: { shell: sh }
stages:
  a: { run: "exit 1" }
  slow: { run: "sleep 0.3" }
  c: { run: "true", needs: [a, slow] }
)"));
  RunOptions o;
  o.jobs = 2;
  auto r = ws.run(o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(status_of(*r, "slow"), "success");
  EXPECT_EQ(status_of(*r, "c"), "skipped");
  EXPECT_EQ(record_of(*r, "c").reason.value_or(""), "needs \"a\" which failed");
}

namespace {
// A stage kind that runs on a worker thread (as llm and validate do): prints, waits, succeeds
// or fails on request.
struct WorkerExecutor final : StageExecutor {
  StageOutcome execute(StageContext& ctx) override {
    ctx.output.write("worker " + ctx.stage.name + "\n");
    std::this_thread::sleep_for(50ms);
    if (ctx.stage.run.find("fail") != std::string::npos)
      return {OutcomeStatus::failed, 1, "asked to fail", {}};
    return {OutcomeStatus::success, 0, "", {}};
  }
};
}  // namespace

TEST(Runner, PolledAndWorkerStagesInterleaveAndAreAllRecorded) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
defaults: { shell: sh }
stages:
  a: { run: "echo polled a" }
  w: { run: "worker", needs: [a] }
  b: { run: "sleep 0.1; echo polled b" }
  c: { run: "echo polled c", needs: [w, b] }
)"));
  ws.pipeline.stages[1].kind = pipeline::StageKind::validate;  // driven by WorkerExecutor
  WorkerExecutor worker;
  RunOptions o;
  o.jobs = 2;
  RecordingSink sink;
  auto r = ws.run(o, sink, nullptr, {{pipeline::StageKind::validate, &worker}});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->run.status, store::RunStatus::success);
  for (const char* name : {"a", "w", "b", "c"}) EXPECT_EQ(status_of(*r, name), "success") << name;
  EXPECT_NE(sink.output.find("polled a\n"), std::string::npos);
  EXPECT_NE(sink.output.find("worker w\n"), std::string::npos);
  EXPECT_NE(sink.output.find("polled c\n"), std::string::npos);
  EXPECT_EQ(ws.read(".sluice/runs/" + r->run.id + "/w.log"), "worker w\n");
  // Every stage's final state reached the database (transitions are committed in groups).
  auto store = store::StateStore::open(ws.dir.path() / ".sluice");
  ASSERT_TRUE(store.has_value());
  auto stages = (*store)->stages_of(r->run.id);
  ASSERT_TRUE(stages.has_value());
  ASSERT_EQ(stages->size(), 4u);
  for (const auto& s : *stages) EXPECT_EQ(s.status, store::StageStatus::success) << s.name;
}

TEST(Runner, AWorkerStageFailureCancelsPolledStagesWithCancelOnFailure) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
defaults: { shell: sh, kill_grace: 200ms }
stages:
  slow: { run: "sleep 23.6 & sleep 23.6" }
  w: { run: "fail" }
)"));
  ws.pipeline.stages[1].kind = pipeline::StageKind::validate;
  WorkerExecutor worker;
  RunOptions o;
  o.jobs = 2;
  o.cancel_on_failure = true;
  RecordingSink sink;
  auto t0 = std::chrono::steady_clock::now();
  auto r = ws.run(o, sink, nullptr, {{pipeline::StageKind::validate, &worker}});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(status_of(*r, "w"), "failed");
  EXPECT_EQ(status_of(*r, "slow"), "cancelled");
  EXPECT_EQ(count_processes_with("sleep 23.6"), 0);
}

TEST(Runner, AStageWhoseShellCannotStartFailsWithTheReason) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
stages:
  broken: { run: "true", shell: /nonexistent/shell, retries: 2 }
  after: { run: "true", shell: sh, needs: [broken] }
  other: { run: "touch other-ran", shell: sh }
)"));
  RunOptions o;
  o.jobs = 1;
  o.keep_going = true;
  auto r = ws.run(o);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const auto& b = record_of(*r, "broken");
  EXPECT_EQ(b.status, store::StageStatus::failed);
  EXPECT_EQ(b.attempts, 3);  // a failure to start is retried like any failure
  ASSERT_TRUE(b.reason.has_value());
  EXPECT_NE(b.reason->find("/nonexistent/shell"), std::string::npos) << *b.reason;
  EXPECT_EQ(status_of(*r, "after"), "skipped");
  EXPECT_EQ(status_of(*r, "other"), "success");
  EXPECT_EQ(ws.read("other-ran"), "");
}

// The pipeline language at run time (docs/pipeline.md): conditions, always(), max_parallel and
// stage outputs handed to dependents, through the cache too.
TEST(Runner, FalseConditionSkipsWithReasonAndAlwaysStillRuns) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"Y(version: 1
defaults: { shell: sh }
stages:
  deploy: { run: "echo deployed > d.txt", if: "git.branch == 'main'" }
  notify: { run: "echo n > n.txt", needs: [deploy] }
  report: { run: "echo r > r.txt", needs: [deploy], if: "always()" }
)Y"));
  RunOptions o;
  o.facts.branch = "feature";
  auto r = ws.run(o);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->run.status, store::RunStatus::success);  // a false condition is no failure
  EXPECT_EQ(status_of(*r, "deploy"), "skipped");
  EXPECT_EQ(*record_of(*r, "deploy").reason, "condition false (if: git.branch == 'main' is false)");
  EXPECT_EQ(*record_of(*r, "notify").reason, "needs \"deploy\" which was skipped (condition false)");
  EXPECT_EQ(status_of(*r, "report"), "success");
  EXPECT_EQ(ws.read("r.txt"), "r\n");
  o.facts.branch = "main";
  r = ws.run(o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(ws.read("d.txt"), "deployed\n");
  EXPECT_EQ(status_of(*r, "notify"), "success");
}

TEST(Runner, StageOutputsReachDependentsAndTheirKeys) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"Y(version: 1
defaults: { shell: sh }
stages:
  build:
    run: |
      echo "version=$(cat VERSION)" >> "$SLUICE_OUTPUT"
      printf 'notes<<END\na\nb\nEND\n' >> "$SLUICE_OUTPUT"
    inputs: [VERSION]
  use:
    needs: [build]
    if: stages.build.outputs.version != '0'
    env: { V: "${{ stages.build.outputs.version }}" }
    run: echo "$V ${{ stages.build.outputs.notes }}" | tr '\n' ' ' > used.txt
    cache: true
    outputs: [used.txt]
)Y"));
  ws.write("VERSION", "1");
  auto r = ws.run({});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(status_of(*r, "use"), "success");
  EXPECT_EQ(ws.read("used.txt"), "1 a b ");
  EXPECT_EQ(*record_of(*r, "build").details, R"({"outputs":{"notes":"a\nb","version":"1"}})");
  r = ws.run({});  // both hit: the cached build hands on the same values
  EXPECT_TRUE(record_of(*r, "build").cache_hit);
  EXPECT_TRUE(record_of(*r, "use").cache_hit);
  ws.write("VERSION", "2");
  r = ws.run({});
  EXPECT_FALSE(record_of(*r, "use").cache_hit);  // a new value changed its key
  EXPECT_EQ(ws.read("used.txt"), "2 a b ");
  ws.write("VERSION", "0");
  r = ws.run({});
  EXPECT_EQ(status_of(*r, "use"), "skipped");  // its `if` read the output
}

TEST(Runner, MalformedOutputFileFailsTheStage) {
  Workspace ws;
  ASSERT_TRUE(ws.load("version: 1\ndefaults: { shell: sh }\nstages:\n  a: { run: 'echo nonsense >> \"$SLUICE_OUTPUT\"' }\n"));
  auto r = ws.run({});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(status_of(*r, "a"), "failed");
  EXPECT_EQ(*record_of(*r, "a").reason, "$SLUICE_OUTPUT line 1: write NAME=value or NAME<<DELIMITER");
}

TEST(Runner, MaxParallelBoundsAMatrix) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"Y(version: 1
defaults: { shell: sh }
stages:
  t:
    matrix: { n: [1, 2, 3] }
    max_parallel: 1
    run: "mkdir held && sleep 0.15 && rmdir held"
  other: { run: "sleep 0.1" }
)Y"));
  RunOptions o;
  o.jobs = 4;
  auto r = ws.run(o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->run.status, store::RunStatus::success);  // never two in "held" at once
  EXPECT_LT(*record_of(*r, "other").started_ms, *record_of(*r, "t[n=1]").ended_ms);  // -j still used
  auto sel = select_stages(ws.pipeline, {"t"});  // --only a matrix's name: all of it
  ASSERT_TRUE(sel.has_value()) << sel.error().message;
  EXPECT_EQ(sel->size(), 3u);
}
