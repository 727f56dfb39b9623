#include "cli/run_facts.h"


#include <optional>

#include <fmt/format.h>

#include "base/files.h"
#include "base/process.h"
#include "base/strings.h"
#include "engine/stage_env.h"
#include "store/state_layout.h"

namespace sluice::cli {
namespace fs = std::filesystem;

namespace {

// git's stdout (stderr merged), or nullopt when it cannot run or exits non-zero.
std::optional<std::string> git(const fs::path& ws, const std::vector<std::string>& env, std::vector<std::string> args) {
  base::SpawnOptions o;
  o.argv = {"git", "-C", ws.string()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = env;
  auto r = base::run_captured(o);
  if (!r || r->code != 0) return std::nullopt;
  return std::move(r->output);
}

std::string first_line(const std::string& s) { return std::string(base::trim(s.substr(0, s.find('\n')))); }

bool needs_facts(const pipeline::Pipeline& p) {
  for (const auto& s : p.stages) {
    if (s.condition || !s.changes.empty() || s.has_runtime_placeholders) return true;
  }
  return false;
}

}  // namespace

Expected<engine::RunFacts> gather_run_facts(const pipeline::Pipeline& p, const fs::path& ws,
                                            const std::vector<std::string>& env, const std::string& since,
                                            const fs::path& state_dir) {
  engine::RunFacts f;
  f.env = env;
  if (!needs_facts(p) && since.empty()) return f;
  auto var = [&](std::string_view name) { return engine::env_lookup(env, name).value_or(""); };
  const bool repo = git(ws, env, {"rev-parse", "--git-dir"}).has_value();
  // Branch and tag: the CI's variables first (a CI checkout is often a detached HEAD).
  if (var("GITHUB_ACTIONS") == "true") {
    f.event = var("GITHUB_EVENT_NAME");
    if (!var("GITHUB_HEAD_REF").empty()) f.branch = var("GITHUB_HEAD_REF");
    else if (var("GITHUB_REF_TYPE") == "branch") f.branch = var("GITHUB_REF_NAME");
    if (var("GITHUB_REF_TYPE") == "tag") f.tag = var("GITHUB_REF_NAME");
  } else if (var("GITLAB_CI") == "true") {
    f.event = var("CI_PIPELINE_SOURCE");
    f.branch = !var("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME").empty() ? var("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
                                                                   : var("CI_COMMIT_BRANCH");
    f.tag = var("CI_COMMIT_TAG");
  }
  if (repo && f.branch.empty() && f.tag.empty()) {
    if (auto b = git(ws, env, {"rev-parse", "--abbrev-ref", "HEAD"}); b && first_line(*b) != "HEAD") {
      f.branch = first_line(*b);
    }
    if (auto t = git(ws, env, {"describe", "--tags", "--exact-match", "HEAD"})) f.tag = first_line(*t);
  }
  if (!repo) {
    if (!since.empty()) {
      return make_error(ErrorCode::invalid_input,
                        fmt::format("--since {}: {} is not in a git repository", since, ws.string()));
    }
    f.changes_base = "(no git repository: changes are assumed)";
    return f;
  }
  // The base the changes are measured from, and the range git compares.
  std::string range;
  if (!since.empty()) {
    if (!git(ws, env, {"rev-parse", "--verify", "--quiet", since + "^{commit}"})) {
      return make_error(ErrorCode::invalid_input, fmt::format("--since {}: no such commit or branch in the repository", since));
    }
    range = since + "...HEAD";  // from where HEAD forked off REF, as a pull request compares
    f.changes_base = "--since " + since;
  } else if (!var("CI_MERGE_REQUEST_DIFF_BASE_SHA").empty()) {
    range = var("CI_MERGE_REQUEST_DIFF_BASE_SHA") + "...HEAD";
    f.changes_base = "the merge request's base " + var("CI_MERGE_REQUEST_DIFF_BASE_SHA").substr(0, 12);
  } else if (!var("GITHUB_BASE_REF").empty()) {
    const std::string ref = var("GITHUB_BASE_REF");
    const std::string remote = "origin/" + ref;
    range = (git(ws, env, {"rev-parse", "--verify", "--quiet", remote + "^{commit}"}) ? remote : ref) + "...HEAD";
    f.changes_base = "the pull request's base " + ref;
  } else if (auto last = base::read_file(store::StateLayout(state_dir).last_success_commit())) {
    std::string sha = first_line(*last);
    if (!sha.empty() && git(ws, env, {"rev-parse", "--verify", "--quiet", sha + "^{commit}"})) {
      range = sha + "..HEAD";
      f.changes_base = "the last successful run (" + sha.substr(0, 12) + ")";
    }
  }
  if (range.empty()) {
    f.changes_base = "(no base: no --since, CI base or earlier successful run; changes are assumed)";
    return f;
  }
  auto diff = git(ws, env, {"-c", "core.quotepath=off", "diff", "--name-only", "--no-renames", range});
  if (!diff) {
    f.changes_base += " (git diff failed: changes are assumed)";
    return f;
  }
  std::vector<std::string> files;
  for (auto line : base::split(*diff, '\n')) {
    if (!base::trim(line).empty()) files.emplace_back(line);
  }
  f.changed_files = std::move(files);
  return f;
}

void record_success_commit(const fs::path& ws, const std::vector<std::string>& env, const fs::path& state_dir) {
  std::error_code ec;
  if (!fs::is_directory(state_dir, ec)) return;
  auto head = git(ws, env, {"rev-parse", "--verify", "--quiet", "HEAD"});
  if (!head) return;
  (void)base::atomic_write(store::StateLayout(state_dir).last_success_commit(), first_line(*head) + "\n");
}

Expected<std::vector<std::pair<std::string, std::string>>> parse_param_flags(const std::vector<std::string>& flags) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : flags) {
    size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0) {
      return make_error(ErrorCode::invalid_input, fmt::format("-p {}: write -p NAME=VALUE", f));
    }
    out.emplace_back(f.substr(0, eq), f.substr(eq + 1));
  }
  return out;
}

}  // namespace sluice::cli
