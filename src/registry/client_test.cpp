// The client against a real HTTP server on loopback (cpp-httplib): Link pagination, the Bearer
// and Basic challenge flows, blob uploads streamed from files, and the helpers that parse
// challenges and links.
#include "registry/client.h"

#include <atomic>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "base/files.h"
#include "registry/oci_layout.h"

namespace sluice::registry {
namespace {

class Server {
 public:
  Server() { m_port = m_server.bind_to_any_port("127.0.0.1"); }
  ~Server() {
    m_server.stop();
    if (m_thread.joinable()) m_thread.join();
  }
  httplib::Server& server() { return m_server; }
  void start() {
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    while (!m_server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string host() const { return fmt::format("127.0.0.1:{}", m_port); }

 private:
  httplib::Server m_server;
  std::thread m_thread;
  int m_port = 0;
};

ClientOptions with_credentials(const char* user, const char* password) {
  ClientOptions o;
  o.credentials = Credentials{user, password};
  return o;
}

TEST(Challenge, ParsesBearerWithQuotedCommas) {
  auto c = parse_challenge(
      R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scheme, "bearer");
  EXPECT_EQ(c->params["realm"], "https://auth.example.com/token");
  EXPECT_EQ(c->params["service"], "registry.example.com");
  EXPECT_EQ(c->params["scope"], "repository:a/b:pull,push");
  auto b = parse_challenge(R"(Basic realm="Registry Realm")");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->scheme, "basic");
  EXPECT_EQ(b->params["realm"], "Registry Realm");
}

TEST(Link, FindsNextAmongSeveralAndResolvesPaths) {
  EXPECT_EQ(next_link({R"(</v2/a/tags/list?last=b&n=2>; rel="next")"}, "http://h:1"),
            "http://h:1/v2/a/tags/list?last=b&n=2");
  EXPECT_EQ(next_link({R"(<https://x/p>; rel="prev", <https://x/q>; rel="next")"}, "http://h"), "https://x/q");
  EXPECT_FALSE(next_link({R"(</v2/a>; rel="prev")"}, "http://h"));
  EXPECT_FALSE(next_link({}, "http://h"));
}

// A tag list served 2 at a time, behind a Bearer token service on the same server.
TEST(Client, FollowsLinkPaginationBehindBearerAuth) {
  Server s;
  std::vector<std::string> all = {"a", "b", "c", "d", "e"};
  std::atomic<int> token_calls{0};
  std::string host = s.host();
  s.server().Get("/token", [&](const httplib::Request& req, httplib::Response& res) {
    ++token_calls;
    EXPECT_EQ(req.get_param_value("service"), "test-registry");
    ASSERT_EQ(req.get_param_value_count("scope"), 2u);
    EXPECT_EQ(req.get_param_value("scope", 0), "repository:team/app:pull");
    EXPECT_EQ(req.get_param_value("scope", 1), "repository:team/app:pull,push,delete");
    EXPECT_EQ(req.get_header_value("Authorization"), "Basic dXNlcjpzM2NyZXQ=");  // user:s3cret
    res.set_content(R"({"token":"tok-123"})", "application/json");
  });
  s.server().Get("/v2/team/app/tags/list", [&](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") != "Bearer tok-123") {
      res.status = 401;
      res.set_header("WWW-Authenticate",
                     fmt::format(R"(Bearer realm="http://{}/token",service="test-registry",scope="repository:team/app:pull")",
                                 host));
      return;
    }
    size_t n = std::stoul(req.get_param_value("n"));
    std::string last = req.has_param("last") ? req.get_param_value("last") : "";
    size_t start = 0;
    while (start < all.size() && !last.empty() && all[start] <= last) ++start;
    nlohmann::json tags = nlohmann::json::array();
    for (size_t i = start; i < all.size() && i < start + n; ++i) tags.push_back(all[i]);
    if (start + n < all.size()) {
      res.set_header("Link", fmt::format(R"(</v2/team/app/tags/list?n={}&last={}>; rel="next")", n, all[start + n - 1]));
    }
    res.set_content(nlohmann::json{{"name", "team/app"}, {"tags", tags}}.dump(), "application/json");
  });
  s.start();
  auto ref = parse_repo_ref(host + "/team/app");
  ASSERT_TRUE(ref);
  Client c(*ref, with_credentials("user", "s3cret"));
  auto tags = c.list_tags(2);
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(*tags, all);
  EXPECT_EQ(token_calls.load(), 1);  // the token is reused for the later pages
}

TEST(Client, BasicAuthAndRefusedCredentialsNeverEchoThePassword) {
  Server s;
  s.server().Get("/v2/app/tags/list", [&](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") != "Basic dXNlcjpzM2NyZXQ=") {
      res.status = 401;
      res.set_header("WWW-Authenticate", R"(Basic realm="Registry Realm")");
      return;
    }
    res.set_content(R"({"name":"app","tags":["x"]})", "application/json");
  });
  s.start();
  auto ref = parse_repo_ref(s.host() + "/app");
  Client ok(*ref, with_credentials("user", "s3cret"));
  auto tags = ok.list_tags();
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(tags->size(), 1u);
  Client wrong(*ref, with_credentials("user", "wrong-pass"));
  auto r = wrong.list_tags();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("refused"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("wrong-pass"), std::string::npos);
  Client none(*ref, ClientOptions{});
  auto n = none.list_tags();
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message.find("none were given"), std::string::npos) << n.error().message;
}

// A registry's upload endpoints: POST starts an upload, PUT to its location completes it (behind
// Basic auth, so the first PUT meets a 401 and is sent again); every complete PUT body is kept.
struct UploadRegistry {
  Server s;
  std::mutex mu;
  std::vector<std::string> bodies;  // complete PUT bodies, in order
  std::vector<std::string> digests; // their ?digest=
  std::vector<std::string> lengths; // their Content-Length
  int challenged = 0;
  UploadRegistry() {
    s.server().set_payload_max_length(size_t(256) << 20);
    s.server().Post("/v2/app/blobs/uploads/", [](const httplib::Request&, httplib::Response& res) {
      res.status = 202;
      res.set_header("Location", "/v2/app/blobs/uploads/u1?_state=x");
    });
    s.server().Put("/v2/app/blobs/uploads/u1", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu);
      if (req.get_header_value("Authorization") != "Basic dXNlcjpzM2NyZXQ=") {
        ++challenged;
        res.status = 401;
        res.set_header("WWW-Authenticate", R"(Basic realm="Registry Realm")");
        return;
      }
      bodies.push_back(req.body);
      digests.push_back(req.get_param_value("digest"));
      lengths.push_back(req.get_header_value("Content-Length"));
      res.status = 201;
    });
    s.server().Get(R"(/v2/app/blobs/(sha256:[0-9a-f]+))", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
    });
    s.server().Put(R"(/v2/app/manifests/(.+))", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Docker-Content-Digest", digest_of(req.body));
      res.status = 201;
    });
    s.start();
  }
};

// 20 MiB of bytes that differ from offset to offset (a shifted copy would not hash the same).
std::string big_blob() {
  std::string out(size_t(20) << 20, '\0');
  uint32_t x = 2463534242u;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = char(x);
  }
  return out;
}

TEST(Client, StreamsABlobFromItsFileAndSendsItAgainAfterAChallenge) {
  UploadRegistry r;
  base::TempDir tmp;
  const std::string bytes = big_blob();
  const std::string digest = digest_of(bytes);
  const auto file = tmp.path() / "blob";
  ASSERT_TRUE(base::atomic_write(file, bytes));
  Client c(*parse_repo_ref(r.s.host() + "/app"), with_credentials("user", "s3cret"));
  auto up = c.upload_blob_file(digest, file, int64_t(bytes.size()));
  ASSERT_TRUE(up) << up.error().message;
  std::lock_guard lock(r.mu);
  EXPECT_EQ(r.challenged, 1);  // the first PUT was refused; the retry read the file from its start
  ASSERT_EQ(r.bodies.size(), 1u);
  EXPECT_EQ(r.bodies[0].size(), bytes.size());
  EXPECT_TRUE(r.bodies[0] == bytes) << "the body arrived changed";
  EXPECT_EQ(r.digests[0], digest);
  EXPECT_EQ(r.lengths[0], std::to_string(bytes.size()));
}

TEST(Client, RefusesAFileThatDoesNotMatchItsDigestBeforeTheUploadCompletes) {
  UploadRegistry r;
  base::TempDir tmp;
  std::string bytes = big_blob();
  const std::string digest = digest_of(bytes);
  bytes[bytes.size() / 2] ^= 1;  // one bit flipped on disk
  const auto file = tmp.path() / "blob";
  ASSERT_TRUE(base::atomic_write(file, bytes));
  Client c(*parse_repo_ref(r.s.host() + "/app"), with_credentials("user", "s3cret"));
  auto up = c.upload_blob_file(digest, file, int64_t(bytes.size()));
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().code, ErrorCode::integrity);
  EXPECT_EQ(up.error().message, fmt::format("{}: content does not match its digest {}", file.string(), digest));
  // Shorter and longer than the size given are refused too.
  auto shorter = c.upload_blob_file(digest, file, int64_t(bytes.size()) + 1);
  ASSERT_FALSE(shorter);
  EXPECT_NE(shorter.error().message.find("shorter than its descriptor says"), std::string::npos) << shorter.error().message;
  auto longer = c.upload_blob_file(digest, file, int64_t(bytes.size()) - 1);
  ASSERT_FALSE(longer);
  EXPECT_NE(longer.error().message.find("longer than its descriptor says"), std::string::npos) << longer.error().message;
  std::lock_guard lock(r.mu);
  EXPECT_TRUE(r.bodies.empty()) << "an upload of wrong bytes completed";
}

// A layout whose layer changed on disk after it was read: the push names the file and the
// registry never receives the whole layer.
TEST(Client, PushingALayoutRefusesALayerThatDoesNotMatchItsDigest) {
  UploadRegistry r;
  base::TempDir tmp;
  const auto dir = tmp.path();
  std::filesystem::create_directories(dir / "blobs" / "sha256");
  auto blob = [&](const std::string& b) {
    std::string d = digest_of(b);
    EXPECT_TRUE(base::atomic_write(dir / "blobs" / "sha256" / d.substr(7), b));
    return d;
  };
  auto desc = [](std::string_view mt, const std::string& d, size_t n) {
    return nlohmann::json{{"mediaType", mt}, {"digest", d}, {"size", n}};
  };
  const std::string layer = big_blob();
  const std::string config = R"({"architecture":"amd64","os":"linux"})";
  const std::string layer_digest = blob(layer);
  nlohmann::json m = {{"schemaVersion", 2},
                      {"mediaType", k_oci_manifest},
                      {"config", desc(k_oci_config, blob(config), config.size())},
                      {"layers", nlohmann::json::array({desc("application/vnd.oci.image.layer.v1.tar", layer_digest,
                                                             layer.size())})}};
  const std::string body = m.dump();
  ASSERT_TRUE(base::atomic_write(dir / "oci-layout", R"({"imageLayoutVersion": "1.0.0"})"));
  ASSERT_TRUE(base::atomic_write(
      dir / "index.json",
      nlohmann::json{{"schemaVersion", 2}, {"manifests", {desc(k_oci_manifest, blob(body), body.size())}}}.dump()));
  auto layout = read_oci_layout(dir);
  ASSERT_TRUE(layout) << layout.error().message;
  std::string changed = layer;
  changed[7] ^= 1;
  const auto layer_file = dir / "blobs" / "sha256" / layer_digest.substr(7);
  ASSERT_TRUE(base::atomic_write(layer_file, changed));
  Client c(*parse_repo_ref(r.s.host() + "/app"), with_credentials("user", "s3cret"));
  auto pushed = push_oci_layout(c, *layout, "v1");
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().code, ErrorCode::integrity);
  EXPECT_NE(pushed.error().message.find(layer_file.string() + ": content does not match its digest " + layer_digest),
            std::string::npos)
      << pushed.error().message;
  auto bodies = [&] {
    std::lock_guard lock(r.mu);
    return r.bodies;
  };
  for (const auto& b : bodies()) EXPECT_NE(b.size(), layer.size()) << "the changed layer was uploaded";
  // Restored, it pushes: the layer arrives intact.
  ASSERT_TRUE(base::atomic_write(layer_file, layer));
  auto again = push_oci_layout(c, *layout, "v1");
  ASSERT_TRUE(again) << again.error().message;
  bool layer_arrived = false;
  for (const auto& b : bodies()) layer_arrived = layer_arrived || b == layer;
  EXPECT_TRUE(layer_arrived);
}

}  // namespace
}  // namespace sluice::registry
