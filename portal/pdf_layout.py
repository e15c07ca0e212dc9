"""Page layout for our PDFs: lists of facts, blocks side by side, sections kept together.

Shared by the licence PDF (licensing) and the invoice and credit note PDFs
(billing). Platypus tables did this layout, through machinery for spans,
repeated header rows and per-cell styles that none of it uses; these
flowables draw the same pages in a fraction of the time. The invoice's line
items, VAT breakdown, totals and bank details stay platypus tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.platypus import Flowable
from reportlab.platypus import KeepTogether as PlatypusKeepTogether
from reportlab.platypus.flowables import _listWrapOn


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
