#include "llm/schema.h"

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>

namespace sluice::llm {

namespace yaml = base::yaml;

nlohmann::json yaml_to_json(const yaml::Node& n) {
  switch (n.kind) {
    case yaml::NodeKind::null: return nullptr;
    case yaml::NodeKind::scalar:
      if (n.style != yaml::ScalarStyle::plain || !n.tag.empty()) return n.scalar;
      if (n.is_null()) return nullptr;
      if (n.is_bool()) return n.as_bool();
      if (n.is_int()) {
        int64_t v = 0;
        auto [p, ec] = std::from_chars(n.scalar.data(), n.scalar.data() + n.scalar.size(), v);
        if (ec == std::errc() && p == n.scalar.data() + n.scalar.size()) return v;
      }
      if (n.is_float()) {
        double v = 0;
        auto [p, ec] = std::from_chars(n.scalar.data(), n.scalar.data() + n.scalar.size(), v);
        if (ec == std::errc() && p == n.scalar.data() + n.scalar.size()) return v;
      }
      return n.scalar;
    case yaml::NodeKind::sequence: {
      auto a = nlohmann::json::array();
      for (const auto& i : n.items) a.push_back(yaml_to_json(i));
      return a;
    }
    case yaml::NodeKind::mapping: {
      auto o = nlohmann::json::object();
      for (const auto& e : n.entries) o[e.key.scalar] = yaml_to_json(e.value);
      return o;
    }
  }
  return nullptr;
}

namespace {

const std::set<std::string, std::less<>> k_known = {
    "type", "properties", "required", "additionalProperties", "items", "enum", "const", "minimum", "maximum",
    "minLength", "maxLength", "minItems", "maxItems", "description", "title", "$schema", "$id", "default",
    "examples"};

bool has_type(const nlohmann::json& v, std::string_view t) {
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "integer") return v.is_number_integer() || (v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<int64_t>(v.get<double>())));
  if (t == "number") return v.is_number();
  if (t == "boolean") return v.is_boolean();
  if (t == "null") return v.is_null();
  return false;
}

std::string type_of(const nlohmann::json& v) {
  if (v.is_object()) return "object";
  if (v.is_array()) return "array";
  if (v.is_string()) return "string";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_boolean()) return "boolean";
  return "null";
}

void check(const nlohmann::json& v, const nlohmann::json& s, const std::string& path, std::vector<std::string>& out) {
  if (s.is_boolean()) {
    if (!s.get<bool>()) out.push_back(fmt::format("{}: not allowed by the schema", path));
    return;
  }
  if (!s.is_object()) {
    out.push_back(fmt::format("{}: schema must be an object", path));
    return;
  }
  for (const auto& [k, _] : s.items())
    if (!k_known.contains(k)) out.push_back(fmt::format("{}: unsupported schema keyword \"{}\"", path, k));
  if (const auto t = s.find("type"); t != s.end()) {
    bool ok = false;
    std::string want;
    if (t->is_string()) {
      ok = has_type(v, t->get<std::string>());
      want = t->get<std::string>();
    } else if (t->is_array()) {
      for (const auto& x : *t)
        if (x.is_string()) {
          ok = ok || has_type(v, x.get<std::string>());
          want += (want.empty() ? "" : " or ") + x.get<std::string>();
        }
    }
    if (!ok) {
      out.push_back(fmt::format("{}: expected {}, got {}", path, want, type_of(v)));
      return;
    }
  }
  if (const auto e = s.find("enum"); e != s.end() && e->is_array()) {
    if (std::find(e->begin(), e->end(), v) == e->end())
      out.push_back(fmt::format("{}: {} is not one of {}", path, v.dump(), e->dump()));
  }
  if (const auto c = s.find("const"); c != s.end() && *c != v)
    out.push_back(fmt::format("{}: expected {}, got {}", path, c->dump(), v.dump()));
  if (v.is_number()) {
    double d = v.get<double>();
    if (auto m = s.find("minimum"); m != s.end() && m->is_number() && d < m->get<double>())
      out.push_back(fmt::format("{}: {} is below the minimum {}", path, v.dump(), m->dump()));
    if (auto m = s.find("maximum"); m != s.end() && m->is_number() && d > m->get<double>())
      out.push_back(fmt::format("{}: {} is above the maximum {}", path, v.dump(), m->dump()));
  }
  if (v.is_string()) {
    size_t n = v.get_ref<const std::string&>().size();
    if (auto m = s.find("minLength"); m != s.end() && m->is_number_unsigned() && n < m->get<size_t>())
      out.push_back(fmt::format("{}: shorter than {} characters", path, m->dump()));
    if (auto m = s.find("maxLength"); m != s.end() && m->is_number_unsigned() && n > m->get<size_t>())
      out.push_back(fmt::format("{}: longer than {} characters", path, m->dump()));
  }
  if (v.is_array()) {
    if (auto m = s.find("minItems"); m != s.end() && m->is_number_unsigned() && v.size() < m->get<size_t>())
      out.push_back(fmt::format("{}: fewer than {} items", path, m->dump()));
    if (auto m = s.find("maxItems"); m != s.end() && m->is_number_unsigned() && v.size() > m->get<size_t>())
      out.push_back(fmt::format("{}: more than {} items", path, m->dump()));
    if (auto items = s.find("items"); items != s.end())
      for (size_t i = 0; i < v.size(); ++i) check(v[i], *items, fmt::format("{}[{}]", path, i), out);
  }
  if (v.is_object()) {
    const auto props = s.find("properties");
    if (auto req = s.find("required"); req != s.end() && req->is_array())
      for (const auto& r : *req)
        if (r.is_string() && !v.contains(r.get<std::string>()))
          out.push_back(fmt::format("{}: missing required property \"{}\"", path, r.get<std::string>()));
    for (const auto& [k, child] : v.items()) {
      if (props != s.end() && props->is_object() && props->contains(k)) {
        check(child, (*props)[k], path + "." + k, out);
      } else if (auto ap = s.find("additionalProperties"); ap != s.end()) {
        if (ap->is_boolean() && !ap->get<bool>())
          out.push_back(fmt::format("{}: unexpected property \"{}\"", path, k));
        else if (ap->is_object())
          check(child, *ap, path + "." + k, out);
      }
    }
  }
}

}  // namespace

std::vector<std::string> check_schema(const nlohmann::json& value, const nlohmann::json& schema) {
  std::vector<std::string> out;
  check(value, schema, "$", out);
  return out;
}

}  // namespace sluice::llm

namespace sluice::llm {

namespace {

// The keywords both providers' strict modes take (OpenAI structured outputs with strict: true,
// Anthropic output_config json_schema), and that the local check knows.
const std::set<std::string, std::less<>> k_strict = {"type",  "properties",  "required", "additionalProperties",
                                                     "items", "enum",        "const",    "description",
                                                     "title", "$schema",     "$id"};

void strict(const nlohmann::json& s, const std::string& path, bool root, std::vector<std::string>& out) {
  if (!s.is_object()) {
    out.push_back(fmt::format("{}: a schema must be an object", path));
    return;
  }
  for (const auto& [k, v] : s.items()) {
    if (k_strict.contains(k)) continue;
    out.push_back(fmt::format("{}.{}: keyword not supported by the providers' strict mode", path, k));
  }
  if (!root && (s.contains("$schema") || s.contains("$id")))
    out.push_back(fmt::format("{}: $schema and $id are only allowed at the root", path));
  const auto t = s.find("type");
  const bool object = t != s.end() && ((t->is_string() && *t == "object") ||
                                       (t->is_array() && std::find(t->begin(), t->end(), "object") != t->end()));
  if (root && !(t != s.end() && t->is_string() && *t == "object"))
    out.push_back(fmt::format("{}: strict mode needs an object at the root (type: object)", path));
  if (t == s.end() && !s.contains("enum") && !s.contains("const"))
    out.push_back(fmt::format("{}: give a type (strict mode needs one on every schema)", path));
  if (object) {
    const auto ap = s.find("additionalProperties");
    if (ap == s.end() || !ap->is_boolean() || ap->get<bool>())
      out.push_back(fmt::format("{}: an object needs additionalProperties: false in strict mode", path));
    std::set<std::string, std::less<>> required;
    if (auto r = s.find("required"); r != s.end() && r->is_array())
      for (const auto& x : *r)
        if (x.is_string()) required.insert(x.get<std::string>());
    if (auto props = s.find("properties"); props != s.end() && props->is_object()) {
      for (const auto& [name, sub] : props->items()) {
        if (!required.contains(name))
          out.push_back(fmt::format("{}.properties.{}: optional (not in required); strict mode needs every property "
                                    "required (allow null with type: [T, \"null\"] instead)",
                                    path, name));
        strict(sub, path + ".properties." + name, false, out);
      }
    }
  }
  if (auto items = s.find("items"); items != s.end()) strict(*items, path + ".items", false, out);
}

}  // namespace

std::vector<std::string> strict_schema_problems(const nlohmann::json& schema) {
  std::vector<std::string> out;
  strict(schema, "$", true, out);
  return out;
}

nlohmann::json schema_to_send(const nlohmann::json& schema) {
  nlohmann::json out = schema;
  if (out.is_object()) {
    out.erase("$schema");
    out.erase("$id");
  }
  return out;
}

}  // namespace sluice::llm
