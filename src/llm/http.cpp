#include "llm/http.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>
#include <thread>

#include <curl/curl.h>
#include <fmt/format.h>

namespace sluice::llm {

namespace {

using Ms = std::chrono::milliseconds;
using std::chrono::duration_cast;
using std::chrono::steady_clock;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

enum class Outcome { ok, retry, fail, cancelled };

struct Attempt {
  Outcome outcome = Outcome::ok;
  std::string error;
  std::optional<Ms> retry_after;
};

// State shared with libcurl's callbacks during one attempt.
struct Transfer {
  const base::Clock* clock = nullptr;
  CURL* easy = nullptr;
  WireFormat format = WireFormat::openai;
  StreamState state;
  std::optional<SseParser> sse;
  long status = 0;
  bool json_body = false;
  std::string body;  // non-2xx bodies and non-streamed JSON, capped
  std::optional<Ms> retry_after;
  steady_clock::time_point last_activity;
  std::optional<steady_clock::time_point> first_text;
  bool body_started = false;
  ReplyLimits limits;
  int64_t max_output_tokens = 0;
  size_t received = 0;     // response body bytes so far
  std::string over_limit;  // why on_body stopped the transfer
};

constexpr size_t k_max_buffered = 16 << 20;

// The text limit, checked after every piece of the reply (streamed or not).
bool text_over_limit(Transfer& t) {
  if (t.state.text.size() <= t.limits.text_bytes) return false;
  t.over_limit = fmt::format(
      "the reply passed {} bytes of text, more than max_output_tokens {} can produce (at most {} bytes: 128 a "
      "token plus 16 KiB); the server does not honour max_tokens, stopped reading",
      t.state.text.size(), t.max_output_tokens, t.limits.text_bytes);
  return true;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view h(data, size * n);
  t->last_activity = t->clock->now();
  auto colon = h.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(h.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string_view value = h.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  if (name == "retry-after") {
    if (auto d = parse_retry_after(value)) t->retry_after = d;
  } else if (name == "retry-after-ms") {
    double ms = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (ec == std::errc() && ms >= 0 && std::isfinite(ms)) t->retry_after = Ms(static_cast<int64_t>(ms));
  } else if (name == "content-type") {
    t->json_body = value.find("application/json") != std::string_view::npos;
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view chunk(data, size * n);
  t->last_activity = t->clock->now();
  if (!t->body_started) {
    t->body_started = true;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->status);
  }
  t->received += chunk.size();
  // Returning less than the chunk aborts the transfer with CURLE_WRITE_ERROR; the limits are
  // checked as bytes arrive so that memory stays bounded whatever the server sends.
  if (t->status < 200 || t->status >= 300 || t->json_body) {
    if (t->body.size() + chunk.size() > k_max_buffered) {
      t->over_limit =
          fmt::format("the response body passed the {} MiB size cap, stopped reading", k_max_buffered >> 20);
      return 0;
    }
    t->body.append(chunk);
    return chunk.size();
  }
  if (t->received > t->limits.stream_bytes) {
    t->over_limit = fmt::format(
        "the response stream passed {} bytes, over its size cap for max_output_tokens {} ({} bytes: 16 MiB plus "
        "1 KiB a token), stopped reading",
        t->received, t->max_output_tokens, t->limits.stream_bytes);
    return 0;
  }
  t->sse->feed(chunk);
  if (text_over_limit(*t)) return 0;
  if (!t->first_text && !t->state.text.empty()) t->first_text = t->clock->now();
  return chunk.size();
}

std::string timeout_message(const CallOptions& opt, std::string_view detail) {
  return fmt::format("timed out after {} ms (timeout: the whole stage, queueing and retries included): {}",
                     opt.timeout.count(), detail);
}

Attempt run_attempt(const HttpCall& call, const CallOptions& opt, const base::Clock& clock,
                    steady_clock::time_point deadline, Transfer& t) {
  global_init();
  t.clock = &clock;
  t.format = call.format;
  t.limits = reply_limits(call.max_output_tokens);
  t.max_output_tokens = call.max_output_tokens;
  t.last_activity = clock.now();
  t.sse.emplace([&t](std::string_view event, std::string_view data) {
    if (!t.state.error.empty()) return;
    if (t.format == WireFormat::openai) decode_openai_event(data, t.state);
    else decode_anthropic_event(event, data, t.state);
  });

  CURL* easy = curl_easy_init();
  CURLM* multi = curl_multi_init();
  if (easy == nullptr || multi == nullptr) {
    if (easy) curl_easy_cleanup(easy);
    if (multi) curl_multi_cleanup(multi);
    return {Outcome::fail, "libcurl initialisation failed", {}};
  }
  t.easy = easy;
  curl_slist* headers = nullptr;
  for (const auto& h : call.headers) headers = curl_slist_append(headers, h.c_str());
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: text/event-stream, application/json");
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  char errbuf[CURL_ERROR_SIZE] = {0};
  auto remaining = duration_cast<Ms>(deadline - clock.now());
  curl_easy_setopt(easy, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, call.body.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::max<int64_t>(1, opt.connect_timeout.count())));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(1, remaining.count())));
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "sluice/" SLUICE_VERSION);
  curl_multi_add_handle(multi, easy);

  Attempt a;
  bool stalled = false, cancelled = false, timed_out = false;
  for (;;) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) break;
    if (running == 0) break;
    if (opt.cancel != nullptr && opt.cancel->load(std::memory_order_relaxed)) {
      cancelled = true;
      break;
    }
    // libcurl's CURLOPT_TIMEOUT_MS covers the transfer; this also catches time spent in our
    // callbacks on a fast, large stream.
    if (clock.now() >= deadline) {
      timed_out = true;
      break;
    }
    if (clock.now() - t.last_activity > opt.stall_timeout) {
      stalled = true;
      break;
    }
    // Wakes on socket activity; the short cap bounds cancel/stall latency.
    curl_multi_poll(multi, nullptr, 0, 20, nullptr);
  }
  CURLcode code = CURLE_OK;
  int left = 0;
  while (CURLMsg* m = curl_multi_info_read(multi, &left))
    if (m->msg == CURLMSG_DONE) code = m->data.result;
  if (t.status == 0) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &t.status);
  curl_multi_remove_handle(multi, easy);
  curl_easy_cleanup(easy);
  curl_multi_cleanup(multi);
  curl_slist_free_all(headers);
  t.easy = nullptr;

  if (cancelled) return {Outcome::cancelled, "cancelled", {}};
  if (timed_out) return {Outcome::fail, timeout_message(opt, fmt::format("{} bytes received", t.received)), {}};
  if (stalled)
    return {Outcome::retry, fmt::format("no data from {} for {} ms (stall timeout)", call.url, opt.stall_timeout.count()), {}};
  if (code != CURLE_OK) {
    std::string what = errbuf[0] ? std::string(errbuf) : curl_easy_strerror(code);
    if (code == CURLE_OPERATION_TIMEDOUT && clock.now() >= deadline - Ms(5))
      return {Outcome::fail, timeout_message(opt, what), {}};
    if (code == CURLE_WRITE_ERROR)
      return {Outcome::fail, t.over_limit.empty() ? std::string("response too large") : t.over_limit, {}};
    if (code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_URL_MALFORMAT || code == CURLE_SSL_CACERT ||
        code == CURLE_PEER_FAILED_VERIFICATION)
      return {Outcome::fail, fmt::format("request to {} failed: {}", call.url, what), {}};
    // Connection refused/reset, DNS, connect timeout, cut transfers: worth another try.
    return {Outcome::retry, fmt::format("request to {} failed: {}", call.url, what), {}};
  }
  if (t.status == 429 || t.status >= 500) {
    return {Outcome::retry, fmt::format("{} answered HTTP {}: {}", call.url, t.status, error_excerpt(t.body)), t.retry_after};
  }
  if (t.status < 200 || t.status >= 300) {
    return {Outcome::fail, fmt::format("{} answered HTTP {}: {}", call.url, t.status, error_excerpt(t.body)), {}};
  }
  if (t.json_body) {
    if (t.format == WireFormat::openai) decode_openai_body(t.body, t.state);
    else decode_anthropic_body(t.body, t.state);
    if (text_over_limit(t)) return {Outcome::fail, t.over_limit, {}};
    if (!t.first_text && !t.state.text.empty()) t.first_text = clock.now();
  } else {
    t.sse->finish();
  }
  if (!t.state.error.empty()) return {Outcome::fail, t.state.error, {}};
  if (!t.state.done)
    return {Outcome::retry, fmt::format("the response stream from {} ended before completion", call.url), {}};
  return a;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value) {
  static constexpr const char* k_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::string s(value);
  int day = 0, year = 0, hour = 0, min = 0, sec = 0, used = 0;
  char mon[4] = {};
  char zone[4] = {};
  bool ok = false;
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  if (std::sscanf(s.c_str(), "%*3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3[A-Z]%n", &day, mon, &year, &hour, &min,
                  &sec, zone, &used) == 7) {
    ok = std::string_view(zone) == "GMT";
  } else if (std::sscanf(s.c_str(), "%*[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d %3[A-Z]%n", &day, mon, &year, &hour,
                         &min, &sec, zone, &used) == 7) {
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" (a two-digit year is read as the nearest past
    // or near-future century, as RFC 9110 asks; 70-99 are 19xx)
    ok = std::string_view(zone) == "GMT";
    year += year < 70 ? 2000 : 1900;
  } else if (std::sscanf(s.c_str(), "%*3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", mon, &day, &hour, &min, &sec,
                         &year, &used) == 6) {
    ok = true;  // asctime: "Sun Nov  6 08:49:37 1994"
  }
  if (!ok || static_cast<size_t>(used) != s.size()) return std::nullopt;
  int month = -1;
  for (int m = 0; m < 12; ++m) {
    if (std::string_view(mon) == k_months[m]) month = m;
  }
  if (month < 0 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 || year < 1970) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  const time_t t = timegm(&tm);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

std::optional<Ms> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
  constexpr double k_max_s = 86400.0;
  double s = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), s);
  if (ec == std::errc() && p == value.data() + value.size()) {
    if (!std::isfinite(s) || s < 0) return std::nullopt;
    return Ms(static_cast<int64_t>(std::min(s, k_max_s) * 1000));
  }
  auto date = parse_http_date(value);
  if (!date) return std::nullopt;
  const auto wait = std::chrono::duration_cast<Ms>(*date - now);
  return std::clamp(wait, Ms(0), Ms(static_cast<int64_t>(k_max_s * 1000)));
}

ReplyLimits reply_limits(int64_t max_output_tokens) {
  // Clamped so that the products below cannot overflow; no model produces 2^30 tokens.
  const auto tokens = static_cast<size_t>(std::clamp<int64_t>(max_output_tokens, 0, int64_t{1} << 30));
  return {tokens * 128 + (16 << 10), k_max_buffered + tokens * 1024};
}

Expected<LlmResponse> perform_with_retries(const HttpCall& call, const CallOptions& opt, const base::Clock& clock) {
  const auto start = clock.now();
  const auto deadline = opt.deadline.value_or(start + opt.timeout);
  std::mt19937_64 rng(std::random_device{}());
  std::string last_error;
  for (int attempt = 0;; ++attempt) {
    if (clock.now() >= deadline) {
      std::string why = attempt == 0 ? "before the call started" : "before the next attempt";
      return make_error(ErrorCode::network, timeout_message(opt, why));
    }
    if (opt.pacer != nullptr) {
      auto turn = opt.pacer->wait_turn(opt.cancel, deadline);
      if (!turn) {
        if (!last_error.empty()) turn.error().message += fmt::format(" (last error: {})", last_error);
        return tl::unexpected(turn.error());
      }
    }
    Transfer t;
    const auto attempt_start = clock.now();
    Attempt a = run_attempt(call, opt, clock, deadline, t);
    const auto end = clock.now();
    if (opt.pacer != nullptr) {
      if (a.outcome == Outcome::ok) opt.pacer->on_success();
      else if (t.status == 429) opt.pacer->on_throttled(attempt_start, a.retry_after);
    }
    if (a.outcome == Outcome::ok) {
      LlmResponse r;
      r.text = std::move(t.state.text);
      r.model = std::move(t.state.model);
      r.finish_reason = std::move(t.state.finish_reason);
      r.usage_reported = t.state.tokens_in.has_value() && t.state.tokens_out.has_value();
      // Anthropic's input_tokens leaves out the cached and cache-written tokens; OpenAI's
      // prompt_tokens includes them. tokens_in is every input token either way.
      r.cached_in = t.state.cached_in.value_or(0);
      r.cache_write_in = t.state.cache_write_in.value_or(0);
      r.tokens_in = t.state.tokens_in.value_or(0) +
                    (call.format == WireFormat::anthropic ? r.cached_in + r.cache_write_in : 0);
      r.tokens_out = t.state.tokens_out.value_or(0);
      r.retries = attempt;
      auto first = t.first_text.value_or(end);
      r.ttft_ms = std::chrono::duration<double, std::milli>(first - attempt_start).count();
      r.generation_ms = std::chrono::duration<double, std::milli>(end - first).count();
      return r;
    }
    if (a.outcome == Outcome::cancelled) return make_error(ErrorCode::network, "LLM call cancelled");
    if (a.outcome == Outcome::fail) {
      if (attempt > 0) a.error += fmt::format(" (after {} retr{})", attempt, attempt == 1 ? "y" : "ies");
      // A refusal or a broken reply (other 4xx, malformed stream, error event, size caps) is
      // integrity: another provider would not help. Running out of time stays network.
      const bool timed_out = a.error.rfind("timed out", 0) == 0;
      return make_error(timed_out ? ErrorCode::network : ErrorCode::integrity, std::move(a.error));
    }
    if (attempt >= opt.max_retries)
      return make_error(ErrorCode::network, fmt::format("{} (gave up after {} retr{})", a.error, attempt,
                                                        attempt == 1 ? "y" : "ies"));
    // Full jitter over an exponential cap, but never sooner than the server asked.
    auto cap = std::min<int64_t>(opt.backoff_max.count(), opt.backoff_base.count() << std::min(attempt, 20));
    Ms delay(std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(0, cap))(rng));
    if (a.retry_after) delay = std::max(delay, *a.retry_after);
    // A Retry-After longer than the time left fails now, not after the timeout.
    if (clock.now() + delay >= deadline)
      return make_error(ErrorCode::network,
                        fmt::format("{}; the next retry (in {} ms{}) would pass the {} ms timeout", a.error,
                                    delay.count(), a.retry_after && delay == *a.retry_after ? ", as Retry-After asks" : "",
                                    opt.timeout.count()));
    last_error = a.error;
    const auto wake = clock.now() + delay;
    while (clock.now() < wake) {
      if (opt.cancel != nullptr && opt.cancel->load(std::memory_order_relaxed))
        return make_error(ErrorCode::network, "LLM call cancelled");
      std::this_thread::sleep_for(std::min<Ms>(Ms(10), duration_cast<Ms>(wake - clock.now()) + Ms(1)));
    }
  }
}

}  // namespace sluice::llm
