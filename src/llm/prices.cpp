#include "llm/prices.h"

#include <array>

namespace sluice::llm {

namespace {
// Sources: openai.com/api/pricing and anthropic.com/pricing (standard tier, no batch or cache
// discounts). Approximate; check the vendor before relying on a figure.
constexpr std::array<ModelPrice, 16> k_prices = {{
    {"gpt-4o-mini", {0.15, 0.60}},
    {"gpt-4o", {2.50, 10.00}},
    {"gpt-4.1-nano", {0.10, 0.40}},
    {"gpt-4.1-mini", {0.40, 1.60}},
    {"gpt-4.1", {2.00, 8.00}},
    {"gpt-5-nano", {0.05, 0.40}},
    {"gpt-5-mini", {0.25, 2.00}},
    {"gpt-5", {1.25, 10.00}},
    {"o4-mini", {1.10, 4.40}},
    {"o3-mini", {1.10, 4.40}},
    {"o3", {2.00, 8.00}},
    {"claude-haiku-4-5", {1.00, 5.00}},
    {"claude-3-5-haiku", {0.80, 4.00}},
    {"claude-sonnet-4-5", {3.00, 15.00}},
    {"claude-sonnet-4", {3.00, 15.00}},
    {"claude-opus-4-1", {15.00, 75.00}},
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

int64_t chat_overhead_tokens(ProviderKind kind, bool exact_tokenizer, int64_t messages) {
  if (kind == ProviderKind::openai && exact_tokenizer) return 3 * messages + 3;
  return 8 * messages + 16;
}

}  // namespace sluice::llm
