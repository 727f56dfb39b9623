#pragma once
// Carries out a Plan against the registry. Just before each deletion it re-resolves every tag
// the deletion would take (HEAD) and skips the deletion if a tag now points elsewhere. A digest
// is deleted (DELETE by digest), then an index's children; a tag is untagged by pushing a tiny
// placeholder manifest (unique to the tag) to it and deleting the placeholder's digest, as
// regclient does, since the Distribution API cannot delete a tag alone.

#include <string>
#include <vector>

#include "base/error.h"
#include "registry/client.h"
#include "registry/plan.h"

namespace sluice::registry {

struct ApplyResult {
  size_t deleted_images = 0;
  size_t deleted_children = 0;
  size_t untagged = 0;
  std::vector<std::string> skipped;  // what was not done and why (a tag moved)
  std::vector<std::string> errors;   // failed requests (the rest carried on)
};

// Deletions run one at a time: docker-registry 2.8 walks every tag of the repository on each
// manifest DELETE and fails (500) when another DELETE changes the tags meanwhile, which can
// leave a tag listed that points at a deleted manifest. Re-resolving runs `workers` HEADs at
// once. Afterwards the tags are listed again, and a tag that should be gone but is still listed
// is reported as an error.
[[nodiscard]] ApplyResult apply_plan(Client& client, const Plan& plan, int workers = 8);

// The placeholder manifest for untagging `tag` (OCI, empty config, no layers). Its config blob
// is `k_empty_json` ("{}"), which must be in the repository before the manifest is pushed.
[[nodiscard]] std::string placeholder_manifest(std::string_view tag);
inline constexpr std::string_view k_empty_json = "{}";

}  // namespace sluice::registry
