#include "cli/cli.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/commands.h"

namespace sluice::cli {

namespace {
// CLI11 answers a word that is no command with "A subcommand is required"; name it instead.
std::optional<std::string> unknown_command(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-C" || arg == "--directory") {
      ++i;  // its value
      continue;
    }
    if (arg.empty() || arg[0] == '-') continue;
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), arg) != names.end()) return std::nullopt;
    std::string hint;
    if (auto near = base::closest_match(arg, std::span<const std::string>(names))) {
      hint = fmt::format(" (did you mean \"{}\"?)", *near);
    }
    return fmt::format("unknown command \"{}\"{}; run sluice --help for the commands", arg, hint);
  }
  return std::nullopt;
}
}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"sluice: run CI/CD pipelines with LLM stages deterministically, fast and safely"};
  app.set_version_flag("--version", std::string("sluice ") + SLUICE_VERSION);
  app.require_subcommand(1);
  // Options of sluice itself (-C) work after the subcommand too (`sluice run -C DIR`), as in git
  // and make. Set before the subcommands are added: they inherit it.
  app.fallthrough();
  Context ctx;
  std::string directory;
  app.add_option("-C,--directory", directory, "Run as if sluice was started in DIR (like make -C, git -C)");
  // Command families; each file owns its subcommands.
  add_pipeline_commands(app, ctx);
  add_tokens_command(app, ctx);
  add_secrets_commands(app, ctx);
  add_validate_command(app, ctx);
  add_cache_commands(app, ctx);
  add_prune_command(app, ctx);
  add_refs_commands(app, ctx);
  if (auto unknown = unknown_command(app, argc, argv)) {
    std::fprintf(stderr, "sluice: %s\n", unknown->c_str());
    return k_exit_usage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return k_exit_usage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sluice: internal error: %s\n", e.what());
    return k_exit_usage;
  }
  if (!directory.empty() && ::chdir(directory.c_str()) != 0) {
    // Worded as CLI11 words a failed option (as before -C moved out of the parse).
    std::fprintf(stderr, "--directory: -C: %s: %s\nRun with --help for more information.\n", directory.c_str(),
                 std::strerror(errno));
    return k_exit_usage;
  }
  if (!ctx.command) return ctx.exit_code;
  try {
    return ctx.command();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sluice: internal error: %s\n", e.what());
    return k_exit_usage;
  }
}

}  // namespace sluice::cli
