#pragma once
// `sluice doctor`: checks of the set-up a run depends on, each a value the command prints (text
// or JSON). A check never prints and never exits; it says what it found and, when something is
// wrong, what to do about it. Secrets never appear: keys are checked by name only and a state
// URL's password is masked.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::cli::doctor {

// fail: a command will fail because of it (exit 1). warn: sluice works, with less (a fallback).
// skip: nothing to check here (no pipeline, no llm: stages).
enum class Status { ok, warn, fail, skip };
[[nodiscard]] std::string_view to_string(Status s);

struct Check {
  std::string name;     // "ranks.o200k_base", "state", "keys.default", "kernel.pidfd_open", ...
  Status status = Status::ok;
  std::string message;  // what was found
  std::string fix;      // what to do; empty when nothing is to be done
};

// What the checks read from outside: the environment (only cli reads it) and where to look.
struct Setup {
  std::function<std::optional<std::string>(std::string_view)> getenv;
  std::filesystem::path workspace;  // absolute
  std::string pipeline_file;        // as given (-f), relative to the workspace or absolute
  std::filesystem::path rank_dir;   // tiktoken_dir()
  std::filesystem::path user_cache;  // user_cache_dir()
  std::string state_flag;           // --state, empty when not given
  std::string provider_override;    // --provider / $SLUICE_PROVIDER, as sluice run takes it
};

// Rank files present and their SHA-256 as tiktoken publishes it (hashed in full every time).
[[nodiscard]] std::vector<Check> check_ranks(const std::filesystem::path& rank_dir);
// The user cache and the workspace's state directory can be written (a file is created and
// removed in the nearest directory that exists; nothing is left behind).
[[nodiscard]] std::vector<Check> check_cache_dirs(const Setup& setup);
// pidfd_open, openat2 and a writable cgroup v2 hierarchy, probed with the real system calls.
[[nodiscard]] std::vector<Check> check_kernel();
// Loads the pipeline: its validity, the API keys (by name) of the providers its `llm:` stages
// use, and the tools its stages need (the shell, git).
[[nodiscard]] std::vector<Check> check_pipeline(const Setup& setup);
// Every check, in the order printed.
[[nodiscard]] std::vector<Check> run_all(const Setup& setup);

// Whether `name` (a bare name: searched in PATH; with a slash: that file) is an executable file.
[[nodiscard]] std::optional<std::filesystem::path> find_program(std::string_view name, std::string_view path_env);

}  // namespace sluice::cli::doctor
