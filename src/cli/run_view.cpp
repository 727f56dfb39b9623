#include "cli/run_view.h"

#include "cli/ci.h"

#include <fmt/format.h>

#include <cstring>

#include "base/duration.h"

namespace sluice::cli {

RunView::RunView(const pipeline::Pipeline& p, TerminalInfo term, OutputMode mode, std::FILE* out)
    : m_pipeline(p), m_term(term), m_mode(mode), m_out(out), m_live(term.stdout_tty && !term.ci),
      m_start(std::chrono::steady_clock::now()) {}

RunView::~RunView() { clear_status(); }

std::string RunView::paint(std::string_view text, const char* color) const {
  if (!m_term.color) return std::string(text);
  return fmt::format("\033[{}m{}\033[0m", color, text);
}

void RunView::clear_status() {
  std::lock_guard lock(m_mu);
  if (m_live && m_status_shown) {
    std::fputs("\r\033[K", m_out);
    m_status_shown = false;
  }
}

void RunView::line(const std::string& text) {
  clear_status();
  std::fputs(text.c_str(), m_out);
  if (text.empty() || text.back() != '\n') std::fputc('\n', m_out);
  if (m_live) draw_status();
  std::fflush(m_out);
}

void RunView::draw_status() {
  if (!m_live || m_done >= m_total) return;
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - m_start);
  std::string running;
  for (const auto& r : m_running) running += (running.empty() ? "" : ", ") + r;
  std::string s = fmt::format("[{}/{}] {} running: {}", m_done, m_total, base::format_duration(elapsed), running);
  std::string waiting;
  for (const auto& w : m_waiting) waiting += (waiting.empty() ? "" : ", ") + w;
  if (!waiting.empty()) s += fmt::format("; awaiting approval: {}", waiting);
  if (static_cast<int>(s.size()) > m_term.width - 1) s = s.substr(0, static_cast<size_t>(std::max(10, m_term.width - 4))) + "...";
  std::fputs(("\r\033[K" + s).c_str(), m_out);
  m_status_shown = true;
  std::fflush(m_out);
}

void RunView::tick() {
  std::lock_guard lock(m_mu);
  if (m_live) {
    clear_status();
    draw_status();
  }
}

void RunView::run_started(const store::RunRecord& run, const std::vector<int>& selected) {
  std::lock_guard lock(m_mu);
  m_total = selected.size();
  line(fmt::format("sluice: run {} ({}) of {}: {} stage{}, -j {}", run.seq, run.id, m_pipeline.file, m_total,
                   m_total == 1 ? "" : "s", run.jobs));
}

void RunView::stage_started(const pipeline::Stage& stage, int attempt) {
  std::lock_guard lock(m_mu);
  m_waiting.erase(stage.name);
  m_running.insert(stage.name);
  if (!m_live) line(fmt::format("[start] {}{}", stage.name, attempt > 1 ? fmt::format(" (attempt {})", attempt) : ""));
  else draw_status();
}

void RunView::stage_output(const pipeline::Stage& stage, std::string_view chunk) {
  std::lock_guard lock(m_mu);
  if (m_mode == OutputMode::quiet) return;
  if (m_mode == OutputMode::block) {
    if (m_spilled.count(stage.name)) return;
    std::string& buf = m_buffers[stage.name];
    if (buf.size() + chunk.size() > k_block_memory) {
      m_spilled.insert(stage.name);
      std::string().swap(buf);
      return;
    }
    buf.append(chunk);
    return;
  }
  std::string& partial = m_partial_line[stage.name];
  partial.append(chunk);
  size_t pos;
  while ((pos = partial.find('\n')) != std::string::npos) {
    line(fmt::format("[{}] {}", stage.name, partial.substr(0, pos)));
    partial.erase(0, pos + 1);
  }
}

void RunView::stage_warning(const pipeline::Stage& stage, std::string_view text) {
  std::lock_guard lock(m_mu);
  line(paint(fmt::format("[warning] {}: {}", stage.name, text), "33"));
}

void RunView::stage_waiting(const pipeline::Stage& stage, std::string_view text) {
  std::lock_guard lock(m_mu);
  m_waiting.insert(stage.name);
  line(paint(fmt::format("[awaiting approval] {}: {}", stage.name, text), "35"));
}

void RunView::stage_gate_passed(const pipeline::Stage& stage, std::string_view text) {
  std::lock_guard lock(m_mu);
  m_waiting.erase(stage.name);
  line(paint(fmt::format("[gate] {}: {}", stage.name, text), "36"));
}

// Prints a stage's output indented under its result line; an unterminated last line gets one.
void RunView::print_block(const std::string& text) {
  clear_status();
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::fputs("  | ", m_out);
    std::fwrite(text.data() + start, 1, end - start, m_out);
    std::fputc('\n', m_out);
    start = end + 1;
  }
  if (m_live) draw_status();
  std::fflush(m_out);
}

void RunView::print_log_block(const std::string& log_path) {
  std::FILE* f = log_path.empty() ? nullptr : std::fopen(log_path.c_str(), "rb");
  if (f == nullptr) {
    line(fmt::format("  | (output too large to hold; the log {} cannot be read)", log_path));
    return;
  }
  clear_status();
  // Line by line in bounded pieces: a line longer than the buffer continues unprefixed.
  char buf[65536];
  bool at_line_start = true;
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    for (size_t start = 0; start < n;) {
      if (at_line_start) std::fputs("  | ", m_out);
      const char* nl = static_cast<const char*>(std::memchr(buf + start, '\n', n - start));
      size_t end = nl ? static_cast<size_t>(nl - buf) + 1 : n;
      std::fwrite(buf + start, 1, end - start, m_out);
      at_line_start = nl != nullptr;
      start = end;
    }
  }
  if (!at_line_start) std::fputc('\n', m_out);
  std::fclose(f);
  if (m_live) draw_status();
  std::fflush(m_out);
}

void RunView::stage_retrying(const pipeline::Stage& stage, int next_attempt, std::string_view why) {
  std::lock_guard lock(m_mu);
  line(paint(fmt::format("[retry] {}: {}; attempt {} of {}", stage.name, why, next_attempt, stage.retries + 1), "33"));
}

void RunView::stage_finished(const pipeline::Stage& stage, const store::StageRecord& r) {
  std::lock_guard lock(m_mu);
  m_running.erase(stage.name);
  m_waiting.erase(stage.name);
  ++m_done;
  std::string took = base::format_duration(std::chrono::milliseconds(r.duration_ms.value_or(0)));
  std::string text;
  using store::StageStatus;
  if (r.status == StageStatus::success && r.cache_hit) {
    text = paint(fmt::format("[cached] {}", stage.name), "36");
  } else if (r.status == StageStatus::success) {
    text = paint(fmt::format("[ok] {} ({}{})", stage.name, took,
                             r.attempts > 1 ? fmt::format(", {} attempts", r.attempts) : ""),
                 "32");
  } else if (r.status == StageStatus::failed) {
    text = paint(fmt::format("[FAILED] {}: {} ({})", stage.name, r.reason.value_or("failed"), took), "31");
  } else if (r.status == StageStatus::skipped) {
    text = paint(fmt::format("[skipped] {}: {}", stage.name, r.reason.value_or("")), "90");
  } else {
    text = paint(fmt::format("[{}] {}: {}", store::to_string(r.status), stage.name, r.reason.value_or("")), "33");
  }
  line(text);
  if (m_mode == OutputMode::block) {
    auto it = m_buffers.find(stage.name);
    const bool spilled = m_spilled.erase(stage.name) > 0;
    const bool has_output = spilled || (it != m_buffers.end() && !it->second.empty());
    // In GitHub Actions and GitLab CI a stage's output folds away under its name.
    const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    if (has_output && m_term.ci_kind == CiKind::github) std::fprintf(m_out, "::group::%s output\n", stage.name.c_str());
    if (has_output && m_term.ci_kind == CiKind::gitlab) {
      std::fputs(ci::gitlab_section_start(stage.name, stage.name + " output", now_s).c_str(), m_out);
    }
    if (spilled) {
      print_log_block(r.log_path.value_or(""));
    } else if (has_output) {
      print_block(it->second);
    }
    if (has_output && m_term.ci_kind == CiKind::github) std::fputs("::endgroup::\n", m_out);
    if (has_output && m_term.ci_kind == CiKind::gitlab) std::fputs(ci::gitlab_section_end(stage.name, now_s).c_str(), m_out);
    m_buffers.erase(stage.name);
  } else if (m_mode == OutputMode::stream) {
    auto it = m_partial_line.find(stage.name);
    if (it != m_partial_line.end() && !it->second.empty()) line(fmt::format("[{}] {}", stage.name, it->second));
    m_partial_line.erase(stage.name);
  }
}

}  // namespace sluice::cli
