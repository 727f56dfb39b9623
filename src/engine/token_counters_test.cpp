#include "engine/token_counters.h"

#include <gtest/gtest.h>

#include "base/files.h"

using namespace sluice;
using namespace sluice::engine;

TEST(EncodingForModel, OpenAiFamiliesByPrefix) {
  for (const char* m : {"gpt-4o", "gpt-4o-mini", "chatgpt-4o-latest", "gpt-4.1-nano", "gpt-4.5-preview", "gpt-5",
                        "o1", "o1-mini", "o3-mini", "o4-mini", "gpt-oss-20b"}) {
    EXPECT_EQ(encoding_for_model(m), "o200k_base") << m;
  }
  for (const char* m : {"gpt-4", "gpt-4-turbo", "gpt-3.5-turbo", "text-embedding-3-small", "text-embedding-ada-002"}) {
    EXPECT_EQ(encoding_for_model(m), "cl100k_base") << m;
  }
}

TEST(EncodingForModel, OthersHaveNoKnownEncoding) {
  for (const char* m : {"", "claude-3-5-sonnet", "llama3", "mistral-large", "GPT-4O", "text-embedding-ada-001"}) {
    EXPECT_EQ(encoding_for_model(m), std::nullopt) << m;
  }
}

TEST(ModelTokenCounters, WithoutRankFilesCountsAreApproximateAndSaySo) {
  base::TempDir empty{"sluice-ranks"};
  ModelTokenCounters counters(empty.path());
  const llm::TokenCounter& c = counters.for_model("gpt-4o");
  EXPECT_FALSE(c.exact());
  EXPECT_GT(c.count("hello world, this is a prompt"), 0u);
  EXPECT_TRUE(counters.load_error().has_value());
  // An unknown model is approximate whatever the rank files.
  EXPECT_FALSE(counters.for_model("claude-3-5-sonnet").exact());
}
