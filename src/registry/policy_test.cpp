#include "registry/policy.h"

#include <gtest/gtest.h>

namespace sluice::registry {
namespace {

TEST(Policy, ParsesTheIssuesExample) {
  auto p = parse_policy(R"(keep: [{tags: ["v*", "release-*"]}, {newest: 5}, {younger_than: 14d}]
delete: [{untagged: true}, {tags: ["pr-*"], older_than: 3d}]
protect_tags: [latest, stable]
max_deletions: 50
)", "p.yml");
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->keep.size(), 3u);
  EXPECT_EQ(p->keep[0].tags, (std::vector<std::string>{"v*", "release-*"}));
  EXPECT_EQ(*p->keep[1].newest, 5);
  EXPECT_EQ(p->keep[2].younger_than->count(), 14LL * 86'400'000);
  ASSERT_EQ(p->del.size(), 2u);
  EXPECT_TRUE(p->del[0].untagged);
  EXPECT_EQ(p->del[1].older_than->count(), 3LL * 86'400'000);
  EXPECT_EQ(p->protect_tags, (std::vector<std::string>{"latest", "stable"}));
  EXPECT_EQ(*p->max_deletions, 50);
  EXPECT_EQ(p->del[1].label, "delete rule 2 (p.yml:2:28): {tags: [pr-*], older_than: 3d}");
}

// Every bad policy is an error that names file:line:col, all of them at once.
TEST(Policy, BadPoliciesNameFileLineColumn) {
  struct Case {
    const char* text;
    const char* want;
  };
  for (const Case& c : {
           Case{"keep: [{tagz: [a]}]\n", "p.yml:1:9: unknown key \"tagz\" (did you mean \"tags\"?)"},
           Case{"delete: [{tags: [pr-*], older_than: 3x}]\n", "p.yml:1:37: \"older_than\": invalid duration"},
           Case{"delete: [{tags: [pr-*], older_than: 3}]\n", "missing unit"},
           Case{"keep: [{newest: 0}]\n", "p.yml:1:17: \"newest\" must be an integer >= 1"},
           Case{"max_deletions: -1\n", "p.yml:1:16: \"max_deletions\" must be an integer >= 0"},
           Case{"protect_tags: [latest]\ndelete: [{tags: [latest]}]\n",
                "p.yml:2:17: contradictory rules: this delete rule can never delete anything: protect_tags \"latest\""},
           Case{"keep: [{tags: [\"v*\"]}]\ndelete: [{tags: [\"v1*\"]}]\n", "contradictory rules"},
           Case{"delete: [{untagged: true, tags: [a]}]\n", "untagged images have none"},
           Case{"delete: [{}]\n", "p.yml:1:10: this delete rule would delete every tag"},
           Case{"keep: [{newest: 2, younger_than: 1d}]\n", "not both"},
           Case{"kep: []\n", "p.yml:1:1: unknown key \"kep\" (did you mean \"keep\"?)"},
           Case{"delete: {tags: [a]}\n", "\"delete\" must be a list of rules"},
           Case{"", "p.yml:1:1: the policy is empty"},
       }) {
    auto p = parse_policy(c.text, "p.yml");
    ASSERT_FALSE(p) << c.text;
    EXPECT_EQ(p.error().code, ErrorCode::invalid_input);
    EXPECT_NE(p.error().message.find(c.want), std::string::npos) << c.text << "\n got: " << p.error().message;
  }
}

TEST(Policy, NotEveryOverlapIsAContradiction) {
  // keep v* does not cover every tag "*-rc" names, and keep {tags, newest} keeps only some.
  EXPECT_TRUE(parse_policy("keep: [{tags: [\"v*\"]}]\ndelete: [{tags: [\"*-rc\"]}]\n", "p.yml"));
  EXPECT_TRUE(parse_policy("keep: [{tags: [\"pr-*\"], newest: 3}]\ndelete: [{tags: [\"pr-*\"]}]\n", "p.yml"));
}

}  // namespace
}  // namespace sluice::registry
