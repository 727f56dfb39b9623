#include "k8s/json_schema.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <re2/re2.h>

#include "base/strings.h"
#include "k8s/semantics.h"

namespace sluice::k8s {

using base::yaml::Node;
using base::yaml::NodeKind;

int32_t SchemaNode::property(std::string_view name) const {
  auto it = std::lower_bound(properties.begin(), properties.end(), name,
                             [](const auto& p, std::string_view n) { return p.first < n; });
  if (it != properties.end() && it->first == name) return it->second;
  return -1;
}

// Compiles while parsing: the schema files are large (a Deployment is 360 kB, mostly
// descriptions), so building a JSON DOM first would double the load time the benchmark counts.
class SchemaCompiler {
 public:
  SchemaCompiler(std::string_view text, std::string_view source) : m_text(text), m_source(source) {}

  Expected<CompiledSchema> run() {
    CompiledSchema out;
    m_out = &out;
    skip_ws();
    int32_t root = schema();
    if (!m_error.empty()) return make_error(ErrorCode::invalid_input, m_error);
    skip_ws();
    if (m_pos != m_text.size()) fail("trailing characters after the schema");
    if (!m_error.empty()) return make_error(ErrorCode::invalid_input, m_error);
    (void)root;
    return out;
  }

 private:
  void fail(std::string_view what) {
    if (!m_error.empty()) return;
    m_error = fmt::format("{}: offset {}: {}", m_source, m_pos, what);
    m_pos = m_text.size();
  }
  bool ok() const { return m_error.empty(); }

  void skip_ws() {
    while (m_pos < m_text.size()) {
      char c = m_text[m_pos];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
      ++m_pos;
    }
  }
  bool eat(char c) {
    skip_ws();
    if (m_pos < m_text.size() && m_text[m_pos] == c) {
      ++m_pos;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) fail(fmt::format("expected '{}'", c));
  }
  char peek() {
    skip_ws();
    return m_pos < m_text.size() ? m_text[m_pos] : '\0';
  }

  static void put_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  uint32_t hex4() {
    if (m_pos + 4 > m_text.size()) {
      fail("truncated \\u escape");
      return 0;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = m_text[m_pos++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else {
        // fail() moves the position to the end; reading on would run past the text
        // (found by fuzz_k8s_document).
        fail("bad \\u escape");
        return 0;
      }
    }
    return v;
  }

  std::string string() {
    std::string out;
    if (!eat('"')) {
      fail("expected a string");
      return out;
    }
    while (ok()) {
      size_t start = m_pos;
      while (m_pos < m_text.size() && m_text[m_pos] != '"' && m_text[m_pos] != '\\') ++m_pos;
      out.append(m_text.substr(start, m_pos - start));
      if (m_pos >= m_text.size()) {
        fail("unterminated string");
        break;
      }
      char c = m_text[m_pos++];
      if (c == '"') break;
      if (m_pos >= m_text.size()) {
        fail("unterminated escape");
        break;
      }
      char e = m_text[m_pos++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = hex4();
          if (!ok()) break;
          if (cp >= 0xD800 && cp < 0xDC00 && m_pos + 1 < m_text.size() && m_text[m_pos] == '\\' &&
              m_text[m_pos + 1] == 'u') {
            m_pos += 2;
            uint32_t lo = hex4();
            if (lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          put_utf8(out, cp);
          break;
        }
        default: fail("bad escape");
      }
    }
    return out;
  }

  // Skips any JSON value (descriptions, defaults, CEL rules...).
  void skip_value(int depth = 0) {
    if (depth > 512) return fail("nesting too deep");
    char c = peek();
    if (c == '"') {
      ++m_pos;
      while (m_pos < m_text.size() && m_text[m_pos] != '"') m_pos += m_text[m_pos] == '\\' ? 2 : 1;
      if (m_pos >= m_text.size()) return fail("unterminated string");
      ++m_pos;
    } else if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++m_pos;
      if (eat(close)) return;
      do {
        if (c == '{') {
          skip_value(depth + 1);
          expect(':');
        }
        skip_value(depth + 1);
      } while (ok() && eat(','));
      expect(close);
    } else {
      size_t start = m_pos;
      while (m_pos < m_text.size() && std::strchr(",}] \n\r\t", m_text[m_pos]) == nullptr) ++m_pos;
      if (m_pos == start) fail("expected a value");
    }
  }

  // A scalar literal as text (for enum); strings unescaped.
  std::string scalar_text() {
    if (peek() == '"') return string();
    size_t start = m_pos;
    skip_value();
    return std::string(m_text.substr(start, m_pos - start));
  }

  double number() {
    skip_ws();
    size_t start = m_pos;
    while (m_pos < m_text.size() && std::strchr("+-0123456789.eE", m_text[m_pos]) != nullptr) ++m_pos;
    std::string s(m_text.substr(start, m_pos - start));
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) fail("expected a number");
    return v;
  }

  bool boolean() {
    skip_ws();
    if (m_text.substr(m_pos, 4) == "true") {
      m_pos += 4;
      return true;
    }
    if (m_text.substr(m_pos, 5) == "false") {
      m_pos += 5;
      return false;
    }
    fail("expected true or false");
    return false;
  }

  static uint8_t type_bit(std::string_view t) {
    if (t == "null") return k_null;
    if (t == "boolean") return k_boolean;
    if (t == "integer") return k_integer;
    if (t == "number") return k_number | k_integer;
    if (t == "string") return k_string;
    if (t == "array") return k_array;
    if (t == "object") return k_object;
    return 0;
  }

  template <class F>
  void each_array_item(F&& f) {
    expect('[');
    if (eat(']')) return;
    do {
      f();
    } while (ok() && eat(','));
    expect(']');
  }

  std::vector<int32_t> schema_array() {
    std::vector<int32_t> v;
    each_array_item([&] { v.push_back(schema()); });
    return v;
  }

  static Format format_of(std::string_view f) {
    if (f == "int32") return Format::int32;
    if (f == "int64") return Format::int64;
    if (f == "date-time") return Format::date_time;
    if (f == "byte") return Format::byte;
    if (f == "ipv4") return Format::ipv4;
    if (f == "ipv6") return Format::ipv6;
    return Format::other;
  }

  int32_t schema() {
    if (++m_depth > 256) {
      fail("schema nesting too deep");
      return 0;
    }
    auto idx = static_cast<int32_t>(m_out->m_nodes.size());
    m_out->m_nodes.emplace_back();
    auto node = [&]() -> SchemaNode& { return m_out->m_nodes[static_cast<size_t>(idx)]; };
    skip_ws();
    if (peek() == 't' || peek() == 'f') {  // `true` / `false` schemas
      bool b = boolean();
      if (!b) node().not_schema = new_any();
      --m_depth;
      return idx;
    }
    bool int_or_string_ext = false;
    expect('{');
    if (!eat('}')) {
      do {
        std::string key = string();
        expect(':');
        if (!ok()) break;
        if (key == "type") {
          uint8_t t = 0;
          if (peek() == '[') {
            each_array_item([&] { t |= type_bit(string()); });
          } else {
            t = type_bit(string());
          }
          node().types = t;
        } else if (key == "properties") {
          expect('{');
          if (!eat('}')) {
            do {
              std::string name = string();
              expect(':');
              m_path.push_back(name);
              int32_t child = schema();
              m_path.pop_back();
              node().properties.emplace_back(std::move(name), child);
            } while (ok() && eat(','));
            expect('}');
          }
        } else if (key == "additionalProperties") {
          if (peek() == 't' || peek() == 'f') {
            node().closed = !boolean();
          } else {
            m_path.emplace_back("*");
            int32_t child = schema();
            m_path.pop_back();
            node().additional = child;
          }
        } else if (key == "items") {
          if (peek() == '[') return unsupported("items as an array (tuple validation)");
          m_path.emplace_back("[]");
          int32_t child = schema();
          m_path.pop_back();
          node().items = child;
        } else if (key == "required") {
          each_array_item([&] { node().required.push_back(string()); });
        } else if (key == "enum") {
          each_array_item([&] { node().enum_values.push_back(scalar_text()); });
        } else if (key == "format") {
          node().format = format_of(string());
        } else if (key == "pattern") {
          std::string p = string();
          auto re = std::make_shared<re2::RE2>(p, re2::RE2::Quiet);
          if (!re->ok()) fail(fmt::format("pattern {} is not supported: {}", base::quote(p), re->error()));
          node().pattern = std::move(re);
        } else if (key == "minimum") {
          node().minimum = number();
        } else if (key == "maximum") {
          node().maximum = number();
        } else if (key == "minLength") {
          node().min_length = static_cast<int64_t>(number());
        } else if (key == "maxLength") {
          node().max_length = static_cast<int64_t>(number());
        } else if (key == "minItems") {
          node().min_items = static_cast<int64_t>(number());
        } else if (key == "maxItems") {
          node().max_items = static_cast<int64_t>(number());
        } else if (key == "minProperties") {
          node().min_properties = static_cast<int64_t>(number());
        } else if (key == "maxProperties") {
          node().max_properties = static_cast<int64_t>(number());
        } else if (key == "oneOf") {
          auto v = schema_array();
          node().one_of = std::move(v);
        } else if (key == "anyOf") {
          auto v = schema_array();
          node().any_of = std::move(v);
        } else if (key == "allOf") {
          auto v = schema_array();
          node().all_of = std::move(v);
        } else if (key == "not") {
          int32_t child = schema();
          node().not_schema = child;
        } else if (key == "x-kubernetes-int-or-string") {
          int_or_string_ext = boolean();
        } else if (key == "x-kubernetes-preserve-unknown-fields") {
          node().preserve_unknown = boolean();
        } else if (key == "$ref" || key == "patternProperties" || key == "dependencies" ||
                   key == "additionalItems" || key == "const" || key == "multipleOf" ||
                   key == "uniqueItems" || key == "exclusiveMinimum" || key == "exclusiveMaximum" ||
                   key == "if" || key == "contains" || key == "propertyNames") {
          return unsupported(key);
        } else {
          skip_value();
        }
      } while (ok() && eat(','));
      expect('}');
    }
    finish(node(), int_or_string_ext);
    --m_depth;
    return idx;
  }

  int32_t unsupported(std::string_view what) {
    fail(fmt::format("unsupported JSON Schema keyword {}", what));
    return 0;
  }

  int32_t new_any() {
    auto idx = static_cast<int32_t>(m_out->m_nodes.size());
    m_out->m_nodes.emplace_back();
    return idx;
  }

  static bool type_only(const SchemaNode& n) {
    return n.properties.empty() && n.required.empty() && n.enum_values.empty() && n.items < 0 &&
           n.additional < 0 && !n.closed && n.one_of.empty() && n.any_of.empty() && n.all_of.empty() &&
           n.not_schema < 0 && !n.pattern && n.format == Format::none && !n.minimum && !n.maximum &&
           n.min_length < 0 && n.max_length < 0;
  }

  void finish(SchemaNode& n, bool int_or_string_ext) {
    std::sort(n.properties.begin(), n.properties.end());
    // oneOf [{type: string}, {type: integer}(, {type: null})] is how these schemas spell
    // IntOrString; folding it into a flag gives a direct check and a readable message.
    if (!n.one_of.empty()) {
      uint8_t all = 0;
      bool simple = true;
      for (int32_t i : n.one_of) {
        const SchemaNode& alt = m_out->m_nodes[static_cast<size_t>(i)];
        if (!type_only(alt) || alt.types == 0) simple = false;
        all |= alt.types;
      }
      if (simple && (all & k_string) && (all & k_integer) && !(all & (k_object | k_array | k_boolean))) {
        n.one_of.clear();
        n.types = all;
        n.int_or_string = true;
      }
    }
    if (int_or_string_ext) {
      n.int_or_string = true;
      n.types = static_cast<uint8_t>((n.types & k_null) | k_string | k_integer);
    }
    if ((n.types == 0 || (n.types & k_string)) && !(n.types & k_object) && is_quantity_path(m_path)) {
      n.quantity = true;
    }
  }

  std::string_view m_text;
  std::string_view m_source;
  size_t m_pos = 0;
  int m_depth = 0;
  std::string m_error;
  CompiledSchema* m_out = nullptr;
  std::vector<std::string> m_path;  // property names, "[]" for items, "*" for additionalProperties
};

Expected<CompiledSchema> CompiledSchema::compile(std::string_view json, std::string_view source) {
  SchemaCompiler c(json, source);
  return c.run();
}

// ---------------------------------------------------------------------------------------------

namespace {

bool yaml11_bool(std::string_view s) {
  // kubectl reads YAML 1.1 (go-yaml v2), where these plain scalars are booleans.
  static constexpr std::string_view k_words[] = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No",
                                                  "NO", "on", "On", "ON", "off", "Off", "OFF"};
  return std::find(std::begin(k_words), std::end(k_words), s) != std::end(k_words);
}

bool tag_is(const Node& n, std::string_view type) {
  if (n.tag.empty()) return false;
  std::string_view t = n.tag;
  return t == fmt::format("!!{}", type) || t == fmt::format("tag:yaml.org,2002:{}", type);
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool is_base64(std::string_view s) {
  size_t n = 0, pad = 0;
  for (char c : s) {
    if (c == '\n' || c == '\r') continue;
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c == '=') {
      ++pad;
    } else if (pad > 0 || !(alnum || c == '+' || c == '/')) {
      return false;
    }
    ++n;
  }
  return n % 4 == 0 && pad <= 2;
}

bool is_date_time(std::string_view s) {
  // RFC 3339: 2006-01-02T15:04:05(.frac)?(Z|+hh:mm)
  auto digits = [&](size_t at, size_t count) {
    if (at + count > s.size()) return false;
    for (size_t i = at; i < at + count; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
    }
    return true;
  };
  if (!(digits(0, 4) && s.size() > 19 && s[4] == '-' && digits(5, 2) && s[7] == '-' && digits(8, 2) &&
        (s[10] == 'T' || s[10] == 't' || s[10] == ' ') && digits(11, 2) && s[13] == ':' &&
        digits(14, 2) && s[16] == ':' && digits(17, 2))) {
    return false;
  }
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) return i + 1 == s.size();
  return i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && digits(i + 1, 2) && s[i + 3] == ':' &&
         digits(i + 4, 2);
}

bool parse_number(const Node& n, double& out) {
  std::string s = n.scalar;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    out = static_cast<double>(std::strtoll(s.c_str() + 2, nullptr, s[1] == 'x' ? 16 : 8));
    return true;
  }
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end != s.c_str();
}

}  // namespace

void append_path_key(std::string& path, std::string_view key) {
  bool simple = !key.empty();
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '$';
    if (!ok) simple = false;
  }
  if (simple) {
    if (!path.empty()) path += '.';
    path += key;
  } else {
    path += '[';
    path += base::quote(key);
    path += ']';
  }
}

uint8_t yaml_type(const Node& n) {
  switch (n.kind) {
    case NodeKind::null: return k_null;
    case NodeKind::sequence: return k_array;
    case NodeKind::mapping: return k_object;
    case NodeKind::scalar: break;
  }
  if (!n.tag.empty()) {
    if (tag_is(n, "str")) return k_string;
    if (tag_is(n, "int")) return k_integer;
    if (tag_is(n, "float")) return k_number;
    if (tag_is(n, "bool")) return k_boolean;
    if (tag_is(n, "null")) return k_null;
  }
  if (n.style != base::yaml::ScalarStyle::plain) return k_string;
  if (n.is_null()) return k_null;
  if (n.is_bool() || yaml11_bool(n.scalar)) return k_boolean;
  if (n.is_int()) return k_integer;
  if (n.is_float()) return k_number;
  return k_string;
}

std::string type_names(uint8_t types) {
  if (types & k_number) types = static_cast<uint8_t>(types & ~k_integer);
  std::string out;
  auto add = [&](uint8_t bit, std::string_view name) {
    if (!(types & bit)) return;
    if (!out.empty()) out += " or ";
    out += name;
  };
  add(k_object, "object");
  add(k_array, "array");
  add(k_string, "string");
  add(k_integer, "integer");
  add(k_number, "number");
  add(k_boolean, "boolean");
  add(k_null, "null");
  return out.empty() ? "any" : out;
}

class SchemaChecker {
 public:
  SchemaChecker(const CompiledSchema& s, Strictness strictness) : m_s(s), m_strictness(strictness) {}

  // Returns whether `v` is valid; appends problems to `out` (unknown fields in lenient mode are
  // reported but do not make the value invalid).
  bool check(const Node& v, int32_t idx, std::string& path, std::vector<SchemaIssue>& out) {
    const SchemaNode& s = m_s.m_nodes[static_cast<size_t>(idx)];
    uint8_t t = yaml_type(v);
    if (s.types != 0) {
      bool type_ok = (s.types & t) != 0;
      if (!type_ok && t == k_integer && (s.types & k_number)) type_ok = true;
      // resource.Quantity unmarshals JSON numbers; the schemas only say "string".
      if (!type_ok && s.quantity && (t == k_integer || t == k_number)) return true;
      if (!type_ok) {
        std::string expected = type_names(s.types);
        if (s.int_or_string) expected = "integer or string";
        std::string got = type_names(t);
        std::string msg = fmt::format("expected {}, got {}", expected, got);
        if (v.is_scalar() && (s.types & k_string) && t != k_null) {
          msg += fmt::format(" {} (quote it to make it a string)", v.scalar);
        }
        add(out, SchemaIssue::Kind::type, path, v.mark, std::move(msg), std::move(expected), std::move(got));
        return false;
      }
    } else if (s.quantity && (t == k_integer || t == k_number)) {
      return true;
    }
    if (t == k_null) return check_combinators(v, s, path, out);
    bool valid = true;
    if (v.is_scalar()) {
      valid = check_scalar(v, s, t, path, out);
    } else if (v.is_map()) {
      valid = check_object(v, s, path, out);
    } else if (v.is_seq()) {
      valid = check_array(v, s, path, out);
    }
    return check_combinators(v, s, path, out) && valid;
  }

 private:
  void add(std::vector<SchemaIssue>& out, SchemaIssue::Kind kind, const std::string& path,
           base::yaml::Mark mark, std::string message, std::string expected = {}, std::string got = {},
           std::string suggestion = {}) {
    out.push_back(SchemaIssue{kind, path, mark, std::move(message), std::move(expected), std::move(got),
                              std::move(suggestion)});
  }

  bool check_scalar(const Node& v, const SchemaNode& s, uint8_t t, std::string& path,
                    std::vector<SchemaIssue>& out) {
    bool valid = true;
    const std::string& text = v.scalar;
    if (!s.enum_values.empty() &&
        std::find(s.enum_values.begin(), s.enum_values.end(), text) == s.enum_values.end()) {
      std::string allowed = fmt::format("one of {}", fmt::join(s.enum_values, ", "));
      std::string msg = fmt::format("{} is not {}", base::quote(text), allowed);
      std::vector<std::string> cands(s.enum_values.begin(), s.enum_values.end());
      auto close = base::closest_match(text, std::span<const std::string>(cands));
      if (close) msg += fmt::format(" (did you mean {}?)", base::quote(*close));
      add(out, SchemaIssue::Kind::enum_value, path, v.mark, std::move(msg), allowed, text, close.value_or(""));
      valid = false;
    }
    if (t == k_string) {
      if (s.quantity) {
        if (!is_quantity(text)) {
          add(out, SchemaIssue::Kind::quantity, path, v.mark,
              fmt::format("{} is not a valid quantity (like 500m, 1.5, 2Gi, 1e3)", base::quote(text)),
              "quantity", text);
          valid = false;
        }
      }
      size_t len = (s.min_length >= 0 || s.max_length >= 0) ? utf8_length(text) : 0;
      if (s.min_length >= 0 && len < static_cast<size_t>(s.min_length)) {
        add(out, SchemaIssue::Kind::range, path, v.mark,
            fmt::format("string is shorter than {} characters", s.min_length),
            fmt::format("length >= {}", s.min_length), std::to_string(len));
        valid = false;
      }
      if (s.max_length >= 0 && len > static_cast<size_t>(s.max_length)) {
        add(out, SchemaIssue::Kind::range, path, v.mark,
            fmt::format("string is longer than {} characters", s.max_length),
            fmt::format("length <= {}", s.max_length), std::to_string(len));
        valid = false;
      }
      if (s.pattern && !re2::RE2::PartialMatch(text, *s.pattern)) {
        add(out, SchemaIssue::Kind::pattern, path, v.mark,
            fmt::format("{} does not match pattern {}", base::quote(text), s.pattern->pattern()),
            s.pattern->pattern(), text);
        valid = false;
      }
      bool fmt_ok = true;
      std::string_view fmt_name;
      switch (s.format) {
        case Format::date_time: fmt_ok = is_date_time(text), fmt_name = "date-time"; break;
        case Format::byte: fmt_ok = is_base64(text), fmt_name = "base64 data"; break;
        case Format::ipv4: {
          unsigned char buf[16];
          fmt_ok = inet_pton(AF_INET, text.c_str(), buf) == 1, fmt_name = "IPv4 address";
          break;
        }
        case Format::ipv6: {
          unsigned char buf[16];
          fmt_ok = inet_pton(AF_INET6, text.c_str(), buf) == 1, fmt_name = "IPv6 address";
          break;
        }
        default: break;
      }
      if (!fmt_ok) {
        add(out, SchemaIssue::Kind::format, path, v.mark,
            fmt::format("{} is not a valid {}", base::quote(text), fmt_name), std::string(fmt_name), text);
        valid = false;
      }
    } else if (t == k_integer || t == k_number) {
      double d = 0;
      if (parse_number(v, d)) {
        if (s.format == Format::int32 && (d < -2147483648.0 || d > 2147483647.0)) {
          add(out, SchemaIssue::Kind::range, path, v.mark, fmt::format("{} does not fit in int32", text),
              "int32", text);
          valid = false;
        }
        if (s.minimum && d < *s.minimum) {
          add(out, SchemaIssue::Kind::range, path, v.mark,
              fmt::format("{} is less than the minimum {}", text, *s.minimum),
              fmt::format(">= {}", *s.minimum), text);
          valid = false;
        }
        if (s.maximum && d > *s.maximum) {
          add(out, SchemaIssue::Kind::range, path, v.mark,
              fmt::format("{} is greater than the maximum {}", text, *s.maximum),
              fmt::format("<= {}", *s.maximum), text);
          valid = false;
        }
      }
    }
    return valid;
  }

  bool check_object(const Node& v, const SchemaNode& s, std::string& path, std::vector<SchemaIssue>& out) {
    bool valid = true;
    for (const std::string& r : s.required) {
      if (v.find(r) == nullptr) {
        add(out, SchemaIssue::Kind::required, path, v.mark,
            fmt::format("missing required field {}", base::quote(r)), r, "");
        valid = false;
      }
    }
    auto n = static_cast<int64_t>(v.entries.size());
    if (s.min_properties >= 0 && n < s.min_properties) {
      add(out, SchemaIssue::Kind::range, path, v.mark,
          fmt::format("has {} fields, fewer than {}", n, s.min_properties));
      valid = false;
    }
    if (s.max_properties >= 0 && n > s.max_properties) {
      add(out, SchemaIssue::Kind::range, path, v.mark,
          fmt::format("has {} fields, more than {}", n, s.max_properties));
      valid = false;
    }
    if (s.preserve_unknown && s.properties.empty() && s.additional < 0) return valid;
    for (const auto& e : v.entries) {
      size_t len = path.size();
      if (!e.key.is_scalar()) {
        add(out, SchemaIssue::Kind::type, path, e.key.mark,
            fmt::format("a {} used as a key (unquoted template braces?)", e.key.type_name()), "string key",
            std::string(e.key.type_name()));
        valid = false;
        continue;
      }
      append_path_key(path, e.key.scalar);
      int32_t p = s.property(e.key.scalar);
      if (p >= 0) {
        valid = check(e.value, p, path, out) && valid;
      } else if (s.additional >= 0) {
        valid = check(e.value, s.additional, path, out) && valid;
      } else if (s.closed && !s.preserve_unknown) {
        std::vector<std::string_view> names;
        names.reserve(s.properties.size());
        for (const auto& prop : s.properties) names.push_back(prop.first);
        auto close = base::closest_match(e.key.scalar, std::span<const std::string_view>(names));
        std::string msg = fmt::format("unknown field {}", base::quote(e.key.scalar));
        if (close) msg += fmt::format(" (did you mean {}?)", base::quote(*close));
        add(out, SchemaIssue::Kind::unknown_field, path, e.key.mark, std::move(msg), "a known field",
            e.key.scalar, close.value_or(""));
        if (m_strictness == Strictness::strict) valid = false;
      }
      path.resize(len);
    }
    return valid;
  }

  bool check_array(const Node& v, const SchemaNode& s, std::string& path, std::vector<SchemaIssue>& out) {
    bool valid = true;
    auto n = static_cast<int64_t>(v.items.size());
    if (s.min_items >= 0 && n < s.min_items) {
      add(out, SchemaIssue::Kind::range, path, v.mark, fmt::format("has {} items, fewer than {}", n, s.min_items),
          fmt::format(">= {} items", s.min_items), std::to_string(n));
      valid = false;
    }
    if (s.max_items >= 0 && n > s.max_items) {
      add(out, SchemaIssue::Kind::range, path, v.mark, fmt::format("has {} items, more than {}", n, s.max_items),
          fmt::format("<= {} items", s.max_items), std::to_string(n));
      valid = false;
    }
    if (s.items < 0) return valid;
    for (size_t i = 0; i < v.items.size(); ++i) {
      size_t len = path.size();
      path += fmt::format("[{}]", i);
      valid = check(v.items[i], s.items, path, out) && valid;
      path.resize(len);
    }
    return valid;
  }

  bool check_combinators(const Node& v, const SchemaNode& s, std::string& path, std::vector<SchemaIssue>& out) {
    bool valid = true;
    for (int32_t i : s.all_of) valid = check(v, i, path, out) && valid;
    if (!s.any_of.empty() || !s.one_of.empty()) {
      const auto& alts = s.any_of.empty() ? s.one_of : s.any_of;
      size_t matches = 0;
      std::vector<SchemaIssue> best;
      bool have_best = false;
      for (int32_t i : alts) {
        std::vector<SchemaIssue> scratch;
        if (check(v, i, path, scratch)) {
          ++matches;
        } else if (!have_best || scratch.size() < best.size()) {
          best = std::move(scratch);
          have_best = true;
        }
      }
      if (matches == 0) {
        add(out, SchemaIssue::Kind::one_of, path, v.mark,
            fmt::format("matches none of the {} allowed forms{}", alts.size(),
                        best.empty() ? "" : fmt::format(" (closest: {}: {})", best.front().path, best.front().message)));
        valid = false;
      } else if (s.any_of.empty() && matches > 1) {
        add(out, SchemaIssue::Kind::one_of, path, v.mark,
            fmt::format("matches {} of the oneOf forms, exactly one is allowed", matches));
        valid = false;
      }
    }
    if (s.not_schema >= 0) {
      std::vector<SchemaIssue> scratch;
      if (check(v, s.not_schema, path, scratch)) {
        add(out, SchemaIssue::Kind::not_schema, path, v.mark, "matches a form that is not allowed");
        valid = false;
      }
    }
    return valid;
  }

  const CompiledSchema& m_s;
  Strictness m_strictness;
};

bool CompiledSchema::validate(const Node& value, Strictness strictness, std::string_view base_path,
                              std::vector<SchemaIssue>& out) const {
  SchemaChecker c(*this, strictness);
  std::string path(base_path);
  size_t before = out.size();
  c.check(value, 0, path, out);
  return out.size() == before;
}

}  // namespace sluice::k8s
