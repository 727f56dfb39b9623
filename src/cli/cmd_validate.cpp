// sluice validate k8s: offline Kubernetes manifest validation (engine: src/k8s).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/terminal.h"
#include "k8s/output.h"
#include "k8s/validator.h"

namespace sluice::cli {
namespace {

struct ValidateK8sArgs {
  std::vector<std::string> paths;
  std::vector<std::string> schema_locations;
  std::string kubernetes_version = "master";
  bool strict = false;
  bool ignore_missing = false;
  std::vector<std::string> skip;
  std::vector<std::string> disabled_checks;
  std::vector<std::string> apply_units;
  std::string fail_on = "error";
  std::string output = "text";
  bool list_checks = false;
};

std::string default_cache_dir() { return (user_cache_dir() / "schemas").string(); }

int run_validate_k8s(const ValidateK8sArgs& a) {
  if (a.list_checks) {
    for (const auto& c : k8s::best_practice_checks()) std::printf("%-22s %.*s\n", std::string(c.id).c_str(),
                                                                   static_cast<int>(c.description.size()),
                                                                   c.description.data());
    return k_exit_ok;
  }
  if (a.paths.empty() && a.apply_units.empty()) {
    std::fprintf(stderr, "sluice validate k8s: no input: pass files, directories or - for stdin\n");
    return k_exit_usage;
  }
  auto format = k8s::parse_output_format(a.output);
  if (!format) {
    std::fprintf(stderr, "sluice validate k8s: --output must be text, json, junit or sarif\n");
    return k_exit_usage;
  }
  k8s::ValidateOptions opts;
  opts.schema_locations = a.schema_locations;
  opts.kubernetes_version = a.kubernetes_version;
  opts.cache_dir = default_cache_dir();
  opts.strictness = a.strict ? k8s::Strictness::strict : k8s::Strictness::lenient;
  opts.missing_schemas = a.ignore_missing ? k8s::MissingSchemas::ignore : k8s::MissingSchemas::error;
  opts.skip_kinds = a.skip;
  opts.disabled_checks = a.disabled_checks;
  opts.apply_units = a.apply_units;
  k8s::Severity fail_on = a.fail_on == "warning" ? k8s::Severity::warning : k8s::Severity::error;

  auto validator = k8s::Validator::create(std::move(opts));
  if (!validator) {
    std::fprintf(stderr, "sluice validate k8s: %s\n", validator.error().message.c_str());
    return k_exit_usage;
  }
  std::optional<std::string> stdin_text;
  for (const auto& p : a.paths) {
    if (p == "-") {
      auto text = read_all_stdin();
      if (!text) {
        std::fprintf(stderr, "sluice validate k8s: %s\n", text.error().message.c_str());
        return k_exit_usage;
      }
      stdin_text = std::move(*text);
      break;
    }
  }
  k8s::Report report = validator->validate_paths(
      a.paths, stdin_text ? std::optional<std::string_view>(*stdin_text) : std::nullopt);

  TerminalInfo term = detect_terminal();
  std::string out = k8s::render_report(report, *format, fail_on,
                                       term.color && *format == k8s::OutputFormat::text ? k8s::Color::on
                                                                                       : k8s::Color::off);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  for (const Error& e : report.errors) std::fprintf(stderr, "sluice validate k8s: %s\n", e.message.c_str());
  if (!report.errors.empty()) return k_exit_usage;
  return report.failed(fail_on) ? k_exit_failed : k_exit_ok;
}

}  // namespace

void add_validate_command(CLI::App& app, Context& ctx) {
  CLI::App* validate = app.add_subcommand("validate", "Validate files before they are deployed");
  validate->require_subcommand(1);
  auto args = std::make_shared<ValidateK8sArgs>();
  CLI::App* k8s_cmd = validate->add_subcommand(
      "k8s", "Validate Kubernetes manifests offline: schemas, API server rules, best practices");
  k8s_cmd->add_option("paths", args->paths, "Files, directories (recursive: .yaml .yml .json) or - for stdin");
  k8s_cmd->add_option("--schema-location", args->schema_locations,
                      "Schema directory ({group}/{kind}_{version}.json), kubeconform-style template or "
                      "http(s) URL; repeatable, first hit wins")
      ->allow_extra_args(false);
  k8s_cmd->add_option("--kubernetes-version", args->kubernetes_version,
                      "Value of {{ .NormalizedKubernetesVersion }} in templates (default master)");
  k8s_cmd->add_flag("--strict", args->strict, "Unknown fields are errors (default: warnings)");
  k8s_cmd->add_flag("--ignore-missing-schemas", args->ignore_missing, "Skip kinds that have no schema");
  k8s_cmd->add_option("--skip", args->skip, "Kinds not to validate (comma-separated)")->delimiter(',')->allow_extra_args(false);
  k8s_cmd->add_option("--disable-check", args->disabled_checks,
                      "Best-practice check ids to turn off (comma-separated), or all")
      ->delimiter(',')->allow_extra_args(false);
  k8s_cmd->add_option("--apply-unit", args->apply_units,
                      "Directory whose files are applied together (repeatable): the same object twice in it "
                      "is an error. Files, kustomizations and stdin are apply units already")
      ->allow_extra_args(false);
  k8s_cmd->add_option("--fail-on", args->fail_on, "Lowest severity that makes the exit code 1")
      ->check(CLI::IsMember({"error", "warning"}));
  k8s_cmd->add_option("-o,--output", args->output, "text, json, junit or sarif")
      ->check(CLI::IsMember({"text", "json", "junit", "sarif"}));
  k8s_cmd->add_flag("--list-checks", args->list_checks, "List the best-practice checks and exit");
  k8s_cmd->callback([args, &ctx] { ctx.command = [=] { return run_validate_k8s(*args); }; });
}

}  // namespace sluice::cli
