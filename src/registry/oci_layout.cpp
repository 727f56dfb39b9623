#include "registry/oci_layout.h"

#include <atomic>
#include <map>
#include <set>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/files.h"
#include "registry/inventory.h"

namespace sluice::registry {

namespace fs = std::filesystem;

namespace {

using nlohmann::json;

constexpr std::string_view k_ref_name = "org.opencontainers.image.ref.name";
constexpr size_t k_max_manifest = 4 << 20;  // the registry's own limit on a manifest

Error bad(const fs::path& file, const std::string& what) {
  return Error{ErrorCode::invalid_input, fmt::format("{}: {}", file.string(), what)};
}

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  json annotations;
};

bool is_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A descriptor at `key` (e.g. "manifests[0]") of `file`.
Expected<Descriptor> descriptor(const json& d, const fs::path& file, const std::string& key) {
  if (!d.is_object()) return tl::unexpected(bad(file, fmt::format("\"{}\": expected a descriptor (an object)", key)));
  Descriptor out;
  if (!d.contains("mediaType") || !d["mediaType"].is_string() || d["mediaType"].get<std::string>().empty()) {
    return tl::unexpected(bad(file, fmt::format("\"{}.mediaType\": missing or not a string", key)));
  }
  out.media_type = d["mediaType"];
  if (!d.contains("digest") || !d["digest"].is_string()) {
    return tl::unexpected(bad(file, fmt::format("\"{}.digest\": missing or not a string", key)));
  }
  out.digest = d["digest"];
  if (out.digest.rfind("sha256:", 0) != 0) {
    return tl::unexpected(bad(file, fmt::format("\"{}.digest\": \"{}\" is not a sha256 digest (the only algorithm "
                                                "sluice pushes)",
                                                key, out.digest)));
  }
  std::string_view hex = std::string_view(out.digest).substr(7);
  if (hex.size() != 64 || !is_hex(hex)) {
    return tl::unexpected(bad(file, fmt::format("\"{}.digest\": \"{}\" is not sha256: and 64 lowercase hex digits",
                                                key, out.digest)));
  }
  if (!d.contains("size") || !d["size"].is_number_integer() || d["size"].get<int64_t>() < 0) {
    return tl::unexpected(bad(file, fmt::format("\"{}.size\": missing or not a non-negative integer", key)));
  }
  out.size = d["size"];
  if (d.contains("annotations")) out.annotations = d["annotations"];
  return out;
}

fs::path blob_path(const fs::path& dir, const std::string& digest) {
  return dir / "blobs" / "sha256" / digest.substr(7);
}

// The blob exists as a regular file of the descriptor's size.
Expected<fs::path> check_blob(const fs::path& dir, const Descriptor& d, const fs::path& from, const std::string& key) {
  fs::path p = blob_path(dir, d.digest);
  std::error_code ec;
  auto st = fs::status(p, ec);
  if (ec || !fs::is_regular_file(st)) {
    return tl::unexpected(bad(p, fmt::format("missing (referenced by {} \"{}\")", from.filename().string(), key)));
  }
  auto size = fs::file_size(p, ec);
  if (ec) return tl::unexpected(bad(p, ec.message()));
  if (int64_t(size) != d.size) {
    return tl::unexpected(bad(p, fmt::format("size {}, but {} \"{}.size\" says {}", size, from.filename().string(),
                                             key, d.size)));
  }
  return p;
}

bool is_index_type(std::string_view t) { return t == k_oci_index || t == k_docker_list; }
bool is_manifest_type(std::string_view t) { return t == k_oci_manifest || t == k_docker_manifest; }

// Reads the manifest blob `d` names, checking its digest, and parses it.
Expected<std::pair<LayoutManifest, json>> read_manifest(const fs::path& dir, const Descriptor& d, const fs::path& from,
                                                        const std::string& key) {
  if (!is_index_type(d.media_type) && !is_manifest_type(d.media_type)) {
    return tl::unexpected(bad(from, fmt::format("\"{}.mediaType\": \"{}\" is not an image manifest or index (OCI or "
                                                "Docker schema 2)",
                                                key, d.media_type)));
  }
  if (d.size > int64_t(k_max_manifest)) {
    return tl::unexpected(bad(from, fmt::format("\"{}.size\": {} bytes is too large for a manifest", key, d.size)));
  }
  auto p = check_blob(dir, d, from, key);
  if (!p) return tl::unexpected(p.error());
  auto body = base::read_file(*p);
  if (!body) return tl::unexpected(bad(*p, body.error().message));
  if (digest_of(*body) != d.digest) {
    return tl::unexpected(Error{ErrorCode::invalid_input,
                                fmt::format("{}: content does not match its digest {}", p->string(), d.digest)});
  }
  json j = json::parse(*body, nullptr, false);
  if (!j.is_object()) return tl::unexpected(bad(*p, "not a JSON object (a manifest was expected)"));
  if (j.contains("mediaType") && j["mediaType"].is_string() && j["mediaType"].get<std::string>() != d.media_type) {
    return tl::unexpected(bad(*p, fmt::format("\"mediaType\": \"{}\", but {} \"{}.mediaType\" says \"{}\"",
                                              j["mediaType"].get<std::string>(), from.filename().string(), key,
                                              d.media_type)));
  }
  return std::pair{LayoutManifest{d.digest, d.media_type, std::move(*body)}, std::move(j)};
}

// Adds an image manifest's config and layers to `blobs` (each digest once).
Expected<void> add_image_blobs(const fs::path& dir, const LayoutManifest& m, const json& j,
                               std::map<std::string, LayoutBlob>& blobs) {
  const fs::path file = blob_path(dir, m.digest);
  if (!j.contains("config")) return tl::unexpected(bad(file, "\"config\": missing"));
  auto add = [&](const json& dj, const std::string& key) -> Expected<void> {
    auto d = descriptor(dj, file, key);
    if (!d) return tl::unexpected(d.error());
    auto p = check_blob(dir, *d, file, key);
    if (!p) return tl::unexpected(p.error());
    blobs.emplace(d->digest, LayoutBlob{d->digest, d->size, *p});
    return {};
  };
  SLUICE_TRY(add(j["config"], "config"));
  if (!j.contains("layers") || !j["layers"].is_array()) {
    return tl::unexpected(bad(file, "\"layers\": missing or not an array"));
  }
  for (size_t i = 0; i < j["layers"].size(); ++i) SLUICE_TRY(add(j["layers"][i], fmt::format("layers[{}]", i)));
  return {};
}

}  // namespace

Expected<OciLayout> read_oci_layout(const fs::path& dir, const std::optional<std::string>& ref_name) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return tl::unexpected(bad(dir, "not a directory (an OCI image layout was expected)"));
  const fs::path marker = dir / "oci-layout";
  auto marker_text = base::read_file(marker);
  if (!marker_text) return tl::unexpected(bad(marker, "missing: not an OCI image layout"));
  json mj = json::parse(*marker_text, nullptr, false);
  if (!mj.is_object() || !mj.contains("imageLayoutVersion") || !mj["imageLayoutVersion"].is_string()) {
    return tl::unexpected(bad(marker, "\"imageLayoutVersion\": missing (expected {\"imageLayoutVersion\": \"1.0.0\"})"));
  }
  if (mj["imageLayoutVersion"] != "1.0.0") {
    return tl::unexpected(bad(marker, fmt::format("\"imageLayoutVersion\": \"{}\" is not supported (1.0.0 is)",
                                                  mj["imageLayoutVersion"].get<std::string>())));
  }
  const fs::path index_file = dir / "index.json";
  auto index_text = base::read_file(index_file);
  if (!index_text) return tl::unexpected(bad(index_file, "missing: not an OCI image layout"));
  json ij = json::parse(*index_text, nullptr, false);
  if (!ij.is_object()) return tl::unexpected(bad(index_file, "not a JSON object"));
  if (!ij.contains("manifests") || !ij["manifests"].is_array()) {
    return tl::unexpected(bad(index_file, "\"manifests\": missing or not an array"));
  }
  const json& entries = ij["manifests"];
  if (entries.empty()) return tl::unexpected(bad(index_file, "\"manifests\": empty, nothing to push"));

  // Choose the entry.
  std::optional<size_t> chosen;
  std::vector<std::string> names;
  for (size_t i = 0; i < entries.size(); ++i) {
    const json& e = entries[i];
    std::string name;
    if (e.is_object() && e.contains("annotations") && e["annotations"].is_object() &&
        e["annotations"].contains(k_ref_name) && e["annotations"][k_ref_name].is_string()) {
      name = e["annotations"][k_ref_name];
    }
    names.push_back(name.empty() ? "(no ref.name)" : name);
    if (ref_name && name == *ref_name) chosen = i;
  }
  if (ref_name && !chosen) {
    std::string all;
    for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
    return tl::unexpected(bad(index_file, fmt::format("\"manifests\": no entry has the {} annotation \"{}\" (there "
                                                      "are: {})",
                                                      k_ref_name, *ref_name, all)));
  }
  if (!chosen) {
    if (entries.size() > 1) {
      std::string all;
      for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
      return tl::unexpected(bad(index_file, fmt::format("\"manifests\": {} entries; name the one to push by its {} "
                                                        "annotation (ref), one of: {}",
                                                        entries.size(), k_ref_name, all)));
    }
    chosen = 0;
  }
  const std::string key = fmt::format("manifests[{}]", *chosen);
  auto top_d = descriptor(entries[*chosen], index_file, key);
  if (!top_d) return tl::unexpected(top_d.error());
  auto top = read_manifest(dir, *top_d, index_file, key);
  if (!top) return tl::unexpected(top.error());

  OciLayout layout;
  layout.dir = dir;
  layout.top = std::move(top->first);
  std::map<std::string, LayoutBlob> blobs;
  if (is_index_type(layout.top.media_type)) {
    const fs::path file = blob_path(dir, layout.top.digest);
    const json& j = top->second;
    if (!j.contains("manifests") || !j["manifests"].is_array() || j["manifests"].empty()) {
      return tl::unexpected(bad(file, "\"manifests\": missing, empty or not an array"));
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < j["manifests"].size(); ++i) {
      const std::string ckey = fmt::format("manifests[{}]", i);
      auto cd = descriptor(j["manifests"][i], file, ckey);
      if (!cd) return tl::unexpected(cd.error());
      if (!is_manifest_type(cd->media_type)) {
        return tl::unexpected(bad(file, fmt::format("\"{}.mediaType\": \"{}\": an index's children must be image "
                                                    "manifests (nested indexes are not pushed)",
                                                    ckey, cd->media_type)));
      }
      if (!seen.insert(cd->digest).second) continue;
      auto child = read_manifest(dir, *cd, file, ckey);
      if (!child) return tl::unexpected(child.error());
      SLUICE_TRY(add_image_blobs(dir, child->first, child->second, blobs));
      layout.children.push_back(std::move(child->first));
    }
  } else {
    SLUICE_TRY(add_image_blobs(dir, layout.top, top->second, blobs));
  }
  for (auto& [_, b] : blobs) layout.blobs.push_back(std::move(b));
  return layout;
}

Expected<PushStats> push_oci_layout(Client& client, const OciLayout& layout, const std::string& tag, int workers) {
  PushStats stats;
  std::atomic<size_t> uploaded{0}, present{0};
  std::atomic<int64_t> bytes{0};
  SLUICE_TRY(parallel_for(layout.blobs.size(), workers, [&](size_t i) -> Expected<void> {
    const LayoutBlob& b = layout.blobs[i];
    auto have = client.blob_exists(b.digest);
    if (!have) return tl::unexpected(have.error());
    if (*have) {
      ++present;
      return {};
    }
    // Streamed from the file, its digest checked as it is read: memory does not grow with it.
    auto up = client.upload_blob_file(b.digest, b.path, b.size);
    if (!up) return tl::unexpected(up.error());
    ++uploaded;
    bytes += b.size;
    return {};
  }));
  for (const auto& c : layout.children) {
    auto d = client.put_manifest(c.digest, c.media_type, c.body);
    if (!d) return tl::unexpected(d.error());
  }
  auto d = client.put_manifest(tag, layout.top.media_type, layout.top.body);
  if (!d) return tl::unexpected(d.error());
  if (*d != layout.top.digest) {
    return make_error(ErrorCode::integrity, fmt::format("{}:{}: the registry stored digest {}, the layout has {}",
                                                        client.repo().display(), tag, *d, layout.top.digest));
  }
  stats.digest = *d;
  stats.blobs_uploaded = uploaded;
  stats.blobs_present = present;
  stats.bytes_uploaded = bytes;
  return stats;
}

}  // namespace sluice::registry
