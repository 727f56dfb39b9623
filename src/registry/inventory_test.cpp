// read_inventory against a small registry on loopback (cpp-httplib) that counts requests: one
// manifest GET per tag (no HEADs), a config only where no push record or annotation gives the
// age, each distinct config once.
#include "registry/inventory.h"

#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace sluice::registry {
namespace {

using nlohmann::json;

struct Stored {
  std::string media_type;
  std::string body;
};

class TinyRegistry {
 public:
  TinyRegistry() {
    m_port = m_server.bind_to_any_port("127.0.0.1");
    m_server.Get("/v2/app/tags/list", [this](const httplib::Request&, httplib::Response& res) {
      bump("list");
      json tags = json::array();
      for (const auto& [t, _] : m_tags) tags.push_back(t);
      res.set_content(json{{"name", "app"}, {"tags", tags}}.dump(), "application/json");
    });
    auto manifest = [this](const httplib::Request& req, httplib::Response& res) {
      bump(req.method + " manifest");
      std::string ref = req.matches[1];
      auto t = m_tags.find(ref);
      std::string digest = t != m_tags.end() ? t->second : ref;
      auto m = m_manifests.find(digest);
      if (m == m_manifests.end()) {
        res.status = 404;
        return;
      }
      res.set_header("Docker-Content-Digest", digest);
      res.set_content(m->second.body, m->second.media_type);
    };
    m_server.Get(R"(/v2/app/manifests/(.+))", manifest);  // httplib answers HEAD with it too
    m_server.Get(R"(/v2/app/blobs/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      bump("GET blob");
      auto b = m_blobs.find(req.matches[1]);
      if (b == m_blobs.end()) {
        res.status = 404;
        return;
      }
      res.set_content(b->second, "application/octet-stream");
    });
  }
  ~TinyRegistry() {
    m_server.stop();
    if (m_thread.joinable()) m_thread.join();
  }
  void start() {
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    while (!m_server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string host() const { return fmt::format("127.0.0.1:{}", m_port); }

  // An image with a config whose "created" is `created`; returns its digest.
  std::string image(const std::string& created, const std::string& annotation = "") {
    std::string config = json{{"created", created}, {"architecture", "amd64"}}.dump();
    std::string cd = digest_of(config);
    m_blobs[cd] = config;
    json m = {{"schemaVersion", 2},
              {"mediaType", k_oci_manifest},
              {"config", {{"mediaType", k_oci_config}, {"digest", cd}, {"size", config.size()}}},
              {"layers", json::array()}};
    if (!annotation.empty()) m["annotations"] = {{"org.opencontainers.image.created", annotation}};
    std::string body = m.dump();
    std::string d = digest_of(body);
    m_manifests[d] = {std::string(k_oci_manifest), body};
    return d;
  }
  void tag(const std::string& t, const std::string& digest) { m_tags[t] = digest; }
  int count(const std::string& what) {
    std::lock_guard lock(m_mu);
    return m_counts[what];
  }

 private:
  httplib::Server m_server;
  std::thread m_thread;
  int m_port = 0;
  std::map<std::string, std::string> m_tags;
  std::map<std::string, Stored> m_manifests;
  std::map<std::string, std::string> m_blobs;
  std::mutex m_mu;
  std::map<std::string, int> m_counts;
  void bump(const std::string& what) {
    std::lock_guard lock(m_mu);
    ++m_counts[what];
  }
};

TEST(Inventory, OneGetPerTagAndConfigsOnlyWhereTheAgeIsStillUnknown) {
  TinyRegistry reg;
  std::string shared = reg.image("2024-01-01T00:00:00Z");
  std::string annotated = reg.image("2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z");
  std::string recorded = reg.image("2024-04-01T00:00:00Z");
  std::string same_config = reg.image("2024-01-01T00:00:00Z", "1970-01-01T00:00:00Z");  // epoch annotation
  reg.tag("a", shared);
  reg.tag("b", shared);
  reg.tag("c", annotated);
  reg.tag("d", recorded);
  reg.tag("e", same_config);
  reg.start();
  Client client(RepoRef{"http", reg.host(), "app"}, {});
  InventoryOptions o;
  o.workers = 3;
  o.push_records[recorded] = 1'700'000'000'000;
  auto inv = read_inventory(client, o);
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_EQ(inv->tag_count, 5u);
  ASSERT_EQ(inv->images.size(), 4u);
  std::map<std::string, const Image*> by_digest;
  for (const auto& i : inv->images) by_digest[i.digest] = &i;
  EXPECT_EQ(by_digest[shared]->tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(by_digest[shared]->age_source, AgeSource::config_created);
  EXPECT_EQ(by_digest[annotated]->age_source, AgeSource::annotation);
  EXPECT_EQ(by_digest[recorded]->age_source, AgeSource::push_record);
  EXPECT_EQ(*by_digest[recorded]->created_ms, 1'700'000'000'000);
  EXPECT_EQ(by_digest[same_config]->age_source, AgeSource::config_created);  // the epoch annotation says nothing
  EXPECT_EQ(reg.count("list"), 1);
  EXPECT_EQ(reg.count("GET manifest"), 5);  // one per tag
  EXPECT_EQ(reg.count("HEAD manifest"), 0);
  // "shared" and "same_config" have the same config bytes: one GET; "annotated" and "recorded" need none.
  EXPECT_EQ(reg.count("GET blob"), 1);
}

}  // namespace
}  // namespace sluice::registry
