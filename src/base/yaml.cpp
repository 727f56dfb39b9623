#include "base/yaml.h"

#include <libfyaml.h>

#include <map>
#include <memory>
#include <unordered_map>

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

// Finds a repeated scalar key in a mapping being built, in O(1) per key: small mappings are
// scanned (most have a handful of keys), larger ones get a hash index, so a 60k-key ConfigMap
// costs 60k lookups rather than 1.8 billion comparisons. Keys are compared in the caller's
// entries vector, which may reallocate between calls: the index stores positions, not views.
class KeyIndex {
 public:
  // `entries.back()` is the new entry. Returns the position of an earlier entry with the same
  // scalar key, or -1; records the new key either way.
  long add(const std::vector<MapEntry>& entries) {
    const size_t last = entries.size() - 1;
    const Node& key = entries[last].key;
    if (!key.is_scalar()) return -1;
    if (last < k_scan_limit) {
      for (size_t i = 0; i < last; ++i) {
        if (entries[i].key.is_scalar() && entries[i].key.scalar == key.scalar) return static_cast<long>(i);
      }
      return -1;
    }
    if (m_by_hash.empty()) {
      for (size_t i = 0; i < last; ++i) {
        if (entries[i].key.is_scalar()) m_by_hash.emplace(hash_of(entries[i].key.scalar), i);
      }
    }
    const size_t h = hash_of(key.scalar);
    auto [lo, hi] = m_by_hash.equal_range(h);
    for (auto it = lo; it != hi; ++it) {
      if (entries[it->second].key.scalar == key.scalar) return static_cast<long>(it->second);
    }
    m_by_hash.emplace(h, last);
    return -1;
  }

 private:
  static constexpr size_t k_scan_limit = 16;
  static size_t hash_of(const std::string& s) { return std::hash<std::string_view>{}(s); }
  std::unordered_multimap<size_t, size_t> m_by_hash;
};

// Alias expansion is bounded, as libyaml-based loaders and Kubernetes' YAML decoder bound it,
// so that a few hundred bytes of nested aliases ("billion laughs") cannot build billions of
// nodes. Nodes copied in through aliases may number at most k_alias_node_budget plus the nodes
// written out in the text: a document with a few aliases of large anchors still loads.
constexpr size_t k_alias_node_budget = 100'000;

struct Anchor {
  Node node;
  size_t nodes = 1;  // the size of the subtree, aliases inside it expanded
};

// Children are collected in per-depth scratch vectors that keep their capacity between
// collections, then moved into an exactly sized items/entries vector: one allocation per
// collection instead of one per doubling.
struct Scratch {
  std::vector<std::vector<Node>> items;
  std::vector<std::vector<MapEntry>> entries;
  std::map<std::string, Anchor> anchors;  // only touched when the input has anchors
};

class Builder {
 public:
  Builder(fy_parser* p, std::string_view filename, Scratch& scratch)
      : m_parser(p), m_filename(filename), m_scratch(scratch) {}

  // Consumes events until the stream ends. Returns false on a parser error.
  bool run(std::vector<Document>& docs) {
    for (;;) {
      fy_event* ev = fy_parser_parse(m_parser);
      if (ev == nullptr) return !fy_parser_get_stream_error(m_parser);
      fy_event_type type = ev->type;
      if (type == FYET_DOCUMENT_START) {
        Document& d = docs.emplace_back();
        d.start = mark_of(fy_event_start_mark(ev));
        fy_parser_event_free(m_parser, ev);
        if (!m_scratch.anchors.empty()) m_scratch.anchors.clear();
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
      } else {
        fy_parser_event_free(m_parser, ev);
        if (type == FYET_STREAM_END) return true;
      }
    }
  }

  std::vector<std::string> errors;
  // True when building stopped on a limit of ours (depth, alias expansion) rather than on a
  // syntax error that libfyaml reports.
  [[nodiscard]] bool aborted() const { return m_aborted; }

 private:
  static void assign_text(std::string& out, fy_token* t) {
    if (t == nullptr) return;
    size_t len = 0;
    const char* s = fy_token_get_text(t, &len);
    if (s != nullptr) out.assign(s, len);
  }

  void remember_anchor(const std::string& name, const Node& n, size_t nodes) {
    Anchor& a = m_scratch.anchors[name];
    a.node = n;
    a.nodes = nodes;
  }
  [[nodiscard]] size_t built() const { return m_direct_nodes + m_alias_nodes; }

  template <typename T>
  std::vector<T>& scratch_at(std::vector<std::vector<T>>& stack) {
    if (stack.size() <= static_cast<size_t>(m_depth)) stack.resize(static_cast<size_t>(m_depth) + 1);
    return stack[static_cast<size_t>(m_depth)];
  }

  template <typename T>
  static void move_into(std::vector<T>& dst, std::vector<T>& src) {
    dst.reserve(src.size());
    for (T& x : src) dst.push_back(std::move(x));
    src.clear();
  }

  // Builds `out` from the event `ev` (which it frees) and the events of its children.
  bool node(fy_event* ev, Node& out) {
    out.mark = mark_of(fy_event_start_mark(ev));
    if (ev->type != FYET_ALIAS) ++m_direct_nodes;
    switch (ev->type) {
      case FYET_SCALAR: {
        out.kind = NodeKind::scalar;
        assign_text(out.scalar, ev->scalar.value);
        out.style = style_of(ev->scalar.value);
        assign_text(out.tag, ev->scalar.tag);
        // The anchor token belongs to the event: copy the node before freeing it.
        if (fy_token* anchor = ev->scalar.anchor) remember_anchor(token_text(anchor), out, 1);
        fy_parser_event_free(m_parser, ev);
        return true;
      }
      case FYET_ALIAS: {
        std::string name = token_text(ev->alias.anchor);
        fy_parser_event_free(m_parser, ev);
        auto it = m_scratch.anchors.find(name);
        if (it == m_scratch.anchors.end()) {
          errors.push_back(fmt::format("{}:{}:{}: unknown alias *{}", m_filename, out.mark.line,
                                       out.mark.column, name));
          return true;
        }
        // The alias itself is written out; what it copies in beyond one node is expansion.
        ++m_direct_nodes;
        m_alias_nodes += it->second.nodes - 1;
        if (m_alias_nodes > k_alias_node_budget + m_direct_nodes) {
          errors.push_back(fmt::format(
              "{}:{}:{}: alias *{} expands the document past {} nodes copied through aliases; "
              "refusing it (an alias bomb?)",
              m_filename, out.mark.line, out.mark.column, name, k_alias_node_budget + m_direct_nodes));
          m_aborted = true;
          return false;
        }
        Mark m = out.mark;
        out = it->second.node;
        out.mark = m;
        return true;
      }
      case FYET_SEQUENCE_START: {
        out.kind = NodeKind::sequence;
        assign_text(out.tag, ev->sequence_start.tag);
        std::string anchor = token_text(ev->sequence_start.anchor);
        fy_parser_event_free(m_parser, ev);
        const size_t before = built();
        if (++m_depth > 200) return depth_error(out);
        for (;;) {
          fy_event* c = fy_parser_parse(m_parser);
          if (c == nullptr) return false;
          if (c->type == FYET_SEQUENCE_END) {
            fy_parser_event_free(m_parser, c);
            break;
          }
          // Deeper levels may grow the stack of scratch vectors, which moves the vectors but not
          // their buffers: the element reference stays valid, the vector is fetched anew.
          scratch_at(m_scratch.items).emplace_back();
          if (!node(c, scratch_at(m_scratch.items).back())) return false;
          if (Node& item = scratch_at(m_scratch.items).back(); item.mark.line == 0) item.mark = out.mark;
        }
        move_into(out.items, scratch_at(m_scratch.items));
        --m_depth;
        if (!anchor.empty()) remember_anchor(anchor, out, built() - before + 1);
        return true;
      }
      case FYET_MAPPING_START: {
        out.kind = NodeKind::mapping;
        assign_text(out.tag, ev->mapping_start.tag);
        std::string anchor = token_text(ev->mapping_start.anchor);
        fy_parser_event_free(m_parser, ev);
        const size_t before = built();
        KeyIndex keys;
        if (++m_depth > 200) return depth_error(out);
        for (;;) {
          fy_event* c = fy_parser_parse(m_parser);
          if (c == nullptr) return false;
          if (c->type == FYET_MAPPING_END) {
            fy_parser_event_free(m_parser, c);
            break;
          }
          scratch_at(m_scratch.entries).emplace_back();
          if (!node(c, scratch_at(m_scratch.entries).back().key)) return false;
          fy_event* v = fy_parser_parse(m_parser);
          if (v == nullptr) return false;
          if (!node(v, scratch_at(m_scratch.entries).back().value)) return false;
          // An empty value (`run:`) has no mark of its own: point at its key.
          if (MapEntry& e = scratch_at(m_scratch.entries).back(); e.value.mark.line == 0) e.value.mark = e.key.mark;
          std::vector<MapEntry>& entries = scratch_at(m_scratch.entries);
          if (long first = keys.add(entries); first >= 0) {
            const Node& key = entries.back().key;
            errors.push_back(fmt::format("{}:{}:{}: duplicate key {} (first defined at line {})", m_filename,
                                         key.mark.line, key.mark.column, quote(key.scalar),
                                         entries[static_cast<size_t>(first)].key.mark.line));
          }
        }
        move_into(out.entries, scratch_at(m_scratch.entries));
        --m_depth;
        if (!anchor.empty()) remember_anchor(anchor, out, built() - before + 1);
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
    m_aborted = true;
    return false;
  }

  fy_parser* m_parser;
  std::string_view m_filename;
  Scratch& m_scratch;
  int m_depth = 0;
  size_t m_direct_nodes = 0;  // nodes written out in the text
  size_t m_alias_nodes = 0;   // nodes copied in through aliases
  bool m_aborted = false;
};


// A fast path for the block-style YAML that manifests are made of (and that PyYAML and kubectl
// emit): block mappings and sequences, single-line plain and quoted scalars, comments, "---".
// It builds the same nodes and marks as the libfyaml builder above and returns false, without
// side effects the caller keeps, on anything else (flow collections, anchors, tags, block or
// multi-line scalars, empty values, duplicate keys, tabs, non-ASCII, directives...), so that
// libfyaml decides and reports those. yaml_test.cpp checks both paths against each other.
class FastParser {
 public:
  FastParser(std::string_view text, Scratch& scratch)
      : m_text(text), m_items(scratch.items), m_entries(scratch.entries) {
    // Sized once so that references into a level's scratch survive deeper levels.
    if (m_items.size() < k_max_depth + 2) m_items.resize(k_max_depth + 2);
    if (m_entries.size() < k_max_depth + 2) m_entries.resize(k_max_depth + 2);
  }

  bool run(std::vector<Document>& docs) {
    for (char c : m_text) {
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\n') || u >= 0x7f) return false;
    }
    load_line();
    while (!m_eof) {
      if (m_bad) return false;
      Document& d = docs.emplace_back();
      d.empty = false;
      if (m_marker) {
        d.start = Mark{m_lineno, 1};
        load_line();
        if (m_eof || m_marker || m_bad) return false;  // an empty document
      } else {
        d.start = Mark{};  // libfyaml gives implicit starts no mark
      }
      if (!block_node(m_indent, m_ls + static_cast<size_t>(m_indent), d.root, 0)) return false;
      if (m_bad || (!m_eof && !m_marker)) return false;
    }
    return !m_bad;
  }

 private:
  // Moves to the next line with content; sets m_marker for "---", m_bad for what we leave to
  // libfyaml at line level ("...", "--- x", directives).
  void load_line() {
    m_marker = false;
    while (m_next < m_text.size()) {
      size_t ls = m_next;
      size_t le = m_text.find('\n', ls);
      if (le == std::string_view::npos) le = m_text.size();
      m_next = le + 1;
      ++m_lineno;
      size_t p = ls;
      while (p < le && m_text[p] == ' ') ++p;
      if (p == le || m_text[p] == '#') continue;
      m_ls = ls;
      m_le = le;
      m_indent = static_cast<int>(p - ls);
      std::string_view line = m_text.substr(ls, le - ls);
      if (p == ls) {
        if (line.starts_with("---") || line.starts_with("...")) {
          std::string_view rest = line.substr(3);
          if (line[0] == '-' && rest.find_first_not_of(' ') == std::string_view::npos) {
            m_marker = true;
          } else if (rest.empty() || rest[0] == ' ') {
            m_bad = true;
          }
        } else if (line[0] == '%') {
          m_bad = true;
        }
      }
      return;
    }
    m_eof = true;
  }

  Mark mark_at(size_t p) const { return Mark{m_lineno, static_cast<int>(p - m_ls) + 1}; }

  static bool space_or_end(std::string_view t, size_t p, size_t le) { return p >= le || t[p] == ' '; }

  // The rest of the line after p holds nothing but spaces and a comment.
  bool line_done(size_t p) const {
    while (p < m_le && m_text[p] == ' ') ++p;
    return p == m_le || (m_text[p] == '#' && m_text[p - 1] == ' ');
  }

  // Where a node at offset p, column `indent`, starts: a sequence, a mapping or a scalar.
  bool block_node(int indent, size_t p, Node& out, int depth) {
    if (static_cast<size_t>(depth) > k_max_depth) return false;
    if (m_text[p] == '-' && space_or_end(m_text, p + 1, m_le)) return block_seq(indent, p, out, depth);
    size_t after = 0;
    Node key;
    if (!scalar(p, true, key, after)) return false;
    if (after != 0) return block_map(indent, p, out, depth);
    // A lone scalar at block level (a document that is just a scalar): libfyaml's call.
    return false;
  }

  bool block_seq(int indent, size_t p, Node& out, int depth) {
    out.kind = NodeKind::sequence;
    out.mark = mark_at(p);
    std::vector<Node>& items = scratch(m_items, depth);
    for (;;) {
      size_t q = p + 1;
      while (q < m_le && m_text[q] == ' ') ++q;
      Node& item = items.emplace_back();
      if (q == m_le || m_text[q] == '#') {
        if (q < m_le && m_text[q - 1] != ' ') return false;
        load_line();
        if (m_eof || m_marker || m_bad || m_indent <= indent) return false;  // an empty item
        if (!block_node(m_indent, m_ls + static_cast<size_t>(m_indent), item, depth + 1)) return false;
      } else {
        if (m_text[q] == '-' && space_or_end(m_text, q + 1, m_le)) return false;  // "- - x"
        size_t after = 0;
        Node probe;
        if (!scalar(q, true, probe, after)) return false;
        if (after != 0) {
          if (!block_map(static_cast<int>(q - m_ls), q, item, depth + 1)) return false;
        } else {
          if (!scalar(q, false, item, after)) return false;
          load_line();
          if (!m_eof && !m_marker && m_indent > indent) return false;  // continued scalar
        }
      }
      if (m_eof || m_marker || m_bad || m_indent < indent) break;
      if (m_indent > indent) return false;
      p = m_ls + static_cast<size_t>(indent);
      if (!(m_text[p] == '-' && space_or_end(m_text, p + 1, m_le))) break;
    }
    finish(out.items, items);
    return true;
  }

  bool block_map(int indent, size_t p, Node& out, int depth) {
    out.kind = NodeKind::mapping;
    out.mark = mark_at(p);
    std::vector<MapEntry>& entries = scratch(m_entries, depth);
    KeyIndex keys;
    for (;;) {
      MapEntry& e = entries.emplace_back();
      size_t after = 0;
      if (!scalar(p, true, e.key, after) || after == 0) return false;
      if (keys.add(entries) >= 0) return false;  // a duplicate: libfyaml's path words the error
      size_t q = after;
      while (q < m_le && m_text[q] == ' ') ++q;
      if (q == m_le || m_text[q] == '#') {
        if (q < m_le && m_text[q - 1] != ' ') return false;
        load_line();
        if (m_eof || m_marker || m_bad) return false;  // an empty value
        size_t first = m_ls + static_cast<size_t>(m_indent);
        if (m_indent > indent) {
          if (!block_node(m_indent, first, e.value, depth + 1)) return false;
        } else if (m_indent == indent && m_text[first] == '-' && space_or_end(m_text, first + 1, m_le)) {
          if (!block_seq(indent, first, e.value, depth + 1)) return false;  // "key:\n- item"
        } else {
          return false;  // an empty value
        }
      } else {
        if (!scalar(q, false, e.value, after)) return false;
        load_line();
        if (!m_eof && !m_marker && m_indent > indent) return false;  // continued scalar
      }
      if (m_eof || m_marker || m_bad || m_indent < indent) break;
      if (m_indent > indent) return false;
      p = m_ls + static_cast<size_t>(indent);
    }
    finish(out.entries, entries);
    return true;
  }

  // A single-line scalar at p. As a key (`as_key`): `after` is set to the offset just past the
  // ':' when one follows, else 0 (and `out` is not meaningful). As a value: the line must end
  // after it (a comment may follow).
  bool scalar(size_t p, bool as_key, Node& out, size_t& after) {
    after = 0;
    out.kind = NodeKind::scalar;
    out.mark = mark_at(p);
    out.scalar.clear();
    size_t end = 0;  // just past the scalar
    char c = m_text[p];
    // libfyaml marks quoted scalars where their content starts, after the quote.
    if (c == '\'') {
      out.style = ScalarStyle::single_quoted;
      out.mark.column += 1;
      size_t q = p + 1;
      for (;;) {
        size_t r = m_text.find('\'', q);
        if (r == std::string_view::npos || r >= m_le) return false;
        out.scalar.append(m_text.substr(q, r - q));
        if (r + 1 < m_le && m_text[r + 1] == '\'') {
          out.scalar += '\'';
          q = r + 2;
          continue;
        }
        end = r + 1;
        break;
      }
    } else if (c == '"') {
      out.style = ScalarStyle::double_quoted;
      out.mark.column += 1;
      size_t q = p + 1;
      for (;;) {
        size_t r = q;
        while (r < m_le && m_text[r] != '"' && m_text[r] != '\\') ++r;
        if (r >= m_le) return false;
        out.scalar.append(m_text.substr(q, r - q));
        if (m_text[r] == '"') {
          end = r + 1;
          break;
        }
        if (r + 1 >= m_le) return false;
        char e = m_text[r + 1];
        q = r + 2;
        switch (e) {
          case '\\': out.scalar += '\\'; break;
          case '"': out.scalar += '"'; break;
          case '/': out.scalar += '/'; break;
          case 'n': out.scalar += '\n'; break;
          case 't': out.scalar += '\t'; break;
          case 'r': out.scalar += '\r'; break;
          default: return false;  // rarer escapes: libfyaml's call
        }
      }
    } else {
      out.style = ScalarStyle::plain;
      if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(c) != std::string_view::npos) {
        // "-x", "?x", ":x" are plain scalars too, but rare in manifests.
        if (c != '-' || space_or_end(m_text, p + 1, m_le)) return false;
      }
      size_t q = p;
      size_t colon = 0;
      while (q < m_le) {
        char d = m_text[q];
        if (d == ':' && space_or_end(m_text, q + 1, m_le)) {
          colon = q;
          break;
        }
        if (d == '#' && m_text[q - 1] == ' ') break;
        ++q;
      }
      if (as_key) {
        if (colon == 0) return true;  // not a key
        size_t t = colon;
        while (t > p && m_text[t - 1] == ' ') --t;
        out.scalar.assign(m_text.substr(p, t - p));
        after = colon + 1;
        return true;
      }
      if (colon != 0) return false;  // "a: b: c" is libfyaml's to report
      size_t t = q;
      while (t > p && m_text[t - 1] == ' ') --t;
      out.scalar.assign(m_text.substr(p, t - p));
      return line_done(t);
    }
    // Quoted.
    if (as_key) {
      size_t q = end;
      while (q < m_le && m_text[q] == ' ') ++q;
      if (q < m_le && m_text[q] == ':' && space_or_end(m_text, q + 1, m_le)) after = q + 1;
      return true;
    }
    return line_done(end);
  }

  template <typename T>
  static std::vector<T>& scratch(std::vector<std::vector<T>>& stack, int depth) {
    if (stack.size() <= static_cast<size_t>(depth)) stack.resize(static_cast<size_t>(depth) + 1);
    std::vector<T>& v = stack[static_cast<size_t>(depth)];
    v.clear();
    return v;
  }

  template <typename T>
  static void finish(std::vector<T>& dst, std::vector<T>& src) {
    dst.reserve(src.size());
    for (T& x : src) dst.push_back(std::move(x));
    src.clear();
  }

  // Below libfyaml's own depth limit, so that it keeps reporting too-deep input.
  static constexpr size_t k_max_depth = 48;

  std::string_view m_text;
  size_t m_next = 0;  // start of the next line to load
  size_t m_ls = 0, m_le = 0;
  int m_indent = 0;
  int m_lineno = 0;
  bool m_eof = false, m_marker = false, m_bad = false;
  std::vector<std::vector<Node>>& m_items;
  std::vector<std::vector<MapEntry>>& m_entries;
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

struct Parser::Impl {
  bool fast = true;  // try FastParser first
  std::unique_ptr<fy_diag, DiagDeleter> diag;
  std::unique_ptr<fy_parser, ParserDeleter> parser;
  bool fresh = false;  // no input given to `parser` yet
  Scratch scratch;

  // (Re)creates the parser and its diagnostics; collected errors live in the fy_diag, so a
  // parser that failed is replaced rather than reused.
  Expected<void> create() {
    parser.reset();
    diag.reset();
    fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = nullptr;
    // Collected errors are read back below; nothing is printed.
    dcfg.output_fn = [](fy_diag*, void*, const char*, size_t) {};
    dcfg.user = nullptr;
    dcfg.level = FYET_ERROR;
    diag.reset(fy_diag_create(&dcfg));
    if (!diag) return make_error(ErrorCode::internal, "libfyaml: cannot create diagnostics");
    fy_diag_set_collect_errors(diag.get(), true);

    fy_parse_cfg cfg{};
    cfg.flags = static_cast<fy_parse_cfg_flags>(FYPCF_QUIET | FYPCF_COLLECT_DIAG |
                                                FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE);
    cfg.diag = diag.get();
    parser.reset(fy_parser_create(&cfg));
    if (!parser) return make_error(ErrorCode::internal, "libfyaml: cannot create parser");
    fresh = true;
    return {};
  }
};

Parser::Parser() : m_impl(std::make_unique<Impl>()) {}
Parser::Parser(Parser&&) noexcept = default;
Parser& Parser::operator=(Parser&&) noexcept = default;
Parser::~Parser() = default;

namespace {
// Offset of the first byte that is not part of well-formed UTF-8 (overlongs, surrogates and
// code points above U+10FFFF included), or npos.
size_t first_invalid_utf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) len = 3;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else return i;
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}
}  // namespace

Expected<std::vector<Document>> Parser::parse(std::string_view text, std::string_view filename) {
  Impl& im = *m_impl;
  if (im.fast) {
    std::vector<Document> docs;
    if (FastParser(text, im.scratch).run(docs)) return docs;
    for (auto& v : im.scratch.items) v.clear();
    for (auto& v : im.scratch.entries) v.clear();
  }
  // YAML text is UTF-8 here; libfyaml 0.7.12 can also loop forever on some invalid bytes (found
  // by fuzz_yaml: "%1\xff:"), so bad bytes are reported before it sees them.
  if (size_t bad = first_invalid_utf8(text); bad != std::string_view::npos) {
    int line = 1, col = 1;
    for (size_t k = 0; k < bad; ++k) {
      if (text[k] == '\n') {
        ++line;
        col = 1;
      } else if ((static_cast<unsigned char>(text[k]) & 0xC0) != 0x80) {
        ++col;
      }
    }
    return make_error(ErrorCode::invalid_input,
                      fmt::format("{}:{}:{}: invalid UTF-8 (byte 0x{:02x}); YAML files must be UTF-8", filename, line,
                                  col, static_cast<unsigned char>(text[bad])));
  }
  if (!im.parser) {
    if (auto c = im.create(); !c) return tl::unexpected(c.error());
  } else if (!im.fresh) {
    fy_parser_reset(im.parser.get());
  }
  im.fresh = false;
  // libfyaml does not copy the input; `text` outlives the parse.
  if (fy_parser_set_string(im.parser.get(), text.data(), text.size()) != 0) {
    im.parser.reset();
    return make_error(ErrorCode::internal, "libfyaml: cannot set input");
  }
  std::vector<Document> docs;
  Builder b(im.parser.get(), filename, im.scratch);
  bool ok = b.run(docs);
  const bool aborted = b.aborted();
  std::vector<std::string> errors = std::move(b.errors);
  // After an error the scratch vectors may hold partial nodes; drop them.
  if (!ok || !errors.empty()) {
    for (auto& v : im.scratch.items) v.clear();
    for (auto& v : im.scratch.entries) v.clear();
  }
  im.scratch.anchors.clear();
  if (!ok && aborted) {
    // Our own limit stopped the build: its message says why; libfyaml has nothing to add.
    im.parser.reset();
    im.diag.reset();
  } else if (!ok) {
    void* iter = nullptr;
    bool any = false;
    while (fy_diag_error* err = fy_diag_errors_iterate(im.diag.get(), &iter)) {
      if (err->type < FYET_ERROR) continue;
      // Collected diagnostics already count lines and columns from 1.
      errors.push_back(fmt::format("{}:{}:{}: {}", filename, err->line, err->column,
                                   err->msg ? err->msg : "syntax error"));
      any = true;
    }
    if (!any) errors.push_back(fmt::format("{}: invalid YAML", filename));
    // The diagnostics keep what they collected: start afresh next time.
    im.parser.reset();
    im.diag.reset();
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

Expected<std::vector<Document>> parse(std::string_view text, std::string_view filename) {
  return Parser().parse(text, filename);
}

namespace detail {

std::optional<std::vector<Document>> parse_fast(std::string_view text) {
  Scratch scratch;
  std::vector<Document> docs;
  if (!FastParser(text, scratch).run(docs)) return std::nullopt;
  return docs;
}

Expected<std::vector<Document>> parse_libfyaml(std::string_view text, std::string_view filename) {
  Parser p;
  p.m_impl->fast = false;
  return p.parse(text, filename);
}

}  // namespace detail

}  // namespace sluice::base::yaml
