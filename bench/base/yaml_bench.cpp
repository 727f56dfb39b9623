// YAML loading at sizes where duplicate-key detection and alias expansion matter.
// Inputs are generated: a flat mapping of N keys ("keyI: value", what a ConfigMap or a flat
// pipeline of N stages looks like at the top level) through the fast path and through libfyaml,
// and a document with aliases of one anchor.
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <string>

#include "base/yaml.h"

namespace {

std::string flat_mapping(int64_t keys) {
  std::string s;
  for (int64_t i = 0; i < keys; ++i) s.append(fmt::format("key{}: value{}\n", i, i));
  return s;
}

void BM_FlatMappingFastPath(benchmark::State& state) {
  const std::string y = flat_mapping(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(sluice::base::yaml::parse(y, "flat.yaml"));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * y.size()));
}
BENCHMARK(BM_FlatMappingFastPath)->Arg(5'000)->Arg(20'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_FlatMappingLibfyaml(benchmark::State& state) {
  const std::string y = flat_mapping(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(sluice::base::yaml::detail::parse_libfyaml(y, "flat.yaml"));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * y.size()));
}
BENCHMARK(BM_FlatMappingLibfyaml)->Arg(5'000)->Arg(20'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_AliasesOfOneAnchor(benchmark::State& state) {
  std::string y = "base: &b {image: nginx, replicas: 3, port: 80}\nitems:\n";
  for (int64_t i = 0; i < state.range(0); ++i) y.append("  - *b\n");
  for (auto _ : state) benchmark::DoNotOptimize(sluice::base::yaml::parse(y, "alias.yaml"));
}
BENCHMARK(BM_AliasesOfOneAnchor)->Arg(10'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
