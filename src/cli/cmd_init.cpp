// sluice init [--force]: writes a starter sluice.yml for the project in the current directory.
#include <cstdio>
#include <filesystem>

#include "base/files.h"
#include "cli/commands.h"
#include "scaffold/scaffold.h"

namespace sluice::cli {
namespace fs = std::filesystem;

namespace {

struct InitArgs {
  std::string file = "sluice.yml";
  bool force = false;
  bool print = false;
};

int do_init(const InitArgs& a) {
  std::error_code ec;
  if (!a.print && !a.force && fs::exists(a.file, ec)) {
    std::fprintf(stderr, "sluice: %s already exists; sluice init --force replaces it\n", a.file.c_str());
    return k_exit_usage;
  }
  auto starter = scaffold::starter_pipeline(fs::current_path());
  if (!starter) {
    std::fprintf(stderr, "sluice: %s\n", starter.error().message.c_str());
    return k_exit_usage;
  }
  if (a.print) {
    std::fputs(starter->yaml.c_str(), stdout);
    return k_exit_ok;
  }
  if (auto w = base::atomic_write(a.file, starter->yaml); !w) {
    std::fprintf(stderr, "sluice: %s\n", w.error().message.c_str());
    return k_exit_usage;
  }
  std::printf("sluice: wrote %s\n", a.file.c_str());
  for (const auto& d : starter->detected) std::printf("  found: %s\n", d.c_str());
  std::printf("next: sluice plan (what would run), sluice run, sluice report\n");
  return k_exit_ok;
}

}  // namespace

void add_init_command(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<InitArgs>();
  auto* init = app.add_subcommand("init", "Write a starter sluice.yml for the project in this directory");
  init->add_option("-f,--file", a->file, "Pipeline file to write")->capture_default_str();
  init->add_flag("--force", a->force, "Replace an existing file");
  init->add_flag("--print", a->print, "Print the pipeline instead of writing it");
  init->callback([&ctx, a] { ctx.command = [=] { return do_init(*a); }; });
}

}  // namespace sluice::cli
