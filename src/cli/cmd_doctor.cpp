// `sluice doctor`: is this machine and this directory ready to run sluice? Each check prints
// what it found and, for a problem, what to do (docs/install.md). Exit 0: nothing wrong (warnings
// allowed); 1: at least one problem.

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/doctor.h"
#include "cli/terminal.h"

namespace sluice::cli {
namespace {

struct DoctorOptions {
  std::string file = "sluice.yml";
  std::string state;
  std::string provider;
  bool json = false;
};

int doctor_command(const DoctorOptions& o) {
  doctor::Setup setup;
  setup.getenv = [](std::string_view name) -> std::optional<std::string> {
    const std::string key(name);
    std::string v = env_or(key.c_str(), "\x01");
    if (v == "\x01") return std::nullopt;
    return v;
  };
  std::error_code ec;
  setup.workspace = std::filesystem::current_path(ec);
  setup.pipeline_file = o.file;
  setup.rank_dir = tiktoken_dir();
  setup.user_cache = user_cache_dir();
  setup.state_flag = o.state;
  setup.provider_override = o.provider.empty() ? env_or("SLUICE_PROVIDER") : o.provider;
  const auto checks = doctor::run_all(setup);
  int problems = 0;
  int warnings = 0;
  for (const auto& c : checks) {
    problems += c.status == doctor::Status::fail ? 1 : 0;
    warnings += c.status == doctor::Status::warn ? 1 : 0;
  }
  if (o.json) {
    nlohmann::json out = {{"workspace", setup.workspace.string()}, {"ok", problems == 0},
                          {"problems", problems}, {"warnings", warnings}, {"checks", nlohmann::json::array()}};
    for (const auto& c : checks) {
      nlohmann::json j = {{"name", c.name}, {"status", doctor::to_string(c.status)}, {"message", c.message}};
      if (!c.fix.empty()) j["fix"] = c.fix;
      out["checks"].push_back(std::move(j));
    }
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    const TerminalInfo term = detect_terminal();
    auto paint = [&](doctor::Status s) -> std::string {
      const std::string word = s == doctor::Status::fail ? "FAIL" : std::string(doctor::to_string(s));
      if (!term.color) return fmt::format("{:<5}", word);
      const char* code = s == doctor::Status::ok ? "32" : s == doctor::Status::fail ? "31;1" : s == doctor::Status::warn ? "33" : "2";
      return fmt::format("\x1b[{}m{:<5}\x1b[0m", code, word);
    };
    std::printf("sluice doctor: %s\n", setup.workspace.c_str());
    for (const auto& c : checks) {
      std::printf("%s %-18s %s\n", paint(c.status).c_str(), c.name.c_str(), c.message.c_str());
      if (!c.fix.empty()) std::printf("%-24s -> %s\n", "", c.fix.c_str());
    }
    if (problems == 0) {
      std::printf("all good%s\n", warnings == 0 ? "" : fmt::format(" ({} warning{})", warnings, warnings == 1 ? "" : "s").c_str());
    } else {
      std::printf("%d problem%s, %d warning%s: fix the lines marked FAIL\n", problems, problems == 1 ? "" : "s", warnings,
                  warnings == 1 ? "" : "s");
    }
  }
  return problems == 0 ? k_exit_ok : k_exit_failed;
}

}  // namespace

void add_doctor_command(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<DoctorOptions>();
  auto* cmd = app.add_subcommand(
      "doctor", "Check the set-up: rank files, caches, state backend, API keys, kernel features, tools");
  cmd->add_option("-f,--file", o->file, "Pipeline file whose providers and stages are checked")->capture_default_str();
  cmd->add_option("--state", o->state, "State backend to check (sqlite or postgres://...); default: SLUICE_STATE_URL, state: in the file, sqlite");
  cmd->add_option("--provider", o->provider,
                  "Check the key of this provider for every LLM stage, as sluice run --provider (default: $SLUICE_PROVIDER)");
  cmd->add_flag("--json", o->json, "Machine-readable output");
  cmd->footer("Exit codes: 0 nothing wrong (warnings allowed), 1 at least one problem, 2 usage error.");
  cmd->callback([o, &ctx] { ctx.command = [o] { return doctor_command(*o); }; });
}

}  // namespace sluice::cli
