#pragma once
// The pipeline's `notify:` section: which events go to which Slack webhook or generic signed
// webhook. Pure data: URLs and secrets are named by environment variables that only the cli
// reads.
//
//   notify:
//     - { on: [failure, awaiting_approval, budget_exceeded], slack: { webhook_env: SLACK_WEBHOOK } }
//     - { on: [success, failure], webhook: { url_env: HOOK_URL, secret_env: HOOK_SECRET } }

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "base/yaml.h"

namespace sluice::notify {

enum class Event { success, failure, awaiting_approval, budget_exceeded };
enum class Channel { slack, webhook };

[[nodiscard]] std::string_view to_string(Event e);
[[nodiscard]] std::optional<Event> event_from(std::string_view text);
[[nodiscard]] std::string_view to_string(Channel c);

struct Rule {
  std::vector<Event> on;
  Channel channel = Channel::webhook;
  std::string url_env;     // slack: webhook_env; webhook: url_env
  std::string secret_env;  // webhook only; empty: unsigned
  base::yaml::Mark mark;

  [[nodiscard]] bool wants(Event e) const;
};

// Parses the section, adding every problem to `diags` (file:line:col: message).
[[nodiscard]] std::vector<Rule> parse_rules(const base::yaml::Node& section, std::string_view file,
                                            base::Diagnostics& diags);

}  // namespace sluice::notify
