#include "base/beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/strings.h"

namespace sluice::base {
namespace fs = std::filesystem;

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (m_fd >= 0) ::close(m_fd);
}

namespace {

std::atomic<bool> g_openat2_disabled{false};

// The components of a relative path; "." and empty ones dropped. Sets `bad` for ".." or an
// absolute path, which never stay beneath the root by construction.
std::vector<std::string_view> components(std::string_view rel, bool& bad) {
  std::vector<std::string_view> out;
  bad = !rel.empty() && rel[0] == '/';
  for (size_t start = 0; start <= rel.size();) {
    size_t end = rel.find('/', start);
    if (end == std::string_view::npos) end = rel.size();
    std::string_view c = rel.substr(start, end - start);
    if (c == "..") bad = true;
    if (!c.empty() && c != ".") out.push_back(c);
    start = end + 1;
  }
  return out;
}

Error refused(std::string_view rel, int err) {
  if (err == EXDEV || err == ELOOP) {
    return Error{ErrorCode::invalid_input,
                 fmt::format("{} leads outside the workspace through a symlink; refusing to use it", quote(rel))};
  }
  return Error{err == ENOENT ? ErrorCode::not_found : ErrorCode::io,
               fmt::format("{}: {}", quote(rel), std::strerror(err))};
}

// openat2 beneath `root_fd`; -1 with errno set on failure (ENOSYS when unavailable).
int openat2_beneath(int root_fd, const std::string& path) {
  if (g_openat2_disabled.load(std::memory_order_relaxed)) {
    errno = ENOSYS;
    return -1;
  }
  open_how how{};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd;
  do {
    fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how);
  } while (fd < 0 && errno == EAGAIN);
  return static_cast<int>(fd);
}

bool openat2_missing(int err) {
  // ENOSYS: before Linux 5.6; EPERM: a seccomp profile that filters unknown system calls.
  return err == ENOSYS || err == EPERM;
}

// The fallback: one component at a time, never following a symlink.
Expected<UniqueFd> open_nofollow(int root_fd, const std::vector<std::string_view>& parts, std::string_view rel,
                                 CreateDirs create) {
  UniqueFd cur(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (cur.get() < 0) return tl::unexpected(refused(rel, errno));
  for (std::string_view part : parts) {
    std::string name(part);
    int fd = ::openat(cur.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create == CreateDirs::yes) {
      if (::mkdirat(cur.get(), name.c_str(), 0755) != 0 && errno != EEXIST) return tl::unexpected(refused(rel, errno));
      fd = ::openat(cur.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      int e = errno;
      // O_NOFOLLOW|O_DIRECTORY on a symlink fails with ELOOP or ENOTDIR depending on the target.
      struct stat st {};
      if (::fstatat(cur.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) e = ELOOP;
      return tl::unexpected(refused(rel, e));
    }
    cur = UniqueFd(fd);
  }
  return cur;
}

}  // namespace

namespace detail {
void set_openat2_disabled(bool disabled) { g_openat2_disabled.store(disabled); }
}  // namespace detail

namespace {
// `shown` is the path named in errors: the file a caller wants to write, not just its directory.
Expected<UniqueFd> open_dir(const fs::path& root, std::string_view rel, CreateDirs create, std::string_view shown) {
  bool bad = false;
  const auto parts = components(rel, bad);
  if (bad) {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("{} is not a path inside the workspace", quote(shown)));
  }
  UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root_fd.get() < 0) {
    return make_error(ErrorCode::io, fmt::format("{}: {}", root.string(), std::strerror(errno)));
  }
  if (parts.empty()) return root_fd;
  std::string path;
  for (std::string_view p : parts) {
    if (!path.empty()) path += '/';
    path += p;
  }
  int fd = openat2_beneath(root_fd.get(), path);
  if (fd >= 0) return UniqueFd(fd);
  if (openat2_missing(errno)) return open_nofollow(root_fd.get(), parts, shown, create);
  if (errno != ENOENT || create == CreateDirs::no) return tl::unexpected(refused(shown, errno));
  // Create what is missing, one directory at a time, each prefix resolved beneath the root.
  UniqueFd parent(::fcntl(root_fd.get(), F_DUPFD_CLOEXEC, 0));
  std::string prefix;
  for (std::string_view p : parts) {
    if (!prefix.empty()) prefix += '/';
    prefix += p;
    int next = openat2_beneath(root_fd.get(), prefix);
    if (next < 0 && errno == ENOENT) {
      if (::mkdirat(parent.get(), std::string(p).c_str(), 0755) != 0 && errno != EEXIST) {
        return tl::unexpected(refused(shown, errno));
      }
      next = openat2_beneath(root_fd.get(), prefix);
    }
    if (next < 0) return tl::unexpected(refused(shown, errno));
    parent = UniqueFd(next);
  }
  return parent;
}
}  // namespace

Expected<UniqueFd> open_dir_beneath(const fs::path& root, std::string_view rel, CreateDirs create) {
  return open_dir(root, rel, create, rel);
}

Expected<void> write_beneath(const fs::path& root, std::string_view rel, std::string_view data, mode_t mode) {
  bool bad = false;
  auto parts = components(rel, bad);
  if (bad || parts.empty()) {
    return make_error(ErrorCode::invalid_input, fmt::format("{} is not a file inside the workspace", quote(rel)));
  }
  const std::string name(parts.back());
  const size_t dir_len = static_cast<size_t>(parts.back().data() - rel.data());
  auto dir = open_dir(root, rel.substr(0, dir_len), CreateDirs::yes, rel);
  if (!dir) return tl::unexpected(dir.error());
  const int dfd = dir->get();
  std::random_device rd;
  std::string tmp;
  int fd = -1;
  for (int tries = 0; fd < 0 && tries < 16; ++tries) {
    tmp = fmt::format(".{}.tmp.{:08x}", name, rd());
    fd = ::openat(dfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    return make_error(ErrorCode::io, fmt::format("{}: cannot create temp file: {}", rel, std::strerror(errno)));
  }
  auto fail = [&](std::string_view what) {
    int e = errno;
    ::close(fd);
    ::unlinkat(dfd, tmp.c_str(), 0);
    return make_error(ErrorCode::io, fmt::format("{}: cannot {}: {}", rel, what, std::strerror(e)));
  };
  for (size_t off = 0; off < data.size();) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    off += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode & 07777) != 0) return fail("set its mode");
  if (::fsync(fd) != 0) return fail("flush");
  if (::close(fd) != 0) {
    fd = -1;
    int e = errno;
    ::unlinkat(dfd, tmp.c_str(), 0);
    return make_error(ErrorCode::io, fmt::format("{}: cannot flush: {}", rel, std::strerror(e)));
  }
  // renameat replaces a symlink at `name` itself; it never writes through it.
  if (::renameat(dfd, tmp.c_str(), dfd, name.c_str()) != 0) {
    int e = errno;
    ::unlinkat(dfd, tmp.c_str(), 0);
    return make_error(ErrorCode::io, fmt::format("{}: cannot rename into place: {}", rel, std::strerror(e)));
  }
  return {};
}

}  // namespace sluice::base
