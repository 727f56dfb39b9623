#include "base/process.h"

#include <fcntl.h>
#include <poll.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>

namespace sluice::base {

Child::~Child() { reset(); }

Child::Child(Child&& o) noexcept : m_pid(o.m_pid), m_pidfd(o.m_pidfd), m_output_fd(o.m_output_fd) {
  o.m_pid = -1;
  o.m_pidfd = -1;
  o.m_output_fd = -1;
}

Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    reset();
    m_pid = o.m_pid;
    m_pidfd = o.m_pidfd;
    m_output_fd = o.m_output_fd;
    o.m_pid = -1;
    o.m_pidfd = -1;
    o.m_output_fd = -1;
  }
  return *this;
}

void Child::reset() {
  close_output();
  if (m_pidfd >= 0) ::close(m_pidfd);
  m_pidfd = -1;
  if (m_pid > 0) {
    // A Child destroyed without wait(): never leave a process or zombie behind.
    ::kill(-m_pid, SIGKILL);
    int st = 0;
    while (::waitpid(m_pid, &st, 0) < 0 && errno == EINTR) {
    }
    m_pid = -1;
  }
}

void Child::close_output() {
  if (m_output_fd >= 0) ::close(m_output_fd);
  m_output_fd = -1;
}

bool Child::exited() const {
  if (m_pid <= 0) return true;
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return errno == ECHILD;
  return info.si_pid != 0;
}

void Child::signal_group(int sig) const {
  if (m_pid > 0) ::kill(-m_pid, sig);
}

int Child::wait() {
  if (m_pid <= 0) return -1;
  int st = 0;
  while (::waitpid(m_pid, &st, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  m_pid = -1;
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

namespace {
std::atomic<bool> g_pidfd_disabled{false};
}  // namespace

void disable_pidfd_for_testing(bool disabled) { g_pidfd_disabled.store(disabled); }

namespace {
// PATH lookups are remembered for the process's life: a pipeline of 2,000 `sh` stages would
// otherwise probe every PATH directory 2,000 times. Only absolute PATH directories are
// remembered (a relative one depends on the working directory), and spawn() looks again when
// a remembered program cannot be started.
std::mutex g_path_mu;
std::unordered_map<std::string, std::string> g_path_cache;

std::string path_key(const std::string& name, const std::string& path_value) {
  return path_value + '\n' + name;
}

void forget_resolved(const std::string& name, const std::string& path_value) {
  std::lock_guard lock(g_path_mu);
  g_path_cache.erase(path_key(name, path_value));
}

std::string resolve_in_path(const std::string& name, const std::string& path_value, bool& cached) {
  cached = false;
  if (name.find('/') != std::string::npos) return name;
  const std::string key = path_key(name, path_value);
  {
    std::lock_guard lock(g_path_mu);
    if (auto it = g_path_cache.find(key); it != g_path_cache.end()) {
      cached = true;
      return it->second;
    }
  }
  bool cacheable = true;
  size_t begin = 0;
  for (;;) {
    size_t end = path_value.find(':', begin);
    std::string dir =
        path_value.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    if (dir.empty() || dir[0] != '/') cacheable = false;
    std::string cand = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(cand.c_str(), X_OK) == 0) {
      if (cacheable) {
        std::lock_guard lock(g_path_mu);
        g_path_cache[key] = cand;
      }
      return cand;
    }
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return name;  // not found: posix_spawn reports ENOENT for it
}
}  // namespace

Expected<Child> spawn(const SpawnOptions& opts) {
  if (opts.argv.empty()) return make_error(ErrorCode::invalid_input, "spawn: empty command");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return make_error(ErrorCode::io, fmt::format("cannot create pipe: {}", std::strerror(errno)));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
  if (opts.cwd_fd >= 0) {
    posix_spawn_file_actions_addfchdir_np(&fa, opts.cwd_fd);
  } else if (!opts.cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(&fa, opts.cwd.c_str());
  }

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int s : {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2})
    sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  for (const auto& a : opts.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  std::string path_value = "/usr/local/bin:/usr/bin:/bin";
  const std::vector<std::string>& env = opts.env_view ? *opts.env_view : opts.env;
  envp.reserve(env.size() + 1);
  for (const auto& e : env) {
    envp.push_back(const_cast<char*>(e.c_str()));
    if (e.rfind("PATH=", 0) == 0) path_value = e.substr(5);
  }
  envp.push_back(nullptr);

  // Resolve argv[0] against the child's PATH ourselves so the child's env decides.
  bool cached = false;
  std::string exe = resolve_in_path(opts.argv[0], path_value, cached);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, exe.c_str(), &fa, &attr, argv.data(), envp.data());
  if (rc != 0 && cached) {  // the program moved since it was looked up: look again
    forget_resolved(opts.argv[0], path_value);
    exe = resolve_in_path(opts.argv[0], path_value, cached);
    rc = posix_spawn(&pid, exe.c_str(), &fa, &attr, argv.data(), envp.data());
  }
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return make_error(ErrorCode::io,
                      fmt::format("cannot run {}: {}", opts.argv[0], std::strerror(rc)));
  }
  int pidfd = g_pidfd_disabled.load() ? -1 : static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  // Kernels before 5.3 (RHEL 8 hosts, say) and some sandboxes and valgrind have no pidfd_open:
  // the child is then watched with exited() instead (see Child::pidfd()).
  if (pidfd < 0 && !g_pidfd_disabled.load() && errno != ENOSYS) {
    int e = errno;
    ::kill(-pid, SIGKILL);
    int st = 0;
    ::waitpid(pid, &st, 0);
    ::close(fds[0]);
    return make_error(ErrorCode::io, fmt::format("pidfd_open: {}", std::strerror(e)));
  }
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  return Child(pid, pidfd, fds[0]);
}

void become_subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int kill_remaining_children() {
  int killed = 0;
  for (int round = 0; round < 50; ++round) {
    std::vector<pid_t> kids;
    std::string base = fmt::format("/proc/self/task/{}/children", ::getpid());
    std::ifstream in(base);
    pid_t p;
    while (in >> p) kids.push_back(p);
    if (kids.empty()) break;
    for (pid_t k : kids) {
      ::kill(k, SIGKILL);
      ++killed;
    }
    for (pid_t k : kids) {
      int st = 0;
      while (::waitpid(k, &st, 0) < 0 && errno == EINTR) {
      }
    }
  }
  // Reap anything that exited on its own (reparented orphans).
  int st = 0;
  while (::waitpid(-1, &st, WNOHANG) > 0) {
  }
  return killed;
}

Expected<Captured> run_captured(const SpawnOptions& opts, std::chrono::milliseconds limit) {
  auto child = spawn(opts);
  if (!child) return tl::unexpected(child.error());
  Captured c;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[8192];
  while (child->output_fd() >= 0) {
    int wait_ms = -1;
    if (limit.count() > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        child->signal_group(SIGKILL);
        c.timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(left.count());
    }
    pollfd p{child->output_fd(), POLLIN, 0};
    if (::poll(&p, 1, wait_ms) < 0 && errno != EINTR) break;
    const ssize_t n = ::read(child->output_fd(), buf, sizeof buf);
    if (n > 0) {
      c.output.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      child->close_output();
    }
  }
  c.code = child->wait();
  return c;
}

}  // namespace sluice::base
