#pragma once
// Extractors: hand-written lexers that find the references a source file makes, with their
// positions. Strings, comments and template literals never produce references. Each is a pure
// function of the text (thread-safe, no I/O) and never fails: text it cannot make sense of
// yields fewer references, never a crash (each has a fuzz target under fuzz/).

#include <string_view>
#include <vector>

#include "refs/reference.h"

namespace sluice::refs {

enum class FileType { python, javascript, go, c, shell, dockerfile, markdown, yaml, other };

// The file type from the path's name and extension ("Dockerfile", "x.py", "a.tsx", ...).
[[nodiscard]] FileType file_type(std::string_view path);
[[nodiscard]] std::string_view to_string(FileType t);

// Python: import a.b, from x import y (relative: from .m import y gives ".m"; from . import y
// gives ".y"), __import__("x") and importlib.import_module("x") with a literal. Imports in the
// body of a try: whose handler catches ImportError (optional imports) are left out.
[[nodiscard]] std::vector<Reference> extract_python(std::string_view text);
// JavaScript and TypeScript: import/export ... from, import "x", require("x"), import("x"),
// TypeScript's import x = require("x"). Specifiers as written ("./a", "node:fs", "@s/p/sub").
[[nodiscard]] std::vector<Reference> extract_javascript(std::string_view text);
// Go: import "x", import name "x", import ( ... ) blocks.
[[nodiscard]] std::vector<Reference> extract_go(std::string_view text);
// C and C++: #include <x> / "x" (and #include_next, #import), outside #if 0 blocks.
[[nodiscard]] std::vector<Reference> extract_c(std::string_view text);
// Install commands in shell text (pip, uv, poetry, npm, npx, pnpm, yarn, bun, go get/install,
// apt-get, cargo add): one package reference per named package, versions stripped.
// `type` says how to find the shell in the text: every line (shell), RUN instructions
// (dockerfile, which also yields FROM images), fenced code blocks (markdown), or scalar values
// (yaml, which also yields image: references).
[[nodiscard]] std::vector<Reference> extract_commands(std::string_view text, FileType type);

// Dispatches on the file type.
[[nodiscard]] std::vector<Reference> extract(FileType type, std::string_view text);

}  // namespace sluice::refs
