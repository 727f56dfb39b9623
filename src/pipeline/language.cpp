#include "pipeline/language.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/strings.h"

namespace sluice::pipeline {
namespace yaml = base::yaml;
using base::quote;

void load_params(const yaml::Node* params, const std::vector<std::pair<std::string, std::string>>& given, Pipeline& p,
                 yaml::Checker& check) {
  if (params != nullptr) {
    if (!params->is_map()) {
      check.error(*params, "\"params\" must be a mapping such as { environment: { default: staging, values: [staging, prod] } }");
    } else {
      static const std::vector<std::string_view> k_keys{"default", "values", "description"};
      for (const auto& e : params->entries) {
        Param prm;
        prm.name = e.key.scalar;
        prm.mark = e.key.mark;
        if (e.value.is_scalar() && !e.value.is_null()) {
          prm.default_value = e.value.scalar;  // `name: value` is its default
        } else if (e.value.is_map()) {
          check.check_keys(e.value, k_keys, fmt::format("param {}", quote(prm.name)));
          if (const auto* d = e.value.find("default")) prm.default_value = check.string(*d, "default").value_or("");
          if (const auto* v = e.value.find("values")) prm.values = check.strings(*v, "values");
          if (const auto* d = e.value.find("description")) (void)check.string(*d, "description");
          if (!prm.values.empty() && e.value.find("default") == nullptr) prm.default_value = prm.values.front();
          if (!prm.values.empty() &&
              std::find(prm.values.begin(), prm.values.end(), prm.default_value) == prm.values.end()) {
            check.error(*e.value.find("default"), fmt::format("the default of param {} ({}) is not one of its values: {}",
                                                              quote(prm.name), quote(prm.default_value),
                                                              fmt::join(prm.values, ", ")));
          }
        } else {
          check.error(e.value, fmt::format("param {} must be a value or a mapping with default and values", quote(prm.name)));
        }
        p.params.push_back(std::move(prm));
      }
    }
  }
  for (const auto& prm : p.params) p.param_values.emplace_back(prm.name, prm.default_value);
  // -p values: errors name the flag, not a place in the file.
  auto flag_error = [&](std::string msg) { check.diagnostics().push_back({"", 0, 0, "sluice: " + std::move(msg)}); };
  for (const auto& [name, value] : given) {
    auto it = std::find_if(p.params.begin(), p.params.end(), [&](const Param& x) { return x.name == name; });
    if (it == p.params.end()) {
      std::vector<std::string> names;
      for (const auto& x : p.params) names.push_back(x.name);
      auto hint = base::closest_match(name, std::span<const std::string>(names));
      flag_error(fmt::format("-p {}={}: {} declares no param {}{}", name, value, check.file(), quote(name),
                             hint ? fmt::format(" (did you mean {}?)", quote(*hint))
                                  : names.empty() ? "" : fmt::format(" (params: {})", fmt::join(names, ", "))));
      continue;
    }
    if (!it->values.empty() && std::find(it->values.begin(), it->values.end(), value) == it->values.end()) {
      flag_error(fmt::format("-p {}={}: param {} is one of {}", name, value, quote(name), fmt::join(it->values, ", ")));
      continue;
    }
    for (auto& [k, v] : p.param_values) {
      if (k == name) v = value;
    }
  }
}

void load_language_keys(const yaml::Node& n, Stage& st, yaml::Checker& check) {
  if (const auto* x = n.find("if")) {
    if (!x->is_scalar() || x->is_null()) {
      check.error(*x, "\"if\" must be an expression such as git.branch == 'main'");
    } else {
      auto e = expr::parse(x->scalar);
      if (!e) {
        check.error(mark_in_scalar(*x, e.error().offset), fmt::format("in \"if\": {}", e.error().message));
      } else {
        st.condition = *e;
        st.always = expr::calls_always(*(*e)->root);
      }
    }
  }
  if (const auto* x = n.find("changes")) {
    st.changes = check.strings(*x, "changes");
    if (st.changes.empty() && !x->is_null()) check.error(*x, "\"changes\" needs at least one glob");
  }
  if (const auto* x = n.find("max_parallel")) {
    if (auto v = check.integer(*x, "max_parallel", 1)) st.max_parallel = static_cast<int>(std::min<int64_t>(*v, 1 << 20));
    if (n.find("matrix") == nullptr && st.matrix_of.empty()) {
      check.error(*x, "\"max_parallel\" bounds a matrix's stages: this stage has no \"matrix\"");
    }
  }
}

void expand_matrix_needs(Pipeline& p, const Expansion& ex) {
  if (ex.matrix_groups.empty()) return;
  for (auto& s : p.stages) {
    std::vector<std::string> needs;
    for (auto& need : s.needs) {
      auto it = ex.matrix_groups.find(need);
      if (it == ex.matrix_groups.end()) {
        needs.push_back(std::move(need));
      } else {
        needs.insert(needs.end(), it->second.begin(), it->second.end());
      }
    }
    s.needs = std::move(needs);
  }
}

namespace {

// Why `path` cannot be read by stage `st` in WHERE; empty when it can.
std::string name_problem(const std::vector<std::string>& path, Stage& st, const Pipeline& p, bool in_if) {
  const std::string full = fmt::format("{}", fmt::join(path, "."));
  const std::string& root = path[0];
  if (root == "changed()" || root == "always()") return "";
  if (root == "env") return path.size() == 2 ? "" : fmt::format("{}: write env.NAME", quote(full));
  if (root == "git") {
    if (path.size() == 2 && (path[1] == "branch" || path[1] == "tag" || path[1] == "event")) return "";
    return fmt::format("{}: git has branch, tag and event", quote(full));
  }
  if ((root == "matrix" || root == "params") && !in_if) return "";  // ${{ }}: the expansion reported it
  if (root == "matrix") {
    if (path.size() == 2) {
      for (const auto& [k, v] : st.matrix) {
        if (k == path[1]) return "";
      }
    }
    return fmt::format("{} is not defined here (the stage's matrix has no such key)", quote(full));
  }
  if (root == "params") {
    if (path.size() == 2) {
      for (const auto& prm : p.params) {
        if (prm.name == path[1]) return "";
      }
    }
    return fmt::format("{} is not defined here (no such entry in params)", quote(full));
  }
  if (root == "stages") {
    if (path.size() != 4 || path[2] != "outputs") return fmt::format("{}: write stages.NAME.outputs.KEY", quote(full));
    if (std::find(st.needs.begin(), st.needs.end(), path[1]) == st.needs.end()) {
      return fmt::format("stage {} reads the outputs of {} but does not need it: add needs: [{}]", quote(st.name),
                         quote(path[1]), path[1]);
    }
    if (std::find(st.output_needs.begin(), st.output_needs.end(), path[1]) == st.output_needs.end()) {
      st.output_needs.push_back(path[1]);
    }
    return "";
  }
  return fmt::format("unknown name {} (names start with env., matrix., params., git. or stages.)", quote(full));
}

void check_one_expression(const expr::Expr& e, const yaml::Node& at, size_t base, Stage& st, const Pipeline& p,
                          bool in_if, yaml::Checker& check) {
  std::vector<std::vector<std::string>> names;
  expr::collect_names(*e.root, names);
  for (const auto& path : names) {
    std::string why = name_problem(path, st, p, in_if);
    if (!why.empty()) check.error(mark_in_scalar(at, base), why);
  }
}

// `${{ }}` left after load-time substitution in a scalar of `run`/`env` (allowed) or elsewhere.
void check_runtime_scalar(const yaml::Node& n, Stage& st, const Pipeline& p, std::string_view key, bool allowed,
                          yaml::Checker& check) {
  if (n.is_scalar()) {
    if (n.scalar.find("${{") == std::string::npos) return;
    auto ph = expr::placeholders(n.scalar);
    if (!ph) return;  // reported by the expansion
    for (const auto& h : *ph) {
      auto e = expr::parse(h.inner);
      if (!e) continue;  // reported by the expansion
      if (!allowed) {
        check.error(mark_in_scalar(n, h.begin),
                    fmt::format("only ${{{{ matrix.* }}}} and ${{{{ params.* }}}} can be used in {}: env, git and "
                                "stage outputs are known when the stage starts, in run, env, if and push's from and to",
                                quote(key)));
        continue;
      }
      st.has_runtime_placeholders = true;
      check_one_expression(**e, n, h.begin, st, p, false, check);
    }
    return;
  }
  for (const auto& i : n.items) check_runtime_scalar(i, st, p, key, allowed, check);
  for (const auto& e : n.entries) check_runtime_scalar(e.value, st, p, key, allowed, check);
}

}  // namespace

void check_expressions(Pipeline& p, const Expansion& ex, yaml::Checker& check, const std::string& main_file) {
  for (size_t i = 0; i < p.stages.size() && i < ex.stages.size(); ++i) {
    Stage& st = p.stages[i];
    const yaml::Node& n = ex.stages[i].entry->value;
    if (!n.is_map() || (!st.condition && !ex.stages[i].placeholders)) continue;
    check.set_file(st.source_file.empty() ? main_file : st.source_file);
    if (st.condition) {
      const yaml::Node* at = n.find("if");
      check_one_expression(*st.condition, *at, 0, st, p, true, check);
    }
    for (const auto& e : n.entries) {
      const std::string& key = e.key.scalar;
      if (key == "if" || key == "llm" || !ex.stages[i].placeholders) continue;  // an llm prompt has its own templating
      if (key == "push" && e.value.is_map()) {  // push: { from, to } are filled in when the stage starts
        for (const auto& pe : e.value.entries) {
          const std::string& pk = pe.key.scalar;
          check_runtime_scalar(pe.value, st, p, "push." + pk, pk == "from" || pk == "to", check);
        }
        continue;
      }
      check_runtime_scalar(e.value, st, p, key, key == "run" || key == "env", check);
    }
  }
  check.set_file(main_file);
}

}  // namespace sluice::pipeline
