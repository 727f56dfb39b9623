#include "refs/image_ref.h"

#include <cctype>

#include <fmt/format.h>

namespace sluice::refs {
namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | -+
bool valid_path_component(std::string_view c) {
  if (c.empty() || !lower_alnum(c.front()) || !lower_alnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !lower_alnum(c[j])) ++j;
    std::string_view sep = c.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" || sep.find_first_not_of('-') == std::string_view::npos;
    if (!ok) return false;
    i = j;
  }
  return true;
}

// host[:port], host := domain-name | IPv4 | [IPv6]
bool valid_domain(std::string_view d) {
  std::string_view host = d;
  if (!d.empty() && d.front() == '[') {
    const size_t close = d.find(']');
    if (close == std::string_view::npos) return false;
    for (char c : d.substr(1, close - 1))
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':') return false;
    host = {};
    d = d.substr(close + 1);
    if (d.empty()) return true;
    if (d.front() != ':') return false;
  } else {
    const size_t colon = d.rfind(':');
    host = d.substr(0, colon);
    d = colon == std::string_view::npos ? std::string_view{} : d.substr(colon);
    if (host.empty()) return false;
    size_t start = 0;
    while (start <= host.size()) {
      size_t dot = host.find('.', start);
      if (dot == std::string_view::npos) dot = host.size();
      std::string_view comp = host.substr(start, dot - start);
      if (comp.empty() || !alnum(comp.front()) || !alnum(comp.back())) return false;
      for (char c : comp)
        if (!alnum(c) && c != '-') return false;
      start = dot + 1;
    }
  }
  if (!d.empty()) {  // :port
    if (d.size() < 2) return false;
    for (char c : d.substr(1))
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  if (!(alnum(t[0]) || t[0] == '_')) return false;
  for (char c : t)
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

bool valid_digest(std::string_view d) {
  const size_t colon = d.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view alg = d.substr(0, colon), hex = d.substr(colon + 1);
  if (!std::isalpha(static_cast<unsigned char>(alg[0]))) return false;
  for (char c : alg)
    if (!alnum(c) && c != '-' && c != '_' && c != '+' && c != '.') return false;
  if (hex.size() < 32) return false;
  for (char c : hex)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  if (alg == "sha256" && hex.size() != 64) return false;
  if (alg == "sha512" && hex.size() != 128) return false;
  return true;
}

}  // namespace

Expected<ImageRef> parse_image(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::invalid_input, fmt::format("invalid image reference \"{}\": {}", text, why));
  };
  if (text.empty()) return bad("empty");
  ImageRef ref;
  std::string_view rest = text;
  if (const size_t at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!valid_digest(ref.digest)) return bad("the digest is not algorithm:hex (sha256 needs 64 hex digits)");
  }
  const size_t last_slash = rest.rfind('/');
  if (const size_t colon = rest.rfind(':'); colon != std::string_view::npos &&
                                            (last_slash == std::string_view::npos || colon > last_slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!valid_tag(ref.tag)) return bad("the tag must be 1-128 of [A-Za-z0-9_.-], not starting with . or -");
  }
  if (rest.empty()) return bad("no repository name");
  const size_t first_slash = rest.find('/');
  std::string_view first = rest.substr(0, first_slash);
  std::string_view path = rest;
  if (first_slash != std::string_view::npos &&
      (first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
       first.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos || first.front() == '[')) {
    if (!valid_domain(first)) return bad(fmt::format("\"{}\" is not a registry host[:port]", first));
    ref.domain = std::string(first);
    path = rest.substr(first_slash + 1);
  } else {
    ref.domain = "docker.io";
  }
  if (path.size() + ref.domain.size() + 1 > 255) return bad("the name is longer than 255 characters");
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view comp = path.substr(start, slash - start);
    if (!valid_path_component(comp)) {
      return bad(fmt::format("path component \"{}\" must be lowercase letters and digits joined by . _ __ or -",
                             comp));
    }
    start = slash + 1;
  }
  ref.path = std::string(path);
  if (ref.domain == "docker.io" && path.find('/') == std::string_view::npos) ref.path = "library/" + ref.path;
  return ref;
}

}  // namespace sluice::refs
