#include "registry/reference.h"

#include <fmt/format.h>

namespace sluice::registry {

namespace {

// The repository name grammar of the OCI distribution spec, checked by hand:
// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
bool valid_component(std::string_view c) {
  if (c.empty()) return false;
  auto alnum = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); };
  if (!alnum(c.front()) || !alnum(c.back())) return false;
  for (size_t i = 0; i < c.size(); ++i) {
    char ch = c[i];
    if (alnum(ch)) continue;
    if (ch != '.' && ch != '_' && ch != '-') return false;
    if (ch == '.' && !alnum(c[i + 1])) return false;
    if (ch == '_' && !(alnum(c[i + 1]) || (c[i + 1] == '_' && i + 2 < c.size() && alnum(c[i + 2])))) return false;
  }
  return true;
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  std::string_view h = host;
  if (!h.empty() && h.front() == '[') {  // [::1]:5000
    auto close = h.find(']');
    return close != std::string_view::npos && h.substr(1, close - 1) == "::1";
  }
  if (auto colon = h.rfind(':'); colon != std::string_view::npos) h = h.substr(0, colon);
  if (h == "localhost") return true;
  if (h.substr(0, 4) != "127.") return false;
  int dots = 0;
  for (char c : h) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

Expected<RepoRef> parse_repo_ref(std::string_view text) {
  RepoRef ref;
  std::string_view rest = text;
  if (rest.substr(0, 7) == "http://") {
    ref.scheme = "http";
    rest.remove_prefix(7);
  } else if (rest.substr(0, 8) == "https://") {
    ref.scheme = "https";
    rest.remove_prefix(8);
  }
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("\"{}\": expected REGISTRY/REPO, e.g. 127.0.0.1:5000/team/app", text));
  }
  ref.host = std::string(rest.substr(0, slash));
  std::string_view name = rest.substr(slash + 1);
  if (name.find(':') != std::string_view::npos || name.find('@') != std::string_view::npos) {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("\"{}\": name a repository, not a tag or digest (a policy decides the tags)", text));
  }
  while (!name.empty() && name.back() == '/') name.remove_suffix(1);
  if (name.empty()) return make_error(ErrorCode::invalid_input, fmt::format("\"{}\": no repository after the registry", text));
  size_t start = 0;
  while (start <= name.size()) {
    auto end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    if (!valid_component(name.substr(start, end - start))) {
      return make_error(ErrorCode::invalid_input,
                        fmt::format("\"{}\": invalid repository name \"{}\" (lowercase letters, digits, and . _ - "
                                    "between them; / between components)",
                                    text, name));
    }
    start = end + 1;
  }
  ref.name = std::string(name);
  if (ref.scheme.empty()) ref.scheme = is_loopback_host(ref.host) ? "http" : "https";
  return ref;
}

Expected<TagRef> parse_tag_ref(std::string_view text) {
  if (text.find('@') != std::string_view::npos) {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("\"{}\": name a tag (REGISTRY/REPO:TAG), not a digest", text));
  }
  auto slash = text.rfind('/');
  auto colon = text.rfind(':');
  if (slash == std::string_view::npos || colon == std::string_view::npos || colon < slash) {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("\"{}\": expected REGISTRY/REPO:TAG, e.g. 127.0.0.1:5000/team/app:v1", text));
  }
  std::string_view tag = text.substr(colon + 1);
  auto tag_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  };
  bool ok = !tag.empty() && tag.size() <= 128 && tag.front() != '.' && tag.front() != '-';
  for (char c : tag) ok = ok && tag_char(c);
  if (!ok) {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("\"{}\": invalid tag \"{}\" (letters, digits, _ . -, at most 128, not starting "
                                  "with . or -)",
                                  text, tag));
  }
  auto repo = parse_repo_ref(text.substr(0, colon));
  if (!repo) return tl::unexpected(repo.error());
  return TagRef{std::move(*repo), std::string(tag)};
}

}  // namespace sluice::registry
