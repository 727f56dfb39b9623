// Google Benchmark for an LLM stage's local work, with the engines sluice really runs: the
// o200k_base tokenizer (gpt-4o-mini's) loaded from the real rank file, and the run's secret
// redactor (the default secret rules plus two known values in all their encodings), both through
// engine's adapters (engine/token_counters.h, engine/redaction.h). The llm module knows them only
// through llm/interfaces.h, so this benchmark target links sluice_engine (src/engine/CMakeLists.txt);
// a benchmark is not a module and the layer table does not apply to it.
//
// The prompt is realistic, built by the recipe of bench/llm/realistic.sh: the first long
// tokenizer golden (multilingual prose: Arabic, Hindi, CJK, ...), then this repository's
// src/engine/*.cpp, tests/fixtures/k8s/gitops/**/*.yaml, docs/*.md and tests/e2e/*.py in that
// order (then the other long goldens if that were short), cut at exactly 100,000 o200k tokens.
//
// BM_Preprocess/0: render (`{{ file }}` of that prompt) -> redact -> count, as run_llm_stage does
//   before the network. BM_Preprocess/1: the same with the old input (ten YAML/shell/prose lines
//   repeated to 100,000 tokens: the tokenizer's best case, since its piece cache hits almost
//   always), kept to show the difference.
// BM_CacheHitStage/F/P: a whole run_llm_stage() answered by the response cache (open the state
//   database, render, redact, count, lookup, guard, atomic write, record the call). F = 1: the
//   output file is deleted before each iteration, so the hit pays the atomic write (fsync);
//   F = 0: the output is already there and unchanged (a second run). P = 0: a small prompt
//   (a 300-line manifest); P = 1: the 100,000-token prompt above.
//
// Needs the rank files (make deps): $SLUICE_TIKTOKEN_DIR or ~/.cache/sluice/tiktoken. The source
// tree is $SLUICE_SOURCE_DIR, else the one this was built from.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>

#include "base/files.h"
#include "engine/redaction.h"
#include "engine/token_counters.h"
#include "llm/provider.h"
#include "llm/runner.h"
#include "llm/workspace.h"
#include "store/database.h"

namespace sluice::llm {
namespace {

namespace fs = std::filesystem;
constexpr size_t kPromptTokens = 100'000;

// Benchmark harness, not library code: the environment picks the inputs.
fs::path env_path(const char* name, const fs::path& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? fs::path(v) : fallback;
}
fs::path rank_dir() {
  const char* home = std::getenv("HOME");
  return env_path("SLUICE_TIKTOKEN_DIR", fs::path(home ? home : "/") / ".cache/sluice/tiktoken");
}
fs::path source_dir() { return env_path("SLUICE_SOURCE_DIR", SLUICE_BENCH_SOURCE_DIR); }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Paths in the order Python's sorted(glob(...)) gives them (bench/llm/realistic.sh).
std::vector<fs::path> sorted_files(const fs::path& dir, std::string_view ext, bool recursive) {
  std::vector<std::string> out;
  auto take = [&](const fs::directory_entry& e) {
    if (e.is_regular_file() && e.path().extension() == ext) out.push_back(e.path().string());
  };
  if (recursive) {
    for (const auto& e : fs::recursive_directory_iterator(dir)) take(e);
  } else {
    for (const auto& e : fs::directory_iterator(dir)) take(e);
  }
  std::sort(out.begin(), out.end());
  return {out.begin(), out.end()};
}

// Process-wide engines: loading the rank file and compiling the rules is not what is measured.
struct Engines {
  engine::ModelTokenCounters counters{rank_dir()};
  const TokenCounter* counter = nullptr;
  base::TempDir rules_cache;
  std::unique_ptr<engine::SecretRedaction> redaction;
  std::string error;

  Engines() {
    counter = &counters.for_model("gpt-4o-mini");
    if (auto e = counters.load_error()) {
      error = "rank files: " + *e;
      return;
    }
    auto r = engine::SecretRedaction::create(
        {{"DEPLOY_TOKEN", "dpl-Zq8#rT3vW9!xY2"}, {"DB_PASSWORD", "hunter2-db-pass"}}, rules_cache.path());
    if (!r) {
      error = "secret rules: " + r.error().message;
      return;
    }
    redaction = std::move(r->redaction);
    // The rule scanner is built on first use (compiling the rules into the cache above, ~2.5 s):
    // a run pays it once, outside any stage's pre-processing, so not inside the timed loops.
    (void)redaction->redact("warm-up");
  }
};
Engines& engines() {
  static Engines e;
  return e;
}

std::string cut(const TokenCounter& counter, const std::string& text, size_t tokens) {
  if (counter.count(text) < tokens) throw std::runtime_error("prompt recipe gives fewer tokens than asked for");
  return text.substr(0, counter.prefix_bytes(text, tokens));
}

// The realistic prompt: multilingual prose, C++, YAML manifests, Markdown, Python.
std::string realistic_prompt(const TokenCounter& counter) {
  const fs::path root = source_dir();
  std::vector<std::string> goldens;
  {
    std::ifstream in(root / "tests/golden/tokenize/long/cases.jsonl");
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) goldens.push_back(nlohmann::json::parse(line).get<std::string>());
  }
  if (goldens.empty()) throw std::runtime_error("no long tokenizer goldens under " + root.string());
  std::string text = goldens[0];
  for (const auto& f : sorted_files(root / "src/engine", ".cpp", false)) text += read_file(f);
  for (const auto& f : sorted_files(root / "tests/fixtures/k8s/gitops", ".yaml", true)) text += read_file(f);
  for (const auto& f : sorted_files(root / "docs", ".md", false)) text += read_file(f);
  for (const auto& f : sorted_files(root / "tests/e2e", ".py", false)) text += read_file(f);
  for (size_t i = 1; i < goldens.size() && counter.count(text) < kPromptTokens; ++i) text += goldens[i];
  return cut(counter, text, kPromptTokens);
}

// The old input: ten short lines repeated (fixed seed), the tokenizer's best case.
std::string repeated_lines_prompt(const TokenCounter& counter) {
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
  while (counter.count(out) < kPromptTokens)
    for (int i = 0; i < 200; ++i) out += lines[rng() % (sizeof lines / sizeof *lines)];
  return cut(counter, out, kPromptTokens);
}

const std::string& prompt(int which) {
  static const std::string realistic = realistic_prompt(*engines().counter);
  static const std::string repeated = repeated_lines_prompt(*engines().counter);
  return which == 0 ? realistic : repeated;
}

void BM_Preprocess(benchmark::State& state) {
  Engines& e = engines();
  if (!e.error.empty()) {
    state.SkipWithError(e.error.c_str());
    return;
  }
  const std::string& doc = prompt(static_cast<int>(state.range(0)));
  base::TempDir ws;
  if (!base::atomic_write(ws.path() / "big.txt", doc)) state.SkipWithError("write failed");
  size_t tokens = 0;
  for (auto _ : state) {
    auto r = render_prompt("{{ file \"big.txt\" }}", "prompt", ws.path(), {}, nullptr);
    if (!r) throw std::runtime_error(r.error().message);
    std::string redacted = e.redaction->redact(r->before);
    benchmark::DoNotOptimize(tokens = e.counter->count(redacted));
  }
  state.counters["tokens"] = static_cast<double>(tokens);
  state.counters["bytes"] = static_cast<double>(doc.size());
  state.SetLabel(state.range(0) == 0 ? "realistic 100k-token prompt" : "ten lines repeated (best case)");
}
BENCHMARK(BM_Preprocess)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

std::string small_manifest() {
  std::string out;
  for (int i = 0; i < 100; ++i)
    out += "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web-" + std::to_string(i) + "}\n";
  return out;
}

void BM_CacheHitStage(benchmark::State& state) {
  Engines& e = engines();
  if (!e.error.empty()) {
    state.SkipWithError(e.error.c_str());
    return;
  }
  const bool fresh_output = state.range(0) == 1;
  const bool big = state.range(1) == 1;
  base::TempDir ws;
  (void)base::atomic_write(ws.path() / "k8s/base/app.yaml", big ? prompt(0) : small_manifest());
  LlmConfig cfg;
  cfg.providers.push_back({"offline", ProviderKind::replay, "", "", "gpt-4o-mini", std::nullopt, "cassettes", {}});
  LlmStageSpec spec;
  spec.provider = "offline";
  spec.prompt = "Write manifests for:\n{{ file \"k8s/base/app.yaml\" }}";
  spec.output = OutputSpec{"k8s/generated/app.yaml", OutputFormat::yaml, "", "", true, {}};
  base::SystemClock clock;
  ConcurrencyGate gate(4);
  LlmStageContext ctx;
  ctx.workspace = ws.path();
  ctx.run_id = "bench";
  ctx.stage = "manifests";
  ctx.state_db = ws.path() / ".sluice/state.db";
  ctx.counter = e.counter;
  ctx.redactor = e.redaction.get();
  ctx.clock = &clock;
  ctx.gate = &gate;
  // Warm the cache through the replay path once: a cassette for the redacted prompt, then a call.
  {
    LlmRequest req;
    req.model = "gpt-4o-mini";
    auto rendered = render_prompt(spec.prompt, "prompt", ws.path(), {}, nullptr);
    req.prompt = e.redaction->redact(rendered->before);
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
  LlmPhases sum;
  size_t tokens = 0;
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
    sum.render_ms += r->phases.render_ms;
    sum.redact_ms += r->phases.redact_ms;
    sum.tokenize_ms += r->phases.tokenize_ms;
    sum.cache_ms += r->phases.cache_ms;
    sum.post_process_ms += r->phases.post_process_ms;
    tokens = r->tokens_in;
  }
  const auto n = static_cast<double>(state.iterations());
  state.counters["render_ms"] = sum.render_ms / n;
  state.counters["redact_ms"] = sum.redact_ms / n;
  state.counters["tokenize_ms"] = sum.tokenize_ms / n;
  state.counters["lookup_ms"] = sum.cache_ms / n;
  state.counters["post_process_ms"] = sum.post_process_ms / n;
  state.counters["tokens_in"] = static_cast<double>(tokens);
}
BENCHMARK(BM_CacheHitStage)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sluice::llm

BENCHMARK_MAIN();
