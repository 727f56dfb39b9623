#pragma once
// Default prices of common models: approximate list prices in USD per million tokens, as the
// vendors published them on the date below. A provider's `price:` in sluice.yml overrides them.
// Unknown models have no default price (USD budgets then refuse to run; see runner).

#include <optional>
#include <span>
#include <string_view>

#include "llm/config.h"

namespace sluice::llm {

inline constexpr std::string_view k_price_table_date = "2025-10-01";

struct ModelPrice {
  std::string_view model;  // exact id; dated variants ("gpt-4o-2024-08-06") match by prefix
  Price price;
};

[[nodiscard]] std::span<const ModelPrice> default_prices();

// The provider's configured price, else the table's entry whose model is the longest prefix of
// `model`; replay providers cost nothing unless configured.
[[nodiscard]] std::optional<Price> price_for(const ProviderConfig& provider, std::string_view model);

[[nodiscard]] double cost_usd(const Price& price, int64_t tokens_in, int64_t tokens_out);

// What a call used, as the provider billed it. `tokens_in` is every input token, cached and
// cache-written ones included (OpenAI's prompt_tokens; Anthropic's input_tokens plus its two
// cache counts).
struct Usage {
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  int64_t cached_in = 0;       // read from the prompt cache
  int64_t cache_write_in = 0;  // written to the prompt cache
};
// Cached and cache-written tokens at their prices (input price when the Price has none).
[[nodiscard]] double cost_usd(const Price& price, const Usage& usage);

// Input tokens a provider bills for a chat request beyond the text of its `messages` (the
// system prompt counts as one): role and framing tokens, which the budget reserves on top of
// the counted text (docs/llm-stages.md, "Budgets and the ledger").
//  - openai with an exact tokenizer (OpenAI's own models): 3 a message plus 3 priming the
//    reply, as OpenAI documents for its chat format (tiktoken cookbook; sluice sends no `name`).
//  - anthropic (framing not published), replay, and openai-compatible servers running other
//    models (each chat template frames differently; Llama 3 uses 5 a message plus 5):
//    8 a message plus 16 a request, a conservative bound.
[[nodiscard]] int64_t chat_overhead_tokens(ProviderKind kind, bool exact_tokenizer, int64_t messages);

}  // namespace sluice::llm
