#pragma once
// What the terminal can do, decided once from the environment (only cli reads it).

#include <cstdio>
#include <filesystem>
#include <string>

#include "base/error.h"

namespace sluice::cli {

enum class CiKind { none, github, gitlab };

struct TerminalInfo {
  bool stdout_tty = false;
  bool stderr_tty = false;
  bool ci = false;        // CI=true or similar: plain, line-per-event output
  bool color = false;     // NO_COLOR unset and a TTY
  int width = 80;
  CiKind ci_kind = CiKind::none;  // GITHUB_ACTIONS=true / GITLAB_CI=true: their native outputs (cli/ci.h)
};

[[nodiscard]] TerminalInfo detect_terminal();

// Reads an environment variable; empty when unset. cli is the only module that calls getenv.
[[nodiscard]] std::string env_or(const char* name, const std::string& fallback = {});

// Reads all of standard input (for the "-" argument of several commands).
[[nodiscard]] Expected<std::string> read_all_stdin();

// sluice's user-wide cache: $SLUICE_CACHE_DIR, else $XDG_CACHE_HOME/sluice, else
// ~/.cache/sluice. Holds schemas/, secrets/ (compiled rule databases) and tiktoken/.
[[nodiscard]] std::filesystem::path user_cache_dir();

// Where an installed sluice keeps its data: <prefix>/share/sluice beside <prefix>/bin/sluice
// (found from /proc/self/exe, so any PREFIX works). Empty when the executable cannot be found.
[[nodiscard]] std::filesystem::path installed_data_dir();

// Tokenizer rank files: $SLUICE_TIKTOKEN_DIR, else <user cache>/tiktoken when it holds rank
// files, else <installed data>/tiktoken when that does, else <user cache>/tiktoken.
[[nodiscard]] std::filesystem::path tiktoken_dir();

// Where the tokenizer keeps the markers of rank files it has verified, for the files in `ranks`:
// beside them, except in an installed sluice's data directory (the package manager's; a marker
// written there as root would outlive an uninstall): <user cache>/tiktoken-verified then.
[[nodiscard]] std::filesystem::path rank_marker_dir(const std::filesystem::path& ranks);

}  // namespace sluice::cli
