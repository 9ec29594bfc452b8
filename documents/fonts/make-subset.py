#!/usr/bin/env python3
"""Makes the documents' three fonts (documents/fonts/README.md), each adding only what the ones
before it lack:

1. NotoSansCJKsc-Regular-subset.otf, from Noto Sans CJK SC Regular 2.004 (face 2 of
   NotoSansCJK-Regular.ttc): every code point that face maps except Hangul and the CJK
   extensions B-G (extension A too unless EXTENSION_A), plus the 8,105 characters of
   通用规范汉字表 (tgh-8105.txt, some of them in extensions A-F). So all of U+4E00-U+9FEF, the CJK
   compatibility ideographs and radicals, CJK punctuation, full-width forms, Latin, Greek,
   letterlike symbols, number forms, arrows, maths operators, enclosed numbers, box drawing,
   geometric shapes, kana and bopomofo.
2. DejaVuSans-subset.ttf, from DejaVu Sans 2.37: the symbols of SYMBOL_RANGES that Noto lacks,
   among them ⌀ (U+2300, the diameter sign of drawings, enlarged to the height of digits), ‱,
   ☐ ☑ ✔ ✘, superscripts ⁴-⁹, Latin extended letters of foreign names, and U+FFFD, which is
   what a character no font has is printed as.
3. OffgridHanSupplement-Regular.ttf, from LXGW WenKai 1.250 (a Kai face): the ideographs of
   U+4E00-U+9FFF that Noto lacks (U+9FF0-U+9FFF, Unicode 13 and 14). Renamed: "LXGW" and "霞鹜"
   are reserved font names of its OFL, and a subset is a modified version.

Reproducible: the inputs are checked against the SHA-256 below (Debian 12 packages
fonts-noto-cjk 1:20220127+repack1-1, fonts-dejavu-core 2.37-6, fonts-lxgw-wenkai
1.250+repack-1), fontTools is pinned, and no timestamp is recalculated, so the same inputs
give the same bytes.
Run: apt-get install fonts-noto-cjk fonts-dejavu-core fonts-lxgw-wenkai
     pip install fonttools==4.69.1 && python3 documents/fonts/make-subset.py
"""
import hashlib
import pathlib
import sys

import fontTools
from fontTools import subset, unicodedata
from fontTools.ttLib import TTFont

HERE = pathlib.Path(__file__).parent
FONTTOOLS = "4.69.1"
NOTO = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2,
        "b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a")
DEJAVU = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0,
          "abdc775b21b1bc470d50c97e790d276f2054b7504e56e5bd3e64f48d68582322")
WENKAI = ("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf", 0,
          "bbf534b0ca093928f94d1782855e65a19a32cde82b075d495d072025521953c8")
# Extension A (6,582 more ideographs, those of 通用规范汉字表 are in anyway) would add 1.7 MB.
EXTENSION_A = False
SYMBOL_RANGES = [
    (0x00A0, 0x024F),  # Latin-1, Latin extended A and B (foreign names)
    (0x0300, 0x036F),  # combining diacritical marks
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x04FF),  # Cyrillic
    (0x1E00, 0x1EFF),  # Latin extended additional
    (0x2000, 0x27FF),  # punctuation, super- and subscripts, currency, letterlike, number forms,
                       # arrows, maths, technical (⌀), enclosed, box, shapes, symbols, dingbats
    (0x2900, 0x2BFF),  # supplemental arrows and maths, miscellaneous symbols and arrows
    (0xFFFD, 0xFFFD),  # the replacement character
]
FEATURES = ["kern", "liga", "locl", "vert", "vrt2", "halt", "palt", "fwid", "hwid", "ccmp",
            "mark", "mkmk"]


def load(spec):
    path, number, sha = spec
    data = pathlib.Path(path).read_bytes()
    got = hashlib.sha256(data).hexdigest()
    if got != sha:
        sys.exit(f"{path}: SHA-256 {got}, expected {sha} (another version of the font)")
    return TTFont(path, fontNumber=number, recalcTimestamp=False, recalcBBoxes=False)


def cut(font, points, keep_names=True):
    options = subset.Options()
    options.layout_features = FEATURES
    options.name_IDs = ["*"] if keep_names else [0, 2, 5, 7, 8, 9, 10, 11, 12, 13, 14]
    options.name_languages = ["*"] if keep_names else [0x409, 0]
    options.notdef_outline = True
    options.hinting = False
    options.recalc_timestamp = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(points))
    subsetter.subset(font)
    return font


def enlarge(font, point, scale):
    """Scales one glyph about its origin, its advance with it."""
    from fontTools.pens.transformPen import TransformPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    name = font.getBestCmap()[point]
    pen = TTGlyphPen(font.getGlyphSet())
    font.getGlyphSet()[name].draw(TransformPen(pen, (scale, 0, 0, scale, 0, 0)))
    glyph = pen.glyph()
    glyph.recalcBounds(font["glyf"])
    font["glyf"][name] = glyph
    advance, _ = font["hmtx"][name]
    font["hmtx"][name] = (round(advance * scale), glyph.xMin)


def rename(font, family, postscript, note):
    """A modified version under a name of its own (OFL: reserved font names)."""
    name = font["name"]
    for nid, text in [(1, family), (2, "Regular"), (3, f"{postscript};{note}"), (4, family),
                      (6, postscript), (16, family), (17, "Regular")]:
        name.removeNames(nameID=nid)
        name.setName(text, nid, 3, 1, 0x409)
    old = name.getDebugName(5) or ""
    name.removeNames(nameID=5)
    name.setName(f"{old}; {note}", 5, 3, 1, 0x409)


def main():
    if fontTools.version != FONTTOOLS:
        sys.exit(f"fontTools {fontTools.version}: install fonttools=={FONTTOOLS} for the same bytes")
    chars = [l.strip() for l in (HERE / "tgh-8105.txt").read_text(encoding="utf-8").splitlines()
             if l.strip()]
    assert len(chars) == 8105 and len(set(chars)) == 8105, "通用规范汉字表 has 8,105 characters"
    tgh = {ord(c) for c in chars}

    noto = load(NOTO)
    noto_map = noto.getBestCmap()

    def wanted(p):
        block = unicodedata.block(chr(p))
        if block.startswith("Hangul"):
            return False
        if block.startswith("CJK Unified Ideographs Extension"):
            return p in tgh or (EXTENSION_A and block.endswith("Extension A"))
        return True

    points = {p for p in noto_map if wanted(p)}
    assert tgh <= points, "every character of 通用规范汉字表 is in Noto Sans CJK SC"
    cut(noto, points).save(HERE / "NotoSansCJKsc-Regular-subset.otf")
    have = set(points)

    dejavu = load(DEJAVU)
    symbols = {p for a, b in SYMBOL_RANGES for p in range(a, b + 1)
               if p in dejavu.getBestCmap() and p not in have}
    cut(dejavu, symbols)
    # DejaVu draws ⌀ at x-height, like a letter ø; drawings and the text copied from them put
    # it before a size at the height of the digits (⌀25): 1.37 times, its top at 0.70 em.
    enlarge(dejavu, 0x2300, 1.37)
    dejavu.save(HERE / "DejaVuSans-subset.ttf")
    have |= symbols

    wenkai = load(WENKAI)
    han = {p for p in range(0x4E00, 0xA000) if p in wenkai.getBestCmap() and p not in have}
    font = cut(wenkai, han, keep_names=False)
    rename(font, "Offgrid Han Supplement", "OffgridHanSupplement-Regular",
           "a subset of LXGW WenKai 1.250 made for Offgrid")
    font.save(HERE / "OffgridHanSupplement-Regular.ttf")
    have |= han

    missing = [f"U+{p:04X}" for p in range(0x4E00, 0xA000) if p not in have]
    assert not missing, f"CJK Unified Ideographs not covered: {missing}"
    for name, n in [("NotoSansCJKsc-Regular-subset.otf", len(points)),
                    ("DejaVuSans-subset.ttf", len(symbols)),
                    ("OffgridHanSupplement-Regular.ttf", len(han))]:
        size = (HERE / name).stat().st_size
        print(f"{name}: {n} code points, {size} bytes")


if __name__ == "__main__":
    main()
