#include "engine/conditions.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/glob.h"
#include "base/hash.h"
#include "base/strings.h"
#include "engine/stage_env.h"

namespace sluice::engine {
namespace expr = pipeline::expr;

namespace {

bool any_changed(const RunFacts& facts, const std::vector<std::string>& globs) {
  if (!facts.changed_files) return true;  // no git or no base: assume it changed
  for (const auto& f : *facts.changed_files) {
    for (const auto& g : globs) {
      if (base::glob_match(g, f)) return true;
    }
  }
  return false;
}

class StageScope final : public expr::Scope {
 public:
  StageScope(const pipeline::Pipeline& p, const pipeline::Stage& s, const RunFacts& facts, const OutputsOf& outputs)
      : m_p(p), m_s(s), m_facts(facts), m_outputs(outputs) {}

  std::optional<expr::Value> lookup(const std::vector<std::string>& path) const override {
    auto from = [&](const pipeline::EnvList& list, const std::string& key) -> std::optional<expr::Value> {
      for (const auto& [k, v] : list) {
        if (k == key) return expr::Value{v};
      }
      return std::nullopt;
    };
    const std::string& root = path[0];
    if (root == "env" && path.size() == 2) {
      if (auto v = from(m_p.env, path[1])) return v;
      if (auto v = env_lookup(m_facts.env, path[1])) return expr::Value{*v};
      return std::nullopt;
    }
    if (root == "matrix" && path.size() == 2) return from(m_s.matrix, path[1]);
    if (root == "params" && path.size() == 2) return from(m_p.param_values, path[1]);
    if (root == "git" && path.size() == 2) {
      const std::string& v = path[1] == "branch" ? m_facts.branch : path[1] == "tag" ? m_facts.tag : m_facts.event;
      return expr::Value{v};
    }
    if (root == "stages" && path.size() == 4) {
      const pipeline::EnvList* values = m_outputs ? m_outputs(path[1]) : nullptr;
      if (values == nullptr) {
        m_unknown.push_back(path[1]);
        return std::nullopt;
      }
      return from(*values, path[3]);
    }
    return std::nullopt;
  }
  bool changed(const std::vector<std::string>& globs) const override { return any_changed(m_facts, globs); }

  mutable std::vector<std::string> m_unknown;  // stages whose outputs were read before they were known

 private:
  const pipeline::Pipeline& m_p;
  const pipeline::Stage& m_s;
  const RunFacts& m_facts;
  const OutputsOf& m_outputs;
};

}  // namespace

Decision decide(const pipeline::Pipeline& p, const pipeline::Stage& s, const RunFacts& facts,
                const OutputsOf& outputs) {
  Decision d;
  if (!s.changes.empty()) {
    if (!any_changed(facts, s.changes)) {
      d.run = false;
      d.why = fmt::format("no file matching {} changed since {}", fmt::join(s.changes, ", "),
                          facts.changes_base.empty() ? "the base" : facts.changes_base);
      return d;
    }
    d.why = facts.changed_files ? fmt::format("files matching {} changed since {}", fmt::join(s.changes, ", "),
                                              facts.changes_base)
                                : "changes: no base to compare with, so it runs";
  }
  if (s.condition) {
    StageScope scope(p, s, facts, outputs);
    const bool v = expr::evaluate(*s.condition->root, scope).truthy();
    if (!scope.m_unknown.empty()) {
      d.deferred = true;
      d.why = fmt::format("if: decided when {} has run (reads its outputs)", scope.m_unknown.front());
      return d;
    }
    d.run = v;
    d.why = fmt::format("if: {} is {}", base::trim(s.condition->text), v ? "true" : "false");
  }
  return d;
}

pipeline::Stage resolve_stage(const pipeline::Pipeline& p, const pipeline::Stage& s, const RunFacts& facts,
                              const OutputsOf& outputs) {
  pipeline::Stage out = s;
  StageScope scope(p, s, facts, outputs);
  auto fill = [&](std::string& text) {
    auto ph = expr::placeholders(text);
    if (!ph) return;
    text = expr::substitute(text, *ph, [&](const expr::Placeholder& h) -> std::optional<std::string> {
      auto e = expr::parse(h.inner);
      if (!e) return std::nullopt;  // the loader reported it
      return expr::evaluate(*(*e)->root, scope).text();
    });
  };
  fill(out.run);
  for (auto& [k, v] : out.env) fill(v);
  if (out.push) {
    fill(out.push->from);
    for (auto& t : out.push->to) fill(t);
  }
  return out;
}

Expected<pipeline::EnvList> parse_stage_outputs(std::string_view text) {
  pipeline::EnvList out;
  auto set = [&](std::string key, std::string value) {
    for (auto& [k, v] : out) {
      if (k == key) {
        v = std::move(value);
        return;
      }
    }
    out.emplace_back(std::move(key), std::move(value));
  };
  auto lines = base::split(text, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (base::trim(line).empty()) continue;
    size_t heredoc = line.find("<<");
    size_t eq = line.find('=');
    if (heredoc != std::string_view::npos && (eq == std::string_view::npos || heredoc < eq)) {
      std::string key(base::trim(line.substr(0, heredoc)));
      std::string delim(base::trim(line.substr(heredoc + 2)));
      if (key.empty() || delim.empty()) {
        return make_error(ErrorCode::invalid_input, fmt::format("$SLUICE_OUTPUT line {}: write NAME<<DELIMITER", i + 1));
      }
      std::string value;
      bool closed = false;
      bool first = true;
      for (++i; i < lines.size(); ++i) {
        std::string_view l = lines[i];
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        if (l == delim) {
          closed = true;
          break;
        }
        if (!first) value += '\n';
        first = false;
        value += l;
      }
      if (!closed) {
        return make_error(ErrorCode::invalid_input,
                          fmt::format("$SLUICE_OUTPUT: {}<<{} has no closing {} line", key, delim, delim));
      }
      set(std::move(key), std::move(value));
      continue;
    }
    if (eq == std::string_view::npos || eq == 0) {
      return make_error(ErrorCode::invalid_input,
                        fmt::format("$SLUICE_OUTPUT line {}: write NAME=value or NAME<<DELIMITER", i + 1));
    }
    set(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
  }
  return out;
}

std::string outputs_values_digest(const pipeline::EnvList& values) {
  if (values.empty()) return "";
  base::Sha256 h;
  h.update_field("sluice-stage-outputs-v1");
  for (const auto& [k, v] : values) {
    h.update_field(k);
    h.update_field(v);
  }
  return h.hex_digest();
}

}  // namespace sluice::engine
