#pragma once
// Where a stage's output goes: through the redactor into its log file, and on to the event
// sink, directly when the writer is the scheduler thread, through the mailbox when it is a
// worker thread. The log file is created on the first byte: a stage that prints nothing costs
// no file (a 2000-stage pipeline of quiet commands would otherwise spend much of its time
// creating inodes). The redacting filter is made on the first byte too (the rule scanner
// behind it takes tens of milliseconds to load once per run, which quiet stages never need).
//
// Thread-safe: the stage's worker and the scheduler may both write (never at once in practice).

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "engine/events.h"
#include "engine/stage_executor.h"
#include "engine/worker_pool.h"

namespace sluice::engine {

class StageOutput final : public OutputSink {
 public:
  // `filters` may be null (no redaction). `direct` non-null: deliver to it (the writer is the
  // scheduler thread); null: post to `mail` for the scheduler to deliver.
  StageOutput(int index, std::filesystem::path log_path, const StreamFilterFactory* filters, Mailbox& mail,
              EventSink* direct, const pipeline::Stage& stage);
  ~StageOutput() override;
  StageOutput(const StageOutput&) = delete;
  StageOutput& operator=(const StageOutput&) = delete;

  void write(std::string_view bytes) override;
  // Releases what the redactor held back (the end of the stream).
  void finish();
  // Whether anything reached the log file (it exists).
  [[nodiscard]] bool wrote() const;
  // Switches delivery: `direct` while the scheduler thread writes, null while a worker does.
  void set_direct(EventSink* direct);
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

 private:
  void emit(std::string s);
  int m_index;
  std::filesystem::path m_path;
  int m_fd = -1;
  bool m_opened = false;
  const StreamFilterFactory* m_filters;
  std::unique_ptr<StreamFilter> m_filter;
  Mailbox& m_mail;
  EventSink* m_direct;
  const pipeline::Stage& m_stage;
  mutable std::mutex m_mu;
};

// The log file name of a stage ('/' in a name becomes '_').
[[nodiscard]] std::string log_file_name(const std::string& stage);

}  // namespace sluice::engine
