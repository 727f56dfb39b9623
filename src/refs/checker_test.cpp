// The resolver order (builtin -> local -> declared -> installed -> allowed), one workspace per
// test in a temp dir. Each finding is compared whole: kind, path:line:col, reason and the
// "possible typo of" suggestion, as `sluice check refs` prints them. Columns point at the name
// itself (inside the quotes of a quoted one).
#include "refs/checker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/files.h"
#include "refs/image_ref.h"
#include "refs/output.h"

namespace sluice::refs {
namespace {

namespace fs = std::filesystem;
using V = std::vector<std::string>;

// "kind path:line:col: reason[; possible typo of "x"]", one per finding.
V described(const std::vector<Finding>& findings) {
  V out;
  for (const Finding& f : findings) out.push_back(std::string(to_string(f.kind)) + " " + to_text(f));
  return out;
}

class CheckerTest : public ::testing::Test {
 protected:
  void write(const std::string& rel, std::string_view text = "") { write_at(m_dir.path(), rel, text); }
  static void write_at(const fs::path& root, const std::string& rel, std::string_view text = "") {
    ASSERT_TRUE(base::atomic_write(root / rel, text));
  }
  // A checker over the temp dir; files must be written first (the workspace is walked once).
  std::unique_ptr<Checker> checker(CheckOptions o = {}) {
    o.base = m_dir.path();
    auto c = Checker::create(std::move(o));
    EXPECT_TRUE(c) << c.error().message;
    return c ? std::move(*c) : nullptr;
  }
  // Findings for `text` as the content of workspace file `rel`, shown as `rel`.
  static V check(const Checker& c, const std::string& rel, std::string_view text) {
    return described(c.check_text(rel, text, rel));
  }

  base::TempDir m_dir{"sluice-checker-test"};
};

// --- 1. builtin ---

TEST_F(CheckerTest, PythonStdlibFromShippedTablesWithoutToolchain) {
  auto c = checker();
  EXPECT_EQ(check(*c, "app.py", "import os, json.decoder\nfrom collections import abc\nimport fastjson_utils\n"),
            (V{"import app.py:3:8: unresolved python import \"fastjson_utils\" (not stdlib, not in the workspace, no "
               "requirements.txt, pyproject.toml or Pipfile found)"}));
}

TEST_F(CheckerTest, ToolchainStdlibAddsToShippedTables) {
  CheckOptions o;
  o.toolchain.python_stdlib = {"_sluice_probed_only"};
  EXPECT_EQ(check(*checker(o), "a.py", "import _sluice_probed_only\n"), V{});
  EXPECT_EQ(check(*checker(), "a.py", "import _sluice_probed_only\n"),
            (V{"import a.py:1:8: unresolved python import \"_sluice_probed_only\" (not stdlib, not in the workspace, "
               "no requirements.txt, pyproject.toml or Pipfile found)"}));
}

TEST_F(CheckerTest, NodeBuiltins) {
  auto c = checker();
  EXPECT_EQ(check(*c, "index.js",
                  "import fs from \"fs\";\n"
                  "import { readFile } from \"node:fs/promises\";\n"
                  "const x = require(\"node:fakemod\");\n"
                  "const y = require(\"leftpadx\");\n"),
            (V{"import index.js:3:20: unresolved javascript import \"node:fakemod\" (not a Node.js built-in module)",
               "import index.js:4:20: unresolved javascript import \"leftpadx\" (not a Node.js built-in, not in the "
               "workspace, no package.json found)"}));
}

TEST_F(CheckerTest, GoStandardLibrary) {
  auto c = checker();
  EXPECT_EQ(check(*c, "main.go", "package main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n\t\"github.com/acme/nothing\"\n)\n"),
            (V{"import main.go:6:3: unresolved go import \"github.com/acme/nothing\" (not in the standard library, not "
               "in a main module, no go.mod found)"}));
}

TEST_F(CheckerTest, CStandardAndPlatformHeaders) {
  auto c = checker();
  EXPECT_EQ(check(*c, "main.c", "#include <stdio.h>\n#include <vector>\n#include <sys/socket.h>\n#include <fakelib/fake.h>\n"),
            (V{"include main.c:4:11: unresolved c include \"fakelib/fake.h\" (not a standard header, not in the "
               "workspace)"}));
}

// --- 2. local ---

TEST_F(CheckerTest, PythonPackagesNamespaceDirsSrcLayoutAndExtensionModules) {
  write("app/__init__.py");
  write("app/models.py");
  write("nspkg/sub/mod.py");  // no __init__.py anywhere: a namespace package
  write("src/mylib/__init__.py");
  write("fastpath.cpython-311-x86_64-linux-gnu.so");
  auto c = checker();
  EXPECT_EQ(check(*c, "tests/test_main.py",
                  "import app.models\nimport nspkg.sub.mod\nimport mylib\nimport fastpath\nimport app.billing_legacy\n"),
            (V{"import tests/test_main.py:5:8: unresolved python import \"app.billing_legacy\" (app is in the "
               "workspace at app/, but it has no module billing_legacy)"}));
}

TEST_F(CheckerTest, PythonRelativeImports) {
  write("pkg/__init__.py", "from .helpers import util\nVERSION = 1\n");
  write("pkg/helpers.py");
  write("pkg/sub/__init__.py");
  auto c = checker();
  EXPECT_EQ(check(*c, "pkg/sub/core.py",
                  "from .. import helpers\n"
                  "from ..helpers import thing\n"
                  "from .. import VERSION\n"
                  "from . import missing\n"),
            (V{"import pkg/sub/core.py:4:15: unresolved python import \".missing\" (relative import: no module "
               "missing.py or package missing/ in pkg/sub/)"}));
}

TEST_F(CheckerTest, JavascriptRelativeWithExtensionAndIndexResolution) {
  write("src/util.ts");
  write("src/lib/index.js");
  write("src/thing.ts");
  write("src/data.json");
  write("src/pkgdir/package.json", "{}");
  auto c = checker();
  EXPECT_EQ(check(*c, "src/main.ts",
                  "import { a } from \"./util\";\n"
                  "import lib from \"./lib\";\n"
                  "import t from \"./thing.js\";\n"
                  "import d from \"./data.json\";\n"
                  "import p from \"./pkgdir\";\n"
                  "import n from \"./nope\";\n"),
            (V{"import src/main.ts:6:16: unresolved javascript import \"./nope\" (no file src/nope with a .js/.ts/... "
               "extension or index file)"}));
}

TEST_F(CheckerTest, TsconfigPathsAndBaseUrl) {
  write("tsconfig.json", R"({"compilerOptions": {"baseUrl": ".", "paths": {"@app/*": ["src/app/*"]}}})");
  write("src/app/db.ts");
  write("src/shared/log.ts");
  auto c = checker();
  EXPECT_EQ(check(*c, "src/main.ts",
                  "import db from \"@app/db\";\n"
                  "import log from \"src/shared/log\";\n"
                  "import gone from \"@app/missing\";\n"),
            (V{"import src/main.ts:3:19: unresolved javascript import \"@app/missing\" (matches a tsconfig paths "
               "alias, but no file exists)"}));
}

TEST_F(CheckerTest, PackageJsonImports) {
  write("package.json",
        R"({"name": "web", "dependencies": {"chalk": "^5"},
            "imports": {"#internal/*": "./src/internal/*.js", "#color": "chalk", "#pad": "left-pad"}})");
  write("src/internal/a.js");
  auto c = checker();
  EXPECT_EQ(check(*c, "src/main.js",
                  "import a from \"#internal/a\";\n"
                  "import color from \"#color\";\n"
                  "import pad from \"#pad\";\n"
                  "import other from \"#other\";\n"),
            (V{"import src/main.js:3:18: unresolved javascript import \"#pad\" (package.json \"imports\" maps it to "
               "\"left-pad\", which is not declared in package.json)",
               "import src/main.js:4:20: unresolved javascript import \"#other\" (no matching entry in package.json "
               "\"imports\")"}));
}

TEST_F(CheckerTest, GoMainModulePackagesAndLocalReplace) {
  write("go.mod", "module example.com/app\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ./third_party/lib\n");
  write("internal/db/db.go", "package db\n");
  write("third_party/lib/lib.go", "package lib\n");
  auto c = checker();
  EXPECT_EQ(check(*c, "cmd/app/main.go",
                  "package main\n\nimport (\n"
                  "\t\"example.com/app/internal/db\"\n"
                  "\t\"example.com/lib\"\n"
                  "\t\"example.com/app/internal/cache\"\n"
                  "\t\"example.com/lib/nope\"\n"
                  ")\n"),
            (V{"import cmd/app/main.go:6:3: unresolved go import \"example.com/app/internal/cache\" (module "
               "example.com/app is in the workspace, but it has no package internal/cache/)",
               "import cmd/app/main.go:7:3: unresolved go import \"example.com/lib/nope\" (module example.com/lib is in "
               "the workspace, but it has no package third_party/lib/nope/)"}));
}

TEST_F(CheckerTest, CIncludesNextToFileAncestorsIncludeDirsAndCompileCommands) {
  write("src/local.h");
  write("include/proj/config.h");
  write("util/str.h");
  write("vendor/zlib/zlib_local.h");
  write("compile_commands.json", R"([{"directory": ")" + m_dir.path().generic_string() +
                                     R"(", "file": "src/main.c", "arguments": ["cc", "-Ivendor/zlib", "-c", "src/main.c"]}])");
  auto c = checker();
  EXPECT_EQ(check(*c, "src/main.c",
                  "#include \"local.h\"\n"
                  "#include <proj/config.h>\n"
                  "#include \"util/str.h\"\n"
                  "#include <zlib_local.h>\n"
                  "#include \"missing.h\"\n"),
            (V{"include src/main.c:5:11: unresolved c include \"missing.h\" (not a standard header, not in the "
               "workspace)"}));
}

// --- 3. declared ---

TEST_F(CheckerTest, PythonImportNamesMapToDistributions) {
  write("requirements.txt", "PyYAML\nopencv-python\nbeautifulsoup4\ngoogle-cloud-storage\npython-dateutil\n");
  auto c = checker();
  EXPECT_EQ(check(*c, "main.py",
                  "import yaml\nimport cv2\nfrom bs4 import BeautifulSoup\nimport google.cloud.storage\n"
                  "import dateutil.parser\nimport requests\n"),
            (V{"import main.py:6:8: unresolved python import \"requests\" (not stdlib, not in the workspace, not "
               "declared in requirements.txt)"}));
}

TEST_F(CheckerTest, JavascriptDeclaredPackagesSubpathsAndTypes) {
  write("package.json", R"({"dependencies": {"lodash": "^4", "@scope/ui": "^1"}, "devDependencies": {"@types/express": "^4"}})");
  auto c = checker();
  EXPECT_EQ(check(*c, "app.js",
                  "import fp from \"lodash/fp\";\n"
                  "import { Button } from \"@scope/ui/button\";\n"
                  "import express from \"express\";\n"
                  "import axios from \"axios\";\n"),
            (V{"import app.js:4:20: unresolved javascript import \"axios\" (not a Node.js built-in, not in the "
               "workspace, not declared in package.json)"}));
}

TEST_F(CheckerTest, GoRequiredModulesAndTypoSuggestion) {
  write("go.mod", "module example.com/app\n\nrequire github.com/pkg/errors v0.9.1\n");
  auto c = checker();
  EXPECT_EQ(check(*c, "main.go",
                  "package main\n\nimport (\n\t\"github.com/pkg/errors\"\n\t\"github.com/pkg/errors/sub\"\n"
                  "\t\"github.com/pkg/errorz\"\n)\n"),
            (V{"import main.go:6:3: unresolved go import \"github.com/pkg/errorz\" (not in the standard library, not in "
               "a main module, not required in go.mod); possible typo of \"github.com/pkg/errors\""}));
}

TEST_F(CheckerTest, DeclaredButNotLockedIsALockFindingOfTheReport) {
  write("pyproject.toml", "[project]\nname = \"app\"\ndependencies = [\n  \"requests\",\n  \"httpx\",\n]\n");
  write("uv.lock", "version = 1\n[[package]]\nname = \"requests\"\n");
  write("main.py", "import requests\nimport httpx\n");
  auto c = checker();
  Report r = c->check_paths({(m_dir.path() / "main.py").string()});
  const std::string base = m_dir.path().generic_string() + "/";
  EXPECT_EQ(described(r.findings),
            (V{"lock " + base +
               "pyproject.toml:5:1: python dependency \"httpx\" is declared in pyproject.toml but missing from uv.lock "
               "(the lock file is out of date)"}));
  EXPECT_EQ(r.files, 1u);
  EXPECT_EQ(r.references, 2u);
  EXPECT_TRUE(r.errors.empty());
}

TEST_F(CheckerTest, InstallCommands) {
  write("requirements.txt", "flask\n");
  write("package.json", R"({"dependencies": {"lodash": "^4"}})");
  write("Cargo.toml", "[dependencies]\nserde = \"1\"\n");
  auto c = checker();
  EXPECT_EQ(check(*c, "setup.sh",
                  "pip install flask requests fastjson-utils\n"
                  "npm install lodash lodahs-extra\n"
                  "cargo add serde serde_jsonx\n"),
            (V{"package setup.sh:1:28: unknown python package \"fastjson-utils\" in an install command (not declared in "
               "requirements.txt, not installed, not a known distribution)",
               "package setup.sh:2:20: unknown javascript package \"lodahs-extra\" in an install command (not declared "
               "in package.json, not installed)",
               "package setup.sh:3:17: unknown rust crate \"serde_jsonx\" in an install command (not declared in "
               "Cargo.toml)"}));
}

// --- 4. installed ---

TEST_F(CheckerTest, PythonSitePackagesOnlyWhenProbed) {
  base::TempDir site{"sluice-site-packages"};
  write_at(site.path(), "fancylib/__init__.py");
  write_at(site.path(), "fancylib-1.0.dist-info/METADATA");
  CheckOptions o;
  o.toolchain.python_paths = {site.path()};
  auto probed = checker(o);
  EXPECT_EQ(check(*probed, "a.py", "import fancylib\nimport otherlib\n"),
            (V{"import a.py:2:8: unresolved python import \"otherlib\" (not stdlib, not in the workspace, no "
               "requirements.txt, pyproject.toml or Pipfile found, not installed)"}));
  EXPECT_EQ(check(*probed, "i.sh", "pip install fancylib\n"), V{});
  // --no-probe: nothing is installed, so the same import is a finding, never a pass.
  EXPECT_EQ(check(*checker(), "a.py", "import fancylib\n"),
            (V{"import a.py:1:8: unresolved python import \"fancylib\" (not stdlib, not in the workspace, no "
               "requirements.txt, pyproject.toml or Pipfile found)"}));
}

TEST_F(CheckerTest, NodeModulesInAncestors) {
  write("node_modules/chalk/package.json", R"({"name": "chalk"})");
  auto c = checker();
  EXPECT_EQ(check(*c, "src/deep/a.js", "import chalk from \"chalk\";\nimport kleur from \"kleur\";\n"),
            (V{"import src/deep/a.js:2:20: unresolved javascript import \"kleur\" (not a Node.js built-in, not in the "
               "workspace, no package.json found)"}));
}

TEST_F(CheckerTest, CompilerIncludeDirsOnlyWhenProbed) {
  base::TempDir sys{"sluice-sys-include"};
  write_at(sys.path(), "openssl/ssl.h");
  CheckOptions o;
  o.toolchain.c_include_dirs = {sys.path()};
  EXPECT_EQ(check(*checker(o), "a.c", "#include <openssl/ssl.h>\n#include <openssl/sslx.h>\n"),
            (V{"include a.c:2:11: unresolved c include \"openssl/sslx.h\" (not a standard header, not in the workspace, "
               "not in the compiler's include directories)"}));
  EXPECT_EQ(check(*checker(), "a.c", "#include <openssl/ssl.h>\n"),
            (V{"include a.c:1:11: unresolved c include \"openssl/ssl.h\" (not a standard header, not in the "
               "workspace)"}));
}

TEST_F(CheckerTest, DebianPackagesOnlyWhenProbed) {
  CheckOptions o;
  o.toolchain.debian_packages = {"curl", "ca-certificates"};
  EXPECT_EQ(check(*checker(o), "Dockerfile", "FROM debian:12\nRUN apt-get install -y curl ca-certificates curlx\n"),
            (V{"package Dockerfile:2:45: unknown debian package \"curlx\" in an install command (not installed, not in "
               "the apt package lists)"}));
  EXPECT_EQ(check(*checker(), "Dockerfile", "FROM debian:12\nRUN apt-get install -y curl\n"),
            (V{"package Dockerfile:2:24: unknown debian package \"curl\" in an install command (no package lists on "
               "this machine to check it against)"}));
}

// --- 5. allowed ---

TEST_F(CheckerTest, AllowGlobsAndEcosystemPrefixes) {
  CheckOptions o;
  o.allow = parse_allow_file(
      "# internal names\n"
      "internal_*\n"
      "python:corp_*   # python only\n"
      "javascript:@corp/*\n"
      "go:example.org/private/*\n");
  EXPECT_EQ(o.allow, (V{"internal_*", "python:corp_*", "javascript:@corp/*", "go:example.org/private/*"}));
  auto c = checker(o);
  EXPECT_EQ(check(*c, "a.py", "import internal_tools\nimport corp_auth.tokens\nimport other_auth\n"),
            (V{"import a.py:3:8: unresolved python import \"other_auth\" (not stdlib, not in the workspace, no "
               "requirements.txt, pyproject.toml or Pipfile found)"}));
  EXPECT_EQ(check(*c, "a.js", "import x from \"@corp/ui/button\";\nimport y from \"internal_js\";\nimport z from \"corp_auth\";\n"),
            (V{"import a.js:3:16: unresolved javascript import \"corp_auth\" (not a Node.js built-in, not in the "
               "workspace, no package.json found)"}));
  EXPECT_EQ(check(*c, "a.go", "package a\nimport \"example.org/private/x/y\"\nimport \"example.org/public/x\"\n"),
            (V{"import a.go:3:9: unresolved go import \"example.org/public/x\" (not in the standard library, not in a "
               "main module, no go.mod found)"}));
}

TEST_F(CheckerTest, ImageAllowGlobsAndGrammar) {
  CheckOptions o;
  o.images.allow = {"registry.corp/**", "docker.io/library/*"};
  auto c = checker(o);
  EXPECT_EQ(check(*c, "k8s/deploy.yaml",
                  "containers:\n"
                  "  - image: registry.corp/team/app:1.0\n"
                  "  - image: nginx:1.27\n"
                  "  - image: ghcr.io/evil/app:latest\n"
                  "  - image: Bad_Image\n"),
            (V{"image k8s/deploy.yaml:4:12: image \"ghcr.io/evil/app:latest\" is not from an allowed registry "
               "(ghcr.io/evil/app matches none of references.images.allow)",
               "image k8s/deploy.yaml:5:12: " + parse_image("Bad_Image").error().message}));
  CheckOptions allow_evil = o;
  allow_evil.allow = {"image:ghcr.io/evil/*"};
  EXPECT_EQ(check(*checker(allow_evil), "k8s/deploy.yaml", "image: ghcr.io/evil/app:latest\n"), V{});
}

TEST_F(CheckerTest, ImageRequireDigest) {
  CheckOptions o;
  o.images.require_digest = true;
  const std::string digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  EXPECT_EQ(check(*checker(o), "Dockerfile", "FROM nginx:1.27@" + digest + "\nFROM alpine:3.20\n"),
            (V{"image Dockerfile:2:6: image \"alpine:3.20\" has no digest (references.images.require_digest is set: pin "
               "it as name@sha256:...)"}));
}

// --- suggestions ---

TEST_F(CheckerTest, TypoSuggestionWithinEditDistanceTwoOnly) {
  write("requirements.txt", "requests\n");
  auto c = checker();
  EXPECT_EQ(check(*c, "a.py", "import reqeusts\nimport rekwestz\nimport yamk\n"),
            (V{"import a.py:1:8: unresolved python import \"reqeusts\" (not stdlib, not in the workspace, not declared "
               "in requirements.txt); possible typo of \"requests\"",
               // three edits from "requests": no suggestion
               "import a.py:2:8: unresolved python import \"rekwestz\" (not stdlib, not in the workspace, not declared in "
               "requirements.txt)",
               "import a.py:3:8: unresolved python import \"yamk\" (not stdlib, not in the workspace, not declared in "
               "requirements.txt); possible typo of \"yaml\""}));
}

// --- no toolchain ---

TEST_F(CheckerTest, MissingToolchainNeverTurnsAnUnknownNameIntoAPass) {
  auto c = checker();  // CheckOptions::toolchain empty: what --no-probe gives
  EXPECT_EQ(check(*c, "a.py", "import numpyy\n").size(), 1u);
  EXPECT_EQ(check(*c, "a.js", "import x from \"reactt\";\n").size(), 1u);
  EXPECT_EQ(check(*c, "a.go", "package a\nimport \"github.com/x/y\"\n").size(), 1u);
  EXPECT_EQ(check(*c, "a.c", "#include <libfoo.h>\n").size(), 1u);
  EXPECT_EQ(check(*c, "i.sh", "pip install numpyy\nnpm i reactt\napt-get install libfoo\ncargo add serdee\n").size(), 4u);
}

TEST_F(CheckerTest, MissingBaseIsAnError) {
  CheckOptions o;
  o.base = m_dir.path() / "nope";
  auto c = Checker::create(std::move(o));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, (m_dir.path() / "nope").string() + ": the base directory does not exist");
}

}  // namespace
}  // namespace sluice::refs
