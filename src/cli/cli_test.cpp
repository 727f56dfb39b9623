// The command line in-process: argument handling, -C, how the pipeline and its llm: sections
// are loaded and reported, and exit codes (0 ok, 1 failed, 2 usage or input error).
#include "cli/cli.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "base/files.h"
#include "cli/ci.h"

using namespace sluice;
namespace fs = std::filesystem;

namespace {

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `sluice args...` in this process, capturing stdout and stderr; restores the directory.
Result run_sluice(const std::vector<std::string>& args) {
  std::string name = "sluice";
  std::vector<std::string> copy = args;  // argv is char*, not const
  std::vector<char*> argv{name.data()};
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const fs::path cwd = fs::current_path();
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  Result r;
  r.code = cli::run(static_cast<int>(argv.size() - 1), argv.data());
  std::fflush(stdout);
  std::fflush(stderr);
  r.out = ::testing::internal::GetCapturedStdout();
  r.err = ::testing::internal::GetCapturedStderr();
  fs::current_path(cwd);
  return r;
}

struct Dir {
  base::TempDir dir{"sluice-cli-test"};
  std::string file(const std::string& rel, const std::string& content) {
    auto w = base::atomic_write(dir.path() / rel, content);
    if (!w) throw std::runtime_error(w.error().message);
    return (dir.path() / rel).string();
  }
  std::string path() const { return dir.path().string(); }
};

const char* k_ok = "version: 1\ndefaults: { shell: sh }\nstages:\n  a: { run: \"true\" }\n  b: { run: \"true\", needs: [a] }\n";

}  // namespace

TEST(Cli, UnknownCommandIsAUsageErrorWithAHint) {
  auto r = run_sluice({"rnu"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown command \"rnu\" (did you mean \"run\"?)"), std::string::npos) << r.err;
}

// Issue 22: bare `sluice` shows the commands (exit 0, as git, cargo and kubectl); options
// without a command are still a usage error, with the overview on stderr.
TEST(Cli, BareSluicePrintsAnOverviewAndOptionsWithoutACommandAreAUsageError) {
  auto bare = run_sluice({});
  EXPECT_EQ(bare.code, 0);
  EXPECT_NE(bare.out.find("usage: sluice [-C DIR] COMMAND"), std::string::npos) << bare.out;
  EXPECT_NE(bare.out.find("  run "), std::string::npos) << bare.out;
  EXPECT_EQ(bare.err, "");
  Dir d;
  auto no_command = run_sluice({"-C", d.path()});
  EXPECT_EQ(no_command.code, 2);
  EXPECT_NE(no_command.err.find("sluice: a command is required"), std::string::npos) << no_command.err;
}

TEST(Cli, VersionAndHelpExitZero) {
  auto v = run_sluice({"--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("sluice "), std::string::npos);
  auto h = run_sluice({"--help"});
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("plan"), std::string::npos);
}

TEST(Cli, AnUnknownOptionIsAUsageError) {
  EXPECT_EQ(run_sluice({"plan", "--no-such-option"}).code, 2);
}

TEST(Cli, DashCRunsTheCommandInThatDirectoryBeforeOrAfterIt) {
  Dir d;
  d.file("sluice.yml", k_ok);
  auto before = run_sluice({"-C", d.path(), "graph"});
  EXPECT_EQ(before.code, 0) << before.err;
  EXPECT_NE(before.out.find("b [run]  <- a"), std::string::npos) << before.out;
  auto after = run_sluice({"graph", "-C", d.path()});
  EXPECT_EQ(after.code, 0) << after.err;
  EXPECT_EQ(after.out, before.out);
}

TEST(Cli, DashCWithAMissingDirectoryIsAUsageErrorAndRunsNothing) {
  Dir d;
  auto r = run_sluice({"-C", d.path() + "/missing", "graph"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("-C: " + d.path() + "/missing: No such file or directory"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(Cli, AnInvalidPipelineIsExitTwoWithEveryError) {
  Dir d;
  auto f = d.file("sluice.yml", "version: 1\nstages:\n  a: { run: x, nedds: [b] }\n  b: { runn: y }\n");
  auto r = run_sluice({"plan", "-f", f});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean \"needs\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean \"run\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("errors in"), std::string::npos) << r.err;
}

TEST(Cli, LlmErrorsComeWithTheLoadersInFileOrder) {
  Dir d;
  auto f = d.file("sluice.yml", R"(version: 1
llm:
  providers:
    tape: { kind: replay, cassettes: c, model: m }
stages:
  gen:
    llm: { provider: tpae, prompt: hi }
  b: { runn: y }
)");
  auto r = run_sluice({"plan", "-f", f});
  EXPECT_EQ(r.code, 2);
  const auto provider = r.err.find("tpae");
  const auto key = r.err.find("runn");
  ASSERT_NE(provider, std::string::npos) << r.err;
  ASSERT_NE(key, std::string::npos) << r.err;
  EXPECT_LT(provider, key) << r.err;  // line 7 before line 8
  EXPECT_NE(r.err.find("3 errors in"), std::string::npos) << r.err;
}

TEST(Cli, PlanRunsNothingAndExitsZero) {
  Dir d;
  auto f = d.file("sluice.yml", k_ok);
  auto r = run_sluice({"plan", "-f", f});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("2 to run, 0 cached; nothing was run"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d.dir.path() / ".sluice" / "runs"));
}

TEST(Cli, OnlyWithAnUnknownStageIsAUsageError) {
  Dir d;
  auto f = d.file("sluice.yml", k_ok);
  auto r = run_sluice({"plan", "-f", f, "--only", "bb"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean \"b\""), std::string::npos) << r.err;
}

TEST(Cli, RunExitsZeroOnSuccessAndOneOnFailure) {
  Dir d;
  auto ok = d.file("sluice.yml", k_ok);
  auto r = run_sluice({"run", "-f", ok, "--output", "quiet", "-j", "1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("sluice: success in"), std::string::npos) << r.out;

  auto bad = d.file("fail.yml", "version: 1\ndefaults: { shell: sh }\nstages:\n  a: { run: \"exit 3\" }\n");
  auto f = run_sluice({"run", "-f", bad, "--output", "quiet"});
  EXPECT_EQ(f.code, 1) << f.err;
  EXPECT_NE(f.out.find("sluice: failed in"), std::string::npos) << f.out;

  auto runs = run_sluice({"runs", "-f", ok});
  EXPECT_EQ(runs.code, 0) << runs.err;
  EXPECT_NE(runs.out.find("success"), std::string::npos) << runs.out;
  EXPECT_NE(runs.out.find("failed"), std::string::npos) << runs.out;
}

TEST(Cli, ReportWithoutRunsIsAUsageError) {
  Dir d;
  auto f = d.file("sluice.yml", k_ok);
  auto r = run_sluice({"report", "-f", f});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no runs recorded"), std::string::npos) << r.err;
  auto runs = run_sluice({"runs", "-f", f});
  EXPECT_EQ(runs.code, 0);
  EXPECT_NE(runs.out.find("no runs recorded"), std::string::npos) << runs.out;
}

TEST(Cli, ABadChoiceOfOutputIsAUsageError) {
  Dir d;
  auto f = d.file("sluice.yml", k_ok);
  EXPECT_EQ(run_sluice({"run", "-f", f, "--output", "loud"}).code, 2);
  EXPECT_EQ(run_sluice({"run", "-f", f, "-j", "0"}).code, 2);
}

namespace {

const char* k_replay_pipeline = R"(version: 1
llm:
  providers:
    tape: { kind: replay, cassettes: cassettes, model: gpt-4o-mini }
stages:
  gen:
    llm: { provider: tape, prompt: hi }
)";

// Sets an environment variable for one test.
struct ScopedEnv {
  std::string name;
  ScopedEnv(std::string n, const std::string& value) : name(std::move(n)) { ::setenv(name.c_str(), value.c_str(), 1); }
  ~ScopedEnv() { ::unsetenv(name.c_str()); }
};

}  // namespace

TEST(Cli, TheProviderComesFromTheFlagThenSluiceProviderThenTheStage) {
  Dir d;
  auto f = d.file("sluice.yml", k_replay_pipeline);
  ScopedEnv env("SLUICE_PROVIDER", "nosuch");
  auto from_env = run_sluice({"run", "-f", f, "--no-cache"});
  // A provider the pipeline does not define is a usage error, found before anything runs.
  EXPECT_EQ(from_env.code, 2);
  EXPECT_NE(from_env.err.find("SLUICE_PROVIDER \"nosuch\": no such LLM provider"), std::string::npos) << from_env.err;
  // The flag wins over the environment: the stage then reaches the replay provider (which has
  // no cassette for this prompt: a different failure).
  auto from_flag = run_sluice({"run", "-f", f, "--no-cache", "--provider", "tape"});
  EXPECT_EQ(from_flag.code, 1);
  EXPECT_EQ(from_flag.out.find("nosuch"), std::string::npos) << from_flag.out;
}

TEST(Cli, RecordWithOnlyTheReplayProviderFailsTheStage) {
  Dir d;
  auto f = d.file("sluice.yml", k_replay_pipeline);
  auto r = run_sluice({"run", "-f", f, "--record"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("--record needs a real provider"), std::string::npos) << r.out;
}

TEST(Ci, FindsFileLineColumnLinesInALog) {
  auto f = sluice::cli::ci::findings_in_log(
      "  | k8s/app.yaml:3:5: error: missing limits [rule]\nplain text: 1:2: no\nsrc/a.py:10:1: warning: x\n"
      "error: nothing:here\nnote 12:3: prose\n", 10);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].path, "k8s/app.yaml");
  EXPECT_EQ(f[0].line, 3);
  EXPECT_EQ(f[0].column, 5);
  EXPECT_FALSE(f[0].warning);
  EXPECT_EQ(f[0].message, "error: missing limits [rule]");
  EXPECT_TRUE(f[1].warning);
  EXPECT_EQ(sluice::cli::ci::findings_in_log("a:1:1: x\nb:2:2: y\n", 1).size(), 1u);
}

TEST(Ci, EscapesWorkflowCommands) {
  EXPECT_EQ(sluice::cli::ci::gh_data("50%\r\nnext"), "50%25%0D%0Anext");
  EXPECT_EQ(sluice::cli::ci::gh_property("a:b,c"), "a%3Ab%2Cc");
}
