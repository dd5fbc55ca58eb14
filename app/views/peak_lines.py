"""Long series drawn as unbroken lines: one min/max pair a pixel column, and a redraw
when a plot changes size.

pyqtgraph's automatic peak downsampling keeps about five buckets a pixel (its
``autoDownsampleFactor``): ten points a pixel, min and max of each bucket. On a
flat, slightly noisy trace (a cell at rest, a whole hour of a recording at once)
every segment between them is shorter than a pixel, and Qt's 1-px cosmetic stroke
leaves most such segments out: the trace came out as dots and dashes with gaps,
though no sample was missing. One bucket a pixel keeps every column's extremes
(what peak downsampling is for) with segments a pixel long, and drawing them as
separate lines (pyqtgraph's segmented mode) lights a pixel for each; it is also half
the points to draw (about 10 ms a frame for the dashboard's curves, against 20).

pyqtgraph keeps the downsampled points until the view *range* changes, not its size:
a plot filled while its page was not yet laid out (a few pixels wide) kept a bucket
of 899 samples when shown at 1100 px, and its trace was a staircase.
"""

from __future__ import annotations

import pyqtgraph as pg

#: Buckets a pixel column for peak downsampling (pyqtgraph's default is 5).
BUCKETS_PER_PIXEL = 1.0


def draw_unbroken(curve: pg.PlotDataItem, *, dashed: bool = False) -> None:
    """Peak-downsample ``curve`` to one bucket a pixel, drawn as separate segments unless
    its pen is ``dashed`` (the dashes would restart at every segment: one path)."""
    curve.opts["autoDownsampleFactor"] = BUCKETS_PER_PIXEL
    curve.curve.setSegmentedLineMode("auto" if dashed else "on")


def redraw_on_resize(plot: pg.PlotItem) -> None:
    """Downsample ``plot``'s curves again when its view changes size (not only its range)."""
    view = plot.getViewBox()

    def resized(_view) -> None:
        for item in plot.listDataItems():
            if isinstance(item, pg.PlotDataItem):
                item.viewRangeChanged()

    view.sigResized.connect(resized)
