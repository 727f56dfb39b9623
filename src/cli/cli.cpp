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
#include "cli/version.h"

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

// What bare `sluice` prints, as git, cargo and kubectl do: the commands by what they are for, each
// with its one-line description as registered (so the two never drift apart).
std::string overview(CLI::App& app) {
  struct Group {
    const char* title;
    std::vector<std::string> commands;
  };
  const std::vector<Group> groups = {
      {"Start here", {"init", "plan", "run", "report", "doctor"}},
      {"Pipelines", {"graph", "runs", "prune"}},
      {"Checks", {"scan", "redact", "secrets", "validate", "check"}},
      {"LLM stages", {"tokens", "cache"}},
      {"Review gates", {"review", "approve", "reject", "approvals"}},
  };
  std::string out = fmt::format("{}\n\nusage: sluice [-C DIR] COMMAND [ARGS...]\n", app.get_description());
  std::vector<std::string> listed;
  auto entry = [&](const CLI::App& sub) {
    listed.push_back(sub.get_name());
    return fmt::format("  {:<10} {}\n", sub.get_name(), sub.get_description());
  };
  for (const auto& g : groups) {
    std::string lines;
    for (const auto& name : g.commands) {
      for (const CLI::App* sub : app.get_subcommands({})) {
        if (sub->get_name() == name) lines += entry(*sub);
      }
    }
    if (!lines.empty()) out += fmt::format("\n{}:\n{}", g.title, lines);
  }
  std::string other;
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_group().empty()) continue;  // hidden (`__man`, for the build)
    if (std::find(listed.begin(), listed.end(), sub->get_name()) == listed.end()) other += entry(*sub);
  }
  if (!other.empty()) out += fmt::format("\nOther:\n{}", other);
  out += "\nsluice COMMAND --help shows a command's options; sluice --help the global ones.\n"
         "Pipelines: docs/pipeline.md. Exit codes: 0 ok, 1 a stage or check failed, 2 usage error, 3 awaiting approval.\n";
  return out;
}

// True when argv names no command (only options such as -C DIR, or nothing at all).
bool names_no_command(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-C" || arg == "--directory") {
      ++i;
      continue;
    }
    if (arg.empty() || arg[0] == '-') {
      if (arg.rfind("--directory=", 0) == 0 || (arg.size() > 2 && arg.rfind("-C", 0) == 0)) continue;
      return false;  // --help, --version, or an unknown option: CLI11 answers those
    }
    return false;
  }
  return true;
}
}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"sluice: run CI/CD pipelines with LLM stages deterministically, fast and safely"};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);
  // Options of sluice itself (-C) work after the subcommand too (`sluice run -C DIR`), as in git
  // and make. Set before the subcommands are added: they inherit it.
  app.fallthrough();
  Context ctx;
  std::string directory;
  app.add_option("-C,--directory", directory, "Run as if sluice was started in DIR (like make -C, git -C)");
  // Command families; each file owns its subcommands.
  add_init_command(app, ctx);
  add_pipeline_commands(app, ctx);
  add_review_commands(app, ctx);
  add_tokens_command(app, ctx);
  add_secrets_commands(app, ctx);
  add_validate_command(app, ctx);
  add_cache_commands(app, ctx);
  add_prune_command(app, ctx);
  add_registry_commands(app, ctx);
  add_refs_commands(app, ctx);
  add_doctor_command(app, ctx);
  add_completion_commands(app, ctx);
  // Bare `sluice` prints the overview and exits 0, as git, cargo and kubectl do; options
  // without a command (`sluice -C DIR`) are a usage error: the overview on stderr, exit 2.
  if (names_no_command(argc, argv)) {
    if (argc <= 1) {
      std::fputs(overview(app).c_str(), stdout);
      return k_exit_ok;
    }
    std::fprintf(stderr, "sluice: a command is required\n\n%s", overview(app).c_str());
    return k_exit_usage;
  }
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
