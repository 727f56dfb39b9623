#include "registry/apply.h"

#include <atomic>
#include <algorithm>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "registry/inventory.h"

namespace sluice::registry {

std::string placeholder_manifest(std::string_view tag) {
  nlohmann::json m = {
      {"schemaVersion", 2},
      {"mediaType", k_oci_manifest},
      {"config",
       {{"mediaType", "application/vnd.oci.empty.v1+json"}, {"digest", digest_of(k_empty_json)}, {"size", 2}}},
      {"layers", nlohmann::json::array()},
      {"annotations", {{"dev.sluice.untag", std::string(tag)}}},
  };
  return m.dump();
}

ApplyResult apply_plan(Client& client, const Plan& plan, int workers) {
  ApplyResult result;
  std::mutex mu;
  auto skip = [&](std::string s) {
    std::lock_guard lock(mu);
    result.skipped.push_back(std::move(s));
  };
  auto fail = [&](std::string s) {
    std::lock_guard lock(mu);
    result.errors.push_back(std::move(s));
  };
  std::vector<const PlannedImage*> work;
  bool any_untag = false;
  for (const auto& p : plan.images) {
    if (p.action != Action::keep) work.push_back(&p);
    any_untag = any_untag || p.action == Action::untag;
  }
  if (any_untag) {
    if (auto b = client.push_blob(k_empty_json); !b) {
      fail("pushing the placeholder's config blob: " + b.error().message);
      return result;
    }
  }
  // Whether `tag` still points at `digest`; adds the reason to skipped when not.
  auto still_there = [&](const std::string& tag, const std::string& digest) -> std::optional<bool> {
    auto now = client.head_manifest(tag);
    if (!now) {
      fail(fmt::format("re-resolving {}:{}: {}", plan.repo, tag, now.error().message));
      return std::nullopt;
    }
    if (!*now) return false;  // gone already
    if (**now != digest) {
      skip(fmt::format("{}:{} moved to {} since planning (was {}): skipped", plan.repo, tag, **now, digest));
      return std::nullopt;
    }
    return true;
  };
  (void)parallel_for(work.size(), 1, [&](size_t i) -> Expected<void> {
    const PlannedImage& p = *work[i];
    if (p.action == Action::delete_image) {
      // Every tag the deletion takes must still be on this digest (checked concurrently: an
      // image may carry thousands of tags).
      std::atomic<bool> moved{false};
      (void)parallel_for(p.delete_tags.size(), workers, [&](size_t t) -> Expected<void> {
        if (!still_there(p.delete_tags[t], p.image.digest).has_value()) moved = true;
        return {};
      });
      if (moved) return {};
      if (auto r = client.delete_manifest(p.image.digest); !r) {
        fail(r.error().message);
        return {};
      }
      size_t children = 0;
      for (const auto& c : p.delete_children) {
        if (auto r = client.delete_manifest(c); !r) fail(r.error().message);
        else ++children;
      }
      std::lock_guard lock(mu);
      ++result.deleted_images;
      result.deleted_children += children;
      return {};
    }
    for (const auto& tag : p.delete_tags) {
      auto there = still_there(tag, p.image.digest);
      if (!there.has_value() || !*there) continue;
      auto placeholder = client.put_manifest(tag, k_oci_manifest, placeholder_manifest(tag));
      if (!placeholder) {
        fail(placeholder.error().message);
        continue;
      }
      if (auto r = client.delete_manifest(*placeholder); !r) {
        fail(r.error().message);
        continue;
      }
      std::lock_guard lock(mu);
      ++result.untagged;
    }
    return {};
  });
  // What the registry lists now: no tag that went may still be there.
  std::set<std::string> gone;
  for (const auto* p : work) gone.insert(p->delete_tags.begin(), p->delete_tags.end());
  if (!gone.empty()) {
    auto tags = client.list_tags();
    if (!tags) {
      fail("listing the tags after applying: " + tags.error().message);
    } else {
      for (const auto& t : *tags) {
        if (gone.count(t) && std::none_of(result.skipped.begin(), result.skipped.end(), [&](const std::string& s) {
              return s.find(":" + t + " moved") != std::string::npos;
            })) {
          fail(fmt::format("{}:{} is still listed after its deletion (the registry did not remove the tag)",
                           plan.repo, t));
        }
      }
    }
  }
  return result;
}

}  // namespace sluice::registry
