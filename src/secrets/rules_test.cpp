// Every default rule against its own examples: the same check as `sluice secrets rules check`.
#include <gtest/gtest.h>

#include "secrets/output.h"
#include "secrets/test_support.h"

namespace sluice::secrets {
namespace {

TEST(DefaultRules, EveryRuleMatchesItsExamplesAndNotItsCounterExamples) {
  auto sc = testing::default_scanner();
  const RuleCheck check = check_rule_examples(*sc);
  EXPECT_GE(check.rules, 300u);
  EXPECT_GE(check.examples, check.rules);
  EXPECT_GE(check.counter_examples, check.rules);
  for (const auto& f : check.failures) ADD_FAILURE() << f;
  EXPECT_TRUE(sc->fallback_rules().empty()) << "default rules must all be prefiltered by Hyperscan";
}

TEST(DefaultRules, EveryRuleHasTwoExamplesAndACounterExample) {
  auto sc = testing::default_scanner();
  for (const Rule& r : sc->rules().rules) {
    EXPECT_GE(r.examples.size(), 2u) << r.id << " (" << r.origin << ")";
    EXPECT_GE(r.counter_examples.size(), 1u) << r.id << " (" << r.origin << ")";
    if (r.examples.size() >= 2) {
      EXPECT_NE(r.examples[0].text, r.examples[1].text) << r.id;
    }
    // A rule limited to some file names scans its examples as one of them.
    if (!r.path.empty()) {
      EXPECT_FALSE(r.example_path.empty()) << r.id;
    }
  }
}

TEST(DefaultRules, PathRulesOnlyFireOnTheirFiles) {
  auto sc = testing::default_scanner();
  for (const Rule& r : sc->rules().rules) {
    if (r.path.empty() || r.regex.empty()) continue;
    for (const auto& ex : r.examples) {
      for (const Finding& f : sc->scan(ex.text, "src/main.c")) EXPECT_NE(f.rule_id, r.id) << ex.text;
    }
  }
}

TEST(DefaultRules, CheckDetectsABrokenExample) {
  auto sc = testing::scanner_from(R"(
[[rule]]
id = "tok"
description = "t"
keywords = ["tok_"]
regex = '''\b(tok_[a-z0-9]{12})\b'''
examples = ['''<<tok_{{[a-z0-9]:11}}>>''']
counter_examples = ['''tok_{{[a-z0-9]:12}}''']
)");
  ASSERT_TRUE(sc);
  const RuleCheck check = check_rule_examples(*sc);
  ASSERT_EQ(check.failures.size(), 2u);
  EXPECT_NE(check.failures[0].find("tok: example #1 is not reported"), std::string::npos);
  EXPECT_NE(check.failures[1].find("tok: counter-example #1 is reported"), std::string::npos);
}

TEST(Output, PreviewNeverShowsTheSecret) {
  EXPECT_EQ(secret_preview("ghp_abcdefghijklmnop"), "ghp_*****");
  EXPECT_EQ(secret_preview("abcdefgh"), "ab*****");
  EXPECT_EQ(secret_preview("abc"), "*****");
}

TEST(Output, SarifHasRequiredFields) {
  Finding f;
  f.rule_id = "r";
  f.path = "a.txt";
  f.line = 3;
  f.column = 5;
  f.start = 10;
  f.end = 20;
  f.secret = "0123456789";
  f.fingerprint = "fp";
  RuleSet rules;
  Rule rule;
  rule.id = "r";
  rule.description = "desc";
  rules.rules.push_back(rule);
  const std::string s = findings_sarif(std::span(&f, 1), rules);
  EXPECT_NE(s.find("\"version\": \"2.1.0\""), std::string::npos);
  EXPECT_NE(s.find("\"startLine\": 3"), std::string::npos);
  EXPECT_NE(s.find("\"uri\": \"a.txt\""), std::string::npos);
  EXPECT_EQ(s.find("0123456789"), std::string::npos);
}

}  // namespace
}  // namespace sluice::secrets
