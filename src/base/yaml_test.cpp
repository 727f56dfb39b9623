#include "base/yaml.h"

#include <gtest/gtest.h>

using namespace sluice::base::yaml;

TEST(Yaml, MarksAndOrder) {
  auto docs = parse("version: 1\nstages:\n  b:\n    run: x\n  a:\n    run: y\n", "p.yml");
  ASSERT_TRUE(docs.has_value()) << docs.error().message;
  ASSERT_EQ(docs->size(), 1u);
  const Node& root = (*docs)[0].root;
  const Node* stages = root.find("stages");
  ASSERT_NE(stages, nullptr);
  ASSERT_EQ(stages->entries.size(), 2u);
  EXPECT_EQ(stages->entries[0].key.scalar, "b");
  EXPECT_EQ(stages->entries[0].key.mark.line, 3);
  EXPECT_EQ(stages->entries[0].key.mark.column, 3);
  EXPECT_EQ(stages->entries[1].value.find("run")->scalar, "y");
  EXPECT_TRUE(root.find("version")->is_int());
}

TEST(Yaml, DuplicateKeysAreErrorsWithPositions) {
  auto docs = parse("a: 1\nb: 2\na: 3\n", "dup.yml");
  ASSERT_FALSE(docs.has_value());
  EXPECT_NE(docs.error().message.find("dup.yml:3:1: duplicate key \"a\""), std::string::npos)
      << docs.error().message;
}

TEST(Yaml, SyntaxErrorNamesFileLineColumn) {
  auto docs = parse("a: 1\nb: c: d\n", "bad.yml");
  ASSERT_FALSE(docs.has_value());
  EXPECT_EQ(docs.error().message.rfind("bad.yml:", 0), 0u) << docs.error().message;
  EXPECT_NE(docs.error().message.find("bad.yml:2:"), std::string::npos) << docs.error().message;
}

TEST(Yaml, MultiDocumentAndEmpty) {
  auto docs = parse("a: 1\n---\n---\nb: [x, 'y']\n", "m.yml");
  ASSERT_TRUE(docs.has_value()) << docs.error().message;
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_TRUE((*docs)[1].empty);
  const Node* b = (*docs)[2].root.find("b");
  ASSERT_TRUE(b && b->is_seq());
  EXPECT_EQ(b->items[1].style, ScalarStyle::single_quoted);
}

TEST(Yaml, ScalarTypes) {
  auto docs = parse("i: 42\nf: 1.5e3\ns: '42'\nb: true\nn: ~\nh: 0x1F\nw: 1.2.3\n", "t.yml");
  ASSERT_TRUE(docs.has_value());
  const Node& r = (*docs)[0].root;
  EXPECT_TRUE(r.find("i")->is_int());
  EXPECT_TRUE(r.find("f")->is_float());
  EXPECT_FALSE(r.find("s")->is_int());
  EXPECT_TRUE(r.find("b")->is_bool());
  EXPECT_TRUE(r.find("n")->is_null());
  EXPECT_TRUE(r.find("h")->is_int());
  EXPECT_EQ(r.find("w")->type_name(), "string");
}

TEST(Yaml, AliasesExpand) {
  auto docs = parse("base: &b {x: 1}\nother: *b\n", "a.yml");
  ASSERT_TRUE(docs.has_value()) << docs.error().message;
  EXPECT_EQ((*docs)[0].root.find("other")->find("x")->scalar, "1");
}

TEST(Yaml, JsonInput) {
  auto docs = parse(R"({"apiVersion": "v1", "kind": "Pod", "n": 3})", "x.json");
  ASSERT_TRUE(docs.has_value()) << docs.error().message;
  EXPECT_EQ((*docs)[0].root.find("kind")->scalar, "Pod");
}
