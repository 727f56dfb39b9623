#pragma once
// An OCI image layout directory (image-spec image-layout.md), as `docker buildx build --output
// type=oci,tar=false`, `buildah push IMAGE oci:DIR` and `skopeo copy ... oci:DIR` write it:
//   DIR/oci-layout        {"imageLayoutVersion": "1.0.0"}
//   DIR/index.json        an image index whose "manifests" are the layout's entry points
//   DIR/blobs/sha256/HEX  every manifest, index, config and layer, named by its digest
// read_oci_layout() checks the structure and reads every manifest (small) into memory; layers
// and configs are only checked to exist with the size their descriptor says, and are streamed
// from their files when pushed (Client::upload_blob_file), never held in memory whole. push_oci_layout() uploads what the registry lacks (a HEAD per blob first),
// then the children of an index by digest, then the chosen manifest under the tag.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "registry/client.h"

namespace sluice::registry {

struct LayoutBlob {
  std::string digest;  // sha256:HEX
  int64_t size = 0;
  std::filesystem::path path;
};

struct LayoutManifest {
  std::string digest;
  std::string media_type;
  std::string body;  // the exact bytes (pushed unchanged, so the digest stays the same)
};

struct OciLayout {
  std::filesystem::path dir;
  LayoutManifest top;                   // the manifest or index chosen from index.json
  std::vector<LayoutManifest> children; // an index's child manifests (empty for an image)
  std::vector<LayoutBlob> blobs;        // configs and layers of the top manifest or the children, each once
  [[nodiscard]] int64_t blob_bytes() const {
    int64_t n = 0;
    for (const auto& b : blobs) n += b.size;
    return n;
  }
};

// Reads the layout at `dir` and chooses the entry of index.json to push: the one whose
// org.opencontainers.image.ref.name annotation is `ref_name` when given, else the only entry.
// Errors (code invalid_input) name the file and the key, e.g.
// `DIR/index.json: "manifests[0].digest": ...` or `DIR/blobs/sha256/ab..: size 12, descriptor says 40`.
[[nodiscard]] Expected<OciLayout> read_oci_layout(const std::filesystem::path& dir,
                                                  const std::optional<std::string>& ref_name = std::nullopt);

struct PushStats {
  std::string digest;        // the manifest (or index) digest the tag now points at
  size_t blobs_uploaded = 0;
  size_t blobs_present = 0;  // the registry had them already (HEAD)
  int64_t bytes_uploaded = 0;
};

// Pushes the layout's blobs, children and top manifest to client's repository under `tag`.
// A blob whose bytes on disk do not match its digest is an error (code integrity, naming the
// file), found while it is streamed and before its last bytes are sent.
[[nodiscard]] Expected<PushStats> push_oci_layout(Client& client, const OciLayout& layout, const std::string& tag,
                                                  int workers = 4);

}  // namespace sluice::registry
