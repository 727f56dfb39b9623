#include "llm/workspace.h"

#include <glob.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/files.h"
#include "base/strings.h"

namespace sluice::llm {

namespace fs = std::filesystem;

namespace {

bool inside(const fs::path& root, const fs::path& p) {
  auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return r == root.end();
}

}  // namespace

Expected<fs::path> resolve_in_workspace(const fs::path& root, std::string_view rel, std::string_view what) {
  if (rel.empty()) return make_error(ErrorCode::invalid_input, fmt::format("{}: empty path", what));
  fs::path p(rel);
  if (p.is_absolute())
    return make_error(ErrorCode::invalid_input,
                      fmt::format("{} {} is absolute; paths must be relative to the workspace", what, base::quote(rel)));
  for (const auto& part : p)
    if (part == "..")
      return make_error(ErrorCode::invalid_input,
                        fmt::format("{} {} contains \"..\"; paths must stay inside the workspace", what, base::quote(rel)));
  std::error_code ec;
  fs::path canon_root = fs::weakly_canonical(root, ec);
  if (ec) return make_error(ErrorCode::io, fmt::format("workspace {}: {}", root.string(), ec.message()));
  fs::path full = root / p;
  fs::path resolved = fs::weakly_canonical(full, ec);
  if (ec) return make_error(ErrorCode::io, fmt::format("{} {}: {}", what, base::quote(rel), ec.message()));
  if (!inside(canon_root, resolved))
    return make_error(ErrorCode::invalid_input,
                      fmt::format("{} {} resolves to {} through a symlink, outside the workspace", what,
                                  base::quote(rel), resolved.string()));
  return full;
}

namespace {

struct Pos {
  int line = 1;
  int column = 1;
};

Pos position(std::string_view text, size_t offset) {
  Pos p;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

Expected<std::string> render_context(const fs::path& root, const std::vector<std::string>& globs,
                                     std::vector<std::string>& files) {
  std::string out;
  fs::path canon_root = fs::weakly_canonical(root);
  for (const auto& g : globs) {
    auto checked = resolve_in_workspace(root, g, "context glob");
    if (!checked) return tl::unexpected(checked.error());
    glob_t gl{};
    int rc = glob(checked->c_str(), 0, nullptr, &gl);
    if (rc == GLOB_NOMATCH || (rc == 0 && gl.gl_pathc == 0)) {
      globfree(&gl);
      return make_error(ErrorCode::not_found, fmt::format("context glob {} matches no file", base::quote(g)));
    }
    if (rc != 0) {
      globfree(&gl);
      return make_error(ErrorCode::io, fmt::format("context glob {} failed", base::quote(g)));
    }
    std::vector<fs::path> matched(gl.gl_pathv, gl.gl_pathv + gl.gl_pathc);
    globfree(&gl);
    for (const auto& m : matched) {
      std::string rel = fs::path(m).lexically_relative(root).generic_string();
      if (std::find(files.begin(), files.end(), rel) != files.end()) continue;
      auto ok = resolve_in_workspace(root, rel, "context file");
      if (!ok) return tl::unexpected(ok.error());
      std::error_code ec;
      if (!fs::is_regular_file(*ok, ec)) continue;
      auto text = base::read_file(*ok);
      if (!text) return tl::unexpected(text.error());
      out += fmt::format("--- file: {} ---\n", rel);
      out += *text;
      if (!text->empty() && text->back() != '\n') out += '\n';
      files.push_back(std::move(rel));
    }
  }
  return out;
}

}  // namespace

Expected<RenderedPrompt> render_prompt(std::string_view tmpl, std::string_view name, const fs::path& root,
                                       const std::vector<std::string>& context_globs, const EnvLookup& env) {
  RenderedPrompt r;
  std::string* cur = &r.before;
  bool saw_context = false;
  auto fail = [&](size_t at, const std::string& msg) {
    Pos p = position(tmpl, at);
    return make_error(ErrorCode::invalid_input, fmt::format("{}:{}:{}: {}", name, p.line, p.column, msg));
  };
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t open = tmpl.find("{{", i);
    if (open == std::string_view::npos) {
      cur->append(tmpl.substr(i));
      break;
    }
    cur->append(tmpl.substr(i, open - i));
    size_t close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) return fail(open, "\"{{\" without a closing \"}}\"");
    std::string_view expr = base::trim(tmpl.substr(open + 2, close - open - 2));
    i = close + 2;
    if (expr == "context") {
      if (saw_context) return fail(open, "{{ context }} appears twice");
      saw_context = true;
      cur = &r.after;
    } else if (expr.substr(0, 4) == "env.") {
      std::string_view var = expr.substr(4);
      bool valid = !var.empty() && std::all_of(var.begin(), var.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
      });
      if (!valid) return fail(open, fmt::format("bad environment variable name {}", base::quote(var)));
      auto v = env ? env(var) : std::nullopt;
      if (!v) return fail(open, fmt::format("environment variable {} is not set", var));
      cur->append(*v);
    } else if (expr.substr(0, 5) == "file " || expr.substr(0, 5) == "file\t") {
      std::string_view arg = base::trim(expr.substr(5));
      if (arg.size() < 2 || arg.front() != '"' || arg.back() != '"')
        return fail(open, "file takes a quoted path: {{ file \"path\" }}");
      std::string_view rel = arg.substr(1, arg.size() - 2);
      auto path = resolve_in_workspace(root, rel, "file");
      if (!path) return fail(open, path.error().message);
      auto text = base::read_file(*path);
      if (!text) return fail(open, text.error().message);
      cur->append(*text);
      r.files.emplace_back(rel);
    } else {
      return fail(open, fmt::format("unknown template expression {} (expected file \"path\", env.NAME or context)",
                                    base::quote(expr)));
    }
  }
  r.context_marker = saw_context;
  auto ctx = render_context(root, context_globs, r.files);
  if (!ctx) return tl::unexpected(ctx.error());
  r.context = std::move(*ctx);
  if (!saw_context && !r.context.empty()) {
    if (!r.before.empty() && r.before.back() != '\n') r.before += '\n';
    r.before += '\n';
  }
  return r;
}

}  // namespace sluice::llm
