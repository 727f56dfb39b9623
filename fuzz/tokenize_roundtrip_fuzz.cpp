// libFuzzer: for arbitrary bytes, decode(encode(x)) == x and count(x) == encode(x).size(), for
// both encodings, with and without special tokens; truncate keeps its contract.
// Needs the rank files: $SLUICE_TIKTOKEN_DIR or ~/.cache/sluice/tiktoken.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "tokenize/encoder.h"

namespace {

using sluice::tokenize::AllowedSpecial;
using sluice::tokenize::Encoder;

const Encoder& load(const char* name) {
  static const std::filesystem::path dir = [] {
    const char* env = std::getenv("SLUICE_TIKTOKEN_DIR");
    if (env != nullptr && *env != '\0') return std::filesystem::path(env);
    const char* home = std::getenv("HOME");
    return std::filesystem::path(home ? home : "/") / ".cache/sluice/tiktoken";
  }();
  auto enc = sluice::tokenize::load_encoding(name, dir);
  if (!enc) {
    std::fprintf(stderr, "%s\n", enc.error().message.c_str());
    std::abort();
  }
  return *new Encoder(std::move(*enc));  // lives for the whole fuzzing run
}

void check(const Encoder& enc, std::string_view text, AllowedSpecial allowed) {
  const auto ids = enc.encode(text, allowed);
  if (enc.count(text, allowed) != ids.size()) std::abort();
  auto back = enc.decode(ids);
  if (!back || *back != text) std::abort();
  const std::size_t max = ids.size() / 2;
  const auto cut = enc.truncate(text, max, allowed);
  if (cut.tokens > max || cut.tokens != enc.count(cut.text, allowed) || text.substr(0, cut.text.size()) != cut.text) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Encoder& cl100k = load("cl100k_base");
  static const Encoder& o200k = load("o200k_base");
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const Encoder* enc : {&cl100k, &o200k}) {
    check(*enc, text, AllowedSpecial::none());
    check(*enc, text, AllowedSpecial::all());
  }
  return 0;
}
