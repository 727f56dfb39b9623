#include "cli/refs_toolchain.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/hash.h"
#include "base/process.h"
#include "cli/terminal.h"

extern char** environ;

namespace sluice::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::vector<std::string> environment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

std::string which(const std::string& tool) {
  const std::string path = env_or("PATH", "/usr/local/bin:/usr/bin:/bin");
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    if (colon == std::string::npos) colon = path.size();
    fs::path p = fs::path(path.substr(start, colon - start)) / tool;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
    start = colon + 1;
  }
  return {};
}

// Runs argv with a 10 s limit and returns its merged stdout+stderr; nullopt on failure.
std::optional<std::string> capture(const std::vector<std::string>& argv) {
  base::SpawnOptions opts;
  opts.argv = argv;
  opts.env = environment();
  auto r = base::run_captured(opts, std::chrono::seconds(10));
  if (!r || r->code != 0) return std::nullopt;
  return std::move(r->output);
}

// Cache key of a tool: its path, size and modification time.
std::string tool_key(const std::string& exe) {
  struct stat st{};
  std::error_code ec;
  const fs::path real = fs::canonical(exe, ec);
  if (ec || ::stat(real.c_str(), &st) != 0) return {};
  return base::sha256_hex(fmt::format("{}|{}|{}|v1", real.string(), st.st_size, st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec))
      .substr(0, 16);
}

// The cached probe output for `tool`, running `argv` when there is none.
std::optional<std::string> cached(const std::string& tool, const std::vector<std::string>& argv) {
  const std::string exe = which(argv[0]);
  if (exe.empty()) return std::nullopt;
  const std::string key = tool_key(exe);
  const fs::path file = user_cache_dir() / "refs" / fmt::format("{}-{}.txt", tool, key);
  if (!key.empty()) {
    if (auto t = base::read_file(file)) return *t;
  }
  auto out = capture(argv);
  if (out && !key.empty()) (void)base::atomic_write(file, *out);
  return out;
}

constexpr const char* k_python_probe = R"PY(
import json, sys, site, sysconfig
out = {"stdlib": sorted(getattr(sys, "stdlib_module_names", ())), "paths": [], "dists": {}}
paths = set()
for key in ("purelib", "platlib"):
    try: paths.add(sysconfig.get_paths()[key])
    except Exception: pass
try: paths.update(site.getsitepackages())
except Exception: pass
try: paths.add(site.getusersitepackages())
except Exception: pass
out["paths"] = sorted(p for p in paths if p)
try:
    import importlib.metadata as md
    out["dists"] = {k: sorted(set(v)) for k, v in md.packages_distributions().items()}
except Exception: pass
print("SLUICE_PROBE " + json.dumps(out))
)PY";

void probe_python(refs::Toolchain& t) {
  auto out = cached("python3", {"python3", "-c", k_python_probe});
  if (!out) return;
  const size_t at = out->find("SLUICE_PROBE ");
  if (at == std::string::npos) return;
  json j = json::parse(out->substr(at + 13), nullptr, false);
  if (!j.is_object()) return;
  for (const auto& s : j.value("stdlib", json::array())) if (s.is_string()) t.python_stdlib.push_back(s.get<std::string>());
  for (const auto& s : j.value("paths", json::array())) if (s.is_string()) t.python_paths.emplace_back(s.get<std::string>());
  const json dists = j.value("dists", json::object());
  for (auto it = dists.begin(); it != dists.end(); ++it) {
    std::vector<std::string> ds;
    for (const auto& d : it.value()) if (d.is_string()) ds.push_back(d.get<std::string>());
    t.python_import_dists.emplace(it.key(), std::move(ds));
  }
}

void probe_node(refs::Toolchain& t) {
  auto out = cached("node", {"node", "-e", "console.log('SLUICE_PROBE '+JSON.stringify(require('module').builtinModules))"});
  if (!out) return;
  const size_t at = out->find("SLUICE_PROBE ");
  if (at == std::string::npos) return;
  json j = json::parse(out->substr(at + 13), nullptr, false);
  if (!j.is_array()) return;
  for (const auto& s : j) if (s.is_string()) t.node_builtins.push_back(s.get<std::string>());
}

void probe_cc(refs::Toolchain& t) {
  for (const auto& [tool, lang] : {std::pair<const char*, const char*>{"cc", "c"}, {"c++", "c++"}}) {
    auto out = cached(tool, {tool, "-E", "-v", "-x", lang, "/dev/null"});
    if (!out) continue;
    const size_t start = out->find("#include <...> search starts here:");
    const size_t end = out->find("End of search list.");
    if (start == std::string::npos || end == std::string::npos || end < start) continue;
    std::string block = out->substr(start, end - start);
    size_t pos = block.find('\n');
    while (pos != std::string::npos && pos + 1 < block.size()) {
      size_t nl = block.find('\n', pos + 1);
      std::string line = block.substr(pos + 1, (nl == std::string::npos ? block.size() : nl) - pos - 1);
      while (!line.empty() && line.front() == ' ') line.erase(0, 1);
      if (const size_t fw = line.find(" (framework"); fw != std::string::npos) line = line.substr(0, fw);
      if (!line.empty() && std::find(t.c_include_dirs.begin(), t.c_include_dirs.end(), fs::path(line)) == t.c_include_dirs.end()) {
        t.c_include_dirs.emplace_back(line);
      }
      pos = nl;
    }
  }
}

// Installed packages (dpkg status) and those apt knows (lists), cached by the files' mtimes.
void probe_debian(refs::Toolchain& t) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::exists("/var/lib/dpkg/status", ec)) files.emplace_back("/var/lib/dpkg/status");
  for (fs::directory_iterator it("/var/lib/apt/lists", ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().ends_with("_Packages")) files.push_back(it->path());
  }
  if (files.empty()) return;
  std::string key_text;
  for (const auto& f : files) {
    struct stat st{};
    if (::stat(f.c_str(), &st) == 0) key_text += fmt::format("{}|{}|{};", f.string(), st.st_size, st.st_mtim.tv_sec);
  }
  const fs::path cache = user_cache_dir() / "refs" / fmt::format("debian-{}.txt", base::sha256_hex(key_text).substr(0, 16));
  if (auto c = base::read_file(cache)) {
    size_t pos = 0;
    while (pos < c->size()) {
      size_t nl = c->find('\n', pos);
      if (nl == std::string::npos) nl = c->size();
      if (nl > pos) t.debian_packages.push_back(c->substr(pos, nl - pos));
      pos = nl + 1;
    }
    return;
  }
  std::string out;
  for (const auto& f : files) {
    auto text = base::read_file(f);
    if (!text) continue;
    size_t pos = 0;
    while ((pos = text->find("Package: ", pos)) != std::string::npos) {
      if (pos == 0 || (*text)[pos - 1] == '\n') {
        size_t nl = text->find('\n', pos);
        std::string name = text->substr(pos + 9, (nl == std::string::npos ? text->size() : nl) - pos - 9);
        t.debian_packages.push_back(name);
        out += name + "\n";
      }
      pos += 9;
    }
  }
  (void)base::atomic_write(cache, out);
}

}  // namespace

refs::Toolchain probe_refs_toolchain() {
  refs::Toolchain t;
  probe_python(t);
  probe_node(t);
  probe_cc(t);
  probe_debian(t);
  return t;
}

}  // namespace sluice::cli
