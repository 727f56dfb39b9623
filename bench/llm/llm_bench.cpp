// Google Benchmark for the LLM stage's local work.
//
// BM_Preprocess: render -> redact -> count for a 100,000-token prompt (a workspace file included
// with {{ file }}; 100,000 words so the stand-in counter sees 100,000 tokens). It runs through
// preprocess(), which takes the TokenCounter and Redactor interfaces: swap the stand-ins in
// make_counter()/make_redactor() for adapters of src/tokenize and src/secrets to measure the
// real engines (llm may not include them, so this file measures only the stand-ins).
//
// BM_CacheHitStage: a whole run_llm_stage() answered by the response cache (open the state
// database, render, redact, count, lookup, guard, atomic write, record the call).
#include <benchmark/benchmark.h>

#include <memory>
#include <random>

#include "base/files.h"
#include "llm/provider.h"
#include "llm/runner.h"
#include "llm/standins.h"
#include "llm/workspace.h"
#include "store/database.h"

namespace sluice::llm {
namespace {

std::unique_ptr<TokenCounter> make_counter() { return std::make_unique<standin::WhitespaceTokenCounter>(); }
std::unique_ptr<Redactor> make_redactor() {
  return std::make_unique<standin::KnownValueRedactor>(std::vector<std::pair<std::string, std::string>>{
      {"API_KEY", "sk-live-0123456789abcdef"}, {"DB_PASSWORD", "hunter2-db-password"}});
}

// 100,000 space-separated words drawn from a Kubernetes-flavoured vocabulary (fixed seed).
std::string make_document(size_t words) {
  static const char* vocab[] = {"apiVersion:", "apps/v1", "kind:", "Deployment", "metadata:", "name:", "web",
                                "spec:", "replicas:", "3", "containers:", "-", "image:", "nginx:1.27", "ports:",
                                "containerPort:", "8080", "resources:", "limits:", "cpu:", "500m", "memory:", "256Mi"};
  std::mt19937 rng(42);
  std::string out;
  out.reserve(words * 8);
  for (size_t i = 0; i < words; ++i) {
    out += vocab[rng() % (sizeof vocab / sizeof *vocab)];
    out += (i % 12 == 11) ? '\n' : ' ';
  }
  return out;
}

// The pre-processing of one stage: what run_llm_stage does before the network.
size_t preprocess(const TokenCounter& counter, const Redactor& redactor, const base::TempDir& ws) {
  auto r = render_prompt("Review this:\n{{ file \"big.txt\" }}\n", "prompt", ws.path(), {}, nullptr);
  if (!r) throw std::runtime_error(r.error().message);
  std::string prompt = redactor.redact(r->before);
  return counter.count(prompt);
}

void BM_Preprocess(benchmark::State& state) {
  base::TempDir ws;
  const std::string doc = make_document(100'000 - 2);  // + "Review this:"
  if (!base::atomic_write(ws.path() / "big.txt", doc)) state.SkipWithError("write failed");
  auto counter = make_counter();
  auto redactor = make_redactor();
  size_t tokens = 0;
  for (auto _ : state) benchmark::DoNotOptimize(tokens = preprocess(*counter, *redactor, ws));
  state.counters["tokens"] = static_cast<double>(tokens);
  state.counters["bytes"] = static_cast<double>(doc.size());
}
BENCHMARK(BM_Preprocess)->Unit(benchmark::kMillisecond);

// state.range(0) == 1: the output file is deleted before each iteration, so the hit pays the
// atomic write (fsync); 0: the output is already there and unchanged (a second run).
void BM_CacheHitStage(benchmark::State& state) {
  const bool fresh_output = state.range(0) == 1;
  base::TempDir ws;
  (void)base::atomic_write(ws.path() / "k8s/base/app.yaml", make_document(300));
  LlmConfig cfg;
  cfg.providers.push_back({"offline", ProviderKind::replay, "", "", "gpt-4o-mini", std::nullopt, "cassettes", {}});
  LlmStageSpec spec;
  spec.provider = "offline";
  spec.prompt = "Write manifests for:\n{{ file \"k8s/base/app.yaml\" }}";
  spec.output = OutputSpec{"k8s/generated/app.yaml", OutputFormat::yaml, "", "", true, {}};
  auto counter = make_counter();
  auto redactor = make_redactor();
  base::SystemClock clock;
  ConcurrencyGate gate(4);
  LlmStageContext ctx;
  ctx.workspace = ws.path();
  ctx.run_id = "bench";
  ctx.stage = "manifests";
  ctx.state_db = ws.path() / ".sluice/state.db";
  ctx.counter = counter.get();
  ctx.redactor = redactor.get();
  ctx.clock = &clock;
  ctx.gate = &gate;
  // Warm the cache through the record path once: a recorded cassette, then a replayed call.
  {
    LlmRequest req;
    req.model = "gpt-4o-mini";
    auto rendered = render_prompt(spec.prompt, "prompt", ws.path(), {}, nullptr);
    req.prompt = redactor->redact(rendered->before);
    req.max_output_tokens = spec.max_output_tokens;
    std::string body = "{\"key\":\"" + cassette_key(req) +
                       "\",\"response\":{\"text\":\"apiVersion: v1\\nkind: Service\\nmetadata:\\n  name: web\\n\"}}";
    (void)base::atomic_write(ws.path() / "cassettes" / (cassette_key(req) + ".json"), body);
  }
  auto first = run_llm_stage(spec, cfg, ctx);
  if (!first) {
    state.SkipWithError(first.error().message.c_str());
    return;
  }
  double cache_ms = 0, post_ms = 0;
  for (auto _ : state) {
    if (fresh_output) {
      state.PauseTiming();
      std::filesystem::remove(ws.path() / "k8s/generated/app.yaml");
      state.ResumeTiming();
    }
    auto r = run_llm_stage(spec, cfg, ctx);
    if (!r || !r->cache_hit) {
      state.SkipWithError("expected a cache hit");
      return;
    }
    cache_ms += r->phases.cache_ms;
    post_ms += r->phases.post_process_ms;
  }
  state.counters["lookup_ms"] = cache_ms / static_cast<double>(state.iterations());
  state.counters["post_process_ms"] = post_ms / static_cast<double>(state.iterations());
}
BENCHMARK(BM_CacheHitStage)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sluice::llm

BENCHMARK_MAIN();
