#include "cli/doctor.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "base/files.h"
#include "base/hash.h"
#include "base/strings.h"
#include "cli/doctor_state.h"
#include "engine/llm_sections.h"
#include "pipeline/loader.h"
#include "store/state_layout.h"
#include "tokenize/encoder.h"

namespace sluice::cli::doctor {
namespace fs = std::filesystem;

std::string_view to_string(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::warn: return "warn";
    case Status::fail: return "fail";
    case Status::skip: return "skip";
  }
  return "fail";
}

namespace {

// Creates and removes a file in `dir`, or in the nearest ancestor that exists when `dir` does not
// yet (sluice creates it on first use). Empty when that works, else why not.
std::string probe_writable(const fs::path& dir) {
  std::error_code ec;
  fs::path at = dir;
  while (!fs::exists(at, ec) && at.has_parent_path() && at != at.parent_path()) at = at.parent_path();
  if (!fs::is_directory(at, ec)) return fmt::format("{} is not a directory", at.string());
  std::string tmpl = (at / ".sluice-doctor-XXXXXX").string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return fmt::format("cannot create a file in {}: {}", at.string(), std::strerror(errno));
  ::close(fd);
  ::unlink(tmpl.c_str());
  return {};
}

std::string errno_name(int e) {
  switch (e) {
    case ENOSYS: return "ENOSYS";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EINVAL: return "EINVAL";
    default: return std::to_string(e);
  }
}

Check check_pidfd() {
  Check c{"kernel.pidfd_open", Status::ok, "", ""};
  const long fd = ::syscall(SYS_pidfd_open, ::getpid(), 0);
  if (fd >= 0) {
    ::close(static_cast<int>(fd));
    c.message = "pidfd_open works: stages are watched through process file descriptors";
    return c;
  }
  const int e = errno;
  if (e == ENOSYS) {
    c.status = Status::warn;
    c.message = "pidfd_open is missing (Linux before 5.3): stages are watched by polling instead (slower to notice an exit)";
    c.fix = "nothing is required; a kernel 5.3 or newer is faster";
    return c;
  }
  // spawn() fails on any error but ENOSYS (base/process.cpp): no stage could start.
  c.status = Status::fail;
  c.message = fmt::format("pidfd_open fails with {} ({}): no stage can be started", errno_name(e), std::strerror(e));
  c.fix = "a seccomp profile or sandbox refuses pidfd_open; allow it (Docker 20.10+ does by default) or run "
          "sluice outside that sandbox";
  return c;
}

Check check_openat2() {
  Check c{"kernel.openat2", Status::ok, "", ""};
  open_how how{};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const long fd = ::syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how);
  if (fd >= 0) {
    ::close(static_cast<int>(fd));
    c.message = "openat2(RESOLVE_BENEATH) works: workspace writes follow symlinks that stay inside it";
    return c;
  }
  const int e = errno;
  c.status = Status::warn;
  c.message = fmt::format(
      "openat2 fails with {} ({}): workspace writes open each directory with O_NOFOLLOW instead, so an output "
      "path through any symlink is refused",
      errno_name(e), std::strerror(e));
  c.fix = e == ENOSYS ? "nothing is required; Linux 5.6 or newer has openat2"
                      : "a seccomp profile refuses openat2; allow it to follow in-workspace symlinks";
  return c;
}

Check check_cgroup() {
  Check c{"kernel.cgroup_v2", Status::ok, "", ""};
  std::error_code ec;
  if (!fs::exists("/sys/fs/cgroup/cgroup.controllers", ec)) {
    c.status = Status::warn;
    c.message = "no cgroup v2 hierarchy at /sys/fs/cgroup (cgroup v1 or none)";
    c.fix = "nothing is required: this version of sluice does not use cgroups";
    return c;
  }
  std::string own;
  if (auto text = base::read_file("/proc/self/cgroup")) {
    for (std::string_view line : base::split(*text, '\n')) {
      if (line.substr(0, 3) == "0::") own = std::string(line.substr(3));
    }
  }
  const fs::path dir = fs::path("/sys/fs/cgroup") / fs::path(own).relative_path();
  struct statvfs vfs {};
  const bool read_only = ::statvfs(dir.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0;
  if (read_only || ::faccessat(AT_FDCWD, dir.c_str(), W_OK, AT_EACCESS) != 0) {
    c.status = Status::warn;
    c.message = fmt::format("cgroup v2 at {} is not writable by this user{}", dir.string(),
                            read_only ? " (mounted read-only)" : "");
    c.fix = "nothing is required: this version of sluice does not use cgroups (a container needs "
            "--cgroupns=private and a writable /sys/fs/cgroup for tools that do)";
    return c;
  }
  c.message = fmt::format("cgroup v2 at {} is writable", dir.string());
  return c;
}

std::string join_names(const std::vector<std::string>& names) {
  return base::join(std::span<const std::string>(names), ", ");
}

// Where a variable a stage would see is set: the process environment, the pipeline's `env:` or
// the stage's own. Empty values count as unset (the runner refuses them).
std::optional<std::string> where_set(const Setup& setup, const pipeline::Pipeline& p,
                                     const std::vector<const pipeline::Stage*>& stages, const std::string& name) {
  if (auto v = setup.getenv(name); v && !v->empty()) return "the environment";
  auto in = [&](const pipeline::EnvList& env) {
    return std::any_of(env.begin(), env.end(), [&](const auto& kv) { return kv.first == name && !kv.second.empty(); });
  };
  if (in(p.env)) return fmt::format("{} env:", p.file);
  for (const auto* s : stages) {
    if (!in(s->env)) return std::nullopt;  // must reach every stage that uses the provider
  }
  if (!stages.empty()) return fmt::format("the env: of stage{} {}", stages.size() == 1 ? "" : "s",
                                          stages.front()->name);
  return std::nullopt;
}

std::vector<Check> check_keys(const Setup& setup, const pipeline::Pipeline& p, const engine::LlmSections& llm) {
  // provider name -> the llm: stages that call it (their own provider or a fallback).
  std::map<std::string, std::vector<const pipeline::Stage*>> users;
  for (std::size_t i = 0; i < p.stages.size(); ++i) {
    const auto* spec = llm.stage(static_cast<int>(i));
    if (spec == nullptr) continue;
    users[setup.provider_override.empty() ? spec->provider : setup.provider_override].push_back(&p.stages[i]);
    for (const auto& f : spec->fallback) users[f].push_back(&p.stages[i]);
  }
  std::vector<Check> out;
  if (users.empty()) {
    out.push_back({"keys", Status::skip, fmt::format("{} has no llm: stages: no provider key is needed", p.file), ""});
    return out;
  }
  for (const auto& [provider, stages] : users) {
    std::vector<std::string> names;
    for (const auto* s : stages) {
      if (std::find(names.begin(), names.end(), s->name) == names.end()) names.push_back(s->name);
    }
    Check c{"keys." + provider, Status::ok, "", ""};
    const llm::ProviderConfig* pc = llm.config ? llm.config->find_provider(provider) : nullptr;
    if (pc == nullptr) {
      c.status = Status::fail;
      c.message = fmt::format("provider \"{}\" (used by {}) is not defined under llm: providers:", provider,
                              join_names(names));
      c.fix = fmt::format("add it to the llm: section of {} (sluice plan shows where)", p.file);
    } else if (pc->kind == llm::ProviderKind::replay) {
      c.message = fmt::format("provider \"{}\" replays recorded answers: no key needed (used by {})", provider,
                              join_names(names));
    } else if (pc->api_key_env.empty()) {
      c.message = fmt::format("provider \"{}\" has no api_key_env: no key is sent (used by {})", provider,
                              join_names(names));
    } else if (auto where = where_set(setup, p, stages, pc->api_key_env)) {
      c.message = fmt::format("{} (provider \"{}\", used by {}) is set in {}", pc->api_key_env, provider,
                              join_names(names), *where);
    } else {
      c.status = Status::fail;
      c.message = fmt::format("{} (api_key_env of provider \"{}\", used by {}) is not set", pc->api_key_env, provider,
                              join_names(names));
      c.fix = fmt::format("export {}=... before sluice run; in CI, add it as a masked secret variable", pc->api_key_env);
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<Check> check_tools(const Setup& setup, const pipeline::Pipeline* p) {
  std::vector<Check> out;
  const std::string path_env = setup.getenv("PATH").value_or("");
  std::vector<std::string> git_users;
  bool has_run_stages = false;
  if (p != nullptr) {
    static const std::regex git_word(R"((^|[^A-Za-z0-9_./-])git($|[^A-Za-z0-9_-]))");
    for (const auto& s : p->stages) {
      if (s.kind != pipeline::StageKind::run) continue;
      has_run_stages = true;
      if (std::regex_search(s.run, git_word)) git_users.push_back(s.name);
    }
    if (has_run_stages) {
      const std::string& shell = p->defaults.shell;
      const std::string program(base::split(shell, ' ').front());
      Check c{"tools.shell", Status::ok, "", ""};
      if (auto found = find_program(program, path_env)) {
        c.message = fmt::format("{} (the shell run: stages use) is {}", program, found->string());
      } else {
        c.status = Status::fail;
        c.message = fmt::format("{} (the shell run: stages use) is not found in PATH", program);
        c.fix = fmt::format("install {}, or set defaults: shell: in {}", program, p->file);
      }
      out.push_back(std::move(c));
    }
  }
  Check git{"tools.git", Status::ok, "", ""};
  if (auto found = find_program("git", path_env)) {
    git.message = fmt::format("git is {}", found->string());
  } else if (!git_users.empty()) {
    git.status = Status::fail;
    git.message = fmt::format("git is not found in PATH, and stage{} {} run{} it", git_users.size() == 1 ? "" : "s",
                              join_names(git_users), git_users.size() == 1 ? "s" : "");
    git.fix = "install git (apt install git)";
  } else {
    git.status = Status::warn;
    git.message = "git is not found in PATH: sluice scan --git/--staged and sluice check refs need it";
    git.fix = "install git (apt install git) to use those commands";
  }
  out.push_back(std::move(git));
  return out;
}

}  // namespace

std::optional<fs::path> find_program(std::string_view name, std::string_view path_env) {
  auto executable = [](const fs::path& f) {
    std::error_code ec;
    return fs::is_regular_file(f, ec) && ::access(f.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string_view::npos) {
    if (executable(fs::path(name))) return fs::path(name);
    return std::nullopt;
  }
  for (std::string_view dir : base::split(path_env, ':')) {
    const fs::path f = fs::path(dir.empty() ? "." : dir) / name;
    if (executable(f)) return f;
  }
  return std::nullopt;
}

std::vector<Check> check_ranks(const fs::path& rank_dir) {
  std::vector<Check> out;
  for (const tokenize::EncodingSpec& e : tokenize::known_encodings()) {
    const fs::path file = rank_dir / (std::string(e.name) + ".tiktoken");
    Check c{"ranks." + std::string(e.name), Status::fail, "", ""};
    const std::string fix = "reinstall the sluice package, run scripts/fetch-ranks.sh from a source checkout, or point "
                            "SLUICE_TIKTOKEN_DIR at a directory holding the official rank files";
    std::error_code ec;
    if (!fs::exists(file, ec)) {
      c.message = fmt::format("{} is missing: llm: stages and sluice tokens cannot count tokens", file.string());
      c.fix = fix;
    } else if (auto data = base::read_file(file); !data) {
      c.message = data.error().message;
      c.fix = fix;
    } else if (const std::string got = base::sha256_hex(*data); got != e.sha256) {
      c.message = fmt::format("{}: sha256 is {}, expected {} (corrupted or not the official ranks)", file.string(), got,
                              e.sha256);
      c.fix = "delete it; then " + fix;
    } else {
      c.status = Status::ok;
      c.message = fmt::format("{} verified (sha256 {})", file.string(), got.substr(0, 16));
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<Check> check_cache_dirs(const Setup& setup) {
  std::vector<Check> out;
  const struct {
    const char* name;
    fs::path dir;
    const char* holds;
    const char* fix;
  } dirs[] = {
      {"cache.user", setup.user_cache, "compiled rule databases, schemas and downloaded ranks",
       "set SLUICE_CACHE_DIR (or XDG_CACHE_HOME) to a writable directory"},
      {"cache.workspace", store::StateLayout::of_workspace(setup.workspace).dir(),
       "the state database, step cache and stage logs", "run sluice in a writable checkout (or make it writable)"},
  };
  for (const auto& d : dirs) {
    Check c{d.name, Status::ok, "", ""};
    if (std::string why = probe_writable(d.dir); !why.empty()) {
      c.status = Status::fail;
      c.message = fmt::format("{} ({}) cannot be written: {}", d.dir.string(), d.holds, why);
      c.fix = d.fix;
    } else {
      c.message = fmt::format("{} is writable", d.dir.string());
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<Check> check_kernel() { return {check_pidfd(), check_openat2(), check_cgroup()}; }

std::vector<Check> check_pipeline(const Setup& setup) {
  std::vector<Check> out;
  const fs::path file = fs::path(setup.pipeline_file).is_absolute() ? fs::path(setup.pipeline_file)
                                                                   : setup.workspace / setup.pipeline_file;
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    out.push_back({"pipeline", Status::skip,
                   fmt::format("no {} in {}: provider keys and the tools of its stages are not checked",
                               setup.pipeline_file, setup.workspace.string()),
                   ""});
    auto tools = check_tools(setup, nullptr);
    out.insert(out.end(), tools.begin(), tools.end());
    return out;
  }
  // Loaded by the name given, so messages read "sluice.yml:3:5: ..." as those of sluice plan.
  const bool here = fs::current_path(ec) == setup.workspace;
  auto loaded = pipeline::load_pipeline(here ? fs::path(setup.pipeline_file) : file);
  loaded.pipeline.file = setup.pipeline_file;
  const auto llm = engine::parse_llm_sections(loaded.pipeline, loaded.diagnostics);
  if (!loaded.diagnostics.empty()) {
    out.push_back({"pipeline", Status::fail,
                   fmt::format("{} has {} error{}; the first: {}", setup.pipeline_file, loaded.diagnostics.size(),
                               loaded.diagnostics.size() == 1 ? "" : "s", loaded.diagnostics.front().to_string()),
                   "sluice plan lists every error with its line and column"});
  } else {
    out.push_back({"pipeline", Status::ok,
                   fmt::format("{} is valid ({} stage{})", setup.pipeline_file, loaded.pipeline.stages.size(),
                               loaded.pipeline.stages.size() == 1 ? "" : "s"),
                   ""});
  }
  auto keys = check_keys(setup, loaded.pipeline, llm);
  out.insert(out.end(), keys.begin(), keys.end());
  auto tools = check_tools(setup, &loaded.pipeline);
  out.insert(out.end(), tools.begin(), tools.end());
  return out;
}

std::vector<Check> run_all(const Setup& setup) {
  std::vector<Check> all = check_ranks(setup.rank_dir);
  auto add = [&](std::vector<Check> more) { all.insert(all.end(), more.begin(), more.end()); };
  add(check_cache_dirs(setup));
  all.push_back(check_state(resolve_state(setup), setup.workspace));
  add(check_pipeline(setup));
  add(check_kernel());
  return all;
}

}  // namespace sluice::cli::doctor
