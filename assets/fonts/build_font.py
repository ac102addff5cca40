"""Rebuild assets/fonts/PortalSansSC-Regular.ttf: a subset of Noto Sans CJK SC (SIL OFL 1.1) with
TrueType outlines, for the static map export (PNG/PDF) on servers without Chinese fonts.

Run from the repository root (needs Debian's fonts-noto-cjk and fontTools, build time only):

    .venv/bin/python assets/fonts/build_font.py

Characters kept: printable ASCII and Latin-1, general punctuation, CJK symbols, full-width forms,
every character of GB2312 (levels 1 and 2, 6,763 hanzi plus its symbols), every character in
ui/text.py and every unit and site name in data/demo/ (if it exists). The CFF outlines are
converted to quadratic TrueType outlines so matplotlib can embed the font in PDFs as Type 42
(vector, text searchable); hinting and layout features are dropped (not needed for maps).
The family is renamed "Portal Sans SC" (a Modified Version under the OFL; Noto has no reserved
font name) so it is never confused with an installed Noto font.
"""
from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_FACE = "Noto Sans CJK SC"
OUT = ROOT / "assets" / "fonts" / "PortalSansSC-Regular.ttf"
FAMILY = "Portal Sans SC"
MAX_ERR = 1.0  # font units (of 1000 per em): cubic -> quadratic approximation error


def gb2312_chars() -> set[str]:
    """Every character encodable in GB2312 (rows 0xA1-0xF7, cells 0xA1-0xFE)."""
    chars = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def data_chars() -> set[str]:
    """Characters of ui/text.py and of the demo data's names."""
    chars = set((ROOT / "ui" / "text.py").read_text(encoding="utf-8"))
    demo = ROOT / "data" / "demo"
    if (demo / "units.gpkg").exists():
        import pyogrio

        frame = pyogrio.read_dataframe(demo / "units.gpkg", read_geometry=False, columns=["name"])
        chars.update("".join(frame["name"].astype(str)))
    if (demo / "sites.csv").exists():
        import pandas as pd

        chars.update("".join(pd.read_csv(demo / "sites.csv", dtype=str)["name"].fillna("")))
    return chars


def wanted_chars() -> set[str]:
    ranges = [(0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x2027), (0x2030, 0x203B), (0x2103, 0x2103),
              (0x2190, 0x2193), (0x2460, 0x2473), (0x25A0, 0x25CF), (0x3000, 0x303F),
              (0xFF01, 0xFF5E)]
    chars = {chr(c) for lo, hi in ranges for c in range(lo, hi + 1)}
    chars |= gb2312_chars() | data_chars()
    return {c for c in chars if c.isprintable() or c == " "}


def load_source() -> TTFont:
    collection = TTCollection(str(SOURCE), lazy=False)
    for font in collection.fonts:
        if font["name"].getDebugName(4) == SOURCE_FACE:
            return font
    raise SystemExit(f"{SOURCE_FACE!r} not found in {SOURCE}")


def cff_to_truetype(font: TTFont) -> None:
    """Replace CFF outlines with quadratic glyf outlines (in place)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        width = hmtx.metrics[name][0]
        hmtx.metrics[name] = (width, getattr(glyph, "xMin", 0))
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                  "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                  "maxComponentElements"):
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    font["maxp"] = maxp
    maxp.compile(font)
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont) -> None:
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID in (2, 17):
            record.string = "Regular"
        elif record.nameID == 4:
            record.string = f"{FAMILY} Regular"
        elif record.nameID == 6:
            record.string = FAMILY.replace(" ", "") + "-Regular"
        elif record.nameID == 3:
            record.string = f"{FAMILY.replace(' ', '')}-Regular;subset of {SOURCE_FACE}"


def build(out: Path = OUT) -> Path:
    font = load_source()
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = True
    options.name_IDs = ["*"]
    options.name_languages = [0x409]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in sorted(wanted_chars())])
    subsetter.subset(font)
    cff_to_truetype(font)
    rename(font)
    for tag in ("GPOS", "GSUB", "BASE", "vhea", "vmtx", "DSIG"):
        if tag in font:
            del font[tag]
    font.save(str(out))
    return out


if __name__ == "__main__":
    path = build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    font = TTFont(str(path))
    print(f"{path}: {path.stat().st_size:,} bytes, {len(font.getBestCmap()):,} characters, "
          f"{font['maxp'].numGlyphs:,} glyphs")
