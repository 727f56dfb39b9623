// Inner-loop benchmarks of the tokenizer. Inputs are generated (documented below) so they are the
// same on every machine; the rank files come from $SLUICE_TIKTOKEN_DIR or ~/.cache/sluice/tiktoken.
//   build/bench/... : cmake -DSLUICE_BENCH=ON; ./bench_tokenize

#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>

#include <benchmark/benchmark.h>

#include "base/files.h"
#include "tokenize/encoder.h"

namespace {

using sluice::tokenize::Encoder;

std::filesystem::path rank_dir() {
  const char* env = std::getenv("SLUICE_TIKTOKEN_DIR");
  if (env != nullptr && *env != '\0') return env;
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : "/") / ".cache/sluice/tiktoken";
}

const Encoder& encoder(const std::string& name) {
  static auto cl = sluice::tokenize::load_encoding("cl100k_base", rank_dir());
  static auto o2 = sluice::tokenize::load_encoding("o200k_base", rank_dir());
  auto& e = name == "cl100k_base" ? cl : o2;
  if (!e) throw std::runtime_error(e.error().message);
  return *e;
}

// ~1 MB: English-like words, C-like code lines and some UTF-8, from a fixed seed.
std::string mixed_text() {
  static const char* words[] = {"the", "of", "and", "license", "software", "Program", "you", "may", "copy",
                                "int", "return", "struct", "0x1f", "(void)", "{", "}", ";", "==", "café",
                                "naïve", "日本語", "данные", "it's", "WE'RE", "12345", "\n", "\n\n    ", "\t"};
  std::mt19937 rng(42);
  std::string s;
  while (s.size() < (1u << 20)) {
    s += words[rng() % (sizeof words / sizeof *words)];
    s += ' ';
  }
  return s;
}

void bm_count(benchmark::State& state, const std::string& name) {
  const Encoder& enc = encoder(name);
  const std::string text = mixed_text();
  for (auto _ : state) benchmark::DoNotOptimize(enc.count(text));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(text.size()));
}

void bm_encode(benchmark::State& state, const std::string& name) {
  const Encoder& enc = encoder(name);
  const std::string text = mixed_text();
  for (auto _ : state) benchmark::DoNotOptimize(enc.encode(text));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(text.size()));
}

// 1 MB of random lower-case letters: one piece, the heap merge path.
void bm_no_whitespace(benchmark::State& state, const std::string& name) {
  const Encoder& enc = encoder(name);
  std::mt19937 rng(1);
  std::string text;
  while (text.size() < (1u << 20)) text += static_cast<char>('a' + rng() % 26);
  for (auto _ : state) benchmark::DoNotOptimize(enc.count(text));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(text.size()));
}

// Read + sha256 + parse + table build of the rank file, as every `sluice tokens` call does.
void bm_load(benchmark::State& state, const std::string& name) {
  for (auto _ : state) {
    auto e = sluice::tokenize::load_encoding(name, rank_dir());
    if (!e) throw std::runtime_error(e.error().message);
    benchmark::DoNotOptimize(e->ranks().size());
  }
}

}  // namespace

BENCHMARK_CAPTURE(bm_count, cl100k, std::string("cl100k_base"));
BENCHMARK_CAPTURE(bm_count, o200k, std::string("o200k_base"));
BENCHMARK_CAPTURE(bm_encode, cl100k, std::string("cl100k_base"));
BENCHMARK_CAPTURE(bm_encode, o200k, std::string("o200k_base"));
BENCHMARK_CAPTURE(bm_no_whitespace, cl100k, std::string("cl100k_base"));
BENCHMARK_CAPTURE(bm_no_whitespace, o200k, std::string("o200k_base"));
BENCHMARK_CAPTURE(bm_load, cl100k, std::string("cl100k_base"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_load, o200k, std::string("o200k_base"))->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
