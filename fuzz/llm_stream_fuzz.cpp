// Fuzzes the streamed-response parsers: SSE framing split at a fuzzer-chosen point, fed to the
// OpenAI and Anthropic decoders, plus the non-streamed body decoders, the fence stripper and the
// Retry-After header parser (delta-seconds and the three HTTP-date forms).
#include <cstddef>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "llm/http.h"
#include "llm/stream.h"
#include "llm/workspace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t split = size == 0 ? 0 : data[0] % (size + 1);
  sluice::llm::StreamState openai, anthropic;
  sluice::llm::SseParser p([&](std::string_view event, std::string_view payload) {
    sluice::llm::decode_openai_event(payload, openai);
    sluice::llm::decode_anthropic_event(event, payload, anthropic);
  });
  p.feed(in.substr(0, split));
  p.feed(in.substr(split));
  p.finish();
  sluice::llm::StreamState a, b;
  sluice::llm::decode_openai_body(in, a);
  sluice::llm::decode_anthropic_body(in, b);
  (void)sluice::llm::strip_code_fences(in, sluice::llm::OutputFormat::yaml);
  (void)sluice::llm::strip_code_fences(in, sluice::llm::OutputFormat::text);
  (void)sluice::llm::parse_retry_after(in, std::chrono::system_clock::time_point{});
  return 0;
}
