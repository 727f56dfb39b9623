// Google Benchmark: an LLM stage's pre-processing with the real engines, as sluice runs it:
// render the template (a 100,000-token workspace file included with {{ file }}), redact it with
// the run's redactor (the default secret rules plus two known values in all their encodings),
// and count its tokens exactly with o200k_base (gpt-4o-mini's tokenizer).
//
// Inputs: a generated mix of Kubernetes YAML, shell and prose (fixed seed), sized so that
// o200k_base counts 100,000 tokens. Needs the rank files (make deps); SLUICE_TIKTOKEN_DIR or
// ~/.cache/sluice/tiktoken.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>

#include "base/files.h"
#include "engine/redaction.h"
#include "engine/token_counters.h"
#include "llm/workspace.h"

namespace {
using namespace sluice;

std::filesystem::path ranks() {
  const char* d = std::getenv("SLUICE_TIKTOKEN_DIR");  // benchmark harness, not library code
  if (d && *d) return d;
  return std::filesystem::path(std::getenv("HOME") ? std::getenv("HOME") : "/") / ".cache/sluice/tiktoken";
}

std::string make_text(const llm::TokenCounter& counter, size_t tokens) {
  static const char* lines[] = {
      "apiVersion: apps/v1\n", "kind: Deployment\n", "metadata:\n  name: web-frontend\n  labels: {app: web}\n",
      "spec:\n  replicas: 3\n", "      containers:\n        - name: web\n          image: registry.example.com/web:1.4.2\n",
      "          resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: 500m, memory: 512Mi}}\n",
      "if [ -f \"$CONFIG\" ]; then exec ./server --port 8080 --log-level info; fi\n",
      "The deployment rolls out gradually; readiness probes gate traffic to each new pod.\n",
      "def handler(event, context):\n    return {\"status\": 200, \"body\": json.dumps(event)}\n",
      "Release notes: fixed a race in the scheduler and reduced p99 latency by 12%.\n"};
  std::mt19937 rng(7);
  std::string out;
  while (true) {
    for (int i = 0; i < 200; ++i) out += lines[rng() % (sizeof lines / sizeof *lines)];
    if (counter.count(out) >= tokens) break;
  }
  // trim to exactly `tokens`
  return std::string(out.substr(0, counter.prefix_bytes(out, tokens)));
}

void BM_PreprocessRealEngines(benchmark::State& state) {
  engine::ModelTokenCounters counters(ranks());
  const llm::TokenCounter& counter = counters.for_model("gpt-4o-mini");
  if (counters.load_error()) {
    state.SkipWithError(counters.load_error()->c_str());
    return;
  }
  base::TempDir rules_cache;
  auto redaction = engine::SecretRedaction::create({{"DEPLOY_TOKEN", "dpl-Zq8#rT3vW9!xY2"}, {"DB_PASSWORD", "hunter2-db-pass"}},
                                                   rules_cache.path());
  if (!redaction) {
    state.SkipWithError(redaction.error().message.c_str());
    return;
  }
  base::TempDir ws;
  const std::string doc = make_text(counter, 100'000);
  (void)base::atomic_write(ws.path() / "big.txt", doc);
  size_t tokens = 0;
  for (auto _ : state) {
    auto r = llm::render_prompt("Review this:\n{{ file \"big.txt\" }}\n", "prompt", ws.path(), {}, nullptr);
    std::string prompt = redaction->redaction->redact(r->before);
    benchmark::DoNotOptimize(tokens = counter.count(prompt));
  }
  state.counters["tokens"] = static_cast<double>(tokens);
  state.counters["bytes"] = static_cast<double>(doc.size());
}
BENCHMARK(BM_PreprocessRealEngines)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
