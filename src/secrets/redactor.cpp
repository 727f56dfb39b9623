#include "secrets/redactor.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <hs.h>

#include "secrets/hs_scratch.h"
#include "secrets/scanner.h"

namespace sluice::secrets {
namespace {

constexpr char k_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(std::string_view in, bool pad) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += k_b64[(v >> 18) & 63];
    out += k_b64[(v >> 12) & 63];
    out += k_b64[(v >> 6) & 63];
    out += k_b64[v & 63];
  }
  const size_t rest = in.size() - i;
  if (rest > 0) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += k_b64[(v >> 18) & 63];
    out += k_b64[(v >> 12) & 63];
    if (rest == 2) out += k_b64[(v >> 6) & 63];
    if (pad) out += rest == 1 ? "==" : "=";
  }
  return out;
}

std::string url_safe(std::string s) {
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return s;
}

std::string url_encode(std::string_view in) {
  std::string out;
  for (unsigned char c : in) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// The escapes JSON encoders differ in. Every encoder escapes '"', '\\' and control characters.
struct JsonStyle {
  bool slash = false;  // '/' as "\/" (PHP's json_encode, some Java and Ruby encoders)
  bool html = false;   // '<' '>' '&' U+2028 U+2029 as "\u003c"... (Go's encoding/json)
  bool ascii = false;  // every non-ASCII character as "\uXXXX" (Python's json.dumps, PHP)
};

void append_u(std::string& out, unsigned cp) {
  if (cp >= 0x10000) {
    cp -= 0x10000;
    out += fmt::format("\\u{:04x}\\u{:04x}", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
  } else {
    out += fmt::format("\\u{:04x}", cp);
  }
}

// Length of the well-formed UTF-8 sequence at `in[i]` and its code point; 0 when ill-formed (an
// encoder would have rejected or replaced such bytes, so they stay as they are).
size_t utf8_at(std::string_view in, size_t i, unsigned& cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(in[i + k]); };
  const unsigned c = b(0);
  size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > in.size()) return 0;
  cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  const unsigned min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

std::string json_escape(std::string_view in, JsonStyle style) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      default: break;
    }
    if (c < 0x20 || (style.html && (c == '<' || c == '>' || c == '&'))) {
      append_u(out, c);
    } else if (style.slash && c == '/') {
      out += "\\/";
    } else if (c >= 0x80) {
      unsigned cp = 0;
      const size_t n = utf8_at(in, i, cp);
      if (n > 0 && (style.ascii || (style.html && (cp == 0x2028 || cp == 0x2029)))) {
        append_u(out, cp);
        i += n - 1;
      } else {
        out += static_cast<char>(c);
      }
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string escape_slashes(std::string_view in) {
  std::string out;
  for (char c : in) {
    if (c == '/') out += '\\';
    out += c;
  }
  return out;
}

constexpr std::string_view k_begin = "-----BEGIN ";
constexpr std::string_view k_end = "-----END ";

bool is_private_key_header(std::string_view text, size_t begin) {
  size_t eol = text.find('\n', begin);
  if (eol == std::string_view::npos) eol = text.size();
  return text.substr(begin, eol - begin).find("PRIVATE KEY") != std::string_view::npos;
}

// Offset of the first "-----BEGIN ...PRIVATE KEY" that no "-----END " follows, or npos. Such a
// block never ends (a truncated `head key.pem`, a stage killed mid-print): it is masked to the
// end, since no rule can tell where the key stops.
size_t open_private_key(std::string_view text) {
  size_t pos = text.find(k_begin);
  while (pos != std::string_view::npos) {
    const size_t end = text.find(k_end, pos);
    if (end == std::string_view::npos) break;
    pos = text.find(k_begin, end);
  }
  for (; pos != std::string_view::npos; pos = text.find(k_begin, pos + 1)) {
    if (is_private_key_header(text, pos)) return pos;
  }
  return std::string_view::npos;
}

}  // namespace

std::vector<std::string> masked_forms(std::string_view value) {
  std::set<std::string> forms;
  auto add = [&](std::string s) {
    if (s.size() >= k_min_mask_length) forms.insert(std::move(s));
  };
  // Base64 carries '/', which some JSON encoders write as "\/".
  auto add_b64 = [&](const std::string& s) {
    add(s);
    if (s.find('/') != std::string::npos) add(escape_slashes(s));
  };
  auto add_json = [&](std::string_view s) {
    add(json_escape(s, {}));
    add(json_escape(s, {.slash = true}));
    add(json_escape(s, {.html = true}));
    add(json_escape(s, {.ascii = true}));
    add(json_escape(s, {.slash = true, .ascii = true}));
  };
  add(std::string(value));
  // Base64 of the value alone, and the characters that depend only on the value when it sits
  // at byte offset 0, 1 or 2 inside a larger encoded blob.
  add_b64(base64(value, true));
  add(url_safe(base64(value, true)));
  for (size_t k = 0; k < 3; ++k) {
    const std::string enc = base64(std::string(k, '\0') + std::string(value), false);
    const size_t first = (8 * k + 5) / 6;
    const size_t last = (8 * (k + value.size())) / 6;
    if (last > first) {
      add_b64(enc.substr(first, last - first));
      add(url_safe(enc.substr(first, last - first)));
    }
  }
  add(url_encode(value));
  add_json(value);
  if (value.find('\n') != std::string_view::npos) {
    size_t pos = 0;
    while (pos <= value.size()) {
      size_t nl = value.find('\n', pos);
      if (nl == std::string_view::npos) nl = value.size();
      std::string_view line = value.substr(pos, nl - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      add(std::string(line));
      add_json(line);
      pos = nl + 1;
    }
  }
  return {forms.begin(), forms.end()};
}

struct KnownValues::Impl {
  hs_database_t* db = nullptr;
  uint64_t db_id = detail::next_database_id();
  ~Impl() {
    if (db) hs_free_database(db);
  }
};

KnownValues::~KnownValues() = default;

Expected<KnownValues::Built> KnownValues::create(std::span<const NamedValue> values) {
  Built built;
  std::set<std::string> all;
  for (const auto& nv : values) {
    if (nv.value.size() < k_min_mask_length) {
      if (!nv.value.empty()) built.ignored.push_back(nv.name);
      continue;
    }
    for (auto& f : masked_forms(nv.value)) all.insert(std::move(f));
  }
  auto kv = std::shared_ptr<KnownValues>(new KnownValues());
  kv->m_impl = std::make_unique<Impl>();
  kv->m_forms.assign(all.begin(), all.end());
  for (const auto& f : kv->m_forms) kv->m_max_len = std::max(kv->m_max_len, f.size());
  if (!kv->m_forms.empty()) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    std::vector<unsigned> flags;
    std::vector<unsigned> ids;
    for (size_t i = 0; i < kv->m_forms.size(); ++i) {
      ptrs.push_back(kv->m_forms[i].data());
      lens.push_back(kv->m_forms[i].size());
      flags.push_back(HS_FLAG_SOM_LEFTMOST);
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_compile_error_t* err = nullptr;
    if (hs_compile_lit_multi(ptrs.data(), flags.data(), ids.data(), lens.data(), static_cast<unsigned>(ptrs.size()),
                             HS_MODE_BLOCK, nullptr, &kv->m_impl->db, &err) != HS_SUCCESS) {
      std::string msg = err ? err->message : "unknown error";
      hs_free_compile_error(err);
      return make_error(ErrorCode::internal, "cannot compile known secret values: " + msg);
    }
  }
  built.values = std::move(kv);
  return built;
}

std::vector<KnownValues::Span> KnownValues::find(std::string_view text) const {
  std::vector<Span> out;
  if (!m_impl->db || text.empty()) return out;
  hs_scratch_t* scratch = detail::thread_scratch(m_impl->db, m_impl->db_id);
  if (!scratch) throw std::runtime_error("hyperscan: cannot allocate scratch space");
  auto cb = [](unsigned, unsigned long long from, unsigned long long to, unsigned, void* ctx) -> int {
    static_cast<std::vector<Span>*>(ctx)->push_back(Span{static_cast<size_t>(from), static_cast<size_t>(to)});
    return 0;
  };
  const size_t k_block = size_t{1} << 31;
  for (size_t off = 0;; off += k_block - m_max_len) {
    const size_t len = std::min(text.size() - off, k_block);
    std::vector<Span> part;
    if (hs_scan(m_impl->db, text.data() + off, static_cast<unsigned>(len), 0, scratch, cb, &part) != HS_SUCCESS) {
      // Hyperscan 5.4's literal API fails some scans (HS_UNKNOWN_ERROR; e.g. two base64 forms
      // with long runs of 'A', from values full of zero bytes): search each form directly.
      part.clear();
      const std::string_view block = text.substr(off, len);
      for (const auto& f : m_forms) {
        for (size_t at = block.find(f); at != std::string_view::npos; at = block.find(f, at + 1)) {
          part.push_back(Span{at, at + f.size()});
        }
      }
    }
    for (auto s : part) out.push_back(Span{s.start + off, s.end + off});
    if (off + len >= text.size()) break;
  }
  return out;
}

Redactor::Redactor(std::shared_ptr<const KnownValues> known, std::shared_ptr<const Scanner> rules)
    : m_known(std::move(known)), m_rules(std::move(rules)) {
  size_t hold = 256;
  if (m_known) hold = std::max(hold, m_known->max_form_length());
  if (m_rules) hold = std::max(hold, std::min<size_t>(m_rules->max_bounded_match(), 4096));
  m_hold = hold;
}

std::vector<Redaction> Redactor::redactions(std::string_view text) const {
  struct Raw {
    size_t start;
    size_t end;
    const std::string* rule;  // null for known values
  };
  std::vector<Raw> raw;
  if (m_known) {
    for (auto s : m_known->find(text)) raw.push_back(Raw{s.start, s.end, nullptr});
  }
  std::vector<Finding> findings;
  if (m_rules) {
    findings = m_rules->scan(text, {}, InlineAllow::ignore);
    for (const auto& f : findings) {
      if (f.end > f.start) raw.push_back(Raw{f.start, f.end, &f.rule_id});
    }
  }
  static const std::string k_open_key_rule(k_open_private_key_rule);
  if (const size_t key = open_private_key(text); key != std::string_view::npos) {
    const size_t end = text.back() == '\n' ? text.size() - 1 : text.size();
    raw.push_back(Raw{key, std::max(end, key + 1), &k_open_key_rule});
  }
  // Stable: at equal starts a known value labels the merge, then a rule, then the open key.
  std::stable_sort(raw.begin(), raw.end(), [](const Raw& a, const Raw& b) { return a.start < b.start; });
  std::vector<Redaction> out;
  const std::string* label_rule = nullptr;
  bool known = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (!out.empty() && raw[i].start < out.back().end) {
      out.back().end = std::max(out.back().end, raw[i].end);
      known = known || raw[i].rule == nullptr;
      out.back().label = known ? std::string(k_known_value_mask) : "[REDACTED:" + *label_rule + "]";
      continue;
    }
    known = raw[i].rule == nullptr;
    label_rule = raw[i].rule;
    out.push_back(Redaction{raw[i].start, raw[i].end,
                            known ? std::string(k_known_value_mask) : "[REDACTED:" + *raw[i].rule + "]"});
  }
  return out;
}

std::string Redactor::redact(std::string_view text) const {
  const auto spans = redactions(text);
  if (spans.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (const auto& r : spans) {
    out.append(text.substr(pos, r.start - pos));
    out += r.label;
    pos = r.end;
  }
  out.append(text.substr(pos));
  return out;
}

StreamRedactor::StreamRedactor(std::shared_ptr<const Redactor> redactor) : m_redactor(std::move(redactor)) {}

std::string StreamRedactor::release(size_t cut) {
  const auto spans = m_redactor->redactions(m_pending);
  // Never split a redaction: a secret that straddles the cut is held whole.
  for (const auto& r : spans) {
    if (r.start < cut && r.end > cut) cut = r.start;
  }
  std::string out;
  size_t pos = 0;
  for (const auto& r : spans) {
    if (r.end > cut) break;
    out.append(m_pending, pos, r.start - pos);
    out += r.label;
    pos = r.end;
  }
  out.append(m_pending, pos, cut - pos);
  m_pending.erase(0, cut);
  return out;
}

std::string StreamRedactor::write(std::string_view chunk) {
  m_pending.append(chunk);
  if (m_discarding) {
    // Inside a private key too long to hold: drop everything up to its END line.
    const size_t end = m_pending.find(k_end);
    if (end == std::string::npos) {
      if (m_pending.size() > k_end.size()) m_pending.erase(0, m_pending.size() - k_end.size());
      return {};
    }
    const size_t eol = m_pending.find('\n', end);
    if (eol == std::string::npos) {
      m_pending.erase(0, end);
      return {};
    }
    m_pending.erase(0, eol + 1);
    m_discarding = false;
  } else if (chunk.find('\n') == std::string_view::npos && m_pending.size() < k_max_line) {
    return {};
  }
  size_t cut = m_pending.rfind('\n');
  cut = cut == std::string::npos ? 0 : cut + 1;
  if (m_pending.size() - cut >= k_max_line) cut = m_pending.size() - m_redactor->hold_back();
  if (m_pending.size() >= k_max_held) {
    if (const size_t key = open_private_key(m_pending); key != std::string::npos) {
      std::string out = release(key);
      out += k_open_private_key_label;
      out += '\n';
      m_pending.clear();
      m_discarding = true;
      return out;
    }
  }
  // Hold an open PEM-style block (private keys span lines) until its END line.
  const size_t begin = m_pending.rfind(k_begin, cut == 0 ? 0 : cut - 1);
  if (begin != std::string::npos && begin < cut && m_pending.find(k_end, begin) == std::string::npos &&
      m_pending.size() < k_max_held) {
    size_t line_start = m_pending.rfind('\n', begin);
    cut = line_start == std::string::npos ? 0 : line_start + 1;
  }
  if (cut == 0) return {};
  return release(cut);
}

std::string StreamRedactor::flush() {
  if (m_discarding) {
    m_discarding = false;
    m_pending.clear();
    return {};
  }
  if (m_pending.empty()) return {};
  return release(m_pending.size());
}

}  // namespace sluice::secrets
