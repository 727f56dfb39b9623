#include "engine/redaction.h"

#include <gtest/gtest.h>

#include "base/files.h"

using namespace sluice;
using namespace sluice::engine;

namespace {

// One rules cache for the binary: the compiled rule database is built once, not per test.
const base::TempDir& rules_cache() {
  static const base::TempDir dir{"sluice-rules-cache"};
  return dir;
}

struct Built {
  SecretRedaction::Built built;
  explicit Built(const std::vector<SecretValue>& values) {
    auto r = SecretRedaction::create(values, rules_cache().path());
    if (!r) throw std::runtime_error(r.error().message);
    built = std::move(*r);
  }
};

const std::string k_token = "s3cr3t-Value-9f8e7d6c5b4a";

}  // namespace

TEST(SecretRedaction, MasksKnownValuesInMessages) {
  Built b(std::vector<SecretValue>{{"DEPLOY_TOKEN", k_token}});
  EXPECT_TRUE(b.built.ignored.empty());
  const std::string out = b.built.redaction->redact("curl -H 'token: " + k_token + "' failed");
  EXPECT_EQ(out.find(k_token), std::string::npos) << out;
  EXPECT_NE(out.find("failed"), std::string::npos) << out;
}

TEST(SecretRedaction, TheStreamFilterCatchesAValueSplitAcrossWrites) {
  Built b(std::vector<SecretValue>{{"DEPLOY_TOKEN", k_token}});
  auto filter = b.built.redaction->make();
  std::string out = filter->write("line one\nvalue=" + k_token.substr(0, 7));
  out += filter->write(k_token.substr(7) + " end\n");
  out += filter->flush();
  EXPECT_EQ(out.find(k_token), std::string::npos) << out;
  EXPECT_NE(out.find("line one\n"), std::string::npos) << out;
  EXPECT_NE(out.find(" end\n"), std::string::npos) << out;
}

TEST(SecretRedaction, TooShortValuesAreNamedNotMasked) {
  Built b(std::vector<SecretValue>{{"PIN", "12"}});
  EXPECT_EQ(b.built.ignored, (std::vector<std::string>{"PIN"}));
  EXPECT_EQ(b.built.redaction->redact("pin 12"), "pin 12");
}
