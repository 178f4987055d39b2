"""The Chinese font of the printable report: Noto Sans SC (SIL Open Font License 1.1, from
notofonts/noto-cjk), shipped in the `pylopdf-fonts-zh-cn` wheel — so a fresh machine gets it from
PyPI like any dependency.

The wheel has the font with PostScript (CFF) outlines. fpdf2 embeds those in a way some PDF
readers decode poorly (pypdf extracts NULs between characters), so each report gets its own
subset — only the characters it prints — converted to TrueType outlines, which fpdf2 embeds the
standard way (CIDFontType2, Identity-H, with a ToUnicode map). Subsetting takes ≈0.5 s, the
conversion a few milliseconds. Subsetting and converting are modifications the OFL permits; the
result keeps the font's name (the reserved name is "Source") and a document may embed it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pylopdf_fonts_zh_cn
from fontTools import subset  # type: ignore[import-untyped]
from fontTools.pens.cu2quPen import Cu2QuPen  # type: ignore[import-untyped]
from fontTools.pens.ttGlyphPen import TTGlyphPen  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont, newTable  # type: ignore[import-untyped]

# Printable ASCII is always included: dates, codes and numbers are made of it.
_ASCII = {chr(c) for c in range(0x20, 0x7F)}
# Cubic to quadratic curves within 1 unit of the 1000-unit em: invisible at any print size.
_MAX_ERROR = 1.0


def source_path() -> Path:
    return pylopdf_fonts_zh_cn.sans_path()


def _to_truetype(font: TTFont) -> None:
    """Replace the CFF outlines of `font` by TrueType (quadratic) ones, in place."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, _MAX_ERROR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:  # vertical origins belong to CFF fonts only
        del font["VORG"]
    glyf.compile(font)
    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for limit in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, limit, 0)
    maxp.compile(font)
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"


def subset_font(texts: Iterable[str], target: Path) -> Path:
    """Write to `target` a TrueType font with the glyphs `texts` need; returns `target`."""
    characters = set(_ASCII)
    for text in texts:
        characters.update(text)
    font = TTFont(source_path())
    options = subset.Options()
    options.layout_features = []  # horizontal Chinese text needs no shaping
    options.notdef_outline = True
    options.desubroutinize = True
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(characters)))
    subsetter.subset(font)
    _to_truetype(font)
    font.save(target)
    return target
