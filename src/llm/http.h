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
};

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
