"""A label that fits its text to its width: a long error never widens the window."""

from __future__ import annotations

from app.views.fitted_label import FittedLabel, fitted_lines

ERROR = (
    "serial:///dev/ttyUSB9?protocol=vedirect&chemistry=lfp&cells=4&capacity_ah=100: "
    "cannot open /dev/ttyUSB9: No such file or directory"
)


def test_a_long_text_is_cut_to_its_lines_and_sets_no_width(qtbot):
    label = FittedLabel(ERROR, max_lines=2)
    qtbot.addWidget(label)
    label.resize(180, 60)
    label.show()
    qtbot.waitExposed(label)
    assert label.minimumSizeHint().width() == 0  # the layout gives it its width
    lines = label.text().split("\n")
    width = label.contentsRect().width()
    assert len(lines) == 2
    assert all(label.fontMetrics().horizontalAdvance(line.rstrip()) <= width for line in lines)
    shown = label.shown_text()
    assert shown.endswith("…") and ERROR.startswith(shown[:-1])  # (the URL broken too)
    assert label.toolTip() == ERROR
    label.resize(3000, 60)
    qtbot.waitUntil(lambda: label.text() == ERROR)  # room enough: whole, on one line


def test_lines_joined_are_the_text(qapp):
    font = qapp.font()
    text = "Could not open the source: cannot open /dev/ttyUSB0: No such file or directory."
    lines = fitted_lines(text, font, 120, max_lines=10)
    assert len(lines) > 2 and "".join(lines) == text
    assert fitted_lines("one\ntwo", font, 500, max_lines=2) == ["one", "two"]
    assert fitted_lines(text, font, 0, max_lines=1) == [text]  # not laid out yet
