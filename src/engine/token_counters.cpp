#include "engine/token_counters.h"

#include <map>

#include "tokenize/encoder.h"

namespace sluice::engine {

std::optional<std::string> encoding_for_model(std::string_view model) {
  auto starts = [&](std::string_view p) { return model.substr(0, p.size()) == p; };
  for (std::string_view p : {"gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "gpt-oss"}) {
    if (starts(p)) return "o200k_base";
  }
  for (std::string_view p : {"gpt-4", "gpt-3.5", "text-embedding-3", "text-embedding-ada-002"}) {
    if (starts(p)) return "cl100k_base";
  }
  return std::nullopt;
}

namespace {
class EncoderCounter final : public llm::TokenCounter {
 public:
  EncoderCounter(std::shared_ptr<const tokenize::Encoder> enc, std::string name, bool exact)
      : m_enc(std::move(enc)), m_name(std::move(name)), m_exact(exact) {}
  size_t count(std::string_view text) const override { return m_enc->count(text); }
  size_t prefix_bytes(std::string_view text, size_t max_tokens) const override {
    return m_enc->truncate(text, max_tokens).text.size();
  }
  std::string name() const override { return m_name; }
  bool exact() const override { return m_exact; }

 private:
  std::shared_ptr<const tokenize::Encoder> m_enc;
  std::string m_name;
  bool m_exact;
};
}  // namespace

struct ModelTokenCounters::Impl {
  std::filesystem::path dir;
  std::filesystem::path markers;
  mutable std::mutex mu;
  std::map<std::string, std::shared_ptr<const tokenize::Encoder>> encoders;
  std::map<std::string, std::unique_ptr<EncoderCounter>> counters;  // key: encoding + exactness
  llm::ApproximateTokenCounter approximate;
  std::optional<std::string> error;
};

ModelTokenCounters::ModelTokenCounters(std::filesystem::path ranks_dir, std::filesystem::path markers_dir)
    : m_impl(std::make_unique<Impl>()) {
  m_impl->dir = std::move(ranks_dir);
  m_impl->markers = std::move(markers_dir);
}
ModelTokenCounters::~ModelTokenCounters() {
  if (m_prefetch.joinable()) m_prefetch.join();
}

void ModelTokenCounters::prefetch(std::vector<std::string> models) {
  if (m_prefetch.joinable()) m_prefetch.join();
  m_prefetch = std::thread([this, models = std::move(models)] {
    for (const auto& m : models) (void)for_model(m);
  });
}

const llm::TokenCounter& ModelTokenCounters::for_model(std::string_view model) {
  auto known = encoding_for_model(model);
  std::string encoding = known.value_or("o200k_base");
  std::string key = encoding + (known ? "" : "~");
  std::lock_guard lock(m_impl->mu);
  if (auto it = m_impl->counters.find(key); it != m_impl->counters.end()) return *it->second;
  if (m_impl->error) return m_impl->approximate;
  auto enc_it = m_impl->encoders.find(encoding);
  if (enc_it == m_impl->encoders.end()) {
    auto loaded = tokenize::load_encoding(encoding, tokenize::RankDir(m_impl->dir, m_impl->markers));
    if (!loaded) {
      m_impl->error = loaded.error().message;
      return m_impl->approximate;
    }
    enc_it = m_impl->encoders.emplace(encoding, std::make_shared<const tokenize::Encoder>(std::move(*loaded))).first;
  }
  auto counter = std::make_unique<EncoderCounter>(enc_it->second, known ? encoding : encoding + " (approximate)",
                                                  known.has_value());
  const llm::TokenCounter& ref = *counter;
  m_impl->counters.emplace(key, std::move(counter));
  return ref;
}

std::optional<std::string> ModelTokenCounters::load_error() const {
  std::lock_guard lock(m_impl->mu);
  return m_impl->error;
}

}  // namespace sluice::engine
