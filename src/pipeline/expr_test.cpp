#include "pipeline/expr.h"

#include <gtest/gtest.h>

#include <map>

using namespace sluice::pipeline::expr;

namespace {

class TableScope final : public Scope {
 public:
  std::optional<Value> lookup(const std::vector<std::string>& path) const override {
    std::string key;
    for (const auto& p : path) key += (key.empty() ? "" : ".") + p;
    auto it = m_vars.find(key);
    if (it == m_vars.end()) return std::nullopt;
    return Value{it->second};
  }
  bool changed(const std::vector<std::string>& globs) const override {
    for (const auto& g : globs) {
      if (g == "docs/**") return true;
    }
    return false;
  }

 private:
  std::map<std::string, std::string> m_vars{{"git.branch", "main"},   {"env.CI", "true"},
                                            {"matrix.python", "3.10"}, {"env.EMPTY", ""},
                                            {"params.n", "3"},         {"git.tag", "v1.2"}};
};

struct Case {
  const char* text;
  bool expected;
};

// The language as documented in docs/pipeline.md, one line per rule.
const Case k_cases[] = {
    {"true", true},
    {"false", false},
    {"git.branch == 'main'", true},
    {"git.branch == \"main\"", true},
    {"git.branch != 'main'", false},
    {"${{ git.branch == 'main' }}", true},
    {"git.branch == 'main' && env.CI == 'true'", true},
    {"git.branch == 'dev' || env.CI == 'true'", true},
    {"git.branch == 'dev' || env.CI == 'false'", false},
    {"!(git.branch == 'main')", false},
    {"!false && !!true", true},
    {"true || false && false", true},  // && binds tighter
    {"(true || false) && false", false},
    {"env.UNSET", false},               // unknown names are null
    {"env.UNSET == ''", true},          // null compares as ""
    {"env.EMPTY", false},
    {"env.CI", true},
    {"matrix.python == 3.10", true},   // number against a numeric string
    {"matrix.python == '3.10'", true},
    {"params.n == 3", true},
    {"params.n == 3.0", true},
    {"params.n != 4", true},
    {"env.CI == true", true},          // bool against "true"
    {"0", false},
    {"1", true},
    {"-1 == -1.0", true},
    {"''", false},
    {"'it''s' == \"it's\"", true},
    {"\"a\\\"b\" == 'a\"b'", true},
    {"null == ''", true},
    {"changed(\"docs/**\")", true},
    {"changed('src/**')", false},
    {"changed('src/**', 'docs/**')", true},
    {"always()", true},
    {"!always() || git.tag == 'v1.2'", true},
    {"  git.branch   ==   'main'  ", true},
};

TEST(Expr, TableOfCases) {
  TableScope scope;
  for (const auto& c : k_cases) {
    auto e = parse(c.text);
    ASSERT_TRUE(e) << c.text << ": " << e.error().message << " at " << e.error().offset;
    EXPECT_EQ(evaluate(*(*e)->root, scope).truthy(), c.expected) << c.text;
  }
}

struct Bad {
  const char* text;
  const char* message;
  size_t offset;
};

const Bad k_bad[] = {
    {"", "the expression is empty", 0},
    {"git.branch ==", "expected a value, a name or \"(\" but the expression ends", 13},
    {"git.branch = 'main'", "unexpected \"=\"", 11},
    {"(true", "expected \")\" but found end of expression", 5},
    {"'open", "unterminated string", 0},
    {"true false", "unexpected \"false\"", 5},
    {"contains('a', 'b')", "unknown function \"contains\" (the functions are changed() and always())", 0},
    {"always(1)", "always() takes no arguments", 0},
    {"changed()", "changed() needs at least one glob, as changed(\"docs/**\")", 0},
    {"changed(env.X)", "the arguments of changed() are quoted globs, as changed(\"docs/**\")", 8},
    {"git.", "expected a name after \".\"", 4},
    {"a && || b", "expected a value, a name or \"(\" but found \"||\"", 5},
    {"${{ a == }}", "expected a value, a name or \"(\" but the expression ends", 9},
    {"1x", "\"1x\" is not a number", 0},
    {"@", "expected a value, a name or \"(\" but found \"@\"", 0},
};

TEST(Expr, ErrorsSayWhatAndWhere) {
  for (const auto& b : k_bad) {
    auto e = parse(b.text);
    ASSERT_FALSE(e) << b.text;
    EXPECT_EQ(e.error().message, b.message) << b.text;
    EXPECT_EQ(e.error().offset, b.offset) << b.text;
  }
}

TEST(Expr, NestingIsBounded) {
  std::string deep(10000, '(');
  auto e = parse(deep);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "expression nests too deeply");
  std::string nots(10000, '!');
  EXPECT_FALSE(parse(nots + "true"));
}

TEST(Expr, CollectsNamesAndAlways) {
  auto e = parse("stages.build.outputs.version == '1' && always() || changed('x')");
  ASSERT_TRUE(e);
  std::vector<std::vector<std::string>> names;
  collect_names(*(*e)->root, names);
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0], (std::vector<std::string>{"stages", "build", "outputs", "version"}));
  EXPECT_EQ(names[1], (std::vector<std::string>{"always()"}));
  EXPECT_TRUE(calls_always(*(*e)->root));
  EXPECT_FALSE(calls_always(*(*parse("true"))->root));
}

TEST(Expr, PlaceholdersAndSubstitution) {
  std::string s = "echo ${{ matrix.python }} and ${{stages.b.outputs.v}}!";
  auto ph = placeholders(s);
  ASSERT_TRUE(ph);
  ASSERT_EQ(ph->size(), 2u);
  EXPECT_EQ((*ph)[0].inner, " matrix.python ");
  std::string out = substitute(s, *ph, [](const Placeholder& p) -> std::optional<std::string> {
    if (p.inner.find("matrix") != std::string_view::npos) return "3.11";
    return std::nullopt;
  });
  EXPECT_EQ(out, "echo 3.11 and ${{stages.b.outputs.v}}!");
  auto bad = placeholders("a ${{ b");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().offset, 2u);
}

TEST(Expr, ValueText) {
  EXPECT_EQ(Value{3.0}.text(), "3");
  EXPECT_EQ(Value{1.5}.text(), "1.5");
  EXPECT_EQ(Value{true}.text(), "true");
  EXPECT_EQ(Value{}.text(), "");
}

}  // namespace
