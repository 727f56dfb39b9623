#include "secrets/baseline.h"

#include <gtest/gtest.h>

#include "secrets/test_support.h"

namespace sluice::secrets {
namespace {

TEST(Baseline, RoundTripSuppressesOnlyRecordedFindings) {
  auto sc = testing::scanner_from(R"(
[[rule]]
id = "tok"
description = "t"
keywords = ["tok_"]
regex = '''\b(tok_[a-z0-9]{12})\b'''
examples = ['x']
counter_examples = ['y']
)");
  ASSERT_TRUE(sc);
  const auto old_findings = sc->scan("a tok_abc123def456\n", "src/a.txt");
  ASSERT_EQ(old_findings.size(), 1u);
  const std::string file = Baseline::serialize(old_findings);
  EXPECT_EQ(file.find("tok_abc123def456"), std::string::npos) << "baseline must not store the secret";
  auto b = Baseline::parse(file, "baseline.json");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->size(), 1u);
  // Same secret, moved down and with another one added: only the new one survives.
  const auto now = sc->scan("\n\nx\na tok_abc123def456\nb tok_zzz123def456\n", "src/a.txt");
  ASSERT_EQ(now.size(), 2u);
  EXPECT_TRUE(b->contains(now[0]));
  EXPECT_FALSE(b->contains(now[1]));
  // Same secret in another file is not covered.
  EXPECT_FALSE(b->contains(sc->scan("tok_abc123def456", "src/b.txt")[0]));
}

TEST(Baseline, RejectsMalformedFiles) {
  EXPECT_FALSE(Baseline::parse("[]", "b"));
  EXPECT_FALSE(Baseline::parse(R"({"version":2,"findings":[]})", "b"));
  auto e = Baseline::parse(R"({"version":1,"findings":[{"rule":"x"}]})", "b.json");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "b.json: finding #1 needs string fields rule, path and secret_sha256");
}

}  // namespace
}  // namespace sluice::secrets
