#include "registry/reference.h"

#include <gtest/gtest.h>

namespace sluice::registry {
namespace {

TEST(RepoRef, LoopbackIsPlainHttpOthersHttps) {
  auto a = parse_repo_ref("127.0.0.1:5000/team/app");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->scheme, "http");
  EXPECT_EQ(a->host, "127.0.0.1:5000");
  EXPECT_EQ(a->name, "team/app");
  EXPECT_EQ(a->base_url(), "http://127.0.0.1:5000");
  EXPECT_EQ(parse_repo_ref("localhost:5000/app")->scheme, "http");
  EXPECT_EQ(parse_repo_ref("127.8.9.10/app")->scheme, "http");
  EXPECT_EQ(parse_repo_ref("registry.example.com/app")->scheme, "https");
  EXPECT_EQ(parse_repo_ref("128.0.0.1:5000/app")->scheme, "https");
  EXPECT_EQ(parse_repo_ref("127.example.com/app")->scheme, "https");
  EXPECT_EQ(parse_repo_ref("http://registry.internal:5000/app")->scheme, "http");
  EXPECT_EQ(parse_repo_ref("https://localhost:5000/app")->scheme, "https");
}

TEST(RepoRef, RejectsWhatIsNotARepository) {
  for (const char* bad : {"app", "/app", "127.0.0.1:5000/", "127.0.0.1:5000/App", "127.0.0.1:5000/app:tag",
                          "127.0.0.1:5000/app@sha256:00", "127.0.0.1:5000/a..b", "127.0.0.1:5000/-a"}) {
    auto r = parse_repo_ref(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::invalid_input);
    }
  }
}

}  // namespace
}  // namespace sluice::registry
