#include "review/manifest.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/files.h"
#include "base/hash.h"

namespace sluice::review {
namespace fs = std::filesystem;

Expected<ManifestFile> read_entry(const fs::path& workspace, const std::string& path,
                                  std::string* content) {
  ManifestFile f;
  f.path = path;
  const fs::path full = workspace / path;
  struct stat st {};
  if (::lstat(full.c_str(), &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) {
      return make_error(ErrorCode::io, fmt::format("{}: {}", path, std::strerror(errno)));
    }
    f.mode = "000000";
    f.sha256 = "deleted";
    if (content) content->clear();
    return f;
  }
  std::string bytes;
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    bytes = fs::read_symlink(full, ec).string();
    f.mode = "120000";
  } else if (S_ISREG(st.st_mode)) {
    auto text = base::read_file(full);
    if (!text) return tl::unexpected(text.error());
    bytes = std::move(*text);
    f.mode = (st.st_mode & S_IXUSR) ? "100755" : "100644";
  } else {
    return make_error(
        ErrorCode::invalid_input,
        fmt::format("{}: not a regular file; a reviewed output must be a file", path));
  }
  f.sha256 = base::sha256_hex(bytes);
  if (content) *content = std::move(bytes);
  return f;
}

namespace {
std::string escape_path(const std::string& p) {
  std::string out;
  for (char c : p) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}
}  // namespace

std::string canonical_text(Manifest m) {
  std::sort(m.stages.begin(), m.stages.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  std::string out = "sluice review manifest v1\n";
  out += fmt::format("pipeline {}\n", m.pipeline_hash);
  for (auto& s : m.stages) {
    std::sort(s.files.begin(), s.files.end(),
              [](const auto& a, const auto& b) { return a.path < b.path; });
    out += fmt::format("stage {}\n", s.name);
    for (const auto& f : s.files)
      out += fmt::format("file {} {} {}\n", f.mode, f.sha256, escape_path(f.path));
  }
  return out;
}

std::string content_hash(const Manifest& m) { return base::sha256_hex(canonical_text(m)); }

}  // namespace sluice::review
