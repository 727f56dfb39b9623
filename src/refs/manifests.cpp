// Manifest and lock-file parsers. Formats: requirements*.txt, pyproject.toml (PEP 621,
// PEP 735 groups, Poetry), Pipfile(.lock), poetry.lock, uv.lock, package.json,
// package-lock.json (v1-v3), npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock (classic and
// berry), tsconfig.json/jsconfig.json, go.mod, go.sum, Cargo.toml, Cargo.lock, Chart.yaml,
// Chart.lock, compile_commands.json.
#include "refs/manifests.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "base/yaml.h"
#include "refs/tables.h"

namespace sluice::refs {
namespace {

using json = nlohmann::json;

std::string_view basename(std::string_view p) {
  const size_t s = p.rfind('/');
  return s == std::string_view::npos ? p : p.substr(s + 1);
}

std::string dirname(std::string_view p) {
  const size_t s = p.rfind('/');
  return s == std::string_view::npos ? std::string() : std::string(p.substr(0, s));
}

std::string join(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

// 1-based line of the first occurrence of `needle` (0 when absent).
int line_of(std::string_view text, std::string_view needle, size_t from = 0) {
  const size_t at = text.find(needle, from);
  if (at == std::string_view::npos) return 0;
  return static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n')) + 1;
}

// 1-based line where dependency `name` is declared: the first occurrence that starts a line
// (a TOML key), follows a quote (a PEP 508 string, a quoted key) or a '.' ([dependencies.x]),
// and is not the start of a longer name. Falls back to the first occurrence, then 0.
int decl_line(std::string_view text, std::string_view name) {
  auto name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  };
  for (size_t at = text.find(name); at != std::string_view::npos; at = text.find(name, at + 1)) {
    const size_t end = at + name.size();
    if (end < text.size() && name_char(text[end]) && text[end] != '.') continue;
    size_t b = at;
    while (b > 0 && (text[b - 1] == ' ' || text[b - 1] == '\t')) --b;
    const bool line_start = b == 0 || text[b - 1] == '\n';
    const bool quoted = at > 0 && (text[at - 1] == '"' || text[at - 1] == '\'' || text[at - 1] == '.');
    if (line_start || quoted) return line_of(text, name, at);
  }
  return line_of(text, name);
}

// The distribution name at the start of a PEP 508 requirement ("requests[socks]>=2; ...").
std::string pep508_name(std::string_view req) {
  size_t i = 0;
  while (i < req.size() && (req[i] == ' ' || req[i] == '\t')) ++i;
  const size_t start = i;
  while (i < req.size() && (std::isalnum(static_cast<unsigned char>(req[i])) || req[i] == '-' || req[i] == '_' ||
                            req[i] == '.')) {
    ++i;
  }
  return std::string(req.substr(start, i - start));
}

// The lines of `text` without their line terminators ("\r\n" too).
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    pos = nl + 1;
  }
  return out;
}

// pip's rule: '#' starts a comment at the start of a line or after whitespace, so the
// "#egg=" of a URL is not one.
std::string_view strip_requirement_comment(std::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) return line.substr(0, i);
  }
  return line;
}

// "-r FILE" / "--requirement FILE" / "--requirement=FILE" lines, with their 1-based line.
// Constraint files (-c) pin versions and declare nothing, so they are not followed.
std::vector<std::pair<std::string, int>> requirement_includes(std::string_view text) {
  std::vector<std::pair<std::string, int>> out;
  int line_no = 0;
  for (std::string_view line : lines_of(text)) {
    ++line_no;
    line = strip_requirement_comment(line);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
    for (std::string_view opt : {"--requirement", "-r"}) {
      if (!line.starts_with(opt) || line.size() == opt.size()) continue;
      const char sep = line[opt.size()];
      if (sep != ' ' && sep != '\t' && sep != '=') continue;
      std::string_view file = line.substr(opt.size() + 1);
      while (!file.empty() && (file.front() == ' ' || file.front() == '\t')) file.remove_prefix(1);
      if (!file.empty()) out.emplace_back(std::string(file), line_no);
      break;
    }
  }
  return out;
}

// JSON with // and /* */ comments and trailing commas (tsconfig) -> strict JSON.
std::string strip_jsonc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') {
      const size_t start = i++;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\') ++i;
        ++i;
      }
      out.append(s.substr(start, std::min(i, s.size() - 1) - start + 1));
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
      while (i < s.size() && s[i] != '\n') ++i;
      out.push_back('\n');
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      const size_t end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 1;
    } else if (c == ',') {
      size_t j = i + 1;
      while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      if (j < s.size() && (s[j] == '}' || s[j] == ']')) continue;
      out.push_back(c);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<json> parse_json(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

class Loader {
 public:
  Loader(const ManifestSource& src, std::string prefix) : m_src(src), m_prefix(std::move(prefix)) {}

  Manifests run(const std::vector<std::string>& files) {
    for (const std::string& f : files) {
      if (!is_manifest_name(basename(f))) continue;
      std::string text;
      if (!m_src.read(f, text)) {
        m_out.warnings.push_back(fmt::format("{}: cannot be read", display(f)));
        continue;
      }
      dispatch(f, text);
    }
    return std::move(m_out);
  }

 private:
  std::string display(const std::string& rel) const { return m_prefix + rel; }

  void note(std::vector<std::string>& list, std::string_view name) {
    if (std::find(list.begin(), list.end(), name) == list.end()) list.emplace_back(name);
  }

  void warn(const std::string& rel, std::string_view why) {
    m_out.warnings.push_back(fmt::format("{}: {}", display(rel), why));
  }

  // A TOML manifest, or nothing with a warning naming the file and the parser's reason.
  std::optional<toml::table> parse_toml(const std::string& f, std::string_view text) {
    try {
      return toml::parse(text, f);
    } catch (const toml::parse_error& e) {
      warn(f, fmt::format("not valid TOML: {}", e.description()));
      return std::nullopt;
    }
  }

  void lock_finding(Ecosystem eco, const std::string& manifest, int line, const std::string& name,
                    std::string_view lock) {
    Finding f;
    f.path = display(manifest);
    f.line = std::max(line, 1);
    f.column = 1;
    f.ecosystem = eco;
    f.kind = RefKind::lock;
    f.reference = name;
    f.reason = fmt::format("{} dependency \"{}\" is declared in {} but missing from {} (the lock file is out of date)",
                           to_string(eco), name, basename(manifest), lock);
    m_out.lock_findings.push_back(std::move(f));
  }

  // The nearest lock file among `names` in `dir` or above it; empty when none.
  std::string find_lock(std::string dir, std::initializer_list<std::string_view> names) const {
    while (true) {
      for (auto n : names) {
        std::string p = join(dir, n);
        if (m_src.exists(p)) return p;
      }
      if (dir.empty()) return {};
      dir = dirname(dir);
    }
  }

  void dispatch(const std::string& f, std::string_view text) {
    const std::string_view name = basename(f);
    if (name.starts_with("requirements") || (name.ends_with(".txt") && name.find("requirements") != std::string_view::npos)) {
      requirements(f, text);
    } else if (name == "pyproject.toml") {
      pyproject(f, text);
    } else if (name == "Pipfile") {
      pipfile(f, text);
    } else if (name == "setup.py" || name == "setup.cfg") {
      note(m_out.python_files, name);  // not parsed: setup.py is code; noted for messages only
      if (name == "setup.cfg") setup_cfg(text);
    } else if (name == "package.json") {
      package_json(f, text);
    } else if (name == "tsconfig.json" || name == "jsconfig.json") {
      tsconfig(f, text);
    } else if (name == "go.mod") {
      go_mod(f, text);
    } else if (name == "Cargo.toml") {
      cargo(f, text);
    } else if (name == "Chart.yaml") {
      chart(f, text);
    } else if (name == "compile_commands.json") {
      compile_commands(f, text);
    }
  }

  // --- Python ---
  // A requirements file and, recursively, the files it includes with -r (relative to it).
  void requirements(const std::string& f, std::string_view text) {
    if (!m_requirements_seen.insert(f).second) return;
    note(m_out.python_files, basename(f));
    for (auto& [n, line] : parse_requirements(text)) m_out.python.insert(normalize_dist(n));
    for (const auto& [inc, line] : requirement_includes(text)) {
      std::string rel = std::filesystem::path(join(dirname(f), inc)).lexically_normal().generic_string();
      if (m_requirements_seen.contains(rel)) continue;
      std::string inc_text;
      if (!m_src.read(rel, inc_text)) {
        m_out.warnings.push_back(fmt::format("{}:{}: -r {} cannot be read", display(f), line, inc));
        continue;
      }
      requirements(rel, inc_text);
    }
  }

  void pyproject(const std::string& f, std::string_view text) {
    note(m_out.python_files, "pyproject.toml");
    auto parsed = parse_toml(f, text);
    if (!parsed) return;
    toml::table& t = *parsed;
    std::vector<std::string> deps;  // what a lock file must contain
    auto add_list = [&](const toml::node* n, bool locked) {
      if (const toml::array* a = n ? n->as_array() : nullptr) {
        for (const auto& v : *a) {
          if (auto s = v.value<std::string>()) {
            std::string nm = pep508_name(*s);
            if (nm.empty()) continue;
            m_out.python.insert(normalize_dist(nm));
            if (locked) deps.push_back(nm);
          }
        }
      }
    };
    auto add_keys = [&](const toml::node* n, bool locked) {
      if (const toml::table* tb = n ? n->as_table() : nullptr) {
        for (const auto& [k, v] : *tb) {
          std::string nm(k.str());
          if (nm == "python") continue;
          m_out.python.insert(normalize_dist(nm));
          if (locked) deps.push_back(nm);
        }
      }
    };
    if (auto name = t["project"]["name"].value<std::string>()) m_out.python.insert(normalize_dist(*name));
    if (auto name = t["tool"]["poetry"]["name"].value<std::string>()) m_out.python.insert(normalize_dist(*name));
    add_list(t["project"]["dependencies"].node(), true);
    if (const toml::table* opt = t["project"]["optional-dependencies"].as_table()) {
      for (const auto& [k, v] : *opt) add_list(&v, false);
    }
    if (const toml::table* groups = t["dependency-groups"].as_table()) {
      for (const auto& [k, v] : *groups) add_list(&v, false);
    }
    add_list(t["build-system"]["requires"].node(), false);
    add_list(t["tool"]["uv"]["dev-dependencies"].node(), false);
    add_keys(t["tool"]["poetry"]["dependencies"].node(), true);
    add_keys(t["tool"]["poetry"]["dev-dependencies"].node(), true);
    if (const toml::table* groups = t["tool"]["poetry"]["group"].as_table()) {
      for (const auto& [k, v] : *groups) {
        if (const toml::table* g = v.as_table()) add_keys(g->get("dependencies"), true);
      }
    }
    const std::string dir = dirname(f);
    for (std::string_view lock_name : {"poetry.lock", "uv.lock"}) {
      const std::string lock = join(dir, lock_name);
      if (!m_src.exists(lock)) continue;
      note(m_out.python_files, lock_name);
      std::optional<std::unordered_set<std::string>> locked = toml_lock_packages(lock);
      if (!locked) continue;  // unreadable or not TOML (warned): nothing to compare with
      for (const std::string& d : deps) {
        if (!locked->contains(normalize_dist(d))) {
          lock_finding(Ecosystem::python, f, decl_line(text, d), d, lock_name);
        }
      }
    }
  }

  std::optional<std::unordered_set<std::string>> toml_lock_packages(const std::string& lock) {
    std::unordered_set<std::string> out;
    std::string text;
    if (!m_src.read(lock, text)) {
      warn(lock, "cannot be read");
      return std::nullopt;
    }
    try {
      toml::table t = toml::parse(text, lock);
      if (const toml::array* pkgs = t["package"].as_array()) {
        for (const auto& p : *pkgs) {
          if (const toml::table* pt = p.as_table()) {
            if (auto n = (*pt)["name"].value<std::string>()) out.insert(normalize_dist(*n));
          }
        }
      }
    } catch (const toml::parse_error& e) {
      warn(lock, fmt::format("not valid TOML: {}", e.description()));
      return std::nullopt;
    }
    for (const std::string& n : out) m_out.python.insert(n);
    return out;
  }

  void pipfile(const std::string& f, std::string_view text) {
    note(m_out.python_files, "Pipfile");
    auto parsed = parse_toml(f, text);
    if (!parsed) return;
    toml::table& t = *parsed;
    std::vector<std::string> deps;
    for (std::string_view sect : {"packages", "dev-packages"}) {
      if (const toml::table* tb = t[sect].as_table()) {
        for (const auto& [k, v] : *tb) {
          deps.emplace_back(k.str());
          m_out.python.insert(normalize_dist(k.str()));
        }
      }
    }
    const std::string lock = join(dirname(f), "Pipfile.lock");
    std::string lock_text;
    if (!m_src.exists(lock) || !m_src.read(lock, lock_text)) return;
    auto j = parse_json(lock_text);
    if (!j) {
      warn(lock, "not valid JSON");
      return;
    }
    std::unordered_set<std::string> locked;
    for (const char* sect : {"default", "develop"}) {
      if (j->contains(sect) && (*j)[sect].is_object()) {
        for (auto it = (*j)[sect].begin(); it != (*j)[sect].end(); ++it) locked.insert(normalize_dist(it.key()));
      }
    }
    for (const std::string& d : deps) {
      if (!locked.contains(normalize_dist(d))) lock_finding(Ecosystem::python, f, decl_line(text, d), d, "Pipfile.lock");
    }
  }

  // Requirement lists are values of install_requires/setup_requires/tests_require and of every
  // key of [options.extras_require], on the key's line or on indented continuation lines.
  void setup_cfg(std::string_view text) {
    bool in_list = false, in_extras = false;
    auto add = [&](std::string_view req) {
      std::string n = pep508_name(req);
      if (!n.empty()) m_out.python.insert(normalize_dist(n));
    };
    for (std::string_view line : lines_of(text)) {
      std::string_view t = line;
      while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
      if (t.empty() || t.front() == '#' || t.front() == ';') continue;
      if (t.size() < line.size()) {  // indented: a continuation line
        if (in_list) add(t);
        continue;
      }
      in_list = false;
      if (t.front() == '[') {
        in_extras = t.starts_with("[options.extras_require]");
        continue;
      }
      const size_t eq = t.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view key = t.substr(0, eq);
      while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.remove_suffix(1);
      if (in_extras || key == "install_requires" || key == "setup_requires" || key == "tests_require") {
        in_list = true;
        add(t.substr(eq + 1));
      }
    }
  }

  // --- JavaScript ---
  void package_json(const std::string& f, std::string_view text) {
    if (f.find("node_modules/") != std::string::npos) return;
    note(m_out.npm_files, "package.json");
    auto j = parse_json(text);
    if (!j || !j->is_object()) {
      warn(f, "not valid JSON");
      return;
    }
    const std::string dir = dirname(f);
    if (auto it = j->find("name"); it != j->end() && it->is_string()) m_out.npm_local.insert(it->get<std::string>());
    Declared locked_deps;
    for (const char* sect : {"dependencies", "devDependencies", "optionalDependencies", "peerDependencies"}) {
      auto it = j->find(sect);
      if (it == j->end() || !it->is_object()) continue;
      for (auto d = it->begin(); d != it->end(); ++d) {
        m_out.npm.insert(d.key());
        const std::string spec = d->is_string() ? d->get<std::string>() : std::string();
        const bool local = spec.starts_with("workspace:") || spec.starts_with("file:") || spec.starts_with("link:");
        if (std::string_view(sect) != "peerDependencies" && !local) {
          locked_deps.emplace_back(d.key(), line_of(text, "\"" + d.key() + "\""));
        }
      }
    }
    if (auto it = j->find("bundledDependencies"); it != j->end() && it->is_array()) {
      for (const auto& v : *it)
        if (v.is_string()) m_out.npm.insert(v.get<std::string>());
    }
    if (auto it = j->find("imports"); it != j->end() && it->is_object()) {
      for (auto e = it->begin(); e != it->end(); ++e) {
        PathAlias a{dir, e.key(), {}};
        collect_targets(*e, a.targets);
        m_out.aliases.push_back(std::move(a));
      }
    }
    const std::string lock = find_lock(dir, {"package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock"});
    if (lock.empty() || locked_deps.empty()) return;
    std::unordered_set<std::string> locked = npm_lock_packages(lock);
    if (locked.empty()) return;  // unparseable: warned
    for (const auto& [name, line] : locked_deps) {
      if (!locked.contains(name)) lock_finding(Ecosystem::javascript, f, line, name, basename(lock));
    }
  }

  static void collect_targets(const json& v, std::vector<std::string>& out) {
    if (v.is_string()) {
      out.push_back(v.get<std::string>());
    } else if (v.is_object()) {  // conditions: {"node": "./a.js", "default": "./b.js"}
      for (const auto& c : v) collect_targets(c, out);
    } else if (v.is_array()) {
      for (const auto& c : v) collect_targets(c, out);
    }
  }

  std::unordered_set<std::string> npm_lock_packages(const std::string& lock) {
    auto cached = m_npm_locks.find(lock);
    if (cached != m_npm_locks.end()) return cached->second;
    std::unordered_set<std::string> out;
    std::string text;
    if (m_src.read(lock, text)) {
      const std::string_view name = basename(lock);
      if (name == "yarn.lock") {
        for (auto& n : parse_yarn_lock(text)) out.insert(std::move(n));
      } else if (name == "pnpm-lock.yaml") {
        pnpm_lock(lock, text, out);
      } else if (auto j = parse_json(text)) {
        if (auto p = j->find("packages"); p != j->end() && p->is_object()) {
          for (auto e = p->begin(); e != p->end(); ++e) {
            const std::string& k = e.key();
            const size_t at = k.rfind("node_modules/");
            if (at != std::string::npos) out.insert(k.substr(at + 13));
            if (auto n = e->find("name"); n != e->end() && n->is_string()) out.insert(n->get<std::string>());
          }
        }
        if (auto d = j->find("dependencies"); d != j->end() && d->is_object()) {
          for (auto e = d->begin(); e != d->end(); ++e) out.insert(e.key());
        }
      } else {
        warn(lock, "not valid JSON");
      }
    }
    for (const std::string& n : out) m_out.npm.insert(n);
    m_npm_locks.emplace(lock, out);
    return out;
  }

  void pnpm_lock(const std::string& lock, std::string_view text, std::unordered_set<std::string>& out) {
    auto docs = base::yaml::parse(text, lock);
    if (!docs || docs->empty()) {
      warn(lock, "not valid YAML");
      return;
    }
    const base::yaml::Node& root = (*docs)[0].root;
    auto keys_of = [&](const base::yaml::Node* n) {
      if (!n || !n->is_map()) return;
      for (const auto& e : n->entries) out.insert(e.key.scalar);
    };
    for (const char* sect : {"dependencies", "devDependencies", "optionalDependencies"}) keys_of(root.find(sect));
    if (const base::yaml::Node* imp = root.find("importers"); imp && imp->is_map()) {
      for (const auto& e : imp->entries) {
        for (const char* sect : {"dependencies", "devDependencies", "optionalDependencies"}) keys_of(e.value.find(sect));
      }
    }
    if (const base::yaml::Node* pk = root.find("packages"); pk && pk->is_map()) {
      for (const auto& e : pk->entries) {
        std::string_view k = e.key.scalar;
        if (k.starts_with("/")) k.remove_prefix(1);
        const size_t at = k.find('@', k.starts_with("@") ? 1 : 0);
        out.insert(std::string(k.substr(0, at)));
      }
    }
  }

  void tsconfig(const std::string& f, std::string_view text) {
    auto j = parse_json(strip_jsonc(text));
    if (!j || !j->is_object()) {
      warn(f, "not valid JSON (with comments)");
      return;
    }
    auto co = j->find("compilerOptions");
    if (co == j->end() || !co->is_object()) return;
    std::string dir = dirname(f);
    std::string base_dir = dir;
    if (auto b = co->find("baseUrl"); b != co->end() && b->is_string()) {
      base_dir = std::filesystem::path(join(dir, b->get<std::string>())).lexically_normal().generic_string();
      if (base_dir == ".") base_dir.clear();
      if (!base_dir.empty() && base_dir.back() == '/') base_dir.pop_back();
      m_out.ts_base_dirs.push_back(base_dir);
    }
    if (auto p = co->find("paths"); p != co->end() && p->is_object()) {
      for (auto e = p->begin(); e != p->end(); ++e) {
        PathAlias a{base_dir, e.key(), {}};
        collect_targets(*e, a.targets);
        m_out.aliases.push_back(std::move(a));
      }
    }
  }

  // --- Go ---
  void go_mod(const std::string& f, std::string_view text) {
    note(m_out.go_files, "go.mod");
    const std::string dir = dirname(f);
    bool in_require = false, in_replace = false;
    std::vector<std::pair<std::string, int>> reqs;
    int line_no = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      std::string_view line = text.substr(pos, nl - pos);
      pos = nl + 1;
      ++line_no;
      if (const size_t c = line.find("//"); c != std::string_view::npos) line = line.substr(0, c);
      std::vector<std::string> w;
      for (size_t i = 0; i < line.size();) {
        while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
        const size_t s = i;
        while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
        if (i > s) {
          std::string word(line.substr(s, i - s));
          if (word.size() >= 2 && word.front() == '"' && word.back() == '"') word = word.substr(1, word.size() - 2);
          w.push_back(std::move(word));
        }
      }
      if (w.empty()) {
        if (nl >= text.size()) break;
        continue;
      }
      if (w[0] == ")") {
        in_require = in_replace = false;
      } else if (w[0] == "module" && w.size() >= 2) {
        m_out.go_modules.push_back(GoModule{w[1], dir});
      } else if (w[0] == "require") {
        if (w.size() >= 2 && w[1] == "(") in_require = true;
        else if (w.size() >= 2) reqs.emplace_back(w[1], line_no);
      } else if (w[0] == "replace") {
        if (w.size() >= 2 && w[1] == "(") in_replace = true;
        else replace(w, 1, dir);
      } else if (in_require) {
        reqs.emplace_back(w[0], line_no);
      } else if (in_replace) {
        replace(w, 0, dir);
      }
      if (nl >= text.size()) break;
    }
    for (const auto& [r, l] : reqs) m_out.go_requires.push_back(r);
    const std::string sum = join(dir, "go.sum");
    std::string sum_text;
    if (reqs.empty() || !m_src.exists(sum) || !m_src.read(sum, sum_text)) return;
    std::unordered_set<std::string> summed;
    for (std::string_view l : data_lines(sum_text)) summed.insert(std::string(l.substr(0, l.find(' '))));
    for (const auto& [r, l] : reqs) {
      if (!summed.contains(r) && !m_replaced_local.contains(r)) lock_finding(Ecosystem::go, f, l, r, "go.sum");
    }
  }

  void replace(const std::vector<std::string>& w, size_t i, const std::string& dir) {
    // old [v] => new [v]
    if (i >= w.size()) return;
    m_out.go_requires.push_back(w[i]);
    auto arrow = std::find(w.begin(), w.end(), "=>");
    if (arrow != w.end() && arrow + 1 != w.end()) {
      const std::string& target = *(arrow + 1);
      if (target.starts_with("./") || target.starts_with("../")) {
        std::string local = std::filesystem::path(join(dir, target)).lexically_normal().generic_string();
        if (!local.empty() && local.back() == '/') local.pop_back();
        m_out.go_modules.push_back(GoModule{w[i], local == "." ? std::string() : local});
        m_replaced_local.insert(w[i]);
      } else {
        m_out.go_requires.push_back(target);
      }
    }
  }

  // --- Rust, Helm, C ---
  void cargo(const std::string& f, std::string_view text) {
    note(m_out.rust_files, "Cargo.toml");
    auto parsed = parse_toml(f, text);
    if (!parsed) return;
    toml::table& t = *parsed;
    std::vector<std::pair<std::string, std::string>> deps;  // (name in Cargo.lock, key in Cargo.toml)
    auto keys = [&](const toml::node* n) {
      if (const toml::table* tb = n ? n->as_table() : nullptr) {
        for (const auto& [k, v] : *tb) {
          std::string key(k.str());
          // json = { package = "serde_json" }: code says json, the lock and registry say serde_json
          std::string package = key;
          if (const toml::table* spec = v.as_table()) {
            if (auto p = (*spec)["package"].value<std::string>()) package = *p;
          }
          m_out.rust.insert(key);
          m_out.rust.insert(package);
          deps.emplace_back(std::move(package), std::move(key));
        }
      }
    };
    if (auto n = t["package"]["name"].value<std::string>()) m_out.rust.insert(*n);
    for (const char* sect : {"dependencies", "dev-dependencies", "build-dependencies"}) keys(t[sect].node());
    keys(t["workspace"]["dependencies"].node());
    if (const toml::table* targets = t["target"].as_table()) {
      for (const auto& [k, v] : *targets) {
        if (const toml::table* tt = v.as_table()) {
          for (const char* sect : {"dependencies", "dev-dependencies", "build-dependencies"}) keys(tt->get(sect));
        }
      }
    }
    const std::string lock = find_lock(dirname(f), {"Cargo.lock"});
    std::string lock_text;
    if (lock.empty() || !m_src.read(lock, lock_text)) return;
    std::unordered_set<std::string> locked;
    try {
      toml::table lt = toml::parse(lock_text, lock);
      if (const toml::array* pkgs = lt["package"].as_array()) {
        for (const auto& p : *pkgs)
          if (const toml::table* pt = p.as_table())
            if (auto n = (*pt)["name"].value<std::string>()) locked.insert(*n);
      }
    } catch (const toml::parse_error&) {
      warn(lock, "not valid TOML");
      return;
    }
    for (const auto& [package, key] : deps) {
      if (!locked.contains(package)) lock_finding(Ecosystem::rust, f, decl_line(text, key), key, "Cargo.lock");
    }
  }

  void chart(const std::string& f, std::string_view text) {
    auto docs = base::yaml::parse(text, f);
    if (!docs || docs->empty()) {
      warn(f, "not valid YAML");
      return;
    }
    std::vector<std::pair<std::string, int>> deps;
    if (const base::yaml::Node* d = (*docs)[0].root.find("dependencies"); d && d->is_seq()) {
      for (const auto& item : d->items)
        if (const base::yaml::Node* n = item.find("name"); n && n->is_scalar()) deps.emplace_back(n->scalar, n->mark.line);
    }
    const std::string lock = join(dirname(f), "Chart.lock");
    std::string lock_text;
    if (deps.empty() || !m_src.exists(lock) || !m_src.read(lock, lock_text)) return;
    auto ldocs = base::yaml::parse(lock_text, lock);
    if (!ldocs || ldocs->empty()) {
      warn(lock, "not valid YAML");
      return;
    }
    std::unordered_set<std::string> locked;
    if (const base::yaml::Node* d = (*ldocs)[0].root.find("dependencies"); d && d->is_seq()) {
      for (const auto& item : d->items)
        if (const base::yaml::Node* n = item.find("name"); n && n->is_scalar()) locked.insert(n->scalar);
    }
    for (const auto& [name, line] : deps) {
      if (!locked.contains(name)) {
        Finding fd;
        fd.path = display(f);
        fd.line = line;
        fd.column = 1;
        fd.ecosystem = Ecosystem::image;
        fd.kind = RefKind::lock;
        fd.reference = name;
        fd.reason = fmt::format("chart dependency \"{}\" is declared in Chart.yaml but missing from Chart.lock", name);
        m_out.lock_findings.push_back(std::move(fd));
      }
    }
  }

  void compile_commands(const std::string& f, std::string_view text) {
    auto j = parse_json(text);
    if (!j || !j->is_array()) {
      warn(f, "not valid JSON");
      return;
    }
    std::unordered_set<std::string> seen;
    for (const auto& e : *j) {
      if (!e.is_object()) continue;
      std::string dir;
      if (auto d = e.find("directory"); d != e.end() && d->is_string()) dir = d->get<std::string>();
      std::vector<std::string> args;
      if (auto a = e.find("arguments"); a != e.end() && a->is_array()) {
        for (const auto& v : *a)
          if (v.is_string()) args.push_back(v.get<std::string>());
      } else if (auto c = e.find("command"); c != e.end() && c->is_string()) {
        std::string cmd = c->get<std::string>(), cur;
        for (char ch : cmd) {
          if (ch == ' ') {
            if (!cur.empty()) args.push_back(std::move(cur));
            cur.clear();
          } else {
            cur.push_back(ch);
          }
        }
        if (!cur.empty()) args.push_back(cur);
      }
      for (size_t i = 0; i < args.size(); ++i) {
        std::string inc;
        for (std::string_view flag : {"-I", "-isystem", "-iquote", "-idirafter"}) {
          if (args[i] == flag && i + 1 < args.size()) {
            inc = args[++i];
            break;
          }
          if (args[i].starts_with(flag) && args[i].size() > flag.size()) {  // -Idir, -isystem/dir
            inc = args[i].substr(flag.size());
            break;
          }
        }
        if (inc.empty()) continue;
        std::filesystem::path p(inc);
        if (p.is_relative() && !dir.empty()) p = std::filesystem::path(dir) / p;
        std::string s = p.lexically_normal().generic_string();
        if (seen.insert(s).second) m_out.include_dirs.push_back(s);
      }
    }
  }

  const ManifestSource& m_src;
  std::string m_prefix;
  Manifests m_out;
  std::map<std::string, std::unordered_set<std::string>> m_npm_locks;
  std::unordered_set<std::string> m_replaced_local;
  std::unordered_set<std::string> m_requirements_seen;
};

}  // namespace

bool is_manifest_name(std::string_view n) {
  return (n.starts_with("requirements") && (n.ends_with(".txt") || n.ends_with(".in"))) ||
         (n.ends_with(".txt") && n.find("requirements") != std::string_view::npos) || n == "pyproject.toml" ||
         n == "Pipfile" || n == "setup.cfg" || n == "setup.py" || n == "package.json" || n == "tsconfig.json" ||
         n == "jsconfig.json" || n == "go.mod" || n == "Cargo.toml" || n == "Chart.yaml" ||
         n == "compile_commands.json";
}

Declared parse_requirements(std::string_view text) {
  Declared out;
  int line_no = 0;
  for (std::string_view line : lines_of(text)) {
    ++line_no;
    line = strip_requirement_comment(line);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    if (line.empty()) continue;
    // URLs, VCS links and paths (also after -e) declare a name only through "#egg=name".
    const std::string n = pep508_name(line);
    const std::string_view rest = line.substr(n.size());
    const bool link = line.front() == '-' || n.empty() || n == "." || rest.starts_with("://") || rest.starts_with("+") ||
                      rest.starts_with("/");
    if (!link) {
      out.emplace_back(n, line_no);
    } else if (const size_t egg = line.find("#egg="); egg != std::string_view::npos) {
      std::string e = pep508_name(line.substr(egg + 5));
      if (!e.empty()) out.emplace_back(std::move(e), line_no);
    }
  }
  return out;
}

Declared parse_package_json_deps(std::string_view text) {
  Declared out;
  auto j = parse_json(text);
  if (!j || !j->is_object()) return out;
  for (const char* sect : {"dependencies", "devDependencies", "optionalDependencies", "peerDependencies"}) {
    auto it = j->find(sect);
    if (it == j->end() || !it->is_object()) continue;
    for (auto d = it->begin(); d != it->end(); ++d) out.emplace_back(d.key(), line_of(text, "\"" + d.key() + "\""));
  }
  return out;
}

std::vector<std::string> parse_yarn_lock(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == ' ' || line[0] == '#' || line.back() != ':') continue;
    line.remove_suffix(1);
    // "a@^1", a@^2, "@s/b@npm:^3"
    size_t start = 0;
    while (start < line.size()) {
      size_t comma = line.find(',', start);
      if (comma == std::string_view::npos) comma = line.size();
      std::string_view spec = line.substr(start, comma - start);
      while (!spec.empty() && (spec.front() == ' ' || spec.front() == '"')) spec.remove_prefix(1);
      while (!spec.empty() && spec.back() == '"') spec.remove_suffix(1);
      const size_t at = spec.find('@', spec.starts_with("@") ? 1 : 0);
      std::string name(spec.substr(0, at));
      if (!name.empty() && name != "__metadata") out.push_back(std::move(name));
      start = comma + 1;
    }
  }
  return out;
}

Manifests load_manifests(const std::vector<std::string>& files, const ManifestSource& src,
                         const std::string& display_prefix) {
  return Loader(src, display_prefix).run(files);
}

}  // namespace sluice::refs
