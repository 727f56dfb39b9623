#pragma once
// Test-only: a real HTTP server on 127.0.0.1 (ephemeral port) speaking the OpenAI and Anthropic
// streaming wire formats, for llm's tests and benchmarks. Handlers are installed per test.

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace sluice::llm::testing {

class TestServer {
 public:
  TestServer() {
    m_port = m_server.bind_to_any_port("127.0.0.1");
  }
  ~TestServer() { stop(); }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  httplib::Server& server() { return m_server; }
  void start() {
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    while (!m_server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void stop() {
    m_stopping = true;
    m_server.stop();
    if (m_thread.joinable()) m_thread.join();
  }
  [[nodiscard]] std::string url() const { return fmt::format("http://127.0.0.1:{}", m_port); }
  [[nodiscard]] int port() const { return m_port; }
  // True once stop() began: long-running handlers poll it.
  [[nodiscard]] bool stopping() const { return m_stopping; }

 private:
  httplib::Server m_server;
  std::thread m_thread;
  int m_port = 0;
  std::atomic<bool> m_stopping{false};
};

inline std::string openai_chunk(const std::string& content, const char* finish = nullptr) {
  nlohmann::json j = {{"id", "chatcmpl-1"}, {"object", "chat.completion.chunk"}, {"model", "gpt-4o-mini-2024-07-18"}};
  nlohmann::json choice = {{"index", 0}, {"delta", {{"content", content}}}, {"finish_reason", nullptr}};
  if (finish != nullptr) {
    choice["delta"] = nlohmann::json::object();
    choice["finish_reason"] = finish;
  }
  j["choices"] = nlohmann::json::array({choice});
  return "data: " + j.dump() + "\n\n";
}

inline std::string openai_usage(int64_t in, int64_t out) {
  nlohmann::json j = {{"id", "chatcmpl-1"}, {"object", "chat.completion.chunk"}, {"model", "gpt-4o-mini-2024-07-18"},
                      {"choices", nlohmann::json::array()},
                      {"usage", {{"prompt_tokens", in}, {"completion_tokens", out}, {"total_tokens", in + out}}}};
  return "data: " + j.dump() + "\n\n";
}

// A whole Chat Completions stream: the text in pieces, finish, usage, [DONE].
inline std::string openai_stream(const std::vector<std::string>& pieces, int64_t in, int64_t out) {
  std::string s;
  for (const auto& p : pieces) s += openai_chunk(p);
  s += openai_chunk("", "stop");
  s += openai_usage(in, out);
  s += "data: [DONE]\n\n";
  return s;
}

inline std::string anthropic_stream(const std::vector<std::string>& pieces, int64_t in, int64_t out) {
  auto ev = [](const char* name, const nlohmann::json& j) {
    return fmt::format("event: {}\ndata: {}\n\n", name, j.dump());
  };
  std::string s = ev("message_start", {{"type", "message_start"},
                                       {"message", {{"id", "msg_1"}, {"type", "message"}, {"role", "assistant"},
                                                    {"model", "claude-sonnet-4-5-20250929"},
                                                    {"content", nlohmann::json::array()},
                                                    {"usage", {{"input_tokens", in}, {"output_tokens", 1}}}}}});
  s += ev("content_block_start", {{"type", "content_block_start"}, {"index", 0},
                                  {"content_block", {{"type", "text"}, {"text", ""}}}});
  s += ev("ping", {{"type", "ping"}});
  for (const auto& p : pieces)
    s += ev("content_block_delta",
            {{"type", "content_block_delta"}, {"index", 0}, {"delta", {{"type", "text_delta"}, {"text", p}}}});
  s += ev("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}});
  s += ev("message_delta", {{"type", "message_delta"},
                            {"delta", {{"stop_reason", "end_turn"}, {"stop_sequence", nullptr}}},
                            {"usage", {{"output_tokens", out}}}});
  s += ev("message_stop", {{"type", "message_stop"}});
  return s;
}

}  // namespace sluice::llm::testing
