#include "review/codeowners.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/strings.h"

namespace sluice::review {
namespace {

std::string data_file(const std::string& name) {
  const char* src = std::getenv("SLUICE_SOURCE_DIR");
  std::ifstream in(std::string(src ? src : ".") + "/src/review/testdata/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every case of the published table (testdata/codeowners_patterns.tsv says where from).
TEST(CodeOwners, PublishedPatternTable) {
  const std::string table = data_file("codeowners_patterns.tsv");
  ASSERT_FALSE(table.empty()) << "testdata/codeowners_patterns.tsv not found (SLUICE_SOURCE_DIR)";
  int cases = 0;
  for (auto line : base::split(table, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto cols = base::split(line, '\t');
    ASSERT_EQ(cols.size(), 3u) << line;
    std::string error;
    auto p = CompiledPattern::compile(cols[0], error);
    ASSERT_EQ(error, "") << cols[0];
    EXPECT_EQ(p.matches(cols[1]), cols[2] == "1") << "pattern " << cols[0] << " path " << cols[1];
    ++cases;
  }
  EXPECT_GT(cases, 140);
}

// GitHub's documented example CODEOWNERS file ("About code owners", Example of a CODEOWNERS
// file), comments shortened: the last matching line wins and an ownerless line un-owns.
TEST(CodeOwners, GitHubDocumentedExample) {
  const std::string text =
      "*       @global-owner1 @global-owner2\n"
      "*.js    @js-owner #This is an inline comment.\n"
      "*.go docs@example.com\n"
      "*.txt @octo-org/octocats\n"
      "/build/logs/ @doctocat\n"
      "docs/*  docs@example.com\n"
      "apps/ @octocat\n"
      "/docs/ @doctocat\n"
      "/scripts/ @doctocat @octocat\n"
      "**/logs @octocat\n"
      "/apps/ @octocat\n"
      "/apps/github\n";
  base::Diagnostics diags;
  RuleSet rules(parse_codeowners(text, "CODEOWNERS", diags), diags);
  ASSERT_TRUE(diags.empty());
  auto owners = [&](const char* path) {
    const OwnerRule* r = rules.last_match(path);
    return r ? base::join(r->owners, " ") : std::string("-");
  };
  EXPECT_EQ(owners("README.md"), "@global-owner1 @global-owner2");
  EXPECT_EQ(owners("src/app.js"), "@js-owner");
  EXPECT_EQ(owners("main.go"), "docs@example.com");
  EXPECT_EQ(owners("build/logs/a/b.log"), "@octocat");        // **/logs is later than /build/logs/
  EXPECT_EQ(owners("docs/getting-started.md"), "@doctocat");  // /docs/ comes later than docs/*
  EXPECT_EQ(owners("deeply/nested/logs/x"), "@octocat");
  EXPECT_EQ(owners("apps/web/index.html"), "@octocat");
  EXPECT_EQ(owners("apps/github/index.html"), "");  // matched by an ownerless line
  EXPECT_FALSE(rules.owned("apps/github/index.html"));
  EXPECT_TRUE(rules.owned("apps/web/index.html"));
}

TEST(CodeOwners, LastMatchingLineWins) {
  base::Diagnostics diags;
  RuleSet rules(parse_codeowners("k8s/ @ops\nk8s/dev/\nk8s/dev/secrets.yaml @sec\n", "C", diags),
                diags);
  EXPECT_TRUE(rules.owned("k8s/prod/app.yaml"));
  EXPECT_FALSE(rules.owned("k8s/dev/app.yaml"));
  EXPECT_TRUE(rules.owned("k8s/dev/secrets.yaml"));
  EXPECT_FALSE(rules.owned("src/main.cc"));
}

TEST(CodeOwners, NegationAndRangesRejectedWithPosition) {
  base::Diagnostics diags;
  RuleSet rules(parse_codeowners("# c\n!k8s/ @a\n  deploy/[ab].yaml @b\nok/ @c\nf\\[x\\] @d\n",
                                 ".github/CODEOWNERS", diags),
                diags);
  ASSERT_EQ(diags.size(), 2u);
  EXPECT_EQ(diags[0].to_string().rfind(".github/CODEOWNERS:2:1: \"!k8s/\": negation", 0), 0u)
      << diags[0].to_string();
  EXPECT_EQ(diags[1].to_string().rfind(
                ".github/CODEOWNERS:3:3: \"deploy/[ab].yaml\": character ranges", 0),
            0u)
      << diags[1].to_string();
  EXPECT_TRUE(rules.owned("ok/x"));
  EXPECT_TRUE(rules.owned("f[x]"));  // escaped brackets are literal
}

TEST(CodeOwners, EscapedHashAndBlanks) {
  base::Diagnostics diags;
  RuleSet rules(parse_codeowners("\\#notes.md @a\n", "C", diags), diags);
  EXPECT_TRUE(rules.owned("#notes.md"));
}

}  // namespace
}  // namespace sluice::review
