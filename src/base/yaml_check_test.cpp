#include "base/yaml_check.h"

#include <gtest/gtest.h>

#include <array>

using namespace sluice;
using namespace sluice::base::yaml;

namespace {

Node parse_one(const std::string& text) {
  auto docs = parse(text, "f.yml");
  if (!docs || docs->empty()) throw std::runtime_error("bad test YAML");
  return (*docs)[0].root;
}

std::string all(Checker& c) {
  std::string s;
  for (const auto& d : c.diagnostics()) s += d.to_string() + "\n";
  return s;
}

constexpr std::array<std::string_view, 3> k_keys = {"needs", "run", "timeout"};

}  // namespace

TEST(YamlChecker, UnknownKeysGetOneWording) {
  auto n = parse_one("nedds: 1\nzzz: 2\nrun: x\n");
  Checker c("f.yml");
  c.check_keys(n, k_keys, "stage \"a\"");
  EXPECT_EQ(all(c), "f.yml:1:1: unknown key \"nedds\" (did you mean \"needs\"?)\n"
                    "f.yml:2:1: unknown key \"zzz\" in stage \"a\" (allowed: needs, run, timeout)\n");
}

TEST(YamlChecker, TypesAreCheckedAndReportedWithThePosition) {
  auto n = parse_one("s: [1]\nl: [a, {b: 1}]\nb: yes\nd: 10x\nn: -1\ni: 2.5\nok: 30s\n");
  Checker c("f.yml");
  EXPECT_FALSE(c.string(*n.find("s"), "s"));
  EXPECT_EQ(c.strings(*n.find("l"), "l"), std::vector<std::string>{"a"});
  EXPECT_FALSE(c.boolean(*n.find("b"), "b"));  // YAML 1.2: "yes" is a string
  EXPECT_FALSE(c.duration(*n.find("d"), "d"));
  EXPECT_FALSE(c.number(*n.find("n"), "n", 0));
  EXPECT_FALSE(c.integer(*n.find("i"), "i", 0));
  EXPECT_EQ(c.duration(*n.find("ok"), "ok"), std::chrono::seconds(30));
  EXPECT_FALSE(c.expect_map(*n.find("l"), "l"));
  const std::string s = all(c);
  EXPECT_NE(s.find("f.yml:1:4: \"s\" must be a string, not a sequence"), std::string::npos) << s;
  EXPECT_NE(s.find("items of \"l\" must be strings, not a mapping"), std::string::npos) << s;
  EXPECT_NE(s.find("\"b\" must be true or false, not \"yes\""), std::string::npos) << s;
  EXPECT_NE(s.find("\"d\": "), std::string::npos) << s;
  EXPECT_NE(s.find("\"n\" must be a number >= 0, not \"-1\""), std::string::npos) << s;
  EXPECT_NE(s.find("\"i\" must be an integer >= 0, not \"2.5\""), std::string::npos) << s;
  EXPECT_NE(s.find("l must be a mapping, not a sequence"), std::string::npos) << s;
}

TEST(YamlChecker, NullIsNoStrings) {
  auto n = parse_one("l: ~\n");
  Checker c("f.yml");
  EXPECT_TRUE(c.strings(*n.find("l"), "l").empty());
  EXPECT_TRUE(c.ok());
}
