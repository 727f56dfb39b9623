// Figures derived from a run's records: Gantt lanes, the LLM phases of a stage, and the what-if
// estimates (critical path with the LLM stages cached, a list schedule at -j and at 2x -j).
#include <algorithm>
#include <map>
#include <queue>
#include <set>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "report/report.h"

namespace sluice::report {
using nlohmann::json;

namespace {
// needs[i]: the indexes of stage i's recorded needs.
std::vector<std::vector<size_t>> needs_of(const RunReport& r) {
  std::map<std::string, size_t, std::less<>> by_name;
  for (size_t i = 0; i < r.stages.size(); ++i) by_name[r.stages[i].name] = i;
  std::vector<std::vector<size_t>> out(r.stages.size());
  for (size_t i = 0; i < r.stages.size(); ++i) {
    for (auto n : base::split(r.stages[i].needs, ',')) {
      auto it = by_name.find(n);
      if (it != by_name.end() && it->second != i) out[i].push_back(it->second);
    }
  }
  return out;
}

// The longest path through the needs with these durations (stages in any order; a cycle in a
// malformed old record counts as no edge).
int64_t longest(const std::vector<std::vector<size_t>>& needs, const std::vector<int64_t>& dur) {
  std::vector<int64_t> best(dur.size(), -1);
  std::vector<char> on_stack(dur.size(), 0);
  int64_t out = 0;
  // Iterative depth-first: a 2,000-stage chain must not recurse 2,000 frames deep per call.
  for (size_t root = 0; root < dur.size(); ++root) {
    if (best[root] >= 0) continue;
    std::vector<std::pair<size_t, size_t>> stack{{root, 0}};
    on_stack[root] = 1;
    while (!stack.empty()) {
      auto& [i, k] = stack.back();
      if (k < needs[i].size()) {
        size_t n = needs[i][k++];
        if (best[n] < 0 && !on_stack[n]) {
          on_stack[n] = 1;
          stack.emplace_back(n, 0);
        }
        continue;
      }
      int64_t b = 0;
      for (size_t n : needs[i]) b = std::max(b, std::max<int64_t>(best[n], 0));
      best[i] = b + dur[i];
      on_stack[i] = 0;
      stack.pop_back();
    }
    out = std::max(out, best[root]);
  }
  return out;
}

// Greedy list schedule: ready stages start in file order whenever fewer than `jobs` run.
int64_t simulate(const std::vector<std::vector<size_t>>& needs, const std::vector<int64_t>& dur, int jobs) {
  const size_t n = dur.size();
  std::vector<int> unmet(n, 0);
  std::vector<std::vector<size_t>> dependents(n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t d : needs[i]) {
      ++unmet[i];
      dependents[d].push_back(i);
    }
  }
  std::set<size_t> ready;
  for (size_t i = 0; i < n; ++i) {
    if (unmet[i] == 0) ready.insert(i);
  }
  using Ev = std::pair<int64_t, size_t>;
  std::priority_queue<Ev, std::vector<Ev>, std::greater<>> running;
  int64_t now = 0;
  size_t done = 0;
  while (done < n) {
    while (!ready.empty() && static_cast<int>(running.size()) < std::max(1, jobs)) {
      size_t i = *ready.begin();
      ready.erase(ready.begin());
      running.emplace(now + dur[i], i);
    }
    if (running.empty()) break;  // a cycle in a malformed record: what is left never becomes ready
    auto [t, i] = running.top();
    running.pop();
    now = t;
    ++done;
    for (size_t d : dependents[i]) {
      if (--unmet[d] == 0) ready.insert(d);
    }
  }
  return now;
}
}  // namespace

std::vector<std::pair<std::string, double>> llm_phases(const store::StageRecord& s) {
  std::vector<std::pair<std::string, double>> out;
  if (s.kind != "llm" || !s.details) return out;
  json d = json::parse(*s.details, nullptr, false);
  if (d.is_discarded() || !d.is_object() || !d.contains("phases_ms") || !d["phases_ms"].is_object()) return out;
  for (const char* k : {"render", "redact", "tokenize", "cache", "budget", "queue", "ttft", "generation", "post_process"}) {
    const auto& p = d["phases_ms"];
    if (p.contains(k) && p[k].is_number()) out.emplace_back(k, std::max(0.0, p[k].get<double>()));
  }
  return out;
}

std::vector<int> assign_lanes(const RunReport& r, int* lane_count) {
  std::vector<size_t> order;
  for (size_t i = 0; i < r.stages.size(); ++i) {
    if (r.stages[i].started_ms) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return *r.stages[a].started_ms < *r.stages[b].started_ms; });
  std::vector<int> lane(r.stages.size(), -1);
  std::vector<int64_t> lane_free;  // when each lane's last bar ends
  for (size_t i : order) {
    const auto& s = r.stages[i];
    int64_t start = *s.started_ms;
    int64_t end = s.ended_ms.value_or(start + s.duration_ms.value_or(0));
    size_t l = 0;
    while (l < lane_free.size() && lane_free[l] > start) ++l;
    if (l == lane_free.size()) lane_free.push_back(end);
    else lane_free[l] = end;
    lane[i] = static_cast<int>(l);
  }
  if (lane_count) *lane_count = static_cast<int>(lane_free.size());
  return lane;
}

WhatIf what_if(const RunReport& r) {
  WhatIf w;
  auto needs = needs_of(r);
  std::vector<int64_t> dur(r.stages.size()), cached(r.stages.size());
  for (size_t i = 0; i < r.stages.size(); ++i) {
    dur[i] = r.stages[i].duration_ms.value_or(0);
    cached[i] = dur[i];
    auto phases = llm_phases(r.stages[i]);
    bool was_hit = false;
    if (!phases.empty()) {
      json d = json::parse(*r.stages[i].details, nullptr, false);
      was_hit = d.is_object() && d.value("cache_hit", false);
    }
    if (!phases.empty() && !was_hit) {  // a stage the cache already answered keeps what it took
      double before_call = 0;  // what a response-cache hit still pays
      for (const auto& [name, ms] : phases) {
        if (name == "render" || name == "redact" || name == "tokenize" || name == "cache") before_call += ms;
      }
      cached[i] = std::min(dur[i], static_cast<int64_t>(before_call + 0.5));
    }
  }
  w.critical_path_ms = r.critical_path_ms;
  w.llm_cached_critical_ms = longest(needs, cached);
  w.jobs = std::max(1, r.run.jobs);
  w.simulated_ms = simulate(needs, dur, w.jobs);
  w.simulated_double_jobs_ms = simulate(needs, dur, 2 * w.jobs);
  return w;
}

Expected<void> add_llm_calls(RunReport& r, store::Database& db) {
  if (r.llm.stages == 0) return {};
  auto q = db.prepare(
      "SELECT stage, provider, model, status, COALESCE(error, ''), cache_hit, tokens_in, tokens_out, cost_usd, retries, "
      "phases FROM llm_calls WHERE run_id = ?1 ORDER BY id");
  if (!q) return tl::unexpected(q.error());
  q->bind(1, r.run.id);
  while (true) {
    auto row = q->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    LlmCallRecord c;
    c.stage = q->column_text(0);
    c.provider = q->column_text(1);
    c.model = q->column_text(2);
    c.status = q->column_text(3);
    c.error = q->column_text(4);
    c.cache_hit = q->column_int(5) != 0;
    c.tokens_in = q->column_int(6);
    c.tokens_out = q->column_int(7);
    c.cost_usd = q->column_double(8);
    c.retries = static_cast<int>(q->column_int(9));
    c.phases_json = q->column_text(10);
    r.llm_calls.push_back(std::move(c));
  }
  return {};
}

Expected<void> add_notifications(RunReport& r, store::Database& db) {
  auto exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'notifications'");
  if (!exists) return tl::unexpected(exists.error());
  auto has = exists->step();
  if (!has) return tl::unexpected(has.error());
  if (!*has) return {};
  auto q = db.prepare(
      "SELECT channel, event, target, outcome, attempts, http_status, error, elapsed_ms FROM notifications "
      "WHERE run_id = ?1 ORDER BY id");
  if (!q) return tl::unexpected(q.error());
  q->bind(1, r.run.id);
  while (true) {
    auto row = q->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    NotificationRecord n;
    n.channel = q->column_text(0);
    n.event = q->column_text(1);
    n.target = q->column_text(2);
    n.outcome = q->column_text(3);
    n.attempts = static_cast<int>(q->column_int(4));
    n.http_status = static_cast<int>(q->column_int(5));
    n.error = q->column_text(6);
    n.elapsed_ms = q->column_int(7);
    r.notifications.push_back(std::move(n));
  }
  return {};
}

}  // namespace sluice::report
