// Per-call overhead of sluice's OpenAI provider over bare HTTP, against a local server.
//
// A cpp-httplib server on 127.0.0.1 (in this process, its own threads) answers every POST with
// the same 20-chunk Chat Completions SSE stream. We time, one call at a time:
//   sluice : make_openai_provider(...)->complete(): JSON body, libcurl multi loop, SSE + JSON
//            decoding, usage, retry bookkeeping;
//   libcurl: a bare curl_easy_perform() POST of the same body, output discarded (a new
//            connection per call, like sluice);
//   curl   : the curl CLI, run through posix_spawn (process start included; for reference).
// Usage: bench_llm_overhead [N=300]. Prints medians and p90 in ms.
#include <curl/curl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/files.h"
#include "llm/provider.h"
#include "llm/test_server.h"

extern char** environ;

namespace {

using namespace sluice;
using Clock = std::chrono::steady_clock;

double ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

struct Summary {
  double median, p90;
};
Summary summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v[v.size() * 9 / 10]};
}

size_t discard(char*, size_t s, size_t n, void*) { return s * n; }

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 300;
  llm::testing::TestServer server;
  std::vector<std::string> pieces;
  for (int i = 0; i < 20; ++i) {
    std::string piece = "token";  // built stepwise: g++ 12 -O3 warns (-Wrestrict) on a + b + c here
    piece += std::to_string(i);
    piece += ' ';
    pieces.push_back(std::move(piece));
  }
  const std::string stream = llm::testing::openai_stream(pieces, 120, 20);
  server.server().Post("/v1/chat/completions", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(stream, "text/event-stream");
  });
  server.start();
  const std::string url = server.url() + "/v1/chat/completions";

  base::SystemClock clock;
  auto provider = llm::make_openai_provider(server.url() + "/v1", "sk-bench-key", clock);
  llm::LlmRequest req;
  req.model = "gpt-4o-mini";
  req.system = "You write Kubernetes manifests.";
  req.prompt = "Write a Deployment for nginx:1.27 with 3 replicas.";
  req.max_output_tokens = 200;
  llm::CallOptions opts;
  // The exact body sluice sends, for the bare clients.
  const std::string body =
      R"({"max_tokens":200,"messages":[{"content":"You write Kubernetes manifests.","role":"system"},)"
      R"({"content":"Write a Deployment for nginx:1.27 with 3 replicas.","role":"user"}],"model":"gpt-4o-mini",)"
      R"("stream":true,"stream_options":{"include_usage":true},"temperature":0.0})";

  std::vector<double> sluice_ms, curl_lib_ms, curl_cli_ms;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Authorization: Bearer sk-bench-key");
  headers = curl_slist_append(headers, "Expect:");
  auto bare = [&] {
    CURL* e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(e);
    curl_easy_cleanup(e);
    return rc == CURLE_OK;
  };
  base::TempDir tmp;
  (void)base::atomic_write(tmp.path() / "body.json", body);
  const std::string at_body = "@" + (tmp.path() / "body.json").string();
  auto cli = [&] {
    std::vector<std::string> args = {"curl", "-s", "-o", "/dev/null", "-X", "POST", "-H",
                                     "Content-Type: application/json", "-H", "Authorization: Bearer sk-bench-key",
                                     "--data-binary", at_body, url};
    std::vector<char*> argv_c;
    for (auto& a : args) argv_c.push_back(a.data());
    argv_c.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawnp(&pid, "curl", nullptr, nullptr, argv_c.data(), environ) != 0) return false;
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  };

  for (int i = 0; i < 20; ++i) {  // warm-up
    (void)provider->complete(req, opts);
    (void)bare();
  }
  // Interleaved so that drift on a shared machine hits both sides alike.
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    auto r = provider->complete(req, opts);
    auto t1 = Clock::now();
    bool ok = bare();
    auto t2 = Clock::now();
    if (!r || r->tokens_out != 20 || !ok) {
      std::fprintf(stderr, "call failed: %s\n", r ? "bare libcurl" : r.error().message.c_str());
      return 1;
    }
    sluice_ms.push_back(ms(t0, t1));
    curl_lib_ms.push_back(ms(t1, t2));
    if (i % 4 == 0) {
      auto t3 = Clock::now();
      if (!cli()) {
        std::fprintf(stderr, "curl CLI failed\n");
        return 1;
      }
      curl_cli_ms.push_back(ms(t3, Clock::now()));
    }
  }
  curl_slist_free_all(headers);
  auto s = summarize(sluice_ms), l = summarize(curl_lib_ms), c = summarize(curl_cli_ms);
  std::vector<double> diff(sluice_ms.size());
  for (size_t i = 0; i < diff.size(); ++i) diff[i] = sluice_ms[i] - curl_lib_ms[i];
  auto d = summarize(diff);
  std::printf("calls: %d (curl CLI: %zu), response: 20-chunk SSE stream, %zu bytes\n", n, curl_cli_ms.size(), stream.size());
  std::printf("sluice provider   median %.3f ms  p90 %.3f ms\n", s.median, s.p90);
  std::printf("bare libcurl      median %.3f ms  p90 %.3f ms\n", l.median, l.p90);
  std::printf("curl CLI          median %.3f ms  p90 %.3f ms (includes process start)\n", c.median, c.p90);
  std::printf("sluice - libcurl  median %.3f ms  p90 %.3f ms (paired, per call)\n", d.median, d.p90);
  return 0;
}
