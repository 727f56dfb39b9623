// Resolution order for every reference: builtin, local, declared, installed, allowed.
#include "refs/checker.h"

#include <algorithm>
#include <system_error>

#include <fmt/format.h>

#include "base/files.h"
#include "base/glob.h"
#include "base/strings.h"
#include "refs/extract.h"
#include "refs/image_ref.h"
#include "refs/tables.h"

namespace sluice::refs {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_skip_dirs[] = {".git", ".hg", ".svn", ".sluice", "node_modules", "__pycache__",
                                            ".venv", "venv", ".tox", ".mypy_cache", ".pytest_cache", ".cache"};

bool skipped_dir(std::string_view name) {
  return std::find(std::begin(k_skip_dirs), std::end(k_skip_dirs), name) != std::end(k_skip_dirs);
}

std::string parent_of(std::string_view p) {
  const size_t s = p.rfind('/');
  return s == std::string_view::npos ? std::string() : std::string(p.substr(0, s));
}

std::string join(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  return std::string(dir) + "/" + std::string(name);
}

// Lexically normalised workspace-relative path; "" for the root; starts with ".." when outside.
std::string normal(std::string_view p) {
  std::string s = fs::path(p).lexically_normal().generic_string();
  if (s == ".") return {};
  if (s.size() > 1 && s.back() == '/') s.pop_back();
  if (s.starts_with("./")) s = s.substr(2);
  return s;
}

std::vector<std::string_view> split_dots(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t d = s.find('.', start);
    if (d == std::string_view::npos) d = s.size();
    out.push_back(s.substr(start, d - start));
    start = d + 1;
  }
  return out;
}

// "@scope/pkg/sub" -> "@scope/pkg"; "pkg/sub" -> "pkg".
std::string npm_package(std::string_view spec) {
  size_t slash = spec.find('/');
  if (!spec.empty() && spec[0] == '@' && slash != std::string_view::npos) slash = spec.find('/', slash + 1);
  return std::string(spec.substr(0, slash));
}

bool word_in(std::string_view text, std::string_view word) {
  size_t pos = 0;
  while ((pos = text.find(word, pos)) != std::string_view::npos) {
    auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    const bool left = pos == 0 || !ident(text[pos - 1]);
    const bool right = pos + word.size() >= text.size() || !ident(text[pos + word.size()]);
    if (left && right) return true;
    pos += word.size();
  }
  return false;
}

std::string list_or(const std::vector<std::string>& names) {
  if (names.empty()) return {};
  if (names.size() == 1) return names[0];
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

constexpr std::string_view k_js_exts[] = {".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts", ".d.ts",
                                          ".json", ".node", ".vue", ".svelte"};

struct AllowEntry {
  std::optional<Ecosystem> ecosystem;
  std::string pattern;
};

}  // namespace

class Checker::Impl {
 public:
  explicit Impl(CheckOptions o) : m_opt(std::move(o)) {}

  Expected<void> init() {
    std::error_code ec;
    m_base_abs = fs::absolute(m_opt.base, ec).lexically_normal();
    if (m_base_abs.has_filename() == false && m_base_abs.has_parent_path() && m_base_abs != m_base_abs.root_path()) {
      m_base_abs = m_base_abs.parent_path();
    }
    if (!fs::is_directory(m_base_abs, ec)) {
      return make_error(ErrorCode::invalid_input, fmt::format("{}: the base directory does not exist", m_opt.base.string()));
    }
    walk();
    load_tables();
    struct Src : ManifestSource {
      const Impl* self;
      bool read(const std::string& rel, std::string& out) const override {
        auto t = base::read_file(self->m_base_abs / rel);
        if (!t) return false;
        out = std::move(*t);
        return true;
      }
      bool exists(const std::string& rel) const override { return self->m_files.contains(rel); }
    } src;
    src.self = this;
    m_manifests = load_manifests(m_file_list, src, base_display_prefix());
    for (const std::string& a : m_opt.allow) {
      const size_t colon = a.find(':');
      std::optional<Ecosystem> eco;
      if (colon != std::string::npos) eco = parse_ecosystem(a.substr(0, colon));
      m_allow.push_back(eco ? AllowEntry{eco, a.substr(colon + 1)} : AllowEntry{std::nullopt, a});
    }
    build_known();
    return {};
  }

  // How a path under the base is shown: relative to the current directory when the base is
  // under it ("" when the base is the current directory), absolute otherwise.
  std::string base_display_prefix() const {
    std::error_code ec;
    fs::path cwd = fs::current_path(ec);
    fs::path rel = m_base_abs.lexically_relative(cwd);
    std::string r = rel.generic_string();
    if (ec || r.empty() || r.starts_with("..")) return m_base_abs.generic_string() + "/";
    if (r == ".") return {};
    return r + "/";
  }

  void walk() {
    std::error_code ec;
    fs::recursive_directory_iterator it(m_base_abs, fs::directory_options::skip_permission_denied, ec), end;
    const size_t base_len = m_base_abs.generic_string().size() + 1;
    for (; !ec && it != end; it.increment(ec)) {
      const fs::directory_entry& e = *it;
      std::string name = e.path().filename().string();
      std::error_code tec;
      const bool is_dir = e.is_directory(tec);
      if (is_dir && skipped_dir(name)) {
        it.disable_recursion_pending();
        continue;
      }
      std::string rel = e.path().generic_string().substr(base_len);
      if (is_dir) {
        m_dirs.insert(rel);
        if (name == "include") m_include_dirs.push_back(rel);
      } else {
        const std::string dir = parent_of(rel);
        if (name.ends_with(".py") || name.ends_with(".pyi")) m_py_dirs.insert(dir);
        if (name.ends_with(".go")) m_go_dirs.insert(dir);
        m_files.insert(rel);
        m_file_list.push_back(std::move(rel));
      }
    }
    std::sort(m_file_list.begin(), m_file_list.end());
  }

  void load_tables() {
    for (auto l : data_lines(embedded_data("python_stdlib.txt"))) m_py_std.insert(std::string(l));
    for (const auto& s : m_opt.toolchain.python_stdlib) m_py_std.insert(s);
    m_py_std.insert("__main__");
    for (auto l : data_lines(embedded_data("node_builtins.txt"))) m_node_builtins.insert(std::string(l));
    for (const auto& s : m_opt.toolchain.node_builtins) m_node_builtins.insert(s);
    for (auto l : data_lines(embedded_data("c_headers.txt"))) {
      if (l.ends_with("/")) m_c_prefixes.emplace_back(l);
      else m_c_headers.insert(std::string(l));
    }
    std::vector<std::string_view> mapping = data_lines(embedded_data("pipreqs/mapping"));
    for (auto l : data_lines(embedded_data("python_imports_extra.txt"))) mapping.push_back(l);
    for (auto l : mapping) {
      const size_t colon = l.find(':');
      if (colon == std::string_view::npos) continue;
      m_py_map[std::string(l.substr(0, colon))].push_back(normalize_dist(l.substr(colon + 1)));
      m_py_known_dists.insert(normalize_dist(l.substr(colon + 1)));
    }
    for (const auto& [imp, dists] : m_opt.toolchain.python_import_dists) {
      m_py_installed.insert(imp);
      for (const auto& d : dists) m_py_installed_dists.insert(normalize_dist(d));
    }
    for (const fs::path& dir : m_opt.toolchain.python_paths) {
      std::error_code ec;
      for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::string n = it->path().filename().string();
        if (n.ends_with(".dist-info") || n.ends_with(".egg-info")) {
          m_py_installed_dists.insert(normalize_dist(n.substr(0, n.find('-'))));
          continue;
        }
        m_py_installed.insert(n.substr(0, n.find('.')));
      }
    }
    for (const auto& p : m_opt.toolchain.debian_packages) m_debian.insert(p);
  }

  void build_known() {
    auto add = [](std::vector<std::string>& v, std::string s) {
      if (s.size() >= 3) v.push_back(std::move(s));
    };
    for (const auto& s : m_py_std) add(m_known_py, s);
    for (const auto& [imp, d] : m_py_map) add(m_known_py, imp);
    for (const auto& s : m_manifests.python) add(m_known_py, s);
    for (const auto& s : m_py_installed) add(m_known_py, s);
    for (const auto& s : m_node_builtins) add(m_known_js, s);
    for (const auto& s : m_manifests.npm) add(m_known_js, s);
    for (const auto& s : m_manifests.npm_local) add(m_known_js, s);
    for (const auto& s : m_c_headers) add(m_known_c, s);
    for (const auto& s : m_manifests.go_requires) add(m_known_go, s);
    for (const auto& m : m_manifests.go_modules) add(m_known_go, m.path);
    for (auto* v : {&m_known_py, &m_known_js, &m_known_c, &m_known_go}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
  }

  // --- the file-level driver ---

  struct FileCtx {
    std::string rel;   // workspace-relative path (normalised)
    bool inside = true;
    fs::path abs_dir;  // for files outside the workspace
    std::string display;
  };

  std::vector<Finding> check_refs(const FileCtx& f, const std::vector<Reference>& refs) const {
    std::vector<Finding> out;
    for (const Reference& r : refs) {
      std::string reason;
      std::string key;  // the name compared for typos
      switch (r.ecosystem) {
        case Ecosystem::python: reason = r.kind == RefKind::package ? python_package(r, key) : python_import(f, r, key); break;
        case Ecosystem::javascript: reason = r.kind == RefKind::package ? js_package(r, key) : js_import(f, r, key); break;
        case Ecosystem::go: reason = go_import(r, key); break;
        case Ecosystem::c: reason = c_include(f, r, key); break;
        case Ecosystem::debian: reason = debian_package(r, key); break;
        case Ecosystem::rust: reason = rust_package(r, key); break;
        case Ecosystem::image: reason = image(r, key); break;
      }
      if (reason.empty() || allowed(r)) continue;
      Finding fd;
      fd.path = f.display;
      fd.line = r.line;
      fd.column = r.column;
      fd.ecosystem = r.ecosystem;
      fd.kind = r.kind;
      fd.reference = r.name;
      fd.reason = std::move(reason);
      if (!key.empty()) fd.suggestion = suggest(r.ecosystem, key);
      out.push_back(std::move(fd));
    }
    return out;
  }

  bool exists(const FileCtx& f, const std::string& rel_or_abs) const {
    (void)f;
    if (!rel_or_abs.empty() && rel_or_abs[0] == '/') {
      std::error_code ec;
      return fs::exists(rel_or_abs, ec);
    }
    if (rel_or_abs.starts_with("..")) {
      std::error_code ec;
      return fs::exists(m_base_abs / rel_or_abs, ec);
    }
    return m_files.contains(rel_or_abs) || m_dirs.contains(rel_or_abs) || rel_or_abs.empty();
  }
  bool is_file(const std::string& rel) const {
    if (rel.starts_with("..") || (!rel.empty() && rel[0] == '/')) {
      std::error_code ec;
      return fs::is_regular_file(rel[0] == '/' ? fs::path(rel) : m_base_abs / rel, ec);
    }
    return m_files.contains(rel);
  }
  bool is_dir(const std::string& rel) const {
    if (rel.starts_with("..") || (!rel.empty() && rel[0] == '/')) {
      std::error_code ec;
      return fs::is_directory(rel[0] == '/' ? fs::path(rel) : m_base_abs / rel, ec);
    }
    return rel.empty() || m_dirs.contains(rel);
  }
  // The directory of the file as a path the index understands.
  std::string dir_of(const FileCtx& f) const {
    return f.inside ? parent_of(f.rel) : f.abs_dir.generic_string();
  }

  // --- Python ---

  // A module or package at `path` (without extension).
  bool py_module_at(const std::string& path) const {
    if (is_file(path + ".py") || is_file(path + ".pyi")) return true;
    if (is_dir(path) && !path.empty()) {
      return m_py_dirs.contains(path) || is_file(path + "/__init__.py") || has_subdirs_with_py(path);
    }
    // extension modules: name.cpython-311-x86_64-linux-gnu.so, name.so, name.pyd
    const std::string dir = parent_of(path);
    const std::string stem = path.substr(dir.empty() ? 0 : dir.size() + 1);
    for (const char* ext : {".so", ".pyd", ".abi3.so"}) {
      if (is_file(path + ext)) return true;
    }
    if (dir.empty() || m_dirs.contains(dir)) {
      const std::string prefix = join(dir, stem) + ".";
      auto lo = m_file_order_lower_bound(prefix);
      for (; lo != m_file_list.end() && lo->starts_with(prefix); ++lo) {
        if (lo->ends_with(".so") && lo->find('/', prefix.size()) == std::string::npos) return true;
      }
    }
    return false;
  }

  std::vector<std::string>::const_iterator m_file_order_lower_bound(const std::string& prefix) const {
    return std::lower_bound(m_file_list.begin(), m_file_list.end(), prefix);
  }

  bool has_subdirs_with_py(const std::string& dir) const {
    const std::string prefix = dir + "/";
    for (auto it = m_file_order_lower_bound(prefix); it != m_file_list.end() && it->starts_with(prefix); ++it) {
      if (it->ends_with(".py") || it->ends_with(".pyi")) return true;
    }
    return false;
  }

  std::vector<std::string> py_roots(const FileCtx& f) const {
    std::vector<std::string> roots;
    if (!f.inside) {
      roots.push_back(f.abs_dir.generic_string());
      return roots;
    }
    std::string d = parent_of(f.rel);
    while (true) {
      roots.push_back(d);
      if (d.empty()) break;
      d = parent_of(d);
    }
    for (const char* extra : {"src", "lib", "python"}) {
      if (m_dirs.contains(extra)) roots.emplace_back(extra);
    }
    return roots;
  }

  std::vector<std::string> py_dist_candidates(const std::vector<std::string_view>& parts) const {
    std::vector<std::string> c;
    const std::string top(parts[0]);
    c.push_back(normalize_dist(top));
    if (auto it = m_py_map.find(top); it != m_py_map.end()) c.insert(c.end(), it->second.begin(), it->second.end());
    if (auto it = m_opt.toolchain.python_import_dists.find(top); it != m_opt.toolchain.python_import_dists.end()) {
      for (const auto& d : it->second) c.push_back(normalize_dist(d));
    }
    std::string joined = top;
    for (size_t i = 1; i < parts.size(); ++i) {
      joined += "-" + std::string(parts[i]);
      c.push_back(normalize_dist(joined));
    }
    const std::string n = normalize_dist(top);
    for (const std::string& v : {"python-" + n, n + "-python", "py" + n, "py-" + n, n + "-py", n + "py"}) c.push_back(v);
    if (n.starts_with("py") && n.size() > 3) c.push_back(n.substr(2));
    return c;
  }

  std::string python_import(const FileCtx& f, const Reference& r, std::string& key) const {
    const std::string& name = r.name;
    if (name.starts_with(".")) {
      size_t dots = 0;
      while (dots < name.size() && name[dots] == '.') ++dots;
      std::string dir = dir_of(f);
      for (size_t i = 1; i < dots; ++i) dir = parent_of(dir);
      std::vector<std::string_view> parts = split_dots(std::string_view(name).substr(dots));
      std::string path = dir;
      for (auto p : parts) path = join(path, p);
      if (py_module_at(path)) return {};
      if (r.member) {  // from . import x: x may be defined in the package's __init__
        const std::string pkg = parent_of(path);
        std::string init;
        if (auto t = read_workspace_file(join(pkg, "__init__.py"))) init = std::move(*t);
        else if (auto t2 = read_workspace_file(join(pkg, "__init__.pyi"))) init = std::move(*t2);
        if (word_in(init, parts.back())) return {};
        if (is_file(pkg + ".py")) return {};  // from .mod import name where the ref was ".mod.name"
      }
      return fmt::format("unresolved python import \"{}\" (relative import: no module {}.py or package {}/ in {})",
                         name, parts.back(), parts.back(), dir.empty() ? "the workspace root" : dir + "/");
    }
    std::vector<std::string_view> parts = split_dots(name);
    const std::string top(parts[0]);
    key = top;
    if (m_py_std.contains(top)) return {};
    // Local: the top-level name as a module or package in one of the roots.
    for (const std::string& root : py_roots(f)) {
      std::string path = join(root, top);
      if (!py_module_at(path)) continue;
      std::string have = path;
      for (size_t i = 1; i < parts.size(); ++i) {
        std::string next = join(have, parts[i]);
        if (!py_module_at(next)) {
          if (declared_python(parts) || installed_python(top)) return {};
          key.clear();
          return fmt::format(
              "unresolved python import \"{}\" ({} is in the workspace at {}, but it has no module {})", name,
              std::string_view(name).substr(0, static_cast<size_t>(parts[i].data() - name.data()) - 1),
              have + (is_dir(have) ? "/" : ".py"), parts[i]);
        }
        have = std::move(next);
      }
      return {};
    }
    if (declared_python(parts)) return {};
    if (installed_python(top)) return {};
    std::string where = m_manifests.python_files.empty()
                            ? std::string("no requirements.txt, pyproject.toml or Pipfile found")
                            : "not declared in " + list_or(m_manifests.python_files);
    return fmt::format("unresolved python import \"{}\" (not stdlib, not in the workspace, {}{})", name, where,
                       m_opt.toolchain.python_paths.empty() ? "" : ", not installed");
  }

  std::optional<std::string> read_workspace_file(const std::string& rel) const {
    if (!is_file(rel)) return std::nullopt;
    auto t = base::read_file(rel[0] == '/' ? fs::path(rel) : m_base_abs / rel);
    if (!t) return std::nullopt;
    return std::move(*t);
  }

  bool declared_python(const std::vector<std::string_view>& parts) const {
    for (const std::string& c : py_dist_candidates(parts))
      if (m_manifests.python.contains(c)) return true;
    return false;
  }

  bool installed_python(const std::string& top) const { return m_py_installed.contains(top); }

  std::string python_package(const Reference& r, std::string& key) const {
    const std::string n = normalize_dist(r.name);
    key = n;
    if (m_manifests.python.contains(n) || m_py_installed_dists.contains(n) || m_py_known_dists.contains(n)) return {};
    if (n == "pip" || n == "setuptools" || n == "wheel" || n == "uv") return {};
    return fmt::format("unknown python package \"{}\" in an install command (not declared in {}, not installed, "
                       "not a known distribution)",
                       r.name, m_manifests.python_files.empty() ? std::string("any manifest") : list_or(m_manifests.python_files));
  }

  // --- JavaScript / TypeScript ---

  bool js_resolve_file(const std::string& target) const {
    if (is_file(target)) return true;
    for (auto ext : k_js_exts)
      if (is_file(target + std::string(ext))) return true;
    for (std::string_view js : {".js", ".jsx", ".mjs", ".cjs"}) {
      if (target.ends_with(js)) {
        const std::string stem = target.substr(0, target.size() - js.size());
        for (std::string_view ts : {".ts", ".tsx", ".mts", ".cts", ".d.ts", ".d.mts", ".d.cts"})
          if (is_file(stem + std::string(ts))) return true;
      }
    }
    if (is_dir(target)) {
      if (is_file(join(target, "package.json"))) return true;
      for (auto ext : k_js_exts)
        if (is_file(join(target, "index" + std::string(ext)))) return true;
    }
    return false;
  }

  static bool alias_match(std::string_view pattern, std::string_view spec, std::string& star) {
    const size_t s = pattern.find('*');
    if (s == std::string_view::npos) {
      star.clear();
      return pattern == spec;
    }
    std::string_view pre = pattern.substr(0, s), post = pattern.substr(s + 1);
    if (spec.size() < pre.size() + post.size() || !spec.starts_with(pre) || !spec.ends_with(post)) return false;
    star = std::string(spec.substr(pre.size(), spec.size() - pre.size() - post.size()));
    return true;
  }

  // tsconfig paths and package.json imports: true when an alias matches and a target exists.
  // `mapped` gets the package a "#x" import maps to when that package is neither declared nor
  // installed.
  bool js_alias(const FileCtx& f, const std::string& spec, bool& matched, std::string& mapped) const {
    matched = false;
    for (const PathAlias& a : m_manifests.aliases) {
      std::string star;
      if (!alias_match(a.pattern, spec, star)) continue;
      matched = true;
      for (const std::string& t : a.targets) {
        std::string target = t;
        if (const size_t s = target.find('*'); s != std::string::npos) target.replace(s, 1, star);
        if (!target.starts_with("./") && !target.starts_with("../") && !target.starts_with("/") && spec.starts_with("#")) {
          const std::string pkg = npm_package(target);  // "#x": "some-package": must be a dependency
          if (declared_js(pkg) || installed_js(f, pkg)) return true;
          mapped = pkg;
          continue;
        }
        if (js_resolve_file(normal(join(a.dir, target)))) return true;
      }
    }
    return false;
  }

  bool declared_js(const std::string& pkg) const {
    if (m_manifests.npm.contains(pkg) || m_manifests.npm_local.contains(pkg)) return true;
    if (!pkg.starts_with("@") && m_manifests.npm.contains("@types/" + pkg)) return true;
    return false;
  }

  bool installed_js(const FileCtx& f, const std::string& pkg) const {
    fs::path dir = f.inside ? m_base_abs / parent_of(f.rel) : f.abs_dir;
    std::error_code ec;
    for (int guard = 0; guard < 64; ++guard) {
      if (fs::exists(dir / "node_modules" / pkg, ec)) return true;
      if (!dir.has_parent_path() || dir.parent_path() == dir) break;
      dir = dir.parent_path();
    }
    return false;
  }

  std::string js_import(const FileCtx& f, const Reference& r, std::string& key) const {
    const std::string& spec = r.name;
    if (spec.starts_with("node:")) {
      if (m_node_builtins.contains(spec) || m_node_builtins.contains(spec.substr(5))) return {};
      key = spec.substr(5);
      return fmt::format("unresolved javascript import \"{}\" (not a Node.js built-in module)", spec);
    }
    if (spec.find("://") != std::string::npos || spec.starts_with("data:") || spec.starts_with("bun:") ||
        spec.starts_with("virtual:") || spec.starts_with("jsr:") || spec.starts_with("npm:")) {
      return {};  // URLs and loader schemes: outside what an offline check can see
    }
    if (spec.starts_with("./") || spec.starts_with("../") || spec == "." || spec == ".." || spec.starts_with("/")) {
      const std::string target = spec.starts_with("/") ? spec : normal(join(dir_of(f), spec));
      if (js_resolve_file(target)) return {};
      return fmt::format("unresolved javascript import \"{}\" (no file {} with a .js/.ts/... extension or index file)",
                         spec, target);
    }
    if (m_node_builtins.contains(spec)) return {};
    bool matched = false;
    std::string mapped;
    if (js_alias(f, spec, matched, mapped)) return {};
    for (const std::string& b : m_manifests.ts_base_dirs)
      if (js_resolve_file(normal(join(b, spec)))) return {};
    if (spec.starts_with("#") && !mapped.empty()) {
      key = mapped;
      return fmt::format(
          "unresolved javascript import \"{}\" (package.json \"imports\" maps it to \"{}\", which is not declared in "
          "package.json)",
          spec, mapped);
    }
    if (spec.starts_with("#")) {
      return fmt::format("unresolved javascript import \"{}\" (no matching entry in package.json \"imports\")", spec);
    }
    const std::string pkg = npm_package(spec);
    key = pkg;
    if (declared_js(pkg)) return {};
    if (installed_js(f, pkg)) return {};
    if (matched) {
      return fmt::format("unresolved javascript import \"{}\" (matches a tsconfig paths alias, but no file exists)", spec);
    }
    return fmt::format("unresolved javascript import \"{}\" (not a Node.js built-in, not in the workspace, {})", spec,
                       m_manifests.npm_files.empty() ? std::string("no package.json found")
                                                     : "not declared in package.json");
  }

  std::string js_package(const Reference& r, std::string& key) const {
    key = r.name;
    if (declared_js(r.name)) return {};
    std::error_code ec;
    if (fs::exists(m_base_abs / "node_modules" / r.name, ec)) return {};
    if (r.name == "npm" || r.name == "pnpm" || r.name == "yarn" || r.name == "corepack") return {};
    return fmt::format("unknown javascript package \"{}\" in an install command (not declared in package.json, "
                       "not installed)",
                       r.name);
  }

  // --- Go ---

  static bool path_prefix(std::string_view path, std::string_view mod) {
    return path == mod || (path.starts_with(mod) && path.size() > mod.size() && path[mod.size()] == '/');
  }

  std::string go_import(const Reference& r, std::string& key) const {
    const std::string& p = r.name;
    key = p;
    // Main modules first: a module path without a dot ("myapp/internal/x") is not the stdlib.
    const GoModule* main = nullptr;
    for (const GoModule& m : m_manifests.go_modules)
      if (path_prefix(p, m.path) && (!main || m.path.size() > main->path.size())) main = &m;
    if (main) {
      if (r.kind == RefKind::package) return {};
      const std::string_view sub = p.size() > main->path.size() ? std::string_view(p).substr(main->path.size() + 1) : "";
      const std::string dir = normal(join(main->dir, sub));
      if (m_go_dirs.contains(dir)) return {};
      key.clear();
      return fmt::format("unresolved go import \"{}\" (module {} is in the workspace, but it has no package {}/)",
                         p, main->path, dir.empty() ? "." : dir);
    }
    const std::string_view first = std::string_view(p).substr(0, p.find('/'));
    if (p == "C" || first.find('.') == std::string_view::npos) {
      if (r.kind == RefKind::package && first != "cmd" && first != "golang.org") {
        // go install std-tool: fine; anything else without a dot is not a module path
      }
      return {};
    }
    for (const std::string& req : m_manifests.go_requires)
      if (path_prefix(p, req)) return {};
    return fmt::format("unresolved go {} \"{}\" (not in the standard library, not in a main module, {})",
                       r.kind == RefKind::package ? "module" : "import", p,
                       m_manifests.go_files.empty() ? std::string("no go.mod found") : "not required in go.mod");
  }

  // --- C / C++ ---

  std::string c_include(const FileCtx& f, const Reference& r, std::string& key) const {
    const std::string& h = r.name;
    key = h;
    if (r.quoted_include) {
      if (exists(f, normal(join(dir_of(f), h)))) return {};
    }
    if (m_c_headers.contains(h)) return {};
    for (const std::string& p : m_c_prefixes)
      if (h.starts_with(p)) return {};
    // Local: relative to the including file's ancestors (project-root-relative includes), the
    // workspace's include/ directories and compile_commands.json's -I directories.
    if (f.inside) {
      std::string d = parent_of(f.rel);
      while (true) {
        if (is_file(normal(join(d, h)))) return {};
        if (d.empty()) break;
        d = parent_of(d);
      }
    }
    for (const std::string& inc : m_include_dirs)
      if (is_file(normal(join(inc, h)))) return {};
    std::error_code ec;
    for (const std::string& inc : m_manifests.include_dirs) {
      fs::path p = fs::path(inc).is_absolute() ? fs::path(inc) / h : m_base_abs / inc / h;
      if (fs::exists(p, ec)) return {};
    }
    for (const fs::path& inc : m_opt.toolchain.c_include_dirs)
      if (fs::exists(inc / h, ec)) return {};
    return fmt::format("unresolved c include \"{}\" (not a standard header, not in the workspace{})", h,
                       m_opt.toolchain.c_include_dirs.empty() ? "" : ", not in the compiler's include directories");
  }

  std::string debian_package(const Reference& r, std::string& key) const {
    key = r.name;
    if (m_debian.contains(r.name)) return {};
    if (m_debian.empty()) {
      return fmt::format("unknown debian package \"{}\" in an install command (no package lists on this machine to "
                         "check it against)",
                         r.name);
    }
    return fmt::format("unknown debian package \"{}\" in an install command (not installed, not in the apt package lists)",
                       r.name);
  }

  std::string rust_package(const Reference& r, std::string& key) const {
    key = r.name;
    if (m_manifests.rust.contains(r.name)) return {};
    return fmt::format("unknown rust crate \"{}\" in an install command (not declared in Cargo.toml)", r.name);
  }

  // --- images ---

  std::string image(const Reference& r, std::string& key) const {
    (void)key;
    auto parsed = parse_image(r.name);
    if (!parsed) return parsed.error().message;
    if (!m_opt.images.allow.empty()) {
      bool ok = false;
      for (const std::string& g : m_opt.images.allow) ok = ok || image_matches(g, *parsed, r.name);
      if (!ok) {
        return fmt::format("image \"{}\" is not from an allowed registry ({} matches none of references.images.allow)",
                           r.name, parsed->repository());
      }
    }
    if (m_opt.images.require_digest && parsed->digest.empty()) {
      return fmt::format("image \"{}\" has no digest (references.images.require_digest is set: pin it as name@sha256:...)",
                         r.name);
    }
    return {};
  }

  static bool image_matches(const std::string& glob, const ImageRef& ref, std::string_view written) {
    std::string_view bare = written.substr(0, written.find('@'));
    const size_t slash = bare.rfind('/');
    const size_t colon = bare.rfind(':');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) bare = bare.substr(0, colon);
    if (glob == ref.domain) return true;
    return base::glob_match(glob, ref.repository()) || base::glob_match(glob, bare) ||
           base::glob_match(glob, ref.domain + "/" + ref.path.substr(ref.path.starts_with("library/") ? 8 : 0));
  }

  // --- allow list and suggestions ---

  bool allowed(const Reference& r) const {
    if (m_allow.empty()) return false;
    std::vector<std::string> cands{r.name};
    switch (r.ecosystem) {
      case Ecosystem::python: cands.emplace_back(split_dots(r.name)[0]); break;
      case Ecosystem::javascript: cands.push_back(npm_package(r.name)); break;
      case Ecosystem::go:
        for (size_t s = r.name.find('/'); s != std::string::npos; s = r.name.find('/', s + 1)) cands.push_back(r.name.substr(0, s));
        break;
      case Ecosystem::image:
        if (auto p = parse_image(r.name)) {
          cands.push_back(p->repository());
          cands.push_back(p->domain);
        }
        break;
      default: break;
    }
    for (const AllowEntry& a : m_allow) {
      if (a.ecosystem && *a.ecosystem != r.ecosystem) continue;
      for (const std::string& c : cands)
        if (a.pattern == c || base::glob_match(a.pattern, c)) return true;
    }
    return false;
  }

  std::string suggest(Ecosystem eco, const std::string& word) const {
    const std::vector<std::string>* known = nullptr;
    switch (eco) {
      case Ecosystem::python: known = &m_known_py; break;
      case Ecosystem::javascript: known = &m_known_js; break;
      case Ecosystem::c: known = &m_known_c; break;
      case Ecosystem::go: known = &m_known_go; break;
      default: return {};
    }
    if (word.size() < 4) return {};
    size_t best_d = 3;
    std::string best;
    for (const std::string& k : *known) {
      if (k == word) return {};
      const size_t diff = k.size() > word.size() ? k.size() - word.size() : word.size() - k.size();
      if (diff > 2) continue;
      const size_t d = base::edit_distance(word, k);
      if (d < best_d && d * 3 <= word.size()) {
        best_d = d;
        best = k;
      }
    }
    return best;
  }

  // --- public entry points ---

  FileCtx context_for(const std::string& display) const {
    FileCtx f;
    f.display = display;
    std::error_code ec;
    fs::path abs = fs::absolute(display, ec).lexically_normal();
    std::string rel = abs.lexically_relative(m_base_abs).generic_string();
    if (rel.empty() || rel.starts_with("..")) {
      f.inside = false;
      f.abs_dir = abs.parent_path();
      f.rel = abs.generic_string();
    } else {
      f.rel = rel;
    }
    return f;
  }

  void check_file(const std::string& display, Report& report) const {
    const FileType type = file_type(display);
    if (type == FileType::other) return;
    auto text = base::read_file(display);
    if (!text) {
      report.errors.push_back(text.error().message);
      return;
    }
    ++report.files;
    std::vector<Reference> refs = extract(type, *text);
    report.references += refs.size();
    std::vector<Finding> found = check_refs(context_for(display), refs);
    report.findings.insert(report.findings.end(), std::make_move_iterator(found.begin()),
                           std::make_move_iterator(found.end()));
  }

  Report check_paths(const std::vector<std::string>& paths) const {
    Report report;
    report.warnings = m_manifests.warnings;
    for (const std::string& p : paths) {
      std::error_code ec;
      const fs::file_status st = fs::status(p, ec);
      if (ec || !fs::exists(st)) {
        report.errors.push_back(fmt::format("{}: no such file or directory", p));
        continue;
      }
      if (!fs::is_directory(st)) {
        check_file(p, report);
        continue;
      }
      std::vector<std::string> files;
      fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
      for (; !ec && it != end; it.increment(ec)) {
        std::error_code tec;
        if (it->is_directory(tec)) {
          if (skipped_dir(it->path().filename().string())) it.disable_recursion_pending();
          continue;
        }
        std::string path = it->path().generic_string();
        if (path.starts_with("./") && !std::string_view(p).starts_with("./")) path = path.substr(2);
        if (file_type(path) != FileType::other) files.push_back(std::move(path));
      }
      std::sort(files.begin(), files.end());
      for (const std::string& f : files) check_file(f, report);
    }
    report.findings.insert(report.findings.begin(), m_manifests.lock_findings.begin(), m_manifests.lock_findings.end());
    return report;
  }

  std::vector<Finding> check_text(std::string_view rel, std::string_view text, const std::string& display) const {
    FileCtx f;
    f.rel = normal(rel);
    f.display = display;
    return check_refs(f, extract(file_type(rel), text));
  }

  const Manifests& manifests() const { return m_manifests; }

 private:
  CheckOptions m_opt;
  fs::path m_base_abs;
  std::unordered_set<std::string> m_files, m_dirs, m_py_dirs, m_go_dirs;
  std::vector<std::string> m_file_list;  // sorted
  std::vector<std::string> m_include_dirs;
  std::unordered_set<std::string> m_py_std, m_node_builtins, m_c_headers, m_py_installed, m_py_installed_dists,
      m_py_known_dists, m_debian;
  std::vector<std::string> m_c_prefixes;
  std::unordered_map<std::string, std::vector<std::string>> m_py_map;
  Manifests m_manifests;
  std::vector<AllowEntry> m_allow;
  std::vector<std::string> m_known_py, m_known_js, m_known_c, m_known_go;
};

Expected<std::unique_ptr<Checker>> Checker::create(CheckOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  if (auto ok = impl->init(); !ok) return tl::unexpected(ok.error());
  return std::unique_ptr<Checker>(new Checker(std::move(impl)));
}

Checker::Checker(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Checker::~Checker() = default;

Report Checker::check_paths(const std::vector<std::string>& paths) const { return m_impl->check_paths(paths); }

std::vector<Finding> Checker::check_text(std::string_view rel, std::string_view text, const std::string& display) const {
  return m_impl->check_text(rel, text, display);
}

const Manifests& Checker::manifests() const { return m_impl->manifests(); }

std::vector<std::string> parse_allow_file(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view l : data_lines(text)) {
    const size_t hash = l.find(" #");
    if (hash != std::string_view::npos) l = l.substr(0, hash);
    while (!l.empty() && (l.back() == ' ' || l.back() == '\t')) l.remove_suffix(1);
    if (!l.empty()) out.emplace_back(l);
  }
  return out;
}

}  // namespace sluice::refs
