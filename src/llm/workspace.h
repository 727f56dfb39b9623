#pragma once
// Paths confined to the workspace, the prompt template language, and the output guard.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "llm/config.h"

namespace sluice::llm {

// `root / rel` when `rel` is relative, has no ".." component and, with symlinks resolved, stays
// inside `root`; otherwise an invalid_input error naming `what` and the path. Checked at call
// time: a symlink swapped in afterwards is not caught (documented).
[[nodiscard]] Expected<std::filesystem::path> resolve_in_workspace(const std::filesystem::path& root,
                                                                   std::string_view rel, std::string_view what);

// Environment lookup handed in by the caller (libraries never read the environment).
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// A rendered prompt, split around the context so that the context alone can be truncated.
struct RenderedPrompt {
  std::string before;   // template text up to {{ context }} (all of it when absent)
  std::string context;  // the files matched by the context globs, each under a header line
  std::string after;    // template text after {{ context }}
  std::vector<std::string> files;  // workspace-relative files read, in order
  bool context_marker = false;     // the template holds {{ context }}
};

// Renders a template. Expressions: {{ file "path" }} (a workspace file's content),
// {{ env.NAME }} (through `env`; unset is an error), {{ context }} (where the context goes;
// appended at the end when absent). Errors read "<template_name>:line:col: message".
[[nodiscard]] Expected<RenderedPrompt> render_prompt(std::string_view tmpl, std::string_view template_name,
                                                     const std::filesystem::path& root,
                                                     const std::vector<std::string>& context_globs,
                                                     const EnvLookup& env);

// The output guard. Strips code fences (the first fenced block when the reply has prose
// around it, for yaml/json), then requires the text to parse as `spec.format` and match the
// schema (`schema_text`: JSON, empty for none). Returns the text to write.
[[nodiscard]] Expected<std::string> guard_output(std::string_view reply, const OutputSpec& spec,
                                                 std::string_view schema_text);

// The reply without surrounding code fences (exposed for tests and the fuzz target).
[[nodiscard]] std::string strip_code_fences(std::string_view reply, OutputFormat format);

}  // namespace sluice::llm
