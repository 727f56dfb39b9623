#include "secrets/rule_loader.h"

#include "base/testing/shared_data.h"
#include <gtest/gtest.h>

#include "secrets/test_support.h"

namespace sluice::secrets {
namespace {

TEST(RuleLoader, ParsesSluiceRuleWithAllFields) {
  auto set = load_sluice_rules(R"(
[[rule]]
id = "demo"
description = "Demo token"
keywords = ["DEMO_"]
regex = '''(DEMO_[a-z]{8})'''
secret_group = 1
entropy = 2.5
path = '''\.env$'''
example_path = "app/.env"
examples = ['''x=<<DEMO_{{[a-z]:8}}>>''']
counter_examples = ['''DEMO_abc''']
[[rule.allowlist]]
regexes = ['''^DEMO_test''']
regex_target = "match"
condition = "AND"
stopwords = ["Fake"]
)", "demo.toml");
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_EQ(set->rules.size(), 1u);
  const Rule& r = set->rules[0];
  EXPECT_EQ(r.id, "demo");
  EXPECT_EQ(r.keywords, std::vector<std::string>{"demo_"});
  EXPECT_EQ(r.secret_group, 1);
  EXPECT_DOUBLE_EQ(*r.entropy, 2.5);
  EXPECT_EQ(r.path, "\\.env$");
  EXPECT_EQ(r.example_path, "app/.env");
  ASSERT_EQ(r.allowlists.size(), 1u);
  EXPECT_EQ(r.allowlists[0].regex_target, RegexTarget::match);
  EXPECT_EQ(r.allowlists[0].condition, Condition::all);
  EXPECT_EQ(r.allowlists[0].stopwords, std::vector<std::string>{"fake"});
  ASSERT_EQ(r.examples.size(), 1u);
  ASSERT_TRUE(r.examples[0].secret);
  EXPECT_EQ(r.examples[0].text, "x=" + *r.examples[0].secret);
  EXPECT_EQ(r.examples[0].secret->size(), 13u);
  EXPECT_EQ(r.origin, "demo.toml:2");
}

TEST(RuleLoader, ReportsEveryProblemWithLocation) {
  auto set = load_sluice_rules(R"(
[[rule]]
id = "a"
regex = 'x'
colour = "red"
[[rule]]
description = "no id"
keywords = ["k"]
regex = 'y'
examples = ['y']
counter_examples = ['z']
)", "bad.toml");
  ASSERT_FALSE(set);
  const std::string& m = set.error().message;
  EXPECT_NE(m.find("bad.toml:5:10: rule \"a\": unknown key \"colour\""), std::string::npos) << m;
  EXPECT_NE(m.find("rule \"a\": missing description"), std::string::npos) << m;
  EXPECT_NE(m.find("rule \"a\": needs at least one keyword"), std::string::npos) << m;
  EXPECT_NE(m.find("rule without an id"), std::string::npos) << m;
}

TEST(RuleLoader, TomlSyntaxErrorNamesLine) {
  auto set = load_sluice_rules("[[rule]]\nid = \"x\nfoo", "broken.toml");
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().message.rfind("broken.toml:2:", 0), 0u) << set.error().message;
}

TEST(RuleLoader, ExampleTemplatesAreDeterministicAndFollowTheClass) {
  const std::string a = expand_example_template("ghp_{{[A-Za-z0-9]:36}}!", 42);
  const std::string b = expand_example_template("ghp_{{[A-Za-z0-9]:36}}!", 42);
  const std::string c = expand_example_template("ghp_{{[A-Za-z0-9]:36}}!", 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  ASSERT_EQ(a.size(), 4u + 36u + 1u);
  for (size_t i = 4; i < 40; ++i) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(a[i]))) << a;
  EXPECT_EQ(expand_example_template("{{[a-c]:5}}", 1).find_first_not_of("abc"), std::string::npos);
  EXPECT_EQ(expand_example_template("plain {{ text", 1), "plain {{ text");
}

TEST(RuleLoader, SecretMarkers) {
  auto ex = split_secret_markers("key=<<abc>>;");
  EXPECT_EQ(ex.text, "key=abc;");
  EXPECT_EQ(ex.secret, "abc");
  EXPECT_FALSE(split_secret_markers("no markers").secret);
}

TEST(GitleaksConfig, ParsesRuleAllowlistsAndGlobalAllowlist) {
  auto set = load_gitleaks_config(R"(
title = "t"
[allowlist]
description = "global"
paths = ['''vendor/''']
regexes = ['''EXAMPLE''']
stopwords = ["Dummy"]

[[rules]]
id = "r1"
regex = '''(?i)token\s*=\s*([a-z0-9]{16})'''
secretGroup = 1
entropy = 3.0
keywords = ["Token"]
path = '''\.cfg$'''
tags = ["x"]
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''nosec''']
[[rules.allowlists]]
condition = "AND"
paths = ['''test''']
stopwords = ["fake"]

[[rules]]
id = "old-form"
regex = '''abc'''
[rules.allowlist]
regexes = ['''x''']
)", "g.toml");
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_EQ(set->rules.size(), 2u);
  EXPECT_EQ(set->global_allowlists.size(), 1u);
  EXPECT_EQ(set->global_allowlists[0].stopwords, std::vector<std::string>{"dummy"});
  const Rule& r = set->rules[0];
  EXPECT_EQ(r.secret_group, 1);
  EXPECT_EQ(r.keywords, std::vector<std::string>{"token"});
  ASSERT_EQ(r.allowlists.size(), 2u);
  EXPECT_EQ(r.allowlists[0].regex_target, RegexTarget::line);
  EXPECT_EQ(r.allowlists[1].condition, Condition::all);
  EXPECT_EQ(set->rules[1].allowlists.size(), 1u);
}

TEST(GitleaksConfig, UnsupportedConstructsNameTheRule) {
  auto set = load_gitleaks_config(R"(
[extend]
useDefault = true
[[rules]]
id = "composite"
regex = 'a'
[[rules.required]]
id = "other"
)", "g.toml");
  ASSERT_FALSE(set);
  EXPECT_NE(set.error().message.find("[extend] is not supported"), std::string::npos) << set.error().message;
  EXPECT_NE(set.error().message.find("rule \"composite\": \"required\" (composite rules) is not supported"),
            std::string::npos)
      << set.error().message;
}

TEST(GitleaksConfig, InvalidRegexNamesRuleAtScannerBuild) {
  auto set = load_gitleaks_config("[[rules]]\nid = \"broken\"\nregex = '''(unclosed'''\n", "g.toml");
  ASSERT_TRUE(set);
  auto sc = Scanner::create(std::move(*set));
  ASSERT_FALSE(sc);
  EXPECT_NE(sc.error().message.find("g.toml:1: rule \"broken\": regex (unclosed is not supported"), std::string::npos)
      << sc.error().message;
}

TEST(GitleaksConfig, UpstreamDefaultConfigLoadsEveryRule) {
  auto text = base::read_file(testing::gitleaks_config_path());
  SLUICE_REQUIRE_SHARED(text.has_value(), "../shared/data/gitleaks/gitleaks.toml");
  auto set = load_gitleaks_config(*text, "gitleaks.toml");
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->rules.size(), 222u);
  auto sc = testing::gitleaks_scanner();
  ASSERT_TRUE(sc);
  EXPECT_EQ(sc->rules().rules.size(), 222u);
  // Every rule that Hyperscan could not prefilter is listed (and still confirmed by RE2).
  EXPECT_LE(sc->fallback_rules().size(), 5u);
}

TEST(DefaultRules, LoadAndCountAtLeast150) {
  auto set = default_rules();
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_GE(set->rules.size(), 150u);
  std::set<std::string> ids;
  for (const auto& r : set->rules) EXPECT_TRUE(ids.insert(r.id).second) << "duplicate id " << r.id;
}

}  // namespace
}  // namespace sluice::secrets
