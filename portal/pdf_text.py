"""Text in our PDFs in any script: DejaVu Sans embedded, Arabic shaped and laid out right to left.

Shared by the licence PDF (licensing) and the invoice PDF (billing): reportlab
draws glyphs in the order it is given them, so Arabic must be shaped into its
joined letter forms and each line reordered for display before it is drawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
from reportlab.platypus import KeepTogether as PlatypusKeepTogether
from reportlab.platypus import paragraph as rl_paragraph
from reportlab.platypus.flowables import _listWrapOn
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
        if frags is None:  # a new paragraph; the parts of a split one come with their frags
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
    text = rl_paragraph.cleanBlockQuotedText(markup)
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
    carried DejaVu's licence twice over (two thirds of each embedded font)
    and compressed it anew every time. The copyright notice and the
    licence's address (records 0 and 14) stay, as font subsetters keep them.
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
    return ArabicReshaper(configuration=config_for_true_type_font(font_path))


def text_flowable(value: str, style: ParagraphStyle, reshaper: ArabicReshaper) -> Flowable:
    """Plain text (never markup: "<b>" and "&" print as typed), shaped if Arabic.

    Line breaks in the value are kept.
    """
    if ARABIC.search(value):
        return PlainText(reshaper.reshape(value), style, base_dir="R" if _rtl(value) else "L")
    return PlainText(value, style)


def display_line(value: str, reshaper: ArabicReshaper) -> str:
    """One line for canvas.drawString or a table cell: shaped and in display order if Arabic."""
    if not ARABIC.search(value):
        return value
    return str(get_display(reshaper.reshape(value), base_dir="R" if _rtl(value) else "L"))


def _rtl(value: str) -> bool:
    return bool(get_base_level(value) == 1)


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
        for given in self.text.splitlines() or [""]:
            words: list[str] = []
            used = 0.0
            for word in given.split():
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
        for line in self.lines:
            shown = line if self.base_dir is None else get_display(line, base_dir=self.base_dir)
            right = self.base_dir == "R" or style.alignment == TA_RIGHT
            text.setTextOrigin(self.width - self._width(shown) if right else 0, baseline)
            text.textOut(shown)
            baseline -= style.leading
        canvas.drawText(text)

    def getSpaceBefore(self) -> float:
        return float(self.style.spaceBefore)

    def getSpaceAfter(self) -> float:
        return float(self.style.spaceAfter)


class KeepTogether(PlatypusKeepTogether):
    """platypus's KeepTogether, measuring its contents without a copy of the page's frame.

    Its own wrap deep-copies the frame each time, in case the contents
    generate frame content (index entries, frame breaks); ours never do, and
    the copies were a fortieth of a licence's time. The rest, moving the
    group to the next page when it does not fit, is platypus's own.
    """

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        dims: list[tuple[float, float]] = []
        width, height = _listWrapOn(self._content, availWidth, None, dims=dims)
        self._H, self._H0 = height, dims[0][1] if dims else 0
        self._wrapInfo = availWidth, availHeight
        return width, 0xFFFFFF  # as platypus's: more than any page, so it is always split


class LabelledRows(Flowable):
    """Labels and their values in two columns, top-aligned, optionally ruled under each row.

    What a two-column platypus Table with paragraphs in its cells drew, in a
    third of the time: Table measures and draws every cell through machinery
    built for spans, styles per cell and repeated header rows, none of which
    these lists of facts use. Like Table, it breaks across pages between
    rows, never inside one.
    """

    def __init__(
        self,
        rows: list[tuple[Flowable, Flowable]],
        *,
        label_width: float,
        padding: tuple[float, float, float, float] = (0, 0, 0, 0),
        rule: colors.Color | None = None,
        rule_width: float = 0.4,
    ) -> None:
        super().__init__()
        self.rows = rows
        self.label_width = label_width
        self.top, self.right, self.bottom, self.left = padding
        self.rule, self.rule_width = rule, rule_width
        self.row_heights: list[float] = []

    def _copy(self, rows: list[tuple[Flowable, Flowable]]) -> LabelledRows:
        return LabelledRows(
            rows,
            label_width=self.label_width,
            padding=(self.top, self.right, self.bottom, self.left),
            rule=self.rule,
            rule_width=self.rule_width,
        )

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        inset = self.left + self.right
        value_width = availWidth - self.label_width - inset
        self.row_heights = [
            max(
                label.wrapOn(self.canv, self.label_width - inset, availHeight)[1],
                value.wrapOn(self.canv, value_width, availHeight)[1],
            )
            + self.top
            + self.bottom
            for label, value in self.rows
        ]
        self.width, self.height = availWidth, sum(self.row_heights)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        self.wrap(availWidth, availHeight)
        used, fit = 0.0, 0
        for height in self.row_heights:
            if used + height > availHeight:
                break
            used, fit = used + height, fit + 1
        if fit == 0 or fit == len(self.rows):
            return []
        return [self._copy(self.rows[:fit]), self._copy(self.rows[fit:])]

    def draw(self) -> None:
        # The rule's colour and width can stay set: drawOn restores the state after us,
        # and each row's flowables draw in a state of their own.
        canvas = self.canv
        if self.rule is not None:
            canvas.setStrokeColor(self.rule)
            canvas.setLineWidth(self.rule_width)
        top = self.height
        for (label, value), height in zip(self.rows, self.row_heights, strict=True):
            label.drawOn(canvas, self.left, top - self.top - label.height)
            value.drawOn(canvas, self.label_width + self.left, top - self.top - value.height)
            top -= height
            if self.rule is not None:
                canvas.line(0, top, self.width, top)


@dataclass
class Column:
    """One column of a Columns row: its width, what it holds and how it is dressed.

    `align` places flowables narrower than the column (LEFT, CENTER or
    RIGHT); `valign` places the stack when another column is taller.
    """

    width: float
    flowables: list[Flowable]
    padding: tuple[float, float, float, float] = (0, 0, 0, 0)  # top, right, bottom, left
    background: colors.Color | None = None
    border: colors.Color | None = None
    border_width: float = 0.6
    align: str = "LEFT"
    valign: str = "TOP"


class Columns(Flowable):
    """Stacks of flowables side by side, as tall as the tallest; optionally boxed or ruled below.

    A one-row platypus Table did this layout (a title beside a stamp beside
    the invoice's facts; the parties side by side; a boxed panel), through
    machinery for spans, repeated rows and per-cell styles, at several
    times the cost. Like a one-row Table it does not break across pages.
    Within a stack, the space before the first flowable and after the last
    is dropped, as in a table cell.
    """

    def __init__(
        self,
        columns: list[Column],
        *,
        box: tuple[float, colors.Color] | None = None,
        rule_below: tuple[float, colors.Color] | None = None,
    ) -> None:
        super().__init__()
        self.columns = columns
        self.box = box
        self.rule_below = rule_below
        self.inner_heights: list[float] = []
        self.sizes: list[tuple[float, float]] = []  # each flowable's, column by column

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.inner_heights, self.sizes = [], []
        for column in self.columns:
            _top, right, _bottom, left = column.padding
            height = 0.0
            for n, flowable in enumerate(column.flowables):
                size = flowable.wrapOn(self.canv, column.width - left - right, availHeight)
                self.sizes.append(size)
                height += size[1]
                if n:
                    height += flowable.getSpaceBefore()
                if n < len(column.flowables) - 1:
                    height += flowable.getSpaceAfter()
            self.inner_heights.append(height)
        self.width = sum(column.width for column in self.columns)
        self.height = max(
            height + column.padding[0] + column.padding[2]
            for column, height in zip(self.columns, self.inner_heights, strict=True)
        )
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        sizes = iter(self.sizes)
        x = 0.0
        for column, inner in zip(self.columns, self.inner_heights, strict=True):
            top, right, bottom, left = column.padding
            if column.background is not None or column.border is not None:
                canvas.saveState()
                if column.background is not None:
                    canvas.setFillColor(column.background)
                if column.border is not None:
                    canvas.setStrokeColor(column.border)
                    canvas.setLineWidth(column.border_width)
                canvas.rect(
                    x,
                    0,
                    column.width,
                    self.height,
                    stroke=int(column.border is not None),
                    fill=int(column.background is not None),
                )
                canvas.restoreState()
            y = self.height - top
            if column.valign == "MIDDLE":
                y -= (self.height - top - bottom - inner) / 2
            for n, flowable in enumerate(column.flowables):
                if n:
                    y -= flowable.getSpaceBefore()
                width, height = next(sizes)
                y -= height
                room = column.width - left - right - width
                offset = {"LEFT": 0, "CENTER": room / 2, "RIGHT": room}[column.align]
                flowable.drawOn(canvas, x + left + offset, y)
                y -= flowable.getSpaceAfter()
            x += column.width
        if self.box is not None or self.rule_below is not None:
            canvas.saveState()
            if self.box is not None:
                canvas.setLineWidth(self.box[0])
                canvas.setStrokeColor(self.box[1])
                canvas.rect(0, 0, self.width, self.height, stroke=1, fill=0)
            if self.rule_below is not None:
                canvas.setLineWidth(self.rule_below[0])
                canvas.setStrokeColor(self.rule_below[1])
                canvas.line(0, 0, self.width, 0)
            canvas.restoreState()
