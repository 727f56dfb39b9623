// sluice check refs: every import, include, installed package and image must resolve, offline
// (engine: src/refs, docs/references.md).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/files.h"
#include "cli/commands.h"
#include "cli/refs_toolchain.h"
#include "refs/checker.h"
#include "refs/output.h"

namespace sluice::cli {
namespace {

namespace fs = std::filesystem;

struct RefsArgs {
  std::vector<std::string> paths;
  std::string format = "text";
  std::string base;
  std::vector<std::string> allow_files;
  bool no_probe = false;
};

// Without --base: the current directory when every PATH is beneath it, else the first PATH
// (a directory) or the directory holding it.
fs::path default_base(const std::vector<std::string>& paths) {
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  bool all_inside = true;
  for (const auto& p : paths) {
    const std::string rel = fs::absolute(p, ec).lexically_normal().lexically_relative(cwd).generic_string();
    if (rel.empty() || rel.starts_with("..")) all_inside = false;
  }
  if (all_inside) return cwd;
  const fs::path first = fs::absolute(paths.front(), ec).lexically_normal();
  return fs::is_directory(first, ec) ? first : first.parent_path();
}

int run_check_refs(const RefsArgs& a) {
  if (a.paths.empty()) {
    std::fprintf(stderr, "sluice check refs: no input: pass files or directories\n");
    return k_exit_usage;
  }
  auto format = refs::parse_output_format(a.format);
  if (!format) {
    std::fprintf(stderr, "sluice check refs: --format must be text, json or sarif\n");
    return k_exit_usage;
  }
  const auto t0 = std::chrono::steady_clock::now();
  refs::CheckOptions opts;
  opts.base = a.base.empty() ? default_base(a.paths) : fs::path(a.base);
  for (const auto& f : a.allow_files) {
    auto text = base::read_file(f);
    if (!text) {
      std::fprintf(stderr, "sluice check refs: %s\n", text.error().message.c_str());
      return k_exit_usage;
    }
    for (auto& e : refs::parse_allow_file(*text)) opts.allow.push_back(std::move(e));
  }
  if (!a.no_probe) opts.toolchain = probe_refs_toolchain();
  auto checker = refs::Checker::create(std::move(opts));
  if (!checker) {
    std::fprintf(stderr, "sluice check refs: %s\n", checker.error().message.c_str());
    return k_exit_usage;
  }
  refs::Report report = (*checker)->check_paths(a.paths);
  std::string out = refs::render(report.findings, *format);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  for (const auto& w : report.warnings) std::fprintf(stderr, "sluice check refs: warning: %s\n", w.c_str());
  for (const auto& e : report.errors) std::fprintf(stderr, "sluice check refs: %s\n", e.c_str());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (*format == refs::OutputFormat::text) {
    std::fprintf(stderr, "%zu unresolved reference%s (%zu references in %zu files, %.2f s)\n", report.findings.size(),
                 report.findings.size() == 1 ? "" : "s", report.references, report.files, secs);
  }
  if (!report.errors.empty()) return k_exit_usage;
  return report.findings.empty() ? k_exit_ok : k_exit_failed;
}

}  // namespace

void add_refs_commands(CLI::App& app, Context& ctx) {
  CLI::App* check = app.add_subcommand("check", "Check files before they are used");
  check->require_subcommand(1);
  auto args = std::make_shared<RefsArgs>();
  CLI::App* cmd = check->add_subcommand(
      "refs", "Every import, include, installed package and image must resolve, offline (docs/references.md)");
  cmd->add_option("paths", args->paths, "Files and directories (recursive)");
  cmd->add_option("--format", args->format, "text, json or sarif")->check(CLI::IsMember({"text", "json", "sarif"}));
  cmd->add_option("--base", args->base, "The workspace root (default: the current directory)");
  cmd->add_option("--allow", args->allow_files, "File of allowed names or globs, one a line (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--no-probe", args->no_probe,
                "Do not ask python3, node, cc or dpkg; decide builtins from the shipped tables alone");
  cmd->callback([args, &ctx] { ctx.command = [=] { return run_check_refs(*args); }; });
}

}  // namespace sluice::cli
