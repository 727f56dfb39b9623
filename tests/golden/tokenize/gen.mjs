// Writes the tokenizer goldens: cases.jsonl (one JSON string per line) and, per encoding,
// <encoding>.jsonl (the ids tiktoken gives for the same line). Run through regen.sh, which installs
// the npm packages `tiktoken` (OpenAI's Rust tiktoken compiled to WebAssembly: the reference) and
// `gpt-tokenizer` into a temp dir. Deterministic: a fixed seed drives the generated cases.
//   node gen.mjs OUT_DIR [extra_cases.txt]   (extra file: cases separated by lines "\x1e")
import { writeFileSync, readFileSync } from "node:fs";
import { get_encoding } from "tiktoken";
import { encode as gptCl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { encode as gptO200k } from "gpt-tokenizer/encoding/o200k_base";

const out = process.argv[2] ?? ".";
const count = Number(process.env.GOLDEN_RANDOM_CASES ?? 400);
const seed = Number(process.env.GOLDEN_SEED ?? 20240601);

const handWritten = [
  "", " ", "  ", "\n", "\r\n", "\r\n\r\n", " \n ", "\t\t\n", "a", "hello world", "Hello, World!",
  "trailing space ", "trailing spaces   ", "two  spaces", "  leading", "line\nbreak", "crlf\r\nline\r\n",
  "tabs\tand\tspaces \t x", "mixed \n\n\n  indent\n    code", "x\u00a0y", "x \u00a0 y", "\u3000\u3000CJK space",
  "it's", "IT'S", "It'S", "we're they've I'm you'll he'd", "WE'RE THEY'VE I'M YOU'LL HE'D", "We'Re",
  "don't 'twas 'Tis 'tis", "'s 't 're 've 'm 'll 'd", "''s", "x'sy", "rock'n'roll", "O'Neil's",
  "it\u2019s curly", "'ſ", "'ſa", "x'ſ", "Dogſ's", "'S'S'S", "'ll'll", "ab'LLx", "A'Ve", "a'VE",
  "12", "123", "1234", "1234567890", "3.14159", "1,000,000", "0x1F2E3D", "99 bottles", "a1b2c3",
  "\u0661\u0662\u0663\u0664", "\u0967\u0968\u0969\u096a\u096b", "\uff11\uff12\uff13\uff14", "\u00bd\u00b2\u2163\u216b",
  "int main(void) { return 0; }", "for (int i = 0; i < n; ++i) {\n    x[i] = y[i] * 2;\n}\n",
  "def f(x):\n    return x ** 2  # square\n", "<div class=\"a\">text</div>", "https://example.com/a/b?c=d&e=f",
  "path/to/file.txt", "//comment", "a // b /// c", "x /= y;", "#include <stdio.h>\n", "{\"key\": [1, 2, 3]}",
  "CamelCaseWords", "camelCaseWords", "HTTPServerError", "XMLHttpRequest", "ALLCAPS", "iPhone", "eBay",
  "\u01c5ungla \u01c8ubljana", "\u02b0\u02b1\u02b2", "na\u00efve caf\u00e9", "cafe\u0301 nai\u0308ve", "e\u0301\u0301\u0301",
  "\u0301leading mark", " \u0301", "!\u0301", "A\u0301B\u0301", "\u00c5ngstr\u00f6m", "stra\u00dfe STRASSE \u1e9e",
  "\u0394\u03b5\u03b9\u03b3\u03bc\u03b1 \u03a3\u03a3 \u03c3\u03c2", "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!",
  "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd", "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
  "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u064b\u064c\u064d", "abc \u05d0\u05d1\u05d2 def", "\u200f\u200e\u202b\u202c",
  "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a",
  "\u4f60\u597d\uff0c\u4e16\u754c\uff01", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002", "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8",
  "\u{20000}\u{2A700}\u{30000}", "\ud83d\ude00", "\ud83d\udc4d\ud83c\udffd", "\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67\u200d\ud83d\udc66",
  "\ud83c\uddfa\ud83c\uddf8\ud83c\uddef\ud83c\uddf5", "\ud83c\udff3\ufe0f\u200d\ud83c\udf08", "\u2764\ufe0f", "a\ud83d\ude00b", " \ud83d\ude00 ",
  "\ud83e\uddd1\ud83c\udffe\u200d\ud83d\udcbb", "#\ufe0f\u20e3", "\ufeffBOM at start", "a\ufeff b", "zero\u200bwidth", "x\u200dy",
  "\u2028\u2029", "a\u0085b", "\u000b\u000c", "\u1680ogham", "x\u2003\u2003y", "\u00a0\n", "\n\u00a0", " \r", "\r \n",
  "...", "!!!", "?!?!", "---", "***bold***", "a-b_c.d", "$100.00", "\u20ac50", "50%", "@user #tag",
  "\u00ab\u00bb\u201c\u201d\u2018\u2019", "\u2014\u2013", "\u00a9\u00ae\u2122", "\u2200x\u2208\u211d: x\u00b2\u22650",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "=".repeat(200), " ".repeat(100) + "x", "\n".repeat(50), "ab".repeat(150), "\u00e9".repeat(120),
  "\ud83d\ude00".repeat(40), "9".repeat(101), "x".repeat(1000), "<|endoftext|>", "a<|endoftext|>b",
  "<|endofprompt|> <|fim_prefix|><|fim_middle|><|fim_suffix|>", "<|endoftext", "<|im_start|>",
];

// Characters assigned in Unicode 15.1 or 16.0 (tiktoken uses Unicode 16.0 tables; sluice's are
// generated from 16.0 too, see gen_unicode_tables.py): new letters by case, marks, digits, symbols.
const unicode16 = [
  "\u{2EBF0}\u{2EBF1}\u{2EC00}\u{2EE5D}", "x \u{2EBF0}\u{2EBF1} y", "\u4e2d\u{2EBF2}\u6587",
  "\u{10D50}\u{10D51}\u{10D70}\u{10D71} \u{10D72}\u{10D73}", "\u{10D70}\u{10D71}\u{10D50}\u{10D52}'s",
  "\u{10D40}\u{10D41}\u{10D42}\u{10D43}\u{10D44}", "\u{10D50}\u{10D69}\u{10D70}\u{10D6A} \u{10D4E}\u{10D4F}",
  "\u{16D43}\u{16D44}\u{16D6B} \u{16D70}\u{16D71}\u{16D72}\u{16D73}", "\u{105C0}\u{105C1}\u{105C2} \u{105F3}",
  "\u{11BC0}\u{11BC1}\u{11BE0}\u{11BE1} \u{11BF0}\u{11BF1}\u{11BF2}\u{11BF3}",
  "\u{11380}\u{113B8}\u{11381}\u{113BB}\u{113CE} \u{113D1}", "\u{16100}\u{1611E}\u{1612A} \u{16130}\u{16131}",
  "\u{1E5D0}\u{1E5EE}\u{1E5F0} \u{1E5F1}\u{1E5F2}\u{1E5F3}\u{1E5F4}", "\uA7CB\uA7CDx \uA7DA\uA7DB\uA7DC Abc\uA7CC",
  "\u1C89\u1C8A\u0430 \u0410\u1C8A", "\u{1CCF0}\u{1CCF1}\u{1CCF2}\u{1CCF3}", "\u0628\u0897\u0629",
  "a\u{1DF25}\u{1DF26} \u{1DF2A}b", "\u{13460}\u{13461}\u{143FA}", "\u{1CC00}\u{1CC01} \u{1FAE9} \u2FFC\u31EF",
  " \u{10D70}'ll \u{16D43}'S", " \u{10D69}\u{10D6A}x", "\n\u{2EBF0}  \u{16D70}\u{16D71}\n",
  "abc\u{10D50}def \u{10D70}DEF 12\u{10D40}34", "\u{10EC2}\u{10EC3}\u{10EC4}", "\u1B4E\u1B4F \u{1E5FF}",
  "\u{10D40}\u{10D41}abc 1\u{16D70}23\u{16D71}4", "\u{2EBF0}hello \u{10D70}world", ".\u{10D50}\u{10D70}Abc",
];

function mulberry32(a) {
  return function () {
    a |= 0; a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
// Fragments: every one is assigned in Unicode 15.0 (the 15.1/16.0 ones are in unicode16 above).
const fragments = [
  "a", "b", "Z", "Q", "x", "hello", "World", "THE", "the", "and", " ", " ", " ", "  ", "\t", "\n", "\n", "\r\n", "\r",
  "\u00a0", "\u2003", "\u3000", "\u2028", "\u0085", "\u000b", "\u000c", "'", "'", "s", "S", "t", "T", "re", "RE", "Re",
  "ve", "VE", "m", "M", "ll", "LL", "Ll", "d", "D", "\u017f", "\u2019", "\"", "0", "1", "7", "42", "123", "2024", "9999",
  "\u0663", "\u096d", "\uff15", "\u00bd", "\u00b2", "\u2163", ".", ",", ";", ":", "!", "?", "-", "_", "/", "//", "\\",
  "(", ")", "{", "}", "[", "]", "<", ">", "=", "==", "+", "*", "&", "|", "#", "@", "$", "%", "^", "~", "`",
  "\u00e9", "e\u0301", "\u0301", "\u0308", "\u0903", "\u20dd", "\u01c5", "\u02b0", "\u00df", "\u0130", "\u0131",
  "\u03a9", "\u03c9", "\u0416", "\u0436", "\u05d0", "\u05b7", "\u0627", "\u064e", "\u0915", "\u094d", "\u0e01", "\u0e31",
  "\u4e2d", "\u6587", "\u3042", "\u30a2", "\ud55c", "\u1100", "\u{20021}", "\u{1f600}", "\u{1f44d}", "\u{1f3fd}", "\u200d",
  "\ufe0f", "\u{1f1fa}", "\u{1f1f8}", "\u2764", "\ufeff", "\u200b", "\u200e", "\u00ab", "\u2014", "\u20ac", "\u00a9",
  "\u2200", "\u{1d400}", "\u{1d7ce}", "\u{10400}", "\u{10428}", "\u1e9e", "\u212a", "\u2126", "int", "return", "=>",
  "0x", "ff", "http", "://", ".com", "<|endoftext|>", "<|", "|>",
];
const rnd = mulberry32(seed);
const generated = [];
for (let i = 0; i < count; i++) {
  const n = 1 + Math.floor(rnd() * 24);
  let s = "";
  for (let k = 0; k < n; k++) s += fragments[Math.floor(rnd() * fragments.length)];
  generated.push(s);
}
// Optional (GOLDEN_WIDE=N): strings of random assigned code points from all of Unicode, to probe
// the character tables; not used for the committed goldens.
const wide = [];
for (let i = 0; i < Number(process.env.GOLDEN_WIDE ?? 0); i++) {
  const n = 1 + Math.floor(rnd() * 12);
  let s = "";
  while ([...s].length < n) {
    const r = rnd();
    const cp = r < 0.3 ? Math.floor(rnd() * 0x3000) : r < 0.9 ? Math.floor(rnd() * 0x10000) : Math.floor(rnd() * 0x40000);
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const ch = String.fromCodePoint(cp);
    if (!/\p{Assigned}/u.test(ch) || /\p{Co}/u.test(ch)) continue;
    s += ch;
    if (rnd() < 0.3) s += [" ", "'s", "1", "a", "A", "\n", "  "][Math.floor(rnd() * 7)];
  }
  wide.push(s);
}
let extra = [];
if (process.argv[3]) extra = readFileSync(process.argv[3], "utf8").split("\x1e\n").filter((x) => x.length > 0);
const cases = [...handWritten, ...unicode16, ...extra, ...generated, ...wide];

writeFileSync(`${out}/cases.jsonl`, cases.map((c) => JSON.stringify(c)).join("\n") + "\n");
const gpt = { cl100k_base: gptCl100k, o200k_base: gptO200k };
for (const name of ["cl100k_base", "o200k_base"]) {
  const enc = get_encoding(name);
  const lines = [];
  let disagree = 0;
  for (const c of cases) {
    const ids = [...enc.encode_ordinary(c)];
    lines.push(JSON.stringify(ids));
    let other;
    try { other = gpt[name](c, { disallowedSpecial: new Set() }); } catch { other = null; }
    if (JSON.stringify(other) !== JSON.stringify(ids)) disagree++;
  }
  enc.free();
  writeFileSync(`${out}/${name}.jsonl`, lines.join("\n") + "\n");
  console.error(`${name}: ${cases.length} cases; gpt-tokenizer disagrees with tiktoken on ${disagree}`);
}
