// sluice scan, sluice redact, sluice secrets rules check|list: thin wrappers over src/secrets/.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

extern char** environ;

#include "base/files.h"
#include "cli/commands.h"
#include "cli/terminal.h"
#include "secrets/baseline.h"
#include "secrets/git_history.h"
#include "secrets/output.h"
#include "secrets/redactor.h"
#include "secrets/rule_loader.h"
#include "secrets/scanner.h"
#include "secrets/walk.h"

namespace sluice::cli {
namespace {

namespace sec = sluice::secrets;

// Compiled rule databases are cached under the user cache (see user_cache_dir()).
std::filesystem::path cache_dir() { return user_cache_dir() / "secrets"; }

// Loads --config (gitleaks or sluice format) or the built-in rules and compiles them.
// `lazy`: compile the built-in rules' confirmers on first use (a scan); `rules check` and
// `rules list` compile everything up front.
Expected<std::shared_ptr<const sec::Scanner>> load_scanner(const std::string& config, bool lazy = false) {
  Expected<sec::RuleSet> rules = [&]() -> Expected<sec::RuleSet> {
    if (config.empty()) return sec::default_rules();
    auto text = base::read_file(config);
    if (!text) return tl::unexpected(text.error());
    return sec::load_rules_auto(*text, config);
  }();
  if (!rules) return tl::unexpected(rules.error());
  sec::Scanner::Options options;
  options.cache_dir = cache_dir();
  options.lazy_confirmers = lazy && config.empty();  // user rule files are always checked at load
  return sec::Scanner::create(std::move(*rules), options);
}

void print_error(const Error& e) { std::fprintf(stderr, "sluice: %s\n", e.message.c_str()); }

struct ScanArgs {
  std::string config;
  std::string baseline;
  std::string write_baseline;
  std::string format = "text";
  unsigned threads = 0;
  bool no_gitignore = false;
  bool git = false;        // --git [RANGE]: scan the lines each commit added
  std::string git_range;   // empty: all history
  bool staged = false;     // --staged: the index against HEAD (pre-commit hook)
  std::vector<std::string> paths;
};

// Text output: path:line:column: rule: preview, prefixed by the commit as git grep does
// (rev:path:line) and followed by author and date for findings in history.
void print_text(const sec::Finding& f) {
  if (f.commit.empty()) {
    std::printf("%s:%zu:%zu: %s: %s\n", f.path.c_str(), f.line, f.column, f.rule_id.c_str(),
                sec::secret_preview(f.secret).c_str());
  } else {
    std::printf("%s:%s:%zu:%zu: %s: %s (%s <%s>, %s)\n", f.commit.substr(0, 12).c_str(), f.path.c_str(), f.line,
                f.column, f.rule_id.c_str(), sec::secret_preview(f.secret).c_str(), f.author.c_str(), f.email.c_str(),
                f.date.c_str());
  }
}

// Findings minus those the baseline lists; prints them in the requested format.
size_t report_findings(std::vector<sec::Finding>& all, const std::optional<sec::Baseline>& baseline,
                       const std::string& format, const sec::Scanner& scanner) {
  std::vector<sec::Finding> findings;
  size_t suppressed = 0;
  for (auto& f : all) {
    if (baseline && baseline->contains(f)) {
      ++suppressed;
    } else {
      findings.push_back(std::move(f));
    }
  }
  if (format == "json") {
    std::fputs(sec::findings_json(findings).c_str(), stdout);
  } else if (format == "sarif") {
    std::fputs(sec::findings_sarif(findings, scanner.rules()).c_str(), stdout);
  } else {
    for (const auto& f : findings) print_text(f);
  }
  all = std::move(findings);
  return suppressed;
}

Expected<std::optional<sec::Baseline>> load_baseline(const std::string& file) {
  if (file.empty()) return std::optional<sec::Baseline>();
  auto text = base::read_file(file);
  if (!text) return tl::unexpected(text.error());
  auto b = sec::Baseline::parse(*text, file);
  if (!b) return tl::unexpected(b.error());
  return std::optional<sec::Baseline>(std::move(*b));
}

int write_baseline(const std::string& file, const std::vector<sec::Finding>& findings) {
  if (auto w = base::atomic_write(file, sec::Baseline::serialize(findings)); !w) {
    print_error(w.error());
    return k_exit_usage;
  }
  std::fprintf(stderr, "sluice: wrote %zu findings to baseline %s\n", findings.size(), file.c_str());
  return k_exit_ok;
}

// sluice scan --git [RANGE] [PATH] / --staged [PATH]: the lines commits (or the index) added.
int run_scan_git(const ScanArgs& a, const sec::Scanner& scanner, const std::optional<sec::Baseline>& baseline) {
  sec::GitScanOptions o;
  o.range = a.git_range;
  o.staged = a.staged;
  std::vector<std::string> paths = a.paths;
  // `--git PATH` reads PATH as the range (the value is optional): a range that names an
  // existing directory, with no PATH after it, is the repository.
  std::error_code ec;
  if (paths.empty() && !o.range.empty() && std::filesystem::is_directory(o.range, ec)) {
    paths.push_back(o.range);
    o.range.clear();
  }
  if (paths.size() > 1) {
    std::fprintf(stderr, "sluice: scan --git takes one repository path, got %zu\n", paths.size());
    return k_exit_usage;
  }
  if (o.staged && !o.range.empty()) {
    std::fprintf(stderr, "sluice: scan --staged takes no range\n");
    return k_exit_usage;
  }
  o.repo = paths.empty() ? std::filesystem::path(".") : std::filesystem::path(paths[0]);
  for (char** e = environ; e && *e; ++e) o.env.emplace_back(*e);  // GIT_INDEX_FILE in hooks
  const auto t0 = std::chrono::steady_clock::now();
  auto report = sec::scan_git(scanner, o);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!report) {
    print_error(report.error());
    return k_exit_usage;
  }
  if (!a.write_baseline.empty()) return write_baseline(a.write_baseline, report->findings);
  const size_t suppressed = report_findings(report->findings, baseline, a.format, scanner);
  const double mb = static_cast<double>(report->bytes_added) / 1e6;
  const std::string what = o.staged ? std::string("staged changes")
                                    : fmt::format("{} commit{}", report->commits, report->commits == 1 ? "" : "s");
  std::fprintf(stderr, "sluice scan: %zu finding%s in %s (%zu files, %.1f MB of added lines, %.2f s, %.0f MB/s)%s\n",
               report->findings.size(), report->findings.size() == 1 ? "" : "s", what.c_str(), report->files, mb,
               secs, secs > 0 ? mb / secs : 0.0,
               suppressed ? fmt::format(", {} suppressed by baseline", suppressed).c_str() : "");
  return report->findings.empty() ? k_exit_ok : k_exit_failed;
}

int run_scan(const ScanArgs& a) {
  auto scanner = load_scanner(a.config, /*lazy=*/true);
  if (!scanner) {
    print_error(scanner.error());
    return k_exit_usage;
  }
  auto baseline = load_baseline(a.baseline);
  if (!baseline) {
    print_error(baseline.error());
    return k_exit_usage;
  }
  if (a.git || a.staged) return run_scan_git(a, **scanner, *baseline);
  if (a.paths.empty()) {
    std::fprintf(stderr, "sluice: scan needs at least one PATH (or --git / --staged)\n");
    return k_exit_usage;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto walk = sec::collect_files(a.paths, a.no_gitignore ? sec::UseGitignore::no : sec::UseGitignore::yes);
  auto report = sec::scan_files(**scanner, walk.files, a.threads);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& e : walk.errors) std::fprintf(stderr, "sluice: %s\n", e.c_str());
  for (const auto& e : report.errors) std::fprintf(stderr, "sluice: %s\n", e.c_str());

  if (!a.write_baseline.empty()) {
    const int rc = write_baseline(a.write_baseline, report.findings);
    if (rc != k_exit_ok) return rc;
    return walk.errors.empty() && report.errors.empty() ? k_exit_ok : k_exit_usage;
  }
  const size_t suppressed = report_findings(report.findings, *baseline, a.format, **scanner);
  const auto& findings = report.findings;
  std::fprintf(stderr, "sluice scan: %zu finding%s in %zu files (%.1f MB, %.2f s)%s%s\n", findings.size(),
               findings.size() == 1 ? "" : "s", report.files_scanned, static_cast<double>(report.bytes_scanned) / 1e6,
               secs, suppressed ? fmt::format(", {} suppressed by baseline", suppressed).c_str() : "",
               report.files_binary ? fmt::format(", {} binary files skipped", report.files_binary).c_str() : "");
  if (!walk.errors.empty() || !report.errors.empty()) return k_exit_usage;
  return findings.empty() ? k_exit_ok : k_exit_failed;
}

struct RedactArgs {
  std::string config;
  std::vector<std::string> mask_env;
  bool no_rules = false;
  std::string input = "-";
};

int run_redact(const RedactArgs& a) {
  std::shared_ptr<const sec::Scanner> scanner;
  if (!a.no_rules) {
    auto s = load_scanner(a.config, /*lazy=*/true);
    if (!s) {
      print_error(s.error());
      return k_exit_usage;
    }
    scanner = *s;
  }
  std::vector<sec::NamedValue> values;
  for (const auto& name : a.mask_env) values.push_back({name, env_or(name.c_str())});
  auto known = sec::KnownValues::create(values);
  if (!known) {
    print_error(known.error());
    return k_exit_usage;
  }
  for (const auto& name : known->ignored) {
    std::fprintf(stderr, "sluice: not masking %s: shorter than %zu bytes\n", name.c_str(), sec::k_min_mask_length);
  }
  auto redactor = std::make_shared<const sec::Redactor>(known->values, scanner);
  if (a.input != "-") {
    auto text = base::read_file(a.input);
    if (!text) {
      print_error(text.error());
      return k_exit_usage;
    }
    const std::string out = redactor->redact(*text);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return k_exit_ok;
  }
  // stdin: stream, so `long-running-command | sluice redact` shows lines as they come.
  sec::StreamRedactor stream(redactor);
  std::vector<char> buf(1 << 16);
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    const std::string out = stream.write(std::string_view(buf.data(), static_cast<size_t>(n)));
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }
  const std::string out = stream.flush();
  std::fwrite(out.data(), 1, out.size(), stdout);
  return k_exit_ok;
}

int run_rules_check(const std::string& config) {
  auto scanner = load_scanner(config);
  if (!scanner) {
    print_error(scanner.error());
    return k_exit_usage;
  }
  const auto check = sec::check_rule_examples(**scanner);
  for (const auto& f : check.failures) std::printf("FAIL %s\n", f.c_str());
  for (const auto& id : (*scanner)->fallback_rules()) {
    std::printf("note: %s: Hyperscan cannot prefilter this pattern; RE2 scans whole inputs that contain its keywords\n",
                id.c_str());
  }
  std::printf("%zu rules, %zu examples, %zu counter-examples: %s\n", check.rules, check.examples,
              check.counter_examples, check.failures.empty() ? "all pass" : fmt::format("{} failures", check.failures.size()).c_str());
  return check.failures.empty() ? k_exit_ok : k_exit_failed;
}

int run_rules_list(const std::string& config) {
  auto scanner = load_scanner(config);
  if (!scanner) {
    print_error(scanner.error());
    return k_exit_usage;
  }
  for (const auto& r : (*scanner)->rules().rules) std::printf("%-45s %s\n", r.id.c_str(), r.description.c_str());
  return k_exit_ok;
}

}  // namespace

void add_secrets_commands(CLI::App& app, Context& ctx) {
  auto scan = std::make_shared<ScanArgs>();
  CLI::App* s = app.add_subcommand("scan", "Find secrets in files (exit 0: none, 1: findings, 2: error)");
  s->add_option("--config", scan->config, "Rules: a gitleaks TOML config or a sluice rule file (default: built-in)");
  s->add_option("--baseline", scan->baseline, "Ignore findings recorded in this baseline file");
  s->add_option("--write-baseline", scan->write_baseline, "Record all current findings in this baseline file");
  s->add_option("--format", scan->format, "Output format")->check(CLI::IsMember({"text", "json", "sarif"}));
  s->add_option("--threads,-j", scan->threads, "Scanning threads (default: all cores)");
  s->add_flag("--no-gitignore", scan->no_gitignore, "Also scan files matched by .gitignore");
  CLI::Option* git = s->add_option("--git", scan->git_range,
                                   "Scan the lines each commit added: all history, or RANGE (git log syntax); "
                                   "PATH is the repository (default: .)")
                         ->expected(0, 1);
  s->add_flag("--staged", scan->staged, "Scan the staged changes (for a pre-commit hook)");
  s->add_option("paths", scan->paths, "Files and directories to scan (with --git: the repository)");
  s->callback([scan, git, &ctx] {
    scan->git = git->count() > 0;
    ctx.command = [=] { return run_scan(*scan); };
  });

  auto red = std::make_shared<RedactArgs>();
  CLI::App* r = app.add_subcommand("redact", "Copy input to stdout with secrets replaced by [REDACTED:<rule-id>]");
  r->add_option("--config", red->config, "Rules: a gitleaks TOML config or a sluice rule file (default: built-in)");
  r->add_option("--mask-env", red->mask_env, "Also mask the value of this environment variable (and its encodings) as ***")
      ->allow_extra_args(false);
  r->add_flag("--no-rules", red->no_rules, "Mask only --mask-env values, apply no rules");
  r->add_option("input", red->input, "File to redact, or - for stdin (streamed)");
  r->callback([red, &ctx] { ctx.command = [=] { return run_redact(*red); }; });

  CLI::App* secrets = app.add_subcommand("secrets", "Secret scanning rules");
  secrets->require_subcommand(1);
  CLI::App* rules = secrets->add_subcommand("rules", "Inspect and verify rules");
  rules->require_subcommand(1);
  auto config = std::make_shared<std::string>();
  CLI::App* check = rules->add_subcommand("check", "Verify every rule against its examples");
  check->add_option("--config", *config, "Rule file (default: built-in)");
  check->callback([config, &ctx] { ctx.command = [=] { return run_rules_check(*config); }; });
  CLI::App* list = rules->add_subcommand("list", "List rule ids and descriptions");
  list->add_option("--config", *config, "Rule file (default: built-in)");
  list->callback([config, &ctx] { ctx.command = [=] { return run_rules_list(*config); }; });
}

}  // namespace sluice::cli
