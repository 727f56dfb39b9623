#pragma once
// An AWS ECR lifecycle policy document (JSON), evaluated as ECR documents it
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html and
// lifecycle_policy_parameters.html):
//  - rules run in rulePriority order (lowest first); tagStatus tagged (with tagPrefixList or
//    tagPatternList, every listed prefix/pattern matched by some tag of the image), untagged
//    or any (at most one rule, with the highest priority);
//  - countType imageCountMoreThan N keeps the N most recently pushed of the images the rule
//    selects and marks the rest; sinceImagePushed N days marks those pushed more than N days ago;
//  - an image that a higher-priority rule selected cannot be expired by a lower one (but still
//    counts towards that rule's images); an expired image goes with all its tags.
// An image of unknown age is never marked by sinceImagePushed and ranks as the newest for
// imageCountMoreThan (ECR always knows the push time; a registry need not).

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "registry/image.h"
#include "registry/plan.h"

namespace sluice::registry {

enum class EcrTagStatus { tagged, untagged, any };
enum class EcrCountType { image_count_more_than, since_image_pushed };

struct EcrRule {
  int64_t priority = 0;
  std::string description;
  EcrTagStatus tag_status = EcrTagStatus::any;
  std::vector<std::string> prefixes;
  std::vector<std::string> patterns;
  EcrCountType count_type = EcrCountType::image_count_more_than;
  int64_t count_number = 0;
  std::string label;  // "ECR rule priority 1 (policy.json:3:7) \"Expire old\""
};

struct EcrPolicy {
  std::vector<EcrRule> rules;  // sorted by priority
};

// Parses and validates as ECR does (unknown keys, required fields, unique priorities, `any`
// last, patterns with at most four wildcards); errors as "file:line:col: message".
[[nodiscard]] Expected<EcrPolicy> parse_ecr_policy(std::string_view text, std::string_view filename);

// Which images expire (all their tags), as ImageDecisions for make_plan. `now_ms`: Unix ms.
[[nodiscard]] std::vector<ImageDecision> decide_ecr(const EcrPolicy& policy, const std::vector<Image>& images,
                                                    int64_t now_ms);

}  // namespace sluice::registry
