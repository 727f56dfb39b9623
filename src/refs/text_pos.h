#pragma once
// Turns byte offsets into 1-based line and column numbers, for offsets given in increasing
// order (each call continues from the previous one, so a file costs one pass).

#include <cstddef>
#include <string_view>

namespace sluice::refs {

class TextPos {
 public:
  explicit TextPos(std::string_view text) : m_text(text) {}
  // Line and column of byte `offset`. Offsets must not decrease between calls; an offset
  // before the previous one restarts from the top.
  void at(size_t offset, int& line, int& column) {
    if (offset < m_pos) {
      m_pos = 0;
      m_line = 1;
      m_line_start = 0;
    }
    if (offset > m_text.size()) offset = m_text.size();
    for (; m_pos < offset; ++m_pos) {
      if (m_text[m_pos] == '\n') {
        ++m_line;
        m_line_start = m_pos + 1;
      }
    }
    line = m_line;
    column = static_cast<int>(offset - m_line_start) + 1;
  }

 private:
  std::string_view m_text;
  size_t m_pos = 0;
  int m_line = 1;
  size_t m_line_start = 0;
};

}  // namespace sluice::refs
