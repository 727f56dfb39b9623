#include "llm/stream.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sluice::llm {

using nlohmann::json;

void SseParser::feed(std::string_view bytes) {
  if (bytes.empty()) return;
  size_t start = 0;
  // A CR at the end of the previous chunk may be half of a CRLF.
  if (m_last_cr && !bytes.empty() && bytes[0] == '\n') start = 1;
  m_last_cr = false;
  for (size_t i = start; i < bytes.size(); ++i) {
    char c = bytes[i];
    if (c != '\n' && c != '\r') continue;
    if (m_buf.empty()) {
      line(bytes.substr(start, i - start));
    } else {
      m_buf.append(bytes.substr(start, i - start));
      line(m_buf);
      m_buf.clear();
    }
    if (c == '\r') {
      if (i + 1 < bytes.size()) {
        if (bytes[i + 1] == '\n') ++i;
      } else {
        m_last_cr = true;
      }
    }
    start = i + 1;
  }
  m_buf.append(bytes.substr(std::min(start, bytes.size())));
}

void SseParser::finish() {
  if (!m_buf.empty()) {
    std::string rest = std::move(m_buf);
    m_buf.clear();
    line(rest);
  }
  line("");
}

void SseParser::line(std::string_view l) {
  if (l.empty()) {
    if (m_has_data) m_on_event(m_event.empty() ? std::string_view("message") : std::string_view(m_event), m_data);
    m_event.clear();
    m_data.clear();
    m_has_data = false;
    return;
  }
  if (l[0] == ':') return;
  size_t colon = l.find(':');
  std::string_view field = l.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : l.substr(colon + 1);
  if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (m_has_data) m_data.push_back('\n');
    m_data.append(value);
    m_has_data = true;
  } else if (field == "event") {
    m_event.assign(value);
  }
}

namespace {

std::string str_or(const json& j, const char* key) {
  auto it = j.find(key);
  if (it != j.end() && it->is_string()) return it->get<std::string>();
  return {};
}

std::optional<int64_t> int_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it != j.end() && it->is_number_integer()) return it->get<int64_t>();
  return std::nullopt;
}

std::string error_message(const json& j) {
  auto it = j.find("error");
  if (it == j.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    std::string m = str_or(*it, "message");
    std::string t = str_or(*it, "type");
    return t.empty() ? m : t + ": " + m;
  }
  return "error";
}

json parse(std::string_view data, StreamState& state) {
  json j = json::parse(data, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    state.error = fmt::format("malformed JSON in response stream: {}", error_excerpt(data));
  return j;
}

void openai_usage(const json& j, StreamState& state) {
  auto u = j.find("usage");
  if (u == j.end() || !u->is_object()) return;
  if (auto v = int_of(*u, "prompt_tokens")) state.tokens_in = v;
  if (auto v = int_of(*u, "completion_tokens")) state.tokens_out = v;
  if (auto d = u->find("prompt_tokens_details"); d != u->end() && d->is_object())
    if (auto v = int_of(*d, "cached_tokens")) state.cached_in = v;
}

void anthropic_usage(const json& u, StreamState& state) {
  if (auto v = int_of(u, "input_tokens")) state.tokens_in = v;
  if (auto v = int_of(u, "output_tokens")) state.tokens_out = v;
  if (auto v = int_of(u, "cache_read_input_tokens")) state.cached_in = v;
  if (auto v = int_of(u, "cache_creation_input_tokens")) state.cache_write_in = v;
}

}  // namespace

bool decode_openai_event(std::string_view data, StreamState& state) {
  if (data == "[DONE]") {
    state.done = true;
    return false;
  }
  json j = parse(data, state);
  if (!state.error.empty()) return false;
  if (auto e = error_message(j); !e.empty()) {
    state.error = "provider error in stream: " + e;
    return false;
  }
  if (auto m = str_or(j, "model"); !m.empty()) state.model = m;
  openai_usage(j, state);
  bool got = false;
  auto choices = j.find("choices");
  if (choices != j.end() && choices->is_array() && !choices->empty() && (*choices)[0].is_object()) {
    const json& c = (*choices)[0];
    if (auto d = c.find("delta"); d != c.end() && d->is_object()) {
      std::string t = str_or(*d, "content");
      got = !t.empty();
      state.text += t;
    }
    if (auto f = str_or(c, "finish_reason"); !f.empty()) state.finish_reason = f;
  }
  return got;
}

bool decode_anthropic_event(std::string_view event, std::string_view data, StreamState& state) {
  if (event == "ping") return false;
  json j = parse(data, state);
  if (!state.error.empty()) return false;
  std::string type = str_or(j, "type");
  if (type.empty()) type = std::string(event);
  if (type == "error") {
    state.error = "provider error in stream: " + error_message(j);
    return false;
  }
  if (type == "message_start") {
    auto m = j.find("message");
    if (m != j.end() && m->is_object()) {
      state.model = str_or(*m, "model");
      if (auto u = m->find("usage"); u != m->end() && u->is_object()) anthropic_usage(*u, state);
    }
  } else if (type == "content_block_delta") {
    auto d = j.find("delta");
    if (d != j.end() && d->is_object() && str_or(*d, "type") == "text_delta") {
      std::string t = str_or(*d, "text");
      state.text += t;
      return !t.empty();
    }
  } else if (type == "message_delta") {
    if (auto d = j.find("delta"); d != j.end() && d->is_object())
      if (auto r = str_or(*d, "stop_reason"); !r.empty()) state.finish_reason = r;
    if (auto u = j.find("usage"); u != j.end() && u->is_object()) anthropic_usage(*u, state);
  } else if (type == "message_stop") {
    state.done = true;
  }
  return false;
}

void decode_openai_body(std::string_view body, StreamState& state) {
  json j = parse(body, state);
  if (!state.error.empty()) return;
  if (auto e = error_message(j); !e.empty()) {
    state.error = "provider error: " + e;
    return;
  }
  state.model = str_or(j, "model");
  openai_usage(j, state);
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    state.error = "response has no choices: " + error_excerpt(body);
    return;
  }
  const json& c = (*choices)[0];
  if (auto m = c.find("message"); m != c.end() && m->is_object()) state.text = str_or(*m, "content");
  state.finish_reason = str_or(c, "finish_reason");
  state.done = true;
}

void decode_anthropic_body(std::string_view body, StreamState& state) {
  json j = parse(body, state);
  if (!state.error.empty()) return;
  if (str_or(j, "type") == "error") {
    state.error = "provider error: " + error_message(j);
    return;
  }
  state.model = str_or(j, "model");
  auto content = j.find("content");
  if (content == j.end() || !content->is_array()) {
    state.error = "response has no content: " + error_excerpt(body);
    return;
  }
  for (const auto& block : *content)
    if (block.is_object() && str_or(block, "type") == "text") state.text += str_or(block, "text");
  if (auto u = j.find("usage"); u != j.end() && u->is_object()) anthropic_usage(*u, state);
  state.finish_reason = str_or(j, "stop_reason");
  state.done = true;
}

std::string error_excerpt(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 300)) out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  if (body.size() > 300) out += "...";
  return out;
}

}  // namespace sluice::llm
