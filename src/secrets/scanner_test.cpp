#include "secrets/scanner.h"

#include <random>
#include <thread>

#include "base/testing/shared_data.h"
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <re2/re2.h>

#include "secrets/test_support.h"

namespace sluice::secrets {
namespace {

using testing::scanner_from;

constexpr std::string_view k_token_rule = R"(
[[rule]]
id = "tok"
description = "test token"
keywords = ["tok_"]
regex = '''\b(tok_[a-z0-9]{12})\b'''
examples = ['x']
counter_examples = ['y']
)";

TEST(Scanner, ReportsPositionSecretAndFingerprint) {
  auto sc = scanner_from(k_token_rule);
  ASSERT_TRUE(sc);
  const std::string text = "line one\n  key = tok_abc123def456 # here\n";
  auto f = sc->scan(text, "dir/a.txt");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule_id, "tok");
  EXPECT_EQ(f[0].secret, "tok_abc123def456");
  EXPECT_EQ(f[0].line, 2u);
  EXPECT_EQ(f[0].column, 9u);
  EXPECT_EQ(text.substr(f[0].start, f[0].end - f[0].start), f[0].secret);
  EXPECT_EQ(f[0].path, "dir/a.txt");
  EXPECT_GT(f[0].entropy, 3.0);
  // The fingerprint ignores the line: moving the secret keeps it.
  auto moved = sc->scan("\n\n\n" + text, "dir/a.txt");
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].line, 5u);
  EXPECT_EQ(moved[0].fingerprint, f[0].fingerprint);
  EXPECT_NE(sc->scan(text, "other.txt")[0].fingerprint, f[0].fingerprint);
}

TEST(Scanner, KeywordGatesTheRule) {
  auto sc = scanner_from(R"(
[[rule]]
id = "hex"
description = "hex after keyword anywhere"
keywords = ["magic"]
regex = '''\b([0-9a-f]{20})\b'''
examples = ['x']
counter_examples = ['y']
)");
  ASSERT_TRUE(sc);
  EXPECT_TRUE(sc->scan("id 0123456789abcdef0123").empty());
  EXPECT_EQ(sc->scan("id 0123456789abcdef0123 MAGIC").size(), 1u);
  // Keywords are looked up lazily (not in the Hyperscan pass): far from the match, before or
  // after it, in any case, once for many matches.
  const std::string far = std::string(100000, '.');
  EXPECT_EQ(sc->scan("Magic" + far + " 0123456789abcdef0123").size(), 1u);
  EXPECT_EQ(sc->scan("0123456789abcdef0123 " + far + "mAgIc").size(), 1u);
  EXPECT_EQ(sc->scan("0123456789abcdef0123 " + far + " 0123456789abcdef0124 magi").size(), 0u);
  EXPECT_EQ(sc->scan("0123456789abcdef0123 " + far + " 0123456789abcdef0124 magic").size(), 2u);
}

TEST(Scanner, EntropyFloorIsStrict) {
  auto sc = scanner_from(R"(
[[rule]]
id = "e"
description = "entropy"
keywords = ["k="]
regex = '''k=([a-z]{8})'''
entropy = 2.0
examples = ['x']
counter_examples = ['y']
)");
  ASSERT_TRUE(sc);
  EXPECT_TRUE(sc->scan("k=aaaabbbb").empty());   // exactly 1 bit
  EXPECT_TRUE(sc->scan("k=aabbccdd").empty());   // exactly 2 bits: not above the floor
  EXPECT_EQ(sc->scan("k=abcdefgh").size(), 1u);  // 3 bits
  EXPECT_DOUBLE_EQ(shannon_entropy("abcdefgh"), 3.0);
}

TEST(Scanner, SecretGroupAndFirstNonEmptyGroup) {
  auto sc = scanner_from(R"(
[[rule]]
id = "g2"
description = "second group"
keywords = ["user"]
regex = '''user=(\w+) pass=(\w+)'''
secret_group = 2
examples = ['x']
counter_examples = ['y']
[[rule]]
id = "alt"
description = "first non-empty group"
keywords = ["alt"]
regex = '''alt:(?:(A\d+)|(B\d+))'''
examples = ['x']
counter_examples = ['y']
)");
  ASSERT_TRUE(sc);
  auto f = sc->scan("user=bob pass=hunter2");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].secret, "hunter2");
  f = sc->scan("alt:B77");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].secret, "B77");
}

TEST(Scanner, AllowlistTargetsStopwordsAndConditions) {
  auto sc = scanner_from(R"(
[[rules]]
id = "t"
regex = '''tok_([a-z0-9]{12})'''
keywords = ["tok_"]
[[rules.allowlists]]
regexes = ['''^000''']
[[rules.allowlists]]
regexTarget = "match"
regexes = ['''^tok_111''']
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''# test fixture''']
[[rules.allowlists]]
stopwords = ["deadbeef"]
[[rules.allowlists]]
condition = "AND"
paths = ['''^docs/''']
regexes = ['''^9''']
[allowlist]
paths = ['''^vendor/''']
regexes = ['''^888''']
)");
  ASSERT_TRUE(sc);
  EXPECT_EQ(sc->scan("tok_abcdef123456").size(), 1u);
  EXPECT_TRUE(sc->scan("tok_000def123456").empty());         // secret target
  EXPECT_TRUE(sc->scan("tok_111def123456").empty());         // match target
  EXPECT_TRUE(sc->scan("tok_abcdef123456 # test fixture").empty());  // line target
  EXPECT_TRUE(sc->scan("tok_xxdeadbeefxx").empty());         // stopword
  EXPECT_TRUE(sc->scan("tok_888def123456").empty());         // global regex
  EXPECT_TRUE(sc->scan("tok_9bcdef123456", "docs/a.md").empty());  // AND: both hold
  EXPECT_EQ(sc->scan("tok_9bcdef123456", "src/a.md").size(), 1u);  // AND: only one holds
  EXPECT_EQ(sc->scan("tok_abcdef123456", "docs/a.md").size(), 1u);
  EXPECT_TRUE(sc->scan("tok_abcdef123456", "vendor/x.c").empty());  // global path
  EXPECT_TRUE(sc->path_excluded("vendor/x.c"));
  EXPECT_FALSE(sc->path_excluded("src/x.c"));
}

TEST(Scanner, InlineAllowComment) {
  auto sc = scanner_from(k_token_rule);
  ASSERT_TRUE(sc);
  const std::string text = "a = tok_abc123def456 # sluice:allow\nb = tok_abc123def457\n";
  auto f = sc->scan(text);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].line, 2u);
  EXPECT_EQ(sc->scan("x tok_abc123def456 // gitleaks:allow").size(), 0u);
  EXPECT_EQ(sc->scan(text, {}, InlineAllow::ignore).size(), 2u);
}

TEST(Scanner, PathOnlyRuleAndPathFilter) {
  auto sc = scanner_from(R"(
[[rules]]
id = "p12"
path = '''\.p12$'''
[[rules]]
id = "envtok"
path = '''\.env$'''
regex = '''tok_[a-z]{4}'''
)");
  ASSERT_TRUE(sc);
  auto f = sc->scan("anything", "keys/cert.p12");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule_id, "p12");
  EXPECT_TRUE(sc->scan("tok_abcd", "a.txt").empty());
  EXPECT_EQ(sc->scan("tok_abcd", "prod.env").size(), 1u);
}

// Path-gated rules stay out of the Hyperscan pass (and out of fallback_rules()): RE2 scans a
// matching file whole, so a match anywhere in a long file is found, and other files cost nothing.
TEST(Scanner, PathGatedRuleScansMatchingFilesWhole) {
  auto sc = scanner_from(R"(
[[rules]]
id = "pgpass"
path = '''(?:^|/)\.pgpass$'''
regex = '''(?:^|\n)[^:\s]+:\d+:[^:\s]+:[^:\s]+:([^\s]{6,})'''
[[rules]]
id = "netrc"
path = '''(?:^|/)\.netrc$'''
keywords = ["password"]
regex = '''password\s+(\S{6,})'''
)");
  ASSERT_TRUE(sc);
  EXPECT_TRUE(sc->fallback_rules().empty());
  const std::string text = std::string(100000, 'x') + "\ndb:5432:app:app:s3cr3tPw\n";
  auto f = sc->scan(text, "home/u/.pgpass");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].secret, "s3cr3tPw");
  EXPECT_EQ(f[0].line, 2u);
  EXPECT_TRUE(sc->scan(text, "home/u/pgpass.txt").empty());
  EXPECT_EQ(sc->scan("machine h login u password hunter22", ".netrc").size(), 1u);
  EXPECT_TRUE(sc->scan("machine h login u passwd hunter22", ".netrc").empty()) << "keyword still gates";
  EXPECT_TRUE(sc->scan("machine h login u password hunter22", "netrc.md").empty());
}

TEST(Scanner, MultiLinePrivateKeyFarFromKeyword) {
  auto sc = testing::default_scanner();
  std::string body;
  for (int i = 0; i < 50; ++i) body += "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" + std::to_string(i % 10) + "\n";
  const std::string text = "x\n-----BEGIN RSA PRIVATE KEY-----\n" + body + "-----END RSA PRIVATE KEY-----\n";
  auto f = sc->scan(text);
  ASSERT_FALSE(f.empty());
  EXPECT_EQ(f[0].rule_id, "private-key-rsa");
  EXPECT_EQ(f[0].line, 2u);
}

// Differential test: the Hyperscan-prefiltered scanner against a plain RE2 loop over the whole
// input, on random inputs built from fragments that are likely to form matches.
TEST(Scanner, AgreesWithPlainRe2LoopOnRandomInputs) {
  const char* patterns[] = {
      R"(\b(tok_[a-z0-9]{12})\b)",
      R"((?i)api[_-]?key\s*[:=]\s*['"]?([A-Za-z0-9]{8,20}))",
      R"(-----BEGIN KEY-----[\s\S]{4,}?-----END KEY-----)",
      R"(\b(AB[0-9]{3,}))",
      R"(x(y|z){2,5}w)",
  };
  std::string toml;
  for (size_t i = 0; i < std::size(patterns); ++i) {
    toml += "[[rules]]\nid = \"r" + std::to_string(i) + "\"\nregex = '''" + patterns[i] + "'''\n";
  }
  auto sc = scanner_from(toml);
  ASSERT_TRUE(sc);
  const char* frags[] = {"tok_", "abc123def456", "ab", "API_KEY", "api-key", " = ", "'", "\"", "Zq9Zq9Zq9Zq9Zq9",
                         "-----BEGIN KEY-----", "-----END KEY-----", "\n", " ", "AB", "12345", "x", "y", "z", "w",
                         "0", "_"};
  std::mt19937 rng(1234);
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingLatin1);
  std::vector<std::unique_ptr<RE2>> res;
  std::vector<std::string> ids;
  for (auto* p : patterns) {
    ids.push_back(fmt::format("r{}", res.size()));
    res.push_back(std::make_unique<RE2>(p, o));
  }
  for (int iter = 0; iter < 2000; ++iter) {
    std::string text;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) text += frags[rng() % std::size(frags)];
    // Reference: every non-overlapping leftmost match of each rule over the whole input.
    std::multiset<std::pair<std::string, size_t>> want;
    for (size_t r = 0; r < res.size(); ++r) {
      const int ng = res[r]->NumberOfCapturingGroups() + 1;
      std::vector<re2::StringPiece> g(static_cast<size_t>(ng));
      size_t pos = 0;
      while (pos <= text.size() &&
             res[r]->Match(re2::StringPiece(text), pos, text.size(), RE2::UNANCHORED, g.data(), ng)) {
        const size_t ms = static_cast<size_t>(g[0].data() - text.data());
        const size_t me = ms + g[0].size();
        pos = me > ms ? me : ms + 1;
        re2::StringPiece s = g[0];
        for (int k = 1; k < ng; ++k) {
          if (!g[static_cast<size_t>(k)].empty()) {
            s = g[static_cast<size_t>(k)];
            break;
          }
        }
        if (s.empty()) continue;
        want.insert({ids[r], static_cast<size_t>(s.data() - text.data())});
      }
    }
    std::multiset<std::pair<std::string, size_t>> got;
    for (const auto& f : sc->scan(text, {}, InlineAllow::ignore)) got.insert({f.rule_id, f.start});
    ASSERT_EQ(got, want) << "input: " << text;
  }
}

TEST(Scanner, ThreadSafeWithSharedScanner) {
  auto sc = testing::default_scanner();
  const std::string text = "token: ghp_" + std::string("aB3dE5gH7jK9mN1pQ3sT5vW7xY9zA1cD3fG5") + "\n";
  const auto want = sc->scan(text);
  ASSERT_FALSE(want.empty());
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (sc->scan(text).size() != want.size()) ++bad;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(Scanner, GitleaksRulesFindTokensAndHonourGlobalAllowlist) {
  auto sc = testing::gitleaks_scanner();
  SLUICE_REQUIRE_SHARED(sc != nullptr, "../shared/data/gitleaks/gitleaks.toml");
  const std::string pat = "ghp_" + std::string("aB3dE5gH7jK9mN1pQ3sT5vW7xY9zA1cD3fG5");
  auto f = sc->scan("export GITHUB_TOKEN=" + pat + "\n", "ci/env.sh");
  ASSERT_FALSE(f.empty());
  EXPECT_EQ(f[0].rule_id, "github-pat");
  EXPECT_EQ(f[0].secret, pat);
  EXPECT_TRUE(sc->scan("export GITHUB_TOKEN=" + pat + "\n", "node_modules/x/env.sh").empty());
}

}  // namespace
}  // namespace sluice::secrets

namespace sluice::secrets {
namespace {

TEST(Scanner, CompiledDatabaseCacheIsReusedAndSurvivesCorruption) {
  base::TempDir dir;
  Scanner::Options o;
  o.cache_dir = dir.path();
  const std::string toml = "[[rules]]\nid = \"t\"\nregex = '''tok_[a-z]{6}'''\n";
  auto first = Scanner::create(*load_rules_auto(toml, "t.toml"), o);
  ASSERT_TRUE(first);
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  auto second = Scanner::create(*load_rules_auto(toml, "t.toml"), o);
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)->scan("x tok_abcdef").size(), 1u);
  ASSERT_TRUE(base::atomic_write(files[0], "garbage"));
  auto third = Scanner::create(*load_rules_auto(toml, "t.toml"), o);
  ASSERT_TRUE(third);
  EXPECT_EQ((*third)->scan("x tok_abcdef").size(), 1u);
}

}  // namespace
}  // namespace sluice::secrets

namespace sluice::secrets {
namespace {

// The cache file holds each rule's match width as well as the database, so that a cache hit
// parses no regex: what a scanner loaded from it does must equal what a fresh compile does.
TEST(Scanner, ALoadFromTheCacheEqualsAFreshCompileForTheBuiltInRules) {
  base::TempDir dir;
  Scanner::Options o;
  o.cache_dir = dir.path();
  auto compiled = Scanner::create(*default_rules(), o);  // compiles and writes the cache
  ASSERT_TRUE(compiled) << compiled.error().message;
  auto loaded = Scanner::create(*default_rules(), o);  // from the cache
  ASSERT_TRUE(loaded) << loaded.error().message;
  auto fresh = testing::default_scanner();  // no cache at all
  for (const auto& sc : {*compiled, *loaded}) {
    EXPECT_EQ(sc->fallback_rules(), fresh->fallback_rules());
    EXPECT_EQ(sc->max_bounded_match(), fresh->max_bounded_match());
  }
  std::string text;
  const auto rules = default_rules();
  ASSERT_TRUE(rules.has_value());
  for (const auto& r : rules->rules) {
    for (const auto& e : r.examples) text += e.text + "\n";
  }
  ASSERT_FALSE(text.empty());
  auto key = [](const std::vector<Finding>& fs) {
    std::vector<std::pair<std::string, size_t>> out;
    for (const auto& f : fs) out.emplace_back(f.rule_id, f.start);
    return out;
  };
  const auto want = key(fresh->scan(text));
  EXPECT_FALSE(want.empty());
  EXPECT_EQ(key((*compiled)->scan(text)), want);
  EXPECT_EQ(key((*loaded)->scan(text)), want);
}

}  // namespace
}  // namespace sluice::secrets

namespace sluice::secrets {
namespace {

// Lazy confirmers (the built-in rules as `sluice scan`, `sluice redact` and the run redactor
// load them) must find exactly what eagerly compiled ones find, also when many threads need the
// same confirmer for the first time at once.
TEST(Scanner, LazyConfirmersFindWhatEagerOnesFind) {
  const auto rules = default_rules();
  ASSERT_TRUE(rules.has_value());
  std::vector<std::string> texts;
  for (const auto& r : rules->rules) {
    for (const auto& e : r.examples) texts.push_back(e.text);
    for (const auto& e : r.counter_examples) texts.push_back(e.text);
  }
  std::string all;
  for (const auto& t : texts) all += t + "\n";
  auto key = [](const std::vector<Finding>& fs) {
    std::vector<std::pair<std::string, size_t>> out;
    for (const auto& f : fs) out.emplace_back(f.rule_id, f.start);
    return out;
  };
  auto eager = testing::default_scanner();
  Scanner::Options o;
  o.lazy_confirmers = true;
  auto lazy = Scanner::create(*default_rules(), o);
  ASSERT_TRUE(lazy) << lazy.error().message;
  const auto want = key(eager->scan(all));
  ASSERT_FALSE(want.empty());
  // First use from four threads at once, then every example on its own.
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      if (key((*lazy)->scan(all)) != want) ++bad;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  for (const auto& t : texts) EXPECT_EQ(key((*lazy)->scan(t)), key(eager->scan(t))) << t;
}

TEST(Scanner, ALazyConfirmerThatCannotCompileNeverMatchesAndNeverCrashes) {
  // Eager loading refuses this rule set (secretGroup beyond the groups); lazy loading, which is
  // only for rules checked elsewhere, must still be safe if such a rule slips through.
  const std::string toml = "[[rules]]\nid = \"t\"\nregex = '''tok_[a-z]{6}'''\nsecretGroup = 3\n";
  EXPECT_FALSE(Scanner::create(*load_rules_auto(toml, "t.toml")));
  Scanner::Options o;
  o.lazy_confirmers = true;
  auto lazy = Scanner::create(*load_rules_auto(toml, "t.toml"), o);
  ASSERT_TRUE(lazy) << lazy.error().message;
  EXPECT_TRUE((*lazy)->scan("x tok_abcdef y").empty());
}

}  // namespace
}  // namespace sluice::secrets
