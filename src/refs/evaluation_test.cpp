// The evaluation set of tests/fixtures/refs (built by make_eval.py from real code on Debian 12):
// real files must produce no finding, each invented reference must be found. Prints the
// figures docs/references.md records.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/files.h"
#include "base/strings.h"
#include "refs/checker.h"

namespace sluice::refs {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string path, expected, category;
};

struct Tally {
  int real = 0, false_positive = 0, invented = 0, found = 0;
};

TEST(Evaluation, InventedFoundAndRealClean) {
  const char* src = std::getenv("SLUICE_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  const fs::path root = fs::path(src) / "tests/fixtures/refs";
  auto tsv = base::read_file(root / "cases.tsv");
  ASSERT_TRUE(tsv) << tsv.error().message;
  std::map<std::string, std::vector<Case>> by_lang;
  for (std::string_view line : base::split(*tsv, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto cols = base::split(line, '\t');
    ASSERT_EQ(cols.size(), 3u) << line;
    const std::string path(cols[0]);
    by_lang[path.substr(0, path.find('/'))].push_back(Case{path, std::string(cols[1]), std::string(cols[2])});
  }
  std::map<std::string, Tally> tallies;
  Tally total;
  for (const auto& [lang, cases] : by_lang) {
    CheckOptions opts;
    opts.base = root / lang;  // no toolchain: the shipped tables alone decide builtins
    if (auto allow = base::read_file(root / lang / "refs-allow.txt")) opts.allow = parse_allow_file(*allow);
    auto checker = Checker::create(std::move(opts));
    ASSERT_TRUE(checker) << checker.error().message;
    Tally& t = tallies[lang];
    for (const Case& c : cases) {
      Report r = (*checker)->check_paths({(root / c.path).string()});
      EXPECT_TRUE(r.errors.empty()) << c.path;
      std::erase_if(r.findings, [](const Finding& f) { return f.kind == RefKind::lock; });
      if (c.expected == "-") {
        ++t.real;
        if (!r.findings.empty()) {
          ++t.false_positive;
          std::printf("false positive: %s:%d: %s\n", c.path.c_str(), r.findings[0].line, r.findings[0].reason.c_str());
        }
      } else {
        ++t.invented;
        bool hit = false;
        for (const Finding& f : r.findings) hit = hit || f.reference == c.expected;
        if (hit) ++t.found;
        else std::printf("missed: %s (%s, %s)\n", c.path.c_str(), c.expected.c_str(), c.category.c_str());
      }
    }
    total.real += t.real;
    total.false_positive += t.false_positive;
    total.invented += t.invented;
    total.found += t.found;
  }
  auto pct = [](int a, int b) { return b == 0 ? 0.0 : 100.0 * a / b; };
  for (const auto& [lang, t] : tallies) {
    std::printf("%-10s invented found %3d/%3d (%5.1f%%)  false positives %d/%d real files (%4.2f%%)\n", lang.c_str(),
                t.found, t.invented, pct(t.found, t.invented), t.false_positive, t.real, pct(t.false_positive, t.real));
  }
  std::printf("%-10s invented found %3d/%3d (%5.1f%%)  false positives %d/%d real files (%4.2f%%)\n", "total",
              total.found, total.invented, pct(total.found, total.invented), total.false_positive, total.real,
              pct(total.false_positive, total.real));
  EXPECT_GE(total.real + total.invented, 300);
  EXPECT_GE(pct(total.found, total.invented), 95.0);
  EXPECT_LE(pct(total.false_positive, total.real), 1.0);
}

}  // namespace
}  // namespace sluice::refs
