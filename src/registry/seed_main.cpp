// sluice_registry_seed SPEC.json REGISTRY/REPO [--user U --password P]: pushes the images SPEC
// describes through sluice's push client. A test tool (not installed). SPEC:
//   {"images": [{"tags": ["v1", "pr-7"], "format": "oci"|"docker", "created": "RFC 3339",
//                "label_created": "...", "annotation_created": "...", "layer": "bytes",
//                "index": [{"architecture": "arm64", "created": "...", "layer": "..."}, ...]}],
//    "bulk": {"prefix": "bulk-", "count": 1200, "created": "...", "format": "oci"}}
// Prints "TAG DIGEST" for every tag pushed (bulk ones excepted).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "registry/client.h"
#include "registry/inventory.h"
#include "registry/push.h"

using namespace sluice::registry;
using nlohmann::json;

namespace {

ImageSpec spec_of(const json& j, const ImageSpec& defaults) {
  ImageSpec s = defaults;
  if (j.contains("format")) s.format = j["format"] == "docker" ? ManifestFormat::docker : ManifestFormat::oci;
  if (j.contains("layer")) s.layer = j["layer"].get<std::string>();
  if (j.contains("architecture")) s.architecture = j["architecture"].get<std::string>();
  if (j.contains("created")) s.created = j["created"].get<std::string>();
  if (j.contains("label_created")) s.label_created = j["label_created"].get<std::string>();
  if (j.contains("annotation_created")) s.annotation_created = j["annotation_created"].get<std::string>();
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: sluice_registry_seed SPEC.json REGISTRY/REPO [--user U --password P]\n");
    return 2;
  }
  ClientOptions options;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (!options.credentials) options.credentials = Credentials{};
    if (std::string(argv[i]) == "--user") options.credentials->username = argv[i + 1];
    if (std::string(argv[i]) == "--password") options.credentials->password = argv[i + 1];
  }
  std::ifstream in(argv[1]);
  std::stringstream ss;
  ss << in.rdbuf();
  json spec = json::parse(ss.str());
  auto repo = parse_repo_ref(argv[2]);
  if (!repo) {
    std::fprintf(stderr, "%s\n", repo.error().message.c_str());
    return 2;
  }
  Client client(*repo, options);
  int n = 0;
  for (const auto& img : spec.value("images", json::array())) {
    ImageSpec defaults;
    defaults.layer = fmt::format("layer {}", n++);
    ImageSpec base = spec_of(img, defaults);
    std::vector<std::string> tags = img.value("tags", std::vector<std::string>{});
    sluice::Expected<std::string> d;
    if (img.contains("index")) {
      std::vector<ImageSpec> children;
      for (const auto& c : img["index"]) {
        ImageSpec cs = spec_of(c, base);
        if (!c.contains("layer")) cs.layer = base.layer + " " + cs.architecture;
        cs.annotation_created.reset();
        children.push_back(cs);
      }
      d = push_index(client, children, tags, base.annotation_created);
    } else {
      // Many tags on one image: push it under the first, then the rest in parallel.
      std::vector<std::string> first(tags.begin(), tags.begin() + std::min<size_t>(tags.size(), 1));
      d = push_image(client, base, first);
      if (d && tags.size() > 1) {
        auto m = client.get_manifest(*d);
        if (!m) d = tl::unexpected(m.error());
        else if (auto r = parallel_for(tags.size() - 1, 8, [&](size_t i) -> sluice::Expected<void> {
                   auto put = client.put_manifest(tags[i + 1], m->media_type, m->body);
                   if (!put) return tl::unexpected(put.error());
                   return {};
                 });
                 !r) {
          d = tl::unexpected(r.error());
        }
      }
    }
    if (!d) {
      std::fprintf(stderr, "seed: %s\n", d.error().message.c_str());
      return 1;
    }
    if (tags.empty()) std::printf("- %s\n", d->c_str());
    for (const auto& t : tags) std::printf("%s %s\n", t.c_str(), d->c_str());
  }
  if (spec.contains("bulk")) {
    const auto& b = spec["bulk"];
    ImageSpec base = spec_of(b, ImageSpec{});
    const std::string prefix = b.value("prefix", "bulk-");
    const size_t count = b.value("count", size_t{0});
    auto r = parallel_for(count, b.value("workers", 8), [&](size_t i) -> sluice::Expected<void> {
      ImageSpec s = base;
      s.layer = fmt::format("{}{} layer", prefix, i);
      auto d = push_image(client, s, {fmt::format("{}{:05}", prefix, i)});
      if (!d) return tl::unexpected(d.error());
      return {};
    });
    if (!r) {
      std::fprintf(stderr, "seed: %s\n", r.error().message.c_str());
      return 1;
    }
  }
  return 0;
}
