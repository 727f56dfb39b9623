#include "pipeline/loader.h"

#include <algorithm>
#include <functional>
#include <set>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "base/byte_size.h"
#include "base/duration.h"
#include "base/files.h"
#include "base/strings.h"
#include "base/yaml_check.h"
#include "pipeline/expand.h"
#include "pipeline/language.h"

namespace sluice::pipeline {
namespace yaml = base::yaml;
using base::quote;

std::string_view to_string(StageKind k) {
  switch (k) {
    case StageKind::run: return "run";
    case StageKind::llm: return "llm";
    case StageKind::validate: return "validate";
    case StageKind::prune: return "prune";
    case StageKind::push: return "push";
  }
  return "run";
}

const Stage* Pipeline::find(std::string_view name) const {
  for (const auto& s : stages) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

int Pipeline::index_of(std::string_view name) const {
  for (size_t i = 0; i < stages.size(); ++i) {
    if (stages[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

const std::vector<std::string_view>& top_level_keys() {
  static const std::vector<std::string_view> k{"version", "env", "secrets", "defaults", "stages", "llm", "cache",
                                                   "state", "notify", "review", "params", "templates", "include"};
  return k;
}

const std::vector<std::string_view>& stage_keys() {
  static const std::vector<std::string_view> k{
      "run",     "llm",     "validate", "prune",   "push",    "needs",   "locks",    "inputs",           "outputs",
      "timeout", "retries", "retry_on", "env",     "shell",    "continue_on_error", "cache",
      "working_directory", "description", "protected", "advisory",
      // the pipeline language (language.cpp, expand.cpp)
      "if", "changes", "matrix", "extends", "max_parallel"};
  return k;
}

namespace {

const std::vector<std::string_view>& default_keys() {
  static const std::vector<std::string_view> k{"timeout", "shell", "kill_grace"};
  return k;
}

const std::vector<std::string_view>& validate_keys() {
  static const std::vector<std::string_view> k{"kubernetes",  "schema_location", "strict",
                                               "ignore_missing_schemas", "skip", "disable_checks",
                                               "kubernetes_version", "fail_on", "apply_units"};
  return k;
}

const std::vector<std::string_view>& prune_keys() {
  static const std::vector<std::string_view> k{"policy", "ecr_policy", "repos", "apply"};
  return k;
}

const std::vector<std::string_view>& push_keys() {
  static const std::vector<std::string_view> k{"from", "to", "ref"};
  return k;
}

bool valid_name(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '.';
    if (!ok) return false;
  }
  return n != "." && n != "..";
}

class Loader {
 public:
  Loader(std::string_view file, const LoadOptions& opts) : m_file(file), m_check(file), m_opts(opts) {}

  // Every key and type check goes through the one YAML checker (base/yaml_check.h), which the
  // llm module's sections use too, so a mistake reads the same wherever it is made.
  void error(const yaml::Node& at, std::string msg) { m_check.error(at, std::move(msg)); }

  void check_keys(const yaml::Node& map, const std::vector<std::string_view>& allowed, std::string_view where) {
    m_check.check_keys(map, allowed, where);
  }

  std::optional<std::string> string_value(const yaml::Node& n, std::string_view key) { return m_check.string(n, key); }

  // A string or a list of strings.
  std::vector<std::string> string_list(const yaml::Node& n, std::string_view key) { return m_check.strings(n, key); }

  // Inputs and outputs are globs relative to the workspace. An absolute or ".." pattern would
  // match nothing (inputs: every edit outside then gives a stale hit) or write outside it.
  void check_inside_workspace(const yaml::Node& list, std::string_view what) {
    auto check = [&](const yaml::Node& item) {
      if (!item.is_scalar() || item.is_null()) return;  // string_list reported it
      std::string_view v = item.scalar;
      bool up = false;
      for (size_t start = 0; start <= v.size();) {
        size_t end = v.find('/', start);
        if (end == std::string_view::npos) end = v.size();
        if (v.substr(start, end - start) == "..") up = true;
        start = end + 1;
      }
      if (!v.empty() && v[0] == '/') {
        error(item, fmt::format("{} {} is an absolute path; {}s are paths relative to the workspace", what,
                                quote(v), what));
      } else if (up) {
        error(item, fmt::format("{} {} leaves the workspace through \"..\"; {}s must be inside it", what,
                                quote(v), what));
      }
    };
    if (list.is_seq()) {
      for (const auto& item : list.items) check(item);
    } else {
      check(list);
    }
  }

  std::optional<bool> bool_value(const yaml::Node& n, std::string_view key) { return m_check.boolean(n, key); }

  std::optional<std::chrono::milliseconds> duration_value(const yaml::Node& n, std::string_view key) {
    return m_check.duration(n, key);
  }

  std::vector<SecretName> secret_names(const yaml::Node& n) {
    std::vector<SecretName> out;
    if (n.is_scalar() && !n.is_null()) {
      out.push_back({n.scalar, n.mark});
    } else if (n.is_seq()) {
      for (const auto& item : n.items) {
        if (!item.is_scalar() || item.is_null()) {
          error(item, fmt::format("items of \"secrets\" must be strings, not a {}", item.type_name()));
          continue;
        }
        out.push_back({item.scalar, item.mark});
      }
    } else if (!n.is_null()) {
      error(n, fmt::format("\"secrets\" must be a list of strings, not a {}", n.type_name()));
    }
    return out;
  }

  EnvList env_value(const yaml::Node& n, std::string_view where) {
    EnvList out;
    if (!n.is_map()) {
      if (!n.is_null()) error(n, fmt::format("{} must be a mapping of NAME: value", where));
      return out;
    }
    for (const auto& e : n.entries) {
      const std::string& k = e.key.scalar;
      bool ok = !k.empty() && !(k[0] >= '0' && k[0] <= '9');
      for (char c : k) ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
      if (!ok) {
        error(e.key, fmt::format("invalid environment variable name {}", quote(k)));
        continue;
      }
      if (!e.value.is_scalar() && !e.value.is_null()) {
        error(e.value, fmt::format("value of {} must be a string, number or boolean", quote(k)));
        continue;
      }
      out.emplace_back(k, e.value.is_null() ? std::string() : e.value.scalar);
    }
    return out;
  }

  void load_defaults(const yaml::Node& n, Defaults& d) {
    if (!n.is_map()) {
      error(n, "\"defaults\" must be a mapping");
      return;
    }
    check_keys(n, default_keys(), "defaults");
    if (const auto* t = n.find("timeout")) {
      if (auto v = duration_value(*t, "timeout")) d.timeout = *v;
    }
    if (const auto* s = n.find("shell")) {
      if (auto v = string_value(*s, "shell")) d.shell = *v;
    }
    if (const auto* g = n.find("kill_grace")) {
      if (auto v = duration_value(*g, "kill_grace")) d.kill_grace = *v;
    }
  }

  void load_cache(const yaml::Node& n, CacheLimits& c, RemoteCacheSpec& remote) {
    if (!n.is_map()) {
      error(n, "\"cache\" must be a mapping such as { max_size: 5G, max_age: 30d }");
      return;
    }
    static const std::vector<std::string_view> k_keys{"max_size", "max_age", "remote", "remote_write"};
    check_keys(n, k_keys, "cache");
    if (const auto* x = n.find("max_size")) {
      auto v = base::parse_byte_size(x->is_scalar() ? x->scalar : std::string());
      if (v) c.max_bytes = *v;
      else error(*x, fmt::format("max_size: {}", v.error().message));
    }
    if (const auto* x = n.find("max_age")) {
      if (auto v = duration_value(*x, "max_age")) c.max_age = *v;
    }
    if (const auto* x = n.find("remote")) {
      if (auto v = string_value(*x, "remote")) {
        remote.url = *v;
        remote.mark = x->mark;
        if (v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0)
          error(*x, "remote: must be an http:// or https:// URL of a Bazel HTTP cache (bazel-remote, nginx WebDAV, ...)");
      }
    }
    if (const auto* x = n.find("remote_write")) remote.write = bool_value(*x, "remote_write").value_or(false);
  }

  void load_review(const yaml::Node& n, ReviewSpec& r) {
    r.present = true;
    if (!n.is_map()) {
      error(n, "\"review\" must be a mapping such as { critical_paths: [\"k8s/**\"], min_approvals: 1 }");
      return;
    }
    static const std::vector<std::string_view> k_keys{"critical_paths", "critical_paths_file", "min_approvals",
                                                      "prevent_self_approval", "on_pending", "wait_timeout",
                                                      "allowed_signers"};
    check_keys(n, k_keys, "review");
    if (const auto* x = n.find("critical_paths")) {
      (void)string_list(*x, "critical_paths");  // reports wrong types
      if (x->is_seq()) {
        for (const auto& item : x->items) {
          if (item.is_scalar() && !item.is_null()) r.critical_paths.push_back({item.scalar, item.mark});
        }
      } else if (x->is_scalar() && !x->is_null()) {
        r.critical_paths.push_back({x->scalar, x->mark});
      }
    }
    if (const auto* x = n.find("critical_paths_file")) {
      r.critical_paths_file = string_value(*x, "critical_paths_file").value_or("");
      r.critical_paths_file_mark = x->mark;
      check_inside_workspace(*x, "critical_paths_file");
    }
    if (const auto* x = n.find("min_approvals")) {
      if (auto v = m_check.integer(*x, "min_approvals", 1)) {
        if (*v > 100) error(*x, "\"min_approvals\" must be at most 100");
        else r.min_approvals = static_cast<int>(*v);
      }
    }
    if (const auto* x = n.find("prevent_self_approval")) {
      r.prevent_self_approval = bool_value(*x, "prevent_self_approval").value_or(false);
    }
    if (const auto* x = n.find("on_pending")) {
      auto v = string_value(*x, "on_pending");
      if (v == "fail") r.on_pending = OnPending::fail;
      else if (v == "wait") r.on_pending = OnPending::wait;
      else if (v) error(*x, fmt::format("\"on_pending\" must be fail or wait, not {}", quote(*v)));
    }
    if (const auto* x = n.find("wait_timeout")) {
      if (auto v = duration_value(*x, "wait_timeout")) r.wait_timeout = *v;
    }
    if (const auto* x = n.find("allowed_signers")) {
      r.allowed_signers = string_value(*x, "allowed_signers").value_or("");
      check_inside_workspace(*x, "allowed_signers");
    }
  }

  std::optional<ValidateSpec> load_validate(const yaml::Node& n) {
    if (!n.is_map()) {
      error(n, "\"validate\" must be a mapping such as { kubernetes: k8s/, schema_location: ... }");
      return std::nullopt;
    }
    check_keys(n, validate_keys(), "validate");
    ValidateSpec v;
    const yaml::Node* k = n.find("kubernetes");
    if (k == nullptr) {
      error(n, "\"validate\" needs \"kubernetes\": the manifest files or directories to check");
    } else {
      v.kubernetes = string_list(*k, "kubernetes");
    }
    if (const auto* s = n.find("schema_location")) v.schema_locations = string_list(*s, "schema_location");
    if (const auto* s = n.find("strict")) v.strict = bool_value(*s, "strict").value_or(false);
    if (const auto* s = n.find("ignore_missing_schemas")) {
      v.ignore_missing_schemas = bool_value(*s, "ignore_missing_schemas").value_or(false);
    }
    if (const auto* s = n.find("skip")) v.skip_kinds = string_list(*s, "skip");
    if (const auto* s = n.find("disable_checks")) v.disable_checks = string_list(*s, "disable_checks");
    if (const auto* s = n.find("apply_units")) v.apply_units = string_list(*s, "apply_units");
    if (const auto* s = n.find("kubernetes_version")) v.kubernetes_version = string_value(*s, "kubernetes_version").value_or("");
    if (const auto* s = n.find("fail_on")) {
      v.fail_on = string_value(*s, "fail_on").value_or("");
      if (v.fail_on != "error" && v.fail_on != "warning") {
        error(*s, fmt::format("\"fail_on\" must be error or warning, not {}", quote(v.fail_on)));
      }
    }
    return v;
  }

  std::optional<PruneSpec> load_prune(const yaml::Node& n) {
    if (!n.is_map()) {
      error(n, "\"prune\" must be a mapping such as { policy: retention.yml, repos: [registry:5000/app] }");
      return std::nullopt;
    }
    check_keys(n, prune_keys(), "prune");
    PruneSpec p;
    if (const auto* s = n.find("policy")) p.policy = string_value(*s, "policy").value_or("");
    if (const auto* s = n.find("ecr_policy")) p.ecr_policy = string_value(*s, "ecr_policy").value_or("");
    if (p.policy.empty() == p.ecr_policy.empty()) {
      error(n, "\"prune\" needs \"policy\" (a retention policy file) or \"ecr_policy\" (an ECR lifecycle policy), one of them");
    }
    if (const auto* s = n.find("repos")) {
      p.repos = string_list(*s, "repos");
      if (p.repos.empty()) error(*s, "\"repos\" names no repository");
    } else {
      error(n, "\"prune\" needs \"repos\": the REGISTRY/REPO to prune");
    }
    if (const auto* s = n.find("apply")) p.apply = bool_value(*s, "apply").value_or(false);
    return p;
  }

  std::optional<PushSpec> load_push(const yaml::Node& n) {
    if (!n.is_map()) {
      error(n, "\"push\" must be a mapping such as { from: build/image, to: registry:5000/app:v1 }");
      return std::nullopt;
    }
    check_keys(n, push_keys(), "push");
    PushSpec p;
    if (const auto* s = n.find("from")) {
      p.from = string_value(*s, "from").value_or("");
      if (p.from.empty()) error(*s, "\"from\" is empty: name the OCI image layout directory");
    } else {
      error(n, "\"push\" needs \"from\": the OCI image layout directory (oci-layout, index.json, blobs/)");
    }
    if (const auto* s = n.find("to")) {
      if (s->is_scalar()) {
        if (auto v = string_value(*s, "to")) {
          p.to.push_back(*v);
          p.to_marks.push_back(s->mark);
        }
      } else {
        p.to = string_list(*s, "to");
        for (const auto& item : s->items) p.to_marks.push_back(item.mark);
        if (p.to_marks.size() != p.to.size()) p.to_marks.assign(p.to.size(), s->mark);
      }
      if (p.to.empty()) error(*s, "\"to\" names no REGISTRY/REPO:TAG");
    } else {
      error(n, "\"push\" needs \"to\": the REGISTRY/REPO:TAG (or a list of them) to push to");
    }
    if (const auto* s = n.find("ref")) p.ref = string_value(*s, "ref").value_or("");
    return p;
  }

  void load_stage(const ExpandedStage& ex, int index, Stage& st, const Defaults& defaults) {
    const yaml::MapEntry& entry = *ex.entry;
    st.name = ex.name;
    st.index = index;
    st.mark = entry.key.mark;
    st.shell = defaults.shell;
    st.timeout = defaults.timeout;
    st.source_file = ex.file;
    st.matrix = ex.matrix;
    st.matrix_of = ex.matrix_of;
    if (!ex.file.empty() || m_check.file() != m_file) m_check.set_file(ex.file.empty() ? m_file : ex.file);
    if (!valid_name(ex.matrix_of.empty() ? st.name : ex.matrix_of)) {
      error(entry.key, fmt::format("invalid stage name {}: use letters, digits, '_', '-' and '.'", quote(st.name)));
    }
    const yaml::Node& n = entry.value;
    if (!n.is_map()) {
      error(n, fmt::format("stage {} must be a mapping with \"run\", \"llm\" or \"validate\"", quote(st.name)));
      return;
    }
    check_keys(n, stage_keys(), fmt::format("stage {}", quote(st.name)));
    int kinds = 0;
    if (const auto* r = n.find("run")) {
      ++kinds;
      st.kind = StageKind::run;
      if (auto v = string_value(*r, "run")) {
        st.run = *v;
        if (base::trim(st.run).empty()) error(*r, fmt::format("stage {} has an empty command", quote(st.name)));
      }
    }
    if (const auto* l = n.find("llm")) {
      ++kinds;
      st.kind = StageKind::llm;
      if (!l->is_map()) {
        error(*l, fmt::format("\"llm\" of stage {} must be a mapping", quote(st.name)));
      } else {
        st.llm = std::make_shared<const yaml::Node>(*l);  // the llm module reads it
        // The llm module validates the value; the pipeline only needs to know it is a verdict.
        if (const auto* v = l->find("verdict"); v != nullptr && v->is_bool()) st.verdict = v->as_bool();
      }
    }
    if (const auto* v = n.find("validate")) {
      ++kinds;
      st.kind = StageKind::validate;
      st.validate = load_validate(*v);
    }
    if (const auto* v = n.find("prune")) {
      ++kinds;
      st.kind = StageKind::prune;
      st.prune = load_prune(*v);
    }
    if (const auto* v = n.find("push")) {
      ++kinds;
      st.kind = StageKind::push;
      st.push = load_push(*v);
    }
    if (kinds == 0) {
      error(entry.key, fmt::format("stage {} has nothing to do: give it \"run\", \"llm\", \"validate\", \"prune\" "
                                   "or \"push\"",
                                   quote(st.name)));
    } else if (kinds > 1) {
      error(entry.key, fmt::format("stage {} has more than one of \"run\", \"llm\", \"validate\", \"prune\" and "
                                   "\"push\"",
                                   quote(st.name)));
    }
    if (const auto* x = n.find("needs")) st.needs = string_list(*x, "needs");
    if (const auto* x = n.find("locks")) st.locks = string_list(*x, "locks");
    if (const auto* x = n.find("inputs")) {
      st.inputs = string_list(*x, "inputs");
      check_inside_workspace(*x, "input");
    }
    if (const auto* x = n.find("outputs")) {
      st.outputs = string_list(*x, "outputs");
      check_inside_workspace(*x, "output");
    }
    if (const auto* x = n.find("timeout")) {
      if (auto v = duration_value(*x, "timeout")) st.timeout = *v;
    }
    if (const auto* x = n.find("retries")) {
      if (!x->is_int() || x->scalar[0] == '-') {
        error(*x, fmt::format("\"retries\" must be a whole number >= 0, not {}", quote(x->scalar)));
      } else {
        st.retries = std::stoi(x->scalar);
        if (st.retries > 100) error(*x, "\"retries\" must be at most 100");
      }
    }
    if (const auto* x = n.find("retry_on")) {
      for (const auto& item : string_list(*x, "retry_on")) {
        if (item == "timeout") {
          st.retry_on.timeout = true;
        } else if (item.rfind("exit:", 0) == 0 && item.size() > 5 &&
                   item.find_first_not_of("0123456789", 5) == std::string::npos && item.size() < 9) {
          int code = std::stoi(item.substr(5));
          if (code > 255) error(*x, fmt::format("retry_on {}: exit codes are 0-255", quote(item)));
          st.retry_on.exit_codes.push_back(code);
        } else {
          error(*x, fmt::format("retry_on {}: use \"timeout\" or \"exit:N\"", quote(item)));
        }
      }
    }
    if (const auto* x = n.find("env")) st.env = env_value(*x, fmt::format("env of stage {}", quote(st.name)));
    if (const auto* x = n.find("shell")) st.shell = string_value(*x, "shell").value_or(st.shell);
    if (const auto* x = n.find("continue_on_error")) {
      st.continue_on_error = bool_value(*x, "continue_on_error").value_or(false);
    }
    if (const auto* x = n.find("cache")) st.cache = bool_value(*x, "cache");
    if (const auto* x = n.find("working_directory")) {
      st.working_directory = string_value(*x, "working_directory").value_or("");
      if (!st.working_directory.empty() &&
          (st.working_directory[0] == '/' || st.working_directory.find("..") != std::string::npos)) {
        error(*x, "\"working_directory\" must be a relative path inside the workspace");
      }
    }
    if (const auto* x = n.find("description")) (void)string_value(*x, "description");
    if (const auto* x = n.find("protected")) st.protected_stage = bool_value(*x, "protected").value_or(false);
    if (const auto* x = n.find("advisory")) st.advisory = bool_value(*x, "advisory");
    load_language_keys(n, st, m_check);
  }

  void check_graph(Pipeline& p, const std::vector<const yaml::MapEntry*>& entries) {
    std::vector<std::string> names;
    std::unordered_map<std::string_view, int> index;  // a linear index_of per need is O(n^2)
    for (const auto& s : p.stages) names.push_back(s.name);
    for (size_t i = 0; i < p.stages.size(); ++i) index.emplace(p.stages[i].name, static_cast<int>(i));
    auto index_of = [&](const std::string& name) {
      auto it = index.find(name);
      return it == index.end() ? -1 : it->second;
    };
    auto needs_node = [&](size_t i) -> const yaml::Node& {
      const yaml::Node& sn = entries[i]->value;
      const yaml::Node* nn = sn.find("needs");
      return nn ? *nn : entries[i]->key;
    };
    for (size_t i = 0; i < p.stages.size(); ++i) {
      Stage& s = p.stages[i];
      if (!s.source_file.empty() || m_check.file() != m_file) {
        m_check.set_file(s.source_file.empty() ? m_file : s.source_file);
      }
      std::set<std::string> seen;
      for (const auto& need : s.needs) {
        if (!seen.insert(need).second) {
          error(needs_node(i), fmt::format("stage {} lists {} twice in needs", quote(s.name), quote(need)));
        } else if (need == s.name) {
          error(needs_node(i), fmt::format("stage {} needs itself", quote(s.name)));
        } else if (index_of(need) < 0) {
          auto hint = base::closest_match(need, std::span<const std::string>(names));
          error(needs_node(i), fmt::format("stage {} needs {}, which does not exist{}", quote(s.name), quote(need),
                                           hint ? fmt::format(" (did you mean {}?)", quote(*hint)) : ""));
        }
      }
    }
    // Cycles: depth-first in file order so the report is deterministic.
    enum class Color { white, grey, black };
    std::vector<Color> color(p.stages.size(), Color::white);
    std::vector<int> stack;
    std::set<std::set<int>> reported;
    std::function<void(int)> visit = [&](int v) {
      color[static_cast<size_t>(v)] = Color::grey;
      stack.push_back(v);
      for (const auto& need : p.stages[static_cast<size_t>(v)].needs) {
        int w = index_of(need);
        if (w < 0 || w == v) continue;
        if (color[static_cast<size_t>(w)] == Color::grey) {
          auto start = std::find(stack.begin(), stack.end(), w);
          std::vector<int> cycle(start, stack.end());
          std::set<int> key(cycle.begin(), cycle.end());
          if (reported.insert(key).second) {
            // Report in dependency order: a needs b needs c needs a, starting at the earliest stage.
            auto first = std::min_element(cycle.begin(), cycle.end());
            std::rotate(cycle.begin(), first, cycle.end());
            std::string path;
            for (int c : cycle) path += p.stages[static_cast<size_t>(c)].name + " -> ";
            path += p.stages[static_cast<size_t>(cycle.front())].name;
            m_check.set_file(p.stages[static_cast<size_t>(cycle.front())].source_file.empty()
                                 ? m_file
                                 : p.stages[static_cast<size_t>(cycle.front())].source_file);
            error(entries[static_cast<size_t>(cycle.front())]->key,
                  fmt::format("dependency cycle: {} (each stage needs the next)", path));
          }
        } else if (color[static_cast<size_t>(w)] == Color::white) {
          visit(w);
        }
      }
      stack.pop_back();
      color[static_cast<size_t>(v)] = Color::black;
    };
    for (size_t i = 0; i < p.stages.size(); ++i) {
      if (color[i] == Color::white) visit(static_cast<int>(i));
    }
    m_check.set_file(m_file);
  }

  LoadResult load(std::string_view text) {
    LoadResult out;
    Pipeline& p = out.pipeline;
    p.file = m_file;
    auto docs = yaml::parse(text, m_file);
    if (!docs) {
      // YAML errors already read "file:line:col: message"; keep them verbatim.
      for (const auto& line : base::split(docs.error().message, '\n')) {
        out.diagnostics.push_back({"", 0, 0, std::string(line)});
      }
      return out;
    }
    const yaml::Document* doc = nullptr;
    for (const auto& d : *docs) {
      if (d.empty) continue;
      if (doc != nullptr) {
        m_check.diagnostics().push_back({m_file, d.start.line, d.start.column, "a pipeline file holds one YAML document"});
        break;
      }
      doc = &d;
    }
    if (doc == nullptr) {
      m_check.diagnostics().push_back({m_file, 0, 0, "the pipeline file is empty: it needs \"version: 1\" and \"stages\""});
      out.diagnostics = std::move(m_check.diagnostics());
      return out;
    }
    const yaml::Node& root = doc->root;
    if (!root.is_map()) {
      error(root, "the pipeline must be a mapping with \"version\" and \"stages\"");
      out.diagnostics = std::move(m_check.diagnostics());
      return out;
    }
    check_keys(root, top_level_keys(), "the pipeline");
    if (const auto* v = root.find("version")) {
      // `version: "1"` is what many write (docker-compose taught it): the same version.
      if (v->scalar != "1" || !(v->is_int() || v->style != yaml::ScalarStyle::plain)) {
        error(*v, fmt::format("unsupported version {}: this sluice reads version 1", quote(v->scalar)));
      }
    } else {
      error(root, "missing \"version: 1\"");
    }
    load_params(root.find("params"), m_opts.params, p, m_check);
    // include:, templates:/extends:, matrix: and ${{ matrix/params }} (expand.cpp).
    auto expansion = expand_pipeline(root, m_file, p.param_values, m_check.diagnostics());
    p.included = expansion->included;
    for (const auto& [file, env] : expansion->envs) {
      m_check.set_file(file.empty() ? m_file : file);
      for (auto& [k, v] : env_value(*env, "\"env\"")) {
        auto it = std::find_if(p.env.begin(), p.env.end(), [&](const auto& x) { return x.first == k; });
        if (it == p.env.end()) p.env.emplace_back(k, std::move(v));
        else it->second = std::move(v);
      }
    }
    m_check.set_file(m_file);
    if (const auto* s = root.find("secrets")) p.secrets = secret_names(*s);
    if (const auto* d = root.find("defaults")) load_defaults(*d, p.defaults);
    if (const auto* c = root.find("cache")) load_cache(*c, p.cache, p.remote_cache);
    if (const auto* n = root.find("notify")) p.notify = std::make_shared<const yaml::Node>(*n);
    if (const auto* r = root.find("review")) load_review(*r, p.review);
    if (const auto* st = root.find("state")) {
      if (auto v = string_value(*st, "state")) {
        p.state = *v;
        if (*v != "sqlite" && v->rfind("postgres://", 0) != 0 && v->rfind("postgresql://", 0) != 0)
          error(*st, "state: must be \"sqlite\" or a postgres:// URL");
      }
    }
    if (const auto* l = root.find("llm")) {
      // Kept whatever it is (the llm module reads a mapping): a stage then knows it exists.
      p.llm = std::make_shared<const yaml::Node>(*l);
      if (!l->is_map()) error(*l, "\"llm\" must be a mapping with providers, budget and max_concurrency");
    }
    const yaml::Node* stages = root.find("stages");
    const bool included_stages = !expansion->stages.empty() && (stages == nullptr || stages->is_map());
    if (stages == nullptr && !included_stages) {
      error(root, "missing \"stages\": a mapping of stage name to stage");
    } else if (stages != nullptr && !stages->is_map()) {
      error(*stages, "\"stages\" must be a mapping of stage name to stage");
    } else if (!included_stages) {
      error(*stages, "\"stages\" is empty");
    } else {
      int index = 0;
      std::vector<const yaml::MapEntry*> entries;
      entries.reserve(expansion->stages.size());
      p.stages.reserve(expansion->stages.size());
      for (const auto& ex : expansion->stages) {
        Stage st;
        load_stage(ex, index++, st, p.defaults);
        p.stages.push_back(std::move(st));
        entries.push_back(ex.entry);
      }
      m_check.set_file(m_file);
      expand_matrix_needs(p, *expansion);
      check_graph(p, entries);
      check_expressions(p, *expansion, m_check, m_file);
    }
    out.diagnostics = std::move(m_check.diagnostics());
    std::stable_sort(out.diagnostics.begin(), out.diagnostics.end(), [](const auto& a, const auto& b) {
      return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
    });
    return out;
  }

 private:
  std::string m_file;
  yaml::Checker m_check;
  const LoadOptions& m_opts;
};

}  // namespace

LoadResult parse_pipeline(std::string_view text, std::string_view filename, const LoadOptions& opts) {
  Loader loader(filename, opts);
  return loader.load(text);
}

LoadResult load_pipeline(const std::filesystem::path& path, const LoadOptions& opts) {
  auto text = base::read_file(path);
  if (!text) {
    LoadResult r;
    r.diagnostics.push_back({path.string(), 0, 0, text.error().message});
    r.diagnostics.back().file.clear();
    return r;
  }
  return parse_pipeline(*text, path.string(), opts);
}

}  // namespace sluice::pipeline
