#include "pipeline/expand.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/files.h"
#include "base/strings.h"

namespace sluice::pipeline {
namespace yaml = base::yaml;
namespace fs = std::filesystem;
using base::quote;

yaml::Mark mark_in_scalar(const yaml::Node& n, size_t offset) {
  yaml::Mark m = n.mark;
  std::string_view s = n.scalar;
  offset = std::min(offset, s.size());
  size_t newlines = static_cast<size_t>(std::count(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
  const bool block = n.style == yaml::ScalarStyle::literal || n.style == yaml::ScalarStyle::folded;
  if (block) {
    // The mark is at the indicator ("|"); the text starts on the next line, indented.
    m.line += 1 + static_cast<int>(newlines);
    size_t line_start = s.rfind('\n', offset == 0 ? 0 : offset - 1);
    line_start = line_start == std::string_view::npos || offset == 0 ? 0 : line_start + 1;
    m.column += 2 + static_cast<int>(offset - line_start);
    return m;
  }
  if (newlines > 0) {
    m.line += static_cast<int>(newlines);
    return m;
  }
  const bool quoted = n.style == yaml::ScalarStyle::single_quoted || n.style == yaml::ScalarStyle::double_quoted;
  (void)quoted;  // the parsers mark a quoted scalar at its quote or at its text: either reads right
  m.column += static_cast<int>(offset);
  return m;
}

namespace {

constexpr size_t k_max_combinations = 1000;
constexpr int k_max_include_depth = 16;

bool has_placeholder(const yaml::Node& n) {
  if (n.is_scalar()) return n.scalar.find("${{") != std::string::npos;
  for (const auto& i : n.items) {
    if (has_placeholder(i)) return true;
  }
  for (const auto& e : n.entries) {
    if (e.key.scalar == "if") continue;  // read as an expression, not substituted
    if (has_placeholder(e.value)) return true;
  }
  return false;
}

// Deep merge: `over` wins; mappings merge key by key; anything else (lists too) is replaced.
yaml::Node merge(const yaml::Node& base, const yaml::Node& over) {
  if (!base.is_map() || !over.is_map()) return over;
  yaml::Node out = base;
  out.mark = over.mark;
  for (const auto& e : over.entries) {
    auto it = std::find_if(out.entries.begin(), out.entries.end(),
                           [&](const yaml::MapEntry& x) { return x.key.scalar == e.key.scalar; });
    if (it == out.entries.end()) {
      out.entries.push_back(e);
    } else {
      it->key = e.key;
      it->value = merge(it->value, e.value);
    }
  }
  return out;
}

void remove_key(yaml::Node& map, std::string_view key) {
  std::erase_if(map.entries, [&](const yaml::MapEntry& e) { return e.key.scalar == key; });
}

struct Template {
  std::string file;
  const yaml::Node* node = nullptr;
  const yaml::Node* key = nullptr;
};

class Expander {
 public:
  Expander(const std::string& file, const EnvList& params, base::Diagnostics& diags)
      : m_main(file), m_params(params), m_diags(diags), m_out(std::make_unique<Expansion>()) {}

  std::unique_ptr<Expansion> run(const yaml::Node& root) {
    std::vector<std::string> chain{canonical(m_main)};
    collect_file(root, m_main, chain, 0);
    for (const auto& [file, entry] : m_stage_entries) expand_stage(file, *entry);
    return std::move(m_out);
  }

 private:
  void error(const std::string& file, const yaml::Mark& at, std::string msg) {
    m_diags.push_back({file, at.line, at.column, std::move(msg)});
  }

  static std::string canonical(const std::string& f) {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(fs::absolute(f, ec), ec);
    return p.string();
  }

  // Reads a file's include, templates, env and stages (included files' first, in list order).
  void collect_file(const yaml::Node& root, const std::string& file, std::vector<std::string>& chain, int depth) {
    if (const auto* inc = root.find("include")) {
      std::vector<const yaml::Node*> items;
      if (inc->is_seq()) {
        for (const auto& i : inc->items) items.push_back(&i);
      } else {
        items.push_back(inc);
      }
      for (const auto* item : items) {
        if (!item->is_scalar() || item->is_null()) {
          error(file, item->mark, "\"include\" is a list of relative paths to YAML files");
          continue;
        }
        include_one(*item, file, chain, depth);
      }
    }
    if (const auto* t = root.find("templates")) {
      if (!t->is_map()) {
        error(file, t->mark, "\"templates\" must be a mapping of template name to stage keys");
      } else {
        for (const auto& e : t->entries) {
          if (!e.value.is_map()) {
            error(file, e.value.mark, fmt::format("template {} must be a mapping of stage keys", quote(e.key.scalar)));
            continue;
          }
          auto [it, fresh] = m_templates.emplace(e.key.scalar, Template{file, &e.value, &e.key});
          if (!fresh) {
            error(file, e.key.mark, fmt::format("template {} is defined twice (also at {}:{})", quote(e.key.scalar),
                                                it->second.file, it->second.key->mark.line));
          }
        }
      }
    }
    if (const auto* e = root.find("env")) m_out->envs.emplace_back(file == m_main ? "" : file, e);
    if (const auto* s = root.find("stages"); s != nullptr && s->is_map()) {
      for (const auto& e : s->entries) {
        auto [it, fresh] = m_stage_files.emplace(e.key.scalar, m_files.emplace(file).first->c_str());
        if (!fresh) {
          error(file, e.key.mark, fmt::format("stage {} is defined twice (also in {})", quote(e.key.scalar), it->second));
          continue;
        }
        m_stage_entries.emplace_back(file, &e);
      }
    } else if (s != nullptr && file != m_main) {
      error(file, s->mark, "\"stages\" must be a mapping of stage name to stage");
    }
  }

  void include_one(const yaml::Node& item, const std::string& file, std::vector<std::string>& chain, int depth) {
    const std::string& rel = item.scalar;
    if (rel.find("://") != std::string::npos) {
      error(file, item.mark, fmt::format("include {}: only local files can be included (no network)", quote(rel)));
      return;
    }
    if (!rel.empty() && rel[0] == '/') {
      error(file, item.mark, fmt::format("include {}: use a path relative to {}", quote(rel), file));
      return;
    }
    fs::path path = fs::path(file).parent_path() / rel;
    std::string shown = path.lexically_normal().string();
    std::string canon = canonical(path.string());
    if (std::find(chain.begin(), chain.end(), canon) != chain.end()) {
      error(file, item.mark, fmt::format("include cycle: {} includes {}, which is already being read", file, shown));
      return;
    }
    if (depth >= k_max_include_depth) {
      error(file, item.mark, "includes nest too deeply (at most 16 levels)");
      return;
    }
    if (std::find(m_read.begin(), m_read.end(), canon) != m_read.end()) return;  // a diamond: read once
    auto text = base::read_file(path);
    if (!text) {
      error(file, item.mark, fmt::format("include {}: {}", quote(rel), text.error().message));
      return;
    }
    auto docs = yaml::parse(*text, shown);
    if (!docs) {
      for (const auto& line : base::split(docs.error().message, '\n')) m_diags.push_back({"", 0, 0, std::string(line)});
      return;
    }
    m_read.push_back(canon);
    m_out->included.push_back(shown);
    const yaml::Document* doc = nullptr;
    for (auto& d : *docs) {
      if (!d.empty) {
        m_out->docs.push_back(std::move(d));
        doc = &m_out->docs.back();
        break;
      }
    }
    if (doc == nullptr) return;  // an empty file adds nothing
    if (!doc->root.is_map()) {
      error(shown, doc->root.mark, "an included file must be a mapping with templates, env or stages");
      return;
    }
    static const std::vector<std::string_view> k_keys{"include", "templates", "env", "stages"};
    for (const auto& e : doc->root.entries) {
      if (std::find(k_keys.begin(), k_keys.end(), e.key.scalar) == k_keys.end()) {
        error(shown, e.key.mark,
              fmt::format("unknown key {} in an included file (allowed: include, templates, env, stages)",
                          quote(e.key.scalar)));
      }
    }
    chain.push_back(canon);
    collect_file(doc->root, shown, chain, depth + 1);
    chain.pop_back();
  }

  // The template `name` with its own `extends` applied; nullopt after reporting a problem.
  std::optional<yaml::Node> resolve_template(const std::string& name, const yaml::Node& at, const std::string& file,
                                             std::vector<std::string>& stack) {
    auto it = m_templates.find(name);
    if (it == m_templates.end()) {
      std::vector<std::string> names;
      for (const auto& [n, t] : m_templates) names.push_back(n);
      auto hint = base::closest_match(name, std::span<const std::string>(names));
      error(file, at.mark, fmt::format("extends {}: no such template{}", quote(name),
                                       hint ? fmt::format(" (did you mean {}?)", quote(*hint)) : ""));
      return std::nullopt;
    }
    if (std::find(stack.begin(), stack.end(), name) != stack.end()) {
      stack.push_back(name);
      error(file, at.mark, fmt::format("template cycle: {}", fmt::join(stack, " -> ")));
      stack.pop_back();
      return std::nullopt;
    }
    stack.push_back(name);
    auto r = apply_extends(*it->second.node, it->second.file, stack);
    stack.pop_back();
    return r;
  }

  // `node` (a mapping) with the templates it extends merged underneath it.
  std::optional<yaml::Node> apply_extends(const yaml::Node& node, const std::string& file,
                                          std::vector<std::string>& stack) {
    const yaml::Node* ext = node.find("extends");
    if (ext == nullptr) return node;
    std::vector<const yaml::Node*> names;
    if (ext->is_seq()) {
      for (const auto& i : ext->items) names.push_back(&i);
    } else {
      names.push_back(ext);
    }
    yaml::Node merged;
    merged.kind = yaml::NodeKind::mapping;
    bool ok = true;
    for (const auto* n : names) {
      if (!n->is_scalar() || n->is_null()) {
        error(file, n->mark, "\"extends\" is a template name or a list of them");
        ok = false;
        continue;
      }
      auto t = resolve_template(n->scalar, *n, file, stack);
      if (!t) {
        ok = false;
        continue;
      }
      merged = merge(merged, *t);
    }
    if (!ok) return std::nullopt;
    yaml::Node own = node;
    remove_key(own, "extends");
    yaml::Node out = merge(merged, own);
    out.mark = node.mark;
    return out;
  }

  // The combinations of a `matrix:` mapping, each as (key, value) pairs in key order.
  std::vector<EnvList> combinations(const yaml::Node& m, const std::string& file, const std::string& stage) {
    std::vector<EnvList> combos{{}};
    std::vector<std::string> axes;
    const yaml::Node* include = nullptr;
    const yaml::Node* exclude = nullptr;
    auto scalar_text = [&](const yaml::Node& v) -> std::optional<std::string> {
      if (v.is_scalar() && !v.is_null()) return v.scalar;
      error(file, v.mark, fmt::format("matrix values of stage {} must be strings, numbers or booleans", quote(stage)));
      return std::nullopt;
    };
    for (const auto& e : m.entries) {
      if (e.key.scalar == "include") {
        include = &e.value;
        continue;
      }
      if (e.key.scalar == "exclude") {
        exclude = &e.value;
        continue;
      }
      if (!e.value.is_seq() || e.value.items.empty()) {
        error(file, e.value.mark, fmt::format("matrix {} of stage {} must be a non-empty list of values",
                                              quote(e.key.scalar), quote(stage)));
        return {};
      }
      axes.push_back(e.key.scalar);
      std::vector<EnvList> next;
      for (const auto& c : combos) {
        for (const auto& v : e.value.items) {
          auto t = scalar_text(v);
          if (!t) return {};
          EnvList n = c;
          n.emplace_back(e.key.scalar, *t);
          next.push_back(std::move(n));
        }
        if (next.size() > k_max_combinations) {
          error(file, m.mark, fmt::format("the matrix of stage {} has more than {} combinations", quote(stage),
                                          k_max_combinations));
          return {};
        }
      }
      combos = std::move(next);
    }
    if (axes.empty()) combos.clear();
    auto read_list = [&](const yaml::Node* list, std::string_view what) {
      std::vector<EnvList> out;
      if (list == nullptr) return out;
      if (!list->is_seq()) {
        error(file, list->mark, fmt::format("matrix {} must be a list of mappings", what));
        return out;
      }
      for (const auto& item : list->items) {
        if (!item.is_map()) {
          error(file, item.mark, fmt::format("items of matrix {} must be mappings such as {{ os: alpine }}", what));
          continue;
        }
        EnvList kv;
        for (const auto& e : item.entries) {
          if (auto t = scalar_text(e.value)) kv.emplace_back(e.key.scalar, *t);
        }
        out.push_back(std::move(kv));
      }
      return out;
    };
    auto value_in = [](const EnvList& c, const std::string& k) -> const std::string* {
      for (const auto& [ck, cv] : c) {
        if (ck == k) return &cv;
      }
      return nullptr;
    };
    // exclude: drop every combination matching all of an entry's pairs (as GitHub Actions).
    for (const auto& ex : read_list(exclude, "exclude")) {
      std::erase_if(combos, [&](const EnvList& c) {
        return std::all_of(ex.begin(), ex.end(), [&](const auto& kv) {
          const std::string* v = value_in(c, kv.first);
          return v != nullptr && *v == kv.second;
        });
      });
    }
    // include: extends each original combination its axis values match without overwriting
    // any; an entry that extends none is a combination of its own.
    const size_t originals = combos.size();
    for (const auto& inc : read_list(include, "include")) {
      bool used = false;
      for (size_t ci = 0; ci < originals; ++ci) {
        EnvList& c = combos[ci];
        bool fits = std::all_of(inc.begin(), inc.end(), [&](const auto& kv) {
          if (std::find(axes.begin(), axes.end(), kv.first) == axes.end()) return true;
          const std::string* v = value_in(c, kv.first);
          return v != nullptr && *v == kv.second;
        });
        if (!fits) continue;
        used = true;
        for (const auto& kv : inc) {
          if (std::find(axes.begin(), axes.end(), kv.first) != axes.end()) continue;
          auto it = std::find_if(c.begin(), c.end(), [&](const auto& x) { return x.first == kv.first; });
          if (it == c.end()) c.push_back(kv);
          else it->second = kv.second;
        }
      }
      if (!used) combos.push_back(inc);
    }
    return combos;
  }

  // A load-time `${{ }}`: matrix and params values. Others (env, git, stages) stay for run time.
  class LoadScope final : public expr::Scope {
   public:
    LoadScope(const EnvList* matrix, const EnvList& params) : m_matrix(matrix), m_params(params) {}
    std::optional<expr::Value> lookup(const std::vector<std::string>& path) const override {
      const EnvList* from = path[0] == "matrix" ? m_matrix : path[0] == "params" ? &m_params : nullptr;
      if (from == nullptr || path.size() != 2) return std::nullopt;
      for (const auto& [k, v] : *from) {
        if (k == path[1]) return expr::Value{v};
      }
      return std::nullopt;
    }
    bool changed(const std::vector<std::string>&) const override { return true; }

   private:
    const EnvList* m_matrix;
    const EnvList& m_params;
  };

  void substitute_all(yaml::Node& n, const LoadScope& scope, const std::string& file) {
    if (n.is_scalar()) {
      if (n.scalar.find("${{") == std::string::npos) return;
      auto ph = expr::placeholders(n.scalar);
      if (!ph) {
        error(file, mark_in_scalar(n, ph.error().offset), ph.error().message);
        return;
      }
      const yaml::Node& at = n;
      std::string replaced = expr::substitute(n.scalar, *ph, [&](const expr::Placeholder& p) -> std::optional<std::string> {
        const Parsed* e = parsed(p.inner);
        if (!e->expr) {
          error(file, mark_in_scalar(at, p.begin + 3 + e->error.offset), e->error.message);
          return std::nullopt;
        }
        bool load_time = true;
        for (const auto& path : e->names) {
          if (path[0] != "matrix" && path[0] != "params") {
            load_time = false;
            continue;
          }
          if (!scope.lookup(path)) {
            error(file, mark_in_scalar(at, p.begin),
                  fmt::format("{} is not defined here ({})", quote(fmt::format("{}", fmt::join(path, "."))),
                              path[0] == "matrix" ? "the stage's matrix has no such key" : "no such entry in params"));
            return std::nullopt;
          }
        }
        if (!load_time) return std::nullopt;
        return expr::evaluate(*e->expr->root, scope).text();
      });
      n.scalar = std::move(replaced);
      return;
    }
    for (auto& i : n.items) substitute_all(i, scope, file);
    for (auto& e : n.entries) {
      if (e.key.scalar == "if") continue;
      substitute_all(e.value, scope, file);
    }
  }

  void push(const std::string& file, const yaml::MapEntry* entry, std::string name, EnvList matrix,
            std::string matrix_of) {
    m_out->stages.push_back({entry, std::move(name), file == m_main ? "" : file, std::move(matrix), std::move(matrix_of)});
  }

  void expand_stage(const std::string& file, const yaml::MapEntry& entry) {
    const yaml::Node& n = entry.value;
    const std::string& name = entry.key.scalar;
    const bool extends = n.is_map() && n.find("extends") != nullptr;
    const yaml::Node* matrix = n.is_map() ? n.find("matrix") : nullptr;
    const bool placeholders = n.is_map() && has_placeholder(n);
    if (!n.is_map() || (!extends && matrix == nullptr && !placeholders)) {
      push(file, &entry, name, {}, "");
      return;
    }
    yaml::Node body = n;
    if (extends) {
      std::vector<std::string> stack;
      auto merged = apply_extends(n, file, stack);
      if (merged) body = std::move(*merged);
      else remove_key(body, "extends");
      matrix = body.find("matrix");
    }
    if (matrix == nullptr) {
      yaml::MapEntry& e = m_out->owned.emplace_back(yaml::MapEntry{entry.key, std::move(body)});
      substitute_all(e.value, LoadScope(nullptr, m_params), file);
      push(file, &e, name, {}, "");
      m_out->stages.back().placeholders = true;
      return;
    }
    if (!matrix->is_map()) {
      error(file, matrix->mark, fmt::format("\"matrix\" of stage {} must be a mapping of key to list of values",
                                            quote(name)));
      push(file, &entry, name, {}, "");
      return;
    }
    const size_t errors_before = m_diags.size();
    auto combos = combinations(*matrix, file, name);
    if (combos.empty()) {
      if (m_diags.size() == errors_before) {
        error(file, matrix->mark, fmt::format("the matrix of stage {} has no combinations", quote(name)));
      }
      push(file, &entry, name, {}, "");
      return;
    }
    yaml::Node proto = body;
    remove_key(proto, "matrix");
    auto& names = m_out->matrix_groups[name];
    for (auto& combo : combos) {
      std::vector<std::string> parts;
      for (const auto& [k, v] : combo) parts.push_back(k + "=" + v);
      std::string full = fmt::format("{}[{}]", name, fmt::join(parts, ","));
      yaml::MapEntry& e = m_out->owned.emplace_back(yaml::MapEntry{entry.key, proto});
      e.key.scalar = full;
      substitute_all(e.value, LoadScope(&combo, m_params), file);
      names.push_back(full);
      push(file, &e, full, std::move(combo), name);
      m_out->stages.back().placeholders = true;
    }
  }

  // A matrix repeats each `${{ }}` once per combination: each text is parsed once.
  struct Parsed {
    std::shared_ptr<const expr::Expr> expr;
    expr::ParseError error;
    std::vector<std::vector<std::string>> names;
  };
  const Parsed* parsed(std::string_view inner) {
    auto it = m_parsed.find(inner);
    if (it != m_parsed.end()) return &it->second;
    Parsed p;
    if (auto e = expr::parse(inner)) {
      p.expr = *e;
      expr::collect_names(*p.expr->root, p.names);
    } else {
      p.error = e.error();
    }
    return &m_parsed.emplace(std::string(inner), std::move(p)).first->second;
  }

  std::string m_main;
  const EnvList& m_params;
  std::map<std::string, Parsed, std::less<>> m_parsed;
  base::Diagnostics& m_diags;
  std::unique_ptr<Expansion> m_out;
  std::map<std::string, Template> m_templates;
  std::set<std::string> m_files;
  std::unordered_map<std::string_view, const char*> m_stage_files;  // views into the YAML
  std::vector<std::pair<std::string, const yaml::MapEntry*>> m_stage_entries;
  std::vector<std::string> m_read;
};

}  // namespace

std::unique_ptr<Expansion> expand_pipeline(const yaml::Node& root, const std::string& file, const EnvList& params,
                                           base::Diagnostics& diags) {
  Expander ex(file, params, diags);
  return ex.run(root);
}

}  // namespace sluice::pipeline
