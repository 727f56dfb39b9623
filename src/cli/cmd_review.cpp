// sluice review | approve | reject | approvals: review gates on AI output (docs/review.md).
#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/files.h"
#include "base/process.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/review_cli.h"
#include "cli/shared_state.h"
#include "cli/terminal.h"
#include "pipeline/loader.h"
#include "review/signing.h"
#include "store/pg_review_store.h"
#include "store/review_store.h"
#include "store/state_layout.h"
#include "store/state_store.h"

extern char** environ;

namespace sluice::cli {
namespace fs = std::filesystem;
using base::quote;

namespace {

std::vector<std::string> current_env() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

// Runs argv (5 s at most); its merged output when it exits 0.
std::optional<std::string> capture(const std::vector<std::string>& argv) {
  base::SpawnOptions opts;
  opts.argv = argv;
  opts.env = current_env();
  auto r = base::run_captured(opts, std::chrono::seconds(5));
  if (!r || r->code != 0) return std::nullopt;
  return std::move(r->output);
}

}  // namespace

std::string resolve_actor(const fs::path& workspace) {
  if (auto a = env_or("SLUICE_ACTOR"); !a.empty()) return a;
  if (auto email = capture({"git", "-C", workspace.string(), "config", "user.email"})) {
    auto t = std::string(base::trim(*email));
    if (!t.empty()) return t;
  }
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_name) return pw->pw_name;
  return env_or("USER", "unknown");
}

pipeline::OnPending resolve_on_pending(const pipeline::ReviewSpec& spec) {
  if (spec.on_pending) return *spec.on_pending;
  const bool ci = env_or("CI") == "true" || env_or("CI") == "1";
  return ci || !::isatty(STDIN_FILENO) || !::isatty(STDOUT_FILENO) ? pipeline::OnPending::fail
                                                                   : pipeline::OnPending::wait;
}

std::optional<engine::ReviewPlan> plan_review_or_report(const pipeline::Pipeline& p,
                                                        const engine::LlmSections& llm,
                                                        const fs::path& workspace) {
  base::Diagnostics diags;
  auto plan = engine::plan_review(p, llm, workspace, diags);
  if (diags.empty()) return plan;
  for (const auto& d : diags) std::fprintf(stderr, "%s\n", d.to_string().c_str());
  std::fprintf(stderr, "sluice: %zu error%s in the review section of %s; nothing was run\n",
               diags.size(), diags.size() == 1 ? "" : "s", p.file.c_str());
  return std::nullopt;
}

std::unique_ptr<store::ReviewStore> open_review_store(const std::string& state_url, store::Database* local,
                                                      std::FILE* err) {
  if (state_url.empty()) return local != nullptr ? std::make_unique<store::SqliteReviewStore>(*local) : nullptr;
  auto pg = store::PgReviewStore::connect(state_url);
  if (!pg) {
    std::fprintf(err, "sluice: review gates: %s\n", pg.error().message.c_str());
    return nullptr;
  }
  return std::move(*pg);
}

void print_awaiting(store::ReviewStore& rs, const std::string& run_id, std::FILE* out) {
  auto reqs = rs.requests(run_id);
  if (!reqs) return;
  std::set<std::string> shown;
  for (auto it = reqs->rbegin(); it != reqs->rend(); ++it) {
    if (it->state != store::ReviewState::pending) continue;
    // One approval covers every gate over the same content: one command per hash.
    if (!shown.insert(it->hash).second) continue;
    std::fprintf(out,
                 "sluice: %s awaits approval of content %s (%s)\n  review:  sluice review %s %s\n  "
                 "approve: %s\n",
                 it->stage.c_str(), it->hash.substr(0, 16).c_str(), it->why.c_str(), run_id.c_str(),
                 it->stage.c_str(), engine::approve_command(run_id, it->stage, it->hash).c_str());
  }
}

namespace {

struct ReviewCtx {
  pipeline::Pipeline pipeline;
  std::shared_ptr<engine::LlmSections> llm;
  engine::ReviewPlan plan;
  fs::path workspace;
  std::unique_ptr<store::StateStore> store;
  bool shared = false;  // the review record is the shared PostgreSQL one
  std::unique_ptr<store::ReviewStore> reviews;
};

// The state backend (--state, SLUICE_STATE_URL, `state:`): its run history in `c.store` (with
// PostgreSQL, every runner's runs) and the review record in it; false after saying why.
bool open_state_and_reviews(ReviewCtx& c, const std::string& state_flag) {
  auto url = resolve_shared_state(c.pipeline, state_flag, stderr);
  if (!url) return false;
  c.shared = !url->empty();
  c.store = open_state_or_report(store::StateLayout::of_workspace(c.workspace).dir(), *url, stderr);
  if (!c.store) return false;
  c.reviews = open_review_store(*url, &c.store->db(), stderr);
  return c.reviews != nullptr;
}

// Loads the pipeline (for the review section, the gates and `state:`) and opens the state
// database and the review record; nullopt after saying why (exit 2).
std::optional<ReviewCtx> open_review(const std::string& file, const std::string& state_flag) {
  auto r = pipeline::load_pipeline(file);
  ReviewCtx c;
  c.llm =
      std::make_shared<engine::LlmSections>(engine::parse_llm_sections(r.pipeline, r.diagnostics));
  if (!r.ok()) {
    for (const auto& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.to_string().c_str());
    std::fprintf(stderr, "sluice: %zu error%s in %s\n", r.diagnostics.size(),
                 r.diagnostics.size() == 1 ? "" : "s", file.c_str());
    return std::nullopt;
  }
  std::error_code ec;
  c.workspace = fs::absolute(file, ec).parent_path();
  auto plan = plan_review_or_report(r.pipeline, *c.llm, c.workspace);
  if (!plan) return std::nullopt;
  c.plan = std::move(*plan);
  c.pipeline = std::move(r.pipeline);
  if (!open_state_and_reviews(c, state_flag)) return std::nullopt;
  return c;
}

// The id of the run `selector` names: a run of this workspace (number, id prefix, `last`), or,
// with the shared review record, a run of another runner whose gates are recorded there (by id
// or id prefix; `last`: the newest such run when this workspace has none).
std::optional<std::string> find_run_or_report(ReviewCtx& c, const std::string& selector) {
  auto run = c.store->find_run(selector);
  if (!run) {
    std::fprintf(stderr, "sluice: %s\n", run.error().message.c_str());
    return std::nullopt;
  }
  if (*run) return (*run)->id;
  if (c.shared) {
    auto reqs = c.reviews->requests("");
    if (!reqs) {
      std::fprintf(stderr, "sluice: %s\n", reqs.error().message.c_str());
      return std::nullopt;
    }
    std::set<std::string> ids;
    const bool newest = selector.empty() || selector == "last";
    for (const auto& r : *reqs) {  // newest first
      if (newest) return r.run_id;
      if (r.run_id.rfind(selector, 0) == 0) ids.insert(r.run_id);
    }
    if (ids.size() == 1) return *ids.begin();
    if (ids.size() > 1) {
      std::fprintf(stderr, "sluice: run selector %s is ambiguous in %s\n", quote(selector).c_str(),
                   c.reviews->where().c_str());
      return std::nullopt;
    }
    std::fprintf(stderr, "sluice: no run %s in this workspace (see `sluice runs`) nor among the gates in %s\n",
                 quote(selector).c_str(), c.reviews->where().c_str());
    return std::nullopt;
  }
  std::fprintf(stderr, "sluice: no run %s (see `sluice runs`)\n", quote(selector).c_str());
  return std::nullopt;
}

std::string when(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// A unified diff of two texts by `diff -u` (diffutils is part of every Debian system).
std::string unified_diff(const std::string& label_old, const std::string& old_text,
                         const std::string& label_new, const std::string& new_text) {
  base::TempDir dir("sluice-review");
  if (!base::atomic_write(dir.path() / "old", old_text) ||
      !base::atomic_write(dir.path() / "new", new_text))
    return "";
  base::SpawnOptions opts;
  opts.argv = {"diff",
               "-u",
               "--label",
               label_old,
               "--label",
               label_new,
               (dir.path() / "old").string(),
               (dir.path() / "new").string()};
  opts.env = current_env();
  // diff exits 1 when the files differ: its output is the answer either way.
  auto r = base::run_captured(opts, std::chrono::seconds(10));
  if (!r) return "  (cannot run diff: " + r.error().message + ")\n";
  return std::move(r->output);
}

struct ReviewArgs {
  std::string file = "sluice.yml";
  std::string state;
  std::string run;
  std::string stage;
};

int do_review(const ReviewArgs& a) {
  auto c = open_review(a.file, a.state);
  if (!c) return k_exit_usage;
  std::string run_id;
  if (!a.run.empty()) {
    auto run = find_run_or_report(*c, a.run);
    if (!run) return k_exit_usage;
    run_id = *run;
  }
  if (!a.stage.empty() && c->pipeline.index_of(a.stage) < 0) {
    std::fprintf(stderr, "sluice: no stage named %s in %s\n", quote(a.stage).c_str(),
                 a.file.c_str());
    return k_exit_usage;
  }
  store::ReviewStore& rs = *c->reviews;
  auto reqs = rs.requests(run_id);
  if (!reqs) {
    std::fprintf(stderr, "sluice: %s\n", reqs.error().message.c_str());
    return k_exit_usage;
  }
  int shown = 0;
  for (const auto& r : *reqs) {
    if (!a.stage.empty() && r.stage != a.stage) continue;
    if (run_id.empty() && r.state != store::ReviewState::pending) continue;  // no RUN: what awaits
    ++shown;
    std::printf("run %s, gate of %s: %s\n  content %s\n  why: %s\n  run started by %s\n",
                r.run_id.c_str(), r.stage.c_str(), std::string(store::to_string(r.state)).c_str(),
                r.hash.c_str(), r.why.c_str(), r.requested_by.c_str());
    auto files = nlohmann::json::parse(r.files_json, nullptr, false);
    auto before = rs.last_approved_other(r.stage, r.hash);
    std::map<std::string, std::string> old_sha;
    if (before && *before) {
      std::printf("  compared with the last approved content %s (run %s)\n",
                  (*before)->hash.substr(0, 16).c_str(), (*before)->run_id.c_str());
      auto old_files = nlohmann::json::parse((*before)->files_json, nullptr, false);
      if (old_files.is_array()) {
        for (const auto& f : old_files) old_sha[f.value("path", "")] = f.value("sha256", "");
      }
    } else {
      std::printf("  no earlier approved content for this gate: every line is new\n");
    }
    if (!files.is_array()) continue;
    for (const auto& f : files) {
      const std::string path = f.value("path", "");
      const std::string sha = f.value("sha256", "");
      std::printf("  file %s %s %s (written by %s)\n", f.value("mode", "").c_str(),
                  sha.substr(0, 16).c_str(), path.c_str(), f.value("ai_stage", "").c_str());
      auto it = old_sha.find(path);
      if (it != old_sha.end() && it->second == sha) {
        std::printf("    unchanged since the approved content\n");
        continue;
      }
      std::string old_text, new_text;
      if (it != old_sha.end()) {
        if (auto b = rs.blob(it->second); b && *b) old_text = **b;
      }
      if (auto b = rs.blob(sha); b && *b) new_text = **b;
      std::string d = unified_diff("approved/" + path, old_text, "new/" + path, new_text);
      std::fputs(d.c_str(), stdout);
      if (!d.empty() && d.back() != '\n') std::fputc('\n', stdout);
    }
    if (r.state == store::ReviewState::pending) {
      std::printf("  approve: %s\n", engine::approve_command(r.run_id, r.stage, r.hash).c_str());
      std::printf("  reject:  sluice reject %s %s --hash %s -m \"why\"\n", r.run_id.c_str(),
                  r.stage.c_str(), r.hash.substr(0, 16).c_str());
    }
    std::printf("\n");
  }
  if (shown == 0)
    std::printf("no review gate awaits approval%s\n", run_id.empty() ? "" : " in this run");
  return k_exit_ok;
}

struct DecideArgs {
  std::string file = "sluice.yml";
  std::string state;
  std::string run;
  std::string stage;
  std::string hash;
  std::string message;
  std::string sign_key;
  bool has_message = false;
};

int do_decide(const DecideArgs& a, store::ReviewEventKind kind) {
  const char* verb = kind == store::ReviewEventKind::approved ? "approve" : "reject";
  auto c = open_review(a.file, a.state);
  if (!c) return k_exit_usage;
  const int si = c->pipeline.index_of(a.stage);
  if (si < 0) {
    std::fprintf(stderr, "sluice: %s: no stage named %s in %s\n", verb, quote(a.stage).c_str(),
                 a.file.c_str());
    return k_exit_usage;
  }
  if (c->plan.gate(si) == nullptr) {
    std::fprintf(stderr,
                 "sluice: %s: stage %s has no review gate: it reads no AI output on a critical "
                 "path and is not a "
                 "protected stage downstream of an AI stage (docs/review.md)\n",
                 verb, quote(a.stage).c_str());
    return k_exit_usage;
  }
  auto found = find_run_or_report(*c, a.run);
  if (!found) return k_exit_usage;
  const std::string& run_id = *found;
  store::ReviewStore& rs = *c->reviews;
  auto req = rs.request(run_id, a.stage);
  if (!req) {
    std::fprintf(stderr, "sluice: %s\n", req.error().message.c_str());
    return k_exit_usage;
  }
  if (!*req) {
    std::fprintf(
        stderr,
        "sluice: %s: run %s never reached the gate of %s (its needs did not all succeed), so "
        "there is no content to %s\n",
        verb, run_id.c_str(), quote(a.stage).c_str(), verb);
    return k_exit_usage;
  }
  const auto& r = **req;
  std::string hash = a.hash;
  std::transform(hash.begin(), hash.end(), hash.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (hash.size() < 6 || hash.find_first_not_of("0123456789abcdef") != std::string::npos ||
      r.hash.rfind(hash, 0) != 0) {
    std::fprintf(stderr,
                 "sluice: %s: --hash %s does not match the content of %s in run %s (content %s); "
                 "you %s what you "
                 "reviewed: see `sluice review %s %s`\n",
                 verb, quote(a.hash).c_str(), a.stage.c_str(), run_id.c_str(),
                 r.hash.substr(0, 16).c_str(), verb, run_id.c_str(), a.stage.c_str());
    return k_exit_usage;
  }
  if (r.state == store::ReviewState::outdated) {
    std::fprintf(
        stderr,
        "sluice: %s: content %s of %s in run %s is outdated: a later run produced other content; "
        "review that one (`sluice review`)\n",
        verb, r.hash.substr(0, 16).c_str(), a.stage.c_str(), run_id.c_str());
    return k_exit_usage;
  }
  auto decided = rs.decisions(r.hash);
  if (!decided) {
    std::fprintf(stderr, "sluice: %s\n", decided.error().message.c_str());
    return k_exit_usage;
  }
  for (const auto& e : *decided) {
    if (e.kind != store::ReviewEventKind::approved) {
      std::fprintf(
          stderr,
          "sluice: %s: content %s was rejected by %s (%s); a rejection holds until the content "
          "changes\n",
          verb, r.hash.substr(0, 16).c_str(), e.actor.c_str(), e.message.c_str());
      return k_exit_usage;
    }
  }
  const std::string actor = resolve_actor(c->workspace);
  const auto& spec = c->pipeline.review;
  if (kind == store::ReviewEventKind::approved && spec.prevent_self_approval &&
      actor == r.requested_by) {
    std::fprintf(
        stderr,
        "sluice: approve: refused: %s started run %s, and review.prevent_self_approval forbids "
        "approving your own run; someone else must approve it\n",
        actor.c_str(), run_id.c_str());
    return k_exit_usage;
  }
  const std::string decision = kind == store::ReviewEventKind::approved ? "approve" : "reject";
  const std::string payload = review::approval_payload(a.stage, r.hash, actor, decision);
  std::string signature;
  if (!a.sign_key.empty()) {
    auto s = review::ssh_sign(a.sign_key, payload, current_env());
    if (!s) {
      std::fprintf(stderr, "sluice: %s: %s\n", verb, s.error().message.c_str());
      return k_exit_usage;
    }
    signature = std::move(*s);
  }
  if (!spec.allowed_signers.empty() && kind == store::ReviewEventKind::approved) {
    if (signature.empty()) {
      std::fprintf(
          stderr,
          "sluice: approve: review.allowed_signers makes signatures mandatory: add --sign KEY "
          "(an SSH private key whose public key is listed for %s in %s)\n",
          actor.c_str(), spec.allowed_signers.c_str());
      return k_exit_usage;
    }
    auto ok = review::ssh_verify((c->workspace / spec.allowed_signers).string(), actor, payload,
                                 signature, current_env());
    if (!ok) {
      std::fprintf(stderr, "sluice: approve: %s\n", ok.error().message.c_str());
      return k_exit_usage;
    }
  }
  store::ReviewEvent e;
  e.at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  e.kind = kind;
  e.run_id = run_id;
  e.stage = a.stage;
  e.hash = r.hash;
  e.actor = actor;
  e.message = a.message;
  e.signature = signature;
  auto appended = rs.append_event(std::move(e));
  if (!appended) {
    std::fprintf(stderr, "sluice: %s\n", appended.error().message.c_str());
    return k_exit_failed;
  }
  if (kind == store::ReviewEventKind::rejected) {
    (void)rs.set_state(r.hash, store::ReviewState::rejected);
    std::printf(
        "rejected content %s of %s (run %s) as %s; it stays rejected until the content changes\n",
        r.hash.substr(0, 16).c_str(), a.stage.c_str(), run_id.c_str(), actor.c_str());
    return k_exit_ok;
  }
  std::set<std::string> approvers;
  if (auto all = rs.decisions(r.hash)) {
    for (const auto& d : *all) approvers.insert(d.actor);
  }
  const bool enough = static_cast<int>(approvers.size()) >= spec.min_approvals;
  if (enough) (void)rs.set_state(r.hash, store::ReviewState::approved);
  std::printf(
      "approved content %s of %s (run %s) as %s%s; %zu approval%s, %d needed%s\n",
      r.hash.substr(0, 16).c_str(), a.stage.c_str(), run_id.c_str(), actor.c_str(),
      signature.empty() ? "" : " (signed)", approvers.size(), approvers.size() == 1 ? "" : "s",
      spec.min_approvals,
      enough ? ": the next `sluice run` passes this gate (a run waiting on it goes on now)" : "");
  return k_exit_ok;
}

struct ApprovalsArgs {
  std::string file = "sluice.yml";
  std::string state;
  std::string run;
  bool json = false;
  bool verify = false;
};

int do_approvals(const ApprovalsArgs& a) {
  ReviewCtx c;
  std::error_code ec;
  c.workspace = fs::absolute(a.file, ec).parent_path();
  // The pipeline only for `state:`; the log itself needs no valid pipeline (nor one at all).
  if (fs::exists(a.file, ec)) {
    auto r = pipeline::load_pipeline(a.file);
    if (!r.ok()) {
      for (const auto& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.to_string().c_str());
      std::fprintf(stderr, "sluice: %zu error%s in %s\n", r.diagnostics.size(),
                   r.diagnostics.size() == 1 ? "" : "s", a.file.c_str());
      return k_exit_usage;
    }
    c.pipeline = std::move(r.pipeline);
  }
  if (!open_state_and_reviews(c, a.state)) return k_exit_usage;
  std::string run_id;
  if (!a.run.empty()) {
    auto run = find_run_or_report(c, a.run);
    if (!run) return k_exit_usage;
    run_id = *run;
  }
  store::ReviewStore& rs = *c.reviews;
  if (a.verify) {
    auto all = rs.events("");
    auto head = rs.chain_head();
    if (!all || !head) {
      std::fprintf(stderr, "sluice: %s\n", (!all ? all.error() : head.error()).message.c_str());
      return k_exit_usage;
    }
    auto problems = store::verify_chain(*all, *head);
    if (problems.empty()) {
      std::printf("review event chain intact: %zu event%s, head %s\n", all->size(),
                  all->size() == 1 ? "" : "s",
                  *head ? (*head)->second.substr(0, 16).c_str() : "(empty)");
      return k_exit_ok;
    }
    for (const auto& p : problems)
      std::printf("review_events row %lld: %s\n", static_cast<long long>(p.id), p.what.c_str());
    std::printf(
        "review event chain BROKEN: %zu problem%s; the approval record was edited or rows were "
        "deleted\n",
        problems.size(), problems.size() == 1 ? "" : "s");
    return k_exit_failed;
  }
  auto events = rs.events(run_id);
  if (!events) {
    std::fprintf(stderr, "sluice: %s\n", events.error().message.c_str());
    return k_exit_usage;
  }
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : *events) {
      out.push_back({{"id", e.id},
                     {"at_ms", e.at_ms},
                     {"kind", std::string(store::to_string(e.kind))},
                     {"run_id", e.run_id},
                     {"stage", e.stage},
                     {"hash", e.hash},
                     {"actor", e.actor},
                     {"message", e.message},
                     {"signed", !e.signature.empty()},
                     {"prev_hash", e.prev_hash},
                     {"row_hash", e.row_hash}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return k_exit_ok;
  }
  if (events->empty()) {
    std::printf("no review events%s\n", run_id.empty() ? "" : " for this run");
    return k_exit_ok;
  }
  for (const auto& e : *events) {
    std::printf("%4lld  %s  %-9s  run %s  %s  %s  %s%s%s\n", static_cast<long long>(e.id),
                when(e.at_ms).c_str(), std::string(store::to_string(e.kind)).c_str(),
                e.run_id.c_str(), e.stage.c_str(), e.hash.substr(0, 16).c_str(), e.actor.c_str(),
                e.signature.empty() ? "" : " (signed)",
                e.message.empty() || e.kind == store::ReviewEventKind::requested
                    ? ""
                    : (": " + e.message).c_str());
  }
  return k_exit_ok;
}

}  // namespace

void add_review_commands(CLI::App& app, Context& ctx) {
  static constexpr const char* k_state_help =
      "Where approvals are recorded: sqlite or postgres://... (shared by every runner; default: "
      "$SLUICE_STATE_URL, then the pipeline's state:)";
  auto ra = std::make_shared<ReviewArgs>();
  auto* review = app.add_subcommand(
      "review",
      "Show gates awaiting approval: files, diff against the last approved content, hash");
  review->add_option("-f,--file", ra->file, "Pipeline file")->capture_default_str();
  review->add_option("--state", ra->state, k_state_help);
  review->add_option("run", ra->run,
                     "Run number, id (prefix) or 'last'; none: every gate that awaits approval");
  review->add_option("stage", ra->stage, "Only the gate of this stage");
  review->callback([&ctx, ra] { ctx.command = [=] { return do_review(*ra); }; });

  auto add_decide = [&](const char* name, const char* help, store::ReviewEventKind kind) {
    auto da = std::make_shared<DecideArgs>();
    auto* cmd = app.add_subcommand(name, help);
    cmd->add_option("-f,--file", da->file, "Pipeline file")->capture_default_str();
    cmd->add_option("--state", da->state, k_state_help);
    cmd->add_option("run", da->run, "Run number, id (prefix) or 'last'")->required();
    cmd->add_option("stage", da->stage, "The gated stage")->required();
    cmd->add_option("--hash", da->hash, "Prefix (6+ hex digits) of the content hash you reviewed")
        ->required();
    auto* m = cmd->add_option("-m,--message", da->message, "Why (required to reject)");
    if (kind == store::ReviewEventKind::rejected) m->required();
    if (kind == store::ReviewEventKind::approved) {
      cmd->add_option("--sign", da->sign_key,
                      "Sign the approval with this SSH private key (ssh-keygen -Y sign)");
    }
    cmd->callback([&ctx, da, kind] { ctx.command = [=] { return do_decide(*da, kind); }; });
  };
  add_decide("approve", "Approve the content a gate holds (bound to its hash)",
             store::ReviewEventKind::approved);
  add_decide("reject",
             "Reject the content a gate holds; the rejection sticks until the content changes",
             store::ReviewEventKind::rejected);

  auto aa = std::make_shared<ApprovalsArgs>();
  auto* approvals = app.add_subcommand(
      "approvals", "The append-only review event log; --verify checks its hash chain");
  approvals->add_option("-f,--file", aa->file, "Pipeline file")->capture_default_str();
  approvals->add_option("--state", aa->state, k_state_help);
  approvals->add_option("--run", aa->run, "Only the events of this run");
  approvals->add_flag("--json", aa->json, "JSON output");
  approvals->add_flag("--verify", aa->verify,
                      "Verify the hash chain (exit 1 when a row was edited or deleted)");
  approvals->callback([&ctx, aa] { ctx.command = [=] { return do_approvals(*aa); }; });
}

}  // namespace sluice::cli
