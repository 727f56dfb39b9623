#include "secrets/walk.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "secrets/gitignore.h"

namespace sluice::secrets {
namespace fs = std::filesystem;
namespace {

std::string display_path(const fs::path& p) {
  std::string s = p.lexically_normal().generic_string();
  while (s.size() > 2 && s.compare(0, 2, "./") == 0) s.erase(0, 2);
  return s;
}

bool read_small_file(const fs::path& p, std::string& out) {
  out.clear();
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

void walk_dir(const fs::path& dir, const std::string& rel, IgnoreRules& rules, UseGitignore use, WalkResult& out) {
  if (use == UseGitignore::yes) {
    std::string text;
    // A repository's own excludes come first: git ranks them below every .gitignore.
    if (read_small_file(dir / ".git" / "info" / "exclude", text)) rules.add(rel, text);
    if (read_small_file(dir / ".gitignore", text)) rules.add(rel, text);
  }
  std::error_code ec;
  fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) {
    out.errors.push_back(fmt::format("{}: {}", display_path(dir), ec.message()));
    return;
  }
  std::vector<fs::directory_entry> entries;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    entries.push_back(*it);
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  for (const auto& e : entries) {
    const std::string name = e.path().filename().string();
    const std::string child_rel = rel.empty() ? name : rel + "/" + name;
    std::error_code sec;
    const auto st = e.symlink_status(sec);
    if (sec || fs::is_symlink(st)) continue;
    if (fs::is_directory(st)) {
      if (name == ".git") continue;
      if (use == UseGitignore::yes && rules.ignored(child_rel, IgnoreRules::Kind::directory)) {
        ++out.ignored;
        continue;
      }
      walk_dir(e.path(), child_rel, rules, use, out);
    } else if (fs::is_regular_file(st)) {
      if (use == UseGitignore::yes && rules.ignored(child_rel, IgnoreRules::Kind::file)) {
        ++out.ignored;
        continue;
      }
      out.files.push_back(FileToScan{e.path(), display_path(e.path())});
    }
  }
}

}  // namespace

bool looks_binary(std::string_view data) {
  return std::memchr(data.data(), 0, std::min<size_t>(data.size(), 8192)) != nullptr;
}

WalkResult collect_files(std::span<const std::string> roots, UseGitignore use_gitignore) {
  WalkResult out;
  for (const auto& root : roots) {
    std::error_code ec;
    const fs::path p(root);
    const auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      out.errors.push_back(fmt::format("{}: no such file or directory", root));
      continue;
    }
    if (fs::is_directory(st)) {
      IgnoreRules rules;  // patterns of one tree do not leak into another root
      walk_dir(p, "", rules, use_gitignore, out);
    } else {
      out.files.push_back(FileToScan{p, display_path(p)});
    }
  }
  return out;
}

ScanReport scan_files(const Scanner& scanner, std::span<const FileToScan> files, unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(files.size(), 1)));
  std::vector<std::vector<Finding>> per_file(files.size());
  std::vector<std::string> errors_per_file(files.size());
  std::atomic<size_t> next{0};
  std::atomic<size_t> scanned{0}, binary{0}, excluded{0}, bytes{0};
  std::mutex failure_mutex;
  std::string failure;
  auto worker = [&]() {
    std::string buf;
    try {
      for (size_t i = next++; i < files.size(); i = next++) {
        const auto& f = files[i];
        if (scanner.path_excluded(f.display)) {
          ++excluded;
          continue;
        }
        if (!read_small_file(f.fs_path, buf)) {
          errors_per_file[i] = fmt::format("{}: {}", f.display, std::strerror(errno));
          continue;
        }
        if (looks_binary(buf)) {
          ++binary;
          continue;
        }
        per_file[i] = scanner.scan(buf, f.display);
        ++scanned;
        bytes += buf.size();
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(failure_mutex);
      failure = e.what();
      next = files.size();
    }
  };
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  }
  ScanReport rep;
  if (!failure.empty()) rep.errors.push_back("scan failed: " + failure);
  for (size_t i = 0; i < files.size(); ++i) {
    if (!errors_per_file[i].empty()) rep.errors.push_back(std::move(errors_per_file[i]));
    for (auto& f : per_file[i]) rep.findings.push_back(std::move(f));
  }
  rep.files_scanned = scanned;
  rep.files_binary = binary;
  rep.files_excluded = excluded;
  rep.bytes_scanned = bytes;
  return rep;
}

}  // namespace sluice::secrets
