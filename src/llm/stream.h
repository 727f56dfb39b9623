#pragma once
// Incremental parsers for streamed responses: server-sent events, and the OpenAI and Anthropic
// event payloads on top. Bytes may arrive split anywhere. Internal to llm (and its fuzz target).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::llm {

// text/event-stream framing (WHATWG): "event:", "data:" (joined with \n), comments, CRLF/LF/CR.
class SseParser {
 public:
  using OnEvent = std::function<void(std::string_view event, std::string_view data)>;
  explicit SseParser(OnEvent on_event) : m_on_event(std::move(on_event)) {}
  void feed(std::string_view bytes);
  // Dispatches a final event not followed by a blank line (servers that close abruptly).
  void finish();

 private:
  void line(std::string_view l);
  OnEvent m_on_event;
  std::string m_buf;
  std::string m_event;
  std::string m_data;
  bool m_has_data = false;
  bool m_last_cr = false;
};

// What a decoder has learnt so far.
struct StreamState {
  std::string text;
  std::string model;
  std::string finish_reason;
  std::optional<int64_t> tokens_in;
  std::optional<int64_t> tokens_out;
  // OpenAI: usage.prompt_tokens_details.cached_tokens (part of prompt_tokens). Anthropic:
  // cache_read_input_tokens / cache_creation_input_tokens (not part of its input_tokens).
  std::optional<int64_t> cached_in;
  std::optional<int64_t> cache_write_in;
  bool done = false;   // the protocol's end marker was seen
  std::string error;   // non-empty: malformed payload or an error event
};

// Feed SSE events of a Chat Completions stream. Returns true when new text arrived.
bool decode_openai_event(std::string_view data, StreamState& state);
// Feed SSE events of a Messages stream.
bool decode_anthropic_event(std::string_view event, std::string_view data, StreamState& state);
// Non-streamed bodies (servers that ignore "stream": true).
void decode_openai_body(std::string_view body, StreamState& state);
void decode_anthropic_body(std::string_view body, StreamState& state);

// A short, single-line excerpt of a provider's error body for messages.
[[nodiscard]] std::string error_excerpt(std::string_view body);

}  // namespace sluice::llm
