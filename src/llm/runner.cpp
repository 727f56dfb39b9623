#include "llm/runner.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/beneath.h"
#include "base/files.h"
#include "base/hash.h"
#include "base/strings.h"
#include "llm/budget.h"
#include "llm/budget_pg.h"
#include "llm/prices.h"
#include "llm/provider.h"
#include "llm/response_cache.h"
#include "llm/response_cache_pg.h"
#include "llm/schema.h"
#include "store/database.h"

namespace sluice::llm {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(const base::Clock& clock, Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(clock.now() - start).count();
}

nlohmann::json phases_json(const LlmPhases& p) {
  return {{"render", p.render_ms},   {"redact", p.redact_ms},         {"tokenize", p.tokenize_ms},
          {"cache", p.cache_ms},     {"budget", p.budget_ms},         {"queue", p.queue_ms},
          {"ttft", p.ttft_ms},       {"generation", p.generation_ms}, {"post_process", p.post_process_ms}};
}

Expected<std::unique_ptr<LlmProvider>> make_provider(const ProviderConfig& p, LlmStageContext& ctx) {
  if (p.kind == ProviderKind::replay) {
    auto dir = resolve_in_workspace(ctx.workspace, p.cassettes, "cassettes");
    if (!dir) return tl::unexpected(dir.error());
    return make_replay_provider(*dir);
  }
  std::string key;
  if (!p.api_key_env.empty()) {
    auto v = ctx.env ? ctx.env(p.api_key_env) : std::nullopt;
    if (!v || v->empty())
      return make_error(ErrorCode::invalid_input,
                        fmt::format("environment variable {} (api_key_env of provider \"{}\") is not set",
                                    p.api_key_env, p.name));
    key = std::move(*v);
  }
  std::unique_ptr<LlmProvider> provider = p.kind == ProviderKind::openai
                                              ? make_openai_provider(p.base_url, std::move(key), *ctx.clock)
                                              : make_anthropic_provider(p.base_url, std::move(key), *ctx.clock);
  if (ctx.record_dir) provider = make_recording_provider(std::move(provider), *ctx.record_dir, *ctx.clock, ctx.redactor);
  return provider;
}

// The remote key of a response-cache entry (the Bazel cache's /ac/ namespace is shared with
// step-cache entries and other tools: the prefix keeps them apart).
std::string shared_response_key(const std::string& cache_key) {
  base::Sha256 h;
  h.update_field("sluice-llm-response-v1");
  h.update_field(cache_key);
  return h.hex_digest();
}

std::optional<CachedResponse> fetch_shared_response(store::RemoteCache& remote, const std::string& cache_key) {
  auto got = remote.get_action(shared_response_key(cache_key));
  if (got.got != store::RemoteCache::Got::hit) return std::nullopt;
  auto j = nlohmann::json::parse(got.data, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("sluice") || j["sluice"] != "llm-response-v1" || !j.contains("text") ||
      !j["text"].is_string())
    return std::nullopt;
  CachedResponse c;
  try {  // written elsewhere: a field of the wrong type is a miss, not a crash
    c.text = j["text"].get<std::string>();
    c.model = j.value("model", "");
    c.finish_reason = j.value("finish_reason", "");
    c.tokens_in = j.value("tokens_in", int64_t{0});
    c.tokens_out = j.value("tokens_out", int64_t{0});
    c.cost_usd = j.value("cost_usd", 0.0);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return c;
}

void share_response(store::RemoteCache& remote, const std::string& cache_key, const CachedResponse& c) {
  if (!remote.writable()) return;
  nlohmann::json j{{"sluice", "llm-response-v1"}, {"text", c.text},         {"model", c.model},
                   {"finish_reason", c.finish_reason}, {"tokens_in", c.tokens_in}, {"tokens_out", c.tokens_out},
                   {"cost_usd", c.cost_usd}};
  remote.put_action(shared_response_key(cache_key), j.dump());
}

// Records the call in llm_calls; a failure to record does not fail the stage.
void record_call(store::Database& db, const LlmStageContext& ctx, const LlmStageResult& r, const std::string& error) {
  auto q = db.prepare(
      "INSERT INTO llm_calls (run_id, stage, provider, provider_kind, model, status, error, cache_hit, tokens_in, "
      "tokens_out, cost_usd, retries, tokenizer, tokenizer_exact, phases, created_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!q) return;
  // The model actually served: what the next run compares with (previous_model_served).
  q->bind(1, ctx.run_id).bind(2, ctx.stage).bind(3, r.provider).bind(4, r.provider_kind)
      .bind(5, r.model_served.empty() ? r.model : r.model_served)
      .bind(6, error.empty() ? "ok" : "failed");
  // A provider's error body may quote the request's API key back.
  if (error.empty()) q->bind_null(7);
  else q->bind(7, ctx.redactor->redact(error));
  q->bind(8, r.cache_hit ? 1 : 0).bind(9, r.tokens_in).bind(10, r.tokens_out).bind(11, r.cost_usd).bind(12, r.retries)
      .bind(13, r.tokenizer).bind(14, r.tokenizer_exact ? 1 : 0)
      .bind(15, phases_json(r.phases).dump()).bind(16, ctx.clock->wall_ms());
  (void)q->run();
}

// The model served at this stage's last real call in an earlier run, if any.
std::optional<std::string> previous_model_served(store::Database& db, const LlmStageContext& ctx) {
  auto q = db.prepare(
      "SELECT model FROM llm_calls WHERE stage = ? AND run_id != ? AND status = 'ok' AND cache_hit = 0 "
      "ORDER BY id DESC LIMIT 1");
  if (!q) return std::nullopt;
  q->bind(1, ctx.stage).bind(2, ctx.run_id);
  auto row = q->step();
  if (!row || !*row) return std::nullopt;
  return q->column_text(0);
}

std::string redact_reply(const Redactor& redactor, const std::string& reply, LlmStageResult& r) {
  std::string out = redactor.redact(reply);
  if (out != reply) r.reply_redacted = true;
  return out;
}

// Both wire formats' word for "cut at max_tokens".
bool cut_at_max_tokens(std::string_view finish_reason) {
  return finish_reason == "length" || finish_reason == "max_tokens";
}

}  // namespace

std::string LlmStageResult::to_json(const BudgetConfig* limits) const {
  nlohmann::json j = {{"provider", provider},
                      {"provider_kind", provider_kind},
                      {"provider_used", provider_used.empty() ? provider : provider_used},
                      {"model", model},
                      {"model_served", model_served},
                      {"tokens_in", tokens_in},
                      {"tokens_out", tokens_out},
                      {"tokens_cached_in", tokens_cached_in},
                      {"tokens_cache_write", tokens_cache_write},
                      {"usage_from_provider", usage_from_provider},
                      {"cost_usd", priced ? nlohmann::json(cost_usd) : nlohmann::json(nullptr)},
                      {"priced", priced},
                      {"cache_hit", cache_hit},
                      {"retries", retries},
                      {"attempts", attempts},
                      {"tokenizer", tokenizer},
                      {"tokenizer_exact", tokenizer_exact},
                      {"context_truncated", context_truncated},
                      {"finish_reason", finish_reason},
                      {"truncated", truncated},
                      {"reply_redacted", reply_redacted},
                      {"phases_ms", phases_json(phases)}};
  if (!model_changed_from.empty()) j["model_changed_from"] = model_changed_from;
  j["references_checked"] = references_checked;
  j["schema_sent"] = schema_sent;
  if (verdict) {
    j["verdict"] = to_string(verdict->value);
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& f : verdict->findings)
      findings.push_back({{"path", f.path}, {"line", f.line}, {"severity", f.severity}, {"message", f.message}});
    j["findings"] = std::move(findings);
    j["samples"] = sample_verdicts;
    j["agree"] = agree;
  }
  j["output"] = output_path ? nlohmann::json(*output_path) : nlohmann::json(nullptr);
  if (limits) {
    nlohmann::json b = nlohmann::json::object();
    if (limits->per_run_usd) b["per_run_usd"] = *limits->per_run_usd;
    if (limits->per_day_usd) b["per_day_usd"] = *limits->per_day_usd;
    if (limits->max_calls_per_run) b["max_calls_per_run"] = *limits->max_calls_per_run;
    if (limits->max_tokens_per_run) b["max_tokens_per_run"] = *limits->max_tokens_per_run;
    if (!b.empty()) j["budget"] = std::move(b);
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Expected<LlmStageResult> run_llm_stage(const LlmStageSpec& spec, const LlmConfig& config, LlmStageContext& ctx) {
  if (ctx.counter == nullptr || ctx.redactor == nullptr || ctx.clock == nullptr || ctx.gate == nullptr)
    return make_error(ErrorCode::internal, "run_llm_stage: counter, redactor, clock and gate are required");
  const base::Clock& clock = *ctx.clock;
  // `timeout` bounds the whole stage, not only the transfer: queueing for a slot and every
  // retry count against it.
  const auto deadline = clock.now() + spec.timeout;
  LlmStageResult r;
  r.provider = ctx.provider.empty() ? spec.provider : ctx.provider;
  const ProviderConfig* pc = config.find_provider(r.provider);
  if (pc == nullptr) {
    std::vector<std::string> names;
    for (const auto& p : config.providers) names.push_back(p.name);
    return make_error(ErrorCode::invalid_input, fmt::format("unknown LLM provider {} (known: {})",
                                                            base::quote(r.provider), base::join(names, ", ")));
  }
  r.provider_kind = std::string(to_string(pc->kind));
  r.model = pc->model;
  r.tokenizer = ctx.counter->name();
  r.tokenizer_exact = ctx.counter->exact() && pc->kind != ProviderKind::anthropic;
  const auto price = price_for(*pc, pc->model);
  if (!price && (config.budget.per_run_usd || config.budget.per_day_usd))
    return make_error(ErrorCode::budget,
                      fmt::format("no price known for model {} of provider \"{}\" and a USD budget is set; add "
                                  "price: {{input_per_mtok: ..., output_per_mtok: ...}} to the provider",
                                  pc->model, pc->name));

  // Render.
  auto t = clock.now();
  std::string tmpl = spec.prompt;
  std::string tmpl_name = "prompt";
  if (!spec.prompt_file.empty()) {
    auto path = resolve_in_workspace(ctx.workspace, spec.prompt_file, "prompt_file");
    if (!path) return tl::unexpected(path.error());
    auto text = base::read_file(*path);
    if (!text) return tl::unexpected(text.error());
    tmpl = std::move(*text);
    tmpl_name = spec.prompt_file;
  }
  auto rendered = render_prompt(tmpl, tmpl_name, ctx.workspace, spec.context, ctx.env);
  if (!rendered) return tl::unexpected(rendered.error());
  // The system prompt is a template like the prompt ({{ env.X }}, {{ file "p" }}); the context
  // files belong to the user message only.
  auto rendered_system = render_prompt(spec.system, "system", ctx.workspace, {}, ctx.env);
  if (!rendered_system) return tl::unexpected(rendered_system.error());
  if (rendered_system->context_marker)
    return make_error(ErrorCode::invalid_input,
                      "system: {{ context }} is only allowed in the prompt (the context files go into the user "
                      "message)");
  r.phases.render_ms = ms_since(clock, t);

  // Redact: everything that leaves the machine goes through the redactor.
  t = clock.now();
  std::string system = ctx.redactor->redact(rendered_system->before + rendered_system->after);
  std::string before = ctx.redactor->redact(rendered->before);
  std::string context = ctx.redactor->redact(rendered->context);
  std::string after = ctx.redactor->redact(rendered->after);
  r.phases.redact_ms = ms_since(clock, t);

  // Count, and enforce max_input_tokens.
  t = clock.now();
  const TokenCounter& counter = *ctx.counter;
  size_t fixed = counter.count(system) + counter.count(before) + counter.count(after);
  size_t ctx_tokens = counter.count(context);
  if (spec.max_input_tokens && fixed + ctx_tokens > static_cast<size_t>(*spec.max_input_tokens)) {
    const auto limit = static_cast<size_t>(*spec.max_input_tokens);
    if (!spec.truncate_context || context.empty() || fixed >= limit)
      return make_error(ErrorCode::invalid_input,
                        fmt::format("input is {} tokens ({}: system + prompt {}, context {} from {} file(s)), over "
                                    "max_input_tokens {}{}",
                                    fixed + ctx_tokens, r.tokenizer, fixed, ctx_tokens, rendered->files.size(), limit,
                                    spec.truncate_context || context.empty() ? "" : "; set truncate_context: true to cut the context"));
    const std::string marker = fmt::format("\n[context truncated by sluice to fit max_input_tokens {}]\n", limit);
    size_t marker_tokens = counter.count(marker);
    size_t room = limit - fixed > marker_tokens ? limit - fixed - marker_tokens : 0;
    context.resize(counter.prefix_bytes(context, room));
    context += marker;
    ctx_tokens = counter.count(context);
    r.context_truncated = true;
  }
  auto tokens_in = static_cast<int64_t>(fixed + ctx_tokens);  // of the request as sent (a repair adds)
  r.phases.tokenize_ms = ms_since(clock, t);

  LlmRequest req;
  req.model = pc->model;
  req.system = std::move(system);
  req.prompt = std::move(before);
  req.prompt += context;
  req.prompt += after;
  req.max_output_tokens = spec.max_output_tokens;
  req.temperature = spec.temperature;
  req.top_p = spec.top_p;
  req.stop = spec.stop;
  req.prompt_cache = spec.prompt_cache;
  req.cache_prefix_bytes = req.prompt.size() - after.size();

  std::string schema_text;
  if (spec.output && !spec.output->schema_path.empty()) {
    auto path = resolve_in_workspace(ctx.workspace, spec.output->schema_path, "output.schema");
    if (!path) return tl::unexpected(path.error());
    auto text = base::read_file(*path);
    if (!text) return tl::unexpected(text.error());
    schema_text = std::move(*text);
  } else if (spec.output) {
    schema_text = spec.output->schema_json;
  }
  // Structured output: the schema goes to the provider, and so into the cache and cassette
  // keys; one the strict modes would refuse fails here, before any call.
  if (spec.output && sends_schema(*spec.output)) {
    auto schema = nlohmann::json::parse(schema_text, nullptr, false);
    if (schema.is_discarded())
      return make_error(ErrorCode::invalid_input, fmt::format("output.schema {}: not valid JSON",
                                                              spec.output->schema_path.empty() ? "(inline)" : spec.output->schema_path));
    auto problems = strict_schema_problems(schema);
    if (!problems.empty()) {
      if (problems.size() > 10) problems.resize(10);
      return make_error(ErrorCode::invalid_input,
                        fmt::format("output.schema {}: the providers' strict mode cannot take it: {} (set "
                                    "output.send_schema: false to keep only the local check)",
                                    spec.output->schema_path.empty() ? "(inline)" : spec.output->schema_path,
                                    base::join(problems, "; ")));
    }
    req.schema_json = schema_to_send(schema).dump();
    r.schema_sent = true;
  }
  std::optional<std::filesystem::path> out_path;
  if (spec.output) {
    auto p = resolve_in_workspace(ctx.workspace, spec.output->path, "output.path");
    if (!p) return tl::unexpected(p.error());
    out_path = *p;
  }

  auto db = store::Database::open(ctx.state_db, store::all_migrations());
  if (!db) return tl::unexpected(db.error());
  ResponseCache cache(**db);
  Ledger local_ledger(**db);
  // With a PostgreSQL state the ledger and the response cache are the shared ones there, on one
  // connection (made at the first use: a stage answered from the local cache never connects).
  std::unique_ptr<PgBudgetLedger> shared_ledger;
  std::optional<PgResponseCache> shared_cache;
  if (!ctx.state_url.empty()) {
    shared_ledger = PgBudgetLedger::lazy(ctx.state_url);
    shared_cache.emplace([l = shared_ledger.get()] { return l->conn(); });
  }
  BudgetLedger& ledger = shared_ledger ? *shared_ledger : static_cast<BudgetLedger&>(local_ledger);

  // Guard, check, write and record; shared by hits and calls. A verdict stage's output (if it
  // has one) is written once its samples are combined, by write_output.
  bool guard_failed = false;  // finish()'s error came from the output guard (a repair may help)
  auto write_output = [&](const std::string& text) -> Expected<void> {
    // An unchanged output (a cache hit on a second run) is not rewritten: no fsync, same mtime.
    auto existing = base::read_file(*out_path);
    if (!existing || *existing != text)
      // Resolved again by the kernel at write time: a symlink planted after the check above
      // (or by an earlier stage) cannot send AI output outside the workspace.
      if (auto w = base::write_beneath(ctx.workspace, spec.output->path, text); !w) return tl::unexpected(w.error());
    r.output_path = spec.output->path;
    return {};
  };
  auto finish = [&](const std::string& reply) -> Expected<LlmStageResult> {
    auto pp = clock.now();
    auto refuse = [&](Error e, bool by_guard) -> Expected<LlmStageResult> {
      guard_failed = by_guard;
      r.phases.post_process_ms = ms_since(clock, pp);
      if (r.reply_redacted) e.message += " (the reply quoted a secret, which sluice redacted)";
      record_call(**db, ctx, r, e.message);
      return tl::unexpected(std::move(e));
    };
    std::string text = reply;
    if (spec.verdict) {
      auto v = parse_verdict(reply);
      if (!v) return refuse(v.error(), true);
      text = v->text;
      r.verdict = std::move(*v);
    }
    if (spec.output) {
      auto guarded = guard_output(text, *spec.output, schema_text);
      if (!guarded) return refuse(guarded.error(), true);
      text = std::move(*guarded);
      // After the guard, before the write: a hallucinated import never reaches the workspace.
      if (checks_references(spec) && ctx.references != nullptr) {
        auto found = ctx.references->check(ctx.workspace, spec.output->path, text, spec.references);
        if (!found) return refuse(found.error(), false);
        if (!found->empty())
          return refuse({ErrorCode::invalid_input,
                         fmt::format("the reply names {} unresolved reference{}; nothing was written:\n  {}",
                                     found->size(), found->size() == 1 ? "" : "s", base::join(*found, "\n  "))},
                        false);
        r.references_checked = true;
      } else if (checks_references(spec)) {
        return refuse({ErrorCode::internal, "check_references: true, but no reference checker was given"}, false);
      }
      if (!spec.verdict)
        if (auto w = write_output(text); !w) return tl::unexpected(w.error());
    }
    r.output = std::move(text);
    r.phases.post_process_ms = ms_since(clock, pp);
    record_call(**db, ctx, r, "");
    return r;
  };

  // Samples share everything up to here; each is asked (or answered from the cache) on its own.
  const bool use_cache = spec.cache == CacheMode::on ||
                         (spec.cache == CacheMode::automatic && (spec.temperature == 0 || spec.samples > 1));
  const LlmRequest base_req = req;
  const LlmStageResult base_r = r;
  const int64_t base_tokens_in = tokens_in;
  auto ask = [&](int sample) -> Expected<LlmStageResult> {
    req = base_req;
    req.sample = sample;
    r = base_r;
    tokens_in = base_tokens_in;
    r.cache_key = response_cache_key(pc->kind, pc->base_url, req);
    if (use_cache && !ctx.record_dir) {
      t = clock.now();
      auto hit = cache.lookup(r.cache_key, clock.wall_ms());
      if (hit && !*hit && shared_cache) {
        // Another runner sharing the state may have paid for this exact (redacted) request: its
        // entry is copied into the local cache and used as a local hit.
        auto shared = shared_cache->lookup(r.cache_key, clock.wall_ms());
        if (!shared) {
          hit = tl::unexpected(shared.error());
        } else if (*shared) {
          (void)cache.put(r.cache_key, pc->kind, pc->base_url, **shared, clock.wall_ms());
          hit = cache.lookup(r.cache_key, clock.wall_ms());
        }
      }
      if (hit && !*hit && config.shared_cache && ctx.remote_cache != nullptr) {
        // Another runner may have paid for this exact (redacted) request: its entry lands in
        // the local cache and is used as a local hit.
        if (auto shared = fetch_shared_response(*ctx.remote_cache, r.cache_key)) {
          (void)cache.put(r.cache_key, pc->kind, pc->base_url, *shared, clock.wall_ms());
          hit = cache.lookup(r.cache_key, clock.wall_ms());
        }
      }
      r.phases.cache_ms = ms_since(clock, t);
      if (!hit) return tl::unexpected(hit.error());
      if (*hit) {
        r.cache_hit = true;
        r.tokens_in = (*hit)->tokens_in;
        r.tokens_out = (*hit)->tokens_out;
        r.finish_reason = (*hit)->finish_reason;
        r.model_served = ctx.redactor->redact((*hit)->model);
        r.truncated = cut_at_max_tokens(r.finish_reason);
        // Entries stored before replies were redacted may hold a secret.
        return finish(redact_reply(*ctx.redactor, (*hit)->text, r));
      }
    }

    // Attempts: the call, then up to `repair` re-asks when the guard refuses the reply. Each is a
    // call of its own through the chain below (reserve, call, settle); the result sums them.
    const std::string asked = req.prompt;
    LlmStageResult spent;  // tokens and cost of the attempts before this one
    for (int attempt = 0;; ++attempt) {
      r.attempts = attempt + 1;
      // The stage's provider, then its fallbacks: each reserves before it calls and releases or
      // settles after, so the budget guarantee holds across the chain.
      std::vector<const ProviderConfig*> chain{pc};
      for (const auto& name : spec.fallback)
        if (const ProviderConfig* f = config.find_provider(name)) chain.push_back(f);
      std::optional<LlmResponse> resp;
      std::string failures;  // of providers that fell through, for the final message
      for (size_t i = 0; i < chain.size() && !resp; ++i) {
        const ProviderConfig& p = *chain[i];
        const bool last = i + 1 == chain.size();
        auto fail = [&](Error e) -> Expected<LlmStageResult> {
          if (!failures.empty()) e.message = failures + "; then " + e.message;
          record_call(**db, ctx, r, e.message);
          return tl::unexpected(std::move(e));
        };
        const auto p_price = i == 0 ? price : price_for(p, p.model);
        if (!p_price && (config.budget.per_run_usd || config.budget.per_day_usd))
          return fail({ErrorCode::budget, fmt::format("no price known for model {} of fallback provider \"{}\" and a "
                                                      "USD budget is set", p.model, p.name)});
        r.provider_used = p.name;
        r.provider_kind = std::string(to_string(p.kind));
        r.model = p.model;
        req.model = p.model;
        auto provider = make_provider(p, ctx);
        if (!provider) return fail(provider.error());

        // Reserve the worst case against every limit before any network call.
        t = clock.now();
        // An approximate count may fall short of the provider's: reserve a 25% margin on input (on
        // a fallback always: the count was made for the stage's own model). Providers also bill the
        // chat format's role and framing tokens, which the text count lacks.
        const bool exact = i == 0 && r.tokenizer_exact;
        const int64_t framing = chat_overhead_tokens(p.kind, exact, req.system.empty() ? 1 : 2);
        // A schema sent for structured output is input too (as the provider's framing of it).
        const int64_t schema_tokens = static_cast<int64_t>(counter.count(req.schema_json));
        const int64_t reserve_in = (exact ? tokens_in : tokens_in + (tokens_in + 3) / 4) + framing + schema_tokens;
        // With prompt_cache every input token may be billed as a cache write (1.25x on Anthropic).
        double reserve_usd = p_price ? cost_usd(*p_price, reserve_in, spec.max_output_tokens) : 0.0;
        if (p_price && spec.prompt_cache)
          reserve_usd =
              std::max(reserve_usd, cost_usd(*p_price, Usage{reserve_in, spec.max_output_tokens, 0, reserve_in}));
        ReserveRequest rr{ctx.run_id, ctx.stage, p.name, p.model, reserve_usd,
                          reserve_in, spec.max_output_tokens, clock.wall_ms()};
        // A call never outlives its stage's timeout (queue, retries, transfer): past that and a
        // grace, a reservation still unsettled belongs to a dead runner.
        rr.lease_ms = spec.timeout.count() + 60'000;
        auto reservation = ledger.reserve(rr, config.budget);
        r.phases.budget_ms += ms_since(clock, t);
        // The engine prefixes the stage's name ("[FAILED] s07: over budget: ..."); the message must
        // not repeat it.
        if (!reservation) {
          if (failures.empty()) return tl::unexpected(reservation.error());
          return fail(reservation.error());
        }

        t = clock.now();
        auto slot = ctx.gate->acquire(ctx.cancel, deadline);
        r.phases.queue_ms += ms_since(clock, t);
        if (!slot) {
          (void)ledger.release(*reservation, clock.wall_ms());
          Error e = slot.error();
          if (ctx.cancel == nullptr || !ctx.cancel->load())
            e.message = fmt::format("timed out after {} ms (timeout: the whole stage, queueing and retries included): {}",
                                    spec.timeout.count(), e.message);
          if (failures.empty()) return tl::unexpected(std::move(e));
          return fail(std::move(e));
        }
        CallOptions opts;
        opts.timeout = spec.timeout;
        opts.deadline = deadline;
        opts.connect_timeout = spec.connect_timeout;
        opts.stall_timeout = spec.stall_timeout;
        opts.max_retries = spec.retries;
        opts.cancel = ctx.cancel;
        opts.backoff_base = ctx.backoff_base;
        if (ctx.pacers != nullptr) opts.pacer = &ctx.pacers->for_provider(p.name);
        auto called = (*provider)->complete(req, opts);
        { auto released = std::move(*slot); }
        if (!called) {
          (void)ledger.release(*reservation, clock.wall_ms());
          Error e = called.error();
          e.message = fmt::format("provider \"{}\" ({} {}): {}", p.name, r.provider_kind, p.model, e.message);
          // Only a transient failure whose retries are spent (429, 5xx, connection) moves on to
          // the next provider; a refusal (other 4xx), a malformed reply or a cancel does not.
          const bool cancelled = ctx.cancel != nullptr && ctx.cancel->load();
          if (last || cancelled || e.code != ErrorCode::network) return fail(std::move(e));
          record_call(**db, ctx, r, e.message);
          failures += (failures.empty() ? "" : "; ") + e.message;
          continue;
        }
        resp = std::move(*called);
        // A second net: the reply, and the model name the server sent, are redacted before they
        // are settled, guarded, written, cached or recorded (a model can quote a secret it saw
        // elsewhere).
        resp->text = redact_reply(*ctx.redactor, resp->text, r);
        resp->model = ctx.redactor->redact(resp->model);
        r.retries = resp->retries;
        r.phases.ttft_ms = resp->ttft_ms;
        r.phases.generation_ms = resp->generation_ms;
        r.finish_reason = resp->finish_reason;
        r.model_served = resp->model.empty() ? p.model : resp->model;
        if (auto prev = previous_model_served(**db, ctx); prev && *prev != r.model_served) r.model_changed_from = *prev;
        r.usage_from_provider = resp->usage_reported;
        r.tokens_in = resp->usage_reported ? resp->tokens_in : tokens_in;
        r.tokens_out = resp->usage_reported ? resp->tokens_out : static_cast<int64_t>(counter.count(resp->text));
        if (resp->usage_reported) {
          r.tokens_cached_in = resp->cached_in;
          r.tokens_cache_write = resp->cache_write_in;
        }
        r.priced = r.priced && p_price.has_value();
        r.cost_usd = p_price ? cost_usd(*p_price, Usage{r.tokens_in, r.tokens_out, r.tokens_cached_in,
                                                        r.tokens_cache_write})
                             : 0.0;
        t = clock.now();
        auto settled = ledger.settle(*reservation, r.tokens_in, r.tokens_out, r.cost_usd, clock.wall_ms());
        r.phases.budget_ms += ms_since(clock, t);
        if (!settled) return tl::unexpected(settled.error());
      }

      // A cut-off reply can still parse (half a YAML list is a YAML list): by default it fails,
      // is not written and not cached; its cost is settled above like any call's.
      r.truncated = cut_at_max_tokens(r.finish_reason);
      if (r.truncated && spec.on_truncation == TruncationPolicy::fail) {
        std::string msg = fmt::format(
            "the reply was cut at max_output_tokens {} (finish_reason \"{}\"); nothing was written. Raise "
            "max_output_tokens, or set on_truncation: warn to keep a cut reply",
            spec.max_output_tokens, r.finish_reason);
        record_call(**db, ctx, r, msg);
        return make_error(ErrorCode::invalid_input, std::move(msg));
      }

      r.tokens_in += spent.tokens_in;
      r.tokens_out += spent.tokens_out;
      r.cost_usd += spent.cost_usd;
      guard_failed = false;
      auto result = finish(resp->text);
      if (!result && guard_failed && attempt < spec.repair) {
        // Re-ask once more with the validator's error; the reply and the error are redacted text.
        spent.tokens_in = r.tokens_in;
        spent.tokens_out = r.tokens_out;
        spent.cost_usd = r.cost_usd;
        req.prompt = fmt::format("{}\n\n---\nYour previous reply was:\n{}\n---\nIt was rejected: {}\nReply again with "
                                 "only the corrected output.",
                                 asked, resp->text, result.error().message);
        tokens_in = static_cast<int64_t>(counter.count(req.system) + counter.count(req.prompt));
        continue;
      }
      // Only replies that passed the guard are cached, so a bad answer is asked again next time;
      // nor a cut one kept by on_truncation: warn (the cache key does not hold the policy);
      // nor one from a fallback (the key is the stage's own provider's: the next run asks it again).
      if (result && use_cache && !r.truncated && r.provider_used == r.provider) {
        t = clock.now();
        const CachedResponse entry{resp->text, r.model_served, r.finish_reason, r.tokens_in, r.tokens_out, r.cost_usd};
        auto put = cache.put(r.cache_key, pc->kind, pc->base_url, entry, clock.wall_ms());
        if (put && shared_cache) put = shared_cache->put(r.cache_key, pc->kind, pc->base_url, entry, clock.wall_ms());
        if (put && config.shared_cache && ctx.remote_cache != nullptr) share_response(*ctx.remote_cache, r.cache_key, entry);
        result->phases.cache_ms += ms_since(clock, t);
        if (!put) return tl::unexpected(put.error());
      }
      return result;
    }
  };

  if (!spec.verdict) return ask(0);

  // A verdict: every sample is asked (each reserves and settles on its own); the stage's
  // result sums their tokens, cost and attempts.
  std::vector<Verdict> verdicts;
  LlmStageResult total;
  for (int sample = 0; sample < spec.samples; ++sample) {
    auto one = ask(sample);
    if (!one) return one;
    if (sample == 0) {
      total = *one;
    } else {
      total.tokens_in += one->tokens_in;
      total.tokens_out += one->tokens_out;
      total.tokens_cached_in += one->tokens_cached_in;
      total.tokens_cache_write += one->tokens_cache_write;
      total.cost_usd += one->cost_usd;
      total.retries += one->retries;
      total.attempts += one->attempts;
      total.cache_hit = total.cache_hit && one->cache_hit;
      total.reply_redacted = total.reply_redacted || one->reply_redacted;
      total.phases.cache_ms += one->phases.cache_ms;
      total.phases.budget_ms += one->phases.budget_ms;
      total.phases.queue_ms += one->phases.queue_ms;
      total.phases.generation_ms += one->phases.generation_ms;
      total.phases.post_process_ms += one->phases.post_process_ms;
    }
    total.sample_verdicts.emplace_back(to_string(one->verdict->value));
    verdicts.push_back(std::move(*one->verdict));
  }
  total.agree = spec.agree;
  total.verdict = combine_samples(verdicts, spec.agree);
  total.output = total.verdict->text;
  r = total;
  if (spec.output && total.verdict->value != VerdictValue::unstable)
    if (auto w = write_output(total.verdict->text); !w) return tl::unexpected(w.error());
  return r;
}

}  // namespace sluice::llm
