// The pipeline language at load time: matrix, templates/extends, include, params, if/changes and
// the names expressions may read (docs/pipeline.md).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "pipeline/loader.h"

using namespace sluice::pipeline;
namespace fs = std::filesystem;

namespace {

std::string all(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics) s += d.to_string() + "\n";
  return s;
}

std::vector<std::string> names(const Pipeline& p) {
  std::vector<std::string> out;
  for (const auto& s : p.stages) out.push_back(s.name);
  return out;
}

TEST(Matrix, ExpandsInCartesianOrderAsWritten) {
  auto r = parse_pipeline(R"(version: 1
stages:
  test:
    matrix: { python: ["3.10", "3.11"], os: [debian, alpine] }
    run: echo ${{ matrix.python }} on ${{ matrix.os }}
    env: { PY: "${{ matrix.python }}" }
    inputs: ["src/${{ matrix.os }}/**"]
    max_parallel: 2
  report:
    needs: [test]
    run: echo done
)", "sluice.yml");
  ASSERT_TRUE(r.ok()) << all(r);
  const auto& p = r.pipeline;
  EXPECT_EQ(names(p), (std::vector<std::string>{"test[python=3.10,os=debian]", "test[python=3.10,os=alpine]",
                                                "test[python=3.11,os=debian]", "test[python=3.11,os=alpine]",
                                                "report"}));
  EXPECT_EQ(p.stages[1].run, "echo 3.10 on alpine");
  EXPECT_EQ(p.stages[1].env.at(0).second, "3.10");
  EXPECT_EQ(p.stages[1].inputs.at(0), "src/alpine/**");
  EXPECT_EQ(p.stages[1].matrix_of, "test");
  EXPECT_EQ(p.stages[1].max_parallel, 2);
  EXPECT_EQ(p.stages[0].mark.line, 3);  // every expansion points at the stage as written
  EXPECT_EQ(p.stages[4].needs.size(), 4u);  // needs: [test] is all of them
  EXPECT_EQ(p.stages[4].needs[3], "test[python=3.11,os=alpine]");
}

TEST(Matrix, IncludeAndExcludeAsGitHubActions) {
  auto r = parse_pipeline(R"(version: 1
stages:
  t:
    matrix:
      os: [debian, alpine]
      py: ["3.10", "3.11"]
      exclude: [{ os: alpine, py: "3.10" }]
      include:
        - { os: debian, extra: yes }
        - { os: windows, py: "3.12" }
    run: echo ${{ matrix.os }}
)", "sluice.yml");
  ASSERT_TRUE(r.ok()) << all(r);
  EXPECT_EQ(names(r.pipeline),
            (std::vector<std::string>{"t[os=debian,py=3.10,extra=yes]", "t[os=debian,py=3.11,extra=yes]",
                                      "t[os=alpine,py=3.11]", "t[os=windows,py=3.12]"}));
}

TEST(Matrix, ErrorsPointAtTheSource) {
  auto r = parse_pipeline(R"(version: 1
stages:
  t:
    matrix: { os: [] }
    run: echo
  u:
    matrix: { os: [a] }
    run: echo ${{ matrix.python }}
  v:
    run: echo
    max_parallel: 2
)", "sluice.yml");
  EXPECT_EQ(all(r),
            "sluice.yml:4:19: matrix \"os\" of stage \"t\" must be a non-empty list of values\n"
            "sluice.yml:8:15: \"matrix.python\" is not defined here (the stage's matrix has no such key)\n"
            "sluice.yml:11:19: \"max_parallel\" bounds a matrix's stages: this stage has no \"matrix\"\n");
}

TEST(Templates, DeepMergeStageWinsListsReplaced) {
  auto r = parse_pipeline(R"(version: 1
templates:
  base:
    env: { A: "1", B: "1" }
    inputs: [a, b]
    timeout: 5m
  py:
    extends: base
    env: { B: "2" }
    run: pytest
stages:
  test:
    extends: py
    env: { C: "3" }
    inputs: [c]
  two:
    extends: [base, py]
    run: other
)", "sluice.yml");
  ASSERT_TRUE(r.ok()) << all(r);
  const Stage& t = r.pipeline.stages[0];
  EXPECT_EQ(t.run, "pytest");
  EXPECT_EQ(t.env, (EnvList{{"A", "1"}, {"B", "2"}, {"C", "3"}}));
  EXPECT_EQ(t.inputs, (std::vector<std::string>{"c"}));
  EXPECT_EQ(t.timeout, std::chrono::minutes(5));
  EXPECT_EQ(r.pipeline.stages[1].run, "other");
}

TEST(Templates, CyclesAndUnknownNamesAreErrors) {
  auto r = parse_pipeline(R"(version: 1
templates:
  a: { extends: b, run: x }
  b: { extends: a }
stages:
  s: { extends: a }
  t: { extends: bas, run: y }
)", "sluice.yml");
  EXPECT_EQ(all(r),
            "sluice.yml:4:17: template cycle: a -> b -> a\n"
            "sluice.yml:6:3: stage \"s\" has nothing to do: give it \"run\", \"llm\", \"validate\", \"prune\" or \"push\"\n"
            "sluice.yml:7:17: extends \"bas\": no such template\n");
}

class TempDir {
 public:
  TempDir() {
    m_dir = fs::temp_directory_path() / ("sluice-expand-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  ~TempDir() { fs::remove_all(m_dir); }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((m_dir / rel).parent_path());
    std::ofstream(m_dir / rel) << text;
  }
  [[nodiscard]] fs::path path(const std::string& rel) const { return m_dir / rel; }

 private:
  fs::path m_dir;
};

TEST(Include, MergesTemplatesEnvAndStages) {
  TempDir d;
  d.write("ci/common.yml", "include: [more.yml]\nenv: { A: common, B: common }\ntemplates:\n  t: { run: from-template }\n"
                           "stages:\n  lint: { run: lint }\n");
  d.write("ci/more.yml", "stages:\n  fmt: { run: fmt }\n");
  d.write("sluice.yml", "version: 1\ninclude: [ci/common.yml]\nenv: { B: main }\nstages:\n  test: { extends: t, needs: [lint] }\n");
  auto r = load_pipeline(d.path("sluice.yml"));
  ASSERT_TRUE(r.ok()) << all(r);
  EXPECT_EQ(names(r.pipeline), (std::vector<std::string>{"fmt", "lint", "test"}));
  EXPECT_EQ(r.pipeline.stages[2].run, "from-template");
  EXPECT_EQ(r.pipeline.env, (EnvList{{"A", "common"}, {"B", "main"}}));
  EXPECT_EQ(r.pipeline.stages[1].source_file, d.path("ci/common.yml").string());
}

TEST(Include, ErrorsNameTheIncludedFile) {
  TempDir d;
  d.write("a.yml", "include: [b.yml]\nstages:\n  x: { run: x, nedds: [y] }\n");
  d.write("b.yml", "include: [a.yml]\n");
  d.write("sluice.yml", "version: 1\ninclude: [a.yml, missing.yml, \"https://example.com/x.yml\"]\nstages:\n  y: { run: y }\n");
  auto r = load_pipeline(d.path("sluice.yml"));
  const std::string a = d.path("a.yml").string(), b = d.path("b.yml").string(), m = d.path("sluice.yml").string();
  std::string got = all(r);
  EXPECT_NE(got.find(b + ":1:11: include cycle: " + b + " includes " + a + ", which is already being read"),
            std::string::npos) << got;
  EXPECT_NE(got.find(a + ":3:16: unknown key \"nedds\" (did you mean \"needs\"?)"), std::string::npos) << got;
  EXPECT_NE(got.find(m + ":2:18: include \"missing.yml\": "), std::string::npos) << got;
  EXPECT_NE(got.find(m + ":2:32: include \"https://example.com/x.yml\": only local files can be included (no network)"),
            std::string::npos) << got;
}

TEST(Params, DefaultsFlagsAndErrors) {
  const char* text = R"(version: 1
params:
  environment: { default: staging, values: [staging, prod] }
  region: eu
stages:
  deploy:
    run: deploy --to ${{ params.environment }} in ${{ params.region }}
    if: params.environment == 'prod'
)";
  auto r = parse_pipeline(text, "sluice.yml");
  ASSERT_TRUE(r.ok()) << all(r);
  EXPECT_EQ(r.pipeline.stages[0].run, "deploy --to staging in eu");
  LoadOptions o;
  o.params = {{"environment", "prod"}};
  r = parse_pipeline(text, "sluice.yml", o);
  ASSERT_TRUE(r.ok()) << all(r);
  EXPECT_EQ(r.pipeline.stages[0].run, "deploy --to prod in eu");
  EXPECT_EQ(r.pipeline.param_values.at(0).second, "prod");
  o.params = {{"environment", "qa"}, {"enviroment", "prod"}};
  r = parse_pipeline(text, "sluice.yml", o);
  EXPECT_EQ(all(r),
            "sluice: -p environment=qa: param \"environment\" is one of staging, prod\n"
            "sluice: -p enviroment=prod: sluice.yml declares no param \"enviroment\" (did you mean \"environment\"?)\n");
}

TEST(Conditions, IfAndChangesAreRead) {
  auto r = parse_pipeline(R"(version: 1
stages:
  build:
    run: echo "version=1" >> "$SLUICE_OUTPUT"
  docs:
    changes: ["docs/**"]
    run: make docs
  deploy:
    needs: [build]
    if: git.branch == 'main' && stages.build.outputs.version != ''
    run: deploy ${{ stages.build.outputs.version }}
  report:
    needs: [deploy]
    if: always()
    run: echo
)", "sluice.yml");
  ASSERT_TRUE(r.ok()) << all(r);
  const auto& p = r.pipeline;
  EXPECT_EQ(p.stages[1].changes, (std::vector<std::string>{"docs/**"}));
  ASSERT_TRUE(p.stages[2].condition);
  EXPECT_EQ(p.stages[2].output_needs, (std::vector<std::string>{"build"}));
  EXPECT_TRUE(p.stages[2].has_runtime_placeholders);
  EXPECT_FALSE(p.stages[2].always);
  EXPECT_TRUE(p.stages[3].always);
}

TEST(Conditions, ExpressionErrorsAreLoadErrorsWithLineAndColumn) {
  auto r = parse_pipeline(R"(version: 1
stages:
  a:
    run: echo
    if: git.branch = 'main'
  b:
    if: stages.a.outputs.v == '1' || git.commit == 'x'
    run: echo ${{ stages.a.outputs.v }}
    outputs: ["${{ env.HOME }}/x"]
  c:
    needs: [a]
    if: matrix.os == 'x' || params.nope == 1 || bogus.name
    run: echo
)", "sluice.yml");
  EXPECT_EQ(all(r),
            "sluice.yml:5:20: in \"if\": unexpected \"=\"\n"
            "sluice.yml:7:9: stage \"b\" reads the outputs of \"a\" but does not need it: add needs: [a]\n"
            "sluice.yml:7:9: \"git.commit\": git has branch, tag and event\n"
            "sluice.yml:8:15: stage \"b\" reads the outputs of \"a\" but does not need it: add needs: [a]\n"
            "sluice.yml:9:16: only ${{ matrix.* }} and ${{ params.* }} can be used in \"outputs\": env, git and stage "
            "outputs are known when the stage starts, in run, env, if and push's from and to\n"
            "sluice.yml:12:9: \"matrix.os\" is not defined here (the stage's matrix has no such key)\n"
            "sluice.yml:12:9: \"params.nope\" is not defined here (no such entry in params)\n"
            "sluice.yml:12:9: unknown name \"bogus.name\" (names start with env., matrix., params., git. or stages.)\n");
}

}  // namespace
