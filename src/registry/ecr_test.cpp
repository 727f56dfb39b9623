// The ECR lifecycle evaluator against the worked examples of AWS's documentation, re-typed as
// test data. Source: "Examples of lifecycle policies in Amazon ECR", Amazon ECR User Guide,
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html
// (sections "Filtering on multiple rules" Examples A and B, "Filtering on multiple tags in a
// single rule" Examples A and B, "Filtering on all images" Examples A and B). Images are
// named A, B, C... and pushed N days ago as there.
#include "registry/ecr.h"

#include <set>

#include <gtest/gtest.h>

namespace sluice::registry {
namespace {

constexpr int64_t k_now = 1'700'000'000'000;
constexpr int64_t k_day = 86'400'000;

Image img(const std::string& name, std::vector<std::string> tags, int days_ago) {
  Image i;
  i.digest = "sha256:" + name;
  i.tags = std::move(tags);
  i.created_ms = k_now - days_ago * k_day;
  i.age_source = AgeSource::push_record;
  return i;
}

// The names of the images the policy expires.
std::set<std::string> expired(const std::string& policy, const std::vector<Image>& images) {
  auto p = parse_ecr_policy(policy, "policy.json");
  EXPECT_TRUE(p) << (p ? "" : p.error().message);
  if (!p) return {};
  auto d = decide_ecr(*p, images, k_now);
  std::set<std::string> out;
  for (size_t i = 0; i < images.size(); ++i) {
    bool gone = images[i].tags.empty() ? d[i].remove_untagged : d[i].tags.front().remove;
    for (const auto& t : d[i].tags) EXPECT_EQ(t.remove, gone) << "an expired image goes with all its tags";
    if (gone) out.insert(images[i].digest.substr(7));
  }
  return out;
}

std::string rule(int priority, const std::string& selection) {
  return R"({"rulePriority": )" + std::to_string(priority) + R"(, "description": "Rule )" + std::to_string(priority) +
         R"(", "selection": {)" + selection + R"(}, "action": {"type": "expire"}})";
}

std::string policy(std::initializer_list<std::string> rules) {
  std::string out = R"({"rules": [)";
  bool first = true;
  for (const auto& r : rules) {
    out += (first ? "" : ", ") + r;
    first = false;
  }
  return out + "]}";
}

TEST(EcrExamples, MultipleRulesExampleA) {
  std::vector<Image> repo = {img("A", {"beta-1", "prod-1"}, 10), img("B", {"beta-2", "prod-2"}, 9),
                             img("C", {"beta-3"}, 8)};
  auto p = policy({rule(1, R"("tagStatus": "tagged", "tagPrefixList": ["prod"], "countType": "imageCountMoreThan", "countNumber": 1)"),
                   rule(2, R"("tagStatus": "tagged", "tagPrefixList": ["beta"], "countType": "imageCountMoreThan", "countNumber": 1)")});
  // Rule 2 marks A and B, but both were seen by rule 1: only A (rule 1's) is expired.
  EXPECT_EQ(expired(p, repo), (std::set<std::string>{"A"}));
}

TEST(EcrExamples, MultipleRulesExampleB) {
  std::vector<Image> repo = {img("A", {"beta-1", "prod-1"}, 10), img("B", {"beta-2", "prod-2"}, 9),
                             img("C", {"beta-3", "prod-3"}, 8), img("D", {"beta-4"}, 7)};
  auto p = policy({rule(1, R"("tagStatus": "tagged", "tagPrefixList": ["prod"], "countType": "imageCountMoreThan", "countNumber": 1)"),
                   rule(2, R"("tagStatus": "tagged", "tagPrefixList": ["beta"], "countType": "imageCountMoreThan", "countNumber": 1)")});
  // Rule 2 would mark A, B and C; C was kept by rule 1 and cannot be expired by rule 2.
  EXPECT_EQ(expired(p, repo), (std::set<std::string>{"A", "B"}));
}

std::vector<Image> alpha_beta_repo() {
  return {img("A", {"alpha-1"}, 12), img("B", {"beta-1"}, 11), img("C", {"alpha-2", "beta-2"}, 10),
          img("D", {"alpha-3"}, 4), img("E", {"beta-3"}, 3), img("F", {"alpha-4", "beta-4"}, 2)};
}

TEST(EcrExamples, MultipleTagsInOneRuleExampleA) {
  // Both prefixes must be on the image: C and F; only C is older than 5 days.
  auto p = policy({rule(1, R"("tagStatus": "tagged", "tagPrefixList": ["alpha", "beta"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 5)")});
  EXPECT_EQ(expired(p, alpha_beta_repo()), (std::set<std::string>{"C"}));
}

TEST(EcrExamples, MultipleTagsInOneRuleExampleB) {
  auto p = policy({rule(1, R"("tagStatus": "tagged", "tagPrefixList": ["alpha", "beta"], "countType": "imageCountMoreThan", "countNumber": 1)")});
  EXPECT_EQ(expired(p, alpha_beta_repo()), (std::set<std::string>{"C"}));
}

TEST(EcrExamples, AllImagesExampleA) {
  std::vector<Image> repo = {img("A", {"alpha-1"}, 4), img("B", {"beta-1"}, 3), img("C", {}, 2),
                             img("D", {"alpha-2"}, 1)};
  auto p = policy({rule(1, R"("tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1)")});
  EXPECT_EQ(expired(p, repo), (std::set<std::string>{"A", "B", "C"}));
}

TEST(EcrExamples, AllImagesExampleB) {
  std::vector<Image> repo = {img("A", {"alpha-1", "beta-1", "gamma-1"}, 4), img("B", {"beta-2"}, 3),
                             img("C", {}, 2), img("D", {"alpha-2"}, 1)};
  auto p = policy({rule(1, R"("tagStatus": "tagged", "tagPrefixList": ["alpha"], "countType": "imageCountMoreThan", "countNumber": 1)"),
                   rule(2, R"("tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1)"),
                   rule(3, R"("tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1)")});
  // Rule 1 expires A, rule 2 expires C, rule 3 keeps the newest (D) and may expire only B.
  EXPECT_EQ(expired(p, repo), (std::set<std::string>{"A", "B", "C"}));
}

TEST(EcrExamples, FilteringOnImageAgeWithAPattern) {
  // "Filtering on image age": tagPatternList ["prod*"], sinceImagePushed 14 days.
  std::vector<Image> repo = {img("A", {"prod-1"}, 20), img("B", {"prod-2"}, 10), img("C", {"beta-1"}, 30),
                             img("D", {"production"}, 15)};
  auto p = policy({rule(1, R"("tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14)")});
  EXPECT_EQ(expired(p, repo), (std::set<std::string>{"A", "D"}));
}

TEST(Ecr, UnknownAgeIsNeverExpiredByAgeOrCount) {
  std::vector<Image> repo = {img("A", {"a"}, 40), img("B", {"b"}, 30)};
  repo[1].created_ms.reset();
  repo[1].age_note = "no timestamp";
  auto age = policy({rule(1, R"("tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1)")});
  EXPECT_EQ(expired(age, repo), (std::set<std::string>{"A"}));
  auto count = policy({rule(1, R"("tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1)")});
  EXPECT_EQ(expired(count, repo), (std::set<std::string>{"A"}));
}

TEST(Ecr, InvalidDocumentsNameFileLineColumn) {
  struct Case {
    std::string text;
    const char* want;
  };
  for (const Case& c : {
           Case{policy({rule(1, R"("tagStatus": "tagged", "countType": "imageCountMoreThan", "countNumber": 1)")}),
                "needs tagPrefixList or tagPatternList"},
           Case{policy({rule(1, R"("tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1)"),
                        rule(2, R"("tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1)")}),
                "must have the highest rulePriority"},
           Case{policy({rule(1, R"("tagStatus": "untagged", "countType": "sinceImagePushed", "countNumber": 1)")}),
                "needs \"countUnit\""},
           Case{policy({rule(1, R"("tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1)"),
                        rule(1, R"("tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 2)")}),
                "used twice"},
           Case{policy({rule(1, R"("tagStatus": "untagged", "countTyp": "imageCountMoreThan", "countNumber": 1)")}),
                "policy.json:1:"},
           Case{"{\"rules\": []}", "non-empty"},
       }) {
    auto p = parse_ecr_policy(c.text, "policy.json");
    ASSERT_FALSE(p) << c.text;
    EXPECT_NE(p.error().message.find(c.want), std::string::npos) << c.text << "\n got: " << p.error().message;
    EXPECT_NE(p.error().message.find("policy.json:"), std::string::npos) << p.error().message;
  }
}

}  // namespace
}  // namespace sluice::registry
