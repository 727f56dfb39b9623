// Output guard, workspace confinement and the template language.
#include <gtest/gtest.h>

#include <filesystem>

#include "base/files.h"
#include "llm/workspace.h"

namespace sluice::llm {
namespace {

namespace fs = std::filesystem;

TEST(Guard, StripsFencesAndProseForStructuredFormats) {
  EXPECT_EQ(strip_code_fences("```yaml\na: 1\n```\n", OutputFormat::yaml), "a: 1\n");
  EXPECT_EQ(strip_code_fences("Here you go:\n\n```json\n{\"a\": 1}\n```\nEnjoy!", OutputFormat::json), "{\"a\": 1}\n");
  EXPECT_EQ(strip_code_fences("a: 1\n", OutputFormat::yaml), "a: 1\n");
  // Text keeps prose around a fence; only a wholly fenced reply is unwrapped.
  EXPECT_EQ(strip_code_fences("see ```x```", OutputFormat::text), "see ```x```");
  EXPECT_EQ(strip_code_fences("~~~\nnotes\n~~~", OutputFormat::text), "notes\n");
}

TEST(Guard, YamlMustParseAndJsonMustMatchTheSchema) {
  OutputSpec yaml{"out.yaml", OutputFormat::yaml, "", "", true, {}};
  auto ok = guard_output("```yaml\napiVersion: v1\nkind: Service\n---\napiVersion: apps/v1\nkind: Deployment\n```", yaml, "");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(*ok, "apiVersion: v1\nkind: Service\n---\napiVersion: apps/v1\nkind: Deployment\n");
  auto bad = guard_output("key: [unclosed\n", yaml, "");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not valid YAML"), std::string::npos);

  OutputSpec json{"out.json", OutputFormat::json, "", "", true, {}};
  const std::string schema = R"({"type":"object","required":["version","notes"],"additionalProperties":false,
    "properties":{"version":{"type":"string","minLength":1},"notes":{"type":"array","items":{"type":"string"}}}})";
  EXPECT_TRUE(guard_output(R"({"version":"1.2.0","notes":["fix"]})", json, schema));
  auto miss = guard_output(R"({"version":"","notes":[3],"extra":true})", json, schema);
  ASSERT_FALSE(miss);
  const auto& m = miss.error().message;
  EXPECT_NE(m.find("$.version: shorter than 1"), std::string::npos) << m;
  EXPECT_NE(m.find("$.notes[0]: expected string, got integer"), std::string::npos) << m;
  EXPECT_NE(m.find("unexpected property \"extra\""), std::string::npos) << m;
  EXPECT_FALSE(guard_output("not json at all", json, ""));
  // YAML documents are checked one by one against the schema.
  auto docs = guard_output("kind: Service\n---\nkind: 3\n", yaml, R"({"type":"object","properties":{"kind":{"type":"string"}}})");
  ASSERT_FALSE(docs);
  EXPECT_NE(docs.error().message.find("document 2: $.kind: expected string"), std::string::npos) << docs.error().message;
  // Unsupported keywords are refused, never silently ignored.
  auto unsupported = guard_output("{}", json, R"({"patternProperties":{}})");
  ASSERT_FALSE(unsupported);
  EXPECT_NE(unsupported.error().message.find("unsupported schema keyword"), std::string::npos);
}

TEST(Workspace, RefusesAbsoluteDotDotAndSymlinksLeavingIt) {
  base::TempDir outside;
  base::TempDir ws;
  fs::create_directories(ws.path() / "inside");
  fs::create_directory_symlink(outside.path(), ws.path() / "escape");
  fs::create_directory_symlink(ws.path() / "inside", ws.path() / "alias");
  EXPECT_TRUE(resolve_in_workspace(ws.path(), "k8s/generated/app.yaml", "output.path"));
  EXPECT_TRUE(resolve_in_workspace(ws.path(), "alias/x.yaml", "output.path"));
  auto abs = resolve_in_workspace(ws.path(), "/etc/passwd", "output.path");
  ASSERT_FALSE(abs);
  EXPECT_NE(abs.error().message.find("is absolute"), std::string::npos);
  auto dots = resolve_in_workspace(ws.path(), "k8s/../../x", "output.path");
  ASSERT_FALSE(dots);
  EXPECT_NE(dots.error().message.find("\"..\""), std::string::npos);
  auto link = resolve_in_workspace(ws.path(), "escape/x.yaml", "output.path");
  ASSERT_FALSE(link);
  EXPECT_NE(link.error().message.find("outside the workspace"), std::string::npos);
  auto nested = resolve_in_workspace(ws.path(), "escape/new/dir/x.yaml", "output.path");
  EXPECT_FALSE(nested);
}

TEST(Template, IncludesFilesEnvAndContext) {
  base::TempDir ws;
  ASSERT_TRUE(base::atomic_write(ws.path() / "k8s/base/app.yaml", "name: web\n"));
  ASSERT_TRUE(base::atomic_write(ws.path() / "k8s/base/db.yaml", "name: db\n"));
  ASSERT_TRUE(base::atomic_write(ws.path() / "notes.txt", "n"));
  EnvLookup env = [](std::string_view n) -> std::optional<std::string> {
    if (n == "APP") return std::string("shop");
    return std::nullopt;
  };
  auto r = render_prompt("App {{ env.APP }}:\n{{ file \"notes.txt\" }}\n{{context}}\nEnd.", "p.md", ws.path(),
                         {"k8s/base/*.yaml"}, env);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->before, "App shop:\nn\n");
  EXPECT_EQ(r->context, "--- file: k8s/base/app.yaml ---\nname: web\n--- file: k8s/base/db.yaml ---\nname: db\n");
  EXPECT_EQ(r->after, "\nEnd.");
  EXPECT_EQ(r->files, (std::vector<std::string>{"notes.txt", "k8s/base/app.yaml", "k8s/base/db.yaml"}));

  auto unknown = render_prompt("line one\n  {{ shell \"rm -rf /\" }}", "p.md", ws.path(), {}, env);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("p.md:2:3: unknown template expression"), std::string::npos)
      << unknown.error().message;
  auto unset = render_prompt("{{ env.NOPE }}", "p.md", ws.path(), {}, env);
  ASSERT_FALSE(unset);
  EXPECT_NE(unset.error().message.find("NOPE is not set"), std::string::npos);
  auto escape = render_prompt("{{ file \"../etc/passwd\" }}", "p.md", ws.path(), {}, env);
  ASSERT_FALSE(escape);
  EXPECT_NE(escape.error().message.find("p.md:1:1:"), std::string::npos);
  auto none = render_prompt("x", "p.md", ws.path(), {"nothing/*.yaml"}, env);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("matches no file"), std::string::npos);
}

}  // namespace
}  // namespace sluice::llm
