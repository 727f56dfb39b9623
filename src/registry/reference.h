#pragma once
// A repository as the command line names it: `host[:port]/name`, with an optional `http://` or
// `https://` prefix. Without a prefix, localhost and 127.0.0.0/8 (and ::1) are plain HTTP, as
// Docker treats insecure local registries; everything else is HTTPS.

#include <string>
#include <string_view>

#include "base/error.h"

namespace sluice::registry {

struct RepoRef {
  std::string scheme;  // "http" or "https"
  std::string host;    // host[:port], as written
  std::string name;    // repository path, e.g. "team/app"

  // "http://127.0.0.1:5000" (no trailing slash).
  [[nodiscard]] std::string base_url() const { return scheme + "://" + host; }
  // "127.0.0.1:5000/team/app", as the user wrote it (without the scheme).
  [[nodiscard]] std::string display() const { return host + "/" + name; }
};

// Errors (code invalid_input) quote the text: no host, no repository, bad characters in the name.
[[nodiscard]] Expected<RepoRef> parse_repo_ref(std::string_view text);

// An image to push: `host[:port]/name:tag` (same prefixes and scheme rule as parse_repo_ref).
struct TagRef {
  RepoRef repo;
  std::string tag;
  [[nodiscard]] std::string display() const { return repo.display() + ":" + tag; }
};
// Errors (code invalid_input): no tag, a digest instead of a tag, a tag outside the OCI grammar
// [A-Za-z0-9_][A-Za-z0-9._-]{0,127}, or a bad repository part.
[[nodiscard]] Expected<TagRef> parse_tag_ref(std::string_view text);

// Whether `host` (host[:port]) is a loopback address or localhost.
[[nodiscard]] bool is_loopback_host(std::string_view host);

}  // namespace sluice::registry
