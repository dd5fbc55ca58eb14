"""A label that fits its text to the width it is given, never the other way round."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QTextLayout, QTextOption
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

_LINE_BREAK = "\u2028"  # a "\n" of the text, as QTextLayout breaks a line at it


def fitted_lines(text: str, font: QFont, width: int, max_lines: int) -> list[str]:
    """``text`` wrapped to ``width`` px (at word boundaries, inside a word too long for
    a line: a URL), at most ``max_lines`` lines, the last cut with '…' when the text goes
    on. Each line is its part of ``text`` as it is (a space it broke at ends it), so
    the lines joined make the text again."""
    if width <= 0 or not text:
        return [text]
    laid_out = text.replace("\n", _LINE_BREAK)
    layout = QTextLayout(laid_out, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    starts = []
    layout.beginLayout()
    while (line := layout.createLine()).isValid():
        line.setLineWidth(width)
        starts.append(line.textStart())
    layout.endLayout()
    ends = [*starts[1:], len(text)]
    lines = [text[a:b].replace("\n", "") for a, b in zip(starts, ends, strict=True)]
    if len(lines) <= max_lines:
        return lines
    rest = text[starts[max_lines - 1] :].replace("\n", " ")
    metrics = QFontMetrics(font)
    return [*lines[: max_lines - 1], metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)]


class FittedLabel(QLabel):
    """Plain text wrapped to the label's width in at most ``max_lines`` lines, cut with
    '…' when longer, the whole text in the tooltip. It takes the width its layout gives
    it: a long error (a serial port's, with its URL) or an alert's figures never set the
    window's minimum width (one did: 1240 px, past a 1024 px screen)."""

    def __init__(
        self, text: str = "", parent: QWidget | None = None, *, max_lines: int = 2, **kwargs
    ):
        super().__init__(parent, **kwargs)
        self.max_lines = max_lines
        self._full = ""
        self._shorter: list[str] = []
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.set_full_text(text)

    def full_text(self) -> str:
        return self._full

    def set_full_text(
        self, text: str, tooltip: str | None = None, *, shorter: list[str] | None = None
    ) -> None:
        """Show ``text`` (fitted); the tooltip is ``tooltip``, else all of ``text``.

        ``shorter``: shorter forms of ``text``, each keeping what matters most of the
        one before. Where ``text`` does not fit, it is cut with '…' only where it keeps
        all of the first shorter form (a fault's figures cut, not its time: ``(t =
        62…``); else the label shows the longest shorter form that fits whole, or the
        last one cut."""
        self._full = text
        self._shorter = list(shorter or [])
        self.setToolTip(text if tooltip is None else tooltip)
        self._fit()

    def shown_text(self) -> str:
        """The text as shown, its lines joined again ('…' where it was cut)."""
        return self.text().replace("\n", "")

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(0, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        # the width the whole text wants on one line, for layouts with room to spare
        width = self.fontMetrics().horizontalAdvance(self._full.replace("\n", " "))
        margins = self.contentsMargins()
        return QSize(width + margins.left() + margins.right() + 2, super().sizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self._fit()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:  # (a style sheet sets the font late)
            self._fit()

    def _fit(self) -> None:
        # hidden, it has no width of its own yet: the whole text, fitted once shown
        width = self.contentsRect().width() if self.isVisible() else 0
        forms = [self._full, *self._shorter]
        for i, form in enumerate(forms):
            lines = fitted_lines(form, self.font(), width, self.max_lines)
            shown = "".join(lines)
            if shown == form or i == len(forms) - 1:
                break
            kept = shown[:-1]  # less its '…'
            after = forms[i + 1]
            if i == 0 and kept.startswith(after) and kept[len(after) :].strip(" ·,;:"):
                break
        text = "\n".join(lines)
        if text != self.text():
            self.setText(text)
