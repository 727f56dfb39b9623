#pragma once
// Test helpers for engine tests: a workspace with a pipeline file, a recording sink, and a
// scan of /proc for leftover processes.

#include <dirent.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/files.h"
#include "engine/process_stage.h"
#include "engine/runner.h"
#include "pipeline/loader.h"
#include "store/state_layout.h"

namespace sluice::engine::testing {

struct RecordingSink final : EventSink {
  std::vector<std::string> started;
  std::vector<std::string> finished;
  std::string output;
  void stage_started(const pipeline::Stage& s, int) override { started.push_back(s.name); }
  void stage_output(const pipeline::Stage&, std::string_view chunk) override { output.append(chunk); }
  void stage_finished(const pipeline::Stage& s, const store::StageRecord& r) override {
    finished.push_back(s.name + ":" + std::string(store::to_string(r.status)));
  }
  std::vector<std::string> warnings;  // "stage: text"
  void stage_warning(const pipeline::Stage& s, std::string_view text) override {
    warnings.push_back(s.name + ": " + std::string(text));
  }
};

inline int count_processes_with(const std::string& needle) {
  int n = 0;
  DIR* d = ::opendir("/proc");
  if (!d) return -1;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string cmd = ss.str();
    for (char& c : cmd) {
      if (c == '\0') c = ' ';
    }
    if (cmd.find(needle) != std::string::npos && cmd.find("count_processes") == std::string::npos) ++n;
  }
  ::closedir(d);
  return n;
}

struct Workspace {
  base::TempDir dir{"sluice-engine-test"};
  pipeline::Pipeline pipeline;

  void write(const std::string& rel, const std::string& content) {
    auto r = base::atomic_write(dir.path() / rel, content);
    if (!r) throw std::runtime_error(r.error().message);
  }
  std::string read(const std::string& rel) {
    auto r = base::read_file(dir.path() / rel);
    return r ? *r : std::string("<missing>");
  }
  bool load(const std::string& yaml) {
    auto r = pipeline::parse_pipeline(yaml, "sluice.yml");
    for (const auto& d : r.diagnostics) ADD_FAILURE() << d.to_string();
    pipeline = r.pipeline;
    return r.ok();
  }
  Expected<RunResult> run(RunOptions opts, EventSink& sink, const StreamFilterFactory* filters = nullptr,
                          std::map<pipeline::StageKind, StageExecutor*> extra = {}) {
    static ProcessStageExecutor exec;
    opts.workspace = dir.path();
    opts.state_dir = store::StateLayout::of_workspace(dir.path()).dir();
    if (opts.base_env.empty()) opts.base_env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
    extra.emplace(pipeline::StageKind::run, &exec);
    Runner runner(pipeline, opts, std::move(extra), filters, sink);
    return runner.run();
  }
  Expected<RunResult> run(RunOptions opts = {}) {
    RecordingSink sink;
    return run(std::move(opts), sink);
  }
};

inline std::string status_of(const RunResult& r, const std::string& name) {
  for (const auto& s : r.stages) {
    if (s.name == name) return std::string(store::to_string(s.status));
  }
  return "<absent>";
}
inline const store::StageRecord& record_of(const RunResult& r, const std::string& name) {
  for (const auto& s : r.stages) {
    if (s.name == name) return s;
  }
  static const store::StageRecord k_absent;
  ADD_FAILURE() << "no stage record named " << name;
  return k_absent;
}

}  // namespace sluice::engine::testing
