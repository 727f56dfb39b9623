#include "base/process_identity.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>

namespace sluice::base {

namespace {

// Reads a small /proc file whole (these are generated on read; no stdio needed).
std::optional<std::string> read_proc(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

struct ProcStat {
  char state = '?';
  pid_t pgrp = -1;
  uint64_t start = 0;
};

// /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses, so
// fields are counted from the last ')'.
std::optional<ProcStat> read_stat(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  auto text = read_proc(path);
  if (!text) return std::nullopt;
  auto close = text->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  ProcStat st;
  const char* p = text->c_str() + close + 1;
  for (int n = 3; n <= 22; ++n) {  // n: the field number in proc(5)
    while (*p == ' ') ++p;
    if (*p == '\0') return std::nullopt;
    if (n == 3) st.state = *p;
    if (n == 5) st.pgrp = static_cast<pid_t>(std::strtol(p, nullptr, 10));
    if (n == 22) {
      st.start = std::strtoull(p, nullptr, 10);
      return st;
    }
    while (*p != ' ' && *p != '\0') ++p;
  }
  return std::nullopt;
}

bool environ_has(pid_t pid, const std::string& entry) {
  if (entry.empty()) return false;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/environ", static_cast<int>(pid));
  auto text = read_proc(path);
  if (!text) return false;
  size_t at = 0;
  while (at < text->size()) {
    size_t end = text->find('\0', at);
    if (end == std::string::npos) end = text->size();
    if (std::string_view(*text).substr(at, end - at) == entry) return true;
    at = end + 1;
  }
  return false;
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long v = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0' && v > 0) out.push_back(static_cast<pid_t>(v));
  }
  ::closedir(d);
  return out;
}

}  // namespace

std::string boot_id() {
  auto s = read_proc("/proc/sys/kernel/random/boot_id");
  if (!s) return {};
  while (!s->empty() && (s->back() == '\n' || s->back() == ' ')) s->pop_back();
  return *s;
}

std::string pid_namespace() {
  char buf[128];
  ssize_t n = ::readlink("/proc/self/ns/pid", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::optional<uint64_t> process_start_ticks(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  auto st = read_stat(pid);
  if (!st) return std::nullopt;
  return st->start;
}

std::vector<pid_t> recorded_group_members(const RecordedGroup& g) {
  std::vector<pid_t> out;
  if (g.pgid <= 1 || g.boot_id.empty() || g.boot_id != boot_id()) return out;
  const auto leader = read_stat(g.pgid);
  const bool leader_is_ours = leader && leader->start == g.leader_start;
  if (leader && !leader_is_ours) return out;  // the PID was reused: not ours
  for (pid_t p : all_pids()) {
    auto st = read_stat(p);
    if (!st || st->pgrp != g.pgid || st->state == 'Z' || st->start < g.leader_start) continue;
    if (leader_is_ours || environ_has(p, g.env_marker)) out.push_back(p);
  }
  return out;
}

int terminate_recorded_group(const RecordedGroup& g, std::chrono::milliseconds grace) {
  auto members = recorded_group_members(g);
  const int found = static_cast<int>(members.size());
  if (found == 0) return 0;
  for (pid_t p : members) ::kill(p, SIGTERM);
  using Clock = std::chrono::steady_clock;
  auto wait_gone = [&](Clock::time_point until) {
    for (;;) {
      members = recorded_group_members(g);
      if (members.empty() || Clock::now() >= until) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  wait_gone(Clock::now() + grace);
  for (int round = 0; round < 5 && !members.empty(); ++round) {
    for (pid_t p : members) ::kill(p, SIGKILL);
    wait_gone(Clock::now() + std::chrono::milliseconds(200));
  }
  return found;
}

}  // namespace sluice::base
