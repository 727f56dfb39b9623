#include "engine/step_cache.h"

#include <gtest/gtest.h>

#include <utime.h>

#include <filesystem>

#include "engine/test_util.h"

using namespace sluice;
using namespace sluice::engine;
using namespace sluice::engine::testing;

namespace {
const char* k_pipeline = R"(version: 1
env: { MODE: %s }
stages:
  gen:
    shell: sh
    run: "cat src/*.txt > gen.txt; echo ran >> gen-runs"
    inputs: ["src/*.txt"]
    outputs: [gen.txt]
  use:
    shell: sh
    needs: [gen]
    run: "%s"
    inputs: [gen.txt]
    outputs: [use.txt]
)";

std::string pipeline_text(const std::string& mode, const std::string& cmd) {
  char buf[1024];
  std::snprintf(buf, sizeof buf, k_pipeline, mode.c_str(), cmd.c_str());
  return buf;
}

bool hit(const RunResult& r, const std::string& stage) { return record_of(r, stage).cache_hit; }
}  // namespace

TEST(StepCache, HitRestoresOutputsWithoutRunning) {
  Workspace ws;
  ws.write("src/a.txt", "alpha\n");
  ASSERT_TRUE(ws.load(pipeline_text("x", "wc -c < gen.txt > use.txt; echo ran >> use-runs")));
  auto r1 = ws.run();
  ASSERT_TRUE(r1.has_value()) << r1.error().message;
  EXPECT_FALSE(hit(*r1, "gen"));
  std::filesystem::remove(ws.dir.path() / "gen.txt");
  std::filesystem::remove(ws.dir.path() / "use.txt");
  auto r2 = ws.run();
  ASSERT_TRUE(r2.has_value());
  EXPECT_TRUE(hit(*r2, "gen"));
  EXPECT_TRUE(hit(*r2, "use"));
  EXPECT_EQ(ws.read("gen.txt"), "alpha\n");
  EXPECT_EQ(ws.read("use.txt"), "6\n");
  EXPECT_EQ(ws.read("gen-runs"), "ran\n");
  EXPECT_EQ(ws.read("use-runs"), "ran\n");
}

TEST(StepCache, ChangingAnyPartOfTheKeyReruns) {
  Workspace ws;
  ws.write("src/a.txt", "alpha\n");
  ASSERT_TRUE(ws.load(pipeline_text("x", "cat gen.txt > use.txt")));
  ASSERT_TRUE(ws.run().has_value());
  auto again = ws.run();
  ASSERT_TRUE(again && hit(*again, "gen") && hit(*again, "use"));

  // 1. input content, same size and same mtime (the racy case the stat fast path must not miss)
  ws.write("src/a.txt", "alphA\n");
  auto r = ws.run();
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(hit(*r, "gen"));
  EXPECT_FALSE(hit(*r, "use")) << "dependent must re-run when its need's output changed";
  EXPECT_EQ(ws.read("use.txt"), "alphA\n");

  // 2. a new file matching the input glob
  ws.write("src/b.txt", "beta\n");
  r = ws.run();
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(hit(*r, "gen"));

  // 3. the command
  ASSERT_TRUE(ws.load(pipeline_text("x", "cat gen.txt gen.txt > use.txt")));
  r = ws.run();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(hit(*r, "gen"));
  EXPECT_FALSE(hit(*r, "use"));

  // 4. the environment
  ASSERT_TRUE(ws.load(pipeline_text("y", "cat gen.txt gen.txt > use.txt")));
  r = ws.run();
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(hit(*r, "gen"));
  EXPECT_FALSE(hit(*r, "use"));

  // 5. unchanged: everything hits
  r = ws.run();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(hit(*r, "gen"));
  EXPECT_TRUE(hit(*r, "use"));

  // 6. --no-cache
  RunOptions o;
  o.no_cache = true;
  r = ws.run(o);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(hit(*r, "gen"));
}

TEST(StepCache, OldFileEditedInPlaceWithRestoredMtimeIsStillSeen) {
  Workspace ws;
  ws.write("src/a.txt", "alpha\n");
  // Age the file so the stat fast path trusts it.
  struct utimbuf old {1000000000, 1000000000};
  ::utime((ws.dir.path() / "src/a.txt").c_str(), &old);
  ASSERT_TRUE(ws.load(pipeline_text("x", "cat gen.txt > use.txt")));
  ASSERT_TRUE(ws.run().has_value());
  // Same size, mtime put back: ctime still changes, so it must re-run.
  ws.write("src/a.txt", "ALPHA\n");
  ::utime((ws.dir.path() / "src/a.txt").c_str(), &old);
  auto r = ws.run();
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(hit(*r, "gen"));
  EXPECT_EQ(ws.read("gen.txt"), "ALPHA\n");
}

TEST(StepCache, StagesWithoutInputsAreCachedOnlyWhenAsked) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
stages:
  plain: { run: "echo x >> plain-runs", shell: sh }
  opted: { run: "echo x >> opted-runs; echo y > out.txt", shell: sh, cache: true, outputs: [out.txt] }
)"));
  ASSERT_TRUE(ws.run().has_value());
  auto r = ws.run();
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(hit(*r, "plain"));
  EXPECT_TRUE(hit(*r, "opted"));
  EXPECT_EQ(ws.read("plain-runs"), "x\nx\n");
  EXPECT_EQ(ws.read("opted-runs"), "x\n");
}

TEST(StepCache, MissingDeclaredOutputFailsTheStage) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
stages:
  liar: { run: "true", shell: sh, cache: true, outputs: [never.txt] }
)"));
  auto r = ws.run();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(status_of(*r, "liar"), "failed");
  EXPECT_NE(record_of(*r, "liar").reason->find("never.txt"), std::string::npos);
}

TEST(StepCache, DependentsKeyOnTheOutputsTheirNeedsProduced) {
  // `gen` is not cached and rewrites version.txt each run; `pkg` keys only on its own inputs
  // and its need. A need's key alone did not change, so pkg restored the old package.
  Workspace ws;
  ws.write("VERSION", "1\n");
  ws.write("src/main.c", "code\n");
  ASSERT_TRUE(ws.load(R"(version: 1
stages:
  gen:
    shell: sh
    run: "cp VERSION version.txt"
    outputs: [version.txt]
  pkg:
    shell: sh
    needs: [gen]
    run: "cat version.txt src/main.c > pkg.txt"
    inputs: ["src/*.c"]
    outputs: [pkg.txt]
)"));
  ASSERT_TRUE(ws.run().has_value());
  ws.write("VERSION", "2\n");
  auto r2 = ws.run();
  ASSERT_TRUE(r2.has_value());
  EXPECT_FALSE(hit(*r2, "pkg"));
  EXPECT_EQ(ws.read("pkg.txt"), "2\ncode\n");
  // gen reproduces the same output: pkg hits again.
  auto r3 = ws.run();
  ASSERT_TRUE(r3.has_value());
  EXPECT_TRUE(hit(*r3, "pkg"));
}

TEST(StepCache, KeyForDependentsIsTheKeyWithoutOutputs) {
  EXPECT_EQ(StepCache::key_for_dependents("abc", ""), "abc");
  EXPECT_NE(StepCache::key_for_dependents("abc", "d1"), StepCache::key_for_dependents("abc", "d2"));
  EXPECT_NE(StepCache::key_for_dependents("abc", "d1"), "abc");
}

TEST(StepCache, DamagedEntriesAreReportedAndHealed) {
  Workspace ws;
  ws.write("src/a.txt", "alpha\n");
  ASSERT_TRUE(ws.load(pipeline_text("x", "cat gen.txt > use.txt")));
  ASSERT_TRUE(ws.run().has_value());
  // Corrupt every blob: the entries are damaged, the stages run, and the blobs are stored anew.
  for (const auto& e : std::filesystem::recursive_directory_iterator(ws.dir.path() / ".sluice/cas")) {
    if (e.is_regular_file()) ws.write(std::filesystem::relative(e.path(), ws.dir.path()).string(), "garbage");
  }
  std::filesystem::remove(ws.dir.path() / "gen.txt");
  RecordingSink sink;
  auto r2 = ws.run({}, sink);
  ASSERT_TRUE(r2.has_value());
  EXPECT_FALSE(hit(*r2, "gen"));
  EXPECT_EQ(ws.read("gen.txt"), "alpha\n");
  ASSERT_FALSE(sink.warnings.empty());
  EXPECT_NE(sink.warnings[0].find("gen: the cache entry of this stage is damaged (the stored copy of gen.txt"),
            std::string::npos)
      << sink.warnings[0];
  EXPECT_NE(sink.warnings[0].find("is corrupted; it was deleted"), std::string::npos) << sink.warnings[0];
  std::filesystem::remove(ws.dir.path() / "gen.txt");
  auto r3 = ws.run();
  ASSERT_TRUE(r3.has_value());
  EXPECT_TRUE(hit(*r3, "gen"));
  EXPECT_EQ(ws.read("gen.txt"), "alpha\n");
}
