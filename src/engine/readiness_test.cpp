#include "engine/readiness.h"

#include <gtest/gtest.h>

#include "pipeline/loader.h"

using namespace sluice;
using namespace sluice::engine;
using store::StageStatus;

namespace {

pipeline::Pipeline parse(const std::string& yaml) {
  auto r = pipeline::parse_pipeline(yaml, "sluice.yml");
  for (const auto& d : r.diagnostics) ADD_FAILURE() << d.to_string();
  return r.pipeline;
}

std::vector<int> all_of(const pipeline::Pipeline& p) {
  std::vector<int> v;
  for (size_t i = 0; i < p.stages.size(); ++i) v.push_back(static_cast<int>(i));
  return v;
}

std::vector<std::string> names(const pipeline::Pipeline& p, const std::vector<Readiness::Skip>& skips) {
  std::vector<std::string> out;
  for (const auto& s : skips) out.push_back(p.stages[static_cast<size_t>(s.stage)].name + ": " + s.reason);
  return out;
}

}  // namespace

TEST(Readiness, ReadyStagesComeInFileOrderAsTheirNeedsFinish) {
  auto p = parse(R"(version: 1
stages:
  c: { run: x, needs: [b] }
  a: { run: x }
  b: { run: x, needs: [a] }
  d: { run: x }
)");
  Readiness r(p, all_of(p), {.jobs = 4}, nullptr);
  EXPECT_EQ(r.next_ready(0), 1);
  EXPECT_EQ(r.next_ready(2), 3);
  r.started(1);
  EXPECT_EQ(r.running(), 1);
  EXPECT_EQ(r.next_ready(0), 3);  // a left the ready set
  EXPECT_TRUE(r.finished(1, StageStatus::success).empty());
  EXPECT_EQ(r.running(), 0);
  EXPECT_EQ(r.next_ready(0), 2);  // b is ready now
  r.started(2);
  (void)r.finished(2, StageStatus::success);
  EXPECT_EQ(r.next_ready(0), 0);  // and c, before d in file order
}

TEST(Readiness, AFailureSkipsEveryDependentDepthFirst) {
  auto p = parse(R"(version: 1
stages:
  a: { run: x }
  b: { run: x, needs: [a] }
  c: { run: x, needs: [b] }
  d: { run: x, needs: [a] }
  e: { run: x }
)");
  Readiness r(p, all_of(p), {.jobs = 2, .keep_going = true}, nullptr);
  r.started(0);
  auto skips = r.finished(0, StageStatus::failed);
  EXPECT_EQ(names(p, skips), (std::vector<std::string>{"b: needs \"a\" which failed",
                                                       "c: needs \"b\" which was skipped",
                                                       "d: needs \"a\" which failed"}));
  EXPECT_EQ(r.status(2), StageStatus::skipped);
  EXPECT_EQ(r.next_ready(0), 4);
  EXPECT_FALSE(r.all_succeeded());
}

TEST(Readiness, ContinueOnErrorLetsDependentsRun) {
  auto p = parse(R"(version: 1
stages:
  a: { run: x, continue_on_error: true }
  b: { run: x, needs: [a] }
)");
  Readiness r(p, all_of(p), {}, nullptr);
  r.started(0);
  EXPECT_TRUE(r.finished(0, StageStatus::failed).empty());
  EXPECT_TRUE(r.succeeded(0));
  EXPECT_EQ(r.next_ready(0), 1);
  EXPECT_FALSE(r.blocker(1));
}

TEST(Readiness, FailFastStopsStartingAndSaysWhyInTheUnstartedReasons) {
  auto p = parse(R"(version: 1
stages:
  a: { run: x }
  b: { run: x }
  c: { run: x, needs: [b] }
)");
  Readiness r(p, all_of(p), {.jobs = 1, .cancel_on_failure = true}, nullptr);
  r.started(0);
  EXPECT_FALSE(r.may_start());  // one job
  (void)r.finished(0, StageStatus::failed);
  EXPECT_TRUE(r.may_start());
  EXPECT_TRUE(r.stage_failed(0));  // --cancel-on-failure: cancel what runs
  EXPECT_TRUE(r.stopping());
  EXPECT_FALSE(r.may_start());
  auto left = r.finish_unstarted();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].stage, 1);
  EXPECT_EQ(left[0].status, StageStatus::skipped);
  EXPECT_EQ(left[0].reason,
            "not started: the run stopped after \"a\" failed (fail-fast; --keep-going runs independent stages)");
  EXPECT_EQ(left[1].stage, 2);
  EXPECT_EQ(left[1].reason, "needs \"b\" which was skipped");
}

TEST(Readiness, KeepGoingNeitherStopsNorCancels) {
  auto p = parse(R"(version: 1
stages:
  a: { run: x }
  b: { run: x }
)");
  Readiness r(p, all_of(p), {.jobs = 2, .keep_going = true, .cancel_on_failure = true}, nullptr);
  r.started(0);
  (void)r.finished(0, StageStatus::failed);
  EXPECT_FALSE(r.stage_failed(0));
  EXPECT_TRUE(r.may_start());
}

TEST(Readiness, AStageThatCannotBePreparedStopsWithoutNamingIt) {
  auto p = parse(R"(version: 1
stages:
  a: { run: x }
  b: { run: x }
)");
  Readiness r(p, all_of(p), {}, nullptr);
  (void)r.finished(0, StageStatus::failed);
  r.could_not_prepare(0);
  EXPECT_TRUE(r.stopping());
  auto left = r.finish_unstarted();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].reason, "not started");
}

TEST(Readiness, InterruptedRunsCancelWhatNeverStarted) {
  auto p = parse(R"(version: 1
stages:
  a: { run: x }
  b: { run: x, needs: [a] }
)");
  Readiness r(p, all_of(p), {}, nullptr);
  r.interrupt();
  EXPECT_FALSE(r.may_start());
  auto left = r.finish_unstarted();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].status, StageStatus::cancelled);
  EXPECT_EQ(left[0].reason, "not started: the run was interrupted");
  EXPECT_EQ(left[1].status, StageStatus::skipped);
  EXPECT_EQ(left[1].reason, "needs \"a\" which was cancelled");
}

TEST(Readiness, LocksAreHeldUntilTheStageFinishes) {
  auto p = parse(R"(version: 1
stages:
  a: { run: x, locks: [db] }
  b: { run: x, locks: [db, other] }
)");
  Readiness r(p, all_of(p), {.jobs = 2}, nullptr);
  EXPECT_EQ(r.take_locks(0), LockResult::acquired);
  r.started(0);
  EXPECT_EQ(r.take_locks(1), LockResult::held_here);
  (void)r.finished(0, StageStatus::success);
  EXPECT_EQ(r.take_locks(1), LockResult::acquired);
}

TEST(Readiness, NeedsOutsideTheSelectionAreIgnored) {
  auto p = parse(R"(version: 1
stages:
  a: { run: x }
  b: { run: x, needs: [a] }
)");
  Readiness r(p, {1}, {}, nullptr);
  EXPECT_EQ(r.next_ready(0), 1);
  r.started(1);
  (void)r.finished(1, StageStatus::success);
  EXPECT_TRUE(r.all_succeeded());
  EXPECT_TRUE(r.finish_unstarted().empty());
}

// Issue 22: deploy needs [test, security]; test failed while security ran, so deploy was skipped
// at once, then made ready again when security ended, and skipped (and printed) a second time.
TEST(Readiness, AStageSkippedEarlyIsNotReadyAgainWhenItsOtherNeedEnds) {
  auto p = parse(R"(version: 1
stages:
  test: { run: x }
  security: { run: x }
  deploy: { run: x, needs: [test, security] }
)");
  Readiness r(p, all_of(p), {.jobs = 4}, nullptr);
  r.started(0);
  r.started(1);
  auto skips = r.finished(0, StageStatus::failed);
  ASSERT_EQ(names(p, skips), (std::vector<std::string>{"deploy: needs \"test\" which failed"}));
  EXPECT_TRUE(r.finished(1, StageStatus::success).empty());
  EXPECT_EQ(r.next_ready(0), std::nullopt);
  EXPECT_TRUE(r.finish_unstarted().empty());
}

TEST(Readiness, AHeldStageTakesNoSlotAndIsCancelledWhenInterrupted) {
  auto p = parse(R"(version: 1
stages:
  gated: { run: x }
  other: { run: x }
)");
  Readiness r(p, all_of(p), {.jobs = 1}, nullptr);
  r.hold(0);
  EXPECT_EQ(r.next_ready(0), 1);  // the held stage is not offered
  EXPECT_TRUE(r.may_start());     // and holds no job slot
  r.started(1);
  (void)r.finished(1, StageStatus::success);
  r.release(0);
  EXPECT_EQ(r.next_ready(0), 0);
  r.hold(0);
  r.interrupt();
  auto u = r.finish_unstarted();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].status, StageStatus::cancelled);
}

TEST(Readiness, AnAdvisoryFailureDoesNotStopItsDependents) {
  auto p = parse(R"(version: 1
stages:
  lint: { run: x, advisory: true }
  after: { run: x, needs: [lint] }
  gate: { run: x }
  deploy: { run: x, needs: [gate] }
)");
  Readiness r(p, all_of(p), {.jobs = 4}, nullptr);
  r.started(0);
  EXPECT_TRUE(r.finished(0, StageStatus::failed_advisory).empty());
  EXPECT_EQ(r.next_ready(0), 1);
  EXPECT_TRUE(r.succeeded(0));
  // A stage awaiting approval: its dependents are skipped, naming it.
  auto skips = r.finished(2, StageStatus::awaiting_approval);
  ASSERT_EQ(skips.size(), 1u);
  EXPECT_EQ(names(p, skips)[0], "deploy: needs \"gate\" which awaits approval");
}
