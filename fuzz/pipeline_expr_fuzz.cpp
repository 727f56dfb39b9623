// libFuzzer target: the `if:` / `${{ }}` expression parser and evaluator must never crash, leak
// or hang on any bytes (nesting is bounded), and a parsed expression always evaluates.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pipeline/expr.h"

namespace {
class AnyScope final : public sluice::pipeline::expr::Scope {
 public:
  std::optional<sluice::pipeline::expr::Value> lookup(const std::vector<std::string>& path) const override {
    if (path.size() == 2) return sluice::pipeline::expr::Value{path[1]};
    return std::nullopt;
  }
  bool changed(const std::vector<std::string>& globs) const override { return globs.size() % 2 == 1; }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto e = sluice::pipeline::expr::parse(text);
  if (e) (void)sluice::pipeline::expr::evaluate(*(*e)->root, AnyScope());
  auto ph = sluice::pipeline::expr::placeholders(text);
  (void)ph;
  return 0;
}
