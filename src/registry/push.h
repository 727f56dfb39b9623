#pragma once
// A small push client: builds an image (one layer of given bytes, a config with the
// timestamps asked for) as an OCI or Docker schema 2 manifest, or an index of several, and
// pushes its blobs and manifest under one or more tags. The tests seed real registries with it.

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "registry/client.h"

namespace sluice::registry {

enum class ManifestFormat { oci, docker };

struct ImageSpec {
  ManifestFormat format = ManifestFormat::oci;
  std::string layer;                             // the one layer's bytes (stored as given)
  std::string architecture = "amd64";
  std::optional<std::string> created;            // config "created"
  std::optional<std::string> label_created;      // config label org.opencontainers.image.created
  std::optional<std::string> annotation_created; // manifest annotation of the same name
};

// Pushes the image's blobs and its manifest under each tag (none: by digest only); returns the
// manifest digest.
[[nodiscard]] Expected<std::string> push_image(Client& client, const ImageSpec& spec,
                                               const std::vector<std::string>& tags);

// Pushes each child by digest, then an index (OCI image index or Docker manifest list, after
// the first child's format) referencing them with their platforms, under each tag.
[[nodiscard]] Expected<std::string> push_index(Client& client, const std::vector<ImageSpec>& children,
                                               const std::vector<std::string>& tags,
                                               const std::optional<std::string>& annotation_created = {});

}  // namespace sluice::registry
