#pragma once
// The one YAML "checker" every section of sluice.yml is read with (the pipeline loader, the
// llm module's `llm:` sections): unknown keys with a did-you-mean, and the type of each value,
// worded the same way wherever the mistake is made. Every check reports and carries on, so a
// file's problems all come at once. Not thread-safe (one per file being read).

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "base/yaml.h"

namespace sluice::base::yaml {

class Checker {
 public:
  explicit Checker(std::string_view file) : m_file(file) {}

  void error(const Mark& at, std::string message);
  void error(const Node& at, std::string message) { error(at.mark, std::move(message)); }
  [[nodiscard]] base::Diagnostics& diagnostics() { return m_diags; }
  [[nodiscard]] base::Diagnostics take() { return std::move(m_diags); }
  [[nodiscard]] bool ok() const { return m_diags.empty(); }
  [[nodiscard]] const std::string& file() const { return m_file; }
  // Later diagnostics name `file` (a pipeline's `include:`d files are read with one checker).
  void set_file(std::string file) { m_file = std::move(file); }

  // Keys of `map` outside `allowed`: `unknown key "x" (did you mean "y"?)`, or without a close
  // match `unknown key "x" in WHERE (allowed: a, b)`; a key that is no string is an error too.
  void check_keys(const Node& map, std::span<const std::string_view> allowed, std::string_view where);
  // `WHAT must be a mapping, not a sequence`.
  bool expect_map(const Node& n, std::string_view what);
  // `"key" must be a string, not a mapping`.
  std::optional<std::string> string(const Node& n, std::string_view key);
  // A string or a list of strings (null: none).
  std::vector<std::string> strings(const Node& n, std::string_view key);
  std::optional<bool> boolean(const Node& n, std::string_view key);
  // A duration such as 30s or 10m (base/duration.h).
  std::optional<std::chrono::milliseconds> duration(const Node& n, std::string_view key);
  // A number (integer or float) >= min, finite.
  std::optional<double> number(const Node& n, std::string_view key, double min);
  std::optional<int64_t> integer(const Node& n, std::string_view key, int64_t min);

 private:
  std::string m_file;
  base::Diagnostics m_diags;
};

}  // namespace sluice::base::yaml
