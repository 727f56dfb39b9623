#include "notify/config.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/yaml_check.h"

namespace sluice::notify {

namespace {
constexpr std::pair<Event, std::string_view> k_events[] = {{Event::success, "success"},
                                                           {Event::failure, "failure"},
                                                           {Event::awaiting_approval, "awaiting_approval"},
                                                           {Event::budget_exceeded, "budget_exceeded"}};
}  // namespace

std::string_view to_string(Event e) {
  for (const auto& [v, s] : k_events) {
    if (v == e) return s;
  }
  return "?";
}

std::optional<Event> event_from(std::string_view text) {
  for (const auto& [v, s] : k_events) {
    if (s == text) return v;
  }
  return std::nullopt;
}

std::string_view to_string(Channel c) { return c == Channel::slack ? "slack" : "webhook"; }

bool Rule::wants(Event e) const { return std::find(on.begin(), on.end(), e) != on.end(); }

std::vector<Rule> parse_rules(const base::yaml::Node& section, std::string_view file, base::Diagnostics& diags) {
  base::yaml::Checker check(file);
  std::vector<Rule> rules;
  if (section.is_null()) return rules;
  if (!section.is_seq()) {
    check.error(section, "\"notify\" must be a list such as - { on: [failure], slack: { webhook_env: SLACK_WEBHOOK } }");
  } else {
    static const std::vector<std::string_view> k_rule_keys{"on", "slack", "webhook"};
    static const std::vector<std::string_view> k_slack_keys{"webhook_env"};
    static const std::vector<std::string_view> k_hook_keys{"url_env", "secret_env"};
    for (const auto& item : section.items) {
      if (!check.expect_map(item, "a notify entry")) continue;
      check.check_keys(item, k_rule_keys, "a notify entry");
      Rule r;
      r.mark = item.mark;
      if (const auto* on = item.find("on")) {
        for (const auto& name : check.strings(*on, "on")) {
          if (auto e = event_from(name)) r.on.push_back(*e);
          else check.error(*on, fmt::format("unknown event \"{}\" in \"on\" (allowed: success, failure, "
                                            "awaiting_approval, budget_exceeded)", name));
        }
      } else {
        check.error(item, "a notify entry needs \"on\": the events it is sent for");
      }
      const auto* slack = item.find("slack");
      const auto* hook = item.find("webhook");
      if ((slack != nullptr) == (hook != nullptr)) {
        check.error(item, "a notify entry needs exactly one of \"slack\" and \"webhook\"");
        continue;
      }
      if (slack) {
        r.channel = Channel::slack;
        if (!check.expect_map(*slack, "\"slack\"")) continue;
        check.check_keys(*slack, k_slack_keys, "slack");
        if (const auto* v = slack->find("webhook_env")) r.url_env = check.string(*v, "webhook_env").value_or("");
        else check.error(*slack, "\"slack\" needs \"webhook_env\": the environment variable holding the webhook URL");
      } else {
        r.channel = Channel::webhook;
        if (!check.expect_map(*hook, "\"webhook\"")) continue;
        check.check_keys(*hook, k_hook_keys, "webhook");
        if (const auto* v = hook->find("url_env")) r.url_env = check.string(*v, "url_env").value_or("");
        else check.error(*hook, "\"webhook\" needs \"url_env\": the environment variable holding the URL");
        if (const auto* v = hook->find("secret_env")) r.secret_env = check.string(*v, "secret_env").value_or("");
      }
      rules.push_back(std::move(r));
    }
  }
  for (auto& d : check.take()) diags.push_back(std::move(d));
  return rules;
}

}  // namespace sluice::notify
