// GitHub Actions workflow -> stages: `run:` steps, `needs`, `env` and `timeout-minutes` carry
// over; everything else is named in `untranslated` so the user knows what to redo by hand.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "base/yaml.h"
#include "scaffold/scaffold.h"

namespace sluice::scaffold {
namespace yaml = base::yaml;

namespace {

// Stage names are identifiers in sluice.yml; GitHub job ids may hold characters we would
// rather not carry (they are [A-Za-z0-9_-] by GitHub's rules, but be safe).
std::string stage_name(std::string_view prefix, std::string_view job) {
  std::string out(prefix);
  for (char c : job) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') ? c : '-';
  return out;
}

// A word for bash: single-quoted unless plainly safe.
std::string shell_quote(std::string_view s) {
  bool plain = !s.empty();
  for (char c : s) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || std::string_view("_-./:=@%+,").find(c) != std::string_view::npos);
  if (plain) return std::string(s);
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::vector<std::string> string_list(const yaml::Node* n) {
  std::vector<std::string> out;
  if (n == nullptr) return out;
  if (n->is_scalar()) out.push_back(n->scalar);
  for (const auto& item : n->items) {
    if (item.is_scalar()) out.push_back(item.scalar);
  }
  return out;
}

void add_env(const yaml::Node* n, std::vector<std::pair<std::string, std::string>>& env) {
  if (n == nullptr || !n->is_map()) return;
  for (const auto& e : n->entries) {
    if (!e.value.is_scalar()) continue;
    auto it = std::find_if(env.begin(), env.end(), [&](const auto& kv) { return kv.first == e.key.scalar; });
    if (it != env.end()) it->second = e.value.scalar;
    else env.emplace_back(e.key.scalar, e.value.scalar);
  }
}

// `${{ env.X }}` and `${{ secrets.X }}` become `$X` (sluice passes the environment through);
// any other expression stays, and is reported.
std::string rewrite_expressions(std::string text, std::set<std::string>& kept) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = text.find("${{", pos);
    if (open == std::string::npos) break;
    size_t close = text.find("}}", open);
    if (close == std::string::npos) break;
    std::string inner = text.substr(open + 3, close - open - 3);
    while (!inner.empty() && inner.front() == ' ') inner.erase(0, 1);
    while (!inner.empty() && inner.back() == ' ') inner.pop_back();
    out += text.substr(pos, open - pos);
    bool done = false;
    for (std::string_view scope : {"env.", "secrets."}) {
      if (inner.rfind(scope, 0) == 0) {
        out += "${" + inner.substr(scope.size()) + "}";
        done = true;
      }
    }
    if (!done) {
      kept.insert("${{ " + inner + " }}");
      out += text.substr(open, close + 2 - open);
    }
    pos = close + 2;
  }
  out += text.substr(pos);
  return out;
}

}  // namespace

Expected<WorkflowStages> translate_workflow(std::string_view text, std::string_view filename, std::string_view prefix) {
  auto docs = yaml::parse(text, filename);
  SLUICE_TRY(docs);
  WorkflowStages out;
  if (docs->empty() || !(*docs)[0].root.is_map()) {
    out.untranslated.push_back(fmt::format("{}: not a workflow (no mapping at the top)", filename));
    return out;
  }
  const yaml::Node& root = (*docs)[0].root;
  const yaml::Node* jobs = root.find("jobs");
  if (jobs == nullptr || !jobs->is_map()) {
    out.untranslated.push_back(fmt::format("{}: no jobs", filename));
    return out;
  }
  std::vector<std::pair<std::string, std::string>> workflow_env;
  add_env(root.find("env"), workflow_env);
  std::string default_wd;
  if (const auto* d = root.find("defaults"); d && d->find("run") && d->find("run")->find("working-directory"))
    default_wd = d->find("run")->find("working-directory")->scalar;

  for (const auto& job : jobs->entries) {
    const std::string& id = job.key.scalar;
    const yaml::Node& j = job.value;
    StageDraft s;
    s.name = stage_name(prefix, id);
    s.comments.push_back(fmt::format("from {}, job \"{}\"", filename, id));
    auto note = [&](const std::string& what) { out.untranslated.push_back(fmt::format("job {}: {}", id, what)); };
    for (const auto& n : string_list(j.find("needs"))) s.needs.push_back(stage_name(prefix, n));
    s.env = workflow_env;
    add_env(j.find("env"), s.env);
    if (const auto* t = j.find("timeout-minutes"); t && t->is_int()) s.timeout = t->scalar + "m";
    if (const auto* ro = j.find("runs-on")) note(fmt::format("runs-on: {} (sluice runs on this machine)", ro->is_scalar() ? ro->scalar : "..."));
    if (j.find("uses")) note("uses: a reusable workflow (not translated)");
    if (const auto* st = j.find("strategy"); st && st->find("matrix")) note("strategy.matrix (sluice has no matrix yet: one stage, no expansion)");
    if (j.find("services")) note("services (start them yourself, e.g. with docker compose, before the run)");
    if (j.find("container")) note("container (the stage runs on the host)");
    if (const auto* c = j.find("if")) note(fmt::format("if: {}", c->scalar));
    std::string wd = default_wd;
    if (const auto* d = j.find("defaults"); d && d->find("run") && d->find("run")->find("working-directory"))
      wd = d->find("run")->find("working-directory")->scalar;
    s.working_directory = wd;

    std::set<std::string> expressions;
    std::string script;
    if (const auto* steps = j.find("steps"); steps && steps->is_seq()) {
      int n = 0;
      for (const auto& step : steps->items) {
        ++n;
        const auto* name = step.find("name");
        std::string label = name && name->is_scalar() ? name->scalar : fmt::format("step {}", n);
        if (const auto* uses = step.find("uses")) {
          note(fmt::format("step \"{}\": uses: {}", label, uses->scalar));
          continue;
        }
        const auto* run = step.find("run");
        if (run == nullptr || !run->is_scalar()) continue;
        std::string body = rewrite_expressions(run->scalar, expressions);
        while (!body.empty() && body.back() == '\n') body.pop_back();
        std::vector<std::pair<std::string, std::string>> step_env;
        add_env(step.find("env"), step_env);
        std::string prefix_lines;
        for (const auto& [k, v] : step_env) prefix_lines += fmt::format("export {}={}\n", k, shell_quote(v));
        if (const auto* c = step.find("if")) note(fmt::format("step \"{}\": if: {} (the step always runs)", label, c->scalar));
        if (const auto* sh = step.find("shell")) note(fmt::format("step \"{}\": shell: {} (runs with bash)", label, sh->scalar));
        std::string step_wd;
        if (const auto* w = step.find("working-directory")) step_wd = w->scalar;
        if (!step_env.empty() || !step_wd.empty()) {
          // A subshell keeps a step's env and directory to that step, as in GitHub Actions.
          script += fmt::format("# {}\n(\n{}{}{}\n)\n", label, step_wd.empty() ? "" : "cd " + shell_quote(step_wd) + "\n",
                                prefix_lines, body);
        } else {
          script += fmt::format("# {}\n{}\n", label, body);
        }
      }
    }
    for (const auto& e : expressions) note(fmt::format("expression {} left as is: replace it", e));
    if (script.empty()) {
      s.comments.push_back("no run: steps to translate");
      script = fmt::format("echo \"job {} had no run: steps\"\n", id);
    }
    s.run = script;
    out.stages.push_back(std::move(s));
  }
  return out;
}

}  // namespace sluice::scaffold
