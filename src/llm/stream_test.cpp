#include <gtest/gtest.h>

#include "llm/stream.h"
#include "llm/test_server.h"

namespace sluice::llm {
namespace {

std::vector<std::pair<std::string, std::string>> events_of(const std::vector<std::string_view>& chunks) {
  std::vector<std::pair<std::string, std::string>> out;
  SseParser p([&](std::string_view e, std::string_view d) { out.emplace_back(e, d); });
  for (auto c : chunks) p.feed(c);
  p.finish();
  return out;
}

TEST(SseParser, SplitAnywhereGivesTheSameEvents) {
  const std::string text = "event: a\r\ndata: 1\r\ndata: 2\r\n\r\n: comment\n\ndata:x\rdata: y\r\rdata: last";
  auto whole = events_of({text});
  ASSERT_EQ(whole.size(), 3u);
  EXPECT_EQ(whole[0], (std::pair<std::string, std::string>{"a", "1\n2"}));
  EXPECT_EQ(whole[1], (std::pair<std::string, std::string>{"message", "x\ny"}));
  EXPECT_EQ(whole[2], (std::pair<std::string, std::string>{"message", "last"}));
  for (size_t i = 0; i <= text.size(); ++i)
    for (size_t j = i; j <= text.size(); j += 7)
      ASSERT_EQ(events_of({std::string_view(text).substr(0, i), std::string_view(text).substr(i, j - i),
                           std::string_view(text).substr(j)}),
                whole)
          << "split at " << i << "," << j;
}

TEST(Decoders, OpenAiStreamAccumulatesTextAndUsage) {
  StreamState s;
  SseParser p([&](std::string_view, std::string_view d) { decode_openai_event(d, s); });
  p.feed(testing::openai_stream({"a", "b"}, 5, 2));
  EXPECT_EQ(s.text, "ab");
  EXPECT_EQ(*s.tokens_in, 5);
  EXPECT_EQ(*s.tokens_out, 2);
  EXPECT_TRUE(s.done);
  EXPECT_TRUE(s.error.empty());
}

TEST(Decoders, AnthropicStreamAccumulatesTextAndUsage) {
  StreamState s;
  SseParser p([&](std::string_view e, std::string_view d) { decode_anthropic_event(e, d, s); });
  p.feed(testing::anthropic_stream({"x", "y"}, 8, 3));
  EXPECT_EQ(s.text, "xy");
  EXPECT_EQ(*s.tokens_in, 8);
  EXPECT_EQ(*s.tokens_out, 3);
  EXPECT_EQ(s.finish_reason, "end_turn");
  EXPECT_TRUE(s.done);
}

TEST(Decoders, ErrorsAndMalformedPayloadsAreReported) {
  StreamState a;
  decode_openai_event("{not json", a);
  EXPECT_NE(a.error.find("malformed JSON"), std::string::npos);
  StreamState b;
  decode_openai_event(R"({"error":{"message":"overloaded","type":"server_error"}})", b);
  EXPECT_NE(b.error.find("overloaded"), std::string::npos);
  StreamState c;
  decode_anthropic_event("error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", c);
  EXPECT_NE(c.error.find("overloaded_error: Overloaded"), std::string::npos);
  StreamState d;
  decode_openai_event(R"({"choices":"wrong type"})", d);  // odd shapes are ignored, not crashes
  EXPECT_TRUE(d.text.empty());
}

}  // namespace
}  // namespace sluice::llm
