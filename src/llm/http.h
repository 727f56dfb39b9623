#pragma once
// One streamed HTTP POST over libcurl, with connect/total/stall timeouts and cancellation, and
// the retry loop shared by the HTTP providers. Internal to llm.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "llm/provider.h"
#include "llm/stream.h"

namespace sluice::llm {

enum class WireFormat { openai, anthropic };

struct HttpCall {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"; may hold the key, never logged
  std::string body;
  WireFormat format = WireFormat::openai;
  int64_t max_output_tokens = 1024;  // as sent; bounds what is read of the reply
};

// How much of one reply is read before the attempt is abandoned (not retried). Checked as the
// bytes arrive, so memory stays bounded by these, whatever the server sends.
//  - text_bytes: the reply's text. No token of a public vocabulary is longer than 128 bytes
//    (the longest in cl100k_base and o200k_base is 128), so more text than 128 bytes a token
//    plus 16 KiB cannot be max_output_tokens tokens: the server ignores max_tokens.
//  - stream_bytes: every byte of the response (SSE framing, usage, keep-alives): the 16 MiB
//    allowed for a non-streamed body, plus 1 KiB a token of framing.
struct ReplyLimits {
  size_t text_bytes = 0;
  size_t stream_bytes = 0;
};
[[nodiscard]] ReplyLimits reply_limits(int64_t max_output_tokens);

// Sends `call`, retrying on 429, 5xx, connection failures, stalls and cut streams with
// exponential backoff and full jitter (at least Retry-After when the server sends one), never
// on other 4xx. Fills `response` (text, usage if reported, timings, retries).
[[nodiscard]] Expected<LlmResponse> perform_with_retries(const HttpCall& call, const CallOptions& options,
                                                         const base::Clock& clock);

// Parses a Retry-After value: delta-seconds (possibly fractional) or an HTTP-date (the three
// forms RFC 9110 says a recipient must accept: IMF-fixdate, RFC 850, asctime), measured from
// `now`; a date in the past is a wait of 0. Waits are capped at a day.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
// An HTTP-date, in any of the three forms above.
[[nodiscard]] std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value);

}  // namespace sluice::llm
