#include "scaffold/scaffold.h"

#include <gtest/gtest.h>

#include "base/files.h"

using namespace sluice;

TEST(Scaffold, YamlQuoteKeepsPlainWordsAndQuotesTheRest) {
  EXPECT_EQ(scaffold::yaml_quote("src/**"), "src/**");
  EXPECT_EQ(scaffold::yaml_quote("true"), "\"true\"");
  EXPECT_EQ(scaffold::yaml_quote("a: b"), "\"a: b\"");
  EXPECT_EQ(scaffold::yaml_quote("*.py"), "\"*.py\"");
  EXPECT_EQ(scaffold::yaml_quote("x\n\"y\""), "\"x\\n\\\"y\\\"\"");
}

TEST(Scaffold, WorkflowJobsBecomeStagesAndTheRestIsListed) {
  auto t = scaffold::translate_workflow(R"(name: ci
on: [push]
env: { GLOBAL: "1" }
jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 15
    env: { MODE: fast }
    steps:
      - uses: actions/checkout@v4
      - name: compile
        run: make ${{ env.MODE }}
  test:
    needs: build
    strategy: { matrix: { os: [a, b] } }
    services: { db: { image: postgres } }
    steps:
      - run: |
          make test
          echo ${{ matrix.os }}
)", "ci.yml", "gh-ci-");
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->stages.size(), 2u);
  EXPECT_EQ(t->stages[0].name, "gh-ci-build");
  EXPECT_EQ(t->stages[0].timeout, "15m");
  EXPECT_NE(t->stages[0].run.find("make ${MODE}"), std::string::npos) << t->stages[0].run;
  ASSERT_EQ(t->stages[0].env.size(), 2u);
  EXPECT_EQ(t->stages[1].needs, std::vector<std::string>{"gh-ci-build"});
  std::string all;
  for (const auto& u : t->untranslated) all += u + "\n";
  EXPECT_NE(all.find("uses: actions/checkout@v4"), std::string::npos) << all;
  EXPECT_NE(all.find("strategy.matrix"), std::string::npos) << all;
  EXPECT_NE(all.find("services"), std::string::npos) << all;
  EXPECT_NE(all.find("${{ matrix.os }}"), std::string::npos) << all;
}

TEST(Scaffold, AGoModuleGetsVetTestBuildAndTheScan) {
  base::TempDir d("sluice-scaffold");
  ASSERT_TRUE(base::atomic_write(d.path() / "go.mod", "module example.com/x\n\ngo 1.21\n"));
  auto s = scaffold::starter_pipeline(d.path());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_NE(s->yaml.find("run: go vet ./..."), std::string::npos) << s->yaml;
  EXPECT_NE(s->yaml.find("run: go test ./..."), std::string::npos) << s->yaml;
  EXPECT_NE(s->yaml.find("$SLUICE_BIN scan ."), std::string::npos) << s->yaml;
  EXPECT_NE(s->yaml.find("# llm:"), std::string::npos) << s->yaml;
}
