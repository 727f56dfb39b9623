#pragma once
// Child processes: spawned in their own process group with stdout and stderr merged into one
// pipe, a clean signal mask, and a pidfd so a caller can poll for exit alongside its output.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"

namespace sluice::base {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH of `env` if it has no slash
  std::vector<std::string> env;   // "KEY=value" entries: the child's whole environment
  std::filesystem::path cwd;      // empty: inherit
  // When set, the environment to use instead of `env`, borrowed for the call (a stage's
  // environment is not copied once more per spawn).
  const std::vector<std::string>* env_view = nullptr;
  int cwd_fd = -1;  // when >= 0, the directory to start in (taken over `cwd`; see base/beneath.h)
};

// A running child. Owns its file descriptors; the caller must wait() (reap) it.
class Child {
 public:
  Child() = default;
  Child(pid_t pid, int pidfd, int output_fd) : m_pid(pid), m_pidfd(pidfd), m_output_fd(output_fd) {}
  ~Child();
  Child(Child&& o) noexcept;
  Child& operator=(Child&& o) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  [[nodiscard]] pid_t pid() const { return m_pid; }
  // Readable (poll) when the child has exited; -1 where the kernel has no pidfd_open (before
  // 5.3, some sandboxes): then poll exited() instead.
  [[nodiscard]] int pidfd() const { return m_pidfd; }
  // Whether the child has exited (it stays a zombie until wait()). Does not block.
  [[nodiscard]] bool exited() const;
  // Read end of the merged stdout/stderr pipe (non-blocking); -1 once closed.
  [[nodiscard]] int output_fd() const { return m_output_fd; }
  void close_output();
  // Sends `sig` to the child's whole process group.
  void signal_group(int sig) const;
  // Reaps the child (blocking). Returns the wait status decoded: exit code 0-255, or
  // 128 + signal number when it was killed by a signal.
  [[nodiscard]] int wait();

 private:
  void reset();
  pid_t m_pid = -1;
  int m_pidfd = -1;
  int m_output_fd = -1;
};

// Spawns `opts.argv` in a new process group (pgid = pid), stdin from /dev/null.
[[nodiscard]] Expected<Child> spawn(const SpawnOptions& opts);
// A short-lived tool run to completion (git, ssh-keygen, a compiler's include probe): its exit
// status as wait() decodes it, and its merged stdout and stderr.
struct Captured {
  int code = 0;
  std::string output;
  bool timed_out = false;  // `limit` passed: the group was killed (code is then 128 + SIGKILL)
};
// Spawns opts, reads the merged output until the child closes it, and reaps it. With a limit
// above zero, a child still writing (or holding the pipe) after it is killed with its group.
[[nodiscard]] Expected<Captured> run_captured(const SpawnOptions& opts,
                                              std::chrono::milliseconds limit = std::chrono::milliseconds(0));

// Makes spawn() behave as on a kernel without pidfd_open (children get pidfd() == -1), so tests
// can drive that path on any kernel.
void disable_pidfd_for_testing(bool disabled);

// Makes this process a child subreaper, so orphaned descendants are reparented to it and can
// be found and killed (see kill_remaining_children).
void become_subreaper();
// Kills (SIGKILL) and reaps every remaining child of this process. Returns how many there were.
int kill_remaining_children();

}  // namespace sluice::base
