// Inner loops of k8s validation. Inputs: the Deployment schema from ../shared/data/k8s-schemas
// (SLUICE_SHARED_DIR) and a generated Deployment with N containers. Run: build with
// -DSLUICE_BENCH=ON, then bench_k8s_validate.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "base/files.h"
#include "base/yaml.h"
#include "k8s/json_schema.h"

namespace {

std::string deployment_schema() {
  const char* shared = std::getenv("SLUICE_SHARED_DIR");
  std::filesystem::path p = std::filesystem::path(shared ? shared : "../shared") / "data/k8s-schemas/apps/deployment_v1.json";
  auto t = sluice::base::read_file(p);
  return t ? *t : std::string();
}

std::string deployment_yaml(int containers) {
  std::string y = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {app: web}}\n"
                  "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
                  "    spec:\n      containers:\n";
  for (int i = 0; i < containers; ++i) {
    y += fmt::format("      - name: c{}\n        image: nginx:1.27\n        ports: [{{containerPort: {}}}]\n"
                     "        resources: {{requests: {{cpu: 100m, memory: 64Mi}}, limits: {{cpu: 1}}}}\n",
                     i, 8000 + i);
  }
  return y;
}

void BM_CompileDeploymentSchema(benchmark::State& state) {
  std::string s = deployment_schema();
  if (s.empty()) return state.SkipWithError("deployment schema not found (set SLUICE_SHARED_DIR)");
  for (auto _ : state) {
    auto c = sluice::k8s::CompiledSchema::compile(s, "deployment");
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.size()));
}
BENCHMARK(BM_CompileDeploymentSchema);

void BM_ValidateDeployment(benchmark::State& state) {
  std::string s = deployment_schema();
  if (s.empty()) return state.SkipWithError("deployment schema not found (set SLUICE_SHARED_DIR)");
  auto schema = sluice::k8s::CompiledSchema::compile(s, "deployment");
  auto docs = sluice::base::yaml::parse(deployment_yaml(static_cast<int>(state.range(0))), "d.yaml");
  std::vector<sluice::k8s::SchemaIssue> issues;
  for (auto _ : state) {
    issues.clear();
    benchmark::DoNotOptimize(schema->validate(docs->at(0).root, sluice::k8s::Strictness::strict, "", issues));
  }
}
BENCHMARK(BM_ValidateDeployment)->Arg(1)->Arg(10);

void BM_ParseDeploymentYaml(benchmark::State& state) {
  std::string y = deployment_yaml(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(sluice::base::yaml::parse(y, "d.yaml"));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * y.size()));
}
BENCHMARK(BM_ParseDeploymentYaml)->Arg(1)->Arg(10);

}  // namespace

BENCHMARK_MAIN();
