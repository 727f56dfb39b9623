#include "cli/ci.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/duration.h"
#include "base/hash.h"
#include "base/strings.h"

namespace sluice::cli::ci {
using store::StageStatus;

std::vector<LogFinding> findings_in_log(std::string_view log, size_t limit) {
  std::vector<LogFinding> out;
  for (auto raw : base::split(log, '\n')) {
    if (out.size() >= limit) break;
    std::string_view line = raw;
    if (line.starts_with("  | ")) line.remove_prefix(4);
    // path:LINE:COL: message, the path without spaces (so "error: x:1:2: y" prose is not taken).
    size_t c1 = line.find(':');
    if (c1 == std::string_view::npos || c1 == 0) continue;
    std::string_view path = line.substr(0, c1);
    if (path.find(' ') != std::string_view::npos) continue;
    auto number = [&](size_t from, size_t* end) -> int {
      size_t i = from;
      while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) ++i;
      if (i == from || i >= line.size() || line[i] != ':') return -1;
      *end = i;
      return std::stoi(std::string(line.substr(from, i - from)));
    };
    size_t e1 = 0, e2 = 0;
    int ln = number(c1 + 1, &e1);
    if (ln <= 0) continue;
    int col = number(e1 + 1, &e2);
    if (col < 0 || e2 + 1 >= line.size() || line[e2 + 1] != ' ') continue;
    LogFinding f;
    f.path = std::string(path);
    f.line = ln;
    f.column = col;
    f.message = std::string(line.substr(e2 + 2));
    f.warning = f.message.starts_with("warning") || f.message.starts_with("note");
    out.push_back(std::move(f));
  }
  return out;
}

std::string gh_data(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%') out += "%25";
    else if (c == '\r') out += "%0D";
    else if (c == '\n') out += "%0A";
    else out += c;
  }
  return out;
}

std::string gh_property(std::string_view s) {
  std::string out;
  for (char ch : gh_data(s)) {
    if (ch == ':') out += "%3A";
    else if (ch == ',') out += "%2C";
    else out += ch;
  }
  return out;
}

void github_masks(const std::vector<std::string>& values, std::FILE* out) {
  for (const auto& v : values) {
    if (!v.empty()) std::fprintf(out, "::add-mask::%s\n", gh_data(v).c_str());
  }
  std::fflush(out);
}

void github_load_errors(const base::Diagnostics& diags, std::FILE* out) {
  for (const auto& d : diags) {
    if (d.file.empty()) {
      std::fprintf(out, "::error title=sluice::%s\n", gh_data(d.message).c_str());
    } else {
      std::fprintf(out, "::error file=%s,line=%d,col=%d,title=sluice::%s\n", gh_property(d.file).c_str(), d.line,
                   d.column, gh_data(d.message).c_str());
    }
  }
}

void github_annotations(const pipeline::Pipeline& p, const report::RunReport& r, const ReadLog& read_log, std::FILE* out) {
  for (const auto& s : r.stages) {
    // A validate stage's warnings matter even when it passes; other logs only when they failed;
    // an AI verdict's findings always.
    if (s.status != StageStatus::failed && s.kind != "validate" && s.kind != "llm") continue;
    const auto* st = p.find(s.name);
    std::string msg = s.reason.value_or("failed");
    std::optional<std::string> log = s.log_path && read_log ? read_log(*s.log_path) : std::nullopt;
    if (s.status == StageStatus::failed) {
      std::fprintf(out, "::error file=%s,line=%d,title=%s::%s\n", gh_property(p.file).c_str(), st ? st->mark.line : 1,
                   gh_property(fmt::format("sluice: stage {} failed", s.name)).c_str(), gh_data(msg).c_str());
    }
    // An AI verdict's findings (an advisory verdict's too: reported, never blocking).
    for (const auto& f : report::verdict_findings_of(s)) {
      const char* level = f.severity == "error" ? "error" : f.severity == "note" ? "notice" : "warning";
      std::fprintf(out, "::%s file=%s,line=%lld,title=%s::%s\n", level, gh_property(f.path).c_str(),
                   static_cast<long long>(std::max<int64_t>(1, f.line)),
                   gh_property("sluice: AI verdict of " + s.name).c_str(), gh_data(f.message).c_str());
    }
    if (!log || (s.kind == "llm" && s.status != StageStatus::failed)) continue;
    for (const auto& f : findings_in_log(*log, 50)) {
      std::fprintf(out, "::%s file=%s,line=%d,col=%d,title=%s::%s\n", f.warning ? "warning" : "error",
                   gh_property(f.path).c_str(), f.line, f.column, gh_property("sluice: " + s.name).c_str(),
                   gh_data(f.message).c_str());
    }
  }
  std::fflush(out);
}

std::string step_summary(const report::RunReport& r) {
  auto ms = [](int64_t v) { return base::format_duration(std::chrono::milliseconds(v)); };
  auto cell = [](std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c == '|') out += "\\|";
      else if (c == '\n') out += ' ';
      else out += c;
    }
    return out;
  };
  std::string out = fmt::format("## sluice run {}: {} ({})\n\n", r.run.seq, cell(r.run.pipeline), store::to_string(r.run.status));
  out += fmt::format("Wall time **{}**, critical path **{}**, parallelism {:.2f}x, cache hits {}/{}", ms(r.run.duration_ms.value_or(0)),
                     ms(r.critical_path_ms), r.parallelism, r.cache_hits, r.stages.size());
  if (r.llm.stages > 0) {
    out += fmt::format(", LLM spend **${:.4f}** ({} in / {} out tokens)", r.llm.cost_usd, r.llm.tokens_in, r.llm.tokens_out);
  }
  out += fmt::format("\n\nCritical path: {}\n\n", cell(base::join(r.critical_path, " \u2192 ")));
  out += "| stage | status | duration | attempts | cache | note |\n|---|---|---:|---:|---|---|\n";
  size_t shown = 0;
  for (const auto& s : r.stages) {
    if (++shown > 200) {
      out += fmt::format("\n{} more stages: see `sluice report`.\n", r.stages.size() - 200);
      break;
    }
    bool crit = std::find(r.critical_path.begin(), r.critical_path.end(), s.name) != r.critical_path.end();
    out += fmt::format("| {}{} | {} | {} | {} | {} | {} |\n", crit ? "**" + cell(s.name) + "**" : cell(s.name),
                       crit ? " \u2605" : "", store::to_string(s.status), ms(s.duration_ms.value_or(0)), s.attempts,
                       s.cache_hit ? "hit" : "-", cell(s.reason.value_or("")));
  }
  return out + "\n";
}

namespace {
std::string section_id(std::string_view name) {
  std::string id = "sluice_";
  for (char c : name) id += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ? c : '_';
  return id;
}
}  // namespace

std::string gitlab_section_start(std::string_view name, std::string_view header, int64_t now_s) {
  return fmt::format("\033[0Ksection_start:{}:{}[collapsed=true]\r\033[0K{}\n", now_s, section_id(name), header);
}

std::string gitlab_section_end(std::string_view name, int64_t now_s) {
  return fmt::format("\033[0Ksection_end:{}:{}\r\033[0K\n", now_s, section_id(name));
}

std::string gitlab_code_quality(const pipeline::Pipeline& p, const report::RunReport& r, const ReadLog& read_log) {
  nlohmann::json issues = nlohmann::json::array();
  auto add = [&](const std::string& check, const std::string& desc, const std::string& path, int line, const char* sev) {
    issues.push_back({{"description", desc},
                      {"check_name", check},
                      {"fingerprint", base::sha256_hex(fmt::format("{}\n{}\n{}\n{}", check, path, line, desc)).substr(0, 32)},
                      {"severity", sev},
                      {"location", {{"path", path}, {"lines", {{"begin", std::max(1, line)}}}}}});
  };
  for (const auto& s : r.stages) {
    for (const auto& f : report::verdict_findings_of(s)) {
      add("sluice/ai-verdict/" + s.name, f.message, f.path, static_cast<int>(f.line),
          f.severity == "error" ? "major" : f.severity == "note" ? "info" : "minor");
    }
    if (s.status != StageStatus::failed && s.kind != "validate") continue;
    const auto* st = p.find(s.name);
    if (s.status == StageStatus::failed) {
      add("sluice/stage-failed", fmt::format("stage {} failed: {}", s.name, s.reason.value_or("failed")), p.file,
          st ? st->mark.line : 1, "major");
    }
    if (!s.log_path || !read_log) continue;
    if (auto log = read_log(*s.log_path)) {
      for (const auto& f : findings_in_log(*log, 200)) {
        add("sluice/" + s.name, f.message, f.path, f.line, f.warning ? "minor" : "major");
      }
    }
  }
  return issues.dump(2) + "\n";
}

}  // namespace sluice::cli::ci
