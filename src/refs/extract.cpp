#include "refs/extract.h"

#include <algorithm>
#include <string>

namespace sluice::refs {

FileType file_type(std::string_view path) {
  const size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = name.rfind('.');
  std::string ext = dot == std::string_view::npos ? std::string() : std::string(name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (name == "Dockerfile" || name.starts_with("Dockerfile.") || name == "Containerfile" || ext == "dockerfile") {
    return FileType::dockerfile;
  }
  if (ext == "py" || ext == "pyi" || ext == "pyw") return FileType::python;
  if (ext == "js" || ext == "mjs" || ext == "cjs" || ext == "jsx" || ext == "ts" || ext == "tsx" || ext == "mts" ||
      ext == "cts") {
    return FileType::javascript;
  }
  if (ext == "go") return FileType::go;
  if (ext == "c" || ext == "h" || ext == "cc" || ext == "cpp" || ext == "cxx" || ext == "c++" || ext == "hpp" ||
      ext == "hh" || ext == "hxx" || ext == "h++" || ext == "ipp" || ext == "inl" || ext == "m" || ext == "mm") {
    return FileType::c;
  }
  if (ext == "sh" || ext == "bash" || ext == "zsh" || ext == "ksh") return FileType::shell;
  if (ext == "md" || ext == "markdown") return FileType::markdown;
  if (ext == "yml" || ext == "yaml") return FileType::yaml;
  return FileType::other;
}

std::string_view to_string(FileType t) {
  switch (t) {
    case FileType::python: return "python";
    case FileType::javascript: return "javascript";
    case FileType::go: return "go";
    case FileType::c: return "c";
    case FileType::shell: return "shell";
    case FileType::dockerfile: return "dockerfile";
    case FileType::markdown: return "markdown";
    case FileType::yaml: return "yaml";
    case FileType::other: return "other";
  }
  return "other";
}

std::vector<Reference> extract(FileType type, std::string_view text) {
  switch (type) {
    case FileType::python: return extract_python(text);
    case FileType::javascript: return extract_javascript(text);
    case FileType::go: return extract_go(text);
    case FileType::c: return extract_c(text);
    case FileType::shell:
    case FileType::dockerfile:
    case FileType::markdown:
    case FileType::yaml: return extract_commands(text, type);
    case FileType::other: return {};
  }
  return {};
}

}  // namespace sluice::refs
