#include "registry/inventory.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sluice::registry {

namespace {

using nlohmann::json;

constexpr std::string_view k_created_key = "org.opencontainers.image.created";
constexpr size_t k_max_config = 8 << 20;

struct Parsed {
  std::string media_type;
  int64_t size = 0;
  std::string annotations_created;
  std::optional<BlobRef> config;
  std::vector<BlobRef> layers;
  std::vector<std::string> children;
  bool is_index = false;
};

std::vector<BlobRef> descriptors(const json& arr) {
  std::vector<BlobRef> out;
  if (!arr.is_array()) return out;
  for (const auto& d : arr) {
    if (!d.is_object() || !d.contains("digest") || !d["digest"].is_string()) continue;
    out.push_back({d["digest"].get<std::string>(), d.value("size", int64_t{0})});
  }
  return out;
}

Parsed parse_manifest(const Manifest& m) {
  Parsed p;
  p.media_type = m.media_type;
  p.size = int64_t(m.body.size());
  auto j = json::parse(m.body, nullptr, false);
  if (!j.is_object()) return p;
  if (p.media_type.empty() && j.contains("mediaType") && j["mediaType"].is_string()) p.media_type = j["mediaType"];
  p.is_index = p.media_type == k_oci_index || p.media_type == k_docker_list ||
               (j.contains("manifests") && j["manifests"].is_array());
  if (p.is_index) {
    for (const auto& c : descriptors(j["manifests"])) p.children.push_back(c.digest);
  } else {
    if (j.contains("config")) {
      auto c = descriptors(json::array({j["config"]}));
      if (!c.empty()) p.config = c.front();
    }
    if (j.contains("layers")) p.layers = descriptors(j["layers"]);
  }
  if (j.contains("annotations") && j["annotations"].is_object()) {
    const auto& a = j["annotations"];
    if (a.contains(k_created_key) && a[k_created_key].is_string()) p.annotations_created = a[k_created_key];
  }
  return p;
}

// A timestamp that says nothing about when the image was built: the Unix epoch (reproducible
// builds set SOURCE_DATE_EPOCH=0) or Go's zero time.
bool meaningless(int64_t ms) { return ms <= 1000; }

}  // namespace

Expected<void> parallel_for(size_t n, int workers, const std::function<Expected<void>(size_t)>& f) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::optional<Error> first;
  auto work = [&] {
    for (;;) {
      if (failed.load()) return;
      size_t i = next.fetch_add(1);
      if (i >= n) return;
      auto r = f(i);
      if (!r) {
        std::lock_guard lock(mu);
        if (!first) first = r.error();
        failed = true;
        return;
      }
    }
  };
  size_t count = std::min<size_t>(std::max(workers, 1), n);
  std::vector<std::thread> threads;
  for (size_t t = 1; t < count; ++t) threads.emplace_back(work);
  if (n > 0) work();
  for (auto& t : threads) t.join();
  if (first) return tl::unexpected(*first);
  return {};
}

void assign_age(Image& image, std::string_view manifest_json, std::string_view config_json) {
  bool saw_epoch = false;
  auto try_set = [&](const std::string& text, AgeSource source) {
    if (text.empty()) return false;
    auto ms = parse_rfc3339_ms(text);
    if (!ms) return false;
    if (meaningless(*ms)) {
      saw_epoch = true;
      return false;
    }
    image.created_ms = *ms;
    image.age_source = source;
    return true;
  };
  if (!manifest_json.empty()) {
    auto j = json::parse(manifest_json, nullptr, false);
    if (j.is_object() && j.contains("annotations") && j["annotations"].is_object()) {
      const auto& a = j["annotations"];
      if (a.contains(k_created_key) && a[k_created_key].is_string() &&
          try_set(a[k_created_key].get<std::string>(), AgeSource::annotation)) {
        return;
      }
    }
  }
  if (!config_json.empty()) {
    auto j = json::parse(config_json, nullptr, false);
    if (j.is_object()) {
      const json* labels = nullptr;
      if (j.contains("config") && j["config"].is_object() && j["config"].contains("Labels") &&
          j["config"]["Labels"].is_object()) {
        labels = &j["config"]["Labels"];
      }
      if (labels && labels->contains(k_created_key) && (*labels)[k_created_key].is_string() &&
          try_set((*labels)[k_created_key].get<std::string>(), AgeSource::label)) {
        return;
      }
      if (j.contains("created") && j["created"].is_string() &&
          try_set(j["created"].get<std::string>(), AgeSource::config_created)) {
        return;
      }
    }
  }
  image.created_ms.reset();
  image.age_source = AgeSource::unknown;
  image.age_note = saw_epoch ? "epoch timestamp (a reproducible build's, not a real date)" : "no timestamp";
}

Expected<Inventory> read_inventory(Client& client, const InventoryOptions& options) {
  auto tags = client.list_tags();
  if (!tags) return tl::unexpected(tags.error());
  Inventory inv;
  inv.tag_count = tags->size();

  // 1. Where each tag points now, and what it is: one GET per tag. The registry answers a GET
  // as fast as a HEAD (the manifest is small and read either way), so a HEAD per tag and then a
  // GET per distinct digest cost a request more per image for nothing.
  std::vector<std::optional<std::string>> digest_of_tag(tags->size());
  std::mutex mu;
  std::map<std::string, Parsed> parsed;
  std::map<std::string, std::string> bodies;
  auto keep = [&](const std::string& digest, Manifest&& m) {
    auto p = parse_manifest(m);
    std::lock_guard lock(mu);
    if (parsed.count(digest)) return;  // another tag of the same digest got there first
    parsed[digest] = std::move(p);
    bodies[digest] = std::move(m.body);
  };
  SLUICE_TRY(parallel_for(tags->size(), options.workers, [&](size_t i) -> Expected<void> {
    auto m = client.get_manifest((*tags)[i]);
    if (!m) {
      if (m.error().code == ErrorCode::not_found) return {};  // deleted meanwhile
      return tl::unexpected(m.error());
    }
    digest_of_tag[i] = m->digest;
    keep(m->digest, std::move(*m));
    return {};
  }));

  // 2. The children of indexes, each once.
  std::map<std::string, std::vector<std::string>> tags_of;
  for (size_t i = 0; i < tags->size(); ++i) {
    if (digest_of_tag[i]) tags_of[*digest_of_tag[i]].push_back((*tags)[i]);
  }
  std::set<std::string> child_set;
  for (const auto& [d, p] : parsed) {
    for (const auto& c : p.children) {
      if (!parsed.count(c)) child_set.insert(c);
    }
  }
  std::vector<std::string> children(child_set.begin(), child_set.end());
  SLUICE_TRY(parallel_for(children.size(), options.workers, [&](size_t i) -> Expected<void> {
    auto m = client.get_manifest(children[i]);
    if (!m) {
      if (m.error().code == ErrorCode::not_found) return {};  // deleted meanwhile
      return tl::unexpected(m.error());
    }
    keep(children[i], std::move(*m));
    return {};
  }));

  // 3. Each config blob once, for the images whose age is not known already (a push record or
  // the manifest's annotation come first, so their config is not needed).
  auto age_known = [&](const std::string& digest) {
    Image probe;
    assign_age(probe, bodies[digest], {});
    return probe.created_ms.has_value();
  };
  std::set<std::string> config_set;
  for (const auto& [digest, ts] : tags_of) {
    auto it = parsed.find(digest);
    if (it == parsed.end() || options.push_records.count(digest) || age_known(digest)) continue;
    if (it->second.config) config_set.insert(it->second.config->digest);
    for (const auto& c : it->second.children) {
      auto ci = parsed.find(c);
      if (ci != parsed.end() && ci->second.config && !age_known(c)) config_set.insert(ci->second.config->digest);
    }
  }
  std::vector<std::string> configs(config_set.begin(), config_set.end());
  std::map<std::string, std::string> config_body;
  SLUICE_TRY(parallel_for(configs.size(), options.workers, [&](size_t i) -> Expected<void> {
    auto b = client.get_blob(configs[i], k_max_config);
    if (!b) {
      if (b.error().code == ErrorCode::not_found) return {};
      return tl::unexpected(b.error());
    }
    std::lock_guard lock(mu);
    config_body[configs[i]] = std::move(*b);
    return {};
  }));

  auto config_of = [&](const Parsed& p) -> std::string_view {
    if (!p.config) return {};
    auto it = config_body.find(p.config->digest);
    return it == config_body.end() ? std::string_view{} : std::string_view(it->second);
  };
  auto add_blobs = [&](Image& img, const std::string& digest, const Parsed& p) {
    img.blobs.push_back({digest, p.size});
    if (p.config) img.blobs.push_back(*p.config);
    for (const auto& l : p.layers) img.blobs.push_back(l);
  };

  for (const auto& [digest, ts] : tags_of) {
    auto it = parsed.find(digest);
    if (it == parsed.end()) continue;
    const Parsed& p = it->second;
    Image img;
    img.digest = digest;
    img.media_type = p.media_type;
    img.tags = ts;
    std::sort(img.tags.begin(), img.tags.end());
    img.children = p.children;
    add_blobs(img, digest, p);
    if (auto rec = options.push_records.find(digest); rec != options.push_records.end()) {
      img.created_ms = rec->second;
      img.age_source = AgeSource::push_record;
    } else {
      assign_age(img, bodies[digest], config_of(p));
    }
    if (p.is_index) {
      std::optional<Image> newest_child_age;
      for (const auto& c : p.children) {
        auto ci = parsed.find(c);
        if (ci == parsed.end()) continue;
        add_blobs(img, c, ci->second);
        if (img.created_ms) continue;
        Image probe;
        assign_age(probe, bodies[c], config_of(ci->second));
        if (probe.created_ms && (!newest_child_age || *probe.created_ms > *newest_child_age->created_ms)) {
          newest_child_age = probe;
        } else if (!probe.created_ms && !newest_child_age && probe.age_note != "no timestamp") {
          img.age_note = probe.age_note;
        }
      }
      if (!img.created_ms && newest_child_age) {
        img.created_ms = newest_child_age->created_ms;
        img.age_source = newest_child_age->age_source;
        img.age_note.clear();
      }
    }
    inv.images.push_back(std::move(img));
  }
  std::sort(inv.images.begin(), inv.images.end(), [](const Image& a, const Image& b) {
    if (a.created_ms.has_value() != b.created_ms.has_value()) return a.created_ms.has_value();
    if (a.created_ms && *a.created_ms != *b.created_ms) return *a.created_ms > *b.created_ms;
    return a.digest < b.digest;
  });
  return inv;
}

}  // namespace sluice::registry
