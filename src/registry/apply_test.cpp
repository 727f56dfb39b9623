// apply_plan against Debian's real docker-registry (skipped where it is not installed): a tag
// that moved between planning and applying is skipped, and untagging through a placeholder
// leaves the digest under its other tag.
#include "registry/apply.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/files.h"
#include "base/process.h"
#include "registry/inventory.h"
#include "registry/push.h"

namespace sluice::registry {
namespace {

namespace fs = std::filesystem;

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

class RealRegistry : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/bin/docker-registry")) GTEST_SKIP() << "docker-registry is not installed";
    m_host = fmt::format("127.0.0.1:{}", free_port());
    std::ofstream(m_dir.path() / "config.yml")
        << "version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\n"
        << "storage: {filesystem: {rootdirectory: " << (m_dir.path() / "storage").string()
        << "}, delete: {enabled: true}}\nhttp: {addr: " << m_host << "}\n";
    base::SpawnOptions o;
    o.argv = {"/usr/bin/docker-registry", "serve", (m_dir.path() / "config.yml").string()};
    auto child = base::spawn(o);
    ASSERT_TRUE(child) << child.error().message;
    m_child = std::move(*child);
    Client probe(*parse_repo_ref(m_host + "/probe"), ClientOptions{});
    for (int i = 0; i < 200; ++i) {
      auto r = probe.request("GET", "/v2/");
      if (r && r->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    FAIL() << "docker-registry did not start";
  }
  void TearDown() override {
    if (m_child.pid() > 0) {
      m_child.signal_group(SIGTERM);
      (void)m_child.wait();
    }
  }
  std::unique_ptr<Client> client(const std::string& repo) {
    return std::make_unique<Client>(*parse_repo_ref(m_host + "/" + repo), ClientOptions{});
  }
  Plan plan(Client& c, const std::string& policy_yaml) {
    auto inv = read_inventory(c, {});
    EXPECT_TRUE(inv) << inv.error().message;
    auto p = parse_policy(policy_yaml, "p.yml");
    EXPECT_TRUE(p) << p.error().message;
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    return make_plan(c.repo().display(), inv->images, decide(*p, inv->images, now));
  }

  base::TempDir m_dir{"sluice-registry-test"};
  std::string m_host;
  base::Child m_child;
};

ImageSpec spec(const std::string& layer) {
  ImageSpec s;
  s.layer = layer;
  s.created = "2020-01-01T00:00:00Z";
  return s;
}

TEST_F(RealRegistry, ATagThatMovedSincePlanningIsSkipped) {
  auto c = client("moves");
  ASSERT_TRUE(push_image(*c, spec("first"), {"pr-1"}));
  Plan p = plan(*c, "delete: [{tags: [\"pr-*\"]}]\n");
  ASSERT_EQ(p.delete_images, 1u);
  auto second = push_image(*c, spec("second"), {"pr-1"});  // someone pushes meanwhile
  ASSERT_TRUE(second);
  auto r = apply_plan(*c, p);
  EXPECT_EQ(r.deleted_images, 0u);
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_NE(r.skipped[0].find("moved"), std::string::npos) << r.skipped[0];
  auto now = c->head_manifest("pr-1");
  ASSERT_TRUE(now && *now);
  EXPECT_EQ(**now, *second);
}

TEST_F(RealRegistry, UntaggingKeepsTheDigestUnderItsOtherTag) {
  auto c = client("untag");
  auto d = push_image(*c, spec("shared"), {"v1", "pr-2"});
  ASSERT_TRUE(d);
  Plan p = plan(*c, "keep: [{tags: [\"v*\"]}]\ndelete: [{tags: [\"pr-*\"]}]\n");
  ASSERT_EQ(p.untag_tags, 1u);
  auto r = apply_plan(*c, p);
  EXPECT_EQ(r.untagged, 1u);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  auto tags = c->list_tags();
  ASSERT_TRUE(tags);
  EXPECT_EQ(*tags, std::vector<std::string>{"v1"});
  auto v1 = c->head_manifest("v1");
  ASSERT_TRUE(v1 && *v1);
  EXPECT_EQ(**v1, *d);
  // The placeholder is gone too.
  auto placeholder = c->head_manifest(digest_of(placeholder_manifest("pr-2")));
  ASSERT_TRUE(placeholder);
  EXPECT_FALSE(*placeholder);
}

}  // namespace
}  // namespace sluice::registry
