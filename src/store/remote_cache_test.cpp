#include "store/remote_cache.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace sluice::store {
namespace {

TEST(RemoteCache, MasksPasswordsInUrls) {
  EXPECT_EQ(mask_url("http://user:s3cret@cache:8080/p"), "http://user:***@cache:8080/p");
  EXPECT_EQ(mask_url("postgres://sluice:pw@db/x?sslmode=require"), "postgres://sluice:***@db/x?sslmode=require");
  EXPECT_EQ(mask_url("http://cache:8080/a@b"), "http://cache:8080/a@b");  // '@' in the path is no userinfo
  EXPECT_EQ(mask_url("http://token@cache/"), "http://token@cache/");
  EXPECT_EQ(mask_url("not a url"), "not a url");
}

TEST(RemoteCache, HmacMatchesRfc4231) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(RemoteCache, PlatformNamesOsArchAndLibc) {
  const std::string p = platform_tag();
  EXPECT_NE(p.find("Linux"), std::string::npos) << p;
  EXPECT_TRUE(p.find("glibc-") != std::string::npos || p.find("musl") != std::string::npos) << p;
}

TEST(RemoteCache, RefusesNonHttpUrls) {
  RemoteCacheOptions o;
  o.url = "ftp://u:hunter2@host/x";
  auto r = RemoteCache::open(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
}

// A port nothing listens on: every request fails fast, the breaker turns the cache off, and a
// flush of queued uploads returns within its budget.
TEST(RemoteCache, DeadServerCostsOnlyMisses) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), len), 0);
  ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(s);  // bound then closed: refused connections
  RemoteCacheOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/c";
  o.write = true;
  auto r = RemoteCache::open(o);
  ASSERT_TRUE(r);
  auto& cache = **r;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(cache.get_action(std::string(64, 'a')).got, RemoteCache::Got::miss);
  cache.put_action(std::string(64, 'b'), "{}");
  cache.flush(std::chrono::milliseconds(2000));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  const auto st = cache.stats();
  EXPECT_TRUE(st.disabled);
  EXPECT_EQ(st.hits, 0);
  EXPECT_EQ(st.misses, 10);
  EXPECT_EQ(st.errors, 3);  // then the breaker: no more requests
  EXPECT_EQ(st.dropped, 1);
}

}  // namespace
}  // namespace sluice::store
