#include "tokenize/encoder.h"

#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <filesystem>

#include <cstdio>

#include <chrono>

#include "base/files.h"
#include "tokenize/test_support.h"

namespace sluice::tokenize {
namespace {

using testing::encoder;

TEST(Encoder, KnownIds) {
  // Reference values from tiktoken.
  EXPECT_EQ(encoder("cl100k_base").encode("hello world"), (std::vector<Rank>{15339, 1917}));
  EXPECT_EQ(encoder("o200k_base").encode("hello world"), (std::vector<Rank>{24912, 2375}));
  EXPECT_TRUE(encoder("o200k_base").encode("").empty());
}

// Texts of 8 KiB or more go through the per-call piece cache, short ones do not. Lines that start
// with a letter and end in "\n" are pieces of their own in both patterns, so the tokens of the
// whole text must be those of its lines encoded one by one. Many distinct words (more than the
// cache holds) force collisions and evictions; long and multi-token words take every path.
TEST(Encoder, PieceCacheMatchesUncachedEncoding) {
  static const char* k_words[] = {"the", "antidisestablishmentarianism", "naïve", "日本語", "данные", "WE'RE",
                                  "it's", "0x1f", "12345678", "{", "==", "  ", "\t", "café", "🤷🏽‍♀️", ".",
                                  "Supercalifragilisticexpialidocious"};
  std::mt19937 rng(1234);
  std::vector<std::string> lines;
  std::size_t total = 0;
  while (total < (1u << 18)) {
    std::string line = "x";
    for (int w = 0; w < 12; ++w) {
      line += ' ';
      if (rng() % 3 == 0) {
        for (unsigned k = 0, n = 1 + rng() % 20; k < n; ++k) line += static_cast<char>('a' + rng() % 26);
      } else {
        line += k_words[rng() % (sizeof k_words / sizeof *k_words)];
      }
    }
    line += "\n";
    total += line.size();
    lines.push_back(std::move(line));
  }
  std::string text;
  for (const std::string& l : lines) text += l;
  for (const char* name : {"cl100k_base", "o200k_base"}) {
    const Encoder& enc = encoder(name);
    std::vector<Rank> expected;
    for (const std::string& l : lines) {
      const auto ids = enc.encode(l);
      expected.insert(expected.end(), ids.begin(), ids.end());
    }
    EXPECT_EQ(enc.encode(text), expected) << name;
    EXPECT_EQ(enc.count(text), expected.size()) << name;
  }
}

TEST(Encoder, SpecialTokensOnlyWhenAllowed) {
  const Encoder& enc = encoder("cl100k_base");
  const std::string text = "a<|endoftext|>b";
  const auto plain = enc.encode(text);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 100257u), 0);
  EXPECT_GT(plain.size(), 3u);
  EXPECT_EQ(enc.encode(text, AllowedSpecial::all()), (std::vector<Rank>{64, 100257, 65}));
  const std::vector<std::string> only_prompt{"<|endofprompt|>"};
  auto set = enc.allowed_special(only_prompt);
  ASSERT_TRUE(set);
  EXPECT_EQ(enc.encode(text, *set), plain);
  EXPECT_EQ(enc.encode("<|endofprompt|>", *set), (std::vector<Rank>{100276}));
  const std::vector<std::string> bogus{"<|nope|>"};
  EXPECT_FALSE(enc.allowed_special(bogus));
  auto back = enc.decode(std::vector<Rank>{64, 100257, 65});
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, text);
  EXPECT_EQ(encoder("o200k_base").encode("<|endoftext|>", AllowedSpecial::all()), (std::vector<Rank>{199999}));
}

TEST(Encoder, DecodeRejectsUnknownIds) {
  auto r = encoder("cl100k_base").decode(std::vector<Rank>{15339, 100261});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_input);
  EXPECT_NE(r.error().message.find("100261"), std::string::npos);
}

// Policy: invalid bytes split the text; each valid run encodes as on its own, each invalid byte is
// its own single-byte token.
TEST(Encoder, InvalidUtf8IsSplitAndRoundTrips) {
  for (const char* name : {"cl100k_base", "o200k_base"}) {
    const Encoder& enc = encoder(name);
    const std::string a = "hello wor", b = "ld  again's";
    for (const std::string bad : {"\xff", "\x80", "\xc3", "\xe4\xb8", "\xed\xa0\x80", "\xf5", "\xc0\xaf"}) {
      std::vector<Rank> want = enc.encode(a);
      for (const char c : bad) want.push_back(enc.ranks().byte_rank(static_cast<unsigned char>(c)));
      for (const Rank r : enc.encode(b)) want.push_back(r);
      const std::string text = a + bad + b;
      EXPECT_EQ(enc.encode(text), want) << name;
      auto back = enc.decode(enc.encode(text));
      ASSERT_TRUE(back);
      EXPECT_EQ(*back, text);
    }
  }
}

TEST(Encoder, TruncateCutsOnCharacterBoundaryWithExactCount) {
  std::mt19937 rng(3);
  const std::vector<std::string> parts = {"hello", " ", "\xf0\x9f\x98\x80", "\xe4\xb8\xad\xe6\x96\x87", "12345", "\n",
                                          "it's", "e\xcc\x81", "  ", "\xff", "<|endoftext|>"};
  for (const char* name : {"cl100k_base", "o200k_base"}) {
    const Encoder& enc = encoder(name);
    for (int i = 0; i < 300; ++i) {
      std::string text;
      for (int k = 0, n = 1 + static_cast<int>(rng() % 30); k < n; ++k) text += parts[rng() % parts.size()];
      const std::size_t total = enc.count(text);
      for (const std::size_t max : {std::size_t{0}, std::size_t{1}, total / 2, total - 1, total, total + 5}) {
        const AllowedSpecial allowed = (i % 2) ? AllowedSpecial::all() : AllowedSpecial::none();
        const Truncated t = enc.truncate(text, max, allowed);
        ASSERT_LE(t.tokens, max);
        ASSERT_EQ(t.tokens, enc.count(t.text, allowed)) << name << " max " << max;
        ASSERT_EQ(t.text.data(), text.data());
        if (max >= enc.count(text, allowed)) {
          ASSERT_EQ(t.text.size(), text.size());
        }
        // Never inside a valid multi-byte character.
        const std::size_t cut = t.text.size();
        if (cut < text.size()) {
          const auto next = static_cast<unsigned char>(text[cut]);
          const bool continuation = (next & 0xc0) == 0x80;
          const bool after_ff = cut > 0 && static_cast<unsigned char>(text[cut - 1]) == 0xff;
          EXPECT_TRUE(!continuation || after_ff) << name << " cut inside a character at " << cut;
        }
      }
    }
  }
  const Encoder& enc = encoder("cl100k_base");
  const std::string emoji = "\xf0\x9f\x98\x80\xf0\x9f\x98\x80";  // 2 emoji, several tokens each
  const Truncated one = enc.truncate(emoji, 1);
  EXPECT_EQ(one.text, "");
  const Truncated some = enc.truncate(emoji, enc.count(emoji) - 1);
  EXPECT_EQ(some.text, "\xf0\x9f\x98\x80");
}

TEST(Encoder, ThreadSafeAfterConstruction) {
  const Encoder& enc = encoder("o200k_base");
  const std::string text = "The quick brown fox \xe4\xb8\xad\xe6\x96\x87 jumps over 1234567 lazy dogs.\n";
  const auto want = enc.encode(text);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      int good = 0;
      for (int i = 0; i < 200; ++i) good += enc.encode(text) == want && enc.count(text) == want.size();
      ok[static_cast<std::size_t>(t)] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (const int good : ok) EXPECT_EQ(good, 200);
}

TEST(LoadEncoding, MissingFileNamesPathHashAndHowToFetch) {
  base::TempDir dir("tok");
  auto r = load_encoding("cl100k_base", dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::not_found);
  const std::string& m = r.error().message;
  EXPECT_NE(m.find((dir.path() / "cl100k_base.tiktoken").string()), std::string::npos) << m;
  EXPECT_NE(m.find("223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"), std::string::npos) << m;
  EXPECT_NE(m.find("fetch-ranks.sh"), std::string::npos) << m;
}

TEST(LoadEncoding, CorruptedFileIsAnIntegrityError) {
  base::TempDir dir("tok");
  auto data = base::read_file(testing::rank_dir() / "o200k_base.tiktoken");
  ASSERT_TRUE(data);
  (*data)[100] = (*data)[100] == 'A' ? 'B' : 'A';  // one flipped character: still parses
  ASSERT_TRUE(base::atomic_write(dir.path() / "o200k_base.tiktoken", *data));
  auto r = load_encoding("o200k_base", dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::integrity);
  EXPECT_NE(r.error().message.find("446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"),
            std::string::npos);
  EXPECT_NE(r.error().message.find((dir.path() / "o200k_base.tiktoken").string()), std::string::npos);
}

// The verified-hash marker must never hide a corruption: an in-place rewrite after a good load
// (same size) changes ctime, so the hash is checked again.
TEST(LoadEncoding, CorruptionAfterAVerifiedLoadIsStillCaught) {
  base::TempDir dir("tok");
  auto data = base::read_file(testing::rank_dir() / "cl100k_base.tiktoken");
  ASSERT_TRUE(data);
  const auto file = dir.path() / "cl100k_base.tiktoken";
  ASSERT_TRUE(base::atomic_write(file, *data));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // old enough to be marked
  ASSERT_TRUE(load_encoding("cl100k_base", dir.path()));
  ASSERT_TRUE(std::filesystem::exists(dir.path() / "cl100k_base.tiktoken.verified"));
  ASSERT_TRUE(load_encoding("cl100k_base", dir.path()));  // through the marker
  std::string bad = *data;
  bad[100] = bad[100] == 'A' ? 'B' : 'A';
  {
    std::FILE* f = std::fopen(file.c_str(), "r+b");  // in place: same inode, same size
    ASSERT_NE(f, nullptr);
    std::fwrite(bad.data(), 1, bad.size(), f);
    std::fclose(f);
  }
  auto r = load_encoding("cl100k_base", dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::integrity);
}

// An installed sluice's rank directory belongs to the package manager: the marker goes to the
// directory RankDir names instead (created when missing), and it is used from there.
TEST(LoadEncoding, MarkersOutsideTheRankDirectory) {
  base::TempDir dir("tok");
  auto data = base::read_file(testing::rank_dir() / "cl100k_base.tiktoken");
  ASSERT_TRUE(data);
  ASSERT_TRUE(std::filesystem::create_directories(dir.path() / "share"));
  const auto file = dir.path() / "share" / "cl100k_base.tiktoken";
  ASSERT_TRUE(base::atomic_write(file, *data));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // old enough to be marked
  const RankDir ranks(dir.path() / "share", dir.path() / "cache" / "verified");
  ASSERT_TRUE(load_encoding("cl100k_base", ranks));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "share" / "cl100k_base.tiktoken.verified"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "cache" / "verified" / "cl100k_base.tiktoken.verified"));
  EXPECT_TRUE(load_encoding("cl100k_base", ranks));
}

TEST(LoadEncoding, UnknownName) {
  auto r = load_encoding("p50k_base", testing::rank_dir());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_input);
  EXPECT_NE(r.error().message.find("cl100k_base, o200k_base"), std::string::npos);
}

}  // namespace
}  // namespace sluice::tokenize
