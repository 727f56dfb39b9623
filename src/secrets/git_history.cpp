#include "secrets/git_history.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/process.h"

namespace sluice::secrets {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Undoes git's C-style quoting of unusual paths ("a\tb", "caf\303\251"); plain paths pass as is.
std::string unquote_path(std::string_view p) {
  if (p.size() < 2 || p.front() != '"' || p.back() != '"') return std::string(p);
  std::string out;
  for (size_t i = 1; i + 1 < p.size(); ++i) {
    if (p[i] != '\\' || i + 2 >= p.size()) {
      out.push_back(p[i]);
      continue;
    }
    const char c = p[++i];
    if (c >= '0' && c <= '7' && i + 2 < p.size()) {
      out.push_back(static_cast<char>(((c - '0') << 6) | ((p[i + 1] - '0') << 3) | (p[i + 2] - '0')));
      i += 2;
    } else {
      out.push_back(c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'a' ? '\a' : c == 'b' ? '\b'
                    : c == 'f' ? '\f' : c == 'v' ? '\v' : c);
    }
  }
  return out;
}

// The new-side start line of a hunk header "@@ -a,b +c,d @@".
size_t hunk_start(std::string_view l) {
  const size_t plus = l.find(" +");
  if (plus == std::string_view::npos) return 1;
  size_t n = 0;
  for (size_t i = plus + 2; i < l.size() && l[i] >= '0' && l[i] <= '9'; ++i) n = n * 10 + static_cast<size_t>(l[i] - '0');
  return n;
}

}  // namespace

void GitPatchParser::feed(std::string_view chunk) {
  while (!chunk.empty()) {
    const size_t nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      m_pending.append(chunk);
      return;
    }
    if (m_pending.empty()) {
      line(chunk.substr(0, nl));
    } else {
      m_pending.append(chunk.substr(0, nl));
      line(m_pending);
      m_pending.clear();
    }
    chunk.remove_prefix(nl + 1);
  }
}

void GitPatchParser::finish() {
  if (!m_pending.empty()) {
    const std::string last = std::move(m_pending);
    m_pending.clear();
    line(last);
  }
  flush_file();
}

void GitPatchParser::flush_file() {
  if (!m_text.empty() && !m_path.empty()) {
    ++m_files;
    m_bytes += m_text.size();
    m_sink(AddedLines{m_commit, m_author, m_email, m_date, m_path, m_text, &m_lines});
  }
  m_text.clear();
  m_lines.clear();
  m_path.clear();
  m_in_header = false;
  m_in_hunk = false;
}

void GitPatchParser::line(std::string_view l) {
  if (m_in_hunk && !l.empty()) {
    // Inside a hunk every line starts with '+', '-', ' ' or '\' ("\ No newline at end of file").
    const char c = l.front();
    if (c == '+') {
      m_text.append(l.substr(1));
      m_text.push_back('\n');
      m_lines.push_back(m_next_line++);
      return;
    }
    if (c == '-' || c == '\\') return;
    if (c == ' ') {
      ++m_next_line;
      return;
    }
  }
  if (!l.empty() && l.front() == '\x1e') {
    flush_file();
    ++m_commits;
    std::string_view rest = l.substr(1);
    std::string* fields[] = {&m_commit, &m_author, &m_email, &m_date};
    for (std::string* f : fields) {
      const size_t sep = rest.find('\x1f');
      *f = std::string(rest.substr(0, sep));
      rest = sep == std::string_view::npos ? std::string_view() : rest.substr(sep + 1);
    }
    return;
  }
  if (starts_with(l, "diff --git ") || starts_with(l, "diff --cc ") || starts_with(l, "diff --combined ")) {
    flush_file();
    m_in_header = true;
    return;
  }
  if (m_in_header) {
    if (starts_with(l, "+++ ")) {
      const std::string p = unquote_path(l.substr(4));
      m_path = starts_with(p, "b/") ? p.substr(2) : (p == "/dev/null" ? std::string() : p);
    } else if (starts_with(l, "@@")) {
      m_in_header = false;
      m_in_hunk = true;
      m_next_line = hunk_start(l);
    }
    return;  // mode, index, rename, similarity and "Binary files ..." lines
  }
  if (m_in_hunk && starts_with(l, "@@")) {
    m_next_line = hunk_start(l);
    return;
  }
  if (!l.empty() && m_other.size() < 20) m_other.emplace_back(l);
}

std::vector<std::string> git_command(const GitScanOptions& o) {
  std::vector<std::string> argv = {"git", "-C", o.repo.empty() ? std::string(".") : o.repo.string(),
                                   // Stable, machine-readable output whatever the user's config says.
                                   "-c", "core.quotePath=false", "-c", "diff.noprefix=false",
                                   "-c", "log.showSignature=false"};
  if (o.staged) {
    argv.insert(argv.end(), {"diff", "--cached"});
  } else {
    argv.insert(argv.end(), {"log", "-p", "--no-merges", fmt::format("--format={}", k_git_log_format)});
  }
  argv.insert(argv.end(), {"-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--src-prefix=a/",
                           "--dst-prefix=b/"});
  if (!o.staged) {
    if (o.range.empty()) {
      argv.emplace_back("--all");
    } else {
      argv.emplace_back("--end-of-options");
      argv.push_back(o.range);
    }
  }
  argv.emplace_back("--");
  return argv;
}

Expected<GitScanReport> scan_git(const Scanner& scanner, const GitScanOptions& options) {
  if (!options.range.empty() && options.range.front() == '-') {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("git range \"{}\" must not start with '-'", options.range));
  }
  base::SpawnOptions spawn;
  spawn.argv = git_command(options);
  spawn.env = options.env;
  auto child = base::spawn(spawn);
  if (!child) return tl::unexpected(child.error());

  GitScanReport report;
  GitPatchParser parser([&](const AddedLines& added) {
    for (Finding& f : scanner.scan(added.text, added.path, options.inline_allow, added.commit)) {
      if (f.line >= 1 && f.line <= added.lines->size()) f.line = (*added.lines)[f.line - 1];
      f.commit = std::string(added.commit);
      f.author = std::string(added.author);
      f.email = std::string(added.email);
      f.date = std::string(added.date);
      report.findings.push_back(std::move(f));
    }
  });
  std::vector<char> buf(1 << 18);
  const int fd = child->output_fd();
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n > 0) {
      parser.feed(std::string_view(buf.data(), static_cast<size_t>(n)));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd, POLLIN, 0};
      (void)::poll(&p, 1, -1);
      continue;
    }
    return make_error(ErrorCode::io, fmt::format("reading git output: {}", std::strerror(errno)));
  }
  parser.finish();
  child->close_output();
  const int status = child->wait();
  if (status != 0) {
    std::string msg;
    for (const auto& l : parser.other_lines()) msg += (msg.empty() ? "" : "; ") + l;
    return make_error(status == 127 ? ErrorCode::not_found : ErrorCode::invalid_input,
                      fmt::format("git {} failed (exit {}){}{}", options.staged ? "diff --cached" : "log", status,
                                  msg.empty() ? "" : ": ", msg));
  }
  report.commits = parser.commits();
  report.files = parser.files();
  report.bytes_added = parser.bytes_added();
  return report;
}

}  // namespace sluice::secrets
