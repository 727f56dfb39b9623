#include "engine/gates.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "base/duration.h"
#include "base/files.h"
#include "base/hash.h"
#include "base/strings.h"
#include "pipeline/graph.h"
#include "review/codeowners.h"
#include "review/manifest.h"
#include "review/signing.h"
#include "store/review_store.h"

namespace sluice::engine {
namespace fs = std::filesystem;
using base::quote;

bool ReviewPlan::any() const {
  return std::any_of(gates.begin(), gates.end(), [](const auto& g) { return g.has_value(); });
}

std::string approve_command(const std::string& run_id, const std::string& stage,
                            const std::string& hash) {
  return fmt::format("sluice approve {} {} --hash {}", run_id, stage, hash.substr(0, 16));
}

namespace {

std::string normal_path(std::string p) {
  while (p.rfind("./", 0) == 0) p.erase(0, 2);
  return p;
}

review::CriticalPaths compile_paths(const pipeline::Pipeline& p, const fs::path& workspace,
                                    base::Diagnostics& diags) {
  const auto& r = p.review;
  std::vector<review::OwnerRule> inline_rules;
  for (const auto& c : r.critical_paths) {
    inline_rules.push_back({c.text, true, {}, p.file, c.mark.line, c.mark.column});
  }
  review::RuleSet inline_set(std::move(inline_rules), diags);
  review::RuleSet file_set;
  if (!r.critical_paths_file.empty()) {
    auto text = base::read_file(workspace / r.critical_paths_file);
    if (!text) {
      diags.push_back({p.file, r.critical_paths_file_mark.line, r.critical_paths_file_mark.column,
                       fmt::format("critical_paths_file {}: cannot read it: {}",
                                   quote(r.critical_paths_file), text.error().message)});
    } else {
      file_set =
          review::RuleSet(review::parse_codeowners(*text, r.critical_paths_file, diags), diags);
    }
  }
  return review::CriticalPaths(std::move(inline_set), std::move(file_set));
}

}  // namespace

ReviewPlan plan_review(const pipeline::Pipeline& p, const LlmSections& llm,
                       const fs::path& workspace, base::Diagnostics& diags) {
  ReviewPlan plan;
  plan.gates.resize(p.stages.size());
  const bool any_protected = std::any_of(p.stages.begin(), p.stages.end(),
                                         [](const auto& s) { return s.protected_stage; });
  if (!p.review.present && !any_protected) return plan;
  const review::CriticalPaths paths = compile_paths(p, workspace, diags);
  if (auto text = base::read_file(p.file)) plan.pipeline_hash = base::sha256_hex(*text);

  // What each AI stage writes, and which of it is critical.
  const size_t n = p.stages.size();
  std::vector<std::vector<std::string>> writes(n), critical(n);
  std::vector<bool> is_ai(n, false);
  for (size_t i = 0; i < n; ++i) {
    if (p.stages[i].kind != pipeline::StageKind::llm) continue;
    is_ai[i] = true;
    const llm::LlmStageSpec* spec = llm.stage(static_cast<int>(i));
    if (spec && spec->output && !spec->output->path.empty())
      writes[i].push_back(normal_path(spec->output->path));
    for (const auto& f : writes[i]) {
      if (paths.critical(f)) critical[i].push_back(f);
    }
  }
  // The AI stages upstream of each stage, in topological order (so needs come first).
  const auto needs = pipeline::need_indices(p);
  std::vector<std::set<int>> upstream_ai(n);
  for (int i : pipeline::topological_order(p)) {
    auto& up = upstream_ai[static_cast<size_t>(i)];
    for (int d : needs[static_cast<size_t>(i)]) {
      up.insert(upstream_ai[static_cast<size_t>(d)].begin(),
                upstream_ai[static_cast<size_t>(d)].end());
      if (is_ai[static_cast<size_t>(d)]) up.insert(d);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    Gate g;
    g.stage = static_cast<int>(i);
    std::vector<std::string> whys;
    for (int a : upstream_ai[i]) {
      const auto& crit = critical[static_cast<size_t>(a)];
      const std::string& ai = p.stages[static_cast<size_t>(a)].name;
      if (!crit.empty()) {
        g.sources.push_back({a, crit});
        whys.push_back(fmt::format("reads AI stage {}, which writes critical path {}", quote(ai),
                                   base::join(crit, ", ")));
      } else if (p.stages[i].protected_stage) {
        g.sources.push_back({a, writes[static_cast<size_t>(a)]});
        whys.push_back(fmt::format("protected: true, downstream of AI stage {}", quote(ai)));
      }
    }
    if (g.sources.empty()) continue;
    g.why = base::join(whys, "; ");
    plan.gates[i] = std::move(g);
  }
  return plan;
}

namespace {

using store::ReviewEventKind;

// The decision the events of one content hash make.
GateDecision decide(const std::string& hash, const std::vector<store::ReviewEvent>& events,
                    const pipeline::ReviewSpec& spec, const std::vector<std::string>& env,
                    const fs::path& workspace) {
  GateDecision d;
  d.hash = hash;
  std::set<std::string> approvers;
  std::vector<std::string> bad_signatures;
  for (const auto& e : events) {
    if (e.kind == ReviewEventKind::rejected || e.kind == ReviewEventKind::timed_out) {
      d.kind = GateDecision::Kind::rejected;
      d.text = e.kind == ReviewEventKind::timed_out
                   ? fmt::format(
                         "the wait for an approval of content {} timed out ({}); a timeout is a "
                         "rejection, "
                         "which holds until the content changes",
                         hash.substr(0, 16), e.message)
                   : fmt::format(
                         "content {} was rejected by {}: {} (a rejection holds until the content "
                         "changes)",
                         hash.substr(0, 16), e.actor, e.message);
      return d;
    }
    if (e.kind != ReviewEventKind::approved) continue;
    if (!spec.allowed_signers.empty()) {
      auto ok = review::ssh_verify((workspace / spec.allowed_signers).string(), e.actor,
                                   review::approval_payload(e.stage, e.hash, e.actor, "approve"),
                                   e.signature, env);
      if (!ok) {
        bad_signatures.push_back(ok.error().message);
        continue;
      }
    }
    approvers.insert(e.actor);
  }
  if (static_cast<int>(approvers.size()) >= spec.min_approvals) {
    d.kind = GateDecision::Kind::approved;
    std::vector<std::string> names(approvers.begin(), approvers.end());
    d.text = fmt::format("content {} approved by {}", hash.substr(0, 16), base::join(names, ", "));
    return d;
  }
  d.text = fmt::format("{} approval{}, {} needed", approvers.size(),
                       approvers.size() == 1 ? "" : "s", spec.min_approvals);
  if (!bad_signatures.empty())
    d.text += fmt::format("; ignored: {}", base::join(bad_signatures, "; "));
  return d;
}

// Decisions count only from an intact event chain: an approval written into the database by
// hand (or a rejection deleted) must not open a gate.
Expected<void> check_chain(store::ReviewStore& rs) {
  auto all = rs.events("");
  SLUICE_TRY(all);
  auto head = rs.chain_head();
  SLUICE_TRY(head);
  auto problems = store::verify_chain(*all, *head);
  if (problems.empty()) return {};
  return make_error(
      ErrorCode::integrity,
      fmt::format("the review event chain is broken (review_events row {}: {}); no decision counts "
                  "until it is repaired: see `sluice approvals --verify`",
                  problems.front().id, problems.front().what));
}

}  // namespace

Expected<GateDecision> GateKeeper::open(int stage, store::ReviewStore& rs, int64_t now_ms) {
  const Gate* gate = m_plan.gate(stage);
  if (gate == nullptr) return GateDecision{GateDecision::Kind::approved, "", "no gate"};
  review::Manifest m;
  m.pipeline_hash = m_plan.pipeline_hash;
  nlohmann::json files = nlohmann::json::array();
  for (const auto& src : gate->sources) {
    review::ManifestStage ms;
    ms.name = m_pipeline.stages[static_cast<size_t>(src.ai_stage)].name;
    for (const auto& path : src.files) {
      std::string content;
      auto entry = review::read_entry(m_setup.workspace, path, &content);
      if (!entry) return tl::unexpected(entry.error());
      if (!entry->deleted()) SLUICE_TRY(rs.put_blob(entry->sha256, content));
      files.push_back({{"ai_stage", ms.name},
                       {"path", path},
                       {"mode", entry->mode},
                       {"sha256", entry->sha256}});
      ms.files.push_back(std::move(*entry));
    }
    m.stages.push_back(std::move(ms));
  }
  const std::string text = review::canonical_text(m);
  const std::string hash = base::sha256_hex(text);
  const std::string& name = m_pipeline.stages[static_cast<size_t>(stage)].name;
  SLUICE_TRY(check_chain(rs));
  auto events = rs.decisions(hash);
  SLUICE_TRY(events);
  GateDecision d = decide(hash, *events, *m_setup.spec, m_setup.env, m_setup.workspace);

  store::ReviewRequest req;
  req.run_id = m_setup.run_id;
  req.stage = name;
  req.hash = hash;
  req.manifest = text;
  req.files_json = files.dump();
  req.why = gate->why;
  req.requested_by = m_setup.actor;
  req.state = d.kind == GateDecision::Kind::approved   ? store::ReviewState::approved
              : d.kind == GateDecision::Kind::rejected ? store::ReviewState::rejected
                                                       : store::ReviewState::pending;
  req.created_ms = now_ms;
  SLUICE_TRY(rs.put_request(req));
  if (d.kind == GateDecision::Kind::pending) {
    store::ReviewEvent e;
    e.at_ms = now_ms;
    e.kind = ReviewEventKind::requested;
    e.run_id = m_setup.run_id;
    e.stage = name;
    e.hash = hash;
    e.actor = m_setup.actor;
    e.message = gate->why;
    SLUICE_TRY(rs.append_event(std::move(e)));
    // What changed since the last approval of this gate: the old approval does not carry over.
    auto before = rs.last_approved_other(name, hash);
    SLUICE_TRY(before);
    if (*before) {
      d.text += fmt::format(
          "; outdated: the approval of content {} (run {}) does not cover the new content",
          (*before)->hash.substr(0, 16), (*before)->run_id);
    }
  }
  return d;
}

Expected<GateDecision> GateKeeper::recheck(const std::string& hash, store::ReviewStore& rs) {
  SLUICE_TRY(check_chain(rs));
  auto events = rs.decisions(hash);
  SLUICE_TRY(events);
  return decide(hash, *events, *m_setup.spec, m_setup.env, m_setup.workspace);
}

Expected<void> GateKeeper::time_out(int stage, const std::string& hash, store::ReviewStore& rs,
                                    int64_t now_ms) {
  store::ReviewEvent e;
  e.at_ms = now_ms;
  e.kind = ReviewEventKind::timed_out;
  e.run_id = m_setup.run_id;
  e.stage = m_pipeline.stages[static_cast<size_t>(stage)].name;
  e.hash = hash;
  e.actor = m_setup.actor;
  e.message =
      fmt::format("wait_timeout {} passed", base::format_duration(m_setup.spec->wait_timeout));
  SLUICE_TRY(rs.append_event(std::move(e)));
  return rs.set_state(hash, store::ReviewState::rejected);
}

}  // namespace sluice::engine
