#include "cli/terminal.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace sluice::cli {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr) ? std::string(v) : fallback;
}

Expected<std::string> read_all_stdin() {
  std::string text;
  char buf[1 << 16];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, stdin)) > 0;) text.append(buf, n);
  if (std::ferror(stdin)) return make_error(ErrorCode::io, "cannot read standard input");
  return text;
}

std::filesystem::path user_cache_dir() {
  std::string dir = env_or("SLUICE_CACHE_DIR");
  if (!dir.empty()) return dir;
  std::string xdg = env_or("XDG_CACHE_HOME");
  if (!xdg.empty()) return std::filesystem::path(xdg) / "sluice";
  return std::filesystem::path(env_or("HOME", "/tmp")) / ".cache" / "sluice";
}

std::filesystem::path installed_data_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return exe.parent_path().parent_path() / "share" / "sluice";
}

std::filesystem::path tiktoken_dir() {
  std::string dir = env_or("SLUICE_TIKTOKEN_DIR");
  if (!dir.empty()) return dir;
  // Rank files the user fetched win; else those an installed sluice ships (offline after
  // install). Neither: the user dir, which the "run scripts/fetch-ranks.sh" error names.
  const auto user = user_cache_dir() / "tiktoken";
  std::error_code ec;
  if (std::filesystem::exists(user / "cl100k_base.tiktoken", ec) || std::filesystem::exists(user / "o200k_base.tiktoken", ec)) {
    return user;
  }
  const auto shipped = installed_data_dir() / "tiktoken";
  if (!installed_data_dir().empty() && std::filesystem::exists(shipped / "cl100k_base.tiktoken", ec)) return shipped;
  return user;
}

std::filesystem::path rank_marker_dir(const std::filesystem::path& ranks) {
  const auto installed = installed_data_dir();
  std::error_code ec;
  if (!installed.empty() && std::filesystem::equivalent(ranks, installed / "tiktoken", ec)) {
    return user_cache_dir() / "tiktoken-verified";
  }
  return ranks;
}

TerminalInfo detect_terminal() {
  TerminalInfo t;
  t.stdout_tty = ::isatty(STDOUT_FILENO) == 1;
  t.stderr_tty = ::isatty(STDERR_FILENO) == 1;
  std::string ci = env_or("CI");
  t.ci = !ci.empty() && ci != "0" && ci != "false";
  if (env_or("GITHUB_ACTIONS") == "true") t.ci_kind = CiKind::github;
  else if (env_or("GITLAB_CI") == "true") t.ci_kind = CiKind::gitlab;
  t.color = t.stdout_tty && env_or("NO_COLOR").empty() && env_or("TERM") != "dumb";
  winsize ws{};
  if (t.stdout_tty && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) t.width = ws.ws_col;
  return t;
}

}  // namespace sluice::cli
