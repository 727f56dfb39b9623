#include "secrets/rule_loader.h"

#include <algorithm>
#include <cctype>
#include <string>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "secrets/embedded_rules.h"

namespace sluice::secrets {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Collects problems so that a file with several mistakes reports all of them at once.
class Diagnostics {
 public:
  explicit Diagnostics(std::string_view origin) : m_origin(origin) {}
  void add(const toml::source_region& where, std::string_view what) {
    m_lines.push_back(fmt::format("{}:{}:{}: {}", m_origin, where.begin.line, where.begin.column, what));
  }
  void add(std::string_view what) { m_lines.push_back(fmt::format("{}: {}", m_origin, what)); }
  [[nodiscard]] bool empty() const { return m_lines.empty(); }
  [[nodiscard]] std::string message() const {
    std::string out;
    for (const auto& l : m_lines) {
      if (!out.empty()) out += '\n';
      out += l;
    }
    return out;
  }
  [[nodiscard]] std::string where(const toml::node& n) const {
    return fmt::format("{}:{}", m_origin, n.source().begin.line);
  }

 private:
  std::string m_origin;
  std::vector<std::string> m_lines;
};

std::string rule_label(const std::string& id) { return id.empty() ? std::string("rule") : "rule \"" + id + "\""; }

// Reads a string array (or a single string) at `key`; reports wrong types.
std::vector<std::string> string_list(const toml::table& t, std::string_view key, Diagnostics& d,
                                     const std::string& ctx) {
  std::vector<std::string> out;
  const toml::node* n = t.get(key);
  if (!n) return out;
  if (auto s = n->value<std::string>()) {
    out.push_back(*s);
  } else if (const auto* arr = n->as_array()) {
    for (const auto& item : *arr) {
      if (auto v = item.value<std::string>()) {
        out.push_back(*v);
      } else {
        d.add(item.source(), fmt::format("{}: {} must hold strings", ctx, key));
      }
    }
  } else {
    d.add(n->source(), fmt::format("{}: {} must be a string array", ctx, key));
  }
  return out;
}

std::string string_at(const toml::table& t, std::string_view key, Diagnostics& d, const std::string& ctx) {
  const toml::node* n = t.get(key);
  if (!n) return {};
  if (auto s = n->value<std::string>()) return *s;
  d.add(n->source(), fmt::format("{}: {} must be a string", ctx, key));
  return {};
}

// Parses one allowlist table. `gitleaks` selects camelCase key names.
Allowlist parse_allowlist(const toml::table& t, bool gitleaks, Diagnostics& d, const std::string& ctx) {
  Allowlist a;
  const std::string_view target_key = gitleaks ? "regexTarget" : "regex_target";
  for (const auto& [k, v] : t) {
    const std::string_view key = k.str();
    if (key == "description" || key == "regexes" || key == "paths" || key == "stopwords" ||
        key == "condition" || key == target_key || key == "commits") {
      continue;
    }
    d.add(v.source(), fmt::format("{}: unknown allowlist key \"{}\"", ctx, key));
  }
  a.description = string_at(t, "description", d, ctx);
  a.regexes = string_list(t, "regexes", d, ctx);
  a.paths = string_list(t, "paths", d, ctx);
  // Commit allowlists apply to `sluice scan --git` findings (a file scan has no commit).
  for (auto& c : string_list(t, "commits", d, ctx)) {
    if (c.size() < 7 || c.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      d.add(fmt::format("{}: allowlist commit \"{}\" must be a hexadecimal hash of at least 7 digits", ctx, c));
    }
    a.commits.push_back(lower(c));
  }
  for (auto& w : string_list(t, "stopwords", d, ctx)) a.stopwords.push_back(lower(w));
  const std::string cond = lower(string_at(t, "condition", d, ctx));
  if (cond == "and") {
    a.condition = Condition::all;
  } else if (!cond.empty() && cond != "or") {
    d.add(fmt::format("{}: allowlist condition \"{}\" must be OR or AND", ctx, cond));
  }
  const std::string target = string_at(t, target_key, d, ctx);
  if (target == "match") {
    a.regex_target = RegexTarget::match;
  } else if (target == "line") {
    a.regex_target = RegexTarget::line;
  } else if (!target.empty() && target != "secret") {
    d.add(fmt::format("{}: {} \"{}\" must be secret, match or line", ctx, target_key, target));
  }
  return a;
}

void parse_allowlists(const toml::node* n, bool gitleaks, std::vector<Allowlist>& out, Diagnostics& d,
                      const std::string& ctx) {
  if (!n) return;
  if (const auto* t = n->as_table()) {
    out.push_back(parse_allowlist(*t, gitleaks, d, ctx));
  } else if (const auto* arr = n->as_array()) {
    for (const auto& item : *arr) {
      if (const auto* it = item.as_table()) {
        out.push_back(parse_allowlist(*it, gitleaks, d, ctx));
      } else {
        d.add(item.source(), ctx + ": allowlist must be a table");
      }
    }
  } else {
    d.add(n->source(), ctx + ": allowlist must be a table");
  }
}

std::optional<double> number_at(const toml::table& t, std::string_view key, Diagnostics& d, const std::string& ctx) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  if (auto v = n->value<double>()) return *v;
  d.add(n->source(), fmt::format("{}: {} must be a number", ctx, key));
  return std::nullopt;
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

Expected<toml::table> parse_toml(std::string_view text, std::string_view origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return make_error(ErrorCode::invalid_input,
                      fmt::format("{}:{}:{}: {}", origin, b.line, b.column, e.description()));
  }
}

}  // namespace

std::string expand_example_template(std::string_view text, uint64_t seed) {
  std::string out;
  uint64_t state = seed;
  auto next = [&state]() {
    // splitmix64
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "{{[") == 0) {
      const size_t close = text.find("]:", i + 3);
      const size_t end = close == std::string_view::npos ? close : text.find("}}", close);
      if (end != std::string_view::npos) {
        std::string alphabet;
        const std::string_view cls = text.substr(i + 3, close - i - 3);
        for (size_t j = 0; j < cls.size(); ++j) {
          if (j + 2 < cls.size() && cls[j + 1] == '-') {
            for (int c = static_cast<unsigned char>(cls[j]); c <= static_cast<unsigned char>(cls[j + 2]); ++c) {
              alphabet.push_back(static_cast<char>(c));
            }
            j += 2;
          } else {
            alphabet.push_back(cls[j]);
          }
        }
        size_t count = 0;
        for (char c : text.substr(close + 2, end - close - 2)) {
          if (c >= '0' && c <= '9') count = count * 10 + static_cast<size_t>(c - '0');
        }
        if (!alphabet.empty()) {
          for (size_t k = 0; k < count; ++k) out.push_back(alphabet[next() % alphabet.size()]);
        }
        i = end + 2;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

RuleExample split_secret_markers(std::string_view text) {
  RuleExample ex;
  const size_t open = text.find("<<");
  const size_t close = open == std::string_view::npos ? open : text.find(">>", open + 2);
  if (close == std::string_view::npos) {
    ex.text = std::string(text);
    return ex;
  }
  ex.secret = std::string(text.substr(open + 2, close - open - 2));
  ex.text = std::string(text.substr(0, open)) + *ex.secret + std::string(text.substr(close + 2));
  return ex;
}

Expected<RuleSet> load_sluice_rules(std::string_view toml_text, std::string_view origin) {
  auto parsed = parse_toml(toml_text, origin);
  if (!parsed) return tl::unexpected(parsed.error());
  const toml::table& root = *parsed;
  Diagnostics d(origin);
  RuleSet set;
  for (const auto& [k, v] : root) {
    if (k.str() != "rule" && k.str() != "title" && k.str() != "allowlist") {
      d.add(v.source(), fmt::format("unknown top-level key \"{}\"", k.str()));
    }
  }
  set.title = string_at(root, "title", d, "file");
  parse_allowlists(root.get("allowlist"), false, set.global_allowlists, d, "global allowlist");
  const toml::array* rules = root["rule"].as_array();
  if (!rules) {
    if (root.contains("rule")) d.add("\"rule\" must be an array of tables ([[rule]])");
  } else {
    for (const auto& node : *rules) {
      const toml::table* t = node.as_table();
      if (!t) {
        d.add(node.source(), "[[rule]] entries must be tables");
        continue;
      }
      Rule r;
      r.origin = d.where(node);
      r.id = string_at(*t, "id", d, "rule");
      const std::string ctx = rule_label(r.id);
      if (r.id.empty()) d.add(node.source(), "rule without an id");
      for (const auto& [key, val] : *t) {
        static constexpr std::string_view k_known[] = {"id", "description", "regex", "secret_group", "entropy",
                                                       "keywords", "path", "allowlist", "examples",
                                                       "counter_examples", "example_path"};
        if (std::find(std::begin(k_known), std::end(k_known), key.str()) == std::end(k_known)) {
          d.add(val.source(), fmt::format("{}: unknown key \"{}\"", ctx, key.str()));
        }
      }
      r.description = string_at(*t, "description", d, ctx);
      r.regex = string_at(*t, "regex", d, ctx);
      r.path = string_at(*t, "path", d, ctx);
      r.example_path = string_at(*t, "example_path", d, ctx);
      if (const toml::node* g = t->get("secret_group")) {
        if (auto gi = g->value<int64_t>(); gi && *gi >= 0 && *gi < 100) {
          r.secret_group = static_cast<int>(*gi);
        } else {
          d.add(g->source(), ctx + ": secret_group must be an integer 0..99");
        }
      }
      r.entropy = number_at(*t, "entropy", d, ctx);
      for (auto& kw : string_list(*t, "keywords", d, ctx)) r.keywords.push_back(lower(kw));
      parse_allowlists(t->get("allowlist"), false, r.allowlists, d, ctx);
      uint64_t seed = fnv1a(r.id);
      for (auto& ex : string_list(*t, "examples", d, ctx)) {
        r.examples.push_back(split_secret_markers(expand_example_template(ex, seed++)));
      }
      for (auto& ex : string_list(*t, "counter_examples", d, ctx)) {
        r.counter_examples.push_back(split_secret_markers(expand_example_template(ex, seed++)));
      }
      if (r.description.empty()) d.add(node.source(), ctx + ": missing description");
      if (r.regex.empty() && r.path.empty()) d.add(node.source(), ctx + ": needs a regex or a path");
      if (!r.regex.empty() && r.keywords.empty()) d.add(node.source(), ctx + ": needs at least one keyword");
      if (r.examples.empty()) d.add(node.source(), ctx + ": needs at least one example");
      if (r.counter_examples.empty()) d.add(node.source(), ctx + ": needs at least one counter_example");
      set.rules.push_back(std::move(r));
    }
  }
  if (!d.empty()) return make_error(ErrorCode::invalid_input, d.message());
  return set;
}

Expected<RuleSet> load_gitleaks_config(std::string_view toml_text, std::string_view origin) {
  auto parsed = parse_toml(toml_text, origin);
  if (!parsed) return tl::unexpected(parsed.error());
  const toml::table& root = *parsed;
  Diagnostics d(origin);
  RuleSet set;
  for (const auto& [k, v] : root) {
    const std::string_view key = k.str();
    if (key == "extend") {
      d.add(v.source(), "[extend] is not supported: sluice does not ship gitleaks' rules; inline the rules instead");
    } else if (key != "title" && key != "description" && key != "minVersion" && key != "rules" &&
               key != "allowlist" && key != "allowlists") {
      d.add(v.source(), fmt::format("unknown top-level key \"{}\"", key));
    }
  }
  set.title = string_at(root, "title", d, "config");
  parse_allowlists(root.get("allowlist"), true, set.global_allowlists, d, "global allowlist");
  parse_allowlists(root.get("allowlists"), true, set.global_allowlists, d, "global allowlist");
  if (const toml::node* rn = root.get("rules")) {
    const toml::array* rules = rn->as_array();
    if (!rules) d.add(rn->source(), "\"rules\" must be an array of tables ([[rules]])");
    for (size_t i = 0; rules && i < rules->size(); ++i) {
      const toml::node& node = *rules->get(i);
      const toml::table* t = node.as_table();
      if (!t) {
        d.add(node.source(), "[[rules]] entries must be tables");
        continue;
      }
      Rule r;
      r.origin = d.where(node);
      r.id = string_at(*t, "id", d, "rule");
      if (r.id.empty()) {
        d.add(node.source(), fmt::format("rule #{} has no id", i + 1));
        r.id = fmt::format("rule-{}", i + 1);
      }
      const std::string ctx = rule_label(r.id);
      for (const auto& [key, val] : *t) {
        const std::string_view k = key.str();
        if (k == "id" || k == "description" || k == "regex" || k == "secretGroup" || k == "entropy" ||
            k == "keywords" || k == "path" || k == "regexTarget" || k == "allowlist" ||
            k == "allowlists" || k == "tags") {
          continue;
        }
        if (k == "skipReport") {
          d.add(val.source(), ctx + ": \"skipReport\" (composite rules) is not supported");
          continue;
        }
        if (k == "required") {
          d.add(val.source(), ctx + ": \"required\" (composite rules) is not supported");
          continue;
        }
        d.add(val.source(), fmt::format("{}: unknown key \"{}\"", ctx, k));
      }
      r.description = string_at(*t, "description", d, ctx);
      r.regex = string_at(*t, "regex", d, ctx);
      r.path = string_at(*t, "path", d, ctx);
      const std::string target = string_at(*t, "regexTarget", d, ctx);
      if (!target.empty() && target != "secret") {
        // A rule-level regexTarget other than the default is not used by gitleaks' own rules.
        d.add(fmt::format("{}: rule-level regexTarget \"{}\" is not supported", ctx, target));
      }
      if (const toml::node* g = t->get("secretGroup")) {
        if (auto gi = g->value<int64_t>(); gi && *gi >= 0 && *gi < 100) {
          r.secret_group = static_cast<int>(*gi);
        } else {
          d.add(g->source(), ctx + ": secretGroup must be an integer 0..99");
        }
      }
      r.entropy = number_at(*t, "entropy", d, ctx);
      for (auto& kw : string_list(*t, "keywords", d, ctx)) r.keywords.push_back(lower(kw));
      parse_allowlists(t->get("allowlist"), true, r.allowlists, d, ctx);
      parse_allowlists(t->get("allowlists"), true, r.allowlists, d, ctx);
      if (r.regex.empty() && r.path.empty()) d.add(node.source(), ctx + ": needs a regex or a path");
      set.rules.push_back(std::move(r));
    }
  }
  if (!d.empty()) return make_error(ErrorCode::invalid_input, d.message());
  return set;
}

Expected<RuleSet> load_rules_auto(std::string_view toml_text, std::string_view origin) {
  auto parsed = parse_toml(toml_text, origin);
  if (!parsed) return tl::unexpected(parsed.error());
  if (parsed->contains("rule")) return load_sluice_rules(toml_text, origin);
  return load_gitleaks_config(toml_text, origin);
}

Expected<RuleSet> default_rules() {
  RuleSet all;
  all.title = "sluice default rules";
  std::string errors;
  for (const auto& f : embedded_rule_files()) {
    auto set = load_sluice_rules(f.text, f.name);
    if (!set) {
      errors += (errors.empty() ? "" : "\n") + set.error().message;
      continue;
    }
    for (auto& r : set->rules) all.rules.push_back(std::move(r));
    for (auto& a : set->global_allowlists) all.global_allowlists.push_back(std::move(a));
  }
  if (!errors.empty()) return make_error(ErrorCode::internal, errors);
  return all;
}

}  // namespace sluice::secrets
