// The client against a real HTTP server on loopback (cpp-httplib): Link pagination, the Bearer
// and Basic challenge flows, and the helpers that parse challenges and links.
#include "registry/client.h"

#include <atomic>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

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

}  // namespace
}  // namespace sluice::registry
