#include "base/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace sluice::base {
namespace fs = std::filesystem;

Expected<std::string> read_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(errno == ENOENT ? ErrorCode::not_found : ErrorCode::io,
                      fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return make_error(ErrorCode::io, fmt::format("{}: cannot read: {}", path.string(), std::strerror(e)));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Expected<void> atomic_write(const fs::path& path, std::string_view data) {
  std::error_code ec;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      return make_error(ErrorCode::io, fmt::format("{}: cannot create directory: {}",
                                                   path.parent_path().string(), ec.message()));
    }
  }
  std::string tmpl = path.string() + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    return make_error(ErrorCode::io, fmt::format("{}: cannot create temp file: {}", path.string(),
                                                 std::strerror(errno)));
  }
  ::fchmod(fd, 0644);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmpl.c_str());
      return make_error(ErrorCode::io, fmt::format("{}: cannot write: {}", path.string(), std::strerror(e)));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int e = errno;
    ::unlink(tmpl.c_str());
    return make_error(ErrorCode::io, fmt::format("{}: cannot flush: {}", path.string(), std::strerror(e)));
  }
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmpl.c_str());
    return make_error(ErrorCode::io, fmt::format("{}: cannot rename into place: {}", path.string(), std::strerror(e)));
  }
  return {};
}

TempDir::TempDir(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");  // NOLINT: temp location only, not configuration
  std::string tmpl = fmt::format("{}/{}-XXXXXX", (tmp && *tmp) ? tmp : "/tmp", prefix);
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error(fmt::format("cannot create temp dir {}: {}", tmpl, std::strerror(errno)));
  }
  m_path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(m_path, ec);
}

}  // namespace sluice::base
