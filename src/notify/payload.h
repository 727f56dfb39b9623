#pragma once
// What a notification says about a run: a Slack message (text + blocks) or a generic JSON
// event. Every string goes through the caller's redactor first, as log lines do.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "notify/config.h"

namespace sluice::notify {

struct RunSummary {
  Event event = Event::failure;
  std::string pipeline;
  std::string run_id;
  int64_t seq = 0;
  std::string status;  // the run's status (store spelling)
  int64_t duration_ms = 0;
  int stages = 0;
  int cache_hits = 0;
  std::vector<std::string> failed;  // "stage: reason" of the stages that failed
  std::vector<std::string> critical_path;
  int64_t critical_path_ms = 0;
  double cost_usd = 0;
  std::string detail;  // budget_exceeded: the refusal; awaiting_approval: the approve command
};

using Redact = std::function<std::string(std::string_view)>;

// {"text": ..., "blocks": [...]} for a Slack incoming webhook (also what Mattermost and
// Rocket.Chat accept).
[[nodiscard]] std::string slack_payload(const RunSummary& s, const Redact& redact);
// {"type": "run.<event>", "timestamp": RFC 3339, "data": {...}} (the Standard Webhooks shape).
[[nodiscard]] std::string webhook_payload(const RunSummary& s, const Redact& redact, int64_t now_ms);

}  // namespace sluice::notify
