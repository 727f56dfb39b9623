#pragma once
// The redaction interface the pipeline engine and the llm module consume.
//
//   auto known = secrets::KnownValues::create({{"API_TOKEN", value}, ...});   // once per run
//   auto redactor = std::make_shared<const secrets::Redactor>(known->values, scanner);
//   std::string safe = redactor->redact(prompt);                   // block mode, thread-safe
//   secrets::StreamRedactor log(redactor);                         // one per stage output stream
//   sink << log.write(chunk); ...; sink << log.flush();
//
// Known values are replaced by "***"; rule findings by "[REDACTED:<rule-id>]".

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sluice::secrets {

class Scanner;

inline constexpr std::string_view k_known_value_mask = "***";
// Values (and lines of multi-line values) shorter than this are not masked: masking "true" or
// "1234" everywhere would destroy logs and reveal the value by where the masks fall.
inline constexpr size_t k_min_mask_length = 6;

// A "-----BEGIN ...PRIVATE KEY" block with no END line after it is masked from BEGIN to the end
// of the text (the stream) with this label.
inline constexpr std::string_view k_open_private_key_rule = "private-key";
inline constexpr std::string_view k_open_private_key_label = "[REDACTED:private-key]";

struct NamedValue {
  std::string name;   // e.g. the key under a pipeline's `secrets:`; used only in diagnostics
  std::string value;
};

// The compiled set of known secret values and their encoded forms: the value, base64 (standard
// and URL-safe, padded, plus the stable substrings at the three byte alignments), URL-encoded,
// JSON-escaped as the common encoders write it (docs/secrets.md lists which), and each line of a
// multi-line value. Immutable; thread-safe.
class KnownValues {
 public:
  struct Built {
    std::shared_ptr<const KnownValues> values;
    std::vector<std::string> ignored;  // names of values too short to mask
  };
  [[nodiscard]] static Expected<Built> create(std::span<const NamedValue> values);
  ~KnownValues();
  KnownValues(const KnownValues&) = delete;
  KnownValues& operator=(const KnownValues&) = delete;

  // Every literal that is masked (for tests and diagnostics).
  [[nodiscard]] const std::vector<std::string>& forms() const { return m_forms; }
  [[nodiscard]] size_t max_form_length() const { return m_max_len; }

  struct Span {
    size_t start;
    size_t end;
  };
  // Byte ranges of every occurrence of every form, unmerged.
  [[nodiscard]] std::vector<Span> find(std::string_view text) const;

  struct Impl;

 private:
  KnownValues() = default;
  std::vector<std::string> m_forms;
  size_t m_max_len = 0;
  std::unique_ptr<Impl> m_impl;
};

// The encoded forms of one value that KnownValues masks (exposed for tests).
[[nodiscard]] std::vector<std::string> masked_forms(std::string_view value);

// A byte range to replace and its label.
struct Redaction {
  size_t start;
  size_t end;
  std::string label;  // "***" or "[REDACTED:<rule-id>]"
};

// Block redactor: known values, rule findings, and a private key block that never ends (masked
// to the end of the text). Either part may be null. Thread-safe.
class Redactor {
 public:
  Redactor(std::shared_ptr<const KnownValues> known, std::shared_ptr<const Scanner> rules);

  // Sorted, non-overlapping ranges to replace in `text`.
  [[nodiscard]] std::vector<Redaction> redactions(std::string_view text) const;
  [[nodiscard]] std::string redact(std::string_view text) const;
  // Longest secret the stream redactor must hold back to catch it across writes.
  [[nodiscard]] size_t hold_back() const { return m_hold; }

 private:
  std::shared_ptr<const KnownValues> m_known;
  std::shared_ptr<const Scanner> m_rules;
  size_t m_hold = 0;
};

// Streaming redactor for logs: write() returns the part of the stream that is safe to emit.
// Guarantee: a secret on one line is caught however the writes split it, because output is
// released only up to the last complete line; a line longer than k_max_line is released in
// pieces, keeping the last hold_back() bytes, so secrets up to that length are still caught. An
// open "-----BEGIN ... -----" block is held until its END line (at most k_max_held bytes); a
// private key block still open at flush() is masked to the end, and one that outgrows
// k_max_held is masked and everything up to its END line dropped.
// Latency: a partial line waits for its newline, for more data, or for flush().
// Not thread-safe: one per stream; cheap to create (shares the Redactor).
class StreamRedactor {
 public:
  static constexpr size_t k_max_line = 64 * 1024;
  static constexpr size_t k_max_held = 256 * 1024;

  explicit StreamRedactor(std::shared_ptr<const Redactor> redactor);

  [[nodiscard]] std::string write(std::string_view chunk);
  // Redacts and returns everything still held. The stream may continue afterwards.
  [[nodiscard]] std::string flush();

 private:
  std::string release(size_t cut);
  std::shared_ptr<const Redactor> m_redactor;
  std::string m_pending;
  bool m_discarding = false;  // inside a private key block that outgrew k_max_held
};

}  // namespace sluice::secrets
