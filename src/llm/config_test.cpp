#include <gtest/gtest.h>

#include "base/yaml.h"
#include "llm/config.h"
#include "llm/prices.h"

namespace sluice::llm {
namespace {

base::yaml::Node parse(std::string_view text) {
  auto docs = base::yaml::parse(text, "sluice.yml");
  EXPECT_TRUE(docs) << docs.error().message;
  return (*docs)[0].root;
}

std::string joined(const base::Diagnostics& d) {
  std::string s;
  for (const auto& x : d) s += x.to_string() + "\n";
  return s;
}

constexpr const char* k_issue_example = R"(llm:
  providers:
    default: { kind: openai, base_url: "https://api.openai.com/v1", api_key_env: OPENAI_API_KEY,
               model: gpt-4o-mini, price: { input_per_mtok: 0.15, output_per_mtok: 0.60 } }
    claude:  { kind: anthropic, api_key_env: ANTHROPIC_API_KEY, model: claude-sonnet-4-5 }
    offline: { kind: replay, cassettes: examples/ai-deploy/cassettes, model: gpt-4o-mini }
  budget: { per_run_usd: 0.50, per_day_usd: 20, max_calls_per_run: 20, max_tokens_per_run: 200000 }
  max_concurrency: 4
)";

TEST(LlmConfig, ParsesTheIssueExample) {
  auto root = parse(k_issue_example);
  auto cfg = parse_llm_config(*root.find("llm"), "sluice.yml");
  ASSERT_TRUE(cfg) << joined(cfg.error());
  ASSERT_EQ(cfg->providers.size(), 3u);
  const auto* d = cfg->find_provider("default");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, ProviderKind::openai);
  EXPECT_EQ(d->api_key_env, "OPENAI_API_KEY");
  EXPECT_DOUBLE_EQ(d->price->output_per_mtok, 0.60);
  const auto* c = cfg->find_provider("claude");
  EXPECT_EQ(c->kind, ProviderKind::anthropic);
  EXPECT_EQ(c->base_url, "https://api.anthropic.com/v1");
  EXPECT_EQ(cfg->find_provider("offline")->cassettes, "examples/ai-deploy/cassettes");
  EXPECT_DOUBLE_EQ(*cfg->budget.per_run_usd, 0.50);
  EXPECT_EQ(*cfg->budget.max_tokens_per_run, 200000);
  EXPECT_EQ(cfg->max_concurrency, 4);
  // The default table prices claude-sonnet-4-5; configured prices win.
  EXPECT_DOUBLE_EQ(price_for(*c, c->model)->input_per_mtok, 3.00);
  EXPECT_DOUBLE_EQ(price_for(*d, "gpt-4o-mini")->input_per_mtok, 0.15);
  ProviderConfig local;
  local.model = "my-local-llama";
  EXPECT_FALSE(price_for(local, local.model));
}

TEST(LlmConfig, CollectsEveryProblemWithPositionsAndSuggestions) {
  auto root = parse(R"(llm:
  providers:
    default: { kind: opnai, model: gpt-4o-mini, api_key_envv: X }
    offline: { kind: replay, model: m }
  budjet: { per_run_usd: 1 }
  max_concurrency: 0
)");
  auto cfg = parse_llm_config(*root.find("llm"), "sluice.yml");
  ASSERT_FALSE(cfg);
  std::string all = joined(cfg.error());
  EXPECT_NE(all.find("sluice.yml:3:22: unknown provider kind \"opnai\""), std::string::npos) << all;
  EXPECT_NE(all.find("(did you mean \"openai\"?)"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown key \"api_key_envv\" (did you mean \"api_key_env\"?)"),
            std::string::npos) << all;
  EXPECT_NE(all.find("sluice.yml:5:3: unknown key \"budjet\" (did you mean \"budget\"?)"), std::string::npos) << all;
  EXPECT_NE(all.find("replay provider \"offline\" needs cassettes:"), std::string::npos) << all;
  EXPECT_NE(all.find("sluice.yml:6:20: \"max_concurrency\" must be an integer >= 1"), std::string::npos) << all;
  EXPECT_EQ(cfg.error().size(), 5u) << all;
}

TEST(LlmStage, ParsesTheIssueStage) {
  auto root = parse(R"(llm:
  provider: default
  system: "You write Kubernetes manifests."
  prompt_file: prompts/manifest.md
  context: ["k8s/base/*.yaml"]
  max_input_tokens: 8000
  max_output_tokens: 2000
  temperature: 0
  output: { path: k8s/generated/app.yaml, format: yaml }
  timeout: 90s
  retries: 2
)");
  auto s = parse_llm_stage(*root.find("llm"), "sluice.yml");
  ASSERT_TRUE(s) << joined(s.error());
  EXPECT_EQ(s->provider, "default");
  EXPECT_EQ(s->prompt_file, "prompts/manifest.md");
  ASSERT_EQ(s->context.size(), 1u);
  EXPECT_EQ(*s->max_input_tokens, 8000);
  EXPECT_EQ(s->max_output_tokens, 2000);
  EXPECT_EQ(s->output->format, OutputFormat::yaml);
  EXPECT_EQ(s->output->path, "k8s/generated/app.yaml");
  EXPECT_EQ(s->timeout, std::chrono::seconds(90));
  EXPECT_EQ(s->retries, 2);
  EXPECT_EQ(s->cache, CacheMode::automatic);
}

TEST(LlmStage, ReportsBadStageKeys) {
  auto root = parse(R"(llm:
  prompt: hi
  prompt_file: p.md
  temperture: 0
  output: { path: out.json, format: xml, schema: { type: object } }
  cache: sometimes
  timeout: 10
)");
  auto s = parse_llm_stage(*root.find("llm"), "sluice.yml");
  ASSERT_FALSE(s);
  std::string all = joined(s.error());
  EXPECT_NE(all.find("sluice.yml:3:16: give prompt or prompt_file, not both"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown key \"temperture\" (did you mean \"temperature\"?)"), std::string::npos) << all;
  EXPECT_NE(all.find("output.format must be yaml, json or text, got \"xml\""), std::string::npos) << all;
  EXPECT_NE(all.find("cache must be auto, on or off"), std::string::npos) << all;
  EXPECT_NE(all.find("sluice.yml:7:12: \"timeout\": invalid duration"), std::string::npos) << all;
}

TEST(LlmStage, OnTruncationIsFailByDefaultWarnOnRequestAndCheckedWithItsPosition) {
  auto root = parse("llm:\n  prompt: hi\n");
  auto s = parse_llm_stage(*root.find("llm"), "sluice.yml");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->on_truncation, TruncationPolicy::fail);
  root = parse("llm:\n  prompt: hi\n  on_truncation: warn\n");
  s = parse_llm_stage(*root.find("llm"), "sluice.yml");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->on_truncation, TruncationPolicy::warn);
  root = parse("llm:\n  prompt: hi\n  on_truncation: ignore\n  on_truncaton: warn\n");
  s = parse_llm_stage(*root.find("llm"), "sluice.yml");
  ASSERT_FALSE(s);
  std::string all = joined(s.error());
  EXPECT_NE(all.find("sluice.yml:3:18: on_truncation must be fail or warn, got \"ignore\""), std::string::npos) << all;
  EXPECT_NE(all.find("(did you mean \"on_truncation\"?)"), std::string::npos) << all;
}

TEST(LlmConfig, ParsesCachedTokenPricesAndPromptCache) {
  auto root = parse(R"(llm:
  providers:
    default: { kind: anthropic, model: m, price: { input_per_mtok: 3, output_per_mtok: 15,
               cached_input_per_mtok: 0.3, cache_write_per_mtok: 3.75 } }
    other: { kind: openai, model: m, price: { input_per_mtok: 1, output_per_mtok: 2, cache_read_per_mtok: 1 } }
)");
  auto c = parse_llm_config(*root.find("llm"), "sluice.yml");
  ASSERT_FALSE(c);
  std::string all = joined(c.error());
  EXPECT_NE(all.find("sluice.yml:5:"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown key \"cache_read_per_mtok\""), std::string::npos) << all;
  root = parse(R"(llm:
  providers:
    default: { kind: anthropic, model: m, price: { input_per_mtok: 3, output_per_mtok: 15,
               cached_input_per_mtok: 0.3, cache_write_per_mtok: 3.75 } }
)");
  c = parse_llm_config(*root.find("llm"), "sluice.yml");
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_EQ(c->providers[0].price->cached_input_per_mtok, 0.3);
  EXPECT_EQ(c->providers[0].price->cache_write_per_mtok, 3.75);
  auto st = parse("llm:\n  prompt: hi\n  prompt_cache: true\n");
  auto s = parse_llm_stage(*st.find("llm"), "sluice.yml");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->prompt_cache);
  st = parse("llm:\n  prompt: hi\n  prompt_cache: maybe\n");
  s = parse_llm_stage(*st.find("llm"), "sluice.yml");
  ASSERT_FALSE(s);
  EXPECT_NE(joined(s.error()).find("sluice.yml:3:17: prompt_cache must be true or false"), std::string::npos)
      << joined(s.error());
}

TEST(LlmStage, FallbackProvidersAreCheckedWithPositions) {
  auto cfg_root = parse(k_issue_example);
  auto cfg = parse_llm_config(*cfg_root.find("llm"), "sluice.yml");
  ASSERT_TRUE(cfg);
  auto root = parse("llm:\n  prompt: hi\n  fallback: [claude, claud]\n");
  auto s = parse_llm_stage(*root.find("llm"), "sluice.yml");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->fallback, (std::vector<std::string>{"claude", "claud"}));
  std::string all = joined(validate_llm_stage(*s, *cfg, "sluice.yml"));
  EXPECT_NE(all.find("sluice.yml:3:22: unknown fallback provider \"claud\" (did you mean \"claude\"?)"),
            std::string::npos) << all;
}

TEST(LlmStage, RepairIsOneByDefaultAndAtMostThree) {
  auto root = parse("llm:\n  prompt: hi\n");
  auto s = parse_llm_stage(*root.find("llm"), "sluice.yml");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->repair, 1);
  root = parse("llm:\n  prompt: hi\n  repair: 4\n");
  s = parse_llm_stage(*root.find("llm"), "sluice.yml");
  ASSERT_FALSE(s);
  EXPECT_NE(joined(s.error()).find("sluice.yml:3:11: repair must be between 0 and 3, got 4"), std::string::npos)
      << joined(s.error());
}

TEST(LlmStage, ValidatesTheProviderNameAgainstTheConfig) {
  auto root = parse(k_issue_example);
  auto cfg = parse_llm_config(*root.find("llm"), "sluice.yml");
  ASSERT_TRUE(cfg);
  auto stage_root = parse("llm:\n  provider: ofline\n  prompt: hi\n");
  auto s = parse_llm_stage(*stage_root.find("llm"), "sluice.yml");
  ASSERT_TRUE(s);
  auto d = validate_llm_stage(*s, *cfg, "sluice.yml");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].to_string(), "sluice.yml:2:13: unknown provider \"ofline\" (did you mean \"offline\"?)");
}

}  // namespace
}  // namespace sluice::llm
