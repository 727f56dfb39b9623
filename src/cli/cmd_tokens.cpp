// `sluice tokens count|encode|decode|truncate`: the tokenize engine on the command line
// (docs/tokenizer.md).

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/files.h"
#include "cli/commands.h"
#include "cli/terminal.h"
#include "tokenize/encoder.h"

namespace sluice::cli {
namespace {

struct TokensOptions {
  std::string encoding = "o200k_base";
  std::string ranks;
  std::string input = "-";
  std::size_t max_tokens = 0;
  bool allow_special = false;
};

void report(Context& ctx, int code, const std::string& message) {
  std::fprintf(stderr, "sluice tokens: %s\n", message.c_str());
  ctx.exit_code = code;
}

int exit_code_for(const Error& e) {
  return e.code == ErrorCode::invalid_input ? k_exit_usage : k_exit_failed;
}

// The input bytes: a read-only mapping of the file (no copy, no growing buffer: the input can be
// large), or standard input read into a string.
class Input {
 public:
  Input() = default;
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;
  Input(Input&& o) noexcept : m_data(std::move(o.m_data)), m_map(o.m_map), m_size(o.m_size) { o.m_map = nullptr; }
  ~Input() {
    if (m_map != nullptr) ::munmap(m_map, m_size);
  }
  [[nodiscard]] std::string_view view() const {
    return m_map != nullptr ? std::string_view(static_cast<const char*>(m_map), m_size) : std::string_view(m_data);
  }

  static Expected<Input> open(const std::string& path) {
    Input in;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      void* m = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (m != MAP_FAILED) {
        ::close(fd);
        in.m_map = m;
        in.m_size = static_cast<std::size_t>(st.st_size);
        return in;
      }
    }
    if (fd >= 0) ::close(fd);
    auto data = base::read_file(path);  // unopenable, not a regular file, empty or not mappable
    if (!data) return tl::unexpected(data.error());
    in.m_data = std::move(*data);
    return in;
  }

  static Expected<Input> stdin_input() {
    auto text = read_all_stdin();
    if (!text) return tl::unexpected(text.error());
    Input in;
    in.m_data = std::move(*text);
    return in;
  }

 private:
  std::string m_data;
  void* m_map = nullptr;
  std::size_t m_size = 0;
};

Expected<Input> read_input(const std::string& input) {
  if (input != "-") {
    std::error_code ec;
    if (!std::filesystem::exists(input, ec)) {
      return make_error(ErrorCode::invalid_input, fmt::format("{}: no such file", input));
    }
    return Input::open(input);
  }
  return Input::stdin_input();
}

// --ranks, then $SLUICE_TIKTOKEN_DIR, then ~/.cache/sluice/tiktoken.
std::filesystem::path rank_dir(const TokensOptions& o) {
  if (!o.ranks.empty()) return o.ranks;
  return tiktoken_dir();
}

void write_out(std::string_view data) { std::fwrite(data.data(), 1, data.size(), stdout); }

Expected<std::vector<tokenize::Rank>> parse_ids(std::string_view text, const std::string& source) {
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_array()) {
    return make_error(ErrorCode::invalid_input, fmt::format("{}: want a JSON array of token ids", source));
  }
  std::vector<tokenize::Rank> ids;
  ids.reserve(json.size());
  for (std::size_t i = 0; i < json.size(); ++i) {
    const auto& v = json[i];
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 0xfffffffeull) {
      return make_error(ErrorCode::invalid_input,
                        fmt::format("{}: element {} is not a token id: {}", source, i, v.dump()));
    }
    ids.push_back(static_cast<tokenize::Rank>(v.get<std::uint64_t>()));
  }
  return ids;
}

enum class Action { count, encode, decode, truncate };

void run_action(Action action, const TokensOptions& o, Context& ctx) {
  auto input_file = read_input(o.input);
  if (!input_file) return report(ctx, exit_code_for(input_file.error()), input_file.error().message);
  const std::string_view input = input_file->view();
  auto enc = tokenize::load_encoding(o.encoding, tokenize::RankDir(rank_dir(o), rank_marker_dir(rank_dir(o))));
  if (!enc) return report(ctx, exit_code_for(enc.error()), enc.error().message);
  const tokenize::AllowedSpecial allowed =
      o.allow_special ? tokenize::AllowedSpecial::all() : tokenize::AllowedSpecial::none();
  const std::string source = o.input == "-" ? "<stdin>" : o.input;
  switch (action) {
    case Action::count:
      write_out(fmt::format("{}\n", enc->count(input, allowed)));
      break;
    case Action::encode: {
      const auto ids = enc->encode(input, allowed);
      std::string out = "[";
      for (std::size_t i = 0; i < ids.size(); ++i) fmt::format_to(std::back_inserter(out), "{}{}", i ? "," : "", ids[i]);
      out += "]\n";
      write_out(out);
      break;
    }
    case Action::decode: {
      auto ids = parse_ids(input, source);
      if (!ids) return report(ctx, exit_code_for(ids.error()), ids.error().message);
      auto text = enc->decode(*ids);
      if (!text) return report(ctx, exit_code_for(text.error()), text.error().message);
      write_out(*text);
      break;
    }
    case Action::truncate:
      write_out(enc->truncate(input, o.max_tokens, allowed).text);
      break;
  }
  std::fflush(stdout);
  ctx.exit_code = k_exit_ok;
}

}  // namespace

void add_tokens_command(CLI::App& app, Context& ctx) {
  auto* tokens = app.add_subcommand("tokens", "Count, encode, decode or truncate text with tiktoken encodings");
  tokens->require_subcommand(1);
  struct Sub {
    const char* name;
    const char* help;
    Action action;
  };
  static constexpr Sub k_subs[] = {
      {"count", "Print the number of tokens of the input", Action::count},
      {"encode", "Print the token ids of the input as a JSON array", Action::encode},
      {"decode", "Read a JSON array of token ids and print their text", Action::decode},
      {"truncate", "Print the longest prefix of the input of at most --max tokens", Action::truncate},
  };
  for (const Sub& s : k_subs) {
    auto opts = std::make_shared<TokensOptions>();
    auto* sub = tokens->add_subcommand(s.name, s.help);
    sub->add_option("--encoding,-e", opts->encoding, "cl100k_base or o200k_base (default o200k_base)")
        ->check(CLI::IsMember({"cl100k_base", "o200k_base"}));
    sub->add_option("--ranks", opts->ranks,
                    "Directory of <encoding>.tiktoken files (default $SLUICE_TIKTOKEN_DIR, then "
                    "~/.cache/sluice/tiktoken)");
    if (s.action != Action::decode) {
      sub->add_flag("--allow-special", opts->allow_special,
                    "Read special tokens such as <|endoftext|> as their single id (default: plain text)");
    }
    if (s.action == Action::truncate) {
      sub->add_option("--max,-n", opts->max_tokens, "Most tokens to keep")->required()->check(CLI::NonNegativeNumber);
    }
    sub->add_option("file", opts->input, "Input file, or - for standard input (default)");
    const Action action = s.action;
    sub->callback([action, opts, &ctx] {
      ctx.command = [action, opts, &ctx] {
        run_action(action, *opts, ctx);
        return ctx.exit_code;
      };
    });
  }
}

}  // namespace sluice::cli
