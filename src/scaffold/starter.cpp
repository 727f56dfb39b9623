// Project detection and the starter sluice.yml. Each kind adds its stages; the text is written
// out at the end with comments saying where each command came from.
#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <set>

#include "base/files.h"
#include "base/strings.h"
#include "base/yaml.h"
#include "scaffold/scaffold.h"

namespace sluice::scaffold {
namespace fs = std::filesystem;

namespace {

bool has(const fs::path& dir, std::string_view rel) {
  std::error_code ec;
  return fs::exists(dir / rel, ec);
}

std::string read_or_empty(const fs::path& p) {
  auto t = base::read_file(p);
  return t ? *t : std::string();
}

// Top-level directories that usually hold sources, and the top-level files matching `exts`:
// the inputs of a stage, so that build/ and other outputs stay out of its cache key.
std::vector<std::string> source_inputs(const fs::path& dir, std::vector<std::string> manifests,
                                       const std::vector<std::string>& exts) {
  std::vector<std::string> out;
  for (auto& m : manifests) {
    if (has(dir, m)) out.push_back(std::move(m));
  }
  for (const char* d : {"src", "include", "lib", "app", "cmd", "pkg", "internal", "tests", "test"}) {
    if (has(dir, d)) out.push_back(fmt::format("{}/**", d));
  }
  std::set<std::string> top;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file(ec)) continue;
    std::string ext = e.path().extension().string();
    if (std::find(exts.begin(), exts.end(), ext) != exts.end()) top.insert("*" + ext);
  }
  out.insert(out.end(), top.begin(), top.end());
  return out;
}

struct Builder {
  fs::path dir;
  std::vector<StageDraft> stages;
  std::vector<std::string> detected;
  std::vector<std::string> notes;  // comments at the top of the file
  bool prefix = false;             // several build systems: name stages <kind>-<step>

  std::string name(std::string_view kind, std::string_view step) const {
    return prefix ? fmt::format("{}-{}", kind, step) : std::string(step);
  }
  StageDraft& add(std::string name, std::string run, std::vector<std::string> inputs, std::string from) {
    StageDraft s;
    s.name = std::move(name);
    s.run = std::move(run);
    s.inputs = std::move(inputs);
    s.comments.push_back(std::move(from));
    stages.push_back(std::move(s));
    return stages.back();
  }
};

std::set<std::string> make_targets(const std::string& makefile) {
  std::set<std::string> out;
  static const std::regex target(R"(^([A-Za-z0-9_.-]+)\s*:([^=]|$))");
  size_t start = 0;
  while (start < makefile.size()) {
    size_t end = makefile.find('\n', start);
    if (end == std::string::npos) end = makefile.size();
    std::smatch m;
    std::string line = makefile.substr(start, end - start);
    if (std::regex_search(line, m, target)) out.insert(m[1]);
    start = end + 1;
  }
  return out;
}

void add_make(Builder& b, const std::string& makefile_name) {
  auto targets = make_targets(read_or_empty(b.dir / makefile_name));
  auto inputs = source_inputs(b.dir, {makefile_name}, {".c", ".cc", ".cpp", ".h", ".hpp", ".sh", ".py", ".go"});
  std::string from = fmt::format("from {}", makefile_name);
  std::string lint_name;
  if (targets.count("lint")) lint_name = b.add(b.name("make", "lint"), "make lint", inputs, from + ": target lint").name;
  std::string build_name;
  if (targets.count("build") || targets.count("all")) {
    auto& s = b.add(b.name("make", "build"), targets.count("build") ? "make build" : "make", inputs, from);
    if (!lint_name.empty()) s.needs.push_back(lint_name);
    build_name = s.name;
  }
  for (const char* t : {"test", "check"}) {
    if (!targets.count(t)) continue;
    auto& s = b.add(b.name("make", "test"), fmt::format("make {}", t), inputs, from + ": target " + t);
    if (!build_name.empty()) s.needs.push_back(build_name);
    else if (!lint_name.empty()) s.needs.push_back(lint_name);
    break;
  }
  if (lint_name.empty() && build_name.empty() && b.stages.empty()) b.add(b.name("make", "build"), "make", inputs, from);
}

void add_cmake(Builder& b) {
  auto inputs = source_inputs(b.dir, {"CMakeLists.txt", "cmake/**"}, {".c", ".cc", ".cpp", ".h", ".hpp"});
  inputs.push_back("**/CMakeLists.txt");
  const std::string configure = "cmake -S . -B build -DCMAKE_BUILD_TYPE=Release\ncmake --build build -j\n";
  b.add(b.name("cmake", "build"), configure, inputs, "from CMakeLists.txt (build/ is not an output: a hit skips the stage)");
  // Builds too, so that it passes in a fresh clone even when the build stage was a cache hit.
  auto& t = b.add(b.name("cmake", "test"), configure + "ctest --test-dir build --output-on-failure\n", inputs,
                  "from CMakeLists.txt: ctest (builds what is missing first)");
  t.needs.push_back(b.name("cmake", "build"));
}

void add_python(Builder& b) {
  std::string manifest = read_or_empty(b.dir / "pyproject.toml") + read_or_empty(b.dir / "requirements.txt") +
                         read_or_empty(b.dir / "requirements-dev.txt") + read_or_empty(b.dir / "setup.cfg");
  std::vector<std::string> inputs = {"**/*.py"};
  for (const char* m : {"pyproject.toml", "requirements.txt", "requirements-dev.txt", "setup.cfg", "setup.py"}) {
    if (has(b.dir, m)) inputs.push_back(m);
  }
  std::string lint = manifest.find("ruff") != std::string::npos     ? "ruff check ."
                     : manifest.find("flake8") != std::string::npos ? "flake8 ."
                                                                    : "python3 -m compileall -q .";
  b.add(b.name("python", "lint"), lint, inputs, "from pyproject.toml / requirements.txt");
  const bool pytest = manifest.find("pytest") != std::string::npos;
  auto& t = b.add(b.name("python", "test"), pytest ? "python3 -m pytest -q" : "python3 -m unittest discover -v",
                  inputs, pytest ? "pytest is named in the project's manifests" : "no pytest named: the standard library's unittest");
  t.needs.push_back(b.name("python", "lint"));
}

void add_node(Builder& b) {
  std::set<std::string> scripts;
  auto docs = base::yaml::parse(read_or_empty(b.dir / "package.json"), "package.json");
  if (docs && !docs->empty()) {
    if (const auto* s = (*docs)[0].root.find("scripts"); s && s->is_map()) {
      for (const auto& e : s->entries) scripts.insert(e.key.scalar);
    }
  }
  const bool lock = has(b.dir, "package-lock.json");
  std::vector<std::string> manifests = {"package.json"};
  if (lock) manifests.push_back("package-lock.json");
  const std::string install = b.name("node", "install");
  b.add(install, lock ? "npm ci" : "npm install", {}, "from package.json")
      .comments.push_back("not cached: node_modules/ is too large to keep as an output");
  auto inputs = source_inputs(b.dir, manifests, {".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx"});
  for (const char* step : {"lint", "test", "build"}) {
    if (!scripts.count(step)) continue;
    auto& s = b.add(b.name("node", step), std::string(step) == "test" ? "npm test" : fmt::format("npm run {}", step),
                    inputs, fmt::format("from package.json: scripts.{}", step));
    s.needs.push_back(install);
  }
}

void add_go(Builder& b) {
  std::vector<std::string> inputs = {"go.mod", "**/*.go"};
  if (has(b.dir, "go.sum")) inputs.insert(inputs.begin() + 1, "go.sum");
  b.add(b.name("go", "lint"), "go vet ./...", inputs, "from go.mod");
  b.add(b.name("go", "test"), "go test ./...", inputs, "from go.mod").needs.push_back(b.name("go", "lint"));
  b.add(b.name("go", "build"), "go build ./...", inputs, "from go.mod").needs.push_back(b.name("go", "test"));
}

void add_cargo(Builder& b) {
  auto inputs = source_inputs(b.dir, {"Cargo.toml", "Cargo.lock"}, {".rs"});
  b.add(b.name("cargo", "lint"), "cargo clippy --all-targets", inputs, "from Cargo.toml");
  b.add(b.name("cargo", "test"), "cargo test", inputs, "from Cargo.toml").needs.push_back(b.name("cargo", "lint"));
  b.add(b.name("cargo", "build"), "cargo build --release", inputs, "from Cargo.toml").needs.push_back(b.name("cargo", "test"));
}

// Kubernetes manifests: YAML files with both apiVersion and kind, under k8s/ or deploy/.
std::vector<std::string> manifest_dirs(const fs::path& dir) {
  std::vector<std::string> out;
  for (const char* d : {"k8s", "deploy"}) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir / d, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      auto ext = it->path().extension();
      if (ext != ".yaml" && ext != ".yml") continue;
      std::string text = read_or_empty(it->path());
      if (text.find("apiVersion:") != std::string::npos && text.find("kind:") != std::string::npos) {
        out.push_back(d);
        break;
      }
    }
  }
  return out;
}

std::vector<fs::path> workflows(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir / ".github" / "workflows", ec)) {
    auto ext = e.path().extension();
    if (ext == ".yml" || ext == ".yaml") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  static const std::string_view special = ":#{}[],&*!|>'\"%@`";
  if (special.find(s.front()) != std::string_view::npos || s.front() == '-' || s.front() == '?' || s.front() == ' ' ||
      s.back() == ' ')
    return true;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) return true;
  for (char c : s) {
    if (c == '\n' || c == '\t' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  // Would read as another type (true, null, 1.5).
  for (std::string_view w : {"true", "false", "null", "~", "yes", "no", "on", "off", "True", "False", "Null"}) {
    if (s == w) return true;
  }
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; });
}

void write_list(std::string& out, std::string_view key, const std::vector<std::string>& items) {
  if (items.empty()) return;
  std::vector<std::string> quoted;
  for (const auto& i : items) quoted.push_back(yaml_quote(i));
  out += fmt::format("    {}: [{}]\n", key, base::join(quoted, ", "));
}

void write_stage(std::string& out, const StageDraft& s) {
  out += "\n";
  for (const auto& c : s.comments) out += fmt::format("  # {}\n", c);
  out += fmt::format("  {}:\n", s.name);
  write_list(out, "needs", s.needs);
  // A literal block keeps multi-line scripts readable; one line stays on the key's line.
  std::string run = s.run;
  while (!run.empty() && run.back() == '\n') run.pop_back();
  const bool block_ok = run.find('\n') != std::string::npos && run.front() != ' ' && run.find(" \n") == std::string::npos &&
                        run.back() != ' ' && run.find('\t') == std::string::npos;
  if (block_ok) {
    out += "    run: |\n";
    for (const auto& line : base::split(run, '\n')) out += line.empty() ? "\n" : fmt::format("      {}\n", line);
  } else {
    out += fmt::format("    run: {}\n", yaml_quote(run));
  }
  write_list(out, "inputs", s.inputs);
  if (!s.env.empty()) {
    out += "    env:\n";
    for (const auto& [k, v] : s.env) out += fmt::format("      {}: {}\n", yaml_quote(k), yaml_quote(v));
  }
  if (!s.timeout.empty()) out += fmt::format("    timeout: {}\n", s.timeout);
  if (!s.working_directory.empty()) out += fmt::format("    working_directory: {}\n", yaml_quote(s.working_directory));
}

}  // namespace

std::string yaml_quote(std::string_view s) {
  if (!needs_quotes(s)) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\x{:02x}", c);
        else out += c;
    }
  }
  return out + "\"";
}

Expected<Starter> starter_pipeline(const fs::path& dir) {
  Builder b;
  b.dir = dir;
  const std::string makefile = has(dir, "Makefile") ? "Makefile" : has(dir, "GNUmakefile") ? "GNUmakefile" : "";
  const bool cmake = has(dir, "CMakeLists.txt");
  const bool python = has(dir, "pyproject.toml") || has(dir, "requirements.txt") || has(dir, "setup.py");
  const bool node = has(dir, "package.json");
  const bool go = has(dir, "go.mod");
  const bool cargo = has(dir, "Cargo.toml");
  const int systems = !makefile.empty() + cmake + python + node + go + cargo;
  b.prefix = systems > 1;
  if (cmake) { b.detected.push_back("CMake (CMakeLists.txt)"); add_cmake(b); }
  if (!makefile.empty()) { b.detected.push_back(fmt::format("make ({})", makefile)); add_make(b, makefile); }
  if (python) { b.detected.push_back("Python (pyproject.toml / requirements.txt)"); add_python(b); }
  if (node) { b.detected.push_back("Node (package.json)"); add_node(b); }
  if (go) { b.detected.push_back("Go (go.mod)"); add_go(b); }
  if (cargo) { b.detected.push_back("Rust (Cargo.toml)"); add_cargo(b); }
  std::vector<std::string> tested;
  for (const auto& s : b.stages) {
    if (s.name.ends_with("test")) tested.push_back(s.name);
  }
  if (has(dir, "Dockerfile")) {
    b.detected.push_back("Docker (Dockerfile)");
    std::string image = dir.filename().string();
    if (image.empty()) image = "app";
    std::transform(image.begin(), image.end(), image.begin(), [](unsigned char c) { return std::isalnum(c) ? std::tolower(c) : '-'; });
    auto& s = b.add("image", fmt::format("docker build -t {}:dev .", image), {}, "from Dockerfile (needs docker)");
    s.needs = tested;
  }

  // Every workflow's jobs, translated.
  std::vector<std::string> untranslated;
  for (const auto& wf : workflows(dir)) {
    auto text = base::read_file(wf);
    SLUICE_TRY(text);
    std::string rel = ".github/workflows/" + wf.filename().string();
    std::string stem = wf.stem().string();
    b.detected.push_back(fmt::format("GitHub workflow ({})", rel));
    auto t = translate_workflow(*text, rel, fmt::format("gh-{}-", stem));
    if (!t) {
      untranslated.push_back(fmt::format("{}: cannot be read as YAML: {}", rel, t.error().message));
      continue;
    }
    for (auto& s : t->stages) b.stages.push_back(std::move(s));
    for (auto& u : t->untranslated) untranslated.push_back(fmt::format("{}: {}", rel, u));
  }

  std::string out = "# sluice.yml written by `sluice init`: a starting point, edit freely (docs/pipeline.md).\n";
  out += fmt::format("# Detected: {}.\n", b.detected.empty() ? "no build system" : base::join(b.detected, ", "));
  out += "# Stages with `inputs` are cached: they run again only when those files change (sluice plan shows it).\n";
  if (!untranslated.empty()) {
    out += "#\n# Not translated from the GitHub workflows (redo these by hand if they matter):\n";
    for (const auto& u : untranslated) out += fmt::format("#   {}\n", u);
  }
  out += "version: 1\ndefaults: { timeout: 30m }\n";
  out += "\n# An LLM stage, off until you have a provider (docs/llm-stages.md); the budget caps its spend.\n"
         "# llm:\n"
         "#   providers:\n"
         "#     default: { kind: openai, base_url: \"https://api.openai.com/v1\", api_key_env: OPENAI_API_KEY, model: gpt-4o-mini }\n"
         "#   budget: { per_run_usd: 0.50, per_day_usd: 5, max_calls_per_run: 10 }\n";
  out += "\nstages:";
  for (const auto& s : b.stages) write_stage(out, s);

  StageDraft scan;
  scan.name = "secrets";
  scan.comments = {"secrets in the repository's files (.gitignore is honoured; add .sluice/ to it)"};
  scan.run = "$SLUICE_BIN scan .";
  write_stage(out, scan);

  if (auto dirs = manifest_dirs(dir); !dirs.empty()) {
    b.detected.push_back(fmt::format("Kubernetes manifests ({})", base::join(dirs, ", ")));
    std::vector<std::string> inputs;
    for (const auto& d : dirs) inputs.push_back(yaml_quote(d + "/**"));
    out += fmt::format(
        "\n  # Kubernetes manifests, checked offline. sluice ships no schemas: point --schema-location at a\n"
        "  # directory of JSON schemas (kubeconform layout) or a URL template (docs/k8s-validation.md),\n"
        "  # then uncomment.\n"
        "  # validate-k8s:\n"
        "  #   run: $SLUICE_BIN validate k8s --schema-location SCHEMAS {}\n"
        "  #   inputs: [{}]\n",
        base::join(dirs, " "), base::join(inputs, ", "));
  }
  out += "\n  # review:\n"
         "  #   needs: [secrets]\n"
         "  #   llm:\n"
         "  #     system: \"You review diffs for bugs and risky changes. Be brief.\"\n"
         "  #     prompt_file: prompts/review.md\n"
         "  #     max_output_tokens: 800\n"
         "  #     output: { path: build/review.md, format: text }\n";
  return Starter{std::move(out), std::move(b.detected)};
}

}  // namespace sluice::scaffold
