#include "k8s/layout.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "base/files.h"
#include "base/strings.h"

namespace sluice::k8s::detail {

namespace fs = std::filesystem;
using base::yaml::Node;

namespace {

constexpr std::array<std::string_view, 3> k_kustomization_names = {"kustomization.yaml", "kustomization.yml",
                                                                   "Kustomization"};

bool is_kustomization_name(std::string_view base) {
  return std::find(k_kustomization_names.begin(), k_kustomization_names.end(), base) != k_kustomization_names.end();
}

// YAML files that commonly sit beside manifests and are not Kubernetes objects. Matched on the
// file name; `dir` entries match any path component (everything under .github/ is GitHub's).
struct KnownFile {
  std::string_view name;
  std::string_view what;
  enum class Match { exact, prefix, dir } match;
};
constexpr KnownFile k_known_files[] = {
    {".github", "GitHub configuration (workflow, dependabot, issue template)", KnownFile::Match::dir},
    {".circleci", "CircleCI configuration", KnownFile::Match::dir},
    {".gitlab", "GitLab configuration", KnownFile::Match::dir},
    {".devcontainer", "dev container configuration", KnownFile::Match::dir},
    {"docker-compose", "Docker Compose file", KnownFile::Match::prefix},
    {"compose.yaml", "Docker Compose file", KnownFile::Match::exact},
    {"compose.yml", "Docker Compose file", KnownFile::Match::exact},
    {".pre-commit-config.yaml", "pre-commit configuration", KnownFile::Match::exact},
    {".pre-commit-hooks.yaml", "pre-commit hook definitions", KnownFile::Match::exact},
    {"mkdocs.yml", "MkDocs configuration", KnownFile::Match::exact},
    {"mkdocs.yaml", "MkDocs configuration", KnownFile::Match::exact},
    {".gitlab-ci.yml", "GitLab CI pipeline", KnownFile::Match::exact},
    {".travis.yml", "Travis CI configuration", KnownFile::Match::exact},
    {"azure-pipelines.yml", "Azure Pipelines definition", KnownFile::Match::exact},
    {"bitbucket-pipelines.yml", "Bitbucket Pipelines definition", KnownFile::Match::exact},
    {".drone.yml", "Drone CI pipeline", KnownFile::Match::exact},
    {"cloudbuild.yaml", "Google Cloud Build configuration", KnownFile::Match::exact},
    {"codecov.yml", "Codecov configuration", KnownFile::Match::exact},
    {".codecov.yml", "Codecov configuration", KnownFile::Match::exact},
    {".golangci.yml", "golangci-lint configuration", KnownFile::Match::exact},
    {".golangci.yaml", "golangci-lint configuration", KnownFile::Match::exact},
    {".goreleaser.yml", "GoReleaser configuration", KnownFile::Match::exact},
    {".goreleaser.yaml", "GoReleaser configuration", KnownFile::Match::exact},
    {".yamllint", "yamllint configuration", KnownFile::Match::prefix},
    {".markdownlint", "markdownlint configuration", KnownFile::Match::prefix},
    {".readthedocs", "Read the Docs configuration", KnownFile::Match::prefix},
    {"skaffold.yaml", "Skaffold configuration", KnownFile::Match::exact},
    {"sluice.yml", "sluice pipeline", KnownFile::Match::exact},
    {"renovate.json", "Renovate configuration", KnownFile::Match::exact},
    {"package.json", "npm package manifest", KnownFile::Match::exact},
    {"package-lock.json", "npm lock file", KnownFile::Match::exact},
    {"tsconfig.json", "TypeScript configuration", KnownFile::Match::exact},
};

// On the key as a string: this runs for every input file, so no path objects are built.
std::string_view known_non_manifest(std::string_view key) {
  size_t slash = key.rfind('/');
  std::string_view base = slash == std::string_view::npos ? key : key.substr(slash + 1);
  std::string_view dirs = slash == std::string_view::npos ? std::string_view() : key.substr(0, slash + 1);
  for (const KnownFile& k : k_known_files) {
    switch (k.match) {
      case KnownFile::Match::exact:
        if (base == k.name) return k.what;
        break;
      case KnownFile::Match::prefix:
        if (base.starts_with(k.name)) return k.what;
        break;
      case KnownFile::Match::dir:
        for (size_t at = dirs.find(k.name); at != std::string_view::npos; at = dirs.find(k.name, at + 1)) {
          if (at > 0 && dirs[at - 1] == '/' && at + k.name.size() < dirs.size() && dirs[at + k.name.size()] == '/') {
            return k.what;
          }
        }
        break;
    }
  }
  return {};
}

bool is_remote(std::string_view ref) {
  return ref.find("://") != std::string_view::npos || ref.starts_with("github.com/") ||
         ref.starts_with("gitlab.com/") || ref.starts_with("bitbucket.org/") || ref.starts_with("git@") ||
         ref.find("?ref=") != std::string_view::npos;
}

// Inline patches and generator options are YAML text, not paths.
bool is_inline(std::string_view s) { return s.find('\n') != std::string_view::npos || s.find(": ") != std::string_view::npos; }

class Planner {
 public:
  Planner(Layout& out, base::yaml::Parser& parser) : m_out(out), m_parser(parser) {
    std::error_code ec;
    m_cwd = fs::current_path(ec);
  }

  void run(std::span<const std::string> paths, std::span<const std::string> apply_units) {
    std::vector<std::pair<std::string, std::string>> declared;  // shown, key
    for (const std::string& d : apply_units) {
      std::error_code ec;
      if (!fs::is_directory(d, ec)) {
        m_out.errors.push_back(Error{ErrorCode::not_found, fmt::format("apply unit {}: no such directory", base::quote(d))});
        continue;
      }
      declared.emplace_back(d, key_of(d));
    }
    for (const std::string& p : paths) add_input(p);
    // A declared unit is walked too, so `--apply-unit envs/prod` alone validates it.
    for (const auto& d : declared) add_input(d.first);
    for (size_t i = 0; i < m_out.files.size(); ++i) {  // grows as kustomizations reach files
      const std::string& key = m_out.files[i].key;
      if (key != "-" && is_kustomization_name(std::string_view(key).substr(key.rfind('/') + 1))) {
        resolve(static_cast<uint32_t>(i));
      }
    }
    for (size_t k = 0; k < m_kusts.size(); ++k) {
      uint32_t unit = add_unit(fmt::format("apply unit {}", m_out.files[m_kusts[k].file].name));
      for (uint32_t f : m_kusts[k].members) m_out.files[f].units.push_back(unit);
    }
    for (const auto& [shown, key] : declared) {
      uint32_t unit = add_unit(fmt::format("apply unit {} (declared)", shown));
      std::string prefix = key + "/";
      for (LayoutFile& f : m_out.files) {
        if (f.key.starts_with(prefix)) f.units.push_back(unit);
      }
    }
    assign_roles();
  }

 private:
  struct Kust {
    uint32_t file;
    std::vector<uint32_t> members;  // files its resources reach, transitively, without repeats
  };

  // Absolute and lexically normal, without a trailing "/" ("dir/" and "dir" are one key).
  std::string key_of(const fs::path& p) const {
    std::string k = (p.is_absolute() ? p : m_cwd / p).lexically_normal().string();
    while (k.size() > 1 && k.back() == '/') k.pop_back();
    return k;
  }

  uint32_t add_unit(std::string name) {
    m_out.units.push_back(std::move(name));
    return static_cast<uint32_t>(m_out.units.size() - 1);
  }

  uint32_t add_file(std::string name, std::string key) {
    auto [it, fresh] = m_by_key.emplace(key, static_cast<uint32_t>(m_out.files.size()));
    if (fresh) {
      LayoutFile f;
      f.name = std::move(name);
      f.key = std::move(key);
      m_out.files.push_back(std::move(f));
    }
    return it->second;
  }

  void add_input(const std::string& p) {
    if (p == "-") {  // one stream, one unit: the file's own
      add_file("-", "-");
      return;
    }
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      note_chart_ancestors(p);
      // Walked paths are p + "/" + plain components (no "." or ".."), so their keys are built by
      // string appends instead of one lexically_normal() per file: this runs for every input.
      const std::string dir_key = key_of(p);
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(p, ec), end;
      for (; !ec && it != end; it.increment(ec)) {
        const std::string& path = it->path().native();
        std::string_view base = std::string_view(path).substr(path.rfind('/') + 1);
        // Version control internals are never manifests.
        if (base == ".git" && it->is_directory(ec)) {
          it.disable_recursion_pending();
          continue;
        }
        bool wanted = base.ends_with(".yaml") || base.ends_with(".yml") || base.ends_with(".json") ||
                      base == "Kustomization";
        if (wanted && it->is_regular_file(ec)) found.push_back(path);
      }
      if (ec) m_out.errors.push_back(Error{ErrorCode::io, fmt::format("{}: {}", p, ec.message())});
      std::sort(found.begin(), found.end());
      for (std::string& f : found) {
        std::string_view rest = std::string_view(f).substr(std::min(p.size(), f.size()));
        while (rest.starts_with('/')) rest.remove_prefix(1);
        std::string key = dir_key == "/" ? "/" + std::string(rest) : dir_key + "/" + std::string(rest);
        add_file(std::move(f), std::move(key));
      }
    } else if (fs::exists(p, ec)) {
      note_chart_ancestors(fs::path(p).parent_path());
      add_file(p, key_of(p));
    } else {
      m_out.errors.push_back(Error{ErrorCode::not_found, fmt::format("{}: no such file or directory", p)});
    }
  }

  // A chart given by one of its parts (`sluice validate k8s chart/templates`) is still a chart.
  void note_chart_ancestors(const fs::path& dir) {
    fs::path d(key_of(dir.empty() ? fs::path(".") : dir));
    for (int depth = 0; depth < 64 && !d.empty(); ++depth) {
      std::error_code ec;
      if (fs::exists(d / "Chart.yaml", ec)) m_chart_roots.insert(d.string());
      if (d == d.parent_path()) break;
      d = d.parent_path();
    }
  }

  void error_at(const std::string& file, const Node& n, std::string message) {
    m_out.findings.push_back(Finding{Severity::error, "kustomization", file, n.mark.line, n.mark.column, "", "",
                                     std::move(message), "", "", ""});
  }

  std::vector<std::pair<const Node*, std::string_view>> scalar_items(const Node& kust, std::string_view field) {
    std::vector<std::pair<const Node*, std::string_view>> out;
    const Node* list = kust.find(field);
    if (list == nullptr || !list->is_seq()) return out;
    for (const Node& item : list->items) {
      if (item.is_scalar() && !item.is_null()) out.emplace_back(&item, field);
    }
    return out;
  }

  // Kustomize's own lookup: a directory holds exactly one of the three names.
  std::optional<fs::path> kustomization_in(const fs::path& dir) {
    for (std::string_view n : k_kustomization_names) {
      std::error_code ec;
      if (fs::is_regular_file(dir / n, ec)) return dir / n;
    }
    return std::nullopt;
  }

  // Returns the index in m_kusts, or -1 when it cannot be read (the problem is reported).
  int resolve(uint32_t file) {
    const std::string key = m_out.files[file].key;
    if (auto it = m_kust_by_file.find(key); it != m_kust_by_file.end()) return it->second;
    m_kust_by_file[key] = -1;  // a cycle meets -1 and stops there
    m_out.files[file].role = FileRole::kustomization;
    auto text = base::read_file(m_out.files[file].name);
    if (!text) {
      m_out.errors.push_back(text.error());
      return -1;
    }
    auto docs = m_parser.parse(*text, m_out.files[file].name);
    if (!docs) {
      for (Finding& f : yaml_error_findings(m_out.files[file].name, docs.error())) m_out.findings.push_back(std::move(f));
      return -1;
    }
    Kust k{file, {}};
    const std::string shown = m_out.files[file].name;
    const fs::path shown_dir = fs::path(shown).parent_path();
    const fs::path key_dir = fs::path(key).parent_path();
    std::unordered_set<uint32_t> members;
    auto add_member = [&](uint32_t f) {
      if (members.insert(f).second) k.members.push_back(f);
    };
    for (const auto& d : *docs) {
      if (d.empty || !d.root.is_map()) continue;
      const Node& root = d.root;
      // resources and (deprecated) bases: files or kustomization directories; components: directories.
      for (std::string_view field : {"resources", "bases", "components"}) {
        for (auto [node, _] : scalar_items(root, field)) {
          const std::string& ref = node->scalar;
          if (is_remote(ref)) {
            m_out.findings.push_back(Finding{Severity::note, "remote-resource", shown, node->mark.line, node->mark.column,
                                             "", std::string(field),
                                             fmt::format("remote {} {} is not fetched offline: its objects are not checked",
                                                         field, base::quote(ref)),
                                             "", "", ""});
            continue;
          }
          fs::path target_key = (key_dir / ref).lexically_normal();
          std::string target_name = (shown_dir / ref).lexically_normal().string();
          std::error_code ec;
          if (fs::is_directory(target_key, ec)) {
            auto sub = kustomization_in(target_key);
            if (!sub) {
              error_at(shown, *node,
                       fmt::format("{} entry {}: directory has no kustomization.yaml, kustomization.yml or Kustomization",
                                   field, base::quote(ref)));
              continue;
            }
            std::string sub_name = (fs::path(target_name) / sub->filename()).string();
            uint32_t sub_file = add_file(sub_name, sub->lexically_normal().string());
            int sk = resolve(sub_file);
            if (sk >= 0) {
              for (uint32_t f : m_kusts[static_cast<size_t>(sk)].members) add_member(f);
            }
          } else if (fs::exists(target_key, ec)) {
            uint32_t f = add_file(target_name, target_key.string());
            add_member(f);
            m_resource_files.insert(f);
          } else {
            error_at(shown, *node, fmt::format("{} entry {}: {} does not exist", field, base::quote(ref), target_name));
          }
        }
      }
      // Files kustomize reads but does not emit as objects: patches, generator inputs, configs.
      auto side_file = [&](const Node& node, std::string_view field, std::string_view what) {
        std::string ref = node.scalar;
        if (field == "files") {  // "key=path" or "path"
          if (auto eq = ref.find('='); eq != std::string::npos) ref = ref.substr(eq + 1);
        }
        fs::path target_key = (key_dir / ref).lexically_normal();
        std::string target_name = (shown_dir / ref).lexically_normal().string();
        std::error_code ec;
        if (!fs::exists(target_key, ec)) {
          error_at(shown, node, fmt::format("{} entry {}: {} does not exist", field, base::quote(ref), target_name));
          return;
        }
        if (fs::is_directory(target_key, ec)) return;
        std::string note = fmt::format("{} listed in {}:{}, not validated as a complete object", what, shown,
                                       node.mark.line);
        // Files outside the inputs stay out: they would not be validated anyway.
        m_side_files.emplace(target_key.string(), std::move(note));
      };
      for (auto [node, field] : scalar_items(root, "patchesStrategicMerge")) {
        if (!is_inline(node->scalar)) side_file(*node, field, "kustomize patch");
      }
      for (std::string_view field : {"patches", "patchesJson6902", "replacements"}) {
        const Node* list = root.find(field);
        if (list == nullptr || !list->is_seq()) continue;
        for (const Node& item : list->items) {
          const Node* p = item.find("path");
          if (p != nullptr && p->is_scalar() && !p->is_null()) {
            side_file(*p, field, field == "replacements" ? "kustomize replacement" : "kustomize patch");
          }
        }
      }
      for (std::string_view field : {"configurations", "transformers", "generators", "validators"}) {
        for (auto [node, f] : scalar_items(root, field)) {
          if (!is_inline(node->scalar) && !is_remote(node->scalar)) side_file(*node, f, "kustomize configuration");
        }
      }
      if (const Node* o = root.find("openapi"); o != nullptr && o->find("path") != nullptr && o->find("path")->is_scalar()) {
        side_file(*o->find("path"), "openapi", "kustomize OpenAPI schema");
      }
      for (std::string_view gen : {"configMapGenerator", "secretGenerator"}) {
        const Node* list = root.find(gen);
        if (list == nullptr || !list->is_seq()) continue;
        for (const Node& item : list->items) {
          for (std::string_view field : {"files", "envs"}) {
            for (auto [node, f] : scalar_items(item, field)) side_file(*node, f, "kustomize generator input");
          }
          if (const Node* env = item.find("env"); env != nullptr && env->is_scalar() && !env->is_null()) {
            side_file(*env, "env", "kustomize generator input");
          }
        }
      }
    }
    m_kusts.push_back(std::move(k));
    int idx = static_cast<int>(m_kusts.size() - 1);
    m_kust_by_file[key] = idx;
    return idx;
  }

  // The deepest chart root above `key`, or empty.
  std::string chart_root_of(const std::string& key) const {
    if (m_chart_roots.empty()) return {};
    fs::path d = fs::path(key).parent_path();
    for (int depth = 0; depth < 64 && !d.empty(); ++depth) {
      if (m_chart_roots.count(d.string()) > 0) return d.string();
      if (d == d.parent_path()) break;
      d = d.parent_path();
    }
    return {};
  }

  void assign_roles() {
    for (const LayoutFile& f : m_out.files) {
      if (f.key.ends_with("/Chart.yaml")) m_chart_roots.insert(f.key.substr(0, f.key.size() - 11));
    }
    for (size_t i = 0; i < m_out.files.size(); ++i) {
      LayoutFile& f = m_out.files[i];
      if (f.key == "-" || f.role == FileRole::kustomization) continue;
      const std::string_view base_name = std::string_view(f.key).substr(f.key.rfind('/') + 1);
      if (is_kustomization_name(base_name)) {
        f.role = FileRole::kustomization;  // could not be resolved; already reported
        continue;
      }
      // What a kustomization lists as a resource is an object even if another patches with it.
      if (m_resource_files.count(static_cast<uint32_t>(i)) == 0) {
        if (auto it = m_side_files.find(f.key); it != m_side_files.end()) {
          f.role = FileRole::not_manifest;
          f.note = it->second;
          f.note_rule = "kustomize-file";
          continue;
        }
      }
      if (std::string root = chart_root_of(f.key); !root.empty()) {
        const fs::path key(f.key);
        fs::path rel = key.lexically_relative(root);
        std::string base(base_name);
        std::string first = rel.begin() != rel.end() ? rel.begin()->string() : "";
        if (base == "Chart.yaml" || base == "Chart.lock" || base == "requirements.yaml" || base == "requirements.lock") {
          f.role = FileRole::not_manifest;
          f.note = "Helm chart metadata, not a Kubernetes manifest";
          continue;
        }
        if (base.starts_with("values") || first == "ci") {
          f.role = FileRole::not_manifest;
          f.note = "Helm chart values, not a Kubernetes manifest";
          continue;
        }
        if (first == "templates") {
          f.role = FileRole::chart_template;
          continue;
        }
      }
      if (std::string_view what = known_non_manifest(f.key); !what.empty()) {
        f.role = FileRole::not_manifest;
        f.note = fmt::format("{}, not a Kubernetes manifest", what);
      }
    }
  }

  Layout& m_out;
  base::yaml::Parser& m_parser;
  fs::path m_cwd;
  std::unordered_map<std::string, uint32_t> m_by_key;
  std::unordered_map<std::string, int> m_kust_by_file;  // kustomization file key -> m_kusts index
  std::vector<Kust> m_kusts;
  std::unordered_set<uint32_t> m_resource_files;
  std::unordered_map<std::string, std::string> m_side_files;  // key -> note
  std::set<std::string> m_chart_roots;
};

// Where "{{" starts something a template engine fills in: it must close on the line, and
// "{{ $labels.x }}" (Prometheus/Alertmanager variables, filled in at run time) does not count.
bool template_action_at(std::string_view s, size_t pos) {
  size_t close = s.find("}}", pos + 2);
  if (close == std::string_view::npos) return false;
  std::string_view inner = s.substr(pos + 2, close - pos - 2);
  while (!inner.empty() && (inner.front() == '-' || inner.front() == ' ')) inner.remove_prefix(1);
  return !(inner.starts_with('$') && inner.find(":=") == std::string_view::npos);
}

// The end of a quoted scalar from `from` on, or npos when it goes on past this line.
// Double quotes escape with a backslash, single quotes by doubling.
size_t closing_quote(std::string_view s, size_t from, char quote) {
  for (size_t i = from; i < s.size(); ++i) {
    if (quote == '"' && s[i] == '\\') {
      ++i;
    } else if (s[i] == quote) {
      if (quote == '\'' && i + 1 < s.size() && s[i + 1] == '\'') {
        ++i;
      } else {
        return i;
      }
    }
  }
  return std::string_view::npos;
}

bool has_template_action(std::string_view s) {
  for (size_t pos = s.find("{{"); pos != std::string_view::npos; pos = s.find("{{", pos + 2)) {
    if (template_action_at(s, pos)) return true;
  }
  return false;
}

}  // namespace

Layout plan_layout(std::span<const std::string> paths, std::span<const std::string> apply_units,
                   base::yaml::Parser& parser) {
  Layout out;
  Planner(out, parser).run(paths, apply_units);
  return out;
}

bool looks_like_template(std::string_view text, TemplateScope scope) {
  if (text.find("{{") == std::string_view::npos) return false;
  if (scope == TemplateScope::chart) return true;
  int block_indent = -1;  // inside a scalar's further lines, owned by a key or item at this indent
  char open_quote = 0;    // inside a quoted scalar that spans lines (PyYAML writes long ones so)
  for (std::string_view line : base::split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (open_quote != 0) {
      if (closing_quote(line, 0, open_quote) != std::string_view::npos) open_quote = 0;
      continue;
    }
    size_t indent = line.find_first_not_of(' ');
    if (indent == std::string_view::npos) continue;  // blank lines never end a block scalar
    std::string_view c = line.substr(indent);
    if (block_indent >= 0) {
      if (static_cast<int>(indent) > block_indent) continue;
      block_indent = -1;
    }
    if (c.starts_with('#')) continue;
    while (c.starts_with("- ")) c = base::trim(c.substr(2));
    if (c.empty()) continue;
    if (c.starts_with("{{") && template_action_at(c, 0)) return true;
    // A scalar's further lines (block content, a plain scalar folded over lines) are indented
    // past its key, or past the "-" of a sequence item.
    int owner = static_cast<int>(indent);
    std::string_view value = c;
    if (c.front() != '"' && c.front() != '\'') {
      if (size_t colon = c.find(": "); colon != std::string_view::npos) {
        if (has_template_action(c.substr(0, colon))) return true;
        value = base::trim(c.substr(colon + 2));
        owner = static_cast<int>(line.size() - c.size());
      } else if (c.ends_with(':')) {
        if (has_template_action(c)) return true;
        continue;
      }
    }
    if (value.empty()) continue;
    if (value.front() == '"' || value.front() == '\'') {
      if (closing_quote(value, 1, value.front()) == std::string_view::npos) open_quote = value.front();
      continue;
    }
    block_indent = owner;
    if (value.front() == '|' || value.front() == '>') continue;
    if (size_t comment = value.find(" #"); comment != std::string_view::npos) value = value.substr(0, comment);
    if (has_template_action(value)) return true;
  }
  return false;
}

std::vector<Finding> yaml_error_findings(const std::string& file, const Error& e) {
  std::vector<Finding> out;
  for (std::string_view line : base::split(e.message, '\n')) {
    int vals[2] = {0, 0};
    std::string_view rest = line;
    if (rest.starts_with(file) && rest.size() > file.size() && rest[file.size()] == ':') {
      rest.remove_prefix(file.size() + 1);
      for (int& v : vals) {
        auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
        if (ec != std::errc() || p == rest.data() + rest.size() || *p != ':') break;
        rest.remove_prefix(static_cast<size_t>(p - rest.data()) + 1);
      }
      rest = base::trim(rest);
    }
    std::string_view rule = rest.starts_with("duplicate key") ? "duplicate-key" : "yaml";
    out.push_back(Finding{Severity::error, std::string(rule), file, vals[0], vals[1], "", "", std::string(rest), "", "", ""});
  }
  return out;
}

}  // namespace sluice::k8s::detail
