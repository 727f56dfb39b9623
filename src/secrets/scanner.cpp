#include "secrets/scanner.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>
#include <hs.h>
#include <re2/re2.h>
#include <re2/set.h>

#include "base/files.h"
#include "base/hash.h"
#include "secrets/hs_scratch.h"

namespace sluice::secrets {
namespace {

// Byte semantics on both engines (Latin-1 in RE2, no UTF-8 mode in Hyperscan) so that the
// Hyperscan prefilter accepts a superset of what RE2 confirms, whatever the input encoding.
RE2::Options re2_options() {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingLatin1);
  o.set_log_errors(false);
  o.set_max_mem(64 << 20);
  return o;
}

struct CompiledAllowlist {
  std::vector<std::string> commits;
  Condition condition = Condition::any;
  RegexTarget target = RegexTarget::secret;
  std::vector<std::unique_ptr<RE2>> regexes;
  std::vector<std::unique_ptr<RE2>> paths;
  std::vector<std::string> stopwords;
};

// A rule's RE2 confirmer, compiled in create() or on first use (thread-safe either way).
class Confirmer {
 public:
  explicit Confirmer(std::unique_ptr<RE2> compiled) {
    std::call_once(m_once, [&] { m_re = std::move(compiled); });
  }
  explicit Confirmer(std::string pattern) : m_pattern(std::move(pattern)) {}
  const RE2& get() const {
    std::call_once(m_once, [this] { m_re = std::make_unique<RE2>(m_pattern, re2_options()); });
    return *m_re;
  }

 private:
  std::string m_pattern;
  mutable std::once_flag m_once;
  mutable std::unique_ptr<RE2> m_re;
};

struct CompiledRule {
  std::unique_ptr<Confirmer> regex;  // null for path-only rules
  std::unique_ptr<RE2> path;
  int path_set_index = -1;          // index of `path` in Impl::path_set
  std::vector<CompiledAllowlist> allowlists;
  std::vector<size_t> keyword_ids;  // indexes into Impl::keywords
  size_t window = 0;                // bytes before a hit where the match may start
  bool prefiltered = false;         // false: RE2 over the whole input
};

struct Hit {
  size_t start;
  size_t end;
};

Expected<std::unique_ptr<RE2>> compile_re2(const std::string& pattern, const std::string& what) {
  auto re = std::make_unique<RE2>(pattern, re2_options());
  if (!re->ok()) {
    return make_error(ErrorCode::invalid_input, fmt::format("{}: regex {} is not supported: {}", what,
                                                            pattern.size() > 80 ? pattern.substr(0, 77) + "..." : pattern,
                                                            re->error()));
  }
  return re;
}

Expected<CompiledAllowlist> compile_allowlist(const Allowlist& a, const std::string& what) {
  CompiledAllowlist c;
  c.condition = a.condition;
  c.target = a.regex_target;
  c.stopwords = a.stopwords;
  c.commits = a.commits;
  for (const auto& r : a.regexes) {
    auto re = compile_re2(r, what + " allowlist");
    if (!re) return tl::unexpected(re.error());
    c.regexes.push_back(std::move(*re));
  }
  for (const auto& p : a.paths) {
    auto re = compile_re2(p, what + " allowlist path");
    if (!re) return tl::unexpected(re.error());
    c.paths.push_back(std::move(*re));
  }
  return c;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return out;
}

struct MatchContext {
  std::string_view text;
  std::string_view secret;
  std::string_view path;
};

std::string_view line_around(std::string_view text, size_t start, size_t end) {
  size_t b = start;
  while (b > 0 && text[b - 1] != '\n') --b;
  size_t e = std::min(end, text.size());
  while (e < text.size() && text[e] != '\n') ++e;
  return text.substr(b, e - b);
}

bool allowlist_allows(const CompiledAllowlist& a, std::string_view secret, std::string_view match,
                      std::string_view line, std::string_view path, std::string_view commit) {
  auto any_re = [](const std::vector<std::unique_ptr<RE2>>& res, std::string_view s) {
    return std::any_of(res.begin(), res.end(),
                       [&](const auto& re) { return RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *re); });
  };
  const std::string_view target = a.target == RegexTarget::match ? match : a.target == RegexTarget::line ? line : secret;
  const bool path_ok = !a.paths.empty() && any_re(a.paths, path);
  const bool regex_ok = !a.regexes.empty() && any_re(a.regexes, target);
  bool stop_ok = false;
  if (!a.stopwords.empty()) {
    const std::string ls = lower(secret);
    stop_ok = std::any_of(a.stopwords.begin(), a.stopwords.end(),
                          [&](const std::string& w) { return ls.find(w) != std::string::npos; });
  }
  // A listed commit matches by prefix (full hashes or abbreviations); a file scan has none.
  const bool commit_ok = !a.commits.empty() && !commit.empty() &&
                         std::any_of(a.commits.begin(), a.commits.end(), [&](const std::string& c) {
                           return commit.substr(0, c.size()) == c;
                         });
  if (a.condition == Condition::any) return path_ok || regex_ok || stop_ok || commit_ok;
  const bool has_any = !a.paths.empty() || !a.regexes.empty() || !a.stopwords.empty() || !a.commits.empty();
  return has_any && (a.paths.empty() || path_ok) && (a.regexes.empty() || regex_ok) &&
         (a.stopwords.empty() || stop_ok) && (a.commits.empty() || commit_ok);
}

}  // namespace

double shannon_entropy(std::string_view s) {
  if (s.empty()) return 0;
  std::array<size_t, 256> counts{};
  for (unsigned char c : s) ++counts[c];
  double h = 0;
  const double n = static_cast<double>(s.size());
  for (size_t c : counts) {
    if (c == 0) continue;
    const double p = static_cast<double>(c) / n;
    h -= p * std::log2(p);
  }
  return h;
}

std::string finding_fingerprint(std::string_view rule_id, std::string_view secret, std::string_view path) {
  return fingerprint_from_hash(rule_id, base::sha256_hex(secret), path);
}

std::string fingerprint_from_hash(std::string_view rule_id, std::string_view secret_sha256, std::string_view path) {
  base::Sha256 h;
  h.update_field(rule_id);
  h.update_field(secret_sha256);
  h.update_field(path);
  return h.hex_digest();
}

struct Scanner::Impl {
  RuleSet rules;
  Options options;
  std::vector<CompiledRule> compiled;
  std::vector<CompiledAllowlist> global;
  std::vector<std::string> keywords;  // lowercase; looked up lazily by scan()
  std::vector<std::string> fallback;
  hs_database_t* db = nullptr;
  uint64_t db_id = detail::next_database_id();
  size_t max_bounded = 0;
  // Hyperscan pattern id -> rule index.
  std::vector<size_t> pattern_rule;
  // Every rule's path filter in one set, so a file's path is matched once, not once per rule.
  std::unique_ptr<RE2::Set> path_set;
  std::vector<int> empty_path_matches;  // path_set matches of "" (scans without a path)
  std::vector<size_t> unfiltered_rules; // rules Hyperscan does not prefilter: scan() visits each

  // Every keyword as a caseless literal, compiled on first need: a scan runs it at most once, and
  // only when a rule with a candidate has a keyword that is not in its candidate windows.
  mutable std::once_flag keyword_db_once;
  mutable hs_database_t* keyword_db = nullptr;
  uint64_t keyword_db_id = detail::next_database_id();

  const hs_database_t* keyword_database() const {
    std::call_once(keyword_db_once, [this] {
      std::vector<std::string> pats;
      for (const auto& kw : keywords) {
        std::string escaped;
        for (unsigned char ch : kw) escaped += fmt::format("\\x{:02x}", ch);
        pats.push_back(escaped);
      }
      std::vector<const char*> ptrs;
      std::vector<unsigned> flags(pats.size(), HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH);
      std::vector<unsigned> ids;
      for (size_t i = 0; i < pats.size(); ++i) {
        ptrs.push_back(pats[i].c_str());
        ids.push_back(static_cast<unsigned>(i));
      }
      hs_compile_error_t* err = nullptr;
      if (!ptrs.empty() && hs_compile_multi(ptrs.data(), flags.data(), ids.data(), static_cast<unsigned>(ptrs.size()),
                                            HS_MODE_BLOCK, nullptr, &keyword_db, &err) != HS_SUCCESS) {
        hs_free_compile_error(err);
        keyword_db = nullptr;  // keywords then count as present: never a missed secret
      }
    });
    return keyword_db;
  }

  ~Impl() {
    if (keyword_db) hs_free_database(keyword_db);
    if (db) hs_free_database(db);
  }
};

Scanner::Scanner(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Scanner::~Scanner() = default;
const RuleSet& Scanner::rules() const { return m_impl->rules; }
const std::vector<std::string>& Scanner::fallback_rules() const { return m_impl->fallback; }
size_t Scanner::max_bounded_match() const { return m_impl->max_bounded; }

Expected<std::shared_ptr<const Scanner>> Scanner::create(RuleSet rules, Options options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  std::vector<std::string> errors;
  std::map<std::string, size_t> keyword_index;
  impl->compiled.resize(rules.rules.size());
  for (size_t i = 0; i < rules.rules.size(); ++i) {
    const Rule& r = rules.rules[i];
    CompiledRule& c = impl->compiled[i];
    const std::string what = fmt::format("{}: rule \"{}\"", r.origin.empty() ? "rules" : r.origin, r.id);
    if (!r.regex.empty() && options.lazy_confirmers) {
      c.regex = std::make_unique<Confirmer>(r.regex);
    } else if (!r.regex.empty()) {
      auto re = compile_re2(r.regex, what);
      if (!re) {
        errors.push_back(re.error().message);
      } else {
        if (r.secret_group > (*re)->NumberOfCapturingGroups()) {
          errors.push_back(fmt::format("{}: secretGroup {} but the regex has only {} groups", what,
                                       r.secret_group, (*re)->NumberOfCapturingGroups()));
        }
        c.regex = std::make_unique<Confirmer>(std::move(*re));
      }
    }
    if (!r.path.empty()) {
      auto re = compile_re2(r.path, what + " path");
      if (!re) {
        errors.push_back(re.error().message);
      } else {
        c.path = std::move(*re);
      }
    }
    for (const auto& a : r.allowlists) {
      auto ca = compile_allowlist(a, what);
      if (!ca) {
        errors.push_back(ca.error().message);
      } else {
        c.allowlists.push_back(std::move(*ca));
      }
    }
    for (const auto& kw : r.keywords) {
      if (kw.empty()) continue;
      auto [it, inserted] = keyword_index.emplace(kw, impl->keywords.size());
      if (inserted) impl->keywords.push_back(kw);
      c.keyword_ids.push_back(it->second);
    }
  }
  for (const auto& a : rules.global_allowlists) {
    auto ca = compile_allowlist(a, "global");
    if (!ca) {
      errors.push_back(ca.error().message);
    } else {
      impl->global.push_back(std::move(*ca));
    }
  }
  if (!errors.empty()) {
    std::string msg;
    for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e;
    return make_error(ErrorCode::invalid_input, msg);
  }

  // Hyperscan pass: rule regexes in prefilter mode. Keywords are not in the database: a rule's
  // keyword gate is checked only for rules that have a candidate (see scan()). As caseless
  // literals in the database, common keywords ("key", "token", "api") fired all over source
  // code and cost about a quarter of the whole scan.
  //
  // A compiled database is cached by content: Hyperscan compiles take about a second for a few
  // hundred rules, deserialising takes milliseconds. The width of each rule's matches (from
  // hs_expression_info, which parses the regex: ~25 ms for the built-in rules) is cached with
  // it, so a cache hit parses nothing. The key covers every input of the pass (the flags are
  // constants of this code: change the key's tag when they change). Layout:
  // "SLH2", u32 rule count, u64 width per rule (k_no_prefilter: no regex or Hyperscan cannot
  // take it), u32 count, u32 removed pattern indexes (compile-stage fallbacks, in order), then
  // hs_serialize_database() bytes.
  constexpr uint64_t k_no_prefilter = std::numeric_limits<uint64_t>::max();
  const unsigned regex_flags = HS_FLAG_PREFILTER | HS_FLAG_ALLOWEMPTY;
  std::string cache_file;
  std::string cached;  // the cache file's bytes, when it is usable
  if (!options.cache_dir.empty()) {
    base::Sha256 key;
    key.update_field("sluice-rules-hsdb-v4");  // v3: path-gated rules are not in the database; v4: nor keywords
    key.update_field(hs_version());
    // A database only loads on the CPU features it was built for: machines that share a cache
    // (a CI cache restored on another runner type) keep one file each instead of rebuilding
    // and overwriting each other's.
    hs_platform_info_t platform{};
    if (hs_populate_platform(&platform) == HS_SUCCESS) {
      key.update_field(std::to_string(platform.tune) + "/" + std::to_string(platform.cpu_features));
    }
    key.update_field(std::to_string(rules.rules.size()));
    for (size_t i = 0; i < rules.rules.size(); ++i) {
      key.update_field(impl->compiled[i].regex ? rules.rules[i].regex : std::string());
    }
    for (const auto& kw : impl->keywords) key.update_field(kw);
    cache_file =
        (options.cache_dir / ("rules-" + key.hex_digest().substr(0, 32) + ".hsdb")).string();
    if (auto bytes = base::read_file(cache_file); bytes &&
                                                  bytes->size() >= 8 + rules.rules.size() * 8 + 4 &&
                                                  bytes->compare(0, 4, "SLH2") == 0) {
      uint32_t n = 0;
      std::memcpy(&n, bytes->data() + 4, 4);
      if (n == rules.rules.size()) cached = std::move(*bytes);
    }
  }
  std::vector<uint64_t> widths(rules.rules.size(), k_no_prefilter);
  for (size_t i = 0; i < rules.rules.size(); ++i) {
    if (!impl->compiled[i].regex) continue;
    if (!cached.empty()) {
      std::memcpy(&widths[i], cached.data() + 8 + i * 8, 8);
      continue;
    }
    const Rule& r = rules.rules[i];
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* err = nullptr;
    // Exact width from the real pattern when Hyperscan supports it, else from the prefilter's
    // superset.
    if (hs_expression_info(r.regex.c_str(), HS_FLAG_ALLOWEMPTY, &info, &err) != HS_SUCCESS) {
      hs_free_compile_error(err);
      err = nullptr;
      if (hs_expression_info(r.regex.c_str(), regex_flags, &info, &err) != HS_SUCCESS) {
        hs_free_compile_error(err);
        continue;  // k_no_prefilter: confirmed by RE2 alone
      }
    }
    widths[i] = info->max_width;
    std::free(info);
  }
  std::vector<std::string> patterns;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  std::vector<size_t> pattern_rule;  // pattern index -> rule index
  for (size_t i = 0; i < rules.rules.size(); ++i) {
    const Rule& r = rules.rules[i];
    CompiledRule& c = impl->compiled[i];
    if (!c.regex) continue;
    if (!r.path.empty()) {
      // Path-gated rules (credential files: .pgpass, .env, ...) stay out of the Hyperscan pass:
      // their loose patterns would fire all over ordinary code, and they only ever apply to a
      // few small files, which RE2 then scans whole (see scan()).
      continue;
    }
    if (widths[i] == k_no_prefilter) {
      impl->fallback.push_back(r.id);
      continue;
    }
    if (widths[i] == UINT_MAX) {
      c.window = options.unbounded_window;
    } else {
      c.window = static_cast<size_t>(widths[i]);
      impl->max_bounded = std::max<size_t>(impl->max_bounded, c.window);
    }
    c.prefiltered = true;
    patterns.push_back(r.regex);
    flags.push_back(regex_flags);
    ids.push_back(static_cast<unsigned>(patterns.size() - 1));
    pattern_rule.push_back(i);
  }
  if (!cached.empty()) {
    const size_t at = 8 + rules.rules.size() * 8;
    uint32_t n = 0;
    std::memcpy(&n, cached.data() + at, 4);
    const size_t header = at + 4 + size_t{n} * 4;
    hs_database_t* db = nullptr;
    std::vector<size_t> rule_of = pattern_rule;  // to check the removals before applying them
    bool ok = n <= patterns.size() && cached.size() > header;
    for (uint32_t k = 0; ok && k < n; ++k) {
      uint32_t bad = 0;
      std::memcpy(&bad, cached.data() + at + 4 + size_t{k} * 4, 4);
      ok = bad < rule_of.size() && rule_of[bad] < rules.rules.size();
      if (!ok) break;
      rule_of.erase(rule_of.begin() + bad);
    }
    if (ok && hs_deserialize_database(cached.data() + header, cached.size() - header, &db) ==
                  HS_SUCCESS) {
      for (uint32_t k = 0; k < n; ++k) {
        uint32_t bad = 0;
        std::memcpy(&bad, cached.data() + at + 4 + size_t{k} * 4, 4);
        impl->compiled[pattern_rule[bad]].prefiltered = false;
        impl->fallback.push_back(rules.rules[pattern_rule[bad]].id);
        pattern_rule.erase(pattern_rule.begin() + bad);
      }
      impl->db = db;
      patterns.clear();
    }
  }
  std::vector<uint32_t> removed;
  // Compile; a pattern Hyperscan rejects at this stage (too large, ...) moves to the fallback.
  while (!patterns.empty()) {
    std::vector<const char*> ptrs;
    for (const auto& p : patterns) ptrs.push_back(p.c_str());
    hs_compile_error_t* err = nullptr;
    hs_database_t* db = nullptr;
    if (hs_compile_multi(ptrs.data(), flags.data(), ids.data(), static_cast<unsigned>(ptrs.size()),
                         HS_MODE_BLOCK, nullptr, &db, &err) == HS_SUCCESS) {
      impl->db = db;
      char* ser = nullptr;
      size_t ser_len = 0;
      if (!cache_file.empty() && hs_serialize_database(db, &ser, &ser_len) == HS_SUCCESS) {
        std::string out = "SLH2";
        const auto nrules = static_cast<uint32_t>(widths.size());
        out.append(reinterpret_cast<const char*>(&nrules), 4);
        out.append(reinterpret_cast<const char*>(widths.data()), widths.size() * 8);
        const auto n = static_cast<uint32_t>(removed.size());
        out.append(reinterpret_cast<const char*>(&n), 4);
        out.append(reinterpret_cast<const char*>(removed.data()), removed.size() * 4);
        out.append(ser, ser_len);
        std::free(ser);
        (void)base::atomic_write(cache_file, out);  // a cache: failing to write it is harmless
      }
      break;
    }
    const int bad = err->expression;
    std::string message = err->message;
    hs_free_compile_error(err);
    if (bad < 0 || pattern_rule[static_cast<size_t>(bad)] >= rules.rules.size()) {
      return make_error(ErrorCode::internal, "cannot build the Hyperscan database: " + message);
    }
    removed.push_back(static_cast<uint32_t>(bad));
    const size_t rule = pattern_rule[static_cast<size_t>(bad)];
    impl->compiled[rule].prefiltered = false;
    impl->fallback.push_back(rules.rules[rule].id);
    patterns.erase(patterns.begin() + bad);
    flags.erase(flags.begin() + bad);
    pattern_rule.erase(pattern_rule.begin() + bad);
    ids.pop_back();
  }
  std::vector<size_t> path_rules;
  for (size_t i = 0; i < impl->compiled.size(); ++i) {
    if (impl->compiled[i].path) path_rules.push_back(i);
  }
  if (!path_rules.empty()) {
    auto set = std::make_unique<RE2::Set>(re2_options(), RE2::UNANCHORED);
    bool ok = true;
    for (size_t i : path_rules) {
      const int at = set->Add(rules.rules[i].path, nullptr);
      ok = ok && at >= 0;
      impl->compiled[i].path_set_index = at;
    }
    if (ok && set->Compile()) {
      (void)set->Match(re2::StringPiece(), &impl->empty_path_matches);
      std::sort(impl->empty_path_matches.begin(), impl->empty_path_matches.end());
      impl->path_set = std::move(set);
    } else {
      for (size_t i : path_rules) impl->compiled[i].path_set_index = -1;  // match one by one
    }
  }
  for (size_t i = 0; i < impl->compiled.size(); ++i) {
    if (!impl->compiled[i].prefiltered) impl->unfiltered_rules.push_back(i);
  }
  impl->pattern_rule = std::move(pattern_rule);
  impl->rules = std::move(rules);
  return std::shared_ptr<const Scanner>(new Scanner(std::move(impl)));
}

namespace {

struct ScanState {
  const std::vector<size_t>* pattern_rule;
  const std::vector<CompiledRule>* compiled;
  std::vector<std::vector<Hit>>* regions;  // per rule, merged candidate windows
  std::vector<size_t>* hit_rules;          // rules with a candidate, in first-hit order
  size_t offset;  // of the scanned block within the input
};

int on_match(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/, void* ctx) {
  auto* st = static_cast<ScanState*>(ctx);
  const size_t r = (*st->pattern_rule)[id];
  const size_t end = static_cast<size_t>(to) + st->offset;
  const size_t window = (*st->compiled)[r].window;
  const size_t start = end > window ? end - window : 0;
  auto& v = (*st->regions)[r];
  if (v.empty()) st->hit_rules->push_back(r);
  if (!v.empty() && start <= v.back().end) {
    v.back().end = std::max(v.back().end, end);
  } else {
    v.push_back(Hit{start, end});
  }
  return 0;
}

bool equal_icase(std::string_view a, std::string_view lower_b) {
  for (size_t i = 0; i < a.size(); ++i) {
    char ch = a[i];
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    if (ch != lower_b[i]) return false;
  }
  return true;
}

// Whether lowercase `kw` occurs case-insensitively in `s`. Linear: the next position of the
// first character in each case is looked up once and reused until passed.
bool contains_icase(std::string_view s, std::string_view kw) {
  if (kw.empty()) return true;
  if (s.size() < kw.size()) return false;
  const char lo = kw[0];
  const char up = lo >= 'a' && lo <= 'z' ? static_cast<char>(lo - 'a' + 'A') : lo;
  const size_t end = s.size() - kw.size() + 1;  // candidate starts are < end
  auto next = [&](char ch, size_t from) {
    const void* p = from < end ? std::memchr(s.data() + from, ch, end - from) : nullptr;
    return p ? static_cast<size_t>(static_cast<const char*>(p) - s.data()) : end;
  };
  size_t at_lo = next(lo, 0);
  size_t at_up = up == lo ? end : next(up, 0);
  while (at_lo < end || at_up < end) {
    const size_t at = std::min(at_lo, at_up);
    if (equal_icase(s.substr(at + 1, kw.size() - 1), kw.substr(1))) return true;
    if (at == at_lo) at_lo = next(lo, at + 1);
    if (at == at_up) at_up = next(up, at + 1);
  }
  return false;
}

// A rule's keyword gate: does `kw` occur anywhere in `text`? Looked for first around the
// rule's candidate windows (where it nearly always is: most patterns contain their keyword);
// `whole_text_pass` settles every keyword at once otherwise. Answers are kept in `seen`.
template <typename WholeTextPass>
bool keyword_present(std::string_view text, size_t k, std::string_view kw, const std::vector<Hit>& windows,
                     std::vector<signed char>& seen, WholeTextPass&& whole_text_pass) {
  if (seen[k] >= 0) return seen[k] != 0;
  for (const Hit& w : windows) {
    const size_t b = w.start > kw.size() ? w.start - kw.size() : 0;
    const size_t e = std::min(text.size(), w.end + kw.size());
    if (contains_icase(text.substr(b, e - b), kw)) {
      seen[k] = 1;
      return true;
    }
  }
  whole_text_pass();
  return seen[k] != 0;
}

int on_keyword(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
  (*static_cast<std::vector<signed char>*>(ctx))[id] = 1;
  return 0;
}

bool has_inline_allow(std::string_view line) {
  return line.find("sluice:allow") != std::string_view::npos || line.find("gitleaks:allow") != std::string_view::npos;
}

}  // namespace

bool Scanner::path_excluded(std::string_view path) const {
  if (path.empty()) return false;
  for (const auto& a : m_impl->global) {
    if (a.paths.empty()) continue;
    const bool path_ok = std::any_of(a.paths.begin(), a.paths.end(), [&](const auto& re) {
      return RE2::PartialMatch(re2::StringPiece(path.data(), path.size()), *re);
    });
    // An AND allowlist with other checks cannot exclude a whole file by path alone.
    const bool only_paths = a.regexes.empty() && a.stopwords.empty() && a.commits.empty();
    if (path_ok && (a.condition == Condition::any || only_paths)) return true;
  }
  return false;
}

std::vector<Finding> Scanner::scan(std::string_view text, std::string_view path, InlineAllow inline_allow,
                                   std::string_view commit) const {
  const Impl& im = *m_impl;
  std::vector<Finding> out;
  if (path_excluded(path)) return out;
  const size_t nrules = im.compiled.size();
  // Per rule candidate windows, kept per thread across scans (a stream redactor scans every few
  // KiB): only the entries of rules that had candidates are touched, and cleared on the way out.
  thread_local std::vector<std::vector<Hit>> tl_regions;
  if (tl_regions.size() < nrules) tl_regions.resize(nrules);
  std::vector<std::vector<Hit>>& regions = tl_regions;
  std::vector<size_t> todo;  // rules to confirm: those with candidates, then the unfiltered ones
  struct ClearRegions {
    std::vector<std::vector<Hit>>& regions;
    std::vector<size_t>& todo;
    ~ClearRegions() {
      for (size_t ri : todo) regions[ri].clear();
    }
  } clear_regions{regions, todo};
  // Per keyword: -1 not looked up yet, 0 absent, 1 present (case-insensitive, anywhere).
  std::vector<signed char> keyword_seen(im.keywords.size(), -1);
  if (im.db) {
    hs_scratch_t* scratch = detail::thread_scratch(im.db, im.db_id);
    if (!scratch) throw std::runtime_error("hyperscan: cannot allocate scratch space");
    ScanState st{&im.pattern_rule, &im.compiled, &regions, &todo, 0};
    // Hyperscan takes an unsigned length: inputs past 4 GiB are scanned in overlapping blocks.
    const size_t k_block = size_t{1} << 31;
    const size_t overlap = std::max(im.max_bounded, im.options.unbounded_window);
    for (size_t off = 0;; off += k_block - overlap) {
      const size_t len = std::min(text.size() - off, k_block);
      st.offset = off;
      if (hs_scan(im.db, text.data() + off, static_cast<unsigned>(len), 0, scratch, on_match, &st) != HS_SUCCESS) {
        throw std::runtime_error("hyperscan: scan failed");
      }
      if (off + len >= text.size()) break;
    }
  }

  std::vector<int> paths_matched;
  if (im.path_set && path.empty()) {
    paths_matched = im.empty_path_matches;
  } else if (im.path_set) {
    (void)im.path_set->Match(re2::StringPiece(path.data(), path.size()), &paths_matched);
    std::sort(paths_matched.begin(), paths_matched.end());
  }
  // Only rules with a candidate and rules that do not go through Hyperscan can report: a small
  // input (a log line, a 4 KiB write) must not pay a loop over every rule.
  todo.insert(todo.end(), im.unfiltered_rules.begin(), im.unfiltered_rules.end());
  std::sort(todo.begin(), todo.end());
  bool whole_text_done = false;
  auto whole_text_pass = [&] {
    if (whole_text_done) return;
    whole_text_done = true;
    const hs_database_t* kdb = im.keyword_database();
    hs_scratch_t* scratch = kdb ? detail::thread_scratch(kdb, im.keyword_db_id) : nullptr;
    for (auto& k : keyword_seen) k = k > 0 ? 1 : 0;
    bool ok = scratch != nullptr;
    const size_t k_block = size_t{1} << 31;
    const size_t overlap = 256;
    for (size_t off = 0; ok && off < text.size(); off += k_block - overlap) {
      const size_t len = std::min(text.size() - off, k_block);
      ok = hs_scan(kdb, text.data() + off, static_cast<unsigned>(len), 0, scratch, on_keyword, &keyword_seen) ==
           HS_SUCCESS;
      if (off + len >= text.size()) break;
    }
    if (!ok) std::fill(keyword_seen.begin(), keyword_seen.end(), 1);  // fail open: never miss a secret
  };
  const re2::StringPiece whole(text.data(), text.size());
  for (size_t ri : todo) {
    const CompiledRule& c = im.compiled[ri];
    const Rule& rule = im.rules.rules[ri];
    if (c.regex && c.prefiltered && regions[ri].empty()) continue;  // no candidate: nothing to gate
    if (c.path) {
      const bool path_ok =
          c.path_set_index >= 0
              ? std::binary_search(paths_matched.begin(), paths_matched.end(), c.path_set_index)
              : RE2::PartialMatch(re2::StringPiece(path.data(), path.size()), *c.path);
      if (!path_ok) continue;
    }
    // The keyword gate. For a prefiltered rule it is settled only when the rule is about to
    // report (RE2 in the few candidate windows is cheaper than looking for keywords that
    // are not there); rules that RE2 scans whole are gated first.
    int gate = c.keyword_ids.empty() ? 1 : -1;
    auto gate_open = [&](size_t ms, size_t me) {
      if (gate < 0) {
        // Nearly always the keyword is part of the match itself.
        const size_t b = ms > 64 ? ms - 64 : 0;
        const std::string_view around = text.substr(b, std::min(text.size(), me + 64) - b);
        for (size_t k : c.keyword_ids) {
          if (keyword_seen[k] == 1 || contains_icase(around, im.keywords[k])) {
            keyword_seen[k] = 1;
            gate = 1;
            return true;
          }
        }
      }
      if (gate < 0) {
        gate = std::any_of(c.keyword_ids.begin(), c.keyword_ids.end(), [&](size_t k) {
          return keyword_present(text, k, im.keywords[k], regions[ri], keyword_seen, whole_text_pass);
        }) ? 1 : 0;
      }
      return gate == 1;
    };
    if (!(c.regex && c.prefiltered) && !gate_open(0, 0)) continue;
    if (!c.regex) {
      if (c.path && !path.empty()) {
        Finding f;
        f.rule_id = rule.id;
        f.path = std::string(path);
        f.line = 1;
        f.column = 1;
        f.secret_sha256 = base::sha256_hex("");
        f.fingerprint = finding_fingerprint(rule.id, "", path);
        out.push_back(std::move(f));
      }
      continue;
    }
    std::vector<Hit> windows;
    if (c.prefiltered) {
      windows = regions[ri];  // copied: the keyword gate may still look around them
    } else {
      windows.push_back(Hit{0, text.size()});
    }
    const RE2& confirmer = c.regex->get();
    if (!confirmer.ok()) continue;  // only possible with lazy_confirmers on an unchecked rule
    const int ngroups = confirmer.NumberOfCapturingGroups() + 1;
    if (rule.secret_group >= ngroups) continue;  // likewise
    std::vector<re2::StringPiece> groups(static_cast<size_t>(ngroups));
    size_t resume = 0;
    for (const Hit& w : windows) {
      size_t pos = std::max(w.start, resume);
      const size_t limit = std::min(text.size(), w.end + std::min(c.window, size_t{4096}));
      while (pos <= w.end && pos <= limit) {
        if (!confirmer.Match(whole, pos, limit, RE2::UNANCHORED, groups.data(), ngroups)) break;
        const size_t ms = static_cast<size_t>(groups[0].data() - text.data());
        const size_t me = ms + groups[0].size();
        if (ms > w.end) break;
        pos = me > ms ? me : ms + 1;
        resume = pos;
        re2::StringPiece secret = groups[0];
        if (rule.secret_group > 0) {
          secret = groups[static_cast<size_t>(rule.secret_group)];
        } else {
          for (int g = 1; g < ngroups; ++g) {
            if (!groups[static_cast<size_t>(g)].empty()) {
              secret = groups[static_cast<size_t>(g)];
              break;
            }
          }
        }
        if (secret.empty() || secret.data() == nullptr) continue;
        const std::string_view sv(secret.data(), secret.size());
        const double ent = shannon_entropy(sv);
        if (rule.entropy && ent <= *rule.entropy) continue;
        const size_t ss = static_cast<size_t>(secret.data() - text.data());
        const std::string_view match = text.substr(ms, me - ms);
        const std::string_view line = line_around(text, ms, me);
        auto allowed = [&](const CompiledAllowlist& a) { return allowlist_allows(a, sv, match, line, path, commit); };
        if (std::any_of(c.allowlists.begin(), c.allowlists.end(), allowed)) continue;
        if (std::any_of(im.global.begin(), im.global.end(), allowed)) continue;
        if (inline_allow == InlineAllow::honor && has_inline_allow(line_around(text, ss, ss))) continue;
        if (!gate_open(ms, me)) break;
        Finding f;
        f.rule_id = rule.id;
        f.path = std::string(path);
        f.start = ss;
        f.end = ss + sv.size();
        f.match_start = ms;
        f.match_end = me;
        f.secret = std::string(sv);
        f.secret_sha256 = base::sha256_hex(sv);
        f.fingerprint = fingerprint_from_hash(rule.id, f.secret_sha256, path);
        f.entropy = ent;
        out.push_back(std::move(f));
      }
      if (gate == 0) break;
    }
  }
  std::sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return a.start != b.start ? a.start < b.start : a.rule_id < b.rule_id;
  });
  // As gitleaks does: a generic-* finding on the same bytes as a specific rule's is dropped.
  auto is_generic = [](const Finding& f) { return f.rule_id.rfind("generic", 0) == 0; };
  std::vector<char> drop(out.size(), 0);
  for (size_t i = 0; i < out.size(); ++i) {
    if (!is_generic(out[i])) continue;
    // Sorted by start: look at the neighbours only (bounded, so many findings stay linear).
    const size_t lo = i > 64 ? i - 64 : 0;
    const size_t hi = std::min(out.size(), i + 64);
    for (size_t j = lo; j < hi && !drop[i]; ++j) {
      drop[i] = j != i && !is_generic(out[j]) && out[j].start <= out[i].start && out[j].end >= out[i].end &&
                out[j].end > out[j].start;
    }
  }
  std::vector<Finding> kept;
  kept.reserve(out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    if (!drop[i]) kept.push_back(std::move(out[i]));
  }
  out = std::move(kept);
  // Line and column in one forward pass.
  size_t line = 1;
  size_t line_start = 0;
  size_t pos = 0;
  for (Finding& f : out) {
    if (f.line != 0) continue;  // path-only findings
    while (pos < f.start) {
      const void* nl = std::memchr(text.data() + pos, '\n', f.start - pos);
      if (!nl) {
        pos = f.start;
        break;
      }
      pos = static_cast<size_t>(static_cast<const char*>(nl) - text.data()) + 1;
      ++line;
      line_start = pos;
    }
    f.line = line;
    f.column = f.start - line_start + 1;
  }
  return out;
}

}  // namespace sluice::secrets
