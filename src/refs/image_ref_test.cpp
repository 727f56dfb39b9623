#include "refs/image_ref.h"

#include <gtest/gtest.h>

namespace sluice::refs {
namespace {

TEST(ImageRef, NormalisesDockerHubNames) {
  auto r = parse_image("nginx:1.27");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->repository(), "docker.io/library/nginx");
  EXPECT_EQ(r->tag, "1.27");
  auto o = parse_image("bitnami/redis");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->repository(), "docker.io/bitnami/redis");
}

TEST(ImageRef, RegistryPortAndDigest) {
  auto r = parse_image("localhost:5000/team/app:v1@sha256:"
                       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->domain, "localhost:5000");
  EXPECT_EQ(r->path, "team/app");
  EXPECT_EQ(r->tag, "v1");
  EXPECT_FALSE(r->digest.empty());
}

TEST(ImageRef, RejectsWhatTheGrammarRejects) {
  EXPECT_FALSE(parse_image("Nginx"));                // uppercase repository
  EXPECT_FALSE(parse_image("nginx:"));               // empty tag
  EXPECT_FALSE(parse_image("nginx:-bad"));           // tag starting with -
  EXPECT_FALSE(parse_image("nginx@sha256:abc"));     // short digest
  EXPECT_FALSE(parse_image("ghcr.io//app"));         // empty component
  EXPECT_FALSE(parse_image("my_registry.io:x/app")); // bad port
  EXPECT_FALSE(parse_image(""));
  EXPECT_TRUE(parse_image("ghcr.io/org/my-app_x.y:1.0.0-rc.1"));
}

}  // namespace
}  // namespace sluice::refs
