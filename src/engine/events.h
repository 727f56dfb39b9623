#pragma once
// What the scheduler reports while it runs (EventSink) and how a stage's output is filtered
// on its way out (StreamFilter, the secret redactor's seam).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/spec.h"
#include "store/state_store.h"

namespace sluice::engine {

// Filters a stage's output stream (the secret redactor); one per stage and attempt sequence.
class StreamFilter {
 public:
  virtual ~StreamFilter() = default;
  // Returns what can be emitted now; may hold back a tail that could be the start of a secret.
  [[nodiscard]] virtual std::string write(std::string_view chunk) = 0;
  [[nodiscard]] virtual std::string flush() = 0;
};

class StreamFilterFactory {
 public:
  virtual ~StreamFilterFactory() = default;
  [[nodiscard]] virtual std::unique_ptr<StreamFilter> make() const = 0;
  // Masks a complete message (reasons, errors) before it is stored or shown.
  [[nodiscard]] virtual std::string redact(std::string_view text) const = 0;
};

// Observer of a run, called on the scheduler thread only, in event order.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void run_started(const store::RunRecord& /*run*/, const std::vector<int>& /*selected*/) {}
  virtual void stage_started(const pipeline::Stage& /*stage*/, int /*attempt*/) {}
  // Redacted output bytes of a running stage.
  virtual void stage_output(const pipeline::Stage& /*stage*/, std::string_view /*chunk*/) {}
  virtual void stage_retrying(const pipeline::Stage& /*stage*/, int /*next_attempt*/, std::string_view /*why*/) {}
  virtual void stage_finished(const pipeline::Stage& /*stage*/, const store::StageRecord& /*record*/) {}
  // Something the user should know that does not change the stage's result (a damaged cache
  // entry that made it run again, say). `text` is redacted.
  virtual void stage_warning(const pipeline::Stage& /*stage*/, std::string_view /*text*/) {}
  // A review gate let the stage through (`text`: whose approval of which content).
  virtual void stage_gate_passed(const pipeline::Stage& /*stage*/, std::string_view /*text*/) {}
  // A review gate holds the stage while the run waits for a decision (on_pending: wait); `text`
  // says what is awaited and the approve command. Its end comes as stage_started/finished.
  virtual void stage_waiting(const pipeline::Stage& /*stage*/, std::string_view /*text*/) {}
};

}  // namespace sluice::engine
