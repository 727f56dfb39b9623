#include "engine/stage_output.h"

#include <fcntl.h>
#include <unistd.h>

namespace sluice::engine {

StageOutput::StageOutput(int index, std::filesystem::path log_path, const StreamFilterFactory* filters,
                         Mailbox& mail, EventSink* direct, const pipeline::Stage& stage)
    : m_index(index), m_path(std::move(log_path)), m_filters(filters), m_mail(mail), m_direct(direct), m_stage(stage) {}

StageOutput::~StageOutput() {
  if (m_fd >= 0) ::close(m_fd);
}

void StageOutput::write(std::string_view bytes) {
  std::lock_guard lock(m_mu);
  if (!m_filter && m_filters && !bytes.empty()) m_filter = m_filters->make();
  emit(m_filter ? m_filter->write(bytes) : std::string(bytes));
}

void StageOutput::finish() {
  std::lock_guard lock(m_mu);
  if (m_filter) emit(m_filter->flush());
}

bool StageOutput::wrote() const {
  std::lock_guard lock(m_mu);
  return m_opened;
}

void StageOutput::set_direct(EventSink* direct) {
  std::lock_guard lock(m_mu);
  m_direct = direct;
}

void StageOutput::emit(std::string s) {
  if (s.empty()) return;
  if (!m_opened) {
    m_opened = true;
    m_fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_APPEND, 0644);
  }
  if (m_fd >= 0) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::write(m_fd, s.data() + off, s.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
  }
  if (m_direct) {
    m_direct->stage_output(m_stage, s);
  } else {
    m_mail.post({Message::Type::output, m_index, std::move(s), 0, {}});
  }
}

std::string log_file_name(const std::string& stage) {
  std::string out = stage;
  for (char& c : out) {
    if (c == '/') c = '_';
  }
  return out + ".log";
}

}  // namespace sluice::engine
