#pragma once
// What pruning knows of one image in a repository: a manifest digest, the tags on it, what it
// references (for an index, its children), its size and its age with where the age came from.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::registry {

// Where an image's age came from, in the order sluice looks (docs/prune.md, "Image age").
enum class AgeSource {
  push_record,     // sluice's own record of pushing it
  annotation,      // the manifest's org.opencontainers.image.created annotation
  label,           // the config's org.opencontainers.image.created label
  config_created,  // the config blob's "created"
  unknown,         // none of them (or only the Unix epoch / Go's zero time: a reproducible build)
};
[[nodiscard]] std::string_view to_string(AgeSource s);

struct BlobRef {
  std::string digest;
  int64_t size = 0;
};

struct Image {
  std::string digest;
  std::string media_type;
  std::vector<std::string> tags;      // sorted; empty for an untagged image
  std::vector<std::string> children;  // an index's child manifests (kept or deleted with it)
  // Everything deleting the image could free: its manifest, its config and layers, and for an
  // index its children's. Shared blobs appear in several images; totals count them once.
  std::vector<BlobRef> blobs;
  std::optional<int64_t> created_ms;  // Unix ms; nullopt when the age is unknown
  AgeSource age_source = AgeSource::unknown;
  std::string age_note;  // why the age is unknown ("no timestamp", "epoch timestamp ...")

  [[nodiscard]] int64_t size() const {
    int64_t n = 0;
    for (const auto& b : blobs) n += b.size;
    return n;
  }
};

// Parses an RFC 3339 time ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00.123+02:00") into Unix ms.
[[nodiscard]] std::optional<int64_t> parse_rfc3339_ms(std::string_view text);

}  // namespace sluice::registry
