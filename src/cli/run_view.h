#pragma once
// How a run looks while it happens: on a terminal, a status line redrawn in place (done/total,
// what is running, elapsed); in CI (not a TTY, or CI=true) plain lines, one per event, with each
// stage's output printed as a block when it ends, or prefixed line by line with --output stream.

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "cli/terminal.h"
#include "engine/runner.h"

namespace sluice::cli {

enum class OutputMode { block, stream, quiet };

class RunView final : public engine::EventSink {
 public:
  RunView(const pipeline::Pipeline& p, TerminalInfo term, OutputMode mode, std::FILE* out);
  ~RunView() override;

  void run_started(const store::RunRecord& run, const std::vector<int>& selected) override;
  void stage_started(const pipeline::Stage& stage, int attempt) override;
  void stage_output(const pipeline::Stage& stage, std::string_view chunk) override;
  void stage_retrying(const pipeline::Stage& stage, int next_attempt, std::string_view why) override;
  void stage_finished(const pipeline::Stage& stage, const store::StageRecord& record) override;
  void stage_warning(const pipeline::Stage& stage, std::string_view text) override;
  void stage_waiting(const pipeline::Stage& stage, std::string_view text) override;
  void stage_gate_passed(const pipeline::Stage& stage, std::string_view text) override;
  // Redraws the live status line (call periodically on a TTY).
  void tick();
  void clear_status();
  [[nodiscard]] bool live() const { return m_live; }

 private:
  void line(const std::string& text);
  void draw_status();
  std::string paint(std::string_view text, const char* color) const;

  const pipeline::Pipeline& m_pipeline;
  TerminalInfo m_term;
  OutputMode m_mode;
  std::FILE* m_out;
  bool m_live;
  bool m_status_shown = false;
  size_t m_total = 0, m_done = 0;
  std::set<std::string> m_running;
  std::set<std::string> m_waiting;  // stages a review gate holds (on_pending: wait)
  void print_block(const std::string& text);
  void print_log_block(const std::string& log_path);

  // Block mode holds a stage's output in memory up to this size; past it the output is printed
  // from the stage's log file when the stage ends (the log holds the same redacted bytes), so a
  // stage printing 200 MB costs no more memory than one printing 1 MB.
  static constexpr size_t k_block_memory = 1 << 20;
  std::map<std::string, std::string> m_buffers;       // block mode: output per stage
  std::set<std::string> m_spilled;                    // block mode: past k_block_memory
  std::map<std::string, std::string> m_partial_line;  // stream mode: unterminated line per stage
  std::chrono::steady_clock::time_point m_start;
  std::recursive_mutex m_mu;  // the ticker thread and the scheduler thread both draw
};

}  // namespace sluice::cli
