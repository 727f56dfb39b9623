// Google Benchmark for the secret engine's inner loops, on generated inputs:
//  - redacting a 100 KB prompt (goal: < 1 ms) with the default rules and 8 known values;
//  - scanning 1 MiB of source-like text with the default rules and with gitleaks' rules;
//  - scanning the benchmark corpus of bench/secrets/compare.sh (SLUICE_BENCH_CORPUS, default
//    /tmp/sluice-secrets-corpus: /usr/include + Python's standard library) held in memory, file
//    by file with its path, as `sluice scan` does, minus the file system.
// Inputs: a fixed pseudo-random mix of code lines, prose and a few fake tokens (seed 42).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "base/files.h"
#include "secrets/redactor.h"
#include "secrets/rule_loader.h"
#include "secrets/scanner.h"
#include "secrets/walk.h"

namespace {

namespace sec = sluice::secrets;

std::string make_text(size_t bytes) {
  static const char* lines[] = {
      "    for (size_t i = 0; i < n; ++i) total += values[i] * weights[i];\n",
      "The deployment failed because the service account lacked permission to read the bucket.\n",
      "def handler(event, context):\n    return {\"statusCode\": 200, \"body\": json.dumps(event)}\n",
      "  - name: build\n    run: make -j4 && ./scripts/test.sh --verbose\n",
      "Please summarise the following incident report and list the follow-up actions.\n",
      "const config = { retries: 3, timeoutMs: 2500, endpoint: \"https://api.example.com/v1\" };\n",
      "ERROR 2024-05-01T12:00:03Z worker-7 request_id=9f1c2d timeout after 30s\n",
      "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n",
  };
  std::mt19937 rng(42);
  std::string out;
  while (out.size() < bytes) {
    out += lines[rng() % std::size(lines)];
    if (rng() % 200 == 0) out += "GITHUB_TOKEN=ghp_aB3dE5gH7jK9mN1pQ3sT5vW7xY9zA1cD3fG5\n";
    if (rng() % 300 == 0) out += "db: postgresql://app:Zq8wX2rT5yU1iO3pL6kJ@db.internal/app\n";
  }
  out.resize(bytes);
  return out;
}

std::shared_ptr<const sec::Scanner> default_scanner() {
  static auto s = [] {
    auto sc = sec::Scanner::create(*sec::default_rules());
    if (!sc) std::abort();
    return *sc;
  }();
  return s;
}

void BM_RedactPrompt100KB(benchmark::State& state) {
  std::vector<sec::NamedValue> values;
  for (int i = 0; i < 8; ++i) values.push_back({"V", "known-secret-value-" + std::to_string(i * 7919)});
  auto known = sec::KnownValues::create(values);
  sec::Redactor redactor(known->values, default_scanner());
  const std::string prompt = make_text(100 * 1024) + values[3].value;
  for (auto _ : state) benchmark::DoNotOptimize(redactor.redact(prompt));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * prompt.size()));
}
BENCHMARK(BM_RedactPrompt100KB)->Unit(benchmark::kMicrosecond);

// A stage's log through the stream redactor, 4 KiB writes, with 8 known values whose characters
// JSON encoders escape differently ('&', '/', '<', non-ASCII), so each has several JSON forms.
void BM_StreamRedactLog1MB(benchmark::State& state) {
  std::vector<sec::NamedValue> values;
  for (int i = 0; i < 8; ++i) values.push_back({"V", "pw&/<caf\xc3\xa9>-" + std::to_string(i * 7919)});
  auto known = sec::KnownValues::create(values);
  auto redactor = std::make_shared<const sec::Redactor>(known->values, default_scanner());
  const std::string log = make_text(1 << 20);
  for (auto _ : state) {
    sec::StreamRedactor stream(redactor);
    size_t out = 0;
    for (size_t i = 0; i < log.size(); i += 4096) out += stream.write(std::string_view(log).substr(i, 4096)).size();
    out += stream.flush().size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * log.size()));
}
BENCHMARK(BM_StreamRedactLog1MB)->Unit(benchmark::kMicrosecond);

void BM_ScanDefaultRules1MB(benchmark::State& state) {
  const std::string text = make_text(1 << 20);
  auto sc = default_scanner();
  for (auto _ : state) benchmark::DoNotOptimize(sc->scan(text, "x.txt"));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ScanDefaultRules1MB)->Unit(benchmark::kMicrosecond);

void BM_ScanGitleaksRules1MB(benchmark::State& state) {
  const char* shared = std::getenv("SLUICE_SHARED_DIR");
  auto cfg = sluice::base::read_file(std::string(shared ? shared : "../shared") + "/data/gitleaks/gitleaks.toml");
  if (!cfg) {
    state.SkipWithError("gitleaks.toml not found (set SLUICE_SHARED_DIR)");
    return;
  }
  auto sc = sec::Scanner::create(*sec::load_gitleaks_config(*cfg, "gitleaks.toml"));
  const std::string text = make_text(1 << 20);
  for (auto _ : state) benchmark::DoNotOptimize((*sc)->scan(text, "x.txt"));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ScanGitleaksRules1MB)->Unit(benchmark::kMicrosecond);

struct CorpusFile {
  std::string path;
  std::string text;
};

// The text files of the benchmark corpus (binary files skipped as `sluice scan` skips them).
const std::vector<CorpusFile>& corpus() {
  static const std::vector<CorpusFile> files = [] {
    std::vector<CorpusFile> out;
    const char* dir = std::getenv("SLUICE_BENCH_CORPUS");
    const std::filesystem::path root(dir ? dir : "/tmp/sluice-secrets-corpus");
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
      auto text = sluice::base::read_file(it->path());
      if (!text || sec::looks_binary(*text)) continue;
      out.push_back({std::filesystem::relative(it->path(), root).generic_string(), std::move(*text)});
    }
    return out;
  }();
  return files;
}

void scan_corpus(benchmark::State& state, const sec::Scanner& sc) {
  const auto& files = corpus();
  if (files.empty()) {
    state.SkipWithError("benchmark corpus not found (see bench/secrets/compare.sh; SLUICE_BENCH_CORPUS)");
    return;
  }
  int64_t bytes = 0;
  size_t findings = 0;
  for (auto _ : state) {
    findings = 0;
    for (const auto& f : files) {
      findings += sc.scan(f.text, f.path).size();
      bytes += static_cast<int64_t>(f.text.size());
    }
  }
  state.SetBytesProcessed(bytes);
  state.counters["findings"] = static_cast<double>(findings);
}

void BM_ScanCorpusDefaultRules(benchmark::State& state) { scan_corpus(state, *default_scanner()); }
BENCHMARK(BM_ScanCorpusDefaultRules)->Unit(benchmark::kMillisecond);

void BM_ScanCorpusGitleaksRules(benchmark::State& state) {
  const char* shared = std::getenv("SLUICE_SHARED_DIR");
  auto cfg = sluice::base::read_file(std::string(shared ? shared : "../shared") + "/data/gitleaks/gitleaks.toml");
  if (!cfg) {
    state.SkipWithError("gitleaks.toml not found (set SLUICE_SHARED_DIR)");
    return;
  }
  auto sc = sec::Scanner::create(*sec::load_gitleaks_config(*cfg, "gitleaks.toml"));
  scan_corpus(state, **sc);
}
BENCHMARK(BM_ScanCorpusGitleaksRules)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
