#include "base/yaml.h"

#include <libfyaml.h>

#include <map>
#include <memory>

#include <fmt/format.h>

#include "base/strings.h"

namespace sluice::base::yaml {
namespace {

std::string token_text(fy_token* t) {
  if (t == nullptr) return {};
  size_t len = 0;
  const char* s = fy_token_get_text(t, &len);
  return s ? std::string(s, len) : std::string();
}

Mark mark_of(const fy_mark* m) {
  if (m == nullptr) return {};
  return Mark{m->line + 1, m->column + 1};
}

ScalarStyle style_of(fy_token* t) {
  switch (fy_token_scalar_style(t)) {
    case FYSS_SINGLE_QUOTED: return ScalarStyle::single_quoted;
    case FYSS_DOUBLE_QUOTED: return ScalarStyle::double_quoted;
    case FYSS_LITERAL: return ScalarStyle::literal;
    case FYSS_FOLDED: return ScalarStyle::folded;
    default: return ScalarStyle::plain;
  }
}

struct ParserDeleter {
  void operator()(fy_parser* p) const { fy_parser_destroy(p); }
};
struct DiagDeleter {
  void operator()(fy_diag* d) const { fy_diag_destroy(d); }
};

class Builder {
 public:
  Builder(fy_parser* p, std::string_view filename) : m_parser(p), m_filename(filename) {}

  // Consumes events until the stream ends. Returns false on a parser error.
  bool run(std::vector<Document>& docs) {
    for (;;) {
      fy_event* ev = fy_parser_parse(m_parser);
      if (ev == nullptr) return !fy_parser_get_stream_error(m_parser);
      fy_event_type type = ev->type;
      if (type == FYET_DOCUMENT_START) {
        Document d;
        d.start = mark_of(fy_event_start_mark(ev));
        fy_parser_event_free(m_parser, ev);
        m_anchors.clear();
        bool has_root = false;
        for (;;) {
          fy_event* e2 = fy_parser_parse(m_parser);
          if (e2 == nullptr) return false;
          if (e2->type == FYET_DOCUMENT_END) {
            fy_parser_event_free(m_parser, e2);
            break;
          }
          if (!node(e2, d.root)) return false;
          has_root = true;
        }
        d.empty = !has_root || (d.root.kind == NodeKind::null) ||
                  (d.root.is_scalar() && d.root.style == ScalarStyle::plain && d.root.is_null() &&
                   d.root.tag.empty());
        docs.push_back(std::move(d));
      } else {
        fy_parser_event_free(m_parser, ev);
        if (type == FYET_STREAM_END) return true;
      }
    }
  }

  std::vector<std::string> errors;

 private:
  void remember_anchor(fy_token* anchor, const Node& n) {
    if (anchor) m_anchors[token_text(anchor)] = n;
  }

  // Builds `out` from the event `ev` (which it frees) and the events of its children.
  bool node(fy_event* ev, Node& out) {
    out.mark = mark_of(fy_event_start_mark(ev));
    switch (ev->type) {
      case FYET_SCALAR: {
        out.kind = NodeKind::scalar;
        out.scalar = token_text(ev->scalar.value);
        out.style = style_of(ev->scalar.value);
        out.tag = token_text(ev->scalar.tag);
        fy_token* anchor = ev->scalar.anchor;
        fy_parser_event_free(m_parser, ev);
        remember_anchor(anchor, out);
        return true;
      }
      case FYET_ALIAS: {
        std::string name = token_text(ev->alias.anchor);
        fy_parser_event_free(m_parser, ev);
        auto it = m_anchors.find(name);
        if (it == m_anchors.end()) {
          errors.push_back(fmt::format("{}:{}:{}: unknown alias *{}", m_filename, out.mark.line,
                                       out.mark.column, name));
          return true;
        }
        Mark m = out.mark;
        out = it->second;
        out.mark = m;
        return true;
      }
      case FYET_SEQUENCE_START: {
        out.kind = NodeKind::sequence;
        out.tag = token_text(ev->sequence_start.tag);
        std::string anchor = token_text(ev->sequence_start.anchor);
        fy_parser_event_free(m_parser, ev);
        if (++m_depth > 200) return depth_error(out);
        for (;;) {
          fy_event* c = fy_parser_parse(m_parser);
          if (c == nullptr) return false;
          if (c->type == FYET_SEQUENCE_END) {
            fy_parser_event_free(m_parser, c);
            break;
          }
          out.items.emplace_back();
          if (!node(c, out.items.back())) return false;
        }
        --m_depth;
        if (!anchor.empty()) m_anchors[anchor] = out;
        return true;
      }
      case FYET_MAPPING_START: {
        out.kind = NodeKind::mapping;
        out.tag = token_text(ev->mapping_start.tag);
        std::string anchor = token_text(ev->mapping_start.anchor);
        fy_parser_event_free(m_parser, ev);
        if (++m_depth > 200) return depth_error(out);
        for (;;) {
          fy_event* c = fy_parser_parse(m_parser);
          if (c == nullptr) return false;
          if (c->type == FYET_MAPPING_END) {
            fy_parser_event_free(m_parser, c);
            break;
          }
          MapEntry entry;
          if (!node(c, entry.key)) return false;
          fy_event* v = fy_parser_parse(m_parser);
          if (v == nullptr) return false;
          if (!node(v, entry.value)) return false;
          if (entry.key.is_scalar()) {
            for (const auto& e : out.entries) {
              if (e.key.is_scalar() && e.key.scalar == entry.key.scalar) {
                errors.push_back(fmt::format("{}:{}:{}: duplicate key {} (first defined at line {})",
                                             m_filename, entry.key.mark.line, entry.key.mark.column,
                                             quote(entry.key.scalar), e.key.mark.line));
                break;
              }
            }
          }
          out.entries.push_back(std::move(entry));
        }
        --m_depth;
        if (!anchor.empty()) m_anchors[anchor] = out;
        return true;
      }
      default:
        fy_parser_event_free(m_parser, ev);
        return true;
    }
  }

  bool depth_error(const Node& n) {
    errors.push_back(fmt::format("{}:{}:{}: nesting deeper than 200 levels", m_filename, n.mark.line,
                                 n.mark.column));
    return false;
  }

  fy_parser* m_parser;
  std::string_view m_filename;
  std::map<std::string, Node> m_anchors;
  int m_depth = 0;
};

bool plain(const Node& n) { return n.kind == NodeKind::scalar && n.style == ScalarStyle::plain; }

}  // namespace

bool Node::is_null() const {
  if (kind == NodeKind::null) return true;
  if (!plain(*this) || !tag.empty()) return false;
  return scalar.empty() || scalar == "~" || scalar == "null" || scalar == "Null" || scalar == "NULL";
}

bool Node::is_bool() const {
  if (!plain(*this)) return false;
  return scalar == "true" || scalar == "false" || scalar == "True" || scalar == "False" ||
         scalar == "TRUE" || scalar == "FALSE";
}

bool Node::as_bool() const { return scalar[0] == 't' || scalar[0] == 'T'; }

bool Node::is_int() const {
  if (!plain(*this) || scalar.empty()) return false;
  std::string_view s = scalar;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    bool hex = s[1] == 'x';
    for (char c : s.substr(2)) {
      bool ok = hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0 : (c >= '0' && c <= '7');
      if (!ok) return false;
    }
    return true;
  }
  if (s[0] == '-' || s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool Node::is_float() const {
  if (!plain(*this) || scalar.empty()) return false;
  std::string_view s = scalar;
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return true;
  if (s[0] == '-' || s[0] == '+') s.remove_prefix(1);
  if (s == ".inf" || s == ".Inf" || s == ".INF") return true;
  size_t i = 0, mantissa_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++mantissa_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

const MapEntry* Node::find_entry(std::string_view key) const {
  if (kind != NodeKind::mapping) return nullptr;
  for (const auto& e : entries) {
    if (e.key.is_scalar() && e.key.scalar == key) return &e;
  }
  return nullptr;
}

const Node* Node::find(std::string_view key) const {
  const MapEntry* e = find_entry(key);
  return e ? &e->value : nullptr;
}

std::string_view Node::type_name() const {
  switch (kind) {
    case NodeKind::null: return "null";
    case NodeKind::sequence: return "sequence";
    case NodeKind::mapping: return "mapping";
    case NodeKind::scalar:
      if (is_null()) return "null";
      if (is_bool()) return "boolean";
      if (is_int()) return "integer";
      if (is_float()) return "number";
      return "string";
  }
  return "unknown";
}

Expected<std::vector<Document>> parse(std::string_view text, std::string_view filename) {
  fy_diag_cfg dcfg;
  fy_diag_cfg_default(&dcfg);
  dcfg.fp = nullptr;
  // Collected errors are read back below; nothing is printed.
  dcfg.output_fn = [](fy_diag*, void*, const char*, size_t) {};
  dcfg.user = nullptr;
  dcfg.level = FYET_ERROR;
  std::unique_ptr<fy_diag, DiagDeleter> diag(fy_diag_create(&dcfg));
  if (!diag) return make_error(ErrorCode::internal, "libfyaml: cannot create diagnostics");
  fy_diag_set_collect_errors(diag.get(), true);

  fy_parse_cfg cfg{};
  cfg.flags = static_cast<fy_parse_cfg_flags>(FYPCF_QUIET | FYPCF_COLLECT_DIAG |
                                              FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE);
  cfg.diag = diag.get();
  std::unique_ptr<fy_parser, ParserDeleter> parser(fy_parser_create(&cfg));
  if (!parser) return make_error(ErrorCode::internal, "libfyaml: cannot create parser");
  // libfyaml does not copy the input; `text` outlives the parser.
  if (fy_parser_set_string(parser.get(), text.data(), text.size()) != 0) {
    return make_error(ErrorCode::internal, "libfyaml: cannot set input");
  }
  std::vector<Document> docs;
  Builder b(parser.get(), filename);
  bool ok = b.run(docs);
  std::vector<std::string> errors = std::move(b.errors);
  if (!ok) {
    void* iter = nullptr;
    bool any = false;
    while (fy_diag_error* err = fy_diag_errors_iterate(diag.get(), &iter)) {
      if (err->type < FYET_ERROR) continue;
      // Collected diagnostics already count lines and columns from 1.
      errors.push_back(fmt::format("{}:{}:{}: {}", filename, err->line, err->column,
                                   err->msg ? err->msg : "syntax error"));
      any = true;
    }
    if (!any) errors.push_back(fmt::format("{}: invalid YAML", filename));
  }
  if (!errors.empty()) {
    std::string msg;
    for (size_t i = 0; i < errors.size(); ++i) {
      if (i) msg += '\n';
      msg += errors[i];
    }
    return make_error(ErrorCode::invalid_input, std::move(msg));
  }
  return docs;
}

}  // namespace sluice::base::yaml
