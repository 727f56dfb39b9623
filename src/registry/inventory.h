#pragma once
// Reads what a repository holds, as pruning needs it: every tag with its manifest (one
// concurrent GET per tag on a bounded pool, which gives the digest and the body together), the
// children of indexes once, and each config blob once for the images whose age neither a push
// record nor the manifest's annotation gives.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "registry/client.h"
#include "registry/image.h"

namespace sluice::registry {

struct Inventory {
  std::vector<Image> images;  // one per digest, newest first where known, then by digest
  size_t tag_count = 0;
};

struct InventoryOptions {
  int workers = 16;  // requests in flight at once
  // Sluice's own push records: digest -> Unix ms. First in the order of age sources.
  std::map<std::string, int64_t> push_records;
};

[[nodiscard]] Expected<Inventory> read_inventory(Client& client, const InventoryOptions& options);

// Runs f(i) for i in [0, n) on up to `workers` threads; returns the first error.
[[nodiscard]] Expected<void> parallel_for(size_t n, int workers, const std::function<Expected<void>(size_t)>& f);

// The age of an image from its manifest and config JSON (either may be empty), in the order
// annotation, label, config created; sets created_ms, age_source and age_note.
void assign_age(Image& image, std::string_view manifest_json, std::string_view config_json);

}  // namespace sluice::registry
