#include "registry/push.h"

#include <nlohmann/json.hpp>

namespace sluice::registry {

namespace {

using nlohmann::json;

struct Built {
  std::string media_type;
  std::string body;
};

Expected<Built> build_and_push_blobs(Client& client, const ImageSpec& spec) {
  json config = {{"architecture", spec.architecture},
                 {"os", "linux"},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", json::array({digest_of(spec.layer)})}}}};
  if (spec.created) config["created"] = *spec.created;
  if (spec.label_created) config["config"] = {{"Labels", {{"org.opencontainers.image.created", *spec.label_created}}}};
  const std::string config_bytes = config.dump();
  auto cd = client.push_blob(config_bytes);
  if (!cd) return tl::unexpected(cd.error());
  auto ld = client.push_blob(spec.layer);
  if (!ld) return tl::unexpected(ld.error());
  const bool oci = spec.format == ManifestFormat::oci;
  Built b;
  b.media_type = std::string(oci ? k_oci_manifest : k_docker_manifest);
  json m = {{"schemaVersion", 2},
            {"mediaType", b.media_type},
            {"config",
             {{"mediaType", oci ? k_oci_config : k_docker_config},
              {"digest", *cd},
              {"size", config_bytes.size()}}},
            {"layers", json::array({{{"mediaType", oci ? "application/vnd.oci.image.layer.v1.tar"
                                                       : "application/vnd.docker.image.rootfs.diff.tar"},
                                     {"digest", *ld},
                                     {"size", spec.layer.size()}}})}};
  if (spec.annotation_created) m["annotations"] = {{"org.opencontainers.image.created", *spec.annotation_created}};
  b.body = m.dump();
  return b;
}

Expected<std::string> put_under(Client& client, const Built& b, const std::vector<std::string>& tags) {
  const std::string digest = digest_of(b.body);
  if (tags.empty()) return client.put_manifest(digest, b.media_type, b.body);
  for (const auto& t : tags) {
    auto r = client.put_manifest(t, b.media_type, b.body);
    if (!r) return r;
  }
  return digest;
}

}  // namespace

Expected<std::string> push_image(Client& client, const ImageSpec& spec, const std::vector<std::string>& tags) {
  auto b = build_and_push_blobs(client, spec);
  if (!b) return tl::unexpected(b.error());
  return put_under(client, *b, tags);
}

Expected<std::string> push_index(Client& client, const std::vector<ImageSpec>& children,
                                 const std::vector<std::string>& tags,
                                 const std::optional<std::string>& annotation_created) {
  const bool oci = children.empty() || children.front().format == ManifestFormat::oci;
  json manifests = json::array();
  for (const auto& spec : children) {
    auto b = build_and_push_blobs(client, spec);
    if (!b) return tl::unexpected(b.error());
    auto d = put_under(client, *b, {});
    if (!d) return tl::unexpected(d.error());
    manifests.push_back({{"mediaType", b->media_type},
                         {"digest", *d},
                         {"size", b->body.size()},
                         {"platform", {{"architecture", spec.architecture}, {"os", "linux"}}}});
  }
  Built index;
  index.media_type = std::string(oci ? k_oci_index : k_docker_list);
  json m = {{"schemaVersion", 2}, {"mediaType", index.media_type}, {"manifests", manifests}};
  if (annotation_created) m["annotations"] = {{"org.opencontainers.image.created", *annotation_created}};
  index.body = m.dump();
  return put_under(client, index, tags);
}

}  // namespace sluice::registry
