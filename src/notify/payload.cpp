#include "notify/payload.h"

#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/duration.h"

namespace sluice::notify {
using nlohmann::json;

namespace {
std::string headline(const RunSummary& s) {
  switch (s.event) {
    case Event::success: return fmt::format("sluice: {} run {} succeeded", s.pipeline, s.seq);
    case Event::failure: return fmt::format("sluice: {} run {} failed", s.pipeline, s.seq);
    case Event::awaiting_approval: return fmt::format("sluice: {} run {} is awaiting approval", s.pipeline, s.seq);
    case Event::budget_exceeded: return fmt::format("sluice: {} run {} hit its LLM budget", s.pipeline, s.seq);
  }
  return "sluice";
}
std::string took(int64_t ms) { return base::format_duration(std::chrono::milliseconds(ms)); }
}  // namespace

std::string slack_payload(const RunSummary& s, const Redact& redact) {
  std::string body = fmt::format("{} in {}; {} stages, {} cached; critical path {}", s.status, took(s.duration_ms), s.stages,
                                 s.cache_hits, took(s.critical_path_ms));
  if (s.cost_usd > 0) body += fmt::format("; LLM spend ${:.4f}", s.cost_usd);
  std::string failed;
  for (size_t i = 0; i < s.failed.size() && i < 10; ++i) failed += fmt::format("\n\u2022 {}", s.failed[i]);
  if (s.failed.size() > 10) failed += fmt::format("\n\u2026 and {} more", s.failed.size() - 10);
  std::string text = redact(fmt::format("{}: {}{}{}{}", headline(s), body, s.detail.empty() ? "" : "\n", s.detail, failed));
  json blocks = json::array();
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", redact(fmt::format("*{}*\n{}", headline(s), body))}}}});
  if (!s.detail.empty()) blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", redact(s.detail)}}}});
  if (!failed.empty()) {
    blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", redact(fmt::format("*Failed stages*{}", failed))}}}});
  }
  blocks.push_back({{"type", "context"},
                    {"elements", {{{"type", "mrkdwn"}, {"text", redact(fmt::format("run id `{}`", s.run_id))}}}}});
  return json{{"text", text}, {"blocks", blocks}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string webhook_payload(const RunSummary& s, const Redact& redact, int64_t now_ms) {
  std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::string ts = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                               tm.tm_hour, tm.tm_min, tm.tm_sec, now_ms % 1000);
  json failed = json::array();
  for (const auto& f : s.failed) failed.push_back(redact(f));
  json cp = json::array();
  for (const auto& c : s.critical_path) cp.push_back(redact(c));
  json data = {{"pipeline", redact(s.pipeline)},
               {"run_id", s.run_id},
               {"run", s.seq},
               {"status", s.status},
               {"event", std::string(to_string(s.event))},
               {"summary", redact(headline(s))},
               {"duration_ms", s.duration_ms},
               {"stages", s.stages},
               {"cache_hits", s.cache_hits},
               {"failed_stages", failed},
               {"critical_path", cp},
               {"critical_path_ms", s.critical_path_ms},
               {"cost_usd", s.cost_usd}};
  if (!s.detail.empty()) data["detail"] = redact(s.detail);
  return json{{"type", fmt::format("run.{}", to_string(s.event))}, {"timestamp", ts}, {"data", data}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

}  // namespace sluice::notify
