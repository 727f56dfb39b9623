// Issue 23, "LLM stages that cannot be fooled": the whole stage against a local OpenAI- and
// Anthropic-compatible server that scripts its replies (streamed and not): truncation, what
// comes back redacted, cost with cached tokens, the model actually served.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <thread>
#include <mutex>

#include "base/files.h"
#include "llm/gate.h"
#include "llm/prices.h"
#include "llm/runner.h"
#include "llm/standins.h"
#include "llm/test_server.h"
#include "store/database.h"

namespace sluice::llm {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* k_db_password = "hunter2-db-password";

// What the server answers, per wire format; set before the stage runs.
struct Script {
  std::string text = "items:\n  - a\n  - b\n";
  std::string finish = "stop";      // openai finish_reason; anthropic gets stop_reason below
  std::string stop_reason = "end_turn";
  bool stream = true;
  std::string model;                 // empty: the requested one
  std::string repaired_text;         // the reply to a repair request (one quoting the guard's error)
  json openai_usage = {{"prompt_tokens", 20}, {"completion_tokens", 10}};
  json anthropic_usage = {{"input_tokens", 20}, {"output_tokens", 10}};
};

std::string openai_reply(const Script& s, const std::string& model) {
  if (!s.stream)
    return json({{"object", "chat.completion"}, {"model", model},
                 {"choices", json::array({{{"index", 0}, {"finish_reason", s.finish},
                                           {"message", {{"role", "assistant"}, {"content", s.text}}}}})},
                 {"usage", s.openai_usage}}).dump();
  auto ev = [&](const json& j) { return "data: " + j.dump() + "\n\n"; };
  std::string out = ev({{"object", "chat.completion.chunk"}, {"model", model},
                        {"choices", json::array({{{"index", 0}, {"delta", {{"content", s.text}}}, {"finish_reason", nullptr}}})}});
  out += ev({{"object", "chat.completion.chunk"}, {"model", model},
             {"choices", json::array({{{"index", 0}, {"delta", json::object()}, {"finish_reason", s.finish}}})}});
  out += ev({{"object", "chat.completion.chunk"}, {"model", model}, {"choices", json::array()}, {"usage", s.openai_usage}});
  return out + "data: [DONE]\n\n";
}

std::string anthropic_reply(const Script& s, const std::string& model) {
  if (!s.stream)
    return json({{"type", "message"}, {"model", model}, {"stop_reason", s.stop_reason},
                 {"content", json::array({{{"type", "text"}, {"text", s.text}}})}, {"usage", s.anthropic_usage}}).dump();
  auto ev = [](const char* name, const json& j) { return fmt::format("event: {}\ndata: {}\n\n", name, j.dump()); };
  json start_usage = s.anthropic_usage;
  start_usage["output_tokens"] = 1;
  std::string out = ev("message_start", {{"type", "message_start"},
                                         {"message", {{"model", model}, {"content", json::array()}, {"usage", start_usage}}}});
  out += ev("content_block_delta", {{"type", "content_block_delta"}, {"index", 0},
                                    {"delta", {{"type", "text_delta"}, {"text", s.text}}}});
  out += ev("message_delta", {{"type", "message_delta"}, {"delta", {{"stop_reason", s.stop_reason}}},
                              {"usage", {{"output_tokens", s.anthropic_usage["output_tokens"]}}}});
  return out + ev("message_stop", {{"type", "message_stop"}});
}

struct TrustTest : ::testing::Test {
  testing::TestServer server;
  base::TempDir ws;
  base::SystemClock clock;
  standin::WhitespaceTokenCounter counter;
  standin::KnownValueRedactor redactor{{{"DB_PASSWORD", k_db_password}}};
  ConcurrencyGate gate{4};
  std::mutex mu;
  Script script;
  std::vector<std::string> bodies;
  std::atomic<int> calls{0};
  // /limited/v1: at most 2 requests accepted in any second, 429 (no Retry-After) past that.
  std::deque<std::chrono::steady_clock::time_point> accepted;
  std::atomic<int> limited_requests{0};
  std::atomic<int> limited_ok{0};
  std::atomic<int> down_calls{0};
  int down_status = 503;    // what /down/v1 answers every request
  std::string retry_after;  // /limited/v1 answers every request 429 with this when set

  void TearDown() override { server.stop(); }
  void SetUp() override {
    auto handler = [this](bool anthropic) {
      return [this, anthropic](const httplib::Request& req, httplib::Response& res) {
        ++calls;
        Script s;
        {
          std::lock_guard l(mu);
          bodies.push_back(req.body);
          s = script;
        }
        if (!s.repaired_text.empty() && req.body.find("It was rejected") != std::string::npos) s.text = s.repaired_text;
        std::string model = s.model.empty() ? json::parse(req.body)["model"].get<std::string>() : s.model;
        res.set_content(anthropic ? anthropic_reply(s, model) : openai_reply(s, model),
                        s.stream ? "text/event-stream" : "application/json");
      };
    };
    server.server().Post("/v1/chat/completions", handler(false));
    server.server().Post("/v1/messages", handler(true));
    server.server().Post("/down/v1/chat/completions", [this](const httplib::Request&, httplib::Response& res) {
      ++down_calls;
      res.status = down_status;
      res.set_content(R"({"error":{"message":"overloaded"}})", "application/json");
    });
    server.server().Post("/limited/v1/chat/completions", [this](const httplib::Request&, httplib::Response& res) {
      ++limited_requests;
      bool ok = false;
      {
        std::lock_guard l(mu);
        const auto now = std::chrono::steady_clock::now();
        while (!accepted.empty() && now - accepted.front() >= 1s) accepted.pop_front();
        if (retry_after.empty() && accepted.size() < 2) {
          accepted.push_back(now);
          ok = true;
        }
        if (!retry_after.empty()) res.set_header("Retry-After", retry_after);
      }
      if (!ok) {
        res.status = 429;
        res.set_content(R"({"error":{"message":"rate limited"}})", "application/json");
        return;
      }
      ++limited_ok;
      res.set_content(openai_reply(Script{}, "gpt-4o-mini"), "text/event-stream");
    });
    server.start();
  }

  LlmConfig config(ProviderKind kind = ProviderKind::openai, std::string model = "gpt-4o-mini",
                   std::optional<Price> price = Price{1.0, 2.0, {}, {}}) {
    LlmConfig c;
    c.providers.push_back({"default", kind, server.url() + "/v1", "", std::move(model), price, "", {}});
    c.providers.push_back({"claude", ProviderKind::anthropic, server.url() + "/v1", "", "claude-sonnet-4-5", price, "", {}});
    return c;
  }
  LlmStageSpec spec(OutputFormat format = OutputFormat::yaml) {
    LlmStageSpec s;
    s.prompt = "List the items.";
    s.max_output_tokens = 10;
    s.output = OutputSpec{"out/items.yaml", format, "", "", true, {}};
    s.timeout = 5s;
    s.stall_timeout = 2s;
    s.retries = 1;
    return s;
  }
  LlmStageContext context(std::string stage = "items") {
    LlmStageContext c;
    c.workspace = ws.path();
    c.run_id = "run-1";
    c.stage = std::move(stage);
    c.state_db = ws.path() / ".sluice/state.db";
    c.counter = &counter;
    c.redactor = &redactor;
    c.env = [](std::string_view n) -> std::optional<std::string> {
      if (n == "DB_PASSWORD") return std::string(k_db_password);
      return std::nullopt;
    };
    c.clock = &clock;
    c.gate = &gate;
    c.backoff_base = 1ms;
    return c;
  }
  std::string everything_stored() {
    std::string all;
    for (const auto& e : fs::recursive_directory_iterator(ws.path()))
      if (e.is_regular_file())
        if (auto t = base::read_file(e.path())) all += *t;
    return all;
  }
};

// Item 1: a cut-off YAML list parses, so the guard alone would pass it.
TEST_F(TrustTest, TruncatedReplyFailsByDefaultUnwrittenAndUncached) {
  script.text = "items:\n  - a\n  - b\n";  // the rest of the list never came
  for (bool stream : {true, false}) {
    for (const char* provider : {"default", "claude"}) {
      SCOPED_TRACE(fmt::format("{} stream={}", provider, stream));
      script.stream = stream;
      script.finish = "length";
      script.stop_reason = "max_tokens";
      auto s = spec();
      s.provider = provider;
      auto ctx = context();
      const int before = calls;
      auto r = run_llm_stage(s, config(), ctx);
      ASSERT_FALSE(r);
      EXPECT_NE(r.error().message.find("cut at max_output_tokens 10"), std::string::npos) << r.error().message;
      EXPECT_NE(r.error().message.find("on_truncation: warn"), std::string::npos) << r.error().message;
      EXPECT_FALSE(fs::exists(ws.path() / "out/items.yaml"));
      // Not cached: asked again next time.
      auto again = run_llm_stage(s, config(), ctx);
      ASSERT_FALSE(again);
      EXPECT_EQ(calls, before + 2);
    }
  }
}

TEST_F(TrustTest, TruncatedReplyIsKeptWithWarnAndReported) {
  for (const char* provider : {"default", "claude"}) {
    SCOPED_TRACE(provider);
    script.finish = "length";
    script.stop_reason = "max_tokens";
    auto s = spec();
    s.provider = provider;
    s.on_truncation = TruncationPolicy::warn;
    auto ctx = context();
    auto r = run_llm_stage(s, config(), ctx);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->truncated);
    EXPECT_NE(r->to_json().find("\"truncated\":true"), std::string::npos);
    EXPECT_EQ(*base::read_file(ws.path() / "out/items.yaml"), script.text);
    fs::remove(ws.path() / "out/items.yaml");
  }
  // A reply that ended normally is not truncated.
  script.finish = "stop";
  auto ctx = context();
  auto r = run_llm_stage(spec(), config(), ctx);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->truncated);
}

// Item 8: a model can quote a secret it saw elsewhere; the reply is redacted before it is
// guarded, written, cached, recorded or put in llm_calls.
TEST_F(TrustTest, SecretsQuotedInTheReplyAreRedactedEverywhere) {
  for (bool stream : {true, false}) {
    for (const char* provider : {"default", "claude"}) {
      SCOPED_TRACE(fmt::format("{} stream={}", provider, stream));
      fs::remove_all(ws.path() / ".sluice");
      fs::remove_all(ws.path() / "out");
      fs::remove_all(ws.path() / "cassettes");
      script.stream = stream;
      script.text = std::string("password: \"") + k_db_password + "\"\n";
      script.model = std::string("gpt-4o-mini-") + k_db_password;
      auto s = spec();
      s.provider = provider;
      auto ctx = context();
      auto r = run_llm_stage(s, config(), ctx);  // cached
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_TRUE(r->reply_redacted);
      EXPECT_EQ(*base::read_file(ws.path() / "out/items.yaml"), "password: \"[REDACTED:DB_PASSWORD]\"\n");
      EXPECT_EQ(r->to_json().find(k_db_password), std::string::npos);
      auto hit = run_llm_stage(s, config(), ctx);
      ASSERT_TRUE(hit) << hit.error().message;
      EXPECT_TRUE(hit->cache_hit);
      ctx.record_dir = ws.path() / "cassettes";
      ASSERT_TRUE(run_llm_stage(s, config(), ctx));
      EXPECT_FALSE(fs::is_empty(ws.path() / "cassettes"));
      // A reply the guard refuses says why, without the secret, and the error row lacks it too.
      ctx.record_dir.reset();
      script.text = std::string("{ \"not yaml: ") + k_db_password;
      s.cache = CacheMode::off;
      auto bad = run_llm_stage(s, config(), ctx);
      ASSERT_FALSE(bad);
      EXPECT_EQ(bad.error().message.find(k_db_password), std::string::npos) << bad.error().message;
      EXPECT_NE(bad.error().message.find("the reply quoted a secret"), std::string::npos) << bad.error().message;
      std::string stored = everything_stored();  // state.db (+ WAL): cache, llm_calls; cassettes; outputs
      EXPECT_EQ(stored.find(k_db_password), std::string::npos);
      EXPECT_NE(stored.find("[REDACTED:DB_PASSWORD]"), std::string::npos);  // we did look in the right place
    }
  }
}

// Item 2: the reference figure. 2,000 prompt tokens of which 1,536 cached, plus 100 output, on
// gpt-4o-mini at the default table's prices (0.15 input, 0.075 cached input, 0.60 output).
TEST_F(TrustTest, CachedTokensArePricedAtTheCachedRate) {
  script.openai_usage = {{"prompt_tokens", 2000}, {"completion_tokens", 100},
                         {"prompt_tokens_details", {{"cached_tokens", 1536}}}};
  // Anthropic's input_tokens excludes cache reads and writes.
  script.anthropic_usage = {{"input_tokens", 100}, {"cache_read_input_tokens", 1000},
                            {"cache_creation_input_tokens", 500}, {"output_tokens", 10}};
  for (bool stream : {true, false}) {
    SCOPED_TRACE(fmt::format("stream={}", stream));
    script.stream = stream;
    auto s = spec();
    s.cache = CacheMode::off;
    auto ctx = context();
    auto r = run_llm_stage(s, config(ProviderKind::openai, "gpt-4o-mini", std::nullopt), ctx);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->tokens_in, 2000);
    EXPECT_EQ(r->tokens_cached_in, 1536);
    EXPECT_NEAR(r->cost_usd, 0.0002448, 1e-12);
    EXPECT_NE(r->to_json().find("\"tokens_cached_in\":1536"), std::string::npos);

    // claude-sonnet-4-5: 3.00 input, 0.30 cache read, 3.75 cache write, 15.00 output.
    s.provider = "claude";
    r = run_llm_stage(s, config(ProviderKind::openai, "gpt-4o-mini", std::nullopt), ctx);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->tokens_in, 1600);
    EXPECT_EQ(r->tokens_cached_in, 1000);
    EXPECT_EQ(r->tokens_cache_write, 500);
    EXPECT_NEAR(r->cost_usd, (100 * 3.00 + 1000 * 0.30 + 500 * 3.75 + 10 * 15.00) / 1e6, 1e-12);
  }
  // A configured price wins over the table.
  auto s = spec();
  s.cache = CacheMode::off;
  auto ctx = context();
  auto r = run_llm_stage(s, config(ProviderKind::openai, "gpt-4o-mini", Price{1.0, 2.0, 0.25, {}}), ctx);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NEAR(r->cost_usd, (464 * 1.0 + 1536 * 0.25 + 100 * 2.0) / 1e6, 1e-12);
  // The ledger settled the same figure.
  auto db = store::Database::open(ws.path() / ".sluice/state.db", store::all_migrations());
  ASSERT_TRUE(db);
  auto q = (*db)->prepare("SELECT cost_usd FROM llm_ledger WHERE state = 'settled' ORDER BY id DESC LIMIT 1");
  ASSERT_TRUE(q);
  ASSERT_TRUE(q->step().value_or(false));
  EXPECT_NEAR(q->column_double(0), r->cost_usd, 1e-12);
}

TEST_F(TrustTest, PromptCacheMarksTheSystemPromptAndContextForAnthropic) {
  ASSERT_TRUE(base::atomic_write(ws.path() / "ctx.txt", "the context file\n"));
  auto s = spec();
  s.provider = "claude";
  s.system = "You list items.";
  s.prompt = "Read this:\n{{ context }}\nNow list the items.";
  s.context = {"ctx.txt"};
  s.cache = CacheMode::off;  // prompt_cache changes the bill, not the answer: not in the response cache key
  auto ctx = context();
  ASSERT_TRUE(run_llm_stage(s, config(), ctx));
  s.prompt_cache = true;
  auto r = run_llm_stage(s, config(), ctx);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(bodies.size(), 2u);
  json plain = json::parse(bodies[0]);
  EXPECT_TRUE(plain["system"].is_string());
  EXPECT_EQ(bodies[0].find("cache_control"), std::string::npos);
  json cached = json::parse(bodies[1]);
  EXPECT_EQ(cached["system"][0]["cache_control"]["type"], "ephemeral");
  const json& blocks = cached["messages"][0]["content"];
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0]["cache_control"]["type"], "ephemeral");
  EXPECT_NE(blocks[0]["text"].get<std::string>().find("the context file"), std::string::npos);
  EXPECT_FALSE(blocks[1].contains("cache_control"));
  EXPECT_EQ(blocks[1]["text"], "\nNow list the items.");
}

TEST_F(TrustTest, ReportsTheModelServedAndFlagsAChangeSinceTheLastRun) {
  auto s = spec();
  s.cache = CacheMode::off;
  script.model = "gpt-4o-mini-2024-07-18";
  auto ctx = context();
  auto r = run_llm_stage(s, config(), ctx);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->model, "gpt-4o-mini");
  EXPECT_EQ(r->model_served, "gpt-4o-mini-2024-07-18");
  EXPECT_TRUE(r->model_changed_from.empty());
  ctx.run_id = "run-2";
  r = run_llm_stage(s, config(), ctx);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->model_changed_from.empty());  // same model as last run
  script.model = "gpt-4o-mini-2025-01-01";
  ctx.run_id = "run-3";
  r = run_llm_stage(s, config(), ctx);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->model_served, "gpt-4o-mini-2025-01-01");
  EXPECT_EQ(r->model_changed_from, "gpt-4o-mini-2024-07-18");
  EXPECT_NE(r->to_json().find("\"model_changed_from\":\"gpt-4o-mini-2024-07-18\""), std::string::npos);
}

// Item 7: twenty stages against a server that allows 2 requests a second share one pacer per
// provider, so a 429 slows them all instead of each retrying on its own.
TEST_F(TrustTest, A429SlowsEveryStageOnTheProviderSoTheyDoNotStampede) {
  auto cfg = config();
  cfg.providers[0].base_url = server.url() + "/limited/v1";
  Pacers pacers(clock);
  std::vector<std::thread> threads;
  std::atomic<int> succeeded{0};
  std::mutex errors_mu;
  std::string errors;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      auto s = spec();
      s.prompt = fmt::format("List the items of stage {}.", i);  // no response cache hits
      s.output = OutputSpec{fmt::format("out/{}.yaml", i), OutputFormat::yaml, "", "", true, {}};
      s.retries = 20;
      s.timeout = 120s;
      auto ctx = context(fmt::format("s{}", i));
      ctx.pacers = &pacers;
      auto r = run_llm_stage(s, cfg, ctx);
      if (r) ++succeeded;
      else {
        std::lock_guard l(errors_mu);
        errors += r.error().message + "\n";
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(succeeded, 20) << errors;
  EXPECT_EQ(limited_ok, 20);
  EXPECT_LE(limited_requests, 30) << limited_requests << " requests for " << limited_ok << " successes";
  EXPECT_GT(pacers.for_provider("default").rate(), 0);
}

// Item 7: a Retry-After longer than the stage has left fails now, with the wait, not after the
// timeout.
TEST_F(TrustTest, RetryAfterPastTheTimeoutFailsAtOnceWithTheWait) {
  auto cfg = config();
  cfg.providers[0].base_url = server.url() + "/limited/v1";
  retry_after = "120";
  auto s = spec();
  s.timeout = 30s;
  s.retries = 5;
  auto ctx = context();
  Pacers pacers(clock);
  ctx.pacers = &pacers;
  const auto start = std::chrono::steady_clock::now();
  auto r = run_llm_stage(s, cfg, ctx);
  ASSERT_FALSE(r);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);  // not the 30 s timeout
  EXPECT_NE(r.error().message.find("120000 ms"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("HTTP 429"), std::string::npos) << r.error().message;
  EXPECT_EQ(limited_requests, 1);
  // The next stage on that provider does not even try: the pacer holds it back.
  auto again = run_llm_stage(s, cfg, ctx);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("more than the"), std::string::npos) << again.error().message;
  EXPECT_EQ(limited_requests, 1);
}

// Item 6: the fallback chain, used only when retries on 429/5xx/connection failures are spent.
TEST_F(TrustTest, FallbackAfterTransientFailuresOnlyWithTheFirstReservationReleased) {
  for (bool stream : {true, false}) {
    SCOPED_TRACE(fmt::format("stream={}", stream));
    script.stream = stream;
    fs::remove_all(ws.path() / ".sluice");
    fs::remove_all(ws.path() / "out");
    down_calls = 0;
    calls = 0;
    down_status = 503;
    auto cfg = config();
    cfg.providers[0].base_url = server.url() + "/down/v1";
    auto s = spec();
    s.fallback = {"claude"};
    s.retries = 2;
    auto ctx = context();
    auto r = run_llm_stage(s, cfg, ctx);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(down_calls, 3);  // the first attempt and 2 retries, then the fallback
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(r->provider, "default");
    EXPECT_EQ(r->provider_used, "claude");
    EXPECT_EQ(r->provider_kind, "anthropic");
    EXPECT_NE(r->to_json().find("\"provider_used\":\"claude\""), std::string::npos);
    EXPECT_TRUE(fs::exists(ws.path() / "out/items.yaml"));
    auto db = store::Database::open(ws.path() / ".sluice/state.db", store::all_migrations());
    ASSERT_TRUE(db);
    auto q = (*db)->prepare("SELECT provider, state FROM llm_ledger ORDER BY id");
    ASSERT_TRUE(q);
    std::vector<std::string> rows;
    while (q->step().value_or(false)) rows.push_back(q->column_text(0) + ":" + q->column_text(1));
    EXPECT_EQ(rows, (std::vector<std::string>{"default:released", "claude:settled"}));

    // A 4xx is not transient: no fallback.
    down_status = 400;
    down_calls = 0;
    calls = 0;
    s.cache = CacheMode::off;
    auto refused = run_llm_stage(s, cfg, ctx);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("HTTP 400"), std::string::npos) << refused.error().message;
    EXPECT_EQ(down_calls, 1);
    EXPECT_EQ(calls, 0);

    // Nor a reply the guard refuses.
    script.text = "{ not: yaml";
    s.repair = 0;
    auto guarded = run_llm_stage(s, config(), ctx);
    ASSERT_FALSE(guarded);
    EXPECT_EQ(calls, 1);
    script.text = Script{}.text;
  }
}

// Item 4: one repair. The guard's error goes back to the model; each attempt reserves and
// settles; the result counts the attempts and sums their cost.
TEST_F(TrustTest, AGuardFailureIsRepairedOnceWithTheValidatorsError) {
  for (bool stream : {true, false}) {
    for (const char* provider : {"default", "claude"}) {
      SCOPED_TRACE(fmt::format("{} stream={}", provider, stream));
      fs::remove_all(ws.path() / ".sluice");
      fs::remove_all(ws.path() / "out");
      script.stream = stream;
      script.text = "{ items: [a, b";
      script.repaired_text = "items: [a, b]\n";
      {
        std::lock_guard l(mu);
        bodies.clear();
      }
      auto s = spec();
      s.provider = provider;
      auto ctx = context();
      auto r = run_llm_stage(s, config(), ctx);
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->attempts, 2);
      EXPECT_NE(r->to_json().find("\"attempts\":2"), std::string::npos);
      EXPECT_EQ(*base::read_file(ws.path() / "out/items.yaml"), "items: [a, b]\n");
      ASSERT_EQ(bodies.size(), 2u);
      EXPECT_NE(bodies[1].find("It was rejected"), std::string::npos);
      EXPECT_NE(bodies[1].find("{ items: [a, b"), std::string::npos);
      EXPECT_NEAR(r->cost_usd, 2 * (20 * 1.0 + 10 * 2.0) / 1e6, 1e-12);  // both attempts, as billed
      auto db = store::Database::open(ws.path() / ".sluice/state.db", store::all_migrations());
      ASSERT_TRUE(db);
      auto q = (*db)->prepare("SELECT COUNT(*), SUM(cost_usd) FROM llm_ledger WHERE state = 'settled'");
      ASSERT_TRUE(q);
      ASSERT_TRUE(q->step().value_or(false));
      EXPECT_EQ(q->column_int(0), 2);
      EXPECT_NEAR(q->column_double(1), r->cost_usd, 1e-12);
    }
  }
  // repair: 0 fails on the first refusal; a reply still refused after the repairs fails.
  script.repaired_text.clear();
  auto s = spec();
  s.cache = CacheMode::off;
  s.repair = 0;
  auto ctx = context();
  const int before = calls;
  EXPECT_FALSE(run_llm_stage(s, config(), ctx));
  EXPECT_EQ(calls, before + 1);
  s.repair = 3;
  EXPECT_FALSE(run_llm_stage(s, config(), ctx));
  EXPECT_EQ(calls, before + 1 + 4);
  script.text = Script{}.text;
}

}  // namespace
}  // namespace sluice::llm
