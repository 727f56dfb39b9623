// Manifest and lock-file parsers, on small inline fixtures written to a temp dir and read back
// through a ManifestSource over it (what Checker does with the workspace).
#include "refs/manifests.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "base/files.h"

namespace sluice::refs {
namespace {

namespace fs = std::filesystem;
using V = std::vector<std::string>;

class DirSource : public ManifestSource {
 public:
  explicit DirSource(fs::path root) : m_root(std::move(root)) {}
  bool read(const std::string& rel, std::string& out) const override {
    auto t = base::read_file(m_root / rel);
    if (!t) return false;
    out = std::move(*t);
    return true;
  }
  bool exists(const std::string& rel) const override { return fs::is_regular_file(m_root / rel); }

 private:
  fs::path m_root;
};

class ManifestsTest : public ::testing::Test {
 protected:
  void write(const std::string& rel, std::string_view text) {
    ASSERT_TRUE(base::atomic_write(m_dir.path() / rel, text));
    m_files.push_back(rel);
  }
  // Loads every file written so far, as Checker would (it lists the whole workspace).
  Manifests load() {
    std::sort(m_files.begin(), m_files.end());
    return load_manifests(m_files, DirSource(m_dir.path()), "");
  }

  base::TempDir m_dir{"sluice-manifests-test"};
  std::vector<std::string> m_files;
};

V names(const Declared& d) {
  V out;
  for (const auto& [n, line] : d) out.push_back(n);
  return out;
}

bool has(const std::unordered_set<std::string>& s, const std::string& n) { return s.contains(n); }

// --- requirements ---

TEST(Requirements, NamesExtrasMarkersUrlsAndLines) {
  const char* text =
      "# comment line\n"
      "requests[socks,security]>=2.31 ; python_version >= \"3.8\"\n"
      "PyYAML==6.0.1  # pinned\n"
      "  Django~=4.2\n"
      "-r base.txt\n"
      "--index-url https://pypi.org/simple\n"
      "-e git+https://github.com/org/editable-lib.git#egg=editable_lib\n"
      "https://example.com/wheels/localwheel-1.0-py3-none-any.whl\n"
      "git+https://github.com/org/vcs-lib.git@v1\n"
      "flask @ https://github.com/pallets/flask/archive/main.zip\n"
      "numpy>=1.24 \\\n"
      "    --hash=sha256:abcd\n"
      "\n";
  Declared d = parse_requirements(text);
  EXPECT_EQ(names(d), (V{"requests", "PyYAML", "Django", "editable_lib", "flask", "numpy"}));
  ASSERT_EQ(d.size(), 6u);
  EXPECT_EQ(d[0].second, 2);
  EXPECT_EQ(d[1].second, 3);
  EXPECT_EQ(d[2].second, 4);
  EXPECT_EQ(d[3].second, 7);
  EXPECT_EQ(d[4].second, 10);
  EXPECT_EQ(d[5].second, 11);
}

TEST(Requirements, CommentMentioningEggIsStillAComment) {
  EXPECT_EQ(names(parse_requirements("# see https://host/x.git#egg=not_a_dep\nreal\n")), (V{"real"}));
  EXPECT_EQ(names(parse_requirements("real  # was git+https://h/x#egg=other\n")), (V{"real"}));
}

TEST_F(ManifestsTest, RequirementsFilesAreNormalisedAndNamedForMessages) {
  write("requirements.txt", "PyYAML\nDjango_REST.framework\n");
  write("dev-requirements.txt", "pytest\n");
  write("requirements.in", "black\n");
  write("notes.txt", "notadep\n");
  Manifests m = load();
  EXPECT_TRUE(has(m.python, "pyyaml"));
  EXPECT_TRUE(has(m.python, "django-rest-framework"));
  EXPECT_TRUE(has(m.python, "pytest"));
  EXPECT_TRUE(has(m.python, "black"));
  EXPECT_FALSE(has(m.python, "notadep"));
  EXPECT_EQ(m.python_files, (V{"dev-requirements.txt", "requirements.in", "requirements.txt"}));
  EXPECT_TRUE(m.warnings.empty());
}

TEST_F(ManifestsTest, RequirementsIncludesAreFollowedRelativeToTheFile) {
  write("requirements.txt", "-r requirements/base.txt\n--requirement=extra.txt\n-c constraints.txt\nflask\n");
  write("requirements/base.txt", "-r ../requirements.txt\nsqlalchemy\n");  // a cycle must not hang
  write("extra.txt", "celery\n");
  write("constraints.txt", "constrained-only\n");
  Manifests m = load();
  EXPECT_TRUE(has(m.python, "flask"));
  EXPECT_TRUE(has(m.python, "sqlalchemy"));
  EXPECT_TRUE(has(m.python, "celery"));
  EXPECT_FALSE(has(m.python, "constrained-only"));  // -c pins versions, declares nothing
  EXPECT_TRUE(m.warnings.empty()) << m.warnings[0];
}

TEST_F(ManifestsTest, MissingRequirementsIncludeIsAWarning) {
  write("requirements.txt", "flask\n-r missing.txt\n");
  Manifests m = load();
  EXPECT_TRUE(has(m.python, "flask"));
  ASSERT_EQ(m.warnings.size(), 1u);
  EXPECT_EQ(m.warnings[0], "requirements.txt:2: -r missing.txt cannot be read");
}

// --- pyproject.toml, Pipfile, setup.cfg and their locks ---

TEST_F(ManifestsTest, PyprojectPep621GroupsAndBuildSystem) {
  write("pyproject.toml", R"(
[build-system]
requires = ["hatchling>=1.18"]

[project]
name = "my-app"
dependencies = ["httpx[http2]>=0.27", "PyYAML ; python_version >= '3.9'"]

[project.optional-dependencies]
cli = ["rich"]

[dependency-groups]
test = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff"]
)");
  Manifests m = load();
  for (const char* n : {"my-app", "httpx", "pyyaml", "rich", "pytest", "ruff", "hatchling"}) {
    EXPECT_TRUE(has(m.python, n)) << n;
  }
  EXPECT_EQ(m.python_files, (V{"pyproject.toml"}));
  EXPECT_TRUE(m.lock_findings.empty());
}

TEST_F(ManifestsTest, PyprojectPoetry) {
  write("pyproject.toml", R"(
[tool.poetry]
name = "svc"

[tool.poetry.dependencies]
python = "^3.11"
requests = "^2.31"
Pillow = {version = "^10", extras = ["webp"]}

[tool.poetry.dev-dependencies]
mypy = "*"

[tool.poetry.group.docs.dependencies]
mkdocs = "*"
)");
  Manifests m = load();
  for (const char* n : {"svc", "requests", "pillow", "mypy", "mkdocs"}) EXPECT_TRUE(has(m.python, n)) << n;
  EXPECT_FALSE(has(m.python, "python"));
}

TEST_F(ManifestsTest, PoetryLockMissingDependencyIsALockFinding) {
  write("pyproject.toml",
        "[tool.poetry]\n"
        "name = \"svc\"\n"
        "[tool.poetry.dependencies]\n"
        "python = \"^3.11\"\n"
        "requests = \"^2.31\"\n"
        "PyYAML = \"^6\"\n"
        "httpx = \"^0.27\"\n");
  write("poetry.lock",
        "[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\n\n"
        "[[package]]\nname = \"pyyaml\"\nversion = \"6.0.1\"\n\n"
        "[[package]]\nname = \"urllib3\"\nversion = \"2.2.0\"\n");
  Manifests m = load();
  ASSERT_EQ(m.lock_findings.size(), 1u);
  const Finding& f = m.lock_findings[0];
  EXPECT_EQ(f.path, "pyproject.toml");
  EXPECT_EQ(f.line, 7);
  EXPECT_EQ(f.column, 1);
  EXPECT_EQ(f.kind, RefKind::lock);
  EXPECT_EQ(f.ecosystem, Ecosystem::python);
  EXPECT_EQ(f.reference, "httpx");
  EXPECT_EQ(f.reason,
            "python dependency \"httpx\" is declared in pyproject.toml but missing from poetry.lock (the lock file "
            "is out of date)");
  EXPECT_TRUE(has(m.python, "urllib3"));  // what the lock resolved counts as declared
  EXPECT_EQ(m.python_files, (V{"pyproject.toml", "poetry.lock"}));
}

TEST_F(ManifestsTest, UvLockMissingDependencyIsALockFindingOnItsOwnLine) {
  // "attrs" also appears earlier, inside another name: the finding must point at the declaration.
  write("pyproject.toml",
        "[project]\n"
        "name = \"app\"\n"
        "description = \"uses attrs-strict\"\n"
        "dependencies = [\n"
        "  \"requests>=2\",\n"
        "  \"attrs\",\n"
        "]\n");
  write("uv.lock",
        "version = 1\n"
        "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n"
        "[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\n");
  Manifests m = load();
  ASSERT_EQ(m.lock_findings.size(), 1u);
  EXPECT_EQ(m.lock_findings[0].reference, "attrs");
  EXPECT_EQ(m.lock_findings[0].line, 6);
  EXPECT_EQ(m.lock_findings[0].reason,
            "python dependency \"attrs\" is declared in pyproject.toml but missing from uv.lock (the lock file is "
            "out of date)");
}

TEST_F(ManifestsTest, PipfileAndPipfileLock) {
  write("Pipfile",
        "[[source]]\nurl = \"https://pypi.org/simple\"\n\n"
        "[packages]\nflask = \"*\"\nmarshmallow = \"*\"\n\n"
        "[dev-packages]\npytest = \"*\"\n");
  write("Pipfile.lock", R"({"default": {"flask": {"version": "==3.0.0"}}, "develop": {"pytest": {}}})");
  Manifests m = load();
  for (const char* n : {"flask", "marshmallow", "pytest"}) EXPECT_TRUE(has(m.python, n)) << n;
  ASSERT_EQ(m.lock_findings.size(), 1u);
  EXPECT_EQ(m.lock_findings[0].path, "Pipfile");
  EXPECT_EQ(m.lock_findings[0].line, 6);
  EXPECT_EQ(m.lock_findings[0].reference, "marshmallow");
  EXPECT_EQ(m.lock_findings[0].reason,
            "python dependency \"marshmallow\" is declared in Pipfile but missing from Pipfile.lock (the lock file is "
            "out of date)");
}

TEST_F(ManifestsTest, SetupCfgContinuationLinesWithVersionSpecifiers) {
  write("setup.cfg",
        "[metadata]\nname = legacy\n\n"
        "[options]\n"
        "install_requires =\n"
        "    requests\n"
        "    PyYAML>=6.0\n"
        "    click==8.1 ; python_version > \"3.7\"\n"
        "python_requires = >=3.8\n"
        "\n"
        "[options.extras_require]\n"
        "dev =\n"
        "    pytest>=7\n");
  Manifests m = load();
  for (const char* n : {"requests", "pyyaml", "click", "pytest"}) EXPECT_TRUE(has(m.python, n)) << n;
  EXPECT_FALSE(has(m.python, "python-requires"));
  EXPECT_EQ(m.python_files, (V{"setup.cfg"}));
}

// --- package.json and npm locks ---

TEST(PackageJson, EverySectionWithLines) {
  const char* text = R"({
  "name": "web",
  "dependencies": {"react": "^18"},
  "devDependencies": {"typescript": "^5"},
  "peerDependencies": {"react-dom": "^18"},
  "optionalDependencies": {"fsevents": "^2"}
})";
  Declared d = parse_package_json_deps(text);
  EXPECT_EQ(names(d), (V{"react", "typescript", "fsevents", "react-dom"}));
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].second, 3);
  EXPECT_EQ(d[3].second, 5);
}

TEST_F(ManifestsTest, PackageJsonDepsLocalNameAndImports) {
  write("package.json", R"({
  "name": "@corp/web",
  "dependencies": {"react": "^18", "@scope/ui": "^1"},
  "devDependencies": {"vitest": "^1"},
  "peerDependencies": {"react-dom": "^18"},
  "optionalDependencies": {"fsevents": "^2"},
  "bundledDependencies": ["left-pad"],
  "imports": {"#internal/*": "./src/internal/*.js", "#dep": {"node": "./src/dep-node.js", "default": "./src/dep.js"}}
})");
  Manifests m = load();
  for (const char* n : {"react", "@scope/ui", "vitest", "react-dom", "fsevents", "left-pad"}) {
    EXPECT_TRUE(has(m.npm, n)) << n;
  }
  EXPECT_TRUE(has(m.npm_local, "@corp/web"));
  ASSERT_EQ(m.aliases.size(), 2u);  // in key order (the JSON reader sorts keys)
  EXPECT_EQ(m.aliases[0].pattern, "#dep");
  EXPECT_EQ(m.aliases[0].dir, "");
  EXPECT_EQ(m.aliases[0].targets, (V{"./src/dep.js", "./src/dep-node.js"}));  // every condition's target
  EXPECT_EQ(m.aliases[1].pattern, "#internal/*");
  EXPECT_EQ(m.aliases[1].targets, (V{"./src/internal/*.js"}));
  EXPECT_TRUE(m.lock_findings.empty());
}

TEST_F(ManifestsTest, PackageJsonUnderNodeModulesIsIgnored) {
  write("node_modules/x/package.json", R"({"name": "x", "dependencies": {"y": "1"}})");
  Manifests m = load();
  EXPECT_FALSE(has(m.npm, "y"));
  EXPECT_FALSE(has(m.npm_local, "x"));
}

TEST_F(ManifestsTest, PackageLockV3MissingDependencyIsALockFinding) {
  write("web/package.json",
        "{\n"
        "  \"dependencies\": {\n"
        "    \"react\": \"^18\",\n"
        "    \"@scope/ui\": \"^1\",\n"
        "    \"left-pad\": \"^1\",\n"
        "    \"shared\": \"workspace:*\"\n"
        "  },\n"
        "  \"peerDependencies\": {\"vue\": \"^3\"}\n"
        "}\n");
  write("web/package-lock.json", R"({"lockfileVersion": 3, "packages": {
    "": {"name": "web"},
    "node_modules/react": {"version": "18.2.0"},
    "node_modules/@scope/ui": {"version": "1.0.0"},
    "node_modules/react/node_modules/loose-envify": {"version": "1.4.0"}}})");
  Manifests m = load();
  ASSERT_EQ(m.lock_findings.size(), 1u);  // not the workspace: dep, not the peer dependency
  const Finding& f = m.lock_findings[0];
  EXPECT_EQ(f.path, "web/package.json");
  EXPECT_EQ(f.line, 5);
  EXPECT_EQ(f.column, 1);
  EXPECT_EQ(f.ecosystem, Ecosystem::javascript);
  EXPECT_EQ(f.reference, "left-pad");
  EXPECT_EQ(f.reason,
            "javascript dependency \"left-pad\" is declared in package.json but missing from package-lock.json (the "
            "lock file is out of date)");
  EXPECT_TRUE(has(m.npm, "loose-envify"));  // nested packages count as declared
}

TEST_F(ManifestsTest, PackageLockV1DependenciesAndLockInAnAncestor) {
  write("package-lock.json", R"({"lockfileVersion": 1, "dependencies": {"express": {"version": "4.18.0"}}})");
  write("packages/api/package.json", R"({"dependencies": {"express": "^4", "koa": "^2"}})");
  Manifests m = load();
  ASSERT_EQ(m.lock_findings.size(), 1u);
  EXPECT_EQ(m.lock_findings[0].reference, "koa");
  EXPECT_EQ(m.lock_findings[0].path, "packages/api/package.json");
}

TEST_F(ManifestsTest, PnpmLockImportersAndRootFormats) {
  write("package.json", R"({"dependencies": {"react": "^18", "lodash": "^4", "missing-one": "^1"}})");
  write("pnpm-lock.yaml",
        "lockfileVersion: '9.0'\n"
        "importers:\n"
        "  .:\n"
        "    dependencies:\n"
        "      react:\n"
        "        specifier: ^18\n"
        "        version: 18.2.0\n"
        "packages:\n"
        "  lodash@4.17.21:\n"
        "    resolution: {integrity: sha512-x}\n"
        "  '@babel/core@7.24.0':\n"
        "    resolution: {integrity: sha512-y}\n");
  Manifests m = load();
  ASSERT_EQ(m.lock_findings.size(), 1u);
  EXPECT_EQ(m.lock_findings[0].reference, "missing-one");
  EXPECT_EQ(m.lock_findings[0].reason,
            "javascript dependency \"missing-one\" is declared in package.json but missing from pnpm-lock.yaml (the "
            "lock file is out of date)");
  EXPECT_TRUE(has(m.npm, "@babel/core"));
}

TEST_F(ManifestsTest, PnpmLockV5RootDependencies) {
  write("package.json", R"({"dependencies": {"react": "^18", "vue": "^3"}})");
  write("pnpm-lock.yaml",
        "lockfileVersion: 5.4\n"
        "specifiers:\n  react: ^18\n"
        "dependencies:\n  react: 18.2.0\n"
        "packages:\n  /react/18.2.0:\n    dev: false\n");
  Manifests m = load();
  ASSERT_EQ(m.lock_findings.size(), 1u);
  EXPECT_EQ(m.lock_findings[0].reference, "vue");
}

TEST(YarnLock, ClassicAndBerryEntries) {
  const char* classic =
      "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n"
      "# yarn lockfile v1\n\n\n"
      "\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.22.13\":\n"
      "  version \"7.22.13\"\n"
      "  dependencies:\n"
      "    chalk \"^2.4.2\"\n\n"
      "lodash@^4.17.21:\n"
      "  version \"4.17.21\"\n";
  EXPECT_EQ(parse_yarn_lock(classic), (V{"@babel/code-frame", "@babel/code-frame", "lodash"}));
  const char* berry =
      "__metadata:\n  version: 8\n  cacheKey: 10c0\n\n"
      "\"@types/node@npm:*, @types/node@npm:^20\":\n"
      "  version: 20.11.0\n"
      "  resolution: \"@types/node@npm:20.11.0\"\n\n"
      "\"left-pad@npm:^1.3.0\":\n"
      "  version: 1.3.0\n\n"
      "\"web@workspace:.\":\n"
      "  version: 0.0.0-use.local\n";
  EXPECT_EQ(parse_yarn_lock(berry), (V{"@types/node", "@types/node", "left-pad", "web"}));
}

TEST(YarnLock, WindowsLineEndings) {
  EXPECT_EQ(parse_yarn_lock("lodash@^4.17.21:\r\n  version \"4.17.21\"\r\n\"@s/p@^1\":\r\n  version \"1.0.0\"\r\n"),
            (V{"lodash", "@s/p"}));
}

TEST_F(ManifestsTest, YarnLockMissingDependencyIsALockFinding) {
  write("package.json", R"({"dependencies": {"lodash": "^4", "chalk": "^5"}})");
  write("yarn.lock", "lodash@^4.17.21:\n  version \"4.17.21\"\n");
  Manifests m = load();
  ASSERT_EQ(m.lock_findings.size(), 1u);
  EXPECT_EQ(m.lock_findings[0].reference, "chalk");
  EXPECT_EQ(m.lock_findings[0].reason,
            "javascript dependency \"chalk\" is declared in package.json but missing from yarn.lock (the lock file "
            "is out of date)");
}

TEST_F(ManifestsTest, TsconfigPathsWithCommentsAndBaseUrl) {
  write("app/tsconfig.json", R"({
  // comments and trailing commas are allowed in tsconfig
  "compilerOptions": {
    "baseUrl": "./src", /* block comment with "quotes" */
    "paths": {"@app/*": ["app/*", "generated/*"], "~config": ["config/index.ts",],},
  },
})");
  write("tsconfig.json", R"({"compilerOptions": {"paths": {"@lib/*": ["./lib/*"]}}})");
  Manifests m = load();
  EXPECT_EQ(m.ts_base_dirs, (V{"app/src"}));
  ASSERT_EQ(m.aliases.size(), 3u);
  EXPECT_EQ(m.aliases[0].dir, "app/src");
  EXPECT_EQ(m.aliases[0].pattern, "@app/*");
  EXPECT_EQ(m.aliases[0].targets, (V{"app/*", "generated/*"}));
  EXPECT_EQ(m.aliases[1].pattern, "~config");
  EXPECT_EQ(m.aliases[2].dir, "");  // no baseUrl: paths are relative to the tsconfig itself
  EXPECT_TRUE(m.warnings.empty());
}

// --- go.mod ---

TEST_F(ManifestsTest, GoModRequireReplaceAndGoSum) {
  write("go.mod",
        "module example.com/app // the main module\n"
        "\n"
        "go 1.22\n"
        "\n"
        "require github.com/pkg/errors v0.9.1\n"
        "\n"
        "require (\n"
        "\tgolang.org/x/sync v0.6.0\n"
        "\tgithub.com/google/uuid v1.6.0 // indirect\n"
        "\texample.com/lib v0.0.0\n"
        ")\n"
        "\n"
        "replace example.com/lib => ./lib\n"
        "\n"
        "replace (\n"
        "\tgithub.com/old/thing v1.0.0 => github.com/new/thing v1.1.0\n"
        ")\n"
        "\n"
        "retract (\n"
        "\tv1.0.0\n"
        ")\n");
  write("go.sum",
        "github.com/pkg/errors v0.9.1 h1:abc=\n"
        "github.com/pkg/errors v0.9.1/go.mod h1:def=\n"
        "golang.org/x/sync v0.6.0 h1:ghi=\n");
  Manifests m = load();
  for (const char* r : {"github.com/pkg/errors", "golang.org/x/sync", "github.com/google/uuid", "example.com/lib",
                        "github.com/old/thing", "github.com/new/thing"}) {
    EXPECT_NE(std::find(m.go_requires.begin(), m.go_requires.end(), r), m.go_requires.end()) << r;
  }
  EXPECT_EQ(std::find(m.go_requires.begin(), m.go_requires.end(), "v1.0.0"), m.go_requires.end());
  ASSERT_EQ(m.go_modules.size(), 2u);
  EXPECT_EQ(m.go_modules[0].path, "example.com/app");
  EXPECT_EQ(m.go_modules[0].dir, "");
  EXPECT_EQ(m.go_modules[1].path, "example.com/lib");
  EXPECT_EQ(m.go_modules[1].dir, "lib");
  // uuid is required but not in go.sum; example.com/lib is replaced by a local directory.
  ASSERT_EQ(m.lock_findings.size(), 1u);
  const Finding& f = m.lock_findings[0];
  EXPECT_EQ(f.path, "go.mod");
  EXPECT_EQ(f.line, 9);
  EXPECT_EQ(f.ecosystem, Ecosystem::go);
  EXPECT_EQ(f.reference, "github.com/google/uuid");
  EXPECT_EQ(f.reason,
            "go dependency \"github.com/google/uuid\" is declared in go.mod but missing from go.sum (the lock file is "
            "out of date)");
}

TEST_F(ManifestsTest, GoModInASubdirectory) {
  write("services/api/go.mod", "module example.com/api\n\nreplace example.com/shared => ../../shared\n");
  Manifests m = load();
  ASSERT_EQ(m.go_modules.size(), 2u);
  EXPECT_EQ(m.go_modules[0].dir, "services/api");
  EXPECT_EQ(m.go_modules[1].dir, "shared");
  EXPECT_EQ(m.go_files, (V{"go.mod"}));
}

// --- Cargo, Helm, compile_commands ---

TEST_F(ManifestsTest, CargoSectionsAndCargoLock) {
  write("Cargo.toml",
        "[package]\n"
        "name = \"tool\"\n"
        "\n"
        "[dependencies]\n"
        "serde_json = \"1\"\n"
        "serde = { version = \"1\", features = [\"derive\"] }\n"
        "json5 = { package = \"json5-rs\", version = \"0.4\" }\n"
        "\n"
        "[dev-dependencies]\n"
        "proptest = \"1\"\n"
        "\n"
        "[build-dependencies]\n"
        "cc = \"1\"\n"
        "\n"
        "[target.'cfg(unix)'.dependencies]\n"
        "libc = \"0.2\"\n");
  write("Cargo.lock",
        "version = 3\n"
        "[[package]]\nname = \"serde_json\"\n"
        "[[package]]\nname = \"json5-rs\"\n"
        "[[package]]\nname = \"proptest\"\n"
        "[[package]]\nname = \"cc\"\n"
        "[[package]]\nname = \"libc\"\n"
        "[[package]]\nname = \"tool\"\n");
  Manifests m = load();
  for (const char* n : {"tool", "serde_json", "serde", "json5", "proptest", "cc", "libc"}) {
    EXPECT_TRUE(has(m.rust, n)) << n;
  }
  // serde is missing from the lock; json5 is renamed and locked as json5-rs.
  ASSERT_EQ(m.lock_findings.size(), 1u);
  const Finding& f = m.lock_findings[0];
  EXPECT_EQ(f.reference, "serde");
  EXPECT_EQ(f.line, 6);  // not line 5, where "serde" starts "serde_json"
  EXPECT_EQ(f.ecosystem, Ecosystem::rust);
  EXPECT_EQ(f.reason,
            "rust dependency \"serde\" is declared in Cargo.toml but missing from Cargo.lock (the lock file is out "
            "of date)");
}

TEST_F(ManifestsTest, ChartYamlAndChartLock) {
  write("charts/app/Chart.yaml",
        "apiVersion: v2\n"
        "name: app\n"
        "dependencies:\n"
        "  - name: redis\n"
        "    version: 18.x\n"
        "    repository: https://charts.bitnami.com/bitnami\n"
        "  - name: postgresql\n"
        "    version: 13.x\n");
  write("charts/app/Chart.lock", "dependencies:\n- name: redis\n  version: 18.1.0\ndigest: sha256:x\n");
  Manifests m = load();
  ASSERT_EQ(m.lock_findings.size(), 1u);
  const Finding& f = m.lock_findings[0];
  EXPECT_EQ(f.path, "charts/app/Chart.yaml");
  EXPECT_EQ(f.line, 7);
  EXPECT_EQ(f.column, 1);
  EXPECT_EQ(f.kind, RefKind::lock);
  EXPECT_EQ(f.reference, "postgresql");
  EXPECT_EQ(f.reason, "chart dependency \"postgresql\" is declared in Chart.yaml but missing from Chart.lock");
}

TEST_F(ManifestsTest, CompileCommandsIncludeDirs) {
  write("compile_commands.json", R"([
  {"directory": "/src/proj", "file": "a.c", "arguments": ["cc", "-Ivendor/zlib", "-isystem", "/opt/sdk/include", "-c", "a.c"]},
  {"directory": "/src/proj/build", "file": "b.c", "command": "cc -I../third_party/json -iquote gen -DX=1 -c ../b.c"},
  {"directory": "/src/proj", "file": "c.c", "arguments": ["cc", "-isystem/opt/other", "-Ivendor/zlib", "c.c"]}
])");
  Manifests m = load();
  EXPECT_EQ(m.include_dirs, (V{"/src/proj/vendor/zlib", "/opt/sdk/include", "/src/proj/third_party/json",
                               "/src/proj/build/gen", "/opt/other"}));
}

// --- malformed input: a warning naming the file, or skipped, never a crash ---

TEST_F(ManifestsTest, MalformedFilesWarnAndDoNotCrash) {
  write("pyproject.toml", "[project\nname = ");
  write("Pipfile", "[packages\n");
  write("package.json", "{\"dependencies\": {\"a\": ");
  write("Cargo.toml", "[dependencies\nserde = ");
  write("charts/x/Chart.yaml", "dependencies: [\n  - name: {\n");
  write("tsconfig.json", "{\"compilerOptions\": ");
  write("compile_commands.json", "[{\"directory\": ");
  Manifests m = load();
  V w = m.warnings;
  std::sort(w.begin(), w.end());
  ASSERT_EQ(w.size(), 7u);
  EXPECT_TRUE(w[0].starts_with("Cargo.toml: not valid TOML: ")) << w[0];
  EXPECT_TRUE(w[1].starts_with("Pipfile: not valid TOML: ")) << w[1];
  EXPECT_EQ(w[2], "charts/x/Chart.yaml: not valid YAML");
  EXPECT_EQ(w[3], "compile_commands.json: not valid JSON");
  EXPECT_EQ(w[4], "package.json: not valid JSON");
  EXPECT_TRUE(w[5].starts_with("pyproject.toml: not valid TOML: ")) << w[5];
  EXPECT_EQ(w[6], "tsconfig.json: not valid JSON (with comments)");
}

TEST_F(ManifestsTest, MalformedLockFilesWarnAndGiveNoLockFindings) {
  write("package.json", R"({"dependencies": {"a": "1"}})");
  write("package-lock.json", "{not json");
  write("pyproject.toml", "[project]\nname = \"p\"\ndependencies = [\"b\"]\n");
  write("poetry.lock", "[[package]\nname=");
  write("Cargo.toml", "[dependencies]\nc = \"1\"\n");
  write("Cargo.lock", "[[package]]\nname = \n");
  write("charts/x/Chart.yaml", "dependencies:\n  - name: d\n");
  write("charts/x/Chart.lock", "dependencies: [\n");
  Manifests m = load();
  EXPECT_TRUE(m.lock_findings.empty());
  V w = m.warnings;
  std::sort(w.begin(), w.end());
  ASSERT_EQ(w.size(), 4u);
  EXPECT_TRUE(w[0].starts_with("Cargo.lock: not valid TOML")) << w[0];
  EXPECT_EQ(w[1], "charts/x/Chart.lock: not valid YAML");
  EXPECT_EQ(w[2], "package-lock.json: not valid JSON");
  EXPECT_TRUE(w[3].starts_with("poetry.lock: not valid TOML")) << w[3];
}

TEST_F(ManifestsTest, WrongTypesAreSkippedNotFatal) {
  write("package.json", R"({"name": 5, "dependencies": ["a"], "devDependencies": {"b": 1}, "imports": [1]})");
  write("compile_commands.json",
        R"([1, {"directory": 5, "arguments": ["cc", "-Iinc"]}, {"directory": "/p", "command": 7}])");
  write("tsconfig.json", R"({"compilerOptions": {"baseUrl": 3, "paths": {"@x/*": 4}}})");
  write("pyproject.toml", "[project]\ndependencies = \"requests\"\n[tool.poetry]\ndependencies = 3\n");
  write("charts/x/Chart.yaml", "dependencies:\n  - just-a-string\n  - name: [a]\n");
  write("requirements.txt", std::string("\0\xff\xfe garbage \x01\n", 14));
  Manifests m = load();
  EXPECT_TRUE(has(m.npm, "b"));
  EXPECT_FALSE(has(m.npm, "a"));
  EXPECT_TRUE(m.lock_findings.empty());
}

TEST(ManifestNames, WhatLoadManifestsReads) {
  for (const char* n : {"requirements.txt", "requirements-dev.txt", "requirements.in", "dev-requirements.txt",
                        "pyproject.toml", "Pipfile", "setup.cfg", "package.json", "tsconfig.json", "jsconfig.json",
                        "go.mod", "Cargo.toml", "Chart.yaml", "compile_commands.json"}) {
    EXPECT_TRUE(is_manifest_name(n)) << n;
  }
  for (const char* n : {"poetry.lock", "package-lock.json", "go.sum", "Cargo.lock", "README.md", "requirements.md"}) {
    EXPECT_FALSE(is_manifest_name(n)) << n;
  }
}

}  // namespace
}  // namespace sluice::refs
