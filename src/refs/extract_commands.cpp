// Install commands (pip, uv, poetry, npm, npx, pnpm, yarn, bun, go, apt-get, cargo) in shell
// text, Dockerfile RUN instructions, Markdown code blocks and YAML values; container images in
// YAML image: keys and Dockerfile FROM lines. Shell is split into words as the shell does
// (quotes, backslashes, comments), so a command inside a quoted string is not a command.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "refs/extract.h"

namespace sluice::refs {
namespace {

struct Word {
  std::string text;
  size_t offset;     // of the word's first byte in the file
  bool quoted = false;
  bool op = false;   // a control operator: && || ; | & ( )
};

struct Line {
  std::string_view text;
  size_t offset;  // of text[0] in the file
  int line;       // 1-based
};

// Splits one logical shell line into words and control operators.
std::vector<Word> shell_words(std::string_view s, size_t base) {
  std::vector<Word> out;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
      continue;
    }
    if (c == '#') break;  // a comment to the end of the line
    if (c == '&' || c == '|' || c == ';' || c == '(' || c == ')' || c == '`') {
      out.push_back(Word{std::string(1, c), base + i, false, true});
      ++i;
      if (i < s.size() && (s[i] == '&' || s[i] == '|') && (c == '&' || c == '|')) ++i;
      continue;
    }
    Word w{{}, base + i, false, false};
    while (i < s.size()) {
      const char d = s[i];
      if (d == ' ' || d == '\t' || d == '\r' || d == '\n' || d == ';' || d == '&' || d == '|' || d == '(' ||
          d == ')' || d == '`') {
        break;
      }
      if (d == '\'' || d == '"') {
        w.quoted = true;
        size_t end = s.find(d, i + 1);
        if (end == std::string_view::npos) end = s.size();
        w.text.append(s.substr(i + 1, end - i - 1));
        i = std::min(end + 1, s.size());
        continue;
      }
      if (d == '\\' && i + 1 < s.size()) {
        w.text.push_back(s[i + 1]);
        i += 2;
        continue;
      }
      w.text.push_back(d);
      ++i;
    }
    out.push_back(std::move(w));
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Strips a version or extras from a package argument; empty when it is not a package name
// (a path, URL, file, variable or flag).
std::string package_name(std::string_view arg, Ecosystem eco) {
  if (arg.empty() || arg[0] == '-' || arg.find('$') != std::string_view::npos ||
      arg.find("://") != std::string_view::npos || starts_with(arg, "git+") || starts_with(arg, ".") ||
      starts_with(arg, "/") || starts_with(arg, "~") || arg.find('{') != std::string_view::npos) {
    return {};
  }
  switch (eco) {
    case Ecosystem::python: {
      if (arg.ends_with(".whl") || arg.ends_with(".tar.gz") || arg.ends_with(".zip") || arg.ends_with(".txt")) return {};
      size_t end = 0;
      while (end < arg.size() && (std::isalnum(static_cast<unsigned char>(arg[end])) || arg[end] == '.' ||
                                  arg[end] == '_' || arg[end] == '-')) {
        ++end;
      }
      if (end < arg.size() && arg[end] == '/') return {};  // a path
      return std::string(arg.substr(0, end));
    }
    case Ecosystem::javascript: {
      if (starts_with(arg, "npm:") || starts_with(arg, "file:") || starts_with(arg, "github:") ||
          starts_with(arg, "link:") || starts_with(arg, "workspace:") || arg.ends_with(".tgz")) {
        return {};
      }
      const size_t at = arg.find('@', arg[0] == '@' ? 1 : 0);
      std::string_view name = arg.substr(0, at);
      const size_t slash = name.find('/');
      if (name[0] != '@' && slash != std::string_view::npos) return {};  // user/repo (GitHub)
      if (name[0] == '@' && (slash == std::string_view::npos || slash + 1 == name.size())) return {};
      return std::string(name);
    }
    case Ecosystem::go: {
      std::string_view name = arg.substr(0, arg.find('@'));
      if (name.ends_with("/...")) name.remove_suffix(4);
      return std::string(name);
    }
    case Ecosystem::debian: {
      size_t end = 0;
      while (end < arg.size() && arg[end] != '=' && arg[end] != '/' && arg[end] != ':') ++end;
      if (arg.find('*') != std::string_view::npos || arg.ends_with(".deb")) return {};
      std::string_view name = arg.substr(0, end);
      // apt-get install foo- removes foo; foo+ keeps it
      if (!name.empty() && (name.back() == '-' || name.back() == '+')) name.remove_suffix(1);
      return std::string(name);
    }
    case Ecosystem::rust: {
      std::string_view name = arg.substr(0, arg.find('@'));
      return std::string(name);
    }
    default: return {};
  }
}

// Flags that take a value (so the next word is not a package).
bool flag_takes_value(std::string_view f, Ecosystem eco) {
  if (f.find('=') != std::string_view::npos) return false;
  static constexpr std::string_view k_python[] = {"-r", "--requirement", "-c", "--constraint", "-e", "--editable",
                                                  "-i", "--index-url", "--extra-index-url", "-f", "--find-links",
                                                  "-t", "--target", "--prefix", "--root", "--python", "-p",
                                                  "--group", "-G", "--source", "--platform", "--python-version",
                                                  "--only-binary", "--no-binary", "--trusted-host", "--cache-dir",
                                                  "--progress-bar", "--src", "--optional", "--extra", "--index"};
  static constexpr std::string_view k_js[] = {"--prefix", "-w", "--workspace", "--filter", "-F", "--registry",
                                              "--cwd", "-p", "--package", "--tag", "-C", "--dir"};
  static constexpr std::string_view k_debian[] = {"-o", "-t", "--target-release", "-c", "--option"};
  static constexpr std::string_view k_rust[] = {"--features", "-F", "--git", "--path", "--branch", "--tag",
                                                "--rev", "--rename", "--registry", "--target", "-p", "--package"};
  static constexpr std::string_view k_go[] = {"-tags", "-ldflags", "-gcflags", "-o", "-C", "-mod", "-modfile"};
  auto in = [&](auto& list) { return std::find(std::begin(list), std::end(list), f) != std::end(list); };
  switch (eco) {
    case Ecosystem::python: return in(k_python);
    case Ecosystem::javascript: return in(k_js);
    case Ecosystem::debian: return in(k_debian);
    case Ecosystem::rust: return in(k_rust);
    case Ecosystem::go: return in(k_go);
    default: return false;
  }
}

class CommandScanner {
 public:
  CommandScanner(std::string_view text, std::vector<Reference>& out) : m_text(text), m_out(out) {}

  // One logical shell line (continuations already joined in `words`).
  void scan(const std::vector<Word>& words) {
    size_t i = 0;
    while (i < words.size()) {
      size_t end = i;
      while (end < words.size() && !words[end].op) ++end;
      command(words, i, end);
      i = end + 1;
    }
  }

 private:
  void command(const std::vector<Word>& w, size_t i, size_t end) {
    // Skip what runs a command without being it: sudo, env, VAR=value, time, exec, nohup.
    while (i < end && !w[i].quoted &&
           (w[i].text == "sudo" || w[i].text == "env" || w[i].text == "time" || w[i].text == "exec" ||
            w[i].text == "nohup" || w[i].text == "then" || w[i].text == "do" || w[i].text == "else" ||
            w[i].text == "RUN" || w[i].text == "$" || w[i].text == "-" ||
            (w[i].text.find('=') != std::string::npos && w[i].text[0] != '-' &&
             w[i].text.find('=') < w[i].text.find('/')))) {
      ++i;
    }
    if (i >= end || w[i].quoted) return;
    std::string_view cmd = w[i].text;
    const size_t slash = cmd.rfind('/');
    if (slash != std::string_view::npos) cmd = cmd.substr(slash + 1);  // /usr/bin/pip
    auto word = [&](size_t k) -> std::string_view { return k < end ? std::string_view(w[k].text) : std::string_view{}; };
    size_t args = 0;
    Ecosystem eco = Ecosystem::python;
    if (cmd == "pip" || cmd == "pip3" || starts_with(cmd, "pip3.")) {
      if (word(i + 1) != "install") return;
      args = i + 2;
    } else if (cmd == "python" || cmd == "python3" || starts_with(cmd, "python3.")) {
      if (word(i + 1) != "-m" || (word(i + 2) != "pip" && word(i + 2) != "uv") || word(i + 3) != "install") return;
      args = i + 4;
    } else if (cmd == "uv") {
      if (word(i + 1) == "add") args = i + 2;
      else if (word(i + 1) == "pip" && word(i + 2) == "install") args = i + 3;
      else return;
    } else if (cmd == "poetry") {
      if (word(i + 1) != "add") return;
      args = i + 2;
    } else if (cmd == "npm") {
      eco = Ecosystem::javascript;
      const std::string_view sub = word(i + 1);
      if (sub != "i" && sub != "install" && sub != "add" && sub != "isntall") return;
      args = i + 2;
    } else if (cmd == "npx" || cmd == "bunx") {
      eco = Ecosystem::javascript;
      args = i + 1;
      while (args < end && w[args].text[0] == '-') {
        if (w[args].text == "-p" || w[args].text == "--package") {
          add_one(w, args + 1, eco);
          args += 2;
        } else {
          ++args;
        }
      }
      add_one(w, args, eco);  // npx runs one package; the rest are its arguments
      return;
    } else if (cmd == "pnpm" || cmd == "yarn" || cmd == "bun") {
      eco = Ecosystem::javascript;
      size_t k = i + 1;
      if (cmd == "yarn" && word(k) == "global") ++k;
      if (word(k) != "add" && !(cmd == "pnpm" && (word(k) == "install" || word(k) == "i") && k + 1 < end)) return;
      args = k + 1;
    } else if (cmd == "go") {
      eco = Ecosystem::go;
      if (word(i + 1) != "get" && word(i + 1) != "install") return;
      args = i + 2;
    } else if (cmd == "apt-get" || cmd == "apt" || cmd == "aptitude") {
      eco = Ecosystem::debian;
      size_t k = i + 1;
      while (k < end && w[k].text[0] == '-') k += flag_takes_value(w[k].text, eco) ? 2 : 1;
      if (word(k) != "install") return;
      args = k + 1;
    } else if (cmd == "cargo") {
      eco = Ecosystem::rust;
      if (word(i + 1) != "add" && word(i + 1) != "install") return;
      args = i + 2;
    } else {
      return;
    }
    for (size_t k = args; k < end; ++k) {
      if (w[k].text.empty()) continue;
      if (w[k].text[0] == '-') {
        if (flag_takes_value(w[k].text, eco)) ++k;
        continue;
      }
      add_one(w, k, eco);
    }
  }

  void add_one(const std::vector<Word>& w, size_t k, Ecosystem eco) {
    if (k >= w.size() || w[k].op) return;
    std::string name = package_name(w[k].text, eco);
    if (name.empty()) return;
    Reference r;
    r.ecosystem = eco;
    r.kind = RefKind::package;
    r.name = std::move(name);
    position(w[k].offset + (w[k].quoted ? 1 : 0), r);
    m_out.push_back(std::move(r));
  }

 public:
  void position(size_t offset, Reference& r) const {
    // Files are small next to the cost of a lookup; count lines from the top (no ordering needed).
    int line = 1;
    size_t line_start = 0;
    for (size_t p = 0; p < offset && p < m_text.size(); ++p) {
      if (m_text[p] == '\n') {
        ++line;
        line_start = p + 1;
      }
    }
    r.line = line;
    r.column = static_cast<int>(offset - line_start) + 1;
  }

 private:
  std::string_view m_text;
  std::vector<Reference>& m_out;
};

// Splits text into lines, joining backslash continuations into one logical line of words.
template <class F>
void for_each_logical_line(std::string_view text, size_t base, F&& f) {
  std::vector<Word> words;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const bool continued = !line.empty() && line.back() == '\\';
    if (continued) line.remove_suffix(1);
    std::vector<Word> part = shell_words(line, base + pos);
    words.insert(words.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    if (!continued) {
      if (!words.empty()) f(words);
      words.clear();
    }
    if (nl >= text.size()) break;
    pos = nl + 1;
  }
  if (!words.empty()) f(words);
}

void add_image(std::string_view text, size_t offset, std::string_view value, std::vector<Reference>& out,
               const CommandScanner& pos) {
  if (value.empty() || value.find("${") != std::string_view::npos || value.find("{{") != std::string_view::npos ||
      value[0] == '$') {
    return;  // templated: resolved at deploy time, not here
  }
  (void)text;
  Reference r;
  r.ecosystem = Ecosystem::image;
  r.kind = RefKind::image;
  r.name = std::string(value);
  pos.position(offset, r);
  out.push_back(std::move(r));
}

std::string_view trim_view(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

void scan_yaml(std::string_view text, std::vector<Reference>& out, CommandScanner& sc) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i < line.size() && line[i] == '-' && i + 1 < line.size() && line[i + 1] == ' ') {
      i += 2;
      while (i < line.size() && line[i] == ' ') ++i;
    }
    std::string_view rest = line.substr(i);
    if (rest.starts_with("#")) {
      pos = nl + 1;
      continue;
    }
    if (rest.starts_with("image:")) {
      size_t v = i + 6;
      while (v < line.size() && (line[v] == ' ' || line[v] == '\t')) ++v;
      std::string_view value = line.substr(v);
      const size_t hash = value.find(" #");
      if (hash != std::string_view::npos) value = value.substr(0, hash);
      value = trim_view(value);
      size_t voff = pos + v;
      if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'') && value.back() == value[0]) {
        value = value.substr(1, value.size() - 2);
        ++voff;
      }
      add_image(text, voff, value, out, sc);
    } else {
      // A scalar value (after "key:" or as a list item) or a block-scalar line: shell text.
      const size_t colon = rest.find(": ");
      std::string_view value = rest;
      size_t voff = pos + i;
      if (colon != std::string_view::npos && rest.find_first_of(" '\"") >= colon) {
        value = rest.substr(colon + 2);
        voff += colon + 2;
      }
      if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'') && value.back() == value[0]) {
        value = value.substr(1, value.size() - 2);
        ++voff;
      }
      for_each_logical_line(value, voff, [&](const std::vector<Word>& w) { sc.scan(w); });
    }
    pos = nl + 1;
  }
}

void scan_dockerfile(std::string_view text, std::vector<Reference>& out, CommandScanner& sc) {
  std::vector<std::string> stages;
  for_each_logical_line(text, 0, [&](const std::vector<Word>& w) {
    if (w.empty() || w[0].op) return;
    std::string instr = w[0].text;
    std::transform(instr.begin(), instr.end(), instr.begin(), [](unsigned char c) { return std::toupper(c); });
    if (instr == "RUN") {
      std::vector<Word> rest(w.begin() + 1, w.end());
      sc.scan(rest);
    } else if (instr == "FROM") {
      size_t k = 1;
      while (k < w.size() && w[k].text.starts_with("--")) ++k;
      if (k >= w.size()) return;
      const std::string& image = w[k].text;
      if (k + 2 < w.size()) {
        std::string as = w[k + 1].text;
        std::transform(as.begin(), as.end(), as.begin(), [](unsigned char c) { return std::tolower(c); });
        if (as == "as") stages.push_back(w[k + 2].text);
      }
      if (image == "scratch" || std::find(stages.begin(), stages.end(), image) != stages.end()) return;
      add_image(text, w[k].offset, image, out, sc);
    }
  });
}

void scan_markdown(std::string_view text, CommandScanner& sc) {
  size_t pos = 0;
  bool in_fence = false;
  bool shell_fence = false;
  std::string fence;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    std::string_view t = trim_view(line);
    if (!in_fence && (t.starts_with("```") || t.starts_with("~~~"))) {
      in_fence = true;
      fence = std::string(t.substr(0, 3));
      std::string_view lang = trim_view(t.substr(3));
      lang = lang.substr(0, lang.find_first_of(" {"));
      shell_fence = lang.empty() || lang == "sh" || lang == "bash" || lang == "shell" || lang == "console" ||
                    lang == "zsh" || lang == "shell-session" || lang == "dockerfile" || lang == "Dockerfile" ||
                    lang == "powershell" || lang == "ps1" || lang == "cmd" || lang == "yaml" || lang == "yml";
    } else if (in_fence && t.starts_with(fence)) {
      in_fence = false;
    } else if (in_fence && shell_fence) {
      std::string_view cmdline = line;
      size_t off = pos;
      std::string_view s = trim_view(line);
      if (s.starts_with("$ ") || s.starts_with("> ") || s.starts_with("% ")) {
        off = pos + static_cast<size_t>(s.data() - line.data()) + 2;
        cmdline = s.substr(2);
      }
      for_each_logical_line(cmdline, off, [&](const std::vector<Word>& w) { sc.scan(w); });
    }
    pos = nl + 1;
  }
}

}  // namespace

std::vector<Reference> extract_commands(std::string_view text, FileType type) {
  std::vector<Reference> out;
  CommandScanner sc(text, out);
  switch (type) {
    case FileType::shell: for_each_logical_line(text, 0, [&](const std::vector<Word>& w) { sc.scan(w); }); break;
    case FileType::dockerfile: scan_dockerfile(text, out, sc); break;
    case FileType::markdown: scan_markdown(text, sc); break;
    case FileType::yaml: scan_yaml(text, out, sc); break;
    default: break;
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Reference& a, const Reference& b) { return a.line != b.line ? a.line < b.line : a.column < b.column; });
  return out;
}

}  // namespace sluice::refs
