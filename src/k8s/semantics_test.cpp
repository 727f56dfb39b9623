#include "k8s/semantics.h"

#include <gtest/gtest.h>

namespace sluice::k8s {
namespace {

TEST(Semantics, Quantities) {
  for (const char* ok : {"1", "0.5", "100m", "1.5Gi", "2Ki", "1e3", "1E-2", "+5", "-1", ".5", "5.", "128974848"}) {
    EXPECT_TRUE(is_quantity(ok)) << ok;
  }
  for (const char* bad : {"", "one", "2GB", "1.5 Gi", "Gi", "1e", "1Kii", "--1", "1m5", "."}) {
    EXPECT_FALSE(is_quantity(bad)) << bad;
  }
}

TEST(Semantics, QuantityPaths) {
  using P = std::vector<std::string>;
  EXPECT_TRUE(is_quantity_path(P{"spec", "containers", "[]", "resources", "limits", "*"}));
  EXPECT_TRUE(is_quantity_path(P{"spec", "limits", "[]", "defaultRequest", "*"}));
  EXPECT_TRUE(is_quantity_path(P{"spec", "volumes", "[]", "emptyDir", "sizeLimit"}));
  EXPECT_TRUE(is_quantity_path(P{"capacity"}));
  EXPECT_FALSE(is_quantity_path(P{"spec", "containers", "[]", "env", "[]", "value"}));
  EXPECT_FALSE(is_quantity_path(P{"spec", "containers", "[]", "resources", "claims", "[]", "name"}));
}

TEST(Semantics, NamesPerKind) {
  EXPECT_EQ(name_rule_for_kind("Service"), NameRule::dns1035_label);
  EXPECT_EQ(name_rule_for_kind("Namespace"), NameRule::dns1123_label);
  EXPECT_EQ(name_rule_for_kind("ClusterRole"), NameRule::path_segment);
  EXPECT_EQ(name_rule_for_kind("Deployment"), NameRule::dns1123_subdomain);
  EXPECT_FALSE(check_name("web-1.v2", NameRule::dns1123_subdomain));
  EXPECT_TRUE(check_name("Web", NameRule::dns1123_subdomain));
  EXPECT_TRUE(check_name("a..b", NameRule::dns1123_subdomain));
  EXPECT_TRUE(check_name(std::string(254, 'a'), NameRule::dns1123_subdomain));
  EXPECT_FALSE(check_name(std::string(63, 'a'), NameRule::dns1123_label));
  EXPECT_TRUE(check_name(std::string(64, 'a'), NameRule::dns1123_label));
  EXPECT_TRUE(check_name("a.b", NameRule::dns1123_label));
  EXPECT_TRUE(check_name("1abc", NameRule::dns1035_label));
  EXPECT_FALSE(check_name("1abc", NameRule::dns1123_label));
  EXPECT_FALSE(check_name("system:node-reader", NameRule::path_segment));
  EXPECT_TRUE(check_name("..", NameRule::path_segment));
  EXPECT_TRUE(check_name("a%2f", NameRule::path_segment));
}

TEST(Semantics, LabelKeysAndValues) {
  EXPECT_FALSE(check_qualified_name("app"));
  EXPECT_FALSE(check_qualified_name("app.kubernetes.io/name"));
  EXPECT_FALSE(check_qualified_name("A_b.c-D"));
  EXPECT_TRUE(check_qualified_name("/name"));
  EXPECT_TRUE(check_qualified_name("a/b/c"));
  EXPECT_TRUE(check_qualified_name("Example.com/x"));
  EXPECT_TRUE(check_qualified_name("x/"));
  EXPECT_TRUE(check_qualified_name("-x"));
  EXPECT_TRUE(check_qualified_name(std::string(64, 'a')));
  EXPECT_FALSE(check_label_value(""));
  EXPECT_FALSE(check_label_value("v1.2_3-x"));
  EXPECT_TRUE(check_label_value("has space"));
  EXPECT_TRUE(check_label_value("trailing-"));
  EXPECT_TRUE(check_label_value(std::string(64, 'a')));
}

}  // namespace
}  // namespace sluice::k8s
