#!/usr/bin/env python3
"""Makes NotoSansCJKsc-Regular-subset.otf, the one font the documents ship with.

Input: Noto Sans CJK SC Regular (Debian's fonts-noto-cjk: NotoSansCJK-Regular.ttc, face 2).
Kept: the 8,105 characters of 通用规范汉字表 (tgh-8105.txt, one per line, in the table's order),
Latin, Greek (Φ φ for rebar), general punctuation, letterlike symbols (℃ №), arrows, maths
operators, enclosed numbers (①), box drawing and geometric shapes, dingbats (✓ ✗), CJK
punctuation, enclosed and compatibility CJK (㎡ ㎜), vertical and full-width forms.
Run: pip install fonttools && python3 core/fonts/make-subset.py /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
"""
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).parent
RANGES = [(0x20, 0x7E), (0xA0, 0xFF), (0x391, 0x3C9), (0x2000, 0x206F), (0x2100, 0x214F),
          (0x2150, 0x218F), (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2460, 0x24FF),
          (0x2500, 0x25FF), (0x2600, 0x26FF), (0x2700, 0x27BF), (0x3000, 0x303F),
          (0x3200, 0x32FF), (0x3300, 0x33FF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF)]

chars = [l.strip() for l in (HERE / "tgh-8105.txt").read_text(encoding="utf-8").splitlines() if l.strip()]
assert len(chars) == 8105 and len(set(chars)) == 8105, "通用规范汉字表 has 8,105 characters"
points = {ord(c) for c in chars}
for a, b in RANGES:
    points.update(range(a, b + 1))
unicodes = HERE / "unicodes.tmp"
unicodes.write_text("\n".join(f"U+{p:04X}" for p in sorted(points)))
subprocess.run(["pyftsubset", sys.argv[1], "--font-number=2", f"--unicodes-file={unicodes}",
                f"--output-file={HERE / 'NotoSansCJKsc-Regular-subset.otf'}",
                "--layout-features=kern,liga,locl,vert,vrt2,halt,palt,fwid,hwid",
                "--name-IDs=*", "--name-languages=*", "--notdef-outline", "--no-hinting"], check=True)
unicodes.unlink()
