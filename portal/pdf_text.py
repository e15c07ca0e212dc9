"""Text in our PDFs in any script: DejaVu Sans embedded, Arabic shaped and laid out right to left.

reportlab draws glyphs in the order it is given them and knows neither
Arabic letter forms nor the bidirectional algorithm, so text with Arabic in
it is shaped into its joined letter forms (arabic-reshaper) and each line is
put in display order (python-bidi) before it is drawn: that is BidiText.
Everything else is reportlab's own Paragraph.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from arabic_reshaper import ArabicReshaper, config_for_true_type_font
from bidi import get_base_level, get_display
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph

FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
FONT_FILES = {FONT: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}

# The Unicode Arabic blocks: base letters, supplements, extended A/B and
# both presentation-form blocks.
ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u0870-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


def register_fonts() -> None:
    """Make DejaVu Sans, from the folder PDF_FONT_DIR names, the fonts reportlab draws with."""
    fonts = _fonts_in(settings.PDF_FONT_DIR)
    for font in fonts:
        pdfmetrics.registerFont(font)
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def _font_paths(folder: str) -> dict[str, Path]:
    paths = {name: Path(folder) / file for name, file in FONT_FILES.items()}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise ImproperlyConfigured(
            f"Our PDFs embed DejaVu Sans, but the font is missing ({', '.join(missing)}). "
            "Run `make fonts` (installs Debian's fonts-dejavu-core), or set "
            "PDF_FONT_DIR to a folder holding DejaVuSans.ttf and DejaVuSans-Bold.ttf."
        )
    return paths


@cache
def _fonts_in(folder: str) -> tuple[TTFont, ...]:
    # Parsed once per folder: every document registers them again, which is a
    # dictionary entry, so a change of PDF_FONT_DIR (tests) always takes effect.
    # Not "ASCII readable": the subsets hold only the glyphs a document draws,
    # not also all 95 printable ASCII ones (text is extracted through the
    # ToUnicode map either way).
    return tuple(
        TTFont(name, str(path), asciiReadable=False) for name, path in _font_paths(folder).items()
    )


@cache
def _reshaper_in(folder: str) -> ArabicReshaper:
    # Only the letter forms and ligatures the font has glyphs for (DejaVu
    # Sans lacks the Allah ligature, for one), so nothing prints as a box;
    # the vowel marks (harakat) kept, as a name is spelt with them.
    configuration = config_for_true_type_font(str(_font_paths(folder)[FONT]))
    configuration["delete_harakat"] = False
    return ArabicReshaper(configuration=configuration)


def shape_arabic(value: str) -> str:
    """`value` with its Arabic letters in their joined forms, still in reading order."""
    return str(_reshaper_in(settings.PDF_FONT_DIR).reshape(value))


def plain_text(value: str, style: ParagraphStyle) -> Flowable:
    """`value` printed as typed, never read as markup ("<b>" and "&" print literally).

    Its line breaks are kept. Text with Arabic in it is a BidiText; the rest
    a reportlab Paragraph.
    """
    if ARABIC.search(value):
        return BidiText(shape_arabic(value), style, base_dir=_base_dir(value))
    return Paragraph("<br/>".join(escape(line) for line in value.splitlines()), style)


def display_line(value: str) -> str:
    """One line for canvas.drawString or a table cell: shaped and in display order if Arabic."""
    if not ARABIC.search(value):
        return value
    return str(get_display(shape_arabic(value), base_dir=_base_dir(value)))


def _base_dir(value: str) -> str:
    """python-bidi's paragraph direction for `value`: "R" when it reads right to left."""
    return "R" if get_base_level(value) == 1 else "L"


# Where a line may break: spaces and tabs, not the non-breaking spaces French
# puts inside « guillemets » and before a colon (as reportlab's Paragraph).
BREAKING_SPACE = re.compile(r"[ \t\f\v]+")


class BidiText(Flowable):
    """Shaped bidirectional text in one style: broken into lines first, then each line reordered.

    The lines are broken in reading order, measured on the shaped text
    (a glyph is as wide in either order), and only then is each line put in
    display order: reordering the whole paragraph first and breaking it
    afterwards would put its last words on the top line. Text that reads
    right to left (`base_dir` "R") is right-aligned. A word wider than the
    line is broken between characters; a line break in the text starts a
    new line. It splits between lines across pages; the space before and
    after it is its style's, as for a Paragraph.
    """

    def __init__(self, shaped: str, style: ParagraphStyle, *, base_dir: str) -> None:
        super().__init__()
        self.text, self.style, self.base_dir = shaped, style, base_dir
        self.lines: list[str] = []

    def _width(self, text: str) -> float:
        return float(pdfmetrics.stringWidth(text, self.style.fontName, self.style.fontSize))

    def _break(self, width: float) -> list[str]:
        lines: list[str] = []
        for given in self.text.splitlines():
            line = ""
            for word in BREAKING_SPACE.split(given.strip()):
                while len(word) > 1 and self._width(word) > width:
                    # Wider than a line on its own: broken between characters.
                    if line:
                        lines.append(line)
                        line = ""
                    fits = [n for n in range(1, len(word)) if self._width(word[:n]) <= width]
                    cut = max(fits, default=1)
                    lines.append(word[:cut])
                    word = word[cut:]
                if line and self._width(f"{line} {word}") > width:
                    lines.append(line)
                    line = ""
                line = f"{line} {word}" if line else word
            lines.append(line)
        return lines

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.lines = self._break(availWidth)
        self.width, self.height = availWidth, len(self.lines) * self.style.leading
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        self.wrap(availWidth, availHeight)
        fit = int(availHeight // self.style.leading)
        if fit >= len(self.lines):
            return [self]
        if fit == 0:
            return []
        return [
            BidiText("\n".join(part), self.style, base_dir=self.base_dir)
            for part in (self.lines[:fit], self.lines[fit:])
        ]

    def draw(self) -> None:
        style, canvas = self.style, self.canv
        canvas.setFont(style.fontName, style.fontSize)
        canvas.setFillColor(style.textColor)
        right = self.base_dir == "R" or style.alignment == TA_RIGHT
        # The first baseline one font size below the top, as in reportlab's Paragraph.
        baseline = self.height - style.fontSize
        for line in self.lines:
            shown = str(get_display(line, base_dir=self.base_dir))
            if right:
                canvas.drawRightString(self.width, baseline, shown)
            else:
                canvas.drawString(0, baseline, shown)
            baseline -= style.leading
