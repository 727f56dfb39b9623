#include "cli/cli.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>

#include <fmt/format.h>

#include "cli/commands.h"

namespace sluice::cli {

int run(int argc, char** argv) {
  CLI::App app{"sluice: run CI/CD pipelines with LLM stages deterministically, fast and safely"};
  app.set_version_flag("--version", std::string("sluice ") + SLUICE_VERSION);
  app.require_subcommand(1);
  Context ctx;
  std::string directory;
  app.add_option("-C,--directory", directory, "Run as if sluice was started in DIR (like make -C, git -C)")
      ->each([](const std::string& dir) {
        if (::chdir(dir.c_str()) != 0) throw CLI::ValidationError("-C", dir + ": " + std::strerror(errno));
      });
  // Command families; each file owns its subcommands (see CMakeLists.txt).
#ifdef SLUICE_HAVE_CMD_PIPELINE
  add_pipeline_commands(app, ctx);
#endif
#ifdef SLUICE_HAVE_CMD_TOKENS
  add_tokens_command(app, ctx);
#endif
#ifdef SLUICE_HAVE_CMD_SECRETS
  add_secrets_commands(app, ctx);
#endif
#ifdef SLUICE_HAVE_CMD_VALIDATE
  add_validate_command(app, ctx);
#endif
#ifdef SLUICE_HAVE_CMD_CACHE
  add_cache_commands(app, ctx);
#endif
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
  return ctx.exit_code;
}

}  // namespace sluice::cli
