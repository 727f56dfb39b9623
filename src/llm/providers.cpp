// The HTTP providers (request bodies per wire format), replay from cassettes and recording.
#include <algorithm>
#include <cmath>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/hash.h"
#include "llm/http.h"
#include "llm/provider.h"

namespace sluice::llm {

using nlohmann::json;

namespace {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json request_params(const LlmRequest& r) {
  json j = {{"model", r.model}, {"max_tokens", r.max_output_tokens}, {"temperature", r.temperature}};
  if (r.top_p) j["top_p"] = *r.top_p;
  if (!r.stop.empty()) j["stop"] = r.stop;
  return j;
}

class OpenAiProvider final : public LlmProvider {
 public:
  OpenAiProvider(std::string base_url, std::string key, const base::Clock& clock)
      : m_url(std::move(base_url) + "/chat/completions"), m_key(std::move(key)), m_clock(clock) {}

  Expected<LlmResponse> complete(const LlmRequest& r, const CallOptions& options) override {
    json body = request_params(r);
    json messages = json::array();
    if (!r.system.empty()) messages.push_back({{"role", "system"}, {"content", r.system}});
    messages.push_back({{"role", "user"}, {"content", r.prompt}});
    body["messages"] = std::move(messages);
    if (!r.schema_json.empty())
      body["response_format"] = {{"type", "json_schema"},
                                 {"json_schema", {{"name", "output"}, {"schema", json::parse(r.schema_json)}, {"strict", true}}}};
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
    HttpCall call{m_url, {}, dump(body), WireFormat::openai, r.max_output_tokens};
    if (!m_key.empty()) call.headers.push_back("Authorization: Bearer " + m_key);
    return perform_with_retries(call, options, m_clock);
  }
  ProviderKind kind() const override { return ProviderKind::openai; }

 private:
  std::string m_url;
  std::string m_key;
  const base::Clock& m_clock;
};

class AnthropicProvider final : public LlmProvider {
 public:
  AnthropicProvider(std::string base_url, std::string key, const base::Clock& clock)
      : m_url(std::move(base_url) + "/messages"), m_key(std::move(key)), m_clock(clock) {}

  Expected<LlmResponse> complete(const LlmRequest& r, const CallOptions& options) override {
    json body = {{"model", r.model}, {"max_tokens", r.max_output_tokens}, {"temperature", r.temperature}};
    if (r.top_p) body["top_p"] = *r.top_p;
    if (!r.stop.empty()) body["stop_sequences"] = r.stop;
    if (!r.prompt_cache) {
      if (!r.system.empty()) body["system"] = r.system;
      body["messages"] = json::array({{{"role", "user"}, {"content", r.prompt}}});
    } else {
      // The stable part (system prompt, instructions and context) is cached; what follows the
      // context is not.
      const json cached = {{"type", "ephemeral"}};
      if (!r.system.empty())
        body["system"] = json::array({{{"type", "text"}, {"text", r.system}, {"cache_control", cached}}});
      const size_t cut = std::min(r.cache_prefix_bytes, r.prompt.size());
      json blocks = json::array();
      if (cut > 0) blocks.push_back({{"type", "text"}, {"text", r.prompt.substr(0, cut)}, {"cache_control", cached}});
      if (cut < r.prompt.size()) blocks.push_back({{"type", "text"}, {"text", r.prompt.substr(cut)}});
      body["messages"] = json::array({{{"role", "user"}, {"content", std::move(blocks)}}});
    }
    // Anthropic's structured output (generally available; no beta header): the reply's text is
    // JSON matching the schema.
    if (!r.schema_json.empty())
      body["output_config"] = {{"format", {{"type", "json_schema"}, {"schema", json::parse(r.schema_json)}}}};
    body["stream"] = true;
    HttpCall call{m_url, {"anthropic-version: 2023-06-01"}, dump(body), WireFormat::anthropic, r.max_output_tokens};
    if (!m_key.empty()) call.headers.push_back("x-api-key: " + m_key);
    return perform_with_retries(call, options, m_clock);
  }
  ProviderKind kind() const override { return ProviderKind::anthropic; }

 private:
  std::string m_url;
  std::string m_key;
  const base::Clock& m_clock;
};

json request_json(const LlmRequest& r) {
  json j = request_params(r);
  j["system"] = r.system;
  j["prompt"] = r.prompt;
  if (r.sample > 0) j["sample"] = r.sample;
  if (!r.schema_json.empty()) j["schema"] = json::parse(r.schema_json, nullptr, false);
  return j;
}

std::string summary(const LlmRequest& r) {
  std::string head;
  for (char c : std::string_view(r.prompt).substr(0, 60)) head.push_back(c == '\n' ? ' ' : c);
  return fmt::format("model {}, system {} bytes, prompt {} bytes starting \"{}{}\", max_output_tokens {}, temperature {}",
                     r.model, r.system.size(), r.prompt.size(), head, r.prompt.size() > 60 ? "..." : "",
                     r.max_output_tokens, r.temperature);
}

class ReplayProvider final : public LlmProvider {
 public:
  explicit ReplayProvider(std::filesystem::path dir) : m_dir(std::move(dir)) {}

  Expected<LlmResponse> complete(const LlmRequest& r, const CallOptions&) override {
    std::string key = cassette_key(r);
    auto file = m_dir / (key + ".json");
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
      return make_error(ErrorCode::not_found,
                        fmt::format("no cassette for this request: key {} (expected {}); request: {}. Record it "
                                    "with a real provider: sluice run --record",
                                    key, file.string(), summary(r)));
    auto text = base::read_file(file);
    if (!text) return tl::unexpected(text.error());
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("response") || !j["response"].is_object())
      return make_error(ErrorCode::integrity, fmt::format("cassette {} is not valid JSON with a response", file.string()));
    if (j.value("key", std::string()) != key)
      return make_error(ErrorCode::integrity, fmt::format("cassette {} holds key {}, not {}", file.string(),
                                                          j.value("key", std::string("(none)")), key));
    const json& resp = j["response"];
    LlmResponse out;
    out.text = resp.value("text", std::string());
    out.model = resp.value("model", r.model);
    out.finish_reason = resp.value("finish_reason", std::string());
    out.tokens_in = resp.value("tokens_in", int64_t{0});
    out.tokens_out = resp.value("tokens_out", int64_t{0});
    out.usage_reported = resp.value("usage_reported", false);
    out.cached_in = resp.value("cached_in", int64_t{0});
    out.cache_write_in = resp.value("cache_write_in", int64_t{0});
    return out;
  }
  ProviderKind kind() const override { return ProviderKind::replay; }

 private:
  std::filesystem::path m_dir;
};

class RecordingProvider final : public LlmProvider {
 public:
  RecordingProvider(std::unique_ptr<LlmProvider> inner, std::filesystem::path dir, const base::Clock& clock,
                    const Redactor* redactor)
      : m_inner(std::move(inner)), m_dir(std::move(dir)), m_clock(clock), m_redactor(redactor) {}

  Expected<LlmResponse> complete(const LlmRequest& r, const CallOptions& options) override {
    auto resp = m_inner->complete(r, options);
    if (!resp) return resp;
    if (m_redactor != nullptr) {
      resp->text = m_redactor->redact(resp->text);
      resp->model = m_redactor->redact(resp->model);
    }
    json j = {{"key", cassette_key(r)},
              {"recorded_with", to_string(m_inner->kind())},
              {"recorded_ms", m_clock.wall_ms()},
              {"request", request_json(r)},
              {"response",
               {{"text", resp->text},
                {"model", resp->model.empty() ? r.model : resp->model},
                {"finish_reason", resp->finish_reason},
                {"tokens_in", resp->tokens_in},
                {"tokens_out", resp->tokens_out},
                {"cached_in", resp->cached_in},
                {"cache_write_in", resp->cache_write_in},
                {"usage_reported", resp->usage_reported}}}};
    auto w = base::atomic_write(m_dir / (cassette_key(r) + ".json"), j.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
    if (!w) return tl::unexpected(w.error());
    return resp;
  }
  ProviderKind kind() const override { return m_inner->kind(); }

 private:
  std::unique_ptr<LlmProvider> m_inner;
  std::filesystem::path m_dir;
  const base::Clock& m_clock;
  const Redactor* m_redactor;
};

}  // namespace

std::string cassette_key(const LlmRequest& r) {
  base::Sha256 h;
  h.update_field("sluice-cassette-v1");
  h.update_field(r.model);
  h.update_field(r.system);
  h.update_field(r.prompt);
  h.update_field(std::to_string(r.max_output_tokens));
  h.update_field(fmt::format("{}", r.temperature));
  h.update_field(r.top_p ? fmt::format("{}", *r.top_p) : "-");
  for (const auto& s : r.stop) h.update_field(s);
  // Only when on, so cassettes recorded before the option keep their keys.
  if (r.prompt_cache) h.update_field(fmt::format("prompt_cache:{}", r.cache_prefix_bytes));
  if (r.sample > 0) h.update_field(fmt::format("sample:{}", r.sample));
  if (!r.schema_json.empty()) h.update_field("schema:" + base::sha256_hex(r.schema_json));
  return h.hex_digest().substr(0, 32);
}

std::unique_ptr<LlmProvider> make_openai_provider(std::string base_url, std::string api_key, const base::Clock& clock) {
  return std::make_unique<OpenAiProvider>(std::move(base_url), std::move(api_key), clock);
}
std::unique_ptr<LlmProvider> make_anthropic_provider(std::string base_url, std::string api_key,
                                                     const base::Clock& clock) {
  return std::make_unique<AnthropicProvider>(std::move(base_url), std::move(api_key), clock);
}
std::unique_ptr<LlmProvider> make_replay_provider(std::filesystem::path dir) {
  return std::make_unique<ReplayProvider>(std::move(dir));
}
std::unique_ptr<LlmProvider> make_recording_provider(std::unique_ptr<LlmProvider> inner, std::filesystem::path dir,
                                                     const base::Clock& clock, const Redactor* redactor) {
  return std::make_unique<RecordingProvider>(std::move(inner), std::move(dir), clock, redactor);
}

}  // namespace sluice::llm
