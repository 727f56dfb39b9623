// libFuzzer target: a known value must never survive the redactor in any encoding that
// docs/secrets.md promises to mask. The input is split into a value, a prefix and a suffix;
// each encoding of the value, written between them, goes through the block redactor and through
// the stream redactor split at a fuzzed offset. The encoders here are written independently of
// src/secrets/redactor.cpp, from the encoders' documentation, so they check it rather than echo it.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "secrets/redactor.h"

namespace {

std::string base64(std::string_view in, bool url) {
  const char* t = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                      : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    out += t[(v >> 18) & 63];
    out += t[(v >> 12) & 63];
    out += i + 1 < in.size() ? t[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? t[v & 63] : '=';
  }
  return out;
}

std::string hex4(unsigned v) {
  static const char* d = "0123456789abcdef";
  std::string s = "\\u";
  for (int sh = 12; sh >= 0; sh -= 4) s += d[(v >> sh) & 15];
  return s;
}

std::string url_encode(std::string_view in) {
  static const char* d = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += d[c >> 4];
      out += d[c & 15];
    }
  }
  return out;
}

// JSON string content. ascii: non-ASCII as \uXXXX (only for well-formed UTF-8 input; the caller
// skips ill-formed values for that style).
std::string json(std::string_view in, bool slash, bool html, bool ascii) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c == '\b') out += "\\b";
    else if (c == '\f') out += "\\f";
    else if (c < 0x20 || (html && (c == '<' || c == '>' || c == '&'))) out += hex4(c);
    else if (slash && c == '/') out += "\\/";
    else if (ascii && c >= 0x80) {
      const size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      unsigned cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
      for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(in[i + k]) & 0x3F);
      i += n - 1;
      if (cp >= 0x10000) {
        out += hex4(0xD800 + ((cp - 0x10000) >> 10));
        out += hex4(0xDC00 + ((cp - 0x10000) & 0x3FF));
      } else {
        out += hex4(cp);
      }
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : c >= 0xC2 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    unsigned cp = n == 1 ? c : c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    i += n;
  }
  return true;
}

[[noreturn]] void leaked() { std::abort(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  // data[0], data[1]: value and prefix lengths; data[2]: the stream split; the rest: bytes.
  const std::string_view rest(reinterpret_cast<const char*>(data) + 3, size - 3);
  const size_t vlen = std::min<size_t>(data[0] % 48, rest.size());
  const size_t plen = std::min<size_t>(data[1] % 32, rest.size() - vlen);
  const std::string value(rest.substr(0, vlen));
  const std::string_view prefix = rest.substr(vlen, plen);
  const std::string_view suffix = rest.substr(vlen + plen);
  if (value.size() < sluice::secrets::k_min_mask_length) return 0;
  std::vector<sluice::secrets::NamedValue> nv{{"K", value}};
  auto built = sluice::secrets::KnownValues::create(nv);
  if (!built) std::abort();
  auto redactor = std::make_shared<const sluice::secrets::Redactor>(built->values, nullptr);

  std::vector<std::string> forms{value,
                                 base64(value, false),
                                 base64(value, true),
                                 url_encode(value),
                                 json(value, false, false, false),
                                 json(value, true, false, false),
                                 json(value, false, true, false)};
  if (valid_utf8(value)) {
    forms.push_back(json(value, false, false, true));
    forms.push_back(json(value, true, false, true));
  }
  for (const auto& form : forms) {
    // A form the mask itself could spell (or that the label could) cannot be judged.
    if (form.size() < sluice::secrets::k_min_mask_length || form.find('*') != std::string::npos ||
        form.find('[') != std::string::npos) {
      continue;
    }
    const std::string text = std::string(prefix) + form + std::string(suffix);
    // An open private key block is masked with a label, whose letters a form could reuse.
    if (text.find("-----BEGIN ") != std::string::npos) continue;
    if (redactor->redact(text).find(form) != std::string::npos) leaked();
    // The stream releases whole lines, so its promise covers forms on one line (a multi-line
    // value's lines are masked one by one, when long enough).
    if (form.find('\n') != std::string::npos) continue;
    sluice::secrets::StreamRedactor stream(redactor);
    const size_t cut = text.empty() ? 0 : data[2] % text.size();
    std::string out = stream.write(std::string_view(text).substr(0, cut));
    out += stream.write(std::string_view(text).substr(cut));
    out += stream.flush();
    if (out.find(form) != std::string::npos) leaked();
  }
  return 0;
}
