// Writes the long tokenizer goldens: cases.jsonl (one JSON string per line, every one at least
// 8 KiB of UTF-8, so sluice's piece cache, used from 8 KiB up, is on) and, per encoding,
// <encoding>.jsonl (the ids the npm package `tiktoken` gives, encode_ordinary). Run through
// regen.sh (pinned, checksummed tiktoken from scripts/fetch-node-tiktoken.sh). Deterministic:
// GOLDEN_SEED drives every generated case; the code cases are files of this repository.
//   node gen_long.mjs OUT_DIR REPO_ROOT
import { writeFileSync, readFileSync } from "node:fs";
import { get_encoding } from "tiktoken";

const out = process.argv[2] ?? ".";
const root = process.argv[3] ?? ".";
const seed = Number(process.env.GOLDEN_SEED ?? 20261128);
const minBytes = 8192;

function mulberry32(a) {
  return function () {
    a |= 0; a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = mulberry32(seed);
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const bytes = (s) => Buffer.byteLength(s, "utf8");
const until = (size, next) => { let s = ""; while (bytes(s) < size) s += next(); return s; };

// Multilingual prose: sentences of many scripts, in random order, with their own punctuation.
const sentences = [
  "The quick brown fox jumps over the lazy dog.", "Deployments roll out one replica at a time.",
  "Der schnelle braune Fuchs springt über den faulen Hund.", "Straße, Größe, Maß und Fuß.",
  "Le cœur a ses raisons que la raison ne connaît point.", "¿Dónde está la estación? ¡Aquí!",
  "Съешь же ещё этих мягких французских булок, да выпей чаю.", "Ελληνικά: Καλημέρα σας, κόσμε!",
  "العربية: مرحبا بالعالم، كيف حالك اليوم؟", "עברית: שלום עולם, מה שלומך?",
  "हिन्दी: नमस्ते दुनिया, आप कैसे हैं?", "ภาษาไทย: สวัสดีชาวโลก ยินดีต้อนรับ",
  "中文：你好，世界！今天的部署已经完成。", "日本語：こんにちは世界。デプロイは完了しました。",
  "한국어: 안녕하세요 세계, 배포가 완료되었습니다.", "Tiếng Việt: Xin chào thế giới, mọi thứ ổn.",
  "Türkçe: İstanbul'da ılık bir gün; IĞDIR ve ığdır.", "Polski: Zażółć gęślą jaźń.",
  "Emoji: 🚀 deployed, ✅ tests, 👍🏽 review, 👨‍👩‍👧‍👦 family, 🇺🇸🇯🇵 flags.",
  "Maths: ∀x∈ℝ: x²≥0, ½ + ⅓ ≈ 0.833, π ≈ 3.14159.", "Quotes: «guillemets», “curly”, ‘single’ — dash – en.",
  "It's, they're, we've, I'm, you'll, he'd; IT'S, THEY'RE.", "Numbers: 1,000,000 and 3.14 and 0x1F and 2026-11-28.",
];
const multilingual = until(12288, () => pick(sentences) + pick([" ", " ", "  ", "\n", "\n\n", "\t"]));

// Runs without spaces: what a pre-tokenizer sees as one very long piece, or many short ones.
const b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const base64 = until(10240, () => pick(b64chars));
const hex = until(9216, () => pick("0123456789abcdef"));
const letters = "a".repeat(12000);
const digits = until(9216, () => pick("0123456789"));
const cjk = until(12288, () => String.fromCodePoint(0x4e00 + Math.floor(rnd() * 0x5000)));
const emoji = until(9216, () => pick(["😀", "🚀", "👍🏽", "🇺🇸", "❤️", "👨‍💻", "🏳️‍🌈"]));
const url = "https://example.com/api/v1/search?" + until(9216, () => pick(["q", "page", "lang", "tag", "id"]) +
  "=" + pick(["deploy", "%E4%B8%AD", "42", "a%20b", "x-y_z"]) + "&");
const camel = until(9216, () => pick(["Http", "Server", "Error", "XML", "Request", "get", "Value", "ID", "URL", "Ä", "Ö"]));
const json = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({
  id: i, name: pick(["greet", "api", "web", "db"]) + i, ok: rnd() < 0.5, ratio: Math.round(rnd() * 1e6) / 1e3,
  tags: [pick(["a", "b", "c"]), pick(["α", "β", "γ"])],
})));
const punctuation = until(9216, () => pick(["==", "->", "=>", "::", ";;", "{}", "[]", "()", "...", "!=", "<=", "//"]));

// Code, YAML and prose from this repository (whole files, or their first 12 KiB).
const fromRepo = (path) => {
  let s = readFileSync(`${root}/${path}`, "utf8");
  if (bytes(s) > 12288) s = s.slice(0, 12288);
  return s;
};
const cases = [
  multilingual, base64, hex, letters, digits, cjk, emoji, url, camel, json, punctuation,
  fromRepo("src/tokenize/encoder.cpp"), fromRepo("src/base/yaml.cpp"), fromRepo("tests/soak/test_engine_soak.py"),
  fromRepo("docs/llm-stages.md"), fromRepo("tests/e2e/test_pipeline_secrets.sh"),
];
for (const [i, c] of cases.entries()) {
  if (bytes(c) < minBytes) throw new Error(`case ${i + 1} is ${bytes(c)} bytes, under ${minBytes}`);
}
writeFileSync(`${out}/cases.jsonl`, cases.map((c) => JSON.stringify(c)).join("\n") + "\n");
for (const name of ["cl100k_base", "o200k_base"]) {
  const enc = get_encoding(name);
  writeFileSync(`${out}/${name}.jsonl`, cases.map((c) => JSON.stringify([...enc.encode_ordinary(c)])).join("\n") + "\n");
  enc.free();
}
console.error(`gen_long: ${cases.length} cases, ${cases.reduce((n, c) => n + bytes(c), 0)} bytes, seed ${seed}`);
