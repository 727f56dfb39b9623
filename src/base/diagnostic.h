#pragma once
// A diagnostic about user input, with its source position, as validators collect them
// (all of them, not just the first). Formats as "file:line:col: message".

#include <string>
#include <vector>

#include <fmt/format.h>

namespace sluice::base {

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string message;

  [[nodiscard]] std::string to_string() const {
    if (file.empty()) return message;  // message already carries its position
    if (line <= 0) return fmt::format("{}: {}", file, message);
    return fmt::format("{}:{}:{}: {}", file, line, column, message);
  }
};

using Diagnostics = std::vector<Diagnostic>;

}  // namespace sluice::base
