#pragma once
// Pure planning: from a repository's images and a decision per tag (by a policy or an ECR
// lifecycle policy) to what `--apply` does, with the deletion semantics of the Distribution API:
//  - deleting a digest removes every tag on it, so a digest that keeps a tag is never deleted;
//    its deleted tags are untagged one by one instead (a placeholder manifest is pushed to the
//    tag, then deleted);
//  - an index is deleted with its children, and a child of a kept index is never deleted;
//  - storage reclaimed counts each blob once, and only blobs no kept image references.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "registry/image.h"
#include "registry/policy.h"

namespace sluice::registry {

struct TagDecision {
  std::string tag;
  bool remove = false;
  std::string rule;  // the rule that decided, in words
};

struct ImageDecision {
  std::vector<TagDecision> tags;  // one per tag of the image, same order
  bool remove_untagged = false;   // for an image without tags
  std::string rule;               // for an image without tags
};

// The policy's decision for each image (same order as `images`). `now_ms`: Unix ms.
// Thread-safe (pure).
[[nodiscard]] std::vector<ImageDecision> decide(const Policy& policy, const std::vector<Image>& images, int64_t now_ms);

enum class Action { keep, delete_image, untag };
[[nodiscard]] std::string_view to_string(Action a);

struct PlannedImage {
  Image image;
  Action action = Action::keep;
  std::vector<std::string> delete_tags;  // delete_image: every tag; untag: the tags to remove
  std::vector<std::string> keep_tags;
  std::vector<std::string> delete_children;  // an index's children deleted with it
  std::string rule;                          // what decided (for untag: the deleting rule)
  std::string note;                          // e.g. "kept: a child of a kept index"
};

struct Plan {
  std::string repo;
  std::vector<PlannedImage> images;
  size_t tag_count = 0;
  size_t delete_images = 0;   // manifests deleted (indexes count once, children not)
  size_t untag_tags = 0;      // tags removed by placeholder
  size_t deleted_tags = 0;    // every tag that goes, either way
  int64_t bytes_total = 0;    // every blob of the repository's images, each once
  int64_t bytes_reclaimed = 0;
  size_t unknown_age = 0;     // images whose age is unknown

  [[nodiscard]] size_t deletions() const { return delete_images + untag_tags; }
};

[[nodiscard]] Plan make_plan(std::string repo, const std::vector<Image>& images,
                             const std::vector<ImageDecision>& decisions);

}  // namespace sluice::registry
