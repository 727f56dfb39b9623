#include "k8s/layout.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "base/files.h"
#include "k8s/test_util.h"

namespace sluice::k8s {
namespace {

using detail::looks_like_template;
using detail::TemplateScope;

TEST(Template, HelmActionsAndUnquotedPlaceholdersAreTemplates) {
  EXPECT_TRUE(looks_like_template("metadata:\n  labels:\n    {{- include \"x.labels\" . | nindent 4 }}\n", TemplateScope::plain));
  EXPECT_TRUE(looks_like_template("spec:\n  replicas: {{ .Values.replicas }}\n", TemplateScope::plain));
  EXPECT_TRUE(looks_like_template("metadata:\n  name: etcd-{{cell}}\n", TemplateScope::plain));
  EXPECT_TRUE(looks_like_template("{{ if .Values.enabled }}\nkind: ConfigMap\n{{ end }}\n", TemplateScope::plain));
  EXPECT_TRUE(looks_like_template("items:\n  - {{ .Values.item }}\n", TemplateScope::plain));
}

TEST(Template, PlaceholdersInDataAreNotTemplates) {
  EXPECT_FALSE(looks_like_template("kind: ConfigMap\ndata:\n  a: b\n", TemplateScope::plain));
  // Quoted strings and block scalars carry text for other programs.
  EXPECT_FALSE(looks_like_template("data:\n  msg: \"{{ .Name }} says hi\"\n", TemplateScope::plain));
  EXPECT_FALSE(looks_like_template("args:\n  - |\n    echo {{backup_flags}}\n    {{ other }}\nkind: Pod\n",
                                   TemplateScope::plain));
  // A quoted scalar over several lines, as PyYAML writes long strings.
  EXPECT_FALSE(looks_like_template("args:\n- \"set -e\\n  echo \\\"x\\\"\n  \\ {{backup_flags}}\\\" vitess\"\nkind: Pod\n",
                                   TemplateScope::plain));
  EXPECT_FALSE(looks_like_template("a: 'it''s\n  {{x}}'\nb: c\n", TemplateScope::plain));
  EXPECT_TRUE(looks_like_template("a: \"one line\"\nb: {{x}}\n", TemplateScope::plain));
  // A plain scalar folded over several lines (also PyYAML's way), in a sequence and under a key.
  EXPECT_FALSE(looks_like_template("command:\n- sh -c \"run\n  {{backup_flags}}\" x\nkind: Pod\n", TemplateScope::plain));
  EXPECT_FALSE(looks_like_template("  - args: one\n      {{two}}\n    image: x\n", TemplateScope::plain));
  EXPECT_TRUE(looks_like_template("  - args: |\n      {{two}}\n    image: {{ .Values.image }}\n", TemplateScope::plain));
  // Prometheus alert text: variables filled in by Prometheus at run time, not by a renderer.
  EXPECT_FALSE(looks_like_template("annotations:\n  summary: Instance {{ $labels.instance }} down\n", TemplateScope::plain));
  EXPECT_FALSE(looks_like_template("# {{ .Values.x }} in a comment\nkind: Pod\n", TemplateScope::plain));
  EXPECT_FALSE(looks_like_template("a: {{ unclosed\n", TemplateScope::plain));
}

TEST(Template, InAChartAnyPlaceholderCounts) {
  EXPECT_TRUE(looks_like_template("metadata:\n  name: \"{{ .Release.Name }}\"\n", TemplateScope::chart));
  EXPECT_FALSE(looks_like_template("kind: ServiceAccount\n", TemplateScope::chart));
}

class LayoutTest : public ::testing::Test {
 protected:
  void write(const std::string& rel, std::string_view text) {
    ASSERT_TRUE(base::atomic_write(m_tmp.path() / rel, text));
  }
  detail::Layout plan(std::vector<std::string> paths, std::vector<std::string> units = {}) {
    return detail::plan_layout(paths, units, m_parser);
  }
  // A copy, so a missing file is an empty LayoutFile (and a failed expectation), never a null.
  detail::LayoutFile file(const detail::Layout& l, std::string_view suffix) {
    auto it = std::find_if(l.files.begin(), l.files.end(), [&](const auto& f) { return f.name.ends_with(suffix); });
    EXPECT_NE(it, l.files.end()) << suffix;
    return it == l.files.end() ? detail::LayoutFile{} : *it;
  }
  base::TempDir m_tmp;
  base::yaml::Parser m_parser;
};

TEST_F(LayoutTest, OverlayUnitReachesTheBaseAndPatchesAreNotManifests) {
  write("base/kustomization.yaml", "resources: [deploy.yaml]\n");
  write("base/deploy.yaml", "kind: Deployment\n");
  write("overlays/prod/kustomization.yaml", "resources:\n  - ../../base\npatches:\n  - path: patch.yaml\n");
  write("overlays/prod/patch.yaml", "kind: Deployment\n");
  write("lone.yaml", "kind: ConfigMap\n");
  auto l = plan({m_tmp.path().string()});
  EXPECT_TRUE(l.errors.empty());
  EXPECT_TRUE(l.findings.empty());
  ASSERT_EQ(l.units.size(), 2u);  // base, overlay
  auto deploy = file(l, "base/deploy.yaml");
  EXPECT_EQ(deploy.role, detail::FileRole::manifest);
  EXPECT_EQ(deploy.units.size(), 2u) << "in the base's unit and the overlay's";
  auto patch = file(l, "patch.yaml");
  EXPECT_EQ(patch.role, detail::FileRole::not_manifest);
  EXPECT_EQ(patch.note_rule, "kustomize-file");
  EXPECT_EQ(file(l, "overlays/prod/kustomization.yaml").role, detail::FileRole::kustomization);
  EXPECT_TRUE(file(l, "lone.yaml").units.empty()) << "a file no kustomization lists is its own unit";
}

TEST_F(LayoutTest, MissingPathsAreReportedAtTheirEntry) {
  write("k/kustomization.yaml", "resources:\n  - a.yaml\n  - ../gone\n  - https://github.com/x/y//base?ref=v1\n");
  write("k/a.yaml", "kind: ConfigMap\n");
  auto l = plan({(m_tmp.path() / "k").string()});
  ASSERT_EQ(l.findings.size(), 2u);
  EXPECT_EQ(l.findings[0].rule, "kustomization");
  EXPECT_EQ(l.findings[0].line, 3);
  EXPECT_EQ(l.findings[0].column, 5);
  EXPECT_EQ(l.findings[1].severity, Severity::note);
  EXPECT_EQ(l.findings[1].rule, "remote-resource");
}

TEST_F(LayoutTest, ChartFilesAndDeclaredUnits) {
  write("chart/Chart.yaml", "apiVersion: v2\nname: c\n");
  write("chart/values.yaml", "a: 1\n");
  write("chart/templates/d.yaml", "kind: Deployment\n");
  write("envs/prod/a.yaml", "kind: ConfigMap\n");
  write(".github/workflows/ci.yml", "on: push\n");
  auto l = plan({m_tmp.path().string()}, {(m_tmp.path() / "envs").string()});
  EXPECT_EQ(file(l, "Chart.yaml").role, detail::FileRole::not_manifest);
  EXPECT_EQ(file(l, "values.yaml").role, detail::FileRole::not_manifest);
  EXPECT_EQ(file(l, "templates/d.yaml").role, detail::FileRole::chart_template);
  EXPECT_EQ(file(l, "ci.yml").role, detail::FileRole::not_manifest);
  EXPECT_EQ(file(l, "envs/prod/a.yaml").units.size(), 1u);
  auto bad = plan({}, {(m_tmp.path() / "nope").string()});
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].code, ErrorCode::not_found);
}

}  // namespace
}  // namespace sluice::k8s
