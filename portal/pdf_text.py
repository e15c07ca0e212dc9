"""Text in our PDFs in any script: DejaVu Sans embedded, Arabic shaped and laid out right to left.

Shared by the licence PDF (licensing) and the invoice PDF (billing): reportlab
draws glyphs in the order it is given them, so Arabic must be shaped into its
joined letter forms and each line reordered for display before it is drawn.
Plain text is PlainText (one style, one text object); the few lines with
markup in them (bold, links) are reportlab Paragraphs, parsed once per text.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from arabic_reshaper import ArabicReshaper, config_for_true_type_font
from bidi import get_base_level, get_display
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from fontTools.ttLib.tables._n_a_m_e import table__n_a_m_e
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable
from reportlab.platypus import paragraph as rl_paragraph
from reportlab.platypus.paragraph import cleanBlockQuotedText
from reportlab.platypus.paraparser import ParaParser
from reportlab.rl_config import _FUZZ

# The house palette shared by invoices, credit notes and licences.
INK = colors.HexColor("#1f2328")
MUTED = colors.HexColor("#59636e")
RULE = colors.HexColor("#c9d1d9")
SHADE = colors.HexColor("#f3f5f7")

FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
FONT_FILES = {FONT: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}

# The Unicode Arabic blocks: base letters, supplements, extended A/B and
# both presentation-form blocks.
ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u0870-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


class Paragraph(rl_paragraph.Paragraph):
    """reportlab's Paragraph, its markup parsed once per text and style and its lines
    broken once per width.

    Platypus asks a paragraph for its size several times at the same width
    (a section kept together, then the table holding it, then the frame it
    lands in) and reportlab breaks the lines afresh each time; and every copy
    of a licence or an invoice repeats the same labels, headings and
    sentences. The two together were about a fifth of a document's time.
    """

    _broken_for_width: float | None = None

    def _setup(self, text, style, bulletText, frags, cleaner):  # type: ignore[no-untyped-def]
        # A new paragraph parsed as reportlab's default would (the parts of a split one
        # come with their frags; other parsing options are parsed afresh by reportlab).
        if frags is None and self.caseSensitive == 1 and cleaner is cleanBlockQuotedText:
            text, style, parsed, bullet_frags = _parsed(text, style)
            # Line breaking marks frags as it goes: each paragraph gets its own.
            frags = [frag.clone() for frag in parsed]
            bulletText = bullet_frags or bulletText
        super()._setup(text, style, bulletText, frags, cleaner)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        # The lines depend on the width alone (and on text and style, which do not change);
        # split() drops them when the paragraph cannot start on this page.
        if availWidth == self._broken_for_width and hasattr(self, "blPara"):
            return self.width, self.height
        size = super().wrap(availWidth, availHeight)
        self._broken_for_width = availWidth if availWidth >= _FUZZ else None
        return size


@lru_cache(maxsize=4096)
def _parsed(markup: str, style: ParagraphStyle) -> tuple[str, ParagraphStyle, list[Any], Any]:
    """What reportlab's Paragraph makes of `markup` before laying it out (its own steps)."""
    text = cleanBlockQuotedText(markup)
    parser = ParaParser()
    parser.caseSensitive = 1
    style, frags, bullet_frags = parser.parse(text, style)
    if frags is None:
        raise ValueError(f"xml parser error ({parser.errors[0]}) in paragraph {text[:30]!r}")
    rl_paragraph.textTransformFrags(frags, style)
    return text, style, frags, bullet_frags


def register_fonts() -> ArabicReshaper:
    """Register DejaVu Sans from LICENCE_FONT_DIR (once per folder); the Arabic shaper for it."""
    # Called for every paragraph: once the folder's fonts are registered, no
    # file is looked at again until LICENCE_FONT_DIR names another folder.
    registered = _registered_folder.get(settings.LICENCE_FONT_DIR)
    if registered is not None:
        return registered
    folder = Path(settings.LICENCE_FONT_DIR)
    paths = {name: folder / file for name, file in FONT_FILES.items()}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise ImproperlyConfigured(
            f"Our PDFs embed DejaVu Sans, but the font is missing ({', '.join(missing)}). "
            "Run `make fonts` (installs Debian's fonts-dejavu-core), or set "
            "LICENCE_FONT_DIR to a folder holding DejaVuSans.ttf and DejaVuSans-Bold.ttf."
        )
    for name, path in paths.items():
        # Not "ASCII readable": reportlab would otherwise put all 95 ASCII glyphs in every
        # document, used or not, for content streams no one reads (text is extracted
        # through the ToUnicode map either way); only the glyphs drawn are embedded.
        font = TTFont(name, str(path), asciiReadable=False)
        pdfmetrics.registerFont(_without_licence_text(font))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    reshaper = _reshaper_for(str(paths[FONT]))
    _registered_folder.clear()
    _registered_folder[settings.LICENCE_FONT_DIR] = reshaper
    return reshaper


# The OpenType name record holding the licence's full text (14 KB in DejaVu Sans).
LICENSE_DESCRIPTION = 13


def _without_licence_text(font: TTFont) -> TTFont:
    """The font, its name table kept whole but for the licence's full text.

    reportlab copies the name table into every subset it embeds, so each PDF
    carried DejaVu's licence text twice over (about half of each embedded
    font) and compressed it anew every time. The other records stay, among
    them the copyright notice (0) and the licence's address (14), so each
    embedded subset still says whose it is and where its licence is.
    """
    face = font.face
    names = table__n_a_m_e()
    names.decompile(face.get_table("name"), None)
    names.names = [record for record in names.names if record.nameID != LICENSE_DESCRIPTION]
    compact = names.compile(None)
    # Subsets read the table through this directory entry: point it at the shorter copy.
    face.table["name"] = {
        **face.table["name"],
        "offset": len(face._ttf_data),
        "length": len(compact),
    }
    face._ttf_data += compact
    return font


# The folder whose fonts are registered now, and its Arabic shaper: a TrueType
# file is parsed again only when LICENCE_FONT_DIR names another folder.
_registered_folder: dict[str, ArabicReshaper] = {}


@cache
def _reshaper_for(font_path: str) -> ArabicReshaper:
    # Only the letter forms and ligatures the font has glyphs for (DejaVu
    # Sans lacks the Allah ligature, for one), so nothing prints as a box.
    # Harakat kept: vowel marks are part of a name as typed; a legal document keeps them.
    return ArabicReshaper(
        configuration={**config_for_true_type_font(font_path), "delete_harakat": False}
    )


def text_flowable(value: str, style: ParagraphStyle, reshaper: ArabicReshaper) -> Flowable:
    """Plain text (never markup: "<b>" and "&" print as typed), shaped if Arabic.

    Line breaks in the value are kept.
    """
    if ARABIC.search(value):
        return PlainText(reshaper.reshape(value), style, base_dir=_base_dir(value))
    return PlainText(value, style)


def display_line(value: str, reshaper: ArabicReshaper) -> str:
    """One line for canvas.drawString or a table cell: shaped and in display order if Arabic."""
    if not ARABIC.search(value):
        return value
    return str(get_display(reshaper.reshape(value), base_dir=_base_dir(value)))


def _base_dir(value: str) -> str:
    """python-bidi's paragraph direction for `value`: "R" when it reads right to left."""
    return "R" if get_base_level(value) == 1 else "L"


# Where a line may break: spaces and tabs, not the non-breaking spaces (U+00A0,
# U+202F) French puts inside « guillemets » and before a colon, which str.split()
# would also take.
BREAKING_SPACE = re.compile(r"[ \t\f\v]+")


def _words(line: str) -> list[str]:
    return [word for word in BREAKING_SPACE.split(line) if word]


class PlainText(Flowable):
    """Text in one style, without markup, broken into lines at spaces and drawn as one text object.

    Most of what our documents print is plain text in one style: names,
    values, sentences. reportlab's Paragraph parses markup and lays out mixed
    fonts, links and justified lines for each, at about twice the cost; it
    stays for the few lines with markup in them.

    With `base_dir` the text is bidirectional (Arabic, already shaped): it is
    broken into lines in reading order, and each line is then reordered for
    display, because reordering a whole paragraph and breaking it afterwards
    would put its last words on top. Text that reads right to left ("R") is
    right-aligned. A word wider than the line is broken between characters;
    a line break in the text always starts a new line.
    """

    def __init__(self, text: str, style: ParagraphStyle, *, base_dir: str | None = None) -> None:
        super().__init__()
        if style.alignment not in (TA_LEFT, TA_RIGHT) or (
            style.leftIndent or style.rightIndent or style.firstLineIndent
        ):
            raise ValueError(
                f"Style {style.name!r}: plain text is aligned left or right, unindented"
            )
        self.text = text
        self.style = style
        self.base_dir = base_dir
        self.lines: list[str] = []
        self._broken_for_width: float | None = None

    def _width(self, text: str) -> float:
        return float(pdfmetrics.stringWidth(text, self.style.fontName, self.style.fontSize))

    def _break(self, width: float) -> list[str]:
        """The text in lines that fit `width`, in reading order."""
        lines: list[str] = []
        space = self._width(" ")
        for given in self.text.splitlines():
            words: list[str] = []
            used = 0.0
            for word in _words(given):
                size = self._width(word)
                if words and used + space + size > width:
                    lines.append(" ".join(words))
                    words, used = [], 0.0
                if size > width:  # longer than a whole line: break it between characters
                    *full, word = self._chop(word, width)
                    lines += full
                    size = self._width(word)
                used += size + (space if words else 0)
                words.append(word)
            lines.append(" ".join(words))
        return lines

    # Platypus's name: a table without column widths sizes its columns by it.
    def minWidth(self) -> float:
        return max((self._width(word) for word in _words(self.text)), default=0.0)

    def _chop(self, word: str, width: float) -> list[str]:
        pieces, piece = [], ""
        for char in word:
            if piece and self._width(piece + char) > width:
                pieces.append(piece)
                piece = ""
            piece += char
        return [*pieces, piece]

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        if availWidth != self._broken_for_width:
            self.lines = self._break(availWidth)
            self._broken_for_width = availWidth
        self.width, self.height = availWidth, len(self.lines) * self.style.leading
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        self.wrap(availWidth, availHeight)
        fit = int(availHeight // self.style.leading)
        if fit >= len(self.lines):
            return [self]
        if fit < 2:  # no orphan: one line alone at the foot of a page
            return []
        return [
            PlainText("\n".join(part), self.style, base_dir=self.base_dir)
            for part in (self.lines[:fit], self.lines[fit:])
        ]

    def draw(self) -> None:
        # No saveState here: drawOn wraps every flowable's drawing in one.
        style, canvas = self.style, self.canv
        text = canvas.beginText()
        text.setFont(style.fontName, style.fontSize, style.leading)
        text.setFillColor(style.textColor)
        # The first baseline one font size below the top, as reportlab's Paragraph has it.
        baseline = self.height - style.fontSize
        right = self.base_dir == "R" or style.alignment == TA_RIGHT
        for line in self.lines:
            shown = line if self.base_dir is None else get_display(line, base_dir=self.base_dir)
            text.setTextOrigin(self.width - self._width(shown) if right else 0, baseline)
            text.textOut(shown)
            baseline -= style.leading
        canvas.drawText(text)

    def getSpaceBefore(self) -> float:
        return float(self.style.spaceBefore)

    def getSpaceAfter(self) -> float:
        return float(self.style.spaceAfter)
