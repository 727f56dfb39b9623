#include "llm/prices.h"

#include <algorithm>
#include <array>

namespace sluice::llm {

namespace {
// Sources: openai.com/api/pricing and anthropic.com/pricing (standard tier, no batch
// discounts). Cached input: OpenAI's "cached input" column (no charge for writing); Anthropic's
// cache hits (0.1x input) and 5-minute cache writes (1.25x input). Approximate; check the vendor
// before relying on a figure.
constexpr std::array<ModelPrice, 16> k_prices = {{
    {"gpt-4o-mini", {0.15, 0.60, 0.075, std::nullopt}},
    {"gpt-4o", {2.50, 10.00, 1.25, std::nullopt}},
    {"gpt-4.1-nano", {0.10, 0.40, 0.025, std::nullopt}},
    {"gpt-4.1-mini", {0.40, 1.60, 0.10, std::nullopt}},
    {"gpt-4.1", {2.00, 8.00, 0.50, std::nullopt}},
    {"gpt-5-nano", {0.05, 0.40, 0.005, std::nullopt}},
    {"gpt-5-mini", {0.25, 2.00, 0.025, std::nullopt}},
    {"gpt-5", {1.25, 10.00, 0.125, std::nullopt}},
    {"o4-mini", {1.10, 4.40, 0.275, std::nullopt}},
    {"o3-mini", {1.10, 4.40, 0.55, std::nullopt}},
    {"o3", {2.00, 8.00, 0.50, std::nullopt}},
    {"claude-haiku-4-5", {1.00, 5.00, 0.10, 1.25}},
    {"claude-3-5-haiku", {0.80, 4.00, 0.08, 1.00}},
    {"claude-sonnet-4-5", {3.00, 15.00, 0.30, 3.75}},
    {"claude-sonnet-4", {3.00, 15.00, 0.30, 3.75}},
    {"claude-opus-4-1", {15.00, 75.00, 1.50, 18.75}},
}};
}  // namespace

std::span<const ModelPrice> default_prices() { return k_prices; }

std::optional<Price> price_for(const ProviderConfig& provider, std::string_view model) {
  if (provider.price) return provider.price;
  if (provider.kind == ProviderKind::replay) return Price{};
  const ModelPrice* best = nullptr;
  for (const auto& p : k_prices)
    if (model.substr(0, p.model.size()) == p.model && (best == nullptr || p.model.size() > best->model.size()))
      best = &p;
  if (best == nullptr) return std::nullopt;
  return best->price;
}

double cost_usd(const Price& price, int64_t tokens_in, int64_t tokens_out) {
  return (static_cast<double>(tokens_in) * price.input_per_mtok +
          static_cast<double>(tokens_out) * price.output_per_mtok) / 1e6;
}

double cost_usd(const Price& price, const Usage& u) {
  const int64_t cached = std::clamp<int64_t>(u.cached_in, 0, u.tokens_in);
  const int64_t written = std::clamp<int64_t>(u.cache_write_in, 0, u.tokens_in - cached);
  const int64_t plain = u.tokens_in - cached - written;
  return (static_cast<double>(plain) * price.input_per_mtok +
          static_cast<double>(cached) * price.cached_input_per_mtok.value_or(price.input_per_mtok) +
          static_cast<double>(written) * price.cache_write_per_mtok.value_or(price.input_per_mtok) +
          static_cast<double>(u.tokens_out) * price.output_per_mtok) / 1e6;
}

int64_t chat_overhead_tokens(ProviderKind kind, bool exact_tokenizer, int64_t messages) {
  if (kind == ProviderKind::openai && exact_tokenizer) return 3 * messages + 3;
  return 8 * messages + 16;
}

}  // namespace sluice::llm
