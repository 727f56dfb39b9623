// Providers against a real HTTP server on 127.0.0.1: streaming, usage, retries, timeouts,
// malformed and cut streams, cancellation, replay and record.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <thread>

#include "base/files.h"
#include "llm/http.h"
#include "llm/provider.h"
#include "llm/test_server.h"

namespace sluice::llm {
namespace {

using namespace std::chrono_literals;
using testing::TestServer;

constexpr const char* k_key = "sk-test-THEKEY-0123456789";

LlmRequest request() {
  LlmRequest r;
  r.model = "gpt-4o-mini";
  r.system = "You write Kubernetes manifests.";
  r.prompt = "Write a deployment.";
  r.max_output_tokens = 100;
  return r;
}

CallOptions fast() {
  CallOptions o;
  o.timeout = 3s;
  o.connect_timeout = 1s;
  o.stall_timeout = 1s;
  o.max_retries = 3;
  o.backoff_base = 1ms;
  return o;
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// This process's peak resident set so far, in MiB (Linux reports ru_maxrss in KiB).
long peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

// AddressSanitizer keeps freed memory in quarantine (256 MB by default), so resident memory
// there says nothing about what the code holds: the memory checks run in normal builds only.
#if defined(__SANITIZE_ADDRESS__)
constexpr long k_rss_slack_mib = 1 << 20;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr long k_rss_slack_mib = 1 << 20;
#else
constexpr long k_rss_slack_mib = 64;
#endif
#else
constexpr long k_rss_slack_mib = 64;
#endif

struct ProviderTest : ::testing::Test {
  TestServer server;
  base::SystemClock clock;
  std::atomic<int> calls{0};
  std::string last_body;
  std::string last_auth;

  std::unique_ptr<LlmProvider> openai() { return make_openai_provider(server.url() + "/v1", k_key, clock); }
  void serve_openai(std::function<void(int call, const httplib::Request&, httplib::Response&)> fn) {
    server.server().Post("/v1/chat/completions", [this, fn](const httplib::Request& req, httplib::Response& res) {
      int n = calls++;
      last_body = req.body;
      last_auth = req.get_header_value("Authorization");
      fn(n, req, res);
    });
    server.start();
  }
};

TEST_F(ProviderTest, OpenAiStreamsTextUsageAndTimeToFirstToken) {
  serve_openai([this](int, const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/event-stream", [this](size_t, httplib::DataSink& sink) {
      std::this_thread::sleep_for(60ms);  // the model "thinks" before the first token
      std::string s = testing::openai_stream({"kind: ", "Deployment", "\n"}, 42, 7);
      sink.write(s.data(), s.size());
      sink.done();
      return !server.stopping();
    });
  });
  auto r = openai()->complete(request(), fast());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->text, "kind: Deployment\n");
  EXPECT_TRUE(r->usage_reported);
  EXPECT_EQ(r->tokens_in, 42);
  EXPECT_EQ(r->tokens_out, 7);
  EXPECT_EQ(r->finish_reason, "stop");
  EXPECT_EQ(r->model, "gpt-4o-mini-2024-07-18");
  EXPECT_EQ(r->retries, 0);
  EXPECT_GE(r->ttft_ms, 55);
  EXPECT_EQ(last_auth, std::string("Bearer ") + k_key);
  auto body = nlohmann::json::parse(last_body);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][1]["content"], "Write a deployment.");
  EXPECT_EQ(body["max_tokens"], 100);
}

TEST_F(ProviderTest, AnthropicStreamsMessagesEvents) {
  std::string key_header, version;
  server.server().Post("/v1/messages", [&](const httplib::Request& req, httplib::Response& res) {
    key_header = req.get_header_value("x-api-key");
    version = req.get_header_value("anthropic-version");
    last_body = req.body;
    res.set_content(testing::anthropic_stream({"apiVersion", ": v1"}, 30, 5), "text/event-stream");
  });
  server.start();
  auto p = make_anthropic_provider(server.url() + "/v1", k_key, clock);
  auto r = p->complete(request(), fast());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->text, "apiVersion: v1");
  EXPECT_EQ(r->tokens_in, 30);
  EXPECT_EQ(r->tokens_out, 5);
  EXPECT_TRUE(r->usage_reported);
  EXPECT_EQ(r->finish_reason, "end_turn");
  EXPECT_EQ(key_header, k_key);
  EXPECT_EQ(version, "2023-06-01");
  auto body = nlohmann::json::parse(last_body);
  EXPECT_EQ(body["system"], "You write Kubernetes manifests.");
  EXPECT_EQ(body["messages"][0]["role"], "user");
}

namespace {
// A server handler: HTTP 429 with this Retry-After on the first call, then a normal answer.
auto rate_limited_once(std::string retry_after) {
  return [retry_after](int n, const httplib::Request&, httplib::Response& res) {
    if (n == 0) {
      res.status = 429;
      res.set_header("Retry-After", retry_after);
      res.set_content(R"({"error":{"message":"Rate limit reached","type":"rate_limit"}})", "application/json");
      return;
    }
    res.set_content(testing::openai_stream({"ok"}, 1, 1), "text/event-stream");
  };
}
}  // namespace

TEST_F(ProviderTest, RetriesOn429HonouringRetryAfter) {
  serve_openai(rate_limited_once("1"));
  auto t = std::chrono::steady_clock::now();
  auto r = openai()->complete(request(), fast());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_GE(ms_since(t), 1000);  // backoff base is 1 ms: only Retry-After explains the wait
  EXPECT_EQ(r->retries, 1);
  EXPECT_EQ(calls, 2);
}

TEST_F(ProviderTest, RetriesOn429HonouringAnHttpDateRetryAfter) {
  // The date form: two seconds from now, rounded down to the whole second the header carries.
  const std::time_t tt = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + std::chrono::seconds(2));
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  serve_openai(rate_limited_once(date));
  auto t = std::chrono::steady_clock::now();
  auto r = openai()->complete(request(), fast());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_GE(ms_since(t), 900);  // at least until that second began
  EXPECT_EQ(r->retries, 1);
}

TEST(RetryAfter, DeltaSecondsAndAllThreeHttpDateForms) {
  using std::chrono::milliseconds;
  EXPECT_EQ(parse_retry_after("2"), milliseconds(2000));
  EXPECT_EQ(parse_retry_after("0.25"), milliseconds(250));
  EXPECT_EQ(parse_retry_after("999999"), milliseconds(86'400'000));  // capped at a day
  EXPECT_FALSE(parse_retry_after("-1"));
  EXPECT_FALSE(parse_retry_after("soon"));
  // 1994-11-06 08:49:37 UTC, in the three forms RFC 9110 says a recipient must accept.
  const auto want = std::chrono::system_clock::from_time_t(784111777);
  for (const char* form : {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                           "Sun Nov  6 08:49:37 1994"}) {
    auto d = parse_http_date(form);
    ASSERT_TRUE(d) << form;
    EXPECT_EQ(*d, want) << form;
    EXPECT_EQ(parse_retry_after(form, want - std::chrono::seconds(7)), milliseconds(7000)) << form;
  }
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", want + std::chrono::hours(1)),
            milliseconds(0));  // already past: no wait
  for (const char* bad : {"Sun, 06 Nov 1994 08:49:37 PST", "Sun, 32 Nov 1994 08:49:37 GMT",
                          "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT trailing", ""}) {
    EXPECT_FALSE(parse_http_date(bad)) << bad;
  }
}

TEST_F(ProviderTest, RetriesOn5xxWithBackoffThenSucceeds) {
  serve_openai([](int n, const httplib::Request&, httplib::Response& res) {
    if (n < 2) {
      res.status = n == 0 ? 500 : 503;
      res.set_content("upstream overloaded", "text/plain");
      return;
    }
    res.set_content(testing::openai_stream({"fine"}, 3, 1), "text/event-stream");
  });
  auto r = openai()->complete(request(), fast());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->text, "fine");
  EXPECT_EQ(r->retries, 2);
  EXPECT_EQ(calls, 3);
}

TEST_F(ProviderTest, GivesUpAfterMaxRetriesNamingTheLastError) {
  serve_openai([](int, const httplib::Request&, httplib::Response& res) {
    res.status = 502;
    res.set_content("bad gateway", "text/plain");
  });
  auto o = fast();
  o.max_retries = 2;
  auto r = openai()->complete(request(), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(calls, 3);
  EXPECT_NE(r.error().message.find("HTTP 502"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("gave up after 2 retries"), std::string::npos) << r.error().message;
}

TEST_F(ProviderTest, NeverRetries400Or401AndNeverShowsTheKey) {
  serve_openai([](int n, const httplib::Request&, httplib::Response& res) {
    res.status = n == 0 ? 400 : 401;
    res.set_content(R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}})",
                    "application/json");
  });
  auto r = openai()->complete(request(), fast());
  ASSERT_FALSE(r);
  EXPECT_EQ(calls, 1);
  EXPECT_NE(r.error().message.find("HTTP 400"), std::string::npos) << r.error().message;
  auto r2 = openai()->complete(request(), fast());
  ASSERT_FALSE(r2);
  EXPECT_EQ(calls, 2);
  EXPECT_NE(r2.error().message.find("HTTP 401"), std::string::npos);
  EXPECT_NE(r2.error().message.find("Incorrect API key"), std::string::npos);
  EXPECT_EQ(r2.error().message.find(k_key), std::string::npos);
  EXPECT_EQ(r.error().message.find(k_key), std::string::npos);
}

TEST_F(ProviderTest, MalformedJsonInStreamFailsWithoutRetry) {
  serve_openai([](int, const httplib::Request&, httplib::Response& res) {
    res.set_content(testing::openai_chunk("a") + "data: {\"choices\": [ {\"delta\": \n\n", "text/event-stream");
  });
  auto r = openai()->complete(request(), fast());
  ASSERT_FALSE(r);
  EXPECT_EQ(calls, 1);
  EXPECT_NE(r.error().message.find("malformed JSON"), std::string::npos) << r.error().message;
}

TEST_F(ProviderTest, StreamCutHalfwayIsRetried) {
  serve_openai([this](int n, const httplib::Request&, httplib::Response& res) {
    if (n == 0) {
      // Half a stream, then the connection drops (the provider returns false mid-stream).
      res.set_chunked_content_provider("text/event-stream", [](size_t offset, httplib::DataSink& sink) {
        if (offset > 0) return false;
        std::string s = testing::openai_chunk("half ");
        sink.write(s.data(), s.size());
        return true;
      });
      return;
    }
    res.set_content(testing::openai_stream({"whole"}, 2, 1), "text/event-stream");
    (void)this;
  });
  auto r = openai()->complete(request(), fast());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->text, "whole");  // nothing of the cut attempt leaks into the answer
  EXPECT_EQ(r->retries, 1);
}

TEST_F(ProviderTest, StreamEndingWithoutDoneIsReportedAfterRetries) {
  serve_openai([](int, const httplib::Request&, httplib::Response& res) {
    res.set_content(testing::openai_chunk("no end marker"), "text/event-stream");
  });
  auto o = fast();
  o.max_retries = 1;
  auto r = openai()->complete(request(), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(calls, 2);
  EXPECT_NE(r.error().message.find("ended before completion"), std::string::npos) << r.error().message;
}

TEST_F(ProviderTest, StalledStreamHitsTheStallTimeout) {
  serve_openai([this](int, const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/event-stream", [this](size_t offset, httplib::DataSink& sink) {
      if (offset == 0) {
        std::string s = testing::openai_chunk("first ");
        sink.write(s.data(), s.size());
        return true;
      }
      for (int i = 0; i < 300 && !server.stopping() && sink.is_writable(); ++i) std::this_thread::sleep_for(10ms);
      return false;
    });
  });
  auto o = fast();
  o.stall_timeout = 150ms;
  o.max_retries = 0;
  auto t = std::chrono::steady_clock::now();
  auto r = openai()->complete(request(), o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("stall timeout"), std::string::npos) << r.error().message;
  // The server stalls for 3 s; the bound leaves a loaded machine (or ASan) room.
  EXPECT_LT(ms_since(t), 2000);
}

TEST_F(ProviderTest, SlowButSteadyStreamSucceeds) {
  serve_openai([this](int, const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/event-stream", [this](size_t offset, httplib::DataSink& sink) {
      static thread_local int sent = 0;
      if (offset == 0) sent = 0;
      if (server.stopping()) return false;
      std::this_thread::sleep_for(40ms);
      std::string s = sent < 5 ? testing::openai_chunk("x") : testing::openai_chunk("", "stop") + testing::openai_usage(1, 5) + "data: [DONE]\n\n";
      sink.write(s.data(), s.size());
      if (++sent > 5) sink.done();
      return true;
    });
  });
  auto o = fast();
  o.stall_timeout = 150ms;  // longer than each gap, shorter than the whole stream
  auto r = openai()->complete(request(), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->text, "xxxxx");
  EXPECT_GE(r->generation_ms, 120);
}

TEST_F(ProviderTest, TotalTimeoutEndsTheCall) {
  serve_openai([this](int, const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/event-stream", [this](size_t, httplib::DataSink& sink) {
      if (server.stopping()) return false;
      std::this_thread::sleep_for(50ms);
      std::string s = testing::openai_chunk("x");
      sink.write(s.data(), s.size());
      return true;  // never ends
    });
  });
  auto o = fast();
  o.timeout = 300ms;
  auto t = std::chrono::steady_clock::now();
  auto r = openai()->complete(request(), o);
  ASSERT_FALSE(r);
  EXPECT_LT(ms_since(t), 2500);  // the stream never ends: any bound tells the timeout worked
  EXPECT_NE(r.error().message.find("timeout"), std::string::npos) << r.error().message;
}

TEST(ReplyLimits, ScaleWithMaxOutputTokens) {
  EXPECT_EQ(reply_limits(50).text_bytes, 50u * 128 + 16384);
  EXPECT_EQ(reply_limits(50).stream_bytes, (16u << 20) + 50u * 1024);
  EXPECT_EQ(reply_limits(-1).text_bytes, 16384u);
  EXPECT_GT(reply_limits(int64_t{1} << 62).stream_bytes, reply_limits(1'000'000).stream_bytes);  // no overflow
}

// A server that streams text as fast as the socket takes it and never ends: the reply must be
// cut as soon as it holds more text than max_output_tokens can produce, while reading.
TEST_F(ProviderTest, EndlessTextStreamIsCutPastWhatMaxOutputTokensCanProduce) {
  std::atomic<int64_t> sent{0};
  serve_openai([this, &sent](int, const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/event-stream", [this, &sent](size_t, httplib::DataSink& sink) {
      static const std::string piece = testing::openai_chunk(std::string(16 << 10, 'x'));
      if (server.stopping() || !sink.write(piece.data(), piece.size())) return false;
      sent += static_cast<int64_t>(piece.size());
      return true;  // never ends
    });
  });
  auto o = fast();
  o.timeout = 20s;
  o.stall_timeout = 20s;
  auto req = request();
  req.max_output_tokens = 50;
  const long rss_before = peak_rss_mib();
  auto t = std::chrono::steady_clock::now();
  auto r = openai()->complete(req, o);
  ASSERT_FALSE(r);
  EXPECT_LT(ms_since(t), 2000);
  EXPECT_NE(r.error().message.find("more than max_output_tokens 50 can produce"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(calls, 1);  // a server ignoring max_tokens is not asked again
  // Bounded while reading: what the server got into the socket is a few buffers, not the stream.
  EXPECT_LT(sent.load(), 32 << 20);
  EXPECT_LT(peak_rss_mib() - rss_before, k_rss_slack_mib);
}

// Events without text (here: empty deltas) never trip the text limit; the size cap ends them.
TEST_F(ProviderTest, EndlessStreamWithoutTextHitsTheSizeCap) {
  serve_openai([this](int, const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/event-stream", [this](size_t, httplib::DataSink& sink) {
      static const std::string piece = [] {
        std::string s;
        for (int i = 0; i < 256; ++i) s += testing::openai_chunk("");
        return s;
      }();
      return !server.stopping() && sink.write(piece.data(), piece.size());
    });
  });
  auto o = fast();
  o.timeout = 20s;
  o.stall_timeout = 20s;
  auto req = request();
  req.max_output_tokens = 50;
  const long rss_before = peak_rss_mib();
  auto t = std::chrono::steady_clock::now();
  auto r = openai()->complete(req, o);
  ASSERT_FALSE(r);
  // The message, not a time bound, tells the size cap from the 20 s timeout: parsing 16 MiB of
  // events takes 0.2 s in a release build and over 10 s in a sanitizer build on a loaded machine.
  (void)t;
  EXPECT_NE(r.error().message.find("size cap"), std::string::npos) << r.error().message;
  EXPECT_EQ(calls, 1);
  EXPECT_LT(peak_rss_mib() - rss_before, k_rss_slack_mib);
}

// One SSE line that never ends: buffered by the parser, so bounded by the size cap too.
TEST_F(ProviderTest, EndlessSseLineHitsTheSizeCap) {
  serve_openai([this](int, const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/event-stream", [this](size_t offset, httplib::DataSink& sink) {
      static const std::string piece(64 << 10, 'a');
      if (offset == 0 && !sink.write("data: ", 6)) return false;
      return !server.stopping() && sink.write(piece.data(), piece.size());
    });
  });
  auto o = fast();
  o.timeout = 20s;
  o.stall_timeout = 20s;
  auto t = std::chrono::steady_clock::now();
  auto r = openai()->complete(request(), o);
  ASSERT_FALSE(r);
  // The message, not a time bound, tells the size cap from the 20 s timeout: parsing 16 MiB of
  // events takes 0.2 s in a release build and over 10 s in a sanitizer build on a loaded machine.
  (void)t;
  EXPECT_NE(r.error().message.find("size cap"), std::string::npos) << r.error().message;
}

// Servers that ignore "stream": the whole body is read, then held to the same text limit.
TEST_F(ProviderTest, NonStreamedBodyIsHeldToTheTextLimit) {
  serve_openai([](int, const httplib::Request&, httplib::Response& res) {
    nlohmann::json j = {{"model", "llama3"},
                        {"choices", {{{"index", 0},
                                      {"message", {{"role", "assistant"}, {"content", std::string(1 << 20, 'y')}}},
                                      {"finish_reason", "stop"}}}}};
    res.set_content(j.dump(), "application/json");
  });
  auto req = request();
  req.max_output_tokens = 50;
  auto r = openai()->complete(req, fast());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("more than max_output_tokens 50 can produce"), std::string::npos)
      << r.error().message;
  req.max_output_tokens = 10000;  // 1 MiB of text is within what 10000 tokens can be
  EXPECT_TRUE(openai()->complete(req, fast()));
}

// The deadline is the stage's: a call that starts late gets only what is left of it.
TEST_F(ProviderTest, DeadlineBoundsTheCallFromBeforeItStarted) {
  serve_openai([this](int, const httplib::Request&, httplib::Response& res) {
    for (int i = 0; i < 300 && !server.stopping(); ++i) std::this_thread::sleep_for(10ms);
    res.set_content(testing::openai_stream({"late"}, 1, 1), "text/event-stream");
  });
  auto o = fast();
  o.timeout = 1s;
  o.deadline = std::chrono::steady_clock::now() + 150ms;
  auto t = std::chrono::steady_clock::now();
  auto r = openai()->complete(request(), o);
  ASSERT_FALSE(r);
  EXPECT_LT(ms_since(t), 900);  // the server answers after 3 s, the 1 s timeout would end it at 1 s
  EXPECT_NE(r.error().message.find("timed out after 1000 ms (timeout: the whole stage"), std::string::npos)
      << r.error().message;
  o.deadline = std::chrono::steady_clock::now() - 1ms;
  auto past = openai()->complete(request(), o);
  ASSERT_FALSE(past);
  EXPECT_NE(past.error().message.find("before the call started"), std::string::npos) << past.error().message;
}

TEST_F(ProviderTest, ConnectionRefusedIsRetriedThenReported) {
  // A port that was free a moment ago: bound, read, closed, never listened on.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  auto p = make_openai_provider(fmt::format("http://127.0.0.1:{}/v1", port), k_key, clock);
  auto o = fast();
  o.max_retries = 2;
  auto r = p->complete(request(), o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("gave up after 2 retries"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().code, ErrorCode::network);
}

TEST_F(ProviderTest, CancelFlagAbortsAStreamingCall) {
  serve_openai([this](int, const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/event-stream", [this](size_t, httplib::DataSink& sink) {
      for (int i = 0; i < 500 && !server.stopping() && sink.is_writable(); ++i) std::this_thread::sleep_for(10ms);
      return false;
    });
  });
  std::atomic<bool> cancel{false};
  auto o = fast();
  o.cancel = &cancel;
  o.stall_timeout = 10s;
  o.timeout = 10s;
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    cancel = true;
  });
  auto t = std::chrono::steady_clock::now();
  auto r = openai()->complete(request(), o);
  canceller.join();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cancelled"), std::string::npos);
  EXPECT_LT(ms_since(t), 2500);  // the server holds the stream for 5 s
}

TEST_F(ProviderTest, AcceptsANonStreamedJsonBody) {
  serve_openai([](int, const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"model":"llama3","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":1}})",
                    "application/json");
  });
  auto r = openai()->complete(request(), fast());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->text, "hi");
  EXPECT_EQ(r->tokens_in, 9);
}

TEST_F(ProviderTest, RecordThenReplayRoundTripWithoutTheKey) {
  serve_openai([](int, const httplib::Request&, httplib::Response& res) {
    res.set_content(testing::openai_stream({"recorded ", "answer"}, 11, 2), "text/event-stream");
  });
  base::TempDir dir;
  auto rec = make_recording_provider(openai(), dir.path(), clock);
  auto r = rec->complete(request(), fast());
  ASSERT_TRUE(r) << r.error().message;
  auto file = dir.path() / (cassette_key(request()) + ".json");
  auto text = base::read_file(file);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(text->find(k_key), std::string::npos);
  EXPECT_NE(text->find("recorded answer"), std::string::npos);

  auto replay = make_replay_provider(dir.path());
  auto again = replay->complete(request(), fast());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->text, "recorded answer");
  EXPECT_EQ(again->tokens_in, 11);
  EXPECT_EQ(calls, 1);

  LlmRequest other = request();
  other.prompt = "Something never recorded";
  auto miss = replay->complete(other, fast());
  ASSERT_FALSE(miss);
  EXPECT_EQ(miss.error().code, ErrorCode::not_found);
  EXPECT_NE(miss.error().message.find(cassette_key(other)), std::string::npos) << miss.error().message;
  EXPECT_NE(miss.error().message.find("Something never recorded"), std::string::npos);
  EXPECT_NE(cassette_key(other), cassette_key(request()));
}

}  // namespace
}  // namespace sluice::llm
