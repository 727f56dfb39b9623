// The whole stage against a real local server: output written, cache hits, budgets under
// concurrency, input limits, guard refusals, secrets kept out of everything stored.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "base/files.h"
#include "llm/gate.h"
#include "llm/prices.h"
#include "llm/provider.h"
#include "llm/runner.h"
#include "llm/standins.h"
#include "llm/test_server.h"
#include "store/database.h"

namespace sluice::llm {
namespace {

template <class T, class V>
BudgetConfig budget_with(std::optional<T> BudgetConfig::*field, V value) {
  BudgetConfig b;
  b.*field = static_cast<T>(value);
  return b;
}


using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* k_key = "sk-live-VERYSECRETKEY-42";
constexpr const char* k_db_password = "hunter2-db-password";
const std::string k_manifest = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n";

struct RunnerTest : ::testing::Test {
  testing::TestServer server;
  base::TempDir ws;
  base::SystemClock clock;
  // Stand-ins for src/tokenize and src/secrets (llm may not include them).
  standin::WhitespaceTokenCounter counter;
  standin::KnownValueRedactor redactor{{{"OPENAI_API_KEY", k_key}, {"DB_PASSWORD", k_db_password}}};
  ConcurrencyGate gate{4};
  std::atomic<int> calls{0};
  std::atomic<int> in_flight{0};
  std::atomic<int> peak{0};
  std::mutex mu;
  std::vector<std::string> bodies;
  std::string reply = "```yaml\n" + k_manifest + "```\n";
  int delay_ms = 0;

  // The server's handler threads use the members below: stop it before they are destroyed.
  void TearDown() override { server.stop(); }

  void SetUp() override {
    server.server().Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      ++calls;
      int now = ++in_flight;
      int p = peak.load();
      while (now > p && !peak.compare_exchange_weak(p, now)) {}
      {
        std::lock_guard l(mu);
        bodies.push_back(req.body);
      }
      if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      if (req.get_header_value("Authorization") != std::string("Bearer ") + k_key) {
        res.status = 401;
        res.set_content(R"({"error":{"message":"bad key"}})", "application/json");
      } else {
        // Usage as a provider would count it: here, with the same stand-in tokenizer.
        auto body = nlohmann::json::parse(req.body);
        int64_t in = 0;
        for (const auto& m : body["messages"]) in += static_cast<int64_t>(counter.count(m["content"].get<std::string>()));
        res.set_content(testing::openai_stream({reply.substr(0, 10), reply.substr(10)}, in, 50), "text/event-stream");
      }
      --in_flight;
    });
    server.start();
  }

  LlmConfig config(BudgetConfig budget = {}) {
    LlmConfig c;
    c.providers.push_back({"default", ProviderKind::openai, server.url() + "/v1", "OPENAI_API_KEY", "gpt-4o-mini",
                           Price{1.0, 2.0, {}, {}}, "", {}});
    c.budget = budget;
    return c;
  }
  LlmStageSpec spec() {
    LlmStageSpec s;
    s.prompt = "Generate a Service. Password: {{ env.DB_PASSWORD }}";
    s.system = "You write Kubernetes manifests.";
    s.max_output_tokens = 100;
    s.output = OutputSpec{"k8s/generated/app.yaml", OutputFormat::yaml, "", "", true, {}};
    s.timeout = 3s;
    s.stall_timeout = 1s;
    s.retries = 1;
    return s;
  }
  LlmStageContext context(std::string stage = "manifests") {
    LlmStageContext c;
    c.workspace = ws.path();
    c.run_id = "run-1";
    c.stage = std::move(stage);
    c.state_db = ws.path() / ".sluice/state.db";
    c.counter = &counter;
    c.redactor = &redactor;
    c.env = [](std::string_view n) -> std::optional<std::string> {
      if (n == "OPENAI_API_KEY") return std::string(k_key);
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

TEST_F(RunnerTest, RunsTheStageThenHitsTheCache) {
  auto ctx = context();
  auto r = run_llm_stage(spec(), config(), ctx);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*base::read_file(ws.path() / "k8s/generated/app.yaml"), k_manifest);
  EXPECT_EQ(r->output_path, "k8s/generated/app.yaml");
  EXPECT_FALSE(r->cache_hit);
  EXPECT_TRUE(r->usage_from_provider);
  EXPECT_EQ(r->tokens_in, 9);  // 4 words of system + 5 of the redacted prompt
  EXPECT_EQ(r->tokens_out, 50);
  EXPECT_DOUBLE_EQ(r->cost_usd, (9 * 1.0 + 50 * 2.0) / 1e6);
  EXPECT_EQ(r->tokenizer, "standin-whitespace");
  EXPECT_FALSE(r->tokenizer_exact);
  EXPECT_GT(r->phases.ttft_ms, 0);
  auto j = nlohmann::json::parse(r->to_json());
  for (const char* k : {"provider", "model", "tokens_in", "tokens_out", "cost_usd", "cache_hit", "retries", "phases_ms"})
    EXPECT_TRUE(j.contains(k)) << k;
  for (const char* k : {"render", "redact", "tokenize", "queue", "ttft", "generation", "post_process"})
    EXPECT_TRUE(j["phases_ms"].contains(k)) << k;

  fs::remove(ws.path() / "k8s/generated/app.yaml");
  auto again = run_llm_stage(spec(), config(), ctx);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->cache_hit);
  EXPECT_DOUBLE_EQ(again->cost_usd, 0);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(*base::read_file(ws.path() / "k8s/generated/app.yaml"), k_manifest);

  // Any request parameter changes the key.
  auto s = spec();
  s.max_output_tokens = 101;
  auto other = run_llm_stage(s, config(), ctx);
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->cache_hit);
  EXPECT_EQ(calls, 2);
  // Non-zero temperature does not use the cache unless asked.
  s.temperature = 0.7;
  ASSERT_TRUE(run_llm_stage(s, config(), ctx));
  ASSERT_TRUE(run_llm_stage(s, config(), ctx));
  EXPECT_EQ(calls, 4);
}

TEST_F(RunnerTest, SecretsNeverLeaveOrGetStored) {
  auto ctx = context();
  ASSERT_TRUE(run_llm_stage(spec(), config(), ctx));
  ctx.record_dir = ws.path() / "cassettes";
  ASSERT_TRUE(run_llm_stage(spec(), config(), ctx));  // record mode skips the cache lookup
  EXPECT_EQ(calls, 2);
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0].find(k_db_password), std::string::npos);
  EXPECT_NE(bodies[0].find("[REDACTED:DB_PASSWORD]"), std::string::npos);
  EXPECT_FALSE(fs::is_empty(ws.path() / "cassettes"));
  std::string stored = everything_stored();  // state.db (+ WAL), cassettes, outputs
  EXPECT_EQ(stored.find(k_db_password), std::string::npos);
  EXPECT_EQ(stored.find(k_key), std::string::npos);
  EXPECT_NE(stored.find("REDACTED:DB_PASSWORD"), std::string::npos);  // we did look in the right place

  // A rejected key: the error names the env var's provider but never the key.
  ctx.record_dir.reset();
  ctx.env = [](std::string_view n) -> std::optional<std::string> {
    if (n == "OPENAI_API_KEY") return std::string("sk-wrong-KEY-777");
    if (n == "DB_PASSWORD") return std::string(k_db_password);
    return std::nullopt;
  };
  auto s = spec();
  s.cache = CacheMode::off;
  auto bad = run_llm_stage(s, config(), ctx);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("HTTP 401"), std::string::npos) << bad.error().message;
  EXPECT_EQ(bad.error().message.find("sk-wrong-KEY-777"), std::string::npos);
  ctx.env = [](std::string_view n) -> std::optional<std::string> {
    if (n == "DB_PASSWORD") return std::string(k_db_password);
    return std::nullopt;
  };
  auto unset = run_llm_stage(s, config(), ctx);
  ASSERT_FALSE(unset);
  EXPECT_NE(unset.error().message.find("OPENAI_API_KEY (api_key_env of provider \"default\") is not set"),
            std::string::npos) << unset.error().message;
}

TEST_F(RunnerTest, OverBudgetFailsBeforeAnyNetworkCall) {
  auto ctx = context();
  // Worst case: (counted input + 100 output) at $1/$2 per Mtok is > $0.0001.
  auto r = run_llm_stage(spec(), config(budget_with(&BudgetConfig::per_run_usd, 0.0001)), ctx);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::budget);
  EXPECT_NE(r.error().message.find("per_run_usd is $0.0001, this run has spent $0.0000"), std::string::npos)
      << r.error().message;
  // The engine shows it as "[FAILED] manifests: <message>": the message must not name the
  // stage again.
  EXPECT_EQ(r.error().message.rfind("over budget: ", 0), 0u) << r.error().message;
  EXPECT_EQ(r.error().message.find("manifests"), std::string::npos) << r.error().message;
  EXPECT_EQ(calls, 0);
}

TEST_F(RunnerTest, SystemPromptIsTemplatedAndRedactedLikeThePrompt) {
  ASSERT_TRUE(base::atomic_write(ws.path() / "notes/style.md", "Use two-space indents."));
  auto ctx = context();
  ctx.env = [](std::string_view n) -> std::optional<std::string> {
    if (n == "OPENAI_API_KEY") return std::string(k_key);
    if (n == "DB_PASSWORD") return std::string(k_db_password);
    if (n == "REGION") return std::string("eu-west-1");
    return std::nullopt;
  };
  auto s = spec();
  s.system = "Deploy to {{ env.REGION }}; db password {{ env.DB_PASSWORD }}. {{ file \"notes/style.md\" }}";
  auto r = run_llm_stage(s, config(), ctx);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(bodies.size(), 1u);
  auto body = nlohmann::json::parse(bodies[0]);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][0]["content"],
            "Deploy to eu-west-1; db password [REDACTED:DB_PASSWORD]. Use two-space indents.");
  EXPECT_EQ(bodies[0].find(k_db_password), std::string::npos);
  EXPECT_EQ(everything_stored().find(k_db_password), std::string::npos);

  // Errors read like the prompt's, with the template named "system".
  s.system = "Region: {{ env.NOT_SET }}";
  auto unset = run_llm_stage(s, config(), ctx);
  ASSERT_FALSE(unset);
  EXPECT_NE(unset.error().message.find("system:1:9: environment variable NOT_SET is not set"), std::string::npos)
      << unset.error().message;
  s.system = "Files: {{ context }}";
  auto context_in_system = run_llm_stage(s, config(), ctx);
  ASSERT_FALSE(context_in_system);
  EXPECT_NE(context_in_system.error().message.find("only allowed in the prompt"), std::string::npos)
      << context_in_system.error().message;
  EXPECT_EQ(calls, 1);
}

TEST_F(RunnerTest, ParallelStagesNeverOverspendAndRespectMaxConcurrency) {
  ConcurrencyGate two(2);
  delay_ms = 30;
  // The engine creates the state database before stages start (concurrent first-time
  // migrations from many connections are not supported by store::Database).
  ASSERT_TRUE(store::Database::open(ws.path() / ".sluice/state.db", store::all_migrations()));
  // Each call reserves 9 input tokens + 25% + 32 of chat framing (44) and 100 output tokens
  // ($0.000244) and settles at 9 in + 50 out ($0.000109): the budget admits some calls, refuses
  // others, and is never exceeded.
  const double per_run = 0.0010;
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> threads;
  std::vector<double> queue_ms(12);
  for (int i = 0; i < 12; ++i)
    threads.emplace_back([&, i] {
      auto ctx = context(fmt::format("stage{}", i));
      ctx.gate = &two;
      auto s = spec();
      s.cache = CacheMode::off;
      s.output->path = fmt::format("out/{}.yaml", i);
      auto r = run_llm_stage(s, config(budget_with(&BudgetConfig::per_run_usd, per_run)), ctx);
      if (r) {
        ++ok;
        queue_ms[static_cast<size_t>(i)] = r->phases.queue_ms;
      } else if (r.error().code == ErrorCode::budget) {
        ++refused;
      } else {
        ADD_FAILURE() << r.error().message;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok + refused, 12);
  EXPECT_GE(ok.load(), 1);
  EXPECT_GE(refused.load(), 1);
  EXPECT_EQ(calls.load(), ok.load());  // a refused stage never reached the server
  EXPECT_LE(peak.load(), 2);
  auto db = store::Database::open(ws.path() / ".sluice/state.db", store::all_migrations());
  ASSERT_TRUE(db);
  auto q = (*db)->prepare("SELECT SUM(cost_usd), COUNT(*) FROM llm_ledger WHERE state = 'settled'");
  ASSERT_TRUE(q);
  ASSERT_TRUE(*q->step());
  EXPECT_LE(q->column_double(0), per_run + 1e-12);
  EXPECT_EQ(q->column_int(1), ok.load());
  double max_queue = *std::max_element(queue_ms.begin(), queue_ms.end());
  if (ok > 2) {
    EXPECT_GT(max_queue, 10);  // someone waited for a slot
  }
}

// The whitespace stand-in, declared exact: as if the provider's tokenizer were ours, which is
// the case for OpenAI's models (the engine counts them with tiktoken's own encodings).
class ExactWordCounter final : public TokenCounter {
 public:
  size_t count(std::string_view text) const override { return m_words.count(text); }
  size_t prefix_bytes(std::string_view text, size_t n) const override { return m_words.prefix_bytes(text, n); }
  std::string name() const override { return "exact-words"; }
  bool exact() const override { return true; }

 private:
  standin::WhitespaceTokenCounter m_words;
};

// Providers bill the chat format's framing on top of the text (role and separator tokens):
// servers that bill like that, and every call using all of max_tokens, must still never take
// the settled spend past the cap, with calls in parallel.
TEST_F(RunnerTest, RealisticBillingNeverSettlesPastTheCap) {
  ExactWordCounter exact_words;
  ApproximateTokenCounter approx;
  testing::TestServer billing;
  auto text_of = [](const nlohmann::json& body) {
    std::vector<std::string> texts;
    if (body.contains("system")) texts.push_back(body["system"].get<std::string>());
    for (const auto& m : body["messages"]) texts.push_back(m["content"].get<std::string>());
    return texts;
  };
  // OpenAI: 3 tokens a message plus 3 priming the reply (tiktoken's cookbook), text counted
  // exactly as we count it.
  billing.server().Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
    auto body = nlohmann::json::parse(req.body);
    auto texts = text_of(body);
    int64_t in = 3 * static_cast<int64_t>(texts.size()) + 3;
    for (const auto& t : texts) in += static_cast<int64_t>(exact_words.count(t));
    res.set_content(testing::openai_stream({reply}, in, body["max_tokens"].get<int64_t>()), "text/event-stream");
  });
  // Anthropic: its framing is not published; 12 tokens for a system prompt and one message is
  // more than its token-counting examples show, on text our approximation counts exactly.
  billing.server().Post("/v1/messages", [&](const httplib::Request& req, httplib::Response& res) {
    auto body = nlohmann::json::parse(req.body);
    int64_t in = 12;
    for (const auto& t : text_of(body)) in += static_cast<int64_t>(approx.count(t));
    res.set_content(testing::anthropic_stream({reply}, in, body["max_tokens"].get<int64_t>()), "text/event-stream");
  });
  billing.start();
  ASSERT_TRUE(store::Database::open(ws.path() / ".sluice/state.db", store::all_migrations()));

  struct Case {
    ProviderKind kind;
    const char* model;
    const TokenCounter* counter;
    int64_t text_tokens;  // system + prompt as counted
    int64_t billed_framing;
  };
  // spec(): "You write Kubernetes manifests." + "Generate a Service. Password: [REDACTED:DB_PASSWORD]"
  for (const Case& c : {Case{ProviderKind::openai, "gpt-4o-mini", &exact_words, 9, 9},
                        Case{ProviderKind::anthropic, "claude-sonnet-4-5", &approx, 21, 12}}) {
    SCOPED_TRACE(c.model);
    const std::string run = fmt::format("run-{}", c.model);
    LlmConfig cfg;
    cfg.providers.push_back({"default", c.kind, billing.url() + "/v1", "OPENAI_API_KEY", c.model, Price{10.0, 1.0, {}, {}},
                             "", {}});
    // Reserving the text alone (plus the 25% margin of an approximate count) would admit a 7th
    // call whatever the interleaving (6 calls cost at most 6 x billed), and 7 x billed is past
    // the cap.
    const int64_t text_reserve = c.counter->exact() ? c.text_tokens : c.text_tokens + (c.text_tokens + 3) / 4;
    const double text_only = cost_usd(Price{10.0, 1.0, {}, {}}, text_reserve, 100);
    const double billed = cost_usd(Price{10.0, 1.0, {}, {}}, c.text_tokens + c.billed_framing, 100);
    ASSERT_GT(billed, text_only);
    cfg.budget.per_run_usd = 6 * billed + text_only + 1e-9;
    std::atomic<int> ok{0}, refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 10; ++i)
      threads.emplace_back([&, i] {
        auto ctx = context(fmt::format("stage{}", i));
        ctx.run_id = run;
        ctx.counter = c.counter;
        auto s = spec();
        s.cache = CacheMode::off;
        s.output->path = fmt::format("out/{}/{}.yaml", c.model, i);
        auto r = run_llm_stage(s, cfg, ctx);
        if (r) ++ok;
        else if (r.error().code == ErrorCode::budget) ++refused;
        else ADD_FAILURE() << r.error().message;
      });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok + refused, 10);
    EXPECT_GE(ok.load(), 1);
    auto db = store::Database::open(ws.path() / ".sluice/state.db", store::all_migrations());
    ASSERT_TRUE(db);
    auto q = (*db)->prepare("SELECT SUM(cost_usd), COUNT(*) FROM llm_ledger WHERE state = 'settled' AND run_id = ?");
    ASSERT_TRUE(q);
    q->bind(1, run);
    ASSERT_TRUE(*q->step());
    EXPECT_EQ(q->column_int(1), ok.load());
    EXPECT_LE(q->column_double(0), *cfg.budget.per_run_usd) << ok.load() << " calls settled at $" << billed << " each";
  }
}

TEST_F(RunnerTest, InputLimitFailsBeforeTheCallOrTruncatesContext) {
  std::string big;
  for (int i = 0; i < 500; ++i) big += "word ";
  ASSERT_TRUE(base::atomic_write(ws.path() / "ctx/big.txt", big));
  auto s = spec();
  s.context = {"ctx/*.txt"};
  s.max_input_tokens = 100;
  auto ctx = context();
  auto r = run_llm_stage(s, config(), ctx);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("over max_input_tokens 100"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("truncate_context: true"), std::string::npos);
  EXPECT_EQ(calls, 0);
  s.truncate_context = true;
  auto t = run_llm_stage(s, config(), ctx);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_TRUE(t->context_truncated);
  ASSERT_EQ(bodies.size(), 1u);
  auto body = nlohmann::json::parse(bodies[0]);
  std::string sent = body["messages"][0]["content"].get<std::string>() + " " + body["messages"][1]["content"].get<std::string>();
  EXPECT_LE(counter.count(sent), 100u);
  EXPECT_NE(sent.find("context truncated by sluice"), std::string::npos);
}

TEST_F(RunnerTest, GuardRefusesEscapingPathsAndBadOutput) {
  base::TempDir outside;
  fs::create_directory_symlink(outside.path(), ws.path() / "link");
  auto ctx = context();
  for (std::string p : {"/tmp/x.yaml", "../x.yaml", "link/x.yaml"}) {
    auto s = spec();
    s.output->path = p;
    auto r = run_llm_stage(s, config(), ctx);
    ASSERT_FALSE(r) << p;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_input) << r.error().message;
  }
  EXPECT_EQ(calls, 0);  // refused before spending anything
  EXPECT_TRUE(fs::is_empty(outside.path()));

  reply = "Sure! Here it is:\n```yaml\nkey: [unclosed\n```";
  auto bad = run_llm_stage(spec(), config(), ctx);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not valid YAML"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(fs::exists(ws.path() / "k8s/generated/app.yaml"));
  reply = "```yaml\n" + k_manifest + "```\n";
  auto good = run_llm_stage(spec(), config(), ctx);
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_FALSE(good->cache_hit);  // the bad reply was not cached
}

TEST_F(RunnerTest, CancelWhileQueued) {
  ConcurrencyGate one(1);
  auto held = one.acquire(nullptr);
  ASSERT_TRUE(held);
  std::atomic<bool> cancel{false};
  auto ctx = context();
  ctx.gate = &one;
  ctx.cancel = &cancel;
  std::thread t([&] {
    std::this_thread::sleep_for(50ms);
    cancel = true;
  });
  auto r = run_llm_stage(spec(), config(budget_with(&BudgetConfig::max_calls_per_run, 1)), ctx);
  t.join();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cancelled"), std::string::npos);
  EXPECT_EQ(calls, 0);
  // The reservation was released: the single allowed call is still available.
  ctx.gate = &gate;
  ctx.cancel = nullptr;
  EXPECT_TRUE(run_llm_stage(spec(), config(budget_with(&BudgetConfig::max_calls_per_run, 1)), ctx));
}

// `timeout` is the stage's: queueing for a slot counts, and a call that started late gets only
// what is left.
TEST_F(RunnerTest, TimeoutCoversQueueingAndTheCall) {
  ConcurrencyGate one(1);
  auto ctx = context();
  ctx.gate = &one;
  auto s = spec();
  s.cache = CacheMode::off;
  s.timeout = 400ms;
  {
    // Never freed in time: the stage gives up at its deadline, not when the slot frees.
    auto held = one.acquire(nullptr);
    ASSERT_TRUE(held);
    std::thread freer([&held] {
      std::this_thread::sleep_for(3000ms);
      auto gone = std::move(*held);
    });
    auto t = clock.now();
    auto r = run_llm_stage(s, config(budget_with(&BudgetConfig::max_calls_per_run, 1)), ctx);
    const double ms = std::chrono::duration<double, std::milli>(clock.now() - t).count();
    freer.join();
    ASSERT_FALSE(r);
    EXPECT_LT(ms, 2500);  // well before the slot frees (loose: sanitizer builds on loaded machines)
    EXPECT_NE(r.error().message.find("timed out after 400 ms"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("max_concurrency slot"), std::string::npos) << r.error().message;
    EXPECT_EQ(calls, 0);
  }
  {
    // 250 ms in the queue, then a server that takes 250 ms: together past the 400 ms.
    delay_ms = 250;
    auto held = one.acquire(nullptr);
    ASSERT_TRUE(held);
    std::thread freer([&held] {
      std::this_thread::sleep_for(250ms);
      auto gone = std::move(*held);
    });
    auto t = clock.now();
    auto r = run_llm_stage(s, config(budget_with(&BudgetConfig::max_calls_per_run, 1)), ctx);
    const double ms = std::chrono::duration<double, std::milli>(clock.now() - t).count();
    freer.join();
    // Each part alone is within the 400 ms: only a deadline over the whole stage fails it. The
    // time bound is loose on purpose; the failure itself is what a per-call timeout would not give.
    ASSERT_FALSE(r);
    EXPECT_LT(ms, 2000);
    EXPECT_NE(r.error().message.find("timed out after 400 ms"), std::string::npos) << r.error().message;
    EXPECT_EQ(calls, 1);
  }
  // Both reservations were released: the one allowed call is still there.
  delay_ms = 0;
  EXPECT_TRUE(run_llm_stage(s, config(budget_with(&BudgetConfig::max_calls_per_run, 1)), ctx));
}

// The demo's cassette must answer the demo's stage exactly as configured in the docs.
TEST(DemoCassette, ReplaysTheAiDeployManifest) {
  const char* src = std::getenv("SLUICE_SOURCE_DIR");
  if (src == nullptr) GTEST_SKIP() << "SLUICE_SOURCE_DIR is not set (ctest sets it)";
  fs::path demo = fs::path(src) / "examples/ai-deploy";
  base::TempDir ws;
  for (const char* dir : {"prompts", "cassettes", "k8s/base"}) {
    fs::create_directories(ws.path() / dir);
    fs::copy(demo / dir, ws.path() / dir, fs::copy_options::recursive);
  }
  auto docs = base::yaml::parse(R"(llm:
  providers:
    default: { kind: openai, base_url: "https://api.openai.com/v1", api_key_env: OPENAI_API_KEY, model: gpt-4o-mini }
    offline: { kind: replay, cassettes: cassettes, model: gpt-4o-mini }
  budget: { per_run_usd: 0.50, per_day_usd: 5, max_calls_per_run: 10, max_tokens_per_run: 100000 }
  max_concurrency: 2
stage:
  provider: offline
  system: "You write production-ready Kubernetes manifests. Reply with YAML only."
  prompt_file: prompts/manifest.md
  max_input_tokens: 8000
  max_output_tokens: 2000
  temperature: 0
  output: { path: k8s/generated/app.yaml, format: yaml }
)", "sluice.yml");
  ASSERT_TRUE(docs) << docs.error().message;
  auto cfg = parse_llm_config(*(*docs)[0].root.find("llm"), "sluice.yml");
  ASSERT_TRUE(cfg);
  auto spec = parse_llm_stage(*(*docs)[0].root.find("stage"), "sluice.yml");
  ASSERT_TRUE(spec);
  standin::WhitespaceTokenCounter counter;
  standin::KnownValueRedactor redactor{{}};
  base::SystemClock clock;
  ConcurrencyGate gate(2);
  LlmStageContext ctx;
  ctx.workspace = ws.path();
  ctx.run_id = "demo";
  ctx.stage = "manifests";
  ctx.state_db = ws.path() / ".sluice/state.db";
  ctx.counter = &counter;
  ctx.redactor = &redactor;
  ctx.clock = &clock;
  ctx.gate = &gate;
  auto r = run_llm_stage(*spec, *cfg, ctx);
  ASSERT_TRUE(r) << r.error().message;
  auto out = base::read_file(ws.path() / "k8s/generated/app.yaml");
  ASSERT_TRUE(out);
  for (const char* want : {"kind: Deployment", "kind: Service", "readinessProbe", "runAsNonRoot: true", "resources"})
    EXPECT_NE(out->find(want), std::string::npos) << want;
  auto second = run_llm_stage(*spec, *cfg, ctx);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->cache_hit);
}

}  // namespace
}  // namespace sluice::llm

TEST(LlmStageResultJson, DetailsAreOneJsonObjectWithTheLimitsThatAreSet) {
  using namespace sluice::llm;
  LlmStageResult r;
  r.provider = "p";
  r.model = "m";
  r.cost_usd = 0.25;
  auto plain = nlohmann::json::parse(r.to_json());
  EXPECT_FALSE(plain.contains("budget"));
  EXPECT_EQ(plain["cost_usd"], 0.25);
  BudgetConfig none;
  EXPECT_FALSE(nlohmann::json::parse(r.to_json(&none)).contains("budget"));
  BudgetConfig limits;
  limits.per_run_usd = 2.0;
  limits.max_calls_per_run = 5;
  auto with = nlohmann::json::parse(r.to_json(&limits));
  EXPECT_EQ(with["budget"], (nlohmann::json{{"per_run_usd", 2.0}, {"max_calls_per_run", 5}}));
  EXPECT_EQ(with["output"], nullptr);
}
