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


def test_a_text_with_shorter_forms_is_cut_only_between_what_they_keep(qtbot):
    """The alert banner cut its line anywhere ('... raised at 06:13:22  (t = 62…'):
    with shorter forms, the text is cut only inside what its first shorter form drops,
    else the longest shorter form that fits is shown whole."""
    head = "Fault: internal short, cell 2 (cleared)"
    timed = f"{head} · raised at 14:03:21  (t = 625.0 s)"
    full = f"{timed} · up to 15.9 K above its neighbours' median (5-min mean)"
    label = FittedLabel(max_lines=1)
    qtbot.addWidget(label)
    label.set_full_text(full, shorter=[timed, f"{head} · raised at 14:03:21", head])
    label.show()
    qtbot.waitExposed(label)
    metrics = label.fontMetrics()
    # room for the time and a little of the figures: cut inside the figures
    label.resize(metrics.horizontalAdvance(timed + " · up to 15.9 K") + 8, 40)
    qtbot.waitUntil(lambda: label.shown_text().startswith(timed + " · up to"))
    assert label.shown_text().endswith("…")
    # less: the time whole without the time in the recording, never '(t = 62…'
    label.resize(metrics.horizontalAdvance(timed) - 10, 40)
    qtbot.waitUntil(lambda: label.shown_text() == f"{head} · raised at 14:03:21")
    label.resize(metrics.horizontalAdvance(head) + 8, 40)
    qtbot.waitUntil(lambda: label.shown_text() == head)
    label.resize(metrics.horizontalAdvance("Fault: internal short") + 8, 40)  # the last, cut
    qtbot.waitUntil(lambda: label.shown_text().startswith("Fault: internal"))
    assert label.shown_text().endswith("…")
    assert label.toolTip() == full
