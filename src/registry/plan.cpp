#include "registry/plan.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "base/glob.h"
#include "base/strings.h"

namespace sluice::registry {

namespace {

bool any_match(const std::vector<std::string>& globs, const std::string& tag) {
  return std::any_of(globs.begin(), globs.end(), [&](const std::string& g) { return base::glob_match(g, tag); });
}

// Newest first; an image of unknown age ranks as the newest of all, so a count never expires it.
std::vector<size_t> by_age(const std::vector<Image>& images, const std::vector<size_t>& which) {
  std::vector<size_t> order = which;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& x = images[a].created_ms;
    const auto& y = images[b].created_ms;
    if (x.has_value() != y.has_value()) return !x.has_value();
    if (x && *x != *y) return *x > *y;
    return images[a].digest < images[b].digest;
  });
  return order;
}

}  // namespace

std::string_view to_string(Action a) {
  switch (a) {
    case Action::keep: return "keep";
    case Action::delete_image: return "delete";
    case Action::untag: return "untag";
  }
  return "keep";
}

std::vector<ImageDecision> decide(const Policy& policy, const std::vector<Image>& images, int64_t now_ms) {
  // Which images each `newest` rule keeps.
  std::vector<std::set<size_t>> newest(policy.keep.size());
  for (size_t k = 0; k < policy.keep.size(); ++k) {
    const auto& rule = policy.keep[k];
    if (!rule.newest) continue;
    std::vector<size_t> selected;
    for (size_t i = 0; i < images.size(); ++i) {
      bool sel = rule.tags.empty() ||
                 std::any_of(images[i].tags.begin(), images[i].tags.end(),
                             [&](const std::string& t) { return any_match(rule.tags, t); });
      if (sel) selected.push_back(i);
    }
    auto order = by_age(images, selected);
    for (size_t n = 0; n < order.size() && int64_t(n) < *rule.newest; ++n) newest[k].insert(order[n]);
  }
  auto age_ms = [&](const Image& img) -> std::optional<int64_t> {
    if (!img.created_ms) return std::nullopt;
    return now_ms - *img.created_ms;
  };
  // The keep rule that keeps `tag` of image i (tag empty: the untagged image), if any.
  auto keeper = [&](size_t i, const std::string& tag) -> const KeepRule* {
    for (size_t k = 0; k < policy.keep.size(); ++k) {
      const auto& rule = policy.keep[k];
      if (!rule.tags.empty() && (tag.empty() || !any_match(rule.tags, tag))) continue;
      if (rule.newest && !newest[k].count(i)) continue;
      if (rule.younger_than) {
        auto age = age_ms(images[i]);
        if (!age || *age >= rule.younger_than->count()) continue;
      }
      return &rule;
    }
    return nullptr;
  };
  // The delete rule that deletes it; `blocked` names a rule that matched but for the unknown age.
  auto deleter = [&](size_t i, const std::string& tag, std::string& blocked) -> const DeleteRule* {
    for (const auto& rule : policy.del) {
      if (tag.empty() != rule.untagged) continue;
      if (!tag.empty() && !rule.tags.empty() && !any_match(rule.tags, tag)) continue;
      if (rule.older_than) {
        auto age = age_ms(images[i]);
        if (!age) {
          if (blocked.empty()) blocked = rule.label;
          continue;
        }
        if (*age <= rule.older_than->count()) continue;
      }
      return &rule;
    }
    return nullptr;
  };
  auto kept_reason = [&](size_t i, const std::string& blocked) {
    if (!blocked.empty()) {
      return fmt::format("kept: age unknown ({}), and {} needs an age", images[i].age_note, blocked);
    }
    return std::string("kept: no delete rule matches");
  };

  std::vector<ImageDecision> out(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    const Image& img = images[i];
    ImageDecision& d = out[i];
    if (img.tags.empty()) {
      std::string blocked;
      if (const KeepRule* k = keeper(i, "")) {
        d.rule = "kept by " + k->label;
      } else if (const DeleteRule* r = deleter(i, "", blocked)) {
        d.remove_untagged = true;
        d.rule = r->label;
      } else {
        d.rule = kept_reason(i, blocked);
      }
      continue;
    }
    for (const auto& tag : img.tags) {
      TagDecision td{tag, false, {}};
      std::string blocked;
      if (any_match(policy.protect_tags, tag)) {
        td.rule = "kept by protect_tags";
      } else if (const KeepRule* k = keeper(i, tag)) {
        td.rule = "kept by " + k->label;
      } else if (const DeleteRule* r = deleter(i, tag, blocked)) {
        td.remove = true;
        td.rule = r->label;
      } else {
        td.rule = kept_reason(i, blocked);
      }
      d.tags.push_back(std::move(td));
    }
  }
  return out;
}

Plan make_plan(std::string repo, const std::vector<Image>& images, const std::vector<ImageDecision>& decisions) {
  Plan plan;
  plan.repo = std::move(repo);
  plan.images.resize(images.size());
  // First pass: what each decision asks for.
  for (size_t i = 0; i < images.size(); ++i) {
    PlannedImage& p = plan.images[i];
    p.image = images[i];
    const ImageDecision& d = decisions[i];
    plan.tag_count += images[i].tags.size();
    if (!images[i].created_ms) ++plan.unknown_age;
    if (images[i].tags.empty()) {
      p.action = d.remove_untagged ? Action::delete_image : Action::keep;
      p.rule = d.rule;
      continue;
    }
    std::string keep_rule;
    for (const auto& t : d.tags) {
      if (t.remove) {
        p.delete_tags.push_back(t.tag);
        if (p.rule.empty()) p.rule = t.rule;
      } else {
        p.keep_tags.push_back(t.tag);
        if (keep_rule.empty()) keep_rule = t.rule;
      }
    }
    if (p.delete_tags.empty()) {
      p.action = Action::keep;
      p.rule = keep_rule;
    } else if (p.keep_tags.empty()) {
      p.action = Action::delete_image;
    } else {
      // Deleting the digest would take the kept tags with it.
      p.action = Action::untag;
      p.note = fmt::format("the digest keeps {} ({})", base::quote(p.keep_tags.front()), keep_rule);
    }
  }
  // Digests that stay: kept and untagged images, and the children of kept indexes.
  std::set<std::string> staying;
  for (const auto& p : plan.images) {
    if (p.action == Action::delete_image) continue;
    staying.insert(p.image.digest);
    staying.insert(p.image.children.begin(), p.image.children.end());
  }
  // A manifest that a kept index references cannot go: keep it (untag its deleted tags).
  for (auto& p : plan.images) {
    if (p.action != Action::delete_image || !staying.count(p.image.digest)) continue;
    if (p.delete_tags.empty()) {
      p.action = Action::keep;
    } else {
      p.action = Action::untag;
    }
    p.note = "a child of a kept index: the manifest stays";
    staying.insert(p.image.children.begin(), p.image.children.end());
  }
  std::set<std::string> deleted_children;
  for (auto& p : plan.images) {
    if (p.action != Action::delete_image) continue;
    for (const auto& c : p.image.children) {
      if (!staying.count(c) && deleted_children.insert(c).second) p.delete_children.push_back(c);
    }
  }
  // Totals: each blob once; reclaimed = blobs of deleted images that no staying image holds.
  std::map<std::string, int64_t> all;
  std::set<std::string> kept_blobs;
  for (const auto& p : plan.images) {
    for (const auto& b : p.image.blobs) {
      all.emplace(b.digest, b.size);
      if (p.action != Action::delete_image) kept_blobs.insert(b.digest);
    }
  }
  std::set<std::string> counted;
  for (auto& p : plan.images) {
    if (p.action == Action::delete_image) {
      ++plan.delete_images;
      plan.deleted_tags += p.delete_tags.size();
      for (const auto& b : p.image.blobs) {
        if (!kept_blobs.count(b.digest) && counted.insert(b.digest).second) plan.bytes_reclaimed += b.size;
      }
    } else if (p.action == Action::untag) {
      plan.untag_tags += p.delete_tags.size();
      plan.deleted_tags += p.delete_tags.size();
    }
  }
  for (const auto& [_, size] : all) plan.bytes_total += size;
  return plan;
}

}  // namespace sluice::registry
