#include "registry/plan.h"

#include <gtest/gtest.h>

namespace sluice::registry {
namespace {

constexpr int64_t k_now = 1'700'000'000'000;
constexpr int64_t k_day = 86'400'000;

Image img(const std::string& digest, std::vector<std::string> tags, std::optional<int> days_ago,
          std::vector<BlobRef> blobs = {}) {
  Image i;
  i.digest = digest;
  i.tags = std::move(tags);
  if (days_ago) {
    i.created_ms = k_now - *days_ago * k_day;
    i.age_source = AgeSource::config_created;
  } else {
    i.age_note = "no timestamp";
  }
  i.blobs = std::move(blobs);
  i.blobs.insert(i.blobs.begin(), BlobRef{digest, 100});
  return i;
}

Plan plan_for(const std::string& yaml, const std::vector<Image>& images) {
  auto p = parse_policy(yaml, "p.yml");
  EXPECT_TRUE(p) << (p ? "" : p.error().message);
  return make_plan("r/app", images, decide(*p, images, k_now));
}

const PlannedImage& find(const Plan& plan, const std::string& digest) {
  for (const auto& p : plan.images) {
    if (p.image.digest == digest) return p;
  }
  throw std::runtime_error("no image " + digest);
}

TEST(Plan, ADigestWithAKeptTagIsUntaggedNotDeleted) {
  auto plan = plan_for("keep: [{tags: [\"v*\"]}]\ndelete: [{tags: [\"pr-*\"]}]\n",
                       {img("d1", {"pr-7", "v1.0"}, 30), img("d2", {"pr-8", "pr-9"}, 30)});
  const auto& a = find(plan, "d1");
  EXPECT_EQ(a.action, Action::untag);
  EXPECT_EQ(a.delete_tags, (std::vector<std::string>{"pr-7"}));
  EXPECT_EQ(a.keep_tags, (std::vector<std::string>{"v1.0"}));
  EXPECT_NE(a.note.find("v1.0"), std::string::npos);
  EXPECT_EQ(find(plan, "d2").action, Action::delete_image);
  EXPECT_EQ(plan.delete_images, 1u);
  EXPECT_EQ(plan.untag_tags, 1u);
  EXPECT_EQ(plan.deletions(), 2u);
  EXPECT_EQ(plan.deleted_tags, 3u);
}

TEST(Plan, KeepAlwaysWinsAndProtectTagsToo) {
  auto plan = plan_for("keep: [{younger_than: 14d}, {newest: 1}]\ndelete: [{tags: [\"*\"], older_than: 1d}]\n"
                       "protect_tags: [stable]\n",
                       {img("new", {"a"}, 20), img("young", {"b"}, 5), img("old", {"c"}, 30),
                        img("prot", {"stable"}, 40)});
  EXPECT_EQ(find(plan, "young").action, Action::keep);
  EXPECT_NE(find(plan, "young").rule.find("keep rule 1"), std::string::npos);
  EXPECT_EQ(find(plan, "new").action, Action::delete_image);  // newest: 1 is "young" (5 days)
  EXPECT_EQ(find(plan, "old").action, Action::delete_image);
  EXPECT_EQ(find(plan, "prot").action, Action::keep);
  EXPECT_EQ(find(plan, "prot").rule, "kept by protect_tags");
}

TEST(Plan, UnknownAgeNeverMatchesOlderThanAndSaysWhy) {
  auto plan = plan_for("delete: [{tags: [\"pr-*\"], older_than: 3d}]\n",
                       {img("none", {"pr-1"}, std::nullopt), img("old", {"pr-2"}, 10)});
  const auto& n = find(plan, "none");
  EXPECT_EQ(n.action, Action::keep);
  EXPECT_NE(n.rule.find("age unknown (no timestamp)"), std::string::npos) << n.rule;
  EXPECT_EQ(find(plan, "old").action, Action::delete_image);
  EXPECT_EQ(plan.unknown_age, 1u);
}

TEST(Plan, AnIndexGoesWithItsChildrenButNeverAKeptIndexsChild) {
  Image idx = img("index1", {"multi-old"}, 30);
  idx.children = {"child-amd64", "child-arm64"};
  Image kept_idx = img("index2", {"v2"}, 30);
  kept_idx.children = {"child-arm64", "child-other"};
  auto plan = plan_for("keep: [{tags: [v2]}]\ndelete: [{tags: [\"multi-*\"]}]\n", {idx, kept_idx});
  const auto& d = find(plan, "index1");
  EXPECT_EQ(d.action, Action::delete_image);
  EXPECT_EQ(d.delete_children, (std::vector<std::string>{"child-amd64"}));
}

TEST(Plan, ATaggedChildOfAKeptIndexIsUntaggedNotDeleted) {
  Image index = img("index", {"v1"}, 30);
  index.children = {"child"};
  Image child = img("child", {"pr-1"}, 30);
  auto plan = plan_for("keep: [{tags: [v1]}]\ndelete: [{tags: [\"pr-*\"]}]\n", {index, child});
  EXPECT_EQ(find(plan, "child").action, Action::untag);
  EXPECT_EQ(plan.delete_images, 0u);
}

TEST(Plan, ReclaimedCountsSharedBlobsOnceAndNeverAKeptImagesBlob) {
  std::vector<Image> images = {img("d1", {"pr-1"}, 30, {{"shared", 1000}, {"own1", 10}}),
                               img("d2", {"pr-2"}, 30, {{"shared", 1000}, {"own2", 20}}),
                               img("d3", {"v1"}, 30, {{"base", 5000}, {"own3", 30}}),
                               img("d4", {"pr-3"}, 30, {{"base", 5000}})};
  auto plan = plan_for("delete: [{tags: [\"pr-*\"]}]\n", images);
  // d1, d2, d4 go: manifests 3 x 100, shared once (1000), own1, own2; "base" stays with d3.
  EXPECT_EQ(plan.bytes_reclaimed, 300 + 1000 + 10 + 20);
  EXPECT_EQ(plan.bytes_total, 400 + 1000 + 10 + 20 + 5000 + 30);
}

TEST(Plan, UntaggedImagesOnlyByAnUntaggedRule) {
  auto plan = plan_for("delete: [{untagged: true}, {tags: [\"x\"]}]\n", {img("u", {}, 1), img("t", {"y"}, 1)});
  EXPECT_EQ(find(plan, "u").action, Action::delete_image);
  EXPECT_EQ(find(plan, "t").action, Action::keep);
}

}  // namespace
}  // namespace sluice::registry
